/* test_cjson.c: canonical JSON (RFC 8785 subset) parse, encode, check. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cjson.h"
#include "checkutil.h"

#define S(lit)	(const uint8_t *)(lit), sizeof(lit) - 1

/* Parses in, encodes it and returns the canonical bytes (caller frees). */
static char *
canon(const char *in)
{
	struct cairn_buf b = { NULL, 0, 0 };
	char err[160];
	json_t *v;
	int rc;

	rc = cairn_json_parse((const uint8_t *)in, strlen(in), &v, err,
	    sizeof(err));
	ck_assert_msg(rc == 0, "parse %s: %d %s", in, rc, err);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), 0);
	json_decref(v);
	return (char *)b.p;
}

/* Asserts that in canonicalises to out, out checks, and in does not. */
static void
jcs_case(const char *in, const char *out)
{
	char *got;
	json_t *v;

	got = canon(in);
	ck_assert_str_eq(got, out);
	ck_assert_int_eq(cairn_cjson_check((const uint8_t *)got, strlen(got)),
	    0);
	if (strcmp(in, out) != 0)
		ck_assert_int_eq(cairn_cjson_check((const uint8_t *)in,
		    strlen(in)), CAIRN_ENOTCANON);
	ck_assert_int_eq(cairn_cjson_decode((const uint8_t *)got, strlen(got),
	    &v), 0);
	json_decref(v);
	free(got);
}

/* Returns cairn_json_parse's code for a NUL-terminated input. */
static int
parse_rc(const char *in, size_t n)
{
	char err[160];
	json_t *v = NULL;
	int rc;

	rc = cairn_json_parse((const uint8_t *)in, n, &v, err, sizeof(err));
	if (rc == 0)
		json_decref(v);
	else
		ck_assert_msg(err[0] != '\0', "no message for %s", in);
	return rc;
}

#define PARSE_RC(lit)	parse_rc(lit, sizeof(lit) - 1)
#define CHECK_RC(lit)	cairn_cjson_check(S(lit))

/*
 * RFC 8785 section 3.2.2 example without its "numbers" member (reals are
 * outside our subset); the full example must be refused.
 */
