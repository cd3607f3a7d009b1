/*
 * syslog.c: RFC 5424 and RFC 3164 message parsers.
 *
 * Pure functions over a byte range: no allocation, no global state, every
 * loop bounded by the input length and every field by its cap.  Results
 * are spans into the input.
 */
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "cjson.h"
#include "rfc3339.h"
#include "syslogmsg.h"

/* PRIVAL <= 191: facility 23, severity 7 (RFC 5424 section 6.2.1). */
#define PRI_MAX		191
/* RFC 3164 section 4.3.3: a message without a valid PRI gets <13>. */
#define PRI_DEFAULT	13

/* First and last instants cairn_rfc3339_format() can print. */
#define US_MIN		(-62167219200LL * 1000000)
#define US_MAX		(253402300799LL * 1000000 + 999999)

static const char utf8_bom[3] = { (char)0xef, (char)0xbb, (char)0xbf };

/* Sets the reason and returns CAIRN_EINVAL. */
static int
fail(const char **why, const char *reason)
{
	if (why != NULL)
		*why = reason;
	return CAIRN_EINVAL;
}

/* 1 for an ASCII digit. */
static int
is_digit(uint8_t c)
{
	return c >= '0' && c <= '9';
}

/* 1 for an ASCII letter or digit (locale-independent isalnum). */
static int
is_alnum(uint8_t c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 1 for PRINTUSASCII, %d33-126 (RFC 5424 section 6). */
static int
is_print(uint8_t c)
{
	return c >= 33 && c <= 126;
}

/* Sets a span; an empty one is the absent span. */
static void
span_set(struct cairn_span *sp, const uint8_t *p, size_t n)
{
	sp->p = n ? p : NULL;
	sp->n = n;
}

/*
 * Parses "<PRI>" at s[*i]: 1-3 digits without a leading zero (RFC 3164
 * section 4.1.1; go-syslog and RFC 5424 section 6.2.1 agree), <= 191.
 */
static int
parse_pri(const uint8_t *s, size_t n, size_t *i, int *pri)
{
	size_t j = *i + 1, d = 0;
	int v = 0;

	if (*i >= n || s[*i] != '<')
		return -1;
	while (j < n && d < 4 && is_digit(s[j])) {
		v = v * 10 + (s[j] - '0');
		j++;
		d++;
	}
	if (d == 0 || d > 3 || j >= n || s[j] != '>' || v > PRI_MAX ||
	    (d > 1 && s[*i + 1] == '0'))
		return -1;
	*pri = v;
	*i = j + 1;
	return 0;
}

/* Fills pri, facility and severity. */
static void
set_pri(struct syslog_msg *m, int pri)
{
	m->pri = pri;
	m->facility = pri / 8;
	m->severity = pri % 8;
}

/* Matches n digits; their value into *v. */
static int
digits(const uint8_t *s, size_t len, size_t *i, size_t n, int *v)
{
	size_t k;

	if (*i > len || len - *i < n)
		return -1;
	*v = 0;
	for (k = 0; k < n; k++) {
		if (!is_digit(s[*i + k]))
			return -1;
		*v = *v * 10 + (s[*i + k] - '0');
	}
	*i += n;
	return 0;
}

/* Matches one byte c. */
static int
lit(const uint8_t *s, size_t n, size_t *i, uint8_t c)
{
	if (*i >= n || s[*i] != c)
		return -1;
	(*i)++;
	return 0;
}

/*
 * Parses a TIMESTAMP that is not NILVALUE: FULL-DATE "T" FULL-TIME with
 * TIME-SECFRAC of 1 to 6 digits and an upper-case "T" and "Z" (RFC 5424
 * section 6.2.3).  The syntax is checked here, the ranges (day of month,
 * leap years, no leap second, section 6.2.3.1 item 4) by cairn_rfc3339_parse.
 */
static int
parse_stamp(const uint8_t *s, size_t n, size_t *i, struct syslog_msg *m)
{
	size_t j = *i, k;
	int v, off;
	int64_t us;

	if (digits(s, n, &j, 4, &v) || lit(s, n, &j, '-') ||
	    digits(s, n, &j, 2, &v) || lit(s, n, &j, '-') ||
	    digits(s, n, &j, 2, &v) || lit(s, n, &j, 'T') ||
	    digits(s, n, &j, 2, &v) || lit(s, n, &j, ':') ||
	    digits(s, n, &j, 2, &v) || lit(s, n, &j, ':') ||
	    digits(s, n, &j, 2, &v))
		return -1;
	if (j < n && s[j] == '.') {
		j++;
		for (k = 0; j < n && is_digit(s[j]) && k <= 6; k++)
			j++;
		if (k == 0 || k > 6)
			return -1;
	}
	if (j < n && s[j] == 'Z')
		j++;
	else if (j < n && (s[j] == '+' || s[j] == '-')) {
		j++;
		if (digits(s, n, &j, 2, &v) || lit(s, n, &j, ':') ||
		    digits(s, n, &j, 2, &v))
			return -1;
	} else
		return -1;
	if (cairn_rfc3339_parse((const char *)s + *i, j - *i, &us, &off) != 0)
		return -1;
	m->has_time = 1;
	m->time_us = us;
	/* "-00:00": the local offset is unknown (RFC 3339 section 4.3). */
	m->tz_known = off != CAIRN_RFC3339_UNKNOWN_OFFSET;
	m->tz_min = m->tz_known ? off : 0;
	*i = j;
	return 0;
}

/*
 * Parses a header field: NILVALUE or 1 to max PRINTUSASCII (RFC 5424
 * section 6.2.4-6.2.7); the SP after it is the caller's.
 */
static int
parse_field(const uint8_t *s, size_t n, size_t *i, size_t max,
    struct cairn_span *out)
{
	size_t j = *i;

	while (j < n && is_print(s[j]) && j - *i <= max)
		j++;
	if (j == *i || j - *i > max)
		return -1;
	if (j - *i == 1 && s[*i] == '-')
		span_set(out, NULL, 0);
	else
		span_set(out, s + *i, j - *i);
	*i = j;
	return 0;
}

/* Parses an SD-NAME: 1-32 PRINTUSASCII except '=', SP, ']', '"' (6.3.2). */
static int
parse_sdname(const uint8_t *s, size_t n, size_t *i, struct cairn_span *out)
{
	size_t j = *i;

	while (j < n && is_print(s[j]) && s[j] != '=' && s[j] != ']' &&
	    s[j] != '"' && j - *i <= SYSLOG_SDNAME_MAX)
		j++;
	if (j == *i || j - *i > SYSLOG_SDNAME_MAX)
		return -1;
	span_set(out, s + *i, j - *i);
	*i = j;
	return 0;
}

/* 1 if two spans hold the same bytes. */
static int
span_eq(struct cairn_span a, struct cairn_span b)
{
	return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/*
 * Parses a PARAM-VALUE after its opening quote, up to and including the
 * closing one.  '"', '\' and ']' MUST be escaped (RFC 5424 section 6.3.3),
 * so an unescaped ']' is refused; a backslash before any other character
 * is an ordinary character.  The value must be UTF-8.
 */
static int
parse_value(const uint8_t *s, size_t n, size_t *i, struct cairn_span *out)
{
	size_t j = *i;

	while (j < n && s[j] != '"') {
		if (s[j] == '\\' && j + 1 < n && (s[j + 1] == '"' ||
		    s[j + 1] == '\\' || s[j + 1] == ']'))
			j += 2;
		else if (s[j] == ']')
			return -1;
		else
			j++;
	}
	if (j >= n || !cairn_utf8_valid(s + *i, j - *i))
		return -1;
	out->p = s + *i;	/* an empty value is present: keep p */
	out->n = j - *i;
	*i = j + 1;
	return 0;
}

/*
 * Clears m but for its SD elements (about 66 kB of them, cleared for every
 * message this was a tenth of the syslog path's time): an element is
 * written whole as it is parsed, and none past nsd is read.
 */
static void
msg_reset(struct syslog_msg *m)
{
	memset(m, 0, offsetof(struct syslog_msg, sd));
	m->nsd = 0;
}

/* Parses one SD-ELEMENT at s[*i] == '[' into m->sd[m->nsd]. */
static int
parse_element(const uint8_t *s, size_t n, size_t *i, struct syslog_msg *m,
    const char **why)
{
	struct syslog_sd *e;
	struct syslog_param *pa;
	size_t j = *i + 1, k;

	if (m->nsd >= SYSLOG_MAX_SD)
		return fail(why, "too many SD elements");
	e = &m->sd[m->nsd];
	e->nparam = 0;
	if (parse_sdname(s, n, &j, &e->id) != 0)
		return fail(why, "bad SD-ID");
	/* The same SD-ID MUST NOT exist more than once (section 6.3.2). */
	for (k = 0; k < m->nsd; k++)
		if (span_eq(m->sd[k].id, e->id))
			return fail(why, "duplicate SD-ID");
	for (;;) {
		if (j >= n)
			return fail(why, "unterminated SD element");
		if (s[j] == ']')
			break;
		if (s[j] != ' ')
			return fail(why, "bad SD element");
		j++;
		if (e->nparam >= SYSLOG_MAX_PARAMS)
			return fail(why, "too many SD params");
		pa = &e->param[e->nparam];
		if (parse_sdname(s, n, &j, &pa->name) != 0)
			return fail(why, "bad PARAM-NAME");
		if (lit(s, n, &j, '=') || lit(s, n, &j, '"'))
			return fail(why, "bad SD-PARAM");
		if (parse_value(s, n, &j, &pa->value) != 0)
			return fail(why, "bad PARAM-VALUE");
		e->nparam++;
	}
	m->nsd++;
	*i = j + 1;
	return 0;
}

int
syslog_parse_5424(const uint8_t *s, size_t n, struct syslog_msg *m,
    const char **why)
{
	size_t i = 0, d;
	int pri, v;

	msg_reset(m);
	m->format = 5424;
	if (why != NULL)
		*why = NULL;
	if (parse_pri(s, n, &i, &pri) != 0)
		return fail(why, "bad PRI");
	set_pri(m, pri);
	/* VERSION = NONZERO-DIGIT 0*2DIGIT (section 6.2.2). */
	for (d = 0, v = 0; i < n && is_digit(s[i]) && d < 4; d++, i++)
		v = v * 10 + (s[i] - '0');
	if (d == 0 || d > 3 || s[i - d] == '0')
		return fail(why, "bad VERSION");
	m->version = v;
	if (lit(s, n, &i, ' '))
		return fail(why, "bad VERSION");
	if (i < n && s[i] == '-')
		i++;
	else if (parse_stamp(s, n, &i, m) != 0)
		return fail(why, "bad TIMESTAMP");
	if (lit(s, n, &i, ' ') ||
	    parse_field(s, n, &i, SYSLOG_HOSTNAME_MAX, &m->hostname) ||
	    lit(s, n, &i, ' '))
		return fail(why, "bad HOSTNAME");
	if (parse_field(s, n, &i, SYSLOG_APPNAME_MAX, &m->app_name) ||
	    lit(s, n, &i, ' '))
		return fail(why, "bad APP-NAME");
	if (parse_field(s, n, &i, SYSLOG_PROCID_MAX, &m->procid) ||
	    lit(s, n, &i, ' '))
		return fail(why, "bad PROCID");
	if (parse_field(s, n, &i, SYSLOG_MSGID_MAX, &m->msgid) ||
	    lit(s, n, &i, ' '))
		return fail(why, "bad MSGID");
	/* STRUCTURED-DATA = NILVALUE / 1*SD-ELEMENT (section 6.3). */
	if (i < n && s[i] == '-')
		i++;
	else if (i < n && s[i] == '[') {
		while (i < n && s[i] == '[')
			if ((v = parse_element(s, n, &i, m, why)) != 0)
				return v;
	} else
		return fail(why, "bad STRUCTURED-DATA");
	if (i == n)
		return 0;
	if (s[i] != ' ')
		return fail(why, "no SP after STRUCTURED-DATA");
	i++;
	/* MSG-UTF8 = BOM UTF-8-STRING; MSG-ANY does not start with a BOM
	 * (section 6.4), so a BOM promises valid UTF-8. */
	if (n - i >= 3 && memcmp(s + i, utf8_bom, 3) == 0) {
		i += 3;
		m->msg_bom = 1;
		if (!cairn_utf8_valid(s + i, n - i))
			return fail(why, "MSG after a BOM is not UTF-8");
	}
	span_set(&m->msg, s + i, n - i);
	return 0;
}

/* Month number 1-12 of a three-letter name (any case), or 0. */
static int
month_of(const uint8_t *s)
{
	static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	char lo[3];
	int k;

	for (k = 0; k < 3; k++)
		lo[k] = (char)(s[k] | 0x20);
	for (k = 0; k < 12; k++)
		if (memcmp(names + 3 * k, lo, 3) == 0)
			return k + 1;
	return 0;
}

/* The UTC instant of a broken-down time, through the RFC 3339 parser. */
static int
civil_us(int y, int mo, int d, int h, int mi, int sec, int frac, int64_t *us)
{
	char t[40];
	int len;

	len = snprintf(t, sizeof(t), "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", y,
	    mo, d, h, mi, sec, frac);
	if (len < 0 || (size_t)len >= sizeof(t))
		return -1;
	return cairn_rfc3339_parse(t, (size_t)len, us, NULL) == 0 ? 0 : -1;
}

/*
 * Parses a BSD TIMESTAMP "Mmm dd hh:mm:ss" (RFC 3164 section 4.1.2; the day
 * space-padded, or zero-padded or single-digit as some senders write it),
 * with an optional ".frac" of 1-6 digits and an optional "yyyy " before the
 * time.  Without a year, the year that puts the time closest to now is
 * taken, so a "Dec 31" message read on Jan 1 lands in the old year.  A
 * well-formed stamp that names no real time (Feb 30) is consumed with
 * has_time 0.
 */
static int
parse_bsd_stamp(const uint8_t *s, size_t n, size_t *i, struct syslog_msg *m,
    int64_t now_us)
{
	size_t j = *i, k;
	int mo, d, y = -1, h, mi, sec, frac = 0, ny, best = 0, c;
	int64_t us, dist, bestd = 0;
	char nowt[CAIRN_RFC3339_LEN + 1];

	if (n - j < 3 || (mo = month_of(s + j)) == 0)
		return -1;
	j += 3;
	if (lit(s, n, &j, ' '))
		return -1;
	if (j < n && s[j] == ' ')
		j++;
	if (digits(s, n, &j, 2, &d) != 0 && digits(s, n, &j, 1, &d) != 0)
		return -1;
	if (lit(s, n, &j, ' '))
		return -1;
	k = j;
	if (digits(s, n, &k, 4, &y) == 0 && lit(s, n, &k, ' ') == 0)
		j = k;
	else
		y = -1;
	if (digits(s, n, &j, 2, &h) || lit(s, n, &j, ':') ||
	    digits(s, n, &j, 2, &mi) || lit(s, n, &j, ':') ||
	    digits(s, n, &j, 2, &sec))
		return -1;
	if (j + 1 < n && s[j] == '.' && is_digit(s[j + 1])) {
		k = j + 1;
		for (c = 0; k < n && is_digit(s[k]) && c < 6; c++, k++)
			frac = frac * 10 + (s[k] - '0');
		if (k < n && is_digit(s[k]))
			return -1;	/* more than microseconds */
		for (; c < 6; c++)
			frac *= 10;
		j = k;
	}
	if (j < n && s[j] != ' ')
		return -1;
	*i = j;
	m->has_time = 0;
	m->tz_known = 0;
	m->tz_min = 0;
	if (y >= 0) {
		if (civil_us(y, mo, d, h, mi, sec, frac, &us) == 0) {
			m->has_time = 1;
			m->time_us = us;
		}
		return 0;
	}
	if (now_us < US_MIN)
		now_us = US_MIN;
	if (now_us > US_MAX)
		now_us = US_MAX;
	cairn_rfc3339_format(now_us, nowt);
	ny = (nowt[0] - '0') * 1000 + (nowt[1] - '0') * 100 +
	    (nowt[2] - '0') * 10 + (nowt[3] - '0');
	for (y = ny - 1; y <= ny + 1; y++) {
		if (y < 0 || y > 9999 ||
		    civil_us(y, mo, d, h, mi, sec, frac, &us) != 0)
			continue;
		dist = us > now_us ? us - now_us : now_us - us;
		if (!best || dist < bestd) {
			best = 1;
			bestd = dist;
			m->time_us = us;
		}
	}
	m->has_time = best;
	return 0;
}

/*
 * rsyslog's hostname test (pmrfc3164): letters, digits, '.', '_', '-' (or
 * a bracketed address), ending in a letter or digit, followed by SP (or the
 * end, if the caller allows it).  A ':' or '[' means a TAG, not a host.
 */
static int
parse_bsd_host(const uint8_t *s, size_t n, size_t *i, int end_ok,
    struct cairn_span *out)
{
	size_t j = *i;

	if (j < n && s[j] == '[') {
		/* Up to 255 bytes with both brackets. */
		for (j++; j < n && j - *i < SYSLOG_HOSTNAME_MAX - 1 &&
		    (is_alnum(s[j]) || s[j] == '.' || s[j] == ':' ||
		    s[j] == '%'); j++)
			;
		if (j >= n || s[j] != ']' || j == *i + 1)
			return -1;
		j++;
	} else {
		while (j < n && j - *i <= SYSLOG_HOSTNAME_MAX &&
		    (is_alnum(s[j]) || s[j] == '.' || s[j] == '_' ||
		    s[j] == '-'))
			j++;
		if (j == *i || j - *i > SYSLOG_HOSTNAME_MAX ||
		    !is_alnum(s[j - 1]))
			return -1;
	}
	if (j < n ? s[j] != ' ' : !end_ok)
		return -1;
	span_set(out, s + *i, j - *i);
	*i = j < n ? j + 1 : j;
	return 0;
}

/*
 * The TAG as rsyslog reads it: up to ':' (which belongs to it) or SP
 * (which does not), printable ASCII.  "app[pid]" gives APP-NAME and PROCID;
 * a tag that does not fit the RFC 5424 caps is left in the MSG.
 */
static void
parse_bsd_tag(const uint8_t *s, size_t n, size_t *i, struct syslog_msg *m)
{
	size_t j = *i, b, lim = SYSLOG_APPNAME_MAX + SYSLOG_PROCID_MAX + 2;

	while (j < n && is_print(s[j]) && s[j] != ':' && j - *i <= lim)
		j++;
	if (j == *i || j >= n || j - *i > lim || (s[j] != ':' && s[j] != ' '))
		return;
	for (b = *i; b < j && s[b] != '['; b++)
		;
	if (b == *i || b - *i > SYSLOG_APPNAME_MAX)
		return;
	if (b < j) {
		/* "[pid]" must close the tag; else the app name stops at '['. */
		if (s[j - 1] == ']' && j - b - 2 >= 1 &&
		    j - b - 2 <= SYSLOG_PROCID_MAX &&
		    memchr(s + b + 1, ']', j - b - 2) == NULL)
			span_set(&m->procid, s + b + 1, j - b - 2);
	}
	span_set(&m->app_name, s + *i, b - *i);
	*i = j + 1;
	/* "TAG: MSG": the SP after the colon separates, it is not content. */
	if (s[j] == ':' && *i < n && s[*i] == ' ')
		(*i)++;
}

int
syslog_parse_3164(const uint8_t *s, size_t n, struct syslog_msg *m,
    int64_t now_us, const char **why)
{
	size_t i = 0, k;
	int pri, stamped = 0;

	msg_reset(m);
	m->format = 3164;
	if (why != NULL)
		*why = NULL;
	/* Trailing LF, CR, NUL: transport leftovers, not content. */
	while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r' ||
	    s[n - 1] == '\0'))
		n--;
	if (n == 0)
		return fail(why, "empty message");
	if (parse_pri(s, n, &i, &pri) != 0) {
		/* RFC 3164 section 4.3.3: no valid PRI, so <13> and the whole
		 * packet is the content (a relay MUST forward it so). */
		set_pri(m, PRI_DEFAULT);
		span_set(&m->msg, s, n);
		return 0;
	}
	set_pri(m, pri);
	k = i;
	if (k < n && is_digit(s[k]) && parse_stamp(s, n, &k, m) == 0 &&
	    (k == n || s[k] == ' ')) {
		stamped = 1;	/* RFC 3339 in a BSD message (rsyslog) */
		i = k;
	} else {
		m->has_time = m->tz_known = m->tz_min = 0;
		if (parse_bsd_stamp(s, n, &i, m, now_us) == 0)
			stamped = 1;
	}
	if (stamped && i < n)
		i++;
	/* Without a timestamp, a lone word is a message, not a host. */
	parse_bsd_host(s, n, &i, stamped, &m->hostname);
	parse_bsd_tag(s, n, &i, m);
	span_set(&m->msg, s + i, n - i);
	return 0;
}

