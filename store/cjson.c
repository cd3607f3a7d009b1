/*
 * cjson.c: canonical JSON (RFC 8785 JCS restricted to Cairn's subset):
 * strict parsing of untrusted input, encoding, a fast canonical-form checker
 * and member lookup over canonical bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yajl/yajl_parse.h>

#include "cjson.h"

#define ONES	0x0101010101010101ULL
#define HIGH	0x8080808080808080ULL

/* Flags the string scanner reports about a string. */
#define S_ESC		0x01	/* contains a backslash escape */
#define S_NONASCII	0x02	/* contains a byte >= 0x80 */

/* The checker's state: cursor, end, and "valid so far but not canonical". */
struct ck {
	const uint8_t	*p;
	const uint8_t	*end;
	int		 bad;
};

/* One object member while the encoder sorts keys. */
struct kv {
	const char	*k;
	size_t		 klen;
	json_t		*v;
};

static int	ck_value(struct ck *, int);

/* Loads 8 bytes in host order without alignment requirements. */
static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t w;

	memcpy(&w, p, sizeof(w));
	return w;
}

/* Nonzero if any of the 8 bytes of w is zero (exact, no false positives). */
static inline uint64_t
haszero(uint64_t w)
{
	return (w - ONES) & ~w & HIGH;
}

/* 1 if none of the 8 bytes of w needs a look inside a string. */
static inline int
plain8(uint64_t w)
{
	/*
	 * Controls (< 0x20) are invalid raw (RFC 8259 section 7), '"' and '\\'
	 * end or escape, and bytes >= 0x80 start UTF-8 sequences to validate.
	 */
	uint64_t ctl = (w - ONES * 0x20) & ~w;

	return ((ctl | haszero(w ^ (ONES * '"')) |
	    haszero(w ^ (ONES * '\\')) | w) & HIGH) == 0;
}

/* 1 if every byte of w is ASCII. */
static inline int
ascii8(uint64_t w)
{
	return (w & HIGH) == 0;
}

/* Length of the valid UTF-8 sequence (2..4) at p (p[0] >= 0x80), or 0. */
static inline size_t
utf8_seq(const uint8_t *p, size_t left)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	/* RFC 3629 section 4: the exact well-formed byte ranges. */
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;	/* overlong */
		else if (c == 0xed)
			hi = 0x9f;	/* surrogates U+D800..U+DFFF */
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;	/* overlong */
		else if (c == 0xf4)
			hi = 0x8f;	/* above U+10FFFF */
	} else
		return 0;
	if (left < n)
		return 0;
	if (p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return n;
}

/* Offset of the first byte that does not start valid UTF-8, or n. */
static size_t
utf8_prefix(const uint8_t *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		while (n - i >= 8 && ascii8(load64(s + i)))
			i += 8;
		if (i >= n)
			break;
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((k = utf8_seq(s + i, n - i)) == 0)
			return i;
		i += k;
	}
	return n;
}

/* 1 if the bytes are valid UTF-8 (no overlongs, surrogates, > U+10FFFF). */
int
cairn_utf8_valid(const uint8_t *s, size_t n)
{
	if (n == 0)
		return 1;
	return utf8_prefix(s, n) == n;
}

/* Value of a hex digit of either case, or -1. */
static inline int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Next decoded byte of a key: raw JSON string text if raw, else plain. */
static inline int
key_next(const uint8_t **pp, const uint8_t *end, int raw)
{
	const uint8_t *p = *pp;
	int c;

	if (p >= end)
		return -1;
	if (!raw || *p != '\\') {
		*pp = p + 1;
		return *p;
	}
	/* Only canonical escapes reach here (the checker compared no others). */
	if (end - p < 2) {
		*pp = end;
		return -1;
	}
	switch (p[1]) {
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case 'u':
		if (end - p < 6) {
			*pp = end;
			return -1;
		}
		if (hexval(p[4]) < 0 || hexval(p[5]) < 0) {
			*pp = end;
			return -1;
		}
		c = (hexval(p[4]) << 4) | hexval(p[5]);
		*pp = p + 6;
		return c;
	default: c = p[1]; break;
	}
	*pp = p + 2;
	return c;
}

