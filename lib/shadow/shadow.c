/* shadow.c - shadow test records (see shadow.h): start with its checks,
 * end, expire, load. The gateway's side is deploy/gateway_shadow.c. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "shadow/internal.h"
#include "shadow/shadow.h"

#define TEST_COLUMNS \
	"t.name, t.endpoint, t.production, t.model, t.framework, t.entry, " \
	"t.model_dir, t.artifact, t.sample_pct, t.max_pairs, t.status, " \
	"t.start_us, t.end_us, t.ended_us, t.created_by, t.mirrored, " \
	"t.shed, t.pairs_seen, t.error, (SELECT count(*) FROM shadow_pair p " \
	"WHERE p.test = t.name), t.kind"

static char *col_str(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? xstrdup((const char *)s) : NULL;
}

static struct shadow_test *test_from_row(sqlite3_stmt *q)
{
	struct shadow_test *t = xcalloc(1, sizeof(*t));

	t->name = col_str(q, 0);
	t->endpoint = col_str(q, 1);
	t->production = col_str(q, 2);
	t->model.ref = col_str(q, 3);
	t->model.framework = col_str(q, 4);
	t->model.entry = col_str(q, 5);
	t->model.model_dir = col_str(q, 6);
	t->model.artifact = col_str(q, 7);
	t->sample_pct = sqlite3_column_double(q, 8);
	t->max_pairs = sqlite3_column_int64(q, 9);
	t->status = col_str(q, 10);
	t->start_us = sqlite3_column_int64(q, 11);
	t->end_us = sqlite3_column_int64(q, 12);
	t->ended_us = sqlite3_column_int64(q, 13);
	t->created_by = col_str(q, 14);
	t->mirrored = sqlite3_column_int64(q, 15);
	t->shed = sqlite3_column_int64(q, 16);
	t->pairs_seen = sqlite3_column_int64(q, 17);
	t->error = col_str(q, 18);
	t->pairs_kept = sqlite3_column_int64(q, 19);
	t->kind = col_str(q, 20);
	return t;
}

void shadow_test_free(struct shadow_test *t)
{
	if (!t)
		return;
	free(t->name);
	free(t->endpoint);
	free(t->production);
	deploy_endpoint_model_release(&t->model);
	free(t->status);
	free(t->created_by);
	free(t->error);
	free(t->kind);
	free(t);
}

void shadow_list_free(struct shadow_test **ts, size_t n)
{
	for (size_t i = 0; i < n; i++)
		shadow_test_free(ts[i]);
	free(ts);
}

/* Load the tests sql selects (TEST_COLUMNS, ?1 bound to arg if any). */
static int load_tests(struct store *st, const char *sql, const char *arg,
		      struct shadow_test ***out, size_t *n,
		      struct mlops_err *err)
{
	struct shadow_test **ts = NULL;
	sqlite3_stmt *q = NULL;
	size_t count = 0, cap = 0;
	int ret, rc;

	if ((ret = store_prepare(st, &q, sql, err)) < 0)
		return ret;
	if (arg)
		sqlite3_bind_text(q, 1, arg, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		ALLOC_GROW(ts, count + 1, cap);
		ts[count++] = test_from_row(q);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE) {
		shadow_list_free(ts, count);
		return store_step_failed(st, rc, "read shadow tests", err);
	}
	*out = ts;
	*n = count;
	return 0;
}

int shadow_list(struct store *st, struct shadow_test ***out, size_t *n,
		struct mlops_err *err)
{
	return load_tests(st, "SELECT " TEST_COLUMNS " FROM shadow_test t "
			  "ORDER BY t.start_us DESC, t.name", NULL, out, n,
			  err);
}

int shadow_get(struct store *st, const char *name, struct shadow_test **out,
	       struct mlops_err *err)
{
	struct shadow_test **ts = NULL;
	size_t n = 0;
	int ret;

	ret = load_tests(st, "SELECT " TEST_COLUMNS " FROM shadow_test t "
			 "WHERE t.name = ?1", name, &ts, &n, err);
	if (ret < 0)
		return ret;
	if (n == 0) {
		free(ts);
		return mlops_err_set(err, MLOPS_ENOTFOUND, "no shadow test "
				     "'%s'", name);
	}
	*out = ts[0];
	free(ts);
	return 0;
}

