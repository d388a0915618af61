/* role.c - `mlops role`: personas, their activities, and who holds them
 * (the Role Manager stand-in); the work is lib/governance/role.c's. */
#include <stdio.h>
#include <string.h>

#include "core/access.h"
#include "core/jsonio.h"
#include "core/table.h"
#include "core/xalloc.h"
#include "governance/governance.h"
#include "mlops.h"

#define ROLE_SYNOPSIS \
	"usage: mlops role list [--json]\n" \
	"       mlops role show [--json] PERSONA\n" \
	"       mlops role grant USER PERSONA\n" \
	"       mlops role revoke USER [PERSONA]\n" \
	"       mlops role whoami [--json]\n" \
	"       mlops role define PERSONA --activities A,B,...\n" \
	"       mlops role activities [--json]\n" \
	"       mlops role verbs [--json]\n"

const char usage_role[] = ROLE_SYNOPSIS
	"\n"
	"A store without grants allows everything. Once a grant exists,\n"
	"every change checks that one of the acting user's personas holds\n"
	"the activity it needs (exit 5 when not); only store.admin may\n"
	"grant, revoke and define, and the first grant must give it.\n";

static const char usage_list[] =
	"usage: mlops role list [--json]\n"
	"\n"
	"List the personas (built-in ones first), their activities and the\n"
	"users granted each.\n";
static const char usage_show[] =
	"usage: mlops role show [--json] PERSONA\n"
	"\n"
	"Show one persona: its activities and its users. Exit 4 when there\n"
	"is no such persona.\n";
static const char usage_grant[] =
	"usage: mlops role grant USER PERSONA\n"
	"\n"
	"Grant PERSONA to USER (an $MLOPS_USER, git user.email or login\n"
	"name). The first grant of a store must give a persona that holds\n"
	"store.admin (such as 'admin'), so that someone may grant later.\n";
static const char usage_revoke[] =
	"usage: mlops role revoke USER [PERSONA]\n"
	"\n"
	"Revoke PERSONA from USER, or every persona of USER. The last\n"
	"grant of store.admin goes only with every other grant.\n";
static const char usage_whoami[] =
	"usage: mlops role whoami [--json]\n"
	"\n"
	"Show the acting user, their personas and activities, and whether\n"
	"the store checks them (it does once it has a grant).\n";
static const char usage_define[] =
	"usage: mlops role define PERSONA --activities A,B,...\n"
	"\n"
	"Make or redefine the custom persona PERSONA holding the activities\n"
	"listed (see 'mlops role activities'; an empty list makes a persona\n"
	"that may change nothing). Built-in personas cannot be redefined.\n"
	"\n"
	"  --activities LIST   the activities, comma-separated\n";
static const char usage_activities[] =
	"usage: mlops role activities [--json]\n"
	"\n"
	"List every activity, what it allows and the built-in personas that\n"
	"hold it.\n";

/* The strings of a JSON array joined by sep, into a new string. */
static char *join(const json_t *list, const char *sep)
{
	struct buf b = BUF_INIT;
	size_t i;
	json_t *s;

	json_array_foreach(list, i, s)
		buf_addf(&b, "%s%s", i ? sep : "", json_string_value(s));
	return buf_detach(&b, NULL);
}

static int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = {
		"persona", "kind", "users", "activities"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct table *t;
	struct store *st;
	json_t *list, *p;
	size_t i;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_list, 0,
					   &json);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_role_list(st, &list, &err) < 0)
		return cli_fail(cli, &err);
	t = json ? NULL : table_new(4, headers);
	json_array_foreach(list, i, p) {
		char *users, *acts;

		if (json) {
			jsonio_print(stdout, p);
			continue;
		}
		users = join(json_object_get(p, "users"), ",");
		acts = join(json_object_get(p, "activities"), ",");
		table_add(t, (const char *const[]){
			jsonio_str(p, "name"),
			json_is_true(json_object_get(p, "builtin")) ?
			"built-in" : "custom", users, acts });
		free(users);
		free(acts);
	}
	if (t)
		table_print_free(t, stdout);
	json_decref(list);
	return 0;
}

static void print_activities(const json_t *list)
{
	size_t i;
	json_t *a;

	json_array_foreach(list, i, a) {
		const char *name = json_string_value(a);
		const char *summary = "";

		for (const struct access_activity *x = access_activities;
		     x->name; x++)
			if (strcmp(x->name, name) == 0)
				summary = x->summary;
		printf("  %-18s %s\n", name, summary);
	}
}

static int cmd_show(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	json_t *p;
	char *users;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_show, 1,
					   &json);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_role_show(st, argv[optind], &p, &err) < 0)
		return cli_fail(cli, &err);
	if (json) {
		jsonio_print(stdout, p);
		json_decref(p);
		return 0;
	}
	users = join(json_object_get(p, "users"), ", ");
	printf("persona: %s (%s)\n%s\nusers: %s\nactivities:\n",
	       jsonio_str(p, "name"),
	       json_is_true(json_object_get(p, "builtin")) ? "built-in" :
	       "custom", jsonio_str(p, "summary"), *users ? users : "-");
	print_activities(json_object_get(p, "activities"));
	free(users);
	json_decref(p);
	return 0;
}

