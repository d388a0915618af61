/* schedule.c - monitoring schedules over an endpoint's data capture:
 * create, list, delete, and run-due, which runs every window whose end
 * has passed (catching up missed ones), records an execution per window
 * and emits its event. A lock file serialises run-due calls, and each
 * window advances the schedule in the transaction that records its
 * execution, so no window ever runs twice. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/csv.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/event.h"
#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "monitor/monitor.h"

void monitor_schedule_release(struct monitor_schedule *s)
{
	free(s->name);
	free(s->endpoint);
	free(s->baseline);
	free(s->type);
	free(s->created_by);
	free(s->labels);
	free(s->problem);
	memset(s, 0, sizeof(*s));
}

static const char *const problems[] = { "binary", "regression",
					"multiclass" };

/* Check the baseline of a schedule of type: data, a baseline directory
 * or a model version's (*dir gets what the schedule keeps: the absolute
 * directory or the reference); quality, a directory of model quality
 * constraints.json; attribution, a CSV of the baseline data. */
static int baseline_check(struct store *st, const char *type,
			  const char *baseline, char **dir,
			  struct mlops_err *err)
{
	struct monitor_report_baseline b;
	char *path = NULL;
	json_t *j = NULL;
	int ret = 0, fd;

	/* A model version's baseline is named as such and written back
	 * at each run, so that registering a new one takes effect. */
	if (strcmp(type, "data") == 0 && monitor_baseline_is_ref(baseline)) {
		ret = monitor_baseline_materialise(st, baseline, &path, err);
		free(path);
		*dir = ret == 0 ? xstrdup(baseline) : NULL;
		return ret;
	}
	*dir = fs_path_absolute(baseline);
	if (strcmp(type, "data") == 0) {
		ret = monitor_report_baseline_load(&b, *dir, err);
		if (ret == 0)
			monitor_report_baseline_release(&b);
	} else if (strcmp(type, "quality") == 0) {
		path = fs_path_join(*dir, "constraints.json");
		if (!fs_exists(path))
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no model "
					    "quality constraints in '%s'",
					    baseline);
		else
			ret = jsonio_load_file(&j, path, 0, err);
		if (ret == 0 && !json_is_object(j))
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s: not a "
					    "JSON object", path);
		json_decref(j);
		free(path);
	} else {
		fd = fs_open_input(*dir, err);
		if (fd < 0)
			ret = fd;
		else
			close(fd);
	}
	if (ret < 0) {
		free(*dir);
		*dir = NULL;
	}
	return ret;
}

static int schedule_insert(struct store *st, const char *name,
			   const char *endpoint, const char *baseline,
			   int64_t interval_us,
			   const struct monitor_schedule_spec *spec,
			   struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	sqlite3_stmt *q = NULL;
	char *dir = NULL, *user = NULL, *labels = NULL;
	const char *type = spec && spec->type ? spec->type : "data";
	int64_t now = time_now_us();
	int ret, known = 0;

	if (!deploy_endpoint_valid_name(name))
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "'%s' is not a valid "
				     "schedule name (letters, digits and "
				     "hyphens, at most 63)",
				     name);
	if (interval_us < 60 * 1000000ll)
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "the interval must be "
				     "at least one minute");
	if (strcmp(type, "data") != 0 && strcmp(type, "quality") != 0 &&
	    strcmp(type, "attribution") != 0)
		return mlops_err_set(err, MLOPS_EUSAGE, "unknown schedule "
				     "type '%s'", type);
	for (int i = 0; spec && spec->problem && i < 3; i++)
		known |= strcmp(spec->problem, problems[i]) == 0;
	if (strcmp(type, "quality") == 0 &&
	    (!spec->labels || !spec->problem || !known))
		return mlops_err_set(err, MLOPS_EUSAGE, "a quality schedule "
				     "needs --labels DIR and --problem binary,"
				     " regression or multiclass");
	if (strcmp(type, "quality") != 0 && spec &&
	    (spec->labels || spec->problem))
		return mlops_err_set(err, MLOPS_EUSAGE, "--labels and "
				     "--problem are for quality schedules");
	if (strcmp(type, "data") == 0 && spec && !isnan(spec->threshold))
		return mlops_err_set(err, MLOPS_EUSAGE, "--threshold is for "
				     "quality and attribution schedules");
	if ((ret = deploy_endpoint_get(st, endpoint, &e, err)) < 0)
		return ret;
	deploy_endpoint_free(e);
	if (strcmp(type, "quality") == 0) {
		if (!fs_is_dir(spec->labels))
			return mlops_err_set(err, MLOPS_ENOTFOUND, "no labels "
					     "directory '%s'", spec->labels);
		labels = fs_path_absolute(spec->labels);
	}
	if ((ret = baseline_check(st, type, baseline, &dir, err)) < 0)
		goto out;
	user = identity_user();
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = store_prepare(st, &q,
			    "INSERT INTO monitor_schedule (name, "
			    "endpoint, baseline, type, interval_us, "
			    "next_start_us, created_us, created_by, labels, "
			    "problem, threshold) VALUES "
			    "(?1, ?2, ?3, ?8, ?4, ?5, ?6, ?7, ?9, ?10, ?11) "
			    "ON CONFLICT (name) DO NOTHING",
			    err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, dir, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, interval_us);
	/* The first window is the interval in progress: it runs once it
	 * has ended. */
	sqlite3_bind_int64(q, 5, now - now % interval_us);
	sqlite3_bind_int64(q, 6, now);
	sqlite3_bind_text(q, 7, user, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, type, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 9, labels, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 10, spec ? spec->problem : NULL, -1,
			  SQLITE_STATIC);
	if (spec && !isnan(spec->threshold))
		sqlite3_bind_double(q, 11, spec->threshold);
	ret = store_step(q, "cannot add the schedule", err);
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND,
				    "schedule '%s' "
				    "already exists",
				    name);
	if (ret == 0)
		ret = store_commit(st, err);
