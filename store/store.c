/*
 * store.c: the append-only LMDB log.
 *
 * Named databases (DESIGN.md "Store"):
 *   entries     u64be seq -> canonical JSON entry          (MDB_APPEND)
 *   nodes       u64be post-order position -> 32-byte hash  (MDB_APPEND)
 *   by_account  akey(account) || 0x00 || u64be seq -> ""   (merged part)
 *   account_log u64be seq -> akey(account) || 0x00         (MDB_APPEND)
 *   account_span akey(account) || 0x00 -> u64be first || u64be last seq in
 *               account_log (the accounts the log holds)
 *   by_time     stream(1) || u64be received_us || u64be seq -> ""
 *   event_ids   source || 0x00 || id -> u64be seq || event_sha256
 *   checkpoints u64be size || u64be time_us -> signed note
 *   meta        name -> value
 * Only this file opens a write transaction.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "cjson.h"
#include "internal.h"
#include "merkle.h"
#include "pgread.h"
#include "rfc3339.h"

/* 2: the account index is by_account and account_log together (a reader of
 * format 1 would miss the log's entries from accounts' histories); a
 * writer's open turns a format 1 store into 2. */
#define FORMAT_VERSION	2
#define DEFAULT_MAP	(1ULL << 30)
#define DEFAULT_MAX	(1ULL << 40)
#define RENEW_EVERY	65536	/* entries between read-transaction renewals */
#define RENEW_MS	100	/* and at least this often (milliseconds) */
#define MAX_ENTRY	(256 * 1024)

static const uint8_t zero32[CAIRN_HASH_LEN];

struct state {
	uint64_t		size;
	struct cairn_frontier	fr;
	uint8_t			last[CAIRN_HASH_LEN];	/* leaf hash of seq size-1 */
	uint64_t		count[CAIRN_NSTREAMS];
	uint8_t			head[CAIRN_NSTREAMS][CAIRN_HASH_LEN];
	int64_t			received;
};

/* The writer's cache of account heads: most events are about accounts seen
 * recently, and this saves three B-tree lookups per event. */
struct ahead {
	char		*account;
	uint64_t	 seq;
	uint8_t		 leaf[CAIRN_HASH_LEN];
};
#define ACACHE_MAX	(1u << 20)

/*
 * The newest entries' accounts are not put in by_account one by one: a
 * batch names many accounts, each on a different leaf page of by_account,
 * and rewriting those pages was half of what a commit wrote.  They are
 * appended to account_log (seq -> account), and moved into by_account
 * together, sorted, once the log holds log_max of them: every entry with
 * an account is in exactly one of the two, by_account's all older than the
 * log's.  account_span names the accounts the log holds, with the first and
 * last seq of each there: a small tree (a few pages for a thousand
 * accounts), so that readers look through the log only between those two,
 * and never for an account it does not hold.  Readers take an account's
 * seqs from by_account, then from the log.  The writer keeps the log's
 * accounts and their first and newest seq in lmap.
 */
#define LOG_MAX		65536
struct lslot {
	uint8_t		*key;		/* akey(), NULL: free */
	size_t		 len;
	uint64_t	 first, seq;	/* oldest and newest in account_log */
	size_t		 idx;		/* log_merge's order of the accounts */
};

struct cairn_store {
	struct ahead	*acache;
	size_t		 acap, aused;
	MDB_env		*env;
	MDB_dbi		 entries, nodes, by_account, by_time, event_ids,
			 checkpoints, meta;
	MDB_dbi		 main;		/* the databases' records (pgread) */
	MDB_dbi		 account_log, account_span;
	int		 has_log;	/* 0: an older store, opened read-only */
	struct lslot	*lmap;		/* writer: account_log's accounts */
	size_t		 lcap, lused;
	uint64_t	 lcount;	/* records in account_log */
	int		 lvalid;	/* lmap and lcount match the store */
	uint64_t	 log_max;
	int		 rdonly;
	int		 lockfd;
	uint64_t	 map_size, max_size;
	unsigned	 readers_cleared;	/* by grow(), writer only */
	char		*dir;
	char		*cpfile;
	char		 origin[256];
	uint8_t		 pubkey[32];
	struct state	 st;		/* writer only */
	char		 detail[512];
};

/* cairn_iter_direct: pread readers of the entries and nodes trees. */
struct direct {
	struct cairn_pgread ent, nodes;
};

struct cairn_iter {
	cairn_store	*s;
	MDB_txn		*txn;
	MDB_cursor	*cur;
	MDB_cursor	*lcur;		/* account_log, ITER_ACCOUNT */
	int		 kind;		/* ITER_RANGE, ITER_ACCOUNT, ITER_STREAM */
	uint64_t	 next, to;	/* range */
	char		*account;
	uint8_t		 tkey[17];	/* stream key position */
	int64_t		 until;
	int		 started;
	int		 lazy;		/* cairn_iter_lazy: no stored leaf */
	unsigned	 since_renew;
	int64_t		 renewed_ms;	/* monotonic, when the snapshot was taken */
	struct cairn_buf buf;
	struct direct	*pr;		/* cairn_iter_direct */
	struct readahead *ahead;		/* cairn_iter_ahead */
};

/*
 * Reading ahead (cairn_iter_ahead): a second thread walks the account's
 * index in blocks and reads them into a ring; the caller gives the entries
 * out in order and, rather than wait for a block the thread is reading,
 * reads a later one itself.  A long history is random reads all over a
 * large map, bound by memory latency: two threads wait on two misses at
 * once.  Blocks hold copies, so snapshots may differ: entries never change.
 */
#define AHEAD_BLOCK	256
#define AHEAD_SLOTS	4

enum { SLOT_FREE, SLOT_SEQS, SLOT_FILLING, SLOT_READY };

struct ablock {
	int		 state;
	uint64_t	 seq[AHEAD_BLOCK];
	struct cairn_entry e[AHEAD_BLOCK];
	size_t		 n, pos;
	int		 rc;
	struct cairn_buf buf;
};

struct readahead {
	pthread_t	 th;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	int		 running, quit, busy, reset;
	int		 ended;		/* the index has no more */
	int		 wrc;		/* the index walk's error */
	uint64_t	 next;		/* index position: first seq >= next */
	uint64_t	 head, tail;	/* blocks [tail, head) are in the ring */
	struct ablock	*out;		/* block tail, read: the caller's */
	MDB_txn		*wtxn;
	MDB_cursor	*wcur, *wlcur;
	struct direct	*wpr;		/* wtxn's, when the iterator reads direct */
	uint64_t	 mapped;	/* entries found by map_lookup (atomic) */
	struct ablock	 blk[AHEAD_SLOTS];
};

enum { ITER_RANGE, ITER_ACCOUNT, ITER_STREAM };

int
cairn_stream_index(const char *name)
{
	int i;

	for (i = 0; i < CAIRN_NSTREAMS; i++)
		if (strcmp(cairn_stream_names[i], name) == 0)
			return i;
	return -1;
}

const char *
cairn_strerror(int rc)
{
	static const char *const msg[] = {
		"invalid argument or input",
		"JSON is not in canonical form",
		"malformed JSON",
		"invalid UTF-8",
		"event does not match the catalog",
		"event id was stored before with other content",
		"stored data fails its hash or chain check",
		"store is behind or diverges from its newest signed checkpoint",
		"store reached its size ceiling",
		"another process is writing to the store",
		"not found",
		"file is not in the expected format",
		"secret key file is accessible by group or others",
		"wrong passphrase",
		"signature does not verify",
		"proof does not verify",
		"store is open read-only",
		"store format version not supported",
		"out of memory",
		"a length limit was exceeded",
	};

	if (rc == 0)
		return "success";
	if (rc >= CAIRN_EINVAL && rc < CAIRN_ELAST)
		return msg[rc - CAIRN_EINVAL];
	if (rc > 0)
		return strerror(rc);
	return mdb_strerror(rc);
}

/* Maps an LMDB return code onto ours (errno values pass through). */
static int
mdbrc(int rc)
{
	switch (rc) {
	case 0:
		return 0;
	case MDB_NOTFOUND:
		return CAIRN_ENOTFOUND;
	case MDB_INVALID:
	case MDB_VERSION_MISMATCH:
		return CAIRN_EFORMAT;
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
		return CAIRN_ECORRUPT;
	default:
		return rc;
	}
}

static void
detail(cairn_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
detail(cairn_store *s, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof s->detail, fmt, ap);
	va_end(ap);
}

/* Why the last cairn_store_open or cairn_store_create in this thread failed. */
static __thread char open_detail[512];

const char *
cairn_store_errdetail(const cairn_store *s)
{
	return s != NULL ? s->detail : open_detail;
}

static int64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
val(MDB_val *v, const void *p, size_t n)
{
	v->mv_data = (void *)(uintptr_t)p;
	v->mv_size = n;
}

/* Begins a read transaction, adopting a map grown by the writer. */
static int
rtxn(cairn_store *s, MDB_txn **txn)
{
	int rc;

	rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	if (rc == MDB_MAP_RESIZED) {
		/* Another process grew the map: adopt its size (lmdb.h). */
		if ((rc = mdb_env_set_mapsize(s->env, 0)) != 0)
			return rc;
		rc = mdb_txn_begin(s->env, NULL, MDB_RDONLY, txn);
	}
	return mdbrc(rc);
}

struct nodectx {
	cairn_store	*s;
	MDB_txn		*txn;
};

/* cairn_node_fn over the nodes database. */
static int
getnode(void *ctx, unsigned level, uint64_t index, uint8_t out[CAIRN_HASH_LEN])
{
	struct nodectx *c = ctx;
	uint8_t kb[8];
	MDB_val k, v;
	int rc;

	cairn_put_be64(kb, cairn_merkle_pos(level, index));
	val(&k, kb, 8);
	if ((rc = mdb_get(c->txn, c->s->nodes, &k, &v)) != 0)
		return mdbrc(rc);
	if (v.mv_size != CAIRN_HASH_LEN)
		return CAIRN_ECORRUPT;
	memcpy(out, v.mv_data, CAIRN_HASH_LEN);
	return 0;
}

static int
meta_get(MDB_txn *txn, cairn_store *s, const char *name, MDB_val *v)
{
	MDB_val k;

	val(&k, name, strlen(name));
	return mdbrc(mdb_get(txn, s->meta, &k, v));
}

static int
meta_put(MDB_txn *txn, cairn_store *s, const char *name, const void *p, size_t n)
{
	MDB_val k, v;

	val(&k, name, strlen(name));
	val(&v, p, n);
	return mdb_put(txn, s->meta, &k, &v, 0);
}

static int
open_dbis(cairn_store *s, MDB_txn *txn, unsigned extra)
{
	int rc;

	if ((rc = mdb_dbi_open(txn, "entries", extra, &s->entries)) != 0 ||
	    (rc = mdb_dbi_open(txn, "nodes", extra, &s->nodes)) != 0 ||
	    (rc = mdb_dbi_open(txn, "by_account", extra, &s->by_account)) != 0 ||
	    (rc = mdb_dbi_open(txn, "by_time", extra, &s->by_time)) != 0 ||
	    (rc = mdb_dbi_open(txn, "event_ids", extra, &s->event_ids)) != 0 ||
	    (rc = mdb_dbi_open(txn, "checkpoints", extra, &s->checkpoints)) != 0 ||
	    (rc = mdb_dbi_open(txn, "meta", extra, &s->meta)) != 0 ||
	    (rc = mdb_dbi_open(txn, NULL, 0, &s->main)) != 0)
		return mdbrc(rc);
	return 0;
}

static char *
default_cpfile(const char *dir)
{
	char *p;
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	if ((p = malloc(n + sizeof ".checkpoint")) == NULL)
		return NULL;
	memcpy(p, dir, n);
	memcpy(p + n, ".checkpoint", sizeof ".checkpoint");
	return p;
}

static void
acache_clear(cairn_store *s)
{
	size_t i;

	for (i = 0; i < s->acap; i++)
		free(s->acache[i].account);
	free(s->acache);
	s->acache = NULL;
	s->acap = s->aused = 0;
}

/* FNV-1a. */
static uint64_t
memhash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n-- > 0)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

static uint64_t
strhash(const char *p)
{
	return memhash((const uint8_t *)p, strlen(p));
}

/* The cache slot for account (found, or empty where it would go). */
static struct ahead *
acache_slot(cairn_store *s, const char *account)
{
	size_t i;

	if (s->acap == 0)
		return NULL;
	i = strhash(account) & (s->acap - 1);
	while (s->acache[i].account != NULL &&
	    strcmp(s->acache[i].account, account) != 0)
		i = (i + 1) & (s->acap - 1);
	return &s->acache[i];
}

/* Remembers an account's head; a full cache simply starts over. */
static void
acache_put(cairn_store *s, const char *account, uint64_t seq,
    const uint8_t leaf[CAIRN_HASH_LEN])
{
	struct ahead *a, *old;
	size_t i, ocap;

	if (s->aused * 2 >= s->acap) {
		if (s->acap >= ACACHE_MAX)
			acache_clear(s);
		old = s->acache;
		ocap = s->acap;
		s->acap = ocap ? ocap * 2 : 1024;
		if ((s->acache = calloc(s->acap, sizeof *s->acache)) == NULL) {
			s->acache = old;
			s->acap = ocap;
			return;
		}
		s->aused = 0;
		for (i = 0; i < ocap; i++) {
			if (old[i].account == NULL)
				continue;
			*acache_slot(s, old[i].account) = old[i];
			s->aused++;
		}
		free(old);
	}
	a = acache_slot(s, account);
	if (a->account == NULL) {
		if ((a->account = strdup(account)) == NULL)
			return;
		s->aused++;
	}
	a->seq = seq;
	memcpy(a->leaf, leaf, CAIRN_HASH_LEN);
}

/* The by_account key prefix: the account, or for a very long one (whose key
 * would pass LMDB's 511 bytes) 0xff and its SHA-256; then 0x00. */
static size_t
akey(const char *account, uint8_t out[512])
{
	size_t n = strlen(account);

	if (n <= 400) {
		memcpy(out, account, n);
	} else {
		out[0] = 0xff;	/* never a UTF-8 byte: no collision */
		cairn_sha256(account, n, out + 1);
		n = 1 + CAIRN_HASH_LEN;
	}
	out[n] = 0x00;
	return n + 1;
}

static void
lmap_clear(cairn_store *s)
{
	size_t i;

	for (i = 0; i < s->lcap; i++)
		free(s->lmap[i].key);
	free(s->lmap);
	s->lmap = NULL;
	s->lcap = s->lused = 0;
}

/* lmap's slot for the account key k (found, or empty where it would go). */
static struct lslot *
lmap_slot(struct lslot *m, size_t cap, const uint8_t *k, size_t n)
{
	size_t i = memhash(k, n) & (cap - 1);

	while (m[i].key != NULL && (m[i].len != n || memcmp(m[i].key, k, n) != 0))
		i = (i + 1) & (cap - 1);
	return &m[i];
}

/* The newest seq of account key k in account_log: 0, or CAIRN_ENOTFOUND. */
static int
lmap_get(const cairn_store *s, const uint8_t *k, size_t n, uint64_t *seq)
{
	struct lslot *l;

	if (s->lcap == 0)
		return CAIRN_ENOTFOUND;
	l = lmap_slot(s->lmap, s->lcap, k, n);
	if (l->key == NULL)
		return CAIRN_ENOTFOUND;
	*seq = l->seq;
	return 0;
}

/* Records seq as the newest of account key k (and the first, if k is new);
 * its slot, or NULL when out of memory. */
static struct lslot *
lmap_put(cairn_store *s, const uint8_t *k, size_t n, uint64_t seq)
{
	struct lslot *l, *m;
	size_t i, cap;

	if ((s->lused + 1) * 2 > s->lcap) {
		cap = s->lcap ? s->lcap * 2 : 1024;
		if ((m = calloc(cap, sizeof *m)) == NULL)
			return NULL;
		for (i = 0; i < s->lcap; i++)
			if (s->lmap[i].key != NULL)
				*lmap_slot(m, cap, s->lmap[i].key,
				    s->lmap[i].len) = s->lmap[i];
		free(s->lmap);
		s->lmap = m;
		s->lcap = cap;
	}
	l = lmap_slot(s->lmap, s->lcap, k, n);
	if (l->key == NULL) {
		if ((l->key = malloc(n)) == NULL)
			return NULL;
		memcpy(l->key, k, n);
		l->len = n;
		l->first = seq;
		s->lused++;
	}
	l->seq = seq;
	return l;
}

/* lmap_put, and account_span's record for k (through scur) to match. */
static int
lmap_add(cairn_store *s, MDB_cursor *scur, const uint8_t *k, size_t n,
    uint64_t seq)
{
	struct lslot *l;
	uint8_t span[16];
	MDB_val kv, v;

	if ((l = lmap_put(s, k, n, seq)) == NULL)
		return CAIRN_ENOMEM;
	cairn_put_be64(span, l->first);
	cairn_put_be64(span + 8, seq);
	val(&kv, k, n);
	val(&v, span, sizeof span);
	return mdb_cursor_put(scur, &kv, &v, 0);
}

