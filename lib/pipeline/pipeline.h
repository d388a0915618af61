/* pipeline.h - a pipeline.yaml loaded and validated: parameters, steps,
 * their dependencies (checked for cycles and unknown names), step
 * templates expanded, and every ${...} reference checked against the
 * parameters and the properties of needed steps. See mlops-pipeline.yaml(5).
 *
 * Running one is exec.c's job (see its section below).
 *
 * The public header of lib/pipeline: cmd/, tests and other domains include
 * this one; the other headers of lib/pipeline are private to it. */
#ifndef MLOPS_PIPELINE_H
#define MLOPS_PIPELINE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"

/* expr.c: the two small languages of pipeline.yaml: ${...}
 * references substituted into commands and environment values, and the
 * conditions of `when:`
 *
 *	${steps.evaluate.properties.auc} >= ${min_auc} and not ${dry_run}
 *
 * with ==, !=, <, <=, >, >=, `in [a, b]`, and, or, not and parentheses over
 * numbers, 'strings' (or "strings") and true/false. What a reference means
 * is the caller's business, through a resolver. "$${" stands for a
 * literal "${". */

enum pipeline_expr_kind {
	PIPELINE_EXPR_UNKNOWN,	/* not known before the run (validation) */
	PIPELINE_EXPR_NUM,
	PIPELINE_EXPR_STR,
	PIPELINE_EXPR_BOOL
};

struct pipeline_expr_value {
	enum pipeline_expr_kind kind;
	double num;
	char *str;		/* PIPELINE_EXPR_STR: owned by the value */
	int boolean;
};

/* Resolve ref, the text between "${" and "}", into *out (str allocated).
 * A resolver used for validation may answer PIPELINE_EXPR_UNKNOWN.
 * Returns 0 or a negative code with err set. */
typedef int (*pipeline_expr_resolve_fn)(const char *ref,
	     struct pipeline_expr_value *out, void *arg, struct mlops_err *err);

void pipeline_expr_value_release(struct pipeline_expr_value *v);
/* A value as text: numbers without a trailing ".0" when integral. */
void pipeline_expr_value_format(const struct pipeline_expr_value *v,
				struct buf *out);

/* Append text to out with each ${ref} replaced by its value as text.
 * An unterminated "${" is MLOPS_EINPUT. */
int pipeline_expr_subst(struct buf *out, const char *text,
			pipeline_expr_resolve_fn fn, void *arg,
			struct mlops_err *err);

/* Call fn with each reference in text (text of a substitution or of a
 * condition); stops at the first non-zero return and returns it. */
int pipeline_expr_each_ref(const char *text, int (*fn)(const char *ref,
			   void *arg), void *arg);

/* Evaluate the condition cond into *out (0 or 1). With a validating
 * resolver that answers PIPELINE_EXPR_UNKNOWN, this checks the syntax and the
 * references only, and *out is -1. Errors (syntax, comparing a number
 * with a string) are MLOPS_EINPUT, with the column in cond. */
int pipeline_expr_eval(int *out, const char *cond, pipeline_expr_resolve_fn fn,
		       void *arg, struct mlops_err *err);

/* pipeline.c: the definition. */

enum pipeline_type { PIPELINE_STRING, PIPELINE_INT, PIPELINE_FLOAT,
		     PIPELINE_BOOL };

struct pipeline_param {
	char *name;
	enum pipeline_type type;
	char *value;		/* the default, or the -p override, as text */
};

struct pipeline_kv {
	char *key;
	char *value;		/* may hold ${...} references */
};

struct pipeline_step {
	char *name;
	char *run;		/* the shell command, with ${...} unresolved */
	struct pipeline_kv *env;
	size_t nenv;
	char **needs;
	size_t nneeds;
	size_t *need_idx;	/* needs as indexes into pipeline.steps */
	char **inputs;		/* files or globs, relative to the workspace */
	size_t ninputs;
	char **input_where;	/* "file:line:col" of each input */
	char **features;	/* feature groups read (feature:GROUP) */
	size_t nfeatures;
	char **feature_where;	/* "file:line:col" of each */
	char **outputs;		/* files the step writes */
	size_t noutputs;
	char *properties;	/* the JSON file of properties, or NULL */
	char *when;		/* the condition, or NULL */
	char *when_where;	/* "file:line:col" of the condition */
	int cache;		/* 0: never cached */
	int64_t cache_expire_us;	/* 0: entries never expire */
	int attempts;		/* 1 + retries */
	int64_t backoff_us;	/* wait before the 2nd attempt, doubling */
	int64_t timeout_us;	/* 0: none */
};