out:
	if (ret < 0)
		store_rollback(st);
	sqlite3_finalize(q);
	free(dir);
	free(user);
	free(labels);
	return ret;
}

int monitor_schedule_create(struct store *st, const char *name,
			    const char *endpoint, const char *baseline,
			    int64_t interval_us,
			    const struct monitor_schedule_spec *spec,
			    struct mlops_err *err)
{
	struct audit_entry e = { "monitor.schedule.create", name, "success",
				 NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = schedule_insert(st, name, endpoint, baseline,
				      interval_us, spec, err);
	return audit_done(st, ret, &e, err);
}

int monitor_schedule_delete(struct store *st, const char *name,
			    struct mlops_err *err)
{
	struct audit_entry e = { "monitor.schedule.rm", name, "success",
				 NULL };
	sqlite3_stmt *q = NULL;
	int ret = audit_intend(st, e.action, name, err);

	if (ret < 0)
		return ret;
	ret = store_begin(st, err);

	if (ret == 0)
		ret = store_prepare(st, &q,
				    "DELETE FROM monitor_schedule "
				    "WHERE name = ?1",
				    err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot delete the schedule", err);
	}
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no schedule '%s'",
				    name);
	if (ret == 0)
		ret = store_commit(st, err);
	else
		store_rollback(st);
	sqlite3_finalize(q);
	return audit_done(st, ret, &e, err);
}

static char *column_text(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? xstrdup((const char *)s) : NULL;
}

int monitor_schedule_list(struct store *st, struct monitor_schedule **out,
			  size_t *n, struct mlops_err *err)
{
	struct monitor_schedule *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q,
				"SELECT name, endpoint, baseline, "
				"type, interval_us, next_start_us, "
				"created_us, created_by, labels, problem, "
				"threshold FROM "
				"monitor_schedule ORDER BY name",
				err);

	while (ret == 0 &&
	       (ret = store_step(q, "cannot list schedules", err)) == 1) {
		struct monitor_schedule *s;

		ALLOC_GROW(v, len + 1, cap);
		s = &v[len++];
		s->name = column_text(q, 0);
		s->endpoint = column_text(q, 1);
		s->baseline = column_text(q, 2);
		s->type = column_text(q, 3);
		s->interval_us = sqlite3_column_int64(q, 4);
		s->next_start_us = sqlite3_column_int64(q, 5);
		s->created_us = sqlite3_column_int64(q, 6);
		s->created_by = column_text(q, 7);
		s->labels = column_text(q, 8);
		s->problem = column_text(q, 9);
		s->threshold = sqlite3_column_type(q, 10) == SQLITE_NULL ?
			NAN : sqlite3_column_double(q, 10);
		ret = 0;
	}
	sqlite3_finalize(q);
	if (ret < 0) {
		monitor_schedule_list_free(v, len);
		return ret;
	}
	*out = v;
	*n = len;
	return 0;
}

void monitor_schedule_list_free(struct monitor_schedule *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		monitor_schedule_release(&v[i]);
	free(v);
}

/* What one window's capture becomes: a profile of the CSV rows of the
 * requests, columns named after the baseline's features in order. */
struct window {
	struct monitor_profile p;
	int started;
	const json_t *features; /* the baseline's statistics features */
	int64_t skipped;        /* requests that were not CSV */
	struct mlops_err err;
	int failed;
};

