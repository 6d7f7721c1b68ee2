/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading the current task two ways, chosen when the program is loaded (use_task_btf, from the
 * loader's feature probe): direct loads through the BTF task pointer where the kernel has
 * bpf_get_current_task_btf (5.11+, a load each), CO-RE probe reads elsewhere (5.10, a helper call
 * each). The untaken branch is dead code the verifier removes, so each kernel runs only its own.
 */
#ifndef MQTAP_TASK_READ_BPF_H
#define MQTAP_TASK_READ_BPF_H

/* 1: bpf_get_current_task_btf() (5.11+); 0: bpf_get_current_task() + CO-RE reads. Set by the loader from its probe. */
const volatile __u8 use_task_btf = 1;

#define HAVE_TASK_BTF use_task_btf

/* 1: the kernel has bpf_rdonly_cast (6.2+). Set by the loader from kallsyms (mqtap_features.c). */
const volatile __u8 use_rdonly_cast = 0;
extern void *bpf_rdonly_cast(void *obj, __u32 btf_id) __ksym __weak;

#define HAVE_RDONLY_CAST (use_rdonly_cast && HAVE_TASK_BTF)
/* a plain kernel address as a pointer to kernel type `type`: its fields are then loads (a fault reads
 * as zero), not a bpf_probe_read_kernel each (about 60 ns on the build VM). Only under HAVE_RDONLY_CAST. */
#define KPTR(type, addr) ((type *)bpf_rdonly_cast((void *)(addr), bpf_core_type_id_kernel(type)))
#define HAVE_TASK_PT_REGS bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs)

/* RD(task, a, b): task->a->b, by direct loads or by probe reads */
#define RD(...) (HAVE_TASK_BTF ? ___arrow(__VA_ARGS__) : BPF_CORE_READ(__VA_ARGS__))

static __always_inline struct task_struct *current_task(void)
{
	if (HAVE_TASK_BTF)
		return bpf_get_current_task_btf();
	return (struct task_struct *)bpf_get_current_task();
}

/* before 5.15 (no bpf_task_pt_regs): the user registers sit at the top of the kernel stack */
#define MQTAP_THREAD_SIZE 16384

/* The registers the task entered the kernel with: the syscall's arguments, still intact at its exit. */
static __always_inline struct pt_regs *user_regs(struct task_struct *task)
{
	void *stack;

	if (HAVE_TASK_PT_REGS && HAVE_TASK_BTF)
		return (struct pt_regs *)bpf_task_pt_regs(task);
	stack = BPF_CORE_READ(task, stack);
	return (struct pt_regs *)((unsigned long)stack + MQTAP_THREAD_SIZE - bpf_core_type_size(struct pt_regs));
}

#endif /* MQTAP_TASK_READ_BPF_H */
