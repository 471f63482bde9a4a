// SPDX-License-Identifier: GPL-2.0
/*
 * The life of a migrating socket in one namespace:
 *
 *   owner's socket --EXPORT--> frozen, held, checkpointed (EXPORTING list)
 *        --COMMIT--> destroyed silently     --ABORT--> thawed, back in use
 *
 *   checkpoint --STAGE--> rebuilt in repair mode, held (a staged list)
 *        [pending] --ACTIVATE--> live, importable --IMPORT--> caller's fd
 *        --UNSTAGE--> dropped silently
 *
 * Every transition runs under sockmi_net.lock, which is taken before any
 * socket lock. An export to an address of this host stages, commits and
 * activates in one go.
 *
 * Bound sockets receive nothing: they are marked (repair mode) and carried
 * without a hold. A listening socket is held with a hold on its local
 * address and port for any remote end (hold.c lets the packets of its
 * other, established connections through). Its accept queue is detached
 * when it is frozen; each child that completed its handshake is unhashed,
 * frozen and checkpointed like a connected socket, and travels in the
 * listener's state. On ABORT the children are thawed, hashed again and put
 * back in the queue in their order; on COMMIT they are put back frozen and
 * die silently with the listener. On the importer each child is rebuilt
 * with the repair machinery and queued on the new listener at activation,
 * where accept() finds it. Request sockets still in SYN_RECV stay with the
 * old listener and die with it: the peer's ACK, when it comes, meets a
 * listener that does not know it and is answered with a RST.
 */

#include <linux/cred.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/inetdevice.h>
#include <linux/net.h>
#include <linux/pid.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <net/addrconf.h>
#include <net/inet_hashtables.h>
#include <net/route.h>
#include <net/tcp.h>

#include "checkpoint.h"
#include "compat.h"
#include "state.h"

/**
 * struct sockmi_export - a socket frozen for export
 * @e: list entry, on SOCKMI_LIST_EXPORTING
 * @file: the owner's file, referenced until commit or abort
 * @deadline: when the export is aborted if nobody committed it (jiffies)
 * @st: its checkpoint
 * @reqs: a listener's accept queue, detached while it is exported (linked
 *	by dl_next); the children in repair mode are the checkpointed ones
 */
struct sockmi_export {
	struct sockmi_entry e;
	struct file *file;
	unsigned long deadline;
	struct sockmi_state st;
	struct request_sock *reqs;
};

/**
 * struct sockmi_staged - a socket rebuilt here, waiting for an importer
 * @e: list entry, on the list of its state
 * @sock: the socket, owned by us until imported
 * @st: its checkpoint, kept until activation sends the unsent bytes
 * @children: a listener's accept queue, rebuilt, queued at activation
 * @nchildren: length of @children
 */
struct sockmi_staged {
	struct sockmi_entry e;
	struct socket *sock;
	struct sockmi_state st;
	struct socket **children;
	u32 nchildren;
};

static const struct sockmi_notifier __rcu *sockmi_notifier;

void sockmi_set_notifier(const struct sockmi_notifier *n)
{
	rcu_assign_pointer(sockmi_notifier, n);
	if (!n)
		synchronize_rcu();
}
EXPORT_SYMBOL_GPL(sockmi_set_notifier);

static void sockmi_notify(struct net *net, u8 cmd, const struct sockmi_entry *e,
			  const struct sockmi_export_req *req)
{
	const struct sockmi_notifier *n;
	struct sockmi_event ev = {
		.cmd = cmd,
		.id = e->id,
		.tcp_state = e->tcp_state,
		.tuple = e->tuple,
	};

	if (req && req->has_to) {
		ev.has_to = true;
		ev.to_family = req->to_family;
		ev.to = req->to;
	}
	rcu_read_lock();
	n = rcu_dereference(sockmi_notifier);
	if (n)
		n->notify(net, &ev);
	rcu_read_unlock();
}

static u8 sockmi_list_of(u8 tcp_state)
{
	switch (tcp_state) {
	case TCP_LISTEN:
		return SOCKMI_LIST_LISTEN;
	case TCP_CLOSE:
		return SOCKMI_LIST_BOUND;
	default:
		return SOCKMI_LIST_CONNECTED;
	}
}

/* Bound sockets receive nothing and need no hold. */
static bool sockmi_needs_hold(u8 tcp_state)
{
	return tcp_state != TCP_CLOSE;
}

static void sockmi_link(struct sockmi_net *sn, struct sockmi_entry *e, u8 list)
{
	lockdep_assert_held(&sn->lock);
	e->list = list;
	e->id = sn->next_id++;
	list_add_tail(&e->node, &sn->lists[list]);
	sn->len[list]++;
	sn->generation++;
}

