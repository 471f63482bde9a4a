// SPDX-License-Identifier: GPL-2.0
/*
 * sockmid's event loop: kernel events, negotiation datagrams, transfer
 * connections, deadlines and signals, all around one poll(). Also the
 * clean-up at start (what a previous daemon left half done) and at exit
 * (SIGTERM rolls back what has not been committed), and SIGHUP's reload.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"
#include "version.h"

bool sockmid_is_orphan(const struct sockmid *d, uint64_t id)
{
	unsigned int i;

	for (i = 0; i < d->norphans; i++)
		if (d->orphans[i] == id)
			return true;
	return false;
}

/* What GET_STAGED listed; acted upon once the dump is over. */
struct sockmid_sweep {
	struct sockmi_msg *items;
	size_t n, cap;
};

static int sockmid_sweep_collect(const struct sockmi_msg *m, void *arg)
{
	struct sockmid_sweep *sw = arg;

	if (!sockmi_msg_has(m, SOCKMI_A_ID) || !sockmi_msg_has(m, SOCKMI_A_LIST))
		return 0;
	if (sw->n == sw->cap) {
		size_t cap = sw->cap ? 2 * sw->cap : 16;
		struct sockmi_msg *items = realloc(sw->items, cap * sizeof(*items));

		if (!items)
			return -ENOMEM;
		sw->items = items;
		sw->cap = cap;
	}
	sw->items[sw->n++] = *m;
	return 0;
}

/*
 * An export nobody drives, or a pending socket nobody will activate: at
 * start-up everything of the kind was left by a daemon that died; after
 * lost events, the exports we have no session for.
 */
static void sockmid_sweep_one(struct sockmid *d, const struct sockmi_msg *m,
			      bool startup)
{
	char t[2 * SOCKMI_ADDRSTRLEN + 2], buf[SOCKMI_NL_MSG_LEN + 32];
	struct sockmi_nl_error e;
	int ret;

	sockmid_tuple_format(&m->tuple, t, sizeof(t));
	if (m->list == SOCKMI_LIST_EXPORTING) {
		if (!startup && sockmid_export_find(d, m->id))
			return;
		ret = sockmid_kernel_by_id(&d->k, SOCKMI_CMD_ABORT, m->id, &e);
		if (ret && ret != -ENOENT) {
			log_err("export %" PRIu64 " %s: cannot roll back: %s",
				m->id, t, sockmi_nl_strerror(&e, buf, sizeof(buf)));
			return;
		}
		log_warn("export id=%" PRIu64 " tuple=%s from=- to=- bytes=0 duration_ms=0 result=aborted reason=\"%s\"",
			 m->id, t, startup ?
			 "left in progress by a previous sockmid: rolled back" :
			 "its event was lost: rolled back");
		if (d->norphans < SOCKMID_ORPHANS_MAX)
			d->orphans[d->norphans++] = m->id;
		return;
	}
	if (!startup || !(m->flags & SOCKMI_STAGE_F_PENDING))
		return;
	ret = sockmid_kernel_by_id(&d->k, SOCKMI_CMD_UNSTAGE, m->id, &e);
	if (ret && ret != -ENOENT) {
		log_err("staged socket %" PRIu64 " %s: cannot unstage: %s", m->id,
			t, sockmi_nl_strerror(&e, buf, sizeof(buf)));
		return;
	}
	log_warn("staged socket %" PRIu64 " %s was left pending by a previous sockmid: unstaged",
		 m->id, t);
	/* Redirection: the answer-as flow entered with it goes too. */
	ret = sockmid_kernel_flow(&d->k, SOCKMI_CMD_DEL_FLOW, &m->tuple,
				  SOCKMI_FLOW_ANSWER_AS, NULL, 0, &e);
	if (ret && ret != -ENOENT && ret != -EOPNOTSUPP)
		log_err("staged socket %" PRIu64 " %s: cannot remove its answer-as flow: %s",
			m->id, t, sockmi_nl_strerror(&e, buf, sizeof(buf)));
}

static void sockmid_sweep(struct sockmid *d, bool startup)
{
	struct sockmid_sweep sw = { 0 };
	char buf[SOCKMI_NL_MSG_LEN + 32];
	struct sockmi_nl_error e;
	int ret, tries = 0;
	size_t i;

	/* No request may share the socket while the dump runs. */
	do {
		sw.n = 0;
		ret = sockmid_kernel_staged(&d->k, sockmid_sweep_collect, &sw,
					    &e);
	} while (ret == -EINTR && ++tries < 5);
	if (ret)
		log_err("cannot list the exports in progress: %s",
			sockmi_nl_strerror(&e, buf, sizeof(buf)));
	else
		for (i = 0; i < sw.n; i++)
			sockmid_sweep_one(d, &sw.items[i], startup);
	free(sw.items);
}

