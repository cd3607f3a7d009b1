/* test_catalog.c: the event catalog, its validator and RFC 3339 times. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "rfc3339.h"
#include "util.h"
#include "checkutil.h"

#define MAXERR 16

static struct cairn_catalog *cat;
static json_t *catjson;		/* schemas/catalog.json, to drive the tests */
static json_t *samples;		/* schemas/examples/events.ndjson */

/* Path of a file under the source tree. */
static char *
src_path(const char *rel)
{
	const char *srcdir = getenv("srcdir");
	char *p;

	if (srcdir == NULL)
		srcdir = ".";
	if (asprintf(&p, "%s/%s", srcdir, rel) < 0)
		abort();
	return p;
}

/* Reads an NDJSON file into an array. */
static json_t *
load_ndjson(const char *rel)
{
	json_error_t jerr;
	json_t *a, *v;
	char *path, *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	path = src_path(rel);
	f = fopen(path, "r");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	a = json_array();
	while ((n = getline(&line, &cap, f)) > 0) {
		if (n <= 1)
			continue;
		v = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		ck_assert_msg(v != NULL, "%s: %s", rel, jerr.text);
		json_array_append_new(a, v);
	}
	free(line);
	fclose(f);
	free(path);
	return a;
}

/* Loads the catalogs and the samples. */
static void
setup(void)
{
	json_error_t jerr;
	char *path;

	ck_assert_int_eq(cairn_catalog_default(&cat), 0);
	path = src_path("schemas/catalog.json");
	catjson = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	ck_assert_msg(catjson != NULL, "%s: %s", path, jerr.text);
	free(path);
	samples = load_ndjson("schemas/examples/events.ndjson");
}

/* Frees what setup() made. */
static void
teardown(void)
{
	cairn_catalog_free(cat);
	json_decref(catjson);
	json_decref(samples);
}

/* Validates ev; returns rc and fills errs/nerr. */
static int
validate(json_t *ev, int flags, struct cairn_verr *errs, size_t *nerr,
    const char **stream)
{
	return cairn_catalog_validate(cat, ev, flags, stream, errs, MAXERR,
	    nerr);
}

/* Whether errs holds an error with this field and rule. */
static int
has_err(const struct cairn_verr *errs, size_t nerr, const char *field,
    const char *rule)
{
	size_t i;

	for (i = 0; i < nerr && i < MAXERR; i++)
		if (strcmp(errs[i].field, field) == 0 &&
		    strcmp(errs[i].rule, rule) == 0)
			return 1;
	return 0;
}

/* Formats the errors for a failure message. */
static const char *
dump(const struct cairn_verr *errs, size_t nerr)
{
	static char buf[2048];
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; i < nerr && i < MAXERR && o < sizeof(buf) - 300; i++)
		o += (size_t)snprintf(buf + o, sizeof(buf) - o, "[%s %s: %s] ",
		    errs[i].field, errs[i].rule, errs[i].msg);
	return buf;
}

/* Asserts that ev fails with (field, rule) among its errors and is unchanged. */
static void
expect_fail(json_t *ev, int flags, const char *field, const char *rule)
{
	struct cairn_verr errs[MAXERR];
	json_t *copy = json_deep_copy(ev);
	size_t nerr;
	int rc;

	rc = validate(ev, flags, errs, &nerr, NULL);
	ck_assert_msg(rc == CAIRN_EVALIDATE, "%s/%s: rc %d", field, rule, rc);
	ck_assert_msg(has_err(errs, nerr, field, rule),
	    "want %s/%s, got %s", field, rule, dump(errs, nerr));
	ck_assert_msg(json_equal(copy, ev), "failed event was modified");
	json_decref(copy);
}

/* Asserts that ev validates; returns its stream. */
static const char *
expect_ok(json_t *ev, int flags)
{
	struct cairn_verr errs[MAXERR];
	const char *stream = NULL;
	size_t nerr;
	int rc;

	rc = validate(ev, flags, errs, &nerr, &stream);
	ck_assert_msg(rc == 0, "rc %d: %s", rc, dump(errs, nerr));
	ck_assert_uint_eq(nerr, 0);
	ck_assert_ptr_nonnull(stream);
	return stream;
}

/* The sample event of a type (a copy), or NULL. */
static json_t *
sample_of(const char *type)
{
	json_t *ev;
	size_t i;

	json_array_foreach(samples, i, ev) {
		if (strcmp(json_string_value(json_object_get(ev, "type")),
		    type) == 0)
			return json_deep_copy(ev);
	}
	return NULL;
}

/* An event of a given type with its "note" set to s. */
static json_t *
with_note(const char *s)
{
	json_t *ev = sample_of("realname.check");

	json_object_set_new(ev, "note", json_string(s));
	return ev;
}

/* A field spec of catalog.json with its "ref" resolved (one level is used). */
static json_t *
resolved(json_t *spec)
{
	json_t *ref = json_object_get(spec, "ref"), *def, *m;
	const char *k;
	json_t *v;

	if (ref == NULL)
		return json_incref(spec);
	def = json_object_get(json_object_get(catjson, "defs"),
	    json_string_value(ref));
	ck_assert_ptr_nonnull(def);
	m = json_deep_copy(def);
	json_object_foreach(spec, k, v) {
		if (strcmp(k, "ref") != 0)
			json_object_set(m, k, v);
	}
	return m;
}

