/* registry.c - reading the model registry: names, groups, references
 * ("GROUP/N", "GROUP@ALIAS", "GROUP"), versions and their artifacts.
 * Registration is register.c's job; status and aliases are
 * status.c's. */
#include <ctype.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "core/parse.h"
#include "core/object.h"
#include "registry/internal.h"
#include "core/time.h"
#include "core/xalloc.h"

int registry_valid_group(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 63 || !isalnum((unsigned char)name[0]) ||
	    !isalnum((unsigned char)name[n - 1]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-')
			return 0;
	return 1;
}

int registry_valid_alias(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 63 || !isalpha((unsigned char)name[0]))
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_' &&
		    name[i] != '-')
			return 0;
	return 1;
}

int registry_valid_artifact_name(const char *name)
{
	size_t n = strlen(name);

	if (n < 1 || n > 100 || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (name[i] == '/' || name[i] == '\\' ||
		    (unsigned char)name[i] < 0x20)
			return 0;
	return 1;
}

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

const char *registry_duplicate_name(const char *const *names, size_t n)
{
	const char **sorted;
	const char *twice = NULL;

	if (n < 2)
		return NULL;
	sorted = xcalloc(n, sizeof(*sorted));
	memcpy(sorted, names, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), compare_names);
	for (size_t i = 1; !twice && i < n; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			twice = sorted[i];
	free(sorted);
	return twice;
}

int registry_valid_status(const char *s)
{
	return strcmp(s, REGISTRY_PENDING) == 0 ||
		strcmp(s, REGISTRY_APPROVED) == 0 ||
		strcmp(s, REGISTRY_REJECTED) == 0;
}

char *registry_column_dup(sqlite3_stmt *q, int col)
{
	const unsigned char *s = sqlite3_column_text(q, col);

	return s ? xstrdup((const char *)s) : NULL;
}

json_t *registry_column_json(sqlite3_stmt *q, int col)
{
	const char *s = (const char *)sqlite3_column_text(q, col);
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;

	return v ? v : json_object();
}

char *registry_ref_owner(const char *group, int64_t version)
{
	return xasprintf("registry:%s/%" PRId64, group, version);
}

int registry_step(struct store *st, sqlite3_stmt *q, const char *what,
		  struct mlops_err *err)
{
	char *msg = xasprintf("cannot read %s", what);
	int ret = store_step(q, msg, err);

	(void)st;
	free(msg);
	return ret;
}

int registry_group_exists(struct store *st, const char *group,
			  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT 1 FROM registry_group "
				"WHERE name = ?1", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	ret = registry_step(st, q, "model groups", err);
	sqlite3_finalize(q);
	if (ret == 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND,
				     "model group '%s' not found", group);
	return ret < 0 ? ret : 0;
}

int registry_version_status(struct store *st, const char *group,
			    int64_t version, char **status,
			    struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT status FROM registry_version "
				"WHERE grp = ?1 AND version = ?2", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	ret = registry_step(st, q, "model versions", err);
	if (ret == 1 && status)
		*status = registry_column_dup(q, 0);
	sqlite3_finalize(q);
	if (ret != 0)
		return ret < 0 ? ret : 0;
	/* Say which is missing: the group or the version. */
	ret = registry_group_exists(st, group, err);
	if (ret == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "model version %s/%"
				    PRId64 " not found", group, version);
	return ret;
}

/* ---- groups ---- */

int registry_group_insert(struct store *st, const char *name,
			  const char *description, json_t *tags,
			  struct mlops_err *err)
{
	struct buf tags_text = BUF_INIT;
	sqlite3_stmt *q = NULL;
	char *user;
	int ret, own;

	if (!registry_valid_group(name))
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "'%s' is not a valid model group name "
				     "(1-63 letters, digits and inner '-')",
				     name);
	/* Its own transaction unless called inside one (register). */
	own = sqlite3_get_autocommit(st->db);
	ret = own ? store_begin(st, err) : 0;
	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT INTO registry_group (name, "
				    "description, tags, created_by, "
				    "created_us) VALUES (?1, ?2, ?3, ?4, ?5)",
				    err);
	if (ret < 0) {
		if (own)
			store_rollback(st);
		return ret;
	}
	user = identity_user();
	if (tags)
		jsonio_append(&tags_text, tags);
	else
		buf_addstr(&tags_text, "{}");
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, description, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, tags_text.s, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 5, time_now_us());
	ret = store_step_done(q, "cannot create the model group", err);
	/* ENOTFOUND: the step's own constraint failure. */
	if (ret == MLOPS_ENOTFOUND)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND,
				    "model group '%s' already exists", name);
	sqlite3_finalize(q);
	if (own && ret == 0)
		ret = store_commit(st, err);
	if (own && ret < 0)
		store_rollback(st);
	buf_release(&tags_text);
	free(user);
	return ret;
}

