/* event.c - `mlops event`: query the event log and add events by hand
 * (log, put), and the rules that react to events (rule, test, dispatch,
 * dead-letters, redrive; lib/governance does the work). */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bounds.h"
#include "core/event.h"
#include "core/jsonio.h"
#include "mlops.h"
#include "core/parse.h"
#include "core/table.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "governance/governance.h"

static const char usage_log[] =
	"usage: mlops event log [--json] [--source SOURCE] "
	    "[--type DETAIL-TYPE]\n"
	"                       [--since TIME] [--limit N] [--after SEQ] "
	    "[--follow]\n"
	"\n"
	"Show events, oldest first.\n"
	"\n"
	"  --json               the envelopes, one per line (JSON Lines),\n"
	"                       each with its \"seq\" in the log\n"
	"  --after SEQ          only events after seq SEQ (to resume)\n"
	"  --follow             with --json: keep printing new events as\n"
	"                       they come\n"
	"  --source SOURCE      only events from SOURCE (mlops.registry)\n"
	"  --type DETAIL-TYPE   only events of this detail-type\n"
	"  --since TIME         only events at or after TIME\n"
	"  --limit N            only the newest N\n";
static const char usage_put[] =
	"usage: mlops event put [FILE|-]\n"
	"\n"
	"Record events given as JSON (one envelope, or one per line) in FILE\n"
	"or on standard input. source, detail-type and detail are required;\n"
	"id, time, account, region and resources are filled in when absent.\n"
	"All are checked before any is recorded. Prints each event's id.\n";
const char usage_event[] =
	"usage: mlops event log [--json] [--source SOURCE] "
	    "[--type DETAIL-TYPE]\n"
	"                       [--since TIME] [--limit N] [--after SEQ] "
	    "[--follow]\n"
	"       mlops event put [FILE|-]\n"
	"       mlops event rule add|list|show|enable|disable|rm ...\n"
	"       mlops event test --pattern P --event E\n"
	"       mlops event dispatch [--follow] [--json]\n"
	"       mlops event dead-letters [--json]\n"
	"       mlops event redrive ID\n";

struct log_state {
	int json;
	struct table *table;
	int64_t last;		/* the last seq shown */
};

static int log_one(int64_t seq, json_t *ev, void *arg)
{
	struct log_state *ls = arg;
	struct buf resources = BUF_INIT;
	char num[32];
	json_t *r;
	size_t i;

	ls->last = seq;
	if (ls->json) {
		json_t *out = json_pack("{s:I}", "seq", (json_int_t)seq);
		int bad;

		json_object_update(out, ev);
		bad = jsonio_print(stdout, out) < 0 || fflush(stdout) != 0;
		json_decref(out);
		return bad ? -1 : 0;
	}
	json_array_foreach(json_object_get(ev, "resources"), i, r)
		buf_addf(&resources, "%s%s", i ? "," : "",
			 json_string_value(r));
	snprintf(num, sizeof(num), "%" PRId64, seq);
	table_add(ls->table, (const char *const[]){
		num, jsonio_str(ev, "time"), jsonio_str(ev, "source"),
		jsonio_str(ev, "detail-type"),
		resources.len ? resources.s : "-" });
	buf_release(&resources);
	return 0;
}

