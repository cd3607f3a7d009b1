/*
 * jview.h: a read-only view of one canonical JSON value (cjson.h), made
 * in a single pass without per-value allocation, for the paths that read
 * every entry of a store or an export.
 *
 * The view is an array of tokens in document order: a container's
 * children follow it, an object's as key, value pairs; tok[i].next is the
 * index just past value i and everything inside it.  Token 0 is the top
 * value.  Strings are decoded, NUL-terminated, into a buffer the view
 * owns.  Everything the parse returns stays valid until the next parse of
 * the same view or cairn_jview_free; the input need not outlive the parse.
 */
#ifndef CAIRN_JVIEW_H
#define CAIRN_JVIEW_H

#include <stddef.h>
#include <stdint.h>

#include "cjson.h"

/* Largest input a view takes: well above any entry (CAIRN_ETOOBIG). */
#define CAIRN_JVIEW_MAX	(64u << 20)

enum {
	CAIRN_JV_OBJECT = 1,
	CAIRN_JV_ARRAY,
	CAIRN_JV_STRING,
	CAIRN_JV_INT,
	CAIRN_JV_TRUE,
	CAIRN_JV_FALSE,
	CAIRN_JV_NULL
};

struct cairn_jtok {
	uint32_t	off;	/* the value's text in the input */
	uint32_t	len;	/* its length (a string's: with the quotes) */
	uint32_t	next;	/* the index after this value's subtree */
	uint32_t	str;	/* a string's decoded text, an integer's digits,
				   NUL-terminated in sbuf */
	uint32_t	slen;	/* the length of that text */
	uint8_t		type;	/* CAIRN_JV_* */
};

struct cairn_jview {
	struct cairn_jtok *tok;
	size_t		 ntok, captok;
	char		*sbuf;		/* decoded strings */
	size_t		 capsbuf;
};

/* An empty view (all zero) is ready for cairn_jview_parse. */
void	cairn_jview_init(struct cairn_jview *);
void	cairn_jview_free(struct cairn_jview *);

/*
 * Parses bytes that must be exactly one canonical JSON value: it accepts
 * what cairn_cjson_check accepts and nothing else, and refuses the rest
 * with the checker's code: CAIRN_EJSON (malformed), CAIRN_EUTF8 or
 * CAIRN_ENOTCANON (valid JSON but not canonical, or nested deeper than
 * CAIRN_CJSON_MAX_DEPTH).  Also CAIRN_ETOOBIG (over CAIRN_JVIEW_MAX) or
 * CAIRN_ENOMEM (growing the view; its arrays are reused by later parses).
 * On error the view holds no tokens.
 */
int	cairn_jview_parse(struct cairn_jview *, const uint8_t *, size_t);

/* The value of object obj's member key, or -1 (absent, or obj no object). */
int	cairn_jview_get(const struct cairn_jview *, int obj, const char *key);

/* Token i's decoded string (*len bytes, may be NULL), or NULL if none. */
const char *cairn_jview_str(const struct cairn_jview *, int i, size_t *len);

/* The string member key of object obj, or NULL if absent or not a string. */
const char *cairn_jview_getstr(const struct cairn_jview *, int obj,
	    const char *key);

/* Token i's decoded string or integer text (*len bytes, may be NULL),
 * or NULL if it is neither; canonical integer text reads as its value. */
const char *cairn_jview_text(const struct cairn_jview *, int i, size_t *len);

/* Token i's integer into *out: 0, or CAIRN_EINVAL if i is no integer. */
int	cairn_jview_int(const struct cairn_jview *, int i, int64_t *out);

/* Token i's type, or 0 if there is no token i. */
int	cairn_jview_type(const struct cairn_jview *, int i);

#endif
