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

/**
 * sockmi_restore_children - build the accept queue of a listening socket
 * @net: namespace to build it in; the listener's flow must be held there
 * @st: the listener's checkpoint, validated
 * @res: the children, connected sockets in repair mode as sockmi_restore()
 *	leaves them, in accept() order (kvfree'd array); NULL when none
 * @extack: says what failed
 */
int sockmi_restore_children(struct net *net, const struct sockmi_state *st,
			    struct socket ***res, struct netlink_ext_ack *extack);

/* Release @n children from sockmi_restore_children() silently, and @socks. */
void sockmi_restore_discard_children(struct socket **socks, u32 n);

/**
 * sockmi_restore_enqueue - give an activated child to its listener
 * @listener: the listening socket, from sockmi_restore()
 * @child: the child, out of repair mode; consumed whatever happens
 *
 * The child becomes a connection the listener completed but nobody
 * accepted yet: the next accept() returns it.
 */
int sockmi_restore_enqueue(struct socket *listener, struct socket *child);

#endif /* _NET_SOCKMI_CHECKPOINT_H */
