/* fsck.c - `mlops fsck` (verify the store) and `mlops gc` (remove blobs
 * that nothing references). Both walk objects/ and the object_ref table. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "fsutil.h"
#include "mlops.h"
#include "object.h"
#include "timefmt.h"
#include "xalloc.h"

const char usage_fsck[] =
	"usage: mlops fsck\n"
	"\n"
	"Verify the database, the schema version, every blob (its content\n"
	"must match its hash), every reference from the database to a blob,\n"
	"and the audit chain. Each problem is printed on standard output;\n"
	"the exit status is 1 when there is any, 0 when there is none.\n";

const char usage_gc[] =
	"usage: mlops gc [--dry-run] [--grace DURATION]\n"
	"\n"
	"Remove blobs that nothing references, and temporary files left by\n"
	"interrupted writes, when they are older than the grace period (so\n"
	"that a blob being written right now is kept). Prints what it\n"
	"removed and the bytes freed.\n"
	"\n"
	"  -n, --dry-run       list what would go, remove nothing\n"
	"  --grace DURATION    keep what is younger than this (default 1h;\n"
	"                      0 removes everything unreferenced)\n";

struct fsck_state {
	struct store *st;
	long problems;
	long objects;
};

static void problem(struct fsck_state *fs, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void problem(struct fsck_state *fs, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fs->problems++;
}

static int fsck_object(const char *hash, const char *path, uint64_t bytes,
		       int64_t mtime, void *arg)
{
	struct fsck_state *fs = arg;
	struct mlops_err err = MLOPS_ERR_INIT;

	(void)bytes;
	(void)mtime;
	if (!hash) {
		problem(fs, "stray file in objects/: %s", path);
		return 0;
	}
	fs->objects++;
	if (object_verify(fs->st, hash, NULL, &err) < 0)
		problem(fs, "%s", err.msg);
	return 0;
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
	while (ret == 0 && sqlite3_step(q) == SQLITE_ROW) {
		const char *msg = (const char *)sqlite3_column_text(q, 0);

		if (strcmp(msg, "ok") != 0)
			problem(fs, "database: %s", msg);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(fs->st, &q, "PRAGMA foreign_key_check",
				    err);
	while (ret == 0 && sqlite3_step(q) == SQLITE_ROW)
		problem(fs, "database: row %lld of table %s refers to a "
			"missing row of %s",
			(long long)sqlite3_column_int64(q, 1),
			sqlite3_column_text(q, 0), sqlite3_column_text(q, 2));
	sqlite3_finalize(q);
	return ret;
}

static int check_refs(struct fsck_state *fs, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(fs->st, &q, "SELECT hash, group_concat(owner, "
				"', ') FROM object_ref GROUP BY hash", err);

	while (ret == 0 && sqlite3_step(q) == SQLITE_ROW) {
		const char *hash = (const char *)sqlite3_column_text(q, 0);

		if (!object_exists(fs->st, hash))
			problem(fs, "missing object %s (referenced by %s)",
				hash, sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	return ret;
}

int cmd_fsck(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct fsck_state fs = { 0 };
	struct buf audit_problem = BUF_INIT;
	int64_t records = 0;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_fsck)) != -1)
		return CLI_STATUS(c);
	if (optind != argc)
		return cli_usage(cli, usage_fsck, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &fs.st)) != 0)
		return ret;
	ret = check_database(&fs, &err);
	if (ret == 0)
		ret = object_each(fs.st, fsck_object, &fs, &err);
	if (ret == 0)
		ret = check_refs(&fs, &err);
	if (ret == 0) {
		ret = audit_verify(fs.st, &records, &audit_problem, &err);
		if (ret == MLOPS_EXIT_FINDING)
			problem(&fs, "audit: %s", audit_problem.s);
		ret = ret < 0 ? ret : 0;
	}
	buf_release(&audit_problem);
	if (ret < 0)
		return cli_fail(cli, &err);
	fprintf(stderr, "%s: checked %ld objects and %lld audit records: "
		"%ld problem%s\n", cli->prog, fs.objects, (long long)records,
		fs.problems, fs.problems == 1 ? "" : "s");
	return fs.problems ? MLOPS_EXIT_FINDING : 0;
}

struct gc_state {
	struct store *st;
	sqlite3_stmt *ref;
	int64_t cutoff;		/* remove only what is older (seconds) */
	int dry_run;
	long removed;
	uint64_t bytes;
	int failed;
};

