// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: sockmid's configuration file parser
 * (userland/sockmid/config.c): sockmid_config_parse() on the input as a
 * file, then sockmid_config_check() and a merge onto the defaults.  A
 * failure must say why.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static struct sockmid_config c, base;
	char err[512];
	FILE *f;
	int ret;

	f = fmemopen((void *)data, size, "r");
	if (!f)
		return 0;
	sockmid_config_init(&c);
	err[0] = '\0';
	ret = sockmid_config_parse(&c, f, "fuzz.conf", err, sizeof(err));
	fclose(f);
	if (ret) {
		if (!err[0] || !memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	if (c.npeers > SOCKMID_PEERS_MAX || c.ntakeover > SOCKMID_TAKEOVER_MAX ||
	    !memchr(c.iface, '\0', sizeof(c.iface)) ||
	    !memchr(c.key_file, '\0', sizeof(c.key_file)))
		abort();
	err[0] = '\0';
	if (sockmid_config_check(&c, err, sizeof(err)) && !err[0])
		abort();
	sockmid_config_init(&base);
	sockmid_config_merge(&base, &c);
	return 0;
}
