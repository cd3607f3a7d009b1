/* test_keys.c: minisign key files and signatures, against the real minisign. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include <sodium.h>

#include "keys.h"
#include "checkutil.h"

#define FIXTURE_PASS	"cairn-test-passphrase"
#define TEST_OPS	(1ULL << 16)	/* small scrypt limits: fast tests */
#define TEST_MEM	(1ULL << 24)


/* Creates the per-test scratch directory. */
static void
setup(void)
{
	scratch_make("keys");
}

/* Removes the scratch directory. */
static void
teardown(void)
{
	scratch_remove();
}

/* Writes text to a new file with the given mode. */
static void
put_file(const char *path, const void *d, size_t n, mode_t mode)
{
	int fd;

	(void)unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, d, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

/* Reads a whole file as a NUL-terminated string (caller frees). */
static char *
get_file(const char *path, size_t *len)
{
	uint8_t *p;
	size_t n;

	ck_assert_int_eq(cairn_read_file(path, 1 << 24, &p, &n), 0);
	if (len != NULL)
		*len = n;
	return (char *)p;
}

static int	sh(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command quietly; its exit status, or -1. */
static int
sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st, n;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	ck_assert_int_lt(n, (int)sizeof cmd - 32);
	strcat(cmd, " >/dev/null 2>&1");
	st = system(cmd);
	return st != -1 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Whether the real minisign is on PATH; says so when skipping. */
static int
have_minisign(const char *test)
{
	if (system("command -v minisign >/dev/null 2>&1") == 0)
		return 1;
	fprintf(stderr, "%s: minisign not on PATH, skipped\n", test);
	return 0;
}

/* Signs bytes with our streaming signer, in uneven chunks. */
static void
sign_bytes(const struct cairn_seckey *sk, const uint8_t *d, size_t n,
    const char *trusted, struct cairn_buf *out)
{
	struct cairn_minisign m;
	size_t off = 0, k;

	cairn_minisign_init(&m);
	while (off < n) {
		k = n - off < 4097 ? n - off : 4097;
		cairn_minisign_update(&m, d + off, k);
		off += k;
	}
	ck_assert_int_eq(cairn_minisign_final(&m, sk, NULL, trusted, out), 0);
}

/* Verifies a signature text over bytes with our verifier. */
static int
verify_bytes(const struct cairn_pubkey *pk, const uint8_t *d, size_t n,
    const char *sig, size_t siglen, char *trusted, size_t tlen)
{
	struct cairn_minisign m;

	cairn_minisign_init(&m);
	cairn_minisign_update(&m, d, n);
	return cairn_minisign_verify(&m, pk, sig, siglen, trusted, tlen);
}

/* Verifies the files data and sig with our verifier. */
static int
verify_files(const struct cairn_pubkey *pk, const char *data, const char *sig,
    char *trusted, size_t tlen)
{
	char *d, *s;
	size_t dn, sn;
	int rc;

	d = get_file(data, &dn);
	s = get_file(sig, &sn);
	rc = verify_bytes(pk, (uint8_t *)d, dn, s, sn, trusted, tlen);
	free(d);
	free(s);
	return rc;
}

/* Writes a random data file of n bytes. */
static void
make_data(const char *path, size_t n)
{
	uint8_t *d = malloc(n);

	randombytes_buf(d, n);
	put_file(path, d, n, 0644);
	free(d);
}

/* Asserts two secret keys are the same key. */
static void
assert_same_key(const struct cairn_seckey *a, const struct cairn_seckey *b)
{
	struct cairn_pubkey pa, pb;

	ck_assert_mem_eq(cairn_seckey_ed25519(a), cairn_seckey_ed25519(b), 64);
	cairn_seckey_public(a, &pa);
	cairn_seckey_public(b, &pb);
	ck_assert_mem_eq(&pa, &pb, sizeof pa);
}

START_TEST(test_unencrypted_roundtrip)
{
	struct cairn_seckey *sk, *back;
	struct stat st;
	const char *p = tpath("k.key");

	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	ck_assert_int_eq(cairn_seckey_write(p, sk, NULL, 0, 0), 0);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	ck_assert_int_eq(cairn_seckey_is_encrypted(p), 0);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), 0);
	assert_same_key(sk, back);
	cairn_seckey_free(back);
	/* A passphrase for an unencrypted key is not needed, and harmless. */
	ck_assert_int_eq(cairn_seckey_load(p, "x", &back), 0);
	cairn_seckey_free(back);
	/* Never overwrite a key. */
	ck_assert_int_eq(cairn_seckey_write(p, sk, NULL, 0, 0), EEXIST);
	cairn_seckey_free(sk);
	cairn_seckey_free(NULL);
}
END_TEST

