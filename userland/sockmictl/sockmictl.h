/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sockmictl internals: the subcommand table and what subcommands share.
 */

#ifndef SOCKMICTL_H
#define SOCKMICTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <json-c/json.h>

#include "nl.h"
#include "proto.h"

/* Exit statuses. */
enum {
	SOCKMICTL_OK = 0,
	SOCKMICTL_FAILED = 1,
	SOCKMICTL_USAGE = 2,
};

struct sockmictl_ctx;

/**
 * struct sockmictl_cmd - a subcommand
 * @name: how it is called
 * @run: runs it with the arguments after its name, -j and -h removed;
 *	 returns an exit status
 * @args: its arguments, for usage messages
 * @summary: one line about it
 * @json: it can print JSON
 */
struct sockmictl_cmd {
	const char *name;
	int (*run)(const struct sockmictl_ctx *ctx, int argc, char *argv[]);
	const char *args;
	const char *summary;
	bool json;
};

/**
 * struct sockmictl_ctx - how a subcommand was invoked
 * @cmd: the subcommand
 * @json: print JSON instead of text
 */
struct sockmictl_ctx {
	const struct sockmictl_cmd *cmd;
	bool json;
};

/* Subcommands, one file each. */
int sockmictl_list(const struct sockmictl_ctx *ctx, int argc, char *argv[]);
int sockmictl_stats(const struct sockmictl_ctx *ctx, int argc, char *argv[]);
int sockmictl_flows(const struct sockmictl_ctx *ctx, int argc, char *argv[]);
int sockmictl_export(const struct sockmictl_ctx *ctx, int argc, char *argv[]);
int sockmictl_import(const struct sockmictl_ctx *ctx, int argc, char *argv[]);
int sockmictl_monitor(const struct sockmictl_ctx *ctx, int argc, char *argv[]);
int sockmictl_genkey(const struct sockmictl_ctx *ctx, int argc, char *argv[]);

/* export.c: its arguments, parsed apart from running it (for tests). */
struct sockmictl_export_args {
	uint32_t pid;
	uint32_t fd;
	bool has_to;
	struct sockmi_addr to;
};

/**
 * sockmictl_export_parse - parse "pid P fd F [to ADDR[:PORT]]", any order
 * @argc: number of words
 * @argv: the words
 * @args: the result
 * @err: on error, what is wrong
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int sockmictl_export_parse(int argc, char *const argv[],
			   struct sockmictl_export_args *args, char *err,
			   size_t errlen);

/* import.c: its arguments, parsed apart from running it (for tests). */
struct import_req;

/**
 * struct sockmictl_import_args - "sockmictl import" arguments
 * @states: SOCKMI_BOUND, SOCKMI_LISTENING, SOCKMI_CONNECTED of <sockmi.h>
 * @has_local: @local was given
 * @has_remote: @remote was given
 * @local: local address, maybe with a port
 * @remote: remote address, maybe with a port
 * @timeout: milliseconds, -1 when not given (forever)
 * @stdio: pass the socket as descriptors 0 and 1
 * @cmd: the command and its arguments (into argv, which need not be
 *	 NULL-terminated after them)
 * @ncmd: how many words @cmd has, at least 1
 */
struct sockmictl_import_args {
	unsigned int states;
	bool has_local;
	bool has_remote;
	struct sockmi_addr local;
	struct sockmi_addr remote;
	int timeout;
	bool stdio;
	char *const *cmd;
	int ncmd;
};

/**
 * sockmictl_import_parse - parse "[state S] [local A] [remote A]
 *	[timeout MS] [--stdio] -- CMD...", options in any order
 * @argc: number of words
 * @argv: the words
 * @args: the result
 * @err: on error, what is wrong
 * @errlen: size of @err
 *
 * Return: 0, or -1 with @err set.
 */
int sockmictl_import_parse(int argc, char *const argv[],
			   struct sockmictl_import_args *args, char *err,
			   size_t errlen);

/* The import_socket(3) request for @args; its fd is left -1. */
void sockmictl_import_req(const struct sockmictl_import_args *args,
			  struct import_req *req);