int shadow_emit(struct store *st, const struct shadow_test *t,
		const char *status, struct mlops_err *err)
{
	char *res = xasprintf("shadow-test/%s", t->name);
	json_t *resources = json_pack("[s]", res);
	json_t *detail = json_pack("{s:s,s:s,s:s,s:s,s:s}", "TestName",
				   t->name, "EndpointName", t->endpoint,
				   "Status", status, "model", t->model.ref,
				   "production", t->production);
	int ret = event_emit(st, SHADOW_SOURCE, "Shadow Test State Change",
			     resources, detail, NULL, err);

	json_decref(resources);
	json_decref(detail);
	free(res);
	return ret;
}

/* Set t's status (inside the caller's transaction), drop its hold on
 * the shadow's blobs, and emit the event. */
static int set_status(struct store *st, const struct shadow_test *t,
		      const char *status, int64_t ended_us,
		      struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char *owner = xasprintf("shadow:%s", t->name);
	int ret;

	ret = store_prepare(st, &q, "UPDATE shadow_test SET status = ?2, "
			    "ended_us = ?3 WHERE name = ?1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, t->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, ended_us);
		ret = store_step_done(q, "end shadow test", err);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_ref_drop(st, owner, err);
	if (ret == 0)
		ret = shadow_emit(st, t, status, err);
	free(owner);
	return ret;
}

/* Complete the running tests past their end (in the caller's
 * transaction). */
static int expire_in_txn(struct store *st, size_t *completed,
			 struct mlops_err *err)
{
	struct shadow_test **ts = NULL;
	size_t n = 0;
	int64_t now = time_now_us();
	int ret;

	ret = load_tests(st, "SELECT " TEST_COLUMNS " FROM shadow_test t "
			 "WHERE t.status = 'Running'", NULL, &ts, &n, err);
	for (size_t i = 0; i < n && ret == 0; i++)
		if (ts[i]->end_us <= now) {
			ret = set_status(st, ts[i], "Completed",
					 ts[i]->end_us, err);
			if (ret == 0 && completed)
				(*completed)++;
		}
	shadow_list_free(ts, n);
	return ret;
}

int shadow_expire(struct store *st, struct mlops_err *err)
{
	struct audit_entry e = { "shadow.complete", "tests", "success",
				 NULL };
	size_t completed = 0;
	sqlite3_stmt *q = NULL;
	int ret;

	/* Most commands find nothing due: read before writing, so that they
	 * leave the store untouched. */
	ret = store_prepare(st, &q, "SELECT 1 FROM shadow_test WHERE status "
			    "= 'Running' AND end_us <= ?1 LIMIT 1", err);
	if (ret == 0) {
		sqlite3_bind_int64(q, 1, time_now_us());
		ret = store_step(q, "cannot read shadow tests", err);
	}
	sqlite3_finalize(q);
	if (ret <= 0)
		return ret;
	ret = audit_intend(st, e.action, e.resource, err);
	if (ret < 0)
		return ret;
	ret = store_begin(st, err);
	if (ret == 0)
		ret = expire_in_txn(st, &completed, err);
	if (ret == 0)
		ret = store_commit(st, err);
	else
		store_rollback(st);
	if (ret == 0 && completed == 0) {
		audit_cancel(st);	/* nothing was due: no change */
		return 0;
	}
	if (ret == 0)
		e.detail = json_pack("{s:I}", "completed",
				     (json_int_t)completed);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	return ret < 0 ? ret : (int)completed;
}

/* End running test name with status; with src, first make src the
 * endpoint's version. One transaction. */
static int end_test(struct store *st, const char *name, const char *status,
		    const struct deploy_endpoint_source *src,
		    struct mlops_err *err)
{
	struct shadow_test *t = NULL;
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = expire_in_txn(st, NULL, err);
	if (ret == 0)
		ret = shadow_get(st, name, &t, err);
	if (ret == 0 && strcmp(t->status, "Running") != 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "shadow test '%s' "
				    "is not running (%s)", name, t->status);
	if (ret == 0 && src && strcmp(src->ref, t->model.ref) != 0)
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "shadow test '%s' "
				    "tests %s, not %s", name, t->model.ref,
				    src->ref);
	if (ret == 0 && src)
		ret = deploy_endpoint_update_txn(st, t->endpoint, src, err);
	if (ret == 0)
		ret = set_status(st, t, status, time_now_us(), err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	shadow_test_free(t);
	return ret;
}

int shadow_end(struct store *st, const char *name, const char *status,
	       struct mlops_err *err)
{
	struct audit_entry e = { "shadow.stop", name, "success", NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = end_test(st, name, status, NULL, err);
	if (ret == 0)
		e.detail = json_pack("{s:s}", "status", status);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	return ret;
}

int shadow_promote(struct store *st, const char *name,
		   const struct deploy_endpoint_source *src,
		   struct mlops_err *err)
{
	struct audit_entry e = { "shadow.promote", name, "success", NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = end_test(st, name, "Promoted", src, err);
	if (ret == 0)
		e.detail = json_pack("{s:s}", "model", src->ref);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	return ret;
}

static int check_request(const struct shadow_start_req *req,
			 struct mlops_err *err)
{
	if (req->name && !deploy_endpoint_valid_name(req->name))
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not a valid "
				     "test name (letters, digits and hyphens, "
				     "at most 63)", req->name);
	if (!(req->sample_pct >= 0 && req->sample_pct <= 100))
		return mlops_err_set(err, MLOPS_EUSAGE, "--sample must be a "
				     "percentage from 0 to 100");
	if (req->duration_us < TIME_US_PER_SEC ||
	    req->duration_us > SHADOW_MAX_DURATION_US)
		return mlops_err_set(err, MLOPS_EUSAGE, "--duration must be "
				     "from 1s to 30d");
	if (req->max_pairs < 1 || req->max_pairs > SHADOW_MAX_PAIRS)
		return mlops_err_set(err, MLOPS_EUSAGE, "--max-pairs must be "
				     "from 1 to %d", SHADOW_MAX_PAIRS);
	return 0;
}

/* The shadow must be able to serve: an xgboost model loads here; an
 * exec or http one needs its command (whether it starts, the gateway
 * finds out, and status shows). */
int shadow_check_loads(struct store *st, const struct deploy_endpoint *e,
		       const struct deploy_endpoint_model *m,
		       struct mlops_err *err)
{
	struct deploy_answer *a = NULL;
	char *dir;
	int ret;

	if (strcmp(m->framework, "xgboost") != 0)
		return m->entry ? 0 : mlops_err_set(err, MLOPS_EINPUT, "%s: a "
			"%s model needs an entry command", m->ref,
			m->framework);
	dir = store_path(st, m->model_dir);
	ret = deploy_answer_open(&a, e, m, dir, err);
	deploy_answer_close(a);
	free(dir);
	return ret;
}

int shadow_insert(struct store *st, const char *name,
		  const struct deploy_endpoint *e,
		  const struct deploy_endpoint_model *m, double sample_pct,
		  int64_t max_pairs, int64_t duration_us, const char *kind,
		  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char *user = identity_user();
	int64_t now = time_now_us();
	int replay = strcmp(kind, "replay") == 0;
	int ret;

	ret = store_prepare(st, &q, "INSERT INTO shadow_test (name, endpoint, "
			    "production, model, framework, entry, model_dir, "
			    "artifact, sample_pct, max_pairs, status, "
			    "start_us, end_us, ended_us, created_by, kind) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			    "?11, ?12, ?13, ?14, ?15, ?16)", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, e->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, e->cur.ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, m->ref, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, m->framework, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, m->entry, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 7, m->model_dir, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 8, m->artifact, -1, SQLITE_STATIC);
		sqlite3_bind_double(q, 9, sample_pct);
		sqlite3_bind_int64(q, 10, max_pairs);
		sqlite3_bind_text(q, 11, replay ? "Completed" : "Running", -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(q, 12, now);
		sqlite3_bind_int64(q, 13, now + duration_us);
		if (replay)
			sqlite3_bind_int64(q, 14, now);
		sqlite3_bind_text(q, 15, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 16, kind, -1, SQLITE_STATIC);
		ret = store_step_done(q, "insert shadow test", err);
		if (ret < 0)
			mlops_err_prefix(err, "shadow test '%s': ", name);
	}
	sqlite3_finalize(q);
	free(user);
	return ret;
}

char *shadow_default_name(const char *endpoint, const char *infix)
{
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];

	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &tm);
	return xasprintf("%.40s-%s%s", endpoint, infix, stamp);
}

