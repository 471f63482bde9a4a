// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing and printing of numeric addresses, see addr.h.
 */

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"

int sockmi_port_parse(const char *str, uint16_t *port, const char **why)
{
	unsigned long val = 0;
	const char *p;

	if (!*str) {
		*why = "missing port";
		return -1;
	}
	for (p = str; *p; p++) {
		if (*p < '0' || *p > '9') {
			*why = "port is not a decimal number";
			return -1;
		}
		val = val * 10 + (unsigned long)(*p - '0');
		if (val > UINT16_MAX)
			break;
	}
	if (val == 0 || val > UINT16_MAX) {
		*why = "port out of range (1-65535)";
		return -1;
	}
	*port = (uint16_t)val;
	return 0;
}

/* Why @host, which is no address we take, was refused. */
static const char *sockmi_addr_why(const char *host, bool bracketed)
{
	struct in_addr in;

	if (bracketed) {
		if (inet_pton(AF_INET, host, &in) == 1)
			return "brackets are only for IPv6 addresses";
		return "invalid IPv6 address";
	}
	if (strchr(host, ':'))
		return "invalid IPv6 address";
	if (strspn(host, "0123456789.") == strlen(host))
		return "invalid IPv4 address";
	return "not a numeric IP address (host names are not resolved)";
}

int sockmi_addr_parse(const char *str, enum sockmi_port_rule rule,
		      struct sockmi_addr *addr, const char **why)
{
	char host[INET6_ADDRSTRLEN];
	const char *start = str, *port = NULL, *colon;
	struct sockmi_addr res = { 0 };
	bool bracketed = false;
	size_t len;

	if (!*str) {
		*why = "empty address";
		return -1;
	}
	if (str[0] == '[') {
		const char *end = strchr(str, ']');

		if (!end) {
			*why = "missing ']' after IPv6 address";
			return -1;
		}
		if (end[1] == ':') {
			port = end + 2;
		} else if (end[1]) {
			*why = "expected ':PORT' after ']'";
			return -1;
		}
		bracketed = true;
		start = str + 1;
		len = (size_t)(end - start);
	} else {
		/* One colon: IPv4:PORT. None: IPv4. More: IPv6, no port. */
		colon = strchr(str, ':');
		if (colon && !strchr(colon + 1, ':')) {
			len = (size_t)(colon - str);
			port = colon + 1;
		} else {
			len = strlen(str);
		}
	}
	if (!len) {
		*why = "missing address";
		return -1;
	}
	if (len >= sizeof(host)) {
		*why = "address too long";
		return -1;
	}
	memcpy(host, start, len);
	host[len] = '\0';
	if (strchr(host, '%')) {
		*why = "IPv6 scope ids (%IFACE) are not supported";
		return -1;
	}

	if (!bracketed && inet_pton(AF_INET, host, &res.in) == 1) {
		res.family = AF_INET;
	} else if ((bracketed || (!port && strchr(host, ':'))) &&
		   inet_pton(AF_INET6, host, &res.in6) == 1) {
		res.family = AF_INET6;
	} else {
		*why = sockmi_addr_why(host, bracketed);
		return -1;
	}

	if (port) {
		if (rule == SOCKMI_PORT_FORBIDDEN) {
			*why = "a port is not allowed here";
			return -1;
		}
		if (sockmi_port_parse(port, &res.port, why))
			return -1;
		res.has_port = true;
	} else if (rule == SOCKMI_PORT_REQUIRED) {
		*why = res.family == AF_INET6 ?
		       "missing port (write [V6ADDR]:PORT)" :
		       "missing port (write ADDR:PORT)";
		return -1;
	}
	*addr = res;
	return 0;
}

size_t sockmi_addr_len(sa_family_t family)
{
	switch (family) {
	case AF_INET:
		return sizeof(struct in_addr);
	case AF_INET6:
		return sizeof(struct in6_addr);
	default:
		return 0;
	}
}

int sockmi_addr_set(struct sockmi_addr *addr, sa_family_t family,
		    const void *raw, size_t len)
{
	if (!sockmi_addr_len(family) || len != sockmi_addr_len(family))
		return -1;
	memset(addr, 0, sizeof(*addr));
	addr->family = family;
	if (family == AF_INET)
		memcpy(&addr->in, raw, len);
	else
		memcpy(&addr->in6, raw, len);
	return 0;
}

const char *sockmi_addr_format(const struct sockmi_addr *addr, bool with_port,
			       char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN];
	const void *raw = addr->family == AF_INET ? (const void *)&addr->in :
						    (const void *)&addr->in6;

	if (!sockmi_addr_len(addr->family) ||
	    !inet_ntop(addr->family, raw, host, sizeof(host))) {
		snprintf(buf, len, "?");
		return buf;
	}
	if (!with_port || !addr->has_port)
		snprintf(buf, len, "%s", host);
	else if (addr->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u", host, addr->port);
	else
		snprintf(buf, len, "%s:%u", host, addr->port);
	return buf;
}
