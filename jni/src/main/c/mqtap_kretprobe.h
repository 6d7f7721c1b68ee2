/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kretprobes made through tracefs's kprobe_events rather than the kprobe PMU: they can be given room for
 * many calls in flight (the PMU's default is max(10, 2 x CPUs), so a few threads blocked in the probed
 * function make it miss every other call), and their misses can be read from kprobe_profile on every
 * kernel (bpf_link_info reports them only from 6.7).
 */
#ifndef MQTAP_KRETPROBE_H
#define MQTAP_KRETPROBE_H

#include <stddef.h>
#include <stdint.h>

struct bpf_program;
struct bpf_link;

struct mqtap_kretprobe {
	char event[64];        /* "mqtap_<pid>_<n>": its name in kprobe_events and kprobe_profile */
	struct bpf_link *link; /* owns the perf event fd */
};

/* kretprobe instances per probe: the most the kernel allows (KRETPROBE_MAXACTIVE_MAX) */
#define MQTAP_KRETPROBE_MAXACTIVE 4096

/*
 * Defines the kretprobe on `func` in tracefs (mounted at `tracefs`) and attaches `prog` to it. 0, or
 * -errno with a reason in err (the caller may fall back to the kprobe PMU).
 */
int mqtap_kretprobe_attach(const char *tracefs, struct bpf_program *prog, const char *func, int maxactive,
			   struct mqtap_kretprobe *k, char *err, size_t errlen);
/* Detaches and removes the definition. Idempotent. */
void mqtap_kretprobe_detach(const char *tracefs, struct mqtap_kretprobe *k);
/* Calls the kernel could not hand to the probe (kprobe_profile's nmissed), or -1 when unreadable. */
int64_t mqtap_kretprobe_missed(const char *tracefs, const struct mqtap_kretprobe *k);
/* Removes definitions left by mqtap processes that are gone (killed before they could detach). */
void mqtap_kretprobe_sweep(const char *tracefs);

#endif
