/* fuzz_framing.c: libFuzzer target for the RFC 6587 TCP framer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framing.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Runs the framer over in, cut into chunks whose sizes cycle through
 * sizes (nsizes 0: one chunk); appends each result to out as a tag byte
 * (F frame, B bad, C close, E eof frame, X cut) and the frame's bytes.
 */
static void
run(const uint8_t *in, size_t len, size_t max, const uint8_t *sizes,
    size_t nsizes, struct cairn_buf *out)
{
	struct framer f;
	const uint8_t *fr;
	size_t off = 0, n, used, fl, ci = 0, flen8;
	int rc;

	framer_init(&f, max);
	while (off < len) {
		n = nsizes ? (size_t)(1 + sizes[ci++ % nsizes] % 32) : len;
		if (n > len - off)
			n = len - off;
		while (n > 0) {
			rc = framer_next(&f, in + off, n, &used, &fr, &fl);
			if (used > n)
				abort();
			off += used;
			n -= used;
			if (rc == 1) {
				if (fl > max || f.cap > max + 1)
					abort();
				flen8 = fl;
				cairn_buf_addc(out, 'F');
				cairn_buf_add(out, &flen8, sizeof(flen8));
				cairn_buf_add(out, fr, fl);
			} else if (rc == -1)
				cairn_buf_addc(out, 'B');
			else if (rc == -2) {
				cairn_buf_addc(out, 'C');
				goto done;
			} else if (rc != 0 || n != 0)
				abort();
		}
	}
	if ((rc = framer_eof(&f, &fr, &fl)) == 1) {
		cairn_buf_addc(out, 'E');
		cairn_buf_add(out, fr, fl);
	} else if (rc == -1)
		cairn_buf_addc(out, 'X');
done:
	if (f.cap > max + 1)
		abort();
	framer_free(&f);
}

/*
 * The first byte sets max, the next four the chunk sizes; the rest is the
 * stream.  Fed in chunks or all at once, it must give the same results.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_buf a = { NULL, 0, 0 }, b = { NULL, 0, 0 },
	    c = { NULL, 0, 0 };
	static const uint8_t one[] = { 0 };
	size_t max;

	if (size < 5)
		return 0;
	max = 1 + data[0] % 64;
	run(data + 5, size - 5, max, NULL, 0, &a);
	run(data + 5, size - 5, max, data + 1, 4, &b);
	run(data + 5, size - 5, max, one, 1, &c);
	if (a.len != b.len || a.len != c.len ||
	    (a.len && (memcmp(a.p, b.p, a.len) || memcmp(a.p, c.p, a.len))))
		abort();
	cairn_buf_free(&a);
	cairn_buf_free(&b);
	cairn_buf_free(&c);
	return 0;
}
