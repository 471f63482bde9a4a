// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's side of a migration: from the kernel's export event to
 * the importer's DONE, following the exporter's machine of fsm.c.
 *
 * Mode: when the socket's local address is one of the configured takeover
 * addresses, the address moves with it (RELEASE_ADDR here, TAKE_ADDR on
 * the importer) and the hold the kernel keeps after the commit is lifted
 * once the importer confirms. Otherwise both hosts keep their addresses
 * and the address's owner redirects the peer's packets to the host the
 * socket is on, which answers as the owner (ANSWER_AS, import.c):
 *  - we own the address (first hop): the commit installs a REDIRECT flow
 *    towards the importer;
 *  - the importer owns it (home): it drops its REDIRECT when it
 *    activates; we commit plainly and drop our flows after DONE;
 *  - a third host owns it (onward): before the commit we ask it to
 *    redirect to the importer instead of us (REROUTE, owner.c), and to
 *    redirect back (UNDO) if we roll back; we drop our flows after DONE.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "takeover.h"

struct sockmid_export *sockmid_export_find(struct sockmid *d, uint64_t id)
{
	struct sockmid_export *x;

	for (x = d->exports; x; x = x->next)
		if (x->id == id && x->state != SOCKMID_S_END)
			return x;
	return NULL;
}

static bool sockmid_takeover_mode(const struct sockmid_export *x)
{
	return x->flags & SOCKMID_REQ_TAKEOVER;
}

static uint64_t sockmid_resend_interval(const struct sockmid *d)
{
	uint64_t iv = d->cfg.timeout_ms / 4;

	return iv < 100 ? 100 : iv;
}

static void sockmid_export_request(struct sockmid *d, struct sockmid_export *x)
{
	struct sockmid_msg m = { .type = SOCKMID_MSG_REQUEST };

	m.request.flags = x->flags;
	m.request.tcp_state = x->tcp_state;
	m.request.tuple = x->tuple;
	m.request.to = x->to;
	sockmid_send_group(d, x->id, &m);
	x->resend_at = sockmid_monotonic_ms() + sockmid_resend_interval(d);
}

void sockmid_export_start(struct sockmid *d, const struct sockmi_msg *ev)
{
	char t[2 * SOCKMI_ADDRSTRLEN + 2], to[SOCKMI_ADDRSTRLEN];
	struct sockmid_export *x;
	uint64_t now = sockmid_monotonic_ms();

	if (!sockmi_msg_has(ev, SOCKMI_A_ID) ||
	    !sockmi_msg_has(ev, SOCKMI_A_TUPLE)) {
		log_warn("export event without id or tuple: ignored");
		return;
	}
	if (sockmid_is_orphan(d, ev->id) || sockmid_export_find(d, ev->id))
		return;
	x = calloc(1, sizeof(*x));
	if (!x) {
		log_err("export %" PRIu64 ": out of memory; the kernel aborts it after net.sockmi.export_timeout",
			ev->id);
		return;
	}
	x->id = ev->id;
	x->tuple = ev->tuple;
	x->tcp_state = ev->tcp_state;
	if (sockmi_msg_has(ev, SOCKMI_A_TO)) {
		x->flags |= SOCKMID_REQ_TO;
		x->to = ev->to;
		x->to.has_port = false;
	}
	if (sockmid_config_takeover(&d->cfg, &x->tuple.local))
		x->flags |= SOCKMID_REQ_TAKEOVER;
	else
		x->addr_owner = sockmid_addr_is_local(&x->tuple.local);
	x->state = SOCKMID_S_NEGOTIATE;
	x->started = now;
	x->deadline = now + d->cfg.timeout_ms;
	x->window_end = now + d->cfg.window_ms;
	snprintf(x->from, sizeof(x->from), "-");
	snprintf(x->to_s, sizeof(x->to_s), "-");
	sockmid_conn_init(&x->conn);
	sockmid_conn_init(&x->oconn);
	x->next = d->exports;
	d->exports = x;

	log_info("export %" PRIu64 " %s: looking for an importer (%s%s, %s)",
		 x->id, sockmid_tuple_format(&x->tuple, t, sizeof(t)),
		 x->flags & SOCKMID_REQ_TO ? "to " : "any host",
		 x->flags & SOCKMID_REQ_TO ?
		 sockmi_addr_format(&x->to, false, to, sizeof(to)) : "",
		 sockmid_takeover_mode(x) ? "address takeover" :
		 x->addr_owner ? "redirect" : "redirect, owned elsewhere");
	if (d->stopping) {
		sockmid_export_event(d, x, SOCKMID_E_SHUTDOWN,
				     "sockmid is shutting down");
		return;
	}
	sockmid_export_request(d, x);
}

