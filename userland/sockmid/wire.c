// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding, decoding and sealing of sockmid messages, see wire.h. All the
 * cryptography is libsodium's.
 */

#include <errno.h>
#include <string.h>
#include <time.h>

#include "wire.h"

static const uint8_t sockmid_magic[4] = { 'S', 'K', 'M', 'D' };

/* Context of the key derivation: exactly crypto_kdf_CONTEXTBYTES chars. */
#define SOCKMID_KDF_CONTEXT "sockmid1"
#define SOCKMID_KDF_ID 1

_Static_assert(sizeof(SOCKMID_KDF_CONTEXT) - 1 == crypto_kdf_CONTEXTBYTES,
	       "bad KDF context length");
_Static_assert(crypto_kdf_KEYBYTES == SOCKMI_KEY_LEN,
	       "the shared key is not a KDF key");
_Static_assert(SOCKMID_HDR_LEN == 36 + SOCKMID_NONCE_LEN,
	       "header layout");

void sockmid_wire_key(uint8_t out[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
		      const uint8_t shared[SOCKMI_KEY_LEN])
{
	crypto_kdf_derive_from_key(out, crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
				   SOCKMID_KDF_ID, SOCKMID_KDF_CONTEXT, shared);
}

bool sockmid_msg_is_dgram(unsigned int type)
{
	return type >= SOCKMID_MSG_REQUEST && type <= SOCKMID_MSG_CONFIRM;
}

const char *sockmid_msg_name(unsigned int type)
{
	switch (type) {
	case SOCKMID_MSG_REQUEST: return "request";
	case SOCKMID_MSG_OFFER: return "offer";
	case SOCKMID_MSG_CONFIRM: return "confirm";
	case SOCKMID_MSG_META: return "meta";
	case SOCKMID_MSG_DATA: return "data";
	case SOCKMID_MSG_STAGED: return "staged";
	case SOCKMID_MSG_REFUSED: return "refused";
	case SOCKMID_MSG_COMMIT: return "commit";
	case SOCKMID_MSG_ABORT: return "abort";
	case SOCKMID_MSG_DONE: return "done";
	case SOCKMID_MSG_REROUTE: return "reroute";
	case SOCKMID_MSG_REROUTED: return "rerouted";
	case SOCKMID_MSG_UNDO: return "undo";
	default: return NULL;
	}
}

uint64_t sockmid_realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t sockmid_monotonic_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* A bounded writer: once it overflows, it stays failed. */
struct sockmid_wr {
	uint8_t *p;
	size_t len, cap;
	bool fail;
};

static void wr_bytes(struct sockmid_wr *w, const void *src, size_t n)
{
	if (w->fail || n > w->cap - w->len) {
		w->fail = true;
		return;
	}
	memcpy(w->p + w->len, src, n);
	w->len += n;
}

static void wr_u8(struct sockmid_wr *w, uint8_t v)
{
	wr_bytes(w, &v, 1);
}

static void wr_u16(struct sockmid_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, sizeof(b));
}

static void wr_u32(struct sockmid_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, sizeof(b));
}

static void wr_u64(struct sockmid_wr *w, uint64_t v)
{
	wr_u32(w, (uint32_t)(v >> 32));
	wr_u32(w, (uint32_t)v);
}

/* An address: 4 or 6, then its 4 or 16 bytes. The port is not written. */
static int wr_addr(struct sockmid_wr *w, const struct sockmi_addr *a)
{
	if (a->family == AF_INET) {
		wr_u8(w, 4);
		wr_bytes(w, &a->in, sizeof(a->in));
	} else if (a->family == AF_INET6) {
		wr_u8(w, 6);
		wr_bytes(w, &a->in6, sizeof(a->in6));
	} else {
		return -EINVAL;
	}
	return 0;
}

static int wr_tuple(struct sockmid_wr *w, const struct sockmi_tuple *t)
{
	if (t->local.family != t->family ||
	    (t->has_remote && t->remote.family != t->family) ||
	    wr_addr(w, &t->local))
		return -EINVAL;
	wr_u16(w, t->local.port);
	wr_u8(w, t->has_remote);
	if (t->has_remote) {
		wr_addr(w, &t->remote);
		wr_u16(w, t->remote.port);
	}
	return 0;
}

