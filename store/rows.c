/*
 * rows.c: rows, filters, the account chain check and the JSON of entries
 * and proofs for queries; and the offline check of query output.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cjson.h"
#include "merkle.h"
#include "rows.h"
#include "rfc3339.h"
#include "util.h"

static const uint8_t zero32[CAIRN_HASH_LEN];

const char *
cairn_row_check_name(int check)
{
	static const char *const names[] = { "ok", "altered", "gap", "foreign",
	    "unreadable" };

	if (check < 0 || check > CAIRN_ROW_UNREADABLE)
		return "unreadable";
	return names[check];
}

/* A raw JSON value into a span: a string loses its quotes. */
static void
span(struct cairn_span *s, const uint8_t *v, size_t n)
{
	if (v == NULL) {
		s->p = NULL;
		s->n = 0;
	} else if (n >= 2 && v[0] == '"' && v[n - 1] == '"') {
		s->p = (const char *)v + 1;
		s->n = n - 2;
	} else {
		s->p = (const char *)v;
		s->n = n;
	}
}

int
cairn_row_parse(const uint8_t *p, size_t n, struct cairn_row *r)
{
	/* Both key lists in bytewise order (cairn_cjson_members). */
	static const char *const top[] = { "account_prev", "event", "received",
	    "seq", "source", "stream" };
	static const char *const ev[] = { "account", "action", "clause",
	    "decision", "outcome", "result", "time", "type" };
	const uint8_t *v[8];
	size_t vn[8], i;
	uint64_t seq = 0;
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = cairn_cjson_members(p, n, top, 6, v, vn)) != 0)
		return CAIRN_EJSON;
	if (v[1] == NULL || vn[1] < 2 || v[1][0] != '{' || v[2] == NULL ||
	    v[3] == NULL || v[5] == NULL)
		return CAIRN_EJSON;
	span(&r->account_prev, v[0], vn[0]);
	r->event.p = (const char *)v[1];
	r->event.n = vn[1];
	span(&r->received, v[2], vn[2]);
	span(&r->source, v[4], vn[4]);
	span(&r->stream, v[5], vn[5]);
	if (vn[3] == 0 || vn[3] > 20)
		return CAIRN_EJSON;
	for (i = 0; i < vn[3]; i++) {
		if (v[3][i] < '0' || v[3][i] > '9' ||
		    seq > (UINT64_MAX - 9) / 10)
			return CAIRN_EJSON;
		seq = seq * 10 + (uint64_t)(v[3][i] - '0');
	}
	r->seq = seq;
	if (cairn_rfc3339_parse(r->received.p, r->received.n, &r->received_us,
	    NULL) != 0)
		return CAIRN_EJSON;
	if (cairn_cjson_members(v[1], vn[1], ev, 8, v, vn) != 0)
		return CAIRN_EJSON;
	span(&r->account, v[0], vn[0]);
	span(&r->clause, v[2], vn[2]);
	for (i = 0; i < 4; i++) {
		/* outcome, action, decision, result: the first present. */
		static const int order[] = { 4, 1, 3, 5 };

		if (v[order[i]] != NULL) {
			span(&r->outcome, v[order[i]], vn[order[i]]);
			break;
		}
	}
	span(&r->time, v[6], vn[6]);
	span(&r->type, v[7], vn[7]);
	return 0;
}

/* The row's spans in the order of struct cairn_row. */
static void
row_spans(struct cairn_row *r, struct cairn_span *sp[CAIRN_ROW_NSPANS])
{
	sp[0] = &r->account_prev;
	sp[1] = &r->received;
	sp[2] = &r->source;
	sp[3] = &r->stream;
	sp[4] = &r->event;
	sp[5] = &r->account;
	sp[6] = &r->clause;
	sp[7] = &r->outcome;
	sp[8] = &r->time;
	sp[9] = &r->type;
}

void
cairn_row_spans_put(uint8_t *p, const struct cairn_row *r,
    const uint8_t *data)
{
	struct cairn_span *sp[CAIRN_ROW_NSPANS];
	uint64_t off;
	int i;

	row_spans((struct cairn_row *)(uintptr_t)r, sp);
	for (i = 0; i < CAIRN_ROW_NSPANS; i++, p += 8) {
		off = sp[i]->p == NULL ? UINT32_MAX :
		    (uint64_t)((const uint8_t *)sp[i]->p - data);
		cairn_put_be32(p, (uint32_t)off);
		cairn_put_be32(p + 4, sp[i]->p == NULL ? 0 :
		    (uint32_t)sp[i]->n);
	}
	cairn_put_be64(p, (uint64_t)r->received_us);
	cairn_put_be64(p + 8, r->seq);
}

