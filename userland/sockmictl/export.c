// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl export pid P fd F [to ADDR[:PORT]]: freeze a TCP socket of a
 * process and checkpoint it for migration (SOCKMI_CMD_EXPORT). Prints the
 * export id.
 */

#include <inttypes.h>
#include <limits.h>
#include <string.h>

#include "internal.h"
#include "sockmictl.h"

/* A decimal number in [min, max]: digits only, no sign, no spaces. */
static int sockmictl_u32_parse(const char *str, uint32_t min, uint32_t max,
			       uint32_t *val)
{
	uint64_t v = 0;
	const char *p;

	if (!*str)
		return -1;
	for (p = str; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > max)
			return -1;
	}
	if (v < min)
		return -1;
	*val = (uint32_t)v;
	return 0;
}

int sockmictl_export_parse(int argc, char *const argv[],
			   struct sockmictl_export_args *args, char *err,
			   size_t errlen)
{
	bool has_pid = false, has_fd = false;
	const char *why;
	int i;

	memset(args, 0, sizeof(*args));
	for (i = 0; i < argc; i += 2) {
		const char *key = argv[i];
		const char *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool *seen;

		if (!strcmp(key, "pid"))
			seen = &has_pid;
		else if (!strcmp(key, "fd"))
			seen = &has_fd;
		else if (!strcmp(key, "to"))
			seen = &args->has_to;
		else {
			snprintf(err, errlen,
				 "unexpected argument '%s' (expected pid, fd or to)",
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
		if (seen == &has_pid) {
			if (sockmictl_u32_parse(val, 1, INT_MAX, &args->pid)) {
				snprintf(err, errlen,
					 "invalid pid '%s': not a process id",
					 val);
				return -1;
			}
		} else if (seen == &has_fd) {
			if (sockmictl_u32_parse(val, 0, INT_MAX, &args->fd)) {
				snprintf(err, errlen,
					 "invalid fd '%s': not a descriptor number",
					 val);
				return -1;
			}
		} else if (sockmi_addr_parse(val, SOCKMI_PORT_OPTIONAL,
					     &args->to, &why)) {
			snprintf(err, errlen, "invalid address '%s': %s", val,
				 why);
			return -1;
		}
	}
	if (!has_pid) {
		snprintf(err, errlen, "missing 'pid PID'");
		return -1;
	}
	if (!has_fd) {
		snprintf(err, errlen, "missing 'fd FD'");
		return -1;
	}
	return 0;
}

static void sockmictl_export_print(const struct sockmictl_ctx *ctx,
				   const struct sockmi_msg *m)
{
	json_object *obj;

	if (!ctx->json) {
		printf("%" PRIu64 "\n", m->id);
		return;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "id", json_object_new_uint64(m->id));
	if (sockmi_msg_has(m, SOCKMI_A_TCP_STATE))
		sockmictl_json_name(obj, "tcp_state",
				    sockmi_tcp_state_name(m->tcp_state),
				    m->tcp_state);
	if (sockmi_msg_has(m, SOCKMI_A_TUPLE))
		sockmictl_json_tuple(obj, &m->tuple);
	sockmictl_json_print(stdout, obj);
	json_object_put(obj);
}

int sockmictl_export(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	struct sockmictl_export_args args;
	struct sockmi_nl_error e;
	struct sockmi_nl *nl;
	struct sockmi_msg m;
	char err[160];
	int ret;

	if (sockmictl_export_parse(argc, argv, &args, err, sizeof(err)))
		return sockmictl_usage_error(ctx, "%s", err);
	ret = sockmictl_open(&nl);
	if (ret)
		return ret;
	/* The request export_socket(3) makes, but with its reply. */
	ret = sockmi_lib_export(nl, args.pid, args.fd,
				args.has_to ? &args.to : NULL, &m, &e);
	sockmi_nl_close(nl);
	if (ret)
		return sockmictl_nl_error(ctx, &e);
	sockmictl_nl_warning(ctx, &e);
	sockmictl_export_print(ctx, &m);
	return SOCKMICTL_OK;
}