/* Whether a type's stream is written by Cairn only. */
static int
is_system_type(json_t *tdef)
{
	const char *s = json_string_value(json_object_get(tdef, "stream"));
	json_t *st;
	size_t i;

	json_array_foreach(json_object_get(catjson, "streams"), i, st) {
		if (strcmp(json_string_value(json_object_get(st, "name")), s) ==
		    0)
			return strcmp(json_string_value(json_object_get(st,
			    "writer")), "cairn") == 0;
	}
	return 0;
}

START_TEST(test_default_matches_file)
{
	struct cairn_catalog *c2;
	uint8_t *buf;
	size_t len, i, n;
	char *path;

	path = src_path("schemas/catalog.json");
	ck_assert_int_eq(cairn_read_file(path, 1 << 20, &buf, &len), 0);
	free(path);
	ck_assert_int_eq(cairn_catalog_load(buf, len, &c2), 0);
	free(buf);
	for (n = 0; cairn_catalog_type_at(cat, n) != NULL; n++) {
		ck_assert_str_eq(cairn_catalog_type_at(cat, n),
		    cairn_catalog_type_at(c2, n));
		ck_assert_str_eq(cairn_catalog_stream(cat,
		    cairn_catalog_type_at(cat, n)), cairn_catalog_stream(c2,
		    cairn_catalog_type_at(c2, n)));
		if (n > 0)
			ck_assert_int_lt(strcmp(cairn_catalog_type_at(cat,
			    n - 1), cairn_catalog_type_at(cat, n)), 0);
	}
	ck_assert_ptr_null(cairn_catalog_type_at(c2, n));
	ck_assert_uint_eq(n, json_object_size(json_object_get(catjson,
	    "types")));
	cairn_catalog_free(c2);
	/* Every type of EVENTS.md is there, in its stream. */
	ck_assert_str_eq(cairn_catalog_stream(cat, "realname.check"),
	    "realname");
	ck_assert_str_eq(cairn_catalog_stream(cat, "content.appeal"),
	    "takedown");
	ck_assert_str_eq(cairn_catalog_stream(cat, "export.screening"),
	    "screening");
	ck_assert_str_eq(cairn_catalog_stream(cat, "billing.arrears"),
	    "account");
	ck_assert_str_eq(cairn_catalog_stream(cat, "ai_label.optout"),
	    "labeling");
	ck_assert_str_eq(cairn_catalog_stream(cat, "system.account_queried"),
	    "system");
	ck_assert_str_eq(cairn_catalog_stream(cat, "syslog.message"), "other");
	ck_assert_ptr_null(cairn_catalog_stream(cat, "realname.guess"));
	ck_assert_ptr_null(cairn_catalog_stream(cat, ""));
	{
		static const char *const all[] = { "realname.check",
		    "realname.reverification_requested", "content.takedown",
		    "content.appeal", "export.screening", "account.notice",
		    "account.suspended", "account.terminated",
		    "account.disabled", "account.restored", "account.created",
		    "org.member_added", "org.member_removed", "apikey.created",
		    "apikey.revoked", "apikey.transfer_suspected",
		    "billing.arrears", "ai_label.optout",
		    "ai_label.unlabeled_delivery", "system.start",
		    "system.stop", "system.config_reloaded",
		    "system.token_changed", "system.key_rotated",
		    "system.clock_step", "system.restore_detected",
		    "system.report_generated", "system.account_queried",
		    "syslog.message" };

		for (i = 0; i < sizeof(all) / sizeof(all[0]); i++)
			ck_assert_msg(cairn_catalog_stream(cat, all[i]) != NULL,
			    "%s missing", all[i]);
	}
}
END_TEST

START_TEST(test_samples_valid)
{
	json_t *ev, *types;
	const char *k, *stream, *type;
	json_t *v;
	size_t i;
	int seen;

	json_array_foreach(samples, i, ev) {
		type = json_string_value(json_object_get(ev, "type"));
		stream = expect_ok(ev, 0);
		ck_assert_str_eq(stream, cairn_catalog_stream(cat, type));
		ck_assert_str_eq(stream, json_string_value(json_object_get(
		    json_object_get(json_object_get(catjson, "types"), type),
		    "stream")));
		ck_assert_uint_eq(json_string_length(json_object_get(ev,
		    "time")), CAIRN_RFC3339_LEN);
		ck_assert_uint_eq(json_string_length(json_object_get(ev, "tz")),
		    6);
		/* Normalising twice changes nothing but needs tz removed. */
		json_object_del(ev, "tz");
		expect_ok(ev, 0);
	}
	/* Every sender type has a sample. */
	types = json_object_get(catjson, "types");
	json_object_foreach(types, k, v) {
		if (is_system_type(v))
			continue;
		seen = 0;
		json_array_foreach(samples, i, ev) {
			seen |= strcmp(json_string_value(json_object_get(ev,
			    "type")), k) == 0;
		}
		ck_assert_msg(seen, "no sample of %s", k);
	}
}
END_TEST

