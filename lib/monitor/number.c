/* number.c - the reading of numbers in data: whether a field is an
 * integer, another finite number or text, and its value, rounded exactly
 * as strtod(3) rounds it. Profiling calls this for every field, so the
 * common case (at most 19 significant digits and a small exponent) is
 * done by hand with Clinger's fast path; anything else goes to strtod.
 * Plain decimals of up to 19 digits, most fields of most data, take a
 * shorter path still, and those of up to 8 bytes in memory that may be
 * read past their end are read 8 bytes at once. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "monitor/monitor.h"

/* Powers of ten that are exact doubles (10^22 < 2^53 * 2^22). */
static const double p10[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

/* strtod over exactly len bytes, which the syntax check has found to be
 * a decimal number: 0 with *v set, or -1 when it is out of range. */
static int slow(const char *s, size_t len, double *v)
{
	char small[64], *copy = len < sizeof(small) ? small : xmalloc(len + 1);
	char *end;

	memcpy(copy, s, len);
	copy[len] = '\0';
	errno = 0;
	*v = strtod(copy, &end);
	if (copy != small)
		free(copy);
	return isfinite(*v) ? 0 : -1;
}

/* The common case: an optional '-' and 1 to 19 digits with at most one
 * '.' among them, so that the mantissa holds every digit exactly.
 * MONITOR_NUMBER_TEXT means only that this path does not decide. */
static int plain(const char *s, size_t len, double *v)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	const unsigned char *dot = NULL;
	uint64_t m = 0;
	int neg = len > 0 && *p == '-';

	p += neg;
	if ((size_t)(e - p) - 1 >= 19)
		return MONITOR_NUMBER_TEXT;
	for (; p < e; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (d < 10u)
			m = m * 10 + d;
		else if (*p == '.' && !dot)
			dot = p;
		else
			return MONITOR_NUMBER_TEXT;
	}
	if (!dot) {
		*v = neg ? -(double)m : (double)m;
		return MONITOR_NUMBER_INTEGRAL;
	}
	/* At most 18 digits after the point: 10^18 is exact. */
	if (len - (size_t)neg == 1 || m > (1ull << 53))
		return MONITOR_NUMBER_TEXT;
	*v = (double)m / p10[e - dot - 1];
	*v = neg ? -*v : *v;
	return MONITOR_NUMBER_FRACTIONAL;
}

/* The value of the k digits (1 to 8, each 0 to 9) in the bytes of t,
 * the first digit in the lowest byte: three multiplications instead of
 * a loop whose length varies with each field (as simdjson and
 * fast_float parse eight digits). */
static inline uint64_t eight_digits(uint64_t t, size_t k)
{
	const uint64_t mask = 0x000000ff000000ffull;
	const uint64_t mul1 = 100 + (1000000ull << 32);
	const uint64_t mul2 = 1 + (10000ull << 32);

	t <<= 8 * (8 - k); /* the missing digits lead, as zeros */
	t = t * 10 + (t >> 8);
	return (((t & mask) * mul1) + (((t >> 16) & mask) * mul2)) >> 32;
}

/* plain for an optional '-' and up to 8 digits with at most one '.',
 * read as one word: s has 8 bytes readable past len. Anything else
 * goes to plain (MONITOR_NUMBER_TEXT means only that this path does not
 * decide). */
static int plain8(const char *s, size_t len, double *v)
{
	const uint64_t high = 0x8080808080808080ull;
	uint64_t w, t, mask, other, low;
	size_t neg = len > 0 && s[0] == '-', n = len - neg, dot;

	if (n - 1 >= 8)
		return MONITOR_NUMBER_TEXT;
	memcpy(&w, s + neg, sizeof(w));
	mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1;
	t = (w ^ 0x3030303030303030ull) & mask; /* digits become 0 to 9 */
	/* Bytes above 9 (the top bit of each, no carry between bytes). */
	other = (((t & ~high) + 0x7676767676767676ull) | t) & high & mask;
	if (other == 0) {
		uint64_t m = eight_digits(t, n);

		*v = neg ? -(double)m : (double)m;
		return MONITOR_NUMBER_INTEGRAL;
	}
	dot = (size_t)__builtin_ctzll(other) >> 3;
	if ((other & (other - 1)) != 0 || s[neg + dot] != '.' || n == 1)
		return MONITOR_NUMBER_TEXT;
	/* The digits after the point move down over it. */
	low = (1ull << (8 * dot)) - 1;
	t = (t & low) | ((t >> 8) & ~low);
	*v = (double)eight_digits(t, n - 1) / p10[n - 1 - dot];
	*v = neg ? -*v : *v;
	return MONITOR_NUMBER_FRACTIONAL;
}

/* Any other number: signs, exponents, long mantissas. */
static __attribute__((noinline)) int general(const char *s, size_t len,
					     double *v)
{
	const unsigned char *p = (const unsigned char *)s, *e = p + len;
	uint64_t m = 0;
	int neg = 0, nsig = 0, ndig = 0, dexp = 0, frac = 0, exp = 0;
	int truncated = 0, kind = MONITOR_NUMBER_INTEGRAL;

	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	for (; p < e && (unsigned)(*p - '0') < 10u; p++, ndig++) {
		if (nsig < 19) {
			m = m * 10 + (*p - '0');
			nsig += m != 0;
		} else {
			truncated = 1;
		}
	}
	if (p < e && *p == '.') {
		kind = MONITOR_NUMBER_FRACTIONAL;
		for (p++; p < e && (unsigned)(*p - '0') < 10u; p++, ndig++) {
			if (nsig < 19) {
				m = m * 10 + (*p - '0');
				nsig += m != 0;
				frac++;
			} else {
				truncated = 1;
			}
		}
	}
	if (ndig == 0)
		return MONITOR_NUMBER_TEXT;
	if (p < e && (*p == 'e' || *p == 'E')) {
		int eneg = 0, edig = 0;

		kind = MONITOR_NUMBER_FRACTIONAL;
		p++;
		if (p < e && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		for (; p < e && (unsigned)(*p - '0') < 10u; p++, edig++)
			if (exp < 100000)
				exp = exp * 10 + (*p - '0');
		if (edig == 0)
			return MONITOR_NUMBER_TEXT;
		if (eneg)
			exp = -exp;
	}
	if (p != e)
		return MONITOR_NUMBER_TEXT;
	dexp = exp - frac;
	/* Clinger: m and 10^|dexp| are exact doubles, so one product or
	 * quotient is rounded once, correctly. An integer of up to 19
	 * digits is converted by the correctly rounded integer conversion. */
	if (!truncated && dexp == 0) {
		*v = (double)m;
	} else if (!truncated && m <= (1ull << 53) && dexp > 0 && dexp <= 22) {
		*v = (double)m * p10[dexp];
	} else if (!truncated && m <= (1ull << 53) && dexp < 0 &&
		   dexp >= -22) {
		*v = (double)m / p10[-dexp];
	} else if (!truncated && m == 0) {
		*v = 0;
	} else {
		if (slow(s, len, v) < 0)
			return MONITOR_NUMBER_TEXT;
		return kind;
	}
	if (neg)
		*v = -*v;
	return kind;
}

int monitor_number_parse(const char *s, size_t len, double *v)
{
	int kind = plain(s, len, v);

	return kind != MONITOR_NUMBER_TEXT ? kind : general(s, len, v);
}

int monitor_number_parse_padded(const char *s, size_t len, double *v)
{
	int kind = plain8(s, len, v);

	return kind != MONITOR_NUMBER_TEXT ? kind : monitor_number_parse(s, len,
									  v);
}
