/* endpoint.c - endpoints in the store (see deploy.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "core/access.h"
#include "core/audit.h"
#include "deploy/deploy.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "core/id.h"
#include "core/object.h"
#include "core/time.h"
#include "core/xalloc.h"

#define ENDPOINT_COLUMNS \
	"name, model, framework, entry, model_dir, artifact, prev_model, " \
	"prev_framework, prev_entry, prev_model_dir, prev_artifact, " \
	"max_concurrency, memory_mb, provisioned, idle_timeout_us, " \
	"capture_pct, timeout_us, max_payload, generation, created_us, " \
	"created_by, updated_us, auth"

void deploy_endpoint_settings_default(struct deploy_endpoint_settings *s)
{
	s->max_concurrency = 10;
	s->memory_mb = 2048;
	s->provisioned = 0;
	s->idle_timeout_us = 60 * TIME_US_PER_SEC;
	s->timeout_us = 60 * TIME_US_PER_SEC;
	s->capture_pct = 0;
	s->max_payload = (uint64_t)4 << 20;
}

int deploy_endpoint_settings_check(const struct deploy_endpoint_settings *s,
			    struct mlops_err *err)
{
	if (s->max_concurrency < 1 || s->max_concurrency > 200)
		return mlops_err_set(err, MLOPS_EUSAGE, "--max-concurrency "
				     "must be from 1 to 200");
	if (s->memory_mb < 1024 || s->memory_mb > 6144 ||
	    s->memory_mb % 1024)
		return mlops_err_set(err, MLOPS_EUSAGE, "--memory must be "
				     "1024, 2048, 3072, 4096, 5120 or 6144");
	if (s->provisioned < 0 || s->provisioned > s->max_concurrency)
		return mlops_err_set(err, MLOPS_EUSAGE, "--provisioned must "
				     "be from 0 to --max-concurrency (%d)",
				     s->max_concurrency);
	if (s->idle_timeout_us < TIME_US_PER_SEC / 10)
		return mlops_err_set(err, MLOPS_EUSAGE, "--idle-timeout must "
				     "be at least 100ms");
	if (s->timeout_us < TIME_US_PER_SEC / 100 ||
	    s->timeout_us > 3600 * TIME_US_PER_SEC)
		return mlops_err_set(err, MLOPS_EUSAGE, "--timeout must be "
				     "from 10ms to 1h");
	if (!(s->capture_pct >= 0 && s->capture_pct <= 100))
		return mlops_err_set(err, MLOPS_EUSAGE, "--capture must be a "
				     "percentage from 0 to 100");
	if (s->max_payload < 1 || s->max_payload > ((uint64_t)1 << 30))
		return mlops_err_set(err, MLOPS_EUSAGE, "--max-payload must "
				     "be from 1 byte to 1GB");
	return 0;
}

int deploy_endpoint_valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '-' || name[n - 1] == '-')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		      (name[i] >= 'A' && name[i] <= 'Z') ||
		      (name[i] >= '0' && name[i] <= '9') || name[i] == '-'))
			return 0;
	return 1;
}

static char *col_str(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? xstrdup((const char *)s) : NULL;
}

void deploy_endpoint_model_release(struct deploy_endpoint_model *m)
{
	free(m->ref);
	free(m->framework);
	free(m->entry);
	free(m->model_dir);
	free(m->artifact);
	memset(m, 0, sizeof(*m));
}

void deploy_endpoint_free(struct deploy_endpoint *e)
{
	if (!e)
		return;
	free(e->name);
	deploy_endpoint_model_release(&e->cur);
	deploy_endpoint_model_release(&e->prev);
	free(e->created_by);
	free(e->keys);
	json_decref(e->latency);
	free(e);
}

void deploy_endpoint_list_free(struct deploy_endpoint **eps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		deploy_endpoint_free(eps[i]);
	free(eps);
}

static struct deploy_endpoint *endpoint_from_row(sqlite3_stmt *q)
{
	struct deploy_endpoint *e = xcalloc(1, sizeof(*e));

	e->name = col_str(q, 0);
	e->cur.ref = col_str(q, 1);
	e->cur.framework = col_str(q, 2);
	e->cur.entry = col_str(q, 3);
	e->cur.model_dir = col_str(q, 4);
	e->cur.artifact = col_str(q, 5);
	e->prev.ref = col_str(q, 6);
	e->prev.framework = col_str(q, 7);
	e->prev.entry = col_str(q, 8);
	e->prev.model_dir = col_str(q, 9);
	e->prev.artifact = col_str(q, 10);
	e->set.max_concurrency = sqlite3_column_int(q, 11);
	e->set.memory_mb = sqlite3_column_int(q, 12);
	e->set.provisioned = sqlite3_column_int(q, 13);
	e->set.idle_timeout_us = sqlite3_column_int64(q, 14);
	e->set.capture_pct = sqlite3_column_double(q, 15);
	e->set.timeout_us = sqlite3_column_int64(q, 16);
	e->set.max_payload = (uint64_t)sqlite3_column_int64(q, 17);
	e->generation = sqlite3_column_int64(q, 18);
	e->created_us = sqlite3_column_int64(q, 19);
	e->created_by = col_str(q, 20);
	e->updated_us = sqlite3_column_int64(q, 21);
	e->key_required = strcmp((const char *)sqlite3_column_text(q, 22),
				 "key") == 0;
	return e;
}

static int hex_to_bytes(const char *hex, unsigned char out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (unsigned char)v;
	}
	return 0;
}

/* 1 when a key bound to persona may invoke: the store has no grant,
 * or persona holds deploy.invoke; else 0, or a negative code. */
