/* sync.c - `mlops sync`: one item from one store (environment) to
 * another, idempotently (see governance.h).
 *
 * A model version travels as the registry's export stream, through a
 * temporary file of the receiver, and is imported there in one
 * transaction; its aliases follow, and the card revisions the sender
 * made since (unless the receiver's card went its own way), and its
 * monitoring baseline where the receiver has none (a new version brings
 * it in the stream). A feature group goes through
 * feature_replica_copy(). Captured data is files: each complete capture
 * file the receiver lacks is copied whole and installed by rename under
 * the sender's path, then one transaction of the receiver records every
 * file with its hash in sync_file, so that the next sync skips it. A
 * sync killed between the two finds the file there with the sender's
 * hash, and records it without copying. In every case the receiver's
 * audit record of the import carries the sender's audit records about
 * the item: its history travels with it. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/copy.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "core/object.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "feature/feature.h"
#include "governance/governance.h"
#include "monitor/monitor.h"
#include "registry/registry.h"

/* The sender's audit records kept in an import's detail: the newest. */
#define HISTORY_MAX 200

void governance_sync_result_release(struct governance_sync_result *r)
{
	free(r->item);
	r->item = NULL;
}

int governance_sync_kind_parse(const char *s, enum governance_sync_kind *out)
{
	if (strcmp(s, "model") == 0)
		*out = GOVERNANCE_SYNC_MODEL;
	else if (strcmp(s, "features") == 0)
		*out = GOVERNANCE_SYNC_FEATURES;
	else if (strcmp(s, "capture") == 0)
		*out = GOVERNANCE_SYNC_CAPTURE;
	else
		return -1;
	return 0;
}

/* ---- the sender's history ---- */

struct history {
	const char *prefix;	/* of the actions: "registry." */
	const char *resource;	/* exact */
	json_t *records;
};

static int collect(json_t *rec, void *arg)
{
	struct history *h = arg;
	const char *action = json_string_value(json_object_get(rec,
							       "action"));
	const char *resource = json_string_value(json_object_get(rec,
								 "resource"));

	if (action && resource &&
	    strncmp(action, h->prefix, strlen(h->prefix)) == 0 &&
	    strcmp(resource, h->resource) == 0) {
		if (json_array_size(h->records) == HISTORY_MAX)
			json_array_remove(h->records, 0);
		json_array_append(h->records, rec);
	}
	return 0;
}

/* The detail of the receiver's import record: where the item came from
 * and the sender's audit records about it (actions starting with prefix,
 * on resource). */
static int import_detail(struct store *from, const char *prefix,
			 const char *resource, json_t **out,
			 struct mlops_err *err)
{
	struct history h = { prefix, resource, json_array() };
	int ret = audit_each(from, collect, &h, err);

	if (ret < 0) {
		json_decref(h.records);
		return ret;
	}
	*out = json_pack("{s:{s:s,s:s},s:o}", "sync", "environment",
			 from->env, "store", from->dir, "sender_audit",
			 h.records);
	return 0;
}

/* The name of the sender in messages and origins: "ENV:DIR". */
static char *stream_name(const struct store *from)
{
	return xasprintf("%s:%s", from->env, from->dir);
}

/* ---- model versions ---- */

/* Point the receiver's aliases at the version as the sender's do. */
static int sync_aliases(struct store *from, struct store *to,
			const struct registry_version *mv,
			struct governance_sync_result *res,
			struct mlops_err *err)
{
	json_t *theirs = NULL, *ours = NULL, *a, *b;
	size_t i, j;
	int ret = registry_status_alias_list(from, mv->group, &theirs, err);

	if (ret == 0)
		ret = registry_status_alias_list(to, mv->group, &ours, err);
	json_array_foreach(theirs, i, a) {
		const char *name = json_string_value(json_object_get(a,
								     "alias"));
		int here = 0;

		if (ret < 0)
			break;
		if (json_integer_value(json_object_get(a, "version")) !=
		    mv->version)
			continue;
		json_array_foreach(ours, j, b)
			if (strcmp(json_string_value(json_object_get(b,
					"alias")), name) == 0 &&
			    json_integer_value(json_object_get(b, "version"))
			    == mv->version)
				here = 1;
		if (here)
			continue;
		ret = registry_status_alias_set(to, mv->group, name,
						mv->version, err);
		if (ret == 0)
			res->aliases++;
	}
	json_decref(theirs);
	json_decref(ours);
	return ret;
}

