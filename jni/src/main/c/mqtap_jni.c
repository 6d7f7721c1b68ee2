// SPDX-License-Identifier: Apache-2.0
/*
 * JNI glue for io.mqtap.capture.NativeProbe: argument marshalling only. Functions return
 * 0/count or -errno; the Java side turns those into typed exceptions. No Java exception is
 * ever thrown from here, so none can unwind through C frames.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <jni.h>
#include <linux/types.h>

#include "mq_open_event.h"
#include "mqtap_probe.h"

#define PROBE(h) ((struct mqtap_probe *)(intptr_t)(h))

static int copy_u32s(JNIEnv *env, jlongArray a, uint32_t **out, int *n)
{
	jsize len = a ? (*env)->GetArrayLength(env, a) : 0;
	jlong *v;
	int i;

	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	*out = calloc(len, sizeof(uint32_t));
	v = (*env)->GetLongArrayElements(env, a, NULL);
	if (!*out || !v)
		return -ENOMEM;
	for (i = 0; i < len; i++)
		(*out)[i] = (uint32_t)v[i];
	(*env)->ReleaseLongArrayElements(env, a, v, JNI_ABORT);
	*n = len;
	return 0;
}

static int copy_u64s(JNIEnv *env, jlongArray a, uint64_t **out, int *n)
{
	jsize len = a ? (*env)->GetArrayLength(env, a) : 0;

	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	*out = calloc(len, sizeof(uint64_t));
	if (!*out)
		return -ENOMEM;
	(*env)->GetLongArrayRegion(env, a, 0, len, (jlong *)*out);
	*n = len;
	return 0;
}

/* comms arrive as one byte[] of 16-byte NUL-padded slots */
static int copy_comms(JNIEnv *env, jbyteArray a, char (**out)[16], int *n)
{
	jsize len = a ? (*env)->GetArrayLength(env, a) : 0;

	*out = NULL;
	*n = 0;
	if (len == 0)
		return 0;
	*out = calloc(len / 16, 16);
	if (!*out)
		return -ENOMEM;
	(*env)->GetByteArrayRegion(env, a, 0, len, (jbyte *)*out);
	*n = len / 16;
	return 0;
}

