// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl import [state bound|listen|connected] [local ADDR[:PORT]]
 *	[remote ADDR[:PORT]] [timeout MS] [--stdio] -- CMD [ARGS...]
 *
 * Waits for a staged socket that matches (import_socket(3)) and executes
 * CMD with it, in place of this process: by the systemd socket-activation
 * protocol (descriptor 3, LISTEN_FDS=1, LISTEN_PID=its pid, which is ours
 * since exec keeps it), or with --stdio as descriptors 0 and 1, the way
 * inetd starts a service. CMD is looked up before anything is imported:
 * a missing program costs no connection.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"
#include "sockmictl.h"

/* Where the socket goes: the first descriptor systemd passes. */
#define SOCKMICTL_LISTEN_FDS_START 3

static int sockmictl_import_states(const char *val, unsigned int *states)
{
	char buf[64], *p = buf, *tok;

	if (strlen(val) >= sizeof(buf))
		return -1;
	strcpy(buf, val);
	while ((tok = strsep(&p, ","))) {
		if (!strcmp(tok, "bound"))
			*states |= SOCKMI_BOUND;
		else if (!strcmp(tok, "listen"))
			*states |= SOCKMI_LISTENING;
		else if (!strcmp(tok, "connected"))
			*states |= SOCKMI_CONNECTED;
		else
			return -1;	/* empty words too: "", "a,", "a,,b" */
	}
	return 0;
}

static int sockmictl_import_ms(const char *str, int *ms)
{
	long v = 0;
	const char *p;

	if (!*str)
		return -1;
	for (p = str; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > INT_MAX)
			return -1;
	}
	*ms = (int)v;
	return 0;
}

int sockmictl_import_parse(int argc, char *const argv[],
			   struct sockmictl_import_args *args, char *err,
			   size_t errlen)
{
	bool has_states = false, has_timeout = false;
	const char *why;
	int i;

	memset(args, 0, sizeof(*args));
	args->timeout = -1;
	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		const char *key = argv[i];
		const char *val = i + 1 < argc && strcmp(argv[i + 1], "--") ?
				  argv[i + 1] : NULL;
		struct sockmi_addr *addr = NULL;
		bool *seen;

		if (!strcmp(key, "--stdio")) {
			if (args->stdio) {
				snprintf(err, errlen, "'--stdio' given twice");
				return -1;
			}
			args->stdio = true;
			continue;
		}
		if (!strcmp(key, "state")) {
			seen = &has_states;
		} else if (!strcmp(key, "local")) {
			seen = &args->has_local;
			addr = &args->local;
		} else if (!strcmp(key, "remote")) {
			seen = &args->has_remote;
			addr = &args->remote;
		} else if (!strcmp(key, "timeout")) {
			seen = &has_timeout;
		} else {
			snprintf(err, errlen,
				 "unexpected argument '%s' (expected state, local, remote, timeout, --stdio or --)",
				 key);
			return -1;
		}
		if (*seen) {
			snprintf(err, errlen, "'%s' given twice", key);
			return -1;
		}
		if (!val) {
			snprintf(err, errlen, "missing value after '%s'", key);
			return -1;
		}
		*seen = true;
		i++;
		if (seen == &has_states) {
			if (sockmictl_import_states(val, &args->states)) {
				snprintf(err, errlen,
					 "invalid state '%s' (expected bound, listen, connected, or several joined by commas)",
					 val);
				return -1;
			}
		} else if (seen == &has_timeout) {
			if (sockmictl_import_ms(val, &args->timeout)) {
				snprintf(err, errlen,
					 "invalid timeout '%s': milliseconds, 0 to %d",
					 val, INT_MAX);
				return -1;
			}
		} else if (sockmi_addr_parse(val, SOCKMI_PORT_OPTIONAL, addr,
					     &why)) {
			snprintf(err, errlen, "invalid address '%s': %s", val,
				 why);
			return -1;
		}
	}
	if (!has_states)
		args->states = SOCKMI_ANY_STATE;
	if (args->has_local && args->has_remote &&
	    args->local.family != args->remote.family) {
		snprintf(err, errlen,
			 "local and remote addresses of different families");
		return -1;
	}
	if (i >= argc) {
		snprintf(err, errlen, "missing '-- CMD' to run with the socket");
		return -1;
	}
	if (i + 1 >= argc) {
		snprintf(err, errlen, "missing command after '--'");
		return -1;
	}
	args->cmd = &argv[i + 1];
	args->ncmd = argc - i - 1;
	return 0;
}

void sockmictl_import_req(const struct sockmictl_import_args *args,
			  struct import_req *req)
{
	const struct sockmi_addr *addrs[2] = { &args->local, &args->remote };
	union sockmi_sockaddr *sas[2] = { &req->local, &req->remote };
	const bool has[2] = { args->has_local, args->has_remote };
	int i;

	memset(req, 0, sizeof(*req));
	req->fd = -1;
	req->states = args->states;
	for (i = 0; i < 2; i++) {
		const struct sockmi_addr *a = addrs[i];
		union sockmi_sockaddr *sa = sas[i];
		uint16_t port = a->has_port ? a->port : 0;

		if (!has[i])
			continue;
		if (a->family == AF_INET) {
			sa->sin.sin_family = AF_INET;
			sa->sin.sin_addr = a->in;
			sa->sin.sin_port = htons(port);
		} else {
			sa->sin6.sin6_family = AF_INET6;
			sa->sin6.sin6_addr = a->in6;
			sa->sin6.sin6_port = htons(port);
		}
	}
}

