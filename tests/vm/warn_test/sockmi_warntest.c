// SPDX-License-Identifier: GPL-2.0
/*
 * sockmi_warntest - a module that misbehaves on request, to prove that
 * tests/vm/run notices kernel warnings and crashes.
 *
 *   insmod sockmi_warntest.ko            loads cleanly
 *   insmod sockmi_warntest.ko warn=1     WARN()s, then loads (returns 0)
 *   insmod sockmi_warntest.ko bug=1      BUG()s: an Oops, a panic with oops=panic
 */
#include <linux/bug.h>
#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "WARN() at load time");

static bool bug;
module_param(bug, bool, 0444);
MODULE_PARM_DESC(bug, "BUG() at load time");

static int __init sockmi_warntest_init(void)
{
	if (warn)
		WARN(1, "sockmi_warntest: warning requested with warn=1\n");
	if (bug)
		BUG();
	return 0;
}

static void __exit sockmi_warntest_exit(void)
{
}

module_init(sockmi_warntest_init);
module_exit(sockmi_warntest_exit);

MODULE_DESCRIPTION("Self-test module of the SockMi VM runner: WARN()/BUG() on request");
MODULE_LICENSE("GPL");
