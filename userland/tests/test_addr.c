// SPDX-License-Identifier: GPL-2.0
/*
 * Address parsing and printing (common/addr.c).
 */

#include <string.h>

#include "addr.h"
#include "tap.h"

struct good {
	const char *in;
	enum sockmi_port_rule rule;
	sa_family_t family;
	bool has_port;
	uint16_t port;
	const char *out;	/* sockmi_addr_format(with_port) */
};

static const struct good goods[] = {
	{ "192.0.2.1", SOCKMI_PORT_OPTIONAL, AF_INET, false, 0, "192.0.2.1" },
	{ "192.0.2.1:80", SOCKMI_PORT_OPTIONAL, AF_INET, true, 80,
	  "192.0.2.1:80" },
	{ "0.0.0.0:65535", SOCKMI_PORT_REQUIRED, AF_INET, true, 65535,
	  "0.0.0.0:65535" },
	{ "127.0.0.1:1", SOCKMI_PORT_OPTIONAL, AF_INET, true, 1,
	  "127.0.0.1:1" },
	{ "10.1.2.3:080", SOCKMI_PORT_OPTIONAL, AF_INET, true, 80,
	  "10.1.2.3:80" },
	{ "::1", SOCKMI_PORT_OPTIONAL, AF_INET6, false, 0, "::1" },
	{ "::", SOCKMI_PORT_FORBIDDEN, AF_INET6, false, 0, "::" },
	{ "2001:db8::1", SOCKMI_PORT_OPTIONAL, AF_INET6, false, 0,
	  "2001:db8::1" },
	{ "[2001:db8::1]", SOCKMI_PORT_OPTIONAL, AF_INET6, false, 0,
	  "2001:db8::1" },
	{ "[2001:db8::1]:443", SOCKMI_PORT_REQUIRED, AF_INET6, true, 443,
	  "[2001:db8::1]:443" },
	{ "[::ffff:192.0.2.1]:8080", SOCKMI_PORT_OPTIONAL, AF_INET6, true,
	  8080, "[::ffff:192.0.2.1]:8080" },
	{ "::ffff:192.0.2.1", SOCKMI_PORT_OPTIONAL, AF_INET6, false, 0,
	  "::ffff:192.0.2.1" },
	{ "2001:0db8:0000:0000:0000:0000:0000:0001", SOCKMI_PORT_OPTIONAL,
	  AF_INET6, false, 0, "2001:db8::1" },
	/* Unbracketed, the last group is part of the address. */
	{ "2001:db8::1:80", SOCKMI_PORT_OPTIONAL, AF_INET6, false, 0,
	  "2001:db8::1:80" },
};

struct bad {
	const char *in;
	enum sockmi_port_rule rule;
	const char *why;	/* expected start of the message */
};