START_TEST(test_encrypted_roundtrip)
{
	struct cairn_seckey *sk, *back = NULL;
	const char *p = tpath("e.key");

	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	ck_assert_int_eq(cairn_seckey_write(p, sk, "hunter2", TEST_OPS,
	    TEST_MEM), 0);
	ck_assert_int_eq(cairn_seckey_is_encrypted(p), 1);
	ck_assert_int_eq(cairn_seckey_load(p, "hunter2", &back), 0);
	assert_same_key(sk, back);
	cairn_seckey_free(back);
	back = NULL;
	ck_assert_int_eq(cairn_seckey_load(p, "hunter3", &back), CAIRN_EPASS);
	ck_assert_int_eq(cairn_seckey_load(p, "", &back), CAIRN_EPASS);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EPASS);
	ck_assert_ptr_null(back);
	/* Limits below scrypt's minimum are refused. */
	ck_assert_int_eq(cairn_seckey_write(tpath("f.key"), sk, "x", 100,
	    TEST_MEM), CAIRN_EINVAL);
	cairn_seckey_free(sk);
}
END_TEST

START_TEST(test_key_permissions)
{
	struct cairn_seckey *sk, *back = NULL;
	const char *p = tpath("k.key"), *l = tpath("link.key");

	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	ck_assert_int_eq(cairn_seckey_write(p, sk, NULL, 0, 0), 0);
	ck_assert_int_eq(chmod(p, 0640), 0);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EKEYPERM);
	ck_assert_int_eq(chmod(p, 0604), 0);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EKEYPERM);
	ck_assert_int_eq(chmod(p, 0610), 0);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EKEYPERM);
	ck_assert_ptr_null(back);
	ck_assert_int_eq(chmod(p, 0400), 0);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), 0);
	cairn_seckey_free(back);
	/* A link is followed; the permissions checked are the target's. */
	ck_assert_int_eq(symlink(p, l), 0);
	ck_assert_int_eq(cairn_seckey_load(l, NULL, &back), 0);
	cairn_seckey_free(back);
	ck_assert_int_eq(chmod(p, 0644), 0);
	ck_assert_int_eq(cairn_seckey_load(l, NULL, &back), CAIRN_EKEYPERM);
	/* Not a regular file. */
	ck_assert_int_eq(cairn_seckey_load(scratch_dir, NULL, &back),
	    CAIRN_EKEYPERM);
	ck_assert_int_eq(cairn_seckey_load(tpath("none"), NULL, &back), ENOENT);
	/* Someone else's file, when we can make one. */
	ck_assert_int_eq(chmod(p, 0600), 0);
	if (geteuid() == 0) {
		ck_assert_int_eq(chown(p, 4242, (gid_t)-1), 0);
		ck_assert_int_eq(cairn_seckey_load(p, NULL, &back),
		    CAIRN_EKEYPERM);
	}
	cairn_seckey_free(sk);
}
END_TEST

/* Re-encodes a key file's second line after fiddling with its bytes. */
static void
rewrite_key(const char *in, const char *out, void (*fiddle)(uint8_t *))
{
	struct cairn_buf b = { 0 };
	uint8_t raw[158];
	char *text, *nl, b64[256];
	size_t n;

	text = get_file(in, NULL);
	nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	ck_assert_int_eq(cairn_unb64(nl + 1, strlen(nl + 1) - 1, raw,
	    sizeof raw, &n), 0);
	ck_assert_uint_eq(n, sizeof raw);
	fiddle(raw);
	cairn_b64(raw, sizeof raw, b64);
	cairn_buf_add(&b, text, (size_t)(nl + 1 - text));
	cairn_buf_printf(&b, "%s\n", b64);
	put_file(out, b.p, b.len, 0600);
	cairn_buf_free(&b);
	free(text);
}

