/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The queue a descriptor names, read from the kernel at syscall exit: descriptor -> file ->
 * superblock (is it an mqueue filesystem?) -> inode and dentry. The kernel's name for the queue
 * is the dentry's, whatever user memory held.
 */
#ifndef MQTAP_QUEUE_BPF_H
#define MQTAP_QUEUE_BPF_H

#include "task_read.bpf.h"
#include "caller.bpf.h"

#define MQUEUE_MAGIC 0x19800202
#define FMODE_CREATED 0x100000 /* include/linux/fs.h: set on a file whose open created it (4.19+) */
#define MQ_O_CREAT 0100
#define MQ_O_EXCL 0200
#define MQ_AT_FDCWD -100

/* 1 when the first n bytes (at most 255) of a and b (each readable for 256 bytes) are equal */
static __always_inline int bytes_equal(const __u8 *a, const __u8 *b, __u32 n)
{
	__u32 i;

	if (!a || !b)
		return 0;
	for (i = 0; i < MQ_OPEN_NAME_MAX / 8; i++) {
		__u32 off = i * 8;
		__u64 x;

		if (off >= n)
			break;
		x = *(__u64 *)(a + off) ^ *(__u64 *)(b + off);
		if (n - off < 8)
			x &= (1ULL << (((n - off) * 8) & 63)) - 1; /* the bytes past n don't count */
		if (x)
			return 0;
	}
	return 1;
}

/*
 * The file open at descriptor fd of the task, or NULL. Every successful open on the host passes
 * here, so the first hops are loads, not helper calls, where the kernel allows it.
 */
static __always_inline struct file *fd_file(struct task_struct *task, long fd)
{
	struct fdtable *fdt = RD(task, files, fdt);
	unsigned long fds;
	struct file *f = NULL;

	if (!fdt || fd < 0 || (unsigned long)fd >= RD(fdt, max_fds))
		return NULL;
	fds = (unsigned long)RD(fdt, fd);
	fds += (unsigned long)fd * sizeof(f);
	if (HAVE_RDONLY_CAST)
		return (struct file *)KPTR(struct list_head, fds)->next; /* any kernel struct that starts with a pointer */
	bpf_probe_read_kernel(&f, sizeof(f), (void *)fds);
	return f;
}

/* The file's (a plain address, or NULL) inode, with its number and link count; NULL when unreadable. */
static __always_inline struct inode *inode_of(struct file *f, __u64 *ino, __u32 *nlink)
{
	struct inode *inode;

	if (!f)
		return NULL;
	if (HAVE_RDONLY_CAST) {
		inode = KPTR(struct file, f)->f_inode;
		if (inode) {
			*ino = inode->i_ino;
			*nlink = inode->__i_nlink;
		}
		return inode;
	}
	inode = BPF_CORE_READ(f, f_inode);
	if (!inode)
		return NULL;
	/* the inode's number and link count sit side by side from 5.10 to 7.2: one read */
	if (bpf_core_field_offset(struct inode, __i_nlink) == bpf_core_field_offset(struct inode, i_ino) + 8) {
		__u64 b[2] = {};

		if (bpf_probe_read_kernel(b, 12, (__u8 *)inode + bpf_core_field_offset(struct inode, i_ino)))
			return NULL;
		*ino = b[0];
		*nlink = (__u32)b[1];
	} else {
		*ino = BPF_CORE_READ(inode, i_ino);
		*nlink = BPF_CORE_READ(inode, __i_nlink);
	}
	return inode;
}

#define MQ_S_IFMT 00170000
#define MQ_S_IFREG 0100000

#define MQ_FMODE_PATH 0x4000 /* an O_PATH file: it has empty file operations */

/*
 * The address of the kernel's mqueue_file_operations: from /proc/kallsyms (set by the loader where it
 * shows it), else learned from the first queue an mq_open returns. A file with other operations is not
 * a queue, which settles most opens on the host with two reads instead of four.
 */
