// SPDX-License-Identifier: GPL-2.0
/*
 * sockmid's settings, see config.h.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

static const struct {
	const char *name;
	bool value;
} sockmid_keys[__SOCKMID_K_MAX] = {
	[SOCKMID_K_GROUP] = { "group", true },
	[SOCKMID_K_PORT] = { "port", true },
	[SOCKMID_K_IFACE] = { "iface", true },
	[SOCKMID_K_PEER] = { "peer", true },
	[SOCKMID_K_KEY] = { "key", true },
	[SOCKMID_K_INSECURE] = { "insecure", false },
	[SOCKMID_K_POLICY] = { "policy", true },
	[SOCKMID_K_TIMEOUT] = { "timeout", true },
	[SOCKMID_K_WINDOW] = { "window", true },
	[SOCKMID_K_TAKEOVER] = { "takeover", true },
	[SOCKMID_K_FOREGROUND] = { "foreground", false },
	[SOCKMID_K_VERBOSE] = { "verbose", false },
	[SOCKMID_K_NO_RULES] = { "no-rules", false },
};

/* Longest timeout or window: one hour. */
#define SOCKMID_MS_MAX 3600000U

__attribute__((format(printf, 3, 4)))
static int sockmid_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

void sockmid_config_init(struct sockmid_config *c)
{
	const char *why;

	memset(c, 0, sizeof(*c));
	sockmi_addr_parse(SOCKMID_DEFAULT_GROUP, SOCKMI_PORT_FORBIDDEN,
			  &c->group, &why);
	c->port = SOCKMID_DEFAULT_PORT;
	c->policy = SOCKMID_POLICY_FIRST;
	c->timeout_ms = SOCKMID_DEFAULT_TIMEOUT_MS;
	c->window_ms = SOCKMID_DEFAULT_WINDOW_MS;
}

int sockmid_config_key(const char *name)
{
	int i;

	for (i = 0; i < __SOCKMID_K_MAX; i++)
		if (!strcmp(name, sockmid_keys[i].name))
			return i;
	return -1;
}

const char *sockmid_config_key_name(enum sockmid_key key)
{
	return key < __SOCKMID_K_MAX ? sockmid_keys[key].name : "?";
}

bool sockmid_config_key_has_value(enum sockmid_key key)
{
	return key < __SOCKMID_K_MAX && sockmid_keys[key].value;
}

struct sockmi_addr sockmid_addr_unmapped(const struct sockmi_addr *a)
{
	struct sockmi_addr r = *a;

	if (a->family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&a->in6)) {
		sockmi_addr_set(&r, AF_INET, &a->in6.s6_addr[12], 4);
		r.has_port = a->has_port;
		r.port = a->port;
	}
	return r;
}

bool sockmid_addr_equal(const struct sockmi_addr *a, const struct sockmi_addr *b)
{
	if (a->family != b->family)
		return false;
	if (a->family == AF_INET)
		return a->in.s_addr == b->in.s_addr;
	return a->family == AF_INET6 && !memcmp(&a->in6, &b->in6, sizeof(a->in6));
}

static bool sockmid_addr_is_multicast(const struct sockmi_addr *a)
{
	if (a->family == AF_INET)
		return IN_MULTICAST(ntohl(a->in.s_addr));
	return IN6_IS_ADDR_MULTICAST(&a->in6);
}

/* Neither a host's address nor a peer's: multicast, broadcast, any. */
static bool sockmid_addr_not_unicast(const struct sockmi_addr *a)
{
	if (a->family == AF_INET)
		return IN_MULTICAST(ntohl(a->in.s_addr)) ||
		       a->in.s_addr == htonl(INADDR_ANY) ||
		       a->in.s_addr == htonl(INADDR_BROADCAST);
	return IN6_IS_ADDR_MULTICAST(&a->in6) ||
	       IN6_IS_ADDR_UNSPECIFIED(&a->in6);
}

