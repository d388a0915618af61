/* feature.c - feature groups in the store's database; see feature.h. */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/event.h"
#include "core/fs.h"
#include "feature/feature.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"

int feature_emit(struct store *st, const struct feature_group *g,
		const char *detail_type, json_t *detail,
		struct mlops_err *err)
{
	json_t *resources = json_pack("[s]", g->name);
	json_t *d = detail ? json_deep_copy(detail) : json_object();
	int ret;

	json_object_set_new(d, "FeatureGroupName", json_string(g->name));
	ret = event_emit(st, FEATURE_EVENT_SOURCE, detail_type, resources, d,
			 NULL, err);
	json_decref(resources);
	json_decref(d);
	return ret;
}

int feature_create_in(struct store *st, struct feature_group *g,
		      struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *def = feature_group_to_json(g);
	json_t *detail = json_pack("{s:s}", "FeatureGroupStatus", "Created");
	struct buf text = BUF_INIT;
	char *user = identity_user();
	int ret;

	jsonio_append(&text, def);
	ret = store_prepare(st, &q, "INSERT INTO feature_group (name, "
			    "definition, created_us, created_by) "
			    "VALUES (?1, ?2, ?3, ?4)", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, g->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, text.s, (int)text.len, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, time_now_us());
	sqlite3_bind_text(q, 4, user, -1, SQLITE_STATIC);
	ret = store_step_done(q, "cannot create the group", err);
	if (ret < 0) {
		/* ENOTFOUND: the step's own constraint failure. */
		if (ret == MLOPS_ENOTFOUND &&
		    sqlite3_extended_errcode(st->db) ==
		    SQLITE_CONSTRAINT_UNIQUE)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND,
					    "feature group '%s' already "
					    "exists", g->name);
		goto out;
	}
	g->id = sqlite3_last_insert_rowid(st->db);
	ret = feature_emit(st, g, "Feature Group State Change", detail, err);
out:
	sqlite3_finalize(q);
	json_decref(def);
	json_decref(detail);
	buf_release(&text);
	free(user);
	return ret;
}

static int group_insert(struct store *st, struct feature_group *g,
			struct mlops_err *err)
{
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = feature_create_in(st, g, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

int feature_create(struct store *st, struct feature_group *g,
		   struct mlops_err *err)
{
	struct audit_entry e = { "feature.create", g->name, "success", NULL };
	int ret = audit_intend(st, e.action, g->name, err);

	if (ret == 0)
		ret = group_insert(st, g, err);
	e.detail = feature_group_to_json(g);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	return ret;
}

/* Parse a definition column into a group with its id. */
static int row_group(sqlite3_stmt *q, int id_col, int def_col,
		     struct feature_group **out, struct mlops_err *err)
{
	const char *text = (const char *)sqlite3_column_text(q, def_col);
	json_t *def = NULL;
	int ret;

	ret = jsonio_parse(&def, text ? text : "", text ? strlen(text) : 0,
			   "feature_group.definition", err);
	if (ret < 0)
		return mlops_err_set(err, MLOPS_EINTERNAL, "%s", err->msg);
	ret = feature_group_from_json(out, def, err);
	json_decref(def);
	if (ret == 0)
		(*out)->id = sqlite3_column_int64(q, id_col);
	return ret;
}

/* Run sql (one row of feature_group, by name as ?1) into *q: 0 on a
 * row, which *q holds; MLOPS_ENOTFOUND when there is no such group. The
 * caller finalizes *q either way. */
static int group_row(struct store *st, const char *sql, const char *name,
		     sqlite3_stmt **q, struct mlops_err *err)
{
	int ret = store_prepare(st, q, sql, err), rc;

	if (ret < 0)
		return ret;
	sqlite3_bind_text(*q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(*q);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "feature group '%s' "
				     "does not exist", name);
	return store_step_failed(st, rc, "cannot read feature groups", err);
}

int feature_load(struct store *st, const char *name, struct feature_group **out,
		struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = group_row(st, "SELECT id, definition FROM feature_group "
			    "WHERE name = ?1", name, &q, err);

	if (ret == 0)
		ret = row_group(q, 0, 1, out, err);
	sqlite3_finalize(q);
	return ret;
}

int feature_each(struct store *st,
		int (*fn)(const struct feature_group *g, void *arg), void *arg,
		struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT id, definition FROM "
			    "feature_group ORDER BY name", err);
	if (ret < 0)
		return ret;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct feature_group *g = NULL;

		if ((ret = row_group(q, 0, 1, &g, err)) < 0)
			break;
		ret = fn(g, arg);
		feature_group_free(g);
		if (ret)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot read feature groups",
					err);
	sqlite3_finalize(q);
	return ret;
}

