/* rfc3339.c: RFC 3339 date-time parsing and UTC formatting. */
#include <stddef.h>
#include <stdint.h>

#include "rfc3339.h"

#define US_PER_SEC	INT64_C(1000000)
#define US_PER_DAY	(INT64_C(86400) * US_PER_SEC)

/* Days from 1970-01-01 to the given proleptic Gregorian date. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	/* Count from March so that the leap day ends the year. */
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Proleptic Gregorian date of a day count from 1970-01-01. */
static void
civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	int64_t era, doe, yoe, doy, mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

/* Whether a year is a Gregorian leap year (RFC 3339 appendix C). */
static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Reads exactly n decimal digits at s into *v; 0 or -1. */
static int
digits(const char *s, size_t n, int *v)
{
	size_t i;
	int r = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		r = r * 10 + (s[i] - '0');
	}
	*v = r;
	return 0;
}

int
cairn_rfc3339_parse(const char *s, size_t n, int64_t *us, int *offset_min)
{
	static const int mdays[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};
	int year, mon, mday, hour, min, sec, oh, om, off, frac, ndig, maxd;
	int64_t t;
	size_t i;

	/* "YYYY-MM-DDTHH:MM:SS" is 19 bytes, plus at least "Z". */
	if (s == NULL || n < 20)
		return CAIRN_EINVAL;
	if (digits(s, 4, &year) != 0 || s[4] != '-' ||
	    digits(s + 5, 2, &mon) != 0 || s[7] != '-' ||
	    digits(s + 8, 2, &mday) != 0 ||
	    (s[10] != 'T' && s[10] != 't') ||
	    digits(s + 11, 2, &hour) != 0 || s[13] != ':' ||
	    digits(s + 14, 2, &min) != 0 || s[16] != ':' ||
	    digits(s + 17, 2, &sec) != 0)
		return CAIRN_EINVAL;
	/* Section 5.7: month, day of month, hour and minute ranges. */
	if (mon < 1 || mon > 12 || mday < 1)
		return CAIRN_EINVAL;
	maxd = mdays[mon - 1] + (mon == 2 && is_leap(year));
	if (mday > maxd || hour > 23 || min > 59)
		return CAIRN_EINVAL;
	/* A leap second (":60") is refused: see rfc3339.h. */
	if (sec > 59)
		return CAIRN_EINVAL;

	i = 19;
	frac = 0;
	if (s[i] == '.') {
		i++;
		/* time-secfrac = "." 1*DIGIT; keep 6, allow 3 more zeros. */
		for (ndig = 0; i < n && s[i] >= '0' && s[i] <= '9'; i++, ndig++) {
			if (ndig >= 9)
				return CAIRN_EINVAL;
			if (ndig < 6)
				frac = frac * 10 + (s[i] - '0');
			else if (s[i] != '0')
				return CAIRN_EINVAL;
		}
		if (ndig == 0)
			return CAIRN_EINVAL;
		for (; ndig < 6; ndig++)
			frac *= 10;
	}

	/* time-offset = "Z" / time-numoffset; nothing may follow it. */
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		off = 0;
		i++;
	} else if (i + 6 <= n && (s[i] == '+' || s[i] == '-')) {
		if (digits(s + i + 1, 2, &oh) != 0 || s[i + 3] != ':' ||
		    digits(s + i + 4, 2, &om) != 0 || oh > 23 || om > 59)
			return CAIRN_EINVAL;
		off = oh * 60 + om;
		if (s[i] == '-')
			off = off == 0 ? CAIRN_RFC3339_UNKNOWN_OFFSET : -off;
		i += 6;
	} else
		return CAIRN_EINVAL;
	if (i != n)
		return CAIRN_EINVAL;

	t = days_from_civil(year, mon, mday) * US_PER_DAY +
	    ((int64_t)hour * 3600 + min * 60 + sec) * US_PER_SEC + frac;
	if (off != CAIRN_RFC3339_UNKNOWN_OFFSET)
		t -= (int64_t)off * 60 * US_PER_SEC;
	/* Keep the UTC instant printable as a 4-digit year. */
	if (t < days_from_civil(0, 1, 1) * US_PER_DAY ||
	    t >= days_from_civil(10000, 1, 1) * US_PER_DAY)
		return CAIRN_EINVAL;
	if (us != NULL)
		*us = t;
	if (offset_min != NULL)
		*offset_min = off;
	return 0;
}

/* Writes v as exactly w decimal digits at out. */
static void
put_digits(char *out, int64_t v, int w)
{
	while (w-- > 0) {
		out[w] = (char)('0' + v % 10);
		v /= 10;
	}
}

void
cairn_rfc3339_format(int64_t us, char *out)
{
	int64_t days, rem, y;
	int m, d;

	/* Floor division, so that instants before 1970 format correctly. */
	days = us / US_PER_DAY;
	rem = us % US_PER_DAY;
	if (rem < 0) {
		rem += US_PER_DAY;
		days--;
	}
	civil_from_days(days, &y, &m, &d);
	if (y < 0)
		y = 0;
	else if (y > 9999)
		y = 9999;
	put_digits(out, y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = 'T';
	put_digits(out + 11, rem / (3600 * US_PER_SEC), 2);
	out[13] = ':';
	put_digits(out + 14, rem / (60 * US_PER_SEC) % 60, 2);
	out[16] = ':';
	put_digits(out + 17, rem / US_PER_SEC % 60, 2);
	out[19] = '.';
	put_digits(out + 20, rem % US_PER_SEC, 6);
	out[26] = 'Z';
	out[27] = '\0';
}

void
cairn_rfc3339_offset(int offset_min, char out[7])
{
	int a;

	if (offset_min == CAIRN_RFC3339_UNKNOWN_OFFSET) {
		out[0] = '-';
		a = 0;
	} else {
		out[0] = offset_min < 0 ? '-' : '+';
		a = offset_min < 0 ? -offset_min : offset_min;
	}
	/* Clamp: RFC 3339 section 5.6 allows at most 23:59. */
	if (a > 23 * 60 + 59)
		a = 23 * 60 + 59;
	put_digits(out + 1, a / 60, 2);
	out[3] = ':';
	put_digits(out + 4, a % 60, 2);
	out[6] = '\0';
}
