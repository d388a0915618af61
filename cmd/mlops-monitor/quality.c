/* quality.c - mlops-monitor quality: model quality metrics from
 * predictions and ground truth, and constraints on them. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "monitor/monitor.h"
#include "verbs.h"

const char usage_quality[] =
	"usage: mlops-monitor quality --problem binary|regression|multiclass\n"
	"                             [--threshold X] [--constraints FILE] "
	"[-o DIR]\n"
	"                             --predictions FILE --labels FILE|DIR\n"
	"   or: mlops-monitor quality --problem P [...] --predictions capture\n"
	"                             --endpoint E [--since T] [--until T] "
	"[--variant V]\n"
	"                             --labels FILE|DIR\n"
	"\n"
	"Join ground truth to predictions by inference id and compute the\n"
	"model quality metrics, as sklearn.metrics does, into DIR/"
	"statistics.json;\n"
	"with --constraints, check them and write "
	"constraint_violations.json\n"
	"(exit 1 when there is any).\n"
	"\n"
	"  --constraints FILE  Model Monitor model quality constraints\n"
	"  --endpoint E        with --predictions capture: E's captured "
	"answers\n"
	"  --labels FILE|DIR   CSV with inference_id and label, or ground "
	"truth\n"
	"                      records (JSON Lines); a DIR: every *.csv and\n"
	"                      *.jsonl below it\n"
	"  -o, --output DIR    where to write (default: the current "
	"directory;\n"
	"                      - prints each file as one line of JSON)\n"
	"  --predictions FILE  CSV with inference_id and score (binary: the\n"
	"                      probability of 1) or prediction; or capture\n"
	"  --problem P         binary, regression or multiclass\n"
	"  --since T, --until T  the capture's time range (RFC 3339 or Unix\n"
	"                      seconds; default: all of it)\n"
	"  --threshold X       binary: a score >= X predicts 1 (default "
	"0.5)\n"
	"  --variant V         only the answers of model version V (GROUP/N)\n";

enum { OPT_CONSTRAINTS = 400, OPT_ENDPOINT, OPT_LABELS, OPT_PREDICTIONS,
       OPT_PROBLEM, OPT_SINCE, OPT_THRESHOLD, OPT_UNTIL, OPT_VARIANT };

struct from_capture {
	struct monitor_quality *q;
	struct monitor_quality_labels *labels;
	const char *variant, *where;
	long n;
};

static int add_captured(const struct monitor_predictions_item *p,
			void *arg, struct mlops_err *err)
{
	struct from_capture *fc = arg;
	int ret;

	if (fc->variant && strcmp(p->variant, fc->variant) != 0)
		return 0;
	ret = monitor_quality_add(fc->q, fc->labels, p->id, p->value, 1,
				  NULL, fc->where, ++fc->n, err);
	return ret < 0 ? ret : 0;
}

/* Join the predictions CSV path open as fd (or, with endpoint, the
 * capture's) into q; *skipped counts captured records without a single
 * prediction. */
static int join(struct monitor_quality *q,
		struct monitor_quality_labels *labels,
		int fd, const char *path, struct store *st,
		const char *endpoint,
		int64_t since, int64_t until, const char *variant,
		int vectors, uint64_t *skipped, struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	char *capdir, *where;
	int ret;

	if (!endpoint)
		return monitor_quality_add_csv(q, labels, fd, path, err);
	if ((ret = deploy_endpoint_get(st, endpoint, &e, err)) < 0)
		return ret;
	deploy_endpoint_free(e);
	capdir = store_path(st, "capture");
	where = xasprintf("capture of %s", endpoint);
	{
		struct from_capture fc = { q, labels, variant, where, 0 };

		ret = monitor_predictions_capture(capdir, endpoint,
			DEPLOY_CAPTURE_PRODUCTION, since, until, vectors,
			add_captured, &fc, skipped, err);
	}
	free(where);
	free(capdir);
	return ret;
}