static int add_request(json_t *record, void *arg)
{
	struct window *w = arg;
	json_t *in = json_object_get(json_object_get(record, "captureData"),
				     "endpointInput");
	const char *enc = jsonio_str(in, "encoding");
	const char *data = jsonio_str(in, "data");
	struct csv_reader *r;
	char **fields;
	size_t n;
	int ret;

	if (!data || !enc || strcmp(enc, "CSV") != 0) {
		w->skipped++;
		return 0;
	}
	r = csv_reader_new_mem(data, strlen(data), "capture");
	while ((ret = csv_read(r, &n, &fields, &w->err)) == 1) {
		size_t *lens = xcalloc(n, sizeof(*lens));

		for (size_t i = 0; i < n; i++)
			lens[i] = csv_field_len(r, i);
		if (!w->started) {
			char **names = xcalloc(n, sizeof(*names));

			for (size_t i = 0; i < n; i++) {
				const char *f = jsonio_str(
				    json_array_get(w->features, i), "name");

				names[i] =
				    f ? xstrdup(f) : xasprintf("_c%zu", i);
			}
			ret = monitor_profile_begin(&w->p, n, names, "capture",
						    &w->err);
			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
			w->started = ret == 0;
		} else if (n != w->p.ncols) {
			ret = mlops_err_set(&w->err, MLOPS_EINPUT,
					    "a captured "
					    "request has %zu fields, earlier "
					    "ones %zu",
					    n, w->p.ncols);
		}
		if (ret >= 0)
			ret = monitor_profile_add_row(
			    &w->p, fields, lens, "capture",
			    (long)w->p.item_count + 1, &w->err);
		free(lens);
		if (ret < 0)
			break;
	}
	csv_reader_free(r);
	if (ret < 0) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

/* The execution id of a window: SCHEDULE-YYYYMMDDTHHMMSSZ of its start. */
static char *execution_id(const char *schedule, int64_t start_us)
{
	char t[TIME_RFC3339_MAX], compact[TIME_RFC3339_MAX];
	size_t j = 0;

	time_format(start_us, t);
	for (size_t i = 0; t[i]; i++)
		if (t[i] != '-' && t[i] != ':')
			compact[j++] = t[i];
	compact[j] = '\0';
	return xasprintf("%s-%s", schedule, compact);
}

/* One share of a window, the whole of it or one variant's (the model
 * version that answered, eventMetadata.variant), and its result. */
struct group {
	char *variant;			/* NULL for the whole window */
	struct window w;		/* data */
	struct monitor_quality *q;	/* quality */
	struct buf rows;		/* attribution: the requests' CSV */
	uint64_t nrows;
	/* The result. */
	const char *status;
	char *failure, *rel;		/* rel: store-relative report */
	uint64_t items;
	size_t nviol;
	json_t *extra;			/* more fields, or NULL */
};

/* A window of a schedule being run. */
struct run {
	struct store *st;
	const struct monitor_schedule *s;
	char *id;
	struct group all;
	struct group *vars;
	size_t nvars, cap;
	struct monitor_report_baseline b;	/* data */
	json_t *constraints;			/* quality */
	struct monitor_quality_labels *labels;		/* quality */
	enum monitor_quality_problem problem;	/* quality */
	double threshold;			/* quality */
	uint64_t shadow, skipped;	/* records left out */
	uint64_t unnamed;		/* records without a variant */
	long n;
};

static void group_release(struct group *g)
{
	free(g->variant);
	if (g->w.started)
		monitor_profile_release(&g->w.p);
	monitor_quality_free(g->q);
	buf_release(&g->rows);
	free(g->failure);
	free(g->rel);
	json_decref(g->extra);
}

/* The group of variant, made on first sight; NULL for "" (records
 * written before captures named their variant). */
static struct group *group_for(struct run *r, const char *variant)
{
	struct group *g;

	if (!*variant)
		return NULL;
	for (size_t i = 0; i < r->nvars; i++)
		if (strcmp(r->vars[i].variant, variant) == 0)
			return &r->vars[i];
	ALLOC_GROW(r->vars, r->nvars + 1, r->cap);
	g = &r->vars[r->nvars++];
	memset(g, 0, sizeof(*g));
	g->variant = xstrdup(variant);
	g->w.err = (struct mlops_err)MLOPS_ERR_INIT;
	g->w.features = r->all.w.features;
	buf_init(&g->rows);
	if (r->all.q)
		g->q = monitor_quality_new(r->problem, r->threshold);
	return g;
}

static void group_fail(struct group *g, const char *why)
{
	g->status = "Failed";
	free(g->failure);
	g->failure = xstrdup(why);
}

static const char *record_variant(json_t *rec, int *shadow)
{
	json_t *meta = json_object_get(rec, "eventMetadata");
	const char *v = jsonio_str(meta, "variant");

	*shadow = json_is_true(json_object_get(meta, "shadow"));
	return v ? v : "";
}

/* Data: each production request goes to its variant's profile (one
 * that names none, to the whole window's): the common window, which one
 * version served, is then profiled once, not twice. */
static int data_record(json_t *rec, void *arg)
{
	struct run *r = arg;
	int shadow;
	struct group *g = group_for(r, record_variant(rec, &shadow));

	if (shadow) {
		r->shadow++;
		return 0;
	}
	if (!g) {
		r->unnamed++;
		g = &r->all;
	}
	if (!g->w.failed)
		add_request(rec, &g->w);
	return 0;
}

/* The second pass of a window that several variants served: every
 * production request into the whole window's profile. */
static int data_record_all(json_t *rec, void *arg)
{
	struct run *r = arg;
	int shadow;
	const char *variant = record_variant(rec, &shadow);

	if (shadow || !*variant)
		return 0;	/* counted, or in the whole already */
	return add_request(rec, &r->all.w);
}

/* Attribution: the CSV rows of each production request, by variant. */
static int attribution_record(json_t *rec, void *arg)
{
	struct run *r = arg;
	json_t *in = json_object_get(json_object_get(rec, "captureData"),
				     "endpointInput");
	const char *enc = jsonio_str(in, "encoding");
	const char *data = jsonio_str(in, "data");
	int shadow;
	const char *variant = record_variant(rec, &shadow);
	struct group *g;

	if (shadow) {
		r->shadow++;
		return 0;
	}
	g = group_for(r, variant);
	if (!g || !data || !enc || strcmp(enc, "CSV") != 0 || !*data) {
		r->skipped++;
		return 0;
	}
	buf_addstr(&g->rows, data);
	if (g->rows.s[g->rows.len - 1] != '\n')
		buf_addch(&g->rows, '\n');
	for (const char *p = data; *p; p++)
		g->nrows += *p == '\n';
	g->nrows += data[strlen(data) - 1] != '\n';
	return 0;
}

/* Quality: each production prediction joined to its label, into the
 * whole window's accumulator and its variant's. */
static int quality_record(const struct monitor_predictions_item *p,
			  void *arg, struct mlops_err *err)
{
	struct run *r = arg;
	struct group *g;
	int ret;

	if (p->shadow) {
		r->shadow++;
		return 0;
	}
	g = group_for(r, p->variant);
	ret = monitor_quality_add(r->all.q, r->labels, p->id, p->value, 1,
				  g ? g->q : NULL, "capture", ++r->n, err);
	return ret < 0 ? ret : 0;
}

/* Write the report of g (its variant's under the window's). */
static int group_write(struct run *r, struct group *g, size_t n,
		       const char *const *names, json_t *const *docs,
		       struct mlops_err *err)
{
	char *dir;
	int ret;

	if (g->variant) {
		char *leaf = xstrdup(g->variant);

		/* GROUP/N as GROUP-N; the variant comes from a capture
		 * file, so nothing in it may climb out of the report. */
		for (char *p = leaf; *p; p++)
			if (*p == '/')
				*p = '-';
			else if (!isalnum((unsigned char)*p) && *p != '-' &&
				 *p != '_' && (*p != '.' || p == leaf))
				*p = '_';
		g->rel = xasprintf("monitoring/%s/%s/%s", r->s->name, r->id,
				   leaf);
		free(leaf);
	} else {
		g->rel = xasprintf("monitoring/%s/%s", r->s->name, r->id);
	}
	dir = store_path(r->st, g->rel);
	ret = monitor_report_write(dir, n, names, docs, err);
	free(dir);
	if (ret < 0) {
		free(g->rel);
		g->rel = NULL;
	}
	return ret;
}

/* Set g's status from its violations, or Failed with err's message. */
static void group_done(struct group *g, int ret, const struct mlops_err *err)
{
	if (ret < 0)
		group_fail(g, err->msg);
	else if (!g->status)
		g->status = g->nviol ? "CompletedWithViolations" : "Completed";
}

/* Check g's profile and write its report; twin (NULL: none), the whole
 * window when g is all of it, gets the same result and report. */
static void finish_data(struct run *r, struct group *g, struct group *twin)
{
	static const char *const names[] = {"constraint_violations.json",
					    "statistics.json"};
	json_t *docs[2] = {NULL, NULL};
	int ret = 0;

	g->items = g->w.p.item_count;
	if (g->w.failed) {
		ret = g->w.err.code;
	} else if (!g->w.started) {
		ret = mlops_err_set(&g->w.err, MLOPS_EINPUT, "no captured "
				    "CSV request in the window");
	} else {
		docs[0] = monitor_check(&r->b, &g->w.p, &g->w.err);
		ret = docs[0] ? 0 : g->w.err.code;
	}
	if (ret == 0) {
		docs[1] = monitor_report_statistics(&g->w.p);
		g->nviol = json_array_size(json_object_get(docs[0],
							   "violations"));
		ret = group_write(r, g, 2, names, docs, &g->w.err);
	}
	group_done(g, ret, &g->w.err);
	if (twin) {
		twin->items = g->items;
		twin->nviol = g->nviol;
		ret = ret < 0 ? ret : group_write(r, twin, 2, names, docs,
						  &g->w.err);
		group_done(twin, ret, &g->w.err);
	}
	json_decref(docs[0]);
	json_decref(docs[1]);
}

static void finish_quality(struct run *r, struct group *g)
{
	static const char *const names[] = {"constraint_violations.json",
					    "statistics.json"};
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *docs[2] = {NULL, NULL};
	int ret;

	g->items = monitor_quality_items(g->q);
	if (g->items == 0)
		ret = mlops_err_set(&err, MLOPS_EINPUT, "no captured "
				    "prediction in the window has a label "
				    "in %s", r->s->labels);
	else
		ret = monitor_quality_statistics(&docs[1], g->q, &err);
	if (ret == 0) {
		docs[0] = monitor_quality_check(docs[1], r->constraints, &err);
		ret = docs[0] ? 0 : err.code;
	}
	if (ret == 0) {
		g->nviol = json_array_size(json_object_get(docs[0],
							   "violations"));
		ret = group_write(r, g, 2, names, docs, &err);
	}
	group_done(g, ret, &err);
	json_decref(docs[0]);
	json_decref(docs[1]);
}

/* The model file of version ref, exported as the endpoint's own. */
static int model_file(struct run *r, const char *ref, char **out,
		      struct mlops_err *err)
{
	struct deploy_source_resolved res;
	struct deploy_endpoint_model m = {0};
	int ret = deploy_source_resolve(r->st, ref, &res, err);

	if (ret == 0 && strcmp(res.src.framework, "xgboost") != 0)
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s runs on %s: "
				    "attribution needs an xgboost model", ref,
				    res.src.framework);
	if (ret == 0)
		ret = deploy_endpoint_materialise(r->st, r->s->endpoint,
						  &res.src, &m, err);
	if (ret == 0) {
		char *dir = store_path(r->st, m.model_dir);

		*out = fs_path_join(dir, m.artifact);
		free(dir);
	}
	deploy_endpoint_model_release(&m);
	deploy_source_release(&res);
	return ret;
}

