/*
 * fuzz_export.c: the export verifier's content pass (reports/verify.c,
 * reports/xcommon.c) over hostile XML.  The input is the XML document: it is
 * compressed into a temporary NAME.xml.zst with a dummy NAME.xml.zst.minisig
 * beside it, and verified with a fixed public key without the schema pass,
 * so that what parses the document is the code that must not trust it.
 *
 * The key is the public half of a throw-away key that signed the seed
 * exports in fuzz/corpus/export/ (made with cairn init / append
 * schemas/examples/events.ndjson / report), so that mutated seeds keep
 * valid checkpoint signatures and reach the entry, proof, summary and
 * findings checks.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libxml/xmlerror.h>
#include <zstd.h>

#include "export.h"
#include "keys.h"

#define FUZZ_PUBKEY	"RWQrZHljbFbEtgXV3W9WaykNeMxrCVDo5kUtslEPL/e50yLNxIIXmAWT"
#define FUZZ_MAX_INPUT	(1 << 20)

/* A signature file of the right shape that cannot verify. */
static const char dummy_sig[] =
    "untrusted comment: signature from cairn export\n"
    "RUQrZHljbFbEtgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"
    "trusted comment: cairn-export kind=takedown\n"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";

static char path[64], sigpath[80];

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
cleanup(void)
{
	if (path[0] != '\0')
		(void)unlink(path);
	if (sigpath[0] != '\0')
		(void)unlink(sigpath);
}

static void
quiet(void *arg, int ok, const char *check, const char *detail)
{
	(void)arg;
	(void)ok;
	(void)check;
	(void)detail;
}

/* libxml2's parser errors would go to stderr on every input. */
static void
xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* Creates the two files once per process. */
static int
setup(struct cairn_pubkey *pub)
{
	FILE *f;
	int fd;

	if (cairn_pubkey_parse(FUZZ_PUBKEY, strlen(FUZZ_PUBKEY), pub) != 0)
		abort();
	xmlSetGenericErrorFunc(NULL, xml_quiet);
	snprintf(path, sizeof path, "/tmp/fuzz_export.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		abort();
	close(fd);
	snprintf(sigpath, sizeof sigpath, "%s.minisig", path);
	atexit(cleanup);
	if ((f = fopen(sigpath, "w")) == NULL)
		abort();
	if (fwrite(dummy_sig, 1, sizeof dummy_sig - 1, f) !=
	    sizeof dummy_sig - 1 || fclose(f) != 0)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct cairn_pubkey pub;
	static int ready;
	struct cairn_export_check chk;
	size_t cap, n;
	uint8_t *z;
	FILE *f;

	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!ready)
		ready = setup(&pub) == 0;
	cap = ZSTD_compressBound(size);
	if ((z = malloc(cap)) == NULL)
		return 0;
	n = ZSTD_compress(z, cap, data, size, 1);
	if (ZSTD_isError(n))
		abort();
	if ((f = fopen(path, "wb")) == NULL)
		abort();
	if (fwrite(z, 1, n, f) != n || fclose(f) != 0)
		abort();
	free(z);

	memset(&chk, 0, sizeof chk);
	chk.path = path;
	chk.skip_schema = 1;
	chk.say = quiet;
	(void)cairn_export_verify(&pub, &chk);
	return 0;
}
