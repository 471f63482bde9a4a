// SPDX-License-Identifier: GPL-2.0
/*
 * Restore: rebuild a TCP socket from a checkpoint with the kernel's own
 * TCP_REPAIR machinery (the same calls CRIU makes from user space), then
 * carry over what that machinery leaves out: the MSS for the route, RTT
 * estimate and RTO, congestion window, and the peer's last timestamp.
 */

#include <linux/memcontrol.h>
#include <linux/net.h>
#include <linux/uio.h>
#include <net/inet6_hashtables.h>
#include <net/inet_connection_sock.h>
#include <net/inet_hashtables.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "checkpoint.h"
#include "compat.h"
#include "state.h"

/* Repair-mode queue refills go in pieces an skb can hold. */
#define SOCKMI_FILL_CHUNK (64 * 1024)

static int sockmi_setopt(struct socket *sock, int level, int name, int val)
{
	if (level == SOL_SOCKET)
		return sock_setsockopt(sock, level, name, KERNEL_SOCKPTR(&val),
				       sizeof(val));
	return sock->ops->setsockopt(sock, level, name, KERNEL_SOCKPTR(&val),
				     sizeof(val));
}

/* A buffer size the owner set, as it was: the FORCE option when the caller
 * may use it (an owner that forced its size past net.core.[rw]mem_max gets
 * it back), else the plain one, capped as it would cap the caller's own.
 */
static int sockmi_setopt_bufsize(struct socket *sock, bool snd, int val)
{
	int ret = sockmi_setopt(sock, SOL_SOCKET,
				snd ? SO_SNDBUFFORCE : SO_RCVBUFFORCE, val);

	if (ret == -EPERM)
		ret = sockmi_setopt(sock, SOL_SOCKET,
				    snd ? SO_SNDBUF : SO_RCVBUF, val);
	return ret;
}

static int sockmi_setopt_buf(struct socket *sock, int level, int name,
			     void *buf, unsigned int len)
{
	return sock->ops->setsockopt(sock, level, name, KERNEL_SOCKPTR(buf),
				     len);
}

static int sockmi_sockaddr(const struct sockmi_tuple *t, bool local,
			   struct sockaddr_storage *ss)
{
	const struct in6_addr *a = local ? &t->laddr : &t->raddr;
	__be16 port = local ? t->lport : t->rport;
	struct sockaddr_in6 *sin6;

	memset(ss, 0, sizeof(*ss));
	if (t->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = port;
		sin->sin_addr.s_addr = a->s6_addr32[3];
		return sizeof(*sin);
	}
	sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = port;
	sin6->sin6_addr = *a;
	return sizeof(*sin6);
}

/* Write @len bytes with sendmsg(); in repair mode they fill a queue. */
static int sockmi_send_bytes(struct socket *sock, const u8 *buf, u32 len)
{
	while (len) {
		struct kvec vec = {
			.iov_base = (void *)buf,
			.iov_len = min_t(u32, len, SOCKMI_FILL_CHUNK),
		};
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		int ret;

		ret = kernel_sendmsg(sock, &msg, &vec, 1, vec.iov_len);
		if (ret < 0)
			return ret;
		if (!ret)
			return -ENOBUFS;
		buf += ret;
		len -= ret;
	}
	return 0;
}

/* Before the queues are refilled: segments sized for this route (a repair
 * connect() leaves the MSS of an unknown path), and room for whole queues
 * whatever the buffer defaults of this host.
 */
static void sockmi_prepare_fill(struct sock *sk, const struct sockmi_state *st)
{
	int recv = 2 * (st->len[SOCKMI_QUEUE_RECV] + st->len[SOCKMI_QUEUE_OFO]) +
		   SOCKMI_FILL_CHUNK;
	int send = 2 * st->len[SOCKMI_QUEUE_SEND] + SOCKMI_FILL_CHUNK;
	struct dst_entry *dst;

	lock_sock(sk);
	dst = __sk_dst_get(sk);
	if (dst)
		sockmi_tcp_sync_mss(sk, dst_mtu(dst));
	sockmi_tcp_init_rcv_mss(sk);
	if (sk->sk_rcvbuf < recv)
		WRITE_ONCE(sk->sk_rcvbuf, recv);
	if (sk->sk_sndbuf < send)
		WRITE_ONCE(sk->sk_sndbuf, send);
	release_sock(sk);
}

