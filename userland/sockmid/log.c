// SPDX-License-Identifier: GPL-2.0
/*
 * Logging, see log.h.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"
#include "wire.h"

static bool sockmid_log_stderr = true;
static bool sockmid_log_journal;
static bool sockmid_log_debug;

/* Dropped messages logged in the current second, and those left out. */
static uint64_t sockmid_drop_second;
static unsigned int sockmid_drop_logged;
static unsigned long sockmid_drop_skipped;

#define SOCKMID_DROPS_PER_SECOND 10

void sockmid_log_init(bool to_stderr, bool verbose)
{
	sockmid_log_stderr = to_stderr;
	sockmid_log_debug = verbose;
	sockmid_log_journal = to_stderr && getenv("JOURNAL_STREAM");
	if (!to_stderr)
		openlog("sockmid", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void sockmid_log_verbose(bool verbose)
{
	sockmid_log_debug = verbose;
}

static void sockmid_vlog(int prio, const char *fmt, va_list ap)
{
	static const char *const level[] = {
		[LOG_EMERG] = "emergency: ", [LOG_ALERT] = "alert: ",
		[LOG_CRIT] = "critical: ", [LOG_ERR] = "error: ",
		[LOG_WARNING] = "warning: ", [LOG_NOTICE] = "",
		[LOG_INFO] = "", [LOG_DEBUG] = "debug: ",
	};

	if (prio == LOG_DEBUG && !sockmid_log_debug)
		return;
	if (!sockmid_log_stderr) {
		vsyslog(prio, fmt, ap);
		return;
	}
	if (sockmid_log_journal)
		fprintf(stderr, "<%d>", prio);
	else
		fprintf(stderr, "sockmid: %s", level[prio & 7]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void sockmid_log(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sockmid_vlog(prio, fmt, ap);
	va_end(ap);
}

void sockmid_log_drop(const char *fmt, ...)
{
	uint64_t second = sockmid_monotonic_ms() / 1000;
	va_list ap;

	if (second != sockmid_drop_second) {
		sockmid_drop_second = second;
		sockmid_drop_logged = 0;
	}
	if (sockmid_drop_logged >= SOCKMID_DROPS_PER_SECOND) {
		sockmid_drop_skipped++;
		return;
	}
	sockmid_drop_logged++;
	if (sockmid_drop_skipped) {
		log_warn("%lu more dropped messages were not logged",
			 sockmid_drop_skipped);
		sockmid_drop_skipped = 0;
	}
	va_start(ap, fmt);
	sockmid_vlog(LOG_WARNING, fmt, ap);
	va_end(ap);
}
