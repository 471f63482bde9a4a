// SPDX-License-Identifier: GPL-2.0
/*
 * sockmid: the SockMi daemon. It answers the kernel's export events by
 * finding an importer among the other daemons, carries the socket's state
 * there and sees the commit through; and it imports for the others.
 * See sockmid(8).
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "daemon.h"
#include "key.h"
#include "log.h"
#include "version.h"

/* getopt values: the keys of config.h from SOCKMID_OPT_KEY on. */
enum {
	SOCKMID_OPT_KEY = 1000,
	SOCKMID_OPT_CONFIG = 256,
	SOCKMID_OPT_HELP,
	SOCKMID_OPT_VERSION,
};

static void sockmid_usage(FILE *f)
{
	fprintf(f,
		"Usage: sockmid [--group ADDR] [--port N] [--iface IF] [--peer ADDR[:PORT]]...\n"
		"               [--key FILE | --insecure] [--policy first|least-loaded]\n"
		"               [--timeout MS] [--window MS] [--takeover ADDR[/PLEN]]...\n"
		"               [--no-rules] [--config FILE] [--foreground] [--verbose]\n"
		"       sockmid --help | --version\n"
		"\n"
		"The SockMi daemon: negotiates where exported TCP sockets go, carries\n"
		"their state there, encrypted and authenticated, and commits the move.\n"
		"At start it adds `-t raw -A PREROUTING -j SOCKMI` for iptables and\n"
		"ip6tables where missing (XTABLES_LIBDIR must reach libxt_SOCKMI.so)\n"
		"and removes them at exit; --no-rules leaves them to the administrator.\n"
		"Options may also be set in %s (same names, no dashes).\n"
		"See sockmid(8).\n", SOCKMID_CONF_DEFAULT);
}

/* Read the base64 key of a file, as `sockmictl genkey` writes it. */
static int sockmid_read_key(const char *path, uint8_t key[SOCKMI_KEY_LEN],
			    char *err, size_t errlen)
{
	char text[128];
	struct stat st;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	if (!fstat(fd, &st) && (st.st_mode & 077))
		log_warn("key file %s can be read by others than its owner (mode %03o): chmod 600 it",
			 path, st.st_mode & 0777);
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0) {
		snprintf(err, errlen, "key file %s: %s", path, strerror(errno));
		return -1;
	}
	text[n] = '\0';
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r' ||
			 text[n - 1] == ' ' || text[n - 1] == '\t'))
		text[--n] = '\0';
	if (sockmi_key_from_base64(key, text)) {
		sodium_memzero(text, sizeof(text));
		snprintf(err, errlen,
			 "key file %s: not a key (expected the 44 base64 characters of 'sockmictl genkey')",
			 path);
		return -1;
	}
	sodium_memzero(text, sizeof(text));
	return 0;
}

int sockmid_load_config(const struct sockmid *d, struct sockmid_config *cfg,
			uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES],
			char *err, size_t errlen)
{
	uint8_t shared[SOCKMI_KEY_LEN] = { 0 };
	char why[512];
	FILE *f;

	sockmid_config_init(cfg);
	f = fopen(d->conf_path, "re");
	if (f) {
		int ret = sockmid_config_parse(cfg, f, d->conf_path, err, errlen);

		fclose(f);
		if (ret)
			return -1;
	} else if (errno != ENOENT || d->conf_required) {
		snprintf(err, errlen, "%s: %s", d->conf_path, strerror(errno));
		return -1;
	}
	sockmid_config_merge(cfg, &d->cli);
	if (sockmid_config_check(cfg, why, sizeof(why))) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	/* Without a key the message key is the all-zero one: known to all. */
	if (!cfg->insecure &&
	    sockmid_read_key(cfg->key_file, shared, err, errlen))
		return -1;
	sockmid_wire_key(key, shared);
	sodium_memzero(shared, sizeof(shared));
	return 0;
}

int main(int argc, char *argv[])
{
	static struct option opts[__SOCKMID_K_MAX + 4];
	static struct sockmid d;
	char err[512];
	int i, c, k;

	for (k = 0; k < __SOCKMID_K_MAX; k++)
		opts[k] = (struct option){
			sockmid_config_key_name((enum sockmid_key)k),
			sockmid_config_key_has_value((enum sockmid_key)k) ?
			required_argument : no_argument, NULL,
			SOCKMID_OPT_KEY + k };
	opts[k++] = (struct option){ "config", required_argument, NULL,
				     SOCKMID_OPT_CONFIG };
	opts[k++] = (struct option){ "help", no_argument, NULL,
				     SOCKMID_OPT_HELP };
	opts[k++] = (struct option){ "version", no_argument, NULL,
				     SOCKMID_OPT_VERSION };
	opts[k] = (struct option){ 0 };

	sockmid_config_init(&d.cli);
	d.conf_path = SOCKMID_CONF_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "fvhVc:", opts, &i)) != -1) {
		switch (c) {
		case 'f':
			c = SOCKMID_OPT_KEY + SOCKMID_K_FOREGROUND;
			break;
		case 'v':
			c = SOCKMID_OPT_KEY + SOCKMID_K_VERBOSE;
			break;
		case 'h':
		case SOCKMID_OPT_HELP:
			sockmid_usage(stdout);
			return 0;
		case 'V':
		case SOCKMID_OPT_VERSION:
			printf("sockmid %s\n", SOCKMI_VERSION);
			return 0;
		case 'c':
		case SOCKMID_OPT_CONFIG:
			d.conf_path = optarg;
			d.conf_required = true;
			continue;
		case '?':
			if (optopt >= SOCKMID_OPT_KEY)
				fprintf(stderr, "sockmid: option --%s needs a value\n",
					sockmid_config_key_name((enum sockmid_key)(optopt - SOCKMID_OPT_KEY)));
			else if (optopt == 'c' || optopt == SOCKMID_OPT_CONFIG)
				fprintf(stderr, "sockmid: option --config needs a value\n");
			else if (optopt && optopt < 256)
				fprintf(stderr, "sockmid: unknown option -%c\n",
					optopt);
			else
				fprintf(stderr, "sockmid: unknown option %s\n",
					argv[optind - 1]);
			sockmid_usage(stderr);
			return 2;
		default:
			break;
		}
		k = c - SOCKMID_OPT_KEY;
		if (k < 0 || k >= __SOCKMID_K_MAX)
			continue;
		if (sockmid_config_set(&d.cli, (enum sockmid_key)k,
				       sockmid_config_key_has_value((enum sockmid_key)k) ?
				       optarg : NULL, err, sizeof(err))) {
			fprintf(stderr, "sockmid: --%s: %s\n",
				sockmid_config_key_name((enum sockmid_key)k), err);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sockmid: unexpected argument '%s'\n", argv[optind]);
		sockmid_usage(stderr);
		return 2;
	}
	if (sodium_init() < 0) {
		fprintf(stderr, "sockmid: cannot initialize libsodium\n");
		return 1;
	}
	if (sockmid_load_config(&d, &d.cfg, d.key, err, sizeof(err))) {
		fprintf(stderr, "sockmid: %s\n", err);
		return 2;
	}
	do
		randombytes_buf(&d.self, sizeof(d.self));
	while (!d.self);

	if (!d.cfg.foreground && daemon(0, 0)) {
		fprintf(stderr, "sockmid: cannot become a daemon: %s\n",
			strerror(errno));
		return 1;
	}
	sockmid_log_init(d.cfg.foreground, d.cfg.verbose);
	return sockmid_run(&d);
}
