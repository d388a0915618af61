/* ks.c - the two-sample Kolmogorov-Smirnov test, two-sided, computed as
 * scipy.stats.ks_2samp(method='auto') computes it, so that the two agree
 * on the same samples: the exact distribution when neither sample has
 * more than 10,000 values (Hodges' lattice-path counts, with Viehmann's
 * recursion for unequal sizes), else the one-sample distribution of the
 * statistic for n = round(n1 n2 / (n1 + n2)) (Simard and L'Ecuyer's
 * choice of method: Ruben-Gambino at the ends, Durbin's matrix
 * (Marsaglia, Tsang, Wang 2003) for small n x^2, Smirnov's one-sided sum
 * doubled for large n x^2, the Pelz-Good expansion between).
 * Where scipy uses Pomeranz's recursion (n <= 140, 0.75 < n x^2 <= 4)
 * we use Durbin's matrix, which is exact too. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "monitor/monitor.h"

/* The most values per sample for which the exact distribution is used,
 * scipy's MAX_AUTO_N. */
#define KS_EXACT_MAX 10000

static int64_t gcd64(int64_t a, int64_t b)
{
	while (b) {
		int64_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* P(D >= h/n) for two samples of n values each. */
static double prob_outside_square(int64_t n, int64_t h)
{
	double p = 0;

	/* 2 sum_k (-1)^(k-1) C(2n, n-kh) / C(2n, n), in Horner form so
	 * that no large binomial is formed. */
	for (int64_t k = n / h; k >= 0; k--) {
		double p1 = 1;

		for (int64_t j = 0; j < h; j++)
			p1 = (double)(n - k * h - j) * p1 /
			     (double)(n + k * h + j + 1);
		p = p1 * (1 - p);
	}
	return 2 * p;
}

/* The share of lattice paths from (0,0) to (m,n) that leave the band
 * |x/m - y/n| < h/lcm(m,n): Viehmann's recursion for 1 - p, one column
 * of the lattice at a time. */
static double prob_outside_band(int64_t m, int64_t n, int64_t g, int64_t h)
{
	int64_t mg, ng, minj, maxj, curlen, lena;
	double *a, r;

	if (m < n) {
		int64_t t = m;

		m = n;
		n = t;
	}
	mg = m / g;
	ng = n / g;
	minj = 0;
	maxj = (h + mg - 1) / mg < n + 1 ? (h + mg - 1) / mg : n + 1;
	curlen = maxj - minj;
	lena = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
	a = xmalloc((size_t)(lena > 1 ? lena : 1) * sizeof(*a));
	for (int64_t j = 0; j < lena; j++)
		a[j] = j < maxj ? 0 : 1;
	for (int64_t i = 1; i <= m; i++) {
		int64_t lastminj = minj, lastlen = curlen;
		double val;

		minj = floor_div(ng * i - h, mg) + 1;
		if (minj < 0)
			minj = 0;
		if (minj > n)
			minj = n;
		maxj = -floor_div(-(ng * i + h), mg);
		if (maxj > n + 1)
			maxj = n + 1;
		if (maxj <= minj) {
			free(a);
			return 1;
		}
		val = minj == 0 ? 0 : 1;
		for (int64_t jj = 0; jj < maxj - minj; jj++) {
			int64_t j = jj + minj;

			val = (a[jj + minj - lastminj] * (double)i +
			       val * (double)j) /
			      (double)(i + j);
			a[jj] = val;
		}
		curlen = maxj - minj;
		for (int64_t j = curlen;
		     j < curlen + (lastlen - curlen) && j < lena; j++)
			a[j] = 1;
	}
	r = a[maxj - minj - 1];
	free(a);
	return r;
}

/* Smirnov's one-sided P(D+ >= x) for n values, by Birnbaum and Tingey's
 * sum, each term formed in logarithms (no cancellation: all terms are
 * positive). */
static double smirnov_sf(int64_t n, double x)
{
	int64_t last = (int64_t)floor((double)n * (1 - x));
	double lnf = lgamma((double)n + 1), p = 0;

	if (x <= 0)
		return 1;
	if (x >= 1)
		return 0;
	for (int64_t v = 0; v <= last; v++) {
		double e = x + (double)v / (double)n, t;

		if (1 - e <= 0)
			continue;
		t = lnf - lgamma((double)v + 1) - lgamma((double)(n - v) + 1) +
		    (double)(v - 1) * log(e) + (double)(n - v) * log1p(-e);
		p += exp(t);
	}
	return p * x;
}

/* out = a b for m x m matrices. */
static void mat_mul(double *out, const double *a, const double *b, int64_t m)
{
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < m; j++) {
			double acc = 0;

			for (int64_t l = 0; l < m; l++)
				acc += a[i * m + l] * b[l * m + j];
			out[i * m + j] = acc;
		}
}

/* Keep a power of the matrix in range: divide it by 1e140 when its
 * central element passes that; returns the power of 10 taken out. */
static long rescale(double *a, int64_t m, int64_t k)
{
	if (a[(k - 1) * m + k - 1] <= 1e140)
		return 0;
	for (int64_t i = 0; i < m * m; i++)
		a[i] *= 1e-140;
	return 140;
}

/* Durbin's matrix: P(D_n < d), exactly (Marsaglia, Tsang, Wang). */
static double durbin_cdf(int64_t n, double d)
{
	int64_t k = (int64_t)floor((double)n * d) + 1, m = 2 * k - 1;
	double h = (double)k - (double)n * d, s;
	double *hm = xcalloc((size_t)(m * m), sizeof(*hm));
	double *q = xcalloc((size_t)(m * m), sizeof(*q));
	double *t = xcalloc((size_t)(m * m), sizeof(*t));
	double *base = xcalloc((size_t)(m * m), sizeof(*base));
	long eq = 0, eb = 0;
	int64_t e;

	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < m; j++)
			hm[i * m + j] = i - j + 1 >= 0 ? 1 : 0;
	for (int64_t i = 0; i < m; i++) {
		hm[i * m] -= pow(h, (double)(i + 1));
		hm[(m - 1) * m + i] -= pow(h, (double)(m - i));
	}
	if (2 * h - 1 > 0)
		hm[(m - 1) * m] += pow(2 * h - 1, (double)m);
	for (int64_t i = 0; i < m; i++)
		for (int64_t j = 0; j < m; j++)
			for (int64_t g = 1; g <= i - j + 1; g++)
				hm[i * m + j] /= (double)g;
	/* q = hm^n by squaring, keeping powers of 10 aside. */
	for (int64_t i = 0; i < m; i++)
		q[i * m + i] = 1;
	memcpy(base, hm, (size_t)(m * m) * sizeof(*base));
	for (e = n; e > 0; e >>= 1) {
		if (e & 1) {
			mat_mul(t, q, base, m);
			memcpy(q, t, (size_t)(m * m) * sizeof(*q));
			eq += eb + rescale(q, m, k);
		}
		if (e > 1) {
			mat_mul(t, base, base, m);
			memcpy(base, t, (size_t)(m * m) * sizeof(*base));
			eb = 2 * eb + rescale(base, m, k);
		}
	}
	s = q[(k - 1) * m + k - 1];
	for (int64_t i = 1; i <= n; i++) {
		s = s * (double)i / (double)n;
		if (s < 1e-140) {
			s *= 1e140;
			eq -= 140;
		}
	}
	free(hm);
	free(q);
	free(t);
	free(base);
	return s * pow(10.0, (double)eq);
}

