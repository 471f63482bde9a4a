/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checkpoint of one TCP socket, in kernel form, and its netlink form
 * (enum sockmi_state_attr, see uapi/linux/sockmi.h).
 */

#ifndef _NET_SOCKMI_STATE_H
#define _NET_SOCKMI_STATE_H

#include <linux/types.h>
#include <net/netlink.h>
#include <net/tcp.h>

#include "sockmi.h"

/* Which optional socket options a state carries (enum sockmi_sockopt_attr
 * numbers used as bit positions).
 */
#define SOCKMI_OPT(attr) BIT(attr)

struct sockmi_sockopts {
	u32 present;		/* SOCKMI_OPT() bits */
	u32 keepidle;
	u32 keepintvl;
	u32 keepcnt;
	u32 rcvbuf;
	u32 sndbuf;
	u32 linger;
	u32 user_timeout;
	u32 mark;
	u32 priority;
	u16 maxseg;
	u8 tos;
	char congestion[TCP_CA_NAME_MAX];
};

/**
 * struct sockmi_state - what a checkpoint captures of one socket
 * @tuple: addresses and ports
 * @tcp_state: TCP_ESTABLISHED, TCP_CLOSE_WAIT, ...
 * @v6only: IPV6_V6ONLY
 * @snd_una, @snd_nxt, @write_seq, @rcv_nxt, @copied_seq: sequence numbers
 * @snd_wl1, @snd_wnd, @max_window, @rcv_wnd, @rcv_wup: TCP_REPAIR_WINDOW
 * @mss: the MSS clamp
 * @snd_wscale, @rcv_wscale: window scales, valid with SOCKMI_TCPOPT_WSCALE
 * @options: enum sockmi_tcp_options
 * @ts_now: our TSval at checkpoint time (SOCKMI_TCPOPT_TIMESTAMP)
 * @ts_recent: the peer's last TSval
 * @srtt_us, @mdev_us, @rto_us, @cwnd, @ssthresh: congestion state, 0: absent
 * @len: bytes of each queue, enum sockmi_queue
 * @queue: the bytes of each queue (kvmalloc'ed, NULL when empty). The send
 *	queue starts at @snd_una; its last @write_seq - @snd_nxt bytes are the
 *	unsent ones. The receive queue ends at @rcv_nxt (a FIN received counts
 *	in @rcv_nxt but not in the queue).
 * @opts: user-visible socket options
 * @nofo: number of @ofo ranges
 * @ofo: the ranges of the out-of-order queue, ascending, neither
 *	overlapping nor touching (kvmalloc'ed, NULL when @nofo is 0); their
 *	bytes are @queue[SOCKMI_QUEUE_OFO], one after the other
 * @ofo_fin: a FIN was received out of order, at @ofo_fin_seq
 * @ofo_fin_seq: its sequence number
 * @backlog: listen() backlog (TCP_LISTEN)
 * @nchildren: number of @children (TCP_LISTEN)
 * @children: the accept queue of a listening socket, in accept() order:
 *	one connected state each, without children of their own (kvcalloc'ed,
 *	freed with the state)
 */
struct sockmi_state {
	struct sockmi_tuple tuple;
	u8 tcp_state;
	bool v6only;
	u32 snd_una, snd_nxt, write_seq, rcv_nxt, copied_seq;
	u32 snd_wl1, snd_wnd, max_window, rcv_wnd, rcv_wup;
	u16 mss;
	u8 snd_wscale, rcv_wscale;
	u32 options;
	u32 ts_now, ts_recent;
	u32 srtt_us, mdev_us, rto_us, cwnd, ssthresh;
	u32 len[__SOCKMI_QUEUE_MAX];
	u8 *queue[__SOCKMI_QUEUE_MAX];
	struct sockmi_sockopts opts;
	u32 nofo;
	struct sockmi_ofo_range *ofo;
	bool ofo_fin;
	u32 ofo_fin_seq;
	u32 backlog;
	u32 nchildren;
	struct sockmi_state *children;
};

void sockmi_state_free(struct sockmi_state *st);

/* Connected states a checkpoint can hold. */
#define SOCKMI_TCPF_CONNECTED (TCPF_ESTABLISHED | TCPF_CLOSE_WAIT |	\
			       TCPF_FIN_WAIT1 | TCPF_FIN_WAIT2 |	\
			       TCPF_LAST_ACK | TCPF_CLOSING)
/* Every state a checkpoint can hold: bound (TCP_CLOSE), listening, connected. */
#define SOCKMI_TCPF_ANY (SOCKMI_TCPF_CONNECTED | TCPF_CLOSE | TCPF_LISTEN)

static inline bool sockmi_connected(u8 tcp_state)
{
	return (1U << tcp_state) & SOCKMI_TCPF_CONNECTED;
}

/* States in which our FIN takes write_seq - 1 and is not acknowledged. */
#define SOCKMI_TCPF_FIN_OUT (TCPF_FIN_WAIT1 | TCPF_CLOSING | TCPF_LAST_ACK)
/* States in which the peer's FIN has been received (counts in rcv_nxt). */
#define SOCKMI_TCPF_FIN_IN (TCPF_CLOSE_WAIT | TCPF_CLOSING | TCPF_LAST_ACK)