/* Reads account_log into lmap and lcount (the writer's, in txn). */
static int
lmap_load(cairn_store *s, MDB_txn *txn)
{
	MDB_cursor *c;
	MDB_val k, v;
	int rc;

	lmap_clear(s);
	s->lcount = 0;
	if ((rc = mdb_cursor_open(txn, s->account_log, &c)) != 0)
		return mdbrc(rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 8 || v.mv_size < 2 || v.mv_size > 512) {
			mdb_cursor_close(c);
			return CAIRN_ECORRUPT;
		}
		if (lmap_put(s, v.mv_data, v.mv_size,
		    cairn_get_be64(k.mv_data)) == NULL) {
			mdb_cursor_close(c);
			return CAIRN_ENOMEM;
		}
		s->lcount++;
	}
	mdb_cursor_close(c);
	if (rc != MDB_NOTFOUND)
		return mdbrc(rc);
	s->lvalid = 1;
	return 0;
}

/* After an aborted write transaction: what the writer remembers of the
 * accounts' heads is read again from the store. */
static void
forget_heads(cairn_store *s)
{
	acache_clear(s);
	lmap_clear(s);
	s->lvalid = 0;
}

static void
store_free(cairn_store *s)
{
	if (s == NULL)
		return;
	acache_clear(s);
	lmap_clear(s);
	if (s->env != NULL)
		mdb_env_close(s->env);
	if (s->lockfd >= 0)
		close(s->lockfd);
	free(s->dir);
	free(s->cpfile);
	free(s);
}

/* A writer's open of a format 1 store: it now has account_log and
 * account_span (empty), which is format 2. */
static int
upgrade(cairn_store *s, MDB_txn *txn, int create)
{
	uint8_t ver[8];
	MDB_val v;

	if (s->rdonly || create || meta_get(txn, s, "format", &v) != 0 ||
	    v.mv_size != 8 || cairn_get_be64(v.mv_data) != 1)
		return 0;
	cairn_put_be64(ver, FORMAT_VERSION);
	return mdbrc(meta_put(txn, s, "format", ver, sizeof ver));
}

