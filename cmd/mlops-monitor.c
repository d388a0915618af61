/* mlops-monitor.c - Model Monitor: baselines of a dataset and checks of
 * new data against them. The work is lib/monitor's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "core/xalloc.h"
#include "mlops-monitor/verbs.h"
#include "monitor/monitor.h"

static const char usage_baseline[] =
	"usage: mlops-monitor baseline [--format csv|jsonl] "
	"[--header|--no-header]\n"
	"                              [-o DIR] [--register GROUP/N] "
	"[--threads N]\n"
	"                              "
	"--data FILE|-\n"
	"\n"
	"Profile FILE in one streaming pass and write Model Monitor's\n"
	"statistics.json and constraints.json into DIR; with --register,\n"
	"attach them to that model version.\n"
	"\n"
	"  --data FILE     the dataset, CSV or JSON Lines; - is standard "
	"input\n"
	"  --format FMT    csv or jsonl (default: jsonl for *.jsonl, else "
	"csv)\n"
	"  --header        the CSV's first row names the columns (default)\n"
	"  --no-header     it does not: the columns are _c0, _c1, ...\n"
	"  -o, --output DIR  where to write (default: the current "
	"directory;\n"
	"                  - prints each file as one line of JSON instead)\n"
	"  --register GROUP/N  keep the baseline with the model version\n"
	"  --threads N     profile CSV with N threads (default: one per "
	"processor;\n"
	"                  the result is the same for any N)\n";

static const char usage_check[] =
	"usage: mlops-monitor check [--format csv|jsonl] "
	"[--header|--no-header]\n"
	"                           [-o DIR] [--threads N] --baseline DIR\n"
	"                           --data FILE|-\n"
	"\n"
	"Profile FILE, check it against the baseline in DIR and write\n"
	"constraint_violations.json and the data's statistics.json into the\n"
	"output directory. Prints one line per violation; exit 1 when there\n"
	"is any.\n"
	"\n"
	"  --baseline DIR  the directory baseline wrote, or GROUP/N for\n"
	"                  the baseline registered with that version\n"
	"  --data FILE     the data to check; - is standard input\n"
	"  --format FMT    csv or jsonl (default: jsonl for *.jsonl, else "
	"csv)\n"
	"  --header, --no-header   as for baseline\n"
	"  -o, --output DIR  where to write (default: the current "
	"directory;\n"
	"                  - prints each file as one line of JSON instead)\n"
	"  --threads N     as for baseline\n";

struct data_opts {
	const char *data, *format, *out, *baseline, *reg;
	int header;
	unsigned threads;
};

enum { OPT_HEADER = 256, OPT_NO_HEADER, OPT_THREADS };

/* --threads N into o, 1 to 1024: 0, or a usage error's status. */
static int parse_threads(struct data_opts *o, const char *arg,
			 struct cli *cli, const char *usage)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t n;

	if (parse_int64(arg, 1, 1024, &n, "--threads", &err) < 0)
		return cli_usage(cli, usage, "%s", err.msg);
	o->threads = (unsigned)n;
	return 0;
}

static int parse_data_opts(struct data_opts *o, int argc, char **argv,
			   struct cli *cli, const char *usage, int baseline)
{
	static const struct option opts[] = {
	    {"baseline", required_argument, 0, 'b'},
	    {"data", required_argument, 0, 'd'},
	    {"format", required_argument, 0, 'F'},
	    {"header", no_argument, 0, OPT_HEADER},
	    {"help", no_argument, 0, 'h'},
	    {"no-header", no_argument, 0, OPT_NO_HEADER},
	    {"output", required_argument, 0, 'o'},
	    {"register", required_argument, 0, 'r'},
	    {"threads", required_argument, 0, OPT_THREADS},
	    {0, 0, 0, 0}};
	int c, ret;