int
cairn_row_spans_get(const uint8_t *p, const uint8_t *data, size_t len,
    struct cairn_row *r)
{
	struct cairn_span *sp[CAIRN_ROW_NSPANS];
	uint32_t off, n;
	int i;

	memset(r, 0, sizeof *r);
	row_spans(r, sp);
	for (i = 0; i < CAIRN_ROW_NSPANS; i++, p += 8) {
		off = cairn_get_be32(p);
		n = cairn_get_be32(p + 4);
		if (off == UINT32_MAX && n == 0)
			continue;
		if (off > len || n > len - off) {
			memset(r, 0, sizeof *r);
			return CAIRN_EINVAL;
		}
		sp[i]->p = (const char *)data + off;
		sp[i]->n = n;
	}
	r->received_us = (int64_t)cairn_get_be64(p);
	r->seq = cairn_get_be64(p + 8);
	return 0;
}

int
cairn_span_eq(const struct cairn_span *s, const char *want)
{
	struct cairn_buf b = { 0 };
	json_t *j;
	const char *str;
	size_t n = strlen(want);
	int eq;

	if (s->p == NULL)
		return 0;
	if (memchr(s->p, '\\', s->n) == NULL)
		return s->n == n && memcmp(s->p, want, n) == 0;
	/* Escapes (rare): decode the string literal. */
	if (cairn_buf_addc(&b, '"') != 0 || cairn_buf_add(&b, s->p, s->n) != 0 ||
	    cairn_buf_addc(&b, '"') != 0 ||
	    cairn_json_parse(b.p, b.len, &j, NULL, 0) != 0) {
		cairn_buf_free(&b);
		return 0;
	}
	cairn_buf_free(&b);
	str = json_string_value(j);
	eq = str != NULL && json_string_length(j) == n &&
	    memcmp(str, want, n) == 0;
	json_decref(j);
	return eq;
}

void
cairn_filter_init(struct cairn_filter *f)
{
	memset(f, 0, sizeof *f);
	f->since = INT64_MIN;
	f->until = INT64_MAX;
}

int
cairn_row_match(const struct cairn_row *r, const struct cairn_filter *f)
{
	struct cairn_span s;
	const uint8_t *v;
	size_t i, vn;

	if (r->received_us < f->since || r->received_us >= f->until)
		return 0;
	if (f->stream != NULL && !cairn_span_eq(&r->stream, f->stream))
		return 0;
	if (f->type != NULL && !cairn_span_eq(&r->type, f->type))
		return 0;
	for (i = 0; i < f->nfields; i++) {
		if (cairn_cjson_member((const uint8_t *)r->event.p, r->event.n,
		    f->name[i], &v, &vn) != 0)
			return 0;
		if (vn >= 2 && v[0] == '"') {
			span(&s, v, vn);
			if (!cairn_span_eq(&s, f->value[i]))
				return 0;
		} else if (vn != strlen(f->value[i]) ||
		    memcmp(v, f->value[i], vn) != 0)
			return 0;
	}
	return 1;
}

int
cairn_query_time(const char *s, int64_t *us)
{
	char buf[40];
	size_t n = strlen(s);

	if (n == 10 && s[4] == '-' && s[7] == '-') {
		snprintf(buf, sizeof buf, "%sT00:00:00Z", s);
		return cairn_rfc3339_parse(buf, strlen(buf), us, NULL);
	}
	return cairn_rfc3339_parse(s, n, us, NULL);
}

void
cairn_chain_init(struct cairn_chain *c)
{
	memset(c, 0, sizeof *c);
}

/* Decodes row r's account_prev into link: 1, or 0 if it has none. */
static int
row_link(const struct cairn_row *r, uint8_t link[CAIRN_HASH_LEN])
{
	return r->account_prev.p != NULL &&
	    r->account_prev.n == CAIRN_HEX_LEN &&
	    cairn_unhex(r->account_prev.p, CAIRN_HEX_LEN, link,
	    CAIRN_HASH_LEN) == 0;
}

