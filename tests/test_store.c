/*
 * test_store.c: the store library as its users rely on it: receipts after
 * commit, the three hash chains, idempotent re-sends, atomic batches,
 * indexes, proofs, checkpoints, verification, size ceiling, writer lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>
#include <lmdb.h>
#include <sodium.h>

#include "cairn.h"
#include "catalog.h"
#include "keys.h"
#include "merkle.h"
#include "note.h"
#include "rfc3339.h"
#include "util.h"
#include "checkutil.h"

static char dir[256];
static struct cairn_catalog *cat;
static struct cairn_seckey *sk;
static struct cairn_pubkey pk;

static void
setup(void)
{
	scratch_make("store");
	snprintf(dir, sizeof dir, "%s", tpath("store"));
	ck_assert_int_eq(cairn_catalog_default(&cat), 0);
	ck_assert_int_eq(cairn_key_generate(&sk), 0);
	cairn_seckey_public(sk, &pk);
	ck_assert_int_eq(cairn_store_create(dir, "test.example/s", pk.pk, NULL), 0);
}

static void
teardown(void)
{
	cairn_catalog_free(cat);
	cairn_seckey_free(sk);
	scratch_remove();
}

/* An event whose note is n copies of unit (a long one lands on LMDB's
 * overflow pages). */
static cairn_event *
ev_note(const char *source, const char *id, const char *account,
    const char *unit, int n)
{
	struct cairn_verr err[4];
	cairn_event *e;
	char buf[8192];
	size_t nerr, len;
	int i, rc;

	len = (size_t)snprintf(buf, sizeof buf, "{\"id\":\"%s\",\"type\":"
	    "\"account.created\",\"account_kind\":\"personal\",\"time\":"
	    "\"2026-11-29T08:00:00+08:00\",\"account\":\"%s\",\"note\":\"",
	    id, account);
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s", unit);
	len += (size_t)snprintf(buf + len, sizeof buf - len, "\"}");
	ck_assert_uint_lt(len, sizeof buf);
	rc = cairn_event_prepare(cat, source, (uint8_t *)buf, len, 0, &e, err,
	    4, &nerr);
	ck_assert_msg(rc == 0, "prepare: %s %s %s", cairn_strerror(rc),
	    nerr ? err[0].field : "", nerr ? err[0].msg : "");
	return e;
}

static cairn_event *
ev(const char *source, const char *id, const char *account, const char *note)
{
	return ev_note(source, id, account, note, 1);
}

/* Appends one event and returns its receipt. */
static struct cairn_receipt
append1(cairn_store *s, const char *source, const char *id, const char *acct,
    const char *note)
{
	struct cairn_receipt r;
	cairn_event *e = ev(source, id, acct, note);

	ck_assert_int_eq(cairn_store_append(s, &e, 1, &r, NULL), 0);
	cairn_event_free(e);
	return r;
}

static json_t *
entry_json(cairn_store *s, uint64_t seq, uint8_t leaf[32])
{
	struct cairn_buf b = { 0 };
	struct cairn_entry e;
	json_t *j;

	ck_assert_int_eq(cairn_store_get(s, seq, &b, &e), 0);
	ck_assert(e.intact);
	if (leaf != NULL)
		memcpy(leaf, e.leaf, 32);
	j = json_loadb((char *)b.p, b.len, 0, NULL);
	ck_assert_ptr_nonnull(j);
	cairn_buf_free(&b);
	return j;
}

static void
assert_hex(json_t *j, const char *key, const uint8_t want[32])
{
	char hex[65];

	cairn_hex(want, 32, hex);
	ck_assert_str_eq(json_string_value(json_object_get(j, key)), hex);
}

START_TEST(test_receipts_and_chains)
{
	static const uint8_t zero[32];
	struct cairn_receipt r[6];
	uint8_t leaf[6][32];
	cairn_store *s;
	json_t *j;
	const char *acct[6] = { "u-1", "u-2", "u-1", "u-3", "u-1", "u-2" };
	char id[16];
	int i;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	for (i = 0; i < 6; i++) {
		snprintf(id, sizeof id, "e%d", i);
		r[i] = append1(s, "http:test", id, acct[i], "n");
		ck_assert_uint_eq(r[i].seq, (uint64_t)i);
		ck_assert_uint_eq(r[i].tree_size, (uint64_t)i + 1);
		ck_assert_int_eq(r[i].duplicate, 0);
	}
	for (i = 0; i < 6; i++) {
		j = entry_json(s, (uint64_t)i, leaf[i]);
		/* The receipt's leaf hash is SHA-256(0x00 || the entry bytes). */
		ck_assert_mem_eq(leaf[i], r[i].leaf, 32);
		ck_assert_int_eq(json_integer_value(json_object_get(j, "seq")), i);
		assert_hex(j, "prev", i ? leaf[i - 1] : zero);
		/* All events are in stream account: stream_prev is the previous. */
		ck_assert_str_eq(json_string_value(json_object_get(j, "stream")),
		    "account");
		assert_hex(j, "stream_prev", i ? leaf[i - 1] : zero);
		ck_assert_str_eq(json_string_value(json_object_get(j, "source")),
		    "http:test");
		ck_assert_ptr_nonnull(json_object_get(j, "event_sha256"));
		ck_assert_ptr_nonnull(json_object_get(j, "received"));
		/* The sender's +08:00 is normalised to UTC; the offset is kept. */
		ck_assert_str_eq(json_string_value(json_object_get(json_object_get(j,
		    "event"), "time")), "2026-11-29T00:00:00.000000Z");
		json_decref(j);
	}
	/* account_prev links each account's entries: u-1 at 0, 2, 4. */
	j = entry_json(s, 0, NULL);
	assert_hex(j, "account_prev", zero);
	json_decref(j);
	j = entry_json(s, 2, NULL);
	assert_hex(j, "account_prev", leaf[0]);
	json_decref(j);
	j = entry_json(s, 4, NULL);
	assert_hex(j, "account_prev", leaf[2]);
	json_decref(j);
	j = entry_json(s, 5, NULL);
	assert_hex(j, "account_prev", leaf[1]);
	json_decref(j);
	cairn_store_close(s);
}
END_TEST

/*
 * The newest entries' accounts wait in account_log and move into by_account
 * together once the log is full (here at 7): every account's history,
 * stepping both ways and the account_prev chain stay whole across many
 * merges, a reopen (the writer reads the log again) and a refused batch
 * (what it did to the writer's memory is forgotten), for the writer and
 * for a read-only reader.
 */