/* @a is a better importer than @b: fewer sockets, then lower load. */
static bool sockmid_offer_better(uint32_t sockets, uint32_t load,
				 uint32_t best_sockets, uint32_t best_load)
{
	if (sockets != best_sockets)
		return sockets < best_sockets;
	return load < best_load;
}

void sockmid_export_offer(struct sockmid *d, const struct sockmid_hdr *h,
			  const struct sockmid_msg *m,
			  const struct sockaddr *from, socklen_t fromlen)
{
	struct sockmid_export *x = sockmid_export_find(d, h->xid);
	char buf[SOCKMI_ADDRSTRLEN];
	uint64_t now = sockmid_monotonic_ms();
	unsigned int i;
	bool take;

	sockmid_sa_format(from, buf, sizeof(buf));
	if (!x || m->offer.exporter != d->self) {
		log_debug("offer from %s for an export not ours (%" PRIu64 "): ignored",
			  buf, h->xid);
		return;
	}
	if (x->state != SOCKMID_S_NEGOTIATE) {
		log_info("export %" PRIu64 ": late offer from %s ignored", x->id,
			 buf);
		return;
	}
	/* The same daemon answers each repeated REQUEST. */
	for (i = 0; i < x->offers && i < SOCKMID_OFFERERS_MAX; i++)
		if (x->offered_by[i] == h->sender)
			break;
	/* Past SOCKMID_OFFERERS_MAX every offer counts. */
	if (i == x->offers || i == SOCKMID_OFFERERS_MAX) {
		if (i < SOCKMID_OFFERERS_MAX)
			x->offered_by[i] = h->sender;
		x->offers++;
	}
	log_info("export %" PRIu64 ": offer from %s (%" PRIu32 " sockets, load %" PRIu32 ".%02" PRIu32 ")",
		 x->id, buf, m->offer.sockets, m->offer.load / 100,
		 m->offer.load % 100);
	/* First: the first offer. Least-loaded: the best so far. */
	take = !x->winner.have ||
	       (d->cfg.policy == SOCKMID_POLICY_LEAST_LOADED &&
		sockmid_offer_better(m->offer.sockets, m->offer.load,
				     x->winner.sockets, x->winner.load));
	if (take) {
		x->winner.have = true;
		x->winner.sender = h->sender;
		memcpy(&x->winner.addr, from, fromlen);
		x->winner.len = fromlen;
		if (from->sa_family == AF_INET)
			((struct sockaddr_in *)&x->winner.addr)->sin_port =
				htons(m->offer.port);
		else
			((struct sockaddr_in6 *)&x->winner.addr)->sin6_port =
				htons(m->offer.port);
		x->winner.sockets = m->offer.sockets;
		x->winner.load = m->offer.load;
	}
	if (d->cfg.policy == SOCKMID_POLICY_FIRST || now >= x->window_end)
		sockmid_export_event(d, x, SOCKMID_E_DECIDE, NULL);
}

