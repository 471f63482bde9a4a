// SPDX-License-Identifier: GPL-2.0
/*
 * The commit protocol (sockmid/fsm.c), edge by edge and as a whole.
 *
 * Edge by edge: every failure before the commit point rolls the export
 * back, every failure of a staged import unstages it, nothing activates
 * without the exporter's COMMIT, every state can time out.
 *
 * As a whole: the exporter's and the importer's machines are run against
 * a model of both kernels and of the TCP connection between them, and
 * every interleaving is explored: message deliveries, the connection
 * breaking at any moment (losing what is in flight), either side timing
 * out or being shut down at any moment, the exporting kernel expiring the
 * export on its own (its event delivered late), STAGE and ACTIVATE
 * failing. In every reachable world the socket lives in at most one place,
 * and when both sides are done, nothing is left frozen or pending and
 * each side's verdict matches the kernels.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsm.h"
#include "tap.h"

#define S(x) SOCKMID_S_##x
#define E(x) SOCKMID_E_##x
#define A(x) SOCKMID_A_##x
#define R(x) SOCKMID_R_##x

static const enum sockmid_state x_states[] = {
	S(NEGOTIATE), S(CONNECT), S(TRANSFER), S(REROUTE), S(COMMIT),
	S(WAIT_DONE),
};
static const enum sockmid_state m_states[] = {
	S(OFFERED), S(RECEIVE), S(STAGE), S(STAGED), S(ACTIVATE),
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

static bool is_transient(enum sockmid_state s)
{
	return s == S(COMMIT) || s == S(STAGE) || s == S(ACTIVATE);
}

static bool is_failure(enum sockmid_event ev)
{
	return ev == E(FAIL) || ev == E(TIMEOUT) || ev == E(CONN_LOST) ||
	       ev == E(BAD_MSG) || ev == E(SHUTDOWN) || ev == E(REFUSED) ||
	       ev == E(COMMIT_FAIL) || ev == E(KERNEL_ABORT) ||
	       ev == E(ABORT) || ev == E(STAGE_FAIL) ||
	       ev == E(OTHER_WON) || ev == E(ACTIVATE_FAIL) ||
	       ev == E(DONE_FAIL) || ev == E(REROUTE_FAIL);
}

static void test_edges(struct tap *t)
{
	bool rollback = true, after = true, exclusive = true, commit_once = true;
	bool unstage = true, activate = true, deadlines = true, roles = true;
	bool transient = true, names = true, end = true;
	const struct sockmid_edge *e;
	unsigned int i;
	int ev, s;

	/* Exporter, before the commit point: every failure rolls back. */
	for (i = 0; i < 5; i++)
		for (ev = 0; ev < __SOCKMID_E_MAX; ev++) {
			e = sockmid_fsm_step(SOCKMID_EXPORTER, x_states[i], ev);
			if (!e->defined || !is_failure(ev))
				continue;
			if (e->next != S(END) || e->result != R(ABORTED) ||
			    (ev != E(KERNEL_ABORT) &&
			     !(e->actions & A(KERNEL_ABORT)))) {
				tap_diag("exporter %s/%s does not roll back",
					 sockmid_state_name(x_states[i]),
					 sockmid_event_name(ev));
				rollback = false;
			}
		}
	tap_ok(t, rollback,
	       "exporter: every failure before the commit point ends in ABORT");

	for (s = 0; s < __SOCKMID_S_MAX; s++)
		for (ev = 0; ev < __SOCKMID_E_MAX; ev++) {
			for (int r = SOCKMID_EXPORTER; r <= SOCKMID_IMPORTER; r++) {
				e = sockmid_fsm_step(r, s, ev);
				if (!e->defined) {
					if (e->next != s || e->actions)
						roles = false;
					continue;
				}
				if (!sockmid_fsm_state_of(r, e->next))
					roles = false;
				if ((e->actions & A(KERNEL_COMMIT)) &&
				    (e->actions & A(KERNEL_ABORT)))
					exclusive = false;
				if ((e->actions & A(KERNEL_COMMIT)) &&
				    (s != S(TRANSFER) || ev != E(STAGED)) &&
				    (s != S(REROUTE) || ev != E(REROUTED)))
					commit_once = false;
				if ((e->actions & A(ACTIVATE)) &&
				    (s != S(STAGED) || ev != E(COMMIT)))
					activate = false;
				/* A transient state is entered by its call. */
				if (is_transient(e->next) &&
				    !(e->actions & (A(KERNEL_COMMIT) | A(STAGE) |
						    A(ACTIVATE))))
					transient = false;
			}
		}
	for (ev = 0; ev < __SOCKMID_E_MAX; ev++) {
		e = sockmid_fsm_step(SOCKMID_EXPORTER, S(WAIT_DONE), ev);
		if (e->defined && (e->actions & A(KERNEL_ABORT)))
			after = false;
		e = sockmid_fsm_step(SOCKMID_EXPORTER, S(COMMIT), ev);
		if (ev == E(COMMIT_OK) &&
		    (!e->defined || e->next != S(WAIT_DONE) ||
		     (e->actions & A(KERNEL_ABORT))))
			after = false;
	}
	tap_ok(t, roles, "every edge stays within its role's machine");
	tap_ok(t, exclusive, "no edge both commits and aborts");
	tap_ok(t, commit_once,
	       "the kernel COMMIT follows STAGED, or the owner's REROUTED, only");

	/* Onward redirection: the owner is asked before the commit point,
	 * and every rollback after it was asked also asks it back. */
	e = sockmid_fsm_step(SOCKMID_EXPORTER, S(TRANSFER), E(STAGED_ONWARD));
	tap_ok(t, e->defined && e->next == S(REROUTE) &&
		   e->actions == A(REROUTE),
	       "exporter: STAGED onward asks the address owner, commits nothing");
	{
		bool undo = true;

		for (ev = 0; ev < __SOCKMID_E_MAX; ev++) {
			e = sockmid_fsm_step(SOCKMID_EXPORTER, S(REROUTE), ev);
			if (e->defined && e->next == S(END) &&
			    !(e->actions & A(UNDO_REROUTE)))
				undo = false;
			e = sockmid_fsm_step(SOCKMID_EXPORTER, S(COMMIT), ev);
			if (e->defined && e->result == R(ABORTED) &&
			    !(e->actions & A(UNDO_REROUTE)))
				undo = false;
			e = sockmid_fsm_step(SOCKMID_EXPORTER, S(WAIT_DONE), ev);
			if (e->defined && (e->actions & A(UNDO_REROUTE)))
				undo = false;
		}
		tap_ok(t, undo,
		       "exporter: every rollback once the owner was asked undoes it, none after the commit point");
	}
	tap_ok(t, after, "after the commit point nothing aborts");

	/* Importer: a staged socket is unstaged on every way but COMMIT. */
	for (ev = 0; ev < __SOCKMID_E_MAX; ev++) {
		e = sockmid_fsm_step(SOCKMID_IMPORTER, S(STAGED), ev);
		if (!e->defined || ev == E(COMMIT))
			continue;
		if (e->next != S(END) || e->result != R(UNSTAGED) ||
		    !(e->actions & A(UNSTAGE))) {
			tap_diag("importer staged/%s does not unstage",
				 sockmid_event_name(ev));
			unstage = false;
		}
	}
	tap_ok(t, unstage, "importer: every way out of STAGED but COMMIT unstages");
	tap_ok(t, activate, "importer: ACTIVATE follows the exporter's COMMIT only");
	e = sockmid_fsm_step(SOCKMID_IMPORTER, S(STAGE), E(STAGE_FAIL));
	tap_ok(t, e->defined && e->next == S(END) && e->result == R(REFUSED) &&
		   (e->actions & A(SEND_REFUSED)) && !(e->actions & A(UNSTAGE)),
	       "importer: a refused STAGE tells the exporter");

	/* Every resting state can time out and be shut down. */
	for (i = 0; i < N(x_states) + N(m_states); i++) {
		enum sockmid_role r = i < N(x_states) ? SOCKMID_EXPORTER :
						       SOCKMID_IMPORTER;
		enum sockmid_state st = i < N(x_states) ? x_states[i] :
					 m_states[i - N(x_states)];

		if (is_transient(st))
			continue;
		if (sockmid_fsm_step(r, st, E(TIMEOUT))->next != S(END) ||
		    sockmid_fsm_step(r, st, E(SHUTDOWN))->next != S(END)) {
			tap_diag("%s cannot time out or stop",
				 sockmid_state_name(st));
			deadlines = false;
		}
	}
	tap_ok(t, deadlines, "every resting state ends on TIMEOUT and SHUTDOWN");
	tap_ok(t, transient, "transient states are entered only by their kernel call");

	for (s = 0; s < __SOCKMID_S_MAX; s++)
		if (!sockmid_state_name(s) || !strcmp(sockmid_state_name(s), "?"))
			names = false;
	for (ev = 0; ev < __SOCKMID_E_MAX; ev++)
		if (!sockmid_event_name(ev) || !strcmp(sockmid_event_name(ev), "?"))
			names = false;
	for (s = 0; s < __SOCKMID_R_MAX; s++)
		if (!strcmp(sockmid_result_name(s), "?"))
			names = false;
	for (i = 1; i <= A(SEND_DONE); i <<= 1)
		if (!strcmp(sockmid_action_name(i), "?"))
			names = false;
	tap_ok(t, names, "every state, event, result and action has a name");
	for (ev = 0; ev < __SOCKMID_E_MAX; ev++)
		for (int r = SOCKMID_EXPORTER; r <= SOCKMID_IMPORTER; r++)
			if (sockmid_fsm_step(r, S(END), ev)->defined)
				end = false;
	tap_ok(t, end && !sockmid_fsm_step(SOCKMID_EXPORTER, S(OFFERED),
					     E(TIMEOUT))->defined,
	       "END ignores everything; a state of the other role too");
}

