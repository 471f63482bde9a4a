// SPDX-License-Identifier: GPL-2.0
/*
 * Messages as the kernel builds them, decoded (common/proto.c) and printed
 * by list, flows and monitor (sockmictl/).
 */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/tcp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sockmictl.h"
#include "tap.h"

#define FAKE_FAMILY 0x42

static struct nl_msg *new_msg(uint8_t cmd)
{
	struct nl_msg *msg = nlmsg_alloc();

	genlmsg_put(msg, 0, 0, FAKE_FAMILY, 0, 0, cmd, SOCKMI_GENL_VERSION);
	return msg;
}

static void put_ip(struct nl_msg *msg, int type, int family, const char *ip)
{
	unsigned char raw[16];

	inet_pton(family, ip, raw);
	nla_put(msg, type, family == AF_INET ? 4 : 16, raw);
}

/* Remote address NULL: a bound or listening socket. */
static void put_tuple(struct nl_msg *msg, int type, int family,
		      const char *laddr, uint16_t lport, const char *raddr,
		      uint16_t rport)
{
	struct nlattr *nest = sockmi_nest_start(msg, type);

	nla_put_u16(msg, SOCKMI_TUPLE_A_FAMILY, (uint16_t)family);
	put_ip(msg, SOCKMI_TUPLE_A_LOCAL_ADDR, family, laddr);
	nla_put_u16(msg, SOCKMI_TUPLE_A_LOCAL_PORT, lport);
	if (raddr) {
		put_ip(msg, SOCKMI_TUPLE_A_REMOTE_ADDR, family, raddr);
		nla_put_u16(msg, SOCKMI_TUPLE_A_REMOTE_PORT, rport);
	}
	nla_nest_end(msg, nest);
}

static void put_addr(struct nl_msg *msg, int type, int family, const char *ip)
{
	struct nlattr *nest = sockmi_nest_start(msg, type);

	nla_put_u16(msg, SOCKMI_ADDR_A_FAMILY, (uint16_t)family);
	put_ip(msg, SOCKMI_ADDR_A_ADDR, family, ip);
	nla_nest_end(msg, nest);
}

static struct nl_msg *staged(uint64_t id, uint8_t list, uint8_t state,
			     uint32_t flags, int family, const char *laddr,
			     uint16_t lport, const char *raddr, uint16_t rport)
{
	struct nl_msg *msg = new_msg(SOCKMI_CMD_GET_STAGED);

	nla_put_u64(msg, SOCKMI_A_ID, id);
	nla_put_u8(msg, SOCKMI_A_LIST, list);
	nla_put_u8(msg, SOCKMI_A_TCP_STATE, state);
	nla_put_u32(msg, SOCKMI_A_FLAGS, flags);
	put_tuple(msg, SOCKMI_A_TUPLE, family, laddr, lport, raddr, rport);
	return msg;
}

static struct nl_msg *flow(uint8_t action, const char *via, uint64_t packets,
			   uint64_t bytes)
{
	struct nl_msg *msg = new_msg(SOCKMI_CMD_GET_FLOW);
	struct nlattr *nest = sockmi_nest_start(msg, SOCKMI_A_FLOW);

	put_tuple(msg, SOCKMI_FLOW_A_TUPLE, AF_INET, "192.0.2.1", 80,
		  "198.51.100.7", 40000);
	nla_put_u8(msg, SOCKMI_FLOW_A_ACTION, action);
	if (via)
		put_addr(msg, SOCKMI_FLOW_A_VIA, AF_INET, via);
	nla_put_u64(msg, SOCKMI_FLOW_A_PACKETS, packets);
	nla_put_u64(msg, SOCKMI_FLOW_A_BYTES, bytes);
	nla_nest_end(msg, nest);
	return msg;
}

/* Decode @msg (and free it) into the next slot of @msgs. */
static bool decode(struct sockmictl_msgs *msgs, struct nl_msg *msg)
{
	const char *why = NULL;
	int ret;

	ret = sockmi_msg_parse(nlmsg_hdr(msg), &msgs->msg[msgs->n], &why);
	nlmsg_free(msg);
	if (ret) {
		tap_diag("decode: %s", why);
		return false;
	}
	msgs->n++;
	return true;
}

typedef int (*print_fn)(FILE *f, bool json, const struct sockmictl_msgs *m);

static bool prints(print_fn fn, bool json, const struct sockmictl_msgs *msgs,
		   const char *want)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	bool ok;

	ok = f && !fn(f, json, msgs);
	if (f)
		fclose(f);
	ok = ok && !strcmp(buf, want);
	if (!ok)
		tap_diag("got:\n%s", buf ? buf : "(nothing)");
	free(buf);
	return ok;
}