/*
 * The program execv() will run: @name itself when it has a slash, else
 * the first executable of that name in $PATH (execvp()'s default when
 * unset). Return: 0, or the exit status to give up with (127, 126).
 */
static int sockmictl_import_which(const struct sockmictl_ctx *ctx,
				  const char *name, char *path, size_t len)
{
	const char *dirs = getenv("PATH");
	const char *p, *end;

	if (strchr(name, '/')) {
		if ((size_t)snprintf(path, len, "%s", name) >= len)
			goto notfound;
		if (!access(path, X_OK))
			return 0;
		sockmictl_error(ctx, "%s: %s", name, strerror(errno));
		return errno == ENOENT ? 127 : 126;
	}
	if (!dirs)
		dirs = "/bin:/usr/bin";
	for (p = dirs; ; p = end + 1) {
		int n;

		end = strchrnul(p, ':');
		n = snprintf(path, len, "%.*s%s%s", (int)(end - p), p,
			     end > p ? "/" : "", name);
		if (n > 0 && (size_t)n < len && !access(path, X_OK))
			return 0;
		if (!*end)
			break;
	}
notfound:
	sockmictl_error(ctx, "%s: command not found", name);
	return 127;
}

/* A fresh unconnected socket as descriptor @target, without FD_CLOEXEC. */
static int sockmictl_import_placeholder(int target)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (fd == target)
		return fcntl(fd, F_SETFD, 0);
	if (dup2(fd, target) < 0) {
		close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The systemd protocol's variables for CMD, or none of them. */
static int sockmictl_import_env(bool listen_fds)
{
	char pid[16];

	unsetenv("LISTEN_FDNAMES");
	if (!listen_fds)
		return unsetenv("LISTEN_FDS") | unsetenv("LISTEN_PID");
	/* exec keeps our pid: it is CMD's. */
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return setenv("LISTEN_FDS", "1", 1) | setenv("LISTEN_PID", pid, 1);
}

/* After a failed exec: stage the socket here again rather than lose it. */
static void sockmictl_import_giveback(const struct sockmictl_ctx *ctx, int fd)
{
	struct sockmi_nl_error e;
	struct sockmi_nl *nl;
	int ret;

	if (sockmi_nl_open(&nl, &e)) {
		sockmictl_error(ctx, "the connection is lost");
		return;
	}
	ret = sockmi_lib_restage(nl, fd);
	sockmi_nl_close(nl);
	if (ret)
		sockmictl_error(ctx, "cannot stage the socket again (%s): the connection is lost",
				strerror(-ret));
	else
		sockmictl_error(ctx, "the socket is staged again");
}

/* Import, pass the socket on and exec: returns only on failure. */
static int sockmictl_import_run(const struct sockmictl_ctx *ctx,
				const struct sockmictl_import_args *args,
				const char *path, char **cmd)
{
	int target = args->stdio ? STDIN_FILENO : SOCKMICTL_LISTEN_FDS_START;
	struct import_req req;
	int ret;

	if (sockmictl_import_placeholder(target)) {
		sockmictl_error(ctx, "cannot prepare descriptor %d: %s",
				target, strerror(errno));
		return SOCKMICTL_FAILED;
	}
	sockmictl_import_req(args, &req);
	req.fd = target;
	ret = import_socket(&req, 1, args->timeout);
	if (ret < 0) {
		sockmictl_error(ctx, "%s: %s", sockmi_strerror(errno),
				sockmi_last_error());
		return SOCKMICTL_FAILED;
	}
	if (!ret) {
		sockmictl_error(ctx, "no matching socket within %d ms",
				args->timeout);
		return SOCKMICTL_FAILED;
	}

	if ((args->stdio && dup2(STDIN_FILENO, STDOUT_FILENO) < 0) ||
	    sockmictl_import_env(!args->stdio)) {
		sockmictl_error(ctx, "cannot pass the socket on: %s",
				strerror(errno));
		sockmictl_import_giveback(ctx, target);
		return SOCKMICTL_FAILED;
	}
	execv(path, cmd);
	ret = errno;
	/* Our standard output must not write into the connection. */
	if (args->stdio)
		dup2(STDERR_FILENO, STDOUT_FILENO);
	sockmictl_error(ctx, "%s: %s", path, strerror(ret));
	sockmictl_import_giveback(ctx, target);
	return ret == ENOENT ? 127 : 126;
}

int sockmictl_import(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	struct sockmictl_import_args args;
	char err[160], path[PATH_MAX];
	char **cmd;
	int ret;

	if (sockmictl_import_parse(argc, argv, &args, err, sizeof(err)))
		return sockmictl_usage_error(ctx, "%s", err);
	/* execv() wants the words NULL-terminated. */
	cmd = calloc((size_t)args.ncmd + 1, sizeof(*cmd));
	if (!cmd) {
		sockmictl_error(ctx, "%s", strerror(ENOMEM));
		return SOCKMICTL_FAILED;
	}
	memcpy(cmd, args.cmd, (size_t)args.ncmd * sizeof(*cmd));
	ret = sockmictl_import_which(ctx, cmd[0], path, sizeof(path));
	if (!ret)
		ret = sockmictl_import_run(ctx, &args, path, cmd);
	free(cmd);
	return ret;
}