/* The model: both machines, both kernels, the connection. */

enum { KX_FROZEN, KX_COMMITTED, KX_THAWED };	/* the exported original */
enum { KM_NONE, KM_PENDING, KM_ACTIVE };	/* the imported copy */
enum { C_NONE, C_CONNECTING, C_UP, C_BROKEN };
enum { XM_META, XM_DATA, XM_COMMIT, XM_ABORT };		/* X -> M */
enum { MX_STAGED, MX_REFUSED, MX_DONE_OK, MX_DONE_FAIL };	/* M -> X */

#define QMAX 4

struct world {
	uint8_t xs, ms, xres, mres;
	uint8_t kx, km, conn;
	bool xclosed, mclosed, attached, decided;
	bool notify;		/* the kernel's ABORT event, not yet read */
	bool xshut, mshut;
	bool bad;		/* ACTIVATE without a pending socket */
	uint8_t nxm, qxm[QMAX], nmx, qmx[QMAX];
};

struct stats {
	unsigned long worlds, terminal;
	bool violation;
	bool moved, rolled_back, lost;
	char why[200];
};

static uint64_t world_key(const struct world *w)
{
	uint64_t k = 0;
	int i;

#define PUT(v, bits) (k = (k << (bits)) | ((uint64_t)(v) & ((1U << (bits)) - 1)))
	PUT(w->xs, 4); PUT(w->ms, 4); PUT(w->xres, 4); PUT(w->mres, 4);
	PUT(w->kx, 2); PUT(w->km, 2); PUT(w->conn, 2);
	PUT(w->xclosed, 1); PUT(w->mclosed, 1); PUT(w->attached, 1);
	PUT(w->decided, 1); PUT(w->notify, 1); PUT(w->xshut, 1);
	PUT(w->mshut, 1); PUT(w->bad, 1);
	PUT(w->nxm, 3);
	for (i = 0; i < QMAX; i++)
		PUT(i < w->nxm ? w->qxm[i] : 0, 2);
	PUT(w->nmx, 3);
	for (i = 0; i < 3; i++)
		PUT(i < w->nmx ? w->qmx[i] : 0, 2);
#undef PUT
	return k;
}

