/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * SockMi: live migration of TCP sockets between processes and hosts.
 *
 * Documentation
 * =============
 *
 * The kernel side of SockMi is driven through the generic netlink family
 * SOCKMI_GENL_NAME ("sockmi"), version SOCKMI_GENL_VERSION. The family is
 * network-namespace aware: every list, counter and flow below belongs to the
 * network namespace of the netlink socket that issues the request. Every
 * command requires CAP_NET_ADMIN in the user namespace owning that network
 * namespace (GENL_UNS_ADMIN_PERM); EXPORT of another process's descriptor
 * additionally requires CAP_SYS_PTRACE in the user namespace of that
 * process's credentials, and the socket must belong to the namespace of the
 * request (EXDEV otherwise).
 *
 * Validation is strict for every command: unknown attributes, trailing data,
 * wrong lengths, out-of-range values and unknown flag bits are rejected with
 * an errno and an extended-ack message (NLMSGERR_ATTR_MSG) naming the
 * offending attribute (NLMSGERR_ATTR_OFFS) where there is one.
 *
 * Common nested types
 * -------------------
 *
 * An address (SOCKMI_A_TO, SOCKMI_FLOW_A_VIA):
 *
 *    SOCKMI_ADDR_A_FAMILY: NLA_U16, AF_INET or AF_INET6
 *    SOCKMI_ADDR_A_ADDR: NLA_BINARY, struct in_addr or struct in6_addr,
 *                        its length must match the family
 *    SOCKMI_ADDR_A_PORT: NLA_U16, host byte order, optional
 *
 * A connection tuple, seen from the host that owns the socket
 * (SOCKMI_A_TUPLE, SOCKMI_FLOW_A_TUPLE):
 *
 *    SOCKMI_TUPLE_A_FAMILY: NLA_U16, AF_INET or AF_INET6
 *    SOCKMI_TUPLE_A_LOCAL_ADDR: NLA_BINARY, in_addr or in6_addr
 *    SOCKMI_TUPLE_A_LOCAL_PORT: NLA_U16, host byte order
 *    SOCKMI_TUPLE_A_REMOTE_ADDR: NLA_BINARY, in_addr or in6_addr (absent for
 *                                bound and listening sockets)
 *    SOCKMI_TUPLE_A_REMOTE_PORT: NLA_U16, host byte order
 *
 * Import criteria (SOCKMI_A_MATCH); every attribute but STATES is optional
 * and an absent one matches anything:
 *
 *    SOCKMI_MATCH_A_STATES: NLA_U32, mask of enum sockmi_state_mask, nonzero
 *    SOCKMI_MATCH_A_FAMILY: NLA_U16, AF_INET or AF_INET6
 *    SOCKMI_MATCH_A_LOCAL_ADDR, SOCKMI_MATCH_A_REMOTE_ADDR: NLA_BINARY,
 *        in_addr or in6_addr, needs SOCKMI_MATCH_A_FAMILY
 *    SOCKMI_MATCH_A_LOCAL_PORT, SOCKMI_MATCH_A_REMOTE_PORT: NLA_U16
 *
 * The state of a socket (SOCKMI_A_STATE) is a versioned attribute set, see
 * enum sockmi_state_attr. Its queues do not fit into one netlink attribute
 * (lengths are 16 bits), so their bytes travel in SOCKMI_A_CHUNK attributes
 * repeated at the top level of the same message (STAGE) or in the messages
 * of a dump (GET_EXPORT):
 *
 *    SOCKMI_A_CHUNK: NLA_NESTED, repeated
 *        SOCKMI_CHUNK_A_QUEUE: NLA_U8, enum sockmi_queue
 *        SOCKMI_CHUNK_A_CHILD: NLA_U32, index of the accept-queue child the
 *                              chunk belongs to (absent: the socket itself)
 *        SOCKMI_CHUNK_A_OFFSET: NLA_U32, byte offset into that queue
 *        SOCKMI_CHUNK_A_DATA: NLA_BINARY, 1..SOCKMI_CHUNK_MAX bytes
 *
 * Chunks of one queue must arrive in order and without gaps; the sum of
 * their lengths must equal the length the state declares for that queue.
 * A listening socket's accept queue travels as SOCKMI_A_CHILD nests
 * (repeated, top level), each holding the state attributes of one child,
 * in accept() order: child i is the i-th SOCKMI_A_CHILD, and its queue
 * bytes come in chunks with SOCKMI_CHUNK_A_CHILD = i.
 *
 * What a state holds depends on SOCKMI_STATE_A_TCP_STATE:
 *
 *    TCP_CLOSE (a bound socket): VERSION, TUPLE with a local port and no
 *        remote end (the local address may be unspecified), V6ONLY,
 *        SOCKOPTS. Nothing else: no sequence number, TCP option or queue
 *        attribute, no BACKLOG, no NCHILDREN, no SOCKMI_A_CHILD.
 *    TCP_LISTEN: the same, plus BACKLOG (the listen() backlog) and
 *        NCHILDREN, both required; exactly NCHILDREN SOCKMI_A_CHILD nests
 *        (at most SOCKMI_CHILDREN_MAX) follow. Each child is the complete
 *        state of a connection that finished its handshake but was not
 *        accepted: ESTABLISHED or CLOSE_WAIT, the listener's family and
 *        port, its local address when the listener has one.
 *    the connected states: everything a connection needs, see enum
 *        sockmi_state_attr; no BACKLOG, NCHILDREN or children.
 *
 * The out-of-order queue. Bytes the peer sent beyond a hole, received and
 * (with SACK) selectively acknowledged but not yet in sequence, travel as
 * queue SOCKMI_QUEUE_OFO: OFOQ_LEN bytes, the concatenation of the ranges
 * of SOCKMI_STATE_A_OFO_RANGES (struct sockmi_ofo_range, at most
 * SOCKMI_OFO_RANGES_MAX), in ascending sequence order. Each range has at
 * least one byte, starts after RCV_NXT and after the end of the previous
 * one (ranges neither overlap nor touch), and the last ends no further
 * than SOCKMI_OFO_SPAN_MAX past RCV_NXT; their lengths add up to
 * OFOQ_LEN. A FIN received out of order is SOCKMI_STATE_A_OFO_FIN, its
 * sequence number: after RCV_NXT, not before the end of the last range.
 * Neither is allowed once the peer's FIN is in sequence (CLOSE_WAIT,
 * CLOSING, LAST_ACK). Inconsistencies fail with ERANGE. The importer
 * queues these bytes out of order again and reports them in its SACK
 * blocks, so the peer retransmits only the holes.
 *
 * Errors of the accept queue: a SOCKMI_A_CHILD for a socket that is not
 * listening (EINVAL), more of them than NCHILDREN (E2BIG) or fewer
 * (EINVAL), a child of another state or address (EINVAL), a chunk for a
 * child that does not exist (EINVAL), a child's queue longer or shorter
 * than it declares (EMSGSIZE). Each comes with an extack message.
 *
 * Commands
 * --------
 *
 * SOCKMI_CMD_EXPORT (do)
 *    Freeze a TCP socket and checkpoint it. Takes SOCKMI_A_FD (NLA_U32,
 *    required), SOCKMI_A_PID (NLA_U32; absent: the caller's own descriptor)
 *    and SOCKMI_A_TO (address, optional: absent lets the daemons choose).
 *    From the moment this returns the socket sends, receives, acknowledges
 *    and resets nothing; the original is held until SOCKMI_CMD_COMMIT or
 *    SOCKMI_CMD_ABORT. When SOCKMI_A_TO is an address of this host the
 *    socket is staged here at once and committed (hand-over between
 *    processes). Replies with SOCKMI_A_ID (NLA_U64, the export id),
 *    SOCKMI_A_TUPLE, SOCKMI_A_TCP_STATE and SOCKMI_A_LIST: EXPORTING, or the
 *    list the socket was staged on when it was handed over on this host. An
 *    export neither committed nor aborted within net.sockmi.export_timeout
 *    seconds (default 60) is aborted by the kernel. Multicasts
 *    SOCKMI_CMD_EXPORT_NOTIFY with the same attributes plus SOCKMI_A_TO.
 *    Exports connected sockets (ESTABLISHED, CLOSE_WAIT, FIN_WAIT1,
 *    FIN_WAIT2, LAST_ACK, CLOSING), listening sockets with their accept
 *    queue, and bound sockets; other states fail with EOPNOTSUPP, a socket
 *    that is not bound with EINVAL.
 *
 *    A listening socket is held on its local address and port for every
 *    remote end (the packets of its already accepted, established
 *    connections still pass), so it takes no new connection until COMMIT
 *    or ABORT: the peers' SYNs are dropped and retransmitted. The children
 *    of its accept queue that completed their handshake are frozen and
 *    checkpointed with it (SOCKMI_A_CHILD) and, after the import, accept()
 *    returns them with their unread bytes. Connections still in SYN_RECV
 *    stay behind and die with the old listener: when the peer's ACK or
 *    first data reaches the new one it is answered with a RST (the peer
 *    sees ECONNRESET). ABORT gives the listener back with its whole queue;
 *    after COMMIT its accept() fails with EINVAL. A bound socket is not
 *    held (it receives nothing); after COMMIT its port is free, and the
 *    imported socket can listen() or connect() from it. A listener's hold
 *    after COMMIT is removed with SOCKMI_CMD_DEL_FLOW of a tuple without a
 *    remote end.
 *    The same request as text: sysctl net.sockmi.export="pid=P fd=F [to=A]".
 *
 * SOCKMI_CMD_GET_EXPORT (dump)
 *    Takes SOCKMI_A_ID. Returns the checkpoint of that export: the first
 *    message holds SOCKMI_A_ID and SOCKMI_A_STATE; the next ones hold
 *    SOCKMI_A_ID and the SOCKMI_A_CHILD attributes of a listener, in order,
 *    as many as fit in each; the last ones SOCKMI_A_ID and SOCKMI_A_CHUNK
 *    attributes (the socket's, then each child's). The receiver
 *    concatenates all but SOCKMI_A_ID into one SOCKMI_CMD_STAGE request.
 *
 * SOCKMI_CMD_COMMIT (do)
 *    Takes SOCKMI_A_ID. The held original is destroyed silently (no FIN, no
 *    RST reaches the peer). Its hold stays until SOCKMI_CMD_DEL_FLOW, or,
 *    with SOCKMI_A_FLOW, what the flow says: its tuple must be the export's;
 *    HOLD keeps the hold; TAKEOVER keeps it too (the address is still here
 *    until moved) and deletes the connection's conntrack entries; REDIRECT
 *    replaces the hold atomically with the redirection (entered before the
 *    commit, removed again if the commit fails) and deletes the conntrack
 *    entries. ANSWER_AS is refused (it is the importer's, NEW_FLOW).
 *    ESTALE if the owner changed the frozen socket's state after the
 *    checkpoint (listen() or connect() on a bound socket, shutdown() on a
 *    connected one): the export stays, to be aborted.
 *    Multicasts SOCKMI_CMD_COMMIT_NOTIFY.
 *
 * SOCKMI_CMD_ABORT (do)
 *    Takes SOCKMI_A_ID. The original is thawed and keeps working in its
 *    owner's descriptor, nothing lost. Multicasts SOCKMI_CMD_ABORT_NOTIFY.
 *
 * SOCKMI_CMD_STAGE (do)
 *    Takes SOCKMI_A_STATE, its SOCKMI_A_CHUNK and SOCKMI_A_CHILD attributes
 *    and SOCKMI_A_FLAGS (NLA_U32, enum sockmi_stage_flags). The state is
 *    validated completely before anything is built. The socket is placed on
 *    the bound, listening or connected list of this namespace; a full list
 *    fails with ENOSPC. With SOCKMI_STAGE_F_PENDING the socket is not
 *    importable until SOCKMI_CMD_ACTIVATE. Replies with SOCKMI_A_ID (the
 *    stage id) and multicasts SOCKMI_CMD_STAGE_NOTIFY once importable.
 *
 * SOCKMI_CMD_ACTIVATE (do)
 *    Takes SOCKMI_A_ID of a pending staged socket and makes it importable.
 *
 * SOCKMI_CMD_UNSTAGE (do)
 *    Takes SOCKMI_A_ID. Drops a staged socket silently.
 *
 * SOCKMI_CMD_IMPORT (do)
 *    Takes SOCKMI_A_MATCH. The first importable staged socket that matches
 *    is taken off its list and installed as a new descriptor of the caller
 *    (O_CLOEXEC when SOCKMI_IMPORT_F_CLOEXEC is in SOCKMI_A_FLAGS). Replies
 *    with SOCKMI_A_ID, SOCKMI_A_FD, SOCKMI_A_TUPLE, SOCKMI_A_TCP_STATE and
 *    SOCKMI_A_LIST.
 *    Fails with EAGAIN when nothing matches: callers that want to wait
 *    listen on the "events" group for SOCKMI_CMD_STAGE_NOTIFY and retry.
 *
 * SOCKMI_CMD_GET_STAGED (dump)
 *    One message per staged socket or export in progress: SOCKMI_A_ID,
 *    SOCKMI_A_LIST (NLA_U8, enum sockmi_list), SOCKMI_A_TUPLE,
 *    SOCKMI_A_TCP_STATE, SOCKMI_A_FLAGS. Consistency across messages is
 *    checked with the namespace's generation counter (NLM_F_DUMP_INTR).
 *
 * SOCKMI_CMD_NEW_FLOW, SOCKMI_CMD_DEL_FLOW (do), SOCKMI_CMD_GET_FLOW (dump)
 *    Manage the flows of this namespace: the holds of sockmi.ko (HOLD) and
 *    the redirection table of xt_SOCKMI (the other actions). Take/return
 *    SOCKMI_A_FLOW:
 *        SOCKMI_FLOW_A_TUPLE: tuple of the connection as its socket sees
 *                             it: the local address is the exporter's
 *                             (the one the peer talks to) on every host;
 *                             without a remote end (HOLD only) the hold
 *                             of a listening socket
 *        SOCKMI_FLOW_A_ACTION: NLA_U8, enum sockmi_flow_action
 *        SOCKMI_FLOW_A_VIA: address without a port, REDIRECT and ANSWER_AS
 *                           only: the importer's address, where the
 *                           exporter sends the peer's packets (REDIRECT)
 *                           and where the importer receives them
 *                           (ANSWER_AS)
 *        SOCKMI_FLOW_A_PACKETS, SOCKMI_FLOW_A_BYTES: NLA_U64, replies only
 *    One xt_SOCKMI flow per tuple: NEW_FLOW fails with EEXIST unless
 *    SOCKMI_A_FLAGS (NLA_U32, enum sockmi_flow_flags) has
 *    SOCKMI_FLOW_F_REPLACE, which replaces the flow atomically. REDIRECT
 *    needs the flow's local address to be this host's; ANSWER_AS needs
 *    VIA to be this host's; both fail with ENOENT while the namespace has
 *    no "-t raw -A PREROUTING -j SOCKMI" rule for their family. DEL_FLOW
 *    takes the tuple and optionally an action (no VIA): with an action it
 *    removes that flow only, without one xt_SOCKMI's flow and then the
 *    hold. Entering, replacing or removing an xt_SOCKMI flow deletes the
 *    connection's conntrack entries (by exact tuple). The dump lists the
 *    holds, then xt_SOCKMI's flows. Any action but HOLD fails with
 *    EOPNOTSUPP and says that it needs xt_SOCKMI when that is not loaded.
 *
 * SOCKMI_CMD_GET_STATS (do)
 *    Replies with SOCKMI_A_STATS, a nest of NLA_U64 counters of this
 *    namespace (enum sockmi_stats_attr).
 *
 * Multicast group SOCKMI_GENL_MCGRP_EVENTS ("events") carries the *_NOTIFY
 * commands. Listening to it needs CAP_NET_ADMIN as well.
 */

#ifndef _UAPI_LINUX_SOCKMI_H
#define _UAPI_LINUX_SOCKMI_H

#include <linux/types.h>

#define SOCKMI_GENL_NAME "sockmi"
#define SOCKMI_GENL_VERSION 1
#define SOCKMI_GENL_MCGRP_EVENTS "events"

/* Version of the state attribute set, SOCKMI_STATE_A_VERSION. */
#define SOCKMI_STATE_VERSION 1

/* Largest SOCKMI_CHUNK_A_DATA payload. */
#define SOCKMI_CHUNK_MAX 16384
/* Largest queue (receive, send, out-of-order) a state may carry. */
#define SOCKMI_QUEUE_MAX (16U << 20)
/* Largest accept queue a listening socket may carry. */
#define SOCKMI_CHILDREN_MAX 1024
/* Most ranges of out-of-order data a state may carry. */
#define SOCKMI_OFO_RANGES_MAX 256
/* Furthest the out-of-order data may reach past rcv_nxt: the largest
 * window TCP can advertise (65535 << 14, rounded up).
 */
#define SOCKMI_OFO_SPAN_MAX (1U << 30)

/* One range of out-of-order data (SOCKMI_STATE_A_OFO_RANGES). */
struct sockmi_ofo_range {
	__u32 seq;	/* sequence number of its first byte */
	__u32 len;	/* bytes, at least 1 */
};

enum sockmi_cmd {
	SOCKMI_CMD_UNSPEC,
	SOCKMI_CMD_EXPORT,
	SOCKMI_CMD_GET_EXPORT,
	SOCKMI_CMD_COMMIT,
	SOCKMI_CMD_ABORT,
	SOCKMI_CMD_STAGE,
	SOCKMI_CMD_ACTIVATE,
	SOCKMI_CMD_UNSTAGE,
	SOCKMI_CMD_IMPORT,
	SOCKMI_CMD_GET_STAGED,
	SOCKMI_CMD_NEW_FLOW,
	SOCKMI_CMD_DEL_FLOW,
	SOCKMI_CMD_GET_FLOW,
	SOCKMI_CMD_GET_STATS,
	SOCKMI_CMD_EXPORT_NOTIFY,
	SOCKMI_CMD_COMMIT_NOTIFY,
	SOCKMI_CMD_ABORT_NOTIFY,
	SOCKMI_CMD_STAGE_NOTIFY,
	SOCKMI_CMD_IMPORT_NOTIFY,
	__SOCKMI_CMD_MAX
};
#define SOCKMI_CMD_MAX (__SOCKMI_CMD_MAX - 1)

enum sockmi_attr {
	SOCKMI_A_UNSPEC,
	SOCKMI_A_PAD,
	SOCKMI_A_ID,		/* u64 */
	SOCKMI_A_PID,		/* u32 */
	SOCKMI_A_FD,		/* u32 */
	SOCKMI_A_TO,		/* nest, enum sockmi_addr_attr */
	SOCKMI_A_TUPLE,		/* nest, enum sockmi_tuple_attr */
	SOCKMI_A_TCP_STATE,	/* u8, TCP_ESTABLISHED, TCP_LISTEN, ... */
	SOCKMI_A_FLAGS,		/* u32, per command */
	SOCKMI_A_LIST,		/* u8, enum sockmi_list */
	SOCKMI_A_MATCH,		/* nest, enum sockmi_match_attr */
	SOCKMI_A_STATE,		/* nest, enum sockmi_state_attr */
	SOCKMI_A_CHUNK,		/* nest, enum sockmi_chunk_attr, repeated */
	SOCKMI_A_CHILD,		/* nest, enum sockmi_state_attr, repeated */
	SOCKMI_A_FLOW,		/* nest, enum sockmi_flow_attr */
	SOCKMI_A_STATS,		/* nest, enum sockmi_stats_attr */
	__SOCKMI_A_MAX
};
#define SOCKMI_A_MAX (__SOCKMI_A_MAX - 1)

enum sockmi_addr_attr {
	SOCKMI_ADDR_A_UNSPEC,
	SOCKMI_ADDR_A_FAMILY,	/* u16 */
	SOCKMI_ADDR_A_ADDR,	/* in_addr or in6_addr */
	SOCKMI_ADDR_A_PORT,	/* u16 */
	__SOCKMI_ADDR_A_MAX
};
#define SOCKMI_ADDR_A_MAX (__SOCKMI_ADDR_A_MAX - 1)

enum sockmi_tuple_attr {
	SOCKMI_TUPLE_A_UNSPEC,
	SOCKMI_TUPLE_A_FAMILY,		/* u16 */
	SOCKMI_TUPLE_A_LOCAL_ADDR,	/* in_addr or in6_addr */
	SOCKMI_TUPLE_A_LOCAL_PORT,	/* u16 */
	SOCKMI_TUPLE_A_REMOTE_ADDR,	/* in_addr or in6_addr */
	SOCKMI_TUPLE_A_REMOTE_PORT,	/* u16 */
	__SOCKMI_TUPLE_A_MAX
};
#define SOCKMI_TUPLE_A_MAX (__SOCKMI_TUPLE_A_MAX - 1)

enum sockmi_state_mask {
	SOCKMI_STATE_BOUND = 1U << 0,
	SOCKMI_STATE_LISTEN = 1U << 1,
	SOCKMI_STATE_CONNECTED = 1U << 2,
	SOCKMI_STATE_ALL = SOCKMI_STATE_BOUND | SOCKMI_STATE_LISTEN |
			   SOCKMI_STATE_CONNECTED,
};

enum sockmi_list {
	SOCKMI_LIST_BOUND,
	SOCKMI_LIST_LISTEN,
	SOCKMI_LIST_CONNECTED,
	SOCKMI_LIST_EXPORTING,
	__SOCKMI_LIST_MAX
};
#define SOCKMI_LIST_MAX (__SOCKMI_LIST_MAX - 1)

enum sockmi_match_attr {
	SOCKMI_MATCH_A_UNSPEC,
	SOCKMI_MATCH_A_STATES,		/* u32, enum sockmi_state_mask */
	SOCKMI_MATCH_A_FAMILY,		/* u16 */
	SOCKMI_MATCH_A_LOCAL_ADDR,	/* in_addr or in6_addr */
	SOCKMI_MATCH_A_LOCAL_PORT,	/* u16 */
	SOCKMI_MATCH_A_REMOTE_ADDR,	/* in_addr or in6_addr */
	SOCKMI_MATCH_A_REMOTE_PORT,	/* u16 */
	__SOCKMI_MATCH_A_MAX
};
#define SOCKMI_MATCH_A_MAX (__SOCKMI_MATCH_A_MAX - 1)

enum sockmi_stage_flags {
	/* Not importable until SOCKMI_CMD_ACTIVATE. */
	SOCKMI_STAGE_F_PENDING = 1U << 0,
	__SOCKMI_STAGE_F_ALL = SOCKMI_STAGE_F_PENDING
};

enum sockmi_import_flags {
	SOCKMI_IMPORT_F_CLOEXEC = 1U << 0,
	__SOCKMI_IMPORT_F_ALL = SOCKMI_IMPORT_F_CLOEXEC
};

enum sockmi_queue {
	SOCKMI_QUEUE_RECV,	/* received, not yet read by the application */
	SOCKMI_QUEUE_SEND,	/* written: sent-but-unACKed, then unsent */
	SOCKMI_QUEUE_OFO,	/* received out of order */
	__SOCKMI_QUEUE_MAX
};
#define SOCKMI_QUEUE_MAX_ID (__SOCKMI_QUEUE_MAX - 1)

enum sockmi_chunk_attr {
	SOCKMI_CHUNK_A_UNSPEC,
	SOCKMI_CHUNK_A_QUEUE,	/* u8, enum sockmi_queue */
	SOCKMI_CHUNK_A_CHILD,	/* u32, accept-queue child, opt */
	SOCKMI_CHUNK_A_OFFSET,	/* u32 */
	SOCKMI_CHUNK_A_DATA,	/* binary, 1..SOCKMI_CHUNK_MAX */
	__SOCKMI_CHUNK_A_MAX
};
#define SOCKMI_CHUNK_A_MAX (__SOCKMI_CHUNK_A_MAX - 1)

/*
 * The checkpoint of one socket. Sequence numbers are absolute, as on the
 * wire. Lengths in bytes. Attributes marked "opt" may be absent.
 */
enum sockmi_state_attr {
	SOCKMI_STATE_A_UNSPEC,
	SOCKMI_STATE_A_VERSION,		/* u32, SOCKMI_STATE_VERSION */
	SOCKMI_STATE_A_TUPLE,		/* nest, enum sockmi_tuple_attr */
	SOCKMI_STATE_A_TCP_STATE,	/* u8 */
	SOCKMI_STATE_A_V6ONLY,		/* flag, opt */
	SOCKMI_STATE_A_SND_UNA,		/* u32 */
	SOCKMI_STATE_A_SND_NXT,		/* u32 */
	SOCKMI_STATE_A_WRITE_SEQ,	/* u32 */
	SOCKMI_STATE_A_RCV_NXT,		/* u32 */
	SOCKMI_STATE_A_COPIED_SEQ,	/* u32 */
	SOCKMI_STATE_A_SND_WL1,		/* u32 */
	SOCKMI_STATE_A_SND_WND,		/* u32 */
	SOCKMI_STATE_A_MAX_WINDOW,	/* u32 */
	SOCKMI_STATE_A_RCV_WND,		/* u32 */
	SOCKMI_STATE_A_RCV_WUP,		/* u32 */
	SOCKMI_STATE_A_MSS,		/* u16, negotiated MSS clamp */
	SOCKMI_STATE_A_SND_WSCALE,	/* u8, opt */
	SOCKMI_STATE_A_RCV_WSCALE,	/* u8, opt */
	SOCKMI_STATE_A_OPTIONS,		/* u32, enum sockmi_tcp_options */
	SOCKMI_STATE_A_TS_NOW,		/* u32, our TSval at checkpoint, opt */
	SOCKMI_STATE_A_TS_RECENT,	/* u32, peer's last TSval, opt */
	SOCKMI_STATE_A_SRTT_US,		/* u32, smoothed RTT << 3, opt */
	SOCKMI_STATE_A_MDEV_US,		/* u32, opt */
	SOCKMI_STATE_A_RTO_US,		/* u32, opt */
	SOCKMI_STATE_A_CWND,		/* u32, opt */
	SOCKMI_STATE_A_SSTHRESH,	/* u32, opt */
	SOCKMI_STATE_A_RECVQ_LEN,	/* u32 */
	SOCKMI_STATE_A_SENDQ_LEN,	/* u32, write_seq - snd_una */
	SOCKMI_STATE_A_UNSENT_LEN,	/* u32, write_seq - snd_nxt */
	SOCKMI_STATE_A_OFOQ_LEN,	/* u32, opt */
	SOCKMI_STATE_A_BACKLOG,		/* u32, listening sockets only */
	SOCKMI_STATE_A_NCHILDREN,	/* u32, listening sockets only, number
					 * of SOCKMI_A_CHILD
					 */
	SOCKMI_STATE_A_SOCKOPTS,	/* nest, enum sockmi_sockopt_attr */
	SOCKMI_STATE_A_OFO_RANGES,	/* binary, struct sockmi_ofo_range[],
					 * with OFOQ_LEN only
					 */
	SOCKMI_STATE_A_OFO_FIN,		/* u32, sequence number of a FIN
					 * received out of order, opt
					 */
	__SOCKMI_STATE_A_MAX
};
#define SOCKMI_STATE_A_MAX (__SOCKMI_STATE_A_MAX - 1)

enum sockmi_tcp_options {
	SOCKMI_TCPOPT_SACK = 1U << 0,
	SOCKMI_TCPOPT_TIMESTAMP = 1U << 1,
	SOCKMI_TCPOPT_WSCALE = 1U << 2,
	__SOCKMI_TCPOPT_ALL = SOCKMI_TCPOPT_SACK | SOCKMI_TCPOPT_TIMESTAMP |
			      SOCKMI_TCPOPT_WSCALE
};

/* User-visible socket options; each is present only when it differs from
 * the default or was set by the user. RCVBUF and SNDBUF are what the user
 * asked for (half the kernel's figure); the importer gets them back with
 * SO_RCVBUFFORCE/SO_SNDBUFFORCE when it may use those (CAP_NET_ADMIN), so a
 * size forced past net.core.[rw]mem_max survives, else capped as
 * SO_RCVBUF/SO_SNDBUF cap it.
 */
enum sockmi_sockopt_attr {
	SOCKMI_SOCKOPT_A_UNSPEC,
	SOCKMI_SOCKOPT_A_KEEPALIVE,	/* flag */
	SOCKMI_SOCKOPT_A_KEEPIDLE,	/* u32, seconds */
	SOCKMI_SOCKOPT_A_KEEPINTVL,	/* u32, seconds */
	SOCKMI_SOCKOPT_A_KEEPCNT,	/* u32 */
	SOCKMI_SOCKOPT_A_NODELAY,	/* flag */
	SOCKMI_SOCKOPT_A_RCVBUF,	/* u32, set by the user */
	SOCKMI_SOCKOPT_A_SNDBUF,	/* u32, set by the user */
	SOCKMI_SOCKOPT_A_LINGER,	/* u32, seconds; present: SO_LINGER on */
	SOCKMI_SOCKOPT_A_USER_TIMEOUT,	/* u32, ms */
	SOCKMI_SOCKOPT_A_CONGESTION,	/* string */
	SOCKMI_SOCKOPT_A_MARK,		/* u32 */
	SOCKMI_SOCKOPT_A_PRIORITY,	/* u32 */
	SOCKMI_SOCKOPT_A_TOS,		/* u8, IP_TOS or IPV6_TCLASS */
	SOCKMI_SOCKOPT_A_REUSEADDR,	/* flag */
	SOCKMI_SOCKOPT_A_MAXSEG,	/* u16, TCP_MAXSEG set by the user */
	__SOCKMI_SOCKOPT_A_MAX
};
#define SOCKMI_SOCKOPT_A_MAX (__SOCKMI_SOCKOPT_A_MAX - 1)

enum sockmi_flow_action {
	SOCKMI_FLOW_HOLD,	/* drop the peer's packets and our FIN/RST */
	SOCKMI_FLOW_REDIRECT,	/* exporter: DNAT the peer's packets to VIA */
	SOCKMI_FLOW_ANSWER_AS,	/* importer: take them at VIA, answer as A */
	SOCKMI_FLOW_TAKEOVER,	/* importer has A's address: nothing to do */
	__SOCKMI_FLOW_MAX
};
#define SOCKMI_FLOW_MAX (__SOCKMI_FLOW_MAX - 1)

enum sockmi_flow_flags {
	/* NEW_FLOW: replace the connection's flow if it has one. */
	SOCKMI_FLOW_F_REPLACE = 1U << 0,
	__SOCKMI_FLOW_F_ALL = SOCKMI_FLOW_F_REPLACE
};

enum sockmi_flow_attr {
	SOCKMI_FLOW_A_UNSPEC,
	SOCKMI_FLOW_A_PAD,
	SOCKMI_FLOW_A_TUPLE,	/* nest, enum sockmi_tuple_attr */
	SOCKMI_FLOW_A_ACTION,	/* u8, enum sockmi_flow_action */
	SOCKMI_FLOW_A_VIA,	/* nest, enum sockmi_addr_attr */
	SOCKMI_FLOW_A_PACKETS,	/* u64 */
	SOCKMI_FLOW_A_BYTES,	/* u64 */
	__SOCKMI_FLOW_A_MAX
};
#define SOCKMI_FLOW_A_MAX (__SOCKMI_FLOW_A_MAX - 1)

enum sockmi_stats_attr {
	SOCKMI_STATS_A_UNSPEC,
	SOCKMI_STATS_A_PAD,
	SOCKMI_STATS_A_EXPORTS,		/* checkpoints taken */
	SOCKMI_STATS_A_COMMITS,
	SOCKMI_STATS_A_ABORTS,
	SOCKMI_STATS_A_STAGES,
	SOCKMI_STATS_A_STAGE_ERRORS,	/* states refused */
	SOCKMI_STATS_A_IMPORTS,
	SOCKMI_STATS_A_UNSTAGES,
	SOCKMI_STATS_A_BYTES,		/* queued bytes checkpointed */
	SOCKMI_STATS_A_EXPORTING,	/* current, not a counter */
	SOCKMI_STATS_A_STAGED_BOUND,	/* current */
	SOCKMI_STATS_A_STAGED_LISTEN,	/* current */
	SOCKMI_STATS_A_STAGED_CONNECTED, /* current */
	__SOCKMI_STATS_A_MAX
};
#define SOCKMI_STATS_A_MAX (__SOCKMI_STATS_A_MAX - 1)

#endif /* _UAPI_LINUX_SOCKMI_H */
