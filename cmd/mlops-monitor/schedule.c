/* schedule.c - mlops-monitor schedule create|list|rm, run-due,
 * executions and show: monitoring schedules over endpoint capture. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/parse.h"
#include "core/table.h"
#include "core/time.h"
#include "verbs.h"
#include "monitor/monitor.h"

const char usage_schedule[] =
	"usage: mlops-monitor schedule create|list|rm ...\n";
const char usage_schedule_create[] =
	"usage: mlops-monitor schedule create [--every DURATION] "
	"[--type data]\n"
	"                                     --endpoint E --baseline DIR "
	"NAME\n"
	"   or: mlops-monitor schedule create [--every D] --type quality\n"
	"                                     --problem P --labels DIR "
	"[--threshold X]\n"
	"                                     --endpoint E --baseline DIR "
	"NAME\n"
	"   or: mlops-monitor schedule create [--every D] --type attribution\n"
	"                                     [--threshold X] --endpoint E\n"
	"                                     --baseline FILE NAME\n"
	"\n"
	"Check what endpoint E captures every DURATION (default 1h, at "
	"least\n"
	"1m), when run-due is called: its requests against a data baseline,\n"
	"its predictions against ground truth, or its model's feature\n"
	"attributions against those on the baseline data.\n"
	"\n"
	"  --baseline DIR   data: a directory mlops-monitor baseline "
	"wrote, or\n"
	"                   GROUP/N; quality: a directory with model quality\n"
	"                   constraints.json; attribution: the baseline data\n"
	"                   (CSV with a header, the model's features)\n"
	"  --endpoint E     the endpoint whose capture is checked\n"
	"  --every D        the window: 1m, 15m, 1h, 1d ... (default 1h)\n"
	"  --labels DIR     quality: the ground truth (*.jsonl, *.csv below "
	"DIR)\n"
	"  --problem P      quality: binary, regression or multiclass\n"
	"  --threshold X    quality (binary): the score that predicts 1 "
	"(0.5);\n"
	"                   attribution: the lowest NDCG that is no "
	"violation (0.9)\n"
	"  --type T         data (default), quality or attribution\n";
const char usage_schedule_list[] =
	"usage: mlops-monitor schedule list [--json]\n";
const char usage_schedule_rm[] = "usage: mlops-monitor schedule rm NAME\n";
const char usage_run_due[] =
	"usage: mlops-monitor run-due [--now TIME]\n"
	"\n"
	"Run every window of every schedule that has ended and has not run,\n"
	"oldest first; made to be called from cron every minute. Prints one\n"
	"line per execution. Exits 0 at once when another run-due is\n"
	"running; 1 when an execution found violations or failed.\n"
	"\n"
	"  --now TIME   act as if it were TIME (RFC 3339 or Unix seconds)\n";
const char usage_executions[] =
	"usage: mlops-monitor executions [--json] NAME\n";
const char usage_show[] = "usage: mlops-monitor show EXECUTION\n";

int cmd_schedule_create(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
	    {"baseline", required_argument, 0, 'b'},
	    {"endpoint", required_argument, 0, 'e'},
	    {"every", required_argument, 0, 'E'},
	    {"help", no_argument, 0, 'h'},
	    {"labels", required_argument, 0, 'l'},
	    {"problem", required_argument, 0, 'p'},
	    {"threshold", required_argument, 0, 'T'},
	    {"type", required_argument, 0, 't'},
	    {0, 0, 0, 0}};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_schedule_spec spec = { "data", NULL, NULL, NAN };
	const char *baseline = NULL, *endpoint = NULL, *every = "1h";
	int64_t interval;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "b:e:E:hl:p:t:T:", opts, cli,
			       usage_schedule_create)) != -1)
		switch (c) {
		case 'b':
			baseline = optarg;
			break;
		case 'e':
			endpoint = optarg;
			break;
		case 'E':
			every = optarg;
			break;
		case 'l':
			spec.labels = optarg;
			break;
		case 'p':
			spec.problem = optarg;
			break;
		case 't':
			if (strcmp(optarg, "data") != 0 &&
			    strcmp(optarg, "quality") != 0 &&
			    strcmp(optarg, "attribution") != 0)
				return cli_usage(cli, usage_schedule_create,
						 "unknown type '%s'", optarg);
			spec.type = optarg;
			break;
		case 'T':
			if (parse_double(optarg, &spec.threshold,
					 "--threshold", &err) < 0)
				return cli_usage(cli, usage_schedule_create,
						 "%s", err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1 || !baseline || !endpoint)
		return cli_usage(cli, usage_schedule_create, NULL);
	if (time_parse_duration(every, &interval, &err) < 0)
		return cli_usage(cli, usage_schedule_create, "%s", err.msg);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_schedule_create(st, argv[optind], endpoint, baseline,
				    interval, &spec, &err) < 0)
		return cli_fail(cli, &err);
	printf("schedule '%s': created\n", argv[optind]);
	return 0;
}

int cmd_schedule_rm(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret = cli_plain_args(argc, argv, cli, usage_schedule_rm, 1, NULL);

	if (ret != -1)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_schedule_delete(st, argv[optind], &err) < 0)
		return cli_fail(cli, &err);
	printf("schedule '%s': removed\n", argv[optind]);
	return 0;
}

static json_t *schedule_json(const struct monitor_schedule *s)
{
	char next[TIME_RFC3339_MAX];
	json_t *j;

	time_format(s->next_start_us + s->interval_us, next);
	j = json_pack("{s:s,s:s,s:s,s:s,s:I,s:s}", "name", s->name,
		      "endpoint", s->endpoint, "baseline", s->baseline,
		      "type", s->type, "interval_seconds",
		      (json_int_t)(s->interval_us / 1000000), "next_run",
		      next);
	if (s->labels)
		json_object_set_new(j, "labels", json_string(s->labels));
	if (s->problem)
		json_object_set_new(j, "problem", json_string(s->problem));
	if (!isnan(s->threshold))
		json_object_set_new(j, "threshold", json_real(s->threshold));
	return j;
}

int cmd_schedule_list(int argc, char **argv, struct cli *cli)
{
	static const char *const head[] = {"name", "endpoint", "every",
					   "next run", "baseline", "type"};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct monitor_schedule *v;
	struct store *st;
	struct table *t = NULL;
	size_t n;
	int json = 0, ret = cli_plain_args(argc, argv, cli, usage_schedule_list,
					   0, &json);

	if (ret != -1)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_schedule_list(st, &v, &n, &err) < 0)
		return cli_fail(cli, &err);
	if (!json)
		t = table_new(6, head);
	for (size_t i = 0; i < n && ret == 0; i++) {
		json_t *j = schedule_json(&v[i]);

		if (json) {
			if (jsonio_print(stdout, j) < 0)
				ret = cli_error(cli, MLOPS_EINTERNAL,
						"cannot "
						"write to standard output");
		} else {
			char every[32];
			const char *row[6];

			snprintf(every, sizeof(every), "%llds",
				 (long long)(v[i].interval_us / 1000000));
			row[0] = v[i].name;
			row[1] = v[i].endpoint;
			row[2] = every;
			row[3] = jsonio_str(j, "next_run");
			row[4] = v[i].baseline;
			row[5] = v[i].type;
			table_add(t, row);
		}
		json_decref(j);
	}
	if (t && table_print_free(t, stdout) < 0 && ret == 0)
		ret = cli_error(cli, MLOPS_EINTERNAL,
				"cannot write to "
				"standard output");
	monitor_schedule_list_free(v, n);
	return ret;
}

/* The execution's line, then a line per variant that served in its
 * window. */
