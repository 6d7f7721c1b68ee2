// SPDX-License-Identifier: Apache-2.0
/*
 * mq_open_helper: performs scripted mq_open calls and prints one JSON line per call saying
 * exactly what it did, so tests can compare captured events field by field.
 *
 * Each call is one line on stdin, or one command-line argument, of key=value words:
 *   name=TEXT | hex=HEX | len=N [fill=C] | null | unmapped   the name (default "mqtap-helper")
 *   oflag=RDONLY|WRONLY|RDWR|CREAT|EXCL|NONBLOCK|CLOEXEC or a number   (default RDONLY)
 *   mode=OCTAL                       (default 0)
 *   attr=MAXMSG,MSGSIZE | attr=FLAGS,MAXMSG,MSGSIZE,CURMSGS | attr=unmapped   (default: no attr)
 *   as=nobody | as=UID               make the call from a child that setuid()s first
 *   threads=N                        make the call from N threads at once
 *   repeat=N                         make it N times (per thread)
 *   quiet                            print one summary line instead of a line per call
 *   flip                             while calling, another thread flips the name's last byte (TOCTOU)
 *   cpu=N                            pin the helper to CPU N first (stays pinned for later steps)
 *   unlink                           instead of mq_open, unlink the named queue
 * Queues created (O_CREAT and success) are unlinked when the script ends; fds are closed at once.
 * The call is the raw syscall: the kernel sees exactly these bytes (glibc would strip a leading '/').
 *
 * Output per call: {"seq","pid","tid","uid","gid","comm","name_hex","name_kind","oflag","mode",
 *   "has_attr","attr_flags","attr_maxmsg","attr_msgsize","attr_curmsgs","ret","errno"}
 * ret is what the kernel returned: the fd, or -errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define NAME_BUF 8192

struct call {
	int kind; /* 0 bytes, 1 NULL, 2 unmapped */
	unsigned char name[NAME_BUF];
	size_t name_len;
	long oflag;
	long mode;
	int has_attr;
	long attr[4];
	long as_uid; /* -1: ourselves */
	int threads, repeat, quiet, flip, unlink_only;
	int cpu; /* -1: not pinned */
};

static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;
static int seq;
static char created[256][NAME_BUF];
static int n_created;

static void die(const char *what, const char *word)
{
	fprintf(stderr, "mq_open_helper: %s: '%s'\n", what, word);
	exit(2);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static long parse_oflag(const char *s)
{
	char buf[256], *tok, *save = NULL;
	long v = 0;

	if (s[0] >= '0' && s[0] <= '9')
		return strtol(s, NULL, 0);
	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		if (!strcmp(tok, "RDONLY")) v |= O_RDONLY;
		else if (!strcmp(tok, "WRONLY")) v |= O_WRONLY;
		else if (!strcmp(tok, "RDWR")) v |= O_RDWR;
		else if (!strcmp(tok, "CREAT")) v |= O_CREAT;
		else if (!strcmp(tok, "EXCL")) v |= O_EXCL;
		else if (!strcmp(tok, "NONBLOCK")) v |= O_NONBLOCK;
		else if (!strcmp(tok, "CLOEXEC")) v |= O_CLOEXEC;
		else die("unknown oflag", tok);
	}
	return v;
}

