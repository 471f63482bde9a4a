// SPDX-License-Identifier: GPL-2.0
/*
 * sockmid's configuration (sockmid/config.c): the file format, every
 * key's values and errors, command-line precedence and consistency checks.
 */

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "tap.h"

/* Parse @text as a file; 0 or -1, the error in @err. */
static int parse(struct sockmid_config *c, const char *text, char *err,
		 size_t errlen)
{
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int ret;

	sockmid_config_init(c);
	err[0] = '\0';
	if (!f)
		return -2;
	ret = sockmid_config_parse(c, f, "test.conf", err, errlen);
	fclose(f);
	return ret;
}

/* The file @text is refused with a message containing @want. */
static void refuses(struct tap *t, const char *text, const char *want)
{
	struct sockmid_config c;
	char err[512];
	int ret = parse(&c, text, err, sizeof(err));

	if (!tap_ok(t, ret == -1 && strstr(err, want), "refused: %s", want))
		tap_diag("got %d: %s", ret, err);
}

static bool addr_is(const struct sockmi_addr *a, const char *text)
{
	struct sockmi_addr b;
	const char *why;

	return !sockmi_addr_parse(text, SOCKMI_PORT_OPTIONAL, &b, &why) &&
	       sockmid_addr_equal(a, &b) && a->has_port == b.has_port &&
	       (!a->has_port || a->port == b.port);
}