START_TEST(test_account_log)
{
	static const char *accts[4] = { "acct-0", "acct-1", "acct-2", "late" };
	static const uint8_t zero[32];
	struct cairn_store_opts o;
	struct cairn_verify_report rep;
	struct cairn_receipt r[5];
	struct cairn_entry en;
	uint64_t want[4][64], seq, got;
	uint8_t leaf[256][32];
	size_t nwant[4] = { 0 }, a, k, failed;
	cairn_event *e[5];
	cairn_store *s, *ro;
	cairn_iter *it;
	char id[32];
	int i, j, nb, round, ev_no = 0;
	json_t *js;

	memset(&o, 0, sizeof o);
	o.account_log_max = 7;
	ck_assert_int_eq(cairn_store_open(dir, &o, 0, &s), 0);
	for (i = 0; i < 60; i++) {
		if (i == 30) {	/* the writer starts again mid-log */
			cairn_store_close(s);
			ck_assert_int_eq(cairn_store_open(dir, &o, 0, &s), 0);
		}
		if (i == 40) {
			/* Events for two accounts, then a changed re-send: the
			 * batch is refused and nothing of it counts. */
			e[0] = ev("src", "x-1", "acct-1", "n");
			e[1] = ev("src", "x-2", "acct-2", "n");
			e[2] = ev("src", "e0", "acct-0", "changed");
			ck_assert_int_eq(cairn_store_append(s, e, 3, r, &failed),
			    CAIRN_ECONFLICT);
			for (j = 0; j < 3; j++)
				cairn_event_free(e[j]);
		}
		nb = i % 4 + 1;
		for (j = 0; j < nb; j++) {
			a = (size_t)(ev_no % 7 == 3 && i > 45 ? 3 : ev_no % 3);
			snprintf(id, sizeof id, "e%d", ev_no++);
			e[j] = ev("src", id, accts[a], "n");
		}
		ck_assert_int_eq(cairn_store_append(s, e, (size_t)nb, r, NULL), 0);
		for (j = 0; j < nb; j++) {
			cairn_event_free(e[j]);
			ck_assert_uint_lt(r[j].seq, 256);
			memcpy(leaf[r[j].seq], r[j].leaf, 32);
		}
		for (j = 0, k = (size_t)(ev_no - nb); j < nb; j++, k++) {
			a = (size_t)(k % 7 == 3 && i > 45 ? 3 : k % 3);
			ck_assert_uint_lt(nwant[a], 64);
			want[a][nwant[a]++] = r[j].seq;
		}
	}
	ck_assert_uint_gt(nwant[3], 0);
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &ro), 0);
	for (round = 0; round < 3; round++) {
		cairn_store *h = round == 1 ? ro : s;

		for (a = 0; a < 4; a++) {
			/* The plain iterator, and (round 2) reading ahead. */
			ck_assert_int_eq(cairn_iter_account(h, accts[a], &it), 0);
			if (round == 2)
				ck_assert_int_eq(cairn_iter_ahead(it), 0);
			for (k = 0; cairn_iter_next(it, &en) == 0; k++) {
				ck_assert_uint_lt(k, nwant[a]);
				ck_assert_uint_eq(en.seq, want[a][k]);
			}
			ck_assert_uint_eq(k, nwant[a]);
			cairn_iter_free(it);
			/* Stepping forward from each, and back from each. */
			for (k = 0; k + 1 < nwant[a]; k++) {
				ck_assert_int_eq(cairn_store_account_after(h,
				    accts[a], want[a][k], &got), 0);
				ck_assert_uint_eq(got, want[a][k + 1]);
				ck_assert_int_eq(cairn_store_account_before(h,
				    accts[a], want[a][k + 1], &got), 0);
				ck_assert_uint_eq(got, want[a][k]);
			}
			ck_assert_int_eq(cairn_store_account_after(h, accts[a],
			    want[a][nwant[a] - 1], &got), CAIRN_ENOTFOUND);
			ck_assert_int_eq(cairn_store_account_before(h, accts[a],
			    want[a][0], &got), CAIRN_ENOTFOUND);
			ck_assert_int_eq(cairn_store_account_before(h, accts[a],
			    UINT64_MAX, &got), 0);
			ck_assert_uint_eq(got, want[a][nwant[a] - 1]);
		}
	}
	/* An account with no entry: nothing, from the log or by_account. */
	ck_assert_int_eq(cairn_iter_account(s, "nobody", &it), 0);
	ck_assert_int_eq(cairn_iter_next(it, &en), CAIRN_ENOTFOUND);
	cairn_iter_free(it);
	ck_assert_int_eq(cairn_store_account_before(s, "nobody", UINT64_MAX,
	    &got), CAIRN_ENOTFOUND);
	ck_assert_int_eq(cairn_store_account_after(s, "nobody", 0, &got),
	    CAIRN_ENOTFOUND);
	/* Each entry's account_prev is its account's entry before it. */
	for (a = 0; a < 4; a++)
		for (k = 0; k < nwant[a]; k++) {
			seq = want[a][k];
			js = entry_json(s, seq, NULL);
			assert_hex(js, "account_prev", k ? leaf[want[a][k - 1]] :
			    zero);
			json_decref(js);
		}
	ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), 0);
	ck_assert_int_eq(rep.failed, 0);
	cairn_store_close(ro);
	cairn_store_close(s);
}
END_TEST

START_TEST(test_resend)
{
	struct cairn_receipt r1, r2, r3[3];
	cairn_event *e[3];
	cairn_store *s;
	uint64_t n;
	size_t failed = 99;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	r1 = append1(s, "src-a", "id-1", "u-1", "first");
	/* The same event again: the first receipt, nothing stored. */
	r2 = append1(s, "src-a", "id-1", "u-1", "first");
	ck_assert_int_eq(r2.duplicate, 1);
	ck_assert_uint_eq(r2.seq, r1.seq);
	ck_assert_mem_eq(r2.leaf, r1.leaf, 32);
	ck_assert_int_eq(cairn_store_size(s, &n), 0);
	ck_assert_uint_eq(n, 1);
	/* The same id from another source is another event. */
	r2 = append1(s, "src-b", "id-1", "u-1", "first");
	ck_assert_int_eq(r2.duplicate, 0);
	ck_assert_uint_eq(r2.seq, 1);
	/* Other content under a stored id: refused, and the whole batch with it. */
	e[0] = ev("src-a", "id-2", "u-2", "ok");
	e[1] = ev("src-a", "id-1", "u-1", "changed");
	e[2] = ev("src-a", "id-3", "u-3", "ok");
	ck_assert_int_eq(cairn_store_append(s, e, 3, r3, &failed), CAIRN_ECONFLICT);
	ck_assert_uint_eq(failed, 1);
	ck_assert_int_eq(cairn_store_size(s, &n), 0);
	ck_assert_uint_eq(n, 2);
	cairn_event_free(e[1]);
	/* A duplicate inside one batch is stored once. */
	e[1] = ev("src-a", "id-2", "u-2", "ok");
	ck_assert_int_eq(cairn_store_append(s, e, 3, r3, &failed), 0);
	ck_assert_int_eq(r3[0].duplicate, 0);
	ck_assert_int_eq(r3[1].duplicate, 1);
	ck_assert_uint_eq(r3[1].seq, r3[0].seq);
	ck_assert_uint_eq(r3[2].seq, r3[0].seq + 1);
	ck_assert_uint_eq(r3[2].tree_size, 4);
	cairn_event_free(e[0]);
	cairn_event_free(e[1]);
	cairn_event_free(e[2]);
	cairn_store_close(s);
}
END_TEST

START_TEST(test_validation)
{
	struct cairn_verr err[8];
	cairn_event *e;
	size_t nerr;
	const char *bad[] = {
		"{\"id\":\"a\",\"type\":\"account.created\",\"account_kind\":\"personal\",\"time\":\"2026-01-01T00:00:00Z\"",
		"{\"id\":\"a\",\"type\":\"nope\",\"time\":\"2026-01-01T00:00:00Z\"}",
		"{\"id\":\"a\",\"type\":\"account.created\",\"account_kind\":\"personal\",\"time\":\"2026-01-01T00:00:00Z\",\"account\":\"u\",\"x\":1}",
		"{\"id\":\"a\",\"type\":\"system.start\",\"time\":\"2026-01-01T00:00:00Z\"}",
		"[1,2]",
	};
	size_t i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		ck_assert_int_ne(cairn_event_prepare(cat, "s",
		    (const uint8_t *)bad[i], strlen(bad[i]), 0, &e, err, 8, &nerr), 0);
		ck_assert_uint_ge(nerr, 1);
	}
}
END_TEST

