// SPDX-License-Identifier: GPL-2.0
/*
 * sockmi-bench: the timed parts of `make bench` (tests/bench/bench.sh), in
 * one process that works in several network namespaces at once (setns()
 * per call, so no exec and no Python on a timed path). Every result is one
 * JSON object on stdout; progress and errors go to stderr.
 *
 *   sockmi-bench ckpt  PEER_NS A_NS B_NS A_ADDR PORT QUEUED REPS
 *	One established socket with QUEUED unread bytes in its receive
 *	queue, checkpointed in A and restored in B (which has A_ADDR too):
 *	  sockmi  EXPORT, GET_EXPORT, STAGE (pending), COMMIT, ACTIVATE,
 *		  IMPORT through the "sockmi" genl family;
 *	  repair  the same state moved by user space with TCP_REPAIR, the
 *		  way CRIU's libsoccr does it (see repair_save()).
 *	Each restored socket is checked: same 4-tuple, ESTABLISHED, every
 *	queued byte there, in order.
 *
 *   sockmi-bench stall PEER_NS A_NS B_NS A_ADDR B_ADDR PORT REPS
 *	A paced stream both ways (one 64-byte message a millisecond each
 *	way) while the server end moves from A to B, both keeping their
 *	addresses: export and checkpoint in A, the checkpoint sent to B over
 *	a TCP connection through the bridge, staged there (pending) with
 *	ANSWER_AS, an acknowledgement back to A, COMMIT with REDIRECT in A,
 *	a go to B, ACTIVATE and IMPORT in B. The stall is the longest gap
 *	between two messages arriving, at the peer (download) and at the
 *	server application (upload). Also measured: the RTT (1-byte
 *	ping-pong on the same connection) and the A->B link rate, for the
 *	floor RTT + checkpoint size / link rate. Every message is checked to
 *	arrive once and in order.
 *
 *   sockmi-bench recover PEER_NS A_NS PEER_ADDR PORT REPS
 *	A bulk transfer from A to the peer's listener, as fast as TCP
 *	goes, for 2 s; then A's socket moves to another descriptor of A:
 *	  sockmi  EXPORT to A's own address (staged, committed and active
 *		  in one request) and IMPORT;
 *	  repair  repair_save(), close, repair_restore() into a new socket,
 *		  inside an iptables DROP rule for the peer's packets (CRIU's
 *		  network lock).
 *	The sender then carries on. The recovery is the time from the
 *	resumption until a 100 ms window at the peer carries 90 % of the
 *	median 100 ms rate of the last second before the move (10 s at
 *	most). Every byte is checked at the peer, once and in order.
 *
 *   sockmi-bench batch PEER_NS A_NS B_NS A_ADDR PORT N
 *	N idle connections moved from A to B, both keeping their addresses,
 *	with pipelined genl requests (up to 256 per send()); then N others
 *	moved by the user-space TCP_REPAIR method. Kernel memory per staged
 *	socket from /proc/slabinfo against that of a socket restored with
 *	TCP_REPAIR.
 *
 *   sockmi-bench fill FROM TO ACTION LOCAL REMOTE [VIA]
 *	What tests/bench/fill_flows.py does (flows FROM to TO - 1 in this
 *	namespace's xt_SOCKMI table), fast enough for 100,000 under
 *	emulation.
 *
 * Needs root, the sockmi modules, and in A and B of "batch"/"stall" one
 * "-t raw -A PREROUTING -j SOCKMI" rule.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/sockios.h>
#include <linux/sockmi.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef TCP_REPAIR_OFF_NO_WP
#define TCP_REPAIR_OFF_NO_WP -1
#endif

#define BIGBUF (64 << 20)
#define PIPELINE 256

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "sockmi-bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	exit(1);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory");
	return p;
}

/* ---- namespaces ------------------------------------------------------ */

static int ns_open(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "/run/netns/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("%s: %s", path, strerror(errno));
	return fd;
}

/* Make the calling thread's new sockets belong to @ns. */
static void ns_enter(int ns)
{
	if (setns(ns, CLONE_NEWNET))
		die("setns: %s", strerror(errno));
}

static void bigbufs(int fd)
{
	int v = BIGBUF;

	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &v, sizeof(v)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)))
		die("SO_*BUFFORCE: %s", strerror(errno));
}

/* ---- generic netlink, raw ------------------------------------------- */

struct msg {
	uint8_t *buf;
	size_t len, cap;
};

static void msg_room(struct msg *m, size_t n)
{
	if (m->len + n <= m->cap)
		return;
	m->cap = (m->len + n) * 2;
	m->buf = realloc(m->buf, m->cap);
	if (!m->buf)
		die("out of memory");
}

static void put(struct msg *m, const void *p, size_t n)
{
	size_t pad = NLA_ALIGN(n) - n;

	msg_room(m, n + pad);
	memcpy(m->buf + m->len, p, n);
	memset(m->buf + m->len + n, 0, pad);
	m->len += n + pad;
}

static size_t nla_start(struct msg *m, uint16_t type)
{
	struct nlattr a = { .nla_type = type };
	size_t at = m->len;

	put(m, &a, sizeof(a));
	return at;
}

static void nla_end(struct msg *m, size_t at)
{
	((struct nlattr *)(m->buf + at))->nla_len = (uint16_t)(m->len - at);
}

static void nla_put(struct msg *m, uint16_t type, const void *p, size_t n)
{
	struct nlattr a = { .nla_len = (uint16_t)(NLA_HDRLEN + n),
			    .nla_type = type };

	msg_room(m, NLA_HDRLEN + NLA_ALIGN(n));
	memcpy(m->buf + m->len, &a, sizeof(a));
	m->len += NLA_HDRLEN;
	put(m, p, n);
}

static void nla_u8(struct msg *m, uint16_t t, uint8_t v) { nla_put(m, t, &v, 1); }
static void nla_u16(struct msg *m, uint16_t t, uint16_t v) { nla_put(m, t, &v, 2); }
static void nla_u32(struct msg *m, uint16_t t, uint32_t v) { nla_put(m, t, &v, 4); }
static void nla_u64(struct msg *m, uint16_t t, uint64_t v) { nla_put(m, t, &v, 8); }

/* Begin a request; returns the offset of its header for msg_end(). */
static size_t msg_begin(struct msg *m, uint16_t fam, uint8_t cmd,
			uint16_t flags, uint32_t seq)
{
	struct nlmsghdr h = { .nlmsg_type = fam,
			      .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags,
			      .nlmsg_seq = seq };
	struct genlmsghdr g = { .cmd = cmd, .version = SOCKMI_GENL_VERSION };
	size_t at = m->len;

	put(m, &h, sizeof(h));
	put(m, &g, sizeof(g));
	return at;
}

static void msg_end(struct msg *m, size_t at)
{
	((struct nlmsghdr *)(m->buf + at))->nlmsg_len = (uint32_t)(m->len - at);
}

struct genl {
	int fd;
	uint16_t fam;
	uint32_t seq;
	uint8_t *rx;
};

#define RXLEN (4 << 20)

/* Each reply of a request: its attributes after the genl header. */
typedef void (*reply_cb)(uint32_t seq, const struct nlattr *attrs, int len,
			 void *arg);

static const struct nlattr *attr_find(const struct nlattr *a, int len,
				      uint16_t type)
{
	while (len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		len -= NLA_ALIGN(a->nla_len);
		a = (const struct nlattr *)((const uint8_t *)a + NLA_ALIGN(a->nla_len));
	}
	return NULL;
}

static const void *attr_data(const struct nlattr *a)
{
	return (const uint8_t *)a + NLA_HDRLEN;
}

static void extack(const struct nlmsghdr *h, char *buf, size_t n)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	const struct nlattr *a;
	size_t off = sizeof(*e);
	int len;

	buf[0] = 0;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	len = (int)(h->nlmsg_len - NLMSG_HDRLEN - off);
	a = attr_find((const struct nlattr *)((const uint8_t *)e + off), len,
		      NLMSGERR_ATTR_MSG);
	if (a)
		snprintf(buf, n, ": %s", (const char *)attr_data(a));
}

/*
 * Read replies until every request of seq [first, last] is finished (its
 * ack, or NLMSG_DONE of a dump). The first error is returned (negative),
 * its message printed once.
 */
