/* fsck.c - verify a store and plan its garbage collection; see fsck.h.
 * The temporary files of tmp/ are named by fs_tmpfile_open() with their
 * writer's process id, so that a killed writer's leftovers are told from
 * a running one's without waiting for them to age. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/fsck.h"
#include "core/fs.h"
#include "core/object.h"
#include "core/time.h"
#include "core/xalloc.h"

/* A temporary file without a writer's id is stale past this age. */
#define TMP_UNNAMED_STALE_SECONDS 3600

struct fsck_state {
	struct store *st;
	void (*problem)(const char *msg, void *arg);
	void *arg;
	struct fsck_result *res;
};

static void problem(struct fsck_state *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct fsck_state *fs, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	fs->problem(msg.s, fs->arg);
	fs->res->problems++;
	buf_release(&msg);
}

static int check_object(const char *hash, const char *path, uint64_t bytes,
			int64_t mtime, void *arg)
{
	struct fsck_state *fs = arg;
	struct mlops_err err = MLOPS_ERR_INIT;

	(void)bytes;
	(void)mtime;
	progress_add(fs->st->progress, 1);
	if (!hash) {
		problem(fs, "stray file in objects/: %s", path);
		return 0;
	}
	fs->res->objects++;
	if (object_verify(fs->st, hash, NULL, &err) < 0)
		problem(fs, "%s", err.msg);
	return 0;
}

static int count_object(const char *hash, const char *path, uint64_t bytes,
			int64_t mtime, void *arg)
{
	(void)hash;
	(void)path;
	(void)bytes;
	(void)mtime;
	(*(uint64_t *)arg)++;
	return 0;
}

/* Check every blob, after counting them for the progress line, when
 * there is one: the count walks the folders, the check reads every
 * byte. */
static int check_objects(struct fsck_state *fs, struct mlops_err *err)
{
	uint64_t n = 0;
	int ret = 0;

	if (fs->st->progress)
		ret = object_each(fs->st, count_object, &n, err);
	progress_start(fs->st->progress, PROGRESS_OBJECTS, n,
		       "fsck: objects");
	if (ret == 0)
		ret = object_each(fs->st, check_object, fs, err);
	if (ret == 0)
		progress_done(fs->st->progress);
	return ret;
}