START_TEST(test_iterators)
{
	struct cairn_entry e;
	cairn_store *s;
	cairn_iter *it;
	char id[16];
	uint64_t want[] = { 0, 3, 6, 9 }, n;
	int i;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	for (i = 0; i < 12; i++) {
		snprintf(id, sizeof id, "i%d", i);
		append1(s, "src", id, i % 3 == 0 ? "acct-x" : "acct-y", "n");
	}
	ck_assert_int_eq(cairn_iter_account(s, "acct-x", &it), 0);
	for (n = 0; cairn_iter_next(it, &e) == 0; n++) {
		ck_assert_uint_lt(n, 4);
		ck_assert_uint_eq(e.seq, want[n]);
		ck_assert(e.intact);
	}
	ck_assert_uint_eq(n, 4);
	cairn_iter_free(it);
	ck_assert_int_eq(cairn_iter_account(s, "nobody", &it), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), CAIRN_ENOTFOUND);
	cairn_iter_free(it);
	ck_assert_int_eq(cairn_iter_stream(s, "account", 0, INT64_MAX, &it), 0);
	for (n = 0; cairn_iter_next(it, &e) == 0; n++)
		ck_assert_uint_eq(e.seq, n);
	ck_assert_uint_eq(n, 12);
	cairn_iter_free(it);
	ck_assert_int_eq(cairn_iter_stream(s, "realname", 0, INT64_MAX, &it), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), CAIRN_ENOTFOUND);
	cairn_iter_free(it);
	/* A window in the future holds nothing. */
	ck_assert_int_eq(cairn_iter_stream(s, "account", INT64_MAX - 1, INT64_MAX,
	    &it), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), CAIRN_ENOTFOUND);
	cairn_iter_free(it);
	ck_assert_int_eq(cairn_iter_range(s, 5, 8, &it), 0);
	for (n = 5; cairn_iter_next(it, &e) == 0; n++)
		ck_assert_uint_eq(e.seq, n);
	ck_assert_uint_eq(n, 8);
	cairn_iter_free(it);
	cairn_store_close(s);
}
END_TEST

/* Reading ahead on a second thread gives what the plain iterator gives:
 * the same entries, bytes and hashes, in order, over many blocks, and
 * after a seek; stored leaves when not lazy. */
START_TEST(test_iter_ahead)
{
	struct cairn_entry e, f;
	struct cairn_buf want = { 0 };
	cairn_event *evs[100];
	struct cairn_receipt r[100];
	cairn_store *s;
	cairn_iter *a, *b;
	char id[32];
	uint64_t n;
	int i, j, lazy;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	/* 1,500 entries of acct-a (about six blocks) among acct-b's. */
	for (i = 0; i < 20; i++) {
		for (j = 0; j < 100; j++) {
			snprintf(id, sizeof id, "r%d-%d", i, j);
			evs[j] = ev("src", id, j % 4 == 3 ? "acct-b" : "acct-a",
			    "n");
		}
		ck_assert_int_eq(cairn_store_append(s, evs, 100, r, NULL), 0);
		for (j = 0; j < 100; j++)
			cairn_event_free(evs[j]);
	}
	ck_assert_int_eq(cairn_iter_range(s, 0, 1, &b), 0);
	ck_assert_int_eq(cairn_iter_ahead(b), CAIRN_EINVAL);
	cairn_iter_free(b);
	for (lazy = 0; lazy <= 1; lazy++) {
		ck_assert_int_eq(cairn_iter_account(s, "acct-a", &a), 0);
		ck_assert_int_eq(cairn_iter_account(s, "acct-a", &b), 0);
		ck_assert_int_eq(cairn_iter_ahead(a), 0);
		cairn_iter_lazy(a, lazy);
		cairn_iter_lazy(b, lazy);
		for (n = 0; cairn_iter_next(b, &f) == 0; n++) {
			/* f's bytes last only until b's next call. */
			want.len = 0;
			ck_assert_int_eq(cairn_buf_add(&want, f.data, f.len), 0);
			ck_assert_int_eq(cairn_iter_next(a, &e), 0);
			ck_assert_uint_eq(e.seq, f.seq);
			ck_assert_uint_eq(e.len, f.len);
			ck_assert_mem_eq(e.data, want.p, f.len);
			ck_assert_mem_eq(e.leaf, f.leaf, CAIRN_HASH_LEN);
			ck_assert_mem_eq(e.stored, f.stored, CAIRN_HASH_LEN);
			ck_assert_int_eq(e.intact, lazy ? -1 : 1);
		}
		ck_assert_uint_eq(n, 1500);
		ck_assert_int_eq(cairn_iter_next(a, &e), CAIRN_ENOTFOUND);
		/* A seek drops what was read ahead. */
		ck_assert_int_eq(cairn_iter_seek(a, 1000, 0), 0);
		ck_assert_int_eq(cairn_iter_next(a, &e), 0);
		ck_assert_uint_eq(e.seq, 1000);
		for (n = 1; cairn_iter_next(a, &e) == 0; n++)
			ck_assert_uint_gt(e.seq, 1000);
		ck_assert_uint_eq(n, 750);
		cairn_iter_free(a);
		cairn_iter_free(b);
	}
	/* Freed in the middle, with the second thread at work. */
	ck_assert_int_eq(cairn_iter_account(s, "acct-a", &a), 0);
	ck_assert_int_eq(cairn_iter_ahead(a), 0);
	for (i = 0; i < 300; i++)
		ck_assert_int_eq(cairn_iter_next(a, &e), 0);
	cairn_iter_free(a);
	cairn_buf_free(&want);
	cairn_store_close(s);
}
END_TEST


/* Reads a's and b's next entries and says they are the same. */
static int
same_next(cairn_iter *a, cairn_iter *b, struct cairn_buf *want)
{
	struct cairn_entry e, f;
	int ra, rb;

	rb = cairn_iter_next(b, &f);
	if (rb == 0) {
		want->len = 0;
		ck_assert_int_eq(cairn_buf_add(want, f.data, f.len), 0);
	}
	ra = cairn_iter_next(a, &e);
	ck_assert_int_eq(ra, rb);
	if (ra != 0)
		return 0;
	ck_assert_uint_eq(e.seq, f.seq);
	ck_assert_uint_eq(e.len, f.len);
	ck_assert_mem_eq(e.data, want->p, f.len);
	ck_assert_mem_eq(e.leaf, f.leaf, CAIRN_HASH_LEN);
	ck_assert_mem_eq(e.stored, f.stored, CAIRN_HASH_LEN);
	ck_assert_int_eq(e.intact, f.intact);
	return 1;
}

/*
 * Leaves read by pread (cairn_iter_direct) give exactly what reads through
 * the map give: every kind of iterator, entries of every size (a long one
 * on overflow pages, which LMDB reads), across a renewed snapshot that
 * sees later commits, and an altered entry shows as altered.
 */
