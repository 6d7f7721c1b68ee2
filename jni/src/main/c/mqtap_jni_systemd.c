// SPDX-License-Identifier: Apache-2.0
/* JNI glue for io.mqtap.capture.Systemd: strings in, -errno out; nothing thrown. */
#include <errno.h>
#include <jni.h>

#include "mqtap_notify.h"

JNIEXPORT jint JNICALL Java_io_mqtap_capture_Systemd_notify0(JNIEnv *env, jclass cls, jstring path, jstring state)
{
	const char *p, *s;
	int rc;

	if (!path || !state)
		return -EINVAL;
	p = (*env)->GetStringUTFChars(env, path, NULL);
	s = (*env)->GetStringUTFChars(env, state, NULL);
	rc = p && s ? mqtap_sd_notify(p, s) : -ENOMEM;
	if (s)
		(*env)->ReleaseStringUTFChars(env, state, s);
	if (p)
		(*env)->ReleaseStringUTFChars(env, path, p);
	return rc;
}
