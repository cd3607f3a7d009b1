/*
 * test_merkle.c: the RFC 9162 Merkle tree against published test vectors
 * and against a naive implementation written straight from the RFC.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merkle.h"

#define N	300	/* leaves in the exhaustive tree */
#define FULL	64	/* trees up to this size get every mutation */
#define HL	CAIRN_HASH_LEN

/*
 * Check's ck_assert_* record a mark point through a pipe on every
 * success, which makes the exhaustive loops slow; these only report
 * failures.
 */
#define REQUIRE(cond, fmt, ...) do {					\
	if (!(cond))							\
		ck_abort_msg("%s: " fmt, #cond, __VA_ARGS__);		\
} while (0)
#define MUSTFAIL(call) do {						\
	int rc_ = (call);						\
	if (rc_ != CAIRN_EPROOF)					\
		ck_abort_msg("(%ju, %ju) %s returned %d, want "		\
		    "CAIRN_EPROOF", (uintmax_t)cur_a, (uintmax_t)cur_b,	\
		    #call, rc_);					\
} while (0)

static uint64_t cur_a, cur_b;	/* the proof being mutated */

/* An in-memory node store, indexed by cairn_merkle_pos(). */
struct store {
	uint8_t		(*h)[HL];
	uint64_t	 count;		/* nodes stored */
	uint64_t	 next;		/* position the next emit must have */
	int		 bad_order;	/* an emit came out of order */
	uint64_t	 limit;		/* leaves of the tree being queried */
	unsigned	 fetches;
	int		 fail;		/* fail fetching (fail_level, fail_index) */
	unsigned	 fail_level;
	uint64_t	 fail_index;
};

static struct store st;
static uint8_t leaves[N][HL];
static uint8_t (*memo)[HL];	/* naive MTH(D[a:b]) at a * (N + 1) + b */
static uint8_t *memo_ok;
static struct cairn_frontier *frontiers;	/* [n]: frontier of size n */

/* The published leaf inputs (transparency-dev/merkle testonly). */
static const char *const vec_leaves[8] = {
	"", "00", "10", "2021", "3031", "40414243", "5051525354555657",
	"606162636465666768696a6b6c6d6e6f",
};

/* Their complete-subtree hashes by level (testonly NodeHashes()). */
static const char *const vec_nodes[4][8] = {
	{
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
	"07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	"4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
	"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
	}, {
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	}, {
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
	}, {
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
	},
};

/* Roots for sizes 0..8 (testonly RootHashes()). */
static const char *const vec_roots[9] = {
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
	"aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
	"4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
	"76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
	"ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
	"5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
};

/* Published proofs (transparency-dev/merkle proof/verify_test.go). */
struct vec_proof {
	uint64_t	 a, b;		/* (index, size) or (old, new) */
	size_t		 n;
	const char	*p[3];
};