START_TEST(test_iter_direct)
{
	struct cairn_buf want = { 0 };
	struct cairn_receipt r[100];
	cairn_event *evs[100];
	cairn_store *s;
	cairn_iter *a, *b;
	char id[32], path[300];
	uint64_t n;
	int i, j, k, hit;
	FILE *f;
	long off;
	char *map;
	size_t flen;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	for (i = 0; i < 30; i++) {
		for (j = 0; j < 100; j++) {
			snprintf(id, sizeof id, "d%d-%d", i, j);
			if (j == 50)
				evs[j] = ev_note("src", id, "acct-a",
				    "\xe4\xb8\xad", 1000);
			else
				evs[j] = ev_note("src", id, j % 3 ? "acct-b" :
				    "acct-a", "x", (i * 100 + j) % 700);
		}
		ck_assert_int_eq(cairn_store_append(s, evs, 100, r, NULL), 0);
		for (j = 0; j < 100; j++)
			cairn_event_free(evs[j]);
	}
	for (k = 0; k < 5; k++) {
		if (k == 0) {
			ck_assert_int_eq(cairn_iter_range(s, 0, 3000, &a), 0);
			ck_assert_int_eq(cairn_iter_range(s, 0, 3000, &b), 0);
		} else if (k == 1) {
			ck_assert_int_eq(cairn_iter_stream(s, "account", 0,
			    INT64_MAX, &a), 0);
			ck_assert_int_eq(cairn_iter_stream(s, "account", 0,
			    INT64_MAX, &b), 0);
		} else {
			ck_assert_int_eq(cairn_iter_account(s, "acct-a", &a), 0);
			ck_assert_int_eq(cairn_iter_account(s, "acct-a", &b), 0);
		}
		if (k < 4)
			ck_assert_int_eq(cairn_iter_direct(a), 0);
		/* k == 3: a second thread reads ahead, direct too, against
		 * one reading ahead through the map; k == 4: one reading
		 * ahead through the map against plain LMDB lookups. */
		if (k >= 3)
			ck_assert_int_eq(cairn_iter_ahead(a), 0);
		if (k == 3)
			ck_assert_int_eq(cairn_iter_ahead(b), 0);
		for (n = 0; same_next(a, b, &want); n++)
			;
		/* acct-a: j % 3 == 0, and j == 50, of each hundred */
		ck_assert_uint_eq(n, (uint64_t)(k >= 2 ? 30 * 35 : 3000));
		if (k < 3)
			ck_assert_uint_gt(cairn_iter_preads(a), 100);
		ck_assert_uint_eq(cairn_iter_preads(b), 0);
		/* Found through the map: all but the 30 on overflow pages
		 * (j == 50, 3,000 bytes), which LMDB reads. */
		ck_assert_uint_eq(cairn_iter_mapped(a), (k == 4 ? 30 * 34 : 0));
		ck_assert_uint_eq(cairn_iter_mapped(b), (k == 3 ? 30 * 34 : 0));
		cairn_iter_free(a);
		cairn_iter_free(b);
	}

	/* A renewed snapshot reads the pages of later commits. */
	ck_assert_int_eq(cairn_iter_range(s, 0, 3100, &a), 0);
	ck_assert_int_eq(cairn_iter_direct(a), 0);
	ck_assert_int_eq(cairn_iter_range(s, 0, 3100, &b), 0);
	for (n = 0; n < 10; n++)
		ck_assert(same_next(a, b, &want));
	for (j = 0; j < 100; j++) {
		snprintf(id, sizeof id, "late-%d", j);
		evs[j] = ev_note("src", id, "acct-a", "y", j * 7);
	}
	ck_assert_int_eq(cairn_store_append(s, evs, 100, r, NULL), 0);
	for (j = 0; j < 100; j++)
		cairn_event_free(evs[j]);
	usleep(120 * 1000);
	ck_assert_int_eq(cairn_iter_refresh(a), 0);
	ck_assert_int_eq(cairn_iter_refresh(b), 0);
	for (; same_next(a, b, &want); n++)
		;
	ck_assert_uint_eq(n, 3100);
	cairn_iter_free(a);
	cairn_iter_free(b);
	cairn_store_close(s);

	/* One byte of an entry's note altered in the file. */
	snprintf(path, sizeof path, "%s/data.mdb", dir);
	ck_assert_ptr_nonnull(f = fopen(path, "r+b"));
	ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
	flen = (size_t)ftell(f);
	ck_assert_ptr_nonnull(map = malloc(flen));
	rewind(f);
	ck_assert_uint_eq(fread(map, 1, flen, f), flen);
	off = -1;
	for (i = 0; off < 0 && (size_t)i + 40 < flen; i++)
		if (memcmp(map + i, "\"id\":\"d17-42\"", 13) == 0)
			off = i + 7;	/* the '1' of d17 */
	ck_assert_int_ge(off, 0);
	ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
	ck_assert_int_eq(fputc('7', f), '7');
	ck_assert_int_eq(fclose(f), 0);
	free(map);
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s), 0);
	ck_assert_int_eq(cairn_iter_range(s, 0, 3100, &a), 0);
	ck_assert_int_eq(cairn_iter_direct(a), 0);
	ck_assert_int_eq(cairn_iter_range(s, 0, 3100, &b), 0);
	for (n = 0; same_next(a, b, &want); n++)
		;
	ck_assert_uint_eq(n, 3100);
	cairn_iter_free(a);
	cairn_iter_free(b);
	/* d17-42 is entry 1742: it now says d77-42 and fails its hash. */
	ck_assert_int_eq(cairn_iter_range(s, 1742, 1743, &a), 0);
	ck_assert_int_eq(cairn_iter_direct(a), 0);
	{
		struct cairn_entry e;
		size_t m;

		ck_assert_int_eq(cairn_iter_next(a, &e), 0);
		ck_assert_int_eq(e.intact, 0);
		for (hit = 0, m = 0; m + 8 <= e.len; m++)
			hit |= memcmp(e.data + m, "\"d77-42\"", 8) == 0;
	}
	ck_assert(hit);
	cairn_iter_free(a);
	/* Read ahead through the map, the altered entry shows as such. */
	ck_assert_int_eq(cairn_iter_account(s, "acct-a", &a), 0);
	ck_assert_int_eq(cairn_iter_ahead(a), 0);
	{
		struct cairn_entry e;

		for (hit = 0, n = 0; cairn_iter_next(a, &e) == 0; n++)
			if (e.seq == 1742)
				hit = e.intact == 0 ? 1 : -1;
			else
				ck_assert_int_eq(e.intact, 1);
		ck_assert_uint_eq(n, 30 * 35 + 100);
	}
	ck_assert_int_eq(hit, 1);
	ck_assert_uint_eq(cairn_iter_mapped(a), 30 * 34 + 100);
	cairn_iter_free(a);
	cairn_store_close(s);

	/*
	 * The page holding the databases' records names a wrong number, 0
	 * (the map is placed from it, and page 0 is then not LMDB's meta
	 * page): the map is not used, LMDB reads every entry, nothing else
	 * changes.  Every copy of that page in the file is altered (old
	 * ones too, whichever is current).
	 */
	ck_assert_ptr_nonnull(f = fopen(path, "r+b"));
	ck_assert_ptr_nonnull(map = malloc(flen));
	ck_assert_uint_eq(fread(map, 1, flen, f), flen);
	for (hit = 0, off = 0; (size_t)off + 4096 <= flen; off += 4096)
		if (memmem(map + off, 4096, "by_account", 10) != NULL &&
		    memmem(map + off, 4096, "event_ids", 9) != NULL) {
			ck_assert_int_eq(fseek(f, off, SEEK_SET), 0);
			ck_assert_uint_eq(fwrite("\0\0\0\0\0\0\0\0", 1, 8, f),
			    8);
			hit++;
		}
	ck_assert_int_gt(hit, 0);
	ck_assert_int_eq(fclose(f), 0);
	free(map);
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s), 0);
	ck_assert_int_eq(cairn_iter_account(s, "acct-a", &a), 0);
	ck_assert_int_eq(cairn_iter_ahead(a), 0);
	ck_assert_int_eq(cairn_iter_account(s, "acct-a", &b), 0);
	for (n = 0; same_next(a, b, &want); n++)
		;
	ck_assert_uint_eq(n, 30 * 35 + 100);
	ck_assert_uint_eq(cairn_iter_mapped(a), 0);
	cairn_iter_free(a);
	cairn_iter_free(b);
	cairn_buf_free(&want);
	cairn_store_close(s);
}
END_TEST

