// SPDX-License-Identifier: GPL-2.0
/*
 * export_socket(): freeze a TCP socket and hand it over
 * (SOCKMI_CMD_EXPORT).
 */

#include <errno.h>
#include <string.h>

#include <netlink/attr.h>

#include "internal.h"

#define SOCKMI_EXPORT __attribute__((visibility("default")))

struct sockmi_lib_export_reply {
	struct sockmi_msg *m;
	const char *why;
};

static int sockmi_lib_export_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmi_lib_export_reply *r = arg;
	int ret;

	ret = sockmi_msg_parse(nlh, r->m, &r->why);
	if (ret)
		return ret;
	if (!sockmi_msg_has(r->m, SOCKMI_A_ID)) {
		r->why = "no export id (SOCKMI_A_ID)";
		return -EBADMSG;
	}
	return 0;
}

int sockmi_lib_export(struct sockmi_nl *nl, uint32_t pid, uint32_t fd,
		      const struct sockmi_addr *to, struct sockmi_msg *reply,
		      struct sockmi_nl_error *e)
{
	struct sockmi_lib_export_reply r = { .m = reply };
	struct nl_msg *msg;
	int ret;

	memset(reply, 0, sizeof(*reply));
	memset(e, 0, sizeof(*e));
	msg = sockmi_nl_msg_new(nl, SOCKMI_CMD_EXPORT, 0);
	if (!msg || nla_put_u32(msg, SOCKMI_A_FD, fd) ||
	    (pid && nla_put_u32(msg, SOCKMI_A_PID, pid)) ||
	    (to && sockmi_put_addr(msg, SOCKMI_A_TO, to))) {
		nlmsg_free(msg);
		e->err = ENOMEM;
		snprintf(e->msg, sizeof(e->msg), "out of memory");
		return -ENOMEM;
	}
	ret = sockmi_nl_request(nl, msg, sockmi_lib_export_msg, &r, e);
	nlmsg_free(msg);
	if (ret && !e->kernel && r.why)
		snprintf(e->msg, sizeof(e->msg),
			 "malformed reply from the kernel: %s", r.why);
	else if (!ret && !sockmi_msg_has(reply, SOCKMI_A_ID)) {
		e->err = EBADMSG;
		snprintf(e->msg, sizeof(e->msg),
			 "the kernel sent no export id");
		ret = -EBADMSG;
	}
	return ret;
}

SOCKMI_EXPORT int export_socket(int pid, int fd, int af, const void *to)
{
	struct sockmi_nl_error e;
	struct sockmi_addr addr;
	struct sockmi_msg reply;
	struct sockmi_nl *nl;
	int ret;

	if (pid == 0)
		return sockmi_lib_fail(EINVAL,
				       "pid 0 is no process: -1 exports the caller's own descriptor");
	if (fd < 0)
		return sockmi_lib_fail(EBADF, "fd %d is no descriptor", fd);
	if (to) {
		memset(&addr, 0, sizeof(addr));
		if (af == AF_INET)
			memcpy(&addr.in, to, sizeof(addr.in));
		else if (af == AF_INET6)
			memcpy(&addr.in6, to, sizeof(addr.in6));
		else
			return sockmi_lib_fail(EAFNOSUPPORT,
					       "address family %d: AF_INET or AF_INET6 expected",
					       af);
		addr.family = (sa_family_t)af;
	}

	if (sockmi_nl_open(&nl, &e))
		return sockmi_lib_fail_nl(&e);
	ret = sockmi_lib_export(nl, pid < 0 ? 0 : (uint32_t)pid, (uint32_t)fd,
				to ? &addr : NULL, &reply, &e);
	sockmi_nl_close(nl);
	if (ret)
		return sockmi_lib_fail_nl(&e);
	return 0;
}
