/* show.c - `mlops-pipeline list`, `show` and `logs`: reading recorded
 * runs, as tables for people or JSON for programs. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/jsonio.h"
#include "pipeline/pipeline.h"
#include "core/table.h"
#include "verbs.h"
#include "core/xalloc.h"

const char usage_list[] =
	"usage: mlops-pipeline list [--json]\n"
	"\n"
	"List runs, oldest first: ID, pipeline, status, steps per status,\n"
	"cache hits, commit, start time and duration.\n"
	"\n"
	"  --json   a JSON array\n";
const char usage_show[] =
	"usage: mlops-pipeline show [--json] RUN\n"
	"\n"
	"Show a run (by ID or a unique prefix): its status, commit and\n"
	"parameters, and each step's status, cache hit, attempts, exit code\n"
	"and times.\n"
	"\n"
	"  --json   one JSON object\n";
const char usage_logs[] =
	"usage: mlops-pipeline logs [-f] RUN [STEP]\n"
	"\n"
	"Print the log of STEP, or of every step that has one (each after a\n"
	"'==> STEP <==' line).\n"
	"\n"
	"  -f, --follow   keep printing what is written until the run ends\n";

static const struct option json_opts[] = {
	{ "help", no_argument, 0, 'h' },
	{ "json", no_argument, 0, 'J' }, { 0, 0, 0, 0 }
};

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "-";
}

static void format_duration(const json_t *o, char out[32])
{
	const json_t *d = json_object_get(o, "duration");

	if (json_is_number(d))
		snprintf(out, 32, "%.2fs", json_number_value(d));
	else
		snprintf(out, 32, "-");
}

static int cmd_json_or_table(int argc, char **argv, struct cli *cli,
			     const char *usage, int want_args, int *json)
{
	int c;

	*json = 0;
	while ((c = cli_getopt(argc, argv, "h", json_opts, cli, usage)) != -1)
		switch (c) {
		case 'J':
			*json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != want_args)
		return cli_usage(cli, usage, want_args ? "expected one RUN" :
				 "unexpected argument");
	return -1;
}

int cmd_list(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = { "run", "pipeline", "status",
					       "steps", "cached", "commit",
					       "created", "duration" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct table *t;
	json_t *list, *run;
	struct store *st;
	size_t i;
	int json, ret;

	ret = cmd_json_or_table(argc, argv, cli, usage_list, 0, &json);
	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (pipeline_runs_list(st, &list, &err) < 0)
		return cli_fail(cli, &err);
	if (json) {
		json_array_foreach(list, i, run)
			jsonio_print(stdout, run);
		json_decref(list);
		return 0;
	}
	t = table_new(8, headers);
	json_array_foreach(list, i, run) {
		const json_t *counts = json_object_get(run, "stepCounts");
		const char *key;
		json_t *v;
		struct buf steps = BUF_INIT;
		char dur[32], hits[32], commit[16];

		json_object_foreach((json_t *)counts, key, v)
			buf_addf(&steps, "%s%lld %s", steps.len ? ", " : "",
				 (long long)json_integer_value(v), key);
		snprintf(hits, sizeof(hits), "%lld", (long long)
			 json_integer_value(json_object_get(run,
							    "cacheHits")));
		snprintf(commit, sizeof(commit), "%.12s",
			 str(run, "gitCommit"));
		format_duration(run, dur);
		table_add(t, (const char *const[]){ str(run, "id"),
			  str(run, "pipeline"), str(run, "status"), steps.s,
			  hits, commit, str(run, "created"), dur });
		buf_release(&steps);
	}
	json_decref(list);
	return table_print_free(t, stdout) < 0 ? 70 : 0;
}

int cmd_show(int argc, char **argv, struct cli *cli)
{
	static const char *const headers[] = { "step", "status", "cache",
					       "attempts", "exit", "started",
					       "duration", "reason" };
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *run, *step, *steps;
	struct store *st;
	struct table *t;
	size_t i;
	int json, ret;

	ret = cmd_json_or_table(argc, argv, cli, usage_show, 1, &json);
	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (pipeline_runs_get(st, argv[optind], &run, &err) < 0)
		return cli_fail(cli, &err);
	if (json) {
		jsonio_print(stdout, run);
		json_decref(run);
		return 0;
	}
	printf("run:        %s\npipeline:   %s\nstatus:     %s\n",
	       str(run, "id"), str(run, "pipeline"), str(run, "status"));
	printf("commit:     %s\nexecutor:   %s\ncreated:    %s\n"
	       "ended:      %s\nuser:       %s\n", str(run, "gitCommit"),
	       str(run, "executor"), str(run, "created"), str(run, "ended"),
	       str(run, "user"));
	if (json_is_string(json_object_get(run, "failureReason")))
		printf("reason:     %s\n", str(run, "failureReason"));
	printf("parameters:");
	{
		const char *key;
		json_t *v;

		json_object_foreach(json_object_get(run, "parameters"), key, v)
			printf(" %s=%s", key, json_string_value(v));
	}
	printf("\n\n");
	fflush(stdout);
	t = table_new(8, headers);
	steps = json_object_get(run, "steps");
	json_array_foreach(steps, i, step) {
		char attempts[16], exit_code[16], dur[32];
		const json_t *ec = json_object_get(step, "exitCode");
		const char *cache = json_is_true(json_object_get(step,
								 "cacheHit")) ?
			"hit" : json_is_string(json_object_get(step,
							       "cacheKey")) ?
			"miss" : "-";

		snprintf(attempts, sizeof(attempts), "%lld", (long long)
			 json_integer_value(json_object_get(step,
							    "attempts")));
		if (json_is_integer(ec))
			snprintf(exit_code, sizeof(exit_code), "%lld",
				 (long long)json_integer_value(ec));
		else
			snprintf(exit_code, sizeof(exit_code), "-");
		format_duration(step, dur);
		table_add(t, (const char *const[]){ str(step, "name"),
			  str(step, "status"), cache, attempts, exit_code,
			  str(step, "started"), dur,
			  str(step, "failureReason") });
	}
	json_decref(run);
	return table_print_free(t, stdout) < 0 ? 70 : 0;
}

/* Append what the file at path holds beyond *offset to out. */
static void read_new(const char *path, off_t *offset, struct buf *out)
{
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (lseek(fd, *offset, SEEK_SET) == *offset)
		while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
			buf_add(out, chunk, (size_t)n);
			*offset += n;
		}
	close(fd);
}

