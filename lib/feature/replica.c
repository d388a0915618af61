/* replica.c - copying a feature group's data from one store to another
 * (`mlops sync ... features GROUP`): its definition, the offline files
 * it lacks and the online records newer than its own.
 *
 * The files are copied first, each installed by rename under the path it
 * has at the sender (names are unique to the ingest that wrote them),
 * then one transaction lists them, applies the online records and
 * counts the rows: a copy killed before the commit leaves only files no
 * row names, which readers ignore and the next copy overwrites. A file
 * the receiver lists already, and a record no newer than the receiver's,
 * is left alone, so copying twice changes nothing the second time. A
 * hard-deleted record leaves nothing to copy; a soft delete travels. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/copy.h"
#include "core/xalloc.h"
#include "feature/feature.h"

/* An offline file of the sender that the receiver lacks. */
struct replica_part {
	char *path;		/* relative to the store */
	int64_t rows, write_time_us;
	uint64_t bytes;
	char hash[HASH_HEX_LEN + 1];
};

struct replica {
	struct store *from, *to;
	const struct feature_group *g;	/* the sender's */
	struct feature_group *tg;	/* the receiver's */
	const struct feature_replica_opts *o;
	struct replica_part *parts;
	size_t nparts;
	struct feature_replica_result *res;
};

static void replica_release(struct replica *r)
{
	for (size_t i = 0; i < r->nparts; i++)
		free(r->parts[i].path);
	free(r->parts);
	feature_group_free(r->tg);
}

/* The receiver's group, made with the sender's definition when missing
 * (in the transaction of the copy: a receiver never holds the group
 * without its data); a group defined otherwise is a conflict. Called
 * again inside that transaction, as a concurrent copy may have made the
 * group meanwhile. */
static int receiver_group(struct replica *r, int in_transaction,
			  struct mlops_err *err)
{
	json_t *def = feature_group_to_json(r->g), *theirs = NULL;
	int ret;

	feature_group_free(r->tg);
	r->tg = NULL;
	r->res->created = 0;
	ret = feature_load(r->to, r->g->name, &r->tg, err);
	if (ret == MLOPS_ENOTFOUND) {
		mlops_err_clear(err);
		ret = feature_group_from_json(&r->tg, def, err);
		if (ret == 0 && in_transaction)
			ret = feature_create_in(r->to, r->tg, err);
		if (ret == 0)
			r->res->created = 1;
	}
	if (ret == 0 && !r->res->created) {
		theirs = feature_group_to_json(r->tg);
		if (!json_equal(def, theirs))
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "feature "
					    "group '%s' is defined otherwise "
					    "in %s (environment %s)",
					    r->g->name, r->to->dir,
					    r->to->env);
	}
	json_decref(theirs);
	json_decref(def);
	return ret;
}

/* 1 when path may name one of group's offline files at a receiver:
 * below offline/GROUP/, no "." or ".." component, no empty one. The
 * sender's database says where its files are; the receiver writes
 * nowhere else for it. */
static int valid_part_path(const char *path, const char *group)
{
	size_t n = strlen(group);
	const char *p;

	if (strncmp(path, "offline/", 8) != 0 ||
	    strncmp(path + 8, group, n) != 0 || path[8 + n] != '/')
		return 0;
	for (p = path; *p; ) {
		size_t len = strcspn(p, "/");

		if (len == 0 || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += len;
		if (*p == '/')
			p++;
		else
			break;
	}
	return path[strlen(path) - 1] != '/';
}

/* 1 when the receiver lists the offline file path, else 0. */
static int listed(struct store *st, const char *path, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT 1 FROM feature_part WHERE "
				"path = ?1", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot read the offline files", err);
	sqlite3_finalize(q);
	return ret;
}

/* Copy the sender's offline files written since o->since_us that the
 * receiver does not list. */
static int copy_parts(struct replica *r, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char *tmpdir = store_path(r->to, "tmp");
	int ret = store_prepare(r->from, &q, "SELECT path, rows, "
				"write_time_us FROM feature_part WHERE "
				"group_id = ?1 AND write_time_us >= ?2 "
				"ORDER BY id", err);

	if (ret == 0) {
		sqlite3_bind_int64(q, 1, r->g->id);
		sqlite3_bind_int64(q, 2, r->o->since_us);
	}
	while (ret == 0 &&
	       (ret = store_step(q, "cannot read the offline files",
				 err)) == 1) {
		const char *path = (const char *)sqlite3_column_text(q, 0);
		struct replica_part *p;
		char *src, *dst;

		if (!path || !valid_part_path(path, r->g->name)) {
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s: offline "
					    "file '%s' of group '%s' is not "
					    "below offline/%s/", r->from->dir,
					    path ? path : "", r->g->name,
					    r->g->name);
			break;
		}
		if ((ret = listed(r->to, path, err)) != 0) {
			if (ret == 1) {
				r->res->present++;
				ret = 0;
			}
			continue;
		}
		r->parts = xrealloc(r->parts,
				    (r->nparts + 1) * sizeof(*r->parts));
		p = &r->parts[r->nparts];
		memset(p, 0, sizeof(*p));
		src = store_path(r->from, path);
		dst = store_path(r->to, path);
		ret = copy_file(src, dst, tmpdir, p->hash, &p->bytes, err);
		free(src);
		free(dst);
		if (ret < 0)
			break;
		progress_add(r->to->progress, p->bytes);
		r->nparts++;
		p->path = xstrdup(path);
		p->rows = sqlite3_column_int64(q, 1);
		p->write_time_us = sqlite3_column_int64(q, 2);
	}
	sqlite3_finalize(q);
	free(tmpdir);
	return ret < 0 ? ret : 0;
}