static void finish_attribution(struct run *r, struct group *g)
{
	static const char *const names[] = {"constraint_violations.json",
					    "attribution.json"};
	struct mlops_err err = MLOPS_ERR_INIT;
	double th = isnan(r->s->threshold) ? 0.9 : r->s->threshold;
	json_t *docs[2] = {NULL, NULL}, *viol = json_array();
	char *model = NULL;
	int ret, fd = -1;

	g->items = g->nrows;
	ret = model_file(r, g->variant, &model, &err);
	if (ret == 0 && (fd = fs_open_input(r->s->baseline, &err)) < 0)
		ret = fd;
	if (ret == 0)
		ret = monitor_attribution_drift_rows(&docs[1], model, fd,
			r->s->baseline, g->rows.s, g->rows.len, "capture", 0,
			&err);
	if (fd >= 0)
		close(fd);
	if (ret == 0) {
		double ndcg = json_real_value(json_object_get(docs[1],
							      "ndcg"));

		if (ndcg < th) {
			char desc[160];

			snprintf(desc, sizeof(desc), "NDCG %.6g of the "
				 "feature attribution ranking is below the "
				 "threshold %g", ndcg, th);
			json_array_append_new(viol, json_pack("{s:s,s:s,s:s}",
				"feature_name", "*", "constraint_check_type",
				"feature_attribution_drift_check",
				"description", desc));
		}
		g->nviol = json_array_size(viol);
		g->extra = json_pack("{s:f}", "ndcg", ndcg);
		docs[0] = json_pack("{s:O}", "violations", viol);
		ret = group_write(r, g, 2, names, docs, &err);
	}
	group_done(g, ret, &err);
	json_decref(viol);
	json_decref(docs[0]);
	json_decref(docs[1]);
	free(model);
}

