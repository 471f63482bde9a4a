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
#include "state.h"

/**
 * struct sockmi_export - a socket frozen for export
 * @e: list entry, on SOCKMI_LIST_EXPORTING
 * @file: the owner's file, referenced until commit or abort
 * @deadline: when the export is aborted if nobody committed it (jiffies)
 * @st: its checkpoint
 */
struct sockmi_export {
	struct sockmi_entry e;
	struct file *file;
	unsigned long deadline;
	struct sockmi_state st;
};

/**
 * struct sockmi_staged - a socket rebuilt here, waiting for an importer
 * @e: list entry, on the list of its state
 * @sock: the socket, owned by us until imported
 * @st: its checkpoint, kept until activation sends the unsent bytes
 */
struct sockmi_staged {
	struct sockmi_entry e;
	struct socket *sock;
	struct sockmi_state st;
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
	unsigned int n = fd;
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
	rcu_read_lock();
	file = task_lookup_next_fd_rcu(task, &n);
	if (file && (n != fd || !get_file_rcu(file)))
		file = NULL;
	rcu_read_unlock();
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

/* Stop everything the socket would do on its own; under its lock. */
static int sockmi_freeze(struct sock *sk, struct netlink_ext_ack *extack)
{
	struct tcp_sock *tp = tcp_sk(sk);

	if (tp->repair) {
		NL_SET_ERR_MSG(extack, "The socket is being exported or repaired already");
		return -EBUSY;
	}
	if (!((1 << sk->sk_state) & SOCKMI_TCPF_CONNECTED)) {
		NL_SET_ERR_MSG(extack, "Only connected sockets can be exported yet");
		return -EOPNOTSUPP;
	}
	/* Whatever got past the hold before it started is processed now. */
	__sk_flush_backlog(sk);
	tp->repair = 1;
	tp->repair_queue = TCP_NO_QUEUE;
	tcp_clear_xmit_timers(sk);
	inet_csk_delete_keepalive_timer(sk);
	return 0;
}

static void sockmi_thaw(struct sock *sk)
{
	struct tcp_sock *tp = tcp_sk(sk);

	lock_sock(sk);
	tp->repair = 0;
	if (tp->packets_out)
		inet_csk_reset_xmit_timer(sk, ICSK_TIME_RETRANS,
					  inet_csk(sk)->icsk_rto, TCP_RTO_MAX);
	if (sock_flag(sk, SOCK_KEEPOPEN))
		inet_csk_reset_keepalive_timer(sk, keepalive_time_when(tp));
	/* Tell the peer where we are; it may have retransmitted meanwhile. */
	if (sk->sk_state != TCP_CLOSE)
		__tcp_send_ack(sk, tp->rcv_nxt);
	release_sock(sk);
}

/* Destroy a frozen socket without a packet. Its owner's descriptor stays
 * valid: the first call on it fails with ECONNABORTED, then reads fail with
 * EPERM and writes with EPIPE, as for a socket left in repair mode, which it
 * is; closing it sends nothing.
 */
static void sockmi_silence(struct sock *sk)
{
	lock_sock(sk);
	tcp_disconnect(sk, 0);	/* in repair mode: no RST */
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
	inet_unhash(sk);
	release_sock(sk);

	/* The export's hold covers the new socket until it is active. */
	ret = sockmi_stage_locked(sn, &ex->st, SOCKMI_STAGE_F_PENDING, true,
				  &staged, extack);
	if (ret) {
		lock_sock(sk);
		inet_ehash_nolisten(sk, NULL, NULL);
		release_sock(sk);
		return ret;
	}
	sockmi_silence(sk);
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
	ret = sockmi_hold_add(sn, &ex->e.tuple);
	if (ret) {
		NL_SET_ERR_MSG(extack, "The connection is held already");
		goto err_unlock;
	}
	/* Packets that passed the hook before the hold are queued by now. */
	synchronize_net();

	lock_sock(sk);
	ret = sockmi_freeze(sk, extack);
	if (ret) {
		/* Not frozen: nothing to undo but the hold. */
		release_sock(sk);
		goto err_unhold;
	}
	ret = sockmi_checkpoint(sk, &ex->st);
	ex->e.tcp_state = sk->sk_state;
	release_sock(sk);
	if (ret) {
		NL_SET_ERR_MSG(extack, "Cannot checkpoint the socket");
		sockmi_thaw(sk);
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
			sockmi_thaw(sk);
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
int sockmi_commit(struct net *net, u64 id, struct netlink_ext_ack *extack)
{
	struct sockmi_net *sn = sockmi_net(net);
	struct sockmi_export *ex;

	mutex_lock(&sn->lock);
	ex = sockmi_take_export(sn, id, extack);
	if (ex) {
		sockmi_silence(sock_from_file(ex->file)->sk);
		sockmi_stat_inc(sn, SOCKMI_STATS_A_COMMITS);
	}
	mutex_unlock(&sn->lock);
	if (!ex)
		return -ENOENT;
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
		sockmi_thaw(sock_from_file(ex->file)->sk);
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
	ret = held ? 0 : sockmi_hold_add(sn, &st->tuple);
	if (ret) {
		NL_SET_ERR_MSG(extack, "The connection is held in this namespace");
		goto err_free;
	}
	ret = sockmi_restore(sn->net, st, &sg->sock, extack);
	if (ret)
		goto err_unhold;

	/* The checkpoint moves to the staged socket. */
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
	if (sg->e.flags & SOCKMI_STAGE_F_PENDING)
		sockmi_hold_del(sn, &sg->e.tuple);
	if (sg->sock)
		sockmi_restore_discard(sg->sock);
	sockmi_state_free(&sg->st);
	kfree(sg);
}

static int sockmi_activate_locked(struct sockmi_net *sn,
				  struct sockmi_staged *sg,
				  struct netlink_ext_ack *extack)
{
	int ret;

	if (!(sg->e.flags & SOCKMI_STAGE_F_PENDING)) {
		NL_SET_ERR_MSG(extack, "The socket is active already");
		return -EALREADY;
	}
	sockmi_hold_del(sn, &sg->e.tuple);
	sg->e.flags &= ~SOCKMI_STAGE_F_PENDING;
	ret = sockmi_restore_activate(sg->sock, &sg->st,
				      sockmi_addr_is_local(sn->net,
							   sg->e.tuple.family,
							   &sg->e.tuple.laddr));
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
		sockmi_thaw(sock_from_file(ex->file)->sk);
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
		sockmi_thaw(sock_from_file(ex->file)->sk);
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
