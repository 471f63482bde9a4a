// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl flows: the redirection flows xt_SOCKMI holds in this network
 * namespace (SOCKMI_CMD_GET_FLOW).
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sockmictl.h"

static bool sockmictl_flow_has(const struct sockmi_flow *f,
			       enum sockmi_flow_attr attr)
{
	return (f->present >> attr) & 1U;
}

static json_object *sockmictl_flow_json(const struct sockmi_flow *f)
{
	json_object *obj = json_object_new_object();

	if (sockmictl_flow_has(f, SOCKMI_FLOW_A_TUPLE))
		sockmictl_json_tuple(obj, &f->tuple);
	if (sockmictl_flow_has(f, SOCKMI_FLOW_A_ACTION))
		sockmictl_json_name(obj, "action",
				    sockmi_flow_action_name(f->action),
				    f->action);
	if (sockmictl_flow_has(f, SOCKMI_FLOW_A_VIA))
		json_object_object_add(obj, "via", sockmictl_json_addr(&f->via));
	if (sockmictl_flow_has(f, SOCKMI_FLOW_A_PACKETS))
		json_object_object_add(obj, "packets",
				       json_object_new_uint64(f->packets));
	if (sockmictl_flow_has(f, SOCKMI_FLOW_A_BYTES))
		json_object_object_add(obj, "bytes",
				       json_object_new_uint64(f->bytes));
	return obj;
}

static int sockmictl_flows_text(FILE *f, const struct sockmictl_msgs *msgs)
{
	static const char *const head[] = {
		"LOCAL", "REMOTE", "ACTION", "VIA", "PACKETS", "BYTES",
	};
	struct sockmictl_table t;
	size_t i;

	if (sockmictl_table_init(&t, 6))
		return -ENOMEM;
	sockmictl_table_row(&t, head);
	for (i = 0; i < msgs->n; i++) {
		const struct sockmi_flow *fl = &msgs->msg[i].flow;
		char local[SOCKMI_ADDRSTRLEN] = "-", remote[SOCKMI_ADDRSTRLEN] = "-";
		char via[SOCKMI_ADDRSTRLEN] = "-", action[SOCKMICTL_NAMELEN];
		char packets[24] = "-", bytes[24] = "-";
		const char *row[] = {
			local, remote, "-", via, packets, bytes,
		};

		/* Messages without a flow carry nothing to show. */
		if (!sockmi_msg_has(&msgs->msg[i], SOCKMI_A_FLOW))
			continue;
		if (sockmictl_flow_has(fl, SOCKMI_FLOW_A_TUPLE)) {
			sockmi_addr_format(&fl->tuple.local, true, local,
					   sizeof(local));
			if (fl->tuple.has_remote)
				sockmi_addr_format(&fl->tuple.remote, true,
						   remote, sizeof(remote));
		}
		if (sockmictl_flow_has(fl, SOCKMI_FLOW_A_ACTION))
			row[2] = sockmictl_name(sockmi_flow_action_name(fl->action),
						fl->action, action,
						sizeof(action));
		if (sockmictl_flow_has(fl, SOCKMI_FLOW_A_VIA))
			sockmi_addr_format(&fl->via, true, via, sizeof(via));
		if (sockmictl_flow_has(fl, SOCKMI_FLOW_A_PACKETS))
			snprintf(packets, sizeof(packets), "%" PRIu64,
				 fl->packets);
		if (sockmictl_flow_has(fl, SOCKMI_FLOW_A_BYTES))
			snprintf(bytes, sizeof(bytes), "%" PRIu64, fl->bytes);
		sockmictl_table_row(&t, row);
	}
	if (t.failed) {
		sockmictl_table_free(&t);
		return -ENOMEM;
	}
	/* The header alone says nothing: an empty table prints nothing. */
	if (t.rows > 1)
		sockmictl_table_print(f, &t);
	sockmictl_table_free(&t);
	return 0;
}

int sockmictl_flows_print(FILE *f, bool json,
			  const struct sockmictl_msgs *msgs)
{
	json_object *arr;
	size_t i;

	if (!json)
		return sockmictl_flows_text(f, msgs);
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < msgs->n; i++)
		if (sockmi_msg_has(&msgs->msg[i], SOCKMI_A_FLOW))
			json_object_array_add(arr,
					      sockmictl_flow_json(&msgs->msg[i].flow));
	sockmictl_json_print(f, arr);
	json_object_put(arr);
	return 0;
}

int sockmictl_flows(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	struct sockmictl_msgs msgs = { 0 };
	struct sockmi_nl *nl;
	int ret;

	ret = sockmictl_no_args(ctx, argc, argv);
	if (ret)
		return ret;
	ret = sockmictl_open(&nl);
	if (ret)
		return ret;
	ret = sockmictl_dump(ctx, nl, SOCKMI_CMD_GET_FLOW, &msgs);
	sockmi_nl_close(nl);
	if (!ret && sockmictl_flows_print(stdout, ctx->json, &msgs)) {
		sockmictl_error(ctx, "%s", strerror(ENOMEM));
		ret = SOCKMICTL_FAILED;
	}
	sockmictl_msgs_free(&msgs);
	return ret;
}
