/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockmid's settings: one table of keys, read from the command line
 * (--KEY [VALUE]) and from the configuration file (KEY [VALUE] lines), the
 * command line winning key by key.
 *
 * The file, /etc/sockmi/sockmid.conf by default:
 *
 *	# comment, up to the end of the line
 *	KEY VALUE		or	KEY = VALUE
 *	FLAG			(a key that takes no value)
 *
 * Blank lines are ignored; a key appears once, except the repeatable ones
 * (peer, takeover); whitespace around keys and values is ignored; values
 * contain no whitespace. Unknown keys, missing or extra values, and lines
 * longer than SOCKMID_CONF_LINE_MAX are errors naming the file and line.
 */

#ifndef SOCKMID_CONFIG_H
#define SOCKMID_CONFIG_H

#include <limits.h>
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "addr.h"

#define SOCKMID_CONF_DEFAULT "/etc/sockmi/sockmid.conf"
#define SOCKMID_CONF_LINE_MAX 1024
#define SOCKMID_PEERS_MAX 64
#define SOCKMID_TAKEOVER_MAX 64

/* Defaults. The group is admin-scoped (RFC 2365), not IPVS's. */
#define SOCKMID_DEFAULT_GROUP "239.255.77.1"
#define SOCKMID_DEFAULT_PORT 8877
#define SOCKMID_DEFAULT_TIMEOUT_MS 2000
#define SOCKMID_DEFAULT_WINDOW_MS 200

enum sockmid_policy {
	SOCKMID_POLICY_FIRST,
	SOCKMID_POLICY_LEAST_LOADED,
};

/* The keys; their names are those of the long options. */
enum sockmid_key {
	SOCKMID_K_GROUP,
	SOCKMID_K_PORT,
	SOCKMID_K_IFACE,
	SOCKMID_K_PEER,
	SOCKMID_K_KEY,
	SOCKMID_K_INSECURE,
	SOCKMID_K_POLICY,
	SOCKMID_K_TIMEOUT,
	SOCKMID_K_WINDOW,
	SOCKMID_K_TAKEOVER,
	SOCKMID_K_FOREGROUND,
	SOCKMID_K_VERBOSE,
	SOCKMID_K_NO_RULES,
	__SOCKMID_K_MAX
};

/**
 * struct sockmid_takeover - a service address that moves with its sockets
 * @addr: the address
 * @plen: the prefix length the importer gives it
 */
struct sockmid_takeover {
	struct sockmi_addr addr;
	uint8_t plen;
};

/**
 * struct sockmid_config - every setting
 * @set: bit N: key N was given (in the file or on the command line)
 * @group: the multicast group
 * @port: UDP port of the negotiation and TCP port of the transfer
 * @iface: interface for multicast and for taken-over addresses, or ""
 * @peers: unicast mode: the daemons to ask, with their port or @port
 * @key_file: the shared key, or ""
 * @insecure: run without a key
 * @policy: how the exporter picks among offers
 * @timeout_ms: how long each step of a migration may take
 * @window_ms: least-loaded: how long offers are collected
 * @takeover: addresses that move with their connections
 * @foreground: do not daemonize, log to stderr
 * @verbose: log debug messages too
 * @no_rules: leave the -j SOCKMI rules to the administrator
 */
struct sockmid_config {
	uint32_t set;
	struct sockmi_addr group;
	uint16_t port;
	char iface[IF_NAMESIZE];
	struct sockmi_addr peers[SOCKMID_PEERS_MAX];
	unsigned int npeers;
	char key_file[PATH_MAX];
	bool insecure;
	enum sockmid_policy policy;
	unsigned int timeout_ms;
	unsigned int window_ms;
	struct sockmid_takeover takeover[SOCKMID_TAKEOVER_MAX];
	unsigned int ntakeover;
	bool foreground;
	bool verbose;
	bool no_rules;
};

/** sockmid_config_init - every key at its default, none set */
void sockmid_config_init(struct sockmid_config *c);

/**
 * sockmid_config_key - look a key up by name
 * @name: e.g. "timeout"
 *
 * Return: the key, or -1.
 */
int sockmid_config_key(const char *name);

/* The key's name, e.g. "timeout". */
const char *sockmid_config_key_name(enum sockmid_key key);

/* The key takes a value (flags do not). */
bool sockmid_config_key_has_value(enum sockmid_key key);

/**
 * sockmid_config_set - give a key its value
 * @c: the settings
 * @key: which
 * @value: its text; NULL for flags
 * @err: on error, why (for a message "KEY: @err")
 * @errlen: room at @err
 *
 * A key given twice is an error, except peer and takeover, which add.
 *
 * Return: 0 or -1.
 */
int sockmid_config_set(struct sockmid_config *c, enum sockmid_key key,
		       const char *value, char *err, size_t errlen);

/**
 * sockmid_config_parse - read a configuration file's text
 * @c: the settings, from sockmid_config_init()
 * @f: the file
 * @name: its name, for messages
 * @err: on error, "NAME:LINE: what is wrong"
 * @errlen: room at @err
 *
 * Return: 0 or -1.
 */
int sockmid_config_parse(struct sockmid_config *c, FILE *f, const char *name,
			 char *err, size_t errlen);

/**
 * sockmid_config_merge - apply the keys set in @over on top of @base
 * @base: from the file; the result
 * @over: from the command line; a repeatable key given there replaces the
 *	  file's list
 */
void sockmid_config_merge(struct sockmid_config *base,
			  const struct sockmid_config *over);

/**
 * sockmid_config_check - the settings make sense together
 * @c: the settings
 * @err: why not
 * @errlen: room at @err
 *
 * Return: 0 or -1.
 */
int sockmid_config_check(const struct sockmid_config *c, char *err,
			 size_t errlen);

/* The key is set. */
static inline bool sockmid_config_has(const struct sockmid_config *c,
				      enum sockmid_key key)
{
	return (c->set >> key) & 1U;
}

/**
 * sockmid_config_takeover - find a takeover address
 * @c: the settings
 * @addr: the address (its port is ignored; IPv4-mapped is IPv4)
 *
 * Return: the entry, or NULL.
 */
const struct sockmid_takeover *
sockmid_config_takeover(const struct sockmid_config *c,
			const struct sockmi_addr *addr);

/*
 * sockmid_addr_unmapped - @a, an IPv4-mapped IPv6 address (::ffff:A.B.C.D,
 * what an IPv6 socket shows of an IPv4 peer) turned into IPv4
 */
struct sockmi_addr sockmid_addr_unmapped(const struct sockmi_addr *a);

/* Equal addresses, ports ignored. */
bool sockmid_addr_equal(const struct sockmi_addr *a, const struct sockmi_addr *b);

#endif /* SOCKMID_CONFIG_H */
