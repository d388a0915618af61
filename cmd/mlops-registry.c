/* mlops-registry.c - the model registry program: groups, registering
 * versions, showing and listing them, and the verb table. Approval and
 * aliases are in cmd/mlops-registry/approval.c. Logic lives in
 * lib/registry*.c; this file parses arguments and prints. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/jsonio.h"
#include "mlops-registry/registry-cmd.h"
#include "core/table.h"
#include "core/time.h"
#include "core/xalloc.h"

static const char usage_create[] =
	"usage: mlops-registry create [--description TEXT] [--tag K=V]... "
	    "GROUP\n"
	"\n"
	"Make a model group (registering into a missing group makes it too).\n"
	"\n"
	"  --description TEXT   what the models of this group are for\n"
	"  --tag K=V            a tag; may be repeated\n";
static const char usage_describe[] =
	"usage: mlops-registry describe [--json] GROUP\n"
	"\n"
	"Show a model group: description, tags, versions, aliases.\n"
	"\n"
	"  --json   as one JSON object\n";
static const char usage_list[] =
	"usage: mlops-registry list [--json]\n"
	"       mlops-registry list [--status STATUS] [--json] GROUP\n"
	"\n"
	"Without GROUP, list the model groups with their number of versions,\n"
	"latest and latest approved version; with GROUP, its versions.\n"
	"\n"
	"  --json            one JSON object per line\n"
	"  --status STATUS   only versions with this approval status\n";
static const char usage_register[] =
	"usage: mlops-registry register --artifact FILE [--artifact FILE]...\n"
	"                               [--framework xgboost|exec|http]\n"
	"                               [--entry CMD] [--metrics FILE.json]\n"
	"                               [--param K=V]... [--meta K=V]...\n"
	"                               [--dataset FILE]... [--status STATUS]\n"
	"                               [--description TEXT] [--no-create]\n"
	"                               GROUP\n"
	"\n"
	"Register a new version of GROUP and print its name, GROUP/N. The\n"
	"artifacts go to the object store; the version is immutable. Inside a\n"
	"pipeline step (MLOPS_RUN_ID, MLOPS_STEP, MLOPS_GIT_COMMIT,\n"
	"MLOPS_STEP_INPUTS) the lineage is recorded from the environment.\n"
	"\n"
	"  -a, --artifact FILE   a model file; may be repeated\n"
	"  --dataset FILE        record FILE's hash as a training dataset\n"
	"  --description TEXT    what this version is\n"
	"  --entry CMD           the command that serves it (exec, http)\n"
	"  --framework NAME      xgboost (default), exec or http\n"
	"  --meta K=V            customer metadata; may be repeated\n"
	"  --metrics FILE.json   a JSON object of numbers (may nest)\n"
	"  --no-create           fail when GROUP does not exist\n"
	"  --param K=V           a training parameter; may be repeated\n"
	"  --status STATUS       PendingManualApproval (default) or Approved\n";
static const char usage_show[] =
	"usage: mlops-registry show [--json] GROUP/N|GROUP@ALIAS|GROUP\n"
	"\n"
	"Show a model version: status, artifacts, metrics, params, lineage,\n"
	"the monitoring baseline attached to it (mlops-monitor baseline\n"
	"--register) and the approval history.\n"
	"\n"
	"  --json   as one JSON object\n";
static const char usage_latest[] =
	"usage: mlops-registry latest [--status STATUS] GROUP\n"
	"\n"
	"Print GROUP/N for the newest version (with --status, the newest with\n"
	"that status); exit 4 when there is none.\n";
static const char usage_get[] =
	"usage: mlops-registry get [-o DIR] GROUP/N|GROUP@ALIAS|GROUP\n"
	"\n"
	"Write the artifacts of a version into DIR (default: the current\n"
	"directory), each verified before it appears, and print their paths.\n"
	"\n"
	"  -o, --output DIR   the directory to write to (made if missing)\n";

int regcmd_add_kv(const struct cli *cli, const char *usage, json_t *obj,
		  const char *option, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *key;
	int ret;

	if (!eq || eq == arg)
		return cli_usage(cli, usage, "%s '%s': expected KEY=VALUE",
				 option, arg);
	key = xstrndup(arg, (size_t)(eq - arg));
	/* Fails, with nothing set, when KEY or VALUE is not UTF-8. */
	ret = json_object_set_new(obj, key, json_string(eq + 1));
	free(key);
	if (ret < 0)
		return cli_usage(cli, usage, "%s '%s': not valid UTF-8", option,
				 arg);
	return 0;
}

