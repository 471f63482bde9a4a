/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The smallest test harness: one line per check, "ok - NAME" or
 * "not ok - NAME", and main() returns non-zero if any failed.
 */

#ifndef SOCKMI_TESTS_TAP_H
#define SOCKMI_TESTS_TAP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct tap {
	const char *suite;
	int failed;
};

__attribute__((format(printf, 3, 4)))
static inline bool tap_ok(struct tap *t, bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - %s: ", ok ? "ok" : "not ok", t->suite);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	if (!ok)
		t->failed++;
	fflush(stdout);
	return ok;
}

__attribute__((format(printf, 3, 4)))
static inline void tap_skip(struct tap *t, const char *why, const char *fmt,
			    ...)
{
	va_list ap;

	printf("ok - %s: ", t->suite);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", why);
	fflush(stdout);
}

/* Explains a failure on stderr, as a TAP comment would. */
__attribute__((format(printf, 1, 2)))
static inline void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static inline int tap_done(const struct tap *t)
{
	return t->failed ? 1 : 0;
}

#endif /* SOCKMI_TESTS_TAP_H */
