/*
 * pgread.c: key lookups in an LMDB database by pread(2) of its pages (see
 * pgread.h for why and within which limits).
 *
 * The layout read here, from liblmdb 0.9's mdb.c (64-bit, PAGEBASE 0):
 *
 *   MDB_page  0 pgno (8 bytes)  8 pad  10 flags  12 lower  14 upper
 *             16 ptrs[n]: offsets of the nodes, n = (lower - 16) / 2
 *   MDB_node  0 lo  2 hi  4 flags  6 ksize  8 key, then the value
 *             leaf: value size lo | hi << 16; branch: child page
 *             lo | hi << 16 | flags << 32, node 0's key standing for
 *             "lower than all"
 *   MDB_db    0 pad (4)  4 flags (2)  6 depth (2)  8 branch, leaf,
 *             overflow pages, entries, root (8 bytes each): 48 bytes
 *
 * All fields in the machine's byte order; read with memcpy, so alignment
 * does not matter.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cairn.h"
#include "pgread.h"

#define PAGEHDR		16
#define NODEHDR		8
#define P_BRANCH	0x01
#define P_LEAF		0x02
/* P_OVERFLOW 0x04, P_META 0x08, P_LEAF2 0x20, P_SUBP 0x40: not read here
 * (P_DIRTY 0x10 is cleared before a page is written). */
#define DBREC_LEN	48
/* lmdb.h's MDB_REVERSEKEY | MDB_DUPSORT | MDB_INTEGERKEY | MDB_DUPFIXED |
 * MDB_INTEGERDUP | MDB_REVERSEDUP: another order, or duplicates. */
#define DB_UNPLAIN	0x7e

static uint16_t
u16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

static uint64_t
u64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof v);
	return v;
}

/* Page p's header: its own number pgno, the kind wanted (a branch or a
 * leaf page of a plain database), its array of node offsets within it. */
static int
hdr_ok(const struct cairn_pgread *r, const uint8_t *p, uint64_t pgno,
    int leaf)
{
	size_t lower = u16(p + 12), upper = u16(p + 14);

	return u64(p) == pgno && (u16(p + 10) & (P_BRANCH | P_LEAF | 0x6c)) ==
	    (leaf ? P_LEAF : P_BRANCH) && lower >= PAGEHDR + 2 &&
	    lower <= upper && upper <= r->psize && (lower & 1) == 0;
}

/* Node i of page p, its header and key within the page; NULL if not. */
static const uint8_t *
node(const struct cairn_pgread *r, const uint8_t *p, size_t i)
{
	size_t off = u16(p + PAGEHDR + 2 * i);

	if (off < u16(p + 14) || off + NODEHDR > r->psize ||
	    off + NODEHDR + u16(p + off + 6) > r->psize)
		return NULL;
	return p + off;
}

/* A branch node's child page. */
static uint64_t
child(const uint8_t *nd)
{
	return (uint64_t)u16(nd) | (uint64_t)u16(nd + 2) << 16 |
	    (uint64_t)u16(nd + 4) << 32;
}

/* Leaf node nd's value on page p: 0, or -1 if it is elsewhere (overflow
 * pages, a sub-database) or would run past the page. */
static int
value(const struct cairn_pgread *r, const uint8_t *p, const uint8_t *nd,
    const uint8_t **data, size_t *len)
{
	size_t dsz = (size_t)u16(nd) | (size_t)u16(nd + 2) << 16;

	if (u16(nd + 4) != 0 ||
	    NODEHDR + u16(nd + 6) + dsz > r->psize - (size_t)(nd - p))
		return -1;
	*data = nd + NODEHDR + u16(nd + 6);
	*len = dsz;
	return 0;
}

int
cairn_pgread_init(struct cairn_pgread *r, int fd, size_t psize)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->psize = psize;
	/* A 32-bit build has 4-byte page numbers: not read here. */
	if (sizeof(size_t) != 8 || psize < 512 || psize > 65536) {
		r->psize = 0;
		return 0;
	}
	if (fd >= 0 && (r->buf = malloc(psize * CAIRN_PGREAD_DEPTH)) == NULL)
		return CAIRN_ENOMEM;
	return 0;
}

void
cairn_pgread_free(struct cairn_pgread *r)
{
	free(r->buf);
	r->buf = NULL;
	r->depth = 0;
}

