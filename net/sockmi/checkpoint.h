/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Checkpoint and restore of one TCP socket.
 */

#ifndef _NET_SOCKMI_CHECKPOINT_H
#define _NET_SOCKMI_CHECKPOINT_H

#include <net/sock.h>

#include "sockmi.h"

struct sockmi_state;

void sockmi_tuple_from_sk(const struct sock *sk, struct sockmi_tuple *t);

/**
 * sockmi_checkpoint - read the state of a frozen socket
 * @sk: the socket: locked, in repair mode, timers stopped, flow held
 * @st: filled in, queues allocated (sockmi_state_free())
 */
int sockmi_checkpoint(struct sock *sk, struct sockmi_state *st);

/**
 * sockmi_restore - build a socket from a checkpoint, in repair mode
 * @net: namespace to build it in; its flow must be held there
 * @st: the checkpoint, validated
 * @res: the socket, hashed and silent until sockmi_restore_activate()
 * @extack: says what failed
 */
int sockmi_restore(struct net *net, const struct sockmi_state *st,
		   struct socket **res, struct netlink_ext_ack *extack);

/**
 * sockmi_restore_activate - leave repair mode, resume timers, send
 * @sock: a socket from sockmi_restore(), its flow no longer held
 * @st: its checkpoint, for the bytes that were never sent
 * @local: its local address is one of this host's
 */
int sockmi_restore_activate(struct socket *sock, const struct sockmi_state *st,
			    bool local);

/* Release a socket from sockmi_restore() without a packet to the peer. */
void sockmi_restore_discard(struct socket *sock);

#endif /* _NET_SOCKMI_CHECKPOINT_H */
