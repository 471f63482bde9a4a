// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the string written to net.sockmi.export,
 * "pid=P fd=F [to=ADDR]", parsed by the kernel's own sockmi_parse_export()
 * (net/sockmi/sysctl.c, compiled in user space through sysctl_shim.h; see
 * the Makefile).  Like the sysctl handler, inputs over 256 bytes are
 * refused before parsing.  What parses must be a valid request.
 */

#include <stdio.h>
#include <stdlib.h>

#include "sysctl_shim.h"
#include "sysctl_export.gen.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct sockmi_export_req req;
	char *buf;
	int ret;

	if (size > 256)
		return 0;
	buf = malloc(size + 1);		/* as kmemdup_nul() */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	ret = sockmi_parse_export(buf, &req);
	free(buf);
	if (ret && ret != -EINVAL)
		abort();
	if (!ret && (req.pid <= 0 || req.fd < 0 ||
		     (req.has_to && req.to_family != AF_INET &&
		      req.to_family != AF_INET6)))
		abort();
	return 0;
}
