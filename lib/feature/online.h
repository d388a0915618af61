/* fonline.h - the online store: the latest record of each entity of a
 * group, read by one point lookup on the primary key (group_id,
 * record_id), and deletes as SageMaker's DeleteRecord does them. */
#ifndef MLOPS_FEATURE_ONLINE_H
#define MLOPS_FEATURE_ONLINE_H
#include <stdint.h>

#include "core/err.h"
#include "feature/group.h"
#include "core/store.h"

struct feature_online_reader;

/* A reader of group g's online store, with its statement prepared once
 * (g is borrowed and must outlive the reader). */
int feature_online_reader_new(struct feature_online_reader **out, struct store *st,
		      const struct feature_group *g, struct mlops_err *err);
void feature_online_reader_free(struct feature_online_reader *r);

/* What feature_online_get found for an ID. */
enum feature_online_state {
	ONLINE_ABSENT,		/* no record (never ingested, hard-deleted) */
	ONLINE_FOUND,
	ONLINE_DELETED,		/* soft-deleted */
	ONLINE_EXPIRED		/* its event time is older than the TTL */
};

/* Look up record id as of now_us: ONLINE_FOUND with *values set to
 * g->nfeatures strings (borrowed until the next call), another state
 * when there is no live record, or a negative code. *event_time_us is
 * the stored record's event time (for ONLINE_FOUND, ONLINE_DELETED and
 * ONLINE_EXPIRED) when event_time_us is not NULL. */
int feature_online_get(struct feature_online_reader *r, const char *id, int64_t now_us,
	       char ***values, int64_t *event_time_us, struct mlops_err *err);

/* Delete record id at event time t_us. Soft: the row stays, marked
 * deleted, without values; hard: the row goes. In both cases the offline
 * store gets a row with is_deleted=true at t_us, all in one transaction
 * with a "Feature Record Deleted" event. MLOPS_ENOTFOUND when the online
 * store has no such record, or when it holds a newer one (the delete
 * would be ignored, as SageMaker ignores it). */
int feature_online_delete(struct store *st, const struct feature_group *g, const char *id,
		  int64_t t_us, int hard, struct mlops_err *err);

#endif