	o->header = 1;
	o->out = ".";
	while ((c = cli_getopt(argc, argv, "b:d:F:ho:r:", opts, cli, usage)) !=
	       -1)
		switch (c) {
		case 'b':
			if (!baseline)
				return cli_usage(cli, usage,
						 "unknown option "
						 "'--baseline'");
			o->baseline = optarg;
			break;
		case 'r':
			if (baseline)
				return cli_usage(cli, usage, "unknown option "
						 "'--register'");
			o->reg = optarg;
			break;
		case 'd':
			o->data = optarg;
			break;
		case 'F':
			o->format = optarg;
			break;
		case 'o':
			o->out = optarg;
			break;
		case OPT_HEADER:
			o->header = 1;
			break;
		case OPT_NO_HEADER:
			o->header = 0;
			break;
		case OPT_THREADS:
			if ((ret = parse_threads(o, optarg, cli, usage)) != 0)
				return ret;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind)
		return cli_usage(cli, usage, "unexpected argument '%s'",
				 argv[optind]);
	if (!o->data)
		return cli_usage(cli, usage, "--data is required");
	if (baseline && !o->baseline)
		return cli_usage(cli, usage, "--baseline is required");
	if (o->format && strcmp(o->format, "csv") != 0 &&
	    strcmp(o->format, "jsonl") != 0)
		return cli_usage(cli, usage, "unknown format '%s'", o->format);
	return -1;
}

/* Profile the file at path (the options give its format); with keep,
 * keep its numbers too; with strings_only, count the values of String
 * columns only (monitor_profile_opts). */
static int profile(struct monitor_profile *p, const char *path,
		   const struct data_opts *o, int keep, int strings_only,
		   struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	size_t n = strlen(path);
	struct monitor_profile_opts po = {MONITOR_PROFILE_CSV, o->header, keep,
					  o->threads, strings_only};
	int fd = STDIN_FILENO, ret;

	if (o->format ? strcmp(o->format, "jsonl") == 0
		      : n > 6 && strcmp(path + n - 6, ".jsonl") == 0)
		po.format = MONITOR_PROFILE_JSONL;
	if (strcmp(path, "-") != 0 && (fd = fs_open_input(path, &err)) < 0)
		return cli_fail(cli, &err);
	po.progress = cli_progress(cli, NULL, 0);
	ret = monitor_profile_read_opts(p, fd, path, &po, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

/* Write the documents into dir, or for "-" print each as one line of
 * JSON on standard output, in the order named. */
static int write_docs(const char *dir, size_t n, const char *const *names,
		      json_t *const *docs, struct mlops_err *err)
{
	if (cli_output(dir))
		return monitor_report_write(dir, n, names, docs, err);
	for (size_t i = 0; i < n; i++)
		if (jsonio_print(stdout, docs[i]) < 0)
			return mlops_err_set(err, MLOPS_EINTERNAL,
					     "cannot write to standard output");
	return 0;
}

/* Attach the baseline in dir to the model version ref. */
static int register_baseline(struct cli *cli, const char *dir,
			     const char *ref)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	char *resolved = NULL;
	int ret;

	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_baseline_register(st, dir, ref, &resolved, &err) < 0)
		return cli_fail(cli, &err);
	printf("baseline of %s: registered\n", resolved);
	free(resolved);
	return 0;
}

/* The directory of the baseline arg names: a directory, or else a model
 * version (GROUP/N, GROUP@ALIAS) whose registered baseline is written
 * back into the store. *out is arg or a new string in *owned. */
static int baseline_dir(struct cli *cli, const char *arg, const char **out,
			char **owned)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret;

	*owned = NULL;
	*out = arg;
	if (!monitor_baseline_is_ref(arg))
		return 0;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (monitor_baseline_materialise(st, arg, owned, &err) < 0)
		return cli_fail(cli, &err);
	*out = *owned;
	return 0;
}