/* Opens the LMDB environment; create makes the databases. */
static int
env_open(cairn_store *s, const struct cairn_store_opts *o, int create)
{
	char path[PATH_MAX];
	struct stat sb;
	MDB_txn *txn;
	unsigned flags;
	int rc;

	s->map_size = o && o->map_size ? o->map_size : DEFAULT_MAP;
	s->max_size = o && o->max_size ? o->max_size : DEFAULT_MAX;
	if (s->map_size > s->max_size)
		s->map_size = s->max_size;
	if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", s->dir) >= sizeof path)
		return ENAMETOOLONG;
	if (!create && stat(path, &sb) != 0) {
		rc = errno;
		detail(s, "%s: no store here (cairn init creates one)", s->dir);
		return rc == ENOENT ? CAIRN_ENOTFOUND : rc;
	}
	/* Never let LMDB start a store over a file that is not one of ours
	 * (an empty one too: LMDB would write a new environment into it). */
	if (!create && sb.st_size < 8192) {
		detail(s, "%s: %s", path, sb.st_size == 0 ? "empty: not a store "
		    "(truncated or not made by cairn init)" :
		    "too short to be an LMDB store");
		return CAIRN_EFORMAT;
	}
	if (create && stat(path, &sb) == 0) {
		detail(s, "%s: a store already exists here", s->dir);
		return EEXIST;
	}
	if ((rc = mdb_env_create(&s->env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(s->env, 10)) != 0 ||
	    (rc = mdb_env_set_maxreaders(s->env, 254)) != 0)
		return mdbrc(rc);
	if (!create && sb.st_size > 0 && (uint64_t)sb.st_size > s->map_size)
		s->map_size = (uint64_t)sb.st_size;
	if ((rc = mdb_env_set_mapsize(s->env, s->map_size)) != 0)
		return mdbrc(rc);
	/* MDB_NOTLS: read transactions are not tied to threads (DESIGN.md).
	 * No MDB_NOSYNC/MDB_NOMETASYNC: a returned commit is on disk. */
	flags = MDB_NOTLS | MDB_NORDAHEAD | (s->rdonly ? MDB_RDONLY : 0);
	if ((rc = mdb_env_open(s->env, s->dir, flags, 0600)) != 0) {
		detail(s, "%s: %s", s->dir, mdb_strerror(rc));
		return mdbrc(rc);
	}
	/* Clear the reader slots of processes that died mid-read. */
	(void)mdb_reader_check(s->env, NULL);
	if (s->rdonly)
		rc = rtxn(s, &txn);
	else
		rc = mdbrc(mdb_txn_begin(s->env, NULL, 0, &txn));
	if (rc != 0)
		return rc;
	if ((rc = open_dbis(s, txn, create ? MDB_CREATE : 0)) != 0) {
		mdb_txn_abort(txn);
		if (rc == CAIRN_ENOTFOUND) {
			detail(s, "%s: not a Cairn store (databases missing)", s->dir);
			rc = CAIRN_EFORMAT;
		}
		return rc;
	}
	/* Stores made before account_log get it from their first writer. */
	rc = mdb_dbi_open(txn, "account_log", s->rdonly ? 0 : MDB_CREATE,
	    &s->account_log);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return mdbrc(rc);
	}
	if (rc == 0)
		rc = mdb_dbi_open(txn, "account_span", s->rdonly ? 0 :
		    MDB_CREATE, &s->account_span);
	if (rc != 0 && rc != MDB_NOTFOUND) {
		mdb_txn_abort(txn);
		return mdbrc(rc);
	}
	s->has_log = rc == 0;
	if ((rc = upgrade(s, txn, create)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	s->log_max = o && o->account_log_max ? o->account_log_max : LOG_MAX;
	return mdbrc(mdb_txn_commit(txn));
}

/* Reads origin and public key; checks the format version. */
static int
load_meta(cairn_store *s, MDB_txn *txn)
{
	MDB_val v;
	int rc;

	if ((rc = meta_get(txn, s, "format", &v)) != 0 || v.mv_size != 8) {
		detail(s, "%s: not a Cairn store (no format version)", s->dir);
		return CAIRN_EFORMAT;
	}
	/* Format 1 only where a reader opened a store no writer has opened
	 * since: it has no account_log, by_account holds everything. */
	if (cairn_get_be64(v.mv_data) != FORMAT_VERSION &&
	    !(cairn_get_be64(v.mv_data) == 1 && s->rdonly && !s->has_log)) {
		detail(s, "%s: store format %llu, this build reads %d", s->dir,
		    (unsigned long long)cairn_get_be64(v.mv_data), FORMAT_VERSION);
		return CAIRN_EVERSION;
	}
	if (cairn_get_be64(v.mv_data) >= 2 && !s->has_log) {
		detail(s, "%s: account_log or account_span is missing", s->dir);
		return CAIRN_EFORMAT;
	}
	if ((rc = meta_get(txn, s, "origin", &v)) != 0 ||
	    v.mv_size == 0 || v.mv_size >= sizeof s->origin)
		return CAIRN_EFORMAT;
	memcpy(s->origin, v.mv_data, v.mv_size);
	s->origin[v.mv_size] = 0;
	if ((rc = meta_get(txn, s, "pubkey", &v)) != 0 || v.mv_size != 32)
		return CAIRN_EFORMAT;
	memcpy(s->pubkey, v.mv_data, 32);
	return 0;
}

/* A store's keys, oldest first, the current one last (cairn_store_keys). */
struct keyset {
	struct cairn_store_key	k[CAIRN_MAX_KEYS];
	size_t			n;
};

/* meta "key_history": one record per retired key, oldest first:
 * public key || u64be last tree size it signs || u64be rotation time. */
#define KEYREC_LEN	48

/* Reads the keys from meta: the retired ones, then "pubkey". */
static int
load_keys(cairn_store *s, MDB_txn *txn, struct keyset *ks)
{
	struct cairn_store_key *k;
	MDB_val v;
	const uint8_t *p;
	size_t i, n = 0;
	int rc;

	memset(ks, 0, sizeof *ks);
	memset(&v, 0, sizeof v);
	rc = meta_get(txn, s, "key_history", &v);
	if (rc == 0) {
		if (v.mv_size % KEYREC_LEN != 0 ||
		    v.mv_size / KEYREC_LEN >= CAIRN_MAX_KEYS) {
			detail(s, "%s: the key history is malformed", s->dir);
			return CAIRN_ECORRUPT;
		}
		n = v.mv_size / KEYREC_LEN;
	} else if (rc != CAIRN_ENOTFOUND)
		return rc;
	for (i = 0, p = v.mv_data; i < n; i++, p += KEYREC_LEN) {
		k = &ks->k[i];
		memcpy(k->pubkey, p, 32);
		k->first_size = i ? ks->k[i - 1].last_size : 0;
		k->last_size = cairn_get_be64(p + 32);
		k->rotated_us = (int64_t)cairn_get_be64(p + 40);
		/* Each rotation appends an entry: sizes only grow. */
		if (k->last_size <= k->first_size || k->last_size == UINT64_MAX) {
			detail(s, "%s: the key history is malformed", s->dir);
			return CAIRN_ECORRUPT;
		}
	}
	if ((rc = meta_get(txn, s, "pubkey", &v)) != 0 || v.mv_size != 32)
		return rc == 0 || rc == CAIRN_ENOTFOUND ? CAIRN_EFORMAT : rc;
	k = &ks->k[n];
	memcpy(k->pubkey, v.mv_data, 32);
	k->first_size = n ? ks->k[n - 1].last_size : 0;
	k->last_size = UINT64_MAX;
	ks->n = n + 1;
	return 0;
}

/* The keys as they are now, in a read transaction of their own. */
static int
keys_now(cairn_store *s, struct keyset *ks)
{
	MDB_txn *txn;
	int rc;

	if ((rc = rtxn(s, &txn)) != 0)
		return rc;
	rc = load_keys(s, txn, ks);
	mdb_txn_abort(txn);
	return rc;
}

/* Index of the key in force at a tree size: at a rotation's size, the new. */
static size_t
key_for_size(const struct keyset *ks, uint64_t size)
{
	size_t i;

	for (i = 0; i + 1 < ks->n; i++)
		if (size < ks->k[i].last_size)
			break;
	return i;
}

/*
 * Verifies a checkpoint note against a store's keys: signed by the key in
 * force at its tree size, and a rotation's own checkpoint (its size and
 * time are in the history) by the retired key as well.  Fills cp and the
 * text; *rot gets the retired key's index for a rotation's checkpoint,
 * else -1; why says what fails.
 */
static int
keys_verify(const struct keyset *ks, const char *origin, const uint8_t *note,
    size_t len, struct cairn_checkpoint *cp, const uint8_t **body,
    size_t *blen, int *rot, char *why, size_t whylen)
{
	const uint8_t *b;
	size_t bl, i, j;
	int rc = CAIRN_ENOTFOUND;

	*rot = -1;
	/* Any key gives the text; its size says which keys must have signed. */
	for (i = 0; i < ks->n; i++)
		if ((rc = cairn_note_verify(note, len, origin, ks->k[i].pubkey,
		    body, blen)) != CAIRN_ENOTFOUND)
			break;
	if (rc != 0) {
		snprintf(why, whylen, "signature does not verify with the trusted "
		    "key%s (%s)", ks->n > 1 ? "s" : "", rc == CAIRN_ENOTFOUND ?
		    "no signature by it" : cairn_strerror(rc));
		return rc == CAIRN_ENOTFOUND ? CAIRN_EBADSIG : rc;
	}
	if (cairn_checkpoint_parse(*body, *blen, cp) != 0) {
		snprintf(why, whylen, "malformed body");
		return CAIRN_EFORMAT;
	}
	j = key_for_size(ks, cp->size);
	if (j > 0 && ks->k[j - 1].last_size == cp->size &&
	    ks->k[j - 1].rotated_us == cp->time_us) {
		*rot = (int)(j - 1);
		if (cairn_note_verify(note, len, origin, ks->k[j - 1].pubkey, &b,
		    &bl) != 0) {
			snprintf(why, whylen, "the key rotation at tree size %llu "
			    "is not signed by the retired key", (unsigned long long)
			    cp->size);
			return CAIRN_EBADSIG;
		}
	}
	if (cairn_note_verify(note, len, origin, ks->k[j].pubkey, &b, &bl) != 0) {
		snprintf(why, whylen, "signature does not verify with the key in "
		    "force at tree size %llu (key %zu of %zu)",
		    (unsigned long long)cp->size, j + 1, ks->n);
		return CAIRN_EBADSIG;
	}
	return 0;
}

/*
 * The key a system.key_rotated event (canonical JSON) announces in its
 * public_key field (a minisign public key); CAIRN_ENOTFOUND if the event
 * is not a rotation, CAIRN_EFORMAT if its key is malformed.
 */
static int
rotation_key(const uint8_t *ev, size_t len, uint8_t pk[32])
{
	static const char type[] = "\"system.key_rotated\"";
	const uint8_t *v;
	uint8_t raw[2 + 8 + 32];
	size_t vlen, n;

	if (cairn_cjson_member(ev, len, "type", &v, &vlen) != 0 ||
	    vlen != sizeof type - 1 || memcmp(v, type, vlen) != 0)
		return CAIRN_ENOTFOUND;
	/* Canonical: base64 needs no escapes, the quotes are all there is. */
	if (cairn_cjson_member(ev, len, "public_key", &v, &vlen) != 0 ||
	    vlen < 2 || cairn_unb64((const char *)v + 1, vlen - 2, raw,
	    sizeof raw, &n) != 0 || n != sizeof raw || memcmp(raw, "Ed", 2) != 0)
		return CAIRN_EFORMAT;
	memcpy(pk, raw + 2 + 8, 32);
	return 0;
}

static int
count_entries(MDB_txn *txn, MDB_dbi dbi, uint64_t *n)
{
	MDB_stat st;
	int rc;

	if ((rc = mdb_stat(txn, dbi, &st)) != 0)
		return mdbrc(rc);
	*n = st.ms_entries;
	return 0;
}

/* Loads the writer's state: size, frontier, stream heads, last received. */
static int
load_state(cairn_store *s, MDB_txn *txn, struct state *st)
{
	struct nodectx nc = { s, txn };
	MDB_val v;
	char name[32];
	int i, rc;

	memset(st, 0, sizeof *st);
	if ((rc = count_entries(txn, s->entries, &st->size)) != 0)
		return rc;
	if ((rc = cairn_frontier_load(&st->fr, st->size, getnode, &nc)) != 0) {
		detail(s, "Merkle nodes missing for a tree of %llu entries",
		    (unsigned long long)st->size);
		return rc == CAIRN_ENOTFOUND ? CAIRN_ECORRUPT : rc;
	}
	if (st->size > 0 &&
	    (rc = getnode(&nc, 0, st->size - 1, st->last)) != 0)
		return rc == CAIRN_ENOTFOUND ? CAIRN_ECORRUPT : rc;
	for (i = 0; i < CAIRN_NSTREAMS; i++) {
		snprintf(name, sizeof name, "stream:%s", cairn_stream_names[i]);
		rc = meta_get(txn, s, name, &v);
		if (rc == CAIRN_ENOTFOUND)
			continue;
		if (rc != 0)
			return rc;
		if (v.mv_size != 8 + CAIRN_HASH_LEN)
			return CAIRN_ECORRUPT;
		st->count[i] = cairn_get_be64(v.mv_data);
		memcpy(st->head[i], (uint8_t *)v.mv_data + 8, CAIRN_HASH_LEN);
	}
	rc = meta_get(txn, s, "received", &v);
	if (rc == 0 && v.mv_size == 8)
		st->received = (int64_t)cairn_get_be64(v.mv_data);
	else if (rc != CAIRN_ENOTFOUND)
		return rc ? rc : CAIRN_ECORRUPT;
	return 0;
}

/* Checks the store against the newest signed checkpoint kept beside it:
 * a store that is behind it or diverges from it was rolled back. */
static int
check_cpfile(cairn_store *s, MDB_txn *txn, uint64_t size)
{
	struct cairn_checkpoint cp;
	struct nodectx nc = { s, txn };
	struct keyset ks;
	uint8_t root[CAIRN_HASH_LEN], *note;
	const uint8_t *body;
	size_t len, blen;
	char why[256];
	int rc, rot;

	rc = cairn_read_file(s->cpfile, 65536, &note, &len);
	if (rc == ENOENT)
		return 0;
	if (rc != 0) {
		detail(s, "%s: %s", s->cpfile, cairn_strerror(rc));
		return rc;
	}
	/* Signed by the key in force at its size: it may predate a rotation. */
	if ((rc = load_keys(s, txn, &ks)) != 0) {
		free(note);
		return rc;
	}
	rc = keys_verify(&ks, s->origin, note, len, &cp, &body, &blen, &rot,
	    why, sizeof why);
	if (rc != 0) {
		detail(s, "%s: not a checkpoint signed by this store's key (%s)",
		    s->cpfile, why);
		free(note);
		return CAIRN_EBEHIND;
	}
	free(note);
	if (cp.size > size) {
		detail(s, "store holds %llu entries but its newest signed checkpoint "
		    "(%s) has %llu: it was restored from an old backup or truncated; "
		    "nothing is signed until an operator resolves this (see cairn(1), "
		    "ROLLBACK)", (unsigned long long)size, s->cpfile,
		    (unsigned long long)cp.size);
		return CAIRN_EBEHIND;
	}
	if ((rc = cairn_merkle_root(getnode, &nc, cp.size, root)) != 0)
		return rc;
	if (sodium_memcmp(root, cp.root, CAIRN_HASH_LEN) != 0) {
		detail(s, "store diverges from its newest signed checkpoint (%s, "
		    "size %llu): its history was rewritten; nothing is signed until "
		    "an operator resolves this (see cairn(1), ROLLBACK)", s->cpfile,
		    (unsigned long long)cp.size);
		return CAIRN_EBEHIND;
	}
	return 0;
}

int
cairn_store_create(const char *dir, const char *origin, const uint8_t pubkey[32],
    const struct cairn_store_opts *o)
{
	cairn_store *s;
	MDB_txn *txn;
	uint8_t ver[8];
	size_t i, n = strlen(origin);
	int rc;

	if (n == 0 || n > 255)
		return CAIRN_EINVAL;
	for (i = 0; i < n; i++)
		if ((unsigned char)origin[i] <= 0x20 || origin[i] == '+' ||
		    (unsigned char)origin[i] >= 0x7f)
			return CAIRN_EINVAL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return errno;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return CAIRN_ENOMEM;
	s->lockfd = -1;
	if ((s->dir = strdup(dir)) == NULL) {
		store_free(s);
		return CAIRN_ENOMEM;
	}
	if ((rc = env_open(s, o, 1)) != 0)
		goto out;
	if ((rc = mdbrc(mdb_txn_begin(s->env, NULL, 0, &txn))) != 0)
		goto out;
	cairn_put_be64(ver, FORMAT_VERSION);
	if ((rc = meta_put(txn, s, "format", ver, 8)) != 0 ||
	    (rc = meta_put(txn, s, "origin", origin, n)) != 0 ||
	    (rc = meta_put(txn, s, "pubkey", pubkey, 32)) != 0) {
		mdb_txn_abort(txn);
		rc = mdbrc(rc);
		goto out;
	}
	rc = mdbrc(mdb_txn_commit(txn));
out:
	snprintf(open_detail, sizeof open_detail, "%s", s->detail);
	store_free(s);
	return rc;
}

int
cairn_store_open(const char *dir, const struct cairn_store_opts *o, int flags,
    cairn_store **out)
{
	cairn_store *s;
	MDB_txn *txn;
	char path[PATH_MAX];
	int rc;

	*out = NULL;
	if ((s = calloc(1, sizeof *s)) == NULL)
		return CAIRN_ENOMEM;
	s->lockfd = -1;
	s->rdonly = (flags & CAIRN_STORE_RDONLY) != 0;
	if ((s->dir = strdup(dir)) == NULL ||
	    (s->cpfile = (o && o->checkpoint_file) ? strdup(o->checkpoint_file) :
	    default_cpfile(dir)) == NULL) {
		store_free(s);
		return CAIRN_ENOMEM;
	}
	if ((size_t)snprintf(path, sizeof path, "%s/data.mdb", dir) >= sizeof path) {
		rc = ENAMETOOLONG;
		goto fail;
	}
	if (access(path, F_OK) != 0) {
		rc = errno == ENOENT ? CAIRN_ENOTFOUND : errno;
		detail(s, "%s: no store here (cairn init creates one)", dir);
		goto fail;
	}
	if (!s->rdonly) {
		/* One writer process: the lock lives as long as the handle. */
		if ((size_t)snprintf(path, sizeof path, "%s/writer.lock", dir) >=
		    sizeof path) {
			rc = ENAMETOOLONG;
			goto fail;
		}
		if ((s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
			rc = errno;
			detail(s, "%s: %s", path, strerror(rc));
			goto fail;
		}
		if (flock(s->lockfd, LOCK_EX | LOCK_NB) != 0) {
			rc = errno == EWOULDBLOCK ? CAIRN_ELOCKED : errno;
			detail(s, "%s: another process (cairnd, or another cairn "
			    "command) is writing to this store; stop it or send the "
			    "events through cairnd", dir);
			goto fail;
		}
	}
	if ((rc = env_open(s, o, 0)) != 0)
		goto fail;
	if ((rc = rtxn(s, &txn)) != 0)
		goto fail;
	if ((rc = load_meta(s, txn)) != 0) {
		mdb_txn_abort(txn);
		if (rc == CAIRN_EFORMAT && s->detail[0] == 0)
			detail(s, "%s: not a Cairn store", dir);
		goto fail;
	}
	if (!s->rdonly) {
		if ((rc = load_state(s, txn, &s->st)) == 0)
			rc = check_cpfile(s, txn, s->st.size);
	}
	mdb_txn_abort(txn);
	if (rc != 0)
		goto fail;
	*out = s;
	return 0;
fail:
	snprintf(open_detail, sizeof open_detail, "%s", s->detail);
	store_free(s);
	return rc;
}

void
cairn_store_close(cairn_store *s)
{
	store_free(s);
}

/* Appends the entry JSON for e at the writer's current state; ts is the
 * batch's received time, formatted once for all its entries.  Built piece
 * by piece, without printf: the writer thread bounds the ingest rate. */
static int
build_entry(cairn_store *s, struct cairn_event *e, const uint8_t aprev[32],
    const char *ts, struct cairn_buf *b)
{
	char hex[CAIRN_HEX_LEN + 1];
	int rc = 0;

	b->len = 0;
	/* Room made when the event was prepared (event.c): no allocation here,
	 * on the writer thread, unless the event was built otherwise. */
	if (cairn_buf_reserve(b, CAIRN_ENTRY_ROOM(e)) != 0)
		return CAIRN_ENOMEM;
	/* Keys in bytewise order, as canonical JSON requires. */
	if (e->account != NULL) {
		cairn_hex(aprev, CAIRN_HASH_LEN, hex);
		rc |= cairn_buf_adds(b, "{\"account_prev\":\"");
		rc |= cairn_buf_adds(b, hex);
		rc |= cairn_buf_adds(b, "\",\"event\":");
	} else
		rc |= cairn_buf_adds(b, "{\"event\":");
	rc |= cairn_buf_add(b, e->canon.p, e->canon.len);
	cairn_hex(e->sha, CAIRN_HASH_LEN, hex);
	rc |= cairn_buf_adds(b, ",\"event_sha256\":\"");
	rc |= cairn_buf_adds(b, hex);
	cairn_hex(s->st.size ? s->st.last : zero32, CAIRN_HASH_LEN, hex);
	rc |= cairn_buf_adds(b, "\",\"prev\":\"");
	rc |= cairn_buf_adds(b, hex);
	rc |= cairn_buf_adds(b, "\",\"received\":\"");
	rc |= cairn_buf_adds(b, ts);
	rc |= cairn_buf_adds(b, "\",\"seq\":");
	rc |= cairn_buf_addu64(b, s->st.size);
	rc |= cairn_buf_adds(b, ",\"source\":");
	if (rc == 0)
		rc = cairn_cjson_add_string(b, e->source, strlen(e->source));
	cairn_hex(s->st.head[e->stream], CAIRN_HASH_LEN, hex);
	rc |= cairn_buf_adds(b, ",\"stream\":\"");
	rc |= cairn_buf_adds(b, cairn_stream_names[e->stream]);
	rc |= cairn_buf_adds(b, "\",\"stream_prev\":\"");
	rc |= cairn_buf_adds(b, hex);
	rc |= cairn_buf_adds(b, "\"}");
	if (rc != 0)
		return CAIRN_ENOMEM;
	if (b->len > MAX_ENTRY)
		return CAIRN_ETOOBIG;
	return 0;
}

struct emitctx {
	MDB_txn		*txn;
	cairn_store	*s;
	MDB_cursor	*ncur;		/* on nodes, kept for the batch */
};

/* cairn_emit_fn: stores each new complete-subtree node, in key order. */
static int
putnode(void *ctx, unsigned level, uint64_t index, const uint8_t h[CAIRN_HASH_LEN])
{
	struct emitctx *c = ctx;
	uint8_t kb[8];
	MDB_val k, v;

	cairn_put_be64(kb, cairn_merkle_pos(level, index));
	val(&k, kb, 8);
	val(&v, h, CAIRN_HASH_LEN);
	return mdb_cursor_put(c->ncur, &k, &v, MDB_APPEND);
}

/*
 * Claims (source, id) for entry seq with the event's hash, in one descent
 * of the index: CAIRN_ENOTFOUND when the id is new (it now names seq), or
 * 0 with the seq and hash it was stored with before (LMDB gives the
 * existing value back with MDB_KEYEXIST), nothing written then.
 */
static int
claim_id(MDB_cursor *icur, const struct cairn_event *e, uint64_t seq,
    struct cairn_buf *kb, uint64_t *oseq, uint8_t sha[CAIRN_HASH_LEN])
{
	uint8_t idv[8 + CAIRN_HASH_LEN];
	MDB_val k, v;
	int rc;

	kb->len = 0;
	if (cairn_buf_adds(kb, e->source) != 0 || cairn_buf_addc(kb, 0) != 0 ||
	    cairn_buf_adds(kb, e->id) != 0)
		return CAIRN_ENOMEM;
	if (kb->len > 511)	/* LMDB's default maximum key size */
		return CAIRN_ETOOBIG;
	cairn_put_be64(idv, seq);
	memcpy(idv + 8, e->sha, CAIRN_HASH_LEN);
	val(&k, kb->p, kb->len);
	val(&v, idv, sizeof idv);
	rc = mdb_cursor_put(icur, &k, &v, MDB_NOOVERWRITE);
	if (rc == 0)
		return CAIRN_ENOTFOUND;
	if (rc != MDB_KEYEXIST)
		return mdbrc(rc);
	if (v.mv_size != 8 + CAIRN_HASH_LEN)
		return CAIRN_ECORRUPT;
	*oseq = cairn_get_be64(v.mv_data);
	memcpy(sha, (uint8_t *)v.mv_data + 8, CAIRN_HASH_LEN);
	return 0;
}

/* The leaf hash of an account's newest entry, or zeros for its first. */
static int
account_head(cairn_store *s, MDB_txn *txn, MDB_cursor *cur, const char *account,
    uint8_t out[CAIRN_HASH_LEN])
{
	struct nodectx nc = { s, txn };
	struct ahead *a;
	uint8_t kb[512 + 8];
	uint64_t seq;
	size_t n;
	MDB_val k, v;
	int rc;

	if ((a = acache_slot(s, account)) != NULL && a->account != NULL) {
		memcpy(out, a->leaf, CAIRN_HASH_LEN);
		return 0;
	}
	n = akey(account, kb);

	/* The newest entries' accounts are in account_log (lmap). */
	if (lmap_get(s, kb, n, &seq) == 0)
		return getnode(&nc, 0, seq, out);
	/* The last key with this prefix: step back from just past it. */
	memset(kb + n, 0xff, 8);
	val(&k, kb, n + 8);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (rc == MDB_NOTFOUND)
		rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	else if (rc == 0)
		rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
	if (rc == MDB_NOTFOUND || (rc == 0 && (k.mv_size != n + 8 ||
	    memcmp(k.mv_data, kb, n) != 0))) {
		memset(out, 0, CAIRN_HASH_LEN);
		return 0;
	}
	if (rc != 0)
		return mdbrc(rc);
	return getnode(&nc, 0, cairn_get_be64((uint8_t *)k.mv_data + n), out);
}

/* Key order of two lmap slots (the accounts, while the log is merged). */
static int
lslot_cmp(const void *a, const void *b)
{
	const struct lslot *x = *(const struct lslot *const *)a;
	const struct lslot *y = *(const struct lslot *const *)b;
	size_t m = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->key, y->key, m);

	if (c != 0)
		return c;
	return x->len < y->len ? -1 : x->len > y->len;
}

/*
 * Moves every account_log record into by_account (through acur) and empties
 * the log, inside the write transaction txn.  The postings are put account
 * by account, in key order, each account's in seq order (a counting sort
 * over lmap's accounts: the log is read in seq order), so that each leaf
 * page of by_account is written once and each put finds its page from the
 * last one.  lmap must hold the log's accounts.
 */
static int
log_merge(cairn_store *s, MDB_txn *txn, MDB_cursor *acur)
{
	struct lslot **acc = NULL, *l;
	size_t *start = NULL, *rec = NULL, i, j, na = 0, n = 0;
	uint64_t *seqs = NULL, *sorted = NULL;
	MDB_cursor *c = NULL;
	MDB_val k, v;
	uint8_t kb[512 + 8];
	int rc = 0;

	if (s->lcap == 0 || s->lcount == 0)
		goto drop;
	if ((acc = calloc(s->lused, sizeof *acc)) == NULL ||
	    (start = calloc(s->lused + 1, sizeof *start)) == NULL ||
	    (rec = calloc(s->lcount, sizeof *rec)) == NULL ||
	    (seqs = calloc(s->lcount, sizeof *seqs)) == NULL ||
	    (sorted = calloc(s->lcount, sizeof *sorted)) == NULL) {
		rc = CAIRN_ENOMEM;
		goto out;
	}
	for (i = 0; i < s->lcap; i++)
		if (s->lmap[i].key != NULL && na < s->lused)
			acc[na++] = &s->lmap[i];
	qsort(acc, na, sizeof *acc, lslot_cmp);
	for (i = 0; i < na; i++)
		acc[i]->idx = i;
	/* Each record's account, counted. */
	if ((rc = mdb_cursor_open(txn, s->account_log, &c)) != 0) {
		rc = mdbrc(rc);
		goto out;
	}
	for (rc = mdb_cursor_get(c, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT)) {
		if (n == s->lcount || k.mv_size != 8 || v.mv_size < 2 ||
		    v.mv_size > 512)
			break;
		l = lmap_slot(s->lmap, s->lcap, v.mv_data, v.mv_size);
		if (l->key == NULL)
			break;
		rec[n] = l->idx;
		seqs[n++] = cairn_get_be64(k.mv_data);
		start[l->idx + 1]++;
	}
	if (rc != MDB_NOTFOUND || n != s->lcount) {
		rc = rc == 0 || rc == MDB_NOTFOUND ? CAIRN_ECORRUPT : mdbrc(rc);
		goto out;
	}
	/* Placed by account, in seq order within each: start[i] ends as the
	 * end of account i's run. */
	for (i = 0; i < na; i++)
		start[i + 1] += start[i];
	for (j = 0; j < n; j++)
		sorted[start[rec[j]]++] = seqs[j];
	for (i = 0, j = 0, rc = 0; i < na && rc == 0; i++) {
		memcpy(kb, acc[i]->key, acc[i]->len);
		for (; j < start[i] && rc == 0; j++) {
			cairn_put_be64(kb + acc[i]->len, sorted[j]);
			val(&k, kb, acc[i]->len + 8);
			val(&v, "", 0);
			rc = mdb_cursor_put(acur, &k, &v, 0);
		}
	}
	if (rc != 0) {
		rc = mdbrc(rc);
		goto out;
	}
drop:
	if ((rc = mdb_drop(txn, s->account_log, 0)) != 0 ||
	    (rc = mdb_drop(txn, s->account_span, 0)) != 0) {
		rc = mdbrc(rc);
		goto out;
	}
	lmap_clear(s);
	s->lcount = 0;
out:
	if (c != NULL)
		mdb_cursor_close(c);
	free(acc);
	free(start);
	free(rec);
	free(seqs);
	free(sorted);
	return rc;
}

/*
 * Appends a batch inside the write transaction txn, advancing the writer's
 * state (which the caller restores if txn is aborted); *receivedp gets the
 * batch's received time, to keep once txn is committed.
 */
static int
append_in(cairn_store *s, MDB_txn *txn, cairn_event *const *evs, size_t n,
    struct cairn_receipt *rcpt, size_t *failed, int64_t *receivedp)
{
	struct emitctx ec = { txn, s, NULL };
	struct cairn_buf kb = { 0 };
	MDB_cursor *acur = NULL, *ecur = NULL, *tcur = NULL, *icur = NULL;
	MDB_cursor *lcur = NULL, *scur = NULL;
	MDB_val k, v;
	uint8_t aprev[CAIRN_HASH_LEN], sha[CAIRN_HASH_LEN], sb[8], tk[17];
	uint8_t hb[8 + CAIRN_HASH_LEN];
	char name[32], ts[32];
	int64_t received;
	uint64_t seq;
	size_t i;
	int rc, i2;

	/* One cursor per index for the batch: a put next to the previous one
	 * (entries, nodes and by_time grow at their end) is placed from the
	 * cursor's page instead of a descent from the root. */
	if ((rc = mdb_cursor_open(txn, s->by_account, &acur)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->entries, &ecur)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->nodes, &ec.ncur)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->by_time, &tcur)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->event_ids, &icur)) != 0)
		goto abort;
	/* A writer's open made account_log (even in an older store). */
	if ((!s->lvalid && (rc = lmap_load(s, txn)) != 0) ||
	    (s->lcount >= s->log_max && (rc = log_merge(s, txn, acur)) != 0) ||
	    (rc = mdb_cursor_open(txn, s->account_log, &lcur)) != 0 ||
	    (rc = mdb_cursor_open(txn, s->account_span, &scur)) != 0)
		goto abort;
	/* received never decreases along seq, even if the clock steps back. */
	received = now_us();
	if (received < s->st.received)
		received = s->st.received;
	cairn_rfc3339_format(received, ts);
	for (i = 0; i < n; i++) {
		struct cairn_event *e = evs[i];

		*failed = i;
		memset(&rcpt[i], 0, sizeof rcpt[i]);
		if (e->id != NULL) {
			rc = claim_id(icur, e, s->st.size, &kb, &seq, sha);
			if (rc == 0) {
				struct nodectx nc = { s, txn };

				if (sodium_memcmp(sha, e->sha, CAIRN_HASH_LEN) != 0) {
					detail(s, "event id \"%s\" from %s was stored "
					    "before (seq %llu) with other content",
					    e->id, e->source, (unsigned long long)seq);
					rc = CAIRN_ECONFLICT;
					goto abort;
				}
				rcpt[i].seq = seq;
				rcpt[i].duplicate = 1;
				if ((rc = getnode(&nc, 0, seq, rcpt[i].leaf)) != 0)
					goto abort;
				cairn_put_be64(sb, seq);
				val(&k, sb, 8);
				if ((rc = mdb_get(txn, s->entries, &k, &v)) != 0)
					goto abort;
				e->entry.len = 0;
				if (cairn_buf_add(&e->entry, v.mv_data, v.mv_size)) {
					rc = CAIRN_ENOMEM;
					goto abort;
				}
				continue;
			}
			if (rc != CAIRN_ENOTFOUND)
				goto abort;
		}
		if (e->account != NULL &&
		    (rc = account_head(s, txn, acur, e->account, aprev)) != 0)
			goto abort;
		if ((rc = build_entry(s, e, aprev, ts, &e->entry)) != 0)
			goto abort;
		seq = s->st.size;
		rcpt[i].seq = seq;
		cairn_leaf_hash(e->entry.p, e->entry.len, rcpt[i].leaf);
		cairn_put_be64(sb, seq);
		val(&k, sb, 8);
		val(&v, e->entry.p, e->entry.len);
		if ((rc = mdb_cursor_put(ecur, &k, &v, MDB_APPEND)) != 0)
			goto abort;
		if ((rc = cairn_frontier_push(&s->st.fr, rcpt[i].leaf, putnode,
		    &ec)) != 0)
			goto abort;
		if (e->account != NULL) {
			uint8_t akb[512 + 8];
			size_t an = akey(e->account, akb);

			/* Into by_account with the log's next merge. */
			val(&k, sb, 8);
			val(&v, akb, an);
			if ((rc = mdb_cursor_put(lcur, &k, &v, MDB_APPEND)) != 0 ||
			    (rc = lmap_add(s, scur, akb, an, seq)) != 0)
				goto abort;
			s->lcount++;
			acache_put(s, e->account, seq, rcpt[i].leaf);
		}
		tk[0] = (uint8_t)e->stream;
		cairn_put_be64(tk + 1, (uint64_t)received);
		cairn_put_be64(tk + 9, seq);
		val(&k, tk, sizeof tk);
		val(&v, "", 0);
		if ((rc = mdb_cursor_put(tcur, &k, &v, 0)) != 0)
			goto abort;
		/* (source, id) was claimed for seq above. */
		memcpy(s->st.last, rcpt[i].leaf, CAIRN_HASH_LEN);
		memcpy(s->st.head[e->stream], rcpt[i].leaf, CAIRN_HASH_LEN);
		s->st.count[e->stream]++;
		s->st.size++;
	}
	for (i2 = 0; i2 < CAIRN_NSTREAMS; i2++) {
		if (s->st.count[i2] == 0)
			continue;
		snprintf(name, sizeof name, "stream:%s", cairn_stream_names[i2]);
		cairn_put_be64(hb, s->st.count[i2]);
		memcpy(hb + 8, s->st.head[i2], CAIRN_HASH_LEN);
		if ((rc = meta_put(txn, s, name, hb, sizeof hb)) != 0)
			goto abort;
	}
	cairn_put_be64(sb, (uint64_t)received);
	if ((rc = meta_put(txn, s, "received", sb, 8)) != 0)
		goto abort;
	*receivedp = received;
