// SPDX-License-Identifier: GPL-2.0
/*
 * sockmid's messages (sockmid/wire.c, replay.c, kernel.c's checkpoint
 * check): every message type round-trips; truncated, padded or malformed
 * bodies are refused; a sealed message opens only unaltered and under its
 * key; the replay cache accepts each message once and only while fresh.
 */

#include <errno.h>
#include <string.h>

#include <linux/netlink.h>
#include <linux/sockmi.h>

#include "kernel.h"
#include "replay.h"
#include "tap.h"
#include "wire.h"

static struct sockmi_tuple tuple4(void)
{
	struct sockmi_tuple t = { .family = AF_INET, .has_remote = true };
	const char *why;

	sockmi_addr_parse("10.77.0.100:7001", SOCKMI_PORT_REQUIRED, &t.local, &why);
	sockmi_addr_parse("10.77.0.1:40000", SOCKMI_PORT_REQUIRED, &t.remote, &why);
	return t;
}

static struct sockmi_tuple tuple6_listen(void)
{
	struct sockmi_tuple t = { .family = AF_INET6 };
	const char *why;

	sockmi_addr_parse("[fd77::100]:80", SOCKMI_PORT_REQUIRED, &t.local, &why);
	return t;
}

/* One example of each type. */
static unsigned int examples(struct sockmid_msg *m, uint8_t *data)
{
	const char *why;
	unsigned int n = 0;

	memset(m, 0, 11 * sizeof(*m));
	m[n].type = SOCKMID_MSG_REQUEST;
	m[n].request.flags = SOCKMID_REQ_TO | SOCKMID_REQ_TAKEOVER;
	m[n].request.tcp_state = 1;
	m[n].request.tuple = tuple4();
	sockmi_addr_parse("10.77.0.3", SOCKMI_PORT_FORBIDDEN, &m[n].request.to,
			  &why);
	n++;
	m[n].type = SOCKMID_MSG_REQUEST;
	m[n].request.tcp_state = 10;
	m[n].request.tuple = tuple6_listen();
	n++;
	m[n].type = SOCKMID_MSG_OFFER;
	m[n].offer.exporter = 0x0123456789abcdefULL;
	m[n].offer.port = 8877;
	m[n].offer.sockets = 12;
	m[n].offer.load = 345;
	n++;
	m[n].type = SOCKMID_MSG_CONFIRM;
	m[n].confirm.winner = 0xfedcba9876543210ULL;
	n++;
	m[n].type = SOCKMID_MSG_META;
	m[n].meta.flags = SOCKMID_REQ_TAKEOVER;
	m[n].meta.tcp_state = 1;
	m[n].meta.tuple = tuple4();
	m[n].meta.len = 1ULL << 33;
	n++;
	memset(data, 0xa5, 1000);
	m[n].type = SOCKMID_MSG_DATA;
	m[n].data.data = data;
	m[n].data.len = 1000;
	n++;
	m[n].type = SOCKMID_MSG_STAGED;
	m[n].staged.stage_id = 42;
	n++;
	m[n].type = SOCKMID_MSG_STAGED;
	m[n].staged.stage_id = 43;
	m[n].staged.flags = SOCKMID_STAGED_VIA;
	m[n].staged.via = m[n - 3].meta.tuple.remote;
	n++;
	m[n].type = SOCKMID_MSG_REROUTE;
	m[n].reroute.tuple = tuple4();
	m[n].reroute.via = m[n].reroute.tuple.remote;
	n++;
	m[n].type = SOCKMID_MSG_REROUTED;
	strcpy(m[n].result.text, "redirected");
	n++;
	m[n].type = SOCKMID_MSG_UNDO;
	n++;
	m[n].type = SOCKMID_MSG_REFUSED;
	m[n].result.err = ENOSPC;
	strcpy(m[n].result.text, "STAGE failed: the staging list is full");
	n++;
	m[n].type = SOCKMID_MSG_COMMIT;
	n++;
	m[n].type = SOCKMID_MSG_ABORT;
	m[n].result.err = ECANCELED;
	n++;
	m[n].type = SOCKMID_MSG_DONE;
	strcpy(m[n].result.text, "activated");
	n++;
	return n;
}

static bool tuple_eq(const struct sockmi_tuple *a, const struct sockmi_tuple *b)
{
	return a->family == b->family && a->has_remote == b->has_remote &&
	       !memcmp(&a->local.in6, &b->local.in6, sizeof(a->local.in6)) &&
	       a->local.port == b->local.port &&
	       (!a->has_remote ||
		(!memcmp(&a->remote.in6, &b->remote.in6, sizeof(a->remote.in6)) &&
		 a->remote.port == b->remote.port));
}