static bool event_prints(struct nl_msg *msg, bool json, const char *want)
{
	struct sockmi_msg m;
	const char *why;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	bool ok;

	ok = !sockmi_msg_parse(nlmsg_hdr(msg), &m, &why);
	f = open_memstream(&buf, &len);
	ok = ok && f && sockmictl_event_print(f, json, &m) == !!want;
	if (f)
		fclose(f);
	ok = ok && !strcmp(buf, want ? want : "");
	if (!ok)
		tap_diag("got: %s", buf ? buf : "(nothing)");
	free(buf);
	return ok;
}

static const char list_text[] =
	"ID  LIST       STATE        LOCAL              REMOTE              FLAGS\n"
	"1   connected  ESTABLISHED  192.0.2.1:80       198.51.100.7:40000  -\n"
	"2   listen     LISTEN       [2001:db8::1]:443  -                   pending\n"
	"17  exporting  12           10.0.0.1:5000      10.0.0.2:6000       pending,0x6\n";

static const char list_json[] =
	"[{\"id\":1,\"list\":\"connected\",\"tcp_state\":\"ESTABLISHED\","
	"\"family\":\"ipv4\",\"local\":{\"address\":\"192.0.2.1\",\"port\":80},"
	"\"remote\":{\"address\":\"198.51.100.7\",\"port\":40000},"
	"\"flags\":[]},"
	"{\"id\":2,\"list\":\"listen\",\"tcp_state\":\"LISTEN\","
	"\"family\":\"ipv6\",\"local\":{\"address\":\"2001:db8::1\",\"port\":443},"
	"\"flags\":[\"pending\"]},"
	"{\"id\":17,\"list\":\"exporting\",\"tcp_state\":\"12\","
	"\"family\":\"ipv4\",\"local\":{\"address\":\"10.0.0.1\",\"port\":5000},"
	"\"remote\":{\"address\":\"10.0.0.2\",\"port\":6000},"
	"\"flags\":[\"pending\",\"0x6\"]}]\n";

static const char flows_text[] =
	"LOCAL         REMOTE              ACTION    VIA          PACKETS  BYTES\n"
	"192.0.2.1:80  198.51.100.7:40000  redirect  203.0.113.9  12       3400\n"
	"192.0.2.1:80  198.51.100.7:40000  hold      -            0        0\n";

static const char flows_json[] =
	"[{\"family\":\"ipv4\",\"local\":{\"address\":\"192.0.2.1\",\"port\":80},"
	"\"remote\":{\"address\":\"198.51.100.7\",\"port\":40000},"
	"\"action\":\"redirect\",\"via\":{\"address\":\"203.0.113.9\"},"
	"\"packets\":12,\"bytes\":3400},"
	"{\"family\":\"ipv4\",\"local\":{\"address\":\"192.0.2.1\",\"port\":80},"
	"\"remote\":{\"address\":\"198.51.100.7\",\"port\":40000},"
	"\"action\":\"hold\",\"packets\":0,\"bytes\":0}]\n";

