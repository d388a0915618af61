/* endpoint.h - inference endpoints as the store keeps them: which model
 * version each serves (and which it replaced, for rollback), its
 * serverless settings, its API keys (SHA-256 only), and the counters a
 * running gateway writes back. Changes bump the endpoint's generation,
 * which is how gateways notice them, and emit "Endpoint State Change"
 * events (source mlops.deploy) in the same transaction. Auditing is the
 * caller's, after commit. */
#ifndef MLOPS_DEPLOY_ENDPOINT_H
#define MLOPS_DEPLOY_ENDPOINT_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/hash.h"
#include "core/store.h"

#define DEPLOY_ENDPOINT_SOURCE "mlops.deploy"
#define DEPLOY_ENDPOINT_KEY_LEN 52	/* "mlk_" + 48 hex digits */

struct deploy_endpoint_settings {
	int max_concurrency;		/* 1-200 */
	int memory_mb;			/* 1024-6144 */
	int provisioned;		/* 0-max_concurrency */
	int64_t idle_timeout_us;
	int64_t timeout_us;
	double capture_pct;		/* 0-100 */
	uint64_t max_payload;		/* bytes */
};

/* max 10, 2048 MB, none provisioned, idle 60 s, timeout 60 s, no
 * capture, 4 MB payloads: SageMaker's serverless defaults and limits. */
void deploy_endpoint_settings_default(struct deploy_endpoint_settings *s);
/* Check ranges; MLOPS_EUSAGE naming the option. */
int deploy_endpoint_settings_check(const struct deploy_endpoint_settings *s,
			    struct mlops_err *err);

/* One deployed model version. */
struct deploy_endpoint_model {
	char *ref;		/* "GROUP/N"; NULL for no model */
	char *framework;	/* "xgboost" | "exec" | "http" */
	char *entry;		/* command, or NULL */
	char *model_dir;	/* store-relative folder of its artifacts */
	char *artifact;		/* the model file (xgboost), or NULL */
};

struct deploy_endpoint {
	char *name;
	struct deploy_endpoint_model cur, prev;
	struct deploy_endpoint_settings set;
	int64_t generation, created_us, updated_us;
	char *created_by;
	int key_required;		/* 0: public; 1: needs one of keys */
	size_t nkeys;
	unsigned char (*keys)[32];	/* SHA-256 of each API key */
	/* Counters from the last gateway that served it (stats_us 0: none). */
	int64_t requests, errors, cold_starts, captured, capture_dropped;
	int64_t stats_us, last_cold_start_us;
};

/* What to deploy, as the registry resolved it. */
struct deploy_endpoint_artifact {
	const char *name;
	const char *hash;
};
struct deploy_endpoint_source {
	const char *ref;		/* "GROUP/N" */
	const char *framework, *entry;
	size_t nartifacts;
	const struct deploy_endpoint_artifact *artifacts;
};

/* 1 when name may name an endpoint: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}. */
int deploy_endpoint_valid_name(const char *name);

/* Create endpoint name serving src, materialising its artifacts from the
 * object store into endpoints/NAME/. MLOPS_ENOTFOUND when it exists. */
int deploy_endpoint_create(struct store *st, const char *name,
		    const struct deploy_endpoint_settings *set,
		    const struct deploy_endpoint_source *src, struct mlops_err *err);
/* Serve src instead; the current version becomes the one kept for
 * rollback. */
int deploy_endpoint_update(struct store *st, const char *name,
		    const struct deploy_endpoint_source *src, struct mlops_err *err);
/* Swap the current and the previous version. MLOPS_ENOTFOUND when there
 * is no previous version. */
int deploy_endpoint_rollback(struct store *st, const char *name,
		      struct mlops_err *err);
/* Delete the endpoint, its keys and its materialised artifacts (captured
 * data is kept). */
int deploy_endpoint_delete(struct store *st, const char *name,
		    struct mlops_err *err);

/* Make a new API key for name: key gets DEPLOY_ENDPOINT_KEY_LEN characters
 * (shown once); only its SHA-256 is stored. */
int deploy_endpoint_key_create(struct store *st, const char *name,
			char key[DEPLOY_ENDPOINT_KEY_LEN + 1], struct mlops_err *err);

/* Set name's key policy: key_required 1 refuses requests without a
 * valid key (all of them when it has no key); 0 makes it public, which
 * is MLOPS_ENOTFOUND while it has keys. Creating a key sets it to 1;
 * revoking keys never changes it. */
int deploy_endpoint_set_auth(struct store *st, const char *name, int key_required,
		      struct mlops_err *err);

/* Revoke the key of name whose id (its first 8 hex digits after "mlk_")
 * is id. MLOPS_ENOTFOUND when there is none. */
int deploy_endpoint_key_delete(struct store *st, const char *name, const char *id,
			struct mlops_err *err);
/* Call fn(id, created_us, created_by) for each key of name, oldest
 * first. */
int deploy_endpoint_key_each(struct store *st, const char *name,
		      void (*fn)(const char *id, int64_t created_us,
				 const char *created_by, void *arg),
		      void *arg, struct mlops_err *err);

/* Load one endpoint (with keys and counters); MLOPS_ENOTFOUND. */
int deploy_endpoint_get(struct store *st, const char *name, struct deploy_endpoint **out,
		 struct mlops_err *err);
/* Load all, sorted by name. */
int deploy_endpoint_list(struct store *st, struct deploy_endpoint ***out, size_t *n,
		  struct mlops_err *err);
void deploy_endpoint_free(struct deploy_endpoint *e);
void deploy_endpoint_list_free(struct deploy_endpoint **eps, size_t n);

/* For gateways: write back counters, and record one cold start. */
int deploy_endpoint_stats_put(struct store *st, const struct deploy_endpoint *e,
		       struct mlops_err *err);
int deploy_endpoint_cold_start_add(struct store *st, const char *name,
			    const char *model, int64_t time_us,
			    int64_t duration_us, struct mlops_err *err);

#endif
