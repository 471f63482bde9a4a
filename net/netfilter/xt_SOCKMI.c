// SPDX-License-Identifier: GPL-2.0
/*
 * xt_SOCKMI: redirect the packets of migrated TCP flows.
 *
 * A connection between a peer P and a socket on host A has moved to host B;
 * both hosts keep their own addresses and the peer, which knows nothing,
 * keeps talking to A. The socket rebuilt on B still has A's address as its
 * local address (restored sockets are IP_TRANSPARENT), so B answers the peer
 * directly and as A, with nothing to translate. Only the peer's packets need
 * to be carried from A to B and handed to that socket:
 *
 *   peer P:p --> A:a ---> A  REDIRECT via B: dst A -> B, TTL - 1, routed to B
 *                              and sent from here, untracked; stolen
 *             P:p --> B:a ---> B  ANSWER_AS via B: routed to this host as it
 *                                   arrived (B is local), then dst B -> A
 *                              P:p --> A:a ---> the imported socket
 *   peer P:p <-- A:a <-------------------- B  (the socket's own packets)
 *
 * Both rewrites happen in a `-t raw -A PREROUTING -j SOCKMI` rule, before
 * conntrack and before sockmi.ko's holds, keyed by the packet's full tuple
 * (dst, dport, src, sport) in a per-namespace hash table: one rule serves
 * every flow at a cost independent of their number.
 *
 * On A the target sends the rewritten packet itself (ip_local_out(), as
 * xt_TEE does) and steals it: A needs no ip_forward, its FORWARD chain and
 * conntrack never see the flow again, and it sends the peer no ICMP redirect.
 * A hook of this module at LOCAL_OUT, before conntrack, drops anything A's
 * own stack would still emit for a redirected flow (a RST for a segment that
 * slipped through), whether or not a rule exists: A never resets the peer.
 *
 * On B the packet must first be routed to the local stack, as the address it
 * arrived at: routed with A's address it would be forwarded or dropped. Its
 * destination is given back afterwards, still before conntrack, so that B's
 * conntrack sees P:p <-> A:a in both directions, one ordinary connection
 * (picked up mid-stream, hence with liberal window tracking whatever
 * nf_conntrack_tcp_be_liberal says), ESTABLISHED once the socket answers,
 * never INVALID: a stateful firewall on B accepts it like any other.
 *
 * No NAT is set up on either host: no conntrack reply tuple is altered, NAT
 * rules are never consulted, there is no first-packet delay. The rewrites
 * are stateless, checksums updated incrementally as nf_nat does.
 *
 * Conntrack entries of a flow are deleted by exact tuple, never by a walk
 * (nf_conntrack_find_get() + nf_ct_delete(), default zone), when a flow is
 * entered, replaced or removed, and when a commit moves a connection away.
 *
 * Multi-hop: a flow is always redirected by its address owner, A. Moving the
 * socket on from B to C replaces A's REDIRECT (via C) and enters ANSWER_AS
 * on C; moving it home deletes A's REDIRECT. There is never a chain, so
 * every packet crosses at most one extra hop. TAKEOVER flows (the importer
 * took over A's address, nothing to translate) are only counted.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netfilter.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_SOCKMI.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/addrconf.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/netfilter/nf_conntrack_core.h>
#include <net/netfilter/nf_conntrack_zones.h>
#include <net/netns/generic.h>
#include <net/route.h>

#include "../sockmi/sockmi.h"

/* Flows a namespace may hold. */
#define XT_SOCKMI_MAX_FLOWS (1024 * 1024)

/* A connection, from this host's side; IPv4 addresses are v4-mapped. */
struct xt_sockmi_key {
	struct in6_addr laddr;
	struct in6_addr raddr;
	__be16 lport;
	__be16 rport;
};

/**
 * struct xt_sockmi_flow - one flow of the table
 * @by_tuple: link in xt_sockmi_net.by_tuple
 * @by_key: link in xt_sockmi_net.by_key
 * @node: link in xt_sockmi_net.flows
 * @tuple: the connection, as its socket sees it
 * @key: how the peer's packets of the connection arrive here: @tuple, but
 *	for ANSWER_AS with this host's address @via as the local one
 * @via: the importer's address (REDIRECT, ANSWER_AS)
 * @action: enum sockmi_flow_action
 * @packets: packets handled
 * @bytes: their bytes
 * @rcu: for freeing
 */
