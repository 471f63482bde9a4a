/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockmid's state and what its files offer each other:
 *
 *	main.c		options, configuration, daemonizing
 *	daemon.c	the event loop, signals, start-up clean-up, reload
 *	net.c		the negotiation socket (UDP) and the transfer
 *			listener (TCP): sending, receiving, opening
 *	conn.c		sealed records over one TCP connection
 *	export.c	the exporter's side of a migration
 *	import.c	the importer's side
 *	owner.c		the owner of a redirected address, asked to
 *			redirect it elsewhere (multi-hop)
 *	rules.c		the -j SOCKMI rules installed at start
 *	fsm.c		the commit protocol both sides follow
 *	wire.c, replay.c, kernel.c, takeover.c, config.c, log.c
 *
 * Everything runs in one thread around poll(); nothing blocks but the
 * kernel's netlink answers.
 */

#ifndef SOCKMID_DAEMON_H
#define SOCKMID_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "fsm.h"
#include "kernel.h"
#include "replay.h"
#include "rules.h"
#include "wire.h"

/* Exports rolled back at start-up, whose events may still be queued. */
#define SOCKMID_ORPHANS_MAX 64
/* Transfer connections waiting for their first record, at most. */
#define SOCKMID_ACCEPTED_MAX 32
/* Distinct offering daemons an export remembers, to count them. */
#define SOCKMID_OFFERERS_MAX 16
/* Output queued on a transfer before more DATA is sealed. */
#define SOCKMID_CONN_HIGH_WATER (256U * 1024)

/**
 * struct sockmid_conn - one TCP connection carrying sealed records
 * @fd: the socket, -1 when none
 * @connecting: a non-blocking connect() is under way
 * @bound: @peer and @xid are known; every record must carry them
 * @peer: the other daemon's instance id
 * @xid: the export the transfer is about
 * @tx_seq: sequence number of the next record sent
 * @rx_seq: sequence number the next record received must have
 * @in: bytes received, @in_len of them, room for @in_cap
 * @out: bytes to send from @out_off to @out_len, room for @out_cap
 * @body: the body of the last record received
 */
struct sockmid_conn {
	int fd;
	bool connecting;
	bool bound;
	uint64_t peer;
	uint64_t xid;
	uint32_t tx_seq;
	uint32_t rx_seq;
	uint8_t *in;
	size_t in_len, in_cap;
	uint8_t *out;
	size_t out_off, out_len, out_cap;
	uint8_t *body;
};

/* The exporter's side of one migration. */
struct sockmid_export {
	struct sockmid_export *next;
	uint64_t id;			/* the kernel's export id */
	enum sockmid_state state;
	enum sockmid_result result;
	uint32_t flags;			/* enum sockmid_req_flags */
	uint8_t tcp_state;
	struct sockmi_tuple tuple;
	struct sockmi_addr to;		/* with SOCKMID_REQ_TO */
	uint64_t started;		/* monotonic ms */
	uint64_t deadline;		/* of the current state */
	uint64_t resend_at;		/* next REQUEST */
	uint64_t window_end;		/* least-loaded: decide then */
	unsigned int offers;		/* from distinct daemons */
	uint64_t offered_by[SOCKMID_OFFERERS_MAX];
	struct {
		bool have;
		uint64_t sender;
		struct sockaddr_storage addr;	/* where to connect */
		socklen_t len;
		uint32_t sockets, load;
	} winner;
	struct sockmid_conn conn;
	/* Redirection: we own the socket's local address (first hop). */
	bool addr_owner;
	/* Redirection: where the importer takes the peer's packets. */
	bool have_via;
	struct sockmi_addr via;
	/* Redirection onward: the connection to the address's owner; the
	 * REROUTE went out on it (an UNDO is owed on a rollback). */
	struct sockmid_conn oconn;
	bool reroute_sent;
	char from[SOCKMI_ADDRSTRLEN];	/* our end of the transfer */
	char to_s[SOCKMI_ADDRSTRLEN];	/* the chosen importer, or "-" */
	uint8_t *blob;			/* the checkpoint */
	size_t blob_len, blob_off;	/* its length, bytes sealed so far */
	char reason[SOCKMID_TEXT_MAX];	/* why it ended as it did */
};

