/*
 * merkle.c: RFC 9162 section 2.1 Merkle tree hashes, proofs and their
 * verification, over stored complete-subtree hashes.
 */
#include <stdint.h>
#include <string.h>

#include "merkle.h"

/* Deepest stack of complete subtrees a range can split into. */
#define MAXDEPTH 64

/* Number of set bits in x. */
static unsigned
popcount64(uint64_t x)
{
	return (unsigned)__builtin_popcountll(x);
}

/* Number of trailing zero bits of x, which must not be 0. */
static unsigned
ctz64(uint64_t x)
{
	return (unsigned)__builtin_ctzll(x);
}

/* Largest power of two not above x, which must not be 0. */
static uint64_t
bitfloor(uint64_t x)
{
	return (uint64_t)1 << (63 - __builtin_clzll(x));
}

/* Constant-time comparison of two hashes; 1 if equal. */
static int
hash_eq(const uint8_t a[CAIRN_HASH_LEN], const uint8_t b[CAIRN_HASH_LEN])
{
	uint8_t d = 0;
	size_t i;

	for (i = 0; i < CAIRN_HASH_LEN; i++)
		d |= a[i] ^ b[i];
	return d == 0;
}

/* Reverse the order of the first n hashes of p. */
static void
reverse(uint8_t p[][CAIRN_HASH_LEN], size_t n)
{
	uint8_t t[CAIRN_HASH_LEN];
	size_t i;

	for (i = 0; i < n / 2; i++) {
		memcpy(t, p[i], CAIRN_HASH_LEN);
		memcpy(p[i], p[n - 1 - i], CAIRN_HASH_LEN);
		memcpy(p[n - 1 - i], t, CAIRN_HASH_LEN);
	}
}

/* Post-order position of node (level, index) in the node table. */
uint64_t
cairn_merkle_pos(unsigned level, uint64_t index)
{
	uint64_t j = ((index + 1) << level) - 1;

	/* Post-order: all nodes of the first j leaves precede this one. */
	return 2 * j - popcount64(j) + level;
}

/* Number of nodes stored for a tree of n leaves. */
uint64_t
cairn_merkle_nodes(uint64_t n)
{
	return 2 * n - popcount64(n);
}

/* RFC 9162 MTH of leaves [start, end) from stored complete subtrees. */
int
cairn_merkle_subtree(cairn_node_fn get, void *ctx, uint64_t start,
    uint64_t end, uint8_t out[CAIRN_HASH_LEN])
{
	uint8_t left[MAXDEPTH][CAIRN_HASH_LEN];
	uint64_t m, k;
	size_t nleft = 0;
	int rc;

	if (start > end || end > CAIRN_MERKLE_MAX_SIZE)
		return CAIRN_EINVAL;
	m = end - start;
	if (m == 0) {
		/* RFC 9162 2.1.1: MTH({}) = HASH(). */
		cairn_sha256("", 0, out);
		return 0;
	}
	/*
	 * RFC 9162 2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) ||
	 * MTH(D[k:n])), k the largest power of two < n.  With start a
	 * multiple of k the left part is a stored node and the right part
	 * starts at a multiple of its own k, so each step costs one fetch.
	 */
	while ((m & (m - 1)) != 0 || start % m != 0) {
		k = bitfloor(m - 1);
		if (start % k != 0)
			return CAIRN_EINVAL;
		if ((rc = get(ctx, ctz64(k), start / k, left[nleft])) != 0)
			return rc;
		nleft++;
		start += k;
		m -= k;
	}
	if ((rc = get(ctx, ctz64(m), start / m, out)) != 0)
		return rc;
	while (nleft > 0) {
		nleft--;
		cairn_node_hash(left[nleft], out, out);
	}
	return 0;
}

/* Root of the tree of the first size leaves. */
int
cairn_merkle_root(cairn_node_fn get, void *ctx, uint64_t size,
    uint8_t out[CAIRN_HASH_LEN])
{
	return cairn_merkle_subtree(get, ctx, 0, size, out);
}

