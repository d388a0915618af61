/* internal.h - private to lib/shadow: what shadow.c lends replay.c. */
#ifndef MLOPS_SHADOW_INTERNAL_H
#define MLOPS_SHADOW_INTERNAL_H
#include "shadow/shadow.h"

/* Emit t's "Shadow Test State Change" event with status. */
int shadow_emit(struct store *st, const struct shadow_test *t,
		const char *status, struct mlops_err *err);
/* MLOPS_EINPUT unless m can serve (an xgboost model loads; an exec or
 * http one has a command). */
int shadow_check_loads(struct store *st, const struct deploy_endpoint *e,
		       const struct deploy_endpoint_model *m,
		       struct mlops_err *err);
/* Insert test name of e with model m: kind "live" Running for
 * duration_us, or "replay", Completed now. */
int shadow_insert(struct store *st, const char *name,
		  const struct deploy_endpoint *e,
		  const struct deploy_endpoint_model *m, double sample_pct,
		  int64_t max_pairs, int64_t duration_us, const char *kind,
		  struct mlops_err *err);
/* ENDPOINT-INFIXYYYYMMDDHHMMSS (UTC); the caller frees it. */
char *shadow_default_name(const char *endpoint, const char *infix);
/* The folder deploy_endpoint_materialise fills for ref under endpoint. */
char *shadow_model_dir(struct store *st, const char *endpoint,
		       const char *ref);

#endif
