/* card.c - `mlops-registry card create|set|show|status|history|export`:
 * the model card of a version, after SageMaker Model Cards. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "registry/registry.h"
#include "core/parse.h"
#include "registry-cmd.h"
#include "core/table.h"
#include "core/xalloc.h"

static const char usage_card_create[] =
	"usage: mlops-registry card create [--from FILE.json|FILE.yaml] "
	    "GROUP/N\n"
	"\n"
	"Make the model card of a version, status Draft, filled in with what\n"
	"the registry knows (id, version, framework, artifacts, params,\n"
	"metrics, lineage, who registered and approved it); --from adds or\n"
	"overrides content (purpose, intended uses, risk rating, caveats).\n";
static const char usage_card_set[] =
	"usage: mlops-registry card set GROUP/N KEY=VALUE...\n"
	"\n"
	"Set card fields by dotted key, e.g. intended_uses.risk_rating=Low,\n"
	"additional_information.caveats_and_recommendations='...'. Keys and\n"
	"values are checked against the model card schema; all edits make one\n"
	"new revision.\n";
static const char usage_card_show[] =
	"usage: mlops-registry card show [--json] [--revision N] GROUP/N\n"
	"\n"
	"Show the card (the latest revision, or revision N) as Markdown, or\n"
	"as JSON {revision, status, content, change, user, time}.\n";
static const char usage_card_status[] =
	"usage: mlops-registry card status GROUP/N [STATUS]\n"
	"\n"
	"Print the card's status, or move it to STATUS: Draft, PendingReview,\n"
	"Approved or Archived. An Archived card is read-only.\n";
static const char usage_card_history[] =
	"usage: mlops-registry card history [--json] GROUP/N\n"
	"\n"
	"List the card's revisions: number, time, user, status, change.\n";
static const char usage_card_export[] =
	"usage: mlops-registry card export --format md|html [--revision N]\n"
	"                                  [-o FILE] GROUP/N\n"
	"\n"
	"Write the card as a readable document: Markdown, or one HTML page\n"
	"with no external assets.\n";

const char usage_card[] =
	"usage: mlops-registry card create [--from FILE] GROUP/N\n"
	"       mlops-registry card set GROUP/N KEY=VALUE...\n"
	"       mlops-registry card show [--json] [--revision N] GROUP/N\n"
	"       mlops-registry card status GROUP/N [STATUS]\n"
	"       mlops-registry card history [--json] GROUP/N\n"
	"       mlops-registry card export --format md|html [-o FILE] "
	    "GROUP/N\n";

/* What every card verb parses: its options (each verb uses its own
 * subset), and the version it is about, resolved in the store. */
struct card_args {
	const char *from, *format, *output;
	int64_t revision;
	int json;
	struct store *st;
	struct registry_version *mv;	/* the caller frees it */
};

/* Parse the options, check that min_args to max_args arguments follow
 * and resolve the first as the version. REGCMD_GO_ON, or the exit
 * status to return. */