static int sockmi_restore_options(struct socket *sock,
				  const struct sockmi_state *st)
{
	struct tcp_repair_opt opts[4];
	int n = 0;

	opts[n].opt_code = TCPOPT_MSS;
	opts[n++].opt_val = st->mss;
	if (st->options & SOCKMI_TCPOPT_WSCALE) {
		opts[n].opt_code = TCPOPT_WINDOW;
		opts[n++].opt_val = st->snd_wscale | st->rcv_wscale << 16;
	}
	if (st->options & SOCKMI_TCPOPT_SACK) {
		opts[n].opt_code = TCPOPT_SACK_PERM;
		opts[n++].opt_val = 0;
	}
	if (st->options & SOCKMI_TCPOPT_TIMESTAMP) {
		opts[n].opt_code = TCPOPT_TIMESTAMP;
		opts[n++].opt_val = 0;
	}
	return sockmi_setopt_buf(sock, SOL_TCP, TCP_REPAIR_OPTIONS, opts,
				 n * sizeof(opts[0]));
}

/* Options that shape routing and buffers: before connect(). */
static int sockmi_restore_early_opts(struct socket *sock,
				     const struct sockmi_state *st)
{
	const struct sockmi_sockopts *o = &st->opts;
	int ret = 0;

	/* The local address need not be ours (yet): the importer may take it
	 * over later, or answer as the exporter. Transparent sockets may bind
	 * and route from any address.
	 */
	if (st->tuple.family == AF_INET6) {
		ret = sockmi_setopt(sock, SOL_IPV6, IPV6_V6ONLY, st->v6only);
		ret = ret ?: sockmi_setopt(sock, SOL_IPV6, IPV6_TRANSPARENT, 1);
	} else {
		ret = sockmi_setopt(sock, SOL_IP, IP_TRANSPARENT, 1);
	}
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_MARK)))
		ret = sockmi_setopt(sock, SOL_SOCKET, SO_MARK, o->mark);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_PRIORITY)))
		ret = sockmi_setopt(sock, SOL_SOCKET, SO_PRIORITY, o->priority);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_TOS)))
		ret = st->tuple.family == AF_INET6 ?
		      sockmi_setopt(sock, SOL_IPV6, IPV6_TCLASS, o->tos) :
		      sockmi_setopt(sock, SOL_IP, IP_TOS, o->tos);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_RCVBUF)))
		ret = sockmi_setopt_bufsize(sock, false, o->rcvbuf);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_SNDBUF)))
		ret = sockmi_setopt_bufsize(sock, true, o->sndbuf);
	return ret;
}

/* Options that need an established socket, or that repair mode resets. */
static int sockmi_restore_late_opts(struct socket *sock,
				    const struct sockmi_state *st)
{
	const struct sockmi_sockopts *o = &st->opts;
	int ret = 0;

	if (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPIDLE))
		ret = sockmi_setopt(sock, SOL_TCP, TCP_KEEPIDLE, o->keepidle);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPINTVL)))
		ret = sockmi_setopt(sock, SOL_TCP, TCP_KEEPINTVL, o->keepintvl);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPCNT)))
		ret = sockmi_setopt(sock, SOL_TCP, TCP_KEEPCNT, o->keepcnt);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_NODELAY)))
		ret = sockmi_setopt(sock, SOL_TCP, TCP_NODELAY, 1);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_USER_TIMEOUT)))
		ret = sockmi_setopt(sock, SOL_TCP, TCP_USER_TIMEOUT,
				    o->user_timeout);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_MAXSEG)))
		ret = sockmi_setopt(sock, SOL_TCP, TCP_MAXSEG, o->maxseg);
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_LINGER))) {
		struct linger l = { .l_onoff = 1, .l_linger = o->linger };

		ret = sock_setsockopt(sock, SOL_SOCKET, SO_LINGER,
				      KERNEL_SOCKPTR(&l), sizeof(l));
	}
	if (!ret && (o->present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_CONGESTION))) {
		char name[TCP_CA_NAME_MAX];

		strscpy(name, o->congestion, sizeof(name));
		/* Not every host has every algorithm: keep the default. */
		if (sockmi_setopt_buf(sock, SOL_TCP, TCP_CONGESTION, name,
				      strlen(name)))
			net_info_ratelimited("sockmi: congestion control %s unavailable, using the default\n",
					     name);
	}
	return ret;
}