abort:
	mdb_cursor_close(acur);
	mdb_cursor_close(ecur);
	mdb_cursor_close(ec.ncur);
	mdb_cursor_close(tcur);
	mdb_cursor_close(icur);
	mdb_cursor_close(lcur);
	mdb_cursor_close(scur);
	cairn_buf_free(&kb);
	return rc;
}

/* One attempt at appending a batch inside one write transaction. */
static int
append_txn(cairn_store *s, cairn_event *const *evs, size_t n,
    struct cairn_receipt *rcpt, size_t *failed)
{
	MDB_txn *txn;
	int64_t received;
	size_t i;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return mdbrc(rc);
	if ((rc = append_in(s, txn, evs, n, rcpt, failed, &received)) != 0) {
		mdb_txn_abort(txn);
		return rc;
	}
	/* The commit returns only once the data and meta pages are synced;
	 * receipts are filled only after it. */
	if ((rc = mdb_txn_commit(txn)) != 0)
		return rc;
	s->st.received = received;
	for (i = 0; i < n; i++)
		rcpt[i].tree_size = s->st.size;
	return 0;
}

/* Grows the map after MDB_MAP_FULL: 0, or CAIRN_EFULL at the ceiling. */
static int
grow(cairn_store *s)
{
	uint64_t nsize;
	int rc, dead = 0;

	/* A reader that died holding a snapshot pins the pages freed since:
	 * clear its slot and retry before growing (they can be reused). */
	if (mdb_reader_check(s->env, &dead) == 0 && dead > 0) {
		s->readers_cleared += (unsigned)dead;
		return 0;
	}
	if (s->map_size >= s->max_size) {
		detail(s, "%s: store reached its size ceiling of %llu bytes; "
		    "raise max_size or free disk space", s->dir,
		    (unsigned long long)s->max_size);
		return CAIRN_EFULL;
	}
	nsize = s->map_size * 2;
	if (nsize > s->max_size)
		nsize = s->max_size;
	/* Safe: this process has no transaction open now (lmdb.h). */
	if ((rc = mdb_env_set_mapsize(s->env, nsize)) != 0)
		return mdbrc(rc);
	s->map_size = nsize;
	return 0;
}

int
cairn_store_append(cairn_store *s, cairn_event *const *evs, size_t n,
    struct cairn_receipt *rcpt, size_t *failed)
{
	struct state saved;
	size_t f = 0;
	int rc;

	if (s->rdonly)
		return CAIRN_ERDONLY;
	if (n == 0)
		return 0;
	s->detail[0] = 0;
	for (;;) {
		saved = s->st;
		rc = append_txn(s, evs, n, rcpt, &f);
		if (rc == 0)
			return 0;
		s->st = saved;	/* the transaction was aborted: so is our state */
		forget_heads(s);
		if (rc != MDB_MAP_FULL)
			break;
		if ((rc = grow(s)) != 0)
			break;
	}
	if (failed != NULL)
		*failed = f;
	return mdbrc(rc);
}

int
cairn_store_clear_readers(cairn_store *s, unsigned *cleared)
{
	int rc, dead = 0;

	rc = mdb_reader_check(s->env, &dead);
	*cleared = s->readers_cleared + (rc == 0 ? (unsigned)dead : 0);
	s->readers_cleared = 0;
	return mdbrc(rc);
}

int
cairn_store_release_pages(cairn_store *s)
{
	char want[PATH_MAX + 16], real[PATH_MAX], line[PATH_MAX + 128];
	unsigned long lo, hi;
	size_t wl, ll;
	FILE *f;
	int rc = CAIRN_ENOTFOUND;

	/*
	 * LMDB does not say where it mapped the file (me_mapaddr is only set
	 * for MDB_FIXEDMAP), the kernel does.  The map is a read-only shared
	 * file mapping (no MDB_WRITEMAP): dropping its page table entries
	 * loses nothing, a later read faults the page back in from the page
	 * cache.
	 */
	if (realpath(s->dir, real) == NULL ||
	    (size_t)snprintf(want, sizeof want, "%s/data.mdb", real) >=
	    sizeof want || (f = fopen("/proc/self/maps", "re")) == NULL)
		return CAIRN_EINVAL;
	wl = strlen(want);
	while (fgets(line, sizeof line, f) != NULL) {
		ll = strlen(line);
		if (ll > 0 && line[ll - 1] == '\n')
			line[--ll] = '\0';
		if (ll < wl || strcmp(line + ll - wl, want) != 0 ||
		    sscanf(line, "%lx-%lx", &lo, &hi) != 2 || hi <= lo)
			continue;
		rc = madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0 ? 0 :
		    CAIRN_EINVAL;
	}
	fclose(f);
	return rc;
}

int
cairn_store_size(cairn_store *s, uint64_t *n)
{
	MDB_txn *txn;
	int rc;

	if ((rc = rtxn(s, &txn)) != 0)
		return rc;
	rc = count_entries(txn, s->entries, n);
	mdb_txn_abort(txn);
	return rc;
}

/* Reads and re-hashes entry seq inside txn; data points into the map.
 * Lazy: the stored leaf is not read (cairn_iter_lazy). */
static int
read_entry_at(cairn_store *s, MDB_txn *txn, uint64_t seq,
    struct cairn_entry *e, int lazy, struct direct *pr, const uint8_t *md,
    size_t ml)
{
	struct nodectx nc = { s, txn };
	uint8_t kb[8], stored[CAIRN_HASH_LEN];
	const uint8_t *d;
	size_t dl;
	MDB_val k, v;
	int rc;

	cairn_put_be64(kb, seq);
	val(&k, kb, 8);
	/* Found already (map_lookup), or pread of the leaf when the caller
	 * asked; LMDB if neither can say. */
	if (md != NULL)
		val(&v, md, ml);
	else if (pr != NULL && cairn_pgread_get(&pr->ent, kb, 8, &d, &dl) == 0)
		val(&v, d, dl);
	else if ((rc = mdb_get(txn, s->entries, &k, &v)) != 0)
		return mdbrc(rc);
	e->seq = seq;
	e->data = v.mv_data;
	e->len = v.mv_size;
	cairn_leaf_hash(e->data, e->len, e->leaf);
	if (lazy) {
		e->intact = -1;
		memcpy(e->stored, e->leaf, CAIRN_HASH_LEN);
		return 0;
	}
	cairn_put_be64(kb, cairn_merkle_pos(0, seq));
	if (pr != NULL && cairn_pgread_get(&pr->nodes, kb, 8, &d, &dl) == 0) {
		if (dl != CAIRN_HASH_LEN)
			return CAIRN_ECORRUPT;
		memcpy(stored, d, CAIRN_HASH_LEN);
	} else if ((rc = getnode(&nc, 0, seq, stored)) != 0)
		return rc == CAIRN_ENOTFOUND ? CAIRN_ECORRUPT : rc;
	e->intact = sodium_memcmp(stored, e->leaf, CAIRN_HASH_LEN) == 0;
	memcpy(e->stored, stored, CAIRN_HASH_LEN);
	return 0;
}

static int
read_entry(cairn_store *s, MDB_txn *txn, uint64_t seq, struct cairn_entry *e,
    int lazy, struct direct *pr)
{
	return read_entry_at(s, txn, seq, e, lazy, pr, NULL, 0);
}

int
cairn_store_get(cairn_store *s, uint64_t seq, struct cairn_buf *buf,
    struct cairn_entry *e)
{
	MDB_txn *txn;
	int rc;

	if ((rc = rtxn(s, &txn)) != 0)
		return rc;
	if ((rc = read_entry(s, txn, seq, e, 0, NULL)) == 0) {
		buf->len = 0;
		if (cairn_buf_add(buf, e->data, e->len) != 0)
			rc = CAIRN_ENOMEM;
		e->data = buf->p;
		if (rc == 0 && !e->intact)
			rc = CAIRN_ECORRUPT;
	}
	mdb_txn_abort(txn);
	return rc;
}

/* Milliseconds on the monotonic clock. */
static int64_t
mono_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Points a page reader at database name's tree in txn's snapshot; the
 * database's record, where the main database holds it (in the map), or
 * NULL. */
static const void *
pgread_root1(MDB_txn *txn, MDB_dbi main, const char *name,
    struct cairn_pgread *r)
{
	MDB_val k, v;

	val(&k, name, strlen(name));
	if (mdb_get(txn, main, &k, &v) != 0)
		val(&v, NULL, 0);
	cairn_pgread_root(r, v.mv_data, v.mv_size);
	return v.mv_data;
}

/* Points pr at the entries and nodes trees of txn's snapshot. */
static void
direct_root(cairn_store *s, MDB_txn *txn, struct direct *pr)
{
	(void)pgread_root1(txn, s->main, "entries", &pr->ent);
	(void)pgread_root1(txn, s->main, "nodes", &pr->nodes);
}

static void
direct_free(struct direct *pr)
{
	if (pr == NULL)
		return;
	cairn_pgread_free(&pr->ent);
	cairn_pgread_free(&pr->nodes);
	free(pr);
}

/* A reader for txn's snapshot; *out stays NULL where LMDB must read. */
static int
direct_new(cairn_store *s, MDB_txn *txn, struct direct **out)
{
	struct direct *pr;
	int fd, rc;
	MDB_stat st;

	*out = NULL;
	if (mdb_env_get_fd(s->env, &fd) != 0 || mdb_env_stat(s->env, &st) != 0)
		return 0;
	if ((pr = calloc(1, sizeof *pr)) == NULL)
		return CAIRN_ENOMEM;
	if ((rc = cairn_pgread_init(&pr->ent, fd, st.ms_psize)) != 0 ||
	    (rc = cairn_pgread_init(&pr->nodes, fd, st.ms_psize)) != 0) {
		direct_free(pr);
		return rc;
	}
	direct_root(s, txn, pr);
	*out = pr;
	return 0;
}

int
cairn_iter_direct(cairn_iter *it)
{
	if (it->pr != NULL)
		return 0;
	if (it->ahead != NULL)
		return CAIRN_EINVAL;	/* before cairn_iter_ahead */
	return direct_new(it->s, it->txn, &it->pr);
}

uint64_t
cairn_iter_mapped(const cairn_iter *it)
{
	return it->ahead != NULL ? __atomic_load_n(&it->ahead->mapped,
	    __ATOMIC_RELAXED) : 0;
}

uint64_t
cairn_iter_preads(const cairn_iter *it)
{
	return it->pr != NULL ? it->pr->ent.preads + it->pr->nodes.preads : 0;
}

static int
iter_new(cairn_store *s, int kind, cairn_iter **out)
{
	cairn_iter *it;
	int rc;

	if ((it = calloc(1, sizeof *it)) == NULL)
		return CAIRN_ENOMEM;
	it->s = s;
	it->kind = kind;
	if ((rc = rtxn(s, &it->txn)) != 0) {
		free(it);
		return rc;
	}
	it->renewed_ms = mono_ms();
	*out = it;
	return 0;
}

int
cairn_iter_range(cairn_store *s, uint64_t from, uint64_t to, cairn_iter **out)
{
	int rc;

	if ((rc = iter_new(s, ITER_RANGE, out)) != 0)
		return rc;
	(*out)->next = from;
	(*out)->to = to;
	return 0;
}

int
cairn_iter_account(cairn_store *s, const char *account, cairn_iter **out)
{
	cairn_iter *it;
	int rc;

	if (strlen(account) == 0 || strlen(account) > 511)
		return CAIRN_EINVAL;
	if ((rc = iter_new(s, ITER_ACCOUNT, &it)) != 0)
		return rc;
	if ((it->account = strdup(account)) == NULL) {
		cairn_iter_free(it);
		return CAIRN_ENOMEM;
	}
	if ((rc = mdb_cursor_open(it->txn, s->by_account, &it->cur)) != 0 ||
	    (s->has_log &&
	    (rc = mdb_cursor_open(it->txn, s->account_log, &it->lcur)) != 0)) {
		cairn_iter_free(it);
		return mdbrc(rc);
	}
	*out = it;
	return 0;
}

