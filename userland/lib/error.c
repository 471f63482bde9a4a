// SPDX-License-Identifier: GPL-2.0
/*
 * Errors of libsockmi: errno, the calling thread's last error message and
 * what each errno means for SockMi.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define SOCKMI_EXPORT __attribute__((visibility("default")))

/* The only state the library keeps, one per thread. */
static _Thread_local char sockmi_lib_last[SOCKMI_LIB_ERRLEN];
static _Thread_local char sockmi_lib_strerr[128];

int sockmi_lib_fail(int err, const char *fmt, ...)
{
	char tmp[128];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(sockmi_lib_last, sizeof(sockmi_lib_last), fmt, ap);
		va_end(ap);
	} else {
		snprintf(sockmi_lib_last, sizeof(sockmi_lib_last), "%s",
			 strerror_r(err, tmp, sizeof(tmp)));
	}
	errno = err;
	return -1;
}

const char *sockmi_lib_error_text(const struct sockmi_nl_error *e, char *buf,
				  size_t len)
{
	char tmp[128];

	if (e->msg[0])
		snprintf(buf, len, "%s", e->msg);
	else if (e->kernel && e->err == EPERM)
		/* The genl core checks capabilities and says nothing. */
		snprintf(buf, len,
			 "CAP_NET_ADMIN is needed in this network namespace");
	else if (e->attr[0])
		snprintf(buf, len, "%s attribute %s",
			 e->missing ? "missing" : "invalid", e->attr);
	else
		snprintf(buf, len, "%s", strerror_r(e->err, tmp, sizeof(tmp)));
	return buf;
}

int sockmi_lib_fail_nl(const struct sockmi_nl_error *e)
{
	sockmi_lib_error_text(e, sockmi_lib_last, sizeof(sockmi_lib_last));
	errno = e->err ? e->err : EIO;
	return -1;
}

SOCKMI_EXPORT const char *sockmi_last_error(void)
{
	return sockmi_lib_last;
}

SOCKMI_EXPORT const char *sockmi_strerror(int errnum)
{
	switch (errnum) {
	case 0:
		return "success";
	case ENOENT:
		return "SockMi is not available: the \"sockmi\" generic netlink family is not registered (are sockmi.ko and sockmi_genl.ko loaded?)";
	case EPERM:
		return "not permitted: SockMi needs CAP_NET_ADMIN, and CAP_SYS_PTRACE over the owner to export another process's socket";
	case ESRCH:
		return "no such process";
	case EBADF:
		return "not an open file descriptor";
	case ENOTSOCK:
		return "the descriptor is not a socket";
	case EPROTONOSUPPORT:
		return "not a TCP socket (only TCP over IPv4 and IPv6 can migrate)";
	case EOPNOTSUPP:
		return "the socket is in a state that cannot migrate";
	case EBUSY:
		return "the socket is being exported already";
	case EXDEV:
		return "the socket belongs to another network namespace";
	case ENOSPC:
		return "the staging list is full (sysctl net.sockmi.max_*)";
	case EADDRNOTAVAIL:
		return "the connection exists already on the importing host";
	case EISCONN:
		return "the descriptor to replace is connected already";
	case EAFNOSUPPORT:
		return "address family not supported: AF_INET or AF_INET6";
	case EINVAL:
		return "invalid argument";
	case EMFILE:
		return "too many open files: no descriptor for the imported socket";
	case EINTR:
		return "interrupted by a signal";
	default:
		return strerror_r(errnum, sockmi_lib_strerr,
				  sizeof(sockmi_lib_strerr));
	}
}