static int cmd_log(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "after", required_argument, 0, 'a' },
		{ "follow", no_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, 'j' },
		{ "limit", required_argument, 0, 'l' },
		{ "since", required_argument, 0, 's' },
		{ "source", required_argument, 0, 'S' },
		{ "type", required_argument, 0, 't' }, { 0, 0, 0, 0 }
	};
	static const char *const headers[] = {
		"seq", "time", "source", "detail-type", "resources"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct event_filter f = EVENT_FILTER_INIT;
	struct log_state ls = { 0, NULL, 0 };
	struct store *st;
	int c, ret, follow = 0;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_log)) != -1)
		switch (c) {
		case 'a':
			if (parse_int64(optarg, 0, INT64_MAX, &f.after_seq,
					"--after", &err) < 0)
				return cli_usage(cli, usage_log, "%s", err.msg);
			break;
		case 'f':
			follow = 1;
			break;
		case 'j':
			ls.json = 1;
			break;
		case 'l':
			if (parse_int64(optarg, 1, INT64_MAX, &f.limit,
					"--limit", &err) < 0)
				return cli_usage(cli, usage_log, "%s", err.msg);
			break;
		case 's':
			if (time_parse(optarg, &f.since_us, &err) < 0)
				return cli_usage(cli, usage_log, "--since: %s",
						 err.msg);
			break;
		case 'S':
			f.source = optarg;
			break;
		case 't':
			f.detail_type = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_log, "unexpected argument '%s'",
				 argv[optind]);
	if (follow && !ls.json)
		return cli_usage(cli, usage_log, "--follow prints JSON Lines: "
				 "add --json");
	if (follow && f.limit)
		return cli_usage(cli, usage_log, "--follow and --limit do not "
				 "go together");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (!ls.json)
		ls.table = table_new(5, headers);
	ls.last = f.after_seq;
	ret = event_each(st, &f, log_one, &ls, &err);
	if (ls.table)
		table_print_free(ls.table, stdout);
	while (ret == 0 && follow) {
		/* Until stdout is gone (a closed pipe ends us by SIGPIPE)
		 * or a signal stops us. */
		ret = event_wait(st, ls.last, INT64_C(3600) *
				 TIME_US_PER_SEC, NULL, &err);
		f.after_seq = ls.last;
		if (ret > 0)
			ret = event_each(st, &f, log_one, &ls, &err);
	}
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

/* Where the JSON value begins that follows blanks from p, the start of
 * line `line`, as "name:line:col". */
static json_t *position(const char *name, int line, const char *p,
			const char *end)
{
	const char *start = p;

	for (; p < end && strchr(" \t\r\n", *p); p++)
		if (*p == '\n') {
			line++;
			start = p + 1;
		}
	return json_sprintf("%s:%d:%ld", name, line, (long)(p - start) + 1);
}

/* Parse input as one JSON value, or else as JSON Lines, into an array;
 * *where gets each event's position in the input, for messages. */
static int parse_events(json_t **out, json_t **where, const struct buf *in,
			const char *name, struct mlops_err *err)
{
	json_t *all = json_array(), *pos = json_array(), *one = NULL;
	const char *line = in->s, *end = in->s + in->len;
	int lineno = 0;
	int ret;

	if (jsonio_parse(&one, in->s, in->len, name, err) == 0) {
		json_array_append_new(all, one);
		json_array_append_new(pos, position(name, 1, in->s, end));
		*out = all;
		*where = pos;
		return 0;
	}
	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		size_t len = nl ? (size_t)(nl - line) : (size_t)(end - line);

		lineno++;
		if (strspn(line, " \t\r") < len) {
			ret = jsonio_parse_at(&one, line, len, name, lineno,
					      err);
			if (ret < 0) {
				json_decref(all);
				json_decref(pos);
				return ret;
			}
			json_array_append_new(all, one);
			json_array_append_new(pos, position(name, lineno, line,
							       line + len));
		}
		line += len + 1;
	}
	if (json_array_size(all) == 0) {
		json_decref(all);
		json_decref(pos);
		return mlops_err_set(err, MLOPS_EINPUT, "%s: no event given",
				     name);
	}
	*out = all;
	*where = pos;
	return 0;
}

static int cmd_put(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf in = BUF_INIT;
	const char *path = "-", *name;
	json_t *events = NULL, *where = NULL, *ev;
	struct store *st;
	size_t i;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_put)) != -1)
		return CLI_STATUS(c);
	if (argc - optind > 1)
		return cli_usage(cli, usage_put, "too many arguments");
	if (optind < argc)
		path = argv[optind];
	name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = strcmp(path, "-") == 0 ?
		buf_read_fd(&in, STDIN_FILENO, MLOPS_MAX_JSON, name, &err) :
		buf_read_file(&in, path, MLOPS_MAX_JSON, &err);
	if (ret == 0)
		ret = parse_events(&events, &where, &in, name, &err);
	buf_release(&in);
	json_array_foreach(events, i, ev)
		if (ret == 0)
			ret = event_normalise(st, ev, json_string_value(
				json_array_get(where, i)), &err);
	if (ret == 0)
		ret = event_put_all(st, events, &err);
	if (ret < 0) {
		json_decref(events);
		json_decref(where);
		return cli_fail(cli, &err);
	}
	json_array_foreach(events, i, ev)
		printf("%s\n", jsonio_str(ev, "id"));
	json_decref(events);
	json_decref(where);
	return 0;
}

