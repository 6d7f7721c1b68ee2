/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A reader of a BPF ring buffer that copies records without consuming them: the consumer position moves only
 * when the caller commits, after the records are safe (the producer's spool), so a process killed between its
 * read and its spool leaves them for the next run of a pinned ring (capture.pinPath).
 */
#ifndef MQTAP_RING_H
#define MQTAP_RING_H

#include <stddef.h>
#include <stdint.h>

struct mqtap_ring {
	int map_fd;
	size_t page_size, data_size;
	uint64_t *consumer_pos;   /* the kernel's: what it may overwrite is behind it */
	const uint64_t *producer_pos;
	const uint8_t *data;      /* mapped twice back to back: a record never wraps */
	uint64_t read_pos;        /* copied up to here, not yet committed */
	void *cons_map, *prod_map;
	size_t prod_map_size;
};

/* Maps the ring of map_fd (data_size: its max_entries). 0 or -errno. */
int mqtap_ring_open(struct mqtap_ring *r, int map_fd, size_t data_size);
void mqtap_ring_close(struct mqtap_ring *r);
/* Copies up to cap records from read_pos on, each through put(slot, record, size) into out + i * slot_size; the
 * count. Stops at a record still being written. */
int mqtap_ring_read(struct mqtap_ring *r, uint8_t *out, int cap, size_t slot_size,
		    void (*put)(uint8_t *slot, const uint8_t *raw, size_t size));
/* Lets the kernel reuse the ring up to pos (a position read_pos had; never backwards). */
void mqtap_ring_commit(struct mqtap_ring *r, uint64_t pos);
/* Starts reading at pos when it is ahead of the consumer position (records up to it are already safe): commits it. */
void mqtap_ring_resume(struct mqtap_ring *r, uint64_t pos);

#endif