/* A set of visited worlds: open addressing, key + 1 so 0 is free. */
#define VISITED_SLOTS (1U << 22)
static uint64_t *visited;

static bool visit(const struct world *w)
{
	uint64_t k = world_key(w) + 1;
	size_t i = (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 42) & (VISITED_SLOTS - 1);

	while (visited[i]) {
		if (visited[i] == k)
			return false;
		i = (i + 1) & (VISITED_SLOTS - 1);
	}
	visited[i] = k;
	return true;
}

static void push(uint8_t *q, uint8_t *n, uint8_t msg)
{
	if (*n < QMAX)
		q[(*n)++] = msg;
}

static void pop(uint8_t *q, uint8_t *n)
{
	memmove(q, q + 1, --*n);
}

#define MAXOUT 8

/* The exporter's machine on an event, with its actions on the world. */
static int step_x(const struct world *in, enum sockmid_event ev,
		  struct world *out)
{
	const struct sockmid_edge *e = sockmid_fsm_step(SOCKMID_EXPORTER, in->xs, ev);
	struct world w = *in;
	int raised = -1;

	if (!e->defined) {
		out[0] = w;
		return 1;
	}
	w.xs = e->next;
	w.xres = e->result;
	if (e->actions & A(CONNECT))
		w.conn = C_CONNECTING;
	if (e->actions & A(KERNEL_COMMIT)) {
		if (w.kx == KX_FROZEN) {
			w.kx = KX_COMMITTED;
			raised = E(COMMIT_OK);
		} else {
			raised = E(COMMIT_FAIL);
		}
	}
	if ((e->actions & A(KERNEL_ABORT)) && w.kx == KX_FROZEN)
		w.kx = KX_THAWED;
	if ((e->actions & A(SEND_COMMIT)) && w.conn == C_UP && !w.mclosed)
		push(w.qxm, &w.nxm, XM_COMMIT);
	if ((e->actions & A(SEND_ABORT)) && w.conn == C_UP && !w.mclosed)
		push(w.qxm, &w.nxm, XM_ABORT);
	if (w.xs == S(END))
		w.xclosed = true;
	if (raised >= 0)
		return step_x(&w, raised, out);
	out[0] = w;
	return 1;
}