/* The Pelz-Good asymptotic expansion of P(D_n <= x). */
static double pelz_good_cdf(int64_t n, double x)
{
	const double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
	const double sqrt2pi = sqrt(2 * M_PI);
	double z = sqrt((double)n) * x, z2 = z * z, z4 = z2 * z2;
	double z6 = z4 * z2, qlog = -pi2 / 8 / z2, q, k0 = 0, k1 = 0, k2 = 0;
	double k3 = 0, k2x = 0, k3x = 0;
	double k1a = -z2, k1b = pi2 / 4;
	double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4;
	double k2c = pi4 * (1 - 2 * z2) / 16;
	double k3d = pi6 * (5 - 30 * z2) / 64;
	double k3c = pi4 * (-60 * z2 + 212 * z4) / 16;
	double k3b = pi2 * (135 * z4 - 96 * z6) / 4;
	double k3a = -30 * z6 - 90 * z4 * z4;
	int maxk = (int)ceil(16 * z / M_PI);

	if (qlog < log(2.2250738585072014e-308))
		return 0;
	q = exp(qlog);
	for (int k = maxk; k > 0; k--) {
		double mm = 2 * k - 1, m2 = mm * mm, m4 = m2 * m2;
		double qp = pow(q, 8.0 * k);

		k0 = k0 * qp + 1;
		k1 = k1 * qp + k1a + k1b * m2;
		k2 = k2 * qp + k2a + k2b * m2 + k2c * m4;
		k3 = k3 * qp + k3a + k3b * m2 + k3c * m4 + k3d * m4 * m2;
	}
	k0 *= q * sqrt2pi / z;
	k1 *= q * sqrt2pi / (6 * z4);
	k2 *= q * sqrt2pi / (72 * z6 * z);
	k3 *= q * sqrt2pi / (6480 * z4 * z6);
	q = exp(-pi2 / 2 / z2);
	for (int k = maxk; k > 0; k--) {
		double ks2 = (double)k * k, qk = pow(q, ks2);
		double s3z = sqrt(3.0) * z, kpi = M_PI * k;

		k2x += ks2 * qk;
		k3x += (s3z + kpi) * (s3z - kpi) * ks2 * qk;
	}
	k2 += k2x * pi2 * sqrt2pi / (-36 * z2 * z);
	k3 += k3x * pi2 * sqrt2pi / (216 * z6);
	return k0 + k1 / sqrt((double)n) + k2 / (double)n +
	       k3 / ((double)n * sqrt((double)n));
}

