/*
 * test_report: the export rules shared by writer and verifier
 * (reports/xcommon.c): the readable reading of events, the summary, and
 * every findings rule, each with a case that raises it and one that must
 * not.
 */
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <jansson.h>

#include "checkutil.h"
#include "export.h"
#include "xcommon.h"

/* A view of the canonical form of test JSON (written in any key order),
 * as entries are read; the event is token 0.  Free with evfree. */
static struct cairn_jview *
ev(const char *text)
{
	struct cairn_buf b = { 0 };
	struct cairn_jview *v = calloc(1, sizeof *v);
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	ck_assert_msg(j != NULL, "bad test JSON: %s", e.text);
	ck_assert_ptr_nonnull(v);
	ck_assert_int_eq(cairn_cjson_encode(j, &b), 0);
	ck_assert_int_eq(cairn_jview_parse(v, b.p, b.len), 0);
	json_decref(j);
	cairn_buf_free(&b);
	return v;
}

/* Frees a view from ev. */
static void
evfree(struct cairn_jview *v)
{
	cairn_jview_free(v);
	free(v);
}

static char *
lines(const char *text)
{
	struct cairn_buf b = { 0 };
	struct rsink s;
	struct cairn_jview *j = ev(text);

	readable_linesink(&s, &b);
	ck_assert_int_eq(readable_walk(j, 0, &s), 0);
	evfree(j);
	cairn_buf_addc(&b, 0);
	return (char *)b.p;
}

START_TEST(test_readable_order_and_kinds)
{
	char *l = lines("{\"type\":\"t\",\"time\":\"x\",\"b\":true,\"a\":[\"p\",\"q\"],"
	    "\"n\":-5,\"o\":{\"z\":1,\"y\":\"w\"},\"e\":[],\"f\":{}}");

	/* members sorted; arrays repeat the element; empty array: nothing;
	 * empty object: an empty leaf */
	ck_assert_str_eq(l, "<t\n=a 1:p\n=a 1:q\n=b 4:true\n=f 0:\n=n 2:-5\n"
	    "<o\n=y 1:w\n=z 1:1\n>\n=time 1:x\n=type 1:t\n>\n");
	free(l);
}
END_TEST

START_TEST(test_readable_base64_for_xml_unsafe)
{
	char *l = lines("{\"type\":\"t\",\"note\":\"a\\u0001b\",\"cr\":\"x\\ry\","
	    "\"ok\":\"tab\\there\\nline\",\"nc\":\"\\uffff\"}");

	ck_assert_ptr_nonnull(strstr(l, "=note b64 4:YQFi\n"));
	ck_assert_ptr_nonnull(strstr(l, "=cr b64 4:eA15\n"));
	ck_assert_ptr_nonnull(strstr(l, "=ok 13:tab\there\nline\n"));
	ck_assert_ptr_nonnull(strstr(l, "=nc b64 4:77+/\n"));
	ck_assert(xml_text_ok("plain é ✓", strlen("plain é ✓")));
	ck_assert(!xml_text_ok("a\rb", 3));
	free(l);
}
END_TEST

START_TEST(test_readable_sd_map)
{
	char *l = lines("{\"type\":\"syslog.message\",\"sd\":{\"origin@1\":"
	    "{\"ip\":\"10.0.0.1\"},\"a@2\":{}}}");

	ck_assert_str_eq(l, "<syslog.message\n<sd\n=item a@2 0:\n<item origin@1\n"
	    "=item ip 8:10.0.0.1\n>\n>\n=type 14:syslog.message\n>\n");
	free(l);
}
END_TEST

static int
collect(void *arg, const char *key, uint64_t n)
{
	char b[64];

	snprintf(b, sizeof b, "%s=%llu;", key, (unsigned long long)n);
	strcat(arg, b);
	return 0;
}