static void sockmi_unlink(struct sockmi_net *sn, struct sockmi_entry *e)
{
	lockdep_assert_held(&sn->lock);
	list_del(&e->node);
	sn->len[e->list]--;
	sn->generation++;
}

static struct sockmi_entry *sockmi_find(struct sockmi_net *sn, u64 id,
					bool exporting)
{
	struct sockmi_entry *e;
	int list;

	lockdep_assert_held(&sn->lock);
	for (list = 0; list < __SOCKMI_LIST_MAX; list++) {
		bool is_exporting = list == SOCKMI_LIST_EXPORTING;

		if (is_exporting != exporting)
			continue;
		list_for_each_entry(e, &sn->lists[list], node)
			if (e->id == id)
				return e;
	}
	return NULL;
}

/* The socket file behind descriptor @fd of process @pid (0: the caller). */
static struct file *sockmi_get_file(pid_t pid, int fd,
				    struct netlink_ext_ack *extack)
{
	const struct cred *cred;
	struct task_struct *task;
	struct file *file;
	bool allowed;

	if (!pid) {
		file = fget(fd);
		if (!file)
			NL_SET_ERR_MSG(extack, "No such file descriptor");
		return file ?: ERR_PTR(-EBADF);
	}

	rcu_read_lock();
	task = pid_task(find_vpid(pid), PIDTYPE_PID);
	if (task)
		get_task_struct(task);
	rcu_read_unlock();
	if (!task) {
		NL_SET_ERR_MSG(extack, "No such process");
		return ERR_PTR(-ESRCH);
	}
	/* Taking another process's socket is what ptrace could do too. */
	cred = get_task_cred(task);
	allowed = ns_capable(cred->user_ns, CAP_SYS_PTRACE);
	put_cred(cred);
	if (!allowed) {
		put_task_struct(task);
		NL_SET_ERR_MSG(extack, "CAP_SYS_PTRACE over the owner is needed");
		return ERR_PTR(-EPERM);
	}
	file = sockmi_task_fget(task, fd);
	put_task_struct(task);
	if (!file) {
		NL_SET_ERR_MSG(extack, "No such file descriptor in that process");
		return ERR_PTR(-EBADF);
	}
	return file;
}

static int sockmi_check_sock(struct net *net, struct socket *sock,
			     struct netlink_ext_ack *extack)
{
	struct sock *sk = sock->sk;

	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP ||
	    (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)) {
		NL_SET_ERR_MSG(extack, "Not a TCP socket");
		return -EPROTONOSUPPORT;
	}
	if (!net_eq(sock_net(sk), net)) {
		NL_SET_ERR_MSG(extack, "The socket belongs to another network namespace");
		return -EXDEV;
	}
	return 0;
}

/* What can be exported: bound (with a port), listening, connected. */
static int sockmi_check_state(u8 tcp_state, const struct sockmi_tuple *t,
			      struct netlink_ext_ack *extack)
{
	if ((1U << tcp_state) & SOCKMI_TCPF_ANY) {
		if (tcp_state == TCP_CLOSE && !t->lport) {
			NL_SET_ERR_MSG(extack, "The socket is not bound");
			return -EINVAL;
		}
		return 0;
	}
	NL_SET_ERR_MSG(extack, "Only bound, listening and connected sockets can be exported");
	return -EOPNOTSUPP;
}

/* Stop everything a connected socket would do on its own; under its lock. */
static void sockmi_freeze_conn(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	/* Whatever got past the hold before it started is processed now. */
	__sk_flush_backlog(sk);
	tp->repair = 1;
	tp->repair_queue = TCP_NO_QUEUE;
	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
}

/* Freeze the socket of @ex, under its lock; @kind: its state when the hold
 * was chosen. Repair mode marks a frozen socket of any state. A listener's
 * accept queue is detached into @ex->reqs.
 */
static int sockmi_freeze(struct sock *sk, u8 kind, struct sockmi_export *ex,
			 struct netlink_ext_ack *extack)
{
	struct request_sock_queue *queue = &inet_csk(sk)->icsk_accept_queue;
	struct tcp_sock *tp = tcp_sk(sk);
	struct request_sock *req;

	if (tp->repair) {
		NL_SET_ERR_MSG(extack, "The socket is being exported or repaired already");
		return -EBUSY;
	}
	if (sockmi_check_state(sk->sk_state, &ex->e.tuple, extack))
		return -EOPNOTSUPP;
	if (sockmi_connected(sk->sk_state) != sockmi_connected(kind) ||
	    (!sockmi_connected(kind) && sk->sk_state != kind)) {
		NL_SET_ERR_MSG(extack, "The socket changed state while being exported");
		return -EAGAIN;
	}
	if (sockmi_connected(kind)) {
		sockmi_freeze_conn(sk);
		return 0;
	}
	tp->repair = 1;
	if (kind != TCP_LISTEN)
		return 0;
	spin_lock_bh(&queue->rskq_lock);
	ex->reqs = queue->rskq_accept_head;
	WRITE_ONCE(queue->rskq_accept_head, NULL);
	spin_unlock_bh(&queue->rskq_lock);
	for (req = ex->reqs; req; req = req->dl_next)
		sk_acceptq_removed(sk);
	return 0;
}

