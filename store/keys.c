/* keys.c: minisign secret and public key files, and minisign signatures. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "keys.h"

/* Byte layout of minisign's SeckeyStruct, PubkeyStruct and SigStruct. */
#define SK_KDF		2
#define SK_CHKALG	4
#define SK_SALT		6
#define SK_OPS		(SK_SALT + 32)
#define SK_MEM		(SK_OPS + 8)
#define SK_KEYNUM	(SK_MEM + 8)		/* keynum_sk: what scrypt covers */
#define SK_SK		(SK_KEYNUM + CAIRN_KEYID_LEN)
#define SK_CHK		(SK_SK + 64)
#define SK_LEN		(SK_CHK + 32)
#define SK_KEYNUM_LEN	(SK_LEN - SK_KEYNUM)
#define PK_LEN		(2 + CAIRN_KEYID_LEN + 32)
#define SIG_LEN		(2 + CAIRN_KEYID_LEN + 64)
#define B64LEN(n)	(((n) + 2) / 3 * 4)	/* padded base64 length */

#define UNTRUSTED_PREFIX	"untrusted comment: "
#define TRUSTED_PREFIX		"trusted comment: "
#define DEFAULT_UNTRUSTED	"signature from cairn secret key"
#define SIGTEXT_MAX		16384

/*
 * Upper bounds on the scrypt limits read from a key file: four times
 * minisign's defaults, so that a damaged file cannot ask for unbounded
 * memory or time.
 */
#define OPS_CAP		((uint64_t)4 * crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE)
#define MEM_CAP		((uint64_t)4 * crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE)

struct cairn_seckey {
	uint8_t	keyid[CAIRN_KEYID_LEN];
	uint8_t	sk[crypto_sign_SECRETKEYBYTES];
};

/* Initialises libsodium (idempotent); CAIRN_ENOMEM if it cannot. */
static int
sodium_ready(void)
{
	return sodium_init() < 0 ? CAIRN_ENOMEM : 0;
}