/* Attribution has a model per variant, so the window's result is made of
 * its variants': items and violations add up; it failed when every
 * variant did (or there was none). */
static void sum_variants(struct run *r)
{
	struct group *g = &r->all;
	int ok = 0;

	for (size_t i = 0; i < r->nvars; i++) {
		const struct group *v = &r->vars[i];

		g->items += v->items;
		g->nviol += v->nviol;
		ok |= strcmp(v->status, "Failed") != 0;
		if (!g->failure && v->failure)
			g->failure = xasprintf("%s: %s", v->variant,
					       v->failure);
	}
	if (!r->nvars)
		group_fail(g, "no captured CSV request in the window");
	else if (!ok)
		g->status = "Failed";
	else
		g->status = g->nviol ? "CompletedWithViolations" : "Completed";
	if (ok) {
		free(g->failure);
		g->failure = NULL;
		g->rel = xasprintf("monitoring/%s/%s", r->s->name, r->id);
	}
}

/* Evaluate the window [start, end) of r->s into r->all and r->vars. */
static void evaluate(struct run *r, int64_t start, int64_t end)
{
	const struct monitor_schedule *s = r->s;
	char *capdir = store_path(r->st, "capture"), *bdir = NULL, *cpath;
	struct mlops_err err = MLOPS_ERR_INIT;
	int which = DEPLOY_CAPTURE_PRODUCTION | DEPLOY_CAPTURE_SHADOW;
	int ret = 0;

	if (strcmp(s->type, "data") == 0) {
		if (monitor_baseline_is_ref(s->baseline))
			ret = monitor_baseline_materialise(r->st, s->baseline,
							   &bdir, &err);
		else
			bdir = xstrdup(s->baseline);
		if (ret == 0)
			ret = monitor_report_baseline_load(&r->b, bdir, &err);
		if (ret == 0) {
			r->all.w.features = json_object_get(r->b.statistics,
							    "features");
			ret = deploy_capture_each_of(capdir, s->endpoint,
				which, start, end, data_record, r, &err);
		}
		/* Several sources: profile the whole in a second pass. */
		if (ret == 0 && r->nvars + (r->unnamed > 0) > 1)
			ret = deploy_capture_each_of(capdir, s->endpoint,
				DEPLOY_CAPTURE_PRODUCTION, start, end,
				data_record_all, r, &err);
		if (ret < 0)
			group_fail(&r->all, err.msg);
		else if (r->nvars == 1 && !r->unnamed)
			finish_data(r, &r->vars[0], &r->all);
		else
			finish_data(r, &r->all, NULL);
		for (size_t i = 0; ret == 0 && i < r->nvars; i++)
			if (r->nvars > 1 || r->unnamed)
				finish_data(r, &r->vars[i], NULL);
	} else if (strcmp(s->type, "quality") == 0) {
		enum monitor_quality_problem pb = MONITOR_QUALITY_BINARY;

		for (int i = 0; i < 3; i++)
			if (strcmp(s->problem, problems[i]) == 0)
				pb = i;
		r->problem = pb;
		r->threshold = isnan(s->threshold) ? 0.5 : s->threshold;
		r->all.q = monitor_quality_new(pb, r->threshold);
		cpath = fs_path_join(s->baseline, "constraints.json");
		ret = jsonio_load_file(&r->constraints, cpath, 0, &err);
		free(cpath);
		if (ret == 0)
			ret = monitor_quality_labels_load(&r->labels,
							  s->labels, &err);
		if (ret == 0)
			ret = monitor_predictions_capture(capdir, s->endpoint,
				which, start, end,
				pb == MONITOR_QUALITY_MULTICLASS,
				quality_record, r, &r->skipped, &err);
		if (ret < 0)
			group_fail(&r->all, err.msg);
		else
			finish_quality(r, &r->all);
		for (size_t i = 0; ret == 0 && i < r->nvars; i++)
			finish_quality(r, &r->vars[i]);
	} else {
		ret = deploy_capture_each_of(capdir, s->endpoint, which, start,
					     end, attribution_record, r, &err);
		for (size_t i = 0; ret == 0 && i < r->nvars; i++)
			finish_attribution(r, &r->vars[i]);
		if (ret < 0)
			group_fail(&r->all, err.msg);
		else
			sum_variants(r);
	}
	free(capdir);
	free(bdir);
}

