/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A thin layer over libnl-genl for the SockMi tools: open a generic netlink
 * socket bound to one family, send a request and run a callback on each
 * reply, and get the kernel's error back as errno plus its extended-ack
 * message (NETLINK_EXT_ACK), with the offending or missing attribute named.
 *
 *	struct sockmi_nl_error e;
 *	struct sockmi_nl *nl;
 *	struct nl_msg *msg;
 *
 *	if (sockmi_nl_open(&nl, &e))
 *		fail(&e);
 *	msg = sockmi_nl_msg_new(nl, SOCKMI_CMD_GET_STATS, 0);
 *	if (sockmi_nl_request(nl, msg, on_reply, &ctx, &e))
 *		fail(&e);
 *	nlmsg_free(msg);
 *	sockmi_nl_close(nl);
 *
 * Nothing here keeps global state; handles are independent.
 */

#ifndef SOCKMI_COMMON_NL_H
#define SOCKMI_COMMON_NL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/netlink.h>
#include <netlink/msg.h>

/**
 * struct sockmi_nl_attr_set - names of one attribute space, for messages
 * @name: name of the space, e.g. "sockmi_addr_attr"
 * @max: highest attribute type
 * @names: @max + 1 names, NULL where there is none
 * @nested: @max + 1 attribute spaces of nests, NULL for leaves
 */
struct sockmi_nl_attr_set {
	const char *name;
	unsigned int max;
	const char *const *names;
	const struct sockmi_nl_attr_set *const *nested;
};

#define SOCKMI_NL_MSG_LEN 256
#define SOCKMI_NL_ATTR_LEN 160

/**
 * struct sockmi_nl_error - why a request failed
 * @err: positive errno, 0 on success
 * @kernel: the kernel reported @err; otherwise it happened here
 * @missing: @attr names a required attribute that was absent
 * @msg: the kernel's extended-ack message, or for local errors a complete
 *	 explanation; may be empty. With @err 0 it is a warning of the kernel.
 * @attr: the offending (or missing) attribute, e.g.
 *	  "SOCKMI_A_TO/SOCKMI_ADDR_A_ADDR"; may be empty
 */
struct sockmi_nl_error {
	int err;
	bool kernel;
	bool missing;
	char msg[SOCKMI_NL_MSG_LEN];
	char attr[SOCKMI_NL_ATTR_LEN];
};

struct sockmi_nl;

/**
 * sockmi_nl_reply_cb - called for each reply message of a request
 * @nlh: the message; its payload starts with a struct genlmsghdr
 * @arg: the caller's argument
 *
 * Return: 0 to go on, or a negative errno to fail the request. The rest of
 * the replies is still read (and dropped) so that the socket stays usable.
 */
typedef int (*sockmi_nl_reply_cb)(const struct nlmsghdr *nlh, void *arg);

/**
 * sockmi_nl_open - open a generic netlink socket for the "sockmi" family
 * @nlp: the new handle
 * @e: why it failed; when the family is not registered the message says
 *     whether sockmi_genl.ko is loaded
 *
 * Return: 0 or a negative errno.
 */
int sockmi_nl_open(struct sockmi_nl **nlp, struct sockmi_nl_error *e);

/**
 * sockmi_nl_open_family - the same, for any generic netlink family
 * @nlp: the new handle
 * @family: its name
 * @version: the version put into the requests' genlmsghdr
 * @attrs: names of the family's attributes, or NULL
 * @e: why it failed
 *
 * Return: 0 or a negative errno (-ENOENT: no such family).
 */
int sockmi_nl_open_family(struct sockmi_nl **nlp, const char *family,
			  uint8_t version,
			  const struct sockmi_nl_attr_set *attrs,
			  struct sockmi_nl_error *e);

/** sockmi_nl_close - close the socket and free the handle; NULL is fine */
void sockmi_nl_close(struct sockmi_nl *nl);

/** sockmi_nl_fd - the socket's descriptor, to poll() it */
int sockmi_nl_fd(const struct sockmi_nl *nl);

/** sockmi_nl_family_id - the family's resolved id (nlmsg_type) */
uint16_t sockmi_nl_family_id(const struct sockmi_nl *nl);

/**
 * sockmi_nl_msg_new - a new request of the family
 * @nl: the handle
 * @cmd: the command
 * @flags: netlink flags beyond NLM_F_REQUEST | NLM_F_ACK, e.g. NLM_F_DUMP
 *
 * Return: the message (free with nlmsg_free()), or NULL when out of memory.
 */
struct nl_msg *sockmi_nl_msg_new(struct sockmi_nl *nl, uint8_t cmd,
				 int flags);

/**
 * sockmi_nl_request - send a request and read its replies to the end
 * @nl: the handle
 * @msg: from sockmi_nl_msg_new(), still owned by the caller
 * @cb: run on each reply (not on acknowledgements); may be NULL
 * @arg: passed to @cb
 * @e: the outcome; with a return of 0 it may still hold a warning
 *
 * A do request ends at its acknowledgement, a dump at NLMSG_DONE. A dump
 * that the kernel marks inconsistent (NLM_F_DUMP_INTR: the data changed
 * meanwhile) fails with -EINTR after its end; repeat it.
 *
 * Return: 0 or a negative errno, also in @e->err (positive).
 */
int sockmi_nl_request(struct sockmi_nl *nl, struct nl_msg *msg,
		      sockmi_nl_reply_cb cb, void *arg,
		      struct sockmi_nl_error *e);

/**
 * sockmi_nl_join - subscribe to a multicast group of the family
 * @nl: the handle, used for nothing but events from now on
 * @group: the group's name
 * @e: why it failed
 *
 * Return: 0 or a negative errno.
 */
int sockmi_nl_join(struct sockmi_nl *nl, const char *group,
		   struct sockmi_nl_error *e);

/**
 * sockmi_nl_recv_events - read one batch of multicast messages
 * @nl: the handle, subscribed with sockmi_nl_join()
 * @cb: run on each message of the family
 * @arg: passed to @cb
 * @e: why it failed
 *
 * Blocks until something arrives unless the socket is non-blocking (then
 * -EAGAIN). -ENOBUFS says events were lost because the socket's receive
 * buffer overflowed; reading can go on.
 *
 * Return: 0 or a negative errno.
 */
int sockmi_nl_recv_events(struct sockmi_nl *nl, sockmi_nl_reply_cb cb,
			  void *arg, struct sockmi_nl_error *e);

/**
 * sockmi_nl_parse_error - decode an NLMSG_ERROR or NLMSG_DONE message
 * @nlh: the message, @nlh->nlmsg_len bytes of it readable
 * @attrs: names of the family's attributes, or NULL
 * @e: the result: errno, extended-ack message and attribute
 *
 * Used by sockmi_nl_request(); exposed for tests.
 *
 * Return: 0 when @nlh is well formed, -EBADMSG when not (then @e says so).
 */
int sockmi_nl_parse_error(const struct nlmsghdr *nlh,
			  const struct sockmi_nl_attr_set *attrs,
			  struct sockmi_nl_error *e);

/**
 * sockmi_nl_strerror - one line for the user, e.g.
 *	"Invalid argument: Address length does not match its family"
 * @e: the error
 * @buf: where to write it
 * @len: size of @buf
 *
 * Return: @buf.
 */
const char *sockmi_nl_strerror(const struct sockmi_nl_error *e, char *buf,
			       size_t len);

#endif /* SOCKMI_COMMON_NL_H */
