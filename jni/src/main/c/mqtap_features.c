// SPDX-License-Identifier: Apache-2.0
/*
 * What the running kernel offers the probe, found by libbpf's feature probes (each loads a tiny
 * program or map) once per process. The loader picks the program's paths from these, so the same
 * object loads from 5.10 (no task storage for tracing programs, no bpf_get_current_task_btf) up.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "mqtap_probe.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int features;

/* What kallsyms shows (read once, ~0.1 s): IA-32 emulation (the compat mq_open syscall) and the
 * bpf_rdonly_cast kfunc (6.2+) */
static int kallsyms_features(void)
{
	char line[512];
	int found = 0;
	FILE *f = fopen("/proc/kallsyms", "r");

	if (!f)
		return 0;
	while (found != (MQTAP_FEAT_IA32 | MQTAP_FEAT_RDONLY_CAST) && fgets(line, sizeof(line), f)) {
		if (strstr(line, " __ia32_compat_sys_mq_open\n") || strstr(line, " __ia32_sys_mq_open\n"))
			found |= MQTAP_FEAT_IA32;
		else if (strstr(line, " bpf_rdonly_cast\n"))
			found |= MQTAP_FEAT_RDONLY_CAST;
	}
	fclose(f);
	return found;
}

static void probe_features(void)
{
	features |= kallsyms_features();
	/* kprobe programs stand in for fentry here: both take these helpers from the tracing set */
	if (libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_current_task_btf, NULL) == 1)
		features |= MQTAP_FEAT_TASK_BTF;
	if ((features & MQTAP_FEAT_TASK_BTF) && libbpf_probe_bpf_map_type(BPF_MAP_TYPE_TASK_STORAGE, NULL) == 1 &&
	    libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_task_storage_get, NULL) == 1)
		features |= MQTAP_FEAT_TASK_STORAGE;
}

int mqtap_kernel_features(void)
{
	pthread_once(&once, probe_features);
	return features;
}
