/* governance.h - what ties the stores and their users together: event
 * rules and their dispatch, role personas, and environments (one store
 * each) with the replication of models, features and captured data
 * between them.
 *
 * The public header of lib/governance: cmd/ and tests include this one.
 * Each part keeps its declarations in its own block below. */
#ifndef MLOPS_GOVERNANCE_H
#define MLOPS_GOVERNANCE_H
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/store.h"

/* ---- remote.c, sync.c: environments and replication ----
 *
 * An environment (an "account" of the reference architecture) is a
 * store. A remote is another store this one knows by name, kept in the
 * remote table; `mlops sync` copies one item - a model version, a
 * feature group's data, an endpoint's captured data - from one store to
 * the other. Every sync is idempotent and incremental: what the
 * receiver holds already (same name, same hashes) is never copied
 * again, and a sync killed at any point leaves the receiver as it was
 * or with whole items, so running it again finishes the job. The
 * receiver audits each item it takes in as an import by its acting
 * user, the sender's audit records about the item in the detail. */

struct governance_remote {
	char *name;
	char *path;		/* the remote's .mlops directory, absolute */
	char *env;		/* its environment, from its config.yaml, or
				 * NULL when that cannot be read (gone) */
	char *added_by;
	int64_t added_us;
};

/* 1 when name may name a remote: as an environment name. */
int governance_remote_valid_name(const char *name);

/* Add remote name for the store at path (a directory holding .mlops or
 * the .mlops directory). MLOPS_EUSAGE for a bad name or a path that is
 * this store itself; MLOPS_ENOTFOUND when path is no store, or when the
 * name is taken. Audited as "remote.add". */
int governance_remote_add(struct store *st, const char *name,
			  const char *path, struct mlops_err *err);

/* Remove remote name; MLOPS_ENOTFOUND when there is none. Audited as
 * "remote.rm". */
int governance_remote_rm(struct store *st, const char *name,
			 struct mlops_err *err);

/* Every remote, by name: an array of *n, freed with
 * governance_remote_list_free. */
int governance_remote_list(struct store *st, struct governance_remote **out,
			   size_t *n, struct mlops_err *err);
void governance_remote_list_free(struct governance_remote *rs, size_t n);

/* Open the store that remote names: a remote's name, else (when it holds
 * a '/') a path. MLOPS_ENOTFOUND for an unknown remote or a path that
 * holds no store (any more), MLOPS_EUSAGE when it is st itself. The
 * caller closes *out. */
int governance_remote_open(struct store *st, const char *remote,
			   struct store **out, struct mlops_err *err);

/* The event a capture sync emits at the receiver, from this source. */
#define GOVERNANCE_SYNC_EVENT_SOURCE "mlops.sync"
#define GOVERNANCE_SYNC_CAPTURE_EVENT "Captured Data Imported"

/* What a sync did. */
struct governance_sync_result {
	int64_t copied;		/* items (versions, files, records) copied */
	int64_t present;	/* items the receiver held already */
	uint64_t bytes;		/* bytes copied */
	int64_t records;	/* feature: online records applied */
	int64_t aliases;	/* model: aliases set on the receiver */
	int64_t card_revisions;	/* model: card revisions added later */
	int64_t baselines;	/* model: monitoring baseline attached (1)
				 * where the receiver had none */
	int card_diverged;	/* model: the receiver's card has revisions
				 * of its own, so it was left alone */
	char *item;		/* what was synced, "churn/3" (the caller
				 * frees with governance_sync_result_release) */
};
void governance_sync_result_release(struct governance_sync_result *r);

/* The kinds of item a sync copies. */
enum governance_sync_kind {
	GOVERNANCE_SYNC_MODEL,		/* GROUP/N, GROUP@ALIAS or GROUP */
	GOVERNANCE_SYNC_FEATURES,	/* a feature group */
	GOVERNANCE_SYNC_CAPTURE		/* an endpoint's captured data */
};

/* Parse "model", "features" or "capture" into *out: 0, or -1. */
int governance_sync_kind_parse(const char *s, enum governance_sync_kind *out);

/* Copy item of kind from the store from to the store to. since_us
 * (INT64_MIN: everything) limits features to what was written since,
 * and capture to the hours that end after it. A model that does not
 * exist is MLOPS_ENOTFOUND, one that exists at the receiver with other
 * content MLOPS_ENOTFOUND (a conflict), as is a feature group defined
 * otherwise there. */
int governance_sync_run(struct store *from, struct store *to,
			enum governance_sync_kind kind, const char *item,
			int64_t since_us, struct governance_sync_result *res,
			struct mlops_err *err);

/* ---- end of environments and replication ---- */

#endif
