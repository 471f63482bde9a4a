// SPDX-License-Identifier: GPL-2.0
/*
 * The netlink form of a socket checkpoint (enum sockmi_state_attr, see
 * uapi/linux/sockmi.h): write a struct sockmi_state as attributes and its
 * queues as SOCKMI_A_CHUNK attributes, and read them back, validating the
 * whole request before allocating anything.
 *
 * Sequence numbers are absolute, as on the wire, so a FIN takes one of them;
 * queue lengths count bytes only. The rules parse enforces:
 *
 * Our FIN. In FIN_WAIT1, CLOSING and LAST_ACK it is queued or sent and not
 * yet acknowledged; it is the sequence number write_seq - 1, so
 *	SENDQ_LEN + 1 == write_seq - snd_una
 *	UNSENT_LEN == write_seq - snd_nxt, minus 1 while the FIN is unsent
 * In FIN_WAIT2 it is acknowledged: snd_una == snd_nxt == write_seq. In
 * ESTABLISHED and CLOSE_WAIT SENDQ_LEN == write_seq - snd_una and
 * UNSENT_LEN == write_seq - snd_nxt. Always snd_una <= snd_nxt <= write_seq.
 *
 * The peer's FIN. In CLOSE_WAIT, CLOSING and LAST_ACK it has been received
 * and counts in rcv_nxt. Until the reader meets it copied_seq stays before
 * it: RECVQ_LEN + 1 == rcv_nxt - copied_seq; once the reader has seen end of
 * file, copied_seq == rcv_nxt and RECVQ_LEN == 0. No out-of-order data can
 * follow it. In the other states RECVQ_LEN == rcv_nxt - copied_seq.
 *
 * Out-of-order data lies after rcv_nxt, in ranges that neither overlap nor
 * touch, at most SOCKMI_OFO_SPAN_MAX past it; an out-of-order FIN is not
 * before the end of the last range. None of it once the peer's FIN is in
 * sequence.
 *
 * Windows follow TCP_REPAIR_WINDOW: max_window >= snd_wnd, snd_wl1 not after
 * rcv_nxt + rcv_wnd, rcv_wup not after rcv_nxt.
 */

#include <linux/export.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/stddef.h>
#include <net/ipv6.h>

#include "state.h"

/* Bytes a chunk takes around its data: nest, QUEUE, CHILD, OFFSET, DATA
 * header.
 */
#define SOCKMI_CHUNK_OVERHEAD (NLA_HDRLEN + NLA_ALIGN(NLA_HDRLEN + 1) +	\
			       2 * NLA_ALIGN(NLA_HDRLEN + 4) + NLA_HDRLEN)

/* SOCKMI_REQUIRE() for an attribute of the state nest being parsed. */
#define SOCKMI_NEED(p, type) ({						\
	struct sockmi_parse *__p = (p);					\
	SOCKMI_REQUIRE(__p->extack, __p->nest, __p->tb,			\
		       SOCKMI_STATE_A_##type);				\
})

/* An inconsistency between attributes of the state nest. */
#define SOCKMI_SEQ_ERR(extack, tb, type, msg) ({			\
	NL_SET_ERR_MSG_ATTR(extack, (tb)[SOCKMI_STATE_A_##type], msg);	\
	-ERANGE;							\
})

/* A u32 member of a struct and the attribute that carries it. */
struct sockmi_u32_field {
	u16 attr;
	u16 offset;
};

#define SOCKMI_ST_U32(attr, member) \
	{ SOCKMI_STATE_A_##attr, offsetof(struct sockmi_state, member) }
#define SOCKMI_OPT_U32(attr, member) \
	{ SOCKMI_SOCKOPT_A_##attr, offsetof(struct sockmi_sockopts, member) }

/* Required: sequence numbers and TCP_REPAIR_WINDOW. */
static const struct sockmi_u32_field sockmi_state_seqs[] = {
	SOCKMI_ST_U32(SND_UNA, snd_una),
	SOCKMI_ST_U32(SND_NXT, snd_nxt),
	SOCKMI_ST_U32(WRITE_SEQ, write_seq),
	SOCKMI_ST_U32(RCV_NXT, rcv_nxt),
	SOCKMI_ST_U32(COPIED_SEQ, copied_seq),
	SOCKMI_ST_U32(SND_WL1, snd_wl1),
	SOCKMI_ST_U32(SND_WND, snd_wnd),
	SOCKMI_ST_U32(MAX_WINDOW, max_window),
	SOCKMI_ST_U32(RCV_WND, rcv_wnd),
	SOCKMI_ST_U32(RCV_WUP, rcv_wup),
};

/* Optional, absent when 0: congestion state. */
static const struct sockmi_u32_field sockmi_state_cong[] = {
	SOCKMI_ST_U32(SRTT_US, srtt_us),
	SOCKMI_ST_U32(MDEV_US, mdev_us),
	SOCKMI_ST_U32(RTO_US, rto_us),
	SOCKMI_ST_U32(CWND, cwnd),
	SOCKMI_ST_U32(SSTHRESH, ssthresh),
};

static const struct sockmi_u32_field sockmi_sockopt_u32s[] = {
	SOCKMI_OPT_U32(KEEPIDLE, keepidle),
	SOCKMI_OPT_U32(KEEPINTVL, keepintvl),
	SOCKMI_OPT_U32(KEEPCNT, keepcnt),
	SOCKMI_OPT_U32(RCVBUF, rcvbuf),
	SOCKMI_OPT_U32(SNDBUF, sndbuf),
	SOCKMI_OPT_U32(LINGER, linger),
	SOCKMI_OPT_U32(USER_TIMEOUT, user_timeout),
	SOCKMI_OPT_U32(MARK, mark),
	SOCKMI_OPT_U32(PRIORITY, priority),
};

static const u8 sockmi_sockopt_flags[] = {
	SOCKMI_SOCKOPT_A_KEEPALIVE,
	SOCKMI_SOCKOPT_A_NODELAY,
	SOCKMI_SOCKOPT_A_REUSEADDR,
};

/* The attribute declaring the length of each queue. */
static const u8 sockmi_queue_len_attr[__SOCKMI_QUEUE_MAX] = {
	[SOCKMI_QUEUE_RECV] = SOCKMI_STATE_A_RECVQ_LEN,
	[SOCKMI_QUEUE_SEND] = SOCKMI_STATE_A_SENDQ_LEN,
	[SOCKMI_QUEUE_OFO] = SOCKMI_STATE_A_OFOQ_LEN,
};

static u32 sockmi_field_get(const void *base, const struct sockmi_u32_field *f)
{
	return *(const u32 *)(base + f->offset);
}

static void sockmi_field_set(void *base, const struct sockmi_u32_field *f,
			     u32 val)
{
	*(u32 *)(base + f->offset) = val;
}

/* Values setsockopt() takes as an int. */
static struct netlink_range_validation sockmi_int_range = {
	.max = INT_MAX,
};

const struct nla_policy sockmi_tuple_policy[SOCKMI_TUPLE_A_MAX + 1] = {
	[SOCKMI_TUPLE_A_FAMILY] = { .type = NLA_U16 },
	[SOCKMI_TUPLE_A_LOCAL_ADDR] = NLA_POLICY_RANGE(NLA_BINARY,
						       sizeof(struct in_addr),
						       sizeof(struct in6_addr)),
	[SOCKMI_TUPLE_A_LOCAL_PORT] = { .type = NLA_U16 },
	[SOCKMI_TUPLE_A_REMOTE_ADDR] = NLA_POLICY_RANGE(NLA_BINARY,
							sizeof(struct in_addr),
							sizeof(struct in6_addr)),
	[SOCKMI_TUPLE_A_REMOTE_PORT] = { .type = NLA_U16 },
};
EXPORT_SYMBOL_GPL(sockmi_tuple_policy);

const struct nla_policy sockmi_chunk_policy[SOCKMI_CHUNK_A_MAX + 1] = {
	[SOCKMI_CHUNK_A_QUEUE] = NLA_POLICY_MAX(NLA_U8, SOCKMI_QUEUE_MAX_ID),
	[SOCKMI_CHUNK_A_CHILD] = NLA_POLICY_MAX(NLA_U32,
						SOCKMI_CHILDREN_MAX - 1),
	[SOCKMI_CHUNK_A_OFFSET] = { .type = NLA_U32 },
	[SOCKMI_CHUNK_A_DATA] = NLA_POLICY_RANGE(NLA_BINARY, 1,
						 SOCKMI_CHUNK_MAX),
};
EXPORT_SYMBOL_GPL(sockmi_chunk_policy);

const struct nla_policy sockmi_sockopt_policy[SOCKMI_SOCKOPT_A_MAX + 1] = {
	[SOCKMI_SOCKOPT_A_KEEPALIVE] = { .type = NLA_FLAG },
	[SOCKMI_SOCKOPT_A_KEEPIDLE] = NLA_POLICY_RANGE(NLA_U32, 1,
						       MAX_TCP_KEEPIDLE),
	[SOCKMI_SOCKOPT_A_KEEPINTVL] = NLA_POLICY_RANGE(NLA_U32, 1,
							MAX_TCP_KEEPINTVL),
	[SOCKMI_SOCKOPT_A_KEEPCNT] = NLA_POLICY_RANGE(NLA_U32, 1,
						      MAX_TCP_KEEPCNT),
	[SOCKMI_SOCKOPT_A_NODELAY] = { .type = NLA_FLAG },
	[SOCKMI_SOCKOPT_A_RCVBUF] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &sockmi_int_range),
	[SOCKMI_SOCKOPT_A_SNDBUF] = NLA_POLICY_FULL_RANGE(NLA_U32,
							  &sockmi_int_range),
	[SOCKMI_SOCKOPT_A_LINGER] = { .type = NLA_U32 },
	[SOCKMI_SOCKOPT_A_USER_TIMEOUT] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &sockmi_int_range),
	[SOCKMI_SOCKOPT_A_CONGESTION] = { .type = NLA_NUL_STRING,
					  .len = TCP_CA_NAME_MAX - 1 },
	[SOCKMI_SOCKOPT_A_MARK] = { .type = NLA_U32 },
	[SOCKMI_SOCKOPT_A_PRIORITY] = { .type = NLA_U32 },
	[SOCKMI_SOCKOPT_A_TOS] = { .type = NLA_U8 },
	[SOCKMI_SOCKOPT_A_REUSEADDR] = { .type = NLA_FLAG },
	[SOCKMI_SOCKOPT_A_MAXSEG] = NLA_POLICY_RANGE(NLA_U16, TCP_MIN_MSS,
						     MAX_TCP_WINDOW),
};
EXPORT_SYMBOL_GPL(sockmi_sockopt_policy);

