/*
 * merkle.h: the RFC 9162 section 2.1 Merkle tree over Cairn's leaf hashes.
 *
 * The store keeps the hash of every complete subtree: node (level, index)
 * is the hash of leaves [index << level, (index + 1) << level), level 0
 * being the leaf hashes themselves.  Nodes are keyed by their post-order
 * position (cairn_merkle_pos()), so that a growing tree only ever appends
 * keys.  Everything here works through a caller-supplied node fetcher and
 * so costs O(log n) fetches; nothing allocates, prints or exits.
 */
#ifndef CAIRN_MERKLE_H
#define CAIRN_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Room a caller provides for an inclusion or consistency proof. */
#define CAIRN_MAX_PROOF 128
/*
 * Largest supported tree: keeps positions (about 2n) and every shift
 * below 64 bits.  Sizes above it are rejected with CAIRN_EINVAL, a push
 * beyond it with CAIRN_EFULL.
 */
#define CAIRN_MERKLE_MAX_SIZE ((uint64_t)1 << 62)

/*
 * Fetches the stored complete-subtree hash (level, index) into out;
 * returns 0 or an error code, which every caller passes through.
 */
typedef int (*cairn_node_fn)(void *ctx, unsigned level, uint64_t index,
    uint8_t out[CAIRN_HASH_LEN]);

/*
 * Post-order position of node (level, index): 2j - popcount(j) + level,
 * j = ((index + 1) << level) - 1 being its last leaf.  Defined for nodes
 * of trees up to CAIRN_MERKLE_MAX_SIZE leaves.
 */
uint64_t	cairn_merkle_pos(unsigned level, uint64_t index);
/* Number of stored nodes for a tree of n leaves: 2n - popcount(n). */
uint64_t	cairn_merkle_nodes(uint64_t n);

/* Root of the first size leaves (size 0: SHA-256 of the empty string). */
int	cairn_merkle_root(cairn_node_fn, void *ctx, uint64_t size,
	    uint8_t out[CAIRN_HASH_LEN]);
/*
 * RFC 9162 MTH of leaves [start, end); start must be a multiple of the
 * largest power of two below end - start (as the RFC recursion produces),
 * else CAIRN_EINVAL.  start == end gives the empty-tree hash.
 */
int	cairn_merkle_subtree(cairn_node_fn, void *ctx, uint64_t start,
	    uint64_t end, uint8_t out[CAIRN_HASH_LEN]);
/*
 * RFC 9162 2.1.3.1 inclusion proof of leaf index in a tree of size leaves,
 * into proof (room for CAIRN_MAX_PROOF hashes), *n getting the count;
 * CAIRN_EINVAL if index >= size.
 */
int	cairn_merkle_inclusion(cairn_node_fn, void *ctx, uint64_t index,
	    uint64_t size, uint8_t proof[][CAIRN_HASH_LEN], size_t *n);
/*
 * RFC 9162 2.1.4.1 consistency proof from size old to size new, as for
 * inclusion; old == 0 or old == new gives an empty proof, old > new
 * CAIRN_EINVAL.
 */
int	cairn_merkle_consistency(cairn_node_fn, void *ctx, uint64_t old,
	    uint64_t new, uint8_t proof[][CAIRN_HASH_LEN], size_t *n);

/*
 * RFC 9162 2.1.3.2: 0 if proof (n hashes) shows leaf at index in the tree
 * of size leaves with the given root, else CAIRN_EPROOF (also for
 * index >= size or a proof of the wrong length).
 */
int	cairn_merkle_verify_inclusion(const uint8_t leaf[CAIRN_HASH_LEN],
	    uint64_t index, uint64_t size, const uint8_t proof[][CAIRN_HASH_LEN],
	    size_t n, const uint8_t root[CAIRN_HASH_LEN]);
/*
 * RFC 9162 2.1.4.2: 0 if proof (n hashes) shows the tree of new leaves
 * with newroot extends the tree of old leaves with oldroot, else
 * CAIRN_EPROOF.  old == new requires an empty proof and equal roots;
 * old == 0 requires an empty proof (any empty tree is a prefix).
 */
int	cairn_merkle_verify_consistency(uint64_t old, uint64_t new,
	    const uint8_t oldroot[CAIRN_HASH_LEN],
	    const uint8_t newroot[CAIRN_HASH_LEN],
	    const uint8_t proof[][CAIRN_HASH_LEN], size_t n);

/*
 * Incremental builder: the hashes of the complete subtrees on the tree's
 * right edge; h[l] is valid iff bit l of size is set.  Zero it to start
 * an empty tree.
 */
struct cairn_frontier {
	uint64_t	size;
	uint8_t		h[64][CAIRN_HASH_LEN];
};

/*
 * Called for each new stored node in post-order, i.e. in increasing
 * cairn_merkle_pos() order: the leaf itself, then each parent it
 * completes.  h is valid only during the call.
 */
typedef int (*cairn_emit_fn)(void *ctx, unsigned level, uint64_t index,
    const uint8_t h[CAIRN_HASH_LEN]);

/*
 * Append a leaf hash, emitting the new nodes (emit may be NULL); on an
 * emit error, which is returned, the frontier is left unchanged.
 */
int	cairn_frontier_push(struct cairn_frontier *,
	    const uint8_t leaf[CAIRN_HASH_LEN], cairn_emit_fn, void *ctx);
/* Root of the frontier's tree (SHA-256 of the empty string if empty). */
void	cairn_frontier_root(const struct cairn_frontier *,
	    uint8_t out[CAIRN_HASH_LEN]);
/* Rebuild a frontier for size leaves from stored nodes (popcount fetches). */
int	cairn_frontier_load(struct cairn_frontier *, uint64_t size,
	    cairn_node_fn, void *ctx);

#endif
