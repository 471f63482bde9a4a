// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel side of a migration, see kernel.h.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "kernel.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static int sockmid_kernel_oom(struct sockmi_nl_error *e)
{
	memset(e, 0, sizeof(*e));
	e->err = ENOMEM;
	snprintf(e->msg, sizeof(e->msg), "out of memory");
	return -ENOMEM;
}

int sockmid_kernel_open(struct sockmid_kernel *k, struct sockmi_nl_error *e)
{
	int one = 1, fd, ret;

	k->req = k->ev = NULL;
	ret = sockmi_nl_open(&k->req, e);
	if (ret)
		return ret;
	/* A refused STAGE must not echo megabytes of checkpoint back. */
	setsockopt(sockmi_nl_fd(k->req), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	ret = sockmi_nl_open(&k->ev, e);
	if (!ret)
		ret = sockmi_nl_join(k->ev, SOCKMI_GENL_MCGRP_EVENTS, e);
	if (ret) {
		sockmid_kernel_close(k);
		return ret;
	}
	fd = sockmi_nl_fd(k->ev);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	return 0;
}

void sockmid_kernel_close(struct sockmid_kernel *k)
{
	sockmi_nl_close(k->req);
	sockmi_nl_close(k->ev);
	k->req = k->ev = NULL;
}

int sockmid_kernel_event_fd(const struct sockmid_kernel *k)
{
	return sockmi_nl_fd(k->ev);
}

struct sockmid_kernel_cb {
	int (*cb)(const struct sockmi_msg *m, void *arg);
	void *arg;
};

static int sockmid_kernel_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmid_kernel_cb *c = arg;
	struct sockmi_msg m;
	const char *why;

	/* A message this program cannot read is not a reason to stop. */
	if (sockmi_msg_parse(nlh, &m, &why))
		return 0;
	return c->cb(&m, c->arg);
}

int sockmid_kernel_events(struct sockmid_kernel *k,
			  int (*cb)(const struct sockmi_msg *m, void *arg),
			  void *arg, struct sockmi_nl_error *e)
{
	struct sockmid_kernel_cb c = { cb, arg };
	int ret;

	for (;;) {
		ret = sockmi_nl_recv_events(k->ev, sockmid_kernel_msg, &c, e);
		if (ret == -EAGAIN)
			return 0;
		if (ret)
			return ret;
	}
}

struct sockmid_fetch {
	uint8_t *buf;
	size_t len, cap;
};

static int sockmid_fetch_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmid_fetch *f = arg;
	struct nlattr *nla;
	int rem;

	if (!genlmsg_valid_hdr((struct nlmsghdr *)nlh, 0))
		return -EBADMSG;
	nla_for_each_attr(nla, genlmsg_attrdata(nlmsg_data(nlh), 0),
			  genlmsg_attrlen(nlmsg_data(nlh), 0), rem) {
		int type = nla_type(nla);
		size_t n = (size_t)NLA_ALIGN(nla->nla_len);

		if (type != SOCKMI_A_STATE && type != SOCKMI_A_CHILD &&
		    type != SOCKMI_A_CHUNK)
			continue;
		if (n > f->cap - f->len) {
			size_t cap = f->cap ? f->cap * 2 : 65536;
			uint8_t *buf;

			while (cap - f->len < n)
				cap *= 2;
			buf = realloc(f->buf, cap);
			if (!buf)
				return -ENOMEM;
			f->buf = buf;
			f->cap = cap;
		}
		memcpy(f->buf + f->len, nla, nla->nla_len);
		memset(f->buf + f->len + nla->nla_len, 0, n - nla->nla_len);
		f->len += n;
	}
	return 0;
}

int sockmid_kernel_fetch(struct sockmid_kernel *k, uint64_t id, uint8_t **blob,
			 size_t *len, struct sockmi_nl_error *e)
{
	struct sockmid_fetch f = { 0 };
	struct nl_msg *msg;
	int ret;

	msg = sockmi_nl_msg_new(k->req, SOCKMI_CMD_GET_EXPORT, NLM_F_DUMP);
	if (!msg || nla_put_u64(msg, SOCKMI_A_ID, id)) {
		nlmsg_free(msg);
		return sockmid_kernel_oom(e);
	}
	ret = sockmi_nl_request(k->req, msg, sockmid_fetch_msg, &f, e);
	nlmsg_free(msg);
	if (!ret && !f.len) {
		ret = -EBADMSG;
		e->err = EBADMSG;
		snprintf(e->msg, sizeof(e->msg),
			 "the kernel sent an empty checkpoint");
	}
	if (ret) {
		if (ret == -ENOMEM && !e->kernel)
			sockmid_kernel_oom(e);
		free(f.buf);
		return ret;
	}
	*blob = f.buf;
	*len = f.len;
	return 0;
}

