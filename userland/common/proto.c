// SPDX-License-Identifier: GPL-2.0
/*
 * Names, decoding and encoding for the "sockmi" genl family, see proto.h.
 */

#include <errno.h>
#include <string.h>

#include <netinet/tcp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "proto.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NAME(x) [x] = #x

_Static_assert(SOCKMI_A_MAX < 32, "sockmi_msg.present is too small");
_Static_assert(SOCKMI_FLOW_A_MAX < 32, "sockmi_flow.present is too small");
_Static_assert(SOCKMI_STATS_A_MAX < 32, "sockmi_stats.present is too small");

/* Attribute names, for naming the attribute an error is about. */

static const char *const sockmi_addr_names[SOCKMI_ADDR_A_MAX + 1] = {
	NAME(SOCKMI_ADDR_A_FAMILY), NAME(SOCKMI_ADDR_A_ADDR),
	NAME(SOCKMI_ADDR_A_PORT),
};

static const struct sockmi_nl_attr_set sockmi_addr_attrs = {
	"sockmi_addr_attr", SOCKMI_ADDR_A_MAX, sockmi_addr_names, NULL,
};

static const char *const sockmi_tuple_names[SOCKMI_TUPLE_A_MAX + 1] = {
	NAME(SOCKMI_TUPLE_A_FAMILY), NAME(SOCKMI_TUPLE_A_LOCAL_ADDR),
	NAME(SOCKMI_TUPLE_A_LOCAL_PORT), NAME(SOCKMI_TUPLE_A_REMOTE_ADDR),
	NAME(SOCKMI_TUPLE_A_REMOTE_PORT),
};

static const struct sockmi_nl_attr_set sockmi_tuple_attrs = {
	"sockmi_tuple_attr", SOCKMI_TUPLE_A_MAX, sockmi_tuple_names, NULL,
};

static const char *const sockmi_match_names[SOCKMI_MATCH_A_MAX + 1] = {
	NAME(SOCKMI_MATCH_A_STATES), NAME(SOCKMI_MATCH_A_FAMILY),
	NAME(SOCKMI_MATCH_A_LOCAL_ADDR), NAME(SOCKMI_MATCH_A_LOCAL_PORT),
	NAME(SOCKMI_MATCH_A_REMOTE_ADDR), NAME(SOCKMI_MATCH_A_REMOTE_PORT),
};

static const struct sockmi_nl_attr_set sockmi_match_attrs = {
	"sockmi_match_attr", SOCKMI_MATCH_A_MAX, sockmi_match_names, NULL,
};

static const char *const sockmi_chunk_names[SOCKMI_CHUNK_A_MAX + 1] = {
	NAME(SOCKMI_CHUNK_A_QUEUE), NAME(SOCKMI_CHUNK_A_CHILD),
	NAME(SOCKMI_CHUNK_A_OFFSET), NAME(SOCKMI_CHUNK_A_DATA),
};

static const struct sockmi_nl_attr_set sockmi_chunk_attrs = {
	"sockmi_chunk_attr", SOCKMI_CHUNK_A_MAX, sockmi_chunk_names, NULL,
};

static const char *const sockmi_sockopt_names[SOCKMI_SOCKOPT_A_MAX + 1] = {
	NAME(SOCKMI_SOCKOPT_A_KEEPALIVE), NAME(SOCKMI_SOCKOPT_A_KEEPIDLE),
	NAME(SOCKMI_SOCKOPT_A_KEEPINTVL), NAME(SOCKMI_SOCKOPT_A_KEEPCNT),
	NAME(SOCKMI_SOCKOPT_A_NODELAY), NAME(SOCKMI_SOCKOPT_A_RCVBUF),
	NAME(SOCKMI_SOCKOPT_A_SNDBUF), NAME(SOCKMI_SOCKOPT_A_LINGER),
	NAME(SOCKMI_SOCKOPT_A_USER_TIMEOUT), NAME(SOCKMI_SOCKOPT_A_CONGESTION),
	NAME(SOCKMI_SOCKOPT_A_MARK), NAME(SOCKMI_SOCKOPT_A_PRIORITY),
	NAME(SOCKMI_SOCKOPT_A_TOS), NAME(SOCKMI_SOCKOPT_A_REUSEADDR),
	NAME(SOCKMI_SOCKOPT_A_MAXSEG),
};

static const struct sockmi_nl_attr_set sockmi_sockopt_attrs = {
	"sockmi_sockopt_attr", SOCKMI_SOCKOPT_A_MAX, sockmi_sockopt_names, NULL,
};