static void parse(char *line, struct call *c)
{
	char *word, *save = NULL;

	memset(c, 0, sizeof(*c));
	memcpy(c->name, "mqtap-helper", 12);
	c->name_len = 12;
	c->as_uid = -1;
	c->cpu = -1;
	c->threads = 1;
	c->repeat = 1;
	for (word = strtok_r(line, " \t\r\n", &save); word; word = strtok_r(NULL, " \t\r\n", &save)) {
		char *eq = strchr(word, '=');
		const char *v = eq ? eq + 1 : "";

		if (eq)
			*eq = 0;
		if (!strcmp(word, "name")) {
			c->kind = 0;
			c->name_len = strlen(v);
			memcpy(c->name, v, c->name_len);
		} else if (!strcmp(word, "hex")) {
			size_t n = strlen(v), i;

			if (n % 2 || n / 2 >= NAME_BUF)
				die("bad hex name", v);
			for (i = 0; i < n / 2; i++) {
				int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);

				if (hi < 0 || lo < 0)
					die("bad hex name", v);
				c->name[i] = hi * 16 + lo;
			}
			c->kind = 0;
			c->name_len = n / 2;
		} else if (!strcmp(word, "len")) {
			long n = atol(v);

			if (n < 0 || n >= NAME_BUF)
				die("bad len", v);
			memset(c->name, 'q', n);
			c->kind = 0;
			c->name_len = n;
		} else if (!strcmp(word, "null")) {
			c->kind = 1;
		} else if (!strcmp(word, "unmapped")) {
			c->kind = 2;
		} else if (!strcmp(word, "oflag")) {
			c->oflag = parse_oflag(v);
		} else if (!strcmp(word, "mode")) {
			c->mode = strtol(v, NULL, 8);
		} else if (!strcmp(word, "attr")) {
			long a[4] = { 0 };
			int n = sscanf(v, "%ld,%ld,%ld,%ld", &a[0], &a[1], &a[2], &a[3]);

			c->has_attr = 1;
			if (!strcmp(v, "unmapped")) {
				c->has_attr = 2; /* a pointer to a page that is no longer mapped */
			} else if (n == 2) {
				c->attr[1] = a[0];
				c->attr[2] = a[1];
			} else if (n == 4) {
				memcpy(c->attr, a, sizeof(a));
			} else {
				die("attr needs MAXMSG,MSGSIZE or FLAGS,MAXMSG,MSGSIZE,CURMSGS", v);
			}
		} else if (!strcmp(word, "as")) {
			c->as_uid = !strcmp(v, "nobody") ? 65534 : atol(v);
		} else if (!strcmp(word, "threads")) {
			c->threads = atoi(v);
		} else if (!strcmp(word, "repeat")) {
			c->repeat = atoi(v);
		} else if (!strcmp(word, "quiet")) {
			c->quiet = 1;
		} else if (!strcmp(word, "flip")) {
			c->flip = 1;
		} else if (!strcmp(word, "cpu")) {
			c->cpu = atoi(v);
		} else if (!strcmp(word, "unlink")) {
			c->unlink_only = 1;
		} else {
			die("unknown word", word);
		}
	}
	if (c->threads < 1 || c->threads > 256 || c->repeat < 0)
		die("threads must be 1..256 and repeat >= 0", line);
}

static void print_hex(FILE *f, const unsigned char *b, size_t n)
{
	static const char d[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		fputc(d[b[i] >> 4], f);
		fputc(d[b[i] & 15], f);
	}
}

static void print_call(const struct call *c, long ret, int err)
{
	char comm[17] = { 0 };
	size_t i;

	prctl(PR_GET_NAME, comm);
	pthread_mutex_lock(&out_lock);
	printf("{\"seq\":%d,\"pid\":%d,\"tid\":%d,\"uid\":%u,\"gid\":%u,\"comm\":\"", seq++, (int)getpid(),
	       (int)gettid(), (unsigned)getuid(), (unsigned)getgid());
	for (i = 0; comm[i]; i++)
		printf((comm[i] < 0x20 || comm[i] == '"' || comm[i] == '\\') ? "\\u%04x" : "%c",
		       (unsigned char)comm[i]);
	printf("\",\"name_hex\":\"");
	if (c->kind == 0)
		print_hex(stdout, c->name, c->name_len);
	printf("\",\"name_kind\":\"%s\",\"oflag\":%ld,\"mode\":%ld,\"has_attr\":%s,\"attr_flags\":%ld,"
	       "\"attr_maxmsg\":%ld,\"attr_msgsize\":%ld,\"attr_curmsgs\":%ld,\"ret\":%ld,\"errno\":%d}\n",
	       c->kind == 0 ? "bytes" : c->kind == 1 ? "null" : "unmapped", c->oflag, c->mode,
	       c->has_attr ? "true" : "false", c->attr[0], c->attr[1], c->attr[2], c->attr[3], ret, err);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static void remember_created(const struct call *c)
{
	pthread_mutex_lock(&out_lock);
	if (c->kind == 0 && c->name_len < NAME_BUF - 2 && n_created < 256) {
		int i;

		for (i = 0; i < n_created; i++)
			if (!memcmp(created[i] + 1, c->name, c->name_len) && created[i][c->name_len + 1] == 0)
				break;
		if (i == n_created) {
			created[n_created][0] = '/';
			memcpy(created[n_created] + 1, c->name, c->name_len);
			created[n_created][c->name_len + 1] = 0;
			n_created++;
		}
	}
	pthread_mutex_unlock(&out_lock);
}

struct run {
	struct call *c;
	unsigned char *name; /* the buffer the syscall reads; flip writes into it */
	long ok, failed;
	volatile int *stop;
};

/* one call; returns the kernel's result: fd or -errno */
static long do_call(struct run *r)
{
	struct call *c = r->c;
	struct mq_attr a = { .mq_flags = c->attr[0], .mq_maxmsg = c->attr[1], .mq_msgsize = c->attr[2],
			     .mq_curmsgs = c->attr[3] };
	const char *name = c->kind == 0 ? (const char *)r->name : NULL;
	long ret;

	if (c->kind == 2) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(p, 4096);
		name = p; /* a pointer to a page that is no longer mapped */
	}
	struct mq_attr *attr = c->has_attr ? &a : NULL;

	if (c->has_attr == 2) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(p, 4096);
		attr = p;
	}
	ret = syscall(SYS_mq_open, name, c->oflag, c->mode, attr);
	return ret < 0 ? -errno : ret;
}