static int wr_text(struct sockmid_wr *w, const char *text)
{
	size_t n = strnlen(text, SOCKMID_TEXT_MAX);

	if (n >= SOCKMID_TEXT_MAX)
		return -EINVAL;
	wr_u8(w, (uint8_t)n);
	wr_bytes(w, text, n);
	return 0;
}

/* A bounded reader: once it runs out, it stays failed. */
struct sockmid_rd {
	const uint8_t *p;
	size_t len, off;
	bool fail;
};

static const uint8_t *rd_bytes(struct sockmid_rd *r, size_t n)
{
	const uint8_t *p;

	if (r->fail || n > r->len - r->off) {
		r->fail = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

static uint8_t rd_u8(struct sockmid_rd *r)
{
	const uint8_t *p = rd_bytes(r, 1);

	return p ? p[0] : 0;
}

static uint16_t rd_u16(struct sockmid_rd *r)
{
	const uint8_t *p = rd_bytes(r, 2);

	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static uint32_t rd_u32(struct sockmid_rd *r)
{
	const uint8_t *p = rd_bytes(r, 4);

	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		   (uint32_t)p[2] << 8 | p[3] : 0;
}

static uint64_t rd_u64(struct sockmid_rd *r)
{
	uint64_t hi = rd_u32(r);

	return hi << 32 | rd_u32(r);
}

static void rd_addr(struct sockmid_rd *r, struct sockmi_addr *a)
{
	uint8_t fam = rd_u8(r);
	size_t n = fam == 4 ? 4 : fam == 6 ? 16 : 0;
	const uint8_t *p;

	if (!n) {
		r->fail = true;
		return;
	}
	p = rd_bytes(r, n);
	if (p)
		sockmi_addr_set(a, fam == 4 ? AF_INET : AF_INET6, p, n);
}

static void rd_tuple(struct sockmid_rd *r, struct sockmi_tuple *t)
{
	uint8_t has_remote;

	memset(t, 0, sizeof(*t));
	rd_addr(r, &t->local);
	t->family = t->local.family;
	t->local.port = rd_u16(r);
	t->local.has_port = true;
	has_remote = rd_u8(r);
	if (has_remote > 1) {
		r->fail = true;
		return;
	}
	if (!has_remote)
		return;
	rd_addr(r, &t->remote);
	t->remote.port = rd_u16(r);
	t->remote.has_port = true;
	t->has_remote = true;
	if (t->remote.family != t->family)
		r->fail = true;
}

static void rd_text(struct sockmid_rd *r, char text[SOCKMID_TEXT_MAX])
{
	uint8_t n = rd_u8(r);
	const uint8_t *p;

	if (n >= SOCKMID_TEXT_MAX) {
		r->fail = true;
		return;
	}
	p = rd_bytes(r, n);
	if (!p)
		return;
	/* Text for logs: no NUL and no control characters inside. */
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] == 0x7f) {
			r->fail = true;
			return;
		}
	memcpy(text, p, n);
	text[n] = '\0';
}

int sockmid_msg_encode(const struct sockmid_msg *m, uint8_t *buf, size_t cap)
{
	struct sockmid_wr w = { .p = buf, .cap = cap };
	int ret = 0;

	switch (m->type) {
	case SOCKMID_MSG_REQUEST:
		if (m->request.flags & ~(uint32_t)__SOCKMID_REQ_ALL)
			return -EINVAL;
		wr_u32(&w, m->request.flags);
		wr_u8(&w, m->request.tcp_state);
		ret = wr_tuple(&w, &m->request.tuple);
		if (!ret && (m->request.flags & SOCKMID_REQ_TO))
			ret = wr_addr(&w, &m->request.to);
		break;
	case SOCKMID_MSG_OFFER:
		wr_u64(&w, m->offer.exporter);
		wr_u16(&w, m->offer.port);
		wr_u32(&w, m->offer.sockets);
		wr_u32(&w, m->offer.load);
		break;
	case SOCKMID_MSG_CONFIRM:
		wr_u64(&w, m->confirm.winner);
		break;
	case SOCKMID_MSG_META:
		if (m->meta.flags & ~(uint32_t)__SOCKMID_REQ_ALL)
			return -EINVAL;
		wr_u32(&w, m->meta.flags);
		wr_u8(&w, m->meta.tcp_state);
		ret = wr_tuple(&w, &m->meta.tuple);
		wr_u64(&w, m->meta.len);
		break;
	case SOCKMID_MSG_DATA:
		if (!m->data.len)
			return -EINVAL;
		wr_bytes(&w, m->data.data, m->data.len);
		break;
	case SOCKMID_MSG_STAGED:
		if (m->staged.flags & ~(uint32_t)__SOCKMID_STAGED_ALL)
			return -EINVAL;
		wr_u64(&w, m->staged.stage_id);
		wr_u32(&w, m->staged.flags);
		if (m->staged.flags & SOCKMID_STAGED_VIA)
			ret = wr_addr(&w, &m->staged.via);
		break;
	case SOCKMID_MSG_REROUTE:
		if (!m->reroute.tuple.has_remote ||
		    m->reroute.via.family != m->reroute.tuple.family)
			return -EINVAL;
		ret = wr_tuple(&w, &m->reroute.tuple);
		if (!ret)
			ret = wr_addr(&w, &m->reroute.via);
		break;
	case SOCKMID_MSG_REFUSED:
	case SOCKMID_MSG_ABORT:
	case SOCKMID_MSG_DONE:
	case SOCKMID_MSG_REROUTED:
		wr_u32(&w, m->result.err);
		ret = wr_text(&w, m->result.text);
		break;
	case SOCKMID_MSG_COMMIT:
	case SOCKMID_MSG_UNDO:
		break;
	default:
		return -EINVAL;
	}
	if (ret)
		return ret;
	if (w.fail)
		return -EMSGSIZE;
	return (int)w.len;
}

int sockmid_msg_decode(uint8_t type, const uint8_t *buf, size_t len,
		       struct sockmid_msg *m)
{
	struct sockmid_rd r = { .p = buf, .len = len };

	memset(m, 0, sizeof(*m));
	m->type = type;
	switch (type) {
	case SOCKMID_MSG_REQUEST:
		m->request.flags = rd_u32(&r);
		m->request.tcp_state = rd_u8(&r);
		rd_tuple(&r, &m->request.tuple);
		if (m->request.flags & ~(uint32_t)__SOCKMID_REQ_ALL)
			return -EBADMSG;
		if (m->request.flags & SOCKMID_REQ_TO)
			rd_addr(&r, &m->request.to);
		break;
	case SOCKMID_MSG_OFFER:
		m->offer.exporter = rd_u64(&r);
		m->offer.port = rd_u16(&r);
		m->offer.sockets = rd_u32(&r);
		m->offer.load = rd_u32(&r);
		if (!m->offer.port)
			return -EBADMSG;
		break;
	case SOCKMID_MSG_CONFIRM:
		m->confirm.winner = rd_u64(&r);
		break;
	case SOCKMID_MSG_META:
		m->meta.flags = rd_u32(&r);
		m->meta.tcp_state = rd_u8(&r);
		rd_tuple(&r, &m->meta.tuple);
		m->meta.len = rd_u64(&r);
		if (m->meta.flags & ~(uint32_t)__SOCKMID_REQ_ALL)
			return -EBADMSG;
		break;
	case SOCKMID_MSG_DATA:
		if (!len)
			return -EBADMSG;
		m->data.data = buf;
		m->data.len = len;
		r.off = len;
		break;
	case SOCKMID_MSG_STAGED:
		m->staged.stage_id = rd_u64(&r);
		m->staged.flags = rd_u32(&r);
		if (m->staged.flags & ~(uint32_t)__SOCKMID_STAGED_ALL)
			return -EBADMSG;
		if (m->staged.flags & SOCKMID_STAGED_VIA)
			rd_addr(&r, &m->staged.via);
		break;
	case SOCKMID_MSG_REROUTE:
		rd_tuple(&r, &m->reroute.tuple);
		rd_addr(&r, &m->reroute.via);
		if (!r.fail && (!m->reroute.tuple.has_remote ||
				m->reroute.via.family != m->reroute.tuple.family))
			return -EBADMSG;
		break;
	case SOCKMID_MSG_REFUSED:
	case SOCKMID_MSG_ABORT:
	case SOCKMID_MSG_DONE:
	case SOCKMID_MSG_REROUTED:
		m->result.err = rd_u32(&r);
		rd_text(&r, m->result.text);
		break;
	case SOCKMID_MSG_COMMIT:
	case SOCKMID_MSG_UNDO:
		break;
	default:
		return -EBADMSG;
	}
	if (r.fail || r.off != len)
		return -EBADMSG;
	return 0;
}

static void sockmid_hdr_write(const struct sockmid_hdr *h, uint8_t *out)
{
	struct sockmid_wr w = { .p = out, .cap = SOCKMID_HDR_LEN };

	wr_bytes(&w, sockmid_magic, sizeof(sockmid_magic));
	wr_u8(&w, SOCKMID_WIRE_VERSION);
	wr_u8(&w, h->type);
	wr_u16(&w, 0);
	wr_u32(&w, h->seq);
	wr_u64(&w, h->sender);
	wr_u64(&w, h->xid);
	wr_u64(&w, h->time_ms);
	wr_bytes(&w, h->nonce, sizeof(h->nonce));
}

int sockmid_seal(const uint8_t *key, const struct sockmid_hdr *h,
		 const uint8_t *body, size_t len, uint8_t *out, size_t cap)
{
	unsigned long long clen;

	if (cap < SOCKMID_OVERHEAD || len > cap - SOCKMID_OVERHEAD ||
	    len > SOCKMID_RECORD_BODY_MAX)
		return -EMSGSIZE;
	sockmid_hdr_write(h, out);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out + SOCKMID_HDR_LEN, &clen,
						   body, len, out,
						   SOCKMID_HDR_LEN, NULL,
						   h->nonce, key);
	return (int)(SOCKMID_HDR_LEN + clen);
}