static const char *const sockmi_state_names[SOCKMI_STATE_A_MAX + 1] = {
	NAME(SOCKMI_STATE_A_VERSION), NAME(SOCKMI_STATE_A_TUPLE),
	NAME(SOCKMI_STATE_A_TCP_STATE), NAME(SOCKMI_STATE_A_V6ONLY),
	NAME(SOCKMI_STATE_A_SND_UNA), NAME(SOCKMI_STATE_A_SND_NXT),
	NAME(SOCKMI_STATE_A_WRITE_SEQ), NAME(SOCKMI_STATE_A_RCV_NXT),
	NAME(SOCKMI_STATE_A_COPIED_SEQ), NAME(SOCKMI_STATE_A_SND_WL1),
	NAME(SOCKMI_STATE_A_SND_WND), NAME(SOCKMI_STATE_A_MAX_WINDOW),
	NAME(SOCKMI_STATE_A_RCV_WND), NAME(SOCKMI_STATE_A_RCV_WUP),
	NAME(SOCKMI_STATE_A_MSS), NAME(SOCKMI_STATE_A_SND_WSCALE),
	NAME(SOCKMI_STATE_A_RCV_WSCALE), NAME(SOCKMI_STATE_A_OPTIONS),
	NAME(SOCKMI_STATE_A_TS_NOW), NAME(SOCKMI_STATE_A_TS_RECENT),
	NAME(SOCKMI_STATE_A_SRTT_US), NAME(SOCKMI_STATE_A_MDEV_US),
	NAME(SOCKMI_STATE_A_RTO_US), NAME(SOCKMI_STATE_A_CWND),
	NAME(SOCKMI_STATE_A_SSTHRESH), NAME(SOCKMI_STATE_A_RECVQ_LEN),
	NAME(SOCKMI_STATE_A_SENDQ_LEN), NAME(SOCKMI_STATE_A_UNSENT_LEN),
	NAME(SOCKMI_STATE_A_OFOQ_LEN), NAME(SOCKMI_STATE_A_BACKLOG),
	NAME(SOCKMI_STATE_A_NCHILDREN), NAME(SOCKMI_STATE_A_SOCKOPTS),
	NAME(SOCKMI_STATE_A_OFO_RANGES), NAME(SOCKMI_STATE_A_OFO_FIN),
};

static const struct sockmi_nl_attr_set *const
sockmi_state_nested[SOCKMI_STATE_A_MAX + 1] = {
	[SOCKMI_STATE_A_TUPLE] = &sockmi_tuple_attrs,
	[SOCKMI_STATE_A_SOCKOPTS] = &sockmi_sockopt_attrs,
};

static const struct sockmi_nl_attr_set sockmi_state_attrs = {
	"sockmi_state_attr", SOCKMI_STATE_A_MAX, sockmi_state_names,
	sockmi_state_nested,
};

static const char *const sockmi_flow_names[SOCKMI_FLOW_A_MAX + 1] = {
	NAME(SOCKMI_FLOW_A_PAD), NAME(SOCKMI_FLOW_A_TUPLE),
	NAME(SOCKMI_FLOW_A_ACTION), NAME(SOCKMI_FLOW_A_VIA),
	NAME(SOCKMI_FLOW_A_PACKETS), NAME(SOCKMI_FLOW_A_BYTES),
};

static const struct sockmi_nl_attr_set *const
sockmi_flow_nested[SOCKMI_FLOW_A_MAX + 1] = {
	[SOCKMI_FLOW_A_TUPLE] = &sockmi_tuple_attrs,
	[SOCKMI_FLOW_A_VIA] = &sockmi_addr_attrs,
};

static const struct sockmi_nl_attr_set sockmi_flow_attrs = {
	"sockmi_flow_attr", SOCKMI_FLOW_A_MAX, sockmi_flow_names,
	sockmi_flow_nested,
};

static const char *const sockmi_stats_names[SOCKMI_STATS_A_MAX + 1] = {
	NAME(SOCKMI_STATS_A_PAD), NAME(SOCKMI_STATS_A_EXPORTS),
	NAME(SOCKMI_STATS_A_COMMITS), NAME(SOCKMI_STATS_A_ABORTS),
	NAME(SOCKMI_STATS_A_STAGES), NAME(SOCKMI_STATS_A_STAGE_ERRORS),
	NAME(SOCKMI_STATS_A_IMPORTS), NAME(SOCKMI_STATS_A_UNSTAGES),
	NAME(SOCKMI_STATS_A_BYTES), NAME(SOCKMI_STATS_A_EXPORTING),
	NAME(SOCKMI_STATS_A_STAGED_BOUND), NAME(SOCKMI_STATS_A_STAGED_LISTEN),
	NAME(SOCKMI_STATS_A_STAGED_CONNECTED),
};

