// SPDX-License-Identifier: GPL-2.0
/*
 * sockmi-stream: the server and the checker of `make demo`.
 *
 * The server answers one HTTP GET with an endless, paced body: a pattern in
 * which every byte depends on its offset, so that a lost, duplicated or
 * reordered byte shows at once. Its only application state is that offset.
 * When its connection is exported the socket freezes (send() fails with
 * EINVAL) and the server writes the offset to DIR/handoff; on the importing
 * host a second instance, started in advance and waiting in
 * import_socket(3), takes the connection over, reads the offset and carries
 * on. If the export is aborted instead, the first instance gets its socket
 * back and carries on itself.
 *
 *   sockmi-stream serve PORT DIR HOST RATE   listen on PORT, serve one GET
 *   sockmi-stream adopt PORT DIR HOST RATE   import the connection whose
 *                                            local port is PORT, carry on
 *   sockmi-stream check DIR                  read the body on stdin, verify
 *                                            every byte, record throughput
 *   sockmi-stream gen BYTES                  write the first BYTES of the
 *                                            body (for a checksum)
 *
 * HOST is only a name for the logs and DIR/owner; RATE is in bytes/s.
 * Files of DIR (one directory that every namespace of the VM sees):
 *   owner    "PID FD HOST OFFSET" of the instance holding the connection
 *   handoff  "OFFSET": body bytes sent when the socket froze
 *   finish   created by the demo: send FIN at the next chance
 *   final    "OFFSET": body bytes sent in all, written before the FIN
 *   series   (check) "TIME BYTES" every 200 ms, TIME in epoch seconds
 *   gaps     (check) "START END" of every pause of the body over 20 ms
 *   check    (check) "bytes=N mismatches=M first_bad=OFFSET|-" at EOF
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sockmi.h>

#define CHUNK		16384
#define SNDBUF		(128 << 10)
#define PROBE_MS	20	/* idle this long: check for a freeze */
#define SAMPLE_S	0.2	/* check: throughput sample period */
#define GAP_S		0.02	/* check: pauses recorded from this long */

