/*
 * sysevent.c: a parsed syslog message as a Cairn event, either the audit
 * event its structured data carries or a syslog.message that keeps it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cjson.h"
#include "rfc3339.h"
#include "sysevent.h"
#include "util.h"

/* First and last instants cairn_rfc3339_format() can print. */
#define US_MIN		(-62167219200LL * 1000000)
#define US_MAX		(253402300799LL * 1000000 + 999999)
#define US_PER_MIN	60000000LL

static const char untrusted[] = "untrusted_source";
static const char bad_audit[] = "bad audit event";

/* Copies a span (an SD-NAME, <= 32 bytes) into a NUL-terminated name. */
static void
span_name(struct cairn_span sp, char out[SYSLOG_SDNAME_MAX + 1])
{
	size_t n = sp.n > SYSLOG_SDNAME_MAX ? SYSLOG_SDNAME_MAX : sp.n;

	if (n)
		memcpy(out, sp.p, n);
	out[n] = '\0';
}

/* 1 if the span holds exactly the string s. */
static int
span_is(struct cairn_span sp, const char *s)
{
	size_t n = strlen(s);

	return sp.n == n && (n == 0 || memcmp(sp.p, s, n) == 0);
}

/* Byte length of the first max code points of valid UTF-8 s (n bytes). */
static size_t
utf8_prefix(const uint8_t *s, size_t n, size_t max)
{
	size_t i, cp = 0;

	for (i = 0; i < n; i++)
		if ((s[i] & 0xc0) != 0x80 && cp++ == max)
			return i;
	return n;
}

/* Sets key to a string of n bytes of valid UTF-8; CAIRN_ENOMEM. */
static int
set_str(json_t *o, const char *key, const void *p, size_t n)
{
	json_t *v;

	if ((v = json_stringn(p, n)) == NULL ||
	    json_object_set_new(o, key, v) != 0)
		return CAIRN_ENOMEM;
	return 0;
}

/* Sets key to a span when it is present (not NILVALUE). */
static int
set_span(json_t *o, const char *key, struct cairn_span sp)
{
	if (sp.p == NULL || sp.n == 0)
		return 0;
	return set_str(o, key, sp.p, sp.n);
}

/*
 * Formats the event time: the instant with the offset it was sent with, so
 * that validation keeps that offset in tz; "-00:00" (RFC 3339 section 4.3)
 * when the offset is unknown.
 */
static void
time_text(int64_t us, int known, int off, char out[CAIRN_RFC3339_LEN + 7])
{
	char o[7];
	int64_t local;

	if (us < US_MIN)
		us = US_MIN;
	if (us > US_MAX)
		us = US_MAX;
	local = us + (known ? (int64_t)off * US_PER_MIN : 0);
	if (local < US_MIN || local > US_MAX) {
		local = us;
		known = 1;
		off = 0;
	}
	cairn_rfc3339_format(local, out);
	cairn_rfc3339_offset(known ? off : CAIRN_RFC3339_UNKNOWN_OFFSET, o);
	memcpy(out + CAIRN_RFC3339_LEN - 1, o, 7);	/* over the 'Z' */
}

/* Adds a sentence to the note, within its cap. */
static void
note_add(char *note, size_t cap, const char *what)
{
	size_t n = strlen(note);

	snprintf(note + n, cap - n, "%s%s", n ? "; " : "", what);
}

/*
 * Appends one unescaped PARAM-VALUE to b, a NUL becoming U+FFFD (a NUL
 * cannot be stored in canonical JSON); *nul is set if one was replaced.
 */
static int
add_value(struct cairn_buf *b, struct cairn_span v, int *nul)
{
	struct cairn_buf t = { NULL, 0, 0 };
	size_t i, start;
	int rc;

	if ((rc = syslog_sd_unescape(v, &t)) != 0)
		goto out;
	for (i = start = 0; i < t.len; i++) {
		if (t.p[i] != '\0')
			continue;
		if ((rc = cairn_buf_add(b, t.p + start, i - start)) != 0 ||
		    (rc = cairn_buf_add(b, "\xef\xbf\xbd", 3)) != 0)
			goto out;
		start = i + 1;
		*nul = 1;
	}
	rc = cairn_buf_add(b, t.p + start, t.len - start);
out:
	cairn_buf_free(&t);
	return rc;
}