int main(void)
{
	struct tap t = { .suite = "sockmid-config" };
	struct sockmid_config c, cli;
	char err[512];
	int ret;

	sockmid_config_init(&c);
	tap_ok(&t, addr_is(&c.group, SOCKMID_DEFAULT_GROUP) &&
		   c.port == SOCKMID_DEFAULT_PORT && !c.npeers &&
		   c.policy == SOCKMID_POLICY_FIRST &&
		   c.timeout_ms == SOCKMID_DEFAULT_TIMEOUT_MS &&
		   c.window_ms == SOCKMID_DEFAULT_WINDOW_MS && !c.set &&
		   !c.key_file[0] && !c.insecure,
	       "defaults: group 239.255.77.1, port 8877, first, 2000 ms");

	ret = parse(&c,
		    "# a comment line\n"
		    "\n"
		    "   port 9000   # trailing comment\n"
		    "iface = eth1\n"
		    "peer 192.0.2.1\n"
		    "peer\t192.0.2.2:9100\n"
		    "key=/etc/sockmi/key\n"
		    "policy least-loaded\n"
		    "timeout 1500\n"
		    "window 100\n"
		    "takeover 10.0.0.100/24\n"
		    "takeover 10.0.0.101\n"
		    "verbose\n"
		    "no-rules\n"
		    "foreground",
		    err, sizeof(err));
	if (!tap_ok(&t, ret == 0, "parses a file using every form"))
		tap_diag("%s", err);
	tap_ok(&t, c.port == 9000 && !strcmp(c.iface, "eth1"),
	       "port and iface (KEY VALUE, KEY = VALUE, comments)");
	tap_ok(&t, c.npeers == 2 && addr_is(&c.peers[0], "192.0.2.1") &&
		   addr_is(&c.peers[1], "192.0.2.2:9100"),
	       "peer repeats, with and without a port");
	tap_ok(&t, !strcmp(c.key_file, "/etc/sockmi/key"), "key=FILE");
	tap_ok(&t, c.policy == SOCKMID_POLICY_LEAST_LOADED &&
		   c.timeout_ms == 1500 && c.window_ms == 100,
	       "policy, timeout, window");
	tap_ok(&t, c.ntakeover == 2 && addr_is(&c.takeover[0].addr, "10.0.0.100") &&
		   c.takeover[0].plen == 24 && c.takeover[1].plen == 32,
	       "takeover ADDR/PLEN, and /32 by default");
	tap_ok(&t, c.verbose && c.foreground && !c.insecure && c.no_rules,
	       "flags (no-rules too), the last line without a newline");
	tap_ok(&t, sockmid_config_takeover(&c, &c.takeover[1].addr) == &c.takeover[1] &&
		   !sockmid_config_takeover(&c, &c.peers[0]),
	       "takeover addresses are looked up");
	{
		struct sockmi_addr mapped;
		const char *why;

		sockmi_addr_parse("::ffff:10.0.0.100", SOCKMI_PORT_FORBIDDEN,
				  &mapped, &why);
		tap_ok(&t, mapped.family == AF_INET6 &&
			   sockmid_config_takeover(&c, &mapped) == &c.takeover[0],
		       "an IPv4-mapped IPv6 address is its IPv4 address");
	}
	if (!tap_ok(&t, sockmid_config_check(&c, err, sizeof(err)) == 0,
		    "that file is consistent"))
		tap_diag("%s", err);

	ret = parse(&c, "takeover fd77::100/64\ngroup ff15::77\n", err, sizeof(err));
	tap_ok(&t, ret == 0 && c.takeover[0].plen == 64 &&
		   c.takeover[0].addr.family == AF_INET6 &&
		   c.group.family == AF_INET6,
	       "IPv6 takeover address and group");
	ret = parse(&c, "", err, sizeof(err));
	tap_ok(&t, ret == 0 && !c.set, "an empty file sets nothing");

	refuses(&t, "bogus 1\n", "test.conf:1: unknown key 'bogus'");
	refuses(&t, "\n\nport\n", "test.conf:3: port: missing value");
	refuses(&t, "port =\n", "missing value after '='");
	refuses(&t, "= 5\n", "missing key");
	refuses(&t, "insecure yes\n", "insecure: takes no value");
	refuses(&t, "no-rules 1\n", "no-rules: takes no value");
	refuses(&t, "port 1\nport 2\n", "test.conf:2: port: given twice");
	refuses(&t, "port 0\n", "port out of range");
	refuses(&t, "port 65536\n", "port out of range");
	refuses(&t, "port 80x\n", "not a decimal number");
	refuses(&t, "port 1 2\n", "more than one value");
	refuses(&t, "group 10.0.0.1\n", "not a multicast address");
	refuses(&t, "group 239.1.1.1:80\n", "a port is not allowed");
	refuses(&t, "peer 239.1.1.1\n", "not a unicast address");
	refuses(&t, "peer 0.0.0.0\n", "not a unicast address");
	refuses(&t, "peer host.example\n", "host names are not resolved");
	refuses(&t, "policy random\n", "expected first or least-loaded");
	refuses(&t, "timeout 0\n", "out of range");
	refuses(&t, "timeout 2s\n", "not a number of milliseconds");
	refuses(&t, "timeout 99999999999\n", "out of range");
	refuses(&t, "takeover 10.0.0.1/33\n", "prefix length must be 1-32");
	refuses(&t, "takeover 10.0.0.1/\n", "prefix length");
	refuses(&t, "takeover 224.0.0.1\n", "not a unicast address");
	refuses(&t, "takeover 10.0.0.1\ntakeover 10.0.0.1/8\n", "given twice");
	refuses(&t, "iface a/b\n", "not an interface name");
	refuses(&t, "iface 0123456789abcdefXYZ\n", "not an interface name");
	{
		char big[SOCKMID_CONF_LINE_MAX + 64];

		memset(big, 'x', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		big[sizeof(big) - 1] = '\0';
		refuses(&t, big, "line longer than");
	}

	/* The command line wins, key by key; a list given there replaces. */
	ret = parse(&c, "port 9000\npeer 192.0.2.1\npeer 192.0.2.2\ntimeout 700\n",
		    err, sizeof(err));
	sockmid_config_init(&cli);
	ret |= sockmid_config_set(&cli, SOCKMID_K_PEER, "192.0.2.9", err,
				  sizeof(err));
	ret |= sockmid_config_set(&cli, SOCKMID_K_TIMEOUT, "300", err,
				  sizeof(err));
	sockmid_config_merge(&c, &cli);
	tap_ok(&t, ret == 0 && c.port == 9000 && c.timeout_ms == 300 &&
		   c.npeers == 1 && addr_is(&c.peers[0], "192.0.2.9"),
	       "command line overrides the file; its peers replace the file's");

	/* Consistency. */
	sockmid_config_init(&c);
	tap_ok(&t, sockmid_config_check(&c, err, sizeof(err)) == -1 &&
		   strstr(err, "no key"),
	       "no key and no insecure: refused, says how to make a key");
	sockmid_config_set(&c, SOCKMID_K_INSECURE, NULL, err, sizeof(err));
	tap_ok(&t, sockmid_config_check(&c, err, sizeof(err)) == 0,
	       "insecure alone is accepted");
	sockmid_config_set(&c, SOCKMID_K_KEY, "/k", err, sizeof(err));
	tap_ok(&t, sockmid_config_check(&c, err, sizeof(err)) == -1 &&
		   strstr(err, "exclude"),
	       "key and insecure together: refused");
	sockmid_config_init(&c);
	sockmid_config_set(&c, SOCKMID_K_KEY, "/k", err, sizeof(err));
	sockmid_config_set(&c, SOCKMID_K_GROUP, "239.1.2.3", err, sizeof(err));
	sockmid_config_set(&c, SOCKMID_K_PEER, "192.0.2.1", err, sizeof(err));
	tap_ok(&t, sockmid_config_check(&c, err, sizeof(err)) == -1 &&
		   strstr(err, "group and peer"),
	       "group and peer together: refused");
	sockmid_config_init(&c);
	sockmid_config_set(&c, SOCKMID_K_KEY, "/k", err, sizeof(err));
	sockmid_config_set(&c, SOCKMID_K_PEER, "192.0.2.1", err, sizeof(err));
	ret = sockmid_config_set(&c, SOCKMID_K_PEER, "2001:db8::1", err,
				 sizeof(err));
	if (!tap_ok(&t, ret == 0 &&
			sockmid_config_check(&c, err, sizeof(err)) == -1 &&
			strstr(err, "all be IPv4 or all IPv6"),
		    "peers of two families: refused"))
		tap_diag("%d %s", ret, err);
	sockmid_config_init(&c);
	sockmid_config_set(&c, SOCKMID_K_KEY, "/k", err, sizeof(err));
	sockmid_config_set(&c, SOCKMID_K_POLICY, "least-loaded", err, sizeof(err));
	sockmid_config_set(&c, SOCKMID_K_TIMEOUT, "200", err, sizeof(err));
	tap_ok(&t, sockmid_config_check(&c, err, sizeof(err)) == -1 &&
		   strstr(err, "window"),
	       "least-loaded with a window as long as the timeout: refused");
	tap_ok(&t, sockmid_config_key("takeover") == SOCKMID_K_TAKEOVER &&
		   sockmid_config_key("nope") == -1 &&
		   !sockmid_config_key_has_value(SOCKMID_K_INSECURE) &&
		   sockmid_config_key_has_value(SOCKMID_K_PEER),
	       "key names and which take values");
	return tap_done(&t);
}