/* The peer's FIN: what tcp_fin() does on arrival, and what tcp_recvmsg()
 * does once the reader got end of file.
 */
static void sockmi_peer_fin(struct sock *sk, const struct sockmi_state *st,
			    int new_state)
{
	struct tcp_sock *tp = tcp_sk(sk);

	lock_sock(sk);
	WRITE_ONCE(tp->rcv_nxt, tp->rcv_nxt + 1);
	if (st->copied_seq == st->rcv_nxt)
		WRITE_ONCE(tp->copied_seq, tp->rcv_nxt);
	WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | RCV_SHUTDOWN);
	sock_set_flag(sk, SOCK_DONE);
	tcp_set_state(sk, new_state);
	release_sock(sk);
}

/* Bring the rebuilt connection to its half-closed state. Our FIN, when it
 * went out, is "sent" in repair mode like the data before it; an unsent FIN
 * follows the unsent bytes at activation.
 */
static int sockmi_restore_fins(struct socket *sock,
			       const struct sockmi_state *st)
{
	struct sock *sk = sock->sk;
	int ret = 0;

	switch (st->tcp_state) {
	case TCP_CLOSE_WAIT:
		sockmi_peer_fin(sk, st, TCP_CLOSE_WAIT);
		break;
	case TCP_LAST_ACK:
		sockmi_peer_fin(sk, st, TCP_CLOSE_WAIT);
		fallthrough;
	case TCP_FIN_WAIT1:
		if (sockmi_fin_sent(st)) {
			ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
					    TCP_SEND_QUEUE);
			ret = ret ?: kernel_sock_shutdown(sock, SHUT_WR);
		}
		break;
	case TCP_CLOSING:
		if (sockmi_fin_sent(st)) {
			ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
					    TCP_SEND_QUEUE);
			ret = ret ?: kernel_sock_shutdown(sock, SHUT_WR);
			if (!ret)
				sockmi_peer_fin(sk, st, TCP_CLOSING);
		} else {
			sockmi_peer_fin(sk, st, TCP_CLOSE_WAIT);
		}
		break;
	case TCP_FIN_WAIT2:
		/* Our FIN was acknowledged: write_seq already counts it. */
		lock_sock(sk);
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
		tcp_set_state(sk, TCP_FIN_WAIT2);
		release_sock(sk);
		break;
	}
	return ret ?: sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				    TCP_NO_QUEUE);
}

/* What the TCP_REPAIR options leave out; after the queues are refilled. */
static void sockmi_restore_tcp(struct sock *sk, const struct sockmi_state *st)
{
	struct inet_connection_sock *icsk = inet_csk(sk);
	struct tcp_sock *tp = tcp_sk(sk);

	lock_sock(sk);
	if (st->srtt_us) {
		tp->srtt_us = st->srtt_us;
		tp->mdev_us = st->mdev_us;
		tp->rttvar_us = max(st->mdev_us, tcp_rto_min_us(sk));
		tp->mdev_max_us = tp->rttvar_us;
	}
	if (st->rto_us)
		icsk->icsk_rto = clamp_t(unsigned long,
					 usecs_to_jiffies(st->rto_us),
					 TCP_RTO_MIN, TCP_RTO_MAX);
	if (st->cwnd)
		tcp_snd_cwnd_set(tp, st->cwnd);
	if (st->ssthresh)
		tp->snd_ssthresh = st->ssthresh;
	if (st->options & SOCKMI_TCPOPT_TIMESTAMP) {
		tp->rx_opt.ts_recent = st->ts_recent;
		tp->rx_opt.ts_recent_stamp = ktime_get_seconds();
	}
	/* Silent until activated: no retransmission, no keepalive. */
	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	release_sock(sk);
}

