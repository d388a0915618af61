/* trend.c - drift per feature over time, for the dashboard: the
 * distance that baseline_drift_check compares with its threshold,
 * recomputed from a schedule's baseline and the statistics.json each
 * execution kept of its window (Model Monitor's L-infinity distance
 * between the two KLL sketches, or between the categorical
 * frequencies). Read-only: a baseline attached to a model version is
 * read from its blobs, not written out as run-due does. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/object.h"
#include "monitor/monitor.h"
#include "registry/registry.h"

/* Baselines and reports are small; a bigger file is not one of ours. */
#define TREND_MAX_FILE (64u << 20)

static int load_blob(json_t **out, struct store *st, const char *hash,
		     const char *name, struct mlops_err *err)
{
	struct buf b = BUF_INIT;
	int ret = object_read_mem(st, hash, &b, TREND_MAX_FILE, err);

	if (ret == 0)
		ret = jsonio_parse(out, b.s, b.len, name, err);
	buf_release(&b);
	return ret;
}

int monitor_trend_baseline(struct monitor_report_baseline *out,
			   struct store *st, const char *baseline,
			   struct mlops_err *err)
{
	struct monitor_report_baseline b = { NULL, NULL };
	struct registry_version *v = NULL;
	json_t *reg = NULL;
	int ret;

	if (!monitor_baseline_is_ref(baseline))
		return monitor_report_baseline_load(out, baseline, err);
	ret = registry_resolve(st, baseline, &v, err);
	if (ret == 0)
		ret = registry_baseline_get(st, v->group, v->version, &reg,
					    err);
	if (ret == 0 && !reg)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "%s has no "
				    "baseline", baseline);
	if (ret == 0)
		ret = load_blob(&b.statistics, st, jsonio_str(reg,
				"statistics"), "statistics.json", err);
	if (ret == 0)
		ret = load_blob(&b.constraints, st, jsonio_str(reg,
				"constraints"), "constraints.json", err);
	if (ret == 0)
		ret = monitor_report_baseline_check(b.statistics,
						    "statistics.json", err);
	if (ret == 0) {
		*out = b;
		b.statistics = b.constraints = NULL;
	}
	monitor_report_baseline_release(&b);
	registry_version_free(v);
	json_decref(reg);
	return ret;
}

static double num_or(const json_t *obj, const char *key, double dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static const json_t *dig(const json_t *o, const char *a, const char *b,
			 const char *c)
{
	return json_object_get(json_object_get(json_object_get(o, a), b), c);
}

static double bucket_total(const json_t *buckets)
{
	double total = 0;
	const json_t *b;
	size_t i;

	json_array_foreach(buckets, i, b)
		total += num_or(b, "count", 0);
	return total;
}

/* The frequency of value (NULL: "") in buckets of total count. */
static double frequency(const json_t *buckets, double total,
			const char *value)
{
	const json_t *b;
	size_t i;

	json_array_foreach(buckets, i, b)
		if (!strcmp(jsonio_str(b, "value") ?: "", value ?: ""))
			return num_or(b, "count", 0) / total;
	return 0;
}

/* L-infinity between two categorical distributions: over the values of
 * either, the largest difference of frequencies. */
static double categorical_linf(const json_t *a, const json_t *b)
{
	double ta = bucket_total(a), tb = bucket_total(b), d = 0;
	const json_t *x;
	size_t i;

	if (ta <= 0 || tb <= 0)
		return ta <= 0 && tb <= 0 ? 0 : 1;
	json_array_foreach(a, i, x)
		d = fmax(d, fabs(num_or(x, "count", 0) / ta -
				 frequency(b, tb, jsonio_str(x, "value"))));
	json_array_foreach(b, i, x)
		d = fmax(d, fabs(num_or(x, "count", 0) / tb -
				 frequency(a, ta, jsonio_str(x, "value"))));
	return d;
}

static const json_t *find_feature(const json_t *stats, const char *name)
{
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(stats, "features"), i, f)
		if (!strcmp(jsonio_str(f, "name") ?: "", name))
			return f;
	return NULL;
}

/* The distance between the baseline's feature base and the window's cur,
 * or NaN when they cannot be compared (types differ, no sketch). */
static double distance(const json_t *base, const json_t *cur)
{
	const json_t *bs = dig(base, "numerical_statistics", "distribution",
			       "kll");
	const json_t *cs = dig(cur, "numerical_statistics", "distribution",
			       "kll");
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_kll a, b;
	double d;

	if (bs && cs) {
		if (monitor_kll_from_json(&a, json_object_get(bs, "sketch"),
					  "baseline", &err) < 0)
			return NAN;
		if (monitor_kll_from_json(&b, json_object_get(cs, "sketch"),
					  "window", &err) < 0) {
			monitor_kll_release(&a);
			return NAN;
		}
		d = a.count && b.count ? monitor_kll_linf(&a, &b) : NAN;
		monitor_kll_release(&a);
		monitor_kll_release(&b);
		return d;
	}
	bs = dig(base, "string_statistics", "distribution", "categorical");
	cs = dig(cur, "string_statistics", "distribution", "categorical");
	if (bs && cs)
		return categorical_linf(json_object_get(bs, "buckets"),
					json_object_get(cs, "buckets"));
	return NAN;
}

json_t *monitor_trend_thresholds(const json_t *constraints)
{
	const json_t *dc = json_object_get(json_object_get(constraints,
		"monitoring_config"), "distribution_constraints");
	double num = num_or(dc, "comparison_threshold", 0.1);

	return json_pack("{s:f,s:f}", "numerical", num, "categorical",
			 num_or(dc, "categorical_comparison_threshold", num));
}

json_t *monitor_trend_distances(const json_t *base_stats,
				const json_t *window_stats)
{
	json_t *out = json_object();
	const json_t *f;
	size_t i;

	json_array_foreach(json_object_get(base_stats, "features"), i, f) {
		const char *name = jsonio_str(f, "name");
		const json_t *cur = name ? find_feature(window_stats, name) :
			NULL;
		double d = cur ? distance(f, cur) : NAN;

		if (isfinite(d))
			json_object_set_new(out, name, json_real(d));
	}
	return out;
}