/* The execution's detail: each variant's result, and what the window
 * held but the execution left out. */
static json_t *run_detail(const struct run *r)
{
	json_t *vars = json_array(), *d;

	for (size_t i = 0; i < r->nvars; i++) {
		const struct group *g = &r->vars[i];
		json_t *v;

		if (!g->status)
			continue;	/* the walk failed first */
		v = json_pack("{s:s,s:s,s:I,s:I}", "variant", g->variant,
			      "monitoringExecutionStatus", g->status, "items",
			      (json_int_t)g->items, "violations",
			      (json_int_t)g->nviol);
		if (g->failure)
			json_object_set_new(v, "failureReason",
					    json_string(g->failure));
		if (g->rel)
			json_object_set_new(v, "report", json_string(g->rel));
		if (g->extra)
			json_object_update(v, g->extra);
		json_array_append_new(vars, v);
	}
	d = json_pack("{s:o,s:I}", "variants", vars, "shadowRecordsExcluded",
		      (json_int_t)r->shadow);
	if (r->skipped)
		json_object_set_new(d, "recordsSkipped",
				    json_integer((json_int_t)r->skipped));
	if (r->all.q && monitor_quality_repeated(r->all.q))
		json_object_set_new(d, "repeatedInferenceIds", json_integer(
			(json_int_t)monitor_quality_repeated(r->all.q)));
	if (r->labels)
		json_object_set_new(d, "unmatchedLabels", json_integer(
			(json_int_t)monitor_quality_labels_unmatched(
				r->labels)));
	if (r->all.extra)
		json_object_update(d, r->all.extra);
	return d;
}

