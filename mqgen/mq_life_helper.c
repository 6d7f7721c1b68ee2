// SPDX-License-Identifier: Apache-2.0
/*
 * mq_life_helper: performs a scripted life of POSIX message queues (open, send, receive, notify,
 * getsetattr, unlink) with raw syscalls and prints one JSON line per call saying exactly what it did,
 * so tests can compare what mqtap captured with what happened, call by call or in sums.
 *
 * One step per line on stdin (or per command-line argument), words separated by spaces:
 *   open L name=NAME [oflag=RDONLY|WRONLY|RDWR|CREAT|EXCL|NONBLOCK] [mode=OCTAL] [attr=MAXMSG,MSGSIZE]
 *                                  mq_open; the descriptor is called L in later steps
 *   fd L badfd | fd L file=PATH     L is a descriptor that is not open (1000), or a regular file's
 *   send L [size=N] [prio=P] [timeout=MS] [repeat=N] [quiet]
 *                                  mq_timedsend of N bytes (default 64); timeout=MS gives an absolute
 *                                  timeout MS milliseconds ahead (0: already past); repeat with quiet
 *                                  prints one summary line instead of a line per call
 *   receive L [size=N] [timeout=MS] [repeat=N] [quiet]     mq_timedreceive into an N-byte buffer (default 8192)
 *   notify L kind=signal|none|thread|remove [signo=N]      mq_notify (thread through glibc, which makes the
 *                                  netlink socket the kernel wants; the others raw)
 *   setattr L nonblock=0|1          mq_getsetattr with new flags, asking for the old attributes
 *   getattr L                      mq_getsetattr without new flags
 *   unlink name=NAME               mq_unlink
 *   close L
 *   transfer L R [count=N] [size=N] a thread receives on R while this one sends N messages on L; one
 *                                  summary line with the elapsed time (the capture bench's workload)
 *   comm=NAME | umask=OCTAL         prctl(PR_SET_NAME) | umask() for the later steps
 *   as UID ... end                 the steps in between run in a child that setresuid()s to UID first
 *                                  (and setresgid()s to the same number); its descriptors are its own
 * Names are passed to the kernel as given (glibc would strip a leading '/'). Every queue this script
 * created and did not unlink is unlinked at the end.
 *
 * Output per call: {"seq","call","pid","tid","uid","euid","comm","fd","name_hex","ret","errno","size",
 *   "prio","timeout","kind","signo","new_flags","old_flags","old_maxmsg","old_msgsize","old_curmsgs",
 *   "ino","ipc_ns","start_ticks"}: ret is the kernel's result (-errno on failure); size is the length
 *   sent or the buffer given; prio the priority sent or received (-1 when none); ino fstat()'s st_ino of
 *   the descriptor when it is a queue (-1 otherwise); unused fields -1.
 * Summary line (quiet, transfer): {"summary":true,"seq","call","pid","tid","fd","calls","ok","bytes",
 *   "min","max","errors":{"EAGAIN":N,...},"elapsed_ns"}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_LABELS 64
#define MAX_CREATED 256
#define BAD_FD 1000

struct label {
	char name[32];
	int fd;
};

static struct label labels[MAX_LABELS];
static int n_labels;
static char created[MAX_CREATED][256];
static int n_created;
static int *seq; /* shared with the children of as ... end, so numbers stay unique */
static long long ipc_ns, start_ticks;

static void die(const char *what, const char *word)
{
	fprintf(stderr, "mq_life_helper: %s: %s\n", what, word);
	exit(2);
}

static long long ns_inode(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long long)st.st_ino : -1;
}

static long long read_start_ticks(void)
{
	char buf[4096], *p;
	FILE *f = fopen("/proc/self/stat", "r");
	size_t n;
	int field;

	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	p = strrchr(buf, ')'); /* comm may hold spaces */
	if (!p)
		return -1;
	for (field = 2; field < 22 && p; field++)
		p = strchr(p + 1, ' ');
	return p ? atoll(p + 1) : -1;
}

static void read_self(void)
{
	ipc_ns = ns_inode("/proc/self/ns/ipc");
	start_ticks = read_start_ticks();
}

static int fd_of(const char *label)
{
	int i;

	for (i = 0; i < n_labels; i++)
		if (!strcmp(labels[i].name, label))
			return labels[i].fd;
	die("unknown descriptor", label);
	return -1;
}

