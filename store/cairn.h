/*
 * cairn.h: the public interface of libcairn, the Cairn store library.
 *
 * Conventions (after lmdb.h): opaque handles with create/close pairs; every
 * call returns an int, 0 on success, else a CAIRN_E* code or an errno value,
 * turned into text by cairn_strerror(); results go through out-pointers.
 * The library never prints and never exits.
 */
#ifndef CAIRN_H
#define CAIRN_H

#include <stddef.h>
#include <stdint.h>

#define CAIRN_HASH_LEN 32
#define CAIRN_HEX_LEN 64

/* Error codes: negative, so that they never collide with errno values. */
enum {
	CAIRN_OK = 0,
	CAIRN_EINVAL = -30900,	/* invalid argument or input */
	CAIRN_ENOTCANON,	/* JSON is valid but not canonical */
	CAIRN_EJSON,		/* malformed JSON */
	CAIRN_EUTF8,		/* invalid UTF-8 */
	CAIRN_EVALIDATE,	/* event fails the catalog */
	CAIRN_ECONFLICT,	/* (source, id) re-sent with other content */
	CAIRN_ECORRUPT,		/* stored data fails its hash or chain */
	CAIRN_EBEHIND,		/* store is behind its newest signed checkpoint */
	CAIRN_EFULL,		/* store reached its configured size ceiling */
	CAIRN_ELOCKED,		/* another process holds the writer lock */
	CAIRN_ENOTFOUND,	/* no such entry, key or checkpoint */
	CAIRN_EFORMAT,		/* a file is not in the expected format */
	CAIRN_EKEYPERM,		/* secret key readable by group or others */
	CAIRN_EPASS,		/* wrong passphrase */
	CAIRN_EBADSIG,		/* signature does not verify */
	CAIRN_EPROOF,		/* a proof does not verify */
	CAIRN_ERDONLY,		/* store opened read-only */
	CAIRN_EVERSION,		/* store format version not supported */
	CAIRN_ENOMEM,		/* out of memory */
	CAIRN_ETOOBIG,		/* a length cap was exceeded */
	CAIRN_ELAST
};

/* Text for a return code of any libcairn call (static storage). */
const char *cairn_strerror(int rc);



/*
 * The store: an append-only LMDB log of canonical-JSON entries, hash-chained
 * globally, per stream and per account, with an RFC 9162 Merkle tree and
 * signed checkpoints.  One writer process at a time (a lock file enforces
 * it); any number of readers in other processes.
 */

typedef struct cairn_store cairn_store;
typedef struct cairn_iter cairn_iter;
struct cairn_catalog;
struct cairn_buf;
struct cairn_verr;

struct cairn_store_opts {
	uint64_t	 map_size;	/* initial map reservation; 0: 1 GiB */
	uint64_t	 max_size;	/* ceiling; 0: 1 TiB; appends past it: CAIRN_EFULL */
	const char	*checkpoint_file; /* NULL: "<dir>.checkpoint" beside the store */
	uint64_t	 account_log_max; /* entries whose accounts are indexed
				  * together; 0: 65536 (store.c, tests) */
};

#define CAIRN_STORE_RDONLY	0x1	/* no writer lock, no writes */

/* Creates a new empty store in dir (created if missing, must hold no store). */
int	cairn_store_create(const char *dir, const char *origin,
	    const uint8_t pubkey[32], const struct cairn_store_opts *);
/* Opens a store; a writer open fails with CAIRN_ELOCKED if another process
 * writes, and with CAIRN_EBEHIND if the store is behind (or diverges from)
 * the newest signed checkpoint kept in the checkpoint file. */
int	cairn_store_open(const char *dir, const struct cairn_store_opts *,
	    int flags, cairn_store **out);
void	cairn_store_close(cairn_store *);
/* Text of the last error's detail (which file, which seq); valid until the
 * next call.  With NULL: why the last open or create in this thread failed. */
const char *cairn_store_errdetail(const cairn_store *);

