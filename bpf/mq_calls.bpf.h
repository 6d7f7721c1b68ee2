/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The rest of a queue's life, after its open: mq_unlink, mq_timedsend and mq_timedreceive, mq_notify and
 * mq_getsetattr. Included by mq_open.bpf.c (it shares that file's buffers, filters and counters).
 *
 * One hook per call, at the call's exit, in each set:
 *   fentry:     fexit on do_mq_timedsend, do_mq_timedreceive, do_mq_notify, do_mq_getsetattr (the kernel's own
 *               copies of the arguments; 32-bit callers come through the same functions), fexit on the
 *               mq_unlink syscall (__x64_sys_mq_unlink, __ia32_sys_mq_unlink), fentry on mqueue_unlink;
 *   kprobe:     kretprobes on the same do_* functions (arguments from the task's saved user registers; notify
 *               and getsetattr keep the kernel's pointers from a kprobe at entry), kretprobes on the mq_unlink
 *               syscall, a kprobe on mqueue_unlink;
 *   tracepoint: the raw syscalls:sys_exit program of mq_open.bpf.c, through BTF, dispatching on the syscall's
 *               number (arguments from its registers and user memory), for 64-bit and 32-bit callers.
 * Send and receive are counted in the kernel by default (access_mode); see struct mq_access_key.
 */
#ifndef MQTAP_MQ_CALLS_BPF_H
#define MQTAP_MQ_CALLS_BPF_H

/* enum mq_access_mode: how send and receive are recorded; off leaves their programs unloaded */
const volatile __u8 access_mode = MQ_ACCESS_AGGREGATE;
/* 0: opens only; the loader leaves the programs of the rest of a queue's life unloaded, and the i386 exit hook
 * (tracepoint set) ignores those calls */
const volatile __u8 queue_life = 1;
/* the aggregation window the programs write to (0 or 1); user space flips it, then reads the other */
volatile __u32 access_window;

struct access_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096); /* capture.access.maxKeys: set by the loader */
	__type(key, struct mq_access_key);
	__type(value, struct mq_access_value);
} access0 SEC(".maps"), access1 SEC(".maps");

/*
 * The two windows' maps, behind a map of maps only so that user space can wait for the programs: rewriting
 * a slot of a map of maps returns once every BPF program that could still use the old value has finished
 * (the kernel's synchronize_rcu), so after a flip of access_window the old window is complete.
 */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct access_map);
} access_windows SEC(".maps") = {
	.values = { &access0, &access1 },
};

struct ctx_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024); /* capture.access.maxContexts: set by the loader */
	__type(key, struct mq_access_ctx_key);
	__type(value, struct mq_open_event);
} access_ctx0 SEC(".maps"), access_ctx1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__type(key, __u32);
	__array(values, struct ctx_map);
} access_ctx_windows SEC(".maps") = {
	.values = { &access_ctx0, &access_ctx1 },
};

/* calls that found the window's hash full, per window and call (index window * MQ_ACCESS_CALLS + call) */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * MQ_ACCESS_CALLS);
	__type(key, __u32);
	__type(value, struct mq_access_overflow);
} access_overflow SEC(".maps");

/* each CPU's open runs of threads' calls, per window (struct mq_access_run): index w * SLOTS + tid % SLOTS */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * MQ_ACCESS_RUN_SLOTS);
	__type(key, __u32);
	__type(value, struct mq_access_run);
} access_runs SEC(".maps");

/* events of these calls are built here (a per-CPU slot of their own, not the open hooks') */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct mq_open_event);
} call_scratch SEC(".maps");

/* a queue's name, read for the name prefix filter */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct name_buf);
} call_name SEC(".maps");

#define EFAULT_ERRNO 14
#define E2BIG_ERRNO 7

/* what mqueue_unlink saw during a thread's mq_unlink, for its exit (fentry and kprobe sets) */
struct unlink_seen {
	__u64 ino;
	__u32 mode, uid, gid, ipc_ns;
	__u32 kname_len; /* MQ_OPEN_NAME_MAX + 1: unreadable */
	__u32 reserved;
	__u8 kname[MQ_OPEN_NAME_MAX + 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct unlink_seen);
} unlink_seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct unlink_seen);
} unlink_scratch SEC(".maps");

/* kprobe set: the kernel's argument pointers of notify and getsetattr, from entry to exit */
struct call_args {
	__u64 a, b;
	__u32 api;
	__u32 reserved;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct call_args);
} call_args SEC(".maps");

/* x86_64 and i386 syscall numbers of the mq_* calls */
#define NR64_MQ_OPEN 240
#define NR64_MQ_UNLINK 241
#define NR64_MQ_TIMEDSEND 242
#define NR64_MQ_TIMEDRECEIVE 243
#define NR64_MQ_NOTIFY 244
#define NR64_MQ_GETSETATTR 245
#define NR32_MQ_UNLINK 278
#define NR32_MQ_TIMEDSEND 279
#define NR32_MQ_TIMEDRECEIVE 280
#define NR32_MQ_NOTIFY 281
#define NR32_MQ_GETSETATTR 282
#define NR32_MQ_TIMEDSEND64 418
#define NR32_MQ_TIMEDRECEIVE64 419

