/* SPDX-License-Identifier: Apache-2.0 */
/*
 * capture.pinPath: the maps and links of a run pinned in bpffs, so the programs keep capturing into the
 * ring buffer while the service restarts, and the next run takes them over. Layout: <dir>/g<N>/ holds run
 * N's maps (by name), links (link<i>) and, pinned last as the mark of a complete run, pin_meta.
 */
#ifndef MQTAP_PIN_H
#define MQTAP_PIN_H

#include <stddef.h>
#include <stdint.h>
#include <bpf/libbpf.h>

#include "mq_open_event.h"

/* must match io.mqtap.capture.PinState ordinals */
enum mqtap_pin_state {
	MQTAP_PIN_OFF = 0,         /* no pinPath */
	MQTAP_PIN_FRESH = 1,       /* nothing was pinned: this run pinned its own */
	MQTAP_PIN_TAKEN_OVER = 2,  /* the previous run's programs and maps taken over, never detached: nothing is lost */
	MQTAP_PIN_REPLACED = 3,    /* a previous run of other programs or settings replaced; its unread events counted lost */
	MQTAP_PIN_UNSUPPORTED = 4, /* this kernel can't pin every link: running unpinned (why says which) */
};

struct mqtap_pin {
	char dir[256];       /* "" when off */
	int state;
	uint32_t prev_gen;   /* the run found pinned (0: none) */
	uint32_t gen;        /* this load's generation */
	uint64_t fingerprint;
	int reused;          /* the maps are prev_gen's */
	int pinned;          /* this run's maps and links are pinned under g<gen> */
	int64_t discarded;   /* a replaced run's events nobody will read, and its losses since its checkpoint */
	uint64_t base[MQ_OPEN_CTR_MAX]; /* counter values this run counts from */
	uint64_t miss_base[8];          /* and the taken-over programs' recursion misses, by role */
	char why[512];
};

/* 0, or -errno with why filled: the directory exists (made if missing) and is on a BPF filesystem */
int mqtap_pin_check_dir(const char *dir, char *why, size_t n);
/* Before load: finds the newest complete run; if its fingerprint is ours, the object's maps reuse its pinned maps
 * (and the attach takes its links over, mqtap_pin_take_over), else this run is the next generation. 0, or -errno. */
int mqtap_pin_prepare(struct mqtap_pin *pin, struct bpf_object *obj);
/* After load: a fresh run's meta written; a reused run's counter and miss bases read. */
int mqtap_pin_loaded(struct mqtap_pin *pin, struct bpf_map *meta);
/* After attach of this run's own programs: pins its maps and links, then detaches a replaced run (its pins go). */
void mqtap_pin_commit(struct mqtap_pin *pin, struct bpf_object *obj, struct bpf_map *meta, struct bpf_link **links,
		      int nlinks);
/* After the attach took the pinned links over: the run is pinned, as the previous one was. */
void mqtap_pin_take_over(struct mqtap_pin *pin);
/* Writes the counters (raw sums) and the programs' misses by role as now read, for the next run to count from. */
void mqtap_pin_checkpoint(struct mqtap_pin *pin, struct bpf_map *meta, const uint64_t *sums, const uint64_t *misses);
/* Removes this run's pins: its links detach once the process closes them. */
void mqtap_pin_remove(struct mqtap_pin *pin);

#endif