/* Card revisions the sender made after the version first came here. */
static int sync_card(struct store *from, struct store *to,
		     const struct registry_version *mv,
		     struct governance_sync_result *res,
		     struct mlops_err *err)
{
	json_t *theirs = NULL;
	int ret = registry_card_revisions(from, mv->group, mv->version,
					  &theirs, err);

	if (ret == 0 && json_array_size(theirs))
		ret = registry_card_catch_up(to, mv->group, mv->version,
					     theirs, &res->card_revisions,
					     err);
	if (ret == REGISTRY_CARD_DIVERGED) {
		res->card_diverged = 1;
		ret = 0;
	}
	json_decref(theirs);
	return ret;
}

/* The sender's monitoring baseline of the version, attached at the
 * receiver when it has none (one of its own is its business), through
 * a temporary folder of the receiver: the blobs, verified. A version
 * copied just now brought it in its export stream already; one that
 * was there may have had its baseline registered since. */
static int sync_baseline(struct store *from, struct store *to,
			 const struct registry_version *mv,
			 struct governance_sync_result *res,
			 struct mlops_err *err)
{
	static const char *const keys[] = { "statistics", "constraints" };
	json_t *theirs = NULL, *ours = NULL;
	char *tmpl = NULL, *dir = NULL, *resolved = NULL, *paths[2] = { 0 };
	int ret = registry_baseline_get(from, mv->group, mv->version,
					&theirs, err);

	if (ret == 0 && theirs)
		ret = registry_baseline_get(to, mv->group, mv->version, &ours,
					    err);
	if (ret == 0 && theirs && ours && res->copied)
		res->baselines = 1;
	if (ret < 0 || !theirs || ours)
		goto out;
	tmpl = store_path(to, "tmp/.sync-baseline.XXXXXX");
	dir = mkdtemp(tmpl);
	if (!dir) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "make a folder like '%s'", tmpl);
		goto out;
	}
	for (int i = 0; ret == 0 && i < 2; i++) {
		paths[i] = xasprintf("%s/%s.json", dir, keys[i]);
		ret = object_export_file(from, jsonio_str(theirs, keys[i]),
					 paths[i], err);
	}
	if (ret == 0)
		ret = monitor_baseline_register(to, dir, res->item, &resolved,
						err);
	if (ret == 0)
		res->baselines = 1;
out:
	for (int i = 0; i < 2; i++) {
		if (paths[i])
			unlink(paths[i]);
		free(paths[i]);
	}
	if (dir)
		rmdir(dir);
	free(tmpl);
	free(resolved);
	json_decref(theirs);
	json_decref(ours);
	return ret;
}

static int sync_model(struct store *from, struct store *to, const char *ref,
		      struct governance_sync_result *res,
		      struct mlops_err *err)
{
	struct registry_version *mv = NULL, *here = NULL;
	char *tmpdir = store_path(to, "tmp"), *tmp = NULL, *stream = NULL;
	char *group = NULL;
	json_t *detail = NULL;
	int64_t version;
	int fd = -1, unchanged = 0, ret;
	struct stat sb = { 0 };

