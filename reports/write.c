/*
 * write.c: the export writer.  One pipeline: LMDB read transactions ->
 * XML text (made here: a few element kinds, escaped where needed; libxml2's
 * xmlTextWriter cost three times as much) -> zstd streaming compression
 * (content checksum on) -> file, with BLAKE2b-512 (for minisign's prehashed signature) and SHA-256
 * (for the system.report_generated entry) of the compressed bytes computed
 * as they go out.  Two threads: this one makes the XML into buffers, a
 * second compresses, hashes and writes them (struct zout).  Memory stays
 * flat: one entry at a time, a few XML buffers between the threads.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nettle/sha2.h>
#include <sodium.h>
#include <zstd.h>

#include "catalog.h"
#include "cjson.h"
#include "export.h"
#include "jarena.h"
#include "keys.h"
#include "note.h"
#include "util.h"
#include "xcommon.h"

/*
 * zstd level 1: on export XML it compresses as well as level 3 (ratio 7.05
 * against 6.89 on a 198 MB takedown export, `zstd -b1 -e3 -T1`; 374.3
 * against 375.3 MB for 980,000 entries) at nearly three times the speed
 * (1,100 against 388 MB/s) and decompresses twice as fast: the CPU it
 * frees goes to the reading thread, and to cairnd's other work.
 */
#define ZLEVEL	1

#define ZO_NBUF	3	/* full XML buffers waiting for the compressor */

/*
 * The compressed output.  While the worker thread runs it alone touches
 * cc, obuf, ms, sha, file_bytes and err (the main thread reads them after
 * joining it); the ring, head, count, t.closing and failed are shared under
 * mu.  The worker owns ring[head] while it compresses it, the main thread
 * fills the slot after the last full one: the bytes reach zstd in the
 * order and chunks they were made, so the file is the one a single thread
 * writes.
 */
struct zout {
	int		 fd;
	ZSTD_CCtx	*cc;
	uint8_t		*obuf;
	size_t		 ocap;
	struct cairn_minisign ms;
	struct sha256_ctx sha;
	uint64_t	 xml_bytes, file_bytes;
	int		 err;		/* errno of a failed write */
	struct xthread	 t;		/* more: a buffer waits, or closing */
	struct cairn_buf ring[ZO_NBUF];
	int		 head, count;	/* t.closing: no more buffers come */
	int		 failed;	/* the worker failed: z->err says why */
	int		 running;
};

/*
 * Reading the store maps its file's pages, and each fault maps up to 16
 * cached neighbours with it (fault-around): at 1,000,000 entries, 4,096
 * entries brought tens of MiB of the map into RSS, and more as the export
 * went on (the leaves lie further apart).  So the writer looks at its
 * shared resident size every MAP_LOOK entries' worth of reads and lets the
 * map go past MAP_BUDGET.  Letting go refaults the pages still wanted: a
 * budget of 32 MiB faulted as often as letting go every 4,096 entries.
 */
#define MAP_LOOK	256
#define MAP_BUDGET	(32L << 20)

#define XO_FLUSH	(256 * 1024)
#define XO_DEPTH	32

struct xw {
	cairn_store	*s;
	const struct cairn_export_opts *o;
	struct cairn_export_result *res;
	/* the XML being made: a buffer flushed into zstd, the open elements */
	struct cairn_buf ob;
	const char	*stack[XO_DEPTH];
	size_t		 stacklen[XO_DEPTH];
	int		 depth;
	int		 open;		/* the last start tag still lacks '>' */
	int		 oerr;
	char		 b64pair[4096][2];	/* base64 of each 12 bits */
	struct zout	 z;
	struct fx	 fx;
	struct summary	 sum;
	struct cairn_jview jv;		/* the entry at hand, token 0 */
	int		 ev;		/* its event's token */
	struct cairn_checkpoint start, end, hand;
	struct cairn_buf startnote, endnote, handnote, ebuf, tmp;
	uint64_t	*ctx;		/* context seqs */
	int		*ctxrule;	/* the rule that needed each */
	size_t		 nctx, capctx;
	uint64_t	 last_seq;
	int		 have_last;
	uint64_t	 nentries;
	/* the store's map pages in RSS: see map_check */
	int		 statm;		/* /proc/self/statm, or -1 */
	unsigned	 mapwork;	/* reads since the last look */
	long		 shared0;	/* shared pages after the last release */
	long		 pagesize;
};

static int
fail(struct xw *x, int rc, const char *f, ...) __attribute__((format(printf, 3, 4)));

static int
fail(struct xw *x, int rc, const char *f, ...)
{
	va_list ap;

	if (x->res->err[0] == '\0') {
		va_start(ap, f);
		vsnprintf(x->res->err, sizeof x->res->err, f, ap);
		va_end(ap);
	}
	return rc;
}