static bool msg_eq(const struct sockmid_msg *a, const struct sockmid_msg *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case SOCKMID_MSG_REQUEST:
		return a->request.flags == b->request.flags &&
		       a->request.tcp_state == b->request.tcp_state &&
		       tuple_eq(&a->request.tuple, &b->request.tuple) &&
		       (!(a->request.flags & SOCKMID_REQ_TO) ||
			(a->request.to.family == b->request.to.family &&
			 a->request.to.in.s_addr == b->request.to.in.s_addr));
	case SOCKMID_MSG_OFFER:
		return !memcmp(&a->offer, &b->offer, sizeof(a->offer));
	case SOCKMID_MSG_CONFIRM:
		return a->confirm.winner == b->confirm.winner;
	case SOCKMID_MSG_META:
		return a->meta.flags == b->meta.flags &&
		       a->meta.tcp_state == b->meta.tcp_state &&
		       a->meta.len == b->meta.len &&
		       tuple_eq(&a->meta.tuple, &b->meta.tuple);
	case SOCKMID_MSG_DATA:
		return a->data.len == b->data.len &&
		       !memcmp(a->data.data, b->data.data, a->data.len);
	case SOCKMID_MSG_STAGED:
		return a->staged.stage_id == b->staged.stage_id &&
		       a->staged.flags == b->staged.flags &&
		       (!(a->staged.flags & SOCKMID_STAGED_VIA) ||
			(a->staged.via.family == b->staged.via.family &&
			 a->staged.via.in.s_addr == b->staged.via.in.s_addr));
	case SOCKMID_MSG_REROUTE:
		return tuple_eq(&a->reroute.tuple, &b->reroute.tuple) &&
		       a->reroute.via.family == b->reroute.via.family &&
		       a->reroute.via.in.s_addr == b->reroute.via.in.s_addr;
	case SOCKMID_MSG_COMMIT:
	case SOCKMID_MSG_UNDO:
		return true;
	default:
		return a->result.err == b->result.err &&
		       !strcmp(a->result.text, b->result.text);
	}
}

static void test_codec(struct tap *t)
{
	struct sockmid_msg m[16], out;
	uint8_t data[1000], buf[4096];
	unsigned int i, n = examples(m, data);
	bool all = true, prefixes = true, trailing = true;

	for (i = 0; i < n; i++) {
		int len = sockmid_msg_encode(&m[i], buf, sizeof(buf));
		size_t k;

		if (len < 0 ||
		    sockmid_msg_decode(m[i].type, buf, (size_t)len, &out) ||
		    !msg_eq(&m[i], &out)) {
			tap_diag("%s does not round-trip (%d)",
				 sockmid_msg_name(m[i].type), len);
			all = false;
			continue;
		}
		/* Every shorter body is refused (DATA: only the empty one). */
		for (k = 0; k < (m[i].type == SOCKMID_MSG_DATA ? 1 : (size_t)len);
		     k++) {
			if (!sockmid_msg_decode(m[i].type, buf, k, &out)) {
				tap_diag("%s accepted with %zu of %d bytes",
					 sockmid_msg_name(m[i].type), k, len);
				prefixes = false;
			}
		}
		buf[len] = 0;
		if (m[i].type != SOCKMID_MSG_DATA &&
		    !sockmid_msg_decode(m[i].type, buf, (size_t)len + 1, &out)) {
			tap_diag("%s accepted with a trailing byte",
				 sockmid_msg_name(m[i].type));
			trailing = false;
		}
	}
	tap_ok(t, n == 15 && all, "every message type round-trips (%u)", n);
	tap_ok(t, prefixes, "truncated bodies are refused");
	tap_ok(t, trailing, "bodies with trailing bytes are refused");

	/* Malformed fields. */
	{
		int len = sockmid_msg_encode(&m[0], buf, sizeof(buf));

		buf[5] = 5;	/* the tuple's family: 4 or 6 only */
		tap_ok(t, sockmid_msg_decode(SOCKMID_MSG_REQUEST, buf, (size_t)len,
					     &out) == -EBADMSG,
		       "an address family other than 4 or 6 is refused");
		sockmid_msg_encode(&m[0], buf, sizeof(buf));
		buf[0] = 0x80;	/* unknown flag */
		tap_ok(t, sockmid_msg_decode(SOCKMID_MSG_REQUEST, buf, (size_t)len,
					     &out) == -EBADMSG,
		       "unknown request flags are refused");
	}
	{
		struct sockmid_msg r = { .type = SOCKMID_MSG_REFUSED };
		int len;

		strcpy(r.result.text, "abc");
		len = sockmid_msg_encode(&r, buf, sizeof(buf));
		buf[len - 2] = '\n';
		tap_ok(t, sockmid_msg_decode(SOCKMID_MSG_REFUSED, buf, (size_t)len,
					     &out) == -EBADMSG,
		       "control characters in a text are refused (log injection)");
		memset(r.result.text, 'x', sizeof(r.result.text));
		tap_ok(t, sockmid_msg_encode(&r, buf, sizeof(buf)) == -EINVAL,
		       "an unterminated text is not encoded");
	}
	tap_ok(t, sockmid_msg_encode(&m[0], buf, 10) == -EMSGSIZE,
	       "encoding into too small a buffer fails with EMSGSIZE");
	tap_ok(t, sockmid_msg_decode(99, buf, 0, &out) == -EBADMSG,
	       "an unknown type is refused");
	{
		struct sockmid_msg o = m[2];

		o.offer.port = 0;
		int len = sockmid_msg_encode(&o, buf, sizeof(buf));

		tap_ok(t, sockmid_msg_decode(SOCKMID_MSG_OFFER, buf, (size_t)len,
					     &out) == -EBADMSG,
		       "an offer of port 0 is refused");
	}
}

