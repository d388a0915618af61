/* remote.c - `mlops remote add|list|rm`: the other environments' stores
 * this store syncs with, by name. */
#include <stdio.h>

#include "core/jsonio.h"
#include "core/table.h"
#include "core/time.h"
#include "governance/governance.h"
#include "mlops.h"

static const char usage_add[] =
	"usage: mlops remote add NAME PATH\n"
	"\n"
	"Name the store at PATH (a directory holding .mlops, or the .mlops\n"
	"directory) as remote NAME, for 'mlops sync --to NAME' and\n"
	"'--from NAME'. PATH must be a store, and not this one. Exit 2 for a\n"
	"bad name or this store's own path, 4 when PATH holds no store or\n"
	"NAME is taken.\n";
static const char usage_list[] =
	"usage: mlops remote list [--json]\n"
	"\n"
	"Show the remotes: name, environment (\"-\" when its store cannot be\n"
	"read), path, who added each and when; --json gives one object per\n"
	"line (environment null when unknown).\n";
static const char usage_rm[] =
	"usage: mlops remote rm NAME\n"
	"\n"
	"Forget remote NAME (its store is left alone); exit 4 when there is\n"
	"none.\n";
const char usage_remote[] =
	"usage: mlops remote add NAME PATH\n"
	"       mlops remote list [--json]\n"
	"       mlops remote rm NAME\n";

static int cmd_add(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret = cli_plain_args(argc, argv, cli, usage_add, 2, NULL);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_remote_add(st, argv[optind], argv[optind + 1],
				  &err) < 0)
		return cli_fail(cli, &err);
	printf("remote %s added\n", argv[optind]);
	return 0;
}

static int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = { "name", "environment", "path",
					       "added_by", "added" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct governance_remote *rs = NULL;
	struct table *t = NULL;
	struct store *st;
	size_t n = 0;
	int json = 0, ret;

	ret = cli_plain_args(argc, argv, cli, usage_list, 0, &json);
	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_remote_list(st, &rs, &n, &err) < 0)
		return cli_fail(cli, &err);
	if (!json)
		t = table_new(5, headers);
	for (size_t i = 0; i < n; i++) {
		char when[TIME_RFC3339_MAX];
		json_t *o;

		time_format(rs[i].added_us, when);
		if (t) {
			table_add(t, (const char *const[]){ rs[i].name,
				  rs[i].env ? rs[i].env : "-", rs[i].path,
				  rs[i].added_by, when });
			continue;
		}
		o = json_pack("{s:s,s:s?,s:s,s:s,s:s}", "name", rs[i].name,
			      "environment", rs[i].env, "path", rs[i].path,
			      "added_by", rs[i].added_by, "added", when);
		jsonio_print(stdout, o);
		json_decref(o);
	}
	if (t)
		table_print_free(t, stdout);
	governance_remote_list_free(rs, n);
	return 0;
}

static int cmd_rm(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret = cli_plain_args(argc, argv, cli, usage_rm, 1, NULL);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_remote_rm(st, argv[optind], &err) < 0)
		return cli_fail(cli, &err);
	printf("remote %s removed\n", argv[optind]);
	return 0;
}

const struct cli_verb remote_verbs[] = {
	{ "add", cmd_add, usage_add, "name another environment's store" },
	{ "list", cmd_list, usage_list, "show the remotes" },
	{ "rm", cmd_rm, usage_rm, "forget a remote" },
	{ NULL, NULL, NULL, NULL }
};
