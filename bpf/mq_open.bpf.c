// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mqtap: one event per open of a POSIX message queue, and the rest of its life (mq_calls.bpf.h).
 * - mq_open(2): arguments captured at entry, one event at exit with the result and, for a
 *   success, the queue the returned descriptor names (the kernel's name, inode, mode, owner).
 * - open/openat/openat2/creat of a file on an mqueue filesystem: one event at exit, told apart by
 *   the returned file's superblock, with no entry hook (every open on the host passes the exit).
 * Three hook sets (fentry/fexit, kprobe/kretprobe, syscall tracepoints); the loader enables one.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "mq_open_event.h"
#include "task_read.bpf.h"
#include "caller.bpf.h"
#include "queue.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Tunables, set by the loader before load. */
/* mqtap's own process: always excluded; in .bss, so a run taking over pinned programs puts its own pid there */
volatile __u32 self_tgid = 0;
const volatile __u8 use_ringbuf = 0;             /* 0: perf buffer, 1: BPF ring buffer */
const volatile __u64 ringbuf_wakeup_bytes = 0;   /* ring buffer: wake the reader past this */
/*
 * Filters: set before load, and replaced in place while the programs run when the configuration is
 * reloaded (mqtap_probe_set_filters). Globals in .bss, not rodata, so user space can rewrite them.
 */
volatile __u8 uid_include, uid_exclude;
volatile __u8 comm_include, comm_exclude;
volatile __u8 cgroup_include, cgroup_exclude;
volatile __u32 name_prefix_len;
volatile __u8 name_prefix[MQ_OPEN_NAME_MAX];
/* Kernel features, probed by the loader (5.10 has neither): */
const volatile __u8 use_task_storage = 1;        /* 1: task storage pairs entry/exit; 0: `pending` is a hash by tid */
/* use_task_btf (bpf_get_current_task_btf, else bpf_get_current_task + CO-RE reads): task_read.bpf.h */
/* the set has a hook on queue creation (mqueue_create_attr): created is then exact without O_EXCL */
const volatile __u8 has_create_hook = 0;
/* fault injection, tests only (0 in production): 1 in N entries fail to store, entries or exits are skipped */
const volatile __u32 inject_entry_drop = 0;
const volatile __u32 inject_entry_skip = 0;
const volatile __u32 inject_exit_skip = 0;
/* and 1 in N queue opens through the filesystem, thread exits with a call pending, notify and getsetattr calls
 * (after the filters) are skipped */
const volatile __u32 inject_open_exit_skip = 0;
const volatile __u32 inject_task_exit_skip = 0;
const volatile __u32 inject_call_skip = 0;

/* filter map values: bit flags, so one map serves include and exclude */
#define FILTER_INCLUDE 1
#define FILTER_EXCLUDE 2

/* pending.state */
#define ST_NONE 0
#define ST_ACTIVE 1   /* between an entry and its exit */
#define ST_FILTERED 2 /* entry filtered the call: its exit has nothing to do */

/* the event under construction, plus what only the exit handler needs */
struct pending {
	struct mq_open_event ev;
	__u64 name_ptr;       /* user pointer to the name, re-read at exit */
	__u64 created_dentry; /* the dentry mqueue_create_attr created during this call */
	__u32 state;
	__u32 reserved;
};

/* name re-read at exit */
struct name_buf {
	__u8 name[MQ_OPEN_NAME_MAX + 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024); /* resized by the loader */
} ringbuf SEC(".maps");

/*
 * entry -> exit pairing: per-thread storage, filled in place (no hashing, no copy, no delete).
 * Where tracing programs can't use task storage (before 5.11) the loader turns this map into a
 * preallocated LRU hash keyed by tid (use_task_storage = 0): a thread killed mid-call can't leak an entry.
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct pending);
} pending SEC(".maps");

/* all zeros: the initial value of a hash-map pending entry */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending);
} pending_zero SEC(".maps");
/* threads whose last entry could not be stored: already counted, so their exit is not counted again */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} entry_dropped SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_buf);
} exit_scratch SEC(".maps");

/* an open through the mqueue filesystem is built here: it has no entry */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mq_open_event);
} open_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MQ_OPEN_CTR_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u8);
} uid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, char[MQ_OPEN_COMM_LEN]);
	__type(value, __u8);
} comm_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, __u8);
} cgroup_filter SEC(".maps");

/*
 * capture.pinPath: what a run leaves for the next beside its pinned maps (the programs themselves never look at it):
 * the fingerprint of the object and settings, and the counters as last read. mmapable: written without a syscall.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(map_flags, BPF_F_MMAPABLE);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mq_pin_meta);
} pin_meta SEC(".maps");

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1; /* per-CPU slot: no atomics needed */
}

/* This thread's pending entry (task is the current task); created at entry (create = 1). */
static __always_inline struct pending *pending_get(struct task_struct *task, int create)
{
	__u32 tid, zero = 0;
	struct pending *p;

	if (use_task_storage)
		return bpf_task_storage_get(&pending, task, NULL, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	tid = (__u32)bpf_get_current_pid_tgid();
	p = bpf_map_lookup_elem(&pending, &tid);
	if (p || !create)
		return p;
	p = bpf_map_lookup_elem(&pending_zero, &zero);
	if (!p || bpf_map_update_elem(&pending, &tid, p, BPF_NOEXIST))
		return NULL;
	return bpf_map_lookup_elem(&pending, &tid);
}

/*
 * The call is done with its entry (state ST_NONE): a hash entry is removed, last (task storage goes
 * with the task). Nothing may use the entry after this.
 */
static __always_inline void pending_done(void)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (!use_task_storage)
		bpf_map_delete_elem(&pending, &tid);
}

