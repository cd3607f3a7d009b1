/*
 * fuzz_http_events.c: http_decode_events must never crash, and must agree
 * with a strict parse of the whole body: an array it splits holds exactly
 * the elements it returns, it never accepts what the parser calls
 * malformed, and it never refuses a well-formed array of sane size.  The
 * first input byte picks the media type (odd: NDJSON); the rest is the body.
 * The Content-Type and Authorization parsers get the body as a header value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cairn.h"
#include "cjson.h"
#include "http.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Checks the header-value parsers on the body as a C string. */
static void
headers(const uint8_t *data, size_t size)
{
	const char *tok;
	char *s;
	size_t len;

	if ((s = malloc(size + 1)) == NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)http_content_type(s);
	if (http_bearer(s, &tok, &len) == 0 &&
	    (tok < s || tok + len > s + strlen(s) || len == 0))
		abort();
	free(s);
}

/* Checks one input; aborts on any broken invariant. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_events ev;
	struct http_derr err;
	json_t *whole;
	size_t i, nlines;
	int ct, rc, wrc;

	if (size == 0)
		return 0;
	ct = (data[0] & 1) ? HTTP_CT_NDJSON : HTTP_CT_JSON;
	data++;
	size--;
	headers(data, size);
	rc = http_decode_events(data, size, ct, &ev, &err);
	if (rc != 0) {
		if (ev.n != 0 || ev.evs != NULL || ev.lines != NULL)
			abort();
		if (rc != CAIRN_EJSON && rc != CAIRN_EUTF8 &&
		    rc != CAIRN_EINVAL && rc != CAIRN_ETOOBIG &&
		    rc != CAIRN_ENOMEM)
			abort();
		if (memchr(err.msg, '\0', sizeof err.msg) == NULL)
			abort();
	} else {
		if (ev.n == 0 || ev.n > HTTP_MAX_EVENTS)
			abort();
		for (i = 0; i < ev.n; i++)
			if (ev.evs[i] == NULL)
				abort();
	}
	if (ct == HTTP_CT_NDJSON) {
		for (i = 0, nlines = 1; i < size; i++)
			nlines += data[i] == '\n';
		if (rc == 0) {
			if (ev.lines == NULL || ev.n > nlines)
				abort();
			for (i = 0; i < ev.n; i++)
				if (ev.lines[i] < 1 || ev.lines[i] > nlines ||
				    (i > 0 && ev.lines[i] <= ev.lines[i - 1]))
					abort();
		}
		http_events_free(&ev);
		return 0;
	}
	/* JSON: compare with one strict parse of the whole body. */
	wrc = cairn_json_parse(data, size, &whole, NULL, 0);
	if (rc == 0) {
		if (ev.lines != NULL)
			abort();
		/* Malformed as a whole but accepted in pieces: a split bug.
		 * (CAIRN_EINVAL may be the array's extra nesting level.) */
		if (wrc == CAIRN_EJSON || wrc == CAIRN_EUTF8)
			abort();
		if (wrc == 0) {
			if (json_is_array(whole)) {
				if (json_array_size(whole) != ev.n)
					abort();
				for (i = 0; i < ev.n; i++)
					if (!json_equal(json_array_get(whole, i),
					    ev.evs[i]))
						abort();
			} else if (ev.n != 1 || !json_equal(whole, ev.evs[0]))
				abort();
		}
	} else if (wrc == 0 && (json_is_array(whole) || json_is_object(whole)) &&
	    (rc == CAIRN_EJSON || rc == CAIRN_EUTF8)) {
		/* Well-formed as a whole but refused in pieces. */
		abort();
	}
	json_decref(whole);
	http_events_free(&ev);
	return 0;
}