/* ---- rules ---- */

static const char usage_rule_add[] =
	"usage: mlops event rule add NAME [--from FILE|NAME] "
	    "[--pattern FILE|JSON]\n"
	"                            [--target COMMAND] [--retries N] "
	    "[--backoff D]\n"
	"                            [--disabled]\n"
	"\n"
	"Add a rule: each event recorded from now on that matches the\n"
	"pattern runs the target (sh -c COMMAND, the event on stdin).\n"
	"\n"
	"  --from FILE|NAME      read the rule from a rule file, or a shipped\n"
	"                        rule (share/rules/NAME.yaml); the options\n"
	"                        below override what it says\n"
	"  --pattern FILE|JSON   the event pattern, inline or in a file\n"
	"  --target COMMAND      the command; ${detail.FIELD} is replaced by\n"
	"                        the event's value, quoted for the shell\n"
	"  --retries N           runs after a failed one, 0-100 (3)\n"
	"  --backoff D           wait before the first retry; doubles (2s)\n"
	"  --disabled            add it disabled\n";
static const char usage_rule_list[] =
	"usage: mlops event rule list [--json]\n"
	"\n"
	"List the rules, with their deliveries done, dead and pending.\n";
static const char usage_rule_show[] =
	"usage: mlops event rule show [--json] NAME\n"
	"\n"
	"Show a rule: pattern, target, retries and its deliveries.\n";
static const char usage_rule_enable[] =
	"usage: mlops event rule enable NAME\n"
	"\n"
	"Enable a rule; it sees the events recorded from now on.\n";
static const char usage_rule_disable[] =
	"usage: mlops event rule disable NAME\n"
	"\n"
	"Disable a rule: events no longer match it; deliveries already\n"
	"due still run.\n";
static const char usage_rule_rm[] =
	"usage: mlops event rule rm NAME\n"
	"\n"
	"Remove a rule and its deliveries, dead letters included.\n";
static const char usage_rule[] =
	"usage: mlops event rule add NAME [--from FILE|NAME] "
	    "[--pattern FILE|JSON]\n"
	"                            [--target COMMAND] [--retries N] "
	    "[--backoff D]\n"
	"                            [--disabled]\n"
	"       mlops event rule list [--json]\n"
	"       mlops event rule show [--json] NAME\n"
	"       mlops event rule enable|disable|rm NAME\n";
static const char usage_test[] =
	"usage: mlops event test --pattern FILE|JSON --event FILE|JSON|-\n"
	"\n"
	"Exit 0 when the pattern matches the event, 1 when it does not.\n";
static const char usage_dispatch[] =
	"usage: mlops event dispatch [--follow] [--json] [--coalesce]\n"
	"\n"
	"Deliver the events recorded since the last pass to the targets of\n"
	"the enabled rules they match, retrying failed targets, until none\n"
	"is left. Prints one line per delivery.\n"
	"\n"
	"  --follow     keep running and deliver new events as they come\n"
	"  --json       print each delivery as JSON\n"
	"  --coalesce   as the background passes do: leave at once when\n"
	"               another pass is already waiting to start\n";
static const char usage_dead[] =
	"usage: mlops event dead-letters [--json]\n"
	"\n"
	"List the deliveries whose target kept failing, with the reason.\n";
static const char usage_redrive[] =
	"usage: mlops event redrive ID\n"
	"\n"
	"Deliver dead letter ID again (with its retries), in the next pass.\n";

/* A pattern or event given inline (it starts with '{') or as a file
 * ("-": stdin). */
static int read_json_arg(struct buf *out, const char *arg, const char **name,
			 struct mlops_err *err)
{
	if (arg[strspn(arg, " \t\r\n")] == '{') {
		buf_addstr(out, arg);
		return 0;
	}
	*name = strcmp(arg, "-") == 0 ? "<stdin>" : arg;
	return strcmp(arg, "-") == 0 ?
		buf_read_fd(out, STDIN_FILENO, MLOPS_MAX_JSON, "<stdin>", err) :
		buf_read_file(out, arg, MLOPS_MAX_JSON, err);
}

