/*
 * test_jarena.c: jansson's values in per-thread arenas, as cairnd's
 * listeners use them: events parse, validate and encode the same inside a
 * scope as outside; values cross scope boundaries in both directions; a
 * scope past the arena's cap goes on with malloc; nested scopes keep the
 * outer one's values; threads keep their own arenas; jansson's strings are
 * freed with its own free function.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <jansson.h>

#include "cairn.h"
#include "catalog.h"
#include "cjson.h"
#include "jarena.h"
#include "util.h"
#include "checkutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN	1
#endif
#endif

/* An audit event as a platform sends it. */
static const char event[] =
    "{\"id\":\"e-1\",\"type\":\"account.created\","
    "\"time\":\"2026-11-29T08:00:00.123456+08:00\",\"account\":\"u-7\","
    "\"account_kind\":\"personal\",\"via\":\"direct\"}";
/* JSON that needs escapes, nesting and numbers to encode. */
static const char mixed[] =
    "{\"z\":[1,25,-300,true,null,{\"b\":\"\\u00e9t\\u00e9\",\"a\":"
    "\"\\\"quoted\\\" and a tab\\t\"}],\"a\":{}}";

/* The canonical encoding of mixed, parsed in the current scope (if any). */
static void
encode_event(struct cairn_buf *b)
{
	char msg[160];
	json_t *v;

	ck_assert_msg(cairn_json_parse((const uint8_t *)mixed,
	    sizeof mixed - 1, &v, msg, sizeof msg) == 0, "%s", msg);
	b->len = 0;
	ck_assert_int_eq(cairn_cjson_encode(v, b), 0);
	json_decref(v);
}

START_TEST(installed_once)
{
	ck_assert_int_eq(cairn_jarena_installed(), 1);
	cairn_jarena_install();		/* a second call changes nothing */
	ck_assert_int_eq(cairn_jarena_installed(), 1);
	ck_assert_uint_eq(cairn_jarena_used(), 0);
}
END_TEST

START_TEST(same_result_inside_and_outside)
{
	struct cairn_buf out = { 0 }, in = { 0 };

	encode_event(&out);
	cairn_jarena_begin();
	encode_event(&in);
	ck_assert_uint_gt(cairn_jarena_used(), 0);
	cairn_jarena_end();
	ck_assert_uint_eq(cairn_jarena_used(), 0);
	ck_assert_uint_eq(in.len, out.len);
	ck_assert(memcmp(in.p, out.p, in.len) == 0);
	cairn_buf_free(&out);
	cairn_buf_free(&in);
}
END_TEST

START_TEST(prepare_and_refuse_inside)
{
	static const char bad[] = "{\"id\":\"e-2\",\"type\":\"account.created\"}";
	struct cairn_catalog *cat;
	struct cairn_verr err[4];
	cairn_event *e = NULL, *e2 = NULL;
	size_t nerr;
	int i;

	ck_assert_int_eq(cairn_catalog_default(&cat), 0);
	for (i = 0; i < 3; i++) {
		cairn_jarena_begin();
		ck_assert_int_eq(cairn_event_prepare(cat, "test",
		    (const uint8_t *)event, sizeof event - 1, 0, &e, err, 4,
		    &nerr), 0);
		/* A bad event: its errors are copies, usable after the scope. */
		ck_assert_int_eq(cairn_event_prepare(cat, "test",
		    (const uint8_t *)bad, strlen(bad), 0, &e2, err, 4, &nerr),
		    CAIRN_EVALIDATE);
		cairn_jarena_end();
		ck_assert_ptr_null(e2);
		ck_assert_uint_gt(nerr, 0);
		ck_assert_str_ne(err[0].rule, "");
		ck_assert_str_eq(cairn_event_id(e), "e-1");
		ck_assert_str_eq(cairn_event_stream(e), "account");
		cairn_event_free(e);
	}
	cairn_catalog_free(cat);
}
END_TEST

START_TEST(values_cross_scopes)
{
	json_t *before, *inside, *s;

	/* Made outside, changed and freed inside. */
	before = json_object();
	ck_assert_ptr_nonnull(before);
	ck_assert_int_eq(json_object_set_new(before, "a", json_string("x")), 0);
	cairn_jarena_begin();
	ck_assert_int_eq(json_object_set_new(before, "b", json_integer(2)), 0);
	inside = json_pack("{s:s, s:[i, i]}", "k", "v", "l", 1, 2);
	ck_assert_ptr_nonnull(inside);
	json_decref(before);
	/* An inner scope ends without taking the outer one's values. */
	cairn_jarena_begin();
	s = json_string("inner");
	json_decref(s);
	cairn_jarena_end();
	ck_assert_str_eq(json_string_value(json_object_get(inside, "k")), "v");
	ck_assert_int_eq(json_integer_value(json_array_get(json_object_get(
	    inside, "l"), 1)), 2);
	json_decref(inside);
	cairn_jarena_end();
	/* Made inside after a scope ended and began again: fresh memory. */
	cairn_jarena_begin();
	s = json_string("again");
	ck_assert_str_eq(json_string_value(s), "again");
	json_decref(s);
	cairn_jarena_end();
}
END_TEST