static int genl_collect(struct genl *g, uint32_t first, uint32_t last,
			reply_cb cb, void *arg)
{
	uint32_t left = last - first + 1;
	int ret = 0;

	while (left) {
		ssize_t n = recv(g->fd, g->rx, RXLEN, 0);
		struct nlmsghdr *h;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			die("netlink recv: %s", strerror(errno));
		}
		for (h = (struct nlmsghdr *)g->rx; NLMSG_OK(h, n);
		     h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq < first || h->nlmsg_seq > last)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);
				char why[200];

				left--;
				if (e->error && !ret) {
					extack(h, why, sizeof(why));
					fprintf(stderr, "sockmi-bench: request %u: %s%s\n",
						h->nlmsg_seq, strerror(-e->error), why);
					ret = e->error;
				}
			} else if (h->nlmsg_type == NLMSG_DONE) {
				int err = *(int *)NLMSG_DATA(h);

				left--;
				if (err && !ret)
					ret = err;
			} else if (cb) {
				cb(h->nlmsg_seq,
				   (const struct nlattr *)((uint8_t *)NLMSG_DATA(h) + GENL_HDRLEN),
				   (int)(h->nlmsg_len - NLMSG_HDRLEN - GENL_HDRLEN), arg);
			}
		}
	}
	return ret;
}

static void genl_send(struct genl *g, const struct msg *m)
{
	if (send(g->fd, m->buf, m->len, 0) != (ssize_t)m->len)
		die("netlink send: %s", strerror(errno));
}

static void family_cb(uint32_t seq, const struct nlattr *a, int len, void *arg)
{
	const struct nlattr *id = attr_find(a, len, CTRL_ATTR_FAMILY_ID);

	(void)seq;
	if (id)
		*(uint16_t *)arg = *(const uint16_t *)attr_data(id);
}

