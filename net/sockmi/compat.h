/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel API differences between the two targets, Debian 12's 6.1 and
 * Debian 13's 6.12: one small helper per difference, so that the code
 * elsewhere has no version test. Each helper names the release where the
 * interface changed; see docs/kernel-6.12.md.
 */

#ifndef _NET_SOCKMI_COMPAT_H
#define _NET_SOCKMI_COMPAT_H

#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/rcupdate.h>
#include <linux/sysctl.h>
#include <linux/version.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/tcp.h>

/* The one version test; checkpatch's LINUX_VERSION_CODE warnings are
 * silenced for this file only (tests/lint/run).
 */
#define SOCKMI_KERNEL_AT_LEAST(major, minor) \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(major, minor, 0))

/* 6.11: proc handlers take a const struct ctl_table; declare handlers with
 * "SOCKMI_CTL_TABLE_CONST struct ctl_table *table".
 */
#if SOCKMI_KERNEL_AT_LEAST(6, 11)
#define SOCKMI_CTL_TABLE_CONST const
#else
#define SOCKMI_CTL_TABLE_CONST
#endif

/* 6.6: tables are registered with their size (register_net_sysctl_sz);
 * before, they end with an empty sentinel entry. @table has @n entries
 * followed by that sentinel, so that both work.
 */
static inline struct ctl_table_header *
sockmi_register_net_sysctl(struct net *net, const char *path,
			   struct ctl_table *table, size_t n)
{
#if SOCKMI_KERNEL_AT_LEAST(6, 6)
	return register_net_sysctl_sz(net, path, table, n);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* 6.2: a dump's parsed attributes moved into genl_dumpit_info.info. */
static inline struct nlattr **
sockmi_dump_attrs(const struct genl_dumpit_info *info)
{
#if SOCKMI_KERNEL_AT_LEAST(6, 2)
	return info->info.attrs;
#else
	return info->attrs;
#endif
}

/* The file behind descriptor @fd of @task, with a reference, or NULL.
 * 6.1 exports task_lookup_next_fd_rcu() (no reference taken: the caller
 * gets one with get_file_rcu()); 6.12 exports task_lookup_next_fdget_rcu(),
 * which returns the file with a reference.
 */
static inline struct file *sockmi_task_fget(struct task_struct *task,
					    unsigned int fd)
{
	unsigned int n = fd;
	struct file *file;

	rcu_read_lock();
#if SOCKMI_KERNEL_AT_LEAST(6, 12)
	file = task_lookup_next_fdget_rcu(task, &n);
#else
	file = task_lookup_next_fd_rcu(task, &n);
	if (file && !get_file_rcu(file))
		file = NULL;
#endif
	rcu_read_unlock();
	if (file && n != fd) {
		fput(file);
		file = NULL;
	}
	return file;
}

/* 6.12's __tcp_send_ack() takes extra TCP flags; 6.1's does not. */
static inline void sockmi_tcp_send_ack(struct sock *sk, u32 rcv_nxt)
{
#if SOCKMI_KERNEL_AT_LEAST(6, 12)
	__tcp_send_ack(sk, rcv_nxt, 0);
#else
	__tcp_send_ack(sk, rcv_nxt);
#endif
}

/* The MSS for a path MTU of @pmtu: tcp_sync_mss(), which 6.12 no longer
 * exports; TCP sockets reach it through icsk_sync_mss on both.
 */
static inline void sockmi_tcp_sync_mss(struct sock *sk, u32 pmtu)
{
	inet_csk(sk)->icsk_sync_mss(sk, pmtu);
}

/* The receive MSS estimate of a connection that has not received anything
 * yet: tcp_initialize_rcv_mss(), which 6.12 no longer exports. The same
 * bounds: the smaller MSS of both directions, at most half the receive
 * window and TCP_MSS_DEFAULT, at least TCP_MIN_MSS.
 */
static inline void sockmi_tcp_init_rcv_mss(struct sock *sk)
{
#if SOCKMI_KERNEL_AT_LEAST(6, 12)
	const struct tcp_sock *tp = tcp_sk(sk);
	unsigned int mss = min_t(unsigned int, tp->advmss, tp->mss_cache);

	mss = min3(mss, tp->rcv_wnd / 2, (unsigned int)TCP_MSS_DEFAULT);
	inet_csk(sk)->icsk_ack.rcv_mss = max_t(unsigned int, mss, TCP_MIN_MSS);
#else
	tcp_initialize_rcv_mss(sk);
#endif
}

/**
 * sockmi_tcp_ts_at - the TSval of @tp at clock time @ns, as TCP_TIMESTAMP has it
 * @tp: the socket, locked
 * @ns: a tcp_clock_ns() time
 *
 * 6.7 added microsecond timestamps (tp->tcp_usec_ts, chosen per route):
 * TCP_TIMESTAMP then carries the unit in its low bit (1: usec), and setting
 * it in repair mode sets the unit from that bit. The value is rounded up to
 * the bit's parity, never down, so that the restored socket's TSval does
 * not go back; 6.1 (millisecond clock only) rounds the same way so that a
 * checkpoint it made reads as milliseconds on 6.12.
 */
static inline u32 sockmi_tcp_ts_at(const struct tcp_sock *tp, u64 ns)
{
	u32 usec = 0, ts;

#if SOCKMI_KERNEL_AT_LEAST(6, 7)
	usec = tp->tcp_usec_ts;
	ts = tcp_ns_to_ts(usec, ns) + READ_ONCE(tp->tsoffset);
#else
	ts = tcp_ns_to_ts(ns) + READ_ONCE(tp->tsoffset);
#endif
	return ts + ((ts & 1) ^ usec);
}

#endif /* _NET_SOCKMI_COMPAT_H */
