/* views.c - one function per page of the site. Each collects its JSON
 * with the library functions the matching CLI uses (so `?format=json`
 * gives what `--json` prints) and renders the HTML from that JSON,
 * escaping every value. Reads only. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/html.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "feature/feature.h"
#include "monitor/monitor.h"
#include "registry/registry.h"
#include "shadow/shadow.h"
#include "web/internal.h"

#define RECENT 20	/* events and audit records on the home page */
#define SAMPLE 20	/* online records on a feature group's page */

static const char *str(const json_t *o, const char *key)
{
	return jsonio_str(o, key);
}

static void heading(struct web_ctx *c, int level, const char *text)
{
	buf_addf(c->b, "<h%d>", level);
	html_escape(c->b, text);
	buf_addf(c->b, "</h%d>\n", level);
}

/* A two-column table of the scalar fields of o named in keys. */
static void fields(struct web_ctx *c, const json_t *o,
		   const char *const *keys)
{
	buf_addstr(c->b, "<table>\n");
	for (; *keys; keys++) {
		buf_addstr(c->b, "<tr><th>");
		html_escape(c->b, *keys);
		buf_addstr(c->b, "</th>");
		web_page_cell_json(c, json_object_get(o, *keys));
		buf_addstr(c->b, "</tr>\n");
	}
	buf_addstr(c->b, "</table>\n");
}

/* A table of the array of objects rows, one column per key. */
static void rows_table(struct web_ctx *c, const json_t *rows,
		       const char *const *keys, const char *empty)
{
	const json_t *r;
	size_t i;

	if (!json_array_size(rows)) {
		buf_addstr(c->b, "<p>");
		html_escape(c->b, empty);
		buf_addstr(c->b, "</p>\n");
		return;
	}
	web_page_table(c, keys);
	json_array_foreach(rows, i, r) {
		buf_addstr(c->b, "<tr>");
		for (const char *const *k = keys; *k; k++)
			web_page_cell_json(c, json_object_get(r, *k));
		buf_addstr(c->b, "</tr>\n");
	}
	buf_addstr(c->b, "</table>\n");
}

/* Begin a page that lists n things: its frame, its heading, and the
 * table's head row, or empty as a sentence when n is 0; list_end
 * closes what list_begin opened. */
static void list_begin(struct web_ctx *c, const char *title,
		       const char *section, size_t n,
		       const char *const *cols, const char *empty)
{
	web_page_begin(c, title, section);
	heading(c, 1, title);
	if (n) {
		web_page_table(c, cols);
		return;
	}
	buf_addstr(c->b, "<p>");
	html_escape(c->b, empty);
	buf_addstr(c->b, "</p>\n");
}

static void list_end(struct web_ctx *c, size_t n)
{
	if (n)
		buf_addstr(c->b, "</table>\n");
	web_page_end(c);
}

/* Home */

static int count_group(const struct feature_group *g, void *arg)
{
	(void)g;
	(*(int64_t *)arg)++;
	return 0;
}

static int recent_event(int64_t seq, json_t *ev, void *arg)
{
	(void)seq;
	json_array_append(arg, ev);
	return 0;
}

static int recent_audit(json_t *rec, void *arg)
{
	json_array_append(arg, rec);
	if (json_array_size(arg) > RECENT)
		json_array_remove(arg, 0);
	return 0;
}

