/* pool.h - the exec and http model runtimes, with serverless
 * semantics: worker processes start when requests need them (a cold
 * start, timed), at most max_workers of them; a worker idle for the idle
 * timeout stops (scale to zero) unless it is one of the provisioned ones,
 * which are kept warm.
 *
 * exec: the entry command reads one request per line on stdin and
 * writes one response per line on stdout; a body of several lines is
 * several requests, answered in order. A response line starting with
 * "ERROR:" is a model error (424).
 * http: the entry command, given --port N and $SAGEMAKER_BIND_TO_PORT,
 * answers GET /ping and POST /invocations (SageMaker's container
 * contract); it gets traffic once /ping answers 200.
 *
 * Each worker is a thread that owns one process and runs one request at
 * a time. A worker whose process dies fails its request with 502 and
 * starts a new process; a request past its timeout gets 504 and the
 * process is killed and replaced. Processes run in their own process
 * group, in the model directory, with a memory limit, and die with the
 * gateway (PR_SET_PDEATHSIG).
 *
 * Private to lib/deploy (the gateway, through gateway_int.h, and
 * pool.c). */
#ifndef MLOPS_DEPLOY_POOL_H
#define MLOPS_DEPLOY_POOL_H
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

enum deploy_pool_kind { DEPLOY_POOL_EXEC, DEPLOY_POOL_HTTP };

struct deploy_pool_conf {
	enum deploy_pool_kind kind;
	const char *entry;		/* the command, run by /bin/sh */
	const char *model_dir;		/* its working directory */
	const char *endpoint, *model;	/* for its environment */
	int max_workers, provisioned;
	int memory_mb;
	int64_t idle_timeout_us, timeout_us;
	/* Called from a worker thread after each cold start that a request
	 * waited for, with the time from spawn to ready. */
	void (*on_cold_start)(void *arg, int64_t duration_us);
	void *arg;
};

/* One request. The caller fills the input fields and done, and keeps
 * the job alive until done is called (from a worker thread). */
struct deploy_pool_job {
	const char *body;
	size_t len;
	const char *content_type;
	int64_t deadline_us;	/* time_mono_us() by which to answer */
	int status;		/* out: the HTTP status to answer */
	struct buf out;		/* out: the response body */
	char out_type[96];	/* out: its content type */
	void (*done)(struct deploy_pool_job *job);
	void *arg;
	struct deploy_pool_job *next;	/* private */
};

struct deploy_pool;

/* Make a pool; conf's strings are copied. Starts the provisioned
 * workers in the background. */
int deploy_pool_create(struct deploy_pool **out,
		       const struct deploy_pool_conf *conf,
		       struct mlops_err *err);
/* Start workers until n are running and ready (for a blue/green switch:
 * the new version answers before it gets traffic), waiting at most
 * timeout_us. MLOPS_EINPUT when a worker cannot start. */
int deploy_pool_warm(struct deploy_pool *p, int n, int64_t timeout_us,
	      struct mlops_err *err);
/* Hand a job to the pool. The caller guarantees at most max_workers jobs
 * in flight, so a job never waits for more than a cold start. */
void deploy_pool_submit(struct deploy_pool *p, struct deploy_pool_job *job);
/* Worker processes running now. */
int deploy_pool_running(struct deploy_pool *p);
/* Change the idle timeout and provisioned count of a live pool. */
void deploy_pool_set_scaling(struct deploy_pool *p, int provisioned,
		      int64_t idle_timeout_us);
/* Stop every worker (after their current request) and free. */
void deploy_pool_free(struct deploy_pool *p);

#endif