static int
zflush(struct zout *z, const uint8_t *p, size_t n)
{
	ssize_t w;

	cairn_minisign_update(&z->ms, p, n);
	sha256_update(&z->sha, n, p);
	z->file_bytes += n;
	while (n > 0) {
		if ((w = write(z->fd, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			z->err = errno;
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
zpush(struct zout *z, const void *src, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { src, len, 0 };
	ZSTD_outBuffer out;
	size_t left;

	do {
		out.dst = z->obuf;
		out.size = z->ocap;
		out.pos = 0;
		left = ZSTD_compressStream2(z->cc, &out, &in, mode);
		if (ZSTD_isError(left)) {
			z->err = EIO;
			return -1;
		}
		if (out.pos > 0 && zflush(z, z->obuf, out.pos) != 0)
			return -1;
	} while (mode == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return 0;
}

/* The worker thread: compresses and writes each buffer handed over, in
 * order, until the main thread closes; after a failure it only empties
 * the ring, so that the main thread never waits for room forever. */
static void *
zworker(void *arg)
{
	struct zout *z = arg;
	struct cairn_buf *b;
	int failed = 0;

	pthread_mutex_lock(&z->t.mu);
	for (;;) {
		while (z->count == 0 && !z->t.closing)
			pthread_cond_wait(&z->t.more, &z->t.mu);
		if (z->count == 0)
			break;
		b = &z->ring[z->head];
		pthread_mutex_unlock(&z->t.mu);
		if (!failed &&
		    zpush(z, b->p, b->len, ZSTD_e_continue) != 0)
			failed = 1;
		pthread_mutex_lock(&z->t.mu);
		b->len = 0;
		z->head = (z->head + 1) % ZO_NBUF;
		z->count--;
		z->failed = failed;
		pthread_cond_signal(&z->t.room);
	}
	pthread_mutex_unlock(&z->t.mu);
	return NULL;
}

/* Starts the worker thread; an errno value on failure. */
static int
zstart(struct zout *z)
{
	int rc;

	if ((rc = xthread_start(&z->t, zworker, z)) != 0)
		return rc;
	z->running = 1;
	return 0;
}

/* Hands a full XML buffer to the worker, taking an empty one back in its
 * place (no copy); waits while the ring is full.  -1 once the worker has
 * failed. */
static int
zsend(struct zout *z, struct cairn_buf *ob)
{
	struct cairn_buf t;
	int slot;

	pthread_mutex_lock(&z->t.mu);
	while (z->count == ZO_NBUF && !z->failed)
		pthread_cond_wait(&z->t.room, &z->t.mu);
	if (z->failed) {
		pthread_mutex_unlock(&z->t.mu);
		return -1;
	}
	slot = (z->head + z->count) % ZO_NBUF;
	t = z->ring[slot];
	z->ring[slot] = *ob;
	*ob = t;
	z->count++;
	pthread_cond_signal(&z->t.more);
	pthread_mutex_unlock(&z->t.mu);
	return 0;
}

/* Lets the worker finish what it holds and joins it: afterwards the main
 * thread owns the whole of z again.  -1 if the worker failed. */
static int
zclose(struct zout *z)
{
	int i;

	if (!z->running)
		return 0;
	xthread_stop(&z->t, &z->t.more);
	z->running = 0;
	for (i = 0; i < ZO_NBUF; i++)
		cairn_buf_free(&z->ring[i]);
	return z->failed ? -1 : 0;
}

/*
 * The XML emitter.  Every function returns 0, or -1 when memory or the
 * output failed (then the export fails).  It appends to x->ob by hand
 * rather than through cairn_buf_add: an entry is some forty small pieces,
 * and a call, checks and a NUL per piece took a fifth of the thread.
 */
static int
xo_flush(struct xw *x, int force)
{
	if (x->ob.len == 0 || (!force && x->ob.len < XO_FLUSH))
		return 0;
	x->z.xml_bytes += x->ob.len;
	return zsend(&x->z, &x->ob);
}

/* Makes room for n more bytes in the XML buffer (inline: the emitter's
 * every piece goes through it). */
static inline int
xo_room(struct xw *x, size_t n)
{
	if (x->ob.cap - x->ob.len > n)
		return 0;
	if (cairn_buf_reserve(&x->ob, n) != 0) {
		x->oerr = 1;
		return -1;
	}
	return 0;
}

/* Appends n bytes as they are. */
static inline int
xo_raw(struct xw *x, const char *s, size_t n)
{
	if (xo_room(x, n) != 0)
		return -1;
	memcpy(x->ob.p + x->ob.len, s, n);
	x->ob.len += n;
	return 0;
}

#define XO_LIT(x, s)	xo_raw((x), (s), sizeof(s) - 1)

/* Bytes that need a reference: XE_TEXT everywhere, XE_ATTR in attribute
 * values only; xe_refs[] holds the reference of each. */
#define XE_TEXT	1
#define XE_ATTR	2

static const uint8_t xe_class[256] = {
	['&'] = XE_TEXT, ['<'] = XE_TEXT, ['>'] = XE_TEXT, ['\r'] = XE_TEXT,
	['"'] = XE_ATTR, ['\t'] = XE_ATTR, ['\n'] = XE_ATTR
};

static const char *const xe_refs[256] = {
	['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;", ['\r'] = "&#13;",
	['"'] = "&quot;", ['\t'] = "&#9;", ['\n'] = "&#10;"
};

/* Escaped text: &, <, > always, CR as a reference (XML would turn it into
 * LF); in attributes also the quote, tab and LF (attribute values are
 * normalised otherwise).  Most values need none: one copy then. */
static int
xo_esc(struct xw *x, const char *s, size_t n, int attr)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned mask = attr ? XE_TEXT | XE_ATTR : XE_TEXT;
	size_t i, from = 0;
	const char *rep;

	for (i = 0; i < n; i++) {
		if ((xe_class[u[i]] & mask) == 0)
			continue;
		rep = xe_refs[u[i]];
		if (xo_raw(x, s + from, i - from) != 0 ||
		    xo_raw(x, rep, strlen(rep)) != 0)
			return -1;
		from = i + 1;
	}
	return xo_raw(x, s + from, n - from);
}

/* Ends a pending start tag before content. */
static int
xo_content(struct xw *x, int child)
{
	if (!x->open)
		return 0;
	x->open = 0;
	return child ? XO_LIT(x, ">\n") : XO_LIT(x, ">");
}

/* A start tag left open for attributes; nlen is strlen(name). */
static int
xo_startn(struct xw *x, const char *name, size_t nlen)
{
	char *o;

	if (x->depth == XO_DEPTH || xo_content(x, 1) != 0 ||
	    xo_room(x, nlen + 1) != 0)
		return -1;
	x->stack[x->depth] = name;
	x->stacklen[x->depth++] = nlen;
	x->open = 1;
	o = (char *)x->ob.p + x->ob.len;
	*o = '<';
	memcpy(o + 1, name, nlen);
	x->ob.len += nlen + 1;
	return 0;
}

/* A start tag left open for attributes. */
static int
xo_start(struct xw *x, const char *name)
{
	return xo_startn(x, name, strlen(name));
}

/* ` name="` of an attribute, the value to follow; nlen is strlen(name). */
static int
xo_attrname(struct xw *x, const char *name, size_t nlen)
{
	char *o;

	if (!x->open || xo_room(x, nlen + 3) != 0)
		return -1;
	o = (char *)x->ob.p + x->ob.len;
	o[0] = ' ';
	memcpy(o + 1, name, nlen);
	o[nlen + 1] = '=';
	o[nlen + 2] = '"';
	x->ob.len += nlen + 3;
	return 0;
}

static int
xo_attrn(struct xw *x, const char *name, const char *v, size_t n)
{
	if (xo_attrname(x, name, strlen(name)) != 0 ||
	    xo_esc(x, v, n, 1) != 0 || XO_LIT(x, "\"") != 0)
		return -1;
	return 0;
}

static int
xo_attr(struct xw *x, const char *name, const char *v)
{
	return xo_attrn(x, name, v, strlen(v));
}

static int
xo_textn(struct xw *x, const char *s, size_t n)
{
	if (xo_content(x, 0) != 0)
		return -1;
	return xo_esc(x, s, n, 0);
}

/* Closes the innermost element ("/>" if it has no content yet). */
static int
xo_end(struct xw *x)
{
	size_t nlen;
	char *o;
	int rc;

	if (x->depth == 0)
		return -1;
	nlen = x->stacklen[--x->depth];
	if (x->open) {
		x->open = 0;
		rc = XO_LIT(x, "/>\n");
	} else if ((rc = xo_room(x, nlen + 4)) == 0) {
		o = (char *)x->ob.p + x->ob.len;
		o[0] = '<';
		o[1] = '/';
		memcpy(o + 2, x->stack[x->depth], nlen);
		o[nlen + 2] = '>';
		o[nlen + 3] = '\n';
		x->ob.len += nlen + 4;
	}
	if (rc == 0 && x->depth <= 2)
		rc = xo_flush(x, 0);
	return rc ? -1 : 0;
}

static int
xo_elem(struct xw *x, const char *name, const char *text)
{
	if (xo_start(x, name) != 0 || xo_textn(x, text, strlen(text)) != 0)
		return -1;
	return xo_end(x);
}

static const char b64abc[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Fills the table of base64 digit pairs, one per 12 bits of input. */
static void
b64pairs_init(char pairs[4096][2])
{
	int i;

	for (i = 0; i < 4096; i++) {
		pairs[i][0] = b64abc[i >> 6];
		pairs[i][1] = b64abc[i & 63];
	}
}

/* Base64 straight into the output (standard alphabet, padded); two
 * digits per lookup, the entry's bytes being most of the XML. */
static int
xo_b64(struct xw *x, const uint8_t *p, size_t n)
{
	size_t i, need = (n + 2) / 3 * 4;
	char *o;

	if (xo_content(x, 0) != 0 || xo_room(x, need) != 0)
		return -1;
	o = (char *)x->ob.p + x->ob.len;
	for (i = 0; i + 3 <= n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		memcpy(o, x->b64pair[v >> 12], 2);
		memcpy(o + 2, x->b64pair[v & 4095], 2);
		o += 4;
	}
	if (i < n) {
		uint32_t v = (uint32_t)p[i] << 16 |
		    (i + 1 < n ? (uint32_t)p[i + 1] << 8 : 0);

		*o++ = b64abc[v >> 18];
		*o++ = b64abc[(v >> 12) & 63];
		*o++ = i + 1 < n ? b64abc[(v >> 6) & 63] : '=';
		*o++ = '=';
	}
	x->ob.len += need;
	return 0;
}

/* Writer helpers: each returns 0 or -1 (out of memory, or output failed). */
#define X(call)	do { if ((call) < 0) return -1; } while (0)

static int
xattr(struct xw *x, const char *name, const char *v)
{
	return xo_attr(x, name, v);
}

/* A number attribute; digits need no escaping. */
static int
xattru(struct xw *x, const char *name, uint64_t v)
{
	char b[24], *p = b + sizeof b;

	*--p = '"';
	do
		*--p = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	if (xo_attrname(x, name, strlen(name)) != 0)
		return -1;
	return xo_raw(x, p, (size_t)(b + sizeof b - p));
}

static int
xhex(struct xw *x, const char *elem, const uint8_t h[CAIRN_HASH_LEN])
{
	char hex[CAIRN_HEX_LEN + 1];

	cairn_hex(h, CAIRN_HASH_LEN, hex);
	return xo_elem(x, elem, hex);
}

/* A hash attribute, the hex made in place. */
static int
xhexattr(struct xw *x, const char *name, const uint8_t h[CAIRN_HASH_LEN])
{
	if (xo_attrname(x, name, strlen(name)) != 0 ||
	    xo_room(x, CAIRN_HEX_LEN + 2) != 0)
		return -1;
	/* cairn_hex writes CAIRN_HEX_LEN digits and a NUL the quote covers. */
	cairn_hex(h, CAIRN_HASH_LEN, (char *)x->ob.p + x->ob.len);
	x->ob.p[x->ob.len + CAIRN_HEX_LEN] = '"';
	x->ob.len += CAIRN_HEX_LEN + 1;
	return 0;
}

/* rsink onto the XML writer. */
static int
xs_start(void *a, const char *name, const char *key)
{
	struct xw *x = a;

	X(xo_start(x, name));
	if (key != NULL)
		X(xattr(x, "key", key));
	return 0;
}

static int
xs_end(void *a)
{
	struct xw *x = a;

	return xo_end(x) < 0 ? -1 : 0;
}

/* A field: what xo_start, the attributes, the text and xo_end make, in
 * one go (most of an entry's elements are these). */
static int
xs_leaf(void *a, const char *name, const char *key, const char *v, size_t n,
    int b64)
{
	struct xw *x = a;
	size_t nlen = strlen(name);
	char *o;

	if (x->depth == XO_DEPTH || xo_content(x, 1) != 0 ||
	    xo_room(x, nlen + 1) != 0)
		return -1;
	o = (char *)x->ob.p + x->ob.len;
	*o = '<';
	memcpy(o + 1, name, nlen);
	x->ob.len += nlen + 1;
	if (key != NULL && (XO_LIT(x, " key=\"") != 0 ||
	    xo_esc(x, key, strlen(key), 1) != 0 || XO_LIT(x, "\"") != 0))
		return -1;
	if (b64 && XO_LIT(x, " encoding=\"base64\"") != 0)
		return -1;
	if (n == 0)
		return XO_LIT(x, "/>\n");
	/* The value is UTF-8 that XML carries (xml_text_ok), or base64. */
	if (XO_LIT(x, ">") != 0 || xo_esc(x, v, n, 0) != 0 ||
	    xo_room(x, nlen + 4) != 0)
		return -1;
	o = (char *)x->ob.p + x->ob.len;
	o[0] = '<';
	o[1] = '/';
	memcpy(o + 2, name, nlen);
	o[nlen + 2] = '>';
	o[nlen + 3] = '\n';
	x->ob.len += nlen + 4;
	return 0;
}

static int
xproof(struct xw *x, const char *elem, uint64_t seq, uint64_t size, int seqattr)
{
	uint8_t proof[XMAX_PROOF][CAIRN_HASH_LEN];
	size_t n, i;
	int rc;

	if ((rc = cairn_store_inclusion(x->s, seq, size, proof, &n)) != 0)
		return fail(x, rc, "inclusion proof of seq %" PRIu64 ": %s", seq,
		    cairn_strerror(rc));
	X(xo_start(x, elem));
	if (seqattr)
		X(xattru(x, "seq", seq));
	X(xattru(x, "size", size));
	for (i = 0; i < n; i++)
		X(xhex(x, "hash", proof[i]));
	return xo_end(x) < 0 ? -1 : 0;
}

/* A consistency proof from tree size old to the end tree. */
static int
xconsistency(struct xw *x, const char *elem, uint64_t old)
{
	uint8_t proof[XMAX_PROOF][CAIRN_HASH_LEN];
	size_t n, i;
	int rc;

	if ((rc = cairn_store_consistency(x->s, old, x->end.size, proof,
	    &n)) != 0)
		return fail(x, rc, "consistency proof: %s", cairn_strerror(rc));
	X(xo_start(x, elem));
	X(xattru(x, "old", old));
	X(xattru(x, "new", x->end.size));
	for (i = 0; i < n; i++)
		X(xhex(x, "hash", proof[i]));
	return xo_end(x) < 0 ? -1 : 0;
}

static int
xlink(struct xw *x, const char *member, const char *elem)
{
	const char *v = xstr(&x->jv, 0, member);

	if (v == NULL)
		return 0;
	return xo_elem(x, elem, v);
}

/*
 * One entry element.  role: ROLE_IN / ROLE_MARGIN for exported entries,
 * ROLE_CONTEXT for context (with why and an inclusion proof).
 */
static int
write_entry(struct xw *x, const struct cairn_entry *e, const char *margin,
    const char *why, int proof)
{
	struct rsink sink = { xs_start, xs_end, xs_leaf, x };
	int rc;

	X(xo_start(x, "entry"));
	X(xattru(x, "seq", e->seq));
	X(xhexattr(x, "leaf", e->leaf));
	X(xattr(x, "received", xstr(&x->jv, 0, "received")));
	X(xattr(x, "stream", xstr(&x->jv, 0, "stream")));
	X(xattr(x, "source", xstr(&x->jv, 0, "source")));
	if (margin != NULL)
		X(xattr(x, "margin", margin));
	if (why != NULL)
		X(xattr(x, "why", why));
	X(xo_start(x, "bytes"));
	X(xo_b64(x, e->data, e->len));
	X(xo_end(x));
	X(xlink(x, "prev", "prev"));
	X(xlink(x, "stream_prev", "stream-prev"));
	X(xlink(x, "account_prev", "account-prev"));
	if ((rc = readable_walk(&x->jv, x->ev, &sink)) != 0)
		return rc < 0 && rc > -100 ? -1 : rc;
	if (proof && (rc = xproof(x, "inclusion", e->seq, x->end.size, 0)) != 0)
		return rc;
	return xo_end(x) < 0 ? -1 : 0;
}

/* The process's resident shared pages (file-backed: the map, libraries),
 * or -1. */
static long
map_resident(struct xw *x)
{
	char b[128];
	ssize_t n;
	long size, res, shared;

	if (x->statm < 0 || (n = pread(x->statm, b, sizeof b - 1, 0)) <= 0)
		return -1;
	b[n] = '\0';
	if (sscanf(b, "%ld %ld %ld", &size, &res, &shared) != 3)
		return -1;
	return shared;
}

/* Notes reads worth `work' entries; lets the store's mapped pages go once
 * more than MAP_BUDGET of them stay resident. */
static void
map_check(struct xw *x, unsigned work)
{
	long shared;

	if ((x->mapwork += work) < MAP_LOOK)
		return;
	x->mapwork = 0;
	if ((shared = map_resident(x)) < 0) {
		/* No /proc: let go every 16 looks. */
		if (++x->shared0 % 16 == 0)
			(void)cairn_store_release_pages(x->s);
		return;
	}
	/* Another thread (cairnd) may have let the map go meanwhile. */
	if (shared < x->shared0)
		x->shared0 = shared;
	if ((shared - x->shared0) * x->pagesize < MAP_BUDGET)
		return;
	(void)cairn_store_release_pages(x->s);
	x->shared0 = map_resident(x);
}

/* Parses an entry's bytes into x->jv (the one entry at hand). */
static int
decode_entry(struct xw *x, const struct cairn_entry *e)
{
	if (!e->intact)
		return fail(x, CAIRN_ECORRUPT, "entry %" PRIu64 " fails its "
		    "hash: the store is damaged (run cairn verify)", e->seq);
	/* The bytes just matched their stored hash: the store wrote them in
	 * canonical form, which is all the view reads. */
	if (cairn_jview_parse(&x->jv, e->data, e->len) != 0 ||
	    cairn_jview_type(&x->jv, x->ev = cairn_jview_get(&x->jv, 0,
	    "event")) != CAIRN_JV_OBJECT || xstr(&x->jv, 0, "received") == NULL)
		return fail(x, CAIRN_ECORRUPT, "entry %" PRIu64 " is not a "
		    "well-formed entry", e->seq);
	return 0;
}

/* Reads stored entry seq (re-hashed) and decodes it into x->jv. */
static int
load_entry(struct xw *x, uint64_t seq, struct cairn_entry *e)
{
	int rc;

	/* Findings look back through accounts' entries, all over the map:
	 * each load faults in a path of pages of its own. */
	map_check(x, 64);
	if ((rc = cairn_store_get(x->s, seq, &x->ebuf, e)) != 0 &&
	    rc != CAIRN_ECORRUPT)
		return fail(x, rc, "entry %" PRIu64 ": %s", seq,
		    cairn_strerror(rc));
	return decode_entry(x, e);
}

/* Takes the entry at hand (seq) as context unless the export holds it. */
static int
add_context(struct xw *x, uint64_t seq, int rule)
{
	const char *acc = xstr(&x->jv, x->ev, "account");
	const char *stream = xstr(&x->jv, 0, "stream");
	int rc;

	if (fx_seen(&x->fx, seq))
		return 0;
	/* An exported entry is no context: it is there already. */
	if (x->o->kind == CAIRN_EXPORT_HISTORY ?
	    strcmp(acc ? acc : "", x->o->account) == 0 :
	    seq >= x->start.size && seq < x->end.size &&
	    strcmp(stream ? stream : "", kind_stream(x->o->kind)) == 0)
		return 0;
	rc = fx_add(&x->fx, seq, xstr(&x->jv, 0, "received"), &x->jv, x->ev,
	    ROLE_CONTEXT);
	if (rc != 0)
		return fail(x, rc, "findings: %s", cairn_strerror(rc));
	if (x->nctx == x->capctx) {
		size_t cap = x->capctx ? x->capctx * 2 : 16;
		uint64_t *n = reallocarray(x->ctx, cap, sizeof *n);
		int *r;

		if (n == NULL)
			return fail(x, CAIRN_ENOMEM, "out of memory");
		x->ctx = n;
		if ((r = reallocarray(x->ctxrule, cap, sizeof *r)) == NULL)
			return fail(x, CAIRN_ENOMEM, "out of memory");
		x->ctxrule = r;
		x->capctx = cap;
	}
	x->ctxrule[x->nctx] = rule;
	x->ctx[x->nctx++] = seq;
	return 0;
}

/*
 * Fetches from the store the entries a deferred rule rests on that the
 * export does not hold, as context: the newest earlier notice or opt-out,
 * the first later suspension, earlier passes with the same mobile hash.
 */
static int
resolve(struct xw *x)
{
	const struct need *n;
	struct cairn_entry e;
	const char *type;
	uint64_t seq, cur;
	size_t i;
	int rc, code, want;

	for (i = 0; i < x->fx.nneeds; i++) {
		n = &x->fx.needs[i];
		if (n->rule == RULE_SHARED_MOBILE)
			continue;
		cur = n->seq;
		for (;;) {
			if (n->rule == RULE_MATCH_NOT_SUSPENDED)
				rc = cairn_store_account_after(x->s, n->account,
				    cur, &seq);
			else
				rc = cairn_store_account_before(x->s, n->account,
				    cur, &seq);
			if (rc == CAIRN_ENOTFOUND)
				break;
			if (rc != 0)
				return fail(x, rc, "account index: %s",
				    cairn_strerror(rc));
			if (n->rule == RULE_MATCH_NOT_SUSPENDED &&
			    seq >= x->end.size)
				break;
			cur = seq;
			if ((rc = load_entry(x, seq, &e)) != 0)
				return rc;
			type = xstr(&x->jv, x->ev, "type");
			code = fx_code(type ? type : "", &x->jv, x->ev);
			want = n->rule == RULE_NO_PRIOR_NOTICE ? code == CODE_NOTICE :
			    n->rule == RULE_MATCH_NOT_SUSPENDED ?
			    code == CODE_ACTION : code == CODE_OPTOUT_GRANTED ||
			    code == CODE_OPTOUT_OTHER;
			rc = want ? add_context(x, seq, n->rule) : 0;
			if (rc != 0)
				return rc;
			if (want)
				break;
		}
	}
	return 0;
}

/* Earlier passing checks with a mobile hash that a pass in the period has. */
static int
resolve_mobile(struct xw *x)
{
	cairn_iter *it;
	struct cairn_entry e;
	json_t *want, *firsts, *acc;
	const char *m, *a, *o, *sj, *t;
	char key[600];
	size_t i;
	int rc = 0;

	if (x->fx.kind != CAIRN_EXPORT_REALNAME || x->start.size == 0)
		return 0;
	if ((want = json_object()) == NULL || (firsts = json_object()) == NULL) {
		json_decref(want);
		return fail(x, CAIRN_ENOMEM, "out of memory");
	}
	for (i = 0; i < x->fx.nneeds; i++)
		if (x->fx.needs[i].rule == RULE_SHARED_MOBILE)
			json_object_set_new(want, x->fx.needs[i].mobile,
			    json_true());
	if (json_object_size(want) == 0)
		goto done;
	if ((rc = cairn_iter_stream(x->s, "realname", 0, INT64_MAX, &it)) != 0) {
		rc = fail(x, rc, "realname index: %s", cairn_strerror(rc));
		goto done;
	}
	while ((rc = cairn_iter_next(it, &e)) == 0 && e.seq < x->start.size) {
		map_check(x, 1);
		if ((rc = decode_entry(x, &e)) != 0)
			break;
		m = xstr(&x->jv, x->ev, "mobile_hash");
		a = xstr(&x->jv, x->ev, "account");
		o = xstr(&x->jv, x->ev, "outcome");
		sj = xstr(&x->jv, x->ev, "subject");
		t = xstr(&x->jv, x->ev, "type");
		if (m && a && o && sj && t && json_object_get(want, m) &&
		    strcmp(t, "realname.check") == 0 &&
		    strcmp(o, "pass") == 0 && strcmp(sj, "individual") == 0) {
			snprintf(key, sizeof key, "%s\n%s", m, a);
			acc = json_object_get(firsts, key);
			if (acc == NULL)
				json_object_set_new(firsts, key,
				    json_integer((json_int_t)e.seq));
		}
	}
	cairn_iter_free(it);
	if (rc == CAIRN_ENOTFOUND || rc == 0) {
		const char *k;
		json_t *v;

		rc = 0;
		json_object_foreach(firsts, k, v) {
			struct cairn_entry ce;
			uint64_t cs = (uint64_t)json_integer_value(v);

			if ((rc = load_entry(x, cs, &ce)) != 0)
				break;
			if ((rc = add_context(x, cs, RULE_SHARED_MOBILE)) != 0)
				break;
		}
	} else if (x->res->err[0] == '\0')
		rc = fail(x, rc, "realname index: %s", cairn_strerror(rc));
done:
	json_decref(want);
	json_decref(firsts);
	return rc;
}

static int
write_context(struct xw *x)
{
	struct cairn_entry e;
	size_t i;
	int rc;

	/* In seq order (few: one per finding at most). */
	for (i = 1; i < x->nctx; i++) {
		size_t j;

		for (j = i; j > 0 && x->ctx[j - 1] > x->ctx[j]; j--) {
			uint64_t ts = x->ctx[j];
			int tr = x->ctxrule[j];

			x->ctx[j] = x->ctx[j - 1];
			x->ctxrule[j] = x->ctxrule[j - 1];
			x->ctx[j - 1] = ts;
			x->ctxrule[j - 1] = tr;
		}
	}
	X(xo_start(x, "context"));
	X(xattru(x, "count", x->nctx));
	for (i = 0; i < x->nctx; i++) {
		if ((rc = load_entry(x, x->ctx[i], &e)) != 0)
			return rc;
		if ((rc = write_entry(x, &e, NULL, rule_names[x->ctxrule[i]],
		    1)) != 0)
			return rc;
	}
	return xo_end(x) < 0 ? -1 : 0;
}

static int
sum_count(void *a, const char *key, uint64_t n)
{
	struct xw *x = a;
	char b[24];

	snprintf(b, sizeof b, "%" PRIu64, n);
	X(xo_start(x, "count"));
	X(xattr(x, "key", key));
	X(xo_textn(x, b, strlen(b)));
	return xo_end(x) < 0 ? -1 : 0;
}

static int
write_summary(struct xw *x)
{
	int i, rc;

	X(xo_start(x, "summary"));
	X(xattru(x, "entries", x->sum.entries));
	X(xattru(x, "margin", x->sum.margin));
	for (i = 0; i < SUM_NBY; i++) {
		X(xo_start(x, "by"));
		X(xattr(x, "name", sum_by_names[i]));
		if ((rc = summary_each(&x->sum, i, sum_count, x)) != 0)
			return rc;
		X(xo_end(x));
	}
	return xo_end(x) < 0 ? -1 : 0;
}

static int
write_findings(struct xw *x)
{
	const struct finding *f;
	size_t i, j;

	X(xo_start(x, "findings"));
	X(xattru(x, "count", x->fx.nf));
	for (i = 0; i < x->fx.nf; i++) {
		f = &x->fx.f[i];
		X(xo_start(x, "finding"));
		X(xattr(x, "rule", rule_names[f->rule]));
		if (rule_clauses[f->rule][0] != '\0')
			X(xattr(x, "clause", rule_clauses[f->rule]));
		X(xattru(x, "seq", f->seq));
		if (f->account != NULL)
			X(xattr(x, "account", f->account));
		X(xo_elem(x, "text", f->text));
		for (j = 0; j < f->nrefs; j++) {
			X(xo_start(x, "ref"));
			X(xattru(x, "seq", f->refs[j]));
			X(xo_end(x));
		}
		X(xo_end(x));
	}
	return xo_end(x) < 0 ? -1 : 0;
}

static int
write_checkpoint(struct xw *x, const char *elem, const struct cairn_buf *note,
    const struct cairn_checkpoint *c)
{
	char t[CAIRN_TIME_LEN + 1];

	cairn_time_format_us(c->time_us, t);
	X(xo_start(x, elem));
	X(xattru(x, "size", c->size));
	X(xattr(x, "time", t));
	X(xhexattr(x, "root", c->root));
	X(xo_textn(x, (const char *)note->p, note->len));
	return xo_end(x) < 0 ? -1 : 0;
}

/* Loads and checks a stored checkpoint note (NUL-terminated in buf): it
 * may be signed by a key the store has since rotated out. */
static int
load_checkpoint(struct xw *x, struct cairn_buf *note,
    struct cairn_checkpoint *c)
{
	const uint8_t *body;
	size_t blen;
	int rc;

	if ((rc = cairn_store_note_verify(x->s, note->p, note->len, &body,
	    &blen)) != 0 || (rc = cairn_checkpoint_parse(body, blen, c)) != 0)
		return fail(x, rc, "a stored checkpoint does not verify: %s",
		    rc == CAIRN_EBADSIG ? cairn_store_errdetail(x->s) :
		    cairn_strerror(rc));
	if (cairn_buf_addc(note, 0) != 0)
		return fail(x, CAIRN_ENOMEM, "out of memory");
	note->len--;
	return 0;
}

static void
stamp(int64_t us, char *out, size_t cap)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y%m%dT%H%M%SZ", &tm);
}

static void
make_name(const struct cairn_export_opts *o, char *out, size_t cap)
{
	char f[32], t[32], acc[65];
	size_t i;

	stamp(o->from_us, f, sizeof f);
	stamp(o->to_us, t, sizeof t);
	if (o->kind == CAIRN_EXPORT_HISTORY) {
		for (i = 0; o->account[i] != '\0' && i < sizeof acc - 1; i++) {
			char c = o->account[i];

			acc[i] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9') || c == '-' || c == '.' ?
			    c : '_';
		}
		acc[i] = '\0';
		if (snprintf(out, cap, "account-history-%s-%s-%s", acc, f, t) >=
		    (int)cap)
			out[cap - 1] = '\0';
	} else if (snprintf(out, cap, "%s-%s-%s",
	    cairn_export_kind_name(o->kind), f, t) >= (int)cap)
		out[cap - 1] = '\0';
}

/* The exported entries: a stream between the checkpoints, or an account. */
static int
write_entries(struct xw *x)
{
	const struct cairn_export_opts *o = x->o;
	cairn_iter *it = NULL;
	struct cairn_entry e;
	const char *recv, *margin;
	int64_t r, since = 0;
	int rc, hist = o->kind == CAIRN_EXPORT_HISTORY;

	if (hist)
		rc = cairn_iter_account(x->s, o->account, &it);
	else {
		/* received is non-decreasing in seq: start at start.size's. */
		if (x->start.size < x->end.size) {
			if ((rc = load_entry(x, x->start.size, &e)) != 0)
				return rc;
			since = xtime_us(xstr(&x->jv, 0, "received"));
		}
		rc = cairn_iter_stream(x->s, kind_stream(o->kind),
		    since < 0 ? 0 : since, INT64_MAX, &it);
	}
	if (rc != 0)
		return fail(x, rc, "index: %s", cairn_strerror(rc));
	/* Leaves by pread: no page faults, nothing of the map resident. */
	if ((rc = cairn_iter_direct(it)) != 0) {
		cairn_iter_free(it);
		return fail(x, rc, "index: %s", cairn_strerror(rc));
	}
	X(xo_start(x, "entries"));
	while ((rc = cairn_iter_next(it, &e)) == 0) {
		if (e.seq >= x->end.size)
			break;
		if (!hist && e.seq < x->start.size)
			continue;
		if ((rc = decode_entry(x, &e)) != 0)
			break;
		recv = xstr(&x->jv, 0, "received");
		r = xtime_us(recv);
		margin = r < o->from_us ? "before" : r >= o->to_us ? "after" :
		    NULL;
		if (margin == NULL) {
			rc = summary_add(&x->sum, &x->jv, x->ev, recv);
		} else
			x->sum.margin++;
		if (rc == 0)
			rc = fx_add(&x->fx, e.seq, recv, &x->jv, x->ev,
			    margin ? ROLE_MARGIN : ROLE_IN);
		if (rc == 0)
			rc = write_entry(x, &e, margin, NULL, hist);
		if (rc != 0)
			break;
		x->last_seq = e.seq;
		x->have_last = 1;
		if (++x->nentries % 4096 == 0 && o->progress != NULL)
			o->progress(o->progress_arg, x->nentries,
			    x->end.size - x->start.size);
		map_check(x, 1);
	}
	cairn_iter_free(it);
	/* -1: the output failed; cairn_export_write says how (errno). */
	if (rc == -1)
		return -1;
	if (rc != 0 && rc != CAIRN_ENOTFOUND)
		return x->res->err[0] ? rc : fail(x, rc, "reading entries: %s",
		    cairn_strerror(rc));
	return xo_end(x) < 0 ? -1 : 0;
}

/* <entries> has no count: the writer streams, and the summary and the
 * trusted comment say how many. */

static int
write_doc(struct xw *x, const struct cairn_store_info *in,
    const struct cairn_pubkey *pub)
{
	const struct cairn_export_opts *o = x->o;
	char t[CAIRN_TIME_LEN + 1], pk[CAIRN_PUBKEY_B64_LEN + 1], id[17];
	struct timespec now;
	size_t i;
	int rc;

	X(XO_LIT(x, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"));
	X(xo_start(x, "export"));
	X(xattr(x, "xmlns", XNS));
	X(xattr(x, "format", XFORMAT));
	X(xattr(x, "kind", cairn_export_kind_name(o->kind)));
	if (o->kind == CAIRN_EXPORT_HISTORY)
		X(xattr(x, "account", o->account));
	else
		X(xattr(x, "stream", kind_stream(o->kind)));
	cairn_time_format_us(o->from_us, t);
	X(xattr(x, "from", t));
	cairn_time_format_us(o->to_us, t);
	X(xattr(x, "to", t));
	X(xattr(x, "origin", in->origin));
	clock_gettime(CLOCK_REALTIME, &now);
	cairn_time_format_us((int64_t)now.tv_sec * 1000000 + now.tv_nsec / 1000,
	    t);
	X(xattr(x, "generated", t));
	X(xattru(x, "late-after", (uint64_t)x->fx.late_us / 1000000));

	cairn_pubkey_b64(pub, pk, sizeof pk);
	for (i = 0; i < CAIRN_KEYID_LEN; i++)
		snprintf(id + 2 * i, 3, "%02X",
		    pub->keyid[CAIRN_KEYID_LEN - 1 - i]);
	snprintf(x->res->keyid, sizeof x->res->keyid, "%s", id);
	X(xo_start(x, "public-key"));
	X(xattr(x, "id", id));
	X(xo_textn(x, pk, strlen(pk)));
	X(xo_end(x));

	X(write_checkpoint(x, "start-checkpoint", &x->startnote, &x->start));
	X(write_checkpoint(x, "end-checkpoint", &x->endnote, &x->end));
	if ((rc = xconsistency(x, "consistency", x->start.size)) != 0)
		return rc;

	/* The checkpoint the previous period's export ends with, and its
	 * consistency with this end: what --previous checks. */
	X(write_checkpoint(x, "handover", &x->handnote, &x->hand));
	if ((rc = xconsistency(x, "handover-consistency", x->hand.size)) != 0)
		return rc;

	if ((rc = write_entries(x)) != 0)
		return rc;
	if ((rc = resolve(x)) != 0 || (rc = resolve_mobile(x)) != 0)
		return rc;
	if ((rc = write_context(x)) != 0)
		return rc;
	if ((rc = fx_finish(&x->fx)) != 0)
		return fail(x, rc, "findings: %s", cairn_strerror(rc));
	if ((rc = write_summary(x)) != 0 || (rc = write_findings(x)) != 0)
		return rc;
	if (x->have_last &&
	    (rc = xproof(x, "last-inclusion", x->last_seq, x->end.size, 1)) != 0)
		return rc;
	X(xo_end(x));
	return 0;
}

static int
find_checkpoints(struct xw *x)
{
	const struct cairn_export_opts *o = x->o;
	int rc;

	rc = cairn_store_checkpoint_at(x->s, o->from_us, 0, &x->startnote);
	if (rc == CAIRN_ENOTFOUND)	/* the log is younger: its first */
		rc = cairn_store_checkpoint_find(x->s, 0, 1, &x->startnote);
	if (rc != 0)
		return fail(x, rc, "no checkpoint to start from: %s",
		    cairn_strerror(rc));
	if ((rc = cairn_store_checkpoint_at(x->s, o->to_us, 1, &x->endnote)) != 0)
		return fail(x, rc, "no checkpoint made at or after the end of "
		    "the period yet (make one with `cairn checkpoint`)");
	if ((rc = cairn_store_checkpoint_at(x->s, o->from_us, 1,
	    &x->handnote)) != 0)
		return fail(x, rc, "no checkpoint after the start of the period");
	if ((rc = load_checkpoint(x, &x->handnote, &x->hand)) != 0)
		return rc;
	if ((rc = load_checkpoint(x, &x->startnote, &x->start)) != 0 ||
	    (rc = load_checkpoint(x, &x->endnote, &x->end)) != 0)
		return rc;
	if (x->start.size > x->end.size)
		return fail(x, CAIRN_ECORRUPT, "checkpoints out of order");
	return 0;
}

static int
finish_files(struct xw *x, const char *tmp, const char *tmpsig,
    const struct cairn_seckey *sk)
{
	struct cairn_export_result *res = x->res;
	const struct cairn_export_opts *o = x->o;
	struct cairn_buf sig = { 0 };
	char trusted[512];
	int rc, fd;

	if (zpush(&x->z, "", 0, ZSTD_e_end) != 0 || fsync(x->z.fd) != 0)
		return fail(x, CAIRN_EINVAL, "writing %s: %s", tmp,
		    strerror(x->z.err ? x->z.err : errno));
	sha256_digest(&x->z.sha, sizeof res->file_sha256, res->file_sha256);
	trusted_comment(trusted, sizeof trusted, o->kind, o->account,
	    o->from_us, o->to_us, x->nentries, x->end.size, x->end.root);
	if ((rc = cairn_minisign_final(&x->z.ms, sk, "signature from cairn "
	    "export", trusted, &sig)) != 0)
		return fail(x, rc, "signing: %s", cairn_strerror(rc));
	if ((fd = open(tmpsig, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0 || write(fd, sig.p, sig.len) != (ssize_t)sig.len ||
	    fsync(fd) != 0) {
		rc = errno;
		if (fd >= 0)
			close(fd);
		cairn_buf_free(&sig);
		return fail(x, CAIRN_EINVAL, "writing %s: %s", tmpsig,
		    strerror(rc));
	}
	close(fd);
	cairn_buf_free(&sig);
	if (rename(tmp, res->path) != 0 || rename(tmpsig, res->sigpath) != 0)
		return fail(x, CAIRN_EINVAL, "renaming into %s: %s", o->dir,
		    strerror(errno));
	if ((fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	return 0;
}

int
cairn_export_write(cairn_store *s, const struct cairn_seckey *sk,
    const struct cairn_export_opts *o, struct cairn_export_result *res)
{
	struct xw x;
	struct cairn_store_info in;
	struct cairn_pubkey pub;
	char tmp[PATH_MAX + 8], tmpsig[PATH_MAX + 8];
	int rc;

	memset(res, 0, sizeof *res);
	memset(&x, 0, sizeof x);
	x.s = s;
	x.o = o;
	x.res = res;
	x.z.fd = -1;
	x.statm = -1;
	b64pairs_init(x.b64pair);
	if (o->kind < 0 || o->kind >= CAIRN_EXPORT_NKINDS ||
	    (o->kind == CAIRN_EXPORT_HISTORY &&
	    (o->account == NULL || o->account[0] == '\0')) ||
	    o->from_us >= o->to_us || o->dir == NULL || o->late_after < 0)
		return fail(&x, CAIRN_EINVAL, "invalid export request (kind, "
		    "account, period [from, to) with from < to, directory)");
	if ((rc = cairn_store_info(s, &in)) != 0)
		return fail(&x, rc, "store: %s", cairn_strerror(rc));
	cairn_seckey_public(sk, &pub);
	if (memcmp(pub.pk, in.pubkey, 32) != 0)
		return fail(&x, CAIRN_EBADSIG, "the key is not the store's key");
	if (o->name != NULL)
		snprintf(res->name, sizeof res->name, "%s", o->name);
	else
		make_name(o, res->name, sizeof res->name);
	if (strchr(res->name, '/') != NULL || res->name[0] == '.' ||
	    snprintf(res->path, sizeof res->path, "%s/%s.xml.zst", o->dir,
	    res->name) >= (int)sizeof res->path ||
	    snprintf(res->sigpath, sizeof res->sigpath, "%s.minisig",
	    res->path) >= (int)sizeof res->sigpath)
		return fail(&x, CAIRN_EINVAL, "bad export name or directory");
	if (access(res->path, F_OK) == 0)
		return fail(&x, CAIRN_EINVAL, "%s exists; not overwriting it",
		    res->path);
	snprintf(tmp, sizeof tmp, "%s.tmp", res->path);
	snprintf(tmpsig, sizeof tmpsig, "%s.tmp", res->sigpath);

	x.statm = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
	x.shared0 = map_resident(&x);	/* before any read of the map */
	x.pagesize = sysconf(_SC_PAGESIZE);
	if ((rc = find_checkpoints(&x)) != 0)
		goto out;
	if ((rc = fx_init(&x.fx, o->kind, o->late_after ? o->late_after :
	    CAIRN_EXPORT_LATE_DEFAULT, x.end.size)) != 0 ||
	    (rc = summary_init(&x.sum)) != 0) {
		rc = fail(&x, CAIRN_ENOMEM, "out of memory");
		goto out;
	}
	if ((x.z.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0644)) < 0) {
		rc = fail(&x, CAIRN_EINVAL, "%s: %s", tmp, strerror(errno));
		goto out;
	}
	x.z.ocap = ZSTD_CStreamOutSize();
	if ((x.z.obuf = malloc(x.z.ocap)) == NULL ||
	    (x.z.cc = ZSTD_createCCtx()) == NULL ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(x.z.cc,
	    ZSTD_c_compressionLevel, ZLEVEL)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(x.z.cc, ZSTD_c_checksumFlag,
	    1))) {
		rc = fail(&x, CAIRN_ENOMEM, "zstd: out of memory");
		goto out;
	}
	cairn_minisign_init(&x.z.ms);
	sha256_init(&x.z.sha);
	/* zstd's own workers (ZSTD_c_nbWorkers) kept 35 MiB of job buffers
	 * resident (bench/README.md); this worker keeps ZO_NBUF XML buffers. */
	if ((rc = zstart(&x.z)) != 0) {
		rc = fail(&x, CAIRN_ENOMEM, "compression thread: %s",
		    strerror(rc));
		goto out;
	}
	rc = write_doc(&x, &in, &pub);
	if (rc == 0 && (x.depth != 0 || x.oerr || xo_flush(&x, 1) != 0))
		rc = -1;
	if (zclose(&x.z) != 0 && rc == 0)
		rc = -1;
	if (rc == -1 || x.z.err != 0)
		rc = fail(&x, CAIRN_EINVAL, "writing %s: %s", tmp,
		    x.z.err ? strerror(x.z.err) : "out of memory");
	if (rc != 0)
		goto out;
	if ((rc = finish_files(&x, tmp, tmpsig, sk)) != 0)
		goto out;
	res->entries = x.sum.entries;
	res->margin = x.sum.margin;
	res->context = x.nctx;
	res->findings = x.fx.nf;
	res->xml_bytes = x.z.xml_bytes;
	res->file_bytes = x.z.file_bytes;
	res->start_size = x.start.size;
	res->end_size = x.end.size;
	memcpy(res->root, x.end.root, CAIRN_HASH_LEN);
out:
	(void)zclose(&x.z);
	if (x.z.fd >= 0)
		close(x.z.fd);
	if (x.statm >= 0)
		close(x.statm);
	if (rc != 0) {
		unlink(tmp);
		unlink(tmpsig);
	}
	ZSTD_freeCCtx(x.z.cc);
	free(x.z.obuf);
	fx_free(&x.fx);
	summary_free(&x.sum);
	cairn_jview_free(&x.jv);
	cairn_buf_free(&x.startnote);
	cairn_buf_free(&x.endnote);
	cairn_buf_free(&x.handnote);
	cairn_buf_free(&x.ebuf);
	cairn_buf_free(&x.tmp);
	cairn_buf_free(&x.ob);
	free(x.ctx);
	free(x.ctxrule);
	return rc;
}

char *
cairn_export_generated_fields(const struct cairn_export_opts *o,
    const struct cairn_export_result *r, const char *who)
{
	char f[CAIRN_TIME_LEN + 1], t[CAIRN_TIME_LEN + 1];
	char hex[CAIRN_HEX_LEN + 1], *s, *txt;
	json_t *j;

	cairn_time_format_us(o->from_us, f);
	cairn_time_format_us(o->to_us, t);
	cairn_hex(r->file_sha256, CAIRN_HASH_LEN, hex);
	j = json_pack("{s:s, s:{s:s, s:s}, s:s}", "kind",
	    cairn_export_kind_name(o->kind), "period", "from", f, "to", t,
	    "file_sha256", hex);
	if (j == NULL)
		return NULL;
	if ((who != NULL &&
	    json_object_set_new(j, "token", json_string(who)) != 0) ||
	    (o->kind == CAIRN_EXPORT_HISTORY &&
	    json_object_set_new(j, "account", json_string(o->account)) != 0)) {
		json_decref(j);
		return NULL;
	}
	txt = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
	/* The caller frees with free(); jansson's allocator may be cairnd's. */
	s = txt != NULL ? strdup(txt) : NULL;
	cairn_json_free(txt);
	return s;
}