static void f_alg(uint8_t *r) { r[1] = 'c'; }
static void f_kdf(uint8_t *r) { memcpy(r + 2, "Xx", 2); }
static void f_chkalg(uint8_t *r) { r[5] = '3'; }
static void f_chk(uint8_t *r) { r[157] ^= 1; }
static void f_zerochk(uint8_t *r) { memset(r + 126, 0, 32); }
static void f_pk(uint8_t *r) { r[125] ^= 1; memset(r + 126, 0, 32); }
static void f_seed(uint8_t *r) { r[62] ^= 1; }
static void f_hugemem(uint8_t *r) { r[53] = 0x7f; }

START_TEST(test_seckey_malformed)
{
	static const char *const bad[] = {
		"",
		"untrusted comment: x\n",
		"untrusted comment: x\n\n",
		"untrusted comment: x\nnot base64!\n",
		"untrusted comment: x\nRWQAAEIy\n",
	};
	struct cairn_seckey *sk, *back = NULL;
	const char *good = tpath("good.key"), *p = tpath("bad.key");
	char *text, big[5000];
	size_t i, n;

	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	ck_assert_int_eq(cairn_seckey_write(good, sk, NULL, 0, 0), 0);
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		put_file(p, bad[i], strlen(bad[i]), 0600);
		ck_assert_msg(cairn_seckey_load(p, NULL, &back) ==
		    CAIRN_EFORMAT, "bad key %zu accepted", i);
		ck_assert_int_eq(cairn_seckey_is_encrypted(p), CAIRN_EFORMAT);
	}
	rewrite_key(good, p, f_alg);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EFORMAT);
	rewrite_key(good, p, f_kdf);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EFORMAT);
	rewrite_key(good, p, f_chkalg);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EFORMAT);
	rewrite_key(good, p, f_chk);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EFORMAT);
	rewrite_key(good, p, f_seed);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EFORMAT);
	/* Without a checksum, the public half must still match the seed. */
	rewrite_key(good, p, f_pk);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_EFORMAT);
	ck_assert_ptr_null(back);
	/* An all-zero checksum is what `minisign -G -W` writes. */
	rewrite_key(good, p, f_zerochk);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), 0);
	assert_same_key(sk, back);
	cairn_seckey_free(back);
	back = NULL;
	/* Absurd scrypt limits are refused before any work is done. */
	ck_assert_int_eq(cairn_seckey_write(tpath("enc.key"), sk, "pw",
	    TEST_OPS, TEST_MEM), 0);
	rewrite_key(tpath("enc.key"), p, f_hugemem);
	ck_assert_int_eq(cairn_seckey_load(p, "pw", &back), CAIRN_EFORMAT);
	/* CRLF and trailing empty lines are fine; another line is not. */
	text = get_file(good, &n);
	{
		struct cairn_buf b = { 0 };
		char *nl = strchr(text, '\n');

		cairn_buf_add(&b, text, (size_t)(nl - text));
		cairn_buf_adds(&b, "\r\n");
		cairn_buf_add(&b, nl + 1, strlen(nl + 1) - 1);
		cairn_buf_adds(&b, "\r\n\n");
		put_file(p, b.p, b.len, 0600);
		ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), 0);
		cairn_seckey_free(back);
		back = NULL;
		cairn_buf_adds(&b, "junk\n");
		put_file(p, b.p, b.len, 0600);
		ck_assert_int_eq(cairn_seckey_load(p, NULL, &back),
		    CAIRN_EFORMAT);
		cairn_buf_free(&b);
	}
	free(text);
	/* Over the 4 KiB cap. */
	memset(big, 'A', sizeof big);
	put_file(p, big, sizeof big, 0600);
	ck_assert_int_eq(cairn_seckey_load(p, NULL, &back), CAIRN_ETOOBIG);
	cairn_seckey_free(sk);
}
END_TEST