/* The syscall's first five arguments, from the registers the task entered the kernel with. */
static __always_inline void syscall_args(struct task_struct *task, int compat, unsigned long *a)
{
	struct pt_regs *regs = user_regs(task);

#if defined(__TARGET_ARCH_x86)
	if (compat) {
		a[0] = (__u32)BPF_CORE_READ(regs, bx);
		a[1] = (__u32)BPF_CORE_READ(regs, cx);
		a[2] = (__u32)BPF_CORE_READ(regs, dx);
		a[3] = (__u32)BPF_CORE_READ(regs, si);
		a[4] = (__u32)BPF_CORE_READ(regs, di);
		return;
	}
#endif
	a[0] = PT_REGS_PARM1_CORE_SYSCALL(regs);
	a[1] = PT_REGS_PARM2_CORE_SYSCALL(regs);
	a[2] = PT_REGS_PARM3_CORE_SYSCALL(regs);
	a[3] = PT_REGS_PARM4_CORE_SYSCALL(regs);
	a[4] = PT_REGS_PARM5_CORE_SYSCALL(regs);
}

/* 1 when the task is in a 32-bit syscall (kprobe set: do_* serve both) */
static __always_inline int compat_syscall(struct task_struct *task)
{
#if defined(__TARGET_ARCH_x86)
	return (BPF_CORE_READ(user_regs(task), cs) & 0xffff) == X86_USER32_CS;
#else
	return 0;
#endif
}

static __always_inline struct mq_open_event *call_ev(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&call_scratch, &zero);
}

/* the name prefix against n bytes at `off` of the call event (global: verified once) */
__noinline int prefix_of_call(__u64 off, __u32 n)
{
	return bytes_equal(data_at(call_ev(), off), (const __u8 *)name_prefix, n);
}

__noinline int prefix_of_call_name(__u32 n)
{
	__u32 zero = 0;
	struct name_buf *nb = bpf_map_lookup_elem(&call_name, &zero);

	return bytes_equal(nb ? nb->name : NULL, (const __u8 *)name_prefix, n);
}

/* 0 when the name prefix filter (if any) rejects the queue a descriptor names (no queue: never kept) */
static __always_inline int queue_prefix_kept(struct qfile *q, int is_queue)
{
	struct name_buf *nb;
	__u32 zero = 0;
	long plen;

	if (!name_prefix_len)
		return 1;
	nb = bpf_map_lookup_elem(&call_name, &zero);
	if (!nb || !is_queue)
		return 0;
	plen = prefix_len_for(dentry_name(nb->name, q->dentry));
	return plen >= 0 && prefix_of_call_name(plen);
}

/* The event of a call in the per-CPU slot, its common fields set; the call's own fields left zero. */
static __always_inline struct mq_open_event *call_event_begin(__u8 api, __u8 probe, long ret, long mqdes)
{
	struct mq_open_event *e = call_ev();

	if (!e)
		return NULL;
	e->boot_ns = bpf_ktime_get_boot_ns();
	e->duration_ns = 0;
	e->ret = ret;
	e->attr_flags = e->attr_maxmsg = e->attr_msgsize = e->attr_curmsgs = 0;
	e->mqdes = (__s32)mqdes;
	e->mode = 0;
	e->name_error = 0;
	e->attr_error = 0;
	e->name_len = 0;
	e->data[0] = 0;
	e->name_truncated = 0;
	e->name_changed = 0;
	e->has_attr = 0;
	e->probe = probe;
	e->api = api;
	e->created = MQ_OPEN_CREATED_NO;
	e->queue_ino = 0;
	e->queue_mode = e->queue_uid = e->queue_gid = e->queue_ipc_ns = 0;
	e->kname_len = 0;
	__builtin_memset(e->reserved, 0, sizeof(e->reserved));
	return e;
}

/* The caller (after the name, if any), then the queue a descriptor names. flags are set from here on. */
static __always_inline void call_event_finish(struct task_struct *task, struct mq_open_event *e, struct qfile *q,
					      int is_queue)
{
	long klen;

	fill_caller(task, e, exe_offset(e));
	if (is_queue) {
		klen = fill_queue(q, e, kname_offset(e), 0);
		if (klen < 0)
			e->flags |= MQ_OPEN_F_NO_KNAME;
		else
			e->kname_len = klen;
		if (q->nlink == 0)
			e->flags |= MQ_OPEN_F_UNLINKED;
	}
}

/* The event of a call on a descriptor, caller and queue filled. */
static __always_inline struct mq_open_event *call_event(struct task_struct *task, __u8 api, __u8 probe, long ret,
							 long mqdes, struct qfile *q, int is_queue)
{
	struct mq_open_event *e = call_event_begin(api, probe, ret, mqdes);

	if (e)
		call_event_finish(task, e, q, is_queue);
	return e;
}

/* ---- send and receive ---- */

/* Runs (struct mq_access_run) only where a program can't be preempted on its CPU: not fexit (migrate_disable only). */
#define RUNS_ON(probe) ((probe) != MQ_OPEN_PROBE_FENTRY)