/* The importer's side of one migration. */
struct sockmid_import {
	struct sockmid_import *next;
	uint64_t exporter;		/* its instance id */
	uint64_t xid;
	enum sockmid_state state;
	enum sockmid_result result;
	uint32_t flags;
	uint8_t tcp_state;
	struct sockmi_tuple tuple;
	struct sockaddr_storage from;	/* the exporter's UDP address */
	socklen_t fromlen;
	uint64_t started, deadline;
	struct sockmid_conn conn;
	char to[SOCKMI_ADDRSTRLEN];	/* our end of the transfer */
	uint8_t *blob;
	size_t blob_len, blob_have;
	uint64_t stage_id;
	uint32_t err;			/* why staging or activation failed */
	struct sockmi_addr local;	/* our end of the transfer */
	bool home;			/* redirect: we own the address */
	bool have_via;			/* redirect: we answer at @via */
	struct sockmi_addr via;
	bool flow_added;		/* redirect: the ANSWER_AS flow */
	char reason[SOCKMID_TEXT_MAX];
};

/* A transfer connection accepted, not yet tied to an offer. */
struct sockmid_accepted {
	struct sockmid_accepted *next;
	struct sockmid_conn conn;
	uint64_t deadline;
	char peer[SOCKMI_ADDRSTRLEN];
	bool done;
};

/*
 * The owner of a redirected connection's address, asked by the host the
 * socket is on to redirect it to the next one (owner.c).
 */
struct sockmid_owner {
	struct sockmid_owner *next;
	struct sockmid_conn conn;
	struct sockmi_tuple tuple;
	struct sockmi_addr prev;	/* where it went before the REROUTE */
	struct sockmi_addr via;		/* where it goes now */
	bool applied;			/* the REROUTE is in force */
	uint64_t deadline;
	char peer[SOCKMI_ADDRSTRLEN];
	bool done;
};

/* The negotiation socket and the transfer listener. */
struct sockmid_sockets {
	int udp, tcp;
	int family;		/* of both */
	int ifindex;		/* of the configured interface, or 0 */
};

struct sockmid {
	struct sockmid_config cfg;	/* in force */
	struct sockmid_config cli;	/* from the command line */
	const char *conf_path;
	bool conf_required;		/* --config given: must exist */
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint64_t self;			/* instance id, random */
	struct sockmid_kernel k;
	struct sockmid_sockets net;
	int sigfd;
	struct sockmid_replay replay;
	struct sockmid_export *exports;
	struct sockmid_import *imports;
	struct sockmid_accepted *accepted;
	unsigned int naccepted;
	struct sockmid_owner *owners;
	struct sockmid_rules rules;	/* the -j SOCKMI rules we added */
	uint64_t orphans[SOCKMID_ORPHANS_MAX];
	unsigned int norphans;
	bool stopping;
};

/* main.c */
/**
 * sockmid_load_config - the configuration file merged with the command
 * line, checked, and its key read
 * @d: the daemon; d->cli and d->conf_path are used
 * @cfg: the result
 * @key: the message key derived from the key file (zeros with insecure)
 * @err: why it failed
 * @errlen: room at @err
 */
int sockmid_load_config(const struct sockmid *d, struct sockmid_config *cfg,
			uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
			char *err, size_t errlen);

/* daemon.c */
int sockmid_run(struct sockmid *d);
/* The export id was rolled back at start-up: ignore its events. */
bool sockmid_is_orphan(const struct sockmid *d, uint64_t id);

/* net.c */
/* Open the sockets @cfg asks for; on error nothing is left open. */
int sockmid_net_open(const struct sockmid_config *cfg,
		     struct sockmid_sockets *net, char *err, size_t errlen);
void sockmid_net_close(struct sockmid_sockets *net);
/* Seal and send one datagram; failures are logged. */
void sockmid_send_dgram(struct sockmid *d, const struct sockaddr *to,
			socklen_t tolen, uint64_t xid,
			const struct sockmid_msg *m);
/* To the group, or to every peer in unicast mode. */
void sockmid_send_group(struct sockmid *d, uint64_t xid,
			const struct sockmid_msg *m);
void sockmid_udp_input(struct sockmid *d);
/* "192.0.2.1:8877", "[2001:db8::1]:8877" */
const char *sockmid_sa_format(const struct sockaddr *sa, char *buf,
			      size_t len);