START_TEST(test_pubkey_files)
{
	struct cairn_seckey *sk;
	struct cairn_pubkey pk, back;
	char want[128], b64[CAIRN_PUBKEY_B64_LEN + 1], *text, small[10];
	const char *p = tpath("k.pub");
	struct stat st;
	size_t n;
	int i;

	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	cairn_seckey_public(sk, &pk);
	ck_assert_int_eq(cairn_pubkey_write(p, &pk), 0);
	ck_assert_int_eq(cairn_pubkey_write(p, &pk), EEXIST);
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0644);
	/* The comment shows the key id as minisign does: the bytes read as a
	 * little-endian u64, in upper-case hex without leading zeros. */
	cairn_pubkey_b64(&pk, b64, sizeof b64);
	ck_assert_uint_eq(strlen(b64), CAIRN_PUBKEY_B64_LEN);
	{
		uint64_t id = 0;

		for (i = 7; i >= 0; i--)
			id = id << 8 | pk.keyid[i];
		n = (size_t)snprintf(want, sizeof want,
		    "untrusted comment: minisign public key %llX",
		    (unsigned long long)id);
		snprintf(want + n, sizeof want - n, "\n%s\n", b64);
	}
	text = get_file(p, NULL);
	ck_assert_str_eq(text, want);
	free(text);
	/* A key id whose top nibble is zero is printed without a leading zero
	 * (minisign -R writes it so): it once differed one key in sixteen. */
	{
		struct cairn_pubkey z = pk;
		const char *zp = tpath("z.pub");

		z.keyid[7] = 0x0d;
		ck_assert_int_eq(cairn_pubkey_write(zp, &z), 0);
		text = get_file(zp, NULL);
		ck_assert_ptr_nonnull(strstr(text, "minisign public key D"));
		free(text);
	}
	ck_assert_int_eq(cairn_pubkey_load(p, &back), 0);
	ck_assert_mem_eq(&back, &pk, sizeof pk);
	/* A lone base64 line, as `minisign -P` takes it. */
	memset(&back, 0, sizeof back);
	ck_assert_int_eq(cairn_pubkey_parse(b64, strlen(b64), &back), 0);
	ck_assert_mem_eq(&back, &pk, sizeof pk);
	ck_assert_int_eq(cairn_pubkey_parse(want + n + 1, strlen(want + n + 1),
	    &back), 0);
	/* Malformed. */
	ck_assert_int_eq(cairn_pubkey_parse("", 0, &back), CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_pubkey_parse(b64, strlen(b64) - 4, &back),
	    CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_pubkey_parse(want, n + 1, &back),
	    CAIRN_EFORMAT);
	snprintf(want, sizeof want, "c\n%s\nc\n", b64);
	ck_assert_int_eq(cairn_pubkey_parse(want, strlen(want), &back),
	    CAIRN_EFORMAT);
	/* Only the base64 alphabet: libsodium 1.0.18 reads 0xff as '/'. */
	b64[20] = '/';
	ck_assert_int_eq(cairn_pubkey_parse(b64, strlen(b64), &back), 0);
	b64[20] = (char)0xff;
	ck_assert_int_eq(cairn_pubkey_parse(b64, strlen(b64), &back),
	    CAIRN_EFORMAT);
	b64[20] = '/';
	/* "Ed" is the only algorithm: "RWQ" is "Ed", "RXQ" is "Et". */
	b64[1] = 'X';
	ck_assert_int_eq(cairn_pubkey_parse(b64, strlen(b64), &back),
	    CAIRN_EFORMAT);
	cairn_pubkey_b64(&pk, small, sizeof small);
	ck_assert_str_eq(small, "");
	cairn_seckey_free(sk);
}
END_TEST