START_TEST(test_invalid_cases)
{
	json_t *cases, *c;
	size_t i;

	cases = load_ndjson("schemas/examples/invalid.ndjson");
	ck_assert_uint_ge(json_array_size(cases), 10);
	json_array_foreach(cases, i, c) {
		expect_fail(json_object_get(c, "event"), 0,
		    json_string_value(json_object_get(c, "field")),
		    json_string_value(json_object_get(c, "rule")));
	}
	json_decref(cases);
}
END_TEST

START_TEST(test_every_enum)
{
	json_t *types, *tdef, *fields, *spec, *ev, *r, *vals, *val;
	const char *tname, *fname;
	struct cairn_verr errs[MAXERR];
	char path[128];
	size_t i, nerr, checked = 0;
	int arr;

	types = json_object_get(catjson, "types");
	json_object_foreach(types, tname, tdef) {
		if (is_system_type(tdef))
			continue;
		fields = json_object_get(tdef, "fields");
		json_object_foreach(fields, fname, spec) {
			r = resolved(spec);
			arr = strcmp(json_string_value(json_object_get(r,
			    "type")), "array") == 0;
			if (arr) {
				json_t *it = resolved(json_object_get(r,
				    "items"));

				json_decref(r);
				r = it;
			}
			vals = json_object_get(r, "enum");
			if (vals == NULL) {
				json_decref(r);
				continue;
			}
			/* "bogus" is refused. */
			ev = sample_of(tname);
			ck_assert_ptr_nonnull(ev);
			if (arr)
				json_object_set_new(ev, fname,
				    json_pack("[s]", "bogus"));
			else
				json_object_set_new(ev, fname,
				    json_string("bogus"));
			snprintf(path, sizeof(path), arr ? "%s[0]" : "%s",
			    fname);
			expect_fail(ev, 0, path, "enum");
			json_decref(ev);
			/* Every listed value is accepted for that field. */
			json_array_foreach(vals, i, val) {
				ev = sample_of(tname);
				if (arr)
					json_object_set_new(ev, fname,
					    json_pack("[O]", val));
				else
					json_object_set(ev, fname, val);
				validate(ev, 0, errs, &nerr, NULL);
				ck_assert_msg(!has_err(errs, nerr, path,
				    "enum"), "%s %s", tname, path);
				json_decref(ev);
			}
			json_decref(r);
			checked++;
		}
	}
	ck_assert_uint_ge(checked, 30);
}
END_TEST

START_TEST(test_required)
{
	json_t *types, *tdef, *common, *spec, *ev, *lst, *x;
	const char *tname, *fname;
	size_t i, checked = 0;
	int req;

	types = json_object_get(catjson, "types");
	common = json_object_get(catjson, "common");
	json_object_foreach(types, tname, tdef) {
		if (is_system_type(tdef))
			continue;
		/* Common fields, with the type's adjustments. */
		json_object_foreach(common, fname, spec) {
			req = json_is_true(json_object_get(spec, "required"));
			lst = json_object_get(tdef, "common_required");
			json_array_foreach(lst, i, x) {
				if (strcmp(json_string_value(x), fname) == 0)
					req = 1;
			}
			lst = json_object_get(tdef, "common_optional");
			json_array_foreach(lst, i, x) {
				if (strcmp(json_string_value(x), fname) == 0)
					req = 0;
			}
			ev = sample_of(tname);
			json_object_del(ev, fname);
			if (req) {
				expect_fail(ev, 0, fname, "required");
				checked++;
			} else
				expect_ok(ev, 0);
			json_decref(ev);
		}
		json_object_foreach(json_object_get(tdef, "fields"), fname,
		    spec) {
			x = resolved(spec);
			req = json_is_true(json_object_get(x, "required"));
			json_decref(x);
			if (!req)
				continue;
			ev = sample_of(tname);
			json_object_del(ev, fname);
			expect_fail(ev, 0, fname, "required");
			json_decref(ev);
			checked++;
		}
	}
	ck_assert_uint_ge(checked, 60);

	/* reason: required unless outcome is pass (EVENTS.md). */
	ev = sample_of("realname.check");
	json_object_del(ev, "reason");
	json_object_set_new(ev, "outcome", json_string("pass"));
	expect_ok(ev, 0);
	json_decref(ev);
	ev = sample_of("realname.check");
	json_object_del(ev, "reason");
	json_object_set_new(ev, "outcome", json_string("manual_review"));
	expect_fail(ev, 0, "reason", "required");
	json_object_set_new(ev, "reason", json_string("other"));
	expect_ok(ev, 0);
	json_decref(ev);

	/* account: optional for screening, not for a takedown. */
	ev = sample_of("export.screening");
	json_object_del(ev, "account");
	expect_ok(ev, 0);
	json_decref(ev);
	/* id: optional only for syslog.message. */
	ev = sample_of("syslog.message");
	json_object_set_new(ev, "id", json_string("sl-1"));
	expect_ok(ev, 0);
	json_decref(ev);
}
END_TEST

