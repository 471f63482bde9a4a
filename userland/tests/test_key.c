// SPDX-License-Identifier: GPL-2.0
/*
 * Shared keys (common/key.c): what genkey prints, sockmid can read.
 */

#include <string.h>

#include <sodium.h>

#include "key.h"
#include "tap.h"

int main(void)
{
	struct tap t = { .suite = "key" };
	uint8_t a[SOCKMI_KEY_LEN], b[SOCKMI_KEY_LEN], zero[SOCKMI_KEY_LEN] = { 0 };
	char b64[SOCKMI_KEY_B64_LEN], other[SOCKMI_KEY_B64_LEN];

	if (sodium_init() < 0) {
		tap_ok(&t, false, "libsodium initializes");
		return tap_done(&t);
	}
	sockmi_key_generate(a);
	sockmi_key_to_base64(b64, a);
	tap_ok(&t, strlen(b64) == 44 && b64[43] == '=' &&
		   strspn(b64, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") == 43,
	       "a key is 44 base64 characters, padded");
	tap_ok(&t, !sockmi_key_from_base64(b, b64) && !memcmp(a, b, sizeof(a)),
	       "a key reads back");
	sockmi_key_generate(b);
	sockmi_key_to_base64(other, b);
	tap_ok(&t, strcmp(b64, other) != 0 && memcmp(a, zero, sizeof(a)) != 0,
	       "two keys differ");

	sockmi_key_to_base64(b64, zero);
	tap_ok(&t, !strcmp(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
	       "the zero key encodes as expected");
	tap_ok(&t, sockmi_key_from_base64(b, "") == -1, "refuses empty text");
	tap_ok(&t, sockmi_key_from_base64(b, "AAAA") == -1,
	       "refuses a short key");
	tap_ok(&t, sockmi_key_from_base64(b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA") == -1,
	       "refuses a key without padding");
	tap_ok(&t, sockmi_key_from_base64(b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=") == -1,
	       "refuses a non-canonical encoding");
	tap_ok(&t, sockmi_key_from_base64(b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-=") == -1,
	       "refuses characters outside the alphabet");
	tap_ok(&t, sockmi_key_from_base64(b, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n") == -1,
	       "refuses trailing whitespace");
	return tap_done(&t);
}
