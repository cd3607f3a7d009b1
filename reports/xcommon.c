/*
 * xcommon.c: the readable reading of events, the summary and the findings
 * rules, shared by the export writer and verifier (EXPORT.md).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "export.h"
#include "note.h"
#include "xcommon.h"

const char *const sum_by_names[SUM_NBY] = {
	"type", "outcome", "reason", "category", "day"
};

const char *const rule_names[RULE_N] = {
	"no-prior-notice", "minor-passed", "shared-mobile", "match-allowed",
	"match-not-suspended", "takedown-order", "takedown-no-category",
	"unlabeled-no-optout", "late-entry"
};

const char *const rule_clauses[RULE_N] = {
	"1.2", "1.1.1", "1.1.6", "7", "7", "2.2.5", "2.2.5", "3.6.2", ""
};

static const char *const kind_names[CAIRN_EXPORT_NKINDS] = {
	"realname", "takedown", "screening", "account", "labeling", "system",
	"account-history"
};

const char *
cairn_export_kind_name(int kind)
{
	if (kind < 0 || kind >= CAIRN_EXPORT_NKINDS)
		return NULL;
	return kind_names[kind];
}

int
cairn_export_kind_parse(const char *s)
{
	int i;

	for (i = 0; i < CAIRN_EXPORT_NKINDS; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}

const char *
kind_stream(int kind)
{
	return kind == CAIRN_EXPORT_HISTORY ? NULL : kind_names[kind];
}

/* Which rules a kind computes (EXPORT.md "findings"). */
int
kind_rules(int kind, int rule)
{
	switch (rule) {
	case RULE_LATE_ENTRY:
		return 1;
	case RULE_NO_PRIOR_NOTICE:
		return kind == CAIRN_EXPORT_ACCOUNT || kind == CAIRN_EXPORT_HISTORY;
	case RULE_MINOR_PASSED:
		return kind == CAIRN_EXPORT_REALNAME || kind == CAIRN_EXPORT_HISTORY;
	case RULE_SHARED_MOBILE:
		return kind == CAIRN_EXPORT_REALNAME;
	case RULE_MATCH_ALLOWED:
	case RULE_MATCH_NOT_SUSPENDED:
		return kind == CAIRN_EXPORT_SCREENING || kind == CAIRN_EXPORT_HISTORY;
	case RULE_TAKEDOWN_ORDER:
	case RULE_TAKEDOWN_NO_CATEGORY:
		return kind == CAIRN_EXPORT_TAKEDOWN || kind == CAIRN_EXPORT_HISTORY;
	case RULE_UNLABELED_NO_OPTOUT:
		return kind == CAIRN_EXPORT_LABELING || kind == CAIRN_EXPORT_HISTORY;
	}
	return 0;
}

void
trusted_comment(char *out, size_t cap, int kind, const char *account,
    int64_t from_us, int64_t to_us, uint64_t entries, uint64_t tree_size,
    const uint8_t root[CAIRN_HASH_LEN])
{
	char f[CAIRN_TIME_LEN + 1], t[CAIRN_TIME_LEN + 1];
	char r[CAIRN_HEX_LEN + 1], acc[CAIRN_HEX_LEN + 32];
	uint8_t h[CAIRN_HASH_LEN];

	cairn_time_format_us(from_us, f);
	cairn_time_format_us(to_us, t);
	cairn_hex(root, CAIRN_HASH_LEN, r);
	acc[0] = '\0';
	if (kind == CAIRN_EXPORT_HISTORY) {
		/* The account itself may hold spaces: named by its hash. */
		if (account == NULL)
			account = "";
		cairn_sha256(account, strlen(account), h);
		memcpy(acc, " account_sha256=", 16);
		cairn_hex(h, sizeof h, acc + 16);
	}
	snprintf(out, cap, "cairn-export kind=%s%s from=%s to=%s entries=%"
	    PRIu64 " tree_size=%" PRIu64 " root=%s",
	    cairn_export_kind_name(kind), acc, f, t, entries, tree_size, r);
}