/* Little-endian u64, the byte order of minisign's kdf limits and key ids. */
static uint64_t
le64_get(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Stores a little-endian u64. */
static void
le64_put(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Takes the next line off [*p, end), without its "\n" or "\r\n"; 0 at the end. */
static int
next_line(const char **p, const char *end, const char **s, size_t *n)
{
	const char *nl;

	if (*p >= end)
		return 0;
	*s = *p;
	if ((nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL) {
		*n = (size_t)(end - *p);
		*p = end;
	} else {
		*n = (size_t)(nl - *p);
		*p = nl + 1;
	}
	if (*n > 0 && (*s)[*n - 1] == '\r')
		(*n)--;
	return 1;
}

/*
 * Finds the base64 line of a key file: "comment\nbase64[\n]", or a lone
 * base64 line when comment_optional.  Nothing but empty lines may follow.
 */
static int
key_b64_line(const char *text, size_t len, int comment_optional,
    const char **b64, size_t *b64len)
{
	const char *p = text, *end = text + len, *l1, *l2, *l;
	size_t n1, n2, n;

	if (memchr(text, '\0', len) != NULL)
		return CAIRN_EFORMAT;
	if (!next_line(&p, end, &l1, &n1))
		return CAIRN_EFORMAT;
	if (!next_line(&p, end, &l2, &n2) || n2 == 0) {
		if (!comment_optional || p < end)
			return CAIRN_EFORMAT;
		/* A lone line, as `minisign -P` takes it. */
		*b64 = l1;
		*b64len = n1;
		return 0;
	}
	while (next_line(&p, end, &l, &n))
		if (n != 0)
			return CAIRN_EFORMAT;
	*b64 = l2;
	*b64len = n2;
	return 0;
}

/* minisign's checksum: BLAKE2b-256(sig_alg || key id || sk). */
static void
seckey_chk(const uint8_t *raw, uint8_t chk[32])
{
	crypto_generichash_state h;

	crypto_generichash_init(&h, NULL, 0, 32);
	crypto_generichash_update(&h, raw, 2);
	crypto_generichash_update(&h, raw + SK_KEYNUM, CAIRN_KEYID_LEN);
	crypto_generichash_update(&h, raw + SK_SK, crypto_sign_SECRETKEYBYTES);
	crypto_generichash_final(&h, chk, 32);
}

/* XORs keynum_sk with the scrypt stream of the passphrase (both ways). */
static int
seckey_xor(uint8_t *raw, const char *passphrase)
{
	uint8_t *stream;
	uint64_t ops, mem;
	size_t i;
	int rc = 0;

	ops = le64_get(raw + SK_OPS);
	mem = le64_get(raw + SK_MEM);
	if (ops > OPS_CAP || mem > MEM_CAP || mem > SIZE_MAX)
		return CAIRN_EFORMAT;
	if ((stream = sodium_malloc(SK_KEYNUM_LEN)) == NULL)
		return CAIRN_ENOMEM;
	/* Fails only when scrypt cannot get its memory. */
	if (crypto_pwhash_scryptsalsa208sha256(stream, SK_KEYNUM_LEN,
	    passphrase, strlen(passphrase), raw + SK_SALT, ops,
	    (size_t)mem) != 0)
		rc = CAIRN_ENOMEM;
	else
		for (i = 0; i < SK_KEYNUM_LEN; i++)
			raw[SK_KEYNUM + i] ^= stream[i];
	sodium_free(stream);
	return rc;
}

/* Decodes and checks the algorithm tags of a secret key file's text. */
static int
seckey_decode(const uint8_t *text, size_t len, uint8_t raw[SK_LEN])
{
	const char *b64;
	size_t b64len, n;
	int rc;

	if ((rc = key_b64_line((const char *)text, len, 0, &b64, &b64len)) != 0)
		return rc;
	if (cairn_unb64(b64, b64len, raw, SK_LEN, &n) != 0 || n != SK_LEN)
		return CAIRN_EFORMAT;
	/* Tags first, as minisign does: Ed25519, BLAKE2b, scrypt or none. */
	if (memcmp(raw, "Ed", 2) != 0 || memcmp(raw + SK_CHKALG, "B2", 2) != 0)
		return CAIRN_EFORMAT;
	if (memcmp(raw + SK_KDF, "Sc", 2) != 0 &&
	    memcmp(raw + SK_KDF, "\0\0", 2) != 0)
		return CAIRN_EFORMAT;
	return 0;
}

/*
 * Reads a secret key file into sodium memory, refusing files that are not
 * regular, not ours, or open to group or others.
 */
static int
seckey_read(const char *path, int check_perm, uint8_t **text, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	size_t n = 0;
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return errno;
	if (fstat(fd, &st) != 0) {
		rc = errno;
		close(fd);
		return rc;
	}
	/* fstat of the open file, so a swapped path cannot slip past. */
	if (!S_ISREG(st.st_mode) || (check_perm &&
	    (st.st_uid != geteuid() || (st.st_mode & 077) != 0))) {
		close(fd);
		return CAIRN_EKEYPERM;
	}
	if ((buf = sodium_malloc(CAIRN_SECKEY_MAXFILE + 1)) == NULL) {
		close(fd);
		return CAIRN_ENOMEM;
	}
	for (;;) {
		r = read(fd, buf + n, CAIRN_SECKEY_MAXFILE + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > CAIRN_SECKEY_MAXFILE) {
			rc = CAIRN_ETOOBIG;
			break;
		}
	}
	close(fd);
	if (rc != 0) {
		sodium_free(buf);
		return rc;
	}
	*text = buf;
	*len = n;
	return 0;
}

/* Writes data to a new file (O_EXCL, given mode), synced; removed on error. */
static int
write_new_file(const char *path, const void *data, size_t len, mode_t mode)
{
	const uint8_t *p = data;
	ssize_t w;
	int fd, rc = 0;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC |
	    O_NOFOLLOW, mode)) < 0)
		return errno;
	while (len > 0) {
		if ((w = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			break;
		}
		p += w;
		len -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc != 0)
		(void)unlink(path);
	return rc;
}

/* Creates a random key pair and key id in sodium memory. */
int
cairn_key_generate(struct cairn_seckey **out)
{
	struct cairn_seckey *sk;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int rc;

	if ((rc = sodium_ready()) != 0)
		return rc;
	if ((sk = sodium_malloc(sizeof *sk)) == NULL)
		return CAIRN_ENOMEM;
	randombytes_buf(sk->keyid, sizeof sk->keyid);
	crypto_sign_keypair(pk, sk->sk);
	*out = sk;
	return 0;
}

/* Copies out the public half of a secret key. */
void
cairn_seckey_public(const struct cairn_seckey *sk, struct cairn_pubkey *pk)
{
	memcpy(pk->keyid, sk->keyid, sizeof pk->keyid);
	/* libsodium's secret key is seed || public key. */
	memcpy(pk->pk, sk->sk + 32, sizeof pk->pk);
}

/* The 64-byte libsodium secret key inside. */
const uint8_t *
cairn_seckey_ed25519(const struct cairn_seckey *sk)
{
	return sk->sk;
}

/* Wipes and frees a secret key. */
void
cairn_seckey_free(struct cairn_seckey *sk)
{
	/* sodium_free() wipes before unmapping. */
	if (sk != NULL)
		sodium_free(sk);
}

/* Writes a secret key file, encrypted with scrypt when given a passphrase. */
int
cairn_seckey_write(const char *path, const struct cairn_seckey *sk,
    const char *passphrase, uint64_t opslimit, uint64_t memlimit)
{
	static const char enc[] = UNTRUSTED_PREFIX "minisign encrypted secret key\n";
	static const char plain[] = UNTRUSTED_PREFIX "minisign unencrypted secret key\n";
	const char *comment = passphrase != NULL ? enc : plain;
	size_t clen = strlen(comment), tlen;
	uint8_t *raw;
	char *text;
	int rc;

	if ((rc = sodium_ready()) != 0)
		return rc;
	if (passphrase != NULL && opslimit == 0 && memlimit == 0) {
		opslimit = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE;
		memlimit = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE;
	}
	if (passphrase != NULL &&
	    (opslimit < crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN ||
	    memlimit < crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN ||
	    opslimit > OPS_CAP || memlimit > MEM_CAP))
		return CAIRN_EINVAL;
	tlen = clen + cairn_b64_len(SK_LEN) + 1;
	raw = sodium_malloc(SK_LEN);
	text = sodium_malloc(tlen + 1);
	if (raw == NULL || text == NULL) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	memset(raw, 0, SK_LEN);
	memcpy(raw, "Ed", 2);
	memcpy(raw + SK_CHKALG, "B2", 2);
	memcpy(raw + SK_KEYNUM, sk->keyid, CAIRN_KEYID_LEN);
	memcpy(raw + SK_SK, sk->sk, crypto_sign_SECRETKEYBYTES);
	/*
	 * Unencrypted keys get the true checksum too (as `minisign -C -W`
	 * leaves it); minisign does not check it for kdf "\0\0".
	 */
	seckey_chk(raw, raw + SK_CHK);
	if (passphrase != NULL) {
		memcpy(raw + SK_KDF, "Sc", 2);
		randombytes_buf(raw + SK_SALT, 32);
		le64_put(raw + SK_OPS, opslimit);
		le64_put(raw + SK_MEM, memlimit);
		if ((rc = seckey_xor(raw, passphrase)) != 0)
			goto out;
	}
	memcpy(text, comment, clen);
	cairn_b64(raw, SK_LEN, text + clen);
	text[tlen - 1] = '\n';
	text[tlen] = 0;
	rc = write_new_file(path, text, tlen, 0600);
out:
	sodium_free(text);
	sodium_free(raw);
	return rc;
}

/* Tells whether a secret key file is passphrase-encrypted. */
int
cairn_seckey_is_encrypted(const char *path)
{
	uint8_t *text, *raw;
	size_t len;
	int rc;

	if ((rc = sodium_ready()) != 0)
		return rc;
	if ((rc = seckey_read(path, 0, &text, &len)) != 0)
		return rc;
	if ((raw = sodium_malloc(SK_LEN)) == NULL)
		rc = CAIRN_ENOMEM;
	else if ((rc = seckey_decode(text, len, raw)) == 0)
		rc = memcmp(raw + SK_KDF, "Sc", 2) == 0;
	sodium_free(raw);
	sodium_free(text);
	return rc;
}

/* Decodes, decrypts and checks the text of a secret key file. */
int
cairn_seckey_parse(const uint8_t *text, size_t len, const char *passphrase,
    struct cairn_seckey **out)
{
	struct cairn_seckey *sk = NULL;
	uint8_t *raw = NULL, *chk = NULL, *sk2 = NULL;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int rc;

	if ((rc = sodium_ready()) != 0)
		return rc;
	if (len > CAIRN_SECKEY_MAXFILE)
		return CAIRN_ETOOBIG;
	raw = sodium_malloc(SK_LEN);
	chk = sodium_malloc(32);
	sk2 = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	if (raw == NULL || chk == NULL || sk2 == NULL) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	if ((rc = seckey_decode(text, len, raw)) != 0)
		goto out;
	if (memcmp(raw + SK_KDF, "Sc", 2) == 0) {
		if (passphrase == NULL) {
			rc = CAIRN_EPASS;
			goto out;
		}
		if ((rc = seckey_xor(raw, passphrase)) != 0)
			goto out;
		seckey_chk(raw, chk);
		/* A wrong passphrase decrypts to noise: the checksum tells. */
		if (sodium_memcmp(chk, raw + SK_CHK, 32) != 0) {
			rc = CAIRN_EPASS;
			goto out;
		}
	} else {
		/* `minisign -G -W` leaves the checksum all zeros. */
		seckey_chk(raw, chk);
		if (!sodium_is_zero(raw + SK_CHK, 32) &&
		    sodium_memcmp(chk, raw + SK_CHK, 32) != 0) {
			rc = CAIRN_EFORMAT;
			goto out;
		}
	}
	/* The public half must be what the seed derives, or we'd sign junk. */
	crypto_sign_seed_keypair(pk, sk2, raw + SK_SK);
	if (sodium_memcmp(pk, raw + SK_SK + 32, sizeof pk) != 0) {
		rc = CAIRN_EFORMAT;
		goto out;
	}
	if ((sk = sodium_malloc(sizeof *sk)) == NULL) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	memcpy(sk->keyid, raw + SK_KEYNUM, CAIRN_KEYID_LEN);
	memcpy(sk->sk, raw + SK_SK, crypto_sign_SECRETKEYBYTES);
	*out = sk;
out:
	sodium_free(sk2);
	sodium_free(chk);
	sodium_free(raw);
	return rc;
}

/* Reads a secret key file, refusing loose permissions, and parses it. */
int
cairn_seckey_load(const char *path, const char *passphrase,
    struct cairn_seckey **out)
{
	uint8_t *text;
	size_t len;
	int rc;

	if ((rc = sodium_ready()) != 0)
		return rc;
	if ((rc = seckey_read(path, 1, &text, &len)) != 0)
		return rc;
	rc = cairn_seckey_parse(text, len, passphrase, out);
	sodium_free(text);
	return rc;
}

/* The raw "Ed" || key id || pk of a public key. */
static void
pubkey_raw(const struct cairn_pubkey *pk, uint8_t raw[PK_LEN])
{
	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, pk->keyid, CAIRN_KEYID_LEN);
	memcpy(raw + 2 + CAIRN_KEYID_LEN, pk->pk, 32);
}