/* cairn_chain_step with the entry's link decoded (linked: it has one). */
static int
chain_step(struct cairn_chain *c, const char *account,
    const struct cairn_entry *e, const struct cairn_row *r, int parsed,
    const uint8_t link[CAIRN_HASH_LEN], int linked)
{
	int check = CAIRN_ROW_OK;

	if (!e->intact)
		check = CAIRN_ROW_ALTERED;
	else if (!parsed)
		check = CAIRN_ROW_UNREADABLE;
	else if (!cairn_span_eq(&r->account, account))
		check = CAIRN_ROW_FOREIGN;
	else if (!linked ||
	    memcmp(link, c->n ? c->prev : zero32, CAIRN_HASH_LEN) != 0)
		check = CAIRN_ROW_GAP;
	/* A foreign entry is not part of this account's chain: skip it. */
	if (check != CAIRN_ROW_FOREIGN) {
		memcpy(c->prev, e->stored, CAIRN_HASH_LEN);
		c->n++;
	}
	if (check != CAIRN_ROW_OK)
		c->bad++;
	c->last_seq = e->seq;
	return check;
}

int
cairn_chain_step(struct cairn_chain *c, const char *account,
    const struct cairn_entry *e, const struct cairn_row *r, int parsed)
{
	uint8_t link[CAIRN_HASH_LEN];

	return chain_step(c, account, e, r, parsed, link,
	    parsed && row_link(r, link));
}

enum { HIST_READING, HIST_ENDED };

int
cairn_hist_open(struct cairn_hist *h, cairn_store *s, const char *account,
    const uint64_t *after)
{
	struct cairn_entry e;
	struct cairn_row r;
	int rc;

	memset(h, 0, sizeof *h);
	h->account = account;
	cairn_chain_init(&h->ch);
	if ((rc = cairn_iter_account(s, account, &h->it)) != 0)
		return rc;
	if (after != NULL) {
		/* The chain resumes at that entry's stored leaf. */
		if ((rc = cairn_iter_seek(h->it, *after, 0)) != 0 ||
		    (rc = cairn_iter_next(h->it, &e)) != 0 || e.seq != *after ||
		    cairn_row_parse(e.data, e.len, &r) != 0 ||
		    !cairn_span_eq(&r.account, account)) {
			cairn_iter_free(h->it);
			h->it = NULL;
			return rc == 0 || rc == CAIRN_ENOTFOUND ? CAIRN_ENOTFOUND :
			    rc;
		}
		memcpy(h->ch.prev, e.stored, CAIRN_HASH_LEN);
		h->ch.n = 1;
		h->ch.last_seq = *after;
	}
	cairn_iter_lazy(h->it, 1);
	return 0;
}

/* Reads the stored leaf of slot i's entry: its bytes are now checked. */
static int
hist_exact(struct cairn_hist *h, int i)
{
	struct cairn_entry *e = &h->e[i];
	int rc;

	if (e->intact != -1)
		return 0;
	if ((rc = cairn_iter_leaf(h->it, e->seq, e->stored)) != 0)
		return rc;
	e->intact = sodium_memcmp(e->stored, e->leaf, CAIRN_HASH_LEN) == 0;
	return 0;
}

/* 1 if slot i's entry (parsed) links to leaf by its account_prev. */
static int
links_to(const struct cairn_hist *h, int i, const uint8_t leaf[CAIRN_HASH_LEN])
{
	return h->linked[i] && cairn_span_eq(&h->r[i].account, h->account) &&
	    memcmp(h->link[i], leaf, CAIRN_HASH_LEN) == 0;
}

/* Gives out the held entry, now settled: the chain step makes its check. */
static void
hist_give(struct cairn_hist *h, int held)
{
	uint64_t n = h->ch.n;

	h->check[held] = chain_step(&h->ch, h->account, &h->e[held],
	    &h->r[held], h->parsed[held], h->link[held], h->linked[held]);
	if (n == 0 && h->ch.n == 1)
		h->first_seq = h->e[held].seq;
	h->out = held;
	h->given = 1;
	h->have = 0;
}