/* A prepared event: parsed, validated against the catalog, normalised and
 * canonicalised, ready to append.  Preparing needs no store, so callers do
 * it outside the writer. */
typedef struct cairn_event cairn_event;
#define CAIRN_EVENT_SYSTEM 0x1	/* written by Cairn itself (system stream) */
/* Parses and validates one JSON event from source.  On CAIRN_EVALIDATE, errs
 * holds up to maxerr errors and *nerr their total; on CAIRN_EJSON/EUTF8
 * errs[0].msg says where. */
int	cairn_event_prepare(const struct cairn_catalog *, const char *source,
	    const uint8_t *json, size_t len, int flags, cairn_event **out,
	    struct cairn_verr *errs, size_t maxerr, size_t *nerr);
void	cairn_event_free(cairn_event *);
const char *cairn_event_id(const cairn_event *);	/* NULL if none */
const char *cairn_event_stream(const cairn_event *);
/* After a successful append: the entry bytes that were stored (for a
 * duplicate, the first entry's bytes); valid until cairn_event_free. */
int	cairn_event_entry(const cairn_event *, const uint8_t **, size_t *);

struct cairn_receipt {
	uint64_t	seq;
	uint8_t		leaf[CAIRN_HASH_LEN];
	uint64_t	tree_size;	/* log size after the commit */
	int		duplicate;	/* the first receipt of an identical re-send */
};

/* Appends n events in one durable write transaction and fills one receipt
 * per event once the commit has returned.  Atomic: on any error nothing is
 * stored and *failed (if not NULL) names the event at fault
 * (CAIRN_ECONFLICT: its (source, id) was stored before with other content). */
int	cairn_store_append(cairn_store *, cairn_event *const *, size_t n,
	    struct cairn_receipt *, size_t *failed);

struct cairn_entry {
	uint64_t	 seq;
	const uint8_t	*data;		/* valid until the next call on the iterator */
	size_t		 len;
	uint8_t		 leaf[CAIRN_HASH_LEN];	/* recomputed from data */
	int		 intact;	/* 1 if the recomputed hash equals the stored one */
	uint8_t		 stored[CAIRN_HASH_LEN];	/* the leaf hash in the tree */
};

/*
 * Drops this process's mapping of the store's pages (they stay in the page
 * cache): long scans call it now and then, so that their resident size
 * does not grow with the store.  Other threads may go on reading.
 */
int	cairn_store_release_pages(cairn_store *);
/*
 * Clears the reader slots of processes that died holding a read
 * transaction (they pin the pages freed since, so the store grows); the
 * writer calls it now and then.  *cleared: how many, with those cleared
 * when the map was full, since the last call.  Writer thread only.
 */
int	cairn_store_clear_readers(cairn_store *, unsigned *cleared);
/* Number of entries (the tree size). */
int	cairn_store_size(cairn_store *, uint64_t *);
/* One entry, re-hashed; CAIRN_ECORRUPT (entry still filled) if it fails.
 * Data is copied into buf. */
int	cairn_store_get(cairn_store *, uint64_t seq, struct cairn_buf *buf,
	    struct cairn_entry *);
/* Iterators: entries [from, to); one account's entries; one stream's
 * entries with received in [since, until) microseconds.  Each entry is
 * re-hashed.  Long scans renew their read transaction as they go. */
int	cairn_iter_range(cairn_store *, uint64_t from, uint64_t to, cairn_iter **);
int	cairn_iter_account(cairn_store *, const char *account, cairn_iter **);
int	cairn_iter_stream(cairn_store *, const char *stream, int64_t since_us,
	    int64_t until_us, cairn_iter **);
/* 0 and an entry, or CAIRN_ENOTFOUND at the end. */
int	cairn_iter_next(cairn_iter *, struct cairn_entry *);
/* Repositions an iterator so that the next entry it returns is the first
 * at or after entry seq, received at received_us (the order of a stream
 * iterator's keys; range and account iterators use only seq).  For
 * resuming a scan where an earlier one stopped (cursors). */
