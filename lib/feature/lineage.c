/* lineage.c - which feature data a training dataset was built from.
 *
 * `mlops-feature dataset -o FILE` takes the state of every group it
 * joins before it reads them (data version, records, online records,
 * last ingest), and once FILE is complete records its SHA-256 with those
 * states in the feature_dataset table. Whoever later holds a file of
 * that hash - a pipeline step's input, a model's registered dataset -
 * can ask which groups, in which state, made it. */
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/copy.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "feature/feature.h"

/* The state of one group as lineage keeps it. */
static int group_state(struct store *st, const char *name, json_t **out,
		       struct mlops_err *err)
{
	struct feature_group *g = NULL;
	struct feature_stats s = { 0 };
	char last[TIME_RFC3339_MAX];
	char *state = NULL;
	int ret = feature_load(st, name, &g, err);

	if (ret == 0)
		ret = feature_stats(st, g, &s, err);
	if (ret == 0)
		ret = feature_data_state(st, name, &state, err);
	if (ret == 0) {
		*out = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I}", "group", name,
				 "environment", st->env, "state", state,
				 "data_version", (json_int_t)atoll(state),
				 "records", (json_int_t)s.record_count,
				 "online_records", (json_int_t)s.online_count);
		if (s.last_ingest_us) {
			time_format(s.last_ingest_us, last);
			json_object_set_new(*out, "last_ingest",
					    json_string(last));
		}
	}
	feature_stats_release(&s);
	feature_group_free(g);
	free(state);
	return ret;
}

int feature_lineage_state(struct store *st,
			  const struct feature_pit_request *reqs, size_t n,
			  json_t **out, struct mlops_err *err)
{
	json_t *groups = json_array();
	int ret = 0;

	for (size_t i = 0; ret == 0 && i < n; i++) {
		json_t *g = NULL;
		size_t j;

		for (j = 0; j < i; j++)
			if (strcmp(reqs[j].group, reqs[i].group) == 0)
				break;
		if (j < i)
			continue;	/* the same group twice */
		ret = group_state(st, reqs[i].group, &g, err);
		if (ret == 0)
			json_array_append_new(groups, g);
	}
	if (ret < 0) {
		json_decref(groups);
		return ret;
	}
	*out = groups;
	return 0;
}

static int record_txn(struct store *st, const char *path, const char *hash,
		      const json_t *groups, int64_t as_of_us,
		      struct mlops_err *err)
{
	char *text = json_dumps(groups, JSON_COMPACT | JSON_SORT_KEYS);
	char *user = identity_user();
	sqlite3_stmt *q = NULL;
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT OR REPLACE INTO "
				    "feature_dataset (hash, path, groups, "
				    "as_of_us, created_us, created_by) VALUES "
				    "(?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, path, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, text, -1, SQLITE_STATIC);
		if (as_of_us != INT64_MAX)
			sqlite3_bind_int64(q, 4, as_of_us);
		sqlite3_bind_int64(q, 5, time_now_us());
		sqlite3_bind_text(q, 6, user, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot record the dataset", err);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	free(user);
	free(text);
	return ret;
}

int feature_lineage_record(struct store *st, const char *path,
			   const json_t *groups, int64_t as_of_us,
			   struct mlops_err *err)
{
	struct audit_entry e = { "feature.dataset", path, "success", NULL };
	char hash[HASH_HEX_LEN + 1];
	uint64_t bytes;
	int ret = copy_hash(path, hash, &bytes, err);

	if (ret == 0)
		ret = audit_intend(st, e.action, path, err);
	if (ret == 0)
		ret = record_txn(st, path, hash, groups, as_of_us, err);
	if (ret == 0)
		e.detail = json_pack("{s:s,s:O}", "hash", hash, "groups",
				     (json_t *)groups);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	return ret;
}

int feature_lineage_lookup(struct store *st, const char *hash, json_t **out,
			   struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *groups = NULL;
	char built[TIME_RFC3339_MAX];
	int ret = store_prepare(st, &q, "SELECT path, groups, as_of_us, "
				"created_us FROM feature_dataset WHERE hash = "
				"?1 ORDER BY created_us DESC LIMIT 1", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot read the datasets", err);
	if (ret == 1) {
		const char *text = (const char *)sqlite3_column_text(q, 1);

		if (jsonio_parse(&groups, text, strlen(text),
				 "feature_dataset.groups", err) < 0) {
			ret = MLOPS_EINTERNAL;
			err->code = ret;
		}
	}
	if (ret == 1) {
		time_format(sqlite3_column_int64(q, 3), built);
		*out = json_pack("{s:s,s:s,s:o,s:s}", "dataset",
				 (const char *)sqlite3_column_text(q, 0),
				 "hash", hash, "groups", groups, "built",
				 built);
		if (sqlite3_column_type(q, 2) != SQLITE_NULL) {
			char as_of[TIME_RFC3339_MAX];

			time_format(sqlite3_column_int64(q, 2), as_of);
			json_object_set_new(*out, "as_of",
					    json_string(as_of));
		}
	}
	sqlite3_finalize(q);
	return ret;
}
