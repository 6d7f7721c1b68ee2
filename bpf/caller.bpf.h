/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Who made the call, read from the kernel's own structures (no /proc, so no race with pid reuse):
 * ids, credentials, namespaces, the process's start time and its executable's file name.
 */
#ifndef MQTAP_CALLER_BPF_H
#define MQTAP_CALLER_BPF_H

#include "task_read.bpf.h"

#define AUDIT_UID_UNSET 0xffffffffu

/*
 * Benchmarks only (`./mqtap bench capture --field-costs`): groups of fields left unread, to measure
 * what each costs. Always 0 in production; as load-time constants the checks cost nothing.
 */
const volatile __u32 skip_fields = 0;
#define SKIP_CREDS 0x01   /* euid, fsuid, userNs, loginUid */
#define SKIP_IPC_NS 0x02  /* ipcNs */
#define SKIP_NS_TID 0x04  /* nsTid (and the pid-namespace walk it shares with nsPid) */
#define SKIP_START 0x08   /* processStartNs */
#define SKIP_EXE 0x10     /* exe */
#define SKIP_QUEUE 0x20   /* at exit: the queue from the returned descriptor (kernelName, inode, mode, owner, created) */
/* 0x40: the open hooks are not attached at all (the loader's MQTAP_SKIP_OPEN_HOOKS) */

/* init_pid_ns's inode number (include/linux/proc_ns.h: PROC_PID_INIT_INO, fixed since 3.8) */
#define MQTAP_PROC_PID_INIT_INO 0xEFFFFFFCU

/*
 * The number a struct pid has in its innermost namespace, and that namespace's inode number.
 * `pid` is a plain address (read with a helper), so the variable-index arithmetic below is on a
 * scalar: the 6.1 verifier refuses it on a BTF pointer.
 */
static __always_inline void pid_in_ns(unsigned long pid, unsigned int level, __u32 *nr, __u32 *ns_inum)
{
	unsigned long upid = pid + bpf_core_field_offset(struct pid, numbers) +
			     (unsigned long)(level & 0x3f) * bpf_core_type_size(struct upid);
	struct pid_namespace *ns = NULL;

	bpf_probe_read_kernel(nr, sizeof(*nr), (void *)(upid + bpf_core_field_offset(struct upid, nr)));
	if (ns_inum) {
		bpf_probe_read_kernel(&ns, sizeof(ns), (void *)(upid + bpf_core_field_offset(struct upid, ns)));
		*ns_inum = BPF_CORE_READ(ns, ns.inum);
	}
}

/*
 * ns_pid, ns_tid and pid_ns. The threads of a process share its pid namespace, so one level serves
 * both; at level 0 (the initial namespace, most callers) the numbers are the global ones, unread.
 */
static __always_inline void fill_pid_ns(struct task_struct *task, struct task_struct *leader, struct mq_open_event *e)
{
	unsigned int level = RD(task, thread_pid, level);
	unsigned long pid = 0;

	if (level == 0) {
		e->ns_pid = e->pid;
		e->ns_tid = (skip_fields & SKIP_NS_TID) ? 0 : e->tid;
		e->pid_ns = MQTAP_PROC_PID_INIT_INO;
		return;
	}
	bpf_core_read(&pid, sizeof(pid), &leader->thread_pid);
	pid_in_ns(pid, level, &e->ns_pid, &e->pid_ns);
	e->ns_tid = 0;
	if (skip_fields & SKIP_NS_TID)
		return;
	bpf_core_read(&pid, sizeof(pid), &task->thread_pid);
	pid_in_ns(pid, level, &e->ns_tid, NULL);
}

/* The last path component of a dentry into dst (at most MQ_OPEN_NAME_MAX with its NUL): its length, or -1. */
static __always_inline long dentry_name(__u8 *dst, struct dentry *d)
{
	const unsigned char *name = BPF_CORE_READ(d, d_name.name); /* d may be a plain address */
	long n = bpf_probe_read_kernel_str(dst, MQ_OPEN_NAME_MAX, name);

	if (n <= 0) {
		dst[0] = 0;
		return -1;
	}
	return n - 1;
}