START_TEST(test_minisign_keyid)
{
	struct cairn_seckey *sk;
	struct cairn_pubkey pk;
	struct cairn_buf sig = { 0 };
	uint8_t id[CAIRN_KEYID_LEN];
	char hex[2 * CAIRN_KEYID_LEN + 1], *text, *line;
	const char *p = tpath("id.pub");

	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	cairn_seckey_public(sk, &pk);
	/* The id as the .pub file's comment shows it. */
	ck_assert_int_eq(cairn_pubkey_write(p, &pk), 0);
	text = get_file(p, NULL);
	line = strchr(text, '\n');
	ck_assert_ptr_nonnull(line);
	*line = '\0';
	cairn_keyid_format(pk.keyid, hex);
	ck_assert_str_eq(text + strlen("untrusted comment: minisign public key "),
	    hex);
	free(text);
	pk.keyid[7] = 0x00;
	pk.keyid[6] = 0x0a;
	pk.keyid[0] = 0x01;
	cairn_keyid_format(pk.keyid, hex);
	ck_assert_uint_eq(strlen(hex), 13);
	ck_assert_int_eq(hex[0], 'A');
	ck_assert_int_eq(hex[12], '1');
	/* The key id a signature names, unverified. */
	sign_bytes(sk, (const uint8_t *)"data", 4, "t", &sig);
	ck_assert_int_eq(cairn_minisign_keyid((char *)sig.p, sig.len, id), 0);
	cairn_seckey_public(sk, &pk);
	ck_assert_mem_eq(id, pk.keyid, CAIRN_KEYID_LEN);
	ck_assert_int_eq(cairn_minisign_keyid("untrusted comment: x\nnot base64"
	    "\n", 32, id), CAIRN_EFORMAT);
	ck_assert_int_eq(cairn_minisign_keyid((char *)sig.p, 10, id),
	    CAIRN_EFORMAT);
	cairn_buf_free(&sig);
	cairn_seckey_free(sk);
}
END_TEST

START_TEST(test_minisign_fixture_pubkey)
{
	static const uint8_t id[8] = { 0x0e, 0xa3, 0x69, 0x41, 0x76, 0x11,
	    0x08, 0xe7 };
	struct cairn_pubkey pk;
	char path[PATH_MAX];
	const char *src = getenv("srcdir");

	snprintf(path, sizeof path, "%s/tests/data/keys/minisign-enc.pub",
	    src != NULL ? src : ".");
	ck_assert_int_eq(cairn_pubkey_load(path, &pk), 0);
	/* Its comment says E70811764169A30E. */
	ck_assert_mem_eq(pk.keyid, id, 8);
}
END_TEST

START_TEST(test_minisign_fixture_encrypted)
{
	struct cairn_seckey *sk = NULL;
	struct cairn_pubkey pk, want;
	char path[PATH_MAX], *text;
	const char *src = getenv("srcdir"), *p = tpath("enc.key");
	size_t n;

	/* Made by `minisign -G`: default scrypt limits, so slow on purpose. */
	snprintf(path, sizeof path, "%s/tests/data/keys/minisign-enc.key",
	    src != NULL ? src : ".");
	text = get_file(path, &n);
	put_file(p, text, n, 0600);
	free(text);
	snprintf(path, sizeof path, "%s/tests/data/keys/minisign-enc.pub",
	    src != NULL ? src : ".");
	ck_assert_int_eq(cairn_pubkey_load(path, &want), 0);
	ck_assert_int_eq(cairn_seckey_is_encrypted(p), 1);
	ck_assert_int_eq(cairn_seckey_load(p, "wrong passphrase", &sk),
	    CAIRN_EPASS);
	ck_assert_ptr_null(sk);
	ck_assert_int_eq(cairn_seckey_load(p, FIXTURE_PASS, &sk), 0);
	cairn_seckey_public(sk, &pk);
	ck_assert_mem_eq(&pk, &want, sizeof pk);
	cairn_seckey_free(sk);
}
END_TEST

