// SPDX-License-Identifier: GPL-2.0
/*
 * tcpblast: send COUNT TCP segments of one flow through a raw socket, as
 * fast as possible, and print the nanoseconds each took on average. The
 * receiving side of a veth pair is processed in the sender's softirq, so
 * the time includes the whole path through the hosts behind it.
 *
 *   tcpblast SRC SPORT DST DPORT COUNT
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct packet {
	struct iphdr ip;
	struct tcphdr tcp;
	char payload[64];
};

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t add16(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	return sum;
}

static uint16_t tcp_checksum(const struct packet *pkt, size_t tcplen)
{
	uint32_t sum = 0;

	sum = add16(sum, &pkt->ip.saddr, 4);
	sum = add16(sum, &pkt->ip.daddr, 4);
	sum += IPPROTO_TCP + (uint32_t)tcplen;
	sum = add16(sum, &pkt->tcp, tcplen);
	return htons(fold(sum));
}

static unsigned long parse(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v > max) {
		fprintf(stderr, "tcpblast: bad number '%s'\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct packet pkt;
	struct timespec t0, t1;
	unsigned long count, i;
	size_t tcplen = sizeof(pkt.tcp) + sizeof(pkt.payload);
	int fd;

	if (argc != 6) {
		fprintf(stderr, "usage: tcpblast SRC SPORT DST DPORT COUNT\n");
		return 2;
	}
	memset(&pkt, 0, sizeof(pkt));
	if (inet_pton(AF_INET, argv[1], &pkt.ip.saddr) != 1 ||
	    inet_pton(AF_INET, argv[3], &pkt.ip.daddr) != 1) {
		fprintf(stderr, "tcpblast: bad address\n");
		return 2;
	}
	pkt.ip.version = 4;
	pkt.ip.ihl = 5;
	pkt.ip.ttl = 64;
	pkt.ip.protocol = IPPROTO_TCP;
	pkt.ip.frag_off = htons(IP_DF);
	pkt.tcp.source = htons((uint16_t)parse(argv[2], 65535));
	pkt.tcp.dest = htons((uint16_t)parse(argv[4], 65535));
	pkt.tcp.seq = htonl(1000);
	pkt.tcp.ack_seq = htonl(2000);
	pkt.tcp.doff = sizeof(pkt.tcp) / 4;
	pkt.tcp.ack = 1;
	pkt.tcp.window = htons(1024);
	pkt.tcp.check = tcp_checksum(&pkt, tcplen);
	count = parse(argv[5], 100000000);
	dst.sin_addr.s_addr = pkt.ip.daddr;

	/* IPPROTO_RAW implies IP_HDRINCL; the kernel fills length, id, sum. */
	fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd < 0) {
		perror("tcpblast: socket");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < count; i++) {
		if (sendto(fd, &pkt, sizeof(pkt), 0, (struct sockaddr *)&dst,
			   sizeof(dst)) < 0 && errno != ENOBUFS) {
			perror("tcpblast: sendto");
			return 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	close(fd);
	printf("%.0f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 +
			  (t1.tv_nsec - t0.tv_nsec)) / count);
	return 0;
}
