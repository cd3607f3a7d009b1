/* note.c: C2SP signed notes, verifier keys and Cairn's checkpoint bodies. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "note.h"
#include "rfc3339.h"

#define EMDASH		"\xe2\x80\x94"	/* U+2014, opens a signature line */
#define SIGPREFIX	EMDASH " "
#define SIGPREFIX_LEN	4
#define ALG_ED25519	0x01		/* signed-note signature type */
#define NOTE_SIG_LEN	(4 + crypto_sign_BYTES)
#define ROOT_B64_LEN	44		/* base64 of 32 bytes */

const char *const cairn_stream_names[CAIRN_NSTREAMS] = {
	"realname", "takedown", "screening", "account", "labeling", "system",
	"other"
};

/*
 * Decodes one UTF-8 sequence at p (n > 0 bytes left) into *cp; returns its
 * length, or 0 if it is malformed, overlong, a surrogate or above U+10FFFF
 * (RFC 3629 section 4).
 */
static size_t
utf8_next(const uint8_t *p, size_t n, uint32_t *cp)
{
	uint32_t c, min;
	size_t len, i;

	c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		len = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		len = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		len = 4, c &= 0x07, min = 0x10000;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Whether a code point is a Unicode space (Go's unicode.IsSpace). */
static int
is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 ||
	    c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) ||
	    c == 0x2028 || c == 0x2029 || c == 0x202f || c == 0x205f ||
	    c == 0x3000;
}