/*
 * 1 when the call, past the task filters, continues this CPU's open run (same thread and process, call, result and
 * queue inode) and is counted in it: a few loads (and three reads before 6.2) instead of the queue's read and a hash
 * lookup (the name prefix filter passed when the run began: a queue keeps its name).
 */
static __always_inline int run_counted(struct task_struct *task, __u64 id, __u32 w, __u8 call, long ret,
				       __u64 size, int timeout, long mqdes)
{
	__u64 ino;
	__u32 slot = w * MQ_ACCESS_RUN_SLOTS + (__u32)id % MQ_ACCESS_RUN_SLOTS;
	struct mq_access_run *r = bpf_map_lookup_elem(&access_runs, &slot);
	struct inode *inode;
	__u32 nlink;

	if (!r || !r->open || r->key.tid != (__u32)id || r->key.pid != id >> 32 || r->key.call != call ||
	    r->key.err != (ret < 0 ? (__s32)-ret : 0))
		return 0;
	inode = inode_of(fd_file(task, mqdes), &ino, &nlink);
	if (!inode || (__u64)inode != r->inode)
		return 0;
	/* an inode freed and reused since the run began has another number */
	if (ino != r->key.queue_ino || RD(task, group_leader, start_boottime) != r->key.process_start_ns)
		return 0;
	r->v.calls++;
	/* the clock costs more than the rest of the run's count: read once per tick, so last_ns is the first call of
	 * the run's last tick (within one tick, 4 ms at HZ=250, of the last call) */
	if (bpf_jiffies64() != r->tick) {
		r->tick = bpf_jiffies64();
		r->v.last_ns = bpf_ktime_get_boot_ns();
	}
	r->v.unlinked += nlink == 0;
	r->v.timeouts += timeout != 0;
	if (ret >= 0) {
		r->v.bytes += size;
		if (size < r->v.min_size)
			r->v.min_size = size;
		if (size > r->v.max_size)
			r->v.max_size = size;
	}
	return 1;
}

/* Ends the run in key k's slot of this CPU in window w (its calls go to their hash entry) and starts one for k, just
 * counted there. */
static __always_inline void start_run(__u32 w, void *m, const struct mq_access_key *k, struct inode *inode)
{
	__u32 slot = w * MQ_ACCESS_RUN_SLOTS + k->tid % MQ_ACCESS_RUN_SLOTS;
	struct mq_access_run *r = bpf_map_lookup_elem(&access_runs, &slot);
	struct mq_access_value *v;

	if (!r)
		return;
	if (r->open && r->v.calls) {
		v = bpf_map_lookup_elem(m, &r->key);
		if (v) {
			mq_access_add_run(v, &r->v);
		} else {
			/* only user space deletes entries, after a flip: never here, but never silent either */
			__u32 idx = w * MQ_ACCESS_CALLS + (r->key.call & 1);
			struct mq_access_overflow *o = bpf_map_lookup_elem(&access_overflow, &idx);

			if (o)
				mq_access_run_overflow(o, r);
		}
	}
	r->key = *k;
	r->inode = (__u64)inode;
	__builtin_memset(&r->v, 0, sizeof(r->v));
	r->v.min_size = ~0ULL;
	r->tick = bpf_jiffies64(); /* the call just counted in the hash took the clock this tick */
	r->open = 1;
}

