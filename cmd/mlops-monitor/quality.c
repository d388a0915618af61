/* quality.c - mlops-monitor quality: model quality metrics from
 * predictions and ground truth, and constraints on them. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "monitor/monitor.h"
#include "verbs.h"

const char usage_quality[] =
	"usage: mlops-monitor quality --problem binary|regression|multiclass\n"
	"                             [--threshold X] [--constraints FILE] "
	"[-o DIR]\n"
	"                             --predictions FILE --labels FILE\n"
	"\n"
	"Join ground truth to predictions by inference id and compute the\n"
	"model quality metrics, as sklearn.metrics does, into DIR/"
	"statistics.json;\n"
	"with --constraints, check them and write "
	"constraint_violations.json\n"
	"(exit 1 when there is any).\n"
	"\n"
	"  --constraints FILE  Model Monitor model quality constraints\n"
	"  --labels FILE       CSV with inference_id and label\n"
	"  -o, --output DIR    where to write (default: the current "
	"directory;\n"
	"                      - prints each file as one line of JSON)\n"
	"  --predictions FILE  CSV with inference_id and score (binary: the\n"
	"                      probability of 1) or prediction\n"
	"  --problem P         binary, regression or multiclass\n"
	"  --threshold X       binary: a score >= X predicts 1 (default "
	"0.5)\n";

enum { OPT_CONSTRAINTS = 400, OPT_LABELS, OPT_PREDICTIONS, OPT_PROBLEM,
       OPT_THRESHOLD };

static int open_input(const char *path, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int fd = fs_open_input(path, &err);

	return fd < 0 ? -cli_fail(cli, &err) : fd;
}

int cmd_quality(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "constraints", required_argument, 0, OPT_CONSTRAINTS },
		{ "help", no_argument, 0, 'h' },
		{ "labels", required_argument, 0, OPT_LABELS },
		{ "output", required_argument, 0, 'o' },
		{ "predictions", required_argument, 0, OPT_PREDICTIONS },
		{ "problem", required_argument, 0, OPT_PROBLEM },
		{ "threshold", required_argument, 0, OPT_THRESHOLD },
		{ 0, 0, 0, 0 }
	};
	static const char *const problems[] = { "binary", "regression",
						"multiclass" };
	static const char *const names[] = { "statistics.json",
					     "constraint_violations.json" };
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *preds = NULL, *labels = NULL, *cons_file = NULL;
	const char *out_dir = ".";
	double threshold = 0.5;
	int problem = -1, c, pfd, lfd, ret;
	json_t *docs[2] = { NULL, NULL }, *cons = NULL;
	uint64_t unmatched = 0;
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
		case OPT_THRESHOLD:
			if (parse_double(optarg, &threshold, "--threshold",
					 &err) < 0)
				return cli_usage(cli, usage_quality, "%s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind || !preds || !labels || problem < 0)
		return cli_usage(cli, usage_quality, "--problem, --predictions "
				 "and --labels are required");
	if (cons_file && jsonio_load_file(&cons, cons_file, 0, &err) < 0)
		return cli_fail(cli, &err);
	if ((pfd = open_input(preds, cli)) < 0) {
		json_decref(cons);
		return -pfd;
	}
	if ((lfd = open_input(labels, cli)) < 0) {
		close(pfd);
		json_decref(cons);
		return -lfd;
	}
	ret = monitor_quality_compute(&docs[0], problem, pfd, preds, lfd,
				      labels, threshold, &unmatched, &err);
	close(pfd);
	close(lfd);
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
	if (ret == 0 && unmatched)
		cli_warn(cli, "%llu labels have an inference id that no "
			 "prediction has", (unsigned long long)unmatched);
	nviol = json_array_size(json_object_get(docs[1], "violations"));
	json_decref(docs[0]);
	json_decref(docs[1]);
	json_decref(cons);
	if (ret < 0)
		return cli_fail(cli, &err);
	return nviol ? MLOPS_EXIT_FINDING : 0;
}
