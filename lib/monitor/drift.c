/* drift.c - per-feature distances between a reference sample and a
 * current one, from the values themselves (monitor_profile_read with
 * keep_values): Kolmogorov-Smirnov (ks.c), the population stability
 * index, the Jensen-Shannon distance, Pearson's chi-square on categories
 * and the Wasserstein distance. */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "monitor/monitor.h"

#define PSI_BINS 10
/* PSI takes the logarithm of each share: an empty bin counts as this
 * share, as is usual, rather than as an infinite index. */
#define PSI_FLOOR 1e-4

/* The shares of ref and cur in PSI_BINS bins bounded by ref's deciles
 * (bin i holds values above edge i-1 and up to edge i). Sorts both. */
static void decile_shares(double *ref, size_t nr, double *cur, size_t nc,
			  double *pr, double *pc)
{
	double edges[PSI_BINS - 1];
	size_t i = 0, j = 0;

	monitor_sort_doubles(ref, nr);
	monitor_sort_doubles(cur, nc);
	for (int b = 1; b < PSI_BINS; b++)
		edges[b - 1] = ref[(size_t)b * nr / PSI_BINS];
	for (int b = 0; b < PSI_BINS; b++) {
		size_t i0 = i, j0 = j;

		while (i < nr && (b == PSI_BINS - 1 || ref[i] <= edges[b]))
			i++;
		while (j < nc && (b == PSI_BINS - 1 || cur[j] <= edges[b]))
			j++;
		pr[b] = (double)(i - i0) / (double)nr;
		pc[b] = (double)(j - j0) / (double)nc;
	}
}

static double psi(const double *pr, const double *pc, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++) {
		double a = fmax(pc[i], PSI_FLOOR), e = fmax(pr[i], PSI_FLOOR);

		s += (a - e) * log(a / e);
	}
	return s;
}

/* sqrt of the Jensen-Shannon divergence in nats, as
 * scipy.spatial.distance.jensenshannon. */
static double js(const double *p, const double *q, size_t n)
{
	double s = 0;

	for (size_t i = 0; i < n; i++) {
		double m = (p[i] + q[i]) / 2;

		if (p[i] > 0)
			s += p[i] * log(p[i] / m);
		if (q[i] > 0)
			s += q[i] * log(q[i] / m);
	}
	return sqrt(fmax(0, s / 2));
}

/* The integral of |F1 - F2|, as scipy.stats.wasserstein_distance. Sorts
 * both. */
static double wasserstein(double *a, size_t n1, double *b, size_t n2)
{
	size_t i = 0, j = 0;
	double s = 0, prev = 0;
	int started = 0;

	monitor_sort_doubles(a, n1);
	monitor_sort_doubles(b, n2);
	while (i < n1 || j < n2) {
		double v = i < n1 && (j >= n2 || a[i] <= b[j]) ? a[i] : b[j];

		if (started)
			s += fabs((double)i / (double)n1 -
				  (double)j / (double)n2) *
			     (v - prev);
		while (i < n1 && a[i] == v)
			i++;
		while (j < n2 && b[j] == v)
			j++;
		prev = v;
		started = 1;
	}
	return s;
}

/* The regularised upper incomplete gamma function Q(a, x), by its series
 * below a + 1 and Lentz's continued fraction above. */
static double gamma_q(double a, double x)
{
	double lg = lgamma(a);

	if (x <= 0)
		return 1;
	if (x < a + 1) {
		double sum = 1 / a, term = sum;

		for (int n = 1; n < 100000; n++) {
			term *= x / (a + n);
			sum += term;
			if (fabs(term) < fabs(sum) * 1e-16)
				break;
		}
		return 1 - sum * exp(-x + a * log(x) - lg);
	} else {
		double b = x + 1 - a, c = 1 / 1e-300, d = 1 / b, h = d;

		for (int i = 1; i < 100000; i++) {
			double an = -i * (i - a), del;

			b += 2;
			d = an * d + b;
			if (fabs(d) < 1e-300)
				d = 1e-300;
			c = b + an / c;
			if (fabs(c) < 1e-300)
				c = 1e-300;
			d = 1 / d;
			del = d * c;
			h *= del;
			if (fabs(del - 1) < 1e-16)
				break;
		}
		return exp(-x + a * log(x) - lg) * h;
	}
}

/* The categories of two String columns: counts of each value of either,
 * from their exact tables. */
struct cats {
	size_t n;
	double *ref, *cur;
};

static void categories(struct cats *out, const struct monitor_profile_column *r,
		       const struct monitor_profile_column *c)
{
	size_t n = 0;

	out->ref = xcalloc(r->ndist + c->ndist + 1, sizeof(double));
	out->cur = xcalloc(r->ndist + c->ndist + 1, sizeof(double));
	for (size_t i = 0; i < r->dist_slots; i++)
		if (r->dist[i].value) {
			out->ref[n] = (double)r->dist[i].count;
			out->cur[n++] = (double)monitor_profile_column_count(
			    c, r->dist[i].value);
		}
	for (size_t i = 0; i < c->dist_slots; i++)
		if (c->dist[i].value &&
		    !monitor_profile_column_count(r, c->dist[i].value)) {
			out->ref[n] = 0;
			out->cur[n++] = (double)c->dist[i].count;
		}
	out->n = n;
}

/* Pearson's chi-square test of homogeneity of the 2 x k table, with
 * Yates' correction when k = 2, as scipy.stats.chi2_contingency. */