/* The "sd" object: every element, every param unescaped. */
static int
build_sd(const struct syslog_msg *m, json_t *ev, char *note, size_t ncap)
{
	struct cairn_buf b = { NULL, 0, 0 };
	json_t *sd, *el, *old;
	char id[SYSLOG_SDNAME_MAX + 1], nm[SYSLOG_SDNAME_MAX + 1];
	size_t i, k, cut;
	int rc = CAIRN_ENOMEM, nul = 0, trunc = 0;

	if (m->nsd == 0)
		return 0;
	if ((sd = json_object()) == NULL ||
	    json_object_set_new(ev, "sd", sd) != 0)
		return CAIRN_ENOMEM;
	for (i = 0; i < m->nsd; i++) {
		span_name(m->sd[i].id, id);
		if ((el = json_object()) == NULL ||
		    json_object_set_new(sd, id, el) != 0)
			goto out;
		for (k = 0; k < m->sd[i].nparam; k++) {
			span_name(m->sd[i].param[k].name, nm);
			b.len = 0;
			/* A repeated PARAM-NAME (allowed, RFC 5424 7.2.2):
			 * its values in order, one per line. */
			old = json_object_get(el, nm);
			if (old != NULL && (cairn_buf_add(&b,
			    json_string_value(old), json_string_length(old)) ||
			    cairn_buf_addc(&b, '\n')))
				goto out;
			if ((rc = add_value(&b, m->sd[i].param[k].value,
			    &nul)) != 0)
				goto out;
			rc = CAIRN_ENOMEM;
			cut = utf8_prefix(b.p, b.len, SYSEVENT_SDVALUE_MAX);
			trunc |= cut < b.len;
			if (set_str(el, nm, b.p, cut) != 0)
				goto out;
		}
	}
	if (trunc)
		note_add(note, ncap, "sd values cut to 4096 characters");
	if (nul)
		note_add(note, ncap, "NUL in sd values replaced by U+FFFD");
	rc = 0;
out:
	cairn_buf_free(&b);
	return rc;
}

/* The MSG as msg (UTF-8 text) or msg_b64 (raw bytes), within the caps. */
static int
build_msg(const struct syslog_msg *m, json_t *ev, char *note, size_t ncap)
{
	const uint8_t *p = m->msg.p;
	size_t n = m->msg.n, keep;
	char *b64, what[128];
	int rc;

	if (p == NULL || n == 0)
		return 0;
	if (memchr(p, '\0', n) == NULL && cairn_utf8_valid(p, n) &&
	    utf8_prefix(p, n, SYSEVENT_MSG_MAX) == n)
		return set_str(ev, "msg", p, n);
	keep = n > SYSEVENT_MSG_MAX ? SYSEVENT_MSG_MAX : n;
	if ((b64 = malloc(cairn_b64_len(keep) + 1)) == NULL)
		return CAIRN_ENOMEM;
	cairn_b64(p, keep, b64);
	rc = set_str(ev, "msg_b64", b64, strlen(b64));
	free(b64);
	if (keep < n) {
		snprintf(what, sizeof(what), "msg cut: %zu bytes received, "
		    "the first %d kept in msg_b64", n, SYSEVENT_MSG_MAX);
		note_add(note, ncap, what);
	}
	return rc;
}

/* Builds the syslog.message event. */
static int
build_message(const struct syslog_msg *m, const char *reason,
    const char *peer, int64_t now_us, json_t **out)
{
	json_t *ev;
	char t[CAIRN_RFC3339_LEN + 7], note[SYSEVENT_REASON_MAX + 1] = "";
	size_t n;
	int rc = CAIRN_ENOMEM;

	if ((ev = json_object()) == NULL)
		return CAIRN_ENOMEM;
	if (m->has_time)
		time_text(m->time_us, m->tz_known, m->tz_min, t);
	else
		time_text(now_us, 1, 0, t);	/* received: a UTC clock */
	if (set_str(ev, "type", "syslog.message", 14) != 0 ||
	    set_str(ev, "time", t, strlen(t)) != 0 ||
	    json_object_set_new(ev, "facility",
	    json_integer(m->facility)) != 0 ||
	    json_object_set_new(ev, "severity",
	    json_integer(m->severity)) != 0 ||
	    set_str(ev, "format", m->format == 5424 ? "rfc5424" : "rfc3164",
	    7) != 0 ||
	    set_span(ev, "hostname", m->hostname) != 0 ||
	    set_span(ev, "app_name", m->app_name) != 0 ||
	    set_span(ev, "procid", m->procid) != 0 ||
	    set_span(ev, "msgid", m->msgid) != 0)
		goto fail;
	if ((rc = build_sd(m, ev, note, sizeof(note))) != 0 ||
	    (rc = build_msg(m, ev, note, sizeof(note))) != 0)
		goto fail;
	rc = CAIRN_ENOMEM;
	if (peer != NULL && *peer != '\0' &&
	    cairn_utf8_valid((const uint8_t *)peer, strlen(peer))) {
		n = utf8_prefix((const uint8_t *)peer, strlen(peer),
		    SYSEVENT_PEER_MAX);
		if (set_str(ev, "peer", peer, n) != 0)
			goto fail;
	}
	if (reason != NULL && *reason != '\0' &&
	    cairn_utf8_valid((const uint8_t *)reason, strlen(reason))) {
		n = utf8_prefix((const uint8_t *)reason, strlen(reason),
		    SYSEVENT_REASON_MAX);
		if (set_str(ev, "invalid_reason", reason, n) != 0)
			goto fail;
	}
	if (note[0] != '\0' && set_str(ev, "note", note, strlen(note)) != 0)
		goto fail;
	*out = ev;
	return 0;
fail:
	json_decref(ev);
	return rc;
}

