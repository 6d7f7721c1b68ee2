// SPDX-License-Identifier: Apache-2.0
/* kretprobes through tracefs's kprobe_events: room for many calls in flight, misses readable everywhere. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>

#include "mqtap_kretprobe.h"

static atomic_int next_id;

/* writes one definition line to kprobe_events; 0 or -errno */
static int write_events(const char *tracefs, const char *line)
{
	char path[256];
	int fd, err = 0;
	size_t n = strlen(line);

	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, line, n) != (ssize_t)n)
		err = -errno;
	close(fd);
	return err;
}

static long read_id(const char *tracefs, const char *event)
{
	char path[256];
	long id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/kprobes/%s/id", tracefs, event);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%ld", &id) != 1)
		id = -EINVAL;
	fclose(f);
	return id;
}

int mqtap_kretprobe_attach(const char *tracefs, struct bpf_program *prog, const char *func, int maxactive,
			   struct mqtap_kretprobe *k, char *err, size_t errlen)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_TRACEPOINT,
		.size = sizeof(attr),
		.sample_period = 1,
		.wakeup_events = 1,
	};
	char line[256];
	long id;
	int pfd, rc;

	memset(k, 0, sizeof(*k));
	snprintf(k->event, sizeof(k->event), "mqtap_%d_%d", (int)getpid(), atomic_fetch_add(&next_id, 1));
	snprintf(line, sizeof(line), "r%d:%s %s\n", maxactive, k->event, func);
	rc = write_events(tracefs, line);
	if (rc) {
		snprintf(err, errlen, "writing '%.*s' to %s/kprobe_events: %s", (int)strlen(line) - 1, line, tracefs,
			 strerror(-rc));
		k->event[0] = 0;
		return rc;
	}
	id = read_id(tracefs, k->event);
	if (id < 0) {
		snprintf(err, errlen, "reading the id of kprobe event %s: %s", k->event, strerror((int)-id));
		mqtap_kretprobe_detach(tracefs, k);
		return (int)id;
	}
	attr.config = (__u64)id;
	/* one event, any task, one CPU: the BPF program then runs for every CPU (as libbpf's legacy kprobes) */
	pfd = syscall(__NR_perf_event_open, &attr, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (pfd < 0) {
		rc = -errno;
		snprintf(err, errlen, "perf_event_open(kprobe event %s): %s", k->event, strerror(-rc));
		mqtap_kretprobe_detach(tracefs, k);
		return rc;
	}
	k->link = bpf_program__attach_perf_event(prog, pfd);
	if (!k->link) {
		rc = -errno;
		close(pfd);
		snprintf(err, errlen, "attaching %s to kprobe event %s: %s", bpf_program__name(prog), k->event, strerror(-rc));
		mqtap_kretprobe_detach(tracefs, k);
		return rc;
	}
	return 0;
}

void mqtap_kretprobe_detach(const char *tracefs, struct mqtap_kretprobe *k)
{
	char line[96];

	if (k->link)
		bpf_link__destroy(k->link); /* closes the perf event: the definition can go */
	k->link = NULL;
	if (!k->event[0])
		return;
	snprintf(line, sizeof(line), "-:%s\n", k->event);
	write_events(tracefs, line);
	k->event[0] = 0;
}

int64_t mqtap_kretprobe_missed(const char *tracefs, const struct mqtap_kretprobe *k)
{
	char path[256], line[512], name[128];
	unsigned long long hit, missed;
	int64_t result = -1;
	FILE *f;

	if (!k->event[0])
		return -1;
	snprintf(path, sizeof(path), "%s/kprobe_profile", tracefs);
	f = fopen(path, "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		/* "  <event>   <nhit>   <nmissed>" */
		if (sscanf(line, "%127s %llu %llu", name, &hit, &missed) == 3 && !strcmp(name, k->event)) {
			result = (int64_t)missed;
			break;
		}
	}
	fclose(f);
	return result;
}

void mqtap_kretprobe_sweep(const char *tracefs)
{
	char path[256], line[512], gone[64][48];
	int ngone = 0, i;
	FILE *f;

	snprintf(path, sizeof(path), "%s/kprobe_events", tracefs);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f) && ngone < 64) {
		/* "r4096:kprobes/mqtap_<pid>_<n> do_sys_openat2" */
		char *ev = strstr(line, "/mqtap_");
		int pid, n;

		if (!ev || sscanf(ev, "/mqtap_%d_%d", &pid, &n) != 2)
			continue;
		if (pid == (int)getpid() || kill(pid, 0) == 0 || errno != ESRCH)
			continue; /* its process is alive (or can't be told): not ours to remove */
		snprintf(gone[ngone++], sizeof(gone[0]), "-:mqtap_%d_%d\n", pid, n);
	}
	fclose(f);
	for (i = 0; i < ngone; i++)
		write_events(tracefs, gone[i]);
}
