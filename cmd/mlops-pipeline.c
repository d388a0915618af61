/* mlops-pipeline.c - DAG pipelines with step caching, conditions,
 * retries, git hooks and a Slurm executor: the verbs that start, retry and
 * cancel runs live here; list/show/logs, validate/graph and hook in
 * cmd/mlops-pipeline/. See mlops-pipeline(1) and mlops-pipeline.yaml(5). */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
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

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static void remove_tree(const char *dir)
{
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int audit_run(struct store *st, const char *action,
		     const char *run_id, const char *pipeline,
		     const char *status, const char *commit,
		     struct mlops_err *err)
{
	json_t *detail = json_pack("{s:s,s:s}", "pipeline", pipeline,
				   "status", status);
	struct audit_entry entry = { action, run_id, strcmp(status,
							    "Succeeded") ?
				     "failure" : "success", detail };
	int ret;

	if (commit)
		json_object_set_new(detail, "gitCommit", json_string(commit));
	ret = audit_append(st, &entry, err);
	json_decref(detail);
	return ret;
}

struct run_args {
	const char *file;
	const char *commit;
	const char *repo;
	char **params;
	size_t nparams;
	struct pipeline_exec_opts opts;
};

/* Fill the workspace and load the pipeline: a checkout of the commit, or
 * a copy of the pipeline file's folder. */
static int prepare(struct store *st, struct run_args *a, const char *ws,
		   const char *final_ws, struct pipeline **p, struct buf *spec,
		   char **spec_dir, char sha[PIPELINE_GIT_SHA_HEX],
		   struct mlops_err *err)
{
	int ret;

	if (a->commit) {
		char *path = fs_path_join(ws, a->file);

		ret = pipeline_git_checkout(a->repo, a->commit, ws, sha, err);
		if (ret == 0 && (ret = buf_read_file(spec, path,
						     MLOPS_MAX_SPEC, err)) < 0)
			mlops_err_set(err, MLOPS_ENOTFOUND, "commit %.12s has "
				      "no '%s'", sha, a->file);
		if (ret == 0)
			ret = pipeline_load_mem(p, spec->s, spec->len, a->file,
						ws, a->params, a->nparams, err);
		free(path);
		*spec_dir = xstrdup(final_ws);
		a->opts.git_commit = sha;
		a->opts.git_repo = a->repo;
	} else {
		char *abs = fs_path_absolute(a->file);
		struct mlops_err ignored = MLOPS_ERR_INIT;

		*spec_dir = fs_path_dirname(abs);
		free(abs);
		ret = buf_read_file(spec, a->file, MLOPS_MAX_SPEC, err);
		if (ret == 0)
			ret = pipeline_load_mem(p, spec->s, spec->len, a->file,
						*spec_dir, a->params,
						a->nparams, err);
		if (ret == 0)
			ret = pipeline_git_copy_tree(*spec_dir, ws, st->dir, err);
		/* The copy holds HEAD only when nothing under it differs
		 * from HEAD: else recording HEAD would lie about lineage. */
		if (ret == 0) {
			int head = pipeline_git_head(*spec_dir, sha, &ignored);

			if (head == 0)
				a->opts.git_commit = sha;
			else if (head == 1)
				fprintf(stderr, "mlops-pipeline: %s: the run "
					"records no commit\n", ignored.msg);
		}
	}
	if (ret == 0)
		ret = pipeline_exec_check_inputs(*p, ws, err);
	if (ret == 0)
		ret = pipeline_exec_check_features(*p, st, err);
	return ret;
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
	struct run_args a = { "pipeline.yaml", NULL, NULL, NULL, 0,
			      { "local", 0, 1, NULL, NULL, progress, NULL,
				-1 } };
	struct mlops_err err = MLOPS_ERR_INIT;
	char run_id[PIPELINE_EXEC_RUN_ID_MAX], sha[PIPELINE_GIT_SHA_HEX] = "";
	struct pipeline *p = NULL;
	struct buf spec = BUF_INIT;
	char *ws = NULL, *tmp = NULL, *final_ws = NULL, *spec_dir = NULL;
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
	pipeline_exec_run_id_new(run_id);
	tmp = store_path(st, "tmp");
	ws = xasprintf("%s/run-%s", tmp, run_id);
	final_ws = xasprintf("%s/runs/%s", st->dir, run_id);
	ret = fs_mkdir_p(ws, &err);
	if (ret == 0)
		ret = prepare(st, &a, ws, final_ws, &p, &spec, &spec_dir, sha,
			      &err);
	/* Locked before the run is recorded Executing, so that no one
	 * takes it for a run whose runner is gone. */
	if (ret == 0)
		ret = pipeline_exec_lock(ws, &a.opts.lock_fd, &err);
	if (ret == 0)
		ret = audit_intend(st, "pipeline.run", run_id, &err);
	if (ret == 0)
		ret = pipeline_exec_create(st, run_id, p, spec.s, spec.len,
					   spec_dir, a.params, a.nparams, ws,
					   &a.opts, &err);
	if (ret < 0) {
		remove_tree(ws);
		goto out;
	}
	printf("%s\n", run_id);
	fflush(stdout);
	ret = pipeline_exec_run(st, run_id, p, &a.opts, &status, &err);
	if (ret == 0)
		ret = audit_run(st, "pipeline.run", run_id, p->name, status,
				a.opts.git_commit, &err);
	if (ret == 0)
		fprintf(stderr, "%s: run %s %s\n", cli->prog, run_id, status);
out:
	if (a.opts.lock_fd >= 0)
		close(a.opts.lock_fd);
	pipeline_free(p);
	buf_release(&spec);
	free(a.params);
	free(ws);
	free(tmp);
	free(final_ws);
	free(spec_dir);
	return ret < 0 ? cli_fail(cli, &err) : pipeline_run_exit(status);
}

static int cmd_retry(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "jobs", required_argument, 0, 'j' }, { 0, 0, 0, 0 }
	};
	struct pipeline_exec_opts o = { "local", 0, 1, NULL, NULL, progress,
					NULL, -1 };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct pipeline *p = NULL;
	const char *status = "Failed", *id, *was;
	json_t *run = NULL;
	struct store *st;
	int64_t jobs = 0;
	int c, ret;

	o.progress_arg = (void *)cli->prog;
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
	ret = pipeline_runs_get(st, argv[optind], &run, &err);
	if (ret < 0)
		return cli_fail(cli, &err);
	id = json_string_value(json_object_get(run, "id"));
	was = json_string_value(json_object_get(run, "status"));
	if (strcmp(was, "Failed") != 0 && strcmp(was, "Stopped") != 0) {
		ret = mlops_err_set(&err, MLOPS_ENOTFOUND, "run %s is %s: only "
				    "a Failed or Stopped run can be retried",
				    id, was);
		goto out;
	}
	o.executor = json_string_value(json_object_get(run, "executor"));
	o.jobs = jobs ? (int)jobs :
		(int)json_integer_value(json_object_get(run, "jobs"));
	o.use_cache = json_is_true(json_object_get(run, "cache"));
	ret = pipeline_runs_definition(st, run, &p, &err);
	if (ret < 0)
		goto out;
	printf("%s\n", id);
	fflush(stdout);
	ret = audit_intend(st, "pipeline.retry", id, &err);
	if (ret == 0)
		ret = pipeline_exec_run(st, id, p, &o, &status, &err);
	if (ret == 0)
		ret = audit_run(st, "pipeline.retry", id, p->name, status,
				json_string_value(json_object_get(run,
								  "gitCommit")),
				&err);
	if (ret == 0)
		fprintf(stderr, "%s: run %s %s\n", cli->prog, id, status);
