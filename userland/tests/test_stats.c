// SPDX-License-Identifier: GPL-2.0
/*
 * Decoding of GET_STATS replies (common/proto.c) and their JSON and text
 * rendering (sockmictl/stats.c).
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "sockmictl.h"
#include "tap.h"

#define FAKE_FAMILY 0x42

static const char full_json[] =
	"{\"exports\":1,\"commits\":2,\"aborts\":3,\"stages\":4,"
	"\"stage_errors\":5,\"imports\":6,\"unstages\":7,"
	"\"bytes\":18446744073709551615,\"exporting\":9,\"staged_bound\":10,"
	"\"staged_listen\":11,\"staged_connected\":12}";

static const char full_text[] =
	"exports:          1\n"
	"commits:          2\n"
	"aborts:           3\n"
	"stages:           4\n"
	"stage_errors:     5\n"
	"imports:          6\n"
	"unstages:         7\n"
	"bytes:            18446744073709551615\n"
	"exporting:        9\n"
	"staged_bound:     10\n"
	"staged_listen:    11\n"
	"staged_connected: 12\n";

static void fill(struct sockmi_stats *s)
{
	unsigned int i;

	memset(s, 0, sizeof(*s));
	for (i = SOCKMI_STATS_A_EXPORTS; i <= SOCKMI_STATS_A_MAX; i++) {
		s->val[i] = i - SOCKMI_STATS_A_EXPORTS + 1;
		s->present |= 1U << i;
	}
	s->val[SOCKMI_STATS_A_BYTES] = UINT64_MAX;
}

static char *render_text(const struct sockmi_stats *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	sockmictl_stats_text(f, s);
	fclose(f);
	return buf;
}

static bool json_is(const struct sockmi_stats *s, const char *want)
{
	json_object *obj = sockmictl_stats_json(s);
	const char *got = json_object_to_json_string_ext(obj,
							 JSON_C_TO_STRING_PLAIN);
	bool ok = !strcmp(got, want);

	if (!ok)
		tap_diag("got %s", got);
	json_object_put(obj);
	return ok;
}

/* A GET_STATS reply as the kernel builds it, with padding attributes. */
static struct nl_msg *reply(bool short_counter)
{
	struct nl_msg *msg = nlmsg_alloc();
	struct nlattr *nest;
	unsigned int i;

	genlmsg_put(msg, 0, 1, FAKE_FAMILY, 0, 0, SOCKMI_CMD_GET_STATS, 1);
	nest = sockmi_nest_start(msg, SOCKMI_A_STATS);
	for (i = SOCKMI_STATS_A_EXPORTS; i <= SOCKMI_STATS_A_MAX; i++) {
		nla_put(msg, SOCKMI_STATS_A_PAD, 0, NULL);
		if (short_counter && i == SOCKMI_STATS_A_ABORTS)
			nla_put_u32(msg, (int)i, 3);
		else
			nla_put_u64(msg, (int)i, i == SOCKMI_STATS_A_BYTES ?
				    UINT64_MAX : i - SOCKMI_STATS_A_EXPORTS + 1);
	}
	/* A counter from a newer kernel is ignored. */
	nla_put_u64(msg, SOCKMI_STATS_A_MAX + 1, 99);
	nla_nest_end(msg, nest);
	return msg;
}

int main(void)
{
	struct tap t = { .suite = "stats" };
	struct sockmi_stats s;
	struct sockmi_msg m;
	struct nl_msg *msg;
	const char *why = NULL;
	char *text;
	int ret;

	fill(&s);
	tap_ok(&t, json_is(&s, full_json), "JSON of every counter");

	memset(&s, 0, sizeof(s));
	tap_ok(&t, json_is(&s, "{}"), "JSON of no counter");

	fill(&s);
	s.present &= ~(1U << SOCKMI_STATS_A_COMMITS);
	s.present &= ~(1U << SOCKMI_STATS_A_STAGED_CONNECTED);
	tap_ok(&t, json_is(&s,
			   "{\"exports\":1,\"aborts\":3,\"stages\":4,"
			   "\"stage_errors\":5,\"imports\":6,\"unstages\":7,"
			   "\"bytes\":18446744073709551615,\"exporting\":9,"
			   "\"staged_bound\":10,\"staged_listen\":11}"),
	       "JSON leaves out counters the kernel did not send");

	fill(&s);
	text = render_text(&s);
	tap_ok(&t, text && !strcmp(text, full_text), "text of every counter");
	if (text && strcmp(text, full_text) != 0)
		tap_diag("got:\n%s", text);
	free(text);

	msg = reply(false);
	ret = sockmi_msg_parse(nlmsg_hdr(msg), &m, &why);
	tap_ok(&t, !ret && m.cmd == SOCKMI_CMD_GET_STATS &&
		   sockmi_msg_has(&m, SOCKMI_A_STATS) &&
		   !sockmi_msg_has(&m, SOCKMI_A_ID),
	       "decodes a GET_STATS reply");
	fill(&s);
	tap_ok(&t, !ret && m.stats.present == s.present &&
		   !memcmp(m.stats.val, s.val, sizeof(s.val)),
	       "decodes every counter, skipping padding");
	tap_ok(&t, !ret && json_is(&m.stats, full_json),
	       "JSON of a decoded reply");
	nlmsg_free(msg);

	msg = reply(true);
	ret = sockmi_msg_parse(nlmsg_hdr(msg), &m, &why);
	tap_ok(&t, ret == -EBADMSG && why && strstr(why, "SOCKMI_A_STATS"),
	       "refuses a counter that is not 64 bits");
	nlmsg_free(msg);
	return tap_done(&t);
}