/* RFC 9162 2.1.3.1 inclusion proof of leaf index in a tree of size leaves. */
int
cairn_merkle_inclusion(cairn_node_fn get, void *ctx, uint64_t index,
    uint64_t size, uint8_t proof[][CAIRN_HASH_LEN], size_t *n)
{
	uint64_t start = 0, end = size, k;
	size_t cnt = 0;
	int rc;

	*n = 0;
	if (size > CAIRN_MERKLE_MAX_SIZE || index >= size)
		return CAIRN_EINVAL;
	/*
	 * RFC 9162 2.1.3.1, top-down: PATH(m, D[n]) is PATH into the half
	 * holding m followed by MTH of the other half.  Siblings come out
	 * root first, so the list is reversed at the end.  Only the first
	 * step left out of the unbalanced right edge needs a multi-fetch
	 * subtree; below it every sibling is one stored node.
	 */
	while (end - start > 1) {
		if (cnt >= CAIRN_MAX_PROOF)
			return CAIRN_ETOOBIG;
		k = bitfloor(end - start - 1);
		if (index < start + k) {
			rc = cairn_merkle_subtree(get, ctx, start + k, end,
			    proof[cnt]);
			end = start + k;
		} else {
			rc = get(ctx, ctz64(k), start / k, proof[cnt]);
			start += k;
		}
		if (rc != 0)
			return rc;
		cnt++;
	}
	reverse(proof, cnt);
	*n = cnt;
	return 0;
}

/* RFC 9162 2.1.4.1 consistency proof from tree size old to new. */
int
cairn_merkle_consistency(cairn_node_fn get, void *ctx, uint64_t old,
    uint64_t new, uint8_t proof[][CAIRN_HASH_LEN], size_t *n)
{
	uint64_t start = 0, end = new, k;
	size_t cnt = 0;
	int rc, whole = 1;

	*n = 0;
	if (new > CAIRN_MERKLE_MAX_SIZE || old > new)
		return CAIRN_EINVAL;
	/* RFC 9162 2.1.4.1 defines PROOF only for 0 < m < n. */
	if (old == 0 || old == new)
		return 0;
	/*
	 * SUBPROOF(m, D[n], b), top-down: descend into the half holding
	 * the old tree's edge, recording the other half's MTH.  end only
	 * becomes old by a step left, so [start, old) is then a stored
	 * complete subtree.
	 */
	while (end != old) {
		if (cnt + 1 >= CAIRN_MAX_PROOF)
			return CAIRN_ETOOBIG;
		k = bitfloor(end - start - 1);
		if (old - start <= k) {
			rc = cairn_merkle_subtree(get, ctx, start + k, end,
			    proof[cnt]);
			end = start + k;
		} else {
			rc = get(ctx, ctz64(k), start / k, proof[cnt]);
			start += k;
			whole = 0;
		}
		if (rc != 0)
			return rc;
		cnt++;
	}
	/*
	 * SUBPROOF(m, D[m], false) = {MTH(D[m])}: the old tree's hash is
	 * omitted only when the old tree is the left subtree as a whole.
	 */
	if (!whole) {
		if ((rc = cairn_merkle_subtree(get, ctx, start, old,
		    proof[cnt])) != 0)
			return rc;
		cnt++;
	}
	reverse(proof, cnt);
	*n = cnt;
	return 0;
}

