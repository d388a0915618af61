/* fstore.h - feature groups in the store: create, look up, list,
 * describe and drop. The rows live in the feature_group table (see
 * share/sql/0002-feature.sql); records are ingest.c's and online.c's job. */
#ifndef MLOPS_FEATURE_H
#define MLOPS_FEATURE_H
#include <stdint.h>

#include "core/err.h"
#include "feature/group.h"
#include "core/store.h"

#define FEATURE_EVENT_SOURCE "mlops.feature"

/* What `describe` shows beyond the definition. */
struct feature_stats {
	int64_t created_us;
	char *created_by;	/* the caller frees (feature_stats_release) */
	int64_t record_count;	/* rows ingested (deletes not counted) */
	int64_t online_count;	/* live records in the online store */
	int64_t offline_files;
	int64_t offline_bytes;	/* compressed bytes of the offline files */
	int64_t last_ingest_us;	/* 0: never */
};

/* Create group g (its id is set) and emit its "Feature Group State
 * Change" event, in one transaction. MLOPS_ENOTFOUND (a conflict) when
 * the name is taken. */
int feature_create(struct store *st, struct feature_group *g, struct mlops_err *err);

/* Load group name into *out (the caller frees with feature_group_free);
 * MLOPS_ENOTFOUND "feature group 'x' does not exist". */
int feature_load(struct store *st, const char *name, struct feature_group **out,
		struct mlops_err *err);

/* Call fn for every group in name order; fn returns non-zero to stop
 * (and that is returned). */
int feature_each(struct store *st,
		int (*fn)(const struct feature_group *g, void *arg), void *arg,
		struct mlops_err *err);

int feature_stats(struct store *st, const struct feature_group *g,
		 struct feature_stats *out, struct mlops_err *err);
void feature_stats_release(struct feature_stats *s);

/* Drop group g: its rows in one transaction with an event, then its
 * offline folder. */
int feature_drop(struct store *st, const struct feature_group *g,
		struct mlops_err *err);

/* The state of group name's data as "DATA_VERSION@CREATED_US" (the
 * caller frees): it changes with every ingest that stores rows and every
 * record delete, and differs between a dropped group and one made again
 * under its name. MLOPS_ENOTFOUND when there is no such group. */
int feature_data_state(struct store *st, const char *name, char **out,
		      struct mlops_err *err);

/* Inside the caller's transaction: note that group g's data changed
 * (see feature_data_state). */
int feature_data_changed(struct store *st, const struct feature_group *g,
			struct mlops_err *err);

/* offline/GROUP relative to the store, and absolute; the caller frees. */
char *feature_data_dir(const struct store *st, const struct feature_group *g);

/* Emit a feature store event about group g with extra detail fields
 * (borrowed, may be NULL), inside the caller's transaction. */
int feature_emit(struct store *st, const struct feature_group *g,
		const char *detail_type, json_t *detail,
		struct mlops_err *err);

#endif
