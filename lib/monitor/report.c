/* report.c - a profile as Model Monitor's statistics.json and
 * constraints.json, writing them, and loading a baseline back. */
#include <errno.h>
#include <math.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "core/xalloc.h"
#include "monitor/monitor.h"

/* Model Monitor always draws 10 buckets. */
#define MONITOR_REPORT_BUCKETS 10

static json_t *common_json(const struct monitor_profile_column *c,
			   uint64_t items)
{
	uint64_t present = items - c->n_missing;

	return json_pack("{s:I,s:I}", "num_present", (json_int_t)present,
			 "num_missing", (json_int_t)c->n_missing);
}

static json_t *numerical_json(const struct monitor_profile_column *c,
			      uint64_t items)
{
	json_t *buckets = json_array();
	double width = (c->max - c->min) / MONITOR_REPORT_BUCKETS, below = 0;
	double his[MONITOR_REPORT_BUCKETS], cdf[MONITOR_REPORT_BUCKETS];

	for (int i = 0; i < MONITOR_REPORT_BUCKETS; i++)
		his[i] = i == MONITOR_REPORT_BUCKETS - 1
			     ? c->max
			     : c->min + i * width + width;
	monitor_kll_cdf_many(&c->kll, his, MONITOR_REPORT_BUCKETS, cdf);
	for (int i = 0; i < MONITOR_REPORT_BUCKETS; i++) {
		double lo = c->min + i * width, hi = his[i];
		double upto = cdf[i] * (double)c->n_num;

		json_array_append_new(buckets,
				      json_pack("{s:f,s:f,s:f}", "lower_bound",
						lo, "upper_bound", hi, "count",
						upto - below));
		below = upto;
	}
	/* The mean as sum / count, as Deequ and pandas have it; Welford's
	 * running mean only serves the variance. */
	return json_pack("{s:o,s:f,s:f,s:f,s:f,s:f,s:{s:{s:o,s:o}}}", "common",
			 common_json(c, items), "mean",
			 c->sum / (double)c->n_num, "sum", c->sum, "std_dev",
			 sqrt(c->m2 / (double)c->n_num), "min", c->min, "max",
			 c->max, "distribution", "kll", "buckets", buckets,
			 "sketch", monitor_kll_to_json(&c->kll));
}

static int bucket_cmp(const void *a, const void *b)
{
	const struct monitor_profile_distinct *x =
	    *(const struct monitor_profile_distinct *const *)a;
	const struct monitor_profile_distinct *y =
	    *(const struct monitor_profile_distinct *const *)b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->value, y->value);
}

/* The distinct values counted exactly, most frequent first. The caller
 * frees the array (not the values, which stay the column's). */
static const struct monitor_profile_distinct **
sorted_values(const struct monitor_profile_column *c)
{
	const struct monitor_profile_distinct **v =
	    xcalloc(c->ndist + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; i < c->dist_slots; i++)
		if (c->dist[i].value)
			v[n++] = &c->dist[i];
	qsort(v, n, sizeof(*v), bucket_cmp);
	return v;
}

static json_t *string_json(const struct monitor_profile_column *c,
			   uint64_t items)
{
	const struct monitor_profile_distinct **v = sorted_values(c);
	json_t *buckets = json_array();

	for (size_t i = 0; i < c->ndist; i++)
		json_array_append_new(
		    buckets, json_pack("{s:s,s:I}", "value", v[i]->value,
				       "count", (json_int_t)v[i]->count));
	free(v);
	return json_pack("{s:o,s:I,s:{s:{s:o}}}", "common",
			 common_json(c, items), "distinct_count",
			 (json_int_t)monitor_profile_column_distinct(c),
			 "distribution", "categorical", "buckets", buckets);
}

json_t *monitor_report_statistics(const struct monitor_profile *p)
{
	json_t *features = json_array();

	for (size_t i = 0; i < p->ncols; i++) {
		const struct monitor_profile_column *c = &p->cols[i];
		enum monitor_profile_type t = monitor_profile_column_type(c);
		json_t *f =
		    json_pack("{s:s,s:s}", "name", c->name, "inferred_type",
			      monitor_profile_type_name(t));

		if (t == MONITOR_PROFILE_INTEGRAL ||
		    t == MONITOR_PROFILE_FRACTIONAL)
			json_object_set_new(f, "numerical_statistics",
					    numerical_json(c, p->item_count));
		else if (t == MONITOR_PROFILE_STRING)
			json_object_set_new(f, "string_statistics",
					    string_json(c, p->item_count));
		json_array_append_new(features, f);
	}
	return json_pack("{s:i,s:{s:I},s:o}", "version", 0, "dataset",
			 "item_count", (json_int_t)p->item_count, "features",
			 features);
}