static void print_execution(const json_t *e)
{
	json_t *v;
	size_t i;

	printf("%s\t%s\t%s\t%lld items\t%lld violations\n",
	       jsonio_str(e, "executionId"),
	       jsonio_str(e, "monitoringScheduleName"),
	       jsonio_str(e, "monitoringExecutionStatus"),
	       (long long)json_integer_value(json_object_get(e, "items")),
	       (long long)json_integer_value(json_object_get(e, "violations")));
	json_array_foreach(json_object_get(e, "variants"), i, v)
		printf("  variant %s\t%s\t%lld items\t%lld violations\n",
		       jsonio_str(v, "variant"),
		       jsonio_str(v, "monitoringExecutionStatus"),
		       (long long)json_integer_value(json_object_get(v,
								     "items")),
		       (long long)json_integer_value(json_object_get(v,
							"violations")));
}

static int on_execution(const json_t *exec, void *arg)
{
	int *findings = arg;

	print_execution(exec);
	if (strcmp(jsonio_str(exec, "monitoringExecutionStatus"),
		   "Completed") != 0)
		*findings = 1;
	return 0;
}

int cmd_run_due(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {{"help", no_argument, 0, 'h'},
					     {"now", required_argument, 0, 'n'},
					     {0, 0, 0, 0}};
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t now = time_now_us();
	struct store *st;
	int c, ret, findings = 0;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_run_due)) !=
	       -1)
		switch (c) {
		case 'n':
			if (time_parse(optarg, &now, &err) < 0)
				return cli_usage(cli, usage_run_due, "%s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind)
		return cli_usage(cli, usage_run_due, NULL);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = monitor_schedule_run_due(st, now, on_execution, &findings, &err);
	if (ret == MONITOR_SCHEDULE_BUSY) {
		cli_warn(cli, "another run-due is running; nothing to do");
		return 0;
	}
	if (ret < 0)
		return cli_fail(cli, &err);
	if (fflush(stdout) != 0)
		return cli_error(cli, MLOPS_EINTERNAL,
				 "cannot write to "
				 "standard output");
	return findings ? MLOPS_EXIT_FINDING : 0;
}

int cmd_executions(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	json_t *list, *e;
	size_t i;
	int json = 0,
	    ret = cli_plain_args(argc, argv, cli, usage_executions, 1, &json);

	if (ret != -1)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_schedule_executions(st, argv[optind], &list, &err) < 0)
		return cli_fail(cli, &err);
	json_array_foreach(list, i, e)
	{
		if (json)
			jsonio_print(stdout, e);
		else
			print_execution(e);
	}
	json_decref(list);
	return 0;
}

int cmd_show(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	json_t *e;
	int ret = cli_plain_args(argc, argv, cli, usage_show, 1, NULL);

	if (ret != -1)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_schedule_execution_get(st, argv[optind], &e, &err) < 0)
		return cli_fail(cli, &err);
	ret = jsonio_print(stdout, e);
	json_decref(e);
	return ret < 0 ? cli_error(cli, MLOPS_EINTERNAL,
				   "cannot write to "
				   "standard output")
		       : 0;
}