START_TEST(test_summary)
{
	struct summary s;
	char out[512] = "";
	struct cairn_jview *a = ev("{\"type\":\"content.takedown\","
	    "\"category\":\"2.2.5(h)\"}");
	struct cairn_jview *b = ev("{\"type\":\"content.appeal\","
	    "\"outcome\":\"upheld\"}");

	ck_assert_int_eq(summary_init(&s), 0);
	ck_assert_int_eq(summary_add(&s, a, 0, "2026-11-02T00:00:00.000000Z"),
	    0);
	ck_assert_int_eq(summary_add(&s, a, 0, "2026-11-01T23:59:59.000000Z"),
	    0);
	ck_assert_int_eq(summary_add(&s, b, 0, "2026-11-02T10:00:00.000000Z"),
	    0);
	ck_assert_uint_eq(s.entries, 3);
	summary_each(&s, 0, collect, out);
	ck_assert_str_eq(out, "content.appeal=1;content.takedown=2;");
	out[0] = '\0';
	summary_each(&s, 4, collect, out);
	ck_assert_str_eq(out, "2026-11-01=1;2026-11-02=2;");
	out[0] = '\0';
	summary_each(&s, 3, collect, out);
	ck_assert_str_eq(out, "2.2.5(h)=2;");
	ck_assert_int_eq(summary_add(&s, a, 0, "bad"), CAIRN_EFORMAT);
	summary_free(&s);
	evfree(a);
	evfree(b);
}
END_TEST

#define R "2026-11-20T00:00:00.000000Z"

/* Runs the rules over (seq, role, event) triples; returns rule names of
 * the findings, "rule@seq[refs]" joined by spaces. */
struct in {
	uint64_t	 seq;
	int		 role;
	const char	*json;
};

static char *
findings(int kind, const struct in *in, size_t n)
{
	static char out[1024];
	struct fx fx;
	size_t i, j;
	char b[64];
	struct cairn_jview *e;

	ck_assert_int_eq(fx_init(&fx, kind, 86400, 1000), 0);
	for (i = 0; i < n; i++) {
		e = ev(in[i].json);
		ck_assert_int_eq(fx_add(&fx, in[i].seq, R, e, 0, in[i].role),
		    0);
		evfree(e);
	}
	ck_assert_int_eq(fx_finish(&fx), 0);
	out[0] = '\0';
	for (i = 0; i < fx.nf; i++) {
		snprintf(b, sizeof b, "%s%s@%llu", i ? " " : "",
		    rule_names[fx.f[i].rule], (unsigned long long)fx.f[i].seq);
		strcat(out, b);
		for (j = 1; j < fx.f[i].nrefs; j++) {
			snprintf(b, sizeof b, "+%llu",
			    (unsigned long long)fx.f[i].refs[j]);
			strcat(out, b);
		}
	}
	fx_free(&fx);
	return out;
}

#define T(x) "\"time\":\"2026-11-19T12:00:00.000000Z\"," x

START_TEST(test_rule_no_prior_notice)
{
	const struct in in[] = {
		{ 5, ROLE_CONTEXT, "{" T("\"type\":\"account.notice\",\"account\":\"a\"}") },
		{ 10, ROLE_IN, "{" T("\"type\":\"account.suspended\",\"account\":\"a\"}") },
		{ 11, ROLE_IN, "{" T("\"type\":\"account.terminated\",\"account\":\"b\"}") },
		{ 12, ROLE_IN, "{" T("\"type\":\"account.notice\",\"account\":\"c\"}") },
		{ 13, ROLE_IN, "{" T("\"type\":\"account.disabled\",\"account\":\"c\"}") },
		{ 14, ROLE_IN, "{" T("\"type\":\"account.restored\",\"account\":\"d\"}") },
	};

	ck_assert_str_eq(findings(CAIRN_EXPORT_ACCOUNT, in, 6),
	    "no-prior-notice@11");
	/* a notice after the action does not count */
	{
		const struct in late[] = {
			{ 10, ROLE_IN, "{" T("\"type\":\"account.suspended\",\"account\":\"a\"}") },
			{ 11, ROLE_IN, "{" T("\"type\":\"account.notice\",\"account\":\"a\"}") },
		};
		ck_assert_str_eq(findings(CAIRN_EXPORT_ACCOUNT, late, 2),
		    "no-prior-notice@10");
	}
}
END_TEST