/* In the receiver's transaction: list the copied files, but for those
 * a concurrent copy listed first (it copied the same bytes). */
static int insert_parts(struct replica *r, int64_t *rows, int64_t *last_us,
			struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(r->to, &q, "INSERT INTO feature_part "
				"(group_id, path, rows, bytes, write_time_us) "
				"VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (path) "
				"DO NOTHING", err);

	for (size_t i = 0; ret == 0 && i < r->nparts; i++) {
		const struct replica_part *p = &r->parts[i];

		sqlite3_reset(q);
		sqlite3_bind_int64(q, 1, r->tg->id);
		sqlite3_bind_text(q, 2, p->path, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, p->rows);
		sqlite3_bind_int64(q, 4, (sqlite3_int64)p->bytes);
		sqlite3_bind_int64(q, 5, p->write_time_us);
		ret = store_step_done(q, "cannot list an offline file", err);
		if (ret == 0 && sqlite3_changes(r->to->db) == 0) {
			r->res->present++;
			continue;
		}
		r->res->files++;
		r->res->bytes += p->bytes;
		if (ret == 0 && r->o->on_file)
			ret = r->o->on_file(r->to, p->path, p->hash, p->bytes,
					    r->o->arg, err);
		*rows += p->rows;
		if (p->write_time_us > *last_us)
			*last_us = p->write_time_us;
	}
	sqlite3_finalize(q);
	return ret;
}

/* In the receiver's transaction: apply the sender's online records
 * written since o->since_us that are newer (event time, then write time)
 * than the receiver's. */
static int apply_online(struct replica *r, int64_t *last_us,
			struct mlops_err *err)
{
	sqlite3_stmt *q = NULL, *up = NULL;
	int ret = store_prepare(r->from, &q, "SELECT record_id, "
				"event_time_us, write_time_us, deleted, record "
				"FROM feature_online WHERE group_id = ?1 AND "
				"write_time_us >= ?2", err);

	if (ret == 0)
		ret = store_prepare(r->to, &up, "INSERT INTO feature_online "
			"(group_id, record_id, event_time_us, write_time_us, "
			"deleted, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6) "
			"ON CONFLICT (group_id, record_id) DO UPDATE SET "
			"event_time_us = excluded.event_time_us, "
			"write_time_us = excluded.write_time_us, "
			"deleted = excluded.deleted, record = excluded.record "
			"WHERE excluded.event_time_us > event_time_us OR "
			"(excluded.event_time_us = event_time_us AND "
			"excluded.write_time_us > write_time_us)", err);
	if (ret == 0) {
		sqlite3_bind_int64(q, 1, r->g->id);
		sqlite3_bind_int64(q, 2, r->o->since_us);
	}
	while (ret == 0 &&
	       (ret = store_step(q, "cannot read the online store",
				 err)) == 1) {
		int64_t written = sqlite3_column_int64(q, 2);

		sqlite3_reset(up);
		sqlite3_bind_int64(up, 1, r->tg->id);
		sqlite3_bind_value(up, 2, sqlite3_column_value(q, 0));
		sqlite3_bind_int64(up, 3, sqlite3_column_int64(q, 1));
		sqlite3_bind_int64(up, 4, written);
		sqlite3_bind_int64(up, 5, sqlite3_column_int64(q, 3));
		sqlite3_bind_value(up, 6, sqlite3_column_value(q, 4));
		ret = store_step_done(up, "cannot write the online store", err);
		if (ret == 0 && sqlite3_changes(r->to->db) > 0) {
			r->res->records++;
			if (written > *last_us)
				*last_us = written;
		}
	}
	sqlite3_finalize(q);
	sqlite3_finalize(up);
	return ret < 0 ? ret : 0;
}

