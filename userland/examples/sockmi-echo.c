// SPDX-License-Identifier: GPL-2.0
/*
 * sockmi-echo: an echo server whose connections can migrate.
 *
 *   sockmi-echo serve PORT TO    echo on TCP PORT, IPv4 or IPv6 as TO is;
 *                                on SIGUSR1 hand every connection to host
 *                                TO (an address; one of this host's own
 *                                for a hand-over to another process), exit
 *   sockmi-echo adopt [MS]       take over one connection (waiting up to
 *                                MS milliseconds, default forever) and
 *                                echo until the peer closes it
 *
 * Try it on one host, as root, with the SockMi modules loaded:
 *
 *   sockmi-echo serve 7000 127.0.0.1 &   socat - TCP:127.0.0.1:7000
 *   sockmi-echo adopt &                  kill -USR1 %1
 *
 * and the socat session goes on, echoed by the second process. Instead of
 * "adopt", `sockmictl import --stdio -- socat STDIO PIPE` echoes too.
 *
 * An echo server keeps nothing of its own between two reads: whatever it
 * read it has written back before it looks at a signal, so the socket's
 * queues are all the state there is, and they move with it.
 *
 * Build: cc -o sockmi-echo sockmi-echo.c $(pkg-config --cflags --libs sockmi)
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockmi.h>

#define MAX_CONNS 64

static volatile sig_atomic_t handoff;

static void on_usr1(int sig)
{
	(void)sig;
	handoff = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "sockmi-echo: %s: %s\n", what, strerror(errno));
	exit(1);
}

/* What a library call failed with: its errno, then the kernel's words. */
static void die_sockmi(const char *what)
{
	fprintf(stderr, "sockmi-echo: %s: %s (%s)\n", what,
		sockmi_strerror(errno), sockmi_last_error());
	exit(1);
}

/* Read what there is and write it all back. Return: 0, or -1 at EOF. */
static int echo(int fd)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf)), off = 0;

	if (n <= 0)
		return -1;
	while (off < n) {
		ssize_t w = write(fd, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += w;
	}
	return 0;
}

static int serve(int port, const char *to_text)
{
	int af = strchr(to_text, ':') ? AF_INET6 : AF_INET;
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} sa = { .sin6 = { .sin6_family = (sa_family_t)af } };
	union { struct in_addr in; struct in6_addr in6; } to;
	struct pollfd pfd[1 + MAX_CONNS];
	int ls, one = 1, n = 1, i;
	sigset_t usr1, old;

	if (inet_pton(af, to_text, &to) != 1) {
		fprintf(stderr, "sockmi-echo: %s: not an IP address\n", to_text);
		return 2;
	}
	/* SIGUSR1 is let in only while waiting in ppoll(): no race. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_usr1 }, NULL);

	/* The port is at the same place in both (the address: any). */
	sa.sin.sin_port = htons(port);
	ls = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, &sa.sa, af == AF_INET ? sizeof(sa.sin) : sizeof(sa.sin6)) ||
	    listen(ls, 16))
		die("listen");
	pfd[0] = (struct pollfd){ .fd = ls, .events = POLLIN };

	while (!handoff) {
		if (ppoll(pfd, (nfds_t)n, NULL, &old) < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll");
		}
		for (i = n - 1; i > 0; i--) {
			if (!pfd[i].revents || !echo(pfd[i].fd))
				continue;
			close(pfd[i].fd);		/* the peer is done */
			pfd[i] = pfd[--n];
		}
		if ((pfd[0].revents & POLLIN) && n < 1 + MAX_CONNS) {
			int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0)
				pfd[n++] = (struct pollfd){ .fd = c,
							    .events = POLLIN };
		}
	}

	/* Hand over: each connection freezes with its queues and leaves. */
	close(ls);
	for (i = 1; i < n; i++) {
		if (export_socket(-1, pfd[i].fd, af, &to))
			die_sockmi("export");
		close(pfd[i].fd);	/* silently: the peer notices nothing */
	}
	fprintf(stderr, "sockmi-echo: handed %d connection(s) to %s\n", n - 1,
		to_text);
	return 0;
}

static int adopt(int timeout)
{
	struct import_req req = {
		/* Any unconnected TCP socket: it only reserves the number. */
		.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
		.states = SOCKMI_CONNECTED,
	};
	long bytes = 0;

	if (req.fd < 0)
		die("socket");
	switch (import_socket(&req, 1, timeout)) {
	case -1:
		die_sockmi("import");
		break;
	case 0:
		fprintf(stderr, "sockmi-echo: no connection within %d ms\n",
			timeout);
		return 1;
	}
	/* req.fd is the connection now, with whatever it had queued. */
	for (;;) {
		struct pollfd p = { .fd = req.fd, .events = POLLIN };

		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			die("poll");
		if (echo(req.fd))
			break;
		bytes++;
	}
	close(req.fd);
	fprintf(stderr, "sockmi-echo: adopted connection closed after %ld reads\n",
		bytes);
	return 0;
}

/* A decimal command-line number in [min, max], or exit with usage status 2. */
static int number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "%s: '%s' is not a number in [%ld, %ld]\n",
			"sockmi-echo", s, min, max);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char *argv[])
{
	if (argc == 4 && !strcmp(argv[1], "serve"))
		return serve(number(argv[2], 1, 65535), argv[3]);
	if ((argc == 2 || argc == 3) && !strcmp(argv[1], "adopt"))
		return adopt(argc == 3 ? number(argv[2], -1, INT_MAX) : -1);
	fprintf(stderr, "Usage: sockmi-echo serve PORT TO\n"
			"       sockmi-echo adopt [TIMEOUT_MS]\n");
	return 2;
}
