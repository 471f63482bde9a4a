// SPDX-License-Identifier: GPL-2.0
/*
 * The commit protocol's table, see fsm.h and docs/commit-protocol.md.
 */

#include <stddef.h>

#include "fsm.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define S(x) SOCKMID_S_##x
#define E(x) SOCKMID_E_##x
#define A(x) SOCKMID_A_##x
#define R(x) SOCKMID_R_##x

#define GO(state, acts) \
	{ .next = S(state), .actions = (acts), .defined = true }
#define END(res, acts) \
	{ .next = S(END), .result = R(res), .actions = (acts), .defined = true }
#define STAY(state) [S(state)] = { .next = S(state) }

/* Every way out before the commit point gives the socket back. */
#define X_ROLLBACK (A(KERNEL_ABORT) | A(SEND_ABORT))
/* ... and, once the address owner was asked, its redirection too. */
#define X_UNROUTE (X_ROLLBACK | A(UNDO_REROUTE))

static const struct sockmid_edge
sockmid_exporter[__SOCKMID_S_MAX][__SOCKMID_E_MAX] = {
	[S(NEGOTIATE)] = {
		[E(DECIDE)] = GO(CONNECT, A(SEND_CONFIRM) | A(CONNECT)),
		[E(KERNEL_ABORT)] = END(ABORTED, 0),
		[E(FAIL)] = END(ABORTED, A(KERNEL_ABORT)),
		[E(TIMEOUT)] = END(ABORTED, A(KERNEL_ABORT)),
		[E(SHUTDOWN)] = END(ABORTED, A(KERNEL_ABORT)),
	},
	[S(CONNECT)] = {
		/* The action that raised CONNECTED sent META and DATA. */
		[E(CONNECTED)] = GO(TRANSFER, 0),
		[E(KERNEL_ABORT)] = END(ABORTED, 0),
		/* Nothing reached the importer: it forgets on its own. */
		[E(FAIL)] = END(ABORTED, A(KERNEL_ABORT)),
		[E(TIMEOUT)] = END(ABORTED, A(KERNEL_ABORT)),
		[E(CONN_LOST)] = END(ABORTED, A(KERNEL_ABORT)),
		[E(SHUTDOWN)] = END(ABORTED, A(KERNEL_ABORT)),
	},
	[S(TRANSFER)] = {
		[E(STAGED)] = GO(COMMIT, A(KERNEL_COMMIT)),
		/* Redirection, neither we nor the importer own the address:
		 * its owner redirects to the importer before the commit. */
		[E(STAGED_ONWARD)] = GO(REROUTE, A(REROUTE)),
		[E(REFUSED)] = END(ABORTED, A(KERNEL_ABORT)),
		[E(KERNEL_ABORT)] = END(ABORTED, A(SEND_ABORT)),
		[E(FAIL)] = END(ABORTED, X_ROLLBACK),
		[E(TIMEOUT)] = END(ABORTED, X_ROLLBACK),
		[E(CONN_LOST)] = END(ABORTED, X_ROLLBACK),
		[E(BAD_MSG)] = END(ABORTED, X_ROLLBACK),
		[E(SHUTDOWN)] = END(ABORTED, X_ROLLBACK),
	},
	[S(REROUTE)] = {
		[E(REROUTED)] = GO(COMMIT, A(KERNEL_COMMIT)),
		/* Refused: nothing changed there; unreachable or timed out:
		 * the UNDO goes where the REROUTE went, if anywhere. */
		[E(REROUTE_FAIL)] = END(ABORTED, X_UNROUTE),
		[E(KERNEL_ABORT)] = END(ABORTED, A(SEND_ABORT) | A(UNDO_REROUTE)),
		[E(FAIL)] = END(ABORTED, X_UNROUTE),
		[E(TIMEOUT)] = END(ABORTED, X_UNROUTE),
		[E(CONN_LOST)] = END(ABORTED, X_UNROUTE),
		[E(BAD_MSG)] = END(ABORTED, X_UNROUTE),
		[E(SHUTDOWN)] = END(ABORTED, X_UNROUTE),
	},
	[S(COMMIT)] = {
		/* The commit point: from here on no rollback. */
		[E(COMMIT_OK)] = GO(WAIT_DONE, A(RELEASE_ADDR) | A(SEND_COMMIT)),
		/* Not committed (expired, refused): make sure it is thawed,
		 * and that the owner redirects to us again. */
		[E(COMMIT_FAIL)] = END(ABORTED, X_UNROUTE),
	},
	[S(WAIT_DONE)] = {
		[E(DONE)] = END(COMMITTED, A(LIFT_HOLD)),
		[E(DONE_FAIL)] = END(LOST, A(LIFT_HOLD)),
		[E(FAIL)] = END(UNCONFIRMED, A(LIFT_HOLD)),
		[E(TIMEOUT)] = END(UNCONFIRMED, A(LIFT_HOLD)),
		[E(CONN_LOST)] = END(UNCONFIRMED, A(LIFT_HOLD)),
		[E(BAD_MSG)] = END(UNCONFIRMED, A(LIFT_HOLD)),
		[E(SHUTDOWN)] = END(UNCONFIRMED, A(LIFT_HOLD)),
	},
};