/* RFC 9162 2.1.3.2 verification of an inclusion proof. */
int
cairn_merkle_verify_inclusion(const uint8_t leaf[CAIRN_HASH_LEN],
    uint64_t index, uint64_t size, const uint8_t proof[][CAIRN_HASH_LEN],
    size_t n, const uint8_t root[CAIRN_HASH_LEN])
{
	uint8_t r[CAIRN_HASH_LEN];
	uint64_t fn, sn;
	size_t i;

	/* RFC 9162 2.1.3.2 step 1. */
	if (index >= size)
		return CAIRN_EPROOF;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, CAIRN_HASH_LEN);
	for (i = 0; i < n; i++) {
		/* Step 4a: a proof longer than the path. */
		if (sn == 0)
			return CAIRN_EPROOF;
		if ((fn & 1) || fn == sn) {
			cairn_node_hash(proof[i], r, r);
			/* Skip levels where the node is a lone right edge. */
			while (fn != 0 && !(fn & 1)) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			cairn_node_hash(r, proof[i], r);
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5: sn == 0 rejects a proof shorter than the path. */
	if (sn != 0 || !hash_eq(r, root))
		return CAIRN_EPROOF;
	return 0;
}

/* RFC 9162 2.1.4.2 verification of a consistency proof. */
int
cairn_merkle_verify_consistency(uint64_t old, uint64_t new,
    const uint8_t oldroot[CAIRN_HASH_LEN],
    const uint8_t newroot[CAIRN_HASH_LEN],
    const uint8_t proof[][CAIRN_HASH_LEN], size_t n)
{
	uint8_t fr[CAIRN_HASH_LEN], sr[CAIRN_HASH_LEN];
	const uint8_t *c;
	uint64_t fn, sn;
	size_t i, len, pre;

	if (old > new)
		return CAIRN_EPROOF;
	/* Outside RFC 9162 PROOF's 0 < m < n the only proof is empty. */
	if (old == new)
		return (n == 0 && hash_eq(oldroot, newroot)) ? 0 :
		    CAIRN_EPROOF;
	if (old == 0)
		return n == 0 ? 0 : CAIRN_EPROOF;
	/* RFC 9162 2.1.4.2 step 1. */
	if (n == 0)
		return CAIRN_EPROOF;
	/* Step 2: a power-of-two old tree is itself the first node. */
	pre = (old & (old - 1)) == 0;
	len = n + pre;
	/* Step 3, 4. */
	fn = old - 1;
	sn = new - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 5. */
	c = pre ? oldroot : proof[0];
	memcpy(fr, c, CAIRN_HASH_LEN);
	memcpy(sr, c, CAIRN_HASH_LEN);
	/* Step 6. */
	for (i = 1; i < len; i++) {
		c = proof[i - pre];
		if (sn == 0)
			return CAIRN_EPROOF;
		if ((fn & 1) || fn == sn) {
			cairn_node_hash(c, fr, fr);
			cairn_node_hash(c, sr, sr);
			while (fn != 0 && !(fn & 1)) {
				fn >>= 1;
				sn >>= 1;
			}
		} else
			cairn_node_hash(sr, c, sr);
		fn >>= 1;
		sn >>= 1;
	}
	/* Step 7. */
	if (sn != 0 || !hash_eq(fr, oldroot) || !hash_eq(sr, newroot))
		return CAIRN_EPROOF;
	return 0;
}

/* Append a leaf hash to the frontier, emitting the nodes it completes. */
int
cairn_frontier_push(struct cairn_frontier *f,
    const uint8_t leaf[CAIRN_HASH_LEN], cairn_emit_fn emit, void *ctx)
{
	uint8_t cur[CAIRN_HASH_LEN];
	uint64_t idx = f->size;
	unsigned l = 0;
	int rc;

	if (f->size >= CAIRN_MERKLE_MAX_SIZE)
		return CAIRN_EFULL;
	memcpy(cur, leaf, CAIRN_HASH_LEN);
	if (emit != NULL && (rc = emit(ctx, 0, idx, cur)) != 0)
		return rc;
	/*
	 * Each set low bit of size is a complete left sibling that the new
	 * leaf completes; emitting bottom-up is post-order.  Nothing in f
	 * changes until every emit has succeeded.
	 */
	while (idx & 1) {
		cairn_node_hash(f->h[l], cur, cur);
		l++;
		idx >>= 1;
		if (emit != NULL && (rc = emit(ctx, l, idx, cur)) != 0)
			return rc;
	}
	memcpy(f->h[l], cur, CAIRN_HASH_LEN);
	f->size++;
	return 0;
}

/* Root hash of the frontier's tree. */
void
cairn_frontier_root(const struct cairn_frontier *f,
    uint8_t out[CAIRN_HASH_LEN])
{
	uint64_t s = f->size;
	unsigned l;

	if (s == 0) {
		cairn_sha256("", 0, out);
		return;
	}
	/* RFC 9162 2.1.1: the right edge folds from the smallest subtree. */
	l = ctz64(s);
	memcpy(out, f->h[l], CAIRN_HASH_LEN);
	for (s &= s - 1; s != 0; s &= s - 1) {
		l = ctz64(s);
		cairn_node_hash(f->h[l], out, out);
	}
}

/* Rebuild the frontier of a size-leaf tree from stored nodes. */
int
cairn_frontier_load(struct cairn_frontier *f, uint64_t size,
    cairn_node_fn get, void *ctx)
{
	struct cairn_frontier t;
	uint64_t start = 0, k;
	unsigned l;
	int rc;

	if (size > CAIRN_MERKLE_MAX_SIZE)
		return CAIRN_EINVAL;
	memset(&t, 0, sizeof t);
	/* The complete subtrees of a size-leaf tree follow size's bits. */
	for (l = 64; l-- > 0;) {
		k = (uint64_t)1 << l;
		if (!(size & k))
			continue;
		if ((rc = get(ctx, l, start >> l, t.h[l])) != 0)
			return rc;
		start += k;
	}
	t.size = size;
	*f = t;
	return 0;
}
