/* SPDX-License-Identifier: Apache-2.0 */
/* The capture core: libbpf loader and buffer reader, free of JNI so it can be read and tested alone. */
#ifndef MQTAP_PROBE_H
#define MQTAP_PROBE_H

#include <stddef.h>
#include <stdint.h>

/* must match io.mqtap.capture.AttachMode ordinals of the concrete sets */
enum mqtap_set { MQTAP_SET_FENTRY = 1, MQTAP_SET_KPROBE = 2, MQTAP_SET_TRACEPOINT = 3 };
enum mqtap_transport { MQTAP_PERF_BUFFER = 0, MQTAP_RING_BUFFER = 1 };

/* counters(): slots of the array it fills; -1 where this kernel does not report the value */
enum mqtap_counter_slot {
	MQTAP_CTR_LOST_KERNEL = 0,   /* output failures counted in the program (perf and ring buffer) */
	MQTAP_CTR_LOST_RECORDS = 1,  /* sum of perf PERF_RECORD_LOST counts seen by the reader */
	MQTAP_CTR_EMITTED = 2,
	MQTAP_CTR_RECEIVED = 3,      /* events copied out by drain */
	MQTAP_CTR_FILTERED = 4,
	MQTAP_CTR_NAME_ERRORS = 5,
	MQTAP_CTR_ATTR_ERRORS = 6,
	MQTAP_CTR_EXIT_NO_ENTRY = 7,
	MQTAP_CTR_ENTRY_DROPPED = 8,
	MQTAP_CTR_NAME_CHANGED = 9,
	MQTAP_CTR_EXIT_MISSED = 10,     /* entries whose exit never ran (pairing miss the other way) */
	MQTAP_CTR_PROG_MISSES = 11,     /* runs of all the set's programs the kernel skipped (recursion_misses) */
	MQTAP_CTR_QUEUE_UNRESOLVED = 12, /* successes whose descriptor named no queue by exit */
	MQTAP_CTR_FS_OPENS = 13,        /* opens through an mqueue filesystem seen */
	/* recursion_misses by program role (5.12+; kprobe and tracepoint programs count them from 6.7) */
	MQTAP_CTR_MISSES_ENTER = 14,
	MQTAP_CTR_MISSES_EXIT = 15,
	MQTAP_CTR_MISSES_OPEN_EXIT = 16,
	MQTAP_CTR_MISSES_TASK_EXIT = 17,
	MQTAP_CTR_MISSES_CREATE = 18,
	/* kprobe/kretprobe link misses (bpf_link_info, 6.7+) by role; -1 for other sets and older kernels */
	MQTAP_CTR_LINK_MISSES_ENTER = 19,
	MQTAP_CTR_LINK_MISSES_EXIT = 20,
	MQTAP_CTR_LINK_MISSES_OPEN_EXIT = 21,
	MQTAP_CTR_LINK_MISSES_CREATE = 22,
	/* the programs of the rest of a queue's life (unlink, send, receive, notify, getsetattr) */
	MQTAP_CTR_MISSES_CALLS = 23,
	MQTAP_CTR_LINK_MISSES_CALLS = 24,
	MQTAP_CTR_ACCESS_NO_CONTEXT = 25, /* aggregated keys whose caller snapshot found its map full */
	MQTAP_CTR_ARGS_DROPPED = 26,      /* kprobe set: notify/getsetattr calls whose entry arguments were not kept */
	MQTAP_CTR_SUPPRESSED = 27,        /* events over their uid's (or cgroup's) budget: counted, not emitted */
	MQTAP_CTR_UNATTRIBUTED = 28,      /* suppressed or lost events whose uid the accounts map had no room for */
	MQTAP_CTR_SLOTS = 29,
};

/* kernel features the program can use (mqtap_kernel_features, mqtap_probe_features) */
enum mqtap_feature {
	MQTAP_FEAT_TASK_STORAGE = 1, /* task storage in tracing programs (5.11+): else an LRU hash by tid */
	MQTAP_FEAT_TASK_BTF = 2,     /* bpf_get_current_task_btf (5.11+): else bpf_get_current_task + CO-RE reads */
	MQTAP_FEAT_IA32 = 4,         /* IA-32 emulation: tracepoint mode adds raw_syscalls hooks for 32-bit callers */
	MQTAP_FEAT_RDONLY_CAST = 8,  /* bpf_rdonly_cast (6.2+, with TASK_BTF): files and inodes read by loads, else probe reads */
};

/* The features this kernel has, probed once per process (needs CAP_BPF). */
int mqtap_kernel_features(void);