/* Key name rule of signed-note: non-empty UTF-8, no spaces, no '+'. */
static int
name_valid(const uint8_t *p, size_t n)
{
	uint32_t c;
	size_t k;

	if (n == 0)
		return 0;
	while (n > 0) {
		if ((k = utf8_next(p, n, &c)) == 0)
			return 0;
		/* Controls are never valid in a note, NUL never in a C name. */
		if (c < 0x20 || is_space(c) || c == '+')
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

/* Checks a key name or origin: valid, and at most CAIRN_NAME_MAX bytes. */
int
cairn_note_name_ok(const char *name, size_t len)
{
	if (len > CAIRN_NAME_MAX || !name_valid((const uint8_t *)name, len))
		return CAIRN_EINVAL;
	return 0;
}

/* signed-note "Format": valid UTF-8, no control character but newline. */
static int
note_text_ok(const uint8_t *p, size_t n)
{
	uint32_t c;
	size_t k;

	while (n > 0) {
		if ((k = utf8_next(p, n, &c)) == 0)
			return 0;
		if (c < 0x20 && c != '\n')
			return 0;
		p += k;
		n -= k;
	}
	return 1;
}

/* Computes the signed-note key hash of an Ed25519 key (name at most CAIRN_NAME_MAX bytes). */
void
cairn_note_keyhash(const char *name, const uint8_t pk[32], uint8_t keyhash[4])
{
	uint8_t buf[CAIRN_NAME_MAX + 2 + 32], h[CAIRN_HASH_LEN];
	size_t n = strnlen(name, CAIRN_NAME_MAX);

	/* signed-note "Ed25519 signatures": name || 0x0A || 0x01 || pk. */
	memcpy(buf, name, n);
	buf[n] = '\n';
	buf[n + 1] = ALG_ED25519;
	memcpy(buf + n + 2, pk, 32);
	cairn_sha256(buf, n + 2 + 32, h);
	memcpy(keyhash, h, 4);
}

/* Appends the verifier key string of (name, pk) to out. */
int
cairn_vkey_format(const char *name, const uint8_t pk[32],
    struct cairn_buf *out)
{
	uint8_t kh[4], key[33];
	char hex[9], b64[ROOT_B64_LEN + 1];
	int rc;

	if ((rc = cairn_note_name_ok(name, strlen(name))) != 0)
		return rc;
	cairn_note_keyhash(name, pk, kh);
	cairn_hex(kh, sizeof kh, hex);
	key[0] = ALG_ED25519;
	memcpy(key + 1, pk, 32);
	cairn_b64(key, sizeof key, b64);
	return cairn_buf_printf(out, "%s+%s+%s", name, hex, b64);
}

/* Parses a verifier key string and checks its key hash. */
int
cairn_vkey_parse(const char *s, size_t len, char *name, size_t namecap,
    uint8_t pk[32], uint8_t keyhash[4])
{
	const char *plus;
	uint8_t kh[4], want[4], key[33];
	size_t nlen, klen;
	char nbuf[CAIRN_NAME_MAX + 1];

	/* "<name>+<hash>+<key>": the name holds no '+', the base64 may. */
	if ((plus = memchr(s, '+', len)) == NULL)
		return CAIRN_EFORMAT;
	nlen = (size_t)(plus - s);
	if (cairn_note_name_ok(s, nlen) != 0 || len - nlen < 1 + 8 + 1 ||
	    s[nlen + 9] != '+' || cairn_unhex(s + nlen + 1, 8, kh, 4) != 0)
		return CAIRN_EFORMAT;
	if (cairn_unb64(s + nlen + 10, len - nlen - 10, key, sizeof key,
	    &klen) != 0 || klen != sizeof key || key[0] != ALG_ED25519)
		return CAIRN_EFORMAT;
	memcpy(nbuf, s, nlen);
	nbuf[nlen] = 0;
	cairn_note_keyhash(nbuf, key + 1, want);
	if (memcmp(kh, want, 4) != 0)
		return CAIRN_EFORMAT;
	if (nlen + 1 > namecap)
		return CAIRN_ETOOBIG;
	memcpy(name, nbuf, nlen + 1);
	memcpy(pk, key + 1, 32);
	memcpy(keyhash, kh, 4);
	return 0;
}

/* Length of one signature line by a key named name, with its newline. */
#define SIGLINE_LEN(nlen) \
	(SIGPREFIX_LEN + (nlen) + 1 + (NOTE_SIG_LEN + 2) / 3 * 4 + 1)

/* Appends the signature line of (name, key) over text to out. */
static int
add_sigline(const char *name, const uint8_t ed25519_sk[64],
    const uint8_t *text, size_t len, struct cairn_buf *out)
{
	uint8_t sig[NOTE_SIG_LEN];
	char b64[(NOTE_SIG_LEN + 2) / 3 * 4 + 1];

	if (sodium_init() < 0)
		return CAIRN_ENOMEM;
	/* libsodium's secret key ends with the public key. */
	cairn_note_keyhash(name, ed25519_sk + 32, sig);
	crypto_sign_detached(sig + 4, NULL, text, len, ed25519_sk);
	cairn_b64(sig, sizeof sig, b64);
	return cairn_buf_printf(out, SIGPREFIX "%s %s\n", name, b64);
}

/* Appends body, blank line and our signature line to out. */
int
cairn_note_sign(const char *name, const uint8_t ed25519_sk[64],
    const uint8_t *body, size_t len, struct cairn_buf *out)
{
	size_t nlen = strlen(name);
	int rc;

	if ((rc = cairn_note_name_ok(name, nlen)) != 0)
		return rc;
	if (len == 0 || body[len - 1] != '\n' || !note_text_ok(body, len))
		return CAIRN_EINVAL;
	/* What we sign must fit what we are willing to verify. */
	if (len > CAIRN_NOTE_MAX || CAIRN_NOTE_MAX - len < 1 + SIGLINE_LEN(nlen))
		return CAIRN_ETOOBIG;
	if ((rc = cairn_buf_add(out, body, len)) != 0 ||
	    (rc = cairn_buf_addc(out, '\n')) != 0)
		return rc;
	return add_sigline(name, ed25519_sk, body, len, out);
}

/*
 * Splits a signed note at its last blank line (signed-note "Format"): the
 * text, ending in "\n", is note[0, *textlen); the signature lines start at
 * note + *sigoff.  CAIRN_EFORMAT if there is no such split.
 */
static int
note_split(const uint8_t *note, size_t len, size_t *textlen, size_t *sigoff)
{
	size_t split;

	if (len > CAIRN_NOTE_MAX)
		return CAIRN_ETOOBIG;
	if (!note_text_ok(note, len))
		return CAIRN_EFORMAT;
	for (split = len; split >= 2; split--)
		if (note[split - 2] == '\n' && note[split - 1] == '\n')
			break;
	if (split < 2 || split == len || note[len - 1] != '\n')
		return CAIRN_EFORMAT;
	*textlen = split - 1;
	*sigoff = split;
	return 0;
}

/* Appends the note with one more signature line, by (name, key), to out. */
int
cairn_note_cosign(const char *name, const uint8_t ed25519_sk[64],
    const uint8_t *note, size_t len, struct cairn_buf *out)
{
	uint8_t kh[4], have[CAIRN_NOTE_MAXSIGS][4];
	size_t textlen, sigoff, nlen = strlen(name), n = 0, lines = 0, i;
	int rc;

	if ((rc = cairn_note_name_ok(name, nlen)) != 0)
		return rc;
	if ((rc = note_split(note, len, &textlen, &sigoff)) != 0)
		return rc == CAIRN_ETOOBIG ? rc : CAIRN_EINVAL;
	/* Its lines must be well formed, and room left for one more. */
	if ((rc = cairn_note_keyhashes(note, len, name, have,
	    CAIRN_NOTE_MAXSIGS, &n)) != 0)
		return rc == CAIRN_ETOOBIG ? rc : CAIRN_EINVAL;
	/* A second signature by the same key says nothing new. */
	cairn_note_keyhash(name, ed25519_sk + 32, kh);
	for (i = 0; i < n && i < CAIRN_NOTE_MAXSIGS; i++)
		if (memcmp(have[i], kh, 4) == 0)
			return CAIRN_EINVAL;
	for (i = sigoff; i < len; i++)
		lines += note[i] == '\n';
	if (lines >= CAIRN_NOTE_MAXSIGS ||
	    CAIRN_NOTE_MAX - len < SIGLINE_LEN(nlen))
		return CAIRN_ETOOBIG;
	if ((rc = cairn_buf_add(out, note, len)) != 0)
		return rc;
	return add_sigline(name, ed25519_sk, note, textlen, out);
}

/*
 * Checks one signature line (without its newline) and, when it names our
 * key, its signature over text: 1 ours and good, 0 someone else's,
 * or an error.  dec has room for the decoded signature.
 */
static int
note_sigline(const uint8_t *l, size_t n, const uint8_t *text, size_t textlen,
    const char *name, size_t namelen, const uint8_t kh[4],
    const uint8_t pk[32], uint8_t *dec, size_t deccap)
{
	const uint8_t *sp;
	size_t nlen, declen;

	if (n < SIGPREFIX_LEN || memcmp(l, SIGPREFIX, SIGPREFIX_LEN) != 0)
		return CAIRN_EFORMAT;
	l += SIGPREFIX_LEN;
	n -= SIGPREFIX_LEN;
	if ((sp = memchr(l, ' ', n)) == NULL)
		return CAIRN_EFORMAT;
	nlen = (size_t)(sp - l);
	if (!name_valid(l, nlen) || n - nlen - 1 == 0 ||
	    cairn_unb64((const char *)sp + 1, n - nlen - 1, dec, deccap,
	    &declen) != 0 || declen < 5)
		return CAIRN_EFORMAT;
	/* Another key, even one sharing our name or key hash: ignore it. */
	if (nlen != namelen || memcmp(l, name, nlen) != 0 ||
	    memcmp(dec, kh, 4) != 0)
		return 0;
	if (declen != NOTE_SIG_LEN ||
	    crypto_sign_verify_detached(dec + 4, text, textlen, pk) != 0)
		return CAIRN_EBADSIG;
	return 1;
}

/* Verifies a signed note against one trusted key and returns its text. */
int
cairn_note_verify(const uint8_t *note, size_t len, const char *name,
    const uint8_t pk[32], const uint8_t **body, size_t *bodylen)
{
	const uint8_t *sigs, *end, *nl;
	uint8_t kh[4], *dec;
	size_t split, textlen, namelen = strlen(name);
	int rc = 0, nsig = 0, found = 0;

	if (cairn_note_name_ok(name, namelen) != 0)
		return CAIRN_EINVAL;
	/* The text ends at the last blank line (signed-note "Format"). */
	if ((rc = note_split(note, len, &textlen, &split)) != 0)
		return rc;
	sigs = note + split;
	end = note + len;
	if ((dec = malloc(len)) == NULL)
		return CAIRN_ENOMEM;
	cairn_note_keyhash(name, pk, kh);
	while (sigs < end) {
		/* The block ends in '\n', so every line has one. */
		nl = memchr(sigs, '\n', (size_t)(end - sigs));
		if (++nsig > CAIRN_NOTE_MAXSIGS) {
			rc = CAIRN_ETOOBIG;
			break;
		}
		rc = note_sigline(sigs, (size_t)(nl - sigs), note, textlen,
		    name, namelen, kh, pk, dec, len);
		if (rc < 0)
			break;
		found |= rc;
		rc = 0;
		sigs = nl + 1;
	}
	free(dec);
	if (rc != 0)
		return rc;
	if (!found)
		return CAIRN_ENOTFOUND;
	*body = note;
	*bodylen = textlen;
	return 0;
}

/* Lists the key hashes of a signed note's signature lines by name. */
int
cairn_note_keyhashes(const uint8_t *note, size_t len, const char *name,
    uint8_t keyhash[][4], size_t cap, size_t *n)
{
	const uint8_t *sigs, *end, *nl, *sp, *l;
	uint8_t *dec;
	size_t textlen, split, namelen = strlen(name), ln, nlen, declen;
	int rc = 0, nsig = 0;

	*n = 0;
	if (cairn_note_name_ok(name, namelen) != 0)
		return CAIRN_EINVAL;
	if ((rc = note_split(note, len, &textlen, &split)) != 0)
		return rc;
	sigs = note + split;
	end = note + len;
	if ((dec = malloc(len)) == NULL)
		return CAIRN_ENOMEM;
	for (; sigs < end; sigs = nl + 1) {
		nl = memchr(sigs, '\n', (size_t)(end - sigs));
		l = sigs;
		ln = (size_t)(nl - sigs);
		/* The same line syntax as note_sigline() checks. */
		if (ln < SIGPREFIX_LEN || memcmp(l, SIGPREFIX, SIGPREFIX_LEN) != 0 ||
		    (sp = memchr(l + SIGPREFIX_LEN, ' ', ln - SIGPREFIX_LEN)) ==
		    NULL) {
			rc = CAIRN_EFORMAT;
			break;
		}
		nlen = (size_t)(sp - l) - SIGPREFIX_LEN;
		if (!name_valid(l + SIGPREFIX_LEN, nlen) ||
		    (size_t)(nl - sp) <= 1 || cairn_unb64((const char *)sp + 1,
		    (size_t)(nl - sp) - 1, dec, len, &declen) != 0 || declen < 5) {
			rc = CAIRN_EFORMAT;
			break;
		}
		if (++nsig > CAIRN_NOTE_MAXSIGS) {
			rc = CAIRN_ETOOBIG;
			break;
		}
		if (nlen != namelen || memcmp(l + SIGPREFIX_LEN, name, nlen) != 0)
			continue;
		if (*n < cap)
			memcpy(keyhash[*n], dec, 4);
		(*n)++;
	}
	free(dec);
	return rc;
}

/* The instants a four-digit year can show: 0000-01-01 .. 9999-12-31. */
#define TIME_MIN_US	INT64_C(-62167219200000000)
#define TIME_MAX_US	INT64_C(253402300799999999)

/* Formats microseconds since the epoch as canonical RFC 3339 UTC. */
void
cairn_time_format_us(int64_t us, char *out)
{
	if (us < TIME_MIN_US)
		us = TIME_MIN_US;
	if (us > TIME_MAX_US)
		us = TIME_MAX_US;
	cairn_rfc3339_format(us, out);
}

/* Parses a canonical RFC 3339 UTC time, as cairn_time_format_us() writes it. */
int
cairn_time_parse_us(const char *s, size_t len, int64_t *us)
{
	char back[CAIRN_TIME_LEN + 1];
	int64_t v;

	/*
	 * RFC 3339 parsing is shared; what we add is canonical form: only
	 * the exact text we would print (upper-case T and Z, six fraction
	 * digits, no offset) is accepted, so one time has one encoding.
	 */
	if (len != CAIRN_TIME_LEN || cairn_rfc3339_parse(s, len, &v, NULL) != 0)
		return CAIRN_EFORMAT;
	cairn_time_format_us(v, back);
	if (memcmp(back, s, CAIRN_TIME_LEN) != 0)
		return CAIRN_EFORMAT;
	*us = v;
	return 0;
}

/* Canonical decimal u64: digits only, no leading zero but "0" itself. */
static int
parse_u64(const uint8_t *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return CAIRN_EFORMAT;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return CAIRN_EFORMAT;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return CAIRN_EFORMAT;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Decodes exactly the 44-character base64 of a hash. */
static int
parse_hash(const uint8_t *s, size_t n, uint8_t out[CAIRN_HASH_LEN])
{
	size_t len;

	if (n != ROOT_B64_LEN || cairn_unb64((const char *)s, n, out,
	    CAIRN_HASH_LEN, &len) != 0 || len != CAIRN_HASH_LEN)
		return CAIRN_EFORMAT;
	return 0;
}

/* Appends the note text of a checkpoint to out. */
int
cairn_checkpoint_body(const struct cairn_checkpoint *c, struct cairn_buf *out)
{
	char t[CAIRN_TIME_LEN + 1], b64[ROOT_B64_LEN + 1];
	int64_t back;
	int i, rc;

	if (cairn_note_name_ok(c->origin, strnlen(c->origin,
	    sizeof c->origin)) != 0)
		return CAIRN_EINVAL;
	cairn_time_format_us(c->time_us, t);
	if (cairn_time_parse_us(t, CAIRN_TIME_LEN, &back) != 0 ||
	    back != c->time_us)
		return CAIRN_EINVAL;
	for (i = 0; i < CAIRN_NSTREAMS; i++)
		if (c->count[i] == 0 &&
		    !sodium_is_zero(c->head[i], CAIRN_HASH_LEN))
			return CAIRN_EINVAL;
	/* c2sp.org/tlog-checkpoint "Note text": origin, size, root. */
	cairn_b64(c->root, CAIRN_HASH_LEN, b64);
	if ((rc = cairn_buf_printf(out, "%s\n%" PRIu64 "\n%s\ntime %s\n",
	    c->origin, c->size, b64, t)) != 0)
		return rc;
	/* Extension lines: one per stream, always all of them, in order. */
	for (i = 0; i < CAIRN_NSTREAMS; i++) {
		cairn_b64(c->head[i], CAIRN_HASH_LEN, b64);
		if ((rc = cairn_buf_printf(out, "stream %s %" PRIu64 " %s\n",
		    cairn_stream_names[i], c->count[i], b64)) != 0)
			return rc;
	}
	return 0;
}

/* Takes the next '\n'-terminated line; 0 if none is left. */
static int
body_line(const uint8_t **p, const uint8_t *end, const uint8_t **l, size_t *n)
{
	const uint8_t *nl;

	if (*p >= end || (nl = memchr(*p, '\n', (size_t)(end - *p))) == NULL)
		return 0;
	*l = *p;
	*n = (size_t)(nl - *p);
	*p = nl + 1;
	return 1;
}

/* Parses a checkpoint body strictly. */
int
cairn_checkpoint_parse(const uint8_t *body, size_t len,
    struct cairn_checkpoint *out)
{
	struct cairn_checkpoint c;
	const uint8_t *p = body, *end = body + len, *l, *sp;
	size_t n, k;
	int i;

	memset(&c, 0, sizeof c);
	if (len > CAIRN_NOTE_MAX)
		return CAIRN_EFORMAT;
	if (!body_line(&p, end, &l, &n) ||
	    cairn_note_name_ok((const char *)l, n) != 0)
		return CAIRN_EFORMAT;
	memcpy(c.origin, l, n);
	if (!body_line(&p, end, &l, &n) || parse_u64(l, n, &c.size) != 0)
		return CAIRN_EFORMAT;
	if (!body_line(&p, end, &l, &n) || parse_hash(l, n, c.root) != 0)
		return CAIRN_EFORMAT;
	if (!body_line(&p, end, &l, &n) || n < 5 || memcmp(l, "time ", 5) != 0 ||
	    cairn_time_parse_us((const char *)l + 5, n - 5, &c.time_us) != 0)
		return CAIRN_EFORMAT;
	for (i = 0; i < CAIRN_NSTREAMS; i++) {
		if (!body_line(&p, end, &l, &n))
			return CAIRN_EFORMAT;
		k = strlen(cairn_stream_names[i]);
		if (n < 7 + k + 1 || memcmp(l, "stream ", 7) != 0 ||
		    memcmp(l + 7, cairn_stream_names[i], k) != 0 ||
		    l[7 + k] != ' ')
			return CAIRN_EFORMAT;
		l += 7 + k + 1;
		n -= 7 + k + 1;
		if ((sp = memchr(l, ' ', n)) == NULL ||
		    parse_u64(l, (size_t)(sp - l), &c.count[i]) != 0 ||
		    parse_hash(sp + 1, n - (size_t)(sp - l) - 1, c.head[i]) != 0)
			return CAIRN_EFORMAT;
		if (c.count[i] == 0 && !sodium_is_zero(c.head[i], CAIRN_HASH_LEN))
			return CAIRN_EFORMAT;
	}
	if (p != end)
		return CAIRN_EFORMAT;
	*out = c;
	return 0;
}
