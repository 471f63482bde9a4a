/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The commit protocol of a migration, as two state machines -- the
 * exporter's and the importer's -- written as one table that the daemon
 * runs (export.c, import.c) and the unit tests check edge by edge and as a
 * whole (tests/test_sockmid_fsm.c explores every interleaving of the two
 * machines, the network and the kernel, and checks that the socket never
 * lives in two places). docs/commit-protocol.md explains it.
 *
 * The commit point is the exporter's kernel COMMIT: before it, every
 * failure gives the socket back to its owner (kernel ABORT) and drops the
 * importer's pending copy (UNSTAGE); after it, the importer's copy is the
 * only one and it is activated when the importer hears of the commit, or
 * the connection is lost (neither copy lives) and reported so.
 *
 * Each row: in STATE, on EVENT, do ACTIONS (in the order of enum
 * sockmid_action's bits), go to NEXT; when NEXT is SOCKMID_S_END the
 * migration is over with RESULT. A row with no actions and NEXT == STATE
 * ignores the event. Actions marked (->) report their outcome as a new
 * event: the kernel calls (COMMIT, STAGE, ACTIVATE).
 */

#ifndef SOCKMID_FSM_H
#define SOCKMID_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum sockmid_role {
	SOCKMID_EXPORTER,
	SOCKMID_IMPORTER,
};

enum sockmid_state {
	/* exporter */
	SOCKMID_S_NEGOTIATE,	/* REQUEST sent, collecting OFFERs */
	SOCKMID_S_CONNECT,	/* winner chosen, CONFIRM sent, connecting */
	SOCKMID_S_TRANSFER,	/* META and DATA sent, waiting for STAGED */
	SOCKMID_S_REROUTE,	/* the address owner is asked to redirect */
	SOCKMID_S_COMMIT,	/* kernel COMMIT under way */
	SOCKMID_S_WAIT_DONE,	/* committed, COMMIT sent, waiting for DONE */
	/* importer */
	SOCKMID_S_OFFERED,	/* OFFER sent, waiting for the exporter */
	SOCKMID_S_RECEIVE,	/* META received, receiving DATA */
	SOCKMID_S_STAGE,	/* kernel STAGE (pending) under way */
	SOCKMID_S_STAGED,	/* staged, STAGED sent, waiting for a verdict */
	SOCKMID_S_ACTIVATE,	/* COMMIT received, kernel ACTIVATE under way */
	/* both */
	SOCKMID_S_END,
	__SOCKMID_S_MAX
};

enum sockmid_event {
	SOCKMID_E_DECIDE,	/* X: an offer won (policy) */
	SOCKMID_E_CONNECTED,	/* X: connected to the winner, state sent */
	SOCKMID_E_STAGED,	/* X: STAGED received */
	SOCKMID_E_STAGED_ONWARD, /* X: STAGED received; a third host owns the
				  * address and must redirect to the importer */
	SOCKMID_E_REROUTED,	/* X: the address owner redirects */
	SOCKMID_E_REROUTE_FAIL,	/* X: it refused, or cannot be reached */
	SOCKMID_E_REFUSED,	/* X: REFUSED received */
	SOCKMID_E_COMMIT_OK,	/* X: our kernel COMMIT succeeded */
	SOCKMID_E_COMMIT_FAIL,	/* X: our kernel COMMIT failed */
	SOCKMID_E_DONE,		/* X: DONE received, activated */
	SOCKMID_E_DONE_FAIL,	/* X: DONE received, not activated */
	SOCKMID_E_KERNEL_ABORT,	/* X: the kernel aborted the export itself */
	SOCKMID_E_META,		/* M: the exporter connected, META received */
	SOCKMID_E_RECEIVED,	/* M: the whole state arrived */
	SOCKMID_E_STAGE_OK,	/* M: our kernel STAGE succeeded */
	SOCKMID_E_STAGE_FAIL,	/* M: our kernel STAGE failed */
	SOCKMID_E_COMMIT,	/* M: COMMIT received */
	SOCKMID_E_ABORT,	/* M: ABORT received */
	SOCKMID_E_OTHER_WON,	/* M: a CONFIRM named another daemon */
	SOCKMID_E_ACTIVATE_OK,	/* M: our kernel ACTIVATE succeeded */
	SOCKMID_E_ACTIVATE_FAIL, /* M: our kernel ACTIVATE failed */
	/* both */
	SOCKMID_E_FAIL,		/* a local step failed (memory, kernel) */
	SOCKMID_E_TIMEOUT,	/* the state's deadline passed */
	SOCKMID_E_CONN_LOST,	/* the TCP connection broke or closed */
	SOCKMID_E_BAD_MSG,	/* an unexpected or malformed record */
	SOCKMID_E_SHUTDOWN,	/* SIGTERM */
	__SOCKMID_E_MAX
};

