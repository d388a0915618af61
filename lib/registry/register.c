/* register.c - registering a model version: checking what is
 * given (artifacts, metrics, params, metadata), storing the artifacts as
 * blobs, numbering the version inside the write transaction, and the
 * lineage a pipeline step leaves in the environment. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "core/object.h"
#include "registry/internal.h"
#include "core/time.h"
#include "core/xalloc.h"

/* SageMaker's CustomerMetadataProperties limits. */
#define META_MAX_ENTRIES 50
#define META_MAX_KEY 128
#define META_MAX_VALUE 256

static int check_metrics_in(const json_t *v, struct buf *path,
			    const char *name, struct mlops_err *err)
{
	const char *key;
	json_t *child;

	json_object_foreach((json_t *)v, key, child) {
		size_t len = path->len;
		int ret = 0;

		if (len)
			buf_addch(path, '.');
		buf_addstr(path, key);
		if (json_is_object(child))
			ret = check_metrics_in(child, path, name, err);
		else if (!json_is_number(child))
			ret = mlops_err_set(err, MLOPS_EINPUT,
					    "%s: metric '%s' is not a number",
					    name, path->s);
		buf_setlen(path, len);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int registry_register_check_metrics(const json_t *metrics, const char *name,
			   struct mlops_err *err)
{
	struct buf path = BUF_INIT;
	int ret;

	if (!json_is_object(metrics))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: metrics must be a JSON object of "
				     "numbers", name);
	ret = check_metrics_in(metrics, &path, name, err);
	buf_release(&path);
	return ret;
}

static int check_strings(const json_t *obj, const char *what, int limits,
			 struct mlops_err *err)
{
	const char *key;
	json_t *v;

	if (!obj)
		return 0;
	if (!json_is_object(obj))
		return mlops_err_set(err, MLOPS_EINPUT, "%s must be an object",
				     what);
	if (limits && json_object_size(obj) > META_MAX_ENTRIES)
		return mlops_err_set(err, MLOPS_EINPUT, "at most %d %s "
				     "entries, not %zu", META_MAX_ENTRIES,
				     what, json_object_size(obj));
	json_object_foreach((json_t *)obj, key, v) {
		if (!*key)
			return mlops_err_set(err, MLOPS_EINPUT, "%s: empty key",
					     what);
		if (!json_is_string(v))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s '%s' must be a string", what,
					     key);
		if (limits && (strlen(key) > META_MAX_KEY ||
			       json_string_length(v) > META_MAX_VALUE))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s '%s': keys are at most %d "
					     "bytes and values %d", what, key,
					     META_MAX_KEY, META_MAX_VALUE);
	}
	return 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static const char *artifact_name(const struct registry_new_version *nv,
				 size_t i)
{
	return nv->artifact_names ? nv->artifact_names[i] :
		base_name(nv->artifact_paths[i]);
}

static int check_names_differ(const struct registry_new_version *nv,
			      struct mlops_err *err)
{
	const char **names = xcalloc(nv->nartifacts, sizeof(*names));
	const char *twice;
	int ret = 0;

	for (size_t i = 0; i < nv->nartifacts; i++)
		names[i] = artifact_name(nv, i);
	twice = registry_duplicate_name(names, nv->nartifacts);
	if (twice)
		ret = mlops_err_set(err, MLOPS_EUSAGE, "two artifacts are "
				    "named '%s'; names must differ", twice);
	free(names);
	return ret;
}

/* Everything that can be checked before a byte is written. */
static int check_new_version(const struct registry_new_version *nv,
			     struct mlops_err *err)
{
	const char *fw = nv->framework;
	int ret;