/* Hash a socket again after sockmi_unhash(). */
static void sockmi_rehash(struct sock *sk)
{
	if (sk->sk_state == TCP_LISTEN) {
		if (sk->sk_prot->hash(sk))
			net_warn_ratelimited("sockmi: cannot hash a listening socket again\n");
		return;
	}
	if (!sockmi_connected(sk->sk_state))
		return;
	local_bh_disable();
	inet_ehash_nolisten(sk, NULL, NULL);
	local_bh_enable();
}

/* Take a socket out of the lookup tables: no packet reaches it any more. */
static void sockmi_unhash(struct sock *sk)
{
	if (sk->sk_state == TCP_LISTEN || sockmi_connected(sk->sk_state))
		inet_unhash(sk);
}

/* The children of a listener's detached accept queue that completed their
 * handshake: unhashed, then frozen and checkpointed into @ex->st.children.
 * The others (reset, or still in a Fast Open handshake) are left alone.
 */
static int sockmi_freeze_children(struct sockmi_export *ex,
				  struct netlink_ext_ack *extack)
{
	struct request_sock *req;
	struct sock *child;
	u32 n = 0, i = 0;
	int ret = 0;

	for (req = ex->reqs; req; req = req->dl_next) {
		child = req->sk;
		if (!sockmi_connected(READ_ONCE(child->sk_state)))
			continue;
		if (++n > SOCKMI_CHILDREN_MAX) {
			NL_SET_ERR_MSG(extack, "Accept queue longer than SOCKMI_CHILDREN_MAX");
			return -EFBIG;
		}
	}
	if (!n)
		return 0;
	ex->st.children = kvcalloc(n, sizeof(*ex->st.children),
				   GFP_KERNEL_ACCOUNT);
	if (!ex->st.children)
		return -ENOMEM;
	for (req = ex->reqs; req; req = req->dl_next)
		if (sockmi_connected(READ_ONCE(req->sk->sk_state)))
			inet_unhash(req->sk);
	/* Packets that found a child before it left the hash are queued.
	 * Expedited: a migration is a pause the peer sees.
	 */
	synchronize_rcu_expedited();

	for (req = ex->reqs; req && !ret; req = req->dl_next) {
		child = req->sk;
		lock_sock(child);
		if (sockmi_connected(child->sk_state) && sk_unhashed(child) &&
		    i < n) {
			sockmi_freeze_conn(child);
			ret = sockmi_checkpoint(child, &ex->st.children[i]);
			if (!ret)
				i++;
		}
		release_sock(child);
	}
	ex->st.nchildren = i;
	if (ret)
		NL_SET_ERR_MSG(extack, "Cannot checkpoint a child of the accept queue");
	return ret;
}

static void sockmi_thaw(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	lock_sock(sk);
	tp->repair = 0;
	if (!sockmi_connected(sk->sk_state)) {
		release_sock(sk);
		return;
	}
	if (tp->packets_out)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
					  inet_csk(sk)->icsk_rto, TCP_RTO_MAX);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		inet_csk_reset_keepalive_timer(sk, keepalive_time_when(tp));
	/* Tell the peer where we are; it may have retransmitted meanwhile. */
	sockmi_tcp_send_ack(sk, tp->rcv_nxt);
	release_sock(sk);
}

/* Put a listener's detached accept queue back, in its order; under the
 * listener's lock.
 */
static void __sockmi_requeue(struct sock *sk, struct sockmi_export *ex)
{
	struct request_sock *req, *next;

	for (req = ex->reqs; req; req = next) {
		next = req->dl_next;
		local_bh_disable();
		/* Not listening (the owner shut it down): the child is gone. */
		if (!inet_csk_reqsk_queue_add(sk, req, req->sk))
			reqsk_put(req);
		local_bh_enable();
	}
	ex->reqs = NULL;
}

static void sockmi_requeue(struct sock *sk, struct sockmi_export *ex)
{
	lock_sock(sk);
	__sockmi_requeue(sk, ex);
	release_sock(sk);
	/* Wake whoever waits in accept() or poll(). */
	sk->sk_data_ready(sk);
}

/* Give an exported socket back to its owner, working: the children of a
 * listener are hashed and queued again.
 */
