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

/* The files of group g as feature_offline_each_part gives them, into
 * *out (free with feature_offline_list_free). */
int feature_offline_list(struct store *st, const struct feature_group *g,
			 int64_t as_of_us, struct feature_offline_part **out,
			 size_t *n, struct mlops_err *err);
void feature_offline_list_free(struct feature_offline_part *parts, size_t n);

/* Call fn for every row of the offline file at path (of group g), read
 * into data (which the caller releases): its g->nfeatures values in
 * definition order ("" for a column the file lacks), its parsed event
 * time and its is_deleted flag. Stops at fn's first negative return. */
int feature_offline_each_row(const char *path, const struct feature_group *g,
			     struct buf *data,
			     int (*fn)(void *arg, char *const *values,
				       int64_t t, int deleted,
				       struct mlops_err *err),
			     void *arg, struct mlops_err *err);

/* run.c: sorted runs, the store's binary copy of each writer's rows in
 * the point-in-time join's order, in offline/GROUP/_sorted/ (a folder
 * that Spark, Trino and Hive skip for its leading '_', and that
 * DuckDB's glob of the partitions does not reach). See run.c. */

#define FEATURE_RUN_DIR "_sorted"
#define FEATURE_RUN_STAT_MAX 80
/* The top bit of k2 marks an entity row in the join (pit.c); k1 is the
 * time with that bit flipped, so that unsigned order is time order. */
#define FEATURE_RUN_ENTITY_BIT (UINT64_C(1) << 63)

uint64_t feature_run_id_hash(const char *s, size_t n);
uint64_t feature_run_time_key(int64_t t);

struct feature_run_writer;

/* A run of a writer for rows of nfeatures values. */
struct feature_run_writer *feature_run_writer_new(const char *tmpdir,
						  size_t nfeatures);
/* Add a row, in the writer's input order. */
int feature_run_writer_add(struct feature_run_writer *w, const char *id,
			   int64_t t, int deleted, char *const *values,
			   struct mlops_err *err);
/* Inside the caller's transaction, after the writer's files are listed
 * as feature_part ids first..last: write the run, rename it to
 * offline/GROUP/_sorted/NAME.run and list it in feature_run. The
 * caller syncs the store before it commits. Writes nothing (and returns
 * 0) for a writer without rows or beyond what a run can number. */
int feature_run_writer_publish(struct feature_run_writer *w, struct store *st,
			       const struct feature_group *g, int64_t first,
			       int64_t last, const char *name,
			       struct mlops_err *err);
/* Remove the run's file, temporary or published. */
void feature_run_writer_abort(struct feature_run_writer *w);
void feature_run_writer_free(struct feature_run_writer *w);

/* A listed run. */
struct feature_run_info {
	int64_t id;
	char *path;		/* absolute */
	int64_t first_part, last_part;	/* the feature_part ids it copies */
	int64_t rows, bytes;
	char sha256[65];
	char stat[FEATURE_RUN_STAT_MAX];	/* see run_stat in run.c */
};

/* The runs of group g by first_part into *out (free with
 * feature_run_list_free). */
int feature_run_list(struct store *st, const struct feature_group *g,
		     struct feature_run_info **out, size_t *n,
		     struct mlops_err *err);
void feature_run_list_free(struct feature_run_info *runs, size_t n);
/* Open run r and check its size and header into *fd: MLOPS_ENOTFOUND
 * when the file is missing, MLOPS_EINPUT when it does not match. When
 * unchanged is not NULL, it is set to 1 when the file's inode,
 * modification and change times are those recorded when it was made
 * (nothing has written to it since: its SHA-256 need not be read
 * again), else 0. */
int feature_run_open(const struct feature_run_info *r, size_t nfeatures,
		     int *fd, int *unchanged, struct mlops_err *err);
/* Check the SHA-256 of the whole file fd (read with pread) against r:
 * MLOPS_EINPUT when it differs. */
int feature_run_verify(int fd, const struct feature_run_info *r,
		       struct mlops_err *err);
/* Where in the run fd (opened by feature_run_open) the records lie whose
 * k0 has a top byte from lo to hi - 1 (0 <= lo <= hi <= 256):
 * [*start, *end). MLOPS_EINPUT when its index is damaged. */
int feature_run_range(int fd, const struct feature_run_info *r,
		      unsigned lo, unsigned hi, long long *start,
		      long long *end, struct mlops_err *err);

#endif
