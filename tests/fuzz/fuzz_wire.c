// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the messages sockmid daemons exchange
 * (userland/sockmid/wire.c).
 *
 * Input: MODE TYPE BYTES...
 *   MODE even: BYTES is a message body of TYPE for sockmid_msg_decode().
 *     What decodes must encode again, and that encoding must decode and
 *     re-encode to the very same bytes.
 *   MODE odd: BYTES is a whole sealed message for sockmid_open() under a
 *     fixed key (it must refuse it: nothing here knows the key), then BYTES
 *     is sealed as the body of a TYPE message, opened (must give BYTES back)
 *     and decoded.
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire.h"

static uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
static uint8_t enc1[SOCKMID_RECORD_BODY_MAX], enc2[SOCKMID_RECORD_BODY_MAX];
static uint8_t sealed[SOCKMID_RECORD_MAX], body[SOCKMID_RECORD_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t shared[SOCKMI_KEY_LEN];

	(void)argc;
	(void)argv;
	if (sodium_init() < 0)
		abort();
	memset(shared, 0x5a, sizeof(shared));
	sockmid_wire_key(key, shared);
	return 0;
}

static void roundtrip(uint8_t type, const uint8_t *buf, size_t len)
{
	struct sockmid_msg m, m2;
	int n1, n2;

	if (sockmid_msg_decode(type, buf, len, &m))
		return;
	if (m.type != type)
		abort();
	n1 = sockmid_msg_encode(&m, enc1, sizeof(enc1));
	if (n1 < 0) {
		fprintf(stderr, "type %u: decoded %zu bytes, cannot encode: %d\n",
			type, len, n1);
		abort();
	}
	if (sockmid_msg_decode(type, enc1, (size_t)n1, &m2)) {
		fprintf(stderr, "type %u: own encoding does not decode\n", type);
		abort();
	}
	n2 = sockmid_msg_encode(&m2, enc2, sizeof(enc2));
	if (n2 != n1 || memcmp(enc1, enc2, (size_t)n1)) {
		fprintf(stderr, "type %u: encoding is not stable\n", type);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sockmid_hdr h, h2;
	size_t blen;
	uint8_t type;
	int n;

	if (size < 2)
		return 0;
	type = data[1];
	data += 2;
	size -= 2;
	if (!(data[-2] & 1)) {
		roundtrip(type, data, size);
		return 0;
	}

	if (size <= sizeof(sealed) &&
	    sockmid_open(key, data, size, &h, body, &blen) == 0) {
		fprintf(stderr, "a message nobody sealed opened\n");
		abort();
	}
	if (size > SOCKMID_RECORD_BODY_MAX)
		return 0;
	memset(&h, 0, sizeof(h));
	h.type = type;
	h.seq = 7;
	h.sender = 0x0102030405060708ULL;
	h.xid = 42;
	h.time_ms = 1700000000000ULL;
	memset(h.nonce, 0xa5, sizeof(h.nonce));
	n = sockmid_seal(key, &h, data, size, sealed, sizeof(sealed));
	if (n != (int)(size + SOCKMID_OVERHEAD))
		abort();
	if (sockmid_open(key, sealed, (size_t)n, &h2, body, &blen) ||
	    blen != size || memcmp(body, data, size) || h2.type != h.type ||
	    h2.seq != h.seq || h2.sender != h.sender || h2.xid != h.xid ||
	    h2.time_ms != h.time_ms) {
		fprintf(stderr, "seal/open does not round-trip\n");
		abort();
	}
	/* one flipped bit anywhere must make it fail */
	sealed[size % (size_t)n] ^= 0x10;
	if (sockmid_open(key, sealed, (size_t)n, &h2, body, &blen) == 0) {
		fprintf(stderr, "a tampered message opened\n");
		abort();
	}
	roundtrip(type, body, blen);
	return 0;
}
