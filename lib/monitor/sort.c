/* sort.c - sorting doubles, the inner loop of the KLL sketch (its level 0
 * is sorted at every compaction) and of the KS test (two samples of up
 * to millions of values per feature). A most-significant-digit radix
 * sort on the bits of the doubles: one pass on the highest bits in
 * which the values differ (integers and values of a narrow range share
 * most high bits) spreads them over about as many buckets as values,
 * which then need little more than an insertion sort; an LSD radix sort
 * needed a pass per byte. KLL's few hundred values at a time go into
 * buckets by value first (below). Values compare as < does, except that
 * -0.0 comes just before 0.0; NaN is not expected. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "monitor/monitor.h"

/* The bits of v as an unsigned key in the order of v. */
static inline uint64_t key_of(double v)
{
	uint64_t u;

	memcpy(&u, &v, sizeof(u));
	return u >> 63 ? ~u : u | (1ull << 63);
}

static inline double value_of(uint64_t k)
{
	uint64_t u = k >> 63 ? k & ~(1ull << 63) : ~k;
	double v;

	memcpy(&v, &u, sizeof(v));
	return v;
}

/* Up to this many keys go to an insertion sort. */
#define INSERTION_MAX 24

static void insertion_sort(uint64_t *k, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint64_t v = k[i];
		size_t j = i;

		while (j > 0 && k[j - 1] > v) {
			k[j] = k[j - 1];
			j--;
		}
		k[j] = v;
	}
}

/* Sort the n keys at k (tmp is room for n more): one counting pass on
 * the highest bits in which they differ, at most 16 of them, about one
 * bucket per key, then each bucket likewise, down to buckets small
 * enough for an insertion sort. A bucket's keys share every bit the
 * pass looked at, so each level goes at least 8 bits (or to the last
 * bit) deeper: at most 8 levels. */
static void sort_keys(uint64_t *k, uint64_t *tmp, size_t n)
{
	uint64_t differ = 0;
	uint32_t small[256 + 1], *start, biggest = 0;
	unsigned top, bits = 8, shift;
	size_t nb, mask;

	if (n <= INSERTION_MAX) {
		insertion_sort(k, n);
		return;
	}
	for (size_t i = 1; i < n; i++)
		differ |= k[i] ^ k[0];
	if (differ == 0)
		return;
	top = 64 - (unsigned)__builtin_clzll(differ);
	while (bits < 16 && ((size_t)1 << bits) < n)
		bits++;
	if (bits > top)
		bits = top;
	shift = top - bits;
	nb = (size_t)1 << bits;
	mask = nb - 1;
	start = nb <= 256 ? small : xmalloc((nb + 1) * sizeof(*start));
	memset(start, 0, (nb + 1) * sizeof(*start));
	for (size_t i = 0; i < n; i++)
		start[((k[i] >> shift) & mask) + 1]++;
	for (size_t b = 0; b < nb; b++) {
		biggest = start[b + 1] > biggest ? start[b + 1] : biggest;
		start[b + 1] += start[b];
	}
	/* start[b] is bucket b's first slot; it is moved on while keys
	 * are placed, ending as bucket b + 1's first. */
	for (size_t i = 0; i < n; i++)
		tmp[start[(k[i] >> shift) & mask]++] = k[i];
	memcpy(k, tmp, n * sizeof(*k));
	/* Buckets in order, each small: one insertion sort of the whole
	 * moves keys within their buckets only. */
	if (biggest <= INSERTION_MAX)
		insertion_sort(k, n);
	for (size_t b = 0, from = 0; b < nb && biggest > INSERTION_MAX; b++) {
		size_t to = start[b];

		if (to - from > 1)
			sort_keys(k + from, tmp + from, to - from);
		from = to;
	}
	if (start != small)
		free(start);
}

/* Up to this many values are bucketed by value (sort_by_value); the
 * many buckets of a longer array cost more in cache misses than the
 * radix sort (KS sorts columns of millions). */
#define BY_VALUE_MAX (1 << 13)

