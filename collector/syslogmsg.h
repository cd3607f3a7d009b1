/*
 * syslog.h: pure parsers for RFC 5424 and RFC 3164 (BSD) syslog messages.
 *
 * The parsers read (const uint8_t *, size_t), never allocate and never
 * write outside the message struct: every text field is a span into the
 * input, valid as long as the input is.  Every length is capped.
 */
#ifndef CAIRN_SYSLOG_H
#define CAIRN_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "cairn.h"
#include "util.h"

/* A piece of the input; p == NULL && n == 0: absent or NILVALUE. */
struct cairn_span {
	const uint8_t	*p;
	size_t		 n;
};

#define SYSLOG_MAX_SD		32	/* SD elements per message */
#define SYSLOG_MAX_PARAMS	64	/* SD-PARAMs per element */

/* Caps of RFC 5424 section 6 (also applied to RFC 3164 fields). */
#define SYSLOG_HOSTNAME_MAX	255
#define SYSLOG_APPNAME_MAX	48
#define SYSLOG_PROCID_MAX	128
#define SYSLOG_MSGID_MAX	32
#define SYSLOG_SDNAME_MAX	32

/* One SD-PARAM; value is raw, still escaped (\" \\ \]). */
struct syslog_param {
	struct cairn_span	name, value;
};

struct syslog_sd {
	struct cairn_span	id;
	struct syslog_param	param[SYSLOG_MAX_PARAMS];
	size_t			nparam;
};

struct syslog_msg {
	int		format;		/* 5424 or 3164 */
	int		pri, facility, severity, version;	/* version 0: 3164 */
	int		has_time;
	int64_t		time_us;	/* UTC instant, microseconds */
	int		tz_min;		/* offset east of UTC, when tz_known */
	int		tz_known;	/* 0: 3164, or 5424 "-00:00" */
	struct cairn_span hostname, app_name, procid, msgid;
	struct cairn_span msg;		/* MSG after the header; empty: absent */
	int		msg_bom;	/* 5424 MSG started with a UTF-8 BOM,
					   which is not in msg */
	struct syslog_sd sd[SYSLOG_MAX_SD];
	size_t		nsd;
};

/*
 * RFC 5424 section 6 exactly (its ABNF and limits): PRI 0..191 without
 * leading zeros, VERSION 1..999, TIMESTAMP with "T", "Z", at most 6
 * TIME-SECFRAC digits and no leap second, HOSTNAME <= 255, APP-NAME <= 48,
 * PROCID <= 128, MSGID <= 32 PRINTUSASCII, SD-IDs unique, SD-NAME <= 32,
 * PARAM-VALUE UTF-8 with '"', '\' and ']' escaped, a MSG that starts with a
 * BOM valid UTF-8.  At most SYSLOG_MAX_SD elements of SYSLOG_MAX_PARAMS
 * params.  Returns 0 or CAIRN_EINVAL with a static reason in *why (why may
 * be NULL).
 */
int	syslog_parse_5424(const uint8_t *, size_t, struct syslog_msg *,
	    const char **why);

/*
 * RFC 3164 (BSD syslog), tolerant as rsyslog is:
 * "<PRI>[TIMESTAMP ][HOSTNAME ][TAG[[PID]]:[ ]]MSG".  TIMESTAMP is
 * "Mmm dd hh:mm:ss" (day space- or zero-padded, optional ".frac" of up to 6
 * digits, optional " yyyy" before the time as Cisco sends it) or an RFC 3339
 * date-time (rsyslog accepts one).  Without a year, the year closest to
 * now_us is used (Dec/Jan rollover); without a zone the time is taken as
 * UTC and tz_known is 0.  Without a valid <PRI> the whole input is the MSG
 * with PRI 13 (RFC 3164 section 4.3.3).  Only an empty input is refused.
 */
int	syslog_parse_3164(const uint8_t *, size_t, struct syslog_msg *,
	    int64_t now_us, const char **why);

/*
 * "<PRI>" followed by a VERSION (1-9, then up to two digits) and SP is
 * parsed as RFC 5424 (and refused if it is not valid RFC 5424), anything
 * else as RFC 3164.
 */
int	syslog_parse(const uint8_t *, size_t, struct syslog_msg *,
	    int64_t now_us, const char **why);

/*
 * Appends a PARAM-VALUE unescaped to out: \" \\ \] lose their backslash,
 * any other backslash is kept (RFC 5424 section 6.3.3).  0 or CAIRN_ENOMEM.
 */
int	syslog_sd_unescape(struct cairn_span, struct cairn_buf *out);

#endif
