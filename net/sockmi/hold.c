// SPDX-License-Identifier: GPL-2.0
/*
 * Holds: TCP flows whose packets this namespace drops, in both directions,
 * before conntrack sees them. A socket being exported is held from the
 * instant it is frozen, so it neither receives nor sends anything; a socket
 * staged but not yet active is held the same way. After a commit the hold
 * stays until the redirection takes over (SOCKMI_CMD_DEL_FLOW), so the old
 * host can never answer the peer with a RST.
 *
 * A listening socket's hold has no remote end: it matches every packet of
 * its local address (or any address, for a wildcard listener) and port,
 * except those of an established socket that is not frozen, which the
 * established hash table finds: the listener's other connections keep
 * going while its handshakes and its frozen accept queue are held.
 */

#include <linux/jhash.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <net/inet6_hashtables.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "sockmi.h"

struct sockmi_hold {
	struct hlist_node node;
	struct sockmi_tuple tuple;
	atomic64_t packets;
	struct rcu_head rcu;
};

static u32 sockmi_tuple_hash(const struct sockmi_tuple *t)
{
	u32 ports = (__force u32)t->lport << 16 | (__force u32)t->rport;

	return jhash_3words(ipv6_addr_hash(&t->laddr), ipv6_addr_hash(&t->raddr),
			    ports, 0) & (SOCKMI_HOLD_BUCKETS - 1);
}

static bool sockmi_tuple_eq(const struct sockmi_tuple *a,
			    const struct sockmi_tuple *b)
{
	return a->lport == b->lport && a->rport == b->rport &&
	       ipv6_addr_equal(&a->laddr, &b->laddr) &&
	       ipv6_addr_equal(&a->raddr, &b->raddr);
}

static struct sockmi_hold *sockmi_hold_find(struct sockmi_net *sn,
					    const struct sockmi_tuple *t)
{
	struct sockmi_hold *h;

	hlist_for_each_entry_rcu(h, &sn->holds[sockmi_tuple_hash(t)], node,
				 lockdep_is_held(&sn->hold_lock))
		if (sockmi_tuple_eq(&h->tuple, t))
			return h;
	return NULL;
}

/**
 * sockmi_hold_add - start dropping a flow's packets
 * @sn: the namespace
 * @t: the flow, from this host's point of view
 *
 * Returns -EEXIST when the flow is held already.
 */
int sockmi_hold_add(struct sockmi_net *sn, const struct sockmi_tuple *t)
{
	struct sockmi_hold *h;
	int ret = 0;

	h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);
	if (!h)
		return -ENOMEM;
	h->tuple = *t;

	spin_lock_bh(&sn->hold_lock);
	if (sockmi_hold_find(sn, t)) {
		ret = -EEXIST;
	} else {
		hlist_add_head_rcu(&h->node, &sn->holds[sockmi_tuple_hash(t)]);
		if (!t->rport)
			atomic_inc(&sn->nr_wild);
		atomic_inc(&sn->nr_holds);
	}
	spin_unlock_bh(&sn->hold_lock);

	if (ret)
		kfree(h);
	return ret;
}
EXPORT_SYMBOL_GPL(sockmi_hold_add);

/**
 * sockmi_hold_del - stop dropping a flow's packets
 * @sn: the namespace
 * @t: the flow
 *
 * Returns -ENOENT when the flow was not held.
 */
int sockmi_hold_del(struct sockmi_net *sn, const struct sockmi_tuple *t)
{
	struct sockmi_hold *h;

	spin_lock_bh(&sn->hold_lock);
	h = sockmi_hold_find(sn, t);
	if (h) {
		hlist_del_rcu(&h->node);
		if (!h->tuple.rport)
			atomic_dec(&sn->nr_wild);
		atomic_dec(&sn->nr_holds);
	}
	spin_unlock_bh(&sn->hold_lock);

	if (!h)
		return -ENOENT;
	kfree_rcu(h, rcu);
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_hold_del);