/* Iterators resume at a seq (cursors), and give the stored leaf hash. */
START_TEST(test_iter_seek)
{
	struct cairn_entry e, e2;
	cairn_store *s;
	cairn_iter *it;
	char id[16];
	int64_t recv6;
	int i;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	for (i = 0; i < 12; i++) {
		snprintf(id, sizeof id, "k%d", i);
		append1(s, "src", id, i % 3 == 0 ? "acct-x" : "acct-y", "n");
	}
	/* Account: from seq 4 the next of acct-x is 6, then 9. */
	ck_assert_int_eq(cairn_iter_account(s, "acct-x", &it), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), 0);
	ck_assert_uint_eq(e.seq, 0);
	ck_assert_int_eq(cairn_iter_seek(it, 4, 0), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), 0);
	ck_assert_uint_eq(e.seq, 6);
	ck_assert_mem_eq(e.stored, e.leaf, CAIRN_HASH_LEN);
	ck_assert_int_eq(cairn_iter_next(it, &e), 0);
	ck_assert_uint_eq(e.seq, 9);
	ck_assert_int_eq(cairn_iter_next(it, &e), CAIRN_ENOTFOUND);
	/* Seeking back to an entry returns that entry again. */
	ck_assert_int_eq(cairn_iter_seek(it, 3, 0), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), 0);
	ck_assert_uint_eq(e.seq, 3);
	cairn_iter_free(it);
	/* Range. */
	ck_assert_int_eq(cairn_iter_range(s, 0, 12, &it), 0);
	ck_assert_int_eq(cairn_iter_seek(it, 10, 0), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), 0);
	ck_assert_uint_eq(e.seq, 10);
	cairn_iter_free(it);
	/* Stream: (received, seq) of entry 6 positions at 6. */
	ck_assert_int_eq(cairn_iter_stream(s, "account", 0, INT64_MAX, &it), 0);
	for (i = 0; i <= 6; i++)
		ck_assert_int_eq(cairn_iter_next(it, &e2), 0);
	ck_assert_uint_eq(e2.seq, 6);
	{
		json_t *j = entry_json(s, 6, NULL);
		const char *r = json_string_value(json_object_get(j, "received"));

		ck_assert_ptr_nonnull(r);
		ck_assert_int_eq(cairn_rfc3339_parse(r, strlen(r), &recv6, NULL),
		    0);
		json_decref(j);
	}
	ck_assert_int_eq(cairn_iter_seek(it, 6, recv6), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), 0);
	ck_assert_uint_eq(e.seq, 6);
	ck_assert_int_eq(cairn_iter_seek(it, 7, recv6), 0);
	ck_assert_int_eq(cairn_iter_next(it, &e), 0);
	ck_assert_uint_eq(e.seq, 7);
	cairn_iter_free(it);
	cairn_store_close(s);
}
END_TEST

START_TEST(test_proofs)
{
	uint8_t proof[CAIRN_MAX_PROOF][32], r1[32], r2[32];
	struct cairn_receipt r[40];
	cairn_store *s;
	char id[16];
	size_t n;
	uint64_t i, j;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	for (i = 0; i < 40; i++) {
		snprintf(id, sizeof id, "p%llu", (unsigned long long)i);
		r[i] = append1(s, "src", id, "u-1", "n");
	}
	for (j = 1; j <= 40; j++) {
		ck_assert_int_eq(cairn_store_root(s, j, r2), 0);
		for (i = 0; i < j; i++) {
			ck_assert_int_eq(cairn_store_inclusion(s, i, j, proof, &n), 0);
			ck_assert_int_eq(cairn_merkle_verify_inclusion(r[i].leaf, i, j,
			    (const uint8_t (*)[32])proof, n, r2), 0);
			proof[0][0] ^= 1;
			if (n > 0)
				ck_assert_int_eq(cairn_merkle_verify_inclusion(r[i].leaf,
				    i, j, (const uint8_t (*)[32])proof, n, r2),
				    CAIRN_EPROOF);
		}
		for (i = 1; i <= j; i++) {
			ck_assert_int_eq(cairn_store_root(s, i, r1), 0);
			ck_assert_int_eq(cairn_store_consistency(s, i, j, proof, &n), 0);
			ck_assert_int_eq(cairn_merkle_verify_consistency(i, j, r1, r2,
			    (const uint8_t (*)[32])proof, n), 0);
		}
	}
	ck_assert_int_eq(cairn_store_root(s, 41, r1), CAIRN_ENOTFOUND);
	cairn_store_close(s);
}
END_TEST

START_TEST(test_checkpoint_and_verify)
{
	struct cairn_verify_report rep;
	struct cairn_checkpoint cp;
	struct cairn_buf note = { 0 }, note2 = { 0 };
	struct cairn_seckey *other;
	const uint8_t *body;
	uint8_t root[32];
	cairn_store *s;
	size_t blen;
	char id[16], cpfile[300];
	int i;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	ck_assert_int_eq(cairn_store_checkpoint_latest(s, &note), CAIRN_ENOTFOUND);
	ck_assert_int_eq(cairn_store_checkpoint(s, cairn_seckey_ed25519(sk), &note), 0);
	for (i = 0; i < 25; i++) {
		snprintf(id, sizeof id, "c%d", i);
		append1(s, "src", id, "u-1", "n");
	}
	ck_assert_int_eq(cairn_store_checkpoint(s, cairn_seckey_ed25519(sk), &note), 0);
	ck_assert_int_eq(cairn_note_verify(note.p, note.len, "test.example/s",
	    pk.pk, &body, &blen), 0);
	ck_assert_int_eq(cairn_checkpoint_parse(body, blen, &cp), 0);
	ck_assert_uint_eq(cp.size, 25);
	ck_assert_uint_eq(cp.count[3], 25);	/* stream account */
	ck_assert_int_eq(cairn_store_root(s, 25, root), 0);
	ck_assert_mem_eq(root, cp.root, 32);
	ck_assert_int_eq(cairn_store_checkpoint_latest(s, &note2), 0);
	ck_assert_uint_eq(note2.len, note.len);
	ck_assert_int_eq(cairn_store_checkpoint_find(s, 10, 0, &note2), 0);
	ck_assert_int_eq(cairn_store_checkpoint_find(s, 10, 1, &note2), 0);
	ck_assert_mem_eq(note2.p, note.p, note.len);
	/* The checkpoint file beside the store holds the newest. */
	snprintf(cpfile, sizeof cpfile, "%s.checkpoint", dir);
	ck_assert_int_eq(access(cpfile, R_OK), 0);
	/* Only the store's own key signs. */
	ck_assert_int_eq(cairn_key_generate(&other), 0);
	ck_assert_int_eq(cairn_store_checkpoint(s, cairn_seckey_ed25519(other),
	    NULL), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), 0);
	ck_assert_int_eq(rep.failed, 0);
	ck_assert_uint_eq(rep.entries, 25);
	ck_assert_uint_eq(rep.checkpoints, 2);
	{
		struct cairn_pubkey opk;

		cairn_seckey_public(other, &opk);
		ck_assert_int_eq(cairn_store_verify(s, opk.pk, &rep),
		    CAIRN_ECORRUPT);
		ck_assert_int_eq(rep.failed, 1);
	}
	cairn_seckey_free(other);
	cairn_buf_free(&note);
	cairn_buf_free(&note2);
	cairn_store_close(s);
}
END_TEST