static int sockmid_on_kernel_event(const struct sockmi_msg *m, void *arg)
{
	struct sockmid *d = arg;

	switch (m->cmd) {
	case SOCKMI_CMD_EXPORT_NOTIFY:
		sockmid_export_start(d, m);
		break;
	case SOCKMI_CMD_ABORT_NOTIFY:
		if (sockmi_msg_has(m, SOCKMI_A_ID))
			sockmid_export_kernel_abort(d, m->id);
		break;
	default:
		break;
	}
	return 0;
}

static void sockmid_kernel_input(struct sockmid *d)
{
	char buf[SOCKMI_NL_MSG_LEN + 32];
	struct sockmi_nl_error e;
	int ret;

	ret = sockmid_kernel_events(&d->k, sockmid_on_kernel_event, d, &e);
	if (ret == -ENOBUFS) {
		log_err("kernel events were lost; rolling back the exports they announced");
		sockmid_sweep(d, false);
	} else if (ret) {
		log_err("cannot read kernel events: %s",
			sockmi_nl_strerror(&e, buf, sizeof(buf)));
	}
}

static void sockmid_log_mode(const struct sockmid *d, const char *what)
{
	char g[SOCKMI_ADDRSTRLEN];

	if (d->cfg.npeers)
		log_notice("%s (%s): unicast to %u peer%s, port %u, policy %s, timeout %u ms",
			   what, SOCKMI_VERSION, d->cfg.npeers,
			   d->cfg.npeers == 1 ? "" : "s", d->cfg.port,
			   d->cfg.policy == SOCKMID_POLICY_FIRST ? "first" :
			   "least-loaded", d->cfg.timeout_ms);
	else
		log_notice("%s (%s): multicast group %s port %u%s%s, policy %s, timeout %u ms",
			   what, SOCKMI_VERSION,
			   sockmi_addr_format(&d->cfg.group, false, g, sizeof(g)),
			   d->cfg.port, d->cfg.iface[0] ? " on " : "",
			   d->cfg.iface,
			   d->cfg.policy == SOCKMID_POLICY_FIRST ? "first" :
			   "least-loaded", d->cfg.timeout_ms);
	if (d->cfg.insecure)
		log_warn("INSECURE: running without a key. Anyone who can send to port %u can forge, replay and read migration messages and the sockets' queued data; use --key FILE (sockmictl genkey)",
			 d->cfg.port);
}

static bool sockmid_net_differs(const struct sockmid_config *a,
				const struct sockmid_config *b)
{
	return a->port != b->port || strcmp(a->iface, b->iface) ||
	       !a->npeers != !b->npeers ||
	       (a->npeers && a->peers[0].family != b->peers[0].family) ||
	       (!a->npeers && !sockmid_addr_equal(&a->group, &b->group));
}

static void sockmid_reload(struct sockmid *d)
{
	uint8_t key[sizeof(d->key)];
	struct sockmid_config cfg;
	struct sockmid_sockets net;
	char err[512];

	if (sockmid_load_config(d, &cfg, key, err, sizeof(err))) {
		log_err("reload failed, the running configuration stays: %s",
			err);
		return;
	}
	if (sockmid_net_differs(&cfg, &d->cfg)) {
		if (sockmid_net_open(&cfg, &net, err, sizeof(err))) {
			log_err("reload failed, the running configuration stays: %s",
				err);
			sodium_memzero(key, sizeof(key));
			return;
		}
		sockmid_net_close(&d->net);
		d->net = net;
	}
	cfg.foreground = d->cfg.foreground;
	d->cfg = cfg;
	memcpy(d->key, key, sizeof(key));
	sodium_memzero(key, sizeof(key));
	sockmid_log_verbose(d->cfg.verbose);
	sockmid_log_mode(d, "configuration reloaded");
}

static void sockmid_signals(struct sockmid *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			sockmid_reload(d);
		} else {
			log_notice("%s: shutting down",
				   si.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
			d->stopping = true;
		}
	}
}

/* Log and free the migrations that are over. */
static void sockmid_reap(struct sockmid *d)
{
	struct sockmid_export **xp = &d->exports, *x;
	struct sockmid_import **sp = &d->imports, *s;
	struct sockmid_accepted **ap = &d->accepted, *a;
	struct sockmid_owner **op = &d->owners, *o;

	while ((o = *op)) {
		if (o->done) {
			*op = o->next;
			sockmid_owner_free(o);
		} else {
			op = &o->next;
		}
	}
	while ((x = *xp)) {
		if (x->state == SOCKMID_S_END) {
			*xp = x->next;
			sockmid_export_free(x);
		} else {
			xp = &x->next;
		}
	}
	while ((s = *sp)) {
		if (s->state == SOCKMID_S_END) {
			*sp = s->next;
			sockmid_import_free(s);
		} else {
			sp = &s->next;
		}
	}
	while ((a = *ap)) {
		if (a->done) {
			*ap = a->next;
			sockmid_accepted_free(a);
			d->naccepted--;
		} else {
			ap = &a->next;
		}
	}
}