struct xt_sockmi_flow {
	struct rhash_head by_tuple;
	struct rhash_head by_key;
	struct list_head node;
	struct xt_sockmi_key tuple;
	struct xt_sockmi_key key;
	struct in6_addr via;
	u8 action;
	atomic64_t packets;
	atomic64_t bytes;
	struct rcu_head rcu;
};

/**
 * struct xt_sockmi_net - per network namespace state
 * @lock: serializes changes of the table (packets only read it, under RCU)
 * @by_tuple: every flow, by its connection (genl commands)
 * @by_key: every flow, by how its packets arrive (packets)
 * @flows: every flow, oldest first (dumps)
 * @nr_flows: number of flows; zero lets packets pass at once
 * @generation: bumped on every change, for dump consistency
 * @rules: number of -j SOCKMI rules, IPv4 and IPv6
 */
struct xt_sockmi_net {
	struct mutex lock;		/* see @lock */
	struct rhashtable by_tuple;
	struct rhashtable by_key;
	struct list_head flows;
	unsigned int nr_flows;
	u32 generation;
	atomic_t rules[2];
};

static unsigned int xt_sockmi_net_id __read_mostly;

static struct xt_sockmi_net *xt_sockmi_pernet(const struct net *net)
{
	return net_generic(net, xt_sockmi_net_id);
}

static const struct rhashtable_params xt_sockmi_tuple_params = {
	.head_offset = offsetof(struct xt_sockmi_flow, by_tuple),
	.key_offset = offsetof(struct xt_sockmi_flow, tuple),
	.key_len = sizeof(struct xt_sockmi_key),
	.automatic_shrinking = true,
};

static const struct rhashtable_params xt_sockmi_key_params = {
	.head_offset = offsetof(struct xt_sockmi_flow, by_key),
	.key_offset = offsetof(struct xt_sockmi_flow, key),
	.key_len = sizeof(struct xt_sockmi_key),
	.automatic_shrinking = true,
};

/* Index of the family of an address in xt_sockmi_net.rules. */
static int xt_sockmi_fam(const struct in6_addr *a)
{
	return ipv6_addr_v4mapped(a) ? 0 : 1;
}

static bool xt_sockmi_is_local(struct net *net, const struct in6_addr *a)
{
	if (ipv6_addr_v4mapped(a))
		return inet_addr_type(net, a->s6_addr32[3]) == RTN_LOCAL;
#if IS_ENABLED(CONFIG_IPV6)
	return ipv6_chk_addr(net, a, NULL, 0);
#else
	return false;
#endif
}

/* Conntrack: delete the entry of the connection raddr:rport <-> laddr:lport,
 * whichever direction it was created in (both are hashed), in the default
 * zone. Process context.
 */
static void xt_sockmi_ct_forget(struct net *net, const struct in6_addr *laddr,
				__be16 lport, const struct in6_addr *raddr,
				__be16 rport)
{
	struct nf_conntrack_tuple t = {
		.src.u.tcp.port = rport,
		.dst.u.tcp.port = lport,
		.dst.protonum = IPPROTO_TCP,
		.dst.dir = IP_CT_DIR_ORIGINAL,
	};
	struct nf_conntrack_tuple_hash *h;
	struct nf_conn *ct;

	if (ipv6_addr_v4mapped(laddr)) {
		t.src.l3num = NFPROTO_IPV4;
		t.src.u3.ip = raddr->s6_addr32[3];
		t.dst.u3.ip = laddr->s6_addr32[3];
	} else {
		t.src.l3num = NFPROTO_IPV6;
		t.src.u3.in6 = *raddr;
		t.dst.u3.in6 = *laddr;
	}
	h = nf_conntrack_find_get(net, &nf_ct_zone_dflt, &t);
	if (!h)
		return;
	ct = nf_ct_tuplehash_to_ctrack(h);
	nf_ct_delete(ct, 0, 0);
	nf_ct_put(ct);
}

/* The entries of a flow's connection, under either local address. */
static void xt_sockmi_flow_forget(struct net *net,
				  const struct xt_sockmi_flow *f)
{
	const struct xt_sockmi_key *t = &f->tuple;

	xt_sockmi_ct_forget(net, &t->laddr, t->lport, &t->raddr, t->rport);
	if (!ipv6_addr_equal(&f->key.laddr, &t->laddr))
		xt_sockmi_ct_forget(net, &f->key.laddr, t->lport, &t->raddr,
				    t->rport);
}

static void xt_sockmi_key_of(const struct sockmi_tuple *t,
			     struct xt_sockmi_key *k)
{
	k->laddr = t->laddr;
	k->raddr = t->raddr;
	k->lport = t->lport;
	k->rport = t->rport;
}

