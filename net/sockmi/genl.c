// SPDX-License-Identifier: GPL-2.0
/*
 * sockmi_genl.ko: the "sockmi" generic netlink family. Each command has its
 * own strict policy; handlers parse, check what a policy cannot express, and
 * report every refusal with an extack message. See uapi/linux/sockmi.h.
 */

#include <linux/module.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "compat.h"
#include "sockmi.h"
#include "state.h"

static const struct nla_policy sockmi_addr_policy[SOCKMI_ADDR_A_MAX + 1] = {
	[SOCKMI_ADDR_A_FAMILY] = { .type = NLA_U16 },
	[SOCKMI_ADDR_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY,
						sizeof(struct in_addr),
						sizeof(struct in6_addr)),
	[SOCKMI_ADDR_A_PORT] = { .type = NLA_U16 },
};

static const struct nla_policy sockmi_match_policy[SOCKMI_MATCH_A_MAX + 1] = {
	[SOCKMI_MATCH_A_STATES] = NLA_POLICY_MASK(NLA_U32, SOCKMI_STATE_ALL),
	[SOCKMI_MATCH_A_FAMILY] = { .type = NLA_U16 },
	[SOCKMI_MATCH_A_LOCAL_ADDR] = NLA_POLICY_RANGE(NLA_BINARY,
						       sizeof(struct in_addr),
						       sizeof(struct in6_addr)),
	[SOCKMI_MATCH_A_LOCAL_PORT] = { .type = NLA_U16 },
	[SOCKMI_MATCH_A_REMOTE_ADDR] = NLA_POLICY_RANGE(NLA_BINARY,
							sizeof(struct in_addr),
							sizeof(struct in6_addr)),
	[SOCKMI_MATCH_A_REMOTE_PORT] = { .type = NLA_U16 },
};

static const struct nla_policy sockmi_flow_policy[SOCKMI_FLOW_A_MAX + 1] = {
	[SOCKMI_FLOW_A_TUPLE] = NLA_POLICY_NESTED(sockmi_tuple_policy),
	[SOCKMI_FLOW_A_ACTION] = NLA_POLICY_MAX(NLA_U8, SOCKMI_FLOW_MAX),
	[SOCKMI_FLOW_A_VIA] = NLA_POLICY_NESTED(sockmi_addr_policy),
};

/* Per-command top-level policies: an attribute a command does not take is
 * rejected by the core ("Unknown attribute type" / "Unsupported attribute").
 */
static const struct nla_policy sockmi_export_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_PID] = NLA_POLICY_MIN(NLA_U32, 1),
	[SOCKMI_A_FD] = { .type = NLA_U32 },
	[SOCKMI_A_TO] = NLA_POLICY_NESTED(sockmi_addr_policy),
};

static const struct nla_policy sockmi_id_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_ID] = NLA_POLICY_MIN(NLA_U64, 1),
};

static const struct nla_policy sockmi_commit_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[SOCKMI_A_FLOW] = NLA_POLICY_NESTED(sockmi_flow_policy),
};

static const struct nla_policy sockmi_stage_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_STATE] = NLA_POLICY_NESTED(sockmi_state_policy),
	[SOCKMI_A_CHUNK] = NLA_POLICY_NESTED(sockmi_chunk_policy),
	[SOCKMI_A_CHILD] = NLA_POLICY_NESTED(sockmi_state_policy),
	[SOCKMI_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __SOCKMI_STAGE_F_ALL),
};

static const struct nla_policy sockmi_import_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_MATCH] = NLA_POLICY_NESTED(sockmi_match_policy),
	[SOCKMI_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __SOCKMI_IMPORT_F_ALL),
};

static const struct nla_policy sockmi_flow_cmd_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_FLOW] = NLA_POLICY_NESTED(sockmi_flow_policy),
};

static const struct nla_policy sockmi_new_flow_policy[SOCKMI_A_MAX + 1] = {
	[SOCKMI_A_FLOW] = NLA_POLICY_NESTED(sockmi_flow_policy),
	[SOCKMI_A_FLAGS] = NLA_POLICY_MASK(NLA_U32, __SOCKMI_FLOW_F_ALL),
};

/* Commands without attributes: any attribute is refused. */
static const struct nla_policy sockmi_empty_policy[SOCKMI_A_MAX + 1] = {
};

static struct genl_family sockmi_genl_family;

/**
 * sockmi_parse_addr - parse a nest of enum sockmi_addr_attr
 * @nest: the nest, validated by sockmi_addr_policy
 * @family: AF_INET or AF_INET6
 * @addr: the address, v4-mapped for AF_INET
 * @port: the port in network byte order, 0 when absent
 * @extack: where to say what was wrong
 */
