/* util.h: small internal helpers shared by libcairn's modules. */
#ifndef CAIRN_UTIL_H
#define CAIRN_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cairn.h"

/* A growable byte buffer; p is NUL-terminated after every append. */
struct cairn_buf {
	uint8_t	*p;
	size_t	 len;
	size_t	 cap;
};

int	cairn_buf_reserve(struct cairn_buf *, size_t extra);
/* cairn_buf_add when the room must grow first. */
int	cairn_buf_add_grow(struct cairn_buf *, const void *, size_t);
int	cairn_buf_addc(struct cairn_buf *, uint8_t);
int	cairn_buf_addu64(struct cairn_buf *, uint64_t);
int	cairn_buf_printf(struct cairn_buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	cairn_buf_free(struct cairn_buf *);

/* Appends n bytes.  Inline: most appends fit the room there is (an entry
 * is built from some thirty of them), and a literal's strlen is folded. */
static inline int
cairn_buf_add(struct cairn_buf *b, const void *d, size_t n)
{
	if (b->cap > b->len && n < b->cap - b->len) {
		if (n != 0)
			memcpy(b->p + b->len, d, n);
		b->len += n;
		b->p[b->len] = 0;
		return 0;
	}
	return cairn_buf_add_grow(b, d, n);
}

static inline int
cairn_buf_adds(struct cairn_buf *b, const char *s)
{
	return cairn_buf_add(b, s, strlen(s));
}

/* SHA-256 (nettle: uses the CPU's SHA extensions where present). */
void	cairn_sha256(const void *, size_t, uint8_t out[CAIRN_HASH_LEN]);
/* RFC 9162 leaf hash: SHA-256(0x00 || data). */
void	cairn_leaf_hash(const void *, size_t, uint8_t out[CAIRN_HASH_LEN]);
/* RFC 9162 interior node: SHA-256(0x01 || l || r). */
void	cairn_node_hash(const uint8_t l[CAIRN_HASH_LEN],
	    const uint8_t r[CAIRN_HASH_LEN], uint8_t out[CAIRN_HASH_LEN]);

/* Lower-case hex of n bytes into out (2n+1 bytes, NUL-terminated). */
void	cairn_hex(const uint8_t *, size_t n, char *out);
/* Parse exactly 2n lower- or upper-case hex digits; 0 or CAIRN_EINVAL. */
int	cairn_unhex(const char *, size_t hexlen, uint8_t *out, size_t n);

/* Standard base64 with padding (RFC 4648 section 4). */
size_t	cairn_b64_len(size_t n);	/* encoded length, without NUL */
void	cairn_b64(const uint8_t *, size_t n, char *out);	/* NUL-terminated */
/* Decode strict padded base64 into out (cap bytes); *outlen gets the size. */
int	cairn_unb64(const char *, size_t, uint8_t *out, size_t cap,
	    size_t *outlen);

/* Big-endian u64. */
void	cairn_put_be64(uint8_t out[8], uint64_t);
uint64_t cairn_get_be64(const uint8_t in[8]);
void	cairn_put_be32(uint8_t out[4], uint32_t);
uint32_t cairn_get_be32(const uint8_t in[4]);

/* Read a whole file (capped at max bytes) into a malloc'd NUL-terminated buffer. */
int	cairn_read_file(const char *path, size_t max, uint8_t **out, size_t *len);
/* Write a file atomically: tmp + fsync + rename + fsync of the directory. */
int	cairn_write_file_atomic(const char *path, const void *, size_t, int mode);

#endif