/* A "sockmi" socket in the namespace @ns (-1: the current one). */
static void genl_open(struct genl *g, int ns, int home)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct msg m = { 0 };
	int one = 1;
	size_t at;

	if (ns >= 0)
		ns_enter(ns);
	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (ns >= 0)
		ns_enter(home);
	if (g->fd < 0 || bind(g->fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("netlink socket: %s", strerror(errno));
	bigbufs(g->fd);
	setsockopt(g->fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(g->fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	g->rx = xmalloc(RXLEN);
	g->seq = 1;
	g->fam = GENL_ID_CTRL;
	at = msg_begin(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0, g->seq);
	((struct genlmsghdr *)(m.buf + at + NLMSG_HDRLEN))->version = 1;
	nla_put(&m, CTRL_ATTR_FAMILY_NAME, SOCKMI_GENL_NAME,
		strlen(SOCKMI_GENL_NAME) + 1);
	msg_end(&m, at);
	genl_send(g, &m);
	g->fam = 0;
	if (genl_collect(g, g->seq, g->seq, family_cb, &g->fam) || !g->fam)
		die("genl family \"sockmi\" not found (modules loaded?)");
	g->seq++;
	free(m.buf);
}

/* ---- the sockmi requests -------------------------------------------- */

struct tuple {
	struct in_addr laddr, raddr;
	uint16_t lport, rport;	/* host order */
};

static struct tuple tuple_of(int fd)
{
	struct sockaddr_in l, r;
	socklen_t ll = sizeof(l), rl = sizeof(r);
	struct tuple t;

	if (getsockname(fd, (struct sockaddr *)&l, &ll) ||
	    getpeername(fd, (struct sockaddr *)&r, &rl))
		die("tuple: %s", strerror(errno));
	t.laddr = l.sin_addr;
	t.raddr = r.sin_addr;
	t.lport = ntohs(l.sin_port);
	t.rport = ntohs(r.sin_port);
	return t;
}

static void put_flow(struct msg *m, const struct tuple *t, int action,
		     const struct in_addr *via)
{
	size_t f = nla_start(m, SOCKMI_A_FLOW | NLA_F_NESTED), tu, v;

	tu = nla_start(m, SOCKMI_FLOW_A_TUPLE | NLA_F_NESTED);
	nla_u16(m, SOCKMI_TUPLE_A_FAMILY, AF_INET);
	nla_put(m, SOCKMI_TUPLE_A_LOCAL_ADDR, &t->laddr, 4);
	nla_u16(m, SOCKMI_TUPLE_A_LOCAL_PORT, t->lport);
	nla_put(m, SOCKMI_TUPLE_A_REMOTE_ADDR, &t->raddr, 4);
	nla_u16(m, SOCKMI_TUPLE_A_REMOTE_PORT, t->rport);
	nla_end(m, tu);
	if (action >= 0)
		nla_u8(m, SOCKMI_FLOW_A_ACTION, (uint8_t)action);
	if (via) {
		v = nla_start(m, SOCKMI_FLOW_A_VIA | NLA_F_NESTED);
		nla_u16(m, SOCKMI_ADDR_A_FAMILY, AF_INET);
		nla_put(m, SOCKMI_ADDR_A_ADDR, via, 4);
		nla_end(m, v);
	}
	nla_end(m, f);
}

/* Replies carrying SOCKMI_A_ID (or SOCKMI_A_FD): by seq into an array. */
struct ids {
	uint32_t first;
	uint64_t *v;
	uint16_t attr;
};

static void ids_cb(uint32_t seq, const struct nlattr *a, int len, void *arg)
{
	struct ids *ids = arg;
	const struct nlattr *x = attr_find(a, len, ids->attr);

	if (!x)
		return;
	if (ids->attr == SOCKMI_A_FD)
		ids->v[seq - ids->first] = *(const uint32_t *)attr_data(x);
	else
		memcpy(&ids->v[seq - ids->first], attr_data(x), 8);
}

/*
 * One request, or a pipeline of them: build(i, m) appends request i's
 * attributes; up to PIPELINE requests go in one send(). With @out, each
 * reply's @attr is stored in out[i]. Returns the first error.
 */
typedef void (*build_fn)(size_t i, struct msg *m, void *arg);

static int genl_many(struct genl *g, uint8_t cmd, size_t n, build_fn build,
		     void *arg, uint16_t attr, uint64_t *out)
{
	struct msg m = { 0 };
	int ret = 0, err;
	size_t i, j;

	for (i = 0; i < n; i += PIPELINE) {
		uint32_t first = g->seq;
		struct ids ids = { .first = first - (uint32_t)i, .v = out,
				   .attr = attr };

		m.len = 0;
		for (j = i; j < n && j < i + PIPELINE; j++) {
			size_t at = msg_begin(&m, g->fam, cmd, 0, g->seq++);

			build(j, &m, arg);
			msg_end(&m, at);
		}
		genl_send(g, &m);
		err = genl_collect(g, first, g->seq - 1, out ? ids_cb : NULL, &ids);
		if (err && !ret)
			ret = err;
	}
	free(m.buf);
	return ret;
}

struct blob {
	uint8_t *buf;
	size_t len, cap;
};

static void fetch_cb(uint32_t seq, const struct nlattr *a, int len, void *arg)
{
	struct blob *b = arg;

	(void)seq;
	while (len >= (int)NLA_HDRLEN && a->nla_len >= NLA_HDRLEN &&
	       a->nla_len <= len) {
		int t = a->nla_type & NLA_TYPE_MASK;
		size_t al = NLA_ALIGN(a->nla_len);

		if (t == SOCKMI_A_STATE || t == SOCKMI_A_CHUNK ||
		    t == SOCKMI_A_CHILD) {
			if (b->len + al > b->cap) {
				b->cap = (b->len + al) * 2 + 65536;
				b->buf = realloc(b->buf, b->cap);
				if (!b->buf)
					die("out of memory");
			}
			memcpy(b->buf + b->len, a, a->nla_len);
			memset(b->buf + b->len + a->nla_len, 0, al - a->nla_len);
			b->len += al;
		}
		len -= (int)al;
		a = (const struct nlattr *)((const uint8_t *)a + al);
	}
}

/* GET_EXPORT: the checkpoint of export @id as STAGE attributes. */
static void sm_fetch(struct genl *g, uint64_t id, struct blob *b)
{
	struct msg m = { 0 };
	size_t at = msg_begin(&m, g->fam, SOCKMI_CMD_GET_EXPORT, NLM_F_DUMP,
			      g->seq);

	b->len = 0;
	nla_u64(&m, SOCKMI_A_ID, id);
	msg_end(&m, at);
	genl_send(g, &m);
	if (genl_collect(g, g->seq, g->seq, fetch_cb, b) || !b->len)
		die("GET_EXPORT %llu failed", (unsigned long long)id);
	g->seq++;
	free(m.buf);
}

static void b_export(size_t i, struct msg *m, void *arg)
{
	nla_u32(m, SOCKMI_A_FD, (uint32_t)((int *)arg)[i]);
}

static void b_stage(size_t i, struct msg *m, void *arg)
{
	const struct blob *b = &((struct blob *)arg)[i];

	msg_room(m, b->len);
	memcpy(m->buf + m->len, b->buf, b->len);
	m->len += b->len;
	nla_u32(m, SOCKMI_A_FLAGS, SOCKMI_STAGE_F_PENDING);
}

static void b_id(size_t i, struct msg *m, void *arg)
{
	nla_u64(m, SOCKMI_A_ID, ((uint64_t *)arg)[i]);
}

struct flows {
	const struct tuple *t;
	const uint64_t *ids;	/* COMMIT: the exports */
	int action;
	const struct in_addr *via;
};

static void b_flow(size_t i, struct msg *m, void *arg)
{
	const struct flows *f = arg;

	if (f->ids)
		nla_u64(m, SOCKMI_A_ID, f->ids[i]);
	put_flow(m, &f->t[i], f->action, f->via);
}

static void b_import(size_t i, struct msg *m, void *arg)
{
	const struct tuple *t = &((const struct tuple *)arg)[i];
	size_t at = nla_start(m, SOCKMI_A_MATCH | NLA_F_NESTED);

	nla_u32(m, SOCKMI_MATCH_A_STATES, SOCKMI_STATE_CONNECTED);
	nla_u16(m, SOCKMI_MATCH_A_FAMILY, AF_INET);
	nla_put(m, SOCKMI_MATCH_A_REMOTE_ADDR, &t->raddr, 4);
	nla_u16(m, SOCKMI_MATCH_A_REMOTE_PORT, t->rport);
	nla_end(m, at);
}

static uint64_t sm_one(struct genl *g, uint8_t cmd, build_fn b, void *arg,
		       uint16_t attr)
{
	uint64_t v = 0;

	if (genl_many(g, cmd, 1, b, arg, attr, attr ? &v : NULL))
		die("request %u failed", cmd);
	return v;
}

/* ---- TCP_REPAIR in user space (CRIU's libsoccr method) -------------- */

struct repair {
	struct sockaddr_in local, remote;
	uint32_t snd_seq, rcv_seq;	/* write_seq, rcv_nxt */
	uint32_t inq, outq, unsent;
	uint32_t mss, ts, options, snd_wscale, rcv_wscale;
	int rcvbuf, sndbuf;
	struct tcp_repair_window win;
	uint8_t *rdata, *sdata;
};

static void sso(int fd, int level, int opt, int v, const char *what)
{
	if (setsockopt(fd, level, opt, &v, sizeof(v)))
		die("setsockopt %s: %s", what, strerror(errno));
}

static void gso(int fd, int level, int opt, void *v, socklen_t len,
		const char *what)
{
	if (getsockopt(fd, level, opt, v, &len))
		die("getsockopt %s: %s", what, strerror(errno));
}

static uint8_t *peek_queue(int fd, int q, uint32_t len)
{
	uint8_t *buf = xmalloc(len);
	ssize_t n;

	sso(fd, SOL_TCP, TCP_REPAIR_QUEUE, q, "TCP_REPAIR_QUEUE");
	if (!len)
		return buf;
	n = recv(fd, buf, len, MSG_PEEK | MSG_DONTWAIT);
	if (n != (ssize_t)len)
		die("peek queue %d: %zd of %u: %s", q, n, len, strerror(errno));
	return buf;
}

/*
 * Checkpoint of @fd, which is left in repair mode (close() is then
 * silent). The flow is quiet here (the peer has sent everything and had
 * it ACKed), so no packet blocking is timed: CRIU adds a netfilter lock.
 */
static void repair_save(int fd, struct repair *r)
{
	socklen_t sl = sizeof(r->local);
	struct tcp_info ti;
	int v;

	sso(fd, SOL_TCP, TCP_REPAIR, 1, "TCP_REPAIR");
	if (getsockname(fd, (struct sockaddr *)&r->local, &sl))
		die("getsockname: %s", strerror(errno));
	sl = sizeof(r->remote);
	if (getpeername(fd, (struct sockaddr *)&r->remote, &sl))
		die("getpeername: %s", strerror(errno));
	if (ioctl(fd, SIOCINQ, &v))
		die("SIOCINQ: %s", strerror(errno));
	r->inq = (uint32_t)v;
	if (ioctl(fd, SIOCOUTQ, &v))
		die("SIOCOUTQ: %s", strerror(errno));
	r->outq = (uint32_t)v;
	if (ioctl(fd, SIOCOUTQNSD, &v))
		die("SIOCOUTQNSD: %s", strerror(errno));
	r->unsent = (uint32_t)v;
	gso(fd, SOL_TCP, TCP_INFO, &ti, sizeof(ti), "TCP_INFO");
	r->options = ti.tcpi_options;
	r->snd_wscale = ti.tcpi_snd_wscale;
	r->rcv_wscale = ti.tcpi_rcv_wscale;
	gso(fd, SOL_TCP, TCP_MAXSEG, &r->mss, sizeof(r->mss), "TCP_MAXSEG");
	gso(fd, SOL_TCP, TCP_TIMESTAMP, &r->ts, sizeof(r->ts), "TCP_TIMESTAMP");
	gso(fd, SOL_TCP, TCP_REPAIR_WINDOW, &r->win, sizeof(r->win),
	    "TCP_REPAIR_WINDOW");
	gso(fd, SOL_SOCKET, SO_RCVBUF, &r->rcvbuf, sizeof(int), "SO_RCVBUF");
	gso(fd, SOL_SOCKET, SO_SNDBUF, &r->sndbuf, sizeof(int), "SO_SNDBUF");
	r->rdata = peek_queue(fd, TCP_RECV_QUEUE, r->inq);
	gso(fd, SOL_TCP, TCP_QUEUE_SEQ, &r->rcv_seq, sizeof(r->rcv_seq),
	    "TCP_QUEUE_SEQ recv");
	r->sdata = peek_queue(fd, TCP_SEND_QUEUE, r->outq);
	gso(fd, SOL_TCP, TCP_QUEUE_SEQ, &r->snd_seq, sizeof(r->snd_seq),
	    "TCP_QUEUE_SEQ send");
}

/* The bytes of struct repair that describe the socket (not the queues). */
#define REPAIR_STATE_BYTES (offsetof(struct repair, rdata))

static void send_queue(int fd, int q, const uint8_t *p, uint32_t len)
{
	sso(fd, SOL_TCP, TCP_REPAIR_QUEUE, q, "TCP_REPAIR_QUEUE");
	while (len) {
		ssize_t n = send(fd, p, len, 0);

		if (n <= 0)
			die("refill queue %d: %s", q, strerror(errno));
		p += n;
		len -= (uint32_t)n;
	}
}

/* Rebuild @r in @fd, a fresh TCP socket (CRIU's libsoccr order). */
static void repair_restore(int fd, struct repair *r, bool anysrc)
{
	struct tcp_repair_opt opts[4];
	int nopt = 0;

	sso(fd, SOL_TCP, TCP_REPAIR, 1, "TCP_REPAIR");
	sso(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	if (anysrc)
		sso(fd, SOL_IP, IP_TRANSPARENT, 1, "IP_TRANSPARENT");
	sso(fd, SOL_SOCKET, SO_RCVBUFFORCE, r->rcvbuf / 2, "SO_RCVBUFFORCE");
	sso(fd, SOL_SOCKET, SO_SNDBUFFORCE, r->sndbuf / 2, "SO_SNDBUFFORCE");
	sso(fd, SOL_TCP, TCP_REPAIR_QUEUE, TCP_SEND_QUEUE, "TCP_REPAIR_QUEUE");
	sso(fd, SOL_TCP, TCP_QUEUE_SEQ, (int)(r->snd_seq - r->outq),
	    "TCP_QUEUE_SEQ send");
	sso(fd, SOL_TCP, TCP_REPAIR_QUEUE, TCP_RECV_QUEUE, "TCP_REPAIR_QUEUE");
	sso(fd, SOL_TCP, TCP_QUEUE_SEQ, (int)(r->rcv_seq - r->inq),
	    "TCP_QUEUE_SEQ recv");
	if (bind(fd, (struct sockaddr *)&r->local, sizeof(r->local)))
		die("repair bind: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&r->remote, sizeof(r->remote)))
		die("repair connect: %s", strerror(errno));
	opts[nopt].opt_code = TCPOPT_MAXSEG;
	opts[nopt++].opt_val = r->mss;
	if (r->options & TCPI_OPT_WSCALE) {
		opts[nopt].opt_code = TCPOPT_WINDOW;
		opts[nopt++].opt_val = r->snd_wscale | r->rcv_wscale << 16;
	}
	if (r->options & TCPI_OPT_SACK) {
		opts[nopt].opt_code = TCPOPT_SACK_PERMITTED;
		opts[nopt++].opt_val = 0;
	}
	if (r->options & TCPI_OPT_TIMESTAMPS) {
		opts[nopt].opt_code = TCPOPT_TIMESTAMP;
		opts[nopt++].opt_val = 0;
	}
	if (setsockopt(fd, SOL_TCP, TCP_REPAIR_OPTIONS, opts,
		       (socklen_t)(nopt * sizeof(opts[0]))))
		die("TCP_REPAIR_OPTIONS: %s", strerror(errno));
	if (r->options & TCPI_OPT_TIMESTAMPS)
		sso(fd, SOL_TCP, TCP_TIMESTAMP, (int)r->ts, "TCP_TIMESTAMP");
	send_queue(fd, TCP_RECV_QUEUE, r->rdata, r->inq);
	send_queue(fd, TCP_SEND_QUEUE, r->sdata, r->outq - r->unsent);
	if (setsockopt(fd, SOL_TCP, TCP_REPAIR_WINDOW, &r->win, sizeof(r->win)))
		die("TCP_REPAIR_WINDOW: %s", strerror(errno));
	sso(fd, SOL_TCP, TCP_REPAIR, anysrc ? TCP_REPAIR_OFF_NO_WP : 0,
	    "TCP_REPAIR off");
	if (r->unsent && send(fd, r->sdata + r->outq - r->unsent, r->unsent, 0) !=
	    (ssize_t)r->unsent)
		die("unsent data: %s", strerror(errno));
	free(r->rdata);
	free(r->sdata);
}

/* ---- streams and checks --------------------------------------------- */

static uint8_t pat(size_t i)
{
	return (uint8_t)((i % 251) ^ (i / 251));
}

static void fill_pattern(uint8_t *p, size_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = pat(off + i);
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write: %s", strerror(errno));
		p += w;
		n -= (size_t)w;
	}
}

static void read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			die("read: %s", r ? strerror(errno) : "end of stream");
		p += r;
		n -= (size_t)r;
	}
}

static int inq(int fd)
{
	int v;

	if (ioctl(fd, SIOCINQ, &v))
		die("SIOCINQ: %s", strerror(errno));
	return v;
}

static int outq(int fd)
{
	int v;

	if (ioctl(fd, SIOCOUTQ, &v))
		die("SIOCOUTQ: %s", strerror(errno));
	return v;
}

static void wait_until(int (*f)(int), int fd, int want, const char *what)
{
	double t = now_us();

	while (f(fd) != want) {
		if (now_us() - t > 60e6)
			die("timed out waiting for %s (%d, want %d)", what, f(fd),
			    want);
		usleep(2000);
	}
}

static int tcp_state(int fd)
{
	struct tcp_info ti;

	gso(fd, SOL_TCP, TCP_INFO, &ti, sizeof(ti), "TCP_INFO");
	return ti.tcpi_state;
}

/* The restored @fd: same tuple as @t, ESTABLISHED, @queued pattern bytes. */
static void verify(int fd, const struct tuple *t, size_t queued, const char *who)
{
	struct tuple u = tuple_of(fd);
	uint8_t *buf;
	size_t i;

	if (u.laddr.s_addr != t->laddr.s_addr || u.lport != t->lport ||
	    u.raddr.s_addr != t->raddr.s_addr || u.rport != t->rport)
		die("%s: restored socket has another tuple", who);
	if (tcp_state(fd) != TCP_ESTABLISHED)
		die("%s: restored socket is in state %d", who, tcp_state(fd));
	if ((size_t)inq(fd) != queued)
		die("%s: %d bytes queued after restore, want %zu", who, inq(fd),
		    queued);
	buf = xmalloc(queued);
	read_all(fd, buf, queued);
	for (i = 0; i < queued; i++)
		if (buf[i] != pat(i))
			die("%s: byte %zu differs after restore", who, i);
	free(buf);
}

static void close_rst(int fd)
{
	struct linger l = { 1, 0 };

	setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
	close(fd);
}

static int listener(int ns, int home, struct in_addr addr, uint16_t port,
		    int backlog)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr = addr,
				  .sin_port = htons(port) };
	int fd;

	ns_enter(ns);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ns_enter(home);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	sso(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	bigbufs(fd);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, backlog))
		die("listen %s:%u: %s", inet_ntoa(addr), port, strerror(errno));
	return fd;
}