static int sockmi_parse_addr(const struct nlattr *nest, u16 *family,
			     struct in6_addr *addr, __be16 *port,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SOCKMI_ADDR_A_MAX + 1];
	int ret;

	ret = nla_parse_nested(tb, SOCKMI_ADDR_A_MAX, nest, sockmi_addr_policy,
			       extack);
	if (ret)
		return ret;
	if (SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_ADDR_A_FAMILY) ||
	    SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_ADDR_A_ADDR))
		return -EINVAL;
	ret = sockmi_nla_get_family(tb[SOCKMI_ADDR_A_FAMILY], family, extack);
	if (ret)
		return ret;
	ret = sockmi_nla_get_addr(tb[SOCKMI_ADDR_A_ADDR], *family, addr,
				  extack);
	if (ret)
		return ret;
	*port = tb[SOCKMI_ADDR_A_PORT] ?
		htons(nla_get_u16(tb[SOCKMI_ADDR_A_PORT])) : 0;
	return 0;
}

static int sockmi_put_entry_attrs(struct sk_buff *skb,
				  const struct sockmi_entry *e)
{
	if (nla_put_u64_64bit(skb, SOCKMI_A_ID, e->id, SOCKMI_A_PAD) ||
	    nla_put_u8(skb, SOCKMI_A_TCP_STATE, e->tcp_state) ||
	    sockmi_tuple_put(skb, SOCKMI_A_TUPLE, &e->tuple))
		return -EMSGSIZE;
	return 0;
}

/* Reply to a doit with the entry's id, tuple, state and maybe a descriptor. */
static int sockmi_reply_entry(struct genl_info *info, const struct sockmi_entry *e,
			      int fd)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sockmi_genl_family, 0,
				info->genlhdr->cmd);
	if (!hdr || sockmi_put_entry_attrs(msg, e) ||
	    nla_put_u8(msg, SOCKMI_A_LIST, e->list) ||
	    (fd >= 0 && nla_put_u32(msg, SOCKMI_A_FD, fd))) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int sockmi_nl_export(struct sk_buff *skb, struct genl_info *info)
{
	struct sockmi_export_req req = { };
	struct sockmi_entry e;
	__be16 port;
	int ret;

	if (SOCKMI_REQUIRE(info->extack, NULL, info->attrs, SOCKMI_A_FD))
		return -EINVAL;
	if (nla_get_u32(info->attrs[SOCKMI_A_FD]) > INT_MAX) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SOCKMI_A_FD],
				    "Not a file descriptor");
		return -EBADF;
	}
	req.fd = nla_get_u32(info->attrs[SOCKMI_A_FD]);
	if (info->attrs[SOCKMI_A_PID])
		req.pid = nla_get_u32(info->attrs[SOCKMI_A_PID]);
	if (info->attrs[SOCKMI_A_TO]) {
		ret = sockmi_parse_addr(info->attrs[SOCKMI_A_TO],
					&req.to_family, &req.to, &port,
					info->extack);
		if (ret)
			return ret;
		req.has_to = true;
	}
	ret = sockmi_export(genl_info_net(info), &req, &e, info->extack);
	return ret ?: sockmi_reply_entry(info, &e, -1);
}

static int sockmi_nl_get_id(struct genl_info *info, u64 *id)
{
	if (SOCKMI_REQUIRE(info->extack, NULL, info->attrs, SOCKMI_A_ID))
		return -EINVAL;
	*id = nla_get_u64(info->attrs[SOCKMI_A_ID]);
	return 0;
}

static int sockmi_nl_by_id(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	u64 id;
	int ret = sockmi_nl_get_id(info, &id);

	if (ret)
		return ret;
	switch (info->genlhdr->cmd) {
	case SOCKMI_CMD_ABORT:
		return sockmi_abort(net, id, info->extack);
	case SOCKMI_CMD_ACTIVATE:
		return sockmi_activate(net, id, info->extack);
	default:
		return sockmi_unstage(net, id, info->extack);
	}
}

/* The flow's tuple is the exported connection's (the family is not compared:
 * a dual-stack socket's IPv4 connection has v4-mapped addresses).
 */
static int sockmi_export_is(const struct sockmi_entry *e,
			    const struct sockmi_state *st, void *arg)
{
	const struct sockmi_tuple *t = arg;

	return e->tuple.lport == t->lport && e->tuple.rport == t->rport &&
	       ipv6_addr_equal(&e->tuple.laddr, &t->laddr) &&
	       ipv6_addr_equal(&e->tuple.raddr, &t->raddr) ? 0 : -ESRCH;
}

