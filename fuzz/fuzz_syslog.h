/*
 * fuzz_syslog.h: the body shared by the RFC 5424 and RFC 3164 fuzz
 * targets: parse, check every span against the input and the caps, build
 * the event and validate it.  Included by exactly one file per target.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "catalog.h"
#include "syslogmsg.h"
#include "sysevent.h"
#include "util.h"

static struct cairn_catalog *cat;

/* Aborts unless a present span lies inside the input and within max. */
static void
span_ok(struct cairn_span sp, const uint8_t *data, size_t size, size_t max)
{
	if (sp.p == NULL) {
		if (sp.n != 0)
			abort();
		return;
	}
	if (sp.p < data || sp.n > size || sp.p + sp.n > data + size ||
	    sp.n > max)
		abort();
}

/* Aborts unless the event is valid, allowing only the personal-data rule
 * (a whole msg or value that looks like a mobile or ID-card number). */
static void
must_validate(json_t *ev)
{
	struct cairn_verr errs[8];
	size_t nerr = 0, i;
	const char *stream;

	if (cairn_catalog_validate(cat, ev, 0, &stream, errs, 8, &nerr) == 0)
		return;
	for (i = 0; i < nerr && i < 8; i++)
		if (strcmp(errs[i].rule, "raw_personal_data") != 0)
			abort();
}

/* Parses with parse (FORMAT 5424 or 3164); checks every span; builds the
 * event and validates it; an event that fails validation must become a
 * valid syslog.message when forced. */
static int
fuzz_syslog(const uint8_t *data, size_t size, int format)
{
	struct syslog_msg m;
	struct cairn_buf b = { NULL, 0, 0 };
	const char *why, *stream;
	int64_t now = 1796000000000000LL;	/* late 2026 */
	json_t *ev;
	size_t i, k;

	if (cat == NULL && cairn_catalog_default(&cat) != 0)
		abort();
	if ((format == 5424 ? syslog_parse_5424(data, size, &m, &why) :
	    syslog_parse_3164(data, size, &m, now, &why)) != 0) {
		if (why == NULL)
			abort();
		return 0;
	}
	span_ok(m.hostname, data, size, SYSLOG_HOSTNAME_MAX);
	span_ok(m.app_name, data, size, SYSLOG_APPNAME_MAX);
	span_ok(m.procid, data, size, SYSLOG_PROCID_MAX);
	span_ok(m.msgid, data, size, SYSLOG_MSGID_MAX);
	span_ok(m.msg, data, size, size);
	if (m.pri < 0 || m.pri > 191 || m.nsd > SYSLOG_MAX_SD)
		abort();
	for (i = 0; i < m.nsd; i++) {
		span_ok(m.sd[i].id, data, size, SYSLOG_SDNAME_MAX);
		if (m.sd[i].nparam > SYSLOG_MAX_PARAMS)
			abort();
		for (k = 0; k < m.sd[i].nparam; k++) {
			span_ok(m.sd[i].param[k].name, data, size,
			    SYSLOG_SDNAME_MAX);
			b.len = 0;
			if (syslog_sd_unescape(m.sd[i].param[k].value,
			    &b) != 0 || b.len > m.sd[i].param[k].value.n)
				abort();
		}
	}
	cairn_buf_free(&b);
	if (sysevent_build(&m, cat, "cairn@32473", 1, 0, NULL, "192.0.2.1",
	    now, &ev, &why) != 0)
		abort();
	if (cairn_catalog_validate(cat, ev, 0, &stream, NULL, 0, NULL) != 0) {
		json_decref(ev);
		if (sysevent_build(&m, cat, "cairn@32473", 1, 1, "invalid",
		    "192.0.2.1", now, &ev, &why) != 0)
			abort();
		must_validate(ev);
	}
	json_decref(ev);
	return 0;
}