/* The lowest and highest of the n values at a, in four lanes so that
 * the compares do not wait on each other. */
static void extremes(const double *a, size_t n, double *lo, double *hi)
{
	double l4[4] = {a[0], a[0], a[0], a[0]};
	double h4[4] = {a[0], a[0], a[0], a[0]};
	size_t i;

	for (i = 0; i + 4 <= n; i += 4)
		for (int l = 0; l < 4; l++) {
			l4[l] = a[i + l] < l4[l] ? a[i + l] : l4[l];
			h4[l] = a[i + l] > h4[l] ? a[i + l] : h4[l];
		}
	for (; i < n; i++) {
		l4[0] = a[i] < l4[0] ? a[i] : l4[0];
		h4[0] = a[i] > h4[0] ? a[i] : h4[0];
	}
	*lo = l4[0];
	*hi = h4[0];
	for (int l = 1; l < 4; l++) {
		*lo = l4[l] < *lo ? l4[l] : *lo;
		*hi = h4[l] > *hi ? h4[l] : *hi;
	}
}

/* Sort the n values at a (INSERTION_MAX < n <= BY_VALUE_MAX) as keys
 * through k (room for 2 n keys): 2 n buckets over equal spans of the
 * values' range, each value's bucket found by (v - lo) * scale, which
 * never decreases as v grows, so the buckets are in order. With the
 * values spread over their range, as a column's usually are, buckets
 * hold one or two keys and one insertion sort of the whole finishes;
 * crowded buckets (skewed values, few distinct ones) get the radix
 * sort. Does nothing and returns -1 when the range or the scale is
 * not finite or the values are all equal. About half the time of the radix sort alone on the baseline's
 * columns, whose high bits (the exponents) differ little. */
static int sort_by_value(double *a, uint64_t *k, size_t n)
{
	uint32_t start[2 * BY_VALUE_MAX + 1], *idx = (uint32_t *)(k + n);
	size_t nb = 2 * n, crowded = 0;
	double lo, hi, scale;

	extremes(a, n, &lo, &hi);
	scale = (double)nb / (hi - lo);
	if (!(hi > lo) || !isfinite(hi - lo) || !isfinite(scale))
		return -1;
	memset(start, 0, (nb + 1) * sizeof(*start));
	for (size_t i = 0; i < n; i++) {
		size_t b = (size_t)((a[i] - lo) * scale);

		b = b < nb - 1 ? b : nb - 1;
		idx[i] = (uint32_t)b;
		crowded |= ++start[b + 1] > INSERTION_MAX;
	}
	for (size_t b = 0; b < nb; b++)
		start[b + 1] += start[b];
	for (size_t i = 0; i < n; i++)
		k[start[idx[i]]++] = key_of(a[i]);
	/* start[b] is now bucket b + 1's first slot; idx is spent and
	 * becomes the radix sort's room. */
	for (size_t b = 0, from = 0; b < nb && crowded; b++) {
		if (start[b] - from > INSERTION_MAX)
			sort_keys(k + from, k + n, start[b] - from);
		from = start[b];
	}
	insertion_sort(k, n);
	return 0;
}

void monitor_sort_doubles(double *a, size_t n)
{
	uint64_t *k, keys[INSERTION_MAX];

	if (n > UINT32_MAX) {
		qsort(a, n, sizeof(*a), monitor_sort_cmp_double);
		return;
	}
	/* KLL sorts a few hundred values at a time. */
	k = n <= INSERTION_MAX ? keys : xmalloc(2 * n * sizeof(*k));
	if (n <= INSERTION_MAX || n > BY_VALUE_MAX ||
	    sort_by_value(a, k, n) < 0) {
		for (size_t i = 0; i < n; i++)
			k[i] = key_of(a[i]);
		sort_keys(k, k + n, n);
	}
	for (size_t i = 0; i < n; i++)
		a[i] = value_of(k[i]);
	if (k != keys)
		free(k);
}

int monitor_sort_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}