/* 1 when the value fails the include/exclude pair of one filter */
static __always_inline int rejected(__u8 *flags, __u8 include, __u8 exclude)
{
	if (include && !(flags && (*flags & FILTER_INCLUDE)))
		return 1;
	if (exclude && flags && (*flags & FILTER_EXCLUDE))
		return 1;
	return 0;
}

/* Filters that need only the current task: own process, uid, comm, cgroup. */
/* id: the caller's bpf_get_current_pid_tgid() */
static __always_inline int task_filtered_id(__u64 id)
{
	__u32 tgid = id >> 32;

	if (tgid == self_tgid)
		return 1;
	if (uid_include || uid_exclude) {
		__u32 uid = (__u32)bpf_get_current_uid_gid(); /* only then: the helper costs as much as a send's count */

		if (rejected(bpf_map_lookup_elem(&uid_filter, &uid), uid_include, uid_exclude))
			return 1;
	}
	if (comm_include || comm_exclude) {
		char comm[MQ_OPEN_COMM_LEN] = {};

		bpf_get_current_comm(comm, sizeof(comm));
		if (rejected(bpf_map_lookup_elem(&comm_filter, comm), comm_include, comm_exclude))
			return 1;
	}
	if (cgroup_include || cgroup_exclude) {
		__u64 cg = bpf_get_current_cgroup_id();

		if (rejected(bpf_map_lookup_elem(&cgroup_filter, &cg), cgroup_include, cgroup_exclude))
			return 1;
	}
	return 0;
}

static __always_inline int task_filtered(void)
{
	return task_filtered_id(bpf_get_current_pid_tgid());
}

/* Reads the name at most MQ_OPEN_NAME_MAX + 1 bytes: a result of MQ_OPEN_NAME_MAX + 1 means longer than kept. */
static __always_inline long read_name(__u8 *dst, const void *u_name)
{
	return bpf_probe_read_user_str(dst, MQ_OPEN_NAME_MAX + 1, u_name);
}

/* Sets name_len/name_truncated/name_error from a read of the name into e->data (n: its result). */
static __always_inline void set_name(struct mq_open_event *e, long n)
{
	if (n < 0) {
		e->data[0] = 0;
		e->name_len = 0;
		e->name_truncated = 0;
		e->name_error = (__s32)-n;
	} else if (n > MQ_OPEN_NAME_MAX) {
		e->data[MQ_OPEN_NAME_KEEP] = 0;
		e->name_len = MQ_OPEN_NAME_KEEP;
		e->name_truncated = 1;
		e->name_error = 0;
	} else {
		e->name_len = n > 0 ? n - 1 : 0;
		e->name_truncated = 0;
		e->name_error = 0;
	}
}

/* where the executable's name and the kernel's name of the queue go, after the name */
static __always_inline __u32 exe_offset(struct mq_open_event *e)
{
	return (e->name_len & 0xff) + 1;
}

static __always_inline __u32 kname_offset(struct mq_open_event *e)
{
	return (e->name_len & 0xff) + 1 + (e->exe_len & 0xff) + 1;
}

/* 256 readable bytes at `off` (at most 2 * MQ_OPEN_NAME_MAX) of an event's data, or NULL */
static __always_inline const __u8 *data_at(struct mq_open_event *e, __u64 off)
{
	/* one 64-bit register for the check and the addition, so the verifier sees the bound */
	if (!e || off > 2 * MQ_OPEN_NAME_MAX)
		return NULL;
	barrier_var(off);
	return e->data + off;
}

static __always_inline struct mq_open_event *pending_ev(void)
{
	struct pending *p = pending_get(current_task(), 0);

	return p ? &p->ev : NULL;
}

static __always_inline const __u8 *exit_read(void)
{
	__u32 zero = 0;
	struct name_buf *nb = bpf_map_lookup_elem(&exit_scratch, &zero);

	return nb ? nb->name : NULL;
}

static __always_inline struct mq_open_event *open_ev(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&open_scratch, &zero);
}

/*
 * The comparisons of names, as global functions (not static): the verifier checks each once, not
 * once per path of its caller that reaches it, which made the exit programs' verification walk
 * hundreds of thousands of instructions. Arguments are plain numbers (all 5.10 allows); each finds
 * its strings itself. 1 when the first n bytes are equal.
 */
__noinline int eq_pending_names(__u64 off, __u32 n)
{
	return bytes_equal(data_at(pending_ev(), 0), data_at(pending_ev(), off), n);
}

__noinline int eq_pending_exit_read(__u32 n)
{
	return bytes_equal(data_at(pending_ev(), 0), exit_read(), n);
}

__noinline int prefix_of_pending(__u64 off, __u32 n)
{
	return bytes_equal(data_at(pending_ev(), off), (const __u8 *)name_prefix, n);
}

__noinline int prefix_of_exit_read(__u32 n)
{
	return bytes_equal(exit_read(), (const __u8 *)name_prefix, n);
}

