/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The -j SOCKMI rules redirection needs, one per family:
 *
 *	iptables -t raw -A PREROUTING -j SOCKMI
 *	ip6tables -t raw -A PREROUTING -j SOCKMI
 *
 * sockmid adds each at start unless it is there already (iptables -C), and
 * at exit deletes the ones it added -- unless redirected connections of
 * that family still need it (an xt_SOCKMI flow remains): those outlive
 * the daemon, and so does their rule. Its own rules carry the comment
 * "sockmid" (-m comment): a rule of the administrator's, without it, is
 * never touched, and one left by a killed daemon is taken over by the
 * next. --no-rules leaves all of it to the administrator.
 */

#ifndef SOCKMID_RULES_H
#define SOCKMID_RULES_H

#include <stdbool.h>
#include <stddef.h>

#include "kernel.h"

struct sockmid_rules {
	bool added[2];		/* iptables, ip6tables */
};

/**
 * sockmid_rules_install - add the rules that are missing
 * @r: remembers what was added
 * @err: why it failed: the command, its exit status and what it said;
 *	 a missing extension (libxt_SOCKMI.so) is named as such
 * @errlen: room at @err
 *
 * On failure the rules added so far are deleted again.
 *
 * Return: 0 or -1.
 */
int sockmid_rules_install(struct sockmid_rules *r, char *err, size_t errlen);

/* Delete the rules @r added, but those flows of @k still need. */
void sockmid_rules_remove(struct sockmid_rules *r, struct sockmid_kernel *k);

#endif /* SOCKMID_RULES_H */
