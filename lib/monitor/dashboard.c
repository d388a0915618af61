/* dashboard.c - the model dashboard (monitor.h): read-only queries over
 * the registry, the endpoints and the counters their gateways wrote
 * back, the monitoring schedules and executions, and the shadow tests,
 * gathered into one JSON object with the alerts they call for. The page
 * drawn from it is dashboard_html.c's. */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "monitor/monitor.h"
#include "shadow/shadow.h"

static const char *text_col(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? (const char *)s : "";
}

static json_t *time_json(int64_t us)
{
	char t[TIME_RFC3339_MAX];

	time_format(us, t);
	return json_string(t);
}

static json_t *num_or_null(double v)
{
	return isfinite(v) ? json_real(v) : json_null();
}

static void alert(json_t *alerts, const char *kind, const char *subject,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void alert(json_t *alerts, const char *kind, const char *subject,
		  const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	json_array_append_new(alerts, json_pack("{s:s,s:s,s:s}", "kind", kind,
						"subject", subject, "message",
						msg));
}

/* Every model version with its approval, its card's status, whether a
 * baseline is registered with it, and the endpoints serving it. */
static int collect_models(json_t *models, struct store *st,
			  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT v.grp, v.version, v.status, "
		"(SELECT c.status FROM registry_card c WHERE c.grp = v.grp "
		"AND c.version = v.version ORDER BY c.revision DESC LIMIT 1), "
		"EXISTS (SELECT 1 FROM monitor_baseline b WHERE b.grp = v.grp "
		"AND b.version = v.version), (SELECT json_group_array(name) "
		"FROM (SELECT e.name FROM endpoint e WHERE e.model = v.grp || "
		"'/' || v.version ORDER BY e.name)) FROM registry_version v "
		"ORDER BY v.grp, v.version", err);

	while (ret == 0 &&
	       (ret = store_step(q, "cannot list model versions", err)) == 1) {
		json_t *eps = json_loads(text_col(q, 5), 0, NULL);
		json_t *m = json_pack("{s:s,s:I,s:o,s:s,s:o,s:b,s:o}",
			"group", text_col(q, 0), "version",
			(json_int_t)sqlite3_column_int64(q, 1), "model",
			json_sprintf("%s/%" PRId64, text_col(q, 0),
				     (int64_t)sqlite3_column_int64(q, 1)),
			"status", text_col(q, 2), "card",
			sqlite3_column_type(q, 3) == SQLITE_NULL ? json_null() :
			json_string(text_col(q, 3)), "baseline",
			sqlite3_column_int(q, 4), "endpoints",
			eps ? eps : json_array());

		json_array_append_new(models, m);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

/* Per model group (models is ordered by group): how many versions, the
 * latest, the latest approved, and which version each endpoint
 * serving the group deploys. */
static json_t *groups_of(const json_t *models)
{
	json_t *groups = json_array(), *g = NULL;
	const json_t *m, *ep;
	size_t i, j;

	json_array_foreach(models, i, m) {
		const char *name = jsonio_str(m, "group");
		json_t *version = json_object_get(m, "version");

		if (!g || strcmp(jsonio_str(g, "group"), name) != 0) {
			g = json_pack("{s:s,s:i,s:n,s:n,s:[]}", "group", name,
				      "versions", 0, "latest", "approved",
				      "deployed");
			json_array_append_new(groups, g);
		}
		json_object_set_new(g, "versions", json_integer(
			json_integer_value(json_object_get(g, "versions")) +
			1));
		json_object_set(g, "latest", version);
		if (!strcmp(jsonio_str(m, "status"), "Approved"))
			json_object_set(g, "approved", version);
		json_array_foreach(json_object_get(m, "endpoints"), j, ep)
			json_array_append_new(json_object_get(g, "deployed"),
				json_pack("{s:O,s:O}", "endpoint", ep,
					  "version", version));
	}
	return groups;
}

/* The statistics.json an execution kept, or NULL when it has none or
 * it cannot be read (a dashboard shows what it can). */
static json_t *exec_statistics(struct store *st, const json_t *e)
{
	const char *report = jsonio_str(e, "report");
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *stats = NULL;
	char *rel, *path;

	if (!report)
		return NULL;
	rel = xasprintf("%s/statistics.json", report);
	path = store_path(st, rel);
	if (jsonio_load_file(&stats, path, 0, &err) < 0)
		stats = NULL;
	free(rel);
	free(path);
	return stats;
}

/* The ROC curve of a binary quality schedule's latest execution that
 * has one: {start, auc, false_positive_rates, true_positive_rates}, or
 * null. */
static json_t *roc_of(struct store *st, const json_t *execs)
{
	for (size_t i = json_array_size(execs); i-- > 0;) {
		const json_t *e = json_array_get(execs, i);
		json_t *stats = exec_statistics(st, e), *out = NULL;
		const json_t *m = json_object_get(stats,
			"binary_classification_metrics");
		const json_t *roc = json_object_get(m,
			"receiver_operating_characteristic_curve");

		if (json_is_object(roc))
			out = json_pack("{s:O,s:O,s:O,s:O}", "start",
				json_object_get(e, "start"), "auc",
				json_object_get(json_object_get(m, "auc"),
						"value"),
				"false_positive_rates", json_object_get(roc,
					"false_positive_rates"),
				"true_positive_rates", json_object_get(roc,
					"true_positive_rates"));
		json_decref(stats);
		if (out)
			return out;
	}
	return json_null();
}

/* The drift of each feature over executions, from the schedule's
 * baseline and each execution's statistics.json: {thresholds, features:
 * [{name, threshold, points: [{start, distance}]}]}, or {error} when
 * the baseline cannot be read. */
static json_t *drift_of(struct store *st, const char *baseline,
			const json_t *execs)
{
	struct monitor_report_baseline b;
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *features = json_array(), *th, *out;
	const json_t *f, *e;
	size_t i, j;

	if (monitor_trend_baseline(&b, st, baseline, &err) < 0) {
		json_decref(features);
		return json_pack("{s:s}", "error", err.msg);
	}
	th = monitor_trend_thresholds(b.constraints);
	json_array_foreach(json_object_get(b.statistics, "features"), i, f) {
		int cat = !strcmp(jsonio_str(f, "inferred_type") ?: "",
				  "String");

		json_array_append_new(features, json_pack("{s:s,s:O,s:[]}",
			"name", jsonio_str(f, "name"), "threshold",
			json_object_get(th, cat ? "categorical" :
					"numerical"), "points"));
	}
	json_array_foreach(execs, i, e) {
		json_t *stats = exec_statistics(st, e), *d;

		if (!stats)
			continue;
		d = monitor_trend_distances(b.statistics, stats);
		json_array_foreach(features, j, f) {
			json_t *v = json_object_get(d, jsonio_str(f, "name"));

			if (v)
				json_array_append_new(json_object_get(f,
					"points"), json_pack("{s:O,s:O}",
					"start", json_object_get(e, "start"),
					"distance", v));
		}
		json_decref(d);
		json_decref(stats);
	}
	out = json_pack("{s:o,s:o}", "thresholds", th, "features", features);
	monitor_report_baseline_release(&b);
	return out;
}

static int collect_schedules(json_t *scheds, json_t *alerts,
			     struct store *st,
			     const struct monitor_dashboard_limits *lim,
			     struct mlops_err *err)
{
	sqlite3_stmt *q = NULL, *x = NULL;
	int ret = store_prepare(st, &q, "SELECT name, endpoint, baseline, "
				"type, interval_us, (SELECT count(*) FROM "
				"monitor_execution e WHERE e.schedule = "
				"s.name) FROM monitor_schedule s ORDER BY name",
				err);

	if (ret == 0)
		ret = store_prepare(st, &x, "SELECT * FROM (SELECT id, "
				    "window_start_us, status, violations, "
				    "items, report, failure FROM "
				    "monitor_execution WHERE schedule = ?1 "
				    "ORDER BY window_start_us DESC LIMIT ?2) "
				    "ORDER BY window_start_us", err);
	while (ret == 0 &&
	       (ret = store_step(q, "cannot list schedules", err)) == 1) {
		const char *name = text_col(q, 0);
		json_t *execs = json_array(), *last = NULL, *s;

		sqlite3_reset(x);
		sqlite3_bind_text(x, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int64(x, 2, (int64_t)lim->history);
		while ((ret = store_step(x, "cannot list executions",
					 err)) == 1) {
			last = json_pack("{s:s,s:o,s:s,s:I,s:I}", "id",
				text_col(x, 0), "start",
				time_json(sqlite3_column_int64(x, 1)),
				"status", text_col(x, 2), "violations",
				(json_int_t)sqlite3_column_int64(x, 3),
				"items", (json_int_t)sqlite3_column_int64(x,
									  4));
			if (sqlite3_column_type(x, 5) != SQLITE_NULL)
				json_object_set_new(last, "report",
					json_string(text_col(x, 5)));
			if (sqlite3_column_type(x, 6) != SQLITE_NULL)
				json_object_set_new(last, "failure",
					json_string(text_col(x, 6)));
			json_array_append_new(execs, last);
		}
		if (ret < 0) {
			json_decref(execs);
			break;
		}
		if (last && strcmp(jsonio_str(last, "status"), "Completed"))
			alert(alerts, "violations", name, "last execution %s: "
			      "%s, %" JSON_INTEGER_FORMAT " violations%s%s",
			      json_string_value(json_object_get(last,
								"start")),
			      jsonio_str(last, "status"),
			      json_integer_value(json_object_get(last,
								 "violations")),
			      jsonio_str(last, "failure") ? ": " : "",
			      jsonio_str(last, "failure") ?: "");
		s = json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:o,s:O}", "name",
			name, "endpoint", text_col(q, 1), "baseline",
			text_col(q, 2), "type", text_col(q, 3), "interval_s",
			(json_int_t)(sqlite3_column_int64(q, 4) /
				     TIME_US_PER_SEC), "executions_total",
			(json_int_t)sqlite3_column_int64(q, 5), "executions",
			execs, "last", last ? last : json_null());
		json_object_set_new(s, "drift", strcmp(text_col(q, 3), "data") ?
				    json_null() : drift_of(st, text_col(q, 2),
							   execs));
		json_object_set_new(s, "roc", strcmp(text_col(q, 3),
						     "quality") ?
				    json_null() : roc_of(st, execs));
		json_array_append_new(scheds, s);
	}
	sqlite3_finalize(q);
	sqlite3_finalize(x);
	return ret;
}

static int64_t start_of(const json_t *exec)
{
	int64_t us = 0;

	if (time_parse(jsonio_str(exec, "start"), &us, NULL) < 0)
		return 0;
	return us;
}

/* The schedules of endpoint name, and the latest execution of any. */
static void endpoint_monitoring(json_t *ep, const json_t *scheds,
				const char *name)
{
	json_t *names = json_array(), *last = NULL;
	const json_t *s;
	size_t i;

	json_array_foreach(scheds, i, s) {
		const json_t *l = json_object_get(s, "last");

		if (strcmp(jsonio_str(s, "endpoint"), name))
			continue;
		json_array_append_new(names, json_string(jsonio_str(s,
								    "name")));
		if (json_is_object(l) && (!last ||
					   start_of(l) > start_of(last))) {
			json_decref(last);
			last = json_deep_copy(l);
			json_object_set_new(last, "schedule",
					    json_string(jsonio_str(s, "name")));
		}
	}
	json_object_set_new(ep, "schedules", names);
	json_object_set_new(ep, "last_execution", last ? last : json_null());
}

static int model_has_baseline(const json_t *models, const char *ref)
{
	const json_t *m;
	size_t i;

	json_array_foreach(models, i, m)
		if (!strcmp(jsonio_str(m, "model"), ref))
			return json_is_true(json_object_get(m, "baseline"));
	return 0;
}

static void endpoint_alerts(json_t *alerts, const json_t *ep,
			    const json_t *models,
			    const struct monitor_dashboard_limits *lim)
{
	const char *name = jsonio_str(ep, "name");
	const char *model = jsonio_str(ep, "model");
	double rate = json_number_value(json_object_get(ep, "error_rate"));
	const json_t *p99 = json_object_get(json_object_get(ep, "latency_ms"),
					    "p99");

	if (rate > lim->max_error_rate)
		alert(alerts, "error_rate", name, "error rate %.2f%% over the "
		      "limit of %.2f%%", 100 * rate, 100 * lim->max_error_rate);
	if (json_is_number(p99) && json_number_value(p99) > lim->max_p99_ms)
		alert(alerts, "latency", name, "latency p99 %.3g ms over the "
		      "limit of %g ms", json_number_value(p99),
		      lim->max_p99_ms);
	if (!json_array_size(json_object_get(ep, "schedules")))
		alert(alerts, "unmonitored", name, "serves %s with no "
		      "monitoring schedule", model);
	if (!model_has_baseline(models, model))
		alert(alerts, "no_baseline", model, "deployed on %s with no "
		      "baseline registered (mlops-monitor baseline "
		      "--register %s)", name, model);
}

static int collect_endpoints(json_t *eps, json_t *alerts, struct store *st,
			     const json_t *models, const json_t *scheds,
			     const struct monitor_dashboard_limits *lim,
			     struct mlops_err *err)
{
	struct deploy_endpoint **v = NULL;
	size_t n = 0;
	int ret = deploy_endpoint_list(st, &v, &n, err);

	for (size_t i = 0; ret == 0 && i < n; i++) {
		const struct deploy_endpoint *e = v[i];
		double rate = e->requests > 0 ? (double)e->errors /
			(double)e->requests : 0;
		double p50 = deploy_endpoint_latency_quantile(e->latency, 0.5);
		double p99 = deploy_endpoint_latency_quantile(e->latency,
							      0.99);
		json_t *ep = json_pack("{s:s,s:s?,s:s?}", "name", e->name,
				       "model", e->cur.ref, "previous",
				       e->prev.ref);

		/* No row: no gateway wrote counters, which is not zero. */
		if (e->stats_us)
			json_object_update_new(ep, json_pack("{s:o,s:I,s:I,"
				"s:f}", "counters_updated",
				time_json(e->stats_us), "requests",
				(json_int_t)e->requests, "errors",
				(json_int_t)e->errors, "error_rate", rate));
		else
			json_object_update_new(ep, json_pack("{s:n,s:n,s:n,"
				"s:n}", "counters_updated", "requests",
				"errors", "error_rate"));

		json_object_set_new(ep, "latency_ms", isfinite(p50) ?
			json_pack("{s:o,s:o}", "p50", num_or_null(p50), "p99",
				  num_or_null(p99)) : json_null());
		endpoint_monitoring(ep, scheds, e->name);
		endpoint_alerts(alerts, ep, models, lim);
		json_array_append_new(eps, ep);
	}
	deploy_endpoint_list_free(v, n);
	return ret;
}

/* Every shadow test, newest first, with the agreement of its pairs. A
 * running test whose end has passed shows as Completed, as a running
 * gateway or the next mlops-shadow command will mark it: the dashboard
 * changes nothing. */
static int collect_shadows(json_t *out, struct store *st,
			   struct mlops_err *err)
{
	struct shadow_report_limits lim = SHADOW_REPORT_LIMITS_INIT;
	struct shadow_test **v = NULL;
	int64_t now = time_now_us();
	size_t n = 0;
	int ret = shadow_list(st, &v, &n, err);

	lim.ks_2samp = monitor_ks_2samp;
	for (size_t i = 0; ret == 0 && i < n; i++) {
		const struct shadow_test *t = v[i];
		json_t *rep = NULL, *ag;
		int worse = 0;

		ret = shadow_report(st, t->name, &lim, &rep, &worse, err);
		if (ret < 0)
			break;
		ag = json_object_get(json_object_get(rep, "agreement"),
				     "classes");
		json_array_append_new(out, json_pack("{s:s,s:s,s:s,s:s,s:s,"
			"s:s,s:o,s:o,s:I,s:O,s:O,s:b,s:O}", "name", t->name,
			"endpoint", t->endpoint, "production", t->production,
			"shadow", t->model.ref, "kind", t->kind, "status",
			!strcmp(t->status, "Running") && t->end_us <= now ?
			"Completed" : t->status, "start",
			time_json(t->start_us), "end", time_json(t->ended_us ?
			t->ended_us : t->end_us), "pairs", (json_int_t)
			json_integer_value(json_object_get(rep, "pairs")),
			"agreement", json_object_get(ag, "agreement"),
			"within_tolerance", json_object_get(json_object_get(
			json_object_get(rep, "agreement"), "numeric"),
			"within_tolerance"), "worse", worse, "reasons",
			json_object_get(rep, "reasons")));
		json_decref(rep);
	}
	shadow_list_free(v, n);
	return ret;
}

int monitor_dashboard_collect(json_t **out, struct store *st,
			      const struct monitor_dashboard_limits *lim,
			      struct mlops_err *err)
{
	json_t *models = json_array(), *eps = json_array();
	json_t *scheds = json_array(), *alerts = json_array();
	json_t *shadows = json_array();
	int ret = collect_models(models, st, err);

	if (ret == 0)
		ret = collect_schedules(scheds, alerts, st, lim, err);
	if (ret == 0)
		ret = collect_endpoints(eps, alerts, st, models, scheds, lim,
					err);
	if (ret == 0)
		ret = collect_shadows(shadows, st, err);
	if (ret < 0) {
		json_decref(models);
		json_decref(eps);
		json_decref(scheds);
		json_decref(alerts);
		json_decref(shadows);
		return ret;
	}
	*out = json_pack("{s:o,s:{s:f,s:f,s:I},s:o,s:o,s:o,s:o,s:o,s:o}",
			 "generated", time_json(time_now_us()), "limits",
			 "max_error_rate", lim->max_error_rate, "max_p99_ms",
			 lim->max_p99_ms, "history", (json_int_t)lim->history,
			 "groups", groups_of(models), "models", models,
			 "endpoints", eps, "schedules", scheds,
			 "shadow_tests", shadows, "alerts", alerts);
	return 0;
}