__noinline int prefix_of_open(__u64 off, __u32 n)
{
	return bytes_equal(data_at(open_ev(), off), (const __u8 *)name_prefix, n);
}

/* 1 when the first n bytes of the open being examined hold a '/' (or it can't be read) */
__noinline int open_has_slash(__u32 n)
{
	struct mq_open_event *e = open_ev();
	__u32 i;

	if (!e)
		return 1;
	for (i = 0; i < MQ_OPEN_NAME_MAX / 8; i++) {
		__u32 off = i * 8;
		/* a byte of `x` is 0 where the path has a '/': the classic zero-byte test, on 8 bytes at once */
		__u64 x, z;

		if (off >= n)
			break;
		x = *(__u64 *)(e->data + off) ^ 0x2f2f2f2f2f2f2f2fULL;
		z = (x - 0x0101010101010101ULL) & ~x & 0x8080808080808080ULL;
		if (n - off < 8)
			z &= (1ULL << (((n - off) * 8) & 63)) - 1; /* the bytes past n don't count */
		if (z)
			return 1;
	}
	return 0;
}

/* the prefix length to compare `len` bytes against, or -1 when they can't match (an unreadable name never does) */
static __always_inline long prefix_len_for(long len)
{
	__s64 plen = name_prefix_len; /* replaced on a reload: read once */

	return len < 0 || len < plen ? -1 : plen;
}

#include "fairness.bpf.h"

/*
 * Every event of every call goes out here, after the filters: over its uid's (or cgroup's) budget it is
 * counted as suppressed instead, else written or counted as lost, so each recorded call lands in exactly one
 * of emitted, suppressed or lost.
 */
