/* run.c - sorted runs: beside the gzip CSV files of each offline writer
 * (one ingest, one delete), a binary copy of the same rows sorted by the
 * point-in-time join's key, so that a join merges them as they are
 * instead of decompressing, parsing and sorting the CSV files again.
 *
 * The CSV files stay the data of record (what Spark, Trino and DuckDB
 * read); a run is the store's own cache of them and may always be
 * thrown away: a join reads the CSV files of any writer whose run is
 * missing or does not match its SHA-256, and `mlops-feature reindex`
 * makes it again. It is written, renamed into place and synced before
 * the transaction that lists it commits, in the same transaction as the
 * files it copies, so a listed run never names rows that are not there.
 *
 * The file: a 32-byte header (magic "mlopsrn1", the group's feature
 * count, 0, the row count, the first feature_part id), then the rows as
 * extsort run records (extsort.h) in key order: k0 the ID's hash, the
 * key bytes the ID, k1 the event time (feature_run_time_key), k2 the
 * write order ((first part id << 32) | row number in the writer's
 * input), and as payload a deleted flag byte and every feature's value
 * packed by feature_group_pack; last, an index of 257 offsets: where
 * the first record whose k0 has a top byte of at least b begins, for b
 * from 0 to 256 (the end of the records), so that a join may cut the
 * run into ranges of hashes and merge them on several threads. Host
 * byte order: a run never leaves the machine (sync copies the CSV
 * files). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/extsort.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/id.h"
#include "core/xalloc.h"
#include "feature/offline.h"

#define RUN_MAGIC "mlopsrn1"
#define RUN_SORT_BUDGET (48u << 20)
#define RUN_WRITE_CHUNK (1u << 20)
#define RUN_MAX_ROWS (UINT64_C(1) << 32)
#define RUN_MAX_PART (INT64_C(1) << 31)
#define RUN_INDEX 257

struct run_header {
	char magic[8];
	uint32_t nfeatures;
	uint32_t zero;
	uint64_t rows;
	int64_t first_part;
};

struct feature_run_writer {
	const struct feature_group *g;	/* for a rebuild */
	struct extsort *sort;
	size_t nfeatures;
	uint64_t rows;
	struct buf packed;
	char *tmp_path;		/* the file being written, until renamed */
	char *path;		/* where it went, once renamed */
};

uint64_t feature_run_id_hash(const char *s, size_t n)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= UINT64_C(0x100000001b3);
	}
	return h ^ (h >> 29);
}

uint64_t feature_run_time_key(int64_t t)
{
	return (uint64_t)t ^ FEATURE_RUN_ENTITY_BIT;
}

struct feature_run_writer *feature_run_writer_new(const char *tmpdir,
						  size_t nfeatures)
{
	struct feature_run_writer *w = xcalloc(1, sizeof(*w));

	w->sort = extsort_new(tmpdir, RUN_SORT_BUDGET);
	w->nfeatures = nfeatures;
	buf_init(&w->packed);
	return w;
}

int feature_run_writer_add(struct feature_run_writer *w, const char *id,
			   int64_t t, int deleted, char *const *values,
			   struct mlops_err *err)
{
	size_t idlen = strlen(id);

	/* Past what k2 can number the run is not made; joins then read
	 * this writer's CSV files. */
	if (w->rows >= RUN_MAX_ROWS)
		return 0;
	buf_reset(&w->packed);
	buf_addch(&w->packed, deleted != 0);
	feature_group_pack(&w->packed, w->nfeatures, values);
	return extsort_add(w->sort, feature_run_id_hash(id, idlen), id, idlen,
			   feature_run_time_key(t), w->rows++, w->packed.s,
			   w->packed.len, err);
}

