/* mlops-pipeline.c - DAG pipelines with step caching, conditions,
 * retries, git hooks and a Slurm executor: the verbs that start, retry and
 * cancel runs live here; list/show/logs, validate/graph and hook in
 * cmd/mlops-pipeline/. See mlops-pipeline(1) and mlops-pipeline.yaml(5). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bounds.h"
#include "core/buf.h"
#include "core/cli.h"
#include "core/fs.h"
#include "mlops-pipeline/verbs.h"
#include "core/parse.h"
#include "pipeline/pipeline.h"
#include "core/time.h"
#include "core/xalloc.h"

static const char usage_run[] =
	"usage: mlops-pipeline run [-f FILE] [-p NAME=VALUE]... [-j N]\n"
	"                          [--executor local|slurm] [--no-cache]\n"
	"                          [--commit REV [--repo DIR]]\n"
	"\n"
	"Run the pipeline in FILE (default pipeline.yaml) in a new workspace\n"
	"under the store (runs/RUN/). Prints the run ID first, then streams\n"
	"each step's status to standard error. Exits 0 when the run\n"
	"succeeded, 1 when a step failed or the run was cancelled.\n"
	"\n"
	"  -f, --file FILE      the pipeline file (with --commit: its path\n"
	"                       inside the repository)\n"
	"  -p, --param N=V      set parameter N (repeatable)\n"
	"  -j, --jobs N         run up to N steps at once (default: CPUs)\n"
	"  --executor E         local (default) or slurm\n"
	"  --no-cache           run every step; store nothing in the cache\n"
	"  --commit REV         run a clean checkout of commit REV\n"
	"  --repo DIR           the repository of --commit (default: .)\n";
static const char usage_retry[] =
	"usage: mlops-pipeline retry [-j N] RUN\n"
	"\n"
	"Run a failed or cancelled run again in its workspace: the steps that\n"
	"succeeded (or were skipped) are kept, the others run. Exits as run.\n"
	"\n"
	"  -j, --jobs N   run up to N steps at once (default: as before)\n";
static const char usage_cancel[] =
	"usage: mlops-pipeline cancel RUN\n"
	"\n"
	"Stop an executing run: its running steps are killed (their whole\n"
	"process groups, or their Slurm jobs) and the run ends Stopped.\n";

int pipeline_run_exit(const char *status)
{
	return strcmp(status, "Succeeded") == 0 ? 0 : MLOPS_EXIT_FINDING;
}

static void progress(const char *line, void *arg)
{
	fprintf(stderr, "%s: %s\n", (const char *)arg, line);
}

/* Print the run's ID first, as soon as it is recorded, and keep it for
 * the closing line. */
static void started(const char *run_id, void *arg)
{
	snprintf(arg, PIPELINE_EXEC_RUN_ID_MAX, "%s", run_id);
	printf("%s\n", run_id);
	fflush(stdout);
}