START_TEST(test_unknown)
{
	json_t *ev;

	ev = sample_of("content.takedown");
	json_object_set_new(ev, "colour", json_string("red"));
	expect_fail(ev, 0, "colour", "unknown_field");
	json_decref(ev);

	ev = sample_of("content.takedown");
	json_object_set_new(json_object_get(ev, "reported_to"), "extra",
	    json_true());
	expect_fail(ev, 0, "reported_to.extra", "unknown_field");
	json_decref(ev);

	ev = sample_of("export.screening");
	json_object_set_new(json_array_get(json_object_get(ev, "lists"), 1),
	    "url", json_string("x"));
	expect_fail(ev, 0, "lists[1].url", "unknown_field");
	json_decref(ev);

	ev = sample_of("content.takedown");
	json_object_set_new(ev, "type", json_string("content.takeover"));
	expect_fail(ev, 0, "type", "unknown_type");
	json_object_set_new(ev, "type", json_integer(7));
	expect_fail(ev, 0, "type", "type");
	json_object_del(ev, "type");
	expect_fail(ev, 0, "type", "required");
	json_decref(ev);

	/* A fraction is refused where an integer is due (DESIGN "Records"). */
	ev = sample_of("export.screening");
	json_object_set_new(ev, "best_score", json_real(82.0));
	expect_fail(ev, 0, "best_score", "type");
	json_object_set_new(ev, "best_score", json_integer(-1));
	expect_fail(ev, 0, "best_score", "range");
	json_object_set_new(ev, "best_score", json_integer(100));
	expect_ok(ev, 0);
	json_decref(ev);

	/* Null is not absence. */
	ev = sample_of("content.takedown");
	json_object_set_new(ev, "category", json_null());
	expect_fail(ev, 0, "category", "type");
	json_decref(ev);

	/* Not an object at all. */
	ev = json_pack("[s]", "x");
	expect_fail(ev, 0, "", "type");
	json_decref(ev);
}
END_TEST

START_TEST(test_system_types)
{
	json_t *ev;
	const char *stream;

	ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "sys-1", "type",
	    "system.start", "time", "2026-11-29T03:10:23Z", "version", "0.1.0",
	    "config_sha256",
	    "0000000000000000000000000000000000000000000000000000000000000000");
	expect_fail(ev, 0, "type", "system_only");
	stream = expect_ok(ev, CAIRN_VALIDATE_SYSTEM);
	ck_assert_str_eq(stream, "system");
	json_decref(ev);

	ev = json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", "sys-2", "type",
	    "system.account_queried", "time", "2026-11-29T03:10:23Z",
	    "token", "auditor", "endpoint", "/v1/accounts/u-1001");
	expect_fail(ev, CAIRN_VALIDATE_SYSTEM, "account", "required");
	json_object_set_new(ev, "account", json_string("u-1001"));
	expect_fail(ev, 0, "type", "system_only");
	expect_ok(ev, CAIRN_VALIDATE_SYSTEM);
	json_decref(ev);

	/* The flag does not open the door to unknown fields. */
	ev = json_pack("{s:s, s:s, s:s, s:s, s:{s:s, s:s}, s:s}", "id", "sys-3",
	    "type", "system.report_generated", "time",
	    "2026-11-29T03:10:23+08:00", "kind", "export", "period", "from",
	    "2026-10-01T00:00:00+08:00", "to", "2026-11-01T00:00:00+08:00",
	    "file_sha256",
	    "00000000000000000000000000000000000000000000000000000000000000ff");
	expect_ok(ev, CAIRN_VALIDATE_SYSTEM);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev,
	    "period"), "from")), "2026-09-30T16:00:00.000000Z");
	json_object_del(ev, "tz");
	json_object_set_new(ev, "seq", json_integer(1));
	expect_fail(ev, CAIRN_VALIDATE_SYSTEM, "seq", "unknown_field");
	json_decref(ev);
}
END_TEST

/* Fills a 17-digit body from a seed and appends its GB 11643 check char. */
static void
make_id(unsigned seed, char out[19])
{
	static const int w[17] = { 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5,
	    8, 4, 2 };
	static const char map[] = "10X98765432";
	int i, sum = 0;

	for (i = 0; i < 17; i++) {
		seed = seed * 1103515245u + 12345u;
		out[i] = (char)('0' + (seed >> 16) % 10);
		sum += (out[i] - '0') * w[i];
	}
	out[17] = map[sum % 11];
	out[18] = '\0';
}

START_TEST(test_idcard)
{
	static const char *const fields[] = { "note", "id_token",
	    "consent_ref", "account" };
	char id[19], bad[19];
	json_t *ev;
	unsigned seed;
	size_t f;

	/* The standard's example: its check character is X. */
	strcpy(id, "11010519491231002X");
	make_id(0, bad);
	ev = with_note(id);
	expect_fail(ev, 0, "note", "raw_personal_data");
	json_decref(ev);
	ev = with_note("11010519491231002x");
	expect_fail(ev, 0, "note", "raw_personal_data");
	json_decref(ev);
	ev = with_note("110105194912310021");	/* wrong check char */
	expect_ok(ev, 0);
	json_decref(ev);

	for (seed = 1; seed < 200; seed++) {
		make_id(seed, id);
		memcpy(bad, id, sizeof(bad));
		/* Any other check character is not an ID-card number. */
		bad[17] = id[17] == '0' ? '1' : id[17] == 'X' ? '0' : 'X';
		f = seed % (sizeof(fields) / sizeof(fields[0]));
		ev = sample_of("realname.check");
		json_object_set_new(ev, fields[f], json_string(id));
		expect_fail(ev, 0, fields[f], "raw_personal_data");
		json_object_set_new(ev, fields[f], json_string(bad));
		expect_ok(ev, 0);
		json_decref(ev);
	}

	/* Anywhere in the event, named by its path. */
	make_id(7, id);
	ev = sample_of("export.screening");
	json_object_set_new(json_array_get(json_object_get(ev, "matches"), 0),
	    "entry_id", json_string(id));
	expect_fail(ev, 0, "matches[0].entry_id", "raw_personal_data");
	json_decref(ev);
	ev = sample_of("content.appeal");
	json_array_append_new(json_object_get(ev, "refs"), json_string(id));
	expect_fail(ev, 0, "refs[1]", "raw_personal_data");
	json_decref(ev);
}
END_TEST

