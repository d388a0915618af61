/* online.c - online store reads and deletes; see feature.h. */
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "feature/offline.h"
#include "feature/feature.h"
#include "core/time.h"
#include "core/xalloc.h"

struct feature_online_reader {
	const struct feature_group *g;
	sqlite3_stmt *q;
	char **values;
	struct buf scratch;
};

int feature_online_reader_new(struct feature_online_reader **out,
			      struct store *st, const struct feature_group *g,
			      struct mlops_err *err)
{
	struct feature_online_reader *r = xcalloc(1, sizeof(*r));
	int ret;

	ret = store_prepare(st, &r->q, "SELECT event_time_us, deleted, "
			    "record FROM feature_online WHERE group_id = ?1 "
			    "AND record_id = ?2", err);
	if (ret < 0) {
		free(r);
		return ret;
	}
	sqlite3_bind_int64(r->q, 1, g->id);
	r->g = g;
	r->values = xcalloc(g->nfeatures, sizeof(*r->values));
	buf_init(&r->scratch);
	*out = r;
	return 0;
}

void feature_online_reader_free(struct feature_online_reader *r)
{
	if (!r)
		return;
	sqlite3_finalize(r->q);
	free(r->values);
	buf_release(&r->scratch);
	free(r);
}

int feature_online_sample(struct store *st, const struct feature_group *g,
			  int limit, json_t **out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	struct buf scratch = BUF_INIT;
	char **values = xcalloc(g->nfeatures, sizeof(*values));
	json_t *list = json_array();
	int rc, ret;

	ret = store_prepare(st, &q, "SELECT record FROM feature_online "
			    "WHERE group_id = ?1 AND NOT deleted ORDER BY "
			    "record_id LIMIT ?2", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(q, 1, g->id);
	sqlite3_bind_int(q, 2, limit);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *o;

		ret = feature_group_unpack(sqlite3_column_blob(q, 0),
				    (size_t)sqlite3_column_bytes(q, 0),
				    g->nfeatures, values, &scratch, err);
		if (ret < 0)
			goto out;
		o = json_object();
		for (size_t i = 0; i < g->nfeatures; i++)
			json_object_set_new(o, g->features[i].name,
				feature_group_value_json(g->features[i].type,
							 values[i]));
		json_array_append_new(list, o);
	}
	if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "cannot read the online store",
					err);
		goto out;
	}
	*out = list;
	list = NULL;
out:
	json_decref(list);
	sqlite3_finalize(q);
	buf_release(&scratch);
	free(values);
	return ret;
}

int feature_online_get(struct feature_online_reader *r, const char *id,
		       int64_t now_us, char ***values, int64_t *event_time_us,
		       struct mlops_err *err)
{
	int rc, ret = FEATURE_ONLINE_ABSENT;

	sqlite3_reset(r->q);
	sqlite3_bind_text(r->q, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->q);
	if (rc == SQLITE_ROW) {
		int64_t t = sqlite3_column_int64(r->q, 0);

		if (event_time_us)
			*event_time_us = t;
		if (sqlite3_column_int(r->q, 1)) {
			ret = FEATURE_ONLINE_DELETED;
			goto out;
		}
		if (r->g->ttl_us && now_us - t > r->g->ttl_us) {
			ret = FEATURE_ONLINE_EXPIRED;
			goto out;
		}
		ret = feature_group_unpack(sqlite3_column_blob(r->q, 2),
				    (size_t)sqlite3_column_bytes(r->q, 2),
				    r->g->nfeatures, r->values, &r->scratch,
				    err);
		if (ret == 0) {
			*values = r->values;
			ret = FEATURE_ONLINE_FOUND;
		}
	} else if (rc != SQLITE_DONE) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "cannot read the "
				    "online store: %s",
				    sqlite3_errmsg(sqlite3_db_handle(r->q)));
	}
out:
	sqlite3_reset(r->q);
	return ret;
}

/* The online row's event time and deleted flag: 1 found, 0 absent. */
static int online_current(struct store *st, const struct feature_group *g,
			  const char *id, int64_t *t, int *deleted,
			  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT event_time_us, deleted FROM "
			    "feature_online WHERE group_id = ?1 AND "
			    "record_id = ?2", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, g->id);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		*t = sqlite3_column_int64(q, 0);
		*deleted = sqlite3_column_int(q, 1);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "cannot read the online store",
					err);
	}
	sqlite3_finalize(q);
	return ret;
}

