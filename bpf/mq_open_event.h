/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The record the BPF program emits for each mq_open call, shared by the BPF program
 * (beside vmlinux.h) and the JNI reader (beside libc). Plain fixed-width types, every
 * field at its natural alignment, explicit reserved bytes: no implicit padding, no bool.
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

/* which hook set produced the event (mq_open_event.probe) */
enum mq_open_probe {
	MQ_OPEN_PROBE_NONE = 0,
	MQ_OPEN_PROBE_FENTRY = 1,
	MQ_OPEN_PROBE_KPROBE = 2,
	MQ_OPEN_PROBE_TRACEPOINT = 3,
};

/* per-CPU counters kept by the program (index into the `counters` map) */
enum mq_open_counter {
	MQ_OPEN_CTR_EMITTED = 0,      /* events written to the perf/ring buffer */
	MQ_OPEN_CTR_LOST = 1,         /* perf output or ring buffer reservation failed */
	MQ_OPEN_CTR_FILTERED = 2,     /* calls dropped by a filter (incl. mqtap's own process) */
	MQ_OPEN_CTR_NAME_ERROR = 3,   /* name could not be read at entry */
	MQ_OPEN_CTR_ATTR_ERROR = 4,   /* attr pointer given but not readable */
	MQ_OPEN_CTR_NO_ENTRY = 5,     /* exit without a matching entry (attached mid-call) */
	MQ_OPEN_CTR_ENTRY_DROP = 6,   /* entry could not be stored (pairing map full) */
	MQ_OPEN_CTR_NAME_CHANGED = 7, /* name differed between entry and exit */
	MQ_OPEN_CTR_EXIT_MISSED = 8,  /* entry found its thread's previous entry never exited (exit hook skipped) */
	MQ_OPEN_CTR_MAX = 9,
};

struct mq_open_event {
	__u64 boot_ns;        /*   0: bpf_ktime_get_boot_ns() at entry */
	__u64 duration_ns;    /*   8: exit minus entry */
	__u64 cgroup_id;      /*  16 */
	__s64 ret;            /*  24: fd, or -errno */
	__s64 attr_flags;     /*  32: struct mq_attr, when has_attr */
	__s64 attr_maxmsg;    /*  40 */
	__s64 attr_msgsize;   /*  48 */
	__s64 attr_curmsgs;   /*  56 */
	__u32 pid;            /*  64: tgid */
	__u32 tid;            /*  68 */
	__u32 ppid;           /*  72: real parent's tgid */
	__u32 ns_pid;         /*  76: tgid as seen inside its pid namespace */
	__u32 uid;            /*  80 */
	__u32 gid;            /*  84 */
	__u32 mnt_ns;         /*  88: mount namespace inode number */
	__u32 pid_ns;         /*  92: pid namespace inode number */
	__u32 cpu;            /*  96: CPU at entry */
	__s32 oflag;          /* 100 */
	__u32 mode;           /* 104 */
	__s32 name_error;     /* 108: 0, or errno of the failed read */
	__s32 attr_error;     /* 112: 0, or errno of the failed read */
	__u16 name_len;       /* 116: bytes in name, at most MQ_OPEN_NAME_KEEP */
	__u8 name_truncated;  /* 118: 1 when the name is longer than MQ_OPEN_NAME_KEEP */
	__u8 name_changed;    /* 119: 1 when the name read at exit differs */
	__u8 has_attr;        /* 120: 1 when an attr pointer was given */
	__u8 probe;           /* 121: enum mq_open_probe */
	__u8 reserved[6];     /* 122: zero */
	char comm[MQ_OPEN_COMM_LEN]; /* 128 */
	__u8 name[MQ_OPEN_NAME_MAX]; /* 144: name bytes, NUL after name_len */
};                            /* 400 */

#define MQ_OPEN_EVENT_SIZE 400
#define MQ_OPEN_EVENT_NAME_OFFSET 144

_Static_assert(sizeof(struct mq_open_event) == MQ_OPEN_EVENT_SIZE, "mq_open_event size");
_Static_assert(__builtin_offsetof(struct mq_open_event, name) == MQ_OPEN_EVENT_NAME_OFFSET,
	       "mq_open_event name offset");

#endif /* MQTAP_MQ_OPEN_EVENT_H */
