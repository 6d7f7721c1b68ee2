// SPDX-License-Identifier: Apache-2.0
/*
 * The capture core: open the embedded BPF object with one hook set enabled, set its rodata,
 * load, fill the filter maps, attach, and copy events from the perf or ring buffer into a
 * caller's buffer, a batch at a time. Every failure leaves "<op> failed: <reason>" in p->err.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <linux/perf_event.h>
#include <linux/types.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "mq_open_event.h"
#include "mq_open.skel.h"
#include "mqtap_kretprobe.h"
#include "mqtap_pin.h"
#include "mqtap_ring.h"
#include "mqtap_probe.h"

#define LOG_CAP (256 * 1024)
#define MQTAP_MAX_LINKS 24
#define TRACEFS "/sys/kernel/tracing"

/* what a program of the set does, for counting its misses */
/* ROLE_CALLS: the programs of the rest of a queue's life (mq_calls.bpf.h) */
enum prog_role { ROLE_ENTER, ROLE_EXIT, ROLE_OPEN_EXIT, ROLE_TASK_EXIT, ROLE_CREATE, ROLE_CALLS, ROLES };

struct mqtap_probe {
	struct mqtap_options opts;
	struct mqtap_bpf *skel;
	int set;           /* loaded set, 0 when none */
	int features;      /* mqtap_feature bits the loaded program uses */
	int attached;
	struct bpf_link *enter_link;          /* do_mq_open's entry, or the raw sys_enter: attached last, detached first */
	struct bpf_link *links[MQTAP_MAX_LINKS]; /* every other program of the set */
	struct bpf_program *link_progs[MQTAP_MAX_LINKS];
	struct mqtap_kretprobe krp[MQTAP_MAX_LINKS]; /* where links[i] is a kretprobe made through tracefs */
	int nlinks;
	int64_t link_missed_base[ROLES]; /* kprobe link misses of links already destroyed, by role (-1: none known) */
	struct perf_buffer *pb;
	struct ring_buffer *rb;
	int epoll_fd;
	size_t page_size;
	size_t next_buf;   /* perf buffer to start the next copy from, for fairness */
	int ncpus;
	int64_t *percpu;   /* scratch for per-CPU counter reads */
	pthread_mutex_t counters_lock;

	/* ring buffer copy state: the callback fills out[] and stashes the one that did not fit */
	uint8_t *rb_out;
	int rb_cap, rb_n;
	int has_stash;
	uint8_t stash[MQ_OPEN_EVENT_SIZE];
	uint8_t wrap[65536]; /* a perf record that wraps the ring end, made contiguous */

	pthread_mutex_t access_lock; /* flip and the reads of the old aggregation window */
	int access_old;               /* the window flip left to be read, -1 before the first flip */

	atomic_int stopping; /* set by stop() from any thread, read by drain */
	int last_full;        /* the last drain filled the caller's buffer */

	/*
	 * Staging (opts.staging_events > 0): a native thread moves events from the kernel buffer
	 * into this ring as they come, so a JVM pause (a GC safepoint stops every Java thread, not
	 * this one) does not leave the kernel buffer unread. drain() copies from here.
	 */
	uint8_t *stage;
	uint64_t stage_head, stage_tail; /* records written by the pump / taken by drain */
	pthread_t pump;
	int pump_running;
	atomic_int pump_stop;
	pthread_mutex_t stage_lock;
	pthread_cond_t stage_cond;
	_Atomic int64_t received;     /* drain and pump add, counters() reads from any thread */
	_Atomic int64_t lost_records;

	struct mqtap_pin pin; /* capture.pinPath */
	int keep_pins;
	/* the counters and programs' misses as last read, before the taken-over base comes off: the checkpoint */
	uint64_t raw[MQ_OPEN_CTR_MAX];
	uint64_t raw_misses[8];
	/* pinned: the ring read by hand, consumed only on commit (manual_commit) or after each drain */
	struct mqtap_ring ring;
	int own_ring;
	int manual_commit;

	char err[4096];
	char *log;
	size_t log_len;
};

/* ---- errors and the libbpf log ---- */

/* glibc's table (2.32+) is the one errno table: the Java side asks for it through the JNI library */
const char *mqtap_errno_name(int e)
{
	return e > 0 ? strerrorname_np(e) : NULL;
}

static void set_err(struct mqtap_probe *p, int err, const char *op, const char *fmt, ...)
{
	const char *name = mqtap_errno_name(err);
	int n = name ? snprintf(p->err, sizeof(p->err), "%s failed: %s (%s)", op, strerror(err), name)
		     : snprintf(p->err, sizeof(p->err), "%s failed: %s (E%d)", op, strerror(err), err);

	if (fmt && n > 0 && (size_t)n < sizeof(p->err) - 2) {
		va_list ap;

		strcat(p->err, ": ");
		va_start(ap, fmt);
		vsnprintf(p->err + n + 2, sizeof(p->err) - n - 2, fmt, ap);
		va_end(ap);
	}
}

/* libbpf's print hook is process-wide: one probe at a time records into its log */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mqtap_probe *log_target;

static int print_to_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	struct mqtap_probe *p = log_target;
	char line[2048];
	int n;

	if (getenv("MQTAP_LIBBPF_DEBUG")) {
		va_list copy;

		va_copy(copy, ap); /* a va_list can be consumed once: the log below reads ap again */
		vfprintf(stderr, fmt, copy);
		va_end(copy);
	}
	if (level == LIBBPF_DEBUG || !p)
		return 0;
	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n <= 0)
		return 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (p->log_len + n >= LOG_CAP) /* keep the head: the verifier's first complaint matters most */
		return 0;
	memcpy(p->log + p->log_len, line, n);
	p->log_len += n;
	p->log[p->log_len] = 0;
	return 0;
}

static void log_begin(struct mqtap_probe *p)
{
	pthread_mutex_lock(&log_lock);
	p->log_len = 0;
	p->log[0] = 0;
	log_target = p;
	libbpf_set_print(print_to_log);
}

static void log_end(void)
{
	log_target = NULL;
	pthread_mutex_unlock(&log_lock);
}

const char *mqtap_probe_error(const struct mqtap_probe *p) { return p->err; }
const char *mqtap_probe_log(const struct mqtap_probe *p) { return p->log; }

/* ---- load ---- */

static void pump_halt(struct mqtap_probe *p);

static void free_loaded(struct mqtap_probe *p)
{
	mqtap_probe_detach(p);
	pump_halt(p);
	if (p->pb)
		perf_buffer__free(p->pb);
	if (p->rb)
		ring_buffer__free(p->rb);
	if (p->own_ring)
		mqtap_ring_close(&p->ring);
	p->own_ring = 0;
	if (p->epoll_fd >= 0)
		close(p->epoll_fd);
	p->pb = NULL;
	p->rb = NULL;
	p->epoll_fd = -1;
	p->has_stash = 0;
	if (p->skel)
		mqtap_bpf__destroy(p->skel);
	p->skel = NULL;
	p->set = 0;
}

struct mqtap_probe *mqtap_probe_new(const struct mqtap_options *opts)
{
	struct mqtap_probe *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->opts = *opts;
	if (!p->opts.queue_life)
		p->opts.access_mode = 0; /* send and receive are part of a queue's life */
	p->epoll_fd = -1;
	p->page_size = sysconf(_SC_PAGESIZE);
	p->ncpus = libbpf_num_possible_cpus();
	p->log = malloc(LOG_CAP);
	p->percpu = calloc(p->ncpus > 0 ? p->ncpus : 1, sizeof(int64_t));
	if (!p->log || !p->percpu || p->ncpus <= 0) {
		free(p->log);
		free(p->percpu);
		free(p);
		return NULL;
	}
	p->log[0] = 0;
	atomic_init(&p->stopping, 0);
	atomic_init(&p->pump_stop, 0);
	atomic_init(&p->received, 0);
	atomic_init(&p->lost_records, 0);
	pthread_mutex_init(&p->counters_lock, NULL);
	pthread_mutex_init(&p->access_lock, NULL);
	p->access_old = -1;
	pthread_mutex_init(&p->stage_lock, NULL);
	{
		pthread_condattr_t ca;

		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC); /* deadlines below are CLOCK_MONOTONIC */
		pthread_cond_init(&p->stage_cond, &ca);
		pthread_condattr_destroy(&ca);
	}
	if (p->opts.staging_events > 0) {
		p->stage = malloc((size_t)p->opts.staging_events * MQ_OPEN_EVENT_SIZE);
		if (!p->stage) {
			mqtap_probe_free(p);
			return NULL;
		}
	}
	return p;
}

/* benchmarks only (skip_fields bit): the open hooks are neither loaded nor attached */
#define MQTAP_SKIP_OPEN_HOOKS 0x40

static void set_autoload(struct mqtap_bpf *s, int set, uint32_t skip, int ia32, int life, int access)
{
	int fe = set == MQTAP_SET_FENTRY && life, kp = set == MQTAP_SET_KPROBE && life, tp;
	int opens = !(skip & MQTAP_SKIP_OPEN_HOOKS);

	/* the rest of a queue's life; send and receive only when access is not off; the i386 mq_unlink syscall
	 * where the kernel has IA-32 emulation (the do_* functions serve 32-bit callers themselves) */
	bpf_program__set_autoload(s->progs.fexit_do_mq_timedsend, fe && access);
	bpf_program__set_autoload(s->progs.fexit_do_mq_timedreceive, fe && access);
	bpf_program__set_autoload(s->progs.fexit_do_mq_notify, fe);
	bpf_program__set_autoload(s->progs.fexit_do_mq_getsetattr, fe);
	bpf_program__set_autoload(s->progs.fexit_sys_mq_unlink, fe);
	bpf_program__set_autoload(s->progs.fexit_ia32_sys_mq_unlink, fe && ia32);
	bpf_program__set_autoload(s->progs.fentry_mqueue_unlink, fe);
	bpf_program__set_autoload(s->progs.kretprobe_do_mq_timedsend, kp && access);
	bpf_program__set_autoload(s->progs.kretprobe_do_mq_timedreceive, kp && access);
	bpf_program__set_autoload(s->progs.kprobe_do_mq_notify, kp);
	bpf_program__set_autoload(s->progs.kretprobe_do_mq_notify, kp);
	bpf_program__set_autoload(s->progs.kprobe_do_mq_getsetattr, kp);
	bpf_program__set_autoload(s->progs.kretprobe_do_mq_getsetattr, kp);
	bpf_program__set_autoload(s->progs.kretprobe_sys_mq_unlink, kp);
	bpf_program__set_autoload(s->progs.kretprobe_ia32_sys_mq_unlink, kp && ia32);
	bpf_program__set_autoload(s->progs.kprobe_mqueue_unlink, kp);

	/* mq_open and opens through the filesystem: always */
	fe = set == MQTAP_SET_FENTRY, kp = set == MQTAP_SET_KPROBE, tp = set == MQTAP_SET_TRACEPOINT;
	bpf_program__set_autoload(s->progs.fentry_do_mq_open, fe);
	bpf_program__set_autoload(s->progs.fexit_do_mq_open, fe);
	bpf_program__set_autoload(s->progs.fentry_mqueue_create_attr, fe);
	bpf_program__set_autoload(s->progs.fexit_do_sys_openat2, fe && opens);
	bpf_program__set_autoload(s->progs.kprobe_do_mq_open, kp);
	bpf_program__set_autoload(s->progs.kretprobe_do_mq_open, kp);
	bpf_program__set_autoload(s->progs.kprobe_mqueue_create_attr, kp);
	bpf_program__set_autoload(s->progs.kretprobe_do_sys_openat2, kp && opens);
	/* the raw syscall tracepoints: every call of the set, dispatched by number (rodata says which) */
	bpf_program__set_autoload(s->progs.btf_sys_enter, tp);
	bpf_program__set_autoload(s->progs.btf_sys_exit, tp);
	/* task_exit (raw tracepoint sched_process_exit) serves every set */
}