const volatile __u64 mq_fops_kallsyms = 0;
__u64 mq_fops_learned = 0;

/* what the exit needs of an open file and its inode, read in two blocks */
struct qfile {
	struct inode *inode;
	struct dentry *dentry;
	struct super_block *sb;
	__u64 ino, f_op;
	__u32 f_mode, i_mode, uid, gid;
	__u32 nlink; /* 0 once the queue's name is unlinked (a descriptor still holds it open) */
	__u32 reserved;
};

/* the leading bytes of struct file and struct inode that hold every field read (80 and 72 on 5.10 to 7.2) */
#define QFILE_BLOCK 96
#define QINODE_BLOCK 80

#define BLOCK_FIELD(buf, type, field, size) \
	(bpf_core_field_offset(type, field) + (size) <= sizeof(buf))
#define AT(buf, ctype, type, field) (*(ctype *)((__u8 *)(buf) + bpf_core_field_offset(type, field)))

/* read_qfile by loads (bpf_rdonly_cast): no helper call at all for a file that is not a queue */
static __always_inline int read_qfile_loads(struct file *f, struct qfile *q, __u64 known)
{
	struct inode *inode;
	struct super_block *sb;

	q->f_op = (__u64)f->f_op;
	q->f_mode = f->f_mode;
	if (known && q->f_op != known && !(q->f_mode & MQ_FMODE_PATH))
		return 0;
	inode = f->f_inode;
	if (!inode)
		return 0;
	q->inode = inode;
	q->dentry = f->f_path.dentry;
	q->i_mode = inode->i_mode;
	q->uid = inode->i_uid.val;
	q->gid = inode->i_gid.val;
	q->ino = inode->i_ino;
	q->nlink = inode->__i_nlink;
	sb = inode->i_sb;
	q->sb = sb;
	return sb && sb->s_magic == MQUEUE_MAGIC && (q->i_mode & MQ_S_IFMT) == MQ_S_IFREG;
}

/*
 * Reads the file (a plain address) and its inode: 1 when it is a queue, a regular file on an mqueue
 * filesystem (the filesystem's root is a directory). Every successful open on the host passes here:
 * four reads (the descriptor's file, a block of the file, a block of its inode, the superblock's magic)
 * where the fields sit in the blocks, as they do from 5.10 to 7.2; one read per field otherwise.
 */
