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
 *   via=open|openat|openat2|creat    open a file instead (name is the path; openat/openat2 take it
 *                                    relative to dir=DIR, or to the working directory without dir=)
 *   dir=DIR                          the directory openat/openat2 are relative to (opened O_PATH)
 *   mmapname                         the name sits in a fresh file-backed mapping no one touched yet
 *   blockers=N:FIFO                  while this step's calls run, N other threads sit blocked in
 *                                    open(FIFO, O_RDONLY) (released after the calls by opening it to write)
 *   ids=R,E,S,F                      make the call from a child with real/effective/saved/fs uid and
 *                                    gid R, E, S, F (setresgid, setfsgid, setresuid, setfsuid)
 * Steps that change the helper itself (no call; they last for the later steps):
 *   umask=OCTAL | comm=NAME (prctl PR_SET_NAME) | cwd=DIR (chdir) | unshare=ipc (a new IPC and
 *   mount namespace) | unshare=pid (children forked by later as=/ids= steps start a new pid namespace)
 *   | mountmq=DIR (mount an mqueue filesystem there, in the current IPC namespace)
 *   | loginuid=N (write /proc/self/loginuid, as a login service does)
 * Queues created (O_CREAT and success) are unlinked when the script ends; fds are closed at once.
 * The call is the raw syscall: the kernel sees exactly these bytes (glibc would strip a leading '/').
 *
 * Output per call: {"seq","pid","tid","uid","gid","comm","name_hex","name_kind","oflag","mode",
 *   "has_attr","attr_flags","attr_maxmsg","attr_msgsize","attr_curmsgs","ret","errno","via",
 *   "ino","qmode","quid","qgid","euid","fsuid","login_uid","ipc_ns","pid_ns","start_ticks"}
 * ret is what the kernel returned: the fd, or -errno; ino/qmode/quid/qgid are fstat() of the returned
 * descriptor (-1 on failure); login_uid from /proc/self/loginuid; ipc_ns, pid_ns the inodes of /proc/self/ns/ipc and pid;
 * start_ticks the process's start time in clock ticks since boot (/proc/self/stat field 22).
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
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <linux/openat2.h>
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
	int via; /* VIA_* */
	char dir[NAME_BUF];
	int mmapname;
	int has_ids;
	long ids[4]; /* real, effective, saved, fs */
	int setup;   /* a step that changes the helper and makes no call */
	int blockers;
	char fifo[NAME_BUF];
	char setup_word[32], setup_value[NAME_BUF];
};

enum { VIA_MQ_OPEN, VIA_OPEN, VIA_OPENAT, VIA_OPENAT2, VIA_CREAT };
static const char *via_names[] = { "mq_open", "open", "openat", "openat2", "creat" };

