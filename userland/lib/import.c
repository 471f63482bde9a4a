// SPDX-License-Identifier: GPL-2.0
/*
 * import_socket(): wait for staged sockets that match and take them over.
 *
 * One call is a loop of rounds. A round tries SOCKMI_CMD_IMPORT once for
 * every request and every state it accepts, preferred state first; the
 * kernel installs a matching socket as a new descriptor of ours, which
 * then replaces the request's descriptor with dup3(). When a round takes
 * nothing, the call waits for SOCKMI_CMD_STAGE_NOTIFY on the "events" group
 * and tries again. The group is joined before the round that precedes the
 * first wait, so no socket staged in between is missed. Requests and events
 * use two netlink sockets: a request's replies must not swallow events.
 */

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <netlink/attr.h>

#include "internal.h"

#define SOCKMI_EXPORT __attribute__((visibility("default")))

/* The states of a request, in the order they are tried without prefer. */
static const unsigned int sockmi_lib_states[] = {
	SOCKMI_BOUND, SOCKMI_LISTENING, SOCKMI_CONNECTED,
};

#define SOCKMI_LIB_NSTATES \
	(sizeof(sockmi_lib_states) / sizeof(sockmi_lib_states[0]))

_Static_assert(SOCKMI_BOUND == SOCKMI_STATE_BOUND &&
	       SOCKMI_LISTENING == SOCKMI_STATE_LISTEN &&
	       SOCKMI_CONNECTED == SOCKMI_STATE_CONNECTED,
	       "<sockmi.h> and <linux/sockmi.h> disagree on the states");

/* One call of import_socket(). */
struct sockmi_lib_import {
	struct sockmi_nl *nl;		/* requests */
	struct sockmi_nl *events;	/* STAGE_NOTIFY, once waiting */
	struct sockmi_nl_error err;	/* the first failure of a round */
	int err_req;			/* its request */
};

int sockmi_lib_addr_from_sockaddr(const union sockmi_sockaddr *sa,
				  struct sockmi_addr *addr)
{
	memset(addr, 0, sizeof(*addr));
	addr->family = sa->sa.sa_family;
	if (sa->sa.sa_family == AF_INET) {
		addr->in = sa->sin.sin_addr;
		addr->port = ntohs(sa->sin.sin_port);
	} else if (sa->sa.sa_family == AF_INET6) {
		addr->in6 = sa->sin6.sin6_addr;
		addr->port = ntohs(sa->sin6.sin6_port);
	} else {
		return -1;
	}
	addr->has_port = addr->port != 0;
	return 0;
}

static bool sockmi_lib_addr_is_any(const struct sockmi_addr *addr)
{
	if (addr->family == AF_INET)
		return addr->in.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&addr->in6);
}

/* Check one request; on error the thread's last error says why. */
static int sockmi_lib_check(const struct import_req *reqs, unsigned int i)
{
	const struct import_req *r = &reqs[i];
	int type, listening, fl = r->fd < 0 ? -1 : fcntl(r->fd, F_GETFD);
	sa_family_t lf = r->local.sa.sa_family, rf = r->remote.sa.sa_family;
	socklen_t len = sizeof(type);
	union sockmi_sockaddr peer;

	if (fl < 0)
		return sockmi_lib_fail(EBADF, "reqs[%u]: fd %d is not open",
				       i, r->fd);
	if (getsockopt(r->fd, SOL_SOCKET, SO_TYPE, &type, &len))
		return sockmi_lib_fail(errno == ENOTSOCK ? ENOTSOCK : errno,
				       "reqs[%u]: fd %d is not a socket", i,
				       r->fd);
	len = sizeof(listening);
	if (!getsockopt(r->fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) &&
	    listening)
		return sockmi_lib_fail(EINVAL,
				       "reqs[%u]: fd %d is a listening socket, which would be closed",
				       i, r->fd);
	len = sizeof(peer);
	if (!getpeername(r->fd, &peer.sa, &len))
		return sockmi_lib_fail(EISCONN,
				       "reqs[%u]: fd %d is connected, and would be closed",
				       i, r->fd);
	if (!r->states || (r->states & ~SOCKMI_ANY_STATE))
		return sockmi_lib_fail(EINVAL,
				       "reqs[%u]: states 0x%x: a nonzero mask of SOCKMI_BOUND, SOCKMI_LISTENING and SOCKMI_CONNECTED expected",
				       i, r->states);
	if (r->prefer && ((r->prefer & (r->prefer - 1)) ||
			  !(r->prefer & r->states)))
		return sockmi_lib_fail(EINVAL,
				       "reqs[%u]: prefer 0x%x is not one of the states 0x%x",
				       i, r->prefer, r->states);
	if (lf != AF_UNSPEC && lf != AF_INET && lf != AF_INET6)
		return sockmi_lib_fail(EAFNOSUPPORT,
				       "reqs[%u]: local address of family %u: AF_UNSPEC, AF_INET or AF_INET6 expected",
				       i, lf);
	if (rf != AF_UNSPEC && rf != AF_INET && rf != AF_INET6)
		return sockmi_lib_fail(EAFNOSUPPORT,
				       "reqs[%u]: remote address of family %u: AF_UNSPEC, AF_INET or AF_INET6 expected",
				       i, rf);
	if (lf != AF_UNSPEC && rf != AF_UNSPEC && lf != rf)
		return sockmi_lib_fail(EINVAL,
				       "reqs[%u]: local and remote addresses of different families",
				       i);
	return 0;
}