static __always_inline int read_qfile(struct file *f, struct qfile *q)
{
	__u64 fb[QFILE_BLOCK / 8], ib[QINODE_BLOCK / 8];
	struct inode *inode;
	struct super_block *sb;

	if (!f)
		return 0;
	__u64 known = mq_fops_kallsyms ? mq_fops_kallsyms : mq_fops_learned;

	if (HAVE_RDONLY_CAST)
		return read_qfile_loads(KPTR(struct file, f), q, known);

	if (BLOCK_FIELD(fb, struct file, f_inode, 8) && BLOCK_FIELD(fb, struct file, f_mode, 4) &&
	    BLOCK_FIELD(fb, struct file, f_path.dentry, 8) && BLOCK_FIELD(fb, struct file, f_op, 8)) {
		if (bpf_probe_read_kernel(fb, sizeof(fb), f))
			return 0;
		q->inode = AT(fb, struct inode *, struct file, f_inode);
		q->f_mode = AT(fb, __u32, struct file, f_mode);
		q->dentry = AT(fb, struct dentry *, struct file, f_path.dentry);
		q->f_op = AT(fb, __u64, struct file, f_op);
	} else {
		q->inode = BPF_CORE_READ(f, f_inode);
		q->f_mode = BPF_CORE_READ(f, f_mode);
		q->dentry = BPF_CORE_READ(f, f_path.dentry);
		q->f_op = (__u64)BPF_CORE_READ(f, f_op);
	}
	if (known && q->f_op != known && !(q->f_mode & MQ_FMODE_PATH))
		return 0; /* not a queue's operations (an O_PATH queue file has none: it is checked below) */
	inode = q->inode; /* locals: a CO-RE read through q would relocate against struct qfile */
	if (!inode)
		return 0;
	if (BLOCK_FIELD(ib, struct inode, i_mode, 2) && BLOCK_FIELD(ib, struct inode, i_uid, 4) &&
	    BLOCK_FIELD(ib, struct inode, i_gid, 4) && BLOCK_FIELD(ib, struct inode, i_sb, 8) &&
	    BLOCK_FIELD(ib, struct inode, i_ino, 8) && BLOCK_FIELD(ib, struct inode, __i_nlink, 4)) {
		if (bpf_probe_read_kernel(ib, sizeof(ib), inode))
			return 0;
		q->i_mode = AT(ib, __u16, struct inode, i_mode);
		q->uid = AT(ib, __u32, struct inode, i_uid);
		q->gid = AT(ib, __u32, struct inode, i_gid);
		q->sb = AT(ib, struct super_block *, struct inode, i_sb);
		q->ino = AT(ib, __u64, struct inode, i_ino);
		q->nlink = AT(ib, __u32, struct inode, __i_nlink);
	} else {
		q->i_mode = BPF_CORE_READ(inode, i_mode);
		q->uid = BPF_CORE_READ(inode, i_uid.val);
		q->gid = BPF_CORE_READ(inode, i_gid.val);
		q->sb = BPF_CORE_READ(inode, i_sb);
		q->ino = BPF_CORE_READ(inode, i_ino);
		q->nlink = BPF_CORE_READ(inode, __i_nlink);
	}
	sb = q->sb;
	return BPF_CORE_READ(sb, s_magic) == MQUEUE_MAGIC && (q->i_mode & MQ_S_IFMT) == MQ_S_IFREG;
}

/* A file do_mq_open returned is a queue: its operations are mqueue_file_operations. */
static __always_inline void learn_mq_fops(struct qfile *q)
{
	if (!mq_fops_kallsyms && !mq_fops_learned && !(q->f_mode & MQ_FMODE_PATH))
		mq_fops_learned = q->f_op;
}

/* the dentry (a plain address) lives on an mqueue filesystem */
static __always_inline int is_mqueue_dentry(struct dentry *d)
{
	return d && BPF_CORE_READ(d, d_sb, s_magic) == MQUEUE_MAGIC;
}

/*
 * Fills the queue_* fields from a queue's file and puts its name, as the kernel has it, at
 * e->data[kname_off] (kname_off at most 2 * MQ_OPEN_NAME_MAX). Returns the name's length, or -1.
 * The queue's IPC namespace is its superblock's; for mq_open it is the caller's (`caller_ns`, 0: read it).
 */
static __always_inline long fill_queue(struct qfile *q, struct mq_open_event *e, __u32 kname_off, __u32 caller_ns)
{
	e->queue_ino = q->ino;
	e->queue_mode = q->i_mode & 07777;
	e->queue_uid = q->uid;
	e->queue_gid = q->gid;
	if (caller_ns) {
		e->queue_ipc_ns = caller_ns;
	} else {
		/* an mqueue superblock's s_fs_info is its IPC namespace */
		struct super_block *sb = q->sb;
		void *ipc_ns = BPF_CORE_READ(sb, s_fs_info);

		e->queue_ipc_ns = BPF_CORE_READ((struct ipc_namespace *)ipc_ns, ns.inum);
	}
	e->flags |= MQ_OPEN_F_QUEUE;
	kname_off &= 0x3ff;
	if (kname_off > 2 * MQ_OPEN_NAME_MAX)
		kname_off = 2 * MQ_OPEN_NAME_MAX;
	return dentry_name(e->data + kname_off, q->dentry);
}

#endif /* MQTAP_QUEUE_BPF_H */