/* what one call did, for its output line */
struct result {
	long ret;
	long ino, qmode, quid, qgid; /* fstat of the descriptor, -1 on failure */
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
		} else if (!strcmp(word, "via")) {
			int k;

			for (k = 0; k < 5 && strcmp(v, via_names[k]); k++)
				;
			if (k == 5)
				die("via takes mq_open, open, openat, openat2 or creat", v);
			c->via = k;
		} else if (!strcmp(word, "dir")) {
			snprintf(c->dir, sizeof(c->dir), "%s", v);
		} else if (!strcmp(word, "blockers")) {
			const char *colon = strchr(v, ':');

			c->blockers = atoi(v);
			if (!colon || c->blockers < 1 || c->blockers > 256)
				die("blockers takes N:FIFO (N 1..256)", v);
			snprintf(c->fifo, sizeof(c->fifo), "%s", colon + 1);
		} else if (!strcmp(word, "mmapname")) {
			c->mmapname = 1;
		} else if (!strcmp(word, "ids")) {
			if (sscanf(v, "%ld,%ld,%ld,%ld", &c->ids[0], &c->ids[1], &c->ids[2], &c->ids[3]) != 4)
				die("ids takes R,E,S,F", v);
			c->has_ids = 1;
		} else if (!strcmp(word, "umask") || !strcmp(word, "comm") || !strcmp(word, "cwd") ||
			   !strcmp(word, "unshare") || !strcmp(word, "mountmq") || !strcmp(word, "loginuid")) {
			c->setup = 1;
			snprintf(c->setup_word, sizeof(c->setup_word), "%s", word);
			snprintf(c->setup_value, sizeof(c->setup_value), "%s", v);
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

/* a number from the first line of a /proc file, or -1 */
static long long proc_number(const char *path)
{
	long long v = -1;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static long long ns_inode(const char *path)
{
	char link[64];
	ssize_t n = readlink(path, link, sizeof(link) - 1);
	long long ino = -1;

	if (n > 0) {
		link[n] = 0;
		if (sscanf(strchr(link, '[') ? strchr(link, '[') + 1 : link, "%lld", &ino) != 1)
			ino = -1;
	}
	return ino;
}

/* field 22 of /proc/self/stat: the start time in clock ticks since boot */
static long long start_ticks(void)
{
	char buf[1024], *p;
	long long v = -1;
	int field;
	FILE *f = fopen("/proc/self/stat", "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')'); /* comm may hold spaces */
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%lld", &v);
	return v;
}

/* per-process facts for the output lines: read once per step (a setup step or a fork changes them) */
static struct {
	long long loginuid, ipc_ns, pid_ns, start_ticks;
} self;

static void read_self(void)
{
	self.loginuid = proc_number("/proc/self/loginuid");
	self.ipc_ns = ns_inode("/proc/self/ns/ipc");
	self.pid_ns = ns_inode("/proc/self/ns/pid");
	self.start_ticks = start_ticks();
}

static void print_call(const struct call *c, const struct result *r)
{
	char comm[17] = { 0 };
	long ret = r->ret;
	int err = ret < 0 ? (int)-ret : 0;
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
	       "\"attr_maxmsg\":%ld,\"attr_msgsize\":%ld,\"attr_curmsgs\":%ld,\"ret\":%ld,\"errno\":%d,"
	       "\"via\":\"%s\",\"ino\":%ld,\"qmode\":%ld,\"quid\":%ld,\"qgid\":%ld,\"euid\":%u,\"fsuid\":%d,"
	       "\"login_uid\":%lld,\"ipc_ns\":%lld,\"pid_ns\":%lld,\"start_ticks\":%lld}\n",
	       c->kind == 0 ? "bytes" : c->kind == 1 ? "null" : "unmapped", c->oflag, c->mode,
	       c->has_attr ? "true" : "false", c->attr[0], c->attr[1], c->attr[2], c->attr[3], ret, err,
	       via_names[c->via], r->ino, r->qmode, r->quid, r->qgid, (unsigned)geteuid(), setfsuid(-1),
	       self.loginuid, self.ipc_ns, self.pid_ns, self.start_ticks);
	fflush(stdout);
	pthread_mutex_unlock(&out_lock);
}

static char created_paths[64][NAME_BUF];
static int n_created_paths;

/* a queue file created through the filesystem: removed by its absolute path at the end */
static void remember_created_path(const struct call *c)
{
	char path[NAME_BUF];

	if (c->kind != 0 || c->name_len >= NAME_BUF / 2)
		return;
	if (c->name[0] == '/')
		snprintf(path, sizeof(path), "%.*s", (int)c->name_len, (const char *)c->name);
	else if (c->dir[0] && (c->via == VIA_OPENAT || c->via == VIA_OPENAT2))
		snprintf(path, sizeof(path), "%.2000s/%.*s", c->dir, (int)c->name_len, (const char *)c->name);
	else {
		char cwd[2048];

		if (!getcwd(cwd, sizeof(cwd)))
			return;
		snprintf(path, sizeof(path), "%s/%.*s", cwd, (int)c->name_len, (const char *)c->name);
	}
	pthread_mutex_lock(&out_lock);
	if (n_created_paths < 64) {
		int i;

		for (i = 0; i < n_created_paths && strcmp(created_paths[i], path); i++)
			;
		if (i == n_created_paths)
			snprintf(created_paths[n_created_paths++], NAME_BUF, "%s", path);
	}
	pthread_mutex_unlock(&out_lock);
}

static void remember_created(const struct call *c)
{
	if (c->via != VIA_MQ_OPEN) {
		remember_created_path(c);
		return;
	}
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

/* removes what this helper created, in the IPC namespace it is in now */
static void unlink_created(void)
{
	int i;

	for (i = 0; i < n_created; i++)
		mq_unlink(created[i]);
	for (i = 0; i < n_created_paths; i++)
		unlink(created_paths[i]);
	n_created = n_created_paths = 0;
}

struct run {
	struct call *c;
	unsigned char *name; /* the buffer the syscall reads; flip writes into it */
	long ok, failed;
	volatile int *stop;
};

/* a fresh private mapping of a file holding the name: the pages are not in this process's page tables */
static const char *mapped_name(const struct call *c)
{
	char path[] = "/tmp/mq_open_helper.XXXXXX";
	int fd = mkstemp(path);
	void *p;

	if (fd < 0)
		die("mkstemp failed for", "mmapname");
	unlink(path);
	if (write(fd, c->name, c->name_len) != (ssize_t)c->name_len || write(fd, "", 1) != 1)
		die("write failed for", "mmapname");
	p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		die("mmap failed for", "mmapname");
	return p;
}

/* one call; returns the kernel's result: fd or -errno */
static long do_call(struct run *r)
{
	struct call *c = r->c;
	struct mq_attr a = { .mq_flags = c->attr[0], .mq_maxmsg = c->attr[1], .mq_msgsize = c->attr[2],
			     .mq_curmsgs = c->attr[3] };
	const char *name = c->kind == 0 ? (const char *)r->name : NULL;
	long ret;
	int dirfd = AT_FDCWD;

	if (c->kind == 2) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(p, 4096);
		name = p; /* a pointer to a page that is no longer mapped */
	}
	if (c->kind == 0 && c->mmapname)
		name = mapped_name(c);
	struct mq_attr *attr = c->has_attr ? &a : NULL;

	if (c->has_attr == 2) {
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		munmap(p, 4096);
		attr = p;
	}
	if ((c->via == VIA_OPENAT || c->via == VIA_OPENAT2) && c->dir[0]) {
		dirfd = open(c->dir, O_PATH | O_DIRECTORY);
		if (dirfd < 0)
			die("cannot open dir", c->dir);
	}
	switch (c->via) {
	case VIA_OPEN:
		ret = syscall(SYS_open, name, c->oflag, c->mode);
		break;
	case VIA_OPENAT:
		ret = syscall(SYS_openat, dirfd, name, c->oflag, c->mode);
		break;
	case VIA_OPENAT2: {
		struct open_how how = { .flags = (unsigned long)c->oflag, .mode = (unsigned long)c->mode };

		ret = syscall(SYS_openat2, dirfd, name, &how, sizeof(how));
		break;
	}
	case VIA_CREAT:
		ret = syscall(SYS_creat, name, c->mode);
		break;
	default:
		ret = syscall(SYS_mq_open, name, c->oflag, c->mode, attr);
	}
	ret = ret < 0 ? -errno : ret;
	if (dirfd != AT_FDCWD)
		close(dirfd);
	if (c->kind == 0 && c->mmapname)
		munmap((void *)name, 4096);
	return ret;
}

static void *caller(void *arg)
{
	struct run *r = arg;
	int i;

	for (i = 0; i < r->c->repeat; i++) {
		struct result res = { .ret = do_call(r), .ino = -1, .qmode = -1, .quid = -1, .qgid = -1 };

		if (res.ret >= 0) {
			struct stat st;

			if (fstat((int)res.ret, &st) == 0) {
				res.ino = (long)st.st_ino;
				res.qmode = st.st_mode & 07777;
				res.quid = st.st_uid;
				res.qgid = st.st_gid;
			}
			r->ok++;
			close((int)res.ret);
			if ((r->c->oflag & O_CREAT) || r->c->via == VIA_CREAT)
				remember_created(r->c);
		} else {
			r->failed++;
		}
		if (!r->c->quiet)
			print_call(r->c, &res);
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

/* a thread that opens the FIFO to read: it blocks in open() until someone opens it to write */
static void *blocked_opener(void *arg)
{
	int fd = open((const char *)arg, O_RDONLY);

	if (fd >= 0)
		close(fd);
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
	pthread_t blocked[256];
	int b;

	for (b = 0; b < c->blockers; b++)
		pthread_create(&blocked[b], NULL, blocked_opener, c->fifo);
	if (c->blockers) {
		struct timespec settle = { 0, 200000000L }; /* let them all reach the blocking open */

		nanosleep(&settle, NULL);
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
	if (c->blockers) {
		int w = open(c->fifo, O_WRONLY); /* readers wait: this open returns at once and frees them */

		for (b = 0; b < c->blockers; b++)
			pthread_join(blocked[b], NULL);
		if (w >= 0)
			close(w);
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

/* umask, comm, cwd, unshare, mountmq: they change the helper for the steps after */
static void setup(struct call *c, const char *line)
{
	const char *w = c->setup_word, *v = c->setup_value;

	if (!strcmp(w, "umask")) {
		umask((mode_t)strtol(v, NULL, 8));
	} else if (!strcmp(w, "comm")) {
		prctl(PR_SET_NAME, v);
	} else if (!strcmp(w, "cwd")) {
		if (chdir(v))
			die("chdir failed", line);
	} else if (!strcmp(w, "unshare") && !strcmp(v, "pid")) {
		if (unshare(CLONE_NEWPID))
			die("unshare(CLONE_NEWPID) failed", line);
	} else if (!strcmp(w, "unshare")) {
		if (strcmp(v, "ipc"))
			die("unshare takes ipc or pid", line);
		unlink_created(); /* what was created so far lives in the namespace being left */
		if (unshare(CLONE_NEWIPC | CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			die("unshare(CLONE_NEWIPC | CLONE_NEWNS) failed", line);
	} else if (!strcmp(w, "mountmq")) {
		if (mount("mqueue", v, "mqueue", 0, NULL))
			die("mount -t mqueue failed", line);
	} else if (!strcmp(w, "loginuid")) {
		FILE *f = fopen("/proc/self/loginuid", "w");

		if (!f || fprintf(f, "%s", v) < 0 || fclose(f))
			die("writing /proc/self/loginuid failed", line);
	}
}

/* real, effective, saved and fs ids: gids first, while still root */
static void become(const long *ids)
{
	if (setresgid((gid_t)ids[0], (gid_t)ids[1], (gid_t)ids[2]) || (setfsgid((gid_t)ids[3]), 0) ||
	    setresuid((uid_t)ids[0], (uid_t)ids[1], (uid_t)ids[2])) {
		perror("mq_open_helper: setres[ug]id");
		_exit(3);
	}
	setfsuid((uid_t)ids[3]);
	if (setfsuid(-1) != (int)ids[3]) {
		fprintf(stderr, "mq_open_helper: setfsuid(%ld) did not take\n", ids[3]);
		_exit(3);
	}
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
	if (c->setup) {
		setup(c, line);
		read_self();
	} else if (c->unlink_only) {
		unlink_named(c);
	} else if (c->as_uid < 0 && !c->has_ids) {
		run_call(c);
	} else {
		/* the call runs in a child with other ids; its output line is its own */
		fflush(stdout);
		child = fork();
		if (child == 0) {
			if (c->has_ids) {
				become(c->ids);
			} else if (setgid((gid_t)c->as_uid) || setuid((uid_t)c->as_uid)) {
				perror("mq_open_helper: setuid");
				_exit(3);
			}
			n_created = n_created_paths = 0;
			read_self();
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

	read_self();
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
	unlink_created();
	return 0;
}
