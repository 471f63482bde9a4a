// SPDX-License-Identifier: GPL-2.0
/*
 * Sealed records over a TCP connection: a 4-byte big-endian length, then a
 * message sealed as wire.h describes, with consecutive sequence numbers.
 */

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define SOCKMID_FRAME_MAX (4 + SOCKMID_RECORD_MAX)

void sockmid_conn_init(struct sockmid_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void sockmid_conn_close(struct sockmid_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	free(c->body);
	sockmid_conn_init(c);
}

int sockmid_conn_queue(struct sockmid *d, struct sockmid_conn *c,
		       const struct sockmid_msg *m)
{
	uint8_t body[SOCKMID_RECORD_BODY_MAX];
	struct sockmid_hdr h;
	size_t need;
	int blen, n;

	if (c->fd < 0)
		return -ENOTCONN;
	blen = m->type == SOCKMID_MSG_DATA ? 0 :
		sockmid_msg_encode(m, body, sizeof(body));
	if (blen < 0)
		return blen;
	need = 4 + SOCKMID_OVERHEAD +
	       (m->type == SOCKMID_MSG_DATA ? m->data.len : (size_t)blen);
	if (need > c->out_cap - c->out_len) {
		/* Compact first, then grow. */
		if (c->out_off) {
			memmove(c->out, c->out + c->out_off,
				c->out_len - c->out_off);
			c->out_len -= c->out_off;
			c->out_off = 0;
		}
		if (need > c->out_cap - c->out_len) {
			size_t cap = c->out_len + need + SOCKMID_FRAME_MAX;
			uint8_t *out = realloc(c->out, cap);

			if (!out)
				return -ENOMEM;
			c->out = out;
			c->out_cap = cap;
		}
	}
	sockmid_hdr_init(&h, m->type, d->self, c->xid, c->tx_seq);
	/* DATA is sealed straight from the caller's buffer. */
	n = sockmid_seal(d->key, &h,
			 m->type == SOCKMID_MSG_DATA ? m->data.data : body,
			 m->type == SOCKMID_MSG_DATA ? m->data.len : (size_t)blen,
			 c->out + c->out_len + 4, need - 4);
	if (n < 0)
		return n;
	c->out[c->out_len] = (uint8_t)((uint32_t)n >> 24);
	c->out[c->out_len + 1] = (uint8_t)(n >> 16);
	c->out[c->out_len + 2] = (uint8_t)(n >> 8);
	c->out[c->out_len + 3] = (uint8_t)n;
	c->out_len += 4 + (size_t)n;
	c->tx_seq++;
	return 0;
}

int sockmid_conn_flush(struct sockmid_conn *c)
{
	while (c->fd >= 0 && !c->connecting && c->out_off < c->out_len) {
		ssize_t n = send(c->fd, c->out + c->out_off,
				 c->out_len - c->out_off, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		c->out_off += (size_t)n;
	}
	if (c->out_off == c->out_len)
		c->out_off = c->out_len = 0;
	return 0;
}

int sockmid_conn_fill(struct sockmid_conn *c)
{
	if (!c->in) {
		c->in_cap = 2 * SOCKMID_FRAME_MAX;
		c->in = malloc(c->in_cap);
		if (!c->in)
			return -ENOMEM;
	}
	while (c->in_len < c->in_cap) {
		ssize_t n = recv(c->fd, c->in + c->in_len,
				 c->in_cap - c->in_len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EPIPE;
		c->in_len += (size_t)n;
	}
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int sockmid_conn_bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -1;
}

int sockmid_conn_next(struct sockmid *d, struct sockmid_conn *c,
		      struct sockmid_hdr *h, struct sockmid_msg *m,
		      char *why, size_t whylen)
{
	enum sockmid_fresh fresh;
	size_t len, blen;
	int ret;

	if (c->in_len < 4)
		return 0;
	len = (size_t)c->in[0] << 24 | (size_t)c->in[1] << 16 |
	      (size_t)c->in[2] << 8 | c->in[3];
	if (len < SOCKMID_OVERHEAD || len > SOCKMID_RECORD_MAX)
		return sockmid_conn_bad(why, whylen,
					"bad record length %zu", len);
	if (c->in_len < 4 + len)
		return 0;
	if (!c->body) {
		c->body = malloc(SOCKMID_RECORD_BODY_MAX);
		if (!c->body)
			return sockmid_conn_bad(why, whylen, "out of memory");
	}
	ret = sockmid_open(d->key, c->in + 4, len, h, c->body, &blen);
	if (ret == -EACCES)
		return sockmid_conn_bad(why, whylen,
					"authentication failed (wrong key, forged or tampered)");
	if (ret)
		return sockmid_conn_bad(why, whylen, "not a sockmid record");
	fresh = sockmid_replay_check(&d->replay, h, sockmid_realtime_ms());
	if (fresh != SOCKMID_FRESH)
		return sockmid_conn_bad(why, whylen, "record %s",
					sockmid_fresh_name(fresh));
	if (h->seq != c->rx_seq)
		return sockmid_conn_bad(why, whylen,
					"record %u out of order (expected %u)",
					h->seq, c->rx_seq);
	if (sockmid_msg_is_dgram(h->type))
		return sockmid_conn_bad(why, whylen,
					"a %s datagram inside a transfer",
					sockmid_msg_name(h->type));
	if (c->bound && (h->sender != c->peer || h->xid != c->xid))
		return sockmid_conn_bad(why, whylen,
					"record of another transfer");
	if (sockmid_msg_decode(h->type, c->body, blen, m))
		return sockmid_conn_bad(why, whylen, "malformed %s record",
					sockmid_msg_name(h->type) ? sockmid_msg_name(h->type) : "unknown");
	if (!c->bound) {
		c->bound = true;
		c->peer = h->sender;
		c->xid = h->xid;
	}
	c->rx_seq++;
	memmove(c->in, c->in + 4 + len, c->in_len - 4 - len);
	c->in_len -= 4 + len;
	return 1;
}

short sockmid_conn_events(const struct sockmid_conn *c)
{
	if (c->fd < 0)
		return 0;
	if (c->connecting)
		return POLLOUT;
	return (short)(POLLIN | (c->out_off < c->out_len ? POLLOUT : 0));
}

void sockmid_conn_drain(struct sockmid_conn *c, int ms)
{
	uint64_t end = sockmid_monotonic_ms() + (uint64_t)ms;

	while (c->fd >= 0 && !c->connecting && c->out_off < c->out_len) {
		struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
		uint64_t now = sockmid_monotonic_ms();

		if (now >= end || sockmid_conn_flush(c))
			return;
		if (c->out_off < c->out_len &&
		    poll(&pfd, 1, (int)(end - now)) <= 0)
			return;
	}
}
