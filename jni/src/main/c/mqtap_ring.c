// SPDX-License-Identifier: Apache-2.0
/*
 * The BPF ring buffer read by hand (the layout is the kernel's ABI: a consumer page, a producer page, then the
 * data pages mapped twice), so that reading and consuming are two steps: libbpf's reader consumes each record as
 * it hands it over.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <linux/bpf.h>

#include "mqtap_ring.h"

int mqtap_ring_open(struct mqtap_ring *r, int map_fd, size_t data_size)
{
	memset(r, 0, sizeof(*r));
	r->map_fd = map_fd;
	r->page_size = (size_t)sysconf(_SC_PAGESIZE);
	r->data_size = data_size;
	r->cons_map = mmap(NULL, r->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (r->cons_map == MAP_FAILED) {
		r->cons_map = NULL;
		return -errno;
	}
	r->prod_map_size = r->page_size + 2 * data_size;
	r->prod_map = mmap(NULL, r->prod_map_size, PROT_READ, MAP_SHARED, map_fd, (off_t)r->page_size);
	if (r->prod_map == MAP_FAILED) {
		int err = -errno;

		r->prod_map = NULL;
		mqtap_ring_close(r);
		return err;
	}
	r->consumer_pos = r->cons_map;
	r->producer_pos = r->prod_map;
	r->data = (const uint8_t *)r->prod_map + r->page_size;
	r->read_pos = __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE);
	return 0;
}

void mqtap_ring_close(struct mqtap_ring *r)
{
	if (r->prod_map)
		munmap(r->prod_map, r->prod_map_size);
	if (r->cons_map)
		munmap(r->cons_map, r->page_size);
	r->prod_map = r->cons_map = NULL;
}

int mqtap_ring_read(struct mqtap_ring *r, uint8_t *out, int cap, size_t slot_size,
		    void (*put)(uint8_t *slot, const uint8_t *raw, size_t size))
{
	uint64_t prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE), mask = r->data_size - 1;
	int n = 0;

	while (n < cap && r->read_pos < prod) {
		const uint8_t *hdr = r->data + (r->read_pos & mask);
		uint32_t len = __atomic_load_n((const uint32_t *)hdr, __ATOMIC_ACQUIRE);
		uint32_t size = len & ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);

		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* reserved, not yet submitted: everything after it waits too */
		if (!(len & BPF_RINGBUF_DISCARD_BIT))
			put(out + (size_t)n++ * slot_size, hdr + BPF_RINGBUF_HDR_SZ, size);
		r->read_pos += (size + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
	}
	return n;
}

void mqtap_ring_commit(struct mqtap_ring *r, uint64_t pos)
{
	if (pos > r->read_pos)
		pos = r->read_pos; /* never past what was read */
	if (pos > __atomic_load_n(r->consumer_pos, __ATOMIC_RELAXED))
		__atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
}

void mqtap_ring_resume(struct mqtap_ring *r, uint64_t pos)
{
	uint64_t prod = __atomic_load_n(r->producer_pos, __ATOMIC_ACQUIRE);

	if (pos > prod || pos <= __atomic_load_n(r->consumer_pos, __ATOMIC_ACQUIRE))
		return; /* not a position of this ring's unread part: read from the consumer position */
	r->read_pos = pos;
	__atomic_store_n(r->consumer_pos, pos, __ATOMIC_RELEASE);
}