static void gc_remove(struct gc_state *gc, const char *what, const char *path,
		      uint64_t bytes)
{
	if (!gc->dry_run && unlink(path) < 0) {
		fprintf(stderr, "mlops: cannot remove '%s': %s\n", path,
			strerror(errno));
		gc->failed = 1;
		return;
	}
	printf("%s %s\n", gc->dry_run ? "would remove" : "removed", what);
	gc->removed++;
	gc->bytes += bytes;
}

static int gc_object(const char *hash, const char *path, uint64_t bytes,
		     int64_t mtime, void *arg)
{
	struct gc_state *gc = arg;
	int referenced;

	if (mtime > gc->cutoff)
		return 0;
	if (!hash) {
		gc_remove(gc, path, path, bytes);
		return 0;
	}
	sqlite3_reset(gc->ref);
	sqlite3_bind_text(gc->ref, 1, hash, -1, SQLITE_STATIC);
	referenced = sqlite3_step(gc->ref) == SQLITE_ROW;
	if (!referenced)
		gc_remove(gc, hash, path, bytes);
	return 0;
}

/* Temporary files in tmp/ older than the cutoff belong to writes that
 * were interrupted. */
static void gc_tmp(struct gc_state *gc)
{
	char *dir = store_path(gc->st, "tmp");
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char *path;
		struct stat sb;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		path = path_join(dir, e->d_name);
		if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    sb.st_mtime <= gc->cutoff)
			gc_remove(gc, path, path, (uint64_t)sb.st_size);
		free(path);
	}
	if (d)
		closedir(d);
	free(dir);
}

int cmd_gc(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "dry-run", no_argument, 0, 'n' },
		{ "grace", required_argument, 0, 'g' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct gc_state gc = { 0 };
	int64_t grace = 3600 * TIME_US_PER_SEC;
	struct audit_entry entry = { "store.gc", NULL, "success", NULL };
	char resource[64];
	int c, ret;

	while ((c = cli_getopt(argc, argv, "hn", opts, cli, usage_gc)) != -1)
		switch (c) {
		case 'n':
			gc.dry_run = 1;
			break;
		case 'g':
			if (duration_parse(optarg, &grace, &err) < 0)
				return cli_usage(cli, usage_gc, "--grace: %s",
						 err.msg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_gc, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &gc.st)) != 0)
		return ret;
	gc.cutoff = (time_now_us() - grace) / TIME_US_PER_SEC;
	ret = store_prepare(gc.st, &gc.ref, "SELECT 1 FROM object_ref "
			    "WHERE hash = ?1 LIMIT 1", &err);
	if (ret == 0)
		ret = object_each(gc.st, gc_object, &gc, &err);
	sqlite3_finalize(gc.ref);
	if (ret == 0)
		gc_tmp(&gc);
	if (ret < 0)
		return cli_fail(cli, &err);
	fprintf(stderr, "%s: %s %ld file%s, %" PRIu64 " bytes\n", cli->prog,
		gc.dry_run ? "would remove" : "removed", gc.removed,
		gc.removed == 1 ? "" : "s", gc.bytes);
	if (!gc.dry_run && gc.removed) {
		snprintf(resource, sizeof(resource), "%ld files", gc.removed);
		entry.resource = resource;
		if (audit_append(gc.st, &entry, &err) < 0)
			return cli_fail(cli, &err);
	}
	return gc.failed ? 70 : 0;
}
