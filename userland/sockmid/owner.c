// SPDX-License-Identifier: GPL-2.0
/*
 * The owner of a redirected connection's address. A connection whose
 * socket moved away from this host (the first hop) is redirected by this
 * host for as long as it lives elsewhere, wherever it goes: when the host
 * it is on moves it on, that host's daemon connects here and asks, before
 * its commit, that the peer's packets go to the next host instead
 * (REROUTE); if it then rolls back, it asks for the old way again (UNDO).
 * Nothing else changes our flows: coming home, the importer (this host)
 * drops the REDIRECT itself. See docs/commit-protocol.md.
 *
 * A REROUTE is honoured only for a connection this host redirects now,
 * whose local address is this host's, and only while the exporter waits
 * for the answer (not when its UNDO or its hang-up arrived with it); the
 * REDIRECT is replaced atomically (SOCKMI_FLOW_F_REPLACE), so the peer's
 * packets always have exactly one place to go.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "log.h"

static void sockmid_owner_reply(struct sockmid *d, struct sockmid_owner *o,
				uint32_t err, const char *text)
{
	struct sockmid_msg m = { .type = SOCKMID_MSG_REROUTED };
	int ret;

	m.result.err = err;
	snprintf(m.result.text, sizeof(m.result.text), "%s", text);
	ret = sockmid_conn_queue(d, &o->conn, &m);
	if (!ret)
		ret = sockmid_conn_flush(&o->conn);
	if (ret)
		log_warn("flow of %s: cannot answer: %s", o->peer,
			 strerror(-ret));
}

/* Point the REDIRECT at @via; 0 or -errno with @why. */
static int sockmid_owner_redirect(struct sockmid *d, struct sockmid_owner *o,
				  const struct sockmi_addr *via, char *why,
				  size_t whylen)
{
	char buf[SOCKMI_NL_MSG_LEN + 32];
	struct sockmi_nl_error e;
	int ret;

	ret = sockmid_kernel_flow(&d->k, SOCKMI_CMD_NEW_FLOW, &o->tuple,
				  SOCKMI_FLOW_REDIRECT, via,
				  SOCKMI_FLOW_F_REPLACE, &e);
	if (ret)
		snprintf(why, whylen, "cannot redirect: %s",
			 sockmi_nl_strerror(&e, buf, sizeof(buf)));
	return ret;
}

static void sockmid_owner_reroute(struct sockmid *d, struct sockmid_owner *o,
				  const struct sockmid_msg *m)
{
	char t[2 * SOCKMI_ADDRSTRLEN + 2], prev[SOCKMI_ADDRSTRLEN];
	char via[SOCKMI_ADDRSTRLEN], buf[SOCKMI_NL_MSG_LEN + 32];
	char why[SOCKMID_TEXT_MAX];
	struct sockmi_nl_error e;
	struct sockmi_flow fl;
	int ret;

	o->tuple = m->reroute.tuple;
	o->via = m->reroute.via;
	o->via.has_port = false;
	sockmid_tuple_format(&o->tuple, t, sizeof(t));
	sockmi_addr_format(&o->via, false, via, sizeof(via));
	if (d->stopping) {
		sockmid_owner_reply(d, o, ESHUTDOWN, "sockmid is shutting down");
		return;
	}
	if (!sockmid_addr_is_local(&o->tuple.local)) {
		log_warn("flow %s: %s asks to redirect it, but its address is not ours: refused",
			 t, o->peer);
		sockmid_owner_reply(d, o, EADDRNOTAVAIL,
				    "the connection's address is not the owner's");
		return;
	}
	ret = sockmid_kernel_flow_get(&d->k, &o->tuple, &fl, &e);
	if (ret || fl.action != SOCKMI_FLOW_REDIRECT ||
	    !((fl.present >> SOCKMI_FLOW_A_VIA) & 1U)) {
		if (ret && ret != -ENOENT)
			snprintf(why, sizeof(why), "cannot read the flows: %s",
				 sockmi_nl_strerror(&e, buf, sizeof(buf)));
		else
			snprintf(why, sizeof(why),
				 "the owner does not redirect the connection");
		log_warn("flow %s: %s asks to redirect it to %s: refused, %s",
			 t, o->peer, via, why);
		sockmid_owner_reply(d, o, ret && ret != -ENOENT ? (uint32_t)-ret :
				    ENOENT, why);
		return;
	}
	o->prev = fl.via;
	o->prev.has_port = false;
	sockmi_addr_format(&o->prev, false, prev, sizeof(prev));
	ret = sockmid_owner_redirect(d, o, &o->via, why, sizeof(why));
	if (ret) {
		log_err("flow %s: %s", t, why);
		sockmid_owner_reply(d, o, (uint32_t)-ret, why);
		return;
	}
	o->applied = true;
	log_info("flow %s: redirected to %s instead of %s, asked by %s", t,
		 via, prev, o->peer);
	sockmid_owner_reply(d, o, 0, "redirected");
}