int feature_stats(struct store *st, const struct feature_group *g,
		 struct feature_stats *out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = store_prepare(st, &q, "SELECT created_us, created_by, "
			    "record_count, coalesce(last_ingest_us, 0), "
			    "(SELECT count(*) FROM feature_online o WHERE "
			    "o.group_id = g.id AND NOT o.deleted), "
			    "(SELECT count(*) FROM feature_part p WHERE "
			    "p.group_id = g.id), "
			    "(SELECT coalesce(sum(bytes), 0) FROM feature_part "
			    "p WHERE p.group_id = g.id) "
			    "FROM feature_group g WHERE id = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, g->id);
	ret = store_step(q, "cannot read the group", err);
	if (ret == 0) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "feature group '%s' "
				    "does not exist", g->name);
	} else if (ret == 1) {
		ret = 0;
		out->created_us = sqlite3_column_int64(q, 0);
		out->created_by = xstrdup((const char *)
					  sqlite3_column_text(q, 1));
		out->record_count = sqlite3_column_int64(q, 2);
		out->last_ingest_us = sqlite3_column_int64(q, 3);
		out->online_count = sqlite3_column_int64(q, 4);
		out->offline_files = sqlite3_column_int64(q, 5);
		out->offline_bytes = sqlite3_column_int64(q, 6);
	}
	sqlite3_finalize(q);
	return ret;
}

int feature_data_state(struct store *st, const char *name, char **out,
		      struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = group_row(st, "SELECT data_version, created_us FROM "
			    "feature_group WHERE name = ?1", name, &q, err);

	if (ret == 0)
		*out = xasprintf("%lld@%lld",
				 (long long)sqlite3_column_int64(q, 0),
				 (long long)sqlite3_column_int64(q, 1));
	sqlite3_finalize(q);
	return ret;
}

int feature_data_changed(struct store *st, const struct feature_group *g,
			struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret;

	ret = store_prepare(st, &q, "UPDATE feature_group SET data_version "
			    "= data_version + 1 WHERE id = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, g->id);
	ret = store_step_done(q, "cannot update the group", err);
	sqlite3_finalize(q);
	return ret;
}

/* The definition and totals as one JSON object (the caller decrefs). */
json_t *feature_stats_json(const struct feature_group *g,
			   const struct feature_stats *s)
{
	json_t *j = feature_group_to_json(g);
	char when[TIME_RFC3339_MAX];

	json_object_set_new(j, "record_count", json_integer(s->record_count));
	json_object_set_new(j, "online_count", json_integer(s->online_count));
	json_object_set_new(j, "offline_files",
			    json_integer(s->offline_files));
	json_object_set_new(j, "offline_bytes",
			    json_integer(s->offline_bytes));
	time_format(s->created_us, when);
	json_object_set_new(j, "created", json_string(when));
	json_object_set_new(j, "created_by", json_string(s->created_by));
	if (s->last_ingest_us) {
		time_format(s->last_ingest_us, when);
		json_object_set_new(j, "last_ingest", json_string(when));
	} else {
		json_object_set_new(j, "last_ingest", json_null());
	}
	return j;
}

void feature_stats_release(struct feature_stats *s)
{
	free(s->created_by);
	s->created_by = NULL;
}

char *feature_data_dir(const struct store *st, const struct feature_group *g)
{
	char *rel = xasprintf("offline/%s", g->name);
	char *abs = store_path(st, rel);

	free(rel);
	return abs;
}

static int remove_entry(const char *path, const struct stat *sb, int flag,
			struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path) < 0 ? -1 : 0;
}

static int group_delete(struct store *st, const struct feature_group *g,
			struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *detail = json_pack("{s:s}", "FeatureGroupStatus", "Deleted");
	char *dir = NULL;
	int ret;

	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = store_prepare(st, &q, "DELETE FROM feature_group WHERE id = ?1",
			    err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(q, 1, g->id);
	ret = store_step_done(q, "cannot drop the group", err);
	if (ret < 0)
		goto out;
	if ((ret = feature_emit(st, g, "Feature Group State Change", detail,
			       err)) < 0 ||
	    (ret = store_commit(st, err)) < 0)
		goto out;
	/* The rows are gone, so no reader looks at these files any more;
	 * a failure here leaves files that nothing lists. */
	dir = feature_data_dir(st, g);
	if (fs_exists(dir) &&
	    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "group dropped, but cannot remove '%s'",
				      dir);
out:
	if (ret < 0)
		store_rollback(st);
	sqlite3_finalize(q);
	json_decref(detail);
	free(dir);
	return ret;
}

int feature_drop(struct store *st, const struct feature_group *g,
		 struct mlops_err *err)
{
	struct audit_entry e = { "feature.drop", g->name, "success", NULL };
	int ret = audit_intend(st, e.action, g->name, err);

	if (ret == 0)
		ret = group_delete(st, g, err);
	return audit_done(st, ret, &e, err);
}