/* Inclusion: the Go table's 1-based leaf numbers made 0-based. */
static const struct vec_proof vec_incl[] = {
	{ 0, 8, 3, {
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 5, 8, 3, {
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 3, 1, {
	"fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125" } },
	{ 1, 5, 3, {
	"6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 0, 1, 0, { NULL } },
};

static const struct vec_proof vec_cons[] = {
	{ 1, 1, 0, { NULL } },
	{ 1, 8, 3, {
	"96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4" } },
	{ 6, 8, 3, {
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
	{ 2, 5, 2, {
	"5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
	"bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b" } },
	{ 6, 7, 3, {
	"0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
	"b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
	"d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7" } },
};

/* Decode a 64-digit hex hash or fail the test. */
static void
unhex32(const char *s, uint8_t out[HL])
{
	ck_assert_int_eq(cairn_unhex(s, strlen(s), out, HL), 0);
}

/* Node fetcher over st; refuses nodes outside the queried tree. */
static int
get_node(void *ctx, unsigned level, uint64_t index, uint8_t out[HL])
{
	struct store *s = ctx;
	uint64_t pos;

	s->fetches++;
	if (s->fail && level == s->fail_level && index == s->fail_index)
		return CAIRN_ECORRUPT;
	/* Only complete subtrees of the first limit leaves exist. */
	if (level >= 63 || index >= (s->limit >> level) ||
	    ((index + 1) << level) > s->limit)
		return CAIRN_ENOTFOUND;
	pos = cairn_merkle_pos(level, index);
	if (pos >= s->count)
		return CAIRN_ENOTFOUND;
	memcpy(out, s->h[pos], HL);
	return 0;
}

/* Emit callback that stores nodes, checking they arrive at 0, 1, 2, ... */
static int
put_node(void *ctx, unsigned level, uint64_t index, const uint8_t h[HL])
{
	struct store *s = ctx;

	if (cairn_merkle_pos(level, index) != s->next)
		s->bad_order = 1;
	memcpy(s->h[s->next], h, HL);
	s->next++;
	s->count = s->next;
	return 0;
}

/* Emit callback that fails on the first parent node. */
static int
put_fail(void *ctx, unsigned level, uint64_t index, const uint8_t h[HL])
{
	(void)ctx;
	(void)index;
	(void)h;
	return level > 0 ? CAIRN_EFULL : 0;
}

/* Bit length of x. */
static unsigned
bitlen(uint64_t x)
{
	unsigned b = 0;

	for (; x != 0; x >>= 1)
		b++;
	return b;
}

/* Naive MTH(D[a:b]), RFC 9162 2.1.1, memoized. */
static const uint8_t *
mth(size_t a, size_t b)
{
	size_t n = b - a, k = 1, i = a * (N + 1) + b;

	if (memo_ok[i])
		return memo[i];
	if (n == 0)
		cairn_sha256("", 0, memo[i]);
	else if (n == 1)
		memcpy(memo[i], leaves[a], HL);
	else {
		/* k is the largest power of two smaller than n. */
		while (k * 2 < n)
			k *= 2;
		cairn_node_hash(mth(a, a + k), mth(a + k, b), memo[i]);
	}
	memo_ok[i] = 1;
	return memo[i];
}

/* Naive PATH(m, D[a:b]), RFC 9162 2.1.3.1. */
static void
naive_path(size_t m, size_t a, size_t b, uint8_t out[][HL], size_t *cnt)
{
	size_t n = b - a, k = 1;

	if (n == 1)
		return;
	while (k * 2 < n)
		k *= 2;
	if (m < k) {
		naive_path(m, a, a + k, out, cnt);
		memcpy(out[(*cnt)++], mth(a + k, b), HL);
	} else {
		naive_path(m - k, a + k, b, out, cnt);
		memcpy(out[(*cnt)++], mth(a, a + k), HL);
	}
}

/* Naive SUBPROOF(m, D[a:b], flag), RFC 9162 2.1.4.1. */
static void
naive_subproof(size_t m, size_t a, size_t b, int flag, uint8_t out[][HL],
    size_t *cnt)
{
	size_t n = b - a, k = 1;

	if (m == n) {
		if (!flag)
			memcpy(out[(*cnt)++], mth(a, b), HL);
		return;
	}
	while (k * 2 < n)
		k *= 2;
	if (m <= k) {
		naive_subproof(m, a, a + k, flag, out, cnt);
		memcpy(out[(*cnt)++], mth(a + k, b), HL);
	} else {
		naive_subproof(m - k, a + k, b, 0, out, cnt);
		memcpy(out[(*cnt)++], mth(a, a + k), HL);
	}
}

/* Naive PROOF(m, D[n]) for 0 < m < n; empty otherwise. */
static void
naive_proof(size_t m, size_t n, uint8_t out[][HL], size_t *cnt)
{
	*cnt = 0;
	if (m > 0 && m < n)
		naive_subproof(m, 0, n, 1, out, cnt);
}

/* Fill leaves: the 8 published inputs, then "cairn leaf <i>". */
static void
make_leaves(void)
{
	uint8_t d[16];
	char s[32];
	size_t i, len;
	int l;

	for (i = 0; i < N; i++) {
		if (i < 8) {
			len = strlen(vec_leaves[i]) / 2;
			if (cairn_unhex(vec_leaves[i], 2 * len, d, len) != 0)
				abort();
			cairn_leaf_hash(d, len, leaves[i]);
		} else {
			l = snprintf(s, sizeof s, "cairn leaf %zu", i);
			cairn_leaf_hash(s, (size_t)l, leaves[i]);
		}
	}
}

/* Build st by pushing all leaves, keeping the frontier of every size. */
static void
build_store(void)
{
	struct cairn_frontier f;
	size_t i;

	memset(&st, 0, sizeof st);
	st.h = calloc(cairn_merkle_nodes(N), HL);
	frontiers = calloc(N + 1, sizeof *frontiers);
	memo = calloc((N + 1) * (N + 1), HL);
	memo_ok = calloc((N + 1) * (N + 1), 1);
	if (st.h == NULL || frontiers == NULL || memo == NULL ||
	    memo_ok == NULL)
		abort();
	make_leaves();
	memset(&f, 0, sizeof f);
	for (i = 0; i < N; i++) {
		if (cairn_frontier_push(&f, leaves[i], put_node, &st) != 0)
			abort();
		frontiers[i + 1] = f;
	}
	st.limit = N;
}

/* Flip one bit of h, different per call site so all bytes get hit. */
static void
flip(uint8_t h[HL], size_t salt)
{
	h[salt % HL] ^= (uint8_t)(1u << (salt % 8));
}

/*
 * Assert that mutations of a valid inclusion proof are rejected: every
 * one when full, else one of each kind (the exhaustive loop's budget).
 */
static void
inclusion_must_fail(const uint8_t leaf[HL], uint64_t index, uint64_t size,
    uint8_t p[][HL], size_t n, const uint8_t root[HL], int full)
{
	uint8_t q[CAIRN_MAX_PROOF + 1][HL], bad[HL];
	const uint8_t (*cp)[HL] = (const uint8_t (*)[HL])p;
	const uint8_t (*cq)[HL] = (const uint8_t (*)[HL])q;
	size_t i;

	cur_a = index;
	cur_b = size;
	/* One flipped bit in any proof hash. */
	for (i = 0; i < n; i++) {
		flip(p[i], index + size + i);
		MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size, cp,
		    n, root));
		flip(p[i], index + size + i);
	}
	/* Wrong root, swapped leaf and root. */
	memcpy(bad, root, HL);
	flip(bad, size);
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size, cp, n,
	    bad));
	if (n > 0)
		MUSTFAIL(cairn_merkle_verify_inclusion(root, index, size, cp,
		    n, leaf));
	/* Wrong index. */
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index + 1, size, cp, n,
	    root));
	/*
	 * Wrong size.  A neighbouring size can share the path's shape, so
	 * the same root would rightly verify; it is claimed with its own
	 * root, as in a signed tree head.  Doubling or halving the size
	 * changes the path length, so even the same root must fail.
	 */
	if (size + 1 <= N)
		MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size + 1,
		    cp, n, mth(0, size + 1)));
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size * 2, cp, n,
	    root));
	/* Truncated and extended proofs. */
	if (n > 0)
		MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size, cp,
		    n - 1, root));
	memcpy(q, p, n * HL);
	memcpy(q[n], root, HL);
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size, cq, n + 1,
	    root));
	if (!full)
		return;

	memcpy(bad, leaf, HL);
	flip(bad, index);
	MUSTFAIL(cairn_merkle_verify_inclusion(bad, index, size, cp, n,
	    root));
	if (index > 0)
		MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index - 1, size,
		    cp, n, root));
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index ^ 2, size, cp, n,
	    root));
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, size, size, cp, n,
	    root));
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size - 1, cp, n,
	    mth(0, size - 1)));
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size / 2, cp, n,
	    root));
	memset(q[n], 0, HL);
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size, cq, n + 1,
	    root));
	memcpy(q[0], root, HL);
	memcpy(q + 1, p, n * HL);
	MUSTFAIL(cairn_merkle_verify_inclusion(leaf, index, size, cq, n + 1,
	    root));
}