/**
 * sockmi_parse_flow - parse a nest of enum sockmi_flow_attr
 * @nest: the nest, validated by sockmi_flow_policy
 * @need_action: SOCKMI_FLOW_A_ACTION is required (NEW_FLOW, COMMIT)
 * @f: the flow
 * @action: its action, %SOCKMI_FLOW_ANY when none was given
 * @extack: where to say what was wrong
 *
 * REDIRECT and ANSWER_AS need SOCKMI_FLOW_A_VIA, an address of the flow's
 * family without a port; no other action takes one, nor does a deletion.
 */
static int sockmi_parse_flow(const struct nlattr *nest, bool need_action,
			     struct sockmi_flow *f, int *action,
			     struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SOCKMI_FLOW_A_MAX + 1];
	const struct nlattr *via;
	__be16 port;
	u16 family;
	int ret;

	memset(f, 0, sizeof(*f));
	*action = SOCKMI_FLOW_ANY;
	ret = nla_parse_nested(tb, SOCKMI_FLOW_A_MAX, nest, sockmi_flow_policy,
			       extack);
	if (ret)
		return ret;
	if (SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_FLOW_A_TUPLE))
		return -EINVAL;
	ret = sockmi_tuple_parse(tb[SOCKMI_FLOW_A_TUPLE], &f->tuple, extack);
	if (ret)
		return ret;
	if (need_action &&
	    SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_FLOW_A_ACTION))
		return -EINVAL;
	if (tb[SOCKMI_FLOW_A_ACTION]) {
		f->action = nla_get_u8(tb[SOCKMI_FLOW_A_ACTION]);
		*action = f->action;
	}
	/* A listening socket's hold has a local end only. */
	if (!f->tuple.rport && *action != SOCKMI_FLOW_HOLD &&
	    (need_action || *action != SOCKMI_FLOW_ANY)) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SOCKMI_FLOW_A_TUPLE],
				    "A flow needs a remote address and port");
		return -EINVAL;
	}
	via = tb[SOCKMI_FLOW_A_VIA];
	if (!need_action && via) {
		NL_SET_ERR_MSG_ATTR(extack, via,
				    "Deleting a flow takes its tuple and action only");
		return -EINVAL;
	}
	if (!need_action)
		return 0;
	if (*action != SOCKMI_FLOW_REDIRECT && *action != SOCKMI_FLOW_ANSWER_AS) {
		if (via) {
			NL_SET_ERR_MSG_ATTR(extack, via,
					    "Only REDIRECT and ANSWER_AS flows take an address");
			return -EINVAL;
		}
		return 0;
	}
	if (SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_FLOW_A_VIA))
		return -EINVAL;
	ret = sockmi_parse_addr(via, &family, &f->via, &port, extack);
	if (ret)
		return ret;
	if (family != f->tuple.family) {
		NL_SET_ERR_MSG_ATTR(extack, via,
				    "Flow and its address differ in family");
		return -EINVAL;
	}
	if (port) {
		NL_SET_ERR_MSG_ATTR(extack, via,
				    "Flows keep their ports: no port in the address");
		return -EOPNOTSUPP;
	}
	return 0;
}

/* xt_SOCKMI's flow table, or NULL and an error message. */
static const struct sockmi_flow_ops *
sockmi_nl_flow_ops(struct netlink_ext_ack *extack)
{
	const struct sockmi_flow_ops *ops = sockmi_flow_ops_get();

	if (!ops)
		NL_SET_ERR_MSG(extack,
			       "This flow action needs xt_SOCKMI, which is not loaded");
	return ops;
}

/* A commit with a flow. HOLD: the hold outlives the commit anyway. TAKEOVER:
 * the hold stays too (the address is still here until it is moved), and the
 * connection's stale conntrack entries go. REDIRECT replaces the hold: it is
 * entered before the commit and removed again if the commit fails, so at any
 * instant one of the two keeps the peer's packets away from this host's TCP.
 */
static int sockmi_nl_commit(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	const struct sockmi_flow_ops *ops;
	struct sockmi_flow f;
	int action;
	u64 id;
	int ret = sockmi_nl_get_id(info, &id);

	if (ret)
		return ret;
	if (!info->attrs[SOCKMI_A_FLOW])
		return sockmi_commit(net, id, info->extack);
	ret = sockmi_parse_flow(info->attrs[SOCKMI_A_FLOW], true, &f, &action,
				info->extack);
	if (ret)
		return ret;
	if (f.action == SOCKMI_FLOW_ANSWER_AS) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SOCKMI_A_FLOW],
				    "ANSWER_AS flows belong on the importer (SOCKMI_CMD_NEW_FLOW)");
		return -EINVAL;
	}
	ret = sockmi_with_export(net, id, sockmi_export_is, &f.tuple);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "No export with this id");
	if (ret == -ESRCH) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[SOCKMI_A_FLOW],
				    "The flow is not the exported connection");
		ret = -EINVAL;
	}
	if (ret)
		return ret;
	if (f.action == SOCKMI_FLOW_HOLD)
		return sockmi_commit(net, id, info->extack);

	ops = sockmi_nl_flow_ops(info->extack);
	if (!ops)
		return -EOPNOTSUPP;
	if (f.action == SOCKMI_FLOW_REDIRECT) {
		ret = ops->add(net, &f, false, info->extack);
		if (ret)
			goto out;
	}
	ret = sockmi_commit(net, id, info->extack);
	if (ret) {
		if (f.action == SOCKMI_FLOW_REDIRECT)
			ops->del(net, &f.tuple, SOCKMI_FLOW_REDIRECT, NULL);
		goto out;
	}
	if (f.action == SOCKMI_FLOW_REDIRECT)
		sockmi_hold_del(sockmi_net(net), &f.tuple);
	ops->forget(net, &f.tuple);
