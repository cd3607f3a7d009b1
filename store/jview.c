/*
 * jview.c: a tokenised, decoded view of one canonical JSON value, parsed
 * in one pass into arrays the view reuses (jview.h).  It accepts exactly
 * the canonical form cairn_cjson_check accepts (RFC 8785 restricted to
 * Cairn's subset), so that its readers may rely on sorted, unique keys
 * and integer text that reads as its value; input may be hostile (the
 * verifier's entry bytes come from the export file).
 */
#include <stdlib.h>
#include <string.h>

#include "jview.h"

/* Byte classes inside a string. */
enum { C_PLAIN, C_QUOTE, C_BSLASH, C_CTL, C_HIGH };

/* The parser's state: cursor and end of the input, output cursor. */
struct jp {
	struct cairn_jview *v;
	const uint8_t	*s, *p, *end;
	char		*o;
};

static int	jp_value(struct jp *, int);

static uint8_t	cls[256];

/* Fills the byte class table (idempotent; the same bytes every time). */
static void
cls_init(void)
{
	int c;

	if (cls['"'] == C_QUOTE)
		return;
	for (c = 0; c < 256; c++)
		cls[c] = c < 0x20 ? C_CTL : c >= 0x80 ? C_HIGH : C_PLAIN;
	cls['\\'] = C_BSLASH;
	cls['"'] = C_QUOTE;
}

void
cairn_jview_init(struct cairn_jview *v)
{
	memset(v, 0, sizeof *v);
}

void
cairn_jview_free(struct cairn_jview *v)
{
	free(v->tok);
	free(v->sbuf);
	memset(v, 0, sizeof *v);
}

/* The error for byte c where something else was due: whitespace is
 * valid JSON (RFC 8259 section 2) but never canonical. */
static int
unexpected(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ?
	    CAIRN_ENOTCANON : CAIRN_EJSON;
}

/* A new token of type t at the cursor; its index, or -1 if full. */
static int
jp_tok(struct jp *j, int t)
{
	struct cairn_jview *v = j->v;
	struct cairn_jtok *k;

	/* Parse reserved a token per two input bytes, enough for any value
	 * (one byte each and a separator): more is malformed, like "[[[". */
	if (v->ntok >= v->captok)
		return -1;
	k = &v->tok[v->ntok];
	k->off = (uint32_t)(j->p - j->s);
	k->len = k->str = k->slen = 0;
	k->next = (uint32_t)(v->ntok + 1);
	k->type = (uint8_t)t;
	return (int)v->ntok++;
}

/* Value of a hex digit, 16 more for upper case (JSON, but not
 * canonical: the caller tells them apart), or -1. */
static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10 + 16;
	return -1;
}

/* Decodes the escape at j->p (a backslash) into j->o. */
static int
jp_escape(struct jp *j)
{
	const uint8_t *p = j->p;
	int h[4], i, c;

	if (j->end - p < 2)
		return CAIRN_EJSON;
	switch (p[1]) {
	case '"': c = '"'; break;
	case '\\': c = '\\'; break;
	case 'b': c = '\b'; break;
	case 'f': c = '\f'; break;
	case 'n': c = '\n'; break;
	case 'r': c = '\r'; break;
	case 't': c = '\t'; break;
	case '/':
		/* Valid (RFC 8259 section 7) but JCS writes '/' literally. */
		return CAIRN_ENOTCANON;
	case 'u':
		if (j->end - p < 6)
			return CAIRN_EJSON;
		for (i = 0; i < 4; i++)
			if ((h[i] = hexval(p[2 + i])) < 0)
				return CAIRN_EJSON;
		/*
		 * RFC 8785 section 3.2.2.2: \u only for controls without a
		 * short form, in lower-case hex; U+0000 is refused outright.
		 */
		c = h[2] << 4 | h[3];
		if (h[0] != 0 || h[1] != 0 || h[2] > 1 || h[3] >= 16 ||
		    c == 0 || c == '\b' || c == '\t' || c == '\n' ||
		    c == '\f' || c == '\r')
			return CAIRN_ENOTCANON;
		*j->o++ = (char)c;
		j->p = p + 6;
		return 0;
	default:
		return CAIRN_EJSON;
	}
	*j->o++ = (char)c;
	j->p = p + 2;
	return 0;
}