const struct nla_policy sockmi_state_policy[SOCKMI_STATE_A_MAX + 1] = {
	[SOCKMI_STATE_A_VERSION] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_TUPLE] = NLA_POLICY_NESTED(sockmi_tuple_policy),
	[SOCKMI_STATE_A_TCP_STATE] = NLA_POLICY_RANGE(NLA_U8, TCP_ESTABLISHED,
						      TCP_CLOSING),
	[SOCKMI_STATE_A_V6ONLY] = { .type = NLA_FLAG },
	[SOCKMI_STATE_A_SND_UNA] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_SND_NXT] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_WRITE_SEQ] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_RCV_NXT] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_COPIED_SEQ] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_SND_WL1] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_SND_WND] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_MAX_WINDOW] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_RCV_WND] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_RCV_WUP] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_MSS] = NLA_POLICY_MIN(NLA_U16, 64),
	[SOCKMI_STATE_A_SND_WSCALE] = NLA_POLICY_MAX(NLA_U8, TCP_MAX_WSCALE),
	[SOCKMI_STATE_A_RCV_WSCALE] = NLA_POLICY_MAX(NLA_U8, TCP_MAX_WSCALE),
	[SOCKMI_STATE_A_OPTIONS] = NLA_POLICY_MASK(NLA_U32,
						   __SOCKMI_TCPOPT_ALL),
	[SOCKMI_STATE_A_TS_NOW] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_TS_RECENT] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_SRTT_US] = NLA_POLICY_MIN(NLA_U32, 1),
	[SOCKMI_STATE_A_MDEV_US] = NLA_POLICY_MIN(NLA_U32, 1),
	[SOCKMI_STATE_A_RTO_US] = NLA_POLICY_MIN(NLA_U32, 1),
	[SOCKMI_STATE_A_CWND] = NLA_POLICY_MIN(NLA_U32, 1),
	[SOCKMI_STATE_A_SSTHRESH] = NLA_POLICY_MIN(NLA_U32, 1),
	[SOCKMI_STATE_A_RECVQ_LEN] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_SENDQ_LEN] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_UNSENT_LEN] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_OFOQ_LEN] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_BACKLOG] = { .type = NLA_U32 },
	[SOCKMI_STATE_A_NCHILDREN] = NLA_POLICY_MAX(NLA_U32,
						    SOCKMI_CHILDREN_MAX),
	[SOCKMI_STATE_A_SOCKOPTS] = NLA_POLICY_NESTED(sockmi_sockopt_policy),
	[SOCKMI_STATE_A_OFO_RANGES] =
		NLA_POLICY_RANGE(NLA_BINARY, sizeof(struct sockmi_ofo_range),
				 SOCKMI_OFO_RANGES_MAX *
				 sizeof(struct sockmi_ofo_range)),
	[SOCKMI_STATE_A_OFO_FIN] = { .type = NLA_U32 },
};
EXPORT_SYMBOL_GPL(sockmi_state_policy);

void sockmi_state_free(struct sockmi_state *st)
{
	u32 i;
	int q;

	for (q = 0; q < __SOCKMI_QUEUE_MAX; q++) {
		kvfree(st->queue[q]);
		st->queue[q] = NULL;
	}
	kvfree(st->ofo);
	st->ofo = NULL;
	st->nofo = 0;
	for (i = 0; st->children && i < st->nchildren; i++)
		sockmi_state_free(&st->children[i]);
	kvfree(st->children);
	st->children = NULL;
	st->nchildren = 0;
}
EXPORT_SYMBOL_GPL(sockmi_state_free);

/* Writing */

int sockmi_put_addr(struct sk_buff *skb, int type, u16 family,
		    const struct in6_addr *addr)
{
	if (family == AF_INET)
		return nla_put_in_addr(skb, type, addr->s6_addr32[3]);
	return nla_put_in6_addr(skb, type, addr);
}
EXPORT_SYMBOL_GPL(sockmi_put_addr);

