// SPDX-License-Identifier: GPL-2.0
/*
 * Checkpoint: read the whole state of a frozen TCP socket. The caller owns
 * the socket lock and has put the socket in repair mode with its timers
 * stopped and its flow held, so nothing here can change under us.
 */

#include <linux/skbuff.h>
#include <net/inet_sock.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "checkpoint.h"
#include "compat.h"
#include "state.h"

void sockmi_tuple_from_sk(const struct sock *sk, struct sockmi_tuple *t)
{
	const struct inet_sock *inet = inet_sk(sk);

	bool connected = sockmi_connected(sk->sk_state);

	memset(t, 0, sizeof(*t));
	t->family = sk->sk_family;
	/* A bound socket's port is in inet_num until it listens or connects. */
	t->lport = htons(inet->inet_num);
	t->rport = connected ? inet->inet_dport : 0;
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6) {
		t->laddr = sk->sk_v6_rcv_saddr;
		if (connected)
			t->raddr = sk->sk_v6_daddr;
		return;
	}
#endif
	ipv6_addr_set_v4mapped(inet->inet_rcv_saddr, &t->laddr);
	if (connected)
		ipv6_addr_set_v4mapped(inet->inet_daddr, &t->raddr);
	else
		t->raddr = in6addr_any;
}

/* Copy the bytes [from, to) of sequence space held by the skbs of a queue. */
struct sockmi_copy {
	u8 *buf;
	u32 from;
	u32 to;
};

static int sockmi_copy_skb(struct sockmi_copy *c, const struct sk_buff *skb)
{
	u32 seq = TCP_SKB_CB(skb)->seq;
	u32 start, end, off;

	/* Data occupies [seq, seq + skb->len); a FIN comes after it. */
	start = after(c->from, seq) ? c->from : seq;
	end = seq + skb->len;
	if (after(end, c->to))
		end = c->to;
	if (!before(start, end))
		return 0;
	off = start - seq;
	return skb_copy_bits(skb, off, c->buf + (start - c->from), end - start);
}

static int sockmi_copy_recvq(struct sock *sk, struct sockmi_copy *c)
{
	struct sk_buff *skb;
	int ret;

	skb_queue_walk(&sk->sk_receive_queue, skb) {
		ret = sockmi_copy_skb(c, skb);
		if (ret)
			return ret;
	}
	return 0;
}

static int sockmi_copy_sendq(struct sock *sk, struct sockmi_copy *c)
{
	struct sk_buff *skb;
	int ret;

	skb_rbtree_walk(skb, &sk->tcp_rtx_queue) {
		ret = sockmi_copy_skb(c, skb);
		if (ret)
			return ret;
	}
	skb_queue_walk(&sk->sk_write_queue, skb) {
		ret = sockmi_copy_skb(c, skb);
		if (ret)
			return ret;
	}
	return 0;
}

static int sockmi_copy_queue(struct sock *sk, struct sockmi_state *st,
			     enum sockmi_queue q, u32 from, u32 len)
{
	struct sockmi_copy c = { .from = from, .to = from + len };
	int ret;

	st->len[q] = len;
	if (!len)
		return 0;
	if (len > SOCKMI_QUEUE_MAX)
		return -EFBIG;
	c.buf = kvmalloc(len, GFP_KERNEL_ACCOUNT);
	if (!c.buf)
		return -ENOMEM;
	st->queue[q] = c.buf;
	if (q == SOCKMI_QUEUE_RECV)
		ret = sockmi_copy_recvq(sk, &c);
	else
		ret = sockmi_copy_sendq(sk, &c);
	return ret;
}

/* The TSval the restored socket starts from: the clock's, or, if later,
 * the departure time of what was sent last. Paced segments leave stamped
 * with their earliest departure time (tcp_wstamp_ns), which can be ahead of
 * the clock by a good part of a window; the peer must never see a TSval go
 * back across the move.
 */
static u32 sockmi_ts_now(const struct tcp_sock *tp)
{
	u64 ns = max_t(u64, tcp_clock_ns(), tp->tcp_wstamp_ns);

	return sockmi_tcp_ts_at(tp, ns);
}

/* The data of an out-of-order skb, without its FIN. */
static u32 sockmi_ofo_end(const struct sk_buff *skb)
{
	return TCP_SKB_CB(skb)->end_seq -
	       !!(TCP_SKB_CB(skb)->tcp_flags & TCPHDR_FIN);
}

/* The ranges the out-of-order queue covers, merged where skbs overlap or
 * touch; at most SOCKMI_OFO_RANGES_MAX of them, and only the part within
 * SOCKMI_OFO_SPAN_MAX of rcv_nxt. Returns the bytes of the first @n.
 * With @r NULL only counts (into *@n).
 */
