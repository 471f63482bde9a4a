// SPDX-License-Identifier: GPL-2.0
/*
 * criu-holder: the small process that `criu dump`/`criu restore
 * --tcp-established` move in the benchmark: it accepts one connection on
 * ADDR:PORT, closes the listener and sleeps with the connection open,
 * reading nothing.
 *
 *   criu-holder ADDR PORT
 *
 * Its receive buffer is forced to 64 MiB (root), like the sockets of
 * sockmi-bench, so that 4 MiB can wait in it.
 */

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, big = 64 << 20, lfd, fd;

	if (argc != 3 || inet_pton(AF_INET, argv[1], &sa.sin_addr) != 1) {
		fprintf(stderr, "usage: criu-holder ADDR PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[2]));
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 ||
	    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    /* room for 4 MiB unread, as in the other methods */
	    setsockopt(lfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		perror("criu-holder: listen");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		perror("criu-holder: accept");
		return 1;
	}
	close(lfd);
	for (;;)
		pause();
}
