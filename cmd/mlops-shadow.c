/* mlops-shadow.c - shadow tests: start one on an endpoint (a running
 * gateway mirrors a sample of its requests to the candidate version),
 * list, show and stop them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/cli.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "registry/registry.h"
#include "core/table.h"
#include "core/time.h"
#include "monitor/monitor.h"
#include "shadow/shadow.h"

static const char usage_start[] =
	"usage: mlops-shadow start ENDPOINT --model GROUP/N|GROUP@ALIAS\n"
	"                          [--sample PERCENT] [--duration D]\n"
	"                          [--name TEST] [--max-pairs N]\n"
	"                          [--allow-unapproved]\n"
	"\n"
	"Start a shadow test: the endpoint's running gateway sends a copy\n"
	"of a sample of its requests to the model version, after the\n"
	"production answer is on its way. The version must be Approved\n"
	"unless --allow-unapproved is given.\n"
	"\n"
	"  --model REF            GROUP/N, GROUP@ALIAS or GROUP (latest)\n"
	"  --sample PERCENT       share of requests mirrored, 0-100 (100)\n"
	"  --duration D           end the test after this, at most 30d (7d)\n"
	"  --name TEST            the test's name (ENDPOINT-YYYYMMDDHHMMSS)\n"
	"  --max-pairs N          paired records kept, a reservoir sample\n"
	"                         beyond it (100000)\n"
	"  --allow-unapproved     shadow a version that is not Approved\n";
static const char usage_list[] =
	"usage: mlops-shadow list [--json]\n"
	"\n"
	"List shadow tests, newest first. --json prints one JSON object per\n"
	"line.\n";
static const char usage_status[] =
	"usage: mlops-shadow status [--json] TEST\n"
	"\n"
	"Show a shadow test: versions, sample, schedule, status, and how\n"
	"many requests its gateway mirrored, shed, and kept as pairs.\n";
static const char usage_stop[] =
	"usage: mlops-shadow stop TEST\n"
	"\n"
	"End a running test; gateways stop mirroring within a second.\n";

static const char usage_promote[] =
	"usage: mlops-shadow promote TEST\n"
	"\n"
	"Make a running test's version the endpoint's model, through\n"
	"mlops-deploy's blue/green update (no failed request), and end\n"
	"the test.\n";
static const char usage_replay[] =
	"usage: mlops-shadow replay ENDPOINT --model GROUP/N|GROUP@ALIAS\n"
	"                           [--since T] [--until T] [--name TEST]\n"
	"                           [--max-pairs N]\n"
	"\n"
	"Replay the endpoint's captured requests through the model version,\n"
	"in this process and as fast as it answers, and record the pairs\n"
	"as a completed test for 'mlops-shadow report'. No live traffic.\n"
	"\n"
	"  --since T, --until T   captured in [T, T) (RFC 3339 or Unix time)\n"
	"  --name TEST            (ENDPOINT-replay-YYYYMMDDHHMMSS)\n"
	"  --max-pairs N          pairs kept, a reservoir beyond (100000)\n";
static const char usage_report[] =
	"usage: mlops-shadow report [--json] [--format text|md|html]\n"
	"                           [--threshold T] [--tolerance X]\n"
	"                           [--max-latency-ratio R]\n"
	"                           [--max-error-rate E]\n"
	"                           [--min-agreement A] TEST\n"
	"\n"
	"Compare production and shadow on the test's paired records:\n"
	"requests, errors by status, latency, agreement of outputs. Exits\n"
	"1 when the shadow is worse than production beyond the limits.\n"
	"\n"
	"  --json                  the report as one JSON object\n"
	"  --format F              text (default), md or html\n"
	"  --threshold T           a single score is class 1 from T (0.5)\n"
	"  --tolerance X           values within X agree (1e-6)\n"
	"  --max-latency-ratio R   shadow p90 / production p90 (1.2)\n"
	"  --max-error-rate E      shadow error rate above production's\n"
	"                          (0.001)\n"
	"  --min-agreement A       share of rows of the same class (0.99)\n";

enum {
	OPT_ALLOW = 1000, OPT_DURATION, OPT_JSON, OPT_MAXPAIRS, OPT_MODEL,
	OPT_NAME, OPT_SAMPLE, OPT_FORMAT, OPT_THRESHOLD, OPT_TOLERANCE,
	OPT_MAXLAT, OPT_MAXERR, OPT_MINAGREE, OPT_SINCE, OPT_UNTIL
};

/* Open the store and complete the tests whose time is over. */
static int open_store(struct cli *cli, struct store **st)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int ret = cli_store(cli, st);

	if (ret == 0 && shadow_expire(*st, &err) < 0)
		ret = cli_fail(cli, &err);
	return ret;
}