/* Out-of-order skbs are made in pieces of at most this many bytes. */
#define SOCKMI_OFO_PIECE (16 * 1024)

/* Append one out-of-order skb for [seq, seq + len), plus a FIN, to the
 * out-of-order queue, charged to the socket as a received skb is. It goes
 * last: the pieces come in ascending order.
 */
static int sockmi_ofo_add(struct sock *sk, u32 seq, const u8 *data, u32 len,
			  bool fin)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct sk_buff *skb, *last = tp->ooo_last_skb;
	struct rb_node **link, *parent;

	skb = alloc_skb(len, GFP_KERNEL_ACCOUNT);
	if (!skb)
		return -ENOMEM;
	if (len)
		skb_put_data(skb, data, len);
	if (!sk_rmem_schedule(sk, skb, skb->truesize)) {
		kfree_skb(skb);
		return -ENOBUFS;
	}
	memset(TCP_SKB_CB(skb), 0, sizeof(struct tcp_skb_cb));
	TCP_SKB_CB(skb)->seq = seq;
	TCP_SKB_CB(skb)->end_seq = seq + len + fin;
	TCP_SKB_CB(skb)->tcp_flags = TCPHDR_ACK | (fin ? TCPHDR_FIN : 0);
	skb_set_owner_r(skb, sk);

	if (last) {
		parent = &last->rbnode;
		link = &parent->rb_right;
	} else {
		parent = NULL;
		link = &tp->out_of_order_queue.rb_node;
	}
	rb_link_node(&skb->rbnode, parent, link);
	rb_insert_color(&skb->rbnode, &tp->out_of_order_queue);
	tp->ooo_last_skb = skb;
	return 0;
}

/* Drop what sockmi_ofo_add() queued (skb_rbtree_purge() is not exported). */
static void sockmi_ofo_purge(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);
	struct rb_node *p = rb_first(&tp->out_of_order_queue);
	struct sk_buff *skb;

	while (p) {
		skb = rb_to_skb(p);
		p = rb_next(p);
		rb_erase(&skb->rbnode, &tp->out_of_order_queue);
		kfree_skb(skb);
	}
	tp->ooo_last_skb = NULL;
	sk_mem_reclaim(sk);
}

/* The SACK blocks a receiver with this out-of-order queue reports: the
 * ranges nearest rcv_nxt, which are what the peer needs to fill the holes.
 */
static void sockmi_ofo_sacks(struct tcp_sock *tp, const struct sockmi_state *st)
{
	u32 i, n = min_t(u32, st->nofo, TCP_NUM_SACKS);

	for (i = 0; i < n; i++) {
		tp->selective_acks[i].start_seq = st->ofo[i].seq;
		tp->selective_acks[i].end_seq = st->ofo[i].seq + st->ofo[i].len;
	}
	/* A FIN right after the last block is acknowledged with it. */
	if (n && n == st->nofo && st->ofo_fin &&
	    st->ofo_fin_seq == tp->selective_acks[n - 1].end_seq)
		tp->selective_acks[n - 1].end_seq++;
	tp->rx_opt.num_sacks = n;
	tp->rx_opt.dsack = 0;
}

/* Queue the out-of-order data again, as if just received: the peer's next
 * in-sequence segment brings it into the receive queue, and our ACKs carry
 * it in their SACK blocks, so the peer retransmits only the holes. When
 * memory is short, what does not fit is left out: the peer sends it again.
 */
