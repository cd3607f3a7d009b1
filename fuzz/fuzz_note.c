/* fuzz_note.c: signed notes, verifier keys, checkpoint bodies, times. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "note.h"

/* golang.org/x/mod/sumdb/note's test key, so its notes make good seeds. */
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* A parsed checkpoint must print back to exactly the bytes it came from. */
static void
checkpoint_roundtrip(const uint8_t *body, size_t len)
{
	struct cairn_checkpoint c;
	struct cairn_buf b = { 0 };

	if (cairn_checkpoint_parse(body, len, &c) != 0)
		return;
	if (cairn_checkpoint_body(&c, &b) != 0 || b.len != len ||
	    memcmp(b.p, body, len) != 0)
		abort();
	cairn_buf_free(&b);
}

/*
 * The key hashes a note lists: Peter's among them when his signature
 * verifies; and a note they accept takes one more signature that verifies,
 * keeping the first.
 */
static void
keyhashes_cosign(const uint8_t *data, size_t size, const char *name,
    const uint8_t pk[32], const uint8_t kh[4], int peter_ok)
{
	static uint8_t sk2[64], pk2[32];
	static int ready;
	uint8_t khs[CAIRN_NOTE_MAXSIGS][4];
	struct cairn_buf b = { 0 };
	const uint8_t *body;
	size_t n, i, bodylen;
	int rc, found = 0;

	if (!ready) {
		uint8_t seed[32];

		if (sodium_init() < 0)
			abort();
		memset(seed, 0x43, sizeof seed);
		crypto_sign_seed_keypair(pk2, sk2, seed);
		ready = 1;
	}
	rc = cairn_note_keyhashes(data, size, name, khs, CAIRN_NOTE_MAXSIGS, &n);
	if (peter_ok && rc != 0)
		abort();
	if (rc != 0)
		return;
	for (i = 0; i < n && i < CAIRN_NOTE_MAXSIGS; i++)
		found |= memcmp(khs[i], kh, 4) == 0;
	if (peter_ok && !found)
		abort();
	if (cairn_note_cosign(name, sk2, data, size, &b) == 0) {
		if (cairn_note_verify(b.p, b.len, name, pk2, &body, &bodylen) != 0 ||
		    (peter_ok && cairn_note_verify(b.p, b.len, name, pk, &body,
		    &bodylen) != 0))
			abort();
	}
	cairn_buf_free(&b);
}

/* Runs the note, checkpoint, verifier key and time parsers over one input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char name[CAIRN_NAME_MAX + 1];
	static uint8_t pk[32], kh[4];
	static int ready;
	char vname[CAIRN_NAME_MAX + 1];
	uint8_t vpk[32], vkh[4];
	const uint8_t *body;
	size_t bodylen;
	int64_t us;
	char t[CAIRN_TIME_LEN + 1];
	int ok;

	if (!ready) {
		if (cairn_vkey_parse(PETER_VKEY, strlen(PETER_VKEY), name,
		    sizeof name, pk, kh) != 0)
			abort();
		ready = 1;
	}
	if ((ok = cairn_note_verify(data, size, name, pk, &body,
	    &bodylen) == 0)) {
		if (bodylen == 0 || bodylen >= size || body[bodylen - 1] != '\n')
			abort();
		checkpoint_roundtrip(body, bodylen);
	}
	keyhashes_cosign(data, size, name, pk, kh, ok);
	checkpoint_roundtrip(data, size);
	if (cairn_vkey_parse((const char *)data, size, vname, sizeof vname,
	    vpk, vkh) == 0 && strlen(vname) == 0)
		abort();
	if (cairn_time_parse_us((const char *)data, size, &us) == 0) {
		cairn_time_format_us(us, t);
		if (memcmp(t, data, CAIRN_TIME_LEN) != 0)
			abort();
	}
	return 0;
}