static int cmd_baseline(int argc, char **argv, struct cli *cli)
{
	static const char *const names[] = {"statistics.json",
					    "constraints.json"};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct data_opts o = {0};
	struct monitor_profile p;
	json_t *docs[2];
	int ret;

	if ((ret = parse_data_opts(&o, argc, argv, cli, usage_baseline, 0)) !=
	    -1)
		return ret;
	if (o.reg && !cli_output(o.out))
		return cli_usage(cli, usage_baseline, "--register needs the "
				 "files: -o DIR, not -o -");
	if ((ret = profile(&p, o.data, &o, 0, 1, cli)) != 0)
		return ret;
	if (cli_output(o.out)) {
		ret = monitor_report_write_baseline(o.out, &p, o.threads, &err);
	} else {
		docs[0] = monitor_report_statistics(&p);
		docs[1] = monitor_report_constraints(&p);
		ret = write_docs(o.out, 2, names, docs, &err);
		json_decref(docs[0]);
		json_decref(docs[1]);
	}
	monitor_profile_release(&p);
	if (ret < 0)
		return cli_fail(cli, &err);
	return o.reg ? register_baseline(cli, o.out, o.reg) : 0;
}

static int cmd_check(int argc, char **argv, struct cli *cli)
{
	static const char *const names[] = {"constraint_violations.json",
					    "statistics.json"};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct data_opts o = {0};
	struct monitor_report_baseline b;
	struct monitor_profile p;
	json_t *docs[2], *v;
	const char *dir;
	char *owned;
	size_t i, nviol;
	int ret;

	if ((ret = parse_data_opts(&o, argc, argv, cli, usage_check, 1)) != -1)
		return ret;
	if ((ret = baseline_dir(cli, o.baseline, &dir, &owned)) != 0)
		return ret;
	ret = monitor_report_baseline_load(&b, dir, &err);
	free(owned);
	if (ret < 0)
		return cli_fail(cli, &err);
	if ((ret = profile(&p, o.data, &o, 0, 0, cli)) != 0) {
		monitor_report_baseline_release(&b);
		return ret;
	}
	docs[0] = monitor_check(&b, &p, &err);
	docs[1] = monitor_report_statistics(&p);
	monitor_profile_release(&p);
	monitor_report_baseline_release(&b);
	ret = docs[0] ? write_docs(o.out, 2, names, docs, &err) : err.code;
	json_decref(docs[1]);
	if (ret < 0) {
		json_decref(docs[0]);
		return cli_fail(cli, &err);
	}
	nviol = json_array_size(json_object_get(docs[0], "violations"));
	json_array_foreach(json_object_get(docs[0], "violations"), i,
			   v) if (cli_output(o.out))
	    printf("%s\t%s\t%s\n", jsonio_str(v, "feature_name"),
		   jsonio_str(v, "constraint_check_type"),
		   jsonio_str(v, "description"));
	json_decref(docs[0]);
	return nviol ? MLOPS_EXIT_FINDING : 0;
}

static const char usage_drift[] =
	"usage: mlops-monitor drift [--format csv|jsonl] "
	"[--header|--no-header] [--json]\n"
	"                           [--method M] [--threshold X] "
	"[--threads N]\n"
	"                           --reference FILE --data FILE|-\n"
	"\n"
	"Measure, feature by feature, how far the data has moved from the\n"
	"reference sample (the training data), from the values themselves.\n"
	"Prints feature, method, statistic and p-value (- when the method\n"
	"has none), tab-separated.\n"
	"\n"
	"  --data FILE       the current data; - is standard input\n"
	"  --json            JSON Lines\n"
	"  --method M        ks (default), psi, js, chi2 or wasserstein\n"
	"  --reference FILE  the reference data\n"
	"  --threshold X     exit 1 when a statistic exceeds X\n"
	"  --format, --header, --no-header, --threads N   as for "
	"baseline\n";