int cmd_quality(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "constraints", required_argument, 0, OPT_CONSTRAINTS },
		{ "endpoint", required_argument, 0, OPT_ENDPOINT },
		{ "help", no_argument, 0, 'h' },
		{ "labels", required_argument, 0, OPT_LABELS },
		{ "output", required_argument, 0, 'o' },
		{ "predictions", required_argument, 0, OPT_PREDICTIONS },
		{ "problem", required_argument, 0, OPT_PROBLEM },
		{ "since", required_argument, 0, OPT_SINCE },
		{ "threshold", required_argument, 0, OPT_THRESHOLD },
		{ "until", required_argument, 0, OPT_UNTIL },
		{ "variant", required_argument, 0, OPT_VARIANT },
		{ 0, 0, 0, 0 }
	};
	static const char *const problems[] = { "binary", "regression",
						"multiclass" };
	static const char *const names[] = { "statistics.json",
					     "constraint_violations.json" };
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *preds = NULL, *labels = NULL, *cons_file = NULL;
	const char *out_dir = ".", *endpoint = NULL, *variant = NULL;
	double threshold = 0.5;
	int64_t since = INT64_MIN, until = INT64_MAX;
	int problem = -1, c, ret, capture, pfd = -1;
	json_t *docs[2] = { NULL, NULL }, *cons = NULL;
	struct monitor_quality_labels *lab = NULL;
	struct monitor_quality *q = NULL;
	struct store *st = NULL;
	uint64_t skipped = 0;
	size_t nviol = 0;

	while ((c = cli_getopt(argc, argv, "ho:", opts, cli, usage_quality))
	       != -1)
		switch (c) {
		case 'o':
			out_dir = optarg;
			break;
		case OPT_CONSTRAINTS:
			cons_file = optarg;
			break;
		case OPT_ENDPOINT:
			endpoint = optarg;
			break;
		case OPT_LABELS:
			labels = optarg;
			break;
		case OPT_PREDICTIONS:
			preds = optarg;
			break;
		case OPT_PROBLEM:
			for (int i = 0; i < 3; i++)
				if (strcmp(optarg, problems[i]) == 0)
					problem = i;
			if (problem < 0)
				return cli_usage(cli, usage_quality, "unknown "
						 "problem '%s'", optarg);
			break;
		case OPT_SINCE:
		case OPT_UNTIL:
			if (time_parse(optarg, c == OPT_SINCE ? &since :
				       &until, &err) < 0)
				return cli_usage(cli, usage_quality, "%s",
						 err.msg);
			break;
		case OPT_THRESHOLD:
			if (parse_double(optarg, &threshold, "--threshold",
					 &err) < 0)
				return cli_usage(cli, usage_quality, "%s",
						 err.msg);
			break;
		case OPT_VARIANT:
			variant = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind || !preds || !labels || problem < 0)
		return cli_usage(cli, usage_quality, "--problem, --predictions "
				 "and --labels are required");
	capture = strcmp(preds, "capture") == 0;
	if (capture != !!endpoint)
		return cli_usage(cli, usage_quality, "--predictions capture "
				 "goes with --endpoint, and only it");
	if (!capture && (variant || since != INT64_MIN || until != INT64_MAX))
		return cli_usage(cli, usage_quality, "--since, --until and "
				 "--variant select captured predictions");
	if (capture && (ret = cli_store(cli, &st)) != 0)
		return ret;
	if (cons_file && jsonio_load_file(&cons, cons_file, 0, &err) < 0)
		return cli_fail(cli, &err);
	if (!capture && (pfd = fs_open_input(preds, &err)) < 0) {
		json_decref(cons);
		return cli_fail(cli, &err);
	}
	ret = monitor_quality_labels_load(&lab, labels, &err);
	if (ret == 0) {
		q = monitor_quality_new(problem, threshold);
		ret = join(q, lab, pfd, preds, st, endpoint, since, until,
			   variant,
			   problem == MONITOR_QUALITY_MULTICLASS, &skipped,
			   &err);
	}
	if (ret == 0 && monitor_quality_items(q) == 0)
		ret = mlops_err_set(&err, MLOPS_EINPUT, "no label of %s has "
				    "the inference id of a prediction in %s",
				    labels, capture ? endpoint : preds);
	if (ret == 0)
		ret = monitor_quality_statistics(&docs[0], q, &err);
	if (ret == 0 && cons) {
		docs[1] = monitor_quality_check(docs[0], cons, &err);
		ret = docs[1] ? 0 : err.code;
	}
	if (ret == 0) {
		if (!cli_output(out_dir)) {
			for (int i = 0; i < 2 && ret == 0; i++)
				if (docs[i] && jsonio_print(stdout, docs[i]))
					ret = mlops_err_set(&err,
						MLOPS_EINTERNAL, "cannot write "
						"to standard output");
		} else {
			ret = monitor_report_write(out_dir, docs[1] ? 2 : 1,
						   names, docs, &err);
		}
	}
	if (ret == 0 && monitor_quality_labels_unmatched(lab))
		cli_warn(cli, "%llu labels have an inference id that no "
			 "prediction has", (unsigned long long)
			 monitor_quality_labels_unmatched(lab));
	if (ret == 0 && monitor_quality_repeated(q))
		cli_warn(cli, "%llu predictions repeat an inference id "
			 "joined already: only the first was taken",
			 (unsigned long long)monitor_quality_repeated(q));
	if (ret == 0 && skipped)
		cli_warn(cli, "%llu captured records hold no single "
			 "prediction (a batch, or an unknown encoding)",
			 (unsigned long long)skipped);
	nviol = json_array_size(json_object_get(docs[1], "violations"));
	json_decref(docs[0]);
	json_decref(docs[1]);
	json_decref(cons);
	monitor_quality_free(q);
	monitor_quality_labels_free(lab);
	if (pfd > STDIN_FILENO)
		close(pfd);
	if (ret < 0)
		return cli_fail(cli, &err);
	return nviol ? MLOPS_EXIT_FINDING : 0;
}