/* Parses the string at j->p (a quote) into a new token; *high is set if
 * it holds a byte >= 0x80. */
static int
jp_string(struct jp *j, int *high)
{
	struct cairn_jtok *k;
	const uint8_t *p, *run, *end = j->end;
	char *start = j->o;
	int i, rc;

	if ((i = jp_tok(j, CAIRN_JV_STRING)) < 0)
		return CAIRN_EJSON;
	*high = 0;
	p = j->p + 1;
	for (;;) {
		for (run = p; p < end && cls[*p] == C_PLAIN; p++)
			;
		memcpy(j->o, run, (size_t)(p - run));
		j->o += p - run;
		if (p >= end)
			return CAIRN_EJSON;
		switch (cls[*p]) {
		case C_QUOTE:
			goto done;
		case C_BSLASH:
			j->p = p;
			if ((rc = jp_escape(j)) != 0)
				return rc;
			p = j->p;
			break;
		case C_CTL:
			return CAIRN_EJSON;	/* RFC 8259 section 7 */
		default:
			/* A run of bytes >= 0x80 is valid UTF-8 iff it is
			 * whole sequences (ASCII never continues one). */
			for (run = p; p < end && cls[*p] == C_HIGH; p++)
				;
			if (!cairn_utf8_valid(run, (size_t)(p - run)))
				return CAIRN_EUTF8;
			memcpy(j->o, run, (size_t)(p - run));
			j->o += p - run;
			*high = 1;
			break;
		}
	}
done:
	*j->o++ = '\0';
	k = &j->v->tok[i];
	k->len = (uint32_t)(p + 1 - (j->s + k->off));
	k->str = (uint32_t)(start - j->v->sbuf);
	k->slen = (uint32_t)(j->o - 1 - start);
	j->p = p + 1;
	return 0;
}

/* Parses the number at j->p; canonical is -?(0|[1-9][0-9]*) in 2^53-1. */
static int
jp_number(struct jp *j)
{
	const uint8_t *p;
	struct cairn_jtok *k;
	int i, canon;

	if ((i = jp_tok(j, CAIRN_JV_INT)) < 0)
		return CAIRN_EJSON;
	if ((p = cairn_cjson_int(j->p, j->end, &canon)) == NULL)
		return CAIRN_EJSON;
	/* Fractions and exponents are JSON but not ours either. */
	if (!canon || (p < j->end && (*p == '.' || *p == 'e' || *p == 'E')))
		return CAIRN_ENOTCANON;
	/* The digits and a NUL: the byte after them (a separator, bracket
	 * or the end) pays for the NUL in the buffer's bound. */
	k = &j->v->tok[i];
	k->len = k->slen = (uint32_t)(p - j->p);
	k->str = (uint32_t)(j->o - j->v->sbuf);
	memcpy(j->o, j->p, k->len);
	j->o += k->len;
	*j->o++ = '\0';
	j->p = p;
	return 0;
}

/* Compares two decoded keys bytewise, a shorter prefix first (RFC 8785
 * section 3.2.3: for ASCII keys, bytes order as UTF-16 code units). */
static int
keycmp(const char *a, size_t alen, const char *b, size_t blen)
{
	size_t m = alen < blen ? alen : blen;
	int r;

	if (m && (r = memcmp(a, b, m)) != 0)
		return r;
	return alen < blen ? -1 : alen > blen;
}

/* Ends container token i at its closing bracket (at j->p). */
static void
jp_close(struct jp *j, int i)
{
	struct cairn_jtok *k = &j->v->tok[i];

	j->p++;
	k->len = (uint32_t)(j->p - (j->s + k->off));
	k->next = (uint32_t)j->v->ntok;
}