int
cairn_iter_stream(cairn_store *s, const char *stream, int64_t since,
    int64_t until, cairn_iter **out)
{
	cairn_iter *it;
	int idx, rc;

	if ((idx = cairn_stream_index(stream)) < 0)
		return CAIRN_EINVAL;
	if ((rc = iter_new(s, ITER_STREAM, &it)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(it->txn, s->by_time, &it->cur)) != 0) {
		cairn_iter_free(it);
		return mdbrc(rc);
	}
	it->tkey[0] = (uint8_t)idx;
	cairn_put_be64(it->tkey + 1, (uint64_t)(since < 0 ? 0 : since));
	cairn_put_be64(it->tkey + 9, 0);
	it->until = until;
	*out = it;
	return 0;
}

/*
 * Renews a long scan's read transaction so freed pages can be reused:
 * every RENEW_EVERY entries, and when its snapshot is older than RENEW_MS
 * (the clock is read every 16 entries), so that a slow scan does not pin
 * the pages the writer frees meanwhile.  Safe for an append-only log: what
 * was read stays as it was.
 */
static int
iter_renew(cairn_iter *it, int force)
{
	int rc;

	if (!force && ++it->since_renew < RENEW_EVERY &&
	    ((it->since_renew & 15) != 0 ||
	    mono_ms() - it->renewed_ms < RENEW_MS))
		return 0;
	if (force && mono_ms() - it->renewed_ms < RENEW_MS)
		return 0;
	it->since_renew = 0;
	it->renewed_ms = mono_ms();
	mdb_txn_reset(it->txn);
	if ((rc = mdb_txn_renew(it->txn)) != 0)
		return mdbrc(rc);
	if (it->cur != NULL && (rc = mdb_cursor_renew(it->txn, it->cur)) != 0)
		return mdbrc(rc);
	if (it->lcur != NULL && (rc = mdb_cursor_renew(it->txn, it->lcur)) != 0)
		return mdbrc(rc);
	if (it->pr != NULL)
		direct_root(it->s, it->txn, it->pr);
	return 1;	/* the cursor must be positioned again */
}

/* The first and last seq of account key k in account_log, from
 * account_span in txn: 0, or CAIRN_ENOTFOUND when the log holds none. */
static int
log_span(MDB_txn *txn, MDB_dbi span, const uint8_t *k, size_t n,
    uint64_t *first, uint64_t *last)
{
	MDB_val kv, v;
	int rc;

	val(&kv, k, n);
	if ((rc = mdb_get(txn, span, &kv, &v)) != 0)
		return mdbrc(rc);
	if (v.mv_size != 16)
		return CAIRN_ECORRUPT;
	*first = cairn_get_be64(v.mv_data);
	*last = cairn_get_be64((uint8_t *)v.mv_data + 8);
	return 0;
}

/* From the record at c (rc: what positioning it returned), stepping with
 * op, the first of account key k whose seq is within [first, last]: 0 with
 * its seq, or CAIRN_ENOTFOUND. */
static int
log_find(MDB_cursor *c, int rc, MDB_val *lk, MDB_val *lv, MDB_cursor_op op,
    const uint8_t *k, size_t n, uint64_t first, uint64_t last, uint64_t *seq)
{
	uint64_t at;

	for (; rc == 0; rc = mdb_cursor_get(c, lk, lv, op)) {
		if (lk->mv_size != 8)
			return CAIRN_ECORRUPT;
		at = cairn_get_be64(lk->mv_data);
		if (at < first || at > last)
			return CAIRN_ENOTFOUND;
		if (lv->mv_size == n && memcmp(lv->mv_data, k, n) == 0) {
			*seq = at;
			return 0;
		}
	}
	return mdbrc(rc);
}

/* The first seq >= *next in account_log (at lcur) whose account key is k;
 * from *next when *started is 2, else resumes (3). */
static int
log_seq(const uint8_t *k, size_t n, MDB_cursor *lcur, MDB_dbi span,
    uint64_t *next, int *started, uint64_t *seq)
{
	MDB_val lk, lv;
	uint64_t first, last;
	uint8_t sb[8];
	int rc;

	if ((rc = log_span(mdb_cursor_txn(lcur), span, k, n, &first,
	    &last)) != 0)
		return rc;
	if (*next > last)
		return CAIRN_ENOTFOUND;
	if (*started == 2) {
		cairn_put_be64(sb, *next > first ? *next : first);
		val(&lk, sb, 8);
		rc = mdb_cursor_get(lcur, &lk, &lv, MDB_SET_RANGE);
		*started = 3;
	} else
		rc = mdb_cursor_get(lcur, &lk, &lv, MDB_NEXT);
	if ((rc = log_find(lcur, rc, &lk, &lv, MDB_NEXT, k, n, first, last,
	    seq)) == 0)
		*next = *seq + 1;
	return rc;
}

/*
 * The next seq of account: from by_account at cur, then, once it has no
 * more, from account_log at lcur (NULL: a store without one), whose seqs
 * all follow by_account's.  *started: 0 starts at the first seq >= *next;
 * the call then resumes where the last one stopped.
 */
static int
account_seq(const char *account, MDB_cursor *cur, MDB_cursor *lcur,
    MDB_dbi span, uint64_t *next, int *started, uint64_t *seq)
{
	MDB_val k, v;
	uint8_t kb[512 + 8];
	size_t n = akey(account, kb);
	int rc;

	if (*started >= 2)
		return log_seq(kb, n, lcur, span, next, started, seq);
	if (!*started) {
		cairn_put_be64(kb + n, *next);
		val(&k, kb, n + 8);
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		*started = 1;
	} else
		rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
	if (rc != 0 && rc != MDB_NOTFOUND)
		return mdbrc(rc);
	if (rc == 0 && k.mv_size == n + 8 && memcmp(k.mv_data, kb, n) == 0) {
		*seq = cairn_get_be64((uint8_t *)k.mv_data + n);
		*next = *seq + 1;
		return 0;
	}
	if (lcur == NULL)
		return CAIRN_ENOTFOUND;
	*started = 2;
	return log_seq(kb, n, lcur, span, next, started, seq);
}

/* mdb.c's MDB_MAGIC and MDB_DATA_VERSION, in a meta page after its
 * 16-byte page header. */
#define LMDB_MAGIC		0xBEEFC0DEu
#define LMDB_DATA_VERSION	1u

/*
 * Finds block b's entries in txn's snapshot through the map, a group of
 * them at a time (cairn_pgread_mapv): the block's entries are on cold
 * pages scattered over the file, and one mdb_get after another waits for
 * each miss in turn.  md[i] stays NULL where LMDB must find the entry.
 */
static void
map_lookup(cairn_store *s, MDB_txn *txn, const struct ablock *b,
    const uint8_t **md, size_t *ml)
{
	struct cairn_pgread r;
	MDB_envinfo ei;
	MDB_stat st;
	const void *rec;
	const uint8_t *base;
	uintptr_t pg;
	uint64_t npages, pgno;
	uint32_t magic[2];
	unsigned char incore;

	/* LMDB's pages are the system's (they could be larger only in a
	 * store made on another machine): else the map is not found so. */
	if (mdb_env_info(s->env, &ei) != 0 || mdb_env_stat(s->env, &st) != 0 ||
	    (long)st.ms_psize != sysconf(_SC_PAGESIZE) ||
	    cairn_pgread_init(&r, -1, st.ms_psize) != 0)
		return;
	if ((rec = pgread_root1(txn, s->main, "entries", &r)) == NULL)
		goto out;
	/*
	 * LMDB does not say where its map is (me_mapaddr is only set for
	 * MDB_FIXEDMAP), but a read transaction's values point into it: the
	 * record's page starts at the page-aligned address below it (the map
	 * is page-aligned, LMDB's pages are the system's) and names its own
	 * number, which places page 0.  A damaged page could name another
	 * number, so page 0 must be mapped (mincore) and be LMDB's first
	 * meta page (its magic and format version) before anything is read
	 * through the map; the map then spans every page the snapshot names.
	 */
	npages = (uint64_t)ei.me_last_pgno + 1;
	if (npages > ei.me_mapsize / st.ms_psize)
		npages = ei.me_mapsize / st.ms_psize;
	pg = (uintptr_t)rec & ~(uintptr_t)(st.ms_psize - 1);
	memcpy(&pgno, (const void *)pg, sizeof pgno);
	if (pgno >= npages || pgno * st.ms_psize > pg)
		goto out;
	base = (const uint8_t *)(pg - pgno * st.ms_psize);
	if (mincore((void *)(uintptr_t)base, st.ms_psize, &incore) != 0)
		goto out;
	memcpy(magic, base + 16, sizeof magic);
	if (magic[0] == LMDB_MAGIC && magic[1] == LMDB_DATA_VERSION)
		cairn_pgread_mapv(&r, base, npages, b->seq, b->n, md, ml);
out:
	cairn_pgread_free(&r);
}

/* Reads block b's entries in txn, copying their bytes into the block; on
 * an error, the entries before it are given out, then the error. */
static void
ablock_fill(cairn_store *s, MDB_txn *txn, struct ablock *b, int lazy,
    struct direct *pr, uint64_t *mapped)
{
	const uint8_t *md[AHEAD_BLOCK];
	size_t ml[AHEAD_BLOCK];
	size_t i, j;
	int rc = 0;

	for (i = 0; i < b->n; i++) {
		md[i] = NULL;
		ml[i] = 0;
	}
	if (pr == NULL)
		map_lookup(s, txn, b, md, ml);
	b->buf.len = 0;
	for (i = 0; i < b->n; i++) {
		if ((rc = read_entry_at(s, txn, b->seq[i], &b->e[i], lazy,
		    pr, md[i], ml[i])) != 0) {
			if (rc == CAIRN_ENOTFOUND)
				rc = CAIRN_ECORRUPT;
			break;
		}
		/* The offset for now; pointers once the buffer stops moving. */
		if (cairn_buf_add(&b->buf, b->e[i].data, b->e[i].len) != 0) {
			rc = CAIRN_ENOMEM;
			break;
		}
		b->e[i].data = (const uint8_t *)(uintptr_t)(b->buf.len -
		    b->e[i].len);
		if (md[i] != NULL)
			__atomic_add_fetch(mapped, 1, __ATOMIC_RELAXED);
	}
	b->n = i;
	b->rc = rc;
	for (j = 0; j < i; j++)
		b->e[j].data = b->buf.p + (uintptr_t)b->e[j].data;
}

/* The second thread's walk: the next block's seqs into b, in a snapshot
 * taken now (it holds every entry the index names). */
static int
ahead_collect(cairn_iter *it, struct readahead *a, struct ablock *b,
    int *ended)
{
	int rc, started = 0;

	if (a->wtxn == NULL) {
		if ((rc = rtxn(it->s, &a->wtxn)) != 0)
			return rc;
		if ((rc = mdb_cursor_open(a->wtxn, it->s->by_account,
		    &a->wcur)) != 0 || (it->s->has_log &&
		    (rc = mdb_cursor_open(a->wtxn, it->s->account_log,
		    &a->wlcur)) != 0))
			return mdbrc(rc);
		if (it->pr != NULL &&
		    (rc = direct_new(it->s, a->wtxn, &a->wpr)) != 0)
			return rc;
	} else {
		mdb_txn_reset(a->wtxn);
		if ((rc = mdb_txn_renew(a->wtxn)) != 0 ||
		    (rc = mdb_cursor_renew(a->wtxn, a->wcur)) != 0 ||
		    (a->wlcur != NULL &&
		    (rc = mdb_cursor_renew(a->wtxn, a->wlcur)) != 0))
			return mdbrc(rc);
		if (a->wpr != NULL)
			direct_root(it->s, a->wtxn, a->wpr);
	}
	b->n = b->pos = 0;
	b->rc = 0;
	while (b->n < AHEAD_BLOCK) {
		rc = account_seq(it->account, a->wcur, a->wlcur,
		    it->s->account_span, &a->next, &started, &b->seq[b->n]);
		if (rc == CAIRN_ENOTFOUND) {
			*ended = 1;
			break;
		}
		if (rc != 0)
			return rc;
		b->n++;
	}
	return 0;
}

/* The number of the oldest block from block from on in state, or -1. */
static int64_t
ahead_find(const struct readahead *a, uint64_t from, int state)
{
	uint64_t i;

	for (i = from; i < a->head; i++)
		if (a->blk[i % AHEAD_SLOTS].state == state)
			return (int64_t)i;
	return -1;
}

/* Waits on a's condition, at most 50 ms: the state is looked at again. */
static void
ahead_wait(struct readahead *a)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += 50 * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&a->cv, &a->mu, &t);
}

/* The second thread: keeps two blocks of seqs ahead of the one it reads,
 * so that a caller about to wait has one to read itself. */