	ret = registry_resolve(from, ref, &mv, err);
	if (ret == MLOPS_ENOTFOUND)
		mlops_err_prefix(err, "in %s (environment %s): ", from->dir,
				 from->env);
	if (ret < 0)
		goto out;
	res->item = xasprintf("%s/%" PRId64, mv->group, mv->version);
	/* Here already: nothing to export (an export reads every blob). A
	 * version here with other content goes through the import, which
	 * says what differs. */
	ret = registry_version_get(to, mv->group, mv->version, &here, err);
	if (ret == 0 && registry_version_same(mv, here)) {
		unchanged = 1;
		goto copied;
	}
	if (ret == MLOPS_ENOTFOUND) {
		mlops_err_clear(err);
		ret = 0;
	}
	if (ret == 0)
		ret = import_detail(from, "registry.", res->item, &detail,
				    err);
	if (ret == 0)
		ret = fd = fs_tmpfile_open(tmpdir, ".sync-model", &tmp, err);
	if (ret >= 0)
		ret = registry_transfer_export(from, mv, fd, err);
	if (ret == 0 && (fstat(fd, &sb) < 0 || lseek(fd, 0, SEEK_SET) < 0))
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot rewind '%s'", tmp);
	if (ret == 0) {
		stream = stream_name(from);
		ret = registry_transfer_import_with(to, fd, stream, NULL, 0,
						    detail, &group, &version,
						    &unchanged, err);
	}
copied:
	if (ret == 0) {
		res->copied = !unchanged;
		res->present = unchanged != 0;
		res->baselines = unchanged == REGISTRY_IMPORT_BASELINE;
		res->bytes = unchanged ? 0 : (uint64_t)sb.st_size;
		ret = sync_aliases(from, to, mv, res, err);
	}
	if (ret == 0)
		ret = sync_card(from, to, mv, res, err);
	if (ret == 0)
		ret = sync_baseline(from, to, mv, res, err);
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	json_decref(detail);
	registry_version_free(mv);
	registry_version_free(here);
	free(group);
	free(stream);
	free(tmp);
	free(tmpdir);
	return ret;
}

/* ---- files: the sync_file table ---- */

struct sync_files {
	const char *kind, *item, *source;
};

static int record_file(struct store *to, const char *path, const char *hash,
		       uint64_t bytes, void *arg, struct mlops_err *err)
{
	const struct sync_files *sf = arg;
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(to, &q, "INSERT OR REPLACE INTO sync_file "
				"(path, hash, bytes, kind, item, source, "
				"synced_us) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
				"?7)", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)bytes);
	sqlite3_bind_text(q, 4, sf->kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, sf->item, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, sf->source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 7, time_now_us());
	ret = store_step_done(q, "cannot record a synced file", err);
	sqlite3_finalize(q);
	return ret;
}

/* ---- feature groups ---- */

static int sync_features(struct store *from, struct store *to,
			 const char *group, int64_t since_us,
			 struct governance_sync_result *res,
			 struct mlops_err *err)
{
	struct sync_files sf = { "features", group, from->env };
	struct feature_replica_opts o = { since_us, NULL, record_file, &sf };
	struct feature_replica_result fr;
	int ret;

	res->item = xstrdup(group);
	ret = import_detail(from, "feature.", group, &o.detail, err);
	if (ret == 0)
		ret = feature_replica_copy(from, to, group, &o, &fr, err);
	if (ret == MLOPS_ENOTFOUND && !strstr(err->msg, from->dir))
		mlops_err_prefix(err, "in %s (environment %s): ", from->dir,
				 from->env);
	if (ret == 0) {
		res->copied = fr.files;
		res->present = fr.present;
		res->records = fr.records;
		res->bytes = fr.bytes;
	}
	json_decref(o.detail);
	return ret;
}

/* ---- captured data ---- */

/* A capture file of the sender the receiver has no record of. */
struct capture_file {
	char *path;		/* relative to the store */
	char hash[HASH_HEX_LEN + 1];
	uint64_t bytes;
};

struct capture_sync {
	struct store *from, *to;
	int64_t since_us;
	char *tmpdir;
	struct capture_file *files;	/* copied, or found copied */
	size_t nfiles;
	struct governance_sync_result *res;
};