/* Assert that mutations of a valid consistency proof are rejected, ditto. */
static void
consistency_must_fail(uint64_t old, uint64_t new, const uint8_t r1[HL],
    const uint8_t r2[HL], uint8_t p[][HL], size_t n, int full)
{
	uint8_t q[CAIRN_MAX_PROOF + 1][HL], bad[HL];
	const uint8_t (*cp)[HL] = (const uint8_t (*)[HL])p;
	const uint8_t (*cq)[HL] = (const uint8_t (*)[HL])q;
	size_t i;

	cur_a = old;
	cur_b = new;
	/* One flipped bit in any proof hash. */
	for (i = 0; i < n; i++) {
		flip(p[i], old + new + i);
		MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cp,
		    n));
		flip(p[i], old + new + i);
	}
	/* Swapped roots (they differ once old < new), else a wrong root. */
	if (old < new)
		MUSTFAIL(cairn_merkle_verify_consistency(old, new, r2, r1, cp,
		    n));
	memcpy(bad, r2, HL);
	flip(bad, new);
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, bad, cp, n));
	/*
	 * Wrong sizes, each claimed with its own root (see
	 * inclusion_must_fail).  Doubling new must fail even with the same
	 * roots.
	 */
	if (old + 1 <= N)
		MUSTFAIL(cairn_merkle_verify_consistency(old + 1, new,
		    mth(0, old + 1), r2, cp, n));
	if (new + 1 <= N)
		MUSTFAIL(cairn_merkle_verify_consistency(old, new + 1, r1,
		    mth(0, new + 1), cp, n));
	MUSTFAIL(cairn_merkle_verify_consistency(old, new * 2, r1, r2, cp,
	    n));
	/* Truncated and extended proofs. */
	if (n > 0)
		MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cp,
		    n - 1));
	memcpy(q, p, n * HL);
	memcpy(q[n], r2, HL);
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cq,
	    n + 1));
	if (!full)
		return;

	memcpy(bad, r1, HL);
	flip(bad, old);
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, bad, r2, cp, n));
	/* An empty old tree rightly takes the empty proof. */
	if (old - 1 != 0 || n != 0)
		MUSTFAIL(cairn_merkle_verify_consistency(old - 1, new,
		    mth(0, old - 1), r2, cp, n));
	if (((old ^ 2) != 0 || n != 0) && (old ^ 2) <= N)
		MUSTFAIL(cairn_merkle_verify_consistency(old ^ 2, new,
		    mth(0, old ^ 2), r2, cp, n));
	MUSTFAIL(cairn_merkle_verify_consistency(old, new - 1, r1,
	    mth(0, new - 1), cp, n));
	MUSTFAIL(cairn_merkle_verify_consistency(old, new / 2, r1, r2, cp,
	    n));
	if (n == 0)
		return;
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cp, 0));
	memcpy(q[n], r1, HL);
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cq,
	    n + 1));
	memset(q[n], 0, HL);
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cq,
	    n + 1));
	memcpy(q[0], r1, HL);
	memcpy(q + 1, p, n * HL);
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cq,
	    n + 1));
	memcpy(q[0], p[0], HL);
	MUSTFAIL(cairn_merkle_verify_consistency(old, new, r1, r2, cq,
	    n + 1));
}