static const char *dir;
static const char *host = "?";

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void msg(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%.3f sockmi-stream[%s]: ", now(), host);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void die(const char *what)
{
	msg("%s: %s", what, strerror(errno));
	exit(1);
}

/* Byte @off of the body: a mix of its 8-byte word's index, never repeating. */
static uint64_t word(uint64_t i)
{
	uint64_t z = i + 0x9e3779b97f4a7c15ULL;

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void pattern(uint64_t off, unsigned char *p, size_t n)
{
	uint64_t w = word(off >> 3);

	for (size_t i = 0; i < n; i++, off++) {
		if (!(off & 7))
			w = word(off >> 3);
		p[i] = (unsigned char)(w >> (8 * (off & 7)));
	}
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

/* Write DIR/NAME all at once (rename), so that readers see all or nothing. */
static void put_file(const char *name, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put_file(const char *name, const char *fmt, ...)
{
	char path[512], tmp[520];
	va_list ap;
	FILE *f;

	path_of(path, sizeof(path), name);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		die(tmp);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	if (fclose(f) || rename(tmp, path))
		die(path);
}

static bool exists(const char *name)
{
	char path[512];

	path_of(path, sizeof(path), name);
	return access(path, F_OK) == 0;
}

/* Wait up to 60 s for DIR/handoff, read it and remove it. */
static uint64_t take_handoff(void)
{
	char path[512];
	uint64_t off;
	FILE *f;

	path_of(path, sizeof(path), "handoff");
	for (int i = 0; i < 60000; i++) {
		f = fopen(path, "r");
		if (f) {
			if (fscanf(f, "%" SCNu64, &off) != 1) {
				errno = EINVAL;
				die(path);
			}
			fclose(f);
			unlink(path);
			return off;
		}
		usleep(1000);
	}
	errno = ETIMEDOUT;
	die(path);
	return 0;
}

static bool frozen_errno(int e)
{
	/* EINVAL: frozen (repair mode); ECONNABORTED, then EPIPE: committed
	 * and destroyed; EPERM: what reads get in repair mode.
	 */
	return e == EINVAL || e == ECONNABORTED || e == EPIPE || e == EPERM;
}

/*
 * The socket froze at @off: leave the offset for the importer, then wait for
 * the verdict. Return: true if the socket was taken away, false if it came
 * back (the export was aborted).
 */
static bool handoff(int fd, uint64_t off)
{
	double t0 = now();

	put_file("handoff", "%" PRIu64 "\n", off);
	for (;;) {
		if (send(fd, "", 0, MSG_NOSIGNAL | MSG_DONTWAIT) == 0) {
			char path[512];

			path_of(path, sizeof(path), "handoff");
			unlink(path);
			msg("export aborted, socket given back after %.3f s; carrying on at %" PRIu64,
			    now() - t0, off);
			return false;
		}
		if (errno == EINVAL || errno == EINTR) {
			usleep(2000);
			continue;
		}
		msg("socket taken away at offset %" PRIu64 " (%s)", off,
		    strerror(errno));
		return true;
	}
}

static void finish(int fd, uint64_t off)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[4096];
	double end;

	put_file("final", "%" PRIu64 "\n", off);
	msg("finishing after %" PRIu64 " bytes: FIN", off);
	if (shutdown(fd, SHUT_WR))
		die("shutdown");
	/* The client closes its end once it has read everything. */
	end = now() + 20;
	while (now() < end) {
		ssize_t n;

		if (poll(&p, 1, 100) < 0 && errno != EINTR)
			die("poll");
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			die("recv after FIN");
	}
	close(fd);
	exit(0);
}

/* Stream the body from @off at @rate bytes/s until finished or taken away. */
static void stream(int fd, uint64_t off, double rate)
{
	static unsigned char buf[CHUNK];
	double burst = rate / 10 > CHUNK ? rate / 10 : CHUNK;
	double tokens = 0, last = now(), checked = 0;
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK))
		die("fcntl");
	put_file("owner", "%d %d %s %" PRIu64 "\n", (int)getpid(), fd, host, off);
	for (;;) {
		double t = now();
		size_t want;
		ssize_t n;

		if (t - checked > 0.05) {
			checked = t;
			if (exists("finish"))
				finish(fd, off);
		}
		tokens += (t - last) * rate;
		last = t;
		if (tokens > burst)
			tokens = burst;
		want = tokens < CHUNK ? (size_t)tokens : CHUNK;
		if (want < CHUNK / 4) {
			/* Not yet: a probe (a freeze is seen at once), a nap. */
			n = send(fd, "", 0, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && frozen_errno(errno))
				goto frozen;
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				die("send");
			usleep(2000);
			continue;
		}
		pattern(off, buf, want);
		n = send(fd, buf, want, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			off += (uint64_t)n;
			tokens -= (double)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, PROBE_MS) < 0 && errno != EINTR)
				die("poll");
			if (send(fd, "", 0, MSG_NOSIGNAL | MSG_DONTWAIT) == 0 ||
			    !frozen_errno(errno))
				continue;
			goto frozen;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || !frozen_errno(errno))
			die("send");
frozen:
		if (handoff(fd, off))
			exit(0);
		last = now();
	}
}

static int cmd_serve(int port, double rate)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
	};
	char req[4096];
	size_t len = 0;
	int ls, fd, one = 1, sndbuf = SNDBUF;
	const char *head = "HTTP/1.1 200 OK\r\n"
			   "Content-Type: application/octet-stream\r\n"
			   "Cache-Control: no-store\r\n"
			   "Connection: close\r\n\r\n";

	ls = socket(AF_INET, SOCK_STREAM, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, (struct sockaddr *)&sin, sizeof(sin)) || listen(ls, 1))
		die("listen");
	msg("listening on port %d", port);
	fd = accept(ls, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(ls);
	/* A small send buffer: a slow reader leaves little queued, and a
	 * checkpoint carries little. (The setting moves with the socket.)
	 */
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf)))
		die("SO_SNDBUF");
	/* The request: up to its empty line; its contents do not matter. */
	while (!memmem(req, len, "\r\n\r\n", 4)) {
		ssize_t n = recv(fd, req + len, sizeof(req) - len, 0);

		if (n <= 0 || len + (size_t)n >= sizeof(req)) {
			msg("no HTTP request");
			return 1;
		}
		len += (size_t)n;
	}
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) != (ssize_t)strlen(head))
		die("send header");
	msg("serving %.*s", (int)(strcspn(req, "\r\n")), req);
	stream(fd, 0, rate);
	return 0;
}

