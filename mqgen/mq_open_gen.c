// SPDX-License-Identifier: Apache-2.0
/*
 * mq_open_gen: the benchmark and demo generator. Calls mq_open on one thread, as fast as it can
 * or at a given rate, and prints what it did:
 *   calls=<N> elapsed_ns=<T> calls_per_sec=<R> ok=<n> errors=<n>
 * The default call opens a queue that does not exist (ENOENT): the cheapest path in the kernel,
 * so tracing overhead shows at its largest. --varied mixes successes and errnos for the demo;
 * --unique creates a new queue with each call (NAME-<i>), closes and removes it: every call succeeds and is
 * told apart by its name (the fairness bench's victim).
 * --openat PATH instead opens (openat, O_RDONLY) and closes a file: what tracing opens through
 * the mqueue filesystem costs every other open on the host.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <mqueue.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* raw syscall: the kernel sees exactly our name bytes, and glibc adds no checks of its own */
static long sys_mq_open(const char *name, int oflag, mode_t mode, struct mq_attr *attr)
{
	return syscall(SYS_mq_open, name, oflag, mode, attr);
}

/* mq_unlink wants glibc's form of the name: with the leading '/' */
static void unlink_queue(const char *name)
{
	char slash[260];

	snprintf(slash, sizeof(slash), "/%s", name);
	mq_unlink(name[0] == '/' ? name : slash);
}

static void usage(FILE *f)
{
	fprintf(f, "usage: mq_open_gen [--calls N] [--rate R] [--duration-ms D] [--name NAME] [--varied]\n"
		   "  --calls N        calls to make (default 1000000; 0 with --duration-ms: unlimited)\n"
		   "  --rate R         calls per second (default 0: as fast as possible)\n"
		   "  --duration-ms D  stop after D ms\n"
		   "  --name NAME      queue name (default mqtap-gen-<pid>, which does not exist)\n"
		   "  --varied         mix successes (create, open, close, unlink) with ENOENT, EEXIST and EINVAL\n"
		   "  --openat PATH    openat(AT_FDCWD, PATH, O_RDONLY) and close it, instead of mq_open\n"
		   "  --create         create the queue first (removed at the end): every call then succeeds\n"
		   "  --unique         each call creates NAME-<i> (then closes and removes it): all succeed, each name once\n");
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "calls", required_argument, NULL, 'c' }, { "rate", required_argument, NULL, 'r' },
		{ "duration-ms", required_argument, NULL, 'd' }, { "name", required_argument, NULL, 'n' },
		{ "varied", no_argument, NULL, 'v' }, { "openat", required_argument, NULL, 'o' },
		{ "create", no_argument, NULL, 'C' }, { "unique", no_argument, NULL, 'u' },
		{ "help", no_argument, NULL, 'h' }, { 0 },
	};
	long long calls = 1000000, rate = 0, duration_ms = 0, i, ok = 0, errors = 0;
	int varied = 0, create = 0, unique = 0, c, calls_given = 0;
	char name[256];
	const char *openat_path = NULL;
	uint64_t start, end, deadline = 0;

	snprintf(name, sizeof(name), "mqtap-gen-%d", (int)getpid());
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c': calls = atoll(optarg); calls_given = 1; break;
		case 'r': rate = atoll(optarg); break;
		case 'd': duration_ms = atoll(optarg); break;
		case 'n': snprintf(name, sizeof(name), "%s", optarg); break;
		case 'v': varied = 1; break;
		case 'o': openat_path = optarg; break;
		case 'C': create = 1; break;
		case 'u': unique = 1; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (calls < 0 || rate < 0 || duration_ms < 0) {
		usage(stderr);
		return 2;
	}
	if (duration_ms > 0 && !calls_given)
		calls = 0;
	if (create) {
		long q = sys_mq_open(name, O_RDWR | O_CREAT, 0600, NULL);

		if (q < 0) {
			perror("mq_open_gen: creating the queue");
			return 1;
		}
		close((int)q);
	}
	start = now_ns();
	if (duration_ms > 0)
		deadline = start + (uint64_t)duration_ms * 1000000ull;
	for (i = 0; calls == 0 || i < calls; i++) {
		long r;

		if (rate > 0) {
			uint64_t due = start + (uint64_t)(i * (1000000000.0 / rate));
			uint64_t t = now_ns();

			if (due > t) {
				struct timespec ts = { .tv_sec = due / 1000000000ull, .tv_nsec = due % 1000000000ull };

				clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
			}
		}
		if (deadline && (rate > 0 || (i & 63) == 0) && now_ns() >= deadline)
			break;
		if (openat_path) {
			r = syscall(SYS_openat, AT_FDCWD, openat_path, O_RDONLY, 0);
		} else if (unique) {
			char each[256];
			struct mq_attr small = { .mq_maxmsg = 1, .mq_msgsize = 16 }; /* as --varied's: cheap if ever left behind */

			snprintf(each, sizeof(each), "%.200s-%lld", name, i);
			r = sys_mq_open(each, O_RDWR | O_CREAT | O_EXCL, 0600, &small);
			if (r >= 0)
				unlink_queue(each);
		} else if (!varied) {
			r = sys_mq_open(name, O_RDONLY, 0, NULL);
		} else {
			struct mq_attr bad = { .mq_maxmsg = -1, .mq_msgsize = 16 };
			/* tiny: a queue left behind by a killed generator costs the user's RLIMIT_MSGQUEUE ~100 bytes, not 80 KiB
			 * (leaked default-sized queues made other tests' creates fail with EMFILE) */
			struct mq_attr small = { .mq_maxmsg = 1, .mq_msgsize = 16 };

			switch (i % 6) {
			case 0: r = sys_mq_open(name, O_RDWR | O_CREAT, 0600, &small); break;        /* created */
			case 1: r = sys_mq_open(name, O_RDONLY, 0, NULL); break;                     /* opened */
			case 2: r = sys_mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, NULL); break; /* EEXIST */
			case 3: r = sys_mq_open(name, O_RDWR | O_CREAT, 0600, &bad); break;          /* EINVAL */
			case 4: unlink_queue(name); r = sys_mq_open(name, O_RDONLY, 0, NULL); break; /* ENOENT */
			default: r = sys_mq_open(name, O_WRONLY, 0, NULL); break;                    /* ENOENT */
			}
		}
		if (r >= 0) {
			ok++;
			close((int)r);
		} else {
			errors++;
		}
	}
	end = now_ns();
	if (varied || create)
		unlink_queue(name);
	printf("calls=%lld elapsed_ns=%llu calls_per_sec=%.0f ok=%lld errors=%lld\n", i,
	       (unsigned long long)(end - start), i * 1e9 / (double)(end - start > 0 ? end - start : 1), ok, errors);
	return 0;
}