int regcmd_text(const struct cli *cli, const char *usage, const char *option,
		const char *arg, const char **out)
{
	json_t *text = json_string(arg);

	if (!text)
		return cli_usage(cli, usage, "%s: the text is not valid UTF-8",
				 option);
	json_decref(text);
	*out = arg;
	return 0;
}

int regcmd_resolve(const struct cli *cli, struct store *st, const char *ref,
		   struct registry_version **out)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	if (registry_resolve(st, ref, out, &err) < 0)
		return cli_fail(cli, &err);
	return 0;
}

int regcmd_parse_args(int argc, char **argv, struct cli *cli,
		      const char *usage, int nargs, int *json,
		      struct store **st)
{
	int c = cli_plain_args(argc, argv, cli, usage, nargs, json);

	if (c >= 0)
		return c;
	c = cli_store(cli, st);
	return c ? c : REGCMD_GO_ON;
}

void regcmd_publish_mode(const char *path)
{
	mode_t mask = umask(0);

	umask(mask);
	chmod(path, 0666 & ~mask);
}

char *regcmd_name(const struct registry_version *mv)
{
	return xasprintf("%s/%" PRId64, mv->group, mv->version);
}

static int cmd_create(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "description", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		{ "tag", required_argument, 0, 't' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *description = NULL;
	json_t *tags = json_object();
	struct store *st;
	int c, ret = REGCMD_GO_ON;

	while (ret == REGCMD_GO_ON && (c = cli_getopt(argc, argv, "h", opts,
						     cli, usage_create)) != -1)
		switch (c) {
		case 'd':
			if (regcmd_text(cli, usage_create, "--description",
					optarg, &description) != 0)
				ret = 2;
			break;
		case 't':
			if (regcmd_add_kv(cli, usage_create, tags, "--tag",
					  optarg) != 0)
				ret = 2;
			break;
		default:
			ret = CLI_STATUS(c);
		}
	if (ret == REGCMD_GO_ON && argc - optind != 1)
		ret = cli_usage(cli, usage_create, "expected one GROUP");
	if (ret != REGCMD_GO_ON) {
		json_decref(tags);
		return ret;
	}
	ret = cli_store(cli, &st);
	if (ret == 0 && registry_group_create(st, argv[optind], description,
					      tags, &err) < 0)
		ret = cli_fail(cli, &err);
	if (ret == 0)
		printf("created model group '%s'\n", argv[optind]);
	json_decref(tags);
	return ret;
}

static char *version_or_dash(int64_t v)
{
	return v ? xasprintf("%" PRId64, v) : xstrdup("-");
}

static int list_groups(struct cli *cli, struct store *st, int json)
{
	static const char *const headers[] = {
		"group", "versions", "latest", "approved", "description"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_group *gs;
	struct table *t;
	size_t n;

	if (registry_group_list(st, &gs, &n, &err) < 0)
		return cli_fail(cli, &err);
	t = json ? NULL : table_new(5, headers);
	for (size_t i = 0; i < n; i++) {
		char *count, *latest, *approved;

		if (json) {
			json_t *o = registry_group_json(&gs[i]);

			jsonio_print(stdout, o);
			json_decref(o);
			continue;
		}
		count = xasprintf("%" PRId64, gs[i].versions);
		latest = version_or_dash(gs[i].latest);
		approved = version_or_dash(gs[i].latest_approved);
		table_add(t, (const char *const[]){ gs[i].name, count, latest,
			  approved, gs[i].description });
		free(count);
		free(latest);
		free(approved);
	}
	if (t)
		table_print_free(t, stdout);
	registry_group_list_free(gs, n);
	return 0;
}

static const char *metric_summary(const json_t *metrics, struct buf *out)
{
	const char *key;
	json_t *v;

	buf_reset(out);
	json_object_foreach((json_t *)metrics, key, v) {
		if (out->len)
			buf_addch(out, ' ');
		if (json_is_number(v))
			buf_addf(out, "%s=%.6g", key, json_number_value(v));
		else
			buf_addf(out, "%s=...", key);
	}
	return out->len ? out->s : NULL;
}

static int list_versions(struct cli *cli, struct store *st, const char *group,
			 const char *status, int json)
{
	static const char *const headers[] = {
		"version", "status", "framework", "created", "by", "metrics"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version **mvs;
	struct buf summary = BUF_INIT;
	struct table *t;
	size_t n;

	if (registry_version_list(st, group, status, &mvs, &n, &err) < 0)
		return cli_fail(cli, &err);
	t = json ? NULL : table_new(6, headers);
	for (size_t i = 0; i < n; i++) {
		char created[TIME_RFC3339_MAX], *name;

		if (json) {
			json_t *o = registry_version_json(mvs[i]);

			jsonio_print(stdout, o);
			json_decref(o);
			continue;
		}
		name = regcmd_name(mvs[i]);
		time_format(mvs[i]->created_us, created);
		table_add(t, (const char *const[]){ name, mvs[i]->status,
			  mvs[i]->framework, created, mvs[i]->created_by,
			  metric_summary(mvs[i]->metrics, &summary) });
		free(name);
	}
	if (t)
		table_print_free(t, stdout);
	buf_release(&summary);
	registry_version_list_free(mvs, n);
	return 0;
}

static int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, 'j' },
		{ "status", required_argument, 0, 's' }, { 0, 0, 0, 0 }
	};
	const char *status = NULL;
	struct store *st;
	int c, json = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_list)) != -1)
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 's':
			status = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind > 1)
		return cli_usage(cli, usage_list, "too many arguments");
	if (status && !registry_valid_status(status))
		return cli_usage(cli, usage_list, "unknown status '%s'",
				 status);
	if (status && optind == argc)
		return cli_usage(cli, usage_list, "--status needs a GROUP");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (optind == argc)
		return list_groups(cli, st, json);
	return list_versions(cli, st, argv[optind], status, json);
}

