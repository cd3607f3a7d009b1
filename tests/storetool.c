/*
 * storetool: what the shell tests need beyond the cairn command: a load
 * writer that reports each commit, long readers to kill, and (raw LMDB,
 * test-only) ways to damage a store the way an attacker or a bad disk would.
 * The library itself has no call that updates or deletes an entry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lmdb.h>
#include <sodium.h>

#include "cairn.h"
#include "catalog.h"
#include "rows.h"
#include "merkle.h"
#include "util.h"

static void __attribute__((noreturn))
die(const char *what, int rc)
{
	fprintf(stderr, "storetool: %s: %s\n", what,
	    rc < 0 ? cairn_strerror(rc) : strerror(rc));
	exit(1);
}

/* Makes one valid event: an account.created for one of 1000 accounts. */
static int
make_event(struct cairn_catalog *cat, const char *tag, unsigned long n,
    cairn_event **out)
{
	struct cairn_verr err;
	char buf[512];
	size_t nerr;
	int len;

	len = snprintf(buf, sizeof buf,
	    "{\"id\":\"%s-%lu\",\"type\":\"account.created\",\"account_kind\":\"personal\","
	    "\"time\":\"2026-11-29T08:00:00.%06lu+08:00\",\"account\":\"u-%lu\","
	    "\"actor\":\"system:signup\",\"clause\":\"1.1.1\","
	    "\"note\":\"load event %lu\"}", tag, n, n % 1000000, n % 1000, n);
	return cairn_event_prepare(cat, "storetool", (uint8_t *)buf, (size_t)len,
	    0, out, &err, 1, &nerr);
}

/* append DIR BATCHES SIZE: prints the tree size after each commit returns. */
static int
do_append(const char *dir, unsigned long batches, unsigned long size)
{
	struct cairn_catalog *cat;
	struct cairn_receipt *r;
	cairn_event **evs;
	cairn_store *s;
	char tag[64];
	unsigned long b, i, n = 0;
	int rc;

	snprintf(tag, sizeof tag, "t%ld-%d", (long)time(NULL), (int)getpid());
	if ((rc = cairn_catalog_default(&cat)) != 0)
		die("catalog", rc);
	if ((rc = cairn_store_open(dir, NULL, 0, &s)) != 0)
		die(cairn_store_errdetail(NULL), rc);
	evs = calloc(size, sizeof *evs);
	r = calloc(size, sizeof *r);
	for (b = 0; b < batches; b++) {
		for (i = 0; i < size; i++)
			if ((rc = make_event(cat, tag, n++, &evs[i])) != 0)
				die("event", rc);
		if ((rc = cairn_store_append(s, evs, size, r, NULL)) != 0)
			die("append", rc);
		/* Only now, after the commit returned, is the batch promised. */
		printf("%llu\n", (unsigned long long)r[0].tree_size);
		fflush(stdout);
		for (i = 0; i < size; i++)
			cairn_event_free(evs[i]);
	}
	free(evs);
	free(r);
	cairn_store_close(s);
	cairn_catalog_free(cat);
	return 0;
}

/* hold DIR SECONDS: keeps the writer lock. */
static int
do_hold(const char *dir, unsigned secs)
{
	cairn_store *s;
	int rc;

	if ((rc = cairn_store_open(dir, NULL, 0, &s)) != 0)
		die(cairn_store_errdetail(NULL), rc);
	printf("holding\n");
	fflush(stdout);
	sleep(secs);
	cairn_store_close(s);
	return 0;
}

/* scan DIR: a slow reader that holds its read transaction. */
static int
do_scan(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 8)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn)) != 0)
		die("scan", rc);
	printf("scanning\n");
	fflush(stdout);
	for (;;)
		sleep(1);
}

/*
 * slowsearch DIR MS: a slow `cairn search` over every stream (the same
 * merge of per-stream iterators), one entry every MS milliseconds, then
 * waiting at the end; until killed.  Its iterators renew their snapshots
 * as they go and the merge refreshes the waiting ones.
 */
static int
do_slowsearch(const char *dir, unsigned ms)
{
	const struct cairn_entry *e;
	struct cairn_merge m;
	cairn_store *s;
	int rc;

	if ((rc = cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s)) != 0 ||
	    (rc = cairn_merge_open(&m, s, NULL, 0, INT64_MAX)) != 0)
		die("slowsearch", rc);
	printf("scanning\n");
	fflush(stdout);
	for (;;) {
		rc = cairn_merge_next(&m, &e);
		if (rc != 0 && rc != CAIRN_ENOTFOUND)
			die("slowsearch", rc);
		usleep(ms * 1000);
	}
}

/* readers DIR: clears stale reader slots; prints what is left. */
static int
do_readers(const char *dir)
{
	MDB_env *env;
	MDB_envinfo info;
	int rc, dead = 0;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 8)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0)
		die("readers", rc);
	if ((rc = mdb_env_info(env, &info)) != 0)
		die("info", rc);
	printf("slots_before=%u\n", info.me_numreaders);
	if ((rc = mdb_reader_check(env, &dead)) != 0)
		die("reader_check", rc);
	printf("stale_cleared=%d\n", dead);
	if ((rc = mdb_reader_check(env, &dead)) != 0)
		die("reader_check", rc);
	printf("stale_left=%d\n", dead);
	mdb_env_close(env);
	return 0;
}