struct pipeline {
	char *name;
	char *path;		/* the file's name as shown in messages */
	struct pipeline_param *params;
	size_t nparams;
	struct pipeline_kv *env;	/* for every step */
	size_t nenv;
	struct pipeline_step *steps;	/* in file order */
	size_t nsteps;
	size_t *order;		/* step indexes, dependencies first */
};

/* Where step templates are looked up by name (template: NAME): the
 * pipeline's own templates/ folder, $MLOPS_TEMPLATE_PATH (colon-separated),
 * share/templates beside the program's build tree, then the installed
 * share folder. A template given as a path (with a '/' or ending in .yaml)
 * is read relative to the pipeline file. */

/* Load and validate the pipeline in data (name is used in messages and to
 * find templates relative to it; dir is the folder it lives in). overrides
 * are "name=value" strings from -p; a value that does not fit the
 * parameter's type is MLOPS_EUSAGE, an unknown name too. */
int pipeline_load_mem(struct pipeline **out, const char *data, size_t len,
		      const char *name, const char *dir,
		      char *const *overrides, size_t noverrides,
		      struct mlops_err *err);
/* The same for the file at path. */
int pipeline_load_file(struct pipeline **out, const char *path,
		       char *const *overrides, size_t noverrides,
		       struct mlops_err *err);
void pipeline_free(struct pipeline *p);

/* The prefix of an input that names a feature group: "feature:GROUP". */
#define PIPELINE_FEATURE_PREFIX "feature:"

/* The step named name, or NULL. */
struct pipeline_step *pipeline_find_step(const struct pipeline *p,
					 const char *name);
/* The parameter named name, or NULL. */
const struct pipeline_param *pipeline_find_param(const struct pipeline *p,
						 const char *name);
/* 1 when step a needs step b directly or through other steps. */
int pipeline_step_depends_on(const struct pipeline *p, size_t a, size_t b);

/* The value of a parameter as conditions see it: a number for int and
 * float, a boolean, or a string (allocated in out->str). */
void pipeline_param_value(const struct pipeline_param *pp,
			  struct pipeline_expr_value *out);

/* 1 when path stays inside a workspace: relative, without a ".." part.
 * Outputs must, since a cache hit writes them back. */
int pipeline_path_inside(const char *path);

/* "string", "int", "float" or "bool". */
const char *pipeline_type_name(enum pipeline_type t);

/* git.c: what a pipeline run needs from git and the file
 * system: a workspace filled either with a clean checkout of one commit
 * (libgit2, into the workspace only: the user's working tree and index
 * are never touched) or with a copy of the pipeline's folder; and the git
 * hooks that run a pipeline on each commit or push. */

#define PIPELINE_GIT_SHA_HEX 41

/* Write the tree of commit rev (anything git rev-parse takes) of the
 * repository at or above repo_dir into dest, which must exist. The full
 * commit ID goes to sha. MLOPS_ENOTFOUND for no repository or no such
 * revision. */
int pipeline_git_checkout(const char *repo_dir, const char *rev,
			  const char *dest, char sha[PIPELINE_GIT_SHA_HEX],
			  struct mlops_err *err);

/* The HEAD commit of the repository holding dir, into sha, when the files
 * under dir are those of that commit: 0. 1 when a file under dir differs
 * from HEAD (modified, staged, deleted or untracked; ignored files and
 * .mlops folders aside): err names it and sha is left alone. A negative
 * code when dir is in no working tree, HEAD is unborn or git fails. */
int pipeline_git_head(const char *dir, char sha[PIPELINE_GIT_SHA_HEX],
		      struct mlops_err *err);

