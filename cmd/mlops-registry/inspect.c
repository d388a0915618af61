/* inspect.c - `mlops-registry lineage|diff`: where a version came from,
 * and how two versions differ. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "registry-cmd.h"
#include "core/table.h"
#include "core/xalloc.h"

const char usage_lineage[] =
	"usage: mlops-registry lineage [--json] GROUP/N|GROUP@ALIAS\n"
	"\n"
	"Show where a version came from: the git commit, pipeline run and "
	"step,\n"
	"the hashes of the step's inputs and datasets, who registered it and\n"
	"who approved it, and the store it was imported from.\n"
	"\n"
	"  --json   as one JSON object\n";
const char usage_diff[] =
	"usage: mlops-registry diff [--json] GROUP/A GROUP/B\n"
	"\n"
	"Compare two versions' metrics (with deltas B - A), params and\n"
	"artifacts side by side. Exit 1 when they differ, 0 when not, as\n"
	"diff(1) does.\n"
	"\n"
	"  --json   as one JSON object\n";

static void print_pair(const char *label, const char *a, const char *b)
{
	printf("%-12s %s%s%s\n", label, a, b ? "  " : "", b ? b : "");
}

/* obj's string at key, or "-": imported reports may lack any field. */
static const char *str_or_dash(const json_t *obj, const char *key)
{
	const char *s = jsonio_str(obj, key);

	return s ? s : "-";
}

/* "features:" lines: each group a training dataset was built from, in
 * the state it had (see registry_features_lineage). */
static void print_features(const json_t *features)
{
	const json_t *f, *g;
	size_t i, j;

	json_array_foreach(features, i, f) {
		const json_t *groups = json_object_get(f, "groups");

		if (!json_is_array(groups)) {
			printf("%-12s %s state %s (read by step %s)\n",
			       "features:", str_or_dash(f, "group"),
			       str_or_dash(f, "state"), str_or_dash(f, "step"));
			continue;
		}
		json_array_foreach(groups, j, g)
			printf("%-12s %s in %s: data version %"
			       JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
			       " records, last ingest %s (dataset %s %s)\n",
			       "features:", str_or_dash(g, "group"),
			       str_or_dash(g, "environment"),
			       json_integer_value(json_object_get(g,
							"data_version")),
			       json_integer_value(json_object_get(g,
							"records")),
			       str_or_dash(g, "last_ingest"),
			       str_or_dash(f, "dataset"), str_or_dash(f, "hash"));
	}
}

static void print_lineage(const json_t *r)
{
	const json_t *lin = json_object_get(r, "lineage");
	const json_t *reg = json_object_get(r, "registered");
	const json_t *appr = json_object_get(r, "approved");
	const json_t *origin = json_object_get(r, "origin");
	const json_t *train = json_object_get(r, "training");
	const char *key, *fields[][2] = {
		{ "commit:", "git_commit" }, { "run:", "run_id" },
		{ "step:", "step" }
	};
	json_t *v;
	size_t i;

	printf("%-12s %s/%" JSON_INTEGER_FORMAT " (%s)\n", "model:",
	       jsonio_str(r, "group"),
	       json_integer_value(json_object_get(r, "version")),
	       jsonio_str(r, "status"));
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		print_pair(fields[i][0], str_or_dash(lin, fields[i][1]), NULL);
	json_object_foreach(json_object_get(lin, "inputs"), key, v)
		print_pair("input:", key, json_string_value(v));
	json_array_foreach(json_object_get(lin, "datasets"), i, v)
		print_pair("dataset:", str_or_dash(v, "path"),
			   str_or_dash(v, "hash"));
	print_features(json_object_get(lin, "features"));
	if (json_is_object(train)) {
		printf("%-12s run/%s/%s\n", "trained by:",
		       str_or_dash(train, "run_id"),
		       str_or_dash(train, "step"));
		json_object_foreach(json_object_get(train, "inputs"), key, v)
			print_pair("trained on:", key, json_string_value(v));
	}
	printf("%-12s %s by %s\n", "registered:", str_or_dash(reg, "time"),
	       str_or_dash(reg, "user"));
	if (json_is_object(appr))
		printf("%-12s %s by %s in %s%s%s\n", "approved:",
		       str_or_dash(appr, "time"), str_or_dash(appr, "user"),
		       str_or_dash(appr, "environment"),
		       jsonio_str(appr, "note") ? ": " : "",
		       jsonio_str(appr, "note") ? jsonio_str(appr, "note") :
		       "");
	else
		print_pair("approved:", "-", NULL);
	if (!json_is_object(origin))
		return;
	printf("%-12s %s %s, imported %s by %s\n", "origin:",
	       str_or_dash(origin, "account"), str_or_dash(origin, "arn"),
	       str_or_dash(origin, "imported"),
	       str_or_dash(origin, "imported_by"));
}