static const struct sockmi_nl_attr_set sockmi_stats_attrs = {
	"sockmi_stats_attr", SOCKMI_STATS_A_MAX, sockmi_stats_names, NULL,
};

static const char *const sockmi_top_names[SOCKMI_A_MAX + 1] = {
	NAME(SOCKMI_A_PAD), NAME(SOCKMI_A_ID), NAME(SOCKMI_A_PID),
	NAME(SOCKMI_A_FD), NAME(SOCKMI_A_TO), NAME(SOCKMI_A_TUPLE),
	NAME(SOCKMI_A_TCP_STATE), NAME(SOCKMI_A_FLAGS), NAME(SOCKMI_A_LIST),
	NAME(SOCKMI_A_MATCH), NAME(SOCKMI_A_STATE), NAME(SOCKMI_A_CHUNK),
	NAME(SOCKMI_A_CHILD), NAME(SOCKMI_A_FLOW), NAME(SOCKMI_A_STATS),
};

static const struct sockmi_nl_attr_set *const
sockmi_top_nested[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_TO] = &sockmi_addr_attrs,
	[SOCKMI_A_TUPLE] = &sockmi_tuple_attrs,
	[SOCKMI_A_MATCH] = &sockmi_match_attrs,
	[SOCKMI_A_STATE] = &sockmi_state_attrs,
	[SOCKMI_A_CHUNK] = &sockmi_chunk_attrs,
	[SOCKMI_A_CHILD] = &sockmi_state_attrs,
	[SOCKMI_A_FLOW] = &sockmi_flow_attrs,
	[SOCKMI_A_STATS] = &sockmi_stats_attrs,
};

const struct sockmi_nl_attr_set sockmi_attrs = {
	"sockmi_attr", SOCKMI_A_MAX, sockmi_top_names, sockmi_top_nested,
};

/* Names of values. */

static const char *sockmi_name(const char *const *names, size_t n,
			       unsigned int i)
{
	return i < n ? names[i] : NULL;
}

const char *sockmi_tcp_state_name(unsigned int state)
{
	static const char *const names[] = {
		[TCP_ESTABLISHED] = "ESTABLISHED",
		[TCP_SYN_SENT] = "SYN-SENT",
		[TCP_SYN_RECV] = "SYN-RECV",
		[TCP_FIN_WAIT1] = "FIN-WAIT-1",
		[TCP_FIN_WAIT2] = "FIN-WAIT-2",
		[TCP_TIME_WAIT] = "TIME-WAIT",
		[TCP_CLOSE] = "CLOSE",
		[TCP_CLOSE_WAIT] = "CLOSE-WAIT",
		[TCP_LAST_ACK] = "LAST-ACK",
		[TCP_LISTEN] = "LISTEN",
		[TCP_CLOSING] = "CLOSING",
	};

	return sockmi_name(names, ARRAY_SIZE(names), state);
}

const char *sockmi_list_name(unsigned int list)
{
	static const char *const names[__SOCKMI_LIST_MAX] = {
		[SOCKMI_LIST_BOUND] = "bound",
		[SOCKMI_LIST_LISTEN] = "listen",
		[SOCKMI_LIST_CONNECTED] = "connected",
		[SOCKMI_LIST_EXPORTING] = "exporting",
	};

	return sockmi_name(names, ARRAY_SIZE(names), list);
}

const char *sockmi_flow_action_name(unsigned int action)
{
	static const char *const names[__SOCKMI_FLOW_MAX] = {
		[SOCKMI_FLOW_HOLD] = "hold",
		[SOCKMI_FLOW_REDIRECT] = "redirect",
		[SOCKMI_FLOW_ANSWER_AS] = "answer-as",
		[SOCKMI_FLOW_TAKEOVER] = "takeover",
	};

	return sockmi_name(names, ARRAY_SIZE(names), action);
}