static u32 sockmi_ofo_ranges(const struct sock *sk,
			     struct sockmi_ofo_range *r, u32 *n)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 limit = tp->rcv_nxt + SOCKMI_OFO_SPAN_MAX;
	u32 i = 0, bytes = 0, seq, end, cur_end = 0;
	struct sk_buff *skb;

	skb_rbtree_walk(skb, &tp->out_of_order_queue) {
		seq = TCP_SKB_CB(skb)->seq;
		end = sockmi_ofo_end(skb);
		/* Only what rcv_nxt has not reached (no skb should be). */
		if (!after(end, tp->rcv_nxt))
			continue;
		if (!after(seq, tp->rcv_nxt))
			seq = tp->rcv_nxt + 1;
		if (after(end, limit))
			end = limit;
		if (!before(seq, end))
			continue;
		if (i && !after(seq, cur_end)) {
			/* Overlaps or touches the current range. */
			if (after(end, cur_end)) {
				if (r)
					r[i - 1].len += end - cur_end;
				bytes += end - cur_end;
				cur_end = end;
			}
			continue;
		}
		if (i == *n && r)
			break;
		if (r) {
			r[i].seq = seq;
			r[i].len = end - seq;
		}
		bytes += end - seq;
		cur_end = end;
		if (++i == SOCKMI_OFO_RANGES_MAX && !r)
			break;
	}
	if (!r)
		*n = i;
	return bytes;
}

/* Copy the out-of-order queue: the bytes of each range, one after the
 * other, and a FIN received out of order when nothing is left out before it.
 */
static int sockmi_checkpoint_ofo(struct sock *sk, struct sockmi_state *st)
{
	const struct tcp_sock *tp = tcp_sk(sk);
	struct sockmi_ofo_range *r = NULL;
	struct sk_buff *skb, *last;
	u32 n = 0, i = 0, off = 0, len;
	int ret;

	last = tp->ooo_last_skb;
	if (RB_EMPTY_ROOT(&tp->out_of_order_queue) || !last)
		return 0;
	sockmi_ofo_ranges(sk, NULL, &n);
	if (n) {
		r = kvcalloc(n, sizeof(*r), GFP_KERNEL_ACCOUNT);
		if (!r)
			return -ENOMEM;
		st->ofo = r;
		st->nofo = n;
		len = sockmi_ofo_ranges(sk, r, &n);
		if (len > SOCKMI_QUEUE_MAX)
			return -EFBIG;
		st->len[SOCKMI_QUEUE_OFO] = len;
		st->queue[SOCKMI_QUEUE_OFO] = kvmalloc(len, GFP_KERNEL_ACCOUNT);
		if (!st->queue[SOCKMI_QUEUE_OFO])
			return -ENOMEM;
		skb_rbtree_walk(skb, &tp->out_of_order_queue) {
			struct sockmi_copy c;

			/* Skip to the range this skb ends in or before. */
			while (i < n &&
			       !before(TCP_SKB_CB(skb)->seq, r[i].seq + r[i].len)) {
				off += r[i].len;
				i++;
			}
			if (i == n)
				break;
			c.buf = st->queue[SOCKMI_QUEUE_OFO] + off;
			c.from = r[i].seq;
			c.to = r[i].seq + r[i].len;
			ret = sockmi_copy_skb(&c, skb);
			if (ret)
				return ret;
		}
	}
	/* The FIN ends the last skb; carried only if all before it is. */
	if ((TCP_SKB_CB(last)->tcp_flags & TCPHDR_FIN) &&
	    sockmi_ofo_end(last) - tp->rcv_nxt < SOCKMI_OFO_SPAN_MAX &&
	    (!n || r[n - 1].seq + r[n - 1].len == sockmi_ofo_end(last))) {
		st->ofo_fin = true;
		st->ofo_fin_seq = sockmi_ofo_end(last);
	}
	return 0;
}

static void sockmi_checkpoint_opts(struct sock *sk, struct sockmi_sockopts *o)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);

	memset(o, 0, sizeof(*o));
	if (sock_flag(sk, SOCK_KEEPOPEN))
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPALIVE);
	if (tp->keepalive_time) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPIDLE);
		o->keepidle = tp->keepalive_time / HZ;
	}
	if (tp->keepalive_intvl) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPINTVL);
		o->keepintvl = tp->keepalive_intvl / HZ;
	}
	if (tp->keepalive_probes) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_KEEPCNT);
		o->keepcnt = tp->keepalive_probes;
	}
	if (tp->nonagle & TCP_NAGLE_OFF)
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_NODELAY);
	/* SO_RCVBUF and SO_SNDBUF store twice what the user asked for. */
	if (sk->sk_userlocks & SOCK_RCVBUF_LOCK) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_RCVBUF);
		o->rcvbuf = sk->sk_rcvbuf / 2;
	}
	if (sk->sk_userlocks & SOCK_SNDBUF_LOCK) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_SNDBUF);
		o->sndbuf = sk->sk_sndbuf / 2;
	}
	if (sock_flag(sk, SOCK_LINGER)) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_LINGER);
		o->linger = sk->sk_lingertime / HZ;
	}
	if (icsk->icsk_user_timeout) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_USER_TIMEOUT);
		o->user_timeout = icsk->icsk_user_timeout;
	}
	if (icsk->icsk_ca_ops) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_CONGESTION);
		strscpy(o->congestion, icsk->icsk_ca_ops->name,
			sizeof(o->congestion));
	}
	if (sk->sk_mark) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_MARK);
		o->mark = sk->sk_mark;
	}
	if (sk->sk_priority) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_PRIORITY);
		o->priority = sk->sk_priority;
	}