static int cmd_describe(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_group *g = NULL;
	json_t *o, *aliases = NULL, *alias;
	struct store *st;
	const char *key;
	int json = 0, ret;
	size_t i;

	if ((ret = regcmd_parse_args(argc, argv, cli, usage_describe, 1,
				     &json, &st)) != REGCMD_GO_ON)
		return ret;
	if (registry_group_get(st, argv[optind], &g, &err) < 0 ||
	    registry_status_alias_list(st, argv[optind], &aliases, &err) < 0) {
		registry_group_free(g);
		return cli_fail(cli, &err);
	}
	o = registry_group_json(g);
	json_object_set(o, "aliases", aliases);
	if (json) {
		jsonio_print(stdout, o);
	} else {
		char *latest, *approved;
		json_t *v;

		printf("group:        %s\n", g->name);
		printf("description:  %s\n", g->description ? g->description :
		       "-");
		printf("created:      %s by %s\n", jsonio_str(o, "created"),
		       g->created_by);
		latest = version_or_dash(g->latest);
		approved = version_or_dash(g->latest_approved);
		printf("versions:     %" PRId64 " (latest %s, latest approved "
		       "%s)\n", g->versions, latest, approved);
		free(latest);
		free(approved);
		json_object_foreach(g->tags, key, v)
			printf("tag:          %s=%s\n", key,
			       json_string_value(v));
		json_array_foreach(aliases, i, alias)
			printf("alias:        %s -> %s/%" JSON_INTEGER_FORMAT
			       "\n", jsonio_str(alias, "alias"), g->name,
			       json_integer_value(json_object_get(alias,
								  "version")));
	}
	json_decref(o);
	json_decref(aliases);
	registry_group_free(g);
	return 0;
}