/* Counts one call in the window's maps; the first of a process and queue in a window also leaves its caller. */
static __always_inline void aggregate(struct task_struct *task, __u64 id, __u32 w, __u8 call, long ret, __u64 size,
				      int timeout, struct qfile *q, int is_queue, __u8 probe, long mqdes)
{
	__u32 idx;
	struct mq_access_key k = {};
	struct mq_access_value *v;
	struct mq_access_overflow *o;
	__u64 now = bpf_ktime_get_boot_ns();
	int unlinked = is_queue && q->nlink == 0;
	void *m = bpf_map_lookup_elem(&access_windows, &w);

	k.pid = id >> 32;
	k.tid = (__u32)id;
	k.process_start_ns = RD(task, group_leader, start_boottime);
	k.queue_ino = is_queue ? q->ino : 0;
	k.err = ret < 0 ? (__s32)-ret : 0;
	k.call = call;
	v = m ? bpf_map_lookup_elem(m, &k) : NULL;
	if (!v && m) {
		struct mq_access_value zero = {};
		struct mq_access_ctx_key ck = {};
		void *cm = bpf_map_lookup_elem(&access_ctx_windows, &w);

		zero.min_size = ~0ULL;
		zero.first_ns = now;
		bpf_map_update_elem(m, &k, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(m, &k);
		ck.pid = k.pid;
		ck.process_start_ns = k.process_start_ns;
		ck.queue_ino = k.queue_ino;
		/* the caller, once per process and queue in a window (only for a key that got in) */
		if (v && cm && !bpf_map_lookup_elem(cm, &ck)) {
			struct mq_open_event *e = call_event(task, call == MQ_ACCESS_SEND ? MQ_OPEN_API_SEND : MQ_OPEN_API_RECEIVE,
							     probe, ret, mqdes, q, is_queue);

			if (!e || bpf_map_update_elem(cm, &ck, e, BPF_NOEXIST) == -E2BIG_ERRNO)
				count(MQ_OPEN_CTR_ACCESS_NO_CONTEXT);
		}
	}
	if (!v) {
		/* the window's hash is full: counted per call, never dropped */
		idx = w * MQ_ACCESS_CALLS + (call & 1);
		o = bpf_map_lookup_elem(&access_overflow, &idx);
		if (o) {
			o->calls++;
			if (ret < 0)
				o->errors++;
			else
				o->bytes += size;
			o->unlinked += unlinked;
		}
		return;
	}
	/* one thread's entry: no other CPU updates it meanwhile */
	v->calls++;
	v->last_ns = now;
	v->unlinked += unlinked;
	v->timeouts += timeout != 0;
	if (ret >= 0) {
		v->bytes += size;
		if (size < v->min_size)
			v->min_size = size;
		if (size > v->max_size)
			v->max_size = size;
	}
	if (RUNS_ON(probe) && is_queue)
		start_run(w, m, &k, q->inode);
}

/*
 * A send (call MQ_ACCESS_SEND: size is the message's length) or receive (size comes from ret) has returned.
 * prio_ptr: receive's user pointer for the priority (read back per call only).
 */
static __always_inline int on_transfer(void *ctx, __u8 call, long mqdes, __u64 len, __u64 prio, __u64 prio_ptr,
				       int timeout, long ret, __u8 probe)
{
	struct task_struct *task;
	struct mq_open_event *e;
	struct qfile q = {};
	int is_queue;
	__u64 size = call == MQ_ACCESS_SEND ? len : (ret > 0 ? (__u64)ret : 0);
	__u32 w = access_window & 1; /* read once: the run and the hash are of one window */
	__u64 id = bpf_get_current_pid_tgid();

	if (task_filtered_id(id)) {
		count(MQ_OPEN_CTR_FILTERED);
		return 0;
	}
	task = current_task();
	if (access_mode == MQ_ACCESS_AGGREGATE && RUNS_ON(probe) && run_counted(task, id, w, call, ret, size, timeout, mqdes))
		return 0;
	is_queue = read_qfile(fd_file(task, mqdes), &q);
	if (!queue_prefix_kept(&q, is_queue)) {
		count(MQ_OPEN_CTR_FILTERED);
		return 0;
	}
	if (access_mode == MQ_ACCESS_AGGREGATE) {
		aggregate(task, id, w, call, ret, size, timeout, &q, is_queue, probe, mqdes);
		return 0;
	}
	e = call_event(task, call == MQ_ACCESS_SEND ? MQ_OPEN_API_SEND : MQ_OPEN_API_RECEIVE, probe, ret, mqdes, &q,
		       is_queue);
	if (!e)
		return 0;
	e->msg_len = len;
	e->has_attr = timeout != 0;
	if (call == MQ_ACCESS_SEND) {
		e->msg_prio = prio;
	} else if (prio_ptr && ret >= 0) {
		__u32 p = 0;

		if (!bpf_probe_read_user(&p, sizeof(p), (const void *)prio_ptr)) {
			e->msg_prio = p;
			e->flags |= MQ_OPEN_F_PRIO;
		}
	}
	emit(ctx, e);
	return 0;
}

/* send/receive from the saved user registers: kprobe and tracepoint sets */
static __always_inline int on_transfer_regs(void *ctx, __u8 call, long ret, int compat, __u8 probe)
{
	unsigned long a[5] = {};

	syscall_args(current_task(), compat, a);
	/* mqdes, msg, len, prio (receive: its pointer), timeout */
	return on_transfer(ctx, call, (int)a[0], compat ? (__u32)a[2] : a[2], call == MQ_ACCESS_SEND ? (__u32)a[3] : 0,
			   call == MQ_ACCESS_SEND ? 0 : a[3], a[4] != 0, ret, probe);
}

/* ---- notify and getsetattr ---- */

/* the queue a descriptor names, filtered; NULL when the call is not recorded */
static __always_inline struct mq_open_event *descriptor_event(struct task_struct *task, __u8 api, __u8 probe, long ret,
							       long mqdes)
{
	struct qfile q = {};
	int is_queue;

	if (task_filtered()) {
		count(MQ_OPEN_CTR_FILTERED);
		return NULL;
	}
	is_queue = read_qfile(fd_file(task, mqdes), &q);
	if (!queue_prefix_kept(&q, is_queue)) {
		count(MQ_OPEN_CTR_FILTERED);
		return NULL;
	}
	if (inject_call_skip && bpf_get_prandom_u32() % inject_call_skip == 0) {
		count(MQ_OPEN_CTR_INJECTED_CALL_SKIP); /* tests: as if the kernel skipped this program */
		return NULL;
	}
	return call_event(task, api, probe, ret, mqdes, &q, is_queue);
}

/* kind and signo as the kernel read them: fentry and kprobe sets (a kernel struct sigevent, or NULL) */
static __always_inline int on_notify(void *ctx, long mqdes, const struct sigevent *n, long ret, __u8 probe)
{
	struct mq_open_event *e = descriptor_event(current_task(), MQ_OPEN_API_NOTIFY, probe, ret, mqdes);

	if (!e)
		return 0;
	e->has_attr = n != NULL;
	e->notify_kind = MQ_NOTIFY_REMOVE;
	if (n) {
		e->notify_kind = BPF_CORE_READ(n, sigev_notify);
		e->notify_signo = BPF_CORE_READ(n, sigev_signo);
	}
	emit(ctx, e);
	return 0;
}

/* tracepoint set: the notification from user memory (native struct sigevent, or i386's compat_sigevent) */
static __always_inline int on_notify_regs(void *ctx, long ret, int compat, __u8 probe)
{
	unsigned long a[5] = {};
	struct mq_open_event *e;
	__s32 v[4] = {};

	syscall_args(current_task(), compat, a);
	e = descriptor_event(current_task(), MQ_OPEN_API_NOTIFY, probe, ret, (int)a[0]);
	if (!e)
		return 0;
	e->has_attr = a[1] != 0;
	e->notify_kind = MQ_NOTIFY_REMOVE;
	if (a[1]) {
		/* sigev_value (8 bytes; 4 for i386), then sigev_signo, sigev_notify */
		if (bpf_probe_read_user(v, sizeof(v), (const void *)a[1])) {
			e->attr_error = EFAULT_ERRNO;
		} else {
			e->notify_signo = compat ? v[1] : v[2];
			e->notify_kind = compat ? v[2] : v[3];
		}
	}
	emit(ctx, e);
	return 0;
}

/* new and old attributes from kernel memory (fentry, kprobe): struct mq_attr, or NULL */
static __always_inline int on_getsetattr(void *ctx, long mqdes, const struct mq_attr *nw, const struct mq_attr *old,
					 long ret, __u8 probe)
{
	struct mq_open_event *e = descriptor_event(current_task(), MQ_OPEN_API_GETSETATTR, probe, ret, mqdes);

	if (!e)
		return 0;
	if (nw) {
		e->new_flags = (__u32)BPF_CORE_READ(nw, mq_flags);
		e->flags |= MQ_OPEN_F_NEW_ATTR;
	}
	if (old && ret == 0) {
		long a[4] = {};

		bpf_probe_read_kernel(a, sizeof(a), old);
		e->has_attr = 1;
		e->attr_flags = a[0];
		e->attr_maxmsg = a[1];
		e->attr_msgsize = a[2];
		e->attr_curmsgs = a[3];
	}
	emit(ctx, e);
	return 0;
}

/* reads a user struct mq_attr (i386: compat_mq_attr, four 32-bit longs) into a[4]; 0 or -errno */
static __always_inline long read_user_attr(const void *u, int compat, long *a)
{
	long err;

	if (compat) {
		__s32 c[4] = {};

		err = bpf_probe_read_user(c, sizeof(c), u);
		a[0] = c[0];
		a[1] = c[1];
		a[2] = c[2];
		a[3] = c[3];
		return err;
	}
	return bpf_probe_read_user(a, 4 * sizeof(long), u);
}

/* tracepoint set: new from user memory, old from where the syscall copied it (user memory, after a success) */
static __always_inline int on_getsetattr_regs(void *ctx, long ret, int compat, __u8 probe)
{
	unsigned long a[5] = {};
	struct mq_open_event *e;
	long v[4] = {};

	syscall_args(current_task(), compat, a);
	e = descriptor_event(current_task(), MQ_OPEN_API_GETSETATTR, probe, ret, (int)a[0]);
	if (!e)
		return 0;
	if (a[1]) {
		if (read_user_attr((const void *)a[1], compat, v)) {
			e->attr_error = EFAULT_ERRNO;
		} else {
			e->new_flags = (__u32)v[0];
			e->flags |= MQ_OPEN_F_NEW_ATTR;
		}
	}
	if (a[2] && ret == 0) {
		if (read_user_attr((const void *)a[2], compat, v)) {
			e->attr_error = EFAULT_ERRNO;
		} else {
			e->has_attr = 1;
			e->attr_flags = v[0];
			e->attr_maxmsg = v[1];
			e->attr_msgsize = v[2];
			e->attr_curmsgs = v[3];
		}
	}
	emit(ctx, e);
	return 0;
}

/* kprobe set: the kernel's argument pointers of notify/getsetattr, kept from entry to exit */
static __always_inline int keep_args(__u32 api, __u64 a, __u64 b)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct call_args v = { .a = a, .b = b, .api = api };

	if (bpf_map_update_elem(&call_args, &tid, &v, BPF_ANY))
		count(MQ_OPEN_CTR_ARGS_DROP);
	return 0;
}