static int start_test(struct cli *cli, struct shadow_start_req *req,
		      const char *model, int allow)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_source_resolved res;
	struct store *st;
	char *name = NULL;
	int ret;

	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	ret = deploy_source_resolve_gated(st, model, allow, &res, &err);
	if (ret < 0)
		return cli_fail(cli, &err);
	if (ret > 0) {
		cli_warn(cli, "%s", err.msg);
		return ret;
	}
	req->src = &res.src;
	ret = shadow_start(st, req, &name, &err);
	if (ret < 0)
		ret = cli_fail(cli, &err);
	if (ret == 0)
		printf("%s: shadowing %s with %s (%g%% of requests)\n", name,
		       req->endpoint, res.ref, req->sample_pct);
	free(name);
	deploy_source_release(&res);
	return ret;
}

/* The options start and replay share (--model, --name, --max-pairs):
 * 1 when c is one of them, with *bad set and err saying why when its
 * value is wrong; 0 when it is not. */
static int test_option(int c, const char **model, const char **name,
		       int64_t *max_pairs, int *bad, struct mlops_err *err)
{
	switch (c) {
	case OPT_MAXPAIRS:
		*bad = parse_int64(optarg, 1, SHADOW_MAX_PAIRS, max_pairs,
				   "--max-pairs", err) < 0;
		return 1;
	case OPT_MODEL:
		*model = optarg;
		return 1;
	case OPT_NAME:
		*name = optarg;
		return 1;
	default:
		return 0;
	}
}

/* After the options of start or replay: the usage error when there is
 * not one ENDPOINT operand or no --model, else -1. */
static int endpoint_and_model(int argc, const struct cli *cli,
			      const char *usage, const char *model)
{
	if (argc - optind != 1)
		return cli_usage(cli, usage, "expected one ENDPOINT");
	if (!model)
		return cli_usage(cli, usage, "--model is required");
	return -1;
}

static int cmd_start(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "allow-unapproved", no_argument, 0, OPT_ALLOW },
		{ "duration", required_argument, 0, OPT_DURATION },
		{ "help", no_argument, 0, 'h' },
		{ "max-pairs", required_argument, 0, OPT_MAXPAIRS },
		{ "model", required_argument, 0, OPT_MODEL },
		{ "name", required_argument, 0, OPT_NAME },
		{ "sample", required_argument, 0, OPT_SAMPLE },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct shadow_start_req req = { .sample_pct = 100,
		.duration_us = SHADOW_DEFAULT_DURATION_US,
		.max_pairs = SHADOW_DEFAULT_MAX_PAIRS };
	const char *model = NULL;
	int c, ret, allow = 0;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_start)) !=
	       -1) {
		int bad = 0;

		switch (c) {
		case OPT_ALLOW:
			allow = 1;
			break;
		case OPT_DURATION:
			bad = time_parse_duration(optarg, &req.duration_us,
					     &err) < 0;
			if (bad)
				mlops_err_prefix(&err, "--duration: ");
			break;
		case OPT_SAMPLE:
			bad = parse_double(optarg, &req.sample_pct, "--sample",
					   &err) < 0;
			break;
		default:
			if (!test_option(c, &model, &req.name, &req.max_pairs,
					 &bad, &err))
				return CLI_STATUS(c);
		}
		if (bad)
			return cli_usage(cli, usage_start, "%s", err.msg);
	}
	if ((ret = endpoint_and_model(argc, cli, usage_start, model)) >= 0)
		return ret;
	req.endpoint = argv[optind];
	return start_test(cli, &req, model, allow);
}

