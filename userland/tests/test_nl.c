// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink layer (common/nl.c): decoding of the kernel's errors and
 * extended acks from hand-built messages, then requests, dumps, errors and
 * multicast groups against the running kernel's own generic netlink
 * families (nlctrl, ethtool), and against "sockmi" when it is loaded.
 */

#include <errno.h>
#include <string.h>

#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "nl.h"
#include "proto.h"
#include "tap.h"

#define FAKE_FAMILY 0x42

struct fake_req {
	struct nl_msg *msg;
	uint32_t to_off;	/* offset of SOCKMI_A_TO in the message */
	uint32_t addr_off;	/* of SOCKMI_A_TO/SOCKMI_ADDR_A_ADDR */
};

/* An EXPORT request whose SOCKMI_A_TO has an IPv6-sized IPv4 address. */
static void fake_request(struct fake_req *r)
{
	unsigned char addr[16] = { 192, 0, 2, 1 };
	struct nlattr *nest;
	char *base;

	r->msg = nlmsg_alloc();
	genlmsg_put(r->msg, 1234, 77, FAKE_FAMILY, 0, NLM_F_ACK,
		    SOCKMI_CMD_EXPORT, SOCKMI_GENL_VERSION);
	nla_put_u32(r->msg, SOCKMI_A_PID, 1);
	nla_put_u32(r->msg, SOCKMI_A_FD, 3);
	nest = sockmi_nest_start(r->msg, SOCKMI_A_TO);
	nla_put_u16(r->msg, SOCKMI_ADDR_A_FAMILY, AF_INET);
	nla_put(r->msg, SOCKMI_ADDR_A_ADDR, sizeof(addr), addr);
	nla_nest_end(r->msg, nest);
	base = (char *)nlmsg_hdr(r->msg);
	r->to_off = (uint32_t)((char *)nest - base);
	r->addr_off = (uint32_t)((char *)nla_find(nla_data(nest), nla_len(nest),
						   SOCKMI_ADDR_A_ADDR) - base);
}

struct tlvs {
	const char *msg;
	int offs, miss_type, miss_nest;	/* -1: absent */
};

/* The kernel's NLMSG_ERROR reply to @req, as netlink_ack() builds it. */
static struct nl_msg *fake_error(const struct nlmsghdr *req, int error,
				 bool capped, const struct tlvs *tlv)
{
	int flags = (capped ? NLM_F_CAPPED : 0) | (tlv ? NLM_F_ACK_TLVS : 0);
	struct nl_msg *msg = nlmsg_alloc_simple(NLMSG_ERROR, flags);

	nlmsg_append(msg, &error, sizeof(error), 0);
	nlmsg_append(msg, (void *)req, capped ? NLMSG_HDRLEN : req->nlmsg_len,
		     NLMSG_ALIGNTO);
	if (tlv && tlv->msg)
		nla_put_string(msg, NLMSGERR_ATTR_MSG, tlv->msg);
	if (tlv && tlv->offs >= 0)
		nla_put_u32(msg, NLMSGERR_ATTR_OFFS, (uint32_t)tlv->offs);
	if (tlv && tlv->miss_type >= 0)
		nla_put_u32(msg, NLMSGERR_ATTR_MISS_TYPE,
			    (uint32_t)tlv->miss_type);
	if (tlv && tlv->miss_nest >= 0)
		nla_put_u32(msg, NLMSGERR_ATTR_MISS_NEST,
			    (uint32_t)tlv->miss_nest);
	return msg;
}

static bool error_is(struct nl_msg *msg, int err, const char *text,
		     const char *attr)
{
	struct sockmi_nl_error e;
	char buf[512];
	bool ok;

	ok = !sockmi_nl_parse_error(nlmsg_hdr(msg), &sockmi_attrs, &e);
	sockmi_nl_strerror(&e, buf, sizeof(buf));
	ok = ok && e.err == err && !strcmp(buf, text) &&
	     !strcmp(e.attr, attr);
	if (!ok)
		tap_diag("err %d, text '%s', attr '%s'", e.err, buf, e.attr);
	nlmsg_free(msg);
	return ok;
}

