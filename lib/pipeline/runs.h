/* pipeline_runs.h - recorded pipeline runs: look-ups for list, show,
 * logs, graph and retry, and cancelling a run that another process
 * executes. Runs are given by ID or by a unique prefix of one. */
#ifndef MLOPS_PIPELINE_RUNS_H
#define MLOPS_PIPELINE_RUNS_H

#include <jansson.h>

#include "core/err.h"
#include "pipeline/pipeline.h"
#include "core/store.h"

/* Mark Failed every run that reads Executing but whose runner is gone
 * (killed, crashed): nobody holds its lock (PIPELINE_RUN_LOCK). The
 * look-ups below do this first, so that no run stays Executing for want
 * of a process to end it. */
int pipeline_runs_reap(struct store *st, struct mlops_err *err);

/* The run whose ID is id or starts with id, as a JSON object with the
 * fields of mlops-pipeline show --json (id, pipeline, status, executor,
 * gitCommit, parameters, created, ended, failureReason, ... and steps[]
 * in file order). MLOPS_ENOTFOUND when none matches, MLOPS_EUSAGE when
 * the prefix is ambiguous. The caller decrefs *out. */
int pipeline_runs_get(struct store *st, const char *id, json_t **out,
		     struct mlops_err *err);

/* Every run, oldest first, as an array of the objects above without
 * their steps but with a step count per status. */
int pipeline_runs_list(struct store *st, json_t **out, struct mlops_err *err);

/* Load the pipeline definition a run was made from (the file as it was,
 * and its -p values). */
int pipeline_runs_definition(struct store *st, const json_t *run,
			    struct pipeline **out, struct mlops_err *err);

/* Ask the process executing run to stop (SIGTERM), or, when that process
 * is gone, mark the run and its unfinished steps Stopped here. *signalled
 * says which. A run that is not Executing is MLOPS_ENOTFOUND. */
int pipeline_runs_cancel(struct store *st, const json_t *run, int *signalled,
			struct mlops_err *err);

/* The step of run run_id that wrote an output whose SHA-256 is hash
 * (first in file order): 1 with *step (its name; the caller frees) and
 * *inputs (what it read, {path: sha256 or feature state}; a new
 * reference, NULL when not recorded); 0 when no step of the run is known
 * to have written it (or there is no such run). */
int pipeline_runs_find_producer(struct store *st, const char *run_id,
				const char *hash, char **step, json_t **inputs,
				struct mlops_err *err);

/* The current status of run id into *status (caller frees). */
int pipeline_runs_status(struct store *st, const char *id, char **status,
			struct mlops_err *err);

#endif