/**
 * sockmi_hold_walk - call @fn for each hold, under RCU, from @skip on
 * @sn: the namespace
 * @skip: number of holds to pass over first (a dump cursor)
 * @fn: returns non-zero to stop; its count of dropped packets is given
 * @arg: passed to @fn
 *
 * Returns the number of holds visited, including the skipped ones.
 */
unsigned long sockmi_hold_walk(struct sockmi_net *sn, unsigned long skip,
			       int (*fn)(const struct sockmi_tuple *t,
					 u64 packets, void *arg),
			       void *arg)
{
	struct sockmi_hold *h;
	unsigned long n = 0;
	int i;

	rcu_read_lock();
	for (i = 0; i < SOCKMI_HOLD_BUCKETS; i++) {
		hlist_for_each_entry_rcu(h, &sn->holds[i], node) {
			if (n >= skip &&
			    fn(&h->tuple, atomic64_read(&h->packets), arg))
				goto out;
			n++;
		}
	}
out:
	rcu_read_unlock();
	return n;
}
EXPORT_SYMBOL_GPL(sockmi_hold_walk);

static void sockmi_hold_flush(struct sockmi_net *sn)
{
	struct sockmi_hold *h;
	struct hlist_node *tmp;
	int i;

	spin_lock_bh(&sn->hold_lock);
	for (i = 0; i < SOCKMI_HOLD_BUCKETS; i++) {
		hlist_for_each_entry_safe(h, tmp, &sn->holds[i], node) {
			hlist_del_rcu(&h->node);
			if (!h->tuple.rport)
				atomic_dec(&sn->nr_wild);
			atomic_dec(&sn->nr_holds);
			kfree_rcu(h, rcu);
		}
	}
	spin_unlock_bh(&sn->hold_lock);
}

/* Fill @t from the TCP header at @thoff; @in: the packet comes from the peer. */
static bool sockmi_hold_ports(const struct sk_buff *skb, unsigned int thoff,
			      bool in, struct sockmi_tuple *t)
{
	struct tcphdr _th;
	const struct tcphdr *th;

	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th)
		return false;
	t->lport = in ? th->dest : th->source;
	t->rport = in ? th->source : th->dest;
	return true;
}

/* The packet belongs to an established (or TIME_WAIT) socket that is not
 * frozen; @t is the packet's tuple, @dif its device.
 */
static bool sockmi_hold_other_conn(struct net *net,
				   const struct sockmi_tuple *t, int dif)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	struct sock *sk;
	bool pass;

	if (ipv6_addr_v4mapped(&t->laddr))
		sk = __inet_lookup_established(net, hinfo, t->raddr.s6_addr32[3],
					       t->rport, t->laddr.s6_addr32[3],
					       ntohs(t->lport), dif, 0);
#if IS_ENABLED(CONFIG_IPV6)
	else
		sk = __inet6_lookup_established(net, hinfo, &t->raddr, t->rport,
						&t->laddr, ntohs(t->lport),
						dif, 0);
#else
	else
		sk = NULL;
#endif
	if (!sk)
		return false;
	if (sk->sk_state == TCP_TIME_WAIT)
		pass = true;
	else if (sk->sk_state == TCP_NEW_SYN_RECV)
		pass = false;	/* a handshake of the held listener */
	else
		pass = !tcp_sk(sk)->repair;
	sock_gen_put(sk);
	return pass;
}

/* The hold of a listening socket that covers @t, if any. */
static struct sockmi_hold *sockmi_hold_find_wild(struct sockmi_net *sn,
						 const struct sockmi_tuple *t)
{
	struct sockmi_tuple w = { .lport = t->lport, .laddr = t->laddr };
	struct sockmi_hold *h;

	h = sockmi_hold_find(sn, &w);
	if (h)
		return h;
	/* A wildcard listener: 0.0.0.0, or :: (which takes IPv4 too). */
	if (ipv6_addr_v4mapped(&t->laddr)) {
		ipv6_addr_set_v4mapped(0, &w.laddr);
		h = sockmi_hold_find(sn, &w);
		if (h)
			return h;
	}
	w.laddr = in6addr_any;
	return sockmi_hold_find(sn, &w);
}