static inline bool sockmi_fin_out(u8 tcp_state)
{
	return (1U << tcp_state) & SOCKMI_TCPF_FIN_OUT;
}

static inline bool sockmi_fin_in(u8 tcp_state)
{
	return (1U << tcp_state) & SOCKMI_TCPF_FIN_IN;
}

/* Bytes written but not sent yet: our FIN, while unsent, is not a byte. */
static inline u32 sockmi_unsent(const struct sockmi_state *st)
{
	u32 unsent = st->write_seq - st->snd_nxt;

	if (unsent && sockmi_fin_out(st->tcp_state))
		unsent--;
	return unsent;
}

/* Our FIN went out (it may be unacknowledged). */
static inline bool sockmi_fin_sent(const struct sockmi_state *st)
{
	return st->tcp_state == TCP_FIN_WAIT2 ||
	       (sockmi_fin_out(st->tcp_state) && st->snd_nxt == st->write_seq);
}

/* Netlink form. */

/* Like NL_REQ_ATTR_CHECK(), and says in words which attribute is missing. */
#define SOCKMI_REQUIRE(extack, nest, tb, type) ({			\
	struct netlink_ext_ack *__sm_extack = (extack);			\
	bool __missing = NL_REQ_ATTR_CHECK(__sm_extack, nest, tb, type); \
	if (__missing)							\
		NL_SET_ERR_MSG(__sm_extack, "Missing attribute " #type); \
	__missing;							\
})

extern const struct nla_policy sockmi_tuple_policy[SOCKMI_TUPLE_A_MAX + 1];
extern const struct nla_policy sockmi_state_policy[SOCKMI_STATE_A_MAX + 1];
extern const struct nla_policy sockmi_chunk_policy[SOCKMI_CHUNK_A_MAX + 1];
extern const struct nla_policy sockmi_sockopt_policy[SOCKMI_SOCKOPT_A_MAX + 1];

/* An NLA_U16 family attribute: AF_INET or AF_INET6, else -EAFNOSUPPORT. */
int sockmi_nla_get_family(const struct nlattr *attr, u16 *family,
			  struct netlink_ext_ack *extack);

/**
 * sockmi_nla_get_addr - read an in_addr or in6_addr attribute
 * @attr: the attribute, length-checked by its policy
 * @family: AF_INET or AF_INET6; the length must match it
 * @addr: the address; IPv4 addresses are stored v4-mapped
 * @extack: says what was wrong
 */
int sockmi_nla_get_addr(const struct nlattr *attr, u16 family,
			struct in6_addr *addr, struct netlink_ext_ack *extack);

/* Write @addr (v4-mapped for AF_INET) as an in_addr or in6_addr. */
int sockmi_put_addr(struct sk_buff *skb, int type, u16 family,
		    const struct in6_addr *addr);

/**
 * sockmi_tuple_put - write a nest of enum sockmi_tuple_attr
 * @skb: message being built
 * @type: nest type (SOCKMI_A_TUPLE, SOCKMI_FLOW_A_TUPLE, ...)
 * @t: the tuple; the remote end is written only when @t->rport is set
 */
int sockmi_tuple_put(struct sk_buff *skb, int type,
		     const struct sockmi_tuple *t);

/**
 * sockmi_tuple_parse - read a nest of enum sockmi_tuple_attr
 * @nest: the nest, validated again here
 * @t: the tuple; IPv4 addresses v4-mapped, ports in network byte order,
 *	remote address and port zero when absent
 * @extack: says what was wrong
 *
 * Family, local address and local port are required; the remote address
 * and port are optional but come together.
 */
int sockmi_tuple_parse(const struct nlattr *nest, struct sockmi_tuple *t,
		       struct netlink_ext_ack *extack);

/**
 * sockmi_state_put - write everything but the queue bytes as attributes
 * @skb: message being built
 * @type: nest type (SOCKMI_A_STATE)
 * @st: the state
 */
int sockmi_state_put(struct sk_buff *skb, int type,
		     const struct sockmi_state *st);

/**
 * sockmi_state_put_chunks - write queue bytes as SOCKMI_A_CHUNK attributes
 * @skb: message being built
 * @st: the state whose queues are written (a child's for a child)
 * @child: index of that child in its listener's accept queue, -1 for none
 * @queue: in/out: queue to continue with
 * @offset: in/out: offset in that queue
 *
 * Writes as many chunks as fit; returns 0 when all queues are done,
 * -EMSGSIZE when the message is full (call again in a new message).
 */
int sockmi_state_put_chunks(struct sk_buff *skb, const struct sockmi_state *st,
			    int child, int *queue, u32 *offset);

/**
 * sockmi_state_parse - validate and read a complete state
 * @net: namespace the state is staged in (for address checks)
 * @state: the SOCKMI_A_STATE nest
 * @msg: the whole attribute stream of the request, for SOCKMI_A_CHUNK and
 *	SOCKMI_A_CHILD
 * @len: its length
 * @st: filled in; on success the caller owns the queues
 *	(sockmi_state_free())
 * @extack: says what was wrong
 *
 * Nothing is allocated on failure.
 */
int sockmi_state_parse(struct net *net, const struct nlattr *state,
		       const struct nlattr *msg, int len,
		       struct sockmi_state *st,
		       struct netlink_ext_ack *extack);

#endif /* _NET_SOCKMI_STATE_H */