int
cairn_hist_next(struct cairn_hist *h, const struct cairn_entry **ep,
    const struct cairn_row **rp, int *parsed, int *check)
{
	struct cairn_entry n;
	int held, slot, rc;

	if (h->it == NULL)
		return CAIRN_EINVAL;
	for (;;) {
		/* The held entry is slot h->out ^ 1 when have is set. */
		held = h->have ? (h->out ^ 1) : -1;
		if (h->state == HIST_ENDED) {
			if (held < 0)
				return CAIRN_ENOTFOUND;
			/* The last entry: its stored leaf is the proof. */
			if ((rc = hist_exact(h, held)) != 0)
				return rc;
			hist_give(h, held);
			break;
		}
		rc = cairn_iter_next(h->it, &n);
		if (rc == CAIRN_ENOTFOUND) {
			h->state = HIST_ENDED;
			continue;
		}
		if (rc != 0)
			return rc;
		/* The new entry goes into the slot not held. */
		slot = held < 0 ? 0 : held ^ 1;
		h->buf[slot].len = 0;
		if (cairn_buf_add(&h->buf[slot], n.data, n.len) != 0)
			return CAIRN_ENOMEM;
		h->e[slot] = n;
		h->e[slot].data = h->buf[slot].p;
		h->parsed[slot] = cairn_row_parse(h->e[slot].data, n.len,
		    &h->r[slot]) == 0;
		/* Decoded once: the link is compared twice. */
		h->linked[slot] = h->parsed[slot] &&
		    row_link(&h->r[slot], h->link[slot]);
		/* The held entry: vouched for by this one's link, or else
		 * checked against its stored leaf. */
		if (held >= 0 && h->e[held].intact == -1) {
			if (links_to(h, slot, h->e[held].leaf))
				h->e[held].intact = 1;
			else if ((rc = hist_exact(h, held)) != 0)
				return rc;
		}
		/* An entry the chain cannot carry is checked at once. */
		if ((!h->parsed[slot] ||
		    !cairn_span_eq(&h->r[slot].account, h->account)) &&
		    (rc = hist_exact(h, slot)) != 0)
			return rc;
		if (held < 0) {
			h->have = 1;
			h->out = slot ^ 1;
			continue;
		}
		hist_give(h, held);
		h->have = 1;	/* slot is held: h->out ^ 1 == slot */
		break;
	}
	*ep = &h->e[h->out];
	*rp = &h->r[h->out];
	*parsed = h->parsed[h->out];
	*check = h->check[h->out];
	return 0;
}

int
cairn_hist_confirm(struct cairn_hist *h, int *check)
{
	struct cairn_entry *e;
	int i = h->out, rc;

	if (h->it == NULL || !h->given)
		return CAIRN_EINVAL;
	e = &h->e[i];
	if ((rc = cairn_iter_leaf(h->it, e->seq, e->stored)) != 0)
		return rc;
	if (sodium_memcmp(e->stored, e->leaf, CAIRN_HASH_LEN) != 0) {
		e->intact = 0;
		if (h->check[i] == CAIRN_ROW_OK || h->check[i] == CAIRN_ROW_FOREIGN)
			h->ch.bad++;
		h->check[i] = CAIRN_ROW_ALTERED;
		memcpy(h->ch.prev, e->stored, CAIRN_HASH_LEN);
	}
	*check = h->check[i];
	return 0;
}

void
cairn_hist_close(struct cairn_hist *h)
{
	cairn_iter_free(h->it);
	h->it = NULL;
	cairn_buf_free(&h->buf[0]);
	cairn_buf_free(&h->buf[1]);
}

/* Appends ,"key":"<span>" for a string span that is present. */
static int
add_span(struct cairn_buf *b, const char *key, const struct cairn_span *s)
{
	if (s->p == NULL)
		return 0;
	if (cairn_buf_adds(b, ",\"") != 0 || cairn_buf_adds(b, key) != 0 ||
	    cairn_buf_adds(b, "\":\"") != 0 ||
	    cairn_buf_add(b, s->p, s->n) != 0 || cairn_buf_addc(b, '"') != 0)
		return CAIRN_ENOMEM;
	return 0;
}

/* Appends ,"key":"<hex of a hash>". */
static int
add_hash(struct cairn_buf *b, const char *key, const uint8_t h[CAIRN_HASH_LEN])
{
	char hex[CAIRN_HEX_LEN + 1];

	cairn_hex(h, CAIRN_HASH_LEN, hex);
	return cairn_buf_adds(b, ",\"") | cairn_buf_adds(b, key) |
	    cairn_buf_adds(b, "\":\"") | cairn_buf_add(b, hex, CAIRN_HEX_LEN) |
	    cairn_buf_addc(b, '"');
}

