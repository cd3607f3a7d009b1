/*
 * fuzz_pgread.c: LMDB pages read by pread (store/pgread.c), as a damaged
 * or hostile store file would hold them.  Input: one byte of depth, eight
 * of root page number (little-endian), then the file, in pages of 4,096
 * bytes.  Every key an input's leaves hold is looked up, and a few others;
 * a value found must lie within the reader's buffer.  The same keys are
 * then looked up with the input as the memory map (cairn_pgread_mapv): a
 * value found must lie within the map's pages.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "pgread.h"
#include "util.h"

#define PSIZE	4096

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
lookup(struct cairn_pgread *r, const uint8_t *key, size_t klen)
{
	const uint8_t *d;
	size_t len;
	int rc;

	rc = cairn_pgread_get(r, key, klen, &d, &len);
	if (rc == 0 && (d < r->buf || len > PSIZE ||
	    d + len > r->buf + (size_t)PSIZE * CAIRN_PGREAD_DEPTH))
		abort();
	if (rc != 0 && rc != CAIRN_ENOTFOUND && rc != CAIRN_PGREAD_USE_LMDB)
		abort();
}

/* The input's pages as the map, all of them and then the first half (a
 * snapshot naming fewer pages than the file has); keys as numbers.  The
 * map is a copy of just those pages, so that ASan sees any read past. */
static void
mapv(struct cairn_pgread *r, const uint8_t *data, size_t size)
{
	const uint8_t *found[300];
	uint64_t keys[300];
	size_t len[300], n = 0, i, npages, round;
	uint8_t *map;

	for (i = 9; i + 8 <= size && n < 100; i += 16)
		keys[n++] = cairn_get_be64(data + i);
	for (i = 0; i < 160; i++)
		keys[n++] = i;
	keys[n++] = 0;
	keys[n++] = UINT64_MAX;
	npages = (size - 9) / PSIZE;
	for (round = 0; round < 2; round++, npages /= 2) {
		if (npages == 0 || (map = malloc(npages * PSIZE)) == NULL)
			return;
		memcpy(map, data + 9, npages * PSIZE);
		cairn_pgread_mapv(r, map, npages, keys, n, found, len);
		for (i = 0; i < n; i++)
			if (found[i] != NULL && (found[i] < map ||
			    len[i] > PSIZE ||
			    found[i] + len[i] > map + npages * PSIZE))
				abort();
		free(map);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cairn_pgread r;
	uint8_t rec[48] = { 0 }, key[8];
	uint16_t depth;
	size_t i;
	FILE *f;

	if (size < 9 || size > 64 * PSIZE || (f = tmpfile()) == NULL)
		return 0;
	if (fwrite(data + 9, 1, size - 9, f) != size - 9 || fflush(f) != 0) {
		fclose(f);
		return 0;
	}
	if (cairn_pgread_init(&r, fileno(f), PSIZE) != 0) {
		fclose(f);
		return 0;
	}
	depth = data[0];
	memcpy(rec + 6, &depth, 2);
	memcpy(rec + 40, data + 1, 8);
	cairn_pgread_root(&r, rec, sizeof rec);
	/* 8-byte keys found anywhere in the input, and a few fixed ones. */
	for (i = 9; i + 8 <= size && i < 9 + 64 * 16; i += 16)
		lookup(&r, data + i, 8);
	/* Entries' and nodes' keys: big-endian numbers. */
	memset(key, 0, sizeof key);
	for (i = 0; i < 160; i++) {
		key[7] = (uint8_t)i;
		key[6] = (uint8_t)(i >> 8);
		lookup(&r, key, 8);
	}
	memset(key, 0, sizeof key);
	lookup(&r, key, 8);
	memset(key, 0xff, sizeof key);
	lookup(&r, key, 8);
	lookup(&r, key, 0);
	mapv(&r, data, size);
	cairn_pgread_free(&r);
	fclose(f);
	return 0;
}