/*
 * Compares the decoded key a (raw JSON string text) with b (raw text if
 * braw, else plain bytes) bytewise; bytewise order of ASCII keys equals the
 * UTF-16 code unit order of RFC 8785 section 3.2.3.
 */
static int
key_cmp(const uint8_t *a, size_t alen, int aesc, const uint8_t *b,
    size_t blen, int braw)
{
	const uint8_t *ae = a + alen, *be = b + blen;
	size_t m;
	int ca, cb, r;

	if (!aesc && (!braw || memchr(b, '\\', blen) == NULL)) {
		m = alen < blen ? alen : blen;
		if (m && (r = memcmp(a, b, m)) != 0)
			return r;
		return alen < blen ? -1 : alen > blen;
	}
	for (;;) {
		ca = key_next(&a, ae, 1);
		cb = key_next(&b, be, braw);
		if (ca < 0 || cb < 0)
			return ca < 0 ? (cb < 0 ? 0 : -1) : 1;
		if (ca != cb)
			return ca - cb;
	}
}

/* Skips whitespace, which is valid JSON but never canonical. */
static inline void
ck_ws(struct ck *c)
{
	const uint8_t *p = c->p;

	/* RFC 8259 section 2: the four insignificant whitespace bytes. */
	while (p < c->end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	if (p != c->p)
		c->bad = 1;
	c->p = p;
}

/* Checks one escape at c->p (a backslash); c->p moves past it. */
static int
ck_escape(struct ck *c)
{
	const uint8_t *p = c->p;
	int v, i;

	if (c->end - p < 2)
		return CAIRN_EJSON;
	switch (p[1]) {
	case '"': case '\\': case 'b': case 'f': case 'n': case 'r': case 't':
		c->p = p + 2;
		return 0;
	case '/':
		/* Valid (RFC 8259 section 7) but JCS writes '/' literally. */
		c->bad = 1;
		c->p = p + 2;
		return 0;
	case 'u':
		if (c->end - p < 6)
			return CAIRN_EJSON;
		for (i = 2; i < 6; i++)
			if (hexval(p[i]) < 0)
				return CAIRN_EJSON;
		/*
		 * RFC 8785 section 3.2.2.2: \u only for controls without a
		 * short form, lower-case hex; U+0000 is refused outright.
		 */
		v = (hexval(p[4]) << 4) | hexval(p[5]);
		if (p[2] != '0' || p[3] != '0' || (p[4] != '0' && p[4] != '1') ||
		    (p[5] >= 'A' && p[5] <= 'F') || v == 0 || v == '\b' ||
		    v == '\t' || v == '\n' || v == '\f' || v == '\r')
			c->bad = 1;
		c->p = p + 6;
		return 0;
	default:
		return CAIRN_EJSON;
	}
}

/* Checks the string at c->p (a quote), ORing S_* into *flags. */
static int
ck_string(struct ck *c, int *flags)
{
	const uint8_t *p = c->p + 1, *end = c->end;
	size_t k;
	int rc;

	for (;;) {
		/* Fast path: runs of plain ASCII, 8 bytes at a time. */
		while (end - p >= 8 && plain8(load64(p)))
			p += 8;
		if (p >= end)
			return CAIRN_EJSON;
		if (*p == '"')
			break;
		if (*p == '\\') {
			*flags |= S_ESC;
			c->p = p;
			if ((rc = ck_escape(c)) != 0)
				return rc;
			p = c->p;
		} else if (*p < 0x20)
			return CAIRN_EJSON;	/* RFC 8259 section 7 */
		else if (*p < 0x80)
			p++;
		else {
			if ((k = utf8_seq(p, (size_t)(end - p))) == 0)
				return CAIRN_EUTF8;
			*flags |= S_NONASCII;
			p += k;
		}
	}
	c->p = p + 1;
	return 0;
}

const uint8_t *
cairn_cjson_int(const uint8_t *p, const uint8_t *end, int *canon)
{
	static const char max[] = "9007199254740991";
	const uint8_t *d;
	int neg = 0;

	if (p < end && *p == '-') {
		neg = 1;
		p++;
	}
	d = p;
	if (p >= end)
		return NULL;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	/* RFC 7493 section 2.2 and JCS: -0 and magnitudes >= 2^53 differ. */
	*canon = !(neg && p - d == 1 && *d == '0') &&
	    !(p - d > (ptrdiff_t)(sizeof(max) - 1) ||
	    (p - d == (ptrdiff_t)(sizeof(max) - 1) &&
	    memcmp(d, max, sizeof(max) - 1) > 0));
	return p;
}

/* Checks the number at c->p; canonical is -?(0|[1-9][0-9]*) in 2^53-1. */
static int
ck_number(struct ck *c)
{
	const uint8_t *p, *end = c->end;
	int canon;

	if ((p = cairn_cjson_int(c->p, end, &canon)) == NULL)
		return CAIRN_EJSON;
	if (!canon)
		c->bad = 1;
	if (p < end && *p == '.') {
		c->bad = 1;	/* integers only */
		p++;
		if (p >= end || *p < '0' || *p > '9')
			return CAIRN_EJSON;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		c->bad = 1;
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		if (p >= end || *p < '0' || *p > '9')
			return CAIRN_EJSON;
		while (p < end && *p >= '0' && *p <= '9')
			p++;
	}
	c->p = p;
	return 0;
}

/* Checks the object at c->p ('{') at nesting depth. */
static int
ck_object(struct ck *c, int depth)
{
	const uint8_t *pk = NULL, *ks;
	size_t pklen = 0, klen;
	int pkesc = 0, flags, rc;

	if (depth > CAIRN_CJSON_MAX_DEPTH)
		return CAIRN_ENOTCANON;
	c->p++;
	ck_ws(c);
	if (c->p < c->end && *c->p == '}') {
		c->p++;
		return 0;
	}
	for (;;) {
		if (c->p >= c->end || *c->p != '"')
			return CAIRN_EJSON;
		ks = c->p + 1;
		flags = 0;
		if ((rc = ck_string(c, &flags)) != 0)
			return rc;
		klen = (size_t)(c->p - 1 - ks);
		if (flags & S_NONASCII)
			c->bad = 1;
		/* Strictly increasing keys: sorted and no duplicates. */
		if (!c->bad && pk != NULL &&
		    key_cmp(pk, pklen, pkesc, ks, klen, 1) >= 0)
			c->bad = 1;
		pk = ks;
		pklen = klen;
		pkesc = flags & S_ESC;
		ck_ws(c);
		if (c->p >= c->end || *c->p != ':')
			return CAIRN_EJSON;
		c->p++;
		ck_ws(c);
		if ((rc = ck_value(c, depth)) != 0)
			return rc;
		ck_ws(c);
		if (c->p >= c->end)
			return CAIRN_EJSON;
		if (*c->p == '}') {
			c->p++;
			return 0;
		}
		if (*c->p != ',')
			return CAIRN_EJSON;
		c->p++;
		ck_ws(c);
	}
}

/* Checks the array at c->p ('[') at nesting depth. */
static int
ck_array(struct ck *c, int depth)
{
	int rc;

	if (depth > CAIRN_CJSON_MAX_DEPTH)
		return CAIRN_ENOTCANON;
	c->p++;
	ck_ws(c);
	if (c->p < c->end && *c->p == ']') {
		c->p++;
		return 0;
	}
	for (;;) {
		if ((rc = ck_value(c, depth)) != 0)
			return rc;
		ck_ws(c);
		if (c->p >= c->end)
			return CAIRN_EJSON;
		if (*c->p == ']') {
			c->p++;
			return 0;
		}
		if (*c->p != ',')
			return CAIRN_EJSON;
		c->p++;
		ck_ws(c);
	}
}

/* Checks a literal name (RFC 8259 section 3) at c->p. */
static int
ck_lit(struct ck *c, const char *lit, size_t n)
{
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, lit, n) != 0)
		return CAIRN_EJSON;
	c->p += n;
	return 0;
}

