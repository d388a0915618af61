/* fsck.h - checking a store and collecting its garbage: what `mlops fsck`
 * finds and what `mlops gc` removes are decided here; the commands only
 * print. Every query result is checked: a database error stops the check
 * or the collection (before anything is removed), never reads as "no
 * reference". */
#ifndef MLOPS_FSCK_H
#define MLOPS_FSCK_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/store.h"

struct fsck_result {
	long objects;		/* blobs checked */
	long problems;		/* problems reported */
	int64_t audit_records;	/* audit records read */
};

/* Check the database (schema version, integrity, foreign keys), every
 * blob's content, every reference to a blob, the audit chain, changes
 * committed without their audit record, and temporary files left by
 * killed commands. Calls problem(message, arg) for each problem found.
 * Returns 0 when the check ran to the end (whatever it found), or a
 * negative code when an error stopped it. */
int fsck_run(struct store *st, void (*problem)(const char *msg, void *arg),
	     void *arg, struct fsck_result *out, struct mlops_err *err);

/* A temporary file in the store's tmp/ folder. */
struct fsck_tmp_file {
	const char *name;	/* its name inside tmp/ */
	const char *path;	/* its full path */
	uint64_t bytes;
	int64_t mtime;		/* seconds since the epoch */
	int stale;		/* its writer is gone: a killed command's */
};

/* Call fn for each regular file in tmp/; fn returns non-zero to stop
 * (that value is returned). A file is stale when the process named in it
 * (see fs_tmpfile_open()) no longer runs on this machine, or, for a name
 * without one, when it is older than an hour. */
int fsck_tmp_each(struct store *st,
		  int (*fn)(const struct fsck_tmp_file *f, void *arg),
		  void *arg, struct mlops_err *err);

/* Count the stale temporary files and their bytes. */
int fsck_tmp_stale(struct store *st, long *files, uint64_t *bytes,
	      struct mlops_err *err);

struct fsck_gc_item {
	char *what;		/* a blob's hash, or the file's path */
	char *hash;		/* the blob's hash; NULL for other files */
	char *path;
	uint64_t bytes;
};

struct fsck_gc_plan {
	struct fsck_gc_item *items;
	size_t n, cap;
};
#define FSCK_GC_PLAN_INIT { NULL, 0, 0 }

/* Decide what gc removes: blobs that nothing references, stray files in
 * objects/ and temporary files in tmp/, each only when its own
 * modification time is at or before cutoff (seconds). Removes nothing. On
 * an error plan is left empty. */
int fsck_gc_plan_make(struct fsck_gc_plan *plan, struct store *st,
		      int64_t cutoff, struct mlops_err *err);
/* Remove one planned item. A blob is looked up once more first: if a
 * reference to it was committed since the plan was made, it is kept and 1
 * is returned. 0 when removed; 2 with err set when this file could not be
 * removed (the others may be); negative with err set when the database
 * failed (stop). */
int fsck_gc_remove(struct store *st, const struct fsck_gc_item *it,
	      struct mlops_err *err);
void fsck_gc_plan_release(struct fsck_gc_plan *plan);

struct fsck_gc_callbacks {
	/* An item removed (or, with dry_run, that would be). */
	void (*removed)(const struct fsck_gc_item *it, void *arg);
	/* A file that could not be removed; the others still are. */
	void (*failed)(const char *msg, void *arg);
	void *arg;
};

struct fsck_gc_result {
	long removed;		/* files removed (or that would be) */
	uint64_t bytes;		/* their bytes */
	long failures;		/* files that could not be removed */
};

/* Collect the garbage: plan (see fsck_gc_plan_make()), then remove each item
 * unless dry_run, calling cb for each. When anything was removed, appends
 * the "store.gc" audit record, resource "N files". *out gets the counts
 * in every case. Returns 0 when every item was handled (failures are
 * counted, not errors), or a negative code when the plan or the database
 * failed (what was removed before stays removed, and is audited). */
int fsck_gc_run(struct store *st, int64_t cutoff, int dry_run,
	   const struct fsck_gc_callbacks *cb, struct fsck_gc_result *out,
	   struct mlops_err *err);

#endif