static void sockmi_export_thaw(struct sockmi_export *ex)
{
	struct sock *sk = sock_from_file(ex->file)->sk;
	struct request_sock *req;
	struct sock *child;

	for (req = ex->reqs; req; req = req->dl_next) {
		child = req->sk;
		if (!tcp_sk(child)->repair)
			continue;
		sockmi_rehash(child);
		sockmi_thaw(child);
	}
	if (ex->reqs)
		sockmi_requeue(sk, ex);
	sockmi_thaw(sk);
}

/* Destroy a frozen socket without a packet. Its owner's descriptor stays
 * valid: the first call on it fails with ECONNABORTED, then reads fail with
 * EPERM and writes with EPIPE, as for a socket left in repair mode, which it
 * is; accept() on a listener fails with EINVAL; closing it sends nothing.
 * Its port is released at once.
 */
static void __sockmi_silence(struct sock *sk)
{
	tcp_disconnect(sk, 0);	/* in repair mode: no RST */
	if (inet_csk(sk)->icsk_bind_hash)
		inet_put_port(sk);
}

/* A listener's frozen children go back to its queue and die with it, as
 * silently as it does (they are in repair mode). Under the socket's lock.
 */
static void __sockmi_export_silence(struct sock *sk, struct sockmi_export *ex)
{
	if (ex->reqs)
		__sockmi_requeue(sk, ex);
	__sockmi_silence(sk);
}

static void sockmi_export_silence(struct sockmi_export *ex)
{
	struct sock *sk = sock_from_file(ex->file)->sk;

	lock_sock(sk);
	__sockmi_export_silence(sk, ex);
	release_sock(sk);
	sk_error_report(sk);
}

static bool sockmi_addr_is_local(struct net *net, u16 family,
				 const struct in6_addr *a)
{
	if (family == AF_INET)
		return inet_addr_type(net, a->s6_addr32[3]) == RTN_LOCAL;
#if IS_ENABLED(CONFIG_IPV6)
	return ipv6_addr_loopback(a) || ipv6_chk_addr(net, a, NULL, 0);
#else
	return false;
#endif
}

static void sockmi_export_free(struct sockmi_export *ex)
{
	fput(ex->file);
	sockmi_state_free(&ex->st);
	kfree(ex);
}

static int sockmi_stage_locked(struct sockmi_net *sn, struct sockmi_state *st,
			       u32 flags, bool held, struct sockmi_entry *res,
			       struct netlink_ext_ack *extack);
static int sockmi_activate_locked(struct sockmi_net *sn,
				  struct sockmi_staged *sg,
				  struct netlink_ext_ack *extack);

/* Hand-over inside this namespace: the old socket leaves the hash tables so
 * the new one can take its 4-tuple, then either the new one goes live and the
 * old one is silenced, or the old one is hashed back and thawed.
 */
static int sockmi_export_local(struct sockmi_net *sn, struct sockmi_export *ex,
			       const struct sockmi_export_req *req,
			       struct netlink_ext_ack *extack)
{
	struct sock *sk = sock_from_file(ex->file)->sk;
	struct sockmi_entry staged;
	struct sockmi_staged *sg;
	int ret;

	lock_sock(sk);
	sockmi_unhash(sk);
	release_sock(sk);

	/* The export's hold covers the new socket until it is active. */
	ret = sockmi_stage_locked(sn, &ex->st, SOCKMI_STAGE_F_PENDING, true,
				  &staged, extack);
	if (ret) {
		lock_sock(sk);
		sockmi_rehash(sk);
		release_sock(sk);
		return ret;
	}
	sockmi_export_silence(ex);
	sockmi_stat_inc(sn, SOCKMI_STATS_A_COMMITS);
	sockmi_notify(sn->net, SOCKMI_CMD_COMMIT_NOTIFY, &ex->e, req);

	sg = container_of(sockmi_find(sn, staged.id, false),
			  struct sockmi_staged, e);
	ret = sockmi_activate_locked(sn, sg, extack);
	return ret;
}