	if (!registry_valid_group(nv->group))
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "'%s' is not a valid model group name "
				     "(1-63 letters, digits and inner '-')",
				     nv->group);
	if (nv->nartifacts < 1)
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "a model version needs at least one "
				     "--artifact");
	if (fw && strcmp(fw, "xgboost") != 0 && strcmp(fw, "exec") != 0 &&
	    strcmp(fw, "http") != 0)
		return mlops_err_set(err, MLOPS_EUSAGE, "unknown framework "
				     "'%s' (xgboost, exec or http)", fw);
	if (fw && strcmp(fw, "xgboost") != 0 && (!nv->entry || !*nv->entry))
		return mlops_err_set(err, MLOPS_EUSAGE, "framework '%s' needs "
				     "--entry, the command that serves the "
				     "model", fw);
	if (nv->status && !registry_valid_status(nv->status))
		return mlops_err_set(err, MLOPS_EUSAGE, "unknown status '%s' "
				     "(PendingManualApproval, Approved or "
				     "Rejected)", nv->status);
	if (nv->metrics &&
	    (ret = registry_register_check_metrics(nv->metrics, "metrics",
						   err)) < 0)
		return ret;
	if ((ret = check_strings(nv->params, "param", 0, err)) < 0 ||
	    (ret = check_strings(nv->meta, "meta", 1, err)) < 0)
		return ret;
	if (nv->lineage && !json_is_object(nv->lineage))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "lineage must be an object");
	for (size_t i = 0; i < nv->nartifacts; i++) {
		const char *path = nv->artifact_paths[i];
		const char *name = artifact_name(nv, i);
		struct stat sb;

		if (!registry_valid_artifact_name(name))
			return mlops_err_set(err, MLOPS_EUSAGE, "artifact "
					     "'%s': '%s' is not a usable file "
					     "name (1-100 bytes, no control "
					     "characters)", path, name);
		if (stat(path, &sb) < 0)
			return mlops_err_errno(err, errno == ENOENT ?
					       MLOPS_ENOTFOUND : MLOPS_EINPUT,
					       errno, "artifact '%s'", path);
		if (!S_ISREG(sb.st_mode))
			return mlops_err_set(err, MLOPS_EINPUT, "artifact "
					     "'%s' is not a regular file",
					     path);
		if (access(path, R_OK) < 0)
			return mlops_err_errno(err, MLOPS_EINPUT, errno,
					       "artifact '%s'", path);
	}
	return check_names_differ(nv, err);
}

/* Inside the transaction: make the group when allowed, and take the
 * version number. The number comes from the group's counter, read and
 * bumped under BEGIN IMMEDIATE, so concurrent writers cannot share it. */
static int take_number(struct store *st, const struct registry_new_version *nv,
		       int64_t *version, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int64_t next = 0;
	int ret = registry_group_exists(st, nv->group, err);

	if (ret == MLOPS_ENOTFOUND && !nv->no_create) {
		mlops_err_clear(err);
		ret = registry_group_insert(st, nv->group, NULL, NULL, err);
	} else if (ret == MLOPS_ENOTFOUND) {
		mlops_err_prefix(err, "--no-create: ");
	}
	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT next_version FROM "
				    "registry_group WHERE name = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, nv->group, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot number the version", err);
	if (ret == 1) {
		next = sqlite3_column_int64(q, 0);
		ret = 0;
	} else if (ret == 0) {	/* the group was checked just before */
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "cannot number the "
				    "version: group '%s' vanished", nv->group);
	}
	sqlite3_finalize(q);
	if (ret < 0)
		return ret;
	if (nv->version) {
		ret = registry_version_status(st, nv->group, nv->version, NULL,
					      err);
		if (ret == 0)
			return mlops_err_set(err, MLOPS_ENOTFOUND,
					     "model version %s/%" PRId64
					     " already exists", nv->group,
					     nv->version);
		mlops_err_clear(err);
		*version = nv->version;
	} else {
		*version = next;
	}
	ret = store_prepare(st, &q, "UPDATE registry_group SET next_version "
			    "= max(next_version, ?2 + 1) WHERE name = ?1",
			    err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, nv->group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, *version);
	ret = store_step_done(q, "cannot number the version", err);
	sqlite3_finalize(q);
	return ret;
}