static void sockmi_restore_ofo(struct sock *sk, const struct sockmi_state *st)
{
	const u8 *data = st->queue[SOCKMI_QUEUE_OFO];
	struct tcp_sock *tp = tcp_sk(sk);
	u32 i, done, piece;
	bool fin;
	int ret = 0;

	if (!st->nofo && !st->ofo_fin)
		return;
	lock_sock(sk);
	for (i = 0; i < st->nofo && !ret; i++) {
		for (done = 0; done < st->ofo[i].len && !ret; done += piece) {
			piece = min_t(u32, st->ofo[i].len - done,
				      SOCKMI_OFO_PIECE);
			fin = i == st->nofo - 1 && done + piece == st->ofo[i].len &&
			      st->ofo_fin &&
			      st->ofo_fin_seq == st->ofo[i].seq + st->ofo[i].len;
			ret = sockmi_ofo_add(sk, st->ofo[i].seq + done, data,
					     piece, fin);
			data += piece;
		}
	}
	/* A FIN apart from the data, or with none. */
	if (!ret && st->ofo_fin &&
	    (!st->nofo || st->ofo_fin_seq !=
	     st->ofo[st->nofo - 1].seq + st->ofo[st->nofo - 1].len))
		ret = sockmi_ofo_add(sk, st->ofo_fin_seq, NULL, 0, true);
	if (ret) {
		/* All or nothing: SACK blocks must not claim a byte we lack. */
		sockmi_ofo_purge(sk);
		net_info_ratelimited("sockmi: out-of-order data left out (%d), the peer will send it again\n",
				     ret);
	} else {
		/* In-sequence data must take the slow path that merges the
		 * queue, as after tcp_data_queue_ofo().
		 */
		tp->pred_flags = 0;
		if (tp->rx_opt.sack_ok)
			sockmi_ofo_sacks(tp, st);
	}
	release_sock(sk);
}

/* Bytes of the send queue that went out at least once. */
static u32 sockmi_sent_bytes(const struct sockmi_state *st)
{
	return st->len[SOCKMI_QUEUE_SEND] - sockmi_unsent(st);
}

static int sockmi_restore_queues(struct socket *sock,
				 const struct sockmi_state *st)
{
	u32 sent = sockmi_sent_bytes(st);
	int ret = 0;

	sockmi_prepare_fill(sock->sk, st);
	if (sent) {
		ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				    TCP_SEND_QUEUE);
		ret = ret ?: sockmi_send_bytes(sock, st->queue[SOCKMI_QUEUE_SEND],
					       sent);
	}
	if (!ret && st->len[SOCKMI_QUEUE_RECV]) {
		ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				    TCP_RECV_QUEUE);
		ret = ret ?: sockmi_send_bytes(sock, st->queue[SOCKMI_QUEUE_RECV],
					       st->len[SOCKMI_QUEUE_RECV]);
	}
	return ret ?: sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				    TCP_NO_QUEUE);
}

/* Where the receive queue starts: a received FIN is added after it. */
static u32 sockmi_recv_start(const struct sockmi_state *st)
{
	if (sockmi_fin_in(st->tcp_state))
		return st->rcv_nxt - 1 - st->len[SOCKMI_QUEUE_RECV];
	return st->copied_seq;
}

/* Another listener of @net would take the connections to @st's address and
 * port (repair mode lets our bind() share anything).
 */
static bool sockmi_listener_taken(struct net *net,
				  const struct sockmi_state *st)
{
	struct inet_hashinfo *hinfo = net->ipv4.tcp_death_row.hashinfo;
	const struct sockmi_tuple *t = &st->tuple;
	u16 port = ntohs(t->lport);
	struct sock *sk = NULL;

	rcu_read_lock();
	if (ipv6_addr_v4mapped(&t->laddr) || !st->v6only)
		sk = __inet_lookup_listener(net, hinfo, NULL, 0, 0, 0,
					    ipv6_addr_v4mapped(&t->laddr) ?
					    t->laddr.s6_addr32[3] : 0,
					    port, 0, 0);
#if IS_ENABLED(CONFIG_IPV6)
	if (!sk && t->family == AF_INET6 && !ipv6_addr_v4mapped(&t->laddr))
		sk = inet6_lookup_listener(net, hinfo, NULL, 0, &in6addr_any, 0,
					   &t->laddr, port, 0, 0);
#endif
	rcu_read_unlock();
	return sk;
}

