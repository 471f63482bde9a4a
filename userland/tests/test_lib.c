// SPDX-License-Identifier: GPL-2.0
/*
 * libsockmi without the kernel modules: argument checks, errno and
 * messages, sockmi_strerror(), the per-thread last error, and what the
 * calls say when the modules are not loaded.
 */

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sockmi.h"
#include "tap.h"

struct bad_req {
	const char *what;
	struct import_req r;
	int err;
	const char *msg;	/* expected inside sockmi_last_error() */
};

static int tcp(void)
{
	return socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
}

/* A connected and a listening socket, over the loopback. */
static void pair(int *connected, int *listening)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);

	*listening = tcp();
	*connected = tcp();
	if (bind(*listening, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(*listening, 1) ||
	    getsockname(*listening, (struct sockaddr *)&sa, &len) ||
	    connect(*connected, (struct sockaddr *)&sa, sizeof(sa)))
		tap_diag("cannot make a TCP connection over the loopback");
}

static bool family_present(void)
{
	int fd = tcp();
	struct import_req r = { .fd = fd, .states = SOCKMI_CONNECTED };
	int ret = import_socket(&r, 1, 0);

	close(fd);
	return !(ret == -1 && errno == ENOENT);
}

static void *other_thread(void *arg)
{
	char *out = arg;

	/* Its own error, and it must not see ours. */
	snprintf(out, 256, "%s|", sockmi_last_error());
	export_socket(0, 0, AF_INET, NULL);
	snprintf(out + strlen(out), 256 - strlen(out), "%s",
		 sockmi_last_error());
	return NULL;
}

int main(void)
{
	struct tap t = { .suite = "lib" };
	int s = tcp(), conn, lis, file = open("/dev/null", O_RDONLY);
	struct import_req ok = { .fd = s, .states = SOCKMI_CONNECTED };
	struct bad_req bads[16];
	char other[256], mine[512];
	pthread_t th;
	size_t i, n = 0;
	int ret;

	pair(&conn, &lis);
	tap_ok(&t, !strcmp(sockmi_last_error(), ""),
	       "sockmi_last_error() is empty before any failure");

#define BAD(w, e, m, ...) do {						\
		bads[n] = (struct bad_req){ w, ok, e, m };		\
		__VA_ARGS__;						\
		n++;							\
	} while (0)
	BAD("fd -1", EBADF, "reqs[0]: fd -1 is not open", bads[n].r.fd = -1);
	BAD("fd not open", EBADF, "is not open", bads[n].r.fd = 999);
	BAD("fd not a socket", ENOTSOCK, "is not a socket",
	    bads[n].r.fd = file);
	BAD("fd connected", EISCONN, "is connected", bads[n].r.fd = conn);
	BAD("fd listening", EINVAL, "listening socket",
	    bads[n].r.fd = lis);
	BAD("states 0", EINVAL, "states 0x0", bads[n].r.states = 0);
	BAD("states with unknown bits", EINVAL, "states 0x14",
	    bads[n].r.states = 0x14);
	BAD("prefer outside states", EINVAL, "prefer 0x2",
	    bads[n].r.prefer = SOCKMI_LISTENING);
	BAD("prefer of two states", EINVAL, "prefer 0x6",
	    bads[n].r.states = SOCKMI_ANY_STATE,
	    bads[n].r.prefer = SOCKMI_LISTENING | SOCKMI_CONNECTED);
	BAD("local family AF_UNIX", EAFNOSUPPORT, "local address of family",
	    bads[n].r.local.sa.sa_family = AF_UNIX);
	BAD("remote family 99", EAFNOSUPPORT, "remote address of family 99",
	    bads[n].r.remote.sa.sa_family = 99);
	BAD("local IPv4, remote IPv6", EINVAL, "different families",
	    bads[n].r.local.sa.sa_family = AF_INET,
	    bads[n].r.remote.sa.sa_family = AF_INET6);
