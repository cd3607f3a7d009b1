/*
 * fuzz_json_parse.c: cairn_json_parse must never crash, and whatever it
 * accepts must encode to bytes that cairn_cjson_check accepts and that
 * decode back to an equal value.  Its fast path (YAJL) must agree with
 * jansson alone: the same code, the same message, an equal value.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cjson.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Checks one input; aborts on any broken invariant. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_buf b = { NULL, 0, 0 };
	char err[160], jerr[160];
	json_t *v, *d, *j;
	int rc;

	rc = cairn_json_parse(data, size, &v, err, sizeof(err));
	if (cairn_json_parse_jansson(data, size, &j, jerr, sizeof(jerr)) != rc ||
	    (rc != 0 && strcmp(err, jerr) != 0) ||
	    (rc == 0 && !json_equal(v, j)))
		abort();
	json_decref(j);
	if (rc != 0) {
		if (v != NULL || (rc != CAIRN_EJSON && rc != CAIRN_EUTF8 &&
		    rc != CAIRN_EINVAL && rc != CAIRN_ENOMEM) ||
		    memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (cairn_cjson_encode(v, &b) != 0)
		abort();
	if (cairn_cjson_check(b.p, b.len) != 0)
		abort();
	if (cairn_cjson_decode(b.p, b.len, &d) != 0 || !json_equal(v, d))
		abort();
	/* Input the checker calls canonical must be its own encoding. */
	if (cairn_cjson_check(data, size) == 0 &&
	    (b.len != size || memcmp(b.p, data, size) != 0))
		abort();
	json_decref(d);
	json_decref(v);
	cairn_buf_free(&b);
	return 0;
}
