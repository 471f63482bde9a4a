/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "sockmi" generic netlink family from user space: names of its
 * attributes and enum values, decoding of the kernel's messages into plain
 * structs and encoding of the nests requests carry. See <linux/sockmi.h>.
 */

#ifndef SOCKMI_COMMON_PROTO_H
#define SOCKMI_COMMON_PROTO_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <linux/sockmi.h>
#include <netlink/msg.h>

#include "addr.h"
#include "nl.h"

/* Names of every attribute of the family, for error messages. */
extern const struct sockmi_nl_attr_set sockmi_attrs;

/**
 * struct sockmi_tuple - the addresses of a socket, seen from its host
 * @family: AF_INET or AF_INET6
 * @has_remote: @remote is set (not for bound and listening sockets)
 * @local: local address and port
 * @remote: remote address and port
 */
struct sockmi_tuple {
	sa_family_t family;
	bool has_remote;
	struct sockmi_addr local;
	struct sockmi_addr remote;
};

/**
 * struct sockmi_flow - a redirection flow of xt_SOCKMI (SOCKMI_A_FLOW)
 * @present: bit N set when attribute N of enum sockmi_flow_attr was there
 * @tuple: the flow, as seen by the exporting host
 * @action: enum sockmi_flow_action
 * @via: the importer (REDIRECT) or the address to answer as (ANSWER_AS)
 * @packets: packets that matched
 * @bytes: bytes that matched
 */
struct sockmi_flow {
	uint32_t present;
	struct sockmi_tuple tuple;
	uint8_t action;
	struct sockmi_addr via;
	uint64_t packets;
	uint64_t bytes;
};

/**
 * struct sockmi_stats - the counters of a namespace (SOCKMI_A_STATS)
 * @present: bit N set when counter N (enum sockmi_stats_attr) was there
 * @val: the counters, indexed by enum sockmi_stats_attr
 */
struct sockmi_stats {
	uint32_t present;
	uint64_t val[SOCKMI_STATS_A_MAX + 1];
};

/**
 * struct sockmi_msg - the top-level attributes of a message of the family
 * @cmd: its command, enum sockmi_cmd
 * @present: bit N set when attribute N (enum sockmi_attr) was there;
 *	     test with sockmi_msg_has()
 * @id: SOCKMI_A_ID
 * @pid: SOCKMI_A_PID
 * @fd: SOCKMI_A_FD
 * @flags: SOCKMI_A_FLAGS
 * @tcp_state: SOCKMI_A_TCP_STATE
 * @list: SOCKMI_A_LIST, enum sockmi_list
 * @to: SOCKMI_A_TO
 * @tuple: SOCKMI_A_TUPLE
 * @flow: SOCKMI_A_FLOW
 * @stats: SOCKMI_A_STATS
 *
 * The checkpoint attributes (STATE, CHUNK, CHILD, MATCH) are not decoded.
 */
struct sockmi_msg {
	uint8_t cmd;
	uint32_t present;
	uint64_t id;
	uint32_t pid;
	uint32_t fd;
	uint32_t flags;
	uint8_t tcp_state;
	uint8_t list;
	struct sockmi_addr to;
	struct sockmi_tuple tuple;
	struct sockmi_flow flow;
	struct sockmi_stats stats;
};

static inline bool sockmi_msg_has(const struct sockmi_msg *m,
				  enum sockmi_attr attr)
{
	return (m->present >> attr) & 1U;
}

/**
 * sockmi_msg_parse - decode a message of the family
 * @nlh: the message (after its nlmsghdr: a genlmsghdr, then attributes)
 * @m: the result
 * @why: when the message is malformed, a static string saying how
 *
 * Attributes unknown to this program are ignored.
 *
 * Return: 0, or -EBADMSG with *@why set.
 */
int sockmi_msg_parse(const struct nlmsghdr *nlh, struct sockmi_msg *m,
		     const char **why);

/**
 * sockmi_stats_parse - decode a SOCKMI_A_STATS nest
 * @nest: the nest
 * @stats: the result
 *
 * Return: 0, or -EBADMSG.
 */
int sockmi_stats_parse(const struct nlattr *nest, struct sockmi_stats *stats);

/**
 * sockmi_put_addr - add an address nest (enum sockmi_addr_attr)
 * @msg: the request
 * @type: the nest's type, e.g. SOCKMI_A_TO
 * @addr: the address; its port is sent when it has one
 *
 * Return: 0, or -EMSGSIZE when @msg is full.
 */
int sockmi_put_addr(struct nl_msg *msg, int type,
		    const struct sockmi_addr *addr);

/**
 * sockmi_nest_start - nla_nest_start() that surely sets NLA_F_NESTED
 *
 * The family's strict validation refuses nests without the flag; libnl
 * sets it since 3.5, this does not depend on that.
 */
struct nlattr *sockmi_nest_start(struct nl_msg *msg, int type);

/*
 * Names of enum values, or NULL for values this program does not know.
 * TCP states are spelled as ss(8) spells them in full: "ESTABLISHED",
 * "SYN-SENT", ..., "LISTEN".
 */
const char *sockmi_tcp_state_name(unsigned int state);
const char *sockmi_list_name(unsigned int list);		/* "bound" */
const char *sockmi_flow_action_name(unsigned int action);	/* "redirect" */
const char *sockmi_stats_name(unsigned int attr);		/* "exports" */
const char *sockmi_event_name(unsigned int cmd);		/* "export" */

#endif /* SOCKMI_COMMON_PROTO_H */