START_TEST(test_mobile)
{
	static const char *const raw[] = { "13800138000", "19912345678",
	    "+8613800138000", "+86 138 0013 8000", "+86-138-0013-8000",
	    "8613800138000", "86 13800138000", "008613800138000",
	    "0086 138-0013-8000", "138 0013 8000", "138-0013-8000",
	    " 15012345678 " };
	static const char *const fine[] = { "12800138000", "1380013800",
	    "138001380001", "+8713800138000", "+13800138000",
	    "tel 13800138000", "138.0013.8000", "10012345678",
	    "u-13800138000", "00013800138000" };
	json_t *ev;
	size_t i;

	for (i = 0; i < sizeof(raw) / sizeof(raw[0]); i++) {
		ev = with_note(raw[i]);
		expect_fail(ev, 0, "note", "raw_personal_data");
		json_decref(ev);
	}
	for (i = 0; i < sizeof(fine) / sizeof(fine[0]); i++) {
		ev = with_note(fine[i]);
		expect_ok(ev, 0);
		json_decref(ev);
	}
	/* In syslog structured data too. */
	ev = sample_of("syslog.message");
	json_object_set_new(json_object_get(json_object_get(ev, "sd"), "meta"),
	    "phone", json_string("+86 139 1234 5678"));
	expect_fail(ev, 0, "sd.meta.phone", "raw_personal_data");
	json_decref(ev);
	ev = sample_of("syslog.message");
	json_object_set_new(json_object_get(ev, "sd"), "13800138000",
	    json_object());
	expect_fail(ev, 0, "sd.13800138000", "raw_personal_data");
	json_decref(ev);
}
END_TEST

/* Validates a realname.check sample with the given time. */
static void
check_time(const char *in, const char *want, const char *tz)
{
	json_t *ev = sample_of("realname.check");

	json_object_set_new(ev, "time", json_string(in));
	expect_ok(ev, 0);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "time")), want);
	ck_assert_str_eq(json_string_value(json_object_get(ev, "tz")), tz);
	json_decref(ev);
}

START_TEST(test_time_normalisation)
{
	json_t *ev;

	check_time("2026-11-29T11:10:23+08:00", "2026-11-29T03:10:23.000000Z",
	    "+08:00");
	check_time("2026-11-29T03:10:23Z", "2026-11-29T03:10:23.000000Z",
	    "+00:00");
	check_time("2026-11-29t03:10:23z", "2026-11-29T03:10:23.000000Z",
	    "+00:00");
	check_time("2026-11-29T03:10:23+00:00", "2026-11-29T03:10:23.000000Z",
	    "+00:00");
	check_time("2026-11-29T03:10:23-00:00", "2026-11-29T03:10:23.000000Z",
	    "-00:00");
	check_time("2026-11-28T21:40:23.5-05:30",
	    "2026-11-29T03:10:23.500000Z", "-05:30");
	check_time("2026-11-29T03:10:23.5Z", "2026-11-29T03:10:23.500000Z",
	    "+00:00");
	check_time("2026-11-29T03:10:23.123Z", "2026-11-29T03:10:23.123000Z",
	    "+00:00");
	check_time("2026-11-29T03:10:23.123456Z",
	    "2026-11-29T03:10:23.123456Z", "+00:00");
	check_time("2026-11-29T03:10:23.123456000Z",
	    "2026-11-29T03:10:23.123456Z", "+00:00");
	/* Crossing a year and a leap day. */
	check_time("2025-01-01T07:59:59.999999+08:00",
	    "2024-12-31T23:59:59.999999Z", "+08:00");
	check_time("2024-03-01T01:00:00+02:00", "2024-02-29T23:00:00.000000Z",
	    "+02:00");

	/* Precision beyond microseconds is refused, not dropped. */
	ev = sample_of("realname.check");
	json_object_set_new(ev, "time",
	    json_string("2026-11-29T03:10:23.123456789Z"));
	expect_fail(ev, 0, "time", "format");
	json_object_set_new(ev, "time", json_string("2026-11-29T03:10:23Z"));
	json_object_set_new(ev, "tz", json_string("+08:00"));
	expect_fail(ev, 0, "tz", "reserved");
	json_decref(ev);

	/* Nested and other datetime fields are normalised too. */
	ev = sample_of("content.takedown");
	expect_ok(ev, 0);
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(ev,
	    "reported_to"), "time")), "2026-11-04T08:00:00.000000Z");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "applied_at")),
	    "2026-11-04T06:22:05.123000Z");
	ck_assert_str_eq(json_string_value(json_object_get(ev, "tz")),
	    "+08:00");
	json_decref(ev);
}
END_TEST

