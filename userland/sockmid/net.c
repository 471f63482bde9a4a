// SPDX-License-Identifier: GPL-2.0
/*
 * The daemons' sockets: one UDP socket for the negotiation (multicast
 * group, or unicast to the configured peers, and the answers), one TCP
 * listener for the state transfers, both on the configured port.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"
#include "log.h"

__attribute__((format(printf, 3, 4)))
static int sockmid_net_fail(char *err, size_t errlen, const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return saved ? -saved : -EINVAL;
}

/* A socket address from an address and a port. */
static socklen_t sockmid_sa_make(struct sockaddr_storage *ss,
				 const struct sockmi_addr *a, uint16_t port,
				 int ifindex)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = a->in;
		sin->sin_port = htons(port);
		return sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = a->in6;
		sin6->sin6_port = htons(port);
		if (IN6_IS_ADDR_MC_LINKLOCAL(&a->in6) ||
		    IN6_IS_ADDR_LINKLOCAL(&a->in6))
			sin6->sin6_scope_id = (uint32_t)ifindex;
		return sizeof(*sin6);
	}
}

void sockmid_sa_addr(const struct sockaddr *sa, struct sockmi_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		sockmi_addr_set(a, AF_INET, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		sockmi_addr_set(a, AF_INET6, &sin6->sin6_addr, 16);
		a->port = ntohs(sin6->sin6_port);
	} else {
		return;
	}
	a->has_port = true;
}

const char *sockmid_sa_format(const struct sockaddr *sa, char *buf, size_t len)
{
	struct sockmi_addr a;

	sockmid_sa_addr(sa, &a);
	return sockmi_addr_format(&a, true, buf, len);
}

const char *sockmid_tuple_format(const struct sockmi_tuple *t, char *buf,
				 size_t len)
{
	char l[SOCKMI_ADDRSTRLEN], r[SOCKMI_ADDRSTRLEN];

	sockmi_addr_format(&t->local, true, l, sizeof(l));
	if (t->has_remote)
		sockmi_addr_format(&t->remote, true, r, sizeof(r));
	else
		snprintf(r, sizeof(r), "*");
	snprintf(buf, len, "%s-%s", l, r);
	return buf;
}

bool sockmid_tuple_equal(const struct sockmi_tuple *a,
			 const struct sockmi_tuple *b)
{
	return a->family == b->family && a->has_remote == b->has_remote &&
	       sockmid_addr_equal(&a->local, &b->local) &&
	       a->local.port == b->local.port &&
	       (!a->has_remote ||
		(sockmid_addr_equal(&a->remote, &b->remote) &&
		 a->remote.port == b->remote.port));
}

bool sockmid_addr_is_local(const struct sockmi_addr *a)
{
	struct ifaddrs *ifs, *ifa;
	bool found = false;

	if (getifaddrs(&ifs))
		return false;
	for (ifa = ifs; ifa && !found; ifa = ifa->ifa_next) {
		struct sockmi_addr cur;

		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != a->family)
			continue;
		sockmid_sa_addr(ifa->ifa_addr, &cur);
		found = sockmid_addr_equal(&cur, a);
	}
	freeifaddrs(ifs);
	return found;
}

static int sockmid_setopt(int fd, int level, int opt, int val)
{
	return setsockopt(fd, level, opt, &val, sizeof(val));
}