/* Writes a public key file in minisign's format. */
int
cairn_pubkey_write(const char *path, const struct cairn_pubkey *pk)
{
	struct cairn_buf b = { 0 };
	char b64[CAIRN_PUBKEY_B64_LEN + 1];
	int rc;

	cairn_pubkey_b64(pk, b64, sizeof b64);
	/* minisign prints the key id as a little-endian u64, unpadded. */
	if ((rc = cairn_buf_printf(&b, UNTRUSTED_PREFIX
	    "minisign public key %" PRIX64 "\n%s\n",
	    le64_get(pk->keyid), b64)) == 0)
		rc = write_new_file(path, b.p, b.len, 0644);
	cairn_buf_free(&b);
	return rc;
}

/* Parses a public key file's text or its lone base64 line. */
int
cairn_pubkey_parse(const char *text, size_t len, struct cairn_pubkey *pk)
{
	uint8_t raw[PK_LEN];
	const char *b64;
	size_t b64len, n;
	int rc;

	if ((rc = key_b64_line(text, len, 1, &b64, &b64len)) != 0)
		return rc;
	if (cairn_unb64(b64, b64len, raw, sizeof raw, &n) != 0 || n != PK_LEN ||
	    memcmp(raw, "Ed", 2) != 0)
		return CAIRN_EFORMAT;
	memcpy(pk->keyid, raw + 2, CAIRN_KEYID_LEN);
	memcpy(pk->pk, raw + 2 + CAIRN_KEYID_LEN, 32);
	return 0;
}

