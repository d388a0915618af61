/* fsck.c - `mlops fsck` (verify the store) and `mlops gc` (remove blobs
 * that nothing references). Both walk objects/ and the object_ref table. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/fsck.h"
#include "mlops.h"
#include "core/time.h"

const char usage_fsck[] =
	"usage: mlops fsck\n"
	"\n"
	"Verify the database, the schema version, every blob (its content\n"
	"must match its hash), every reference from the database to a blob,\n"
	"the audit chain, changes committed without their audit record, and\n"
	"temporary files left by killed commands. Each problem is printed on\n"
	"standard output; the exit status is 1 when there is any, 0 when\n"
	"there is none, 70 when a check could not run.\n";

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

static void print_problem(const char *msg, void *arg)
{
	(void)arg;
	printf("%s\n", msg);
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
	if (fsck_run(st, print_problem, NULL, &res, &err) < 0)
		return cli_fail(cli, &err);
	fprintf(stderr, "%s: checked %ld objects and %lld audit records: "
		"%ld problem%s\n", cli->prog, res.objects,
		(long long)res.audit_records, res.problems,
		res.problems == 1 ? "" : "s");
	return res.problems ? MLOPS_EXIT_FINDING : 0;
}

int cmd_gc(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, 0, 'n' },
		{ "grace", required_argument, 0, 'g' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct fsck_gc_plan plan = FSCK_GC_PLAN_INIT;
	int64_t grace = 3600 * TIME_US_PER_SEC;
	struct audit_entry entry = { "store.gc", NULL, "success", NULL };
	char resource[64];
	struct store *st;
	long removed = 0;
	uint64_t bytes = 0;
	int c, dry_run = 0, failed = 0, ret;

	while ((c = cli_getopt(argc, argv, "hn", opts, cli, usage_gc)) != -1)
		switch (c) {
		case 'n':
			dry_run = 1;
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
	/* Decide everything first: an error while deciding removes
	 * nothing. */
	if (fsck_gc_plan_make(&plan, st, (time_now_us() - grace) /
			 TIME_US_PER_SEC, &err) < 0)
		return cli_fail(cli, &err);
	for (size_t i = 0; i < plan.n; i++) {
		const struct fsck_gc_item *it = &plan.items[i];

		ret = dry_run ? 0 : fsck_gc_remove(st, it, &err);
		if (ret == 1)
			continue;	/* referenced since the plan */
		if (ret < 0 || ret == 2) {
			fprintf(stderr, "%s: %s\n", cli->prog, err.msg);
			failed = 1;
			if (ret < 0)
				break;	/* the database failed: stop */
			continue;
		}
		printf("%s %s\n", dry_run ? "would remove" : "removed",
		       it->what);
		removed++;
		bytes += it->bytes;
	}
	fsck_gc_plan_release(&plan);
	fprintf(stderr, "%s: %s %ld file%s, %" PRIu64 " bytes\n", cli->prog,
		dry_run ? "would remove" : "removed", removed,
		removed == 1 ? "" : "s", bytes);
	if (!dry_run && removed) {
		snprintf(resource, sizeof(resource), "%ld files", removed);
		entry.resource = resource;
		if (audit_append(st, &entry, &err) < 0)
			return cli_fail(cli, &err);
	}
	return failed ? 70 : 0;
}