static int key_persona_ok(struct store *st, const char *persona,
			  struct mlops_err *err)
{
	int ret = access_in_use(st, err);

	if (ret <= 0)
		return ret < 0 ? ret : 1;
	return access_persona_has(st, persona, "deploy.invoke", err);
}

/* Keys and counters of e. */
static int endpoint_load_extra(struct store *st, struct deploy_endpoint *e,
			       struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT hash, persona FROM endpoint_key "
			    "WHERE endpoint = ?1 ORDER BY id", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, e->name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *persona = (const char *)sqlite3_column_text(q, 1);

		/* A key bound to a persona opens the endpoint only while
		 * the persona holds deploy.invoke; role changes bump the
		 * generation, so a gateway reloads the keys. */
		if (persona && (ret = key_persona_ok(st, persona, err)) <= 0) {
			if (ret < 0)
				break;
			continue;
		}
		ALLOC_GROW(e->keys, e->nkeys + 1, cap);
		if (hex_to_bytes((const char *)sqlite3_column_text(q, 0),
				 e->keys[e->nkeys]) == 0)
			e->nkeys++;
	}
	sqlite3_finalize(q);
	if (ret < 0)
		return ret;
	if (rc != SQLITE_DONE)
		return store_step_failed(st, rc, "endpoint keys", err);
	ret = store_prepare(st, &q, "SELECT requests, errors, cold_starts, "
			    "captured, capture_dropped, updated_us, (SELECT "
			    "duration_us FROM endpoint_cold_start WHERE "
			    "endpoint = ?1 ORDER BY seq DESC LIMIT 1), latency "
			    "FROM endpoint_stats WHERE endpoint = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, e->name, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot read endpoint statistics", err);
	if (ret == 1) {
		ret = 0;
		e->requests = sqlite3_column_int64(q, 0);
		e->errors = sqlite3_column_int64(q, 1);
		e->cold_starts = sqlite3_column_int64(q, 2);
		e->captured = sqlite3_column_int64(q, 3);
		e->capture_dropped = sqlite3_column_int64(q, 4);
		e->stats_us = sqlite3_column_int64(q, 5);
		e->last_cold_start_us = sqlite3_column_int64(q, 6);
		if (sqlite3_column_type(q, 7) != SQLITE_NULL)
			e->latency = json_loads((const char *)
				sqlite3_column_text(q, 7), 0, NULL);
	}
	sqlite3_finalize(q);
	return ret;
}

json_t *deploy_endpoint_json(const struct deploy_endpoint *e,
			     const struct deploy_gateway_record *recs, size_t n)
{
	char created[TIME_RFC3339_MAX], updated[TIME_RFC3339_MAX];
	json_t *o;

	time_format(e->created_us, created);
	time_format(e->updated_us, updated);
	o = json_pack("{s:s,s:s,s:s,s:s*,s:s*,s:{s:i,s:i,s:i,s:f,s:f,s:f,"
		      "s:I},s:I,s:s,s:I,s:s,s:s,s:s}",
		      "name", e->name, "model", e->cur.ref, "framework",
		      e->cur.framework, "entry", e->cur.entry,
		      "previous_model", e->prev.ref, "settings",
		      "max_concurrency", e->set.max_concurrency, "memory_mb",
		      e->set.memory_mb, "provisioned", e->set.provisioned,
		      "idle_timeout_s",
		      (double)e->set.idle_timeout_us / 1e6, "timeout_s",
		      (double)e->set.timeout_us / 1e6, "capture_percent",
		      e->set.capture_pct, "max_payload",
		      (json_int_t)e->set.max_payload, "keys",
		      (json_int_t)e->nkeys, "auth", e->key_required ? "key" :
		      "public", "generation",
		      (json_int_t)e->generation, "status",
		      deploy_gateway_record_status(recs, n, e->name,
						   e->generation),
		      "created", created, "updated",
		      updated);
	if (e->stats_us) {
		char when[TIME_RFC3339_MAX];

		time_format(e->stats_us, when);
		json_object_set_new(o, "counters", json_pack(
			"{s:I,s:I,s:I,s:I,s:I,s:f,s:s}", "requests",
			(json_int_t)e->requests, "errors",
			(json_int_t)e->errors, "cold_starts",
			(json_int_t)e->cold_starts, "captured",
			(json_int_t)e->captured, "capture_dropped",
			(json_int_t)e->capture_dropped,
			"last_cold_start_s",
			(double)e->last_cold_start_us / 1e6, "as_of", when));
	}
	return o;
}

