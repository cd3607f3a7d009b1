/*
 * note.h: C2SP signed notes (c2sp.org/signed-note, Ed25519 only) and
 * Cairn's checkpoints, C2SP tlog-checkpoint bodies with extension lines:
 *
 *   <origin>
 *   <tree size, decimal>
 *   <base64 Merkle root>
 *   time <RFC 3339 UTC, 6 fraction digits, Z>
 *   stream <name> <count> <base64 leaf hash of the stream's last entry>
 *   ... one stream line for each of the CAIRN_NSTREAMS streams, in order
 *
 *   — <key name> <base64(4-byte key hash || 64-byte Ed25519 signature)>
 *
 * Key hash = SHA-256(name || 0x0A || 0x01 || public key)[:4]; verifier key
 * string "<name>+<8 hex key hash>+<base64(0x01 || public key)>".
 * Names (and origins) are non-empty, at most 255 bytes, and hold neither
 * Unicode spaces nor '+'.  Nothing here prints or exits.
 */
#ifndef CAIRN_NOTE_H
#define CAIRN_NOTE_H

#include <stddef.h>
#include <stdint.h>

#include "cairn.h"
#include "util.h"

#define CAIRN_NSTREAMS		7
#define CAIRN_NAME_MAX		255	/* longest key name / origin */
#define CAIRN_NOTE_MAX		65536	/* longest signed note we read */
#define CAIRN_NOTE_MAXSIGS	100	/* most signature lines we read */
#define CAIRN_TIME_LEN		27	/* RFC 3339 text, without NUL */

/* realname takedown screening account labeling system other, in that order. */
extern const char *const cairn_stream_names[CAIRN_NSTREAMS];

struct cairn_checkpoint {
	char		origin[CAIRN_NAME_MAX + 1];
	uint64_t	size;
	uint8_t		root[CAIRN_HASH_LEN];
	int64_t		time_us;	/* microseconds since the epoch, UTC */
	uint64_t	count[CAIRN_NSTREAMS];
	/* Leaf hash of each stream's last entry; zeros when its count is 0. */
	uint8_t		head[CAIRN_NSTREAMS][CAIRN_HASH_LEN];
};

/*
 * Appends the checkpoint body to out.  CAIRN_EINVAL if the origin is not a
 * valid name, the time is outside years 0000-9999, or a stream with count 0
 * has a non-zero head.
 */
int	cairn_checkpoint_body(const struct cairn_checkpoint *, struct cairn_buf *out);
/*
 * Strict parse of a checkpoint body, exactly as cairn_checkpoint_body()
 * writes it: canonical decimals (no sign, no leading zero), canonical
 * base64, canonical time, every stream in order, no other line.
 * CAIRN_EFORMAT otherwise.
 */
int	cairn_checkpoint_parse(const uint8_t *body, size_t len,
	    struct cairn_checkpoint *);

/* 0 if name is a valid key name / origin, else CAIRN_EINVAL. */
int	cairn_note_name_ok(const char *name, size_t len);
/* Key hash of an Ed25519 key: SHA-256(name || 0x0A || 0x01 || pk)[:4]. */
void	cairn_note_keyhash(const char *name, const uint8_t pk[32],
	    uint8_t keyhash[4]);
/* Appends the verifier key string (no newline) to out. */
int	cairn_vkey_format(const char *name, const uint8_t pk[32],
	    struct cairn_buf *out);
/*
 * Parses a verifier key string: the name (NUL-terminated, CAIRN_ETOOBIG if
 * it does not fit namecap), the public key and its key hash, which must
 * match the key.  Ed25519 (type 0x01) keys only; CAIRN_EFORMAT otherwise.
 */
int	cairn_vkey_parse(const char *s, size_t len, char *name, size_t namecap,
	    uint8_t pk[32], uint8_t keyhash[4]);

/*
 * Appends body, a blank line and one signature line by (name, key) to out.
 * The body must be a valid note text: non-empty, ending in "\n", UTF-8
 * with no control character but "\n" (CAIRN_EINVAL otherwise).
 */
int	cairn_note_sign(const char *name, const uint8_t ed25519_sk[64],
	    const uint8_t *body, size_t len, struct cairn_buf *out);
/*
 * Appends the signed note with one more signature line, by (name, key),
 * over the same text: how a note comes to carry several signatures (a key
 * rotation's checkpoint is signed by the old key and the new one).  The
 * note's lines are kept as they are; CAIRN_EINVAL if it is malformed or
 * already signed by the key, CAIRN_ETOOBIG if the result would pass
 * CAIRN_NOTE_MAX bytes or CAIRN_NOTE_MAXSIGS signature lines.  Nothing is
 * verified: the caller signs only what it has checked.
 */
int	cairn_note_cosign(const char *name, const uint8_t ed25519_sk[64],
	    const uint8_t *note, size_t len, struct cairn_buf *out);

/*
 * Verifies a signed note against one trusted key (name, pk), after the
 * signed-note rules: the text ends at the last blank line, every signature
 * line must be well formed, signatures by other keys are ignored.
 * Returns 0 and the note text in *body, *bodylen (pointing into note, ending
 * in "\n") when at least one signature by the key verifies;
 * CAIRN_EBADSIG if a signature line naming the key (name and key hash)
 * fails; CAIRN_ENOTFOUND if no line names the key; CAIRN_EFORMAT if the
 * note is malformed; CAIRN_ETOOBIG beyond CAIRN_NOTE_MAX bytes or
 * CAIRN_NOTE_MAXSIGS signature lines.
 */
int	cairn_note_verify(const uint8_t *note, size_t len, const char *name,
	    const uint8_t pk[32], const uint8_t **body, size_t *bodylen);

/*
 * The key hashes of the signature lines by name in a signed note, in their
 * order, unverified: to say which key a note is signed by when none of
 * the trusted ones is.  Up to cap go into keyhash, *n gets how many there
 * are.  CAIRN_EFORMAT if the note or a signature line is malformed,
 * CAIRN_ETOOBIG as for cairn_note_verify().
 */
int	cairn_note_keyhashes(const uint8_t *note, size_t len, const char *name,
	    uint8_t keyhash[][4], size_t cap, size_t *n);

/*
 * RFC 3339 UTC time with exactly 6 fraction digits and "Z" into out (at
 * least CAIRN_TIME_LEN + 1 bytes); times outside years 0000-9999 are
 * clamped to them.
 */
void	cairn_time_format_us(int64_t us, char *out);
/*
 * Parses exactly what cairn_time_format_us() writes (canonical form only;
 * the RFC 3339 parsing itself is rfc3339.c's); CAIRN_EFORMAT otherwise.
 */
int	cairn_time_parse_us(const char *s, size_t len, int64_t *us);

#endif