out:
	sockmi_flow_ops_put(ops);
	return ret;
}

static int sockmi_nl_stage(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct sockmi_state st;
	struct sockmi_entry e;
	u32 flags = 0;
	int ret;

	if (SOCKMI_REQUIRE(info->extack, NULL, info->attrs, SOCKMI_A_STATE))
		return -EINVAL;
	if (info->attrs[SOCKMI_A_FLAGS])
		flags = nla_get_u32(info->attrs[SOCKMI_A_FLAGS]);
	ret = sockmi_state_parse(net, info->attrs[SOCKMI_A_STATE],
				 nlmsg_attrdata(info->nlhdr, GENL_HDRLEN),
				 nlmsg_attrlen(info->nlhdr, GENL_HDRLEN), &st,
				 info->extack);
	if (ret)
		return ret;
	ret = sockmi_stage(net, &st, flags, &e, info->extack);
	sockmi_state_free(&st);
	return ret ?: sockmi_reply_entry(info, &e, -1);
}

static int sockmi_parse_match(const struct nlattr *nest, struct sockmi_match *m,
			      struct netlink_ext_ack *extack)
{
	struct nlattr *tb[SOCKMI_MATCH_A_MAX + 1];
	int ret;

	memset(m, 0, sizeof(*m));
	ret = nla_parse_nested(tb, SOCKMI_MATCH_A_MAX, nest,
			       sockmi_match_policy, extack);
	if (ret)
		return ret;
	if (SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_MATCH_A_STATES))
		return -EINVAL;
	m->states = nla_get_u32(tb[SOCKMI_MATCH_A_STATES]);
	if (!m->states) {
		NL_SET_ERR_MSG_ATTR(extack, tb[SOCKMI_MATCH_A_STATES],
				    "No state selected");
		return -EINVAL;
	}
	if ((tb[SOCKMI_MATCH_A_LOCAL_ADDR] || tb[SOCKMI_MATCH_A_REMOTE_ADDR]) &&
	    SOCKMI_REQUIRE(extack, nest, tb, SOCKMI_MATCH_A_FAMILY))
		return -EINVAL;
	if (tb[SOCKMI_MATCH_A_FAMILY]) {
		ret = sockmi_nla_get_family(tb[SOCKMI_MATCH_A_FAMILY],
					    &m->family, extack);
		if (ret)
			return ret;
	}
	if (tb[SOCKMI_MATCH_A_LOCAL_ADDR]) {
		ret = sockmi_nla_get_addr(tb[SOCKMI_MATCH_A_LOCAL_ADDR],
					  m->family, &m->laddr, extack);
		if (ret)
			return ret;
		m->has_laddr = true;
	}
	if (tb[SOCKMI_MATCH_A_REMOTE_ADDR]) {
		ret = sockmi_nla_get_addr(tb[SOCKMI_MATCH_A_REMOTE_ADDR],
					  m->family, &m->raddr, extack);
		if (ret)
			return ret;
		m->has_raddr = true;
	}
	if (tb[SOCKMI_MATCH_A_LOCAL_PORT])
		m->lport = htons(nla_get_u16(tb[SOCKMI_MATCH_A_LOCAL_PORT]));
	if (tb[SOCKMI_MATCH_A_REMOTE_PORT])
		m->rport = htons(nla_get_u16(tb[SOCKMI_MATCH_A_REMOTE_PORT]));
	return 0;
}

static int sockmi_nl_import(struct sk_buff *skb, struct genl_info *info)
{
	unsigned int o_flags = 0;
	struct sockmi_match m;
	struct sockmi_entry e;
	int ret, fd;

	if (SOCKMI_REQUIRE(info->extack, NULL, info->attrs, SOCKMI_A_MATCH))
		return -EINVAL;
	ret = sockmi_parse_match(info->attrs[SOCKMI_A_MATCH], &m, info->extack);
	if (ret)
		return ret;
	if (info->attrs[SOCKMI_A_FLAGS] &&
	    (nla_get_u32(info->attrs[SOCKMI_A_FLAGS]) & SOCKMI_IMPORT_F_CLOEXEC))
		o_flags |= O_CLOEXEC;
	ret = sockmi_import(genl_info_net(info), &m, o_flags, &fd, &e,
			    info->extack);
	return ret ?: sockmi_reply_entry(info, &e, fd);
}

