// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl import [state bound|listen|connected] [local ADDR[:PORT]]
 *	[remote ADDR[:PORT]] [timeout MS] [--stdio] -- CMD...
 *
 * Reserved: it needs SOCKMI_CMD_IMPORT, which sockmi.ko does not provide
 * yet.
 */

#include "sockmictl.h"

int sockmictl_import(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	(void)argc;
	(void)argv;
	sockmictl_error(ctx, "not implemented yet");
	return SOCKMICTL_FAILED;
}