void sockmid_export_kernel_abort(struct sockmid *d, uint64_t id)
{
	struct sockmid_export *x = sockmid_export_find(d, id);

	if (x)
		sockmid_export_event(d, x, SOCKMID_E_KERNEL_ABORT,
				     "the kernel aborted the export (net.sockmi.export_timeout, or an ABORT by someone else)");
}

/*
 * Seal DATA records while the output queue is short and send them, until
 * the checkpoint is all sealed or the socket is full (then POLLOUT comes
 * back for the rest).
 */
static int sockmid_export_pump(struct sockmid *d, struct sockmid_export *x)
{
	int ret;

	for (;;) {
		while (x->blob && x->blob_off < x->blob_len &&
		       x->conn.out_len - x->conn.out_off < SOCKMID_CONN_HIGH_WATER) {
			struct sockmid_msg m = { .type = SOCKMID_MSG_DATA };
			size_t n = x->blob_len - x->blob_off;

			m.data.data = x->blob + x->blob_off;
			m.data.len = n < SOCKMID_RECORD_BODY_MAX ? n :
				     SOCKMID_RECORD_BODY_MAX;
			ret = sockmid_conn_queue(d, &x->conn, &m);
			if (ret)
				return ret;
			x->blob_off += m.data.len;
		}
		if (x->blob && x->blob_off == x->blob_len) {
			free(x->blob);
			x->blob = NULL;
		}
		ret = sockmid_conn_flush(&x->conn);
		if (ret || !x->blob || x->conn.out_len > x->conn.out_off)
			return ret;
	}
}

/* Connected to the winner: fetch the checkpoint, send META and DATA. */
static void sockmid_export_send_state(struct sockmid *d,
				      struct sockmid_export *x)
{
	struct sockmid_msg m = { .type = SOCKMID_MSG_META };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sockmi_nl_error e;
	char why[SOCKMI_NL_MSG_LEN + 64], buf[SOCKMI_NL_MSG_LEN + 32];
	int ret;

	if (!getsockname(x->conn.fd, (struct sockaddr *)&ss, &sl)) {
		struct sockmi_addr a;

		sockmid_sa_addr((struct sockaddr *)&ss, &a);
		sockmi_addr_format(&a, false, x->from, sizeof(x->from));
	}
	ret = sockmid_kernel_fetch(&d->k, x->id, &x->blob, &x->blob_len, &e);
	if (ret) {
		snprintf(why, sizeof(why), "cannot fetch the checkpoint: %s",
			 sockmi_nl_strerror(&e, buf, sizeof(buf)));
		sockmid_export_event(d, x, ret == -ENOENT ?
				     SOCKMID_E_KERNEL_ABORT : SOCKMID_E_FAIL,
				     why);
		return;
	}
	m.meta.flags = x->flags;
	m.meta.tcp_state = x->tcp_state;
	m.meta.tuple = x->tuple;
	m.meta.len = x->blob_len;
	ret = sockmid_conn_queue(d, &x->conn, &m);
	if (!ret)
		ret = sockmid_export_pump(d, x);
	if (ret) {
		snprintf(why, sizeof(why), "cannot send the state: %s",
			 strerror(-ret));
		sockmid_export_event(d, x, SOCKMID_E_CONN_LOST, why);
		return;
	}
	sockmid_export_event(d, x, SOCKMID_E_CONNECTED, NULL);
}

