/*
 * verify.c: offline verification of an export (EXPORT.md, "What cairn
 * verify-export checks").  It trusts only the public keys it is given (more
 * than one across a key rotation: each signature by one of them) and
 * reads the file three times, each streaming: the minisign signature over
 * the compressed bytes; zstd (content checksum) and the XSD; then every
 * semantic check on a libxml2 reader, one entry element expanded at a time.
 * Without the schema pass the three become one read: a second thread reads
 * and hashes the compressed bytes and decompresses them into a small ring of
 * buffers for the reader (struct zpipe), and the lines are said in the
 * order the three passes would say them.  A third thread checks the
 * entries, copied out of the tree in batches, while the reader parses on
 * (struct ckr).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>
#include <sodium.h>
#include <zstd.h>

#include "cjson.h"
#include "internal.h"
#include "export.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "util.h"
#include "xcommon.h"

#define MAX_SIG		16384
#define MAX_ENTRY	(4u << 20)	/* decoded entry bytes */
#define MAX_REPORT	5		/* failures listed per check */
#define ZP_NBUF		3		/* decompressed buffers in the ring */
#define ZP_BUFSZ	(128 * 1024)
#define CK_NBUF		2		/* entry batches for the checker */
#define CK_BATCH	(256 * 1024)

/* A decompressing reader for libxml2's I/O callbacks. */
struct zin {
	FILE		*f;
	ZSTD_DCtx	*dc;
	uint8_t		*ibuf;
	size_t		 icap;
	ZSTD_inBuffer	 in;
	size_t		 last;		/* last ZSTD_decompressStream hint */
	int		 frames;	/* frames decoded to their end */
	int		 eof, err;
	int		 rerr;		/* the file could not be read */
	char		 why[128];
	uint64_t	 out;
	struct cairn_minisign *ms;	/* if set, hashes every byte read */
};

static int
zin_open(struct zin *z, const char *path)
{
	memset(z, 0, sizeof *z);
	if ((z->f = fopen(path, "rb")) == NULL) {
		snprintf(z->why, sizeof z->why, "%s", strerror(errno));
		return -1;
	}
	z->icap = ZSTD_DStreamInSize();
	if ((z->ibuf = malloc(z->icap)) == NULL ||
	    (z->dc = ZSTD_createDCtx()) == NULL) {
		snprintf(z->why, sizeof z->why, "out of memory");
		return -1;
	}
	z->in.src = z->ibuf;
	return 0;
}

static void
zin_close(struct zin *z)
{
	if (z->f != NULL)
		fclose(z->f);
	ZSTD_freeDCtx(z->dc);
	free(z->ibuf);
	z->f = NULL;
	z->dc = NULL;
	z->ibuf = NULL;
}

static int
zin_read(void *ctx, char *buf, int len)
{
	struct zin *z = ctx;
	ZSTD_outBuffer out = { buf, (size_t)len, 0 };
	size_t r;

	if (z->err)
		return -1;
	while (out.pos == 0) {
		if (z->in.pos == z->in.size) {
			if (z->eof)
				break;
			z->in.size = fread(z->ibuf, 1, z->icap, z->f);
			z->in.pos = 0;
			if (z->ms != NULL && z->in.size > 0)
				cairn_minisign_update(z->ms, z->ibuf,
				    z->in.size);
			if (z->in.size == 0) {
				z->eof = 1;
				if (ferror(z->f)) {
					z->err = z->rerr = 1;
					snprintf(z->why, sizeof z->why,
					    "read error");
					return -1;
				}
				break;
			}
		}
		r = ZSTD_decompressStream(z->dc, &out, &z->in);
		if (ZSTD_isError(r)) {
			z->err = 1;
			snprintf(z->why, sizeof z->why, "%s",
			    ZSTD_getErrorName(r));
			return -1;
		}
		z->last = r;
		if (r == 0)
			z->frames++;
		if (r == 0 && z->in.pos == z->in.size && out.pos == 0) {
			/* A frame ended; more input may start another. */
			continue;
		}
	}
	if (out.pos == 0 && z->eof && (z->last != 0 || z->frames == 0) &&
	    !z->err) {
		z->err = 1;
		snprintf(z->why, sizeof z->why, "truncated: the zstd frame "
		    "does not end");
		return -1;
	}
	z->out += out.pos;
	return (int)out.pos;
}

static int
zin_xclose(void *ctx)
{
	(void)ctx;
	return 0;
}

/*
 * The decompressing reader on a second thread.  While the worker runs it
 * alone touches z and ms (the main thread reads them after joining it);
 * the ring's head, count, done, t.closing and drain are shared under mu.
 * The worker fills the slot after the last full one, the reader owns
 * ring[head] while count > 0: the reader is given the bytes zin_read()
 * gives, in order, then the 0 or -1 it ends with.
 */
struct zpipe {
	struct zin	 z;
	struct cairn_minisign ms;	/* of the compressed bytes */
	int		 zrc;		/* the last zin_read(): 0, or -1 */
	struct xthread	 t;	/* more: a slot was filled, or done; room: a
				 * slot was emptied, or closing */
	uint8_t		*ring[ZP_NBUF];
	size_t		 len[ZP_NBUF];
	int		 head, count;
	int		 done;		/* the worker has stopped */
	int		 drain;		/* t.closing (no more bytes wanted),
					 * but check the rest */
	size_t		 pos;		/* the reader's offset in ring[head] */
	int		 failed;	/* the reader was given -1 */
};

/*
 * The worker: decompresses into the ring until the end, an error or the
 * reader's close; asked to, decompresses the rest without keeping it (the
 * zstd check) and reads a damaged file to its end (the signature's hash).
 */
static void *
zp_worker(void *arg)
{
	struct zpipe *zp = arg;
	struct zin *z = &zp->z;
	int slot, n = 1;	/* 1: the end is not reached */

	pthread_mutex_lock(&zp->t.mu);
	for (;;) {
		while (zp->count == ZP_NBUF && !zp->t.closing)
			pthread_cond_wait(&zp->t.room, &zp->t.mu);
		if (zp->t.closing)
			break;
		slot = (zp->head + zp->count) % ZP_NBUF;
		pthread_mutex_unlock(&zp->t.mu);
		n = zin_read(z, (char *)zp->ring[slot], ZP_BUFSZ);
		pthread_mutex_lock(&zp->t.mu);
		if (n <= 0)
			break;
		zp->len[slot] = (size_t)n;
		zp->count++;
		pthread_cond_signal(&zp->t.more);
	}
	/* Once closing, the reader leaves the ring alone until the join. */
	if (n > 0 && zp->drain) {
		pthread_mutex_unlock(&zp->t.mu);
		while ((n = zin_read(z, (char *)zp->ring[0], ZP_BUFSZ)) > 0)
			;
		pthread_mutex_lock(&zp->t.mu);
	}
	if (n < 0 && zp->drain && !z->eof) {
		pthread_mutex_unlock(&zp->t.mu);
		while (!z->eof && (z->in.size = fread(z->ibuf, 1, z->icap,
		    z->f)) > 0)
			cairn_minisign_update(z->ms, z->ibuf, z->in.size);
		if (ferror(z->f))
			z->rerr = 1;
		z->eof = 1;
		pthread_mutex_lock(&zp->t.mu);
	}
	zp->zrc = n < 0 ? -1 : 0;
	zp->done = 1;
	pthread_cond_signal(&zp->t.more);
	pthread_mutex_unlock(&zp->t.mu);
	return NULL;
}

/* Opens path and starts the worker; -1 with z.why set on failure. */
static int
zp_start(struct zpipe *zp, const char *path)
{
	int i, rc;

	memset(zp, 0, sizeof *zp);
	if (zin_open(&zp->z, path) != 0)
		goto fail;
	cairn_minisign_init(&zp->ms);
	zp->z.ms = &zp->ms;
	for (i = 0; i < ZP_NBUF; i++)
		if ((zp->ring[i] = malloc(ZP_BUFSZ)) == NULL) {
			snprintf(zp->z.why, sizeof zp->z.why, "out of memory");
			goto fail;
		}
	if ((rc = xthread_start(&zp->t, zp_worker, zp)) != 0)
		goto err;
	return 0;
err:
	snprintf(zp->z.why, sizeof zp->z.why, "%s", strerror(rc));
fail:
	for (i = 0; i < ZP_NBUF; i++)
		free(zp->ring[i]);
	zin_close(&zp->z);
	return -1;
}

/* libxml2's read callback: the next bytes of the ring, waiting for them. */
static int
zp_read(void *ctx, char *buf, int len)
{
	struct zpipe *zp = ctx;
	size_t n;

	if (zp->failed || len <= 0)
		return zp->failed ? -1 : 0;
	pthread_mutex_lock(&zp->t.mu);
	while (zp->count == 0 && !zp->done)
		pthread_cond_wait(&zp->t.more, &zp->t.mu);
	if (zp->count == 0) {
		zp->failed = zp->zrc < 0;
		pthread_mutex_unlock(&zp->t.mu);
		return zp->failed ? -1 : 0;
	}
	pthread_mutex_unlock(&zp->t.mu);
	/* ring[head] is the reader's while count > 0. */
	n = zp->len[zp->head] - zp->pos;
	if (n > (size_t)len)
		n = (size_t)len;
	memcpy(buf, zp->ring[zp->head] + zp->pos, n);
	zp->pos += n;
	if (zp->pos == zp->len[zp->head]) {
		zp->pos = 0;
		pthread_mutex_lock(&zp->t.mu);
		zp->head = (zp->head + 1) % ZP_NBUF;
		zp->count--;
		pthread_cond_signal(&zp->t.room);
		pthread_mutex_unlock(&zp->t.mu);
	}
	return (int)n;
}

