// SPDX-License-Identifier: GPL-2.0
/*
 * libsockmi from the outside, for tests/netns/libsockmi.sh: built from the
 * installed <sockmi.h> and `pkg-config sockmi` alone (plus -pthread), run
 * as root in the test VM with the modules loaded.
 *
 *   libsockmi_test api ADDR4 ADDR6   the API on staged sockets of this host:
 *                                    every import_req field, timeouts, the
 *                                    errors; prints "ok WHAT" / "not ok WHAT"
 *   libsockmi_test echo-serve PORT TO
 *                                    echo one client; on SIGUSR1 export the
 *                                    connection to TO and exit
 *   libsockmi_test echo-adopt PORT   import the connection whose local port
 *                                    is PORT (waiting forever), echo it to
 *                                    the end; print how many bytes
 *   libsockmi_test listen-fds-echo   echo the connection systemd's protocol
 *                                    passes, after checking that protocol
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sockmi.h>

static int failures;

__attribute__((format(printf, 2, 3)))
static bool check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!ok)
		failures++;
	return ok;
}

static void die(const char *what)
{
	printf("not ok %s: %s\n", what, strerror(errno));
	exit(1);
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A socket address of family @af, address @text, port @port. */
static union sockmi_sockaddr sa_make(int af, const char *text, int port)
{
	union sockmi_sockaddr sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa.sa_family = (sa_family_t)af;
	if (af == AF_INET) {
		inet_pton(AF_INET, text, &sa.sin.sin_addr);
		sa.sin.sin_port = htons(port);
	} else {
		inet_pton(AF_INET6, text, &sa.sin6.sin6_addr);
		sa.sin6.sin6_port = htons(port);
	}
	return sa;
}

static socklen_t sa_len(const union sockmi_sockaddr *sa)
{
	return sa->sa.sa_family == AF_INET ? sizeof(sa->sin) : sizeof(sa->sin6);
}

static int sa_port(const union sockmi_sockaddr *sa)
{
	return ntohs(sa->sa.sa_family == AF_INET ? sa->sin.sin_port :
						  sa->sin6.sin6_port);
}

/* An established connection of this host: client and server ends. */
struct conn {
	int af;
	const char *addr;
	int client;
	int server;
	int lport;	/* the server's port */
	int cport;	/* the client's */
};

static void conn_make(struct conn *c, int af, const char *addr)
{
	union sockmi_sockaddr sa = sa_make(af, addr, 0);
	socklen_t len = sizeof(sa);
	int ls = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);

	c->af = af;
	c->addr = addr;
	if (ls < 0 || bind(ls, &sa.sa, sa_len(&sa)) || listen(ls, 1) ||
	    getsockname(ls, &sa.sa, &len))
		die("listen");
	c->lport = sa_port(&sa);
	c->client = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->client < 0 || connect(c->client, &sa.sa, sa_len(&sa)))
		die("connect");
	c->server = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	len = sizeof(sa);
	if (c->server < 0 || getsockname(c->client, &sa.sa, &len))
		die("accept");
	c->cport = sa_port(&sa);
	close(ls);
}

/* The address of c->addr as export_socket() takes it. */
static void conn_to(const struct conn *c, void *to)
{
	inet_pton(c->af, c->addr, to);
}

/* Queue "hello" for the server, then stage its end here (local export). */
static void conn_stage(struct conn *c, const char *what)
{
	struct in6_addr to;

	if (write(c->client, "hello", 5) != 5)
		die("write");
	conn_to(c, &to);
	if (export_socket(-1, c->server, c->af, &to)) {
		printf("not ok %s: export_socket: %s (%s)\n", what,
		       strerror(errno), sockmi_last_error());
		exit(1);
	}
	close(c->server);
	c->server = -1;
}

/* A fresh placeholder descriptor. */
static int placeholder(bool cloexec)
{
	int fd = socket(AF_INET, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0);

	if (fd < 0)
		die("socket");
	return fd;
}

