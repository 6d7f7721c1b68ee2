/* SPDX-License-Identifier: Apache-2.0 */
/* sd_notify(3) without libsystemd: the service manager's readiness and watchdog protocol. */
#ifndef MQTAP_NOTIFY_H
#define MQTAP_NOTIFY_H

/* Sends `state` ("READY=1", "WATCHDOG=1", ...) as one datagram to the AF_UNIX socket `path`
 * ($NOTIFY_SOCKET: a file path, or '@' for the abstract namespace). 1 when sent, or -errno. */
int mqtap_sd_notify(const char *path, const char *state);

#endif