/* A connection from @pns to @lfd's address: *@peer and the accepted end. */
static int connect_pair(int pns, int home, int lfd, int *peer)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, s;

	if (getsockname(lfd, (struct sockaddr *)&sa, &sl))
		die("getsockname: %s", strerror(errno));
	ns_enter(pns);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ns_enter(home);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	bigbufs(fd);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
		die("connect %s:%u: %s", inet_ntoa(sa.sin_addr),
		    ntohs(sa.sin_port), strerror(errno));
	s = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (s < 0)
		die("accept: %s", strerror(errno));
	*peer = fd;
	return s;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void print_list(const char *key, double *v, int n)
{
	int i;

	printf("\"%s\": [", key);
	for (i = 0; i < n; i++)
		printf("%s%.1f", i ? ", " : "", v[i]);
	printf("]");
}

static double median(double *v, int n)
{
	double *c = xmalloc(sizeof(*c) * (size_t)n), m;

	memcpy(c, v, sizeof(*c) * (size_t)n);
	qsort(c, (size_t)n, sizeof(*c), cmp_double);
	m = n % 2 ? c[n / 2] : (c[n / 2 - 1] + c[n / 2]) / 2;
	free(c);
	return m;
}

/* ---- ckpt ------------------------------------------------------------ */

static int cmd_ckpt(char **argv)
{
	int pns = ns_open(argv[0]), ans = ns_open(argv[1]),
	    bns = ns_open(argv[2]), home;
	struct in_addr a;
	uint16_t port = (uint16_t)atoi(argv[4]);
	size_t queued = strtoul(argv[5], NULL, 10);
	int reps = atoi(argv[6]), r, lfd, method;
	double *us[2], (*steps)[7];
	size_t blob_len = 0;
	struct genl ga, gb;
	uint8_t *data = xmalloc(queued);
	struct blob blob = { 0 };

	if (inet_pton(AF_INET, argv[3], &a) != 1 || reps < 1)
		die("ckpt: bad arguments");
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fill_pattern(data, 0, queued);
	genl_open(&ga, ans, home);
	genl_open(&gb, bns, home);
	lfd = listener(ans, home, a, port, 16);
	us[0] = xmalloc(sizeof(double) * (size_t)reps);
	us[1] = xmalloc(sizeof(double) * (size_t)reps);
	steps = xmalloc(sizeof(*steps) * (size_t)reps);
	for (method = 0; method < 2; method++) {
		for (r = 0; r < reps; r++) {
			int peer, s = connect_pair(pns, home, lfd, &peer), fd;
			struct tuple t = tuple_of(s);
			double t0, t1;

			write_all(peer, data, queued);
			wait_until(inq, s, (int)queued, "queued bytes");
			wait_until(outq, peer, 0, "peer's ACKs");
			if (method == 0) {
				uint64_t id, sid;

				double *st = steps[r];

				t0 = st[0] = now_us();
				id = sm_one(&ga, SOCKMI_CMD_EXPORT, b_export, &s,
					    SOCKMI_A_ID);
				st[1] = now_us();
				sm_fetch(&ga, id, &blob);
				st[2] = now_us();
				sid = sm_one(&gb, SOCKMI_CMD_STAGE, b_stage, &blob,
					     SOCKMI_A_ID);
				st[3] = now_us();
				sm_one(&ga, SOCKMI_CMD_COMMIT, b_id, &id, 0);
				st[4] = now_us();
				sm_one(&gb, SOCKMI_CMD_ACTIVATE, b_id, &sid, 0);
				st[5] = now_us();
				fd = (int)sm_one(&gb, SOCKMI_CMD_IMPORT, b_import,
						 &t, SOCKMI_A_FD);
				t1 = st[6] = now_us();
				blob_len = blob.len;
			} else {
				struct repair rp;
				int n;

				ns_enter(bns);
				n = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
				ns_enter(home);
				if (n < 0)
					die("socket: %s", strerror(errno));
				t0 = now_us();
				repair_save(s, &rp);
				close(s);
				repair_restore(n, &rp, false);
				t1 = now_us();
				fd = n;
				s = -1;
			}
			us[method][r] = t1 - t0;
			verify(fd, &t, queued, method ? "repair" : "sockmi");
			close_rst(fd);
			if (s >= 0) {
				struct flows f = { &t, NULL, -1, NULL };

				close(s);
				sm_one(&ga, SOCKMI_CMD_DEL_FLOW, b_flow, &f, 0);
			}
			close_rst(peer);
		}
		printf("{\"item\": \"ckpt\", \"method\": \"%s\", \"queued\": %zu, ",
		       method ? "repair" : "sockmi", queued);
		print_list("us", us[method], reps);
		printf(", \"median_us\": %.1f, \"state_bytes\": %zu",
		       median(us[method], reps),
		       method ? REPAIR_STATE_BYTES + queued : blob_len);
		if (!method) {
			static const char *const step[] = {
				"export", "get_export", "stage", "commit",
				"activate", "import" };
			double *v = xmalloc(sizeof(double) * (size_t)reps);
			int k;

			printf(", \"median_step_us\": {");
			for (k = 0; k < 6; k++) {
				for (r = 0; r < reps; r++)
					v[r] = steps[r][k + 1] - steps[r][k];
				printf("%s\"%s\": %.1f", k ? ", " : "", step[k],
				       median(v, reps));
			}
			printf("}");
			free(v);
		}
		printf("}\n");
		fflush(stdout);
	}
	return 0;
}