const char *sockmi_stats_name(unsigned int attr)
{
	static const char *const names[__SOCKMI_STATS_A_MAX] = {
		[SOCKMI_STATS_A_EXPORTS] = "exports",
		[SOCKMI_STATS_A_COMMITS] = "commits",
		[SOCKMI_STATS_A_ABORTS] = "aborts",
		[SOCKMI_STATS_A_STAGES] = "stages",
		[SOCKMI_STATS_A_STAGE_ERRORS] = "stage_errors",
		[SOCKMI_STATS_A_IMPORTS] = "imports",
		[SOCKMI_STATS_A_UNSTAGES] = "unstages",
		[SOCKMI_STATS_A_BYTES] = "bytes",
		[SOCKMI_STATS_A_EXPORTING] = "exporting",
		[SOCKMI_STATS_A_STAGED_BOUND] = "staged_bound",
		[SOCKMI_STATS_A_STAGED_LISTEN] = "staged_listen",
		[SOCKMI_STATS_A_STAGED_CONNECTED] = "staged_connected",
	};

	return sockmi_name(names, ARRAY_SIZE(names), attr);
}

const char *sockmi_event_name(unsigned int cmd)
{
	static const char *const names[__SOCKMI_CMD_MAX] = {
		[SOCKMI_CMD_EXPORT_NOTIFY] = "export",
		[SOCKMI_CMD_COMMIT_NOTIFY] = "commit",
		[SOCKMI_CMD_ABORT_NOTIFY] = "abort",
		[SOCKMI_CMD_STAGE_NOTIFY] = "stage",
		[SOCKMI_CMD_IMPORT_NOTIFY] = "import",
	};

	return sockmi_name(names, ARRAY_SIZE(names), cmd);
}

/* Decoding. libnl checks minimum lengths; maxlen makes integers exact. */

#define SOCKMI_POLICY_U8 { .type = NLA_U8, .maxlen = 1 }
#define SOCKMI_POLICY_U16 { .type = NLA_U16, .maxlen = 2 }
#define SOCKMI_POLICY_U32 { .type = NLA_U32, .maxlen = 4 }
#define SOCKMI_POLICY_U64 { .type = NLA_U64, .maxlen = 8 }

static const struct nla_policy sockmi_addr_policy[SOCKMI_ADDR_A_MAX + 1] = {
	[SOCKMI_ADDR_A_FAMILY] = SOCKMI_POLICY_U16,
	[SOCKMI_ADDR_A_ADDR] = { .type = NLA_UNSPEC, .minlen = 4,
				 .maxlen = 16 },
	[SOCKMI_ADDR_A_PORT] = SOCKMI_POLICY_U16,
};

static const struct nla_policy sockmi_tuple_policy[SOCKMI_TUPLE_A_MAX + 1] = {
	[SOCKMI_TUPLE_A_FAMILY] = SOCKMI_POLICY_U16,
	[SOCKMI_TUPLE_A_LOCAL_ADDR] = { .type = NLA_UNSPEC, .minlen = 4,
					.maxlen = 16 },
	[SOCKMI_TUPLE_A_LOCAL_PORT] = SOCKMI_POLICY_U16,
	[SOCKMI_TUPLE_A_REMOTE_ADDR] = { .type = NLA_UNSPEC, .minlen = 4,
					 .maxlen = 16 },
	[SOCKMI_TUPLE_A_REMOTE_PORT] = SOCKMI_POLICY_U16,
};

static const struct nla_policy sockmi_flow_policy[SOCKMI_FLOW_A_MAX + 1] = {
	[SOCKMI_FLOW_A_TUPLE] = { .type = NLA_NESTED },
	[SOCKMI_FLOW_A_ACTION] = SOCKMI_POLICY_U8,
	[SOCKMI_FLOW_A_VIA] = { .type = NLA_NESTED },
	[SOCKMI_FLOW_A_PACKETS] = SOCKMI_POLICY_U64,
	[SOCKMI_FLOW_A_BYTES] = SOCKMI_POLICY_U64,
};

static const struct nla_policy sockmi_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_ID] = SOCKMI_POLICY_U64,
	[SOCKMI_A_PID] = SOCKMI_POLICY_U32,
	[SOCKMI_A_FD] = SOCKMI_POLICY_U32,
	[SOCKMI_A_TO] = { .type = NLA_NESTED },
	[SOCKMI_A_TUPLE] = { .type = NLA_NESTED },
	[SOCKMI_A_TCP_STATE] = SOCKMI_POLICY_U8,
	[SOCKMI_A_FLAGS] = SOCKMI_POLICY_U32,
	[SOCKMI_A_LIST] = SOCKMI_POLICY_U8,
	[SOCKMI_A_MATCH] = { .type = NLA_NESTED },
	[SOCKMI_A_STATE] = { .type = NLA_NESTED },
	[SOCKMI_A_FLOW] = { .type = NLA_NESTED },
	[SOCKMI_A_STATS] = { .type = NLA_NESTED },
};