/* d in the shortest form that reads back as d, as --json prints it. */
static void add_real(struct buf *b, double d)
{
	json_t *r = json_real(d);

	jsonio_format(b, r);
	json_decref(r);
}

static int print_drift(const char *feature, enum monitor_drift_method m,
		       const struct monitor_drift *d, int json)
{
	json_t *j;
	int ret;

	if (!json) {
		struct buf line = BUF_INIT;

		buf_addf(&line, "%s\t%s\t", feature,
			 monitor_drift_method_name(m));
		add_real(&line, d->statistic);
		buf_addch(&line, '\t');
		if (isnan(d->p_value))
			buf_addch(&line, '-');
		else
			add_real(&line, d->p_value);
		buf_addch(&line, '\n');
		ret = fwrite(line.s, 1, line.len, stdout) == line.len ? 0 : -1;
		buf_release(&line);
		return ret;
	}
	j = json_pack("{s:s,s:s,s:f,s:I,s:I}", "feature", feature, "method",
		      monitor_drift_method_name(m), "statistic", d->statistic,
		      "n_reference", (json_int_t)d->n_reference, "n_current",
		      (json_int_t)d->n_current);
	if (!isnan(d->p_value))
		json_object_set_new(j, "p_value", json_real(d->p_value));
	ret = jsonio_print(stdout, j);
	json_decref(j);
	return ret;
}

enum { OPT_JSON = 300, OPT_METHOD, OPT_REFERENCE, OPT_THRESHOLD };

/* Drift of every column of ref that cur has too, computed at once on
 * o's threads, printed in ref's order; *over is set when a statistic
 * exceeds *threshold (if not NULL). */
static int drift_all(struct monitor_profile *ref,
		     struct monitor_profile *cur,
		     enum monitor_drift_method m, const struct data_opts *o,
		     int json, const double *threshold, int *over,
		     struct cli *cli)
{
	struct monitor_profile_column **a, **b;
	struct monitor_drift *d;
	const char **names;
	int *applies, ret = 0;
	size_t n = 0;

	a = xcalloc(ref->ncols + 1, sizeof(*a));
	b = xcalloc(ref->ncols + 1, sizeof(*b));
	names = xcalloc(ref->ncols + 1, sizeof(*names));
	for (size_t i = 0; i < ref->ncols; i++)
		for (size_t j = 0; j < cur->ncols; j++)
			if (strcmp(ref->cols[i].name, cur->cols[j].name) == 0) {
				names[n] = ref->cols[i].name;
				a[n] = &ref->cols[i];
				b[n++] = &cur->cols[j];
			}
	d = xcalloc(n + 1, sizeof(*d));
	applies = xcalloc(n + 1, sizeof(*applies));
	monitor_drift_many(d, applies, m, a, b, n, o->threads);
	for (size_t i = 0; i < n && ret == 0; i++) {
		if (!applies[i])
			continue;
		if (print_drift(names[i], m, &d[i], json) < 0)
			ret = cli_error(cli, MLOPS_EINTERNAL, "cannot write to "
					"standard output");
		if (threshold && d[i].statistic > *threshold)
			*over = 1;
	}
	free(a);
	free(b);
	free(names);
	free(d);
	free(applies);
	return ret;
}