/* What a flow may be, beyond what the genl policy checked. */
static int xt_sockmi_validate(struct net *net, const struct sockmi_flow *sf,
			      struct netlink_ext_ack *extack)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(net);
	const struct sockmi_tuple *t = &sf->tuple;
	int fam = xt_sockmi_fam(&t->laddr);

	if (fam != xt_sockmi_fam(&t->raddr) ||
	    (sf->action != SOCKMI_FLOW_TAKEOVER &&
	     fam != xt_sockmi_fam(&sf->via))) {
		NL_SET_ERR_MSG(extack, "The flow's addresses differ in family");
		return -EINVAL;
	}
	switch (sf->action) {
	case SOCKMI_FLOW_REDIRECT:
		if (!xt_sockmi_is_local(net, &t->laddr)) {
			NL_SET_ERR_MSG(extack,
				       "Only the host that has the flow's local address can redirect it");
			return -EADDRNOTAVAIL;
		}
		if (xt_sockmi_is_local(net, &sf->via)) {
			NL_SET_ERR_MSG(extack,
				       "A flow cannot be redirected to this host");
			return -EINVAL;
		}
		break;
	case SOCKMI_FLOW_ANSWER_AS:
		if (!xt_sockmi_is_local(net, &sf->via)) {
			NL_SET_ERR_MSG(extack,
				       "The address of an ANSWER_AS flow must be one of this host's");
			return -EADDRNOTAVAIL;
		}
		if (xt_sockmi_is_local(net, &t->laddr)) {
			NL_SET_ERR_MSG(extack,
				       "The flow's local address is this host's: that is a TAKEOVER");
			return -EINVAL;
		}
		break;
	case SOCKMI_FLOW_TAKEOVER:
		return 0;
	default:
		NL_SET_ERR_MSG(extack, "Not an action of xt_SOCKMI");
		return -EINVAL;
	}
	/* Without the rule the peer's packets would reach this host's TCP. */
	if (!atomic_read(&xn->rules[fam])) {
		if (fam)
			NL_SET_ERR_MSG(extack,
				       "No 'ip6tables -t raw -A PREROUTING -j SOCKMI' rule in this namespace");
		else
			NL_SET_ERR_MSG(extack,
				       "No 'iptables -t raw -A PREROUTING -j SOCKMI' rule in this namespace");
		return -ENOENT;
	}
	return 0;
}

static int xt_sockmi_add(struct net *net, const struct sockmi_flow *sf,
			 bool replace, struct netlink_ext_ack *extack)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(net);
	struct xt_sockmi_flow *f, *old, *clash;
	int ret;

	ret = xt_sockmi_validate(net, sf, extack);
	if (ret)
		return ret;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	xt_sockmi_key_of(&sf->tuple, &f->tuple);
	f->key = f->tuple;
	if (sf->action == SOCKMI_FLOW_ANSWER_AS)
		f->key.laddr = sf->via;
	if (sf->action != SOCKMI_FLOW_TAKEOVER)
		f->via = sf->via;
	f->action = sf->action;

	mutex_lock(&xn->lock);
	old = rhashtable_lookup_fast(&xn->by_tuple, &f->tuple,
				     xt_sockmi_tuple_params);
	if (old && !replace) {
		NL_SET_ERR_MSG(extack,
			       "The connection has a flow already (SOCKMI_FLOW_F_REPLACE replaces it)");
		ret = -EEXIST;
		goto err_unlock;
	}
	if (!old && xn->nr_flows >= XT_SOCKMI_MAX_FLOWS) {
		NL_SET_ERR_MSG(extack, "The flow table is full");
		ret = -ENOSPC;
		goto err_unlock;
	}
	clash = rhashtable_lookup_fast(&xn->by_key, &f->key,
				       xt_sockmi_key_params);
	if (clash && clash != old) {
		NL_SET_ERR_MSG(extack,
			       "Another flow's packets arrive at the same address and ports");
		ret = -EEXIST;
		goto err_unlock;
	}
	/* The new flow is findable before the old one goes: no gap. */
	if (clash)
		ret = rhashtable_replace_fast(&xn->by_key, &old->by_key,
					      &f->by_key, xt_sockmi_key_params);
	else
		ret = rhashtable_insert_fast(&xn->by_key, &f->by_key,
					     xt_sockmi_key_params);
	if (ret)
		goto err_unlock;
	if (old) {
		if (!clash)
			rhashtable_remove_fast(&xn->by_key, &old->by_key,
					       xt_sockmi_key_params);
		ret = rhashtable_replace_fast(&xn->by_tuple, &old->by_tuple,
					      &f->by_tuple,
					      xt_sockmi_tuple_params);
		WARN_ON_ONCE(ret);
		list_replace(&old->node, &f->node);
		xt_sockmi_flow_forget(net, old);
		kfree_rcu(old, rcu);
	} else {
		ret = rhashtable_insert_fast(&xn->by_tuple, &f->by_tuple,
					     xt_sockmi_tuple_params);
		if (ret) {
			rhashtable_remove_fast(&xn->by_key, &f->by_key,
					       xt_sockmi_key_params);
			goto err_unlock;
		}
		list_add_tail(&f->node, &xn->flows);
		WRITE_ONCE(xn->nr_flows, xn->nr_flows + 1);
	}
	xn->generation++;
	xt_sockmi_flow_forget(net, f);
	mutex_unlock(&xn->lock);
	return 0;

