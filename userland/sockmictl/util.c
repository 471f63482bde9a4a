// SPDX-License-Identifier: GPL-2.0
/*
 * What sockmictl's subcommands share: messages and kernel requests.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sockmictl.h"

/* Starting a dump over this many times means it keeps changing. */
#define SOCKMICTL_DUMP_TRIES 10

static void sockmictl_verror(const struct sockmictl_ctx *ctx, const char *fmt,
			     va_list ap)
{
	fprintf(stderr, "sockmictl: %s: ", ctx->cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void sockmictl_error(const struct sockmictl_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sockmictl_verror(ctx, fmt, ap);
	va_end(ap);
}

void sockmictl_cmd_usage(FILE *f, const struct sockmictl_cmd *cmd)
{
	fprintf(f, "Usage: sockmictl %s%s%s\n", cmd->name,
		cmd->args[0] ? " " : "", cmd->args);
}

int sockmictl_usage_error(const struct sockmictl_ctx *ctx, const char *fmt,
			  ...)
{
	va_list ap;

	va_start(ap, fmt);
	sockmictl_verror(ctx, fmt, ap);
	va_end(ap);
	sockmictl_cmd_usage(stderr, ctx->cmd);
	return SOCKMICTL_USAGE;
}

int sockmictl_no_args(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	if (argc > 0 && argv[0][0] == '-' && argv[0][1])
		return sockmictl_usage_error(ctx, "unknown option '%s'",
					     argv[0]);
	if (argc > 0)
		return sockmictl_usage_error(ctx, "unexpected argument '%s'",
					     argv[0]);
	return SOCKMICTL_OK;
}

int sockmictl_nl_error(const struct sockmictl_ctx *ctx,
		       const struct sockmi_nl_error *e)
{
	char buf[SOCKMI_NL_MSG_LEN + SOCKMI_NL_ATTR_LEN + 128];

	sockmi_nl_strerror(e, buf, sizeof(buf));
	/*
	 * Every command and the events group need it; the kernel says no
	 * more than EPERM.
	 */
	if (e->err == EPERM && !(e->kernel && e->msg[0]))
		sockmictl_error(ctx, "%s (CAP_NET_ADMIN is required)", buf);
	else
		sockmictl_error(ctx, "%s", buf);
	return SOCKMICTL_FAILED;
}

void sockmictl_nl_warning(const struct sockmictl_ctx *ctx,
			  const struct sockmi_nl_error *e)
{
	if (!e->err && e->msg[0])
		sockmictl_error(ctx, "warning: %s", e->msg);
}

int sockmictl_open(struct sockmi_nl **nl)
{
	struct sockmi_nl_error e;
	char buf[SOCKMI_NL_MSG_LEN + 128];

	if (!sockmi_nl_open(nl, &e))
		return SOCKMICTL_OK;
	/* Not about the subcommand: "sockmictl: sockmi: ... not found". */
	fprintf(stderr, "sockmictl: %s\n", sockmi_nl_strerror(&e, buf,
							      sizeof(buf)));
	return SOCKMICTL_FAILED;
}

struct sockmictl_dump_ctx {
	struct sockmictl_msgs *msgs;
	const char *why;
};

static int sockmictl_dump_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmictl_dump_ctx *d = arg;
	struct sockmictl_msgs *msgs = d->msgs;
	struct sockmi_msg m;
	int ret;

	ret = sockmi_msg_parse(nlh, &m, &d->why);
	if (ret)
		return ret;
	if (msgs->n == msgs->size) {
		size_t size = msgs->size ? 2 * msgs->size : 16;
		struct sockmi_msg *msg = reallocarray(msgs->msg, size,
						      sizeof(*msg));

		if (!msg)
			return -ENOMEM;
		msgs->msg = msg;
		msgs->size = size;
	}
	msgs->msg[msgs->n++] = m;
	return 0;
}

int sockmictl_dump(const struct sockmictl_ctx *ctx, struct sockmi_nl *nl,
		   uint8_t cmd, struct sockmictl_msgs *msgs)
{
	struct sockmictl_dump_ctx d = { .msgs = msgs };
	struct sockmi_nl_error e;
	int tries, ret;

	for (tries = 0; tries < SOCKMICTL_DUMP_TRIES; tries++) {
		struct nl_msg *msg = sockmi_nl_msg_new(nl, cmd, NLM_F_DUMP);

		msgs->n = 0;
		d.why = NULL;
		if (!msg) {
			sockmictl_error(ctx, "%s", strerror(ENOMEM));
			return SOCKMICTL_FAILED;
		}
		ret = sockmi_nl_request(nl, msg, sockmictl_dump_msg, &d, &e);
		nlmsg_free(msg);
		if (ret != -EINTR || e.kernel)
			break;
	}
	if (ret && !e.kernel && d.why) {
		sockmictl_error(ctx, "malformed reply from the kernel: %s",
				d.why);
		return SOCKMICTL_FAILED;
	}
	if (ret)
		return sockmictl_nl_error(ctx, &e);
	sockmictl_nl_warning(ctx, &e);
	return SOCKMICTL_OK;
}

void sockmictl_msgs_free(struct sockmictl_msgs *msgs)
{
	free(msgs->msg);
	memset(msgs, 0, sizeof(*msgs));
}
