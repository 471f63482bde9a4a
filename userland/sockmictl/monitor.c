// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl monitor: print the SockMi events of this network namespace (the
 * *_NOTIFY messages of the "events" multicast group), one line each, until
 * SIGINT or SIGTERM.
 */

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sockmictl.h"

struct sockmictl_monitor {
	const struct sockmictl_ctx *ctx;
	const char *why;
};

static json_object *sockmictl_event_json(const char *event,
					 const struct sockmi_msg *m)
{
	json_object *obj = json_object_new_object();

	json_object_object_add(obj, "event", json_object_new_string(event));
	if (sockmi_msg_has(m, SOCKMI_A_ID))
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
	if (sockmi_msg_has(m, SOCKMI_A_TO))
		json_object_object_add(obj, "to", sockmictl_json_addr(&m->to));
	if (sockmi_msg_has(m, SOCKMI_A_FLAGS))
		json_object_object_add(obj, "flags",
				       json_object_new_uint64(m->flags));
	if (sockmi_msg_has(m, SOCKMI_A_FD))
		json_object_object_add(obj, "fd", json_object_new_uint64(m->fd));
	if (sockmi_msg_has(m, SOCKMI_A_PID))
		json_object_object_add(obj, "pid",
				       json_object_new_uint64(m->pid));
	if (sockmi_msg_has(m, SOCKMI_A_FLOW) &&
	    (m->flow.present >> SOCKMI_FLOW_A_ACTION) & 1U) {
		json_object *flow = json_object_new_object();

		sockmictl_json_name(flow, "action",
				    sockmi_flow_action_name(m->flow.action),
				    m->flow.action);
		if ((m->flow.present >> SOCKMI_FLOW_A_VIA) & 1U)
			json_object_object_add(flow, "via",
					       sockmictl_json_addr(&m->flow.via));
		json_object_object_add(obj, "flow", flow);
	}
	return obj;
}

/* "export id 7 state ESTABLISHED local 192.0.2.1:80 remote ..." */
static void sockmictl_event_text(FILE *f, const char *event,
				 const struct sockmi_msg *m)
{
	char buf[SOCKMI_ADDRSTRLEN];
	const char *name;

	fputs(event, f);
	if (sockmi_msg_has(m, SOCKMI_A_ID))
		fprintf(f, " id %" PRIu64, m->id);
	if (sockmi_msg_has(m, SOCKMI_A_LIST)) {
		name = sockmi_list_name(m->list);
		fprintf(f, " list %s",
			sockmictl_name(name, m->list, buf, sizeof(buf)));
	}
	if (sockmi_msg_has(m, SOCKMI_A_TCP_STATE)) {
		name = sockmi_tcp_state_name(m->tcp_state);
		fprintf(f, " state %s",
			sockmictl_name(name, m->tcp_state, buf, sizeof(buf)));
	}
	if (sockmi_msg_has(m, SOCKMI_A_TUPLE)) {
		fprintf(f, " local %s", sockmi_addr_format(&m->tuple.local,
							   true, buf,
							   sizeof(buf)));
		if (m->tuple.has_remote)
			fprintf(f, " remote %s",
				sockmi_addr_format(&m->tuple.remote, true,
						   buf, sizeof(buf)));
	}
	if (sockmi_msg_has(m, SOCKMI_A_TO))
		fprintf(f, " to %s",
			sockmi_addr_format(&m->to, true, buf, sizeof(buf)));
	if (sockmi_msg_has(m, SOCKMI_A_PID))
		fprintf(f, " pid %" PRIu32, m->pid);
	if (sockmi_msg_has(m, SOCKMI_A_FD))
		fprintf(f, " fd %" PRIu32, m->fd);
	if (sockmi_msg_has(m, SOCKMI_A_FLAGS) && m->flags)
		fprintf(f, " flags 0x%" PRIx32, m->flags);
	if (sockmi_msg_has(m, SOCKMI_A_FLOW) &&
	    (m->flow.present >> SOCKMI_FLOW_A_ACTION) & 1U) {
		name = sockmi_flow_action_name(m->flow.action);
		fprintf(f, " flow %s",
			sockmictl_name(name, m->flow.action, buf, sizeof(buf)));
		if ((m->flow.present >> SOCKMI_FLOW_A_VIA) & 1U)
			fprintf(f, " via %s",
				sockmi_addr_format(&m->flow.via, true, buf,
						   sizeof(buf)));
	}
	fputc('\n', f);
}

bool sockmictl_event_print(FILE *f, bool json, const struct sockmi_msg *m)
{
	const char *event = sockmi_event_name(m->cmd);
	json_object *obj;

	if (!event)
		return false;
	if (!json) {
		sockmictl_event_text(f, event, m);
		return true;
	}
	obj = sockmictl_event_json(event, m);
	sockmictl_json_print(f, obj);
	json_object_put(obj);
	return true;
}

static int sockmictl_monitor_msg(const struct nlmsghdr *nlh, void *arg)
{
	struct sockmictl_monitor *mon = arg;
	struct sockmi_msg m;

	if (sockmi_msg_parse(nlh, &m, &mon->why)) {
		/* One bad event does not end the monitor. */
		sockmictl_error(mon->ctx, "malformed event from the kernel: %s",
				mon->why);
		return 0;
	}
	if (!sockmictl_event_print(stdout, mon->ctx->json, &m))
		return 0;
	/* Whoever reads a pipe wants each event as it happens. */
	if (fflush(stdout))
		return -errno;
	return 0;
}

int sockmictl_monitor(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	struct sockmictl_monitor mon = { .ctx = ctx };
	struct sockmi_nl_error e;
	struct pollfd pfd[2];
	struct sockmi_nl *nl;
	sigset_t sigs, old;
	int ret, sfd;

	ret = sockmictl_no_args(ctx, argc, argv);
	if (ret)
		return ret;
	ret = sockmictl_open(&nl);
	if (ret)
		return ret;
	if (sockmi_nl_join(nl, SOCKMI_GENL_MCGRP_EVENTS, &e)) {
		ret = sockmictl_nl_error(ctx, &e);
		goto out_close;
	}

	/* SIGINT and SIGTERM end the loop through a descriptor, cleanly. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &sigs, &old)) {
		sockmictl_error(ctx, "cannot block signals: %s",
				strerror(errno));
		ret = SOCKMICTL_FAILED;
		goto out_close;
	}
	sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		sockmictl_error(ctx, "cannot create a signalfd: %s",
				strerror(errno));
		ret = SOCKMICTL_FAILED;
		goto out_sigmask;
	}

	pfd[0] = (struct pollfd){ .fd = sockmi_nl_fd(nl), .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	ret = SOCKMICTL_OK;
	for (;;) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			sockmictl_error(ctx, "poll: %s", strerror(errno));
			ret = SOCKMICTL_FAILED;
			break;
		}
		if (pfd[1].revents) {
			struct signalfd_siginfo si;

			/* Consume the signals, so unblocking them is quiet. */
			while (read(sfd, &si, sizeof(si)) == sizeof(si))
				;
			break;
		}
		if (!pfd[0].revents)
			continue;
		if (!sockmi_nl_recv_events(nl, sockmictl_monitor_msg, &mon, &e))
			continue;
		if (e.err == ENOBUFS) {
			/* Lost some; say so and go on. */
			sockmictl_error(ctx, "%s", e.msg);
			continue;
		}
		ret = sockmictl_nl_error(ctx, &e);
		break;
	}

	close(sfd);
out_sigmask:
	sigprocmask(SIG_SETMASK, &old, NULL);
out_close:
	sockmi_nl_close(nl);
	return ret;
}
