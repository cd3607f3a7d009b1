/*
 * test_rows.c: what queries rely on (rows.h): the fields of an entry, the
 * filters, the account chain check (an altered entry, a missing one, a
 * foreign one), the JSON of an entry, and the offline check of proofs:
 * valid ones accepted, altered ones refused (RFC 9162 sections 2.1.3 and
 * 2.1.4).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>
#include <lmdb.h>
#include <sodium.h>

#include "cairn.h"
#include "catalog.h"
#include "cjson.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "rows.h"
#include "util.h"
#include "checkutil.h"

static char dir[256];
static struct cairn_catalog *cat;
static struct cairn_seckey *sk;
static cairn_store *st;

static void
setup(void)
{
	struct cairn_pubkey pk;

	scratch_make("rows");
	snprintf(dir, sizeof dir, "%s/store", scratch_dir);
	ck_assert_int_eq(cairn_catalog_default(&cat), 0);
	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	cairn_seckey_public(sk, &pk);
	ck_assert_int_eq(cairn_store_create(dir, "test.example/rows", pk.pk,
	    NULL), 0);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &st), 0);
}

static void
teardown(void)
{
	cairn_store_close(st);
	cairn_seckey_free(sk);
	cairn_catalog_free(cat);
	scratch_remove();
}

/* Appends one event about account; returns its seq. */
static uint64_t
add(const char *id, const char *type, const char *account, const char *extra)
{
	struct cairn_verr err;
	struct cairn_receipt r;
	cairn_event *e;
	char buf[512];
	size_t nerr;
	int n;

	n = snprintf(buf, sizeof buf, "{\"id\":\"%s\",\"type\":\"%s\","
	    "\"time\":\"2026-11-29T10:00:00+08:00\",\"account\":\"%s\"%s}", id,
	    type, account, extra);
	ck_assert_int_eq(cairn_event_prepare(cat, "src", (uint8_t *)buf,
	    (size_t)n, 0, &e, &err, 1, &nerr), 0);
	ck_assert_int_eq(cairn_store_append(st, &e, 1, &r, NULL), 0);
	cairn_event_free(e);
	return r.seq;
}

static void
fill(void)
{
	add("a", "account.created", "u-1", ",\"account_kind\":\"personal\"");
	add("b", "account.created", "u-2", ",\"account_kind\":\"personal\"");
	add("c", "account.suspended", "u-1", ",\"reason\":\"arrears\","
	    "\"clause\":\"1.4\"");
	add("d", "realname.check", "u-1", ",\"outcome\":\"pass\","
	    "\"subject\":\"individual\",\"method\":[\"mobile_sms\"],"
	    "\"trigger\":\"registration\"");
}