int web_views_home(struct web_ctx *c, struct mlops_err *err)
{
	static const char *const ev_cols[] = { "time", "source",
		"detail-type", "resources", NULL };
	static const char *const au_cols[] = { "time", "user", "tool",
		"action", "resource", "outcome", NULL };
	struct monitor_dashboard_limits lim = MONITOR_DASHBOARD_LIMITS_INIT;
	struct event_filter f = EVENT_FILTER_INIT;
	struct registry_group *gs = NULL;
	struct deploy_endpoint **eps = NULL;
	json_t *dash = NULL, *events = json_array();
	json_t *audit = json_array(), *counts;
	int64_t ngroups = 0, nversions = 0, nruns = 0;
	size_t nmg = 0, neps = 0;
	size_t i;
	int ret;

	lim.history = 1;
	f.limit = RECENT;
	if ((ret = feature_each(c->st, count_group, &ngroups, err)) < 0 ||
	    (ret = pipeline_runs_count(c->st, &nruns, err)) < 0 ||
	    (ret = registry_group_list(c->st, &gs, &nmg, err)) < 0 ||
	    (ret = deploy_endpoint_list(c->st, &eps, &neps, err)) < 0 ||
	    (ret = monitor_dashboard_collect(&dash, c->st, &lim, err)) < 0 ||
	    (ret = event_each(c->st, &f, recent_event, events, err)) < 0 ||
	    (ret = audit_each(c->st, recent_audit, audit, err)) < 0)
		goto out;
	for (i = 0; i < nmg; i++)
		nversions += gs[i].versions;
	counts = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "feature_groups",
		(json_int_t)ngroups, "pipeline_runs", (json_int_t)nruns,
		"model_groups",
		(json_int_t)nmg, "model_versions", (json_int_t)nversions,
		"endpoints", (json_int_t)neps, "schedules", (json_int_t)
		json_array_size(json_object_get(dash, "schedules")),
		"shadow_tests", (json_int_t)json_array_size(
		json_object_get(dash, "shadow_tests")));
	c->json = json_pack("{s:s,s:s,s:o,s:O,s:O,s:O}", "environment",
			    c->st->env, "store", c->st->dir, "counts", counts,
			    "alerts", json_object_get(dash, "alerts"),
			    "events", events, "audit", audit);
	web_page_begin(c, "Home", "Home");
	buf_addstr(c->b, "<h1>Store ");
	html_escape(c->b, c->st->env);
	buf_addstr(c->b, "</h1>\n<p class=\"note\">");
	html_escape(c->b, c->st->dir);
	buf_addstr(c->b, "</p>\n");
	fields(c, counts, (const char *const[]){ "feature_groups",
	       "pipeline_runs", "model_groups", "model_versions",
	       "endpoints", "schedules", "shadow_tests", NULL });
	heading(c, 2, "Alerts");
	rows_table(c, json_object_get(dash, "alerts"),
		   (const char *const[]){ "kind", "subject", "message", NULL },
		   "No alert.");
	heading(c, 2, "Recent events");
	rows_table(c, events, ev_cols, "No event.");
	heading(c, 2, "Recent audit records");
	rows_table(c, audit, au_cols, "No audit record.");
	web_page_end(c);
out:
	json_decref(dash);
	json_decref(events);
	json_decref(audit);
	registry_group_list_free(gs, nmg);
	deploy_endpoint_list_free(eps, neps);
	return ret;
}

/* Feature groups */

struct group_list {
	struct store *st;
	json_t *list;
	struct mlops_err *err;
};

static int list_group(const struct feature_group *g, void *arg)
{
	struct group_list *gl = arg;
	struct feature_stats s;
	int ret;

	if ((ret = feature_stats(gl->st, g, &s, gl->err)) < 0)
		return ret;
	json_array_append_new(gl->list, feature_stats_json(g, &s));
	feature_stats_release(&s);
	return 0;
}

int web_views_features(struct web_ctx *c, struct mlops_err *err)
{
	static const char *const cols[] = { "name", "features", "records",
		"online", "offline bytes", "last ingest", NULL };
	struct group_list gl = { c->st, json_array(), err };
	const json_t *g;
	size_t i;
	int ret;

	if ((ret = feature_each(c->st, list_group, &gl, err)) < 0) {
		json_decref(gl.list);
		return ret;
	}
	c->json = gl.list;
	list_begin(c, "Feature groups", "Features", json_array_size(gl.list),
		   cols, "No feature group.");
	json_array_foreach(gl.list, i, g) {
		buf_addstr(c->b, "<tr><td>");
		web_page_linkf(c, str(g, "name"), "features/%s.html",
			       str(g, "name"));
		buf_addf(c->b, "</td><td>%zu</td>", json_array_size(
			 json_object_get(g, "features")));
		web_page_cell_json(c, json_object_get(g, "record_count"));
		web_page_cell_json(c, json_object_get(g, "online_count"));
		web_page_cell_json(c, json_object_get(g, "offline_bytes"));
		web_page_cell_json(c, json_object_get(g, "last_ingest"));
		buf_addstr(c->b, "</tr>\n");
	}
	list_end(c, json_array_size(gl.list));
	return 0;
}