/* NEW_FLOW: HOLD goes to the holds, the rest to xt_SOCKMI. */
static int sockmi_nl_new_flow(struct genl_info *info,
			      const struct sockmi_flow *f)
{
	struct sockmi_net *sn = sockmi_net(genl_info_net(info));
	bool replace = info->attrs[SOCKMI_A_FLAGS] &&
		       (nla_get_u32(info->attrs[SOCKMI_A_FLAGS]) &
			SOCKMI_FLOW_F_REPLACE);
	const struct sockmi_flow_ops *ops;
	int ret;

	if (f->action == SOCKMI_FLOW_HOLD) {
		ret = sockmi_hold_add(sn, &f->tuple);
		if (ret == -EEXIST && replace)
			return 0;
		if (ret == -EEXIST)
			GENL_SET_ERR_MSG(info, "The flow is held already");
		return ret;
	}
	ops = sockmi_nl_flow_ops(info->extack);
	if (!ops)
		return -EOPNOTSUPP;
	ret = ops->add(genl_info_net(info), f, replace, info->extack);
	sockmi_flow_ops_put(ops);
	return ret;
}

/* DEL_FLOW: the flow of that action, or without an action every flow of the
 * tuple: xt_SOCKMI's entry first, then the hold.
 */
static int sockmi_nl_del_flow(struct genl_info *info,
			      const struct sockmi_flow *f, int action)
{
	struct net *net = genl_info_net(info);
	const struct sockmi_flow_ops *ops = NULL;
	int ret = -ENOENT, held;

	if (action != SOCKMI_FLOW_HOLD && f->tuple.rport) {
		ops = action == SOCKMI_FLOW_ANY ? sockmi_flow_ops_get() :
		      sockmi_nl_flow_ops(info->extack);
		if (!ops && action != SOCKMI_FLOW_ANY)
			return -EOPNOTSUPP;
		if (ops) {
			ret = ops->del(net, &f->tuple, action,
				       action == SOCKMI_FLOW_ANY ? NULL :
				       info->extack);
			sockmi_flow_ops_put(ops);
		}
		if (action != SOCKMI_FLOW_ANY || (ret && ret != -ENOENT))
			return ret;
	}
	held = sockmi_hold_del(sockmi_net(net), &f->tuple);
	if (ret && held) {
		GENL_SET_ERR_MSG(info, "No such flow");
		return -ENOENT;
	}
	return 0;
}

static int sockmi_nl_flow(struct sk_buff *skb, struct genl_info *info)
{
	bool add = info->genlhdr->cmd == SOCKMI_CMD_NEW_FLOW;
	struct sockmi_flow f;
	int ret, action;

	if (SOCKMI_REQUIRE(info->extack, NULL, info->attrs, SOCKMI_A_FLOW))
		return -EINVAL;
	ret = sockmi_parse_flow(info->attrs[SOCKMI_A_FLOW], add, &f, &action,
				info->extack);
	if (ret)
		return ret;
	return add ? sockmi_nl_new_flow(info, &f) :
		     sockmi_nl_del_flow(info, &f, action);
}

/* @generation: the flow table's, for consistency checks; NULL for holds. */
struct sockmi_flow_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	const u32 *generation;
	bool full;
};

static int sockmi_put_flow(const struct sockmi_flow *f, void *arg)
{
	struct sockmi_flow_dump *d = arg;
	struct nlattr *nest, *via;
	void *hdr;

	hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &sockmi_genl_family,
			  NLM_F_MULTI, SOCKMI_CMD_GET_FLOW);
	if (!hdr)
		goto full;
	if (d->generation)
		d->cb->seq = *d->generation;
	genl_dump_check_consistent(d->cb, hdr);
	nest = nla_nest_start(d->skb, SOCKMI_A_FLOW);
	if (!nest || sockmi_tuple_put(d->skb, SOCKMI_FLOW_A_TUPLE, &f->tuple) ||
	    nla_put_u8(d->skb, SOCKMI_FLOW_A_ACTION, f->action) ||
	    nla_put_u64_64bit(d->skb, SOCKMI_FLOW_A_PACKETS, f->packets,
			      SOCKMI_FLOW_A_PAD))
		goto cancel;
	if (f->action != SOCKMI_FLOW_HOLD &&
	    nla_put_u64_64bit(d->skb, SOCKMI_FLOW_A_BYTES, f->bytes,
			      SOCKMI_FLOW_A_PAD))
		goto cancel;
	if (f->action == SOCKMI_FLOW_REDIRECT ||
	    f->action == SOCKMI_FLOW_ANSWER_AS) {
		via = nla_nest_start(d->skb, SOCKMI_FLOW_A_VIA);
		if (!via || nla_put_u16(d->skb, SOCKMI_ADDR_A_FAMILY,
					f->tuple.family) ||
		    sockmi_put_addr(d->skb, SOCKMI_ADDR_A_ADDR, f->tuple.family,
				    &f->via))
			goto cancel;
		nla_nest_end(d->skb, via);
	}
	nla_nest_end(d->skb, nest);
	genlmsg_end(d->skb, hdr);
	return 0;
