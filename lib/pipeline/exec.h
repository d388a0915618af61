/* pipeline_exec.h - running a pipeline: a run is created (its row, its
 * steps, its workspace runs/RUN/), then executed by a scheduler that
 * starts each step once what it needs has succeeded, up to N at a time,
 * on an executor (local processes or Slurm jobs). Steps whose cache key
 * has a stored result are restored instead of run; conditions decide
 * whether a step runs; failures are retried as the step says. Every status
 * change is written to the store with an event.
 *
 * SIGINT and SIGTERM cancel a run that pipeline_exec_run is executing:
 * its steps are killed and the run ends Stopped. */
#ifndef MLOPS_PIPELINE_EXEC_H
#define MLOPS_PIPELINE_EXEC_H
#include <stddef.h>

#include "core/err.h"
#include "pipeline/pipeline.h"
#include "core/store.h"

#define PIPELINE_RUN_ID_MAX 64

struct pipeline_exec_opts {
	const char *executor;	/* "local" (default) or "slurm" */
	int jobs;		/* steps at once; 0: the number of CPUs */
	int use_cache;		/* 0: --no-cache */
	const char *git_commit;	/* the commit the workspace holds, or NULL */
	const char *git_repo;	/* where it came from, or NULL */
	/* One line per status change, for stderr; may be NULL. */
	void (*progress)(const char *line, void *arg);
	void *progress_arg;
	/* The run's lock, taken by the caller (pipeline_exec_lock) before
	 * pipeline_exec_create; -1: pipeline_exec_run takes it. */
	int lock_fd;
};

/* The file a runner holds locked (flock) for as long as it executes a run,
 * in the run's workspace: whoever can lock it knows the runner is gone. */
#define PIPELINE_RUN_LOCK ".runner.lock"

/* Lock the run whose workspace is workspace (which may still be the
 * folder pipeline_exec_create renames) into *fd, to close when the run
 * ends: MLOPS_ENOTFOUND when another process executes it. */
int pipeline_exec_lock(const char *workspace, int *fd, struct mlops_err *err);

/* A new run ID: UTC time to the second, '-', 6 random hex digits, so IDs
 * sort by start time. */
void pipeline_exec_run_id_new(char out[PIPELINE_RUN_ID_MAX]);

/* Check that each literal input of p (a path without glob characters that
 * no step declares as an output) exists under workspace: MLOPS_EINPUT
 * naming the first that does not. */
int pipeline_exec_check_inputs(const struct pipeline *p, const char *workspace,
			  struct mlops_err *err);

/* Check that each feature group p's steps read (inputs: feature:GROUP)
 * exists in st: MLOPS_EINPUT with the file:line:column of the first that
 * does not. */
int pipeline_exec_check_features(const struct pipeline *p, struct store *st,
			    struct mlops_err *err);

/* Record a new run: the pipeline file (spec, spec_len) as a blob, the run
 * row and one Pending row per step, in one transaction with the
 * "Executing" event. workspace (a folder made by the caller, e.g. under
 * tmp/) is renamed to runs/RUN_ID. */
int pipeline_exec_create(struct store *st, const char *run_id,
			 const struct pipeline *p, const char *spec,
			 size_t spec_len, const char *spec_dir,
			 char *const *overrides, size_t noverrides,
			 const char *workspace,
			 const struct pipeline_exec_opts *opts,
			 struct mlops_err *err);

/* Execute run_id, created above or being retried (steps recorded as
 * Succeeded or Skipped are kept, the others run again). *status gets the
 * run's final status: "Succeeded", "Failed" or "Stopped". */
int pipeline_exec_run(struct store *st, const char *run_id,
		      const struct pipeline *p,
		      const struct pipeline_exec_opts *opts,
		      const char **status, struct mlops_err *err);

/* Record a "Pipeline Execution Status Change" event (source
 * mlops.pipeline) for run_id going from prev (NULL: none) to cur; commit
 * and reason may be NULL. Call inside the transaction that changes the
 * run. */
int pipeline_exec_emit_event(struct store *st, const char *pipeline,
			    const char *run_id, const char *prev,
			    const char *cur, const char *commit,
			    const char *reason, struct mlops_err *err);

/* scancel the Slurm job job_id, ignoring failures (a job that ended). */
void pipeline_slurm_cancel_job(const char *job_id);

#endif
