// SPDX-License-Identifier: Apache-2.0
/*
 * mqtap_c_reader: a plain C reader of the same BPF object, through the same JNI-free capture core
 * (mqtap_probe.c), for `./mqtap bench capture` to compare mqtap's Java reader with. It loads and
 * attaches the probe, says "ready", drains and counts events by pid until stdin asks for a report:
 *   stdin:  "report <pid>"   ->   stdout: "received=<events of pid> lost=<lost total> emitted=<N>"
 * It reads the pid and the name length of every event (the least a consumer does); nothing else.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/types.h>

#include "mq_open_event.h"
#include "mqtap_probe.h"

#define BATCH 2048
#define PIDS 4096 /* open addressing: enough for the pids one benchmark burst meets */

static struct {
	uint32_t pid;
	uint64_t count;
} pids[PIDS];

static void count_pid(uint32_t pid)
{
	uint32_t h = (pid * 2654435761u) % PIDS, i;

	for (i = 0; i < PIDS; i++, h = (h + 1) % PIDS) {
		if (pids[h].pid == pid || pids[h].pid == 0) {
			pids[h].pid = pid;
			pids[h].count++;
			return;
		}
	}
}

static uint64_t count_of(uint32_t pid)
{
	uint32_t h = (pid * 2654435761u) % PIDS, i;

	for (i = 0; i < PIDS && pids[h].pid; i++, h = (h + 1) % PIDS)
		if (pids[h].pid == pid)
			return pids[h].count;
	return 0;
}

static size_t name_bytes;

/* what a consumer does at the least: each event's pid and name length */
static void consume(const uint8_t *buf, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		const struct mq_open_event *e = (const void *)(buf + (size_t)i * MQ_OPEN_EVENT_SIZE);

		name_bytes += e->name_len;
		count_pid(e->pid);
	}
}

/* ProbeCounters.lostTotal(): every way of loss, each counted once */
static int64_t lost_total(const int64_t *c)
{
	int64_t n = c[MQTAP_CTR_LOST_KERNEL] + c[MQTAP_CTR_EXIT_NO_ENTRY] + c[MQTAP_CTR_EXIT_MISSED] +
		    c[MQTAP_CTR_ENTRY_DROPPED];

	n += c[MQTAP_CTR_MISSES_OPEN_EXIT] > 0 ? c[MQTAP_CTR_MISSES_OPEN_EXIT] : 0;
	n += c[MQTAP_CTR_LINK_MISSES_OPEN_EXIT] > 0 ? c[MQTAP_CTR_LINK_MISSES_OPEN_EXIT] : 0;
	n += c[MQTAP_CTR_MISSES_TASK_EXIT] > 0 ? c[MQTAP_CTR_MISSES_TASK_EXIT] : 0;
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: mqtap_c_reader [--set fentry|kprobe|tracepoint] [--ring BYTES] [--pages N]\n"
			"                      [--wakeup BYTES] [--drain-ms MS] [--staging EVENTS] [--without FEATURE_BITS]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct mqtap_options o = {
		.transport = MQTAP_PERF_BUFFER,
		.per_cpu_pages = 64,
		.ring_buffer_bytes = 8 << 20,
		.wakeup_bytes = 65536,
		.drain_interval_ms = 10,
		.staging_events = 32768,
		.self_tgid = (uint32_t)getpid(),
	};
	const char *set_name = "tracepoint";
	struct mqtap_probe *p;
	uint8_t *buf;
	int set = MQTAP_SET_TRACEPOINT, i, err;
	char line[128];

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--set")) {
			set_name = argv[++i];
			set = !strcmp(set_name, "fentry") ? MQTAP_SET_FENTRY
			      : !strcmp(set_name, "kprobe") ? MQTAP_SET_KPROBE
			      : !strcmp(set_name, "tracepoint") ? MQTAP_SET_TRACEPOINT : 0;
			if (!set)
				usage();
		} else if (!strcmp(argv[i], "--ring")) {
			o.transport = MQTAP_RING_BUFFER;
			o.ring_buffer_bytes = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--pages")) {
			o.per_cpu_pages = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--wakeup")) {
			o.wakeup_bytes = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--drain-ms")) {
			o.drain_interval_ms = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--staging")) {
			o.staging_events = atoi(argv[++i]);
		} else if (!strcmp(argv[i], "--without")) {
			o.without_features = atoi(argv[++i]);
		} else {
			usage();
		}
	}
	buf = malloc((size_t)BATCH * MQ_OPEN_EVENT_SIZE);
	p = mqtap_probe_new(&o);
	if (!buf || !p) {
		fprintf(stderr, "mqtap_c_reader: out of memory\n");
		return 1;
	}
	err = mqtap_probe_load(p, set);
	if (!err)
		err = mqtap_probe_attach(p);
	if (err) {
		fprintf(stderr, "mqtap_c_reader: failed to load or attach the %s set: %s\n", set_name, mqtap_probe_error(p));
		mqtap_probe_free(p);
		return 1;
	}
	printf("ready set=%s\n", set_name);
	fflush(stdout);
	for (;;) {
		struct pollfd in = { .fd = 0, .events = POLLIN };
		int n = mqtap_probe_drain(p, buf, BATCH, 10);

		if (n < 0) {
			fprintf(stderr, "mqtap_c_reader: failed to drain: %s\n", mqtap_probe_error(p));
			break;
		}
		consume(buf, n);
		if (n < BATCH && poll(&in, 1, 0) > 0) {
			unsigned int pid;
			int64_t c[MQTAP_CTR_SLOTS];

			if (!fgets(line, sizeof(line), stdin) || sscanf(line, "report %u", &pid) != 1)
				break;
			/* what is still buffered belongs to the report: drain until nothing comes */
			while ((n = mqtap_probe_drain(p, buf, BATCH, 3 * o.drain_interval_ms)) > 0)
				consume(buf, n);
			mqtap_probe_counters(p, c);
			printf("received=%llu lost=%lld emitted=%lld name_bytes=%zu\n", (unsigned long long)count_of(pid),
			       (long long)lost_total(c), (long long)c[MQTAP_CTR_EMITTED], name_bytes);
			fflush(stdout);
		}
	}
	mqtap_probe_free(p);
	free(buf);
	return 0;
}