void
cairn_pgread_root(struct cairn_pgread *r, const void *rec, size_t len)
{
	const uint8_t *p = rec;
	unsigned i;

	r->depth = 0;
	for (i = 0; i < CAIRN_PGREAD_DEPTH; i++)
		r->have[i] = UINT64_MAX;
	if (r->psize == 0 || rec == NULL || len != DBREC_LEN ||
	    (u16(p + 4) & DB_UNPLAIN) != 0 || u16(p + 6) > CAIRN_PGREAD_DEPTH)
		return;
	r->root = u64(p + 40);
	r->depth = u16(p + 6);
	if (r->depth == 0)	/* empty: LMDB says so too */
		r->root = UINT64_MAX;
}

/* Page pgno into level lvl's buffer, checked; NULL: ask LMDB. */
static const uint8_t *
page(struct cairn_pgread *r, unsigned lvl, uint64_t pgno, int leaf)
{
	uint8_t *p = r->buf + (size_t)lvl * r->psize;
	size_t i, n;
	ssize_t got;

	if (r->have[lvl] != pgno) {
		r->have[lvl] = UINT64_MAX;
		if (pgno > (uint64_t)INT64_MAX / r->psize)
			return NULL;
		do
			got = pread(r->fd, p, r->psize,
			    (off_t)(pgno * r->psize));
		while (got < 0 && errno == EINTR);
		if (got != (ssize_t)r->psize || !hdr_ok(r, p, pgno, leaf))
			return NULL;
		/* Every node's header and key within the page. */
		n = (u16(p + 12) - PAGEHDR) / 2;
		for (i = 0; i < n; i++)
			if (node(r, p, i) == NULL)
				return NULL;
		r->preads++;
		r->have[lvl] = pgno;
	}
	return p;
}

/* memcmp order, the shorter first on a tie (LMDB's default). */
static int
keycmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);

	if (c != 0)
		return c;
	return al < bl ? -1 : al > bl;
}

int
cairn_pgread_get(struct cairn_pgread *r, const uint8_t *key, size_t klen,
    const uint8_t **data, size_t *len)
{
	const uint8_t *p, *nd;
	uint64_t pgno = r->root;
	size_t n, lo, hi, mid, best;
	unsigned lvl;
	int c;

	if (r->depth == 0 || r->buf == NULL)
		return CAIRN_PGREAD_USE_LMDB;
	if (pgno == UINT64_MAX)
		return CAIRN_ENOTFOUND;
	for (lvl = 0; lvl + 1 < r->depth; lvl++) {
		if ((p = page(r, lvl, pgno, 0)) == NULL)
			return CAIRN_PGREAD_USE_LMDB;
		/* The last node whose key is <= key; node 0 is below all. */
		n = (u16(p + 12) - PAGEHDR) / 2;
		best = 0;
		lo = 1;
		hi = n;
		while (lo < hi) {
			mid = lo + (hi - lo) / 2;
			nd = p + u16(p + PAGEHDR + 2 * mid);
			if (keycmp(nd + NODEHDR, u16(nd + 6), key, klen) <= 0) {
				best = mid;
				lo = mid + 1;
			} else
				hi = mid;
		}
		pgno = child(p + u16(p + PAGEHDR + 2 * best));
	}
	if ((p = page(r, lvl, pgno, 1)) == NULL)
		return CAIRN_PGREAD_USE_LMDB;
	n = (u16(p + 12) - PAGEHDR) / 2;
	lo = 0;
	hi = n;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		nd = p + u16(p + PAGEHDR + 2 * mid);
		c = keycmp(nd + NODEHDR, u16(nd + 6), key, klen);
		if (c < 0)
			lo = mid + 1;
		else if (c > 0)
			hi = mid;
		else
			return value(r, p, nd, data, len) == 0 ? 0 :
			    CAIRN_PGREAD_USE_LMDB;
	}
	return CAIRN_ENOTFOUND;
}

/*
 * cairn_pgread_mapv: the same descent over the memory map, for a group of
 * keys at a time.  Each step of every key's search in the group is taken
 * before the next step of any, and the line the next step will load is
 * prefetched meanwhile, so the cache and TLB misses of cold pages (a long
 * history's entries lie on leaves and branch pages nobody read lately)
 * wait side by side instead of one after another.  Pages are checked as
 * they are used: the header when a page is entered, a node's offset and
 * key when the search reads it.
 */
#define MAPV_GROUP	16

struct mkey {
	uint64_t	 key;		/* the seq */
	const uint8_t	*p;		/* its page at this level */
	size_t		 lo, hi, best, mid;
	const uint8_t	*nd;		/* node at mid */
	int		 st;		/* 1 searching, 0 done, -1 ask LMDB */
};

/* Page pgno of the map, its header checked; NULL: ask LMDB. */
static const uint8_t *
mpage(const struct cairn_pgread *r, const uint8_t *map, uint64_t npages,
    uint64_t pgno, int leaf)
{
	const uint8_t *p;

	if (pgno >= npages)
		return NULL;
	p = map + pgno * r->psize;
	return hdr_ok(r, p, pgno, leaf) ? p : NULL;
}