START_TEST(test_rfc3339)
{
	static const char *const bad[] = {
		"2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z",
		"1900-02-29T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-00-01T00:00:00Z", "2026-01-00T00:00:00Z",
		"2026-04-31T00:00:00Z", "2026-01-32T00:00:00Z",
		"2026-01-01T24:00:00Z", "2026-01-01T23:60:00Z",
		"2026-12-31T23:59:60Z", "2026-06-30T23:59:60+00:00",
		"2026-01-01T00:00:00", "2026-01-01T00:00:00.5",
		"2026-01-01 00:00:00Z", "2026-01-01T00:00Z",
		"2026-1-01T00:00:00Z", "26-01-01T00:00:00Z",
		"2026-01-01T00:00:00.Z", "2026-01-01T00:00:00.1234567Z",
		"2026-01-01T00:00:00.0000000000Z", "2026-01-01T00:00:00+0800",
		"2026-01-01T00:00:00+24:00", "2026-01-01T00:00:00+08:60",
		"2026-01-01T00:00:00+8:00", "2026-01-01T00:00:00Zjunk",
		"2026-01-01T00:00:00+08:00 ", "+2026-01-01T00:00:00Z",
		"0000-01-01T00:00:00+00:01", "9999-12-31T23:59:59-00:01",
		"2026-01-01T00:00:00UTC", "", "2026-01-01T00:00:0aZ",
	};
	char out[CAIRN_RFC3339_LEN + 1], tz[7];
	int64_t us;
	size_t i;
	int off;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cairn_rfc3339_parse(bad[i], strlen(bad[i]), &us,
		    &off) == CAIRN_EINVAL, "accepted %s", bad[i]);
	/* n bounds the input: a valid prefix of a longer buffer. */
	ck_assert_int_eq(cairn_rfc3339_parse("2026-01-01T00:00:00Zjunk", 20,
	    &us, &off), 0);
	ck_assert_int_eq(cairn_rfc3339_parse("2026-01-01T00:00:00Z", 19, &us,
	    &off), CAIRN_EINVAL);

	ck_assert_int_eq(cairn_rfc3339_parse("2026-11-29T03:10:23.5Z", 22, &us,
	    &off), 0);
	ck_assert_int_eq(us, INT64_C(1795921823500000));
	ck_assert_int_eq(off, 0);
	ck_assert_int_eq(cairn_rfc3339_parse("2024-02-29T12:00:00-05:30", 25,
	    &us, &off), 0);
	ck_assert_int_eq(off, -330);
	ck_assert_int_eq(cairn_rfc3339_parse("2000-02-29T00:00:00+23:59", 25,
	    &us, &off), 0);
	ck_assert_int_eq(off, 23 * 60 + 59);
	ck_assert_int_eq(cairn_rfc3339_parse("1970-01-01T00:00:00-00:00", 25,
	    &us, &off), 0);
	ck_assert_int_eq(us, 0);
	ck_assert_int_eq(off, CAIRN_RFC3339_UNKNOWN_OFFSET);
	ck_assert_int_eq(cairn_rfc3339_parse("1969-12-31T23:59:59.999999Z", 27,
	    &us, NULL), 0);
	ck_assert_int_eq(us, -1);
	cairn_rfc3339_format(us, out);
	ck_assert_str_eq(out, "1969-12-31T23:59:59.999999Z");
	ck_assert_int_eq(cairn_rfc3339_parse("0000-01-01T00:00:00Z", 20, &us,
	    NULL), 0);
	ck_assert_int_eq(us, INT64_C(-62167219200000000));
	cairn_rfc3339_format(us, out);
	ck_assert_str_eq(out, "0000-01-01T00:00:00.000000Z");
	ck_assert_int_eq(cairn_rfc3339_parse("9999-12-31T23:59:59.999999Z", 27,
	    &us, NULL), 0);
	ck_assert_int_eq(us, INT64_C(253402300799999999));
	cairn_rfc3339_format(us, out);
	ck_assert_str_eq(out, "9999-12-31T23:59:59.999999Z");
	cairn_rfc3339_format(0, out);
	ck_assert_str_eq(out, "1970-01-01T00:00:00.000000Z");
	cairn_rfc3339_format(INT64_C(1795921823500000), out);
	ck_assert_str_eq(out, "2026-11-29T03:10:23.500000Z");

	cairn_rfc3339_offset(480, tz);
	ck_assert_str_eq(tz, "+08:00");
	cairn_rfc3339_offset(-330, tz);
	ck_assert_str_eq(tz, "-05:30");
	cairn_rfc3339_offset(0, tz);
	ck_assert_str_eq(tz, "+00:00");
	cairn_rfc3339_offset(CAIRN_RFC3339_UNKNOWN_OFFSET, tz);
	ck_assert_str_eq(tz, "-00:00");
	cairn_rfc3339_offset(-(23 * 60 + 59), tz);
	ck_assert_str_eq(tz, "-23:59");
}
END_TEST