static void set_label(const char *label, int fd)
{
	int i;

	for (i = 0; i < n_labels; i++)
		if (!strcmp(labels[i].name, label)) {
			labels[i].fd = fd;
			return;
		}
	if (n_labels == MAX_LABELS)
		die("too many descriptors", label);
	snprintf(labels[n_labels].name, sizeof(labels[n_labels].name), "%s", label);
	labels[n_labels++].fd = fd;
}

static long parse_oflag(const char *s)
{
	long v = 0;
	char buf[256], *save, *tok;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, "|", &save); tok; tok = strtok_r(NULL, "|", &save)) {
		if (!strcmp(tok, "RDONLY"))
			v |= O_RDONLY;
		else if (!strcmp(tok, "WRONLY"))
			v |= O_WRONLY;
		else if (!strcmp(tok, "RDWR"))
			v |= O_RDWR;
		else if (!strcmp(tok, "CREAT"))
			v |= O_CREAT;
		else if (!strcmp(tok, "EXCL"))
			v |= O_EXCL;
		else if (!strcmp(tok, "NONBLOCK"))
			v |= O_NONBLOCK;
		else
			die("unknown oflag", tok);
	}
	return v;
}

/* the fields of one printed call; -1 where a field does not apply */
struct out {
	const char *call;
	int fd;
	const char *name;
	long ret;
	long size, prio, timeout, kind, signo, new_flags;
	long old[4];
};

static void out_init(struct out *o, const char *call, int fd)
{
	memset(o, 0, sizeof(*o));
	o->call = call;
	o->fd = fd;
	o->size = o->prio = o->timeout = o->kind = o->signo = o->new_flags = -1;
	o->old[0] = o->old[1] = o->old[2] = o->old[3] = -1;
}

#define MQUEUE_MAGIC 0x19800202

static long long queue_ino(int fd)
{
	struct stat st;
	struct statfs fs;

	/* a queue is a regular file on an mqueue filesystem; anything else (or nothing) is -1 */
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || fstatfs(fd, &fs) != 0 || fs.f_type != MQUEUE_MAGIC)
		return -1;
	return (long long)st.st_ino;
}

static void print_out(const struct out *o)
{
	const unsigned char *n = (const unsigned char *)(o->name ? o->name : "");
	size_t i;
	char comm[17] = {};

	prctl(PR_GET_NAME, comm);
	printf("{\"seq\":%d,\"call\":\"%s\",\"pid\":%d,\"tid\":%ld,\"uid\":%u,\"euid\":%u,\"comm\":\"%s\",\"fd\":%d,"
	       "\"name_hex\":\"",
	       (*seq)++, o->call, getpid(), syscall(SYS_gettid), getuid(), geteuid(), comm, o->fd);
	for (i = 0; n[i]; i++)
		printf("%02x", n[i]);
	printf("\",\"ret\":%ld,\"errno\":%ld,\"size\":%ld,\"prio\":%ld,\"timeout\":%ld,\"kind\":%ld,\"signo\":%ld,"
	       "\"new_flags\":%ld,\"old_flags\":%ld,\"old_maxmsg\":%ld,\"old_msgsize\":%ld,\"old_curmsgs\":%ld,"
	       "\"ino\":%lld,\"ipc_ns\":%lld,\"start_ticks\":%lld}\n",
	       o->ret, o->ret < 0 ? -o->ret : 0, o->size, o->prio, o->timeout, o->kind, o->signo, o->new_flags, o->old[0],
	       o->old[1], o->old[2], o->old[3], o->ret >= 0 || strcmp(o->call, "unlink") ? queue_ino(o->fd) : -1LL, ipc_ns,
	       start_ticks);
	fflush(stdout);
}

static long raw(long r)
{
	return r < 0 ? -errno : r;
}

static const char *word(char **save)
{
	return strtok_r(NULL, " \t", save);
}

/* "key=value" words of a step, after its positional ones */
struct opts {
	const char *name, *oflag, *mode, *attr, *kind, *file;
	long size, prio, timeout, repeat, signo, nonblock, count;
	int quiet, badfd, has_timeout, has_nonblock;
};

