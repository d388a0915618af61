/* dashboard.c - mlops-monitor dashboard: the model dashboard as tables,
 * JSON or one HTML page. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "core/table.h"
#include "monitor/monitor.h"
#include "verbs.h"

const char usage_dashboard[] =
	"usage: mlops-monitor dashboard [--json] [--html FILE] [--history N]\n"
	"                               [--max-error-rate X] "
	"[--max-p99-ms MS]\n"
	"\n"
	"One view of every model group and version, endpoint, monitoring\n"
	"schedule and shadow test of the store: approval and card status,\n"
	"deployed versions, requests, errors and latency, executions and\n"
	"drift per feature, with alerts: schedules whose last execution\n"
	"found violations or failed, endpoints over the error rate or the\n"
	"p99 latency, endpoints no schedule monitors, deployed versions\n"
	"with no registered baseline.\n"
	"\n"
	"  --history N         executions shown per schedule (default 30)\n"
	"  --html FILE         also write one self-contained HTML page\n"
	"  --json              print the dashboard as one JSON object\n"
	"  --max-error-rate X  alert above this share of errors (default "
	"0.05)\n"
	"  --max-p99-ms MS     alert above this latency p99 (default 1000)\n";

enum { OPT_HISTORY = 500, OPT_HTML, OPT_JSON, OPT_MAX_ERROR_RATE,
       OPT_MAX_P99 };

/* Cells are formatted into one scratch line each; table_add copies. */
struct row {
	char cell[10][96];
	const char *p[10];
};

static const char *fmt_int(struct row *r, int i, const json_t *v)
{
	if (!json_is_integer(v))
		return NULL;
	snprintf(r->cell[i], sizeof(r->cell[i]), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(v));
	return r->cell[i];
}

static const char *fmt_num(struct row *r, int i, const json_t *v,
			   const char *fmt)
{
	if (!json_is_number(v))
		return NULL;
	snprintf(r->cell[i], sizeof(r->cell[i]), fmt, json_number_value(v));
	return r->cell[i];
}

static const char *fmt_list(struct row *r, int i, const json_t *list,
			    const char *key)
{
	const json_t *x;
	size_t j, at = 0;

	r->cell[i][0] = '\0';
	json_array_foreach(list, j, x) {
		const char *s = key ? jsonio_str(x, key) :
			json_string_value(x);
		int n = snprintf(r->cell[i] + at, sizeof(r->cell[i]) - at,
				 "%s%s", j ? "," : "", s ? s : "");

		if (n < 0 || (size_t)n >= sizeof(r->cell[i]) - at)
			break;
		at += (size_t)n;
	}
	return r->cell[i];
}

static void print_groups(const json_t *d)
{
	static const char *const h[] = { "group", "versions", "latest",
					 "approved", "deployed" };
	struct table *t = table_new(5, h);
	const json_t *g, *x;
	size_t i, j;

	json_array_foreach(json_object_get(d, "groups"), i, g) {
		struct row r;
		size_t at = 0;

		r.cell[4][0] = '\0';
		json_array_foreach(json_object_get(g, "deployed"), j, x) {
			int n = snprintf(r.cell[4] + at, sizeof(r.cell[4]) -
					 at, "%s%s=%" JSON_INTEGER_FORMAT,
					 j ? "," : "", jsonio_str(x,
					 "endpoint"), json_integer_value(
					 json_object_get(x, "version")));

			if (n < 0 || (size_t)n >= sizeof(r.cell[4]) - at)
				break;
			at += (size_t)n;
		}
		r.p[0] = jsonio_str(g, "group");
		r.p[1] = fmt_int(&r, 1, json_object_get(g, "versions"));
		r.p[2] = fmt_int(&r, 2, json_object_get(g, "latest"));
		r.p[3] = fmt_int(&r, 3, json_object_get(g, "approved"));
		r.p[4] = at ? r.cell[4] : NULL;
		table_add(t, r.p);
	}
	table_print_free(t, stdout);
}

