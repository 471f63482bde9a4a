// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl: control SockMi, the live migration of TCP sockets.
 *
 *	sockmictl [-j|--json] [SUBCOMMAND [ARGS...]]
 *
 * This file holds the table of subcommands and the options every one of
 * them takes; each subcommand lives in a file of its own.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sockmictl.h"
#include "version.h"

static int sockmictl_help(const struct sockmictl_ctx *ctx, int argc,
			  char *argv[]);

static const struct sockmictl_cmd sockmictl_cmds[] = {
	{ "list", sockmictl_list, "[-j]",
	  "show staged sockets and exports in progress (the default)", true },
	{ "stats", sockmictl_stats, "[-j]",
	  "show the SockMi counters of this network namespace", true },
	{ "flows", sockmictl_flows, "[-j]",
	  "show the redirection flows of xt_SOCKMI", true },
	{ "export", sockmictl_export, "[-j] pid PID fd FD [to ADDR[:PORT]]",
	  "freeze a process's TCP socket for migration, print its export id",
	  true },
	{ "import", sockmictl_import,
	  "[state bound|listen|connected[,...]] [local ADDR[:PORT]] [remote ADDR[:PORT]] [timeout MS] [--stdio] -- CMD [ARGS...]",
	  "wait for a staged socket and run CMD with it (fd 3, or 0 and 1)",
	  false },
	{ "monitor", sockmictl_monitor, "[-j]",
	  "print SockMi events as they happen, until interrupted", true },
	{ "genkey", sockmictl_genkey, "",
	  "print a new base64 shared key for sockmid", false },
	{ "help", sockmictl_help, "[SUBCOMMAND]",
	  "show this help, or a subcommand's usage", false },
};

#define SOCKMICTL_NCMDS (sizeof(sockmictl_cmds) / sizeof(sockmictl_cmds[0]))

static const char sockmictl_try_help[] =
	"Try 'sockmictl help' for the list of subcommands.\n";

static const struct sockmictl_cmd *sockmictl_find(const char *name)
{
	size_t i;

	for (i = 0; i < SOCKMICTL_NCMDS; i++)
		if (!strcmp(sockmictl_cmds[i].name, name))
			return &sockmictl_cmds[i];
	return NULL;
}

static void sockmictl_usage(FILE *f)
{
	size_t i;

	fprintf(f,
		"Usage: sockmictl [-j | --json] [SUBCOMMAND [ARGS...]]\n"
		"       sockmictl {-h | --help | -V | --version}\n"
		"\n"
		"Control SockMi, the live migration of TCP sockets between processes\n"
		"and hosts, in the current network namespace.\n"
		"\n"
		"Subcommands:\n");
	for (i = 0; i < SOCKMICTL_NCMDS; i++)
		fprintf(f, "  %-9s %s\n", sockmictl_cmds[i].name,
			sockmictl_cmds[i].summary);
	fprintf(f,
		"\n"
		"Options:\n"
		"  -j, --json     print JSON (list, stats, flows, export, monitor);\n"
		"                 may also follow the subcommand\n"
		"  -h, --help     show this help; after a subcommand, its usage\n"
		"  -V, --version  show the version\n"
		"\n"
		"Exit status: 0 success, 1 the operation failed, 2 usage error.\n");
}

static int sockmictl_help(const struct sockmictl_ctx *ctx, int argc,
			  char *argv[])
{
	const struct sockmictl_cmd *cmd;

	if (argc > 1)
		return sockmictl_usage_error(ctx, "unexpected argument '%s'",
					     argv[1]);
	if (!argc) {
		sockmictl_usage(stdout);
		return SOCKMICTL_OK;
	}
	cmd = sockmictl_find(argv[0]);
	if (!cmd)
		return sockmictl_usage_error(ctx, "unknown subcommand '%s'",
					     argv[0]);
	sockmictl_cmd_usage(stdout, cmd);
	printf("%s\n", cmd->summary);
	return SOCKMICTL_OK;
}

static bool sockmictl_is(const char *arg, const char *s, const char *l)
{
	return !strcmp(arg, s) || !strcmp(arg, l);
}

int main(int argc, char *argv[])
{
	struct sockmictl_ctx ctx = { 0 };
	bool help = false;
	int i, n, ret;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (sockmictl_is(argv[i], "-j", "--json")) {
			ctx.json = true;
		} else if (sockmictl_is(argv[i], "-h", "--help")) {
			sockmictl_usage(stdout);
			return SOCKMICTL_OK;
		} else if (sockmictl_is(argv[i], "-V", "--version")) {
			puts("sockmictl (SockMi) " SOCKMI_VERSION);
			return SOCKMICTL_OK;
		} else if (!strcmp(argv[i], "--")) {
			i++;
			break;
		} else {
			fprintf(stderr, "sockmictl: unknown option '%s'\n%s",
				argv[i], sockmictl_try_help);
			return SOCKMICTL_USAGE;
		}
	}

	ctx.cmd = sockmictl_find(i < argc ? argv[i] : "list");
	if (!ctx.cmd) {
		fprintf(stderr, "sockmictl: unknown subcommand '%s'\n%s",
			argv[i], sockmictl_try_help);
		return SOCKMICTL_USAGE;
	}

	/* Options after the subcommand, up to "--": compacted out of argv. */
	n = 0;
	for (i++; i < argc; i++) {
		if (!strcmp(argv[i], "--")) {
			while (i < argc)
				argv[n++] = argv[i++];
			break;
		}
		if (sockmictl_is(argv[i], "-j", "--json"))
			ctx.json = true;
		else if (sockmictl_is(argv[i], "-h", "--help"))
			help = true;
		else
			argv[n++] = argv[i];
	}
	if (help) {
		sockmictl_cmd_usage(stdout, ctx.cmd);
		return SOCKMICTL_OK;
	}
	if (ctx.json && !ctx.cmd->json)
		return sockmictl_usage_error(&ctx, "no JSON output here");

	ret = ctx.cmd->run(&ctx, n, argv);

	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "sockmictl: cannot write output: %s\n",
			strerror(errno));
		return SOCKMICTL_FAILED;
	}
	return ret;
}