/* The importer's machine; STAGE and ACTIVATE may succeed or fail. */
static int step_m(const struct world *in, enum sockmid_event ev,
		  struct world *out)
{
	const struct sockmid_edge *e = sockmid_fsm_step(SOCKMID_IMPORTER, in->ms, ev);
	struct world w = *in, ok, ko;
	int n;

	if (!e->defined) {
		out[0] = w;
		return 1;
	}
	w.ms = e->next;
	w.mres = e->result;
	if ((e->actions & A(UNSTAGE)) && w.km == KM_PENDING)
		w.km = KM_NONE;
	if (w.conn == C_UP && !w.xclosed && w.attached) {
		if (e->actions & A(SEND_STAGED))
			push(w.qmx, &w.nmx, MX_STAGED);
		if (e->actions & A(SEND_REFUSED))
			push(w.qmx, &w.nmx, MX_REFUSED);
		if (e->actions & A(SEND_DONE))
			push(w.qmx, &w.nmx, w.mres == R(ACTIVATED) ?
			     MX_DONE_OK : MX_DONE_FAIL);
	}
	if (w.ms == S(END))
		w.mclosed = true;
	if (e->actions & A(STAGE)) {
		ok = ko = w;
		ok.km = KM_PENDING;
		n = step_m(&ok, E(STAGE_OK), out);
		return n + step_m(&ko, E(STAGE_FAIL), out + n);
	}
	if (e->actions & A(ACTIVATE)) {
		ok = ko = w;
		if (w.km != KM_PENDING)
			ok.bad = ko.bad = true;
		ok.km = KM_ACTIVE;
		ko.km = KM_NONE;	/* a failed activation frees it */
		n = step_m(&ok, E(ACTIVATE_OK), out);
		return n + step_m(&ko, E(ACTIVATE_FAIL), out + n);
	}
	out[0] = w;
	return 1;
}

