// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the decoder of the kernel's replies and events,
 * sockmi_msg_parse() (userland/common/proto.c), which sockmictl, libsockmi
 * and sockmid run on every message of the "sockmi" family.  The input is
 * what follows the nlmsghdr: a genlmsghdr and attributes.
 */

#include <stdlib.h>
#include <string.h>

#include <netlink/msg.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct nlmsghdr *nlh;
	struct sockmi_msg m;
	const char *why;

	if (size > 65536)
		return 0;
	nlh = malloc(NLMSG_HDRLEN + size);
	if (!nlh)
		return 0;
	memset(nlh, 0, NLMSG_HDRLEN);
	nlh->nlmsg_len = (uint32_t)(NLMSG_HDRLEN + size);
	nlh->nlmsg_type = 0x20;
	memcpy((char *)nlh + NLMSG_HDRLEN, data, size);
	why = NULL;
	if (sockmi_msg_parse(nlh, &m, &why) && (!why || !*why))
		abort();
	free(nlh);
	return 0;
}