struct register_args {
	const char **artifacts;
	size_t nartifacts, cap;
	const char **datasets;
	size_t ndatasets, dcap;
	const char *metrics_file;
	json_t *params, *meta;
};

static int register_parse(int argc, char **argv, struct cli *cli,
			  struct registry_new_version *nv,
			  struct register_args *ra)
{
	static const struct option opts[] = {
		{ "artifact", required_argument, 0, 'a' },
		{ "dataset", required_argument, 0, 'D' },
		{ "description", required_argument, 0, 'd' },
		{ "entry", required_argument, 0, 'e' },
		{ "framework", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "meta", required_argument, 0, 'M' },
		{ "metrics", required_argument, 0, 'm' },
		{ "no-create", no_argument, 0, 'N' },
		{ "param", required_argument, 0, 'p' },
		{ "status", required_argument, 0, 's' }, { 0, 0, 0, 0 }
	};
	int c, ret = REGCMD_GO_ON;

	while (ret == REGCMD_GO_ON &&
	       (c = cli_getopt(argc, argv, "a:h", opts, cli,
			       usage_register)) != -1)
		switch (c) {
		case 'a':
			ALLOC_GROW(ra->artifacts, ra->nartifacts + 1, ra->cap);
			ra->artifacts[ra->nartifacts++] = optarg;
			break;
		case 'D':
			ALLOC_GROW(ra->datasets, ra->ndatasets + 1, ra->dcap);
			ra->datasets[ra->ndatasets++] = optarg;
			break;
		case 'd':
			if (regcmd_text(cli, usage_register, "--description",
					optarg, &nv->description) != 0)
				ret = 2;
			break;
		case 'e':
			if (regcmd_text(cli, usage_register, "--entry", optarg,
					&nv->entry) != 0)
				ret = 2;
			break;
		case 'f':
			nv->framework = optarg;
			break;
		case 'M':
			if (regcmd_add_kv(cli, usage_register, ra->meta,
					  "--meta", optarg) != 0)
				ret = 2;
			break;
		case 'm':
			ra->metrics_file = optarg;
			break;
		case 'N':
			nv->no_create = 1;
			break;
		case 'p':
			if (regcmd_add_kv(cli, usage_register, ra->params,
					  "--param", optarg) != 0)
				ret = 2;
			break;
		case 's':
			nv->status = optarg;
			break;
		default:
			ret = CLI_STATUS(c);
		}
	if (ret == REGCMD_GO_ON && argc - optind != 1)
		ret = cli_usage(cli, usage_register, "expected one GROUP");
	if (ret == REGCMD_GO_ON && ra->nartifacts == 0)
		ret = cli_usage(cli, usage_register, "at least one --artifact "
				"is needed");
	if (ret == REGCMD_GO_ON && nv->status &&
	    strcmp(nv->status, REGISTRY_PENDING) != 0 &&
	    strcmp(nv->status, REGISTRY_APPROVED) != 0)
		ret = cli_usage(cli, usage_register, "--status must be "
				"PendingManualApproval or Approved");
	if (ret == REGCMD_GO_ON)
		nv->group = argv[optind];
	return ret;
}