static int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = { "test", "endpoint",
		"production", "shadow", "sample", "status", "mirrored",
		"shed" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct shadow_test **ts = NULL;
	struct table *t = NULL;
	struct store *st;
	size_t n = 0;
	int json = 0, ret;

	ret = cli_plain_args(argc, argv, cli, usage_list, 0, &json);
	if (ret >= 0)
		return ret;
	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	if (shadow_list(st, &ts, &n, &err) < 0)
		return cli_fail(cli, &err);
	if (!json)
		t = table_new(8, headers);
	for (size_t i = 0; i < n; i++) {
		char sample[32], mirrored[32], shed[32];

		if (json) {
			json_t *o = shadow_test_json(ts[i]);

			jsonio_print(stdout, o);
			json_decref(o);
			continue;
		}
		snprintf(sample, sizeof(sample), "%g%%", ts[i]->sample_pct);
		snprintf(mirrored, sizeof(mirrored), "%" PRId64,
			 ts[i]->mirrored);
		snprintf(shed, sizeof(shed), "%" PRId64, ts[i]->shed);
		table_add(t, (const char *const[]){ ts[i]->name,
			  ts[i]->endpoint, ts[i]->production,
			  ts[i]->model.ref, sample, ts[i]->status, mirrored,
			  shed });
	}
	if (t && table_print_free(t, stdout) < 0)
		ret = cli_error(cli, MLOPS_EINTERNAL, "cannot write output");
	else
		ret = 0;
	shadow_list_free(ts, n);
	return ret;
}

static int cmd_status(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct shadow_test *t = NULL;
	struct store *st;
	const char *key;
	json_t *o, *v;
	int json = 0, ret;

	ret = cli_plain_args(argc, argv, cli, usage_status, 1, &json);
	if (ret >= 0)
		return ret;
	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	if (shadow_get(st, argv[optind], &t, &err) < 0)
		return cli_fail(cli, &err);
	o = shadow_test_json(t);
	if (json) {
		jsonio_print(stdout, o);
	} else {
		json_object_foreach(o, key, v) {
			if (json_is_string(v))
				printf("%s: %s\n", key, json_string_value(v));
			else if (json_is_integer(v))
				printf("%s: %" JSON_INTEGER_FORMAT "\n", key,
				       json_integer_value(v));
			else
				printf("%s: %g\n", key, json_number_value(v));
		}
	}
	json_decref(o);
	shadow_test_free(t);
	return 0;
}

static int cmd_stop(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret;

	ret = cli_plain_args(argc, argv, cli, usage_stop, 1, NULL);
	if (ret >= 0)
		return ret;
	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	if (shadow_end(st, argv[optind], "Stopped", &err) < 0)
		return cli_fail(cli, &err);
	printf("%s: stopped\n", argv[optind]);
	return 0;
}

static int cmd_promote(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct shadow_test *t = NULL;
	struct deploy_source_resolved res = { 0 };
	struct store *st;
	int ret;

	ret = cli_plain_args(argc, argv, cli, usage_promote, 1, NULL);
	if (ret >= 0)
		return ret;
	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	ret = shadow_get(st, argv[optind], &t, &err);
	if (ret == 0)
		ret = deploy_source_resolve(st, t->model.ref, &res, &err);
	if (ret == 0)
		ret = shadow_promote(st, argv[optind], &res.src, &err);
	if (ret < 0)
		ret = cli_fail(cli, &err);
	if (ret == 0)
		printf("%s: promoted; %s serves %s\n", argv[optind],
		       t->endpoint, res.ref);
	deploy_source_release(&res);
	shadow_test_free(t);
	return ret;
}

