/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record the BPF program emits for each call on a POSIX message queue it reports one by one
 * (an open, an unlink, a notify or getsetattr, and send and receive when they are recorded per
 * call), shared by the BPF program (beside vmlinux.h) and the JNI reader (beside libc). `api` says
 * which call; a few argument fields are unions whose meaning depends on it (see each). Plain
 * fixed-width types, every field at its natural alignment, explicit reserved bytes: no implicit
 * padding, no bool.
 * The Java decoder (io.mqtap.capture.RawEvent) mirrors these offsets; a test checks them.
 */
#ifndef MQTAP_MQ_OPEN_EVENT_H
#define MQTAP_MQ_OPEN_EVENT_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define MQ_OPEN_COMM_LEN 16
/* name bytes kept: up to 255 (NAME_MAX) plus a terminating NUL */
#define MQ_OPEN_NAME_MAX 256
#define MQ_OPEN_NAME_KEEP (MQ_OPEN_NAME_MAX - 1)
/* the variable part: name, exe and kernel name, each at most MQ_OPEN_NAME_MAX with its NUL, plus slack */
#define MQ_OPEN_DATA_SIZE (3 * MQ_OPEN_NAME_MAX + 8)

/* which hook set produced the event (mq_open_event.probe) */
enum mq_open_probe {
	MQ_OPEN_PROBE_NONE = 0,
	MQ_OPEN_PROBE_FENTRY = 1,
	MQ_OPEN_PROBE_KPROBE = 2,
	MQ_OPEN_PROBE_TRACEPOINT = 3,
};

/* which call (mq_open_event.api) */
enum mq_open_api {
	MQ_OPEN_API_MQ_OPEN = 1,    /* mq_open(2) */
	MQ_OPEN_API_OPEN = 2,       /* open/openat/openat2/creat of a file on an mqueue filesystem */
	MQ_OPEN_API_UNLINK = 3,     /* mq_unlink(2): the name; the queue too where the set hooks mqueue_unlink */
	MQ_OPEN_API_SEND = 4,       /* mq_timedsend(2), one event per call (access mode per call) */
	MQ_OPEN_API_RECEIVE = 5,    /* mq_timedreceive(2), one event per call */
	MQ_OPEN_API_NOTIFY = 6,     /* mq_notify(2) */
	MQ_OPEN_API_GETSETATTR = 7, /* mq_getsetattr(2), behind mq_getattr(3) and mq_setattr(3) */
	MQ_OPEN_API_FS_UNLINK = 8,  /* unlink/unlinkat of a file on an mqueue filesystem (seen by mqueue_unlink) */
};

/* how the calls on an open queue (send, receive) are recorded (the program's access_mode) */
enum mq_access_mode {
	MQ_ACCESS_OFF = 0,       /* not hooked at all */
	MQ_ACCESS_AGGREGATE = 1, /* counted in the kernel per thread, queue, call and errno, read every window */
	MQ_ACCESS_PER_CALL = 2,  /* one event per call through the perf or ring buffer */
};

/* mq_access_key.call, and the index of access_overflow within a window */
enum mq_access_call {
	MQ_ACCESS_SEND = 0,
	MQ_ACCESS_RECEIVE = 1,
	MQ_ACCESS_CALLS = 2,
};

/* mq_open_event.notify_kind: the kernel's SIGEV_* values, and one for a NULL notification (unregister) */
#define MQ_NOTIFY_SIGNAL 0
#define MQ_NOTIFY_NONE 1
#define MQ_NOTIFY_THREAD 2
#define MQ_NOTIFY_REMOVE -1

/* mq_open_event.created */
enum mq_open_created {
	MQ_OPEN_CREATED_NO = 0,
	MQ_OPEN_CREATED_YES = 1,
	MQ_OPEN_CREATED_UNKNOWN = 2, /* this hook set cannot tell (see MqOpen.created's doc) */
};

/* mq_open_event.flags */
#define MQ_OPEN_F_QUEUE 0x01      /* the descriptor resolved to a queue: queue_* and the kernel name are set */
#define MQ_OPEN_F_KNAME_SAME 0x02 /* the kernel name equals name byte for byte, so it is not sent again */
#define MQ_OPEN_F_LOGIN_UID 0x04  /* login_uid is set (not the kernel's "unset" value) */
#define MQ_OPEN_F_EXE 0x08        /* exe was read from the process's executable file */
#define MQ_OPEN_F_NO_KNAME 0x10   /* a queue, but its dentry's name could not be read (kname_len 0) */
#define MQ_OPEN_F_NEW_ATTR 0x20   /* getsetattr: new attributes were given (new_flags is set) */
#define MQ_OPEN_F_UNLINKED 0x40   /* a call on a descriptor whose queue had no name left (i_nlink 0: unlinked) */
#define MQ_OPEN_F_PRIO 0x80       /* receive: the priority of the message received was read back (msg_prio) */