static unsigned int sockmi_hold_verdict(struct sockmi_net *sn,
					const struct sockmi_tuple *t,
					const struct nf_hook_state *state)
{
	const struct net_device *dev = state->in ?: state->out;
	struct sockmi_hold *h;
	unsigned int verdict = NF_ACCEPT;

	rcu_read_lock();
	h = sockmi_hold_find(sn, t);
	if (!h && atomic_read(&sn->nr_wild)) {
		h = sockmi_hold_find_wild(sn, t);
		if (h && sockmi_hold_other_conn(state->net, t,
						dev ? dev->ifindex : 0))
			h = NULL;
	}
	if (h) {
		atomic64_inc(&h->packets);
		verdict = NF_DROP;
	}
	rcu_read_unlock();
	return verdict;
}

static unsigned int sockmi_hold_ipv4(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct sockmi_net *sn = sockmi_net(state->net);
	bool in = state->hook == NF_INET_PRE_ROUTING;
	struct sockmi_tuple t = { .family = AF_INET };
	const struct iphdr *iph;

	if (likely(!atomic_read(&sn->nr_holds)))
		return NF_ACCEPT;
	iph = ip_hdr(skb);
	if (iph->protocol != IPPROTO_TCP || ip_is_fragment(iph))
		return NF_ACCEPT;
	if (!sockmi_hold_ports(skb, ip_hdrlen(skb), in, &t))
		return NF_ACCEPT;
	ipv6_addr_set_v4mapped(in ? iph->daddr : iph->saddr, &t.laddr);
	ipv6_addr_set_v4mapped(in ? iph->saddr : iph->daddr, &t.raddr);
	return sockmi_hold_verdict(sn, &t, state);
}

static unsigned int sockmi_hold_ipv6(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	struct sockmi_net *sn = sockmi_net(state->net);
	bool in = state->hook == NF_INET_PRE_ROUTING;
	struct sockmi_tuple t = { .family = AF_INET6 };
	const struct ipv6hdr *ip6h;
	__be16 frag_off;
	u8 nexthdr;
	int thoff;

	if (likely(!atomic_read(&sn->nr_holds)))
		return NF_ACCEPT;
	ip6h = ipv6_hdr(skb);
	nexthdr = ip6h->nexthdr;
	thoff = ipv6_skip_exthdr(skb, sizeof(*ip6h), &nexthdr, &frag_off);
	if (thoff < 0 || nexthdr != IPPROTO_TCP || (frag_off & htons(~0x7)))
		return NF_ACCEPT;
	if (!sockmi_hold_ports(skb, thoff, in, &t))
		return NF_ACCEPT;
	t.laddr = in ? ip6h->daddr : ip6h->saddr;
	t.raddr = in ? ip6h->saddr : ip6h->daddr;
	return sockmi_hold_verdict(sn, &t, state);
}

/* Before conntrack, after defragmentation. */
static const struct nf_hook_ops sockmi_hold_ops[] = {
	{
		.hook = sockmi_hold_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook = sockmi_hold_ipv4,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_CONNTRACK - 1,
	},
	{
		.hook = sockmi_hold_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	},
	{
		.hook = sockmi_hold_ipv6,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_CONNTRACK - 1,
	},
};

int sockmi_hold_init(struct sockmi_net *sn)
{
	spin_lock_init(&sn->hold_lock);
	return nf_register_net_hooks(sn->net, sockmi_hold_ops,
				     ARRAY_SIZE(sockmi_hold_ops));
}

void sockmi_hold_exit(struct sockmi_net *sn)
{
	nf_unregister_net_hooks(sn->net, sockmi_hold_ops,
				ARRAY_SIZE(sockmi_hold_ops));
	sockmi_hold_flush(sn);
}