cancel:
	genlmsg_cancel(d->skb, hdr);
full:
	d->full = true;
	return -EMSGSIZE;
}

static int sockmi_put_hold(const struct sockmi_tuple *t, u64 packets, void *arg)
{
	struct sockmi_flow f = {
		.tuple = *t,
		.action = SOCKMI_FLOW_HOLD,
		.packets = packets,
	};

	return sockmi_put_flow(&f, arg);
}

/* The holds of sockmi.ko, then the flows of xt_SOCKMI (when loaded).
 * cb->args[0]: 0 holds, 1 flows; cb->args[1]: entries of it sent so far.
 */
static int sockmi_nl_get_flow(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct sockmi_net *sn = sockmi_net(sock_net(skb->sk));
	struct sockmi_flow_dump d = { .skb = skb, .cb = cb };
	const struct sockmi_flow_ops *ops;
	u32 generation;

	if (!cb->args[0]) {
		cb->args[1] = sockmi_hold_walk(sn, cb->args[1], sockmi_put_hold,
					       &d);
		if (d.full)
			return skb->len;
		cb->args[0] = 1;
		cb->args[1] = 0;
	}
	ops = sockmi_flow_ops_get();
	if (ops) {
		d.generation = &generation;
		cb->args[1] = ops->walk(sock_net(skb->sk), cb->args[1],
					&generation, sockmi_put_flow, &d);
		sockmi_flow_ops_put(ops);
	}
	return skb->len;
}

struct sockmi_export_dump {
	struct sk_buff *skb;
	struct netlink_callback *cb;
};

/* Dump phases, in cb->args[0]. */
enum {
	SOCKMI_DUMP_STATE,	/* SOCKMI_A_STATE */
	SOCKMI_DUMP_CHILDREN,	/* SOCKMI_A_CHILD, from child cb->args[3] */
	SOCKMI_DUMP_CHUNKS,	/* queues of socket cb->args[3]: 0 the socket
				 * itself, k its child k - 1; from queue
				 * cb->args[1], offset cb->args[2]
				 */
	SOCKMI_DUMP_DONE,
};

/* As many children as fit; returns -EMSGSIZE when not all did. */
static int sockmi_put_children(struct sk_buff *skb, struct netlink_callback *cb,
			       const struct sockmi_state *st)
{
	while (cb->args[3] < st->nchildren) {
		if (sockmi_state_put(skb, SOCKMI_A_CHILD,
				     &st->children[cb->args[3]]))
			return -EMSGSIZE;
		cb->args[3]++;
	}
	cb->args[0] = SOCKMI_DUMP_CHUNKS;
	cb->args[3] = 0;
	return 0;
}

/* As many chunks as fit, of the socket and then of each child in turn. */
static int sockmi_put_all_chunks(struct sk_buff *skb,
				 struct netlink_callback *cb,
				 const struct sockmi_state *st)
{
	int queue = cb->args[1];
	u32 offset = cb->args[2];
	unsigned long k;
	int ret;

	for (k = cb->args[3]; k <= st->nchildren; k++) {
		ret = sockmi_state_put_chunks(skb, k ? &st->children[k - 1] : st,
					      (int)k - 1, &queue, &offset);
		if (ret) {
			cb->args[1] = queue;
			cb->args[2] = offset;
			cb->args[3] = k;
			return ret;
		}
		queue = 0;
		offset = 0;
	}
	cb->args[0] = SOCKMI_DUMP_DONE;
	return 0;
}

