// SPDX-License-Identifier: Apache-2.0
/*
 * mq_open32: a 32-bit (i386) caller, built static with -m32, so its mq_open calls enter the
 * kernel through the compat syscall path (IA-32 emulation). Makes N calls on a queue that does not
 * exist and prints what it did:  calls=<N> pid=<pid> errors=<n>
 * usage: mq_open32 [calls, default 100]
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long calls = argc > 1 ? atol(argv[1]) : 100, errors = 0, i;
	char name[64];

	_Static_assert(sizeof(long) == 4, "build with -m32: the point is the 32-bit syscall ABI");
	snprintf(name, sizeof(name), "mqtap-compat32-%d", (int)getpid());
	for (i = 0; i < calls; i++)
		if (syscall(SYS_mq_open, name, O_RDONLY, 0, NULL) < 0) /* the i386 number: compat_sys_mq_open */
			errors++;
	printf("calls=%ld pid=%d errors=%ld\n", calls, (int)getpid(), errors);
	return 0;
}