int deploy_endpoint_list(struct store *st, struct deploy_endpoint ***out,
			 size_t *n, struct mlops_err *err)
{
	struct deploy_endpoint **eps = NULL;
	sqlite3_stmt *q = NULL;
	size_t count = 0, cap = 0;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT " ENDPOINT_COLUMNS " FROM "
			    "endpoint ORDER BY name", err);
	if (ret < 0)
		return ret;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		ALLOC_GROW(eps, count + 1, cap);
		eps[count++] = endpoint_from_row(q);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "list endpoints", err);
	for (size_t i = 0; i < count && ret == 0; i++)
		ret = endpoint_load_extra(st, eps[i], err);
	if (ret < 0) {
		deploy_endpoint_list_free(eps, count);
		return ret;
	}
	*out = eps;
	*n = count;
	return 0;
}

int deploy_endpoint_get(struct store *st, const char *name,
			struct deploy_endpoint **out, struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT " ENDPOINT_COLUMNS " FROM "
			    "endpoint WHERE name = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		e = endpoint_from_row(q);
	sqlite3_finalize(q);
	if (!e)
		return rc == SQLITE_DONE ? mlops_err_set(err, MLOPS_ENOTFOUND,
			"no endpoint '%s'", name) :
			store_step_failed(st, rc, "read endpoint", err);
	ret = endpoint_load_extra(st, e, err);
	if (ret < 0) {
		deploy_endpoint_free(e);
		return ret;
	}
	*out = e;
	return 0;
}

/* Run sql, whose ?1 is the endpoint name, to completion. */
static int exec_by_name(struct store *st, const char *sql, const char *name,
			const char *what, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, sql, err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	ret = store_step_done(q, what, err);
	sqlite3_finalize(q);
	return ret;
}

static int emit_change(struct store *st, const char *name,
		       const char *action, const char *status,
		       const char *model, const char *prev,
		       struct mlops_err *err)
{
	char *res = xasprintf("endpoint/%s", name);
	json_t *resources = json_pack("[s]", res);
	json_t *detail = json_pack("{s:s,s:s,s:s}", "EndpointName", name,
				   "EndpointStatus", status, "action", action);
	int ret;

	if (model)
		json_object_set_new(detail, "model", json_string(model));
	if (prev)
		json_object_set_new(detail, "previous_model",
				    json_string(prev));
	ret = event_emit(st, DEPLOY_ENDPOINT_SOURCE, "Endpoint State Change",
			 resources, detail, NULL, err);
	json_decref(resources);
	json_decref(detail);
	free(res);
	return ret;
}

static int is_model_file(const char *name)
{
	static const char *const exts[] = { ".json", ".ubj", ".model",
		".bin", ".xgb", NULL };
	size_t n = strlen(name);

	for (int i = 0; exts[i]; i++) {
		size_t k = strlen(exts[i]);

		if (n > k && strcmp(name + n - k, exts[i]) == 0)
			return 1;
	}
	return 0;
}

/* Export src's artifacts into endpoints/NAME/GROUP-N/ and describe the
 * result in m. Blobs are verified on the way out. */
int deploy_endpoint_materialise(struct store *st, const char *name,
			 const struct deploy_endpoint_source *src,
			 struct deploy_endpoint_model *m, struct mlops_err *err)
{
	char *leaf = xstrdup(src->ref), *dir;
	int ret = 0;