static void test_seal(struct tap *t)
{
	uint8_t shared[SOCKMI_KEY_LEN], other[SOCKMI_KEY_LEN];
	uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
	uint8_t key2[sizeof(key)], key3[sizeof(key)];
	uint8_t body[64], sealed[256], opened[256];
	struct sockmid_hdr h, got;
	size_t blen, i;
	bool flips = true;
	int n, ret;

	sockmi_key_generate(shared);
	memcpy(other, shared, sizeof(other));
	other[0] ^= 1;
	sockmid_wire_key(key, shared);
	sockmid_wire_key(key3, shared);
	sockmid_wire_key(key2, other);
	tap_ok(t, !memcmp(key, key3, sizeof(key)) &&
		   memcmp(key, shared, sizeof(key)) &&
		   memcmp(key, key2, sizeof(key)),
	       "the message key is derived, deterministically, not the key itself");

	memset(body, 0x3c, sizeof(body));
	sockmid_hdr_init(&h, SOCKMID_MSG_OFFER, 7, 99, 3);
	n = sockmid_seal(key, &h, body, sizeof(body), sealed, sizeof(sealed));
	tap_ok(t, n == (int)(sizeof(body) + SOCKMID_OVERHEAD),
	       "sealing adds %d bytes", SOCKMID_OVERHEAD);
	tap_ok(t, !memmem(sealed, (size_t)n, body, 16),
	       "the body is not in clear");
	ret = sockmid_open(key, sealed, (size_t)n, &got, opened, &blen);
	tap_ok(t, ret == 0 && blen == sizeof(body) &&
		   !memcmp(opened, body, blen) && got.type == h.type &&
		   got.seq == 3 && got.sender == 7 && got.xid == 99 &&
		   got.time_ms == h.time_ms &&
		   !memcmp(got.nonce, h.nonce, sizeof(h.nonce)),
	       "a sealed message opens to its header and body");
	tap_ok(t, sockmid_open(key2, sealed, (size_t)n, &got, opened, &blen) ==
		   -EACCES,
	       "under another key it does not open (EACCES)");

	for (i = 0; i < (size_t)n; i++) {
		sealed[i] ^= 0x40;
		ret = sockmid_open(key, sealed, (size_t)n, &got, opened, &blen);
		sealed[i] ^= 0x40;
		if (ret == 0) {
			tap_diag("byte %zu altered, still opens", i);
			flips = false;
		}
	}
	tap_ok(t, flips, "altering any one of its %d bytes makes it fail", n);
	tap_ok(t, sockmid_open(key, sealed, (size_t)n - 1, &got, opened,
			       &blen) == -EACCES &&
		   sockmid_open(key, sealed, SOCKMID_OVERHEAD - 1, &got, opened,
				&blen) == -EBADMSG,
	       "truncated messages fail");
	sealed[4] = SOCKMID_WIRE_VERSION + 1;
	tap_ok(t, sockmid_open(key, sealed, (size_t)n, &got, opened, &blen) ==
		   -EPROTONOSUPPORT,
	       "another protocol version is told apart");
	tap_ok(t, sockmid_seal(key, &h, body, sizeof(body), sealed,
			       sizeof(body) + SOCKMID_OVERHEAD - 1) == -EMSGSIZE,
	       "sealing into too small a buffer fails");
	{
		struct sockmid_hdr a, b;

		sockmid_hdr_init(&a, 1, 1, 1, 0);
		sockmid_hdr_init(&b, 1, 1, 1, 0);
		tap_ok(t, memcmp(a.nonce, b.nonce, sizeof(a.nonce)) != 0,
		       "every header gets a fresh nonce");
	}
}