START_TEST(test_rule_minor_and_shared_mobile)
{
	const struct in in[] = {
		{ 1, ROLE_CONTEXT, "{" T("\"type\":\"realname.check\",\"account\":\"x\",\"subject\":\"individual\",\"outcome\":\"pass\",\"mobile_hash\":\"m1\"}") },
		{ 2, ROLE_MARGIN, "{" T("\"type\":\"realname.check\",\"account\":\"y\",\"subject\":\"individual\",\"outcome\":\"pass\",\"mobile_hash\":\"m1\"}") },
		{ 3, ROLE_IN, "{" T("\"type\":\"realname.check\",\"account\":\"z\",\"subject\":\"individual\",\"outcome\":\"pass\",\"mobile_hash\":\"m1\",\"is_adult\":false}") },
		{ 4, ROLE_IN, "{" T("\"type\":\"realname.check\",\"account\":\"z\",\"subject\":\"individual\",\"outcome\":\"fail\",\"mobile_hash\":\"m2\",\"is_adult\":false}") },
		{ 5, ROLE_IN, "{" T("\"type\":\"realname.check\",\"account\":\"w\",\"subject\":\"enterprise\",\"outcome\":\"pass\",\"mobile_hash\":\"m1\"}") },
		{ 6, ROLE_IN, "{" T("\"type\":\"realname.check\",\"account\":\"x\",\"subject\":\"individual\",\"outcome\":\"pass\",\"mobile_hash\":\"m3\",\"is_adult\":true}") },
	};

	/* 3: a minor passed, and m1 was bound to x and y before */
	ck_assert_str_eq(findings(CAIRN_EXPORT_REALNAME, in, 6),
	    "minor-passed@3 shared-mobile@3+1+2");
}
END_TEST

START_TEST(test_rule_screening)
{
	const struct in in[] = {
		{ 1, ROLE_IN, "{" T("\"type\":\"export.screening\",\"account\":\"a\",\"result\":\"confirmed_match\",\"action\":\"allow\"}") },
		{ 2, ROLE_IN, "{" T("\"type\":\"export.screening\",\"account\":\"b\",\"result\":\"confirmed_match\",\"action\":\"deny\"}") },
		{ 3, ROLE_IN, "{" T("\"type\":\"export.screening\",\"result\":\"confirmed_match\",\"action\":\"deny\"}") },
		{ 4, ROLE_IN, "{" T("\"type\":\"export.screening\",\"account\":\"c\",\"result\":\"potential_match\",\"action\":\"allow\"}") },
		{ 9, ROLE_CONTEXT, "{" T("\"type\":\"account.suspended\",\"account\":\"b\"}") },
	};

	/* a: allowed and never suspended; b: suspended later; no account: n/a */
	ck_assert_str_eq(findings(CAIRN_EXPORT_SCREENING, in, 5),
	    "match-allowed@1 match-not-suspended@1");
}
END_TEST

START_TEST(test_rule_takedown)
{
	const struct in in[] = {
		{ 1, ROLE_IN, "{" T("\"type\":\"content.takedown\",\"category\":\"2.2.5(a)\",\"detected_at\":\"2026-11-19T10:00:00.000000Z\",\"applied_at\":\"2026-11-19T09:00:00.000000Z\"}") },
		{ 2, ROLE_IN, "{" T("\"type\":\"content.takedown\",\"detected_at\":\"2026-11-19T10:00:00.000000Z\",\"applied_at\":\"2026-11-19T11:00:00.000000Z\"}") },
		{ 3, ROLE_IN, "{" T("\"type\":\"content.takedown\",\"category\":\"2.2.5(b)\",\"detected_at\":\"2026-11-19T10:00:00.000000Z\",\"applied_at\":\"2026-11-19T10:00:00.000000Z\"}") },
		{ 4, ROLE_MARGIN, "{" T("\"type\":\"content.takedown\"}") },
	};

	ck_assert_str_eq(findings(CAIRN_EXPORT_TAKEDOWN, in, 4),
	    "takedown-order@1 takedown-no-category@2");
}
END_TEST