static void print_models(const json_t *d)
{
	static const char *const h[] = { "model", "version", "status",
					 "card", "baseline", "endpoints" };
	struct table *t = table_new(6, h);
	const json_t *m;
	size_t i;

	json_array_foreach(json_object_get(d, "models"), i, m) {
		struct row r;

		r.p[0] = jsonio_str(m, "group");
		r.p[1] = fmt_int(&r, 1, json_object_get(m, "version"));
		r.p[2] = jsonio_str(m, "status");
		r.p[3] = jsonio_str(m, "card");
		r.p[4] = json_is_true(json_object_get(m, "baseline")) ?
			"registered" : NULL;
		r.p[5] = fmt_list(&r, 5, json_object_get(m, "endpoints"),
				  NULL);
		table_add(t, r.p);
	}
	table_print_free(t, stdout);
}

static void print_endpoints(const json_t *d)
{
	static const char *const h[] = { "endpoint", "model", "requests",
		"errors", "p50_ms", "p99_ms", "schedules", "last_execution",
		"status", "violations" };
	struct table *t = table_new(10, h);
	const json_t *e;
	size_t i;

	json_array_foreach(json_object_get(d, "endpoints"), i, e) {
		const json_t *lat = json_object_get(e, "latency_ms");
		const json_t *last = json_object_get(e, "last_execution");
		int counters = !json_is_null(json_object_get(
			e, "counters_updated"));
		struct row r;

		r.p[0] = jsonio_str(e, "name");
		r.p[1] = jsonio_str(e, "model");
		r.p[2] = counters ? fmt_int(&r, 2, json_object_get(e,
					    "requests")) : NULL;
		r.p[3] = counters ? fmt_int(&r, 3, json_object_get(e,
					    "errors")) : NULL;
		r.p[4] = fmt_num(&r, 4, json_object_get(lat, "p50"), "%.3g");
		r.p[5] = fmt_num(&r, 5, json_object_get(lat, "p99"), "%.3g");
		r.p[6] = json_array_size(json_object_get(e, "schedules")) ?
			fmt_list(&r, 6, json_object_get(e, "schedules"),
				 NULL) : NULL;
		r.p[7] = jsonio_str(last, "start");
		r.p[8] = jsonio_str(last, "status");
		r.p[9] = fmt_int(&r, 9, json_object_get(last, "violations"));
		table_add(t, r.p);
	}
	table_print_free(t, stdout);
}

static void print_schedules(const json_t *d)
{
	static const char *const h[] = { "schedule", "endpoint",
		"executions", "last", "violations" };
	struct table *t = table_new(5, h);
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(d, "schedules"), i, s) {
		const json_t *last = json_object_get(s, "last");
		struct row r;

		r.p[0] = jsonio_str(s, "name");
		r.p[1] = jsonio_str(s, "endpoint");
		r.p[2] = fmt_int(&r, 2, json_object_get(s,
							"executions_total"));
		r.p[3] = jsonio_str(last, "status");
		r.p[4] = fmt_int(&r, 4, json_object_get(last, "violations"));
		table_add(t, r.p);
	}
	table_print_free(t, stdout);
}

/* The drift of each feature at the latest execution that measured it,
 * the largest over the executions shown, and the threshold. */
static void print_drift(const json_t *d)
{
	static const char *const h[] = { "schedule", "feature", "last",
		"max", "threshold", "executions" };
	struct table *t = table_new(6, h);
	const json_t *s, *f, *p;
	size_t i, j, k;

	json_array_foreach(json_object_get(d, "schedules"), i, s)
		json_array_foreach(json_object_get(json_object_get(s,
				   "drift"), "features"), j, f) {
			const json_t *pts = json_object_get(f, "points");
			size_t n = json_array_size(pts);
			double max = 0;
			struct row r;

			if (!n)
				continue;
			json_array_foreach(pts, k, p)
				max = fmax(max, json_number_value(
					json_object_get(p, "distance")));
			r.p[0] = jsonio_str(s, "name");
			r.p[1] = jsonio_str(f, "name");
			r.p[2] = fmt_num(&r, 2, json_object_get(
				json_array_get(pts, n - 1), "distance"),
				"%.4g");
			snprintf(r.cell[3], sizeof(r.cell[3]), "%.4g", max);
			r.p[3] = r.cell[3];
			r.p[4] = fmt_num(&r, 4, json_object_get(f,
							"threshold"), "%g");
			snprintf(r.cell[5], sizeof(r.cell[5]), "%zu", n);
			r.p[5] = r.cell[5];
			table_add(t, r.p);
		}
	table_print_free(t, stdout);
}