int registry_group_create(struct store *st, const char *name,
			  const char *description, json_t *tags,
			  struct mlops_err *err)
{
	struct audit_entry e = { "registry.create", name, "success", NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = registry_group_insert(st, name, description, tags, err);
	return audit_done(st, ret, &e, err);
}

void registry_group_release(struct registry_group *g)
{
	if (!g)
		return;
	free(g->name);
	free(g->description);
	json_decref(g->tags);
	free(g->created_by);
	memset(g, 0, sizeof(*g));
}

void registry_group_free(struct registry_group *g)
{
	registry_group_release(g);
	free(g);
}

void registry_group_list_free(struct registry_group *gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		registry_group_release(&gs[i]);
	free(gs);
}

#define GROUP_COLUMNS \
	"SELECT g.name, g.description, g.tags, g.created_by, g.created_us, " \
	"(SELECT count(*) FROM registry_version v WHERE v.grp = g.name), " \
	"(SELECT max(version) FROM registry_version v WHERE v.grp = g.name), " \
	"(SELECT max(version) FROM registry_version v WHERE v.grp = g.name " \
	"AND v.status = 'Approved') FROM registry_group g "

static void group_from_row(struct registry_group *g, sqlite3_stmt *q)
{
	g->name = registry_column_dup(q, 0);
	g->description = registry_column_dup(q, 1);
	g->tags = registry_column_json(q, 2);
	g->created_by = registry_column_dup(q, 3);
	g->created_us = sqlite3_column_int64(q, 4);
	g->versions = sqlite3_column_int64(q, 5);
	g->latest = sqlite3_column_int64(q, 6);
	g->latest_approved = sqlite3_column_int64(q, 7);
}

int registry_group_get(struct store *st, const char *name,
		       struct registry_group **out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	struct registry_group *g;
	int ret = store_prepare(st, &q, GROUP_COLUMNS "WHERE g.name = ?1",
				err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	ret = registry_step(st, q, "model groups", err);
	if (ret == 1) {
		g = xcalloc(1, sizeof(*g));
		group_from_row(g, q);
		*out = g;
		ret = 0;
	} else if (ret == 0) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND,
				    "model group '%s' not found", name);
	}
	sqlite3_finalize(q);
	return ret;
}

int registry_group_list(struct store *st, struct registry_group **out,
			size_t *n, struct mlops_err *err)
{
	struct registry_group *gs = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *q = NULL;
	int rc, ret = store_prepare(st, &q, GROUP_COLUMNS "ORDER BY g.name",
				    err);

	if (ret < 0)
		return ret;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		ALLOC_GROW(gs, count + 1, cap);
		memset(&gs[count], 0, sizeof(gs[count]));
		group_from_row(&gs[count++], q);
	}
	if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "cannot read model groups",
					err);
		registry_group_list_free(gs, count);
	} else {
		*out = gs;
		*n = count;
	}
	sqlite3_finalize(q);
	return ret;
}

/* ---- versions ---- */

int registry_version_same(const struct registry_version *a,
			  const struct registry_version *b)
{
	if (strcmp(a->group, b->group) != 0 || a->version != b->version ||
	    strcmp(a->framework, b->framework) != 0 ||
	    a->nartifacts != b->nartifacts ||
	    !json_equal(a->metrics, b->metrics) ||
	    !json_equal(a->params, b->params))
		return 0;
	for (size_t i = 0; i < a->nartifacts; i++)
		if (strcmp(a->artifacts[i].name, b->artifacts[i].name) != 0 ||
		    strcmp(a->artifacts[i].hash, b->artifacts[i].hash) != 0)
			return 0;
	return 1;
}

void registry_version_free(struct registry_version *mv)
{
	if (!mv)
		return;
	free(mv->group);
	free(mv->status);
	free(mv->framework);
	free(mv->entry);
	for (size_t i = 0; i < mv->nartifacts; i++)
		free(mv->artifacts[i].name);
	free(mv->artifacts);
	json_decref(mv->metrics);
	json_decref(mv->params);
	json_decref(mv->meta);
	json_decref(mv->lineage);
	json_decref(mv->origin);
	free(mv->description);
	free(mv->created_by);
	free(mv);
}

