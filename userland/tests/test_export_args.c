// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing of "sockmictl export" (sockmictl/export.c).
 */

#include <string.h>

#include "sockmictl.h"
#include "tap.h"

#define MAXWORDS 8

struct good {
	const char *words[MAXWORDS];
	uint32_t pid;
	uint32_t fd;
	const char *to;	/* printed with its port, or NULL */
};

static const struct good goods[] = {
	{ { "pid", "1", "fd", "0" }, 1, 0, NULL },
	{ { "fd", "3", "pid", "4242" }, 4242, 3, NULL },
	{ { "pid", "2147483647", "fd", "2147483647" }, 2147483647,
	  2147483647, NULL },
	{ { "pid", "10", "fd", "4", "to", "192.0.2.1" }, 10, 4, "192.0.2.1" },
	{ { "to", "[2001:db8::2]:7000", "pid", "10", "fd", "4" }, 10, 4,
	  "[2001:db8::2]:7000" },
	{ { "pid", "10", "to", "127.0.0.1", "fd", "4" }, 10, 4, "127.0.0.1" },
};

struct bad {
	const char *words[MAXWORDS];
	const char *err;	/* expected start of the message */
};

static const struct bad bads[] = {
	{ { NULL }, "missing 'pid PID'" },
	{ { "fd", "3" }, "missing 'pid PID'" },
	{ { "pid", "1" }, "missing 'fd FD'" },
	{ { "pid" }, "missing value after 'pid'" },
	{ { "pid", "1", "fd" }, "missing value after 'fd'" },
	{ { "pid", "1", "fd", "3", "to" }, "missing value after 'to'" },
	{ { "pid", "0", "fd", "3" }, "invalid pid '0'" },
	{ { "pid", "-1", "fd", "3" }, "invalid pid '-1'" },
	{ { "pid", "+1", "fd", "3" }, "invalid pid '+1'" },
	{ { "pid", "1x", "fd", "3" }, "invalid pid '1x'" },
	{ { "pid", "", "fd", "3" }, "invalid pid ''" },
	{ { "pid", "2147483648", "fd", "3" }, "invalid pid '2147483648'" },
	{ { "pid", "99999999999999999999", "fd", "3" }, "invalid pid" },
	{ { "pid", "1", "fd", "-3" }, "invalid fd '-3'" },
	{ { "pid", "1", "fd", "0x3" }, "invalid fd '0x3'" },
	{ { "pid", "1", "fd", "2147483648" }, "invalid fd '2147483648'" },
	{ { "pid", "1", "pid", "2", "fd", "3" }, "'pid' given twice" },
	{ { "pid", "1", "fd", "3", "fd", "4" }, "'fd' given twice" },
	{ { "pid", "1", "fd", "3", "to", "::1", "to", "::2" },
	  "'to' given twice" },
	{ { "pid", "1", "fd", "3", "to", "host.example" },
	  "invalid address 'host.example': not a numeric IP address" },
	{ { "pid", "1", "fd", "3", "to", "192.0.2.1:0" },
	  "invalid address '192.0.2.1:0': port out of range" },
	{ { "pid", "1", "fd", "3", "to", "[192.0.2.1]" },
	  "invalid address '[192.0.2.1]': brackets are only for IPv6" },
	{ { "pid", "1", "fd", "3", "port", "80" },
	  "unexpected argument 'port' (expected pid, fd or to)" },
	{ { "1", "3" }, "unexpected argument '1'" },
	{ { "--stdio" }, "unexpected argument '--stdio'" },
};

static int count(const char *const *words)
{
	int n = 0;

	while (n < MAXWORDS && words[n])
		n++;
	return n;
}

static void join(const char *const *words, char *buf, size_t len)
{
	int i;

	buf[0] = '\0';
	for (i = 0; i < MAXWORDS && words[i]; i++)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s%s",
			 i ? " " : "", words[i]);
}

int main(void)
{
	struct tap t = { .suite = "export args" };
	struct sockmictl_export_args args;
	char err[160], line[128], buf[SOCKMI_ADDRSTRLEN];
	size_t i;

	for (i = 0; i < sizeof(goods) / sizeof(goods[0]); i++) {
		const struct good *g = &goods[i];
		int n = count(g->words);
		char *words[MAXWORDS];
		bool ok;

		/* Exactly n words: the parser must not look past them. */
		memcpy(words, g->words, sizeof(words));
		join(g->words, line, sizeof(line));
		err[0] = '\0';
		ok = !sockmictl_export_parse(n, words, &args, err,
					     sizeof(err)) &&
		     args.pid == g->pid && args.fd == g->fd &&
		     args.has_to == !!g->to &&
		     (!g->to || !strcmp(sockmi_addr_format(&args.to, true, buf,
							   sizeof(buf)),
					g->to));
		if (!tap_ok(&t, ok, "accepts '%s'", line))
			tap_diag("error: %s", err);
	}

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		char *words[MAXWORDS];
		bool ok;

		memcpy(words, b->words, sizeof(words));
		join(b->words, line, sizeof(line));
		err[0] = '\0';
		ok = sockmictl_export_parse(count(b->words), words, &args, err,
					    sizeof(err)) == -1 &&
		     !strncmp(err, b->err, strlen(b->err));
		if (!tap_ok(&t, ok, "rejects '%s'", line))
			tap_diag("error: '%s', expected '%s'", err, b->err);
	}
	return tap_done(&t);
}
