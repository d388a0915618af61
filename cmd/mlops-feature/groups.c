/* groups.c - `mlops-feature create|list|describe|drop`: feature groups. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "feature.h"
#include "feature/feature.h"
#include "core/jsonio.h"
#include "core/table.h"
#include "core/time.h"
#include "core/xalloc.h"

const char usage_create[] =
	"usage: mlops-feature create FILE.yaml\n"
	"\n"
	"Create the feature group FILE defines (see mlops-feature-group(5));\n"
	"FILE may be - for standard input.\n";
const char usage_list[] =
	"usage: mlops-feature list [--json]\n"
	"\n"
	"List feature groups with their record counts.\n"
	"\n"
	"  --json   one JSON object per group and line\n";
const char usage_describe[] =
	"usage: mlops-feature describe [--json] NAME\n"
	"\n"
	"Show group NAME: its definition, record count, online count,\n"
	"offline size and last ingest.\n"
	"\n"
	"  --json   one JSON object\n";
const char usage_drop[] =
	"usage: mlops-feature drop --force NAME\n"
	"\n"
	"Remove group NAME with its online records and offline files.\n"
	"\n"
	"  -f, --force   really do it (refused without)\n";

static const struct option json_opts[] = {
	{ "help", no_argument, 0, 'h' }, { "json", no_argument, 0, 'j' },
	{ 0, 0, 0, 0 }
};

int cmd_create(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_create))
	       != -1)
		return CLI_STATUS(c);
	if (argc - optind != 1)
		return cli_usage(cli, usage_create, NULL);
	if (feature_group_load_yaml(&g, argv[optind], &err) < 0)
		return cli_fail(cli, &err);
	if ((ret = cli_store(cli, &st)) != 0)
		goto out;
	if (feature_create(st, g, &err) < 0) {
		ret = cli_fail(cli, &err);
		goto out;
	}
	printf("created feature group '%s' (%zu features)\n", g->name,
		       g->nfeatures);
out:
	feature_group_free(g);
	return ret;
}

struct list_state {
	struct store *st;
	int json;
	struct table *table;
	struct mlops_err *err;
};

static int list_one(const struct feature_group *g, void *arg)
{
	struct list_state *ls = arg;
	struct feature_stats s;
	char nf[24], rec[24], onl[24], off[24], when[TIME_RFC3339_MAX];
	int ret;

	if ((ret = feature_stats(ls->st, g, &s, ls->err)) < 0)
		return ret;
	if (ls->json) {
		json_t *j = feature_stats_json(g, &s);

		jsonio_print(stdout, j);
		json_decref(j);
	} else {
		const char *cells[6] = { g->name, nf, rec, onl, off, when };

		snprintf(nf, sizeof(nf), "%zu", g->nfeatures);
		snprintf(rec, sizeof(rec), "%" PRId64, s.record_count);
		snprintf(onl, sizeof(onl), "%" PRId64, s.online_count);
		snprintf(off, sizeof(off), "%" PRId64, s.offline_bytes);
		if (s.last_ingest_us)
			time_format(s.last_ingest_us, when);
		else
			cells[5] = NULL;
		table_add(ls->table, cells);
	}
	feature_stats_release(&s);
	return 0;
}

int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = {
		"name", "features", "records", "online", "offline_bytes",
		"last_ingest"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct list_state ls = { NULL, 0, NULL, &err };
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", json_opts, cli, usage_list))
	       != -1)
		switch (c) {
		case 'j':
			ls.json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 0)
		return cli_usage(cli, usage_list, "too many arguments");
	if ((ret = cli_store(cli, &ls.st)) != 0)
		return ret;
	if (!ls.json)
		ls.table = table_new(6, headers);
	ret = feature_each(ls.st, list_one, &ls, &err);
	if (ls.table && table_print_free(ls.table, stdout) < 0 && ret == 0)
		return cli_error(cli, MLOPS_EINTERNAL, "cannot write the list");
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static void describe_text(const struct feature_group *g,
			  const struct feature_stats *s)
{
	char when[TIME_RFC3339_MAX];

	printf("name: %s\n", g->name);
	if (*g->description)
		printf("description: %s\n", g->description);
	printf("record_identifier: %s\nevent_time: %s\n",
	       g->features[g->id_index].name,
	       g->features[g->time_index].name);
	if (g->ttl_us)
		printf("ttl: %" PRId64 "s\n", g->ttl_us / TIME_US_PER_SEC);
	printf("online: %s\noffline: %s\n", g->online ? "true" : "false",
	       g->offline ? "true" : "false");
	printf("features:\n");
	for (size_t i = 0; i < g->nfeatures; i++)
		printf("  - {name: %s, type: %s}\n", g->features[i].name,
		       feature_group_type_name(g->features[i].type));
	time_format(s->created_us, when);
	printf("created: %s by %s\n", when, s->created_by);
	printf("record_count: %" PRId64 "\nonline_count: %" PRId64 "\n"
	       "offline_files: %" PRId64 "\noffline_bytes: %" PRId64 "\n",
	       s->record_count, s->online_count, s->offline_files,
	       s->offline_bytes);
	if (s->last_ingest_us)
		time_format(s->last_ingest_us, when);
	printf("last_ingest: %s\n", s->last_ingest_us ? when : "never");
}

int cmd_describe(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL;
	struct feature_stats s;
	struct store *st;
	int c, json = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", json_opts, cli,
			       usage_describe)) != -1)
		switch (c) {
		case 'j':
			json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_describe, NULL);
	if ((ret = feature_load_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	if (feature_stats(st, g, &s, &err) < 0) {
		feature_group_free(g);
		return cli_fail(cli, &err);
	}
	if (json) {
		json_t *j = feature_stats_json(g, &s);

		jsonio_print(stdout, j);
		json_decref(j);
	} else {
		describe_text(g, &s);
	}
	feature_stats_release(&s);
	feature_group_free(g);
	return 0;
}

int cmd_drop(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "force", no_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL;
	struct store *st;
	int c, force = 0, ret;

	while ((c = cli_getopt(argc, argv, "fh", opts, cli, usage_drop)) != -1)
		switch (c) {
		case 'f':
			force = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_drop, NULL);
	if ((ret = feature_load_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	if (!force) {
		ret = cli_error(cli, MLOPS_EUSAGE, "dropping '%s' removes all "
				"its records; use --force to do it", g->name);
	} else if (feature_drop(st, g, &err) < 0) {
		ret = cli_fail(cli, &err);
	} else {
		printf("dropped feature group '%s'\n", g->name);
	}
	feature_group_free(g);
	return ret;
}
