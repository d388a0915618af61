/* check.c - new data against a baseline, with Model Monitor's check
 * types and its wording. Thresholds come from the baseline's
 * monitoring_config, and for one feature from its
 * monitoringConfigOverrides in constraints.json. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonio.h"
#include "monitor/monitor.h"

struct thresholds {
	double datatype, domain, drift, cat_drift;
	int compare, robust;
};

static double num_or(const json_t *obj, const char *key, double dflt)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_number(v) ? json_number_value(v) : dflt;
}

static void read_thresholds(struct thresholds *t, const json_t *constraints)
{
	json_t *mc = json_object_get(constraints, "monitoring_config");
	json_t *dc = json_object_get(mc, "distribution_constraints");
	const char *perform = jsonio_str(dc, "perform_comparison");
	const char *method = jsonio_str(dc, "comparison_method");

	t->datatype = num_or(mc, "datatype_check_threshold", 0.1);
	t->domain = num_or(mc, "domain_content_threshold", 0.1);
	t->drift = num_or(dc, "comparison_threshold", 0.1);
	t->cat_drift = num_or(dc, "categorical_comparison_threshold", t->drift);
	t->compare = !perform || strcmp(perform, "Enabled") == 0;
	t->robust = method && strcmp(method, "Robust") == 0;
}

/* A threshold of a feature's overrides into *out when it is there:
 * MLOPS_EINPUT when it is not a number in [0, 1]. */
static int override_threshold(double *out, const json_t *o, const char *key,
			      const char *feature, struct mlops_err *err)
{
	const json_t *v = json_object_get(o, key);

	if (!v)
		return 0;
	if (!json_is_number(v) || json_number_value(v) < 0 ||
	    json_number_value(v) > 1)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "constraints.json: feature '%s': "
				     "monitoringConfigOverrides.%s must be a "
				     "number from 0 to 1", feature, key);
	*out = json_number_value(v);
	return 0;
}

/* The thresholds of one feature: t with what the feature's
 * monitoringConfigOverrides sets (comparison_threshold, for a numeric
 * or a categorical feature alike, categorical_comparison_threshold,
 * comparison_method, datatype_check_threshold, domain_content_threshold;
 * other keys are left to whoever wrote them). */
static int feature_thresholds(struct thresholds *out,
			      const struct thresholds *t, const json_t *cons,
			      const char *feature, struct mlops_err *err)
{
	const json_t *o = json_object_get(cons, "monitoringConfigOverrides");
	const json_t *method = json_object_get(o, "comparison_method");
	int ret = 0;

	*out = *t;
	if (!o)
		return 0;
	if (!json_is_object(o))
		return mlops_err_set(err, MLOPS_EINPUT, "constraints.json: "
				     "feature '%s': monitoringConfigOverrides "
				     "is not an object", feature);
	if (json_object_get(o, "comparison_threshold")) {
		ret = override_threshold(&out->drift, o,
					 "comparison_threshold", feature, err);
		out->cat_drift = out->drift;
	}
	if (ret == 0)
		ret = override_threshold(&out->cat_drift, o,
					 "categorical_comparison_threshold",
					 feature, err);
	if (ret == 0)
		ret = override_threshold(&out->datatype, o,
					 "datatype_check_threshold", feature,
					 err);
	if (ret == 0)
		ret = override_threshold(&out->domain, o,
					 "domain_content_threshold", feature,
					 err);
	if (ret == 0 && method) {
		const char *m = json_string_value(method);

		if (!m || (strcmp(m, "Simple") && strcmp(m, "Robust")))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "constraints.json: feature '%s': "
					     "monitoringConfigOverrides."
					     "comparison_method must be Simple "
					     "or Robust", feature);
		out->robust = strcmp(m, "Robust") == 0;
	}
	return ret;
}

