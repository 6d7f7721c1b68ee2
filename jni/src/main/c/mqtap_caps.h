/* SPDX-License-Identifier: Apache-2.0 */
#ifndef MQTAP_CAPS_H
#define MQTAP_CAPS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Lowers the capabilities of every thread of this process to `keep` (a bit mask: bit n is capability n) in the
 * effective and permitted sets, empties the inheritable (and so the ambient) set, and, where the thread holds
 * CAP_SETPCAP, drops everything else from the bounding set. Returns the number of threads changed, or -errno
 * with a sentence in `err`.
 */
int mqtap_caps_drop_all_threads(uint64_t keep, char *err, size_t errlen);

#endif