#undef BAD

	for (i = 0; i < n; i++) {
		bads[i].r.got = 7;
		errno = 0;
		ret = import_socket(&bads[i].r, 1, -1);
		if (!tap_ok(&t, ret == -1 && errno == bads[i].err &&
			    strstr(sockmi_last_error(), bads[i].msg) &&
			    !bads[i].r.got,
			    "import_socket rejects %s: %s", bads[i].what,
			    strerror(bads[i].err)))
			tap_diag("got %d, errno %d, '%s'", ret, errno,
				 sockmi_last_error());
	}

	{
		struct import_req two[2] = { ok, ok };

		two[1].states = 0;
		ret = import_socket(two, 2, 0);
		tap_ok(&t, ret == -1 && errno == EINVAL &&
		       !strncmp(sockmi_last_error(), "reqs[1]: ", 9),
		       "the message names the request at fault ('%s')",
		       sockmi_last_error());
	}
	ret = import_socket(&ok, 0, 0);
	tap_ok(&t, ret == -1 && errno == EINVAL, "import_socket: n 0: EINVAL");
	ret = import_socket(NULL, 1, 0);
	tap_ok(&t, ret == -1 && errno == EINVAL,
	       "import_socket: reqs NULL: EINVAL");

	ret = export_socket(0, s, AF_INET, NULL);
	tap_ok(&t, ret == -1 && errno == EINVAL &&
	       strstr(sockmi_last_error(), "pid 0"),
	       "export_socket: pid 0: EINVAL ('%s')", sockmi_last_error());
	ret = export_socket(-1, -2, AF_INET, NULL);
	tap_ok(&t, ret == -1 && errno == EBADF,
	       "export_socket: fd -2: EBADF");
	ret = export_socket(-1, s, AF_UNIX, "x");
	tap_ok(&t, ret == -1 && errno == EAFNOSUPPORT,
	       "export_socket: af AF_UNIX with an address: EAFNOSUPPORT");

	/* Per thread. */
	snprintf(mine, sizeof(mine), "%s", sockmi_last_error());
	pthread_create(&th, NULL, other_thread, other);
	pthread_join(th, NULL);
	tap_ok(&t, !strcmp(other, "|pid 0 is no process: -1 exports the caller's own descriptor") &&
	       !strcmp(mine, sockmi_last_error()),
	       "sockmi_last_error() belongs to each thread ('%s')", other);

	tap_ok(&t, strstr(sockmi_strerror(ENOENT), "sockmi_genl") != NULL,
	       "sockmi_strerror(ENOENT) names the missing module");
	tap_ok(&t, strstr(sockmi_strerror(EPROTONOSUPPORT), "TCP") != NULL,
	       "sockmi_strerror(EPROTONOSUPPORT): not a TCP socket");
	tap_ok(&t, strstr(sockmi_strerror(EPERM), "CAP_SYS_PTRACE") != NULL,
	       "sockmi_strerror(EPERM) names the capabilities");
	tap_ok(&t, !strcmp(sockmi_strerror(ETIMEDOUT), strerror(ETIMEDOUT)),
	       "sockmi_strerror() of other errnos is strerror()'s");

	if (family_present()) {
		tap_skip(&t, "the sockmi family is registered here",
			 "without the modules: ENOENT");
	} else {
		ret = import_socket(&ok, 1, -1);
		tap_ok(&t, ret == -1 && errno == ENOENT &&
		       strstr(sockmi_last_error(), "sockmi_genl.ko"),
		       "import_socket without the modules: ENOENT, at once ('%s')",
		       sockmi_last_error());
		ret = export_socket(-1, conn, AF_INET, NULL);
		tap_ok(&t, ret == -1 && errno == ENOENT,
		       "export_socket without the modules: ENOENT");
	}
	close(s);
	close(conn);
	close(lis);
	close(file);
	return tap_done(&t);
}
