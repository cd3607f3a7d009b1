/* test_syslog.c: syslog parsers, RFC 6587 framing and message -> event. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "framing.h"
#include "rfc3339.h"
#include "syslogmsg.h"
#include "sysevent.h"
#include "util.h"
#include "checkutil.h"

static struct cairn_catalog *cat;

/* Loads the compiled-in catalog for the sysevent tests. */
static void
setup(void)
{
	ck_assert_int_eq(cairn_catalog_default(&cat), 0);
}

/* Frees the catalog. */
static void
teardown(void)
{
	cairn_catalog_free(cat);
	cat = NULL;
}

/* Path of a file under the source tree. */
static void
src_path(char *out, size_t len, const char *rel)
{
	const char *sd = getenv("srcdir");

	snprintf(out, len, "%s/%s", sd != NULL ? sd : ".", rel);
}

/* Microseconds of an RFC 3339 text (the test aborts if it is bad). */
static int64_t
us_of(const char *t)
{
	int64_t us;

	ck_assert_int_eq(cairn_rfc3339_parse(t, strlen(t), &us, NULL), 0);
	return us;
}

/* 1 if the span holds exactly s (NULL: the span is absent). */
static int
span_eq(struct cairn_span sp, const char *s)
{
	if (s == NULL)
		return sp.p == NULL && sp.n == 0;
	return sp.p != NULL && sp.n == strlen(s) && memcmp(sp.p, s, sp.n) == 0;
}

/* Parses a C string as RFC 5424. */
static int
p5424(const char *s, struct syslog_msg *m)
{
	const char *why;

	return syslog_parse_5424((const uint8_t *)s, strlen(s), m, &why);
}

/* Parses a C string as RFC 3164 at a given now. */
static int
p3164(const char *s, struct syslog_msg *m, const char *now)
{
	const char *why;

	return syslog_parse_3164((const uint8_t *)s, strlen(s), m, us_of(now),
	    &why);
}

/* The unescaped value of a param as a NUL-terminated buffer. */
static char *
unesc(struct cairn_span v)
{
	struct cairn_buf b = { NULL, 0, 0 };

	ck_assert_int_eq(syslog_sd_unescape(v, &b), 0);
	ck_assert_ptr_nonnull(b.p);
	return (char *)b.p;
}

/* ---- conformance ---- */

/* Compares a span with a JSON string or null; 1 if equal. */
static int
field_eq(struct cairn_span sp, json_t *j)
{
	if (json_is_null(j) || j == NULL)
		return sp.p == NULL;
	if (!json_is_string(j) || sp.p == NULL)
		return 0;
	return sp.n == json_string_length(j) &&
	    memcmp(sp.p, json_string_value(j), sp.n) == 0;
}

/* Compares the structured data with go-syslog's map; 1 if equal. */
static int
sd_eq(const struct syslog_msg *m, json_t *j)
{
	const char *id, *pn;
	json_t *params, *pv;
	size_t i, k, distinct;
	char *got;
	int found, ok;

	if (j == NULL || json_is_null(j))
		return m->nsd == 0;
	if (json_object_size(j) != m->nsd)
		return 0;
	json_object_foreach(j, id, params) {
		found = 0;
		for (i = 0; i < m->nsd; i++) {
			if (!span_eq(m->sd[i].id, id))
				continue;
			found = 1;
			distinct = 0;
			for (k = 0; k < m->sd[i].nparam; k++) {
				size_t l;
				int again = 0;

				for (l = 0; l < k; l++)
					if (m->sd[i].param[l].name.n ==
					    m->sd[i].param[k].name.n &&
					    memcmp(m->sd[i].param[l].name.p,
					    m->sd[i].param[k].name.p,
					    m->sd[i].param[k].name.n) == 0)
						again = 1;
				distinct += !again;
			}
			if (distinct != json_object_size(params))
				return 0;
			json_object_foreach(params, pn, pv) {
				ok = 0;
				/* A repeated name: go-syslog keeps the last. */
				for (k = m->sd[i].nparam; k-- > 0;) {
					if (!span_eq(m->sd[i].param[k].name, pn))
						continue;
					got = unesc(m->sd[i].param[k].value);
					ok = strlen(got) ==
					    json_string_length(pv) &&
					    memcmp(got, json_string_value(pv),
					    json_string_length(pv)) == 0;
					free(got);
					break;
				}
				if (!ok)
					return 0;
			}
		}
		if (!found)
			return 0;
	}
	return 1;
}

/* Compares a parse with go-syslog's expected value; NULL or what differs. */
static const char *
compare(const struct syslog_msg *m, json_t *v)
{
	json_t *ts = json_object_get(v, "Timestamp"), *msg;
	struct cairn_buf b = { NULL, 0, 0 };
	int ok;

	if (m->pri != json_integer_value(json_object_get(v, "Priority")) ||
	    m->facility != json_integer_value(json_object_get(v,
	    "Facility")) ||
	    m->severity != json_integer_value(json_object_get(v, "Severity")))
		return "priority";
	if (m->version != json_integer_value(json_object_get(v, "Version")))
		return "version";
	if (json_is_null(ts) ? m->has_time : (!m->has_time ||
	    m->time_us != us_of(json_string_value(ts))))
		return "timestamp";
	if (!field_eq(m->hostname, json_object_get(v, "Hostname")))
		return "hostname";
	if (!field_eq(m->app_name, json_object_get(v, "Appname")))
		return "appname";
	if (!field_eq(m->procid, json_object_get(v, "ProcID")))
		return "procid";
	if (!field_eq(m->msgid, json_object_get(v, "MsgID")))
		return "msgid";
	/* go-syslog keeps the BOM in Message; we flag it and drop it. */
	msg = json_object_get(v, "Message");
	if (m->msg_bom)
		cairn_buf_add(&b, "\xef\xbb\xbf", 3);
	if (m->msg.n)
		cairn_buf_add(&b, m->msg.p, m->msg.n);
	if (json_is_null(msg))
		ok = b.len == 0;
	else
		ok = b.len == json_string_length(msg) && (b.len == 0 ||
		    memcmp(b.p, json_string_value(msg), b.len) == 0);
	cairn_buf_free(&b);
	if (!ok)
		return "message";
	if (!sd_eq(m, json_object_get(v, "StructuredData")))
		return "structured data";
	return NULL;
}