/* A bound or listening socket: options, bind(), listen(). It stays in
 * repair mode, which lets it share its port with the socket it replaces,
 * until sockmi_restore_activate().
 */
static int sockmi_restore_unconnected(struct net *net,
				      const struct sockmi_state *st,
				      struct socket **res,
				      struct netlink_ext_ack *extack)
{
	struct sockaddr_storage addr;
	struct socket *sock;
	int ret, len;

	ret = __sock_create(net, st->tuple.family, SOCK_STREAM, IPPROTO_TCP,
			    &sock, 0);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot create a TCP socket");
		return ret;
	}
	ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot put the new socket in repair mode");
		goto err;
	}
	ret = sockmi_restore_early_opts(sock, st);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot restore socket options");
		goto err;
	}
	len = sockmi_sockaddr(&st->tuple, true, &addr);
	ret = kernel_bind(sock, (struct sockaddr *)&addr, len);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot bind to the socket's local address");
		goto err;
	}
	if (st->tcp_state == TCP_LISTEN && sockmi_listener_taken(net, st)) {
		NL_SET_ERR_MSG(extack, "Another socket listens on this address and port");
		ret = -EADDRINUSE;
		goto err;
	}
	if (st->tcp_state == TCP_LISTEN) {
		ret = kernel_listen(sock, min_t(u32, st->backlog, INT_MAX));
		if (ret) {
			NL_SET_ERR_MSG(extack, "Cannot listen on the socket's address");
			goto err;
		}
	}
	ret = sockmi_restore_late_opts(sock, st);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot restore socket options");
		goto err;
	}
	*res = sock;
	return 0;

err:
	sockmi_restore_discard(sock);
	return ret;
}

static int __sockmi_restore(struct net *net, const struct sockmi_state *st,
			    bool child, struct socket **res,
			    struct netlink_ext_ack *extack);

int sockmi_restore_children(struct net *net, const struct sockmi_state *st,
			    struct socket ***res, struct netlink_ext_ack *extack)
{
	struct socket **socks;
	u32 i;
	int ret = 0;

	*res = NULL;
	if (!st->nchildren)
		return 0;
	socks = kvcalloc(st->nchildren, sizeof(*socks), GFP_KERNEL_ACCOUNT);
	if (!socks)
		return -ENOMEM;
	for (i = 0; i < st->nchildren && !ret; i++)
		ret = __sockmi_restore(net, &st->children[i], true, &socks[i],
				       extack);
	if (ret) {
		sockmi_restore_discard_children(socks, st->nchildren);
		return ret;
	}
	*res = socks;
	return 0;
}

void sockmi_restore_discard_children(struct socket **socks, u32 n)
{
	u32 i;

	for (i = 0; socks && i < n; i++)
		if (socks[i])
			sockmi_restore_discard(socks[i]);
	kvfree(socks);
}

