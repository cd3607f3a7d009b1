/* test_http_decode.c: POST /v1/events bodies, media types, bearer tokens. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cairn.h"
#include "http.h"
#include "checkutil.h"

/* Decodes a NUL-terminated body; returns the code, fills ev and err. */
static int
dec(const char *body, int ct, struct http_events *ev, struct http_derr *err)
{
	return http_decode_events((const uint8_t *)body, strlen(body), ct, ev,
	    err);
}

/* Asserts that a body is refused with rc, at the given position. */
static void
refused(const char *body, int ct, int rc, int kind, size_t pos)
{
	struct http_events ev;
	struct http_derr err;

	ck_assert_int_eq(dec(body, ct, &ev, &err), rc);
	ck_assert_msg(err.pos_kind == kind && err.pos == pos,
	    "%s: position %d/%zu, expected %d/%zu (%s)", body, err.pos_kind,
	    err.pos, kind, pos, err.msg);
	ck_assert(err.msg[0] != '\0');
	ck_assert(ev.n == 0 && ev.evs == NULL && ev.lines == NULL);
}

/* RFC 9110 section 8.3: media types are case-insensitive, with parameters. */
START_TEST(test_content_type)
{
	ck_assert_int_eq(http_content_type("application/json"), HTTP_CT_JSON);
	ck_assert_int_eq(http_content_type("Application/JSON"), HTTP_CT_JSON);
	ck_assert_int_eq(http_content_type(" application/json ; charset=utf-8"),
	    HTTP_CT_JSON);
	ck_assert_int_eq(http_content_type("application/json;charset=\"UTF-8\""),
	    HTTP_CT_JSON);
	ck_assert_int_eq(http_content_type("application/json; foo=bar"),
	    HTTP_CT_JSON);
	ck_assert_int_eq(http_content_type("application/x-ndjson"),
	    HTTP_CT_NDJSON);
	/* RFC 8259 section 8.1: JSON is UTF-8. */
	ck_assert_int_eq(http_content_type("application/json; charset=latin1"),
	    0);
	ck_assert_int_eq(http_content_type("application/json; charset"), 0);
	ck_assert_int_eq(http_content_type("application/json; charset=\"utf-8"),
	    0);
	ck_assert_int_eq(http_content_type("application/json x"), 0);
	ck_assert_int_eq(http_content_type("application/jsonx"), 0);
	ck_assert_int_eq(http_content_type("text/plain"), 0);
	ck_assert_int_eq(http_content_type("application/ndjson"), 0);
	ck_assert_int_eq(http_content_type(""), 0);
	ck_assert_int_eq(http_content_type(NULL), 0);
}
END_TEST

/* RFC 6750 section 2.1: "Bearer" 1*SP b64token. */
START_TEST(test_bearer)
{
	const char *tok;
	size_t len;

	ck_assert_int_eq(http_bearer("Bearer abc-DEF_1.~+/==", &tok, &len), 0);
	ck_assert_uint_eq(len, 15);
	ck_assert(strncmp(tok, "abc-DEF_1.~+/==", len) == 0);
	ck_assert_int_eq(http_bearer("bearer   s3cret  ", &tok, &len), 0);
	ck_assert_uint_eq(len, 6);
	ck_assert(strncmp(tok, "s3cret", 6) == 0);
	ck_assert_int_eq(http_bearer("Basic YTpi", &tok, &len), -1);
	ck_assert_int_eq(http_bearer("Bearer", &tok, &len), -1);
	ck_assert_int_eq(http_bearer("Bearer ", &tok, &len), -1);
	ck_assert_int_eq(http_bearer("Bearerabc", &tok, &len), -1);
	ck_assert_int_eq(http_bearer("Bearer a b", &tok, &len), -1);
	ck_assert_int_eq(http_bearer("Bearer a@b", &tok, &len), -1);
	ck_assert_int_eq(http_bearer(NULL, &tok, &len), -1);
}
END_TEST

START_TEST(test_object_and_array)
{
	struct http_events ev;
	struct http_derr err;

	ck_assert_int_eq(dec(" {\"id\":\"a\"}\n", HTTP_CT_JSON, &ev, &err), 0);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert_ptr_null(ev.lines);
	ck_assert_str_eq(json_string_value(json_object_get(ev.evs[0], "id")),
	    "a");
	http_events_free(&ev);
	/* Brackets, commas and escaped quotes inside strings do not split. */
	ck_assert_int_eq(dec("[ {\"a\":\"x,]}\\\"[{\"} ,{\"b\":[1,{\"c\":[]}]},"
	    "5 ]", HTTP_CT_JSON, &ev, &err), 0);
	ck_assert_uint_eq(ev.n, 3);
	ck_assert_str_eq(json_string_value(json_object_get(ev.evs[0], "a")),
	    "x,]}\"[{");
	ck_assert_uint_eq(json_array_size(json_object_get(ev.evs[1], "b")), 2);
	/* A non-object element is for validation to refuse (422). */
	ck_assert(json_is_integer(ev.evs[2]));
	http_events_free(&ev);
	ck_assert_uint_eq(ev.n, 0);
}
END_TEST

