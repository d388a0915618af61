/* report.c - a profile as Model Monitor's statistics.json and
 * constraints.json, writing them, and loading a baseline back. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
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

/* The entry of statistics.json's "features" for c. */
static json_t *feature_json(const struct monitor_profile_column *c,
			    uint64_t items)
{
	enum monitor_profile_type t = monitor_profile_column_type(c);
	json_t *f = json_pack("{s:s,s:s}", "name", c->name, "inferred_type",
			      monitor_profile_type_name(t));

	if (t == MONITOR_PROFILE_INTEGRAL || t == MONITOR_PROFILE_FRACTIONAL)
		json_object_set_new(f, "numerical_statistics",
				    numerical_json(c, items));
	else if (t == MONITOR_PROFILE_STRING)
		json_object_set_new(f, "string_statistics",
				    string_json(c, items));
	return f;
}

/* statistics.json without its features. */
static json_t *statistics_head(const struct monitor_profile *p)
{
	return json_pack("{s:i,s:{s:I},s:[]}", "version", 0, "dataset",
			 "item_count", (json_int_t)p->item_count, "features");
}

json_t *monitor_report_statistics(const struct monitor_profile *p)
{
	json_t *doc = statistics_head(p);
	json_t *features = json_object_get(doc, "features");

	for (size_t i = 0; i < p->ncols; i++)
		json_array_append_new(features,
				      feature_json(&p->cols[i], p->item_count));
	return doc;
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

/* How reports are rendered: two spaces an indent, as the documents
 * are built, doubles to 17 digits. */
#define REPORT_FLAGS \
	(JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))

static void report_text(struct buf *out, const json_t *doc)
{
	char *s = json_dumps(doc, REPORT_FLAGS);

	buf_addstr(out, s);
	buf_addch(out, '\n');
	free(s);
}

/* The features of statistics.json rendered by several threads: a
 * baseline's sketches are about 100,000 doubles, which printf renders
 * at 300 ns each. */
struct features_text {
	const struct monitor_profile *p;
	struct buf *text; /* per feature */
	atomic_size_t next;
};

static void *render_features(void *arg)
{
	struct features_text *ft = arg;
	size_t i;

	while ((i = atomic_fetch_add(&ft->next, 1)) < ft->p->ncols) {
		json_t *f = feature_json(&ft->p->cols[i], ft->p->item_count);
		char *s = json_dumps(f, REPORT_FLAGS);
		const char *line = s, *nl;

		/* As inside the document: every line after the first
		 * two levels deeper (JSON strings hold no raw line
		 * end). */
		while ((nl = strchr(line, '\n'))) {
			buf_add(&ft->text[i], line, (size_t)(nl - line) + 1);
			buf_addstr(&ft->text[i], "    ");
			line = nl + 1;
		}
		buf_addstr(&ft->text[i], line);
		free(s);
		json_decref(f);
	}
	return NULL;
}

void monitor_report_statistics_text(struct buf *out,
				    const struct monitor_profile *p,
				    unsigned threads)
{
	struct features_text ft = {p, NULL, 0};
	pthread_t tid[MONITOR_MAX_THREADS];
	unsigned nt = monitor_profile_thread_count(threads, p->ncols);
	unsigned started;
	json_t *head = statistics_head(p);
	char *s = json_dumps(head, REPORT_FLAGS), *empty;

	ft.text = xcalloc(p->ncols ? p->ncols : 1, sizeof(*ft.text));
	for (size_t i = 0; i < p->ncols; i++)
		buf_init(&ft.text[i]);
	for (started = 0; started + 1 < nt; started++)
		if (pthread_create(&tid[started], NULL, render_features,
				   &ft) != 0)
			break;
	render_features(&ft);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	/* The head ends with "features": [] and the closing brace. */
	empty = strrchr(s, '[');
	buf_add(out, s, (size_t)(empty - s));
	if (p->ncols == 0)
		buf_addstr(out, "[]");
	for (size_t i = 0; i < p->ncols; i++) {
		buf_addstr(out, i == 0 ? "[\n    " : ",\n    ");
		buf_add(out, ft.text[i].s, ft.text[i].len);
		buf_release(&ft.text[i]);
	}
	if (p->ncols > 0)
		buf_addstr(out, "\n  ]");
	buf_addstr(out, empty + 2);
	buf_addch(out, '\n');
	free(ft.text);
	free(s);
	json_decref(head);
}

int monitor_report_write_text(const char *dir, size_t n,
			      const char *const *names, const struct buf *text,
			      struct mlops_err *err)
{
	int ret = fs_mkdir_p(dir, err);

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
	return ret;
}

int monitor_report_write(const char *dir, size_t n, const char *const *names,
			 json_t *const *values, struct mlops_err *err)
{
	struct buf *text = xcalloc(n ? n : 1, sizeof(*text));
	int ret;

	for (size_t i = 0; i < n; i++) {
		buf_init(&text[i]);
		report_text(&text[i], values[i]);
	}
	ret = monitor_report_write_text(dir, n, names, text, err);
	for (size_t i = 0; i < n; i++)
		buf_release(&text[i]);
	free(text);
	return ret;
}

int monitor_report_write_baseline(const char *dir,
				  const struct monitor_profile *p,
				  unsigned threads, struct mlops_err *err)
{
	static const char *const names[] = {"statistics.json",
					    "constraints.json"};
	struct buf text[2] = {BUF_INIT, BUF_INIT};
	json_t *constraints = monitor_report_constraints(p);
	int ret;

	monitor_report_statistics_text(&text[0], p, threads);
	report_text(&text[1], constraints);
	json_decref(constraints);
	ret = monitor_report_write_text(dir, 2, names, text, err);
	buf_release(&text[0]);
	buf_release(&text[1]);
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