/* RFC 6962 hashing vectors (transparency-dev/merkle rfc6962_test.go). */
/* Hex decoding: both cases, every byte that is not a digit refused. */
START_TEST(test_unhex)
{
	static const char bad[] = "/:@G`g \x80\xff";
	uint8_t out[2];
	char in[5];
	size_t i;

	ck_assert_int_eq(cairn_unhex("0aF9", 4, out, 2), 0);
	ck_assert_uint_eq(out[0], 0x0a);
	ck_assert_uint_eq(out[1], 0xf9);
	ck_assert_int_eq(cairn_unhex("Ab09", 4, out, 2), 0);
	ck_assert_uint_eq(out[0], 0xab);
	ck_assert_int_eq(cairn_unhex("0a", 2, out, 2), CAIRN_EINVAL);
	for (i = 0; i < sizeof bad - 1; i++) {
		memcpy(in, "0a0a", 5);
		in[i % 4] = bad[i];
		ck_assert_msg(cairn_unhex(in, 4, out, 2) == CAIRN_EINVAL,
		    "byte 0x%02x accepted", (unsigned char)bad[i]);
	}
}
END_TEST

START_TEST(test_hash_vectors)
{
	uint8_t h[HL], want[HL];

	cairn_leaf_hash("L123456", 7, h);
	unhex32("395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56",
	    want);
	ck_assert_mem_eq(h, want, HL);
	cairn_leaf_hash("", 0, h);
	unhex32(vec_nodes[0][0], want);
	ck_assert_mem_eq(h, want, HL);
}
END_TEST

/* Published node hashes sit at their post-order positions. */
START_TEST(test_vector_nodes)
{
	uint8_t want[HL], got[HL];
	unsigned l;
	uint64_t i;

	st.limit = 8;
	for (l = 0; l < 4; l++)
		for (i = 0; i < (8u >> l); i++) {
			unhex32(vec_nodes[l][i], want);
			ck_assert_mem_eq(st.h[cairn_merkle_pos(l, i)], want,
			    HL);
			ck_assert_int_eq(get_node(&st, l, i, got), 0);
			ck_assert_mem_eq(got, want, HL);
		}
	/* A node past the queried tree is not there. */
	ck_assert_int_eq(get_node(&st, 0, 8, got), CAIRN_ENOTFOUND);
	st.limit = N;
}
END_TEST

/* Published roots for sizes 0..8, by nodes and by frontier. */
START_TEST(test_vector_roots)
{
	uint8_t want[HL], got[HL];
	uint64_t s;

	for (s = 0; s <= 8; s++) {
		unhex32(vec_roots[s], want);
		ck_assert_int_eq(cairn_merkle_root(get_node, &st, s, got), 0);
		ck_assert_mem_eq(got, want, HL);
		cairn_frontier_root(&frontiers[s], got);
		ck_assert_mem_eq(got, want, HL);
	}
}
END_TEST

/* Frontiers of sizes 1..8 hold the published compact-tree hashes. */
START_TEST(test_vector_frontier)
{
	uint8_t want[HL];
	uint64_t s, start;
	unsigned l;

	for (s = 1; s <= 8; s++) {
		ck_assert_uint_eq(frontiers[s].size, s);
		start = 0;
		for (l = 4; l-- > 0;) {
			if (!(s & (1u << l)))
				continue;
			unhex32(vec_nodes[l][start >> l], want);
			ck_assert_mem_eq(frontiers[s].h[l], want, HL);
			start += (uint64_t)1 << l;
		}
	}
}
END_TEST

/* Published inclusion proofs: generated equal, verify, mutations fail. */
START_TEST(test_vector_inclusion)
{
	uint8_t p[CAIRN_MAX_PROOF][HL], want[3][HL], root[HL];
	const struct vec_proof *v;
	size_t i, j, n;

	for (i = 0; i < sizeof vec_incl / sizeof vec_incl[0]; i++) {
		v = &vec_incl[i];
		for (j = 0; j < v->n; j++)
			unhex32(v->p[j], want[j]);
		ck_assert_int_eq(cairn_merkle_inclusion(get_node, &st, v->a,
		    v->b, p, &n), 0);
		ck_assert_uint_eq(n, v->n);
		if (n > 0)
			ck_assert_mem_eq(p, want, n * HL);
		unhex32(vec_roots[v->b], root);
		ck_assert_int_eq(cairn_merkle_verify_inclusion(leaves[v->a],
		    v->a, v->b, (const uint8_t (*)[HL])want, v->n, root), 0);
		inclusion_must_fail(leaves[v->a], v->a, v->b, want, v->n,
		    root, 1);
	}
}
END_TEST