/* A system.key_rotated event announcing key (id key_id) as the new key. */
static cairn_event *
rotation_ev(const char *id, const struct cairn_pubkey *key)
{
	struct cairn_verr err[4];
	cairn_event *e;
	char buf[1024], b64[CAIRN_PUBKEY_B64_LEN + 1];
	size_t nerr;
	int n, rc;

	cairn_pubkey_b64(key, b64, sizeof b64);
	n = snprintf(buf, sizeof buf, "{\"id\":\"%s\",\"type\":"
	    "\"system.key_rotated\",\"time\":\"2026-11-29T08:00:00Z\","
	    "\"key_id\":\"NEW\",\"previous_key_id\":\"OLD\","
	    "\"public_key\":\"%s\"}", id, b64);
	rc = cairn_event_prepare(cat, "test", (uint8_t *)buf, (size_t)n,
	    CAIRN_EVENT_SYSTEM, &e, err, 4, &nerr);
	ck_assert_msg(rc == 0, "prepare: %s %s %s", cairn_strerror(rc),
	    nerr ? err[0].field : "", nerr ? err[0].msg : "");
	return e;
}

/* Verifies the store, expecting failure with what in the report. */
static void
verify_fails(const char *d, const char *what)
{
	struct cairn_verify_report rep;
	cairn_store *s;

	ck_assert_int_eq(cairn_store_open(d, NULL, CAIRN_STORE_RDONLY, &s), 0);
	ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), CAIRN_ECORRUPT);
	ck_assert_msg(strstr(rep.what, what) != NULL, "\"%s\" lacks \"%s\"",
	    rep.what, what);
	cairn_store_close(s);
}

/* Raw LMDB (test only): puts or, with val NULL, deletes one record. */
static void
raw_put(const char *d, const char *db, const void *key, size_t klen,
    const void *val, size_t vlen)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;
	MDB_val k, v;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 10), 0);
	ck_assert_int_eq(mdb_env_open(env, d, MDB_NOTLS, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	k.mv_data = (void *)key;
	k.mv_size = klen;
	v.mv_data = (void *)val;
	v.mv_size = vlen;
	if (val != NULL)
		ck_assert_int_eq(mdb_put(txn, dbi, &k, &v, 0), 0);
	else
		ck_assert_int_eq(mdb_del(txn, dbi, &k, NULL), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

/* The checkpoints key (size, time) of a signed note. */
static void
note_key(const struct cairn_buf *note, const uint8_t pk0[32], uint8_t kb[16],
    struct cairn_checkpoint *cp)
{
	const uint8_t *body;
	size_t blen;

	ck_assert_int_eq(cairn_note_verify(note->p, note->len, "test.example/s",
	    pk0, &body, &blen), 0);
	ck_assert_int_eq(cairn_checkpoint_parse(body, blen, cp), 0);
	cairn_put_be64(kb, cp->size);
	cairn_put_be64(kb + 8, (uint64_t)cp->time_us);
}

START_TEST(test_key_rotation)
{
	struct cairn_verify_report rep;
	struct cairn_store_key keys[CAIRN_MAX_KEYS];
	struct cairn_store_info in;
	struct cairn_receipt r;
	struct cairn_checkpoint cp;
	struct cairn_buf note = { 0 }, rnote = { 0 }, forged = { 0 };
	struct cairn_seckey *sk2, *sk3;
	struct cairn_pubkey pk2, pk3;
	const uint8_t *body;
	cairn_event *e;
	cairn_store *s;
	uint64_t size;
	size_t n, blen;

	ck_assert_int_eq(cairn_key_generate(&sk2), 0);
	ck_assert_int_eq(cairn_key_generate(&sk3), 0);
	cairn_seckey_public(sk2, &pk2);
	cairn_seckey_public(sk3, &pk3);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	append1(s, "src", "a1", "u-1", "n");
	append1(s, "src", "a2", "u-2", "n");
	ck_assert_int_eq(cairn_store_checkpoint(s, cairn_seckey_ed25519(sk),
	    NULL), 0);
	append1(s, "src", "a3", "u-1", "n");
	ck_assert_int_eq(cairn_store_keys(s, keys, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_mem_eq(keys[0].pubkey, pk.pk, 32);
	ck_assert_uint_eq(keys[0].last_size, UINT64_MAX);

	/* Must-fail: each leaves the store as it was. */
	e = rotation_ev("rot-1", &pk2);
	ck_assert_int_eq(cairn_store_rotate(s, cairn_seckey_ed25519(sk3),
	    cairn_seckey_ed25519(sk2), e, &r, &note), CAIRN_EINVAL);
	ck_assert_ptr_nonnull(strstr(cairn_store_errdetail(s), "current key"));
	ck_assert_int_eq(cairn_store_rotate(s, cairn_seckey_ed25519(sk),
	    cairn_seckey_ed25519(sk), e, &r, &note), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_store_rotate(s, cairn_seckey_ed25519(sk),
	    cairn_seckey_ed25519(sk3), e, &r, &note), CAIRN_EINVAL);
	ck_assert_ptr_nonnull(strstr(cairn_store_errdetail(s), "announcing"));
	cairn_event_free(e);
	e = ev("src", "a4", "u-1", "not a rotation");
	ck_assert_int_eq(cairn_store_rotate(s, cairn_seckey_ed25519(sk),
	    cairn_seckey_ed25519(sk2), e, &r, &note), CAIRN_EINVAL);
	cairn_event_free(e);
	ck_assert_int_eq(cairn_store_size(s, &size), 0);
	ck_assert_uint_eq(size, 3);

	/* The rotation: entry 3, the checkpoint of 4 entries by both keys. */
	e = rotation_ev("rot-1", &pk2);
	ck_assert_int_eq(cairn_store_rotate(s, cairn_seckey_ed25519(sk),
	    cairn_seckey_ed25519(sk2), e, &r, &rnote), 0);
	cairn_event_free(e);
	ck_assert_uint_eq(r.seq, 3);
	ck_assert_uint_eq(r.tree_size, 4);
	ck_assert_int_eq(cairn_note_verify(rnote.p, rnote.len, "test.example/s",
	    pk.pk, &body, &blen), 0);
	ck_assert_int_eq(cairn_checkpoint_parse(body, blen, &cp), 0);
	ck_assert_uint_eq(cp.size, 4);
	ck_assert_int_eq(cairn_note_verify(rnote.p, rnote.len, "test.example/s",
	    pk2.pk, &body, &blen), 0);
	ck_assert_int_eq(cairn_store_note_verify(s, rnote.p, rnote.len, &body,
	    &blen), 0);
	ck_assert_int_eq(cairn_store_keys(s, keys, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_mem_eq(keys[0].pubkey, pk.pk, 32);
	ck_assert_uint_eq(keys[0].first_size, 0);
	ck_assert_uint_eq(keys[0].last_size, 4);
	ck_assert_int_eq(keys[0].rotated_us, cp.time_us);
	ck_assert_mem_eq(keys[1].pubkey, pk2.pk, 32);
	ck_assert_uint_eq(keys[1].first_size, 4);
	ck_assert_uint_eq(keys[1].last_size, UINT64_MAX);
	ck_assert_int_eq(cairn_store_info(s, &in), 0);
	ck_assert_mem_eq(in.pubkey, pk2.pk, 32);

	/* From now on the new key alone; the old is refused, also back. */
	ck_assert_int_eq(cairn_store_checkpoint(s, cairn_seckey_ed25519(sk),
	    NULL), CAIRN_EINVAL);
	e = rotation_ev("rot-2", &pk);
	ck_assert_int_eq(cairn_store_rotate(s, cairn_seckey_ed25519(sk2),
	    cairn_seckey_ed25519(sk), e, &r, &note), CAIRN_EINVAL);
	ck_assert_ptr_nonnull(strstr(cairn_store_errdetail(s), "was once"));
	cairn_event_free(e);
	append1(s, "src", "a5", "u-2", "n");
	ck_assert_int_eq(cairn_store_checkpoint(s, cairn_seckey_ed25519(sk2),
	    &note), 0);
	/* The same tree signed by the retired key alone: not in force. */
	ck_assert_int_eq(cairn_note_verify(note.p, note.len, "test.example/s",
	    pk2.pk, &body, &blen), 0);
	ck_assert_int_eq(cairn_note_sign("test.example/s",
	    cairn_seckey_ed25519(sk), body, blen, &forged), 0);
	ck_assert_int_eq(cairn_store_note_verify(s, forged.p, forged.len, &body,
	    &blen), CAIRN_EBADSIG);

	ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), 0);
	ck_assert_uint_eq(rep.checkpoints, 3);
	ck_assert_int_eq(cairn_store_verify(s, pk.pk, &rep), 0);
	ck_assert_int_eq(cairn_store_verify(s, pk2.pk, &rep), 0);
	ck_assert_int_eq(cairn_store_verify(s, pk3.pk, &rep), CAIRN_ECORRUPT);
	cairn_store_close(s);
	/* The checkpoint file (the newest, by the new key) passes on open. */
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);

	/* A second rotation keeps the first in the history. */
	e = rotation_ev("rot-3", &pk3);
	ck_assert_int_eq(cairn_store_rotate(s, cairn_seckey_ed25519(sk2),
	    cairn_seckey_ed25519(sk3), e, &r, NULL), 0);
	cairn_event_free(e);
	ck_assert_int_eq(cairn_store_keys(s, keys, &n), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(keys[0].last_size, 4);
	ck_assert_uint_eq(keys[1].first_size, 4);
	ck_assert_uint_eq(keys[1].last_size, 6);
	ck_assert_mem_eq(keys[2].pubkey, pk3.pk, 32);
	ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), 0);
	ck_assert_uint_eq(rep.checkpoints, 4);
	cairn_store_close(s);

	/* Forged: the rotation checkpoint replaced by one the new key alone
	 * signs, as someone holding only the new key would make it. */
	{
		uint8_t kb[16];

		note_key(&rnote, pk.pk, kb, &cp);
		ck_assert_int_eq(cairn_note_verify(rnote.p, rnote.len,
		    "test.example/s", pk.pk, &body, &blen), 0);
		forged.len = 0;
		ck_assert_int_eq(cairn_note_sign("test.example/s",
		    cairn_seckey_ed25519(sk2), body, blen, &forged), 0);
		raw_put(dir, "checkpoints", kb, 16, forged.p, forged.len);
		verify_fails(dir, "not signed by the retired key");
		/* Without its rotation checkpoint at all. */
		raw_put(dir, "checkpoints", kb, 16, NULL, 0);
		verify_fails(dir, "has no checkpoint signed by both keys");
		raw_put(dir, "checkpoints", kb, 16, rnote.p, rnote.len);
		ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY,
		    &s), 0);
		ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), 0);
		cairn_store_close(s);
	}
	cairn_buf_free(&note);
	cairn_buf_free(&rnote);
	cairn_buf_free(&forged);
	cairn_seckey_free(sk2);
	cairn_seckey_free(sk3);
}
END_TEST