/* per-CPU counters kept by the program (index into the `counters` map) */
enum mq_open_counter {
	MQ_OPEN_CTR_EMITTED = 0,      /* events written to the perf/ring buffer */
	MQ_OPEN_CTR_LOST = 1,         /* perf output or ring buffer reservation failed */
	MQ_OPEN_CTR_FILTERED = 2,     /* calls dropped by a filter (incl. mqtap's own process) */
	MQ_OPEN_CTR_NAME_ERROR = 3,   /* name could not be read at entry */
	MQ_OPEN_CTR_ATTR_ERROR = 4,   /* attr pointer given but not readable */
	MQ_OPEN_CTR_NO_ENTRY = 5,     /* exit without a matching entry (attached mid-call, entry skipped) */
	MQ_OPEN_CTR_ENTRY_DROP = 6,   /* entry could not be stored (its exit is then not counted again) */
	MQ_OPEN_CTR_NAME_CHANGED = 7, /* the name the call used differed from the one read at entry */
	MQ_OPEN_CTR_EXIT_MISSED = 8,  /* an entry whose exit never ran: found at the thread's next entry or its exit */
	MQ_OPEN_CTR_QUEUE_UNRESOLVED = 9, /* a successful call whose descriptor named no queue by exit (closed or reused) */
	MQ_OPEN_CTR_FS_OPENS = 10,    /* opens through an mqueue filesystem seen (api=open), before filters */
	MQ_OPEN_CTR_ACCESS_NO_CONTEXT = 11, /* aggregated keys whose caller snapshot found its map full */
	MQ_OPEN_CTR_ACCESS_AGGREGATED = 12, /* send and receive calls counted in the aggregation maps (overflow included) */
	MQ_OPEN_CTR_ARGS_DROP = 13,   /* kprobe set: notify/getsetattr arguments that could not be kept for the exit */
	/* fault injection (tests only): simulated skips of the open-exit and thread-exit programs, which the loader
	 * adds to those programs' misses (the kernel's own count of skipped runs cannot be raised from a program) */
	MQ_OPEN_CTR_INJECTED_OPEN_EXIT_SKIP = 14,
	MQ_OPEN_CTR_INJECTED_TASK_EXIT_SKIP = 15,
	MQ_OPEN_CTR_INJECTED_CALL_SKIP = 16, /* and of the notify and getsetattr programs */
	MQ_OPEN_CTR_INJECTED_ENTRY_SKIP = 17, /* and of the mq_open entry program */
	MQ_OPEN_CTR_SUPPRESSED = 18,  /* events over their uid's (or cgroup's) budget: counted, not emitted */
	MQ_OPEN_CTR_UNATTRIBUTED = 19, /* suppressed or lost events whose uid fair_accounts had no room for */
	MQ_OPEN_CTR_MAX = 20,
};

/*
 * capture.pinPath: what a run leaves beside its pinned maps and links (map pin_meta). fingerprint: the object and every
 * load-time setting, so a run takes the pinned programs over only when it would have loaded the very same;
 * generation: the run that pinned them; checkpoint and misses: the counters and the programs' recursion misses by
 * role as the last run read them, so the next run counts from there.
 */
struct mq_pin_meta {
	__u64 fingerprint;
	__u32 generation;
	__u32 reserved;
	__u64 checkpoint[MQ_OPEN_CTR_MAX];
	__u64 misses[8];
};

/* uids fair_accounts holds; past that a suppressed or lost event is counted in MQ_OPEN_CTR_UNATTRIBUTED */
#define MQ_OPEN_FAIR_ACCOUNTS 4096

/* fair_accounts' value: what fairness and the buffer did to one uid's events (boot-clock ns) */
struct mq_open_fair_account {
	__u64 suppressed; /* events over budget, not emitted */
	__u64 lost;       /* events the buffer had no room for */
	__u64 first_ns;   /* the first of those */
	__u64 last_ns;    /* the latest of those */
};

