/*
 * http_query.c: cairnd's query endpoints (cairnd(8), QUERIES):
 *   GET /v1/accounts/{id}/events   an account's history, chain-checked
 *   GET /v1/entries                by stream, type and time received
 *   GET /v1/entries/{seq}          one entry
 *   GET /v1/entries/{seq}/proof    its inclusion proof
 *   GET /v1/consistency            a consistency proof
 *   POST /v1/accounts/{id}/queried the CLI's self-audit (local socket)
 *   POST /v1/accounts/{id}/history cairn history through cairnd (local)
 * Entries have the JSON shape of `cairn history --json` (rows.h).  Pages
 * are bounded twice: by limit (entries shown) and by SCAN_MAX (entries
 * read), and the opaque cursor in "next" resumes after the last entry
 * read, so a query never holds a read transaction for long and a client
 * sees every entry exactly once however many arrive meanwhile.
 */
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cairnd.h"
#include "catalog.h"
#include "cjson.h"
#include "http.h"
#include "jarena.h"
#include "merkle.h"
#include "note.h"
#include "rows.h"

#define PAGE_DEFAULT	100
#define PAGE_MAX	1000
#define SCAN_MAX	10000	/* entries one request reads at most */
#define ACCOUNT_MAX	128	/* schemas/catalog.json, account_id */

/* An HTTP status, with an error body in out. */
static unsigned
fail(struct cairn_buf *out, unsigned status, const char *error,
    const char *msg)
{
	out->len = 0;
	if (cairn_buf_adds(out, "{\"error\":") != 0 ||
	    cairn_cjson_add_string(out, error, strlen(error)) != 0 ||
	    cairn_buf_adds(out, ",\"message\":") != 0 ||
	    cairn_cjson_add_string(out, msg, strlen(msg)) != 0 ||
	    cairn_buf_adds(out, "}") != 0)
		return 0;
	return status;
}

