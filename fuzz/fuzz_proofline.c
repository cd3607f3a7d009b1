/* fuzz_proofline.c: query output as cairn verify-proof reads it (rows.h),
 * and stored entries as queries read them: neither may crash, and a line
 * accepted without a checkpoint must parse the same way with one. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "rows.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_checkpoint cp;
	struct cairn_entry e;
	struct cairn_row r;
	struct cairn_chain c;
	struct cairn_filter f;
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
		cairn_filter_init(&f);
		f.name[0] = "reason";
		f.value[0] = "arrears";
		f.nfields = 1;
		(void)cairn_row_match(&r, &f);
		cairn_chain_init(&c);
		(void)cairn_chain_step(&c, "u-1", &e, &r, 1);
		if (cairn_row_json(&b, &e, &r, CAIRN_ROW_ALTERED, NULL) != 0)
			abort();
	} else if (cairn_row_json(&b, &e, NULL, CAIRN_ROW_UNREADABLE,
	    NULL) != 0)
		abort();
	cairn_buf_free(&b);
	return 0;
}