static int cmd_grant(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret = cli_plain_args(argc, argv, cli, usage_grant, 2, NULL);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = governance_role_grant(st, argv[optind], argv[optind + 1], &err);
	if (ret < 0)
		return cli_fail(cli, &err);
	printf("%s: %s %s\n", argv[optind], ret == 1 ? "holds already" :
	       "granted", argv[optind + 1]);
	return 0;
}

static int cmd_revoke(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *persona;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_revoke))
	       != -1)
		return CLI_STATUS(c);
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(cli, usage_revoke, "expected USER and an "
				 "optional PERSONA");
	persona = argc - optind == 2 ? argv[optind + 1] : NULL;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_role_revoke(st, argv[optind], persona, &err) < 0)
		return cli_fail(cli, &err);
	printf("%s: revoked %s\n", argv[optind], persona ? persona :
	       "every persona");
	return 0;
}

static int cmd_whoami(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	char *personas, *acts;
	json_t *me;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_whoami, 0,
					   &json);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_role_whoami(st, &me, &err) < 0)
		return cli_fail(cli, &err);
	if (json) {
		jsonio_print(stdout, me);
		json_decref(me);
		return 0;
	}
	personas = join(json_object_get(me, "personas"), ", ");
	acts = join(json_object_get(me, "activities"), ", ");
	printf("user: %s\npersonas: %s\nactivities: %s\n",
	       jsonio_str(me, "user"), *personas ? personas : "-",
	       *acts ? acts : "-");
	if (!json_is_true(json_object_get(me, "enforced")))
		printf("the store has no grants: every action is allowed\n");
	free(personas);
	free(acts);
	json_decref(me);
	return 0;
}

static int cmd_define(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "activities", required_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *list = NULL;
	char **acts = NULL, *copy, *p;
	size_t n = 0, cap = 0;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_define))
	       != -1)
		switch (c) {
		case 'a':
			list = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_define, "expected one argument");
	if (!list)
		return cli_usage(cli, usage_define, "--activities is "
				 "required");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	copy = xstrdup(list);
	for (p = copy; *p;) {
		size_t len = strcspn(p, ",");

		ALLOC_GROW(acts, n + 1, cap);
		acts[n++] = p;
		p += len;
		if (*p)
			*p++ = '\0';
	}
	ret = governance_role_define(st, argv[optind],
				     (const char *const *)acts, n, &err);
	free(acts);
	free(copy);
	if (ret < 0)
		return cli_fail(cli, &err);
	printf("%s: defined with %zu activit%s\n", argv[optind], n,
	       n == 1 ? "y" : "ies");
	return 0;
}

static int cmd_activities(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = {
		"activity", "personas", "allows"
	};
	struct table *t;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_activities,
					   0, &json);

	if (ret >= 0)
		return ret;
	t = json ? NULL : table_new(3, headers);
	for (const struct access_activity *a = access_activities; a->name;
	     a++) {
		json_t *holders = json_array(), *o;
		char *names;

		for (const struct access_persona *p = access_personas;
		     p->name; p++)
			for (const char *const *x = p->activities; *x; x++)
				if (strcmp(*x, a->name) == 0)
					json_array_append_new(holders,
						json_string(p->name));
		if (json) {
			o = json_pack("{s:s,s:s,s:O}", "name", a->name,
				      "summary", a->summary, "personas",
				      holders);
			jsonio_print(stdout, o);
			json_decref(o);
		} else {
			names = join(holders, ",");
			table_add(t, (const char *const[]){
				a->name, names, a->summary });
			free(names);
		}
		json_decref(holders);
	}
	if (t)
		table_print_free(t, stdout);
	return 0;
}

static const char usage_verbs[] =
	"usage: mlops role verbs [--json]\n"
	"\n"
	"List every verb of every program with the activity it needs ('-'\n"
	"for a verb that changes nothing), the action it audits, and when\n"
	"the check applies only sometimes, when.\n";

static int cmd_verbs(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = {
		"verb", "activity", "action", "note"
	};
	struct table *t;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_verbs, 0,
					   &json);

	if (ret >= 0)
		return ret;
	t = json ? NULL : table_new(4, headers);
	for (const struct access_verb *v = access_verbs; v->verb; v++) {
		const char *activity = access_verb_activity(v);
		json_t *o;

		if (!json) {
			table_add(t, (const char *const[]){
				v->verb, activity, v->action, v->note });
			continue;
		}
		o = json_pack("{s:s,s:s*,s:s*,s:s*}", "verb", v->verb,
			      "activity", activity, "action", v->action,
			      "note", v->note);
		jsonio_print(stdout, o);
		json_decref(o);
	}
	if (t)
		table_print_free(t, stdout);
	return 0;
}

const struct cli_verb role_verbs[] = {
	{ "list", cmd_list, usage_list, "list personas and their users" },
	{ "show", cmd_show, usage_show, "show a persona" },
	{ "grant", cmd_grant, usage_grant, "grant a persona to a user" },
	{ "revoke", cmd_revoke, usage_revoke, "revoke a user's persona(s)" },
	{ "whoami", cmd_whoami, usage_whoami, "the acting user and what they "
	  "may do" },
	{ "define", cmd_define, usage_define, "make a custom persona" },
	{ "activities", cmd_activities, usage_activities, "list the "
	  "activities personas grant" },
	{ "verbs", cmd_verbs, usage_verbs, "the activity every verb needs" },
	{ NULL, NULL, NULL, NULL }
};