/* Rendering, apart from fetching (for tests). */
struct json_object *sockmictl_stats_json(const struct sockmi_stats *stats);
void sockmictl_stats_text(FILE *f, const struct sockmi_stats *stats);

struct sockmictl_msgs;

/* list.c, flows.c: print a dump's messages; -ENOMEM on failure. */
int sockmictl_list_print(FILE *f, bool json,
			 const struct sockmictl_msgs *msgs);
int sockmictl_flows_print(FILE *f, bool json,
			  const struct sockmictl_msgs *msgs);

/* monitor.c: print one event, a line; false if @m is no event. */
bool sockmictl_event_print(FILE *f, bool json, const struct sockmi_msg *m);

/* util.c: messages. Each prints "sockmictl: <subcommand>: ..." to stderr. */
__attribute__((format(printf, 2, 3)))
void sockmictl_error(const struct sockmictl_ctx *ctx, const char *fmt, ...);

/* Prints the error and the subcommand's usage; returns SOCKMICTL_USAGE. */
__attribute__((format(printf, 2, 3)))
int sockmictl_usage_error(const struct sockmictl_ctx *ctx, const char *fmt,
			  ...);

/* Prints why a request failed; returns SOCKMICTL_FAILED. */
int sockmictl_nl_error(const struct sockmictl_ctx *ctx,
		       const struct sockmi_nl_error *e);

/* Prints a warning the kernel attached to a successful request, if any. */
void sockmictl_nl_warning(const struct sockmictl_ctx *ctx,
			  const struct sockmi_nl_error *e);

/* The usage line of a subcommand, "Usage: sockmictl NAME ARGS". */
void sockmictl_cmd_usage(FILE *f, const struct sockmictl_cmd *cmd);

/* Rejects any argument; for subcommands that take none. */
int sockmictl_no_args(const struct sockmictl_ctx *ctx, int argc,
		      char *argv[]);

/* util.c: talking to the kernel. */

/* Opens the family, or prints why not and returns SOCKMICTL_FAILED. */
int sockmictl_open(struct sockmi_nl **nl);

/**
 * struct sockmictl_msgs - the messages of a dump
 * @msg: the messages, decoded
 * @n: how many
 * @size: room in @msg
 */
struct sockmictl_msgs {
	struct sockmi_msg *msg;
	size_t n;
	size_t size;
};

/*
 * Dumps @cmd into @msgs, starting over while the kernel reports the data
 * changed meanwhile. Prints why it failed and returns SOCKMICTL_FAILED.
 */
int sockmictl_dump(const struct sockmictl_ctx *ctx, struct sockmi_nl *nl,
		   uint8_t cmd, struct sockmictl_msgs *msgs);
void sockmictl_msgs_free(struct sockmictl_msgs *msgs);

/* render.c: text and JSON of the family's values. */

#define SOCKMICTL_NAMELEN 24

/* @name, or the number in @buf when @name is NULL (unknown value). */
const char *sockmictl_name(const char *name, unsigned int val, char *buf,
			   size_t len);
const char *sockmictl_family_name(sa_family_t family);
/* Adds @key: @name, or the number @val as a string when @name is NULL. */
void sockmictl_json_name(json_object *obj, const char *key, const char *name,
			 unsigned int val);
json_object *sockmictl_json_addr(const struct sockmi_addr *addr);
/* Adds "family", "local" and "remote" to @obj. */
void sockmictl_json_tuple(json_object *obj, const struct sockmi_tuple *t);
/* Prints @obj on one line. */
void sockmictl_json_print(FILE *f, json_object *obj);

/* A text table: left-aligned columns two spaces apart. */
struct sockmictl_table {
	size_t cols;
	size_t rows;
	char **cells;	/* rows * cols strings, row by row */
	size_t *width;	/* cols widths */
	bool failed;	/* out of memory */
};

int sockmictl_table_init(struct sockmictl_table *t, size_t cols);
/* Adds a row of t->cols cells, which are copied. */
void sockmictl_table_row(struct sockmictl_table *t, const char *const *cells);
void sockmictl_table_print(FILE *f, const struct sockmictl_table *t);
void sockmictl_table_free(struct sockmictl_table *t);

#endif /* SOCKMICTL_H */