static ino_t inode(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static struct import_req req_make(int fd, unsigned int states)
{
	struct import_req r;

	memset(&r, 0, sizeof(r));
	r.fd = fd;
	r.states = states;
	return r;
}

/* Does @fd carry the connection of @c: its addresses, its bytes? */
static bool is_conn(int fd, const struct conn *c)
{
	union sockmi_sockaddr l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	char buf[8] = "";

	if (getsockname(fd, &l.sa, &ll) || getpeername(fd, &r.sa, &rl) ||
	    l.sa.sa_family != c->af || sa_port(&l) != c->lport ||
	    sa_port(&r) != c->cport)
		return false;
	if (read(fd, buf, 5) != 5 || memcmp(buf, "hello", 5))
		return false;
	if (write(fd, "world", 5) != 5 || read(c->client, buf, 5) != 5 ||
	    memcmp(buf, "world", 5))
		return false;
	return true;
}

/* The request fields: what must not match, then all of them matching. */
static void test_fields(const char *a4, const char *a6)
{
	struct conn c;
	struct import_req r[8];
	unsigned int i, n = 0;
	const char *what[8];
	int ph = placeholder(true), got, fl;
	ino_t ino = inode(ph);
	union sockmi_sockaddr peer;
	socklen_t len = sizeof(peer);

	conn_make(&c, AF_INET, a4);
	conn_stage(&c, "stage an IPv4 connection");

	r[n] = req_make(ph, SOCKMI_BOUND | SOCKMI_LISTENING);
	what[n++] = "states without SOCKMI_CONNECTED";
	r[n] = req_make(ph, SOCKMI_CONNECTED);
	r[n].local = sa_make(AF_INET, a4, c.lport + 1);
	what[n++] = "another local port";
	r[n] = req_make(ph, SOCKMI_CONNECTED);
	r[n].local = sa_make(AF_INET, "192.0.2.1", c.lport);
	what[n++] = "another local address";
	r[n] = req_make(ph, SOCKMI_CONNECTED);
	r[n].remote = sa_make(AF_INET, a4, c.cport + 1);
	what[n++] = "another remote port";
	r[n] = req_make(ph, SOCKMI_CONNECTED);
	r[n].remote = sa_make(AF_INET, "192.0.2.1", 0);
	what[n++] = "another remote address";
	r[n] = req_make(ph, SOCKMI_CONNECTED);
	r[n].local = sa_make(AF_INET6, "::", 0);
	what[n++] = "family AF_INET6 (local in6addr_any)";
	r[n] = req_make(ph, SOCKMI_CONNECTED);
	r[n].remote = sa_make(AF_INET6, a6, c.cport);
	what[n++] = "an IPv6 remote address";

	for (i = 0; i < n; i++) {
		got = import_socket(&r[i], 1, 0);
		check(got == 0 && !r[i].got && !r[i].id && !r[i].tcp_state &&
		      inode(ph) == ino,
		      "no match: %s (returns %d, got %u)", what[i], got,
		      r[i].got);
	}
	got = import_socket(r, n, 0);
	check(got == 0 && inode(ph) == ino,
	      "no match: all %u requests at once, timeout 0 (returns %d)", n,
	      got);
	check(getpeername(ph, &peer.sa, &len) && errno == ENOTCONN,
	      "no match: the placeholder is untouched, unconnected");

	/* Every field set, and matching. */
	r[0] = req_make(ph, SOCKMI_CONNECTED | SOCKMI_LISTENING);
	r[0].prefer = SOCKMI_CONNECTED;
	r[0].local = sa_make(AF_INET, a4, c.lport);
	r[0].remote = sa_make(AF_INET, a4, c.cport);
	r[0].got = 99;	/* (out) fields are reset */
	got = import_socket(r, 1, 0);
	check(got == 1, "all fields matching: imported (returns %d: %s)", got,
	      got < 0 ? sockmi_last_error() : "");
	check(r[0].got == SOCKMI_CONNECTED && r[0].tcp_state == TCP_ESTABLISHED &&
	      r[0].id > 0,
	      "got SOCKMI_CONNECTED, TCP_ESTABLISHED, an id (%u, %d, %llu)",
	      r[0].got, r[0].tcp_state, (unsigned long long)r[0].id);
	fl = fcntl(ph, F_GETFD);
	check(r[0].fd == ph && inode(ph) != ino && fl >= 0 && (fl & FD_CLOEXEC),
	      "replaced in place: same number, another socket, FD_CLOEXEC kept");
	check(is_conn(ph, &c),
	      "the imported socket is the connection: addresses, queued bytes, both ways");

	/* Again: an imported socket can be exported again (and come back). */
	{
		struct in6_addr to;
		int ph2 = placeholder(false);

		conn_to(&c, &to);
		if (write(c.client, "hello", 5) != 5)
			die("write");
		check(!export_socket(-1, ph, AF_INET, &to),
		      "an imported socket is exported again (%s)",
		      sockmi_last_error());
		close(ph);
		r[1] = req_make(ph2, SOCKMI_CONNECTED);
		r[1].local = sa_make(AF_INET, "0.0.0.0", c.lport);
		got = import_socket(&r[1], 1, 1000);
		fl = fcntl(ph2, F_GETFD);
		check(got == 1 && fl >= 0 && !(fl & FD_CLOEXEC),
		      "and imported again by port alone; no FD_CLOEXEC kept (returns %d)",
		      got);
		check(got == 1 && is_conn(ph2, &c),
		      "the connection survived two hops");
		close(ph2);
	}
	close(c.client);
}

static void test_many(const char *a4, const char *a6)
{
	struct conn b, c, d, e, v6;
	struct import_req r[3];
	int fds[3] = { placeholder(true), placeholder(true), placeholder(true) };
	int got, i;

	conn_make(&b, AF_INET, a4);
	conn_make(&c, AF_INET, a4);
	conn_stage(&b, "stage B");
	conn_stage(&c, "stage C");
	r[0] = req_make(fds[0], SOCKMI_CONNECTED);
	r[0].remote = sa_make(AF_INET, a4, 1);
	r[1] = req_make(fds[1], SOCKMI_CONNECTED);
	r[1].local = sa_make(AF_INET, a4, b.lport);
	r[2] = req_make(fds[2], SOCKMI_ANY_STATE);
	r[2].remote = sa_make(AF_INET, "0.0.0.0", c.cport);
	got = import_socket(r, 3, 0);
	check(got == 2 && !r[0].got && r[1].got == SOCKMI_CONNECTED &&
	      r[2].got == SOCKMI_CONNECTED,
	      "three requests, two staged sockets: two satisfied, best effort (returns %d)",
	      got);
	check(is_conn(fds[1], &b) && is_conn(fds[2], &c),
	      "each request got the socket its criteria name");
	for (i = 0; i < 3; i++)
		close(fds[i]);
	close(b.client);
	close(c.client);

	/* Requests sharing a descriptor are alternatives. */
	conn_make(&d, AF_INET, a4);
	conn_make(&e, AF_INET, a4);
	conn_stage(&d, "stage D");
	conn_stage(&e, "stage E");
	fds[0] = placeholder(true);
	r[0] = req_make(fds[0], SOCKMI_CONNECTED);
	r[0].local = sa_make(AF_INET, a4, e.lport);
	r[1] = req_make(fds[0], SOCKMI_CONNECTED);
	r[1].local = sa_make(AF_INET, a4, d.lport);
	got = import_socket(r, 2, 0);
	check(got == 1 && r[0].got && !r[1].got && is_conn(fds[0], &e),
	      "two requests, one descriptor: only the first is satisfied (returns %d)",
	      got);
	fds[1] = placeholder(true);
	r[0] = req_make(fds[1], SOCKMI_CONNECTED);
	got = import_socket(r, 1, 0);
	check(got == 1 && is_conn(fds[1], &d),
	      "the other socket stayed staged");
	close(fds[0]);
	close(fds[1]);
	close(d.client);
	close(e.client);

	/* IPv6, by local address and port. */
	conn_make(&v6, AF_INET6, a6);
	conn_stage(&v6, "stage an IPv6 connection");
	fds[0] = placeholder(true);
	r[0] = req_make(fds[0], SOCKMI_CONNECTED);
	r[0].local = sa_make(AF_INET6, a6, v6.lport);
	r[0].remote = sa_make(AF_INET6, a6, 0);
	got = import_socket(r, 1, 0);
	check(got == 1 && is_conn(fds[0], &v6),
	      "IPv6: imported by local address and port (returns %d: %s)",
	      got, got < 0 ? sockmi_last_error() : "");
	close(fds[0]);
	close(v6.client);
}

static void test_close_wait(const char *a4)
{
	struct conn c;
	struct import_req r;
	char buf[8];
	int got, i;
	struct tcp_info ti;
	socklen_t len;

	conn_make(&c, AF_INET, a4);
	if (write(c.client, "bye", 3) != 3 || shutdown(c.client, SHUT_WR))
		die("shutdown");
	for (i = 0; i < 100; i++) {
		len = sizeof(ti);
		if (!getsockopt(c.server, IPPROTO_TCP, TCP_INFO, &ti, &len) &&
		    ti.tcpi_state == TCP_CLOSE_WAIT)
			break;
		usleep(10000);
	}
	{
		struct in6_addr to;

		conn_to(&c, &to);
		check(!export_socket(-1, c.server, AF_INET, &to),
		      "CLOSE_WAIT: exported (%s)", sockmi_last_error());
		close(c.server);
	}
	r = req_make(placeholder(true), SOCKMI_CONNECTED);
	r.local = sa_make(AF_INET, a4, c.lport);
	got = import_socket(&r, 1, 0);
	check(got == 1 && r.tcp_state == TCP_CLOSE_WAIT,
	      "CLOSE_WAIT: imported as TCP_CLOSE_WAIT (returns %d, state %d)",
	      got, r.tcp_state);
	check(read(r.fd, buf, sizeof(buf)) == 3 && !memcmp(buf, "bye", 3) &&
	      read(r.fd, buf, sizeof(buf)) == 0,
	      "CLOSE_WAIT: the bytes, then end of file");
	close(r.fd);
	close(c.client);
}

static void test_timeouts(const char *a4)
{
	struct import_req r = req_make(placeholder(true), SOCKMI_ANY_STATE);
	long t0;
	int got;

	/* Nothing can match this remote port. */
	r.remote = sa_make(AF_INET, a4, 9);
	t0 = now_ms();
	got = import_socket(&r, 1, 0);
	check(got == 0 && now_ms() - t0 < 1000,
	      "timeout 0: returns 0 at once (%d, %ld ms)", got, now_ms() - t0);
	t0 = now_ms();
	got = import_socket(&r, 1, 300);
	t0 = now_ms() - t0;
	check(got == 0 && t0 >= 300 && t0 < 5000,
	      "timeout 300 ms: returns 0 when it expires (%d, %ld ms)", got,
	      t0);
	close(r.fd);
}

struct stager {
	const char *addr;
	int delay_ms;
	struct conn c;
};

static void *stage_later(void *arg)
{
	struct stager *s = arg;

	usleep((useconds_t)s->delay_ms * 1000);
	conn_stage(&s->c, "stage later");
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void test_forever(const char *a4)
{
	struct stager s = { .addr = a4, .delay_ms = 300 };
	struct import_req r = req_make(placeholder(true), SOCKMI_CONNECTED);
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	pthread_t t;
	long t0;
	int got;

	conn_make(&s.c, AF_INET, a4);
	r.local = sa_make(AF_INET, a4, s.c.lport);
	t0 = now_ms();
	pthread_create(&t, NULL, stage_later, &s);
	got = import_socket(&r, 1, -1);
	t0 = now_ms() - t0;
	pthread_join(t, NULL);
	check(got == 1 && t0 >= 250,
	      "timeout -1: waits until a matching socket is staged (%d, after %ld ms)",
	      got, t0);
	check(got == 1 && is_conn(r.fd, &s.c), "and it is the one");
	close(r.fd);
	close(s.c.client);

	/* Like poll(): a signal ends the wait. */
	sigaction(SIGALRM, &(struct sigaction){ .sa_handler = on_alarm }, NULL);
	r = req_make(placeholder(true), SOCKMI_CONNECTED);
	r.remote = sa_make(AF_INET, a4, 9);
	setitimer(ITIMER_REAL, &it, NULL);
	got = import_socket(&r, 1, -1);
	check(got == -1 && errno == EINTR,
	      "timeout -1: a signal interrupts it with EINTR (%d, %s)", got,
	      strerror(errno));
	close(r.fd);
}

/* Two threads waiting at once, each for its own socket. */
struct waiter {
	struct import_req r;
	int ret;
	char err_before[512];
	char err_after[512];
};

static void *wait_for(void *arg)
{
	struct waiter *w = arg;
	struct import_req bad = req_make(-1, SOCKMI_CONNECTED);

	/* This thread's last error is its own. */
	import_socket(&bad, 1, 0);
	snprintf(w->err_before, sizeof(w->err_before), "%s",
		 sockmi_last_error());
	w->ret = import_socket(&w->r, 1, -1);
	snprintf(w->err_after, sizeof(w->err_after), "%s",
		 sockmi_last_error());
	return NULL;
}

static void test_threads(const char *a4)
{
	struct conn c[2];
	struct waiter w[2];
	pthread_t t[2];
	struct import_req bad = req_make(placeholder(true), 0);
	char mine[512];
	int i;

	import_socket(&bad, 1, 0);
	snprintf(mine, sizeof(mine), "%s", sockmi_last_error());
	close(bad.fd);
	for (i = 0; i < 2; i++) {
		conn_make(&c[i], AF_INET, a4);
		memset(&w[i], 0, sizeof(w[i]));
		w[i].r = req_make(placeholder(true), SOCKMI_CONNECTED);
		w[i].r.local = sa_make(AF_INET, a4, c[i].lport);
		pthread_create(&t[i], NULL, wait_for, &w[i]);
	}
	usleep(200000);
	conn_stage(&c[1], "stage for thread 1");
	usleep(100000);
	conn_stage(&c[0], "stage for thread 0");
	for (i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	check(w[0].ret == 1 && w[1].ret == 1 && is_conn(w[0].r.fd, &c[0]) &&
	      is_conn(w[1].r.fd, &c[1]),
	      "two threads waiting at once: each gets its own socket");
	check(!strcmp(mine, sockmi_last_error()) && strstr(mine, "states") &&
	      strstr(w[0].err_before, "fd -1") &&
	      !strcmp(w[0].err_before, w[0].err_after),
	      "sockmi_last_error() is per thread and kept by successes ('%s', '%s')",
	      mine, w[0].err_after);
	for (i = 0; i < 2; i++) {
		close(w[i].r.fd);
		close(c[i].client);
	}
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1U << (cap % 32));
	d[cap / 32].permitted &= ~(1U << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* Run @fn in a child without capability @cap; its exit status. */
static int without_cap(int cap, int (*fn)(int), int arg)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork");
	if (!pid)
		_exit(drop_cap(cap) ? 99 : fn(arg));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* In the child: export the parent's descriptor @fd. */
static int export_parents(int fd)
{
	struct in_addr to = { htonl(INADDR_LOOPBACK) };

	if (export_socket(getppid(), fd, AF_INET, &to) != -1)
		return 1;
	if (errno != EPERM)
		return 2;
	return strstr(sockmi_last_error(), "CAP_SYS_PTRACE") ? 0 : 3;
}

static int import_any(int fd)
{
	struct import_req r = req_make(fd, SOCKMI_CONNECTED);

	if (import_socket(&r, 1, 0) != -1)
		return 1;
	if (errno != EPERM)
		return 2;
	return strstr(sockmi_last_error(), "CAP_NET_ADMIN") ? 0 : 3;
}

static void test_export_errors(const char *a4)
{
	struct in_addr to;
	struct conn c;
	int fd, ret;
	pid_t gone = fork();

	inet_pton(AF_INET, a4, &to);
	if (!gone)
		_exit(0);
	waitpid(gone, NULL, 0);
	ret = export_socket(gone, 0, AF_INET, &to);
	check(ret == -1 && errno == ESRCH &&
	      strstr(sockmi_last_error(), "No such process"),
	      "export_socket: a pid that is gone: ESRCH (%s: %s)",
	      strerror(errno), sockmi_last_error());

	ret = export_socket(-1, 1000, AF_INET, &to);
	check(ret == -1 && errno == EBADF,
	      "export_socket: a descriptor not open: EBADF (%s: %s)",
	      strerror(errno), sockmi_last_error());

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ret = export_socket(-1, fd, AF_INET, &to);
	check(ret == -1 && errno == ENOTSOCK &&
	      strstr(sockmi_last_error(), "Not a socket"),
	      "export_socket: not a socket: ENOTSOCK (%s: %s)",
	      strerror(errno), sockmi_last_error());
	close(fd);

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ret = export_socket(-1, fd, AF_INET, &to);
	check(ret == -1 && errno == EPROTONOSUPPORT &&
	      strstr(sockmi_last_error(), "TCP"),
	      "export_socket: a UDP socket: EPROTONOSUPPORT (%s: %s)",
	      strerror(errno), sockmi_last_error());
	close(fd);

	ret = export_socket(0, 0, AF_INET, &to);
	check(ret == -1 && errno == EINVAL,
	      "export_socket: pid 0: EINVAL (%s)", sockmi_last_error());
	ret = export_socket(-1, 0, AF_UNIX, &to);
	check(ret == -1 && errno == EAFNOSUPPORT,
	      "export_socket: af AF_UNIX: EAFNOSUPPORT (%s)",
	      sockmi_last_error());

	conn_make(&c, AF_INET, a4);
	ret = without_cap(CAP_SYS_PTRACE, export_parents, c.server);
	check(ret == 0,
	      "export_socket: another process's socket without CAP_SYS_PTRACE: EPERM (child says %d)",
	      ret);
	fd = placeholder(true);
	ret = without_cap(CAP_NET_ADMIN, import_any, fd);
	check(ret == 0,
	      "import_socket without CAP_NET_ADMIN: EPERM, naming it (child says %d)",
	      ret);
	close(fd);

	/* Passive export of a socket of ours, by pid, as root may. */
	if (write(c.client, "hello", 5) != 5)
		die("write");
	ret = export_socket(getpid(), c.server, AF_INET, &to);
	check(ret == 0, "export_socket: passive, by pid (%s)",
	      ret ? sockmi_last_error() : "");
	close(c.server);
	{
		struct import_req r = req_make(placeholder(true),
					       SOCKMI_CONNECTED);

		r.local = sa_make(AF_INET, a4, c.lport);
		ret = import_socket(&r, 1, 0);
		check(ret == 1 && is_conn(r.fd, &c),
		      "and imported (returns %d)", ret);
		close(r.fd);
	}
	close(c.client);
}

/* prefer, between a listening socket and a connection, if the kernel can. */
static void test_prefer(const char *a4)
{
	union sockmi_sockaddr sa = sa_make(AF_INET, a4, 0);
	struct in_addr to;
	struct import_req r;
	socklen_t len = sizeof(sa);
	struct conn c;
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), got;

	inet_pton(AF_INET, a4, &to);
	if (ls < 0 || bind(ls, &sa.sa, sa_len(&sa)) || listen(ls, 4) ||
	    getsockname(ls, &sa.sa, &len))
		die("listen");
	if (export_socket(-1, ls, AF_INET, &to)) {
		check(false, "prefer: export a listening socket to this host");
		printf("#   %s\n", sockmi_last_error());
		close(ls);
		return;
	}
	close(ls);
	conn_make(&c, AF_INET, a4);
	conn_stage(&c, "stage a connection");
	r = req_make(placeholder(true), SOCKMI_ANY_STATE);
	r.prefer = SOCKMI_CONNECTED;
	got = import_socket(&r, 1, 0);
	check(got == 1 && r.got == SOCKMI_CONNECTED && is_conn(r.fd, &c),
	      "prefer SOCKMI_CONNECTED over a staged listening socket");
	close(r.fd);
	r = req_make(placeholder(true), SOCKMI_ANY_STATE);
	r.prefer = SOCKMI_LISTENING;
	r.local = sa_make(AF_INET, a4, sa_port(&sa));
	got = import_socket(&r, 1, 0);
	check(got == 1 && r.got == SOCKMI_LISTENING &&
	      r.tcp_state == TCP_LISTEN,
	      "prefer SOCKMI_LISTENING: the listening socket");
	close(r.fd);
	close(c.client);
}

static int api(const char *a4, const char *a6)
{
	signal(SIGPIPE, SIG_IGN);
	test_timeouts(a4);
	test_fields(a4, a6);
	test_many(a4, a6);
	test_close_wait(a4);
	test_forever(a4);
	test_threads(a4);
	test_export_errors(a4);
	test_prefer(a4);
	return failures ? 1 : 0;
}

/* Echo: what was read is written back before anything else happens. */
static int echo_once(int fd, long *bytes)
{
	char buf[65536];
	ssize_t n = read(fd, buf, sizeof(buf)), off = 0;

	if (n <= 0)
		return -1;
	while (off < n) {
		ssize_t w = write(fd, buf + off, (size_t)(n - off));

		if (w <= 0)
			return -1;
		off += w;
	}
	*bytes += n;
	return 0;
}

static volatile sig_atomic_t usr1;

static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

static int echo_serve(int port, const char *to_text)
{
	int af = strchr(to_text, ':') ? AF_INET6 : AF_INET;
	union sockmi_sockaddr sa = sa_make(af, af == AF_INET ? "0.0.0.0" : "::",
					   port);
	struct in6_addr to;
	sigset_t set, old;
	long bytes = 0;
	int ls, c, one = 1;

	inet_pton(af, to_text, &to);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_usr1 }, NULL);
	ls = socket(af, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(ls, &sa.sa, sa_len(&sa)) || listen(ls, 1))
		die("listen");
	c = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		die("accept");
	close(ls);
	while (!usr1) {
		struct pollfd p = { .fd = c, .events = POLLIN };

		if (ppoll(&p, 1, NULL, &old) < 0)
			continue;
		if (echo_once(c, &bytes)) {
			printf("echo-serve: the peer left before the migration\n");
			return 1;
		}
	}
	if (export_socket(-1, c, af, &to)) {
		printf("echo-serve: export_socket: %s (%s)\n",
		       sockmi_strerror(errno), sockmi_last_error());
		return 1;
	}
	close(c);
	printf("echo-serve: exported after %ld bytes\n", bytes);
	return 0;
}

static int echo_adopt(int port)
{
	struct import_req r = req_make(placeholder(true), SOCKMI_CONNECTED);
	long bytes = 0;

	r.local.sin.sin_family = AF_INET;	/* any IPv4 address */
	r.local.sin.sin_port = htons(port);
	if (import_socket(&r, 1, -1) != 1) {
		printf("echo-adopt: import_socket: %s (%s)\n",
		       sockmi_strerror(errno), sockmi_last_error());
		return 1;
	}
	while (!echo_once(r.fd, &bytes))
		;
	printf("echo-adopt: echoed %ld bytes\n", bytes);
	return bytes > 0 ? 0 : 1;
}

static int listen_fds_echo(void)
{
	const char *fds = getenv("LISTEN_FDS"), *pid = getenv("LISTEN_PID");
	union sockmi_sockaddr peer;
	socklen_t len = sizeof(peer);
	long bytes = 0;
	int fl = fcntl(3, F_GETFD);

	if (!fds || strcmp(fds, "1") || !pid || atol(pid) != (long)getpid()) {
		printf("listen-fds-echo: LISTEN_FDS=%s LISTEN_PID=%s, pid %d\n",
		       fds ? fds : "(unset)", pid ? pid : "(unset)",
		       (int)getpid());
		return 1;
	}
	if (getenv("LISTEN_FDNAMES") || fl < 0 || (fl & FD_CLOEXEC) ||
	    getpeername(3, &peer.sa, &len)) {
		printf("listen-fds-echo: descriptor 3 is not an inheritable connection\n");
		return 1;
	}
	while (!echo_once(3, &bytes))
		;
	printf("listen-fds-echo: echoed %ld bytes\n", bytes);
	return bytes > 0 ? 0 : 1;
}

int main(int argc, char *argv[])
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 4 && !strcmp(argv[1], "api"))
		return api(argv[2], argv[3]);
	if (argc == 4 && !strcmp(argv[1], "echo-serve"))
		return echo_serve(atoi(argv[2]), argv[3]);
	if (argc == 3 && !strcmp(argv[1], "echo-adopt"))
		return echo_adopt(atoi(argv[2]));
	if (argc == 2 && !strcmp(argv[1], "listen-fds-echo"))
		return listen_fds_echo();
	fprintf(stderr, "usage: see the top of libsockmi_test.c\n");
	return 2;
}