static const struct sockmid_edge
sockmid_importer[__SOCKMID_S_MAX][__SOCKMID_E_MAX] = {
	[S(OFFERED)] = {
		[E(META)] = GO(RECEIVE, 0),
		[E(OTHER_WON)] = END(DROPPED, 0),
		[E(TIMEOUT)] = END(DROPPED, 0),
		[E(SHUTDOWN)] = END(DROPPED, 0),
	},
	[S(RECEIVE)] = {
		[E(RECEIVED)] = GO(STAGE, A(STAGE)),
		/* Nothing staged yet: nothing to undo. */
		[E(ABORT)] = END(DROPPED, 0),
		[E(FAIL)] = END(DROPPED, 0),
		[E(TIMEOUT)] = END(DROPPED, 0),
		[E(CONN_LOST)] = END(DROPPED, 0),
		[E(BAD_MSG)] = END(DROPPED, 0),
		[E(SHUTDOWN)] = END(DROPPED, 0),
	},
	[S(STAGE)] = {
		[E(STAGE_OK)] = GO(STAGED, A(SEND_STAGED)),
		[E(STAGE_FAIL)] = END(REFUSED, A(SEND_REFUSED)),
	},
	[S(STAGED)] = {
		/* Only the exporter's word that it committed activates. */
		[E(COMMIT)] = GO(ACTIVATE, A(TAKE_ADDR) | A(ACTIVATE)),
		[E(ABORT)] = END(UNSTAGED, A(UNSTAGE)),
		[E(FAIL)] = END(UNSTAGED, A(UNSTAGE)),
		[E(TIMEOUT)] = END(UNSTAGED, A(UNSTAGE)),
		[E(CONN_LOST)] = END(UNSTAGED, A(UNSTAGE)),
		[E(BAD_MSG)] = END(UNSTAGED, A(UNSTAGE)),
		[E(SHUTDOWN)] = END(UNSTAGED, A(UNSTAGE)),
	},
	[S(ACTIVATE)] = {
		[E(ACTIVATE_OK)] = END(ACTIVATED, A(SEND_DONE)),
		[E(ACTIVATE_FAIL)] = END(LOST, A(SEND_DONE)),
	},
};

bool sockmid_fsm_state_of(enum sockmid_role role, enum sockmid_state state)
{
	if (state == S(END))
		return true;
	if (role == SOCKMID_EXPORTER)
		return state >= S(NEGOTIATE) && state <= S(WAIT_DONE);
	return state >= S(OFFERED) && state <= S(ACTIVATE);
}

const struct sockmid_edge *sockmid_fsm_step(enum sockmid_role role,
					    enum sockmid_state state,
					    enum sockmid_event event)
{
	static const struct sockmid_edge stay[__SOCKMID_S_MAX] = {
		STAY(NEGOTIATE), STAY(CONNECT), STAY(TRANSFER), STAY(REROUTE),
		STAY(COMMIT),
		STAY(WAIT_DONE), STAY(OFFERED), STAY(RECEIVE), STAY(STAGE),
		STAY(STAGED), STAY(ACTIVATE), STAY(END),
	};
	const struct sockmid_edge *e;

