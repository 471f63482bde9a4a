/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockmid's log: syslog(3) when it runs as a daemon; stderr in the
 * foreground, with "<N>" priority prefixes when stderr is the journal
 * (systemd sets JOURNAL_STREAM), so that every line keeps its level.
 * One line per message, no trailing newline in formats.
 */

#ifndef SOCKMID_LOG_H
#define SOCKMID_LOG_H

#include <stdbool.h>
#include <syslog.h>

/**
 * sockmid_log_init - where the log goes
 * @to_stderr: stderr (foreground), else syslog
 * @verbose: log LOG_DEBUG messages too
 */
void sockmid_log_init(bool to_stderr, bool verbose);
void sockmid_log_verbose(bool verbose);

__attribute__((format(printf, 2, 3)))
void sockmid_log(int prio, const char *fmt, ...);

/*
 * sockmid_log_drop - log a dropped message, at most 10 a second; the
 * count of those left out is logged with the next one that passes.
 */
__attribute__((format(printf, 1, 2)))
void sockmid_log_drop(const char *fmt, ...);

#define log_err(...) sockmid_log(LOG_ERR, __VA_ARGS__)
#define log_warn(...) sockmid_log(LOG_WARNING, __VA_ARGS__)
#define log_notice(...) sockmid_log(LOG_NOTICE, __VA_ARGS__)
#define log_info(...) sockmid_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) sockmid_log(LOG_DEBUG, __VA_ARGS__)

#endif /* SOCKMID_LOG_H */