struct parts {
	const char *dir;
	json_t *list;
};

static int add_part(const struct feature_offline_part *p, void *arg)
{
	struct parts *ps = arg;
	size_t n = strlen(ps->dir);
	const char *rel = p->path;
	char when[TIME_RFC3339_MAX];

	if (strncmp(rel, ps->dir, n) == 0 && rel[n] == '/')
		rel += n + 1;
	time_format(p->write_time_us, when);
	json_array_append_new(ps->list, json_pack("{s:s,s:I,s:s}", "path",
			      rel, "rows", (json_int_t)p->rows, "written",
			      when));
	return 0;
}

int web_views_feature(struct web_ctx *c, const char *name,
		      struct mlops_err *err)
{
	static const char *const engines[] = { "spark", "trino", "duckdb" };
	static const char *const info[] = { "name", "description",
		"record_identifier", "event_time", "ttl_us",
		"online", "offline", "record_count", "online_count",
		"offline_files", "offline_bytes", "created", "created_by",
		"last_ingest", NULL };
	struct feature_group *g = NULL;
	struct feature_stats s;
	struct parts ps = { c->st->dir, json_array() };
	json_t *sample = NULL, *ddl = json_object(), *o;
	const json_t *x;
	size_t i;
	int ret;

	if ((ret = feature_load(c->st, name, &g, err)) < 0)
		goto out;
	if ((ret = feature_stats(c->st, g, &s, err)) < 0)
		goto out;
	o = feature_stats_json(g, &s);
	feature_stats_release(&s);
	c->json = o;
	if ((ret = feature_offline_each_part(c->st, g, INT64_MAX, add_part,
					     &ps, err)) < 0 ||
	    (ret = feature_online_sample(c->st, g, SAMPLE, &sample, err)) < 0)
		goto out;
	for (i = 0; i < 3; i++) {
		struct buf sql = BUF_INIT;
		enum feature_ddl_engine e;

		feature_ddl_engine_parse(engines[i], &e);
		if (feature_ddl_print(&sql, c->st, g, e, NULL, NULL) == 0)
			json_object_set_new(ddl, engines[i], json_string(
					    sql.s));
		else
			json_object_set_new(ddl, engines[i], json_null());
		buf_release(&sql);
	}
	json_object_set(o, "partitions", ps.list);
	json_object_set(o, "sample", sample);
	json_object_set(o, "ddl", ddl);
	web_page_begin(c, name, "Features");
	buf_addstr(c->b, "<h1>Feature group ");
	html_escape(c->b, name);
	buf_addstr(c->b, "</h1>\n");
	fields(c, o, info);
	heading(c, 2, "Features");
	rows_table(c, json_object_get(o, "features"), (const char *const[]){
		   "name", "type", NULL }, "No feature.");
	heading(c, 2, "Online records (sample)");
	if (!json_array_size(sample)) {
		buf_addstr(c->b, "<p>No online record.</p>\n");
	} else {
		const char **cols = xcalloc(g->nfeatures + 1,
					    sizeof(*cols));

		for (i = 0; i < g->nfeatures; i++)
			cols[i] = g->features[i].name;
		web_page_table(c, cols);
		free(cols);
		json_array_foreach(sample, i, x) {
			buf_addstr(c->b, "<tr>");
			for (size_t k = 0; k < g->nfeatures; k++)
				web_page_cell_json(c, json_object_get(x,
						   g->features[k].name));
			buf_addstr(c->b, "</tr>\n");
		}
		buf_addstr(c->b, "</table>\n");
	}
	heading(c, 2, "Offline partitions");
	rows_table(c, ps.list, (const char *const[]){ "path", "rows",
		   "written", NULL }, "No offline file.");
	heading(c, 2, "Tables for Spark, Trino and DuckDB");
	for (i = 0; i < 3; i++) {
		heading(c, 3, engines[i]);
		buf_addstr(c->b, "<pre>");
		html_escape(c->b, str(ddl, engines[i]));
		buf_addstr(c->b, "</pre>\n");
	}
	web_page_end(c);
out:
	json_decref(ps.list);
	json_decref(sample);
	json_decref(ddl);
	feature_group_free(g);
	return ret;
}

