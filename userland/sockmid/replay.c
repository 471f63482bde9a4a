// SPDX-License-Identifier: GPL-2.0
/*
 * The replay cache, see replay.h: open addressing with linear probing over
 * random nonces; expired entries are dropped by rebuilding the table when
 * it is half full.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "replay.h"

#define SOCKMID_REPLAY_MASK (SOCKMID_REPLAY_SLOTS - 1)

_Static_assert((SOCKMID_REPLAY_SLOTS & SOCKMID_REPLAY_MASK) == 0,
	       "SOCKMID_REPLAY_SLOTS must be a power of two");

int sockmid_replay_init(struct sockmid_replay *r, uint64_t now_ms)
{
	r->start_ms = now_ms;
	r->used = 0;
	r->slots = calloc(SOCKMID_REPLAY_SLOTS, sizeof(*r->slots));
	return r->slots ? 0 : -ENOMEM;
}

void sockmid_replay_free(struct sockmid_replay *r)
{
	free(r->slots);
	r->slots = NULL;
}

/* The nonce is random: its first bytes are as good a hash as any. */
static size_t sockmid_replay_hash(const uint8_t *nonce)
{
	uint64_t h;

	memcpy(&h, nonce, sizeof(h));
	return (size_t)h & SOCKMID_REPLAY_MASK;
}

static struct sockmid_replay_slot *
sockmid_replay_find(struct sockmid_replay_slot *slots, const uint8_t *nonce)
{
	size_t i = sockmid_replay_hash(nonce);

	/* Never full past half: a free slot always ends the probe. */
	while (slots[i].expires &&
	       memcmp(slots[i].nonce, nonce, SOCKMID_NONCE_LEN))
		i = (i + 1) & SOCKMID_REPLAY_MASK;
	return &slots[i];
}

/* Keep only the entries still inside the window. */
static void sockmid_replay_purge(struct sockmid_replay *r, uint64_t now_ms)
{
	struct sockmid_replay_slot *old = r->slots, *s;
	size_t i;

	/* Reuse nothing: rebuilding in place would break probe chains. */
	r->slots = calloc(SOCKMID_REPLAY_SLOTS, sizeof(*r->slots));
	if (!r->slots) {
		r->slots = old;
		return;
	}
	r->used = 0;
	for (i = 0; i < SOCKMID_REPLAY_SLOTS; i++) {
		if (!old[i].expires || old[i].expires < now_ms)
			continue;
		s = sockmid_replay_find(r->slots, old[i].nonce);
		*s = old[i];
		r->used++;
	}
	free(old);
}

enum sockmid_fresh sockmid_replay_check(struct sockmid_replay *r,
					const struct sockmid_hdr *h,
					uint64_t now_ms)
{
	struct sockmid_replay_slot *s;

	if (h->time_ms + SOCKMID_SKEW_MS < now_ms || h->time_ms < r->start_ms)
		return SOCKMID_STALE;
	if (h->time_ms > now_ms + SOCKMID_SKEW_MS)
		return SOCKMID_FUTURE;
	s = sockmid_replay_find(r->slots, h->nonce);
	if (s->expires)
		return SOCKMID_REPLAYED;
	if (r->used >= SOCKMID_REPLAY_SLOTS / 2) {
		sockmid_replay_purge(r, now_ms);
		if (r->used >= SOCKMID_REPLAY_SLOTS / 2)
			return SOCKMID_CACHE_FULL;
		s = sockmid_replay_find(r->slots, h->nonce);
	}
	/* Past this, the time check refuses the nonce on its own. */
	s->expires = h->time_ms + SOCKMID_SKEW_MS;
	if (s->expires < now_ms)	/* cannot be, but never store 0 */
		s->expires = now_ms;
	memcpy(s->nonce, h->nonce, SOCKMID_NONCE_LEN);
	r->used++;
	return SOCKMID_FRESH;
}

const char *sockmid_fresh_name(enum sockmid_fresh f)
{
	switch (f) {
	case SOCKMID_FRESH: return "fresh";
	case SOCKMID_STALE: return "stale (too old, or sent before this daemon started)";
	case SOCKMID_FUTURE: return "from the future (clocks differ by more than 30 s?)";
	case SOCKMID_REPLAYED: return "replayed";
	case SOCKMID_CACHE_FULL: return "replay cache full";
	}
	return "?";
}