/* Published consistency proofs: generated equal, verify, mutations fail. */
START_TEST(test_vector_consistency)
{
	uint8_t p[CAIRN_MAX_PROOF][HL], want[3][HL], r1[HL], r2[HL];
	const struct vec_proof *v;
	size_t i, j, n;

	for (i = 0; i < sizeof vec_cons / sizeof vec_cons[0]; i++) {
		v = &vec_cons[i];
		for (j = 0; j < v->n; j++)
			unhex32(v->p[j], want[j]);
		ck_assert_int_eq(cairn_merkle_consistency(get_node, &st, v->a,
		    v->b, p, &n), 0);
		ck_assert_uint_eq(n, v->n);
		if (n > 0)
			ck_assert_mem_eq(p, want, n * HL);
		unhex32(vec_roots[v->a], r1);
		unhex32(vec_roots[v->b], r2);
		ck_assert_int_eq(cairn_merkle_verify_consistency(v->a, v->b,
		    r1, r2, (const uint8_t (*)[HL])want, v->n), 0);
		consistency_must_fail(v->a, v->b, r1, r2, want, v->n, 1);
	}
}
END_TEST

/* Post-order positions: emits come out as 0, 1, 2, ...; counts match. */
START_TEST(test_positions)
{
	struct store s;
	struct cairn_frontier f;
	uint64_t n;

	memset(&s, 0, sizeof s);
	s.h = calloc(cairn_merkle_nodes(N), HL);
	ck_assert_ptr_nonnull(s.h);
	memset(&f, 0, sizeof f);
	ck_assert_uint_eq(cairn_merkle_nodes(0), 0);
	for (n = 0; n < N; n++) {
		ck_assert_int_eq(cairn_frontier_push(&f, leaves[n], put_node,
		    &s), 0);
		ck_assert_int_eq(s.bad_order, 0);
		ck_assert_uint_eq(s.next, cairn_merkle_nodes(n + 1));
		ck_assert_uint_eq(f.size, n + 1);
		/* The leaf is stored at its position. */
		ck_assert_mem_eq(s.h[cairn_merkle_pos(0, n)], leaves[n], HL);
	}
	ck_assert_mem_eq(s.h, st.h, cairn_merkle_nodes(N) * HL);
	free(s.h);

	/* The layout drawn out: leaves 0,1 -> 0,1; parent 2; ... */
	ck_assert_uint_eq(cairn_merkle_pos(0, 0), 0);
	ck_assert_uint_eq(cairn_merkle_pos(0, 1), 1);
	ck_assert_uint_eq(cairn_merkle_pos(1, 0), 2);
	ck_assert_uint_eq(cairn_merkle_pos(0, 2), 3);
	ck_assert_uint_eq(cairn_merkle_pos(0, 3), 4);
	ck_assert_uint_eq(cairn_merkle_pos(1, 1), 5);
	ck_assert_uint_eq(cairn_merkle_pos(2, 0), 6);
	ck_assert_uint_eq(cairn_merkle_pos(0, 4), 7);
	ck_assert_uint_eq(cairn_merkle_nodes(7), 11);
	/* Top of the largest tree: the last of its 2^63 - 1 nodes. */
	ck_assert_uint_eq(cairn_merkle_pos(62, 0),
	    cairn_merkle_nodes(CAIRN_MERKLE_MAX_SIZE) - 1);
	ck_assert_uint_eq(cairn_merkle_pos(0, CAIRN_MERKLE_MAX_SIZE - 1),
	    cairn_merkle_nodes(CAIRN_MERKLE_MAX_SIZE - 1));
}
END_TEST

/* Roots of every size equal naive MTH, in at most popcount fetches. */
START_TEST(test_roots_all)
{
	uint8_t got[HL];
	uint64_t s;

	for (s = 0; s <= N; s++) {
		st.fetches = 0;
		ck_assert_int_eq(cairn_merkle_root(get_node, &st, s, got), 0);
		ck_assert_mem_eq(got, mth(0, s), HL);
		ck_assert_uint_eq(st.fetches, __builtin_popcountll(s));
		cairn_frontier_root(&frontiers[s], got);
		ck_assert_mem_eq(got, mth(0, s), HL);
	}
}
END_TEST