int cmd_lineage(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;
	json_t *report = NULL;
	struct store *st;
	int json = 0, ret;

	if ((ret = regcmd_parse_args(argc, argv, cli, usage_lineage, 1,
				     &json, &st)) != REGCMD_GO_ON ||
	    (ret = regcmd_resolve(cli, st, argv[optind], &mv)) != 0)
		return ret;
	if (registry_report_lineage(st, mv, &report, &err) < 0)
		ret = cli_fail(cli, &err);
	else if (json)
		jsonio_print(stdout, report);
	else
		print_lineage(report);
	json_decref(report);
	registry_version_free(mv);
	return ret;
}

static char *cell(const json_t *v)
{
	if (!v || json_is_null(v))
		return xstrdup("-");
	if (json_is_string(v))
		return xstrdup(json_string_value(v));
	if (json_is_number(v))
		return xasprintf("%.6g", json_number_value(v));
	return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void diff_rows(struct table *t, const char *kind, const json_t *rows)
{
	const json_t *row;
	size_t i;

	json_array_foreach(rows, i, row) {
		const json_t *delta = json_object_get(row, "delta");
		char *label = xasprintf("%s %s", kind, jsonio_str(row, "key"));
		char *a = cell(json_object_get(row, "a"));
		char *b = cell(json_object_get(row, "b"));

		/* Hashes are long: a prefix tells them apart. */
		if (strcmp(kind, "artifact") == 0) {
			a[strnlen(a, 12)] = '\0';
			b[strnlen(b, 12)] = '\0';
		}
		char *d;

		d = delta ? xasprintf("%+.6g", json_number_value(delta)) :
			xstrdup(json_equal(json_object_get(row, "a"),
					   json_object_get(row, "b")) ?
				"" : "differs");

		table_add(t, (const char *const[]){ label, a, b, d });
		free(label);
		free(a);
		free(b);
		free(d);
	}
}

int cmd_diff(int argc, char **argv, struct cli *cli)
{
	struct registry_version *a = NULL, *b = NULL;
	struct table *t;
	struct store *st;
	int json = 0, differ = 0, ret;
	json_t *d;

	if ((ret = regcmd_parse_args(argc, argv, cli, usage_diff, 2, &json,
				     &st)) != REGCMD_GO_ON ||
	    (ret = regcmd_resolve(cli, st, argv[optind], &a)) != 0 ||
	    (ret = regcmd_resolve(cli, st, argv[optind + 1], &b)) != 0) {
		registry_version_free(a);
		return ret;
	}
	d = registry_report_diff(a, b, &differ);
	if (json) {
		jsonio_print(stdout, d);
	} else {
		t = table_new(4, (const char *const[]){ "",
			      jsonio_str(d, "a"), jsonio_str(d, "b"),
			      "delta" });
		diff_rows(t, "metric", json_object_get(d, "metrics"));
		diff_rows(t, "param", json_object_get(d, "params"));
		diff_rows(t, "artifact", json_object_get(d, "artifacts"));
		table_print_free(t, stdout);
	}
	json_decref(d);
	registry_version_free(a);
	registry_version_free(b);
	return differ ? MLOPS_EXIT_FINDING : 0;
}