static int cmd_replay(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "max-pairs", required_argument, 0, OPT_MAXPAIRS },
		{ "model", required_argument, 0, OPT_MODEL },
		{ "name", required_argument, 0, OPT_NAME },
		{ "since", required_argument, 0, OPT_SINCE },
		{ "until", required_argument, 0, OPT_UNTIL },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct shadow_replay_req req = { .since_us = INT64_MIN,
		.until_us = INT64_MAX, .max_pairs = SHADOW_DEFAULT_MAX_PAIRS };
	struct deploy_source_resolved res;
	const char *model = NULL;
	struct store *st;
	char *name = NULL;
	int64_t n = 0;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_replay)) !=
	       -1) {
		int bad = 0;

		switch (c) {
		case OPT_SINCE:
		case OPT_UNTIL:
			bad = time_parse(optarg, c == OPT_SINCE ?
					 &req.since_us : &req.until_us,
					 &err) < 0;
			if (bad)
				mlops_err_prefix(&err, "%s: ", c == OPT_SINCE ?
						 "--since" : "--until");
			break;
		default:
			if (!test_option(c, &model, &req.name, &req.max_pairs,
					 &bad, &err))
				return CLI_STATUS(c);
		}
		if (bad)
			return cli_usage(cli, usage_replay, "%s", err.msg);
	}
	if ((ret = endpoint_and_model(argc, cli, usage_replay, model)) >= 0)
		return ret;
	req.endpoint = argv[optind];
	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	if (deploy_source_resolve(st, model, &res, &err) < 0) {
		deploy_source_release(&res);
		return cli_fail(cli, &err);
	}
	req.src = &res.src;
	cli_progress(cli, st, 0);
	ret = shadow_replay(st, &req, &name, &n, &err);
	if (ret < 0)
		ret = cli_fail(cli, &err);
	if (ret == 0)
		printf("%s: replayed %" PRId64 " captured requests of %s "
		       "through %s\n", name, n, req.endpoint, res.ref);
	free(name);
	deploy_source_release(&res);
	return ret;
}

enum fmt { FMT_TEXT, FMT_MD, FMT_HTML };