static const struct bad bads[] = {
	{ "", SOCKMI_PORT_OPTIONAL, "empty address" },
	{ ":80", SOCKMI_PORT_OPTIONAL, "missing address" },
	{ "[]:80", SOCKMI_PORT_OPTIONAL, "missing address" },
	{ "192.0.2.1:", SOCKMI_PORT_OPTIONAL, "missing port" },
	{ "[::1]:", SOCKMI_PORT_OPTIONAL, "missing port" },
	{ "192.0.2.1:0", SOCKMI_PORT_OPTIONAL, "port out of range" },
	{ "192.0.2.1:65536", SOCKMI_PORT_OPTIONAL, "port out of range" },
	{ "192.0.2.1:99999999999999999999", SOCKMI_PORT_OPTIONAL,
	  "port out of range" },
	{ "192.0.2.1:-1", SOCKMI_PORT_OPTIONAL, "port is not a decimal" },
	{ "192.0.2.1:+80", SOCKMI_PORT_OPTIONAL, "port is not a decimal" },
	{ "192.0.2.1: 80", SOCKMI_PORT_OPTIONAL, "port is not a decimal" },
	{ "192.0.2.1:0x50", SOCKMI_PORT_OPTIONAL, "port is not a decimal" },
	{ "192.0.2.1:http", SOCKMI_PORT_OPTIONAL, "port is not a decimal" },
	{ "256.0.0.1", SOCKMI_PORT_OPTIONAL, "invalid IPv4 address" },
	{ "192.0.2", SOCKMI_PORT_OPTIONAL, "invalid IPv4 address" },
	{ "192.0.2.1.5", SOCKMI_PORT_OPTIONAL, "invalid IPv4 address" },
	{ "192.0.2.01", SOCKMI_PORT_OPTIONAL, "invalid IPv4 address" },
	{ " 192.0.2.1", SOCKMI_PORT_OPTIONAL, "not a numeric IP address" },
	{ "localhost", SOCKMI_PORT_OPTIONAL, "not a numeric IP address" },
	{ "example.com:80", SOCKMI_PORT_OPTIONAL, "not a numeric IP address" },
	{ "2001:db8::g", SOCKMI_PORT_OPTIONAL, "invalid IPv6 address" },
	{ "1:2:3:4:5:6:7:8:9", SOCKMI_PORT_OPTIONAL, "invalid IPv6 address" },
	{ "[2001:db8::1", SOCKMI_PORT_OPTIONAL, "missing ']'" },
	{ "[2001:db8::1]80", SOCKMI_PORT_OPTIONAL, "expected ':PORT'" },
	{ "[2001:db8::1]:80:90", SOCKMI_PORT_OPTIONAL,
	  "port is not a decimal" },
	{ "[192.0.2.1]:80", SOCKMI_PORT_OPTIONAL,
	  "brackets are only for IPv6" },
	{ "[fe80::1%eth0]:80", SOCKMI_PORT_OPTIONAL, "IPv6 scope ids" },
	{ "fe80::1%eth0", SOCKMI_PORT_OPTIONAL, "IPv6 scope ids" },
	{ "192.0.2.1", SOCKMI_PORT_REQUIRED, "missing port (write ADDR:PORT)" },
	{ "::1", SOCKMI_PORT_REQUIRED, "missing port (write [V6ADDR]:PORT)" },
	{ "192.0.2.1:80", SOCKMI_PORT_FORBIDDEN, "a port is not allowed" },
	{ "[::1]:80", SOCKMI_PORT_FORBIDDEN, "a port is not allowed" },
	{ "1111:2222:3333:4444:5555:6666:7777:8888:9999:aaaa:bbbb",
	  SOCKMI_PORT_OPTIONAL, "address too long" },
};

int main(void)
{
	struct tap t = { .suite = "addr" };
	char buf[SOCKMI_ADDRSTRLEN];
	struct sockmi_addr a;
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		bool ok;

		why = NULL;
		ok = !sockmi_addr_parse(g->in, g->rule, &a, &why) &&
		     a.family == g->family && a.has_port == g->has_port &&
		     (!g->has_port || a.port == g->port) &&
		     !strcmp(sockmi_addr_format(&a, true, buf, sizeof(buf)),
			     g->out);
		if (!tap_ok(&t, ok, "accepts '%s'", g->in))
			tap_diag("why: %s, printed: %s", why ? why : "-",
				 sockmi_addr_format(&a, true, buf, sizeof(buf)));
	}

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		bool ok;

		why = NULL;
		memset(&a, 0x5a, sizeof(a));
		ok = sockmi_addr_parse(b->in, b->rule, &a, &why) == -1 &&
		     why && !strncmp(why, b->why, strlen(b->why)) &&
		     a.family == 0x5a5a;
		if (!tap_ok(&t, ok, "rejects '%s': %s", b->in, b->why))
			tap_diag("got: %s", why ? why : "(accepted)");
	}

	/* Without the port, and the binary form. */
	sockmi_addr_parse("[2001:db8::1]:443", SOCKMI_PORT_OPTIONAL, &a, &why);
	tap_ok(&t, !strcmp(sockmi_addr_format(&a, false, buf, sizeof(buf)),
			   "2001:db8::1"),
	       "prints an IPv6 address without port unbracketed");
	{
		const unsigned char raw4[4] = { 192, 0, 2, 7 };
		const unsigned char raw16[16] = { 0 };

		tap_ok(&t, !sockmi_addr_set(&a, AF_INET, raw4, 4) &&
			   !strcmp(sockmi_addr_format(&a, true, buf,
						      sizeof(buf)),
				   "192.0.2.7"),
		       "sets an IPv4 address from 4 bytes");
		tap_ok(&t, sockmi_addr_set(&a, AF_INET, raw16, 16) == -1,
		       "refuses 16 bytes for an IPv4 address");
		tap_ok(&t, sockmi_addr_set(&a, AF_INET6, raw4, 4) == -1,
		       "refuses 4 bytes for an IPv6 address");
		tap_ok(&t, sockmi_addr_set(&a, AF_UNIX, raw4, 4) == -1,
		       "refuses another family");
	}
	return tap_done(&t);
}
