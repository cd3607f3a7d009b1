/* fuzz_minisign.c: minisign public key, secret key and signature parsers. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Runs every minisign parser over one input; crashes are the finding. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t msg[] = "fuzz";
	static struct cairn_pubkey fixed;
	static int ready;
	struct cairn_pubkey pk;
	struct cairn_seckey *sk = NULL;
	struct cairn_minisign m;
	uint8_t seed[32], sk64[64], id[CAIRN_KEYID_LEN];
	char trusted[64];
	int krc;

	/* The seeds' signatures are by this key (seed 0x42..., id "cairnfuz"). */
	if (!ready) {
		if (sodium_init() < 0)
			abort();
		memset(seed, 0x42, sizeof seed);
		crypto_sign_seed_keypair(fixed.pk, sk64, seed);
		memcpy(fixed.keyid, "cairnfuz", CAIRN_KEYID_LEN);
		ready = 1;
	}
	(void)cairn_pubkey_parse((const char *)data, size, &pk);
	/* NULL passphrase: encrypted keys stop before scrypt (CAIRN_EPASS). */
	if (cairn_seckey_parse(data, size, NULL, &sk) == 0) {
		cairn_seckey_public(sk, &pk);
		cairn_seckey_free(sk);
	}
	cairn_minisign_init(&m);
	cairn_minisign_update(&m, msg, sizeof msg - 1);
	/* A signature that verifies names the key that made it. */
	krc = cairn_minisign_keyid((const char *)data, size, id);
	if (cairn_minisign_verify(&m, &fixed, (const char *)data, size,
	    trusted, sizeof trusted) == 0 && (krc != 0 ||
	    memcmp(id, fixed.keyid, CAIRN_KEYID_LEN) != 0))
		abort();
	return 0;
}