/* Add the criteria of @r for @state to an IMPORT request. */
static int sockmi_lib_put_match(struct nl_msg *msg, const struct import_req *r,
				unsigned int state)
{
	struct sockmi_addr local, remote;
	struct nlattr *nest;
	bool has_local = !sockmi_lib_addr_from_sockaddr(&r->local, &local);
	bool has_remote = !sockmi_lib_addr_from_sockaddr(&r->remote, &remote);
	sa_family_t family = has_local ? local.family :
			     has_remote ? remote.family : AF_UNSPEC;
	size_t alen = sockmi_addr_len(family);

	nest = sockmi_nest_start(msg, SOCKMI_A_MATCH);
	if (!nest || nla_put_u32(msg, SOCKMI_MATCH_A_STATES, state))
		return -EMSGSIZE;
	if (family != AF_UNSPEC &&
	    nla_put_u16(msg, SOCKMI_MATCH_A_FAMILY, family))
		return -EMSGSIZE;
	if (has_local && !sockmi_lib_addr_is_any(&local) &&
	    nla_put(msg, SOCKMI_MATCH_A_LOCAL_ADDR, (int)alen, &local.in6))
		return -EMSGSIZE;
	if (has_local && local.has_port &&
	    nla_put_u16(msg, SOCKMI_MATCH_A_LOCAL_PORT, local.port))
		return -EMSGSIZE;
	if (has_remote && !sockmi_lib_addr_is_any(&remote) &&
	    nla_put(msg, SOCKMI_MATCH_A_REMOTE_ADDR, (int)alen, &remote.in6))
		return -EMSGSIZE;
	if (has_remote && remote.has_port &&
	    nla_put_u16(msg, SOCKMI_MATCH_A_REMOTE_PORT, remote.port))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

struct sockmi_lib_import_reply {
	struct sockmi_msg m;
	const char *why;
};

static int sockmi_lib_import_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmi_lib_import_reply *r = arg;

	return sockmi_msg_parse(nlh, &r->m, &r->why);
}

/*
 * Export to @to; if the kernel did not stage the socket here (@to is no
 * address of this host), abort the export, which gives it back to @fd.
 */
static int sockmi_lib_export_here(struct sockmi_nl *nl, int fd,
				  const struct sockmi_addr *to)
{
	struct sockmi_nl_error e;
	struct sockmi_msg reply;
	struct nl_msg *msg;
	int ret;

	ret = sockmi_lib_export(nl, 0, (uint32_t)fd, to, &reply, &e);
	if (ret)
		return ret;
	/* A hand-over inside this host is over when EXPORT returns. */
	msg = sockmi_nl_msg_new(nl, SOCKMI_CMD_ABORT, 0);
	if (!msg || nla_put_u64(msg, SOCKMI_A_ID, reply.id)) {
		nlmsg_free(msg);
		return -ENOMEM;
	}
	ret = sockmi_nl_request(nl, msg, NULL, NULL, &e);
	nlmsg_free(msg);
	if (ret == -ENOENT)
		return 0;
	return ret ? ret : -EADDRNOTAVAIL;
}

int sockmi_lib_restage(struct sockmi_nl *nl, int fd)
{
	union sockmi_sockaddr sa;
	struct sockmi_addr here;
	socklen_t len = sizeof(sa);
	int ret;

	if (getsockname(fd, &sa.sa, &len))
		return -errno;
	if (sockmi_lib_addr_from_sockaddr(&sa, &here))
		return -EAFNOSUPPORT;
	here.has_port = false;
	ret = sockmi_lib_export_here(nl, fd, &here);
	if (ret != -EADDRNOTAVAIL)
		return ret;
	/* It answers as another host (redirection): try the loopback. */
	memset(&here.in6, 0, sizeof(here.in6));
	if (here.family == AF_INET)
		here.in.s_addr = htonl(INADDR_LOOPBACK);
	else
		here.in6 = in6addr_loopback;
	return sockmi_lib_export_here(nl, fd, &here);
}

