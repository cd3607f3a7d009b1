/* test_note.c: signed notes (c2sp.org/signed-note) and checkpoints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <sodium.h>

#include "note.h"
#include "checkutil.h"

/* golang.org/x/mod/sumdb/note note_test.go, TestOpen and TestSign. */
#define PETER_VKEY "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
#define PETER_SKEY_B64 "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
#define ENOCH_VKEY "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
#define TEXT "If you think cryptography is the answer to your problem,\n" \
	"then you don't know what your problem is.\n"
#define PETER_SIG "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
#define ENOCH_SIG "\xe2\x80\x94 EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

static const char peter_sig[] = PETER_SIG;
static const char peter_vkey[] = PETER_VKEY;

struct vkey {
	char	name[CAIRN_NAME_MAX + 1];
	uint8_t	pk[32];
	uint8_t	kh[4];
};

/* Parses a verifier key string, asserting success. */
static void
vkey(const char *s, struct vkey *v)
{
	ck_assert_int_eq(cairn_vkey_parse(s, strlen(s), v->name, sizeof v->name,
	    v->pk, v->kh), 0);
}

/* Verifies a NUL-terminated note with a parsed verifier key. */
static int
verify_str(const char *note, const struct vkey *v, const uint8_t **body,
    size_t *bodylen)
{
	return cairn_note_verify((const uint8_t *)note, strlen(note), v->name,
	    v->pk, body, bodylen);
}

START_TEST(test_go_note_verifies)
{
	struct vkey peter, enoch;
	const uint8_t *body;
	size_t bodylen;

	vkey(PETER_VKEY, &peter);
	vkey(ENOCH_VKEY, &enoch);
	ck_assert_str_eq(peter.name, "PeterNeumann");
	ck_assert_mem_eq(peter.kh, "\xc7\x4f\x20\xa3", 4);
	ck_assert_int_eq(verify_str(TEXT "\n" PETER_SIG, &peter, &body,
	    &bodylen), 0);
	ck_assert_uint_eq(bodylen, strlen(TEXT));
	ck_assert_mem_eq(body, TEXT, bodylen);

	/* Two signatures: the other key is ignored, whichever we trust. */
	ck_assert_int_eq(verify_str(TEXT "\n" PETER_SIG ENOCH_SIG, &peter,
	    &body, &bodylen), 0);
	ck_assert_int_eq(verify_str(TEXT "\n" PETER_SIG ENOCH_SIG, &enoch,
	    &body, &bodylen), 0);
	ck_assert_int_eq(verify_str(TEXT "\n" ENOCH_SIG PETER_SIG, &peter,
	    &body, &bodylen), 0);
	ck_assert_mem_eq(body, TEXT, bodylen);
	/* Only someone else's signature. */
	ck_assert_int_eq(verify_str(TEXT "\n" ENOCH_SIG, &peter, &body,
	    &bodylen), CAIRN_ENOTFOUND);
}
END_TEST

START_TEST(test_go_sign_matches)
{
	uint8_t key[33], pk[32], sk[64];
	struct cairn_buf out = { 0 };
	struct vkey peter;
	size_t n;

	/* Ed25519 is deterministic: our line must equal Go's byte for byte. */
	ck_assert_int_eq(cairn_unb64(PETER_SKEY_B64, strlen(PETER_SKEY_B64),
	    key, sizeof key, &n), 0);
	ck_assert_uint_eq(n, 33);
	ck_assert_int_eq(key[0], 1);
	crypto_sign_seed_keypair(pk, sk, key + 1);
	vkey(PETER_VKEY, &peter);
	ck_assert_mem_eq(pk, peter.pk, 32);
	ck_assert_int_eq(cairn_note_sign("PeterNeumann", sk,
	    (const uint8_t *)TEXT, strlen(TEXT), &out), 0);
	ck_assert_str_eq((char *)out.p, TEXT "\n" PETER_SIG);
	cairn_buf_free(&out);
	ck_assert_int_eq(cairn_vkey_format("PeterNeumann", pk, &out), 0);
	ck_assert_str_eq((char *)out.p, PETER_VKEY);
	cairn_buf_free(&out);
}
END_TEST