static int cmd_run(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "commit", required_argument, 0, 'C' },
		{ "executor", required_argument, 0, 'E' },
		{ "file", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "jobs", required_argument, 0, 'j' },
		{ "no-cache", no_argument, 0, 'N' },
		{ "param", required_argument, 0, 'p' },
		{ "repo", required_argument, 0, 'R' }, { 0, 0, 0, 0 }
	};
	char run_id[PIPELINE_EXEC_RUN_ID_MAX] = "";
	struct pipeline_launch a = { "pipeline.yaml", NULL, NULL, NULL, 0,
				     { "local", 0, 1, NULL, NULL, progress,
				       NULL, -1 }, started, run_id };
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *status = "Failed";
	struct store *st;
	int64_t jobs;
	int c, ret;

	a.opts.progress_arg = (void *)cli->prog;
	a.params = xcalloc((size_t)argc + 1, sizeof(*a.params));
	while ((c = cli_getopt(argc, argv, "f:hj:p:", opts, cli, usage_run))
	       != -1)
		switch (c) {
		case 'C':
			a.commit = optarg;
			break;
		case 'E':
			a.opts.executor = optarg;
			break;
		case 'f':
			a.file = optarg;
			break;
		case 'j':
			if (parse_int64(optarg, 1, 1024, &jobs, "-j",
					&err) < 0) {
				free(a.params);
				return cli_usage(cli, usage_run, "%s",
						 err.msg);
			}
			a.opts.jobs = (int)jobs;
			break;
		case 'N':
			a.opts.use_cache = 0;
			break;
		case 'p':
			a.params[a.nparams++] = optarg;
			break;
		case 'R':
			a.repo = optarg;
			break;
		default:
			free(a.params);
			return CLI_STATUS(c);
		}
	if (optind != argc || (a.repo && !a.commit) ||
	    (strcmp(a.opts.executor, "local") != 0 &&
	     strcmp(a.opts.executor, "slurm") != 0)) {
		free(a.params);
		return cli_usage(cli, usage_run, "%s", optind != argc ?
				 "unexpected argument" : a.repo ?
				 "--repo goes with --commit" :
				 "--executor is local or slurm");
	}
	if (!a.repo)
		a.repo = ".";
	if ((ret = cli_store(cli, &st)) != 0) {
		free(a.params);
		return ret;
	}
	ret = pipeline_launch_run(st, &a, &status, &err);
	if (ret == 0)
		fprintf(stderr, "%s: run %s %s\n", cli->prog, run_id, status);
	free(a.params);
	return ret < 0 ? cli_fail(cli, &err) : pipeline_run_exit(status);
}

static int cmd_retry(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "jobs", required_argument, 0, 'j' }, { 0, 0, 0, 0 }
	};
	char run_id[PIPELINE_EXEC_RUN_ID_MAX] = "";
	struct pipeline_launch a = { NULL, NULL, NULL, NULL, 0,
				     { "local", 0, 1, NULL, NULL, progress,
				       NULL, -1 }, started, run_id };
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *status = "Failed";
	struct store *st;
	int64_t jobs = 0;
	int c, ret;

	a.opts.progress_arg = (void *)cli->prog;
	while ((c = cli_getopt(argc, argv, "hj:", opts, cli, usage_retry))
	       != -1)
		switch (c) {
		case 'j':
			if (parse_int64(optarg, 1, 1024, &jobs, "-j", &err) < 0)
				return cli_usage(cli, usage_retry, "%s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_retry, "expected one RUN");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	a.opts.jobs = (int)jobs;
	ret = pipeline_launch_retry(st, argv[optind], &a, &status, &err);
	if (ret < 0)
		return cli_fail(cli, &err);
	fprintf(stderr, "%s: run %s %s\n", cli->prog, run_id, status);
	return pipeline_run_exit(status);
}

static int cmd_cancel(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	char *id = NULL, *status = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_cancel))
	       != -1)
		return CLI_STATUS(c);
	if (argc - optind != 1)
		return cli_usage(cli, usage_cancel, "expected one RUN");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (pipeline_launch_cancel(st, argv[optind], &id, &status, &err) < 0)
		return cli_fail(cli, &err);
	printf("%s %s\n", id, status);
	free(id);
	free(status);
	return 0;
}
static const struct cli_verb verbs[] = {
	{ "run", cmd_run, usage_run, "run a pipeline" },
	{ "list", cmd_list, usage_list, "list runs" },
	{ "show", cmd_show, usage_show, "show a run and its steps" },
	{ "logs", cmd_logs, usage_logs, "print the logs of a run's steps" },
	{ "retry", cmd_retry, usage_retry, "re-run the failed steps of a run" },
	{ "cancel", cmd_cancel, usage_cancel, "stop an executing run" },
	{ "validate", cmd_validate, usage_validate, "check a pipeline file" },
	{ "graph", cmd_graph, usage_graph, "print the pipeline as Graphviz "
	  "DOT" },
	{ "hook", NULL, usage_hook, "install or remove the git hook",
	  hook_verbs },
	{ NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-pipeline", verbs);
}