/* Copy the folder src into dest (which exists), leaving out .git and
 * .mlops folders and the folder skip (the store, when it lives inside
 * src). Symbolic links are copied as links. */
int pipeline_git_copy_tree(const char *src, const char *dest, const char *skip,
		       struct mlops_err *err);

struct pipeline_git_hook_opts {
	const char *repo;	/* a working or bare repository */
	const char *branch;	/* run for commits on this branch */
	const char *file;	/* the pipeline file, relative to the root */
	const char *store;	/* absolute .mlops path */
	const char *program;	/* absolute path of mlops-pipeline */
	int wait;		/* run in the foreground */
};

/* Install the hook: post-commit in a working repository, post-receive in
 * a bare one. A hook of the user's already there is kept (renamed
 * HOOK.mlops-chained) and run first. *hook_path gets the hook's path (the
 * caller frees). Installing over our own hook is MLOPS_ENOTFOUND
 * (conflicting state). */
int pipeline_git_hook_install(struct store *st,
			      const struct pipeline_git_hook_opts *o,
			      char **hook_path, struct mlops_err *err);

/* Remove what install put there and restore a chained user hook;
 * MLOPS_ENOTFOUND when no hook of ours is installed. Both are audited in
 * st ("pipeline.hook.install", "pipeline.hook.uninstall" of the hook's
 * path), their failures too. */
int pipeline_git_hook_uninstall(struct store *st, const char *repo,
				char **hook_path, struct mlops_err *err);

/* Append s to b as one single-quoted shell word (for the scripts of
 * hooks and Slurm jobs). */
void pipeline_git_shell_quote(struct buf *b, const char *s);

/* exec.c: running a pipeline: a run is created (its row, its
 * steps, its workspace runs/RUN/), then executed by a scheduler that
 * starts each step once what it needs has succeeded, up to N at a time,
 * on an executor (local processes or Slurm jobs). Steps whose cache key
 * has a stored result are restored instead of run; conditions decide
 * whether a step runs; failures are retried as the step says. Every status
 * change is written to the store with an event.
 *
 * SIGINT and SIGTERM cancel a run that pipeline_exec_run is executing:
 * its steps are killed and the run ends Stopped. */

#define PIPELINE_EXEC_RUN_ID_MAX 64

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
#define PIPELINE_EXEC_LOCK_FILE ".runner.lock"

/* Lock the run whose workspace is workspace (which may still be the
 * folder pipeline_exec_create renames) into *fd, to close when the run
 * ends: MLOPS_ENOTFOUND when another process executes it. */
int pipeline_exec_lock(const char *workspace, int *fd, struct mlops_err *err);

/* A new run ID: UTC time to the second, '-', 6 random hex digits, so IDs
 * sort by start time. */
int pipeline_exec_run_id_new(char out[PIPELINE_EXEC_RUN_ID_MAX],
			     struct mlops_err *err);

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

/* runs.c: recorded pipeline runs: look-ups for list, show,
 * logs, graph and retry, and cancelling a run that another process
 * executes. Runs are given by ID or by a unique prefix of one. */

/* Mark Failed every run that reads Executing but whose runner is gone
 * (killed, crashed): nobody holds its lock (PIPELINE_EXEC_LOCK_FILE). The
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
/* The number of runs the store holds, into *out. */
int pipeline_runs_count(struct store *st, int64_t *out, struct mlops_err *err);
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

/* The fill color of a step with status (NULL: not run) in a drawing
 * of a run, hit 1 for a cache hit: a color name of SVG and Graphviz
 * alike. A static string. */
const char *pipeline_runs_status_color(const char *status, int hit);
/* The current status of run id into *status (caller frees). */
int pipeline_runs_status(struct store *st, const char *id, char **status,
			struct mlops_err *err);

/* launch.c: starting, retrying and stopping runs: what `mlops-pipeline
 * run`, `retry` and `cancel` decide (the workspace a run gets, the commit
 * its lineage records, which runs may be retried, how long a cancel
 * waits), each audited there, so that the commands only parse and
 * print. */

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
