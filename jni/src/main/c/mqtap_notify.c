// SPDX-License-Identifier: Apache-2.0
/* sd_notify(3) in a few lines, so the library needs no libsystemd: one datagram, no reply. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "mqtap_notify.h"

int mqtap_sd_notify(const char *path, const char *state)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t n = path ? strlen(path) : 0;
	ssize_t sent;
	int fd, err;

	if (n == 0 || (path[0] != '/' && path[0] != '@'))
		return -EAFNOSUPPORT;
	if (n >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, n);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* abstract socket: the name's length is the address length */
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	sent = sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
		      (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n));
	err = sent < 0 ? -errno : 1;
	close(fd);
	return err;
}