/* A number of the report for people: "-" for none. */
static void fmt_num(char *out, size_t n, json_t *v, const char *spec)
{
	if (json_is_integer(v))
		snprintf(out, n, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
	else if (json_is_number(v))
		snprintf(out, n, spec, json_number_value(v));
	else
		snprintf(out, n, "-");
}

static void row_out(enum fmt f, const char *label, const char *a,
		    const char *b)
{
	if (f == FMT_MD)
		printf("| %s | %s | %s |\n", label, a, b);
	else if (f == FMT_HTML)
		printf("<tr><th>%s</th><td>%s</td><td>%s</td></tr>\n", label,
		       a, b);
	else if (*b)
		printf("%-22s %16s %16s\n", label, a, b);
	else
		printf("%-22s %16s\n", label, a);
}

/* One line of a side-by-side table: path a.b in production and shadow. */
static void row_sides(enum fmt f, json_t *rep, const char *label,
		      const char *k1, const char *k2, const char *spec)
{
	char a[64], b[64];
	json_t *p = json_object_get(json_object_get(rep, "production"), k1);
	json_t *s = json_object_get(json_object_get(rep, "shadow"), k1);

	if (k2) {
		p = json_object_get(p, k2);
		s = json_object_get(s, k2);
	}
	fmt_num(a, sizeof(a), p, spec);
	fmt_num(b, sizeof(b), s, spec);
	if (strcmp(k1, "status") == 0) {	/* a code one side never had */
		if (!p)
			snprintf(a, sizeof(a), "0");
		if (!s)
			snprintf(b, sizeof(b), "0");
	}
	row_out(f, label, a, b);
}

static void print_report(json_t *rep, enum fmt f)
{
	json_t *ag = json_object_get(rep, "agreement");
	json_t *num = json_object_get(ag, "numeric");
	json_t *cls = json_object_get(ag, "classes");
	json_t *codes = json_object(), *v, *row;
	const char *key;
	size_t i, j;
	char a[64], title[512];

	snprintf(title, sizeof(title), "Shadow test %s on %s: %s vs %s (%s)",
		 json_string_value(json_object_get(rep, "test")),
		 json_string_value(json_object_get(rep, "endpoint")),
		 json_string_value(json_object_get(rep, "production_model")),
		 json_string_value(json_object_get(rep, "shadow_model")),
		 json_string_value(json_object_get(rep, "status")));
	if (f == FMT_HTML)
		printf("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
		       "<title>%s</title></head><body>\n<h1>%s</h1>\n"
		       "<table>\n<tr><th></th><th>production</th>"
		       "<th>shadow</th></tr>\n", title, title);
	else if (f == FMT_MD)
		printf("# %s\n\n| | production | shadow |\n|---|---:|---:|\n",
		       title);
	else
		printf("%s\n\n%-22s %16s %16s\n", title, "", "production",
		       "shadow");
	row_sides(f, rep, "requests", "requests", NULL, "%g");
	row_sides(f, rep, "errors", "errors", NULL, "%g");
	json_object_update(codes, json_object_get(json_object_get(rep,
			   "production"), "status"));
	json_object_update(codes, json_object_get(json_object_get(rep,
			   "shadow"), "status"));
	json_object_foreach(codes, key, v) {
		char label[32];

		snprintf(label, sizeof(label), "status %s", key);
		row_sides(f, rep, label, "status", key, "%g");
	}
	json_decref(codes);
	row_sides(f, rep, "latency p50 (ms)", "latency_ms", "p50", "%.3f");
	row_sides(f, rep, "latency p90 (ms)", "latency_ms", "p90", "%.3f");
	row_sides(f, rep, "latency p99 (ms)", "latency_ms", "p99", "%.3f");
	if (f == FMT_HTML)
		printf("</table>\n<h2>Agreement</h2>\n<table>\n");
	else if (f == FMT_MD)
		printf("\n## Agreement\n\n| | value | |\n|---|---:|---|\n");
	else
		printf("\nagreement\n");
	fmt_num(a, sizeof(a), json_object_get(ag, "pairs_compared"), "%g");
	row_out(f, "pairs compared", a, "");
	fmt_num(a, sizeof(a), json_object_get(ag, "values"), "%g");
	row_out(f, "values", a, "");
	fmt_num(a, sizeof(a), json_object_get(num, "mean_abs_diff"), "%.6g");
	row_out(f, "mean abs difference", a, "");
	fmt_num(a, sizeof(a), json_object_get(num, "max_abs_diff"), "%.6g");
	row_out(f, "max abs difference", a, "");
	fmt_num(a, sizeof(a), json_object_get(num, "within_tolerance"),
		"%.4f");
	row_out(f, "within tolerance", a, "");
	fmt_num(a, sizeof(a), json_object_get(num, "pearson"), "%.6f");
	row_out(f, "Pearson r", a, "");
	fmt_num(a, sizeof(a), json_object_get(num, "ks_statistic"), "%.6f");
	row_out(f, "KS statistic", a, "");
	fmt_num(a, sizeof(a), json_object_get(num, "ks_pvalue"), "%.6g");
	row_out(f, "KS p-value", a, "");
	fmt_num(a, sizeof(a), json_object_get(cls, "agreement"), "%.4f");
	row_out(f, "class agreement", a, "");
	json_array_foreach(json_object_get(cls, "confusion"), i, row) {
		char label[48], cells[512] = "";
		size_t used = 0;

		snprintf(label, sizeof(label), "production class %zu", i);
		json_array_foreach(row, j, v)
			used += (size_t)snprintf(cells + used,
				sizeof(cells) - used, "%s%" JSON_INTEGER_FORMAT,
				j ? " " : "", json_integer_value(v));
		row_out(f, label, cells, "(shadow 0..k)");
	}
	if (f == FMT_HTML)
		printf("</table>\n<p>");
	else
		printf("\n");
	if (json_is_true(json_object_get(rep, "worse"))) {
		printf("shadow is worse than production:");
		json_array_foreach(json_object_get(rep, "reasons"), i, v)
			printf("%s%s", i ? "; " : " ", json_string_value(v));
		printf("\n");
	} else {
		printf("shadow is within the limits\n");
	}
	if (f == FMT_HTML)
		printf("</p></body></html>\n");
}

static int cmd_report(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "format", required_argument, 0, OPT_FORMAT },
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, OPT_JSON },
		{ "max-error-rate", required_argument, 0, OPT_MAXERR },
		{ "max-latency-ratio", required_argument, 0, OPT_MAXLAT },
		{ "min-agreement", required_argument, 0, OPT_MINAGREE },
		{ "threshold", required_argument, 0, OPT_THRESHOLD },
		{ "tolerance", required_argument, 0, OPT_TOLERANCE },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct shadow_report_limits lim = SHADOW_REPORT_LIMITS_INIT;
	enum fmt f = FMT_TEXT;
	struct store *st;
	json_t *rep = NULL;
	int c, json = 0, worse = 0, ret;

	lim.ks_2samp = monitor_ks_2samp;
	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_report)) !=
	       -1) {
		double *target = NULL;
		const char *what = NULL;

		switch (c) {
		case OPT_FORMAT:
			if (strcmp(optarg, "text") == 0)
				f = FMT_TEXT;
			else if (strcmp(optarg, "md") == 0)
				f = FMT_MD;
			else if (strcmp(optarg, "html") == 0)
				f = FMT_HTML;
			else
				return cli_usage(cli, usage_report, "--format "
						 "must be text, md or html");
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_MAXERR:
			target = &lim.max_error_rate;
			what = "--max-error-rate";
			break;
		case OPT_MAXLAT:
			target = &lim.max_latency_ratio;
			what = "--max-latency-ratio";
			break;
		case OPT_MINAGREE:
			target = &lim.min_agreement;
			what = "--min-agreement";
			break;
		case OPT_THRESHOLD:
			target = &lim.threshold;
			what = "--threshold";
			break;
		case OPT_TOLERANCE:
			target = &lim.tolerance;
			what = "--tolerance";
			break;
		default:
			return CLI_STATUS(c);
		}
		if (target && (parse_double(optarg, target, what, &err) < 0 ||
			       !(*target >= 0)))
			return cli_usage(cli, usage_report, "%s", err.msg[0] ?
					 err.msg : "a limit must be a number "
					 "from 0");
	}
	if (argc - optind != 1)
		return cli_usage(cli, usage_report, "expected one TEST");
	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	if (shadow_report(st, argv[optind], &lim, &rep, &worse, &err) < 0)
		return cli_fail(cli, &err);
	if (json)
		jsonio_print(stdout, rep);
	else
		print_report(rep, f);
	json_decref(rep);
	return worse ? MLOPS_EXIT_FINDING : 0;
}

static const struct cli_verb verbs[] = {
	{ "start", cmd_start, usage_start, "start a shadow test on an "
	  "endpoint" },
	{ "list", cmd_list, usage_list, "list shadow tests" },
	{ "status", cmd_status, usage_status, "show a shadow test" },
	{ "stop", cmd_stop, usage_stop, "end a running shadow test" },
	{ "promote", cmd_promote, usage_promote, "make the shadow version "
	  "the endpoint's model" },
	{ "replay", cmd_replay, usage_replay, "replay captured requests "
	  "through a version, offline" },
	{ "report", cmd_report, usage_report, "compare production and "
	  "shadow" },
	{ NULL, NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-shadow", verbs);
}
