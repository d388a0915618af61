/* approval.c - `mlops-registry approve|reject|status|alias`: moving a
 * version through PendingManualApproval, Approved and Rejected, and
 * naming versions with aliases. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/parse.h"
#include "registry-cmd.h"
#include "core/table.h"
#include "core/xalloc.h"

const char usage_approve[] =
	"usage: mlops-registry approve [--note TEXT] GROUP/N|GROUP@ALIAS\n"
	"\n"
	"Set a version's status to Approved, recording who, when and why, and\n"
	"emit a \"Model Package State Change\" event (rules may deploy it).\n"
	"\n"
	"  -m, --note TEXT   why (kept in the approval history)\n";
const char usage_reject[] =
	"usage: mlops-registry reject [--note TEXT] GROUP/N|GROUP@ALIAS\n"
	"\n"
	"Set a version's status to Rejected, recording who, when and why.\n"
	"\n"
	"  -m, --note TEXT   why (kept in the approval history)\n";
const char usage_status[] =
	"usage: mlops-registry status [--history] [--json] "
	    "GROUP/N|GROUP@ALIAS\n"
	"\n"
	"Print a version's approval status. Exit 0 when it is Approved, 1\n"
	"otherwise, so that scripts can gate on it.\n"
	"\n"
	"  --history   every change in every environment it came through:\n"
	"              time, environment, what, who, note\n"
	"  --json      the status, this store's history and the approvals\n"
	"              of every environment as one JSON object\n";
const char usage_alias[] =
	"usage: mlops-registry alias set GROUP ALIAS [N]\n"
	"       mlops-registry alias rm GROUP ALIAS\n"
	"       mlops-registry alias list [--json] GROUP\n"
	"\n"
	"Name a version of GROUP (champion, staging, ...): GROUP@ALIAS is "
	"then\n"
	"accepted wherever a version is.\n";
static const char usage_alias_set[] =
	"usage: mlops-registry alias set GROUP ALIAS [N]\n"
	"\n"
	"Point GROUP@ALIAS at version N, by default the latest; setting an\n"
	"alias again moves it.\n";
static const char usage_alias_rm[] =
	"usage: mlops-registry alias rm GROUP ALIAS\n"
	"\n"
	"Remove the alias; the version stays.\n";
static const char usage_alias_list[] =
	"usage: mlops-registry alias list [--json] GROUP\n"
	"\n"
	"List GROUP's aliases: alias, version, when and by whom set.\n"
	"--json prints one JSON object per line.\n";

void regcmd_print_approval(const char *indent, const json_t *r)
{
	const char *action = jsonio_str(r, "action");
	const char *comment = jsonio_str(r, "comment");
	const char *status = jsonio_str(r, "status");

	printf("%s%s  %s  ", indent, jsonio_str(r, "time"),
	       jsonio_str(r, "environment"));
	if (strcmp(action, "imported") == 0)
		printf("imported from %s as %s", jsonio_str(r, "from"), status);
	else if (strcmp(action, "registered") == 0)
		printf("registered as %s", status);
	else if (strcmp(action, "pending") == 0)
		printf("set back to %s", status);
	else
		fputs(action, stdout);
	printf(" by %s%s%s\n", jsonio_str(r, "user"), comment ? ": " : "",
	       comment ? comment : "");
}

static int change_status(int argc, char **argv, struct cli *cli,
			 const char *usage, const char *status)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "note", required_argument, 0, 'm' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;
	const char *note = NULL;
	char *previous = NULL, *name;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "hm:", opts, cli, usage)) != -1)
		switch (c) {
		case 'm':
			if (regcmd_text(cli, usage, "--note", optarg,
					&note) != 0)
				return 2;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage, "expected one model version");
	if ((ret = cli_store(cli, &st)) != 0 ||
	    (ret = regcmd_resolve(cli, st, argv[optind], &mv)) != 0)
		return ret;
	name = regcmd_name(mv);
	ret = registry_status_set(st, mv->group, mv->version, status, note,
				  &previous, &err);
	if (ret < 0) {
		ret = cli_fail(cli, &err);
	} else if (ret == 1) {
		printf("%s: already %s\n", name, status);
		ret = 0;
	} else {
		printf("%s: %s -> %s\n", name, previous, status);
	}
	free(previous);
	free(name);
	registry_version_free(mv);
	return ret;
}

int cmd_approve(int argc, char **argv, struct cli *cli)
{
	return change_status(argc, argv, cli, usage_approve,
			     REGISTRY_APPROVED);
}

int cmd_reject(int argc, char **argv, struct cli *cli)
{
	return change_status(argc, argv, cli, usage_reject,
			     REGISTRY_REJECTED);
}

int cmd_status(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "history", no_argument, 0, 'H' },
		{ "json", no_argument, 0, 'j' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;
	int c, history = 0, json = 0, ret;
	json_t *changes = NULL, *approvals = NULL, *h;
	struct store *st;
	size_t i;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_status))
	       != -1)
		switch (c) {
		case 'H':
			history = 1;
			break;
		case 'j':
			json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_status,
				 "expected one model version");
	if ((ret = cli_store(cli, &st)) != 0 ||
	    (ret = regcmd_resolve(cli, st, argv[optind], &mv)) != 0)
		return ret;
	if ((history || json) &&
	    (registry_status_history(st, mv->group, mv->version, &changes,
				     &err) < 0 ||
	     registry_approvals(st, mv, &approvals, &err) < 0)) {
		json_decref(changes);
		registry_version_free(mv);
		return cli_fail(cli, &err);
	}
	if (json) {
		json_t *o = json_pack("{s:s,s:I,s:s,s:O,s:O}", "group",
				      mv->group, "version",
				      (json_int_t)mv->version,
				      "status", mv->status,
				      "history", changes,
				      "approvals", approvals);

		jsonio_print(stdout, o);
		json_decref(o);
	} else if (history) {
		/* Every environment's record, not only this store's. */
		json_array_foreach(approvals, i, h)
			regcmd_print_approval("", h);
	} else {
		printf("%s\n", mv->status);
	}
	ret = strcmp(mv->status, REGISTRY_APPROVED) == 0 ? 0 :
		MLOPS_EXIT_FINDING;
	json_decref(changes);
	json_decref(approvals);
	registry_version_free(mv);
	return ret;
}