/* ---- stall ----------------------------------------------------------- */

#define MSG 64
#define MAXMSG 200000

struct side {
	pthread_mutex_t lock;
	int fd;			/* -1 while the socket moves */
	bool stop;
	uint64_t tx, rx;	/* messages sent, received */
	double *arrival;	/* time of each message received */
	bool broken;
	const char *name;
};

static void side_io(struct side *s)
{
	uint8_t buf[MSG * 64], msg[MSG];
	double next = now_us();
	size_t have = 0;

	while (!s->stop) {
		double t = now_us();

		pthread_mutex_lock(&s->lock);
		if (s->fd >= 0 && t >= next && s->tx < MAXMSG) {
			memset(msg, 0, sizeof(msg));
			memcpy(msg, &s->tx, sizeof(s->tx));
			if (send(s->fd, msg, MSG, MSG_DONTWAIT) == MSG)
				s->tx++;
			next += 1000;
			if (next < t - 5000)	/* no bursts after a pause */
				next = t;
		}
		if (s->fd >= 0) {
			ssize_t n = recv(s->fd, buf + have, sizeof(buf) - have,
					 MSG_DONTWAIT);

			t = now_us();
			if (n > 0) {
				size_t i, full;

				have += (size_t)n;
				full = have / MSG;
				for (i = 0; i < full; i++) {
					uint64_t seq;

					memcpy(&seq, buf + i * MSG, sizeof(seq));
					if (seq != s->rx || s->rx >= MAXMSG)
						s->broken = true;
					else
						s->arrival[s->rx++] = t;
				}
				memmove(buf, buf + full * MSG, have - full * MSG);
				have -= full * MSG;
			}
		}
		pthread_mutex_unlock(&s->lock);
		usleep(200);
	}
}

static void *side_thread(void *arg)
{
	side_io(arg);
	return NULL;
}

/* Longest gap between arrivals from @from on. */
static double max_gap(const struct side *s, double from)
{
	double gap = 0;
	uint64_t i;

	for (i = 1; i < s->rx; i++)
		if (s->arrival[i] >= from && s->arrival[i] - s->arrival[i - 1] > gap)
			gap = s->arrival[i] - s->arrival[i - 1];
	return gap;
}

