// SPDX-License-Identifier: GPL-2.0
/*
 * libxt_SOCKMI: the iptables and ip6tables extension of the SOCKMI target
 * (net/netfilter/xt_SOCKMI.c), for the legacy and the nft backends.
 *
 *   iptables -t raw -A PREROUTING -j SOCKMI [--set-mark value[/mask]]
 *
 * Revision 1 carries the options; revision 0 is the bare target, used when
 * the kernel module knows nothing newer.
 */

#include <stdio.h>
#include <xtables.h>
#include <linux/netfilter/xt_SOCKMI.h>

enum {
	O_SET_MARK,
};

static const struct xt_option_entry sockmi_opts_v1[] = {
	{
		.name = "set-mark",
		.id = O_SET_MARK,
		.type = XTTYPE_MARKMASK32,
	},
	XTOPT_TABLEEND,
};

static void sockmi_help_v0(void)
{
	printf("SOCKMI target: no options. Redirects the packets of migrated\n"
	       "TCP flows; valid in the raw table's PREROUTING chain.\n");
}

static void sockmi_help_v1(void)
{
	printf("SOCKMI target options:\n"
	       "  --set-mark value[/mask]  mark the packets of migrated flows\n"
	       "                           this rule handles (before routing)\n"
	       "Valid in the raw table's PREROUTING chain.\n");
}

static void sockmi_parse_v1(struct xt_option_call *cb)
{
	struct xt_sockmi_tginfo1 *info = cb->data;

	xtables_option_parse(cb);
	switch (cb->entry->id) {
	case O_SET_MARK:
		info->flags |= XT_SOCKMI_F_SET_MARK;
		info->mark = cb->val.mark;
		info->mask = cb->val.mask;
		break;
	}
}

/* "0x1" for a full mask, else "0x1/0xff": what --set-mark takes back. */
static void sockmi_print_mark(const struct xt_sockmi_tginfo1 *info,
			      const char *prefix)
{
	if (!(info->flags & XT_SOCKMI_F_SET_MARK))
		return;
	printf(" %sset-mark 0x%x", prefix, info->mark);
	if (info->mask != 0xffffffffU)
		printf("/0x%x", info->mask);
}

static void sockmi_print_v1(const void *ip, const struct xt_entry_target *target,
			    int numeric)
{
	(void)ip;
	(void)numeric;
	sockmi_print_mark((const void *)target->data, "");
}

static void sockmi_save_v1(const void *ip, const struct xt_entry_target *target)
{
	(void)ip;
	sockmi_print_mark((const void *)target->data, "--");
}

static struct xtables_target sockmi_tg_reg[] = {
	{
		.version = XTABLES_VERSION,
		.name = "SOCKMI",
		.revision = 0,
		.family = NFPROTO_UNSPEC,
		.size = XT_ALIGN(sizeof(struct xt_sockmi_tginfo)),
		.userspacesize = XT_ALIGN(sizeof(struct xt_sockmi_tginfo)),
		.help = sockmi_help_v0,
	},
	{
		.version = XTABLES_VERSION,
		.name = "SOCKMI",
		.revision = 1,
		.family = NFPROTO_UNSPEC,
		.size = XT_ALIGN(sizeof(struct xt_sockmi_tginfo1)),
		.userspacesize = XT_ALIGN(sizeof(struct xt_sockmi_tginfo1)),
		.help = sockmi_help_v1,
		.print = sockmi_print_v1,
		.save = sockmi_save_v1,
		.x6_parse = sockmi_parse_v1,
		.x6_options = sockmi_opts_v1,
	},
};

static void __attribute__((constructor)) sockmi_tg_init(void)
{
	xtables_register_targets(sockmi_tg_reg,
				 sizeof(sockmi_tg_reg) / sizeof(sockmi_tg_reg[0]));
}