/* Every RFC-shaped subtree [a, b) equals naive MTH. */
START_TEST(test_subtree)
{
	uint8_t got[HL];
	uint64_t a, b, k;

	for (b = 0; b <= N; b++)
		for (a = 0; a <= b; a++) {
			k = 1;
			while (k * 2 < b - a)
				k *= 2;
			if (b - a > 1 && a % k != 0) {
				ck_assert_int_eq(cairn_merkle_subtree(get_node,
				    &st, a, b, got), CAIRN_EINVAL);
				continue;
			}
			ck_assert_int_eq(cairn_merkle_subtree(get_node, &st,
			    a, b, got), 0);
			ck_assert_mem_eq(got, mth(a, b), HL);
		}
	ck_assert_int_eq(cairn_merkle_subtree(get_node, &st, 5, 4, got),
	    CAIRN_EINVAL);
}
END_TEST

/* Every inclusion proof of trees 1..N: naive-equal, valid, tamper-proof. */
START_TEST(test_inclusion_all)
{
	uint8_t p[CAIRN_MAX_PROOF][HL], want[CAIRN_MAX_PROOF][HL];
	uint64_t s, i;
	size_t n, wn;
	int rc;

	for (s = 1; s <= N; s++) {
		st.limit = s;
		for (i = 0; i < s; i++) {
			st.fetches = 0;
			rc = cairn_merkle_inclusion(get_node, &st, i, s, p, &n);
			REQUIRE(rc == 0, "(%ju, %ju) rc %d", (uintmax_t)i,
			    (uintmax_t)s, rc);
			REQUIRE(st.fetches <= 2 * bitlen(s), "(%ju, %ju) %u",
			    (uintmax_t)i, (uintmax_t)s, st.fetches);
			wn = 0;
			naive_path(i, 0, s, want, &wn);
			REQUIRE(n == wn && memcmp(p, want, n * HL) == 0,
			    "(%ju, %ju) differs from naive PATH", (uintmax_t)i,
			    (uintmax_t)s);
			rc = cairn_merkle_verify_inclusion(leaves[i], i, s,
			    (const uint8_t (*)[HL])p, n, mth(0, s));
			REQUIRE(rc == 0, "(%ju, %ju) rc %d", (uintmax_t)i,
			    (uintmax_t)s, rc);
			inclusion_must_fail(leaves[i], i, s, p, n, mth(0, s),
			    s <= FULL);
		}
	}
	st.limit = N;
}
END_TEST

/* Every consistency proof 1 <= old <= new <= N, likewise. */
START_TEST(test_consistency_all)
{
	uint8_t p[CAIRN_MAX_PROOF][HL], want[CAIRN_MAX_PROOF][HL];
	uint64_t o, s;
	size_t n, wn;
	int rc;

	for (s = 1; s <= N; s++) {
		st.limit = s;
		for (o = 1; o <= s; o++) {
			st.fetches = 0;
			rc = cairn_merkle_consistency(get_node, &st, o, s, p,
			    &n);
			REQUIRE(rc == 0, "(%ju, %ju) rc %d", (uintmax_t)o,
			    (uintmax_t)s, rc);
			REQUIRE(st.fetches <= 2 * bitlen(s) + 1,
			    "(%ju, %ju) %u", (uintmax_t)o, (uintmax_t)s,
			    st.fetches);
			naive_proof(o, s, want, &wn);
			REQUIRE(n == wn && memcmp(p, want, n * HL) == 0,
			    "(%ju, %ju) differs from naive PROOF",
			    (uintmax_t)o, (uintmax_t)s);
			rc = cairn_merkle_verify_consistency(o, s, mth(0, o),
			    mth(0, s), (const uint8_t (*)[HL])p, n);
			REQUIRE(rc == 0, "(%ju, %ju) rc %d", (uintmax_t)o,
			    (uintmax_t)s, rc);
			consistency_must_fail(o, s, mth(0, o), mth(0, s), p,
			    n, s <= FULL);
		}
	}
	st.limit = N;
}
END_TEST

/* Loaded frontiers equal pushed ones, in popcount(size) fetches. */
START_TEST(test_frontier_load)
{
	struct cairn_frontier f;
	uint8_t a[HL], b[HL];
	uint64_t s;
	unsigned l;

	for (s = 0; s <= N; s++) {
		st.limit = s;
		st.fetches = 0;
		memset(&f, 0xa5, sizeof f);
		ck_assert_int_eq(cairn_frontier_load(&f, s, get_node, &st),
		    0);
		ck_assert_uint_eq(st.fetches, __builtin_popcountll(s));
		ck_assert_uint_eq(f.size, s);
		for (l = 0; l < 64; l++)
			if (s & ((uint64_t)1 << l))
				ck_assert_mem_eq(f.h[l], frontiers[s].h[l],
				    HL);
		cairn_frontier_root(&f, a);
		cairn_frontier_root(&frontiers[s], b);
		ck_assert_mem_eq(a, b, HL);
		ck_assert_mem_eq(a, mth(0, s), HL);
		/* A loaded frontier keeps growing the same tree. */
		if (s < N) {
			ck_assert_int_eq(cairn_frontier_push(&f, leaves[s],
			    NULL, NULL), 0);
			cairn_frontier_root(&f, a);
			ck_assert_mem_eq(a, mth(0, s + 1), HL);
		}
	}
	st.limit = N;
}
END_TEST

