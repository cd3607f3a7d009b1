/*
 * rfc3339.h: RFC 3339 section 5.6 date-time parsing and formatting.
 *
 * Accepted: full-date "T" full-time, with "T"/"t" and "Z"/"z" (the NOTE in
 * section 5.6), years 0000-9999, time-secfrac of 1 to 9 digits of which only
 * the first 6 may be non-zero (Cairn keeps microseconds and refuses to drop
 * precision silently), an offset of "Z" or +hh:mm / -hh:mm.  Refused: leap
 * seconds (":60", section 5.7: they cannot be told from a clock error without
 * a leap-second table), a space instead of "T", a missing offset, and any
 * instant that falls outside 0000-01-01T00:00:00Z .. 9999-12-31T23:59:59Z in
 * UTC (so that cairn_rfc3339_format() can always print it).
 */
#ifndef CAIRN_RFC3339_H
#define CAIRN_RFC3339_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "cairn.h"

/*
 * Offset reported for "-00:00": RFC 3339 section 4.3 gives it the meaning
 * "UTC is known but the local offset is not", which is kept apart from "Z"
 * and "+00:00" (both reported as 0).
 */
#define CAIRN_RFC3339_UNKNOWN_OFFSET INT_MIN

/* Length of a formatted UTC time, without the NUL. */
#define CAIRN_RFC3339_LEN 27

/*
 * Parses the n bytes at s as an RFC 3339 date-time into microseconds since
 * the epoch (UTC) and the offset in minutes east of UTC (0 for "Z" and
 * "+00:00", CAIRN_RFC3339_UNKNOWN_OFFSET for "-00:00").  Either out-pointer
 * may be NULL.  Returns 0 or CAIRN_EINVAL (outputs untouched).
 */
int	cairn_rfc3339_parse(const char *s, size_t n, int64_t *us,
	    int *offset_min);

/*
 * Formats microseconds since the epoch as "YYYY-MM-DDTHH:MM:SS.ffffffZ"
 * (27 chars + NUL: out must hold at least 28 bytes).  us must lie in the
 * range cairn_rfc3339_parse() accepts.
 */
void	cairn_rfc3339_format(int64_t us, char *out);

/*
 * Formats an offset in minutes as "+08:00" / "-05:30" (6 chars + NUL);
 * 0 gives "+00:00" and CAIRN_RFC3339_UNKNOWN_OFFSET gives "-00:00".
 */
void	cairn_rfc3339_offset(int offset_min, char out[7]);

#endif