int64_t
xtime_us(const char *s)
{
	int64_t us;

	if (s == NULL || cairn_time_parse_us(s, strlen(s), &us) != 0)
		return -1;
	return us;
}

/*
 * Readable reading.
 */

int
xml_text_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n')
			return 0;
		/* U+FFFE, U+FFFF: EF BF BE / EF BF BF */
		if (p[i] == 0xef && i + 2 < n && p[i + 1] == 0xbf &&
		    (p[i + 2] == 0xbe || p[i + 2] == 0xbf))
			return 0;
	}
	return 1;
}

static int
keycmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Member names of a summary group in byte order, into k (cap entries) or
 * a malloc'd array when there are more (*heap set); borrowed strings. */
static const char **
sorted_keys(json_t *o, const char **k, size_t cap, size_t *n, int *heap)
{
	const char *key;
	json_t *v;
	size_t i = 0;
	int sorted = 1;

	*n = json_object_size(o);
	*heap = *n > cap;
	if (*heap && (k = calloc(*n + 1, sizeof *k)) == NULL)
		return NULL;
	json_object_foreach(o, key, v) {
		if (i > 0 && strcmp(k[i - 1], key) > 0)
			sorted = 0;
		k[i++] = key;
	}
	(void)v;
	if (!sorted)
		qsort(k, *n, sizeof *k, keycmp);
	return k;
}

static int walk_value(const char *, const char *, const struct cairn_jview *,
    size_t, int, const struct rsink *);

/* The members of object o, in the byte order of their names. */
static int
walk_members(const struct cairn_jview *v, size_t o, int map,
    const struct rsink *s)
{
	const struct cairn_jtok *t = v->tok;
	const char *key;
	size_t k;
	int rc;

	/* The view holds canonical JSON: names come sorted bytewise. */
	for (k = o + 1; k < t[o].next; k = t[k + 1].next) {
		key = v->sbuf + t[k].str;
		if ((rc = walk_value(map ? "item" : key, map ? key : NULL, v,
		    k + 1, map, s)) != 0)
			return rc;
	}
	return 0;
}

/*
 * One member.  In a map (sd), every object is again a map; elsewhere an
 * object is a record.  An empty container reads as an empty leaf, which
 * is what the XML shows.
 */
static int
walk_value(const char *name, const char *key, const struct cairn_jview *v,
    size_t i, int inmap, const struct rsink *s)
{
	const struct cairn_jtok *t = &v->tok[i];
	const char *str;
	size_t c, len;
	int rc, map;

	switch (t->type) {
	case CAIRN_JV_STRING:
		str = v->sbuf + t->str;
		len = t->slen;
		if (xml_text_ok(str, len))
			return s->leaf(s->arg, name, key, str, len, 0);
		else {
			char *b = malloc(cairn_b64_len(len) + 1);

			if (b == NULL)
				return CAIRN_ENOMEM;
			cairn_b64((const uint8_t *)str, len, b);
			rc = s->leaf(s->arg, name, key, b, strlen(b), 1);
			free(b);
			return rc;
		}
	case CAIRN_JV_INT:
		/* Canonical integer text is the decimal form of its value. */
		return s->leaf(s->arg, name, key, v->sbuf + t->str, t->slen, 0);
	case CAIRN_JV_TRUE:
		return s->leaf(s->arg, name, key, "true", 4, 0);
	case CAIRN_JV_FALSE:
		return s->leaf(s->arg, name, key, "false", 5, 0);
	case CAIRN_JV_NULL:
		return s->leaf(s->arg, name, key, "", 0, 0);
	case CAIRN_JV_ARRAY:
		for (c = i + 1; c < t->next; c = v->tok[c].next)
			if ((rc = walk_value(name, key, v, c, inmap, s)) != 0)
				return rc;
		return 0;
	case CAIRN_JV_OBJECT:
		if (t->next == i + 1)
			return s->leaf(s->arg, name, key, "", 0, 0);
		/* sd is the one map of the catalog: a map of maps. */
		map = inmap || strcmp(name, "sd") == 0;
		if ((rc = s->start(s->arg, name, key)) != 0 ||
		    (rc = walk_members(v, i, map, s)) != 0)
			return rc;
		return s->end(s->arg);
	}
	return CAIRN_EINVAL;
}