int main(void)
{
	struct tap t = { .suite = "render" };
	struct sockmi_msg slots[8];
	struct sockmictl_msgs msgs = { slots, 0, 8 };
	struct nl_msg *msg;
	struct sockmi_msg m;
	const char *why;
	bool ok;

	/* list */
	tap_ok(&t, prints(sockmictl_list_print, false, &msgs, ""),
	       "an empty list prints nothing");
	tap_ok(&t, prints(sockmictl_list_print, true, &msgs, "[]\n"),
	       "an empty list prints [] as JSON");
	ok = decode(&msgs, staged(1, SOCKMI_LIST_CONNECTED, TCP_ESTABLISHED, 0,
				  AF_INET, "192.0.2.1", 80, "198.51.100.7",
				  40000));
	ok = ok && decode(&msgs, staged(2, SOCKMI_LIST_LISTEN, TCP_LISTEN,
					SOCKMI_STAGE_F_PENDING, AF_INET6,
					"2001:db8::1", 443, NULL, 0));
	ok = ok && decode(&msgs, staged(17, SOCKMI_LIST_EXPORTING, 12, 7,
					AF_INET, "10.0.0.1", 5000, "10.0.0.2",
					6000));
	tap_ok(&t, ok, "decodes GET_STAGED messages");
	tap_ok(&t, prints(sockmictl_list_print, false, &msgs, list_text),
	       "list as a table");
	tap_ok(&t, prints(sockmictl_list_print, true, &msgs, list_json),
	       "list as JSON");

	/* flows */
	msgs.n = 0;
	tap_ok(&t, prints(sockmictl_flows_print, false, &msgs, ""),
	       "no flows print nothing");
	tap_ok(&t, prints(sockmictl_flows_print, true, &msgs, "[]\n"),
	       "no flows print [] as JSON");
	ok = decode(&msgs, flow(SOCKMI_FLOW_REDIRECT, "203.0.113.9", 12, 3400));
	ok = ok && decode(&msgs, new_msg(SOCKMI_CMD_GET_FLOW));
	ok = ok && decode(&msgs, flow(SOCKMI_FLOW_HOLD, NULL, 0, 0));
	tap_ok(&t, ok, "decodes GET_FLOW messages");
	tap_ok(&t, prints(sockmictl_flows_print, false, &msgs, flows_text),
	       "flows as a table");
	tap_ok(&t, prints(sockmictl_flows_print, true, &msgs, flows_json),
	       "flows as JSON");

	/* monitor */
	msg = new_msg(SOCKMI_CMD_EXPORT_NOTIFY);
	nla_put_u64(msg, SOCKMI_A_ID, 5);
	put_tuple(msg, SOCKMI_A_TUPLE, AF_INET6, "2001:db8::1", 443,
		  "2001:db8::2", 50000);
	nla_put_u8(msg, SOCKMI_A_TCP_STATE, TCP_ESTABLISHED);
	put_addr(msg, SOCKMI_A_TO, AF_INET6, "2001:db8::3");
	tap_ok(&t, event_prints(msg, false,
				"export id 5 state ESTABLISHED local [2001:db8::1]:443 remote [2001:db8::2]:50000 to 2001:db8::3\n"),
	       "an export event as text");
	tap_ok(&t, event_prints(msg, true,
				"{\"event\":\"export\",\"id\":5,\"tcp_state\":\"ESTABLISHED\","
				"\"family\":\"ipv6\",\"local\":{\"address\":\"2001:db8::1\",\"port\":443},"
				"\"remote\":{\"address\":\"2001:db8::2\",\"port\":50000},"
				"\"to\":{\"address\":\"2001:db8::3\"}}\n"),
	       "an export event as a JSON line");
	nlmsg_free(msg);

	msg = new_msg(SOCKMI_CMD_COMMIT_NOTIFY);
	nla_put_u64(msg, SOCKMI_A_ID, 5);
	{
		struct nlattr *nest = sockmi_nest_start(msg, SOCKMI_A_FLOW);

		nla_put_u8(msg, SOCKMI_FLOW_A_ACTION, SOCKMI_FLOW_REDIRECT);
		put_addr(msg, SOCKMI_FLOW_A_VIA, AF_INET, "203.0.113.9");
		nla_nest_end(msg, nest);
	}
	tap_ok(&t, event_prints(msg, false,
				"commit id 5 flow redirect via 203.0.113.9\n"),
	       "a commit event with its flow");
	nlmsg_free(msg);

	msg = new_msg(SOCKMI_CMD_ABORT_NOTIFY);
	nla_put_u64(msg, SOCKMI_A_ID, 6);
	tap_ok(&t, event_prints(msg, false, "abort id 6\n"),
	       "an abort event");
	nlmsg_free(msg);

	msg = new_msg(SOCKMI_CMD_GET_STATS);
	tap_ok(&t, event_prints(msg, false, NULL), "a reply is no event");
	nlmsg_free(msg);

	/* malformed */
	msg = new_msg(SOCKMI_CMD_GET_STAGED);
	{
		struct nlattr *nest = sockmi_nest_start(msg, SOCKMI_A_TUPLE);

		nla_put_u16(msg, SOCKMI_TUPLE_A_FAMILY, AF_INET);
		put_ip(msg, SOCKMI_TUPLE_A_LOCAL_ADDR, AF_INET6, "::1");
		nla_put_u16(msg, SOCKMI_TUPLE_A_LOCAL_PORT, 1);
		nla_nest_end(msg, nest);
	}
	why = NULL;
	tap_ok(&t, sockmi_msg_parse(nlmsg_hdr(msg), &m, &why) == -EBADMSG &&
		   why && !strcmp(why, "malformed SOCKMI_A_TUPLE"),
	       "refuses an IPv4 tuple with an IPv6 address");
	nlmsg_free(msg);

	msg = new_msg(SOCKMI_CMD_GET_STAGED);
	{
		struct nlattr *nest = sockmi_nest_start(msg, SOCKMI_A_TUPLE);

		nla_put_u16(msg, SOCKMI_TUPLE_A_FAMILY, AF_INET);
		put_ip(msg, SOCKMI_TUPLE_A_LOCAL_ADDR, AF_INET, "192.0.2.1");
		nla_put_u16(msg, SOCKMI_TUPLE_A_LOCAL_PORT, 1);
		put_ip(msg, SOCKMI_TUPLE_A_REMOTE_ADDR, AF_INET, "192.0.2.2");
		nla_nest_end(msg, nest);
	}
	tap_ok(&t, sockmi_msg_parse(nlmsg_hdr(msg), &m, &why) == -EBADMSG,
	       "refuses a remote address without its port");
	nlmsg_free(msg);

	msg = new_msg(SOCKMI_CMD_GET_STAGED);
	nla_put_u32(msg, SOCKMI_A_ID, 1);
	tap_ok(&t, sockmi_msg_parse(nlmsg_hdr(msg), &m, &why) == -EBADMSG,
	       "refuses a 32-bit id");
	nlmsg_free(msg);
	return tap_done(&t);
}