START_TEST(test_row_parse)
{
	struct cairn_buf b = { 0 };
	struct cairn_entry e;
	struct cairn_row r;

	fill();
	ck_assert_int_eq(cairn_store_get(st, 2, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert_uint_eq(r.seq, 2);
	ck_assert(cairn_span_eq(&r.type, "account.suspended"));
	ck_assert(cairn_span_eq(&r.account, "u-1"));
	ck_assert(cairn_span_eq(&r.stream, "account"));
	ck_assert(cairn_span_eq(&r.clause, "1.4"));
	ck_assert(cairn_span_eq(&r.source, "src"));
	ck_assert(cairn_span_eq(&r.time, "2026-11-29T02:00:00.000000Z"));
	ck_assert_ptr_null(r.outcome.p);
	ck_assert_int_gt(r.received_us, 0);
	ck_assert_int_eq(cairn_store_get(st, 3, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert(cairn_span_eq(&r.outcome, "pass"));
	/* Damaged bytes are refused, not misread. */
	ck_assert_int_eq(cairn_row_parse((const uint8_t *)"{\"event\":", 9, &r),
	    CAIRN_EJSON);
	ck_assert_int_eq(cairn_row_parse((const uint8_t *)"[]", 2, &r),
	    CAIRN_EJSON);
	ck_assert_int_eq(cairn_row_parse((const uint8_t *)"{\"event\":{},"
	    "\"received\":\"x\",\"seq\":1,\"stream\":\"a\"}", 51, &r),
	    CAIRN_EJSON);
	cairn_buf_free(&b);
}
END_TEST

/* A parsed row as bytes (cairnd's history frames) and back. */
START_TEST(test_row_spans)
{
	struct cairn_buf b = { 0 };
	struct cairn_entry e;
	struct cairn_row r, r2;
	uint8_t sp[CAIRN_ROW_SPANS_LEN];

	fill();
	ck_assert_int_eq(cairn_store_get(st, 3, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	cairn_row_spans_put(sp, &r, e.data);
	ck_assert_int_eq(cairn_row_spans_get(sp, e.data, e.len, &r2), 0);
	ck_assert_mem_eq(&r, &r2, sizeof r);
	ck_assert(cairn_span_eq(&r2.outcome, "pass"));
	/* An absent span stays absent. */
	ck_assert_int_eq(cairn_store_get(st, 2, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert_ptr_null(r.outcome.p);
	cairn_row_spans_put(sp, &r, e.data);
	ck_assert_int_eq(cairn_row_spans_get(sp, e.data, e.len, &r2), 0);
	ck_assert_ptr_null(r2.outcome.p);
	ck_assert(cairn_span_eq(&r2.type, "account.suspended"));
	ck_assert_int_eq(r2.received_us, r.received_us);
	/* A span past the entry's end is refused, and leaves no row. */
	ck_assert_int_eq(cairn_row_spans_get(sp, e.data, 20, &r2),
	    CAIRN_EINVAL);
	ck_assert_ptr_null(r2.type.p);
	sp[8 * 9] ^= 0x80;	/* type's offset, its top byte */
	ck_assert_int_eq(cairn_row_spans_get(sp, e.data, e.len, &r2),
	    CAIRN_EINVAL);
	cairn_buf_free(&b);
}
END_TEST

START_TEST(test_filter)
{
	struct cairn_buf b = { 0 };
	struct cairn_entry e;
	struct cairn_row r;
	struct cairn_filter f;
	struct cairn_span s = { "a\\\"b", 4 };

	fill();
	ck_assert_int_eq(cairn_store_get(st, 2, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	cairn_filter_init(&f);
	ck_assert(cairn_row_match(&r, &f));
	f.type = "account.suspended";
	ck_assert(cairn_row_match(&r, &f));
	f.type = "account.created";
	ck_assert(!cairn_row_match(&r, &f));
	cairn_filter_init(&f);
	f.stream = "realname";
	ck_assert(!cairn_row_match(&r, &f));
	cairn_filter_init(&f);
	f.name[0] = "reason";
	f.value[0] = "arrears";
	f.nfields = 1;
	ck_assert(cairn_row_match(&r, &f));
	f.value[0] = "arrear";
	ck_assert(!cairn_row_match(&r, &f));
	f.name[0] = "nosuch";
	ck_assert(!cairn_row_match(&r, &f));
	cairn_filter_init(&f);
	f.until = r.received_us;	/* [since, until): excluded */
	ck_assert(!cairn_row_match(&r, &f));
	f.until = r.received_us + 1;
	ck_assert(cairn_row_match(&r, &f));
	/* Escaped strings compare by their text. */
	ck_assert(cairn_span_eq(&s, "a\"b"));
	ck_assert(!cairn_span_eq(&s, "a\\\"b"));
	ck_assert_int_eq(cairn_query_time("2026-11-29", &f.since), 0);
	ck_assert_int_eq(cairn_query_time("2026-11-29T00:00:00Z", &f.until), 0);
	ck_assert_int_eq(f.since, f.until);
	ck_assert_int_ne(cairn_query_time("yesterday", &f.since), 0);
	cairn_buf_free(&b);
}
END_TEST

/* Runs the chain check over an account's entries as stored. */
static void
chain(const char *account, int *checks, size_t max, size_t *n)
{
	struct cairn_chain c;
	struct cairn_entry e;
	struct cairn_row r;
	cairn_iter *it;
	int parsed;

	*n = 0;
	cairn_chain_init(&c);
	ck_assert_int_eq(cairn_iter_account(st, account, &it), 0);
	while (cairn_iter_next(it, &e) == 0) {
		ck_assert_uint_lt(*n, max);
		parsed = cairn_row_parse(e.data, e.len, &r) == 0;
		checks[(*n)++] = cairn_chain_step(&c, account, &e, &r, parsed);
	}
	cairn_iter_free(it);
}

START_TEST(test_chain)
{
	struct cairn_chain c;
	struct cairn_entry e;
	struct cairn_row r;
	struct cairn_buf b = { 0 };
	int checks[8];
	size_t n;

	fill();
	chain("u-1", checks, 8, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(checks[0], CAIRN_ROW_OK);
	ck_assert_int_eq(checks[1], CAIRN_ROW_OK);
	ck_assert_int_eq(checks[2], CAIRN_ROW_OK);
	/* Skipping entry 2 of u-1 (seq 2): the next one shows the gap. */
	cairn_chain_init(&c);
	ck_assert_int_eq(cairn_store_get(st, 0, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert_int_eq(cairn_chain_step(&c, "u-1", &e, &r, 1), CAIRN_ROW_OK);
	ck_assert_int_eq(cairn_store_get(st, 3, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert_int_eq(cairn_chain_step(&c, "u-1", &e, &r, 1), CAIRN_ROW_GAP);
	ck_assert_uint_eq(c.bad, 1);
	/* Starting past the account's first entry is a gap too. */
	cairn_chain_init(&c);
	ck_assert_int_eq(cairn_chain_step(&c, "u-1", &e, &r, 1), CAIRN_ROW_GAP);
	/* Another account's entry is foreign. */
	cairn_chain_init(&c);
	ck_assert_int_eq(cairn_store_get(st, 1, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert_int_eq(cairn_chain_step(&c, "u-1", &e, &r, 1),
	    CAIRN_ROW_FOREIGN);
	/* An altered entry (hash mismatch) is reported; the chain goes on
	 * from its stored hash, so the next entry is not blamed. */
	cairn_chain_init(&c);
	ck_assert_int_eq(cairn_store_get(st, 0, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	e.intact = 0;
	e.leaf[0] ^= 1;
	ck_assert_int_eq(cairn_chain_step(&c, "u-1", &e, &r, 1),
	    CAIRN_ROW_ALTERED);
	ck_assert_int_eq(cairn_store_get(st, 2, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert_int_eq(cairn_chain_step(&c, "u-1", &e, &r, 1), CAIRN_ROW_OK);
	ck_assert_str_eq(cairn_row_check_name(CAIRN_ROW_GAP), "gap");
	cairn_buf_free(&b);
}
END_TEST

/* Flips one bit in the middle of entry seq behind the store's back (raw
 * LMDB, the store closed meanwhile). */
static void
flip(uint64_t seq)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v, nv;
	uint8_t kb[8], copy[1024];

	cairn_store_close(st);
	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 8), 0);
	ck_assert_int_eq(mdb_env_set_mapsize(env, 1ULL << 30), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "entries", 0, &dbi), 0);
	cairn_put_be64(kb, seq);
	k.mv_data = kb;
	k.mv_size = 8;
	ck_assert_int_eq(mdb_get(txn, dbi, &k, &v), 0);
	ck_assert_uint_le(v.mv_size, sizeof copy);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size / 2] ^= 0x01;
	nv.mv_data = copy;
	nv.mv_size = v.mv_size;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &nv, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &st), 0);
}

/* Rewrites entry seq's account_prev to the hex of link (raw LMDB): an
 * attacker's forged link to an altered entry. */
static void
relink(uint64_t seq, const uint8_t link[CAIRN_HASH_LEN])
{
	static const char key[] = "\"account_prev\":\"";
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v, nv;
	uint8_t kb[8], copy[1024];
	char hex[CAIRN_HEX_LEN + 1], *p;

	cairn_store_close(st);
	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 8), 0);
	ck_assert_int_eq(mdb_env_set_mapsize(env, 1ULL << 30), 0);
	ck_assert_int_eq(mdb_env_open(env, dir, MDB_NOTLS, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, "entries", 0, &dbi), 0);
	cairn_put_be64(kb, seq);
	k.mv_data = kb;
	k.mv_size = 8;
	ck_assert_int_eq(mdb_get(txn, dbi, &k, &v), 0);
	ck_assert_uint_lt(v.mv_size, sizeof copy);
	memcpy(copy, v.mv_data, v.mv_size);
	copy[v.mv_size] = '\0';
	ck_assert_ptr_nonnull(p = strstr((char *)copy, key));
	cairn_hex(link, CAIRN_HASH_LEN, hex);
	memcpy(p + strlen(key), hex, CAIRN_HEX_LEN);
	nv.mv_data = copy;
	nv.mv_size = v.mv_size;
	ck_assert_int_eq(mdb_put(txn, dbi, &k, &nv, 0), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &st), 0);
}

/* cairn_hist over an account: each check, the seqs, and the chain's count
 * of problems; after NULL or the entry to resume after. */
static uint64_t
hist(const char *account, const uint64_t *after, int *checks, uint64_t *seqs,
    size_t max, size_t *n)
{
	const struct cairn_entry *e;
	const struct cairn_row *r;
	struct cairn_hist h;
	uint64_t bad;
	int parsed, check, rc;

	*n = 0;
	ck_assert_int_eq(cairn_hist_open(&h, st, account, after), 0);
	while ((rc = cairn_hist_next(&h, &e, &r, &parsed, &check)) == 0) {
		ck_assert_uint_lt(*n, max);
		/* What is given out says what the check says. */
		ck_assert_int_eq(e->intact, check != CAIRN_ROW_ALTERED);
		ck_assert_int_eq(memcmp(e->leaf, e->stored, CAIRN_HASH_LEN) == 0,
		    check != CAIRN_ROW_ALTERED);
		checks[*n] = check;
		seqs[(*n)++] = e->seq;
	}
	ck_assert_int_eq(rc, CAIRN_ENOTFOUND);
	ck_assert_int_eq(cairn_hist_next(&h, &e, &r, &parsed, &check),
	    CAIRN_ENOTFOUND);
	/* Resuming, the chain counts the entry it resumes at. */
	ck_assert_uint_eq(h.ch.n, *n + (after != NULL));
	if (*n > 0)
		ck_assert_uint_eq(h.ch.last_seq, seqs[*n - 1]);
	if (*n > 0 && after == NULL)
		ck_assert_uint_eq(h.first_seq, seqs[0]);
	bad = h.ch.bad;
	cairn_hist_close(&h);
	return bad;
}

/* The lazy chain (cairn_hist): the stored leaf is read only where the
 * chain cannot vouch, and an altered entry is still named, in the middle
 * (by the next entry's link), first, or last (by its stored leaf). */
START_TEST(test_hist)
{
	const struct cairn_entry *e;
	const struct cairn_row *r;
	struct cairn_hist h;
	uint64_t seqs[8], u1[5], after;
	int checks[8], parsed, check, i;
	size_t n;
	char id[8];

	for (i = 0; i < 5; i++) {
		snprintf(id, sizeof id, "a%d", i);
		u1[i] = add(id, "account.created", "u-1",
		    ",\"account_kind\":\"personal\"");
		snprintf(id, sizeof id, "b%d", i);
		add(id, "account.created", "u-2", ",\"account_kind\":\"personal\"");
	}
	ck_assert_uint_eq(hist("u-1", NULL, checks, seqs, 8, &n), 0);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i < 5; i++) {
		ck_assert_int_eq(checks[i], CAIRN_ROW_OK);
		ck_assert_uint_eq(seqs[i], u1[i]);
	}
	ck_assert_uint_eq(hist("nobody", NULL, checks, seqs, 8, &n), 0);
	ck_assert_uint_eq(n, 0);
	/* Resuming after an entry; not after another account's. */
	ck_assert_uint_eq(hist("u-1", &u1[2], checks, seqs, 8, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(seqs[0], u1[3]);
	ck_assert_int_eq(checks[0], CAIRN_ROW_OK);
	after = u1[2] + 1;	/* u-2's */
	ck_assert_int_eq(cairn_hist_open(&h, st, "u-1", &after),
	    CAIRN_ENOTFOUND);

	/* Altered in the middle: that entry, not the next. */
	flip(u1[2]);
	ck_assert_uint_eq(hist("u-1", NULL, checks, seqs, 8, &n), 1);
	ck_assert_uint_eq(n, 5);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(checks[i], i == 2 ? CAIRN_ROW_ALTERED :
		    CAIRN_ROW_OK);
	/* Resuming after it: the chain goes on from its stored leaf. */
	ck_assert_uint_eq(hist("u-1", &u1[2], checks, seqs, 8, &n), 0);
	/* Altered last: its stored leaf says so. */
	flip(u1[4]);
	ck_assert_uint_eq(hist("u-1", NULL, checks, seqs, 8, &n), 2);
	ck_assert_int_eq(checks[3], CAIRN_ROW_OK);
	ck_assert_int_eq(checks[4], CAIRN_ROW_ALTERED);
	/* Altered first. */
	flip(u1[0]);
	ck_assert_uint_eq(hist("u-1", NULL, checks, seqs, 8, &n), 3);
	ck_assert_int_eq(checks[0], CAIRN_ROW_ALTERED);
	ck_assert_int_eq(checks[1], CAIRN_ROW_OK);

	/* Stopping early: confirm compares the stored leaf of the entry
	 * given out last; an intact one stays ok, an altered one is not
	 * counted twice. */
	ck_assert_int_eq(cairn_hist_open(&h, st, "u-1", NULL), 0);
	ck_assert_int_eq(cairn_hist_confirm(&h, &check), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_hist_next(&h, &e, &r, &parsed, &check), 0);
	ck_assert_int_eq(check, CAIRN_ROW_ALTERED);
	ck_assert_int_eq(cairn_hist_confirm(&h, &check), 0);
	ck_assert_int_eq(check, CAIRN_ROW_ALTERED);
	ck_assert_uint_eq(h.ch.bad, 1);
	ck_assert_int_eq(cairn_hist_next(&h, &e, &r, &parsed, &check), 0);
	ck_assert_int_eq(check, CAIRN_ROW_OK);
	ck_assert_int_eq(cairn_hist_confirm(&h, &check), 0);
	ck_assert_int_eq(check, CAIRN_ROW_OK);
	ck_assert_int_eq(e->intact, 1);
	ck_assert_uint_eq(h.ch.bad, 1);
	cairn_hist_close(&h);

	/* An entry altered together with the next one's link: the chain
	 * vouches for it as far as the forged next entry, which is caught by
	 * its stored leaf at the end; stopping at the altered one, confirm
	 * catches it. */
	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof id, "c%d", i);
		u1[i] = add(id, "account.created", "u-3",
		    ",\"account_kind\":\"personal\"");
	}
	flip(u1[1]);
	{
		struct cairn_buf b = { 0 };
		struct cairn_entry x;

		ck_assert_int_eq(cairn_store_get(st, u1[1], &b, &x),
		    CAIRN_ECORRUPT);
		relink(u1[2], x.leaf);
		cairn_buf_free(&b);
	}
	ck_assert_uint_eq(hist("u-3", NULL, checks, seqs, 8, &n), 1);
	ck_assert_int_eq(checks[2], CAIRN_ROW_ALTERED);
	ck_assert_int_eq(cairn_hist_open(&h, st, "u-3", NULL), 0);
	ck_assert_int_eq(cairn_hist_next(&h, &e, &r, &parsed, &check), 0);
	ck_assert_int_eq(cairn_hist_next(&h, &e, &r, &parsed, &check), 0);
	ck_assert_uint_eq(e->seq, u1[1]);
	ck_assert_int_eq(cairn_hist_confirm(&h, &check), 0);
	ck_assert_int_eq(check, CAIRN_ROW_ALTERED);
	ck_assert_int_eq(e->intact, 0);
	ck_assert_uint_eq(h.ch.bad, 1);
	cairn_hist_close(&h);
}
END_TEST

/* The JSON line of entry seq with its proof against the current tree. */
static void
proved_line(uint64_t seq, uint64_t size, struct cairn_buf *line)
{
	uint8_t path[CAIRN_MAX_PROOF][CAIRN_HASH_LEN], root[CAIRN_HASH_LEN];
	struct cairn_buf b = { 0 }, p = { 0 };
	struct cairn_entry e;
	struct cairn_row r;
	size_t n;

	ck_assert_int_eq(cairn_store_get(st, seq, &b, &e), 0);
	ck_assert_int_eq(cairn_row_parse(e.data, e.len, &r), 0);
	ck_assert_int_eq(cairn_store_inclusion(st, seq, size, path, &n), 0);
	ck_assert_int_eq(cairn_store_root(st, size, root), 0);
	ck_assert_int_eq(cairn_proof_inclusion_json(&p, seq, size, e.leaf, root,
	    (const uint8_t (*)[CAIRN_HASH_LEN])path, n), 0);
	line->len = 0;
	ck_assert_int_eq(cairn_row_json(line, &e, &r, CAIRN_ROW_OK,
	    (char *)p.p), 0);
	cairn_buf_free(&b);
	cairn_buf_free(&p);
}

/* Verifies one line; returns the code, the kind into *kind. */
static int
verify(const struct cairn_buf *line, const struct cairn_checkpoint *cp,
    int *kind)
{
	json_t *doc;
	const char *note;
	char why[256];
	size_t nl;
	uint64_t seq;
	int rc;

	rc = cairn_proofline_verify(line->p, line->len, cp, kind, &seq, &doc,
	    &note, &nl, why, sizeof why);
	json_decref(doc);
	return rc;
}

/* Replaces the first occurrence of from by to in b (same length). */
static void
patch(struct cairn_buf *b, const char *from, const char *to)
{
	char *p = strstr((char *)b->p, from);

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(strlen(from), strlen(to));
	memcpy(p, to, strlen(to));
}

START_TEST(test_proofs)
{
	uint8_t path[CAIRN_MAX_PROOF][CAIRN_HASH_LEN];
	uint8_t r1[CAIRN_HASH_LEN];
	struct cairn_checkpoint cp;
	struct cairn_buf line = { 0 }, bad = { 0 };
	json_t *j;
	size_t n;
	int kind;

	fill();
	add("e", "account.created", "u-3", ",\"account_kind\":\"personal\"");
	memset(&cp, 0, sizeof cp);
	cp.size = 5;
	ck_assert_int_eq(cairn_store_root(st, 5, cp.root), 0);
	proved_line(2, 5, &line);
	ck_assert_int_eq(verify(&line, &cp, &kind), 0);
	ck_assert_int_eq(kind, CAIRN_LINE_ENTRY);
	/* The line's JSON is what rows.h documents, keys in that order. */
	{
		static const char *const want[] = { "check", "entry", "leaf",
		    "proof", "received", "seq", "stream", "type" };
		const char *k;
		json_t *v;
		size_t i = 0;

		ck_assert_int_eq(cairn_json_parse(line.p, line.len, &j, NULL, 0),
		    0);
		json_object_foreach(j, k, v) {
			ck_assert_uint_lt(i, 8);
			ck_assert_str_eq(k, want[i++]);
		}
		ck_assert_uint_eq(i, 8);
		json_decref(j);
	}
	/* An altered entry. */
	bad.len = 0;
	cairn_buf_add(&bad, line.p, line.len);
	patch(&bad, "arrears", "arrearz");
	ck_assert_int_eq(verify(&bad, &cp, &kind), CAIRN_EPROOF);
	/* An altered path hash. */
	bad.len = 0;
	cairn_buf_add(&bad, line.p, line.len);
	{
		char *p = strstr((char *)bad.p, "\"path\":[\"") + 9;

		*p = *p == '0' ? '1' : '0';
	}
	ck_assert_int_eq(verify(&bad, &cp, &kind), CAIRN_EPROOF);
	/* Another checkpoint (size or root). */
	cp.size = 4;
	ck_assert_int_eq(verify(&line, &cp, &kind), CAIRN_EPROOF);
	cp.size = 5;
	cp.root[0] ^= 1;
	ck_assert_int_eq(verify(&line, &cp, &kind), CAIRN_EPROOF);
	cp.root[0] ^= 1;
	/* Malformed. */
	bad.len = 0;
	cairn_buf_adds(&bad, "{\"seq\":1,\"entry\":{},\"leaf\":\"zz\"}");
	ck_assert_int_eq(verify(&bad, &cp, &kind), CAIRN_EFORMAT);
	bad.len = 0;
	cairn_buf_adds(&bad, "not json");
	ck_assert_int_eq(verify(&bad, &cp, &kind), CAIRN_EFORMAT);
	/* An entry line without a proof is classified, not failed. */
	bad.len = 0;
	cairn_buf_add(&bad, line.p, line.len);
	j = json_loadb((char *)bad.p, bad.len, 0, NULL);
	ck_assert_ptr_nonnull(j);
	json_object_set_new(j, "proof", json_null());
	bad.len = 0;
	{
		char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

		cairn_buf_adds(&bad, s);
		free(s);
	}
	json_decref(j);
	ck_assert_int_eq(verify(&bad, &cp, &kind), 0);
	ck_assert_int_eq(kind, CAIRN_LINE_UNPROVEN);
	/* A bare consistency proof: valid, then altered. */
	ck_assert_int_eq(cairn_store_consistency(st, 2, 5, path, &n), 0);
	ck_assert_int_eq(cairn_store_root(st, 2, r1), 0);
	bad.len = 0;
	ck_assert_int_eq(cairn_proof_consistency_json(&bad, 2, 5, r1, cp.root,
	    (const uint8_t (*)[CAIRN_HASH_LEN])path, n), 0);
	ck_assert_int_eq(verify(&bad, &cp, &kind), 0);
	ck_assert_int_eq(kind, CAIRN_LINE_CONSISTENCY);
	{
		char *p = strstr((char *)bad.p, "\"old_root\":\"") + 12;

		*p = *p == '0' ? '1' : '0';
	}
	ck_assert_int_eq(verify(&bad, &cp, &kind), CAIRN_EPROOF);
	cairn_buf_free(&line);
	cairn_buf_free(&bad);
}
END_TEST

/* Several streams merged in seq order; resuming after an entry. */
START_TEST(test_merge)
{
	const struct cairn_entry *e;
	struct cairn_merge m;
	struct cairn_row r;
	uint64_t seqs[8], n = 0, last = 0;
	int64_t recv = 0;

	fill();
	ck_assert_int_eq(cairn_merge_open(&m, st, NULL, INT64_MIN, INT64_MAX), 0);
	while (cairn_merge_next(&m, &e) == 0) {
		ck_assert_uint_lt(n, 8);
		seqs[n++] = e->seq;
	}
	cairn_merge_close(&m);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(seqs[0], 0);
	ck_assert_uint_eq(seqs[3], 3);	/* realname, merged in its place */
	/* After entry 1: 2 and 3. */
	ck_assert_int_eq(cairn_merge_open(&m, st, NULL, INT64_MIN, INT64_MAX), 0);
	ck_assert_int_eq(cairn_merge_next(&m, &e), 0);
	ck_assert_int_eq(cairn_merge_next(&m, &e), 0);
	ck_assert_uint_eq(e->seq, 1);
	ck_assert_int_eq(cairn_row_parse(e->data, e->len, &r), 0);
	last = e->seq;
	recv = r.received_us;
	cairn_merge_close(&m);
	ck_assert_int_eq(cairn_merge_open(&m, st, NULL, INT64_MIN, INT64_MAX), 0);
	ck_assert_int_eq(cairn_merge_after(&m, last, recv), 0);
	ck_assert_int_eq(cairn_merge_next(&m, &e), 0);
	ck_assert_uint_eq(e->seq, 2);
	ck_assert_int_eq(cairn_merge_next(&m, &e), 0);
	ck_assert_uint_eq(e->seq, 3);
	ck_assert_int_eq(cairn_merge_next(&m, &e), CAIRN_ENOTFOUND);
	cairn_merge_close(&m);
	/* One stream only. */
	ck_assert_int_eq(cairn_merge_open(&m, st, "realname", INT64_MIN,
	    INT64_MAX), 0);
	ck_assert_int_eq(cairn_merge_next(&m, &e), 0);
	ck_assert_uint_eq(e->seq, 3);
	ck_assert_int_eq(cairn_merge_next(&m, &e), CAIRN_ENOTFOUND);
	cairn_merge_close(&m);
	ck_assert_int_eq(cairn_merge_open(&m, st, "nope", 0, 1), CAIRN_EINVAL);
	/* Read with pread (the CLI's search): the same entries, bytes and
	 * checks as through the map. */
	{
		const struct cairn_entry *d;
		struct cairn_merge md;
		uint64_t k = 0;

		ck_assert_int_eq(cairn_merge_open(&m, st, NULL, INT64_MIN,
		    INT64_MAX), 0);
		ck_assert_int_eq(cairn_merge_open(&md, st, NULL, INT64_MIN,
		    INT64_MAX), 0);
		ck_assert_int_eq(cairn_merge_direct(&md), 0);
		while (cairn_merge_next(&m, &e) == 0) {
			ck_assert_int_eq(cairn_merge_next(&md, &d), 0);
			ck_assert_uint_eq(d->seq, e->seq);
			ck_assert_uint_eq(d->len, e->len);
			ck_assert_mem_eq(d->data, e->data, e->len);
			ck_assert_int_eq(d->intact, e->intact);
			k++;
		}
		ck_assert_int_eq(cairn_merge_next(&md, &d), CAIRN_ENOTFOUND);
		ck_assert_uint_eq(k, 4);
		cairn_merge_close(&m);
		cairn_merge_close(&md);
	}
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("rows");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_row_parse);
	tcase_add_test(tc, test_row_spans);
	tcase_add_test(tc, test_filter);
	tcase_add_test(tc, test_chain);
	tcase_add_test(tc, test_hist);
	tcase_add_test(tc, test_proofs);
	tcase_add_test(tc, test_merge);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	return check_run(suite());
}