/* Pipelines */

/* "3 Succeeded, 1 Skipped" from a run's stepCounts. */
static void step_counts(struct buf *out, const json_t *run)
{
	const char *key;
	json_t *v;

	json_object_foreach(json_object_get(run, "stepCounts"), key, v)
		buf_addf(out, "%s%" JSON_INTEGER_FORMAT " %s", out->len ?
			 ", " : "", json_integer_value(v), key);
}

int web_views_pipelines(struct web_ctx *c, struct mlops_err *err)
{
	static const char *const cols[] = { "run", "pipeline", "status",
		"steps", "cached", "commit", "created", "duration (s)", NULL };
	const json_t *r;
	json_t *runs;
	size_t i;
	int ret;

	if ((ret = pipeline_runs_list(c->st, &runs, err)) < 0)
		return ret;
	c->json = runs;
	list_begin(c, "Pipeline runs", "Pipelines", json_array_size(runs),
		   cols, "No pipeline run.");
	json_array_foreach(runs, i, r) {
		struct buf steps = BUF_INIT;
		char commit[13];

		snprintf(commit, sizeof(commit), "%s", str(r, "gitCommit") ?
			 str(r, "gitCommit") : "");
		step_counts(&steps, r);
		buf_addstr(c->b, "<tr><td>");
		web_page_linkf(c, str(r, "id"), "runs/%s.html", str(r, "id"));
		buf_addstr(c->b, "</td>");
		web_page_cell(c, str(r, "pipeline"));
		web_page_cell(c, str(r, "status"));
		web_page_cell(c, steps.s);
		web_page_cell_json(c, json_object_get(r, "cacheHits"));
		web_page_cell(c, *commit ? commit : NULL);
		web_page_cell(c, str(r, "created"));
		web_page_cell_json(c, json_object_get(r, "duration"));
		buf_addstr(c->b, "</tr>\n");
		buf_release(&steps);
	}
	list_end(c, json_array_size(runs));
	return 0;
}

int web_views_run(struct web_ctx *c, const char *id, struct mlops_err *err)
{
	static const char *const info[] = { "id", "pipeline", "status",
		"executor", "gitCommit", "gitRepo", "user", "created",
		"ended", "duration", "failureReason", NULL };
	static const char *const cols[] = { "step", "status", "cache",
		"attempts", "exit", "started", "duration (s)", "reason",
		"log", NULL };
	struct mlops_err derr = MLOPS_ERR_INIT;
	struct pipeline *p = NULL;
	const json_t *s;
	json_t *run;
	size_t i;
	int ret;

	if ((ret = pipeline_runs_get(c->st, id, &run, err)) < 0)
		return ret;
	c->json = run;
	web_page_begin(c, id, "Pipelines");
	buf_addstr(c->b, "<h1>Run ");
	html_escape(c->b, id);
	buf_addstr(c->b, "</h1>\n");
	fields(c, run, info);
	heading(c, 2, "Parameters");
	web_page_pre_json(c, json_object_get(run, "parameters"));
	heading(c, 2, "Steps");
	if (pipeline_runs_definition(c->st, run, &p, &derr) == 0) {
		web_dag_svg(c, p, run);
	} else {
		buf_addstr(c->b, "<p class=\"alert\">No graph: ");
		html_escape(c->b, derr.msg);
		buf_addstr(c->b, "</p>\n");
	}
	pipeline_free(p);
	web_page_table(c, cols);
	json_array_foreach(json_object_get(run, "steps"), i, s) {
		const json_t *src = json_object_get(s, "cacheSource");

		buf_addstr(c->b, "<tr>");
		web_page_cell(c, str(s, "name"));
		web_page_cell(c, str(s, "status"));
		web_page_cell(c, json_is_true(json_object_get(s, "cacheHit")) ?
			      "hit" : json_is_string(src) ? "miss" : NULL);
		web_page_cell_json(c, json_object_get(s, "attempts"));
		web_page_cell_json(c, json_object_get(s, "exitCode"));
		web_page_cell(c, str(s, "started"));
		web_page_cell_json(c, json_object_get(s, "duration"));
		web_page_cell(c, str(s, "failureReason"));
		buf_addstr(c->b, "<td>");
		web_page_linkf(c, "log", "runs/%s/%s.log", id, str(s, "name"));
		buf_addstr(c->b, "</td></tr>\n");
	}
	buf_addstr(c->b, "</table>\n");
	web_page_end(c);
	return 0;
}

