/* executor.h - what the scheduler (exec.c) and its
 * executors (local.c: processes; slurm.c: Slurm jobs)
 * share: the state of each step of a run, and the executor interface.
 * Private to those files.
 *
 * Private to lib/pipeline (exec.c, cache.c, local.c, slurm.c, runs.c). */
#ifndef MLOPS_PIPELINE_EXECUTOR_H
#define MLOPS_PIPELINE_EXECUTOR_H
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "core/err.h"
#include "core/hash.h"
#include "pipeline/pipeline.h"
#include "core/store.h"

/* One declared output as stored in the cache. */
struct pipeline_exec_output {
	char *path;
	char hash[HASH_HEX_LEN + 1];
	unsigned mode;
};

struct pipeline_exec_step {
	const struct pipeline_step *def;
	size_t idx;
	const char *status;	/* static string: "Pending", "Executing"... */
	const char *emitted;	/* the status last recorded with an event */
	int dirty;		/* to be written at the next flush */
	int decided;		/* condition evaluated, key computed */
	int cache_checked;	/* looked up (and maybe restored) */
	int final;		/* Succeeded, Failed, Skipped or Stopped */
	int running;
	char *command;		/* after substitution */
	char **outputs;		/* declared outputs, after substitution */
	size_t noutputs;
	char *inputs_json;	/* {path: sha256} of the inputs it read */
	char *outputs_json;	/* {path: sha256} of its outputs, once
				 * it succeeded */
	char **env;		/* "NAME=value" for the step */
	size_t nenv;
	char key[HASH_HEX_LEN + 1];	/* "" while unknown or uncached */
	char *cache_source;	/* run ID the outputs came from on a hit */
	int attempt;		/* attempts started so far */
	int64_t started_us, ended_us;
	int64_t next_try_us;	/* retry not before */
	int64_t deadline_us;	/* timeout of the running attempt, or 0 */
	int timed_out;
	int stop_requested;
	pid_t pid;		/* local: process group leader */
	char *job_id;		/* slurm */
	int exit_code;		/* -1: none */
	json_t *props;		/* the properties JSON, once known */
	char *reason;		/* failure or skip reason */
	struct pipeline_exec_output *save;	/* outputs to record in the
						 * cache */
	size_t nsave;
};

struct pipeline_exec;

/* An executor starts attempts and reports their ends through
 * pipeline_exec_attempt_done(). */
struct pipeline_executor {
	const char *name;
	int (*start)(struct pipeline_exec *e, struct pipeline_exec_step *s,
		     struct mlops_err *err);
	/* Wait at most timeout_us for attempts to end (or a signal). */
	int (*wait)(struct pipeline_exec *e, int64_t timeout_us,
		    struct mlops_err *err);
	/* Kill the running attempt of s (timeout or cancel). */
	void (*kill)(struct pipeline_exec *e, struct pipeline_exec_step *s);
	void (*release)(struct pipeline_exec *e);
	void *state;
};

struct pipeline_exec {
	struct store *st;
	const struct pipeline *p;
	const char *run_id;
	char *workspace;	/* runs/RUN */
	const char *git_commit;
	struct pipeline_exec_step *steps;
	size_t nrunning;
	struct pipeline_executor ex;
	int wake_fd;		/* read end of the self-pipe */
};

/* An attempt of s ended with exit_code (-1 when killed by a signal). */
void pipeline_exec_attempt_done(struct pipeline_exec *e,
				struct pipeline_exec_step *s, int exit_code);
/* 1 once SIGINT or SIGTERM asked the run to stop. */
int pipeline_exec_cancel_requested(void);
/* Sleep until the self-pipe is written (a signal) or timeout_us passes;
 * drains the pipe. */
void pipeline_exec_sleep(struct pipeline_exec *e, int64_t timeout_us);
/* The log file of s: WORKSPACE/logs/STEP.log; the caller frees. */
char *pipeline_exec_log_path(const struct pipeline_exec *e,
			     const struct pipeline_exec_step *s);

/* Set e->ex up for e's run: local processes, or Slurm jobs (which fails
 * when sbatch cannot be found). */
int pipeline_local_init(struct pipeline_exec *e, struct mlops_err *err);
int pipeline_slurm_init(struct pipeline_exec *e, struct mlops_err *err);

/* scancel the Slurm job job_id, ignoring failures (a job that ended). */
void pipeline_slurm_cancel_job(const char *job_id);

#endif
