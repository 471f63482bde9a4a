// SPDX-License-Identifier: GPL-2.0
/*
 * The importer's side of a migration: from an exporter's REQUEST to the
 * activation of the staged socket, following the importer's machine of
 * fsm.c. The staged socket stays pending -- not importable, its packets
 * held by the kernel -- until the exporter's COMMIT arrives; any other
 * outcome unstages it.
 *
 * Redirection (no takeover): the exporter's address owner sends us the
 * peer's packets; we take them at our own address, in the connection's
 * family, and answer as the owner (ANSWER_AS, entered with the stage,
 * removed with an unstage). When we own the address ourselves the
 * connection comes home: our REDIRECT goes when we activate.
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

static struct sockmid_import *sockmid_import_find(struct sockmid *d,
						  uint64_t exporter,
						  uint64_t xid)
{
	struct sockmid_import *s;

	for (s = d->imports; s; s = s->next)
		if (s->exporter == exporter && s->xid == xid)
			return s;
	return NULL;
}

static bool sockmid_import_takeover(const struct sockmid_import *s)
{
	return s->flags & SOCKMID_REQ_TAKEOVER;
}

/* Established TCP sockets of this namespace, from /proc/net/tcp{,6}. */
static uint32_t sockmid_count_sockets(void)
{
	static const char *const files[] = { "/proc/net/tcp", "/proc/net/tcp6" };
	char line[512], st[8];
	uint32_t n = 0;
	size_t i;

	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		FILE *f = fopen(files[i], "re");

		if (!f)
			continue;
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " %*s %*s %*s %7s", st) == 1 &&
			    !strcmp(st, "01"))
				n++;
		fclose(f);
	}
	return n;
}

/* The 1-minute load average times 100. */
static uint32_t sockmid_load(void)
{
	FILE *f = fopen("/proc/loadavg", "re");
	double load = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%lf", &load) != 1 || load < 0)
		load = 0;
	fclose(f);
	return load > 1e7 ? UINT32_MAX : (uint32_t)(load * 100);
}

static void sockmid_import_offer(struct sockmid *d, struct sockmid_import *s)
{
	struct sockmid_msg m = { .type = SOCKMID_MSG_OFFER };

	m.offer.exporter = s->exporter;
	m.offer.port = d->cfg.port;
	m.offer.sockets = sockmid_count_sockets();
	m.offer.load = sockmid_load();
	sockmid_send_dgram(d, (struct sockaddr *)&s->from, s->fromlen, s->xid,
			   &m);
}

void sockmid_import_request(struct sockmid *d, const struct sockmid_hdr *h,
			    const struct sockmid_msg *m,
			    const struct sockaddr *from, socklen_t fromlen)
{
	char t[2 * SOCKMI_ADDRSTRLEN + 2], buf[SOCKMI_ADDRSTRLEN];
	char addr[SOCKMI_ADDRSTRLEN];
	struct sockmid_import *s;
	uint64_t now = sockmid_monotonic_ms();

	if (d->stopping)
		return;
	sockmid_sa_format(from, buf, sizeof(buf));
	sockmid_tuple_format(&m->request.tuple, t, sizeof(t));
	if ((m->request.flags & SOCKMID_REQ_TO) &&
	    !sockmid_addr_is_local(&m->request.to)) {
		log_debug("export %" PRIu64 " from %s is for %s, not us", h->xid,
			  buf, sockmi_addr_format(&m->request.to, false, addr,
						  sizeof(addr)));
		return;
	}
	if ((m->request.flags & SOCKMID_REQ_TAKEOVER) &&
	    !sockmid_config_takeover(&d->cfg, &m->request.tuple.local)) {
		log_info("export %" PRIu64 " %s from %s: not offering, %s is not a takeover address here",
			 h->xid, t, buf,
			 sockmi_addr_format(&m->request.tuple.local, false, addr,
					    sizeof(addr)));
		return;
	}
	s = sockmid_import_find(d, h->sender, h->xid);
	if (s) {
		/* The exporter asks again: the offer was lost, or is late. */
		if (s->state == SOCKMID_S_OFFERED) {
			s->deadline = now + 3ULL * d->cfg.timeout_ms;
			sockmid_import_offer(d, s);
		}
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		log_err("export %" PRIu64 " from %s: out of memory, not offering",
			h->xid, buf);
		return;
	}
	s->exporter = h->sender;
	s->xid = h->xid;
	s->state = SOCKMID_S_OFFERED;
	s->flags = m->request.flags;
	s->tcp_state = m->request.tcp_state;
	s->tuple = m->request.tuple;
	memcpy(&s->from, from, fromlen);
	s->fromlen = fromlen;
	s->started = now;
	/* The exporter may wait a timeout for offers, then connect. */
	s->deadline = now + 3ULL * d->cfg.timeout_ms;
	snprintf(s->to, sizeof(s->to), "-");
	sockmid_conn_init(&s->conn);
	s->next = d->imports;
	d->imports = s;
	log_info("export %" PRIu64 " %s from %s: offering to import it", s->xid,
		 t, buf);
	sockmid_import_offer(d, s);
}