/* 1 if input is one of the documented disagreements. */
static int
disagreed(json_t *list, json_t *input)
{
	size_t i;
	json_t *d;

	json_array_foreach(list, i, d)
		if (json_equal(d, input))
			return 1;
	return 0;
}

/* Reads tests/data/conformance/disagree.txt: one JSON string a line. */
static json_t *
load_disagree(void)
{
	char path[1024], *line, *save = NULL;
	uint8_t *data;
	size_t len;
	json_t *list, *s;

	src_path(path, sizeof(path), "tests/data/conformance/disagree.txt");
	ck_assert_int_eq(cairn_read_file(path, 1 << 20, &data, &len), 0);
	list = json_array();
	for (line = strtok_r((char *)data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || line[0] == '\0')
			continue;
		s = json_loads(line, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
		ck_assert_msg(json_is_string(s), "disagree.txt: bad line %s",
		    line);
		json_array_append_new(list, s);
	}
	free(data);
	return list;
}

/* The go-syslog RFC 5424 corpus: every case agrees or is documented. */
START_TEST(test_conformance)
{
	char path[1024], *line, *save = NULL;
	uint8_t *data;
	size_t len, cases = 0, agree = 0, documented = 0, bad = 0;
	json_t *c, *in, *disagree;
	struct syslog_msg m;
	const char *why, *diff;
	int rc, valid;

	disagree = load_disagree();
	src_path(path, sizeof(path),
	    "tests/data/conformance/rfc5424-go-syslog.jsonl");
	ck_assert_int_eq(cairn_read_file(path, 1 << 24, &data, &len), 0);
	for (line = strtok_r((char *)data, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		c = json_loads(line, JSON_ALLOW_NUL, NULL);
		ck_assert_ptr_nonnull(c);
		in = json_object_get(c, "input");
		valid = json_is_true(json_object_get(c, "valid"));
		cases++;
		rc = syslog_parse_5424((const uint8_t *)json_string_value(in),
		    json_string_length(in), &m, &why);
		if (valid && rc != 0)
			diff = why;
		else if (!valid && rc == 0)
			diff = "accepted an invalid case";
		else if (valid)
			diff = compare(&m, json_object_get(c, "value"));
		else
			diff = NULL;
		if (diff == NULL) {
			agree++;
			/* A documented disagreement that agrees is stale. */
			if (disagreed(disagree, in)) {
				fprintf(stderr, "stale disagreement: %s\n",
				    line);
				bad++;
			}
		} else if (disagreed(disagree, in))
			documented++;
		else {
			fprintf(stderr, "conformance: %s: %s\n", diff, line);
			bad++;
		}
		json_decref(c);
	}
	free(data);
	printf("conformance: %zu cases, %zu agree, %zu documented "
	    "disagreements\n", cases, agree, documented);
	ck_assert_uint_eq(cases, 667);
	ck_assert_uint_eq(documented, json_array_size(disagree));
	ck_assert_uint_eq(bad, 0);
	json_decref(disagree);
}
END_TEST

/* ---- RFC 5424 ---- */

/* The four examples of RFC 5424 section 6.5. */
START_TEST(test_5424_examples)
{
	struct syslog_msg m;
	char *v;

	/* Example 1: no STRUCTURED-DATA, BOM before the MSG. */
	ck_assert_int_eq(p5424("<34>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed "
	    "for lonvick on /dev/pts/8", &m), 0);
	ck_assert_int_eq(m.format, 5424);
	ck_assert_int_eq(m.facility, 4);
	ck_assert_int_eq(m.severity, 2);
	ck_assert_int_eq(m.version, 1);
	ck_assert(m.has_time && m.tz_known && m.tz_min == 0);
	ck_assert(m.time_us == us_of("2003-10-11T22:14:15.003Z"));
	ck_assert(span_eq(m.hostname, "mymachine.example.com"));
	ck_assert(span_eq(m.app_name, "su"));
	ck_assert(span_eq(m.procid, NULL));
	ck_assert(span_eq(m.msgid, "ID47"));
	ck_assert_uint_eq(m.nsd, 0);
	ck_assert_int_eq(m.msg_bom, 1);
	ck_assert(span_eq(m.msg, "'su root' failed for lonvick on /dev/pts/8"));

	/* Example 2: microseconds and a negative offset; no BOM. */
	ck_assert_int_eq(p5424("<165>1 2003-08-24T05:14:15.000003-07:00 "
	    "192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.",
	    &m), 0);
	ck_assert_int_eq(m.facility, 20);
	ck_assert_int_eq(m.severity, 5);
	ck_assert(m.time_us == us_of("2003-08-24T12:14:15.000003Z"));
	ck_assert_int_eq(m.tz_min, -420);
	ck_assert(span_eq(m.hostname, "192.0.2.1"));
	ck_assert(span_eq(m.app_name, "myproc"));
	ck_assert(span_eq(m.procid, "8710"));
	ck_assert(span_eq(m.msgid, NULL));
	ck_assert_int_eq(m.msg_bom, 0);
	ck_assert(span_eq(m.msg, "%% It's time to make the do-nuts."));

	/* Example 3: structured data and a message. */
	ck_assert_int_eq(p5424("<165>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"] \xef\xbb\xbf"
	    "An application event log entry...", &m), 0);
	ck_assert_uint_eq(m.nsd, 1);
	ck_assert(span_eq(m.sd[0].id, "exampleSDID@32473"));
	ck_assert_uint_eq(m.sd[0].nparam, 3);
	ck_assert(span_eq(m.sd[0].param[0].name, "iut"));
	ck_assert(span_eq(m.sd[0].param[0].value, "3"));
	ck_assert(span_eq(m.sd[0].param[1].name, "eventSource"));
	ck_assert(span_eq(m.sd[0].param[1].value, "Application"));
	ck_assert(span_eq(m.sd[0].param[2].value, "1011"));
	ck_assert(span_eq(m.msg, "An application event log entry..."));

	/* Example 4: two elements, no MSG. */
	ck_assert_int_eq(p5424("<165>1 2003-10-11T22:14:15.003Z "
	    "mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" "
	    "eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473"
	    " class=\"high\"]", &m), 0);
	ck_assert_uint_eq(m.nsd, 2);
	ck_assert(span_eq(m.sd[1].id, "examplePriority@32473"));
	v = unesc(m.sd[1].param[0].value);
	ck_assert_str_eq(v, "high");
	free(v);
	ck_assert(span_eq(m.msg, NULL));
}
END_TEST

/* The limits and escapes of RFC 5424 section 6. */
START_TEST(test_5424_limits)
{
	struct syslog_msg m;
	char buf[600], *v;
	struct cairn_buf b = { NULL, 0, 0 };

	ck_assert_int_eq(p5424("<0>1 - - - - - -", &m), 0);
	ck_assert_int_eq(p5424("<191>999 - - - - - -", &m), 0);
	ck_assert_int_eq(p5424("<192>1 - - - - - -", &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<01>1 - - - - - -", &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>0 - - - - - -", &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1000 - - - - - -", &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>01 - - - - - -", &m), CAIRN_EINVAL);
	/* Leap seconds and lower-case t/z are refused (section 6.2.3). */
	ck_assert_int_eq(p5424("<1>1 2016-12-31T23:59:60Z - - - - -", &m),
	    CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1 2016-12-31t23:59:59Z - - - - -", &m),
	    CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1 2016-12-31T23:59:59.1234567Z - - - - -",
	    &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1 2016-12-31T23:59:59 - - - - -", &m),
	    CAIRN_EINVAL);
	/* "-00:00": offset unknown. */
	ck_assert_int_eq(p5424("<1>1 2016-12-31T23:59:59-00:00 - - - - -", &m),
	    0);
	ck_assert(m.has_time && !m.tz_known);
	/* HOSTNAME 255, APP-NAME 48, PROCID 128, MSGID 32. */
	memset(buf, 0, sizeof(buf));
	snprintf(buf, sizeof(buf), "<1>1 - %0255d - - - -", 0);
	ck_assert_int_eq(p5424(buf, &m), 0);
	snprintf(buf, sizeof(buf), "<1>1 - %0256d - - - -", 0);
	ck_assert_int_eq(p5424(buf, &m), CAIRN_EINVAL);
	snprintf(buf, sizeof(buf), "<1>1 - - %048d - - -", 0);
	ck_assert_int_eq(p5424(buf, &m), 0);
	snprintf(buf, sizeof(buf), "<1>1 - - %049d - - -", 0);
	ck_assert_int_eq(p5424(buf, &m), CAIRN_EINVAL);
	snprintf(buf, sizeof(buf), "<1>1 - - - %0128d - -", 0);
	ck_assert_int_eq(p5424(buf, &m), 0);
	snprintf(buf, sizeof(buf), "<1>1 - - - %0129d - -", 0);
	ck_assert_int_eq(p5424(buf, &m), CAIRN_EINVAL);
	snprintf(buf, sizeof(buf), "<1>1 - - - - %032d -", 0);
	ck_assert_int_eq(p5424(buf, &m), 0);
	snprintf(buf, sizeof(buf), "<1>1 - - - - %033d -", 0);
	ck_assert_int_eq(p5424(buf, &m), CAIRN_EINVAL);
	/* SD-NAME 32; no '=' or '"' in it; unique SD-IDs. */
	snprintf(buf, sizeof(buf), "<1>1 - - - - - [%032d]", 0);
	ck_assert_int_eq(p5424(buf, &m), 0);
	snprintf(buf, sizeof(buf), "<1>1 - - - - - [%033d]", 0);
	ck_assert_int_eq(p5424(buf, &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1 - - - - - [a][b][a]", &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1 - - - - - [a x=\"1\"", &m),
	    CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1 - - - - - [a x=1]", &m), CAIRN_EINVAL);
	/* Escapes: \" \\ \] unescaped, other backslashes kept (6.3.3). */
	ck_assert_int_eq(p5424("<1>1 - - - - - [a x=\"q\\\"b\\\\s\\]e\\n\"]",
	    &m), 0);
	v = unesc(m.sd[0].param[0].value);
	ck_assert_str_eq(v, "q\"b\\s]e\\n");
	free(v);
	/* An unescaped ']' in a value is refused. */
	ck_assert_int_eq(p5424("<1>1 - - - - - [a x=\"]\"]", &m),
	    CAIRN_EINVAL);
	/* PARAM-VALUE must be UTF-8. */
	ck_assert_int_eq(p5424("<1>1 - - - - - [a x=\"\xff\"]", &m),
	    CAIRN_EINVAL);
	/* Repeated PARAM-NAMEs are allowed (7.2.2). */
	ck_assert_int_eq(p5424("<1>1 - - - - - [origin ip=\"192.0.2.1\" "
	    "ip=\"192.0.2.129\"]", &m), 0);
	ck_assert_uint_eq(m.sd[0].nparam, 2);
	/* 32 elements of 64 params fit; one more of either does not. */
	cairn_buf_adds(&b, "<1>1 - - - - - ");
	for (int i = 0; i < SYSLOG_MAX_SD; i++) {
		cairn_buf_printf(&b, "[e%d", i);
		for (int k = 0; k < SYSLOG_MAX_PARAMS; k++)
			cairn_buf_printf(&b, " p%d=\"%d\"", k, k);
		cairn_buf_adds(&b, "]");
	}
	ck_assert_int_eq(syslog_parse_5424(b.p, b.len, &m, NULL), 0);
	ck_assert_uint_eq(m.nsd, SYSLOG_MAX_SD);
	cairn_buf_adds(&b, "[x]");
	ck_assert_int_eq(syslog_parse_5424(b.p, b.len, &m, NULL),
	    CAIRN_EINVAL);
	b.len = 0;
	cairn_buf_adds(&b, "<1>1 - - - - - [e");
	for (int k = 0; k <= SYSLOG_MAX_PARAMS; k++)
		cairn_buf_printf(&b, " p%d=\"%d\"", k, k);
	cairn_buf_adds(&b, "]");
	ck_assert_int_eq(syslog_parse_5424(b.p, b.len, &m, NULL),
	    CAIRN_EINVAL);
	cairn_buf_free(&b);
	/* MSG-ANY: any octets; after a BOM, UTF-8 only. */
	ck_assert_int_eq(syslog_parse_5424((const uint8_t *)
	    "<1>1 - - - - - - a\xff\0b", 21, &m, NULL), 0);
	ck_assert_uint_eq(m.msg.n, 4);
	ck_assert_int_eq(p5424("<1>1 - - - - - - \xef\xbb\xbf\xff", &m),
	    CAIRN_EINVAL);
	/* Truncated headers. */
	ck_assert_int_eq(p5424("<1>1 - - - - -", &m), CAIRN_EINVAL);
	ck_assert_int_eq(p5424("<1>1 - - - - - -x", &m), CAIRN_EINVAL);
	ck_assert_int_eq(syslog_parse_5424((const uint8_t *)"", 0, &m, NULL),
	    CAIRN_EINVAL);
}
END_TEST

/* ---- RFC 3164 ---- */

/* The examples of RFC 3164 section 5.4. */
START_TEST(test_3164_examples)
{
	struct syslog_msg m;
	const char *now = "2026-06-01T00:00:00Z";

	ck_assert_int_eq(p3164("<34>Oct 11 22:14:15 mymachine su: 'su root' "
	    "failed for lonvick on /dev/pts/8", &m, now), 0);
	ck_assert_int_eq(m.format, 3164);
	ck_assert_int_eq(m.facility, 4);
	ck_assert_int_eq(m.severity, 2);
	ck_assert(m.has_time && !m.tz_known);
	ck_assert(m.time_us == us_of("2026-10-11T22:14:15Z"));
	ck_assert(span_eq(m.hostname, "mymachine"));
	ck_assert(span_eq(m.app_name, "su"));
	ck_assert(span_eq(m.procid, NULL));
	ck_assert(span_eq(m.msg, "'su root' failed for lonvick on /dev/pts/8"));

	/* No PRI: <13>, and the whole packet is the content (4.3.3). */
	ck_assert_int_eq(p3164("Use the BFG!", &m, now), 0);
	ck_assert_int_eq(m.pri, 13);
	ck_assert(!m.has_time);
	ck_assert(span_eq(m.hostname, NULL));
	ck_assert(span_eq(m.msg, "Use the BFG!"));

	/* An IP address as HOSTNAME; "Use" is the TAG (4.1.3: it ends at the
	 * first non-alphanumeric character). */
	ck_assert_int_eq(p3164("<13>Feb  5 17:32:18 10.0.0.99 Use the BFG!",
	    &m, now), 0);
	ck_assert(m.time_us == us_of("2026-02-05T17:32:18Z"));
	ck_assert(span_eq(m.hostname, "10.0.0.99"));
	ck_assert(span_eq(m.app_name, "Use"));
	ck_assert(span_eq(m.msg, "the BFG!"));

	/* A relayed message with a year and zone: kept, time from the stamp. */
	ck_assert_int_eq(p3164("<165>Aug 24 05:34:00 CST 1987 mymachine "
	    "myproc[10]: %% It's time to make the do-nuts.", &m, now), 0);
	ck_assert_int_eq(m.pri, 165);
	ck_assert(m.time_us == us_of("2026-08-24T05:34:00Z"));
	ck_assert(span_eq(m.hostname, "CST"));

	/* An unknown timestamp form: no time; the rest is still kept. */
	ck_assert_int_eq(p3164("<0>1990 Oct 22 10:52:01 TZ-6 "
	    "scapegoat.dmz.example.org 10.1.2.3 sched[0]: That's All Folks!",
	    &m, now), 0);
	ck_assert_int_eq(m.pri, 0);
	ck_assert(!m.has_time);
	ck_assert(m.msg.n > 0);
}
END_TEST

/* What logger(1), rsyslog and others really send. */
START_TEST(test_3164_real)
{
	struct syslog_msg m;
	const char *now = "2026-11-29T12:00:00Z";

	/* logger to a remote host. */
	ck_assert_int_eq(p3164("<13>Nov 29 03:10:23 host user: msg", &m, now),
	    0);
	ck_assert(m.time_us == us_of("2026-11-29T03:10:23Z"));
	ck_assert(span_eq(m.hostname, "host"));
	ck_assert(span_eq(m.app_name, "user"));
	ck_assert(span_eq(m.msg, "msg"));
	/* Without a host (the local socket form). */
	ck_assert_int_eq(p3164("<13>Nov 29 03:10:23 user: msg", &m, now), 0);
	ck_assert(span_eq(m.hostname, NULL));
	ck_assert(span_eq(m.app_name, "user"));
	ck_assert(span_eq(m.msg, "msg"));
	/* TAG[pid], a space-padded day, a trailing LF. */
	ck_assert_int_eq(p3164("<38>Nov  2 03:10:23 web-1.example.org "
	    "sshd[1234]: Accepted publickey for root\n", &m, now), 0);
	ck_assert(m.time_us == us_of("2026-11-02T03:10:23Z"));
	ck_assert(span_eq(m.hostname, "web-1.example.org"));
	ck_assert(span_eq(m.app_name, "sshd"));
	ck_assert(span_eq(m.procid, "1234"));
	ck_assert(span_eq(m.msg, "Accepted publickey for root"));
	ck_assert_int_eq(p3164("<38>Nov 29 03:10:23 sshd[1234]: x", &m, now),
	    0);
	ck_assert(span_eq(m.hostname, NULL));
	ck_assert(span_eq(m.procid, "1234"));
	/* rsyslog's RFC 3339 stamp in a BSD message: the zone is known. */
	ck_assert_int_eq(p3164("<13>2026-11-29T03:10:23.123456+01:00 host "
	    "app[7]: hello", &m, now), 0);
	ck_assert(m.has_time && m.tz_known && m.tz_min == 60);
	ck_assert(m.time_us == us_of("2026-11-29T02:10:23.123456Z"));
	ck_assert(span_eq(m.hostname, "host"));
	ck_assert(span_eq(m.app_name, "app"));
	ck_assert(span_eq(m.msg, "hello"));
	/* Fractions, a year, lower-case months, no timestamp at all. */
	ck_assert_int_eq(p3164("<13>Nov 29 03:10:23.5 h a: m", &m, now), 0);
	ck_assert(m.time_us == us_of("2026-11-29T03:10:23.5Z"));
	ck_assert_int_eq(p3164("<13>nov 29 2024 03:10:23 h a: m", &m, now), 0);
	ck_assert(m.time_us == us_of("2024-11-29T03:10:23Z"));
	ck_assert_int_eq(p3164("<13>app: just this", &m, now), 0);
	ck_assert(!m.has_time);
	ck_assert(span_eq(m.app_name, "app"));
	ck_assert(span_eq(m.msg, "just this"));
	ck_assert_int_eq(p3164("<13>hello", &m, now), 0);
	ck_assert(span_eq(m.hostname, NULL));
	ck_assert(span_eq(m.msg, "hello"));
	ck_assert_int_eq(p3164("<13>", &m, now), 0);
	ck_assert(span_eq(m.msg, NULL));
	/* A bad PRI is no PRI: the whole packet is content. */
	ck_assert_int_eq(p3164("<999>Nov 29 03:10:23 h a: m", &m, now), 0);
	ck_assert_int_eq(m.pri, 13);
	ck_assert(span_eq(m.msg, "<999>Nov 29 03:10:23 h a: m"));
	ck_assert_int_eq(p3164("\n", &m, now), CAIRN_EINVAL);
	/* Bracketed address host. */
	ck_assert_int_eq(p3164("<13>Nov 29 03:10:23 [2001:db8::1] a: m", &m,
	    now), 0);
	ck_assert(span_eq(m.hostname, "[2001:db8::1]"));
}
END_TEST

/* The year closest to now: Dec/Jan rollover, Feb 29. */
START_TEST(test_3164_year)
{
	struct syslog_msg m;

	ck_assert_int_eq(p3164("<13>Dec 31 23:59:59 h a: m", &m,
	    "2027-01-01T00:00:05Z"), 0);
	ck_assert(m.time_us == us_of("2026-12-31T23:59:59Z"));
	ck_assert_int_eq(p3164("<13>Jan  1 00:00:01 h a: m", &m,
	    "2026-12-31T23:59:00Z"), 0);
	ck_assert(m.time_us == us_of("2027-01-01T00:00:01Z"));
	ck_assert_int_eq(p3164("<13>Feb 29 12:00:00 h a: m", &m,
	    "2025-03-01T00:00:00Z"), 0);
	ck_assert(m.time_us == us_of("2024-02-29T12:00:00Z"));
	/* No leap year within a year of now: no time, message kept. */
	ck_assert_int_eq(p3164("<13>Feb 29 12:00:00 h a: m", &m,
	    "2026-06-01T00:00:00Z"), 0);
	ck_assert(!m.has_time);
	ck_assert(span_eq(m.hostname, "h"));
	ck_assert_int_eq(p3164("<13>Feb 30 12:00:00 h a: m", &m,
	    "2026-06-01T00:00:00Z"), 0);
	ck_assert(!m.has_time);
}
END_TEST

/* syslog_parse picks the format from "<PRI>VERSION SP". */
START_TEST(test_detect)
{
	struct syslog_msg m;
	const char *s;
	const char *why;

	s = "<13>1 - - - - - - hi";
	ck_assert_int_eq(syslog_parse((const uint8_t *)s, strlen(s), &m, 0,
	    &why), 0);
	ck_assert_int_eq(m.format, 5424);
	s = "<13>Nov 29 03:10:23 host user: msg";
	ck_assert_int_eq(syslog_parse((const uint8_t *)s, strlen(s), &m, 0,
	    &why), 0);
	ck_assert_int_eq(m.format, 3164);
	s = "<13>1 2003-13-01T00:00:00Z - - - - -";
	ck_assert_int_eq(syslog_parse((const uint8_t *)s, strlen(s), &m, 0,
	    &why), CAIRN_EINVAL);
	ck_assert_ptr_nonnull(why);
}
END_TEST

/* ---- framing ---- */

/* Feeds a stream in chunks of the given sizes (cycled; 0: all at once)
 * and collects frames as "frame|" and -1 as "BAD|", -2 as "CLOSE|". */
static void
feed(const char *in, size_t len, const size_t *chunks, size_t nchunks,
    size_t max, struct cairn_buf *out)
{
	struct framer f;
	const uint8_t *fr;
	size_t off = 0, n, used, ci = 0, fl;
	int rc;

	framer_init(&f, max);
	while (off < len) {
		n = nchunks ? chunks[ci++ % nchunks] : len;
		if (n > len - off)
			n = len - off;
		while (n > 0) {
			rc = framer_next(&f, (const uint8_t *)in + off, n,
			    &used, &fr, &fl);
			ck_assert_uint_le(used, n);
			off += used;
			n -= used;
			if (rc == 1) {
				cairn_buf_add(out, fr, fl);
				cairn_buf_adds(out, "|");
			} else if (rc == -1)
				cairn_buf_adds(out, "BAD|");
			else if (rc == -2) {
				cairn_buf_adds(out, "CLOSE|");
				goto done;
			} else
				ck_assert_uint_eq(n, 0);
		}
	}
	if ((rc = framer_eof(&f, &fr, &fl)) == 1) {
		cairn_buf_add(out, fr, fl);
		cairn_buf_adds(out, "|EOF|");
	} else if (rc == -1)
		cairn_buf_adds(out, "CUT|");
done:
	framer_free(&f);
}

/* Checks that a stream gives the same frames however it is cut. */
static void
check_stream(const char *in, size_t len, size_t max, const char *want)
{
	static const size_t one[] = { 1 }, odd[] = { 3, 1, 7, 2, 13, 5 };
	struct cairn_buf out = { NULL, 0, 0 };
	size_t r[16], i, k;

	feed(in, len, NULL, 0, max, &out);
	ck_assert_str_eq((char *)out.p, want);
	out.len = 0;
	feed(in, len, one, 1, max, &out);
	ck_assert_str_eq((char *)out.p, want);
	out.len = 0;
	feed(in, len, odd, 6, max, &out);
	ck_assert_str_eq((char *)out.p, want);
	for (k = 0; k < 50; k++) {
		for (i = 0; i < 16; i++)
			r[i] = 1 + (size_t)(rand() % 20);
		out.len = 0;
		feed(in, len, r, 16, max, &out);
		ck_assert_str_eq((char *)out.p, want);
	}
	cairn_buf_free(&out);
}

#define STREAM(s, max, want) check_stream(s, sizeof(s) - 1, max, want)

/* Octet counting, RFC 6587 section 3.4.1. */
START_TEST(test_framing_octet)
{
	STREAM("5 <1>ab3 <2>", 100, "<1>ab|<2>|");
	/* A trailing LF, CR LF or NUL after a frame is tolerated. */
	STREAM("5 <1>ab\n3 <2>\r\n4 <3>x\0", 100, "<1>ab|<2>|<3>x|");
	/* A frame may hold LF. */
	STREAM("7 <1>a\nbc2 <3", 100, "<1>a\nbc|<3|");
	/* Oversized: skipped (reported once), the next frame delivered. */
	STREAM("12 <1>aaaaaaaaa5 <2>ok", 10, "BAD|<2>ok|");
	STREAM("10 <1>aaaaaaa5 <2>ok", 10, "<1>aaaaaaa|<2>ok|");
	STREAM("999999999 ", 100, "BAD|");
	/* Absurd, non-numeric or leading-zero counts close. */
	STREAM("5 <1>ab9999999999 <2>", 100, "<1>ab|CLOSE|");
	STREAM("99999999999 <1>", 100, "CLOSE|");
	STREAM("05 <1>ab", 100, "CLOSE|");
	STREAM("0 ", 100, "CLOSE|");
	STREAM("5 <1>abx <2>", 100, "<1>ab|CLOSE|");
	STREAM("5x<1>ab", 100, "CLOSE|");
	/* Cut short at the end. */
	STREAM("5 <1>ab8 <2>", 100, "<1>ab|CUT|");
}
END_TEST

/* Non-transparent framing, RFC 6587 section 3.4.2. */
START_TEST(test_framing_lf)
{
	STREAM("<1>a\n<2>b\n", 100, "<1>a|<2>b|");
	STREAM("<1>a\r\n<2>b\r\n\r\n\n<3>c", 100, "<1>a|<2>b|<3>c|EOF|");
	STREAM("<1>a\0<2>b\0", 100, "<1>a|<2>b|");
	/* A digit later in the stream does not switch to octet counting. */
	STREAM("<1>a\n5 <2>b\n", 100, "<1>a|5 <2>b|");
	/* A line longer than max: dropped up to its LF, reported once. */
	STREAM("<1>0123456789abcdef\n<2>ok\n", 10, "BAD|<2>ok|");
	STREAM("<1>012345\n<2>ok\n", 10, "<1>012345|<2>ok|");
	STREAM("<1>0123456\n", 10, "<1>0123456|");
	STREAM("<1>01234567\n<2>ok\n", 10, "BAD|<2>ok|");
	STREAM("<1>0123456\r\n<2>ok\n", 10, "<1>0123456|<2>ok|");
	STREAM("<1>0123456789abcdef", 10, "BAD|");
}
END_TEST

/* Memory stays bounded by max + 1 whatever the peer sends. */
START_TEST(test_framing_bounded)
{
	struct framer f;
	uint8_t chunk[4096];
	const uint8_t *fr;
	size_t used, fl, i, n;
	int rc, bad = 0;

	memset(chunk, 'x', sizeof(chunk));
	chunk[0] = '<';
	framer_init(&f, 1000);
	for (i = 0; i < 1000; i++) {
		n = 0;
		while (n < sizeof(chunk)) {
			rc = framer_next(&f, chunk + n, sizeof(chunk) - n,
			    &used, &fr, &fl);
			n += used;
			bad += rc == -1;
			ck_assert_int_ne(rc, 1);
			ck_assert_int_ne(rc, -2);
		}
		ck_assert_uint_le(f.cap, 1001);
	}
	ck_assert_int_eq(bad, 1);
	rc = framer_next(&f, (const uint8_t *)"\n<1>ok\n", 7, &used, &fr, &fl);
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(fl, 5);
	ck_assert_int_eq(memcmp(fr, "<1>ok", 5), 0);
	framer_free(&f);
}
END_TEST

/* ---- sysevent ---- */

/* Parses and builds; validates the result against the catalog. */
static json_t *
build(const char *s, size_t len, int trusted, const char *reason,
    const char **why, int expect_valid)
{
	struct syslog_msg m;
	json_t *ev;
	const char *w, *stream;
	struct cairn_verr errs[4];
	size_t nerr = 0;
	int rc;

	ck_assert_int_eq(syslog_parse((const uint8_t *)s, len, &m,
	    us_of("2026-11-29T12:00:00Z"), &w), 0);
	ck_assert_int_eq(sysevent_build(&m, cat, "cairn@32473", trusted,
	    reason != NULL, reason, "192.0.2.7", us_of("2026-11-29T12:00:00Z"),
	    &ev, why), 0);
	rc = cairn_catalog_validate(cat, ev, 0, &stream, errs, 4, &nerr);
	if (expect_valid)
		ck_assert_msg(rc == 0, "invalid: %s %s %s (%zu)",
		    nerr ? errs[0].field : "", nerr ? errs[0].rule : "",
		    nerr ? errs[0].msg : "", nerr);
	else
		ck_assert_int_eq(rc, CAIRN_EVALIDATE);
	return ev;
}

#define BUILD(s, t, r, w, v) build(s, sizeof(s) - 1, t, r, w, v)

/* The string member of an event, or NULL. */
static const char *
str(json_t *ev, const char *k)
{
	return json_string_value(json_object_get(ev, k));
}

/* A trusted audit event with typed fields from the SD element. */
START_TEST(test_sysevent_audit)
{
	json_t *ev, *refs;
	const char *why;

	ev = BUILD("<110>1 2026-11-29T11:10:23.5+08:00 plat app - - "
	    "[cairn@32473 type=\"account.suspended\" id=\"ev-1\" "
	    "time=\"2026-11-29T11:10:23.5+08:00\" account=\"acct-9\" "
	    "reason=\"arrears\" refs=\"[\\\"ev-0\\\",\\\"n-1\\\"\\]\" "
	    "note=\"a \\\"quoted\\\" \\] note\"][other@1 x=\"y\"] free text",
	    1, NULL, &why, 1);
	ck_assert_ptr_null(why);
	ck_assert_str_eq(str(ev, "type"), "account.suspended");
	ck_assert_str_eq(str(ev, "id"), "ev-1");
	ck_assert_str_eq(str(ev, "account"), "acct-9");
	ck_assert_str_eq(str(ev, "note"), "a \"quoted\" ] note");
	refs = json_object_get(ev, "refs");
	ck_assert(json_is_array(refs));
	ck_assert_uint_eq(json_array_size(refs), 2);
	ck_assert_str_eq(json_string_value(json_array_get(refs, 1)), "n-1");
	ck_assert_str_eq(str(ev, "time"), "2026-11-29T03:10:23.500000Z");
	ck_assert_str_eq(str(ev, "tz"), "+08:00");
	ck_assert_ptr_null(json_object_get(ev, "msg"));
	json_decref(ev);

	/* Typed fields that are not JSON, a repeated param, no id: kept as
	 * syslog.message with the reason. */
	ev = BUILD("<110>1 - - - - - [cairn@32473 type=\"account.suspended\" "
	    "id=\"e\" refs=\"[ev-0\\]\"]", 1, NULL, &why, 1);
	ck_assert_str_eq(why, "bad audit event");
	ck_assert_str_eq(str(ev, "type"), "syslog.message");
	ck_assert_ptr_nonnull(strstr(str(ev, "invalid_reason"), "refs"));
	ck_assert_str_eq(str(json_object_get(json_object_get(ev, "sd"),
	    "cairn@32473"), "refs"), "[ev-0]");
	json_decref(ev);
	ev = BUILD("<110>1 - - - - - [cairn@32473 type=\"account.suspended\" "
	    "id=\"e\" id=\"f\"]", 1, NULL, &why, 1);
	ck_assert_ptr_nonnull(strstr(str(ev, "invalid_reason"), "repeated"));
	ck_assert_str_eq(str(json_object_get(json_object_get(ev, "sd"),
	    "cairn@32473"), "id"), "e\nf");
	json_decref(ev);
	ev = BUILD("<110>1 - - - - - [cairn@32473 type=\"account.suspended\"]",
	    1, NULL, &why, 1);
	ck_assert_str_eq(str(ev, "invalid_reason"), "audit event without id");
	json_decref(ev);

	/* Valid as JSON, invalid for the catalog: the caller's validation
	 * fails; forced, it is kept as syslog.message with the reason. */
	ev = BUILD("<110>1 - - - - - [cairn@32473 type=\"account.suspended\" "
	    "id=\"e\" time=\"2026-11-29T11:10:23Z\" account=\"a\" "
	    "reason=\"whim\"]", 1, NULL, &why, 0);
	ck_assert_ptr_null(why);
	json_decref(ev);
	ev = BUILD("<110>1 - - - - - [cairn@32473 type=\"account.suspended\" "
	    "id=\"e\" time=\"2026-11-29T11:10:23Z\" account=\"a\" "
	    "reason=\"whim\"]", 1, "reason: enum", &why, 1);
	ck_assert_str_eq(str(ev, "type"), "syslog.message");
	ck_assert_str_eq(str(ev, "invalid_reason"), "reason: enum");
	ck_assert_str_eq(str(ev, "time"), "2026-11-29T12:00:00.000000Z");
	json_decref(ev);
}
END_TEST

/* Untrusted senders, plain messages, odd bytes. */
START_TEST(test_sysevent_message)
{
	json_t *ev, *sd;
	const char *why;
	struct cairn_buf b = { NULL, 0, 0 };
	char *big;
	size_t i;

	ev = BUILD("<110>1 2026-11-29T11:10:23+08:00 plat app 42 ID7 "
	    "[cairn@32473 type=\"account.suspended\" id=\"ev-1\"] hi", 0, NULL,
	    &why, 1);
	ck_assert_str_eq(why, "untrusted_source");
	ck_assert_str_eq(str(ev, "type"), "syslog.message");
	ck_assert_str_eq(str(ev, "invalid_reason"), "untrusted_source");
	ck_assert_str_eq(str(ev, "format"), "rfc5424");
	ck_assert_int_eq(json_integer_value(json_object_get(ev, "facility")),
	    13);
	ck_assert_int_eq(json_integer_value(json_object_get(ev, "severity")),
	    6);
	ck_assert_str_eq(str(ev, "hostname"), "plat");
	ck_assert_str_eq(str(ev, "app_name"), "app");
	ck_assert_str_eq(str(ev, "procid"), "42");
	ck_assert_str_eq(str(ev, "msgid"), "ID7");
	ck_assert_str_eq(str(ev, "msg"), "hi");
	ck_assert_str_eq(str(ev, "peer"), "192.0.2.7");
	ck_assert_str_eq(str(ev, "time"), "2026-11-29T03:10:23.000000Z");
	ck_assert_str_eq(str(ev, "tz"), "+08:00");
	ck_assert_ptr_null(json_object_get(ev, "id"));
	sd = json_object_get(json_object_get(ev, "sd"), "cairn@32473");
	ck_assert_str_eq(str(sd, "id"), "ev-1");
	json_decref(ev);

	/* NILVALUE fields are omitted; no timestamp: received time, UTC. */
	ev = BUILD("<13>1 - - - - - -", 1, NULL, &why, 1);
	ck_assert_ptr_null(why);
	ck_assert_ptr_null(json_object_get(ev, "hostname"));
	ck_assert_ptr_null(json_object_get(ev, "app_name"));
	ck_assert_ptr_null(json_object_get(ev, "procid"));
	ck_assert_ptr_null(json_object_get(ev, "msgid"));
	ck_assert_ptr_null(json_object_get(ev, "msg"));
	ck_assert_ptr_null(json_object_get(ev, "sd"));
	ck_assert_ptr_null(json_object_get(ev, "invalid_reason"));
	ck_assert_str_eq(str(ev, "time"), "2026-11-29T12:00:00.000000Z");
	ck_assert_str_eq(str(ev, "tz"), "+00:00");
	json_decref(ev);

	/* Invalid UTF-8 (and NUL) in MSG: msg_b64 of the raw bytes. */
	ev = BUILD("<13>1 - - - - - - a\xff\0b", 1, NULL, &why, 1);
	ck_assert_ptr_null(json_object_get(ev, "msg"));
	ck_assert_str_eq(str(ev, "msg_b64"), "Yf8AYg==");
	json_decref(ev);

	/* RFC 3164: the offset is unknown ("-00:00"); BOM not kept. */
	ev = BUILD("<13>Nov 29 03:10:23 host user: msg", 1, NULL, &why, 1);
	ck_assert_str_eq(str(ev, "format"), "rfc3164");
	ck_assert_str_eq(str(ev, "time"), "2026-11-29T03:10:23.000000Z");
	ck_assert_str_eq(str(ev, "tz"), "-00:00");
	ck_assert_str_eq(str(ev, "app_name"), "user");
	json_decref(ev);
	ev = BUILD("<13>1 - - - - - - \xef\xbb\xbfk\xc3\xb3", 1, NULL, &why,
	    1);
	ck_assert_str_eq(str(ev, "msg"), "k\xc3\xb3");
	json_decref(ev);

	/* A message past the cap: the first 8192 bytes as msg_b64, noted. */
	cairn_buf_adds(&b, "<13>1 - - - - - - ");
	for (i = 0; i < 10000; i++)
		cairn_buf_addc(&b, 'a' + i % 26);
	big = (char *)b.p;
	ev = build(big, b.len, 1, NULL, &why, 1);
	ck_assert_ptr_null(json_object_get(ev, "msg"));
	ck_assert_uint_eq(strlen(str(ev, "msg_b64")), 10924);
	ck_assert_ptr_nonnull(strstr(str(ev, "note"), "10000 bytes"));
	json_decref(ev);
	/* Exactly 8192 characters (of 2 bytes each) still fit as msg. */
	b.len = 0;
	cairn_buf_adds(&b, "<13>1 - - - - - - ");
	for (i = 0; i < SYSEVENT_MSG_MAX; i++)
		cairn_buf_adds(&b, "\xc3\xb3");
	ev = build((char *)b.p, b.len, 1, NULL, &why, 1);
	ck_assert_uint_eq(json_string_length(json_object_get(ev, "msg")),
	    2 * SYSEVENT_MSG_MAX);
	json_decref(ev);
	/* SD values past their cap are cut and noted; repeated params join. */
	b.len = 0;
	cairn_buf_adds(&b, "<13>1 - - - - - [big@1 v=\"");
	for (i = 0; i < 5000; i++)
		cairn_buf_addc(&b, 'x');
	cairn_buf_adds(&b, "\" r=\"1\" r=\"2\"]");
	ev = build((char *)b.p, b.len, 1, NULL, &why, 1);
	sd = json_object_get(json_object_get(ev, "sd"), "big@1");
	ck_assert_uint_eq(json_string_length(json_object_get(sd, "v")),
	    SYSEVENT_SDVALUE_MAX);
	ck_assert_str_eq(str(sd, "r"), "1\n2");
	ck_assert_ptr_nonnull(strstr(str(ev, "note"), "sd values cut"));
	json_decref(ev);
	cairn_buf_free(&b);

	/* Forced with a long reason: cut to its cap. */
	{
		char reason[3000];

		memset(reason, 'r', sizeof(reason) - 1);
		reason[sizeof(reason) - 1] = '\0';
		ev = BUILD("<13>1 - - - - - -", 1, reason, &why, 1);
		ck_assert_uint_eq(json_string_length(json_object_get(ev,
		    "invalid_reason")), SYSEVENT_REASON_MAX);
		json_decref(ev);
	}
}
END_TEST

/* The caps in sysevent.h are the catalog's. */
START_TEST(test_sysevent_caps)
{
	char path[1024];
	json_t *c, *f;

	src_path(path, sizeof(path), "schemas/catalog.json");
	c = json_load_file(path, 0, NULL);
	ck_assert_ptr_nonnull(c);
	f = json_object_get(json_object_get(json_object_get(json_object_get(c,
	    "types"), "syslog.message"), "fields"), "msg");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "max")),
	    SYSEVENT_MSG_MAX);
	f = json_object_get(json_object_get(json_object_get(json_object_get(c,
	    "types"), "syslog.message"), "fields"), "msg_b64");
	ck_assert_int_eq(json_integer_value(json_object_get(f, "max")),
	    (json_int_t)cairn_b64_len(SYSEVENT_MSG_MAX));
	json_decref(c);
}
END_TEST

/* Builds the suite. */
static Suite *
syslog_suite(void)
{
	Suite *s = suite_create("syslog");
	TCase *tc = tcase_create("syslog");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_conformance);
	tcase_add_test(tc, test_5424_examples);
	tcase_add_test(tc, test_5424_limits);
	tcase_add_test(tc, test_3164_examples);
	tcase_add_test(tc, test_3164_real);
	tcase_add_test(tc, test_3164_year);
	tcase_add_test(tc, test_detect);
	tcase_add_test(tc, test_framing_octet);
	tcase_add_test(tc, test_framing_lf);
	tcase_add_test(tc, test_framing_bounded);
	tcase_add_test(tc, test_sysevent_audit);
	tcase_add_test(tc, test_sysevent_message);
	tcase_add_test(tc, test_sysevent_caps);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return check_run(syslog_suite());
}