/* dup3() @fd onto the request's descriptor, keeping its FD_CLOEXEC. */
static int sockmi_lib_replace(struct sockmi_lib_import *ctx,
			      struct import_req *r, int fd)
{
	int fl, ret, tries;

	for (tries = 0; tries < 100; tries++) {
		fl = fcntl(r->fd, F_GETFD);
		if (fl < 0)
			break;
		ret = dup3(fd, r->fd, (fl & FD_CLOEXEC) ? O_CLOEXEC : 0);
		if (ret >= 0) {
			close(fd);
			return 0;
		}
		/* EBUSY: racing with an open() of another thread. */
		if (errno != EBUSY && errno != EINTR)
			break;
	}
	ret = errno;
	sockmi_lib_restage(ctx->nl, fd);
	close(fd);
	return -ret;
}

/*
 * Try to satisfy one request.
 * Return: 1 if it is, 0 if nothing matches, or a negative errno (ctx->err).
 */
static int sockmi_lib_import_one(struct sockmi_lib_import *ctx,
				 struct import_req *r)
{
	unsigned int order[SOCKMI_LIB_NSTATES + 1], n = 0, i;
	struct sockmi_lib_import_reply reply;
	struct nl_msg *msg;
	int ret;

	if (r->prefer)
		order[n++] = r->prefer;
	for (i = 0; i < SOCKMI_LIB_NSTATES; i++)
		if ((r->states & sockmi_lib_states[i]) &&
		    sockmi_lib_states[i] != r->prefer)
			order[n++] = sockmi_lib_states[i];

	for (i = 0; i < n; i++) {
		memset(&reply, 0, sizeof(reply));
		msg = sockmi_nl_msg_new(ctx->nl, SOCKMI_CMD_IMPORT, 0);
		if (!msg || sockmi_lib_put_match(msg, r, order[i]) ||
		    nla_put_u32(msg, SOCKMI_A_FLAGS, SOCKMI_IMPORT_F_CLOEXEC)) {
			nlmsg_free(msg);
			memset(&ctx->err, 0, sizeof(ctx->err));
			ctx->err.err = ENOMEM;
			snprintf(ctx->err.msg, sizeof(ctx->err.msg),
				 "out of memory");
			return -ENOMEM;
		}
		ret = sockmi_nl_request(ctx->nl, msg, sockmi_lib_import_msg,
					&reply, &ctx->err);
		nlmsg_free(msg);
		if (ret == -EAGAIN && ctx->err.kernel)
			continue;	/* nothing of this state matches */
		if (!ret && !sockmi_msg_has(&reply.m, SOCKMI_A_FD)) {
			ctx->err.err = EBADMSG;
			reply.why = "no descriptor (SOCKMI_A_FD)";
			ret = -EBADMSG;
		}
		if (ret && !ctx->err.kernel && reply.why)
			snprintf(ctx->err.msg, sizeof(ctx->err.msg),
				 "malformed reply from the kernel: %s",
				 reply.why);
		if (ret)
			return ret;

		ret = sockmi_lib_replace(ctx, r, (int)reply.m.fd);
		if (ret) {
			memset(&ctx->err, 0, sizeof(ctx->err));
			ctx->err.err = -ret;
			snprintf(ctx->err.msg, sizeof(ctx->err.msg),
				 "fd %d: cannot replace it: %s; the socket was staged again",
				 r->fd, strerror(-ret));
			return ret;
		}
		r->got = order[i];
		r->tcp_state = sockmi_msg_has(&reply.m, SOCKMI_A_TCP_STATE) ?
			       reply.m.tcp_state : 0;
		r->id = reply.m.id;
		return 1;
	}
	return 0;
}

/* Is @fd the descriptor of a request before @i that is satisfied? */
static bool sockmi_lib_fd_taken(const struct import_req *reqs, unsigned int i)
{
	unsigned int j;

	for (j = 0; j < i; j++)
		if (reqs[j].got && reqs[j].fd == reqs[i].fd)
			return true;
	return false;
}

/*
 * Try every request once, best effort: a failing request does not keep the
 * others from being tried. Return: how many were satisfied, or the first
 * failure as a negative errno (then ctx->err says why).
 */
static int sockmi_lib_round(struct sockmi_lib_import *ctx,
			    struct import_req *reqs, unsigned int n)
{
	struct sockmi_nl_error first_err;
	int count = 0, first = 0, ret;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (reqs[i].got || sockmi_lib_fd_taken(reqs, i))
			continue;
		ret = sockmi_lib_import_one(ctx, &reqs[i]);
		if (ret > 0) {
			count++;
		} else if (ret < 0 && !first) {
			first = ret;
			first_err = ctx->err;
			ctx->err_req = (int)i;
		}
	}
	if (count)
		return count;
	if (first)
		ctx->err = first_err;
	return first;
}