void sockmid_import_confirm(struct sockmid *d, const struct sockmid_hdr *h,
			    const struct sockmid_msg *m)
{
	struct sockmid_import *s = sockmid_import_find(d, h->sender, h->xid);

	if (!s)
		return;
	if (m->confirm.winner == d->self)
		log_debug("export %" PRIu64 ": we were chosen", s->xid);
	else
		sockmid_import_event(d, s, SOCKMID_E_OTHER_WON,
				     "another daemon was chosen");
}

void sockmid_import_accept(struct sockmid *d)
{
	char peer[SOCKMI_ADDRSTRLEN];
	struct sockaddr_storage ss;
	struct sockmid_accepted *a;
	socklen_t sl;
	int fd;

	for (;;) {
		sl = sizeof(ss);
		fd = accept4(d->net.tcp, (struct sockaddr *)&ss, &sl,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("cannot accept a transfer: %s",
					 strerror(errno));
			return;
		}
		sockmid_sa_format((struct sockaddr *)&ss, peer, sizeof(peer));
		if (d->naccepted >= SOCKMID_ACCEPTED_MAX) {
			sockmid_log_drop("transfer connection from %s refused: %d are waiting already",
					 peer, SOCKMID_ACCEPTED_MAX);
			close(fd);
			continue;
		}
		a = calloc(1, sizeof(*a));
		if (!a) {
			log_err("cannot accept a transfer: out of memory");
			close(fd);
			continue;
		}
		sockmid_conn_init(&a->conn);
		a->conn.fd = fd;
		a->deadline = sockmid_monotonic_ms() + d->cfg.timeout_ms;
		snprintf(a->peer, sizeof(a->peer), "%s", peer);
		a->next = d->accepted;
		d->accepted = a;
		d->naccepted++;
		log_debug("transfer connection from %s", a->peer);
	}
}

/* A record of the transfer, in the session's state. */
static void sockmid_import_record(struct sockmid *d, struct sockmid_import *s,
				  const struct sockmid_msg *m)
{
	char why[SOCKMID_TEXT_MAX + 64];

	switch (m->type) {
	case SOCKMID_MSG_DATA:
		if (s->state != SOCKMID_S_RECEIVE ||
		    m->data.len > s->blob_len - s->blob_have) {
			sockmid_import_event(d, s, SOCKMID_E_BAD_MSG,
					     "more state than announced");
			return;
		}
		memcpy(s->blob + s->blob_have, m->data.data, m->data.len);
		s->blob_have += m->data.len;
		s->deadline = sockmid_monotonic_ms() + d->cfg.timeout_ms;
		if (s->blob_have == s->blob_len)
			sockmid_import_event(d, s, SOCKMID_E_RECEIVED, NULL);
		break;
	case SOCKMID_MSG_COMMIT:
		sockmid_import_event(d, s, SOCKMID_E_COMMIT, NULL);
		break;
	case SOCKMID_MSG_ABORT:
		snprintf(why, sizeof(why), "the exporter aborted: %s",
			 m->result.text);
		sockmid_import_event(d, s, SOCKMID_E_ABORT, why);
		break;
	default:
		snprintf(why, sizeof(why), "unexpected %s record from the exporter",
			 sockmid_msg_name(m->type));
		sockmid_import_event(d, s, SOCKMID_E_BAD_MSG, why);
		break;
	}
}

