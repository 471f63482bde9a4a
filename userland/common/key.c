// SPDX-License-Identifier: GPL-2.0
/*
 * Shared keys, see key.h. No cryptography here, only libsodium calls.
 */

#include <string.h>

#include <sodium.h>

#include "key.h"

_Static_assert(SOCKMI_KEY_B64_LEN ==
	       sodium_base64_ENCODED_LEN(SOCKMI_KEY_LEN,
					 sodium_base64_VARIANT_ORIGINAL),
	       "SOCKMI_KEY_B64_LEN disagrees with libsodium");

void sockmi_key_generate(uint8_t key[SOCKMI_KEY_LEN])
{
	randombytes_buf(key, SOCKMI_KEY_LEN);
}

void sockmi_key_to_base64(char b64[SOCKMI_KEY_B64_LEN],
			  const uint8_t key[SOCKMI_KEY_LEN])
{
	sodium_bin2base64(b64, SOCKMI_KEY_B64_LEN, key, SOCKMI_KEY_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
}

int sockmi_key_from_base64(uint8_t key[SOCKMI_KEY_LEN], const char *b64)
{
	const char *end = NULL;
	size_t len = 0;

	if (strlen(b64) != SOCKMI_KEY_B64_LEN - 1)
		return -1;
	if (sodium_base642bin(key, SOCKMI_KEY_LEN, b64, SOCKMI_KEY_B64_LEN - 1,
			      NULL, &len, &end,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    len != SOCKMI_KEY_LEN || *end) {
		sodium_memzero(key, SOCKMI_KEY_LEN);
		return -1;
	}
	return 0;
}