static void sockmid_owner_undo(struct sockmid *d, struct sockmid_owner *o)
{
	char t[2 * SOCKMI_ADDRSTRLEN + 2], prev[SOCKMI_ADDRSTRLEN];
	char why[SOCKMID_TEXT_MAX];

	if (!o->applied)
		return;
	sockmid_tuple_format(&o->tuple, t, sizeof(t));
	sockmi_addr_format(&o->prev, false, prev, sizeof(prev));
	if (sockmid_owner_redirect(d, o, &o->prev, why, sizeof(why))) {
		log_err("flow %s: rolled back by %s, but %s", t, o->peer, why);
		return;
	}
	o->applied = false;
	log_info("flow %s: rolled back by %s: redirected to %s again", t,
		 o->peer, prev);
}

/* Records after the REROUTE: an UNDO, or the end of the stream. */
static void sockmid_owner_input(struct sockmid *d, struct sockmid_owner *o,
				int fill)
{
	char why[SOCKMID_TEXT_MAX];
	struct sockmid_hdr h;
	struct sockmid_msg m;
	int r;

	while (!o->done &&
	       (r = sockmid_conn_next(d, &o->conn, &h, &m, why, sizeof(why))) != 0) {
		if (r < 0 || m.type != SOCKMID_MSG_UNDO) {
			if (r > 0)
				snprintf(why, sizeof(why), "unexpected %s record",
					 sockmid_msg_name(m.type));
			sockmid_log_drop("flow of %s: bad record: %s", o->peer,
					 why);
			o->done = true;
			return;
		}
		sockmid_owner_undo(d, o);
		o->deadline = sockmid_monotonic_ms() + 4ULL * d->cfg.timeout_ms;
	}
	if (fill)
		o->done = true;
}

void sockmid_owner_start(struct sockmid *d, struct sockmid_accepted *a,
			 const struct sockmid_hdr *h,
			 const struct sockmid_msg *m, int fill)
{
	struct sockmid_owner *o = calloc(1, sizeof(*o));
	char why[SOCKMID_TEXT_MAX], t[2 * SOCKMI_ADDRSTRLEN + 2];
	struct sockmid_hdr hh;
	struct sockmid_msg mm;
	bool withdrawn;
	int r;

	(void)h;
	if (!o) {
		log_err("flow of %s: out of memory, REROUTE ignored", a->peer);
		return;
	}
	o->conn = a->conn;
	sockmid_conn_init(&a->conn);
	snprintf(o->peer, sizeof(o->peer), "%s", a->peer);
	/*
	 * The exporter waits a --timeout for the answer; an UNDO may follow
	 * up to its next --timeout.
	 */
	o->deadline = sockmid_monotonic_ms() + 4ULL * d->cfg.timeout_ms;
	o->next = d->owners;
	d->owners = o;
	/*
	 * The exporter commits only once we answered: if it hung up or
	 * withdrew already (we read late: stopped, overloaded), it rolled
	 * back and the REROUTE must not be applied at all.
	 */
	withdrawn = fill != 0;
	while ((r = sockmid_conn_next(d, &o->conn, &hh, &mm, why,
				      sizeof(why))) != 0) {
		if (r < 0 || mm.type != SOCKMID_MSG_UNDO) {
			if (r > 0)
				snprintf(why, sizeof(why), "unexpected %s record",
					 sockmid_msg_name(mm.type));
			sockmid_log_drop("flow of %s: bad record: %s", o->peer,
					 why);
			o->done = true;
			return;
		}
		withdrawn = true;
	}
	if (withdrawn) {
		sockmid_tuple_format(&m->reroute.tuple, t, sizeof(t));
		log_info("flow %s: %s asked to redirect it, then withdrew before we read it: nothing changed",
			 t, o->peer);
		o->done = true;
		return;
	}
	sockmid_owner_reroute(d, o, m);
	sockmid_owner_input(d, o, fill);
}

void sockmid_owner_io(struct sockmid *d, struct sockmid_owner *o,
		      short revents)
{
	if (revents & POLLOUT && sockmid_conn_flush(&o->conn)) {
		o->done = true;
		return;
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		sockmid_owner_input(d, o, sockmid_conn_fill(&o->conn));
}

void sockmid_owner_timer(struct sockmid *d, struct sockmid_owner *o,
			 uint64_t now)
{
	(void)d;
	if (now >= o->deadline) {
		log_debug("flow of %s: the exporter said nothing more: closed",
			  o->peer);
		o->done = true;
	}
}

void sockmid_owner_free(struct sockmid_owner *o)
{
	sockmid_conn_close(&o->conn);
	free(o);
}