static int load_pattern(json_t **out, const char *arg, struct mlops_err *err)
{
	struct buf text = BUF_INIT;
	const char *name = "--pattern";
	int ret = read_json_arg(&text, arg, &name, err);

	if (ret == 0)
		ret = governance_pattern_parse(out, text.s, text.len, name,
					       err);
	buf_release(&text);
	return ret;
}

static int cmd_rule_add(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "backoff", required_argument, 0, 'b' },
		{ "disabled", no_argument, 0, 'd' },
		{ "from", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "pattern", required_argument, 0, 'p' },
		{ "retries", required_argument, 0, 'r' },
		{ "target", required_argument, 0, 't' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *from = NULL, *pattern = NULL, *target = NULL;
	const char *backoff = NULL, *retries = NULL;
	struct governance_rule r;
	struct store *st;
	int c, ret, disabled = 0;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_rule_add))
	       != -1)
		switch (c) {
		case 'b': backoff = optarg; break;
		case 'd': disabled = 1; break;
		case 'f': from = optarg; break;
		case 'p': pattern = optarg; break;
		case 'r': retries = optarg; break;
		case 't': target = optarg; break;
		default: return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_rule_add, "give the rule's NAME");
	if (!from && (!pattern || !target))
		return cli_usage(cli, usage_rule_add, "give --pattern and "
				 "--target, or --from");
	governance_rule_init(&r);
	r.name = xstrdup(argv[optind]);
	ret = from ? governance_rule_load(&r, from, &err) : 0;
	if (ret == 0 && pattern) {
		json_decref(r.pattern);
		r.pattern = NULL;
		ret = load_pattern(&r.pattern, pattern, &err);
	}
	if (ret == 0 && target) {
		free(r.target);
		r.target = xstrdup(target);
	}
	if (ret == 0 && retries &&
	    parse_int64(retries, 0, 100, &r.retries, "--retries", &err) < 0)
		ret = MLOPS_EUSAGE;
	if (ret == 0 && backoff &&
	    time_parse_duration(backoff, &r.backoff_us, &err) < 0) {
		mlops_err_prefix(&err, "--backoff: ");
		ret = MLOPS_EUSAGE;
	}
	if (ret == MLOPS_EUSAGE) {
		governance_rule_release(&r);
		return cli_usage(cli, usage_rule_add, "%s", err.msg);
	}
	if (disabled)
		r.enabled = 0;
	if (ret == 0 && (ret = cli_store(cli, &st)) != 0) {
		governance_rule_release(&r);
		return ret;
	}
	if (ret == 0)
		ret = governance_rule_add(st, &r, &err);
	governance_rule_release(&r);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static void print_rule_table(const json_t *rules)
{
	static const char *const headers[] = {
		"name", "enabled", "delivered", "dead", "pending", "target"
	};
	struct table *t = table_new(6, headers);
	json_t *r;
	size_t i;

	json_array_foreach(rules, i, r) {
		const char *target = jsonio_str(r, "target");
		const char *nl = strchr(target, '\n');
		char d[32], x[32], p[32], *shown;

		snprintf(d, sizeof(d), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(r, "delivered")));
		snprintf(x, sizeof(x), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(r, "deadLetters")));
		snprintf(p, sizeof(p), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(r, "pending")));
		/* A target of several lines shows its first. */
		shown = nl && nl[1] ? xasprintf("%.*s ...", (int)(nl - target),
						target) :
			xstrndup(target, nl ? (size_t)(nl - target) :
				 strlen(target));
		table_add(t, (const char *const[]){
			jsonio_str(r, "name"),
			json_is_true(json_object_get(r, "enabled")) ? "yes" :
			"no", d, x, p, shown });
		free(shown);
	}
	table_print_free(t, stdout);
}

static int cmd_rule_list(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *rules = NULL, *r;
	struct store *st;
	size_t i;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_rule_list,
					   0, &json);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_rule_list(st, &rules, &err) < 0)
		return cli_fail(cli, &err);
	if (json)
		json_array_foreach(rules, i, r)
			jsonio_print(stdout, r);
	else
		print_rule_table(rules);
	json_decref(rules);
	return 0;
}