/* Reads and parses a public key file. */
int
cairn_pubkey_load(const char *path, struct cairn_pubkey *pk)
{
	uint8_t *text;
	size_t len;
	int rc;

	if ((rc = cairn_read_file(path, 4096, &text, &len)) != 0)
		return rc;
	rc = cairn_pubkey_parse((const char *)text, len, pk);
	free(text);
	return rc;
}

/* Writes the base64 line of a public key, or "" if out is too small. */
void
cairn_pubkey_b64(const struct cairn_pubkey *pk, char *out, size_t outlen)
{
	uint8_t raw[PK_LEN];

	if (outlen < CAIRN_PUBKEY_B64_LEN + 1) {
		if (outlen > 0)
			out[0] = 0;
		return;
	}
	pubkey_raw(pk, raw);
	cairn_b64(raw, sizeof raw, out);
}

/* Starts the BLAKE2b-512 prehash of the data to sign or verify. */
void
cairn_minisign_init(struct cairn_minisign *m)
{
	int ready;

	/* Should it fail, libsodium still works with its portable code. */
	ready = sodium_init();
	(void)ready;
	/* The prehash of "ED" signatures: BLAKE2b-512, no key. */
	crypto_generichash_init(&m->h, NULL, 0, crypto_generichash_BYTES_MAX);
}