int sockmi_tuple_put(struct sk_buff *skb, int type,
		     const struct sockmi_tuple *t)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u16(skb, SOCKMI_TUPLE_A_FAMILY, t->family) ||
	    sockmi_put_addr(skb, SOCKMI_TUPLE_A_LOCAL_ADDR, t->family,
			    &t->laddr) ||
	    nla_put_u16(skb, SOCKMI_TUPLE_A_LOCAL_PORT, ntohs(t->lport)))
		goto err;
	if (t->rport &&
	    (sockmi_put_addr(skb, SOCKMI_TUPLE_A_REMOTE_ADDR, t->family,
			     &t->raddr) ||
	     nla_put_u16(skb, SOCKMI_TUPLE_A_REMOTE_PORT, ntohs(t->rport))))
		goto err;
	nla_nest_end(skb, nest);
	return 0;
err:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}
EXPORT_SYMBOL_GPL(sockmi_tuple_put);

static int sockmi_put_u32s(struct sk_buff *skb, const void *base,
			   const struct sockmi_u32_field *f, int n,
			   bool skip_zero)
{
	u32 val;
	int i;

	for (i = 0; i < n; i++) {
		val = sockmi_field_get(base, &f[i]);
		if (skip_zero && !val)
			continue;
		if (nla_put_u32(skb, f[i].attr, val))
			return -EMSGSIZE;
	}
	return 0;
}

static bool sockmi_has_opt(const struct sockmi_sockopts *o, int attr)
{
	return o->present & SOCKMI_OPT(attr);
}

static int sockmi_sockopts_fill(struct sk_buff *skb,
				const struct sockmi_sockopts *o)
{
	const struct sockmi_u32_field *f;
	int i;

	for (i = 0; i < ARRAY_SIZE(sockmi_sockopt_flags); i++)
		if (sockmi_has_opt(o, sockmi_sockopt_flags[i]) &&
		    nla_put_flag(skb, sockmi_sockopt_flags[i]))
			return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(sockmi_sockopt_u32s); i++) {
		f = &sockmi_sockopt_u32s[i];
		if (sockmi_has_opt(o, f->attr) &&
		    nla_put_u32(skb, f->attr, sockmi_field_get(o, f)))
			return -EMSGSIZE;
	}
	if ((sockmi_has_opt(o, SOCKMI_SOCKOPT_A_MAXSEG) &&
	     nla_put_u16(skb, SOCKMI_SOCKOPT_A_MAXSEG, o->maxseg)) ||
	    (sockmi_has_opt(o, SOCKMI_SOCKOPT_A_TOS) &&
	     nla_put_u8(skb, SOCKMI_SOCKOPT_A_TOS, o->tos)) ||
	    (sockmi_has_opt(o, SOCKMI_SOCKOPT_A_CONGESTION) &&
	     nla_put_string(skb, SOCKMI_SOCKOPT_A_CONGESTION, o->congestion)))
		return -EMSGSIZE;
	return 0;
}

/* The SOCKMI_STATE_A_SOCKOPTS nest, when there is an option to carry. */
static int sockmi_sockopts_put(struct sk_buff *skb,
			       const struct sockmi_sockopts *o)
{
	struct nlattr *nest;

	if (!o->present)
		return 0;
	nest = nla_nest_start(skb, SOCKMI_STATE_A_SOCKOPTS);
	if (!nest)
		return -EMSGSIZE;
	if (sockmi_sockopts_fill(skb, o)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* Version, tuple, TCP state, V6ONLY. */
static int sockmi_state_put_conn(struct sk_buff *skb,
				 const struct sockmi_state *st)
{
	if (nla_put_u32(skb, SOCKMI_STATE_A_VERSION, SOCKMI_STATE_VERSION) ||
	    sockmi_tuple_put(skb, SOCKMI_STATE_A_TUPLE, &st->tuple) ||
	    nla_put_u8(skb, SOCKMI_STATE_A_TCP_STATE, st->tcp_state))
		return -EMSGSIZE;
	if (st->v6only && nla_put_flag(skb, SOCKMI_STATE_A_V6ONLY))
		return -EMSGSIZE;
	return 0;
}

/* Sequence numbers, windows, TCP options, congestion state. */
static int sockmi_state_put_tcp(struct sk_buff *skb,
				const struct sockmi_state *st)
{
	if (sockmi_put_u32s(skb, st, sockmi_state_seqs,
			    ARRAY_SIZE(sockmi_state_seqs), false) ||
	    nla_put_u16(skb, SOCKMI_STATE_A_MSS, st->mss) ||
	    nla_put_u32(skb, SOCKMI_STATE_A_OPTIONS, st->options))
		return -EMSGSIZE;
	if ((st->options & SOCKMI_TCPOPT_WSCALE) &&
	    (nla_put_u8(skb, SOCKMI_STATE_A_SND_WSCALE, st->snd_wscale) ||
	     nla_put_u8(skb, SOCKMI_STATE_A_RCV_WSCALE, st->rcv_wscale)))
		return -EMSGSIZE;
	if ((st->options & SOCKMI_TCPOPT_TIMESTAMP) &&
	    (nla_put_u32(skb, SOCKMI_STATE_A_TS_NOW, st->ts_now) ||
	     nla_put_u32(skb, SOCKMI_STATE_A_TS_RECENT, st->ts_recent)))
		return -EMSGSIZE;
	return sockmi_put_u32s(skb, st, sockmi_state_cong,
			       ARRAY_SIZE(sockmi_state_cong), true);
}

static int sockmi_state_put_queues(struct sk_buff *skb,
				   const struct sockmi_state *st)
{
	if (nla_put_u32(skb, SOCKMI_STATE_A_RECVQ_LEN,
			st->len[SOCKMI_QUEUE_RECV]) ||
	    nla_put_u32(skb, SOCKMI_STATE_A_SENDQ_LEN,
			st->len[SOCKMI_QUEUE_SEND]) ||
	    nla_put_u32(skb, SOCKMI_STATE_A_UNSENT_LEN, sockmi_unsent(st)))
		return -EMSGSIZE;
	if (st->nofo &&
	    (nla_put_u32(skb, SOCKMI_STATE_A_OFOQ_LEN,
			 st->len[SOCKMI_QUEUE_OFO]) ||
	     nla_put(skb, SOCKMI_STATE_A_OFO_RANGES,
		     st->nofo * sizeof(*st->ofo), st->ofo)))
		return -EMSGSIZE;
	if (st->ofo_fin &&
	    nla_put_u32(skb, SOCKMI_STATE_A_OFO_FIN, st->ofo_fin_seq))
		return -EMSGSIZE;
	return 0;
}

int sockmi_state_put(struct sk_buff *skb, int type,
		     const struct sockmi_state *st)
{
	struct nlattr *nest = nla_nest_start(skb, type);

	if (!nest)
		return -EMSGSIZE;
	if (sockmi_state_put_conn(skb, st))
		goto cancel;
	if (sockmi_connected(st->tcp_state) &&
	    (sockmi_state_put_tcp(skb, st) || sockmi_state_put_queues(skb, st)))
		goto cancel;
	if (st->tcp_state == TCP_LISTEN &&
	    (nla_put_u32(skb, SOCKMI_STATE_A_BACKLOG, st->backlog) ||
	     nla_put_u32(skb, SOCKMI_STATE_A_NCHILDREN, st->nchildren)))
		goto cancel;
	if (sockmi_sockopts_put(skb, &st->opts)) {
cancel:
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_state_put);

/* Writes one chunk of at most @len bytes; returns the bytes written. */
static int sockmi_put_chunk(struct sk_buff *skb, int child, int queue,
			    u32 offset, const u8 *data, u32 len)
{
	int room = skb_tailroom(skb) - SOCKMI_CHUNK_OVERHEAD;
	struct nlattr *nest;

	if (room < NLA_ALIGNTO)
		return -EMSGSIZE;
	len = min3(len, (u32)SOCKMI_CHUNK_MAX,
		   (u32)round_down(room, NLA_ALIGNTO));
	nest = nla_nest_start(skb, SOCKMI_A_CHUNK);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u8(skb, SOCKMI_CHUNK_A_QUEUE, queue) ||
	    (child >= 0 && nla_put_u32(skb, SOCKMI_CHUNK_A_CHILD, child)) ||
	    nla_put_u32(skb, SOCKMI_CHUNK_A_OFFSET, offset) ||
	    nla_put(skb, SOCKMI_CHUNK_A_DATA, len, data)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return len;
}

int sockmi_state_put_chunks(struct sk_buff *skb, const struct sockmi_state *st,
			    int child, int *queue, u32 *offset)
{
	int ret;

	if (WARN_ON_ONCE(*queue < 0))
		return -EINVAL;
	for (; *queue < __SOCKMI_QUEUE_MAX; (*queue)++, *offset = 0) {
		if (*offset < st->len[*queue] &&
		    WARN_ON_ONCE(!st->queue[*queue]))
			return -EINVAL;
		while (*offset < st->len[*queue]) {
			ret = sockmi_put_chunk(skb, child, *queue, *offset,
					       st->queue[*queue] + *offset,
					       st->len[*queue] - *offset);
			if (ret < 0)
				return ret;
			*offset += ret;
		}
	}
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_state_put_chunks);

/* Reading */

int sockmi_nla_get_family(const struct nlattr *attr, u16 *family,
			  struct netlink_ext_ack *extack)
{
	*family = nla_get_u16(attr);
	if (*family == AF_INET || *family == AF_INET6)
		return 0;
	NL_SET_ERR_MSG_ATTR(extack, attr, "Family must be AF_INET or AF_INET6");
	return -EAFNOSUPPORT;
}
EXPORT_SYMBOL_GPL(sockmi_nla_get_family);

int sockmi_nla_get_addr(const struct nlattr *attr, u16 family,
			struct in6_addr *addr, struct netlink_ext_ack *extack)
{
	if (family == AF_INET && nla_len(attr) == sizeof(struct in_addr)) {
		ipv6_addr_set_v4mapped(nla_get_in_addr(attr), addr);
		return 0;
	}
	if (family == AF_INET6 && nla_len(attr) == sizeof(struct in6_addr)) {
		*addr = nla_get_in6_addr(attr);
		return 0;
	}
	NL_SET_ERR_MSG_ATTR(extack, attr,
			    "Address length does not match its family");
	return -EINVAL;
}
EXPORT_SYMBOL_GPL(sockmi_nla_get_addr);

int sockmi_tuple_parse(const struct nlattr *nest, struct sockmi_tuple *t,
		       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SOCKMI_TUPLE_A_MAX + 1];
	int ret;

	memset(t, 0, sizeof(*t));
	ret = nla_parse_nested(tb, SOCKMI_TUPLE_A_MAX, nest,
			       sockmi_tuple_policy, extack);
	if (ret)
		return ret;
	if (SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_TUPLE_A_FAMILY) ||
	    SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_TUPLE_A_LOCAL_ADDR) ||
	    SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_TUPLE_A_LOCAL_PORT))
		return -EINVAL;
	ret = sockmi_nla_get_family(tb[SOCKMI_TUPLE_A_FAMILY], &t->family,
				    extack);
	if (ret)
		return ret;
	ret = sockmi_nla_get_addr(tb[SOCKMI_TUPLE_A_LOCAL_ADDR], t->family,
				  &t->laddr, extack);
	if (ret)
		return ret;
	t->lport = htons(nla_get_u16(tb[SOCKMI_TUPLE_A_LOCAL_PORT]));
	if (!tb[SOCKMI_TUPLE_A_REMOTE_ADDR] != !tb[SOCKMI_TUPLE_A_REMOTE_PORT]) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "Remote address and port come together");
		return -EINVAL;
	}
	if (!tb[SOCKMI_TUPLE_A_REMOTE_ADDR])
		return 0;
	ret = sockmi_nla_get_addr(tb[SOCKMI_TUPLE_A_REMOTE_ADDR], t->family,
				  &t->raddr, extack);
	if (ret)
		return ret;
	t->rport = htons(nla_get_u16(tb[SOCKMI_TUPLE_A_REMOTE_PORT]));
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_tuple_parse);