static int cmd_alias_set(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *group, *alias;
	int64_t version = 0;
	struct store *st;
	int c, n, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_alias_set))
	       != -1)
		return CLI_STATUS(c);
	n = argc - optind;
	if (n != 2 && n != 3)
		return cli_usage(cli, usage_alias_set, "expected GROUP, ALIAS "
				 "and maybe N");
	group = argv[optind];
	alias = argv[optind + 1];
	if (n == 3 && parse_int64(argv[optind + 2], 1, INT64_MAX, &version,
				  "version", &err) < 0)
		return cli_usage(cli, usage_alias_set, "%s", err.msg);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (n == 2) {
		if (registry_latest(st, group, NULL, &version, &err) < 0)
			return cli_fail(cli, &err);
		if (!version)
			return cli_error(cli, MLOPS_ENOTFOUND, "model group "
					 "'%s' has no versions", group);
	}
	if (registry_status_alias_set(st, group, alias, version, &err) < 0)
		return cli_fail(cli, &err);
	printf("%s@%s -> %s/%" PRId64 "\n", group, alias, group, version);
	return 0;
}

static int alias_list(struct cli *cli, struct store *st, const char *group,
		      int json)
{
	static const char *const headers[] = {
		"alias", "version", "set", "by"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *list, *a;
	struct table *t;
	size_t i;

	if (registry_status_alias_list(st, group, &list, &err) < 0)
		return cli_fail(cli, &err);
	t = json ? NULL : table_new(4, headers);
	json_array_foreach(list, i, a) {
		char *version;

		if (json) {
			jsonio_print(stdout, a);
			continue;
		}
		version = xasprintf("%s/%" JSON_INTEGER_FORMAT, group,
				    json_integer_value(json_object_get(
					    a, "version")));
		table_add(t, (const char *const[]){ jsonio_str(a, "alias"),
			  version, jsonio_str(a, "set"),
			  jsonio_str(a, "set_by") });
		free(version);
	}
	if (t)
		table_print_free(t, stdout);
	json_decref(list);
	return 0;
}

static int cmd_alias_list(int argc, char **argv, struct cli *cli)
{
	struct store *st;
	int json = 0;
	int ret = regcmd_parse_args(argc, argv, cli, usage_alias_list, 1,
				    &json, &st);

	if (ret != REGCMD_GO_ON)
		return ret;
	return alias_list(cli, st, argv[optind], json);
}

static int cmd_alias_rm(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret = cli_plain_args(argc, argv, cli, usage_alias_rm, 2, NULL);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (registry_status_alias_rm(st, argv[optind], argv[optind + 1],
				     &err) < 0)
		return cli_fail(cli, &err);
	printf("%s@%s: removed\n", argv[optind], argv[optind + 1]);
	return 0;
}

const struct cli_verb alias_verbs[] = {
	{ "set", cmd_alias_set, usage_alias_set, "point an alias at a "
	  "version" },
	{ "rm", cmd_alias_rm, usage_alias_rm, "remove an alias" },
	{ "list", cmd_alias_list, usage_alias_list, "list a group's aliases" },
	{ NULL, NULL, NULL, NULL, NULL }
};