static void *
ahead_main(void *arg)
{
	cairn_iter *it = arg;
	struct readahead *a = it->ahead;
	struct ablock *b;
	int64_t f;
	int rc, walk, ended;

	pthread_mutex_lock(&a->mu);
	while (!a->quit) {
		f = ahead_find(a, a->tail, SLOT_SEQS);
		walk = !a->ended && a->wrc == 0 &&
		    a->head - a->tail < AHEAD_SLOTS &&
		    (f < 0 || ahead_find(a, (uint64_t)f + 1, SLOT_SEQS) < 0);
		if (a->reset || (f < 0 && !walk)) {
			ahead_wait(a);
			continue;
		}
		a->busy = 1;
		if (walk) {
			b = &a->blk[a->head % AHEAD_SLOTS];
			ended = 0;
			pthread_mutex_unlock(&a->mu);
			rc = ahead_collect(it, a, b, &ended);
			pthread_mutex_lock(&a->mu);
			a->ended = ended;
			if (rc != 0)
				a->wrc = rc;
			else if (b->n > 0) {
				b->state = SLOT_SEQS;
				a->head++;
			}
		} else {
			b = &a->blk[(uint64_t)f % AHEAD_SLOTS];
			b->state = SLOT_FILLING;
			pthread_mutex_unlock(&a->mu);
			ablock_fill(it->s, a->wtxn, b, it->lazy, a->wpr,
			    &a->mapped);
			pthread_mutex_lock(&a->mu);
			b->state = SLOT_READY;
		}
		a->busy = 0;
		pthread_cond_broadcast(&a->cv);
	}
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

/* Reads block b in the caller's transaction, renewed so that it holds
 * the seqs the second thread found. */
static int
ahead_steal(cairn_iter *it, struct ablock *b)
{
	int rc;

	mdb_txn_reset(it->txn);
	if ((rc = mdb_txn_renew(it->txn)) != 0 ||
	    (it->cur != NULL && (rc = mdb_cursor_renew(it->txn, it->cur)) != 0)) {
		b->n = 0;
		b->rc = mdbrc(rc);
		return b->rc;
	}
	it->started = 0;
	it->since_renew = 0;
	it->renewed_ms = mono_ms();
	if (it->pr != NULL)
		direct_root(it->s, it->txn, it->pr);
	ablock_fill(it->s, it->txn, b, it->lazy, it->pr,
	    &it->ahead->mapped);
	return 0;
}

/* cairn_iter_next for an account iterator reading ahead. */
static int
ahead_next(cairn_iter *it, struct cairn_entry *e)
{
	struct readahead *a = it->ahead;
	struct ablock *b;
	int64_t f;
	int rc;

	for (;;) {
		/* The block being given out is the caller's alone. */
		if ((b = a->out) != NULL) {
			if (b->pos < b->n) {
				*e = b->e[b->pos++];
				return 0;
			}
			if (b->rc != 0)
				return b->rc;
			pthread_mutex_lock(&a->mu);
			b->state = SLOT_FREE;
			a->tail++;
			a->out = NULL;
			pthread_cond_broadcast(&a->cv);
			pthread_mutex_unlock(&a->mu);
			continue;
		}
		pthread_mutex_lock(&a->mu);
		b = &a->blk[a->tail % AHEAD_SLOTS];
		if (a->tail < a->head && b->state == SLOT_READY) {
			a->out = b;
			pthread_mutex_unlock(&a->mu);
			continue;
		}
		if (a->tail == a->head && !a->running) {
			/* The first block is read here; a thread starts only
			 * for a history longer than one block. */
			pthread_mutex_unlock(&a->mu);
			if (a->wrc != 0)
				return a->wrc;
			if (a->ended)
				return CAIRN_ENOTFOUND;
			/* No second thread yet: no lock needed. */
			if ((rc = ahead_collect(it, a, b, &a->ended)) != 0)
				return a->wrc = rc;
			if (b->n == 0)
				return CAIRN_ENOTFOUND;
			b->state = SLOT_SEQS;
			a->head++;
			if (!a->ended && pthread_create(&a->th, NULL, ahead_main,
			    it) == 0)
				a->running = 1;
			/* Without the thread, each block is read here. */
			pthread_mutex_lock(&a->mu);
		}
		if ((f = ahead_find(a, a->tail, SLOT_SEQS)) >= 0) {
			b = &a->blk[(uint64_t)f % AHEAD_SLOTS];
			b->state = SLOT_FILLING;
			pthread_mutex_unlock(&a->mu);
			rc = ahead_steal(it, b);
			pthread_mutex_lock(&a->mu);
			b->state = SLOT_READY;
			pthread_cond_broadcast(&a->cv);
			pthread_mutex_unlock(&a->mu);
			if (rc != 0)
				return rc;
			continue;
		}
		if (a->tail == a->head && (a->ended || a->wrc != 0)) {
			rc = a->wrc != 0 ? a->wrc : CAIRN_ENOTFOUND;
			pthread_mutex_unlock(&a->mu);
			return rc;
		}
		ahead_wait(a);
		pthread_mutex_unlock(&a->mu);
	}
}

/* Drops the ring (the thread idle), to read again from seq next. */
static void
ahead_reset(struct readahead *a, uint64_t next)
{
	int i;

	pthread_mutex_lock(&a->mu);
	a->reset = 1;
	while (a->busy)
		ahead_wait(a);
	for (i = 0; i < AHEAD_SLOTS; i++)
		a->blk[i].state = SLOT_FREE;
	a->head = a->tail = 0;
	a->out = NULL;
	a->ended = 0;
	a->wrc = 0;
	a->next = next;
	a->reset = 0;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
}

int
cairn_iter_ahead(cairn_iter *it)
{
	struct readahead *a;

	if (it->kind != ITER_ACCOUNT)
		return CAIRN_EINVAL;
	if (it->ahead != NULL)
		return 0;
	if ((a = calloc(1, sizeof *a)) == NULL)
		return CAIRN_ENOMEM;
	if (pthread_mutex_init(&a->mu, NULL) != 0) {
		free(a);
		return CAIRN_ENOMEM;
	}
	if (pthread_cond_init(&a->cv, NULL) != 0) {
		pthread_mutex_destroy(&a->mu);
		free(a);
		return CAIRN_ENOMEM;
	}
	/* From where the iterator stands. */
	a->next = it->next;
	it->ahead = a;
	return 0;
}

/* Stops the second thread and frees the ring. */
static void
ahead_free(struct readahead *a)
{
	int i;

	if (a == NULL)
		return;
	if (a->running) {
		pthread_mutex_lock(&a->mu);
		a->quit = 1;
		pthread_cond_broadcast(&a->cv);
		pthread_mutex_unlock(&a->mu);
		pthread_join(a->th, NULL);
	}
	if (a->wcur != NULL)
		mdb_cursor_close(a->wcur);
	if (a->wlcur != NULL)
		mdb_cursor_close(a->wlcur);
	if (a->wtxn != NULL)
		mdb_txn_abort(a->wtxn);
	direct_free(a->wpr);
	for (i = 0; i < AHEAD_SLOTS; i++)
		cairn_buf_free(&a->blk[i].buf);
	pthread_cond_destroy(&a->cv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

int
cairn_iter_next(cairn_iter *it, struct cairn_entry *e)
{
	MDB_val k, v;
	uint64_t seq;
	int rc, op;

	if ((rc = iter_renew(it, 0)) < 0)
		return rc;
	if (rc == 1 && it->kind != ITER_RANGE)
		it->started = 0;	/* reposition from the saved key */
	switch (it->kind) {
	case ITER_RANGE:
		if (it->next >= it->to)
			return CAIRN_ENOTFOUND;
		seq = it->next++;
		break;
	case ITER_ACCOUNT:
		if (it->ahead != NULL)
			return ahead_next(it, e);
		if ((rc = account_seq(it->account, it->cur, it->lcur,
		    it->s->account_span, &it->next, &it->started, &seq)) != 0)
			return rc;
		break;
	case ITER_STREAM:
		if (!it->started) {
			val(&k, it->tkey, sizeof it->tkey);
			op = MDB_SET_RANGE;
			it->started = 1;
		} else
			op = MDB_NEXT;
		if ((rc = mdb_cursor_get(it->cur, &k, &v, op)) != 0)
			return mdbrc(rc);
		if (k.mv_size != 17 || ((uint8_t *)k.mv_data)[0] != it->tkey[0])
			return CAIRN_ENOTFOUND;
		if ((int64_t)cairn_get_be64((uint8_t *)k.mv_data + 1) >= it->until)
			return CAIRN_ENOTFOUND;
		seq = cairn_get_be64((uint8_t *)k.mv_data + 9);
		/* Remember the position just after this key. */
		memcpy(it->tkey, k.mv_data, 17);
		cairn_put_be64(it->tkey + 9, seq + 1);
		break;
	default:
		return CAIRN_EINVAL;
	}
	if ((rc = read_entry(it->s, it->txn, seq, e, it->lazy, it->pr)) != 0)
		return rc == CAIRN_ENOTFOUND ? CAIRN_ECORRUPT : rc;
	/* Data lives in the map only until renewal: copy it out. */
	it->buf.len = 0;
	if (cairn_buf_add(&it->buf, e->data, e->len) != 0)
		return CAIRN_ENOMEM;
	e->data = it->buf.p;
	return 0;
}

int
cairn_iter_refresh(cairn_iter *it)
{
	int rc;

	if ((rc = iter_renew(it, 1)) < 0)
		return rc;
	if (rc == 1 && it->kind != ITER_RANGE)
		it->started = 0;
	return 0;
}

void
cairn_iter_lazy(cairn_iter *it, int on)
{
	it->lazy = on != 0;
}

int
cairn_iter_leaf(cairn_iter *it, uint64_t seq, uint8_t out[CAIRN_HASH_LEN])
{
	struct nodectx nc = { it->s, it->txn };
	int rc;

	if ((rc = getnode(&nc, 0, seq, out)) != 0)
		return rc == CAIRN_ENOTFOUND ? CAIRN_ECORRUPT : rc;
	return 0;
}

/* The newest seq < from (back) or the oldest >= from (!back) of the
 * account key k in account_log at c, looked for only between its first and
 * last there (account_span): 0, or CAIRN_ENOTFOUND. */
static int
log_step(MDB_cursor *c, MDB_dbi span, const uint8_t *k, size_t n,
    uint64_t from, int back, uint64_t *seq)
{
	MDB_val lk, lv;
	uint64_t first, last;
	uint8_t sb[8];
	int rc;

	if ((rc = log_span(mdb_cursor_txn(c), span, k, n, &first, &last)) != 0)
		return rc;
	if (back ? from <= first : from > last)
		return CAIRN_ENOTFOUND;
	/* Back: the record before from (or before last's successor). */
	if (back)
		cairn_put_be64(sb, from > last ? last + 1 : from);
	else
		cairn_put_be64(sb, from > first ? from : first);
	val(&lk, sb, 8);
	rc = mdb_cursor_get(c, &lk, &lv, MDB_SET_RANGE);
	if (back) {
		if (rc == 0)
			rc = mdb_cursor_get(c, &lk, &lv, MDB_PREV);
		else if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(c, &lk, &lv, MDB_LAST);
	}
	return log_find(c, rc, &lk, &lv, back ? MDB_PREV : MDB_NEXT, k, n,
	    first, last, seq);
}

static int
account_step(cairn_store *s, const char *account, uint64_t from, int back,
    uint64_t *seq)
{
	MDB_txn *txn;
	MDB_cursor *cur = NULL, *lcur = NULL;
	MDB_val k, v;
	uint8_t kb[512 + 8];
	size_t n;
	int rc;

	if (strlen(account) == 0 || strlen(account) > 511)
		return CAIRN_EINVAL;
	n = akey(account, kb);
	if ((rc = rtxn(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->by_account, &cur)) != 0 ||
	    (s->has_log &&
	    (rc = mdb_cursor_open(txn, s->account_log, &lcur)) != 0)) {
		rc = mdbrc(rc);
		goto out;
	}
	/* account_log's seqs all follow by_account's: going back, the log
	 * first; going forward, the log after by_account. */
	if (back && lcur != NULL &&
	    (rc = log_step(lcur, s->account_span, kb, n, from, 1, seq)) !=
	    CAIRN_ENOTFOUND)
		goto out;
	/* back: the key before prefix||from; else the first >= prefix||from. */
	cairn_put_be64(kb + n, from);
	val(&k, kb, n + 8);
	rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	if (back) {
		if (rc == 0)
			rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
		else if (rc == MDB_NOTFOUND)
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
	}
	if (rc == 0) {
		if (k.mv_size != n + 8 || memcmp(k.mv_data, kb, n) != 0)
			rc = MDB_NOTFOUND;
		else
			*seq = cairn_get_be64((uint8_t *)k.mv_data + n);
	}
	rc = mdbrc(rc);
	if (!back && rc == CAIRN_ENOTFOUND && lcur != NULL)
		rc = log_step(lcur, s->account_span, kb, n, from, 0, seq);
out:
	if (cur != NULL)
		mdb_cursor_close(cur);
	if (lcur != NULL)
		mdb_cursor_close(lcur);
	mdb_txn_abort(txn);
	return rc;
}

int
cairn_store_account_before(cairn_store *s, const char *account,
    uint64_t before, uint64_t *seq)
{
	return account_step(s, account, before, 1, seq);
}

int
cairn_store_account_after(cairn_store *s, const char *account,
    uint64_t after, uint64_t *seq)
{
	if (after == UINT64_MAX)
		return CAIRN_ENOTFOUND;
	return account_step(s, account, after + 1, 0, seq);
}

int
cairn_iter_seek(cairn_iter *it, uint64_t seq, int64_t received_us)
{
	switch (it->kind) {
	case ITER_RANGE:
	case ITER_ACCOUNT:
		it->next = seq;
		break;
	case ITER_STREAM:
		cairn_put_be64(it->tkey + 1,
		    (uint64_t)(received_us < 0 ? 0 : received_us));
		cairn_put_be64(it->tkey + 9, seq);
		break;
	default:
		return CAIRN_EINVAL;
	}
	it->started = 0;
	if (it->ahead != NULL)
		ahead_reset(it->ahead, seq);	/* what was read ahead goes */
	return 0;
}

void
cairn_iter_free(cairn_iter *it)
{
	if (it == NULL)
		return;
	ahead_free(it->ahead);
	if (it->cur != NULL)
		mdb_cursor_close(it->cur);
	if (it->lcur != NULL)
		mdb_cursor_close(it->lcur);
	if (it->txn != NULL)
		mdb_txn_abort(it->txn);
	free(it->account);
	cairn_buf_free(&it->buf);
	direct_free(it->pr);
	free(it);
}

int
cairn_store_root(cairn_store *s, uint64_t size, uint8_t root[CAIRN_HASH_LEN])
{
	struct nodectx nc = { s, NULL };
	uint64_t n;
	int rc;

	if ((rc = rtxn(s, &nc.txn)) != 0)
		return rc;
	if ((rc = count_entries(nc.txn, s->entries, &n)) == 0)
		rc = size > n ? CAIRN_ENOTFOUND :
		    cairn_merkle_root(getnode, &nc, size, root);
	mdb_txn_abort(nc.txn);
	return rc;
}

int
cairn_store_inclusion(cairn_store *s, uint64_t seq, uint64_t size,
    uint8_t proof[][CAIRN_HASH_LEN], size_t *np)
{
	struct nodectx nc = { s, NULL };
	uint64_t n;
	int rc;

	if ((rc = rtxn(s, &nc.txn)) != 0)
		return rc;
	if ((rc = count_entries(nc.txn, s->entries, &n)) == 0)
		rc = (size > n || seq >= size) ? CAIRN_ENOTFOUND :
		    cairn_merkle_inclusion(getnode, &nc, seq, size, proof, np);
	mdb_txn_abort(nc.txn);
	return rc;
}

int
cairn_store_consistency(cairn_store *s, uint64_t old, uint64_t new,
    uint8_t proof[][CAIRN_HASH_LEN], size_t *np)
{
	struct nodectx nc = { s, NULL };
	uint64_t n;
	int rc;

	if ((rc = rtxn(s, &nc.txn)) != 0)
		return rc;
	if ((rc = count_entries(nc.txn, s->entries, &n)) == 0)
		rc = (new > n || old > new) ? CAIRN_ENOTFOUND :
		    cairn_merkle_consistency(getnode, &nc, old, new, proof, np);
	mdb_txn_abort(nc.txn);
	return rc;
}

int
cairn_store_info(cairn_store *s, struct cairn_store_info *in)
{
	MDB_txn *txn;
	MDB_envinfo ei;
	struct stat sb;
	struct state st;
	char path[PATH_MAX];
	int rc, i;

	memset(in, 0, sizeof *in);
	memcpy(in->origin, s->origin, sizeof in->origin);
	memcpy(in->pubkey, s->pubkey, 32);
	if ((rc = rtxn(s, &txn)) != 0)
		return rc;
	if ((rc = load_state(s, txn, &st)) == 0)
		rc = count_entries(txn, s->checkpoints, &in->checkpoints);
	mdb_txn_abort(txn);
	if (rc != 0)
		return rc;
	in->size = st.size;
	for (i = 0; i < CAIRN_NSTREAMS; i++)
		in->stream_count[i] = st.count[i];
	in->last_received = st.received;
	snprintf(path, sizeof path, "%s/data.mdb", s->dir);
	if (stat(path, &sb) == 0)
		in->disk_bytes = (uint64_t)sb.st_blocks * 512;
	if (mdb_env_info(s->env, &ei) == 0)
		in->map_size = ei.me_mapsize;
	return 0;
}

/* The checkpoint of the writer's current tree, made now. */
static void
state_checkpoint(const cairn_store *s, struct cairn_checkpoint *cp)
{
	int i;

	memset(cp, 0, sizeof *cp);
	snprintf(cp->origin, sizeof cp->origin, "%s", s->origin);
	cp->size = s->st.size;
	cairn_frontier_root(&s->st.fr, cp->root);
	cp->time_us = now_us();
	for (i = 0; i < CAIRN_NSTREAMS; i++) {
		cp->count[i] = s->st.count[i];
		memcpy(cp->head[i], s->st.head[i], CAIRN_HASH_LEN);
	}
}

int
cairn_store_checkpoint(cairn_store *s, const uint8_t sk[64], struct cairn_buf *note)
{
	struct cairn_checkpoint cp;
	struct cairn_buf body = { 0 }, signed_note = { 0 };
	struct state saved;
	MDB_txn *txn;
	MDB_val k, v;
	uint8_t kb[16];
	int rc;

	if (s->rdonly)
		return CAIRN_ERDONLY;
	/* Only the store's own key signs its checkpoints. */
	if (sodium_memcmp(sk + 32, s->pubkey, 32) != 0) {
		detail(s, "the secret key does not belong to this store (origin %s)",
		    s->origin);
		return CAIRN_EINVAL;
	}
	state_checkpoint(s, &cp);
	if ((rc = cairn_checkpoint_body(&cp, &body)) != 0 ||
	    (rc = cairn_note_sign(s->origin, sk, body.p, body.len,
	    &signed_note)) != 0)
		goto out;
	cairn_put_be64(kb, cp.size);
	cairn_put_be64(kb + 8, (uint64_t)cp.time_us);
	for (;;) {
		saved = s->st;
		if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
			break;
		val(&k, kb, sizeof kb);
		val(&v, signed_note.p, signed_note.len);
		if ((rc = mdb_put(txn, s->checkpoints, &k, &v, 0)) != 0) {
			mdb_txn_abort(txn);
		} else
			rc = mdb_txn_commit(txn);
		s->st = saved;
		if (rc != MDB_MAP_FULL || (rc = grow(s)) != 0)
			break;
	}
	if (rc != 0) {
		rc = mdbrc(rc);
		goto out;
	}
	/* The file is written after the commit: it may lag the store, never lead it. */
	if ((rc = cairn_write_file_atomic(s->cpfile, signed_note.p,
	    signed_note.len, 0644)) != 0) {
		detail(s, "%s: %s", s->cpfile, strerror(rc));
		goto out;
	}
	if (note != NULL) {
		note->len = 0;
		rc = cairn_buf_add(note, signed_note.p, signed_note.len);
	}
out:
	cairn_buf_free(&body);
	cairn_buf_free(&signed_note);
	return rc;
}

/*
 * One attempt at a key rotation inside one write transaction: the entry,
 * the checkpoint signed by both keys, the key history and the new key.
 */
static int
rotate_txn(cairn_store *s, const struct keyset *ks, const uint8_t old_sk[64],
    const uint8_t new_sk[64], cairn_event *ev, struct cairn_receipt *rcpt,
    struct cairn_buf *out)
{
	struct cairn_checkpoint cp;
	struct cairn_buf body = { 0 }, one = { 0 }, hist = { 0 };
	MDB_txn *txn;
	MDB_val k, v;
	uint8_t kb[16], rec[KEYREC_LEN];
	int64_t received;
	size_t failed, i;
	int rc;

	if ((rc = mdb_txn_begin(s->env, NULL, 0, &txn)) != 0)
		return rc;
	if ((rc = append_in(s, txn, &ev, 1, rcpt, &failed, &received)) != 0)
		goto abort;
	/* The announcement must be the tree's last entry. */
	if (rcpt->duplicate) {
		detail(s, "the system.key_rotated event (id %s) was stored before",
		    ev->id ? ev->id : "");
		rc = CAIRN_EINVAL;
		goto abort;
	}
	state_checkpoint(s, &cp);
	out->len = 0;
	if ((rc = cairn_checkpoint_body(&cp, &body)) != 0 ||
	    (rc = cairn_note_sign(s->origin, old_sk, body.p, body.len,
	    &one)) != 0 ||
	    (rc = cairn_note_cosign(s->origin, new_sk, one.p, one.len,
	    out)) != 0)
		goto abort;
	cairn_put_be64(kb, cp.size);
	cairn_put_be64(kb + 8, (uint64_t)cp.time_us);
	val(&k, kb, sizeof kb);
	val(&v, out->p, out->len);
	if ((rc = mdb_put(txn, s->checkpoints, &k, &v, 0)) != 0)
		goto abort;
	/* The retired keys, then this one: valid up to this tree size. */
	for (i = 0; i + 1 < ks->n; i++) {
		memcpy(rec, ks->k[i].pubkey, 32);
		cairn_put_be64(rec + 32, ks->k[i].last_size);
		cairn_put_be64(rec + 40, (uint64_t)ks->k[i].rotated_us);
		if ((rc = cairn_buf_add(&hist, rec, sizeof rec)) != 0)
			goto abort;
	}
	memcpy(rec, old_sk + 32, 32);
	cairn_put_be64(rec + 32, cp.size);
	cairn_put_be64(rec + 40, (uint64_t)cp.time_us);
	if ((rc = cairn_buf_add(&hist, rec, sizeof rec)) != 0 ||
	    (rc = meta_put(txn, s, "key_history", hist.p, hist.len)) != 0 ||
	    (rc = meta_put(txn, s, "pubkey", new_sk + 32, 32)) != 0)
		goto abort;
	rc = mdb_txn_commit(txn);
	txn = NULL;
	if (rc == 0) {
		s->st.received = received;
		rcpt->tree_size = s->st.size;
	}
abort:
	if (txn != NULL)
		mdb_txn_abort(txn);
	cairn_buf_free(&body);
	cairn_buf_free(&one);
	cairn_buf_free(&hist);
	return rc;
}

int
cairn_store_rotate(cairn_store *s, const uint8_t old_sk[64],
    const uint8_t new_sk[64], cairn_event *ev, struct cairn_receipt *rcpt,
    struct cairn_buf *note)
{
	struct keyset ks;
	struct cairn_buf signed_note = { 0 };
	struct state saved;
	uint8_t pk[32];
	size_t i;
	int rc;

	if (s->rdonly)
		return CAIRN_ERDONLY;
	s->detail[0] = 0;
	if ((rc = keys_now(s, &ks)) != 0)
		return rc;
	/* Only the key in force can vouch for its successor. */
	if (sodium_memcmp(old_sk + 32, ks.k[ks.n - 1].pubkey, 32) != 0) {
		detail(s, "the old secret key is not this store's current key "
		    "(origin %s)", s->origin);
		return CAIRN_EINVAL;
	}
	for (i = 0; i < ks.n; i++)
		if (sodium_memcmp(new_sk + 32, ks.k[i].pubkey, 32) == 0) {
			detail(s, "the new key %s this store's key: make a new "
			    "one", i + 1 == ks.n ? "is" : "was once");
			return CAIRN_EINVAL;
		}
	if (rotation_key(ev->canon.p, ev->canon.len, pk) != 0 ||
	    sodium_memcmp(pk, new_sk + 32, 32) != 0) {
		detail(s, "the event is not a system.key_rotated entry announcing "
		    "the new key in its public_key");
		return CAIRN_EINVAL;
	}
	if (ks.n >= CAIRN_MAX_KEYS) {
		detail(s, "this store has had %d keys, the most it keeps",
		    CAIRN_MAX_KEYS);
		return CAIRN_ETOOBIG;
	}
	for (;;) {
		saved = s->st;
		rc = rotate_txn(s, &ks, old_sk, new_sk, ev, rcpt, &signed_note);
		if (rc == 0)
			break;
		s->st = saved;	/* the transaction was aborted: so is our state */
		forget_heads(s);
		if (rc != MDB_MAP_FULL || (rc = grow(s)) != 0)
			break;
	}
	if (rc != 0) {
		cairn_buf_free(&signed_note);
		return mdbrc(rc);
	}
	memcpy(s->pubkey, new_sk + 32, 32);
	/* As for any checkpoint: the file may lag the store, never lead it. */
	if ((rc = cairn_write_file_atomic(s->cpfile, signed_note.p,
	    signed_note.len, 0644)) != 0)
		detail(s, "the key is rotated, but %s was not written: %s (the "
		    "next checkpoint writes it)", s->cpfile, strerror(rc));
	else if (note != NULL) {
		note->len = 0;
		rc = cairn_buf_add(note, signed_note.p, signed_note.len);
	}
	cairn_buf_free(&signed_note);
	return rc;
}

int
cairn_store_keys(cairn_store *s, struct cairn_store_key keys[CAIRN_MAX_KEYS],
    size_t *n)
{
	struct keyset ks;
	int rc;

	if ((rc = keys_now(s, &ks)) != 0)
		return rc;
	memcpy(keys, ks.k, ks.n * sizeof ks.k[0]);
	*n = ks.n;
	return 0;
}

int
cairn_store_note_verify(cairn_store *s, const uint8_t *note, size_t len,
    const uint8_t **body, size_t *bodylen)
{
	struct cairn_checkpoint cp;
	struct keyset ks;
	char why[256];
	int rc, rot;

	if ((rc = keys_now(s, &ks)) != 0)
		return rc;
	if ((rc = keys_verify(&ks, s->origin, note, len, &cp, body, bodylen,
	    &rot, why, sizeof why)) != 0)
		detail(s, "%s", why);
	return rc;
}

int
cairn_store_checkpoint_find(cairn_store *s, uint64_t size, int after,
    struct cairn_buf *note)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v;
	uint8_t kb[16];
	int rc;

	if ((rc = rtxn(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->checkpoints, &cur)) != 0) {
		mdb_txn_abort(txn);
		return mdbrc(rc);
	}
	if (after) {
		cairn_put_be64(kb, size);
		memset(kb + 8, 0, 8);
		val(&k, kb, sizeof kb);
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
	} else {
		/* The last key <= (size, max time): step back from the first above. */
		if (size == UINT64_MAX)
			rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		else {
			cairn_put_be64(kb, size + 1);
			memset(kb + 8, 0, 8);
			val(&k, kb, sizeof kb);
			rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
			if (rc == 0)
				rc = mdb_cursor_get(cur, &k, &v, MDB_PREV);
			else if (rc == MDB_NOTFOUND)
				rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
		}
	}
	if (rc == 0) {
		note->len = 0;
		if (cairn_buf_add(note, v.mv_data, v.mv_size) != 0)
			rc = CAIRN_ENOMEM;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return mdbrc(rc);
}

int
cairn_store_checkpoint_at(cairn_store *s, int64_t time_us, int after,
    struct cairn_buf *note)
{
	MDB_txn *txn;
	MDB_cursor *cur;
	MDB_val k, v, best;
	int64_t t;
	int rc, found = 0;

	if ((rc = rtxn(s, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, s->checkpoints, &cur)) != 0) {
		mdb_txn_abort(txn);
		return mdbrc(rc);
	}
	/* Checkpoints are few (hourly): a scan in key (size, time) order. */
	memset(&best, 0, sizeof best);
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST); rc == 0;
	    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
		if (k.mv_size != 16)
			continue;
		t = (int64_t)cairn_get_be64((uint8_t *)k.mv_data + 8);
		if (after && t >= time_us) {
			best = v;
			found = 1;
			break;
		}
		if (!after && t <= time_us) {
			best = v;
			found = 1;
		}
	}
	if (rc == 0 || rc == MDB_NOTFOUND)
		rc = found ? 0 : MDB_NOTFOUND;
	if (rc == 0) {
		note->len = 0;
		if (cairn_buf_add(note, best.mv_data, best.mv_size) != 0)
			rc = CAIRN_ENOMEM;
	}
	mdb_cursor_close(cur);
	mdb_txn_abort(txn);
	return mdbrc(rc);
}

int
cairn_store_checkpoint_latest(cairn_store *s, struct cairn_buf *note)
{
	return cairn_store_checkpoint_find(s, UINT64_MAX, 0, note);
}


/*
 * Verification: one sequential pass over entries, nodes and checkpoints,
 * all three in key order, so it reads each page once.
 */

struct amap_slot {
	char	*key;	/* the account as its JSON string literal */
	uint8_t	 head[CAIRN_HASH_LEN];
};

struct amap {
	struct amap_slot *slot;
	size_t		 cap, used;
};

static uint64_t
fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	while (n--)
		h = (h ^ *p++) * 1099511628211ULL;
	return h;
}