static void parse_opts(char **save, struct opts *o)
{
	const char *w;

	memset(o, 0, sizeof(*o));
	o->size = -1;
	o->repeat = 1;
	o->signo = SIGUSR1;
	o->count = 1000000;
	while ((w = word(save))) {
		if (!strncmp(w, "name=", 5))
			o->name = w + 5;
		else if (!strncmp(w, "oflag=", 6))
			o->oflag = w + 6;
		else if (!strncmp(w, "mode=", 5))
			o->mode = w + 5;
		else if (!strncmp(w, "attr=", 5))
			o->attr = w + 5;
		else if (!strncmp(w, "kind=", 5))
			o->kind = w + 5;
		else if (!strncmp(w, "file=", 5))
			o->file = w + 5;
		else if (!strncmp(w, "size=", 5))
			o->size = atol(w + 5);
		else if (!strncmp(w, "prio=", 5))
			o->prio = atol(w + 5);
		else if (!strncmp(w, "timeout=", 8)) {
			o->timeout = atol(w + 8);
			o->has_timeout = 1;
		} else if (!strncmp(w, "repeat=", 7))
			o->repeat = atol(w + 7);
		else if (!strncmp(w, "count=", 6))
			o->count = atol(w + 6);
		else if (!strncmp(w, "signo=", 6))
			o->signo = atol(w + 6);
		else if (!strncmp(w, "nonblock=", 9)) {
			o->nonblock = atol(w + 9);
			o->has_nonblock = 1;
		} else if (!strcmp(w, "quiet"))
			o->quiet = 1;
		else if (!strcmp(w, "badfd"))
			o->badfd = 1;
		else
			die("unknown word", w);
	}
}