/* A state nest being parsed. */
struct sockmi_parse {
	const struct nlattr *nest;
	struct nlattr *tb[SOCKMI_STATE_A_MAX + 1];
	struct netlink_ext_ack *extack;
	u32 unsent;		/* SOCKMI_STATE_A_UNSENT_LEN */
};

/* Checked before the strict parse, so that a state of another version is
 * refused as such rather than for an attribute this version does not know.
 */
static int sockmi_parse_version(struct sockmi_parse *p)
{
	const struct nlattr *attr;

	attr = nla_find_nested(p->nest, SOCKMI_STATE_A_VERSION);
	if (attr && nla_len(attr) == sizeof(u32) &&
	    nla_get_u32(attr) != SOCKMI_STATE_VERSION) {
		NL_SET_ERR_MSG_ATTR(p->extack, attr,
				    "Unsupported state version");
		return -EPROTONOSUPPORT;
	}
	return 0;
}

/* What a connected socket's state cannot do without. */
static int sockmi_parse_required(struct sockmi_parse *p)
{
	if (SOCKMI_NEED(p, TUPLE) || SOCKMI_NEED(p, SND_UNA) ||
	    SOCKMI_NEED(p, SND_NXT) || SOCKMI_NEED(p, WRITE_SEQ) ||
	    SOCKMI_NEED(p, RCV_NXT) || SOCKMI_NEED(p, COPIED_SEQ) ||
	    SOCKMI_NEED(p, SND_WL1) || SOCKMI_NEED(p, SND_WND) ||
	    SOCKMI_NEED(p, MAX_WINDOW) || SOCKMI_NEED(p, RCV_WND) ||
	    SOCKMI_NEED(p, RCV_WUP) || SOCKMI_NEED(p, MSS) ||
	    SOCKMI_NEED(p, OPTIONS) || SOCKMI_NEED(p, RECVQ_LEN) ||
	    SOCKMI_NEED(p, SENDQ_LEN) || SOCKMI_NEED(p, UNSENT_LEN))
		return -EINVAL;
	return 0;
}

static bool sockmi_addr_unicast(const struct in6_addr *addr)
{
	__be32 v4 = addr->s6_addr32[3];
	int type;

	if (ipv6_addr_v4mapped(addr))
		return !ipv4_is_zeronet(v4) && !ipv4_is_multicast(v4) &&
		       !ipv4_is_lbcast(v4);
	type = ipv6_addr_type(addr);
	return type != IPV6_ADDR_ANY && !(type & IPV6_ADDR_MULTICAST);
}

static bool sockmi_addr_any(const struct in6_addr *addr)
{
	return ipv6_addr_any(addr) ||
	       (ipv6_addr_v4mapped(addr) && !addr->s6_addr32[3]);
}

/* Before anything else: the kind of socket decides what must be there. A
 * child of a listening socket is a connected socket.
 */
