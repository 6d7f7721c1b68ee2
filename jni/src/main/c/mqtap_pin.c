// SPDX-License-Identifier: Apache-2.0
/*
 * capture.pinPath: pins a run's maps and links in bpffs and hands them to the next run. A run whose object
 * and load-time settings match (the fingerprint) takes the pinned programs over as they run: it reuses their
 * maps and opens their links, so nothing is detached or attached twice and no call falls between two runs. A run
 * that does not match attaches its own, then detaches the old and counts what their ring still held as lost.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>

#include "mqtap_pin.h"

#ifndef BPF_FS_MAGIC
#define BPF_FS_MAGIC 0xcafe4a11
#endif
#define META_NAME "pin_meta"
/* paths here are the pin directory (under 240 bytes, checked when set) plus a short name */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define BPFFS "/sys/fs/bpf"

static int on_bpffs(const char *path)
{
	struct statfs fs;

	return statfs(path, &fs) == 0 && (unsigned long)fs.f_type == BPF_FS_MAGIC;
}

int mqtap_pin_check_dir(const char *dir, char *why, size_t n)
{
	char path[256];
	size_t i;

	/* systemd mounts it at boot; a host without it gets it here, as tracefs is mounted for the tracepoints */
	if (!strncmp(dir, BPFFS "/", strlen(BPFFS) + 1) && !on_bpffs(BPFFS) &&
	    mount("bpf", BPFFS, "bpf", 0, "mode=0700")) {
		int err = errno;

		snprintf(why, n, "capture.pinPath: " BPFFS " is not mounted and this process could not mount it (%s); "
			 "mount it with `mount -t bpf bpf " BPFFS "` (needs CAP_SYS_ADMIN)", strerror(err));
		return -err;
	}
	snprintf(path, sizeof(path), "%s", dir);
	for (i = 1; path[i]; i++) {
		if (path[i] != '/')
			continue;
		path[i] = 0;
		if (mkdir(path, 0700) && errno != EEXIST)
			break; /* the last mkdir below says why */
		path[i] = '/';
	}
	if (mkdir(dir, 0700) && errno != EEXIST) {
		int err = errno;

		snprintf(why, n, "capture.pinPath: cannot create %s: %s", dir, strerror(err));
		return -err;
	}
	if (!on_bpffs(dir)) {
		snprintf(why, n, "capture.pinPath: %s is not on a BPF filesystem (mount one with "
			 "`mount -t bpf bpf " BPFFS "` and pick a directory under it)", dir);
		return -EINVAL;
	}
	return 0;
}

/* the maps a run shares with the next: all but the read-only data (per load) and the unused perf array */
static int pinnable(const struct bpf_map *m)
{
	const char *name = bpf_map__name(m);
	size_t len = strlen(name);

	if (len >= 7 && !strcmp(name + len - 7, ".rodata"))
		return 0;
	if (len >= 8 && !strcmp(name + len - 8, ".kconfig"))
		return 0;
	return strcmp(name, "events") != 0;
}

/* A map's pin name: bpffs refuses names with a dot (".bss" maps) */
static const char *pin_name(const struct bpf_map *m, char *buf, size_t n)
{
	char *c;

	snprintf(buf, n, "%s", bpf_map__name(m));
	for (c = buf; *c; c++)
		if (*c == '.')
			*c = '_';
	return buf;
}

/* The newest run whose pin_meta is pinned (complete), or 0. */
static uint32_t newest_run(const char *dir)
{
	char path[512];
	struct dirent *d;
	uint32_t best = 0;
	DIR *dh = opendir(dir);

	if (!dh)
		return 0;
	while ((d = readdir(dh))) {
		char *end;
		unsigned long g;

		if (d->d_name[0] != 'g')
			continue;
		g = strtoul(d->d_name + 1, &end, 10);
		if (*end || g == 0 || g > UINT32_MAX)
			continue;
		snprintf(path, sizeof(path), "%s/g%lu/" META_NAME, dir, g);
		if (access(path, F_OK) == 0 && g > best)
			best = (uint32_t)g;
	}
	closedir(dh);
	return best;
}

static int read_meta(const char *dir, uint32_t gen, struct mq_pin_meta *out)
{
	char path[512];
	__u32 zero = 0;
	int fd, err;

	snprintf(path, sizeof(path), "%s/g%u/" META_NAME, dir, gen);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	err = bpf_map_lookup_elem(fd, &zero, out) ? -errno : 0;
	close(fd);
	return err;
}