static uint32_t sockmi_present(struct nlattr **tb, unsigned int max)
{
	uint32_t present = 0;
	unsigned int i;

	for (i = 1; i <= max; i++)
		if (tb[i])
			present |= 1U << i;
	return present;
}

static int sockmi_parse_family(const struct nlattr *attr, sa_family_t *family)
{
	uint16_t f = nla_get_u16((struct nlattr *)attr);

	if (f != AF_INET && f != AF_INET6)
		return -EBADMSG;
	*family = f;
	return 0;
}

static int sockmi_parse_addr(struct nlattr *nest, struct sockmi_addr *addr)
{
	struct nlattr *tb[SOCKMI_ADDR_A_MAX + 1];
	sa_family_t family;

	if (nla_parse_nested(tb, SOCKMI_ADDR_A_MAX, nest, sockmi_addr_policy) ||
	    !tb[SOCKMI_ADDR_A_FAMILY] || !tb[SOCKMI_ADDR_A_ADDR] ||
	    sockmi_parse_family(tb[SOCKMI_ADDR_A_FAMILY], &family) ||
	    sockmi_addr_set(addr, family, nla_data(tb[SOCKMI_ADDR_A_ADDR]),
			    (size_t)nla_len(tb[SOCKMI_ADDR_A_ADDR])))
		return -EBADMSG;
	if (tb[SOCKMI_ADDR_A_PORT]) {
		addr->port = nla_get_u16(tb[SOCKMI_ADDR_A_PORT]);
		addr->has_port = true;
	}
	return 0;
}

static int sockmi_parse_tuple(struct nlattr *nest, struct sockmi_tuple *t)
{
	struct nlattr *tb[SOCKMI_TUPLE_A_MAX + 1];
	struct nlattr *raddr, *rport;

	memset(t, 0, sizeof(*t));
	if (nla_parse_nested(tb, SOCKMI_TUPLE_A_MAX, nest, sockmi_tuple_policy) ||
	    !tb[SOCKMI_TUPLE_A_FAMILY] || !tb[SOCKMI_TUPLE_A_LOCAL_ADDR] ||
	    !tb[SOCKMI_TUPLE_A_LOCAL_PORT] ||
	    sockmi_parse_family(tb[SOCKMI_TUPLE_A_FAMILY], &t->family) ||
	    sockmi_addr_set(&t->local, t->family,
			    nla_data(tb[SOCKMI_TUPLE_A_LOCAL_ADDR]),
			    (size_t)nla_len(tb[SOCKMI_TUPLE_A_LOCAL_ADDR])))
		return -EBADMSG;
	t->local.port = nla_get_u16(tb[SOCKMI_TUPLE_A_LOCAL_PORT]);
	t->local.has_port = true;

	raddr = tb[SOCKMI_TUPLE_A_REMOTE_ADDR];
	rport = tb[SOCKMI_TUPLE_A_REMOTE_PORT];
	if (!raddr != !rport)
		return -EBADMSG;
	if (!raddr)
		return 0;
	if (sockmi_addr_set(&t->remote, t->family, nla_data(raddr),
			    (size_t)nla_len(raddr)))
		return -EBADMSG;
	t->remote.port = nla_get_u16(rport);
	t->remote.has_port = true;
	t->has_remote = true;
	return 0;
}

static int sockmi_parse_flow(struct nlattr *nest, struct sockmi_flow *f)
{
	struct nlattr *tb[SOCKMI_FLOW_A_MAX + 1];

	memset(f, 0, sizeof(*f));
	if (nla_parse_nested(tb, SOCKMI_FLOW_A_MAX, nest, sockmi_flow_policy))
		return -EBADMSG;
	f->present = sockmi_present(tb, SOCKMI_FLOW_A_MAX);
	if (tb[SOCKMI_FLOW_A_TUPLE] &&
	    sockmi_parse_tuple(tb[SOCKMI_FLOW_A_TUPLE], &f->tuple))
		return -EBADMSG;
	if (tb[SOCKMI_FLOW_A_ACTION])
		f->action = nla_get_u8(tb[SOCKMI_FLOW_A_ACTION]);
	if (tb[SOCKMI_FLOW_A_VIA] &&
	    sockmi_parse_addr(tb[SOCKMI_FLOW_A_VIA], &f->via))
		return -EBADMSG;
	if (tb[SOCKMI_FLOW_A_PACKETS])
		f->packets = nla_get_u64(tb[SOCKMI_FLOW_A_PACKETS]);
	if (tb[SOCKMI_FLOW_A_BYTES])
		f->bytes = nla_get_u64(tb[SOCKMI_FLOW_A_BYTES]);
	return 0;
}

