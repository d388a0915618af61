/* audit.c - `mlops audit log|verify`: read and check the audit trail. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "core/audit.h"
#include "core/jsonio.h"
#include "mlops.h"
#include "core/table.h"
#include "core/time.h"

#define LOG_SYNOPSIS \
	"usage: mlops audit log [--json] [--since TIME] [--until TIME]\n" \
	"                       [--user USER] [--persona PERSONA]\n" \
	"                       [--tool TOOL] [--action ACTION]\n" \
	"                       [--outcome OUTCOME]\n"

static const char usage_log[] = LOG_SYNOPSIS
	"\n"
	"Show audit records, oldest first: changes, and the refusals and\n"
	"failures of attempted changes. The filters combine (all must hold).\n"
	"\n"
	"  --json               one record per line, as stored\n"
	"  --since TIME         only records at or after TIME (RFC 3339 or\n"
	"                       Unix seconds)\n"
	"  --until TIME         only records before TIME\n"
	"  --user USER          only records of USER\n"
	"  --persona PERSONA    only records made under PERSONA (a refusal\n"
	"                       names every persona of its user)\n"
	"  --tool TOOL          only records of TOOL (mlops-registry, ...)\n"
	"  --action ACTION      only records of ACTION (a prefix ending in\n"
	"                       '.' matches a family: 'registry.')\n"
	"  --outcome OUTCOME    only success, denied or failure records\n";
static const char usage_verify[] =
	"usage: mlops audit verify\n"
	"\n"
	"Check the hash chain of the audit trail. Exit 0 when intact; 1,\n"
	"naming the first record that does not follow, when a record was\n"
	"edited, deleted, reordered or cut off the end.\n";
const char usage_audit[] = LOG_SYNOPSIS
	"       mlops audit verify\n";

struct log_state {
	int json;
	int64_t since, until;
	const char *user, *persona, *tool, *action, *outcome;
	struct table *table;
};

/* Whether the record's field equals want (a filter not given: NULL). */
static int field_is(json_t *rec, const char *field, const char *want)
{
	const char *v = jsonio_str(rec, field);

	return !want || (v && strcmp(v, want) == 0);
}

/* Whether persona is one of the record's (a refusal lists them all). */
static int has_persona(json_t *rec, const char *persona)
{
	const char *v = jsonio_str(rec, "persona");
	size_t n = strlen(persona);

	for (; v && *v; v += strcspn(v, ","), v += *v == ',')
		if (strncmp(v, persona, n) == 0 && (v[n] == ',' || !v[n]))
			return 1;
	return 0;
}

static int log_one(json_t *rec, void *arg)
{
	struct log_state *ls = arg;
	const char *time = jsonio_str(rec, "time");
	const char *action = jsonio_str(rec, "action");
	int64_t t;
	char seq[32];

	if ((ls->since != INT64_MIN || ls->until != INT64_MAX) &&
	    (!time || time_parse(time, &t, NULL) < 0 || t < ls->since ||
	     t >= ls->until))
		return 0;
	if (!field_is(rec, "user", ls->user) ||
	    !field_is(rec, "tool", ls->tool) ||
	    !field_is(rec, "outcome", ls->outcome) ||
	    (ls->persona && !has_persona(rec, ls->persona)))
		return 0;
	if (ls->action && action) {
		size_t n = strlen(ls->action);
		int family = n && ls->action[n - 1] == '.';

		if (family ? strncmp(action, ls->action, n) != 0 :
		    strcmp(action, ls->action) != 0)
			return 0;
	}
	if (ls->json)
		return jsonio_print(stdout, rec) < 0 ? -1 : 0;
	snprintf(seq, sizeof(seq), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(rec, "seq")));
	table_add(ls->table, (const char *const[]){
		seq, time, jsonio_str(rec, "user"),
		jsonio_str(rec, "persona"), jsonio_str(rec, "tool"),
		action, jsonio_str(rec, "resource"),
		jsonio_str(rec, "outcome") });
	return 0;
}

static int cmd_log(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "action", required_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, 'j' },
		{ "outcome", required_argument, 0, 'o' },
		{ "persona", required_argument, 0, 'p' },
		{ "since", required_argument, 0, 's' },
		{ "tool", required_argument, 0, 't' },
		{ "until", required_argument, 0, 'U' },
		{ "user", required_argument, 0, 'u' }, { 0, 0, 0, 0 }
	};
	static const char *const headers[] = {
		"seq", "time", "user", "persona", "tool", "action", "resource",
		"outcome"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct log_state ls = { 0, INT64_MIN, INT64_MAX, NULL, NULL, NULL,
				NULL, NULL, NULL };
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_log)) != -1)
		switch (c) {
		case 'a':
			ls.action = optarg;
			break;
		case 'j':
			ls.json = 1;
			break;
		case 'o':
			if (strcmp(optarg, "success") != 0 &&
			    strcmp(optarg, "denied") != 0 &&
			    strcmp(optarg, "failure") != 0)
				return cli_usage(cli, usage_log, "--outcome "
						 "must be success, denied or "
						 "failure, not '%s'", optarg);
			ls.outcome = optarg;
			break;
		case 'p':
			ls.persona = optarg;
			break;
		case 's':
		case 'U':
			if (time_parse(optarg, c == 's' ? &ls.since :
				       &ls.until, &err) < 0)
				return cli_usage(cli, usage_log, "--%s: %s",
						 c == 's' ? "since" : "until",
						 err.msg);
			break;
		case 't':
			ls.tool = optarg;
			break;
		case 'u':
			ls.user = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_log, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (!ls.json)
		ls.table = table_new(8, headers);
	ret = audit_each(st, log_one, &ls, &err);
	if (ls.table)
		table_print_free(ls.table, stdout);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static int cmd_verify(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf problem = BUF_INIT;
	struct store *st;
	int64_t count;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_verify))
	       != -1)
		return CLI_STATUS(c);
	if (optind != argc)
		return cli_usage(cli, usage_verify, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = audit_verify(st, &count, &problem, &err);
	if (ret < 0)
		return cli_fail(cli, &err);
	/* As fsck: what it found on stdout, the tally on stderr. */
	if (ret == MLOPS_EXIT_FINDING)
		printf("%s\n", problem.s);
	else
		fprintf(stderr, "%s: audit trail intact: %" PRId64 " records\n",
			cli->prog, count);
	buf_release(&problem);
	return ret;
}

const struct cli_verb audit_verbs[] = {
	{ "log", cmd_log, usage_log, "show audit records" },
	{ "verify", cmd_verify, usage_verify, "check the hash chain" },
	{ NULL, NULL, NULL, NULL }
};
