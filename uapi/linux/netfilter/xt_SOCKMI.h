/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * xt_SOCKMI: the xtables target that redirects the packets of migrated TCP
 * flows. One rule per hook serves every flow: the flows themselves live in a
 * per network namespace hash table managed through the "sockmi" generic
 * netlink family (SOCKMI_CMD_NEW_FLOW, see linux/sockmi.h).
 */

#ifndef _UAPI_XT_SOCKMI_H
#define _UAPI_XT_SOCKMI_H

#include <linux/types.h>

/* Unknown bits are rejected by checkentry. */
enum xt_sockmi_flags {
	__XT_SOCKMI_F_ALL = 0
};

struct xt_sockmi_tginfo {
	__u32 flags;
};

#endif /* _UAPI_XT_SOCKMI_H */
