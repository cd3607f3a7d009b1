/*
 * test_jview.c: the view of canonical JSON (store/jview.c) that the export
 * writer and verifier read entries through: lookups, decoding, and that it
 * refuses what cairn_cjson_check refuses (RFC 8785 as cjson.h restricts
 * it), never reading past its input.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkutil.h"
#include "jview.h"

/* Parses a copy of s in a buffer of exactly its length (ASan sees any
 * read past the end) and returns cairn_jview_parse's code. */
static int
parse_n(struct cairn_jview *v, const char *s, size_t n)
{
	uint8_t *p = malloc(n ? n : 1);
	int rc;

	ck_assert_ptr_nonnull(p);
	memcpy(p, s, n);
	rc = cairn_jview_parse(v, p, n);
	/* The view must not point into its input. */
	memset(p, 'x', n);
	free(p);
	return rc;
}

static int
parse(struct cairn_jview *v, const char *s)
{
	return parse_n(v, s, strlen(s));
}

#define ENTRY "{\"event\":{\"account\":\"a1\",\"is_adult\":false," \
	"\"n\":-42,\"note\":\"q\\\"\\\\\\n\\u001f\xc3\xa9\",\"sd\":{}," \
	"\"tags\":[\"x\",[1,2],{\"k\":null}],\"type\":\"t.x\"}," \
	"\"received\":\"2026-11-20T00:00:00.000000Z\",\"seq\":9007199254740991}"

START_TEST(test_lookup_and_decode)
{
	struct cairn_jview v;
	const char *s;
	int64_t i;
	size_t len;
	int ev, t, c;

	cairn_jview_init(&v);
	ck_assert_int_eq(parse(&v, ENTRY), 0);
	ck_assert_int_eq(cairn_jview_type(&v, 0), CAIRN_JV_OBJECT);
	ev = cairn_jview_get(&v, 0, "event");
	ck_assert_int_eq(cairn_jview_type(&v, ev), CAIRN_JV_OBJECT);
	ck_assert_str_eq(cairn_jview_getstr(&v, 0, "received"),
	    "2026-11-20T00:00:00.000000Z");
	ck_assert_int_eq(cairn_jview_int(&v, cairn_jview_get(&v, 0, "seq"),
	    &i), 0);
	ck_assert(i == 9007199254740991LL);
	ck_assert_int_eq(cairn_jview_int(&v, cairn_jview_get(&v, ev, "n"), &i),
	    0);
	ck_assert(i == -42);
	ck_assert_str_eq(cairn_jview_text(&v, cairn_jview_get(&v, ev, "n"),
	    &len), "-42");
	ck_assert_uint_eq(len, 3);
	/* escapes decoded, UTF-8 kept */
	s = cairn_jview_str(&v, cairn_jview_get(&v, ev, "note"), &len);
	ck_assert_uint_eq(len, 7);
	ck_assert(memcmp(s, "q\"\\\n\x1f\xc3\xa9", 7) == 0 && s[7] == '\0');
	ck_assert_int_eq(cairn_jview_type(&v, cairn_jview_get(&v, ev,
	    "is_adult")), CAIRN_JV_FALSE);
	/* members of the event are not members of the entry */
	ck_assert_int_eq(cairn_jview_get(&v, 0, "account"), -1);
	ck_assert_ptr_null(cairn_jview_getstr(&v, 0, "seq"));
	ck_assert_int_eq(cairn_jview_get(&v, ev, "zz"), -1);
	ck_assert_int_eq(cairn_jview_get(&v, ev, ""), -1);
	ck_assert_int_eq(cairn_jview_get(&v, ev, "typ"), -1);
	ck_assert_int_eq(cairn_jview_get(&v, ev, "type_"), -1);
	ck_assert_int_eq(cairn_jview_get(&v, ev, "a"), -1);
	ck_assert_int_eq(cairn_jview_int(&v, cairn_jview_get(&v, 0, "received"),
	    &i), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_jview_get(&v, cairn_jview_get(&v, 0, "seq"),
	    "x"), -1);
	ck_assert_int_eq(cairn_jview_type(&v, -1), 0);
	ck_assert_int_eq(cairn_jview_type(&v, (int)v.ntok), 0);
	/* layout: the array's children, skipping the nested ones */
	t = cairn_jview_get(&v, ev, "tags");
	ck_assert_int_eq(cairn_jview_type(&v, t), CAIRN_JV_ARRAY);
	c = t + 1;
	ck_assert_str_eq(cairn_jview_str(&v, c, NULL), "x");
	c = (int)v.tok[c].next;
	ck_assert_int_eq(cairn_jview_type(&v, c), CAIRN_JV_ARRAY);
	ck_assert_uint_eq(v.tok[c].next, (uint32_t)c + 3);
	c = (int)v.tok[c].next;
	ck_assert_int_eq(cairn_jview_type(&v, c), CAIRN_JV_OBJECT);
	ck_assert_int_eq(cairn_jview_type(&v, cairn_jview_get(&v, c, "k")),
	    CAIRN_JV_NULL);
	ck_assert_uint_eq(v.tok[c].next, v.tok[t].next);
	ck_assert_str_eq(cairn_jview_getstr(&v, ev, "type"), "t.x");
	/* the empty object has no children */
	c = cairn_jview_get(&v, ev, "sd");
	ck_assert_uint_eq(v.tok[c].next, (uint32_t)c + 1);
	ck_assert_uint_eq(v.tok[0].next, v.ntok);
	cairn_jview_free(&v);
}
END_TEST