START_TEST(test_interop_minisign_made_keys)
{
	struct cairn_seckey *sk;
	struct cairn_pubkey pk, filepk;
	struct cairn_buf sig = { 0 };
	char trusted[256], b64[CAIRN_PUBKEY_B64_LEN + 1], *d;
	const char *key = tpath("m.key"), *pub = tpath("m.pub");
	const char *data = tpath("data"), *ours = tpath("ours.minisig");
	const char *theirs = tpath("theirs.minisig");
	size_t dn;

	if (!have_minisign("test_interop_minisign_made_keys"))
		return;
	ck_assert_int_eq(sh("minisign -G -W -p %s -s %s", pub, key), 0);
	ck_assert_int_eq(cairn_seckey_is_encrypted(key), 0);
	ck_assert_int_eq(cairn_seckey_load(key, NULL, &sk), 0);
	ck_assert_int_eq(cairn_pubkey_load(pub, &filepk), 0);
	cairn_seckey_public(sk, &pk);
	ck_assert_mem_eq(&pk, &filepk, sizeof pk);

	/* Ours, checked by minisign (key file and -P). */
	make_data(data, 200000);
	d = get_file(data, &dn);
	sign_bytes(sk, (uint8_t *)d, dn, "made by cairn", &sig);
	put_file(ours, sig.p, sig.len, 0644);
	ck_assert_int_eq(sh("minisign -V -m %s -x %s -p %s", data, ours, pub),
	    0);
	cairn_pubkey_b64(&pk, b64, sizeof b64);
	ck_assert_int_eq(sh("minisign -V -m %s -x %s -P %s", data, ours, b64),
	    0);
	ck_assert_int_eq(sh("minisign -V -H -m %s -x %s -p %s", data, ours,
	    pub), 0);

	/* Theirs, checked by us. */
	ck_assert_int_eq(sh("minisign -S -s %s -m %s -x %s -t 'hello, trusted'",
	    key, data, theirs), 0);
	ck_assert_int_eq(verify_files(&pk, data, theirs, trusted,
	    sizeof trusted), 0);
	ck_assert_str_eq(trusted, "hello, trusted");
	/* Their legacy (not prehashed) signatures are refused. */
	ck_assert_int_eq(sh("minisign -S -l -s %s -m %s -x %s", key, data,
	    tpath("legacy.minisig")), 0);
	ck_assert_int_eq(verify_files(&pk, data, tpath("legacy.minisig"), NULL,
	    0), CAIRN_EFORMAT);

	/* An altered file fails in both. */
	d[100] ^= 1;
	put_file(data, d, dn, 0644);
	ck_assert_int_ne(sh("minisign -V -m %s -x %s -p %s", data, ours, pub),
	    0);
	ck_assert_int_eq(verify_files(&pk, data, theirs, NULL, 0),
	    CAIRN_EBADSIG);
	free(d);
	cairn_buf_free(&sig);
	cairn_seckey_free(sk);
}
END_TEST

START_TEST(test_interop_our_keys)
{
	struct cairn_seckey *sk;
	struct cairn_pubkey pk;
	char trusted[256], *a, *b;
	const char *key = tpath("o.key"), *pub = tpath("o.pub");
	const char *ekey = tpath("e.key"), *data = tpath("data");

	if (!have_minisign("test_interop_our_keys"))
		return;
	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	cairn_seckey_public(sk, &pk);
	ck_assert_int_eq(cairn_seckey_write(key, sk, NULL, 0, 0), 0);
	ck_assert_int_eq(cairn_pubkey_write(pub, &pk), 0);
	make_data(data, 70000);

	/* minisign signs with our unencrypted key; both verifiers agree. */
	ck_assert_int_eq(sh("minisign -S -s %s -m %s -x %s -t t1", key, data,
	    tpath("a.minisig")), 0);
	ck_assert_int_eq(sh("minisign -V -m %s -x %s -p %s", data,
	    tpath("a.minisig"), pub), 0);
	ck_assert_int_eq(verify_files(&pk, data, tpath("a.minisig"), trusted,
	    sizeof trusted), 0);
	ck_assert_str_eq(trusted, "t1");

	/* minisign -R rebuilds our public key file byte for byte. */
	ck_assert_int_eq(sh("minisign -R -s %s -p %s", key, tpath("r.pub")), 0);
	a = get_file(pub, NULL);
	b = get_file(tpath("r.pub"), NULL);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);

	/* Our encrypted key (small limits) works in minisign. */
	ck_assert_int_eq(cairn_seckey_write(ekey, sk, "pw-test", TEST_OPS,
	    TEST_MEM), 0);
	ck_assert_int_eq(sh("printf 'pw-test\\n' | minisign -S -s %s -m %s "
	    "-x %s -t t2", ekey, data, tpath("b.minisig")), 0);
	ck_assert_int_eq(verify_files(&pk, data, tpath("b.minisig"), trusted,
	    sizeof trusted), 0);
	ck_assert_str_eq(trusted, "t2");
	ck_assert_int_ne(sh("printf 'pw-wrong\\n' | minisign -S -s %s -m %s "
	    "-x %s", ekey, data, tpath("c.minisig")), 0);
	cairn_seckey_free(sk);
}
END_TEST