	for (char *p = leaf; *p; p++)
		if (*p == '/' || *p == '@')
			*p = '-';
	m->ref = xstrdup(src->ref);
	m->framework = xstrdup(src->framework);
	m->entry = src->entry ? xstrdup(src->entry) : NULL;
	m->model_dir = xasprintf("endpoints/%s/%s", name, leaf);
	free(leaf);
	if (strcmp(src->framework, "xgboost") == 0 && src->nartifacts == 0)
		return mlops_err_set(err, MLOPS_EINPUT, "%s: an xgboost model "
				     "needs a model file artifact", src->ref);
	dir = store_path(st, m->model_dir);
	ret = fs_mkdir_p(dir, err);
	for (size_t i = 0; i < src->nartifacts && ret == 0; i++) {
		const struct deploy_endpoint_artifact *a = &src->artifacts[i];
		const char *base = strrchr(a->name, '/');
		char *path;

		base = base ? base + 1 : a->name;
		if (!*base || base[0] == '.') {
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s: bad "
					    "artifact name '%s'", src->ref,
					    a->name);
			break;
		}
		path = fs_path_join(dir, base);
		ret = object_export_file(st, a->hash, path, err);
		free(path);
		if (ret < 0)
			mlops_err_prefix(err, "%s: artifact %s: ", src->ref,
					 base);
		if (!m->artifact && is_model_file(base))
			m->artifact = xstrdup(base);
	}
	if (ret == 0 && !m->artifact && src->nartifacts)
		m->artifact = xstrdup(strrchr(src->artifacts[0].name, '/') ?
				      strrchr(src->artifacts[0].name, '/') + 1 :
				      src->artifacts[0].name);
	free(dir);
	return ret;
}

static int add_refs(struct store *st, const char *name,
		    const struct deploy_endpoint_source *src,
		    struct mlops_err *err)
{
	char *owner = xasprintf("endpoint:%s", name);
	int ret = 0;

	for (size_t i = 0; i < src->nartifacts && ret == 0; i++)
		ret = store_ref_add(st, src->artifacts[i].hash, owner, err);
	free(owner);
	return ret;
}

/* After the rows of a create or update: hold src's blobs (an update
 * adds to the old version's, kept for rollback), emit, commit. */
static int finish_change(struct store *st, const char *name,
			 const struct deploy_endpoint_source *src,
			 const char *action, const char *model,
			 const char *prev, struct mlops_err *err)
{
	int ret = add_refs(st, name, src, err);

	if (ret == 0)
		ret = emit_change(st, name, action, "InService", model, prev,
				  err);
	if (ret == 0)
		ret = store_commit(st, err);
	return ret;
}

static int create_txn(struct store *st, const char *name,
		      const struct deploy_endpoint_settings *set,
		      const struct deploy_endpoint_source *src,
		      struct mlops_err *err)
{
	struct deploy_endpoint_model m = { 0 };
	sqlite3_stmt *q = NULL;
	char *user = identity_user();
	int64_t now = time_now_us();
	int ret;

	if (!deploy_endpoint_valid_name(name)) {
		ret = mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not a valid "
				    "endpoint name (letters, digits and "
				    "hyphens, at most 63)", name);
		goto out;
	}
	if ((ret = deploy_endpoint_settings_check(set, err)) < 0)
		goto out;
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = store_prepare(st, &q, "SELECT 1 FROM endpoint WHERE name = ?1",
			    err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot look up the endpoint", err);
	if (ret == 1)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint '%s' "
				    "already exists (use 'update')", name);
	if (ret < 0)
		goto out;
	sqlite3_finalize(q);
	q = NULL;
	if ((ret = deploy_endpoint_materialise(st, name, src, &m, err)) < 0)
		goto out;
	ret = store_prepare(st, &q, "INSERT INTO endpoint (name, model, "
			    "framework, entry, model_dir, artifact, "
			    "max_concurrency, memory_mb, provisioned, "
			    "idle_timeout_us, capture_pct, timeout_us, "
			    "max_payload, created_us, created_by, updated_us) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			    "?11, ?12, ?13, ?14, ?15, ?14)", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m.ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, m.framework, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, m.entry, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, m.model_dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, m.artifact, -1, SQLITE_STATIC);
	sqlite3_bind_int(q, 7, set->max_concurrency);
	sqlite3_bind_int(q, 8, set->memory_mb);
	sqlite3_bind_int(q, 9, set->provisioned);
	sqlite3_bind_int64(q, 10, set->idle_timeout_us);
	sqlite3_bind_double(q, 11, set->capture_pct);
	sqlite3_bind_int64(q, 12, set->timeout_us);
	sqlite3_bind_int64(q, 13, (sqlite3_int64)set->max_payload);
	sqlite3_bind_int64(q, 14, now);
	sqlite3_bind_text(q, 15, user, -1, SQLITE_STATIC);
	ret = store_step_done(q, "insert endpoint", err);
	if (ret < 0)
		goto out;
	ret = finish_change(st, name, src, "create", m.ref, NULL, err);
