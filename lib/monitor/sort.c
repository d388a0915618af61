/* sort.c - sorting doubles, the inner loop of the KLL sketch (its level 0
 * is sorted at every compaction) and of the KS test (two samples of up
 * to millions of values per feature). Small arrays go to a quicksort
 * with the comparison inlined; larger ones to a least-significant-digit
 * radix sort on the bits of the doubles, bytes at a time, which skips
 * each byte position where every value has the same byte (integers and
 * values of a narrow range share most high bytes). Values compare as <
 * does, except that -0.0 comes just before 0.0; NaN is not expected. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "monitor/monitor.h"

/* Below this many values the quicksort wins. KLL sorts level 0 at
 * about 200 values a time, where the radix sort is already some 30%
 * faster (a branch-free merge sort was slower than either). */
#define RADIX_MIN 64

static void quicksort(double *a, size_t n)
{
	while (n > 16) {
		double p = a[n / 2], t;
		size_t i = 0, j = n - 1;

		if (a[0] > p && a[n - 1] > p)
			p = a[0] < a[n - 1] ? a[0] : a[n - 1];
		else if (a[0] < p && a[n - 1] < p)
			p = a[0] > a[n - 1] ? a[0] : a[n - 1];
		for (;;) {
			while (a[i] < p)
				i++;
			while (a[j] > p)
				j--;
			if (i >= j)
				break;
			t = a[i];
			a[i] = a[j];
			a[j] = t;
			i++;
			j--;
		}
		/* Recurse into the smaller part, loop on the larger. */
		if (j + 1 < n - j - 1) {
			quicksort(a, j + 1);
			a += j + 1;
			n -= j + 1;
		} else {
			quicksort(a + j + 1, n - j - 1);
			n = j + 1;
		}
	}
	for (size_t i = 1; i < n; i++) {
		double v = a[i];
		size_t j = i;

		while (j > 0 && a[j - 1] > v) {
			a[j] = a[j - 1];
			j--;
		}
		a[j] = v;
	}
}

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

void monitor_sort_doubles(double *a, size_t n)
{
	/* Digits of 8 bits for small arrays, where the counting of 2^11
	 * buckets would dominate; of 11 bits (six passes, not eight) for
	 * large ones. */
	unsigned w = n >= 65536 ? 11 : 8, nd = (64 + w - 1) / w;
	size_t nb = (size_t)1 << w, mask = nb - 1;
	uint32_t *count, small[8 * 256];
	uint64_t *k, *tmp, *src, *dst, differ = 0;
	unsigned pass[8], npass = 0;

	if (n < RADIX_MIN) {
		quicksort(a, n);
		return;
	}
	if (n > UINT32_MAX) {
		qsort(a, n, sizeof(*a), monitor_sort_cmp_double);
		return;
	}
	k = xmalloc(2 * n * sizeof(*k));
	tmp = k + n;
	for (size_t i = 0; i < n; i++) {
		k[i] = key_of(a[i]);
		differ |= k[i] ^ k[0];
	}
	/* A digit that every value shares needs neither counting nor a
	 * pass: integers of a small range differ in two bytes of eight. */
	for (unsigned d = 0; d < nd; d++)
		if ((differ >> (w * d)) & mask)
			pass[npass++] = d;
	/* KLL sorts a few hundred values at a time: no allocation then. */
	count = w == 8 ? small : xmalloc(nd * nb * sizeof(*count));
	for (unsigned p = 0; p < npass; p++)
		memset(count + pass[p] * nb, 0, nb * sizeof(*count));
	for (size_t i = 0; i < n; i++)
		for (unsigned p = 0; p < npass; p++)
			count[pass[p] * nb + ((k[i] >> (w * pass[p])) & mask)]++;
	src = k;
	dst = tmp;
	for (unsigned p = 0; p < npass; p++) {
		unsigned d = pass[p];
		uint32_t *c = count + d * nb, sum = 0;
		uint64_t *t;

		for (size_t b = 0; b < nb; b++) {
			uint32_t x = c[b];

			c[b] = sum;
			sum += x;
		}
		for (size_t i = 0; i < n; i++)
			dst[c[(src[i] >> (w * d)) & mask]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	for (size_t i = 0; i < n; i++)
		a[i] = value_of(src[i]);
	free(k);
	if (count != small)
		free(count);
}

int monitor_sort_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}