static int sockmi_parse_tcp_state(struct sockmi_parse *p,
				  struct sockmi_state *st, bool child)
{
	if (SOCKMI_NEED(p, VERSION) || SOCKMI_NEED(p, TCP_STATE))
		return -EINVAL;
	st->tcp_state = nla_get_u8(p->tb[SOCKMI_STATE_A_TCP_STATE]);
	/* Nobody could shut down a child nobody accepted yet; accept() takes
	 * no other state.
	 */
	if (child && st->tcp_state != TCP_ESTABLISHED &&
	    st->tcp_state != TCP_CLOSE_WAIT) {
		NL_SET_ERR_MSG_ATTR(p->extack, p->tb[SOCKMI_STATE_A_TCP_STATE],
				    "An accept-queue child must be ESTABLISHED or CLOSE_WAIT");
		return -EINVAL;
	}
	if (!((1U << st->tcp_state) & SOCKMI_TCPF_ANY)) {
		NL_SET_ERR_MSG_ATTR(p->extack, p->tb[SOCKMI_STATE_A_TCP_STATE],
				    "Only bound, listening and connected sockets can be staged");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Tuple, V6ONLY, backlog and children count of a bound or listening socket,
 * which has nothing else but socket options.
 */
static int sockmi_parse_unconnected(struct sockmi_parse *p,
				    struct sockmi_state *st)
{
	const struct nlattr *attr = p->tb[SOCKMI_STATE_A_TUPLE];
	const struct sockmi_tuple *t = &st->tuple;
	bool listen = st->tcp_state == TCP_LISTEN;
	int i, ret;

	if (SOCKMI_NEED(p, TUPLE))
		return -EINVAL;
	ret = sockmi_tuple_parse(attr, &st->tuple, p->extack);
	if (ret)
		return ret;
	if (t->rport || !t->lport) {
		NL_SET_ERR_MSG_ATTR(p->extack, attr,
				    "A bound or listening socket has a local port and no remote end");
		return -EINVAL;
	}
	if (!sockmi_addr_unicast(&t->laddr) && !sockmi_addr_any(&t->laddr)) {
		NL_SET_ERR_MSG_ATTR(p->extack, attr,
				    "The local address must be unicast or unspecified");
		return -EINVAL;
	}
	st->v6only = nla_get_flag(p->tb[SOCKMI_STATE_A_V6ONLY]);
	if (st->v6only && (t->family != AF_INET6 ||
			   ipv6_addr_v4mapped(&t->laddr))) {
		NL_SET_ERR_MSG_ATTR(p->extack, p->tb[SOCKMI_STATE_A_V6ONLY],
				    "V6ONLY on an IPv4 address");
		return -EINVAL;
	}
	for (i = SOCKMI_STATE_A_SND_UNA; i <= SOCKMI_STATE_A_MAX; i++) {
		if (i == SOCKMI_STATE_A_BACKLOG || i == SOCKMI_STATE_A_NCHILDREN ||
		    i == SOCKMI_STATE_A_SOCKOPTS)
			continue;
		if (p->tb[i]) {
			NL_SET_ERR_MSG_ATTR(p->extack, p->tb[i],
					    "Only a connected socket has sequence numbers, TCP options and queues");
			return -EINVAL;
		}
	}
	if (!listen) {
		if (p->tb[SOCKMI_STATE_A_BACKLOG] ||
		    p->tb[SOCKMI_STATE_A_NCHILDREN]) {
			NL_SET_ERR_MSG_ATTR(p->extack,
					    p->tb[SOCKMI_STATE_A_BACKLOG] ?:
					    p->tb[SOCKMI_STATE_A_NCHILDREN],
					    "Only a listening socket has a backlog and children");
			return -EINVAL;
		}
		return 0;
	}
	if (SOCKMI_NEED(p, BACKLOG) || SOCKMI_NEED(p, NCHILDREN))
		return -EINVAL;
	st->backlog = nla_get_u32(p->tb[SOCKMI_STATE_A_BACKLOG]);
	st->nchildren = nla_get_u32(p->tb[SOCKMI_STATE_A_NCHILDREN]);
	return 0;
}

/* Tuple and V6ONLY of a connected socket. */
static int sockmi_parse_conn(struct sockmi_parse *p, struct sockmi_state *st)
{
	const struct nlattr *attr = p->tb[SOCKMI_STATE_A_TUPLE];
	const struct sockmi_tuple *t = &st->tuple;
	int ret;

	ret = sockmi_tuple_parse(attr, &st->tuple, p->extack);
	if (ret)
		return ret;
	if (!t->rport || !t->lport) {
		NL_SET_ERR_MSG_ATTR(p->extack, attr,
				    "A connected socket needs both addresses and ports");
		return -EINVAL;
	}
	if (!sockmi_addr_unicast(&t->laddr) ||
	    !sockmi_addr_unicast(&t->raddr)) {
		NL_SET_ERR_MSG_ATTR(p->extack, attr,
				    "Addresses must be unicast and specified");
		return -EINVAL;
	}
	if (ipv6_addr_v4mapped(&t->laddr) != ipv6_addr_v4mapped(&t->raddr)) {
		NL_SET_ERR_MSG_ATTR(p->extack, attr,
				    "Local and remote address mix IPv4 and IPv6");
		return -EINVAL;
	}
	st->v6only = nla_get_flag(p->tb[SOCKMI_STATE_A_V6ONLY]);
	if (st->v6only && ipv6_addr_v4mapped(&t->laddr)) {
		NL_SET_ERR_MSG_ATTR(p->extack, p->tb[SOCKMI_STATE_A_V6ONLY],
				    "V6ONLY on an IPv4 connection");
		return -EINVAL;
	}
	if (p->tb[SOCKMI_STATE_A_BACKLOG] || p->tb[SOCKMI_STATE_A_NCHILDREN]) {
		NL_SET_ERR_MSG_ATTR(p->extack,
				    p->tb[SOCKMI_STATE_A_BACKLOG] ?:
				    p->tb[SOCKMI_STATE_A_NCHILDREN],
				    "Only a listening socket has a backlog and children");
		return -EINVAL;
	}
	return 0;
}

/* MSS, TCP options and the attributes that come with them. */
static int sockmi_parse_tcpopts(struct sockmi_parse *p,
				struct sockmi_state *st)
{
	struct nlattr **tb = p->tb;

	st->mss = nla_get_u16(tb[SOCKMI_STATE_A_MSS]);
	st->options = nla_get_u32(tb[SOCKMI_STATE_A_OPTIONS]);
	if (st->options & SOCKMI_TCPOPT_WSCALE) {
		if (SOCKMI_NEED(p, SND_WSCALE) || SOCKMI_NEED(p, RCV_WSCALE))
			return -EINVAL;
		st->snd_wscale = nla_get_u8(tb[SOCKMI_STATE_A_SND_WSCALE]);
		st->rcv_wscale = nla_get_u8(tb[SOCKMI_STATE_A_RCV_WSCALE]);
	} else if (tb[SOCKMI_STATE_A_SND_WSCALE] ||
		   tb[SOCKMI_STATE_A_RCV_WSCALE]) {
		NL_SET_ERR_MSG_ATTR(p->extack, tb[SOCKMI_STATE_A_SND_WSCALE] ?:
				    tb[SOCKMI_STATE_A_RCV_WSCALE],
				    "Window scale without SOCKMI_TCPOPT_WSCALE");
		return -EINVAL;
	}
	if (st->options & SOCKMI_TCPOPT_TIMESTAMP) {
		if (SOCKMI_NEED(p, TS_NOW) || SOCKMI_NEED(p, TS_RECENT))
			return -EINVAL;
		st->ts_now = nla_get_u32(tb[SOCKMI_STATE_A_TS_NOW]);
		st->ts_recent = nla_get_u32(tb[SOCKMI_STATE_A_TS_RECENT]);
	} else if (tb[SOCKMI_STATE_A_TS_NOW] || tb[SOCKMI_STATE_A_TS_RECENT]) {
		NL_SET_ERR_MSG_ATTR(p->extack, tb[SOCKMI_STATE_A_TS_NOW] ?:
				    tb[SOCKMI_STATE_A_TS_RECENT],
				    "Timestamps without SOCKMI_TCPOPT_TIMESTAMP");
		return -EINVAL;
	}
	return 0;
}

static void sockmi_get_u32s(struct nlattr **tb, void *base,
			    const struct sockmi_u32_field *f, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (tb[f[i].attr])
			sockmi_field_set(base, &f[i],
					 nla_get_u32(tb[f[i].attr]));
}

static int sockmi_parse_lens(struct sockmi_parse *p, struct sockmi_state *st)
{
	const struct nlattr *attr;
	int q;

	for (q = 0; q < __SOCKMI_QUEUE_MAX; q++) {
		attr = p->tb[sockmi_queue_len_attr[q]];
		if (!attr)
			continue;
		st->len[q] = nla_get_u32(attr);
		if (st->len[q] > SOCKMI_QUEUE_MAX) {
			NL_SET_ERR_MSG_ATTR(p->extack, attr,
					    "Queue longer than SOCKMI_QUEUE_MAX");
			return -EFBIG;
		}
	}
	attr = p->tb[SOCKMI_STATE_A_UNSENT_LEN];
	p->unsent = nla_get_u32(attr);
	if (p->unsent > SOCKMI_QUEUE_MAX) {
		NL_SET_ERR_MSG_ATTR(p->extack, attr,
				    "Queue longer than SOCKMI_QUEUE_MAX");
		return -EFBIG;
	}
	return 0;
}

static int sockmi_parse_sockopts(struct sockmi_parse *p,
				 struct sockmi_state *st)
{
	const struct nlattr *nest = p->tb[SOCKMI_STATE_A_SOCKOPTS];
	struct nlattr *tb[SOCKMI_SOCKOPT_A_MAX + 1];
	struct sockmi_sockopts *o = &st->opts;
	int i, ret;

	if (!nest)
		return 0;
	ret = nla_parse_nested(tb, SOCKMI_SOCKOPT_A_MAX, nest,
			       sockmi_sockopt_policy, p->extack);
	if (ret)
		return ret;
	for (i = 1; i <= SOCKMI_SOCKOPT_A_MAX; i++)
		if (tb[i])
			o->present |= SOCKMI_OPT(i);
	sockmi_get_u32s(tb, o, sockmi_sockopt_u32s,
			ARRAY_SIZE(sockmi_sockopt_u32s));
	if (tb[SOCKMI_SOCKOPT_A_MAXSEG])
		o->maxseg = nla_get_u16(tb[SOCKMI_SOCKOPT_A_MAXSEG]);
	if (tb[SOCKMI_SOCKOPT_A_TOS])
		o->tos = nla_get_u8(tb[SOCKMI_SOCKOPT_A_TOS]);
	if (tb[SOCKMI_SOCKOPT_A_CONGESTION]) {
		nla_strscpy(o->congestion, tb[SOCKMI_SOCKOPT_A_CONGESTION],
			    sizeof(o->congestion));
		if (!o->congestion[0]) {
			NL_SET_ERR_MSG_ATTR(p->extack,
					    tb[SOCKMI_SOCKOPT_A_CONGESTION],
					    "Empty congestion control name");
			return -EINVAL;
		}
	}
	return 0;
}

/* Every attribute of the state nest into @st; nothing is allocated. */
static int sockmi_state_read(struct sockmi_parse *p, struct sockmi_state *st,
			     bool child)
{
	int ret;

	ret = sockmi_parse_version(p);
	if (ret)
		return ret;
	ret = nla_parse_nested(p->tb, SOCKMI_STATE_A_MAX, p->nest,
			       sockmi_state_policy, p->extack);
	if (ret)
		return ret;
	ret = sockmi_parse_tcp_state(p, st, child);
	if (ret)
		return ret;
	if (!sockmi_connected(st->tcp_state)) {
		ret = sockmi_parse_unconnected(p, st);
		return ret ?: sockmi_parse_sockopts(p, st);
	}
	ret = sockmi_parse_required(p);
	if (ret)
		return ret;
	ret = sockmi_parse_conn(p, st);
	if (ret)
		return ret;
	ret = sockmi_parse_tcpopts(p, st);
	if (ret)
		return ret;
	sockmi_get_u32s(p->tb, st, sockmi_state_seqs,
			ARRAY_SIZE(sockmi_state_seqs));
	sockmi_get_u32s(p->tb, st, sockmi_state_cong,
			ARRAY_SIZE(sockmi_state_cong));
	ret = sockmi_parse_lens(p, st);
	if (ret)
		return ret;
	return sockmi_parse_sockopts(p, st);
}

/* The send side: see the top of this file. */
static int sockmi_check_send(struct sockmi_parse *p,
			     const struct sockmi_state *st)
{
	u32 fin = sockmi_fin_out(st->tcp_state);

	if (after(st->snd_una, st->snd_nxt) ||
	    after(st->snd_nxt, st->write_seq))
		return SOCKMI_SEQ_ERR(p->extack, p->tb, SND_NXT,
				      "snd_una <= snd_nxt <= write_seq does not hold");
	if (st->len[SOCKMI_QUEUE_SEND] + fin != st->write_seq - st->snd_una)
		return SOCKMI_SEQ_ERR(p->extack, p->tb, SENDQ_LEN,
				      "SOCKMI_STATE_A_SENDQ_LEN does not match write_seq - snd_una");
	if (p->unsent != sockmi_unsent(st))
		return SOCKMI_SEQ_ERR(p->extack, p->tb, UNSENT_LEN,
				      "SOCKMI_STATE_A_UNSENT_LEN does not match write_seq - snd_nxt");
	if (st->tcp_state == TCP_FIN_WAIT2 && st->snd_una != st->write_seq)
		return SOCKMI_SEQ_ERR(p->extack, p->tb, SND_UNA,
				      "FIN_WAIT2 with unacknowledged data");
	return 0;
}

/* The receive side: see the top of this file. */
static int sockmi_check_recv(struct sockmi_parse *p,
			     const struct sockmi_state *st)
{
	u32 pending = st->rcv_nxt - st->copied_seq;
	u32 len = st->len[SOCKMI_QUEUE_RECV];
	bool ok;

	if (after(st->copied_seq, st->rcv_nxt))
		return SOCKMI_SEQ_ERR(p->extack, p->tb, COPIED_SEQ,
				      "copied_seq is after rcv_nxt");
	if (sockmi_fin_in(st->tcp_state)) {
		if (p->tb[SOCKMI_STATE_A_OFOQ_LEN] ||
		    p->tb[SOCKMI_STATE_A_OFO_RANGES] ||
		    p->tb[SOCKMI_STATE_A_OFO_FIN]) {
			NL_SET_ERR_MSG_ATTR(p->extack,
					    p->tb[SOCKMI_STATE_A_OFOQ_LEN] ?:
					    p->tb[SOCKMI_STATE_A_OFO_RANGES] ?:
					    p->tb[SOCKMI_STATE_A_OFO_FIN],
					    "Out-of-order data after the peer's FIN");
			return -ERANGE;
		}
		ok = len + 1 == pending || (!len && !pending);
	} else {
		ok = len == pending;
	}
	if (!ok)
		return SOCKMI_SEQ_ERR(p->extack, p->tb, RECVQ_LEN,
				      "SOCKMI_STATE_A_RECVQ_LEN does not match rcv_nxt - copied_seq");
	return 0;
}

/* The out-of-order queue: see the top of this file. Validated in place,
 * then copied (the only allocation of a state check).
 */
static int sockmi_check_ofo(struct sockmi_parse *p, struct sockmi_state *st)
{
	const struct nlattr *attr = p->tb[SOCKMI_STATE_A_OFO_RANGES];
	const struct sockmi_ofo_range *r;
	u32 i, n, end = st->rcv_nxt, sum = 0;

	if (!attr != !st->len[SOCKMI_QUEUE_OFO]) {
		NL_SET_ERR_MSG_ATTR(p->extack,
				    attr ?: p->tb[SOCKMI_STATE_A_OFOQ_LEN],
				    "SOCKMI_STATE_A_OFO_RANGES and a non-zero SOCKMI_STATE_A_OFOQ_LEN come together");
		return -ERANGE;
	}
	if (attr) {
		if (nla_len(attr) % sizeof(*r))
			return SOCKMI_SEQ_ERR(p->extack, p->tb, OFO_RANGES,
					      "SOCKMI_STATE_A_OFO_RANGES is not an array of struct sockmi_ofo_range");
		r = nla_data(attr);
		n = nla_len(attr) / sizeof(*r);
		for (i = 0; i < n; i++) {
			if (!r[i].len || r[i].len > SOCKMI_OFO_SPAN_MAX ||
			    !after(r[i].seq, end) ||
			    r[i].seq + r[i].len - st->rcv_nxt >
			    SOCKMI_OFO_SPAN_MAX)
				return SOCKMI_SEQ_ERR(p->extack, p->tb,
						      OFO_RANGES,
						      "Out-of-order ranges must be non-empty, ascending, apart and within SOCKMI_OFO_SPAN_MAX after rcv_nxt");
			end = r[i].seq + r[i].len;
			sum += r[i].len;
		}
		if (sum != st->len[SOCKMI_QUEUE_OFO])
			return SOCKMI_SEQ_ERR(p->extack, p->tb, OFOQ_LEN,
					      "SOCKMI_STATE_A_OFOQ_LEN is not the sum of the out-of-order ranges");
	}
	if (p->tb[SOCKMI_STATE_A_OFO_FIN]) {
		st->ofo_fin_seq = nla_get_u32(p->tb[SOCKMI_STATE_A_OFO_FIN]);
		if (!after(st->ofo_fin_seq, st->rcv_nxt) ||
		    before(st->ofo_fin_seq, end) ||
		    st->ofo_fin_seq - st->rcv_nxt >= SOCKMI_OFO_SPAN_MAX)
			return SOCKMI_SEQ_ERR(p->extack, p->tb, OFO_FIN,
					      "Out-of-order FIN not after rcv_nxt and the out-of-order data");
		st->ofo_fin = true;
	}
	if (!attr)
		return 0;
	st->ofo = kvmalloc(nla_len(attr), GFP_KERNEL_ACCOUNT);
	if (!st->ofo) {
		NL_SET_ERR_MSG(p->extack, "No memory for the out-of-order ranges");
		return -ENOMEM;
	}
	memcpy(st->ofo, nla_data(attr), nla_len(attr));
	st->nofo = nla_len(attr) / sizeof(*st->ofo);
	return 0;
}

/* What TCP_REPAIR_WINDOW and TCP_REPAIR_OPTIONS would refuse. */
static int sockmi_check_window(struct sockmi_parse *p,
			       const struct sockmi_state *st)
{
	if (st->max_window < st->snd_wnd)
		return SOCKMI_SEQ_ERR(p->extack, p->tb, MAX_WINDOW,
				      "max_window is smaller than snd_wnd");
	if (after(st->snd_wl1, st->rcv_nxt + st->rcv_wnd))
		return SOCKMI_SEQ_ERR(p->extack, p->tb, SND_WL1,
				      "snd_wl1 is after rcv_nxt + rcv_wnd");
	if (after(st->rcv_wup, st->rcv_nxt))
		return SOCKMI_SEQ_ERR(p->extack, p->tb, RCV_WUP,
				      "rcv_wup is after rcv_nxt");
	return 0;
}

/* One state nest, without its chunks and children. */
static int sockmi_state_check(struct sockmi_parse *p, struct sockmi_state *st,
			      bool child)
{
	int ret;

	ret = sockmi_state_read(p, st, child);
	if (ret || !sockmi_connected(st->tcp_state))
		return ret;
	ret = sockmi_check_send(p, st);
	ret = ret ?: sockmi_check_recv(p, st);
	ret = ret ?: sockmi_check_window(p, st);
	return ret ?: sockmi_check_ofo(p, st);
}

/* A chunk, validated by sockmi_chunk_policy; @child is -1 for none. */
struct sockmi_chunk {
	u8 queue;
	int child;
	u32 offset;
	const struct nlattr *data;
	const struct nlattr *offset_attr;
	const struct nlattr *child_attr;
};

static int sockmi_chunk_parse(const struct nlattr *nest,
			      struct sockmi_chunk *c,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SOCKMI_CHUNK_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, SOCKMI_CHUNK_A_MAX, nest,
			       sockmi_chunk_policy, extack);
	if (ret)
		return ret;
	c->child_attr = tb[SOCKMI_CHUNK_A_CHILD];
	c->child = c->child_attr ? nla_get_u32(c->child_attr) : -1;
	if (SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_CHUNK_A_QUEUE) ||
	    SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_CHUNK_A_OFFSET) ||
	    SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_CHUNK_A_DATA))
		return -EINVAL;
	c->queue = nla_get_u8(tb[SOCKMI_CHUNK_A_QUEUE]);
	c->offset = nla_get_u32(tb[SOCKMI_CHUNK_A_OFFSET]);
	c->offset_attr = tb[SOCKMI_CHUNK_A_OFFSET];
	c->data = tb[SOCKMI_CHUNK_A_DATA];
	return 0;
}