void registry_version_list_free(struct registry_version **mvs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		registry_version_free(mvs[i]);
	free(mvs);
}

#define VERSION_COLUMNS \
	"SELECT grp, version, status, framework, entry, metrics, params, " \
	"meta, lineage, origin, description, created_by, created_us " \
	"FROM registry_version "

static struct registry_version *version_from_row(sqlite3_stmt *q)
{
	struct registry_version *mv = xcalloc(1, sizeof(*mv));

	mv->group = registry_column_dup(q, 0);
	mv->version = sqlite3_column_int64(q, 1);
	mv->status = registry_column_dup(q, 2);
	mv->framework = registry_column_dup(q, 3);
	mv->entry = registry_column_dup(q, 4);
	mv->metrics = registry_column_json(q, 5);
	mv->params = registry_column_json(q, 6);
	mv->meta = registry_column_json(q, 7);
	mv->lineage = registry_column_json(q, 8);
	if (sqlite3_column_type(q, 9) != SQLITE_NULL)
		mv->origin = registry_column_json(q, 9);
	mv->description = registry_column_dup(q, 10);
	mv->created_by = registry_column_dup(q, 11);
	mv->created_us = sqlite3_column_int64(q, 12);
	return mv;
}

static int load_artifacts(struct store *st, struct registry_version *mv,
			  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int rc, ret = store_prepare(st, &q, "SELECT name, hash, size FROM "
				    "registry_artifact WHERE grp = ?1 AND "
				    "version = ?2 ORDER BY seq", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, mv->group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, mv->version);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct registry_artifact *a;

		ALLOC_GROW(mv->artifacts, mv->nartifacts + 1, cap);
		a = &mv->artifacts[mv->nartifacts++];
		a->name = registry_column_dup(q, 0);
		snprintf(a->hash, sizeof(a->hash), "%s",
			 (const char *)sqlite3_column_text(q, 1));
		a->size = (uint64_t)sqlite3_column_int64(q, 2);
	}
	if (rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot read model artifacts",
					err);
	sqlite3_finalize(q);
	return ret;
}

int registry_version_get(struct store *st, const char *group,
			 int64_t version, struct registry_version **out,
			 struct mlops_err *err)
{
	struct registry_version *mv = NULL;
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, VERSION_COLUMNS
				"WHERE grp = ?1 AND version = ?2", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	ret = registry_step(st, q, "model versions", err);
	if (ret == 1)
		mv = version_from_row(q);
	sqlite3_finalize(q);
	if (ret == 0) {
		/* Let the check name what is missing: group or version. */
		ret = registry_version_status(st, group, version, NULL, err);
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_EINTERNAL, "%s/%" PRId64
					    " vanished", group, version);
	} else if (ret == 1) {
		ret = 0;
	}
	if (ret == 0)
		ret = load_artifacts(st, mv, err);
	if (ret == 0)
		*out = mv;
	else
		registry_version_free(mv);
	return ret;
}

int registry_version_list(struct store *st, const char *group,
			  const char *status, struct registry_version ***out,
			  size_t *n, struct mlops_err *err)
{
	struct registry_version **mvs = NULL;
	size_t count = 0, cap = 0;
	sqlite3_stmt *q = NULL;
	int rc, ret = registry_group_exists(st, group, err);

	if (ret == 0)
		ret = store_prepare(st, &q, VERSION_COLUMNS "WHERE grp = ?1 "
				    "AND (?2 IS NULL OR status = ?2) "
				    "ORDER BY version", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		ALLOC_GROW(mvs, count + 1, cap);
		mvs[count++] = version_from_row(q);
	}
	if (rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot read model versions",
					err);
	sqlite3_finalize(q);
	for (size_t i = 0; ret == 0 && i < count; i++)
		ret = load_artifacts(st, mvs[i], err);
	if (ret < 0) {
		registry_version_list_free(mvs, count);
		return ret;
	}
	*out = mvs;
	*n = count;
	return 0;
}