/* Checks one value at c->p inside depth enclosing containers. */
static int
ck_value(struct ck *c, int depth)
{
	int flags = 0;

	if (c->p >= c->end)
		return CAIRN_EJSON;
	switch (*c->p) {
	case '{':
		return ck_object(c, depth + 1);
	case '[':
		return ck_array(c, depth + 1);
	case '"':
		return ck_string(c, &flags);
	case 't':
		return ck_lit(c, "true", 4);
	case 'f':
		return ck_lit(c, "false", 5);
	case 'n':
		return ck_lit(c, "null", 4);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return ck_number(c);
	default:
		return CAIRN_EJSON;
	}
}

/* Returns 0 iff the bytes are exactly one canonical JSON value. */
int
cairn_cjson_check(const uint8_t *s, size_t n)
{
	struct ck c;
	int rc;

	if (s == NULL || n == 0)
		return CAIRN_EJSON;
	c.p = s;
	c.end = s + n;
	c.bad = 0;
	ck_ws(&c);
	if ((rc = ck_value(&c, 0)) != 0)
		return rc;
	ck_ws(&c);
	if (c.p != c.end)
		return CAIRN_EJSON;
	return c.bad ? CAIRN_ENOTCANON : 0;
}

/* Maps a jansson load failure to a Cairn code and a message in errbuf. */
static int
load_error(const json_error_t *err, char *errbuf, size_t errlen)
{
	int rc;

	switch (json_error_code(err)) {
	case json_error_out_of_memory:
		rc = CAIRN_ENOMEM;
		break;
	case json_error_invalid_utf8:
		rc = CAIRN_EUTF8;
		break;
	case json_error_null_character:
	case json_error_null_byte_in_key:
	case json_error_numeric_overflow:
	case json_error_stack_overflow:
		/* Valid RFC 8259 text that our subset refuses. */
		rc = CAIRN_EINVAL;
		break;
	default:
		rc = CAIRN_EJSON;
		break;
	}
	if (errbuf != NULL && errlen > 0)
		snprintf(errbuf, errlen, "line %d column %d: %s", err->line,
		    err->column, err->text);
	return rc;
}