int
cairn_row_json(struct cairn_buf *b, const struct cairn_entry *e,
    const struct cairn_row *r, int check, const char *proof)
{
	char *b64;
	int rc = 0;

	/* Built without printf: history makes one of these per entry. */
	rc |= cairn_buf_adds(b, "{\"check\":\"");
	rc |= cairn_buf_adds(b, cairn_row_check_name(check));
	rc |= cairn_buf_adds(b, "\",");
	/* An intact entry was checked canonical when it was stored. */
	if (e->intact || cairn_cjson_check(e->data, e->len) == 0) {
		rc |= cairn_buf_adds(b, "\"entry\":");
		rc |= cairn_buf_add(b, e->data, e->len);
	} else {
		if (e->len > 4 * 1024 * 1024 ||
		    (b64 = malloc(cairn_b64_len(e->len) + 1)) == NULL)
			return CAIRN_ENOMEM;
		cairn_b64(e->data, e->len, b64);
		rc |= cairn_buf_adds(b, "\"entry_b64\":\"");
		rc |= cairn_buf_adds(b, b64);
		rc |= cairn_buf_addc(b, '"');
		free(b64);
	}
	rc |= add_hash(b, "leaf", e->leaf);
	if (memcmp(e->leaf, e->stored, CAIRN_HASH_LEN) != 0)
		rc |= add_hash(b, "leaf_stored", e->stored);
	if (proof != NULL) {
		rc |= cairn_buf_adds(b, ",\"proof\":");
		rc |= cairn_buf_adds(b, proof);
	}
	if (r != NULL)
		rc |= add_span(b, "received", &r->received);
	rc |= cairn_buf_adds(b, ",\"seq\":");
	rc |= cairn_buf_addu64(b, e->seq);
	if (r != NULL) {
		rc |= add_span(b, "stream", &r->stream);
		rc |= add_span(b, "type", &r->type);
	}
	rc |= cairn_buf_addc(b, '}');
	return rc ? CAIRN_ENOMEM : 0;
}

/* Appends "path":[hex,...]. */
static int
add_path(struct cairn_buf *b, const uint8_t (*path)[CAIRN_HASH_LEN], size_t n)
{
	char hex[CAIRN_HEX_LEN + 1];
	size_t i;
	int rc = 0;

	rc |= cairn_buf_adds(b, "\"path\":[");
	for (i = 0; i < n; i++) {
		cairn_hex(path[i], CAIRN_HASH_LEN, hex);
		rc |= cairn_buf_printf(b, "%s\"%s\"", i ? "," : "", hex);
	}
	rc |= cairn_buf_adds(b, "]}");
	return rc ? CAIRN_ENOMEM : 0;
}

int
cairn_proof_inclusion_json(struct cairn_buf *b, uint64_t index, uint64_t size,
    const uint8_t leaf[CAIRN_HASH_LEN], const uint8_t root[CAIRN_HASH_LEN],
    const uint8_t (*path)[CAIRN_HASH_LEN], size_t n)
{
	char h1[CAIRN_HEX_LEN + 1], h2[CAIRN_HEX_LEN + 1];

	cairn_hex(leaf, CAIRN_HASH_LEN, h1);
	cairn_hex(root, CAIRN_HASH_LEN, h2);
	if (cairn_buf_printf(b, "{\"type\":\"inclusion\",\"index\":%llu,"
	    "\"tree_size\":%llu,\"leaf_hash\":\"%s\",\"root_hash\":\"%s\",",
	    (unsigned long long)index, (unsigned long long)size, h1, h2) != 0)
		return CAIRN_ENOMEM;
	return add_path(b, path, n);
}

int
cairn_proof_consistency_json(struct cairn_buf *b, uint64_t old, uint64_t new,
    const uint8_t oldroot[CAIRN_HASH_LEN], const uint8_t newroot[CAIRN_HASH_LEN],
    const uint8_t (*path)[CAIRN_HASH_LEN], size_t n)
{
	char h1[CAIRN_HEX_LEN + 1], h2[CAIRN_HEX_LEN + 1];

	cairn_hex(oldroot, CAIRN_HASH_LEN, h1);
	cairn_hex(newroot, CAIRN_HASH_LEN, h2);
	if (cairn_buf_printf(b, "{\"type\":\"consistency\",\"old_size\":%llu,"
	    "\"new_size\":%llu,\"old_root\":\"%s\",\"new_root\":\"%s\",",
	    (unsigned long long)old, (unsigned long long)new, h1, h2) != 0)
		return CAIRN_ENOMEM;
	return add_path(b, path, n);
}

int
cairn_merge_open(struct cairn_merge *m, cairn_store *s, const char *stream,
    int64_t since, int64_t until)
{
	int i, rc;

	memset(m, 0, sizeof *m);
	m->last = -1;
	m->since = since;
	for (i = 0; i < CAIRN_NSTREAMS; i++) {
		if (stream != NULL && strcmp(stream, cairn_stream_names[i]) != 0)
			continue;
		if ((rc = cairn_iter_stream(s, cairn_stream_names[i],
		    since < 0 ? 0 : since, until, &m->it[m->n])) != 0) {
			cairn_merge_close(m);
			return rc;
		}
		m->n++;
	}
	if (m->n == 0)
		return CAIRN_EINVAL;
	return 0;
}

