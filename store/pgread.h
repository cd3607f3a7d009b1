/*
 * pgread.h: looking keys up in one LMDB database by pread(2) of its pages,
 * for scans that would otherwise touch a page of the memory map for every
 * few entries.
 *
 * Why: a scan of a large store reads leaf pages spread all over the file
 * (LMDB reuses freed pages first, so consecutive entries' leaves lie
 * megabytes apart).  Through the map, each leaf is a page fault (14 us on
 * a paravirtualised VM, the first touch of a mapped page about 8 us more)
 * and a page of resident memory; a process that must stay small has to
 * let the map go now and then and fault the pages back.  pread copies the
 * page out of the page cache through the kernel's own mapping: about 1.5
 * us a page here, and nothing stays resident.
 *
 * The reader follows LMDB's on-disk format (liblmdb 0.9, MDB_DATA_VERSION
 * 1: the MDB_page, MDB_node and MDB_db structures of mdb.c) for plain
 * databases only: memcmp order, no duplicates.  It checks every page it
 * reads (its own number, its kind, every offset) and answers
 * CAIRN_PGREAD_USE_LMDB, never a guess, for anything it does not expect:
 * values on overflow pages, another page size, a 32-bit build.  The
 * caller then asks LMDB, so the reader can only be slower, not wrong.
 *
 * The pages of a snapshot do not change while the read transaction that
 * holds it is open (LMDB reuses a page only once no reader can see it):
 * cairn_pgread_root is called again after the transaction is renewed.
 *
 * cairn_pgread_mapv reads the same pages through the memory map instead,
 * for a process whose map is warm (cairnd) but whose lookups wait on
 * cache and TLB misses one after another: it walks a group of keys down
 * the tree together, prefetching the lines the next step of each will
 * read, so that their misses overlap.
 */
#ifndef CAIRN_PGREAD_H
#define CAIRN_PGREAD_H

#include <stddef.h>
#include <stdint.h>

#define CAIRN_PGREAD_DEPTH	16	/* deeper trees: use LMDB */
#define CAIRN_PGREAD_USE_LMDB	1

struct cairn_pgread {
	int		 fd;		/* the data file (mdb_env_get_fd) */
	size_t		 psize;
	uint64_t	 root;		/* UINT64_MAX: an empty database */
	unsigned	 depth;		/* 0: not usable, ask LMDB */
	uint8_t		*buf;		/* a page per level */
	uint64_t	 have[CAIRN_PGREAD_DEPTH];	/* its number, or none */
	uint64_t	 preads;	/* pages read */
};

/* 0, or CAIRN_ENOMEM.  fd and psize: the environment's; fd -1 for a
 * reader used only by cairn_pgread_mapv (no page buffer). */
int	cairn_pgread_init(struct cairn_pgread *, int fd, size_t psize);
void	cairn_pgread_free(struct cairn_pgread *);

/*
 * Takes the database's root from its record in the main database (the
 * value of its name there, as the current read transaction sees it) and
 * forgets the pages read so far.  A record the reader does not understand
 * leaves it unusable until the next call: every lookup answers
 * CAIRN_PGREAD_USE_LMDB.
 */
void	cairn_pgread_root(struct cairn_pgread *, const void *rec, size_t len);

/*
 * Looks key up: 0 with *data, *len pointing into the reader's buffer
 * (valid until its next call), CAIRN_ENOTFOUND, or CAIRN_PGREAD_USE_LMDB
 * (also when pread fails: LMDB then meets the error and says it).
 */
int	cairn_pgread_get(struct cairn_pgread *, const uint8_t *key,
	    size_t klen, const uint8_t **data, size_t *len);

/*
 * Looks up n keys of a database whose keys are 8-byte big-endian integers
 * (keys: their values), reading the pages through the environment's memory
 * map (map: its address; npages: how many pages the snapshot may name)
 * several keys at once, so that the misses on cold pages overlap.  data[i]
 * and len[i] point into the map; data[i] is NULL where the reader cannot
 * say (not found, a page it does not expect, a value on overflow pages):
 * the caller asks LMDB for that one.  The reader needs no buffer: it may
 * have been set up with fd -1.
 */
void	cairn_pgread_mapv(const struct cairn_pgread *, const uint8_t *map,
	    uint64_t npages, const uint64_t *keys, size_t n,
	    const uint8_t **data, size_t *len);

#endif
