// SPDX-License-Identifier: GPL-2.0
/*
 * The net.sockmi sysctl table, one per network namespace.
 */

#include <linux/slab.h>
#include <linux/sysctl.h>

#include "sockmi.h"

static int sockmi_len_max = SOCKMI_LIMIT_MAX_LEN;

static const struct ctl_table sockmi_sysctl_template[] = {
	{
		.procname = "max_bound",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
		.extra2 = &sockmi_len_max,
	},
	{
		.procname = "max_listen",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
		.extra2 = &sockmi_len_max,
	},
	{
		.procname = "max_connected",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
		.extra2 = &sockmi_len_max,
	},
	{ }
};

int sockmi_sysctl_init(struct sockmi_net *sn)
{
	struct ctl_table *table;
	int i;

	table = kmemdup(sockmi_sysctl_template, sizeof(sockmi_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;

	/* The first entries follow enum sockmi_list. */
	for (i = 0; i < SOCKMI_NR_LIMITED_LISTS; i++)
		table[i].data = &sn->max_len[i];

	sn->sysctl = register_net_sysctl(sn->net, "net/sockmi", table);
	if (!sn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void sockmi_sysctl_exit(struct sockmi_net *sn)
{
	struct ctl_table *table = sn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(sn->sysctl);
	kfree(table);
}