/*
 * Builds the audit event of an SD element: 0, CAIRN_ENOMEM, or
 * CAIRN_EINVAL with the reason in rbuf.
 */
static int
build_audit(const struct syslog_sd *e, const struct cairn_catalog *cat,
    json_t **out, char *rbuf, size_t rlen)
{
	struct cairn_buf b = { NULL, 0, 0 };
	json_t *ev, *v;
	char nm[SYSLOG_SDNAME_MAX + 1], type[128] = "", err[96];
	const char *kind;
	size_t k, j;
	int rc, nul = 0;

	/* The type first: it says how to read the other params. */
	for (k = 0; k < e->nparam; k++) {
		if (!span_is(e->param[k].name, "type"))
			continue;
		b.len = 0;
		if ((rc = add_value(&b, e->param[k].value, &nul)) != 0)
			goto out;
		if (b.len < sizeof(type))
			memcpy(type, b.p, b.len + 1);
		break;
	}
	rc = CAIRN_ENOMEM;
	if ((ev = json_object()) == NULL)
		goto out;
	for (k = 0; k < e->nparam; k++) {
		span_name(e->param[k].name, nm);
		for (j = 0; j < k; j++)
			if (span_is(e->param[j].name, nm)) {
				snprintf(rbuf, rlen, "repeated param %s", nm);
				rc = CAIRN_EINVAL;
				goto bad;
			}
		b.len = 0;
		nul = 0;
		if ((rc = add_value(&b, e->param[k].value, &nul)) != 0)
			goto bad;
		if (nul) {
			snprintf(rbuf, rlen, "param %s holds a NUL", nm);
			rc = CAIRN_EINVAL;
			goto bad;
		}
		kind = cairn_catalog_field_type(cat, type, nm);
		if (kind != NULL && strcmp(kind, "string") != 0) {
			/* JSON text for a typed field, strictly parsed. */
			if ((rc = cairn_json_parse(b.p, b.len, &v, err,
			    sizeof(err))) != 0) {
				if (rc == CAIRN_ENOMEM)
					goto bad;
				snprintf(rbuf, rlen, "param %s: %s is not JSON"
				    " (%s)", nm, kind, err);
				rc = CAIRN_EINVAL;
				goto bad;
			}
		} else if ((v = json_stringn((const char *)b.p, b.len)) ==
		    NULL) {
			rc = CAIRN_ENOMEM;
			goto bad;
		}
		if (json_object_set_new(ev, nm, v) != 0) {
			rc = CAIRN_ENOMEM;
			goto bad;
		}
	}
	rc = CAIRN_EINVAL;
	if (json_object_get(ev, "type") == NULL) {
		snprintf(rbuf, rlen, "audit event without type");
		goto bad;
	}
	if (json_object_get(ev, "id") == NULL) {
		snprintf(rbuf, rlen, "audit event without id");
		goto bad;
	}
	*out = ev;
	rc = 0;
	goto out;
bad:
	json_decref(ev);
out:
	cairn_buf_free(&b);
	return rc;
}

int
sysevent_build(const struct syslog_msg *m, const struct cairn_catalog *cat,
    const char *sd_id, int trusted, int force_message, const char *reason,
    const char *peer, int64_t now_us, json_t **out, const char **why)
{
	const struct syslog_sd *e = NULL;
	char rbuf[256];
	size_t i;
	int rc;

	if (why != NULL)
		*why = NULL;
	if (m == NULL || out == NULL)
		return CAIRN_EINVAL;
	*out = NULL;
	if (sd_id != NULL && !force_message)
		for (i = 0; i < m->nsd && e == NULL; i++)
			if (span_is(m->sd[i].id, sd_id))
				e = &m->sd[i];
	if (e == NULL)
		return build_message(m, reason, peer, now_us, out);
	if (!trusted) {
		if (why != NULL)
			*why = untrusted;
		return build_message(m, untrusted, peer, now_us, out);
	}
	if (cat == NULL)
		return CAIRN_EINVAL;
	rc = build_audit(e, cat, out, rbuf, sizeof(rbuf));
	if (rc == 0 && json_object_get(*out, "time") == NULL) {
		char t[CAIRN_RFC3339_LEN + 7];

		/* No time param: the message's TIMESTAMP is when it happened
		 * (the sender's clock); lacking one, when it was received. */
		if (m->has_time)
			time_text(m->time_us, m->tz_known, m->tz_min, t);
		else
			time_text(now_us, 1, 0, t);
		if (set_str(*out, "time", t, strlen(t)) != 0) {
			json_decref(*out);
			*out = NULL;
			return CAIRN_ENOMEM;
		}
	}
	if (rc != CAIRN_EINVAL)
		return rc;
	if (why != NULL)
		*why = bad_audit;
	return build_message(m, rbuf, peer, now_us, out);
}
