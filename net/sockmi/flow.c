// SPDX-License-Identifier: GPL-2.0
/*
 * The redirection flow table lives in xt_SOCKMI.ko, which may be loaded or
 * not, before or after us. It registers its operations here on load; the
 * genl family finds them here and pins the module while it uses them.
 */

#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/rcupdate.h>

#include "sockmi.h"

static const struct sockmi_flow_ops __rcu *sockmi_flow_ops;
static DEFINE_MUTEX(sockmi_flow_ops_lock);

/**
 * sockmi_set_flow_ops - offer a flow table, or withdraw it with %NULL
 * @ops: the table's operations; they must stay valid until withdrawn
 *
 * Returns -EBUSY when another table is registered. Withdrawing waits until
 * no caller can still be entering @ops.
 */
int sockmi_set_flow_ops(const struct sockmi_flow_ops *ops)
{
	int ret = 0;

	mutex_lock(&sockmi_flow_ops_lock);
	if (ops && rcu_access_pointer(sockmi_flow_ops))
		ret = -EBUSY;
	else
		rcu_assign_pointer(sockmi_flow_ops, ops);
	mutex_unlock(&sockmi_flow_ops_lock);
	if (!ops)
		synchronize_rcu();
	return ret;
}
EXPORT_SYMBOL_GPL(sockmi_set_flow_ops);

/**
 * sockmi_flow_ops_get - the flow table's operations, with its module pinned
 *
 * Returns %NULL when xt_SOCKMI is not loaded (or is going away). Give the
 * result back with sockmi_flow_ops_put().
 */
const struct sockmi_flow_ops *sockmi_flow_ops_get(void)
{
	const struct sockmi_flow_ops *ops;

	rcu_read_lock();
	ops = rcu_dereference(sockmi_flow_ops);
	if (ops && !try_module_get(ops->owner))
		ops = NULL;
	rcu_read_unlock();
	return ops;
}
EXPORT_SYMBOL_GPL(sockmi_flow_ops_get);

void sockmi_flow_ops_put(const struct sockmi_flow_ops *ops)
{
	module_put(ops->owner);
}
EXPORT_SYMBOL_GPL(sockmi_flow_ops_put);