int sockmi_export(struct net *net, const struct sockmi_export_req *req,
		  struct sockmi_entry *res, struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_export *ex;
	struct socket *sock;
	struct sock *sk;
	u8 kind;
	int ret;

	ex = kzalloc(sizeof(*ex), GFP_KERNEL_ACCOUNT);
	if (!ex)
		return -ENOMEM;
	ex->file = sockmi_get_file(req->pid, req->fd, extack);
	if (IS_ERR(ex->file)) {
		ret = PTR_ERR(ex->file);
		goto err_free;
	}
	sock = sock_from_file(ex->file);
	if (!sock) {
		NL_SET_ERR_MSG(extack, "Not a socket");
		ret = -ENOTSOCK;
		goto err_fput;
	}
	ret = sockmi_check_sock(net, sock, extack);
	if (ret)
		goto err_fput;
	sk = sock->sk;

	mutex_lock(&sn->lock);
	sockmi_tuple_from_sk(sk, &ex->e.tuple);
	kind = READ_ONCE(sk->sk_state);
	ret = sockmi_check_state(kind, &ex->e.tuple, extack);
	if (ret)
		goto err_unlock;
	if (sockmi_needs_hold(kind)) {
		ret = sockmi_hold_add(sn, &ex->e.tuple);
		if (ret) {
			NL_SET_ERR_MSG(extack, "The connection is held already");
			goto err_unlock;
		}
		/* Packets that passed the hook before the hold are queued
		 * by now: the hooks and the TCP receive path they lead to
		 * run under RCU. Expedited, as a normal grace period is a
		 * good part of the pause the peer sees.
		 */
		synchronize_rcu_expedited();
	}

	lock_sock(sk);
	ret = sockmi_freeze(sk, kind, ex, extack);
	if (ret) {
		/* Not frozen: nothing to undo but the hold. */
		release_sock(sk);
		goto err_unhold;
	}
	ret = sockmi_checkpoint(sk, &ex->st);
	ex->e.tcp_state = sk->sk_state;
	release_sock(sk);
	if (ret)
		NL_SET_ERR_MSG(extack, "Cannot checkpoint the socket");
	else if (kind == TCP_LISTEN)
		ret = sockmi_freeze_children(ex, extack);
	if (ret) {
		sockmi_export_thaw(ex);
		sockmi_state_free(&ex->st);
		goto err_unhold;
	}

	sockmi_link(sn, &ex->e, SOCKMI_LIST_EXPORTING);
	ex->deadline = jiffies + READ_ONCE(sn->export_timeout) * HZ;
	if (!delayed_work_pending(&sn->expire))
		schedule_delayed_work(&sn->expire,
				      READ_ONCE(sn->export_timeout) * HZ);
	sockmi_stat_inc(sn, SOCKMI_STATS_A_EXPORTS);
	atomic64_add(ex->st.len[SOCKMI_QUEUE_RECV] + ex->st.len[SOCKMI_QUEUE_SEND],
		     &sn->stats[SOCKMI_STATS_A_BYTES]);
	*res = ex->e;

	if (req->has_to && sockmi_addr_is_local(net, req->to_family, &req->to)) {
		ret = sockmi_export_local(sn, ex, req, extack);
		res->list = sockmi_list_of(res->tcp_state);
		sockmi_unlink(sn, &ex->e);
		if (ret) {
			sockmi_export_thaw(ex);
			if (sockmi_needs_hold(kind))
				sockmi_hold_del(sn, &ex->e.tuple);
			sockmi_stat_inc(sn, SOCKMI_STATS_A_ABORTS);
		}
		mutex_unlock(&sn->lock);
		sockmi_export_free(ex);
		return ret;
	}
	mutex_unlock(&sn->lock);
	sockmi_notify(net, SOCKMI_CMD_EXPORT_NOTIFY, res, req);
	return 0;

err_unhold:
	if (sockmi_needs_hold(kind))
		sockmi_hold_del(sn, &ex->e.tuple);
err_unlock:
	mutex_unlock(&sn->lock);
err_fput:
	fput(ex->file);
err_free:
	kfree(ex);
	return ret;
}
EXPORT_SYMBOL_GPL(sockmi_export);

static struct sockmi_export *sockmi_take_export(struct sockmi_net *sn, u64 id,
						struct netlink_ext_ack *extack)
{
	struct sockmi_entry *e = sockmi_find(sn, id, true);

	if (!e) {
		NL_SET_ERR_MSG(extack, "No export with this id");
		return NULL;
	}
	sockmi_unlink(sn, e);
	return container_of(e, struct sockmi_export, e);
}

/* The hold stays after a commit: the flow's packets must not reach this
 * host's TCP, which has no socket for them any more and would reset the
 * connection, until the redirection replaces it (SOCKMI_CMD_DEL_FLOW).
 */
/* The owner keeps its descriptor while the socket is frozen, and a few calls
 * still change it: listen() or connect() on a bound socket, shutdown() on a
 * connected one. Its checkpoint is then out of date: such an export is not
 * committed, only aborted (which gives the owner what it made). Checked and
 * silenced under one hold of the socket's lock.
 */