/* Fetch errors pass through; bad arguments are refused. */
START_TEST(test_errors)
{
	uint8_t p[CAIRN_MAX_PROOF][HL], h[HL];
	struct cairn_frontier f;
	size_t n;

	st.fail = 1;
	st.fail_level = 2;
	st.fail_index = 2;	/* leaves 8..11 */
	ck_assert_int_eq(cairn_merkle_root(get_node, &st, 13, h),
	    CAIRN_ECORRUPT);
	ck_assert_int_eq(cairn_merkle_inclusion(get_node, &st, 1, 13, p, &n),
	    CAIRN_ECORRUPT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(cairn_merkle_consistency(get_node, &st, 6, 13, p,
	    &n), CAIRN_ECORRUPT);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(cairn_frontier_load(&f, 13, get_node, &st),
	    CAIRN_ECORRUPT);
	/* Proofs not touching that node still work. */
	ck_assert_int_eq(cairn_merkle_inclusion(get_node, &st, 10, 13, p,
	    &n), 0);
	ck_assert_int_eq(cairn_merkle_consistency(get_node, &st, 10, 13, p,
	    &n), 0);
	ck_assert_int_eq(cairn_merkle_root(get_node, &st, 8, h), 0);
	st.fail = 0;

	/* A node the store lacks (the callback's own error) passes too. */
	st.limit = 5;
	ck_assert_int_eq(cairn_merkle_root(get_node, &st, 6, h),
	    CAIRN_ENOTFOUND);
	ck_assert_int_eq(cairn_merkle_inclusion(get_node, &st, 0, 6, p, &n),
	    CAIRN_ENOTFOUND);
	st.limit = N;

	ck_assert_int_eq(cairn_merkle_inclusion(get_node, &st, 0, 0, p, &n),
	    CAIRN_EINVAL);
	ck_assert_int_eq(cairn_merkle_inclusion(get_node, &st, 5, 5, p, &n),
	    CAIRN_EINVAL);
	ck_assert_int_eq(cairn_merkle_inclusion(get_node, &st, 0,
	    CAIRN_MERKLE_MAX_SIZE + 1, p, &n), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_merkle_consistency(get_node, &st, 6, 5, p,
	    &n), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_merkle_consistency(get_node, &st, 0, 5, p,
	    &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(cairn_merkle_consistency(get_node, &st, 5, 5, p,
	    &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(cairn_merkle_root(get_node, &st,
	    CAIRN_MERKLE_MAX_SIZE + 1, h), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_frontier_load(&f, CAIRN_MERKLE_MAX_SIZE + 1,
	    get_node, &st), CAIRN_EINVAL);
}
END_TEST

/* A failing emit leaves the frontier as it was; a full tree refuses. */
START_TEST(test_frontier_push_errors)
{
	struct cairn_frontier f, g;

	f = frontiers[3];
	g = f;
	/* Leaf 3 completes two parents; the first parent emit fails. */
	ck_assert_int_eq(cairn_frontier_push(&f, leaves[3], put_fail, NULL),
	    CAIRN_EFULL);
	ck_assert_mem_eq(&f, &g, sizeof f);
	/* Leaf 4 completes nothing, so nothing fails. */
	f = frontiers[4];
	ck_assert_int_eq(cairn_frontier_push(&f, leaves[4], put_fail, NULL),
	    0);
	ck_assert_mem_eq(&f, &frontiers[5], sizeof f);

	memset(&f, 0, sizeof f);
	f.size = CAIRN_MERKLE_MAX_SIZE;
	ck_assert_int_eq(cairn_frontier_push(&f, leaves[0], NULL, NULL),
	    CAIRN_EFULL);
	ck_assert_uint_eq(f.size, CAIRN_MERKLE_MAX_SIZE);
}
END_TEST

/* RFC 9162 2.1.3.2 edge cases (after transparency-dev's verify tests). */
START_TEST(test_verify_inclusion_edges)
{
	uint8_t some[HL], empty[HL], leaf[HL];

	memset(some, 0xab, HL);
	cairn_sha256("", 0, empty);
	cairn_leaf_hash("data", 4, leaf);
	/* Single entry: the root is the leaf hash, the proof empty. */
	ck_assert_int_eq(cairn_merkle_verify_inclusion(leaf, 0, 1, NULL, 0,
	    leaf), 0);
	ck_assert_int_eq(cairn_merkle_verify_inclusion(leaf, 0, 1, NULL, 0,
	    empty), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_inclusion(empty, 0, 1, NULL, 0,
	    leaf), CAIRN_EPROOF);
	/* index >= size, including the empty tree. */
	ck_assert_int_eq(cairn_merkle_verify_inclusion(some, 0, 0, NULL, 0,
	    some), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_inclusion(some, 1, 0, NULL, 0,
	    some), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_inclusion(some, 2, 1, NULL, 0,
	    some), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_inclusion(some, 1, 1, NULL, 0,
	    some), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_inclusion(some, UINT64_MAX,
	    UINT64_MAX, NULL, 0, some), CAIRN_EPROOF);
	/* A real tree needs a non-empty proof. */
	ck_assert_int_eq(cairn_merkle_verify_inclusion(leaves[0], 0, 2, NULL,
	    0, mth(0, 2)), CAIRN_EPROOF);
}
END_TEST

/* RFC 9162 2.1.4.2 edge cases (after transparency-dev's verify tests). */
START_TEST(test_verify_consistency_edges)
{
	uint8_t r1[HL], r2[HL], empty[HL], one[1][HL];
	uint8_t p[CAIRN_MAX_PROOF][HL];
	size_t n;

	memset(r1, 1, HL);
	memset(r2, 2, HL);
	cairn_sha256("", 0, empty);
	memcpy(one[0], empty, HL);
	ck_assert_int_eq(cairn_merkle_verify_consistency(0, 0, r1, r2, NULL,
	    0), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_consistency(1, 1, r1, r2, NULL,
	    0), CAIRN_EPROOF);
	/* Sizes that are always consistent. */
	ck_assert_int_eq(cairn_merkle_verify_consistency(0, 0, r1, r1, NULL,
	    0), 0);
	ck_assert_int_eq(cairn_merkle_verify_consistency(0, 1, r1, r2, NULL,
	    0), 0);
	ck_assert_int_eq(cairn_merkle_verify_consistency(1, 1, r2, r2, NULL,
	    0), 0);
	/* Time travel to the past. */
	ck_assert_int_eq(cairn_merkle_verify_consistency(1, 0, r1, r2, NULL,
	    0), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_consistency(2, 1, r1, r2, NULL,
	    0), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_consistency(2, 1, r1, r2,
	    (const uint8_t (*)[HL])one, 1), CAIRN_EPROOF);
	/* A real proof does not run backwards. */
	ck_assert_int_eq(cairn_merkle_consistency(get_node, &st, 3, 5, p, &n),
	    0);
	ck_assert_int_eq(cairn_merkle_verify_consistency(5, 3, mth(0, 5),
	    mth(0, 3), (const uint8_t (*)[HL])p, n), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_consistency(5, 3, mth(0, 3),
	    mth(0, 5), (const uint8_t (*)[HL])p, n), CAIRN_EPROOF);
	/* Empty proof for a real extension. */
	ck_assert_int_eq(cairn_merkle_verify_consistency(1, 2, r1, r2, NULL,
	    0), CAIRN_EPROOF);
	/* Roots differ. */
	ck_assert_int_eq(cairn_merkle_verify_consistency(0, 0, empty, r2,
	    NULL, 0), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_consistency(1, 1, empty, r2,
	    NULL, 0), CAIRN_EPROOF);
	/* Roots match but the proof is not empty. */
	ck_assert_int_eq(cairn_merkle_verify_consistency(0, 0, empty, empty,
	    (const uint8_t (*)[HL])one, 1), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_consistency(0, 1, empty, empty,
	    (const uint8_t (*)[HL])one, 1), CAIRN_EPROOF);
	ck_assert_int_eq(cairn_merkle_verify_consistency(1, 1, empty, empty,
	    (const uint8_t (*)[HL])one, 1), CAIRN_EPROOF);
}
END_TEST

/* The suite. */
static Suite *
merkle_suite(void)
{
	Suite *s = suite_create("merkle");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_unhex);
	tcase_add_test(tc, test_hash_vectors);
	tcase_add_test(tc, test_vector_nodes);
	tcase_add_test(tc, test_vector_roots);
	tcase_add_test(tc, test_vector_frontier);
	tcase_add_test(tc, test_vector_inclusion);
	tcase_add_test(tc, test_vector_consistency);
	tcase_add_test(tc, test_positions);
	tcase_add_test(tc, test_roots_all);
	tcase_add_test(tc, test_subtree);
	tcase_add_test(tc, test_inclusion_all);
	tcase_add_test(tc, test_consistency_all);
	tcase_add_test(tc, test_frontier_load);
	tcase_add_test(tc, test_errors);
	tcase_add_test(tc, test_frontier_push_errors);
	tcase_add_test(tc, test_verify_inclusion_edges);
	tcase_add_test(tc, test_verify_consistency_edges);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr;
	int failed;

	build_store();
	if (st.bad_order || st.count != cairn_merkle_nodes(N)) {
		fprintf(stderr, "test_merkle: nodes emitted out of order\n");
		return EXIT_FAILURE;
	}
	sr = srunner_create(merkle_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	free(st.h);
	free(frontiers);
	free(memo);
	free(memo_ok);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
