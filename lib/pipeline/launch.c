/* launch.c - starting, retrying and stopping runs; see pipeline.h. Moved
 * from cmd/mlops-pipeline.c, so that what these verbs decide is the
 * library's, audited where the run changes. */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/bounds.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/xalloc.h"
#include "pipeline/pipeline.h"

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

static void warn_no_commit(const struct pipeline_launch *a, const char *why)
{
	char *line = xasprintf("%s: the run records no commit", why);

	a->opts.progress(line, a->opts.progress_arg);
	free(line);
}

/* Fill the workspace and load the pipeline: a checkout of the commit, or
 * a copy of the pipeline file's folder. */
static int prepare(struct store *st, struct pipeline_launch *a, const char *ws,
		   const char *final_ws, struct pipeline **p, struct buf *spec,
		   char **spec_dir, char **repo, char sha[PIPELINE_GIT_SHA_HEX],
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
		/* absolute, so that a later run (a retraining rule) finds
		 * the repository from wherever it runs */
		*repo = fs_path_absolute(a->repo);
		a->opts.git_repo = *repo;
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
			ret = pipeline_git_copy_tree(*spec_dir, ws, st->dir,
						     err);
		/* The copy holds HEAD only when nothing under it differs
		 * from HEAD: else recording HEAD would lie about lineage. */
		if (ret == 0) {
			int head = pipeline_git_head(*spec_dir, sha, &ignored);

			if (head == 0)
				a->opts.git_commit = sha;
			else if (head == 1 && a->opts.progress)
				warn_no_commit(a, ignored.msg);
		}
	}
	if (ret == 0)
		ret = pipeline_exec_check_inputs(*p, ws, err);
	if (ret == 0)
		ret = pipeline_exec_check_features(*p, st, err);
	return ret;
}

int pipeline_launch_run(struct store *st, struct pipeline_launch *a,
			const char **status, struct mlops_err *err)
{
	char run_id[PIPELINE_EXEC_RUN_ID_MAX], sha[PIPELINE_GIT_SHA_HEX] = "";
	struct pipeline *p = NULL;
	struct buf spec = BUF_INIT;
	char *ws = NULL, *tmp = NULL, *final_ws = NULL, *spec_dir = NULL;
	char *repo = NULL;
	int ret;

	*status = "Failed";
	if ((ret = pipeline_exec_run_id_new(run_id, err)) < 0)
		return ret;
	tmp = store_path(st, "tmp");
	ws = xasprintf("%s/run-%s", tmp, run_id);
	final_ws = xasprintf("%s/runs/%s", st->dir, run_id);
	ret = fs_mkdir_p(ws, err);
	if (ret == 0)
		ret = prepare(st, a, ws, final_ws, &p, &spec, &spec_dir, &repo,
			      sha, err);
	/* Locked before the run is recorded Executing, so that no one
	 * takes it for a run whose runner is gone. */
	if (ret == 0)
		ret = pipeline_exec_lock(ws, &a->opts.lock_fd, err);
	if (ret == 0)
		ret = audit_intend(st, "pipeline.run", run_id, err);
	if (ret == 0)
		ret = pipeline_exec_create(st, run_id, p, spec.s, spec.len,
					   spec_dir, a->params, a->nparams, ws,
					   &a->opts, err);
	if (ret < 0) {
		remove_tree(ws);
		goto out;
	}
	if (a->started)
		a->started(run_id, a->started_arg);
	ret = pipeline_exec_run(st, run_id, p, &a->opts, status, err);
	if (ret == 0)
		ret = audit_run(st, "pipeline.run", run_id, p->name, *status,
				a->opts.git_commit, err);
out:
	if (ret < 0)
		audit_fail(st, err);
	if (a->opts.lock_fd >= 0) {
		close(a->opts.lock_fd);
		a->opts.lock_fd = -1;
	}
	/* The commit is this function's; the caller's options must not
	 * point at it. */
	if (a->opts.git_commit == sha)
		a->opts.git_commit = NULL;
	if (a->opts.git_repo == repo)
		a->opts.git_repo = NULL;
	free(repo);
	pipeline_free(p);
	buf_release(&spec);
	free(ws);
	free(tmp);
	free(final_ws);
	free(spec_dir);
	return ret;
}

int pipeline_launch_retry(struct store *st, const char *ref,
			  const struct pipeline_launch *a,
			  const char **status, struct mlops_err *err)
{
	struct pipeline_exec_opts o = a->opts;
	struct pipeline *p = NULL;
	const char *id, *was;
	json_t *run = NULL;
	int ret;

	*status = "Failed";
	ret = pipeline_runs_get(st, ref, &run, err);
	if (ret < 0)
		return ret;
	id = json_string_value(json_object_get(run, "id"));
	was = json_string_value(json_object_get(run, "status"));
	if (strcmp(was, "Failed") != 0 && strcmp(was, "Stopped") != 0) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "run %s is %s: only "
				    "a Failed or Stopped run can be retried",
				    id, was);
		goto out;
	}
	o.executor = json_string_value(json_object_get(run, "executor"));
	if (!o.jobs)
		o.jobs = (int)json_integer_value(json_object_get(run, "jobs"));
	o.use_cache = json_is_true(json_object_get(run, "cache"));
	o.git_commit = NULL;
	o.git_repo = NULL;
	o.lock_fd = -1;
	ret = pipeline_runs_definition(st, run, &p, err);
	if (ret < 0)
		goto out;
	if (a->started)
		a->started(id, a->started_arg);
	ret = audit_intend(st, "pipeline.retry", id, err);
	if (ret == 0)
		ret = pipeline_exec_run(st, id, p, &o, status, err);
	if (ret == 0)
		ret = audit_run(st, "pipeline.retry", id, p->name, *status,
				json_string_value(json_object_get(run,
								  "gitCommit")),
				err);
	if (ret < 0)
		audit_fail(st, err);
out:
	pipeline_free(p);
	json_decref(run);
	return ret;
}

/* How long a cancel waits for the runner to record the end. */
#define CANCEL_WAIT_US (60 * 1000000)
#define CANCEL_POLL_US 100000

int pipeline_launch_cancel(struct store *st, const char *ref, char **id,
			   char **status, struct mlops_err *err)
{
	struct audit_entry e = { "pipeline.cancel", NULL, "success", NULL };
	char *cur = NULL;
	json_t *run = NULL;
	int ret, signalled = 0;

	ret = pipeline_runs_get(st, ref, &run, err);
	if (ret < 0)
		return ret;
	e.resource = json_string_value(json_object_get(run, "id"));
	ret = audit_intend(st, e.action, e.resource, err);
	if (ret == 0)
		ret = pipeline_runs_cancel(st, run, &signalled, err);
	/* The runner stops its steps and records the end: wait for it. */
	for (int i = 0; ret == 0 && signalled &&
	     i < CANCEL_WAIT_US / CANCEL_POLL_US; i++) {
		free(cur);
		cur = NULL;
		ret = pipeline_runs_status(st, e.resource, &cur, err);
		if (ret == 0 && strcmp(cur, "Executing") != 0)
			break;
		usleep(CANCEL_POLL_US);
	}
	ret = audit_done(st, ret, &e, err);
	if (ret == 0) {
		*id = xstrdup(e.resource);
		*status = cur ? cur : xstrdup("Stopped");
		cur = NULL;
	}
	free(cur);
	json_decref(run);
	return ret;
}
