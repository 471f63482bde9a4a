// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output shared by sockmictl's subcommands.
 */

#include <stdlib.h>
#include <string.h>

#include "sockmictl.h"

const char *sockmictl_name(const char *name, unsigned int val, char *buf,
			   size_t len)
{
	if (name)
		return name;
	snprintf(buf, len, "%u", val);
	return buf;
}

const char *sockmictl_family_name(sa_family_t family)
{
	switch (family) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	default:
		return "unknown";
	}
}

void sockmictl_json_name(json_object *obj, const char *key, const char *name,
			 unsigned int val)
{
	char buf[SOCKMICTL_NAMELEN];

	name = sockmictl_name(name, val, buf, sizeof(buf));
	json_object_object_add(obj, key, json_object_new_string(name));
}

json_object *sockmictl_json_addr(const struct sockmi_addr *addr)
{
	json_object *obj = json_object_new_object();
	char buf[SOCKMI_ADDRSTRLEN];

	sockmi_addr_format(addr, false, buf, sizeof(buf));
	json_object_object_add(obj, "address", json_object_new_string(buf));
	if (addr->has_port)
		json_object_object_add(obj, "port",
				       json_object_new_int(addr->port));
	return obj;
}

void sockmictl_json_tuple(json_object *obj, const struct sockmi_tuple *t)
{
	const char *family = sockmictl_family_name(t->family);

	json_object_object_add(obj, "family", json_object_new_string(family));
	json_object_object_add(obj, "local", sockmictl_json_addr(&t->local));
	if (t->has_remote)
		json_object_object_add(obj, "remote",
				       sockmictl_json_addr(&t->remote));
}

void sockmictl_json_print(FILE *f, json_object *obj)
{
	/* Compact, one line, as ip -j prints: easy for jq and for grep. */
	fprintf(f, "%s\n",
		json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
						    JSON_C_TO_STRING_NOSLASHESCAPE));
}

int sockmictl_table_init(struct sockmictl_table *t, size_t cols)
{
	memset(t, 0, sizeof(*t));
	t->cols = cols;
	t->width = calloc(cols, sizeof(*t->width));
	t->failed = !t->width;
	return t->failed ? -1 : 0;
}

void sockmictl_table_row(struct sockmictl_table *t, const char *const *cells)
{
	char **grown;
	size_t i;

	if (t->failed)
		return;
	grown = reallocarray(t->cells, (t->rows + 1) * t->cols,
			     sizeof(*grown));
	if (!grown) {
		t->failed = true;
		return;
	}
	t->cells = grown;
	for (i = 0; i < t->cols; i++) {
		char *cell = strdup(cells[i]);
		size_t len = strlen(cells[i]);

		t->cells[t->rows * t->cols + i] = cell;
		if (!cell)
			t->failed = true;
		if (len > t->width[i])
			t->width[i] = len;
	}
	t->rows++;
}

void sockmictl_table_print(FILE *f, const struct sockmictl_table *t)
{
	size_t r, c;

	if (t->failed)
		return;
	for (r = 0; r < t->rows; r++) {
		for (c = 0; c < t->cols; c++) {
			const char *cell = t->cells[r * t->cols + c];

			if (c + 1 < t->cols)
				fprintf(f, "%-*s  ", (int)t->width[c], cell);
			else
				fprintf(f, "%s\n", cell);
		}
	}
}

void sockmictl_table_free(struct sockmictl_table *t)
{
	size_t i;

	for (i = 0; t->cells && i < t->rows * t->cols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	memset(t, 0, sizeof(*t));
}
