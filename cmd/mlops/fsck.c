/* fsck.c - `mlops fsck` (verify the store) and `mlops gc` (remove blobs
 * that nothing references). Both walk objects/ and the object_ref table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/fsck.h"
#include "feature/feature.h"
#include "mlops.h"
#include "core/time.h"

const char usage_fsck[] =
	"usage: mlops fsck\n"
	"\n"
	"Verify the database, the schema version, every blob (its content\n"
	"must match its hash), every reference from the database to a blob,\n"
	"the audit chain, changes committed without their audit record,\n"
	"temporary files left by killed commands, and the sorted runs kept\n"
	"beside the offline feature store (each against its files and its\n"
	"SHA-256). Each problem is printed on standard output; the exit\n"
	"status is 1 when there is any, 0 when there is none, 70 when a\n"
	"check could not run.\n";

const char usage_gc[] =
	"usage: mlops gc [--dry-run] [--grace DURATION]\n"
	"\n"
	"Remove blobs that nothing references, and temporary files left by\n"
	"interrupted writes, each when its own age passes the grace period\n"
	"(so that a blob being written right now is kept). Everything is\n"
	"decided before anything is removed. Prints what it removed and the\n"
	"bytes freed.\n"
	"\n"
	"  -n, --dry-run       list what would go, remove nothing\n"
	"  --grace DURATION    keep what is younger than this (default 1h;\n"
	"                      0 removes everything unreferenced)\n";

/* A problem, over the progress line (arg) when standard output is the
 * same terminal. */
static void print_problem(const char *msg, void *arg)
{
	progress_clear(arg);
	printf("%s\n", msg);
}

struct runs_check {
	struct store *st;
	long problems;
	struct mlops_err *err;
};

static int check_runs(const struct feature_group *g, void *arg)
{
	struct runs_check *rc = arg;

	return feature_run_fsck(rc->st, g, print_problem, rc->st->progress,
				&rc->problems, rc->err) < 0 ? -1 : 0;
}

int cmd_fsck(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct fsck_result res;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_fsck)) != -1)
		return CLI_STATUS(c);
	if (optind != argc)
		return cli_usage(cli, usage_fsck, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	struct runs_check rc = { st, 0, &err };

	cli_progress(cli, st, 0);
	if (fsck_run(st, print_problem, st->progress, &res, &err) < 0 ||
	    feature_each(st, check_runs, &rc, &err) < 0)
		return cli_fail(cli, &err);
	res.problems += rc.problems;
	fprintf(stderr, "%s: checked %ld objects and %lld audit records: "
		"%ld problem%s\n", cli->prog, res.objects,
		(long long)res.audit_records, res.problems,
		res.problems == 1 ? "" : "s");
	return res.problems ? MLOPS_EXIT_FINDING : 0;
}

struct gc_print {
	const char *prog;
	int dry_run;
};

static void print_removed(const struct fsck_gc_item *it, void *arg)
{
	const struct gc_print *pr = arg;

	printf("%s %s\n", pr->dry_run ? "would remove" : "removed", it->what);
}

static void print_failed(const char *msg, void *arg)
{
	const struct gc_print *pr = arg;

	fprintf(stderr, "%s: %s\n", pr->prog, msg);
}

int cmd_gc(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, 0, 'n' },
		{ "grace", required_argument, 0, 'g' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t grace = 3600 * TIME_US_PER_SEC;
	struct gc_print pr = { cli->prog, 0 };
	struct fsck_gc_callbacks cb = { print_removed, print_failed, &pr };
	struct fsck_gc_result res;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "hn", opts, cli, usage_gc)) != -1)
		switch (c) {
		case 'n':
			pr.dry_run = 1;
			break;
		case 'g':
			if (time_parse_duration(optarg, &grace, &err) < 0)
				return cli_usage(cli, usage_gc, "--grace: %s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_gc, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = fsck_gc_run(st, (time_now_us() - grace) / TIME_US_PER_SEC,
		     pr.dry_run, &cb, &res, &err);
	if (ret < 0 && !res.removed && !res.failures)
		return cli_fail(cli, &err);	/* nothing done */
	fprintf(stderr, "%s: %s %ld file%s, %" PRIu64 " bytes\n", cli->prog,
		pr.dry_run ? "would remove" : "removed", res.removed,
		res.removed == 1 ? "" : "s", res.bytes);
	if (ret < 0)
		return cli_fail(cli, &err);
	return res.failures ? 70 : 0;
}