static int cmd_stall(char **argv)
{
	int pns = ns_open(argv[0]), ans = ns_open(argv[1]),
	    bns = ns_open(argv[2]), home, lfd, cl, ca, cb, reps = atoi(argv[6]);
	struct in_addr a, b;
	uint16_t port = (uint16_t)atoi(argv[5]);
	struct genl ga, gb;
	struct blob blob = { 0 };
	double rate, t0, *dl, *ul, *rtt, *mig, *floor_us, (*steps)[11];
	static const char *const step[] = {
		"export", "get_export", "send_to_b", "stage", "answer_as",
		"ack_to_a", "commit_redirect", "go_to_b", "activate", "import" };
	size_t i, blen = 4 << 20;
	uint8_t *big = xmalloc(blen);
	int r;

	if (inet_pton(AF_INET, argv[3], &a) != 1 ||
	    inet_pton(AF_INET, argv[4], &b) != 1 || reps < 1)
		die("stall: bad arguments");
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	genl_open(&ga, ans, home);
	genl_open(&gb, bns, home);
	lfd = listener(ans, home, a, port, 16);
	/* The daemons' link: A connects to B. */
	cl = listener(bns, home, b, (uint16_t)(port + 1), 4);
	cb = connect_pair(ans, home, cl, &ca);	/* ca: A's end, cb: B's */
	sso(ca, SOL_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	sso(cb, SOL_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	/* Its rate, with a 4 MiB transfer. */
	memset(big, 0x5a, blen);
	t0 = now_us();
	write_all(ca, big, blen);
	read_all(cb, big, blen);
	rate = blen / (now_us() - t0);	/* bytes per microsecond */

	dl = xmalloc(sizeof(double) * (size_t)reps);
	ul = xmalloc(sizeof(double) * (size_t)reps);
	rtt = xmalloc(sizeof(double) * (size_t)reps);
	mig = xmalloc(sizeof(double) * (size_t)reps);
	floor_us = xmalloc(sizeof(double) * (size_t)reps);
	steps = xmalloc(sizeof(*steps) * (size_t)reps);
	for (r = 0; r < reps; r++) {
		struct side peer = { .name = "peer" }, srv = { .name = "server" };
		int pfd, s = connect_pair(pns, home, lfd, &pfd), fd;
		struct tuple t = tuple_of(s);
		double pings[21], tm0, tm1, tm;
		pthread_t tp, ts;
		uint64_t id, sid;
		uint8_t c = 1;
		struct flows fa = { &t, &id, SOCKMI_FLOW_REDIRECT, &b };
		struct flows fb = { &t, NULL, SOCKMI_FLOW_ANSWER_AS, &b };
		struct flows fd_a = { &t, NULL, -1, NULL };
		double *st = steps[r];
		uint32_t len;

		sso(pfd, SOL_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
		sso(s, SOL_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
		for (i = 0; i < 21; i++) {
			tm = now_us();
			write_all(pfd, &c, 1);
			read_all(s, &c, 1);
			write_all(s, &c, 1);
			read_all(pfd, &c, 1);
			pings[i] = now_us() - tm;
		}
		rtt[r] = median(pings + 1, 20);

		peer.fd = pfd;
		srv.fd = s;
		peer.arrival = xmalloc(sizeof(double) * MAXMSG);
		srv.arrival = xmalloc(sizeof(double) * MAXMSG);
		pthread_mutex_init(&peer.lock, NULL);
		pthread_mutex_init(&srv.lock, NULL);
		pthread_create(&tp, NULL, side_thread, &peer);
		pthread_create(&ts, NULL, side_thread, &srv);
		usleep(500000);

		/* The application on A stops; the migration begins. */
		pthread_mutex_lock(&srv.lock);
		srv.fd = -1;
		pthread_mutex_unlock(&srv.lock);
		tm0 = st[0] = now_us();
		id = sm_one(&ga, SOCKMI_CMD_EXPORT, b_export, &s, SOCKMI_A_ID);
		st[1] = now_us();
		sm_fetch(&ga, id, &blob);
		st[2] = now_us();
		len = (uint32_t)blob.len;
		write_all(ca, (uint8_t *)&len, sizeof(len));
		write_all(ca, blob.buf, blob.len);
		/* B's daemon */
		read_all(cb, (uint8_t *)&len, sizeof(len));
		read_all(cb, blob.buf, len);
		st[3] = now_us();
		sid = sm_one(&gb, SOCKMI_CMD_STAGE, b_stage, &blob, SOCKMI_A_ID);
		st[4] = now_us();
		sm_one(&gb, SOCKMI_CMD_NEW_FLOW, b_flow, &fb, 0);
		st[5] = now_us();
		write_all(cb, &c, 1);
		/* A's daemon */
		read_all(ca, &c, 1);
		st[6] = now_us();
		sm_one(&ga, SOCKMI_CMD_COMMIT, b_flow, &fa, 0);
		st[7] = now_us();
		write_all(ca, &c, 1);
		/* B's daemon */
		read_all(cb, &c, 1);
		st[8] = now_us();
		sm_one(&gb, SOCKMI_CMD_ACTIVATE, b_id, &sid, 0);
		st[9] = now_us();
		fd = (int)sm_one(&gb, SOCKMI_CMD_IMPORT, b_import, &t, SOCKMI_A_FD);
		st[10] = now_us();
		/* The application on B carries on. */
		pthread_mutex_lock(&srv.lock);
		srv.fd = fd;
		pthread_mutex_unlock(&srv.lock);
		tm1 = now_us();
		mig[r] = tm1 - tm0;
		floor_us[r] = rtt[r] + len / rate;

		/* Until 300 messages more arrived each way (10 s at most). */
		tm = now_us();
		for (;;) {
			uint64_t prx, srx;

			pthread_mutex_lock(&peer.lock);
			prx = peer.rx;
			pthread_mutex_unlock(&peer.lock);
			pthread_mutex_lock(&srv.lock);
			srx = srv.rx;
			pthread_mutex_unlock(&srv.lock);
			if ((prx > 0 && peer.arrival[prx - 1] > tm1 + 300000 &&
			     srx > 0 && srv.arrival[srx - 1] > tm1 + 300000) ||
			    now_us() - tm > 10e6)
				break;
			usleep(20000);
		}
		peer.stop = srv.stop = true;
		pthread_join(tp, NULL);
		pthread_join(ts, NULL);
		if (peer.broken || srv.broken)
			die("stall: a message was lost, repeated or reordered");
		if (!peer.rx || peer.arrival[peer.rx - 1] < tm1 ||
		    !srv.rx || srv.arrival[srv.rx - 1] < tm1)
			die("stall: the stream did not resume within 10 s");
		dl[r] = max_gap(&peer, tm0 - 100000);
		ul[r] = max_gap(&srv, tm0 - 100000);
		fprintf(stderr, "stall rep %d: rtt %.0f us, migration %.0f us, "
			"download gap %.0f us, upload gap %.0f us, %llu/%llu messages\n",
			r, rtt[r], mig[r], dl[r], ul[r],
			(unsigned long long)peer.rx, (unsigned long long)srv.rx);
		close_rst(fd);
		close(s);
		close_rst(pfd);
		sm_one(&ga, SOCKMI_CMD_DEL_FLOW, b_flow, &fd_a, 0);
		sm_one(&gb, SOCKMI_CMD_DEL_FLOW, b_flow, &fd_a, 0);
		free(peer.arrival);
		free(srv.arrival);
	}
	printf("{\"item\": \"stall\", \"link_bytes_per_s\": %.0f, "
	       "\"state_bytes\": %zu, ", rate * 1e6, blob.len);
	print_list("rtt_us", rtt, reps);
	printf(", ");
	print_list("migration_us", mig, reps);
	printf(", ");
	print_list("download_gap_us", dl, reps);
	printf(", ");
	print_list("upload_gap_us", ul, reps);
	printf(", ");
	print_list("floor_us", floor_us, reps);
	printf(", \"median_rtt_us\": %.1f, \"median_migration_us\": %.1f, "
	       "\"median_download_gap_us\": %.1f, \"median_upload_gap_us\": %.1f, "
	       "\"median_floor_us\": %.1f, \"median_step_us\": {",
	       median(rtt, reps), median(mig, reps), median(dl, reps),
	       median(ul, reps), median(floor_us, reps));
	for (i = 0; i < 10; i++) {
		for (r = 0; r < reps; r++)
			rtt[r] = steps[r][i + 1] - steps[r][i];
		printf("%s\"%s\": %.1f", i ? ", " : "", step[i],
		       median(rtt, reps));
	}
	printf("}}\n");
	return 0;
}

/* ---- recover --------------------------------------------------------- */

#define PAT_PERIOD (251 * 256)	/* pat(i) repeats with this period */
#define CHUNK (256 << 10)
#define RWIN 100000.0		/* µs: the window of one rate sample */
#define WARM 2000000.0		/* µs of streaming before the move */
#define RECOVER_MAX 10e6	/* µs: give up on recovery after this */
#define OUTQ_MAX (8 << 20)	/* bytes the sender keeps queued, at most */
#define MAXSAMPLE (1 << 20)

struct bulk {
	pthread_mutex_t lock;
	int fd;			/* sender: -1 while the socket moves */
	bool stop, broken;
	uint64_t tx, rx;
	const uint8_t *pattern;	/* PAT_PERIOD + CHUNK bytes of pat() */
	double *t;		/* receiver: time and total of each recv() */
	uint64_t *total;
	size_t n;
};

/* The application on A: the pattern stream, as fast as TCP takes it. */
static void *bulk_send(void *arg)
{
	struct bulk *b = arg;

	while (!b->stop) {
		ssize_t n = -1;
		int q = 0;

		pthread_mutex_lock(&b->lock);
		if (b->fd >= 0 && !ioctl(b->fd, SIOCOUTQ, &q) && q < OUTQ_MAX) {
			n = send(b->fd, b->pattern + b->tx % PAT_PERIOD, CHUNK,
				 MSG_DONTWAIT);
			if (n > 0)
				b->tx += (uint64_t)n;
			else if (errno != EAGAIN)
				b->broken = true;
		}
		pthread_mutex_unlock(&b->lock);
		if (n <= 0)
			usleep(200);
	}
	return NULL;
}

/* The peer: checks every byte against the pattern and logs its arrival. */
static void *bulk_recv(void *arg)
{
	struct bulk *b = arg;
	uint8_t *buf = xmalloc(CHUNK);

	while (!b->stop) {
		ssize_t n = recv(b->fd, buf, CHUNK, 0);
		double t = now_us();

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		pthread_mutex_lock(&b->lock);
		if (n <= 0 || memcmp(buf, b->pattern + b->rx % PAT_PERIOD,
				     (size_t)n)) {
			b->broken = true;
			b->stop = true;
		} else {
			b->rx += (uint64_t)n;
			if (b->n < MAXSAMPLE) {
				b->t[b->n] = t;
				b->total[b->n++] = b->rx;
			}
		}
		pthread_mutex_unlock(&b->lock);
	}
	free(buf);
	return NULL;
}

/* Bytes received by time @t (the last sample at or before it). */
static uint64_t bulk_at(const struct bulk *b, size_t n, double t)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (b->t[mid] <= t)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? b->total[lo - 1] : 0;
}

/* Median rate (bytes/µs) of the RWIN windows in [@from, @to]. */
static double bulk_rate(const struct bulk *b, size_t n, double from, double to)
{
	double v[64];
	int k = 0;

	for (; from + RWIN <= to && k < 64; from += RWIN, k++)
		v[k] = (double)(bulk_at(b, n, from + RWIN) -
				bulk_at(b, n, from)) / RWIN;
	return k ? median(v, k) : 0;
}

/*
 * The first time after @t1 at which the RWIN window ending there carried
 * 90 % of @rate; <0 if none did.
 */
static double bulk_recovered(const struct bulk *b, size_t n, double t1,
			     double rate)
{
	size_t i;

	for (i = 0; i < n; i++) {
		double t = b->t[i];

		if (t < t1 + RWIN)
			continue;
		if ((double)(b->total[i] - bulk_at(b, n, t - RWIN)) >=
		    0.9 * rate * RWIN)
			return t - t1;
	}
	return -1;
}

struct export_to {
	int fd;
	struct in_addr to;
};

static void b_export_to(size_t i, struct msg *m, void *arg)
{
	const struct export_to *e = &((struct export_to *)arg)[i];
	size_t at;

	nla_u32(m, SOCKMI_A_FD, (uint32_t)e->fd);
	at = nla_start(m, SOCKMI_A_TO | NLA_F_NESTED);
	nla_u16(m, SOCKMI_ADDR_A_FAMILY, AF_INET);
	nla_put(m, SOCKMI_ADDR_A_ADDR, &e->to, 4);
	nla_end(m, at);
}

/* iptables-legacy in namespace @ns; CRIU's network lock of the baseline. */
static void netlock(const char *ns, const char *op, const struct tuple *t)
{
	char cmd[512], peer[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &t->raddr, peer, sizeof(peer));
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec %s iptables-legacy -w %s INPUT -p tcp -s %s "
		 "--sport %u --dport %u -j DROP", ns, op, peer, t->rport,
		 t->lport);
	if (system(cmd))
		die("%s failed", cmd);
}

static int cmd_recover(char **argv)
{
	int pns = ns_open(argv[0]), ans = ns_open(argv[1]), home, lfd, method;
	int reps = atoi(argv[4]), r;
	struct in_addr pa;
	uint16_t port = (uint16_t)atoi(argv[3]);
	uint8_t *pattern = xmalloc(PAT_PERIOD + CHUNK);
	double *rec[2], *stall[2], *pre[2], *post[2];
	struct genl ga;

	if (inet_pton(AF_INET, argv[2], &pa) != 1 || reps < 1)
		die("recover: bad arguments");
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	fill_pattern(pattern, 0, PAT_PERIOD + CHUNK);
	genl_open(&ga, ans, home);
	lfd = listener(pns, home, pa, port, 16);
	for (method = 0; method < 2; method++) {
		rec[method] = xmalloc(sizeof(double) * (size_t)reps);
		stall[method] = xmalloc(sizeof(double) * (size_t)reps);
		pre[method] = xmalloc(sizeof(double) * (size_t)reps);
		post[method] = xmalloc(sizeof(double) * (size_t)reps);
		for (r = 0; r < reps; r++) {
			struct bulk snd = { .pattern = pattern },
				    rcv = { .pattern = pattern };
			int s, fd;
			struct tuple t;
			pthread_t ts, tr;
			double tm0, tm1, tend;
			size_t n;

			/* A's end connects to the peer's listener. */
			rcv.fd = connect_pair(ans, home, lfd, &s);
			t = tuple_of(s);
			snd.fd = s;
			pre[method][r] = 0;
			rcv.t = xmalloc(sizeof(double) * MAXSAMPLE);
			rcv.total = xmalloc(sizeof(uint64_t) * MAXSAMPLE);
			{
				struct timeval tv = { 0, 100000 };

				if (setsockopt(rcv.fd, SOL_SOCKET, SO_RCVTIMEO,
					       &tv, sizeof(tv)))
					die("SO_RCVTIMEO: %s", strerror(errno));
			}
			pthread_mutex_init(&snd.lock, NULL);
			pthread_mutex_init(&rcv.lock, NULL);
			pthread_create(&ts, NULL, bulk_send, &snd);
			pthread_create(&tr, NULL, bulk_recv, &rcv);
			usleep((useconds_t)WARM);

			/* The application on A stops; the socket moves. */
			pthread_mutex_lock(&snd.lock);
			snd.fd = -1;
			pthread_mutex_unlock(&snd.lock);
			tm0 = now_us();
			if (method == 0) {
				struct export_to e = { s, t.laddr };

				sm_one(&ga, SOCKMI_CMD_EXPORT, b_export_to, &e,
				       SOCKMI_A_ID);
				fd = (int)sm_one(&ga, SOCKMI_CMD_IMPORT,
						 b_import, &t, SOCKMI_A_FD);
			} else {
				struct repair rp;

				netlock(argv[1], "-I", &t);
				ns_enter(ans);
				fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC,
					    0);
				ns_enter(home);
				if (fd < 0)
					die("socket: %s", strerror(errno));
				repair_save(s, &rp);
				close(s);
				s = -1;
				repair_restore(fd, &rp, false);
				netlock(argv[1], "-D", &t);
			}
			/* The application carries on with the moved socket. */
			pthread_mutex_lock(&snd.lock);
			snd.fd = fd;
			pthread_mutex_unlock(&snd.lock);
			tm1 = now_us();

			for (;;) {
				usleep(100000);
				pthread_mutex_lock(&rcv.lock);
				n = rcv.n;
				pthread_mutex_unlock(&rcv.lock);
				if (rcv.broken || snd.broken)
					break;
				if (!pre[method][r])
					pre[method][r] = bulk_rate(&rcv, n,
								   tm0 - 1e6,
								   tm0);
				/* A second after at least: its rate is reported. */
				if ((now_us() - tm1 > 1.1e6 &&
				     bulk_recovered(&rcv, n, tm1,
						    pre[method][r]) >= 0) ||
				    now_us() - tm1 > RECOVER_MAX)
					break;
			}
			/* Everything sent arrives, once and in order. */
			pthread_mutex_lock(&snd.lock);
			snd.stop = true;
			pthread_mutex_unlock(&snd.lock);
			pthread_join(ts, NULL);
			tend = now_us();
			while (!rcv.broken && now_us() - tend < 30e6) {
				pthread_mutex_lock(&rcv.lock);
				n = rcv.rx;
				pthread_mutex_unlock(&rcv.lock);
				if (n == snd.tx)
					break;
				usleep(10000);
			}
			rcv.stop = true;
			pthread_join(tr, NULL);
			if (rcv.broken || snd.broken || rcv.rx != snd.tx)
				die("recover (%s): the stream broke: sent %llu, "
				    "received %llu%s", method ? "repair" : "sockmi",
				    (unsigned long long)snd.tx,
				    (unsigned long long)rcv.rx,
				    rcv.broken ? ", a byte was wrong or the "
				    "connection ended" : "");
			n = rcv.n;
			if (n == MAXSAMPLE)
				die("recover: more than %d reads", MAXSAMPLE);
			rec[method][r] = bulk_recovered(&rcv, n, tm1,
							pre[method][r]);
			stall[method][r] = tm1 - tm0;
			post[method][r] = bulk_rate(&rcv, n, tm1, tm1 + 1e6);
			fprintf(stderr, "recover %s rep %d: %.1f MB/s before, "
				"move %.0f us, %.1f MB/s in the first second "
				"after, 90 %% again after %.0f us, %llu bytes "
				"verified\n", method ? "repair" : "sockmi", r,
				pre[method][r], stall[method][r],
				post[method][r], rec[method][r],
				(unsigned long long)rcv.rx);
			if (rec[method][r] < 0)
				rec[method][r] = RECOVER_MAX;
			close_rst(fd);
			if (s >= 0)
				close(s);
			close_rst(rcv.fd);
			free(rcv.t);
			free(rcv.total);
		}
		printf("{\"item\": \"recover\", \"method\": \"%s\", "
		       "\"window_us\": %.0f, \"limit_us\": %.0f, ",
		       method ? "repair" : "sockmi", RWIN, RECOVER_MAX);
		print_list("recover_us", rec[method], reps);
		printf(", ");
		print_list("move_us", stall[method], reps);
		printf(", ");
		print_list("rate_before", pre[method], reps);
		printf(", ");
		print_list("rate_first_s", post[method], reps);
		printf(", \"median_recover_us\": %.1f, \"median_move_us\": %.1f, "
		       "\"median_rate_before\": %.2f}\n",
		       median(rec[method], reps), median(stall[method], reps),
		       median(pre[method], reps));
		fflush(stdout);
	}
	return 0;
}

/* ---- batch ----------------------------------------------------------- */

/* Bytes of kernel memory in slab caches, from /proc/slabinfo. */
static long long slab_bytes(void)
{
	FILE *f = fopen("/proc/slabinfo", "r");
	char line[512], name[128];
	long long sum = 0, active, total, size;

	if (!f)
		die("/proc/slabinfo: %s", strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %lld %lld %lld", name, &active, &total,
			   &size) == 4)
			sum += active * size;
	fclose(f);
	return sum;
}

