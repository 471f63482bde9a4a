// SPDX-License-Identifier: GPL-2.0
/*
 * sockmi-counter: a line server that moves its connections together with
 * their application state.
 *
 * For every line a client sends it answers "N line", N counting the lines
 * of that connection. N, and the part of a line read but not answered
 * yet, live in this process, not in the socket: when the connection
 * moves, they must move along, or the client would see N start over.
 *
 *   sockmi-counter serve PORT TO DIR   serve IPv4 or IPv6 (as TO is) on
 *                                      PORT; on SIGUSR1 write each
 *                                      connection's state into DIR, hand
 *                                      the connection to host TO, exit
 *   sockmi-counter adopt DIR [MS]      take over one connection, read its
 *                                      state from DIR, serve it to the end
 *
 * adopt imports the connection itself, waiting up to MS milliseconds
 * (default forever), unless it was started with one by the systemd
 * socket-activation protocol, as by
 *
 *   sockmictl import state connected -- sockmi-counter adopt DIR
 *
 * The state goes first, the socket after it: whoever gets the socket finds
 * the state. It is keyed by the client's address and port, which the
 * connection keeps wherever it goes. Between hosts, DIR must be shared (or
 * the state sent along some other way).
 *
 * Build: cc -o sockmi-counter sockmi-counter.c \
 *		$(pkg-config --cflags --libs sockmi)
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
#define LINE_MAX_LEN 4096

/* The application state of one connection. */
struct conn {
	int fd;
	unsigned long count;		/* lines answered */
	size_t len;			/* bytes of a line not answered yet */
	char buf[LINE_MAX_LEN];
};

static volatile sig_atomic_t handoff;

static void on_usr1(int sig)
{
	(void)sig;
	handoff = 1;
}

static void die(const char *what)
{
	fprintf(stderr, "sockmi-counter: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void die_sockmi(const char *what)
{
	fprintf(stderr, "sockmi-counter: %s: %s (%s)\n", what,
		sockmi_strerror(errno), sockmi_last_error());
	exit(1);
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read, answer every complete line. Return: 0, or -1 at EOF or error. */
static int serve_conn(struct conn *c)
{
	ssize_t n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
	char *nl, *line;

	if (n <= 0)
		return -1;
	c->len += (size_t)n;
	line = c->buf;
	/* A line too long for the buffer is answered in pieces. */
	while ((nl = memchr(line, '\n', c->len - (size_t)(line - c->buf))) ||
	       (line == c->buf && c->len == sizeof(c->buf))) {
		char head[32];
		size_t len = nl ? (size_t)(nl - line) + 1 :
				  c->len - (size_t)(line - c->buf);
		int h = snprintf(head, sizeof(head), "%lu ", ++c->count);

		if (write_all(c->fd, head, (size_t)h) ||
		    write_all(c->fd, line, len))
			return -1;
		line += len;
		if (!nl)
			break;
	}
	c->len -= (size_t)(line - c->buf);
	memmove(c->buf, line, c->len);
	return 0;
}

/* DIR/ADDR,PORT of the client of @fd. */
static int state_path(int fd, const char *dir, char *path, size_t size)
{
	struct sockaddr_in6 sa = { 0 };	/* large enough for both */
	socklen_t len = sizeof(sa);
	char addr[INET6_ADDRSTRLEN];
	const void *a = &sa.sin6_addr;

	if (getpeername(fd, (struct sockaddr *)&sa, &len))
		return -1;
	if (sa.sin6_family == AF_INET)
		a = &((struct sockaddr_in *)&sa)->sin_addr;
	inet_ntop(sa.sin6_family, a, addr, sizeof(addr));
	snprintf(path, size, "%s/%s,%u", dir, addr, ntohs(sa.sin6_port));
	return 0;
}

/* The state file: "COUNT LEN\n" and LEN bytes of an unanswered line. */
static int save_state(const struct conn *c, const char *dir)
{
	char path[512], tmp[520];
	FILE *f;

	if (state_path(c->fd, dir, path, sizeof(path)))
		return -1;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return -1;
	fprintf(f, "%lu %zu\n", c->count, c->len);
	fwrite(c->buf, 1, c->len, f);
	if (fclose(f))
		return -1;
	return rename(tmp, path);	/* all or nothing */
}

static int load_state(struct conn *c, const char *dir)
{
	char path[512];
	FILE *f;
	int ok;

	if (state_path(c->fd, dir, path, sizeof(path)))
		return -1;
	f = fopen(path, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%lu %zu", &c->count, &c->len) == 2 &&
	     c->len <= sizeof(c->buf) && fgetc(f) == '\n' &&
	     fread(c->buf, 1, c->len, f) == c->len;
	fclose(f);
	unlink(path);
	return ok ? 0 : -1;
}

static int serve(int port, const char *to_text, const char *dir)
{
	int af = strchr(to_text, ':') ? AF_INET6 : AF_INET;
	union {
		struct sockaddr sa;
		struct sockaddr_in sin;
		struct sockaddr_in6 sin6;
	} sa = { .sin6 = { .sin6_family = (sa_family_t)af } };
	union { struct in_addr in; struct in6_addr in6; } to;
	static struct conn conns[MAX_CONNS];
	struct pollfd pfd[1 + MAX_CONNS];
	int ls, one = 1, n = 0, i;
	sigset_t usr1, old;

	if (inet_pton(af, to_text, &to) != 1) {
		fprintf(stderr, "sockmi-counter: %s: not an IP address\n",
			to_text);
		return 2;
	}
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, &old);
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_usr1 }, NULL);

	sa.sin.sin_port = htons(port);
	ls = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 ||
	    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, &sa.sa, af == AF_INET ? sizeof(sa.sin) : sizeof(sa.sin6)) ||
	    listen(ls, 16))
		die("listen");

	while (!handoff) {
		pfd[0] = (struct pollfd){ .fd = ls, .events = POLLIN };
		for (i = 0; i < n; i++)
			pfd[1 + i] = (struct pollfd){ .fd = conns[i].fd,
						      .events = POLLIN };
		if (ppoll(pfd, (nfds_t)n + 1, NULL, &old) < 0) {
			if (errno == EINTR)
				continue;
			die("ppoll");
		}
		for (i = n - 1; i >= 0; i--) {
			if (!pfd[1 + i].revents || !serve_conn(&conns[i]))
				continue;
			close(conns[i].fd);
			conns[i] = conns[--n];
		}
		if ((pfd[0].revents & POLLIN) && n < MAX_CONNS) {
			int c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0)
				conns[n++] = (struct conn){ .fd = c };
		}
	}

	close(ls);
	for (i = 0; i < n; i++) {
		/* State first: once exported, the socket may be taken. */
		if (save_state(&conns[i], dir))
			die("save state");
		if (export_socket(-1, conns[i].fd, af, &to))
			die_sockmi("export");
		close(conns[i].fd);
	}
	fprintf(stderr, "sockmi-counter: handed %d connection(s) to %s\n", n,
		to_text);
	return 0;
}