struct mqtap_options {
	int transport;
	int per_cpu_pages;
	int ring_buffer_bytes;
	int wakeup_bytes;
	int drain_interval_ms;
	int staging_events;   /* > 0: a native thread keeps the kernel buffer read into a ring this big */
	uint32_t self_tgid;
	/* filters: arrays owned by the probe after mqtap_probe_new */
	uint32_t *include_uids, *exclude_uids;
	int n_include_uids, n_exclude_uids;
	char (*include_comms)[16], (*exclude_comms)[16];
	int n_include_comms, n_exclude_comms;
	uint64_t *include_cgroups, *exclude_cgroups;
	int n_include_cgroups, n_exclude_cgroups;
	uint8_t name_prefix[256];
	int name_prefix_len;
	int without_features;  /* mqtap_feature bits not to use even where the kernel has them (tests, compat32Hooks) */
	int kretprobe_instances; /* instances of each tracefs kretprobe (0: MQTAP_KRETPROBE_MAXACTIVE) */
	/* fault injection for tests (0: off): 1 in N entries fail to store, entries or exits are skipped; 1 in N
	 * queue opens through the filesystem skip the open-exit program, thread exits with a call pending the
	 * thread-exit program, notify and getsetattr calls their program (counted as those programs' misses) */
	uint32_t inject_entry_drop, inject_entry_skip, inject_exit_skip, inject_open_exit_skip, inject_task_exit_skip,
		inject_call_skip;
	/* benchmarks only: groups of fields left unread (SKIP_* of bpf/caller.bpf.h); 0 in production */
	uint32_t skip_fields;
	/* the rest of a queue's life: mq_unlink (and unlinks through the filesystem), mq_notify and mq_getsetattr as
	 * events, send and receive as access_mode says; 0: opens only (their hooks are neither loaded nor attached) */
	int queue_life;
	/* send and receive: enum mq_access_mode (taken as off without queue_life); the aggregation maps' bounds
	 * (keys, caller snapshots) per window */
	int access_mode;
	int access_max_keys;
	int access_max_contexts;
	/* fairness: each uid's (or cgroup's) budget of events per second and burst; rate 0: off */
	uint64_t fair_rate, fair_burst;
	int fair_by_cgroup;
};

/* mqtap_probe_fair_accounts: values per uid, in this order */
enum mqtap_fair_slot { MQTAP_FAIR_UID, MQTAP_FAIR_SUPPRESSED, MQTAP_FAIR_LOST, MQTAP_FAIR_FIRST_NS, MQTAP_FAIR_LAST_NS, MQTAP_FAIR_SLOTS };

struct mqtap_probe;

/* Takes ownership of the filter arrays in opts. NULL on allocation failure. */
struct mqtap_probe *mqtap_probe_new(const struct mqtap_options *opts);
/* Opens and loads the object with only `set` enabled, fills the filter maps, opens the reader. 0 or -errno. */
int mqtap_probe_load(struct mqtap_probe *p, int set);
/* Attaches the loaded set (exit first, then entry). 0 or -errno. */
int mqtap_probe_attach(struct mqtap_probe *p);
/* Replaces the filters (the filter fields of nf) in the loaded programs' maps and globals in place, while they
 * run: nothing is detached, no event is missed. Takes ownership of nf's filter arrays on success. 0 or -errno. */
int mqtap_probe_set_filters(struct mqtap_probe *p, struct mqtap_options *nf);
/* Destroys the links; maps and reader stay so buffered events can still be drained. */
void mqtap_probe_detach(struct mqtap_probe *p);
/* Copies up to cap ready events (MQ_OPEN_EVENT_SIZE each) to out, waiting at most timeout_ms. count or -errno. */
int mqtap_probe_drain(struct mqtap_probe *p, uint8_t *out, int cap, int timeout_ms);
/* Makes a drain in progress return promptly; safe from any thread while the probe lives. */
void mqtap_probe_stop(struct mqtap_probe *p);
/* Loads after this call leave out these mqtap_feature bits even where the kernel has them (tests). */
void mqtap_probe_without_features(struct mqtap_probe *p, int features);
/* Attaches after this call give each tracefs kretprobe this many instances (1..4096; tests hold them all). */
void mqtap_probe_set_kretprobe_instances(struct mqtap_probe *p, int instances);
/* The mqtap_feature bits the loaded program uses (0 before a load). */
int mqtap_probe_features(const struct mqtap_probe *p);
/* Run counts and run time of the loaded programs by role (enter, exit, open exit, thread exit, create, calls):
 * 2 x MQTAP_ROLES values {runs, ns}, counted while run-time stats are on (mqtap_enable_stats). 0 or -errno. */