static int cmd_batch(char **argv)
{
	int pns = ns_open(argv[0]), ans = ns_open(argv[1]),
	    bns = ns_open(argv[2]), home, lfd, *s, *peer, *fds, method;
	struct in_addr a, via;
	uint16_t port = (uint16_t)atoi(argv[4]);
	size_t n = strtoul(argv[5], NULL, 10), i;
	struct rlimit rl = { 1 << 20, 1 << 20 };
	struct genl ga, gb;
	struct tuple *t;
	uint64_t *ids, *sids, *fdv;
	struct blob *blobs;

	if (inet_pton(AF_INET, argv[3], &a) != 1 || !n)
		die("batch: bad arguments");
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("RLIMIT_NOFILE: %s", strerror(errno));
	home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	genl_open(&ga, ans, home);
	genl_open(&gb, bns, home);
	s = xmalloc(sizeof(int) * n);
	peer = xmalloc(sizeof(int) * n);
	fds = xmalloc(sizeof(int) * n);
	t = xmalloc(sizeof(*t) * n);
	ids = xmalloc(sizeof(*ids) * n);
	sids = xmalloc(sizeof(*sids) * n);
	fdv = xmalloc(sizeof(*fdv) * n);
	blobs = calloc(n, sizeof(*blobs));
	if (!blobs)
		die("out of memory");
	lfd = listener(ans, home, a, port, 4096);
	/* ANSWER_AS and REDIRECT name B's address: the peer's route to it. */
	{
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int x;

		ns_enter(bns);
		x = socket(AF_INET, SOCK_DGRAM, 0);
		ns_enter(home);
		sa = (struct sockaddr_in){ .sin_family = AF_INET, .sin_addr = a,
					   .sin_port = htons(9) };
		if (x < 0 || connect(x, (struct sockaddr *)&sa, sizeof(sa)) ||
		    getsockname(x, (struct sockaddr *)&sa, &sl))
			die("B's address: %s", strerror(errno));
		via = sa.sin_addr;
		close(x);
	}
	for (method = 0; method < 2; method++) {
		double d[8], p, total = 0;
		long long m0, m1;
		static const char *const names[] = { "export", "get_export", "stage",
					"answer_as", "commit_redirect", "activate",
					"import" };
		int k = 0;

		for (i = 0; i < n; i++) {
			s[i] = connect_pair(pns, home, lfd, &peer[i]);
			t[i] = tuple_of(s[i]);
		}
		fprintf(stderr, "batch: %zu connections up\n", n);
		/* Phases timed one by one: slabinfo reads are not counted. */
		if (method == 0) {
			struct flows fb = { t, NULL, SOCKMI_FLOW_ANSWER_AS, &via };
			struct flows fa = { t, ids, SOCKMI_FLOW_REDIRECT, &via };

			p = now_us();
			if (genl_many(&ga, SOCKMI_CMD_EXPORT, n, b_export, s,
				      SOCKMI_A_ID, ids))
				die("batch EXPORT failed");
			d[k++] = now_us() - p;
			p = now_us();
			for (i = 0; i < n; i++)
				sm_fetch(&ga, ids[i], &blobs[i]);
			d[k++] = now_us() - p;
			m0 = slab_bytes();
			p = now_us();
			if (genl_many(&gb, SOCKMI_CMD_STAGE, n, b_stage, blobs,
				      SOCKMI_A_ID, sids))
				die("batch STAGE failed");
			d[k++] = now_us() - p;
			m1 = slab_bytes();
			p = now_us();
			if (genl_many(&gb, SOCKMI_CMD_NEW_FLOW, n, b_flow, &fb,
				      0, NULL))
				die("batch ANSWER_AS failed");
			d[k++] = now_us() - p;
			p = now_us();
			if (genl_many(&ga, SOCKMI_CMD_COMMIT, n, b_flow, &fa, 0,
				      NULL))
				die("batch COMMIT failed");
			d[k++] = now_us() - p;
			p = now_us();
			if (genl_many(&gb, SOCKMI_CMD_ACTIVATE, n, b_id, sids, 0,
				      NULL))
				die("batch ACTIVATE failed");
			d[k++] = now_us() - p;
			p = now_us();
			if (genl_many(&gb, SOCKMI_CMD_IMPORT, n, b_import, t,
				      SOCKMI_A_FD, fdv))
				die("batch IMPORT failed");
			d[k++] = now_us() - p;
			for (i = 0; i < n; i++)
				fds[i] = (int)fdv[i];
		} else {
			struct repair *rp = xmalloc(sizeof(*rp) * n);

			m0 = slab_bytes();
			for (i = 0; i < n; i++) {
				ns_enter(bns);
				fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
				ns_enter(home);
				if (fds[i] < 0)
					die("socket: %s", strerror(errno));
			}
			p = now_us();
			for (i = 0; i < n; i++)
				repair_save(s[i], &rp[i]);
			d[k++] = now_us() - p;
			p = now_us();
			for (i = 0; i < n; i++)
				repair_restore(fds[i], &rp[i], true);
			d[k++] = now_us() - p;
			/* The originals still exist, as SockMi's held ones do. */
			m1 = slab_bytes();
			p = now_us();
			for (i = 0; i < n; i++) {
				close(s[i]);	/* silent: in repair mode */
				s[i] = -1;
			}
			d[0] += now_us() - p;
			free(rp);
		}
		for (i = 0; i < (size_t)k; i++)
			total += d[i];
		for (i = 0; i < n; i++)
			verify(fds[i], &t[i], 0, method ? "repair" : "sockmi");
		printf("{\"item\": \"batch\", \"method\": \"%s\", \"n\": %zu, "
		       "\"total_us\": %.0f, \"per_s\": %.0f, "
		       "\"slab_bytes_per_socket\": %.0f, \"phases_us\": {",
		       method ? "repair" : "sockmi", n, total, n / total * 1e6,
		       (double)(m1 - m0) / (double)n);
		for (i = 0; i < (size_t)k; i++)
			printf("%s\"%s\": %.0f", i ? ", " : "",
			       method ? (i ? "restore" : "checkpoint") : names[i],
			       d[i]);
		printf("}}\n");
		fflush(stdout);
		for (i = 0; i < n; i++) {
			struct flows f = { &t[i], NULL, -1, NULL };

			close_rst(fds[i]);
			if (s[i] >= 0)
				close(s[i]);
			close_rst(peer[i]);
			if (method == 0) {
				genl_many(&ga, SOCKMI_CMD_DEL_FLOW, 1, b_flow, &f, 0,
					  NULL);
				genl_many(&gb, SOCKMI_CMD_DEL_FLOW, 1, b_flow, &f, 0,
					  NULL);
			}
		}
	}
	return 0;
}

