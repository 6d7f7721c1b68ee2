// SPDX-License-Identifier: Apache-2.0
/* JNI glue for io.mqtap.capture.Capabilities: the count of threads changed, or -errno with the reason in msg[0]. */
#include <errno.h>
#include <jni.h>

#include "mqtap_caps.h"

JNIEXPORT jint JNICALL Java_io_mqtap_capture_Capabilities_dropAllThreads0(JNIEnv *env, jclass cls, jlong keep,
									  jobjectArray msg)
{
	char err[256] = "";
	int rc = mqtap_caps_drop_all_threads((uint64_t)keep, err, sizeof(err));

	if (rc < 0 && msg && (*env)->GetArrayLength(env, msg) > 0) {
		jstring s = (*env)->NewStringUTF(env, err);
		if (s)
			(*env)->SetObjectArrayElement(env, msg, 0, s);
	}
	return rc;
}