static const char *set_name(int set)
{
	return set == MQTAP_SET_FENTRY ? "fentry" : set == MQTAP_SET_KPROBE ? "kprobe" : "tracepoint";
}

static int fill_filters(struct mqtap_probe *p)
{
	const struct mqtap_options *o = &p->opts;
	int uid_fd = bpf_map__fd(p->skel->maps.uid_filter);
	int comm_fd = bpf_map__fd(p->skel->maps.comm_filter);
	int cg_fd = bpf_map__fd(p->skel->maps.cgroup_filter);
	__u8 v;
	int i;

	/* include sets first, then OR the exclude bit into the same entries */
	for (i = 0; i < o->n_include_uids; i++) {
		v = 1;
		if (bpf_map_update_elem(uid_fd, &o->include_uids[i], &v, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < o->n_exclude_uids; i++) {
		v = 0;
		bpf_map_lookup_elem(uid_fd, &o->exclude_uids[i], &v);
		v |= 2;
		if (bpf_map_update_elem(uid_fd, &o->exclude_uids[i], &v, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < o->n_include_comms; i++) {
		v = 1;
		if (bpf_map_update_elem(comm_fd, o->include_comms[i], &v, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < o->n_exclude_comms; i++) {
		v = 0;
		bpf_map_lookup_elem(comm_fd, o->exclude_comms[i], &v);
		v |= 2;
		if (bpf_map_update_elem(comm_fd, o->exclude_comms[i], &v, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < o->n_include_cgroups; i++) {
		v = 1;
		if (bpf_map_update_elem(cg_fd, &o->include_cgroups[i], &v, BPF_ANY))
			return -errno;
	}
	for (i = 0; i < o->n_exclude_cgroups; i++) {
		v = 0;
		bpf_map_lookup_elem(cg_fd, &o->exclude_cgroups[i], &v);
		v |= 2;
		if (bpf_map_update_elem(cg_fd, &o->exclude_cgroups[i], &v, BPF_ANY))
			return -errno;
	}
	return 0;
}

/* Index of key in keys[n] (each key_size bytes), or -1. */
static int key_index(const void *keys, int n, size_t key_size, const void *key)
{
	int i;

	for (i = 0; i < n; i++)
		if (!memcmp((const uint8_t *)keys + (size_t)i * key_size, key, key_size))
			return i;
	return -1;
}

/*
 * Brings one filter map to the new include/exclude sets without a moment in which an event the new
 * or the old configuration wants could be dropped by a half-written map: first the new bits are OR'ed
 * onto the old entries (`widen`), then, after the caller switched the flags, every entry is set to
 * exactly its new bits and the keys of neither set are deleted (`narrow`).
 */
static int sync_filter_map(int fd, size_t key_size, uint32_t max_entries, const void *inc, int n_inc,
			   const void *exc, int n_exc, int narrow)
{
	uint8_t *keys, *cur, *next;
	int i, n = 0, err = 0;
	__u8 v, want;

	if (!narrow) {
		for (i = 0; i < n_inc + n_exc; i++) {
			const void *k = i < n_inc ? (const uint8_t *)inc + (size_t)i * key_size
						  : (const uint8_t *)exc + (size_t)(i - n_inc) * key_size;
			v = 0;
			bpf_map_lookup_elem(fd, k, &v);
			v |= i < n_inc ? 1 : 2;
			if (bpf_map_update_elem(fd, k, &v, BPF_ANY))
				return -errno;
		}
		return 0;
	}
	/* the keys first (deleting while walking would skip some), then each to its new bits */
	keys = calloc(max_entries + 1, key_size);
	if (!keys)
		return -ENOMEM;
	cur = NULL;
	next = keys;
	while (n < (int)max_entries && !bpf_map_get_next_key(fd, cur, next)) {
		cur = next;
		next = keys + (size_t)(++n) * key_size;
	}
	for (i = 0; i < n && !err; i++) {
		const uint8_t *k = keys + (size_t)i * key_size;

		want = (key_index(inc, n_inc, key_size, k) >= 0 ? 1 : 0) | (key_index(exc, n_exc, key_size, k) >= 0 ? 2 : 0);
		if (!want)
			err = bpf_map_delete_elem(fd, k) && errno != ENOENT ? -errno : 0;
		else if (bpf_map_lookup_elem(fd, k, &v) || v != want)
			err = bpf_map_update_elem(fd, k, &want, BPF_ANY) ? -errno : 0;
	}
	free(keys);
	return err;
}

/* The bucket's GCRA form: one token every interval, (burst - 1) intervals of tolerance; rate 0 switches it off. */
static void fairness_of(uint64_t rate, uint64_t burst, uint64_t *interval, uint64_t *tolerance)
{
	*interval = rate ? (1000000000ULL + rate - 1) / rate : 0;
	*tolerance = rate ? (burst > 0 ? burst - 1 : 0) * *interval : 0;
}

int mqtap_probe_set_fairness(struct mqtap_probe *p, uint64_t rate, uint64_t burst, int by_cgroup)
{
	struct mqtap_bpf *s = p->skel;
	uint64_t interval, tolerance;

	p->opts.fair_rate = rate, p->opts.fair_burst = burst, p->opts.fair_by_cgroup = by_cgroup;
	if (!s || !s->bss || !p->set)
		return 0; /* applied at load */
	fairness_of(rate, burst, &interval, &tolerance);
	/* off first, then the new key and tolerance, then on: no call is judged by half of each budget */
	__atomic_store_n(&s->bss->fair_interval_ns, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->bss->fair_by_cgroup, by_cgroup ? 1 : 0, __ATOMIC_RELEASE);
	__atomic_store_n(&s->bss->fair_tolerance_ns, tolerance, __ATOMIC_RELEASE);
	__atomic_store_n(&s->bss->fair_interval_ns, interval, __ATOMIC_RELEASE);
	return 0;
}

/* The two-step rewrite of the filters in the live maps and globals (see sync_filter_map). 0 or -errno. */
static int sync_filters(struct mqtap_probe *p, const struct mqtap_options *nf)
{
	struct mqtap_bpf *s = p->skel;
	int fds[3], narrow, err = 0, i;

	fds[0] = bpf_map__fd(s->maps.uid_filter);
	fds[1] = bpf_map__fd(s->maps.comm_filter);
	fds[2] = bpf_map__fd(s->maps.cgroup_filter);
	for (narrow = 0; narrow <= 1 && !err; narrow++) {
		if (narrow) {
			/* the switch: flags for the new sets; the prefix off while its bytes change */
			__atomic_store_n(&s->bss->uid_include, nf->n_include_uids > 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->bss->uid_exclude, nf->n_exclude_uids > 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->bss->comm_include, nf->n_include_comms > 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->bss->comm_exclude, nf->n_exclude_comms > 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->bss->cgroup_include, nf->n_include_cgroups > 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->bss->cgroup_exclude, nf->n_exclude_cgroups > 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->bss->name_prefix_len, 0, __ATOMIC_RELEASE);
			for (i = 0; i < nf->name_prefix_len && i < MQ_OPEN_NAME_MAX; i++)
				((volatile __u8 *)s->bss->name_prefix)[i] = nf->name_prefix[i];
			__atomic_store_n(&s->bss->name_prefix_len, (__u32)nf->name_prefix_len, __ATOMIC_RELEASE);
		}
		err = sync_filter_map(fds[0], sizeof(uint32_t), bpf_map__max_entries(s->maps.uid_filter), nf->include_uids,
				      nf->n_include_uids, nf->exclude_uids, nf->n_exclude_uids, narrow);
		if (!err)
			err = sync_filter_map(fds[1], 16, bpf_map__max_entries(s->maps.comm_filter), nf->include_comms,
					      nf->n_include_comms, nf->exclude_comms, nf->n_exclude_comms, narrow);
		if (!err)
			err = sync_filter_map(fds[2], sizeof(uint64_t), bpf_map__max_entries(s->maps.cgroup_filter),
					      nf->include_cgroups, nf->n_include_cgroups, nf->exclude_cgroups,
					      nf->n_exclude_cgroups, narrow);
	}
	return err;
}

int mqtap_probe_set_filters(struct mqtap_probe *p, struct mqtap_options *nf)
{
	struct mqtap_bpf *s = p->skel;
	struct mqtap_options *o = &p->opts;
	int err;

	if (!s || !s->bss || !p->set)
		return -EINVAL; /* nothing loaded: the filters are given at load */
	err = sync_filters(p, nf);
	if (err) {
		set_err(p, -err, "bpf_map_update_elem(filters)", "while replacing the filters");
		return err;
	}
	/* the probe owns the new sets from now on */
	free(o->include_uids);
	free(o->exclude_uids);
	free(o->include_comms);
	free(o->exclude_comms);
	free(o->include_cgroups);
	free(o->exclude_cgroups);
	o->include_uids = nf->include_uids, o->n_include_uids = nf->n_include_uids;
	o->exclude_uids = nf->exclude_uids, o->n_exclude_uids = nf->n_exclude_uids;
	o->include_comms = nf->include_comms, o->n_include_comms = nf->n_include_comms;
	o->exclude_comms = nf->exclude_comms, o->n_exclude_comms = nf->n_exclude_comms;
	o->include_cgroups = nf->include_cgroups, o->n_include_cgroups = nf->n_include_cgroups;
	o->exclude_cgroups = nf->exclude_cgroups, o->n_exclude_cgroups = nf->n_exclude_cgroups;
	memcpy(o->name_prefix, nf->name_prefix, sizeof(o->name_prefix));
	o->name_prefix_len = nf->name_prefix_len;
	return 0;
}

static enum bpf_perf_event_ret unused_event_cb(void *ctx, int cpu, struct perf_event_header *e)
{
	/* never called: drain reads the rings itself so it can stop exactly when the caller's buffer is full */
	return LIBBPF_PERF_EVENT_CONT;
}

static int rb_sample(void *ctx, void *data, size_t size);

static int open_reader(struct mqtap_probe *p)
{
	int err;

	if (p->opts.transport == MQTAP_RING_BUFFER && p->pin.dir[0]) {
		struct epoll_event ev = { .events = EPOLLIN };
		int fd = bpf_map__fd(p->skel->maps.ringbuf);

		err = mqtap_ring_open(&p->ring, fd, bpf_map__max_entries(p->skel->maps.ringbuf));
		if (err) {
			set_err(p, -err, "mmap(ringbuf)", NULL);
			return err;
		}
		p->own_ring = 1;
		p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
		if (p->epoll_fd < 0 || epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
			err = -errno;
			set_err(p, -err, "epoll(ringbuf)", NULL);
			return err;
		}
		return 0;
	} else if (p->opts.transport == MQTAP_RING_BUFFER) {
		p->rb = ring_buffer__new(bpf_map__fd(p->skel->maps.ringbuf), rb_sample, p, NULL);
		if (!p->rb) {
			err = -errno;
			set_err(p, -err, "ring_buffer__new", NULL);
			return err;
		}
		p->epoll_fd = dup(ring_buffer__epoll_fd(p->rb));
	} else {
		struct perf_event_attr attr = {
			.type = PERF_TYPE_SOFTWARE,
			.config = PERF_COUNT_SW_BPF_OUTPUT,
			.sample_type = PERF_SAMPLE_RAW,
			.sample_period = 1,
			/* wake the reader only past this many bytes; drain's timer picks up the rest */
			.watermark = 1,
			.wakeup_watermark = p->opts.wakeup_bytes,
		};
		if (p->opts.wakeup_bytes <= 0) {
			attr.watermark = 0;
			attr.wakeup_events = 1;
		}
		p->pb = perf_buffer__new_raw(bpf_map__fd(p->skel->maps.events), p->opts.per_cpu_pages, &attr,
					     unused_event_cb, p, NULL);
		if (!p->pb) {
			err = -errno;
			set_err(p, -err, "perf_buffer__new_raw", "%d pages per CPU", p->opts.per_cpu_pages);
			return err;
		}
		p->epoll_fd = dup(perf_buffer__epoll_fd(p->pb));
	}
	if (p->epoll_fd < 0) {
		err = -errno;
		set_err(p, -err, "dup(epoll fd)", NULL);
		return err;
	}
	return 0;
}

static void *pump_main(void *arg);

#define PENDING_HASH_ENTRIES 8192 /* calls in flight at once, where pairing falls back to a hash */

/* Picks the program's paths from what the kernel has: the same object loads from 5.10 up. */
static int use_kernel_features(struct mqtap_probe *p, struct mqtap_bpf *s)
{
	int f = mqtap_kernel_features() & ~p->opts.without_features, err = 0;

	if (!(f & MQTAP_FEAT_TASK_BTF))
		f &= ~(MQTAP_FEAT_TASK_STORAGE | MQTAP_FEAT_RDONLY_CAST); /* both take the task's BTF pointer path */
	s->rodata->use_task_btf = !!(f & MQTAP_FEAT_TASK_BTF);
	s->rodata->use_rdonly_cast = !!(f & MQTAP_FEAT_RDONLY_CAST);
	s->rodata->use_task_storage = !!(f & MQTAP_FEAT_TASK_STORAGE);
	if (!(f & MQTAP_FEAT_TASK_STORAGE)) {
		/* preallocated: PREEMPT_RT kernels refuse run-time allocation in tracing programs */
		err = bpf_map__set_type(s->maps.pending, BPF_MAP_TYPE_LRU_HASH);
		if (!err)
			err = bpf_map__set_map_flags(s->maps.pending, 0);
		if (!err)
			err = bpf_map__set_max_entries(s->maps.pending, PENDING_HASH_ENTRIES);
		if (err) {
			set_err(p, -err, "bpf_map__set_type(pending)", "falling back to a hash map for entry/exit pairing");
			return err;
		}
	}
	p->features = f;
	return 0;
}

void mqtap_probe_without_features(struct mqtap_probe *p, int features)
{
	p->opts.without_features = features;
}

void mqtap_probe_set_kretprobe_instances(struct mqtap_probe *p, int instances)
{
	p->opts.kretprobe_instances = instances;
}

int mqtap_probe_features(const struct mqtap_probe *p)
{
	return p->set ? p->features : 0;
}

/* A kernel data symbol's address from /proc/kallsyms, or 0 where it is not listed (or hidden: all zeros). */
static uint64_t kallsyms_address(const char *name)
{
	char line[256], sym[128], type;
	unsigned long long addr;
	uint64_t found = 0;
	FILE *f = fopen("/proc/kallsyms", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %127s", &addr, &type, sym) == 3 && !strcmp(sym, name)) {
			found = addr;
			break;
		}
	}
	fclose(f);
	return found;
}

/* The aggregation maps' sizes: each window's pair gets the configured bound (an unused pair stays tiny). */
static int set_access_bounds(struct mqtap_probe *p, struct mqtap_bpf *s)
{
	int agg = p->opts.access_mode == MQ_ACCESS_AGGREGATE;
	__u32 keys = agg && p->opts.access_max_keys > 0 ? (__u32)p->opts.access_max_keys : 1;
	__u32 ctxs = agg && p->opts.access_max_contexts > 0 ? (__u32)p->opts.access_max_contexts : 1;
	int err = bpf_map__set_max_entries(s->maps.access0, keys);

	if (!err)
		err = bpf_map__set_max_entries(s->maps.access1, keys);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.access_ctx0, ctxs);
	if (!err)
		err = bpf_map__set_max_entries(s->maps.access_ctx1, ctxs);
	if (err)
		set_err(p, -err, "bpf_map__set_max_entries(access)", "%u keys, %u caller snapshots per window", keys, ctxs);
	return err;
}

/* FNV-1a: the fingerprint of what a run's programs and maps are made of */
static uint64_t fnv(uint64_t h, const void *data, size_t n)
{
	const uint8_t *b = data;
	size_t i;

	for (i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

static int sync_filters(struct mqtap_probe *p, const struct mqtap_options *nf);

/* capture.pinPath before load: the fingerprint of this load (the object, its read-only settings but the
 * per-run ones, the map sizes, the set), then the pinned run's maps when it matches, and this generation. */
static int pin_prepare(struct mqtap_probe *p, struct mqtap_bpf *s, int set)
{
	size_t elf_sz;
	const void *elf = mqtap_bpf__elf_bytes(&elf_sz);
	uint64_t h = 0xcbf29ce484222325ULL;
	__u32 sizes[6];
	int err;

	if (p->opts.transport != MQTAP_RING_BUFFER) {
		set_err(p, EINVAL, "capture.pinPath", "needs the ring buffer transport (capture.transport: ring)");
		return -EINVAL;
	}
	err = mqtap_pin_check_dir(p->pin.dir, p->pin.why, sizeof(p->pin.why));
	if (err) {
		set_err(p, -err, "capture.pinPath", "%s", p->pin.why);
		return err;
	}
	h = fnv(h, elf, elf_sz);
	h = fnv(h, s->rodata, bpf_map__value_size(s->maps.rodata)); /* nothing per run in it: self_tgid is in .bss */
	sizes[0] = (__u32)set;
	sizes[1] = bpf_map__max_entries(s->maps.ringbuf);
	sizes[2] = bpf_map__max_entries(s->maps.access0);
	sizes[3] = bpf_map__max_entries(s->maps.access_ctx0);
	sizes[4] = bpf_map__type(s->maps.pending);
	sizes[5] = (__u32)p->features; /* the 32-bit caller hooks (compat32Hooks) change which programs are attached */
	h = fnv(h, sizes, sizeof(sizes));
	p->pin.fingerprint = h;
	p->pin.why[0] = 0;
	err = mqtap_pin_prepare(&p->pin, s->obj);
	if (err) {
		set_err(p, -err, "capture.pinPath", "%s (remove %s to start afresh)", p->pin.why, p->pin.dir);
		return err;
	}
	return 0;
}

/* A reused run's .bss and filter maps are the live ones: this run's filters and budget go in as a reload's. */
static int refill_live(struct mqtap_probe *p)
{
	int err;

	/* the programs that go on running exclude this process now, not the one that pinned them */
	__atomic_store_n(&p->skel->bss->self_tgid, p->opts.self_tgid, __ATOMIC_RELEASE);
	p->set = 1; /* set_fairness writes only into a loaded probe */
	err = sync_filters(p, &p->opts);
	mqtap_probe_set_fairness(p, p->opts.fair_rate, p->opts.fair_burst, p->opts.fair_by_cgroup);
	p->set = 0;
	return err;
}

int mqtap_probe_load(struct mqtap_probe *p, int set)
{
	struct mqtap_bpf *s;
	int err, i;

	free_loaded(p);
	p->err[0] = 0;
	if (p->pin.dir[0]) {
		struct mqtap_pin fresh = { 0 };

		memcpy(fresh.dir, p->pin.dir, sizeof(fresh.dir));
		p->pin = fresh;
	}
	log_begin(p);
	s = mqtap_bpf__open();
	if (!s) {
		err = -errno;
		set_err(p, -err, "mqtap_bpf__open", "the embedded BPF object could not be opened");
		goto out;
	}
	p->skel = s;
	for (i = 0; i < ROLES; i++)
		p->link_missed_base[i] = -1;
	set_autoload(s, set, p->opts.skip_fields, !!(mqtap_kernel_features() & ~p->opts.without_features & MQTAP_FEAT_IA32),
		     !!p->opts.queue_life, p->opts.access_mode != 0);
	s->bss->self_tgid = p->opts.self_tgid;
	s->rodata->use_ringbuf = p->opts.transport == MQTAP_RING_BUFFER;
	s->rodata->ringbuf_wakeup_bytes = p->opts.wakeup_bytes;
	s->bss->uid_include = p->opts.n_include_uids > 0;
	s->bss->uid_exclude = p->opts.n_exclude_uids > 0;
	s->bss->comm_include = p->opts.n_include_comms > 0;
	s->bss->comm_exclude = p->opts.n_exclude_comms > 0;
	s->bss->cgroup_include = p->opts.n_include_cgroups > 0;
	s->bss->cgroup_exclude = p->opts.n_exclude_cgroups > 0;
	s->bss->name_prefix_len = p->opts.name_prefix_len;
	s->rodata->has_create_hook = set == MQTAP_SET_FENTRY || set == MQTAP_SET_KPROBE;
	s->rodata->inject_entry_drop = p->opts.inject_entry_drop;
	s->rodata->inject_entry_skip = p->opts.inject_entry_skip;
	s->rodata->inject_exit_skip = p->opts.inject_exit_skip;
	s->rodata->inject_open_exit_skip = p->opts.inject_open_exit_skip;
	s->rodata->inject_task_exit_skip = p->opts.inject_task_exit_skip;
	s->rodata->inject_call_skip = p->opts.inject_call_skip;
	s->rodata->skip_fields = p->opts.skip_fields;
	s->rodata->mq_fops_kallsyms = kallsyms_address("mqueue_file_operations");
	s->rodata->access_mode = (__u8)p->opts.access_mode;
	s->rodata->queue_life = !!p->opts.queue_life;
	s->rodata->has_ia32 = !!(mqtap_kernel_features() & MQTAP_FEAT_IA32);
	s->rodata->compat_hooks = set == MQTAP_SET_TRACEPOINT &&
				  (mqtap_kernel_features() & ~p->opts.without_features & MQTAP_FEAT_IA32);
	s->rodata->open_hooks = !(p->opts.skip_fields & MQTAP_SKIP_OPEN_HOOKS);
	s->bss->access_window = 0;
	p->access_old = -1;
	err = set_access_bounds(p, s);
	if (err)
		goto out;
	for (i = 0; i < p->opts.name_prefix_len && i < MQ_OPEN_NAME_MAX; i++)
		((__u8 *)s->bss->name_prefix)[i] = p->opts.name_prefix[i];
	fairness_of(p->opts.fair_rate, p->opts.fair_burst, (uint64_t *)&s->bss->fair_interval_ns,
		    (uint64_t *)&s->bss->fair_tolerance_ns);
	s->bss->fair_by_cgroup = p->opts.fair_by_cgroup ? 1 : 0;
	err = use_kernel_features(p, s);
	if (err)
		goto out;
	/* an unused ring buffer still needs a valid size: one page */
	err = bpf_map__set_max_entries(s->maps.ringbuf, p->opts.transport == MQTAP_RING_BUFFER
						    ? (__u32)p->opts.ring_buffer_bytes : (__u32)p->page_size);
	if (err) {
		set_err(p, -err, "bpf_map__set_max_entries(ringbuf)", "%d bytes", p->opts.ring_buffer_bytes);
		goto out;
	}

	if (p->pin.dir[0]) {
		err = pin_prepare(p, s, set);
		if (err)
			goto out;
	}
	err = mqtap_bpf__load(s);
	if (err) {
		/* EPERM: the Java side says why (capabilities missing, or the kernel refusing despite them) */
		if (err == -EPERM)
			set_err(p, EPERM, "bpf_object__load(mq_open)", "loading the %s programs", set_name(set));
		else if (err == -ESRCH || err == -ENOENT)
			set_err(p, -err, "bpf_object__load(mq_open)",
				"loading the %s programs: the hook do_mq_open does not exist on this kernel (not in BTF or kallsyms)",
				set_name(set));
		else
			set_err(p, -err, "bpf_object__load(mq_open)", "loading the %s programs; see the verifier log",
				set_name(set));
		goto out;
	}
	err = p->pin.reused ? refill_live(p) : fill_filters(p);
	if (err) {
		set_err(p, -err, "bpf_map_update_elem(filters)", NULL);
		goto out;
	}
	if (p->pin.dir[0]) {
		err = mqtap_pin_loaded(&p->pin, s->maps.pin_meta);
		if (err) {
			set_err(p, -err, "pin_meta", "%s", p->pin.why);
			goto out;
		}
		/* a slot this run never reads is checkpointed as it found it */
		memcpy(p->raw, p->pin.base, sizeof(p->raw));
		memcpy(p->raw_misses, p->pin.miss_base, sizeof(p->raw_misses));
	}
	err = open_reader(p);
	if (err)
		goto out;
	if (p->stage) {
		p->stage_head = p->stage_tail = 0;
		atomic_store(&p->pump_stop, 0);
		err = -pthread_create(&p->pump, NULL, pump_main, p);
		if (err) {
			set_err(p, -err, "pthread_create(pump)", NULL);
			goto out;
		}
		p->pump_running = 1;
	}
	p->set = set;
	if (set != MQTAP_SET_TRACEPOINT)
		p->features &= ~MQTAP_FEAT_IA32; /* the do_mq_open hooks see 32-bit callers themselves */
out:
	log_end();
	if (err) {
		free_loaded(p);
		return err < 0 ? err : -err;
	}
	return 0;
}

/* ---- attach ---- */

static int ensure_tracefs(struct mqtap_probe *p)
{
	struct stat st;
	int stat_err;

	if (stat(TRACEFS "/events", &st) == 0)
		return 0;
	stat_err = errno;
	if (stat("/sys/kernel/debug/tracing/events", &st) == 0)
		return 0;
	if (stat_err == EACCES) {
		/* mounted, but root-only (0700 by default): a CAP_BPF+CAP_PERFMON service can't read the ids */
		set_err(p, EACCES, "stat(" TRACEFS "/events)",
			"tracefs is mounted but this process may not read it; remount it for the service's group: "
			"`mount -o remount,gid=<group>,mode=0750 " TRACEFS "` (see docs/security.md)");
		return -EACCES;
	}
	/* libbpf reads tracepoint ids from tracefs */
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) && errno != EBUSY) {
		int err = errno;

		set_err(p, err, "mount(tracefs, " TRACEFS ")",
			"tracefs is not mounted and this process could not mount it; mount it with "
			"`mount -t tracefs nodev " TRACEFS "` (needs CAP_SYS_ADMIN)");
		return -err;
	}
	return 0;
}

static struct bpf_link *attach_one(struct mqtap_probe *p, struct bpf_program *prog, int *err)
{
	struct bpf_link *l = bpf_program__attach(prog);

	*err = l ? 0 : -errno;
	if (*err) {
		struct stat st;
		const char *hint = "";

		if (p->set == MQTAP_SET_KPROBE && stat("/sys/bus/event_source/devices/kprobe", &st) != 0)
			hint = "kprobes are not available on this kernel (no kprobe PMU; CONFIG_KPROBES is likely unset)";
		else if (p->set == MQTAP_SET_TRACEPOINT)
			hint = "does the kernel have BTF and the raw_syscalls sys_enter/sys_exit tracepoints (CONFIG_FTRACE_SYSCALLS)?";
		set_err(p, -*err, "bpf_program__attach", "%s: %s", bpf_program__name(prog), hint);
	}
	return l;
}

/* where tracefs is: the usual mount point, or the old one under debugfs */
static const char *tracefs_dir(void)
{
	struct stat st;

	return stat(TRACEFS "/kprobe_events", &st) == 0 ? TRACEFS : "/sys/kernel/debug/tracing";
}

/* the kprobe set's kretprobes: made through tracefs, with room for calls blocked in the function */
static const char *kretprobe_target(struct mqtap_probe *p, const struct bpf_program *prog)
{
	if (prog == p->skel->progs.kretprobe_do_mq_open)
		return "do_mq_open";
	if (prog == p->skel->progs.kretprobe_do_sys_openat2)
		return "do_sys_openat2";
	/* receivers and senders block in these: each blocked call holds an instance */
	if (prog == p->skel->progs.kretprobe_do_mq_timedsend)
		return "do_mq_timedsend";
	if (prog == p->skel->progs.kretprobe_do_mq_timedreceive)
		return "do_mq_timedreceive";
	if (prog == p->skel->progs.kretprobe_do_mq_notify)
		return "do_mq_notify";
	if (prog == p->skel->progs.kretprobe_do_mq_getsetattr)
		return "do_mq_getsetattr";
	if (prog == p->skel->progs.kretprobe_sys_mq_unlink)
		return "__x64_sys_mq_unlink";
	if (prog == p->skel->progs.kretprobe_ia32_sys_mq_unlink)
		return "__ia32_sys_mq_unlink";
	return NULL;
}

/* 0, or -errno: then the caller attaches through the kprobe PMU (its default instances, misses from 6.7) */
static int attach_kretprobe(struct mqtap_probe *p, struct bpf_program *prog, struct mqtap_kretprobe *k)
{
	int instances = p->opts.kretprobe_instances > 0 && p->opts.kretprobe_instances < MQTAP_KRETPROBE_MAXACTIVE
				? p->opts.kretprobe_instances : MQTAP_KRETPROBE_MAXACTIVE;
	char why[512];
	int err;

	mqtap_kretprobe_sweep(tracefs_dir());
	err = mqtap_kretprobe_attach(tracefs_dir(), prog, kretprobe_target(p, prog), instances, k, why, sizeof(why));
	if (err && getenv("MQTAP_LIBBPF_DEBUG"))
		fprintf(stderr, "mqtap: kretprobe through tracefs failed, using the kprobe PMU: %s\n", why);
	return err;
}

/* The programs of the loaded set other than the mq_open entry, in attach order (exits first). */
static int set_programs(struct mqtap_probe *p, struct bpf_program **enter, struct bpf_program **out)
{
	struct mqtap_bpf *s = p->skel;
	int n = 0, opens = !(p->opts.skip_fields & MQTAP_SKIP_OPEN_HOOKS), access = p->opts.access_mode != 0;
	int ia32 = !!(mqtap_kernel_features() & ~p->opts.without_features & MQTAP_FEAT_IA32), life = !!p->opts.queue_life;

	switch (p->set) {
	case MQTAP_SET_FENTRY:
		*enter = s->progs.fentry_do_mq_open;
		out[n++] = s->progs.fexit_do_mq_open;
		if (opens)
			out[n++] = s->progs.fexit_do_sys_openat2;
		out[n++] = s->progs.fentry_mqueue_create_attr;
		if (!life)
			break;
		if (access) {
			out[n++] = s->progs.fexit_do_mq_timedsend;
			out[n++] = s->progs.fexit_do_mq_timedreceive;
		}
		out[n++] = s->progs.fexit_do_mq_notify;
		out[n++] = s->progs.fexit_do_mq_getsetattr;
		out[n++] = s->progs.fexit_sys_mq_unlink;
		if (ia32)
			out[n++] = s->progs.fexit_ia32_sys_mq_unlink;
		out[n++] = s->progs.fentry_mqueue_unlink;
		break;
	case MQTAP_SET_KPROBE:
		*enter = s->progs.kprobe_do_mq_open;
		out[n++] = s->progs.kretprobe_do_mq_open;
		if (opens)
			out[n++] = s->progs.kretprobe_do_sys_openat2;
		out[n++] = s->progs.kprobe_mqueue_create_attr;
		if (!life)
			break;
		if (access) {
			out[n++] = s->progs.kretprobe_do_mq_timedsend;
			out[n++] = s->progs.kretprobe_do_mq_timedreceive;
		}
		/* each exit before its entry: an entry's arguments always find their exit */
		out[n++] = s->progs.kretprobe_do_mq_notify;
		out[n++] = s->progs.kprobe_do_mq_notify;
		out[n++] = s->progs.kretprobe_do_mq_getsetattr;
		out[n++] = s->progs.kprobe_do_mq_getsetattr;
		out[n++] = s->progs.kretprobe_sys_mq_unlink;
		if (ia32)
			out[n++] = s->progs.kretprobe_ia32_sys_mq_unlink;
		out[n++] = s->progs.kprobe_mqueue_unlink;
		break;
	default:
		*enter = s->progs.btf_sys_enter;
		out[n++] = s->progs.btf_sys_exit;
	}
	out[n++] = s->progs.task_exit;
	return n;
}

/*
 * capture.pinPath, same object and settings: the pinned programs are the ones this load would attach, so they are
 * kept running, never detached or doubled: their links are opened in the order they were pinned (set_programs'
 * order, then the entry), and their programs' fds kept for the run counts and misses.
 */
static int take_over_links(struct mqtap_probe *p, struct bpf_program **progs, int n)
{
	struct bpf_link *l;
	char path[512];
	int i, err = 0;

	for (i = 0; i < n + 1 && !err; i++) {
		snprintf(path, sizeof(path), "%s/g%u/link%d", p->pin.dir, p->pin.gen, i);
		l = bpf_link__open(path);
		if (!l) {
			err = -errno;
			set_err(p, -err, "capture.pinPath", "the pinned link %s could not be opened (remove %s to start afresh)",
				path, p->pin.dir);
			break;
		}
		if (i < n) {
			p->links[i] = l;
			p->link_progs[i] = progs[i];
			p->nlinks = i + 1;
		} else {
			p->enter_link = l;
		}
	}
	if (err) {
		mqtap_probe_detach(p);
		return err;
	}
	mqtap_pin_take_over(&p->pin);
	p->attached = 1;
	return 0;
}

/* The fd of the program that runs for prog: a taken-over link's (the pinned run's program), else prog's own. */
static int running_fd(struct mqtap_probe *p, const struct bpf_program *prog, int *owned)
{
	struct bpf_link_info info;
	__u32 len = sizeof(info);
	struct bpf_link *l = NULL;
	int i;

	*owned = 0;
	if (!p->pin.reused)
		return bpf_program__fd(prog);
	for (i = 0; i < p->nlinks && !l; i++)
		if (p->link_progs[i] == prog)
			l = p->links[i];
	if (!l && (prog == p->skel->progs.btf_sys_enter || prog == p->skel->progs.fentry_do_mq_open ||
		   prog == p->skel->progs.kprobe_do_mq_open))
		l = p->enter_link;
	memset(&info, 0, sizeof(info));
	if (!l || bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len))
		return -1;
	*owned = 1;
	return bpf_prog_get_fd_by_id(info.prog_id);
}

int mqtap_probe_attach(struct mqtap_probe *p)
{
	struct bpf_program *enter, *progs[MQTAP_MAX_LINKS];
	int err = 0, n, i;

	if (!p->skel) {
		set_err(p, EINVAL, "attach", "nothing is loaded");
		return -EINVAL;
	}
	if (p->attached)
		return 0;
	if (p->set == MQTAP_SET_TRACEPOINT) {
		err = ensure_tracefs(p);
		if (err)
			return err;
	} else if (p->set == MQTAP_SET_KPROBE && ensure_tracefs(p)) {
		p->err[0] = 0; /* without tracefs the kretprobes go through the kprobe PMU */
	}
	n = set_programs(p, &enter, progs);
	if (p->pin.reused)
		return take_over_links(p, progs, n);
	log_begin(p);
	/* exits and helpers first: every entry recorded from now on has its exit hook in place */
	for (i = 0; i < n && !err; i++) {
		p->link_progs[i] = progs[i];
		p->nlinks = i + 1;
		/* pinned: kprobe PMU links only (a tracefs event would be swept by the next run) */
		if (!p->pin.dir[0] && kretprobe_target(p, progs[i]) && attach_kretprobe(p, progs[i], &p->krp[i]) == 0)
			p->links[i] = p->krp[i].link;
		else
			p->links[i] = attach_one(p, progs[i], &err);
	}
	if (!err)
		p->enter_link = attach_one(p, enter, &err);
	log_end();
	if (err) {
		mqtap_probe_detach(p);
		return err;
	}
	if (p->pin.dir[0]) {
		struct bpf_link *all[MQTAP_MAX_LINKS + 2];
		int nall = 0;

		for (i = 0; i < p->nlinks; i++)
			all[nall++] = p->links[i];
		all[nall++] = p->enter_link;
		mqtap_pin_commit(&p->pin, p->skel->obj, p->skel->maps.pin_meta, all, nall);
	}
	p->attached = 1;
	return 0;
}

int mqtap_probe_set_pin_path(struct mqtap_probe *p, const char *path)
{
	if (path && strlen(path) >= sizeof(p->pin.dir) - 16)
		return -ENAMETOOLONG;
	snprintf(p->pin.dir, sizeof(p->pin.dir), "%s", path ? path : "");
	if (p->pin.dir[0] && p->stage) {
		/* events wait in the pinned ring, which outlives this process; a staging ring would not */
		free(p->stage);
		p->stage = NULL;
		p->opts.staging_events = 0;
	}
	return 0;
}

int mqtap_probe_pin_state(const struct mqtap_probe *p, int64_t *out)
{
	out[0] = p->pin.gen;
	out[1] = p->pin.prev_gen;
	out[2] = p->pin.discarded;
	return p->pin.dir[0] ? p->pin.state : MQTAP_PIN_OFF;
}

const char *mqtap_probe_pin_why(const struct mqtap_probe *p)
{
	return p->pin.state == MQTAP_PIN_UNSUPPORTED ? p->pin.why : "";
}

void mqtap_probe_keep_pins(struct mqtap_probe *p, int keep)
{
	p->keep_pins = keep;
}

static void prog_misses(struct mqtap_probe *p, int64_t *by_role, int64_t *total);

static int64_t sum_counter(struct mqtap_probe *p, __u32 idx);

/* The counters and the programs' misses as last read, for the next run to count from (pinned runs only); fresh:
 * read them all first (the stop's checkpoint), else what the counters() read just took. */
static void pin_checkpoint(struct mqtap_probe *p, int fresh)
{
	if (fresh) {
		int64_t misses[ROLES], total;
		__u32 c;

		for (c = 0; c < MQ_OPEN_CTR_MAX; c++)
			sum_counter(p, c);
		prog_misses(p, misses, &total);
	}
	mqtap_pin_checkpoint(&p->pin, p->skel->maps.pin_meta, p->raw, p->raw_misses);
}

static void link_misses(struct mqtap_probe *p, int64_t *by_role);
static int prog_role(struct mqtap_probe *p, const struct bpf_program *prog);

void mqtap_probe_detach(struct mqtap_probe *p)
{
	int i;

	/* counters() reads the links under this lock; what they counted is kept past their end */
	pthread_mutex_lock(&p->counters_lock);
	if (p->skel && p->set == MQTAP_SET_KPROBE && (p->enter_link || p->nlinks))
		link_misses(p, p->link_missed_base);
	/* pinned: a restart leaves the programs running (the pins hold them), a stop for good unpins them */
	if (p->skel && p->pin.pinned) {
		if (p->keep_pins)
			pin_checkpoint(p, 1);
		else
			mqtap_pin_remove(&p->pin);
	}
	/* entry first: calls in flight still reach their exit and are emitted */
	if (p->enter_link)
		bpf_link__destroy(p->enter_link);
	p->enter_link = NULL;
	for (i = 0; i < p->nlinks; i++) {
		if (p->krp[i].event[0])
			mqtap_kretprobe_detach(tracefs_dir(), &p->krp[i]);
		else if (p->links[i])
			bpf_link__destroy(p->links[i]);
		p->links[i] = NULL;
		p->link_progs[i] = NULL;
	}
	p->nlinks = 0;
	p->attached = 0;
	pthread_mutex_unlock(&p->counters_lock);
}

/* ---- drain ---- */

/*
 * Copies one raw event into a fixed-size slot: the bytes the event says it uses (readers go by its
 * lengths, so the rest of the slot is not cleared); a record shorter than that is zero-filled.
 */
static void put_event(uint8_t *slot, const uint8_t *raw, size_t raw_size)
{
	size_t n = raw_size < MQ_OPEN_EVENT_SIZE ? raw_size : MQ_OPEN_EVENT_SIZE;
	size_t want = MQ_OPEN_EVENT_SIZE;

	if (n >= MQ_OPEN_EVENT_DATA_OFFSET) {
		want = mq_open_event_wire_size((const struct mq_open_event *)raw);
		if (want < n)
			n = want; /* perf pads raw data to 8 bytes with whatever was there */
	}
	memcpy(slot, raw, n);
	if (n < want)
		memset(slot + n, 0, want - n);
}

static int perf_copy(struct mqtap_probe *p, uint8_t *out, int cap)
{
	size_t cnt = perf_buffer__buffer_cnt(p->pb), k;
	int n = 0;

	for (k = 0; k < cnt && n < cap; k++) {
		size_t idx = (p->next_buf + k) % cnt, size;
		struct perf_event_mmap_page *hdr;
		uint64_t head, tail;
		uint8_t *data;
		void *base;

		if (perf_buffer__buffer(p->pb, idx, &base, &size))
			continue; /* no buffer for an offline CPU */
		hdr = base;
		data = (uint8_t *)base + p->page_size;
		/* the kernel shares this page: its fields are plain integers, read and written with builtins */
		head = __atomic_load_n(&hdr->data_head, __ATOMIC_ACQUIRE);
		tail = hdr->data_tail;
		while (tail < head && n < cap) {
			size_t off = tail % size;
			struct perf_event_header *eh = (void *)(data + off);
			uint8_t *rec = (uint8_t *)eh;
			size_t rsz = eh->size;

			if (rsz == 0)
				break; /* cannot happen; avoids spinning on a corrupt ring */
			if (off + rsz > size) {
				size_t first = size - off;

				if (rsz > sizeof(p->wrap))
					break;
				memcpy(p->wrap, data + off, first);
				memcpy(p->wrap + first, data, rsz - first);
				rec = p->wrap;
				eh = (void *)rec;
			}
			if (eh->type == PERF_RECORD_SAMPLE) {
				uint32_t raw_size = *(uint32_t *)(rec + sizeof(*eh));

				put_event(out + (size_t)n * MQ_OPEN_EVENT_SIZE, rec + sizeof(*eh) + 4, raw_size);
				n++;
			} else if (eh->type == PERF_RECORD_LOST) {
				uint64_t lost = *(uint64_t *)(rec + sizeof(*eh) + 8);

				atomic_fetch_add_explicit(&p->lost_records, (int64_t)lost, memory_order_relaxed);
			}
			tail += rsz;
		}
		__atomic_store_n(&hdr->data_tail, tail, __ATOMIC_RELEASE);
	}
	p->next_buf = (p->next_buf + 1) % (cnt ? cnt : 1);
	return n;
}

static int rb_sample(void *ctx, void *data, size_t size)
{
	struct mqtap_probe *p = ctx;

	if (p->rb_n >= p->rb_cap) {
		/* libbpf has consumed this one already: keep it for the next drain */
		put_event(p->stash, data, size);
		p->has_stash = 1;
		return -ENOSPC;
	}
	put_event(p->rb_out + (size_t)p->rb_n * MQ_OPEN_EVENT_SIZE, data, size);
	p->rb_n++;
	return 0;
}

static int rb_copy(struct mqtap_probe *p, uint8_t *out, int cap)
{
	int err;

	p->rb_out = out;
	p->rb_cap = cap;
	p->rb_n = 0;
	if (p->has_stash) {
		memcpy(out, p->stash, MQ_OPEN_EVENT_SIZE);
		p->has_stash = 0;
		p->rb_n = 1;
	}
	if (p->rb_n < cap) {
		err = ring_buffer__consume(p->rb);
		if (err < 0 && err != -ENOSPC)
			return err;
	}
	return p->rb_n;
}

/* A pinned ring: copied, and consumed only when the caller commits (or at once without manual commits). */
static int own_ring_copy(struct mqtap_probe *p, uint8_t *out, int cap)
{
	int n = mqtap_ring_read(&p->ring, out, cap, MQ_OPEN_EVENT_SIZE, put_event);

	if (!p->manual_commit)
		mqtap_ring_commit(&p->ring, p->ring.read_pos);
	return n;
}

static int copy_kernel(struct mqtap_probe *p, uint8_t *out, int cap)
{
	return p->pb ? perf_copy(p, out, cap) : p->own_ring ? own_ring_copy(p, out, cap) : rb_copy(p, out, cap);
}

void mqtap_probe_set_manual_commit(struct mqtap_probe *p, int manual)
{
	p->manual_commit = manual;
}

int64_t mqtap_probe_read_pos(const struct mqtap_probe *p)
{
	return p->own_ring ? (int64_t)p->ring.read_pos : -1;
}

void mqtap_probe_commit(struct mqtap_probe *p, int64_t pos)
{
	if (p->own_ring && pos >= 0)
		mqtap_ring_commit(&p->ring, (uint64_t)pos);
}

void mqtap_probe_resume(struct mqtap_probe *p, int64_t pos)
{
	if (p->own_ring && pos >= 0)
		mqtap_ring_resume(&p->ring, (uint64_t)pos);
}

int64_t mqtap_probe_ring_id(const struct mqtap_probe *p)
{
	struct bpf_map_info info;
	__u32 len = sizeof(info);

	memset(&info, 0, sizeof(info));
	if (!p->own_ring || bpf_obj_get_info_by_fd(p->ring.map_fd, &info, &len))
		return -1;
	return info.id;
}

static int copy_ready(struct mqtap_probe *p, uint8_t *out, int cap)
{
	int n = copy_kernel(p, out, cap);

	if (n > 0)
		atomic_fetch_add_explicit(&p->received, n, memory_order_relaxed);
	return n;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- the staging pump ---- */

static void abs_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits for the kernel's wakeup (or the drain interval), copies what is ready into free staging space. */
static void *pump_main(void *arg)
{
	struct mqtap_probe *p = arg;
	uint64_t cap = (uint64_t)p->opts.staging_events;
	struct epoll_event evs[16];
	int more = 0;

	pthread_setname_np(pthread_self(), "mqtap-pump");
	while (!atomic_load(&p->pump_stop)) {
		uint64_t head, used, room;
		int n;

		if (!more) {
			if (p->rb) {
				/* a ring buffer polls readable while it holds any data: pause so a batch gathers */
				struct timespec pause = { 0, 1000000L };

				nanosleep(&pause, NULL);
			}
			epoll_wait(p->epoll_fd, evs, 16, p->opts.drain_interval_ms);
		}
		pthread_mutex_lock(&p->stage_lock);
		while ((used = p->stage_head - p->stage_tail) == cap && !atomic_load(&p->pump_stop)) {
			/* staging full: the kernel buffer fills next and the program counts what it loses */
			struct timespec ts;

			abs_deadline(&ts, p->opts.drain_interval_ms);
			pthread_cond_timedwait(&p->stage_cond, &p->stage_lock, &ts);
		}
		head = p->stage_head;
		pthread_mutex_unlock(&p->stage_lock);
		if (atomic_load(&p->pump_stop))
			break;
		room = cap - used;
		if (room > cap - head % cap)
			room = cap - head % cap; /* contiguous up to the ring's end */
		n = copy_kernel(p, p->stage + (head % cap) * MQ_OPEN_EVENT_SIZE, (int)room);
		more = n > 0 && (uint64_t)n == room;
		if (n > 0) {
			pthread_mutex_lock(&p->stage_lock);
			p->stage_head += n;
			pthread_cond_broadcast(&p->stage_cond);
			pthread_mutex_unlock(&p->stage_lock);
		}
	}
	return NULL;
}

static void pump_halt(struct mqtap_probe *p)
{
	if (!p->pump_running)
		return;
	pthread_mutex_lock(&p->stage_lock);
	atomic_store(&p->pump_stop, 1);
	pthread_cond_broadcast(&p->stage_cond);
	pthread_mutex_unlock(&p->stage_lock);
	pthread_join(p->pump, NULL);
	p->pump_running = 0;
}

static int drain_staged(struct mqtap_probe *p, uint8_t *out, int cap, int timeout_ms)
{
	uint64_t scap = (uint64_t)p->opts.staging_events, tail, avail, first;
	struct timespec deadline;
	int n;

	abs_deadline(&deadline, timeout_ms);
	pthread_mutex_lock(&p->stage_lock);
	while (p->stage_head == p->stage_tail && !atomic_load(&p->stopping) && timeout_ms > 0) {
		if (pthread_cond_timedwait(&p->stage_cond, &p->stage_lock, &deadline) == ETIMEDOUT)
			break;
	}
	avail = p->stage_head - p->stage_tail;
	tail = p->stage_tail;
	pthread_mutex_unlock(&p->stage_lock);
	n = avail < (uint64_t)cap ? (int)avail : cap;
	if (n == 0)
		return 0;
	/* each event's used bytes only (a quarter of its slot, typically): readers go by its lengths */
	for (first = 0; first < (uint64_t)n; first++) {
		const uint8_t *slot = p->stage + ((tail + first) % scap) * MQ_OPEN_EVENT_SIZE;

		memcpy(out + first * MQ_OPEN_EVENT_SIZE, slot, mq_open_event_wire_size((const struct mq_open_event *)slot));
	}
	pthread_mutex_lock(&p->stage_lock);
	p->stage_tail += n;
	pthread_cond_broadcast(&p->stage_cond); /* room for the pump */
	pthread_mutex_unlock(&p->stage_lock);
	atomic_fetch_add_explicit(&p->received, n, memory_order_relaxed);
	return n;
}

/*
 * Batching: unless the last drain filled the caller's buffer (more is surely waiting), sleep
 * until the kernel's watermark wakeup or the drain interval, whichever comes first, then copy.
 * A reader that sleeps between batches costs one wakeup per watermark and, when it is woken,
 * is scheduled ahead of busy tasks; one that spins on small batches competes with them.
 */
int mqtap_probe_drain(struct mqtap_probe *p, uint8_t *out, int cap, int timeout_ms)
{
	int64_t deadline = now_ms() + timeout_ms;
	struct epoll_event evs[16];
	int n;

	if (!p->pb && !p->rb && !p->own_ring) {
		set_err(p, EINVAL, "drain", "nothing is loaded");
		return -EINVAL;
	}
	if (p->stage)
		return drain_staged(p, out, cap, timeout_ms);
	if (p->last_full || timeout_ms == 0) {
		n = copy_ready(p, out, cap);
		p->last_full = n == cap;
		if (n > 0 || timeout_ms == 0)
			return n;
	}
	for (;;) {
		int64_t left = deadline - now_ms();
		int wait, r;

		if (atomic_load(&p->stopping))
			return 0;
		if (left < 0)
			left = 0;
		wait = left < p->opts.drain_interval_ms ? (int)left : p->opts.drain_interval_ms;
		if ((p->rb || p->own_ring) && wait > 0) {
			/* a ring buffer polls readable while it holds any data: pause briefly so a batch gathers */
			struct timespec pause = { 0, (wait < 1 ? wait : 1) * 1000000L };

			nanosleep(&pause, NULL);
		}
		r = epoll_wait(p->epoll_fd, evs, 16, wait);
		if (r < 0 && errno != EINTR) {
			int err = errno;

			set_err(p, err, "epoll_wait", NULL);
			return -err;
		}
		n = copy_ready(p, out, cap);
		p->last_full = n == cap;
		if (n > 0 || atomic_load(&p->stopping) || deadline - now_ms() <= 0)
			return n;
	}
}

void mqtap_probe_stop(struct mqtap_probe *p)
{
	pthread_mutex_lock(&p->stage_lock);
	atomic_store(&p->stopping, 1);
	pthread_cond_broadcast(&p->stage_cond); /* a drain waiting on staging returns */
	pthread_mutex_unlock(&p->stage_lock);
}

/* ---- counters ---- */

static int64_t sum_counter(struct mqtap_probe *p, __u32 idx)
{
	int fd = bpf_map__fd(p->skel->maps.counters);
	int64_t sum = 0;
	int i;

	if (bpf_map_lookup_elem(fd, &idx, p->percpu))
		return 0;
	for (i = 0; i < p->ncpus; i++)
		sum += p->percpu[i];
	if (idx >= MQ_OPEN_CTR_MAX)
		return sum;
	p->raw[idx] = (uint64_t)sum;
	/* a taken-over run counts from the previous run's checkpoint: the gap's losses are this run's */
	return sum - (int64_t)p->pin.base[idx];
}

static int prog_role(struct mqtap_probe *p, const struct bpf_program *prog)
{
	const struct mqtap_bpf *s = p->skel;

	if (prog == s->progs.fentry_do_mq_open || prog == s->progs.kprobe_do_mq_open ||
	    prog == s->progs.btf_sys_enter)
		return ROLE_ENTER;
	/* the tracepoint set's exit serves every call (mq_open's, opens', the rest's): its skipped runs count as the
	 * mq_open exits' (each could be one) */
	if (prog == s->progs.fexit_do_mq_open || prog == s->progs.kretprobe_do_mq_open ||
	    prog == s->progs.btf_sys_exit)
		return ROLE_EXIT;
	if (prog == s->progs.task_exit)
		return ROLE_TASK_EXIT;
	if (prog == s->progs.fentry_mqueue_create_attr || prog == s->progs.kprobe_mqueue_create_attr)
		return ROLE_CREATE;
	if (prog == s->progs.fexit_do_sys_openat2 || prog == s->progs.kretprobe_do_sys_openat2)
		return ROLE_OPEN_EXIT;
	return ROLE_CALLS;
}

/*
 * Runs of the loaded programs the kernel skipped (e.g. while a bpf() syscall on the same CPU had
 * BPF disabled), by role; -1 where the kernel's bpf_prog_info has no recursion_misses (before 5.12).
 */
static void prog_misses(struct mqtap_probe *p, int64_t *by_role, int64_t *total)
{
	struct bpf_program *prog;
	int r;

	for (r = 0; r < ROLES; r++)
		by_role[r] = 0;
	*total = 0;
	bpf_object__for_each_program(prog, p->skel->obj) {
		struct bpf_prog_info info;
		__u32 len = sizeof(info);
		int owned, fd = running_fd(p, prog, &owned), got;

		if (fd < 0)
			continue; /* not loaded: another set */
		memset(&info, 0, sizeof(info));
		got = bpf_obj_get_info_by_fd(fd, &info, &len);
		if (owned)
			close(fd);
		if (got != 0)
			continue;
		if (len < offsetof(struct bpf_prog_info, recursion_misses) + sizeof(info.recursion_misses)) {
			for (r = 0; r < ROLES; r++)
				by_role[r] = -1;
			*total = -1;
			return;
		}
		by_role[prog_role(p, prog)] += info.recursion_misses;
		*total += info.recursion_misses;
	}
	for (r = 0; r < ROLES; r++)
		p->raw_misses[r] = (uint64_t)by_role[r];
	/* taken over: the pinned programs' misses count from the previous run's checkpoint */
	for (r = 0; r < ROLES && p->pin.reused; r++) {
		int64_t base = (int64_t)p->pin.miss_base[r];

		by_role[r] -= base < by_role[r] ? base : by_role[r];
		*total -= base < *total ? base : *total;
	}
}

/*
 * How often a kprobe/kretprobe link's handler was skipped (kretprobe: no free instance), from
 * bpf_link_info.perf_event.kprobe.missed (6.7+): -1 when not a kprobe link or not reported.
 * The layout below is the uapi's, newer than the build machine's headers.
 */
struct link_info_kprobe {
	__u32 type;      /* enum bpf_link_type: BPF_LINK_TYPE_PERF_EVENT */
	__u32 id;
	__u32 prog_id;
	__u32 pad0;
	__u32 pe_type;   /* perf_event.type: enum bpf_perf_event_type */
	__u32 pad1;
	__u64 func_name;
	__u32 name_len;
	__u32 offset;
	__u64 addr;
	__u64 missed;
	__u64 cookie;
	__u8 rest[64];   /* the union is larger; the kernel wants unknown tail bytes zero */
};
#define MQTAP_LINK_TYPE_PERF_EVENT 7
#define MQTAP_PERF_EVENT_KPROBE 3
#define MQTAP_PERF_EVENT_KRETPROBE 4

/* 1 when the running kernel's bpf_link_info has perf_event.kprobe.missed (checked once, from its BTF) */
static int kernel_reports_link_missed(void)
{
	static int known = -1;
	struct btf *btf;
	const char *want[] = { "perf_event", "kprobe", "missed" };
	__s32 id;
	int depth = 0;

	if (known >= 0)
		return known;
	known = 0;
	btf = btf__load_vmlinux_btf();
	if (!btf)
		return known;
	id = btf__find_by_name_kind(btf, "bpf_link_info", BTF_KIND_STRUCT);
	while (id > 0 && depth < 3) {
		const struct btf_type *t = btf__type_by_id(btf, btf__resolve_type(btf, id));
		const struct btf_member *m;
		int i, next = -1;

		if (!t || (!btf_is_struct(t) && !btf_is_union(t)))
			break;
		m = btf_members(t);
		for (i = 0; i < btf_vlen(t) && next < 0; i++, m++) {
			const char *name = btf__name_by_offset(btf, m->name_off);

			if (name && !strcmp(name, want[depth]))
				next = m->type;
			else if (name && !*name) { /* an anonymous union: look one level into it */
				const struct btf_type *u = btf__type_by_id(btf, btf__resolve_type(btf, m->type));
				const struct btf_member *um = u && (btf_is_union(u) || btf_is_struct(u)) ? btf_members(u) : NULL;
				int j;

				for (j = 0; um && j < btf_vlen(u) && next < 0; j++, um++) {
					const char *un = btf__name_by_offset(btf, um->name_off);

					if (un && !strcmp(un, want[depth]))
						next = um->type;
				}
			}
		}
		if (next < 0)
			break;
		if (++depth == 3) {
			known = 1;
			break;
		}
		id = next;
	}
	btf__free(btf);
	return known;
}

static int64_t link_missed(struct bpf_link *l)
{
	struct link_info_kprobe info;
	__u32 len = sizeof(info);

	if (!l || !kernel_reports_link_missed())
		return -1;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(bpf_link__fd(l), &info, &len) != 0 || len < offsetof(struct link_info_kprobe, cookie))
		return -1;
	if (info.type != MQTAP_LINK_TYPE_PERF_EVENT ||
	    (info.pe_type != MQTAP_PERF_EVENT_KPROBE && info.pe_type != MQTAP_PERF_EVENT_KRETPROBE))
		return -1;
	return (int64_t)info.missed;
}

/* link misses by role, live links plus what links destroyed earlier had counted */
static void link_misses(struct mqtap_probe *p, int64_t *by_role)
{
	int64_t base[ROLES];
	int r, i;

	memcpy(base, p->link_missed_base, sizeof(base));
	for (r = 0; r < ROLES; r++)
		by_role[r] = base[r];
	if (p->enter_link) {
		int64_t m = link_missed(p->enter_link);

		if (m >= 0)
			by_role[ROLE_ENTER] = (by_role[ROLE_ENTER] < 0 ? 0 : by_role[ROLE_ENTER]) + m;
	}
	for (i = 0; i < p->nlinks; i++) {
		int64_t m = p->krp[i].event[0] ? mqtap_kretprobe_missed(tracefs_dir(), &p->krp[i]) : link_missed(p->links[i]);

		r = prog_role(p, p->link_progs[i]);
		if (m >= 0)
			by_role[r] = (by_role[r] < 0 ? 0 : by_role[r]) + m;
	}
}

int mqtap_probe_prog_stats(struct mqtap_probe *p, int64_t *out)
{
	struct bpf_program *prog;

	memset(out, 0, sizeof(int64_t) * 2 * MQTAP_ROLES);
	pthread_mutex_lock(&p->counters_lock);
	if (p->skel && p->set) {
		bpf_object__for_each_program(prog, p->skel->obj) {
			struct bpf_prog_info info;
			__u32 len = sizeof(info);
			int owned, fd = running_fd(p, prog, &owned), r, got;

			if (fd < 0)
				continue;
			memset(&info, 0, sizeof(info));
			got = bpf_obj_get_info_by_fd(fd, &info, &len);
			if (owned)
				close(fd);
			if (got != 0)
				continue;
			r = prog_role(p, prog);
			out[2 * r] += info.run_cnt;
			out[2 * r + 1] += info.run_time_ns;
		}
	}
	pthread_mutex_unlock(&p->counters_lock);
	return 0;
}

int mqtap_enable_stats(void)
{
	int fd = bpf_enable_stats(BPF_STATS_RUN_TIME);

	return fd < 0 ? -errno : fd;
}

/*
 * Fault injection (tests only): the program's simulated skips of the entry, open-exit, thread-exit and call programs
 * are added to those programs' misses, as the kernel would have counted them (also where it reports none, before 5.12).
 */
static void injected_misses(struct mqtap_probe *p, int64_t *out)
{
	static const struct { uint32_t ctr; int slot; } sim[] = {
		{ MQ_OPEN_CTR_INJECTED_OPEN_EXIT_SKIP, MQTAP_CTR_MISSES_OPEN_EXIT },
		{ MQ_OPEN_CTR_INJECTED_TASK_EXIT_SKIP, MQTAP_CTR_MISSES_TASK_EXIT },
		{ MQ_OPEN_CTR_INJECTED_CALL_SKIP, MQTAP_CTR_MISSES_CALLS },
		{ MQ_OPEN_CTR_INJECTED_ENTRY_SKIP, MQTAP_CTR_MISSES_ENTER },
	};
	size_t i;

	if (!p->opts.inject_entry_skip && !p->opts.inject_open_exit_skip && !p->opts.inject_task_exit_skip &&
	    !p->opts.inject_call_skip)
		return;
	for (i = 0; i < sizeof(sim) / sizeof(sim[0]); i++) {
		int64_t n = (int64_t)sum_counter(p, sim[i].ctr);

		out[sim[i].slot] = (out[sim[i].slot] < 0 ? 0 : out[sim[i].slot]) + n;
		out[MQTAP_CTR_PROG_MISSES] = (out[MQTAP_CTR_PROG_MISSES] < 0 ? 0 : out[MQTAP_CTR_PROG_MISSES]) + n;
	}
}

int mqtap_probe_counters(struct mqtap_probe *p, int64_t *out)
{
	int64_t misses[ROLES], links[ROLES];
	int i;

	memset(out, 0, sizeof(int64_t) * MQTAP_CTR_SLOTS);
	for (i = MQTAP_CTR_LINK_MISSES_ENTER; i <= MQTAP_CTR_LINK_MISSES_CREATE; i++)
		out[i] = -1;
	out[MQTAP_CTR_LINK_MISSES_CALLS] = -1;
	out[MQTAP_CTR_RECEIVED] = atomic_load_explicit(&p->received, memory_order_relaxed);
	out[MQTAP_CTR_LOST_RECORDS] = atomic_load_explicit(&p->lost_records, memory_order_relaxed);
	pthread_mutex_lock(&p->counters_lock);
	if (p->skel && p->set) {
		out[MQTAP_CTR_LOST_KERNEL] = sum_counter(p, MQ_OPEN_CTR_LOST) + p->pin.discarded;
		out[MQTAP_CTR_EMITTED] = sum_counter(p, MQ_OPEN_CTR_EMITTED);
		out[MQTAP_CTR_FILTERED] = sum_counter(p, MQ_OPEN_CTR_FILTERED);
		out[MQTAP_CTR_NAME_ERRORS] = sum_counter(p, MQ_OPEN_CTR_NAME_ERROR);
		out[MQTAP_CTR_ATTR_ERRORS] = sum_counter(p, MQ_OPEN_CTR_ATTR_ERROR);
		out[MQTAP_CTR_EXIT_NO_ENTRY] = sum_counter(p, MQ_OPEN_CTR_NO_ENTRY);
		out[MQTAP_CTR_ENTRY_DROPPED] = sum_counter(p, MQ_OPEN_CTR_ENTRY_DROP);
		out[MQTAP_CTR_NAME_CHANGED] = sum_counter(p, MQ_OPEN_CTR_NAME_CHANGED);
		out[MQTAP_CTR_EXIT_MISSED] = sum_counter(p, MQ_OPEN_CTR_EXIT_MISSED);
		out[MQTAP_CTR_QUEUE_UNRESOLVED] = sum_counter(p, MQ_OPEN_CTR_QUEUE_UNRESOLVED);
		out[MQTAP_CTR_FS_OPENS] = sum_counter(p, MQ_OPEN_CTR_FS_OPENS);
		prog_misses(p, misses, &out[MQTAP_CTR_PROG_MISSES]);
		out[MQTAP_CTR_MISSES_ENTER] = misses[ROLE_ENTER];
		out[MQTAP_CTR_MISSES_EXIT] = misses[ROLE_EXIT];
		out[MQTAP_CTR_MISSES_OPEN_EXIT] = misses[ROLE_OPEN_EXIT];
		out[MQTAP_CTR_MISSES_TASK_EXIT] = misses[ROLE_TASK_EXIT];
		out[MQTAP_CTR_MISSES_CREATE] = misses[ROLE_CREATE];
		out[MQTAP_CTR_MISSES_CALLS] = misses[ROLE_CALLS];
		injected_misses(p, out);
		out[MQTAP_CTR_ACCESS_NO_CONTEXT] = sum_counter(p, MQ_OPEN_CTR_ACCESS_NO_CONTEXT);
		out[MQTAP_CTR_ARGS_DROPPED] = sum_counter(p, MQ_OPEN_CTR_ARGS_DROP);
		if (p->set == MQTAP_SET_KPROBE) {
			link_misses(p, links);
			out[MQTAP_CTR_LINK_MISSES_ENTER] = links[ROLE_ENTER];
			out[MQTAP_CTR_LINK_MISSES_EXIT] = links[ROLE_EXIT];
			out[MQTAP_CTR_LINK_MISSES_OPEN_EXIT] = links[ROLE_OPEN_EXIT];
			out[MQTAP_CTR_LINK_MISSES_CREATE] = links[ROLE_CREATE];
			out[MQTAP_CTR_LINK_MISSES_CALLS] = links[ROLE_CALLS];
		}
		out[MQTAP_CTR_SUPPRESSED] = sum_counter(p, MQ_OPEN_CTR_SUPPRESSED);
		out[MQTAP_CTR_UNATTRIBUTED] = sum_counter(p, MQ_OPEN_CTR_UNATTRIBUTED);
	}
	if (p->skel && p->set && p->pin.pinned)
		pin_checkpoint(p, 0);
	pthread_mutex_unlock(&p->counters_lock);
	return 0;
}

/* ---- aggregation windows (send and receive) ---- */

_Static_assert(MQTAP_ACCESS_ENTRY_SIZE == MQ_ACCESS_KEY_SIZE + MQ_ACCESS_VALUE_SIZE, "access entry size");

static struct bpf_map *window_map(struct mqtap_probe *p, int ctx, int w)
{
	struct mqtap_bpf *s = p->skel;

	if (ctx)
		return w ? s->maps.access_ctx1 : s->maps.access_ctx0;
	return w ? s->maps.access1 : s->maps.access0;
}

/* A run's calls counted in window w's overflow (CPU 0's slot): what the programs do with a run whose entry is gone. */
static int add_overflow(struct mqtap_probe *p, __u32 w, const struct mq_access_run *r)
{
	int fd = bpf_map__fd(p->skel->maps.access_overflow), err = 0;
	__u32 idx = w * MQ_ACCESS_CALLS + (r->key.call & 1);
	struct mq_access_overflow *o = calloc(p->ncpus, sizeof(*o));

	if (!o)
		return -ENOMEM;
	if (bpf_map_lookup_elem(fd, &idx, o) == 0) {
		mq_access_run_overflow(&o[0], r);
		if (bpf_map_update_elem(fd, &idx, o, BPF_ANY))
			err = -errno;
	} else {
		err = -errno;
	}
	free(o);
	return err;
}

static int access_ready(struct mqtap_probe *p)
{
	if (!p->skel || !p->set || !p->skel->bss) {
		set_err(p, EINVAL, "access", "nothing is loaded");
		return -EINVAL;
	}
	if (p->opts.access_mode != MQ_ACCESS_AGGREGATE) {
		set_err(p, EINVAL, "access", "send and receive are not aggregated (access mode %d)", p->opts.access_mode);
		return -EINVAL;
	}
	return 0;
}

/* merge_runs for one slot index of every CPU (runs: room for each CPU's) */
static int merge_slot(struct mqtap_probe *p, int rfd, int hfd, __u32 w, __u32 slot, struct mq_access_run *runs)
{
	struct mq_access_value v;
	int i, err = 0;

	if (bpf_map_lookup_elem(rfd, &slot, runs))
		return -errno;
	for (i = 0; i < p->ncpus && !err; i++) {
		const struct mq_access_run *r = &runs[i];

		if (!r->open || !r->v.calls)
			continue;
		if (bpf_map_lookup_elem(hfd, &r->key, &v) == 0) {
			mq_access_add_run(&v, &r->v);
			if (bpf_map_update_elem(hfd, &r->key, &v, BPF_EXIST))
				err = -errno;
		} else {
			err = add_overflow(p, w, r);
		}
	}
	memset(runs, 0, sizeof(*runs) * p->ncpus);
	if (!err && bpf_map_update_elem(rfd, &slot, runs, BPF_ANY))
		err = -errno;
	return err;
}

/*
 * After a flip has waited out the programs: adds every CPU's runs still open in window w (struct mq_access_run)
 * to their entries in the window's hash, then empties them. A run whose entry is missing (never: the programs
 * start runs only for keys in the hash) goes to the window's overflow counts rather than nowhere.
 */
static int merge_runs(struct mqtap_probe *p, __u32 w)
{
	int rfd = bpf_map__fd(p->skel->maps.access_runs), hfd = bpf_map__fd(window_map(p, 0, (int)w)), err = 0;
	struct mq_access_run *runs = calloc(p->ncpus, sizeof(*runs));
	__u32 slot;

	if (!runs)
		return -ENOMEM;
	for (slot = w * MQ_ACCESS_RUN_SLOTS; slot < (w + 1) * MQ_ACCESS_RUN_SLOTS && !err; slot++)
		err = merge_slot(p, rfd, hfd, w, slot, runs);
	if (err)
		set_err(p, -err, "access runs", "the open runs of window %u could not be added to it", w);
	free(runs);
	return err;
}

int mqtap_probe_access_flip(struct mqtap_probe *p)
{
	int err, old, fd, ofd;

	pthread_mutex_lock(&p->access_lock);
	err = access_ready(p);
	if (err)
		goto out;
	old = __atomic_load_n(&p->skel->bss->access_window, __ATOMIC_ACQUIRE) & 1;
	__atomic_store_n(&p->skel->bss->access_window, (__u32)(old ^ 1), __ATOMIC_RELEASE);
	/*
	 * Rewriting a slot of a map of maps returns only after every BPF program that could still hold the
	 * old value has finished (synchronize_rcu): from here on nothing writes the old window's maps.
	 */
	ofd = bpf_map__fd(p->skel->maps.access_windows);
	fd = bpf_map__fd(window_map(p, 0, old));
	if (bpf_map_update_elem(ofd, &old, &fd, BPF_ANY)) {
		err = -errno;
		set_err(p, -err, "bpf_map_update_elem(access_windows)", "waiting for the programs to leave window %d", old);
		goto out;
	}
	fd = bpf_map__fd(window_map(p, 1, old));
	ofd = bpf_map__fd(p->skel->maps.access_ctx_windows);
	if (bpf_map_update_elem(ofd, &old, &fd, BPF_ANY)) {
		err = -errno;
		set_err(p, -err, "bpf_map_update_elem(access_ctx_windows)", NULL);
		goto out;
	}
	err = merge_runs(p, (__u32)old);
	if (err)
		goto out;
	p->access_old = old;
out:
	pthread_mutex_unlock(&p->access_lock);
	return err;
}

/*
 * Moves up to cap entries of the old window's map (ctx: the caller snapshots) to out and deletes them: keys
 * first (deleting while walking would skip some), then each value.
 */
static int take_window(struct mqtap_probe *p, int ctx, uint8_t *out, int cap)
{
	size_t ksz = ctx ? sizeof(struct mq_access_ctx_key) : sizeof(struct mq_access_key);
	uint8_t key[sizeof(struct mq_access_key)], next[sizeof(struct mq_access_key)];
	int fd, n = 0, err;
	struct mq_open_event *ev = NULL;

	pthread_mutex_lock(&p->access_lock);
	err = access_ready(p);
	if (err)
		goto out;
	if (p->access_old < 0)
		goto out;
	fd = bpf_map__fd(window_map(p, ctx, p->access_old));
	if (ctx) {
		ev = malloc(sizeof(*ev));
		if (!ev) {
			err = -ENOMEM;
			goto out;
		}
	}
	while (n < cap && bpf_map_get_next_key(fd, NULL, next) == 0) {
		memcpy(key, next, ksz);
		if (ctx) {
			if (bpf_map_lookup_elem(fd, key, ev) == 0) {
				put_event(out + (size_t)n * MQ_OPEN_EVENT_SIZE, (const uint8_t *)ev, sizeof(*ev));
				n++;
			}
		} else {
			uint8_t *slot = out + (size_t)n * MQTAP_ACCESS_ENTRY_SIZE;

			if (bpf_map_lookup_elem(fd, key, slot + MQ_ACCESS_KEY_SIZE) == 0) {
				memcpy(slot, key, MQ_ACCESS_KEY_SIZE);
				n++;
			}
		}
		if (bpf_map_delete_elem(fd, key) && errno != ENOENT) {
			err = -errno;
			set_err(p, -err, "bpf_map_delete_elem(access)", NULL);
			goto out;
		}
	}
out:
	free(ev);
	pthread_mutex_unlock(&p->access_lock);
	return err ? err : n;
}

int mqtap_probe_access_take(struct mqtap_probe *p, uint8_t *out, int cap)
{
	return take_window(p, 0, out, cap);
}

int mqtap_probe_access_contexts(struct mqtap_probe *p, uint8_t *out, int cap)
{
	return take_window(p, 1, out, cap);
}

int mqtap_probe_access_overflow(struct mqtap_probe *p, int64_t *out)
{
	int fd, err, c, i;
	struct mq_access_overflow *v;

	memset(out, 0, sizeof(int64_t) * 4 * MQ_ACCESS_CALLS);
	pthread_mutex_lock(&p->access_lock);
	err = access_ready(p);
	if (err || p->access_old < 0)
		goto out;
	v = calloc(p->ncpus, sizeof(*v));
	if (!v) {
		err = -ENOMEM;
		goto out;
	}
	fd = bpf_map__fd(p->skel->maps.access_overflow);
	for (c = 0; c < MQ_ACCESS_CALLS && !err; c++) {
		__u32 idx = p->access_old * MQ_ACCESS_CALLS + c;

		if (bpf_map_lookup_elem(fd, &idx, v)) {
			err = -errno;
			break;
		}
		for (i = 0; i < p->ncpus; i++) {
			out[4 * c] += v[i].calls;
			out[4 * c + 1] += v[i].bytes;
			out[4 * c + 2] += v[i].errors;
			out[4 * c + 3] += v[i].unlinked;
		}
		memset(v, 0, sizeof(*v) * p->ncpus);
		if (bpf_map_update_elem(fd, &idx, v, BPF_ANY))
			err = -errno;
	}
	if (err)
		set_err(p, -err, "bpf_map_lookup_elem(access_overflow)", NULL);
	free(v);
out:
	pthread_mutex_unlock(&p->access_lock);
	return err;
}

int mqtap_probe_fair_accounts(struct mqtap_probe *p, uint64_t *out, int cap)
{
	struct mq_open_fair_account a;
	__u32 key, next;
	__u32 *prev = NULL;
	int fd, n = 0;

	pthread_mutex_lock(&p->counters_lock);
	if (!p->skel || !p->set) {
		pthread_mutex_unlock(&p->counters_lock);
		return 0;
	}
	fd = bpf_map__fd(p->skel->maps.fair_accounts);
	/* entries are only ever added (never deleted), so a walk sees every uid that had one when it began */
	while (n < cap && bpf_map_get_next_key(fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &a))
			continue;
		out[n * MQTAP_FAIR_SLOTS + MQTAP_FAIR_UID] = key;
		out[n * MQTAP_FAIR_SLOTS + MQTAP_FAIR_SUPPRESSED] = a.suppressed;
		out[n * MQTAP_FAIR_SLOTS + MQTAP_FAIR_LOST] = a.lost;
		out[n * MQTAP_FAIR_SLOTS + MQTAP_FAIR_FIRST_NS] = a.first_ns;
		out[n * MQTAP_FAIR_SLOTS + MQTAP_FAIR_LAST_NS] = a.last_ns;
		n++;
	}
	pthread_mutex_unlock(&p->counters_lock);
	return n;
}

void mqtap_probe_free(struct mqtap_probe *p)
{
	if (!p)
		return;
	free_loaded(p);
	free(p->opts.include_uids);
	free(p->opts.exclude_uids);
	free(p->opts.include_comms);
	free(p->opts.exclude_comms);
	free(p->opts.include_cgroups);
	free(p->opts.exclude_cgroups);
	free(p->percpu);
	free(p->log);
	free(p->stage);
	pthread_mutex_destroy(&p->counters_lock);
	pthread_mutex_destroy(&p->access_lock);
	pthread_mutex_destroy(&p->stage_lock);
	pthread_cond_destroy(&p->stage_cond);
	free(p);
}
