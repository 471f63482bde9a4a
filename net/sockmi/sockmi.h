/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal interface of sockmi.ko, used by sockmi_genl.ko and xt_SOCKMI.ko.
 */

#ifndef _NET_SOCKMI_SOCKMI_H
#define _NET_SOCKMI_SOCKMI_H

#include <linux/atomic.h>
#include <linux/in6.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <uapi/linux/sockmi.h>

struct ctl_table_header;

/* Number of lists that have a sysctl-controlled maximum length. */
#define SOCKMI_NR_LIMITED_LISTS (SOCKMI_LIST_CONNECTED + 1)
#define SOCKMI_DEFAULT_MAX_LEN 1024
#define SOCKMI_LIMIT_MAX_LEN (1024 * 1024)
#define SOCKMI_HOLD_BUCKETS 256
/* Seconds before an export that is neither committed nor aborted is aborted. */
#define SOCKMI_DEFAULT_EXPORT_TIMEOUT 60

/**
 * struct sockmi_net - per network namespace state
 * @net: the namespace this belongs to
 * @lock: protects @lists, @len, @next_id and @generation
 * @lists: staged sockets by list, and exports in progress
 * @len: length of each of @lists
 * @max_len: maximum length of the bound, listen and connected lists
 *	(net.sockmi.max_bound, max_listen, max_connected)
 * @next_id: id of the next export or staged socket, never reused
 * @generation: bumped on every change of @lists, for dump consistency
 * @stats: counters, indexed by enum sockmi_stats_attr
 * @export_timeout: net.sockmi.export_timeout, seconds
 * @expire: aborts the exports that outlived @export_timeout
 * @sysctl: the namespace's net.sockmi sysctl table
 * @hold_lock: protects changes of @holds (readers use RCU)
 * @nr_holds: number of entries in @holds, the hooks' fast path
 * @nr_wild: how many of them are a listening socket's (no remote end)
 * @holds: hash table of held flows, see hold.c
 */
struct sockmi_net {
	struct net *net;
	struct mutex lock;		/* see @lock */
	struct list_head lists[__SOCKMI_LIST_MAX];
	unsigned int len[__SOCKMI_LIST_MAX];
	int max_len[SOCKMI_NR_LIMITED_LISTS];
	u64 next_id;
	u32 generation;
	atomic64_t stats[__SOCKMI_STATS_A_MAX];
	int export_timeout;
	struct delayed_work expire;
	struct ctl_table_header *sysctl;
	spinlock_t hold_lock;		/* see @hold_lock */
	atomic_t nr_holds;
	atomic_t nr_wild;
	struct hlist_head holds[SOCKMI_HOLD_BUCKETS];
};

/**
 * struct sockmi_entry - an element of one of the lists of a namespace
 * @node: link in sockmi_net.lists[@list]
 * @id: export or stage id
 * @list: enum sockmi_list
 * @tcp_state: TCP_ESTABLISHED, TCP_LISTEN, ...
 * @flags: enum sockmi_stage_flags
 * @tuple: local and remote address of the socket
 */
struct sockmi_entry {
	struct list_head node;
	u64 id;
	u8 list;
	u8 tcp_state;
	u32 flags;
	struct sockmi_tuple {
		u16 family;
		__be16 lport;
		__be16 rport;
		struct in6_addr laddr;	/* v4: ipv6_addr_set_v4mapped() */
		struct in6_addr raddr;
	} tuple;
};

struct sockmi_net *sockmi_net(const struct net *net);

static inline void sockmi_stat_inc(struct sockmi_net *sn,
				   enum sockmi_stats_attr attr)
{
	atomic64_inc(&sn->stats[attr]);
}

/* Current value of a counter or gauge of enum sockmi_stats_attr. */
u64 sockmi_stat_read(struct sockmi_net *sn, enum sockmi_stats_attr attr);

int sockmi_sysctl_init(struct sockmi_net *sn);
void sockmi_sysctl_exit(struct sockmi_net *sn);

int sockmi_hold_init(struct sockmi_net *sn);
void sockmi_hold_exit(struct sockmi_net *sn);
int sockmi_hold_add(struct sockmi_net *sn, const struct sockmi_tuple *t);
int sockmi_hold_del(struct sockmi_net *sn, const struct sockmi_tuple *t);
unsigned long sockmi_hold_walk(struct sockmi_net *sn, unsigned long skip,
			       int (*fn)(const struct sockmi_tuple *t,
					 u64 packets, void *arg),
			       void *arg);

struct sockmi_state;

/**
 * struct sockmi_event - what a *_NOTIFY message carries
 * @cmd: SOCKMI_CMD_*_NOTIFY
 * @id: export or stage id
 * @tcp_state: state of the socket
 * @tuple: the socket's addresses
 * @to: target of an export, when @has_to
 * @to_family: family of @to
 * @has_to: an export named its target
 */
struct sockmi_event {
	u8 cmd;
	u8 tcp_state;
	bool has_to;
	u16 to_family;
	u64 id;
	struct sockmi_tuple tuple;
	struct in6_addr to;
};