START_TEST(test_reuse)
{
	struct cairn_jview v;

	cairn_jview_init(&v);
	ck_assert_int_eq(parse(&v, ENTRY), 0);
	ck_assert_int_eq(parse(&v, "{\"a\":\"b\"}"), 0);
	ck_assert_uint_eq(v.ntok, 3);
	ck_assert_str_eq(cairn_jview_getstr(&v, 0, "a"), "b");
	ck_assert_int_eq(cairn_jview_get(&v, 0, "event"), -1);
	/* a failed parse leaves no tokens behind */
	ck_assert_int_eq(parse(&v, "{\"a\":\"b\""), CAIRN_EJSON);
	ck_assert_uint_eq(v.ntok, 0);
	ck_assert_int_eq(cairn_jview_get(&v, 0, "a"), -1);
	ck_assert_ptr_null(cairn_jview_getstr(&v, 0, "a"));
	ck_assert_int_eq(parse(&v, "\"top\""), 0);
	ck_assert_str_eq(cairn_jview_str(&v, 0, NULL), "top");
	ck_assert_int_eq(parse(&v, "7"), 0);
	ck_assert_str_eq(cairn_jview_text(&v, 0, NULL), "7");
	ck_assert_int_eq(cairn_jview_parse(&v, NULL, 0), CAIRN_EJSON);
	cairn_jview_free(&v);
}
END_TEST

START_TEST(test_truncated)
{
	struct cairn_jview v;
	size_t n, len = strlen(ENTRY);

	cairn_jview_init(&v);
	/* No proper prefix of an object is a value. */
	for (n = 0; n < len; n++)
		ck_assert_msg(parse_n(&v, ENTRY, n) != 0, "prefix %zu", n);
	ck_assert_int_eq(parse_n(&v, ENTRY, len), 0);
	cairn_jview_free(&v);
}
END_TEST