/* The connection systemd's protocol passed us, if any: descriptor 3. */
static int inherited(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");

	if (!fds || !pid || strtol(pid, NULL, 10) != (long)getpid())
		return -1;
	if (strcmp(fds, "1")) {
		fprintf(stderr, "sockmi-counter: LISTEN_FDS=%s: one expected\n",
			fds);
		exit(1);
	}
	unsetenv("LISTEN_FDS");		/* not for our children */
	unsetenv("LISTEN_PID");
	return 3;
}

static int adopt(const char *dir, int timeout)
{
	struct conn *c = calloc(1, sizeof(*c));

	if (!c)
		die("calloc");
	c->fd = inherited();
	if (c->fd < 0) {
		struct import_req req = {
			.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
			.states = SOCKMI_CONNECTED,
		};

		if (req.fd < 0)
			die("socket");
		switch (import_socket(&req, 1, timeout)) {
		case -1:
			die_sockmi("import");
			break;
		case 0:
			fprintf(stderr, "sockmi-counter: no connection within %d ms\n",
				timeout);
			close(req.fd);
			free(c);
			return 1;
		}
		c->fd = req.fd;
	}
	if (load_state(c, dir)) {
		fprintf(stderr, "sockmi-counter: no state for this connection in %s\n",
			dir);
		close(c->fd);
		free(c);
		return 1;
	}
	fprintf(stderr, "sockmi-counter: adopted a connection at line %lu\n",
		c->count);
	/* The pending part of a line is answered once its end arrives. */
	while (!serve_conn(c))
		;
	close(c->fd);
	fprintf(stderr, "sockmi-counter: connection closed after line %lu\n",
		c->count);
	free(c);
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
			"sockmi-counter", s, min, max);
		exit(2);
	}
	return (int)v;
}

int main(int argc, char *argv[])
{
	if (argc == 5 && !strcmp(argv[1], "serve"))
		return serve(number(argv[2], 1, 65535), argv[3], argv[4]);
	if ((argc == 3 || argc == 4) && !strcmp(argv[1], "adopt"))
		return adopt(argv[2], argc == 4 ? number(argv[3], -1, INT_MAX) : -1);
	fprintf(stderr, "Usage: sockmi-counter serve PORT TO DIR\n"
			"       sockmi-counter adopt DIR [TIMEOUT_MS]\n");
	return 2;
}
