// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * mqtap: one event per mq_open call, emitted at exit with the arguments captured at entry.
 * Three hook sets on the same call (fentry/fexit and kprobe/kretprobe on do_mq_open, the
 * syscall tracepoints); the loader enables exactly one set before load.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "mq_open_event.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Tunables, set by the loader before load. */
const volatile __u32 self_tgid = 0;              /* mqtap's own process: always excluded */
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
const volatile __u8 use_task_btf = 1;            /* 1: bpf_get_current_task_btf(); 0: bpf_get_current_task() + CO-RE reads */

/* filter map values: bit flags, so one map serves include and exclude */
#define FILTER_INCLUDE 1
#define FILTER_EXCLUDE 2

/* the event under construction, plus what only the exit handler needs */
struct pending {
	struct mq_open_event ev;
	__u8 spill[8];   /* room for the 257th byte read to detect truncation */
	__u64 name_ptr;  /* user pointer to the name, re-read at exit */
	__u64 active;    /* 1 between an entry and its exit */
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

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_buf);
} exit_scratch SEC(".maps");

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

static __always_inline void count(__u32 idx)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += 1; /* per-CPU slot: no atomics needed */
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
static __always_inline int task_filtered(__u32 tgid, __u32 uid)
{
	if (tgid == self_tgid)
		return 1;
	if (uid_include || uid_exclude) {
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

static __always_inline int prefix_matches(const __u8 *name, long read_len)
{
	__u32 i;

	if (read_len < 0)
		return 0; /* unreadable name never matches */
	for (i = 0; i < MQ_OPEN_NAME_MAX; i++) {
		if (i >= name_prefix_len)
			return 1;
		if (name[i] != name_prefix[i])
			return 0;
	}
	return 1;
}

/* Reads the name at most MQ_OPEN_NAME_MAX + 1 bytes: a result of MQ_OPEN_NAME_MAX + 1 means longer than kept. */
static __always_inline long read_name(__u8 *dst, const void *u_name)
{
	return bpf_probe_read_user_str(dst, MQ_OPEN_NAME_MAX + 1, u_name);
}

/*
 * ns_pid and pid_ns: the tgid's number in the innermost pid namespace, and that namespace.
 * The upid's address is computed from a plain number (read, not a BTF pointer): 6.1's verifier
 * refuses variable arithmetic on a BTF pointer. Fields are CO-RE-relocated.
 */
static __always_inline void read_pid_ns(struct task_struct *task, struct mq_open_event *e)
{
	struct pid *pid = BPF_CORE_READ(task, group_leader, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	__u64 upid = (__u64)pid + bpf_core_field_offset(struct pid, numbers) +
		     (__u64)(level & 0xff) * bpf_core_type_size(struct upid);
	struct pid_namespace *ns = NULL;
	int nr = 0;

	bpf_probe_read_kernel(&nr, sizeof(nr), (void *)(upid + bpf_core_field_offset(struct upid, nr)));
	bpf_probe_read_kernel(&ns, sizeof(ns), (void *)(upid + bpf_core_field_offset(struct upid, ns)));
	e->ns_pid = nr;
	e->pid_ns = BPF_CORE_READ(ns, ns.inum);
}

/* The current task: a BTF pointer where the kernel has bpf_get_current_task_btf, else a plain address. */
static __always_inline struct task_struct *current_task(void)
{
	if (use_task_btf)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

/* ppid and mount namespace: direct (fault-safe, no helper call) loads through a BTF pointer, else CO-RE reads */
static __always_inline void read_task(struct task_struct *task, struct mq_open_event *e)
{
	if (use_task_btf) {
		e->ppid = task->real_parent->tgid;
		e->mnt_ns = task->nsproxy->mnt_ns->ns.inum;
	} else {
		e->ppid = BPF_CORE_READ(task, real_parent, tgid);
		e->mnt_ns = BPF_CORE_READ(task, nsproxy, mnt_ns, ns.inum);
	}
	read_pid_ns(task, e);
}

/* This thread's pending entry; created at entry (create = 1). */
static __always_inline struct pending *pending_of(struct task_struct *task, __u32 tid, int create)
{
	struct pending *p;
	__u32 zero = 0;

	if (use_task_storage)
		return bpf_task_storage_get(&pending, task, NULL, create ? BPF_LOCAL_STORAGE_GET_F_CREATE : 0);
	p = bpf_map_lookup_elem(&pending, &tid);
	if (p || !create)
		return p;
	p = bpf_map_lookup_elem(&pending_zero, &zero);
	if (!p || bpf_map_update_elem(&pending, &tid, p, BPF_NOEXIST))
		return NULL;
	return bpf_map_lookup_elem(&pending, &tid);
}

/* A hash entry is removed once its exit is done (task storage goes with the task). */
static __always_inline void pending_done(__u32 tid)
{
	if (!use_task_storage)
		bpf_map_delete_elem(&pending, &tid);
}

/* on_enter's attr_in_kernel: 1 a kernel struct mq_attr, 0 a user one, ATTR_COMPAT_USER a 32-bit caller's */
#define ATTR_COMPAT_USER 2

static __always_inline int on_enter(const char *u_name, int oflag, __u32 mode, const void *attr,
				    int attr_in_kernel, __u8 probe)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u64 ugid = bpf_get_current_uid_gid();
	__u32 tgid = id >> 32, tid = (__u32)id;
	struct task_struct *task = current_task();
	struct mq_open_event *e;
	struct pending *p;
	long n;

	if (task_filtered(tgid, (__u32)ugid)) {
		count(MQ_OPEN_CTR_FILTERED);
		return 0;
	}
	p = pending_of(task, tid, 1);
	if (!p) {
		count(MQ_OPEN_CTR_ENTRY_DROP);
		return 0;
	}
	if (p->active)
		count(MQ_OPEN_CTR_EXIT_MISSED); /* that call's exit never ran: its event is lost here */
	p->active = 0;
	e = &p->ev;

	n = read_name(e->name, u_name);
	if (name_prefix_len && !prefix_matches(e->name, n)) {
		/* active stays 0: the exit finds nothing to emit */
		pending_done(tid);
		count(MQ_OPEN_CTR_FILTERED);
		return 0;
	}
	if (n < 0) {
		e->name[0] = 0;
		e->name_len = 0;
		e->name_truncated = 0;
		e->name_error = (__s32)-n;
		count(MQ_OPEN_CTR_NAME_ERROR);
	} else if (n > MQ_OPEN_NAME_MAX) {
		e->name[MQ_OPEN_NAME_KEEP] = 0;
		e->name_len = MQ_OPEN_NAME_KEEP;
		e->name_truncated = 1;
		e->name_error = 0;
	} else {
		e->name_len = n > 0 ? n - 1 : 0;
		e->name_truncated = 0;
		e->name_error = 0;
	}
	p->name_ptr = (__u64)u_name;

	e->boot_ns = bpf_ktime_get_boot_ns();
	e->duration_ns = 0;
	e->cgroup_id = bpf_get_current_cgroup_id();
	e->ret = 0;
	e->pid = tgid;
	e->tid = tid;
	e->uid = (__u32)ugid;
	e->gid = ugid >> 32;
	e->cpu = bpf_get_smp_processor_id();
	e->oflag = oflag;
	e->mode = mode;
	e->name_changed = 0;
	e->probe = probe;
	__builtin_memset(e->reserved, 0, sizeof(e->reserved));
	bpf_get_current_comm(e->comm, sizeof(e->comm));

	read_task(task, e);

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

	p->active = 1;
	return 0;
}

/* 1 when the name read at exit differs from the one read at entry. */
static __always_inline int name_differs(struct pending *p, const __u8 *now, long n)
{
	struct mq_open_event *e = &p->ev;
	__u32 len, i;

	if (e->name_error || n < 0)
		return !(e->name_error && n < 0);
	if ((n > MQ_OPEN_NAME_MAX) != (e->name_truncated != 0))
		return 1;
	/* 5.10 returns 0, not 1, for an empty string: both reads count it as length 0 */
	if (!e->name_truncated && (__u32)(n > 0 ? n - 1 : 0) != e->name_len)
		return 1; /* both long: the kept bytes are compared below */
	len = e->name_len;
	/* compare 8 bytes at a time; bytes past the NUL are masked off */
	for (i = 0; i < MQ_OPEN_NAME_MAX / 8; i++) {
		__u64 a, b;
		__u32 off = i * 8;

		if (off >= len)
			break;
		a = *(__u64 *)(e->name + off);
		b = *(__u64 *)(now + off);
		if (len - off < 8) {
			__u64 mask = (1ULL << ((len - off) * 8)) - 1;

			a &= mask;
			b &= mask;
		}
		if (a != b)
			return 1;
	}
	return 0;
}

static __always_inline int on_exit(void *ctx, long ret)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 zero = 0;
	struct mq_open_event *e;
	struct name_buf *nb;
	struct pending *p;
	__u32 size;
	long n, err;

	p = pending_of(current_task(), (__u32)id, 0);
	if (!p || !p->active) {
		if (p)
			pending_done((__u32)id);
		/* filtered at entry (checked again here), or the probe attached mid-call; with a
		 * name prefix set the two can't be told apart at exit (no name), so no count */
		if (!name_prefix_len && !task_filtered(id >> 32, (__u32)bpf_get_current_uid_gid()))
			count(MQ_OPEN_CTR_NO_ENTRY);
		return 0;
	}
	e = &p->ev;
	e->ret = ret;
	e->duration_ns = bpf_ktime_get_boot_ns() - e->boot_ns;

	nb = bpf_map_lookup_elem(&exit_scratch, &zero);
	if (nb) {
		n = read_name(nb->name, (const void *)p->name_ptr);
		if (name_differs(p, nb->name, n)) {
			e->name_changed = 1;
			count(MQ_OPEN_CTR_NAME_CHANGED);
		}
	}

	/* send the fixed part and the name bytes actually read, plus the NUL */
	size = MQ_OPEN_EVENT_NAME_OFFSET + (e->name_len & 0xff) + 1;
	if (use_ringbuf) {
		__u64 flags = BPF_RB_NO_WAKEUP;

		if (bpf_ringbuf_query(&ringbuf, BPF_RB_AVAIL_DATA) >= ringbuf_wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
		err = bpf_ringbuf_output(&ringbuf, e, size, flags);
	} else {
		err = bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, e, size);
	}
	count(err ? MQ_OPEN_CTR_LOST : MQ_OPEN_CTR_EMITTED);
	p->active = 0;
	pending_done((__u32)id);
	return 0;
}

/* fentry/fexit: cheapest, where the kernel allows tracing programs */
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

/* kprobe/kretprobe: the hook users ask for by name */
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

/* syscall tracepoints: the portable fallback; attr is a user pointer here */
SEC("tracepoint/syscalls/sys_enter_mq_open")
int tp_sys_enter_mq_open(struct trace_event_raw_sys_enter *ctx)
{
	return on_enter((const char *)ctx->args[0], (int)ctx->args[1], (__u32)ctx->args[2],
			(const void *)ctx->args[3], 0, MQ_OPEN_PROBE_TRACEPOINT);
}

SEC("tracepoint/syscalls/sys_exit_mq_open")
int tp_sys_exit_mq_open(struct trace_event_raw_sys_exit *ctx)
{
	return on_exit(ctx, ctx->ret);
}

/*
 * 32-bit callers in tracepoint mode: sys_enter_mq_open never fires for compat syscalls, so where the
 * kernel has IA-32 emulation the loader adds these. They run for every syscall; the number is
 * checked first, then whether the task is in a compat syscall (x86 TS_COMPAT).
 */
#define IA32_NR_MQ_OPEN 277 /* mq_open in the i386 syscall table */
#define X86_TS_COMPAT 0x0002
#define X86_USER32_CS 0x23

static __always_inline int in_ia32_syscall(struct pt_regs *regs)
{
	struct task_struct *t = (struct task_struct *)bpf_get_current_task();

	if (bpf_core_field_exists(t->thread_info.status))
		return BPF_CORE_READ(t, thread_info.status) & X86_TS_COMPAT;
	return BPF_CORE_READ(regs, cs) == X86_USER32_CS; /* misses int $0x80 from 64-bit code only */
}

SEC("raw_tracepoint/sys_enter")
int raw_sys_enter_compat(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	if (ctx->args[1] != IA32_NR_MQ_OPEN || !in_ia32_syscall(regs))
		return 0;
	/* i386 arguments: ebx, ecx, edx, esi; pointers are 32-bit */
	return on_enter((const char *)(__u64)(__u32)BPF_CORE_READ(regs, bx), (int)BPF_CORE_READ(regs, cx),
			(__u32)BPF_CORE_READ(regs, dx), (const void *)(__u64)(__u32)BPF_CORE_READ(regs, si),
			ATTR_COMPAT_USER, MQ_OPEN_PROBE_TRACEPOINT);
}

SEC("raw_tracepoint/sys_exit")
int raw_sys_exit_compat(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];

	if (BPF_CORE_READ(regs, orig_ax) != IA32_NR_MQ_OPEN || !in_ia32_syscall(regs))
		return 0;
	return on_exit(ctx, (long)ctx->args[1]);
}
