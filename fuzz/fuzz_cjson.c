/*
 * fuzz_cjson.c: cairn_cjson_check must never crash, and whatever it accepts
 * must decode and re-encode to the very same bytes, with every top-level
 * member found by cairn_cjson_member.
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
	struct cairn_buf b = { NULL, 0, 0 }, m = { NULL, 0, 0 };
	const uint8_t *val;
	const char *key;
	json_t *v, *mv;
	size_t vlen;
	int rc;

	/* Member lookup must stay in bounds even on unchecked input. */
	(void)cairn_cjson_member(data, size, "a", &val, &vlen);
	rc = cairn_cjson_check(data, size);
	/*
	 * What the checker calls malformed, jansson must refuse too (it
	 * accepts "5\0", so inputs with NUL bytes are left out).
	 */
	if ((rc == CAIRN_EJSON || rc == CAIRN_EUTF8) &&
	    memchr(data, 0, size) == NULL) {
		v = json_loadb((const char *)data, size,
		    JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		if (v != NULL)
			abort();
	}
	if (rc != 0) {
		if (rc != CAIRN_EJSON && rc != CAIRN_EUTF8 &&
		    rc != CAIRN_ENOTCANON)
			abort();
		if (cairn_cjson_decode(data, size, &v) != rc || v != NULL)
			abort();
		return 0;
	}
	if (cairn_cjson_decode(data, size, &v) != 0)
		abort();
	if (cairn_cjson_encode(v, &b) != 0)
		abort();
	if (b.len != size || memcmp(b.p, data, size) != 0)
		abort();
	if (json_is_object(v))
		json_object_foreach(v, key, mv) {
			m.len = 0;
			if (cairn_cjson_encode(mv, &m) != 0)
				abort();
			if (cairn_cjson_member(data, size, key, &val,
			    &vlen) != 0)
				abort();
			if (vlen != m.len || memcmp(val, m.p, vlen) != 0)
				abort();
		}
	json_decref(v);
	cairn_buf_free(&b);
	cairn_buf_free(&m);
	return 0;
}
