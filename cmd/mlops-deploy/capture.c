/* capture.c - `mlops-deploy capture`: print an endpoint's captured
 * records (SageMaker's data capture JSON Lines) for a time range, for
 * the monitor and for copying to another store. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <jansson.h>

#include "deploy/deploy.h"
#include "deploy.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "core/time.h"

const char usage_capture[] =
	"usage: mlops-deploy capture [--since T] [--until T] ENDPOINT\n"
	"\n"
	"Print the records captured for ENDPOINT whose inferenceTime is in\n"
	"[--since, --until), one JSON object per line, oldest files first.\n"
	"Files still being written are not read.\n"
	"\n"
	"  --since T   RFC 3339 time or Unix seconds (default: the start)\n"
	"  --until T   (default: no end)\n";

enum { OPT_SINCE = 1000, OPT_UNTIL };

static int print_record(json_t *rec, void *arg)
{
	(void)arg;
	return jsonio_print(stdout, rec);
}

/* A name that is neither an endpoint nor has captured records (those
 * of a deleted endpoint stay readable) is a typo: not found, rather
 * than an empty answer a monitor would take for "no traffic". */
static int capture_check_endpoint(struct store *st, const char *dir,
				  const char *name, struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	char *top = fs_path_join(dir, name);
	int ret = 0;

	if (access(top, F_OK) != 0) {
		ret = deploy_endpoint_get(st, name, &e, err);
		deploy_endpoint_free(e);
	}
	free(top);
	return ret;
}

int cmd_capture(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "since", required_argument, 0, OPT_SINCE },
		{ "until", required_argument, 0, OPT_UNTIL },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t since = INT64_MIN, until = INT64_MAX;
	struct store *st;
	char *dir;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_capture)) !=
	       -1)
		switch (c) {
		case OPT_SINCE:
		case OPT_UNTIL:
			if (time_parse(optarg, c == OPT_SINCE ? &since :
				       &until, &err) < 0)
				return cli_usage(cli, usage_capture, "%s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_capture, "expected one ENDPOINT");
	if (!deploy_endpoint_valid_name(argv[optind]))
		return cli_usage(cli, usage_capture, "'%s' is not an endpoint "
				 "name", argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	dir = store_path(st, "capture");
	ret = capture_check_endpoint(st, dir, argv[optind], &err);
	if (ret == 0)
		ret = deploy_capture_each(dir, argv[optind], since, until,
				   print_record, NULL, &err);
	free(dir);
	if (ret < 0)
		return cli_fail(cli, &err);
	if (fflush(stdout) != 0)
		return cli_error(cli, MLOPS_EINTERNAL, "cannot write output");
	return 0;
}