int
cairn_merge_direct(struct cairn_merge *m)
{
	int i, rc;

	for (i = 0; i < m->n; i++)
		if ((rc = cairn_iter_direct(m->it[i])) != 0)
			return rc;
	return 0;
}

int
cairn_merge_after(struct cairn_merge *m, uint64_t seq, int64_t received_us)
{
	int i, rc;

	if (m->started || seq == UINT64_MAX)
		return CAIRN_EINVAL;
	/* Before the window: the window's entries all come after it. */
	if (received_us < m->since)
		return 0;
	/* Every stream from the key (received, seq + 1) on: exactly the
	 * entries after this one, since (received, seq) order is seq order. */
	for (i = 0; i < m->n; i++)
		if ((rc = cairn_iter_seek(m->it[i], seq + 1, received_us)) != 0)
			return rc;
	return 0;
}

/* Advances stream i's head. */
static int
merge_advance(struct cairn_merge *m, int i)
{
	int rc;

	rc = cairn_iter_next(m->it[i], &m->head[i]);
	m->have[i] = rc == 0;
	return rc == CAIRN_ENOTFOUND ? 0 : rc;
}

int
cairn_merge_next(struct cairn_merge *m, const struct cairn_entry **out)
{
	int i, best = -1, rc;

	if (!m->started) {
		m->started = 1;
		for (i = 0; i < m->n; i++)
			if ((rc = merge_advance(m, i)) != 0)
				return rc;
	} else if (m->last >= 0 && (rc = merge_advance(m, m->last)) != 0)
		return rc;
	/* Streams that advance rarely (or have ended) keep their snapshot
	 * fresh too; their heads are copies, so nothing read is lost. */
	if ((++m->calls & 15) == 0)
		for (i = 0; i < m->n; i++)
			if (i != m->last && (rc = cairn_iter_refresh(m->it[i])) != 0)
				return rc;
	for (i = 0; i < m->n; i++)
		if (m->have[i] && (best < 0 || m->head[i].seq < m->head[best].seq))
			best = i;
	m->last = best;
	if (best < 0)
		return CAIRN_ENOTFOUND;
	*out = &m->head[best];
	return 0;
}

void
cairn_merge_close(struct cairn_merge *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		cairn_iter_free(m->it[i]);
	m->n = 0;
}

int
cairn_checkpoint_size(cairn_store *s, uint64_t *size)
{
	struct cairn_store_info in;
	struct cairn_checkpoint cp;
	struct cairn_buf note = { 0 };
	const uint8_t *body;
	size_t blen;
	int rc;

	if ((rc = cairn_store_info(s, &in)) == 0 &&
	    (rc = cairn_store_checkpoint_latest(s, &note)) == 0 &&
	    (rc = cairn_note_verify(note.p, note.len, in.origin, in.pubkey,
	    &body, &blen)) == 0 &&
	    (rc = cairn_checkpoint_parse(body, blen, &cp)) == 0)
		*size = cp.size;
	cairn_buf_free(&note);
	return rc;
}

/*
 * Offline checking.
 */

static int
why_set(char *why, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
why_set(char *why, size_t len, int rc, const char *fmt, ...)
{
	va_list ap;

	if (why != NULL && len > 0) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return rc;
}

/* A member that must be a hash in hex. */
static int
get_hash(const json_t *o, const char *key, uint8_t out[CAIRN_HASH_LEN])
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v) || json_string_length(v) != CAIRN_HEX_LEN)
		return CAIRN_EFORMAT;
	return cairn_unhex(json_string_value(v), CAIRN_HEX_LEN, out,
	    CAIRN_HASH_LEN) == 0 ? 0 : CAIRN_EFORMAT;
}

/* A member that must be a non-negative integer. */
static int
get_u64(const json_t *o, const char *key, uint64_t *out)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return CAIRN_EFORMAT;
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