START_TEST(test_keyhash_per_spec)
{
	uint8_t pk[32], kh[4], buf[64], h[32];
	size_t n;

	/* SHA-256("PeterNeumann" || 0x0A || 0x01 || pk)[:4], by hand. */
	ck_assert_int_eq(cairn_unb64("ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
	    44, buf + 13, 33, &n), 0);
	memcpy(pk, buf + 14, 32);
	memcpy(buf, "PeterNeumann\n", 13);
	cairn_sha256(buf, 13 + 33, h);
	cairn_note_keyhash("PeterNeumann", pk, kh);
	ck_assert_mem_eq(kh, h, 4);
	ck_assert_mem_eq(kh, "\xc7\x4f\x20\xa3", 4);
}
END_TEST

START_TEST(test_go_bad_notes)
{
	static const char *const bad[] = {
		TEXT,
		TEXT "\n",
		"\x01" TEXT "\n" PETER_SIG,
		"\xff" TEXT "\n" PETER_SIG,
		TEXT "\n" "\xe2\x80\x94 Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" PETER_SIG "Unexpected line.\n",
		TEXT "\n" "- PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann \n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann\n",
		TEXT "\n" "\xe2\x80\x94 Peter+Neumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n",
		TEXT "\n" "\xe2\x80\x94 PeterNeumann AAAA\n",
		("If you think\r\n\n" PETER_SIG),
		"",
	};
	struct vkey peter;
	const uint8_t *body;
	size_t bodylen, i;
	char *s;

	vkey(PETER_VKEY, &peter);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(verify_str(bad[i], &peter, &body, &bodylen) ==
		    CAIRN_EFORMAT, "bad note %zu accepted", i);
	/* The last signature line must end in a newline. */
	s = strdup(TEXT "\n" PETER_SIG);
	s[strlen(s) - 1] = 0;
	ck_assert_int_eq(verify_str(s, &peter, &body, &bodylen), CAIRN_EFORMAT);
	free(s);
}
END_TEST

START_TEST(test_go_invalid_signature)
{
	struct vkey peter;
	const uint8_t *body;
	size_t bodylen;
	char buf[1024], *s;
	size_t i;

	vkey(PETER_VKEY, &peter);
	/* Go: peterSig[:60] + "ABCD" + peterSig[60:]. */
	snprintf(buf, sizeof buf, "%s\n%.60sABCD%s", TEXT, peter_sig,
	    peter_sig + 60);
	ck_assert_int_eq(verify_str(buf, &peter, &body, &bodylen),
	    CAIRN_EBADSIG);
	/* A bad signature of ours fails the note, even beside a good one. */
	snprintf(buf, sizeof buf, "%s\n%s%.60sABCD%s", TEXT, PETER_SIG,
	    peter_sig, peter_sig + 60);
	ck_assert_int_eq(verify_str(buf, &peter, &body, &bodylen),
	    CAIRN_EBADSIG);
	/* Another name, or another key hash: not our key, so ignored. */
	snprintf(buf, sizeof buf, "%s\n\xe2\x80\x94 CarmenSandiego %s", TEXT,
	    peter_sig + strlen("\xe2\x80\x94 PeterNeumann "));
	ck_assert_int_eq(verify_str(buf, &peter, &body, &bodylen),
	    CAIRN_ENOTFOUND);
	snprintf(buf, sizeof buf, "%s\n%s", TEXT, PETER_SIG);
	s = strstr(buf, "x08g");
	memcpy(s, "xxxx", 4);
	ck_assert_int_eq(verify_str(buf, &peter, &body, &bodylen),
	    CAIRN_ENOTFOUND);
	/* A flipped text byte. */
	snprintf(buf, sizeof buf, "%s\n%s", TEXT, PETER_SIG);
	buf[3] ^= 1;
	ck_assert_int_eq(verify_str(buf, &peter, &body, &bodylen),
	    CAIRN_EBADSIG);
	/* Every single-character change of the signature is refused. */
	for (i = strlen(TEXT) + 1; buf[i] != 0; i++) {
		snprintf(buf, sizeof buf, "%s\n%s", TEXT, PETER_SIG);
		if (buf[i] == '\n')
			continue;
		buf[i] = buf[i] == 'A' ? 'B' : 'A';
		ck_assert_msg(verify_str(buf, &peter, &body, &bodylen) != 0,
		    "changed byte %zu accepted", i);
	}
}
END_TEST