static void test_replay(struct tap *t)
{
	uint64_t now = 1700000000000ULL;
	struct sockmid_replay r;
	struct sockmid_hdr h;
	unsigned int i, fresh = 0;
	bool full = false;

	if (!tap_ok(t, sockmid_replay_init(&r, now - 5000) == 0,
		    "the replay cache is created"))
		return;
	sockmid_hdr_init(&h, 1, 1, 1, 0);
	h.time_ms = now;
	tap_ok(t, sockmid_replay_check(&r, &h, now) == SOCKMID_FRESH,
	       "a new message is fresh");
	tap_ok(t, sockmid_replay_check(&r, &h, now + 10) == SOCKMID_REPLAYED,
	       "the same message again is a replay");
	h.nonce[0] ^= 1;
	tap_ok(t, sockmid_replay_check(&r, &h, now + 10) == SOCKMID_FRESH,
	       "another nonce is fresh");
	h.nonce[0] ^= 2;
	h.time_ms = now - SOCKMID_SKEW_MS - 1;
	tap_ok(t, sockmid_replay_check(&r, &h, now) == SOCKMID_STALE,
	       "a message older than the window is stale");
	h.time_ms = now - 6000;
	tap_ok(t, sockmid_replay_check(&r, &h, now) == SOCKMID_STALE,
	       "a message from before the daemon started is stale");
	h.time_ms = now + SOCKMID_SKEW_MS + 1;
	tap_ok(t, sockmid_replay_check(&r, &h, now) == SOCKMID_FUTURE,
	       "a message too far ahead is refused");
	h.time_ms = now + SOCKMID_SKEW_MS;
	tap_ok(t, sockmid_replay_check(&r, &h, now) == SOCKMID_FRESH,
	       "within the skew ahead is accepted");

	/* Fill it: it refuses rather than forgets, then purges in time. */
	for (i = 0; i < SOCKMID_REPLAY_SLOTS && !full; i++) {
		sockmid_hdr_init(&h, 1, 1, 1, 0);
		h.time_ms = now;
		switch (sockmid_replay_check(&r, &h, now)) {
		case SOCKMID_FRESH:
			fresh++;
			break;
		case SOCKMID_CACHE_FULL:
			full = true;
			break;
		default:
			break;
		}
	}
	tap_ok(t, full && fresh + 3 == SOCKMID_REPLAY_SLOTS / 2,
	       "a full cache refuses new messages (after %u)", fresh);
	sockmid_hdr_init(&h, 1, 1, 1, 0);
	h.time_ms = now + SOCKMID_SKEW_MS + 5;
	tap_ok(t, sockmid_replay_check(&r, &h, now + 2 * SOCKMID_SKEW_MS + 2) ==
		   SOCKMID_FRESH && r.used == 1,
	       "expired entries are purged when it fills");
	sockmid_replay_free(&r);
}

/* nlattr helpers for checkpoint blobs. */
static size_t put_attr(uint8_t *p, uint16_t type, size_t len)
{
	struct nlattr nla = { .nla_len = (uint16_t)(NLA_HDRLEN + len),
			      .nla_type = type };

	memcpy(p, &nla, sizeof(nla));
	memset(p + NLA_HDRLEN, 0, NLA_ALIGN(len));
	return NLA_HDRLEN + NLA_ALIGN(len);
}

static void test_blob(struct tap *t)
{
	uint8_t b[256];
	size_t n;

	n = put_attr(b, SOCKMI_A_STATE | NLA_F_NESTED, 8);
	n += put_attr(b + n, SOCKMI_A_CHUNK | NLA_F_NESTED, 13);
	n += put_attr(b + n, SOCKMI_A_CHILD | NLA_F_NESTED, 4);
	tap_ok(t, sockmid_blob_check(b, n) == 0,
	       "a checkpoint of STATE, CHUNK and CHILD passes");
	tap_ok(t, sockmid_blob_check(b, n - 4) == -EBADMSG,
	       "a truncated checkpoint is refused");
	tap_ok(t, sockmid_blob_check(b + 12, n - 12) == -EBADMSG,
	       "a checkpoint without STATE is refused");
	n = put_attr(b, SOCKMI_A_STATE, 8);
	n += put_attr(b + n, SOCKMI_A_FLAGS, 4);
	tap_ok(t, sockmid_blob_check(b, n) == -EBADMSG,
	       "other attributes (FLAGS) cannot be smuggled into STAGE");
	n = put_attr(b, SOCKMI_A_STATE, 8);
	n += put_attr(b + n, SOCKMI_A_STATE, 8);
	tap_ok(t, sockmid_blob_check(b, n) == -EBADMSG,
	       "two STATE attributes are refused");
	tap_ok(t, sockmid_blob_check(b, 0) == -EBADMSG,
	       "an empty checkpoint is refused");
}

int main(void)
{
	struct tap t = { .suite = "sockmid-wire" };

	if (sodium_init() < 0) {
		tap_ok(&t, false, "libsodium initializes");
		return tap_done(&t);
	}
	test_codec(&t);
	test_seal(&t);
	test_replay(&t);
	test_blob(&t);
	return tap_done(&t);
}