/*
 * Stops the reader's side and joins the worker; with drain, the worker
 * first decompresses and hashes what the reader left.  Afterwards z and
 * ms are the caller's until zp_free().
 */
static void
zp_close(struct zpipe *zp, int drain)
{
	pthread_mutex_lock(&zp->t.mu);
	zp->drain = drain;
	pthread_mutex_unlock(&zp->t.mu);
	xthread_stop(&zp->t, &zp->t.room);
}

/* Frees what zp_start() made, once zp_close() has joined the worker. */
static void
zp_free(struct zpipe *zp)
{
	int i;

	for (i = 0; i < ZP_NBUF; i++)
		free(zp->ring[i]);
	zin_close(&zp->z);
}

struct ckpt {
	struct cairn_checkpoint c;
	int		 present, ok;
	uint8_t		*note;
	size_t		 notelen;
};

struct bad {
	uint64_t	 n;
	char		 first[256];
};

struct vx {
	const struct cairn_pubkey *pubs;	/* the trusted keys */
	size_t		 npub;
	struct cairn_export_check *chk;
	int		 quiet;		/* checking --previous: failures only */
	int		 failed;
	int		 rc;		/* first failure's class */
	/* the document */
	int		 kind;
	char		*account;
	int64_t		 from, to;
	char		 origin[CAIRN_NAME_MAX + 1];
	int		 stream;	/* index; -1 for account-history */
	int		 seen_root;
	struct ckpt	 start, end, hand;
	/* running state */
	struct fx	 fx;
	struct summary	 sum;
	int		 fx_ok;
	uint64_t	 nentries, nctx, nmargin;
	int		 have_last;
	uint64_t	 last_seq;
	uint8_t		 last_leaf[CAIRN_HASH_LEN];
	int		 have_prev;	/* a previous entry in the chain */
	uint8_t		 link[CAIRN_HASH_LEN];	/* what the next must link to */
	int64_t		 prev_seq;
	int		 saw_summary, saw_findings, saw_last, saw_entries;
	struct bad	 leaf, fields, env, chain, proof, ctx;
	/* --previous */
	int		 want_prev;
	int		 prev_kind;
	uint8_t		 prev_head[CAIRN_HASH_LEN];
	uint64_t	 prev_last_seq;
	int		 prev_has_last;
	uint8_t		 prev_last_leaf[CAIRN_HASH_LEN];
	int		 found_prev;
	struct cairn_buf l1, l2, bytes, tmp;
	struct cairn_jview jv;		/* the entry at hand */
	int		 hold;		/* keep lines in held for say_held() */
	struct cairn_buf held;
};

static void
say(struct vx *v, int ok, int rc, const char *check, const char *f, ...)
    __attribute__((format(printf, 5, 6)));

static void
say(struct vx *v, int ok, int rc, const char *check, const char *f, ...)
{
	char d[1024];
	va_list ap;
	size_t at;

	va_start(ap, f);
	vsnprintf(d, sizeof d, f, ap);
	va_end(ap);
	/*
	 * Held lines keep their order, and the first failure its class;
	 * without the memory to hold one it is said now rather than lost.
	 */
	if (v->hold) {
		at = v->held.len;
		if (cairn_buf_addc(&v->held, (uint8_t)ok) == 0 &&
		    cairn_buf_add(&v->held, &rc, sizeof rc) == 0 &&
		    cairn_buf_add(&v->held, check, strlen(check) + 1) == 0 &&
		    cairn_buf_add(&v->held, d, strlen(d) + 1) == 0)
			return;
		v->held.len = at;
	}
	if (!ok) {
		if (!v->failed)
			v->rc = rc;
		v->failed = 1;
	}
	if (v->chk->say != NULL && (!v->quiet || !ok))
		v->chk->say(v->chk->arg, ok, check, d);
}

/* Says the lines held back, in the order they came. */
static void
say_held(struct vx *v)
{
	const uint8_t *p = v->held.p, *end = p + v->held.len;
	const char *check, *d;
	int ok, rc;

	v->hold = 0;
	while (p < end) {
		ok = *p++;
		memcpy(&rc, p, sizeof rc);
		p += sizeof rc;
		check = (const char *)p;
		p += strlen(check) + 1;
		d = (const char *)p;
		p += strlen(d) + 1;
		say(v, ok, rc, check, "%s", d);
	}
	v->held.len = 0;
}

static void
bad(struct bad *b, const char *f, ...) __attribute__((format(printf, 2, 3)));

static void
bad(struct bad *b, const char *f, ...)
{
	va_list ap;

	if (b->n++ == 0) {
		va_start(ap, f);
		vsnprintf(b->first, sizeof b->first, f, ap);
		va_end(ap);
	}
}

static void
say_bad(struct vx *v, const struct bad *b, int rc, const char *check,
    const char *okmsg)
{
	if (b->n == 0)
		say(v, 1, 0, check, "%s", okmsg);
	else
		say(v, 0, rc, check, "%" PRIu64 " failure(s); first: %s", b->n,
		    b->first);
}

/* DOM helpers: attributes and text, copied into a buffer the caller frees. */
static char *
attr(xmlNodePtr n, const char *name)
{
	xmlChar *a = xmlGetProp(n, BAD_CAST name);
	char *s;

	if (a == NULL)
		return NULL;
	s = strdup((char *)a);
	xmlFree(a);
	return s;
}

/*
 * The same without a copy where the tree holds the value as one text node
 * (the usual case, and each entry has dozens); otherwise the copying
 * getter's result, left in *fr for the caller to xmlFree().  Both give
 * what xmlGetProp() and xmlNodeGetContent() give.
 */
static const char *
prop(xmlNodePtr n, const char *name, xmlChar **fr)
{
	xmlAttrPtr a;
	xmlNodePtr t;

	*fr = NULL;
	for (a = n->properties; a != NULL; a = a->next)
		if (strcmp((const char *)a->name, name) == 0)
			break;
	if (a != NULL) {
		if ((t = a->children) == NULL)
			return "";
		if (t->next == NULL && t->content != NULL &&
		    (t->type == XML_TEXT_NODE ||
		    t->type == XML_CDATA_SECTION_NODE))
			return (const char *)t->content;
	}
	/* entity references, or a default from a DTD */
	if (a != NULL || (n->doc != NULL && n->doc->intSubset != NULL))
		*fr = xmlGetProp(n, BAD_CAST name);
	return (const char *)*fr;
}

/* An element's text, as prop() an attribute's. */
static const char *
content(xmlNodePtr n, xmlChar **fr)
{
	xmlNodePtr t = n->children;

	*fr = NULL;
	if (t == NULL)
		return "";
	if (t->next == NULL && t->content != NULL &&
	    (t->type == XML_TEXT_NODE || t->type == XML_CDATA_SECTION_NODE))
		return (const char *)t->content;
	*fr = xmlNodeGetContent(n);
	return *fr != NULL ? (const char *)*fr : "";
}

static int
attr_u64(xmlNodePtr n, const char *name, uint64_t *out)
{
	xmlChar *fr;
	const char *a = prop(n, name, &fr);
	char *end;
	int rc = -1;

	if (a != NULL && a[0] >= '0' && a[0] <= '9') {
		errno = 0;
		*out = strtoull(a, &end, 10);
		rc = errno == 0 && *end == '\0' ? 0 : -1;
	}
	xmlFree(fr);
	return rc;
}

static char *
text(xmlNodePtr n)
{
	xmlChar *c = xmlNodeGetContent(n);
	char *s;

	if (c == NULL)
		return strdup("");
	s = strdup((char *)c);
	xmlFree(c);
	return s;
}

static int
is(xmlNodePtr n, const char *name)
{
	return n != NULL && n->type == XML_ELEMENT_NODE &&
	    strcmp((const char *)n->name, name) == 0;
}