int sockmi_restore_enqueue(struct socket *listener, struct socket *child)
{
	struct sock *lsk = listener->sk, *sk = child->sk;
	struct request_sock *req;
	struct sock *queued;

	req = inet_reqsk_alloc(lsk->sk_prot->rsk_prot, lsk, true);
	if (!req)
		return -ENOMEM;
	/* What accept() and reqsk_put() look at; the rest is unused once a
	 * request holds a child.
	 */
	refcount_set(&req->rsk_refcnt, 1);
	tcp_rsk(req)->tfo_listener = false;

	/* The child leaves its struct socket: it is a socket nobody accepted
	 * yet, as if the listener had made it.
	 */
	write_lock_bh(&sk->sk_callback_lock);
	sk_set_socket(sk, NULL);
	RCU_INIT_POINTER(sk->sk_wq, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	child->sk = NULL;
	sock_release(child);

	lock_sock(lsk);
	local_bh_disable();
	queued = inet_csk_reqsk_queue_add(lsk, req, sk);
	local_bh_enable();
	release_sock(lsk);
	if (!queued) {
		/* Not listening any more: the child was released silently. */
		reqsk_put(req);
		return -EINVAL;
	}
	lsk->sk_data_ready(lsk);
	return 0;
}

/* A child of a listener is charged to a memory cgroup when accept() takes
 * it, like the ones TCP makes: it must not be charged before.
 */
static void sockmi_child_uncharged(struct sock *sk)
{
#if IS_ENABLED(CONFIG_MEMCG)
	if (sk->sk_memcg) {
		css_put(&sk->sk_memcg->css);
		sk->sk_memcg = NULL;
	}
#endif
}

int sockmi_restore(struct net *net, const struct sockmi_state *st,
		   struct socket **res, struct netlink_ext_ack *extack)
{
	return __sockmi_restore(net, st, false, res, extack);
}

static int __sockmi_restore(struct net *net, const struct sockmi_state *st,
			    bool child, struct socket **res,
			    struct netlink_ext_ack *extack)
{
	const struct sockmi_tuple *t = &st->tuple;
	struct tcp_repair_window win = {
		.snd_wl1 = st->snd_wl1,
		.snd_wnd = st->snd_wnd,
		.max_window = st->max_window,
		.rcv_wnd = st->rcv_wnd,
		.rcv_wup = st->rcv_wup,
	};
	struct sockaddr_storage addr;
	struct socket *sock;
	int ret, len;

	if (!sockmi_connected(st->tcp_state))
		return sockmi_restore_unconnected(net, st, res, extack);
	ret = __sock_create(net, t->family, SOCK_STREAM, IPPROTO_TCP, &sock, 0);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot create a TCP socket");
		return ret;
	}
	if (child)
		sockmi_child_uncharged(sock->sk);
	ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR, TCP_REPAIR_ON);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot put the new socket in repair mode");
		goto err;
	}
	ret = sockmi_restore_early_opts(sock, st);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot restore socket options");
		goto err;
	}
	ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE);
	ret = ret ?: sockmi_setopt(sock, SOL_TCP, TCP_QUEUE_SEQ, st->snd_una);
	ret = ret ?: sockmi_setopt(sock, SOL_TCP, TCP_REPAIR_QUEUE,
				   TCP_RECV_QUEUE);
	ret = ret ?: sockmi_setopt(sock, SOL_TCP, TCP_QUEUE_SEQ,
				   sockmi_recv_start(st));
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot restore sequence numbers");
		goto err;
	}
	len = sockmi_sockaddr(t, true, &addr);
	ret = kernel_bind(sock, (struct sockaddr *)&addr, len);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot bind to the socket's local address");
		goto err;
	}
	len = sockmi_sockaddr(t, false, &addr);
	ret = kernel_connect(sock, (struct sockaddr *)&addr, len, 0);
	if (ret == -EADDRNOTAVAIL) {
		NL_SET_ERR_MSG(extack, "The connection already exists in this namespace");
		goto err;
	}
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot reconnect in repair mode");
		goto err;
	}
	ret = sockmi_restore_options(sock, st);
	if (!ret && (st->options & SOCKMI_TCPOPT_TIMESTAMP))
		ret = sockmi_setopt(sock, SOL_TCP, TCP_TIMESTAMP, st->ts_now);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot restore TCP options");
		goto err;
	}
	ret = sockmi_restore_queues(sock, st);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot refill the socket's queues");
		goto err;
	}
	ret = sockmi_restore_fins(sock, st);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot restore the half-closed state");
		goto err;
	}
	sockmi_restore_ofo(sock->sk, st);
	sockmi_restore_tcp(sock->sk, st);
	ret = sockmi_setopt_buf(sock, SOL_TCP, TCP_REPAIR_WINDOW, &win,
				sizeof(win));
	if (ret) {
		NL_SET_ERR_MSG(extack, "Window does not fit the sequence numbers");
		goto err;
	}
	ret = sockmi_restore_late_opts(sock, st);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot restore socket options");
		goto err;
	}
	*res = sock;
	return 0;

err:
	sockmi_restore_discard(sock);
	return ret;
}