static int sockmid_udp_open(const struct sockmid_config *cfg,
			    struct sockmid_sockets *net, char *err,
			    size_t errlen)
{
	struct sockmi_addr any = { .family = (sa_family_t)net->family };
	bool multicast = !cfg->npeers;
	struct sockaddr_storage ss;
	char g[SOCKMI_ADDRSTRLEN];
	socklen_t sl;
	int fd;

	fd = socket(net->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sockmid_net_fail(err, errlen, "cannot open a UDP socket: %s",
					strerror(errno));
	net->udp = fd;
	if (net->family == AF_INET6 &&
	    sockmid_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1))
		return sockmid_net_fail(err, errlen, "IPV6_V6ONLY: %s",
					strerror(errno));
	sl = sockmid_sa_make(&ss, &any, cfg->port, 0);
	if (bind(fd, (struct sockaddr *)&ss, sl))
		return sockmid_net_fail(err, errlen,
					"cannot bind UDP port %u: %s%s", cfg->port,
					strerror(errno),
					errno == EADDRINUSE ?
					" (is another sockmid running in this network namespace?)" : "");
	if (!multicast)
		return 0;

	sockmi_addr_format(&cfg->group, false, g, sizeof(g));
	if (net->family == AF_INET) {
		struct ip_mreqn mr = { .imr_multiaddr = cfg->group.in,
				       .imr_ifindex = net->ifindex };

		if (setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &mr, sizeof(mr)))
			return sockmid_net_fail(err, errlen,
						"cannot join multicast group %s: %s%s",
						g, strerror(errno),
						errno == ENODEV ?
						" (no route to the group: give --iface)" : "");
		if ((net->ifindex &&
		     setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &mr, sizeof(mr))) ||
		    sockmid_setopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 0) ||
		    sockmid_setopt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1))
			return sockmid_net_fail(err, errlen,
						"cannot set up multicast: %s",
						strerror(errno));
	} else {
		struct ipv6_mreq mr = { .ipv6mr_multiaddr = cfg->group.in6,
					.ipv6mr_interface = (unsigned int)net->ifindex };

		if (setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr, sizeof(mr)))
			return sockmid_net_fail(err, errlen,
						"cannot join multicast group %s: %s%s",
						g, strerror(errno),
						errno == ENODEV ?
						" (no route to the group: give --iface)" : "");
		if ((net->ifindex &&
		     sockmid_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF,
				    net->ifindex)) ||
		    sockmid_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) ||
		    sockmid_setopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1))
			return sockmid_net_fail(err, errlen,
						"cannot set up multicast: %s",
						strerror(errno));
	}
	return 0;
}

static int sockmid_tcp_open(const struct sockmid_config *cfg,
			    struct sockmid_sockets *net, char *err,
			    size_t errlen)
{
	struct sockmi_addr any = { .family = (sa_family_t)net->family };
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd;

	fd = socket(net->family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sockmid_net_fail(err, errlen, "cannot open a TCP socket: %s",
					strerror(errno));
	net->tcp = fd;
	sl = sockmid_sa_make(&ss, &any, cfg->port, 0);
	if (sockmid_setopt(fd, SOL_SOCKET, SO_REUSEADDR, 1) ||
	    (net->family == AF_INET6 &&
	     sockmid_setopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)))
		return sockmid_net_fail(err, errlen, "TCP socket options: %s",
					strerror(errno));
	if (bind(fd, (struct sockaddr *)&ss, sl))
		return sockmid_net_fail(err, errlen,
					"cannot bind TCP port %u: %s", cfg->port,
					strerror(errno));
	if (listen(fd, 16))
		return sockmid_net_fail(err, errlen, "cannot listen: %s",
					strerror(errno));
	return 0;
}

int sockmid_net_open(const struct sockmid_config *cfg,
		     struct sockmid_sockets *net, char *err, size_t errlen)
{
	int ret;

	net->udp = net->tcp = -1;
	net->family = cfg->npeers ? cfg->peers[0].family : cfg->group.family;
	net->ifindex = 0;
	if (cfg->iface[0]) {
		net->ifindex = (int)if_nametoindex(cfg->iface);
		if (!net->ifindex)
			return sockmid_net_fail(err, errlen, "interface %s: %s",
						cfg->iface, strerror(errno));
	}
	ret = sockmid_udp_open(cfg, net, err, errlen);
	if (!ret)
		ret = sockmid_tcp_open(cfg, net, err, errlen);
	if (ret)
		sockmid_net_close(net);
	return ret;
}

void sockmid_net_close(struct sockmid_sockets *net)
{
	if (net->udp >= 0)
		close(net->udp);
	if (net->tcp >= 0)
		close(net->tcp);
	net->udp = net->tcp = -1;
}

void sockmid_send_dgram(struct sockmid *d, const struct sockaddr *to,
			socklen_t tolen, uint64_t xid,
			const struct sockmid_msg *m)
{
	uint8_t body[SOCKMID_DGRAM_BODY_MAX], out[SOCKMID_DGRAM_MAX];
	char buf[SOCKMI_ADDRSTRLEN];
	struct sockmid_hdr h;
	int blen, n;

	blen = sockmid_msg_encode(m, body, sizeof(body));
	if (blen < 0) {
		log_err("cannot encode a %s message: %s",
			sockmid_msg_name(m->type), strerror(-blen));
		return;
	}
	sockmid_hdr_init(&h, m->type, d->self, xid, 0);
	n = sockmid_seal(d->key, &h, body, (size_t)blen, out, sizeof(out));
	if (n < 0) {
		log_err("cannot seal a %s message: %s",
			sockmid_msg_name(m->type), strerror(-n));
		return;
	}
	if (sendto(d->net.udp, out, (size_t)n, 0, to, tolen) < 0)
		log_warn("cannot send %s for export %llu to %s: %s",
			 sockmid_msg_name(m->type), (unsigned long long)xid,
			 sockmid_sa_format(to, buf, sizeof(buf)),
			 strerror(errno));
	else
		log_debug("sent %s for export %llu to %s",
			  sockmid_msg_name(m->type), (unsigned long long)xid,
			  sockmid_sa_format(to, buf, sizeof(buf)));
}