START_TEST(rfc8785_example)
{
	jcs_case("{\n  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022"
	    "\\u005c\\\\\\\"\\/\",\n  \"literals\": [null, true, false]\n}",
	    "{\"literals\":[null,true,false],\"string\":\"\xe2\x82\xac$"
	    "\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
	ck_assert_int_eq(PARSE_RC("{\n  \"numbers\": [333333333.33333329, "
	    "1E30, 4.50, 2e-3, 0.000000000000000000000000001],\n"
	    "  \"literals\": [null, true, false]\n}"), CAIRN_EINVAL);
}
END_TEST

/* RFC 8785 section 3.2.3: the ASCII part of the sorting example. */
START_TEST(rfc8785_sorting)
{
	jcs_case("{\n  \"\\r\": \"Carriage Return\",\n  \"1\": \"One\"\n}",
	    "{\"\\r\":\"Carriage Return\",\"1\":\"One\"}");
	/* The full example has non-ASCII keys, which Cairn refuses. */
	ck_assert_int_eq(PARSE_RC("{\"\\u20ac\": \"Euro Sign\", \"\\r\": "
	    "\"Carriage Return\", \"\\ufb33\": \"Hebrew Letter Dalet With "
	    "Dagesh\", \"1\": \"One\", \"\\ud83d\\ude00\": \"Emoji: Grinning "
	    "Face\", \"\\u0080\": \"Control\", \"\\u00f6\": \"Latin Small "
	    "Letter O With Diaeresis\"}"), CAIRN_EINVAL);
}
END_TEST

/* The cyberphone/json-canonicalization test data that fits our subset. */
START_TEST(jcs_testdata)
{
	/* arrays.json */
	jcs_case("[\n  56,\n  {\n    \"d\": true,\n    \"10\": null,\n"
	    "    \"1\": [ ]\n  }\n]", "[56,{\"1\":[],\"10\":null,\"d\":true}]");
	/* structures.json with 56.0 written as 56 (no reals here). */
	jcs_case("{\n  \"1\": {\"f\": {\"f\": \"hi\",\"F\": 5} ,\"\\n\": 56},\n"
	    "  \"10\": { },\n  \"\": \"empty\",\n  \"a\": { },\n"
	    "  \"111\": [ { } ],\n  \"A\": { }\n}",
	    "{\"\":\"empty\",\"1\":{\"\\n\":56,\"f\":{\"F\":5,\"f\":\"hi\"}},"
	    "\"10\":{},\"111\":[{}],\"A\":{},\"a\":{}}");
	ck_assert_int_eq(PARSE_RC("{\"1\": {\"\\n\": 56.0}}"), CAIRN_EINVAL);
	/* unicode.json: no normalisation, literal UTF-8. */
	jcs_case("{\n  \"Unnormalized Unicode\":\"\\u1e0d\\u0307\"\n}\n",
	    "{\"Unnormalized Unicode\":\"\xe1\xb8\x8d\xcc\x87\"}");
	/* simpleString.json */
	jcs_case("    \"this is a test string 1235\"",
	    "\"this is a test string 1235\"");
	/* weird.json's ASCII-keyed members; DEL stays literal. */
	jcs_case("{\n  \"1\": \"One\",\n  \"ctl\": \"Control\\u007f\",\n"
	    "  \"</script>\": \"Browser Challenge\"\n}",
	    "{\"1\":\"One\",\"</script>\":\"Browser Challenge\","
	    "\"ctl\":\"Control\x7f\"}");
	ck_assert_int_eq(PARSE_RC("{\"\\u20ac\": \"Euro Sign\", \"1\": "
	    "\"One\"}"), CAIRN_EINVAL);
}
END_TEST

START_TEST(sorting_and_scalars)
{
	jcs_case("{\"b\":1,\"a\":2,\"aa\":3,\"A\":4,\"\":5,\"a\\u0001\":6}",
	    "{\"\":5,\"A\":4,\"a\":2,\"a\\u0001\":6,\"aa\":3,\"b\":1}");
	jcs_case("[ -0, 0, -1, 9007199254740991, -9007199254740991, true, "
	    "false, null, \"\", [], {} ]",
	    "[0,0,-1,9007199254740991,-9007199254740991,true,false,null,"
	    "\"\",[],{}]");
	jcs_case("\"\\u00e9\\u4e2d\\ud83d\\ude00/\\u007f\"",
	    "\"\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80/\x7f\"");
	/* Escaped keys sort by their decoded bytes: "\n" (0x0a) < "A". */
	ck_assert_int_eq(CHECK_RC("{\"\\n\":1,\"A\":2}"), 0);
	ck_assert_int_eq(CHECK_RC("{\"A\":2,\"\\n\":1}"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("{\"\\u001f\":1,\"\\\"\":2,\"\\\\\":3}"), 0);
	ck_assert_int_eq(CHECK_RC("{\"\\\\\":3,\"\\\"\":2}"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("{\"a\":1,\"ab\":2,\"b\":{\"a\":[]}}"), 0);
	ck_assert_int_eq(CHECK_RC("{\"ab\":1,\"a\":2}"), CAIRN_ENOTCANON);
}
END_TEST

/* Small objects are sorted by insertion on the stack, larger ones by qsort:
 * both orders agree, at the boundary and past it, whatever the order the
 * members were added in. */
START_TEST(sorting_small_and_large)
{
	static const int sizes[] = { 2, 15, 16, 17, 40 };
	struct cairn_buf up = { NULL, 0, 0 }, down = { NULL, 0, 0 };
	json_t *a, *b;
	char key[16];
	size_t i;
	int k, n;

	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		n = sizes[i];
		a = json_object();
		b = json_object();
		for (k = 0; k < n; k++) {
			/* Keys that are prefixes of others, and not. */
			snprintf(key, sizeof key, k % 3 ? "k%d" : "k%d0", k);
			json_object_set_new(a, key, json_integer(k));
			snprintf(key, sizeof key, (n - 1 - k) % 3 ? "k%d" : "k%d0",
			    n - 1 - k);
			json_object_set_new(b, key, json_integer(n - 1 - k));
		}
		up.len = down.len = 0;
		ck_assert_int_eq(cairn_cjson_encode(a, &up), 0);
		ck_assert_int_eq(cairn_cjson_encode(b, &down), 0);
		ck_assert_msg(cairn_cjson_check(up.p, up.len) == 0, "%d: %s", n,
		    up.p);
		ck_assert_uint_eq(up.len, down.len);
		ck_assert(memcmp(up.p, down.p, up.len) == 0);
		json_decref(a);
		json_decref(b);
	}
	cairn_buf_free(&up);
	cairn_buf_free(&down);
}
END_TEST

START_TEST(every_control_escape)
{
	struct cairn_buf b = { NULL, 0, 0 };
	char s[2], want[16];
	json_t *v;
	int c;

	for (c = 1; c < 0x20; c++) {
		s[0] = (char)c;
		b.len = 0;
		ck_assert_int_eq(cairn_cjson_add_string(&b, s, 1), 0);
		switch (c) {
		case '\b': strcpy(want, "\"\\b\""); break;
		case '\t': strcpy(want, "\"\\t\""); break;
		case '\n': strcpy(want, "\"\\n\""); break;
		case '\f': strcpy(want, "\"\\f\""); break;
		case '\r': strcpy(want, "\"\\r\""); break;
		default: snprintf(want, sizeof(want), "\"\\u00%02x\"", c); break;
		}
		ck_assert_str_eq((char *)b.p, want);
		ck_assert_int_eq(cairn_cjson_check(b.p, b.len), 0);
		ck_assert_int_eq(cairn_cjson_decode(b.p, b.len, &v), 0);
		ck_assert_uint_eq(json_string_length(v), 1);
		ck_assert_int_eq(json_string_value(v)[0], c);
		json_decref(v);
	}
	b.len = 0;
	ck_assert_int_eq(cairn_cjson_add_string(&b, "\"\\/\x7f\xc3\xa9", 6),
	    0);
	ck_assert_str_eq((char *)b.p, "\"\\\"\\\\/\x7f\xc3\xa9\"");
	/* A NUL is refused and nothing is added: the buffer reads as before. */
	ck_assert_int_eq(cairn_cjson_add_string(&b, "x\"y\0b", 5),
	    CAIRN_EINVAL);
	ck_assert_str_eq((char *)b.p, "\"\\\"\\\\/\x7f\xc3\xa9\"");
	ck_assert_int_eq(cairn_cjson_add_string(&b, "a\0b", 3), CAIRN_EINVAL);
	ck_assert_int_eq(cairn_cjson_add_string(&b, "\xc3", 1), CAIRN_EUTF8);
	ck_assert_int_eq(cairn_cjson_add_string(&b, "\xed\xa0\x80", 3),
	    CAIRN_EUTF8);
	cairn_buf_free(&b);
}
END_TEST

/* Returns a malloc'd string of n opening then n closing brackets. */
static char *
nest(int n, char open, char close)
{
	char *s = malloc((size_t)n * 2 + 1);
	int i;

	ck_assert_ptr_nonnull(s);
	for (i = 0; i < n; i++) {
		s[i] = open;
		s[n + i] = close;
	}
	s[2 * n] = '\0';
	return s;
}

START_TEST(check_rejects)
{
	char *s;

	/* Whitespace (RFC 8785 section 3.2.1). */
	ck_assert_int_eq(CHECK_RC("{\"a\": 1}"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC(" 1"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("[1,\n2]"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("{}\n"), CAIRN_ENOTCANON);
	/* Order and duplicates (section 3.2.3). */
	ck_assert_int_eq(CHECK_RC("{\"b\":1,\"a\":2}"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("{\"a\":1,\"a\":2}"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("{\"a\":{\"x\":1,\"x\":1}}"),
	    CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("{\"\xc3\xa9\":1}"), CAIRN_ENOTCANON);
	/* Escapes (section 3.2.2.2). */
	ck_assert_int_eq(CHECK_RC("\"\\u0041\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\/\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\u001F\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\u001f\""), 0);
	ck_assert_int_eq(CHECK_RC("\"\\u000a\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\u0000\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\u007f\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\u00e9\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\ud83d\\ude00\""), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("\"\\x\""), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("\"\\u00g0\""), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("\"a\tb\""), CAIRN_EJSON);
	ck_assert_int_eq(cairn_cjson_check((const uint8_t *)"\"\0\"", 3),
	    CAIRN_EJSON);
	/* Numbers (section 3.2.2.3, integers only). */
	ck_assert_int_eq(CHECK_RC("01"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("[00]"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("-0"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("1.0"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("1e2"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("[1E+2]"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("9007199254740992"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("-9007199254740992"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("10000000000000000"), CAIRN_ENOTCANON);
	ck_assert_int_eq(CHECK_RC("9007199254740991"), 0);
	ck_assert_int_eq(CHECK_RC("-9007199254740991"), 0);
	ck_assert_int_eq(CHECK_RC("1."), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("1e"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("-"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("+1"), CAIRN_EJSON);
	/* UTF-8 (RFC 3629 section 4). */
	ck_assert_int_eq(CHECK_RC("\"\xc0\xaf\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xe0\x80\xaf\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xf0\x80\x80\xaf\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xed\xa0\x80\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xf4\x90\x80\x80\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xe2\x82\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xe2\x82"), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\x80\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xff\""), CAIRN_EUTF8);
	ck_assert_int_eq(CHECK_RC("\"\xf4\x8f\xbf\xbf\xed\x9f\xbf\""), 0);
	/* Framing. */
	ck_assert_int_eq(CHECK_RC(""), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("{}x"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("{}{}"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("[1,]"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("{\"a\"}"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("{\"a\":1,}"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("tru"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("\"abc"), CAIRN_EJSON);
	ck_assert_int_eq(CHECK_RC("[1 2]"), CAIRN_EJSON);
	/* Depth: 64 containers deep is the limit. */
	s = nest(64, '[', ']');
	ck_assert_int_eq(cairn_cjson_check((uint8_t *)s, strlen(s)), 0);
	free(s);
	s = nest(65, '[', ']');
	ck_assert_int_eq(cairn_cjson_check((uint8_t *)s, strlen(s)),
	    CAIRN_ENOTCANON);
	free(s);
	s = nest(100000, '[', ']');
	ck_assert_int_eq(cairn_cjson_check((uint8_t *)s, strlen(s)),
	    CAIRN_ENOTCANON);
	free(s);
}
END_TEST

START_TEST(parse_rejects)
{
	char err[160];
	json_t *v;
	char *s;

	ck_assert_int_eq(PARSE_RC("{\"a\":1,\"a\":1}"), CAIRN_EJSON);
	ck_assert_int_eq(PARSE_RC("{\"x\":{\"a\":1,\"b\":2,\"a\":3}}"),
	    CAIRN_EJSON);
	ck_assert_int_eq(PARSE_RC("1.0"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("[1e2]"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("{\"a\":0.5}"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("9007199254740992"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("-9007199254740992"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("9223372036854775808"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("9007199254740991"), 0);
	ck_assert_int_eq(PARSE_RC("\"\xc0\xaf\""), CAIRN_EUTF8);
	ck_assert_int_eq(PARSE_RC("\"\xed\xa0\x80\""), CAIRN_EUTF8);
	ck_assert_int_eq(PARSE_RC("\"\xe2\x82\""), CAIRN_EUTF8);
	ck_assert_int_eq(PARSE_RC("{\"\xc3\xa9\":1}"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("{\"\\u00e9\":1}"), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("\"a\\u0000b\""), CAIRN_EINVAL);
	ck_assert_int_eq(PARSE_RC("\"\\ud800\""), CAIRN_EJSON);
	ck_assert_int_eq(PARSE_RC("{} x"), CAIRN_EJSON);
	ck_assert_int_eq(PARSE_RC("{\"a\":}"), CAIRN_EJSON);
	ck_assert_int_eq(PARSE_RC(""), CAIRN_EJSON);
	/* jansson alone would accept a number followed by NUL. */
	ck_assert_int_eq(PARSE_RC("5\0"), CAIRN_EJSON);
	ck_assert_int_eq(PARSE_RC("{}\0"), CAIRN_EJSON);
	s = nest(64, '[', ']');
	ck_assert_int_eq(parse_rc(s, strlen(s)), 0);
	free(s);
	s = nest(65, '[', ']');
	ck_assert_int_eq(parse_rc(s, strlen(s)), CAIRN_EINVAL);
	free(s);
	s = nest(100000, '[', ']');
	ck_assert_int_eq(parse_rc(s, strlen(s)), CAIRN_EINVAL);
	free(s);
	/* Messages carry jansson's position. */
	ck_assert_int_eq(cairn_json_parse(S("{\n\"a\" 1}"), &v, err,
	    sizeof(err)), CAIRN_EJSON);
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(err, "line 2"));
}
END_TEST

START_TEST(encode_rejects)
{
	struct cairn_buf b = { NULL, 0, 0 };
	json_t *v, *o;
	char *s;
	int i;

	v = json_real(1.5);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), CAIRN_EINVAL);
	json_decref(v);
	v = json_integer(9007199254740992LL);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), CAIRN_EINVAL);
	json_decref(v);
	v = json_integer(-9007199254740991LL);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), 0);
	ck_assert_str_eq((char *)b.p, "-9007199254740991");
	json_decref(v);
	v = json_pack("{s:i}", "\xc3\xa9", 1);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), CAIRN_EINVAL);
	json_decref(v);
	v = json_object();
	json_object_setn_new(v, "a\0b", 3, json_true());
	ck_assert_int_eq(cairn_cjson_encode(v, &b), CAIRN_EINVAL);
	json_decref(v);
	v = json_stringn("a\0b", 3);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), CAIRN_EINVAL);
	json_decref(v);
	v = json_stringn_nocheck("\xff", 1);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), CAIRN_EUTF8);
	json_decref(v);
	/* 64 nested objects are fine, a 65th is not. */
	v = json_object();
	for (i = 1; i < 64; i++) {
		o = json_object();
		json_object_set_new(o, "k", v);
		v = o;
	}
	b.len = 0;
	ck_assert_int_eq(cairn_cjson_encode(v, &b), 0);
	o = json_object();
	json_object_set_new(o, "k", v);
	ck_assert_int_eq(cairn_cjson_encode(o, &b), CAIRN_EINVAL);
	json_decref(o);
	s = nest(64, '[', ']');
	b.len = 0;
	v = json_loads(s, 0, NULL);
	ck_assert_int_eq(cairn_cjson_encode(v, &b), 0);
	ck_assert_str_eq((char *)b.p, s);
	json_decref(v);
	free(s);
	cairn_buf_free(&b);
}
END_TEST

/* Asserts member key of s has the raw value want (NULL: absent). */
static void
member_is(const char *s, const char *key, const char *want)
{
	const uint8_t *val;
	size_t vlen;
	int rc;

	ck_assert_int_eq(cairn_cjson_check((const uint8_t *)s, strlen(s)), 0);
	rc = cairn_cjson_member((const uint8_t *)s, strlen(s), key, &val,
	    &vlen);
	if (want == NULL) {
		ck_assert_int_eq(rc, CAIRN_ENOTFOUND);
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(vlen, strlen(want));
	ck_assert(memcmp(val, want, vlen) == 0);
}

START_TEST(member)
{
	const char *s = "{\"a\":{\"x\":\"}\\\"{\",\"y\":[1,{\"z\":\"]\\\\\"}]},"
	    "\"b\":\"q\\\\\\\"}\",\"c\":-3,\"d\":[],\"e\":{\"\":\"\"},"
	    "\"f\":null}";
	const uint8_t *val;
	size_t vlen;

	member_is(s, "a", "{\"x\":\"}\\\"{\",\"y\":[1,{\"z\":\"]\\\\\"}]}");
	member_is(s, "b", "\"q\\\\\\\"}\"");
	member_is(s, "c", "-3");
	member_is(s, "d", "[]");
	member_is(s, "e", "{\"\":\"\"}");
	member_is(s, "f", "null");
	member_is(s, "x", NULL);
	member_is(s, "z", NULL);
	member_is(s, "", NULL);
	member_is(s, "aa", NULL);
	member_is(s, "g", NULL);
	member_is("{}", "a", NULL);
	member_is("{\"\\n\":1,\"a\\\"b\":2,\"a\\\\\":3}", "\n", "1");
	member_is("{\"\\n\":1,\"a\\\"b\":2,\"a\\\\\":3}", "a\"b", "2");
	member_is("{\"\\n\":1,\"a\\\"b\":2,\"a\\\\\":3}", "a\\", "3");
	member_is("{\"\\u001f\":true}", "\x1f", "true");
	ck_assert_int_eq(cairn_cjson_member(S("[1]"), "a", &val, &vlen),
	    CAIRN_EJSON);
	ck_assert_int_eq(cairn_cjson_member(S("{\"a\":1"), "a", &val, &vlen),
	    CAIRN_EJSON);
}
END_TEST

START_TEST(utf8)
{
	ck_assert_int_eq(cairn_utf8_valid(S("")), 1);
	ck_assert_int_eq(cairn_utf8_valid(S("plain ascii text, long enough")),
	    1);
	ck_assert_int_eq(cairn_utf8_valid(S("\xc2\x80\xdf\xbf\xe0\xa0\x80"
	    "\xef\xbf\xbf\xf0\x90\x80\x80\xf4\x8f\xbf\xbf")), 1);
	ck_assert_int_eq(cairn_utf8_valid(S("\xc1\xbf")), 0);
	ck_assert_int_eq(cairn_utf8_valid(S("\xe0\x9f\xbf")), 0);
	ck_assert_int_eq(cairn_utf8_valid(S("\xed\xbf\xbf")), 0);
	ck_assert_int_eq(cairn_utf8_valid(S("\xf0\x8f\xbf\xbf")), 0);
	ck_assert_int_eq(cairn_utf8_valid(S("\xf4\x90\x80\x80")), 0);
	ck_assert_int_eq(cairn_utf8_valid(S("\xf5\x80\x80\x80")), 0);
	ck_assert_int_eq(cairn_utf8_valid(S("abcdefgh\xe2\x82")), 0);
	ck_assert_int_eq(cairn_utf8_valid(S("\xe2\x28\xa1")), 0);
}
END_TEST

/* Appends code point cp as UTF-8 to s at *n. */
static void
put_utf8(char *s, size_t *n, uint32_t cp)
{
	if (cp < 0x80)
		s[(*n)++] = (char)cp;
	else if (cp < 0x800) {
		s[(*n)++] = (char)(0xc0 | cp >> 6);
		s[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else if (cp < 0x10000) {
		s[(*n)++] = (char)(0xe0 | cp >> 12);
		s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[(*n)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		s[(*n)++] = (char)(0xf0 | cp >> 18);
		s[(*n)++] = (char)(0x80 | ((cp >> 12) & 0x3f));
		s[(*n)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		s[(*n)++] = (char)(0x80 | (cp & 0x3f));
	}
}

/* A random string of up to max characters; ASCII only if ascii. */
static json_t *
rnd_string(int ascii, size_t max)
{
	char s[128];
	size_t n = 0, len = (size_t)rand() % (max + 1), i;
	uint32_t cp;

	for (i = 0; i < len; i++) {
		switch (ascii ? 0 : rand() % 4) {
		case 0:
			cp = 1 + (uint32_t)rand() % 127;
			break;
		case 1:
			cp = 0x80 + (uint32_t)rand() % 0x780;
			break;
		case 2:
			do
				cp = 0x800 + (uint32_t)rand() % 0xf800;
			while (cp >= 0xd800 && cp <= 0xdfff);
			break;
		default:
			cp = 0x10000 + (uint32_t)rand() % 0x100000;
			break;
		}
		put_utf8(s, &n, cp);
	}
	return json_stringn(s, n);
}

/* A random integer in the safe range, edges included often. */
static json_int_t
rnd_int(void)
{
	static const json_int_t edge[] = { 0, 1, -1, 9, 10, -10,
	    CAIRN_CJSON_MAX_INT, -CAIRN_CJSON_MAX_INT,
	    CAIRN_CJSON_MAX_INT - 1, 1000000000000000LL };
	json_int_t v;

	if (rand() % 3 == 0)
		return edge[(size_t)rand() % (sizeof(edge) / sizeof(edge[0]))];
	v = ((json_int_t)rand() << 31 | rand()) % (CAIRN_CJSON_MAX_INT + 1);
	if (rand() % 10 < 9)
		v %= (json_int_t)1 << (rand() % 53 + 1);
	return rand() & 1 ? -v : v;
}

/* A random value in the canonical subset, depth levels deep at most. */
static json_t *
rnd_value(int depth)
{
	json_t *v, *k;
	int i, n;

	switch (rand() % (depth > 0 ? 8 : 6)) {
	case 0: return json_true();
	case 1: return json_false();
	case 2: return json_null();
	case 3: return json_integer(rnd_int());
	case 4:
	case 5: return rnd_string(rand() % 2, 20);
	case 6:
		v = json_array();
		n = rand() % 5;
		for (i = 0; i < n; i++)
			json_array_append_new(v, rnd_value(depth - 1));
		return v;
	default:
		v = json_object();
		n = rand() % 7;
		for (i = 0; i < n; i++) {
			k = rnd_string(1, 4);
			json_object_setn_new(v, json_string_value(k),
			    json_string_length(k), rnd_value(depth - 1));
			json_decref(k);
		}
		return v;
	}
}

START_TEST(property_roundtrip)
{
	struct cairn_buf b = { NULL, 0, 0 }, b2 = { NULL, 0, 0 };
	const uint8_t *val;
	const char *key;
	json_t *v, *d, *m;
	size_t vlen;
	int i;

	srand(8785);
	for (i = 0; i < 5000; i++) {
		v = rnd_value(4);
		b.len = 0;
		ck_assert_int_eq(cairn_cjson_encode(v, &b), 0);
		ck_assert_msg(cairn_cjson_check(b.p, b.len) == 0, "%s", b.p);
		ck_assert_int_eq(cairn_cjson_decode(b.p, b.len, &d), 0);
		ck_assert(json_equal(v, d));
		/* Every member is found with its canonical encoding. */
		if (json_is_object(v))
			json_object_foreach(v, key, m) {
				b2.len = 0;
				ck_assert_int_eq(cairn_cjson_encode(m, &b2), 0);
				ck_assert_int_eq(cairn_cjson_member(b.p, b.len,
				    key, &val, &vlen), 0);
				ck_assert_uint_eq(vlen, b2.len);
				ck_assert(memcmp(val, b2.p, vlen) == 0);
			}
		/* A parse of the canonical bytes re-encodes identically. */
		json_decref(d);
		ck_assert_int_eq(cairn_json_parse(b.p, b.len, &d, NULL, 0), 0);
		b2.len = 0;
		ck_assert_int_eq(cairn_cjson_encode(d, &b2), 0);
		ck_assert_uint_eq(b.len, b2.len);
		ck_assert(memcmp(b.p, b2.p, b.len) == 0);
		json_decref(d);
		json_decref(v);
	}
	cairn_buf_free(&b);
	cairn_buf_free(&b2);
}
END_TEST

/*
 * The fast path (YAJL) and jansson alone: the same code, message and value
 * for every input; the fast path taken where it should be and nowhere
 * YAJL is laxer than jansson.
 */
START_TEST(fast_path)
{
	static const struct {
		const char	*in;
		int		 rc;
		int		 fast;	/* 1: the fast path made the value */
	} c[] = {
		{ "{\"id\":\"e-1\",\"type\":\"account.created\",\"time\":"
		    "\"2026-11-30T00:00:00.123456+08:00\",\"account\":\"u-1\","
		    "\"note\":\"caf\xc3\xa9 \xe4\xb8\xad\"}", 0, 1 },
		{ " {\"a\" : [ true , false , null ] } \r\n\t", 0, 1 },
		{ "[0,-0,7,-7,999999999999999,-999999999999999]", 0, 1 },
		/* A key with escapes, then a value with escapes: the key is
		 * copied before YAJL decodes the value where it decoded it. */
		{ "{\"a\\nb\":\"c\\td\",\"e\\\"f\":\"g\\\\h\\/\"}", 0, 1 },
		{ "[\"\\\\u0041\"]", 0, 1 },	/* an escaped backslash, then u */
		{ "{\"a\":{\"b\":{}},\"c\":[]}", 0, 1 },
		/* Left to jansson. */
		{ "\"plain\"", 0, 0 },
		{ "7", 0, 0 },
		{ "{}\"x", CAIRN_EJSON, 0 },
		{ "[1] \"]", CAIRN_EJSON, 0 },
		{ "4\"", CAIRN_EJSON, 0 },
		{ "{}  \r\n", 0, 1 },
		{ "1000000000000000", 0, 0 },
		{ "-9007199254740991", 0, 0 },
		{ "9007199254740992", CAIRN_EINVAL, 0 },
		{ "99999999999999999999", CAIRN_EINVAL, 0 },
		{ "\"\\u00e9\"", 0, 0 },
		{ "\"\\ud83d\\ude00\"", 0, 0 },
		{ "\"\\ud800\"", CAIRN_EJSON, 0 },
		{ "\"\\udc00\"", CAIRN_EJSON, 0 },
		{ "\"a\\u0000b\"", CAIRN_EINVAL, 0 },
		{ "[1,\v2]", CAIRN_EJSON, 0 },
		{ "[1,\f2]", CAIRN_EJSON, 0 },
		{ "{\"a\":1,\"a\":2}", CAIRN_EJSON, 0 },
		{ "{\"x\":{\"a\\n\":1,\"a\\n\":[]}}", CAIRN_EJSON, 0 },
		{ "[1.5]", CAIRN_EINVAL, 0 },
		{ "[1e2]", CAIRN_EINVAL, 0 },
		{ "{\"\xc3\xa9\":1}", CAIRN_EINVAL, 1 },
		{ "[1,2", CAIRN_EJSON, 0 },
		{ "{\"a\":1}x", CAIRN_EJSON, 0 },
		{ "[01]", CAIRN_EJSON, 0 },
		{ "[1,]", CAIRN_EJSON, 0 },
		{ "\"\x01\"", CAIRN_EJSON, 0 },
		{ " ", CAIRN_EJSON, 0 },
		{ "1 2", CAIRN_EJSON, 0 },
	};
	char err[160], jerr[160], key[300];
	json_t *v, *j;
	unsigned long before;
	size_t i;
	char *s;
	int rc;

	for (i = 0; i < sizeof c / sizeof c[0]; i++) {
		before = cairn_json_fast_count();
		rc = cairn_json_parse((const uint8_t *)c[i].in,
		    strlen(c[i].in), &v, err, sizeof err);
		ck_assert_msg(rc == c[i].rc, "%zu: rc %d", i, rc);
		ck_assert_msg(cairn_json_fast_count() - before ==
		    (unsigned long)c[i].fast, "%zu: fast path %s", i,
		    c[i].fast ? "not taken" : "taken");
		ck_assert_int_eq(cairn_json_parse_jansson(
		    (const uint8_t *)c[i].in, strlen(c[i].in), &j, jerr,
		    sizeof jerr), rc);
		if (rc == 0)
			ck_assert_msg(json_equal(v, j), "%zu: values differ", i);
		else
			ck_assert_str_eq(err, jerr);
		json_decref(v);
		json_decref(j);
	}
	/* Depth: 64 nested is ours, 65 is refused with our message, and
	 * deeper the fast path stops. */
	for (i = 64; i <= 66; i++) {
		s = nest((int)i, '[', ']');
		before = cairn_json_fast_count();
		rc = cairn_json_parse((const uint8_t *)s, strlen(s), &v, err,
		    sizeof err);
		ck_assert_int_eq(rc, i == 64 ? 0 : CAIRN_EINVAL);
		ck_assert_uint_eq(cairn_json_fast_count() - before, i < 66);
		ck_assert_int_eq(cairn_json_parse_jansson((const uint8_t *)s,
		    strlen(s), &j, jerr, sizeof jerr), rc);
		if (rc != 0)
			ck_assert_str_eq(err, jerr);
		json_decref(v);
		json_decref(j);
		free(s);
	}
	/* A key too long to copy is jansson's. */
	memset(key, 'k', sizeof key);
	memcpy(key, "{\"", 2);
	memcpy(key + sizeof key - 5, "\":1}", 5);
	before = cairn_json_fast_count();
	ck_assert_int_eq(cairn_json_parse((const uint8_t *)key, strlen(key),
	    &v, err, sizeof err), 0);
	ck_assert_uint_eq(cairn_json_fast_count(), before);
	ck_assert_uint_eq(json_object_size(v), 1);
	json_decref(v);
}
END_TEST

/* Collects the tests into one suite. */
static Suite *
cjson_suite(void)
{
	Suite *s = suite_create("cjson");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rfc8785_example);
	tcase_add_test(tc, rfc8785_sorting);
	tcase_add_test(tc, jcs_testdata);
	tcase_add_test(tc, sorting_and_scalars);
	tcase_add_test(tc, sorting_small_and_large);
	tcase_add_test(tc, every_control_escape);
	tcase_add_test(tc, check_rejects);
	tcase_add_test(tc, parse_rejects);
	tcase_add_test(tc, fast_path);
	tcase_add_test(tc, encode_rejects);
	tcase_add_test(tc, member);
	tcase_add_test(tc, utf8);
	tcase_add_test(tc, property_roundtrip);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; fails if any test failed. */
int
main(void)
{
	return check_run(cjson_suite());
}
