/* SPDX-License-Identifier: GPL-2.0 */
/*
 * IP takeover: the exporter drops a service address, the importer adds it
 * and tells the link at once -- a gratuitous ARP request and reply for
 * IPv4, an unsolicited neighbour advertisement with the override flag for
 * IPv6 -- so that neighbours' caches point at the importer without waiting
 * for their entries to go stale.
 */

#ifndef SOCKMID_TAKEOVER_H
#define SOCKMID_TAKEOVER_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/**
 * sockmid_addr_lookup - where this host has an address
 * @a: the address
 * @ifindex: its interface
 * @plen: its prefix length
 *
 * Return: 0, or -ENOENT when this host does not have it.
 */
int sockmid_addr_lookup(const struct sockmi_addr *a, int *ifindex,
			uint8_t *plen);

/**
 * sockmid_addr_change - add or remove an address (RTM_NEWADDR/DELADDR)
 * @add: add, else remove
 * @ifindex: the interface
 * @a: the address
 * @plen: its prefix length
 * @err: why it failed
 * @errlen: room at @err
 *
 * IPv6 addresses are added without duplicate address detection: the
 * address was just given up by its previous holder. Adding an address the
 * interface has already succeeds.
 *
 * Return: 0 or a negative errno.
 */
int sockmid_addr_change(bool add, int ifindex, const struct sockmi_addr *a,
			uint8_t plen, char *err, size_t errlen);

/**
 * sockmid_route_ifindex - the interface this host would reach @dst by
 *
 * Return: the interface index, or a negative errno.
 */
int sockmid_route_ifindex(const struct sockmi_addr *dst);

/* The source address this host would use to reach @dst; 0 or -errno. */
int sockmid_route_source(const struct sockmi_addr *dst,
			 struct sockmi_addr *src);

/**
 * sockmid_announce - tell the link that @a is now at this interface
 * @ifindex: the interface
 * @a: the address, present on it
 * @err: why it failed
 * @errlen: room at @err
 *
 * Return: 0 or a negative errno.
 */
int sockmid_announce(int ifindex, const struct sockmi_addr *a, char *err,
		     size_t errlen);

#endif /* SOCKMID_TAKEOVER_H */
