// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl list: the staged sockets and the exports in progress of this
 * network namespace (SOCKMI_CMD_GET_STAGED).
 */

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "sockmictl.h"

static void sockmictl_list_flags(uint32_t flags, char *buf, size_t len)
{
	buf[0] = '\0';
	if (flags & SOCKMI_STAGE_F_PENDING)
		snprintf(buf, len, "pending");
	flags &= ~(uint32_t)SOCKMI_STAGE_F_PENDING;
	if (flags)
		snprintf(buf + strlen(buf), len - strlen(buf), "%s0x%" PRIx32,
			 buf[0] ? "," : "", flags);
}

static json_object *sockmictl_list_entry_json(const struct sockmi_msg *m)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "id", json_object_new_uint64(m->id));
	if (sockmi_msg_has(m, SOCKMI_A_LIST))
		sockmictl_json_name(obj, "list",
				    sockmi_list_name(m->list),
				    m->list);
	if (sockmi_msg_has(m, SOCKMI_A_TCP_STATE))
		sockmictl_json_name(obj, "tcp_state",
				    sockmi_tcp_state_name(m->tcp_state),
				    m->tcp_state);
	if (sockmi_msg_has(m, SOCKMI_A_TUPLE))
		sockmictl_json_tuple(obj, &m->tuple);
	if (sockmi_msg_has(m, SOCKMI_A_FLAGS)) {
		json_object *flags = json_object_new_array();
		uint32_t rest = m->flags & ~(uint32_t)SOCKMI_STAGE_F_PENDING;

		if (m->flags & SOCKMI_STAGE_F_PENDING)
			json_object_array_add(flags,
					      json_object_new_string("pending"));
		if (rest) {
			char buf[16];

			snprintf(buf, sizeof(buf), "0x%" PRIx32, rest);
			json_object_array_add(flags, json_object_new_string(buf));
		}
		json_object_object_add(obj, "flags", flags);
	}
	return obj;
}

static int sockmictl_list_text(FILE *f, const struct sockmictl_msgs *msgs)
{
	static const char *const head[] = {
		"ID", "LIST", "STATE", "LOCAL", "REMOTE", "FLAGS",
	};
	struct sockmictl_table t;
	size_t i;

	if (!msgs->n)
		return 0;
	if (sockmictl_table_init(&t, 6))
		return -ENOMEM;
	sockmictl_table_row(&t, head);
	for (i = 0; i < msgs->n; i++) {
		const struct sockmi_msg *m = &msgs->msg[i];
		char id[24], list[SOCKMICTL_NAMELEN], state[SOCKMICTL_NAMELEN];
		char local[SOCKMI_ADDRSTRLEN] = "-", remote[SOCKMI_ADDRSTRLEN] = "-";
		char flags[32] = "-";
		const char *row[] = {
			id, "-", "-", local, remote, flags,
		};

		snprintf(id, sizeof(id), "%" PRIu64, m->id);
		if (sockmi_msg_has(m, SOCKMI_A_LIST))
			row[1] = sockmictl_name(sockmi_list_name(m->list),
						m->list, list, sizeof(list));
		if (sockmi_msg_has(m, SOCKMI_A_TCP_STATE))
			row[2] = sockmictl_name(sockmi_tcp_state_name(m->tcp_state),
						m->tcp_state, state,
						sizeof(state));
		if (sockmi_msg_has(m, SOCKMI_A_TUPLE)) {
			sockmi_addr_format(&m->tuple.local, true, local,
					   sizeof(local));
			if (m->tuple.has_remote)
				sockmi_addr_format(&m->tuple.remote, true,
						   remote, sizeof(remote));
		}
		if (sockmi_msg_has(m, SOCKMI_A_FLAGS) && m->flags)
			sockmictl_list_flags(m->flags, flags, sizeof(flags));
		sockmictl_table_row(&t, row);
	}
	if (t.failed) {
		sockmictl_table_free(&t);
		return -ENOMEM;
	}
	sockmictl_table_print(f, &t);
	sockmictl_table_free(&t);
	return 0;
}

int sockmictl_list_print(FILE *f, bool json, const struct sockmictl_msgs *msgs)
{
	json_object *arr;
	size_t i;

	if (!json)
		return sockmictl_list_text(f, msgs);
	arr = json_object_new_array();
	if (!arr)
		return -ENOMEM;
	for (i = 0; i < msgs->n; i++)
		json_object_array_add(arr,
				      sockmictl_list_entry_json(&msgs->msg[i]));
	sockmictl_json_print(f, arr);
	json_object_put(arr);
	return 0;
}

int sockmictl_list(const struct sockmictl_ctx *ctx, int argc, char *argv[])
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
	ret = sockmictl_dump(ctx, nl, SOCKMI_CMD_GET_STAGED, &msgs);
	sockmi_nl_close(nl);
	if (!ret && sockmictl_list_print(stdout, ctx->json, &msgs)) {
		sockmictl_error(ctx, "%s", strerror(ENOMEM));
		ret = SOCKMICTL_FAILED;
	}
	sockmictl_msgs_free(&msgs);
	return ret;
}