static void bind_json(sqlite3_stmt *q, int col, const json_t *v,
		      struct buf *scratch)
{
	buf_reset(scratch);
	if (v)
		jsonio_append(scratch, v);
	else
		buf_addstr(scratch, "{}");
	sqlite3_bind_text(q, col, scratch->s, (int)scratch->len,
			  SQLITE_TRANSIENT);
}

static int insert_version(struct store *st,
			  const struct registry_new_version *nv,
			  int64_t version, const char *status,
			  const char *user, int64_t now,
			  struct mlops_err *err)
{
	struct buf scratch = BUF_INIT;
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "INSERT INTO registry_version (grp, "
				"version, status, framework, entry, metrics, "
				"params, meta, lineage, origin, description, "
				"created_by, created_us) VALUES (?1, ?2, ?3, "
				"?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
				err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, nv->group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	sqlite3_bind_text(q, 3, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, nv->framework ? nv->framework : "xgboost", -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(q, 5, nv->entry, -1, SQLITE_STATIC);
	bind_json(q, 6, nv->metrics, &scratch);
	bind_json(q, 7, nv->params, &scratch);
	bind_json(q, 8, nv->meta, &scratch);
	bind_json(q, 9, nv->lineage, &scratch);
	if (nv->origin)
		bind_json(q, 10, nv->origin, &scratch);
	sqlite3_bind_text(q, 11, nv->description, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 12, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 13, now);
	ret = store_step_done(q, "cannot record the version", err);
	sqlite3_finalize(q);
	buf_release(&scratch);
	return ret;
}

static int insert_artifacts(struct store *st,
			    const struct registry_new_version *nv,
			    int64_t version,
			    const struct registry_artifact *arts,
			    struct mlops_err *err)
{
	char *owner = registry_ref_owner(nv->group, version);
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "INSERT INTO registry_artifact (grp, "
				"version, seq, name, hash, size) VALUES (?1, "
				"?2, ?3, ?4, ?5, ?6)", err);

	for (size_t i = 0; ret == 0 && i < nv->nartifacts; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, nv->group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, version);
		sqlite3_bind_int64(q, 3, (int64_t)i + 1);
		sqlite3_bind_text(q, 4, arts[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, arts[i].hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, (int64_t)arts[i].size);
		ret = store_step_done(q, "cannot record an artifact", err);
		if (ret == 0)
			ret = store_ref_add(st, arts[i].hash, owner, err);
	}
	sqlite3_finalize(q);
	free(owner);
	return ret;
}

/* 1 when version of nv's group holds exactly arts (names and hashes, in
 * order), 0 when not. */