	if (state >= __SOCKMID_S_MAX)
		return &stay[S(END)];
	if (event >= __SOCKMID_E_MAX || !sockmid_fsm_state_of(role, state))
		return &stay[state];
	e = role == SOCKMID_EXPORTER ? &sockmid_exporter[state][event] :
				       &sockmid_importer[state][event];
	return e->defined ? e : &stay[state];
}

const char *sockmid_state_name(enum sockmid_state state)
{
	static const char *const names[__SOCKMID_S_MAX] = {
		[S(NEGOTIATE)] = "negotiate", [S(CONNECT)] = "connect",
		[S(TRANSFER)] = "transfer", [S(REROUTE)] = "reroute",
		[S(COMMIT)] = "commit",
		[S(WAIT_DONE)] = "wait-done", [S(OFFERED)] = "offered",
		[S(RECEIVE)] = "receive", [S(STAGE)] = "stage",
		[S(STAGED)] = "staged", [S(ACTIVATE)] = "activate",
		[S(END)] = "end",
	};

	return state < ARRAY_SIZE(names) ? names[state] : "?";
}

const char *sockmid_event_name(enum sockmid_event event)
{
	static const char *const names[__SOCKMID_E_MAX] = {
		[E(DECIDE)] = "decide", [E(CONNECTED)] = "connected",
		[E(STAGED)] = "staged", [E(STAGED_ONWARD)] = "staged-onward",
		[E(REROUTED)] = "rerouted", [E(REROUTE_FAIL)] = "reroute-fail",
		[E(REFUSED)] = "refused",
		[E(COMMIT_OK)] = "commit-ok", [E(COMMIT_FAIL)] = "commit-fail",
		[E(DONE)] = "done", [E(DONE_FAIL)] = "done-fail",
		[E(KERNEL_ABORT)] = "kernel-abort", [E(META)] = "meta",
		[E(RECEIVED)] = "received", [E(STAGE_OK)] = "stage-ok",
		[E(STAGE_FAIL)] = "stage-fail", [E(COMMIT)] = "commit",
		[E(ABORT)] = "abort", [E(OTHER_WON)] = "other-won",
		[E(ACTIVATE_OK)] = "activate-ok",
		[E(ACTIVATE_FAIL)] = "activate-fail", [E(FAIL)] = "fail",
		[E(TIMEOUT)] = "timeout", [E(CONN_LOST)] = "conn-lost",
		[E(BAD_MSG)] = "bad-msg", [E(SHUTDOWN)] = "shutdown",
	};

	return event < ARRAY_SIZE(names) ? names[event] : "?";
}

const char *sockmid_result_name(enum sockmid_result result)
{
	static const char *const names[__SOCKMID_R_MAX] = {
		[R(NONE)] = "none", [R(COMMITTED)] = "committed",
		[R(UNCONFIRMED)] = "unconfirmed", [R(ABORTED)] = "aborted",
		[R(LOST)] = "lost", [R(ACTIVATED)] = "activated",
		[R(UNSTAGED)] = "unstaged", [R(REFUSED)] = "refused",
		[R(DROPPED)] = "dropped",
	};

	return result < ARRAY_SIZE(names) ? names[result] : "?";
}

const char *sockmid_action_name(enum sockmid_action action)
{
	switch (action) {
	case A(SEND_CONFIRM): return "send-confirm";
	case A(CONNECT): return "connect";
	case A(KERNEL_COMMIT): return "kernel-commit";
	case A(KERNEL_ABORT): return "kernel-abort";
	case A(RELEASE_ADDR): return "release-addr";
	case A(SEND_COMMIT): return "send-commit";
	case A(SEND_ABORT): return "send-abort";
	case A(LIFT_HOLD): return "lift-hold";
	case A(STAGE): return "stage";
	case A(SEND_STAGED): return "send-staged";
	case A(SEND_REFUSED): return "send-refused";
	case A(UNSTAGE): return "unstage";
	case A(TAKE_ADDR): return "take-addr";
	case A(ACTIVATE): return "activate";
	case A(SEND_DONE): return "send-done";
	case A(REROUTE): return "reroute";
	case A(UNDO_REROUTE): return "undo-reroute";
	}
	return "?";
}