/* Checks one chunk against what the queues received so far, in @got. */
static int sockmi_chunk_check(const struct sockmi_chunk *c, u32 *got,
			      const struct sockmi_state *st,
			      struct netlink_ext_ack *extack)
{
	u32 len = nla_len(c->data);

	if (!st->len[c->queue]) {
		NL_SET_ERR_MSG_ATTR(extack, c->data,
				    "Chunk for a queue declared empty");
		return -EMSGSIZE;
	}
	if (c->offset != got[c->queue]) {
		NL_SET_ERR_MSG_ATTR(extack, c->offset_attr,
				    "Chunk does not follow the previous chunk of its queue");
		return -EINVAL;
	}
	if (len > st->len[c->queue] - got[c->queue]) {
		NL_SET_ERR_MSG_ATTR(extack, c->data,
				    "Queue longer than declared");
		return -EMSGSIZE;
	}
	got[c->queue] += len;
	return 0;
}

/* The state a chunk belongs to: the socket's own or one of its children's;
 * NULL when there is no such child.
 */
static struct sockmi_state *sockmi_chunk_state(const struct sockmi_chunk *c,
					       struct sockmi_state *st)
{
	if (c->child < 0)
		return st;
	if (!st->children || c->child >= st->nchildren)
		return NULL;
	return &st->children[c->child];
}