/* ---- fill ------------------------------------------------------------ */

struct fill {
	size_t first;
	int action;
	struct in_addr laddr, raddr, via;
	bool has_via;
	struct tuple t;
};

static void b_fill(size_t i, struct msg *m, void *arg)
{
	struct fill *f = arg;

	i += f->first;
	f->t.laddr = f->laddr;
	f->t.raddr = f->raddr;
	f->t.lport = (uint16_t)(81 + i / 64000);
	f->t.rport = (uint16_t)(1024 + i % 64000);
	put_flow(m, &f->t, f->action, f->has_via ? &f->via : NULL);
}

/* fill FROM TO ACTION LOCAL REMOTE [VIA]: tests/bench/fill_flows.py in C. */
static int cmd_fill(int argc, char **argv)
{
	struct fill f = { .first = strtoul(argv[0], NULL, 10) };
	size_t to = strtoul(argv[1], NULL, 10);
	struct genl g;
	int ret;

	if (!strcmp(argv[2], "redirect"))
		f.action = SOCKMI_FLOW_REDIRECT;
	else if (!strcmp(argv[2], "answer_as"))
		f.action = SOCKMI_FLOW_ANSWER_AS;
	else
		die("fill: action redirect or answer_as");
	if (inet_pton(AF_INET, argv[3], &f.laddr) != 1 ||
	    inet_pton(AF_INET, argv[4], &f.raddr) != 1 || to < f.first ||
	    (argc > 5 && inet_pton(AF_INET, argv[5], &f.via) != 1))
		die("fill: bad arguments");
	f.has_via = argc > 5;
	genl_open(&g, -1, -1);
	ret = genl_many(&g, SOCKMI_CMD_NEW_FLOW, to - f.first, b_fill, &f, 0,
			NULL);
	printf("%zu flows entered%s\n", to - f.first,
	       ret ? ", but some were refused" : "");
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 9 && !strcmp(argv[1], "ckpt"))
		return cmd_ckpt(argv + 2);
	if (argc == 9 && !strcmp(argv[1], "stall"))
		return cmd_stall(argv + 2);
	if (argc == 7 && !strcmp(argv[1], "recover"))
		return cmd_recover(argv + 2);
	if (argc == 8 && !strcmp(argv[1], "batch"))
		return cmd_batch(argv + 2);
	if ((argc == 7 || argc == 8) && !strcmp(argv[1], "fill"))
		return cmd_fill(argc - 2, argv + 2);
	fprintf(stderr,
		"usage: sockmi-bench ckpt PEER_NS A_NS B_NS A_ADDR PORT QUEUED REPS\n"
		"       sockmi-bench stall PEER_NS A_NS B_NS A_ADDR B_ADDR PORT REPS\n"
		"       sockmi-bench recover PEER_NS A_NS PEER_ADDR PORT REPS\n"
		"       sockmi-bench batch PEER_NS A_NS B_NS A_ADDR PORT N\n"
		"       sockmi-bench fill FROM TO ACTION LOCAL REMOTE [VIA]\n");
	return 2;
}