static xmlNodePtr
first_elem(xmlNodePtr n)
{
	for (; n != NULL; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static xmlNodePtr
next_elem(xmlNodePtr n)
{
	return n == NULL ? NULL : first_elem(n->next);
}

static int
hex_of(xmlNodePtr n, uint8_t h[CAIRN_HASH_LEN])
{
	xmlChar *fr;
	const char *t = content(n, &fr);
	int rc;

	rc = strlen(t) == CAIRN_HEX_LEN &&
	    cairn_unhex(t, CAIRN_HEX_LEN, h, CAIRN_HASH_LEN) == 0 ? 0 : -1;
	xmlFree(fr);
	return rc;
}

/* The hash children of a proof element. */
static int
proof_of(xmlNodePtr n, uint8_t proof[XMAX_PROOF][CAIRN_HASH_LEN], size_t *np)
{
	xmlNodePtr c;

	*np = 0;
	for (c = first_elem(n->children); c != NULL; c = next_elem(c)) {
		if (!is(c, "hash") || *np == XMAX_PROOF ||
		    hex_of(c, proof[*np]) != 0)
			return -1;
		(*np)++;
	}
	return 0;
}

/* The readable element of a DOM subtree in the line form of xcommon.c. */
static int
dom_lines(xmlNodePtr n, struct cairn_buf *b)
{
	xmlNodePtr c;
	xmlChar *fk, *fe, *ft;
	const char *key = prop(n, "key", &fk), *enc, *t;
	int rc = 0;

	if (first_elem(n->children) != NULL) {
		rc = line_start(b, (const char *)n->name, key);
		for (c = first_elem(n->children); c != NULL && rc == 0;
		    c = next_elem(c))
			rc = dom_lines(c, b);
		if (rc == 0 && cairn_buf_adds(b, ">\n") != 0)
			rc = -1;
	} else {
		enc = prop(n, "encoding", &fe);
		t = content(n, &ft);
		rc = line_leaf(b, (const char *)n->name, key, t, strlen(t),
		    enc != NULL && strcmp(enc, "base64") == 0);
		xmlFree(fe);
		xmlFree(ft);
	}
	xmlFree(fk);
	return rc;
}

/* Strict, canonical standard base64 (padded, no stray bits). */
static int
b64dec(const char *s, size_t n, uint8_t *out, size_t cap, size_t *outlen)
{
	static int8_t t[256];
	static int init;
	size_t i, o = 0, pad = 0;
	uint32_t v;
	int k;

	if (!init) {
		memset(t, -1, sizeof t);
		for (k = 0; k < 64; k++)
			t[(unsigned char)"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
			    "qrstuvwxyz0123456789+/"[k]] = (int8_t)k;
		init = 1;
	}
	if (n % 4 != 0)
		return -1;
	if (n > 0 && s[n - 1] == '=')
		pad = n > 1 && s[n - 2] == '=' ? 2 : 1;
	if (n / 4 * 3 - pad > cap)
		return -1;
	/* Every group but the last is four symbols, three bytes. */
	for (i = 0; i + 4 < n; i += 4) {
		int8_t a = t[(unsigned char)s[i]], b = t[(unsigned char)s[i + 1]];
		int8_t c = t[(unsigned char)s[i + 2]];
		int8_t d = t[(unsigned char)s[i + 3]];

		if ((a | b | c | d) < 0)
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[o] = (uint8_t)(v >> 16);
		out[o + 1] = (uint8_t)(v >> 8);
		out[o + 2] = (uint8_t)v;
		o += 3;
	}
	for (; i < n; i += 4) {
		int last = i + 4 == n;
		int8_t a = t[(unsigned char)s[i]], b = t[(unsigned char)s[i + 1]];
		int8_t c = last && pad == 2 ? 0 : t[(unsigned char)s[i + 2]];
		int8_t d = last && pad ? 0 : t[(unsigned char)s[i + 3]];

		if (a < 0 || b < 0 || c < 0 || d < 0)
			return -1;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 |
		    (uint32_t)d;
		out[o++] = (uint8_t)(v >> 16);
		if (!(last && pad == 2))
			out[o++] = (uint8_t)(v >> 8);
		else if ((v & 0xffff) != 0)
			return -1;	/* stray bits */
		if (!(last && pad))
			out[o++] = (uint8_t)v;
		else if (pad == 1 && (v & 0xff) != 0)
			return -1;
	}
	*outlen = o;
	return 0;
}

static int
streq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

/*
 * Says that no key given signs a checkpoint, and which keys do: the key
 * hashes of its signature lines (the middle field of a verifier key
 * string) and those of the keys given, so that the key missing, when the
 * export spans a key rotation, can be told.
 */
static void
say_unsigned(struct vx *v, xmlNodePtr n, const struct ckpt *c,
    const char *what)
{
	uint8_t kh[8][4], mine[4];
	char has[8 * 9 + 1], given[512], hex[9], id[2 * CAIRN_KEYID_LEN + 1];
	char *size = attr(n, "size"), *time = attr(n, "time");
	size_t nkh = 0, i, o = 0;

	has[0] = '\0';
	if (cairn_note_keyhashes(c->note, c->notelen, v->origin, kh, 8,
	    &nkh) == 0)
		for (i = 0; i < nkh && i < 8; i++) {
			cairn_hex(kh[i], 4, hex);
			o += (size_t)snprintf(has + o, sizeof has - o, "%s%s",
			    i ? " " : "", hex);
		}
	given[0] = '\0';
	for (i = 0, o = 0; i < v->npub && o < sizeof given; i++) {
		cairn_note_keyhash(v->origin, v->pubs[i].pk, mine);
		cairn_hex(mine, 4, hex);
		cairn_keyid_format(v->pubs[i].keyid, id);
		o += (size_t)snprintf(given + o, sizeof given - o, "%s%s (id %s)",
		    i ? ", " : "", hex, id);
	}
	say(v, 0, CAIRN_EBADSIG, what, "signed by none of the keys given: its "
	    "signatures are by key hash %s, the key%s given %s %s; the key in "
	    "force at tree size %s (made %s) is missing: if a key rotation lies "
	    "within the export, give that key too (another --pubkey)",
	    has[0] ? has : "(none)", v->npub > 1 ? "s" : "", v->npub > 1 ?
	    "are" : "is", given, size ? size : "?", time ? time : "?");
	free(size);
	free(time);
}

/* One checkpoint element: signature by a key given, body against
 * attributes. */
static void
read_checkpoint(struct vx *v, xmlNodePtr n, struct ckpt *c, const char *what)
{
	const uint8_t *body;
	size_t blen, k;
	uint64_t size;
	char *t = text(n), *time, *root;
	char hex[CAIRN_HEX_LEN + 1], tm[CAIRN_TIME_LEN + 1];
	char id[2 * CAIRN_KEYID_LEN + 1];
	int rc = CAIRN_ENOTFOUND;

	c->present = 1;
	free(c->note);
	c->note = (uint8_t *)t;
	c->notelen = t ? strlen(t) : 0;
	if (t == NULL) {
		say(v, 0, CAIRN_ENOMEM, what, "out of memory");
		return;
	}
	/* A line by a key given that fails is a failure, whatever else. */
	for (k = 0; k < v->npub; k++)
		if ((rc = cairn_note_verify(c->note, c->notelen, v->origin,
		    v->pubs[k].pk, &body, &blen)) != CAIRN_ENOTFOUND)
			break;
	if (rc == CAIRN_ENOTFOUND) {
		say_unsigned(v, n, c, what);
		return;
	}
	if (rc != 0) {
		say(v, 0, CAIRN_EBADSIG, what, "signature by the key does not "
		    "verify: %s", cairn_strerror(rc));
		return;
	}
	if ((rc = cairn_checkpoint_parse(body, blen, &c->c)) != 0 ||
	    strcmp(c->c.origin, v->origin) != 0) {
		say(v, 0, CAIRN_EFORMAT, what, "malformed checkpoint body");
		return;
	}
	time = attr(n, "time");
	root = attr(n, "root");
	cairn_hex(c->c.root, CAIRN_HASH_LEN, hex);
	cairn_time_format_us(c->c.time_us, tm);
	if (attr_u64(n, "size", &size) != 0 || size != c->c.size ||
	    !streq(time, tm) || !streq(root, hex)) {
		say(v, 0, CAIRN_EFORMAT, what, "attributes differ from the "
		    "signed body");
	} else if (v->npub > 1) {
		c->ok = 1;
		cairn_keyid_format(v->pubs[k].keyid, id);
		say(v, 1, 0, what, "tree size %" PRIu64 ", made %s, signed by "
		    "key id %s", c->c.size, tm, id);
	} else {
		c->ok = 1;
		say(v, 1, 0, what, "tree size %" PRIu64 ", made %s, signed",
		    c->c.size, tm);
	}
	free(time);
	free(root);
}

static void
read_consistency(struct vx *v, xmlNodePtr n, const struct ckpt *a,
    const struct ckpt *b, const char *what)
{
	uint8_t proof[XMAX_PROOF][CAIRN_HASH_LEN];
	uint64_t old, new;
	size_t np;

	if (!a->ok || !b->ok) {
		say(v, 0, CAIRN_EPROOF, what, "not checked: a checkpoint "
		    "failed");
		return;
	}
	if (attr_u64(n, "old", &old) != 0 || attr_u64(n, "new", &new) != 0 ||
	    old != a->c.size || new != b->c.size ||
	    proof_of(n, proof, &np) != 0) {
		say(v, 0, CAIRN_EFORMAT, what, "malformed proof");
		return;
	}
	if (cairn_merkle_verify_consistency(old, new, a->c.root, b->c.root,
	    (const uint8_t (*)[CAIRN_HASH_LEN])proof, np) != 0)
		say(v, 0, CAIRN_EPROOF, what, "the tree of size %" PRIu64
		    " does not extend the tree of size %" PRIu64, new, old);
	else
		say(v, 1, 0, what, "tree %" PRIu64 " extends tree %" PRIu64
		    " (%zu hashes)", new, old, np);
}

static int
verify_inclusion(struct vx *v, xmlNodePtr n, uint64_t seq,
    const uint8_t leaf[CAIRN_HASH_LEN])
{
	uint8_t proof[XMAX_PROOF][CAIRN_HASH_LEN];
	uint64_t size;
	size_t np;

	if (!v->end.ok || n == NULL || attr_u64(n, "size", &size) != 0 ||
	    size != v->end.c.size || proof_of(n, proof, &np) != 0)
		return -1;
	return cairn_merkle_verify_inclusion(leaf, seq, size,
	    (const uint8_t (*)[CAIRN_HASH_LEN])proof, np, v->end.c.root);
}

/*
 * An entry element as the checks need it, copied out of the tree so that
 * the checker thread (struct ckr) can check it while the reader parses on:
 * the header, then each of the S_N strings and a NUL (an absent one is
 * empty), then np proof hashes.
 */
enum {
	S_LEAF, S_RECV, S_STREAM, S_SOURCE, S_MARGIN,	/* attributes */
	S_B64, S_PREV, S_SPREV, S_APREV,		/* element texts */
	S_LINES,			/* dom_lines() of the readable element */
	S_N
};

#define F_CTX		0x01	/* a context entry */
#define F_SEQ		0x02	/* seq is valid */
#define F_BYTES		0x04	/* the first child is bytes */
#define F_TYPEL		0x08	/* a readable element follows the links */
#define F_LINES		0x10	/* dom_lines() succeeded */
#define F_INCL		0x20	/* an element follows the readable one */
#define F_ISIZE		0x40	/* its size is valid */
#define F_PROOF		0x80	/* its children are a proof */
#define F_HAS(i)	(0x100u << (i))	/* string i is present */

struct erec {
	uint64_t	 seq, isize;
	uint32_t	 flags, np;
	uint32_t	 len[S_N];
};

/* Adds string i of an entry record (NULL: absent). */
static int
rec_str(struct cairn_buf *b, struct erec *h, int i, const char *s, size_t n)
{
	if (s != NULL)
		h->flags |= F_HAS(i);
	else
		n = 0;
	if (n > UINT32_MAX)
		return -1;
	h->len[i] = (uint32_t)n;
	if ((n > 0 && cairn_buf_add(b, s, n) != 0) || cairn_buf_addc(b, 0) != 0)
		return -1;
	return 0;
}

/*
 * Appends the record of entry element n to b, with lines as scratch: -1
 * when out of memory.  What it copies is what check_entry() used to read
 * from the tree, whatever the tree is.
 */
static int
extract_entry(struct cairn_buf *b, struct cairn_buf *lines, xmlNodePtr n,
    int ctx)
{
	static const char *const an[] = { "leaf", "received", "stream",
	    "source", "margin" };
	static const char *const ln[] = { "prev", "stream-prev",
	    "account-prev" };
	uint8_t proof[XMAX_PROOF][CAIRN_HASH_LEN];
	struct erec h;
	xmlChar *fr;
	xmlNodePtr c, incl = NULL;
	const char *s;
	size_t at = b->len, np = 0;
	int i, rc = 0;

	memset(&h, 0, sizeof h);
	h.flags = ctx ? F_CTX : 0;
	if (attr_u64(n, "seq", &h.seq) == 0)
		h.flags |= F_SEQ;
	if (cairn_buf_add(b, &h, sizeof h) != 0)
		return -1;
	for (i = 0; i < 5 && rc == 0; i++) {
		s = prop(n, an[i], &fr);
		rc = rec_str(b, &h, S_LEAF + i, s, s ? strlen(s) : 0);
		xmlFree(fr);
	}
	c = first_elem(n->children);
	if (is(c, "bytes")) {
		h.flags |= F_BYTES;
		s = content(c, &fr);
		if (rc == 0)
			rc = rec_str(b, &h, S_B64, s, strlen(s));
		xmlFree(fr);
		c = next_elem(c);
	} else if (rc == 0)
		rc = rec_str(b, &h, S_B64, NULL, 0);
	for (i = 0; i < 3; i++) {
		s = NULL;
		fr = NULL;
		if (h.flags & F_BYTES && is(c, ln[i])) {
			s = content(c, &fr);
			c = next_elem(c);
		}
		if (rc == 0)
			rc = rec_str(b, &h, S_PREV + i, s, s ? strlen(s) : 0);
		xmlFree(fr);
	}
	lines->len = 0;
	if (h.flags & F_BYTES && c != NULL) {
		h.flags |= F_TYPEL;
		if (dom_lines(c, lines) == 0)
			h.flags |= F_LINES;
		incl = next_elem(c);
	}
	if (rc == 0)
		rc = rec_str(b, &h, S_LINES, h.flags & F_LINES ?
		    (const char *)lines->p : NULL, lines->len);
	if (incl != NULL) {
		h.flags |= F_INCL;
		if (attr_u64(incl, "size", &h.isize) == 0)
			h.flags |= F_ISIZE;
		if (proof_of(incl, proof, &np) == 0) {
			h.flags |= F_PROOF;
			h.np = (uint32_t)np;
			if (rc == 0)
				rc = cairn_buf_add(b, proof, np * CAIRN_HASH_LEN);
		}
	}
	if (rc != 0) {
		b->len = at;
		return -1;
	}
	memcpy(b->p + at, &h, sizeof h);
	return 0;
}

/* The inclusion proof of a record in the end tree: 0 if it holds. */
static int
rec_inclusion(struct vx *v, const struct erec *h,
    const uint8_t (*proof)[CAIRN_HASH_LEN], const uint8_t leaf[CAIRN_HASH_LEN])
{
	if (!v->end.ok || !(h->flags & F_INCL) || !(h->flags & F_ISIZE) ||
	    h->isize != v->end.c.size || !(h->flags & F_PROOF))
		return -1;
	return cairn_merkle_verify_inclusion(leaf, h->seq, h->isize, proof,
	    h->np, v->end.c.root);
}

/* A link element's text (NULL: absent) against the entry's member. */
static int
rec_link(const char *text, const struct cairn_jview *jv, const char *member)
{
	const char *want = xstr(jv, 0, member);

	return text == NULL ? want == NULL : streq(text, want);
}

/* One entry record, in the entries (ctx 0) or context (ctx 1). */
static void
check_entry(struct vx *v, const struct erec *h, const char *const s[S_N],
    const uint8_t (*proof)[CAIRN_HASH_LEN])
{
	struct rsink sink;
	uint8_t leaf[CAIRN_HASH_LEN], link[CAIRN_HASH_LEN], zero[CAIRN_HASH_LEN];
	char hex[CAIRN_HEX_LEN + 1];
	const char *a_leaf = s[S_LEAF], *a_recv = s[S_RECV];
	const char *a_stream = s[S_STREAM], *a_source = s[S_SOURCE];
	const char *a_margin = s[S_MARGIN];
	const struct cairn_jview *jv = &v->jv;
	const char *recv, *margin;
	uint64_t seq = h->seq;
	int64_t jseq;
	int ev;
	size_t blen;
	int64_t r;
	int ok;

	memset(zero, 0, sizeof zero);
	if (!(h->flags & F_SEQ)) {
		bad(&v->env, "an entry without a valid seq");
		return;
	}
	if (!(h->flags & F_BYTES)) {
		bad(&v->env, "entry %" PRIu64 " has no bytes", seq);
		return;
	}
	blen = h->len[S_B64];
	v->bytes.len = 0;
	if (cairn_buf_reserve(&v->bytes, blen) != 0 ||
	    b64dec(s[S_B64], blen, v->bytes.p, v->bytes.cap, &blen) != 0 ||
	    blen > MAX_ENTRY) {
		bad(&v->env, "entry %" PRIu64 ": bytes are not base64", seq);
		return;
	}
	v->bytes.len = blen;
	cairn_leaf_hash(v->bytes.p, blen, leaf);
	cairn_hex(leaf, sizeof leaf, hex);
	if (!streq(a_leaf, hex))
		bad(&v->leaf, "entry %" PRIu64 ": leaf %s, its bytes hash to %s",
		    seq, a_leaf ? a_leaf : "(none)", hex);
	/* Hostile bytes too: the view reads canonical JSON or nothing. */
	if (cairn_jview_parse(&v->jv, v->bytes.p, blen) != 0 ||
	    cairn_jview_type(jv, ev = cairn_jview_get(jv, 0, "event")) !=
	    CAIRN_JV_OBJECT) {
		bad(&v->env, "entry %" PRIu64 ": bytes are not a canonical "
		    "entry", seq);
		return;
	}
	recv = xstr(jv, 0, "received");
	if (cairn_jview_int(jv, cairn_jview_get(jv, 0, "seq"), &jseq) != 0 ||
	    (uint64_t)jseq != seq || !streq(recv, a_recv) ||
	    !streq(xstr(jv, 0, "stream"), a_stream) ||
	    !streq(xstr(jv, 0, "source"), a_source))
		bad(&v->env, "entry %" PRIu64 ": attributes differ from its "
		    "bytes", seq);
	/* links, then the readable element */
	ok = rec_link(s[S_PREV], jv, "prev");
	ok &= rec_link(s[S_SPREV], jv, "stream_prev");
	ok &= rec_link(s[S_APREV], jv, "account_prev");
	v->l1.len = 0;
	readable_linesink(&sink, &v->l1);
	if (!ok || !(h->flags & F_TYPEL) || readable_walk(jv, ev, &sink) != 0 ||
	    !(h->flags & F_LINES) || v->l1.len != h->len[S_LINES] ||
	    memcmp(v->l1.p, s[S_LINES], v->l1.len) != 0)
		bad(&v->fields, "entry %" PRIu64 ": the readable fields are "
		    "not what its bytes say", seq);

	if (h->flags & F_CTX) {
		v->nctx++;
		if (seq >= (v->end.ok ? v->end.c.size : 0))
			bad(&v->ctx, "context entry %" PRIu64 " is beyond the "
			    "end tree", seq);
		else if (rec_inclusion(v, h, proof, leaf) != 0)
			bad(&v->proof, "context entry %" PRIu64 ": inclusion "
			    "proof fails", seq);
		if (fx_seen(&v->fx, seq) || (v->kind == CAIRN_EXPORT_HISTORY ?
		    streq(xstr(jv, ev, "account"), v->account) :
		    v->stream >= 0 && v->start.ok && seq >= v->start.c.size &&
		    streq(xstr(jv, 0, "stream"), cairn_stream_names[v->stream])))
			bad(&v->ctx, "context entry %" PRIu64 " repeats an "
			    "entry", seq);
		else if (fx_add(&v->fx, seq, recv, jv, ev, ROLE_CONTEXT) != 0)
			v->fx_ok = 0;
		return;
	}

	/* an exported entry: order, range, margin, chain */
	v->nentries++;
	if (v->chk != NULL)
		v->chk->entries++;
	if ((int64_t)seq <= v->prev_seq)
		bad(&v->env, "entry %" PRIu64 " out of order", seq);
	v->prev_seq = (int64_t)seq;
	r = xtime_us(recv);
	margin = r < v->from ? "before" : r >= v->to ? "after" : NULL;
	if (!(margin == NULL ? a_margin == NULL : streq(a_margin, margin)))
		bad(&v->env, "entry %" PRIu64 ": margin mark is wrong", seq);
	if (v->end.ok && seq >= v->end.c.size)
		bad(&v->env, "entry %" PRIu64 " is beyond the end tree", seq);
	if (v->kind == CAIRN_EXPORT_HISTORY) {
		if (!streq(xstr(jv, ev, "account"), v->account))
			bad(&v->env, "entry %" PRIu64 " is not about the "
			    "account", seq);
		if (xstr(jv, 0, "account_prev") == NULL ||
		    cairn_unhex(xstr(jv, 0, "account_prev"), CAIRN_HEX_LEN,
		    link, sizeof link) != 0)
			memset(link, 0, sizeof link);
		if (memcmp(link, v->have_prev ? v->link : zero,
		    CAIRN_HASH_LEN) != 0)
			bad(&v->chain, "entry %" PRIu64 ": account_prev does "
			    "not link to the entry before it%s", seq,
			    v->have_prev ? "" : " (the first must have none)");
		if (rec_inclusion(v, h, proof, leaf) != 0)
			bad(&v->proof, "entry %" PRIu64 ": inclusion proof "
			    "fails", seq);
		if (v->want_prev && v->prev_has_last &&
		    seq == v->prev_last_seq &&
		    memcmp(leaf, v->prev_last_leaf, CAIRN_HASH_LEN) == 0)
			v->found_prev = 1;
	} else {
		/* stream is -1 when the root's kind is unknown. */
		if (v->stream < 0 ||
		    !streq(a_stream, cairn_stream_names[v->stream]))
			bad(&v->env, "entry %" PRIu64 " is of another stream",
			    seq);
		if (v->start.ok && seq < v->start.c.size)
			bad(&v->env, "entry %" PRIu64 " is before the start "
			    "tree", seq);
		if (xstr(jv, 0, "stream_prev") == NULL ||
		    cairn_unhex(xstr(jv, 0, "stream_prev"), CAIRN_HEX_LEN,
		    link, sizeof link) != 0 ||
		    memcmp(link, v->link, CAIRN_HASH_LEN) != 0)
			bad(&v->chain, "entry %" PRIu64 ": stream_prev is not "
			    "the %s", seq, v->have_prev ? "leaf of the entry "
			    "before it" : "stream head in the start checkpoint");
		if (v->want_prev && v->hand.ok && seq < v->hand.c.size &&
		    memcmp(leaf, v->prev_head, CAIRN_HASH_LEN) == 0)
			v->found_prev = 1;
	}
	memcpy(v->link, leaf, CAIRN_HASH_LEN);
	v->have_prev = 1;
	memcpy(v->last_leaf, leaf, CAIRN_HASH_LEN);
	v->last_seq = seq;
	v->have_last = 1;
	if (margin == NULL) {
		if (summary_add(&v->sum, jv, ev, recv) != 0)
			v->fx_ok = 0;
	} else
		v->nmargin++;
	if (fx_add(&v->fx, seq, recv, jv, ev, margin ? ROLE_MARGIN : ROLE_IN) !=
	    0)
		v->fx_ok = 0;
}

/* Checks each record of a batch that extract_entry() made, in order. */
static void
check_batch(struct vx *v, const uint8_t *p, size_t len)
{
	const uint8_t *end = p + len;
	const char *s[S_N];
	struct erec h;
	int i;

	while (p < end) {
		memcpy(&h, p, sizeof h);
		p += sizeof h;
		for (i = 0; i < S_N; i++) {
			s[i] = h.flags & F_HAS(i) ? (const char *)p : NULL;
			p += h.len[i] + 1;
		}
		check_entry(v, &h, s, (const uint8_t (*)[CAIRN_HASH_LEN])p);
		p += (size_t)h.np * CAIRN_HASH_LEN;
	}
}

/*
 * The entry checker on a third thread: the reader copies entries into
 * batches, the checker checks them in order.  While a batch is queued or
 * being checked the checker alone touches the running state of the vx
 * (the bad counters, fx, sum, the chain, l1, bytes, jv); the reader waits
 * for it (ckr_sync()) before anything else that reads or says, so the
 * checks run in the order of the document as on one thread.  The ring,
 * head, count and t.closing are shared under mu.
 */
struct ckr {
	struct vx	*v;
	struct xthread	 t;	/* more: a batch waits, or closing; room: a
				 * batch was checked */
	struct cairn_buf ring[CK_NBUF];
	int		 head, count;	/* count: queued or being checked */
	int		 running;
	struct cairn_buf cur;		/* the batch being filled */
	struct cairn_buf lines;		/* extract_entry()'s scratch */
};

/* The checker thread: checks each batch handed over until closed. */
static void *
ckr_worker(void *arg)
{
	struct ckr *k = arg;
	struct cairn_buf *b;

	pthread_mutex_lock(&k->t.mu);
	for (;;) {
		while (k->count == 0 && !k->t.closing)
			pthread_cond_wait(&k->t.more, &k->t.mu);
		if (k->count == 0)
			break;
		b = &k->ring[k->head];
		pthread_mutex_unlock(&k->t.mu);
		check_batch(k->v, b->p, b->len);
		pthread_mutex_lock(&k->t.mu);
		b->len = 0;
		k->head = (k->head + 1) % CK_NBUF;
		k->count--;
		pthread_cond_signal(&k->t.room);
	}
	pthread_mutex_unlock(&k->t.mu);
	return NULL;
}

/* Starts the checker; without a thread the batches are checked in place. */
static void
ckr_start(struct ckr *k, struct vx *v)
{
	memset(k, 0, sizeof *k);
	k->v = v;
	if (xthread_start(&k->t, ckr_worker, k) != 0)
		return;
	k->running = 1;
}

/* Hands the batch being filled to the checker (no copy: buffers swap). */
static void
ckr_send(struct ckr *k)
{
	struct cairn_buf t;
	int slot;

	if (k->cur.len == 0)
		return;
	if (!k->running) {
		check_batch(k->v, k->cur.p, k->cur.len);
		k->cur.len = 0;
		return;
	}
	pthread_mutex_lock(&k->t.mu);
	while (k->count == CK_NBUF)
		pthread_cond_wait(&k->t.room, &k->t.mu);
	slot = (k->head + k->count) % CK_NBUF;
	t = k->ring[slot];
	k->ring[slot] = k->cur;
	k->cur = t;
	k->count++;
	pthread_cond_signal(&k->t.more);
	pthread_mutex_unlock(&k->t.mu);
}

/* Hands over what is filled and waits until every entry is checked. */
static void
ckr_sync(struct ckr *k)
{
	ckr_send(k);
	if (!k->running)
		return;
	pthread_mutex_lock(&k->t.mu);
	while (k->count > 0)
		pthread_cond_wait(&k->t.room, &k->t.mu);
	pthread_mutex_unlock(&k->t.mu);
}

/*
 * One entry element to check: copied into the batch, which goes to the
 * checker once full.  Out of memory, the batch goes now and the entry is
 * checked from a record of its own.
 */
static void
ckr_entry(struct ckr *k, xmlNodePtr n, int ctx)
{
	if (extract_entry(&k->cur, &k->lines, n, ctx) != 0) {
		ckr_sync(k);
		if (extract_entry(&k->cur, &k->lines, n, ctx) != 0) {
			bad(&k->v->env, "out of memory");
			return;
		}
	}
	if (k->cur.len >= CK_BATCH)
		ckr_send(k);
}

/* Checks what is left, stops the checker and frees the batches. */
static void
ckr_close(struct ckr *k)
{
	int i;

	ckr_sync(k);
	if (k->running) {
		xthread_stop(&k->t, &k->t.more);
		k->running = 0;
	}
	for (i = 0; i < CK_NBUF; i++)
		cairn_buf_free(&k->ring[i]);
	cairn_buf_free(&k->cur);
	cairn_buf_free(&k->lines);
}

/* Completeness once the entries are read. */
static void
check_complete(struct vx *v)
{
	uint64_t want;
	int s = v->stream;

	if (v->kind == CAIRN_EXPORT_HISTORY) {
		say_bad(v, &v->chain, CAIRN_ECORRUPT, "completeness",
		    "the account's chain runs from its first entry, unbroken");
		say(v, 1, 0, "account head", "not provable: checkpoints carry "
		    "stream heads, not account heads, so an entry newer than "
		    "seq %" PRIu64 " would not show here", v->have_last ?
		    v->last_seq : 0);
		return;
	}
	if (s < 0) {
		say(v, 0, CAIRN_EFORMAT, "completeness", "not checked: the "
		    "document names no known kind");
		return;
	}
	if (!v->start.ok || !v->end.ok) {
		say(v, 0, CAIRN_ECORRUPT, "completeness", "not checked: a "
		    "checkpoint failed");
		return;
	}
	if (v->chain.n == 0 &&
	    memcmp(v->link, v->end.c.head[s], CAIRN_HASH_LEN) != 0)
		bad(&v->chain, "the last entry is not the stream head in the "
		    "end checkpoint: entries are missing at the end");
	want = v->end.c.count[s] - v->start.c.count[s];
	if (v->end.c.count[s] < v->start.c.count[s] || want != v->nentries)
		bad(&v->chain, "%" PRIu64 " entries, the checkpoints' counts "
		    "say %" PRIu64, v->nentries, want);
	if (v->chain.n != 0)
		say_bad(v, &v->chain, CAIRN_ECORRUPT, "completeness", "");
	else
		say(v, 1, 0, "completeness", "stream %s: %" PRIu64 " entries "
		    "from the start head to the end head, every link",
		    cairn_stream_names[s], v->nentries);
}

struct cmp {
	struct cairn_buf *b;
};

static int
sum_line(void *a, const char *key, uint64_t n)
{
	return cairn_buf_printf(a, "%s=%" PRIu64 "\n", key, n) < 0 ? -1 : 0;
}

static void
check_summary(struct vx *v, xmlNodePtr n)
{
	xmlNodePtr by, c;
	uint64_t ent, mar;
	char *name, *key, *t;
	int i, ok = 1;

	v->saw_summary = 1;
	v->l1.len = v->l2.len = 0;
	for (i = 0; i < SUM_NBY; i++) {
		cairn_buf_printf(&v->l1, "[%s]\n", sum_by_names[i]);
		summary_each(&v->sum, i, sum_line, &v->l1);
	}
	for (by = first_elem(n->children); by != NULL; by = next_elem(by)) {
		name = attr(by, "name");
		cairn_buf_printf(&v->l2, "[%s]\n", name ? name : "");
		free(name);
		for (c = first_elem(by->children); c != NULL; c = next_elem(c)) {
			key = attr(c, "key");
			t = text(c);
			cairn_buf_printf(&v->l2, "%s=%s\n", key ? key : "",
			    t ? t : "");
			free(key);
			free(t);
		}
	}
	if (attr_u64(n, "entries", &ent) != 0 || ent != v->sum.entries ||
	    attr_u64(n, "margin", &mar) != 0 || mar != v->nmargin)
		ok = 0;
	if (!ok || !v->fx_ok || v->l1.len != v->l2.len ||
	    memcmp(v->l1.p, v->l2.p, v->l1.len) != 0)
		say(v, 0, CAIRN_ECORRUPT, "summary", "differs from the counts "
		    "recomputed from the entries");
	else
		say(v, 1, 0, "summary", "%" PRIu64 " entries in the period, %"
		    PRIu64 " margin, every count recomputed", v->sum.entries,
		    v->nmargin);
}

static void
check_findings(struct vx *v, xmlNodePtr n)
{
	const struct finding *f;
	xmlNodePtr e, c;
	char *a, *t;
	size_t i, j;
	uint64_t cnt;

	v->saw_findings = 1;
	if (fx_finish(&v->fx) != 0)
		v->fx_ok = 0;
	v->l1.len = v->l2.len = 0;
	for (i = 0; i < v->fx.nf; i++) {
		f = &v->fx.f[i];
		cairn_buf_printf(&v->l1, "%s|%s|%" PRIu64 "|%s|%s|",
		    rule_names[f->rule], rule_clauses[f->rule], f->seq,
		    f->account ? f->account : "", f->text);
		for (j = 0; j < f->nrefs; j++)
			cairn_buf_printf(&v->l1, "%" PRIu64 ",", f->refs[j]);
		cairn_buf_addc(&v->l1, '\n');
	}
	for (e = first_elem(n->children); e != NULL; e = next_elem(e)) {
		static const char *const at[] = { "rule", "clause", "seq",
		    "account" };

		for (i = 0; i < 4; i++) {
			a = attr(e, at[i]);
			cairn_buf_printf(&v->l2, "%s|", a ? a : "");
			free(a);
		}
		c = first_elem(e->children);
		t = is(c, "text") ? text(c) : NULL;
		cairn_buf_printf(&v->l2, "%s|", t ? t : "");
		free(t);
		for (c = next_elem(c); c != NULL; c = next_elem(c)) {
			a = attr(c, "seq");
			cairn_buf_printf(&v->l2, "%s,", a ? a : "");
			free(a);
		}
		cairn_buf_addc(&v->l2, '\n');
	}
	if (attr_u64(n, "count", &cnt) != 0 || cnt != v->fx.nf || !v->fx_ok ||
	    v->l1.len != v->l2.len || memcmp(v->l1.p, v->l2.p, v->l1.len) != 0)
		say(v, 0, CAIRN_ECORRUPT, "findings", "differ from the findings "
		    "recomputed from the entries and context (%zu recomputed)",
		    v->fx.nf);
	else
		say(v, 1, 0, "findings", "%zu finding(s), each recomputed",
		    v->fx.nf);
}

static void
check_last(struct vx *v, xmlNodePtr n)
{
	uint64_t seq;

	v->saw_last = 1;
	if (!v->have_last || attr_u64(n, "seq", &seq) != 0 ||
	    seq != v->last_seq ||
	    verify_inclusion(v, n, seq, v->last_leaf) != 0)
		say(v, 0, CAIRN_EPROOF, "last inclusion", "the last entry is "
		    "not proven in the end tree");
	else
		say(v, 1, 0, "last inclusion", "entry %" PRIu64 " is in the "
		    "signed tree of size %" PRIu64, seq, v->end.c.size);
}

static void
read_root(struct vx *v, xmlTextReaderPtr r)
{
	xmlChar *a;
	char *s;

	v->seen_root = 1;
#define GET(name) (a = xmlTextReaderGetAttribute(r, BAD_CAST name), \
	s = a ? strdup((char *)a) : NULL, xmlFree(a), s)
	s = GET("kind");
	v->kind = s ? cairn_export_kind_parse(s) : -1;
	if (v->chk != NULL && s != NULL)
		snprintf(v->chk->kind, sizeof v->chk->kind, "%s", s);
	free(s);
	v->stream = -1;
	if (v->kind >= 0 && v->kind != CAIRN_EXPORT_HISTORY)
		v->stream = cairn_stream_index(kind_stream(v->kind));
	free(v->account);
	v->account = GET("account");
	s = GET("from");
	v->from = xtime_us(s);
	free(s);
	s = GET("to");
	v->to = xtime_us(s);
	free(s);
	s = GET("origin");
	snprintf(v->origin, sizeof v->origin, "%s", s ? s : "");
	free(s);
	s = GET("late-after");
	{
		uint64_t late = s ? strtoull(s, NULL, 10) : 0;

		if (fx_init(&v->fx, v->kind < 0 ? 0 : v->kind, (int64_t)late,
		    UINT64_MAX) != 0 || summary_init(&v->sum) != 0)
			v->fx_ok = 0;
	}
	free(s);
#undef GET
	if (v->kind < 0 || v->from < 0 || v->to < 0 ||
	    (v->kind == CAIRN_EXPORT_HISTORY) != (v->account != NULL))
		say(v, 0, CAIRN_EFORMAT, "document", "not a Cairn export "
		    "(kind, account, period)");
}

static void
check_pubkey(struct vx *v, xmlNodePtr n)
{
	char b64[CAIRN_PUBKEY_B64_LEN + 1], id[2 * CAIRN_KEYID_LEN + 1];
	char *t = text(n);
	size_t k;

	for (k = 0; k < v->npub; k++) {
		cairn_pubkey_b64(&v->pubs[k], b64, sizeof b64);
		if (streq(t, b64))
			break;
	}
	if (k == v->npub)
		say(v, 0, CAIRN_EBADSIG, "public key", "the export names "
		    "another key than the one%s given", v->npub > 1 ? "s" : "");
	else if (v->npub > 1) {
		cairn_keyid_format(v->pubs[k].keyid, id);
		say(v, 1, 0, "public key", "one of the keys given (id %s)", id);
	} else
		say(v, 1, 0, "public key", "the key given");
	free(t);
}

/*
 * The semantic pass over the document zp decompresses; it closes zp, with
 * drain (see zp_close()).
 */
static void
content_read(struct vx *v, struct zpipe *zp, int drain)
{
	struct ckr k;
	xmlTextReaderPtr r;
	xmlNodePtr n;
	const char *name;
	int ret, depth, entry, inside = 0;	/* 1 entries, 2 context */

	r = xmlReaderForIO(zp_read, zin_xclose, zp, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_HUGE);
	if (r == NULL) {
		say(v, 0, CAIRN_ENOMEM, "content", "libxml2 reader");
		zp_close(zp, drain);
		return;
	}
	v->fx_ok = 1;
	v->prev_seq = -1;
	ckr_start(&k, v);
	ret = xmlTextReaderRead(r);
	while (ret == 1) {
		if (xmlTextReaderNodeType(r) != XML_READER_TYPE_ELEMENT) {
			if (xmlTextReaderNodeType(r) ==
			    XML_READER_TYPE_END_ELEMENT &&
			    xmlTextReaderDepth(r) == 1)
				inside = 0;
			ret = xmlTextReaderRead(r);
			continue;
		}
		depth = xmlTextReaderDepth(r);
		name = (const char *)xmlTextReaderConstLocalName(r);
		entry = depth == 2 && inside != 0 && strcmp(name, "entry") == 0;
		if (!entry)
			ckr_sync(&k);
		if (depth == 0) {
			if (strcmp(name, "export") != 0 ||
			    !streq((const char *)xmlTextReaderConstNamespaceUri(r),
			    XNS)) {
				say(v, 0, CAIRN_EFORMAT, "document", "not a "
				    "Cairn export");
				break;
			}
			read_root(v, r);
			ret = xmlTextReaderRead(r);
			continue;
		}
		if (depth == 1 && (strcmp(name, "entries") == 0 ||
		    strcmp(name, "context") == 0)) {
			inside = name[0] == 'e' ? 1 : 2;
			if (inside == 1) {
				v->saw_entries = 1;
				if (v->stream >= 0 && v->start.ok)
					memcpy(v->link,
					    v->start.c.head[v->stream],
					    CAIRN_HASH_LEN);
			}
			if (inside == 2)
				check_complete(v);
			if (xmlTextReaderIsEmptyElement(r))
				inside = 0;
			ret = xmlTextReaderRead(r);
			continue;
		}
		if ((n = xmlTextReaderExpand(r)) == NULL) {
			ret = -1;
			break;
		}
		if (entry)
			ckr_entry(&k, n, inside == 2);
		else if (depth == 1 && strcmp(name, "public-key") == 0)
			check_pubkey(v, n);
		else if (depth == 1 && strcmp(name, "start-checkpoint") == 0)
			read_checkpoint(v, n, &v->start, "start checkpoint");
		else if (depth == 1 && strcmp(name, "end-checkpoint") == 0) {
			read_checkpoint(v, n, &v->end, "end checkpoint");
			if (v->end.ok)
				v->fx.end_size = v->end.c.size;
		} else if (depth == 1 && strcmp(name, "handover") == 0)
			read_checkpoint(v, n, &v->hand, "handover checkpoint");
		else if (depth == 1 && strcmp(name, "consistency") == 0)
			read_consistency(v, n, &v->start, &v->end, "consistency");
		else if (depth == 1 && strcmp(name, "handover-consistency") == 0)
			read_consistency(v, n, &v->hand, &v->end,
			    "handover consistency");
		else if (depth == 1 && strcmp(name, "summary") == 0) {
			say_bad(v, &v->leaf, CAIRN_ECORRUPT, "leaf hashes",
			    "every entry's leaf hash recomputed from its bytes");
			say_bad(v, &v->fields, CAIRN_ECORRUPT, "readable fields",
			    "every entry's fields equal what its bytes say");
			say_bad(v, &v->env, CAIRN_ECORRUPT, "entries",
			    "seq, time, stream, source and margins agree with "
			    "the bytes and the period");
			say_bad(v, &v->proof, CAIRN_EPROOF, "inclusion proofs",
			    "every context entry is in the end tree");
			say_bad(v, &v->ctx, CAIRN_ECORRUPT, "context",
			    "context entries are distinct and in range");
			check_summary(v, n);
		} else if (depth == 1 && strcmp(name, "findings") == 0)
			check_findings(v, n);
		else if (depth == 1 && strcmp(name, "last-inclusion") == 0)
			check_last(v, n);
		ret = xmlTextReaderNext(r);
	}
	ckr_close(&k);
	xmlFreeTextReader(r);
	zp_close(zp, drain);
	if (ret < 0 || zp->failed)
		say(v, 0, CAIRN_EFORMAT, "document", "cannot be read to its "
		    "end%s%s", zp->failed ? ": " : "", zp->failed ?
		    zp->z.why : "");
	else if (!v->seen_root || !v->start.present || !v->end.present ||
	    !v->hand.present || !v->saw_summary || !v->saw_findings ||
	    (v->have_last && !v->saw_last))
		say(v, 0, CAIRN_EFORMAT, "document", "incomplete: a part of "
		    "the export is missing");
}

/* The semantic pass alone, after the others. */
static void
content_pass(struct vx *v, const char *path)
{
	struct zpipe zp;

	if (zp_start(&zp, path) != 0) {
		say(v, 0, CAIRN_EFORMAT, "content", "%s: %s", path, zp.z.why);
		return;
	}
	content_read(v, &zp, 0);
	zp_free(&zp);
}

/*
 * The signature file, and the key it names among those given: 0, or -1
 * once the failure is said.  The caller frees *sig.
 */
static int
sig_load(struct vx *v, const char *sigpath, const struct cairn_pubkey **pub,
    uint8_t **sig, size_t *siglen)
{
	uint8_t keyid[CAIRN_KEYID_LEN];
	char id[2 * CAIRN_KEYID_LEN + 1];
	size_t k;
	int rc;

	*pub = &v->pubs[0];
	*sig = NULL;
	if ((rc = cairn_read_file(sigpath, MAX_SIG, sig, siglen)) != 0) {
		say(v, 0, CAIRN_EBADSIG, "signature", "%s: cannot read: %s",
		    sigpath, rc > 0 ? strerror(rc) : cairn_strerror(rc));
		return -1;
	}
	/* The key the signature names, if it is one given. */
	if (cairn_minisign_keyid((const char *)*sig, *siglen, keyid) == 0) {
		for (k = 0; k < v->npub; k++)
			if (memcmp(v->pubs[k].keyid, keyid, CAIRN_KEYID_LEN) == 0)
				break;
		if (k == v->npub) {
			cairn_keyid_format(keyid, id);
			say(v, 0, CAIRN_EBADSIG, "signature", "minisign signature "
			    "does not verify with the key%s given: it is by key "
			    "id %s, which is not %s", v->npub > 1 ? "s" : "", id,
			    v->npub > 1 ? "among them" : "the key given");
			free(*sig);
			*sig = NULL;
			return -1;
		}
		*pub = &v->pubs[k];
	}
	return 0;
}

/* The signature against the hash of the file's bytes (rerr: not all read). */
static void
sig_check(struct vx *v, struct cairn_minisign *ms, int rerr,
    const struct cairn_pubkey *pub, const uint8_t *sig, size_t siglen,
    char *trusted, size_t tcap)
{
	char id[2 * CAIRN_KEYID_LEN + 1];
	int rc;

	rc = rerr ? CAIRN_EFORMAT : cairn_minisign_verify(ms, pub,
	    (const char *)sig, siglen, trusted, tcap);
	if (rc != 0) {
		trusted[0] = '\0';
		say(v, 0, CAIRN_EBADSIG, "signature", "minisign signature does "
		    "not verify with the key given: %s", cairn_strerror(rc));
	} else if (v->npub > 1) {
		cairn_keyid_format(pub->keyid, id);
		say(v, 1, 0, "signature", "minisign (prehashed Ed25519) by key "
		    "id %s, one of the keys given", id);
	} else
		say(v, 1, 0, "signature", "minisign (prehashed Ed25519) by the "
		    "key given");
}

/* Pass 1: the signature over the compressed bytes. */
static void
signature_pass(struct vx *v, const char *path, const char *sigpath,
    char *trusted, size_t tcap)
{
	struct cairn_minisign ms;
	const struct cairn_pubkey *pub;
	uint8_t *sig, buf[1 << 16];
	size_t siglen, n;
	FILE *f;
	int rerr;

	trusted[0] = '\0';
	if (sig_load(v, sigpath, &pub, &sig, &siglen) != 0)
		return;
	if ((f = fopen(path, "rb")) == NULL) {
		say(v, 0, CAIRN_EFORMAT, "signature", "%s: %s", path,
		    strerror(errno));
		free(sig);
		return;
	}
	cairn_minisign_init(&ms);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		cairn_minisign_update(&ms, buf, n);
	rerr = ferror(f);
	fclose(f);
	sig_check(v, &ms, rerr, pub, sig, siglen, trusted, tcap);
	free(sig);
}

/* Says what decompressing the whole file gave (n: its end, 0 or -1). */
static int
zstd_say(struct vx *v, const struct zin *z, int n)
{
	if (n < 0)
		say(v, 0, CAIRN_EFORMAT, "zstd", "%s", z->why);
	else
		say(v, 1, 0, "zstd", "one frame, content checksum verified, %"
		    PRIu64 " bytes of XML", z->out);
	return n < 0 ? -1 : 0;
}

/* Pass 2a: zstd alone, pass 2b: the XSD, streaming. */
static int
zstd_pass(struct vx *v, const char *path)
{
	struct zin z;
	char buf[1 << 16];
	int n;

	if (zin_open(&z, path) != 0) {
		say(v, 0, CAIRN_EFORMAT, "zstd", "%s: %s", path, z.why);
		zin_close(&z);
		return -1;
	}
	while ((n = zin_read(&z, buf, sizeof buf)) > 0)
		;
	n = zstd_say(v, &z, n);
	zin_close(&z);
	return n;
}

static void
schema_error(void *, const char *, ...) __attribute__((format(printf, 2, 3)));

static void
schema_error(void *ctx, const char *msg, ...)
{
	struct cairn_buf *b = ctx;
	va_list ap;
	char line[512];

	if (b->len > 2048)
		return;
	va_start(ap, msg);
	vsnprintf(line, sizeof line, msg, ap);
	va_end(ap);
	cairn_buf_adds(b, line);
}

static double
now_secs(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
schema_pass(struct vx *v, const char *path)
{
	xmlSchemaParserCtxtPtr pc;
	xmlSchemaPtr schema = NULL;
	xmlSchemaValidCtxtPtr vc = NULL;
	xmlTextReaderPtr r = NULL;
	struct cairn_buf err = { 0 };
	struct zin z;
	double t0 = now_secs();
	int ret = -1;

	if ((pc = xmlSchemaNewMemParserCtxt((const char *)cairn_export_xsd,
	    (int)cairn_export_xsd_len)) == NULL ||
	    (schema = xmlSchemaParse(pc)) == NULL ||
	    (vc = xmlSchemaNewValidCtxt(schema)) == NULL) {
		say(v, 0, CAIRN_EFORMAT, "schema", "the embedded schema does "
		    "not load");
		goto out;
	}
	xmlSchemaSetValidErrors(vc, schema_error, schema_error, &err);
	if (zin_open(&z, path) != 0) {
		say(v, 0, CAIRN_EFORMAT, "schema", "%s", z.why);
		zin_close(&z);
		goto out;
	}
	if ((r = xmlReaderForIO(zin_read, zin_xclose, &z, NULL, NULL,
	    XML_PARSE_NONET | XML_PARSE_HUGE)) != NULL) {
		xmlTextReaderSetErrorHandler(r, NULL, NULL);
		if (xmlTextReaderSchemaValidateCtxt(r, vc, 0) == 0)
			while ((ret = xmlTextReaderRead(r)) == 1)
				;
		if (ret == 0 && xmlTextReaderIsValid(r) != 1)
			ret = -1;
		xmlFreeTextReader(r);
	}
	zin_close(&z);
	if (v->chk != NULL)
		v->chk->schema_secs = now_secs() - t0;
	if (ret != 0) {
		while (err.len > 0 && (err.p[err.len - 1] == '\n'))
			err.len--;
		cairn_buf_addc(&err, 0);
		say(v, 0, CAIRN_EFORMAT, "schema", "not valid against "
		    "export-1.xsd: %s", err.len > 1 ? (char *)err.p :
		    "cannot be read");
	} else
		say(v, 1, 0, "schema", "valid against export-1.xsd "
		    "(streaming, %.2f s)", now_secs() - t0);
out:
	cairn_buf_free(&err);
	xmlSchemaFreeValidCtxt(vc);
	xmlSchemaFree(schema);
	xmlSchemaFreeParserCtxt(pc);
}

/* The trusted comment says what the document says. */
static void
check_trusted(struct vx *v, const char *trusted)
{
	char want[512];

	if (trusted[0] == '\0' || !v->end.ok || v->kind < 0)
		return;
	trusted_comment(want, sizeof want, v->kind, v->account, v->from, v->to,
	    v->nentries, v->end.c.size, v->end.c.root);
	if (strcmp(want, trusted) != 0)
		say(v, 0, CAIRN_EBADSIG, "trusted comment", "\"%s\" does not "
		    "describe this document (\"%s\")", trusted, want);
	else
		say(v, 1, 0, "trusted comment", "%s", trusted);
}

static void
vx_free(struct vx *v)
{
	fx_free(&v->fx);
	summary_free(&v->sum);
	free(v->start.note);
	free(v->end.note);
	free(v->hand.note);
	free(v->account);
	cairn_buf_free(&v->l1);
	cairn_buf_free(&v->l2);
	cairn_buf_free(&v->bytes);
	cairn_buf_free(&v->tmp);
	cairn_buf_free(&v->held);
	cairn_jview_free(&v->jv);
}

/*
 * Passes 1, 2a and 3 on one read of the file (no schema pass between
 * them), saying what the three would say in their order: the content
 * pass's lines are held until the signature and zstd lines are known.
 * -1, having said nothing, if the file cannot be opened or the worker
 * started.
 */
static int
one_pass(struct vx *v, const char *path, const char *sigpath, char *trusted,
    size_t tcap)
{
	struct zpipe zp;
	const struct cairn_pubkey *pub;
	uint8_t *sig;
	size_t siglen;
	int sigok;

	trusted[0] = '\0';
	if (zp_start(&zp, path) != 0)
		return -1;
	sigok = sig_load(v, sigpath, &pub, &sig, &siglen) == 0;
	v->hold = 1;
	content_read(v, &zp, 1);
	v->hold = 0;
	if (sigok)
		sig_check(v, &zp.ms, zp.z.rerr, pub, sig, siglen, trusted,
		    tcap);
	if (zstd_say(v, &zp.z, zp.zrc) != 0)
		say(v, 0, CAIRN_EFORMAT, "schema", "not checked: the zstd "
		    "data is damaged");
	say_held(v);
	zp_free(&zp);
	free(sig);
	return 0;
}

static void
run(struct vx *v, const char *path, const char *sigpath, int schema)
{
	char trusted[CAIRN_MINISIGN_TRUSTED_MAX + 1];
	double t0 = now_secs();

	if (!schema && one_pass(v, path, sigpath, trusted,
	    sizeof trusted) == 0) {
		if (v->chk != NULL)
			v->chk->check_secs = now_secs() - t0;
		check_trusted(v, trusted);
		return;
	}
	signature_pass(v, path, sigpath, trusted, sizeof trusted);
	if (zstd_pass(v, path) != 0)
		/* Damaged data cannot be valid; and libxml2's validator
		 * leaks when its input fails mid-stream. */
		say(v, 0, CAIRN_EFORMAT, "schema", "not checked: the zstd "
		    "data is damaged");
	else if (schema)
		schema_pass(v, path);
	t0 = now_secs();
	content_pass(v, path);
	if (v->chk != NULL)
		v->chk->check_secs = now_secs() - t0;
	check_trusted(v, trusted);
}

/* libxml2's own messages: the checks report what matters, once. */
static void
quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

static void
quiet_structured(void *ctx, xmlErrorPtr e)
{
	(void)ctx;
	(void)e;
}

int
cairn_export_verify(const struct cairn_pubkey *pub,
    struct cairn_export_check *chk)
{
	return cairn_export_verify_keys(pub, 1, chk);
}

int
cairn_export_verify_keys(const struct cairn_pubkey *pubs, size_t npub,
    struct cairn_export_check *chk)
{
	struct vx v, p;
	struct cairn_export_check pchk;
	char sig[PATH_MAX], psig[PATH_MAX];
	int rc;

	if (npub == 0)
		return CAIRN_EINVAL;
	xmlSetGenericErrorFunc(NULL, quiet);
	xmlSetStructuredErrorFunc(NULL, quiet_structured);
	memset(&v, 0, sizeof v);
	v.pubs = pubs;
	v.npub = npub;
	v.chk = chk;
	chk->entries = 0;
	snprintf(sig, sizeof sig, "%s.minisig", chk->path);
	if (chk->previous != NULL) {
		/* The older export first: it must verify on its own. */
		memset(&p, 0, sizeof p);
		memset(&pchk, 0, sizeof pchk);
		pchk.say = chk->say;
		pchk.arg = chk->arg;
		p.pubs = pubs;
		p.npub = npub;
		p.chk = &pchk;
		p.quiet = 1;
		snprintf(psig, sizeof psig, "%s.minisig", chk->previous);
		run(&p, chk->previous, chk->prevsig ? chk->prevsig : psig,
		    !chk->skip_schema);
		if (p.failed)
			say(&v, 0, p.rc, "previous", "%s does not verify",
			    chk->previous);
		else {
			say(&v, 1, 0, "previous", "%s verifies (%s, %" PRIu64
			    " entries)", chk->previous, pchk.kind, p.nentries);
			v.want_prev = 1;
			v.prev_kind = p.kind;
			if (p.stream >= 0)
				memcpy(v.prev_head, p.end.c.head[p.stream],
				    CAIRN_HASH_LEN);
			v.prev_has_last = p.have_last;
			v.prev_last_seq = p.last_seq;
			memcpy(v.prev_last_leaf, p.last_leaf, CAIRN_HASH_LEN);
		}
		run(&v, chk->path, chk->sigpath ? chk->sigpath : sig,
		    !chk->skip_schema);
		if (!p.failed) {
			if (p.kind != v.kind || (v.kind == CAIRN_EXPORT_HISTORY &&
			    !streq(p.account, v.account)))
				say(&v, 0, CAIRN_EINVAL, "previous: kind",
				    "the two exports are of different kinds or "
				    "accounts");
			else if (!v.hand.ok || !p.end.ok ||
			    p.end.c.size != v.hand.c.size ||
			    memcmp(p.end.c.root, v.hand.c.root,
			    CAIRN_HASH_LEN) != 0)
				say(&v, 0, CAIRN_EPROOF, "previous: checkpoint",
				    "the previous export's end checkpoint (size "
				    "%" PRIu64 ") is not this export's handover "
				    "checkpoint (size %" PRIu64 "): the log was "
				    "rewritten or the exports do not follow each "
				    "other", p.end.c.size, v.hand.c.size);
			else {
				say(&v, 1, 0, "previous: checkpoint", "its end "
				    "checkpoint is this export's handover (tree "
				    "size %" PRIu64 ")", v.hand.c.size);
				if (v.kind == CAIRN_EXPORT_HISTORY ?
				    (!p.have_last || v.found_prev) :
				    (v.found_prev || (v.start.ok &&
				    memcmp(v.start.c.head[v.stream], v.prev_head,
				    CAIRN_HASH_LEN) == 0)))
					say(&v, 1, 0, "previous: chain", "the "
					    "chain continues across the two "
					    "exports");
				else
					say(&v, 0, CAIRN_ECORRUPT,
					    "previous: chain", "the previous "
					    "export's last entry is not in this "
					    "export's chain");
			}
			if (p.to != v.from)
				say(&v, 1, 0, "previous: period", "note: the "
				    "periods do not abut");
		}
		vx_free(&p);
	} else
		run(&v, chk->path, chk->sigpath ? chk->sigpath : sig,
		    !chk->skip_schema);
	rc = v.failed ? (v.rc ? v.rc : CAIRN_EINVAL) : 0;
	vx_free(&v);
	return rc;
}

struct _xmlDoc *
cairn_export_read_doc(const char *path, char *err, size_t errlen)
{
	struct zin z;
	xmlDocPtr d = NULL;

	if (zin_open(&z, path) == 0)
		d = xmlReadIO(zin_read, zin_xclose, &z, path, NULL,
		    XML_PARSE_NONET | XML_PARSE_HUGE);
	if (d == NULL || z.err) {
		snprintf(err, errlen, "%s: %s", path, z.why[0] ? z.why :
		    "not well-formed XML");
		xmlFreeDoc(d);
		d = NULL;
	}
	zin_close(&z);
	return d;
}