static int same_artifacts(struct store *st, const char *group,
			  int64_t version, const struct registry_artifact *arts,
			  size_t n, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	size_t i = 0;
	int ret, rc, same = 1;

	ret = store_prepare(st, &q, "SELECT name, hash FROM registry_artifact "
			    "WHERE grp = ?1 AND version = ?2 ORDER BY seq",
			    err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (i >= n || strcmp((const char *)sqlite3_column_text(q, 0),
				     arts[i].name) != 0 ||
		    strcmp((const char *)sqlite3_column_text(q, 1),
			   arts[i].hash) != 0)
			same = 0;
		i++;
	}
	if (rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot read artifacts", err);
	sqlite3_finalize(q);
	return ret < 0 ? ret : same && i == n;
}

/* Inside the transaction: the version that the same pipeline run and
 * step already registered in nv's group with the same artifacts, into
 * *found (0: none). A step that is retried (its attempt failed after
 * registering, or its runner died) must find it rather than register the
 * model a second time. */
static int find_run_step_version(struct store *st,
				 const struct registry_new_version *nv,
				 const struct registry_artifact *arts,
				 int64_t *found, struct mlops_err *err)
{
	const char *run = json_string_value(json_object_get(nv->lineage,
							    "run_id"));
	const char *step = json_string_value(json_object_get(nv->lineage,
							     "step"));
	sqlite3_stmt *q = NULL;
	int ret, rc = SQLITE_DONE;

	*found = 0;
	if (!run || !step || nv->version || nv->origin)
		return 0;
	ret = store_prepare(st, &q, "SELECT version FROM registry_version "
			    "WHERE grp = ?1 AND json_extract(lineage, "
			    "'$.run_id') = ?2 AND json_extract(lineage, "
			    "'$.step') = ?3 ORDER BY version", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, nv->group, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, run, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, step, -1, SQLITE_STATIC);
	while (!*found && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		int64_t v = sqlite3_column_int64(q, 0);

		ret = same_artifacts(st, nv->group, v, arts, nv->nartifacts,
				     err);
		if (ret < 0)
			break;
		if (ret == 1)
			*found = v;
		ret = 0;
	}
	if (ret == 0 && !*found && rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot look up the run's "
					"versions", err);
	sqlite3_finalize(q);
	return ret;
}

/* The bytes of the artifacts' files, for the progress line. */
static uint64_t files_size(const struct registry_new_version *nv)
{
	struct stat sb;
	uint64_t n = 0;

	for (size_t i = 0; i < nv->nartifacts; i++)
		if (stat(nv->artifact_paths[i], &sb) == 0)
			n += (uint64_t)sb.st_size;
	return n;
}

int registry_register_version(struct store *st,
			      const struct registry_new_version *nv,
			      int64_t *version, struct mlops_err *err)
{
	struct registry_artifact *arts = NULL;
	const char *status = nv->status ? nv->status : REGISTRY_PENDING;
	/* An import keeps its creator and creation time; the history row
	 * says who brought it here, and when. */
	char *actor = identity_user();
	const char *user = nv->created_by ? nv->created_by : actor;
	int64_t now = time_now_us();
	int64_t created = nv->created_us ? nv->created_us : now;
	int64_t number = 0, existing = 0;
	int ret = check_new_version(nv, err);

	/* Fail early, before any blob is written, for a missing group. */
	if (ret == 0 && nv->no_create) {
		ret = registry_group_exists(st, nv->group, err);
		if (ret < 0)
			mlops_err_prefix(err, "--no-create: ");
	}
	if (ret < 0)
		goto out;
	/* Blobs first, outside the transaction (they may be large): a
	 * failure later leaves at most unreferenced blobs, which gc removes,
	 * never a row naming a missing blob. */
	arts = xcalloc(nv->nartifacts, sizeof(*arts));
	progress_start(st->progress, PROGRESS_BYTES, files_size(nv),
		       "register %s", nv->group);
	for (size_t i = 0; ret == 0 && i < nv->nartifacts; i++) {
		arts[i].name = (char *)artifact_name(nv, i);
		ret = object_write_file(st, nv->artifact_paths[i],
					arts[i].hash, &arts[i].size, err);
		if (ret == 0 && nv->artifact_hashes &&
		    strcmp(arts[i].hash, nv->artifact_hashes[i]) != 0)
			ret = mlops_err_set(err, MLOPS_EINPUT, "artifact '%s' "
					    "has hash %s, not %s", arts[i].name,
					    arts[i].hash,
					    nv->artifact_hashes[i]);
	}
	if (ret == 0)
		progress_done(st->progress);
	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = find_run_step_version(st, nv, arts, &existing, err);
	if (ret == 0 && existing) {
		store_rollback(st);
		*version = existing;
		ret = REGISTRY_ALREADY;
		goto out;
	}
	if (ret == 0)
		ret = take_number(st, nv, &number, err);
	if (ret == 0)
		ret = insert_version(st, nv, number, status, user, created,
				     err);
	if (ret == 0)
		ret = insert_artifacts(st, nv, number, arts, err);
	if (ret == 0)
		ret = registry_status_record(st, nv->group, number, NULL,
					     status, actor, now, nv->note,
					     NULL, err);
	if (ret == 0 && nv->in_transaction)
		ret = nv->in_transaction(st, nv->group, number,
					 nv->in_transaction_arg, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	else
		*version = number;
out:
	free(arts);
	free(actor);
	return ret;
}

int registry_register(struct store *st, const struct registry_new_version *nv,
		      int64_t *version, struct mlops_err *err)
{
	struct audit_entry e = { "registry.register", NULL, "success", NULL };
	struct registry_new_version with = *nv;
	json_t *features = NULL, *lineage = NULL;
	char *name = NULL;
	int ret = audit_intend(st, e.action, nv->group, err);

	/* The feature data behind the training data, found where this
	 * store knows it, goes into the lineage that travels. */
	if (ret == 0)
		ret = registry_features_lineage(st, nv->lineage,
						nv->artifact_paths,
						nv->nartifacts, &features,
						err);
	if (ret == 0 && json_array_size(features)) {
		lineage = nv->lineage ? json_deep_copy(nv->lineage) :
			json_object();
		json_object_set(lineage, "features", features);
		with.lineage = lineage;
	}
	json_decref(features);
	if (ret == 0)
		ret = registry_register_version(st, &with, version, err);
	json_decref(lineage);
	if (ret == REGISTRY_ALREADY) {
		/* A retried pipeline step: nothing changed, nothing to
		 * audit. */
		audit_cancel(st);
		return ret;
	}
	if (ret == 0)
		e.resource = name = xasprintf("%s/%" PRId64, nv->group,
					      *version);
	ret = audit_done(st, ret, &e, err);
	free(name);
	return ret;
}

/* ---- lineage ---- */

static void set_env_string(json_t *o, const char *key, const char *var)
{
	const char *v = getenv(var);

	if (v && *v)
		json_object_set_new(o, key, json_string(v));
}

int registry_register_lineage_from_env(json_t **out, struct mlops_err *err)
{
	const char *inputs = getenv("MLOPS_STEP_INPUTS");
	json_t *lineage = json_object();
	json_t *parsed = NULL;
	const char *key;
	json_t *v;
	int ret;

	set_env_string(lineage, "git_commit", "MLOPS_GIT_COMMIT");
	set_env_string(lineage, "run_id", "MLOPS_RUN_ID");
	set_env_string(lineage, "step", "MLOPS_STEP");
	if (inputs && *inputs) {
		ret = jsonio_parse(&parsed, inputs, strlen(inputs),
				   "MLOPS_STEP_INPUTS", err);
		if (ret == 0 && !json_is_object(parsed))
			ret = mlops_err_set(err, MLOPS_EINPUT,
					    "MLOPS_STEP_INPUTS must be a JSON "
					    "object of input path -> hash");
		json_object_foreach(parsed, key, v)
			if (ret == 0 && !json_is_string(v))
				ret = mlops_err_set(err, MLOPS_EINPUT,
						    "MLOPS_STEP_INPUTS: the "
						    "hash of '%s' must be a "
						    "string", key);
		if (ret < 0) {
			json_decref(parsed);
			json_decref(lineage);
			return ret;
		}
		json_object_set_new(lineage, "inputs", parsed);
	}
	*out = lineage;
	return 0;
}

int registry_register_lineage_add_dataset(json_t *lineage, const char *path,
				 struct mlops_err *err)
{
	char hex[HASH_HEX_LEN + 1];
	struct hash_ctx *h;
	char chunk[65536];
	json_t *datasets;
	ssize_t n;
	int fd = fs_open_input(path, err);

	if (fd < 0)
		return mlops_err_prefix(err, "dataset: ");
	h = hash_begin();
	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			hash_end(h, hex);
			close(fd);
			return mlops_err_errno(err, MLOPS_EINPUT, e,
					       "cannot read dataset '%s'",
					       path);
		}
		hash_update(h, chunk, (size_t)n);
	}
	close(fd);
	hash_end(h, hex);
	datasets = json_object_get(lineage, "datasets");
	if (!json_is_array(datasets)) {
		datasets = json_array();
		json_object_set_new(lineage, "datasets", datasets);
	}
	json_array_append_new(datasets, json_pack("{s:s,s:s}", "path", path,
						  "hash", hex));
	return 0;
}