/* Finds or inserts key; returns the slot, or NULL when out of memory. */
static struct amap_slot *
amap_get(struct amap *m, const uint8_t *key, size_t n, int *fresh)
{
	struct amap_slot *ns, *sl;
	size_t i, j, ncap;

	if (m->used * 2 >= m->cap) {
		ncap = m->cap ? m->cap * 2 : 1024;
		if ((ns = calloc(ncap, sizeof *ns)) == NULL)
			return NULL;
		for (i = 0; i < m->cap; i++) {
			if (m->slot[i].key == NULL)
				continue;
			j = fnv1a((uint8_t *)m->slot[i].key,
			    strlen(m->slot[i].key)) & (ncap - 1);
			while (ns[j].key != NULL)
				j = (j + 1) & (ncap - 1);
			ns[j] = m->slot[i];
		}
		free(m->slot);
		m->slot = ns;
		m->cap = ncap;
	}
	i = fnv1a(key, n) & (m->cap - 1);
	for (;;) {
		sl = &m->slot[i];
		if (sl->key == NULL)
			break;
		if (strlen(sl->key) == n && memcmp(sl->key, key, n) == 0) {
			*fresh = 0;
			return sl;
		}
		i = (i + 1) & (m->cap - 1);
	}
	if ((sl->key = strndup((const char *)key, n)) == NULL)
		return NULL;
	memset(sl->head, 0, CAIRN_HASH_LEN);
	m->used++;
	*fresh = 1;
	return sl;
}

static void
amap_free(struct amap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slot[i].key);
	free(m->slot);
}

struct vstate {
	cairn_store	*s;
	MDB_txn		*txn;
	MDB_cursor	*ncur;
	struct cairn_verify_report *r;
	uint64_t	 seq;
	int		 bad;
	const struct keyset *ks;	/* the keys checkpoints are checked against */
	uint64_t	 rot_seen;	/* bit i: key i's rotation checkpoint seen */
};