static void violation(json_t *list, const char *feature, const char *type,
		      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void violation(json_t *list, const char *feature, const char *type,
		      const char *fmt, ...)
{
	char desc[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(desc, sizeof(desc), fmt, ap);
	va_end(ap);
	json_array_append_new(list, json_pack("{s:s,s:s,s:s}", "feature_name",
					      feature, "constraint_check_type",
					      type, "description", desc));
}

static const json_t *find_feature(const json_t *doc, const char *name)
{
	const json_t *features = json_object_get(doc, "features");

	for (size_t i = 0; i < json_array_size(features); i++) {
		const json_t *f = json_array_get(features, i);

		if (strcmp(jsonio_str(f, "name"), name) == 0)
			return f;
	}
	return NULL;
}

static const struct monitor_profile_column *
find_column(const struct monitor_profile *p, const char *name)
{
	for (size_t i = 0; i < p->ncols; i++)
		if (strcmp(p->cols[i].name, name) == 0)
			return &p->cols[i];
	return NULL;
}

/* L-infinity between the baseline's categorical frequencies and c's.
 * Values past c's exact table have each a frequency below 1/CAP of the
 * rest, so they are left out. */
static double categorical_linf(const json_t *buckets,
			       const struct monitor_profile_column *c,
			       uint64_t present)
{
	double total = 0, d = 0;

	for (size_t i = 0; i < json_array_size(buckets); i++)
		total += num_or(json_array_get(buckets, i), "count", 0);
	if (total <= 0 || present == 0)
		return total <= 0 && present == 0 ? 0 : 1;
	for (size_t i = 0; i < json_array_size(buckets); i++) {
		const json_t *b = json_array_get(buckets, i);
		const char *v = jsonio_str(b, "value");
		double pb = num_or(b, "count", 0) / total, pc;

		pc = v ? (double)monitor_profile_column_count(c, v) /
			     (double)present
		       : 0;
		if (fabs(pb - pc) > d)
			d = fabs(pb - pc);
	}
	/* A value the baseline never saw has baseline frequency 0. */
	for (size_t i = 0; i < c->dist_slots; i++) {
		const struct monitor_profile_distinct *x = &c->dist[i];
		int known = 0;

		if (!x->value)
			continue;
		for (size_t j = 0; j < json_array_size(buckets) && !known; j++)
			known = !strcmp(
			    jsonio_str(json_array_get(buckets, j), "value")
				?: "",
			    x->value);
		if (!known && (double)x->count / (double)present > d)
			d = (double)x->count / (double)present;
	}
	return d;
}

static void check_drift(json_t *out, const struct thresholds *t,
			const json_t *stat,
			const struct monitor_profile_column *c,
			uint64_t present, uint64_t base_present,
			struct mlops_err *err, int *ret)
{
	enum monitor_profile_type ct = monitor_profile_column_type(c);
	const char *name = c->name;
	json_t *num = json_object_get(stat, "numerical_statistics");
	json_t *str = json_object_get(stat, "string_statistics");
	double dist, threshold;

	if (num && (ct == MONITOR_PROFILE_INTEGRAL ||
		    ct == MONITOR_PROFILE_FRACTIONAL)) {
		json_t *sk = json_object_get(
		    json_object_get(json_object_get(num, "distribution"),
				    "kll"),
		    "sketch");
		struct monitor_kll base;

		if (monitor_kll_from_json(&base, sk, name, err) < 0) {
			*ret = err->code;
			return;
		}
		dist = monitor_kll_linf(&base, &c->kll);
		monitor_kll_release(&base);
		threshold = t->drift;
	} else if (str && ct == MONITOR_PROFILE_STRING) {
		json_t *buckets = json_object_get(
		    json_object_get(json_object_get(str, "distribution"),
				    "categorical"),
		    "buckets");

		dist = categorical_linf(buckets, c, present);
		threshold = t->cat_drift;
	} else {
		return;
	}
	if (t->robust && present && base_present)
		dist = fmax(
		    0, dist - 1.8 * sqrt((double)(present + base_present) /
					 ((double)present * base_present)));
	if (dist > threshold)
		violation(out, name, "baseline_drift_check",
			  "Baseline drift "
			  "distance: %g exceeds threshold: %g",
			  dist, threshold);
}

static void check_type(json_t *out, const struct thresholds *t,
		       const char *want, const struct monitor_profile_column *c,
		       uint64_t present)
{
	uint64_t bad;

	if (strcmp(want, "Integral") == 0)
		bad = c->n_fractional + c->n_string;
	else if (strcmp(want, "Fractional") == 0)
		bad = c->n_string;
	else
		return;
	if (present && (double)bad / (double)present > t->datatype)
		violation(out, c->name, "data_type_check",
			  "Data type match "
			  "requirement is not met. Expected data type: %s, "
			  "Expected match: %g%%. Observed: Only %g%% of data "
			  "is %s.",
			  want, 100 * (1 - t->datatype),
			  100.0 * (double)(present - bad) / (double)present,
			  want);
}

static void check_domain(json_t *out, const struct thresholds *t,
			 const json_t *domains,
			 const struct monitor_profile_column *c,
			 uint64_t present)
{
	uint64_t inside = 0;

	if (!json_is_array(domains) || present == 0)
		return;
	for (size_t i = 0; i < json_array_size(domains); i++) {
		const char *v = json_string_value(json_array_get(domains, i));

		if (v)
			inside += monitor_profile_column_count(c, v);
	}
	if ((double)(present - inside) / (double)present > t->domain)
		violation(out, c->name, "categorical_values_check",
			  "Value "
			  "domain requirement is not met. Expected: "
			  "%g%% of values in the baseline domain. Observed: "
			  "only %g%% of values are in it.",
			  100 * (1 - t->domain),
			  100.0 * (double)inside / (double)present);
}

json_t *monitor_check(const struct monitor_report_baseline *b,
		      const struct monitor_profile *cur, struct mlops_err *err)
{
	json_t *out = json_array();
	json_t *bfeatures = json_object_get(b->statistics, "features");
	uint64_t base_items = (uint64_t)num_or(
	    json_object_get(b->statistics, "dataset"), "item_count", 0);
	struct thresholds t;
	int ret = 0;

	read_thresholds(&t, b->constraints);
	for (size_t i = 0; i < json_array_size(bfeatures) && ret == 0; i++) {
		const json_t *stat = json_array_get(bfeatures, i);
		const char *name = jsonio_str(stat, "name");
		const json_t *cons = find_feature(b->constraints, name);
		const struct monitor_profile_column *c = find_column(cur, name);
		uint64_t present, base_present;
		json_t *common;
		json_t *nc = json_object_get(cons, "num_constraints");
		struct thresholds ft;

		if (feature_thresholds(&ft, &t, cons, name, err) < 0) {
			ret = err->code;
			break;
		}
		if (!c) {
			violation(out, name, "missing_column_check",
				  "There "
				  "are missing columns in current dataset. "
				  "Number of columns in current dataset: %zu, "
				  "Number of columns in baseline constraints: "
				  "%zu",
				  cur->ncols, json_array_size(bfeatures));
			continue;
		}
		present = cur->item_count - c->n_missing;
		check_type(out, &ft, jsonio_str(stat, "inferred_type"), c,
			   present);
		if (cons &&
		    json_is_number(json_object_get(cons, "completeness")) &&
		    cur->item_count &&
		    (double)present / (double)cur->item_count <
			num_or(cons, "completeness", 0) - 1e-12)
			violation(out, name, "completeness_check",
				  "Data "
				  "completeness requirement is not met. "
				  "Expected: %g%% complete. Observed: %g%% "
				  "complete.",
				  100 * num_or(cons, "completeness", 0),
				  100.0 * (double)present /
				      (double)cur->item_count);
		if (json_is_true(json_object_get(nc, "is_non_negative")) &&
		    c->n_num > 0 && c->min < 0)
			violation(out, name, "non_negative_check",
				  "Data "
				  "feature %s has negative values (minimum "
				  "%g) but the baseline requires them to be "
				  "non-negative.",
				  name, c->min);
		check_domain(
		    out, &ft,
		    json_object_get(json_object_get(cons, "string_constraints"),
				    "domains"),
		    c, present);
		common = json_object_get(
		    json_object_get(stat, "numerical_statistics")
			?: json_object_get(stat, "string_statistics"),
		    "common");
		base_present =
		    (uint64_t)num_or(common, "num_present", (double)base_items);
		if (ft.compare)
			check_drift(out, &ft, stat, c, present, base_present,
				    err, &ret);
	}
	for (size_t i = 0; i < cur->ncols && ret == 0; i++)
		if (!find_feature(b->statistics, cur->cols[i].name))
			violation(out, cur->cols[i].name, "extra_column_check",
				  "There are extra columns in current dataset. "
				  "Number of columns in current dataset: %zu, "
				  "Number of columns in baseline constraints: "
				  "%zu",
				  cur->ncols, json_array_size(bfeatures));
	if (ret < 0) {
		json_decref(out);
		return NULL;
	}
	return json_pack("{s:o}", "violations", out);
}