/* Milliseconds: a decimal number in [min, SOCKMID_MS_MAX]. */
static int sockmid_parse_ms(const char *s, unsigned int min, unsigned int *ms,
			    char *err, size_t errlen)
{
	unsigned long v = 0;
	const char *p;

	if (!*s)
		return sockmid_fail(err, errlen, "empty value");
	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return sockmid_fail(err, errlen,
					    "'%s' is not a number of milliseconds",
					    s);
		v = v * 10 + (unsigned long)(*p - '0');
		if (v > SOCKMID_MS_MAX)
			break;
	}
	if (v < min || v > SOCKMID_MS_MAX)
		return sockmid_fail(err, errlen, "%s out of range (%u-%u ms)", s,
				    min, SOCKMID_MS_MAX);
	*ms = (unsigned int)v;
	return 0;
}

/* ADDR or ADDR/PLEN, IPv6 without brackets. */
static int sockmid_parse_takeover(const char *s, struct sockmid_takeover *t,
				  char *err, size_t errlen)
{
	char buf[SOCKMI_ADDRSTRLEN];
	const char *slash = strchr(s, '/'), *why;
	unsigned int plen = 0, max;
	size_t n = slash ? (size_t)(slash - s) : strlen(s);

	if (n >= sizeof(buf))
		return sockmid_fail(err, errlen, "'%s': address too long", s);
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (sockmi_addr_parse(buf, SOCKMI_PORT_FORBIDDEN, &t->addr, &why))
		return sockmid_fail(err, errlen, "'%s': %s", s, why);
	if (sockmid_addr_not_unicast(&t->addr))
		return sockmid_fail(err, errlen,
				    "'%s': not a unicast address", s);
	max = t->addr.family == AF_INET ? 32 : 128;
	if (!slash) {
		t->plen = (uint8_t)max;
		return 0;
	}
	if (!slash[1] || strspn(slash + 1, "0123456789") != strlen(slash + 1) ||
	    strlen(slash + 1) > 3 ||
	    (plen = (unsigned int)atoi(slash + 1)) < 1 || plen > max)
		return sockmid_fail(err, errlen,
				    "'%s': prefix length must be 1-%u", s, max);
	t->plen = (uint8_t)plen;
	return 0;
}