int web_views_step_log(struct buf *out, struct store *st, const char *id,
		       const char *step, struct mlops_err *err)
{
	const json_t *s;
	json_t *run;
	size_t i;
	int ret, found = 0;

	if ((ret = pipeline_runs_get(st, id, &run, err)) < 0)
		return ret;
	/* The name comes from the store, never from the URL, into the
	 * path: a request names a step the run has, or nothing. */
	json_array_foreach(json_object_get(run, "steps"), i, s)
		if (strcmp(str(s, "name"), step) == 0) {
			char *path = xasprintf("%s/runs/%s/logs/%s.log",
					       st->dir, str(run, "id"),
					       str(s, "name"));

			found = 1;
			if (fs_exists(path))
				ret = buf_read_file(out, path, 64 << 20, err);
			else
				ret = mlops_err_set(err, MLOPS_ENOTFOUND,
						    "step '%s' of run '%s' "
						    "has no log", step, id);
			free(path);
			break;
		}
	json_decref(run);
	if (!found)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "run '%s' has no "
				    "step '%s'", id, step);
	return ret;
}

/* Registry */

int web_views_registry(struct web_ctx *c, struct mlops_err *err)
{
	static const char *const cols[] = { "group", "versions", "latest",
		"approved", "description", NULL };
	struct registry_group *gs = NULL;
	size_t n = 0;
	int ret;

	if ((ret = registry_group_list(c->st, &gs, &n, err)) < 0)
		return ret;
	c->json = json_array();
	list_begin(c, "Model groups", "Registry", n, cols, "No model group.");
	for (size_t i = 0; i < n; i++) {
		json_t *o = registry_group_json(&gs[i]);

		json_array_append_new(c->json, o);
		buf_addstr(c->b, "<tr><td>");
		web_page_linkf(c, gs[i].name, "registry/%s.html", gs[i].name);
		buf_addstr(c->b, "</td>");
		web_page_cell_json(c, json_object_get(o, "versions"));
		web_page_cell_json(c, json_object_get(o, "latest"));
		web_page_cell_json(c, json_object_get(o, "latest_approved"));
		web_page_cell(c, gs[i].description);
		buf_addstr(c->b, "</tr>\n");
	}
	list_end(c, n);
	registry_group_list_free(gs, n);
	return 0;
}

/* "auc=0.91, rmse=0.3" of the numbers at the top of metrics. */
static void metric_summary(struct buf *out, const json_t *metrics)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)metrics, key, v)
		if (json_is_number(v))
			buf_addf(out, "%s%s=%.6g", out->len ? ", " : "", key,
				 json_number_value(v));
}

int web_views_group(struct web_ctx *c, const char *group,
		    struct mlops_err *err)
{
	static const char *const info[] = { "name", "description",
		"versions", "latest", "latest_approved", "created",
		"created_by", NULL };
	static const char *const cols[] = { "version", "status", "metrics",
		"framework", "created", "by", NULL };
	struct registry_group *g = NULL;
	struct registry_version **mvs = NULL;
	json_t *versions = json_array();
	size_t n = 0;
	int ret;

