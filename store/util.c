/* util.c: buffers, hashing, hex and base64, files. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <sodium.h>

#include "util.h"

int
cairn_buf_reserve(struct cairn_buf *b, size_t extra)
{
	size_t ncap;
	uint8_t *np;

	if (extra > SIZE_MAX / 2 - b->len - 1)
		return CAIRN_ENOMEM;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + extra + 1)
		ncap *= 2;
	if ((np = realloc(b->p, ncap)) == NULL)
		return CAIRN_ENOMEM;
	b->p = np;
	b->cap = ncap;
	return 0;
}

int
cairn_buf_add_grow(struct cairn_buf *b, const void *d, size_t n)
{
	int rc;

	if ((rc = cairn_buf_reserve(b, n)) != 0)
		return rc;
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += n;
	b->p[b->len] = 0;
	return 0;
}

int
cairn_buf_addc(struct cairn_buf *b, uint8_t c)
{
	int rc;

	if (b->len + 2 > b->cap && (rc = cairn_buf_reserve(b, 1)) != 0)
		return rc;
	b->p[b->len++] = c;
	b->p[b->len] = 0;
	return 0;
}

/* Appends v in decimal (receipts and rows carry several per entry). */
int
cairn_buf_addu64(struct cairn_buf *b, uint64_t v)
{
	char d[20];
	size_t i = sizeof d;

	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	return cairn_buf_add(b, d + i, sizeof d - i);
}

int
cairn_buf_printf(struct cairn_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return CAIRN_EINVAL;
	if ((rc = cairn_buf_reserve(b, (size_t)n)) != 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void
cairn_buf_free(struct cairn_buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

void
cairn_sha256(const void *d, size_t n, uint8_t out[CAIRN_HASH_LEN])
{
	struct sha256_ctx c;

	sha256_init(&c);
	sha256_update(&c, n, d);
	sha256_digest(&c, CAIRN_HASH_LEN, out);
}

void
cairn_leaf_hash(const void *d, size_t n, uint8_t out[CAIRN_HASH_LEN])
{
	struct sha256_ctx c;
	static const uint8_t zero = 0x00;

	sha256_init(&c);
	sha256_update(&c, 1, &zero);
	sha256_update(&c, n, d);
	sha256_digest(&c, CAIRN_HASH_LEN, out);
}

void
cairn_node_hash(const uint8_t l[CAIRN_HASH_LEN], const uint8_t r[CAIRN_HASH_LEN],
    uint8_t out[CAIRN_HASH_LEN])
{
	uint8_t in[1 + 2 * CAIRN_HASH_LEN];

	in[0] = 0x01;
	memcpy(in + 1, l, CAIRN_HASH_LEN);
	memcpy(in + 1 + CAIRN_HASH_LEN, r, CAIRN_HASH_LEN);
	cairn_sha256(in, sizeof in, out);
}

void
cairn_hex(const uint8_t *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = 0;
}

/* Each byte's value as a hex digit, or 0x100 if it is not one. */
static const uint16_t hexval[256] = {
#define X16 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, \
	0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100
	X16, X16, X16,
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0x100, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 10, 11, 12, 13, 14, 15, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, X16,
	0x100, 10, 11, 12, 13, 14, 15, 0x100, 0x100, 0x100, 0x100, 0x100,
	0x100, 0x100, 0x100, 0x100, X16,
	X16, X16, X16, X16, X16, X16, X16, X16
#undef X16
};

int
cairn_unhex(const char *s, size_t hexlen, uint8_t *out, size_t n)
{
	size_t i;
	unsigned hi, lo, bad = 0;

	if (hexlen != 2 * n)
		return CAIRN_EINVAL;
	/* No branch per digit: history checks two links per entry. */
	for (i = 0; i < n; i++) {
		hi = hexval[(unsigned char)s[2 * i]];
		lo = hexval[(unsigned char)s[2 * i + 1]];
		bad |= hi | lo;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return (bad & 0x100) ? CAIRN_EINVAL : 0;
}

size_t
cairn_b64_len(size_t n)
{
	return (n + 2) / 3 * 4;
}

void
cairn_b64(const uint8_t *d, size_t n, char *out)
{
	sodium_bin2base64(out, cairn_b64_len(n) + 1, d, n,
	    sodium_base64_VARIANT_ORIGINAL);
}

int
cairn_unb64(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	const char *end;
	size_t len, i;

	/* Strict: canonical padding, no whitespace, nothing left over.  The
	 * alphabet is checked here: libsodium 1.0.18 decodes bytes >= 0x80. */
	if (n % 4 != 0)
		return CAIRN_EINVAL;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '+' || s[i] == '/' ||
		    s[i] == '='))
			return CAIRN_EINVAL;
	if (sodium_base642bin(out, cap, s, n, NULL, &len, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || end != s + n)
		return CAIRN_EINVAL;
	*outlen = len;
	return 0;
}

void
cairn_put_be64(uint8_t out[8], uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--) {
		out[i] = (uint8_t)v;
		v >>= 8;
	}
}

uint64_t
cairn_get_be64(const uint8_t in[8])
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

void
cairn_put_be32(uint8_t out[4], uint32_t v)
{
	out[0] = (uint8_t)(v >> 24);
	out[1] = (uint8_t)(v >> 16);
	out[2] = (uint8_t)(v >> 8);
	out[3] = (uint8_t)v;
}

uint32_t
cairn_get_be32(const uint8_t in[4])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 |
	    (uint32_t)in[2] << 8 | in[3];
}

int
cairn_read_file(const char *path, size_t max, uint8_t **out, size_t *len)
{
	struct cairn_buf b = { 0 };
	uint8_t tmp[8192];
	ssize_t r;
	int fd, rc = 0;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno;
	for (;;) {
		r = read(fd, tmp, sizeof tmp);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			break;
		}
		if (r == 0)
			break;
		if (b.len + (size_t)r > max) {
			rc = CAIRN_ETOOBIG;
			break;
		}
		if ((rc = cairn_buf_add(&b, tmp, (size_t)r)) != 0)
			break;
	}
	close(fd);
	if (rc == 0 && b.p == NULL)
		rc = cairn_buf_reserve(&b, 0);
	if (rc != 0) {
		cairn_buf_free(&b);
		return rc;
	}
	b.p[b.len] = 0;
	*out = b.p;
	*len = b.len;
	return 0;
}

int
cairn_write_file_atomic(const char *path, const void *d, size_t n, int mode)
{
	char tmp[4096], dir[4096];
	const uint8_t *p = d;
	ssize_t w;
	int fd, dfd, rc = 0;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return ENAMETOOLONG;
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)) < 0)
		return errno;
	while (n > 0) {
		if ((w = write(fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			rc = errno;
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	if (rc == 0 && fsync(fd) != 0)
		rc = errno;
	if (close(fd) != 0 && rc == 0)
		rc = errno;
	if (rc == 0 && rename(tmp, path) != 0)
		rc = errno;
	if (rc != 0) {
		(void)unlink(tmp);
		return rc;
	}
	/* The rename is durable only once the directory itself is synced. */
	snprintf(dir, sizeof dir, "%s", path);
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		if (fsync(dfd) != 0)
			rc = errno;
		close(dfd);
	}
	return rc;
}