static void run_release(struct run *r)
{
	group_release(&r->all);
	for (size_t i = 0; i < r->nvars; i++)
		group_release(&r->vars[i]);
	free(r->vars);
	monitor_report_baseline_release(&r->b);
	json_decref(r->constraints);
	monitor_quality_labels_free(r->labels);
	free(r->id);
}

/* Run one window of s: evaluate it (writing the reports), then record
 * the execution, advance the schedule and emit the event in one
 * transaction. *exec gets the execution's JSON. */
static int run_window(struct store *st, const struct monitor_schedule *s,
		      json_t **exec, struct mlops_err *err)
{
	int64_t start = s->next_start_us, end = start + s->interval_us;
	struct run r = { .st = st, .s = s };
	const char *status;
	json_t *resources, *res, *detail;
	char ts[TIME_RFC3339_MAX], te[TIME_RFC3339_MAX], *dtext, *dir;
	sqlite3_stmt *q = NULL;
	int ret;

	r.id = execution_id(s->name, start);
	r.all.w.err = (struct mlops_err)MLOPS_ERR_INIT;
	buf_init(&r.all.rows);
	evaluate(&r, start, end);
	status = r.all.status;
	detail = run_detail(&r);
	dtext = json_dumps(detail, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = store_prepare(st, &q,
			    "INSERT INTO monitor_execution (id, "
			    "schedule, window_start_us, window_end_us, status, "
			    "items, violations, report, failure, ran_us, "
			    "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
			    "?9, ?10, ?11)",
			    err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, r.id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, start);
		sqlite3_bind_int64(q, 4, end);
		sqlite3_bind_text(q, 5, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, (int64_t)r.all.items);
		sqlite3_bind_int64(q, 7, (int64_t)r.all.nviol);
		sqlite3_bind_text(q, 8, r.all.rel, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 9, r.all.failure, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 10, time_now_us());
		sqlite3_bind_text(q, 11, dtext, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot record the execution", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(st, &q,
				    "UPDATE monitor_schedule SET "
				    "next_start_us = ?2 WHERE name = ?1 AND "
				    "next_start_us = ?3",
				    err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, end);
		sqlite3_bind_int64(q, 3, start);
		ret = store_step(q, "cannot advance the schedule", err);
	}
	time_format(start, ts);
	time_format(end, te);
	res = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "executionId",
			r.id, "monitoringScheduleName", s->name,
			"monitoringType", s->type, "endpointName",
			s->endpoint, "windowStart", ts, "windowEnd", te,
			"items", (json_int_t)r.all.items, "violations",
			(json_int_t)r.all.nviol);
	json_object_set_new(res, "monitoringExecutionStatus",
			    json_string(status));
	if (r.all.failure)
		json_object_set_new(res, "failureReason",
				    json_string(r.all.failure));
	if (r.all.rel) {
		dir = store_path(st, r.all.rel);
		json_object_set_new(res, "report", json_string(dir));
		free(dir);
	}
	json_object_update(res, detail);
	if (ret == 0) {
		resources = json_pack("[s]", s->name);
		ret = event_emit(st, "mlops.monitor",
				 "Monitoring Execution "
				 "Status Change",
				 resources, res, NULL, err);
		json_decref(resources);
	}
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0) {
		store_rollback(st);
		json_decref(res);
	} else {
		*exec = res;
	}
out:
	sqlite3_finalize(q);
	json_decref(detail);
	free(dtext);
	run_release(&r);
	return ret;
}