void sockmid_sa_addr(const struct sockaddr *sa, struct sockmi_addr *a);
/* "192.0.2.1:80-198.51.100.7:40000" */
const char *sockmid_tuple_format(const struct sockmi_tuple *t, char *buf,
				 size_t len);
bool sockmid_tuple_equal(const struct sockmi_tuple *a,
			 const struct sockmi_tuple *b);
/* The address is one of this host's. */
bool sockmid_addr_is_local(const struct sockmi_addr *a);

/* conn.c */
void sockmid_conn_init(struct sockmid_conn *c);
void sockmid_conn_close(struct sockmid_conn *c);
int sockmid_conn_queue(struct sockmid *d, struct sockmid_conn *c,
		       const struct sockmid_msg *m);
int sockmid_conn_flush(struct sockmid_conn *c);
/* Read what arrived. 0, -EPIPE at end of stream, or another -errno. */
int sockmid_conn_fill(struct sockmid_conn *c);
/*
 * The next complete record, checked (authenticity, freshness, order,
 * sender, export, type): 1 and @h, @m filled; 0 when none is complete;
 * -1 with @why set when the stream is bad.
 */
int sockmid_conn_next(struct sockmid *d, struct sockmid_conn *c,
		      struct sockmid_hdr *h, struct sockmid_msg *m,
		      char *why, size_t whylen);
/* Events poll() should wait for. */
short sockmid_conn_events(const struct sockmid_conn *c);
/* Before closing: send what is queued, waiting up to @ms. */
void sockmid_conn_drain(struct sockmid_conn *c, int ms);

/* export.c */
void sockmid_export_start(struct sockmid *d, const struct sockmi_msg *ev);
void sockmid_export_offer(struct sockmid *d, const struct sockmid_hdr *h,
			  const struct sockmid_msg *m,
			  const struct sockaddr *from, socklen_t fromlen);
void sockmid_export_kernel_abort(struct sockmid *d, uint64_t id);
void sockmid_export_io(struct sockmid *d, struct sockmid_export *x,
		       short revents);
/* The connection to the address owner (redirection onward). */
void sockmid_export_owner_io(struct sockmid *d, struct sockmid_export *x,
			     short revents);
void sockmid_export_timer(struct sockmid *d, struct sockmid_export *x,
			  uint64_t now);
uint64_t sockmid_export_wakeup(const struct sockmid_export *x);
void sockmid_export_event(struct sockmid *d, struct sockmid_export *x,
			  enum sockmid_event ev, const char *reason);
/* Log the migration's line and free it. */
void sockmid_export_free(struct sockmid_export *x);
struct sockmid_export *sockmid_export_find(struct sockmid *d, uint64_t id);

/* import.c */
void sockmid_import_request(struct sockmid *d, const struct sockmid_hdr *h,
			    const struct sockmid_msg *m,
			    const struct sockaddr *from, socklen_t fromlen);
void sockmid_import_confirm(struct sockmid *d, const struct sockmid_hdr *h,
			    const struct sockmid_msg *m);
void sockmid_import_accept(struct sockmid *d);
void sockmid_accepted_io(struct sockmid *d, struct sockmid_accepted *a,
			 short revents);
void sockmid_import_io(struct sockmid *d, struct sockmid_import *s,
		       short revents);
void sockmid_import_timer(struct sockmid *d, struct sockmid_import *s,
			  uint64_t now);
void sockmid_import_event(struct sockmid *d, struct sockmid_import *s,
			  enum sockmid_event ev, const char *reason);
void sockmid_import_free(struct sockmid_import *s);
void sockmid_accepted_free(struct sockmid_accepted *a);

/* owner.c */
/* A transfer connection began with REROUTE: serve it as the owner. */
void sockmid_owner_start(struct sockmid *d, struct sockmid_accepted *a,
			 const struct sockmid_hdr *h,
			 const struct sockmid_msg *m, int fill);
void sockmid_owner_io(struct sockmid *d, struct sockmid_owner *o,
		      short revents);
void sockmid_owner_timer(struct sockmid *d, struct sockmid_owner *o,
			 uint64_t now);
void sockmid_owner_free(struct sockmid_owner *o);

#endif /* SOCKMID_DAEMON_H */