int
readable_walk(const struct cairn_jview *v, int ev, const struct rsink *s)
{
	const char *type = xstr(v, ev, "type");
	int rc;

	if (type == NULL)
		return CAIRN_EFORMAT;
	if ((rc = s->start(s->arg, type, NULL)) != 0 ||
	    (rc = walk_members(v, (size_t)ev, 0, s)) != 0)
		return rc;
	return s->end(s->arg);
}

/* The line form: "<name[ key]" for a start, ">" for an end,
 * "=name[ key][ b64] LEN:value" for a leaf; one per line. */
int
line_start(struct cairn_buf *b, const char *name, const char *key)
{
	if (cairn_buf_addc(b, '<') || cairn_buf_adds(b, name) ||
	    (key != NULL && (cairn_buf_addc(b, ' ') || cairn_buf_adds(b, key))) ||
	    cairn_buf_addc(b, '\n'))
		return CAIRN_ENOMEM;
	return 0;
}

int
line_leaf(struct cairn_buf *b, const char *name, const char *key,
    const char *v, size_t n, int b64)
{
	char num[24], *p = num + sizeof num;
	size_t m = n;

	/* " LEN:" by hand: the verifier makes two per field of every entry,
	 * where snprintf costs more than the rest of the line. */
	*--p = ':';
	do
		*--p = (char)('0' + m % 10);
	while ((m /= 10) != 0);
	*--p = ' ';
	if (cairn_buf_addc(b, '=') || cairn_buf_adds(b, name) ||
	    (key != NULL && (cairn_buf_addc(b, ' ') || cairn_buf_adds(b, key))) ||
	    (b64 && cairn_buf_adds(b, " b64")) ||
	    cairn_buf_add(b, p, (size_t)(num + sizeof num - p)) ||
	    cairn_buf_add(b, v, n) ||
	    cairn_buf_addc(b, '\n'))
		return CAIRN_ENOMEM;
	return 0;
}

static int
ls_start(void *a, const char *name, const char *key)
{
	return line_start(a, name, key);
}

static int
ls_end(void *a)
{
	return cairn_buf_adds(a, ">\n") != 0 ? CAIRN_ENOMEM : 0;
}

static int
ls_leaf(void *a, const char *name, const char *key, const char *v, size_t n,
    int b64)
{
	return line_leaf(a, name, key, v, n, b64);
}

void
readable_linesink(struct rsink *s, struct cairn_buf *b)
{
	s->start = ls_start;
	s->end = ls_end;
	s->leaf = ls_leaf;
	s->arg = b;
}

/*
 * Summary.
 */

int
summary_init(struct summary *s)
{
	int i;

	memset(s, 0, sizeof *s);
	for (i = 0; i < SUM_NBY; i++)
		if ((s->by[i] = json_object()) == NULL)
			return CAIRN_ENOMEM;
	return 0;
}

void
summary_free(struct summary *s)
{
	int i;

	for (i = 0; i < SUM_NBY; i++)
		json_decref(s->by[i]);
	memset(s, 0, sizeof *s);
}

static int
count(json_t *o, const char *key)
{
	json_t *n = json_object_get(o, key);

	if (n == NULL)
		return json_object_set_new(o, key, json_integer(1)) == 0 ? 0 :
		    CAIRN_ENOMEM;
	return json_integer_set(n, json_integer_value(n) + 1) == 0 ? 0 :
	    CAIRN_EINVAL;
}