/* Write the sorted rows to fd, hashing what is written into hex. */
static int write_run(struct feature_run_writer *w, int fd, int64_t first,
		     char hex[HASH_HEX_LEN + 1], struct mlops_err *err)
{
	struct hash_ctx *h = hash_begin();
	struct run_header head = { RUN_MAGIC, (uint32_t)w->nfeatures, 0,
				   w->rows, first };
	const struct extsort_rec *rec;
	struct buf out = BUF_INIT;
	uint64_t index[RUN_INDEX], at = sizeof(head);
	unsigned next = 0;
	int ret;

	buf_add(&out, &head, sizeof(head));
	ret = extsort_finish(w->sort, err);
	while (ret == 0 && (ret = extsort_next(w->sort, &rec, err)) == 1) {
		size_t len = sizeof(*rec) + rec->keylen + rec->datalen;
		uint64_t k2 = rec->k2 | (uint64_t)first << 32;

		while (next <= (unsigned)(rec->k0 >> 56))
			index[next++] = at;
		at += len;
		/* Records lie unaligned in the file: copy, then patch k2. */
		buf_add(&out, rec, len);
		memcpy(out.s + out.len - len + offsetof(struct extsort_rec, k2),
		       &k2, sizeof(k2));
		ret = 0;
		if (out.len >= RUN_WRITE_CHUNK) {
			hash_update(h, out.s, out.len);
			if (fs_write_all(fd, out.s, out.len) < 0)
				ret = mlops_err_errno(err, MLOPS_EINTERNAL,
						      errno, "cannot write "
						      "'%s'", w->tmp_path);
			buf_reset(&out);
		}
	}
	while (next < RUN_INDEX)
		index[next++] = at;
	buf_add(&out, index, sizeof(index));
	if (ret == 0) {
		hash_update(h, out.s, out.len);
		if (fs_write_all(fd, out.s, out.len) < 0)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot write '%s'",
					      w->tmp_path);
	}
	hash_end(h, hex);
	buf_release(&out);
	return ret;
}

/* What a run's stat must still be for a join to trust it unhashed. */
static void run_stat(const struct stat *sb, char out[FEATURE_RUN_STAT_MAX])
{
	snprintf(out, FEATURE_RUN_STAT_MAX, "%llu:%lld%09ld:%lld%09ld",
		 (unsigned long long)sb->st_ino,
		 (long long)sb->st_mtim.tv_sec, sb->st_mtim.tv_nsec,
		 (long long)sb->st_ctim.tv_sec, sb->st_ctim.tv_nsec);
}

int feature_run_writer_publish(struct feature_run_writer *w, struct store *st,
			       const struct feature_group *g, int64_t first,
			       int64_t last, const char *name,
			       struct mlops_err *err)
{
	char hex[HASH_HEX_LEN + 1], *tmpdir, *rel = NULL, *dir = NULL;
	char stat_text[FEATURE_RUN_STAT_MAX];
	sqlite3_stmt *q = NULL;
	struct stat sb;
	int fd, ret;

	if (w->rows == 0 || w->rows >= RUN_MAX_ROWS || first <= 0 ||
	    last >= RUN_MAX_PART)
		return 0;
	tmpdir = store_path(st, "tmp");
	fd = fs_tmpfile_open(tmpdir, "run", &w->tmp_path, err);
	free(tmpdir);
	if (fd < 0)
		return fd;
	ret = write_run(w, fd, first, hex, err);
	close(fd);
	if (ret < 0)
		return ret;
	rel = xasprintf("offline/%s/" FEATURE_RUN_DIR "/%s.run", g->name,
			name);
	w->path = store_path(st, rel);
	dir = fs_path_dirname(w->path);
	if ((ret = fs_mkdir_p(dir, err)) < 0)
		goto out;
	if (rename(w->tmp_path, w->path) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "rename '%s'", w->tmp_path);
		goto out;
	}
	free(w->tmp_path);
	w->tmp_path = NULL;
	/* Its stat after the rename, which changes the change time. */
	if (stat(w->path, &sb) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "read '%s'", w->path);
		goto out;
	}
	run_stat(&sb, stat_text);
	ret = store_prepare(st, &q, "INSERT INTO feature_run (group_id, "
			    "path, first_part, last_part, rows, bytes, "
			    "sha256, stat) VALUES (?1, ?2, ?3, ?4, ?5, ?6, "
			    "?7, ?8)", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(q, 1, g->id);
	sqlite3_bind_text(q, 2, rel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, first);
	sqlite3_bind_int64(q, 4, last);
	sqlite3_bind_int64(q, 5, (int64_t)w->rows);
	sqlite3_bind_int64(q, 6, (int64_t)sb.st_size);
	sqlite3_bind_text(q, 7, hex, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 8, stat_text, -1, SQLITE_STATIC);
	ret = store_step_done(q, "cannot list a sorted run", err);
out:
	sqlite3_finalize(q);
	free(rel);
	free(dir);
	return ret;
}

void feature_run_writer_abort(struct feature_run_writer *w)
{
	if (w->tmp_path)
		unlink(w->tmp_path);
	if (w->path)
		unlink(w->path);
}

void feature_run_writer_free(struct feature_run_writer *w)
{
	if (!w)
		return;
	extsort_free(w->sort);
	buf_release(&w->packed);
	free(w->tmp_path);
	free(w->path);
	free(w);
}

