// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl stats: the SockMi counters of this network namespace.
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sockmictl.h"

json_object *sockmictl_stats_json(const struct sockmi_stats *stats)
{
	json_object *obj = json_object_new_object();
	unsigned int i;

	for (i = 1; i <= SOCKMI_STATS_A_MAX; i++) {
		const char *name = sockmi_stats_name(i);

		if (name && (stats->present >> i) & 1U)
			json_object_object_add(obj, name,
					       json_object_new_uint64(stats->val[i]));
	}
	return obj;
}

void sockmictl_stats_text(FILE *f, const struct sockmi_stats *stats)
{
	int width = 0;
	unsigned int i;

	for (i = 1; i <= SOCKMI_STATS_A_MAX; i++) {
		const char *name = sockmi_stats_name(i);

		if (name && (stats->present >> i) & 1U &&
		    (int)strlen(name) > width)
			width = (int)strlen(name);
	}
	for (i = 1; i <= SOCKMI_STATS_A_MAX; i++) {
		const char *name = sockmi_stats_name(i);

		if (name && (stats->present >> i) & 1U)
			fprintf(f, "%s:%*s %" PRIu64 "\n", name,
				width - (int)strlen(name), "", stats->val[i]);
	}
}

struct sockmictl_stats_reply {
	struct sockmi_stats stats;
	bool got;
	const char *why;
};

static int sockmictl_stats_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmictl_stats_reply *r = arg;
	struct sockmi_msg m;
	int ret;

	ret = sockmi_msg_parse(nlh, &m, &r->why);
	if (ret)
		return ret;
	if (!sockmi_msg_has(&m, SOCKMI_A_STATS)) {
		r->why = "no SOCKMI_A_STATS";
		return -EBADMSG;
	}
	r->stats = m.stats;
	r->got = true;
	return 0;
}

int sockmictl_stats(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	struct sockmictl_stats_reply r = { 0 };
	struct sockmi_nl_error e;
	struct sockmi_nl *nl;
	struct nl_msg *msg;
	int ret;

	ret = sockmictl_no_args(ctx, argc, argv);
	if (ret)
		return ret;
	ret = sockmictl_open(&nl);
	if (ret)
		return ret;
	msg = sockmi_nl_msg_new(nl, SOCKMI_CMD_GET_STATS, 0);
	if (!msg) {
		sockmi_nl_close(nl);
		sockmictl_error(ctx, "%s", strerror(ENOMEM));
		return SOCKMICTL_FAILED;
	}
	ret = sockmi_nl_request(nl, msg, sockmictl_stats_msg, &r, &e);
	nlmsg_free(msg);
	sockmi_nl_close(nl);
	if (ret && !e.kernel && r.why) {
		sockmictl_error(ctx, "malformed reply from the kernel: %s",
				r.why);
		return SOCKMICTL_FAILED;
	}
	if (ret)
		return sockmictl_nl_error(ctx, &e);
	sockmictl_nl_warning(ctx, &e);
	if (!r.got) {
		sockmictl_error(ctx, "the kernel sent no counters");
		return SOCKMICTL_FAILED;
	}

	if (ctx->json) {
		json_object *obj = sockmictl_stats_json(&r.stats);

		sockmictl_json_print(stdout, obj);
		json_object_put(obj);
	} else {
		sockmictl_stats_text(stdout, &r.stats);
	}
	return SOCKMICTL_OK;
}