static int cmd_adopt(int port, double rate)
{
	struct import_req req = { .states = SOCKMI_CONNECTED };
	uint64_t off;
	double t;
	int n;

	req.fd = socket(AF_INET, SOCK_STREAM, 0);
	if (req.fd < 0)
		die("socket");
	req.local.sin.sin_family = AF_INET;
	req.local.sin.sin_port = htons((uint16_t)port);
	n = import_socket(&req, 1, 120000);
	if (n != 1) {
		msg("import_socket: %s (%s)", n ? sockmi_strerror(errno) : "timeout",
		    n ? sockmi_last_error() : "nothing staged");
		return 1;
	}
	t = now();
	off = take_handoff();
	msg("imported connection %" PRIu64 " as fd %d, resuming at offset %" PRIu64
	    " (state read in %.3f s)", req.id, req.fd, off, now() - t);
	stream(req.fd, off, rate);
	return 0;
}

static void append(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(FILE *f, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fflush(f);
}

static FILE *open_out(const char *name)
{
	char path[512];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "w");
	if (!f)
		die(path);
	return f;
}

static int cmd_check(void)
{
	static unsigned char buf[65536], want[65536];
	struct pollfd p = { .fd = 0, .events = POLLIN };
	FILE *series = open_out("series"), *gaps = open_out("gaps");
	uint64_t off = 0, bad = 0, first_bad = 0;
	double last_data = 0, next_sample = now();

	for (;;) {
		double t;
		ssize_t n;

		if (poll(&p, 1, 50) < 0 && errno != EINTR)
			die("poll");
		t = now();
		if (t >= next_sample) {
			append(series, "%.6f %" PRIu64 "\n", t, off);
			next_sample += SAMPLE_S;
			if (next_sample < t)
				next_sample = t + SAMPLE_S;
		}
		if (!(p.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(0, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			die("read");
		if (n == 0)
			break;
		if (last_data && t - last_data >= GAP_S)
			append(gaps, "%.6f %.6f\n", last_data, t);
		last_data = t;
		pattern(off, want, (size_t)n);
		if (memcmp(buf, want, (size_t)n)) {
			for (ssize_t i = 0; i < n; i++) {
				if (buf[i] == want[i])
					continue;
				if (!bad)
					first_bad = off + (uint64_t)i;
				bad++;
			}
		}
		off += (uint64_t)n;
	}
	append(series, "%.6f %" PRIu64 "\n", now(), off);
	if (bad)
		put_file("check", "bytes=%" PRIu64 " mismatches=%" PRIu64 " first_bad=%" PRIu64 "\n",
			 off, bad, first_bad);
	else
		put_file("check", "bytes=%" PRIu64 " mismatches=0 first_bad=-\n", off);
	return bad ? 1 : 0;
}

static int cmd_gen(uint64_t total)
{
	static unsigned char buf[65536];
	uint64_t off = 0;

	while (off < total) {
		size_t n = total - off < sizeof(buf) ? (size_t)(total - off) : sizeof(buf);

		pattern(off, buf, n);
		if (fwrite(buf, 1, n, stdout) != n)
			die("write");
		off += n;
	}
	return fflush(stdout) ? 1 : 0;
}

static void usage(void)
{
	fputs("usage: sockmi-stream serve|adopt PORT DIR HOST RATE\n"
	      "       sockmi-stream check DIR\n"
	      "       sockmi-stream gen BYTES\n", stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	if (argc == 6 && (!strcmp(argv[1], "serve") || !strcmp(argv[1], "adopt"))) {
		int port = atoi(argv[2]);
		double rate = atof(argv[5]);

		dir = argv[3];
		host = argv[4];
		if (port <= 0 || port > 65535 || rate <= 0)
			usage();
		return argv[1][0] == 's' ? cmd_serve(port, rate) : cmd_adopt(port, rate);
	}
	if (argc == 3 && !strcmp(argv[1], "check")) {
		dir = argv[2];
		host = "check";
		return cmd_check();
	}
	if (argc == 3 && !strcmp(argv[1], "gen"))
		return cmd_gen(strtoull(argv[2], NULL, 10));
	usage();
	return 2;
}