/* the kept arguments of this thread's call, removed; 0 when none were kept for this call */
static __always_inline int take_args(__u32 api, struct call_args *out)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct call_args *v = bpf_map_lookup_elem(&call_args, &tid);

	if (!v || v->api != api) {
		if (!task_filtered())
			count(MQ_OPEN_CTR_ARGS_DROP);
		return 0;
	}
	*out = *v;
	bpf_map_delete_elem(&call_args, &tid);
	return 1;
}

/* ---- unlink ---- */

/*
 * mq_unlink returned: the name from user memory; the queue too when mqueue_unlink ran for this call
 * (fentry and kprobe sets). `nr` is the syscall number the unlink hook must have seen.
 */
static __always_inline int on_unlink(void *ctx, const char *u_name, long ret, __u8 probe, int use_seen)
{
	struct task_struct *task;
	struct mq_open_event *e;
	struct unlink_seen *seen = NULL;
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), koff;
	long n, plen;

	if (use_seen)
		seen = bpf_map_lookup_elem(&unlink_seen, &tid);
	if (task_filtered()) {
		count(MQ_OPEN_CTR_FILTERED);
		goto out;
	}
	task = current_task();
	e = call_event_begin(MQ_OPEN_API_UNLINK, probe, ret, 0);
	if (!e)
		goto out;
	n = read_name(e->data, u_name);
	set_name(e, n);
	if (e->name_error)
		count(MQ_OPEN_CTR_NAME_ERROR);
	call_event_finish(task, e, NULL, 0);
	if (seen && ret == 0) {
		e->queue_ino = seen->ino;
		e->queue_mode = seen->mode;
		e->queue_uid = seen->uid;
		e->queue_gid = seen->gid;
		e->queue_ipc_ns = seen->ipc_ns;
		e->flags |= MQ_OPEN_F_QUEUE;
		koff = kname_offset(e) & 0x3ff;
		if (koff > 2 * MQ_OPEN_NAME_MAX)
			koff = 2 * MQ_OPEN_NAME_MAX;
		if (seen->kname_len > MQ_OPEN_NAME_KEEP) {
			e->flags |= MQ_OPEN_F_NO_KNAME;
		} else {
			e->kname_len = seen->kname_len;
			bpf_probe_read_kernel(e->data + koff, MQ_OPEN_NAME_MAX, seen->kname);
		}
	}
	if (name_prefix_len) {
		plen = prefix_len_for(e->name_error ? -1 : e->name_len);
		if (plen < 0 || !prefix_of_call(0, plen)) {
			count(MQ_OPEN_CTR_FILTERED);
			goto out;
		}
	}
	emit(ctx, e);
