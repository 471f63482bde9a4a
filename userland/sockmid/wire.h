/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The messages sockmid daemons exchange, and their sealing.
 *
 * Every message -- a UDP datagram of the negotiation, or a record of the
 * TCP state transfer -- is one sealed unit:
 *
 *	offset size
 *	0      4    magic "SKMD"
 *	4      1    version, SOCKMID_WIRE_VERSION
 *	5      1    type, enum sockmid_msg_type
 *	6      2    reserved, zero
 *	8      4    seq: record number within a TCP transfer, 0 in datagrams
 *	12     8    sender: the sending daemon's instance id (random, per run)
 *	20     8    xid: the export the message is about (the exporter's
 *		    kernel export id; with the exporter's instance id, unique)
 *	28     8    time: the sender's CLOCK_REALTIME in milliseconds
 *	36     24   nonce, random
 *	60     n    the body, encrypted
 *	60+n   16   the authentication tag
 *
 * All integers are big-endian. The body is encrypted and the whole is
 * authenticated with XChaCha20-Poly1305 (libsodium's
 * crypto_aead_xchacha20poly1305_ietf), the 60-byte header being the
 * additional data, under a key derived from the shared key with
 * crypto_kdf_derive_from_key(). A message that fails to open was forged,
 * tampered with or sealed under another key; nothing tells which.
 *
 * Freshness is checked after authenticity: the time must be within
 * SOCKMID_SKEW_MS of the receiver's clock, and the nonce must not have been
 * seen before (struct sockmid_replay). TCP records also carry consecutive
 * sequence numbers, so a record can be neither dropped, reordered nor
 * moved to another transfer unnoticed.
 *
 * On TCP each sealed message is preceded by its length, 4 bytes.
 */

#ifndef SOCKMID_WIRE_H
#define SOCKMID_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "key.h"
#include "proto.h"

#define SOCKMID_WIRE_VERSION 1
#define SOCKMID_NONCE_LEN crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define SOCKMID_TAG_LEN crypto_aead_xchacha20poly1305_ietf_ABYTES
#define SOCKMID_HDR_LEN 60
#define SOCKMID_OVERHEAD (SOCKMID_HDR_LEN + SOCKMID_TAG_LEN)

/* Largest body of a datagram and of a TCP record. */
#define SOCKMID_DGRAM_BODY_MAX 512
#define SOCKMID_RECORD_BODY_MAX 65536
#define SOCKMID_DGRAM_MAX (SOCKMID_OVERHEAD + SOCKMID_DGRAM_BODY_MAX)
#define SOCKMID_RECORD_MAX (SOCKMID_OVERHEAD + SOCKMID_RECORD_BODY_MAX)

/* How far a message's time may be from the receiver's clock. */
#define SOCKMID_SKEW_MS 30000

/* Longest text a REFUSED, ABORT or DONE message carries. */
#define SOCKMID_TEXT_MAX 160

enum sockmid_msg_type {
	/* Negotiation, UDP. */
	SOCKMID_MSG_REQUEST = 1,	/* exporter -> group: who imports? */
	SOCKMID_MSG_OFFER = 2,		/* importer -> exporter: I will */
	SOCKMID_MSG_CONFIRM = 3,	/* exporter -> group: the winner is */
	/* Transfer, TCP, exporter -> importer unless noted. */
	SOCKMID_MSG_META = 16,		/* what follows */
	SOCKMID_MSG_DATA = 17,		/* a piece of the checkpoint */
	SOCKMID_MSG_STAGED = 18,	/* importer: staged, pending */
	SOCKMID_MSG_REFUSED = 19,	/* importer: could not stage */
	SOCKMID_MSG_COMMIT = 20,	/* the original is gone: activate */
	SOCKMID_MSG_ABORT = 21,		/* the original lives on: drop yours */
	SOCKMID_MSG_DONE = 22,		/* importer: activated, or why not */
	/* Redirection, TCP, exporter -> the owner of the socket's address
	 * (a connection of its own, see docs/commit-protocol.md). */
	SOCKMID_MSG_REROUTE = 23,	/* redirect the flow to @via instead */
	SOCKMID_MSG_REROUTED = 24,	/* owner: done, or why not */
	SOCKMID_MSG_UNDO = 25,		/* redirect it where it went before */
};

/* Flags of STAGED. */
enum sockmid_staged_flags {
	/* The importer owns the socket's local address: the connection
	 * comes home, the importer drops its REDIRECT when it activates. */
	SOCKMID_STAGED_HOME = 1U << 0,
	/* Redirection: @via, the importer's address the peer's packets are
	 * to be sent to, follows. */
	SOCKMID_STAGED_VIA = 1U << 1,
	__SOCKMID_STAGED_ALL = SOCKMID_STAGED_HOME | SOCKMID_STAGED_VIA
};

/* enum sockmid_msg_type is a datagram type (else a TCP record type). */
bool sockmid_msg_is_dgram(unsigned int type);
/* "request", "offer", ...; NULL for unknown types */
const char *sockmid_msg_name(unsigned int type);

/* Flags of REQUEST and META. */
enum sockmid_req_flags {
	SOCKMID_REQ_TO = 1U << 0,	/* @to names the importer */
	SOCKMID_REQ_TAKEOVER = 1U << 1,	/* the local address moves along */
	__SOCKMID_REQ_ALL = SOCKMID_REQ_TO | SOCKMID_REQ_TAKEOVER
};

struct sockmid_hdr {
	uint8_t type;
	uint32_t seq;
	uint64_t sender;
	uint64_t xid;
	uint64_t time_ms;
	uint8_t nonce[SOCKMID_NONCE_LEN];
};

/**
 * struct sockmid_msg - the decoded body of a message
 * @type: enum sockmid_msg_type
 * @request: REQUEST: the socket's tuple and TCP state as the exporter sees
 *	them, the named importer (@to, with SOCKMID_REQ_TO)
 * @offer: OFFER: to which daemon's request (@exporter), where to connect
 *	(@port, on the address the offer came from), the importer's load:
 *	established TCP sockets and the 1-minute load average times 100
 * @confirm: CONFIRM: the instance id of the chosen importer
 * @meta: META: as REQUEST, plus the length of the checkpoint that follows
 *	in DATA records
 * @data: DATA: @len bytes at @data (pointing into the decoded buffer)
 * @staged: STAGED: the importer's stage id, enum sockmid_staged_flags and,
 *	with SOCKMID_STAGED_VIA, the address it answers the peer at
 * @reroute: REROUTE: the connection (as its socket sees it: the local
 *	address is the owner's) and the importer's address to redirect to
 * @result: REFUSED, ABORT, DONE, REROUTED: a positive errno (0: DONE or
 *	REROUTED succeeded) and a text for the logs
 *
 * COMMIT and UNDO have no body.
 */
struct sockmid_msg {
	uint8_t type;
	union {
		struct {
			uint32_t flags;
			uint8_t tcp_state;
			struct sockmi_tuple tuple;
			struct sockmi_addr to;
		} request;
		struct {
			uint64_t exporter;
			uint16_t port;
			uint32_t sockets;
			uint32_t load;
		} offer;
		struct {
			uint64_t winner;
		} confirm;
		struct {
			uint32_t flags;
			uint8_t tcp_state;
			struct sockmi_tuple tuple;
			uint64_t len;
		} meta;
		struct {
			const uint8_t *data;
			size_t len;
		} data;
		struct {
			uint64_t stage_id;
			uint32_t flags;
			struct sockmi_addr via;
		} staged;
		struct {
			struct sockmi_tuple tuple;
			struct sockmi_addr via;
		} reroute;
		struct {
			uint32_t err;
			char text[SOCKMID_TEXT_MAX];
		} result;
	};
};

/**
 * sockmid_wire_key - derive the message key from the shared key
 * @out: the key for sockmid_seal() and sockmid_open()
 * @shared: the key of `sockmictl genkey`
 */
void sockmid_wire_key(uint8_t out[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
		      const uint8_t shared[SOCKMI_KEY_LEN]);

/**
 * sockmid_msg_encode - write a message body
 * @m: the message
 * @buf: where to write
 * @cap: room at @buf
 *
 * Return: the body's length, or -EMSGSIZE, or -EINVAL for a message that
 * cannot be encoded (unknown type, bad address family, text too long).
 */
int sockmid_msg_encode(const struct sockmid_msg *m, uint8_t *buf, size_t cap);

/**
 * sockmid_msg_decode - read a message body
 * @type: the type from the header
 * @buf: the body
 * @len: its length
 * @m: the result; for DATA it points into @buf
 *
 * Every field is checked: lengths, address families, flags, the text's
 * termination. Trailing bytes are an error.
 *
 * Return: 0, or -EBADMSG.
 */
int sockmid_msg_decode(uint8_t type, const uint8_t *buf, size_t len,
		       struct sockmid_msg *m);

/**
 * sockmid_seal - build a sealed message
 * @key: from sockmid_wire_key()
 * @h: its header; the nonce is taken from it as is (fill it with
 *     randombytes_buf(), see sockmid_hdr_init())
 * @body: the body
 * @len: its length
 * @out: where to write; may not overlap @body
 * @cap: room at @out
 *
 * Return: the sealed length, @len + SOCKMID_OVERHEAD, or -EMSGSIZE.
 */
int sockmid_seal(const uint8_t *key, const struct sockmid_hdr *h,
		 const uint8_t *body, size_t len, uint8_t *out, size_t cap);

/**
 * sockmid_open - authenticate and decrypt a sealed message
 * @key: from sockmid_wire_key()
 * @in: the message
 * @len: its length
 * @h: its header
 * @body: where to put the body, room for @len - SOCKMID_OVERHEAD bytes
 * @blen: the body's length
 *
 * Return: 0; -EBADMSG when it is no sockmid message at all (too short, bad
 * magic, reserved bits), -EPROTONOSUPPORT for another version, -EACCES when
 * authentication fails.
 */
int sockmid_open(const uint8_t *key, const uint8_t *in, size_t len,
		 struct sockmid_hdr *h, uint8_t *body, size_t *blen);

/** sockmid_hdr_init - a header with a fresh nonce and the current time */
void sockmid_hdr_init(struct sockmid_hdr *h, uint8_t type, uint64_t sender,
		      uint64_t xid, uint32_t seq);

/* Wall-clock and monotonic time in milliseconds. */
uint64_t sockmid_realtime_ms(void);
uint64_t sockmid_monotonic_ms(void);

#endif /* SOCKMID_WIRE_H */