err_unlock:
	mutex_unlock(&xn->lock);
	kfree(f);
	return ret;
}

static int xt_sockmi_del(struct net *net, const struct sockmi_tuple *t,
			 int action, struct netlink_ext_ack *extack)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(net);
	struct xt_sockmi_flow *f;
	struct xt_sockmi_key k;

	xt_sockmi_key_of(t, &k);
	mutex_lock(&xn->lock);
	f = rhashtable_lookup_fast(&xn->by_tuple, &k, xt_sockmi_tuple_params);
	if (!f || (action != SOCKMI_FLOW_ANY && f->action != action)) {
		mutex_unlock(&xn->lock);
		if (f)
			NL_SET_ERR_MSG(extack,
				       "The connection's flow has another action");
		else
			NL_SET_ERR_MSG(extack, "No such flow");
		return -ENOENT;
	}
	rhashtable_remove_fast(&xn->by_key, &f->by_key, xt_sockmi_key_params);
	rhashtable_remove_fast(&xn->by_tuple, &f->by_tuple,
			       xt_sockmi_tuple_params);
	list_del(&f->node);
	WRITE_ONCE(xn->nr_flows, xn->nr_flows - 1);
	xn->generation++;
	xt_sockmi_flow_forget(net, f);
	mutex_unlock(&xn->lock);
	kfree_rcu(f, rcu);
	return 0;
}

static void xt_sockmi_forget(struct net *net, const struct sockmi_tuple *t)
{
	xt_sockmi_ct_forget(net, &t->laddr, t->lport, &t->raddr, t->rport);
}

static unsigned long xt_sockmi_walk(struct net *net, unsigned long skip,
				    u32 *generation,
				    int (*fn)(const struct sockmi_flow *f,
					      void *arg),
				    void *arg)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(net);
	struct xt_sockmi_flow *f;
	struct sockmi_flow sf;
	unsigned long n = 0;

	mutex_lock(&xn->lock);
	*generation = xn->generation;
	list_for_each_entry(f, &xn->flows, node) {
		if (n >= skip) {
			memset(&sf, 0, sizeof(sf));
			sf.tuple.family = xt_sockmi_fam(&f->tuple.laddr) ?
					  AF_INET6 : AF_INET;
			sf.tuple.laddr = f->tuple.laddr;
			sf.tuple.raddr = f->tuple.raddr;
			sf.tuple.lport = f->tuple.lport;
			sf.tuple.rport = f->tuple.rport;
			sf.action = f->action;
			sf.via = f->via;
			sf.packets = atomic64_read(&f->packets);
			sf.bytes = atomic64_read(&f->bytes);
			if (fn(&sf, arg))
				break;
		}
		n++;
	}
	mutex_unlock(&xn->lock);
	return n;
}

static const struct sockmi_flow_ops xt_sockmi_flow_ops = {
	.owner = THIS_MODULE,
	.add = xt_sockmi_add,
	.del = xt_sockmi_del,
	.forget = xt_sockmi_forget,
	.walk = xt_sockmi_walk,
};

/* Under RCU (netfilter hooks run under rcu_read_lock()). */
static struct xt_sockmi_flow *xt_sockmi_lookup(struct xt_sockmi_net *xn,
					       const struct xt_sockmi_key *k,
					       const struct sk_buff *skb)
{
	struct xt_sockmi_flow *f;

	f = rhashtable_lookup(&xn->by_key, k, xt_sockmi_key_params);
	if (f) {
		atomic64_inc(&f->packets);
		atomic64_add(skb->len, &f->bytes);
	}
	return f;
}