/*
 * Everything about the caller, and its executable's file name at e->data[exe_off]. exe_off is at
 * most MQ_OPEN_NAME_MAX (after the name and its NUL).
 */
static __always_inline void fill_caller(struct task_struct *task, struct mq_open_event *e, __u32 exe_off)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct task_struct *leader = RD(task, group_leader);
	const struct cred *cred = RD(task, cred);
	struct nsproxy *nsp = RD(task, nsproxy);
	struct mm_struct *mm = RD(task, mm);
	long n = -1;

	e->pid = id >> 32;
	e->tid = (__u32)id;
	if (HAVE_TASK_BTF) {
		/* what bpf_get_current_uid_gid and bpf_get_current_cgroup_id read, by loads: two helper calls less
		 * on every mq_open */
		e->uid = cred->uid.val;
		e->gid = cred->gid.val;
		e->cgroup_id = task->cgroups->dfl_cgrp->kn->id;
	} else {
		__u64 ugid = bpf_get_current_uid_gid();

		e->uid = (__u32)ugid;
		e->gid = ugid >> 32;
		e->cgroup_id = bpf_get_current_cgroup_id();
	}
	e->cpu = bpf_get_smp_processor_id();
	if (HAVE_TASK_BTF && bpf_core_field_size(task->comm) == 16 && sizeof(e->comm) == 16) {
		/* the kernel keeps comm NUL-padded (strscpy_pad), as bpf_get_current_comm copies it: two loads */
		__builtin_memcpy(e->comm, &task->comm[0], 8);
		__builtin_memcpy(e->comm + 8, &task->comm[8], 8);
	} else {
		bpf_get_current_comm(e->comm, sizeof(e->comm));
	}
	e->ppid = RD(task, real_parent, tgid);
	e->process_start_ns = (skip_fields & SKIP_START) ? 0 : RD(leader, start_boottime);

	fill_pid_ns(task, leader, e);

	e->euid = e->fsuid = e->user_ns = 0;
	if (!(skip_fields & SKIP_CREDS)) {
		e->euid = RD(cred, euid.val);
		e->fsuid = RD(cred, fsuid.val);
		e->user_ns = RD(cred, user_ns, ns.inum);
	}
	e->mnt_ns = e->ipc_ns = 0; /* stay 0 for an exiting task */
	if (nsp) {
		e->mnt_ns = RD(nsp, mnt_ns, ns.inum);
		if (!(skip_fields & SKIP_IPC_NS))
			e->ipc_ns = RD(nsp, ipc_ns, ns.inum);
	}
	e->flags = 0;
	e->login_uid = AUDIT_UID_UNSET;
	if (bpf_core_field_exists(task->loginuid) && !(skip_fields & SKIP_CREDS)) {
		e->login_uid = RD(task, loginuid.val);
		if (e->login_uid != AUDIT_UID_UNSET)
			e->flags |= MQ_OPEN_F_LOGIN_UID;
	}

	exe_off &= 0x1ff;
	if (exe_off > MQ_OPEN_NAME_MAX)
		exe_off = MQ_OPEN_NAME_MAX;
	if (mm && !(skip_fields & SKIP_EXE)) {
		struct file *exe = RD(mm, exe_file);

		if (exe) {
			n = bpf_probe_read_kernel_str(e->data + exe_off, MQ_OPEN_NAME_MAX, RD(exe, f_path.dentry, d_name.name));
			n = n > 0 ? n - 1 : -1;
		}
	}
	if (n >= 0) {
		e->exe_len = n;
		e->flags |= MQ_OPEN_F_EXE;
	} else {
		e->exe_len = 0;
		e->data[exe_off] = 0;
	}
}

#endif /* MQTAP_CALLER_BPF_H */