__attribute__((format(printf, 3, 4)))
static bool fail(struct stats *st, const struct world *w, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (st->violation)
		return false;
	st->violation = true;
	va_start(ap, fmt);
	n = vsnprintf(st->why, sizeof(st->why), fmt, ap);
	va_end(ap);
	snprintf(st->why + n, sizeof(st->why) - (size_t)n,
		 " [x %s/%s m %s/%s kx %d km %d]",
		 sockmid_state_name(w->xs), sockmid_result_name(w->xres),
		 sockmid_state_name(w->ms), sockmid_result_name(w->mres),
		 w->kx, w->km);
	return false;
}

static bool check(const struct world *w, struct stats *st)
{
	if (w->kx == KX_THAWED && w->km == KM_ACTIVE)
		return fail(st, w, "two live copies");
	if (w->km == KM_ACTIVE && w->kx != KX_COMMITTED)
		return fail(st, w, "activated before the commit");
	if (w->bad)
		return fail(st, w, "ACTIVATE without a staged socket");
	if (is_transient(w->xs) || is_transient(w->ms))
		return fail(st, w, "resting in a transient state");
	if (w->xs == S(END)) {
		if (w->kx == KX_FROZEN)
			return fail(st, w, "exporter done, original still frozen");
		if (w->xres == R(COMMITTED) && w->km != KM_ACTIVE)
			return fail(st, w, "committed but not active");
		if (w->xres == R(ABORTED) && w->kx != KX_THAWED)
			return fail(st, w, "aborted but not thawed");
		if ((w->xres == R(UNCONFIRMED) || w->xres == R(LOST)) &&
		    w->kx != KX_COMMITTED)
			return fail(st, w, "reported lost, not committed");
		if (w->xres == R(LOST) && w->km == KM_ACTIVE)
			return fail(st, w, "reported lost, but alive");
	}
	if (w->ms == S(END)) {
		if (w->km == KM_PENDING)
			return fail(st, w, "importer done, copy still pending");
		if (w->mres == R(ACTIVATED) &&
		    (w->km != KM_ACTIVE || w->kx != KX_COMMITTED))
			return fail(st, w, "activated, but the kernels disagree");
		if (w->mres != R(ACTIVATED) && w->km == KM_ACTIVE)
			return fail(st, w, "not activated, but alive");
	}
	return true;
}

static void explore(const struct world *w, struct stats *st);

static void each(struct world *out, int n, struct stats *st)
{
	for (int i = 0; i < n && !st->violation; i++)
		explore(&out[i], st);
}

/* Deliver an event to both machines in turn (a broken connection). */
static void both(const struct world *w, enum sockmid_event xe,
		 enum sockmid_event me, struct stats *st)
{
	struct world a[MAXOUT], b[MAXOUT];
	int na = step_x(w, xe, a), i, nb;

	for (i = 0; i < na && !st->violation; i++) {
		nb = step_m(&a[i], me, b);
		each(b, nb, st);
	}
}