/* Checks that v lies in the canonical subset; *why names what does not. */
static int
subset_check(const json_t *v, int depth, const char **why)
{
	const char *k;
	json_int_t i;
	size_t klen, j, n;
	void *it;
	int rc;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		if (depth + 1 > CAIRN_CJSON_MAX_DEPTH) {
			*why = "nested too deeply";
			return CAIRN_EINVAL;
		}
		/* jansson's iterator API takes no const; nothing is changed. */
		for (it = json_object_iter((json_t *)v); it != NULL;
		    it = json_object_iter_next((json_t *)v, it)) {
			k = json_object_iter_key(it);
			klen = json_object_iter_key_len(it);
			for (j = 0; j < klen; j++)
				if (k[j] == 0 || (uint8_t)k[j] >= 0x80) {
					*why = "object key not ASCII";
					return CAIRN_EINVAL;
				}
			if ((rc = subset_check(json_object_iter_value(it),
			    depth + 1, why)) != 0)
				return rc;
		}
		return 0;
	case JSON_ARRAY:
		if (depth + 1 > CAIRN_CJSON_MAX_DEPTH) {
			*why = "nested too deeply";
			return CAIRN_EINVAL;
		}
		n = json_array_size(v);
		for (j = 0; j < n; j++)
			if ((rc = subset_check(json_array_get(v, j), depth + 1,
			    why)) != 0)
				return rc;
		return 0;
	case JSON_INTEGER:
		i = json_integer_value(v);
		if (i > CAIRN_CJSON_MAX_INT || i < -CAIRN_CJSON_MAX_INT) {
			*why = "integer outside -(2^53-1)..2^53-1";
			return CAIRN_EINVAL;
		}
		return 0;
	case JSON_REAL:
		*why = "numbers must be integers";
		return CAIRN_EINVAL;
	default:
		return 0;
	}
}

/*
 * The fast path.  jansson reads a character at a time through a stream
 * callback and spent about 4 us on a 300-byte event, a third of cairnd's
 * CPU under HTTP load; YAJL's lexer scans the buffer itself (about 1 us
 * for the same event, the jansson values built from its callbacks
 * included).  jansson stays the reference: whatever the fast path does not
 * take, or takes and then refuses, is parsed again by jansson, so every
 * error, its code and its message are jansson's as before, and the fast
 * path only has to build the value jansson would have built for text both
 * accept.  Where YAJL is laxer than jansson it is not used at all:
 *  - it decodes \u escapes without checking surrogates and lets \u0000
 *    through: text with a \u escape goes to jansson (rare in events);
 *  - it takes \v and \f as whitespace: text holding either byte does too
 *    (they are invalid JSON anywhere, so such text is refused there);
 *  - once the top value is complete it does not look past an unfinished
 *    token ("{}\"x" passes): the fast path takes only an object or an
 *    array at the top and checks itself that only whitespace follows;
 *  - duplicate keys, integers of 16 or more digits (where the safe range
 *    and overflow begin), any fraction or exponent, and depth past our
 *    limit stop the fast path (its callback says no) instead of being
 *    judged there.
 * fuzz/fuzz_json_parse.c checks on arbitrary input that both paths agree.
 */