out:
	if (seen)
		bpf_map_delete_elem(&unlink_seen, &tid);
	return 0;
}

#define NR64_UNLINK 87
#define NR64_UNLINKAT 263
#define NR32_UNLINK 10
#define NR32_UNLINKAT 301

/*
 * mqueue_unlink(dir, dentry): the kernel removes a queue's name. During mq_unlink, what it removed is kept
 * for the syscall's exit; otherwise (unlink or unlinkat of a file on a mounted mqueue filesystem) it is an
 * event of its own (api FS_UNLINK: the path argument as name, the queue as the kernel had it; a success,
 * since the kernel calls this only once its checks passed).
 */
static __always_inline int on_mqueue_unlink(void *ctx, struct dentry *dentry, __u8 probe)
{
	struct task_struct *task = current_task();
	struct pt_regs *regs = user_regs(task);
	long nr = BPF_CORE_READ(regs, orig_ax);
	int compat = compat_syscall(task);
	struct qfile q = {};
	struct mq_open_event *e;
	unsigned long a[5] = {};
	__u32 tid = (__u32)bpf_get_current_pid_tgid(), zero = 0;
	const char *path = NULL;
	struct unlink_seen *s;
	long klen, plen;
	struct inode *inode;
	void *ipc;

	/* locals: a CO-RE read through q would relocate against struct qfile */
	inode = BPF_CORE_READ(dentry, d_inode);
	q.inode = inode;
	q.dentry = dentry;
	q.sb = BPF_CORE_READ(dentry, d_sb);
	q.ino = BPF_CORE_READ(inode, i_ino);
	q.i_mode = BPF_CORE_READ(inode, i_mode);
	q.uid = BPF_CORE_READ(inode, i_uid.val);
	q.gid = BPF_CORE_READ(inode, i_gid.val);
	q.nlink = 1;
	if (!compat)
		nr &= ~(long)X32_SYSCALL_BIT;
	if (nr == (compat ? NR32_MQ_UNLINK : NR64_MQ_UNLINK)) {
		s = bpf_map_lookup_elem(&unlink_scratch, &zero);
		if (!s)
			return 0;
		s->ino = q.ino;
		s->mode = q.i_mode & 07777;
		s->uid = q.uid;
		s->gid = q.gid;
		struct super_block *sb = q.sb;

		ipc = BPF_CORE_READ(sb, s_fs_info); /* an mqueue superblock's s_fs_info is its IPC namespace */
		s->ipc_ns = BPF_CORE_READ((struct ipc_namespace *)ipc, ns.inum);
		klen = dentry_name(s->kname, dentry);
		s->kname_len = klen < 0 ? MQ_OPEN_NAME_MAX + 1 : klen;
		bpf_map_update_elem(&unlink_seen, &tid, s, BPF_ANY);
		return 0;
	}
	if (task_filtered()) {
		count(MQ_OPEN_CTR_FILTERED);
		return 0;
	}
	e = call_event_begin(MQ_OPEN_API_FS_UNLINK, probe, 0, 0);
	if (!e)
		return 0;
	syscall_args(task, compat, a);
	if (nr == (compat ? NR32_UNLINK : NR64_UNLINK))
		path = (const char *)a[0];
	else if (nr == (compat ? NR32_UNLINKAT : NR64_UNLINKAT))
		path = (const char *)a[1];
	set_name(e, path ? read_name(e->data, path) : -EFAULT_ERRNO);
	call_event_finish(task, e, &q, 1);
	klen = e->kname_len;
	if (e->flags & MQ_OPEN_F_NO_KNAME)
		klen = -1;
	if (name_prefix_len) {
		__u32 koff = kname_offset(e) & 0x3ff;

		if (koff > 2 * MQ_OPEN_NAME_MAX)
			koff = 2 * MQ_OPEN_NAME_MAX;
		plen = prefix_len_for(klen);
		if (plen < 0 || !prefix_of_call(koff, plen)) {
			count(MQ_OPEN_CTR_FILTERED);
			return 0;
		}
	}
	emit(ctx, e);
	return 0;
}

