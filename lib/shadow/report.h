/* report.h - a shadow test's report: production and shadow side by
 * side from the paired records in the store (shadow_pair), and whether
 * the shadow is worse than production beyond limits. */
#ifndef MLOPS_SHADOW_REPORT_H
#define MLOPS_SHADOW_REPORT_H
#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "core/store.h"

struct shadow_limits {
	double max_latency_ratio;	/* shadow p90 / production p90 */
	double max_error_rate;		/* shadow's minus production's */
	double min_agreement;		/* of classes */
	double threshold;		/* class of a single score */
	double tolerance;		/* "within" for numeric outputs */
};
#define SHADOW_LIMITS_INIT { 1.2, 0.001, 0.99, 0.5, 1e-6 }

/* Build the report of test name into *out (a JSON object the caller
 * decrefs; see mlops-shadow(1) for its fields) and set *worse to 1
 * when the shadow is worse than production beyond lim. */
int shadow_report(struct store *st, const char *name,
		  const struct shadow_limits *lim, json_t **out, int *worse,
		  struct mlops_err *err);

/* The p-value of the two-sample Kolmogorov-Smirnov statistic d of two
 * samples of n values each (outputs are paired, so the sizes are
 * equal), two-sided, as scipy.stats.ks_2samp computes it with method
 * "auto" up to n = 10000 (exact: the share of lattice paths outside
 * the band). Beyond, the Kolmogorov limit distribution at
 * d sqrt(n/2), where scipy uses the finite-n distribution kstwo: the
 * two differ by O(1/sqrt(n)). */
double shadow_ks_pvalue(double d, size_t n);
/* The statistic: the largest distance between the samples' empirical
 * distribution functions (a and b are sorted in place). */
double shadow_ks_stat(double *a, size_t n1, double *b, size_t n2);

#endif