static int64_t sockmi_lib_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct sockmi_lib_wake {
	bool staged;
};

static int sockmi_lib_event(const struct nlmsghdr *nlh, void *arg)
{
	const struct genlmsghdr *g = nlmsg_data(nlh);
	struct sockmi_lib_wake *w = arg;

	if (nlh->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN) &&
	    g->cmd == SOCKMI_CMD_STAGE_NOTIFY)
		w->staged = true;
	return 0;
}

/* Subscribe to the events: a second socket, non-blocking. */
static int sockmi_lib_subscribe(struct sockmi_lib_import *ctx)
{
	int fd, fl;

	if (sockmi_nl_open(&ctx->events, &ctx->err) ||
	    sockmi_nl_join(ctx->events, SOCKMI_GENL_MCGRP_EVENTS, &ctx->err))
		return -ctx->err.err;
	fd = sockmi_nl_fd(ctx->events);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK)) {
		memset(&ctx->err, 0, sizeof(ctx->err));
		ctx->err.err = errno;
		snprintf(ctx->err.msg, sizeof(ctx->err.msg),
			 "cannot make the event socket non-blocking: %s",
			 strerror(errno));
		return -ctx->err.err;
	}
	return 0;
}

/*
 * Wait for a socket to be staged, at most until @deadline (-1: forever).
 * Return: 1 staged (or events were lost: maybe), 0 timeout, -errno.
 */
static int sockmi_lib_wait(struct sockmi_lib_import *ctx, int64_t deadline)
{
	struct sockmi_lib_wake w = { false };
	struct pollfd pfd = {
		.fd = sockmi_nl_fd(ctx->events),
		.events = POLLIN,
	};
	int ret;

	while (!w.staged) {
		int64_t left = -1;

		if (deadline >= 0) {
			left = deadline - sockmi_lib_now_ms();
			if (left <= 0)
				return 0;
		}
		ret = poll(&pfd, 1, left > INT32_MAX ? INT32_MAX : (int)left);
		if (ret < 0) {
			memset(&ctx->err, 0, sizeof(ctx->err));
			ctx->err.err = errno;
			snprintf(ctx->err.msg, sizeof(ctx->err.msg),
				 "waiting for a staged socket: %s",
				 strerror(errno));
			return -ctx->err.err;
		}
		if (!ret)
			continue;	/* the deadline is checked above */
		for (;;) {
			ret = sockmi_nl_recv_events(ctx->events,
						    sockmi_lib_event, &w,
						    &ctx->err);
			if (ret == -EAGAIN)
				break;
			if (ret == -ENOBUFS) {	/* lost some: try anyway */
				w.staged = true;
				continue;
			}
			if (ret)
				return ret;
		}
	}
	return 1;
}

SOCKMI_EXPORT int import_socket(struct import_req *reqs, unsigned int n,
				int timeout)
{
	struct sockmi_lib_import ctx = { .err_req = -1 };
	int64_t deadline = -1;
	unsigned int i;
	int ret;

	if (!n || !reqs)
		return sockmi_lib_fail(EINVAL,
				       "no requests: reqs is NULL or n is 0");
	for (i = 0; i < n; i++) {
		reqs[i].got = 0;
		reqs[i].tcp_state = 0;
		reqs[i].id = 0;
	}
	for (i = 0; i < n; i++)
		if (sockmi_lib_check(reqs, i))
			return -1;
	if (timeout > 0)
		deadline = sockmi_lib_now_ms() + timeout;

	if (sockmi_nl_open(&ctx.nl, &ctx.err))
		return sockmi_lib_fail_nl(&ctx.err);
	for (;;) {
		ret = sockmi_lib_round(&ctx, reqs, n);
		if (ret || !timeout)
			break;
		if (!ctx.events) {
			/* Subscribe, then one more round: nothing is missed. */
			ret = sockmi_lib_subscribe(&ctx);
			if (ret)
				break;
			continue;
		}
		ret = sockmi_lib_wait(&ctx, deadline);
		if (ret <= 0)
			break;
	}
	sockmi_nl_close(ctx.events);
	sockmi_nl_close(ctx.nl);
	if (ret < 0) {
		char text[SOCKMI_LIB_ERRLEN];

		sockmi_lib_error_text(&ctx.err, text, sizeof(text));
		if (ctx.err_req >= 0 && n > 1)
			return sockmi_lib_fail(-ret, "reqs[%d]: %s",
					       ctx.err_req, text);
		return sockmi_lib_fail(-ret, "%s", text);
	}
	return ret;
}