/* A decimal u64, nothing else. */
static int
parse_u64(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

/* A query time; a '+' of an offset that arrived unencoded (and so was
 * decoded as a space, as HTML forms encode it) is taken as a '+'. */
static int
qtime(const char *v, int64_t *us)
{
	char buf[64], *sp;

	if (strlen(v) >= sizeof buf)
		return -1;
	memcpy(buf, v, strlen(v) + 1);
	if ((sp = strchr(buf, ' ')) != NULL && sp > buf + 10)
		*sp = '+';
	return cairn_query_time(buf, us);
}

/* The common parameters: since, until, stream, type, limit.  0, or an
 * HTTP status with the error in out. */
static unsigned
params(const struct http_qctx *q, struct cairn_filter *f, uint64_t *limit,
    struct cairn_buf *out)
{
	const char *v;
	int i;

	cairn_filter_init(f);
	if ((v = q->arg(q->argctx, "since")) != NULL &&
	    qtime(v, &f->since) != 0)
		return fail(out, 400, "bad request", "since: an RFC 3339 time or "
		    "a date YYYY-MM-DD");
	if ((v = q->arg(q->argctx, "until")) != NULL &&
	    qtime(v, &f->until) != 0)
		return fail(out, 400, "bad request", "until: an RFC 3339 time or "
		    "a date YYYY-MM-DD");
	if (f->since >= f->until)
		return fail(out, 400, "bad request", "since must be before until");
	if ((v = q->arg(q->argctx, "stream")) != NULL) {
		for (i = 0; i < CAIRN_NSTREAMS; i++)
			if (strcmp(v, cairn_stream_names[i]) == 0)
				f->stream = cairn_stream_names[i];
		if (f->stream == NULL)
			return fail(out, 400, "bad request", "stream: one of "
			    "realname, takedown, screening, account, labeling, "
			    "system, other");
	}
	if ((v = q->arg(q->argctx, "type")) != NULL) {
		if (cairn_catalog_stream(cairnd.cat, v) == NULL)
			return fail(out, 400, "bad request", "type: no such event "
			    "type");
		f->type = v;
	}
	*limit = PAGE_DEFAULT;
	if ((v = q->arg(q->argctx, "limit")) != NULL &&
	    (parse_u64(v, strlen(v), limit) != 0 || *limit == 0 ||
	    *limit > PAGE_MAX))
		return fail(out, 400, "bad request", "limit: 1 to 1000");
	return 0;
}

/* Records system.account_queried; 0 or an errno/CAIRN_E* code. */
static int
audit(const char *account, const char *who, const char *key,
    const char *what)
{
	json_t *j;
	char *txt;
	int rc;

	j = json_pack("{s:s, s:s, s:s}", "account", account, "token", who, key,
	    what);
	if (j == NULL || (txt = json_dumps(j, JSON_COMPACT)) == NULL) {
		json_decref(j);
		return CAIRN_ENOMEM;
	}
	json_decref(j);
	rc = writer_system_event(cairnd.writer, "system.account_queried", txt);
	cairn_json_free(txt);
	return rc;
}

/* Ends a list: ],"next":cursor or null. */
static int
add_next(struct cairn_buf *out, const char *cursor)
{
	if (cursor == NULL)
		return cairn_buf_adds(out, "],\"next\":null");
	return cairn_buf_printf(out, "],\"next\":\"%s\"", cursor);
}

/* GET /v1/accounts/{id}/events */
static unsigned
account_events(const struct http_qctx *q, const char *account,
    struct cairn_buf *out)
{
	struct cairn_filter f;
	struct cairn_hist h;
	const struct cairn_entry *e;
	const struct cairn_row *r;
	const char *cur;
	char next[32];
	size_t mark = 0;
	uint64_t limit, cseq = 0, shown = 0, scanned = 0;
	unsigned status;
	int rc, brc = 0, parsed, check, more = 0, last = 0, ncheck;

	if ((status = params(q, &f, &limit, out)) != 0)
		return status;
	if ((cur = q->arg(q->argctx, "cursor")) != NULL &&
	    (cur[0] != 'a' || parse_u64(cur + 1, strlen(cur + 1), &cseq) != 0))
		return fail(out, 400, "bad request", "cursor: give the \"next\" "
		    "of the previous page");
	/* Recorded before anything is read; unrecorded, nothing is shown. */
	if ((rc = audit(account, q->who, "endpoint",
	    "GET /v1/accounts/{id}/events")) != 0)
		return fail(out, 503, "unavailable", "the query could not be "
		    "recorded (system.account_queried); nothing is shown");
	/* Resuming: the chain goes on from the cursor's entry, not shown.
	 * Each entry's bytes are proven by the next one's link, the page's
	 * last by its stored leaf (rows.h, cairn_hist). */
	if ((rc = cairn_hist_open(&h, cairnd.store, account,
	    cur != NULL ? &cseq : NULL)) != 0)
		return rc == CAIRN_ENOTFOUND ? fail(out, 400, "bad request",
		    "cursor: not an entry of this account") :
		    fail(out, 500, "internal", cairn_strerror(rc));
	out->len = 0;
	brc |= cairn_buf_adds(out, "{\"account\":");
	brc |= cairn_cjson_add_string(out, account, strlen(account));
	brc |= cairn_buf_adds(out, ",\"entries\":[");
	while (brc == 0 && shown < limit && scanned < SCAN_MAX &&
	    (rc = cairn_hist_next(&h, &e, &r, &parsed, &check)) == 0) {
		scanned++;
		if (check == CAIRN_ROW_OK && !cairn_row_match(r, &f)) {
			last = 0;
			continue;
		}
		mark = out->len;
		if (shown++ > 0)
			brc |= cairn_buf_addc(out, ',');
		brc |= cairn_row_json(out, e, parsed ? r : NULL, check, NULL);
		last = 1;
	}
	if (brc == 0 && (shown == limit || scanned == SCAN_MAX))
		more = 1;
	else if (brc == 0 && rc != CAIRN_ENOTFOUND) {
		cairn_hist_close(&h);
		return fail(out, 500, "internal", cairn_strerror(rc));
	}
	/* Stopping before the end: the entry last read is proven by its
	 * stored leaf (an altered one is always shown). */
	if (brc == 0 && more) {
		if ((rc = cairn_hist_confirm(&h, &ncheck)) != 0) {
			cairn_hist_close(&h);
			return fail(out, 500, "internal", cairn_strerror(rc));
		}
		if (ncheck != check) {
			if (last) {
				out->len = mark;	/* shown again */
				shown--;
			}
			if (shown++ > 0)
				brc |= cairn_buf_addc(out, ',');
			brc |= cairn_row_json(out, e, parsed ? r : NULL, ncheck,
			    NULL);
		}
	}
	snprintf(next, sizeof next, "a%llu", (unsigned long long)h.ch.last_seq);
	cairn_hist_close(&h);
	if (brc != 0)
		return 0;
	brc |= add_next(out, more ? next : NULL);
	brc |= cairn_buf_printf(out, ",\"note\":\"%s\",\"problems\":%llu}",
	    more ? "more entries may follow: ask for next" :
	    "entries after the last one are not proven absent",
	    (unsigned long long)h.ch.bad);
	return brc ? 0 : 200;
}

/* GET /v1/entries: by stream (all, merged by seq), type, time received. */
static unsigned
entries(const struct http_qctx *q, struct cairn_buf *out)
{
	const struct cairn_entry *e;
	struct cairn_filter f;
	struct cairn_merge m;
	struct cairn_row r;
	const char *cur, *dot;
	char next[64];
	uint64_t limit, shown = 0, scanned = 0, cseq = 0, last = 0, lrecv = 0;
	unsigned status;
	int rc, brc = 0, parsed, check, more = 0;

	if ((status = params(q, &f, &limit, out)) != 0)
		return status;
	if ((cur = q->arg(q->argctx, "cursor")) != NULL) {
		dot = strchr(cur, '.');
		if (cur[0] != 't' || dot == NULL ||
		    parse_u64(cur + 1, (size_t)(dot - cur - 1), &lrecv) != 0 ||
		    lrecv > INT64_MAX ||
		    parse_u64(dot + 1, strlen(dot + 1), &cseq) != 0 ||
		    cseq == UINT64_MAX)
			return fail(out, 400, "bad request", "cursor: give the "
			    "\"next\" of the previous page");
	}
	if ((rc = cairn_merge_open(&m, cairnd.store, f.stream ? f.stream :
	    f.type ? cairn_catalog_stream(cairnd.cat, f.type) : NULL,
	    f.since, f.until)) != 0)
		return fail(out, 500, "internal", cairn_strerror(rc));
	if (cur != NULL && (rc = cairn_merge_after(&m, cseq,
	    (int64_t)lrecv)) != 0) {
		cairn_merge_close(&m);
		return fail(out, 500, "internal", cairn_strerror(rc));
	}
	out->len = 0;
	brc |= cairn_buf_adds(out, "{\"entries\":[");
	lrecv = 0;
	while (brc == 0) {
		if (shown == limit || scanned == SCAN_MAX) {
			more = 1;
			break;
		}
		if ((rc = cairn_merge_next(&m, &e)) != 0)
			break;
		scanned++;
		parsed = cairn_row_parse(e->data, e->len, &r) == 0;
		check = !e->intact ? CAIRN_ROW_ALTERED : !parsed ?
		    CAIRN_ROW_UNREADABLE : CAIRN_ROW_OK;
		last = e->seq;
		if (parsed)
			lrecv = (uint64_t)r.received_us;
		if (check != CAIRN_ROW_OK || cairn_row_match(&r, &f)) {
			if (shown++ > 0)
				brc |= cairn_buf_addc(out, ',');
			brc |= cairn_row_json(out, e, parsed ? &r : NULL, check,
			    NULL);
		}
	}
	cairn_merge_close(&m);
	if (brc != 0)
		return 0;
	if (!more && rc != CAIRN_ENOTFOUND)
		return fail(out, 500, "internal", cairn_strerror(rc));
	snprintf(next, sizeof next, "t%llu.%llu", (unsigned long long)lrecv,
	    (unsigned long long)last);
	brc |= add_next(out, more ? next : NULL);
	brc |= cairn_buf_adds(out, "}");
	return brc ? 0 : 200;
}

/* GET /v1/entries/{seq} and /v1/entries/{seq}/proof */
static unsigned
entry(const struct http_qctx *q, uint64_t seq, int proof, struct cairn_buf *out)
{
	uint8_t path[CAIRN_MAX_PROOF][CAIRN_HASH_LEN], root[CAIRN_HASH_LEN];
	struct cairn_buf b = { 0 };
	struct cairn_entry e;
	struct cairn_row r;
	const char *v;
	uint64_t size, cur;
	size_t n;
	int rc, parsed;

	rc = cairn_store_get(cairnd.store, seq, &b, &e);
	if (rc == CAIRN_ENOTFOUND) {
		cairn_buf_free(&b);
		return fail(out, 404, "not found", "no entry with this seq");
	}
	if (rc != 0 && rc != CAIRN_ECORRUPT) {
		cairn_buf_free(&b);
		return fail(out, 500, "internal", cairn_strerror(rc));
	}
	parsed = cairn_row_parse(e.data, e.len, &r) == 0;
	/* An ingest token may have proofs of the entries it sent, only. */
	if (!(q->roles & ROLE_QUERY) && (!proof || !parsed ||
	    !cairn_span_eq(&r.source, q->who))) {
		cairn_buf_free(&b);
		return fail(out, 403, "forbidden", proof ? "an ingest token may "
		    "have proofs of its own entries only" : "the token lacks the "
		    "query role");
	}
	out->len = 0;
	if (!proof) {
		rc = cairn_row_json(out, &e, parsed ? &r : NULL, !e.intact ?
		    CAIRN_ROW_ALTERED : parsed ? CAIRN_ROW_OK :
		    CAIRN_ROW_UNREADABLE, NULL);
		cairn_buf_free(&b);
		return rc ? 0 : 200;
	}
	if ((rc = cairn_store_size(cairnd.store, &cur)) != 0) {
		cairn_buf_free(&b);
		return fail(out, 500, "internal", cairn_strerror(rc));
	}
	if ((v = q->arg(q->argctx, "size")) != NULL) {
		if (parse_u64(v, strlen(v), &size) != 0 || size <= seq ||
		    size > cur) {
			cairn_buf_free(&b);
			return fail(out, 400, "bad request", "size: a tree size "
			    "above seq and at most the current size");
		}
	} else if (cairn_checkpoint_size(cairnd.store, &size) != 0 ||
	    size <= seq)
		size = cur;	/* no checkpoint covers it yet */
	if ((rc = cairn_store_inclusion(cairnd.store, seq, size, path, &n)) != 0 ||
	    (rc = cairn_store_root(cairnd.store, size, root)) != 0) {
		cairn_buf_free(&b);
		return fail(out, 500, "internal", cairn_strerror(rc));
	}
	/* Never hand out a proof that does not verify here. */
	if (cairn_merkle_verify_inclusion(e.stored, seq, size,
	    (const uint8_t (*)[CAIRN_HASH_LEN])path, n, root) != 0) {
		cairn_buf_free(&b);
		return fail(out, 500, "internal", "the proof does not verify: "
		    "the store needs cairn verify");
	}
	rc = cairn_proof_inclusion_json(out, seq, size, e.stored, root,
	    (const uint8_t (*)[CAIRN_HASH_LEN])path, n);
	cairn_buf_free(&b);
	return rc ? 0 : 200;
}

/* GET /v1/consistency?old=&new= */
static unsigned
consistency(const struct http_qctx *q, struct cairn_buf *out)
{
	uint8_t path[CAIRN_MAX_PROOF][CAIRN_HASH_LEN];
	uint8_t r1[CAIRN_HASH_LEN], r2[CAIRN_HASH_LEN];
	const char *o = q->arg(q->argctx, "old"), *n = q->arg(q->argctx, "new");
	uint64_t old, new, size;
	size_t np;
	int rc;

	if ((rc = cairn_store_size(cairnd.store, &size)) != 0)
		return fail(out, 500, "internal", cairn_strerror(rc));
	if (o == NULL || n == NULL || parse_u64(o, strlen(o), &old) != 0 ||
	    parse_u64(n, strlen(n), &new) != 0 || old > new || new > size)
		return fail(out, 400, "bad request", "give old and new tree sizes, "
		    "old <= new <= the current size");
	if ((rc = cairn_store_consistency(cairnd.store, old, new, path,
	    &np)) != 0 || (rc = cairn_store_root(cairnd.store, old, r1)) != 0 ||
	    (rc = cairn_store_root(cairnd.store, new, r2)) != 0)
		return fail(out, 500, "internal", cairn_strerror(rc));
	out->len = 0;
	return cairn_proof_consistency_json(out, old, new, r1, r2,
	    (const uint8_t (*)[CAIRN_HASH_LEN])path, np) ? 0 : 200;
}

/* The {id} of /v1/accounts/{id}/<suffix> (MHD has URL-decoded the path;
 * the suffix is stripped from the end, so an id may hold a '/'). */
static int
account_id(const char *url, const char *suffix, char *id, size_t cap)
{
	const char *p = url + strlen("/v1/accounts/");
	size_t n = strlen(p), sl = strlen(suffix);

	if (n <= sl || strcmp(p + n - sl, suffix) != 0 || n - sl >= cap ||
	    n - sl > ACCOUNT_MAX)
		return -1;
	memcpy(id, p, n - sl);
	id[n - sl] = '\0';
	return cairn_utf8_valid((const uint8_t *)id, n - sl) ? 0 : -1;
}

unsigned
http_query(const char *url, const struct http_qctx *q, struct cairn_buf *out)
{
	char id[ACCOUNT_MAX + 1];
	const char *p, *cmd;
	uint64_t seq;
	size_t n;

	if (strncmp(url, "/v1/accounts/", 13) == 0) {
		if (account_id(url, q->post ? "/queried" : "/events", id,
		    sizeof id) != 0)
			return fail(out, 404, "not found", q->post ?
			    "POST /v1/accounts/{id}/queried" :
			    "GET /v1/accounts/{id}/events, id 1 to 128 bytes");
		if (!q->post)
			return account_events(q, id, out);
		/* The CLI's self-audit (cairn history while cairnd runs). */
		cmd = q->arg(q->argctx, "command");
		if (cmd == NULL || *cmd == '\0' || strlen(cmd) > 256)
			return fail(out, 400, "bad request", "command: 1 to 256 "
			    "bytes");
		if (audit(id, q->who, "command", cmd) != 0)
			return fail(out, 503, "unavailable", "the query could not "
			    "be recorded");
		out->len = 0;
		return cairn_buf_adds(out, "{\"recorded\":true}") ? 0 : 200;
	}
	if (q->post)
		return fail(out, 404, "not found", "no such endpoint");
	if (strcmp(url, "/v1/consistency") == 0)
		return consistency(q, out);
	if (strcmp(url, "/v1/entries") == 0) {
		if (!(q->roles & ROLE_QUERY))
			return fail(out, 403, "forbidden", "the token lacks the "
			    "query role");
		return entries(q, out);
	}
	if (strncmp(url, "/v1/entries/", 12) != 0)
		return fail(out, 404, "not found", "no such endpoint");
	p = url + 12;
	n = strcspn(p, "/");
	if (parse_u64(p, n, &seq) != 0 || (p[n] != '\0' &&
	    strcmp(p + n, "/proof") != 0))
		return fail(out, p[n] == '\0' || strcmp(p + n, "/proof") == 0 ?
		    400 : 404, p[n] == '\0' || strcmp(p + n, "/proof") == 0 ?
		    "bad request" : "not found", "GET /v1/entries/{seq}[/proof], "
		    "seq a decimal integer");
	return entry(q, seq, p[n] != '\0', out);
}

/*
 * POST /v1/accounts/{id}/history, on the local socket only: `cairn
 * history` while cairnd runs.  cairnd's map of the store is warm, a new
 * process's is not (on a large store the CLI spent most of its time
 * faulting in pages), so the CLI asks cairnd for the account's entries,
 * each re-hashed and link-checked here as in account_events, and renders
 * them itself.  The body is a stream of frames (rows.h, CAIRN_HIST_*),
 * written as the client reads, so memory stays flat however long the history.
 */
struct http_hist {
	struct cairn_hist	 h;
	char			 account[ACCOUNT_MAX + 1];
	struct cairn_buf	 pend;		/* frames not yet sent */
	size_t			 off;		/* of pend, sent */
	int			 done;
};

unsigned
http_history_open(const char *url, const struct http_qctx *q,
    struct http_hist **out, struct cairn_buf *err)
{
	struct http_hist *hh;
	const char *cmd;
	int rc;

	*out = NULL;
	if ((hh = calloc(1, sizeof *hh)) == NULL)
		return 0;
	if (account_id(url, "/history", hh->account, sizeof hh->account) != 0) {
		free(hh);
		return fail(err, 404, "not found", "POST /v1/accounts/{id}/"
		    "history, id 1 to 128 bytes");
	}
	cmd = q->arg(q->argctx, "command");
	if (cmd == NULL || *cmd == '\0' || strlen(cmd) > 256) {
		free(hh);
		return fail(err, 400, "bad request", "command: 1 to 256 bytes");
	}
	/* Recorded before anything is read; unrecorded, nothing is shown. */
	if (audit(hh->account, q->who, "command", cmd) != 0) {
		free(hh);
		return fail(err, 503, "unavailable", "the query could not be "
		    "recorded (system.account_queried); nothing is shown");
	}
	if ((rc = cairn_hist_open(&hh->h, cairnd.store, hh->account,
	    NULL)) != 0) {
		free(hh);
		return fail(err, 500, "internal", cairn_strerror(rc));
	}
	/* A long history is read on two threads (cairn_iter_ahead). */
	(void)cairn_iter_ahead(hh->h.it);
	*out = hh;
	return 200;
}

/* Appends the frame of one entry with the row parsed here, or the end
 * frame (e NULL). */
static int
hist_frame(struct http_hist *hh, const struct cairn_entry *e,
    const struct cairn_row *r, int parsed, int check)
{
	static const struct cairn_row none;
	uint8_t *p;
	size_t n = e != NULL ? CAIRN_HIST_SROW_HEAD + e->len :
	    CAIRN_HIST_END_LEN;

	if (e != NULL && e->len > UINT32_MAX - 1)
		return CAIRN_ENOMEM;
	if (cairn_buf_reserve(&hh->pend, n) != 0)
		return CAIRN_ENOMEM;
	p = hh->pend.p + hh->pend.len;
	if (e == NULL) {
		p[0] = CAIRN_HIST_END;
		cairn_put_be64(p + 1, hh->h.ch.n);
		cairn_put_be64(p + 9, hh->h.first_seq);
		cairn_put_be64(p + 17, hh->h.ch.last_seq);
		cairn_put_be64(p + 25, hh->h.ch.bad);
	} else {
		p[0] = CAIRN_HIST_SROW;
		p[1] = (uint8_t)check;
		p[2] = (uint8_t)(e->intact == 1);
		cairn_put_be64(p + 3, e->seq);
		memcpy(p + 11, e->leaf, CAIRN_HASH_LEN);
		memcpy(p + 43, e->stored, CAIRN_HASH_LEN);
		cairn_put_be32(p + 75, (uint32_t)e->len);
		p[CAIRN_HIST_ROW_HEAD] = (uint8_t)(parsed != 0);
		cairn_row_spans_put(p + CAIRN_HIST_ROW_HEAD + 1,
		    parsed ? r : &none, e->data);
		memcpy(p + CAIRN_HIST_SROW_HEAD, e->data, e->len);
	}
	hh->pend.len += n;
	return 0;
}

ssize_t
http_history_read(struct http_hist *hh, uint8_t *buf, size_t max)
{
	const struct cairn_entry *e;
	const struct cairn_row *r;
	size_t n;
	int rc, parsed, check;

	if (hh->off == hh->pend.len) {
		hh->off = hh->pend.len = 0;
		/* About 64 kB of frames at a time. */
		while (!hh->done && hh->pend.len < 65536) {
			rc = cairn_hist_next(&hh->h, &e, &r, &parsed, &check);
			if (rc == CAIRN_ENOTFOUND) {
				hh->done = 1;
				rc = hist_frame(hh, NULL, NULL, 0, 0);
			} else if (rc == 0)
				rc = hist_frame(hh, e, r, parsed, check);
			/* Cut short: the client sees no end frame. */
			if (rc != 0)
				return -1;
		}
	}
	n = hh->pend.len - hh->off;
	if (n > max)
		n = max;
	memcpy(buf, hh->pend.p + hh->off, n);
	hh->off += n;
	return (ssize_t)n;
}

void
http_history_free(struct http_hist *hh)
{
	if (hh == NULL)
		return;
	cairn_hist_close(&hh->h);
	cairn_buf_free(&hh->pend);
	free(hh);
}
