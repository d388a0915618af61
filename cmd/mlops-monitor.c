/* mlops-monitor.c - Model Monitor: baselines of a dataset and checks of
 * new data against them. The work is lib/monitor's. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/cli.h"
#include "core/fsutil.h"
#include "core/jsonio.h"
#include "monitor/monitor.h"

static const char usage_baseline[] =
	"usage: mlops-monitor baseline [--format csv|jsonl] "
	"[--header|--no-header]\n"
	"                              [-o DIR] --data FILE|-\n"
	"\n"
	"Profile FILE in one streaming pass and write Model Monitor's\n"
	"statistics.json and constraints.json into DIR.\n"
	"\n"
	"  --data FILE     the dataset, CSV or JSON Lines; - is standard "
	"input\n"
	"  --format FMT    csv or jsonl (default: jsonl for *.jsonl, else "
	"csv)\n"
	"  --header        the CSV's first row names the columns (default)\n"
	"  --no-header     it does not: the columns are _c0, _c1, ...\n"
	"  -o, --output DIR  where to write (default: the current "
	"directory)\n";

static const char usage_check[] =
	"usage: mlops-monitor check [--format csv|jsonl] "
	"[--header|--no-header]\n"
	"                           [-o DIR] --baseline DIR --data FILE|-\n"
	"\n"
	"Profile FILE, check it against the baseline in DIR and write\n"
	"constraint_violations.json and the data's statistics.json into the\n"
	"output directory. Prints one line per violation; exit 1 when there\n"
	"is any.\n"
	"\n"
	"  --baseline DIR  the directory baseline wrote\n"
	"  --data FILE     the data to check; - is standard input\n"
	"  --format FMT    csv or jsonl (default: jsonl for *.jsonl, else "
	"csv)\n"
	"  --header, --no-header   as for baseline\n"
	"  -o, --output DIR  where to write (default: the current "
	"directory)\n";

struct data_opts {
	const char *data, *format, *out, *baseline;
	int header;
};

enum { OPT_HEADER = 256, OPT_NO_HEADER };

static int parse_data_opts(struct data_opts *o, int argc, char **argv,
			   struct cli *cli, const char *usage, int baseline)
{
	static const struct option opts[] = {
		{ "baseline", required_argument, 0, 'b' },
		{ "data", required_argument, 0, 'd' },
		{ "format", required_argument, 0, 'F' },
		{ "header", no_argument, 0, OPT_HEADER },
		{ "help", no_argument, 0, 'h' },
		{ "no-header", no_argument, 0, OPT_NO_HEADER },
		{ "output", required_argument, 0, 'o' }, { 0, 0, 0, 0 }
	};
	int c;

	o->header = 1;
	o->out = ".";
	while ((c = cli_getopt(argc, argv, "b:d:F:ho:", opts, cli, usage))
	       != -1)
		switch (c) {
		case 'b':
			if (!baseline)
				return cli_usage(cli, usage, "unknown option "
						 "'--baseline'");
			o->baseline = optarg;
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

static int profile(struct mon_profile *p, const struct data_opts *o,
		   struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	size_t n = strlen(o->data);
	enum mon_format f = MON_CSV;
	int fd = STDIN_FILENO, ret;

	if (o->format ? strcmp(o->format, "jsonl") == 0 :
	    n > 6 && strcmp(o->data + n - 6, ".jsonl") == 0)
		f = MON_JSONL;
	if (strcmp(o->data, "-") != 0 &&
	    (fd = file_open_input(o->data, &err)) < 0)
		return cli_fail(cli, &err);
	ret = mon_profile_read(p, fd, o->data, f, o->header, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static int cmd_baseline(int argc, char **argv, struct cli *cli)
{
	static const char *const names[] = { "statistics.json",
					     "constraints.json" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct data_opts o = { 0 };
	struct mon_profile p;
	json_t *docs[2];
	int ret;

	if ((ret = parse_data_opts(&o, argc, argv, cli, usage_baseline, 0))
	    != -1)
		return ret;
	if ((ret = profile(&p, &o, cli)) != 0)
		return ret;
	docs[0] = mon_statistics_json(&p);
	docs[1] = mon_constraints_json(&p);
	mon_profile_release(&p);
	ret = mon_write_files(o.out, 2, names, docs, &err);
	json_decref(docs[0]);
	json_decref(docs[1]);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

static int cmd_check(int argc, char **argv, struct cli *cli)
{
	static const char *const names[] = { "constraint_violations.json",
					     "statistics.json" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct data_opts o = { 0 };
	struct mon_baseline b;
	struct mon_profile p;
	json_t *docs[2], *v;
	size_t i, nviol;
	int ret;

	if ((ret = parse_data_opts(&o, argc, argv, cli, usage_check, 1))
	    != -1)
		return ret;
	if (mon_baseline_load(&b, o.baseline, &err) < 0)
		return cli_fail(cli, &err);
	if ((ret = profile(&p, &o, cli)) != 0) {
		mon_baseline_release(&b);
		return ret;
	}
	docs[0] = mon_check(&b, &p, &err);
	docs[1] = mon_statistics_json(&p);
	mon_profile_release(&p);
	mon_baseline_release(&b);
	ret = docs[0] ? mon_write_files(o.out, 2, names, docs, &err) :
		err.code;
	json_decref(docs[1]);
	if (ret < 0) {
		json_decref(docs[0]);
		return cli_fail(cli, &err);
	}
	nviol = json_array_size(json_object_get(docs[0], "violations"));
	json_array_foreach(json_object_get(docs[0], "violations"), i, v)
		printf("%s\t%s\t%s\n", jsonio_str(v, "feature_name"),
		       jsonio_str(v, "constraint_check_type"),
		       jsonio_str(v, "description"));
	json_decref(docs[0]);
	return nviol ? MLOPS_EXIT_FINDING : 0;
}

static const struct cli_verb verbs[] = {
	{ "baseline", cmd_baseline, usage_baseline, "statistics.json and "
	  "constraints.json of a dataset" },
	{ "check", cmd_check, usage_check, "check data against a baseline "
	  "(constraint_violations.json)" },
	{ NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-monitor", verbs);
}