/* The bytes the receiver's sync_file row gives path, or -1 without one. */
static int recorded_size(struct store *to, const char *path, int64_t *out,
			 struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(to, &q, "SELECT bytes FROM sync_file WHERE "
				"path = ?1", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, path, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot read the synced files", err);
	*out = ret == 1 ? sqlite3_column_int64(q, 0) : -1;
	sqlite3_finalize(q);
	return ret < 0 ? ret : 0;
}

/* One complete capture file at rel (relative to the stores). */
static int capture_one(struct capture_sync *cs, const char *rel,
		       struct mlops_err *err)
{
	char *src = store_path(cs->from, rel), *dst = store_path(cs->to, rel);
	struct capture_file *f;
	int64_t recorded;
	struct stat sb = { 0 };
	int ret = recorded_size(cs->to, rel, &recorded, err);

	if (ret == 0 && stat(src, &sb) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot stat '%s'", src);
	if (ret < 0 || recorded == (int64_t)sb.st_size) {
		if (ret == 0)
			cs->res->present++;
		goto out;
	}
	cs->files = xrealloc(cs->files, (cs->nfiles + 1) * sizeof(*cs->files));
	f = &cs->files[cs->nfiles];
	memset(f, 0, sizeof(*f));
	if (fs_exists(dst)) {
		/* Left by a sync killed before its commit, or not ours. */
		char theirs[HASH_HEX_LEN + 1];
		uint64_t n;

		ret = copy_hash(dst, f->hash, &f->bytes, err);
		if (ret == 0)
			ret = copy_hash(src, theirs, &n, err);
		if (ret == 0 && strcmp(theirs, f->hash) != 0)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "'%s' exists "
					    "in %s with other content than in "
					    "%s", rel, cs->to->dir,
					    cs->from->dir);
		if (ret == 0)
			cs->res->present++;
	} else {
		ret = copy_file(src, dst, cs->tmpdir, f->hash, &f->bytes, err);
		if (ret == 0) {
			cs->res->copied++;
			cs->res->bytes += f->bytes;
			progress_add(cs->to->progress, f->bytes);
		}
	}
	if (ret == 0) {
		f->path = xstrdup(rel);
		cs->nfiles++;
	}
out:
	free(src);
	free(dst);
	return ret;
}

/* Does the hour YYYY/MM/DD/HH (parts) end after since_us? */
static int hour_wanted(const int *parts, int64_t since_us)
{
	struct tm tm = { 0 };

	tm.tm_year = parts[0] - 1900;
	tm.tm_mon = parts[1] - 1;
	tm.tm_mday = parts[2];
	tm.tm_hour = parts[3];
	return ((int64_t)timegm(&tm) + 3600) * TIME_US_PER_SEC > since_us;
}

/* 1 when rel in st is a symbolic link (or cannot be examined). */
static int is_link(const struct store *st, const char *rel)
{
	char *path = store_path(st, rel);
	struct stat sb;
	int link = lstat(path, &sb) < 0 || S_ISLNK(sb.st_mode);

	free(path);
	return link;
}

/* Walk capture/ENDPOINT/YYYY/MM/DD/HH/NAME.jsonl below rel, depth 0 being
 * the year; hidden names are files still being written. */
static int capture_walk(struct capture_sync *cs, const char *rel, int depth,
			int *parts, struct mlops_err *err)
{
	char *dir = store_path(cs->from, rel);
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), ret = 0;

	free(dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *sub = fs_path_join(rel, name), *end;
		size_t len = strlen(name);

		if (ret < 0 || name[0] == '.' || is_link(cs->from, sub)) {
			/* hidden, a link (the gateway makes none: nothing
			 * outside the store is copied), or stopped */
		} else if (depth == 4) {
			if (len > 6 && strcmp(name + len - 6, ".jsonl") == 0)
				ret = capture_one(cs, sub, err);
		} else {
			long v = strtol(name, &end, 10);

			parts[depth] = (int)v;
			if (*end == '\0' && len > 0 &&
			    (depth < 3 || hour_wanted(parts, cs->since_us)))
				ret = capture_walk(cs, sub, depth + 1, parts,
						   err);
		}
		free(sub);
		free(ents[i]);
	}
	free(ents);
	return ret;
}

/* In the receiver's transaction: record every file found or copied. */
static int capture_record(struct capture_sync *cs, const char *endpoint,
			  struct mlops_err *err)
{
	struct sync_files sf = { "capture", endpoint, cs->from->env };
	json_t *resources = json_pack("[s]", endpoint);
	json_t *detail = json_pack("{s:s,s:s,s:I,s:I}", "EndpointName",
				   endpoint, "SourceAccount", cs->from->env,
				   "files", (json_int_t)cs->nfiles,
				   "bytes", (json_int_t)cs->res->bytes);
	int ret = store_begin(cs->to, err);