int sockmid_blob_check(const uint8_t *blob, size_t len)
{
	const struct nlattr *nla;
	bool state = false;
	int rem;

	if (!len || len > SOCKMID_BLOB_MAX || len % NLA_ALIGNTO ||
	    len > INT32_MAX)
		return -EBADMSG;
	rem = (int)len;
	for (nla = (const struct nlattr *)blob; nla_ok(nla, rem);
	     nla = nla_next(nla, &rem)) {
		int type = nla_type(nla);

		if (type == SOCKMI_A_STATE) {
			if (state)
				return -EBADMSG;
			state = true;
		} else if (type != SOCKMI_A_CHILD && type != SOCKMI_A_CHUNK) {
			return -EBADMSG;
		}
	}
	return rem == 0 && state ? 0 : -EBADMSG;
}

/* Room in the socket's send buffer for one message of @len bytes. */
static void sockmid_kernel_sndbuf(struct sockmid_kernel *k, size_t len)
{
	int fd = sockmi_nl_fd(k->req), cur = 0, want;
	socklen_t sl = sizeof(cur);

	if (len > INT32_MAX / 2)
		return;
	want = (int)len + 65536;
	getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cur, &sl);
	/* The kernel reports twice what was set. */
	if (cur / 2 >= want)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof(want)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof(want));
}

struct sockmid_id_reply {
	uint64_t id;
	bool got;
};

static int sockmid_id_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmid_id_reply *r = arg;
	struct sockmi_msg m;
	const char *why;

	if (sockmi_msg_parse(nlh, &m, &why) || !sockmi_msg_has(&m, SOCKMI_A_ID))
		return -EBADMSG;
	r->id = m.id;
	r->got = true;
	return 0;
}

int sockmid_kernel_stage(struct sockmid_kernel *k, const uint8_t *blob,
			 size_t len, uint64_t *stage_id,
			 struct sockmi_nl_error *e)
{
	struct sockmid_id_reply r = { 0 };
	struct nl_msg *msg;
	void *dst;
	int ret;

	msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN + len + 64);
	if (!msg)
		return sockmid_kernel_oom(e);
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ,
			 sockmi_nl_family_id(k->req), 0, NLM_F_ACK,
			 SOCKMI_CMD_STAGE, SOCKMI_GENL_VERSION) ||
	    !(dst = nlmsg_reserve(msg, len, NLA_ALIGNTO)) ||
	    (memcpy(dst, blob, len),
	     nla_put_u32(msg, SOCKMI_A_FLAGS, SOCKMI_STAGE_F_PENDING))) {
		nlmsg_free(msg);
		return sockmid_kernel_oom(e);
	}
	sockmid_kernel_sndbuf(k, nlmsg_hdr(msg)->nlmsg_len);
	ret = sockmi_nl_request(k->req, msg, sockmid_id_msg, &r, e);
	nlmsg_free(msg);
	if (!ret && !r.got) {
		memset(e, 0, sizeof(*e));
		e->err = EBADMSG;
		snprintf(e->msg, sizeof(e->msg),
			 "the kernel staged the socket but sent no id");
		return -EBADMSG;
	}
	if (!ret)
		*stage_id = r.id;
	return ret;
}

int sockmid_kernel_by_id(struct sockmid_kernel *k, uint8_t cmd, uint64_t id,
			 struct sockmi_nl_error *e)
{
	struct nl_msg *msg = sockmi_nl_msg_new(k->req, cmd, 0);
	int ret;

	if (!msg || nla_put_u64(msg, SOCKMI_A_ID, id)) {
		nlmsg_free(msg);
		return sockmid_kernel_oom(e);
	}
	ret = sockmi_nl_request(k->req, msg, NULL, NULL, e);
	nlmsg_free(msg);
	return ret;
}