int sockmid_config_set(struct sockmid_config *c, enum sockmid_key key,
		       const char *value, char *err, size_t errlen)
{
	bool repeatable = key == SOCKMID_K_PEER || key == SOCKMID_K_TAKEOVER;
	struct sockmi_addr a;
	const char *why;

	if (key >= __SOCKMID_K_MAX)
		return sockmid_fail(err, errlen, "unknown key");
	if (sockmid_keys[key].value && !value)
		return sockmid_fail(err, errlen, "missing value");
	if (!sockmid_keys[key].value && value)
		return sockmid_fail(err, errlen, "takes no value (got '%s')",
				    value);
	if (!repeatable && sockmid_config_has(c, key))
		return sockmid_fail(err, errlen, "given twice");

	switch (key) {
	case SOCKMID_K_GROUP:
		if (sockmi_addr_parse(value, SOCKMI_PORT_FORBIDDEN, &a, &why))
			return sockmid_fail(err, errlen, "'%s': %s", value, why);
		if (!sockmid_addr_is_multicast(&a))
			return sockmid_fail(err, errlen,
					    "'%s' is not a multicast address",
					    value);
		c->group = a;
		break;
	case SOCKMID_K_PORT:
		if (sockmi_port_parse(value, &c->port, &why))
			return sockmid_fail(err, errlen, "'%s': %s", value, why);
		break;
	case SOCKMID_K_IFACE:
		if (!*value || strlen(value) >= sizeof(c->iface) ||
		    strchr(value, '/'))
			return sockmid_fail(err, errlen,
					    "'%s' is not an interface name",
					    value);
		snprintf(c->iface, sizeof(c->iface), "%s", value);
		break;
	case SOCKMID_K_PEER:
		if (c->npeers >= SOCKMID_PEERS_MAX)
			return sockmid_fail(err, errlen, "more than %d peers",
					    SOCKMID_PEERS_MAX);
		if (sockmi_addr_parse(value, SOCKMI_PORT_OPTIONAL, &a, &why))
			return sockmid_fail(err, errlen, "'%s': %s", value, why);
		if (sockmid_addr_not_unicast(&a))
			return sockmid_fail(err, errlen,
					    "'%s' is not a unicast address",
					    value);
		c->peers[c->npeers++] = a;
		break;
	case SOCKMID_K_KEY:
		if (!*value || strlen(value) >= sizeof(c->key_file))
			return sockmid_fail(err, errlen, "bad file name");
		snprintf(c->key_file, sizeof(c->key_file), "%s", value);
		break;
	case SOCKMID_K_INSECURE:
		c->insecure = true;
		break;
	case SOCKMID_K_POLICY:
		if (!strcmp(value, "first"))
			c->policy = SOCKMID_POLICY_FIRST;
		else if (!strcmp(value, "least-loaded"))
			c->policy = SOCKMID_POLICY_LEAST_LOADED;
		else
			return sockmid_fail(err, errlen,
					    "'%s': expected first or least-loaded",
					    value);
		break;
	case SOCKMID_K_TIMEOUT:
		if (sockmid_parse_ms(value, 1, &c->timeout_ms, err, errlen))
			return -1;
		break;
	case SOCKMID_K_WINDOW:
		if (sockmid_parse_ms(value, 0, &c->window_ms, err, errlen))
			return -1;
		break;
	case SOCKMID_K_TAKEOVER: {
		struct sockmid_takeover t;

		if (c->ntakeover >= SOCKMID_TAKEOVER_MAX)
			return sockmid_fail(err, errlen,
					    "more than %d takeover addresses",
					    SOCKMID_TAKEOVER_MAX);
		if (sockmid_parse_takeover(value, &t, err, errlen))
			return -1;
		if (sockmid_config_takeover(c, &t.addr))
			return sockmid_fail(err, errlen, "'%s' given twice",
					    value);
		c->takeover[c->ntakeover++] = t;
		break;
	}
	case SOCKMID_K_FOREGROUND:
		c->foreground = true;
		break;
	case SOCKMID_K_VERBOSE:
		c->verbose = true;
		break;
	case SOCKMID_K_NO_RULES:
		c->no_rules = true;
		break;
	case __SOCKMID_K_MAX:
		break;
	}
	c->set |= 1U << key;
	return 0;
}

/* Split a line into key and value; comments and blanks give no key. */
static int sockmid_config_line(char *line, char **key, char **value,
			       char *err, size_t errlen)
{
	char *p, *end;

	p = strchr(line, '#');
	if (p)
		*p = '\0';
	*key = *value = NULL;
	p = line;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return 0;
	*key = p;
	while (*p && !isspace((unsigned char)*p) && *p != '=')
		p++;
	end = p;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '=') {
		p++;
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			return sockmid_fail(err, errlen, "missing value after '='");
	}
	*end = '\0';
	if (!**key)
		return sockmid_fail(err, errlen, "missing key before '='");
	if (!*p)
		return 0;
	*value = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	end = p;
	while (isspace((unsigned char)*p))
		p++;
	if (*p)
		return sockmid_fail(err, errlen,
				    "more than one value (values contain no spaces)");
	*end = '\0';
	return 0;
}

int sockmid_config_parse(struct sockmid_config *c, FILE *f, const char *name,
			 char *err, size_t errlen)
{
	char line[SOCKMID_CONF_LINE_MAX + 2], why[SOCKMID_CONF_LINE_MAX];
	unsigned int lineno = 0;
	char *key, *value;
	int k;

	while (fgets(line, sizeof(line), f)) {
		size_t n = strlen(line);

		lineno++;
		if (n && line[n - 1] == '\n')
			line[--n] = '\0';
		else if (!feof(f))
			return sockmid_fail(err, errlen,
					    "%s:%u: line longer than %d characters",
					    name, lineno, SOCKMID_CONF_LINE_MAX);
		if (n > SOCKMID_CONF_LINE_MAX)
			return sockmid_fail(err, errlen,
					    "%s:%u: line longer than %d characters",
					    name, lineno, SOCKMID_CONF_LINE_MAX);
		if (sockmid_config_line(line, &key, &value, why, sizeof(why)))
			return sockmid_fail(err, errlen, "%s:%u: %s", name,
					    lineno, why);
		if (!key)
			continue;
		k = sockmid_config_key(key);
		if (k < 0)
			return sockmid_fail(err, errlen, "%s:%u: unknown key '%s'",
					    name, lineno, key);
		if (sockmid_config_set(c, (enum sockmid_key)k, value, why,
				       sizeof(why)))
			return sockmid_fail(err, errlen, "%s:%u: %s: %s", name,
					    lineno, key, why);
	}
	if (ferror(f))
		return sockmid_fail(err, errlen, "%s: read error", name);
	return 0;
}