char *shadow_model_dir(struct store *st, const char *endpoint,
			  const char *ref)
{
	char *leaf = xasprintf("endpoints/%s/%s", endpoint, ref), *dir;

	for (char *p = leaf + strlen("endpoints/") + strlen(endpoint) + 1;
	     *p; p++)
		if (*p == '/' || *p == '@')
			*p = '-';
	dir = store_path(st, leaf);
	free(leaf);
	return dir;
}

static int start_test(struct store *st, const struct shadow_start_req *req,
		      char **name_out, struct mlops_err *err)
{
	struct deploy_endpoint *e = NULL;
	struct deploy_endpoint_model m = { 0 };
	struct shadow_test **running = NULL;
	size_t nrunning = 0;
	char *name = NULL, *owner = NULL, *dir = NULL;
	int ret, fresh = 0;

	if ((ret = check_request(req, err)) < 0)
		return ret;
	name = req->name ? xstrdup(req->name) :
			   shadow_default_name(req->endpoint, "");
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	if ((ret = expire_in_txn(st, NULL, err)) < 0 ||
	    (ret = deploy_endpoint_get(st, req->endpoint, &e, err)) < 0)
		goto out;
	if (strcmp(e->cur.ref, req->src->ref) == 0) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint '%s' "
				    "already serves %s in production",
				    e->name, req->src->ref);
		goto out;
	}
	ret = load_tests(st, "SELECT " TEST_COLUMNS " FROM shadow_test t "
			 "WHERE t.endpoint = ?1 AND t.status = 'Running'",
			 e->name, &running, &nrunning, err);
	if (ret == 0 && nrunning)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "endpoint '%s' "
				    "already has a running shadow test '%s' "
				    "(stop it first)", e->name,
				    running[0]->name);
	if (ret < 0)
		goto out;
	dir = shadow_model_dir(st, e->name, req->src->ref);
	fresh = access(dir, F_OK) != 0;
	if ((ret = deploy_endpoint_materialise(st, e->name, req->src, &m,
					       err)) < 0 ||
	    (ret = shadow_check_loads(st, e, &m, err)) < 0 ||
	    (ret = shadow_insert(st, name, e, &m, req->sample_pct,
				   req->max_pairs, req->duration_us, "live",
				   err)) < 0)
		goto out;
	owner = xasprintf("shadow:%s", name);
	for (size_t i = 0; i < req->src->nartifacts && ret == 0; i++)
		ret = store_ref_add(st, req->src->artifacts[i].hash, owner,
				    err);
	if (ret == 0) {
		struct shadow_test t = { .name = name, .endpoint = e->name,
			.production = e->cur.ref, .model = m };

		ret = shadow_emit(st, &t, "Running", err);
	}
	if (ret == 0)
		ret = store_commit(st, err);