enum sockmid_fd_kind {
	SOCKMID_FD_SIGNAL,
	SOCKMID_FD_KERNEL,
	SOCKMID_FD_UDP,
	SOCKMID_FD_LISTEN,
	SOCKMID_FD_EXPORT,
	SOCKMID_FD_IMPORT,
	SOCKMID_FD_ACCEPTED,
	SOCKMID_FD_EXPORT_OWNER,
	SOCKMID_FD_OWNER,
};

struct sockmid_fd {
	enum sockmid_fd_kind kind;
	void *p;
};

/* One round: wait for something, handle it. */
static int sockmid_round(struct sockmid *d)
{
	struct sockmid_export *x;
	struct sockmid_import *s;
	struct sockmid_accepted *a;
	struct sockmid_owner *o;
	struct sockmid_fd *who;
	struct pollfd *pfd;
	uint64_t now, wake = UINT64_MAX;
	size_t n = 4, i;
	int timeout, ret;

	for (x = d->exports; x; x = x->next)
		n += 2;
	for (o = d->owners; o; o = o->next)
		n++;
	for (s = d->imports; s; s = s->next)
		n++;
	for (a = d->accepted; a; a = a->next)
		n++;
	pfd = calloc(n, sizeof(*pfd));
	who = calloc(n, sizeof(*who));
	if (!pfd || !who) {
		free(pfd);
		free(who);
		log_err("out of memory");
		return -ENOMEM;
	}
	n = 0;
#define ADD(fd_, ev_, kind_, p_) do {					\
		pfd[n] = (struct pollfd){ .fd = (fd_), .events = (ev_) };	\
		who[n++] = (struct sockmid_fd){ (kind_), (p_) };		\
	} while (0)
	ADD(d->sigfd, POLLIN, SOCKMID_FD_SIGNAL, NULL);
	ADD(sockmid_kernel_event_fd(&d->k), POLLIN, SOCKMID_FD_KERNEL, NULL);
	ADD(d->net.udp, POLLIN, SOCKMID_FD_UDP, NULL);
	ADD(d->net.tcp, POLLIN, SOCKMID_FD_LISTEN, NULL);
	for (x = d->exports; x; x = x->next) {
		ADD(x->conn.fd, sockmid_conn_events(&x->conn), SOCKMID_FD_EXPORT, x);
		ADD(x->oconn.fd, sockmid_conn_events(&x->oconn),
		    SOCKMID_FD_EXPORT_OWNER, x);
		if (sockmid_export_wakeup(x) < wake)
			wake = sockmid_export_wakeup(x);
	}
	for (s = d->imports; s; s = s->next) {
		ADD(s->conn.fd, sockmid_conn_events(&s->conn), SOCKMID_FD_IMPORT, s);
		if (s->deadline < wake)
			wake = s->deadline;
	}
	for (a = d->accepted; a; a = a->next) {
		ADD(a->conn.fd, POLLIN, SOCKMID_FD_ACCEPTED, a);
		if (a->deadline < wake)
			wake = a->deadline;
	}
	for (o = d->owners; o; o = o->next) {
		ADD(o->conn.fd, sockmid_conn_events(&o->conn), SOCKMID_FD_OWNER, o);
		if (o->deadline < wake)
			wake = o->deadline;
	}