static void xt_sockmi_mark(struct sk_buff *skb,
			   const struct xt_sockmi_tginfo1 *info)
{
	if (info && (info->flags & XT_SOCKMI_F_SET_MARK))
		skb->mark = (skb->mark & ~info->mask) ^ info->mark;
}

/* A received packet, about to be sent on from here as if forwarded. */
static void xt_sockmi_hand_on(struct sk_buff *skb, struct dst_entry *dst)
{
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	skb->dev = dst->dev;
	nf_reset_ct(skb);
	nf_ct_set(skb, NULL, IP_CT_UNTRACKED);
	skb_forward_csum(skb);
	skb_clear_tstamp(skb);
}

/* REDIRECT, IPv4: to @via, sent from here. Stolen, or dropped. */
static unsigned int xt_sockmi_redirect4(struct net *net, struct sk_buff *skb,
					unsigned int thoff, __be32 via)
{
	struct flowi4 fl4 = { };
	struct tcphdr *th;
	struct iphdr *iph;
	struct rtable *rt;

	if (skb_ensure_writable(skb, thoff + sizeof(*th)))
		return NF_DROP;
	iph = ip_hdr(skb);
	if (iph->ttl <= 1)
		return NF_DROP;
	fl4.daddr = via;
	fl4.flowi4_mark = skb->mark;
	fl4.flowi4_tos = RT_TOS(iph->tos);
	fl4.flowi4_proto = IPPROTO_TCP;
	fl4.flowi4_scope = RT_SCOPE_UNIVERSE;
	rt = ip_route_output_key(net, &fl4);
	if (IS_ERR(rt))
		return NF_DROP;
	if (rt->rt_type != RTN_UNICAST) {
		ip_rt_put(rt);
		return NF_DROP;
	}
	th = (struct tcphdr *)(skb->data + thoff);
	inet_proto_csum_replace4(&th->check, skb, iph->daddr, via, true);
	iph->daddr = via;
	iph->ttl--;		/* ip_local_out() redoes the header checksum */
	xt_sockmi_hand_on(skb, &rt->dst);
	ip_local_out(net, NULL, skb);
	return NF_STOLEN;
}

/* ANSWER_AS, IPv4: delivered here, to the socket that has @laddr. */
static unsigned int xt_sockmi_answer4(struct sk_buff *skb, unsigned int thoff,
				      __be32 laddr)
{
	struct tcphdr *th;
	struct iphdr *iph;

	if (skb_ensure_writable(skb, thoff + sizeof(*th)))
		return NF_DROP;
	iph = ip_hdr(skb);
	skb_dst_drop(skb);
	if (ip_route_input_noref(skb, iph->daddr, iph->saddr, iph->tos,
				 skb->dev) ||
	    skb_rtable(skb)->rt_type != RTN_LOCAL)
		return NF_DROP;
	th = (struct tcphdr *)(skb->data + thoff);
	inet_proto_csum_replace4(&th->check, skb, iph->daddr, laddr, true);
	csum_replace4(&iph->check, iph->daddr, laddr);
	iph->daddr = laddr;
	return XT_CONTINUE;
}

static unsigned int xt_sockmi_tg4(struct sk_buff *skb,
				  const struct xt_action_param *par,
				  const struct xt_sockmi_tginfo1 *info)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(xt_net(par));
	const struct iphdr *iph = ip_hdr(skb);
	struct xt_sockmi_key k = { };
	struct xt_sockmi_flow *f;
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int thoff;

	if (likely(!READ_ONCE(xn->nr_flows)))
		return XT_CONTINUE;
	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return XT_CONTINUE;
	thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th)
		return XT_CONTINUE;
	ipv6_addr_set_v4mapped(iph->daddr, &k.laddr);
	ipv6_addr_set_v4mapped(iph->saddr, &k.raddr);
	k.lport = th->dest;
	k.rport = th->source;
	f = xt_sockmi_lookup(xn, &k, skb);
	if (!f)
		return XT_CONTINUE;
	xt_sockmi_mark(skb, info);
	switch (f->action) {
	case SOCKMI_FLOW_REDIRECT:
		return xt_sockmi_redirect4(xt_net(par), skb, thoff,
					   f->via.s6_addr32[3]);
	case SOCKMI_FLOW_ANSWER_AS:
		return xt_sockmi_answer4(skb, thoff, f->tuple.laddr.s6_addr32[3]);
	default:
		return XT_CONTINUE;
	}
}

static unsigned int xt_sockmi_tg4_v0(struct sk_buff *skb,
				     const struct xt_action_param *par)
{
	return xt_sockmi_tg4(skb, par, NULL);
}