struct mq_open_event {
	__u64 boot_ns;         /*   0: bpf_ktime_get_boot_ns() at entry (api=open: at exit) */
	__u64 duration_ns;     /*   8: exit minus entry; 0 when unknown */
	__u64 cgroup_id;       /*  16 */
	__s64 ret;             /*  24: fd, or -errno */
	union {
		struct {
			__s64 attr_flags;   /*  32: mq_open: struct mq_attr, when has_attr; getsetattr: the old attributes */
			__s64 attr_maxmsg;  /*  40 */
			__s64 attr_msgsize; /*  48 */
			__s64 attr_curmsgs; /*  56 */
		};
		struct {
			__s64 msg_len;      /*  32: send: the message's length; receive: the buffer's (what came: ret) */
			__s64 msg_prio;     /*  40: send: the priority given; receive: the one received (MQ_OPEN_F_PRIO) */
			__s64 msg_reserved[2];
		};
		struct {
			__s64 notify_kind;  /*  32: MQ_NOTIFY_* (sigev_notify, or MQ_NOTIFY_REMOVE for NULL) */
			__s64 notify_signo; /*  40: sigev_signo (MQ_NOTIFY_SIGNAL; the netlink socket's fd for THREAD) */
			__s64 notify_reserved[2];
		};
	};
	__u64 queue_ino;       /*  64: the queue's inode number (MQ_OPEN_F_QUEUE) */
	__u64 process_start_ns; /* 72: the process's start, ns since boot (group leader's start_boottime) */
	__u32 pid;             /*  80: tgid */
	__u32 tid;             /*  84 */
	__u32 ppid;            /*  88: real parent's tgid */
	__u32 ns_pid;          /*  92: tgid as seen inside its pid namespace */
	__u32 ns_tid;          /*  96: tid as seen inside its pid namespace */
	__u32 uid;             /* 100: real ids, then effective and fs uid of the subjective credentials */
	__u32 gid;             /* 104 */
	__u32 euid;            /* 108 */
	__u32 fsuid;           /* 112 */
	__u32 login_uid;       /* 116: audit login uid (MQ_OPEN_F_LOGIN_UID) */
	__u32 mnt_ns;          /* 120: namespace inode numbers */
	__u32 pid_ns;          /* 124 */
	__u32 ipc_ns;          /* 128: the caller's IPC namespace */
	__u32 user_ns;         /* 132: the user namespace of the caller's credentials */
	__u32 queue_ipc_ns;    /* 136: the IPC namespace the queue belongs to (its mqueue superblock's) */
	__u32 queue_mode;      /* 140: the queue inode's permission bits (i_mode & 07777) */
	__u32 queue_uid;       /* 144 */
	__u32 queue_gid;       /* 148 */
	__u32 cpu;             /* 152: CPU at entry */
	union {
		__s32 oflag;       /* 156: mq_open's oflag */
		__s32 mqdes;       /* 156: the descriptor of a call on an open queue */
	};
	union {
		__u32 mode;        /* 160: mq_open's mode */
		__u32 new_flags;   /* 160: getsetattr: the new mq_flags (MQ_OPEN_F_NEW_ATTR) */
	};
	__s32 name_error;      /* 164: 0, or errno of the failed read */
	__s32 attr_error;      /* 168: 0, or errno of the failed read */
	__u16 name_len;        /* 172: bytes of name at data[0], at most MQ_OPEN_NAME_KEEP */
	__u16 exe_len;         /* 174: bytes of exe at data[name_len + 1] */
	__u16 kname_len;       /* 176: bytes of the kernel name at data[name_len + 1 + exe_len + 1] */
	__u8 name_truncated;   /* 178: 1 when the name is longer than MQ_OPEN_NAME_KEEP */
	__u8 name_changed;     /* 179: 1 when the name the call used differs from the one read at entry */
	__u8 has_attr;         /* 180: mq_open: an attr pointer was given; getsetattr: old attributes asked for (and
				* read: attr_*); send, receive: a timeout was given; notify: a notification (not NULL) */
	__u8 probe;            /* 181: enum mq_open_probe */
	__u8 api;              /* 182: enum mq_open_api */
	__u8 created;          /* 183: enum mq_open_created */
	__u8 flags;            /* 184: MQ_OPEN_F_* */
	__u8 reserved[7];      /* 185: zero */
	char comm[MQ_OPEN_COMM_LEN]; /* 192 */
	__u8 data[MQ_OPEN_DATA_SIZE]; /* 208: name, NUL, exe, NUL, kernel name (unless KNAME_SAME), NUL */
};                            /* 984 */

#define MQ_OPEN_EVENT_SIZE 984
#define MQ_OPEN_EVENT_DATA_OFFSET 208

_Static_assert(sizeof(struct mq_open_event) == MQ_OPEN_EVENT_SIZE, "mq_open_event size");
_Static_assert(__builtin_offsetof(struct mq_open_event, data) == MQ_OPEN_EVENT_DATA_OFFSET,
	       "mq_open_event data offset");

/*
 * In-kernel aggregation of send and receive (MQ_ACCESS_AGGREGATE): per thread, process, queue, call and
 * result one entry in the window's hash map, and per process and queue one caller snapshot (an event,
 * api SEND or RECEIVE, filled as a per-call event would be). User space swaps the window and reads the
 * old one's maps; per thread, so no two CPUs ever update one entry at once and plain adds are exact.
 */
