/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What sockmid asks of the kernel, through the "sockmi" genl family
 * (common/nl.c): its events, the checkpoint of an export, staging,
 * commit, abort, activation, and the flows of xt_SOCKMI. Each call fails
 * with a negative errno and fills a struct sockmi_nl_error.
 */

#ifndef SOCKMID_KERNEL_H
#define SOCKMID_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "nl.h"
#include "proto.h"

/* Largest checkpoint accepted from another host: every queue full. */
#define SOCKMID_BLOB_MAX ((size_t)4 * SOCKMI_QUEUE_MAX + (1U << 20))

struct sockmid_kernel {
	struct sockmi_nl *req;	/* requests */
	struct sockmi_nl *ev;	/* the "events" group */
};

/* Open both sockets and join the group. */
int sockmid_kernel_open(struct sockmid_kernel *k, struct sockmi_nl_error *e);
void sockmid_kernel_close(struct sockmid_kernel *k);

/* The events socket's descriptor, to poll(). */
int sockmid_kernel_event_fd(const struct sockmid_kernel *k);

/* Read the events that arrived, @cb on each (non-blocking). */
int sockmid_kernel_events(struct sockmid_kernel *k,
			  int (*cb)(const struct sockmi_msg *m, void *arg),
			  void *arg, struct sockmi_nl_error *e);

/**
 * sockmid_kernel_fetch - the checkpoint of an export (GET_EXPORT)
 * @k: the handle
 * @id: the export
 * @blob: its SOCKMI_A_STATE, SOCKMI_A_CHILD and SOCKMI_A_CHUNK attributes
 *	  as they go into a STAGE request; free() it
 * @len: their length
 * @e: why it failed
 */
int sockmid_kernel_fetch(struct sockmid_kernel *k, uint64_t id, uint8_t **blob,
			 size_t *len, struct sockmi_nl_error *e);

/**
 * sockmid_blob_check - a checkpoint received from another host holds
 * nothing but well-formed STATE, CHILD and CHUNK attributes
 *
 * Return: 0 or -EBADMSG.
 */
int sockmid_blob_check(const uint8_t *blob, size_t len);

/* STAGE @blob, pending; the stage id in @stage_id. */
int sockmid_kernel_stage(struct sockmid_kernel *k, const uint8_t *blob,
			 size_t len, uint64_t *stage_id,
			 struct sockmi_nl_error *e);

/* COMMIT, ABORT, ACTIVATE or UNSTAGE an id. */
int sockmid_kernel_by_id(struct sockmid_kernel *k, uint8_t cmd, uint64_t id,
			 struct sockmi_nl_error *e);

/* COMMIT with a redirection flow installed atomically (SOCKMI_A_FLOW). */
int sockmid_kernel_commit_flow(struct sockmid_kernel *k, uint64_t id,
			       const struct sockmi_tuple *t, uint8_t action,
			       const struct sockmi_addr *via,
			       struct sockmi_nl_error *e);

/*
 * NEW_FLOW or DEL_FLOW of a tuple: @action (enum sockmi_flow_action, or
 * -1 for none: DEL_FLOW of every flow of the tuple), @via (or NULL),
 * @flags (enum sockmi_flow_flags).
 */
int sockmid_kernel_flow(struct sockmid_kernel *k, uint8_t cmd,
			const struct sockmi_tuple *t, int action,
			const struct sockmi_addr *via, uint32_t flags,
			struct sockmi_nl_error *e);

/* GET_FLOW: @cb on each flow (holds first); @cb makes no requests. */
int sockmid_kernel_flows(struct sockmid_kernel *k,
			 int (*cb)(const struct sockmi_msg *m, void *arg),
			 void *arg, struct sockmi_nl_error *e);

/* GET_FLOW: the xt_SOCKMI flow of a tuple, else its hold; -ENOENT. */
int sockmid_kernel_flow_get(struct sockmid_kernel *k,
			    const struct sockmi_tuple *t,
			    struct sockmi_flow *flow, struct sockmi_nl_error *e);

/*
 * GET_STAGED: @cb on each staged socket and export in progress. @cb must
 * not make requests (the dump is still being read). -EINTR: the lists
 * changed meanwhile, start again.
 */
int sockmid_kernel_staged(struct sockmid_kernel *k,
			  int (*cb)(const struct sockmi_msg *m, void *arg),
			  void *arg, struct sockmi_nl_error *e);

#endif /* SOCKMID_KERNEL_H */