out:
	sqlite3_finalize(q);
	if (ret < 0)
		store_rollback(st);
	deploy_endpoint_model_release(&m);
	free(user);
	return ret;
}

int deploy_endpoint_update_txn(struct store *st, const char *name,
			       const struct deploy_endpoint_source *src,
			       struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	struct deploy_endpoint_model m = { 0 };
	sqlite3_stmt *q = NULL;
	int ret;

	if ((ret = deploy_endpoint_get(st, name, &e, err)) < 0)
		goto out;
	if (strcmp(e->cur.ref, src->ref) == 0) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint '%s' "
				    "already serves %s", name, src->ref);
		goto out;
	}
	if ((ret = deploy_endpoint_materialise(st, name, src, &m, err)) < 0)
		goto out;
	ret = store_prepare(st, &q, "UPDATE endpoint SET prev_model = model, "
			    "prev_framework = framework, prev_entry = entry, "
			    "prev_model_dir = model_dir, prev_artifact = "
			    "artifact, model = ?2, framework = ?3, entry = ?4, "
			    "model_dir = ?5, artifact = ?6, generation = "
			    "generation + 1, updated_us = ?7 WHERE name = ?1",
			    err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, m.ref, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, m.framework, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, m.entry, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, m.model_dir, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, m.artifact, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, time_now_us());
	ret = store_step_done(q, "update endpoint", err);
	if (ret < 0)
		goto out;
	ret = add_refs(st, name, src, err);
	if (ret == 0)
		ret = emit_change(st, name, "update", "InService", m.ref,
				  e->cur.ref, err);
out:
	sqlite3_finalize(q);
	deploy_endpoint_model_release(&m);
	deploy_endpoint_free(e);
	return ret;
}

/* deploy_endpoint_update_txn in a transaction of its own. */
static int update_txn(struct store *st, const char *name,
		      const struct deploy_endpoint_source *src,
		      struct mlops_err *err)
{
	int ret = store_begin(st, err);

	if (ret < 0)
		return ret;
	ret = deploy_endpoint_update_txn(st, name, src, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

static int rollback_txn(struct store *st, const char *name,
			struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	int ret;

	if ((ret = store_begin(st, err)) < 0)
		return ret;
	if ((ret = deploy_endpoint_get(st, name, &e, err)) < 0)
		goto out;
	if (!e->prev.ref) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint '%s' has "
				    "no previous version to roll back to",
				    name);
		goto out;
	}
	{
		sqlite3_stmt *q = NULL;

		ret = store_prepare(st, &q, "UPDATE endpoint SET "
		    "model = prev_model, prev_model = model, "
		    "framework = prev_framework, prev_framework = framework, "
		    "entry = prev_entry, prev_entry = entry, "
		    "model_dir = prev_model_dir, prev_model_dir = model_dir, "
		    "artifact = prev_artifact, prev_artifact = artifact, "
		    "generation = generation + 1, updated_us = ?2 "
		    "WHERE name = ?1", err);
		if (ret == 0) {
			sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
			sqlite3_bind_int64(q, 2, time_now_us());
			ret = store_step_done(q, "roll back", err);
		}
		sqlite3_finalize(q);
	}
	if (ret == 0)
		ret = emit_change(st, name, "rollback", "InService",
				  e->prev.ref, e->cur.ref, err);
	if (ret == 0)
		ret = store_commit(st, err);
out:
	if (ret < 0)
		store_rollback(st);
	deploy_endpoint_free(e);
	return ret;
}

void deploy_endpoint_remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)) != NULL) {
		char *p;
		struct stat sb;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = fs_path_join(dir, de->d_name);
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
			deploy_endpoint_remove_tree(p);
		else
			unlink(p);
		free(p);
	}
	closedir(d);
	rmdir(dir);
}

