// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink requests with extended-ack error reporting, see nl.h.
 *
 * libnl builds the messages and owns the socket; receiving is done here so
 * that the kernel's errno and extack attributes reach the caller untouched
 * (libnl's receive path folds errnos into its own codes and drops extacks).
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockmi.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "nl.h"
#include "proto.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* Large enough for a dump message of the kernel's preferred size. */
#define SOCKMI_NL_BUFLEN 32768

struct sockmi_nl {
	struct nl_sock *sk;
	char family_name[GENL_NAMSIZ];
	uint16_t family;
	uint8_t version;
	uint32_t portid;
	const struct sockmi_nl_attr_set *attrs;
	unsigned char *buf;
	size_t buflen;
};

__attribute__((format(printf, 3, 4)))
static int sockmi_nl_fail(struct sockmi_nl_error *e, int err,
			  const char *fmt, ...)
{
	memset(e, 0, sizeof(*e));
	e->err = err;
	if (fmt) {
		va_list ap;

		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return -err;
}

/* Append to a NUL-terminated string in a buffer, truncating quietly. */
__attribute__((format(printf, 3, 4)))
static void sockmi_nl_append(char *buf, size_t len, const char *fmt, ...)
{
	size_t used = strnlen(buf, len);
	va_list ap;

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void sockmi_nl_append_name(char *buf, size_t len,
				  const struct sockmi_nl_attr_set *set,
				  unsigned int type)
{
	const char *sep = buf[0] ? "/" : "";

	if (set && type <= set->max && set->names[type])
		sockmi_nl_append(buf, len, "%s%s", sep, set->names[type]);
	else
		sockmi_nl_append(buf, len, "%s#%u", sep, type);
}

static const struct sockmi_nl_attr_set *
sockmi_nl_nested(const struct sockmi_nl_attr_set *set, unsigned int type)
{
	if (!set || !set->nested || type > set->max)
		return NULL;
	return set->nested[type];
}

/*
 * Find the attribute that starts at byte @off of the message at @base among
 * the @len bytes of attributes at @start, which belong to space @set. Append
 * its path to @buf and store the space of its contents in @inner.
 */
static int sockmi_nl_attr_path(const unsigned char *base,
			       const struct nlattr *start, int len,
			       const struct sockmi_nl_attr_set *set,
			       size_t off, char *buf, size_t buflen,
			       const struct sockmi_nl_attr_set **inner)
{
	const struct nlattr *nla = start;
	int rem = len;

	while (nla_ok(nla, rem)) {
		size_t pos = (size_t)((const unsigned char *)nla - base);
		unsigned int type = (unsigned int)nla_type(nla);
		const struct sockmi_nl_attr_set *sub;

		if (off < pos || off >= pos + nla->nla_len) {
			nla = nla_next(nla, &rem);
			continue;
		}
		sockmi_nl_append_name(buf, buflen, set, type);
		sub = sockmi_nl_nested(set, type);
		if (off == pos || (!sub && !(nla->nla_type & NLA_F_NESTED))) {
			*inner = sub;
			return 0;
		}
		/* Inside this nest: go down. */
		set = sub;
		rem = nla_len(nla);
		nla = nla_data(nla);
	}
	return -1;
}

/* The attributes of a request: after its nlmsghdr and genlmsghdr. */
static int sockmi_nl_req_path(const struct nlmsghdr *req,
			      const struct sockmi_nl_attr_set *attrs,
			      uint32_t off, char *buf, size_t buflen,
			      const struct sockmi_nl_attr_set **inner)
{
	const unsigned char *base = (const unsigned char *)req;
	size_t hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (req->nlmsg_len < hdr || off < hdr || off >= req->nlmsg_len)
		return -1;
	return sockmi_nl_attr_path(base, (const struct nlattr *)(base + hdr),
				   (int)(req->nlmsg_len - hdr), attrs, off,
				   buf, buflen, inner);
}

/* Decode the extended-ack TLVs after an error or a done message. */
static void sockmi_nl_parse_tlvs(const unsigned char *tlvs, int len,
				 const struct nlmsghdr *req,
				 const struct sockmi_nl_attr_set *attrs,
				 struct sockmi_nl_error *e)
{
	const struct nlattr *msg = NULL, *offs = NULL, *miss = NULL;
	const struct nlattr *miss_nest = NULL, *nla;
	const struct sockmi_nl_attr_set *inner = NULL;
	int rem = len;

	for (nla = (const struct nlattr *)tlvs; nla_ok(nla, rem);
	     nla = nla_next(nla, &rem)) {
		switch (nla_type(nla)) {
		case NLMSGERR_ATTR_MSG:
			msg = nla;
			break;
		case NLMSGERR_ATTR_OFFS:
			offs = nla_len(nla) == sizeof(uint32_t) ? nla : NULL;
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			miss = nla_len(nla) == sizeof(uint32_t) ? nla : NULL;
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			miss_nest = nla_len(nla) == sizeof(uint32_t) ? nla : NULL;
			break;
		default:
			break;
		}
	}

	if (msg) {
		size_t n = strnlen(nla_data(msg), (size_t)nla_len(msg));

		if (n >= sizeof(e->msg))
			n = sizeof(e->msg) - 1;
		memcpy(e->msg, nla_data(msg), n);
		e->msg[n] = '\0';
	}

	if (miss) {
		const struct sockmi_nl_attr_set *set = attrs;

		e->missing = true;
		if (miss_nest) {
			set = NULL;
			if (!req || sockmi_nl_req_path(req, attrs,
						       nla_get_u32(miss_nest),
						       e->attr, sizeof(e->attr),
						       &set)) {
				e->attr[0] = '\0';
				sockmi_nl_append(e->attr, sizeof(e->attr),
						 "(a nest)");
			}
		}
		sockmi_nl_append_name(e->attr, sizeof(e->attr), set,
				      nla_get_u32(miss));
	} else if (offs && req) {
		if (sockmi_nl_req_path(req, attrs, nla_get_u32(offs), e->attr,
				       sizeof(e->attr), &inner))
			e->attr[0] = '\0';
	}
}

int sockmi_nl_parse_error(const struct nlmsghdr *nlh,
			  const struct sockmi_nl_attr_set *attrs,
			  struct sockmi_nl_error *e)
{
	const unsigned char *data = NLMSG_DATA(nlh);
	const struct nlmsghdr *req = NULL;
	size_t hlen;
	int error;

	memset(e, 0, sizeof(*e));
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *err = NLMSG_DATA(nlh);

		if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*err)))
			goto bad;
		error = err->error;
		hlen = sizeof(*err);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED) && error) {
			/* The whole request is echoed back. */
			hlen = sizeof(err->error) +
			       NLMSG_ALIGN(err->msg.nlmsg_len);
			if (err->msg.nlmsg_len < NLMSG_HDRLEN ||
			    nlh->nlmsg_len < NLMSG_LENGTH(hlen))
				goto bad;
			req = &err->msg;
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		error = 0;
		hlen = 0;
		if (nlh->nlmsg_len >= NLMSG_LENGTH(sizeof(error))) {
			memcpy(&error, data, sizeof(error));
			hlen = NLMSG_ALIGN(sizeof(error));
		}
	} else {
		goto bad;
	}

	e->kernel = true;
	e->err = error < 0 ? -error : error;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    nlh->nlmsg_len > NLMSG_LENGTH(hlen))
		sockmi_nl_parse_tlvs(data + hlen,
				     (int)(nlh->nlmsg_len - NLMSG_LENGTH(hlen)),
				     req, attrs, e);
	return 0;

