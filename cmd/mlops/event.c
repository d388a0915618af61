/* event.c - `mlops event log|put`: query the event log and add events by
 * hand (for scripts and tests). */
#include <inttypes.h>
#include <stdio.h>
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

static const char usage_log[] =
	"usage: mlops event log [--json] [--source SOURCE] "
	    "[--type DETAIL-TYPE]\n"
	"                       [--since TIME] [--limit N]\n"
	"\n"
	"Show events, oldest first.\n"
	"\n"
	"  --json               the envelopes, one per line (JSON Lines)\n"
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
	"                       [--since TIME] [--limit N]\n"
	"       mlops event put [FILE|-]\n";

struct log_state {
	int json;
	struct table *table;
};

static int log_one(int64_t seq, json_t *ev, void *arg)
{
	struct log_state *ls = arg;
	struct buf resources = BUF_INIT;
	char num[32];
	json_t *r;
	size_t i;

	if (ls->json)
		return jsonio_print(stdout, ev) < 0 ? -1 : 0;
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
	struct log_state ls = { 0, NULL };
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_log)) != -1)
		switch (c) {
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
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (!ls.json)
		ls.table = table_new(5, headers);
	ret = event_each(st, &f, log_one, &ls, &err);
	if (ls.table)
		table_print_free(ls.table, stdout);
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

const struct cli_verb event_verbs[] = {
	{ "log", cmd_log, usage_log, "show events" },
	{ "put", cmd_put, usage_put, "record events given as JSON" },
	{ NULL, NULL, NULL, NULL }
};