int sockmid_open(const uint8_t *key, const uint8_t *in, size_t len,
		 struct sockmid_hdr *h, uint8_t *body, size_t *blen)
{
	struct sockmid_rd r = { .p = in, .len = len };
	unsigned long long mlen;
	const uint8_t *nonce;

	if (len < SOCKMID_OVERHEAD || len > SOCKMID_RECORD_MAX ||
	    memcmp(rd_bytes(&r, 4), sockmid_magic, 4))
		return -EBADMSG;
	if (rd_u8(&r) != SOCKMID_WIRE_VERSION)
		return -EPROTONOSUPPORT;
	memset(h, 0, sizeof(*h));
	h->type = rd_u8(&r);
	if (rd_u16(&r))
		return -EBADMSG;
	h->seq = rd_u32(&r);
	h->sender = rd_u64(&r);
	h->xid = rd_u64(&r);
	h->time_ms = rd_u64(&r);
	nonce = rd_bytes(&r, SOCKMID_NONCE_LEN);
	memcpy(h->nonce, nonce, SOCKMID_NONCE_LEN);

	if (crypto_aead_xchacha20poly1305_ietf_decrypt(body, &mlen, NULL,
						       in + SOCKMID_HDR_LEN,
						       len - SOCKMID_HDR_LEN,
						       in, SOCKMID_HDR_LEN,
						       h->nonce, key))
		return -EACCES;
	*blen = (size_t)mlen;
	return 0;
}

void sockmid_hdr_init(struct sockmid_hdr *h, uint8_t type, uint64_t sender,
		      uint64_t xid, uint32_t seq)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->seq = seq;
	h->sender = sender;
	h->xid = xid;
	h->time_ms = sockmid_realtime_ms();
	randombytes_buf(h->nonce, sizeof(h->nonce));
}
