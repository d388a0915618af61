/* mlops-shadow.c - shadow tests: start one on an endpoint (a running
 * gateway mirrors a sample of its requests to the candidate version),
 * list, show and stop them. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/cli.h"
#include "core/jsonio.h"
#include "core/num.h"
#include "core/table.h"
#include "core/timefmt.h"
#include "deploy/source.h"
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

enum {
	OPT_ALLOW = 1000, OPT_DURATION, OPT_JSON, OPT_MAXPAIRS, OPT_MODEL,
	OPT_NAME, OPT_SAMPLE
};

static int audit_done(struct cli *cli, struct store *st, const char *action,
		      const char *test, json_t *detail)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct audit_entry e = { action, test, "success", detail };
	int ret = audit_append(st, &e, &err);

	json_decref(detail);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

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
	struct deploy_resolved res;
	struct store *st;
	char *name = NULL;
	int ret;

	if ((ret = open_store(cli, &st)) != 0)
		return ret;
	if (deploy_resolve(st, model, &res, &err) < 0) {
		deploy_resolved_release(&res);
		return cli_fail(cli, &err);
	}
	if (!deploy_resolved_approved(&res) && !allow) {
		cli_warn(cli, "%s is %s, not Approved (approve it, or use "
			 "--allow-unapproved)", res.ref, res.mv->status);
		deploy_resolved_release(&res);
		return MLOPS_EXIT_FINDING;
	}
	req->src = &res.src;
	ret = audit_intend(st, "shadow.start", req->name ? req->name :
			   req->endpoint, &err);
	if (ret == 0)
		ret = shadow_start(st, req, &name, &err);
	if (ret < 0)
		ret = cli_fail(cli, &err);
	else
		ret = audit_done(cli, st, "shadow.start", name, json_pack(
			"{s:s,s:s,s:f}", "endpoint", req->endpoint, "model",
			res.ref, "sample_percent", req->sample_pct));
	if (ret == 0)
		printf("%s: shadowing %s with %s (%g%% of requests)\n", name,
		       req->endpoint, res.ref, req->sample_pct);
	free(name);
	deploy_resolved_release(&res);
	return ret;
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
	int c, allow = 0;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_start)) !=
	       -1) {
		int bad = 0;

		switch (c) {
		case OPT_ALLOW:
			allow = 1;
			break;
		case OPT_DURATION:
			bad = duration_parse(optarg, &req.duration_us,
					     &err) < 0;
			if (bad)
				mlops_err_prefix(&err, "--duration: ");
			break;
		case OPT_MAXPAIRS:
			bad = parse_int64(optarg, 1, SHADOW_MAX_PAIRS,
					  &req.max_pairs, "--max-pairs",
					  &err) < 0;
			break;
		case OPT_MODEL:
			model = optarg;
			break;
		case OPT_NAME:
			req.name = optarg;
			break;
		case OPT_SAMPLE:
			bad = parse_double(optarg, &req.sample_pct, "--sample",
					   &err) < 0;
			break;
		default:
			return CLI_STATUS(c);
		}
		if (bad)
			return cli_usage(cli, usage_start, "%s", err.msg);
	}
	if (argc - optind != 1)
		return cli_usage(cli, usage_start, "expected one ENDPOINT");
	if (!model)
		return cli_usage(cli, usage_start, "--model is required");
	req.endpoint = argv[optind];
	return start_test(cli, &req, model, allow);
}

static json_t *test_json(const struct shadow_test *t)
{
	char start[TIME_RFC3339_MAX], end[TIME_RFC3339_MAX];
	json_t *o;

	time_format(t->start_us, start);
	time_format(t->end_us, end);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:f,s:s,s:s,s:s,s:I,s:I,s:I,"
		      "s:I,s:I,s:s}", "name", t->name, "endpoint",
		      t->endpoint, "production", t->production, "model",
		      t->model.ref, "framework", t->model.framework,
		      "sample_percent", t->sample_pct, "status", t->status,
		      "start", start, "end", end, "mirrored",
		      (json_int_t)t->mirrored, "shed", (json_int_t)t->shed,
		      "pairs_seen", (json_int_t)t->pairs_seen, "pairs_kept",
		      (json_int_t)t->pairs_kept, "max_pairs",
		      (json_int_t)t->max_pairs, "created_by", t->created_by);
	if (t->ended_us) {
		time_format(t->ended_us, end);
		json_object_set_new(o, "ended", json_string(end));
	}
	if (t->error)
		json_object_set_new(o, "error", json_string(t->error));
	return o;
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
			json_t *o = test_json(ts[i]);

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
	o = test_json(t);
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
	if (audit_intend(st, "shadow.stop", argv[optind], &err) < 0 ||
	    shadow_end(st, argv[optind], "Stopped", &err) < 0)
		return cli_fail(cli, &err);
	ret = audit_done(cli, st, "shadow.stop", argv[optind], NULL);
	if (ret == 0)
		printf("%s: stopped\n", argv[optind]);
	return ret;
}

static const struct cli_verb verbs[] = {
	{ "start", cmd_start, usage_start, "start a shadow test on an "
	  "endpoint" },
	{ "list", cmd_list, usage_list, "list shadow tests" },
	{ "status", cmd_status, usage_status, "show a shadow test" },
	{ "stop", cmd_stop, usage_stop, "end a running shadow test" },
	{ NULL, NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-shadow", verbs);
}