#define FAST_KEY_MAX	256

struct fast {
	yajl_handle	 h;
	size_t		 end;		/* where the top value ends */
	json_t		*root;
	json_t		*stack[CAIRN_CJSON_MAX_DEPTH + 1];
	int		 depth;
	size_t		 klen;		/* the pending key, copied: YAJL */
	char		 key[FAST_KEY_MAX];	/* reuses its decode buffer */
};

/* Puts v (a new reference, may be NULL) where the parse stands. */
static int
fast_put(struct fast *f, json_t *v)
{
	json_t *top;

	if (v == NULL)
		return 0;
	if (f->depth == 0) {
		f->root = v;
		return json_is_object(v) || json_is_array(v);
	}
	top = f->stack[f->depth - 1];
	if (json_is_array(top))
		return json_array_append_new(top, v) == 0;
	if (json_object_getn(top, f->key, f->klen) != NULL) {
		json_decref(v);		/* a duplicate: jansson says so */
		return 0;
	}
	return json_object_setn_new_nocheck(top, f->key, f->klen, v) == 0;
}

static int
fast_null(void *ctx)
{
	return fast_put(ctx, json_null());
}

static int
fast_boolean(void *ctx, int b)
{
	return fast_put(ctx, json_boolean(b));
}

/* Integers below 10^15 only (YAJL checked the grammar); the rest is
 * jansson's to judge, as overflow, out of range or a real. */
static int
fast_number(void *ctx, const char *s, size_t n)
{
	json_int_t i = 0;
	size_t k = 0;

	if (n > 0 && s[0] == '-')
		k = 1;
	if (n - k == 0 || n - k > 15)
		return 0;
	for (; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return 0;
		i = i * 10 + (s[k] - '0');
	}
	return fast_put(ctx, json_integer(s[0] == '-' ? -i : i));
}

static int
fast_string(void *ctx, const unsigned char *s, size_t n)
{
	return fast_put(ctx, json_stringn_nocheck((const char *)s, n));
}

static int
fast_key(void *ctx, const unsigned char *k, size_t n)
{
	struct fast *f = ctx;

	if (n >= sizeof f->key)
		return 0;
	memcpy(f->key, k, n);
	f->klen = n;
	return 1;
}

/* Starts a container: into its parent now, then on the stack. */
static int
fast_open(struct fast *f, json_t *v)
{
	if (f->depth == CAIRN_CJSON_MAX_DEPTH + 1) {
		json_decref(v);
		return 0;
	}
	if (!fast_put(f, v))
		return 0;
	f->stack[f->depth++] = v;
	return 1;
}

static int
fast_start_map(void *ctx)
{
	return fast_open(ctx, json_object());
}

static int
fast_start_array(void *ctx)
{
	return fast_open(ctx, json_array());
}

static int
fast_end(void *ctx)
{
	struct fast *f = ctx;

	if (--f->depth == 0)
		f->end = yajl_get_bytes_consumed(f->h);
	return 1;
}

static const yajl_callbacks fast_cbs = {
	fast_null, fast_boolean, NULL, NULL, fast_number, fast_string,
	fast_start_map, fast_key, fast_end, fast_start_array, fast_end
};

/* 1 if YAJL would read s as jansson does (see above). */
static int
fast_suits(const uint8_t *s, size_t n)
{
	const uint8_t *p = s, *end = s + n;

	if (memchr(s, '\v', n) != NULL || memchr(s, '\f', n) != NULL)
		return 0;
	while (p < end && (p = memchr(p, '\\', (size_t)(end - p))) != NULL) {
		if (p + 1 < end && p[1] == 'u')
			return 0;
		p += 2;		/* past the escaped character */
	}
	return 1;
}

/* Parses the fast path made on this thread (tests): per thread, so that
 * the listener threads do not share a counter's cache line per event. */
static _Thread_local unsigned long fast_hits;