/* 1 if the input starts "<PRI>VERSION SP" as RFC 5424 does. */
static int
looks_5424(const uint8_t *s, size_t n)
{
	size_t i = 0, d;
	int pri;

	if (parse_pri(s, n, &i, &pri) != 0 || i >= n || s[i] < '1' ||
	    s[i] > '9')
		return 0;
	for (d = 0; i < n && is_digit(s[i]) && d < 4; d++)
		i++;
	return d <= 3 && i < n && s[i] == ' ';
}

int
syslog_parse(const uint8_t *s, size_t n, struct syslog_msg *m,
    int64_t now_us, const char **why)
{
	if (looks_5424(s, n))
		return syslog_parse_5424(s, n, m, why);
	return syslog_parse_3164(s, n, m, now_us, why);
}

int
syslog_sd_unescape(struct cairn_span v, struct cairn_buf *out)
{
	size_t i, start;
	int rc;

	if (cairn_buf_reserve(out, v.n) != 0)
		return CAIRN_ENOMEM;
	for (i = start = 0; i < v.n; i++) {
		if (v.p[i] == '\\' && i + 1 < v.n && (v.p[i + 1] == '"' ||
		    v.p[i + 1] == '\\' || v.p[i + 1] == ']')) {
			if ((rc = cairn_buf_add(out, v.p + start, i - start)) != 0)
				return rc;
			start = ++i;	/* keep the escaped character */
		}
	}
	return cairn_buf_add(out, v.p + start, v.n - start);
}
