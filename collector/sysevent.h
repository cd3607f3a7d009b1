/*
 * sysevent.h: turns one parsed syslog message into a Cairn event (jansson).
 */
#ifndef CAIRN_SYSEVENT_H
#define CAIRN_SYSEVENT_H

#include <stdint.h>

#include <jansson.h>

#include "catalog.h"
#include "syslogmsg.h"

/* Caps of syslog.message in schemas/catalog.json (test_syslog checks them). */
#define SYSEVENT_MSG_MAX	8192	/* msg: code points; msg_b64: raw bytes */
#define SYSEVENT_SDVALUE_MAX	4096	/* an sd value, code points */
#define SYSEVENT_REASON_MAX	1024	/* invalid_reason, note */
#define SYSEVENT_PEER_MAX	256

/*
 * Builds the event for one syslog message into *out (a new reference).
 *
 * Audit event: when trusted, force_message is 0, and the message has an SD
 * element whose SD-ID is sd_id (e.g. "cairn@32473"), its params are the
 * event's fields: a param whose catalog field kind (for the event's "type")
 * is not "string" holds JSON text, decoded strictly (cairn_json_parse);
 * every other param is a string (its PARAM-VALUE unescaped).  "type" and
 * "id" must be there and a param name may not repeat.  Nothing else of the
 * message goes into it.  The caller validates it; if that fails it calls
 * again with force_message = 1 and reason = why.
 *
 * syslog.message otherwise, with: time (the TIMESTAMP with its offset;
 * "-00:00" when the offset is unknown, as for RFC 3164; the received time
 * now_us when there is none), facility, severity, format, hostname,
 * app_name, procid, msgid (each omitted when NILVALUE), sd (SD-ID ->
 * {PARAM-NAME: unescaped value}; a repeated PARAM-NAME's values are joined
 * with "\n"; a value is cut to 4096 code points, a NUL in it becomes
 * U+FFFD), msg (when MSG is UTF-8 without NUL and at most 8192 code points;
 * the RFC 5424 BOM is not kept) or else msg_b64 (base64 of the raw MSG
 * bytes, at most the first 8192 of them), peer, invalid_reason (reason,
 * cut to 1024 code points) and note (when something was cut: what and how
 * much).  No id.
 *
 * Returns 0, CAIRN_EINVAL (NULL arguments) or CAIRN_ENOMEM.  On 0, *why is
 * NULL, or a static string when the result is a syslog.message although an
 * audit event was offered: "untrusted_source" (the SD element came from an
 * untrusted peer: invalid_reason says so too) or "bad audit event" (its
 * params could not make an event: invalid_reason says why).  The caller
 * counts and logs those.
 */
int	sysevent_build(const struct syslog_msg *, const struct cairn_catalog *,
	    const char *sd_id, int trusted, int force_message,
	    const char *reason, const char *peer, int64_t now_us, json_t **out,
	    const char **why);

#endif