	if ((ret = registry_group_get(c->st, group, &g, err)) < 0 ||
	    (ret = registry_version_list(c->st, group, NULL, &mvs, &n,
					 err)) < 0)
		goto out;
	c->json = registry_group_json(g);
	json_object_set(c->json, "model_versions", versions);
	web_page_begin(c, group, "Registry");
	buf_addstr(c->b, "<h1>Model group ");
	html_escape(c->b, group);
	buf_addstr(c->b, "</h1>\n");
	fields(c, c->json, info);
	heading(c, 2, "Versions");
	web_page_table(c, cols);
	for (size_t i = 0; i < n; i++) {
		json_t *o = registry_version_json(mvs[i]);
		struct buf m = BUF_INIT, v = BUF_INIT;

		json_array_append_new(versions, o);
		buf_addf(&v, "%" PRId64, mvs[i]->version);
		metric_summary(&m, json_object_get(o, "metrics"));
		buf_addstr(c->b, "<tr><td>");
		web_page_linkf(c, v.s, "registry/%s/%" PRId64 ".html", group,
			       mvs[i]->version);
		buf_addstr(c->b, "</td>");
		web_page_cell_json(c, json_object_get(o, "status"));
		web_page_cell(c, m.len ? m.s : NULL);
		web_page_cell_json(c, json_object_get(o, "framework"));
		web_page_cell_json(c, json_object_get(o, "created"));
		web_page_cell_json(c, json_object_get(o, "created_by"));
		buf_addstr(c->b, "</tr>\n");
		buf_release(&m);
		buf_release(&v);
	}
	buf_addstr(c->b, "</table>\n");
	web_page_end(c);
out:
	json_decref(versions);
	registry_group_free(g);
	registry_version_list_free(mvs, n);
	return ret;
}

int web_views_version(struct web_ctx *c, const char *group, const char *n,
		      struct mlops_err *err)
{
	static const char *const info[] = { "group", "version", "status",
		"framework", "entry", "created", "created_by", "description",
		NULL };
	struct registry_version *mv = NULL, *prev = NULL;
	struct mlops_err cerr = MLOPS_ERR_INIT;
	json_t *o = NULL, *card = NULL, *lineage = NULL, *diff = NULL;
	struct buf title = BUF_INIT;
	int64_t version;
	int ret, differ;

	if (parse_int64(n, 1, INT64_MAX, &version, "version", err) < 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "model '%s' has "
				     "no version '%s'", group, n);
	if ((ret = registry_version_get(c->st, group, version, &mv,
					err)) < 0 ||
	    (ret = registry_report_show(c->st, mv, &o, err)) < 0 ||
	    (ret = registry_report_lineage(c->st, mv, &lineage, err)) < 0)
		goto out;
	if (registry_card_get(c->st, group, version, 0, &card, &cerr) < 0 &&
	    cerr.code != MLOPS_ENOTFOUND) {
		ret = mlops_err_set(err, cerr.code, "%s", cerr.msg);
		goto out;
	}
	if (version > 1 && registry_version_get(c->st, group, version - 1,
						&prev, &cerr) == 0)
		diff = registry_report_diff(prev, mv, &differ);
	json_object_set(o, "card", card ? card : json_null());
	json_object_set(o, "lineage_report", lineage);
	json_object_set(o, "diff_previous", diff ? diff : json_null());
	c->json = o;
	o = NULL;
	buf_addf(&title, "%s/%" PRId64, group, version);
	web_page_begin(c, title.s, "Registry");
	buf_addstr(c->b, "<h1>Model ");
	web_page_linkf(c, group, "registry/%s.html", group);
	buf_addf(c->b, " version %" PRId64 "</h1>\n", version);
	fields(c, c->json, info);
	heading(c, 2, "Metrics");
	web_page_pre_json(c, json_object_get(c->json, "metrics"));
	heading(c, 2, "Lineage");
	web_page_pre_json(c, lineage);
	heading(c, 2, "Approval history");
	rows_table(c, json_object_get(c->json, "history"),
		   (const char *const[]){ "time", "status", "previous", "user",
		   "note", NULL }, "No change of status.");
	if (diff) {
		buf_addf(&title, " against %" PRId64, version - 1);
		heading(c, 2, title.s);
		rows_table(c, json_object_get(diff, "metrics"),
			   (const char *const[]){ "key", "a", "b", "delta",
			   NULL }, "No metric.");
		rows_table(c, json_object_get(diff, "params"),
			   (const char *const[]){ "key", "a", "b", NULL },
			   "No parameter.");
	}
	heading(c, 2, "Model card");
	if (card) {
		buf_reset(&title);
		buf_addf(&title, "%s/%" PRId64, group, version);
		buf_addstr(c->b, "<section class=\"card\">\n");
		if ((ret = registry_modelcard_render(c->b, card, title.s,
						     "fragment", err)) < 0)
			goto out;
		buf_addstr(c->b, "</section>\n");
	} else {
		buf_addstr(c->b, "<p>No model card.</p>\n");
	}
	web_page_end(c);
out:
	buf_release(&title);
	json_decref(o);
	json_decref(card);
	json_decref(lineage);
	json_decref(diff);
	registry_version_free(mv);
	registry_version_free(prev);
	return ret;
}