int sockmi_stats_parse(const struct nlattr *nest, struct sockmi_stats *stats)
{
	const struct nlattr *nla;
	int rem;

	memset(stats, 0, sizeof(*stats));
	nla_for_each_nested(nla, nest, rem) {
		int type = nla_type(nla);

		if (type == SOCKMI_STATS_A_PAD || type > SOCKMI_STATS_A_MAX)
			continue;
		if (nla_len(nla) != sizeof(uint64_t))
			return -EBADMSG;
		stats->val[type] = nla_get_u64((struct nlattr *)nla);
		stats->present |= 1U << type;
	}
	return 0;
}

int sockmi_msg_parse(const struct nlmsghdr *nlh, struct sockmi_msg *m,
		     const char **why)
{
	struct nlattr *tb[SOCKMI_A_MAX + 1];
	struct nlmsghdr *hdr = (struct nlmsghdr *)nlh;

	memset(m, 0, sizeof(*m));
	if (!genlmsg_valid_hdr(hdr, 0) ||
	    genlmsg_parse(hdr, 0, tb, SOCKMI_A_MAX, sockmi_policy)) {
		*why = "malformed message";
		return -EBADMSG;
	}
	m->cmd = ((const struct genlmsghdr *)nlmsg_data(hdr))->cmd;
	m->present = sockmi_present(tb, SOCKMI_A_MAX);
	if (tb[SOCKMI_A_ID])
		m->id = nla_get_u64(tb[SOCKMI_A_ID]);
	if (tb[SOCKMI_A_PID])
		m->pid = nla_get_u32(tb[SOCKMI_A_PID]);
	if (tb[SOCKMI_A_FD])
		m->fd = nla_get_u32(tb[SOCKMI_A_FD]);
	if (tb[SOCKMI_A_FLAGS])
		m->flags = nla_get_u32(tb[SOCKMI_A_FLAGS]);
	if (tb[SOCKMI_A_TCP_STATE])
		m->tcp_state = nla_get_u8(tb[SOCKMI_A_TCP_STATE]);
	if (tb[SOCKMI_A_LIST])
		m->list = nla_get_u8(tb[SOCKMI_A_LIST]);
	if (tb[SOCKMI_A_TO] && sockmi_parse_addr(tb[SOCKMI_A_TO], &m->to)) {
		*why = "malformed SOCKMI_A_TO";
		return -EBADMSG;
	}
	if (tb[SOCKMI_A_TUPLE] &&
	    sockmi_parse_tuple(tb[SOCKMI_A_TUPLE], &m->tuple)) {
		*why = "malformed SOCKMI_A_TUPLE";
		return -EBADMSG;
	}
	if (tb[SOCKMI_A_FLOW] && sockmi_parse_flow(tb[SOCKMI_A_FLOW], &m->flow)) {
		*why = "malformed SOCKMI_A_FLOW";
		return -EBADMSG;
	}
	if (tb[SOCKMI_A_STATS] &&
	    sockmi_stats_parse(tb[SOCKMI_A_STATS], &m->stats)) {
		*why = "malformed SOCKMI_A_STATS";
		return -EBADMSG;
	}
	return 0;
}

/* Encoding. */

struct nlattr *sockmi_nest_start(struct nl_msg *msg, int type)
{
	struct nlattr *nest = nla_nest_start(msg, type);

	if (nest)
		nest->nla_type |= NLA_F_NESTED;
	return nest;
}

int sockmi_put_addr(struct nl_msg *msg, int type,
		    const struct sockmi_addr *addr)
{
	struct nlattr *nest = sockmi_nest_start(msg, type);
	const void *raw = addr->family == AF_INET ? (const void *)&addr->in :
						    (const void *)&addr->in6;

	if (!nest ||
	    nla_put_u16(msg, SOCKMI_ADDR_A_FAMILY, addr->family) ||
	    nla_put(msg, SOCKMI_ADDR_A_ADDR, (int)sockmi_addr_len(addr->family),
		    raw) ||
	    (addr->has_port &&
	     nla_put_u16(msg, SOCKMI_ADDR_A_PORT, addr->port))) {
		if (nest)
			nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}
