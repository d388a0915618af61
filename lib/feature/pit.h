/* fpit.h - point-in-time correct training datasets.
 *
 * For each entity row (an ID, a timestamp and any other columns, which
 * pass through unchanged and in order) and each requested group, join
 * the offline record with the greatest event time <= the entity's
 * timestamp (ties: the latest write wins), ignoring records older than
 * the group's TTL relative to that timestamp, answering nothing when the
 * chosen record is a delete, and with an as-of time ignoring everything
 * written after it. No match gives empty values. This is pandas
 * merge_asof(direction="backward", allow_exact_matches=True, by=id,
 * tolerance=ttl) on the offline table.
 *
 * Memory stays bounded whatever the sizes: per group, the entity rows and
 * the group's offline rows go through one external sort by (ID, time,
 * entity after feature, write order), one linear scan picks each
 * entity's record, and a second sort by entity row number lines the
 * answers up with a final pass over the entity file. */
#ifndef MLOPS_FEATURE_PIT_H
#define MLOPS_FEATURE_PIT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"
#include "core/store.h"

struct feature_pit_request {
	char *group;		/* points into text */
	size_t nfeatures;	/* 0: every feature but ID and event time */
	char **features;	/* point into text */
	char *text;		/* owned */
};

struct feature_pit_opts {
	const char *entities;	/* path, or "-" for stdin */
	const char *id_column;	/* NULL: the first group's identifier */
	const char *time_column; /* NULL: the first group's event time */
	const struct feature_pit_request *requests;
	size_t nrequests;
	int64_t as_of_us;	/* INT64_MAX: everything */
	int plain_names;	/* feature names without "GROUP__" */
	size_t memory;		/* bytes of records kept in memory */
	FILE *out;
};

/* Parse "GROUP:feat1,feat2" (or "GROUP" for all features) into req;
 * release it with feature_pit_request_release. MLOPS_EUSAGE when malformed. */
int feature_pit_request_parse(struct feature_pit_request *req, const char *arg,
		      struct mlops_err *err);
void feature_pit_request_release(struct feature_pit_request *req);

/* Build the dataset and write it as CSV to o->out. */
int feature_pit_dataset(struct store *st, const struct feature_pit_opts *o,
		struct mlops_err *err);

#endif
