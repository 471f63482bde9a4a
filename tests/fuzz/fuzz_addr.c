// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the command-line address parser of the tools
 * (userland/common/addr.c), with every port rule.  Whatever parses must print
 * back (sockmi_addr_format) to a text that parses to the same address.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

static int same(const struct sockmi_addr *a, const struct sockmi_addr *b)
{
	if (a->family != b->family || a->has_port != b->has_port ||
	    (a->has_port && a->port != b->port))
		return 0;
	return !memcmp(&a->in6, &b->in6, sockmi_addr_len(a->family));
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static const enum sockmi_port_rule rules[] = {
		SOCKMI_PORT_OPTIONAL, SOCKMI_PORT_REQUIRED, SOCKMI_PORT_FORBIDDEN,
	};
	char *s = malloc(size + 1), buf[SOCKMI_ADDRSTRLEN];
	struct sockmi_addr a, b;
	const char *why;
	uint16_t port;
	unsigned int i;

	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	for (i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		why = NULL;
		if (sockmi_addr_parse(s, rules[i], &a, &why)) {
			if (!why || !*why)
				abort();	/* an error must say why */
			continue;
		}
		if (a.family != AF_INET && a.family != AF_INET6)
			abort();
		if ((rules[i] == SOCKMI_PORT_REQUIRED && !a.has_port) ||
		    (rules[i] == SOCKMI_PORT_FORBIDDEN && a.has_port) ||
		    (a.has_port && a.port == 0))
			abort();
		sockmi_addr_format(&a, true, buf, sizeof(buf));
		if (sockmi_addr_parse(buf, SOCKMI_PORT_OPTIONAL, &b, &why) ||
		    !same(&a, &b)) {
			fprintf(stderr, "'%s' parsed, printed as '%s', which %s\n",
				s, buf, "does not parse back to the same");
			abort();
		}
	}
	why = NULL;
	if (sockmi_port_parse(s, &port, &why)) {
		if (!why)
			abort();
	} else if (port == 0) {
		abort();
	}
	free(s);
	return 0;
}
