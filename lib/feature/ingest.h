/* fingest.h - ingestion of records into a feature group from CSV (with a
 * header row) or JSON Lines, streaming, in bounded memory.
 *
 * Columns go by name: an unknown column is an error, a missing one gives
 * missing values (the record identifier and event time must be there).
 * Every value is checked against its feature's type. All or nothing: the
 * first bad row stops the ingest with "FILE:LINE: column: why" and
 * nothing changes, unless rejected rows go to an errors file, in which
 * case the rest is ingested. One transaction writes the online store
 * (upsert: a record replaces the stored one when its event time is newer
 * or equal), the offline files, the group's totals and one event. */
#ifndef MLOPS_FEATURE_INGEST_H
#define MLOPS_FEATURE_INGEST_H
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "feature/group.h"
#include "core/store.h"

enum feature_ingest_format { INGEST_CSV, INGEST_JSONL };

struct feature_ingest_opts {
	int fd;			/* the input, read to its end (not closed) */
	const char *name;	/* the input's name in messages */
	enum feature_ingest_format format;
	FILE *errors;		/* rejected rows go here; NULL: all or
				 * nothing */
	/* Called every 65536 rows when not NULL (for a progress line). */
	void (*progress)(int64_t rows, void *arg);
	void *progress_arg;
};

struct feature_ingest_result {
	int64_t rows;		/* ingested */
	int64_t rejected;	/* written to opts.errors */
	int64_t files;		/* offline files written */
	int64_t write_time_us;
	char first_reject[1024];	/* the first rejected row's message */
};

/* Ingest the input of opts into group g. */
int feature_ingest_run(struct store *st, const struct feature_group *g,
		const struct feature_ingest_opts *opts, struct feature_ingest_result *res,
		struct mlops_err *err);

#endif