/* The path of a proof, at most CAIRN_MAX_PROOF hashes. */
static int
get_path(const json_t *o, uint8_t (*path)[CAIRN_HASH_LEN], size_t *n)
{
	const json_t *a = json_object_get(o, "path"), *v;
	size_t i;

	if (!json_is_array(a) || json_array_size(a) > CAIRN_MAX_PROOF)
		return CAIRN_EFORMAT;
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) || json_string_length(v) != CAIRN_HEX_LEN ||
		    cairn_unhex(json_string_value(v), CAIRN_HEX_LEN, path[i],
		    CAIRN_HASH_LEN) != 0)
			return CAIRN_EFORMAT;
	}
	*n = json_array_size(a);
	return 0;
}

/* Checks a bare inclusion proof object; its leaf into leaf. */
static int
check_inclusion(const json_t *p, const struct cairn_checkpoint *cp,
    uint64_t *index, uint8_t leaf[CAIRN_HASH_LEN], char *why, size_t wl)
{
	uint8_t root[CAIRN_HASH_LEN], path[CAIRN_MAX_PROOF][CAIRN_HASH_LEN];
	uint64_t size;
	size_t n;

	if (get_u64(p, "index", index) != 0 || get_u64(p, "tree_size", &size) ||
	    get_hash(p, "leaf_hash", leaf) != 0 ||
	    get_hash(p, "root_hash", root) != 0 || get_path(p, path, &n) != 0)
		return why_set(why, wl, CAIRN_EFORMAT, "malformed inclusion "
		    "proof (needs index, tree_size, leaf_hash, root_hash, path)");
	if (cp == NULL)
		return 0;
	if (size == cp->size && memcmp(root, cp->root, CAIRN_HASH_LEN) != 0)
		return why_set(why, wl, CAIRN_EPROOF, "root_hash is not the "
		    "checkpoint's root for tree size %llu",
		    (unsigned long long)size);
	if (size != cp->size)
		return why_set(why, wl, CAIRN_EPROOF, "proof is for tree size "
		    "%llu, the checkpoint's is %llu", (unsigned long long)size,
		    (unsigned long long)cp->size);
	if (cairn_merkle_verify_inclusion(leaf, *index, size,
	    (const uint8_t (*)[CAIRN_HASH_LEN])path, n, root) != 0)
		return why_set(why, wl, CAIRN_EPROOF, "the inclusion path does "
		    "not lead from the leaf to the root");
	return 0;
}

/* Checks a bare consistency proof object. */
static int
check_consistency(const json_t *p, const struct cairn_checkpoint *cp,
    char *why, size_t wl)
{
	uint8_t r1[CAIRN_HASH_LEN], r2[CAIRN_HASH_LEN];
	uint8_t path[CAIRN_MAX_PROOF][CAIRN_HASH_LEN];
	uint64_t old, new;
	size_t n;

	if (get_u64(p, "old_size", &old) != 0 || get_u64(p, "new_size", &new) ||
	    get_hash(p, "old_root", r1) != 0 || get_hash(p, "new_root", r2) ||
	    get_path(p, path, &n) != 0)
		return why_set(why, wl, CAIRN_EFORMAT, "malformed consistency "
		    "proof (needs old_size, new_size, old_root, new_root, path)");
	if (cp == NULL)
		return 0;
	if (new == cp->size && memcmp(r2, cp->root, CAIRN_HASH_LEN) != 0)
		return why_set(why, wl, CAIRN_EPROOF, "new_root is not the "
		    "checkpoint's root");
	if (cairn_merkle_verify_consistency(old, new, r1, r2,
	    (const uint8_t (*)[CAIRN_HASH_LEN])path, n) != 0)
		return why_set(why, wl, CAIRN_EPROOF, "the consistency path does "
		    "not prove tree %llu a prefix of tree %llu",
		    (unsigned long long)old, (unsigned long long)new);
	return 0;
}

/* The leaf hash of an entry line's entry (canonical bytes or base64). */
static int
entry_leaf(const json_t *o, uint8_t leaf[CAIRN_HASH_LEN], char *why, size_t wl)
{
	struct cairn_buf b = { 0 };
	const json_t *e = json_object_get(o, "entry");
	const json_t *b64 = json_object_get(o, "entry_b64");
	uint8_t *raw;
	size_t n, cap;
	int rc;

	if (json_is_object(e)) {
		/* Stored entries are canonical: this gives back their bytes. */
		if ((rc = cairn_cjson_encode(e, &b)) != 0) {
			cairn_buf_free(&b);
			return why_set(why, wl, CAIRN_EFORMAT, "entry cannot be "
			    "put in canonical form: %s", cairn_strerror(rc));
		}
		cairn_leaf_hash(b.p, b.len, leaf);
		cairn_buf_free(&b);
		return 0;
	}
	if (!json_is_string(b64))
		return why_set(why, wl, CAIRN_EFORMAT, "no entry");
	cap = json_string_length(b64) / 4 * 3 + 3;
	if ((raw = malloc(cap)) == NULL)
		return CAIRN_ENOMEM;
	if (cairn_unb64(json_string_value(b64), json_string_length(b64), raw,
	    cap, &n) != 0) {
		free(raw);
		return why_set(why, wl, CAIRN_EFORMAT, "entry_b64 is not base64");
	}
	cairn_leaf_hash(raw, n, leaf);
	free(raw);
	return 0;
}