out:
	pipeline_free(p);
	json_decref(run);
	return ret < 0 ? cli_fail(cli, &err) : pipeline_run_exit(status);
}

static int cmd_cancel(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct audit_entry entry = { "pipeline.cancel", NULL, "success",
				     NULL };
	char *status = NULL;
	json_t *run = NULL;
	struct store *st;
	int c, ret, signalled = 0;
	const char *id = NULL;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_cancel))
	       != -1)
		return CLI_STATUS(c);
	if (argc - optind != 1)
		return cli_usage(cli, usage_cancel, "expected one RUN");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = pipeline_runs_get(st, argv[optind], &run, &err);
	if (ret == 0) {
		id = json_string_value(json_object_get(run, "id"));
		ret = audit_intend(st, entry.action, id, &err);
	}
	if (ret == 0) {
		ret = pipeline_runs_cancel(st, run, &signalled, &err);
	}
	/* The runner stops its steps and records the end: wait for it. */
	for (int i = 0; ret == 0 && signalled && i < 600; i++) {
		free(status);
		status = NULL;
		ret = pipeline_runs_status(st, id, &status, &err);
		if (ret == 0 && strcmp(status, "Executing") != 0)
			break;
		usleep(100000);
	}
	if (ret == 0) {
		entry.resource = id;
		ret = audit_append(st, &entry, &err);
	}
	if (ret == 0)
		printf("%s %s\n", id, status ? status : "Stopped");
	free(status);
	json_decref(run);
	return ret < 0 ? cli_fail(cli, &err) : 0;
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
