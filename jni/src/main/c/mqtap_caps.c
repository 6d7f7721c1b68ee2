// SPDX-License-Identifier: Apache-2.0
/*
 * Capabilities belong to threads, not to the process: capset(2) changes only the calling thread, and a JVM has
 * dozens. Each thread is sent a real-time signal whose handler lowers its own sets (a raw capset and prctl: both
 * async-signal-safe), and /proc/self/task/<tid>/status is read back until every thread shows the target, new
 * threads included (a thread inherits its creator's sets, so one made by a not-yet-lowered thread is caught by the
 * next pass). glibc does the same for setuid(2) across threads (its SIGSETXID broadcast); it has none for capset.
 */
#define _GNU_SOURCE
#include "mqtap_caps.h"

#include <dirent.h>
#include <errno.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_PASSES 200

static struct __user_cap_data_struct target[_LINUX_CAPABILITY_U32S_3];
static uint64_t target_mask;
static int last_cap = 40;
static atomic_int handler_errno;

/* Lowers the calling thread's sets; runs as a signal handler, so only async-signal-safe calls. */
static void lower_this_thread(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
	int saved = errno;

	/* the bounding set first: dropping from it needs CAP_SETPCAP, which the capset below may take away */
	if (prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0) == 1) {
		for (int cap = 0; cap <= last_cap; cap++)
			if (!(target_mask >> cap & 1))
				prctl(PR_CAPBSET_DROP, cap, 0, 0, 0); /* EPERM without CAP_SETPCAP in effect: the unit's set stays */
	}
	if (syscall(SYS_capset, &h, target) != 0)
		atomic_store(&handler_errno, errno);
	errno = saved;
}

static void on_signal(int sig)
{
	(void)sig;
	lower_this_thread();
}

/* The thread's CapEff and CapPrm from its status file; 0 on success. */
static int read_caps(pid_t tid, uint64_t *eff, uint64_t *prm)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "CapEff:", 7))
			found += sscanf(line + 7, "%lx", (unsigned long *)eff) == 1;
		else if (!strncmp(line, "CapPrm:", 7))
			found += sscanf(line + 7, "%lx", (unsigned long *)prm) == 1;
	}
	fclose(f);
	return found == 2 ? 0 : -EIO;
}

/* A real-time signal nobody handles yet (the JVM uses none; check anyway), with our handler installed. */
static int install_handler(void)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (int sig = SIGRTMAX - 2; sig > SIGRTMIN + 2; sig--) {
		if (sigaction(sig, NULL, &old) != 0)
			continue;
		if (old.sa_handler == on_signal)
			return sig; /* a second drop reuses it */
		if (old.sa_handler != SIG_DFL || (old.sa_flags & SA_SIGINFO))
			continue;
		if (sigaction(sig, &sa, NULL) == 0)
			return sig; /* left installed: a late delivery must find the handler, not the default (terminate) */
	}
	return -EAGAIN;
}

int mqtap_caps_drop_all_threads(uint64_t keep, char *err, size_t errlen)
{
	pid_t pid = getpid(), self = (pid_t)syscall(SYS_gettid);
	int sig, changed = 0;
	FILE *f;

	f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		if (fscanf(f, "%d", &last_cap) != 1)
			last_cap = 40;
		fclose(f);
	}
	target_mask = keep;
	memset(target, 0, sizeof(target));
	target[0].effective = target[0].permitted = (uint32_t)keep;
	target[1].effective = target[1].permitted = (uint32_t)(keep >> 32);
	atomic_store(&handler_errno, 0);
	sig = install_handler();
	if (sig < 0) {
		snprintf(err, errlen, "Failed to find a free real-time signal to reach every thread");
		return sig;
	}
	for (int pass = 0; pass < MAX_PASSES; pass++) {
		int pending = 0;
		DIR *d = opendir("/proc/self/task");
		struct dirent *e;

		if (!d) {
			int rc = -errno;
			snprintf(err, errlen, "Failed to list /proc/self/task: %s", strerror(-rc));
			return rc;
		}
		while ((e = readdir(d))) {
			pid_t tid = (pid_t)atoi(e->d_name);
			uint64_t eff = 0, prm = 0;

			if (tid <= 0 || read_caps(tid, &eff, &prm) != 0)
				continue; /* "." and "..", or a thread that ended */
			if ((eff & ~keep) == 0 && (prm & ~keep) == 0)
				continue;
			pending++;
			if (pass == 0)
				changed++;
			if (tid == self)
				lower_this_thread();
			else if (syscall(SYS_tgkill, pid, tid, sig) != 0 && errno != ESRCH) {
				int rc = -errno;
				closedir(d);
				snprintf(err, errlen, "Failed to signal thread %d: %s", tid, strerror(-rc));
				return rc;
			}
		}
		closedir(d);
		if (atomic_load(&handler_errno)) {
			int rc = -atomic_load(&handler_errno);
			snprintf(err, errlen, "capset failed in a thread: %s", strerror(-rc));
			return rc;
		}
		if (!pending)
			return changed;
		nanosleep(&(struct timespec){.tv_sec = 0, .tv_nsec = 2 * 1000 * 1000}, NULL);
	}
	snprintf(err, errlen, "Some threads still held capabilities after %d passes (a thread that blocks signals?)", MAX_PASSES);
	return -EAGAIN;
}