int
cairn_proofline_verify(const uint8_t *line, size_t len,
    const struct cairn_checkpoint *cp, int *kind, uint64_t *seq, json_t **doc,
    const char **note, size_t *notelen, char *why, size_t wl)
{
	uint8_t leaf[CAIRN_HASH_LEN], shown[CAIRN_HASH_LEN], pleaf[CAIRN_HASH_LEN];
	json_t *o, *v, *p;
	const char *t;
	uint64_t index;
	int rc;

	*kind = CAIRN_LINE_OTHER;
	*seq = 0;
	*doc = NULL;
	*note = NULL;
	*notelen = 0;
	if (cairn_json_parse(line, len, &o, NULL, 0) != 0)
		return why_set(why, wl, CAIRN_EFORMAT, "not a JSON line");
	*doc = o;
	if (!json_is_object(o))
		return why_set(why, wl, CAIRN_EFORMAT, "not a JSON object");
	if ((v = json_object_get(o, "checkpoint")) != NULL) {
		if (!json_is_string(v))
			return why_set(why, wl, CAIRN_EFORMAT, "checkpoint is not "
			    "a string");
		*kind = CAIRN_LINE_CHECKPOINT;
		*note = json_string_value(v);
		*notelen = json_string_length(v);
		return 0;
	}
	t = json_string_value(json_object_get(o, "type"));
	if (json_object_get(o, "seq") == NULL && t != NULL &&
	    strcmp(t, "inclusion") == 0) {
		*kind = CAIRN_LINE_INCLUSION;
		rc = check_inclusion(o, cp, &index, leaf, why, wl);
		*seq = index;
		return rc;
	}
	if (json_object_get(o, "seq") == NULL && t != NULL &&
	    strcmp(t, "consistency") == 0) {
		*kind = CAIRN_LINE_CONSISTENCY;
		return check_consistency(o, cp, why, wl);
	}
	if (json_object_get(o, "seq") == NULL)
		return 0;	/* a summary line */
	if (get_u64(o, "seq", seq) != 0)
		return why_set(why, wl, CAIRN_EFORMAT, "seq is not an integer");
	p = json_object_get(o, "proof");
	*kind = p == NULL || json_is_null(p) ? CAIRN_LINE_UNPROVEN :
	    CAIRN_LINE_ENTRY;
	if ((rc = entry_leaf(o, leaf, why, wl)) != 0)
		return rc;
	if (get_hash(o, "leaf", shown) != 0)
		return why_set(why, wl, CAIRN_EFORMAT, "no leaf hash");
	if (memcmp(leaf, shown, CAIRN_HASH_LEN) != 0)
		return why_set(why, wl, CAIRN_EPROOF, "the entry's bytes do not "
		    "hash to the leaf shown: the entry was altered");
	/* The seq inside the entry must be the one proven. */
	v = json_object_get(json_object_get(o, "entry"), "seq");
	if (v != NULL && (!json_is_integer(v) ||
	    (uint64_t)json_integer_value(v) != *seq))
		return why_set(why, wl, CAIRN_EPROOF, "the entry's own seq is not "
		    "the line's");
	if (*kind == CAIRN_LINE_UNPROVEN)
		return 0;
	if (!json_is_object(p))
		return why_set(why, wl, CAIRN_EFORMAT, "proof is not an object");
	t = json_string_value(json_object_get(p, "type"));
	if (t == NULL || strcmp(t, "inclusion") != 0)
		return why_set(why, wl, CAIRN_EFORMAT, "proof is not an "
		    "inclusion proof");
	if ((rc = check_inclusion(p, cp, &index, pleaf, why, wl)) != 0)
		return rc;
	if (index != *seq || memcmp(pleaf, leaf, CAIRN_HASH_LEN) != 0)
		return why_set(why, wl, CAIRN_EPROOF, "the proof is for another "
		    "entry (index %llu)", (unsigned long long)index);
	return 0;
}
