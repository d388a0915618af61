/* dashboard.c - mlops-monitor dashboard: the model dashboard as tables,
 * JSON or one HTML page. */
#include <errno.h>
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
	"usage: mlops-monitor dashboard [--json] [--html FILE] "
	"[--max-error-rate X]\n"
	"\n"
	"One view of every model version, endpoint and monitoring schedule\n"
	"of the store, with alerts: schedules whose last execution found\n"
	"violations or failed, endpoints over the error rate, endpoints\n"
	"that no schedule monitors.\n"
	"\n"
	"  --html FILE         also write one self-contained HTML page\n"
	"  --json              print the dashboard as one JSON object\n"
	"  --max-error-rate X  alert above this share of errors (default "
	"0.05)\n";

enum { OPT_HTML = 500, OPT_JSON, OPT_MAX_ERROR_RATE };

static void print_tables(const json_t *d)
{
	static const char *const mh[] = { "model", "version", "status",
					  "endpoints" };
	static const char *const eh[] = { "endpoint", "model", "requests",
					  "errors", "schedules" };
	static const char *const sh[] = { "schedule", "endpoint",
					  "executions", "last", "violations" };
	static const char *const ah[] = { "alert", "subject", "message" };
	struct table *t = table_new(4, mh);
	const json_t *x;
	size_t i;

	json_array_foreach(json_object_get(d, "models"), i, x) {
		char ver[32];
		char *eps = json_dumps(json_object_get(x, "endpoints"),
				       JSON_COMPACT);
		const char *row[4];

		snprintf(ver, sizeof(ver), "%lld", (long long)
			 json_integer_value(json_object_get(x, "version")));
		row[0] = jsonio_str(x, "group");
		row[1] = ver;
		row[2] = jsonio_str(x, "status");
		row[3] = eps;
		table_add(t, row);
		free(eps);
	}
	table_print_free(t, stdout);
	putchar('\n');
	t = table_new(5, eh);
	json_array_foreach(json_object_get(d, "endpoints"), i, x) {
		char req[32], errs[32], sc[32];
		const char *row[5];

		snprintf(req, sizeof(req), "%lld", (long long)
			 json_integer_value(json_object_get(x, "requests")));
		snprintf(errs, sizeof(errs), "%lld", (long long)
			 json_integer_value(json_object_get(x, "errors")));
		snprintf(sc, sizeof(sc), "%lld", (long long)
			 json_integer_value(json_object_get(x, "schedules")));
		row[0] = jsonio_str(x, "name");
		row[1] = jsonio_str(x, "model");
		row[2] = req;
		row[3] = errs;
		row[4] = sc;
		table_add(t, row);
	}
	table_print_free(t, stdout);
	putchar('\n');
	t = table_new(5, sh);
	json_array_foreach(json_object_get(d, "schedules"), i, x) {
		const json_t *last = json_object_get(x, "last");
		char n[32], v[32];
		const char *row[5];

		snprintf(n, sizeof(n), "%zu",
			 json_array_size(json_object_get(x, "executions")));
		snprintf(v, sizeof(v), "%lld", (long long)json_integer_value(
			 json_object_get(last, "violations")));
		row[0] = jsonio_str(x, "name");
		row[1] = jsonio_str(x, "endpoint");
		row[2] = n;
		row[3] = json_is_object(last) ? jsonio_str(last, "status") :
			NULL;
		row[4] = json_is_object(last) ? v : NULL;
		table_add(t, row);
	}
	table_print_free(t, stdout);
	putchar('\n');
	t = table_new(3, ah);
	json_array_foreach(json_object_get(d, "alerts"), i, x) {
		const char *row[3] = { jsonio_str(x, "kind"),
				       jsonio_str(x, "subject"),
				       jsonio_str(x, "message") };

		table_add(t, row);
	}
	table_print_free(t, stdout);
}

int cmd_dashboard(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "html", required_argument, 0, OPT_HTML },
		{ "json", no_argument, 0, OPT_JSON },
		{ "max-error-rate", required_argument, 0, OPT_MAX_ERROR_RATE },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *html = NULL;
	double max_rate = 0.05;
	struct store *st;
	json_t *d;
	int c, json = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_dashboard))
	       != -1)
		switch (c) {
		case OPT_HTML:
			html = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_MAX_ERROR_RATE:
			if (parse_double(optarg, &max_rate, "--max-error-rate",
					 &err) < 0)
				return cli_usage(cli, usage_dashboard, "%s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind)
		return cli_usage(cli, usage_dashboard, NULL);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_dashboard_collect(&d, st, max_rate, &err) < 0)
		return cli_fail(cli, &err);
	if (html) {
		struct buf page = BUF_INIT;

		monitor_dashboard_html(&page, d);
		ret = fs_write_file_atomic(html, page.s, page.len, &err);
		buf_release(&page);
		/* A page to share, not private like a temporary file. */
		if (ret == 0 && chmod(html, 0644) < 0)
			ret = mlops_err_errno(&err, MLOPS_EINTERNAL, errno,
					      "cannot chmod '%s'", html);
		if (ret < 0) {
			json_decref(d);
			return cli_fail(cli, &err);
		}
	}
	if (json)
		jsonio_print(stdout, d);
	else if (!html)
		print_tables(d);
	json_decref(d);
	return 0;
}