static int cmd_drift(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
	    {"data", required_argument, 0, 'd'},
	    {"format", required_argument, 0, 'F'},
	    {"header", no_argument, 0, OPT_HEADER},
	    {"help", no_argument, 0, 'h'},
	    {"json", no_argument, 0, OPT_JSON},
	    {"method", required_argument, 0, OPT_METHOD},
	    {"no-header", no_argument, 0, OPT_NO_HEADER},
	    {"reference", required_argument, 0, OPT_REFERENCE},
	    {"threads", required_argument, 0, OPT_THREADS},
	    {"threshold", required_argument, 0, OPT_THRESHOLD},
	    {0, 0, 0, 0}};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct data_opts o = {0};
	struct monitor_profile ref, cur;
	enum monitor_drift_method m = MONITOR_DRIFT_KS;
	const char *reference = NULL, *threshold_arg = NULL;
	double threshold = 0;
	int c, json = 0, ret, over = 0;

	o.header = 1;
	while ((c = cli_getopt(argc, argv, "d:F:h", opts, cli, usage_drift)) !=
	       -1)
		switch (c) {
		case 'd':
			o.data = optarg;
			break;
		case 'F':
			o.format = optarg;
			break;
		case OPT_HEADER:
			o.header = 1;
			break;
		case OPT_NO_HEADER:
			o.header = 0;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_METHOD:
			if (monitor_drift_method_parse(optarg, &m) < 0)
				return cli_usage(cli, usage_drift,
						 "unknown "
						 "method '%s'",
						 optarg);
			break;
		case OPT_REFERENCE:
			reference = optarg;
			break;
		case OPT_THREADS:
			if ((ret = parse_threads(&o, optarg, cli,
						 usage_drift)) != 0)
				return ret;
			break;
		case OPT_THRESHOLD:
			threshold_arg = optarg;
			if (parse_double(optarg, &threshold, "--threshold",
					 &err) < 0)
				return cli_usage(cli, usage_drift, "%s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind)
		return cli_usage(cli, usage_drift, "unexpected argument '%s'",
				 argv[optind]);
	if (!o.data || !reference)
		return cli_usage(cli, usage_drift,
				 "--reference and --data "
				 "are required");
	if (o.format && strcmp(o.format, "csv") != 0 &&
	    strcmp(o.format, "jsonl") != 0)
		return cli_usage(cli, usage_drift, "unknown format '%s'",
				 o.format);
	if ((ret = profile(&ref, reference, &o, 1, 1, cli)) != 0)
		return ret;
	if ((ret = profile(&cur, o.data, &o, 1, 1, cli)) != 0) {
		monitor_profile_release(&ref);
		return ret;
	}
	ret = drift_all(&ref, &cur, m, &o, json, threshold_arg ? &threshold :
			NULL, &over, cli);
	monitor_profile_release(&ref);
	monitor_profile_release(&cur);
	if (ret == 0 && over)
		return MLOPS_EXIT_FINDING;
	return ret;
}

static const struct cli_verb schedule_verbs[] = {
	{ "create", cmd_schedule_create, usage_schedule_create, "check an "
	  "endpoint's capture against a baseline every interval" },
	{ "list", cmd_schedule_list, usage_schedule_list, "list schedules" },
	{ "rm", cmd_schedule_rm, usage_schedule_rm, "remove a schedule and "
	  "its executions" },
	{ NULL, NULL, NULL, NULL }
};

static const struct cli_verb verbs[] = {
	{ "baseline", cmd_baseline, usage_baseline, "statistics.json and "
	  "constraints.json of a dataset" },
	{ "check", cmd_check, usage_check, "check data against a baseline "
	  "(constraint_violations.json)" },
	{ "drift", cmd_drift, usage_drift, "distances between a reference "
	  "sample and the data (KS, PSI, JS, chi2, Wasserstein)" },
	{ "quality", cmd_quality, usage_quality, "model quality metrics from "
	  "predictions and ground truth" },
	{ "attribution", cmd_attribution, usage_attribution, "feature "
	  "attribution drift of an XGBoost model (SHAP, NDCG)" },
	{ "schedule", NULL, usage_schedule, "monitoring schedules",
	  schedule_verbs },
	{ "run-due", cmd_run_due, usage_run_due, "run the schedules whose "
	  "window has ended (for cron)" },
	{ "executions", cmd_executions, usage_executions, "a schedule's "
	  "executions" },
	{ "show", cmd_show, usage_show, "one execution" },
	{ "dashboard", cmd_dashboard, usage_dashboard, "every model, "
	  "endpoint and schedule, with alerts" },
	{ NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-monitor", verbs);
}
