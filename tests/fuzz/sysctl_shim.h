/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel to compile the net.sockmi.export string parser
 * (sockmi_parse_to() and sockmi_parse_export() of net/sockmi/sysctl.c, cut
 * out of that file verbatim by the Makefile) as user-space code.
 *
 * kstrtoint() follows lib/kstrtox.c (optional sign, decimal, one trailing
 * newline, -ERANGE on overflow); in4_pton()/in6_pton() are approximated
 * with inet_pton() (the kernel's accept leading zeros in IPv4 octets): they
 * are the kernel's library, not what is fuzzed here.
 */
#ifndef SOCKMI_FUZZ_SYSCTL_SHIM_H
#define SOCKMI_FUZZ_SYSCTL_SHIM_H

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t __be32;

static inline int kstrtoint(const char *s, unsigned int base, int *res)
{
	unsigned long long v = 0;
	bool neg = false;
	const char *p;

	if (base != 10)
		return -EINVAL;
	if (*s == '-') {
		neg = true;
		s++;
	} else if (*s == '+') {
		s++;
	}
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long long)(*p - '0');
		if (v > (unsigned long long)INT_MAX + 1)
			return -ERANGE;
	}
	if (p == s)
		return -EINVAL;
	if (*p == '\n')
		p++;
	if (*p)
		return -EINVAL;
	if ((!neg && v > INT_MAX) || (neg && v > (unsigned long long)INT_MAX + 1))
		return -ERANGE;
	*res = neg ? (int)(0 - v) : (int)v;
	return 0;
}

static inline int in4_pton(const char *src, int srclen, u8 *dst, int delim,
			   const char **end)
{
	(void)srclen;
	(void)delim;
	(void)end;
	return inet_pton(AF_INET, src, dst) == 1;
}

static inline int in6_pton(const char *src, int srclen, u8 *dst, int delim,
			   const char **end)
{
	(void)srclen;
	(void)delim;
	(void)end;
	return inet_pton(AF_INET6, src, dst) == 1;
}

static inline void ipv6_addr_set_v4mapped(__be32 addr, struct in6_addr *v4mapped)
{
	memset(v4mapped, 0, 10);
	memset(&v4mapped->s6_addr[10], 0xff, 2);
	memcpy(&v4mapped->s6_addr[12], &addr, 4);
}

#endif