/* ---- fentry/fexit ---- */

SEC("fexit/do_mq_timedsend")
int BPF_PROG(fexit_do_mq_timedsend, int mqdes, const char *msg, size_t len, unsigned int prio, void *ts, int ret)
{
	return on_transfer(ctx, MQ_ACCESS_SEND, mqdes, len, prio, 0, ts != NULL, ret, MQ_OPEN_PROBE_FENTRY);
}

/*
 * Only the result is read from the context: before 5.16 the verifier refuses any read of u_msg_prio there
 * ("arg3 type INT is not a struct": an int pointer), so the arguments come from the syscall's registers, as in
 * the kretprobe. do_mq_timedreceive returns int (the syscall widens it): read as long, -EMSGSIZE was 0xffffffa6.
 */
SEC("fexit/do_mq_timedreceive")
int fexit_do_mq_timedreceive(unsigned long long *ctx)
{
	return on_transfer_regs(ctx, MQ_ACCESS_RECEIVE, (int)ctx[5], compat_syscall(current_task()), MQ_OPEN_PROBE_FENTRY);
}

SEC("fexit/do_mq_notify")
int BPF_PROG(fexit_do_mq_notify, int mqdes, const struct sigevent *n, int ret)
{
	return on_notify(ctx, mqdes, n, ret, MQ_OPEN_PROBE_FENTRY);
}

SEC("fexit/do_mq_getsetattr")
int BPF_PROG(fexit_do_mq_getsetattr, int mqdes, struct mq_attr *nw, struct mq_attr *old, int ret)
{
	return on_getsetattr(ctx, mqdes, nw, old, ret, MQ_OPEN_PROBE_FENTRY);
}

/*
 * The syscall wrappers: only the result is read from the context (5.10's BTF has their pt_regs argument as a
 * forward declaration, and the verifier refuses to read it there); the name comes from the task's own registers.
 */
SEC("fexit/__x64_sys_mq_unlink")
int fexit_sys_mq_unlink(unsigned long long *ctx)
{
	unsigned long a[5] = {};

	syscall_args(current_task(), 0, a);
	return on_unlink(ctx, (const char *)a[0], (long)ctx[1], MQ_OPEN_PROBE_FENTRY, 1);
}

SEC("fexit/__ia32_sys_mq_unlink")
int fexit_ia32_sys_mq_unlink(unsigned long long *ctx)
{
	unsigned long a[5] = {};

	syscall_args(current_task(), 1, a);
	return on_unlink(ctx, (const char *)a[0], (long)ctx[1], MQ_OPEN_PROBE_FENTRY, 1);
}

SEC("fentry/mqueue_unlink")
int BPF_PROG(fentry_mqueue_unlink, struct inode *dir, struct dentry *dentry)
{
	return on_mqueue_unlink(ctx, dentry, MQ_OPEN_PROBE_FENTRY);
}

/* ---- kprobe/kretprobe ---- */

SEC("kretprobe/do_mq_timedsend")
int BPF_KRETPROBE(kretprobe_do_mq_timedsend, int ret)
{
	return on_transfer_regs(ctx, MQ_ACCESS_SEND, ret, compat_syscall(current_task()), MQ_OPEN_PROBE_KPROBE);
}

SEC("kretprobe/do_mq_timedreceive")
int BPF_KRETPROBE(kretprobe_do_mq_timedreceive, int ret)
{
	return on_transfer_regs(ctx, MQ_ACCESS_RECEIVE, ret, compat_syscall(current_task()), MQ_OPEN_PROBE_KPROBE);
}

SEC("kprobe/do_mq_notify")
int BPF_KPROBE(kprobe_do_mq_notify, int mqdes, const struct sigevent *n)
{
	return keep_args(MQ_OPEN_API_NOTIFY, (__u64)n, mqdes);
}

SEC("kretprobe/do_mq_notify")
int BPF_KRETPROBE(kretprobe_do_mq_notify, int ret)
{
	struct call_args a;

	if (!take_args(MQ_OPEN_API_NOTIFY, &a))
		return 0;
	return on_notify(ctx, (int)a.b, (const struct sigevent *)a.a, ret, MQ_OPEN_PROBE_KPROBE);
}