int	cairn_iter_seek(cairn_iter *, uint64_t seq, int64_t received_us);
void	cairn_iter_free(cairn_iter *);
/*
 * Lazy (on non-zero): the iterator's next entries are re-hashed but their
 * stored leaf hash is not read (one random read less each): intact is -1
 * and stored a copy of leaf, both unchecked.  Only for a caller that
 * proves the bytes another way, as an account's hash chain does up to an
 * entry whose stored leaf it compares (cairn_iter_leaf; rows.h).
 */
void	cairn_iter_lazy(cairn_iter *, int on);
/*
 * Reads the entries' pages with pread(2) instead of through the store's
 * memory map (store/pgread.h): for long scans of large stores, where each
 * few entries would fault in a page of the map and keep it resident.
 * Same results; 0, CAIRN_ENOMEM, or CAIRN_EINVAL after cairn_iter_ahead
 * (call it before: the second thread then reads direct too).
 * cairn_iter_preads: pages so read by the caller's thread.
 */
int	cairn_iter_direct(cairn_iter *);
uint64_t cairn_iter_preads(const cairn_iter *);
/*
 * An account iterator reads ahead on a second thread (started only once
 * the account has more than a block of entries), for long histories on a
 * large store; it returns the same entries in the same order.  0, or
 * CAIRN_EINVAL for another kind of iterator.  Unless it reads direct, such
 * an iterator finds each block's entries through the map several at a
 * time (cairn_pgread_mapv, store/pgread.h), LMDB finding any the page
 * reader cannot; cairn_iter_mapped: entries so found, on both threads.
 */
int	cairn_iter_ahead(cairn_iter *);
uint64_t cairn_iter_mapped(const cairn_iter *);
/* Takes a new snapshot if the iterator's is older than 100 ms (an
 * iterator renews itself as it goes; this is for one a merge leaves
 * waiting), so that a long scan does not pin pages the writer frees. */
int	cairn_iter_refresh(cairn_iter *);
/* The leaf hash stored in the tree for entry seq, read in the iterator's
 * transaction; CAIRN_ECORRUPT if there is none. */
int	cairn_iter_leaf(cairn_iter *, uint64_t seq, uint8_t out[CAIRN_HASH_LEN]);
/*
 * Seq of the account's newest entry with seq < before (or, for _after, its
 * oldest with seq > after), from the by_account index; CAIRN_ENOTFOUND.
 */
int	cairn_store_account_before(cairn_store *, const char *account,
	    uint64_t before, uint64_t *seq);
int	cairn_store_account_after(cairn_store *, const char *account,
	    uint64_t after, uint64_t *seq);

/* Merkle root of the first size entries, and RFC 9162 proofs. */
int	cairn_store_root(cairn_store *, uint64_t size, uint8_t root[CAIRN_HASH_LEN]);
int	cairn_store_inclusion(cairn_store *, uint64_t seq, uint64_t size,
	    uint8_t proof[][CAIRN_HASH_LEN], size_t *n);
int	cairn_store_consistency(cairn_store *, uint64_t old, uint64_t new,
	    uint8_t proof[][CAIRN_HASH_LEN], size_t *n);

struct cairn_store_info {
	char		origin[256];
	uint8_t		pubkey[32];
	uint64_t	size;
	uint64_t	stream_count[7];
	int64_t		last_received;	/* microseconds */
	uint64_t	checkpoints;
	uint64_t	disk_bytes;	/* data.mdb size on disk */
	uint64_t	map_size;
};
int	cairn_store_info(cairn_store *, struct cairn_store_info *);

/* Makes, signs, stores and writes out (checkpoint file, fsync'd) a
 * checkpoint of the current tree; sk is the 64-byte Ed25519 secret key
 * matching the store's public key.  The signed note goes to note (may be NULL). */
int	cairn_store_checkpoint(cairn_store *, const uint8_t sk[64],
	    struct cairn_buf *note);
/* The newest stored checkpoint's signed note; CAIRN_ENOTFOUND if none. */
int	cairn_store_checkpoint_latest(cairn_store *, struct cairn_buf *note);
/*
 * By the time it was made: the newest checkpoint made at or before time_us,
 * or (after set) the oldest made at or after it; CAIRN_ENOTFOUND if none.
 */