unsigned long
cairn_json_fast_count(void)
{
	return fast_hits;
}

/* The fast path's value for s, or NULL to let jansson parse it. */
static json_t *
fast_parse(const uint8_t *s, size_t n)
{
	struct fast f;
	size_t i;
	int ok;

	if (n == 0 || !fast_suits(s, n))
		return NULL;
	f.root = NULL;
	f.depth = 0;
	f.klen = 0;
	f.end = 0;
	if ((f.h = yajl_alloc(&fast_cbs, NULL, &f)) == NULL)
		return NULL;
	/* The caller checked the whole text's UTF-8. */
	yajl_config(f.h, yajl_dont_validate_strings, 1);
	ok = yajl_parse(f.h, s, n) == yajl_status_ok &&
	    yajl_complete_parse(f.h) == yajl_status_ok && f.depth == 0 &&
	    f.end > 0 && f.end <= n;
	yajl_free(f.h);
	for (i = f.end; ok && i < n; i++)
		ok = s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
		    s[i] == '\r';
	if (!ok || f.root == NULL) {
		json_decref(f.root);
		return NULL;
	}
	fast_hits++;
	return f.root;
}

/* Strict parse of untrusted JSON text into *out, by the fast path if
 * fast and it takes the text, else by jansson. */
static int
parse(const uint8_t *s, size_t n, json_t **out, char *errbuf, size_t errlen,
    int fast)
{
	json_error_t err;
	const char *why = NULL;
	const uint8_t *nul;
	json_t *root;
	size_t off;
	int rc;

	*out = NULL;
	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (s == NULL && n != 0)
		return CAIRN_EINVAL;
	/* Our own check first: jansson's message would not say "UTF-8". */
	if ((off = utf8_prefix(s, n)) != n) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "invalid UTF-8 at byte %zu",
			    off);
		return CAIRN_EUTF8;
	}
	/*
	 * A raw NUL is never valid JSON (RFC 8259 sections 2 and 7), but
	 * jansson's buffer loader accepts "5\0"; refuse it ourselves.
	 */
	if (n != 0 && (nul = memchr(s, 0, n)) != NULL) {
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "NUL byte at byte %zu",
			    (size_t)(nul - s));
		return CAIRN_EJSON;
	}
	if ((!fast || (root = fast_parse(s, n)) == NULL) &&
	    (root = json_loadb((const char *)s, n,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err)) == NULL)
		return load_error(&err, errbuf, errlen);
	if ((rc = subset_check(root, 0, &why)) != 0) {
		json_decref(root);
		if (errbuf != NULL && errlen > 0)
			snprintf(errbuf, errlen, "%s", why);
		return rc;
	}
	*out = root;
	return 0;
}

int
cairn_json_parse(const uint8_t *s, size_t n, json_t **out, char *errbuf,
    size_t errlen)
{
	return parse(s, n, out, errbuf, errlen, 1);
}

int
cairn_json_parse_jansson(const uint8_t *s, size_t n, json_t **out,
    char *errbuf, size_t errlen)
{
	return parse(s, n, out, errbuf, errlen, 0);
}

/* Appends s as a canonical JSON string literal (RFC 8785 section 3.2.2.2). */
int
cairn_cjson_add_string(struct cairn_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *u = (const uint8_t *)s;
	uint8_t *w, c;
	size_t i;
	int rc;

	if (n != 0 && s == NULL)
		return CAIRN_EINVAL;
	if (n != 0 && utf8_prefix(u, n) != n)
		return CAIRN_EUTF8;
	/* Every string of every entry and receipt passes here: reserve the
	 * worst case (six bytes out per byte in) once, then write in place
	 * (out->len moves only at the end, so a NUL found on the way leaves
	 * out as it was). */
	if (n > (SIZE_MAX - 3) / 6)
		return CAIRN_ENOMEM;
	if ((rc = cairn_buf_reserve(out, 6 * n + 2)) != 0)
		return rc;
	w = out->p + out->len;
	*w++ = '"';
	for (i = 0; i < n; i++) {
		c = u[i];
		if (c >= 0x20 && c != '"' && c != '\\') {
			*w++ = c;
			continue;
		}
		if (c == 0) {
			out->p[out->len] = 0;
			return CAIRN_EINVAL;
		}
		*w++ = '\\';
		switch (c) {
		case '"': *w++ = '"'; break;
		case '\\': *w++ = '\\'; break;
		case '\b': *w++ = 'b'; break;
		case '\f': *w++ = 'f'; break;
		case '\n': *w++ = 'n'; break;
		case '\r': *w++ = 'r'; break;
		case '\t': *w++ = 't'; break;
		default:
			*w++ = 'u';
			*w++ = '0';
			*w++ = '0';
			*w++ = (uint8_t)hex[c >> 4];
			*w++ = (uint8_t)hex[c & 0xf];
			break;
		}
	}
	*w++ = '"';
	out->len = (size_t)(w - out->p);
	out->p[out->len] = 0;
	return 0;
}