static unsigned int xt_sockmi_tg4_v1(struct sk_buff *skb,
				     const struct xt_action_param *par)
{
	return xt_sockmi_tg4(skb, par, par->targinfo);
}

/* What this host's stack sends for a flow it redirects is never wanted. */
static unsigned int xt_sockmi_out(struct net *net, const struct xt_sockmi_key *k,
				  const struct sk_buff *skb)
{
	struct xt_sockmi_flow *f;

	f = xt_sockmi_lookup(xt_sockmi_pernet(net), k, skb);
	return f && f->action == SOCKMI_FLOW_REDIRECT ? NF_DROP : NF_ACCEPT;
}

static unsigned int xt_sockmi_out4(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(state->net);
	const struct iphdr *iph = ip_hdr(skb);
	struct xt_sockmi_key k = { };
	const struct tcphdr *th;
	struct tcphdr _th;

	if (likely(!READ_ONCE(xn->nr_flows)))
		return NF_ACCEPT;
	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return NF_ACCEPT;
	th = skb_header_pointer(skb, skb_network_offset(skb) + ip_hdrlen(skb),
				sizeof(_th), &_th);
	if (!th)
		return NF_ACCEPT;
	ipv6_addr_set_v4mapped(iph->saddr, &k.laddr);
	ipv6_addr_set_v4mapped(iph->daddr, &k.raddr);
	k.lport = th->source;
	k.rport = th->dest;
	return xt_sockmi_out(state->net, &k, skb);
}

#if IS_ENABLED(CONFIG_IPV6)
/* The TCP header of an unfragmented IPv6 packet, and its offset. */
static const struct tcphdr *xt_sockmi_tcp6(const struct sk_buff *skb,
					   struct tcphdr *buf,
					   unsigned int *thoff)
{
	unsigned short fragoff;

	*thoff = 0;
	if (ipv6_find_hdr(skb, thoff, IPPROTO_TCP, &fragoff, NULL) !=
	    IPPROTO_TCP || fragoff)
		return NULL;
	return skb_header_pointer(skb, *thoff, sizeof(*buf), buf);
}

static unsigned int xt_sockmi_redirect6(struct net *net, struct sk_buff *skb,
					unsigned int thoff,
					const struct in6_addr *via)
{
	struct flowi6 fl6 = { };
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct tcphdr *th;

	if (skb_ensure_writable(skb, thoff + sizeof(*th)))
		return NF_DROP;
	ip6h = ipv6_hdr(skb);
	if (ip6h->hop_limit <= 1)
		return NF_DROP;
	fl6.daddr = *via;
	fl6.flowlabel = ip6_flowinfo(ip6h);
	fl6.flowi6_mark = skb->mark;
	fl6.flowi6_proto = IPPROTO_TCP;
	dst = ip6_route_output(net, NULL, &fl6);
	if (dst->error || (((struct rt6_info *)dst)->rt6i_flags & RTF_LOCAL)) {
		dst_release(dst);
		return NF_DROP;
	}
	th = (struct tcphdr *)(skb->data + thoff);
	inet_proto_csum_replace16(&th->check, skb, ip6h->daddr.s6_addr32,
				  via->s6_addr32, true);
	ip6h->daddr = *via;
	ip6h->hop_limit--;
	xt_sockmi_hand_on(skb, dst);
	ip6_local_out(net, NULL, skb);
	return NF_STOLEN;
}

static unsigned int xt_sockmi_answer6(struct net *net, struct sk_buff *skb,
				      unsigned int thoff,
				      const struct in6_addr *laddr)
{
	struct dst_entry *dst;
	struct ipv6hdr *ip6h;
	struct flowi6 fl6;
	struct tcphdr *th;

	if (skb_ensure_writable(skb, thoff + sizeof(*th)))
		return NF_DROP;
	ip6h = ipv6_hdr(skb);
	fl6 = (struct flowi6) {
		.flowi6_iif = skb->dev->ifindex,
		.daddr = ip6h->daddr,
		.saddr = ip6h->saddr,
		.flowlabel = ip6_flowinfo(ip6h),
		.flowi6_mark = skb->mark,
		.flowi6_proto = IPPROTO_TCP,
	};
	dst = ip6_route_input_lookup(net, skb->dev, &fl6, skb,
				     RT6_LOOKUP_F_HAS_SADDR);
	if (dst->error || !(((struct rt6_info *)dst)->rt6i_flags & RTF_LOCAL)) {
		dst_release(dst);
		return NF_DROP;
	}
	skb_dst_drop(skb);
	skb_dst_set(skb, dst);
	th = (struct tcphdr *)(skb->data + thoff);
	inet_proto_csum_replace16(&th->check, skb, ip6h->daddr.s6_addr32,
				  laddr->s6_addr32, true);
	ip6h->daddr = *laddr;
	return XT_CONTINUE;
}