static void *caller(void *arg)
{
	struct run *r = arg;
	int i;

	for (i = 0; i < r->c->repeat; i++) {
		long ret = do_call(r);

		if (ret >= 0) {
			r->ok++;
			close((int)ret);
			if (r->c->oflag & O_CREAT)
				remember_created(r->c);
		} else {
			r->failed++;
		}
		if (!r->c->quiet)
			print_call(r->c, ret, ret < 0 ? (int)-ret : 0);
	}
	return NULL;
}

static void *flipper(void *arg)
{
	struct run *r = arg;
	size_t last = r->c->name_len ? r->c->name_len - 1 : 0;
	volatile unsigned char *b = r->name + last; /* volatile: every flip must reach memory */

	while (!*r->stop)
		*b ^= 0x01;
	return NULL;
}

static void run_call(struct call *c)
{
	unsigned char *names = calloc(c->threads, NAME_BUF + 1);
	struct run *runs = calloc(c->threads, sizeof(*runs));
	pthread_t *tids = calloc(c->threads, sizeof(*tids)), flip_tid;
	volatile int stop = 0;
	long ok = 0, failed = 0;
	int i;

	if (!names || !runs || !tids)
		die("out of memory", "");
	for (i = 0; i < c->threads; i++) {
		runs[i].c = c;
		runs[i].name = names + (size_t)i * (NAME_BUF + 1);
		runs[i].stop = &stop;
		memcpy(runs[i].name, c->name, c->name_len);
	}
	if (c->flip)
		pthread_create(&flip_tid, NULL, flipper, &runs[0]);
	if (c->threads == 1) {
		caller(&runs[0]);
	} else {
		for (i = 0; i < c->threads; i++)
			pthread_create(&tids[i], NULL, caller, &runs[i]);
		for (i = 0; i < c->threads; i++)
			pthread_join(tids[i], NULL);
	}
	if (c->flip) {
		stop = 1;
		pthread_join(flip_tid, NULL);
	}
	for (i = 0; i < c->threads; i++) {
		ok += runs[i].ok;
		failed += runs[i].failed;
	}
	if (c->quiet) {
		pthread_mutex_lock(&out_lock);
		printf("{\"summary\":true,\"pid\":%d,\"calls\":%ld,\"ok\":%ld,\"failed\":%ld}\n", (int)getpid(), ok + failed,
		       ok, failed);
		fflush(stdout);
		pthread_mutex_unlock(&out_lock);
	}
	free(names);
	free(runs);
	free(tids);
}

static void unlink_named(struct call *c)
{
	char slash[NAME_BUF + 2];

	slash[0] = '/';
	memcpy(slash + 1, c->name, c->name_len);
	slash[c->name_len + 1] = 0;
	mq_unlink(slash);
}

static void step(char *line)
{
	struct call *c = malloc(sizeof(*c));
	pid_t child;
	int status;

	if (!c)
		die("out of memory", "");
	parse(line, c);
	if (c->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(c->cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			die("sched_setaffinity failed for cpu", line);
	}
	if (c->unlink_only) {
		unlink_named(c);
	} else if (c->as_uid < 0) {
		run_call(c);
	} else {
		/* the call runs in a child with another uid; its output line is its own */
		fflush(stdout);
		child = fork();
		if (child == 0) {
			if (setgid((gid_t)c->as_uid) || setuid((uid_t)c->as_uid)) {
				perror("mq_open_helper: setuid");
				_exit(3);
			}
			n_created = 0;
			run_call(c);
			fflush(stdout);
			_exit(0);
		}
		waitpid(child, &status, 0);
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			die("the child failed", line);
		/* what the child created is unlinked here, by name */
		if (c->oflag & O_CREAT)
			remember_created(c);
	}
	free(c);
}

int main(int argc, char **argv)
{
	int i;

	if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		printf("usage: mq_open_helper [CALL ...]   (or one CALL per line on stdin)\n"
		       "see the comment at the top of mq_open_helper.c for the CALL words\n");
		return 0;
	}
	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			char *copy = strdup(argv[i]);

			step(copy);
			free(copy);
		}
	} else {
		char *line = NULL;
		size_t cap = 0;

		while (getline(&line, &cap, stdin) > 0) {
			if (line[strspn(line, " \t\r\n")] == 0 || line[0] == '#')
				continue;
			step(line);
		}
		free(line);
	}
	for (i = 0; i < n_created; i++)
		mq_unlink(created[i]);
	return 0;
}