static __always_inline void emit(void *ctx, struct mq_open_event *e)
{
	__u32 size = mq_open_event_wire_size(e);
	long err;

	if (fair_interval_ns && !fair_admit(e->uid, e->cgroup_id)) {
		fair_account(e->uid, 0);
		count(MQ_OPEN_CTR_SUPPRESSED);
		return;
	}
	if (use_ringbuf) {
		__u64 flags = BPF_RB_NO_WAKEUP;

		if (bpf_ringbuf_query(&ringbuf, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		err = bpf_ringbuf_output(&ringbuf, e, size, flags);
	} else {
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, size);
	}
	count(err ? MQ_OPEN_CTR_LOST : MQ_OPEN_CTR_EMITTED);
	if (err)
		fair_account(e->uid, 1); /* whose event the buffer had no room for */
}

/* ---- mq_open ---- */

/* on_enter's attr_in_kernel: 1 a kernel struct mq_attr, 0 a user one, ATTR_COMPAT_USER a 32-bit caller's */
#define ATTR_COMPAT_USER 2

static __always_inline int on_enter(const char *u_name, int oflag, __u32 mode, const void *attr,
				    int attr_in_kernel, __u8 probe)
{
	struct task_struct *task = current_task();
	struct mq_open_event *e;
	struct pending *p = pending_get(task, 1);
	int drop = 0;

	if (!p) {
		drop = 1;
	} else {
		if (p->state == ST_ACTIVE)
			count(MQ_OPEN_CTR_EXIT_MISSED); /* that call's exit never ran: its event is lost here */
		if (task_filtered()) {
			p->state = ST_FILTERED;
			count(MQ_OPEN_CTR_FILTERED);
			return 0;
		}
		if (inject_entry_skip && bpf_get_prandom_u32() % inject_entry_skip == 0) {
			/* as if the kernel skipped this program, which it counts: a call whose exit the kernel
			 * really skips too is then still counted (entrySkipped takes the larger count) */
			p->state = ST_NONE;
			count(MQ_OPEN_CTR_INJECTED_ENTRY_SKIP);
			return 0;
		}
		drop = inject_entry_drop && bpf_get_prandom_u32() % inject_entry_drop == 0;
	}
	if (drop) {
		__u32 tid = (__u32)bpf_get_current_pid_tgid();
		__u8 one = 1;

		/* counted here; the exit finds no entry and must not count it again */
		count(MQ_OPEN_CTR_ENTRY_DROP);
		bpf_map_update_elem(&entry_dropped, &tid, &one, BPF_ANY);
		if (p)
			p->state = ST_NONE;
		return 0;
	}
	e = &p->ev;

	/* the name prefix is decided at exit, on the kernel's name where the call succeeds */
	set_name(e, read_name(e->data, u_name));
	if (e->name_error)
		count(MQ_OPEN_CTR_NAME_ERROR);
	p->name_ptr = (__u64)u_name;
	p->created_dentry = 0;

	e->boot_ns = bpf_ktime_get_boot_ns();
	e->duration_ns = 0;
	e->ret = 0;
	e->oflag = oflag;
	e->mode = mode;
	e->name_changed = 0;
	e->probe = probe;
	e->api = MQ_OPEN_API_MQ_OPEN;
	e->created = MQ_OPEN_CREATED_UNKNOWN;
	e->queue_ino = 0;
	e->queue_mode = e->queue_uid = e->queue_gid = e->queue_ipc_ns = 0;
	e->kname_len = 0;
	__builtin_memset(e->reserved, 0, sizeof(e->reserved));
	fill_caller(task, e, exe_offset(e));

	e->has_attr = attr != NULL;
	e->attr_error = 0;
	e->attr_flags = e->attr_maxmsg = e->attr_msgsize = e->attr_curmsgs = 0;
	if (attr) {
		long a[4] = {}; /* mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs */
		long err;

		if (attr_in_kernel == ATTR_COMPAT_USER) {
			__s32 c[8] = {}; /* struct compat_mq_attr: four 32-bit longs, then reserved */

			err = bpf_probe_read_user(c, sizeof(c), attr);
			a[0] = c[0];
			a[1] = c[1];
			a[2] = c[2];
			a[3] = c[3];
		} else {
			err = attr_in_kernel ? bpf_probe_read_kernel(a, sizeof(a), attr)
					     : bpf_probe_read_user(a, sizeof(a), attr);
		}

		if (err) {
			e->attr_error = (__s32)-err;
			count(MQ_OPEN_CTR_ATTR_ERROR);
		} else {
			e->attr_flags = a[0];
			e->attr_maxmsg = a[1];
			e->attr_msgsize = a[2];
			e->attr_curmsgs = a[3];
		}
	}

	p->state = ST_ACTIVE;
	return 0;
}

/* 1 when the name read at exit (now, n) differs from the one read at entry: both must be readable. */
static __always_inline int reads_differ(struct mq_open_event *e, const __u8 *now, long n)
{

	if (e->name_error || n < 0)
		return 0; /* a read that failed tells nothing about what the kernel used */
	if ((n > MQ_OPEN_NAME_MAX) != (e->name_truncated != 0))
		return 1;
	/* 5.10 returns 0, not 1, for an empty string: both reads count it as length 0 */
	if (!e->name_truncated && (__u32)(n > 0 ? n - 1 : 0) != e->name_len)
		return 1;
	return !eq_pending_exit_read(e->name_len);
}

/* created, from what this set can see (see MqOpen.created's doc) */
static __always_inline __u8 created_of(struct pending *p, int success, __u64 dentry)
{
	int oflag = p->ev.oflag;

	if (!(oflag & MQ_O_CREAT))
		return MQ_OPEN_CREATED_NO;
	if (!success)
		return MQ_OPEN_CREATED_UNKNOWN;
	if (oflag & MQ_O_EXCL)
		return MQ_OPEN_CREATED_YES;
	if (has_create_hook)
		return p->created_dentry && p->created_dentry == dentry ? MQ_OPEN_CREATED_YES : MQ_OPEN_CREATED_NO;
	return MQ_OPEN_CREATED_UNKNOWN;
}

/*
 * An exit whose entry is missing: lost, unless the entry was already counted as dropped, or the
 * call would have been filtered (own process, uid, comm, cgroup; the name prefix on the kernel's
 * name where the call succeeded).
 */
static __always_inline void exit_without_entry(struct task_struct *task, long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();

	if (bpf_map_lookup_elem(&entry_dropped, &tid)) {
		bpf_map_delete_elem(&entry_dropped, &tid);
		return;
	}
	if (task_filtered()) {
		count(MQ_OPEN_CTR_FILTERED);
		return;
	}
	if (name_prefix_len && ret >= 0) {
		struct qfile q = {};
		__u32 zero = 0;
		struct name_buf *nb = bpf_map_lookup_elem(&exit_scratch, &zero);

		long plen;

		if (nb && read_qfile(fd_file(task, ret), &q) &&
		    ((plen = prefix_len_for(dentry_name(nb->name, q.dentry))) < 0 || !prefix_of_exit_read(plen))) {
			count(MQ_OPEN_CTR_FILTERED);
			return;
		}
	}
	count(MQ_OPEN_CTR_NO_ENTRY);
}

static __always_inline int on_exit(void *ctx, long ret)
{
	struct task_struct *task = current_task();
	struct mq_open_event *e;
	struct name_buf *nb;
	struct pending *p;
	__u32 zero = 0, koff;
	int keep = 1;

	p = pending_get(task, 0);
	if (!p || p->state == ST_NONE) {
		exit_without_entry(task, ret);
		return 0;
	}
	if (p->state == ST_FILTERED) {
		p->state = ST_NONE;
		if (ret >= 0 && !mq_fops_kallsyms && !mq_fops_learned) {
			struct qfile q = {};

			if (read_qfile(fd_file(task, ret), &q))
				learn_mq_fops(&q); /* even a filtered call's queue teaches the open hooks */
		}
		pending_done();
		return 0;
	}
	if (inject_exit_skip && bpf_get_prandom_u32() % inject_exit_skip == 0)
		return 0; /* as if the kernel skipped this program: the entry stays active */
	p->state = ST_NONE;
	e = &p->ev;
	e->ret = ret;
	e->duration_ns = bpf_ktime_get_boot_ns() - e->boot_ns;

	if (ret >= 0 && !(skip_fields & SKIP_QUEUE)) {
		struct qfile q = {};

		if (read_qfile(fd_file(task, ret), &q)) {
			long klen;

			learn_mq_fops(&q);
			koff = kname_offset(e);
			/* do_mq_open opens in the caller's IPC namespace's own mount */
			klen = fill_queue(&q, e, koff, e->ipc_ns ? e->ipc_ns : 0);
			e->created = created_of(p, 1, (__u64)q.dentry);
			if (klen < 0) {
				e->flags |= MQ_OPEN_F_NO_KNAME; /* the dentry's name could not be read */
				e->kname_len = 0;
			} else if (!e->name_error && !e->name_truncated && klen == e->name_len &&
				   eq_pending_names(koff, klen)) {
				e->flags |= MQ_OPEN_F_KNAME_SAME;
				e->kname_len = 0;
			} else {
				e->kname_len = klen;
				/* a name unreadable at entry that the kernel resolved is not a change */
				if (!e->name_error) {
					e->name_changed = 1;
					count(MQ_OPEN_CTR_NAME_CHANGED);
				}
			}
			if (name_prefix_len) {
				koff &= 0x3ff;
				if (koff > 2 * MQ_OPEN_NAME_MAX)
					koff = 2 * MQ_OPEN_NAME_MAX;
				long plen = prefix_len_for((e->flags & MQ_OPEN_F_KNAME_SAME) ? e->name_len : klen);

				keep = plen >= 0 && prefix_of_pending((e->flags & MQ_OPEN_F_KNAME_SAME) ? 0 : koff, plen);
			}
			goto out;
		}
		count(MQ_OPEN_CTR_QUEUE_UNRESOLVED); /* closed or reused by another thread before this exit */
	} else if (ret >= 0) {
		goto out; /* a benchmark measuring the queue fields' cost */
	}

	/* failed (or unresolved): the name the call used is judged from the two reads of user memory */
	e->created = created_of(p, 0, 0);
	nb = bpf_map_lookup_elem(&exit_scratch, &zero);
	if (nb) {
		long n = read_name(nb->name, (const void *)p->name_ptr);

		if (reads_differ(e, nb->name, n)) {
			e->name_changed = 1;
			count(MQ_OPEN_CTR_NAME_CHANGED);
		}
		if (name_prefix_len)
		{
			long entry = prefix_len_for(e->name_error ? -1 : e->name_len);
			long now = prefix_len_for(n > MQ_OPEN_NAME_MAX ? MQ_OPEN_NAME_KEEP : n - 1);

			keep = (entry >= 0 && prefix_of_pending(0, entry)) || (now >= 0 && prefix_of_exit_read(now));
		}
	}
out:
	if (!keep)
		count(MQ_OPEN_CTR_FILTERED);
	else
		emit(ctx, e);
	pending_done();
	return 0;
}

/* mqueue_create_attr(dentry, mode, attr): the queue is created now, by this thread's call */
static __always_inline int on_create(struct dentry *dentry)
{
	struct pending *p = pending_get(current_task(), 0);

	if (p && p->state == ST_ACTIVE)
		p->created_dentry = (__u64)dentry;
	return 0;
}

/* A thread exits: an entry still active means its exit never ran (and never will). */
SEC("raw_tp/sched_process_exit")
int BPF_PROG(task_exit)
{
	struct pending *p = pending_get(current_task(), 0);

	if (p && p->state == ST_ACTIVE) {
		if (inject_task_exit_skip && bpf_get_prandom_u32() % inject_task_exit_skip == 0)
			/* as if the kernel skipped this program: its miss is the only count (the entry is still
			 * cleared, so a later thread with this id, in the fallback's hash, does not count it again) */
			count(MQ_OPEN_CTR_INJECTED_TASK_EXIT_SKIP);
		else
			count(MQ_OPEN_CTR_EXIT_MISSED);
	}
	if (p) {
		p->state = ST_NONE;
		pending_done();
	}
	return 0;
}

/* ---- open/openat/openat2/creat of a file on an mqueue filesystem ---- */

/* which syscall an open exit belongs to, for reading its arguments from the saved registers */
#define OPEN_SYS_OPEN 1
#define OPEN_SYS_OPENAT 2
#define OPEN_SYS_OPENAT2 3
#define OPEN_SYS_CREAT 4
#define OPEN_SYS_FROM_REGS 5 /* kretprobe: decide from the syscall number */

struct open_args {
	long dfd;
	const char *path;
	__u64 flags;
	__u64 mode;
};

#define MQ_O_WRONLY 01
#define MQ_O_TRUNC 01000

/* x86_64 and i386 syscall numbers of the open family */
#define NR64_OPEN 2
#define NR64_CREAT 85
#define NR64_OPENAT 257
#define NR_OPENAT2 437
#define NR32_OPEN 5
#define NR32_CREAT 8
#define NR32_OPENAT 295
#define X86_USER32_CS 0x23
#define X32_SYSCALL_BIT 0x40000000

/* The open's arguments, from the registers it entered the kernel with (they are intact at exit). */
static __always_inline int open_args_from_regs(struct task_struct *task, int sys, struct open_args *a)
{
	struct pt_regs *regs = user_regs(task);
	unsigned long arg[4] = {};
	int compat = 0;

#if defined(__TARGET_ARCH_x86)
	if (sys == OPEN_SYS_FROM_REGS) {
		long nr = BPF_CORE_READ(regs, orig_ax);

		compat = (BPF_CORE_READ(regs, cs) & 0xffff) == X86_USER32_CS;
		if (!compat)
			nr &= ~(long)X32_SYSCALL_BIT;
		if (nr == (compat ? NR32_OPEN : NR64_OPEN))
			sys = OPEN_SYS_OPEN;
		else if (nr == (compat ? NR32_OPENAT : NR64_OPENAT))
			sys = OPEN_SYS_OPENAT;
		else if (nr == NR_OPENAT2)
			sys = OPEN_SYS_OPENAT2;
		else if (nr == (compat ? NR32_CREAT : NR64_CREAT))
			sys = OPEN_SYS_CREAT;
		else
			return -1; /* not an open syscall (a kernel-internal open): not recorded */
	}
	if (compat) {
		arg[0] = BPF_CORE_READ(regs, bx);
		arg[1] = BPF_CORE_READ(regs, cx);
		arg[2] = BPF_CORE_READ(regs, dx);
		arg[3] = BPF_CORE_READ(regs, si);
	} else
#endif
	{
		arg[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
		arg[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
		arg[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
		arg[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	}
	switch (sys) {
	case OPEN_SYS_OPEN:
		a->dfd = MQ_AT_FDCWD;
		a->path = (const char *)arg[0];
		a->flags = (__u32)arg[1];
		a->mode = (__u32)arg[2];
		break;
	case OPEN_SYS_CREAT:
		a->dfd = MQ_AT_FDCWD;
		a->path = (const char *)arg[0];
		a->flags = MQ_O_CREAT | MQ_O_WRONLY | MQ_O_TRUNC;
		a->mode = (__u32)arg[1];
		break;
	case OPEN_SYS_OPENAT:
		a->dfd = (int)arg[0];
		a->path = (const char *)arg[1];
		a->flags = (__u32)arg[2];
		a->mode = (__u32)arg[3];
		break;
	case OPEN_SYS_OPENAT2: {
		struct open_how how = {};

		a->dfd = (int)arg[0];
		a->path = (const char *)arg[1];
		bpf_probe_read_user(&how, sizeof(how), (const void *)arg[2]);
		a->flags = how.flags;
		a->mode = how.mode;
		break;
	}
	default:
		return -1;
	}
	return 0;
}

/* The directory a failed open's path is relative to: its dirfd, or AT_FDCWD. Reads as little as it can. */
static __always_inline long open_dfd(struct task_struct *task, int sys, struct open_args *known)
{
	if (known)
		return known->dfd;
	if (sys == OPEN_SYS_OPEN || sys == OPEN_SYS_CREAT)
		return MQ_AT_FDCWD;
	return (int)PT_REGS_PARM1_CORE_SYSCALL(user_regs(task));
}

/* 1 when the directory a path is relative to (dirfd, or the working directory) is on an mqueue filesystem */
static __always_inline int base_on_mqueue(struct task_struct *task, long dfd)
{
	struct file *dir;

	if (dfd == MQ_AT_FDCWD)
		return RD(task, fs, pwd.dentry, d_sb, s_magic) == MQUEUE_MAGIC;
	dir = fd_file(task, dfd);
	return is_mqueue_dentry(dir ? BPF_CORE_READ(dir, f_path.dentry) : NULL);
}

/*
 * A failed open is recorded when it can be put on an mqueue filesystem without walking a path:
 * a single path component (no '/') relative to a directory on one. Returns 1 then, with the
 * path read into e->data.
 */
static __always_inline int single_component(struct open_args *a, struct mq_open_event *e)
{
	long n = read_name(e->data, a->path);

	if (n <= 1 || n > MQ_OPEN_NAME_MAX)
		return 0; /* unreadable, empty or too long for one component */
	if (open_has_slash(n - 1))
		return 0;
	if (e->data[0] == '.' && (n == 2 || (n == 3 && e->data[1] == '.')))
		return 0; /* "." and ".." name directories */
	set_name(e, n);
	return 1;
}

/*
 * The exit of an open: the cheap check first (a descriptor whose file is on an mqueue
 * filesystem; for a failure, a base directory on one), then the event. `known` holds the
 * arguments when the hook has them, else `sys` says which syscall's registers to read.
 */
static __always_inline int on_open_exit(void *ctx, long ret, int sys, struct open_args *known, __u8 probe)
{
	struct task_struct *task = current_task();
	struct open_args args = {};
	struct mq_open_event *e;
	struct qfile q = {};
	__u32 zero = 0, koff;
	int keep = 1;
	long klen;

	if (ret >= 0) {
		if (!read_qfile(fd_file(task, ret), &q))
			return 0;
	} else if (sys == OPEN_SYS_FROM_REGS) {
		if (open_args_from_regs(task, sys, &args) || !base_on_mqueue(task, args.dfd))
			return 0;
	} else if (!base_on_mqueue(task, open_dfd(task, sys, known))) {
		return 0;
	}
	if (known)
		args = *known;
	else if (sys != OPEN_SYS_FROM_REGS || ret >= 0) {
		if (open_args_from_regs(task, sys, &args))
			return 0;
	}
	e = bpf_map_lookup_elem(&open_scratch, &zero);
	if (!e)
		return 0;
	if (ret >= 0)
		set_name(e, read_name(e->data, args.path));
	else if (!single_component(&args, e))
		return 0;
	count(MQ_OPEN_CTR_FS_OPENS);
	if (task_filtered()) {
		count(MQ_OPEN_CTR_FILTERED);
		return 0;
	}
	if (inject_open_exit_skip && bpf_get_prandom_u32() % inject_open_exit_skip == 0) {
		count(MQ_OPEN_CTR_INJECTED_OPEN_EXIT_SKIP); /* as if the kernel skipped this program: its miss is the count */
		return 0;
	}

	e->boot_ns = bpf_ktime_get_boot_ns();
	e->duration_ns = 0;
	e->ret = ret;
	e->oflag = (__s32)args.flags;
	e->mode = (__u32)args.mode;
	e->name_changed = 0;
	e->probe = probe;
	e->api = MQ_OPEN_API_OPEN;
	e->has_attr = 0;
	e->attr_error = 0;
	e->attr_flags = e->attr_maxmsg = e->attr_msgsize = e->attr_curmsgs = 0;
	e->queue_ino = 0;
	e->queue_mode = e->queue_uid = e->queue_gid = e->queue_ipc_ns = 0;
	e->kname_len = 0;
	__builtin_memset(e->reserved, 0, sizeof(e->reserved));
	fill_caller(task, e, exe_offset(e));

	if (ret >= 0) {
		koff = kname_offset(e);
		klen = fill_queue(&q, e, koff, 0);
		e->created = (q.f_mode & FMODE_CREATED) ? MQ_OPEN_CREATED_YES : MQ_OPEN_CREATED_NO;
		/* the path and the queue's name differ by design here: the kernel name is always sent */
		if (klen < 0)
			e->flags |= MQ_OPEN_F_NO_KNAME;
		e->kname_len = klen > 0 ? klen : 0;
		if (name_prefix_len) {
			koff &= 0x3ff;
			if (koff > 2 * MQ_OPEN_NAME_MAX)
				koff = 2 * MQ_OPEN_NAME_MAX;
			long plen = prefix_len_for(klen);

			keep = plen >= 0 && prefix_of_open(koff, plen);
		}
	} else {
		e->created = (args.flags & MQ_O_CREAT) ? MQ_OPEN_CREATED_UNKNOWN : MQ_OPEN_CREATED_NO;
		if (name_prefix_len)
		{
			long plen = prefix_len_for(e->name_len);

			keep = plen >= 0 && prefix_of_open(0, plen);
		}
	}
	if (!keep)
		count(MQ_OPEN_CTR_FILTERED);
	else
		emit(ctx, e);
	pending_done();
	return 0;
}

/* ---- fentry/fexit: cheapest, where the kernel allows tracing programs ---- */

SEC("fentry/do_mq_open")
int BPF_PROG(fentry_do_mq_open, const char *u_name, int oflag, umode_t mode, struct mq_attr *attr)
{
	return on_enter(u_name, oflag, mode, attr, 1, MQ_OPEN_PROBE_FENTRY);
}

SEC("fexit/do_mq_open")
int BPF_PROG(fexit_do_mq_open, const char *u_name, int oflag, umode_t mode, struct mq_attr *attr,
	     int ret)
{
	return on_exit(ctx, ret);
}

SEC("fentry/mqueue_create_attr")
int BPF_PROG(fentry_mqueue_create_attr, struct dentry *dentry)
{
	return on_create(dentry);
}

/* do_sys_openat2 serves open, openat, openat2 and creat (native and compat); it returns long up to
 * 6.x and int in 7.x: as an int, the value is right either way (an fd or -errno) */
SEC("fexit/do_sys_openat2")
int BPF_PROG(fexit_do_sys_openat2, int dfd, const char *filename, struct open_how *how, int ret)
{
	struct open_args a = {
		.dfd = dfd,
		.path = filename,
		.flags = BPF_CORE_READ(how, flags),
		.mode = BPF_CORE_READ(how, mode),
	};

	return on_open_exit(ctx, ret, 0, &a, MQ_OPEN_PROBE_FENTRY);
}

/* ---- kprobe/kretprobe: the hook users ask for by name ---- */

SEC("kprobe/do_mq_open")
int BPF_KPROBE(kprobe_do_mq_open, const char *u_name, int oflag, umode_t mode, struct mq_attr *attr)
{
	return on_enter(u_name, oflag, mode, attr, 1, MQ_OPEN_PROBE_KPROBE);
}

SEC("kretprobe/do_mq_open")
int BPF_KRETPROBE(kretprobe_do_mq_open, int ret)
{
	return on_exit(ctx, ret);
}

SEC("kprobe/mqueue_create_attr")
int BPF_KPROBE(kprobe_mqueue_create_attr, struct dentry *dentry)
{
	return on_create(dentry);
}

SEC("kretprobe/do_sys_openat2")
int BPF_KRETPROBE(kretprobe_do_sys_openat2, int ret)
{
	return on_open_exit(ctx, ret, OPEN_SYS_FROM_REGS, NULL, MQ_OPEN_PROBE_KPROBE);
}

/* ---- the rest of a queue's life: unlink, send, receive, notify, getsetattr ---- */

#include "mq_calls.bpf.h"

/*
 * ---- the tracepoint set: the raw syscall tracepoints through BTF, one program at every syscall's entry and one
 * at its exit, dispatching on the syscall's number (attr is a user pointer here) ----
 *
 * A syscall tracepoint per call (syscalls:sys_exit_openat ...) costs its caller a perf record of the arguments
 * before any program runs; these hooks read the registers the raw tracepoint hands over, by direct loads. Other
 * syscalls pay one number check in each. 32-bit callers (where the kernel has IA-32 emulation: x86 TS_COMPAT)
 * number their calls from another table: their mq_* calls are dispatched apart when compat32Hooks is on.
 */
#define IA32_NR_MQ_OPEN 277 /* mq_open in the i386 syscall table */
#define X86_TS_COMPAT 0x0002

/* x86_64 numbers of the opens the tracepoint set records (the mq_* calls': mq_calls.bpf.h) */
#define NR64_OPEN 2
#define NR64_CREAT 85
#define NR64_OPENAT 257
#define NR64_OPENAT2 437

/* set by the loader: the kernel has IA-32 emulation (an i386 caller's 240 is futex); compat32Hooks is on */
const volatile __u8 has_ia32 = 0;
const volatile __u8 compat_hooks = 0;
/* 0: benchmarks leave the opens through the filesystem out (the loader's MQTAP_SKIP_OPEN_HOOKS) */
const volatile __u8 open_hooks = 1;

static __always_inline int in_ia32_syscall(struct pt_regs *regs)
{
	struct task_struct *t = current_task();

	if (bpf_core_field_exists(t->thread_info.status))
		return RD(t, thread_info.status) & X86_TS_COMPAT;
	return BPF_CORE_READ(regs, cs) == X86_USER32_CS; /* misses int $0x80 from 64-bit code only */
}

SEC("tp_btf/sys_enter")
int BPF_PROG(btf_sys_enter, struct pt_regs *regs, long nr)
{
	if (nr == NR64_MQ_OPEN) {
		if (has_ia32 && in_ia32_syscall(regs))
			return 0;
		return on_enter((const char *)PT_REGS_PARM1_SYSCALL(regs), (int)PT_REGS_PARM2_SYSCALL(regs),
				(__u32)PT_REGS_PARM3_SYSCALL(regs), (const void *)PT_REGS_PARM4_SYSCALL(regs), 0,
				MQ_OPEN_PROBE_TRACEPOINT);
	}
	if (!compat_hooks || nr != IA32_NR_MQ_OPEN || !in_ia32_syscall(regs))
		return 0;
	/* i386 arguments: ebx, ecx, edx, esi; pointers are 32-bit */
	return on_enter((const char *)(__u64)(__u32)regs->bx, (int)regs->cx, (__u32)regs->dx,
			(const void *)(__u64)(__u32)regs->si, ATTR_COMPAT_USER, MQ_OPEN_PROBE_TRACEPOINT);
}

/* an x86_64 call this set records, by number */
static __always_inline int nr64_recorded(long nr)
{
	return nr == NR64_OPEN || nr == NR64_CREAT || (nr >= NR64_MQ_OPEN && nr <= NR64_MQ_GETSETATTR) ||
	       nr == NR64_OPENAT || nr == NR64_OPENAT2;
}

/* an i386 mq_* call: mq_open .. mq_getsetattr are 277..282, and the 64-bit-time send and receive 418, 419 */
static __always_inline int nr32_recorded(long nr)
{
	return (nr >= IA32_NR_MQ_OPEN && nr <= NR32_MQ_GETSETATTR) || nr == NR32_MQ_TIMEDSEND64 ||
	       nr == NR32_MQ_TIMEDRECEIVE64;
}

/*
 * The exit's branches, each a subprogram of its own: inlined into one program their locals took 496 bytes of stack,
 * and 5.10's verifier refused that with the global subprograms they call (a 512-byte limit across a call chain).
 */
static __noinline int sys_exit_mq_open(void *ctx, long ret)
{
	return on_exit(ctx, ret);
}

static __noinline int sys_exit_open(void *ctx, long ret, int sys)
{
	return on_open_exit(ctx, ret, sys, NULL, MQ_OPEN_PROBE_TRACEPOINT);
}

static __noinline int sys_exit_call(void *ctx, struct pt_regs *regs, long nr, long ret)
{
	return on_call_exit(ctx, regs, nr, ret);
}

static __noinline int sys_exit_compat(void *ctx, long nr, long ret)
{
	if (nr == IA32_NR_MQ_OPEN)
		return on_exit(ctx, ret);
	return queue_life ? on_compat_exit(ctx, nr, ret) : 0;
}

SEC("tp_btf/sys_exit")
int BPF_PROG(btf_sys_exit, struct pt_regs *regs, long ret)
{
	long nr = regs->orig_ax;

	if (nr32_recorded(nr)) {
		if (!compat_hooks || !in_ia32_syscall(regs))
			return 0;
		return sys_exit_compat(ctx, nr, ret);
	}
	if (!nr64_recorded(nr) || (has_ia32 && in_ia32_syscall(regs)))
		return 0;
	switch (nr) {
	case NR64_MQ_OPEN:
		return sys_exit_mq_open(ctx, ret);
	case NR64_OPEN:
		return open_hooks ? sys_exit_open(ctx, ret, OPEN_SYS_OPEN) : 0;
	case NR64_CREAT:
		return open_hooks ? sys_exit_open(ctx, ret, OPEN_SYS_CREAT) : 0;
	case NR64_OPENAT:
		return open_hooks ? sys_exit_open(ctx, ret, OPEN_SYS_OPENAT) : 0;
	case NR64_OPENAT2:
		return open_hooks ? sys_exit_open(ctx, ret, OPEN_SYS_OPENAT2) : 0;
	}
	if (!queue_life)
		return 0;
	return sys_exit_call(ctx, regs, nr, ret);
}