void feature_run_list_free(struct feature_run_info *runs, size_t n)
{
	for (size_t i = 0; runs && i < n; i++)
		free(runs[i].path);
	free(runs);
}

int feature_run_list(struct store *st, const struct feature_group *g,
		     struct feature_run_info **out, size_t *n,
		     struct mlops_err *err)
{
	struct feature_run_info *runs = NULL;
	sqlite3_stmt *q = NULL;
	size_t len = 0, cap = 0;
	int ret;

	ret = store_prepare(st, &q, "SELECT id, path, first_part, last_part, "
			    "rows, bytes, sha256, stat FROM feature_run WHERE "
			    "group_id = ?1 ORDER BY first_part", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, g->id);
	while ((ret = store_step(q, "cannot list sorted runs", err)) == 1) {
		struct feature_run_info *r;
		const char *hex = (const char *)sqlite3_column_text(q, 6);

		ALLOC_GROW(runs, len + 1, cap);
		r = &runs[len++];
		r->id = sqlite3_column_int64(q, 0);
		r->path = store_path(st, (const char *)
				     sqlite3_column_text(q, 1));
		r->first_part = sqlite3_column_int64(q, 2);
		r->last_part = sqlite3_column_int64(q, 3);
		r->rows = sqlite3_column_int64(q, 4);
		r->bytes = sqlite3_column_int64(q, 5);
		snprintf(r->sha256, sizeof(r->sha256), "%s", hex ? hex : "");
		snprintf(r->stat, sizeof(r->stat), "%s",
			 (const char *)sqlite3_column_text(q, 7));
	}
	sqlite3_finalize(q);
	if (ret < 0) {
		feature_run_list_free(runs, len);
		return ret;
	}
	*out = runs;
	*n = len;
	return 0;
}

/* Whether the index at the end of run fd is in order and ends where the
 * records end. */
static int index_valid(int fd, const struct feature_run_info *r)
{
	uint64_t index[RUN_INDEX];
	uint64_t end = (uint64_t)r->bytes - sizeof(index);

	if (pread(fd, index, sizeof(index), (off_t)end) !=
	    (ssize_t)sizeof(index) || index[0] != sizeof(struct run_header) ||
	    index[RUN_INDEX - 1] != end)
		return 0;
	for (unsigned i = 1; i < RUN_INDEX; i++)
		if (index[i] < index[i - 1])
			return 0;
	return 1;
}

int feature_run_open(const struct feature_run_info *r, size_t nfeatures,
		     int *fd, int *unchanged, struct mlops_err *err)
{
	struct run_header head;
	struct stat sb;
	int f = open(r->path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (f < 0 && errno == ENOENT)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "sorted run '%s' is "
				     "missing", r->path);
	if (f < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				       "open sorted run '%s'", r->path);
	if (fstat(f, &sb) < 0 || sb.st_size != r->bytes ||
	    r->bytes < (int64_t)(sizeof(head) + RUN_INDEX * sizeof(uint64_t)))
		ret = mlops_err_set(err, MLOPS_EINPUT, "sorted run '%s' has "
				    "%lld bytes, expected %lld", r->path,
				    (long long)sb.st_size,
				    (long long)r->bytes);
	else if (pread(f, &head, sizeof(head), 0) != (ssize_t)sizeof(head) ||
		 memcmp(head.magic, RUN_MAGIC, sizeof(head.magic)) != 0 ||
		 head.nfeatures != nfeatures ||
		 head.rows != (uint64_t)r->rows ||
		 head.first_part != r->first_part)
		ret = mlops_err_set(err, MLOPS_EINPUT, "sorted run '%s' has a "
				    "damaged header", r->path);
	if (ret == 0 && !index_valid(f, r))
		ret = mlops_err_set(err, MLOPS_EINPUT, "sorted run '%s' has a "
				    "damaged index", r->path);
	if (ret < 0) {
		close(f);
		return ret;
	}
	if (unchanged) {
		char now[FEATURE_RUN_STAT_MAX];

		run_stat(&sb, now);
		*unchanged = strcmp(now, r->stat) == 0;
	}
	*fd = f;
	return 0;
}

int feature_run_verify(int fd, const struct feature_run_info *r,
		       struct mlops_err *err)
{
	char hex[HASH_HEX_LEN + 1];
	struct hash_ctx *h = hash_begin();
	char *chunk = xmalloc(RUN_WRITE_CHUNK);
	off_t off = 0;
	ssize_t n;