/* Node key against k: <0, 0, >0; 2 for a key that is not 8 bytes. */
static int
mcmp(const uint8_t *nd, uint64_t k)
{
	uint64_t v;

	if (u16(nd + 6) != 8)
		return 2;
	memcpy(&v, nd + NODEHDR, sizeof v);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v < k ? -1 : v > k;
}

static void
prefetch(const void *p)
{
	__builtin_prefetch(p, 0, 0);
}

/* One level for the group: search every key's page, in lockstep. */
static void
mlevel(const struct cairn_pgread *r, struct mkey *g, size_t n, int leaf)
{
	size_t j, active;
	int c;

	for (j = 0; j < n; j++) {
		if (g[j].st != 1)
			continue;
		g[j].lo = leaf ? 0 : 1;
		g[j].hi = (u16(g[j].p + 12) - PAGEHDR) / 2;
		g[j].best = leaf ? SIZE_MAX : 0;
	}
	for (;;) {
		/* The offsets of the middle nodes, then the nodes. */
		active = 0;
		for (j = 0; j < n; j++) {
			if (g[j].st != 1 || g[j].lo >= g[j].hi)
				continue;
			g[j].mid = g[j].lo + (g[j].hi - g[j].lo) / 2;
			prefetch(g[j].p + PAGEHDR + 2 * g[j].mid);
			active++;
		}
		if (active == 0)
			break;
		for (j = 0; j < n; j++) {
			if (g[j].st != 1 || g[j].lo >= g[j].hi)
				continue;
			if ((g[j].nd = node(r, g[j].p, g[j].mid)) == NULL) {
				g[j].st = -1;
				continue;
			}
			prefetch(g[j].nd + 6);
		}
		for (j = 0; j < n; j++) {
			if (g[j].st != 1 || g[j].lo >= g[j].hi)
				continue;
			if ((c = mcmp(g[j].nd, g[j].key)) == 2) {
				g[j].st = -1;
				continue;
			}
			if (leaf && c == 0) {
				g[j].best = g[j].mid;
				g[j].lo = g[j].hi;
			} else if (c <= 0 && !leaf) {
				g[j].best = g[j].mid;
				g[j].lo = g[j].mid + 1;
			} else if (c < 0)
				g[j].lo = g[j].mid + 1;
			else
				g[j].hi = g[j].mid;
		}
	}
}

void
cairn_pgread_mapv(const struct cairn_pgread *r, const uint8_t *map,
    uint64_t npages, const uint64_t *keys, size_t n, const uint8_t **data,
    size_t *len)
{
	struct mkey g[MAPV_GROUP];
	const uint8_t *nd;
	size_t i, j, m;
	unsigned lvl;

	for (i = 0; i < n; i++)
		data[i] = NULL;
	if (r->depth == 0 || r->root == UINT64_MAX || map == NULL ||
	    npages > UINT64_MAX / r->psize)
		return;
	for (i = 0; i < n; i += m) {
		m = n - i < MAPV_GROUP ? n - i : MAPV_GROUP;
		for (j = 0; j < m; j++) {
			g[j].key = keys[i + j];
			g[j].st = 1;
			g[j].p = mpage(r, map, npages, r->root, r->depth == 1);
			if (g[j].p == NULL)
				g[j].st = -1;
		}
		for (lvl = 0; lvl < r->depth; lvl++) {
			mlevel(r, g, m, lvl + 1 == r->depth);
			if (lvl + 1 == r->depth)
				break;
			/* Every key's child: prefetch all, then check. */
			for (j = 0; j < m; j++) {
				if (g[j].st != 1)
					continue;
				if ((nd = node(r, g[j].p, g[j].best)) == NULL) {
					g[j].st = -1;
					continue;
				}
				g[j].mid = (size_t)child(nd);
				if (g[j].mid < npages)
					prefetch(map + g[j].mid * r->psize);
			}
			for (j = 0; j < m; j++) {
				if (g[j].st != 1)
					continue;
				g[j].p = mpage(r, map, npages, g[j].mid,
				    lvl + 2 == r->depth);
				if (g[j].p == NULL)
					g[j].st = -1;
			}
		}
		for (j = 0; j < m; j++)
			if (g[j].st == 1 && g[j].best != SIZE_MAX &&
			    (nd = node(r, g[j].p, g[j].best)) != NULL &&
			    value(r, g[j].p, nd, &data[i + j], &len[i + j]) == 0)
				prefetch(data[i + j]);
	}
}
