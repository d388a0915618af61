/* fstore.h - feature groups in the store: create, look up, list,
 * describe and drop. The rows live in the feature_group table (see
 * share/sql/0002-feature.sql); records are ingest.c's and online.c's job. */
#ifndef MLOPS_FSTORE_H
#define MLOPS_FSTORE_H
#include <stdint.h>

#include "core/err.h"
#include "feature/group.h"
#include "core/store.h"

#define FEATURE_EVENT_SOURCE "mlops.feature"

/* What `describe` shows beyond the definition. */
struct fgroup_stats {
	int64_t created_us;
	char *created_by;	/* the caller frees (fgroup_stats_release) */
	int64_t record_count;	/* rows ingested (deletes not counted) */
	int64_t online_count;	/* live records in the online store */
	int64_t offline_files;
	int64_t offline_bytes;	/* compressed bytes of the offline files */
	int64_t last_ingest_us;	/* 0: never */
};

/* Create group g (its id is set) and emit its "Feature Group State
 * Change" event, in one transaction. MLOPS_ENOTFOUND (a conflict) when
 * the name is taken. */
int fstore_create(struct store *st, struct fgroup *g, struct mlops_err *err);

/* Load group name into *out (the caller frees with fgroup_free);
 * MLOPS_ENOTFOUND "feature group 'x' does not exist". */
int fstore_load(struct store *st, const char *name, struct fgroup **out,
		struct mlops_err *err);

/* Call fn for every group in name order; fn returns non-zero to stop
 * (and that is returned). */
int fstore_each(struct store *st,
		int (*fn)(const struct fgroup *g, void *arg), void *arg,
		struct mlops_err *err);

int fstore_stats(struct store *st, const struct fgroup *g,
		 struct fgroup_stats *out, struct mlops_err *err);
void fgroup_stats_release(struct fgroup_stats *s);

/* Drop group g: its rows in one transaction with an event, then its
 * offline folder. */
int fstore_drop(struct store *st, const struct fgroup *g,
		struct mlops_err *err);

/* The state of group name's data as "DATA_VERSION@CREATED_US" (the
 * caller frees): it changes with every ingest that stores rows and every
 * record delete, and differs between a dropped group and one made again
 * under its name. MLOPS_ENOTFOUND when there is no such group. */
int fstore_data_state(struct store *st, const char *name, char **out,
		      struct mlops_err *err);

/* Inside the caller's transaction: note that group g's data changed
 * (see fstore_data_state). */
int fstore_data_changed(struct store *st, const struct fgroup *g,
			struct mlops_err *err);

/* offline/GROUP relative to the store, and absolute; the caller frees. */
char *fstore_offline_dir(const struct store *st, const struct fgroup *g);

/* Emit a feature store event about group g with extra detail fields
 * (borrowed, may be NULL), inside the caller's transaction. */
int fstore_emit(struct store *st, const struct fgroup *g,
		const char *detail_type, json_t *detail,
		struct mlops_err *err);

#endif