/* Raw LMDB (test only): deletes database db, and sets the store's format. */
static void
raw_drop(const char *d, const char *db)
{
	MDB_env *env;
	MDB_txn *txn;
	MDB_dbi dbi;

	ck_assert_int_eq(mdb_env_create(&env), 0);
	ck_assert_int_eq(mdb_env_set_maxdbs(env, 10), 0);
	ck_assert_int_eq(mdb_env_open(env, d, MDB_NOTLS, 0600), 0);
	ck_assert_int_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
	ck_assert_int_eq(mdb_dbi_open(txn, db, 0, &dbi), 0);
	ck_assert_int_eq(mdb_drop(txn, dbi, 1), 0);
	ck_assert_int_eq(mdb_txn_commit(txn), 0);
	mdb_env_close(env);
}

static void
set_format(const char *d, uint64_t v)
{
	uint8_t b[8];

	cairn_put_be64(b, v);
	raw_put(d, "meta", "format", 6, b, 8);
}

/*
 * A store of format 1 (everything in by_account, no account_log): a reader
 * takes it as it is; a writer's open turns it into format 2 and goes on
 * with the account_prev chain; a format it does not know is refused, as
 * an older build refuses format 2.
 */
START_TEST(test_format_upgrade)
{
	static const char stop[] = "{\"id\":\"stop-1\",\"type\":\"system.stop\","
	    "\"time\":\"2026-11-29T08:00:00Z\",\"reason\":\"test\"}";
	struct cairn_store_opts o;
	struct cairn_verify_report rep;
	struct cairn_receipt r[4], rs;
	struct cairn_verr err[4];
	struct cairn_entry en;
	cairn_event *e;
	cairn_store *s;
	cairn_iter *it;
	uint64_t got;
	size_t k, nerr;
	json_t *js;
	char id[16];
	int i;

	memset(&o, 0, sizeof o);
	o.account_log_max = 1;
	ck_assert_int_eq(cairn_store_open(dir, &o, 0, &s), 0);
	for (i = 0; i < 3; i++) {
		snprintf(id, sizeof id, "v%d", i);
		r[i] = append1(s, "src", id, "acct-v", "n");
	}
	/* An entry without an account: its batch first merges the log. */
	ck_assert_int_eq(cairn_event_prepare(cat, "src", (const uint8_t *)stop,
	    sizeof stop - 1, CAIRN_EVENT_SYSTEM, &e, err, 4, &nerr), 0);
	ck_assert_int_eq(cairn_store_append(s, &e, 1, &rs, NULL), 0);
	cairn_event_free(e);
	cairn_store_close(s);
	/* What an older build left: no account_log, format 1. */
	raw_drop(dir, "account_log");
	raw_drop(dir, "account_span");
	set_format(dir, 1);
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s), 0);
	ck_assert_int_eq(cairn_iter_account(s, "acct-v", &it), 0);
	for (k = 0; cairn_iter_next(it, &en) == 0; k++)
		ck_assert_uint_eq(en.seq, r[k].seq);
	ck_assert_uint_eq(k, 3);
	cairn_iter_free(it);
	ck_assert_int_eq(cairn_store_account_before(s, "acct-v", UINT64_MAX,
	    &got), 0);
	ck_assert_uint_eq(got, r[2].seq);
	cairn_store_close(s);
	/* A format this build does not know. */
	set_format(dir, 3);
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s),
	    CAIRN_EVERSION);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), CAIRN_EVERSION);
	set_format(dir, 1);
	/* The writer upgrades, and the next entry links to the last one. */
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	r[3] = append1(s, "src", "v3", "acct-v", "n");
	js = entry_json(s, r[3].seq, NULL);
	assert_hex(js, "account_prev", r[2].leaf);
	json_decref(js);
	ck_assert_int_eq(cairn_iter_account(s, "acct-v", &it), 0);
	for (k = 0; cairn_iter_next(it, &en) == 0; k++)
		ck_assert_uint_eq(en.seq, r[k].seq);
	ck_assert_uint_eq(k, 4);
	cairn_iter_free(it);
	ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), 0);
	cairn_store_close(s);
	/* Now format 2: a format 1 mark on a store with the log is refused
	 * by readers (it could only come from tampering). */
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s), 0);
	cairn_store_close(s);
	set_format(dir, 1);
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &s),
	    CAIRN_EVERSION);
}
END_TEST