void sockmid_send_group(struct sockmid *d, uint64_t xid,
			const struct sockmid_msg *m)
{
	struct sockaddr_storage ss;
	unsigned int i;
	socklen_t sl;

	if (!d->cfg.npeers) {
		sl = sockmid_sa_make(&ss, &d->cfg.group, d->cfg.port,
				     d->net.ifindex);
		sockmid_send_dgram(d, (struct sockaddr *)&ss, sl, xid, m);
		return;
	}
	for (i = 0; i < d->cfg.npeers; i++) {
		const struct sockmi_addr *p = &d->cfg.peers[i];

		sl = sockmid_sa_make(&ss, p, p->has_port ? p->port : d->cfg.port,
				     d->net.ifindex);
		sockmid_send_dgram(d, (struct sockaddr *)&ss, sl, xid, m);
	}
}

void sockmid_udp_input(struct sockmid *d)
{
	uint8_t in[SOCKMID_DGRAM_MAX + 1], body[SOCKMID_DGRAM_MAX];
	char from_s[SOCKMI_ADDRSTRLEN];
	struct sockaddr_storage from;
	enum sockmid_fresh fresh;
	struct sockmid_hdr h;
	struct sockmid_msg m;
	socklen_t fromlen;
	size_t blen;
	ssize_t n;
	int ret;

	for (;;) {
		fromlen = sizeof(from);
		n = recvfrom(d->net.udp, in, sizeof(in), 0,
			     (struct sockaddr *)&from, &fromlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_warn("cannot receive on the negotiation socket: %s",
					 strerror(errno));
			return;
		}
		sockmid_sa_format((struct sockaddr *)&from, from_s,
				  sizeof(from_s));
		if ((size_t)n > SOCKMID_DGRAM_MAX) {
			sockmid_log_drop("dropped a datagram from %s: too long",
					 from_s);
			continue;
		}
		ret = sockmid_open(d->key, in, (size_t)n, &h, body, &blen);
		if (ret == -EACCES) {
			sockmid_log_drop("dropped a message from %s: authentication failed (wrong key, forged or tampered)",
					 from_s);
			continue;
		}
		if (ret == -EPROTONOSUPPORT) {
			sockmid_log_drop("dropped a message from %s: protocol version %u, this sockmid speaks %u",
					 from_s, in[4], SOCKMID_WIRE_VERSION);
			continue;
		}
		if (ret) {
			sockmid_log_drop("dropped a datagram from %s: not a sockmid message",
					 from_s);
			continue;
		}
		if (h.sender == d->self)
			continue;	/* our own, looped back */
		fresh = sockmid_replay_check(&d->replay, &h,
					     sockmid_realtime_ms());
		if (fresh != SOCKMID_FRESH) {
			sockmid_log_drop("dropped a %s message from %s: %s",
					 sockmid_msg_name(h.type) ?
					 sockmid_msg_name(h.type) : "unknown",
					 from_s, sockmid_fresh_name(fresh));
			continue;
		}
		if (!sockmid_msg_is_dgram(h.type) ||
		    sockmid_msg_decode(h.type, body, blen, &m)) {
			sockmid_log_drop("dropped a message from %s: malformed, or of type %u",
					 from_s, h.type);
			continue;
		}
		log_debug("received %s for export %llu from %s",
			  sockmid_msg_name(h.type), (unsigned long long)h.xid,
			  from_s);
		switch (h.type) {
		case SOCKMID_MSG_REQUEST:
			sockmid_import_request(d, &h, &m, (struct sockaddr *)&from,
					       fromlen);
			break;
		case SOCKMID_MSG_OFFER:
			sockmid_export_offer(d, &h, &m, (struct sockaddr *)&from,
					     fromlen);
			break;
		case SOCKMID_MSG_CONFIRM:
			sockmid_import_confirm(d, &h, &m);
			break;
		}
	}
}