bad:
	return sockmi_nl_fail(e, EBADMSG,
			      "malformed netlink error message from the kernel");
}

const char *sockmi_nl_strerror(const struct sockmi_nl_error *e, char *buf,
			       size_t len)
{
	char tmp[128];
	const char *err = e->err ? strerror_r(e->err, tmp, sizeof(tmp)) : NULL;

	if (!err)
		snprintf(buf, len, "%s", e->msg);
	else if (!e->kernel)
		snprintf(buf, len, "%s", e->msg[0] ? e->msg : err);
	else if (e->msg[0])
		snprintf(buf, len, "%s: %s", err, e->msg);
	else if (e->attr[0])
		snprintf(buf, len, "%s: %s attribute %s", err,
			 e->missing ? "missing" : "invalid", e->attr);
	else
		snprintf(buf, len, "%s", err);
	return buf;
}

static ssize_t sockmi_nl_recv_fail(struct sockmi_nl_error *e, int err)
{
	if (err == EAGAIN)
		return sockmi_nl_fail(e, EAGAIN, NULL);
	if (err == ENOBUFS)
		return sockmi_nl_fail(e, ENOBUFS,
				      "messages from the kernel were lost: receive buffer overflow");
	return sockmi_nl_fail(e, err, "cannot receive from the kernel: %s",
			      strerror(err));
}