START_TEST(test_multiple_errors)
{
	struct cairn_verr errs[MAXERR], few[2];
	json_t *ev;
	size_t nerr;

	ev = sample_of("export.screening");
	json_object_set_new(ev, "party_kind", json_string("robot"));
	json_object_set_new(ev, "party_country", json_string("sg"));
	json_object_del(ev, "trigger");
	json_object_set_new(json_array_get(json_object_get(ev, "matches"), 0),
	    "score", json_integer(101));
	json_object_set_new(ev, "colour", json_string("red"));
	ck_assert_int_eq(validate(ev, 0, errs, &nerr, NULL), CAIRN_EVALIDATE);
	ck_assert_msg(nerr == 5, "%zu: %s", nerr, dump(errs, nerr));
	ck_assert(has_err(errs, nerr, "party_kind", "enum"));
	ck_assert(has_err(errs, nerr, "party_country", "format"));
	ck_assert(has_err(errs, nerr, "trigger", "required"));
	ck_assert(has_err(errs, nerr, "matches[0].score", "range"));
	ck_assert(has_err(errs, nerr, "colour", "unknown_field"));
	/* A short error array still learns the total. */
	ck_assert_int_eq(cairn_catalog_validate(cat, ev, 0, NULL, few, 2,
	    &nerr), CAIRN_EVALIDATE);
	ck_assert_uint_eq(nerr, 5);
	ck_assert_int_eq(cairn_catalog_validate(cat, ev, 0, NULL, NULL, 0,
	    &nerr), CAIRN_EVALIDATE);
	ck_assert_uint_eq(nerr, 5);
	json_decref(ev);

	/* Array caps. */
	ev = sample_of("apikey.transfer_suspected");
	{
		json_t *a = json_array();
		int i;

		for (i = 0; i < 17; i++)
			json_array_append_new(a, json_string("other"));
		json_object_set_new(ev, "signals", a);
	}
	expect_fail(ev, 0, "signals", "max_items");
	json_decref(ev);

	/* Length caps: note 1024 characters, counted as characters. */
	ev = sample_of("realname.check");
	{
		char *s = malloc(1025 * 3 + 1);
		size_t i;

		for (i = 0; i < 1024; i++)
			memcpy(s + 3 * i, "\xe4\xb8\xad", 3);
		s[3 * 1024] = '\0';
		json_object_set_new(ev, "note", json_string(s));
		expect_ok(ev, 0);
		memcpy(s + 3 * 1024, "\xe4\xb8\xad", 4);
		json_object_set_new(ev, "note", json_string(s));
		json_object_del(ev, "tz");
		json_object_set_new(ev, "time",
		    json_string("2026-11-29T03:10:23Z"));
		expect_fail(ev, 0, "note", "max_length");
		free(s);
	}
	json_decref(ev);
}
END_TEST

/* Loads a catalog from a C string. */
static int
load_str(const char *s)
{
	struct cairn_catalog *c = NULL;
	int rc;

	rc = cairn_catalog_load((const uint8_t *)s, strlen(s), &c);
	if (rc == 0)
		ck_assert_ptr_nonnull(c);
	else
		ck_assert_ptr_null(c);
	cairn_catalog_free(c);
	return rc;
}

#define MINI_HEAD "{\"version\":1,\"streams\":[{\"name\":\"s\",\"writer\":\"sender\"}]," \
	"\"common\":{\"type\":{\"type\":\"string\",\"required\":true}," \
	"\"time\":{\"type\":\"string\",\"format\":\"datetime\",\"required\":true}},"

START_TEST(test_load_malformed)
{
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"type\":\"integer\",\"min\":0}}}}}"), 0);
	ck_assert_int_eq(load_str("{"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str("[]"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str("{\"version\":2}"), CAIRN_EFORMAT);
	/* Unknown stream, kind, format, key; bad ref; bad condition. */
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":"
	    "\"t\"}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"type\":\"float\"}}}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"type\":\"string\",\"format\":\"uuid\"}}}}}"),
	    CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"type\":\"string\",\"pattern\":\"a\"}}}}}"),
	    CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"ref\":\"nope\"}}}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"type\":\"string\",\"required_unless\":"
	    "{\"field\":\"y\",\"equals\":\"z\"}}}}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"type\":\"string\",\"min\":5,\"max\":2}}}}}"),
	    CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"x\":{\"type\":\"string\",\"enum\":[]}}}}}"),
	    CAIRN_EFORMAT);
	/* A type may not redefine a common field, nor define tz. */
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"time\":{\"type\":\"string\"}}}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"fields\":{\"tz\":{\"type\":\"string\"}}}}}"), CAIRN_EFORMAT);
	/* Duplicate keys, as in events (DESIGN "Records"). */
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\"},"
	    "\"a.b\":{\"stream\":\"s\"}}}"), CAIRN_EFORMAT);
	/* Nesting deeper than depth_max. */
	ck_assert_int_eq(load_str("{\"version\":1,\"limits\":{\"depth_max\":2},"
	    "\"streams\":[{\"name\":\"s\",\"writer\":\"sender\"}],"
	    "\"common\":{\"type\":{\"type\":\"string\",\"required\":true},"
	    "\"time\":{\"type\":\"string\",\"format\":\"datetime\"}},"
	    "\"types\":{\"a.b\":{\"stream\":\"s\",\"fields\":{\"x\":{\"type\":"
	    "\"object\",\"fields\":{\"y\":{\"type\":\"array\",\"items\":"
	    "{\"type\":\"string\"}}}}}}}}"), CAIRN_EFORMAT);
	/* Without a required "time" the validator cannot fill tz. */
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"common_optional\":[\"time\"]}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"common_optional\":[\"type\"]}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str(MINI_HEAD "\"types\":{\"a.b\":{\"stream\":\"s\","
	    "\"common_required\":[\"nope\"]}}}"), CAIRN_EFORMAT);
	ck_assert_int_eq(load_str("{\"version\":1,\"streams\":[{\"name\":\"s\","
	    "\"writer\":\"sender\"}],\"common\":{\"type\":{\"type\":\"string\","
	    "\"required\":true}},\"types\":{\"a.b\":{\"stream\":\"s\"}}}"),
	    CAIRN_EFORMAT);
}
END_TEST