/* Feeds data to the prehash. */
void
cairn_minisign_update(struct cairn_minisign *m, const void *d, size_t n)
{
	crypto_generichash_update(&m->h, d, n);
}

/* 0 if a comment fits on one line of at most max bytes. */
static int
comment_ok(const char *s, size_t max)
{
	if (strpbrk(s, "\r\n") != NULL)
		return CAIRN_EINVAL;
	if (strlen(s) > max)
		return CAIRN_ETOOBIG;
	return 0;
}

/* Signs the prehash and appends the whole .minisig text to out. */
int
cairn_minisign_final(struct cairn_minisign *m, const struct cairn_seckey *sk,
    const char *untrusted, const char *trusted, struct cairn_buf *out)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], sig[SIG_LEN];
	uint8_t global[crypto_sign_BYTES];
	char b64sig[B64LEN(SIG_LEN) + 1];
	char b64global[B64LEN(crypto_sign_BYTES) + 1];
	uint8_t *st;
	size_t tlen;
	int rc;

	if (untrusted == NULL)
		untrusted = DEFAULT_UNTRUSTED;
	if (trusted == NULL)
		trusted = "";
	if ((rc = comment_ok(untrusted, CAIRN_MINISIGN_UNTRUSTED_MAX)) != 0 ||
	    (rc = comment_ok(trusted, CAIRN_MINISIGN_TRUSTED_MAX)) != 0)
		return rc;
	crypto_generichash_final(&m->h, hash, sizeof hash);
	memcpy(sig, "ED", 2);
	memcpy(sig + 2, sk->keyid, CAIRN_KEYID_LEN);
	crypto_sign_detached(sig + 2 + CAIRN_KEYID_LEN, NULL, hash, sizeof hash,
	    sk->sk);
	/* The global signature binds the trusted comment to the signature. */
	tlen = strlen(trusted);
	if ((st = malloc(crypto_sign_BYTES + tlen)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(st, sig + 2 + CAIRN_KEYID_LEN, crypto_sign_BYTES);
	memcpy(st + crypto_sign_BYTES, trusted, tlen);
	crypto_sign_detached(global, NULL, st, crypto_sign_BYTES + tlen, sk->sk);
	free(st);
	cairn_b64(sig, sizeof sig, b64sig);
	cairn_b64(global, sizeof global, b64global);
	return cairn_buf_printf(out, UNTRUSTED_PREFIX "%s\n%s\n"
	    TRUSTED_PREFIX "%s\n%s\n", untrusted, b64sig, trusted, b64global);
}

/* Verifies .minisig text against the prehash and a trusted key. */
int
cairn_minisign_verify(struct cairn_minisign *m, const struct cairn_pubkey *pk,
    const char *sigtext, size_t siglen, char *trusted, size_t trustedlen)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], sig[SIG_LEN];
	uint8_t global[crypto_sign_BYTES];
	const char *p = sigtext, *end = sigtext + siglen, *l[4], *rest;
	size_t n[4], nn, tlen;
	uint8_t *st;
	int i, rc;

	if (siglen > SIGTEXT_MAX || memchr(sigtext, '\0', siglen) != NULL)
		return CAIRN_EFORMAT;
	for (i = 0; i < 4; i++)
		if (!next_line(&p, end, &l[i], &n[i]))
			return CAIRN_EFORMAT;
	if (p != end)
		return CAIRN_EFORMAT;
	if (n[0] < strlen(UNTRUSTED_PREFIX) ||
	    memcmp(l[0], UNTRUSTED_PREFIX, strlen(UNTRUSTED_PREFIX)) != 0 ||
	    n[2] < strlen(TRUSTED_PREFIX) ||
	    memcmp(l[2], TRUSTED_PREFIX, strlen(TRUSTED_PREFIX)) != 0)
		return CAIRN_EFORMAT;
	if (cairn_unb64(l[1], n[1], sig, sizeof sig, &nn) != 0 || nn != SIG_LEN)
		return CAIRN_EFORMAT;
	if (cairn_unb64(l[3], n[3], global, sizeof global, &nn) != 0 ||
	    nn != sizeof global)
		return CAIRN_EFORMAT;
	/* Prehashed only; legacy "Ed" is refused (see keys.h). */
	if (memcmp(sig, "ED", 2) != 0)
		return CAIRN_EFORMAT;
	if (memcmp(sig + 2, pk->keyid, CAIRN_KEYID_LEN) != 0)
		return CAIRN_EBADSIG;
	rest = l[2] + strlen(TRUSTED_PREFIX);
	tlen = n[2] - strlen(TRUSTED_PREFIX);
	crypto_generichash_final(&m->h, hash, sizeof hash);
	if (crypto_sign_verify_detached(sig + 2 + CAIRN_KEYID_LEN, hash,
	    sizeof hash, pk->pk) != 0)
		return CAIRN_EBADSIG;
	if ((st = malloc(crypto_sign_BYTES + tlen + 1)) == NULL)
		return CAIRN_ENOMEM;
	memcpy(st, sig + 2 + CAIRN_KEYID_LEN, crypto_sign_BYTES);
	memcpy(st + crypto_sign_BYTES, rest, tlen);
	rc = crypto_sign_verify_detached(global, st, crypto_sign_BYTES + tlen,
	    pk->pk) != 0 ? CAIRN_EBADSIG : 0;
	free(st);
	if (rc != 0 || trusted == NULL)
		return rc;
	if (tlen + 1 > trustedlen)
		return CAIRN_ETOOBIG;
	memcpy(trusted, rest, tlen);
	trusted[tlen] = 0;
	return 0;
}