static void sockmid_export_record(struct sockmid *d, struct sockmid_export *x,
				  const struct sockmid_msg *m)
{
	char why[SOCKMID_TEXT_MAX + 64];

	switch (m->type) {
	case SOCKMID_MSG_STAGED:
		log_debug("export %" PRIu64 ": staged as %" PRIu64 " on the importer",
			  x->id, m->staged.stage_id);
		if (sockmid_takeover_mode(x)) {
			sockmid_export_event(d, x, SOCKMID_E_STAGED, NULL);
			break;
		}
		if (!(m->staged.flags & SOCKMID_STAGED_HOME) &&
		    (!(m->staged.flags & SOCKMID_STAGED_VIA) ||
		     m->staged.via.family != x->tuple.family)) {
			sockmid_export_event(d, x, SOCKMID_E_BAD_MSG,
					     "the importer gave no address of the connection's family to redirect to");
			break;
		}
		x->have_via = m->staged.flags & SOCKMID_STAGED_VIA;
		x->via = m->staged.via;
		x->via.has_port = false;
		sockmid_export_event(d, x, x->addr_owner ||
				     (m->staged.flags & SOCKMID_STAGED_HOME) ?
				     SOCKMID_E_STAGED : SOCKMID_E_STAGED_ONWARD,
				     NULL);
		break;
	case SOCKMID_MSG_REFUSED:
		snprintf(why, sizeof(why), "the importer refused: %s",
			 m->result.text);
		sockmid_export_event(d, x, SOCKMID_E_REFUSED, why);
		break;
	case SOCKMID_MSG_DONE:
		if (!m->result.err) {
			sockmid_export_event(d, x, SOCKMID_E_DONE, NULL);
			break;
		}
		snprintf(why, sizeof(why), "the importer could not activate it: %s",
			 m->result.text);
		sockmid_export_event(d, x, SOCKMID_E_DONE_FAIL, why);
		break;
	default:
		snprintf(why, sizeof(why), "unexpected %s record from the importer",
			 sockmid_msg_name(m->type));
		sockmid_export_event(d, x, SOCKMID_E_BAD_MSG, why);
		break;
	}
}