static struct timespec deadline(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (ms <= 0) {
		ts.tv_sec -= 1; /* already past */
		return ts;
	}
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

static void remember_created(const char *name)
{
	int i;

	for (i = 0; i < n_created; i++)
		if (!strcmp(created[i], name))
			return;
	if (n_created < MAX_CREATED)
		snprintf(created[n_created++], sizeof(created[0]), "%s", name);
}

static void forget_created(const char *name)
{
	int i;

	for (i = 0; i < n_created; i++)
		if (!strcmp(created[i], name))
			created[i][0] = 0;
}

static void do_open(const char *label, struct opts *o)
{
	struct mq_attr a = {};
	struct out out;
	long oflag = o->oflag ? parse_oflag(o->oflag) : O_RDWR;
	long mode = o->mode ? strtol(o->mode, NULL, 8) : 0600;

	if (!o->name)
		die("open needs", "name=");
	if (o->attr && sscanf(o->attr, "%ld,%ld", &a.mq_maxmsg, &a.mq_msgsize) != 2)
		die("bad attr", o->attr);
	out_init(&out, "open", -1);
	out.name = o->name;
	out.ret = raw(syscall(SYS_mq_open, o->name, oflag, mode, o->attr ? &a : NULL));
	out.fd = out.ret >= 0 ? (int)out.ret : -1;
	if (out.ret >= 0) {
		set_label(label, (int)out.ret);
		if (oflag & O_CREAT)
			remember_created(o->name);
	}
	print_out(&out);
}

/* one summary of a repeated quiet call */
struct sum {
	long calls, ok, bytes, min, max;
	long errors[256];
};

static void sum_add(struct sum *s, long ret, long bytes)
{
	s->calls++;
	if (ret < 0) {
		s->errors[-ret < 256 ? -ret : 255]++;
		return;
	}
	s->ok++;
	s->bytes += bytes;
	if (s->min < 0 || bytes < s->min)
		s->min = bytes;
	if (bytes > s->max)
		s->max = bytes;
}

static void print_sum(const char *call, int fd, const struct sum *s, long long elapsed_ns)
{
	int e, first = 1;

	printf("{\"summary\":true,\"seq\":%d,\"call\":\"%s\",\"pid\":%d,\"tid\":%ld,\"fd\":%d,\"calls\":%ld,\"ok\":%ld,"
	       "\"bytes\":%ld,\"min\":%ld,\"max\":%ld,\"errors\":{",
	       (*seq)++, call, getpid(), syscall(SYS_gettid), fd, s->calls, s->ok, s->bytes, s->min, s->max);
	for (e = 1; e < 256; e++) {
		if (!s->errors[e])
			continue;
		printf("%s\"%s\":%ld", first ? "" : ",", strerrorname_np(e) ? strerrorname_np(e) : "E?", s->errors[e]);
		first = 0;
	}
	printf("},\"elapsed_ns\":%lld}\n", elapsed_ns);
	fflush(stdout);
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void do_send(const char *label, struct opts *o)
{
	int fd = fd_of(label), i;
	long size = o->size < 0 ? 64 : o->size;
	char *msg = calloc(1, size > 0 ? size : 1);
	struct sum s = { .min = -1 };
	struct out out;

	for (i = 0; i < o->repeat; i++) {
		struct timespec ts = deadline(o->timeout);
		long ret;

		memset(msg, 'a' + i % 26, size);
		ret = raw(syscall(SYS_mq_timedsend, fd, msg, size, (unsigned)o->prio, o->has_timeout ? &ts : NULL));
		if (o->quiet) {
			sum_add(&s, ret, size);
			continue;
		}
		out_init(&out, "send", fd);
		out.ret = ret;
		out.size = size;
		out.prio = o->prio;
		out.timeout = o->has_timeout;
		print_out(&out);
	}
	if (o->quiet)
		print_sum("send", fd, &s, 0);
	free(msg);
}

static void do_receive(const char *label, struct opts *o)
{
	int fd = fd_of(label), i;
	long size = o->size < 0 ? 8192 : o->size;
	char *buf = malloc(size > 0 ? size : 1);
	struct sum s = { .min = -1 };
	struct out out;

	for (i = 0; i < o->repeat; i++) {
		struct timespec ts = deadline(o->timeout);
		unsigned prio = 0;
		long ret = raw(syscall(SYS_mq_timedreceive, fd, buf, size, &prio, o->has_timeout ? &ts : NULL));

		if (o->quiet) {
			sum_add(&s, ret, ret);
			continue;
		}
		out_init(&out, "receive", fd);
		out.ret = ret;
		out.size = size;
		out.prio = ret >= 0 ? (long)prio : -1;
		out.timeout = o->has_timeout;
		print_out(&out);
	}
	if (o->quiet)
		print_sum("receive", fd, &s, 0);
	free(buf);
}

static void do_notify(const char *label, struct opts *o)
{
	int fd = fd_of(label);
	struct sigevent ev = {};
	struct out out;

	out_init(&out, "notify", fd);
	if (!o->kind || !strcmp(o->kind, "remove")) {
		out.kind = -1;
		out.ret = raw(syscall(SYS_mq_notify, fd, NULL));
	} else if (!strcmp(o->kind, "thread")) {
		/* glibc makes the netlink socket and passes its descriptor as sigev_signo */
		ev.sigev_notify = SIGEV_THREAD;
		out.kind = SIGEV_THREAD;
		out.ret = mq_notify(fd, &ev) == 0 ? 0 : -errno;
	} else {
		ev.sigev_notify = !strcmp(o->kind, "signal") ? SIGEV_SIGNAL : !strcmp(o->kind, "none") ? SIGEV_NONE : atoi(o->kind);
		ev.sigev_signo = (int)o->signo;
		out.kind = ev.sigev_notify;
		out.signo = ev.sigev_signo;
		out.ret = raw(syscall(SYS_mq_notify, fd, &ev));
	}
	print_out(&out);
}

static void do_getsetattr(const char *label, struct opts *o, int set)
{
	int fd = fd_of(label);
	struct mq_attr nw = {}, old = {};
	struct out out;

	out_init(&out, "getsetattr", fd);
	if (set) {
		nw.mq_flags = o->nonblock ? O_NONBLOCK : 0;
		out.new_flags = nw.mq_flags;
	}
	out.ret = raw(syscall(SYS_mq_getsetattr, fd, set ? &nw : NULL, &old));
	if (out.ret == 0) {
		out.old[0] = old.mq_flags;
		out.old[1] = old.mq_maxmsg;
		out.old[2] = old.mq_msgsize;
		out.old[3] = old.mq_curmsgs;
	}
	print_out(&out);
}

static void do_unlink(struct opts *o)
{
	struct out out;

	if (!o->name)
		die("unlink needs", "name=");
	out_init(&out, "unlink", -1);
	out.name = o->name;
	out.ret = raw(syscall(SYS_mq_unlink, o->name));
	if (out.ret == 0)
		forget_created(o->name);
	print_out(&out);
}

struct drain_arg {
	int fd;
	long count, size;
};

static void *drainer(void *p)
{
	struct drain_arg *a = p;
	char *buf = malloc(a->size);
	long got = 0;

	while (got < a->count) {
		if (syscall(SYS_mq_timedreceive, a->fd, buf, a->size, NULL, NULL) >= 0)
			got++;
		else if (errno != EINTR && errno != EAGAIN)
			break;
	}
	free(buf);
	return NULL;
}

static void do_transfer(const char *label, const char *rlabel, struct opts *o)
{
	int fd = fd_of(label);
	struct drain_arg a = { .fd = fd_of(rlabel), .count = o->count };
	struct mq_attr attr;
	long size = o->size < 0 ? 64 : o->size, i;
	char *msg = calloc(1, size);
	struct sum s = { .min = -1 };
	long long t0;
	pthread_t t;

	if (mq_getattr(a.fd, &attr))
		die("transfer: not a queue", rlabel);
	a.size = attr.mq_msgsize;
	pthread_create(&t, NULL, drainer, &a);
	t0 = now_ns();
	for (i = 0; i < o->count; i++)
		sum_add(&s, raw(syscall(SYS_mq_timedsend, fd, msg, size, 0, NULL)), size);
	pthread_join(t, NULL);
	print_sum("send", fd, &s, now_ns() - t0);
	free(msg);
}

static void step(char *line);

/* as UID ... end: the steps in between, in a child */
static char pending[256][512];
static int n_pending, in_as;
static long as_uid;

static void run_as(void)
{
	pid_t pid;
	int i, status;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork", strerror(errno));
	if (pid == 0) {
		if (setresgid(as_uid, as_uid, as_uid) || setresuid(as_uid, as_uid, as_uid))
			die("setresuid", strerror(errno));
		read_self();
		n_created = 0; /* the parent unlinks what it created */
		for (i = 0; i < n_pending; i++)
			step(pending[i]);
		fflush(stdout);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("a step run as another user failed", "as");
	n_pending = 0;
}

static void step(char *line)
{
	char *save = NULL, *cmd, *label, *label2;
	struct opts o;

	line[strcspn(line, "\n")] = 0;
	if (in_as) {
		if (!strcmp(line, "end")) {
			in_as = 0;
			run_as();
		} else if (n_pending < 256) {
			snprintf(pending[n_pending++], sizeof(pending[0]), "%s", line);
		}
		return;
	}
	cmd = strtok_r(line, " \t", &save);
	if (!cmd)
		return;
	if (!strncmp(cmd, "comm=", 5)) {
		prctl(PR_SET_NAME, cmd + 5);
		return;
	}
	if (!strncmp(cmd, "umask=", 6)) {
		umask((mode_t)strtol(cmd + 6, NULL, 8));
		return;
	}
	if (!strcmp(cmd, "as")) {
		const char *u = word(&save);

		if (!u)
			die("as needs", "a uid");
		as_uid = atol(u);
		in_as = 1;
		return;
	}
	if (!strcmp(cmd, "unlink")) {
		parse_opts(&save, &o);
		do_unlink(&o);
		return;
	}
	label = (char *)word(&save);
	if (!label)
		die("a descriptor name is needed after", cmd);
	if (!strcmp(cmd, "transfer")) {
		label2 = (char *)word(&save);
		if (!label2)
			die("transfer needs", "two descriptors");
		parse_opts(&save, &o);
		do_transfer(label, label2, &o);
		return;
	}
	parse_opts(&save, &o);
	if (!strcmp(cmd, "open"))
		do_open(label, &o);
	else if (!strcmp(cmd, "fd")) {
		int fd = o.badfd ? BAD_FD : o.file ? open(o.file, O_RDONLY) : -1;

		if (fd < 0)
			die("fd needs", "badfd or a readable file=");
		set_label(label, fd);
	} else if (!strcmp(cmd, "send"))
		do_send(label, &o);
	else if (!strcmp(cmd, "receive"))
		do_receive(label, &o);
	else if (!strcmp(cmd, "notify"))
		do_notify(label, &o);
	else if (!strcmp(cmd, "setattr"))
		do_getsetattr(label, &o, 1);
	else if (!strcmp(cmd, "getattr"))
		do_getsetattr(label, &o, 0);
	else if (!strcmp(cmd, "close"))
		close(fd_of(label));
	else
		die("unknown step", cmd);
}

int main(int argc, char **argv)
{
	char line[4096];
	int i;

	signal(SIGUSR1, SIG_IGN); /* a notification by signal must not end the helper */
	seq = mmap(NULL, sizeof(*seq), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (seq == MAP_FAILED)
		die("mmap", strerror(errno));
	read_self();
	if (argc > 1) {
		for (i = 1; i < argc; i++) {
			snprintf(line, sizeof(line), "%s", argv[i]);
			step(line);
		}
	} else {
		while (fgets(line, sizeof(line), stdin))
			step(line);
	}
	for (i = 0; i < n_created; i++)
		if (created[i][0])
			syscall(SYS_mq_unlink, created[i]);
	return 0;
}