static int sockmid_put_tuple(struct nl_msg *msg, int type,
			     const struct sockmi_tuple *t)
{
	struct nlattr *nest = sockmi_nest_start(msg, type);
	int alen = (int)sockmi_addr_len(t->family);
	const void *l = t->family == AF_INET ? (const void *)&t->local.in :
					       (const void *)&t->local.in6;
	const void *r = t->family == AF_INET ? (const void *)&t->remote.in :
					       (const void *)&t->remote.in6;

	if (!nest || nla_put_u16(msg, SOCKMI_TUPLE_A_FAMILY, t->family) ||
	    nla_put(msg, SOCKMI_TUPLE_A_LOCAL_ADDR, alen, l) ||
	    nla_put_u16(msg, SOCKMI_TUPLE_A_LOCAL_PORT, t->local.port) ||
	    (t->has_remote &&
	     (nla_put(msg, SOCKMI_TUPLE_A_REMOTE_ADDR, alen, r) ||
	      nla_put_u16(msg, SOCKMI_TUPLE_A_REMOTE_PORT, t->remote.port))))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int sockmid_put_flow(struct nl_msg *msg, const struct sockmi_tuple *t,
			    int action, const struct sockmi_addr *via)
{
	struct nlattr *nest = sockmi_nest_start(msg, SOCKMI_A_FLOW);

	if (!nest || sockmid_put_tuple(msg, SOCKMI_FLOW_A_TUPLE, t) ||
	    (action >= 0 &&
	     nla_put_u8(msg, SOCKMI_FLOW_A_ACTION, (uint8_t)action)) ||
	    (via && sockmi_put_addr(msg, SOCKMI_FLOW_A_VIA, via)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

int sockmid_kernel_commit_flow(struct sockmid_kernel *k, uint64_t id,
			       const struct sockmi_tuple *t, uint8_t action,
			       const struct sockmi_addr *via,
			       struct sockmi_nl_error *e)
{
	struct nl_msg *msg = sockmi_nl_msg_new(k->req, SOCKMI_CMD_COMMIT, 0);
	int ret;

	if (!msg || nla_put_u64(msg, SOCKMI_A_ID, id) ||
	    sockmid_put_flow(msg, t, action, via)) {
		nlmsg_free(msg);
		return sockmid_kernel_oom(e);
	}
	ret = sockmi_nl_request(k->req, msg, NULL, NULL, e);
	nlmsg_free(msg);
	return ret;
}

int sockmid_kernel_flow(struct sockmid_kernel *k, uint8_t cmd,
			const struct sockmi_tuple *t, int action,
			const struct sockmi_addr *via, uint32_t flags,
			struct sockmi_nl_error *e)
{
	struct nl_msg *msg = sockmi_nl_msg_new(k->req, cmd, 0);
	int ret;

	if (!msg || sockmid_put_flow(msg, t, action, via) ||
	    (flags && nla_put_u32(msg, SOCKMI_A_FLAGS, flags))) {
		nlmsg_free(msg);
		return sockmid_kernel_oom(e);
	}
	ret = sockmi_nl_request(k->req, msg, NULL, NULL, e);
	nlmsg_free(msg);
	return ret;
}

struct sockmid_flow_find {
	const struct sockmi_tuple *t;
	struct sockmi_flow *out;
	bool found;
};

static bool sockmid_addr_same(const struct sockmi_addr *a,
			      const struct sockmi_addr *b)
{
	if (a->family != b->family || a->port != b->port)
		return false;
	return a->family == AF_INET ? !memcmp(&a->in, &b->in, sizeof(a->in)) :
				      !memcmp(&a->in6, &b->in6, sizeof(a->in6));
}

static int sockmid_flow_find_cb(const struct sockmi_msg *m, void *arg)
{
	struct sockmid_flow_find *f = arg;
	const struct sockmi_flow *fl = &m->flow;

	/* Holds are listed too; an xt_SOCKMI flow wins over a hold. */
	if (!sockmi_msg_has(m, SOCKMI_A_FLOW) || !fl->tuple.has_remote ||
	    fl->tuple.family != f->t->family ||
	    !sockmid_addr_same(&fl->tuple.local, &f->t->local) ||
	    !sockmid_addr_same(&fl->tuple.remote, &f->t->remote))
		return 0;
	if (!f->found || fl->action != SOCKMI_FLOW_HOLD) {
		*f->out = *fl;
		f->found = true;
	}
	return 0;
}

int sockmid_kernel_flows(struct sockmid_kernel *k,
			 int (*cb)(const struct sockmi_msg *m, void *arg),
			 void *arg, struct sockmi_nl_error *e)
{
	struct sockmid_kernel_cb c = { cb, arg };
	struct nl_msg *msg;
	int ret;

	msg = sockmi_nl_msg_new(k->req, SOCKMI_CMD_GET_FLOW, NLM_F_DUMP);
	if (!msg)
		return sockmid_kernel_oom(e);
	ret = sockmi_nl_request(k->req, msg, sockmid_kernel_msg, &c, e);
	nlmsg_free(msg);
	return ret;
}

int sockmid_kernel_flow_get(struct sockmid_kernel *k,
			    const struct sockmi_tuple *t,
			    struct sockmi_flow *flow, struct sockmi_nl_error *e)
{
	struct sockmid_flow_find f = { .t = t, .out = flow };
	int ret;

	ret = sockmid_kernel_flows(k, sockmid_flow_find_cb, &f, e);
	if (!ret && !f.found) {
		memset(e, 0, sizeof(*e));
		e->err = ENOENT;
		snprintf(e->msg, sizeof(e->msg), "no flow for the connection");
		return -ENOENT;
	}
	return ret;
}

int sockmid_kernel_staged(struct sockmid_kernel *k,
			  int (*cb)(const struct sockmi_msg *m, void *arg),
			  void *arg, struct sockmi_nl_error *e)
{
	struct sockmid_kernel_cb c = { cb, arg };
	struct nl_msg *msg;
	int ret;

	msg = sockmi_nl_msg_new(k->req, SOCKMI_CMD_GET_STAGED, NLM_F_DUMP);
	if (!msg)
		return sockmid_kernel_oom(e);
	ret = sockmi_nl_request(k->req, msg, sockmid_kernel_msg, &c, e);
	nlmsg_free(msg);
	return ret;
}