static void test_parse(struct tap *t)
{
	struct sockmi_nl_error e;
	struct fake_req r;
	char buf[512];
	const struct nlmsghdr *req;
	struct nl_msg *msg;
	int error;

	fake_request(&r);
	req = nlmsg_hdr(r.msg);

	msg = fake_error(req, -EINVAL, false, &(struct tlvs){
		"Address length does not match its family", (int)r.addr_off,
		-1, -1 });
	tap_ok(t, error_is(msg, EINVAL,
			   "Invalid argument: Address length does not match its family",
			   "SOCKMI_A_TO/SOCKMI_ADDR_A_ADDR"),
	       "extack message and the offending nested attribute");

	msg = fake_error(req, -EINVAL, false, &(struct tlvs){
		NULL, (int)r.addr_off, -1, -1 });
	tap_ok(t, error_is(msg, EINVAL,
			   "Invalid argument: invalid attribute SOCKMI_A_TO/SOCKMI_ADDR_A_ADDR",
			   "SOCKMI_A_TO/SOCKMI_ADDR_A_ADDR"),
	       "offending attribute without a message");

	msg = fake_error(req, -EINVAL, false, &(struct tlvs){
		NULL, -1, SOCKMI_ADDR_A_PORT, (int)r.to_off });
	tap_ok(t, error_is(msg, EINVAL,
			   "Invalid argument: missing attribute SOCKMI_A_TO/SOCKMI_ADDR_A_PORT",
			   "SOCKMI_A_TO/SOCKMI_ADDR_A_PORT"),
	       "missing attribute inside a nest");

	msg = fake_error(req, -EINVAL, false, &(struct tlvs){
		NULL, -1, SOCKMI_A_ID, -1 });
	tap_ok(t, error_is(msg, EINVAL,
			   "Invalid argument: missing attribute SOCKMI_A_ID",
			   "SOCKMI_A_ID"),
	       "missing top-level attribute");

	msg = fake_error(req, -EOPNOTSUPP, true, &(struct tlvs){
		"Command not implemented by this sockmi.ko", -1, -1, -1 });
	tap_ok(t, error_is(msg, EOPNOTSUPP,
			   "Operation not supported: Command not implemented by this sockmi.ko",
			   ""),
	       "capped error with a message");

	msg = fake_error(req, -EPERM, false, NULL);
	tap_ok(t, error_is(msg, EPERM, "Operation not permitted", ""),
	       "error without extack");

	msg = fake_error(req, 0, true, NULL);
	tap_ok(t, error_is(msg, 0, "", ""), "acknowledgement");

	msg = fake_error(req, 0, true, &(struct tlvs){
		"something to know", -1, -1, -1 });
	tap_ok(t, error_is(msg, 0, "something to know", ""),
	       "acknowledgement with a warning");

	/* Offsets pointing outside the request name nothing. */
	msg = fake_error(req, -EINVAL, false, &(struct tlvs){
		NULL, 4000, -1, -1 });
	tap_ok(t, error_is(msg, EINVAL, "Invalid argument", ""),
	       "offset beyond the request is ignored");

	/* A dump that failed after it started: NLMSG_DONE with an errno. */
	msg = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI | NLM_F_ACK_TLVS);
	error = -EOPNOTSUPP;
	nlmsg_append(msg, &error, sizeof(error), NLMSG_ALIGNTO);
	nla_put_string(msg, NLMSGERR_ATTR_MSG,
		       "Command not implemented by this sockmi.ko");
	tap_ok(t, error_is(msg, EOPNOTSUPP,
			   "Operation not supported: Command not implemented by this sockmi.ko",
			   ""),
	       "dump error in NLMSG_DONE");

	msg = nlmsg_alloc_simple(NLMSG_DONE, NLM_F_MULTI);
	error = 0;
	nlmsg_append(msg, &error, sizeof(error), NLMSG_ALIGNTO);
	tap_ok(t, error_is(msg, 0, "", ""), "end of a dump");

	/* An error message too short for its struct nlmsgerr. */
	msg = nlmsg_alloc_simple(NLMSG_ERROR, 0);
	error = -EINVAL;
	nlmsg_append(msg, &error, sizeof(error), NLMSG_ALIGNTO);
	tap_ok(t, sockmi_nl_parse_error(nlmsg_hdr(msg), &sockmi_attrs,
					&e) == -EBADMSG &&
		   e.err == EBADMSG && !e.kernel &&
		   !strcmp(sockmi_nl_strerror(&e, buf, sizeof(buf)),
			   "malformed netlink error message from the kernel"),
	       "truncated error message");
	nlmsg_free(msg);

	nlmsg_free(r.msg);
}

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	(void)nlh;
	++*(int *)arg;
	return 0;
}