static int online_apply_delete(struct store *st, const struct feature_group *g,
			       const char *id, int64_t t_us, int64_t now,
			       int hard, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret;

	ret = store_prepare(st, &q, hard ?
			    "DELETE FROM feature_online WHERE group_id = ?1 "
			    "AND record_id = ?2" :
			    "UPDATE feature_online SET event_time_us = ?3, "
			    "write_time_us = ?4, deleted = 1, record = NULL "
			    "WHERE group_id = ?1 AND record_id = ?2", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, g->id);
	sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
	if (!hard) {
		sqlite3_bind_int64(q, 3, t_us);
		sqlite3_bind_int64(q, 4, now);
	}
	ret = store_step_done(q, "cannot delete the record", err);
	sqlite3_finalize(q);
	return ret;
}

/* The offline marker: the ID, the delete's event time in the group's
 * format (ISO 8601 for a string event time, else Unix seconds), nothing
 * else. */
static int offline_delete_marker(struct feature_offline_writer *w,
				 const struct feature_group *g, const char *id,
				 int64_t t_us, struct mlops_err *err)
{
	char **values = xcalloc(g->nfeatures, sizeof(*values));
	char when[TIME_RFC3339_MAX];
	int ret;

	for (size_t i = 0; i < g->nfeatures; i++)
		values[i] = "";
	if (g->features[g->time_index].type == FEATURE_GROUP_STRING)
		time_format(t_us, when);
	else
		time_format_unix(t_us, when);
	values[g->id_index] = (char *)id;
	values[g->time_index] = when;
	ret = feature_offline_writer_add(w, values, t_us, 1, err);
	free(values);
	return ret;
}

static int record_delete(struct store *st, const struct feature_group *g,
			 const char *id, int64_t t_us, int hard,
			 struct mlops_err *err)
{
	struct feature_offline_writer *w = NULL;
	char when[TIME_RFC3339_MAX];
	int64_t now = time_now_us(), cur_t = 0;
	json_t *detail = NULL;
	int ret, found = 0, deleted = 0;

	if (g->features[g->time_index].type == FEATURE_GROUP_INTEGRAL &&
	    t_us % TIME_US_PER_SEC != 0)
		return mlops_err_set(err, MLOPS_EINPUT, "the delete's event "
				     "time has a fraction of a second, but "
				     "event time '%s' of feature group '%s' "
				     "is integral",
				     g->features[g->time_index].name, g->name);
	if ((ret = store_begin(st, err)) < 0)
		return ret;
	if (g->online) {
		found = online_current(st, g, id, &cur_t, &deleted, err);
		if ((ret = found) < 0)
			goto out;
		/* A soft-deleted record stays in the online store until a
		 * hard delete removes it, as in SageMaker. */
		if (!found || (deleted && !hard)) {
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "record "
					    "'%s' of feature group '%s' does "
					    "not exist%s", id, g->name,
					    deleted ? " (already deleted; "
					    "--hard removes it)" : "");
			goto out;
		}
		if (t_us < cur_t) {
			time_format(cur_t, when);
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "record "
					    "'%s' has a newer event time (%s) "
					    "than the delete", id, when);
			goto out;
		}
		if ((ret = online_apply_delete(st, g, id, t_us, now, hard,
					       err)) < 0)
			goto out;
	}
	if (g->offline) {
		if ((ret = feature_offline_writer_new(&w, st, g, now,
						      err)) < 0 ||
		    (ret = offline_delete_marker(w, g, id, t_us, err)) < 0 ||
		    (ret = feature_offline_writer_publish(w, err)) < 0)
			goto out;
	}
	if ((ret = feature_data_changed(st, g, err)) < 0)
		goto out;
	time_format(t_us, when);
	detail = json_pack("{s:s,s:s,s:s}", "RecordIdentifierValueAsString",
			   id, "EventTime", when, "DeletionMode",
			   hard ? "HardDelete" : "SoftDelete");
	if ((ret = feature_emit(st, g, "Feature Record Deleted", detail,
			       err)) < 0)
		goto out;
	ret = store_commit(st, err);
out:
	if (ret < 0) {
		store_rollback(st);
		if (w)
			feature_offline_writer_abort(w);
	}
	feature_offline_writer_free(w);
	json_decref(detail);
	return ret;
}

int feature_online_delete(struct store *st, const struct feature_group *g,
			  const char *id, int64_t t_us, int hard,
			  struct mlops_err *err)
{
	char *resource = xasprintf("%s/%s", g->name, id);
	struct audit_entry e = { "feature.delete", resource, "success", NULL };
	char when[TIME_RFC3339_MAX];
	int ret = audit_intend(st, e.action, resource, err);

	if (ret == 0)
		ret = record_delete(st, g, id, t_us, hard, err);
	time_format(t_us, when);
	e.detail = json_pack("{s:s,s:s}", "event_time", when, "mode",
			     hard ? "hard" : "soft");
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	free(resource);
	return ret;
}