#define MQTAP_ROLES 6
int mqtap_probe_prog_stats(struct mqtap_probe *p, int64_t *out);
/*
 * The aggregation of send and receive (access mode aggregate). flip starts a new window and returns once no
 * program can still write the old one (0, or -errno); then take, contexts and overflow read the old window's
 * maps and empty them: take copies up to cap entries (struct mq_access_key then struct mq_access_value,
 * MQTAP_ACCESS_ENTRY_SIZE bytes each), contexts up to cap caller snapshots (MQ_OPEN_EVENT_SIZE each), each
 * returning the count or -errno; overflow fills MQ_ACCESS_CALLS x 4 values (struct mq_access_overflow per call,
 * summed over CPUs). Call them from one thread.
 */
#define MQTAP_ACCESS_ENTRY_SIZE 96
int mqtap_probe_access_flip(struct mqtap_probe *p);
int mqtap_probe_access_take(struct mqtap_probe *p, uint8_t *out, int cap);
int mqtap_probe_access_contexts(struct mqtap_probe *p, uint8_t *out, int cap);
int mqtap_probe_access_overflow(struct mqtap_probe *p, int64_t *out);

/* Turns the kernel's BPF run-time statistics on until the returned fd is closed. fd or -errno. */
int mqtap_enable_stats(void);
/*
 * capture.pinPath, after attach: enum mqtap_pin_state (mqtap_pin.h); out gets {generation, the generation taken
 * over or replaced (0: none), events counted lost from a replaced run}. why: the reason pinning is off
 * (MQTAP_PIN_UNSUPPORTED), else "".
 */
int mqtap_probe_pin_state(const struct mqtap_probe *p, int64_t *out);
/* capture.pinPath, before load (ring buffer only): a directory on bpffs where the maps and links outlive this
 * run; NULL or "" off. Staging goes off with it: events wait in the kernel's ring, which the next run takes
 * over. 0, or -ENAMETOOLONG. */
int mqtap_probe_set_pin_path(struct mqtap_probe *p, const char *path);
const char *mqtap_probe_pin_why(const struct mqtap_probe *p);
/* 1: detach and free leave the pinned programs running into the pinned ring for the next run (a restart);
 * 0 (the default): they unpin, and the programs detach (a stop for good). */
void mqtap_probe_keep_pins(struct mqtap_probe *p, int keep);
/*
 * The pinned ring (capture.pinPath) is read without being consumed. manual 1: records stay the kernel's until
 * mqtap_probe_commit (the producer commits what its spool holds, so a killed process loses none); 0 (default):
 * each drain consumes what it copied. read_pos: where the last drain stopped (-1 unpinned); resume: the next run
 * starts past records a killed run had already made safe (before the first drain). ring_id: the ring map's id.
 */
void mqtap_probe_set_manual_commit(struct mqtap_probe *p, int manual);
int64_t mqtap_probe_read_pos(const struct mqtap_probe *p);
void mqtap_probe_commit(struct mqtap_probe *p, int64_t pos);
void mqtap_probe_resume(struct mqtap_probe *p, int64_t pos);
int64_t mqtap_probe_ring_id(const struct mqtap_probe *p);

/* Fills MQTAP_CTR_SLOTS values. 0 or -errno. Safe from any thread while the probe lives. */
int mqtap_probe_counters(struct mqtap_probe *p, int64_t *out);
/* Copies what fairness and the buffer did to each uid's calls (MQTAP_FAIR_SLOTS values per uid, at most cap uids)
 * to out: the number of uids, or -errno. Counts are cumulative since the load. */
int mqtap_probe_fair_accounts(struct mqtap_probe *p, uint64_t *out, int cap);
/* Sets the fairness budget: before a load, for the load; after it, in the running programs. 0. */
int mqtap_probe_set_fairness(struct mqtap_probe *p, uint64_t rate, uint64_t burst, int by_cgroup);
void mqtap_probe_free(struct mqtap_probe *p);

/* The last failure: "op failed: reason (ENAME): hint", and what libbpf logged meanwhile (verifier log). */
const char *mqtap_probe_error(const struct mqtap_probe *p);
const char *mqtap_probe_log(const struct mqtap_probe *p);

/* "ENOENT" for 2; NULL for a number without a name */
const char *mqtap_errno_name(int err);

#endif