/* Receive one datagram from the kernel into nl->buf. */
static ssize_t sockmi_nl_recv(struct sockmi_nl *nl, struct sockmi_nl_error *e)
{
	int fd = nl_socket_get_fd(nl->sk);
	struct sockaddr_nl sa = { 0 };
	socklen_t salen;

	for (;;) {
		/* The size of the next datagram, to make room for it. */
		ssize_t n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sockmi_nl_recv_fail(e, errno);
		if ((size_t)n > nl->buflen) {
			unsigned char *buf = realloc(nl->buf, (size_t)n);

			if (!buf)
				return sockmi_nl_fail(e, ENOMEM, "out of memory");
			nl->buf = buf;
			nl->buflen = (size_t)n;
		}

		salen = sizeof(sa);
		n = recvfrom(fd, nl->buf, nl->buflen, 0, (struct sockaddr *)&sa,
			     &salen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sockmi_nl_recv_fail(e, errno);
		/* Only the kernel (port 0) speaks to us. */
		if (salen == sizeof(sa) && sa.nl_pid == 0 && n > 0)
			return n;
	}
}

static int sockmi_nl_send(struct sockmi_nl *nl, struct nl_msg *msg,
			  struct sockmi_nl_error *e)
{
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	ssize_t n;

	nl_complete_msg(nl->sk, msg);
	do {
		n = sendto(nl_socket_get_fd(nl->sk), nlh, nlh->nlmsg_len, 0,
			   (struct sockaddr *)&kernel, sizeof(kernel));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return sockmi_nl_fail(e, errno, "cannot send to the kernel: %s",
				      strerror(errno));
	return 0;
}

int sockmi_nl_request(struct sockmi_nl *nl, struct nl_msg *msg,
		      sockmi_nl_reply_cb cb, void *arg,
		      struct sockmi_nl_error *e)
{
	const struct sockmi_nl_attr_set *attrs = NULL;
	const struct nlmsghdr *nlh;
	bool intr = false;
	int cb_err = 0, ret;
	uint32_t seq;

	memset(e, 0, sizeof(*e));
	ret = sockmi_nl_send(nl, msg, e);
	if (ret)
		return ret;
	seq = nlmsg_hdr(msg)->nlmsg_seq;
	/* Our family's attributes have names; the controller's do not. */
	if (nlmsg_hdr(msg)->nlmsg_type == nl->family)
		attrs = nl->attrs;

	for (;;) {
		ssize_t len = sockmi_nl_recv(nl, e);

		if (len < 0)
			return (int)len;
		for (nlh = (const struct nlmsghdr *)nl->buf; NLMSG_OK(nlh, len);
		     nlh = NLMSG_NEXT(nlh, len)) {
			if (nlh->nlmsg_seq != seq || nlh->nlmsg_pid != nl->portid)
				continue;	/* an event, or stale */
			if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
				intr = true;
			switch (nlh->nlmsg_type) {
			case NLMSG_NOOP:
				break;
			case NLMSG_OVERRUN:
				return sockmi_nl_fail(e, EOVERFLOW,
						      "netlink overrun");
			case NLMSG_ERROR:
			case NLMSG_DONE:
				ret = sockmi_nl_parse_error(nlh, attrs, e);
				if (ret)
					return ret;
				if (e->err)
					return -e->err;
				if (cb_err)
					return sockmi_nl_fail(e, -cb_err, NULL);
				if (intr)
					return sockmi_nl_fail(e, EINTR,
							      "the data changed while it was dumped; try again");
				return 0;
			default:
				if (cb && !cb_err) {
					ret = cb(nlh, arg);
					cb_err = ret < 0 ? ret : 0;
				}
				break;
			}
		}
		if (len > 0)
			return sockmi_nl_fail(e, EBADMSG,
					      "truncated netlink message from the kernel");
	}
}

int sockmi_nl_recv_events(struct sockmi_nl *nl, sockmi_nl_reply_cb cb,
			  void *arg, struct sockmi_nl_error *e)
{
	const struct nlmsghdr *nlh;
	ssize_t len;
	int ret;

	memset(e, 0, sizeof(*e));
	len = sockmi_nl_recv(nl, e);
	if (len < 0)
		return (int)len;
	for (nlh = (const struct nlmsghdr *)nl->buf; NLMSG_OK(nlh, len);
	     nlh = NLMSG_NEXT(nlh, len)) {
		if (nlh->nlmsg_type != nl->family)
			continue;
		ret = cb(nlh, arg);
		if (ret < 0)
			return sockmi_nl_fail(e, -ret, NULL);
	}
	return 0;
}

struct sockmi_nl_ctrl {
	const char *group;	/* the group looked for, or NULL */
	int family;		/* its id, or -1 */
	int group_id;		/* the group's id, or -1 */
};

static int sockmi_nl_ctrl_reply(const struct nlmsghdr *nlh, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1], *grp;
	struct sockmi_nl_ctrl *ctrl = arg;
	int rem;

	if (genlmsg_parse((struct nlmsghdr *)nlh, 0, tb, CTRL_ATTR_MAX, NULL) ||
	    !tb[CTRL_ATTR_FAMILY_ID] ||
	    nla_len(tb[CTRL_ATTR_FAMILY_ID]) != sizeof(uint16_t))
		return -EBADMSG;
	ctrl->family = nla_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	if (!ctrl->group || !tb[CTRL_ATTR_MCAST_GROUPS])
		return 0;
	nla_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS], rem) {
		struct nlattr *gb[CTRL_ATTR_MCAST_GRP_MAX + 1];

		if (nla_parse_nested(gb, CTRL_ATTR_MCAST_GRP_MAX, grp, NULL) ||
		    !gb[CTRL_ATTR_MCAST_GRP_NAME] || !gb[CTRL_ATTR_MCAST_GRP_ID] ||
		    nla_len(gb[CTRL_ATTR_MCAST_GRP_ID]) != sizeof(uint32_t))
			continue;
		if (!nla_strcmp(gb[CTRL_ATTR_MCAST_GRP_NAME], ctrl->group))
			ctrl->group_id = (int)nla_get_u32(gb[CTRL_ATTR_MCAST_GRP_ID]);
	}
	return 0;
}

