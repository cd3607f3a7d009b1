/* fuzz_note.c: signed notes, verifier keys, checkpoint bodies, times. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

	if (!ready) {
		if (cairn_vkey_parse(PETER_VKEY, strlen(PETER_VKEY), name,
		    sizeof name, pk, kh) != 0)
			abort();
		ready = 1;
	}
	if (cairn_note_verify(data, size, name, pk, &body, &bodylen) == 0) {
		if (bodylen == 0 || bodylen >= size || body[bodylen - 1] != '\n')
			abort();
		checkpoint_roundtrip(body, bodylen);
	}
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
