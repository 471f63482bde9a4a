/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * libsockmi: hand live TCP sockets over between processes and hosts.
 *
 * Build with `pkg-config --cflags --libs sockmi`. See import_socket(3),
 * export_socket(3) and sockmi(7).
 *
 * Exporting (the owner of a connection, or a privileged helper):
 *
 *	struct in_addr here = { htonl(INADDR_LOOPBACK) };
 *
 *	if (export_socket(-1, conn, AF_INET, &here))	// to this host
 *		warnx("export: %s: %s", sockmi_strerror(errno),
 *		      sockmi_last_error());
 *	close(conn);		// frozen and dead here; it lives on elsewhere
 *
 * Importing (any process of the host that receives the socket):
 *
 *	struct import_req req = {
 *		.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0),
 *		.states = SOCKMI_CONNECTED,
 *	};
 *	req.local.sin.sin_family = AF_INET;		// optional criteria
 *	req.local.sin.sin_port = htons(8080);
 *
 *	switch (import_socket(&req, 1, 5000)) {		// up to 5 s
 *	case 1:		// req.fd is now the connection, same number, same
 *		break;	// FD_CLOEXEC flag; its queued bytes are all there
 *	case 0:		// nothing matched in time; req.fd is untouched
 *		break;
 *	default:	// -1: errno and sockmi_last_error() say why
 *		break;
 *	}
 *
 * Every function is thread-safe and keeps no state between calls but the
 * calling thread's last error message. They need CAP_NET_ADMIN in the
 * network namespace they act on, and the kernel modules sockmi.ko and
 * sockmi_genl.ko.
 */

#ifndef SOCKMI_H
#define SOCKMI_H

#include <netinet/in.h>
#include <stdint.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The states a staged socket can be imported in: bits of a mask. */
#define SOCKMI_BOUND		(1U << 0)	/* bound, not listening */
#define SOCKMI_LISTENING	(1U << 1)	/* listening, with its queue */
#define SOCKMI_CONNECTED	(1U << 2)	/* a connection */
#define SOCKMI_ANY_STATE	(SOCKMI_BOUND | SOCKMI_LISTENING | SOCKMI_CONNECTED)

/**
 * union sockmi_sockaddr - an IPv4 or IPv6 socket address, or none
 * @sa: look at sa.sa_family first: AF_UNSPEC, AF_INET or AF_INET6
 * @sin: an IPv4 address and port
 * @sin6: an IPv6 address and port (sin6_flowinfo and sin6_scope_id
 *	  are ignored)
 */
union sockmi_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
};

/**
 * struct import_req - one request of import_socket()
 * @fd: (in) the caller's socket descriptor that the imported socket
 *	replaces: neither connected nor listening. Mandatory.
 * @states: (in) the states accepted, a mask of SOCKMI_BOUND,
 *	SOCKMI_LISTENING and SOCKMI_CONNECTED. Mandatory, nonzero.
 * @prefer: (in) 0, or one state of @states that is taken first when
 *	sockets of several states match; without it bound sockets come
 *	first, then listening ones, then connections.
 * @local: (in) the local address wanted. AF_UNSPEC (all zeroes): any.
 *	AF_INET or AF_INET6: that family only; a zero address
 *	(INADDR_ANY, in6addr_any) matches any address of the family, a zero
 *	port any port.
 * @remote: (in) the same for the remote end. When @local and @remote both
 *	name a family it must be the same.
 * @got: (out) 0 if the request was not satisfied, else the one state
 *	(SOCKMI_BOUND, SOCKMI_LISTENING or SOCKMI_CONNECTED) of the socket
 *	that replaced @fd.
 * @tcp_state: (out) that socket's TCP state (TCP_ESTABLISHED,
 *	TCP_CLOSE_WAIT, TCP_LISTEN, ... of <netinet/tcp.h>), else 0.
 * @id: (out) its id on the staging list (as `sockmictl list` shows it),
 *	else 0.
 *
 * Zero-initialise it, then set what you need: only @fd and @states are
 * mandatory. Like the revents of poll(), the (out) fields are reset by
 * every call.
 */
struct import_req {
	int fd;
	unsigned int states;
	unsigned int prefer;
	union sockmi_sockaddr local;
	union sockmi_sockaddr remote;
	unsigned int got;
	int tcp_state;
	uint64_t id;
};

/**
 * import_socket - wait for staged sockets and take them over
 * @reqs: the requests
 * @n: how many, at least 1
 * @timeout: milliseconds to wait; 0 = do not wait, negative = forever
 *
 * Like poll(): returns as soon as at least one request is satisfied, with
 * every request that could be satisfied at that moment satisfied (best
 * effort). A satisfied request's descriptor is replaced in place by the
 * imported socket, as dup3() would do: the number stays, its FD_CLOEXEC
 * flag stays as the caller set it, the old socket is closed. Requests
 * that share a descriptor are alternatives: at most one is satisfied.
 *
 * Return: the number of requests satisfied, 0 on timeout, or -1 with
 * errno set (then no descriptor was replaced, and sockmi_last_error() says
 * why). A failure after some requests were satisfied is not reported:
 * the call returns their number, and the next call meets it again.
 */
int import_socket(struct import_req *reqs, unsigned int n, int timeout);

/**
 * export_socket - freeze a TCP socket and hand it over
 * @pid: -1 (any negative): @fd is the caller's (active export); else the
 *	process owning @fd (passive export; needs CAP_SYS_PTRACE over it)
 * @fd: the socket's descriptor in that process
 * @af: AF_INET or AF_INET6, the family of @to (ignored when @to is NULL)
 * @to: NULL: the daemons choose where the socket goes; else a
 *	struct in_addr or struct in6_addr of the host to move it to. An
 *	address of this very host stages the socket here at once, for a
 *	process of this host to import_socket() it.
 *
 * From the moment this returns the socket sends, receives and acknowledges
 * nothing in its old owner; once it is taken over there, reading or
 * writing it fails with ECONNABORTED and the owner should close() it.
 * Closing it sends nothing to the peer. An imported socket can be exported
 * again.
 *
 * Return: 0, or -1 with errno set and sockmi_last_error() saying why.
 */
int export_socket(int pid, int fd, int af, const void *to);

/**
 * sockmi_strerror - what an errno of import_socket() or export_socket()
 *	means, e.g. "the SockMi kernel modules are not loaded" for ENOENT
 * @errnum: the errno
 *
 * Return: a string that stays valid and unchanged until the calling
 * thread calls sockmi_strerror() again; strerror()'s text for the errnos
 * that have no SockMi meaning.
 */
const char *sockmi_strerror(int errnum);

/**
 * sockmi_last_error - why the calling thread's last failed call failed
 *
 * The kernel's own message (its extended acknowledgement) when it gave
 * one, e.g. "CAP_SYS_PTRACE over the owner is needed", else the library's,
 * e.g. "reqs[1]: states is 0". Calls that succeed leave it as it is, as
 * they leave errno.
 *
 * Return: a string owned by the calling thread, "" before any failure.
 */
const char *sockmi_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* SOCKMI_H */