int mqtap_pin_prepare(struct mqtap_pin *pin, struct bpf_object *obj)
{
	struct mq_pin_meta old;
	struct bpf_map *m;
	char path[512], name[64];
	int err;

	pin->prev_gen = newest_run(pin->dir);
	pin->reused = 0;
	pin->gen = 1;
	memset(pin->base, 0, sizeof(pin->base));
	if (!pin->prev_gen)
		return 0;
	if (read_meta(pin->dir, pin->prev_gen, &old))
		return 0; /* unreadable: treated as a run of other settings */
	pin->gen = old.generation + 1 ? old.generation + 1 : 1;
	if (old.fingerprint != pin->fingerprint)
		return 0;
	pin->gen = pin->prev_gen; /* the same programs go on: no new generation */
	bpf_object__for_each_map(m, obj) {
		int fd;

		if (!pinnable(m))
			continue;
		snprintf(path, sizeof(path), "%s/g%u/%s", pin->dir, pin->prev_gen, pin_name(m, name, sizeof(name)));
		fd = bpf_obj_get(path);
		if (fd < 0) {
			err = -errno;
			snprintf(pin->why, sizeof(pin->why), "capture.pinPath: %s: %s", path, strerror(-err));
			return err;
		}
		err = bpf_map__reuse_fd(m, fd);
		close(fd);
		if (err) {
			snprintf(pin->why, sizeof(pin->why), "capture.pinPath: reusing %s: %s", path, strerror(-err));
			return err;
		}
	}
	pin->reused = 1;
	return 0;
}

/* pin_meta is mmapable: read and written without a bpf() call (a checkpoint rides on every counters() read) */
static struct mq_pin_meta *map_meta(struct bpf_map *meta)
{
	void *p = mmap(NULL, sizeof(struct mq_pin_meta), PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(meta), 0);

	return p == MAP_FAILED ? NULL : p;
}

int mqtap_pin_loaded(struct mqtap_pin *pin, struct bpf_map *meta)
{
	struct mq_pin_meta *m = map_meta(meta);

	if (!m) {
		int err = -errno;

		snprintf(pin->why, sizeof(pin->why), "capture.pinPath: mmap(pin_meta): %s", strerror(-err));
		return err;
	}
	if (pin->reused) {
		memcpy(pin->base, m->checkpoint, sizeof(pin->base));
		memcpy(pin->miss_base, m->misses, sizeof(pin->miss_base));
	} else {
		memset(m, 0, sizeof(*m));
		m->fingerprint = pin->fingerprint;
		__atomic_store_n(&m->generation, pin->gen, __ATOMIC_RELEASE);
	}
	munmap(m, sizeof(*m));
	return 0;
}

/* Unlinks run g's link pins (its programs detach once no process holds them), then, unless links_only, the
 * rest of its pins and its directory. */
static void remove_run(const char *dir, uint32_t g, int links_only)
{
	char path[512], sub[512];
	struct dirent *d;
	DIR *dh;
	int pass;

	snprintf(sub, sizeof(sub), "%s/g%u", dir, g);
	/* links first, so the programs stop before the maps they write lose their names */
	for (pass = 0; pass < (links_only ? 1 : 2); pass++) {
		dh = opendir(sub);
		if (!dh)
			return;
		while ((d = readdir(dh))) {
			int is_link = !strncmp(d->d_name, "link", 4);

			if (d->d_name[0] == '.' || (pass == 0 && !is_link))
				continue;
			snprintf(path, sizeof(path), "%s/%s", sub, d->d_name);
			unlink(path);
		}
		closedir(dh);
	}
	if (!links_only)
		rmdir(sub);
}

static int count_record(void *ctx, void *data, size_t size)
{
	(*(int64_t *)ctx)++;
	return 0;
}

/* A replaced run's loss: the events its ring still holds (nobody of its format reads them) and what its
 * programs counted lost since its last checkpoint. Read after its links are gone. */