/* Splits a 4-line signature text into its lines (in place). */
static void
split4(char *s, char *l[4])
{
	int i;

	for (i = 0; i < 4; i++) {
		l[i] = s;
		s = strchr(s, '\n');
		ck_assert_ptr_nonnull(s);
		*s++ = 0;
	}
}

/* Re-encodes base64 line *l after flipping bit 0 of byte at. */
static void
flip_b64(char *l, size_t at)
{
	uint8_t raw[128];
	size_t n;

	ck_assert_int_eq(cairn_unb64(l, strlen(l), raw, sizeof raw, &n), 0);
	ck_assert_uint_gt(n, at);
	raw[at] ^= 1;
	cairn_b64(raw, n, l);
}

START_TEST(test_minisign_must_fail)
{
	static const uint8_t msg[] = "an export, or any other file";
	struct cairn_seckey *sk, *other;
	struct cairn_pubkey pk, opk;
	struct cairn_buf sig = { 0 }, b = { 0 };
	struct cairn_minisign m;
	char trusted[64], *s, *l[4], longc[CAIRN_MINISIGN_TRUSTED_MAX + 2];
	char tc2[] = "trusted comment: ts=2", c0[] = "comment: x";
	char ts[] = "ts=1";
	size_t n = sizeof msg - 1;

	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	ck_assert_int_eq(cairn_key_generate(&other), 0);
	cairn_seckey_public(sk, &pk);
	cairn_seckey_public(other, &opk);
	sign_bytes(sk, msg, n, "ts=1", &sig);
	ck_assert_int_eq(verify_bytes(&pk, msg, n, (char *)sig.p, sig.len,
	    trusted, sizeof trusted), 0);
	ck_assert_str_eq(trusted, "ts=1");
	ck_assert_int_eq(verify_bytes(&pk, msg, n, (char *)sig.p, sig.len,
	    trusted, 4), CAIRN_ETOOBIG);
	ck_assert_int_eq(verify_bytes(&pk, msg, n, (char *)sig.p, sig.len,
	    NULL, 0), 0);

	/* Altered file, wrong key (other id; same id, other key). */
	ck_assert_int_eq(verify_bytes(&pk, msg, n - 1, (char *)sig.p, sig.len,
	    NULL, 0), CAIRN_EBADSIG);
	ck_assert_int_eq(verify_bytes(&opk, msg, n, (char *)sig.p, sig.len,
	    NULL, 0), CAIRN_EBADSIG);
	memcpy(opk.keyid, pk.keyid, sizeof opk.keyid);
	ck_assert_int_eq(verify_bytes(&opk, msg, n, (char *)sig.p, sig.len,
	    NULL, 0), CAIRN_EBADSIG);

#define TRY(expect) do {						\
	b.len = 0;							\
	cairn_buf_printf(&b, "%s\n%s\n%s\n%s\n", l[0], l[1], l[2], l[3]); \
	ck_assert_int_eq(verify_bytes(&pk, msg, n, (char *)b.p, b.len,	\
	    NULL, 0), (expect));					\
	free(s);							\
} while (0)
#define FRESH() do {							\
	s = strdup((char *)sig.p);					\
	split4(s, l);							\
} while (0)

	FRESH();
	TRY(0);
	/* Changed trusted comment. */
	FRESH();
	l[2] = tc2;
	TRY(CAIRN_EBADSIG);
	/* Forged signature, forged global signature. */
	FRESH();
	flip_b64(l[1], 40);
	TRY(CAIRN_EBADSIG);
	FRESH();
	flip_b64(l[3], 10);
	TRY(CAIRN_EBADSIG);
	/* Legacy "Ed" (and anything else) refused. */
	FRESH();
	flip_b64(l[1], 1);	/* 'D' ^ 1 = 'E': "EE" */
	TRY(CAIRN_EFORMAT);
	FRESH();
	{
		uint8_t raw[74];
		size_t k;

		cairn_unb64(l[1], strlen(l[1]), raw, sizeof raw, &k);
		raw[1] = 'd';
		cairn_b64(raw, k, l[1]);
	}
	TRY(CAIRN_EFORMAT);
	/* Malformed texts. */
	FRESH();
	l[0] = c0;
	TRY(CAIRN_EFORMAT);
	FRESH();
	l[2] = ts;
	TRY(CAIRN_EFORMAT);
	FRESH();
	l[1][10] = '!';
	TRY(CAIRN_EFORMAT);
	FRESH();
	l[3][strlen(l[3]) - 1] = 0;
	TRY(CAIRN_EFORMAT);
	ck_assert_int_eq(verify_bytes(&pk, msg, n, (char *)sig.p,
	    sig.len - 90, NULL, 0), CAIRN_EFORMAT);
	b.len = 0;
	cairn_buf_add(&b, sig.p, sig.len);
	cairn_buf_adds(&b, "extra\n");
	ck_assert_int_eq(verify_bytes(&pk, msg, n, (char *)b.p, b.len, NULL,
	    0), CAIRN_EFORMAT);
	/* CRLF line ends are read as minisign reads them. */
	FRESH();
	b.len = 0;
	cairn_buf_printf(&b, "%s\r\n%s\r\n%s\r\n%s\r\n", l[0], l[1], l[2], l[3]);
	free(s);
	ck_assert_int_eq(verify_bytes(&pk, msg, n, (char *)b.p, b.len, NULL,
	    0), 0);

	/* Comments that minisign could not read back are refused. */
	cairn_minisign_init(&m);
	ck_assert_int_eq(cairn_minisign_final(&m, sk, NULL, "a\nb", &b),
	    CAIRN_EINVAL);
	ck_assert_int_eq(cairn_minisign_final(&m, sk, NULL, "a\rb", &b),
	    CAIRN_EINVAL);
	ck_assert_int_eq(cairn_minisign_final(&m, sk, "a\nb", "t", &b),
	    CAIRN_EINVAL);
	memset(longc, 'x', sizeof longc - 1);
	longc[sizeof longc - 1] = 0;
	ck_assert_int_eq(cairn_minisign_final(&m, sk, NULL, longc, &b),
	    CAIRN_ETOOBIG);
	longc[sizeof longc - 2] = 0;
	b.len = 0;
	ck_assert_int_eq(cairn_minisign_final(&m, sk, NULL, longc, &b), 0);
	cairn_buf_free(&b);
	cairn_buf_free(&sig);
	cairn_seckey_free(sk);
	cairn_seckey_free(other);
#undef TRY
#undef FRESH
}
END_TEST

/* The suite of key and signature tests. */
static Suite *
keys_suite(void)
{
	Suite *s = suite_create("keys");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	/* The fixture key uses minisign's default scrypt: seconds each. */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unencrypted_roundtrip);
	tcase_add_test(tc, test_encrypted_roundtrip);
	tcase_add_test(tc, test_key_permissions);
	tcase_add_test(tc, test_seckey_malformed);
	tcase_add_test(tc, test_pubkey_files);
	tcase_add_test(tc, test_minisign_keyid);
	tcase_add_test(tc, test_minisign_fixture_pubkey);
	tcase_add_test(tc, test_minisign_fixture_encrypted);
	tcase_add_test(tc, test_interop_minisign_made_keys);
	tcase_add_test(tc, test_interop_our_keys);
	tcase_add_test(tc, test_minisign_must_fail);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; fails if any test does. */
int
main(void)
{
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	umask(022);
	return check_run(keys_suite());
}