#undef ADD
	now = sockmid_monotonic_ms();
	if (wake == UINT64_MAX)
		timeout = -1;
	else
		timeout = wake <= now ? 0 : (int)(wake - now > 60000 ? 60000 :
						  wake - now);

	ret = poll(pfd, (nfds_t)n, timeout);
	if (ret < 0 && errno != EINTR) {
		ret = -errno;
		log_err("poll: %s", strerror(errno));
		goto out;
	}
	for (i = 0; ret > 0 && i < n; i++) {
		short rev = pfd[i].revents;

		if (!rev || pfd[i].fd < 0)
			continue;
		switch (who[i].kind) {
		case SOCKMID_FD_SIGNAL:
			sockmid_signals(d);
			break;
		case SOCKMID_FD_KERNEL:
			sockmid_kernel_input(d);
			break;
		case SOCKMID_FD_UDP:
			sockmid_udp_input(d);
			break;
		case SOCKMID_FD_LISTEN:
			sockmid_import_accept(d);
			break;
		case SOCKMID_FD_EXPORT:
			x = who[i].p;
			if (x->state != SOCKMID_S_END && x->conn.fd == pfd[i].fd)
				sockmid_export_io(d, x, rev);
			break;
		case SOCKMID_FD_EXPORT_OWNER:
			x = who[i].p;
			if (x->state != SOCKMID_S_END && x->oconn.fd == pfd[i].fd)
				sockmid_export_owner_io(d, x, rev);
			break;
		case SOCKMID_FD_OWNER:
			o = who[i].p;
			if (!o->done && o->conn.fd == pfd[i].fd)
				sockmid_owner_io(d, o, rev);
			break;
		case SOCKMID_FD_IMPORT:
			s = who[i].p;
			if (s->state != SOCKMID_S_END && s->conn.fd == pfd[i].fd)
				sockmid_import_io(d, s, rev);
			break;
		case SOCKMID_FD_ACCEPTED:
			a = who[i].p;
			if (!a->done)
				sockmid_accepted_io(d, a, rev);
			break;
		}
	}
	ret = 0;
	now = sockmid_monotonic_ms();
	for (x = d->exports; x; x = x->next)
		if (x->state != SOCKMID_S_END)
			sockmid_export_timer(d, x, now);
	for (s = d->imports; s; s = s->next)
		if (s->state != SOCKMID_S_END)
			sockmid_import_timer(d, s, now);
	for (a = d->accepted; a; a = a->next)
		if (!a->done && now >= a->deadline) {
			log_warn("transfer connection from %s said nothing in time: closed",
				 a->peer);
			a->done = true;
		}
	for (o = d->owners; o; o = o->next)
		if (!o->done)
			sockmid_owner_timer(d, o, now);
	sockmid_reap(d);
out:
	free(pfd);
	free(who);
	return ret;
}

/* SIGTERM: roll back what is not committed, then go. */
static void sockmid_shutdown(struct sockmid *d)
{
	struct sockmid_export *x;
	struct sockmid_import *s;

	d->stopping = true;
	/* A COMMIT may be waiting in a socket buffer: honour it first. */
	for (s = d->imports; s; s = s->next)
		if (s->state == SOCKMID_S_STAGED)
			sockmid_import_io(d, s, POLLIN);
	for (x = d->exports; x; x = x->next)
		sockmid_export_event(d, x, SOCKMID_E_SHUTDOWN,
				     "sockmid is shutting down");
	for (s = d->imports; s; s = s->next)
		sockmid_import_event(d, s, SOCKMID_E_SHUTDOWN,
				     "sockmid is shutting down");
	for (struct sockmid_accepted *a = d->accepted; a; a = a->next)
		a->done = true;
	/* An UNDO may be waiting: honour it first. */
	for (struct sockmid_owner *o = d->owners; o; o = o->next) {
		sockmid_owner_io(d, o, POLLIN);
		o->done = true;
	}
	sockmid_reap(d);
}

int sockmid_run(struct sockmid *d)
{
	char err[512], buf[SOCKMI_NL_MSG_LEN + 32];
	struct sockmi_nl_error e;
	sigset_t sigs;
	int ret = 1;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &sigs, NULL) ||
	    (d->sigfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		log_err("cannot set up signal handling: %s", strerror(errno));
		return 1;
	}
	if (sockmid_kernel_open(&d->k, &e)) {
		log_err("%s", sockmi_nl_strerror(&e, buf, sizeof(buf)));
		goto out_sig;
	}
	if (sockmid_replay_init(&d->replay, sockmid_realtime_ms())) {
		log_err("out of memory");
		goto out_kernel;
	}
	if (sockmid_net_open(&d->cfg, &d->net, err, sizeof(err))) {
		log_err("%s", err);
		goto out_replay;
	}
	if (d->cfg.no_rules)
		log_info("no-rules: the -j SOCKMI rules are the administrator's");
	else if (sockmid_rules_install(&d->rules, err, sizeof(err))) {
		log_err("%s", err);
		goto out_net;
	}
	sockmid_sweep(d, true);
	sockmid_log_mode(d, "started");

	while (!d->stopping)
		if (sockmid_round(d) == -ENOMEM)
			break;
	sockmid_shutdown(d);
	sockmid_rules_remove(&d->rules, &d->k);
	ret = 0;
	log_notice("stopped");
out_net:
	sockmid_net_close(&d->net);
out_replay:
	sockmid_replay_free(&d->replay);
out_kernel:
	sockmid_kernel_close(&d->k);
out_sig:
	close(d->sigfd);
	return ret;
}