/* In the receiver's transaction: the group's totals and data state. */
static int update_totals(struct replica *r, int64_t rows, int64_t last_us,
			 struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(r->to, &q, "UPDATE feature_group SET "
				"record_count = record_count + ?2, "
				"data_version = data_version + 1, "
				"last_ingest_us = max(coalesce(last_ingest_us, "
				"0), ?3) WHERE id = ?1", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, r->tg->id);
	sqlite3_bind_int64(q, 2, rows);
	sqlite3_bind_int64(q, 3, last_us);
	ret = store_step_done(q, "cannot update the group", err);
	sqlite3_finalize(q);
	return ret;
}

/* In the receiver's transaction: "Feature Group Data Imported", so that
 * a rule can react to the data that arrived (retrain on it). */
static int emit_imported(struct replica *r, struct mlops_err *err)
{
	json_t *detail = json_pack("{s:s,s:I,s:I,s:I}", "SourceAccount",
				   r->from->env, "files",
				   (json_int_t)r->res->files, "records",
				   (json_int_t)r->res->records, "bytes",
				   (json_int_t)r->res->bytes);
	int ret = feature_emit(r->to, r->tg, FEATURE_REPLICA_EVENT_TYPE,
			       detail, err);

	json_decref(detail);
	return ret;
}

/* The copy proper: 1 when it found nothing to change. */
static int replicate(struct replica *r, struct mlops_err *err)
{
	int64_t rows = 0, last_us = 0;
	int ret = copy_parts(r, err);

	if (ret == 0)
		ret = store_begin(r->to, err);
	if (ret == 0)
		ret = receiver_group(r, 1, err);
	if (ret == 0)
		ret = insert_parts(r, &rows, &last_us, err);
	if (ret == 0 && r->g->online)
		ret = apply_online(r, &last_us, err);
	if (ret == 0 && !r->res->created && !r->res->files &&
	    !r->res->records) {
		store_rollback(r->to);
		return 1;
	}
	if (ret == 0)
		ret = update_totals(r, rows, last_us, err);
	if (ret == 0)
		ret = emit_imported(r, err);
	if (ret == 0)
		ret = store_commit(r->to, err);
	if (ret < 0)
		store_rollback(r->to);
	return ret;
}

int feature_replica_copy(struct store *from, struct store *to,
			 const char *name,
			 const struct feature_replica_opts *o,
			 struct feature_replica_result *res,
			 struct mlops_err *err)
{
	struct audit_entry e = { "feature.import", name, "success", NULL };
	struct feature_group *g = NULL;
	struct replica r = { from, to, NULL, NULL, o, NULL, 0, res };
	int ret;

	memset(res, 0, sizeof(*res));
	ret = feature_load(from, name, &g, err);
	if (ret < 0)
		return ret;
	r.g = g;
	ret = receiver_group(&r, 0, err);
	if (ret == 0)
		ret = audit_intend(to, e.action, name, err);
	if (ret == 0)
		ret = replicate(&r, err);
	if (ret == 1) {
		audit_cancel(to);
		ret = 0;
	} else {
		if (ret == 0) {
			e.detail = o->detail ? json_deep_copy(o->detail) :
				json_object();
			json_object_set_new(e.detail, "created",
					    json_boolean(res->created));
			json_object_set_new(e.detail, "files",
					    json_integer(res->files));
			json_object_set_new(e.detail, "records",
					    json_integer(res->records));
			json_object_set_new(e.detail, "bytes",
					    json_integer((json_int_t)res->bytes));
		}
		ret = audit_done(to, ret, &e, err);
	}
	json_decref(e.detail);
	replica_release(&r);
	feature_group_free(g);
	return ret;
}