/* Objects with at most this many members are sorted on the stack. */
#define SMALL_OBJECT	16

/* qsort comparator: bytewise key order, shorter prefix first. */
static int
kv_cmp(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	size_t m = x->klen < y->klen ? x->klen : y->klen;
	int r;

	if (m && (r = memcmp(x->k, y->k, m)) != 0)
		return r;
	return x->klen < y->klen ? -1 : x->klen > y->klen;
}

/* Appends the decimal form of an integer already known to be safe. */
static int
add_int(struct cairn_buf *out, json_int_t i)
{
	char d[24], *p = d + sizeof(d);
	uint64_t m;

	m = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m != 0);
	if (i < 0)
		*--p = '-';
	return cairn_buf_add(out, p, (size_t)(d + sizeof(d) - p));
}

/* Appends the canonical form of v, already checked by subset_check. */
static int
enc_value(const json_t *v, struct cairn_buf *out)
{
	struct kv small[SMALL_OBJECT], *kvs;
	size_t i, n;
	void *it;
	int rc;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		n = json_object_size(v);
		if (n == 0)
			return cairn_buf_add(out, "{}", 2);
		/* An event's objects are small: their members sorted on the
		 * stack, by insertion, without a heap block or qsort's. */
		if (n <= SMALL_OBJECT)
			kvs = small;
		else if ((kvs = calloc(n, sizeof(*kvs))) == NULL)
			return CAIRN_ENOMEM;
		i = 0;
		for (it = json_object_iter((json_t *)v); it != NULL && i < n;
		    it = json_object_iter_next((json_t *)v, it), i++) {
			kvs[i].k = json_object_iter_key(it);
			kvs[i].klen = json_object_iter_key_len(it);
			kvs[i].v = json_object_iter_value(it);
		}
		n = i;
		/* RFC 8785 section 3.2.3; keys are ASCII so bytes = UTF-16. */
		if (kvs != small)
			qsort(kvs, n, sizeof(*kvs), kv_cmp);
		else
			for (i = 1; i < n; i++) {
				struct kv x = kvs[i];
				size_t j = i;

				for (; j > 0 && kv_cmp(&kvs[j - 1], &x) > 0; j--)
					kvs[j] = kvs[j - 1];
				kvs[j] = x;
			}
		rc = cairn_buf_addc(out, '{');
		for (i = 0; rc == 0 && i < n; i++) {
			if (i > 0)
				rc = cairn_buf_addc(out, ',');
			if (rc == 0)
				rc = cairn_cjson_add_string(out, kvs[i].k,
				    kvs[i].klen);
			if (rc == 0)
				rc = cairn_buf_addc(out, ':');
			if (rc == 0)
				rc = enc_value(kvs[i].v, out);
		}
		if (kvs != small)
			free(kvs);
		return rc != 0 ? rc : cairn_buf_addc(out, '}');
	case JSON_ARRAY:
		n = json_array_size(v);
		if ((rc = cairn_buf_addc(out, '[')) != 0)
			return rc;
		for (i = 0; i < n; i++) {
			if (i > 0 && (rc = cairn_buf_addc(out, ',')) != 0)
				return rc;
			if ((rc = enc_value(json_array_get(v, i), out)) != 0)
				return rc;
		}
		return cairn_buf_addc(out, ']');
	case JSON_STRING:
		return cairn_cjson_add_string(out, json_string_value(v),
		    json_string_length(v));
	case JSON_INTEGER:
		return add_int(out, json_integer_value(v));
	case JSON_TRUE:
		return cairn_buf_add(out, "true", 4);
	case JSON_FALSE:
		return cairn_buf_add(out, "false", 5);
	case JSON_NULL:
		return cairn_buf_add(out, "null", 4);
	default:
		return CAIRN_EINVAL;
	}
}

