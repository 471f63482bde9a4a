// SPDX-License-Identifier: GPL-2.0
/*
 * sockmictl genkey: print a new shared key for the SockMi daemons, 32 random
 * bytes in base64, like wg genkey.
 */

#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "key.h"
#include "sockmictl.h"

int sockmictl_genkey(const struct sockmictl_ctx *ctx, int argc, char *argv[])
{
	uint8_t key[SOCKMI_KEY_LEN];
	char b64[SOCKMI_KEY_B64_LEN];
	struct stat st;
	int ret;

	ret = sockmictl_no_args(ctx, argc, argv);
	if (ret)
		return ret;
	if (sodium_init() < 0) {
		sockmictl_error(ctx, "cannot initialize libsodium");
		return SOCKMICTL_FAILED;
	}
	if (!fstat(STDOUT_FILENO, &st) && S_ISREG(st.st_mode) &&
	    (st.st_mode & S_IRWXO))
		sockmictl_error(ctx,
				"warning: writing a key to a file others can read; consider umask 077");

	sockmi_key_generate(key);
	sockmi_key_to_base64(b64, key);
	puts(b64);
	sodium_memzero(key, sizeof(key));
	sodium_memzero(b64, sizeof(b64));
	return SOCKMICTL_OK;
}
