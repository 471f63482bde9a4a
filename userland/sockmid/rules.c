// SPDX-License-Identifier: GPL-2.0
/*
 * The -j SOCKMI rules, see rules.h. iptables(8) is run as a program: it
 * knows the backend in use (nft or legacy) and finds the extension through
 * XTABLES_LIBDIR like any other.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "log.h"
#include "rules.h"

static const char *const sockmid_ipt[2] = { "iptables", "ip6tables" };

/* The comment that marks our rules, to tell them from the admin's. */
#define SOCKMID_RULE_COMMENT "sockmid"

/*
 * Run "PROG -w -t raw OP PREROUTING [-m comment --comment sockmid] -j
 * SOCKMI" (@mine: with the comment); its output (stdout and stderr, the
 * first @outlen - 1 bytes) in @out. Return: its exit status, 127 when it
 * cannot be run, or -errno.
 */
static int sockmid_ipt_run(const char *prog, const char *op, bool mine,
			   char *out, size_t outlen)
{
	const char *argv[] = { prog, "-w", "-t", "raw", op, "PREROUTING",
			       "-m", "comment", "--comment", SOCKMID_RULE_COMMENT,
			       "-j", "SOCKMI", NULL };
	size_t len = 0;
	int pfd[2], status, ret;
	pid_t pid;
	ssize_t n;

	out[0] = '\0';
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		ret = -errno;
		close(pfd[0]);
		close(pfd[1]);
		return ret;
	}
	if (!pid) {
		int null = open("/dev/null", O_RDONLY);

		if (null >= 0)
			dup2(null, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		if (!mine) {
			argv[6] = "-j";
			argv[7] = "SOCKMI";
			argv[8] = NULL;
		}
		execvp(prog, (char *const *)argv);
		dprintf(2, "cannot run %s: %s", prog, strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		char buf[256];

		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (len + 1 < outlen) {
			size_t k = (size_t)n < outlen - 1 - len ?
				   (size_t)n : outlen - 1 - len;

			memcpy(out + len, buf, k);
			len += k;
			out[len] = '\0';
		}
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	/* One line for the logs. */
	while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
		out[--len] = '\0';
	for (size_t i = 0; i < len; i++)
		if (out[i] == '\n')
			out[i] = ' ';
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void sockmid_ipt_error(int fam, const char *op, int status,
			      const char *out, char *err, size_t errlen)
{
	const char *libdir = getenv("XTABLES_LIBDIR");

	/* iptables-nft takes an unknown target for a chain. */
	if (strstr(out, "ouldn't load target") ||
	    strstr(out, "Chain 'SOCKMI' does not exist"))
		snprintf(err, errlen,
			 "%s cannot find its SOCKMI extension (libxt_SOCKMI.so) in %s%s: install it (make install) or point XTABLES_LIBDIR at the directory holding it, e.g. userland/iptables plus the system's xtables directory; or run with --no-rules and add the rule yourself (%s said: %s)",
			 sockmid_ipt[fam], libdir ? "XTABLES_LIBDIR=" : "",
			 libdir ? libdir : "the default xtables directory",
			 sockmid_ipt[fam], out);
	else if (strstr(out, "ouldn't load"))
		snprintf(err, errlen,
			 "%s cannot load an extension it needs in %s%s (%s); add the system's xtables directory to XTABLES_LIBDIR, or run with --no-rules",
			 sockmid_ipt[fam], libdir ? "XTABLES_LIBDIR=" : "",
			 libdir ? libdir : "the default xtables directory", out);
	else if (status == 127)
		snprintf(err, errlen, "%s: %s; install it or run with --no-rules",
			 sockmid_ipt[fam], out[0] ? out : "cannot be run");
	else if (status < 0)
		snprintf(err, errlen, "cannot run %s: %s", sockmid_ipt[fam],
			 strerror(-status));
	else
		snprintf(err, errlen,
			 "%s -t raw %s PREROUTING -j SOCKMI failed (exit status %d): %s",
			 sockmid_ipt[fam], op, status,
			 out[0] ? out : "no message");
}

int sockmid_rules_install(struct sockmid_rules *r, char *err, size_t errlen)
{
	char out[512];
	int fam, st;

	memset(r, 0, sizeof(*r));
	for (fam = 0; fam < 2; fam++) {
		/*
		 * 0: there; 1: missing; anything else: trouble. The
		 * administrator's first (it needs no extension but ours),
		 * then one a killed sockmid left.
		 */
		st = sockmid_ipt_run(sockmid_ipt[fam], "-C", false, out,
				     sizeof(out));
		if (st == 0) {
			log_info("%s -t raw PREROUTING -j SOCKMI: present, left to the administrator",
				 sockmid_ipt[fam]);
			continue;
		}
		if (st == 1 && strstr(out, "Chain 'SOCKMI' does not exist"))
			st = 2;
		if (st == 1 && !strstr(out, "ouldn't load"))
			st = sockmid_ipt_run(sockmid_ipt[fam], "-C", true, out,
					     sizeof(out));
		if (st == 0) {
			r->added[fam] = true;
			log_info("%s -t raw PREROUTING -j SOCKMI: left by a previous sockmid, kept",
				 sockmid_ipt[fam]);
			continue;
		}
		if (st == 1 && !strstr(out, "ouldn't load"))
			st = sockmid_ipt_run(sockmid_ipt[fam], "-A", true, out,
					     sizeof(out));
		if (st) {
			sockmid_ipt_error(fam, st == 1 ? "-C" : "-A", st, out,
					  err, errlen);
			sockmid_rules_remove(r, NULL);
			return -1;
		}
		r->added[fam] = true;
		log_info("added %s -t raw -A PREROUTING -j SOCKMI",
			 sockmid_ipt[fam]);
	}
	return 0;
}

/* Redirected connections (REDIRECT, ANSWER_AS) of each family. */
static int sockmid_rules_count(const struct sockmi_msg *m, void *arg)
{
	unsigned int *n = arg;
	const struct sockmi_flow *fl = &m->flow;
	bool v4;

	if (!sockmi_msg_has(m, SOCKMI_A_FLOW) ||
	    (fl->action != SOCKMI_FLOW_REDIRECT &&
	     fl->action != SOCKMI_FLOW_ANSWER_AS))
		return 0;
	v4 = fl->tuple.family == AF_INET ||
	     (fl->tuple.family == AF_INET6 &&
	      IN6_IS_ADDR_V4MAPPED(&fl->tuple.local.in6));
	n[v4 ? 0 : 1]++;
	return 0;
}

void sockmid_rules_remove(struct sockmid_rules *r, struct sockmid_kernel *k)
{
	unsigned int busy[2] = { 0, 0 };
	struct sockmi_nl_error e;
	char out[512], err[768];
	int fam, st;

	if (k && (r->added[0] || r->added[1]) &&
	    sockmid_kernel_flows(k, sockmid_rules_count, busy, &e))
		log_warn("cannot list the flows; removing the rules anyway");
	for (fam = 0; fam < 2; fam++) {
		if (!r->added[fam])
			continue;
		if (busy[fam]) {
			log_warn("%s -t raw PREROUTING -j SOCKMI left in place: %u redirected connection%s still need%s it",
				 sockmid_ipt[fam], busy[fam],
				 busy[fam] == 1 ? "" : "s",
				 busy[fam] == 1 ? "s" : "");
			continue;
		}
		st = sockmid_ipt_run(sockmid_ipt[fam], "-D", true, out,
				     sizeof(out));
		if (st) {
			sockmid_ipt_error(fam, "-D", st, out, err, sizeof(err));
			log_err("%s", err);
			continue;
		}
		r->added[fam] = false;
		log_info("removed %s -t raw -A PREROUTING -j SOCKMI",
			 sockmid_ipt[fam]);
	}
}