/* Appends the canonical encoding of v to out. */
int
cairn_cjson_encode(const json_t *v, struct cairn_buf *out)
{
	const char *why;
	int rc;

	if (v == NULL || out == NULL)
		return CAIRN_EINVAL;
	/* One walk decides the subset, so parse and encode agree on it. */
	if ((rc = subset_check(v, 0, &why)) != 0)
		return rc;
	return enc_value(v, out);
}

/* cairn_cjson_check, then decode with jansson. */
int
cairn_cjson_decode(const uint8_t *s, size_t n, json_t **out)
{
	json_error_t err;
	int rc;

	*out = NULL;
	if ((rc = cairn_cjson_check(s, n)) != 0)
		return rc;
	*out = json_loadb((const char *)s, n,
	    JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
	if (*out == NULL)
		return load_error(&err, NULL, 0);
	return 0;
}

/* Returns the end of the string whose opening quote is at p, or NULL. */
static const uint8_t *
skip_string(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q, *b;

	for (p++; p < end; p = q + 1) {
		if ((q = memchr(p, '"', (size_t)(end - p))) == NULL)
			return NULL;
		/* The quote is escaped iff an odd run of backslashes precedes. */
		for (b = q; b > p && b[-1] == '\\'; b--)
			;
		if (((q - b) & 1) == 0)
			return q + 1;
	}
	return NULL;
}

/* Returns the end of the canonical value at p without decoding it, or NULL. */
static const uint8_t *
skip_value(const uint8_t *p, const uint8_t *end)
{
	size_t depth = 0;

	if (p >= end)
		return NULL;
	if (*p == '"')
		return skip_string(p, end);
	if (*p != '{' && *p != '[') {
		while (p < end && *p != ',' && *p != '}' && *p != ']')
			p++;
		return p;
	}
	while (p < end) {
		switch (*p) {
		case '"':
			if ((p = skip_string(p, end)) == NULL)
				return NULL;
			continue;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (--depth == 0)
				return p + 1;
			break;
		}
		p++;
	}
	return NULL;
}

/* Finds the top-level member key of a canonical object. */
int
cairn_cjson_member(const uint8_t *s, size_t n, const char *key,
    const uint8_t **val, size_t *vlen)
{
	int rc;

	if ((rc = cairn_cjson_members(s, n, &key, 1, val, vlen)) != 0)
		return rc;
	return *val != NULL ? 0 : CAIRN_ENOTFOUND;
}

int
cairn_cjson_members(const uint8_t *s, size_t n, const char *const *keys,
    size_t nkeys, const uint8_t **val, size_t *vlen)
{
	const uint8_t *p, *end, *ks, *vs;
	size_t klen, k = 0, i;
	int r;

	for (i = 0; i < nkeys; i++) {
		val[i] = NULL;
		vlen[i] = 0;
	}
	if (s == NULL || n < 2 || s[0] != '{')
		return CAIRN_EJSON;
	p = s + 1;
	end = s + n;
	if (*p == '}')
		return 0;
	while (k < nkeys) {
		if (p >= end || *p != '"')
			return CAIRN_EJSON;
		ks = p + 1;
		if ((p = skip_string(p, end)) == NULL)
			return CAIRN_EJSON;
		klen = (size_t)(p - 1 - ks);
		if (p >= end || *p != ':')
			return CAIRN_EJSON;
		vs = ++p;
		if ((p = skip_value(p, end)) == NULL || p >= end)
			return CAIRN_EJSON;
		/* Both lists are sorted: one merge pass finds every wanted key. */
		for (;;) {
			r = key_cmp(ks, klen, memchr(ks, '\\', klen) != NULL,
			    (const uint8_t *)keys[k], strlen(keys[k]), 0);
			if (r <= 0)
				break;
			if (++k == nkeys)
				return 0;
		}
		if (r == 0) {
			val[k] = vs;
			vlen[k] = (size_t)(p - vs);
			k++;
		}
		if (*p == '}')
			return 0;
		if (*p != ',')
			return CAIRN_EJSON;
		p++;
	}
	return 0;
}