int	cairn_store_checkpoint_at(cairn_store *, int64_t time_us, int after,
	    struct cairn_buf *note);
/* The newest checkpoint with tree size <= size (or >= size when after is
 * set); CAIRN_ENOTFOUND if none. */
int	cairn_store_checkpoint_find(cairn_store *, uint64_t size, int after,
	    struct cairn_buf *note);

/*
 * Key rotation.  A store's checkpoints are signed by one key at a time;
 * rotating appends a system.key_rotated entry that announces the new key
 * (its public_key field), and signs the checkpoint of the tree that ends
 * with that entry by both keys: the old key's signature is what makes the
 * new one trustworthy.  A key signs the checkpoints of tree sizes from the
 * rotation that brought it in (that rotation's size included) up to and
 * including the size of the rotation that retired it.
 */
#define CAIRN_MAX_KEYS	64	/* keys one store may have had */

struct cairn_store_key {
	uint8_t		pubkey[32];
	uint64_t	first_size;	/* smallest tree size it signs */
	uint64_t	last_size;	/* largest; UINT64_MAX: the current key */
	int64_t		rotated_us;	/* time of the checkpoint that retired it
					 * (0 for the current key) */
};

/* The store's keys, oldest first, the current one last (*n >= 1). */
int	cairn_store_keys(cairn_store *, struct cairn_store_key keys[CAIRN_MAX_KEYS],
	    size_t *n);
/*
 * Rotates the signing key from old_sk (the store's current key) to new_sk,
 * in one durable write transaction: appends ev, a prepared
 * system.key_rotated event whose public_key is new_sk's minisign public
 * key; records old_sk's public key as valid up to the new tree size; stores
 * the checkpoint of that tree signed by old_sk and then new_sk; makes
 * new_sk's public key the store's.  Then the checkpoint file is written.
 * Either all of it is stored or none.  CAIRN_EINVAL (with the detail) if
 * old_sk is not the current key, new_sk is or was one of the store's keys,
 * or ev is not that announcement (or was stored before); CAIRN_ETOOBIG past
 * CAIRN_MAX_KEYS keys.  The receipt is ev's, the note the checkpoint's.
 */
int	cairn_store_rotate(cairn_store *, const uint8_t old_sk[64],
	    const uint8_t new_sk[64], cairn_event *ev, struct cairn_receipt *,
	    struct cairn_buf *note);
/*
 * Checks a checkpoint of this store: its signature by the key in force at
 * its tree size (and, for a rotation's checkpoint, by both keys).  Returns
 * 0 and the note's text (in note) in *body, *bodylen; CAIRN_EBADSIG if the
 * key in force has not signed it, or another signature error.
 */
int	cairn_store_note_verify(cairn_store *, const uint8_t *note, size_t len,
	    const uint8_t **body, size_t *bodylen);

struct cairn_verify_report {
	uint64_t	entries;	/* entries checked */
	uint64_t	bytes;		/* entry bytes hashed */
	uint64_t	checkpoints;	/* checkpoints checked */
	int		failed;		/* 1 if something is wrong */
	int		has_seq;	/* bad_seq names an entry */
	uint64_t	bad_seq;
	char		what[512];
};
/* Recomputes every leaf hash, the global, stream and account chains, every
 * stored Merkle node, every checkpoint root and signature, and the
 * checkpoint file; the first problem found is described in the report and
 * CAIRN_ECORRUPT returned.  Signatures are checked against the key in force
 * at each checkpoint's tree size (cairn_store_keys), every key rotation
 * against its system.key_rotated entry and its checkpoint signed by both
 * keys.  pubkey, a trusted key, must be one of the store's keys (NULL: the
 * store's current key is trusted); if it is none, every checkpoint is
 * checked against it alone (and fails). */
int	cairn_store_verify(cairn_store *, const uint8_t *pubkey,
	    struct cairn_verify_report *);

#endif