static void print_shadows(const json_t *d)
{
	static const char *const h[] = { "shadow_test", "endpoint",
		"production", "shadow", "status", "pairs", "agreement",
		"worse" };
	struct table *t = table_new(8, h);
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(d, "shadow_tests"), i, x) {
		struct row r;

		r.p[0] = jsonio_str(x, "name");
		r.p[1] = jsonio_str(x, "endpoint");
		r.p[2] = jsonio_str(x, "production");
		r.p[3] = jsonio_str(x, "shadow");
		r.p[4] = jsonio_str(x, "status");
		r.p[5] = fmt_int(&r, 5, json_object_get(x, "pairs"));
		r.p[6] = fmt_num(&r, 6, json_object_get(x, "agreement"),
				 "%.4g");
		r.p[7] = json_is_true(json_object_get(x, "worse")) ? "yes" :
			"no";
		table_add(t, r.p);
	}
	table_print_free(t, stdout);
}

static void print_alerts(const json_t *d)
{
	static const char *const h[] = { "alert", "subject", "message" };
	struct table *t = table_new(3, h);
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(d, "alerts"), i, x) {
		const char *row[3] = { jsonio_str(x, "kind"),
				       jsonio_str(x, "subject"),
				       jsonio_str(x, "message") };

		table_add(t, row);
	}
	table_print_free(t, stdout);
}

/* Each section as a table, a blank line between them. */
static void print_tables(const json_t *d)
{
	void (*const sections[])(const json_t *) = { print_groups,
		print_models, print_endpoints, print_schedules, print_drift,
		print_shadows, print_alerts };

	for (size_t i = 0; i < sizeof(sections) / sizeof(*sections); i++) {
		if (i)
			putchar('\n');
		sections[i](d);
	}
}

static int write_html(const char *path, const json_t *d,
		      struct mlops_err *err)
{
	struct buf page = BUF_INIT;
	int ret;

	monitor_dashboard_html_render(&page, d);
	ret = fs_write_file_atomic(path, page.s, page.len, err);
	buf_release(&page);
	/* A page to share, not private like a temporary file. */
	if (ret == 0 && chmod(path, 0644) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot chmod '%s'", path);
	return ret;
}

int cmd_dashboard(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "history", required_argument, 0, OPT_HISTORY },
		{ "html", required_argument, 0, OPT_HTML },
		{ "json", no_argument, 0, OPT_JSON },
		{ "max-error-rate", required_argument, 0, OPT_MAX_ERROR_RATE },
		{ "max-p99-ms", required_argument, 0, OPT_MAX_P99 },
		{ 0, 0, 0, 0 }
	};
	struct monitor_dashboard_limits lim = MONITOR_DASHBOARD_LIMITS_INIT;
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *html = NULL;
	struct store *st;
	int64_t history;
	json_t *d;
	int c, json = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_dashboard))
	       != -1)
		switch (c) {
		case OPT_HISTORY:
			if (parse_int64(optarg, 1, 100000, &history,
					"--history", &err) < 0)
				return cli_usage(cli, usage_dashboard, "%s",
						 err.msg);
			lim.history = (size_t)history;
			break;
		case OPT_HTML:
			html = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_MAX_ERROR_RATE:
			if (parse_double(optarg, &lim.max_error_rate,
					 "--max-error-rate", &err) < 0 ||
			    lim.max_error_rate < 0 || lim.max_error_rate > 1)
				return cli_usage(cli, usage_dashboard, "%s",
						 err.code ? err.msg :
						 "--max-error-rate: expected "
						 "a share from 0 to 1");
			break;
		case OPT_MAX_P99:
			if (parse_double(optarg, &lim.max_p99_ms,
					 "--max-p99-ms", &err) < 0 ||
			    lim.max_p99_ms < 0)
				return cli_usage(cli, usage_dashboard, "%s",
						 err.code ? err.msg :
						 "--max-p99-ms: expected a "
						 "number of milliseconds, 0 "
						 "or more");
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind)
		return cli_usage(cli, usage_dashboard, NULL);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_dashboard_collect(&d, st, &lim, &err) < 0)
		return cli_fail(cli, &err);
	if (html && write_html(html, d, &err) < 0) {
		json_decref(d);
		return cli_fail(cli, &err);
	}
	if (json)
		jsonio_print(stdout, d);
	else if (!html)
		print_tables(d);
	json_decref(d);
	return 0;
}