	for (size_t i = 0; ret == 0 && i < cs->nfiles; i++)
		ret = record_file(cs->to, cs->files[i].path,
				  cs->files[i].hash, cs->files[i].bytes, &sf,
				  err);
	/* With the rows, so that a rule learns of the data exactly once. */
	if (ret == 0)
		ret = event_emit(cs->to, GOVERNANCE_SYNC_EVENT_SOURCE,
				 GOVERNANCE_SYNC_CAPTURE_EVENT, resources,
				 detail, NULL, err);
	if (ret == 0)
		ret = store_commit(cs->to, err);
	if (ret < 0)
		store_rollback(cs->to);
	json_decref(resources);
	json_decref(detail);
	return ret;
}

static int sync_capture(struct store *from, struct store *to,
			const char *endpoint, int64_t since_us,
			struct governance_sync_result *res,
			struct mlops_err *err)
{
	struct audit_entry e = { "capture.import", endpoint, "success", NULL };
	struct capture_sync cs = { from, to, since_us, NULL, NULL, 0, res };
	char *rel, *top;
	int parts[4] = { 0 }, ret;

	res->item = xstrdup(endpoint);
	if (!deploy_endpoint_valid_name(endpoint))
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not an "
				     "endpoint name", endpoint);
	rel = xasprintf("capture/%s", endpoint);
	top = store_path(from, rel);
	if (!fs_is_dir(top)) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no captured data "
				    "of endpoint '%s' in %s (environment %s)",
				    endpoint, from->dir, from->env);
		free(top);
		free(rel);
		return ret;
	}
	cs.tmpdir = store_path(to, "tmp");
	ret = import_detail(from, "deploy.", endpoint, &e.detail, err);
	if (ret == 0)
		ret = audit_intend(to, e.action, endpoint, err);
	if (ret == 0)
		ret = capture_walk(&cs, rel, 0, parts, err);
	if (ret == 0 && cs.nfiles)
		ret = capture_record(&cs, endpoint, err);
	if (ret == 0 && !cs.nfiles) {
		audit_cancel(to);
	} else {
		if (ret == 0) {
			json_object_set_new(e.detail, "files",
					    json_integer((json_int_t)
							 cs.nfiles));
			json_object_set_new(e.detail, "copied",
					    json_integer(res->copied));
			json_object_set_new(e.detail, "bytes",
					    json_integer((json_int_t)
							 res->bytes));
		}
		ret = audit_done(to, ret, &e, err);
	}
	for (size_t i = 0; i < cs.nfiles; i++)
		free(cs.files[i].path);
	json_decref(e.detail);
	free(cs.files);
	free(cs.tmpdir);
	free(top);
	free(rel);
	return ret;
}

int governance_sync_run(struct store *from, struct store *to,
			enum governance_sync_kind kind, const char *item,
			int64_t since_us, struct governance_sync_result *res,
			struct mlops_err *err)
{
	int ret;

	memset(res, 0, sizeof(*res));
	switch (kind) {
	case GOVERNANCE_SYNC_MODEL:
		/* The export and the import show their own progress. */
		return sync_model(from, to, item, res, err);
	case GOVERNANCE_SYNC_FEATURES:
	case GOVERNANCE_SYNC_CAPTURE:
		progress_start(to->progress, PROGRESS_BYTES, 0, "sync %s %s",
			       kind == GOVERNANCE_SYNC_FEATURES ? "features" :
			       "capture", item);
		ret = kind == GOVERNANCE_SYNC_FEATURES ?
			sync_features(from, to, item, since_us, res, err) :
			sync_capture(from, to, item, since_us, res, err);
		if (ret == 0)
			progress_done(to->progress);
		return ret;
	}
	return mlops_err_set(err, MLOPS_EINTERNAL, "unknown sync kind %d",
			     (int)kind);
}