static void test_nlctrl(struct tap *t)
{
	struct sockmi_nl_error e;
	struct sockmi_nl *nl;
	struct nl_msg *msg;
	char buf[512];
	int n = 0, ret;

	ret = sockmi_nl_open_family(&nl, "nlctrl", 2, NULL, &e);
	if (!tap_ok(t, !ret && sockmi_nl_family_id(nl) == GENL_ID_CTRL,
		    "opens the nlctrl family")) {
		tap_diag("%s", sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return;
	}

	msg = sockmi_nl_msg_new(nl, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	ret = sockmi_nl_request(nl, msg, count_cb, &n, &e);
	nlmsg_free(msg);
	tap_ok(t, !ret && n >= 1, "dumps the families (%d)", n);

	/* Twice on one socket: sequence numbers and buffers hold up. */
	n = 0;
	msg = sockmi_nl_msg_new(nl, CTRL_CMD_GETFAMILY, 0);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "nlctrl");
	ret = sockmi_nl_request(nl, msg, count_cb, &n, &e);
	nlmsg_free(msg);
	tap_ok(t, !ret && n == 1, "a do request gets one reply and an ack");

	msg = sockmi_nl_msg_new(nl, CTRL_CMD_GETFAMILY, 0);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "sockmi-nonex");
	ret = sockmi_nl_request(nl, msg, count_cb, &n, &e);
	nlmsg_free(msg);
	tap_ok(t, ret == -ENOENT && e.err == ENOENT && e.kernel,
	       "a failed do request returns the kernel's errno");

	n = 0;
	msg = sockmi_nl_msg_new(nl, CTRL_CMD_GETPOLICY, NLM_F_DUMP);
	nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, "sockmi-nonex");
	ret = sockmi_nl_request(nl, msg, count_cb, &n, &e);
	nlmsg_free(msg);
	tap_ok(t, ret < 0 && e.kernel && n == 0,
	       "a dump refused at its start fails (%s)",
	       sockmi_nl_strerror(&e, buf, sizeof(buf)));

	ret = sockmi_nl_join(nl, "no-such-group", &e);
	tap_ok(t, ret == -ENOENT &&
		   !strcmp(sockmi_nl_strerror(&e, buf, sizeof(buf)),
			   "nlctrl: no multicast group \"no-such-group\""),
	       "joining an unknown group says so");
	ret = sockmi_nl_join(nl, "notify", &e);
	tap_ok(t, !ret, "joins a multicast group");
	sockmi_nl_close(nl);
}

