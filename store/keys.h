/*
 * keys.h: the appliance's Ed25519 key pair in minisign's file formats, and
 * minisign's prehashed signatures (the ".minisig" files on our exports).
 *
 * Formats (minisign 0.11, src/minisign.h), all base64 per RFC 4648 section 4:
 *   secret key:  "Ed" || kdf ("Sc" scrypt, or "\0\0" unencrypted) || "B2" ||
 *                salt[32] || opslimit (u64 LE) || memlimit (u64 LE) ||
 *                key id[8] || sk[64] || chk[32],
 *                chk = BLAKE2b-256("Ed" || key id || sk); when encrypted the
 *                last 104 bytes are XORed with scrypt(passphrase, salt).
 *   public key:  "Ed" || key id[8] || pk[32], after the comment line
 *                "untrusted comment: minisign public key <ID>" where <ID> is
 *                the key id read as a little-endian u64, in upper-case hex.
 *   signature:   "ED" || key id || Ed25519(BLAKE2b-512(file)), then a
 *                trusted comment and Ed25519(sig || trusted comment).
 *
 * Secret keys live in sodium_malloc'd memory (guarded, locked) and are wiped
 * by cairn_seckey_free().  Nothing here prints or exits.
 */
#ifndef CAIRN_KEYS_H
#define CAIRN_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

#include "cairn.h"
#include "util.h"

#define CAIRN_KEYID_LEN		8
#define CAIRN_PUBKEY_B64_LEN	56	/* base64 of "Ed" || key id || pk */
#define CAIRN_SECKEY_MAXFILE	4096	/* larger key files are refused */
/* Longest comments minisign itself reads back (its fgets() buffers). */
#define CAIRN_MINISIGN_UNTRUSTED_MAX	1003
#define CAIRN_MINISIGN_TRUSTED_MAX	8173

struct cairn_pubkey {
	uint8_t	keyid[CAIRN_KEYID_LEN];
	uint8_t	pk[32];
};

struct cairn_seckey;	/* opaque; sodium_malloc'd, wiped on free */

/* Creates a new random key pair (random key id); *sk is freed by the caller. */
int	cairn_key_generate(struct cairn_seckey **sk);
/* The public half of a secret key. */
void	cairn_seckey_public(const struct cairn_seckey *, struct cairn_pubkey *);
/* The 64-byte libsodium Ed25519 secret key; valid until cairn_seckey_free(). */
const uint8_t *cairn_seckey_ed25519(const struct cairn_seckey *);
/* Wipes and frees a secret key; NULL is allowed. */
void	cairn_seckey_free(struct cairn_seckey *);

/*
 * Writes a minisign secret key file, created O_EXCL with mode 0600 (EEXIST
 * when the path exists).  passphrase NULL: unencrypted (kdf "\0\0", like
 * `minisign -G -W`); else scrypt with the given limits, 0 and 0 meaning
 * minisign's defaults (OPSLIMIT_SENSITIVE, MEMLIMIT_SENSITIVE: about 1 GiB
 * and several seconds).
 */
int	cairn_seckey_write(const char *path, const struct cairn_seckey *,
	    const char *passphrase, uint64_t opslimit, uint64_t memlimit);
/* 1 if the key file is passphrase-encrypted, 0 if not, <0 on error. */
int	cairn_seckey_is_encrypted(const char *path);
/*
 * Loads a secret key file into *out (freed by the caller).  The file must
 * be a regular file (symbolic links are followed), owned by the effective
 * uid, with no permission bits for group or others, else CAIRN_EKEYPERM; at
 * most CAIRN_SECKEY_MAXFILE bytes (CAIRN_ETOOBIG).  Encrypted key with a NULL
 * or wrong passphrase: CAIRN_EPASS (the checksum does not match).
 * Malformed, or a secret half that does not match its public half:
 * CAIRN_EFORMAT.  Unencrypted keys from `minisign -G -W` carry an all-zero
 * checksum, which is accepted; any other checksum must be right.
 */
int	cairn_seckey_load(const char *path, const char *passphrase,
	    struct cairn_seckey **out);

/*
 * The same from the file's text in memory (at most CAIRN_SECKEY_MAXFILE
 * bytes), for keys that arrive by other means than a path; no permission
 * check, of course.  The text is not kept.
 */
int	cairn_seckey_parse(const uint8_t *text, size_t len,
	    const char *passphrase, struct cairn_seckey **out);

/* Writes a minisign public key file, O_EXCL, mode 0644. */
int	cairn_pubkey_write(const char *path, const struct cairn_pubkey *);
/*
 * Parses a minisign public key: a whole .pub file (comment line, then the
 * base64 line) or just the base64 line, as `minisign -P` takes it.
 * CAIRN_EFORMAT when malformed or not an Ed25519 ("Ed") key.
 */
int	cairn_pubkey_parse(const char *text, size_t len, struct cairn_pubkey *);
/* Reads and parses a minisign public key file (at most 4 KiB). */
int	cairn_pubkey_load(const char *path, struct cairn_pubkey *);
/* The key's base64 line, NUL-terminated; outlen >= CAIRN_PUBKEY_B64_LEN + 1. */
void	cairn_pubkey_b64(const struct cairn_pubkey *, char *out, size_t outlen);

/* Streaming minisign prehashed ("ED") signatures: BLAKE2b-512 of the data. */
struct cairn_minisign {
	crypto_generichash_state h;
};

void	cairn_minisign_init(struct cairn_minisign *);
void	cairn_minisign_update(struct cairn_minisign *, const void *, size_t);
/*
 * Appends a whole .minisig file to out.  untrusted NULL gives a default;
 * neither comment may hold '\n' or '\r' (CAIRN_EINVAL), nor exceed
 * CAIRN_MINISIGN_UNTRUSTED_MAX / CAIRN_MINISIGN_TRUSTED_MAX bytes
 * (CAIRN_ETOOBIG), beyond which minisign cannot read the file back.
 * Consumes the hash state.
 */
int	cairn_minisign_final(struct cairn_minisign *, const struct cairn_seckey *,
	    const char *untrusted, const char *trusted, struct cairn_buf *out);
/*
 * Verifies .minisig text against the hash state of the signed bytes (which
 * it consumes) and a trusted key.  Only the prehashed "ED" algorithm is
 * accepted: legacy "Ed" signs the raw file, which a streaming verifier does
 * not have, and we never produce it, so accepting it would only widen what
 * an attacker may feed us.  The key id must match, both the signature and
 * the global signature (over sig || trusted comment) must verify.  On
 * success the trusted comment is copied to trusted (NUL-terminated;
 * CAIRN_ETOOBIG if trustedlen is too small; trusted may be NULL).
 * Returns 0, CAIRN_EBADSIG (wrong key id or a signature fails) or
 * CAIRN_EFORMAT.
 */
int	cairn_minisign_verify(struct cairn_minisign *, const struct cairn_pubkey *,
	    const char *sigtext, size_t siglen, char *trusted, size_t trustedlen);

/*
 * The key id a .minisig file names, unverified: to say which key signed
 * it when it is none of the trusted ones.  CAIRN_EFORMAT if the text is
 * not a prehashed ("ED") minisign signature.
 */
int	cairn_minisign_keyid(const char *sigtext, size_t siglen,
	    uint8_t keyid[CAIRN_KEYID_LEN]);
/* A key id as minisign prints it in a .pub file's comment: upper-case hex
 * without leading zeros (at most 16 digits), NUL-terminated. */
void	cairn_keyid_format(const uint8_t keyid[CAIRN_KEYID_LEN],
	    char out[2 * CAIRN_KEYID_LEN + 1]);

#endif
