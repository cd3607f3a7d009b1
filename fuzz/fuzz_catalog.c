/* fuzz_catalog.c: libFuzzer target for the catalog validator and loader. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "rfc3339.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Validates the input as an event; a valid one must normalise idempotently. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cairn_catalog *cat;
	struct cairn_catalog *other = NULL;
	struct cairn_verr errs[8];
	const char *stream, *stream2;
	json_t *ev, *copy, *t;
	size_t nerr;
	int flags, rc;

	if (cat == NULL && cairn_catalog_default(&cat) != 0)
		abort();
	/* The loader must refuse or accept any text without harm. */
	if (cairn_catalog_load(data, size, &other) == 0)
		cairn_catalog_free(other);

	ev = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (ev == NULL)
		return 0;
	for (flags = 0; flags <= CAIRN_VALIDATE_SYSTEM; flags++) {
		copy = json_deep_copy(ev);
		rc = cairn_catalog_validate(cat, copy, flags, &stream, errs, 8,
		    &nerr);
		if (rc == CAIRN_EVALIDATE) {
			if (nerr == 0 || !json_equal(copy, ev))
				abort();
		} else if (rc == 0) {
			t = json_object_get(copy, "time");
			if (nerr != 0 || stream == NULL ||
			    json_string_length(t) != CAIRN_RFC3339_LEN ||
			    cairn_catalog_stream(cat, json_string_value(
			    json_object_get(copy, "type"))) != stream)
				abort();
			/* Normalising a normalised event changes nothing. */
			json_object_del(copy, "tz");
			if (cairn_catalog_validate(cat, copy, flags, &stream2,
			    errs, 8, &nerr) != 0 || stream2 != stream)
				abort();
		} else
			abort();
		json_decref(copy);
	}
	json_decref(ev);
	return 0;
}