	while ((n = pread(fd, chunk, RUN_WRITE_CHUNK, off)) > 0) {
		hash_update(h, chunk, (size_t)n);
		off += n;
	}
	hash_end(h, hex);
	free(chunk);
	if (n < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				       "read '%s'", r->path);
	if (strcmp(hex, r->sha256) != 0)
		return mlops_err_set(err, MLOPS_EINPUT, "sorted run '%s' does "
				     "not match its SHA-256", r->path);
	return 0;
}

int feature_run_range(int fd, const struct feature_run_info *r,
		      unsigned lo, unsigned hi, long long *start,
		      long long *end, struct mlops_err *err)
{
	off_t at = (off_t)r->bytes - (off_t)(RUN_INDEX * sizeof(uint64_t));
	uint64_t first, last, limit = (uint64_t)at;

	if (lo > hi || hi >= RUN_INDEX ||
	    pread(fd, &first, sizeof(first), at + lo * sizeof(uint64_t)) !=
	    (ssize_t)sizeof(first) ||
	    pread(fd, &last, sizeof(last), at + hi * sizeof(uint64_t)) !=
	    (ssize_t)sizeof(last) || first < sizeof(struct run_header) ||
	    first > last || last > limit)
		return mlops_err_set(err, MLOPS_EINPUT, "sorted run '%s' has a "
				     "damaged index", r->path);
	*start = (long long)first;
	*end = (long long)last;
	return 0;
}

/* The files of one writer: consecutive feature_part rows sharing a write
 * time. */
struct writer_parts {
	int64_t first, last, write_time_us, rows;
	size_t from, n;		/* in the part list */
};

struct run_check {
	struct store *st;
	const struct feature_group *g;
	struct feature_offline_part *parts;
	size_t nparts;
	struct feature_run_info *runs;
	size_t nruns;
	struct writer_parts *writers;
	size_t nwriters, writers_cap;
};

static void run_check_release(struct run_check *c)
{
	feature_offline_list_free(c->parts, c->nparts);
	free(c->writers);
	feature_run_list_free(c->runs, c->nruns);
}

/* List g's files, grouped by writer, and its runs. */
static int run_check_load(struct run_check *c, struct mlops_err *err)
{
	int ret = feature_offline_list(c->st, c->g, INT64_MAX, &c->parts,
				       &c->nparts, err);

	if (ret == 0)
		ret = feature_run_list(c->st, c->g, &c->runs, &c->nruns, err);
	for (size_t i = 0; ret == 0 && i < c->nparts; i++) {
		const struct feature_offline_part *p = &c->parts[i];
		struct writer_parts *w = c->nwriters ?
			&c->writers[c->nwriters - 1] : NULL;

		if (!w || w->write_time_us != p->write_time_us ||
		    w->last + 1 != p->id) {
			ALLOC_GROW(c->writers, c->nwriters + 1,
				   c->writers_cap);
			w = &c->writers[c->nwriters++];
			memset(w, 0, sizeof(*w));
			w->first = p->id;
			w->write_time_us = p->write_time_us;
			w->from = i;
		}
		w->last = p->id;
		w->rows += p->rows;
		w->n++;
	}
	return ret;
}

/* Why run r does not stand for the files it names, into why (empty
 * when it does). */
static void run_problem(const struct run_check *c,
			const struct feature_run_info *r, struct buf *why)
{
	struct mlops_err e = MLOPS_ERR_INIT;
	const struct writer_parts *w = NULL;
	int fd;

	buf_reset(why);
	for (size_t i = 0; i < c->nwriters; i++)
		if (c->writers[i].first == r->first_part)
			w = &c->writers[i];
	if (!w || w->last != r->last_part || w->rows != r->rows) {
		buf_addf(why, "sorted run '%s' does not match offline files "
			 "%lld to %lld", r->path, (long long)r->first_part,
			 (long long)r->last_part);
		return;
	}
	if (feature_run_open(r, c->g->nfeatures, &fd, NULL, &e) < 0) {
		buf_addstr(why, e.msg);
		return;
	}
	if (feature_run_verify(fd, r, &e) < 0)
		buf_addstr(why, e.msg);
	close(fd);
}