json_t *monitor_report_constraints(const struct monitor_profile *p)
{
	json_t *features = json_array();

	for (size_t i = 0; i < p->ncols; i++) {
		const struct monitor_profile_column *c = &p->cols[i];
		enum monitor_profile_type t = monitor_profile_column_type(c);
		double present = (double)(p->item_count - c->n_missing);
		json_t *f = json_pack(
		    "{s:s,s:s,s:f}", "name", c->name, "inferred_type",
		    monitor_profile_type_name(t), "completeness",
		    p->item_count ? present / (double)p->item_count : 0.0);

		if (t == MONITOR_PROFILE_INTEGRAL ||
		    t == MONITOR_PROFILE_FRACTIONAL)
			json_object_set_new(
			    f, "num_constraints",
			    json_pack("{s:b}", "is_non_negative", c->min >= 0));
		if (t == MONITOR_PROFILE_STRING && !c->dist_overflow &&
		    c->ndist <= MONITOR_REPORT_DOMAIN_MAX) {
			const struct monitor_profile_distinct **v =
			    sorted_values(c);
			json_t *domains = json_array();

			for (size_t j = 0; j < c->ndist; j++)
				json_array_append_new(domains,
						      json_string(v[j]->value));
			free(v);
			json_object_set_new(
			    f, "string_constraints",
			    json_pack("{s:o}", "domains", domains));
		}
		json_array_append_new(features, f);
	}
	return json_pack(
	    "{s:i,s:o,s:{s:s,s:s,s:f,s:f,s:{s:s,s:f,s:s,"
	    "s:f,s:s}}}",
	    "version", 0, "features", features, "monitoring_config",
	    "evaluate_constraints", "Enabled", "emit_metrics", "Enabled",
	    "datatype_check_threshold", 0.1, "domain_content_threshold", 0.1,
	    "distribution_constraints", "perform_comparison", "Enabled",
	    "comparison_threshold", 0.1, "comparison_method", "Simple",
	    "categorical_comparison_threshold", 0.1, "categorical_drift_method",
	    "LInfinity");
}

int monitor_report_write(const char *dir, size_t n, const char *const *names,
			 json_t *const *values, struct mlops_err *err)
{
	struct buf *text = xcalloc(n ? n : 1, sizeof(*text));
	int ret;

	for (size_t i = 0; i < n; i++) {
		char *s =
		    json_dumps(values[i], JSON_INDENT(2) | JSON_PRESERVE_ORDER |
					      JSON_REAL_PRECISION(17));

		buf_init(&text[i]);

		buf_addstr(&text[i], s);
		buf_addch(&text[i], '\n');
		free(s);
	}
	ret = fs_mkdir_p(dir, err);
	for (size_t i = 0; i < n && ret == 0; i++) {
		char *path = fs_path_join(dir, names[i]);

		ret = fs_write_file_atomic(path, text[i].s, text[i].len, err);
		/* Reports are for sharing, not private like temporary
		 * files. */
		if (ret == 0 && chmod(path, 0644) < 0)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot chmod '%s'", path);
		free(path);
	}
	for (size_t i = 0; i < n; i++)
		buf_release(&text[i]);
	free(text);
	return ret;
}

int monitor_report_baseline_check(const json_t *doc, const char *name,
				  struct mlops_err *err)
{
	json_t *features = json_object_get(doc, "features");

	if (!json_is_array(features))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: no 'features' array", name);
	for (size_t i = 0; i < json_array_size(features); i++) {
		json_t *f = json_array_get(features, i);

		if (!jsonio_str(f, "name") || !jsonio_str(f, "inferred_type"))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s: feature %zu lacks 'name' "
					     "or 'inferred_type'", name, i + 1);
	}
	return 0;
}

static int load_one(json_t **out, const char *dir, const char *file,
		    struct mlops_err *err)
{
	char *path = fs_path_join(dir, file);
	json_t *j = NULL;
	int ret;

	if (!fs_exists(path)) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND,
				    "no baseline in '%s': "
				    "%s is missing",
				    dir, file);
		goto out;
	}
	ret = jsonio_load_file(&j, path, 0, err);
	if (ret == 0)
		ret = monitor_report_baseline_check(j, path, err);
	if (ret < 0)
		goto out;
	*out = j;
	j = NULL;
out:
	json_decref(j);
	free(path);
	return ret;
}

int monitor_report_baseline_load(struct monitor_report_baseline *out,
				 const char *dir, struct mlops_err *err)
{
	struct monitor_report_baseline b = {NULL, NULL};
	int ret = load_one(&b.statistics, dir, "statistics.json", err);

	if (ret == 0)
		ret = load_one(&b.constraints, dir, "constraints.json", err);
	if (ret == 0 &&
	    !json_is_object(json_object_get(b.statistics, "dataset")))
		ret = mlops_err_set(err, MLOPS_EINPUT,
				    "%s/statistics.json: no "
				    "'dataset' object",
				    dir);
	if (ret < 0) {
		monitor_report_baseline_release(&b);
		return ret;
	}
	*out = b;
	return 0;
}

void monitor_report_baseline_release(struct monitor_report_baseline *b)
{
	json_decref(b->statistics);
	json_decref(b->constraints);
	b->statistics = b->constraints = NULL;
}