static int sockmi_put_export(const struct sockmi_entry *e,
			     const struct sockmi_state *st, void *arg)
{
	struct sockmi_export_dump *d = arg;
	struct netlink_callback *cb = d->cb;
	struct sk_buff *skb = d->skb;
	unsigned int start;
	void *hdr;
	int ret;

	while (cb->args[0] < SOCKMI_DUMP_DONE) {
		hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
				  cb->nlh->nlmsg_seq, &sockmi_genl_family,
				  NLM_F_MULTI, SOCKMI_CMD_GET_EXPORT);
		if (!hdr)
			break;
		if (nla_put_u64_64bit(skb, SOCKMI_A_ID, e->id, SOCKMI_A_PAD))
			goto cancel;
		start = skb->len;
		switch (cb->args[0]) {
		case SOCKMI_DUMP_STATE:
			if (sockmi_state_put(skb, SOCKMI_A_STATE, st))
				goto cancel;
			cb->args[0] = st->nchildren ? SOCKMI_DUMP_CHILDREN :
				      SOCKMI_DUMP_CHUNKS;
			cb->args[1] = 0;
			cb->args[2] = 0;
			cb->args[3] = 0;
			ret = 0;
			break;
		case SOCKMI_DUMP_CHILDREN:
			ret = sockmi_put_children(skb, cb, st);
			break;
		default:
			ret = sockmi_put_all_chunks(skb, cb, st);
			break;
		}
		if (ret && skb->len == start)
			goto cancel;
		genlmsg_end(skb, hdr);
	}
	return 0;
cancel:
	genlmsg_cancel(skb, hdr);
	return 0;
}

static int sockmi_nl_get_export(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **attrs = sockmi_dump_attrs(genl_dumpit_info(cb));
	struct sockmi_export_dump d = { .skb = skb, .cb = cb };
	int ret;

	if (SOCKMI_REQUIRE(cb->extack, NULL, attrs, SOCKMI_A_ID))
		return -EINVAL;
	if (cb->args[0] == SOCKMI_DUMP_DONE)
		return 0;
	ret = sockmi_with_export(sock_net(skb->sk),
				 nla_get_u64(attrs[SOCKMI_A_ID]),
				 sockmi_put_export, &d);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(cb->extack, "No export with this id");
	if (ret)
		return ret;
	if (!skb->len) {
		NL_SET_ERR_MSG(cb->extack, "Dump buffer too small for the state");
		return -EMSGSIZE;
	}
	return skb->len;
}

static int sockmi_put_entry(struct sk_buff *skb, struct netlink_callback *cb,
			    const struct sockmi_entry *e)
{
	void *hdr;

	hdr = genlmsg_put(skb, NETLINK_CB(cb->skb).portid, cb->nlh->nlmsg_seq,
			  &sockmi_genl_family, NLM_F_MULTI,
			  SOCKMI_CMD_GET_STAGED);
	if (!hdr)
		return -EMSGSIZE;
	genl_dump_check_consistent(cb, hdr);
	if (sockmi_put_entry_attrs(skb, e) ||
	    nla_put_u8(skb, SOCKMI_A_LIST, e->list) ||
	    nla_put_u32(skb, SOCKMI_A_FLAGS, e->flags)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Dump cursor: cb->args[0] list, cb->args[1] last id sent (ids only grow). */
static int sockmi_nl_get_staged(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct sockmi_net *sn = sockmi_net(sock_net(skb->sk));
	struct sockmi_entry *e;
	int list, ret = 0;

	mutex_lock(&sn->lock);
	cb->seq = sn->generation;
	for (list = cb->args[0]; list < __SOCKMI_LIST_MAX; list++) {
		list_for_each_entry(e, &sn->lists[list], node) {
			if (e->id <= cb->args[1])
				continue;
			ret = sockmi_put_entry(skb, cb, e);
			if (ret)
				goto out;
			cb->args[1] = e->id;
		}
		cb->args[0] = list + 1;
		cb->args[1] = 0;
	}
out:
	mutex_unlock(&sn->lock);
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret;
}

/* Called under RCU by sockmi.ko: no sleeping. */
static void sockmi_nl_notify(struct net *net, const struct sockmi_event *ev)
{
	struct sockmi_entry e = {
		.id = ev->id,
		.tcp_state = ev->tcp_state,
		.tuple = ev->tuple,
	};
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;

	if (!genl_has_listeners(&sockmi_genl_family, net, 0))
		return;
	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &sockmi_genl_family, 0, ev->cmd);
	if (!hdr || sockmi_put_entry_attrs(msg, &e))
		goto err;
	if (ev->has_to) {
		nest = nla_nest_start(msg, SOCKMI_A_TO);
		if (!nest || nla_put_u16(msg, SOCKMI_ADDR_A_FAMILY, ev->to_family) ||
		    sockmi_put_addr(msg, SOCKMI_ADDR_A_ADDR, ev->to_family,
				    &ev->to))
			goto err;
		nla_nest_end(msg, nest);
	}
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&sockmi_genl_family, net, msg, 0, 0,
				GFP_ATOMIC);
	return;
err:
	nlmsg_free(msg);
}