START_TEST(test_ndjson)
{
	struct http_events ev;
	struct http_derr err;

	ck_assert_int_eq(dec("\n{\"a\":1}\r\n  \t\n\n{\"a\":2}", HTTP_CT_NDJSON,
	    &ev, &err), 0);
	ck_assert_uint_eq(ev.n, 2);
	ck_assert_uint_eq(ev.lines[0], 2);
	ck_assert_uint_eq(ev.lines[1], 5);
	ck_assert_int_eq(json_integer_value(json_object_get(ev.evs[1], "a")), 2);
	http_events_free(&ev);
	/* An array on a line is one (invalid) event, not many. */
	ck_assert_int_eq(dec("[{\"a\":1},{\"a\":2}]\n", HTTP_CT_NDJSON, &ev,
	    &err), 0);
	ck_assert_uint_eq(ev.n, 1);
	ck_assert(json_is_array(ev.evs[0]));
	http_events_free(&ev);
}
END_TEST

/* Malformed bodies say where: array index, NDJSON line, or the body. */
START_TEST(test_malformed)
{
	refused("", HTTP_CT_JSON, CAIRN_EINVAL, HTTP_POS_NONE, 0);
	refused(" \n", HTTP_CT_JSON, CAIRN_EINVAL, HTTP_POS_NONE, 0);
	refused("[]", HTTP_CT_JSON, CAIRN_EINVAL, HTTP_POS_NONE, 0);
	refused("\n\r\n", HTTP_CT_NDJSON, CAIRN_EINVAL, HTTP_POS_NONE, 0);
	refused("\"x\"", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_NONE, 0);
	refused("{\"a\":1", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_NONE, 0);
	refused("{\"a\":1} {}", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_NONE, 0);
	refused("[{\"a\":1},{\"b\":", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_INDEX, 1);
	refused("[{\"a\":1},,{}]", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_INDEX, 1);
	refused("[{\"a\":1},]", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_INDEX, 1);
	refused("[1}true]", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_INDEX, 0);
	refused("[{}] x", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_NONE, 0);
	refused("[{}]]", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_NONE, 0);
	refused("[{},{\"a\":tru}]", HTTP_CT_JSON, CAIRN_EJSON, HTTP_POS_INDEX, 1);
	/* Our JSON subset (DESIGN.md, Records). */
	refused("[{},{\"a\":1,\"a\":2}]", HTTP_CT_JSON, CAIRN_EJSON,
	    HTTP_POS_INDEX, 1);
	refused("{\"a\":1.5}", HTTP_CT_JSON, CAIRN_EINVAL, HTTP_POS_NONE, 0);
	refused("{}\n{}\n{\"a\":\"\xff\"}\n", HTTP_CT_NDJSON, CAIRN_EUTF8,
	    HTTP_POS_LINE, 3);
	refused("{}\n\n{\"a\":\n}", HTTP_CT_NDJSON, CAIRN_EJSON, HTTP_POS_LINE, 3);
	ck_assert_int_eq(http_decode_events((const uint8_t *)"{}", 2, 0,
	    &(struct http_events){ 0 }, &(struct http_derr){ 0 }), CAIRN_EINVAL);
}
END_TEST

/* Caps: 100,000 events a request, 64 KiB an event. */
START_TEST(test_limits)
{
	struct http_events ev;
	struct http_derr err;
	char *body;
	size_t i, n;

	n = HTTP_MAX_EVENTS + 1;
	ck_assert_ptr_nonnull(body = malloc(3 * n + 1));
	for (i = 0; i < n; i++)
		memcpy(body + 3 * i, "{}\n", 3);
	ck_assert_int_eq(http_decode_events((const uint8_t *)body, 3 * (n - 1),
	    HTTP_CT_NDJSON, &ev, &err), 0);
	ck_assert_uint_eq(ev.n, HTTP_MAX_EVENTS);
	http_events_free(&ev);
	ck_assert_int_eq(http_decode_events((const uint8_t *)body, 3 * n,
	    HTTP_CT_NDJSON, &ev, &err), CAIRN_ETOOBIG);
	ck_assert_int_eq(err.pos_kind, HTTP_POS_LINE);
	ck_assert_uint_eq(err.pos, n);
	free(body);

	n = HTTP_MAX_EVENT + 16;
	ck_assert_ptr_nonnull(body = malloc(n + 1));
	memset(body, 'a', n);
	memcpy(body, "[{},{\"a\":\"", 10);
	memcpy(body + n - 3, "\"}]", 3);
	body[n] = '\0';
	refused(body, HTTP_CT_JSON, CAIRN_ETOOBIG, HTTP_POS_INDEX, 1);
	free(body);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http_decode");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_content_type);
	tcase_add_test(tc, test_bearer);
	tcase_add_test(tc, test_object_and_array);
	tcase_add_test(tc, test_ndjson);
	tcase_add_test(tc, test_malformed);
	tcase_add_test(tc, test_limits);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(http_suite());
}