static int check_database(struct fsck_state *fs, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int version, ret;

	ret = store_schema_version(fs->st, &version, err);
	if (ret < 0)
		return ret;
	if (version != store_schema_latest())
		problem(fs, "schema version is %d, expected %d", version,
			store_schema_latest());
	ret = store_prepare(fs->st, &q, "PRAGMA integrity_check", err);
	while (ret == 0 && (ret = store_step(q, "cannot check the "
					     "database", err)) == 1) {
		const char *msg = (const char *)sqlite3_column_text(q, 0);

		ret = 0;
		if (msg && strcmp(msg, "ok") != 0)
			problem(fs, "database: %s", msg);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(fs->st, &q, "PRAGMA foreign_key_check",
				    err);
	while (ret == 0 && (ret = store_step(q, "cannot check foreign keys",
					     err)) == 1) {
		ret = 0;
		problem(fs, "database: row %lld of table %s refers to a "
			"missing row of %s",
			(long long)sqlite3_column_int64(q, 1),
			sqlite3_column_text(q, 0), sqlite3_column_text(q, 2));
	}
	sqlite3_finalize(q);
	return ret;
}

static int check_refs(struct fsck_state *fs, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(fs->st, &q, "SELECT hash, group_concat(owner, "
				"', ') FROM object_ref GROUP BY hash", err);

	while (ret == 0 && (ret = store_step(q, "cannot read blob references",
					     err)) == 1) {
		const char *hash = (const char *)sqlite3_column_text(q, 0);

		ret = 0;
		if (!hash || !object_exists(fs->st, hash))
			problem(fs, "missing object %s (referenced by %s)",
				hash ? hash : "(null)",
				sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	return ret;
}

static int check_tmp_one(const struct fsck_tmp_file *f, void *arg)
{
	struct fsck_state *fs = arg;

	if (f->stale)
		problem(fs, "temporary file tmp/%s (%llu bytes) was left by a "
			"killed command: 'mlops gc' removes it", f->name,
			(unsigned long long)f->bytes);
	return 0;
}

int fsck_run(struct store *st, void (*fn)(const char *msg, void *arg),
	     void *arg, struct fsck_result *out, struct mlops_err *err)
{
	struct fsck_state fs = { st, fn, arg, out };
	struct buf audit_problem = BUF_INIT;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = check_database(&fs, err);
	if (ret == 0)
		ret = check_objects(&fs, err);
	if (ret == 0)
		ret = check_refs(&fs, err);
	if (ret == 0)
		ret = fsck_tmp_each(st, check_tmp_one, &fs, err);
	if (ret == 0) {
		ret = audit_verify(st, &out->audit_records, &audit_problem,
				   err);
		if (ret == MLOPS_EXIT_FINDING)
			problem(&fs, "audit: %s", audit_problem.s);
		ret = ret < 0 ? ret : 0;
	}
	buf_release(&audit_problem);
	return ret;
}

/* The writer's process id in a name made by fs_tmpfile_open(),
 * PREFIX.PID.XXXXXX, or 0 when there is none. */
static long tmp_writer(const char *name)
{
	const char *last = strrchr(name, '.'), *p;
	long pid = 0;

	if (!last || last == name)
		return 0;
	for (p = last - 1; p > name && *p >= '0' && *p <= '9'; p--)
		;
	if (*p != '.' || p + 1 == last || last - p > 11)
		return 0;
	for (p++; p < last; p++)
		pid = pid * 10 + (*p - '0');
	return pid;
}

static int writer_gone(long pid)
{
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

int fsck_tmp_each(struct store *st,
		  int (*fn)(const struct fsck_tmp_file *f, void *arg),
		  void *arg, struct mlops_err *err)
{
	char *dir = store_path(st, "tmp");
	int64_t now = time_now_us() / TIME_US_PER_SEC;
	DIR *d = opendir(dir);
	struct dirent *e;
	int ret = 0;

	if (!d) {
		if (errno != ENOENT)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot read '%s'", dir);
		free(dir);
		return ret;
	}
	while (ret == 0 && (e = readdir(d))) {
		struct fsck_tmp_file f = { e->d_name, NULL, 0, 0, 0 };
		struct stat sb;
		char *path;
		long pid;
		int gone;

		if (e->d_name[0] == '.' && (!e->d_name[1] ||
		    (e->d_name[1] == '.' && !e->d_name[2])))
			continue;
		path = fs_path_join(dir, e->d_name);
		/* Ask whether the writer is gone before looking at the file:
		 * a writer renames its file away before it exits, so a file
		 * still there after its writer went was left behind, while
		 * the other order reports the file a live writer was just
		 * installing as it exited. */
		pid = tmp_writer(e->d_name);
		gone = pid > 0 && writer_gone(pid);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
			f.path = path;
			f.bytes = (uint64_t)sb.st_size;
			f.mtime = sb.st_mtime;
			f.stale = pid > 0 ? gone :
				now - f.mtime > TMP_UNNAMED_STALE_SECONDS;
			ret = fn(&f, arg);
		}
		free(path);
	}
	closedir(d);
	free(dir);
	return ret;
}

struct stale_count {
	long files;
	uint64_t bytes;
};

static int count_stale(const struct fsck_tmp_file *f, void *arg)
{
	struct stale_count *c = arg;

	if (f->stale) {
		c->files++;
		c->bytes += f->bytes;
	}
	return 0;
}

int fsck_tmp_stale(struct store *st, long *files, uint64_t *bytes,
	      struct mlops_err *err)
{
	struct stale_count c = { 0, 0 };
	int ret = fsck_tmp_each(st, count_stale, &c, err);

	*files = c.files;
	*bytes = c.bytes;
	return ret;
}

struct gc_state {
	struct fsck_gc_plan *plan;
	sqlite3_stmt *ref;
	int64_t cutoff;
	struct mlops_err *err;
};

static void plan_add(struct fsck_gc_plan *plan, const char *hash,
		     const char *path, uint64_t bytes)
{
	struct fsck_gc_item *it;

	ALLOC_GROW(plan->items, plan->n + 1, plan->cap);
	it = &plan->items[plan->n++];
	it->hash = hash ? xstrdup(hash) : NULL;
	it->path = xstrdup(path);
	it->what = it->hash ? it->hash : it->path;
	it->bytes = bytes;
}

/* 1 when a reference to hash is recorded, 0 when none, or negative. */
static int is_referenced(sqlite3_stmt *ref, const char *hash,
			 struct mlops_err *err)
{
	int ret;

	sqlite3_reset(ref);
	sqlite3_bind_text(ref, 1, hash, -1, SQLITE_TRANSIENT);
	ret = store_step(ref, "cannot look up references to a blob", err);
	sqlite3_reset(ref);
	return ret;
}

static int plan_object(const char *hash, const char *path, uint64_t bytes,
		       int64_t mtime, void *arg)
{
	struct gc_state *gc = arg;
	int ret = 0;

	if (mtime > gc->cutoff)
		return 0;
	if (hash)
		ret = is_referenced(gc->ref, hash, gc->err);
	if (ret == 0)
		plan_add(gc->plan, hash, path, bytes);
	return ret < 0 ? ret : 0;
}

static int plan_tmp(const struct fsck_tmp_file *f, void *arg)
{
	struct gc_state *gc = arg;

	if (f->mtime <= gc->cutoff)
		plan_add(gc->plan, NULL, f->path, f->bytes);
	return 0;
}

static const char ref_sql[] =
	"SELECT 1 FROM object_ref WHERE hash = ?1 LIMIT 1";

int fsck_gc_plan_make(struct fsck_gc_plan *plan, struct store *st,
		      int64_t cutoff, struct mlops_err *err)
{
	struct gc_state gc = { plan, NULL, cutoff, err };
	int ret = store_prepare(st, &gc.ref, ref_sql, err);

	if (ret == 0)
		ret = object_each(st, plan_object, &gc, err);
	if (ret == 0)
		ret = fsck_tmp_each(st, plan_tmp, &gc, err);
	sqlite3_finalize(gc.ref);
	if (ret < 0)
		fsck_gc_plan_release(plan);
	return ret;
}

int fsck_gc_remove(struct store *st, const struct fsck_gc_item *it,
	      struct mlops_err *err)
{
	if (it->hash) {
		sqlite3_stmt *ref = NULL;
		int ret = store_prepare(st, &ref, ref_sql, err);

		if (ret == 0)
			ret = is_referenced(ref, it->hash, err);
		sqlite3_finalize(ref);
		if (ret != 0)
			return ret;
	}
	if (unlink(it->path) < 0 && errno != ENOENT) {
		mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				"cannot remove '%s'", it->path);
		return 2;
	}
	return 0;
}

void fsck_gc_plan_release(struct fsck_gc_plan *plan)
{
	for (size_t i = 0; i < plan->n; i++) {
		free(plan->items[i].hash);
		free(plan->items[i].path);
	}
	free(plan->items);
	plan->items = NULL;
	plan->n = plan->cap = 0;
}

/* Decide everything first, so that an error while deciding removes
 * nothing; then remove item by item, each checked once more. */
int fsck_gc_run(struct store *st, int64_t cutoff, int dry_run,
	   const struct fsck_gc_callbacks *cb, struct fsck_gc_result *out,
	   struct mlops_err *err)
{
	struct fsck_gc_plan plan = FSCK_GC_PLAN_INIT;
	struct fsck_gc_result res = { 0, 0, 0 };
	struct audit_entry entry = { "store.gc", NULL, "success", NULL };
	struct mlops_err item_err = MLOPS_ERR_INIT;
	char resource[64];
	int ret = dry_run ? 0 : audit_authorize(st, entry.action, "objects",
						err);

	if (ret == 0)
		ret = fsck_gc_plan_make(&plan, st, cutoff, err);

	for (size_t i = 0; ret == 0 && i < plan.n; i++) {
		const struct fsck_gc_item *it = &plan.items[i];
		int done = dry_run ? 0 : fsck_gc_remove(st, it, &item_err);

		if (done == 1)
			continue;	/* referenced since the plan */
		if (done < 0) {
			/* The database failed: stop. */
			*err = item_err;
			ret = done;
			break;
		}
		if (done == 2) {
			res.failures++;
			if (cb->failed)
				cb->failed(item_err.msg, cb->arg);
			continue;
		}
		if (cb->removed)
			cb->removed(it, cb->arg);
		res.removed++;
		res.bytes += it->bytes;
	}
	fsck_gc_plan_release(&plan);
	/* What was removed is recorded even when the database stopped the
	 * rest. */
	if (!dry_run && res.removed) {
		int aret;

		snprintf(resource, sizeof(resource), "%ld files", res.removed);
		entry.resource = resource;
		aret = audit_append(st, &entry, ret < 0 ? &item_err : err);
		if (ret == 0)
			ret = aret;
	}
	*out = res;
	return ret;
}