/* The key id a .minisig names (its second line), unverified. */
int
cairn_minisign_keyid(const char *sigtext, size_t siglen,
    uint8_t keyid[CAIRN_KEYID_LEN])
{
	const char *p = sigtext, *end = sigtext + siglen, *l[2];
	uint8_t sig[SIG_LEN];
	size_t n[2], nn;

	if (siglen > SIGTEXT_MAX || memchr(sigtext, '\0', siglen) != NULL ||
	    !next_line(&p, end, &l[0], &n[0]) || !next_line(&p, end, &l[1], &n[1]))
		return CAIRN_EFORMAT;
	if (cairn_unb64(l[1], n[1], sig, sizeof sig, &nn) != 0 ||
	    nn != SIG_LEN || memcmp(sig, "ED", 2) != 0)
		return CAIRN_EFORMAT;
	memcpy(keyid, sig + 2, CAIRN_KEYID_LEN);
	return 0;
}

/* Formats a key id the way minisign prints it in a .pub file's comment. */
void
cairn_keyid_format(const uint8_t keyid[CAIRN_KEYID_LEN],
    char out[2 * CAIRN_KEYID_LEN + 1])
{
	uint64_t id = 0;
	int i;

	/* A little-endian u64, upper-case hex, no leading zeros. */
	for (i = CAIRN_KEYID_LEN - 1; i >= 0; i--)
		id = id << 8 | keyid[i];
	snprintf(out, 2 * CAIRN_KEYID_LEN + 1, "%llX", (unsigned long long)id);
}
