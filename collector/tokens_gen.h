/*
 * tokens_gen.h: making bearer tokens, for `cairn token add` (the daemon only
 * reads token files; see tokens_load() in cairnd.h).
 *
 * A token is 32 random bytes in unpadded base64url (RFC 4648 section 5):
 * 43 characters, sent as "Authorization: Bearer <token>".  The token file
 * keeps only SHA-256 of those 43 characters, one line per token:
 *	NAME ROLES SHA256HEX
 */
#ifndef CAIRND_TOKENS_GEN_H
#define CAIRND_TOKENS_GEN_H

#include <stdint.h>

#include "cairn.h"

#define TOKEN_LEN	43	/* characters, without the NUL */
#define TOKEN_NAME_MAX	63
#define TOKEN_SECRET_MAX 256	/* longer presented secrets never match */
#define TOKENS_MAX	10000	/* tokens in one file */

/*
 * Makes a new random token into out (NUL-terminated) and its SHA-256 into
 * hash.  The caller shows the token once and should wipe it with
 * sodium_memzero(); 0, or CAIRN_ENOMEM if libsodium cannot initialise.
 */
int	token_generate(char out[TOKEN_LEN + 1], uint8_t hash[CAIRN_HASH_LEN]);
/* 1 if name is a valid token name: [A-Za-z0-9._:-]{1,63}. */
int	token_name_valid(const char *name);

#endif