START_TEST(test_custom_catalog)
{
	static const char cj[] = MINI_HEAD
	    "\"types\":{\"a.b\":{\"stream\":\"s\",\"fields\":{"
	    "\"kind\":{\"type\":\"string\",\"enum\":[\"x\",\"y\"]},"
	    "\"why\":{\"type\":\"string\",\"required_if\":{\"field\":\"kind\","
	    "\"equals\":\"y\"}}}}}}";
	struct cairn_catalog *c;
	struct cairn_verr errs[MAXERR];
	const char *stream;
	json_t *ev;
	size_t nerr;

	ck_assert_int_eq(cairn_catalog_load((const uint8_t *)cj,
	    sizeof(cj) - 1, &c), 0);
	ev = json_pack("{s:s, s:s, s:s}", "type", "a.b", "time",
	    "2026-11-29T03:10:23Z", "kind", "y");
	ck_assert_int_eq(cairn_catalog_validate(c, ev, 0, &stream, errs,
	    MAXERR, &nerr), CAIRN_EVALIDATE);
	ck_assert(has_err(errs, nerr, "why", "required"));
	json_object_set_new(ev, "kind", json_string("x"));
	ck_assert_int_eq(cairn_catalog_validate(c, ev, 0, &stream, errs,
	    MAXERR, &nerr), 0);
	ck_assert_str_eq(stream, "s");
	ck_assert_str_eq(cairn_catalog_type_at(c, 0), "a.b");
	ck_assert_ptr_null(cairn_catalog_type_at(c, 1));
	json_decref(ev);
	cairn_catalog_free(c);
}
END_TEST

/* cairn_catalog_field_type: the kind of a field, common or own; NULL if unknown. */
START_TEST(test_field_type)
{
	ck_assert_str_eq(cairn_catalog_field_type(cat, "account.suspended",
	    "reason"), "string");
	ck_assert_str_eq(cairn_catalog_field_type(cat, "account.suspended",
	    "refs"), "array");
	ck_assert_str_eq(cairn_catalog_field_type(cat, "account.suspended",
	    "time"), "string");
	ck_assert_str_eq(cairn_catalog_field_type(cat, "syslog.message",
	    "facility"), "integer");
	ck_assert_str_eq(cairn_catalog_field_type(cat, "syslog.message", "sd"),
	    "object");		/* a map */
	ck_assert_str_eq(cairn_catalog_field_type(cat, "realname.check",
	    "is_adult"), "boolean");
	ck_assert_str_eq(cairn_catalog_field_type(cat, "realname.check",
	    "method"), "array");
	ck_assert_ptr_null(cairn_catalog_field_type(cat, "account.suspended",
	    "facility"));
	ck_assert_ptr_null(cairn_catalog_field_type(cat, "account.suspended",
	    "tz"));
	ck_assert_ptr_null(cairn_catalog_field_type(cat, "no.such", "time"));
	ck_assert_ptr_null(cairn_catalog_field_type(cat, NULL, "time"));
	ck_assert_ptr_null(cairn_catalog_field_type(NULL, "syslog.message",
	    "time"));
}
END_TEST

/* Builds the suite. */
static Suite *
catalog_suite(void)
{
	Suite *s = suite_create("catalog");
	TCase *tc = tcase_create("catalog");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_default_matches_file);
	tcase_add_test(tc, test_samples_valid);
	tcase_add_test(tc, test_invalid_cases);
	tcase_add_test(tc, test_every_enum);
	tcase_add_test(tc, test_required);
	tcase_add_test(tc, test_unknown);
	tcase_add_test(tc, test_system_types);
	tcase_add_test(tc, test_idcard);
	tcase_add_test(tc, test_mobile);
	tcase_add_test(tc, test_time_normalisation);
	tcase_add_test(tc, test_rfc3339);
	tcase_add_test(tc, test_multiple_errors);
	tcase_add_test(tc, test_load_malformed);
	tcase_add_test(tc, test_custom_catalog);
	tcase_add_test(tc, test_field_type);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(catalog_suite());
}
