/* offline.h - the offline store (the data lake): gzip CSV files with a
 * header under offline/GROUP/year=YYYY/month=MM/day=DD/hour=HH/, one
 * partition per hour of event time, with SageMaker's extra columns
 * write_time, api_invocation_time and is_deleted.
 *
 * Files are never appended to: a writer fills temporary files in the
 * store's tmp/ folder and renames each whole file into its partition
 * when the ingest commits, so Spark, Trino, DuckDB or pandas only ever
 * see complete files. The feature_part table lists the files in write
 * order; readers go by that list, so a file left by a crash between
 * rename and commit is never read.
 *
 * Private to lib/feature (ingest.c, online.c, pit.c, offline.c); the
 * readers of the offline store are declared in feature.h. */
#ifndef MLOPS_FEATURE_OFFLINE_H
#define MLOPS_FEATURE_OFFLINE_H
#include <stdint.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "feature/feature.h"
#include "core/store.h"

/* The most rows in one file: bounds a reader's memory per file. */
#define FEATURE_OFFLINE_PART_ROWS 250000

struct feature_offline_writer;

/* A writer for group g into *out; every row gets write_time_us as
 * write_time and api_invocation_time. MLOPS_EINTERNAL when no random
 * token for its file names can be had. */
int feature_offline_writer_new(struct feature_offline_writer **out,
			       struct store *st, const struct feature_group *g,
			       int64_t write_time_us, struct mlops_err *err);
/* Add a row: g->nfeatures values ("" is missing), its parsed event time
 * and whether it marks a delete. */
int feature_offline_writer_add(struct feature_offline_writer *w,
			       char *const *values, int64_t event_time_us,
			       int deleted, struct mlops_err *err);
/* Inside the caller's transaction: finish the files, list them in
 * feature_part and rename them into place. If the transaction then fails
 * to commit, call feature_offline_writer_abort to remove them again. */
int feature_offline_writer_publish(struct feature_offline_writer *w,
				   struct mlops_err *err);
/* Remove every file this writer made (temporary or published). */
void feature_offline_writer_abort(struct feature_offline_writer *w);
/* How many files were written. */
size_t feature_offline_writer_files(const struct feature_offline_writer *w);
void feature_offline_writer_free(struct feature_offline_writer *w);

#endif