START_TEST(past_the_cap)
{
	json_t *a;
	size_t i, used = 0;
	char k[32];

	/* About 40 MB of small values in one scope: the arena stops at its
	 * cap and the rest comes from malloc, all still usable. */
	cairn_jarena_begin();
	a = json_object();
	for (i = 0; i < 300000; i++) {
		snprintf(k, sizeof k, "key-%zu", i);
		ck_assert_int_eq(json_object_set_new(a, k,
		    json_string("a value of some length")), 0);
		if (i % 50000 == 0)
			ck_assert_uint_ge(cairn_jarena_used(), used);
		used = cairn_jarena_used();
	}
	ck_assert_uint_le(cairn_jarena_used(), 16u << 20);
	ck_assert_uint_gt(cairn_jarena_used(), 8u << 20);
	ck_assert_str_eq(json_string_value(json_object_get(a, "key-299999")),
	    "a value of some length");
	ck_assert_uint_eq(json_object_size(a), 300000);
	json_decref(a);
	cairn_jarena_end();
}
END_TEST

START_TEST(large_values)
{
	char *big;
	json_t *s;

	/* One allocation larger than an arena chunk. */
	big = malloc(200000);
	ck_assert_ptr_nonnull(big);
	memset(big, 'z', 199999);
	big[199999] = 0;
	cairn_jarena_begin();
	s = json_string(big);
	ck_assert_uint_eq(json_string_length(s), 199999);
	json_decref(s);
	cairn_jarena_end();
	free(big);
}
END_TEST

/* Many one-event scopes, then one of several chunks, right before the
 * thread exits (its arena is freed with it). */
static void *
worker(void *arg)
{
	struct cairn_buf *b = arg;
	json_t *a;
	char k[32];
	int i;

	for (i = 0; i < 2000; i++) {
		cairn_jarena_begin();
		encode_event(b);
		cairn_jarena_end();
	}
	cairn_jarena_begin();
	a = json_array();
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof k, "value %d", i);
		ck_assert_int_eq(json_array_append_new(a, json_string(k)), 0);
	}
	ck_assert_uint_gt(cairn_jarena_used(), 3 * 65536);
	json_decref(a);
	cairn_jarena_end();
	return NULL;
}

START_TEST(threads_keep_their_own)
{
	struct cairn_buf b[4], ref = { 0 };
	pthread_t t[4];
	int i;

	encode_event(&ref);
	memset(b, 0, sizeof b);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, worker, &b[i]), 0);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
		ck_assert_uint_eq(b[i].len, ref.len);
		ck_assert(memcmp(b[i].p, ref.p, ref.len) == 0);
		cairn_buf_free(&b[i]);
	}
	cairn_buf_free(&ref);
}
END_TEST

START_TEST(dumps_freed_with_jansson)
{
	json_t *v;
	char *s;

	v = json_pack("{s:i}", "n", 5);
	s = json_dumps(v, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"n\":5}");
	cairn_json_free(s);
	cairn_jarena_begin();
	s = json_dumps(v, JSON_COMPACT);
	ck_assert_str_eq(s, "{\"n\":5}");
	cairn_json_free(s);
	cairn_jarena_end();
	json_decref(v);
}
END_TEST

#ifdef ASAN
/* ASan's report ends in abort() when ASAN_OPTIONS has abort_on_error=1
 * (as .ci/run sets it), else in exit(1): either way, exit 1. */
static void
on_abort(int sig)
{
	(void)sig;
	_exit(1);
}

/* Under AddressSanitizer a value used after its scope ended is reported
 * (the process exits 1): the arena does not hide such a bug. */
START_TEST(use_after_scope_caught)
{
	json_t *s;

	signal(SIGABRT, on_abort);
	cairn_jarena_begin();
	s = json_string("gone");
	cairn_jarena_end();
	printf("%s\n", json_string_value(s));
}
END_TEST
#endif

/* Collects the tests into one suite. */
static Suite *
jarena_suite(void)
{
	Suite *s = suite_create("jarena");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, installed_once);
	tcase_add_test(tc, same_result_inside_and_outside);
	tcase_add_test(tc, prepare_and_refuse_inside);
	tcase_add_test(tc, values_cross_scopes);
	tcase_add_test(tc, past_the_cap);
	tcase_add_test(tc, large_values);
	tcase_add_test(tc, threads_keep_their_own);
	tcase_add_test(tc, dumps_freed_with_jansson);
#ifdef ASAN
	tcase_add_exit_test(tc, use_after_scope_caught, 1);
#endif
	suite_add_tcase(s, tc);
	return s;
}

/* Installs the arena's allocator before any jansson value exists, as
 * cairnd does, then runs the suite. */
int
main(void)
{
	cairn_jarena_install();
	return check_run(jarena_suite());
}