int sockmi_restore_activate(struct socket *sock, const struct sockmi_state *st,
			    bool local)
{
	struct sock *sk = sock->sk;
	struct tcp_sock *tp = tcp_sk(sk);
	u32 sent = sockmi_sent_bytes(st);
	int ret;

	if (st->tcp_state == TCP_LISTEN) {
		/* TCP_REPAIR_OFF is refused to a listening socket. */
		lock_sock(sk);
		tp->repair = 0;
		sk->sk_reuse = SK_NO_REUSE;
		release_sock(sk);
	} else {
		/* Leaving repair mode sends a window probe when connected: the
		 * peer hears from us.
		 */
		ret = sockmi_setopt(sock, SOL_TCP, TCP_REPAIR, TCP_REPAIR_OFF);
		if (ret)
			return ret;
	}
	if (st->opts.present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_REUSEADDR))
		sockmi_setopt(sock, SOL_SOCKET, SO_REUSEADDR, 1);
	if (st->opts.present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPALIVE))
		sockmi_setopt(sock, SOL_SOCKET, SO_KEEPALIVE, 1);
	/* Once the address is ours the socket needs no special powers. */
	if (local)
		sockmi_setopt(sock, st->tuple.family == AF_INET6 ? SOL_IPV6 : SOL_IP,
			      st->tuple.family == AF_INET6 ? IPV6_TRANSPARENT :
			      IP_TRANSPARENT, 0);

	if (!sockmi_connected(st->tcp_state))
		return 0;
	lock_sock(sk);
	if (tp->packets_out)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
					  inet_csk(sk)->icsk_rto, TCP_RTO_MAX);
	release_sock(sk);

	/* Bytes the old socket had queued but never sent go out now, and
	 * then its FIN if that was queued too.
	 */
	ret = sockmi_send_bytes(sock, st->queue[SOCKMI_QUEUE_SEND] + sent,
				sockmi_unsent(st));
	if (!ret && sockmi_fin_out(st->tcp_state) && !sockmi_fin_sent(st))
		ret = kernel_sock_shutdown(sock, SHUT_WR);

	/* Every byte is queued: the send buffer gets its own size back, the
	 * user's or the default that autotuning grows from. Left as made for
	 * the refill, it would let the owner queue twice as much, and every
	 * further move would carry twice as much again.
	 */
	if (st->opts.present & SOCKMI_OPT(SOCKMI_SOCKOPT_A_SNDBUF)) {
		sockmi_setopt_bufsize(sock, true, st->opts.sndbuf);
	} else {
		lock_sock(sk);
		WRITE_ONCE(sk->sk_sndbuf,
			   READ_ONCE(sock_net(sk)->ipv4.sysctl_tcp_wmem[1]));
		release_sock(sk);
	}
	return ret;
}

/* The children queued on a listener are as silent as it is when it goes. */
static void sockmi_silence_queue(struct sock *sk)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	struct request_sock *reqs, *req, *next;
	struct sock *child;

	lock_sock(sk);
	spin_lock_bh(&queue->rskq_lock);
	reqs = queue->rskq_accept_head;
	WRITE_ONCE(queue->rskq_accept_head, NULL);
	spin_unlock_bh(&queue->rskq_lock);
	for (req = reqs; req; req = next) {
		next = req->dl_next;
		child = req->sk;
		sk_acceptq_removed(sk);
		local_bh_disable();
		bh_lock_sock(child);
		tcp_sk(child)->repair = 1;
		tcp_sk(child)->repair_queue = TCP_NO_QUEUE;
		bh_unlock_sock(child);
		if (!inet_csk_reqsk_queue_add(sk, req, child))
			reqsk_put(req);
		local_bh_enable();
	}
	release_sock(sk);
}

void sockmi_restore_discard(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (sk->sk_state == TCP_LISTEN)
		sockmi_silence_queue(sk);
	/* A socket in repair mode closes without a word to the peer. */
	lock_sock(sk);
	tcp_sk(sk)->repair = 1;
	tcp_sk(sk)->repair_queue = TCP_NO_QUEUE;
	release_sock(sk);
	sock_release(sock);
}