/* Read and act on what the exporter sent. */
static void sockmid_import_input(struct sockmid *d, struct sockmid_import *s,
				 int fill)
{
	char why[SOCKMID_TEXT_MAX];
	struct sockmid_hdr h;
	struct sockmid_msg m;
	int r;

	while (s->state != SOCKMID_S_END &&
	       (r = sockmid_conn_next(d, &s->conn, &h, &m, why, sizeof(why))) != 0) {
		if (r < 0) {
			sockmid_log_drop("export %" PRIu64 ": bad record from the exporter: %s",
					 s->xid, why);
			sockmid_import_event(d, s, SOCKMID_E_BAD_MSG, why);
			return;
		}
		sockmid_import_record(d, s, &m);
	}
	if (fill && s->state != SOCKMID_S_END) {
		snprintf(why, sizeof(why), "connection to the exporter %s",
			 fill == -EPIPE ? "closed" : strerror(-fill));
		sockmid_import_event(d, s, SOCKMID_E_CONN_LOST, why);
	}
}

void sockmid_accepted_io(struct sockmid *d, struct sockmid_accepted *a,
			 short revents)
{
	char why[SOCKMID_TEXT_MAX], t[2 * SOCKMI_ADDRSTRLEN + 2];
	struct sockmid_import *s;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct sockmid_hdr h;
	struct sockmid_msg m;
	int fill, r;

	if (!(revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	fill = sockmid_conn_fill(&a->conn);
	r = sockmid_conn_next(d, &a->conn, &h, &m, why, sizeof(why));
	if (r < 0) {
		sockmid_log_drop("transfer from %s refused: %s", a->peer, why);
		a->done = true;
		return;
	}
	if (r == 0) {
		if (fill) {
			log_debug("transfer connection from %s closed before it began",
				  a->peer);
			a->done = true;
		}
		return;
	}
	a->done = true;
	if (m.type == SOCKMID_MSG_REROUTE) {
		sockmid_owner_start(d, a, &h, &m, fill);
		return;
	}
	s = sockmid_import_find(d, h.sender, h.xid);
	if (m.type != SOCKMID_MSG_META) {
		sockmid_log_drop("transfer from %s refused: it begins with %s, not meta",
				 a->peer, sockmid_msg_name(m.type));
		return;
	}
	if (!s || s->state != SOCKMID_S_OFFERED) {
		sockmid_log_drop("transfer from %s refused: export %" PRIu64 " was not offered to (or is no longer waited for by) this daemon",
				 a->peer, h.xid);
		return;
	}
	if (!sockmid_tuple_equal(&m.meta.tuple, &s->tuple) ||
	    m.meta.flags != s->flags || !m.meta.len ||
	    m.meta.len > SOCKMID_BLOB_MAX) {
		sockmid_log_drop("transfer from %s refused: %s does not match the request",
				 a->peer,
				 sockmid_tuple_format(&m.meta.tuple, t, sizeof(t)));
		return;
	}
	s->blob = malloc((size_t)m.meta.len);
	if (!s->blob) {
		log_err("export %" PRIu64 ": no memory for %" PRIu64 " bytes of state",
			s->xid, m.meta.len);
		return;
	}
	s->blob_len = (size_t)m.meta.len;
	s->conn = a->conn;
	sockmid_conn_init(&a->conn);
	if (!getsockname(s->conn.fd, (struct sockaddr *)&ss, &sl)) {
		struct sockmi_addr local;

		sockmid_sa_addr((struct sockaddr *)&ss, &local);
		sockmi_addr_format(&local, false, s->to, sizeof(s->to));
		s->local = local;
		s->local.has_port = false;
	}
	s->home = !sockmid_import_takeover(s) &&
		  sockmid_addr_is_local(&s->tuple.local);
	sockmid_import_event(d, s, SOCKMID_E_META, NULL);
	/* DATA may have come along with META. */
	sockmid_import_input(d, s, fill);
}

void sockmid_import_io(struct sockmid *d, struct sockmid_import *s,
		       short revents)
{
	char why[SOCKMID_TEXT_MAX];
	int ret;

	if (revents & POLLOUT) {
		ret = sockmid_conn_flush(&s->conn);
		if (ret) {
			snprintf(why, sizeof(why), "connection to the exporter: %s",
				 strerror(-ret));
			sockmid_import_event(d, s, SOCKMID_E_CONN_LOST, why);
			return;
		}
	}
	if (revents & (POLLIN | POLLHUP | POLLERR))
		sockmid_import_input(d, s, sockmid_conn_fill(&s->conn));
}

void sockmid_import_timer(struct sockmid *d, struct sockmid_import *s,
			  uint64_t now)
{
	char why[SOCKMID_TEXT_MAX];

	if (now < s->deadline)
		return;
	if (s->state == SOCKMID_S_OFFERED)
		snprintf(why, sizeof(why), "the exporter did not come back");
	else
		snprintf(why, sizeof(why), "timed out in state %s",
			 sockmid_state_name(s->state));
	sockmid_import_event(d, s, SOCKMID_E_TIMEOUT, why);
}

static void sockmid_import_send(struct sockmid *d, struct sockmid_import *s,
				const struct sockmid_msg *m)
{
	int ret = sockmid_conn_queue(d, &s->conn, m);

	if (!ret)
		ret = sockmid_conn_flush(&s->conn);
	if (ret)
		log_warn("export %" PRIu64 ": cannot send %s to the exporter: %s",
			 s->xid, sockmid_msg_name(m->type), strerror(-ret));
}

static int sockmid_import_stage(struct sockmid *d, struct sockmid_import *s,
				char *why, size_t whylen)
{
	char buf[SOCKMI_NL_MSG_LEN + 32];
	struct sockmi_nl_error e;
	int ret;

	if (sockmid_blob_check(s->blob, s->blob_len)) {
		s->err = EBADMSG;
		snprintf(why, whylen, "malformed checkpoint");
		return SOCKMID_E_STAGE_FAIL;
	}
	ret = sockmid_kernel_stage(&d->k, s->blob, s->blob_len, &s->stage_id,
				   &e);
	free(s->blob);
	s->blob = NULL;
	if (ret) {
		s->err = (uint32_t)-ret;
		snprintf(why, whylen, "STAGE failed: %s",
			 sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return SOCKMID_E_STAGE_FAIL;
	}
	if (sockmid_import_takeover(s) || s->home)
		return SOCKMID_E_STAGE_OK;
	/*
	 * Redirection: answer as the address owner. Its packets come to our
	 * end of the transfer, or, in the other family, to the address we
	 * reach the peer from.
	 */
	if (s->local.family == s->tuple.family) {
		s->via = s->local;
	} else if (!s->tuple.has_remote ||
		   sockmid_route_source(&s->tuple.remote, &s->via)) {
		s->err = EADDRNOTAVAIL;
		snprintf(why, whylen, "no address of the connection's family to take its packets at");
		sockmid_kernel_by_id(&d->k, SOCKMI_CMD_UNSTAGE, s->stage_id, &e);
		return SOCKMID_E_STAGE_FAIL;
	}
	s->via.has_port = false;
	s->have_via = true;
	ret = sockmid_kernel_flow(&d->k, SOCKMI_CMD_NEW_FLOW, &s->tuple,
				  SOCKMI_FLOW_ANSWER_AS, &s->via, 0, &e);
	if (ret) {
		s->err = (uint32_t)-ret;
		snprintf(why, whylen, "cannot answer as the exporter: %s",
			 sockmi_nl_strerror(&e, buf, sizeof(buf)));
		sockmid_kernel_by_id(&d->k, SOCKMI_CMD_UNSTAGE, s->stage_id, &e);
		return SOCKMID_E_STAGE_FAIL;
	}
	s->flow_added = true;
	return SOCKMID_E_STAGE_OK;
}

static void sockmid_import_take_addr(struct sockmid *d,
				     struct sockmid_import *s)
{
	const struct sockmid_takeover *t;
	char addr[SOCKMI_ADDRSTRLEN], err[256];
	uint8_t plen;
	int ifindex;

	if (!sockmid_import_takeover(s))
		return;
	sockmi_addr_format(&s->tuple.local, false, addr, sizeof(addr));
	t = sockmid_config_takeover(&d->cfg, &s->tuple.local);
	plen = t ? t->plen : (s->tuple.family == AF_INET ? 32 : 128);
	ifindex = d->net.ifindex;
	if (!ifindex && s->tuple.has_remote)
		ifindex = sockmid_route_ifindex(&s->tuple.remote);
	if (ifindex <= 0) {
		log_err("export %" PRIu64 ": no interface to put %s on (give --iface)",
			s->xid, addr);
		return;
	}
	if (sockmid_addr_change(true, ifindex, &s->tuple.local, plen, err,
				sizeof(err))) {
		log_err("export %" PRIu64 ": cannot add %s/%u: %s", s->xid,
			addr, plen, err);
		return;
	}
	log_info("export %" PRIu64 ": took over %s/%u", s->xid, addr, plen);
	if (sockmid_announce(ifindex, &s->tuple.local, err, sizeof(err)))
		log_warn("export %" PRIu64 ": %s", s->xid, err);
}

static int sockmid_import_act(struct sockmid *d, struct sockmid_import *s,
			      enum sockmid_action a, char *why, size_t whylen)
{
	char buf[SOCKMI_NL_MSG_LEN + 32];
	struct sockmi_nl_error e;
	struct sockmid_msg m;
	int ret;

	switch (a) {
	case SOCKMID_A_STAGE:
		return sockmid_import_stage(d, s, why, whylen);
	case SOCKMID_A_SEND_STAGED:
		m = (struct sockmid_msg){ .type = SOCKMID_MSG_STAGED };
		m.staged.stage_id = s->stage_id;
		if (s->home)
			m.staged.flags |= SOCKMID_STAGED_HOME;
		if (s->have_via) {
			m.staged.flags |= SOCKMID_STAGED_VIA;
			m.staged.via = s->via;
		}
		sockmid_import_send(d, s, &m);
		return -1;
	case SOCKMID_A_SEND_REFUSED:
		m = (struct sockmid_msg){ .type = SOCKMID_MSG_REFUSED };
		m.result.err = s->err ? s->err : EPROTO;
		snprintf(m.result.text, sizeof(m.result.text), "%s", s->reason);
		sockmid_import_send(d, s, &m);
		return -1;
	case SOCKMID_A_UNSTAGE:
		ret = sockmid_kernel_by_id(&d->k, SOCKMI_CMD_UNSTAGE, s->stage_id,
					   &e);
		if (ret && ret != -ENOENT)
			log_err("export %" PRIu64 ": UNSTAGE of %" PRIu64 " failed: %s",
				s->xid, s->stage_id,
				sockmi_nl_strerror(&e, buf, sizeof(buf)));
		if (s->flow_added &&
		    sockmid_kernel_flow(&d->k, SOCKMI_CMD_DEL_FLOW, &s->tuple,
					SOCKMI_FLOW_ANSWER_AS, NULL, 0, &e))
			log_err("export %" PRIu64 ": cannot remove the answer-as flow: %s",
				s->xid, sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return -1;
	case SOCKMID_A_TAKE_ADDR:
		sockmid_import_take_addr(d, s);
		return -1;
	case SOCKMID_A_ACTIVATE:
		/* Home: the peer's packets are ours again, not redirected. */
		if (s->home) {
			ret = sockmid_kernel_flow(&d->k, SOCKMI_CMD_DEL_FLOW,
						  &s->tuple, SOCKMI_FLOW_REDIRECT,
						  NULL, 0, &e);
			if (ret && ret != -ENOENT)
				log_err("export %" PRIu64 ": cannot stop redirecting the connection: %s",
					s->xid, sockmi_nl_strerror(&e, buf, sizeof(buf)));
			else if (!ret)
				log_info("export %" PRIu64 ": home again, no longer redirected",
					 s->xid);
		}
		ret = sockmid_kernel_by_id(&d->k, SOCKMI_CMD_ACTIVATE, s->stage_id,
					   &e);
		if (!ret)
			return SOCKMID_E_ACTIVATE_OK;
		s->err = (uint32_t)-ret;
		snprintf(why, whylen, "ACTIVATE failed: %s",
			 sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return SOCKMID_E_ACTIVATE_FAIL;
	case SOCKMID_A_SEND_DONE:
		m = (struct sockmid_msg){ .type = SOCKMID_MSG_DONE };
		m.result.err = s->result == SOCKMID_R_ACTIVATED ? 0 :
			       (s->err ? s->err : EPROTO);
		snprintf(m.result.text, sizeof(m.result.text), "%s",
			 m.result.err ? s->reason : "activated");
		sockmid_import_send(d, s, &m);
		return -1;
	default:
		log_err("export %" PRIu64 ": action %s is not the importer's",
			s->xid, sockmid_action_name(a));
		return -1;
	}
}

void sockmid_import_event(struct sockmid *d, struct sockmid_import *s,
			  enum sockmid_event ev, const char *reason)
{
	const struct sockmid_edge *e;
	char why[SOCKMID_TEXT_MAX];
	unsigned int bit;
	uint64_t now;
	int next;

	for (;;) {
		e = sockmid_fsm_step(SOCKMID_IMPORTER, s->state, ev);
		if (!e->defined) {
			log_debug("import of export %" PRIu64 ": %s ignored in state %s",
				  s->xid, sockmid_event_name(ev),
				  sockmid_state_name(s->state));
			return;
		}
		log_debug("import of export %" PRIu64 ": %s: %s -> %s", s->xid,
			  sockmid_event_name(ev), sockmid_state_name(s->state),
			  sockmid_state_name(e->next));
		if (reason && reason[0] && !s->reason[0])
			snprintf(s->reason, sizeof(s->reason), "%s", reason);
		s->state = e->next;
		s->result = e->result;
		now = sockmid_monotonic_ms();
		/* The exporter commits at once once it hears STAGED; give it
		 * room. */
		s->deadline = now + (s->state == SOCKMID_S_STAGED ? 2ULL : 1ULL) *
				    d->cfg.timeout_ms;

		next = -1;
		for (bit = 1; bit <= e->actions; bit <<= 1) {
			int raised;

			if (!(e->actions & bit))
				continue;
			why[0] = '\0';
			raised = sockmid_import_act(d, s, (enum sockmid_action)bit,
						    why, sizeof(why));
			if (raised >= 0 && next < 0) {
				next = raised;
				if (why[0] && !s->reason[0])
					snprintf(s->reason, sizeof(s->reason),
						 "%s", why);
			}
		}
		if (s->state == SOCKMID_S_END && s->conn.fd >= 0) {
			sockmid_conn_drain(&s->conn, 200);
			sockmid_conn_close(&s->conn);
		}
		if (next < 0)
			return;
		ev = (enum sockmid_event)next;
		reason = NULL;
	}
}

void sockmid_import_free(struct sockmid_import *s)
{
	char t[2 * SOCKMI_ADDRSTRLEN + 2];
	struct sockmi_addr from;
	char fromb[SOCKMI_ADDRSTRLEN];
	int prio;

	sockmid_sa_addr((struct sockaddr *)&s->from, &from);
	sockmi_addr_format(&from, false, fromb, sizeof(fromb));
	if (s->result == SOCKMID_R_ACTIVATED)
		prio = LOG_NOTICE;
	else if (s->result == SOCKMID_R_DROPPED && !s->blob_len)
		prio = LOG_DEBUG;	/* offered, not chosen: no migration */
	else
		prio = LOG_WARNING;
	sockmid_log(prio,
		    "import id=%" PRIu64 " tuple=%s from=%s to=%s bytes=%zu duration_ms=%" PRIu64 " result=%s%s%s%s",
		    s->xid, sockmid_tuple_format(&s->tuple, t, sizeof(t)), fromb,
		    s->to, s->blob_len, sockmid_monotonic_ms() - s->started,
		    sockmid_result_name(s->result),
		    s->reason[0] ? " reason=\"" : "", s->reason,
		    s->reason[0] ? "\"" : "");
	sockmid_conn_close(&s->conn);
	free(s->blob);
	free(s);
}

void sockmid_accepted_free(struct sockmid_accepted *a)
{
	sockmid_conn_close(&a->conn);
	free(a);
}