int
summary_add(struct summary *s, const struct cairn_jview *v, int ev,
    const char *received)
{
	const char *k;
	char day[11];
	int i, rc;

	s->entries++;
	for (i = 0; i < 4; i++)
		if ((k = xstr(v, ev, sum_by_names[i])) != NULL &&
		    (rc = count(s->by[i], k)) != 0)
			return rc;
	/* NULL: an entry (from a hostile export) without "received". */
	if (received == NULL || strlen(received) < 10)
		return CAIRN_EFORMAT;
	memcpy(day, received, 10);
	day[10] = '\0';
	return count(s->by[4], day);
}

int
summary_each(const struct summary *s, int by,
    int (*fn)(void *, const char *, uint64_t), void *arg)
{
	const char *buf[64], **k;
	size_t i, n;
	int rc = 0, heap;

	if ((k = sorted_keys(s->by[by], buf, 64, &n, &heap)) == NULL)
		return CAIRN_ENOMEM;
	for (i = 0; i < n && rc == 0; i++)
		rc = fn(arg, k[i], (uint64_t)json_integer_value(
		    json_object_get(s->by[by], k[i])));
	if (heap)
		free(k);
	return rc;
}

/*
 * Findings.
 */

int
fx_init(struct fx *fx, int kind, int64_t late_after_s, uint64_t end_size)
{
	memset(fx, 0, sizeof *fx);
	fx->kind = kind;
	fx->late_us = late_after_s * 1000000;
	fx->end_size = end_size;
	if ((fx->acct = json_object()) == NULL ||
	    (fx->mobile = json_object()) == NULL ||
	    (fx->seen = json_object()) == NULL)
		return CAIRN_ENOMEM;
	return 0;
}

void
fx_free(struct fx *fx)
{
	size_t i;

	json_decref(fx->acct);
	json_decref(fx->mobile);
	json_decref(fx->seen);
	for (i = 0; i < fx->nneeds; i++) {
		free(fx->needs[i].account);
		free(fx->needs[i].mobile);
	}
	free(fx->needs);
	for (i = 0; i < fx->nf; i++) {
		free(fx->f[i].account);
		free(fx->f[i].text);
		free(fx->f[i].refs);
	}
	free(fx->f);
	memset(fx, 0, sizeof *fx);
}

const char *
xstr(const struct cairn_jview *v, int obj, const char *k)
{
	return cairn_jview_getstr(v, obj, k);
}

int
fx_code(const char *type, const struct cairn_jview *v, int ev)
{
	const char *d;

	if (strcmp(type, "account.notice") == 0)
		return CODE_NOTICE;
	if (strcmp(type, "account.suspended") == 0 ||
	    strcmp(type, "account.terminated") == 0 ||
	    strcmp(type, "account.disabled") == 0)
		return CODE_ACTION;
	if (strcmp(type, "ai_label.optout") == 0) {
		d = xstr(v, ev, "decision");
		return d != NULL && strcmp(d, "granted") == 0 ?
		    CODE_OPTOUT_GRANTED : CODE_OPTOUT_OTHER;
	}
	return 0;
}

static int
pair(json_t *o, const char *key, uint64_t seq, json_t *second)
{
	json_t *a = json_object_get(o, key), *p;

	if (second == NULL)
		return CAIRN_ENOMEM;
	if (a == NULL) {
		if ((a = json_array()) == NULL ||
		    json_object_set_new(o, key, a) != 0) {
			json_decref(second);
			return CAIRN_ENOMEM;
		}
	}
	if ((p = json_pack("[Io]", (json_int_t)seq, second)) == NULL ||
	    json_array_append_new(a, p) != 0)
		return CAIRN_ENOMEM;
	return 0;
}