START_TEST(test_forged_key_history)
{
	struct cairn_buf note = { 0 }, both = { 0 };
	struct cairn_checkpoint cp;
	struct cairn_seckey *evil;
	struct cairn_pubkey epk;
	uint8_t kb[16], rec[48];
	cairn_store *s;

	/*
	 * Someone with write access to the files and a key of their own: the
	 * old key did sign a checkpoint, and they add their signature to it,
	 * record a "rotation" there and make their key the store's.  The log
	 * does not announce their key: verify must fail.
	 */
	ck_assert_int_eq(cairn_key_generate(&evil), 0);
	cairn_seckey_public(evil, &epk);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	append1(s, "src", "b1", "u-1", "n");
	append1(s, "src", "b2", "u-1", "n");
	ck_assert_int_eq(cairn_store_checkpoint(s, cairn_seckey_ed25519(sk),
	    &note), 0);
	cairn_store_close(s);
	note_key(&note, pk.pk, kb, &cp);
	ck_assert_int_eq(cairn_note_cosign("test.example/s",
	    cairn_seckey_ed25519(evil), note.p, note.len, &both), 0);
	raw_put(dir, "checkpoints", kb, 16, both.p, both.len);
	memcpy(rec, pk.pk, 32);
	memcpy(rec + 32, kb, 16);
	raw_put(dir, "meta", "key_history", strlen("key_history"), rec, 48);
	raw_put(dir, "meta", "pubkey", strlen("pubkey"), epk.pk, 32);
	verify_fails(dir, "not a system.key_rotated event");
	/* A history that is not a whole number of records. */
	raw_put(dir, "meta", "key_history", strlen("key_history"), rec, 47);
	verify_fails(dir, "key history is malformed");
	cairn_buf_free(&note);
	cairn_buf_free(&both);
	cairn_seckey_free(evil);
}
END_TEST

START_TEST(test_writer_lock)
{
	cairn_store *s, *s2, *r;

	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s2), CAIRN_ELOCKED);
	ck_assert_ptr_nonnull(strstr(cairn_store_errdetail(NULL), "another process"));
	/* LMDB forbids one environment open twice in a process: close first. */
	cairn_store_close(s);
	ck_assert_int_eq(cairn_store_open(dir, NULL, CAIRN_STORE_RDONLY, &r), 0);
	{
		cairn_event *e = ev("s", "x", "u", "n");
		struct cairn_receipt rc;

		ck_assert_int_eq(cairn_store_append(r, &e, 1, &rc, NULL),
		    CAIRN_ERDONLY);
		cairn_event_free(e);
	}
	cairn_store_close(r);
	ck_assert_int_eq(cairn_store_open(dir, NULL, 0, &s), 0);
	cairn_store_close(s);
}
END_TEST

START_TEST(test_map_grow_and_ceiling)
{
	struct cairn_store_opts o = { 0 };
	struct cairn_verify_report rep;
	struct cairn_receipt r[50];
	cairn_event *e[50];
	cairn_store *s;
	char id[32], note[200];
	uint64_t before, after;
	int i, b, rc = 0;

	/* Starts with a tiny map: appends must grow it and carry on. */
	o.map_size = 64 * 1024;
	o.max_size = 4 * 1024 * 1024;
	ck_assert_int_eq(cairn_store_open(dir, &o, 0, &s), 0);
	memset(note, 'x', sizeof note - 1);
	note[sizeof note - 1] = 0;
	for (b = 0; b < 1000 && rc == 0; b++) {
		for (i = 0; i < 50; i++) {
			snprintf(id, sizeof id, "g%d-%d", b, i);
			e[i] = ev("src", id, "u-1", note);
		}
		ck_assert_int_eq(cairn_store_size(s, &before), 0);
		rc = cairn_store_append(s, e, 50, r, NULL);
		ck_assert_int_eq(cairn_store_size(s, &after), 0);
		if (rc == 0)
			ck_assert_uint_eq(after, before + 50);
		else	/* Refused at the ceiling: nothing of the batch stored. */
			ck_assert_uint_eq(after, before);
		for (i = 0; i < 50; i++)
			cairn_event_free(e[i]);
	}
	ck_assert_int_eq(rc, CAIRN_EFULL);
	ck_assert_uint_gt(after, 1000);	/* it grew well past 64 KiB */
	ck_assert_ptr_nonnull(strstr(cairn_store_errdetail(s), "ceiling"));
	ck_assert_int_eq(cairn_store_verify(s, NULL, &rep), 0);
	ck_assert_uint_eq(rep.entries, after);
	cairn_store_close(s);
}
END_TEST

START_TEST(test_foreign_file)
{
	char path[300], buf[16];
	cairn_store *s;
	int fd;

	snprintf(path, sizeof path, "%s.foreign", dir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	snprintf(path, sizeof path, "%s.foreign/data.mdb", dir);
	fd = open(path, O_WRONLY | O_CREAT, 0600);
	ck_assert_int_ge(fd, 0);
	for (int i = 0; i < 2000; i++)
		ck_assert_int_eq(write(fd, "not a store\n", 12), 12);
	close(fd);
	snprintf(path, sizeof path, "%s.foreign", dir);
	ck_assert_int_ne(cairn_store_open(path, NULL, 0, &s), 0);
	ck_assert_int_ne(cairn_store_open(path, NULL, CAIRN_STORE_RDONLY, &s), 0);
	/* Never overwritten. */
	snprintf(path, sizeof path, "%s.foreign/data.mdb", dir);
	fd = open(path, O_RDONLY);
	ck_assert_int_eq(read(fd, buf, 12), 12);
	close(fd);
	ck_assert_mem_eq(buf, "not a store\n", 12);
	snprintf(path, sizeof path, "%s.nothing", dir);
	ck_assert_int_eq(cairn_store_open(path, NULL, 0, &s), CAIRN_ENOTFOUND);
}
END_TEST

static Suite *
suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_receipts_and_chains);
	tcase_add_test(tc, test_resend);
	tcase_add_test(tc, test_account_log);
	tcase_add_test(tc, test_format_upgrade);
	tcase_add_test(tc, test_validation);
	tcase_add_test(tc, test_iterators);
	tcase_add_test(tc, test_iter_seek);
	tcase_add_test(tc, test_iter_ahead);
	tcase_add_test(tc, test_iter_direct);
	tcase_add_test(tc, test_proofs);
	tcase_add_test(tc, test_checkpoint_and_verify);
	tcase_add_test(tc, test_key_rotation);
	tcase_add_test(tc, test_forged_key_history);
	tcase_add_test(tc, test_writer_lock);
	tcase_add_test(tc, test_map_grow_and_ceiling);
	tcase_add_test(tc, test_foreign_file);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	if (sodium_init() < 0)
		return EXIT_FAILURE;
	return check_run(suite());
}