out:
	if (ret < 0)
		store_rollback(st);
	/* A failed start leaves the store as it found it. */
	if (ret < 0 && fresh)
		deploy_endpoint_remove_tree(dir);
	free(dir);
	if (ret == 0) {
		*name_out = name;
		name = NULL;
	}
	shadow_list_free(running, nrunning);
	deploy_endpoint_model_release(&m);
	deploy_endpoint_free(e);
	free(owner);
	free(name);
	return ret;
}

int shadow_start(struct store *st, const struct shadow_start_req *req,
		 char **name_out, struct mlops_err *err)
{
	struct audit_entry e = { "shadow.start", NULL, "success", NULL };
	char *name = NULL;
	int ret;

	e.resource = req->name ? req->name : req->endpoint;
	ret = audit_intend(st, e.action, e.resource, err);
	if (ret == 0)
		ret = start_test(st, req, &name, err);
	if (ret == 0) {
		e.resource = name;
		e.detail = json_pack("{s:s,s:s,s:f}", "endpoint",
				     req->endpoint, "model", req->src->ref,
				     "sample_percent", req->sample_pct);
	}
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	if (ret == 0)
		*name_out = name;
	else
		free(name);
	return ret;
}

json_t *shadow_test_json(const struct shadow_test *t)
{
	char start[TIME_RFC3339_MAX], end[TIME_RFC3339_MAX];
	json_t *o;

	time_format(t->start_us, start);
	time_format(t->end_us, end);
	o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:f,s:s,s:s,s:s,s:I,s:I,"
		      "s:I,s:I,s:I,s:s}", "name", t->name, "kind", t->kind,
		      "endpoint",
		      t->endpoint, "production", t->production, "model",
		      t->model.ref, "framework", t->model.framework,
		      "sample_percent", t->sample_pct, "status", t->status,
		      "start", start, "end", end, "mirrored",
		      (json_int_t)t->mirrored, "shed", (json_int_t)t->shed,
		      "pairs_seen", (json_int_t)t->pairs_seen, "pairs_kept",
		      (json_int_t)t->pairs_kept, "max_pairs",
		      (json_int_t)t->max_pairs, "created_by", t->created_by);
	if (t->ended_us) {
		time_format(t->ended_us, end);
		json_object_set_new(o, "ended", json_string(end));
	}
	if (t->error)
		json_object_set_new(o, "error", json_string(t->error));
	return o;
}