/* Prints one reader-table line (mdb_reader_list's callback). */
static int
print_slot(const char *line, void *ctx)
{
	(void)ctx;
	return fputs(line, stdout) < 0 ? -1 : 0;
}

/* pages DIR: the last page in use (how far the file has grown), then the
 * reader table, "pid thread txnid" ("-": idle), without clearing it. */
static int
do_pages(const char *dir)
{
	MDB_env *env;
	MDB_envinfo info;
	int rc;

	if ((rc = mdb_env_create(&env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(env, 8)) != 0 ||
	    (rc = mdb_env_open(env, dir, MDB_RDONLY | MDB_NOTLS, 0600)) != 0)
		die("pages", rc);
	if ((rc = mdb_env_info(env, &info)) != 0)
		die("info", rc);
	printf("last_pgno=%zu\n", info.me_last_pgno);
	if (mdb_reader_list(env, print_slot, NULL) < 0)
		die("reader_list", EIO);
	mdb_env_close(env);
	return 0;
}

static void
raw_open(const char *dir, MDB_env **env, MDB_txn **txn, MDB_dbi *dbi,
    const char *name)
{
	int rc;

	if ((rc = mdb_env_create(env)) != 0 ||
	    (rc = mdb_env_set_maxdbs(*env, 8)) != 0 ||
	    (rc = mdb_env_set_mapsize(*env, 1ULL << 30)) != 0 ||
	    (rc = mdb_env_open(*env, dir, MDB_NOTLS, 0600)) != 0 ||
	    (rc = mdb_txn_begin(*env, NULL, 0, txn)) != 0 ||
	    (rc = mdb_dbi_open(*txn, name, 0, dbi)) != 0)
		die("raw open", rc);
}

/* flip DIR SEQ: flips one bit in the middle of entry SEQ (raw LMDB). */
static int
do_flip(const char *dir, uint64_t seq)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v, nv;
	uint8_t kb[8], *copy;
	int rc;

	raw_open(dir, &env, &txn, &dbi, "entries");
	cairn_put_be64(kb, seq);
	k.mv_data = kb;
	k.mv_size = 8;
	if ((rc = mdb_get(txn, dbi, &k, &v)) != 0)
		die("no such entry", rc);
	copy = malloc(v.mv_size);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size / 2] ^= 0x01;
	nv.mv_data = copy;
	nv.mv_size = v.mv_size;
	if ((rc = mdb_put(txn, dbi, &k, &nv, 0)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		die("flip", rc);
	free(copy);
	mdb_env_close(env);
	return 0;
}

/* unindex DIR ACCOUNT SEQ: deletes entry SEQ from ACCOUNT's index, as if
 * the entry had been removed from the account's history (raw LMDB): from
 * by_account, or from account_log where the newest entries' accounts are. */
static int
do_unindex(const char *dir, const char *account, uint64_t seq)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi, log;
	MDB_val k, v;
	uint8_t kb[512], sb[8];
	size_t n = strlen(account);
	int rc;

	if (n > 400)
		die("account too long", EINVAL);
	raw_open(dir, &env, &txn, &dbi, "by_account");
	memcpy(kb, account, n);
	kb[n] = 0;
	cairn_put_be64(kb + n + 1, seq);
	k.mv_data = kb;
	k.mv_size = n + 9;
	rc = mdb_del(txn, dbi, &k, NULL);
	if (rc == MDB_NOTFOUND) {
		cairn_put_be64(sb, seq);
		k.mv_data = sb;
		k.mv_size = 8;
		if ((rc = mdb_dbi_open(txn, "account_log", 0, &log)) == 0 &&
		    (rc = mdb_get(txn, log, &k, &v)) == 0 &&
		    (v.mv_size != n + 1 || memcmp(v.mv_data, kb, n + 1) != 0))
			rc = MDB_NOTFOUND;	/* another account's entry */
		if (rc == 0)
			rc = mdb_del(txn, log, &k, NULL);
	}
	if (rc != 0 || (rc = mdb_txn_commit(txn)) != 0)
		die("unindex", rc);
	mdb_env_close(env);
	return 0;
}