static int
vfail(struct vstate *vs, int has_seq, uint64_t seq, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the first problem found. */
static int
vfail(struct vstate *vs, int has_seq, uint64_t seq, const char *fmt, ...)
{
	va_list ap;

	if (!vs->r->failed) {
		vs->r->failed = 1;
		vs->r->has_seq = has_seq;
		vs->r->bad_seq = seq;
		va_start(ap, fmt);
		vsnprintf(vs->r->what, sizeof vs->r->what, fmt, ap);
		va_end(ap);
	}
	return CAIRN_ECORRUPT;
}

/* cairn_emit_fn: compares each recomputed node with the stored one. */
static int
checknode(void *ctx, unsigned level, uint64_t index, const uint8_t h[CAIRN_HASH_LEN])
{
	struct vstate *vs = ctx;
	MDB_val k, v;
	uint64_t pos = cairn_merkle_pos(level, index);
	int rc;

	rc = mdb_cursor_get(vs->ncur, &k, &v, MDB_NEXT);
	if (rc != 0 || k.mv_size != 8 || cairn_get_be64(k.mv_data) != pos)
		return vfail(vs, 1, vs->seq, "Merkle node (level %u, index %llu) "
		    "is missing", level, (unsigned long long)index);
	if (v.mv_size != CAIRN_HASH_LEN || memcmp(v.mv_data, h, CAIRN_HASH_LEN))
		return vfail(vs, 1, vs->seq, level == 0 ?
		    "entry bytes do not match the stored leaf hash "
		    "(level %u, index %llu): the entry was altered" :
		    "stored Merkle node (level %u, index %llu) differs from the "
		    "one recomputed", level, (unsigned long long)index);
	return 0;
}

/* Checks one checkpoint against the recomputed tree and stream state. */
static int
check_checkpoint(struct vstate *vs, const uint8_t *note, size_t len,
    const uint8_t root[32], const uint64_t *count,
    uint8_t (*head)[CAIRN_HASH_LEN])
{
	struct cairn_checkpoint cp;
	const uint8_t *body;
	size_t blen;
	char why[256];
	int i, rot;

	vs->r->checkpoints++;
	if (keys_verify(vs->ks, vs->s->origin, note, len, &cp, &body, &blen,
	    &rot, why, sizeof why) != 0)
		return vfail(vs, 0, 0, "checkpoint %llu: %s",
		    (unsigned long long)vs->r->checkpoints, why);
	if (rot >= 0)
		vs->rot_seen |= UINT64_C(1) << rot;
	if (memcmp(cp.root, root, CAIRN_HASH_LEN) != 0)
		return vfail(vs, cp.size > 0, cp.size ? cp.size - 1 : 0,
		    "checkpoint of size %llu: signed root differs from the tree "
		    "recomputed from the entries", (unsigned long long)cp.size);
	for (i = 0; i < CAIRN_NSTREAMS; i++)
		if (cp.count[i] != count[i] ||
		    memcmp(cp.head[i], head[i], CAIRN_HASH_LEN) != 0)
			return vfail(vs, cp.size > 0, cp.size ? cp.size - 1 : 0,
			    "checkpoint of size %llu: stream %s head or count "
			    "differs from the entries", (unsigned long long)cp.size,
			    cairn_stream_names[i]);
	return 0;
}

/* Checks that a rotation's last entry announces the key that follows. */
static int
check_rotation(struct vstate *vs, const uint8_t *p, size_t len,
    const uint8_t next[32])
{
	const uint8_t *ev;
	uint8_t pk[32];
	size_t evlen;

	if (cairn_cjson_member(p, len, "event", &ev, &evlen) != 0 ||
	    rotation_key(ev, evlen, pk) != 0)
		return vfail(vs, 1, vs->seq, "the key history names a rotation "
		    "here, but the entry is not a system.key_rotated event "
		    "announcing a key");
	if (sodium_memcmp(pk, next, 32) != 0)
		return vfail(vs, 1, vs->seq, "system.key_rotated announces "
		    "another key than the one that signs after it");
	return 0;
}

/* The members of an entry, in key order. */
enum { M_ACCOUNT_PREV, M_EVENT, M_EVENT_SHA256, M_PREV, M_RECEIVED, M_SEQ,
    M_SOURCE, M_STREAM, M_STREAM_PREV, M_COUNT };
static const char *const entry_keys[M_COUNT] = { "account_prev", "event",
    "event_sha256", "prev", "received", "seq", "source", "stream",
    "stream_prev" };

/* 0 if the member is the hex of want, else 1.  Encoding want and
 * comparing text is cheaper than decoding, and entries are canonical:
 * lower-case hex only. */
static int
hexeq(const uint8_t *v, size_t len, const uint8_t want[CAIRN_HASH_LEN])
{
	char hex[CAIRN_HEX_LEN + 1];

	if (v == NULL || len != CAIRN_HEX_LEN + 2)
		return 1;
	cairn_hex(want, CAIRN_HASH_LEN, hex);
	return memcmp(v + 1, hex, CAIRN_HEX_LEN) != 0;
}

/* Checks one entry's fields and chains against the state so far. */
static int
check_entry(struct vstate *vs, const uint8_t *p, size_t len,
    const uint8_t leaf[CAIRN_HASH_LEN], const uint8_t last[CAIRN_HASH_LEN],
    uint8_t (*head)[CAIRN_HASH_LEN], struct amap *am, int64_t *received,
    int *idxp)
{
	const uint8_t *m[M_COUNT], *acct;
	size_t ml[M_COUNT], alen;
	struct amap_slot *sl;
	char buf[32];
	int64_t t;
	int idx, off, fresh;

	if (cairn_cjson_check(p, len) != 0)
		return vfail(vs, 1, vs->seq, "entry is not canonical JSON");
	if (cairn_cjson_members(p, len, entry_keys, M_COUNT, m, ml) != 0)
		return vfail(vs, 1, vs->seq, "entry is not a JSON object");
	off = snprintf(buf, sizeof buf, "%llu", (unsigned long long)vs->seq);
	if (m[M_SEQ] == NULL || ml[M_SEQ] != (size_t)off ||
	    memcmp(m[M_SEQ], buf, ml[M_SEQ]) != 0)
		return vfail(vs, 1, vs->seq, "entry's seq field is not %llu",
		    (unsigned long long)vs->seq);
	if (hexeq(m[M_PREV], ml[M_PREV], last))
		return vfail(vs, 1, vs->seq, "global chain broken: prev is not the "
		    "leaf hash of entry %lld", (long long)vs->seq - 1);
	if (m[M_STREAM] == NULL || ml[M_STREAM] < 3 ||
	    ml[M_STREAM] - 2 >= sizeof buf)
		return vfail(vs, 1, vs->seq, "entry has no stream");
	memcpy(buf, m[M_STREAM] + 1, ml[M_STREAM] - 2);
	buf[ml[M_STREAM] - 2] = 0;
	if ((idx = cairn_stream_index(buf)) < 0)
		return vfail(vs, 1, vs->seq, "unknown stream \"%s\"", buf);
	if (hexeq(m[M_STREAM_PREV], ml[M_STREAM_PREV], head[idx]))
		return vfail(vs, 1, vs->seq, "stream %s chain broken: stream_prev "
		    "is not the previous %s entry's leaf hash", buf, buf);
	if (m[M_RECEIVED] == NULL || ml[M_RECEIVED] < 2 ||
	    cairn_rfc3339_parse((const char *)m[M_RECEIVED] + 1,
	    ml[M_RECEIVED] - 2, &t, &off) != 0 || t < *received)
		return vfail(vs, 1, vs->seq, "received is missing, malformed or "
		    "earlier than the previous entry's");
	*received = t;
	if (m[M_EVENT] == NULL || m[M_SOURCE] == NULL ||
	    m[M_EVENT_SHA256] == NULL || ml[M_EVENT_SHA256] != CAIRN_HEX_LEN + 2)
		return vfail(vs, 1, vs->seq, "entry lacks event, event_sha256 or "
		    "source");
	if (cairn_cjson_member(m[M_EVENT], ml[M_EVENT], "account", &acct,
	    &alen) == 0) {
		if ((sl = amap_get(am, acct, alen, &fresh)) == NULL)
			return CAIRN_ENOMEM;
		if (hexeq(m[M_ACCOUNT_PREV], ml[M_ACCOUNT_PREV], sl->head))
			return vfail(vs, 1, vs->seq, "account chain broken: "
			    "account_prev of account %.*s is not its previous "
			    "entry's leaf hash", (int)alen, (const char *)acct);
		memcpy(sl->head, leaf, CAIRN_HASH_LEN);
	} else if (m[M_ACCOUNT_PREV] != NULL)
		return vfail(vs, 1, vs->seq, "account_prev without an account");
	*idxp = idx;
	return 0;
}

/*
 * verify runs as a two-stage pipeline: a reader thread walks the entries and
 * the Merkle nodes in key order, hashing every leaf and recomputing every
 * node (the SHA-256 half), and hands copies of the entries on in chunks; the
 * calling thread checks each entry's JSON and its three chains, and the
 * checkpoints.  Each stage reads its own snapshot; entries below the size
 * taken at the start are the same in both (append-only).
 */
#define VCHUNK		512
#define VQUEUE		4

struct vitem {
	uint64_t	seq;
	size_t		off, len;
	uint8_t		leaf[CAIRN_HASH_LEN];
	uint8_t		root[CAIRN_HASH_LEN];	/* tree root after this entry */
	int		has_root;		/* a checkpoint has this size */
};

struct vchunk {
	struct vitem	 item[VCHUNK];
	size_t		 n;
	struct cairn_buf data;
	int		 last;		/* nothing follows */
};

struct vpipe {
	cairn_store	*s;
	uint64_t	 n;
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	struct vchunk	*q[VQUEUE + 2];	/* ring of full chunks: room for all */
	size_t		 head, count;
	struct vchunk	*free[VQUEUE + 2];
	size_t		 nfree;
	volatile int	 abort;		/* the consumer gave up */
	struct cairn_verify_report pr;	/* the reader's findings */
	int		 prc;		/* the reader's return code */
};

static struct vchunk *
vget_free(struct vpipe *vp)
{
	struct vchunk *c;

	pthread_mutex_lock(&vp->mu);
	while (vp->nfree == 0 && !vp->abort)
		pthread_cond_wait(&vp->cv, &vp->mu);
	c = vp->nfree ? vp->free[--vp->nfree] : NULL;
	pthread_mutex_unlock(&vp->mu);
	if (c != NULL) {
		c->n = 0;
		c->data.len = 0;
		c->last = 0;
	}
	return c;
}

static void
vput_full(struct vpipe *vp, struct vchunk *c)
{
	pthread_mutex_lock(&vp->mu);
	vp->q[(vp->head + vp->count) % (VQUEUE + 2)] = c;
	vp->count++;
	pthread_cond_broadcast(&vp->cv);
	pthread_mutex_unlock(&vp->mu);
}

/* The reader stage. */
static void *
vreader(void *arg)
{
	struct vpipe *vp = arg;
	cairn_store *s = vp->s;
	struct vstate vs;
	struct cairn_frontier fr;
	struct vchunk *c = NULL;
	struct vitem *it;
	MDB_cursor *ecur = NULL, *ccur = NULL;
	MDB_val k, v, ck, cv;
	uint8_t kb[16];
	uint64_t cpsize = 0, want;
	unsigned since = 0;
	int rc, crc;

	memset(&vs, 0, sizeof vs);
	memset(&fr, 0, sizeof fr);
	vs.s = s;
	vs.r = &vp->pr;
	if ((rc = rtxn(s, &vs.txn)) != 0)
		goto done;
	if ((rc = mdbrc(mdb_cursor_open(vs.txn, s->entries, &ecur))) != 0 ||
	    (rc = mdbrc(mdb_cursor_open(vs.txn, s->nodes, &vs.ncur))) != 0 ||
	    (rc = mdbrc(mdb_cursor_open(vs.txn, s->checkpoints, &ccur))) != 0)
		goto done;
	crc = mdb_cursor_get(ccur, &ck, &cv, MDB_FIRST);
	while (crc == 0 && (cpsize = cairn_get_be64(ck.mv_data)) == 0)
		crc = mdb_cursor_get(ccur, &ck, &cv, MDB_NEXT);
	if ((c = vget_free(vp)) == NULL)
		goto done;
	for (vs.seq = 0; vs.seq < vp->n && !vp->abort; vs.seq++) {
		if (++since == RENEW_EVERY) {
			/* Renew, then put the cursors back where they were. */
			since = 0;
			mdb_txn_reset(vs.txn);
			if ((rc = mdbrc(mdb_txn_renew(vs.txn))) != 0 ||
			    (rc = mdbrc(mdb_cursor_renew(vs.txn, ecur))) != 0 ||
			    (rc = mdbrc(mdb_cursor_renew(vs.txn, vs.ncur))) != 0 ||
			    (rc = mdbrc(mdb_cursor_renew(vs.txn, ccur))) != 0)
				break;
			cairn_put_be64(kb, cairn_merkle_nodes(vs.seq) - 1);
			val(&k, kb, 8);
			if ((rc = mdbrc(mdb_cursor_get(vs.ncur, &k, &v, MDB_SET))) != 0)
				break;
			if (crc == 0) {
				cairn_put_be64(kb, cpsize);
				memset(kb + 8, 0, 8);
				val(&ck, kb, 16);
				crc = mdb_cursor_get(ccur, &ck, &cv, MDB_SET_RANGE);
			}
			cairn_put_be64(kb, vs.seq);
			val(&k, kb, 8);
			rc = mdb_cursor_get(ecur, &k, &v, MDB_SET_KEY);
		} else
			rc = mdb_cursor_get(ecur, &k, &v, vs.seq ? MDB_NEXT : MDB_FIRST);
		if (rc != 0 || k.mv_size != 8 || cairn_get_be64(k.mv_data) != vs.seq) {
			rc = vfail(&vs, 1, vs.seq, "entry is missing");
			break;
		}
		if (c->n == VCHUNK) {
			vput_full(vp, c);
			if ((c = vget_free(vp)) == NULL)
				goto done;
		}
		it = &c->item[c->n];
		it->seq = vs.seq;
		it->off = c->data.len;
		it->len = v.mv_size;
		it->has_root = 0;
		if (cairn_buf_add(&c->data, v.mv_data, v.mv_size) != 0) {
			rc = CAIRN_ENOMEM;
			break;
		}
		cairn_leaf_hash(v.mv_data, v.mv_size, it->leaf);
		if ((rc = cairn_frontier_push(&fr, it->leaf, checknode, &vs)) != 0)
			break;
		if (crc == 0 && cpsize == vs.seq + 1) {
			cairn_frontier_root(&fr, it->root);
			it->has_root = 1;
			while (crc == 0 && cpsize == vs.seq + 1)
				if ((crc = mdb_cursor_get(ccur, &ck, &cv, MDB_NEXT)) == 0)
					cpsize = cairn_get_be64(ck.mv_data);
		}
		vp->pr.entries++;
		vp->pr.bytes += v.mv_size;
		c->n++;
	}
	/* No stored node may exist beyond the tree's own. */
	if (rc == 0 && !vp->abort) {
		want = cairn_merkle_nodes(vp->n);
		if (mdb_cursor_get(vs.ncur, &k, &v, MDB_NEXT) == 0 &&
		    cairn_get_be64(k.mv_data) < want)
			rc = vfail(&vs, 0, 0, "unexpected Merkle node at position "
			    "%llu", (unsigned long long)cairn_get_be64(k.mv_data));
	}
	c->last = 1;
	vp->prc = rc;
	vput_full(vp, c);
	c = NULL;
done:
	if (c != NULL || vs.txn == NULL || rc != vp->prc) {
		/* Failed before handing a last chunk on: send an empty one. */
		vp->prc = rc ? rc : CAIRN_ENOMEM;
		pthread_mutex_lock(&vp->mu);
		if (c == NULL && vp->nfree > 0)
			c = vp->free[--vp->nfree];
		pthread_mutex_unlock(&vp->mu);
		if (c != NULL) {
			c->n = 0;
			c->last = 1;
			vput_full(vp, c);
		}
	}
	if (ecur != NULL)
		mdb_cursor_close(ecur);
	if (vs.ncur != NULL)
		mdb_cursor_close(vs.ncur);
	if (ccur != NULL)
		mdb_cursor_close(ccur);
	if (vs.txn != NULL)
		mdb_txn_abort(vs.txn);
	return NULL;
}

int
cairn_store_verify(cairn_store *s, const uint8_t *pubkey,
    struct cairn_verify_report *r)
{
	struct vpipe vp;
	struct vstate vs;
	struct keyset ks;
	struct cairn_frontier empty;
	struct amap am = { 0 };
	struct vchunk chunks[VQUEUE + 2], *c;
	struct vitem *it;
	pthread_t thr;
	MDB_cursor *ccur = NULL;
	MDB_val ck, cv;
	uint64_t n, count[CAIRN_NSTREAMS] = { 0 }, cpsize = 0;
	uint8_t head[CAIRN_NSTREAMS][CAIRN_HASH_LEN], last[CAIRN_HASH_LEN];
	uint8_t root[CAIRN_HASH_LEN];
	int64_t received = 0;
	int rc, crc, idx = 0, started = 0, done = 0;
	size_t i, rot = 0;

	memset(r, 0, sizeof *r);
	memset(&vs, 0, sizeof vs);
	memset(&vp, 0, sizeof vp);
	memset(head, 0, sizeof head);
	memset(last, 0, sizeof last);
	memset(&empty, 0, sizeof empty);
	memset(chunks, 0, sizeof chunks);
	vs.s = s;
	vs.r = r;
	vs.ks = &ks;
	if ((rc = rtxn(s, &vs.txn)) != 0)
		return rc;
	if ((rc = load_keys(s, vs.txn, &ks)) != 0) {
		if (rc == CAIRN_ECORRUPT)
			rc = vfail(&vs, 0, 0, "%s", s->detail);
		goto out;
	}
	/* A trusted key outside the store's keys: everything against it. */
	for (i = 0; pubkey != NULL && i < ks.n; i++)
		if (memcmp(pubkey, ks.k[i].pubkey, 32) == 0)
			break;
	if (pubkey != NULL && i == ks.n) {
		memset(&ks, 0, sizeof ks);
		memcpy(ks.k[0].pubkey, pubkey, 32);
		ks.k[0].last_size = UINT64_MAX;
		ks.n = 1;
	}
	if ((rc = count_entries(vs.txn, s->entries, &n)) != 0 ||
	    (rc = mdbrc(mdb_cursor_open(vs.txn, s->checkpoints, &ccur))) != 0)
		goto out;
	if (ks.n > 1 && ks.k[ks.n - 2].last_size > n) {
		rc = vfail(&vs, 0, 0, "the key history names a rotation at tree "
		    "size %llu, beyond the log's %llu entries",
		    (unsigned long long)ks.k[ks.n - 2].last_size,
		    (unsigned long long)n);
		goto out;
	}
	crc = mdb_cursor_get(ccur, &ck, &cv, MDB_FIRST);
	if (crc == 0)
		cpsize = cairn_get_be64(ck.mv_data);
	/* Checkpoints of the empty tree come before any entry. */
	while (crc == 0 && cpsize == 0) {
		cairn_frontier_root(&empty, root);
		if ((rc = check_checkpoint(&vs, cv.mv_data, cv.mv_size,
		    root, count, head)) != 0)
			goto out;
		if ((crc = mdb_cursor_get(ccur, &ck, &cv, MDB_NEXT)) == 0)
			cpsize = cairn_get_be64(ck.mv_data);
	}
	vp.s = s;
	vp.n = n;
	pthread_mutex_init(&vp.mu, NULL);
	pthread_cond_init(&vp.cv, NULL);
	for (i = 0; i < VQUEUE + 2; i++)
		vp.free[vp.nfree++] = &chunks[i];
	if ((rc = pthread_create(&thr, NULL, vreader, &vp)) != 0)
		goto out;
	started = 1;
	while (!done) {
		pthread_mutex_lock(&vp.mu);
		while (vp.count == 0)
			pthread_cond_wait(&vp.cv, &vp.mu);
		c = vp.q[vp.head];
		vp.head = (vp.head + 1) % (VQUEUE + 2);
		vp.count--;
		pthread_mutex_unlock(&vp.mu);
		done = c->last;
		for (i = 0; i < c->n && rc == 0; i++) {
			it = &c->item[i];
			vs.seq = it->seq;
			if ((rc = check_entry(&vs, c->data.p + it->off, it->len,
			    it->leaf, last, head, &am, &received, &idx)) != 0)
				break;
			memcpy(head[idx], it->leaf, CAIRN_HASH_LEN);
			count[idx]++;
			memcpy(last, it->leaf, CAIRN_HASH_LEN);
			r->entries++;
			r->bytes += it->len;
			/* A rotation's last entry announces the next key. */
			if (rot + 1 < ks.n && it->seq + 1 == ks.k[rot].last_size &&
			    (rc = check_rotation(&vs, c->data.p + it->off, it->len,
			    ks.k[++rot].pubkey)) != 0)
				break;
			while (it->has_root && crc == 0 && cpsize == it->seq + 1) {
				if ((rc = check_checkpoint(&vs, cv.mv_data,
				    cv.mv_size, it->root, count, head)) != 0)
					break;
				if ((crc = mdb_cursor_get(ccur, &ck, &cv,
				    MDB_NEXT)) == 0)
					cpsize = cairn_get_be64(ck.mv_data);
			}
		}
		pthread_mutex_lock(&vp.mu);
		vp.free[vp.nfree++] = c;
		if (rc != 0)
			vp.abort = 1;
		pthread_cond_broadcast(&vp.cv);
		pthread_mutex_unlock(&vp.mu);
		if (rc != 0)
			break;
		/* The reader's finding comes after every entry before it. */
		if (done && vp.pr.failed) {
			r->failed = 1;
			r->has_seq = vp.pr.has_seq;
			r->bad_seq = vp.pr.bad_seq;
			memcpy(r->what, vp.pr.what, sizeof r->what);
			rc = CAIRN_ECORRUPT;
		} else if (done && vp.prc != 0)
			rc = vp.prc;
	}
	if (rc != 0)
		goto out;
	if (crc == 0 && cpsize <= n) {
		rc = vfail(&vs, 0, 0, "checkpoint of size %llu is out of order",
		    (unsigned long long)cpsize);
		goto out;
	}
	/* What vouches for a new key: the old key's signature. */
	for (i = 0; i + 1 < ks.n; i++)
		if (!(vs.rot_seen & UINT64_C(1) << i)) {
			rc = vfail(&vs, 0, 0, "the key rotation at tree size %llu "
			    "has no checkpoint signed by both keys",
			    (unsigned long long)ks.k[i].last_size);
			goto out;
		}
	if ((rc = check_cpfile(s, vs.txn, n)) != 0)
		rc = vfail(&vs, 0, 0, "%s", s->detail);
out:
	if (started) {
		pthread_mutex_lock(&vp.mu);
		vp.abort = 1;
		pthread_cond_broadcast(&vp.cv);
		pthread_mutex_unlock(&vp.mu);
		pthread_join(thr, NULL);
		pthread_mutex_destroy(&vp.mu);
		pthread_cond_destroy(&vp.cv);
	}
	for (i = 0; i < VQUEUE + 2; i++)
		cairn_buf_free(&chunks[i].data);
	if (ccur != NULL)
		mdb_cursor_close(ccur);
	mdb_txn_abort(vs.txn);
	amap_free(&am);
	if (rc == 0 && r->failed)
		rc = CAIRN_ECORRUPT;
	return rc;
}