static int run_due(struct store *st, int64_t now_us,
		   int (*fn)(const json_t *exec, void *arg), void *arg,
		   struct mlops_err *err)
{
	char *lock = store_path(st, "monitor.lock");
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	struct monitor_schedule *v = NULL;
	size_t n = 0;
	int ret;

	if (fd < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot "
				      "open '%s'",
				      lock);
		free(lock);
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK
			  ? MONITOR_SCHEDULE_BUSY
			  : mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					    "cannot lock '%s'", lock);
		goto out;
	}
	if ((ret = monitor_schedule_list(st, &v, &n, err)) < 0)
		goto out;
	for (size_t i = 0; i < n && ret == 0; i++)
		while (ret == 0 &&
		       v[i].next_start_us + v[i].interval_us <= now_us) {
			json_t *exec = NULL;

			ret = run_window(st, &v[i], &exec, err);
			if (ret == 0) {
				v[i].next_start_us += v[i].interval_us;
				if (fn && fn(exec, arg) != 0)
					ret = MLOPS_EINTERNAL;
			}
			json_decref(exec);
		}
out:
	monitor_schedule_list_free(v, n);
	close(fd);
	free(lock);
	return ret;
}

int monitor_schedule_run_due(struct store *st, int64_t now_us,
			     int (*fn)(const json_t *exec, void *arg),
			     void *arg, struct mlops_err *err)
{
	struct audit_entry e = { "monitor.run-due", "schedules", "success",
				 NULL };
	int ret = audit_intend(st, e.action, e.resource, err);

	if (ret < 0)
		return ret;
	ret = run_due(st, now_us, fn, arg, err);
	if (ret == MONITOR_SCHEDULE_BUSY) {
		audit_cancel(st);
		return ret;
	}
	return audit_done(st, ret, &e, err);
}

static json_t *execution_json(sqlite3_stmt *q)
{
	char ts[TIME_RFC3339_MAX], te[TIME_RFC3339_MAX];
	json_t *j;

	time_format(sqlite3_column_int64(q, 2), ts);
	time_format(sqlite3_column_int64(q, 3), te);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "executionId",
		      (const char *)sqlite3_column_text(q, 0),
		      "monitoringScheduleName",
		      (const char *)sqlite3_column_text(q, 1), "windowStart",
		      ts, "windowEnd", te, "monitoringExecutionStatus",
		      (const char *)sqlite3_column_text(q, 4), "items",
		      (json_int_t)sqlite3_column_int64(q, 5), "violations",
		      (json_int_t)sqlite3_column_int64(q, 6));
	if (sqlite3_column_type(q, 7) != SQLITE_NULL)
		json_object_set_new(
		    j, "report",
		    json_string((const char *)sqlite3_column_text(q, 7)));
	if (sqlite3_column_type(q, 8) != SQLITE_NULL)
		json_object_set_new(
		    j, "failureReason",
		    json_string((const char *)sqlite3_column_text(q, 8)));
	if (sqlite3_column_type(q, 9) != SQLITE_NULL) {
		json_t *d = json_loads((const char *)sqlite3_column_text(q, 9),
				       0, NULL);

		if (json_is_object(d))
			json_object_update(j, d);
		json_decref(d);
	}
	return j;
}

#define EXEC_COLUMNS                                                           \
	"SELECT id, schedule, window_start_us, window_end_us, "                \
	"status, items, violations, report, failure, detail "                \
	"FROM monitor_execution "

int monitor_schedule_executions(struct store *st, const char *schedule,
				json_t **out, struct mlops_err *err)
{
	json_t *list = json_array();
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q,
				"SELECT 1 FROM monitor_schedule "
				"WHERE name = ?1",
				err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, schedule, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot look up the schedule", err);
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND,
					    "no schedule "
					    "'%s'",
					    schedule);
		else if (ret == 1)
			ret = 0;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(st, &q,
				    EXEC_COLUMNS "WHERE schedule = ?1 "
						 "ORDER BY window_start_us",
				    err);
	if (ret == 0)
		sqlite3_bind_text(q, 1, schedule, -1, SQLITE_STATIC);
	while (ret == 0 &&
	       (ret = store_step(q, "cannot list executions", err)) == 1) {
		json_array_append_new(list, execution_json(q));
		ret = 0;
	}
	sqlite3_finalize(q);
	if (ret < 0) {
		json_decref(list);
		return ret;
	}
	*out = list;
	return 0;
}

int monitor_schedule_execution_get(struct store *st, const char *id,
				   json_t **out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, EXEC_COLUMNS "WHERE id = ?1", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot look up the execution", err);
	}
	if (ret == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no execution '%s'",
				    id);
	if (ret == 1) {
		*out = execution_json(q);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}