/* Parses the object at j->p ('{') at nesting depth. */
static int
jp_object(struct jp *j, int depth)
{
	struct cairn_jview *v = j->v;
	const struct cairn_jtok *k, *pk = NULL;
	int i, ki, high, rc;

	if (depth > CAIRN_CJSON_MAX_DEPTH)
		return CAIRN_ENOTCANON;
	if ((i = jp_tok(j, CAIRN_JV_OBJECT)) < 0)
		return CAIRN_EJSON;
	j->p++;
	if (j->p < j->end && *j->p == '}')
		goto done;
	for (;;) {
		if (j->p >= j->end)
			return CAIRN_EJSON;
		if (*j->p != '"')
			return unexpected(*j->p);
		ki = (int)v->ntok;
		if ((rc = jp_string(j, &high)) != 0)
			return rc;
		if (high)
			return CAIRN_ENOTCANON;	/* keys are ASCII */
		/* Strictly increasing keys: sorted and no duplicates. */
		k = &v->tok[ki];
		if (pk != NULL && keycmp(v->sbuf + pk->str, pk->slen,
		    v->sbuf + k->str, k->slen) >= 0)
			return CAIRN_ENOTCANON;
		pk = k;
		if (j->p >= j->end)
			return CAIRN_EJSON;
		if (*j->p != ':')
			return unexpected(*j->p);
		j->p++;
		if ((rc = jp_value(j, depth)) != 0)
			return rc;
		if (j->p >= j->end)
			return CAIRN_EJSON;
		if (*j->p == '}')
			break;
		if (*j->p != ',')
			return unexpected(*j->p);
		j->p++;
	}
done:
	jp_close(j, i);
	return 0;
}

/* Parses the array at j->p ('[') at nesting depth. */
static int
jp_array(struct jp *j, int depth)
{
	int i, rc;

	if (depth > CAIRN_CJSON_MAX_DEPTH)
		return CAIRN_ENOTCANON;
	if ((i = jp_tok(j, CAIRN_JV_ARRAY)) < 0)
		return CAIRN_EJSON;
	j->p++;
	if (j->p < j->end && *j->p == ']')
		goto done;
	for (;;) {
		if ((rc = jp_value(j, depth)) != 0)
			return rc;
		if (j->p >= j->end)
			return CAIRN_EJSON;
		if (*j->p == ']')
			break;
		if (*j->p != ',')
			return unexpected(*j->p);
		j->p++;
	}
done:
	jp_close(j, i);
	return 0;
}

/* Parses a literal name (RFC 8259 section 3) at j->p. */
static int
jp_lit(struct jp *j, int t, const char *lit, size_t n)
{
	int i;

	if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n) != 0)
		return CAIRN_EJSON;
	if ((i = jp_tok(j, t)) < 0)
		return CAIRN_EJSON;
	j->v->tok[i].len = (uint32_t)n;
	j->p += n;
	return 0;
}

/* Parses one value at j->p inside depth enclosing containers. */
static int
jp_value(struct jp *j, int depth)
{
	int high;

	if (j->p >= j->end)
		return CAIRN_EJSON;
	switch (*j->p) {
	case '{':
		return jp_object(j, depth + 1);
	case '[':
		return jp_array(j, depth + 1);
	case '"':
		return jp_string(j, &high);
	case 't':
		return jp_lit(j, CAIRN_JV_TRUE, "true", 4);
	case 'f':
		return jp_lit(j, CAIRN_JV_FALSE, "false", 5);
	case 'n':
		return jp_lit(j, CAIRN_JV_NULL, "null", 4);
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		return jp_number(j);
	default:
		return unexpected(*j->p);
	}
}