/* First pass over the request: every chunk, without copying anything.
 * @got has a row of byte counts for the socket and one for each child.
 */
static int sockmi_chunks_check(struct sockmi_parse *p,
			       const struct nlattr *msg, int len,
			       struct sockmi_state *st)
{
	u32 (*got)[__SOCKMI_QUEUE_MAX];
	const struct sockmi_state *cst;
	const struct nlattr *pos;
	struct sockmi_chunk c;
	int q, rem, ret = 0;
	u32 i;

	got = kvcalloc(st->nchildren + 1, sizeof(*got), GFP_KERNEL_ACCOUNT);
	if (!got)
		return -ENOMEM;
	nla_for_each_attr(pos, msg, len, rem) {
		if (nla_type(pos) != SOCKMI_A_CHUNK)
			continue;
		ret = sockmi_chunk_parse(pos, &c, p->extack);
		if (ret)
			goto out;
		cst = sockmi_chunk_state(&c, st);
		if (!cst) {
			NL_SET_ERR_MSG_ATTR(p->extack, c.child_attr,
					    "Chunk for an accept-queue child that does not exist");
			ret = -EINVAL;
			goto out;
		}
		ret = sockmi_chunk_check(&c, got[c.child + 1], cst, p->extack);
		if (ret)
			goto out;
	}
	for (q = 0; q < __SOCKMI_QUEUE_MAX; q++) {
		if (got[0][q] != st->len[q]) {
			NL_SET_ERR_MSG_ATTR(p->extack,
					    p->tb[sockmi_queue_len_attr[q]],
					    "Queue shorter than declared");
			ret = -EMSGSIZE;
			goto out;
		}
		for (i = 0; i < st->nchildren; i++) {
			if (got[i + 1][q] != st->children[i].len[q]) {
				NL_SET_ERR_MSG(p->extack,
					       "Queue of an accept-queue child shorter than declared");
				ret = -EMSGSIZE;
				goto out;
			}
		}
	}
out:
	kvfree(got);
	return ret;
}