/* truncate DIR K: deletes entries K.. and their nodes (raw LMDB). */
static int
do_truncate(const char *dir, uint64_t keep)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi e, nd;
	MDB_cursor *c;
	MDB_val k, v;
	uint8_t kb[8];
	int rc;

	raw_open(dir, &env, &txn, &e, "entries");
	if ((rc = mdb_dbi_open(txn, "nodes", 0, &nd)) != 0)
		die("nodes", rc);
	cairn_put_be64(kb, keep);
	k.mv_data = kb;
	k.mv_size = 8;
	if ((rc = mdb_cursor_open(txn, e, &c)) != 0)
		die("cursor", rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			die("del", rc);
	mdb_cursor_close(c);
	cairn_put_be64(kb, cairn_merkle_nodes(keep));
	k.mv_data = kb;
	k.mv_size = 8;
	if ((rc = mdb_cursor_open(txn, nd, &c)) != 0)
		die("cursor", rc);
	for (rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE); rc == 0;
	    rc = mdb_cursor_get(c, &k, &v, MDB_NEXT))
		if ((rc = mdb_cursor_del(c, 0)) != 0)
			die("del", rc);
	mdb_cursor_close(c);
	if ((rc = mdb_txn_commit(txn)) != 0)
		die("commit", rc);
	mdb_env_close(env);
	return 0;
}

/* cpalter DIR: changes one digit of the newest stored checkpoint's root line. */
static int
do_cpalter(const char *dir)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_cursor *c;
	MDB_val k, v, nv;
	uint8_t *copy;
	char *nl;
	int rc;

	raw_open(dir, &env, &txn, &dbi, "checkpoints");
	if ((rc = mdb_cursor_open(txn, dbi, &c)) != 0 ||
	    (rc = mdb_cursor_get(c, &k, &v, MDB_LAST)) != 0)
		die("no checkpoint", rc);
	copy = malloc(v.mv_size + 1);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size] = 0;
	/* The second line is the tree size: make it claim one entry more. */
	nl = strchr((char *)copy, '\n');
	if (nl == NULL)
		die("checkpoint format", EINVAL);
	nl[1] = nl[1] == '9' ? '8' : (char)(nl[1] + 1);
	nv.mv_data = copy;
	nv.mv_size = v.mv_size;
	if ((rc = mdb_cursor_put(c, &k, &nv, MDB_CURRENT)) != 0 ||
	    (rc = mdb_txn_commit(txn)) != 0)
		die("alter", rc);
	free(copy);
	mdb_env_close(env);
	return 0;
}

/* snapshots DIR SECONDS: reads consistent snapshots while a writer runs:
 * in each, the tree of the snapshot's size must match its stored nodes. */
static int
do_snapshots(const char *dir, unsigned secs)
{
	cairn_store *s;
	cairn_iter *it;
	struct cairn_entry e;
	uint64_t size;
	uint8_t root[CAIRN_HASH_LEN];
	time_t end = time(NULL) + secs;
	unsigned long rounds = 0, entries = 0;
	int rc;

	if ((rc = cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s)) != 0)
		die("open", rc);
	while (time(NULL) < end) {
		if ((rc = cairn_store_size(s, &size)) != 0 ||
		    (rc = cairn_store_root(s, size, root)) != 0)
			die("snapshot", rc);
		if ((rc = cairn_iter_range(s, 0, size, &it)) != 0)
			die("iter", rc);
		while ((rc = cairn_iter_next(it, &e)) == 0) {
			if (!e.intact)
				die("entry does not match its leaf hash", CAIRN_ECORRUPT);
			entries++;
		}
		if (rc != CAIRN_ENOTFOUND || e.seq + 1 != size)
			if (size != 0)
				die("snapshot ended early", rc);
		cairn_iter_free(it);
		rounds++;
	}
	cairn_store_close(s);
	printf("rounds=%lu entries=%lu\n", rounds, entries);
	return 0;
}

int
main(int argc, char **argv)
{
	if (sodium_init() < 0)
		return 1;
	if (argc == 5 && strcmp(argv[1], "append") == 0)
		return do_append(argv[2], strtoul(argv[3], NULL, 10),
		    strtoul(argv[4], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "hold") == 0)
		return do_hold(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "scan") == 0)
		return do_scan(argv[2]);
	if (argc == 4 && strcmp(argv[1], "slowsearch") == 0)
		return do_slowsearch(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 3 && strcmp(argv[1], "readers") == 0)
		return do_readers(argv[2]);
	if (argc == 3 && strcmp(argv[1], "pages") == 0)
		return do_pages(argv[2]);
	if (argc == 4 && strcmp(argv[1], "flip") == 0)
		return do_flip(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "unindex") == 0)
		return do_unindex(argv[2], argv[3], strtoull(argv[4], NULL, 10));
	if (argc == 4 && strcmp(argv[1], "truncate") == 0)
		return do_truncate(argv[2], strtoull(argv[3], NULL, 10));
	if (argc == 3 && strcmp(argv[1], "cpalter") == 0)
		return do_cpalter(argv[2]);
	if (argc == 4 && strcmp(argv[1], "snapshots") == 0)
		return do_snapshots(argv[2], (unsigned)atoi(argv[3]));
	fprintf(stderr, "usage: storetool append DIR BATCHES SIZE | hold DIR SECS |"
	    " scan DIR | slowsearch DIR MS | readers DIR | pages DIR |"
	    " flip DIR SEQ | truncate DIR KEEP |"
	    " cpalter DIR | snapshots DIR SECS\n");
	return 2;
}