/* Endpoints */

/* "GROUP/N" as a link to that version's page. */
static void model_link(struct web_ctx *c, const char *ref)
{
	const char *slash = ref ? strrchr(ref, '/') : NULL;

	buf_addstr(c->b, "<td>");
	if (slash) {
		struct buf p = BUF_INIT;

		buf_addstr(&p, "registry/");
		buf_add(&p, ref, (size_t)(slash - ref));
		buf_addf(&p, "/%s.html", slash + 1);
		web_page_link(c, p.s, ref);
		buf_release(&p);
	} else {
		html_escape(c->b, ref ? ref : "-");
	}
	buf_addstr(c->b, "</td>");
}

int web_views_endpoints(struct web_ctx *c, struct mlops_err *err)
{
	static const char *const cols[] = { "endpoint", "model", "status",
		"requests", "errors", "captured", "auth", NULL };
	struct deploy_gateway_record *recs = NULL;
	struct deploy_endpoint **eps = NULL;
	size_t n = 0, nrecs = 0;
	int ret;

	if ((ret = deploy_endpoint_list(c->st, &eps, &n, err)) < 0 ||
	    (ret = deploy_gateway_record_list(c->st->dir, &recs, &nrecs,
					      err)) < 0)
		goto out;
	c->json = json_array();
	list_begin(c, "Endpoints", "Endpoints", n, cols, "No endpoint.");
	for (size_t i = 0; i < n; i++) {
		json_t *o = deploy_endpoint_json(eps[i], recs, nrecs);
		const json_t *k = json_object_get(o, "counters");

		json_array_append_new(c->json, o);
		buf_addstr(c->b, "<tr><td>");
		web_page_linkf(c, eps[i]->name, "endpoints/%s.html",
			       eps[i]->name);
		buf_addstr(c->b, "</td>");
		model_link(c, eps[i]->cur.ref);
		web_page_cell(c, str(o, "status"));
		web_page_cell_json(c, json_object_get(k, "requests"));
		web_page_cell_json(c, json_object_get(k, "errors"));
		web_page_cell_json(c, json_object_get(k, "captured"));
		web_page_cell(c, str(o, "auth"));
		buf_addstr(c->b, "</tr>\n");
	}
	list_end(c, n);
out:
	deploy_endpoint_list_free(eps, n);
	deploy_gateway_record_list_free(recs, nrecs);
	return ret;
}

/* The shadow tests of endpoint name, each with its report (null when
 * it has none yet). */