/**
 * struct sockmi_notifier - who hears of events; set by sockmi_genl.ko
 * @notify: called under RCU, must not sleep
 */
struct sockmi_notifier {
	void (*notify)(struct net *net, const struct sockmi_event *ev);
};

void sockmi_set_notifier(const struct sockmi_notifier *n);

/**
 * struct sockmi_export_req - what to export
 * @pid: owner of @fd, 0 for the caller
 * @fd: the socket's descriptor in @pid
 * @has_to: @to is given
 * @to_family: AF_INET or AF_INET6
 * @to: target host (v4-mapped for AF_INET)
 */
struct sockmi_export_req {
	pid_t pid;
	int fd;
	bool has_to;
	u16 to_family;
	struct in6_addr to;
};

int sockmi_parse_export(char *buf, struct sockmi_export_req *req);
int sockmi_export(struct net *net, const struct sockmi_export_req *req,
		  struct sockmi_entry *res, struct netlink_ext_ack *extack);
int sockmi_commit(struct net *net, u64 id, struct netlink_ext_ack *extack);
int sockmi_abort(struct net *net, u64 id, struct netlink_ext_ack *extack);

/* Call @fn with the checkpoint of export @id, under the namespace's lock. */
int sockmi_with_export(struct net *net, u64 id,
		       int (*fn)(const struct sockmi_entry *e,
				 const struct sockmi_state *st, void *arg),
		       void *arg);

int sockmi_stage(struct net *net, struct sockmi_state *st, u32 flags,
		 struct sockmi_entry *res, struct netlink_ext_ack *extack);
int sockmi_activate(struct net *net, u64 id, struct netlink_ext_ack *extack);
int sockmi_unstage(struct net *net, u64 id, struct netlink_ext_ack *extack);

/**
 * struct sockmi_match - import criteria; zero ports and families match all
 * @states: enum sockmi_state_mask
 * @family: AF_INET, AF_INET6 or 0
 * @has_laddr: match @laddr
 * @has_raddr: match @raddr
 * @laddr, @raddr: addresses, v4-mapped for AF_INET
 * @lport, @rport: ports, network byte order
 */
struct sockmi_match {
	u32 states;
	u16 family;
	bool has_laddr, has_raddr;
	struct in6_addr laddr, raddr;
	__be16 lport, rport;
};

int sockmi_import(struct net *net, const struct sockmi_match *m,
		  unsigned int o_flags, int *fd, struct sockmi_entry *res,
		  struct netlink_ext_ack *extack);
void sockmi_engine_init(struct sockmi_net *sn);
void sockmi_engine_exit(struct sockmi_net *sn);

/* ---- Redirection flows: the table of xt_SOCKMI.ko (flow.c, genl.c) ---- */

/**
 * struct sockmi_flow - a flow of xt_SOCKMI's table, as the genl family sees it
 * @tuple: the connection as its socket sees it: the local address is the
 *	one the peer talks to (the exporter's), on every host
 * @action: enum sockmi_flow_action, never SOCKMI_FLOW_HOLD (see hold.c)
 * @via: the importer's address (REDIRECT, ANSWER_AS), v4-mapped for IPv4
 * @packets: packets of the flow the table has handled (dumps only)
 * @bytes: their bytes (dumps only)
 */
struct sockmi_flow {
	struct sockmi_tuple tuple;
	u8 action;
	struct in6_addr via;
	u64 packets;
	u64 bytes;
};

/* For &sockmi_flow_ops.del: whatever the flow's action. */
#define SOCKMI_FLOW_ANY (-1)

/**
 * struct sockmi_flow_ops - what xt_SOCKMI.ko offers; all may sleep
 * @owner: the module, pinned by sockmi_flow_ops_get()
 * @add: enter @f; -EEXIST when its tuple has a flow already, unless @replace
 * @del: remove the flow of @t if its action is @action (or SOCKMI_FLOW_ANY);
 *	-ENOENT when there is none
 * @forget: delete this namespace's conntrack entries of @t, by exact tuple
 * @walk: call @fn for each flow from the @skip-th on until it returns
 *	non-zero; sets @generation before the first call of @fn; returns
 *	the number of flows passed
 */
struct sockmi_flow_ops {
	struct module *owner;
	int (*add)(struct net *net, const struct sockmi_flow *f, bool replace,
		   struct netlink_ext_ack *extack);
	int (*del)(struct net *net, const struct sockmi_tuple *t, int action,
		   struct netlink_ext_ack *extack);
	void (*forget)(struct net *net, const struct sockmi_tuple *t);
	unsigned long (*walk)(struct net *net, unsigned long skip,
			      u32 *generation,
			      int (*fn)(const struct sockmi_flow *f, void *arg),
			      void *arg);
};

int sockmi_set_flow_ops(const struct sockmi_flow_ops *ops);
const struct sockmi_flow_ops *sockmi_flow_ops_get(void);
void sockmi_flow_ops_put(const struct sockmi_flow_ops *ops);

/* ---- end of the redirection flows ---- */

#endif /* _NET_SOCKMI_SOCKMI_H */