static void explore(const struct world *in, struct stats *st)
{
	struct world out[MAXOUT], w;

	if (st->violation || !visit(in))
		return;
	st->worlds++;
	if (!check(in, st))
		return;
	if (in->xs == S(END) && in->ms == S(END)) {
		st->terminal++;
		if (in->xres == R(COMMITTED) && in->mres == R(ACTIVATED))
			st->moved = true;
		if (in->xres == R(ABORTED))
			st->rolled_back = true;
		if (in->xres == R(UNCONFIRMED) || in->xres == R(LOST))
			st->lost = true;
	}

	/* An offer arrives; the exporter decides for this importer. */
	if (in->xs == S(NEGOTIATE) && !in->decided) {
		w = *in;
		w.decided = true;
		each(out, step_x(&w, E(DECIDE), out), st);
	}
	/* The connection: up (META and DATA queued), refused, broken. */
	if (in->conn == C_CONNECTING && in->xs == S(CONNECT)) {
		w = *in;
		w.conn = C_UP;
		push(w.qxm, &w.nxm, XM_META);
		push(w.qxm, &w.nxm, XM_DATA);
		each(out, step_x(&w, E(CONNECTED), out), st);
	}
	if (in->conn == C_CONNECTING || in->conn == C_UP) {
		w = *in;
		w.conn = C_BROKEN;
		w.nxm = w.nmx = 0;
		if (w.attached)
			both(&w, E(CONN_LOST), E(CONN_LOST), st);
		else
			each(out, step_x(&w, E(CONN_LOST), out), st);
	}
	/* Delivery to the importer. */
	if (in->conn == C_UP && in->nxm) {
		enum sockmid_event ev;

		w = *in;
		pop(w.qxm, &w.nxm);
		if (w.mclosed) {
			each(&w, 1, st);	/* nobody reads it */
		} else {
			switch (in->qxm[0]) {
			case XM_META:
				w.attached = w.ms == S(OFFERED);
				ev = E(META);
				if (!w.attached) {
					/* No offer waits: closed at once. */
					w.mclosed = true;
					each(&w, 1, st);
					break;
				}
				each(out, step_m(&w, ev, out), st);
				break;
			case XM_DATA:
				each(out, step_m(&w, E(RECEIVED), out), st);
				break;
			case XM_COMMIT:
				each(out, step_m(&w, E(COMMIT), out), st);
				break;
			default:
				each(out, step_m(&w, E(ABORT), out), st);
				break;
			}
		}
	}
	/* Delivery to the exporter. */
	if (in->conn == C_UP && in->nmx) {
		static const enum sockmid_event map[] = {
			[MX_STAGED] = E(STAGED), [MX_REFUSED] = E(REFUSED),
			[MX_DONE_OK] = E(DONE), [MX_DONE_FAIL] = E(DONE_FAIL),
		};

		w = *in;
		pop(w.qmx, &w.nmx);
		each(out, step_x(&w, map[in->qmx[0]], out), st);
	}
	/* A side sees the other close once it has read everything. */
	if (in->conn == C_UP && in->xclosed && !in->nxm && in->attached &&
	    in->ms != S(END))
		each(out, step_m(in, E(CONN_LOST), out), st);
	if (in->conn == C_UP && in->mclosed && !in->nmx && in->xs != S(END))
		each(out, step_x(in, E(CONN_LOST), out), st);
	/* Deadlines, SIGTERM, the kernel's own expiry. */
	if (in->xs != S(END))
		each(out, step_x(in, E(TIMEOUT), out), st);
	if (in->ms != S(END))
		each(out, step_m(in, E(TIMEOUT), out), st);
	if (!in->xshut && in->xs != S(END)) {
		w = *in;
		w.xshut = true;
		each(out, step_x(&w, E(SHUTDOWN), out), st);
	}
	if (!in->mshut && in->ms != S(END)) {
		w = *in;
		w.mshut = true;
		each(out, step_m(&w, E(SHUTDOWN), out), st);
	}
	if (in->kx == KX_FROZEN) {
		w = *in;
		w.kx = KX_THAWED;
		w.notify = true;
		each(&w, 1, st);
	}
	if (in->notify) {
		w = *in;
		w.notify = false;
		each(out, step_x(&w, E(KERNEL_ABORT), out), st);
	}
}

static void test_model(struct tap *t)
{
	struct world w = { .xs = S(NEGOTIATE), .ms = S(OFFERED),
			   .kx = KX_FROZEN, .km = KM_NONE, .conn = C_NONE };
	struct stats st = { 0 };

	visited = calloc(VISITED_SLOTS, sizeof(*visited));
	if (!tap_ok(t, visited != NULL, "memory for the exploration"))
		return;
	explore(&w, &st);
	if (!tap_ok(t, !st.violation,
		    "every interleaving keeps at most one live copy and leaks nothing (%lu worlds, %lu final)",
		    st.worlds, st.terminal))
		tap_diag("%s", st.why);
	tap_ok(t, st.moved && st.rolled_back && st.lost,
	       "the exploration reaches a move, a rollback and a reported loss");
	free(visited);
}

int main(void)
{
	struct tap t = { .suite = "sockmid-fsm" };

	test_edges(&t);
	test_model(&t);
	return tap_done(&t);
}
