/* internal.h - what the registry's own files share and nobody else
 * should call: loading rows into structs and recording a status change
 * with its event.
 *
 * Private to lib/registry (the registry files). */
#ifndef MLOPS_REGISTRY_INTERNAL_H
#define MLOPS_REGISTRY_INTERNAL_H
#include <sqlite3.h>

#include "registry/registry.h"

/* A copy of a text column, or NULL for SQL NULL. */
char *registry_column_dup(sqlite3_stmt *q, int col);
/* A JSON column parsed; an empty object for NULL or unparsable text. */
json_t *registry_column_json(sqlite3_stmt *q, int col);

/* Step q, which selects at most one row: 1 when it gave one (read its
 * columns before finalising), 0 when none, or the negative code for
 * "cannot read WHAT" with SQLite's message. */
int registry_step(struct store *st, sqlite3_stmt *q, const char *what,
		  struct mlops_err *err);

/* Check that GROUP/version exists (MLOPS_ENOTFOUND naming it otherwise)
 * and put its status in *status (a new string) when status is not NULL. */
int registry_version_status(struct store *st, const char *group,
			    int64_t version, char **status,
			    struct mlops_err *err);
/* registry_group_create() without its audit record, in the caller's
 * transaction when one is open (a registration's), else in its own. */
int registry_group_insert(struct store *st, const char *name,
			  const char *description, json_t *tags,
			  struct mlops_err *err);
/* registry_register() without its audit record, for an import (which
 * records itself). */
int registry_register_version(struct store *st,
			      const struct registry_new_version *nv,
			      int64_t *version, struct mlops_err *err);

/* Check that group exists: MLOPS_ENOTFOUND naming it otherwise. */
int registry_group_exists(struct store *st, const char *group,
			  struct mlops_err *err);

/* Inside the caller's transaction: append a row to the status history of
 * GROUP/version (previous is NULL for a registration) and emit the
 * state-change event. extra (borrowed, may be NULL) adds detail fields. */
int registry_status_record(struct store *st, const char *group,
			   int64_t version, const char *previous,
			   const char *status, const char *user,
			   int64_t time_us, const char *note, json_t *extra,
			   struct mlops_err *err);

/* The approval record an export manifest carries (registry_approvals):
 * its approvals, each checked and copied field by field, or for a
 * manifest written before them, its status history read as records of
 * the environment source; none when it has neither. A new reference in
 * *out, or MLOPS_EINPUT naming the bad record. */
int registry_approvals_check(const json_t *manifest, const char *source,
			     json_t **out, struct mlops_err *err);
/* The latest approval among records, as {environment, user, time, note},
 * or JSON null: an approval, or a registration as Approved; an import
 * approves nothing. A new reference. */
json_t *registry_approvals_latest(const json_t *records);

/* A name that occurs twice among names[0..n), or NULL. Sorts a copy, so
 * that a manifest listing many artifacts cannot cost n^2 comparisons. */
const char *registry_duplicate_name(const char *const *names, size_t n);

/* "registry:GROUP/N", the owner of a version's blobs; the caller frees. */
char *registry_ref_owner(const char *group, int64_t version);

/* features.c: the feature data the version's training data was built
 * from, for its lineage: an array of {dataset, hash, groups, built,
 * as_of?, step?} (a dataset `mlops-feature dataset -o` recorded) and
 * {group, state, step?} (a group a step read directly); empty when
 * nothing is known. lineage (may be NULL) is the version's, artifacts
 * the files being registered. A new reference in *out. */
int registry_features_lineage(struct store *st, const json_t *lineage,
			      const char *const *artifact_paths, size_t n,
			      json_t **out, struct mlops_err *err);

#endif