static int cmd_register(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_new_version nv = { 0 };
	struct register_args ra = { 0 };
	json_t *metrics = NULL, *lineage = NULL;
	int64_t version = 0;
	struct store *st;
	char *name;
	int ret;

	ra.params = json_object();
	ra.meta = json_object();
	ret = register_parse(argc, argv, cli, &nv, &ra);
	if (ret != REGCMD_GO_ON)
		goto out;
	if ((ret = cli_store(cli, &st)) != 0)
		goto out;
	if (ra.metrics_file &&
	    (jsonio_load_file(&metrics, ra.metrics_file, 0, &err) < 0 ||
	     registry_register_check_metrics(metrics, ra.metrics_file,
					     &err) < 0))
		goto fail;
	if (registry_register_lineage_from_env(&lineage, &err) < 0)
		goto fail;
	for (size_t i = 0; i < ra.ndatasets; i++)
		if (registry_register_lineage_add_dataset(lineage,
							  ra.datasets[i],
							  &err) < 0)
			goto fail;
	nv.artifact_paths = ra.artifacts;
	nv.nartifacts = ra.nartifacts;
	nv.metrics = metrics;
	nv.params = ra.params;
	nv.meta = ra.meta;
	nv.lineage = lineage;
	cli_progress(cli, st, 0);
	if ((ret = registry_register(st, &nv, &version, &err)) < 0)
		goto fail;
	name = xasprintf("%s/%" PRId64, nv.group, version);
	printf("%s\n", name);
	if (ret == REGISTRY_ALREADY) {
		/* A retried pipeline step: nothing changed, nothing to
		 * audit. */
		fprintf(stderr, "%s: %s already holds these artifacts from "
			"run %s step %s\n", cli->prog, name,
			json_string_value(json_object_get(lineage, "run_id")),
			json_string_value(json_object_get(lineage, "step")));
	}
	ret = 0;
	free(name);
	goto out;
fail:
	ret = cli_fail(cli, &err);
out:
	json_decref(metrics);
	json_decref(lineage);
	json_decref(ra.params);
	json_decref(ra.meta);
	free(ra.artifacts);
	free(ra.datasets);
	return ret;
}

static void print_object(const char *title, const json_t *obj)
{
	const char *key;
	json_t *v;

	if (!json_object_size(obj))
		return;
	printf("%s:\n", title);
	json_object_foreach((json_t *)obj, key, v) {
		/* An origin's record is shown under history. */
		if (json_is_array(v) && (strcmp(key, "history") == 0 ||
					 strcmp(key, "approvals") == 0))
			continue;
		if (json_is_string(v)) {
			printf("  %-20s %s\n", key, json_string_value(v));
		} else {
			char *text = json_dumps(v, JSON_COMPACT |
						JSON_SORT_KEYS |
						JSON_ENCODE_ANY |
						JSON_REAL_PRECISION(15));

			printf("  %-20s %s\n", key, text ? text : "?");
			free(text);
		}
	}
}

static void print_version(const struct registry_version *mv, json_t *approvals,
			  const json_t *baseline)
{
	char created[TIME_RFC3339_MAX];
	json_t *h;
	size_t i;

	time_format(mv->created_us, created);
	printf("version:      %s/%" PRId64 "\n", mv->group, mv->version);
	printf("status:       %s\n", mv->status);
	printf("framework:    %s\n", mv->framework);
	if (mv->entry)
		printf("entry:        %s\n", mv->entry);
	if (mv->description)
		printf("description:  %s\n", mv->description);
	printf("created:      %s by %s\n", created, mv->created_by);
	printf("artifacts:\n");
	for (i = 0; i < mv->nartifacts; i++)
		printf("  %-20s %s %" PRIu64 " bytes\n",
		       mv->artifacts[i].name, mv->artifacts[i].hash,
		       mv->artifacts[i].size);
	print_object("metrics", mv->metrics);
	print_object("params", mv->params);
	print_object("meta", mv->meta);
	print_object("lineage", mv->lineage);
	if (mv->origin)
		print_object("origin", mv->origin);
	if (baseline) {
		printf("baseline:     %s (mlops-monitor baseline "
		       "--register)\n", jsonio_str(baseline, "baseline"));
		printf("  %-20s sha256:%s\n", "statistics.json",
		       jsonio_str(baseline, "statistics"));
		printf("  %-20s sha256:%s\n", "constraints.json",
		       jsonio_str(baseline, "constraints"));
		printf("  %-20s %s by %s\n", "registered",
		       jsonio_str(baseline, "registered"),
		       jsonio_str(baseline, "registered_by"));
	}
	printf("history:\n");
	json_array_foreach(approvals, i, h)
		regcmd_print_approval("  ", h);
}

