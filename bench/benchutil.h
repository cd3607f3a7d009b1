/*
 * benchutil.h: the small helpers the benchmarks share (monotonic seconds,
 * numbers with thousands separators, medians, option numbers).  Included
 * by one source file each; everything is static.
 */
#ifndef CAIRN_BENCHUTIL_H
#define CAIRN_BENCHUTIL_H

#include <err.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* Monotonic seconds. */
static inline double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A number with thousands separators, in one of 8 rotating buffers. */
static inline const char *
commas(double d)
{
	static char bufs[8][32];
	static int next;
	char tmp[32], *out;
	unsigned long long v;
	size_t n, i, j;

	v = d < 0 ? 0 : (unsigned long long)(d + 0.5);
	out = bufs[next++ & 7];
	n = (size_t)snprintf(tmp, sizeof tmp, "%llu", v);
	for (i = 0, j = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[j++] = ',';
		out[j++] = tmp[i];
	}
	out[j] = '\0';
	return out;
}

/* Median of n values (sorts them); -1 for none. */
static inline double
median(double *v, int n)
{
	double t;
	int i, j;

	if (n <= 0)
		return -1;
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && v[j - 1] > v[j]; j--) {
			t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A decimal option value in [min, max], or exit 2 saying so. */
static inline uint64_t
number(const char *s, uint64_t min, uint64_t max)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < min ||
	    v > max)
		errx(2, "bad number: %s (%llu..%llu)", s, (unsigned long long)min,
		    (unsigned long long)max);
	return v;
}

#endif