static int endpoint_shadows(struct store *st, const char *name,
			    json_t **out, struct mlops_err *err)
{
	struct shadow_report_limits lim = SHADOW_REPORT_LIMITS_INIT;
	struct shadow_test **ts = NULL;
	size_t n = 0;
	int ret;

	if ((ret = shadow_list(st, &ts, &n, err)) < 0)
		return ret;
	*out = json_array();
	for (size_t i = 0; i < n; i++) {
		struct mlops_err rerr = MLOPS_ERR_INIT;
		json_t *o, *rep = NULL;
		int worse = 0;

		if (strcmp(ts[i]->endpoint, name) != 0)
			continue;
		o = shadow_test_json(ts[i]);
		if (shadow_report(st, ts[i]->name, &lim, &rep, &worse,
				  &rerr) < 0)
			rep = NULL;
		json_object_set_new(o, "report", rep ? rep : json_null());
		json_array_append_new(*out, o);
	}
	shadow_list_free(ts, n);
	return 0;
}

int web_views_endpoint(struct web_ctx *c, const char *name,
		       struct mlops_err *err)
{
	static const char *const info[] = { "name", "model", "framework",
		"previous_model", "status", "auth", "keys", "generation",
		"created", "updated", NULL };
	struct deploy_gateway_record *recs = NULL;
	struct deploy_endpoint *e = NULL;
	json_t *shadows = NULL, *lat;
	size_t nrecs = 0;
	int ret;

	if ((ret = deploy_endpoint_get(c->st, name, &e, err)) < 0 ||
	    (ret = deploy_gateway_record_list(c->st->dir, &recs, &nrecs,
					      err)) < 0 ||
	    (ret = endpoint_shadows(c->st, name, &shadows, err)) < 0)
		goto out;
	c->json = deploy_endpoint_json(e, recs, nrecs);
	lat = json_object();
	if (e->latency) {
		json_object_set_new(lat, "p50", json_real(
			deploy_endpoint_latency_quantile(e->latency, 0.5)));
		json_object_set_new(lat, "p99", json_real(
			deploy_endpoint_latency_quantile(e->latency, 0.99)));
	}
	json_object_set_new(c->json, "latency_ms", lat);
	json_object_set(c->json, "shadow_tests", shadows);
	web_page_begin(c, name, "Endpoints");
	buf_addstr(c->b, "<h1>Endpoint ");
	html_escape(c->b, name);
	buf_addstr(c->b, "</h1>\n<table><tr><th>serves</th>");
	model_link(c, e->cur.ref);
	buf_addstr(c->b, "</tr></table>\n");
	fields(c, c->json, info);
	heading(c, 2, "Traffic");
	fields(c, json_object_get(c->json, "counters"), (const char *const[]){
	       "requests", "errors", "cold_starts", "captured",
	       "capture_dropped", "as_of", NULL });
	fields(c, lat, (const char *const[]){ "p50", "p99", NULL });
	heading(c, 2, "Settings");
	web_page_pre_json(c, json_object_get(c->json, "settings"));
	heading(c, 2, "Shadow tests");
	rows_table(c, shadows, (const char *const[]){ "name", "model",
		   "status", "sample_percent", "pairs_kept", "start", "end",
		   NULL }, "No shadow test.");
	for (size_t i = 0; i < json_array_size(shadows); i++) {
		const json_t *t = json_array_get(shadows, i);

		if (json_is_null(json_object_get(t, "report")))
			continue;
		buf_addstr(c->b, "<h3>Report of ");
		html_escape(c->b, str(t, "name"));
		buf_addstr(c->b, "</h3>\n");
		web_page_pre_json(c, json_object_get(t, "report"));
	}
	web_page_end(c);
out:
	json_decref(shadows);
	deploy_endpoint_free(e);
	deploy_gateway_record_list_free(recs, nrecs);
	return ret;
}

/* Monitoring */

int web_views_monitoring(struct web_ctx *c, struct mlops_err *err)
{
	struct monitor_dashboard_limits lim = MONITOR_DASHBOARD_LIMITS_INIT;
	int ret;

	if ((ret = monitor_dashboard_collect(&c->json, c->st, &lim,
					     err)) < 0)
		return ret;
	web_page_begin(c, "Monitoring", "Monitoring");
	monitor_dashboard_html_sections(c->b, c->json);
	web_page_end(c);
	return 0;
}