static int cmd_show(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;
	struct store *st;
	json_t *o = NULL;
	int json = 0, ret;

	if ((ret = regcmd_parse_args(argc, argv, cli, usage_show, 1, &json,
				     &st)) != REGCMD_GO_ON ||
	    (ret = regcmd_resolve(cli, st, argv[optind], &mv)) != 0)
		return ret;
	if (registry_report_show(st, mv, &o, &err) < 0) {
		registry_version_free(mv);
		return cli_fail(cli, &err);
	}
	if (json) {
		jsonio_print(stdout, o);
	} else {
		const json_t *baseline = json_object_get(o, "baseline");

		print_version(mv, json_object_get(o, "approvals"),
			      json_is_null(baseline) ? NULL : baseline);
	}
	json_decref(o);
	registry_version_free(mv);
	return 0;
}

static int cmd_latest(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "status", required_argument, 0, 's' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *status = NULL;
	int64_t version = 0;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_latest))
	       != -1)
		switch (c) {
		case 's':
			status = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_latest, "expected one GROUP");
	if (status && !registry_valid_status(status))
		return cli_usage(cli, usage_latest, "unknown status '%s'",
				 status);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (registry_latest(st, argv[optind], status, &version, &err) < 0)
		return cli_fail(cli, &err);
	if (!version)
		return cli_error(cli, MLOPS_ENOTFOUND, "model group '%s' has "
				 "no %s%sversions", argv[optind],
				 status ? status : "", status ? " " : "");
	printf("%s/%" PRId64 "\n", argv[optind], version);
	return 0;
}

static int cmd_get(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "output", required_argument, 0, 'o' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;
	const char *dir = ".";
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "ho:", opts, cli, usage_get)) != -1)
		switch (c) {
		case 'o':
			dir = optarg;
			if (!cli_output(dir))
				return cli_usage(cli, usage_get, "-o -: "
						 "artifacts are files in a "
						 "directory, not one stream "
						 "(see 'export')");
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_get, "expected one model version");
	if ((ret = cli_store(cli, &st)) != 0 ||
	    (ret = regcmd_resolve(cli, st, argv[optind], &mv)) != 0)
		return ret;
	if (registry_get_artifacts(st, mv, dir, &err) < 0)
		ret = cli_fail(cli, &err);
	for (size_t i = 0; ret == 0 && i < mv->nartifacts; i++)
		printf("%s/%s\n", dir, mv->artifacts[i].name);
	registry_version_free(mv);
	return ret;
}

static const struct cli_verb verbs[] = {
	{ "create", cmd_create, usage_create, "make a model group" },
	{ "describe", cmd_describe, usage_describe, "show a model group" },
	{ "list", cmd_list, usage_list, "list groups, or the versions of one" },
	{ "register", cmd_register, usage_register, "register a new model "
	  "version" },
	{ "show", cmd_show, usage_show, "show a model version" },
	{ "get", cmd_get, usage_get, "write a version's artifacts" },
	{ "lineage", cmd_lineage, usage_lineage, "where a version came from" },
	{ "diff", cmd_diff, usage_diff, "compare two versions (exit 1 when "
	  "they differ)" },
	{ "latest", cmd_latest, usage_latest, "print the newest GROUP/N" },
	{ "approve", cmd_approve, usage_approve, "approve a version" },
	{ "reject", cmd_reject, usage_reject, "reject a version" },
	{ "status", cmd_status, usage_status, "show a version's approval "
	  "status (exit 1 unless Approved)" },
	{ "alias", NULL, usage_alias, "name versions: champion, "
	  "staging, ...", alias_verbs },
	{ "export", cmd_export, usage_export, "write a version as a tar "
	  "stream" },
	{ "import", cmd_import, usage_import, "read a version from a tar "
	  "stream" },
	{ "card", NULL, usage_card, "model cards: create, set, show, "
	  "status, history, export", card_verbs },
	{ NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-registry", verbs);
}
