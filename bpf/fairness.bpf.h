/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Per-user fairness: one token bucket per uid (or per cgroup) decides whether an event is emitted (emit(), after the
 * filters, for every kind of call reported one by one; calls counted in the kernel's access windows are not events).
 * Over budget, the call is counted for its uid in fair_accounts instead, so a flooder can't push other users' events
 * out of the buffer and its flood stays exactly counted. Buffer loss that still happens is counted for its uid too.
 *
 * The bucket is GCRA (a token bucket kept as one "theoretical arrival time", tat): a call is admitted when
 * tat - now <= (burst - 1) * interval, and then moves tat on by one interval with an atomic add. Only an atomic add
 * is needed (5.10 has no cmpxchg from BPF); the catch-up after idle time is a plain store, so CPUs racing on one
 * bucket may admit a few calls more than the rate, never fewer, and never count one twice: each call lands in
 * exactly one of emitted, suppressed or lost.
 *
 * The bucket and the accounts are global functions (not inlined): the verifier checks each once, not once per
 * path of every exit that emits. Include after the `counters` map and count() of mq_open.bpf.c.
 */
#ifndef MQTAP_FAIRNESS_BPF_H
#define MQTAP_FAIRNESS_BPF_H

/*
 * Set before load and replaced while attached on a reload (.bss, like the filters): 0 switches fairness off.
 * fair_tolerance_ns = (burst - 1) * interval.
 */
volatile __u64 fair_interval_ns;
volatile __u64 fair_tolerance_ns;
volatile __u8 fair_by_cgroup;

/* bucket key (uid, or cgroup id) -> tat in boot-clock ns; LRU: an idle bucket may go, a new one starts full */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64);
} fair_buckets SEC(".maps");

/* uid -> what fairness and the buffer did to its calls; never evicted (a full map counts in UNATTRIBUTED) */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MQ_OPEN_FAIR_ACCOUNTS);
	__type(key, __u32);
	__type(value, struct mq_open_fair_account);
} fair_accounts SEC(".maps");

/* 1 when an event of `uid` in `cgroup` is within its budget now (or fairness is off) */
__noinline int fair_admit(__u32 uid, __u64 cgroup)
{
	__u64 interval = fair_interval_ns, tolerance = fair_tolerance_ns; /* a reload may change them: read once */
	__u64 key = fair_by_cgroup ? cgroup : uid;
	__u64 *tat, t, now;

	if (!interval)
		return 1;
	now = bpf_ktime_get_boot_ns();
	tat = bpf_map_lookup_elem(&fair_buckets, &key);
	if (!tat) {
		__u64 first = now + interval; /* a new bucket is full, and this call takes one token */

		bpf_map_update_elem(&fair_buckets, &key, &first, BPF_NOEXIST);
		return 1;
	}
	t = *(volatile __u64 *)tat;
	if (t < now) {
		*(volatile __u64 *)tat = now; /* idle since: the bucket is full again */
		t = now;
	}
	if (t - now > tolerance)
		return 0;
	__sync_fetch_and_add(tat, interval);
	return 1;
}

/* Counts one suppressed (lost = 0) or lost (lost = 1) event for `uid`. */
__noinline int fair_account(__u32 uid, int lost)
{
	struct mq_open_fair_account *a = bpf_map_lookup_elem(&fair_accounts, &uid);
	__u64 now = bpf_ktime_get_boot_ns();

	if (!a) {
		struct mq_open_fair_account fresh = {.first_ns = now, .last_ns = now};

		bpf_map_update_elem(&fair_accounts, &uid, &fresh, BPF_NOEXIST); /* another CPU may have made it */
		a = bpf_map_lookup_elem(&fair_accounts, &uid);
		if (!a) {
			count(MQ_OPEN_CTR_UNATTRIBUTED); /* map full: counted, not attributed */
			return 0;
		}
	}
	if (lost)
		__sync_fetch_and_add(&a->lost, 1);
	else
		__sync_fetch_and_add(&a->suppressed, 1);
	a->last_ns = now;
	return 0;
}

#endif /* MQTAP_FAIRNESS_BPF_H */