static unsigned int xt_sockmi_tg6(struct sk_buff *skb,
				  const struct xt_action_param *par,
				  const struct xt_sockmi_tginfo1 *info)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(xt_net(par));
	struct xt_sockmi_key k = { };
	const struct ipv6hdr *ip6h;
	struct xt_sockmi_flow *f;
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int thoff;

	if (likely(!READ_ONCE(xn->nr_flows)))
		return XT_CONTINUE;
	th = xt_sockmi_tcp6(skb, &_th, &thoff);
	if (!th)
		return XT_CONTINUE;
	ip6h = ipv6_hdr(skb);
	k.laddr = ip6h->daddr;
	k.raddr = ip6h->saddr;
	k.lport = th->dest;
	k.rport = th->source;
	f = xt_sockmi_lookup(xn, &k, skb);
	if (!f)
		return XT_CONTINUE;
	xt_sockmi_mark(skb, info);
	switch (f->action) {
	case SOCKMI_FLOW_REDIRECT:
		return xt_sockmi_redirect6(xt_net(par), skb, thoff, &f->via);
	case SOCKMI_FLOW_ANSWER_AS:
		return xt_sockmi_answer6(xt_net(par), skb, thoff,
					 &f->tuple.laddr);
	default:
		return XT_CONTINUE;
	}
}

static unsigned int xt_sockmi_tg6_v0(struct sk_buff *skb,
				     const struct xt_action_param *par)
{
	return xt_sockmi_tg6(skb, par, NULL);
}

static unsigned int xt_sockmi_tg6_v1(struct sk_buff *skb,
				     const struct xt_action_param *par)
{
	return xt_sockmi_tg6(skb, par, par->targinfo);
}

static unsigned int xt_sockmi_out6(void *priv, struct sk_buff *skb,
				   const struct nf_hook_state *state)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(state->net);
	struct xt_sockmi_key k = { };
	const struct ipv6hdr *ip6h;
	const struct tcphdr *th;
	struct tcphdr _th;
	unsigned int thoff;

	if (likely(!READ_ONCE(xn->nr_flows)))
		return NF_ACCEPT;
	th = xt_sockmi_tcp6(skb, &_th, &thoff);
	if (!th)
		return NF_ACCEPT;
	ip6h = ipv6_hdr(skb);
	k.laddr = ip6h->saddr;
	k.raddr = ip6h->daddr;
	k.lport = th->source;
	k.rport = th->dest;
	return xt_sockmi_out(state->net, &k, skb);
}
#endif /* CONFIG_IPV6 */

/* Before conntrack, like sockmi.ko's holds. */
static const struct nf_hook_ops xt_sockmi_out_ops[] = {
	{
		.hook = xt_sockmi_out4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	},
#if IS_ENABLED(CONFIG_IPV6)
	{
		.hook = xt_sockmi_out6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	},
#endif
};

static int xt_sockmi_check(const struct xt_tgchk_param *par, u32 flags,
			   u32 known)
{
	if (flags & ~known) {
		pr_info_ratelimited("unknown flags 0x%x\n", flags & ~known);
		return -EINVAL;
	}
	atomic_inc(&xt_sockmi_pernet(par->net)->rules[par->family ==
						       NFPROTO_IPV6]);
	return 0;
}

static int xt_sockmi_check_v0(const struct xt_tgchk_param *par)
{
	const struct xt_sockmi_tginfo *info = par->targinfo;

	return xt_sockmi_check(par, info->flags, __XT_SOCKMI_F_ALL);
}

static int xt_sockmi_check_v1(const struct xt_tgchk_param *par)
{
	const struct xt_sockmi_tginfo1 *info = par->targinfo;

	if (!(info->flags & XT_SOCKMI_F_SET_MARK) && (info->mark || info->mask)) {
		pr_info_ratelimited("mark given without XT_SOCKMI_F_SET_MARK\n");
		return -EINVAL;
	}
	return xt_sockmi_check(par, info->flags, __XT_SOCKMI_F1_ALL);
}

static void xt_sockmi_destroy(const struct xt_tgdtor_param *par)
{
	atomic_dec(&xt_sockmi_pernet(par->net)->rules[par->family ==
						       NFPROTO_IPV6]);
}