struct mq_access_key {
	__u64 process_start_ns; /*  0: the thread group leader's start_boottime */
	__u64 queue_ino;        /*  8: 0 when the descriptor named no queue */
	__u32 pid;              /* 16: tgid */
	__u32 tid;              /* 20 */
	__s32 err;              /* 24: 0, or the errno the call failed with */
	__u8 call;              /* 28: enum mq_access_call */
	__u8 reserved[3];       /* 29: zero */
};                              /* 32 */

struct mq_access_value {
	__u64 calls;            /*  0 */
	__u64 bytes;            /*  8: successful calls only: sent msg_len, received ret */
	__u64 min_size;         /* 16: of the successful calls' messages */
	__u64 max_size;         /* 24 */
	__u64 first_ns;         /* 32: boot time of the first and last call in the window */
	__u64 last_ns;          /* 40 */
	__u64 unlinked;         /* 48: calls made while the queue had no name left (i_nlink 0) */
	__u64 timeouts;         /* 56: calls that gave a timeout */
};                              /* 64 */

struct mq_access_ctx_key {
	__u64 process_start_ns;
	__u64 queue_ino;
	__u32 pid;
	__u32 reserved;
};

/* runs per CPU and window: a thread's slot is tid % MQ_ACCESS_RUN_SLOTS (a sender and its receiver sharing a
 * CPU keep a run each) */
#define MQ_ACCESS_RUN_SLOTS 8

/*
 * A thread's run of calls of one key on one CPU (access_runs, MQ_ACCESS_RUN_SLOTS per CPU and window): calls after the
 * run's first are added here, not in the hash, while the thread keeps calling through the same queue inode
 * with the same result. The slot is the CPU's alone, and only hooks that run with preemption disabled use it
 * (kretprobes, raw syscall tracepoints). A run that ends (another key on that CPU) is added to its hash entry
 * by the program; user space adds the runs still open to the old window's entries after a flip.
 */
struct mq_access_run {
	struct mq_access_key key;   /*   0 */
	struct mq_access_value v;   /*  32: the calls not yet in the hash (first_ns unused) */
	__u64 inode;                /*  96: the queue's inode (its address): a call through another ends the run */
	__u64 tick;                 /* 104: jiffies when v.last_ns was last read (once per tick) */
	__u32 open;                 /* 112: 1 while the slot holds a run */
	__u32 reserved;             /* 116 */
};                              /* 120 */

/* what could not be kept per key when the window's hash map was full: counted per call */
struct mq_access_overflow {
	__u64 calls;
	__u64 bytes;
	__u64 errors;
	__u64 unlinked;
};

#define MQ_ACCESS_KEY_SIZE 32
#define MQ_ACCESS_VALUE_SIZE 64
_Static_assert(sizeof(struct mq_access_key) == MQ_ACCESS_KEY_SIZE, "mq_access_key size");
_Static_assert(sizeof(struct mq_access_value) == MQ_ACCESS_VALUE_SIZE, "mq_access_value size");
_Static_assert(sizeof(struct mq_access_run) == 120, "mq_access_run size");

/* A run's calls added to its key's entry: by the program when the run ends, by user space for the runs a window
 * flip finds still open. */
static inline __attribute__((always_inline)) void mq_access_add_run(struct mq_access_value *v,
								       const struct mq_access_value *r)
{
	v->calls += r->calls;
	v->bytes += r->bytes;
	if (r->min_size < v->min_size)
		v->min_size = r->min_size;
	if (r->max_size > v->max_size)
		v->max_size = r->max_size;
	if (r->last_ns > v->last_ns)
		v->last_ns = r->last_ns;
	v->unlinked += r->unlinked;
	v->timeouts += r->timeouts;
}

/* A run whose hash entry is gone, added to its window's overflow counts instead: never silent. */
static inline __attribute__((always_inline)) void mq_access_run_overflow(struct mq_access_overflow *o,
									    const struct mq_access_run *r)
{
	o->calls += r->v.calls;
	o->bytes += r->v.bytes;
	o->errors += r->key.err ? r->v.calls : 0;
	o->unlinked += r->v.unlinked;
}

/* bytes of an event on the wire: the fixed part and the variable part actually used */
static inline unsigned int mq_open_event_wire_size(const struct mq_open_event *e)
{
	/* each part is at most 255 bytes: the masks only make that visible to the verifier */
	unsigned int n = (e->name_len & 0xff) + 1 + (e->exe_len & 0xff) + 1;

	if ((e->flags & MQ_OPEN_F_QUEUE) && !(e->flags & MQ_OPEN_F_KNAME_SAME))
		n += (e->kname_len & 0xff) + 1;
	return MQ_OPEN_EVENT_DATA_OFFSET + n;
}

#endif /* MQTAP_MQ_OPEN_EVENT_H */