#if IS_ENABLED(CONFIG_IPV6)
	if (sk->sk_family == AF_INET6)
		o->tos = inet6_sk(sk)->tclass;
	else
#endif
		o->tos = inet_sk(sk)->tos;
	if (o->tos)
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_TOS);
	if (sk->sk_reuse == SK_CAN_REUSE)
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_REUSEADDR);
	if (tp->rx_opt.user_mss) {
		o->present |= SOCKMI_OPT(SOCKMI_SOCKOPT_A_MAXSEG);
		o->maxseg = tp->rx_opt.user_mss;
	}
}

int sockmi_checkpoint(struct sock *sk, struct sockmi_state *st)
{
	const struct inet_connection_sock *icsk = inet_csk(sk);
	const struct tcp_sock *tp = tcp_sk(sk);
	u32 recv_end;
	int ret;

	memset(st, 0, sizeof(*st));
	sockmi_tuple_from_sk(sk, &st->tuple);
	st->tcp_state = sk->sk_state;
#if IS_ENABLED(CONFIG_IPV6)
	st->v6only = sk->sk_family == AF_INET6 && sk->sk_ipv6only;
#endif
	if (!sockmi_connected(sk->sk_state)) {
		/* Bound or listening: addresses and options; the accept queue
		 * is the caller's (sockmi_checkpoint_child()).
		 */
		sockmi_checkpoint_opts(sk, &st->opts);
		if (sk->sk_state == TCP_LISTEN)
			st->backlog = READ_ONCE(sk->sk_max_ack_backlog);
		return 0;
	}
	st->snd_una = tp->snd_una;
	st->snd_nxt = tp->snd_nxt;
	st->write_seq = tp->write_seq;
	st->rcv_nxt = tp->rcv_nxt;
	st->copied_seq = tp->copied_seq;
	st->snd_wl1 = tp->snd_wl1;
	st->snd_wnd = tp->snd_wnd;
	st->max_window = tp->max_window;
	st->rcv_wnd = tp->rcv_wnd;
	st->rcv_wup = tp->rcv_wup;
	st->mss = tp->rx_opt.mss_clamp;
	if (tp->rx_opt.wscale_ok) {
		st->options |= SOCKMI_TCPOPT_WSCALE;
		st->snd_wscale = tp->rx_opt.snd_wscale;
		st->rcv_wscale = tp->rx_opt.rcv_wscale;
	}
	if (tp->rx_opt.sack_ok)
		st->options |= SOCKMI_TCPOPT_SACK;
	if (tp->rx_opt.tstamp_ok) {
		st->options |= SOCKMI_TCPOPT_TIMESTAMP;
		st->ts_now = sockmi_ts_now(tp);
		st->ts_recent = tp->rx_opt.ts_recent;
	}
	st->srtt_us = tp->srtt_us;
	st->mdev_us = tp->mdev_us;
	st->rto_us = jiffies_to_usecs(icsk->icsk_rto);
	st->cwnd = tcp_snd_cwnd(tp);
	st->ssthresh = tp->snd_ssthresh;
	sockmi_checkpoint_opts(sk, &st->opts);

	/* A received FIN takes a sequence number but no byte; once the reader
	 * got end of file, copied_seq counts it too.
	 */
	recv_end = tp->rcv_nxt;
	if (sockmi_fin_in(sk->sk_state) && tp->copied_seq != tp->rcv_nxt)
		recv_end--;
	ret = sockmi_copy_queue(sk, st, SOCKMI_QUEUE_RECV, tp->copied_seq,
				recv_end - tp->copied_seq);
	if (!ret && !sockmi_fin_in(sk->sk_state))
		ret = sockmi_checkpoint_ofo(sk, st);
	/* Our FIN, unacknowledged, is the last sequence number written. */
	if (!ret)
		ret = sockmi_copy_queue(sk, st, SOCKMI_QUEUE_SEND, tp->snd_una,
					tp->write_seq - tp->snd_una -
					sockmi_fin_out(sk->sk_state));
	if (ret)
		sockmi_state_free(st);
	return ret;
}