/* Grows the view for an input of n bytes, so the parse never has to. */
static int
reserve(struct cairn_jview *v, size_t n)
{
	struct cairn_jtok *t;
	size_t nt = (n + 1) / 2 + 1;
	char *s;

	/* T values take at least 2T - 1 bytes: one each and a separator
	 * or bracket between.  A decoded string with its NUL is shorter
	 * than its quoted text; an integer's digits and NUL take its text
	 * and the byte after it, or one past the end. */
	if (nt > v->captok) {
		if ((t = reallocarray(v->tok, nt, sizeof *t)) == NULL)
			return CAIRN_ENOMEM;
		v->tok = t;
		v->captok = nt;
	}
	if (n + 1 > v->capsbuf) {
		if ((s = realloc(v->sbuf, n + 1)) == NULL)
			return CAIRN_ENOMEM;
		v->sbuf = s;
		v->capsbuf = n + 1;
	}
	return 0;
}

int
cairn_jview_parse(struct cairn_jview *v, const uint8_t *s, size_t n)
{
	struct jp j;
	int rc, ck;

	v->ntok = 0;
	if (s == NULL || n == 0)
		return CAIRN_EJSON;
	if (n > CAIRN_JVIEW_MAX)
		return CAIRN_ETOOBIG;
	if ((rc = reserve(v, n)) != 0)
		return rc;
	cls_init();
	j.v = v;
	j.s = j.p = s;
	j.end = s + n;
	j.o = v->sbuf;
	if ((rc = jp_value(&j, 0)) == 0 && j.p != j.end)
		rc = unexpected(*j.p);
	if (rc != 0) {
		v->ntok = 0;
		/* The view stops at the first fault; the checker reads on
		 * (past whitespace, say) and names the worst alike for both. */
		if (rc != CAIRN_ETOOBIG && (ck = cairn_cjson_check(s, n)) != 0)
			rc = ck;
	}
	return rc;
}

int
cairn_jview_type(const struct cairn_jview *v, int i)
{
	if (i < 0 || (size_t)i >= v->ntok)
		return 0;
	return v->tok[i].type;
}

int
cairn_jview_get(const struct cairn_jview *v, int obj, const char *key)
{
	const struct cairn_jtok *k;
	size_t klen = strlen(key), i, end;
	int r;

	if (cairn_jview_type(v, obj) != CAIRN_JV_OBJECT)
		return -1;
	end = v->tok[obj].next;
	for (i = (size_t)obj + 1; i < end; i = v->tok[i + 1].next) {
		k = &v->tok[i];
		r = keycmp(v->sbuf + k->str, k->slen, key, klen);
		if (r == 0)
			return (int)i + 1;
		if (r > 0)
			break;	/* keys are sorted */
	}
	return -1;
}

const char *
cairn_jview_str(const struct cairn_jview *v, int i, size_t *len)
{
	if (cairn_jview_type(v, i) != CAIRN_JV_STRING)
		return NULL;
	if (len != NULL)
		*len = v->tok[i].slen;
	return v->sbuf + v->tok[i].str;
}

const char *
cairn_jview_getstr(const struct cairn_jview *v, int obj, const char *key)
{
	return cairn_jview_str(v, cairn_jview_get(v, obj, key), NULL);
}

int
cairn_jview_int(const struct cairn_jview *v, int i, int64_t *out)
{
	const char *p;
	int64_t m = 0;

	if (cairn_jview_type(v, i) != CAIRN_JV_INT)
		return CAIRN_EINVAL;
	/* The digits were checked: below 2^53, so no overflow. */
	p = v->sbuf + v->tok[i].str;
	for (p += *p == '-'; *p != '\0'; p++)
		m = m * 10 + (*p - '0');
	*out = v->sbuf[v->tok[i].str] == '-' ? -m : m;
	return 0;
}

const char *
cairn_jview_text(const struct cairn_jview *v, int i, size_t *len)
{
	int t = cairn_jview_type(v, i);

	if (t != CAIRN_JV_STRING && t != CAIRN_JV_INT)
		return NULL;
	if (len != NULL)
		*len = v->tok[i].slen;
	return v->sbuf + v->tok[i].str;
}