int sockmi_commit(struct net *net, u64 id, struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_export *ex;
	struct sockmi_entry *e;
	struct sock *sk;

	mutex_lock(&sn->lock);
	e = sockmi_find(sn, id, true);
	if (!e) {
		mutex_unlock(&sn->lock);
		NL_SET_ERR_MSG(extack, "No export with this id");
		return -ENOENT;
	}
	ex = container_of(e, struct sockmi_export, e);
	sk = sock_from_file(ex->file)->sk;
	lock_sock(sk);
	if (sk->sk_state != ex->e.tcp_state) {
		release_sock(sk);
		mutex_unlock(&sn->lock);
		NL_SET_ERR_MSG(extack,
			       "The owner changed the socket after its checkpoint: abort the export");
		return -ESTALE;
	}
	sockmi_unlink(sn, e);
	__sockmi_export_silence(sk, ex);
	release_sock(sk);
	sk_error_report(sk);
	sockmi_stat_inc(sn, SOCKMI_STATS_A_COMMITS);
	mutex_unlock(&sn->lock);
	sockmi_notify(net, SOCKMI_CMD_COMMIT_NOTIFY, &ex->e, NULL);
	sockmi_export_free(ex);
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_commit);

int sockmi_abort(struct net *net, u64 id, struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_export *ex;

	mutex_lock(&sn->lock);
	ex = sockmi_take_export(sn, id, extack);
	if (ex) {
		sockmi_export_thaw(ex);
		if (sockmi_needs_hold(ex->e.tcp_state))
			sockmi_hold_del(sn, &ex->e.tuple);
		sockmi_stat_inc(sn, SOCKMI_STATS_A_ABORTS);
	}
	mutex_unlock(&sn->lock);
	if (!ex)
		return -ENOENT;
	sockmi_notify(net, SOCKMI_CMD_ABORT_NOTIFY, &ex->e, NULL);
	sockmi_export_free(ex);
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_abort);

int sockmi_with_export(struct net *net, u64 id,
		       int (*fn)(const struct sockmi_entry *e,
				 const struct sockmi_state *st, void *arg),
		       void *arg)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_entry *e;
	int ret = -ENOENT;

	mutex_lock(&sn->lock);
	e = sockmi_find(sn, id, true);
	if (e)
		ret = fn(e, &container_of(e, struct sockmi_export, e)->st, arg);
	mutex_unlock(&sn->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(sockmi_with_export);

/* @held: the flow is held already (a hand-over inside this namespace); the
 * hold then belongs to the caller until activation.
 */
static int sockmi_stage_locked(struct sockmi_net *sn, struct sockmi_state *st,
			       u32 flags, bool held, struct sockmi_entry *res,
			       struct netlink_ext_ack *extack)
{
	u8 list = sockmi_list_of(st->tcp_state);
	struct sockmi_staged *sg;
	int ret;

	if (sn->len[list] >= READ_ONCE(sn->max_len[list])) {
		NL_SET_ERR_MSG(extack, "The staging list is full (net.sockmi.max_*)");
		return -ENOSPC;
	}
	sg = kzalloc(sizeof(*sg), GFP_KERNEL_ACCOUNT);
	if (!sg)
		return -ENOMEM;
	held = held || !sockmi_needs_hold(st->tcp_state);
	ret = held ? 0 : sockmi_hold_add(sn, &st->tuple);
	if (ret) {
		NL_SET_ERR_MSG(extack, "The connection is held in this namespace");
		goto err_free;
	}
	ret = sockmi_restore(sn->net, st, &sg->sock, extack);
	if (ret)
		goto err_unhold;
	ret = sockmi_restore_children(sn->net, st, &sg->children, extack);
	if (ret) {
		sockmi_restore_discard(sg->sock);
		goto err_unhold;
	}

	/* The checkpoint moves to the staged socket. */
	sg->nchildren = st->nchildren;
	sg->st = *st;
	memset(st, 0, sizeof(*st));
	sg->e.tuple = sg->st.tuple;
	sg->e.tcp_state = sg->st.tcp_state;
	sg->e.flags = SOCKMI_STAGE_F_PENDING;
	sockmi_link(sn, &sg->e, list);
	sockmi_stat_inc(sn, SOCKMI_STATS_A_STAGES);
	*res = sg->e;

	if (!(flags & SOCKMI_STAGE_F_PENDING)) {
		ret = sockmi_activate_locked(sn, sg, extack);
		res->flags = 0;
		/* On failure the socket is gone but the state was consumed. */
		if (ret)
			return ret;
	}
	return 0;

err_unhold:
	if (!held)
		sockmi_hold_del(sn, &st->tuple);
err_free:
	kfree(sg);
	return ret;
}

static void sockmi_staged_free(struct sockmi_net *sn, struct sockmi_staged *sg)
{
	if ((sg->e.flags & SOCKMI_STAGE_F_PENDING) &&
	    sockmi_needs_hold(sg->e.tcp_state))
		sockmi_hold_del(sn, &sg->e.tuple);
	sockmi_restore_discard_children(sg->children, sg->nchildren);
	if (sg->sock)
		sockmi_restore_discard(sg->sock);
	sockmi_state_free(&sg->st);
	kfree(sg);
}

static bool sockmi_addr_any(const struct in6_addr *a)
{
	return ipv6_addr_any(a) || (ipv6_addr_v4mapped(a) && !a->s6_addr32[3]);
}

/* Each child of a staged listener goes live and into its accept queue. A
 * child that fails is dropped silently; its peer will be reset when it next
 * sends.
 */
static void sockmi_activate_children(struct sockmi_net *sn,
				     struct sockmi_staged *sg)
{
	const struct sockmi_state *cst;
	struct socket *child;
	u32 i;
	int ret;

	for (i = 0; sg->children && i < sg->nchildren; i++) {
		child = sg->children[i];
		cst = &sg->st.children[i];
		sg->children[i] = NULL;
		ret = sockmi_restore_activate(child, cst,
					      sockmi_addr_is_local(sn->net,
								   cst->tuple.family,
								   &cst->tuple.laddr));
		if (ret)
			sockmi_restore_discard(child);
		else
			ret = sockmi_restore_enqueue(sg->sock, child);
		if (ret)
			net_info_ratelimited("sockmi: a child of a listening socket could not be restored (%d), dropped\n",
					     ret);
	}
	kvfree(sg->children);
	sg->children = NULL;
	sg->nchildren = 0;
}

static int sockmi_activate_locked(struct sockmi_net *sn,
				  struct sockmi_staged *sg,
				  struct netlink_ext_ack *extack)
{
	bool local;
	int ret;

	if (!(sg->e.flags & SOCKMI_STAGE_F_PENDING)) {
		NL_SET_ERR_MSG(extack, "The socket is active already");
		return -EALREADY;
	}
	if (sockmi_needs_hold(sg->e.tcp_state))
		sockmi_hold_del(sn, &sg->e.tuple);
	sg->e.flags &= ~SOCKMI_STAGE_F_PENDING;
	local = sockmi_addr_is_local(sn->net, sg->e.tuple.family,
				     &sg->e.tuple.laddr);
	sockmi_activate_children(sn, sg);
	ret = sockmi_restore_activate(sg->sock, &sg->st,
				      local || sockmi_addr_any(&sg->e.tuple.laddr));
	sockmi_state_free(&sg->st);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot activate the staged socket");
		sockmi_unlink(sn, &sg->e);
		sockmi_staged_free(sn, sg);
		sockmi_stat_inc(sn, SOCKMI_STATS_A_STAGE_ERRORS);
		return ret;
	}
	sn->generation++;
	sockmi_notify(sn->net, SOCKMI_CMD_STAGE_NOTIFY, &sg->e, NULL);
	return 0;
}

