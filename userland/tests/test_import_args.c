// SPDX-License-Identifier: GPL-2.0
/*
 * Argument parsing of "sockmictl import" (sockmictl/import.c) and the
 * import_socket(3) request it makes of them.
 */

#include <arpa/inet.h>
#include <string.h>

#include "sockmi.h"
#include "sockmictl.h"
#include "tap.h"

#define MAXWORDS 16

struct good {
	const char *words[MAXWORDS];
	unsigned int states;
	int timeout;
	bool stdio;
	const char *local;	/* as printed with its port, or NULL */
	const char *remote;
	int cmd;		/* index of the command's first word */
	int ncmd;
};

static const struct good goods[] = {
	{ { "--", "true" }, SOCKMI_ANY_STATE, -1, false, NULL, NULL, 1, 1 },
	{ { "state", "connected", "--", "cat", "-n" }, SOCKMI_CONNECTED, -1,
	  false, NULL, NULL, 3, 2 },
	{ { "state", "bound,listen", "--", "x" },
	  SOCKMI_BOUND | SOCKMI_LISTENING, -1, false, NULL, NULL, 3, 1 },
	{ { "--stdio", "timeout", "0", "--", "socat", "STDIO", "PIPE" },
	  SOCKMI_ANY_STATE, 0, true, NULL, NULL, 4, 3 },
	{ { "local", "192.0.2.1:80", "remote", "198.51.100.7", "timeout",
	    "2147483647", "--", "srv" },
	  SOCKMI_ANY_STATE, 2147483647, false, "192.0.2.1:80", "198.51.100.7",
	  7, 1 },
	{ { "remote", "[2001:db8::2]:4000", "state", "listen,connected",
	    "--stdio", "local", "::", "--", "a", "--", "b" },
	  SOCKMI_LISTENING | SOCKMI_CONNECTED, -1, true, "::",
	  "[2001:db8::2]:4000", 8, 3 },
};

struct bad {
	const char *words[MAXWORDS];
	const char *err;	/* expected start of the message */
};

static const struct bad bads[] = {
	{ { NULL }, "missing '-- CMD'" },
	{ { "state", "connected" }, "missing '-- CMD'" },
	{ { "--" }, "missing command after '--'" },
	{ { "state", "--", "x" }, "missing value after 'state'" },
	{ { "local" }, "missing value after 'local'" },
	{ { "state", "nowhere", "--", "x" }, "invalid state 'nowhere'" },
	{ { "state", ",", "--", "x" }, "invalid state ','" },
	{ { "state", "listen,", "--", "x" }, NULL },
	{ { "state", "bound", "state", "listen", "--", "x" },
	  "'state' given twice" },
	{ { "timeout", "-1", "--", "x" }, "invalid timeout '-1'" },
	{ { "timeout", "2147483648", "--", "x" }, "invalid timeout" },
	{ { "timeout", "1s", "--", "x" }, "invalid timeout '1s'" },
	{ { "local", "host.example", "--", "x" },
	  "invalid address 'host.example'" },
	{ { "remote", "192.0.2.1:0", "--", "x" },
	  "invalid address '192.0.2.1:0'" },
	{ { "local", "192.0.2.1", "remote", "::1", "--", "x" },
	  "local and remote addresses of different families" },
	{ { "--stdio", "--stdio", "--", "x" }, "'--stdio' given twice" },
	{ { "pid", "1", "--", "x" }, "unexpected argument 'pid'" },
	{ { "true" }, "unexpected argument 'true'" },
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

static bool addr_is(bool has, const struct sockmi_addr *a, const char *want)
{
	char buf[SOCKMI_ADDRSTRLEN];

	if (!want)
		return !has;
	return has && !strcmp(sockmi_addr_format(a, true, buf, sizeof(buf)),
			      want);
}

/* The request: states, and each address as a socket address. */
static bool req_is(const struct sockmictl_import_args *args)
{
	struct import_req req;

	sockmictl_import_req(args, &req);
	if (req.fd != -1 || req.states != args->states || req.prefer)
		return false;
	if (!args->has_local)
		return req.local.sa.sa_family == AF_UNSPEC;
	if (args->local.family == AF_INET)
		return req.local.sin.sin_family == AF_INET &&
		       req.local.sin.sin_addr.s_addr == args->local.in.s_addr &&
		       ntohs(req.local.sin.sin_port) ==
		       (args->local.has_port ? args->local.port : 0);
	return req.local.sin6.sin6_family == AF_INET6 &&
	       !memcmp(&req.local.sin6.sin6_addr, &args->local.in6, 16) &&
	       req.remote.sin6.sin6_family ==
	       (args->has_remote ? AF_INET6 : AF_UNSPEC) &&
	       ntohs(req.remote.sin6.sin6_port) ==
	       (args->remote.has_port ? args->remote.port : 0);
}

int main(void)
{
	struct tap t = { .suite = "import args" };
	struct sockmictl_import_args args;
	char err[160], line[256];
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
		ok = !sockmictl_import_parse(n, words, &args, err,
					     sizeof(err)) &&
		     args.states == g->states && args.timeout == g->timeout &&
		     args.stdio == g->stdio &&
		     addr_is(args.has_local, &args.local, g->local) &&
		     addr_is(args.has_remote, &args.remote, g->remote) &&
		     args.cmd == &words[g->cmd] && args.ncmd == g->ncmd;
		if (!tap_ok(&t, ok, "accepts '%s'", line))
			tap_diag("error: %s", err);
		else
			tap_ok(&t, req_is(&args), "its import_req for '%s'",
			       line);
	}

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		char *words[MAXWORDS];
		const char *want = b->err ? b->err : "invalid state";
		bool ok;

		memcpy(words, b->words, sizeof(words));
		join(b->words, line, sizeof(line));
		err[0] = '\0';
		ok = sockmictl_import_parse(count(b->words), words, &args, err,
					    sizeof(err)) == -1 &&
		     !strncmp(err, want, strlen(want));
		if (!tap_ok(&t, ok, "rejects '%s'", line))
			tap_diag("error: '%s', expected '%s'", err, want);
	}
	return tap_done(&t);
}
