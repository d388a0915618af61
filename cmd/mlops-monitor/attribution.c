/* attribution.c - mlops-monitor attribution: feature attribution drift of
 * an XGBoost model between baseline data and current data. */
#include <stdio.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "monitor/monitor.h"
#include "verbs.h"

const char usage_attribution[] =
	"usage: mlops-monitor attribution [--json] [--threshold X] "
	"[--top-k K]\n"
	"                                 --model FILE --baseline-data FILE "
	"--data FILE\n"
	"\n"
	"Compare the features' global SHAP attributions (mean |SHAP|) of an\n"
	"XGBoost model on the baseline data and on the current data by\n"
	"NDCG, as SageMaker Clarify does; exit 1 when NDCG is below the\n"
	"threshold.\n"
	"\n"
	"  --baseline-data FILE  CSV of the model's features, with a header\n"
	"  --data FILE           the current data, same columns\n"
	"  --json                print the result as JSON\n"
	"  --model FILE          the XGBoost model (JSON or UBJSON)\n"
	"  --threshold X         default 0.9\n"
	"  --top-k K             rank only the top K features (default: "
	"all)\n";

enum { OPT_BASE = 600, OPT_JSON, OPT_MODEL, OPT_THRESHOLD, OPT_TOP_K };

int cmd_attribution(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "baseline-data", required_argument, 0, OPT_BASE },
		{ "data", required_argument, 0, 'd' },
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, OPT_JSON },
		{ "model", required_argument, 0, OPT_MODEL },
		{ "threshold", required_argument, 0, OPT_THRESHOLD },
		{ "top-k", required_argument, 0, OPT_TOP_K },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *model = NULL, *base = NULL, *data = NULL;
	double threshold = 0.9;
	int64_t top_k = 0;
	int c, json = 0, bfd, dfd, ret;
	json_t *res, *f;
	size_t i;

	while ((c = cli_getopt(argc, argv, "d:h", opts, cli,
			       usage_attribution)) != -1)
		switch (c) {
		case 'd':
			data = optarg;
			break;
		case OPT_BASE:
			base = optarg;
			break;
		case OPT_JSON:
			json = 1;
			break;
		case OPT_MODEL:
			model = optarg;
			break;
		case OPT_THRESHOLD:
			if (parse_double(optarg, &threshold, "--threshold",
					 &err) < 0)
				return cli_usage(cli, usage_attribution, "%s",
						 err.msg);
			break;
		case OPT_TOP_K:
			if (parse_int64(optarg, 1, 100000, &top_k, "--top-k",
					&err) < 0)
				return cli_usage(cli, usage_attribution, "%s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc != optind || !model || !base || !data)
		return cli_usage(cli, usage_attribution, "--model, "
				 "--baseline-data and --data are required");
	if (!fs_exists(model))
		return cli_error(cli, MLOPS_ENOTFOUND, "no model '%s'", model);
	if ((bfd = fs_open_input(base, &err)) < 0)
		return cli_fail(cli, &err);
	if ((dfd = fs_open_input(data, &err)) < 0) {
		close(bfd);
		return cli_fail(cli, &err);
	}
	ret = monitor_attribution_drift(&res, model, bfd, base, dfd, data,
					(size_t)top_k, &err);
	close(bfd);
	close(dfd);
	if (ret < 0)
		return cli_fail(cli, &err);
	if (json) {
		jsonio_print(stdout, res);
	} else {
		json_array_foreach(json_object_get(res, "features"), i, f)
			printf("%s\t%.6g\t%.6g\n", jsonio_str(f, "name"),
			       json_real_value(json_object_get(f,
							       "baseline")),
			       json_real_value(json_object_get(f,
							       "current")));
		printf("ndcg\t%.6g\n", json_real_value(json_object_get(res,
			"ndcg")));
	}
	ret = json_real_value(json_object_get(res, "ndcg")) < threshold ?
		MLOPS_EXIT_FINDING : 0;
	json_decref(res);
	return ret;
}
