// SPDX-License-Identifier: GPL-2.0
/*
 * The net.sockmi sysctl table, one per network namespace.
 */

#include <linux/capability.h>
#include <linux/inet.h>
#include <linux/slab.h>
#include <linux/sysctl.h>
#include <net/ipv6.h>

#include "compat.h"
#include "sockmi.h"

static int sockmi_len_max = SOCKMI_LIMIT_MAX_LEN;
static int sockmi_timeout_max = 3600;

/* "to=ADDR": an IPv4 or IPv6 address, v4-mapped for IPv4. */
static int sockmi_parse_to(const char *s, struct sockmi_export_req *req)
{
	__be32 a4;

	if (in4_pton(s, -1, (u8 *)&a4, -1, NULL)) {
		req->to_family = AF_INET;
		ipv6_addr_set_v4mapped(a4, &req->to);
	} else if (in6_pton(s, -1, req->to.s6_addr, -1, NULL)) {
		req->to_family = AF_INET6;
	} else {
		return -EINVAL;
	}
	req->has_to = true;
	return 0;
}

/**
 * sockmi_parse_export - parse "pid=P fd=F [to=ADDR]", in any order
 * @buf: NUL-terminated, modified
 * @req: the request
 */
int sockmi_parse_export(char *buf, struct sockmi_export_req *req)
{
	bool have_pid = false, have_fd = false;
	char *tok, *val;
	int ret;

	memset(req, 0, sizeof(*req));
	while ((tok = strsep(&buf, " \t\n"))) {
		if (!*tok)
			continue;
		val = strchr(tok, '=');
		if (!val)
			return -EINVAL;
		*val++ = '\0';
		if (!strcmp(tok, "pid") && !have_pid) {
			ret = kstrtoint(val, 10, &req->pid);
			if (ret || req->pid <= 0)
				return -EINVAL;
			have_pid = true;
		} else if (!strcmp(tok, "fd") && !have_fd) {
			ret = kstrtoint(val, 10, &req->fd);
			if (ret || req->fd < 0)
				return -EINVAL;
			have_fd = true;
		} else if (!strcmp(tok, "to") && !req->has_to) {
			ret = sockmi_parse_to(val, req);
			if (ret)
				return ret;
		} else {
			return -EINVAL;
		}
	}
	return have_pid && have_fd ? 0 : -EINVAL;
}
EXPORT_SYMBOL_GPL(sockmi_parse_export);

/* Writing net.sockmi.export exports a socket, as SOCKMI_CMD_EXPORT does. */
static int sockmi_sysctl_export(SOCKMI_CTL_TABLE_CONST struct ctl_table *table,
				int write, void *buffer, size_t *lenp,
				loff_t *ppos)
{
	struct sockmi_net *sn = table->data;
	struct sockmi_export_req req;
	struct sockmi_entry e;
	char *buf;
	int ret;

	if (!write)
		return -EPERM;
	if (!ns_capable(sn->net->user_ns, CAP_NET_ADMIN))
		return -EPERM;
	if (*ppos || *lenp > 256)
		return -EINVAL;
	buf = kmemdup_nul(buffer, *lenp, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = sockmi_parse_export(buf, &req);
	kfree(buf);
	if (!ret)
		ret = sockmi_export(sn->net, &req, &e, NULL);
	if (ret)
		return ret;
	*ppos += *lenp;
	return 0;
}

static const struct ctl_table sockmi_sysctl_template[] = {
	{
		.procname = "max_bound",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
		.extra2 = &sockmi_len_max,
	},
	{
		.procname = "max_listen",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
		.extra2 = &sockmi_len_max,
	},
	{
		.procname = "max_connected",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ZERO,
		.extra2 = &sockmi_len_max,
	},
	{
		.procname = "export_timeout",
		.maxlen = sizeof(int),
		.mode = 0644,
		.proc_handler = proc_dointvec_minmax,
		.extra1 = SYSCTL_ONE,
		.extra2 = &sockmi_timeout_max,
	},
	{
		.procname = "export",
		.mode = 0200,
		.proc_handler = sockmi_sysctl_export,
	},
	{ }	/* the sentinel 6.1 needs; not counted on 6.6 and later */
};

int sockmi_sysctl_init(struct sockmi_net *sn)
{
	struct ctl_table *table;
	int i;

	table = kmemdup(sockmi_sysctl_template, sizeof(sockmi_sysctl_template),
			GFP_KERNEL);
	if (!table)
		return -ENOMEM;

	/* The first entries follow enum sockmi_list. */
	for (i = 0; i < SOCKMI_NR_LIMITED_LISTS; i++)
		table[i].data = &sn->max_len[i];
	table[i++].data = &sn->export_timeout;
	table[i].data = sn;

	sn->sysctl = sockmi_register_net_sysctl(sn->net, "net/sockmi", table,
						ARRAY_SIZE(sockmi_sysctl_template) - 1);
	if (!sn->sysctl) {
		kfree(table);
		return -ENOMEM;
	}
	return 0;
}

void sockmi_sysctl_exit(struct sockmi_net *sn)
{
	const struct ctl_table *table = sn->sysctl->ctl_table_arg;

	unregister_net_sysctl_table(sn->sysctl);
	kfree(table);
}