static double clip01(double p)
{
	return p < 0 ? 0 : p > 1 ? 1 : p;
}

/* P(D_n >= x) for the one-sample two-sided statistic (scipy's
 * kstwo.sf). */
static double kolmogorov_sf(int64_t n, double x)
{
	double t = (double)n * x, nx2;

	if (x >= 1)
		return 0;
	if (x <= 0)
		return 1;
	if (t <= 1) {
		if (t <= 0.5)
			return 1;
		return clip01(1 - exp(lgamma((double)n + 1) -
				      (double)n * log((double)n) +
				      (double)n * log(2 * t - 1)));
	}
	if (t >= (double)n - 1)
		return clip01(2 * pow(1 - x, (double)n));
	if (x >= 0.5)
		return clip01(2 * smirnov_sf(n, x));
	nx2 = t * x;
	if (n <= 140) {
		if (nx2 <= 4)
			return clip01(1 - durbin_cdf(n, x));
		return clip01(2 * smirnov_sf(n, x));
	}
	if (nx2 >= 370)
		return 0;
	if (nx2 >= 2.2)
		return clip01(2 * smirnov_sf(n, x));
	if (n <= 100000 && (double)n * pow(x, 1.5) <= 1.4)
		return clip01(1 - clip01(durbin_cdf(n, x)));
	return clip01(1 - clip01(pelz_good_cdf(n, x)));
}

double monitor_ks_2samp(double *a, size_t n1, double *b, size_t n2,
			double *pvalue)
{
	double d = 0;
	size_t i = 0, j = 0;
	int64_t g;

	if (n1 == 0 || n2 == 0) {
		*pvalue = NAN;
		return NAN;
	}
	monitor_sort_doubles(a, n1);
	monitor_sort_doubles(b, n2);
	/* The largest |F1 - F2| just after each value of either sample,
	 * which is what searchsorted(side='right') evaluates. */
	while (i < n1 || j < n2) {
		double v = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];
		double diff;

		while (i < n1 && a[i] == v)
			i++;
		while (j < n2 && b[j] == v)
			j++;
		diff = fabs((double)i / (double)n1 - (double)j / (double)n2);
		if (diff > d)
			d = diff;
	}
	g = gcd64((int64_t)n1, (int64_t)n2);
	if (n1 <= KS_EXACT_MAX && n2 <= KS_EXACT_MAX) {
		int64_t lcm = ((int64_t)n1 / g) * (int64_t)n2;
		int64_t h = (int64_t)nearbyint(d * (double)lcm);
		double p;

		d = (double)h / (double)lcm;
		if (h == 0) {
			*pvalue = 1;
			return d;
		}
		p = n1 == n2
			? prob_outside_square((int64_t)n1, h)
			: prob_outside_band((int64_t)n1, (int64_t)n2, g, h);
		if (isfinite(p) && p >= 0 && p <= 1) {
			*pvalue = p;
			return d;
		}
	}
	*pvalue = kolmogorov_sf((int64_t)nearbyint((double)n1 * (double)n2 /
						   ((double)n1 + (double)n2)),
				d);
	return d;
}
