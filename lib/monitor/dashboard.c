/* dashboard.c - the model dashboard (dashboard.h): read-only queries
 * over the registry, the endpoints, their gateway counters and the
 * monitoring executions, and the page drawn from them. */
#include <math.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/time.h"
#include "monitor/monitor.h"

static const char *text_col(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? (const char *)s : "";
}

static int collect_models(json_t *models, struct store *st,
			  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT v.grp, v.version, v.status, "
				"(SELECT json_group_array(e.name) FROM "
				"endpoint e WHERE e.model = v.grp || '/' || "
				"v.version) "
				"FROM registry_version v ORDER BY v.grp, "
				"v.version", err);

	while (ret == 0 &&
	       (ret = store_step(q, "cannot list model versions", err)) == 1) {
		json_t *eps = json_loads(text_col(q, 3), 0, NULL);

		json_array_append_new(models, json_pack("{s:s,s:I,s:s,s:o}",
			"group", text_col(q, 0), "version",
			(json_int_t)sqlite3_column_int64(q, 1), "status",
			text_col(q, 2), "endpoints", eps ? eps : json_array()));
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

static void alert(json_t *alerts, const char *kind, const char *subject,
		  const char *message)
{
	json_array_append_new(alerts, json_pack("{s:s,s:s,s:s}", "kind", kind,
						"subject", subject, "message",
						message));
}

static int collect_endpoints(json_t *eps, json_t *alerts, struct store *st,
			     double max_error_rate, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT e.name, e.model, "
				"coalesce(s.requests, 0), coalesce(s.errors, "
				"0), (SELECT count(*) FROM monitor_schedule m "
				"WHERE m.endpoint = e.name) FROM endpoint e "
				"LEFT JOIN endpoint_stats s ON s.endpoint = "
				"e.name ORDER BY e.name", err);

	while (ret == 0 &&
	       (ret = store_step(q, "cannot list endpoints", err)) == 1) {
		const char *name = text_col(q, 0);
		int64_t req = sqlite3_column_int64(q, 2);
		int64_t errs = sqlite3_column_int64(q, 3);
		double rate = req > 0 ? (double)errs / (double)req : 0;
		char msg[256];

		json_array_append_new(eps, json_pack("{s:s,s:s,s:I,s:I,s:f,"
			"s:I}", "name", name, "model", text_col(q, 1),
			"requests", (json_int_t)req, "errors",
			(json_int_t)errs, "error_rate", rate, "schedules",
			(json_int_t)sqlite3_column_int64(q, 4)));
		if (rate > max_error_rate) {
			snprintf(msg, sizeof(msg), "error rate %.2f%% over "
				 "the limit of %.2f%%", 100 * rate,
				 100 * max_error_rate);
			alert(alerts, "error_rate", name, msg);
		}
		if (sqlite3_column_int64(q, 4) == 0) {
			snprintf(msg, sizeof(msg), "serves %s with no "
				 "monitoring schedule", text_col(q, 1));
			alert(alerts, "unmonitored", name, msg);
		}
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

static int collect_schedules(json_t *scheds, json_t *alerts,
			     struct store *st, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL, *x = NULL;
	int ret = store_prepare(st, &q, "SELECT name, endpoint FROM "
				"monitor_schedule ORDER BY name", err);

	if (ret == 0)
		ret = store_prepare(st, &x, "SELECT window_start_us, status, "
				    "violations, items FROM monitor_execution "
				    "WHERE schedule = ?1 ORDER BY "
				    "window_start_us", err);
	while (ret == 0 &&
	       (ret = store_step(q, "cannot list schedules", err)) == 1) {
		const char *name = text_col(q, 0);
		json_t *execs = json_array(), *last = NULL;

		sqlite3_reset(x);
		sqlite3_bind_text(x, 1, name, -1, SQLITE_TRANSIENT);
		while ((ret = store_step(x, "cannot list executions",
					 err)) == 1) {
			char t[TIME_RFC3339_MAX];

			time_format(sqlite3_column_int64(x, 0), t);
			last = json_pack("{s:s,s:s,s:I,s:I}", "start", t,
				"status", text_col(x, 1), "violations",
				(json_int_t)sqlite3_column_int64(x, 2),
				"items", (json_int_t)sqlite3_column_int64(x,
									  3));
			json_array_append_new(execs, last);
		}
		if (ret == 0 && last &&
		    strcmp(jsonio_str(last, "status"), "Completed") != 0) {
			char msg[256];

			snprintf(msg, sizeof(msg), "last execution %s: %s, "
				 "%lld violations", json_string_value(
				 json_object_get(last, "start")),
				 jsonio_str(last, "status"), (long long)
				 json_integer_value(json_object_get(last,
					"violations")));
			alert(alerts, "violations", name, msg);
		}
		json_array_append_new(scheds, json_pack("{s:s,s:s,s:o,s:O}",
			"name", name, "endpoint", text_col(q, 1),
			"executions", execs, "last",
			last ? last : json_null()));
	}
	sqlite3_finalize(q);
	sqlite3_finalize(x);
	return ret;
}

int monitor_dashboard_collect(json_t **out, struct store *st,
			      double max_error_rate, struct mlops_err *err)
{
	json_t *models = json_array(), *eps = json_array();
	json_t *scheds = json_array(), *alerts = json_array();
	int ret = collect_models(models, st, err);

	if (ret == 0)
		ret = collect_schedules(scheds, alerts, st, err);
	if (ret == 0)
		ret = collect_endpoints(eps, alerts, st, max_error_rate, err);
	if (ret < 0) {
		json_decref(models);
		json_decref(eps);
		json_decref(scheds);
		json_decref(alerts);
		return ret;
	}
	*out = json_pack("{s:o,s:o,s:o,s:o}", "models", models, "endpoints",
			 eps, "schedules", scheds, "alerts", alerts);
	return 0;
}

static void esc(struct buf *b, const char *s)
{
	for (; *s; s++)
		switch (*s) {
		case '&':
			buf_addstr(b, "&amp;");
			break;
		case '<':
			buf_addstr(b, "&lt;");
			break;
		case '>':
			buf_addstr(b, "&gt;");
			break;
		case '"':
			buf_addstr(b, "&quot;");
			break;
		default:
			buf_addch(b, *s);
		}
}

/* A bar per execution, its height the violations, red when the
 * execution found any or failed. */
static void chart(struct buf *b, const json_t *execs)
{
	size_t n = json_array_size(execs), i;
	double max = 1;
	const json_t *e;

	json_array_foreach(execs, i, e)
		max = fmax(max, (double)json_integer_value(
			json_object_get(e, "violations")));
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%zu\" "
		 "height=\"60\" role=\"img\"><title>violations per "
		 "execution</title>", n * 12 + 2);
	json_array_foreach(execs, i, e) {
		double v = (double)json_integer_value(json_object_get(e,
			"violations"));
		int h = 2 + (int)(50 * v / max);
		int bad = strcmp(jsonio_str(e, "status"), "Completed") != 0;

		buf_addf(b, "<rect x=\"%zu\" y=\"%d\" width=\"10\" "
			 "height=\"%d\" fill=\"%s\"><title>", i * 12 + 1,
			 58 - h, h, bad ? "#c0392b" : "#27ae60");
		esc(b, jsonio_str(e, "start"));
		buf_addf(b, " %s, %.0f violations</title></rect>",
			 jsonio_str(e, "status"), v);
	}
	buf_addstr(b, "</svg>");
}

void monitor_dashboard_html(struct buf *b, const json_t *d)
{
	const json_t *x;
	size_t i;

	buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		   "charset=\"utf-8\"><title>Model dashboard</title><style>"
		   "body{font-family:sans-serif;margin:2em;color:#222}"
		   "table{border-collapse:collapse;margin-bottom:2em}"
		   "th,td{border:1px solid #ccc;padding:4px 8px;"
		   "text-align:left}th{background:#eee}"
		   ".alert{color:#c0392b}</style></head><body>\n"
		   "<h1>Model dashboard</h1>\n<h2>Alerts</h2>\n<ul>");
	json_array_foreach(json_object_get(d, "alerts"), i, x) {
		buf_addstr(b, "<li class=\"alert\">");
		esc(b, jsonio_str(x, "subject"));
		buf_addstr(b, ": ");
		esc(b, jsonio_str(x, "message"));
		buf_addstr(b, "</li>");
	}
	buf_addstr(b, "</ul>\n<h2>Models</h2>\n<table><tr><th>model</th>"
		   "<th>version</th><th>status</th><th>endpoints</th></tr>");
	json_array_foreach(json_object_get(d, "models"), i, x) {
		const json_t *ep;
		size_t j;

		buf_addstr(b, "<tr><td>");
		esc(b, jsonio_str(x, "group"));
		buf_addf(b, "</td><td>%lld</td><td>", (long long)
			 json_integer_value(json_object_get(x, "version")));
		esc(b, jsonio_str(x, "status"));
		buf_addstr(b, "</td><td>");
		json_array_foreach(json_object_get(x, "endpoints"), j, ep) {
			if (j)
				buf_addstr(b, ", ");
			esc(b, json_string_value(ep));
		}
		buf_addstr(b, "</td></tr>");
	}
	buf_addstr(b, "</table>\n<h2>Endpoints</h2>\n<table><tr><th>endpoint"
		   "</th><th>model</th><th>requests</th><th>errors</th>"
		   "<th>schedules</th></tr>");
	json_array_foreach(json_object_get(d, "endpoints"), i, x) {
		buf_addstr(b, "<tr><td>");
		esc(b, jsonio_str(x, "name"));
		buf_addstr(b, "</td><td>");
		esc(b, jsonio_str(x, "model"));
		buf_addf(b, "</td><td>%lld</td><td>%lld</td><td>%lld</td>"
			 "</tr>", (long long)json_integer_value(
			 json_object_get(x, "requests")), (long long)
			 json_integer_value(json_object_get(x, "errors")),
			 (long long)json_integer_value(json_object_get(x,
			 "schedules")));
	}
	buf_addstr(b, "</table>\n<h2>Monitoring schedules</h2>\n<table><tr>"
		   "<th>schedule</th><th>endpoint</th><th>last execution"
		   "</th><th>violations per execution</th></tr>");
	json_array_foreach(json_object_get(d, "schedules"), i, x) {
		const json_t *last = json_object_get(x, "last");

		buf_addstr(b, "<tr><td>");
		esc(b, jsonio_str(x, "name"));
		buf_addstr(b, "</td><td>");
		esc(b, jsonio_str(x, "endpoint"));
		buf_addstr(b, "</td><td>");
		if (json_is_object(last)) {
			esc(b, jsonio_str(last, "start"));
			buf_addstr(b, " ");
			esc(b, jsonio_str(last, "status"));
		} else {
			buf_addstr(b, "none yet");
		}
		buf_addstr(b, "</td><td>");
		chart(b, json_object_get(x, "executions"));
		buf_addstr(b, "</td></tr>");
	}
	buf_addstr(b, "</table>\n</body></html>\n");
}