static int parse(int argc, char **argv, struct cli *cli, const char *usage,
		 int min_args, int max_args, struct card_args *a)
{
	static const struct option opts[] = {
		{ "format", required_argument, 0, 'f' },
		{ "from", required_argument, 0, 'F' },
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, 'j' },
		{ "output", required_argument, 0, 'o' },
		{ "revision", required_argument, 0, 'r' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	int c;

	while ((c = cli_getopt(argc, argv, "ho:", opts, cli, usage)) != -1)
		switch (c) {
		case 'f':
			a->format = optarg;
			break;
		case 'F':
			a->from = optarg;
			break;
		case 'j':
			a->json = 1;
			break;
		case 'o':
			a->output = optarg;
			break;
		case 'r':
			if (parse_int64(optarg, 1, INT64_MAX, &a->revision,
					"--revision", &err) < 0)
				return cli_usage(cli, usage, "%s", err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind < min_args || argc - optind > max_args)
		return cli_usage(cli, usage, "wrong number of arguments");
	/* export alone needs --format; a usage error comes before any
	 * lookup. */
	if (usage == usage_card_export && !a->format)
		return cli_usage(cli, usage, "--format md|html is needed");
	if ((c = cli_store(cli, &a->st)) != 0 ||
	    (c = regcmd_resolve(cli, a->st, argv[optind], &a->mv)) != 0)
		return c;
	return REGCMD_GO_ON;
}

/* After a change: print the new revision. */
static int finish_change(const struct card_args *a, int64_t revision)
{
	char *name = regcmd_name(a->mv);

	printf("%s card revision %" PRId64 "\n", name, revision);
	free(name);
	return 0;
}

static int card_create(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct card_args a = { 0 };
	json_t *from = NULL;
	int64_t revision;
	int ret = parse(argc, argv, cli, usage_card_create, 1, 1, &a);

	if (ret != REGCMD_GO_ON)
		return ret;
	if ((a.from && registry_modelcard_load_file(&from, a.from, &err) < 0) ||
	    registry_card_create(a.st, a.mv, from, &revision, &err) < 0)
		ret = cli_fail(cli, &err);
	else
		ret = finish_change(&a, revision);
	json_decref(from);
	registry_version_free(a.mv);
	return ret;
}

static int card_set(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct card_args a = { 0 };
	int64_t revision;
	int ret = parse(argc, argv, cli, usage_card_set, 2, 1000, &a);

	if (ret != REGCMD_GO_ON)
		return ret;
	if (registry_card_set(a.st, a.mv->group, a.mv->version,
			      (const char *const *)argv + optind + 1,
			      (size_t)(argc - optind - 1), &revision, &err) < 0)
		ret = cli_fail(cli, &err);
	else
		ret = finish_change(&a, revision);
	registry_version_free(a.mv);
	return ret;
}

/* The card revision a.revision (0: the latest) rendered as format. */
static int render(const struct card_args *a, const char *format,
		  struct buf *doc, struct mlops_err *err)
{
	char *title = regcmd_name(a->mv);
	json_t *card = NULL;
	int ret = registry_card_get(a->st, a->mv->group, a->mv->version,
				    a->revision, &card, err);

	if (ret == 0)
		ret = registry_modelcard_render(doc, card, title, format, err);
	json_decref(card);
	free(title);
	return ret;
}

static int card_show(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct card_args a = { 0 };
	struct buf doc = BUF_INIT;
	json_t *card = NULL;
	int ret = parse(argc, argv, cli, usage_card_show, 1, 1, &a);

	if (ret != REGCMD_GO_ON)
		return ret;
	ret = 0;
	if (a.json && registry_card_get(a.st, a.mv->group, a.mv->version,
					a.revision, &card, &err) == 0)
		jsonio_print(stdout, card);
	else if (!a.json && render(&a, "md", &doc, &err) == 0)
		fwrite(doc.s, 1, doc.len, stdout);
	else
		ret = cli_fail(cli, &err);
	buf_release(&doc);
	json_decref(card);
	registry_version_free(a.mv);
	return ret;
}

static int card_status(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct card_args a = { 0 };
	json_t *card = NULL;
	int64_t revision;
	int ret = parse(argc, argv, cli, usage_card_status, 1, 2, &a);

	if (ret != REGCMD_GO_ON)
		return ret;
	if (argc - optind == 1) {
		ret = registry_card_get(a.st, a.mv->group, a.mv->version, 0,
					&card, &err);
		if (ret == 0)
			printf("%s\n", jsonio_str(card, "status"));
	} else {
		ret = registry_card_set_status(a.st, a.mv->group,
					       a.mv->version, argv[optind + 1],
					       &revision, &err);
		if (ret == 1) {
			printf("card is %s already\n", argv[optind + 1]);
			ret = 0;
		} else if (ret == 0) {
			ret = finish_change(&a, revision);
		}
	}
	if (ret < 0)
		ret = cli_fail(cli, &err);
	json_decref(card);
	registry_version_free(a.mv);
	return ret;
}

static int card_history(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = {
		"revision", "time", "user", "status", "change"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct card_args a = { 0 };
	json_t *revs = NULL, *r;
	struct table *t;
	size_t i;
	int ret = parse(argc, argv, cli, usage_card_history, 1, 1, &a);

	if (ret != REGCMD_GO_ON)
		return ret;
	ret = 0;
	if (registry_card_revisions(a.st, a.mv->group, a.mv->version, &revs,
				    &err) < 0)
		ret = cli_fail(cli, &err);
	else if (!json_array_size(revs))
		ret = cli_error(cli, MLOPS_ENOTFOUND, "%s/%" PRId64 " has no "
				"model card", a.mv->group, a.mv->version);
	else if (a.json)
		json_array_foreach(revs, i, r)
			jsonio_print(stdout, r);
	else {
		t = table_new(5, headers);
		json_array_foreach(revs, i, r) {
			char *num = xasprintf("%" JSON_INTEGER_FORMAT,
				json_integer_value(
					json_object_get(r, "revision")));

			table_add(t, (const char *const[]){ num,
				  jsonio_str(r, "time"), jsonio_str(r, "user"),
				  jsonio_str(r, "status"),
				  jsonio_str(r, "change") });
			free(num);
		}
		table_print_free(t, stdout);
	}
	json_decref(revs);
	registry_version_free(a.mv);
	return ret;
}

static int card_export(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct card_args a = { 0 };
	struct buf doc = BUF_INIT;
	int to_stdout, ret;

	ret = parse(argc, argv, cli, usage_card_export, 1, 1, &a);
	if (ret != REGCMD_GO_ON)
		return ret;
	to_stdout = !a.output || strcmp(a.output, "-") == 0;
	if (render(&a, a.format, &doc, &err) < 0 ||
	    (!to_stdout &&
	     fs_write_file_atomic(a.output, doc.s, doc.len, &err) < 0)) {
		ret = cli_fail(cli, &err);
	} else {
		ret = 0;
		if (to_stdout)
			fwrite(doc.s, 1, doc.len, stdout);
		else
			regcmd_publish_mode(a.output);
	}
	buf_release(&doc);
	registry_version_free(a.mv);
	return ret;
}

const struct cli_verb card_verbs[] = {
	{ "create", card_create, usage_card_create, "make a version's card" },
	{ "set", card_set, usage_card_set, "set card fields by dotted key" },
	{ "show", card_show, usage_card_show, "show the card" },
	{ "status", card_status, usage_card_status,
	  "show or change its status" },
	{ "history", card_history, usage_card_history, "list its revisions" },
	{ "export", card_export, usage_card_export,
	  "write it as Markdown or HTML" },
	{ NULL, NULL, NULL, NULL }
};