void sockmid_config_merge(struct sockmid_config *base,
			  const struct sockmid_config *over)
{
	int k;

	for (k = 0; k < __SOCKMID_K_MAX; k++) {
		if (!sockmid_config_has(over, (enum sockmid_key)k))
			continue;
		switch ((enum sockmid_key)k) {
		case SOCKMID_K_GROUP:
			base->group = over->group;
			break;
		case SOCKMID_K_PORT:
			base->port = over->port;
			break;
		case SOCKMID_K_IFACE:
			memcpy(base->iface, over->iface, sizeof(base->iface));
			break;
		case SOCKMID_K_PEER:
			memcpy(base->peers, over->peers, sizeof(base->peers));
			base->npeers = over->npeers;
			break;
		case SOCKMID_K_KEY:
			memcpy(base->key_file, over->key_file,
			       sizeof(base->key_file));
			break;
		case SOCKMID_K_INSECURE:
			base->insecure = over->insecure;
			break;
		case SOCKMID_K_POLICY:
			base->policy = over->policy;
			break;
		case SOCKMID_K_TIMEOUT:
			base->timeout_ms = over->timeout_ms;
			break;
		case SOCKMID_K_WINDOW:
			base->window_ms = over->window_ms;
			break;
		case SOCKMID_K_TAKEOVER:
			memcpy(base->takeover, over->takeover,
			       sizeof(base->takeover));
			base->ntakeover = over->ntakeover;
			break;
		case SOCKMID_K_FOREGROUND:
			base->foreground = over->foreground;
			break;
		case SOCKMID_K_VERBOSE:
			base->verbose = over->verbose;
			break;
		case SOCKMID_K_NO_RULES:
			base->no_rules = over->no_rules;
			break;
		case __SOCKMID_K_MAX:
			break;
		}
		base->set |= 1U << k;
	}
}

int sockmid_config_check(const struct sockmid_config *c, char *err,
			 size_t errlen)
{
	unsigned int i;

	if (c->insecure && c->key_file[0])
		return sockmid_fail(err, errlen,
				    "key and insecure exclude each other");
	if (!c->insecure && !c->key_file[0])
		return sockmid_fail(err, errlen,
				    "no key: give key FILE (made by 'sockmictl genkey'), or insecure to run unauthenticated");
	if (c->npeers && sockmid_config_has(c, SOCKMID_K_GROUP))
		return sockmid_fail(err, errlen,
				    "group and peer exclude each other: multicast or unicast");
	for (i = 1; i < c->npeers; i++)
		if (c->peers[i].family != c->peers[0].family)
			return sockmid_fail(err, errlen,
					    "peers must all be IPv4 or all IPv6");
	if (c->policy == SOCKMID_POLICY_LEAST_LOADED &&
	    c->window_ms >= c->timeout_ms)
		return sockmid_fail(err, errlen,
				    "window (%u ms) must be shorter than timeout (%u ms)",
				    c->window_ms, c->timeout_ms);
	return 0;
}

const struct sockmid_takeover *
sockmid_config_takeover(const struct sockmid_config *c,
			const struct sockmi_addr *addr)
{
	struct sockmi_addr a = sockmid_addr_unmapped(addr);
	unsigned int i;

	for (i = 0; i < c->ntakeover; i++)
		if (sockmid_addr_equal(&c->takeover[i].addr, &a))
			return &c->takeover[i];
	return NULL;
}
