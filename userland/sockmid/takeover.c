// SPDX-License-Identifier: GPL-2.0
/*
 * Moving a service address, see takeover.h.
 */

#include <errno.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/rtnetlink.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "config.h"
#include "takeover.h"

static uint8_t sockmid_mask_len(const struct sockaddr *mask)
{
	const uint8_t *p;
	size_t n, i;
	uint8_t bits = 0;

	if (!mask)
		return 0;
	if (mask->sa_family == AF_INET) {
		p = (const uint8_t *)&((const struct sockaddr_in *)mask)->sin_addr;
		n = 4;
	} else {
		p = (const uint8_t *)&((const struct sockaddr_in6 *)mask)->sin6_addr;
		n = 16;
	}
	for (i = 0; i < n; i++)
		bits += (uint8_t)__builtin_popcount(p[i]);
	return bits;
}

int sockmid_addr_lookup(const struct sockmi_addr *addr, int *ifindex,
			uint8_t *plen)
{
	struct sockmi_addr cur, want = sockmid_addr_unmapped(addr);
	const struct sockmi_addr *a = &want;
	struct ifaddrs *ifs, *ifa;
	int ret = -ENOENT;

	if (getifaddrs(&ifs))
		return -errno;
	for (ifa = ifs; ifa; ifa = ifa->ifa_next) {
		const struct sockaddr *sa = ifa->ifa_addr;

		if (!sa || sa->sa_family != a->family)
			continue;
		if (sa->sa_family == AF_INET)
			sockmi_addr_set(&cur, AF_INET,
					&((const struct sockaddr_in *)sa)->sin_addr, 4);
		else
			sockmi_addr_set(&cur, AF_INET6,
					&((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		if (!sockmid_addr_equal(&cur, a))
			continue;
		*ifindex = (int)if_nametoindex(ifa->ifa_name);
		*plen = sockmid_mask_len(ifa->ifa_netmask);
		ret = *ifindex > 0 ? 0 : -ENODEV;
		break;
	}
	freeifaddrs(ifs);
	return ret;
}

int sockmid_addr_change(bool add, int ifindex,
			const struct sockmi_addr *addr, uint8_t plen, char *err,
			size_t errlen)
{
	struct sockmi_addr want = sockmid_addr_unmapped(addr);
	const struct sockmi_addr *a = &want;
	struct ifaddrmsg ifa = {
		.ifa_family = (uint8_t)a->family,
		.ifa_prefixlen = plen,
		.ifa_flags = a->family == AF_INET6 ? IFA_F_NODAD : 0,
		.ifa_scope = RT_SCOPE_UNIVERSE,
		.ifa_index = (uint32_t)ifindex,
	};
	int alen = (int)sockmi_addr_len(a->family);
	const void *raw = a->family == AF_INET ? (const void *)&a->in :
						 (const void *)&a->in6;
	struct nl_sock *sk = nl_socket_alloc();
	struct nl_msg *msg = NULL;
	int ret;

	if (!sk) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	ret = nl_connect(sk, NETLINK_ROUTE);
	if (ret < 0) {
		snprintf(err, errlen, "cannot open a route netlink socket: %s",
			 nl_geterror(ret));
		ret = -EIO;
		goto out;
	}
	msg = nlmsg_alloc_simple(add ? RTM_NEWADDR : RTM_DELADDR,
				 NLM_F_REQUEST | NLM_F_ACK |
				 (add ? NLM_F_CREATE | NLM_F_EXCL : 0));
	if (!msg || nlmsg_append(msg, &ifa, sizeof(ifa), NLMSG_ALIGNTO) ||
	    nla_put(msg, IFA_LOCAL, alen, raw) ||
	    nla_put(msg, IFA_ADDRESS, alen, raw)) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	ret = nl_send_auto(sk, msg);
	if (ret >= 0)
		ret = nl_wait_for_ack(sk);
	if (ret == -NLE_EXIST && add)
		ret = 0;
	if (ret < 0) {
		snprintf(err, errlen, "%s", nl_geterror(ret));
		ret = -EIO;
	}
out:
	nlmsg_free(msg);
	nl_socket_free(sk);
	return ret;
}

int sockmid_route_source(const struct sockmi_addr *addr,
			 struct sockmi_addr *src)
{
	struct sockmi_addr want = sockmid_addr_unmapped(addr);
	const struct sockmi_addr *dst = &want;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	int fd, ret;

	if (dst->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_addr = dst->in;
		sin->sin_port = htons(9);
		sl = sizeof(*sin);
	} else {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = dst->in6;
		sin6->sin6_port = htons(9);
		sl = sizeof(*sin6);
	}
	/* Connecting a datagram socket picks the route and its source. */
	fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&ss, sl) ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		ret = -errno;
		close(fd);
		return ret;
	}
	close(fd);
	memset(src, 0, sizeof(*src));
	if (dst->family == AF_INET)
		sockmi_addr_set(src, AF_INET,
				&((struct sockaddr_in *)&ss)->sin_addr, 4);
	else
		sockmi_addr_set(src, AF_INET6,
				&((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	return 0;
}

int sockmid_route_ifindex(const struct sockmi_addr *addr)
{
	struct sockmi_addr src;
	uint8_t plen;
	int ret, ifindex;

	ret = sockmid_route_source(addr, &src);
	if (!ret)
		ret = sockmid_addr_lookup(&src, &ifindex, &plen);
	return ret ? ret : ifindex;
}

static int sockmid_hwaddr(int ifindex, uint8_t mac[ETH_ALEN], char *err,
			  size_t errlen)
{
	struct ifreq ifr = { 0 };
	int fd, ret = 0;

	if (!if_indextoname((unsigned int)ifindex, ifr.ifr_name)) {
		snprintf(err, errlen, "interface %d: %s", ifindex,
			 strerror(errno));
		return -errno;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr)) {
		ret = -errno;
		snprintf(err, errlen, "%s: cannot read its hardware address: %s",
			 ifr.ifr_name, strerror(errno));
	} else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
		ret = -EOPNOTSUPP;
		snprintf(err, errlen, "%s: not an Ethernet interface, no announcement",
			 ifr.ifr_name);
	} else {
		memcpy(mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* An ARP packet for Ethernet and IPv4, after the arphdr. */
struct sockmid_arp {
	struct arphdr h;
	uint8_t sha[ETH_ALEN];
	uint8_t sip[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tip[4];
} __attribute__((packed));

/* A gratuitous ARP request, then a gratuitous reply: both are honoured. */
static int sockmid_garp(int ifindex, const struct in_addr *ip,
			const uint8_t mac[ETH_ALEN], char *err, size_t errlen)
{
	struct sockaddr_ll ll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_P_ARP),
		.sll_ifindex = ifindex,
		.sll_halen = ETH_ALEN,
		.sll_addr = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	struct sockmid_arp arp = {
		.h = {
			.ar_hrd = htons(ARPHRD_ETHER),
			.ar_pro = htons(ETH_P_IP),
			.ar_hln = ETH_ALEN,
			.ar_pln = 4,
		},
	};
	unsigned short ops[] = { ARPOP_REQUEST, ARPOP_REPLY };
	int fd, ret = 0;
	size_t i;

	fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, htons(ETH_P_ARP));
	if (fd < 0) {
		snprintf(err, errlen, "cannot open a packet socket: %s",
			 strerror(errno));
		return -errno;
	}
	memcpy(arp.sha, mac, ETH_ALEN);
	memcpy(arp.sip, ip, 4);
	memcpy(arp.tip, ip, 4);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		arp.h.ar_op = htons(ops[i]);
		memset(arp.tha, ops[i] == ARPOP_REPLY ? 0xff : 0, ETH_ALEN);
		if (sendto(fd, &arp, sizeof(arp), 0, (struct sockaddr *)&ll,
			   sizeof(ll)) < 0) {
			ret = -errno;
			snprintf(err, errlen, "cannot send a gratuitous ARP: %s",
				 strerror(errno));
			break;
		}
	}
	close(fd);
	return ret;
}

/* An unsolicited neighbour advertisement to all nodes, override set. */
static int sockmid_unsolicited_na(int ifindex, const struct in6_addr *ip,
				  const uint8_t mac[ETH_ALEN], char *err,
				  size_t errlen)
{
	struct {
		struct nd_neighbor_advert na;
		struct nd_opt_hdr opt;
		uint8_t mac[ETH_ALEN];
	} __attribute__((packed)) pkt = { 0 };
	struct sockaddr_in6 src = { .sin6_family = AF_INET6, .sin6_addr = *ip };
	struct sockaddr_in6 dst = { .sin6_family = AF_INET6,
				    .sin6_scope_id = (uint32_t)ifindex };
	int fd, hops = 255, ret = 0;

	inet_pton(AF_INET6, "ff02::1", &dst.sin6_addr);
	pkt.na.nd_na_type = ND_NEIGHBOR_ADVERT;
	pkt.na.nd_na_flags_reserved = ND_NA_FLAG_OVERRIDE;
	pkt.na.nd_na_target = *ip;
	pkt.opt.nd_opt_type = ND_OPT_TARGET_LINKADDR;
	pkt.opt.nd_opt_len = 1;	/* units of 8 bytes */
	memcpy(pkt.mac, mac, ETH_ALEN);

	fd = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMPV6);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open an ICMPv6 socket: %s",
			 strerror(errno));
		return -errno;
	}
	/* The kernel computes the ICMPv6 checksum of raw ICMPv6 sockets. */
	if (setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, &hops,
		       sizeof(hops)) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &ifindex,
		       sizeof(ifindex)) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
	    sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&dst,
		   sizeof(dst)) < 0) {
		ret = -errno;
		snprintf(err, errlen,
			 "cannot send an unsolicited neighbour advertisement: %s",
			 strerror(errno));
	}
	close(fd);
	return ret;
}

int sockmid_announce(int ifindex, const struct sockmi_addr *addr, char *err,
		     size_t errlen)
{
	struct sockmi_addr want = sockmid_addr_unmapped(addr);
	const struct sockmi_addr *a = &want;
	uint8_t mac[ETH_ALEN];
	int ret = sockmid_hwaddr(ifindex, mac, err, errlen);

	if (ret)
		return ret;
	if (a->family == AF_INET)
		return sockmid_garp(ifindex, &a->in, mac, err, errlen);
	return sockmid_unsolicited_na(ifindex, &a->in6, mac, err, errlen);
}