static int
add_finding(struct fx *fx, uint64_t seq, int rule, const char *account,
    char *text, const uint64_t *refs, size_t nrefs)
{
	struct finding *f;

	if (text == NULL)
		return CAIRN_ENOMEM;
	if (fx->nf == fx->capf) {
		size_t cap = fx->capf ? fx->capf * 2 : 16;
		struct finding *nf = reallocarray(fx->f, cap, sizeof *nf);

		if (nf == NULL) {
			free(text);
			return CAIRN_ENOMEM;
		}
		fx->f = nf;
		fx->capf = cap;
	}
	f = &fx->f[fx->nf];
	memset(f, 0, sizeof *f);
	f->seq = seq;
	f->rule = rule;
	f->text = text;
	if ((account != NULL && (f->account = strdup(account)) == NULL) ||
	    (f->refs = calloc(nrefs + 1, sizeof *refs)) == NULL) {
		free(f->account);
		free(text);
		return CAIRN_ENOMEM;
	}
	memcpy(f->refs, refs, nrefs * sizeof *refs);
	f->nrefs = nrefs;
	fx->nf++;
	return 0;
}

static char *
fmt(const char *f, ...) __attribute__((format(printf, 1, 2)));

static char *
fmt(const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	if (vasprintf(&s, f, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

static int
need(struct fx *fx, int rule, uint64_t seq, const char *account,
    const char *mobile)
{
	struct need *n;

	if (!kind_rules(fx->kind, rule))
		return 0;
	if (fx->nneeds == fx->capneeds) {
		size_t cap = fx->capneeds ? fx->capneeds * 2 : 16;
		struct need *nn = reallocarray(fx->needs, cap, sizeof *nn);

		if (nn == NULL)
			return CAIRN_ENOMEM;
		fx->needs = nn;
		fx->capneeds = cap;
	}
	n = &fx->needs[fx->nneeds];
	memset(n, 0, sizeof *n);
	n->rule = rule;
	n->seq = seq;
	if ((account && (n->account = strdup(account)) == NULL) ||
	    (mobile && (n->mobile = strdup(mobile)) == NULL)) {
		free(n->account);
		return CAIRN_ENOMEM;
	}
	fx->nneeds++;
	return 0;
}

/* acct[account] = [first notice seq or -1, last action seq or -1,
 * [[optout seq, code], ...]] */
static int
acct_fact(struct fx *fx, const char *account, uint64_t seq, int code)
{
	json_t *a = json_object_get(fx->acct, account), *slot, *p;
	json_int_t s = (json_int_t)seq, cur;

	if (a == NULL) {
		if ((a = json_pack("[ii[]]", -1, -1)) == NULL ||
		    json_object_set_new(fx->acct, account, a) != 0)
			return CAIRN_ENOMEM;
	}
	switch (code) {
	case CODE_NOTICE:
		slot = json_array_get(a, 0);
		cur = json_integer_value(slot);
		if (cur < 0 || s < cur)
			json_integer_set(slot, s);
		return 0;
	case CODE_ACTION:
		slot = json_array_get(a, 1);
		if (s > json_integer_value(slot))
			json_integer_set(slot, s);
		return 0;
	default:
		if ((p = json_pack("[Ii]", s, code)) == NULL ||
		    json_array_append_new(json_array_get(a, 2), p) != 0)
			return CAIRN_ENOMEM;
		return 0;
	}
}

int
fx_seen(const struct fx *fx, uint64_t seq)
{
	char k[24];

	snprintf(k, sizeof k, "%" PRIu64, seq);
	return json_object_get(fx->seen, k) != NULL;
}

int
fx_add(struct fx *fx, uint64_t seq, const char *received,
    const struct cairn_jview *v, int ev, int role)
{
	const char *type = xstr(v, ev, "type");
	const char *account = xstr(v, ev, "account");
	const char *mobile, *a, *b;
	int64_t t, r;
	char k[24];
	int code, rc;

	if (type == NULL)
		return CAIRN_EFORMAT;
	/* Context entries are few; exported entries are known by range. */
	if (role == ROLE_CONTEXT) {
		snprintf(k, sizeof k, "%" PRIu64, seq);
		if (json_object_set_new(fx->seen, k, json_true()) != 0)
			return CAIRN_ENOMEM;
	}
	/* Facts the deferred rules look up: per account, the first notice,
	 * the last suspension/termination/disabling, every opt-out. */
	code = fx_code(type, v, ev);
	if (code != 0 && account != NULL &&
	    (rc = acct_fact(fx, account, seq, code)) != 0)
		return rc;
	mobile = xstr(v, ev, "mobile_hash");
	if (strcmp(type, "realname.check") == 0 && mobile != NULL &&
	    account != NULL && (a = xstr(v, ev, "outcome")) != NULL &&
	    strcmp(a, "pass") == 0 && (b = xstr(v, ev, "subject")) != NULL &&
	    strcmp(b, "individual") == 0) {
		if ((rc = pair(fx->mobile, mobile, seq,
		    json_string(account))) != 0)
			return rc;
		if (role == ROLE_IN &&
		    (rc = need(fx, RULE_SHARED_MOBILE, seq, account, mobile)) != 0)
			return rc;
	}
	if (role != ROLE_IN)
		return 0;

	/* Rules on the entry alone. */
	if (kind_rules(fx->kind, RULE_LATE_ENTRY)) {
		t = xtime_us(xstr(v, ev, "time"));
		r = xtime_us(received);
		if (t >= 0 && r >= 0 && r - t > fx->late_us &&
		    (rc = add_finding(fx, seq, RULE_LATE_ENTRY, account,
		    fmt("%s %s happened at %s, %" PRId64 " s before it was "
		    "received at %s", type, xstr(v, ev, "id") ?
		    xstr(v, ev, "id") : "(no id)", xstr(v, ev, "time"),
		    (r - t) / 1000000, received),
		    &seq, 1)) != 0)
			return rc;
	}
	if (strcmp(type, "realname.check") == 0 &&
	    kind_rules(fx->kind, RULE_MINOR_PASSED) &&
	    (a = xstr(v, ev, "outcome")) != NULL && strcmp(a, "pass") == 0 &&
	    cairn_jview_type(v, cairn_jview_get(v, ev, "is_adult")) ==
	    CAIRN_JV_FALSE &&
	    (rc = add_finding(fx, seq, RULE_MINOR_PASSED, account,
	    fmt("real-name check passed an account holder under 18 "
	    "(account %s)", account ? account : "-"), &seq, 1)) != 0)
		return rc;
	if (strcmp(type, "export.screening") == 0 &&
	    (a = xstr(v, ev, "result")) != NULL &&
	    strcmp(a, "confirmed_match") == 0) {
		if (kind_rules(fx->kind, RULE_MATCH_ALLOWED) &&
		    (b = xstr(v, ev, "action")) != NULL &&
		    strcmp(b, "allow") == 0 &&
		    (rc = add_finding(fx, seq, RULE_MATCH_ALLOWED, account,
		    fmt("confirmed screening match on %s allowed",
		    xstr(v, ev, "party_name") ? xstr(v, ev, "party_name") : "-"),
		    &seq, 1)) != 0)
			return rc;
		if (account != NULL &&
		    (rc = need(fx, RULE_MATCH_NOT_SUSPENDED, seq, account,
		    NULL)) != 0)
			return rc;
	}
	if (strcmp(type, "content.takedown") == 0) {
		if (kind_rules(fx->kind, RULE_TAKEDOWN_NO_CATEGORY) &&
		    xstr(v, ev, "category") == NULL &&
		    (rc = add_finding(fx, seq, RULE_TAKEDOWN_NO_CATEGORY,
		    account, fmt("takedown of %s names no category",
		    xstr(v, ev, "content_id") ? xstr(v, ev, "content_id") : "-"),
		    &seq, 1)) != 0)
			return rc;
		t = xtime_us(xstr(v, ev, "applied_at"));
		r = xtime_us(xstr(v, ev, "detected_at"));
		if (kind_rules(fx->kind, RULE_TAKEDOWN_ORDER) && t >= 0 &&
		    r >= 0 && t < r &&
		    (rc = add_finding(fx, seq, RULE_TAKEDOWN_ORDER, account,
		    fmt("takedown of %s applied at %s, before it was detected "
		    "at %s", xstr(v, ev, "content_id") ?
		    xstr(v, ev, "content_id") : "-", xstr(v, ev, "applied_at"),
		    xstr(v, ev, "detected_at")),
		    &seq, 1)) != 0)
			return rc;
	}
	if (code == CODE_ACTION && account != NULL &&
	    (rc = need(fx, RULE_NO_PRIOR_NOTICE, seq, account, NULL)) != 0)
		return rc;
	if (strcmp(type, "ai_label.unlabeled_delivery") == 0 &&
	    account != NULL &&
	    (rc = need(fx, RULE_UNLABELED_NO_OPTOUT, seq, account, NULL)) != 0)
		return rc;
	return 0;
}

/* One of the account's recorded seqs (acct_fact's slot 0 or 1), -1 if none. */
static json_int_t
fact(struct fx *fx, const char *account, size_t slot)
{
	json_t *a = json_object_get(fx->acct, account);

	return a == NULL ? -1 : json_integer_value(json_array_get(a, slot));
}

/* An earlier notice of the account (before seq before)? */
static int
notice_before(struct fx *fx, const char *account, uint64_t before)
{
	json_int_t n = fact(fx, account, 0);

	return n >= 0 && (uint64_t)n < before;
}

/* A suspension, termination or disabling of the account after seq after
 * (every fact is below the end tree's size)? */
static int
action_after(struct fx *fx, const char *account, uint64_t after)
{
	json_int_t n = fact(fx, account, 1);

	return n >= 0 && (uint64_t)n > after;
}

/* The account's newest opt-out before seq before. */
static int
optout_before(struct fx *fx, const char *account, uint64_t before,
    uint64_t *seq, int *code)
{
	json_t *a = json_array_get(json_object_get(fx->acct, account), 2), *p;
	uint64_t s;
	size_t i;
	int found = 0;

	json_array_foreach(a, i, p) {
		s = (uint64_t)json_integer_value(json_array_get(p, 0));
		if (s < before && (!found || s > *seq)) {
			*seq = s;
			*code = (int)json_integer_value(json_array_get(p, 1));
			found = 1;
		}
	}
	return found;
}

static int
u64cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static int
shared_mobile(struct fx *fx, const struct need *n)
{
	json_t *a = json_object_get(fx->mobile, n->mobile), *p, *first;
	const char *acc, *k;
	json_t *v;
	uint64_t s, *refs;
	size_t i, nrefs = 0;
	int rc;

	/* Earliest earlier pass of each other account. */
	if ((first = json_object()) == NULL)
		return CAIRN_ENOMEM;
	json_array_foreach(a, i, p) {
		s = (uint64_t)json_integer_value(json_array_get(p, 0));
		acc = json_string_value(json_array_get(p, 1));
		if (s >= n->seq || strcmp(acc, n->account) == 0)
			continue;
		v = json_object_get(first, acc);
		if (v == NULL || (uint64_t)json_integer_value(v) > s)
			json_object_set_new(first, acc, json_integer((json_int_t)s));
	}
	if (json_object_size(first) == 0) {
		json_decref(first);
		return 0;
	}
	if ((refs = calloc(json_object_size(first) + 1, sizeof *refs)) == NULL) {
		json_decref(first);
		return CAIRN_ENOMEM;
	}
	json_object_foreach(first, k, v)
		refs[nrefs++] = (uint64_t)json_integer_value(v);
	qsort(refs, nrefs, sizeof *refs, u64cmp);
	memmove(refs + 1, refs, nrefs * sizeof *refs);
	refs[0] = n->seq;
	rc = add_finding(fx, n->seq, RULE_SHARED_MOBILE, n->account,
	    fmt("mobile hash %s passed real-name checks for account %s and "
	    "%zu other account(s)", n->mobile, n->account, nrefs), refs,
	    nrefs + 1);
	free(refs);
	json_decref(first);
	return rc;
}

static int
fcmp(const void *a, const void *b)
{
	const struct finding *x = a, *y = b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->rule - y->rule;
}

int
fx_finish(struct fx *fx)
{
	const struct need *n;
	uint64_t seq = 0, refs[2];
	size_t i;
	int code = 0, rc = 0;

	for (i = 0; i < fx->nneeds && rc == 0; i++) {
		n = &fx->needs[i];
		switch (n->rule) {
		case RULE_NO_PRIOR_NOTICE:
			if (!notice_before(fx, n->account, n->seq))
				rc = add_finding(fx, n->seq, n->rule, n->account,
				    fmt("account %s was suspended, terminated or "
				    "disabled with no earlier account.notice",
				    n->account), &n->seq, 1);
			break;
		case RULE_UNLABELED_NO_OPTOUT:
			refs[0] = n->seq;
			if (!optout_before(fx, n->account, n->seq, &seq, &code))
				rc = add_finding(fx, n->seq, n->rule, n->account,
				    fmt("unlabeled delivery to account %s, which "
				    "has no AI-label opt-out", n->account), refs, 1);
			else if (code != CODE_OPTOUT_GRANTED) {
				refs[1] = seq;
				rc = add_finding(fx, n->seq, n->rule, n->account,
				    fmt("unlabeled delivery to account %s, whose "
				    "latest AI-label opt-out is not granted",
				    n->account), refs, 2);
			}
			break;
		case RULE_MATCH_NOT_SUSPENDED:
			if (!action_after(fx, n->account, n->seq))
				rc = add_finding(fx, n->seq, n->rule, n->account,
				    fmt("confirmed screening match on account %s, "
				    "which was not suspended, terminated or disabled "
				    "afterwards", n->account), &n->seq, 1);
			break;
		case RULE_SHARED_MOBILE:
			rc = shared_mobile(fx, n);
			break;
		}
	}
	/* No findings: fx->f is still NULL, which qsort must not be given. */
	if (rc == 0 && fx->nf > 1)
		qsort(fx->f, fx->nf, sizeof *fx->f, fcmp);
	return rc;
}

int
xthread_start(struct xthread *t, void *(*fn)(void *), void *arg)
{
	int rc;

	t->closing = 0;
	if ((rc = pthread_mutex_init(&t->mu, NULL)) != 0)
		return rc;
	if ((rc = pthread_cond_init(&t->more, NULL)) != 0)
		goto mu;
	if ((rc = pthread_cond_init(&t->room, NULL)) != 0)
		goto more;
	if ((rc = pthread_create(&t->th, NULL, fn, arg)) == 0)
		return 0;
	pthread_cond_destroy(&t->room);
more:
	pthread_cond_destroy(&t->more);
mu:
	pthread_mutex_destroy(&t->mu);
	return rc;
}

void
xthread_join(struct xthread *t)
{
	pthread_join(t->th, NULL);
	pthread_cond_destroy(&t->room);
	pthread_cond_destroy(&t->more);
	pthread_mutex_destroy(&t->mu);
}

void
xthread_stop(struct xthread *t, pthread_cond_t *wake)
{
	pthread_mutex_lock(&t->mu);
	t->closing = 1;
	pthread_cond_signal(wake);
	pthread_mutex_unlock(&t->mu);
	xthread_join(t);
}