void sockmid_export_io(struct sockmid *d, struct sockmid_export *x,
		       short revents)
{
	char why[SOCKMID_TEXT_MAX], buf[SOCKMI_ADDRSTRLEN];
	struct sockmid_hdr h;
	struct sockmid_msg m;
	int ret, r, err = 0;
	socklen_t sl = sizeof(err);

	if (x->conn.connecting) {
		if (getsockopt(x->conn.fd, SOL_SOCKET, SO_ERROR, &err, &sl))
			err = errno;
		if (err) {
			snprintf(why, sizeof(why), "cannot connect to %s: %s",
				 sockmid_sa_format((struct sockaddr *)&x->winner.addr,
						   buf, sizeof(buf)),
				 strerror(err));
			sockmid_export_event(d, x, SOCKMID_E_CONN_LOST, why);
			return;
		}
		x->conn.connecting = false;
		sockmid_export_send_state(d, x);
		return;
	}
	if (revents & POLLOUT) {
		size_t before = x->conn.out_off;

		ret = sockmid_export_pump(d, x);
		if (ret) {
			snprintf(why, sizeof(why), "transfer to the importer broke: %s",
				 strerror(-ret));
			sockmid_export_event(d, x, SOCKMID_E_CONN_LOST, why);
			return;
		}
		/* Progress keeps the transfer alive. */
		if (x->state == SOCKMID_S_TRANSFER &&
		    (x->conn.out_off != before || !x->conn.out_len))
			x->deadline = sockmid_monotonic_ms() + d->cfg.timeout_ms;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	ret = sockmid_conn_fill(&x->conn);
	while (x->state != SOCKMID_S_END &&
	       (r = sockmid_conn_next(d, &x->conn, &h, &m, why, sizeof(why))) != 0) {
		if (r < 0) {
			sockmid_log_drop("export %" PRIu64 ": bad record from the importer: %s",
					 x->id, why);
			sockmid_export_event(d, x, SOCKMID_E_BAD_MSG, why);
			return;
		}
		sockmid_export_record(d, x, &m);
	}
	if (ret && x->state != SOCKMID_S_END) {
		snprintf(why, sizeof(why), "connection to the importer %s",
			 ret == -EPIPE ? "closed" : strerror(-ret));
		sockmid_export_event(d, x, SOCKMID_E_CONN_LOST, why);
	}
}

uint64_t sockmid_export_wakeup(const struct sockmid_export *x)
{
	uint64_t t = x->deadline;

	if (x->state != SOCKMID_S_NEGOTIATE)
		return t;
	if (x->resend_at < t)
		t = x->resend_at;
	if (x->winner.have && x->window_end < t)
		t = x->window_end;
	return t;
}

void sockmid_export_timer(struct sockmid *d, struct sockmid_export *x,
			  uint64_t now)
{
	char why[SOCKMID_TEXT_MAX];

	if (now >= x->deadline) {
		if (x->state == SOCKMID_S_NEGOTIATE)
			snprintf(why, sizeof(why),
				 "no importer answered within %u ms",
				 d->cfg.timeout_ms);
		else
			snprintf(why, sizeof(why), "timed out in state %s",
				 sockmid_state_name(x->state));
		sockmid_export_event(d, x, SOCKMID_E_TIMEOUT, why);
		return;
	}
	if (x->state != SOCKMID_S_NEGOTIATE)
		return;
	if (x->winner.have && now >= x->window_end)
		sockmid_export_event(d, x, SOCKMID_E_DECIDE, NULL);
	else if (now >= x->resend_at)
		sockmid_export_request(d, x);
}

/*
 * Onward: ask the owner of the socket's address (its daemon listens on
 * our port, at that address) to redirect the peer's packets to the
 * importer. Its answer comes through sockmid_export_owner_io().
 */
static int sockmid_export_reroute(struct sockmid *d, struct sockmid_export *x,
				  char *why, size_t whylen)
{
	struct sockmid_msg m = { .type = SOCKMID_MSG_REROUTE };
	struct sockaddr_storage ss = { 0 };
	char addr[SOCKMI_ADDRSTRLEN];
	socklen_t sl;
	int ret;

	if (x->tuple.family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = x->tuple.local.in;
		sin->sin_port = htons(d->cfg.port);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = x->tuple.local.in6;
		sin6->sin6_port = htons(d->cfg.port);
		sl = sizeof(*sin6);
	}
	sockmid_sa_format((struct sockaddr *)&ss, addr, sizeof(addr));
	x->oconn.fd = socket(ss.ss_family,
			     SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (x->oconn.fd < 0 ||
	    (connect(x->oconn.fd, (struct sockaddr *)&ss, sl) &&
	     errno != EINPROGRESS)) {
		snprintf(why, whylen, "cannot reach the address owner at %s: %s",
			 addr, strerror(errno));
		return SOCKMID_E_REROUTE_FAIL;
	}
	x->oconn.connecting = true;
	/* The owner's id is learnt from its answer. */
	x->oconn.xid = x->id;
	m.reroute.tuple = x->tuple;
	m.reroute.via = x->via;
	ret = sockmid_conn_queue(d, &x->oconn, &m);
	if (ret) {
		snprintf(why, whylen, "cannot ask the address owner: %s",
			 strerror(-ret));
		return SOCKMID_E_REROUTE_FAIL;
	}
	log_info("export %" PRIu64 ": asking the address owner %s to redirect to %s",
		 x->id, addr, x->to_s);
	return -1;
}

/* Rolling back: the owner redirects to us again, if it was asked. */
static void sockmid_export_undo(struct sockmid *d, struct sockmid_export *x)
{
	struct sockmid_msg m = { .type = SOCKMID_MSG_UNDO };

	if (!x->reroute_sent)
		return;
	if (x->oconn.fd < 0 || x->oconn.connecting ||
	    sockmid_conn_queue(d, &x->oconn, &m)) {
		log_err("export %" PRIu64 ": cannot tell the address owner to redirect back here; the connection stays unreachable until its flow is fixed (sockmictl flows)",
			x->id);
		return;
	}
	sockmid_conn_drain(&x->oconn, 500);
	log_info("export %" PRIu64 ": asked the address owner to redirect back here",
		 x->id);
}

void sockmid_export_owner_io(struct sockmid *d, struct sockmid_export *x,
			     short revents)
{
	char why[SOCKMID_TEXT_MAX + 64];
	struct sockmid_hdr h;
	struct sockmid_msg m;
	int ret, r, err = 0;
	socklen_t sl = sizeof(err);

	if (x->oconn.connecting) {
		if (getsockopt(x->oconn.fd, SOL_SOCKET, SO_ERROR, &err, &sl))
			err = errno;
		if (err) {
			snprintf(why, sizeof(why),
				 "cannot reach the address owner's sockmid: %s",
				 strerror(err));
			sockmid_conn_close(&x->oconn);
			sockmid_export_event(d, x, SOCKMID_E_REROUTE_FAIL, why);
			return;
		}
		x->oconn.connecting = false;
		revents |= POLLOUT;
	}
	if (revents & POLLOUT) {
		ret = sockmid_conn_flush(&x->oconn);
		if (ret) {
			snprintf(why, sizeof(why), "connection to the address owner: %s",
				 strerror(-ret));
			sockmid_export_event(d, x, SOCKMID_E_REROUTE_FAIL, why);
			return;
		}
		/* The REROUTE is on its way: an UNDO is owed on rollback. */
		x->reroute_sent = true;
	}
	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	ret = sockmid_conn_fill(&x->oconn);
	while (x->state != SOCKMID_S_END &&
	       (r = sockmid_conn_next(d, &x->oconn, &h, &m, why, sizeof(why))) != 0) {
		if (r < 0 || h.xid != x->id || m.type != SOCKMID_MSG_REROUTED) {
			if (r > 0)
				snprintf(why, sizeof(why), "unexpected %s record",
					 sockmid_msg_name(m.type));
			sockmid_log_drop("export %" PRIu64 ": bad record from the address owner: %s",
					 x->id, why);
			sockmid_export_event(d, x, SOCKMID_E_REROUTE_FAIL, why);
			return;
		}
		if (m.result.err) {
			snprintf(why, sizeof(why), "the address owner refused to redirect: %s",
				 m.result.text);
			sockmid_export_event(d, x, SOCKMID_E_REROUTE_FAIL, why);
			return;
		}
		log_info("export %" PRIu64 ": the address owner redirects to %s",
			 x->id, x->to_s);
		sockmid_export_event(d, x, SOCKMID_E_REROUTED, NULL);
	}
	if (ret && x->state == SOCKMID_S_REROUTE) {
		snprintf(why, sizeof(why), "connection to the address owner %s",
			 ret == -EPIPE ? "closed" : strerror(-ret));
		sockmid_export_event(d, x, SOCKMID_E_REROUTE_FAIL, why);
	} else if (ret) {
		/* Done with it: it closes once we committed. */
		sockmid_conn_close(&x->oconn);
	}
}

/* The actions of an edge; returns the event an action raised, or -1. */
static int sockmid_export_act(struct sockmid *d, struct sockmid_export *x,
			      enum sockmid_action a, char *why, size_t whylen)
{
	char buf[SOCKMI_NL_MSG_LEN + 32], addr[SOCKMI_ADDRSTRLEN];
	struct sockmi_nl_error e;
	struct sockmid_msg m;
	struct sockmi_addr via;
	int ret, ifindex;
	uint8_t plen;

	switch (a) {
	case SOCKMID_A_SEND_CONFIRM:
		sockmid_sa_addr((struct sockaddr *)&x->winner.addr, &via);
		sockmi_addr_format(&via, false, x->to_s, sizeof(x->to_s));
		log_info("export %" PRIu64 ": %s chosen among %u offer%s", x->id,
			 sockmid_sa_format((struct sockaddr *)&x->winner.addr,
					   addr, sizeof(addr)),
			 x->offers, x->offers == 1 ? "" : "s");
		m = (struct sockmid_msg){ .type = SOCKMID_MSG_CONFIRM };
		m.confirm.winner = x->winner.sender;
		sockmid_send_group(d, x->id, &m);
		return -1;
	case SOCKMID_A_CONNECT:
		x->conn.fd = socket(x->winner.addr.ss_family,
				    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (x->conn.fd < 0 ||
		    (connect(x->conn.fd, (struct sockaddr *)&x->winner.addr,
			     x->winner.len) && errno != EINPROGRESS)) {
			snprintf(why, whylen, "cannot connect to %s: %s",
				 sockmid_sa_format((struct sockaddr *)&x->winner.addr,
						   addr, sizeof(addr)),
				 strerror(errno));
			return SOCKMID_E_FAIL;
		}
		/* Done or not, poll() reports it as writable. */
		x->conn.connecting = true;
		x->conn.bound = true;
		x->conn.peer = x->winner.sender;
		x->conn.xid = x->id;
		return -1;
	case SOCKMID_A_KERNEL_COMMIT:
		/* Not the address owner: the hold stays until DONE. */
		if (sockmid_takeover_mode(x) || !x->addr_owner)
			ret = sockmid_kernel_by_id(&d->k, SOCKMI_CMD_COMMIT, x->id,
						   &e);
		else
			ret = sockmid_kernel_commit_flow(&d->k, x->id, &x->tuple,
							 SOCKMI_FLOW_REDIRECT,
							 &x->via, &e);
		if (!ret)
			return SOCKMID_E_COMMIT_OK;
		snprintf(why, whylen, "COMMIT failed: %s",
			 sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return SOCKMID_E_COMMIT_FAIL;
	case SOCKMID_A_KERNEL_ABORT:
		ret = sockmid_kernel_by_id(&d->k, SOCKMI_CMD_ABORT, x->id, &e);
		if (ret == -ENOENT)
			log_debug("export %" PRIu64 ": no longer in the kernel",
				  x->id);
		else if (ret)
			log_err("export %" PRIu64 ": ABORT failed: %s; the kernel aborts it after net.sockmi.export_timeout",
				x->id, sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return -1;
	case SOCKMID_A_RELEASE_ADDR:
		if (!sockmid_takeover_mode(x))
			return -1;
		sockmi_addr_format(&x->tuple.local, false, addr, sizeof(addr));
		if (sockmid_addr_lookup(&x->tuple.local, &ifindex, &plen)) {
			log_info("export %" PRIu64 ": %s is not on this host any more",
				 x->id, addr);
			return -1;
		}
		if (sockmid_addr_change(false, ifindex, &x->tuple.local, plen,
					buf, sizeof(buf)))
			log_err("export %" PRIu64 ": cannot remove %s/%u: %s",
				x->id, addr, plen, buf);
		else
			log_info("export %" PRIu64 ": released %s/%u", x->id,
				 addr, plen);
		return -1;
	case SOCKMID_A_SEND_COMMIT:
		m = (struct sockmid_msg){ .type = SOCKMID_MSG_COMMIT };
		ret = sockmid_conn_queue(d, &x->conn, &m);
		if (!ret)
			ret = sockmid_conn_flush(&x->conn);
		if (ret)
			log_warn("export %" PRIu64 ": cannot send COMMIT: %s",
				 x->id, strerror(-ret));
		return -1;
	case SOCKMID_A_SEND_ABORT:
		if (x->conn.fd < 0 || x->conn.connecting)
			return -1;
		m = (struct sockmid_msg){ .type = SOCKMID_MSG_ABORT };
		m.result.err = ECANCELED;
		snprintf(m.result.text, sizeof(m.result.text), "%s",
			 x->reason[0] ? x->reason : "aborted");
		if (!sockmid_conn_queue(d, &x->conn, &m))
			sockmid_conn_drain(&x->conn, 200);
		return -1;
	case SOCKMID_A_LIFT_HOLD:
		/* First hop: the REDIRECT flow replaced the hold. */
		if (!sockmid_takeover_mode(x) && x->addr_owner)
			return -1;
		/* Takeover: the hold; otherwise our ANSWER_AS and the hold. */
		ret = sockmid_kernel_flow(&d->k, SOCKMI_CMD_DEL_FLOW, &x->tuple,
					  sockmid_takeover_mode(x) ?
					  SOCKMI_FLOW_HOLD : -1, NULL, 0, &e);
		if (ret && ret != -ENOENT)
			log_err("export %" PRIu64 ": cannot remove the moved connection's flows: %s",
				x->id, sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return -1;
	case SOCKMID_A_REROUTE:
		return sockmid_export_reroute(d, x, why, whylen);
	case SOCKMID_A_UNDO_REROUTE:
		sockmid_export_undo(d, x);
		return -1;
	default:
		log_err("export %" PRIu64 ": action %s is not the exporter's",
			x->id, sockmid_action_name(a));
		return -1;
	}
}

void sockmid_export_event(struct sockmid *d, struct sockmid_export *x,
			  enum sockmid_event ev, const char *reason)
{
	const struct sockmid_edge *e;
	char why[SOCKMID_TEXT_MAX] = "";
	unsigned int bit;
	int next;

	for (;;) {
		e = sockmid_fsm_step(SOCKMID_EXPORTER, x->state, ev);
		if (!e->defined) {
			log_debug("export %" PRIu64 ": %s ignored in state %s",
				  x->id, sockmid_event_name(ev),
				  sockmid_state_name(x->state));
			return;
		}
		log_debug("export %" PRIu64 ": %s: %s -> %s", x->id,
			  sockmid_event_name(ev), sockmid_state_name(x->state),
			  sockmid_state_name(e->next));
		if (reason && reason[0] && !x->reason[0])
			snprintf(x->reason, sizeof(x->reason), "%s", reason);
		x->state = e->next;
		x->result = e->result;
		x->deadline = sockmid_monotonic_ms() + d->cfg.timeout_ms;

		next = -1;
		for (bit = 1; bit <= e->actions; bit <<= 1) {
			int raised;

			if (!(e->actions & bit))
				continue;
			why[0] = '\0';
			raised = sockmid_export_act(d, x, (enum sockmid_action)bit,
						    why, sizeof(why));
			if (raised >= 0 && next < 0) {
				next = raised;
				if (why[0] && !x->reason[0])
					snprintf(x->reason, sizeof(x->reason),
						 "%s", why);
			}
		}
		if (x->state == SOCKMID_S_END && x->conn.fd >= 0) {
			sockmid_conn_drain(&x->conn, 200);
			sockmid_conn_close(&x->conn);
		}
		if (x->state == SOCKMID_S_END && x->oconn.fd >= 0) {
			sockmid_conn_drain(&x->oconn, 200);
			sockmid_conn_close(&x->oconn);
		}
		if (next < 0)
			return;
		ev = (enum sockmid_event)next;
		reason = NULL;
	}
}

void sockmid_export_free(struct sockmid_export *x)
{
	char t[2 * SOCKMI_ADDRSTRLEN + 2];
	bool good = x->result == SOCKMID_R_COMMITTED;

	sockmid_log(good ? LOG_NOTICE : LOG_WARNING,
		    "export id=%" PRIu64 " tuple=%s from=%s to=%s bytes=%zu duration_ms=%" PRIu64 " result=%s%s%s%s",
		    x->id, sockmid_tuple_format(&x->tuple, t, sizeof(t)), x->from,
		    x->to_s, x->blob_len, sockmid_monotonic_ms() - x->started,
		    sockmid_result_name(x->result),
		    x->reason[0] ? " reason=\"" : "", x->reason,
		    x->reason[0] ? "\"" : "");
	sockmid_conn_close(&x->conn);
	sockmid_conn_close(&x->oconn);
	free(x->blob);
	free(x);
}