int registry_latest(struct store *st, const char *group, const char *status,
		    int64_t *version, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = registry_group_exists(st, group, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT max(version) FROM "
				    "registry_version WHERE grp = ?1 AND "
				    "(?2 IS NULL OR status = ?2)", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
	*version = 0;
	ret = store_step(q, "cannot read model versions", err);
	if (ret == 1) {	/* max() always gives one row */
		*version = sqlite3_column_int64(q, 0);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

/* ---- references ---- */

int registry_parse_ref(const char *ref, char **group, int64_t *version,
		       const char **alias, struct mlops_err *err)
{
	size_t n = strcspn(ref, "/@");
	char *name = xstrndup(ref, n);
	struct mlops_err perr = MLOPS_ERR_INIT;

	*version = 0;
	*alias = NULL;
	if (!registry_valid_group(name))
		goto bad;
	if (ref[n] == '/') {
		if (parse_int64(ref + n + 1, 1, INT64_MAX, version,
				"version", &perr) < 0)
			goto bad;
	} else if (ref[n] == '@') {
		if (!registry_valid_alias(ref + n + 1))
			goto bad;
		*alias = ref + n + 1;
	}
	*group = name;
	return 0;
bad:
	free(name);
	return mlops_err_set(err, MLOPS_EUSAGE,
			     "'%s' is not a model version reference (expected "
			     "GROUP/N, GROUP@ALIAS or GROUP)", ref);
}

static int alias_version(struct store *st, const char *group,
			 const char *alias, int64_t *version,
			 struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = registry_group_exists(st, group, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT version FROM "
				    "registry_alias WHERE grp = ?1 AND "
				    "alias = ?2", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, alias, -1, SQLITE_STATIC);
	ret = registry_step(st, q, "aliases", err);
	if (ret == 1)
		*version = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (ret == 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "alias '%s' is not "
				     "set in model group '%s'", alias, group);
	return ret < 0 ? ret : 0;
}

int registry_resolve(struct store *st, const char *ref,
		     struct registry_version **out, struct mlops_err *err)
{
	const char *alias;
	char *group;
	int64_t version;
	int ret = registry_parse_ref(ref, &group, &version, &alias, err);

	if (ret < 0)
		return ret;
	if (alias)
		ret = alias_version(st, group, alias, &version, err);
	else if (!version) {
		ret = registry_latest(st, group, NULL, &version, err);
		if (ret == 0 && !version)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND,
					    "model group '%s' has no versions",
					    group);
	}
	if (ret == 0)
		ret = registry_version_get(st, group, version, out, err);
	free(group);
	return ret;
}

/* ---- output ---- */

json_t *registry_group_json(const struct registry_group *g)
{
	char created[TIME_RFC3339_MAX];
	json_t *o;

	time_format(g->created_us, created);
	o = json_pack("{s:s,s:O,s:s,s:s,s:I}", "name", g->name,
		      "tags", g->tags, "created_by", g->created_by,
		      "created", created, "versions", (json_int_t)g->versions);
	json_object_set_new(o, "description", g->description ?
			    json_string(g->description) : json_null());
	json_object_set_new(o, "latest", g->latest ?
			    json_integer(g->latest) : json_null());
	json_object_set_new(o, "latest_approved", g->latest_approved ?
			    json_integer(g->latest_approved) : json_null());
	return o;
}

json_t *registry_version_json(const struct registry_version *mv)
{
	char created[TIME_RFC3339_MAX];
	json_t *arts = json_array();
	json_t *o;

	for (size_t i = 0; i < mv->nartifacts; i++)
		json_array_append_new(arts, json_pack(
			"{s:s,s:s,s:I}", "name", mv->artifacts[i].name,
			"hash", mv->artifacts[i].hash,
			"size", (json_int_t)mv->artifacts[i].size));
	time_format(mv->created_us, created);
	o = json_pack("{s:s,s:I,s:s,s:s,s:s,s:o,s:O,s:O,s:O,s:O,s:s,s:s}",
		      "group", mv->group, "version", (json_int_t)mv->version,
		      "arn", "", "status", mv->status,
		      "framework", mv->framework, "artifacts", arts,
		      "metrics", mv->metrics, "params", mv->params,
		      "meta", mv->meta, "lineage", mv->lineage,
		      "created_by", mv->created_by, "created", created);
	json_object_set_new(o, "arn", json_sprintf("model-package/%s/%" PRId64,
						   mv->group, mv->version));
	json_object_set_new(o, "entry", mv->entry ? json_string(mv->entry) :
			    json_null());
	json_object_set_new(o, "description", mv->description ?
			    json_string(mv->description) : json_null());
	json_object_set(o, "origin", mv->origin ? mv->origin : json_null());
	return o;
}

int registry_get_artifacts(struct store *st, const struct registry_version *mv,
			   const char *dir, struct mlops_err *err)
{
	int ret = fs_mkdir_p(dir, err);

	for (size_t i = 0; ret == 0 && i < mv->nartifacts; i++) {
		char *path = fs_path_join(dir, mv->artifacts[i].name);

		ret = object_export_file(st, mv->artifacts[i].hash, path, err);
		free(path);
	}
	return ret;
}
