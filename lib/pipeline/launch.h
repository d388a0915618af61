/* launch.h - starting, retrying and stopping runs: what `mlops-pipeline
 * run`, `retry` and `cancel` decide (the workspace a run gets, the commit
 * its lineage records, which runs may be retried, how long a cancel
 * waits), each audited here, so that the commands only parse and print. */
#ifndef MLOPS_PIPELINE_LAUNCH_H
#define MLOPS_PIPELINE_LAUNCH_H
#include <stddef.h>

#include "core/err.h"
#include "core/store.h"
#include "pipeline/pipeline.h"

struct pipeline_launch {
	const char *file;	/* the pipeline file; with commit, its path
				 * inside the repository */
	const char *commit;	/* run a clean checkout of it, or NULL */
	const char *repo;	/* the repository of commit */
	char **params;		/* NAME=VALUE overrides */
	size_t nparams;
	/* How to execute; progress also gets the warnings (a run that
	 * records no commit). For a retry, jobs 0 keeps the run's own. */
	struct pipeline_exec_opts opts;
	/* Called once the run is recorded, before it executes (to print
	 * its ID); may be NULL. */
	void (*started)(const char *run_id, void *arg);
	void *started_arg;
};

/* Run a->file as a new run: a new run ID, a workspace filled with a
 * checkout of a->commit from a->repo, or else with a copy of the file's
 * folder (recording its HEAD as the run's commit only when nothing in the
 * folder differs from it), the pipeline loaded and its inputs and
 * feature groups checked, the run locked, recorded and executed. Audited
 * as "pipeline.run" of the run ID, "success" when it succeeded, else
 * "failure". *status gets the run's final status. A failure before the
 * run is recorded removes its workspace. */
int pipeline_launch_run(struct store *st, struct pipeline_launch *a,
			const char **status, struct mlops_err *err);

/* Run a Failed or Stopped run (ref: an ID or an unambiguous prefix) again
 * in its workspace with its own executor, cache setting and, unless
 * a->opts.jobs is set, parallelism: steps that succeeded or were skipped
 * are kept. Any other run is MLOPS_ENOTFOUND. Uses only a->opts.jobs,
 * a->opts.progress and a->started of a. Audited as "pipeline.retry". */
int pipeline_launch_retry(struct store *st, const char *ref,
			  const struct pipeline_launch *a,
			  const char **status, struct mlops_err *err);

/* Stop the executing run ref (see pipeline_runs_cancel()) and, when its
 * runner was signalled, wait (up to a minute) until the runner records
 * the end. *id gets the run's ID and *status its status then ("Stopped"
 * when no runner was left), new strings. Audited as "pipeline.cancel". */
int pipeline_launch_cancel(struct store *st, const char *ref, char **id,
			   char **status, struct mlops_err *err);

#endif