static const u8 sockmi_stats_attrs[] = {
	SOCKMI_STATS_A_EXPORTS, SOCKMI_STATS_A_COMMITS, SOCKMI_STATS_A_ABORTS,
	SOCKMI_STATS_A_STAGES, SOCKMI_STATS_A_STAGE_ERRORS,
	SOCKMI_STATS_A_IMPORTS, SOCKMI_STATS_A_UNSTAGES, SOCKMI_STATS_A_BYTES,
	SOCKMI_STATS_A_EXPORTING, SOCKMI_STATS_A_STAGED_BOUND,
	SOCKMI_STATS_A_STAGED_LISTEN, SOCKMI_STATS_A_STAGED_CONNECTED,
};

static int sockmi_nl_get_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct sockmi_net *sn = sockmi_net(genl_info_net(info));
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_DEFAULT_SIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &sockmi_genl_family, 0,
				SOCKMI_CMD_GET_STATS);
	if (!hdr)
		goto nospace;
	nest = nla_nest_start(msg, SOCKMI_A_STATS);
	if (!nest)
		goto nospace;
	for (i = 0; i < ARRAY_SIZE(sockmi_stats_attrs); i++)
		if (nla_put_u64_64bit(msg, sockmi_stats_attrs[i],
				      sockmi_stat_read(sn, sockmi_stats_attrs[i]),
				      SOCKMI_STATS_A_PAD))
			goto nospace;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

#define SOCKMI_OP(_cmd, _policy, ...) {				\
	.cmd = (_cmd),							\
	.flags = GENL_UNS_ADMIN_PERM,					\
	.policy = (_policy),						\
	.maxattr = SOCKMI_A_MAX,					\
	__VA_ARGS__							\
}

static const struct genl_ops sockmi_genl_ops[] = {
	SOCKMI_OP(SOCKMI_CMD_EXPORT, sockmi_export_policy,
		  .doit = sockmi_nl_export),
	SOCKMI_OP(SOCKMI_CMD_GET_EXPORT, sockmi_id_policy,
		  .dumpit = sockmi_nl_get_export),
	SOCKMI_OP(SOCKMI_CMD_COMMIT, sockmi_commit_policy,
		  .doit = sockmi_nl_commit),
	SOCKMI_OP(SOCKMI_CMD_ABORT, sockmi_id_policy,
		  .doit = sockmi_nl_by_id),
	SOCKMI_OP(SOCKMI_CMD_STAGE, sockmi_stage_policy,
		  .doit = sockmi_nl_stage),
	SOCKMI_OP(SOCKMI_CMD_ACTIVATE, sockmi_id_policy,
		  .doit = sockmi_nl_by_id),
	SOCKMI_OP(SOCKMI_CMD_UNSTAGE, sockmi_id_policy,
		  .doit = sockmi_nl_by_id),
	SOCKMI_OP(SOCKMI_CMD_IMPORT, sockmi_import_policy,
		  .doit = sockmi_nl_import),
	SOCKMI_OP(SOCKMI_CMD_GET_STAGED, sockmi_empty_policy,
		  .dumpit = sockmi_nl_get_staged),
	SOCKMI_OP(SOCKMI_CMD_NEW_FLOW, sockmi_new_flow_policy,
		  .doit = sockmi_nl_flow),
	SOCKMI_OP(SOCKMI_CMD_DEL_FLOW, sockmi_flow_cmd_policy,
		  .doit = sockmi_nl_flow),
	SOCKMI_OP(SOCKMI_CMD_GET_FLOW, sockmi_empty_policy,
		  .dumpit = sockmi_nl_get_flow),
	SOCKMI_OP(SOCKMI_CMD_GET_STATS, sockmi_empty_policy,
		  .doit = sockmi_nl_get_stats),
};

static const struct genl_multicast_group sockmi_genl_mcgrps[] = {
	{ .name = SOCKMI_GENL_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
};

static const struct sockmi_notifier sockmi_nl_notifier = {
	.notify = sockmi_nl_notify,
};

static struct genl_family sockmi_genl_family __ro_after_init = {
	.name = SOCKMI_GENL_NAME,
	.version = SOCKMI_GENL_VERSION,
	.maxattr = SOCKMI_A_MAX,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = sockmi_genl_ops,
	.n_ops = ARRAY_SIZE(sockmi_genl_ops),
	.mcgrps = sockmi_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(sockmi_genl_mcgrps),
};

static int __init sockmi_genl_init(void)
{
	int ret = genl_register_family(&sockmi_genl_family);

	if (!ret)
		sockmi_set_notifier(&sockmi_nl_notifier);
	return ret;
}

static void __exit sockmi_genl_exit(void)
{
	sockmi_set_notifier(NULL);
	genl_unregister_family(&sockmi_genl_family);
}

module_init(sockmi_genl_init);
module_exit(sockmi_genl_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SockMi: generic netlink control family");
MODULE_AUTHOR("The SockMi developers");
MODULE_ALIAS_GENL_FAMILY(SOCKMI_GENL_NAME);
