/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libsockmi internals: what its files share, and what sockmictl calls
 * beyond the public <sockmi.h>. Nothing here is exported from the shared
 * library (see libsockmi.map).
 */

#ifndef SOCKMI_LIB_INTERNAL_H
#define SOCKMI_LIB_INTERNAL_H

#include <stdint.h>

#include "nl.h"
#include "proto.h"
#include "sockmi.h"

/* Room for "reqs[N]: " and a netlink error message with its attribute. */
#define SOCKMI_LIB_ERRLEN (SOCKMI_NL_MSG_LEN + SOCKMI_NL_ATTR_LEN + 64)

/**
 * sockmi_lib_fail - fail a call: set errno and the thread's last error
 * @err: positive errno
 * @fmt: the message, printf-style; NULL: strerror(@err)
 *
 * Return: -1, for "return sockmi_lib_fail(...)".
 */
__attribute__((format(printf, 2, 3)))
int sockmi_lib_fail(int err, const char *fmt, ...);

/**
 * sockmi_lib_fail_nl - the same for a netlink error
 * @e: the error; its kernel message becomes the last error verbatim
 *
 * Return: -1.
 */
int sockmi_lib_fail_nl(const struct sockmi_nl_error *e);

/**
 * sockmi_lib_error_text - the text sockmi_lib_fail_nl() would record
 * @e: the error
 * @buf: where to write it
 * @len: its size
 *
 * Return: @buf.
 */
const char *sockmi_lib_error_text(const struct sockmi_nl_error *e, char *buf,
				  size_t len);

/**
 * sockmi_lib_export - one SOCKMI_CMD_EXPORT request
 * @nl: an open handle of the family
 * @pid: the owner of @fd, 0 for the caller
 * @fd: the descriptor
 * @to: where to, or NULL (the daemons choose)
 * @reply: the kernel's reply (export id, tuple, TCP state)
 * @e: why it failed; when the reply was malformed, e->kernel is false and
 *     e->msg says how
 *
 * Used by export_socket() and by `sockmictl export`.
 *
 * Return: 0 or a negative errno.
 */
int sockmi_lib_export(struct sockmi_nl *nl, uint32_t pid, uint32_t fd,
		      const struct sockmi_addr *to, struct sockmi_msg *reply,
		      struct sockmi_nl_error *e);

/**
 * sockmi_lib_addr_from_sockaddr - the address of a union sockmi_sockaddr
 * @sa: the socket address
 * @addr: the result: family, address and port (port 0: has_port false)
 *
 * Return: 0, or -1 when the family is not AF_INET or AF_INET6.
 */
int sockmi_lib_addr_from_sockaddr(const union sockmi_sockaddr *sa,
				  struct sockmi_addr *addr);

/**
 * sockmi_lib_restage - give an imported socket back to the staging lists
 * @nl: an open handle of the family
 * @fd: the socket, a descriptor of the caller; close it afterwards
 *
 * For a socket that was imported but cannot be used after all: it is
 * exported to this host (its own address, else the loopback) so that
 * another import_socket() gets it, and the connection is not lost.
 *
 * Return: 0 when it is staged again, or a negative errno.
 */
int sockmi_lib_restage(struct sockmi_nl *nl, int fd);

#endif /* SOCKMI_LIB_INTERNAL_H */