static int cmd_rule_show(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf pattern = BUF_INIT;
	json_t *r = NULL;
	struct store *st;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_rule_show,
					   1, &json);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_rule_show(st, argv[optind], &r, &err) < 0)
		return cli_fail(cli, &err);
	if (json) {
		jsonio_print(stdout, r);
	} else {
		jsonio_format(&pattern, json_object_get(r, "pattern"));
		printf("name:         %s\nenabled:      %s\npattern:      %s\n"
		       "target:       %s\nretries:      %" JSON_INTEGER_FORMAT
		       "\nbackoff:      %gs\ndelivered:    %"
		       JSON_INTEGER_FORMAT "\ndead letters: %"
		       JSON_INTEGER_FORMAT "\npending:      %"
		       JSON_INTEGER_FORMAT "\ncreated:      %s by %s\n",
		       jsonio_str(r, "name"),
		       json_is_true(json_object_get(r, "enabled")) ? "yes" :
		       "no", pattern.s, jsonio_str(r, "target"),
		       json_integer_value(json_object_get(r, "retries")),
		       json_real_value(json_object_get(r, "backoff")),
		       json_integer_value(json_object_get(r, "delivered")),
		       json_integer_value(json_object_get(r, "deadLetters")),
		       json_integer_value(json_object_get(r, "pending")),
		       jsonio_str(r, "created"), jsonio_str(r, "createdBy"));
		if (jsonio_str(r, "description"))
			printf("description:  %s\n",
			       jsonio_str(r, "description"));
		if (jsonio_str(r, "origin"))
			printf("from:         %s\n", jsonio_str(r, "origin"));
	}
	buf_release(&pattern);
	json_decref(r);
	return 0;
}

/* enable, disable, rm: one NAME, one library call. */
static int rule_change(int argc, char **argv, struct cli *cli,
		       const char *usage, int what)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret = cli_plain_args(argc, argv, cli, usage, 1, NULL);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = what < 0 ? governance_rule_rm(st, argv[optind], &err) :
		governance_rule_set_enabled(st, argv[optind], what, &err);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static int cmd_rule_enable(int argc, char **argv, struct cli *cli)
{
	return rule_change(argc, argv, cli, usage_rule_enable, 1);
}

static int cmd_rule_disable(int argc, char **argv, struct cli *cli)
{
	return rule_change(argc, argv, cli, usage_rule_disable, 0);
}

static int cmd_rule_rm(int argc, char **argv, struct cli *cli)
{
	return rule_change(argc, argv, cli, usage_rule_rm, -1);
}

static const struct cli_verb rule_verbs[] = {
	{ "add", cmd_rule_add, usage_rule_add, "add a rule: pattern -> "
	  "command" },
	{ "list", cmd_rule_list, usage_rule_list, "list the rules" },
	{ "show", cmd_rule_show, usage_rule_show, "show a rule" },
	{ "enable", cmd_rule_enable, usage_rule_enable, "enable a rule" },
	{ "disable", cmd_rule_disable, usage_rule_disable, "disable a rule" },
	{ "rm", cmd_rule_rm, usage_rule_rm, "remove a rule" },
	{ NULL, NULL, NULL, NULL }
};

static int cmd_test(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "event", required_argument, 0, 'e' },
		{ "help", no_argument, 0, 'h' },
		{ "pattern", required_argument, 0, 'p' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *pattern = NULL, *event = NULL, *name = "--event";
	struct buf text = BUF_INIT;
	json_t *p = NULL, *ev = NULL;
	int c, ret, match;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_test)) != -1)
		switch (c) {
		case 'e': event = optarg; break;
		case 'p': pattern = optarg; break;
		default: return CLI_STATUS(c);
		}
	if (optind != argc || !pattern || !event)
		return cli_usage(cli, usage_test, "give --pattern and --event");
	ret = load_pattern(&p, pattern, &err);
	if (ret == 0)
		ret = read_json_arg(&text, event, &name, &err);
	if (ret == 0)
		ret = jsonio_parse(&ev, text.s, text.len, name, &err);
	buf_release(&text);
	if (ret < 0) {
		json_decref(p);
		return cli_fail(cli, &err);
	}
	match = governance_pattern_match(p, ev);
	json_decref(p);
	json_decref(ev);
	return match ? 0 : MLOPS_EXIT_FINDING;
}

