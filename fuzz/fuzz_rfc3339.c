/* fuzz_rfc3339.c: libFuzzer target for the RFC 3339 parser. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rfc3339.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parses the input; a parsed time must format and re-parse to itself. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[CAIRN_RFC3339_LEN + 1], tz[7];
	int64_t us, us2;
	int off, off2;

	if (cairn_rfc3339_parse((const char *)data, size, &us, &off) != 0)
		return 0;
	cairn_rfc3339_format(us, out);
	if (strlen(out) != CAIRN_RFC3339_LEN ||
	    cairn_rfc3339_parse(out, CAIRN_RFC3339_LEN, &us2, &off2) != 0 ||
	    us2 != us || off2 != 0)
		abort();
	cairn_rfc3339_offset(off, tz);
	if (strlen(tz) != 6 || (tz[0] != '+' && tz[0] != '-'))
		abort();
	return 0;
}
