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
 * packed by feature_group_pack. Host byte order: a run never leaves the
 * machine (sync copies the CSV files). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/extsort.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/xalloc.h"
#include "feature/offline.h"

#define RUN_MAGIC "mlopsrn1"
#define RUN_SORT_BUDGET (48u << 20)
#define RUN_WRITE_CHUNK (1u << 20)
#define RUN_MAX_ROWS (UINT64_C(1) << 32)
#define RUN_MAX_PART (INT64_C(1) << 31)

struct run_header {
	char magic[8];
	uint32_t nfeatures;
	uint32_t zero;
	uint64_t rows;
	int64_t first_part;
};

struct feature_run_writer {
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
	int ret;

	buf_add(&out, &head, sizeof(head));
	ret = extsort_finish(w->sort, err);
	while (ret == 0 && (ret = extsort_next(w->sort, &rec, err)) == 1) {
		size_t len = sizeof(*rec) + rec->keylen + rec->datalen;
		struct extsort_rec *copy;

		buf_grow(&out, len);
		copy = (struct extsort_rec *)(out.s + out.len);
		memcpy(copy, rec, len);
		copy->k2 |= (uint64_t)first << 32;
		buf_setlen(&out, out.len + len);
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

int feature_run_writer_publish(struct feature_run_writer *w, struct store *st,
			       const struct feature_group *g, int64_t first,
			       int64_t last, const char *name,
			       struct mlops_err *err)
{
	char hex[HASH_HEX_LEN + 1], *tmpdir, *rel = NULL, *dir = NULL;
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
	if (ret == 0 && fstat(fd, &sb) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "write '%s'", w->tmp_path);
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
	ret = store_prepare(st, &q, "INSERT INTO feature_run (group_id, "
			    "path, first_part, last_part, rows, bytes, "
			    "sha256) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
			    err);
	if (ret < 0)
		goto out;
	sqlite3_bind_int64(q, 1, g->id);
	sqlite3_bind_text(q, 2, rel, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, first);
	sqlite3_bind_int64(q, 4, last);
	sqlite3_bind_int64(q, 5, (int64_t)w->rows);
	sqlite3_bind_int64(q, 6, (int64_t)sb.st_size);
	sqlite3_bind_text(q, 7, hex, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = store_sql_error(st, "cannot list a sorted run", err);
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
			    "rows, bytes, sha256 FROM feature_run WHERE "
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

int feature_run_open(const struct feature_run_info *r, size_t nfeatures,
		     int *fd, struct mlops_err *err)
{
	struct run_header head;
	struct stat sb;
	int f = open(r->path, O_RDONLY | O_CLOEXEC), ret = 0;

	if (f < 0)
		return mlops_err_errno(err, errno == ENOENT ? MLOPS_ENOTFOUND :
				       MLOPS_EINTERNAL, errno, "sorted run "
				       "'%s'", r->path);
	if (fstat(f, &sb) < 0 || sb.st_size != r->bytes)
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
	if (ret < 0) {
		close(f);
		return ret;
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

long long feature_run_data_offset(void)
{
	return (long long)sizeof(struct run_header);
}