JNIEXPORT jlong JNICALL Java_io_mqtap_capture_NativeProbe_create(
	JNIEnv *env, jclass cls, jint transport, jint per_cpu_pages, jint ring_buffer_bytes, jint wakeup_bytes,
	jint drain_interval_ms, jint staging_events, jint self_tgid, jlongArray incl_uids, jlongArray excl_uids, jbyteArray incl_comms,
	jbyteArray excl_comms, jlongArray incl_cgroups, jlongArray excl_cgroups, jbyteArray name_prefix,
	jint inject_entry_drop, jint inject_entry_skip, jint inject_exit_skip, jint inject_open_exit_skip,
	jint inject_task_exit_skip, jint inject_call_skip, jint skip_fields, jint queue_life, jint access_mode,
	jint access_max_keys, jint access_max_contexts)
{
	struct mqtap_options o = {
		.transport = transport,
		.per_cpu_pages = per_cpu_pages,
		.ring_buffer_bytes = ring_buffer_bytes,
		.wakeup_bytes = wakeup_bytes,
		.drain_interval_ms = drain_interval_ms,
		.staging_events = staging_events,
		.self_tgid = (uint32_t)self_tgid,
		.inject_entry_drop = (uint32_t)inject_entry_drop,
		.inject_entry_skip = (uint32_t)inject_entry_skip,
		.inject_exit_skip = (uint32_t)inject_exit_skip,
		.inject_open_exit_skip = (uint32_t)inject_open_exit_skip,
		.inject_task_exit_skip = (uint32_t)inject_task_exit_skip,
		.inject_call_skip = (uint32_t)inject_call_skip,
		.skip_fields = (uint32_t)skip_fields,
		.queue_life = queue_life,
		.access_mode = access_mode,
		.access_max_keys = access_max_keys,
		.access_max_contexts = access_max_contexts,
	};
	struct mqtap_probe *p;
	jsize plen = name_prefix ? (*env)->GetArrayLength(env, name_prefix) : 0;
	int err = 0;

	err |= copy_u32s(env, incl_uids, &o.include_uids, &o.n_include_uids);
	err |= copy_u32s(env, excl_uids, &o.exclude_uids, &o.n_exclude_uids);
	err |= copy_comms(env, incl_comms, &o.include_comms, &o.n_include_comms);
	err |= copy_comms(env, excl_comms, &o.exclude_comms, &o.n_exclude_comms);
	err |= copy_u64s(env, incl_cgroups, &o.include_cgroups, &o.n_include_cgroups);
	err |= copy_u64s(env, excl_cgroups, &o.exclude_cgroups, &o.n_exclude_cgroups);
	if (plen > (jsize)sizeof(o.name_prefix))
		plen = sizeof(o.name_prefix);
	if (plen > 0)
		(*env)->GetByteArrayRegion(env, name_prefix, 0, plen, (jbyte *)o.name_prefix);
	o.name_prefix_len = plen;
	p = err ? NULL : mqtap_probe_new(&o);
	if (!p) {
		free(o.include_uids);
		free(o.exclude_uids);
		free(o.include_comms);
		free(o.exclude_comms);
		free(o.include_cgroups);
		free(o.exclude_cgroups);
		return 0;
	}
	return (jlong)(intptr_t)p;
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_setFilters(
	JNIEnv *env, jclass cls, jlong h, jlongArray incl_uids, jlongArray excl_uids, jbyteArray incl_comms,
	jbyteArray excl_comms, jlongArray incl_cgroups, jlongArray excl_cgroups, jbyteArray name_prefix)
{
	struct mqtap_options o = { 0 };
	jsize plen = name_prefix ? (*env)->GetArrayLength(env, name_prefix) : 0;
	int err = 0;

	err |= copy_u32s(env, incl_uids, &o.include_uids, &o.n_include_uids);
	err |= copy_u32s(env, excl_uids, &o.exclude_uids, &o.n_exclude_uids);
	err |= copy_comms(env, incl_comms, &o.include_comms, &o.n_include_comms);
	err |= copy_comms(env, excl_comms, &o.exclude_comms, &o.n_exclude_comms);
	err |= copy_u64s(env, incl_cgroups, &o.include_cgroups, &o.n_include_cgroups);
	err |= copy_u64s(env, excl_cgroups, &o.exclude_cgroups, &o.n_exclude_cgroups);
	if (plen > (jsize)sizeof(o.name_prefix))
		plen = sizeof(o.name_prefix);
	if (plen > 0)
		(*env)->GetByteArrayRegion(env, name_prefix, 0, plen, (jbyte *)o.name_prefix);
	o.name_prefix_len = plen;
	err = err ? -ENOMEM : mqtap_probe_set_filters(PROBE(h), &o);
	if (err) {
		free(o.include_uids);
		free(o.exclude_uids);
		free(o.include_comms);
		free(o.exclude_comms);
		free(o.include_cgroups);
		free(o.exclude_cgroups);
	}
	return err;
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_load(JNIEnv *env, jclass cls, jlong h, jint set)
{
	return mqtap_probe_load(PROBE(h), set);
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_withoutFeatures(JNIEnv *env, jclass cls, jlong h,
									jint features)
{
	mqtap_probe_without_features(PROBE(h), features);
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_setKretprobeInstances(JNIEnv *env, jclass cls, jlong h,
									      jint instances)
{
	mqtap_probe_set_kretprobe_instances(PROBE(h), instances);
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_features(JNIEnv *env, jclass cls, jlong h)
{
	return mqtap_probe_features(PROBE(h));
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_setManualCommit(JNIEnv *env, jclass cls, jlong h, jboolean on)
{
	mqtap_probe_set_manual_commit(PROBE(h), on ? 1 : 0);
}

JNIEXPORT jlong JNICALL Java_io_mqtap_capture_NativeProbe_readPosition(JNIEnv *env, jclass cls, jlong h)
{
	return mqtap_probe_read_pos(PROBE(h));
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_commit(JNIEnv *env, jclass cls, jlong h, jlong pos)
{
	mqtap_probe_commit(PROBE(h), pos);
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_resume(JNIEnv *env, jclass cls, jlong h, jlong pos)
{
	mqtap_probe_resume(PROBE(h), pos);
}

JNIEXPORT jlong JNICALL Java_io_mqtap_capture_NativeProbe_ringId(JNIEnv *env, jclass cls, jlong h)
{
	return mqtap_probe_ring_id(PROBE(h));
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_setPinPath(JNIEnv *env, jclass cls, jlong h, jstring path)
{
	const char *c = path ? (*env)->GetStringUTFChars(env, path, NULL) : NULL;
	int err;

	if (path && !c)
		return -ENOMEM;
	err = mqtap_probe_set_pin_path(PROBE(h), c);
	if (c)
		(*env)->ReleaseStringUTFChars(env, path, c);
	return err;
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_pinState(JNIEnv *env, jclass cls, jlong h, jlongArray out)
{
	int64_t v[3];
	int state = mqtap_probe_pin_state(PROBE(h), v);

	(*env)->SetLongArrayRegion(env, out, 0, 3, (const jlong *)v);
	return state;
}

JNIEXPORT jstring JNICALL Java_io_mqtap_capture_NativeProbe_pinWhy(JNIEnv *env, jclass cls, jlong h)
{
	return (*env)->NewStringUTF(env, mqtap_probe_pin_why(PROBE(h)));
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_keepPins(JNIEnv *env, jclass cls, jlong h, jboolean keep)
{
	mqtap_probe_keep_pins(PROBE(h), keep ? 1 : 0);
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_attach(JNIEnv *env, jclass cls, jlong h)
{
	return mqtap_probe_attach(PROBE(h));
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_detach(JNIEnv *env, jclass cls, jlong h)
{
	mqtap_probe_detach(PROBE(h));
}

/* max_events: what the caller's limit allows; never more than the buffer's capacity holds */
JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_drain(JNIEnv *env, jclass cls, jlong h, jobject buf,
							       jint max_events, jint timeout_ms)
{
	uint8_t *addr = (*env)->GetDirectBufferAddress(env, buf);
	jlong cap = (*env)->GetDirectBufferCapacity(env, buf);

	if (!addr || cap < 0 || max_events < 1 || max_events > cap / MQ_OPEN_EVENT_SIZE)
		return -EINVAL;
	return mqtap_probe_drain(PROBE(h), addr, max_events, timeout_ms);
}

/* the aggregation of send and receive: flip, then the old window's entries, caller snapshots and overflow */
JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_accessFlip(JNIEnv *env, jclass cls, jlong h)
{
	return mqtap_probe_access_flip(PROBE(h));
}

static jint access_copy(JNIEnv *env, jlong h, jobject buf, jint max, size_t size, int ctx)
{
	uint8_t *addr = (*env)->GetDirectBufferAddress(env, buf);
	jlong cap = (*env)->GetDirectBufferCapacity(env, buf);

	if (!addr || cap < 0 || max < 1 || max > cap / (jlong)size)
		return -EINVAL;
	return ctx ? mqtap_probe_access_contexts(PROBE(h), addr, max) : mqtap_probe_access_take(PROBE(h), addr, max);
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_accessTake(JNIEnv *env, jclass cls, jlong h, jobject buf,
								    jint max)
{
	return access_copy(env, h, buf, max, MQTAP_ACCESS_ENTRY_SIZE, 0);
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_accessContexts(JNIEnv *env, jclass cls, jlong h, jobject buf,
									jint max)
{
	return access_copy(env, h, buf, max, MQ_OPEN_EVENT_SIZE, 1);
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_accessOverflow(JNIEnv *env, jclass cls, jlong h,
									jlongArray out)
{
	int64_t v[4 * MQ_ACCESS_CALLS];
	jsize len = (*env)->GetArrayLength(env, out);
	int err = mqtap_probe_access_overflow(PROBE(h), v);

	if (err)
		return err;
	(*env)->SetLongArrayRegion(env, out, 0, len < 4 * MQ_ACCESS_CALLS ? len : 4 * MQ_ACCESS_CALLS, (jlong *)v);
	return 0;
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_stop(JNIEnv *env, jclass cls, jlong h)
{
	mqtap_probe_stop(PROBE(h));
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_counters(JNIEnv *env, jclass cls, jlong h,
								  jlongArray out)
{
	int64_t v[MQTAP_CTR_SLOTS];
	jsize len = (*env)->GetArrayLength(env, out);
	int err = mqtap_probe_counters(PROBE(h), v);

	if (err)
		return err;
	(*env)->SetLongArrayRegion(env, out, 0, len < MQTAP_CTR_SLOTS ? len : MQTAP_CTR_SLOTS, (jlong *)v);
	return 0;
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_progStats(JNIEnv *env, jclass cls, jlong h, jlongArray out)
{
	int64_t v[2 * MQTAP_ROLES];
	jsize len = (*env)->GetArrayLength(env, out);
	int err = mqtap_probe_prog_stats(PROBE(h), v);

	if (err)
		return err;
	(*env)->SetLongArrayRegion(env, out, 0, len < 2 * MQTAP_ROLES ? len : 2 * MQTAP_ROLES, (jlong *)v);
	return 0;
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_enableStats(JNIEnv *env, jclass cls)
{
	return mqtap_enable_stats();
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_closeFd(JNIEnv *env, jclass cls, jint fd)
{
	if (fd >= 0)
		close(fd);
}

JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_setFairness(JNIEnv *env, jclass cls, jlong h, jlong rate,
								     jlong burst, jboolean by_cgroup)
{
	return mqtap_probe_set_fairness(PROBE(h), (uint64_t)rate, (uint64_t)burst, by_cgroup);
}

/* MQTAP_FAIR_SLOTS longs per uid into out (as many uids as fit); the count, or -errno */
JNIEXPORT jint JNICALL Java_io_mqtap_capture_NativeProbe_fairAccounts(JNIEnv *env, jclass cls, jlong h, jlongArray out)
{
	jsize len = (*env)->GetArrayLength(env, out);
	int cap = len / MQTAP_FAIR_SLOTS, n;
	uint64_t *v;

	if (cap <= 0)
		return 0;
	v = calloc((size_t)cap * MQTAP_FAIR_SLOTS, sizeof(uint64_t));
	if (!v)
		return -ENOMEM;
	n = mqtap_probe_fair_accounts(PROBE(h), v, cap);
	if (n > 0)
		(*env)->SetLongArrayRegion(env, out, 0, n * MQTAP_FAIR_SLOTS, (jlong *)v);
	free(v);
	return n;
}

JNIEXPORT void JNICALL Java_io_mqtap_capture_NativeProbe_free(JNIEnv *env, jclass cls, jlong h)
{
	mqtap_probe_free(PROBE(h));
}

JNIEXPORT jstring JNICALL Java_io_mqtap_capture_NativeProbe_error(JNIEnv *env, jclass cls, jlong h)
{
	return (*env)->NewStringUTF(env, mqtap_probe_error(PROBE(h)));
}

JNIEXPORT jstring JNICALL Java_io_mqtap_capture_NativeProbe_log(JNIEnv *env, jclass cls, jlong h)
{
	/* the log may hold non-UTF-8 bytes: hand it over as Latin-1-safe ASCII */
	const char *s = mqtap_probe_log(PROBE(h));
	size_t n = strlen(s), i;
	char *c = malloc(n + 1);
	jstring r;

	if (!c)
		return NULL;
	for (i = 0; i < n; i++)
		c[i] = (s[i] & 0x80) ? '?' : s[i];
	c[n] = 0;
	r = (*env)->NewStringUTF(env, c);
	free(c);
	return r;
}

JNIEXPORT jstring JNICALL Java_io_mqtap_capture_NativeProbe_errnoName(JNIEnv *env, jclass cls, jint e)
{
	const char *name = mqtap_errno_name(e);

	return name ? (*env)->NewStringUTF(env, name) : NULL;
}

JNIEXPORT jstring JNICALL Java_io_mqtap_capture_NativeProbe_strerror(JNIEnv *env, jclass cls, jint e)
{
	return (*env)->NewStringUTF(env, strerror(e));
}

/* the clock the probe stamps events with (bpf_ktime_get_boot_ns); it keeps counting through a suspend */
JNIEXPORT jlong JNICALL Java_io_mqtap_capture_NativeProbe_bootTimeNanos(JNIEnv *env, jclass cls)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return -errno;
	return (jlong)ts.tv_sec * 1000000000L + ts.tv_nsec;
}

#define FIELD(f) (jint) offsetof(struct mq_open_event, f), (jint) sizeof(((struct mq_open_event *)0)->f)

/* The C layout of struct mq_open_event as {offset, size} pairs in the order RawEvent.FIELDS names them. */
JNIEXPORT jintArray JNICALL Java_io_mqtap_capture_NativeProbe_layout(JNIEnv *env, jclass cls)
{
	jint v[] = {
		(jint)sizeof(struct mq_open_event), 0,
		FIELD(boot_ns), FIELD(duration_ns), FIELD(cgroup_id), FIELD(ret),
		FIELD(attr_flags), FIELD(attr_maxmsg), FIELD(attr_msgsize), FIELD(attr_curmsgs),
		FIELD(queue_ino), FIELD(process_start_ns),
		FIELD(pid), FIELD(tid), FIELD(ppid), FIELD(ns_pid), FIELD(ns_tid), FIELD(uid), FIELD(gid),
		FIELD(euid), FIELD(fsuid), FIELD(login_uid), FIELD(mnt_ns), FIELD(pid_ns), FIELD(ipc_ns),
		FIELD(user_ns), FIELD(queue_ipc_ns), FIELD(queue_mode), FIELD(queue_uid), FIELD(queue_gid),
		FIELD(cpu), FIELD(oflag), FIELD(mode), FIELD(name_error), FIELD(attr_error),
		FIELD(name_len), FIELD(exe_len), FIELD(kname_len), FIELD(name_truncated), FIELD(name_changed),
		FIELD(has_attr), FIELD(probe), FIELD(api), FIELD(created), FIELD(flags), FIELD(reserved),
		FIELD(comm), FIELD(data),
	};
	jsize n = sizeof(v) / sizeof(v[0]);
	jintArray a = (*env)->NewIntArray(env, n);

	if (a)
		(*env)->SetIntArrayRegion(env, a, 0, n, v);
	return a;
}

#define KEY(f) (jint) offsetof(struct mq_access_key, f)
#define VAL(f) (jint)(MQ_ACCESS_KEY_SIZE + offsetof(struct mq_access_value, f))
#define EV(f) (jint) offsetof(struct mq_open_event, f)

/*
 * The C layout behind AccessEntry (key then value, as mqtap_probe_access_take copies them) and the union members of
 * struct mq_open_event, in the order AccessEntryTest names them.
 */
JNIEXPORT jintArray JNICALL Java_io_mqtap_capture_NativeProbe_accessLayout(JNIEnv *env, jclass cls)
{
	jint v[] = {
		MQTAP_ACCESS_ENTRY_SIZE, KEY(process_start_ns), KEY(queue_ino), KEY(pid), KEY(tid), KEY(err), KEY(call),
		VAL(calls), VAL(bytes), VAL(min_size), VAL(max_size), VAL(first_ns), VAL(last_ns), VAL(unlinked), VAL(timeouts),
		EV(msg_len), EV(msg_prio), EV(notify_kind), EV(notify_signo), EV(mqdes), EV(new_flags),
	};
	jsize n = sizeof(v) / sizeof(v[0]);
	jintArray a = (*env)->NewIntArray(env, n);

	if (a)
		(*env)->SetIntArrayRegion(env, a, 0, n, v);
	return a;
}
