// SPDX-License-Identifier: GPL-2.0
/*
 * sockmi.ko: live migration of TCP sockets. This file only sets up and tears
 * down the per network namespace state; see sockmi.h.
 */

#include <linux/module.h>
#include <net/netns/generic.h>

#include "sockmi.h"

static unsigned int sockmi_net_id __read_mostly;

struct sockmi_net *sockmi_net(const struct net *net)
{
	return net_generic(net, sockmi_net_id);
}
EXPORT_SYMBOL_GPL(sockmi_net);

u64 sockmi_stat_read(struct sockmi_net *sn, enum sockmi_stats_attr attr)
{
	u64 val;

	switch (attr) {
	case SOCKMI_STATS_A_EXPORTING:
	case SOCKMI_STATS_A_STAGED_BOUND:
	case SOCKMI_STATS_A_STAGED_LISTEN:
	case SOCKMI_STATS_A_STAGED_CONNECTED:
		mutex_lock(&sn->lock);
		if (attr == SOCKMI_STATS_A_EXPORTING)
			val = sn->len[SOCKMI_LIST_EXPORTING];
		else
			val = sn->len[attr - SOCKMI_STATS_A_STAGED_BOUND +
				      SOCKMI_LIST_BOUND];
		mutex_unlock(&sn->lock);
		return val;
	default:
		return atomic64_read(&sn->stats[attr]);
	}
}
EXPORT_SYMBOL_GPL(sockmi_stat_read);

static int __net_init sockmi_net_init(struct net *net)
{
	struct sockmi_net *sn = sockmi_net(net);
	int i, ret;

	sn->net = net;
	mutex_init(&sn->lock);
	for (i = 0; i < __SOCKMI_LIST_MAX; i++)
		INIT_LIST_HEAD(&sn->lists[i]);
	for (i = 0; i < SOCKMI_NR_LIMITED_LISTS; i++)
		sn->max_len[i] = SOCKMI_DEFAULT_MAX_LEN;
	sn->next_id = 1;
	sn->export_timeout = SOCKMI_DEFAULT_EXPORT_TIMEOUT;
	sockmi_engine_init(sn);

	ret = sockmi_hold_init(sn);
	if (ret)
		return ret;
	ret = sockmi_sysctl_init(sn);
	if (ret)
		goto err_hold;
	return 0;

err_hold:
	sockmi_hold_exit(sn);
	return ret;
}

static void __net_exit sockmi_net_exit(struct net *net)
{
	struct sockmi_net *sn = sockmi_net(net);
	int i;

	sockmi_sysctl_exit(sn);
	sockmi_engine_exit(sn);
	sockmi_hold_exit(sn);
	for (i = 0; i < __SOCKMI_LIST_MAX; i++)
		WARN_ON_ONCE(!list_empty(&sn->lists[i]));
	mutex_destroy(&sn->lock);
}

static struct pernet_operations sockmi_net_ops = {
	.init = sockmi_net_init,
	.exit = sockmi_net_exit,
	.id = &sockmi_net_id,
	.size = sizeof(struct sockmi_net),
};

static int __init sockmi_init(void)
{
	return register_pernet_subsys(&sockmi_net_ops);
}

static void __exit sockmi_exit(void)
{
	unregister_pernet_subsys(&sockmi_net_ops);
}

module_init(sockmi_init);
module_exit(sockmi_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("SockMi: live migration of TCP sockets");
MODULE_AUTHOR("The SockMi developers");
