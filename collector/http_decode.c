/*
 * http_decode.c: the pure parts of the HTTP listener: media types, bearer
 * credentials, and POST /v1/events bodies (one JSON object, an array of
 * objects, or NDJSON) split into strictly parsed events.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "cairn.h"
#include "cjson.h"
#include "http.h"

/* RFC 9110 section 5.6.3: optional whitespace is SP or HTAB. */
static int
ows(char c)
{
	return c == ' ' || c == '\t';
}

/* RFC 8259 section 2: insignificant whitespace. */
static int
jws(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Compares s[0..n) to a lower-case literal, ignoring ASCII case. */
static int
ieq(const char *s, size_t n, const char *lit)
{
	return strlen(lit) == n && strncasecmp(s, lit, n) == 0;
}

/* The supported media type a Content-Type value names, or 0. */
int
http_content_type(const char *v)
{
	const char *p, *e, *name, *val;
	size_t nlen, vlen;
	int ct;

	if (v == NULL)
		return 0;
	for (p = v; ows(*p); p++)
		;
	for (e = p; *e != '\0' && *e != ';' && !ows(*e); e++)
		;
	if (ieq(p, (size_t)(e - p), "application/json"))
		ct = HTTP_CT_JSON;
	else if (ieq(p, (size_t)(e - p), "application/x-ndjson"))
		ct = HTTP_CT_NDJSON;
	else
		return 0;
	/* Parameters: *( OWS ";" OWS name "=" value ), RFC 9110 section 5.6.6. */
	for (p = e;;) {
		while (ows(*p))
			p++;
		if (*p == '\0')
			return ct;
		if (*p++ != ';')
			return 0;
		while (ows(*p))
			p++;
		if (*p == '\0')
			return ct;
		name = p;
		while (*p != '\0' && *p != '=' && *p != ';' && !ows(*p))
			p++;
		nlen = (size_t)(p - name);
		if (*p != '=')
			return 0;
		val = ++p;
		if (*p == '"') {
			val = ++p;
			while (*p != '\0' && *p != '"')
				p++;
			if (*p != '"')
				return 0;
			vlen = (size_t)(p - val);
			p++;
		} else {
			while (*p != '\0' && *p != ';' && !ows(*p))
				p++;
			vlen = (size_t)(p - val);
		}
		/* JSON text is UTF-8 (RFC 8259 section 8.1); say so or say nothing. */
		if (ieq(name, nlen, "charset") && !ieq(val, vlen, "utf-8") &&
		    !ieq(val, vlen, "utf8"))
			return 0;
	}
}

/* Finds the token of a bearer credential. */
int
http_bearer(const char *v, const char **tok, size_t *len)
{
	const char *p, *e;

	if (v == NULL)
		return -1;
	for (p = v; ows(*p); p++)
		;
	if (strncasecmp(p, "Bearer", 6) != 0 || !ows(p[6]))
		return -1;
	for (p += 6; ows(*p); p++)
		;
	/* RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." /
	 * "_" / "~" / "+" / "/" ) *"=". */
	for (e = p; *e != '\0' && !ows(*e); e++)
		if (!((*e >= 'a' && *e <= 'z') || (*e >= 'A' && *e <= 'Z') ||
		    (*e >= '0' && *e <= '9') || strchr("-._~+/=", *e) != NULL))
			return -1;
	*len = (size_t)(e - p);
	while (ows(*e))
		e++;
	if (*len == 0 || *e != '\0')
		return -1;
	*tok = p;
	return 0;
}

/* Sets a decoding error. */
static int
derr(struct http_derr *err, int rc, int kind, size_t pos, const char *msg)
{
	err->pos_kind = kind;
	err->pos = pos;
	snprintf(err->msg, sizeof err->msg, "%s", msg);
	return rc;
}

/* Parses one event's text strictly and appends it to out. */
static int
add_event(struct http_events *out, size_t *cap, const uint8_t *s, size_t n,
    size_t line, int kind, size_t pos, struct http_derr *err)
{
	json_t *v, **nevs;
	size_t *nlines, ncap;
	const char *p;
	char msg[160];
	int rc;

	if (out->n >= HTTP_MAX_EVENTS)
		return derr(err, CAIRN_ETOOBIG, kind, pos,
		    "more than 100000 events in one request");
	if (n > HTTP_MAX_EVENT)
		return derr(err, CAIRN_ETOOBIG, kind, pos,
		    "event larger than 65536 bytes");
	if ((rc = cairn_json_parse(s, n, &v, msg, sizeof msg)) != 0) {
		p = msg;
		/* A line parsed alone is always jansson's line 1. */
		if (kind == HTTP_POS_LINE && strncmp(p, "line 1 ", 7) == 0)
			p += 7;
		err->pos_kind = kind;
		err->pos = pos;
		snprintf(err->msg, sizeof err->msg, "%s", *p ? p :
		    cairn_strerror(rc));
		return rc;
	}
	if (out->n == *cap) {
		ncap = *cap ? *cap * 2 : 16;
		if ((nevs = realloc(out->evs, ncap * sizeof *nevs)) == NULL) {
			json_decref(v);
			return derr(err, CAIRN_ENOMEM, HTTP_POS_NONE, 0,
			    "out of memory");
		}
		out->evs = nevs;
		if ((nlines = realloc(out->lines, ncap * sizeof *nlines)) ==
		    NULL) {
			json_decref(v);
			return derr(err, CAIRN_ENOMEM, HTTP_POS_NONE, 0,
			    "out of memory");
		}
		out->lines = nlines;
		*cap = ncap;
	}
	out->lines[out->n] = line;
	out->evs[out->n++] = v;
	return 0;
}

/*
 * Finds the end of one array element starting at s[i]: the ',' or ']'
 * that closes it at nesting depth 0, outside strings.  Only delimits: the
 * element's text is then parsed strictly, which catches whatever this
 * lenient scan lets through (mismatched brackets, bad escapes).
 */
static size_t
element_end(const uint8_t *s, size_t n, size_t i)
{
	size_t depth = 0;
	int instr = 0, esc = 0;

	for (; i < n; i++) {
		if (instr) {
			if (esc)
				esc = 0;
			else if (s[i] == '\\')
				esc = 1;
			else if (s[i] == '"')
				instr = 0;
			continue;
		}
		switch (s[i]) {
		case '"':
			instr = 1;
			break;
		case '{':
		case '[':
			depth++;
			break;
		case '}':
		case ']':
			if (depth == 0)
				return i;
			depth--;
			break;
		case ',':
			if (depth == 0)
				return i;
			break;
		}
	}
	return n;
}

/* Splits a JSON array body into its elements. */
static int
decode_array(const uint8_t *s, size_t n, size_t i, struct http_events *out,
    size_t *cap, struct http_derr *err)
{
	size_t start, end, e, idx;
	int rc;

	for (i++, idx = 0;; idx++) {
		while (i < n && jws(s[i]))
			i++;
		if (idx == 0 && i < n && s[i] == ']') {
			end = i;
			break;
		}
		start = i;
		end = element_end(s, n, i);
		if (end == n)
			return derr(err, CAIRN_EJSON, HTTP_POS_INDEX, idx,
			    "unterminated array");
		if (s[end] == '}')
			return derr(err, CAIRN_EJSON, HTTP_POS_INDEX, idx,
			    "unexpected '}'");
		for (e = end; e > start && jws(s[e - 1]); e--)
			;
		if (e == start)
			return derr(err, CAIRN_EJSON, HTTP_POS_INDEX, idx,
			    "expected a value");
		if ((rc = add_event(out, cap, s + start, e - start, 0,
		    HTTP_POS_INDEX, idx, err)) != 0)
			return rc;
		i = end + 1;
		if (s[end] == ']')
			break;
	}
	for (i = end + 1; i < n && jws(s[i]); i++)
		;
	if (i != n)
		return derr(err, CAIRN_EJSON, HTTP_POS_NONE, 0,
		    "data after the array");
	if (out->n == 0)
		return derr(err, CAIRN_EINVAL, HTTP_POS_NONE, 0, "no events");
	return 0;
}

/*
 * Splits an NDJSON body into lines.  A JSON text cannot hold a raw LF
 * (RFC 8259 section 7: controls in strings are escaped), so splitting on
 * LF never cuts an event; a CR before the LF is whitespace to the parser.
 */
static int
decode_ndjson(const uint8_t *s, size_t n, struct http_events *out,
    size_t *cap, struct http_derr *err)
{
	const uint8_t *nl;
	size_t i, j, line, len;
	int rc;

	for (i = 0, line = 1; i < n; i += len + 1, line++) {
		nl = memchr(s + i, '\n', n - i);
		len = nl != NULL ? (size_t)(nl - (s + i)) : n - i;
		for (j = 0; j < len && jws(s[i + j]); j++)
			;
		if (j == len)
			continue;	/* blank lines are ignored */
		if ((rc = add_event(out, cap, s + i, len, line, HTTP_POS_LINE,
		    line, err)) != 0)
			return rc;
	}
	if (out->n == 0)
		return derr(err, CAIRN_EINVAL, HTTP_POS_NONE, 0, "no events");
	return 0;
}

/* Decodes a request body into strictly parsed events. */
int
http_decode_events(const uint8_t *s, size_t n, int ctype,
    struct http_events *out, struct http_derr *err)
{
	size_t cap = 0, i;
	int rc;

	memset(out, 0, sizeof *out);
	err->pos_kind = HTTP_POS_NONE;
	err->pos = 0;
	err->msg[0] = '\0';
	if (ctype == HTTP_CT_NDJSON)
		rc = decode_ndjson(s, n, out, &cap, err);
	else if (ctype == HTTP_CT_JSON) {
		for (i = 0; i < n && jws(s[i]); i++)
			;
		if (i < n && s[i] == '[')
			rc = decode_array(s, n, i, out, &cap, err);
		else if (i < n && s[i] == '{')
			rc = add_event(out, &cap, s, n, 0, HTTP_POS_NONE, 0,
			    err);
		else
			rc = derr(err, i == n ? CAIRN_EINVAL : CAIRN_EJSON,
			    HTTP_POS_NONE, 0, i == n ? "empty body" :
			    "expected an object or an array of objects");
	} else
		rc = derr(err, CAIRN_EINVAL, HTTP_POS_NONE, 0,
		    "unsupported media type");
	if (rc != 0) {
		http_events_free(out);
		return rc;
	}
	if (out->lines != NULL && ctype != HTTP_CT_NDJSON) {
		free(out->lines);
		out->lines = NULL;
	}
	return 0;
}

/* Frees decoded events. */
void
http_events_free(struct http_events *ev)
{
	size_t i;

	for (i = 0; i < ev->n; i++)
		json_decref(ev->evs[i]);
	free(ev->evs);
	free(ev->lines);
	memset(ev, 0, sizeof *ev);
}