/* Inputs the view must refuse with a given code. */
static const struct {
	const char	*in;
	int		 rc;
} refused[] = {
	{ "", CAIRN_EJSON },
	{ "{", CAIRN_EJSON },
	{ "{\"a\"", CAIRN_EJSON },
	{ "{\"a\":", CAIRN_EJSON },
	{ "{\"a\":1,}", CAIRN_EJSON },
	{ "[1,]", CAIRN_EJSON },
	{ "[1 2]", CAIRN_EJSON },
	{ "{1:2}", CAIRN_EJSON },
	{ "\"abc", CAIRN_EJSON },
	{ "\"a\\", CAIRN_EJSON },
	{ "\"\\x\"", CAIRN_EJSON },		/* no such escape */
	{ "\"\\u12\"", CAIRN_EJSON },		/* short \u */
	{ "\"\\u00zz\"", CAIRN_EJSON },
	{ "\"a\tb\"", CAIRN_EJSON },		/* raw control */
	{ "tru", CAIRN_EJSON },
	{ "nul", CAIRN_EJSON },
	{ "-", CAIRN_EJSON },
	{ "01", CAIRN_EJSON },
	{ "1}", CAIRN_EJSON },
	{ "{}{}", CAIRN_EJSON },
	{ "\"\xc3\"", CAIRN_EUTF8 },		/* truncated sequence */
	{ "\"\xc0\xaf\"", CAIRN_EUTF8 },	/* overlong */
	{ "\"\xed\xa0\x80\"", CAIRN_EUTF8 },	/* surrogate */
	{ "\"\xf4\x90\x80\x80\"", CAIRN_EUTF8 },/* above U+10FFFF */
	{ "\"\xc3\xa9\xa9\"", CAIRN_EUTF8 },	/* stray continuation */
	/* valid JSON, not canonical */
	{ " 1", CAIRN_ENOTCANON },
	{ "1 ", CAIRN_ENOTCANON },
	{ "{\"a\": 1}", CAIRN_ENOTCANON },
	{ "[1, 2]", CAIRN_ENOTCANON },
	{ "{\"b\":1,\"a\":2}", CAIRN_ENOTCANON },	/* unsorted */
	{ "{\"a\":1,\"a\":2}", CAIRN_ENOTCANON },	/* duplicate */
	{ "{\"ab\":1,\"a\":2}", CAIRN_ENOTCANON },	/* prefix after */
	{ "{\"\xc3\xa9\":1}", CAIRN_ENOTCANON },	/* key not ASCII */
	{ "\"\\/\"", CAIRN_ENOTCANON },
	{ "\"\\u0041\"", CAIRN_ENOTCANON },	/* A needs no escape */
	{ "\"\\u000a\"", CAIRN_ENOTCANON },	/* \n has a short form */
	{ "\"\\u001F\"", CAIRN_ENOTCANON },	/* upper-case hex */
	{ "\"\\u0000\"", CAIRN_ENOTCANON },	/* U+0000 */
	{ "\"\\u00e9\"", CAIRN_ENOTCANON },	/* é is written as UTF-8 */
	{ "-0", CAIRN_ENOTCANON },
	{ "1.0", CAIRN_ENOTCANON },
	{ "1e3", CAIRN_ENOTCANON },
	{ "9007199254740992", CAIRN_ENOTCANON },	/* 2^53 */
	{ "-9007199254740992", CAIRN_ENOTCANON },
	{ "12345678901234567", CAIRN_ENOTCANON },
};

START_TEST(test_refused)
{
	struct cairn_jview v;
	size_t i;

	cairn_jview_init(&v);
	for (i = 0; i < sizeof refused / sizeof refused[0]; i++) {
		ck_assert_msg(parse(&v, refused[i].in) == refused[i].rc,
		    "input %zu: %d", i, parse(&v, refused[i].in));
		/* and the checker agrees that it is no canonical value */
		ck_assert_int_ne(cairn_cjson_check((const uint8_t *)
		    refused[i].in, strlen(refused[i].in)), 0);
	}
	/* a NUL inside the input is no JSON */
	ck_assert_int_eq(parse_n(&v, "\"a\0\"", 4), CAIRN_EJSON);
	ck_assert_int_eq(parse_n(&v, "1\0", 2), CAIRN_EJSON);
	cairn_jview_free(&v);
}
END_TEST

