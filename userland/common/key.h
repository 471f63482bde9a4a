/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The shared key of the SockMi daemons: 32 random bytes, written as base64
 * (44 characters, standard alphabet, padded), like a WireGuard key.
 * Randomness and base64 come from libsodium; call sodium_init() first.
 */

#ifndef SOCKMI_COMMON_KEY_H
#define SOCKMI_COMMON_KEY_H

#include <stdint.h>

#define SOCKMI_KEY_LEN 32
/* 44 characters and a NUL */
#define SOCKMI_KEY_B64_LEN (((SOCKMI_KEY_LEN + 2) / 3) * 4 + 1)

/** sockmi_key_generate - fill @key with random bytes from the system CSPRNG */
void sockmi_key_generate(uint8_t key[SOCKMI_KEY_LEN]);

/** sockmi_key_to_base64 - write @key as a NUL-terminated base64 string */
void sockmi_key_to_base64(char b64[SOCKMI_KEY_B64_LEN],
			  const uint8_t key[SOCKMI_KEY_LEN]);

/**
 * sockmi_key_from_base64 - read a key written by sockmi_key_to_base64()
 * @key: the result; may be clobbered on error
 * @b64: exactly the base64 text, no whitespace
 *
 * Return: 0, or -1 when @b64 is not one base64-encoded 32-byte key.
 */
int sockmi_key_from_base64(uint8_t key[SOCKMI_KEY_LEN], const char *b64);

#endif /* SOCKMI_COMMON_KEY_H */