static void test_ethtool(struct tap *t)
{
	struct sockmi_nl_error e;
	struct sockmi_nl *nl;
	struct nl_msg *msg;
	struct nlattr *nest;
	char buf[512];
	int n = 0, ret;

	ret = sockmi_nl_open_family(&nl, ETHTOOL_GENL_NAME,
				    ETHTOOL_GENL_VERSION, NULL, &e);
	if (ret) {
		tap_skip(t, "no ethtool family", "extack from the kernel");
		return;
	}
	msg = sockmi_nl_msg_new(nl, ETHTOOL_MSG_LINKINFO_GET, 0);
	nest = sockmi_nest_start(msg, ETHTOOL_A_LINKINFO_HEADER);
	nla_put_string(msg, ETHTOOL_A_HEADER_DEV_NAME, "sockmi-nonexist");
	nla_nest_end(msg, nest);
	ret = sockmi_nl_request(nl, msg, count_cb, &n, &e);
	nlmsg_free(msg);
	sockmi_nl_strerror(&e, buf, sizeof(buf));
	if (!tap_ok(t, ret == -ENODEV && e.kernel && e.msg[0] && n == 0 &&
			!strncmp(buf, "No such device: ", 16) &&
			!strcmp(e.attr, "#1/#2"),
		    "extack message and attribute from the kernel"))
		tap_diag("ret %d, '%s', attr '%s'", ret, buf, e.attr);

	msg = sockmi_nl_msg_new(nl, ETHTOOL_MSG_FEATURES_GET, 0);
	nest = sockmi_nest_start(msg, ETHTOOL_A_FEATURES_HEADER);
	nla_put_string(msg, ETHTOOL_A_HEADER_DEV_NAME, "lo");
	nla_nest_end(msg, nest);
	ret = sockmi_nl_request(nl, msg, count_cb, &n, &e);
	nlmsg_free(msg);
	if (!tap_ok(t, !ret && n == 1,
		    "nested request accepted by strict validation"))
		tap_diag("ret %d, n %d, '%s'", ret, n,
			 sockmi_nl_strerror(&e, buf, sizeof(buf)));
	sockmi_nl_close(nl);
}

struct stats_ctx {
	struct sockmi_stats stats;
	int n;
};

static int stats_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct stats_ctx *s = arg;
	struct sockmi_msg m;
	const char *why;

	if (sockmi_msg_parse(nlh, &m, &why) || !sockmi_msg_has(&m, SOCKMI_A_STATS))
		return -EBADMSG;
	s->stats = m.stats;
	s->n++;
	return 0;
}

static void test_sockmi(struct tap *t)
{
	struct stats_ctx s = { 0 };
	struct sockmi_nl_error e;
	struct sockmi_nl *nl;
	struct nl_msg *msg;
	char buf[512];
	int n = 0, ret;

	ret = sockmi_nl_open(&nl, &e);
	if (ret == -ENOENT) {
		tap_ok(t, !strcmp(sockmi_nl_strerror(&e, buf, sizeof(buf)),
				  "sockmi: generic netlink family not found; is sockmi_genl.ko loaded?"),
		       "a missing sockmi family is explained");
		tap_skip(t, "sockmi_genl.ko not loaded", "sockmi requests");
		return;
	}
	if (!tap_ok(t, !ret, "opens the sockmi family")) {
		tap_diag("%s", sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return;
	}
	msg = sockmi_nl_msg_new(nl, SOCKMI_CMD_GET_STATS, 0);
	ret = sockmi_nl_request(nl, msg, stats_cb, &s, &e);
	nlmsg_free(msg);
	if (ret == -EPERM) {
		tap_skip(t, "no CAP_NET_ADMIN", "sockmi requests");
		sockmi_nl_close(nl);
		return;
	}
	tap_ok(t, !ret && s.n == 1 &&
		   (s.stats.present >> SOCKMI_STATS_A_EXPORTS) & 1U,
	       "GET_STATS returns the counters");
	msg = sockmi_nl_msg_new(nl, SOCKMI_CMD_GET_STAGED, NLM_F_DUMP);
	ret = sockmi_nl_request(nl, msg, count_cb, &n, &e);
	nlmsg_free(msg);
	tap_ok(t, !ret, "GET_STAGED dumps (%d entries)", n);
	/* An attribute GET_STATS does not take: strict validation says so. */
	msg = sockmi_nl_msg_new(nl, SOCKMI_CMD_GET_STATS, 0);
	nla_put_u32(msg, SOCKMI_A_FD, 0);
	ret = sockmi_nl_request(nl, msg, stats_cb, &s, &e);
	nlmsg_free(msg);
	tap_ok(t, ret < 0 && e.kernel && e.msg[0] &&
		   !strcmp(e.attr, "SOCKMI_A_FD"),
	       "an unexpected attribute is refused and named (%s)",
	       sockmi_nl_strerror(&e, buf, sizeof(buf)));
	sockmi_nl_close(nl);
}

int main(void)
{
	struct tap t = { .suite = "nl" };

	test_parse(&t);
	test_nlctrl(&t);
	test_ethtool(&t);
	test_sockmi(&t);
	return tap_done(&t);
}