static int64_t replaced_loss(const char *dir, uint32_t g)
{
	struct mq_pin_meta old;
	char path[512];
	int64_t n = 0;
	__u32 idx = MQ_OPEN_CTR_LOST;
	int fd, ncpus = libbpf_num_possible_cpus(), i;

	snprintf(path, sizeof(path), "%s/g%u/ringbuf", dir, g);
	fd = bpf_obj_get(path);
	if (fd >= 0) {
		struct ring_buffer *rb = ring_buffer__new(fd, count_record, &n, NULL);

		if (rb) {
			ring_buffer__consume(rb);
			ring_buffer__free(rb);
		}
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/g%u/counters", dir, g);
	fd = bpf_obj_get(path);
	if (fd >= 0 && ncpus > 0 && !read_meta(dir, g, &old)) {
		uint64_t *v = calloc((size_t)ncpus, sizeof(uint64_t)), sum = 0;

		if (v && !bpf_map_lookup_elem(fd, &idx, v)) {
			for (i = 0; i < ncpus; i++)
				sum += v[i];
			if (sum > old.checkpoint[MQ_OPEN_CTR_LOST])
				n += (int64_t)(sum - old.checkpoint[MQ_OPEN_CTR_LOST]);
		}
		free(v);
	}
	if (fd >= 0)
		close(fd);
	return n;
}

/* Pins this run under g<gen>: maps, links, then pin_meta. 0, or -errno with why filled (nothing left pinned). */
static int pin_run(struct mqtap_pin *pin, struct bpf_object *obj, struct bpf_map *meta, struct bpf_link **links,
		   int nlinks)
{
	char sub[512], path[640], name[64];
	struct bpf_map *m;
	int i, err = 0;

	snprintf(sub, sizeof(sub), "%s/g%u", pin->dir, pin->gen);
	remove_run(pin->dir, pin->gen, 0); /* a crashed commit's leftovers */
	if (mkdir(sub, 0700)) {
		err = -errno;
		snprintf(pin->why, sizeof(pin->why), "capture.pinPath: mkdir %s: %s", sub, strerror(-err));
		return err;
	}
	for (i = 0; i < nlinks && !err; i++) {
		if (!links[i])
			continue;
		snprintf(path, sizeof(path), "%s/link%d", sub, i);
		err = bpf_link__pin(links[i], path);
		if (err)
			snprintf(pin->why, sizeof(pin->why),
				 "capture.pinPath: this kernel can't pin link %d (%s; tracepoint and kprobe links are "
				 "pinnable from Linux 5.15): running unpinned", i, strerror(-err));
	}
	bpf_object__for_each_map(m, obj) {
		if (err || !pinnable(m) || m == meta)
			continue;
		snprintf(path, sizeof(path), "%s/%s", sub, pin_name(m, name, sizeof(name)));
		if (bpf_obj_pin(bpf_map__fd(m), path)) {
			err = -errno;
			snprintf(pin->why, sizeof(pin->why), "capture.pinPath: pinning %s: %s", path, strerror(-err));
		}
	}
	if (!err) {
		snprintf(path, sizeof(path), "%s/" META_NAME, sub);
		if (bpf_obj_pin(bpf_map__fd(meta), path)) {
			err = -errno;
			snprintf(pin->why, sizeof(pin->why), "capture.pinPath: pinning %s: %s", path, strerror(-err));
		}
	}
	if (err) {
		for (i = 0; i < nlinks; i++)
			if (links[i] && bpf_link__pin_path(links[i]))
				bpf_link__unpin(links[i]);
		remove_run(pin->dir, pin->gen, 0);
	}
	return err;
}

void mqtap_pin_commit(struct mqtap_pin *pin, struct bpf_object *obj, struct bpf_map *meta, struct bpf_link **links,
		      int nlinks)
{
	struct dirent *d;
	DIR *dh;

	pin->pinned = pin_run(pin, obj, meta, links, nlinks) == 0;
	if (pin->prev_gen) {
		/* another run's programs: stop them (this run's already capture), then count what they leave */
		remove_run(pin->dir, pin->prev_gen, 1);
		pin->discarded = replaced_loss(pin->dir, pin->prev_gen);
		remove_run(pin->dir, pin->prev_gen, 0);
	}
	/* every other run's pins: older generations and crashed commits */
	dh = opendir(pin->dir);
	if (dh) {
		while ((d = readdir(dh))) {
			unsigned long g;
			char *end;

			if (d->d_name[0] != 'g')
				continue;
			g = strtoul(d->d_name + 1, &end, 10);
			if (*end || g == pin->gen || g == pin->prev_gen)
				continue;
			remove_run(pin->dir, (uint32_t)g, 0);
		}
		closedir(dh);
	}
	pin->state = !pin->pinned ? MQTAP_PIN_UNSUPPORTED : pin->prev_gen ? MQTAP_PIN_REPLACED : MQTAP_PIN_FRESH;
}

void mqtap_pin_take_over(struct mqtap_pin *pin)
{
	pin->pinned = 1;
	pin->state = MQTAP_PIN_TAKEN_OVER;
}

void mqtap_pin_checkpoint(struct mqtap_pin *pin, struct bpf_map *meta, const uint64_t *sums, const uint64_t *misses)
{
	struct mq_pin_meta *m;

	if (!pin->pinned)
		return;
	m = map_meta(meta);
	if (!m)
		return;
	memcpy(m->checkpoint, sums, sizeof(m->checkpoint));
	memcpy(m->misses, misses, sizeof(m->misses));
	munmap(m, sizeof(*m));
}

void mqtap_pin_remove(struct mqtap_pin *pin)
{
	if (pin->pinned)
		remove_run(pin->dir, pin->gen, 0);
	pin->pinned = 0;
}