/* Ask the genl controller for the family's id and a group's id. */
static int sockmi_nl_ctrl_get(struct sockmi_nl *nl, const char *family,
			      struct sockmi_nl_ctrl *ctrl,
			      struct sockmi_nl_error *e)
{
	struct nl_msg *msg = nlmsg_alloc();
	int ret;

	ctrl->family = -1;
	ctrl->group_id = -1;
	if (!msg ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0,
			 NLM_F_ACK, CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, family)) {
		nlmsg_free(msg);
		return sockmi_nl_fail(e, ENOMEM, "out of memory");
	}
	ret = sockmi_nl_request(nl, msg, sockmi_nl_ctrl_reply, ctrl, e);
	nlmsg_free(msg);
	if (ret == -ENOENT)
		return sockmi_nl_fail(e, ENOENT,
				      "%s: generic netlink family not found",
				      family);
	if (!ret && ctrl->family < 0)
		ret = sockmi_nl_fail(e, EBADMSG, NULL);
	if (ret == -EBADMSG && !e->msg[0])
		snprintf(e->msg, sizeof(e->msg),
			 "%s: malformed reply of the generic netlink controller",
			 family);
	return ret;
}

int sockmi_nl_open_family(struct sockmi_nl **nlp, const char *family,
			  uint8_t version,
			  const struct sockmi_nl_attr_set *attrs,
			  struct sockmi_nl_error *e)
{
	struct sockmi_nl_ctrl ctrl = { 0 };
	struct sockmi_nl *nl;
	int ret, one = 1;

