/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Numeric IPv4/IPv6 addresses with an optional port, as the SockMi tools
 * take them on the command line and print them:
 *
 *	ADDR		192.0.2.1, 2001:db8::1
 *	ADDR:PORT	192.0.2.1:80
 *	[V6ADDR]	[2001:db8::1]
 *	[V6ADDR]:PORT	[2001:db8::1]:80
 *
 * Host names are not resolved; IPv6 scope ids (%eth0) are refused, the
 * kernel interface has no room for them. Ports are 1..65535, decimal.
 */

#ifndef SOCKMI_COMMON_ADDR_H
#define SOCKMI_COMMON_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/**
 * struct sockmi_addr - an IPv4 or IPv6 address and maybe a port
 * @family: AF_INET or AF_INET6
 * @has_port: @port is meaningful
 * @port: host byte order
 * @in: the address when @family is AF_INET
 * @in6: the address when @family is AF_INET6
 */
struct sockmi_addr {
	sa_family_t family;
	bool has_port;
	uint16_t port;
	union {
		struct in_addr in;
		struct in6_addr in6;
	};
};

/* What sockmi_addr_parse() accepts regarding the port. */
enum sockmi_port_rule {
	SOCKMI_PORT_OPTIONAL,
	SOCKMI_PORT_REQUIRED,
	SOCKMI_PORT_FORBIDDEN,
};

/* "[ffff:...:255.255.255.255]:65535" and its NUL */
#define SOCKMI_ADDRSTRLEN (INET6_ADDRSTRLEN + 8)

/**
 * sockmi_addr_parse - parse ADDR, ADDR:PORT, [V6ADDR] or [V6ADDR]:PORT
 * @str: the text
 * @rule: whether a port may, must or must not be given
 * @addr: the result, untouched on error
 * @why: on error, set to a static string saying what is wrong
 *
 * Return: 0, or -1 with *@why set.
 */
int sockmi_addr_parse(const char *str, enum sockmi_port_rule rule,
		      struct sockmi_addr *addr, const char **why);

/**
 * sockmi_port_parse - parse a decimal port number, 1..65535
 * @str: the text, digits only
 * @port: the result, untouched on error
 * @why: on error, set to a static string saying what is wrong
 *
 * Return: 0, or -1 with *@why set.
 */
int sockmi_port_parse(const char *str, uint16_t *port, const char **why);

/**
 * sockmi_addr_len - length of the binary address of a family
 * @family: AF_INET or AF_INET6
 *
 * Return: 4, 16, or 0 for any other family.
 */
size_t sockmi_addr_len(sa_family_t family);

/**
 * sockmi_addr_set - fill an address from its family and binary form
 * @addr: the result; its port is cleared
 * @family: AF_INET or AF_INET6
 * @raw: struct in_addr or struct in6_addr
 * @len: length of @raw, must match @family
 *
 * Return: 0, or -1 when @family is unknown or @len does not match it.
 */
int sockmi_addr_set(struct sockmi_addr *addr, sa_family_t family,
		    const void *raw, size_t len);

/**
 * sockmi_addr_format - print an address the way sockmi_addr_parse() reads it
 * @addr: the address
 * @with_port: print the port (when it has one) too
 * @buf: at least SOCKMI_ADDRSTRLEN bytes
 * @len: size of @buf
 *
 * IPv6 addresses are bracketed only when followed by a port.
 *
 * Return: @buf.
 */
const char *sockmi_addr_format(const struct sockmi_addr *addr, bool with_port,
			       char *buf, size_t len);

#endif /* SOCKMI_COMMON_ADDR_H */