enum sockmid_action {
	SOCKMID_A_SEND_CONFIRM = 1U << 0,	/* X: CONFIRM to the group */
	SOCKMID_A_CONNECT = 1U << 1,		/* X: connect to the winner */
	SOCKMID_A_KERNEL_COMMIT = 1U << 2,	/* X: COMMIT (->) */
	SOCKMID_A_KERNEL_ABORT = 1U << 3,	/* X: ABORT: the owner has it */
	SOCKMID_A_RELEASE_ADDR = 1U << 4,	/* X: takeover: drop the address */
	SOCKMID_A_SEND_COMMIT = 1U << 5,	/* X: COMMIT to the importer */
	SOCKMID_A_SEND_ABORT = 1U << 6,		/* X: ABORT to the importer */
	SOCKMID_A_LIFT_HOLD = 1U << 7,		/* X: DEL_FLOW of the hold */
	SOCKMID_A_STAGE = 1U << 8,		/* M: STAGE, pending (->) */
	SOCKMID_A_SEND_STAGED = 1U << 9,	/* M: STAGED to the exporter */
	SOCKMID_A_SEND_REFUSED = 1U << 10,	/* M: REFUSED to the exporter */
	SOCKMID_A_UNSTAGE = 1U << 11,		/* M: UNSTAGE the pending copy */
	SOCKMID_A_TAKE_ADDR = 1U << 12,		/* M: takeover: add, announce */
	SOCKMID_A_ACTIVATE = 1U << 13,		/* M: ACTIVATE (->) */
	SOCKMID_A_SEND_DONE = 1U << 14,		/* M: DONE to the exporter */
	SOCKMID_A_REROUTE = 1U << 15,		/* X: REROUTE to the owner */
	SOCKMID_A_UNDO_REROUTE = 1U << 16,	/* X: UNDO to the owner, if
						 * it was asked */
};

enum sockmid_result {
	SOCKMID_R_NONE,
	SOCKMID_R_COMMITTED,	/* X: moved, the importer confirmed */
	SOCKMID_R_UNCONFIRMED,	/* X: committed, no word from the importer */
	SOCKMID_R_ABORTED,	/* X: the owner kept its socket */
	SOCKMID_R_LOST,		/* X, M: committed but not activated */
	SOCKMID_R_ACTIVATED,	/* M: the socket lives here now */
	SOCKMID_R_UNSTAGED,	/* M: the pending copy was dropped */
	SOCKMID_R_REFUSED,	/* M: could not stage */
	SOCKMID_R_DROPPED,	/* M: nothing was staged (offer not taken,
				 * transfer broken) */
	__SOCKMID_R_MAX
};

/**
 * struct sockmid_edge - a row of the table
 * @next: enum sockmid_state
 * @result: enum sockmid_result, when @next is SOCKMID_S_END
 * @actions: enum sockmid_action bits
 * @defined: the state expects the event; otherwise the row is the
 *	     implicit "ignore" (@next is the state itself, no action)
 */
struct sockmid_edge {
	uint8_t next;
	uint8_t result;
	uint32_t actions;
	bool defined;
};

/**
 * sockmid_fsm_step - the row of the table for a state and an event
 * @role: whose machine
 * @state: the current state
 * @event: what happened
 *
 * Return: the edge; never NULL. Events a state does not expect leave it
 * unchanged, without action.
 */
const struct sockmid_edge *sockmid_fsm_step(enum sockmid_role role,
					    enum sockmid_state state,
					    enum sockmid_event event);

/* The state belongs to @role's machine (SOCKMID_S_END to both). */
bool sockmid_fsm_state_of(enum sockmid_role role, enum sockmid_state state);

/* Names, for logs and tests: "negotiate", "timeout", "aborted", ... */
const char *sockmid_state_name(enum sockmid_state state);
const char *sockmid_event_name(enum sockmid_event event);
const char *sockmid_result_name(enum sockmid_result result);
const char *sockmid_action_name(enum sockmid_action action);

#endif /* SOCKMID_FSM_H */