int feature_run_fsck(struct store *st, const struct feature_group *g,
		     void (*problem)(const char *msg, void *arg), void *arg,
		     long *problems, struct mlops_err *err)
{
	struct run_check c = { st, g };
	struct buf why = BUF_INIT, msg = BUF_INIT;
	int ret = run_check_load(&c, err);

	for (size_t i = 0; ret == 0 && i < c.nruns; i++) {
		run_problem(&c, &c.runs[i], &why);
		if (!why.len)
			continue;
		buf_reset(&msg);
		buf_addf(&msg, "feature group '%s': %s (joins read the CSV "
			 "files instead; 'mlops-feature reindex %s' makes it "
			 "again)", g->name, why.s, g->name);
		problem(msg.s, arg);
		(*problems)++;
	}
	buf_release(&why);
	buf_release(&msg);
	run_check_release(&c);
	return ret;
}

static int rebuild_row(void *arg, char *const *values, int64_t t,
		       int deleted, struct mlops_err *err)
{
	struct feature_run_writer *w = arg;
	const struct feature_group *g = w->g;

	return feature_run_writer_add(w, values[g->id_index], t, deleted,
				      values, err);
}

/* Make the run of writer wp again from its CSV files, replacing any run
 * listed for them, in one transaction. */
static int rebuild_one(struct run_check *c, const struct writer_parts *wp,
		       struct mlops_err *err)
{
	char *tmpdir = store_path(c->st, "tmp"), token[9], *name = NULL;
	struct feature_run_writer *w;
	struct buf data = BUF_INIT;
	sqlite3_stmt *q = NULL;
	int ret, fd;

	w = feature_run_writer_new(tmpdir, c->g->nfeatures);
	w->g = c->g;
	free(tmpdir);
	ret = id_random_hex(token, 8, err);
	for (size_t i = wp->from; ret == 0 && i < wp->from + wp->n; i++)
		ret = feature_offline_each_row(c->parts[i].path, c->g, &data,
					       rebuild_row, w, err);
	buf_release(&data);
	if (ret == 0)
		ret = store_begin(c->st, err);
	if (ret < 0)
		goto out;
	name = xasprintf("run-%" PRId64 "-%s", wp->write_time_us, token);
	if ((ret = store_prepare(c->st, &q, "DELETE FROM feature_run WHERE "
				 "group_id = ?1 AND first_part <= ?3 AND "
				 "last_part >= ?2", err)) == 0) {
		sqlite3_bind_int64(q, 1, c->g->id);
		sqlite3_bind_int64(q, 2, wp->first);
		sqlite3_bind_int64(q, 3, wp->last);
		ret = store_step_done(q, "cannot drop a sorted run", err);
	}
	if (ret == 0)
		ret = feature_run_writer_publish(w, c->st, c->g, wp->first,
						 wp->last, name, err);
	if (ret == 0 && (fd = open(c->st->dir, O_RDONLY | O_DIRECTORY |
				  O_CLOEXEC)) >= 0) {
		if (syncfs(fd) < 0)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot sync '%s'", c->st->dir);
		close(fd);
	}
	if (ret == 0)
		ret = store_commit(c->st, err);
	if (ret < 0) {
		store_rollback(c->st);
		feature_run_writer_abort(w);
	}
out:
	sqlite3_finalize(q);
	feature_run_writer_free(w);
	free(name);
	return ret;
}

static int rebuild(struct store *st, const struct feature_group *g,
		   size_t *built, struct mlops_err *err)
{
	struct run_check c = { st, g };
	struct buf why = BUF_INIT;
	int ret = run_check_load(&c, err);

	*built = 0;
	for (size_t i = 0; ret == 0 && i < c.nwriters; i++) {
		const struct writer_parts *wp = &c.writers[i];
		const struct feature_run_info *r = NULL;

		for (size_t k = 0; k < c.nruns; k++)
			if (c.runs[k].first_part == wp->first)
				r = &c.runs[k];
		if (r) {
			run_problem(&c, r, &why);
			if (!why.len)
				continue;
		}
		if ((ret = rebuild_one(&c, wp, err)) == 0) {
			(*built)++;
			/* The old file, listed no more, if it was there. */
			if (r)
				unlink(r->path);
		}
	}
	buf_release(&why);
	run_check_release(&c);
	return ret;
}

int feature_run_rebuild(struct store *st, const struct feature_group *g,
			size_t *built, struct mlops_err *err)
{
	struct audit_entry e = { "feature.reindex", g->name, "success", NULL };
	int ret = audit_intend(st, e.action, g->name, err);

	*built = 0;
	if (ret == 0)
		ret = rebuild(st, g, built, err);
	e.detail = json_pack("{s:I}", "runs", (json_int_t)*built);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	return ret;
}
