/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freshness of authenticated messages: a message is accepted once, and only
 * while its time is within SOCKMID_SKEW_MS of ours and not before this
 * daemon started (what came earlier is not in the cache). The cache holds
 * the nonce of every message accepted until its time has left the window,
 * after which the time check alone refuses a replay.
 *
 * Only authenticated messages may be checked: the cache is bounded by the
 * traffic of the daemons that know the key, and when it is full new
 * messages are refused rather than older nonces forgotten.
 */

#ifndef SOCKMID_REPLAY_H
#define SOCKMID_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/* Capacity, a power of two; at most half of it is ever used. */
#define SOCKMID_REPLAY_SLOTS 32768

struct sockmid_replay_slot {
	uint64_t expires;	/* sender's time + skew; 0: free */
	uint8_t nonce[SOCKMID_NONCE_LEN];
};

struct sockmid_replay {
	uint64_t start_ms;	/* nothing older is accepted */
	size_t used;
	struct sockmid_replay_slot *slots;
};

enum sockmid_fresh {
	SOCKMID_FRESH = 0,
	SOCKMID_STALE,		/* too old, or before we started */
	SOCKMID_FUTURE,		/* too far ahead of our clock */
	SOCKMID_REPLAYED,	/* seen before */
	SOCKMID_CACHE_FULL,	/* cannot remember it: refused */
};

/** sockmid_replay_init - an empty cache; 0 or -ENOMEM */
int sockmid_replay_init(struct sockmid_replay *r, uint64_t now_ms);
void sockmid_replay_free(struct sockmid_replay *r);

/**
 * sockmid_replay_check - accept a message once
 * @r: the cache
 * @h: the message's authenticated header
 * @now_ms: our CLOCK_REALTIME in milliseconds
 *
 * Return: SOCKMID_FRESH, and the nonce is remembered; or why not.
 */
enum sockmid_fresh sockmid_replay_check(struct sockmid_replay *r,
					const struct sockmid_hdr *h,
					uint64_t now_ms);

/* "stale", "replayed", ... */
const char *sockmid_fresh_name(enum sockmid_fresh f);

#endif /* SOCKMID_REPLAY_H */