/* On failure the caller frees what was allocated, with the state. */
static int sockmi_queues_alloc(struct sockmi_state *st,
			       struct netlink_ext_ack *extack)
{
	u32 i;
	int q;

	for (q = 0; q < __SOCKMI_QUEUE_MAX; q++) {
		if (!st->len[q])
			continue;
		st->queue[q] = kvmalloc(st->len[q], GFP_KERNEL_ACCOUNT);
		if (!st->queue[q]) {
			NL_SET_ERR_MSG(extack, "No memory for the queues");
			return -ENOMEM;
		}
	}
	for (i = 0; i < st->nchildren; i++) {
		int ret = sockmi_queues_alloc(&st->children[i], extack);

		if (ret)
			return ret;
	}
	return 0;
}

/* A child's addresses against its listener's. */
static int sockmi_child_check(const struct nlattr *nest,
			      const struct sockmi_state *st,
			      const struct sockmi_state *child,
			      struct netlink_ext_ack *extack)
{
	const struct sockmi_tuple *l = &st->tuple, *t = &child->tuple;

	if (t->family != l->family || t->lport != l->lport ||
	    (!sockmi_addr_any(&l->laddr) &&
	     !ipv6_addr_equal(&t->laddr, &l->laddr)) ||
	    (st->v6only && ipv6_addr_v4mapped(&t->laddr))) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "An accept-queue child must have its listener's family, local address and port");
		return -EINVAL;
	}
	return 0;
}

/* The SOCKMI_A_CHILD nests of a listening socket; on failure the caller
 * frees @st->children (nothing else is allocated yet).
 */
static int sockmi_children_read(struct sockmi_parse *p,
				const struct nlattr *msg, int len,
				struct sockmi_state *st)
{
	const struct nlattr *pos;
	u32 n = 0;
	int rem, ret;

	nla_for_each_attr(pos, msg, len, rem) {
		if (nla_type(pos) != SOCKMI_A_CHILD)
			continue;
		if (st->tcp_state != TCP_LISTEN) {
			NL_SET_ERR_MSG_ATTR(p->extack, pos,
					    "Only a listening socket has accept-queue children");
			return -EINVAL;
		}
		if (++n > st->nchildren) {
			NL_SET_ERR_MSG_ATTR(p->extack, pos,
					    "More SOCKMI_A_CHILD than SOCKMI_STATE_A_NCHILDREN says");
			return -E2BIG;
		}
	}
	if (n != st->nchildren) {
		NL_SET_ERR_MSG_ATTR(p->extack, p->tb[SOCKMI_STATE_A_NCHILDREN],
				    "Fewer SOCKMI_A_CHILD than SOCKMI_STATE_A_NCHILDREN says");
		return -EINVAL;
	}
	if (!n)
		return 0;
	st->children = kvcalloc(n, sizeof(*st->children), GFP_KERNEL_ACCOUNT);
	if (!st->children) {
		NL_SET_ERR_MSG(p->extack, "No memory for the accept queue");
		return -ENOMEM;
	}
	n = 0;
	nla_for_each_attr(pos, msg, len, rem) {
		struct sockmi_parse cp = { .nest = pos, .extack = p->extack };

		if (nla_type(pos) != SOCKMI_A_CHILD)
			continue;
		ret = sockmi_state_check(&cp, &st->children[n], true);
		ret = ret ?: sockmi_child_check(pos, st, &st->children[n],
						p->extack);
		if (ret)
			return ret;
		n++;
	}
	return 0;
}

/* Second pass, after sockmi_chunks_check(): copy the bytes. The bounds are
 * checked again so that a bug elsewhere cannot turn into an overflow.
 */
static int sockmi_chunks_copy(const struct nlattr *msg, int len,
			      struct sockmi_state *st,
			      struct netlink_ext_ack *extack)
{
	const struct nlattr *pos;
	struct sockmi_chunk c;
	int rem, ret;
	u32 n;

	nla_for_each_attr(pos, msg, len, rem) {
		struct sockmi_state *cst;

		if (nla_type(pos) != SOCKMI_A_CHUNK)
			continue;
		ret = sockmi_chunk_parse(pos, &c, extack);
		if (ret)
			return ret;
		n = nla_len(c.data);
		cst = sockmi_chunk_state(&c, st);
		if (WARN_ON_ONCE(!cst || !cst->queue[c.queue] ||
				 c.offset > cst->len[c.queue] ||
				 n > cst->len[c.queue] - c.offset)) {
			NL_SET_ERR_MSG(extack, "Chunks changed while parsed");
			return -EINVAL;
		}
		memcpy(cst->queue[c.queue] + c.offset, nla_data(c.data), n);
	}
	return 0;
}

int sockmi_state_parse(struct net *net, const struct nlattr *state,
		       const struct nlattr *msg, int len,
		       struct sockmi_state *st,
		       struct netlink_ext_ack *extack)
{
	struct sockmi_parse p = { .nest = state, .extack = extack };
	int ret;

	memset(st, 0, sizeof(*st));
	if (!state) {
		NL_SET_ERR_MSG(extack, "Missing attribute SOCKMI_A_STATE");
		return -EINVAL;
	}
	ret = sockmi_state_check(&p, st, false);
	ret = ret ?: sockmi_children_read(&p, msg, len, st);
	ret = ret ?: sockmi_chunks_check(&p, msg, len, st);
	ret = ret ?: sockmi_queues_alloc(st, extack);
	ret = ret ?: sockmi_chunks_copy(msg, len, st, extack);
	if (ret)
		sockmi_state_free(st);
	return ret;
}
EXPORT_SYMBOL_GPL(sockmi_state_parse);