	*nlp = NULL;
	memset(e, 0, sizeof(*e));
	if (strlen(family) >= GENL_NAMSIZ)
		return sockmi_nl_fail(e, EINVAL,
				      "%s: generic netlink family name too long",
				      family);
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return sockmi_nl_fail(e, ENOMEM, "out of memory");
	nl->buflen = SOCKMI_NL_BUFLEN;
	nl->buf = malloc(nl->buflen);
	nl->sk = nl_socket_alloc();
	if (!nl->buf || !nl->sk) {
		ret = sockmi_nl_fail(e, ENOMEM, "out of memory");
		goto err_free;
	}
	snprintf(nl->family_name, sizeof(nl->family_name), "%s", family);
	nl->version = version;
	nl->attrs = attrs;
	nl_socket_disable_auto_ack(nl->sk);

	ret = nl_connect(nl->sk, NETLINK_GENERIC);
	if (ret < 0) {
		ret = sockmi_nl_fail(e, EIO,
				     "cannot open a generic netlink socket: %s",
				     nl_geterror(ret));
		goto err_free;
	}
	nl->portid = nl_socket_get_local_port(nl->sk);
	/* Best effort: without extended acks errors just carry no text. */
	setsockopt(nl_socket_get_fd(nl->sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));

	ret = sockmi_nl_ctrl_get(nl, family, &ctrl, e);
	if (ret)
		goto err_free;
	nl->family = (uint16_t)ctrl.family;
	*nlp = nl;
	return 0;

err_free:
	sockmi_nl_close(nl);
	return ret;
}

int sockmi_nl_open(struct sockmi_nl **nlp, struct sockmi_nl_error *e)
{
	int ret = sockmi_nl_open_family(nlp, SOCKMI_GENL_NAME,
					SOCKMI_GENL_VERSION, &sockmi_attrs, e);

	if (ret == -ENOENT && !e->kernel)
		sockmi_nl_append(e->msg, sizeof(e->msg),
				 "; is sockmi_genl.ko loaded?");
	return ret;
}

void sockmi_nl_close(struct sockmi_nl *nl)
{
	if (!nl)
		return;
	nl_socket_free(nl->sk);
	free(nl->buf);
	free(nl);
}

int sockmi_nl_fd(const struct sockmi_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

uint16_t sockmi_nl_family_id(const struct sockmi_nl *nl)
{
	return nl->family;
}

struct nl_msg *sockmi_nl_msg_new(struct sockmi_nl *nl, uint8_t cmd, int flags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!(flags & NLM_F_DUMP))
		flags |= NLM_F_ACK;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 flags, cmd, nl->version)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

int sockmi_nl_join(struct sockmi_nl *nl, const char *group,
		   struct sockmi_nl_error *e)
{
	struct sockmi_nl_ctrl ctrl = { .group = group };
	int ret, fd = nl_socket_get_fd(nl->sk);

	ret = sockmi_nl_ctrl_get(nl, nl->family_name, &ctrl, e);
	if (ret)
		return ret;
	if (ctrl.group_id < 0)
		return sockmi_nl_fail(e, ENOENT,
				      "%s: no multicast group \"%s\"",
				      nl->family_name, group);
	if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &ctrl.group_id,
		       sizeof(ctrl.group_id)))
		return sockmi_nl_fail(e, errno,
				      "cannot listen to %s multicast group \"%s\": %s",
				      nl->family_name, group, strerror(errno));
	/* Room for bursts of events; capped by net.core.rmem_max. */
	nl_socket_set_buffer_size(nl->sk, 1 << 20, 0);
	return 0;
}