int sockmi_stage(struct net *net, struct sockmi_state *st, u32 flags,
		 struct sockmi_entry *res, struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	int ret;

	mutex_lock(&sn->lock);
	ret = sockmi_stage_locked(sn, st, flags, false, res, extack);
	if (ret)
		sockmi_stat_inc(sn, SOCKMI_STATS_A_STAGE_ERRORS);
	mutex_unlock(&sn->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(sockmi_stage);

static struct sockmi_staged *sockmi_find_staged(struct sockmi_net *sn, u64 id,
						struct netlink_ext_ack *extack)
{
	struct sockmi_entry *e = sockmi_find(sn, id, false);

	if (!e) {
		NL_SET_ERR_MSG(extack, "No staged socket with this id");
		return NULL;
	}
	return container_of(e, struct sockmi_staged, e);
}

int sockmi_activate(struct net *net, u64 id, struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_staged *sg;
	int ret = -ENOENT;

	mutex_lock(&sn->lock);
	sg = sockmi_find_staged(sn, id, extack);
	if (sg)
		ret = sockmi_activate_locked(sn, sg, extack);
	mutex_unlock(&sn->lock);
	return ret;
}
EXPORT_SYMBOL_GPL(sockmi_activate);

int sockmi_unstage(struct net *net, u64 id, struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_staged *sg;

	mutex_lock(&sn->lock);
	sg = sockmi_find_staged(sn, id, extack);
	if (sg) {
		sockmi_unlink(sn, &sg->e);
		sockmi_stat_inc(sn, SOCKMI_STATS_A_UNSTAGES);
	}
	mutex_unlock(&sn->lock);
	if (!sg)
		return -ENOENT;
	sockmi_staged_free(sn, sg);
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_unstage);

static bool sockmi_matches(const struct sockmi_match *m,
			   const struct sockmi_entry *e)
{
	const struct sockmi_tuple *t = &e->tuple;

	if (e->flags & SOCKMI_STAGE_F_PENDING)
		return false;
	if (!(m->states & BIT(e->list)))
		return false;
	if (m->family && m->family != t->family)
		return false;
	if (m->has_laddr && !ipv6_addr_equal(&m->laddr, &t->laddr))
		return false;
	if (m->has_raddr && !ipv6_addr_equal(&m->raddr, &t->raddr))
		return false;
	if (m->lport && m->lport != t->lport)
		return false;
	return !m->rport || m->rport == t->rport;
}

int sockmi_import(struct net *net, const struct sockmi_match *m,
		  unsigned int o_flags, int *fdp, struct sockmi_entry *res,
		  struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_staged *sg = NULL;
	struct sockmi_entry *e;
	struct file *file;
	int list, fd;

	fd = get_unused_fd_flags(o_flags);
	if (fd < 0)
		return fd;

	mutex_lock(&sn->lock);
	for (list = 0; list < SOCKMI_LIST_EXPORTING && !sg; list++)
		list_for_each_entry(e, &sn->lists[list], node)
			if (sockmi_matches(m, e)) {
				sg = container_of(e, struct sockmi_staged, e);
				break;
			}
	if (!sg) {
		mutex_unlock(&sn->lock);
		put_unused_fd(fd);
		NL_SET_ERR_MSG(extack, "No staged socket matches");
		return -EAGAIN;
	}
	file = sock_alloc_file(sg->sock, o_flags & O_CLOEXEC, NULL);
	if (IS_ERR(file)) {
		/* sock_alloc_file() released the socket. */
		sg->sock = NULL;
		sockmi_unlink(sn, &sg->e);
		mutex_unlock(&sn->lock);
		put_unused_fd(fd);
		sockmi_staged_free(sn, sg);
		return PTR_ERR(file);
	}
	sockmi_unlink(sn, &sg->e);
	sockmi_stat_inc(sn, SOCKMI_STATS_A_IMPORTS);
	mutex_unlock(&sn->lock);

	fd_install(fd, file);
	*fdp = fd;
	*res = sg->e;
	sockmi_notify(net, SOCKMI_CMD_IMPORT_NOTIFY, &sg->e, NULL);
	kfree(sg);
	return 0;
}
EXPORT_SYMBOL_GPL(sockmi_import);

/* Abort the exports nobody committed or aborted in time. */
static void sockmi_expire(struct work_struct *work)
{
	struct sockmi_net *sn = container_of(to_delayed_work(work),
					     struct sockmi_net, expire);
	unsigned long next = 0;
	struct sockmi_entry *e, *tmp;
	struct sockmi_export *ex;
	LIST_HEAD(expired);

	mutex_lock(&sn->lock);
	list_for_each_entry_safe(e, tmp, &sn->lists[SOCKMI_LIST_EXPORTING],
				 node) {
		ex = container_of(e, struct sockmi_export, e);
		if (time_before(jiffies, ex->deadline)) {
			if (!next || time_before(ex->deadline, next))
				next = ex->deadline;
			continue;
		}
		sockmi_unlink(sn, e);
		sockmi_export_thaw(ex);
		if (sockmi_needs_hold(e->tcp_state))
			sockmi_hold_del(sn, &e->tuple);
		sockmi_stat_inc(sn, SOCKMI_STATS_A_ABORTS);
		list_add(&e->node, &expired);
	}
	if (next)
		schedule_delayed_work(&sn->expire, next - jiffies);
	mutex_unlock(&sn->lock);

	list_for_each_entry_safe(e, tmp, &expired, node) {
		net_info_ratelimited("sockmi: export %llu not committed in time, aborted\n",
				     e->id);
		sockmi_notify(sn->net, SOCKMI_CMD_ABORT_NOTIFY, e, NULL);
		sockmi_export_free(container_of(e, struct sockmi_export, e));
	}
}

void sockmi_engine_init(struct sockmi_net *sn)
{
	INIT_DELAYED_WORK(&sn->expire, sockmi_expire);
}

/* The namespace or the module goes: thaw exports, drop staged sockets. */
void sockmi_engine_exit(struct sockmi_net *sn)
{
	struct sockmi_entry *e, *tmp;
	int list;

	cancel_delayed_work_sync(&sn->expire);
	mutex_lock(&sn->lock);
	list_for_each_entry_safe(e, tmp, &sn->lists[SOCKMI_LIST_EXPORTING],
				 node) {
		struct sockmi_export *ex = container_of(e, struct sockmi_export,
							e);

		sockmi_unlink(sn, e);
		sockmi_export_thaw(ex);
		sockmi_export_free(ex);
	}
	for (list = 0; list < SOCKMI_LIST_EXPORTING; list++)
		list_for_each_entry_safe(e, tmp, &sn->lists[list], node) {
			struct sockmi_staged *sg;

			sg = container_of(e, struct sockmi_staged, e);
			sockmi_unlink(sn, e);
			sockmi_staged_free(sn, sg);
		}
	mutex_unlock(&sn->lock);
}