static int delete_txn(struct store *st, const char *name,
		      struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	char *owner = xasprintf("endpoint:%s", name), *rel, *dir;
	int ret;

	if ((ret = store_begin(st, err)) < 0)
		goto out;
	if ((ret = deploy_endpoint_get(st, name, &e, err)) < 0)
		goto out;
	ret = exec_by_name(st, "DELETE FROM endpoint WHERE name = ?1", name,
			   "delete endpoint", err);
	if (ret == 0)
		ret = exec_by_name(st, "DELETE FROM endpoint_stats WHERE "
				   "endpoint = ?1", name, "delete counters",
				   err);
	if (ret == 0)
		ret = store_ref_drop(st, owner, err);
	if (ret == 0)
		ret = emit_change(st, name, "delete", "Deleted", e->cur.ref,
				  NULL, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret == 0) {
		/* After commit: a gateway may still serve from these files
		 * until it reloads, and loaded models stay in memory. */
		rel = xasprintf("endpoints/%s", name);
		dir = store_path(st, rel);
		deploy_endpoint_remove_tree(dir);
		free(dir);
		free(rel);
	}
out:
	if (ret < 0)
		store_rollback(st);
	deploy_endpoint_free(e);
	free(owner);
	return ret;
}

static int key_create_txn(struct store *st, const char *name,
			  const char *persona,
			  char key[DEPLOY_ENDPOINT_KEY_LEN + 1],
			  struct mlops_err *err)
{
	char hex[HASH_HEX_LEN + 1], id[9], *user = identity_user();
	struct deploy_endpoint *e = NULL;
	sqlite3_stmt *q = NULL;
	int ret;

	memcpy(key, "mlk_", 4);
	ret = id_random_hex(key + 4, DEPLOY_ENDPOINT_KEY_LEN - 4, err);
	if (ret < 0) {
		free(user);
		return ret;
	}
	key[DEPLOY_ENDPOINT_KEY_LEN] = '\0';
	hash_hex(key, DEPLOY_ENDPOINT_KEY_LEN, hex);
	memcpy(id, key + 4, 8);
	id[8] = '\0';
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	if ((ret = deploy_endpoint_get(st, name, &e, err)) < 0)
		goto out;
	if (persona && (ret = access_persona_has(st, persona, "deploy.invoke",
						 err)) <= 0) {
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "persona "
					    "'%s' does not hold deploy.invoke "
					    "(or does not exist): a key bound "
					    "to it would open nothing (see "
					    "'mlops role show %s')", persona,
					    persona);
		goto out;
	}
	ret = store_prepare(st, &q, "INSERT INTO endpoint_key (id, endpoint, "
			    "hash, created_us, created_by, persona) VALUES "
			    "(?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, hex, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, time_now_us());
	sqlite3_bind_text(q, 5, user, -1, SQLITE_STATIC);
	if (persona)
		sqlite3_bind_text(q, 6, persona, -1, SQLITE_STATIC);
	ret = store_step_done(q, "insert key", err);
	if (ret < 0)
		goto out;
	/* From now on the endpoint needs a key, even once its last key
	 * is revoked: only deploy_endpoint_set_auth() opens it again. */
	ret = exec_by_name(st, "UPDATE endpoint SET generation = generation "
			   "+ 1, auth = 'key' WHERE name = ?1", name,
			   "update endpoint", err);
	if (ret == 0)
		ret = emit_change(st, name, "key.create", "InService", NULL,
				  NULL, err);
	if (ret == 0)
		ret = store_commit(st, err);
out:
	sqlite3_finalize(q);
	if (ret < 0)
		store_rollback(st);
	deploy_endpoint_free(e);
	free(user);
	return ret;
}