int cmd_logs(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "follow", no_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *id, *only = NULL;
	json_t *run, *steps, *step;
	struct store *st;
	off_t *offsets;
	char **paths;
	size_t n, i;
	int c, ret, follow = 0, found = 0, last = -1;

	while ((c = cli_getopt(argc, argv, "fh", opts, cli, usage_logs)) != -1)
		switch (c) {
		case 'f':
			follow = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(cli, usage_logs, "expected RUN [STEP]");
	if (argc - optind == 2)
		only = argv[optind + 1];
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (pipeline_runs_get(st, argv[optind], &run, &err) < 0)
		return cli_fail(cli, &err);
	id = str(run, "id");
	steps = json_object_get(run, "steps");
	n = json_array_size(steps);
	paths = xcalloc(n + 1, sizeof(*paths));
	offsets = xcalloc(n + 1, sizeof(*offsets));
	json_array_foreach(steps, i, step) {
		const char *name = str(step, "name");

		if (only && strcmp(only, name) != 0)
			continue;
		found = 1;
		paths[i] = xasprintf("%s/runs/%s/logs/%s.log", st->dir, id,
				     name);
	}
	if (!found) {
		ret = cli_error(cli, MLOPS_ENOTFOUND, "run %s has no step '%s'",
				id, only);
		goto out;
	}
	for (;;) {
		char *status = NULL;
		int running;

		ret = pipeline_runs_status(st, id, &status, &err);
		if (ret < 0) {
			ret = cli_fail(cli, &err);
			break;
		}
		running = strcmp(status, "Executing") == 0;
		free(status);
		for (i = 0; i < n; i++) {
			struct buf data = BUF_INIT;

			if (!paths[i])
				continue;
			read_new(paths[i], &offsets[i], &data);
			if (data.len && !only && (int)i != last)
				printf("%s==> %s <==\n", last >= 0 ? "\n" : "",
				       str(json_array_get(steps, i), "name"));
			if (data.len)
				last = (int)i;
			fwrite(data.s, 1, data.len, stdout);
			buf_release(&data);
		}
		fflush(stdout);
		if (!follow || !running)
			break;
		usleep(200000);
	}
out:
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	free(offsets);
	json_decref(run);
	return ret;
}
