/* fuzz_proofline.c: query output as cairn verify-proof reads it (rows.h),
 * and stored entries as queries read them: neither may crash, and a line
 * accepted without a checkpoint must parse the same way with one.  A row
 * parsed from the bytes must survive cairnd's history frame (its spans as
 * bytes and back) unchanged; the input's first bytes taken as such spans
 * over the rest must be refused or lie within it. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rows.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A --field filter on the row. */
static void
match_field(const struct cairn_row *r)
{
	struct cairn_filter f;

	cairn_filter_init(&f);
	f.name[0] = "reason";
	f.value[0] = "arrears";
	f.nfields = 1;
	(void)cairn_row_match(r, &f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_checkpoint cp;
	struct cairn_entry e;
	struct cairn_row r;
	struct cairn_chain c;
	struct cairn_buf b = { 0 };
	json_t *doc;
	const char *note;
	char why[256];
	size_t nl;
	uint64_t seq;
	int kind, rc;

	if (size > 1 << 20)
		return 0;
	memset(&cp, 0, sizeof cp);
	cp.size = 5;
	rc = cairn_proofline_verify(data, size, NULL, &kind, &seq, &doc, &note,
	    &nl, why, sizeof why);
	json_decref(doc);
	if (rc == 0) {
		rc = cairn_proofline_verify(data, size, &cp, &kind, &seq, &doc,
		    &note, &nl, why, sizeof why);
		json_decref(doc);
		if (rc == CAIRN_EFORMAT)
			abort();
	}
	/* The same bytes as a (damaged) stored entry. */
	memset(&e, 0, sizeof e);
	e.data = data;
	e.len = size;
	if (cairn_row_parse(data, size, &r) == 0) {
		uint8_t sp[CAIRN_ROW_SPANS_LEN];
		struct cairn_row r2;

		cairn_row_spans_put(sp, &r, data);
		if (cairn_row_spans_get(sp, data, size, &r2) != 0 ||
		    memcmp(&r, &r2, sizeof r) != 0)
			abort();
		match_field(&r);
		cairn_chain_init(&c);
		(void)cairn_chain_step(&c, "u-1", &e, &r, 1);
		if (cairn_row_json(&b, &e, &r, CAIRN_ROW_ALTERED, NULL) != 0)
			abort();
	} else if (cairn_row_json(&b, &e, NULL, CAIRN_ROW_UNREADABLE,
	    NULL) != 0)
		abort();
	/* A history frame's row from a damaged or hostile stream. */
	if (size >= CAIRN_ROW_SPANS_LEN &&
	    cairn_row_spans_get(data, data + CAIRN_ROW_SPANS_LEN,
	    size - CAIRN_ROW_SPANS_LEN, &r) == 0) {
		const struct cairn_span *sp[] = { &r.account_prev, &r.received,
		    &r.source, &r.stream, &r.event, &r.account, &r.clause,
		    &r.outcome, &r.time, &r.type };
		size_t i;

		for (i = 0; i < sizeof sp / sizeof sp[0]; i++)
			if (sp[i]->p != NULL && ((const uint8_t *)sp[i]->p <
			    data + CAIRN_ROW_SPANS_LEN ||
			    (const uint8_t *)sp[i]->p + sp[i]->n > data + size))
				abort();
		e.data = data + CAIRN_ROW_SPANS_LEN;
		e.len = size - CAIRN_ROW_SPANS_LEN;
		b.len = 0;
		if (cairn_row_json(&b, &e, &r, CAIRN_ROW_OK, NULL) != 0)
			abort();
		match_field(&r);
	}
	cairn_buf_free(&b);
	return 0;
}