static int key_delete_txn(struct store *st, const char *name,
			  const char *id, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret;

	if ((ret = store_begin(st, err)) < 0)
		return ret;
	ret = store_prepare(st, &q, "DELETE FROM endpoint_key WHERE endpoint "
			    "= ?1 AND id = ?2", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, id, -1, SQLITE_STATIC);
		ret = store_step_done(q, "delete key", err);
		if (ret == 0 && sqlite3_changes(st->db) == 0)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint "
					    "'%s' has no key '%s'", name, id);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = exec_by_name(st, "UPDATE endpoint SET generation = "
				   "generation + 1 WHERE name = ?1", name,
				   "update endpoint", err);
	if (ret == 0)
		ret = emit_change(st, name, "key.delete", "InService", NULL,
				  NULL, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

static int set_auth_txn(struct store *st, const char *name, int key_required,
			struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	int ret;

	if ((ret = store_begin(st, err)) < 0)
		return ret;
	ret = deploy_endpoint_get(st, name, &e, err);
	if (ret == 0 && !key_required && e->nkeys)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint '%s' has "
				    "%zu API key%s: revoke %s before making it "
				    "public", name, e->nkeys, e->nkeys == 1 ?
				    "" : "s", e->nkeys == 1 ? "it" : "them");
	if (ret == 0)
		ret = exec_by_name(st, key_required ? "UPDATE endpoint SET "
				   "generation = generation + 1, auth = 'key' "
				   "WHERE name = ?1" : "UPDATE endpoint SET "
				   "generation = generation + 1, auth = "
				   "'public' WHERE name = ?1", name,
				   "update endpoint", err);
	if (ret == 0)
		ret = emit_change(st, name, key_required ? "auth.key" :
				  "auth.public", "InService", NULL, NULL, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	deploy_endpoint_free(e);
	return ret;
}

static int set_settings_txn(struct store *st, const char *name,
			    const struct deploy_endpoint_settings *set,
			    struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret;

	if ((ret = deploy_endpoint_settings_check(set, err)) < 0)
		return ret;
	if ((ret = store_begin(st, err)) < 0)
		return ret;
	ret = store_prepare(st, &q, "UPDATE endpoint SET generation = "
			    "generation + 1, max_concurrency = ?2, memory_mb = "
			    "?3, provisioned = ?4, idle_timeout_us = ?5, "
			    "capture_pct = ?6, timeout_us = ?7, max_payload = "
			    "?8, updated_us = ?9 WHERE name = ?1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 2, set->max_concurrency);
		sqlite3_bind_int(q, 3, set->memory_mb);
		sqlite3_bind_int(q, 4, set->provisioned);
		sqlite3_bind_int64(q, 5, set->idle_timeout_us);
		sqlite3_bind_double(q, 6, set->capture_pct);
		sqlite3_bind_int64(q, 7, set->timeout_us);
		sqlite3_bind_int64(q, 8, (sqlite3_int64)set->max_payload);
		sqlite3_bind_int64(q, 9, time_now_us());
		ret = store_step_done(q, "update endpoint", err);
		if (ret == 0 && sqlite3_changes(st->db) == 0)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint "
					    "'%s' does not exist", name);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = emit_change(st, name, "settings", "InService", NULL,
				  NULL, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

/* The changes to an endpoint, each audited by the function that makes it
 * so that every caller (the CLI, an event rule's command, a sync) records
 * it alike: declared before the change, so that the record commits with
 * it; appended after, or recorded as a failure where one is decided. */
static int audit_end(struct store *st, int ret, const char *action,
		     const char *name, const char *model,
		     struct mlops_err *err)
{
	json_t *detail = model ? json_pack("{s:s}", "model", model) : NULL;
	struct audit_entry e = { action, name, "success", detail };

	ret = audit_done(st, ret, &e, err);
	json_decref(detail);
	return ret;
}

int deploy_endpoint_create(struct store *st, const char *name,
			   const struct deploy_endpoint_settings *set,
			   const struct deploy_endpoint_source *src,
			   struct mlops_err *err)
{
	int ret = audit_intend(st, "deploy.create", name, err);

	if (ret == 0)
		ret = create_txn(st, name, set, src, err);
	return audit_end(st, ret, "deploy.create", name, src->ref, err);
}

int deploy_endpoint_update(struct store *st, const char *name,
			   const struct deploy_endpoint_source *src,
			   struct mlops_err *err)
{
	int ret = audit_intend(st, "deploy.update", name, err);

	if (ret == 0)
		ret = update_txn(st, name, src, err);
	return audit_end(st, ret, "deploy.update", name, src->ref, err);
}

int deploy_endpoint_rollback(struct store *st, const char *name,
			     struct mlops_err *err)
{
	int ret = audit_intend(st, "deploy.rollback", name, err);

	if (ret == 0)
		ret = rollback_txn(st, name, err);
	return audit_end(st, ret, "deploy.rollback", name, NULL, err);
}

int deploy_endpoint_delete(struct store *st, const char *name,
			   struct mlops_err *err)
{
	int ret = audit_intend(st, "deploy.delete", name, err);

	if (ret == 0)
		ret = delete_txn(st, name, err);
	return audit_end(st, ret, "deploy.delete", name, NULL, err);
}

int deploy_endpoint_key_create(struct store *st, const char *name,
			       const char *persona,
			       char key[DEPLOY_ENDPOINT_KEY_LEN + 1],
			       struct mlops_err *err)
{
	int ret = audit_intend(st, "deploy.key.create", name, err);

	if (ret == 0)
		ret = key_create_txn(st, name, persona, key, err);
	return audit_end(st, ret, "deploy.key.create", name, NULL, err);
}

int deploy_endpoint_key_delete(struct store *st, const char *name,
			       const char *id, struct mlops_err *err)
{
	int ret = audit_intend(st, "deploy.key.delete", name, err);

	if (ret == 0)
		ret = key_delete_txn(st, name, id, err);
	return audit_end(st, ret, "deploy.key.delete", name, NULL, err);
}

int deploy_endpoint_set_auth(struct store *st, const char *name,
			     int key_required, struct mlops_err *err)
{
	const char *action = key_required ? "deploy.auth.key" :
		"deploy.auth.public";
	int ret = audit_intend(st, action, name, err);

	if (ret == 0)
		ret = set_auth_txn(st, name, key_required, err);
	return audit_end(st, ret, action, name, NULL, err);
}

int deploy_endpoint_set_settings(struct store *st, const char *name,
				 const struct deploy_endpoint_settings *set,
				 struct mlops_err *err)
{
	int ret = audit_intend(st, "deploy.settings", name, err);

	if (ret == 0)
		ret = set_settings_txn(st, name, set, err);
	return audit_end(st, ret, "deploy.settings", name, NULL, err);
}

int deploy_endpoint_key_each(struct store *st, const char *name,
		      void (*fn)(const char *id, int64_t created_us,
				 const char *created_by, const char *persona,
				 void *arg),
		      void *arg, struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	sqlite3_stmt *q = NULL;
	int ret, rc;

	if ((ret = deploy_endpoint_get(st, name, &e, err)) < 0)
		return ret;
	deploy_endpoint_free(e);
	ret = store_prepare(st, &q, "SELECT id, created_us, created_by, "
			    "persona FROM endpoint_key WHERE endpoint = ?1 "
			    "ORDER BY created_us, id", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		fn((const char *)sqlite3_column_text(q, 0),
		   sqlite3_column_int64(q, 1),
		   (const char *)sqlite3_column_text(q, 2),
		   (const char *)sqlite3_column_text(q, 3), arg);
	if (rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "list keys", err);
	sqlite3_finalize(q);
	return ret;
}

int deploy_endpoint_stats_put(struct store *st, const struct deploy_endpoint *e,
		       struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	struct buf latency = BUF_INIT;
	int ret = store_prepare(st, &q, "INSERT OR REPLACE INTO endpoint_stats "
				"(endpoint, requests, errors, cold_starts, "
				"captured, capture_dropped, updated_us, "
				"latency) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
				"?8)", err);

	if (ret < 0)
		return ret;
	if (e->latency) {
		jsonio_append(&latency, e->latency);
		sqlite3_bind_text(q, 8, latency.s, (int)latency.len,
				  SQLITE_STATIC);
	}
	sqlite3_bind_text(q, 1, e->name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, e->requests);
	sqlite3_bind_int64(q, 3, e->errors);
	sqlite3_bind_int64(q, 4, e->cold_starts);
	sqlite3_bind_int64(q, 5, e->captured);
	sqlite3_bind_int64(q, 6, e->capture_dropped);
	sqlite3_bind_int64(q, 7, time_now_us());
	ret = store_step_done(q, "write endpoint counters", err);
	sqlite3_finalize(q);
	buf_release(&latency);
	return ret;
}

double deploy_endpoint_latency_quantile(const json_t *latency, double q)
{
	const json_t *bounds = json_object_get(latency, "bounds_us");
	const json_t *counts = json_object_get(latency, "counts");
	size_t nb = json_array_size(bounds), i;
	double total = 0, cum = 0, rank, lo = 0;

	if (nb == 0 || json_array_size(counts) != nb + 1)
		return NAN;
	for (i = 0; i <= nb; i++) {
		const json_t *c = json_array_get(counts, i);

		if (!json_is_integer(c) || json_integer_value(c) < 0 ||
		    (i < nb && !json_is_number(json_array_get(bounds, i))))
			return NAN;
		total += (double)json_integer_value(c);
	}
	if (total <= 0)
		return NAN;
	rank = q * total;
	for (i = 0; i < nb; i++) {
		double n = (double)json_integer_value(json_array_get(counts,
								     i));
		double hi = json_number_value(json_array_get(bounds, i));

		if (n > 0 && cum + n >= rank)
			return (lo + (hi - lo) * (rank - cum) / n) / 1000;
		cum += n;
		lo = hi;
	}
	return lo / 1000;
}

int deploy_endpoint_cold_start_add(struct store *st, const char *name,
			    const char *model, int64_t time_us,
			    int64_t duration_us, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "INSERT INTO endpoint_cold_start "
				"(endpoint, model, time_us, duration_us) "
				"VALUES (?1, ?2, ?3, ?4)", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, time_us);
	sqlite3_bind_int64(q, 4, duration_us);
	ret = store_step_done(q, "record cold start", err);
	sqlite3_finalize(q);
	return ret;
}