START_TEST(test_rule_unlabeled)
{
	const struct in in[] = {
		{ 1, ROLE_CONTEXT, "{" T("\"type\":\"ai_label.optout\",\"account\":\"a\",\"decision\":\"granted\"}") },
		{ 2, ROLE_CONTEXT, "{" T("\"type\":\"ai_label.optout\",\"account\":\"b\",\"decision\":\"granted\"}") },
		{ 3, ROLE_IN, "{" T("\"type\":\"ai_label.optout\",\"account\":\"b\",\"decision\":\"revoked\"}") },
		{ 4, ROLE_IN, "{" T("\"type\":\"ai_label.unlabeled_delivery\",\"account\":\"a\"}") },
		{ 5, ROLE_IN, "{" T("\"type\":\"ai_label.unlabeled_delivery\",\"account\":\"b\"}") },
		{ 6, ROLE_IN, "{" T("\"type\":\"ai_label.unlabeled_delivery\",\"account\":\"c\"}") },
	};

	ck_assert_str_eq(findings(CAIRN_EXPORT_LABELING, in, 6),
	    "unlabeled-no-optout@5+3 unlabeled-no-optout@6");
}
END_TEST

START_TEST(test_rule_late_and_kinds)
{
	const struct in in[] = {
		{ 1, ROLE_IN, "{\"time\":\"2026-11-18T23:59:59.000000Z\",\"type\":\"system.start\"}" },
		{ 2, ROLE_IN, "{\"time\":\"2026-11-19T00:00:00.000000Z\",\"type\":\"system.start\"}" },
		{ 3, ROLE_MARGIN, "{\"time\":\"2020-01-01T00:00:00.000000Z\",\"type\":\"system.start\"}" },
		{ 4, ROLE_IN, "{" T("\"type\":\"content.takedown\"}") },
	};

	/* more than 86400 s before received (R) is late; exactly is not;
	 * a system export computes no takedown rule */
	ck_assert_str_eq(findings(CAIRN_EXPORT_SYSTEM, in, 4), "late-entry@1");
	ck_assert_str_eq(findings(CAIRN_EXPORT_HISTORY, in, 4),
	    "late-entry@1 takedown-no-category@4");
}
END_TEST

START_TEST(test_kind_names)
{
	int k;

	for (k = 0; k < CAIRN_EXPORT_NKINDS; k++)
		ck_assert_int_eq(cairn_export_kind_parse(
		    cairn_export_kind_name(k)), k);
	ck_assert_int_eq(cairn_export_kind_parse("nosuch"), -1);
	ck_assert_ptr_null(cairn_export_kind_name(CAIRN_EXPORT_NKINDS));
	ck_assert_ptr_null(kind_stream(CAIRN_EXPORT_HISTORY));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("report");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_readable_order_and_kinds);
	tcase_add_test(tc, test_readable_base64_for_xml_unsafe);
	tcase_add_test(tc, test_readable_sd_map);
	tcase_add_test(tc, test_summary);
	tcase_add_test(tc, test_rule_no_prior_notice);
	tcase_add_test(tc, test_rule_minor_and_shared_mobile);
	tcase_add_test(tc, test_rule_screening);
	tcase_add_test(tc, test_rule_takedown);
	tcase_add_test(tc, test_rule_unlabeled);
	tcase_add_test(tc, test_rule_late_and_kinds);
	tcase_add_test(tc, test_kind_names);
	suite_add_tcase(s, tc);
	return check_run(s);
}
