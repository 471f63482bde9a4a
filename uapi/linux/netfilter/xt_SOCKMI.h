/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xt_SOCKMI: the xtables target that redirects the packets of migrated TCP
 * flows. One rule per address family serves every flow: the flows themselves
 * live in a per network namespace hash table managed through the "sockmi"
 * generic netlink family (SOCKMI_CMD_NEW_FLOW, see linux/sockmi.h).
 *
 * The target is valid in the raw table's PREROUTING chain only, where it runs
 * before connection tracking:
 *
 *    iptables -t raw -A PREROUTING -j SOCKMI
 *    ip6tables -t raw -A PREROUTING -j SOCKMI
 *
 * Packets that belong to no flow continue through the chain untouched.
 * Redirected packets (REDIRECT) are sent on by the target and go no further
 * here; answered ones (ANSWER_AS) and taken-over ones continue.
 */

#ifndef _UAPI_XT_SOCKMI_H
#define _UAPI_XT_SOCKMI_H

#include <linux/types.h>

/* Revision 0: no options. Unknown bits are rejected by checkentry. */
enum xt_sockmi_flags {
	__XT_SOCKMI_F_ALL = 0
};

struct xt_sockmi_tginfo {
	__u32 flags;
};

/* Revision 1. Unknown bits are rejected by checkentry. */
enum xt_sockmi_flags1 {
	/* --set-mark: skb->mark = (skb->mark & ~mask) ^ mark, for every
	 * packet of a flow the rule handles, before any route lookup.
	 */
	XT_SOCKMI_F_SET_MARK = 1U << 0,
	__XT_SOCKMI_F1_ALL = XT_SOCKMI_F_SET_MARK
};

struct xt_sockmi_tginfo1 {
	__u32 flags;
	__u32 mark;
	__u32 mask;
};

#endif /* _UAPI_XT_SOCKMI_H */