/* Canonical values the view must take, as the checker does. */
static const char *const accepted[] = {
	"0", "-1", "9007199254740991", "-9007199254740991", "true", "false",
	"null", "\"\"", "[]", "{}", "[[],{}]", "{\"\":1}",
	"{\"a\":1,\"ab\":2,\"b\":3}", "\"\\u0001\\u001f\\b\\t\\n\\f\\r\"",
	"{\"\\n\":1,\"a\":2}", "\"\xf0\x9f\x98\x80\xef\xbf\xbf\"",
	"[\"\",\"\",\"\"]", "[1,2,3]",
};

START_TEST(test_accepted)
{
	struct cairn_jview v;
	size_t i;

	cairn_jview_init(&v);
	for (i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
		ck_assert_int_eq(cairn_cjson_check((const uint8_t *)accepted[i],
		    strlen(accepted[i])), 0);
		ck_assert_msg(parse(&v, accepted[i]) == 0, "input %zu", i);
		ck_assert_uint_eq(v.tok[0].len, strlen(accepted[i]));
	}
	cairn_jview_free(&v);
}
END_TEST

/* Nesting depth CAIRN_CJSON_MAX_DEPTH is taken, one more is not. */
START_TEST(test_depth)
{
	struct cairn_jview v;
	char b[2 * (CAIRN_CJSON_MAX_DEPTH + 1) + 8];
	int d;

	cairn_jview_init(&v);
	for (d = CAIRN_CJSON_MAX_DEPTH; d <= CAIRN_CJSON_MAX_DEPTH + 1; d++) {
		memset(b, '[', (size_t)d);
		memset(b + d, ']', (size_t)d);
		b[2 * d] = '\0';
		ck_assert_int_eq(parse(&v, b), d > CAIRN_CJSON_MAX_DEPTH ?
		    CAIRN_ENOTCANON : 0);
		ck_assert_int_eq(cairn_cjson_check((const uint8_t *)b,
		    strlen(b)) == 0, d <= CAIRN_CJSON_MAX_DEPTH);
	}
	/* objects count as deep as arrays */
	ck_assert_int_eq(parse(&v, "{\"a\":[{\"b\":[]}]}"), 0);
	/* deeper still, unbalanced: refused before any recursion runs away */
	{
		char deep[100000];

		memset(deep, '[', sizeof deep);
		ck_assert_int_eq(parse_n(&v, deep, sizeof deep),
		    CAIRN_ENOTCANON);
	}
	cairn_jview_free(&v);
}
END_TEST

/* The densest inputs: the token and string arrays reserved up front hold
 * them (ASan would see an overrun). */
START_TEST(test_dense)
{
	struct cairn_jview v;
	char *b;
	size_t i, n = 20001;

	cairn_jview_init(&v);
	b = malloc(2 * n + 2);
	ck_assert_ptr_nonnull(b);
	b[0] = '[';
	for (i = 0; i < n; i++) {
		b[2 * i + 1] = '0';
		b[2 * i + 2] = ',';
	}
	b[2 * n] = ']';
	b[2 * n + 1] = '\0';
	ck_assert_int_eq(parse(&v, b), 0);
	ck_assert_uint_eq(v.ntok, n + 1);
	ck_assert_int_eq(parse(&v, "[\"\",\"\"]"), 0);
	ck_assert_int_eq(parse(&v, "[[[]]]"), 0);
	ck_assert_uint_eq(v.ntok, 3);
	free(b);
	cairn_jview_free(&v);
}
END_TEST

/* Runs the suite; fails if any test failed. */
int
main(void)
{
	Suite *s = suite_create("jview");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_lookup_and_decode);
	tcase_add_test(tc, test_reuse);
	tcase_add_test(tc, test_truncated);
	tcase_add_test(tc, test_refused);
	tcase_add_test(tc, test_accepted);
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_dense);
	suite_add_tcase(s, tc);
	return check_run(s);
}