SEC("kprobe/do_mq_getsetattr")
int BPF_KPROBE(kprobe_do_mq_getsetattr, int mqdes, struct mq_attr *nw, struct mq_attr *old)
{
	/* the descriptor is the syscall's first argument: it is read again from the registers at exit */
	return keep_args(MQ_OPEN_API_GETSETATTR, (__u64)nw, (__u64)old);
}

SEC("kretprobe/do_mq_getsetattr")
int BPF_KRETPROBE(kretprobe_do_mq_getsetattr, int ret)
{
	struct task_struct *task = current_task();
	unsigned long r[5] = {};
	struct call_args a;

	if (!take_args(MQ_OPEN_API_GETSETATTR, &a))
		return 0;
	syscall_args(task, compat_syscall(task), r);
	return on_getsetattr(ctx, (int)r[0], (const struct mq_attr *)a.a, (const struct mq_attr *)a.b, ret,
			     MQ_OPEN_PROBE_KPROBE);
}

SEC("kretprobe/__x64_sys_mq_unlink")
int BPF_KRETPROBE(kretprobe_sys_mq_unlink, long ret)
{
	unsigned long a[5] = {};

	syscall_args(current_task(), 0, a);
	return on_unlink(ctx, (const char *)a[0], ret, MQ_OPEN_PROBE_KPROBE, 1);
}

SEC("kretprobe/__ia32_sys_mq_unlink")
int BPF_KRETPROBE(kretprobe_ia32_sys_mq_unlink, long ret)
{
	unsigned long a[5] = {};

	syscall_args(current_task(), 1, a);
	return on_unlink(ctx, (const char *)a[0], ret, MQ_OPEN_PROBE_KPROBE, 1);
}

SEC("kprobe/mqueue_unlink")
int BPF_KPROBE(kprobe_mqueue_unlink, struct inode *dir, struct dentry *dentry)
{
	return on_mqueue_unlink(ctx, dentry, MQ_OPEN_PROBE_KPROBE);
}

/* ---- tracepoint set (btf_sys_exit in mq_open.bpf.c: the registers are direct loads) ---- */

/* An x86_64 caller's mq_unlink .. mq_getsetattr has returned (nr: its number). */
static __always_inline int on_call_exit(void *ctx, struct pt_regs *regs, long nr, long ret)
{
	if (nr == NR64_MQ_UNLINK)
		return on_unlink(ctx, (const char *)PT_REGS_PARM1_SYSCALL(regs), ret, MQ_OPEN_PROBE_TRACEPOINT, 0);
	if (nr == NR64_MQ_TIMEDSEND || nr == NR64_MQ_TIMEDRECEIVE) {
		__u8 call = nr == NR64_MQ_TIMEDSEND ? MQ_ACCESS_SEND : MQ_ACCESS_RECEIVE;

		if (!access_mode)
			return 0;
		/* mqdes, msg, len, prio (receive: its pointer), timeout */
		return on_transfer(ctx, call, (int)PT_REGS_PARM1_SYSCALL(regs), PT_REGS_PARM3_SYSCALL(regs),
				   call == MQ_ACCESS_SEND ? (__u32)PT_REGS_PARM4_SYSCALL(regs) : 0,
				   call == MQ_ACCESS_SEND ? 0 : PT_REGS_PARM4_SYSCALL(regs), PT_REGS_PARM5_SYSCALL(regs) != 0,
				   ret, MQ_OPEN_PROBE_TRACEPOINT);
	}
	if (nr == NR64_MQ_NOTIFY)
		return on_notify_regs(ctx, ret, 0, MQ_OPEN_PROBE_TRACEPOINT);
	return on_getsetattr_regs(ctx, ret, 0, MQ_OPEN_PROBE_TRACEPOINT);
}

/* an i386 caller's mq_* call other than mq_open has returned (tracepoint set, from raw sys_exit) */
static __always_inline int on_compat_exit(void *ctx, long nr, long ret)
{
	unsigned long a[5] = {};

	switch (nr) {
	case NR32_MQ_UNLINK:
		syscall_args(current_task(), 1, a);
		return on_unlink(ctx, (const char *)a[0], ret, MQ_OPEN_PROBE_TRACEPOINT, 0);
	case NR32_MQ_TIMEDSEND:
	case NR32_MQ_TIMEDSEND64:
		return access_mode ? on_transfer_regs(ctx, MQ_ACCESS_SEND, ret, 1, MQ_OPEN_PROBE_TRACEPOINT) : 0;
	case NR32_MQ_TIMEDRECEIVE:
	case NR32_MQ_TIMEDRECEIVE64:
		return access_mode ? on_transfer_regs(ctx, MQ_ACCESS_RECEIVE, ret, 1, MQ_OPEN_PROBE_TRACEPOINT) : 0;
	case NR32_MQ_NOTIFY:
		return on_notify_regs(ctx, ret, 1, MQ_OPEN_PROBE_TRACEPOINT);
	case NR32_MQ_GETSETATTR:
		return on_getsetattr_regs(ctx, ret, 1, MQ_OPEN_PROBE_TRACEPOINT);
	}
	return 0;
}

#endif /* MQTAP_MQ_CALLS_BPF_H */