START_TEST(test_too_many_signatures)
{
	struct cairn_buf b = { 0 };
	struct vkey peter;
	const uint8_t *body;
	size_t bodylen;
	int i;

	vkey(PETER_VKEY, &peter);
	cairn_buf_adds(&b, TEXT "\n");
	for (i = 0; i < 100; i++)
		cairn_buf_adds(&b, PETER_SIG);
	ck_assert_int_eq(cairn_note_verify(b.p, b.len, peter.name, peter.pk,
	    &body, &bodylen), 0);
	cairn_buf_adds(&b, PETER_SIG);
	ck_assert_int_eq(cairn_note_verify(b.p, b.len, peter.name, peter.pk,
	    &body, &bodylen), CAIRN_ETOOBIG);
	cairn_buf_free(&b);
}
END_TEST

START_TEST(test_cosign)
{
	uint8_t key[33], pk[32], sk[64], pk2[32], sk2[64], kh2[4], kh[4][4];
	struct cairn_buf one = { 0 }, two = { 0 }, b = { 0 };
	struct vkey peter, enoch;
	const uint8_t *body;
	size_t n, bodylen;
	int i;

	ck_assert_int_eq(cairn_unb64(PETER_SKEY_B64, strlen(PETER_SKEY_B64),
	    key, sizeof key, &n), 0);
	crypto_sign_seed_keypair(pk, sk, key + 1);
	crypto_sign_keypair(pk2, sk2);
	vkey(PETER_VKEY, &peter);
	cairn_note_keyhash("PeterNeumann", pk2, kh2);

	/* A second key under the same name (a rotation): Go's note is kept
	 * byte for byte, one line is added, each key verifies its own. */
	ck_assert_int_eq(cairn_note_sign("PeterNeumann", sk,
	    (const uint8_t *)TEXT, strlen(TEXT), &one), 0);
	ck_assert_int_eq(cairn_note_cosign("PeterNeumann", sk2, one.p, one.len,
	    &two), 0);
	ck_assert_uint_gt(two.len, one.len);
	ck_assert_mem_eq(two.p, TEXT "\n" PETER_SIG, one.len);
	ck_assert_int_eq(cairn_note_verify(two.p, two.len, "PeterNeumann", pk,
	    &body, &bodylen), 0);
	ck_assert_mem_eq(body, TEXT, bodylen);
	ck_assert_int_eq(cairn_note_verify(two.p, two.len, "PeterNeumann", pk2,
	    &body, &bodylen), 0);
	ck_assert_uint_eq(bodylen, strlen(TEXT));
	ck_assert_int_eq(cairn_note_keyhashes(two.p, two.len, "PeterNeumann",
	    kh, 4, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(kh[0], peter.kh, 4);
	ck_assert_mem_eq(kh[1], kh2, 4);
	/* Other names are not listed; fewer slots than lines still counts. */
	ck_assert_int_eq(cairn_note_keyhashes(two.p, two.len, "EnochRoot", kh,
	    4, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(cairn_note_keyhashes(two.p, two.len, "PeterNeumann",
	    kh, 1, &n), 0);
	ck_assert_uint_eq(n, 2);
	vkey(ENOCH_VKEY, &enoch);
	ck_assert_int_eq(cairn_note_keyhashes((const uint8_t *)TEXT "\n"
	    PETER_SIG ENOCH_SIG, strlen(TEXT "\n" PETER_SIG ENOCH_SIG),
	    "EnochRoot", kh, 4, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_mem_eq(kh[0], enoch.kh, 4);

	/* The added signature altered (another base64 letter, so the line
	 * still decodes whatever the random key signed): that key fails, the
	 * first still holds. */
	two.p[two.len - 10] = two.p[two.len - 10] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(cairn_note_verify(two.p, two.len, "PeterNeumann", pk2,
	    &body, &bodylen), CAIRN_EBADSIG);
	ck_assert_int_eq(cairn_note_verify(two.p, two.len, "PeterNeumann", pk,
	    &body, &bodylen), 0);

	/* Must-fail: the same key again, no signature block, a bad line. */
	two.len = 0;
	ck_assert_int_eq(cairn_note_cosign("PeterNeumann", sk, one.p, one.len,
	    &two), CAIRN_EINVAL);
	ck_assert_uint_eq(two.len, 0);
	ck_assert_int_eq(cairn_note_cosign("PeterNeumann", sk2,
	    (const uint8_t *)TEXT, strlen(TEXT), &two), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_cosign("Peter Neumann", sk2, one.p, one.len,
	    &two), CAIRN_EINVAL);
	cairn_buf_adds(&b, TEXT "\n\xe2\x80\x94 PeterNeumann !!!\n");
	ck_assert_int_eq(cairn_note_cosign("PeterNeumann", sk2, b.p, b.len,
	    &two), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_keyhashes(b.p, b.len, "PeterNeumann", kh, 4,
	    &n), CAIRN_EFORMAT);
	/* A note holding the most lines we read takes no more. */
	b.len = 0;
	cairn_buf_adds(&b, TEXT "\n");
	for (i = 0; i < CAIRN_NOTE_MAXSIGS; i++)
		cairn_buf_adds(&b, ENOCH_SIG);
	ck_assert_int_eq(cairn_note_cosign("PeterNeumann", sk2, b.p, b.len,
	    &two), CAIRN_ETOOBIG);
	ck_assert_uint_eq(two.len, 0);
	cairn_buf_free(&one);
	cairn_buf_free(&two);
	cairn_buf_free(&b);
}
END_TEST

START_TEST(test_vkey_manglings)
{
	static const char *const bad[] = {
		/* Go: wrong length key, unknown algorithm (hash adjusted). */
		"PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
		"PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
		"",
	};
	char name[64], s[128];
	uint8_t pk[32], kh[4];
	size_t len = strlen(PETER_VKEY), i, j;

	/* Go's TestNewVerifier: every proper substring and every byte + 1. */
	for (i = 0; i <= len; i++)
		for (j = i + 1; j <= len; j++) {
			if (i == 0 && j == len)
				continue;
			ck_assert_msg(cairn_vkey_parse(peter_vkey + i, j - i,
			    name, sizeof name, pk, kh) != 0, "%zu..%zu", i, j);
		}
	for (i = 0; i < len; i++) {
		memcpy(s, PETER_VKEY, len + 1);
		s[i]++;
		ck_assert_msg(cairn_vkey_parse(s, len, name, sizeof name, pk,
		    kh) != 0, "byte %zu", i);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_int_eq(cairn_vkey_parse(bad[i], strlen(bad[i]), name,
		    sizeof name, pk, kh), CAIRN_EFORMAT);
	/* The name must fit the caller's buffer. */
	ck_assert_int_eq(cairn_vkey_parse(PETER_VKEY, len, name, 12, pk, kh),
	    CAIRN_ETOOBIG);
	ck_assert_int_eq(cairn_vkey_parse(PETER_VKEY, len, name, 13, pk, kh), 0);
}
END_TEST

/* A checkpoint with every field set, stream 3 empty. */
static void
sample_checkpoint(struct cairn_checkpoint *c)
{
	int i;

	memset(c, 0, sizeof *c);
	strcpy(c->origin, "cairn.example/appliance-1");
	c->size = 1234567;
	randombytes_buf(c->root, sizeof c->root);
	c->time_us = INT64_C(1700000000123456);
	for (i = 0; i < CAIRN_NSTREAMS; i++) {
		c->count[i] = i == 3 ? 0 : (uint64_t)(i + 1) * 1000;
		if (i != 3)
			randombytes_buf(c->head[i], CAIRN_HASH_LEN);
	}
	c->count[6] = UINT64_MAX;
}

/* Asserts two checkpoints are field-by-field equal. */
static void
assert_same_checkpoint(const struct cairn_checkpoint *a,
    const struct cairn_checkpoint *b)
{
	ck_assert_str_eq(a->origin, b->origin);
	ck_assert_uint_eq(a->size, b->size);
	ck_assert_mem_eq(a->root, b->root, CAIRN_HASH_LEN);
	ck_assert_int_eq(a->time_us, b->time_us);
	ck_assert_mem_eq(a->count, b->count, sizeof a->count);
	ck_assert_mem_eq(a->head, b->head, sizeof a->head);
}

START_TEST(test_checkpoint_roundtrip)
{
	struct cairn_checkpoint c, back;
	struct cairn_buf body = { 0 }, note = { 0 };
	uint8_t pk[32], sk[64];
	const uint8_t *text;
	size_t textlen;
	char root[45], want[512];

	sample_checkpoint(&c);
	crypto_sign_keypair(pk, sk);
	ck_assert_int_eq(cairn_checkpoint_body(&c, &body), 0);
	cairn_b64(c.root, 32, root);
	snprintf(want, sizeof want, "cairn.example/appliance-1\n1234567\n%s\n"
	    "time 2023-11-14T22:13:20.123456Z\nstream realname 1000 ", root);
	ck_assert_int_eq(strncmp((char *)body.p, want, strlen(want)), 0);
	ck_assert_ptr_nonnull(strstr((char *)body.p, "\nstream account 0 "
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n"));
	ck_assert_ptr_nonnull(strstr((char *)body.p,
	    "\nstream other 18446744073709551615 "));
	ck_assert_int_eq(cairn_note_sign(c.origin, sk, body.p, body.len,
	    &note), 0);
	ck_assert_int_eq(cairn_note_verify(note.p, note.len, c.origin, pk,
	    &text, &textlen), 0);
	ck_assert_uint_eq(textlen, body.len);
	ck_assert_mem_eq(text, body.p, textlen);
	ck_assert_int_eq(cairn_checkpoint_parse(text, textlen, &back), 0);
	assert_same_checkpoint(&c, &back);
	cairn_buf_free(&body);
	cairn_buf_free(&note);
}
END_TEST

START_TEST(test_checkpoint_note_must_fail)
{
	struct cairn_checkpoint c;
	struct cairn_buf body = { 0 }, note = { 0 };
	uint8_t pk[32], sk[64], pk2[32], sk2[64];
	const uint8_t *text;
	size_t textlen, sigat;
	uint8_t *n;

	sample_checkpoint(&c);
	crypto_sign_keypair(pk, sk);
	crypto_sign_keypair(pk2, sk2);
	ck_assert_int_eq(cairn_checkpoint_body(&c, &body), 0);
	ck_assert_int_eq(cairn_note_sign(c.origin, sk, body.p, body.len,
	    &note), 0);
	n = malloc(note.len);

	/* Altered body byte. */
	memcpy(n, note.p, note.len);
	n[body.len - 3] ^= 1;
	ck_assert_int_eq(cairn_note_verify(n, note.len, c.origin, pk, &text,
	    &textlen), CAIRN_EBADSIG);
	/* Altered signature byte (past the key hash's base64). */
	sigat = body.len + 1 + 4 + strlen(c.origin) + 1;
	memcpy(n, note.p, note.len);
	n[sigat + 20] = n[sigat + 20] == 'A' ? 'B' : 'A';
	ck_assert_int_eq(cairn_note_verify(n, note.len, c.origin, pk, &text,
	    &textlen), CAIRN_EBADSIG);
	/* Wrong key, wrong name: no signature by the trusted key. */
	ck_assert_int_eq(cairn_note_verify(note.p, note.len, c.origin, pk2,
	    &text, &textlen), CAIRN_ENOTFOUND);
	ck_assert_int_eq(cairn_note_verify(note.p, note.len,
	    "cairn.example/appliance-2", pk, &text, &textlen), CAIRN_ENOTFOUND);
	/* Missing blank line. */
	memcpy(n, note.p, body.len);
	memcpy(n + body.len, note.p + body.len + 1, note.len - body.len - 1);
	ck_assert_int_eq(cairn_note_verify(n, note.len - 1, c.origin, pk,
	    &text, &textlen), CAIRN_EFORMAT);
	/* Bad base64 in the signature. */
	memcpy(n, note.p, note.len);
	n[sigat + 20] = '*';
	ck_assert_int_eq(cairn_note_verify(n, note.len, c.origin, pk, &text,
	    &textlen), CAIRN_EFORMAT);
	memcpy(n, note.p, note.len);
	n[note.len - 2] = '\n';	/* drop the '=' padding */
	ck_assert_int_eq(cairn_note_verify(n, note.len - 1, c.origin, pk, &text,
	    &textlen), CAIRN_EFORMAT);
	/* Truncated. */
	ck_assert_int_eq(cairn_note_verify(note.p, note.len - 1, c.origin, pk,
	    &text, &textlen), CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_note_verify(note.p, body.len, c.origin, pk,
	    &text, &textlen), CAIRN_EFORMAT);
	/* Over the size cap. */
	ck_assert_int_eq(cairn_note_verify(note.p, CAIRN_NOTE_MAX + 1, c.origin,
	    pk, &text, &textlen), CAIRN_ETOOBIG);
	free(n);
	cairn_buf_free(&body);
	cairn_buf_free(&note);
}
END_TEST

START_TEST(test_sign_rejects)
{
	struct cairn_buf out = { 0 };
	uint8_t pk[32], sk[64];
	char longname[300];

	crypto_sign_keypair(pk, sk);
	memset(longname, 'a', 256);
	longname[256] = 0;
	ck_assert_int_eq(cairn_note_sign("a b", sk, (const uint8_t *)"x\n", 2,
	    &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_sign("a+b", sk, (const uint8_t *)"x\n", 2,
	    &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_sign("", sk, (const uint8_t *)"x\n", 2,
	    &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_sign("a\xc2\xa0" "b", sk,
	    (const uint8_t *)"x\n", 2, &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_sign(longname, sk, (const uint8_t *)"x\n",
	    2, &out), CAIRN_EINVAL);
	longname[255] = 0;
	ck_assert_int_eq(cairn_note_sign(longname, sk, (const uint8_t *)"x\n",
	    2, &out), 0);
	ck_assert_int_eq(cairn_note_sign("a", sk, (const uint8_t *)"x", 1,
	    &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_sign("a", sk, (const uint8_t *)"", 0,
	    &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_sign("a", sk, (const uint8_t *)"x\ty\n", 4,
	    &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_note_sign("a", sk, (const uint8_t *)"\xc3\x28\n",
	    3, &out), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_vkey_format("a b", pk, &out), CAIRN_EINVAL);
	cairn_buf_free(&out);
}
END_TEST

/* Parses a body with one line replaced (line numbers from 0). */
static int
parse_with_line(const char *good, int lineno, const char *repl)
{
	struct cairn_checkpoint c;
	struct cairn_buf b = { 0 };
	const char *p = good, *nl;
	int i, rc;

	for (i = 0; (nl = strchr(p, '\n')) != NULL; i++, p = nl + 1) {
		if (i == lineno) {
			if (repl != NULL)
				cairn_buf_adds(&b, repl);
		} else
			cairn_buf_add(&b, p, (size_t)(nl + 1 - p));
	}
	rc = cairn_checkpoint_parse(b.p, b.len, &c);
	cairn_buf_free(&b);
	return rc;
}

START_TEST(test_checkpoint_parse_rejects)
{
	static const struct {
		int		 line;
		const char	*repl;
	} bad[] = {
		{ 0, "cairn example\n" },
		{ 0, "cairn+example\n" },
		{ 0, "\n" },
		{ 0, NULL },
		{ 1, "01\n" },
		{ 1, "+1\n" },
		{ 1, "-1\n" },
		{ 1, " 1\n" },
		{ 1, "1 \n" },
		{ 1, "\n" },
		{ 1, "18446744073709551616\n" },
		{ 1, "99999999999999999999\n" },
		{ 1, "0x10\n" },
		{ 2, "AAAA\n" },
		{ 2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n" },
		{ 2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=\n" },
		{ 2, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n" },
		{ 3, "time 2023-11-14T22:13:20Z\n" },
		{ 3, "time 2023-11-14T22:13:20.123456+00:00\n" },
		{ 3, "time 2023-11-14t22:13:20.123456Z\n" },
		{ 3, "time 2023-11-14T22:13:20.123456z\n" },
		{ 3, "time 2023-02-29T22:13:20.123456Z\n" },
		{ 3, "time 2023-13-14T22:13:20.123456Z\n" },
		{ 3, "time 2023-11-14T24:00:00.000000Z\n" },
		{ 3, "time 2016-12-31T23:59:60.000000Z\n" },
		{ 3, "time  2023-11-14T22:13:20.123456Z\n" },
		{ 3, "Time 2023-11-14T22:13:20.123456Z\n" },
		{ 3, NULL },
		{ 4, NULL },
		{ 10, NULL },
		{ 4, "stream takedown 1000 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" },
		{ 4, "stream realname 01000 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" },
		{ 4, "stream realname 1000  AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" },
		{ 4, "stream realname 1000\n" },
		{ 4, "stream  realname 1000 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" },
		{ 4, "stream realnam 1000 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" },
		/* libsodium 1.0.18 reads bytes >= 0x80 as '/': refused. */
		{ 2, "AQEBAQX\x87\xff\xff" "EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n" },
		{ 5, "stream takedown 2000 AQEBAQX\x87\xff\xff" "EBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n" },
		/* Count 0 must carry the zero head. */
		{ 7, "stream account 0 AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n" },
	};
	struct cairn_checkpoint c;
	struct cairn_buf body = { 0 }, more = { 0 };
	size_t i;

	sample_checkpoint(&c);
	ck_assert_int_eq(cairn_checkpoint_body(&c, &body), 0);
	ck_assert_int_eq(parse_with_line((char *)body.p, 99, NULL), 0);
	ck_assert_int_eq(parse_with_line((char *)body.p, 1,
	    "18446744073709551615\n"), 0);
	ck_assert_int_eq(parse_with_line((char *)body.p, 1, "0\n"), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		ck_assert_msg(parse_with_line((char *)body.p, bad[i].line,
		    bad[i].repl) == CAIRN_EFORMAT, "bad body %zu accepted", i);
	/* An extra line, a missing final newline, CRLF. */
	cairn_buf_add(&more, body.p, body.len);
	cairn_buf_adds(&more, "extra\n");
	ck_assert_int_eq(cairn_checkpoint_parse(more.p, more.len, &c),
	    CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_checkpoint_parse(body.p, body.len - 1, &c),
	    CAIRN_EFORMAT);
	more.len = 0;
	cairn_buf_adds(&more, "cairn.example/a\r\n0\n");
	ck_assert_int_eq(cairn_checkpoint_parse(more.p, more.len, &c),
	    CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_checkpoint_parse(body.p, 0, &c), CAIRN_EFORMAT);
	cairn_buf_free(&more);
	cairn_buf_free(&body);
}
END_TEST

START_TEST(test_checkpoint_body_rejects)
{
	struct cairn_checkpoint c;
	struct cairn_buf b = { 0 };

	sample_checkpoint(&c);
	strcpy(c.origin, "has space");
	ck_assert_int_eq(cairn_checkpoint_body(&c, &b), CAIRN_EINVAL);
	sample_checkpoint(&c);
	c.origin[0] = 0;
	ck_assert_int_eq(cairn_checkpoint_body(&c, &b), CAIRN_EINVAL);
	sample_checkpoint(&c);
	c.head[3][5] = 1;
	ck_assert_int_eq(cairn_checkpoint_body(&c, &b), CAIRN_EINVAL);
	sample_checkpoint(&c);
	c.time_us = INT64_MAX;
	ck_assert_int_eq(cairn_checkpoint_body(&c, &b), CAIRN_EINVAL);
	ck_assert_uint_eq(b.len, 0);
	cairn_buf_free(&b);
}
END_TEST

START_TEST(test_time)
{
	static const struct {
		int64_t		 us;
		const char	*s;
	} t[] = {
		{ 0, "1970-01-01T00:00:00.000000Z" },
		{ -1, "1969-12-31T23:59:59.999999Z" },
		{ INT64_C(1700000000123456), "2023-11-14T22:13:20.123456Z" },
		{ INT64_C(951782400000000), "2000-02-29T00:00:00.000000Z" },
		{ INT64_C(253402300799999999), "9999-12-31T23:59:59.999999Z" },
		{ INT64_C(-62167219200000000), "0000-01-01T00:00:00.000000Z" },
	};
	char out[CAIRN_TIME_LEN + 1];
	int64_t us;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		cairn_time_format_us(t[i].us, out);
		ck_assert_str_eq(out, t[i].s);
		ck_assert_int_eq(cairn_time_parse_us(t[i].s, strlen(t[i].s),
		    &us), 0);
		ck_assert_int_eq(us, t[i].us);
	}
	/* Clamped to the four-digit years. */
	cairn_time_format_us(INT64_MAX, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999999Z");
	cairn_time_format_us(INT64_MIN, out);
	ck_assert_str_eq(out, "0000-01-01T00:00:00.000000Z");
	ck_assert_int_eq(cairn_time_parse_us("2100-02-29T00:00:00.000000Z", 27,
	    &us), CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_time_parse_us("2023-04-31T00:00:00.000000Z", 27,
	    &us), CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_time_parse_us("2023-04-00T00:00:00.000000Z", 27,
	    &us), CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_time_parse_us("2023-04-01T00:00:00.00000aZ", 27,
	    &us), CAIRN_EFORMAT);
}
END_TEST

START_TEST(test_streams)
{
	ck_assert_str_eq(cairn_stream_names[0], "realname");
	ck_assert_str_eq(cairn_stream_names[6], "other");
}
END_TEST

/* The suite of signed note and checkpoint tests. */
static Suite *
note_suite(void)
{
	Suite *s = suite_create("note");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_go_note_verifies);
	tcase_add_test(tc, test_go_sign_matches);
	tcase_add_test(tc, test_keyhash_per_spec);
	tcase_add_test(tc, test_go_bad_notes);
	tcase_add_test(tc, test_go_invalid_signature);
	tcase_add_test(tc, test_too_many_signatures);
	tcase_add_test(tc, test_cosign);
	tcase_add_test(tc, test_vkey_manglings);
	tcase_add_test(tc, test_checkpoint_roundtrip);
	tcase_add_test(tc, test_checkpoint_note_must_fail);
	tcase_add_test(tc, test_sign_rejects);
	tcase_add_test(tc, test_checkpoint_parse_rejects);
	tcase_add_test(tc, test_checkpoint_body_rejects);
	tcase_add_test(tc, test_time);
	tcase_add_test(tc, test_streams);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; fails if any test does. */
int
main(void)
{
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	return check_run(note_suite());
}
