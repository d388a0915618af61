/* shadow.h - shadow tests as the store keeps them (mlops-shadow): a
 * candidate model version that a running gateway sends a copy of a
 * sample of an endpoint's requests to, after production answered them.
 * This module starts, lists, stops and ends tests; the gateway
 * (deploy/gateway_shadow.c) mirrors requests and writes back counters
 * and paired records. State changes emit "Shadow Test State Change"
 * events (source mlops.shadow) in their transaction; auditing is the
 * caller's. */
#ifndef MLOPS_SHADOW_H
#define MLOPS_SHADOW_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/store.h"
#include "deploy/deploy.h"

#define SHADOW_SOURCE "mlops.shadow"
#define SHADOW_DEFAULT_DURATION_US (7 * 86400 * INT64_C(1000000))
#define SHADOW_MAX_DURATION_US (30 * 86400 * INT64_C(1000000))
#define SHADOW_DEFAULT_MAX_PAIRS 100000
#define SHADOW_MAX_PAIRS 10000000

struct shadow_test {
	char *name, *endpoint;
	char *production;		/* "GROUP/N" production served */
	struct deploy_endpoint_model model;	/* the shadow version */
	double sample_pct;
	int64_t max_pairs;
	char *status;	/* "Running" | "Completed" | "Stopped" | "Promoted" */
	int64_t start_us, end_us;	/* end_us: scheduled end */
	int64_t ended_us;		/* 0 while running */
	char *created_by;
	int64_t mirrored, shed, pairs_seen, pairs_kept;
	char *error;			/* the gateway's, or NULL */
	char *kind;			/* "live" | "replay" */
};

struct shadow_start_req {
	const char *name;		/* NULL: ENDPOINT-YYYYMMDDHHMMSS */
	const char *endpoint;
	const struct deploy_endpoint_source *src;
	double sample_pct;		/* 0-100 */
	int64_t duration_us;		/* 1 s to 30 days */
	int64_t max_pairs;		/* 1 to SHADOW_MAX_PAIRS */
};

/* Start a test: the endpoint must exist and serve another version, and
 * have no running test; the shadow's artifacts are materialised beside
 * the endpoint's, and an xgboost model must load. *name_out gets the
 * test's name (the caller frees it). MLOPS_EUSAGE for a bad sample,
 * duration or name, MLOPS_ENOTFOUND for a missing endpoint or a
 * conflict, MLOPS_EINPUT for a model that does not load. */
int shadow_start(struct store *st, const struct shadow_start_req *req,
		 char **name_out, struct mlops_err *err);

/* Mark Completed every running test whose end time has passed (with its
 * event and one audit record): the number completed, or an error. Every
 * mlops-shadow command calls it first, and a running gateway every
 * second (mlops-deploy serve). */
int shadow_expire(struct store *st, struct mlops_err *err);

/* End a running test with status ("Stopped" or "Promoted").
 * MLOPS_ENOTFOUND when there is no such test or it is not running. */
int shadow_end(struct store *st, const char *name, const char *status,
	       struct mlops_err *err);

/* Promote a running test: its version becomes the endpoint's (src, as
 * deploy_endpoint_update; the gateway switches blue/green) and the test ends
 * as Promoted, in one transaction. MLOPS_ENOTFOUND when the test is
 * not running. */
int shadow_promote(struct store *st, const char *name,
		   const struct deploy_endpoint_source *src,
		   struct mlops_err *err);

struct shadow_replay_req {
	/* NULL: ENDPOINT-replay-YYYYMMDDHHMMSS */
	const char *name;
	const char *endpoint;
	const struct deploy_endpoint_source *src;
	int64_t since_us, until_us;	/* captured in [since, until) */
	int64_t max_pairs;
};

/* Replay the endpoint's captured production requests (see
 * mlops-capture(5)) through src, in this process, as fast as it
 * answers, and record the result as a completed test of kind "replay"
 * whose pairs hold the captured answer as production's (latency -1:
 * not known) and src's. *name_out gets its name (the caller frees it),
 * *count the requests replayed, as st->progress is told. MLOPS_EINPUT
 * for a version that does not load or start, or a malformed capture. */
int shadow_replay(struct store *st, const struct shadow_replay_req *req,
		  char **name_out, int64_t *count, struct mlops_err *err);

/* Load one test; MLOPS_ENOTFOUND. */
int shadow_get(struct store *st, const char *name, struct shadow_test **out,
	       struct mlops_err *err);
/* Load all, newest first. */
int shadow_list(struct store *st, struct shadow_test ***out, size_t *n,
		struct mlops_err *err);
void shadow_test_free(struct shadow_test *t);
void shadow_list_free(struct shadow_test **ts, size_t n);
/* Test t as `mlops-shadow list --json` prints it. The caller owns the
 * result. */
json_t *shadow_test_json(const struct shadow_test *t);

/* report.c: a shadow test's report, production and shadow side by side
 * from the paired records, and whether the shadow is worse beyond
 * limits. */

struct shadow_report_limits {
	double max_latency_ratio;	/* shadow p90 / production p90 */
	double max_error_rate;		/* shadow's minus production's */
	double min_agreement;		/* of classes */
	double threshold;		/* class of a single score */
	double tolerance;		/* "within" for numeric outputs */
	/* The two-sample Kolmogorov-Smirnov test of the outputs: the
	 * statistic, and its p-value in *pvalue, as scipy.stats.ks_2samp
	 * (method "auto") computes them; sorts a and b in place. Callers
	 * pass monitor_ks_2samp, the drift checks' test: monitor uses
	 * shadow, so shadow cannot call monitor. NULL: no KS figures. */
	double (*ks_2samp)(double *a, size_t n1, double *b, size_t n2,
			   double *pvalue);
};
#define SHADOW_REPORT_LIMITS_INIT { 1.2, 0.001, 0.99, 0.5, 1e-6, NULL }

/* Build the report of test name into *out (a JSON object the caller
 * decrefs; see mlops-shadow(1) for its fields) and set *worse to 1
 * when the shadow is worse than production beyond lim. */
int shadow_report(struct store *st, const char *name,
		  const struct shadow_report_limits *lim, json_t **out,
		  int *worse, struct mlops_err *err);

#endif
