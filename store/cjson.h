/*
 * cjson.h: canonical JSON for Cairn entries.
 *
 * The canonical form is RFC 8785 (JCS) restricted to objects, arrays,
 * strings, integers in -(2^53-1)..2^53-1, true, false and null: object keys
 * are ASCII, sorted bytewise and unique; no whitespace; strings escape only
 * '"', '\\', \b \f \n \r \t and the other controls as \u00xx (lower-case
 * hex), everything else is literal UTF-8; U+0000 is refused; nesting depth
 * (containers within containers) is at most CAIRN_CJSON_MAX_DEPTH.
 */
#ifndef CAIRN_CJSON_H
#define CAIRN_CJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util.h"

#define CAIRN_CJSON_MAX_DEPTH	64
/* Largest integer magnitude allowed: 2^53 - 1 (RFC 7493 section 2.2). */
#define CAIRN_CJSON_MAX_INT	9007199254740991LL

/*
 * Strict parse of untrusted JSON text (need not be canonical; any value may
 * be at the top). Refuses duplicate keys, reals (any fraction or exponent),
 * integers outside the safe range, invalid UTF-8, U+0000 in strings,
 * non-ASCII object keys, depth > 64 and trailing garbage. Returns
 * CAIRN_EJSON (malformed or duplicate key), CAIRN_EUTF8, CAIRN_EINVAL
 * (valid JSON outside our subset) or CAIRN_ENOMEM; errbuf (may be NULL)
 * gets a short message with line/column or byte offset. On success *out is
 * a new reference the caller must json_decref().
 */
int	cairn_json_parse(const uint8_t *, size_t, json_t **out, char *errbuf,
	    size_t errlen);

/*
 * cairn_json_parse without its fast path (YAJL, cjson.c): jansson alone,
 * the reference the fast path must agree with (tests and fuzzing).
 */
int	cairn_json_parse_jansson(const uint8_t *, size_t, json_t **out,
	    char *errbuf, size_t errlen);
/* How many parses the fast path has made on this thread (tests). */
unsigned long	cairn_json_fast_count(void);

/*
 * Appends the canonical encoding of v to out. Refuses reals, unsafe
 * integers, non-ASCII or NUL-bearing keys, depth > 64 (CAIRN_EINVAL) and
 * strings that are not valid UTF-8 (CAIRN_EUTF8). On error out may hold a
 * partial encoding beyond its former length.
 */
int	cairn_cjson_encode(const json_t *v, struct cairn_buf *out);

/*
 * Appends s (n bytes, valid UTF-8 without NUL) as a canonical JSON string
 * literal with its quotes; CAIRN_EUTF8 or CAIRN_EINVAL (NUL) otherwise.
 */
int	cairn_cjson_add_string(struct cairn_buf *out, const char *s, size_t n);

/*
 * Returns 0 iff the bytes are exactly one canonical JSON value; else
 * CAIRN_EJSON (malformed), CAIRN_EUTF8, or CAIRN_ENOTCANON (valid JSON but
 * not canonical, or nested deeper than 64). Single pass, no allocation.
 */
int	cairn_cjson_check(const uint8_t *, size_t);
/*
 * The integer part of the JSON number at p (before end),
 * -?(0|[1-9][0-9]*): where it ends, or NULL if there is no number there;
 * *canon is 0 for one that is not canonical (-0, a magnitude >= 2^53).
 * Shared by the checker and the entry view (jview.h).
 */
const uint8_t *cairn_cjson_int(const uint8_t *p, const uint8_t *end,
	    int *canon);

/*
 * cairn_cjson_check, then decode into *out (a new reference the caller must
 * json_decref()). CAIRN_ENOMEM if jansson runs out of memory.
 */
int	cairn_cjson_decode(const uint8_t *, size_t, json_t **out);

/*
 * In a canonical object (already checked), finds the top-level member named
 * key (a NUL-terminated plain string) and points *val at the raw JSON text
 * of its value inside the input (a string includes its quotes), *vlen bytes
 * long; valid as long as the input is. CAIRN_ENOTFOUND if absent,
 * CAIRN_EJSON if the input is not an object.
 */
int	cairn_cjson_member(const uint8_t *, size_t, const char *key,
	    const uint8_t **val, size_t *vlen);

/* 1 if the bytes are valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int	cairn_utf8_valid(const uint8_t *, size_t);

/* Finds several top-level members of a checked canonical object in one
 * pass; keys must be sorted bytewise.  A missing member gets val NULL. */
int	cairn_cjson_members(const uint8_t *, size_t, const char *const *keys,
	    size_t nkeys, const uint8_t **val, size_t *vlen);

#endif