#define XT_SOCKMI_TARGET(_family, _rev, _fn, _check, _info) {		\
	.name = "SOCKMI",						\
	.revision = (_rev),						\
	.family = (_family),						\
	.table = "raw",							\
	.hooks = 1 << NF_INET_PRE_ROUTING,				\
	.target = (_fn),						\
	.targetsize = sizeof(_info),					\
	.checkentry = (_check),						\
	.destroy = xt_sockmi_destroy,					\
	.me = THIS_MODULE,						\
}

static struct xt_target xt_sockmi_tg_reg[] __read_mostly = {
	XT_SOCKMI_TARGET(NFPROTO_IPV4, 0, xt_sockmi_tg4_v0, xt_sockmi_check_v0,
			 struct xt_sockmi_tginfo),
	XT_SOCKMI_TARGET(NFPROTO_IPV4, 1, xt_sockmi_tg4_v1, xt_sockmi_check_v1,
			 struct xt_sockmi_tginfo1),
#if IS_ENABLED(CONFIG_IP6_NF_IPTABLES)
	XT_SOCKMI_TARGET(NFPROTO_IPV6, 0, xt_sockmi_tg6_v0, xt_sockmi_check_v0,
			 struct xt_sockmi_tginfo),
	XT_SOCKMI_TARGET(NFPROTO_IPV6, 1, xt_sockmi_tg6_v1, xt_sockmi_check_v1,
			 struct xt_sockmi_tginfo1),
#endif
};

static int __net_init xt_sockmi_net_init(struct net *net)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(net);
	int ret;

	mutex_init(&xn->lock);
	INIT_LIST_HEAD(&xn->flows);
	xn->generation = 1;
	ret = rhashtable_init(&xn->by_tuple, &xt_sockmi_tuple_params);
	if (ret)
		return ret;
	ret = rhashtable_init(&xn->by_key, &xt_sockmi_key_params);
	if (ret)
		goto err_by_tuple;
	ret = nf_register_net_hooks(net, xt_sockmi_out_ops,
				    ARRAY_SIZE(xt_sockmi_out_ops));
	if (ret)
		goto err_by_key;
	return 0;

err_by_key:
	rhashtable_destroy(&xn->by_key);
err_by_tuple:
	rhashtable_destroy(&xn->by_tuple);
	return ret;
}

static void xt_sockmi_free_flow(void *ptr, void *arg)
{
	struct xt_sockmi_flow *f = ptr;

	kfree_rcu(f, rcu);
}

static void __net_exit xt_sockmi_net_exit(struct net *net)
{
	struct xt_sockmi_net *xn = xt_sockmi_pernet(net);

	nf_unregister_net_hooks(net, xt_sockmi_out_ops,
				ARRAY_SIZE(xt_sockmi_out_ops));
	rhashtable_free_and_destroy(&xn->by_key, NULL, NULL);
	rhashtable_free_and_destroy(&xn->by_tuple, xt_sockmi_free_flow, NULL);
	mutex_destroy(&xn->lock);
}

static struct pernet_operations xt_sockmi_net_ops = {
	.init = xt_sockmi_net_init,
	.exit = xt_sockmi_net_exit,
	.id = &xt_sockmi_net_id,
	.size = sizeof(struct xt_sockmi_net),
};

static int __init xt_sockmi_init(void)
{
	int ret;

	ret = register_pernet_subsys(&xt_sockmi_net_ops);
	if (ret)
		return ret;
	ret = sockmi_set_flow_ops(&xt_sockmi_flow_ops);
	if (ret)
		goto err_pernet;
	ret = xt_register_targets(xt_sockmi_tg_reg,
				  ARRAY_SIZE(xt_sockmi_tg_reg));
	if (ret)
		goto err_flow_ops;
	return 0;

err_flow_ops:
	sockmi_set_flow_ops(NULL);
err_pernet:
	unregister_pernet_subsys(&xt_sockmi_net_ops);
	return ret;
}

static void __exit xt_sockmi_exit(void)
{
	xt_unregister_targets(xt_sockmi_tg_reg, ARRAY_SIZE(xt_sockmi_tg_reg));
	sockmi_set_flow_ops(NULL);
	unregister_pernet_subsys(&xt_sockmi_net_ops);
}

module_init(xt_sockmi_init);
module_exit(xt_sockmi_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xtables: redirect migrated TCP flows (SockMi)");
MODULE_AUTHOR("The SockMi developers");
MODULE_ALIAS("ipt_SOCKMI");
MODULE_ALIAS("ip6t_SOCKMI");