/* s on one line, for a table or a line of report (the caller frees). */
static char *one_line(const char *s)
{
	char *copy = xstrdup(s ? s : "-");

	for (char *p = copy; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return copy;
}

static volatile sig_atomic_t stop_dispatch;

static void on_signal(int sig)
{
	(void)sig;
	stop_dispatch = 1;
}

static void report_delivery(const json_t *o, void *arg)
{
	const int *json = arg;
	char *reason = jsonio_str(o, "reason") ?
		one_line(jsonio_str(o, "reason")) : NULL;

	if (*json) {
		jsonio_print(stdout, o);
	} else {
		printf("%s %s seq %" JSON_INTEGER_FORMAT " (event %s), "
		       "attempt %" JSON_INTEGER_FORMAT ", %.3fs%s%s\n",
		       jsonio_str(o, "outcome"), jsonio_str(o, "rule"),
		       json_integer_value(json_object_get(o, "seq")),
		       jsonio_str(o, "event"),
		       json_integer_value(json_object_get(o, "attempts")),
		       json_real_value(json_object_get(o, "seconds")),
		       reason ? ": " : "", reason ? reason : "");
	}
	free(reason);
	fflush(stdout);
}

static int cmd_dispatch(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "coalesce", no_argument, 0, 'c' },
		{ "follow", no_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, 'j' }, { 0, 0, 0, 0 }
	};
	struct governance_dispatch_opts o = { 0 };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct sigaction sa;
	struct store *st;
	int c, ret, json = 0;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_dispatch))
	       != -1)
		switch (c) {
		case 'c': o.coalesce = 1; break;
		case 'f': o.follow = 1; break;
		case 'j': json = 1; break;
		default: return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_dispatch, "unexpected argument "
				 "'%s'", argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	/* SIGTERM and SIGINT end a follower after the delivery under way,
	 * which then counts as done. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	o.stop = &stop_dispatch;
	o.report = report_delivery;
	o.arg = &json;
	ret = governance_dispatch_run(st, &o, &err);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static int cmd_dead_letters(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = {
		"id", "seq", "rule", "attempts", "ended", "reason"
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *all = NULL, *d;
	struct table *t;
	struct store *st;
	size_t i;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_dead, 0,
					   &json);

	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_dispatch_dead_letters(st, &all, &err) < 0)
		return cli_fail(cli, &err);
	if (json) {
		json_array_foreach(all, i, d)
			jsonio_print(stdout, d);
		json_decref(all);
		return 0;
	}
	t = table_new(6, headers);
	json_array_foreach(all, i, d) {
		char id[32], seq[32], n[32];
		char *reason = one_line(jsonio_str(d, "reason"));

		snprintf(id, sizeof(id), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(d, "id")));
		snprintf(seq, sizeof(seq), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(d, "seq")));
		snprintf(n, sizeof(n), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(d, "attempts")));
		table_add(t, (const char *const[]){
			id, seq, jsonio_str(d, "rule"), n,
			jsonio_str(d, "ended"), reason });
		free(reason);
	}
	table_print_free(t, stdout);
	json_decref(all);
	return 0;
}

static int cmd_redrive(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int64_t id;
	int ret = cli_plain_args(argc, argv, cli, usage_redrive, 1, NULL);

	if (ret >= 0)
		return ret;
	if (parse_int64(argv[optind], 1, INT64_MAX, &id, "ID", &err) < 0)
		return cli_usage(cli, usage_redrive, "%s", err.msg);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = governance_dispatch_redrive(st, id, &err);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

const struct cli_verb event_verbs[] = {
	{ "log", cmd_log, usage_log, "show events" },
	{ "put", cmd_put, usage_put, "record events given as JSON" },
	{ "rule", NULL, usage_rule, "rules: event pattern -> command",
	  rule_verbs },
	{ "test", cmd_test, usage_test, "whether a pattern matches an event" },
	{ "dispatch", cmd_dispatch, usage_dispatch, "run the targets of the "
	  "rules new events match" },
	{ "dead-letters", cmd_dead_letters, usage_dead, "deliveries whose "
	  "target kept failing" },
	{ "redrive", cmd_redrive, usage_redrive, "deliver a dead letter "
	  "again" },
	{ NULL, NULL, NULL, NULL }
};