static double chi2_test(const struct cats *t, double *pvalue)
{
	double nr = 0, nc = 0, stat = 0;
	int dof = (int)t->n - 1;

	for (size_t i = 0; i < t->n; i++) {
		nr += t->ref[i];
		nc += t->cur[i];
	}
	for (size_t i = 0; i < t->n; i++) {
		double col = t->ref[i] + t->cur[i];
		double obs[2] = {t->ref[i], t->cur[i]};
		double rows[2] = {nr, nc};

		for (int r = 0; r < 2; r++) {
			double e = rows[r] * col / (nr + nc);
			double d = fabs(obs[r] - e);

			if (dof == 1)
				d -= fmin(0.5, d);
			stat += d * d / e;
		}
	}
	*pvalue = dof > 0 ? gamma_q(dof / 2.0, stat / 2) : 1;
	return stat;
}

static void shares(double *v, size_t n)
{
	double total = 0;

	for (size_t i = 0; i < n; i++)
		total += v[i];
	for (size_t i = 0; i < n; i++)
		v[i] = total > 0 ? v[i] / total : 0;
}

static const char *const method_names[] = {"ks", "psi", "js", "chi2",
					   "wasserstein"};

int monitor_drift_method_parse(const char *s, enum monitor_drift_method *out)
{
	for (size_t i = 0; i < sizeof(method_names) / sizeof(*method_names);
	     i++)
		if (strcmp(s, method_names[i]) == 0) {
			*out = (enum monitor_drift_method)i;
			return 0;
		}
	return -1;
}

const char *monitor_drift_method_name(enum monitor_drift_method m)
{
	return method_names[m];
}

int monitor_drift(struct monitor_drift *out, enum monitor_drift_method m,
		  struct monitor_profile_column *ref,
		  struct monitor_profile_column *cur)
{
	enum monitor_profile_type tr = monitor_profile_column_type(ref),
				  tc = monitor_profile_column_type(cur);
	int numeric = (tr == MONITOR_PROFILE_INTEGRAL ||
		       tr == MONITOR_PROFILE_FRACTIONAL) &&
		      (tc == MONITOR_PROFILE_INTEGRAL ||
		       tc == MONITOR_PROFILE_FRACTIONAL);
	int strings =
	    tr == MONITOR_PROFILE_STRING && tc == MONITOR_PROFILE_STRING;
	double *a, *b;

	memset(out, 0, sizeof(*out));
	out->p_value = NAN;
	out->n_reference = ref->n_num;
	out->n_current = cur->n_num;
	if (strings) {
		struct cats t;

		if (m == MONITOR_DRIFT_KS || m == MONITOR_DRIFT_WASSERSTEIN)
			return 0;
		categories(&t, ref, cur);
		out->n_reference =
		    ref->n_string + ref->n_integral + ref->n_fractional;
		out->n_current =
		    cur->n_string + cur->n_integral + cur->n_fractional;
		if (m == MONITOR_DRIFT_CHI2) {
			out->statistic = chi2_test(&t, &out->p_value);
		} else {
			shares(t.ref, t.n);
			shares(t.cur, t.n);
			out->statistic = m == MONITOR_DRIFT_PSI
					     ? psi(t.ref, t.cur, t.n)
					     : js(t.ref, t.cur, t.n);
		}
		free(t.ref);
		free(t.cur);
		return 1;
	}
	if (!numeric || m == MONITOR_DRIFT_CHI2 || !ref->n_num || !cur->n_num)
		return 0;
	/* The methods sort the values in place: no copy of millions. */
	a = ref->values;
	b = cur->values;
	if (m == MONITOR_DRIFT_KS) {
		out->statistic = monitor_ks_2samp(a, ref->nvalues, b,
						  cur->nvalues, &out->p_value);
	} else if (m == MONITOR_DRIFT_WASSERSTEIN) {
		out->statistic = wasserstein(a, ref->nvalues, b, cur->nvalues);
	} else {
		double pr[PSI_BINS], pc[PSI_BINS];

		decile_shares(a, ref->nvalues, b, cur->nvalues, pr, pc);
		out->statistic = m == MONITOR_DRIFT_PSI ? psi(pr, pc, PSI_BINS)
							: js(pr, pc, PSI_BINS);
	}
	return 1;
}

struct drift_many {
	struct monitor_drift *out;
	int *applies;
	enum monitor_drift_method m;
	struct monitor_profile_column *const *ref, *const *cur;
	size_t n;
	atomic_size_t next;
};

static void *drift_worker(void *arg)
{
	struct drift_many *d = arg;
	size_t i;

	while ((i = atomic_fetch_add(&d->next, 1)) < d->n)
		d->applies[i] = monitor_drift(&d->out[i], d->m, d->ref[i],
					      d->cur[i]);
	return NULL;
}

void monitor_drift_many(struct monitor_drift *out, int *applies,
			enum monitor_drift_method m,
			struct monitor_profile_column *const *ref,
			struct monitor_profile_column *const *cur,
			size_t n, unsigned threads)
{
	struct drift_many d = {out, applies, m, ref, cur, n, 0};
	pthread_t tid[MONITOR_MAX_THREADS];
	unsigned nt = monitor_profile_thread_count(threads, n), started = 0;

	/* Each pair is one job; a thread that cannot be started leaves
	 * its share to the others. */
	while (started + 1 < nt &&
	       pthread_create(&tid[started], NULL, drift_worker, &d) == 0)
		started++;
	drift_worker(&d);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
}
