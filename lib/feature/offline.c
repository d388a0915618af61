/* offline.c - the offline store's files: the partition writer, the
 * reader's list of files and export; see offline.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core/csv.h"
#include "feature/offline.h"
#include "feature/feature.h"
#include "core/fs.h"
#include "core/id.h"
#include "core/time.h"
#include "core/xalloc.h"

/* Rows wait in memory per hour of event time, up to PENDING_BUDGET bytes
 * in all; past it the hours holding the most go to their files, so that
 * data arriving in any time order still makes few, large files. At most
 * MAX_OPEN_PARTS files are open at once (the least recently used is
 * finished first), and a file takes no more flushes past
 * FEATURE_OFFLINE_PART_ROWS rows. */
#define PENDING_BUDGET (32u << 20)
#define MAX_OPEN_PARTS 16
#define EXTRA_COLUMNS 3
#define NO_PART SIZE_MAX

struct part {
	int64_t hour;		/* event time in hours since the epoch */
	char *tmp_path;
	char *rel_path;		/* offline/GROUP/year=.../part-....csv.gz */
	int fd;			/* -1 once finished */
	gzFile gz;
	int64_t rows, bytes;
	uint64_t last_use;
	int published;
};

struct bucket {
	int64_t hour;
	struct buf pending;	/* CSV rows not yet in a file */
	int64_t pending_rows;
	size_t part;		/* its file being written, or NO_PART */
};

struct feature_offline_writer {
	struct store *st;
	const struct feature_group *g;
	int64_t write_time_us;
	char write_time[TIME_RFC3339_MAX];
	char *tmpdir;
	char token[9];		/* tells this writer's files apart */
	struct part *parts;
	size_t n, cap, nopen;
	struct bucket *buckets;
	size_t nbuckets, buckets_cap;
	size_t *slots;		/* hour -> bucket index + 1; 0 is empty */
	size_t nslots;
	size_t last_bucket;	/* the bucket used last */
	size_t pending;		/* bytes waiting in all buckets */
	uint64_t clock;
	char **fields;		/* a row: features, then the extra columns */
	struct buf header;
	struct feature_run_writer *run;	/* the same rows, sorted */
};

int feature_offline_writer_new(struct feature_offline_writer **out,
			       struct store *st, const struct feature_group *g,
			       int64_t write_time_us, struct mlops_err *err)
{
	struct feature_offline_writer *w;
	size_t ncols = g->nfeatures + EXTRA_COLUMNS;
	char token[sizeof(w->token)];
	int ret = id_random_hex(token, 8, err);

	if (ret < 0)
		return ret;
	w = xcalloc(1, sizeof(*w));
	memcpy(w->token, token, sizeof(token));
	w->st = st;
	w->g = g;
	w->write_time_us = write_time_us;
	time_format(write_time_us, w->write_time);
	w->tmpdir = store_path(st, "tmp");
	w->fields = xcalloc(ncols, sizeof(*w->fields));
	buf_init(&w->header);
	for (size_t i = 0; i < g->nfeatures; i++)
		w->fields[i] = g->features[i].name;
	w->fields[g->nfeatures] = "write_time";
	w->fields[g->nfeatures + 1] = "api_invocation_time";
	w->fields[g->nfeatures + 2] = "is_deleted";
	csv_write_record(&w->header, ncols, w->fields);
	w->last_bucket = NO_PART;
	w->run = feature_run_writer_new(w->tmpdir, g->nfeatures);
	*out = w;
	return 0;
}

size_t feature_offline_writer_files(const struct feature_offline_writer *w)
{
	return w->n;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static size_t slot_of(const struct feature_offline_writer *w, int64_t hour)
{
	size_t mask = w->nslots - 1;
	size_t i = (size_t)(((uint64_t)hour * UINT64_C(0x9e3779b97f4a7c15))
			    >> 32) & mask;

	while (w->slots[i] && w->buckets[w->slots[i] - 1].hour != hour)
		i = (i + 1) & mask;
	return i;
}

/* The bucket of hour, made when new. */
static struct bucket *bucket_for(struct feature_offline_writer *w, int64_t hour)
{
	struct bucket *b;
	size_t i;

	if (w->last_bucket != NO_PART &&
	    w->buckets[w->last_bucket].hour == hour)
		return &w->buckets[w->last_bucket];
	if (2 * (w->nbuckets + 1) > w->nslots) {
		free(w->slots);
		w->nslots = w->nslots ? 2 * w->nslots : 64;
		w->slots = xcalloc(w->nslots, sizeof(*w->slots));
		for (size_t k = 0; k < w->nbuckets; k++)
			w->slots[slot_of(w, w->buckets[k].hour)] = k + 1;
	}
	i = slot_of(w, hour);
	if (!w->slots[i]) {
		ALLOC_GROW(w->buckets, w->nbuckets + 1, w->buckets_cap);
		b = &w->buckets[w->nbuckets];
		b->hour = hour;
		buf_init(&b->pending);
		b->pending_rows = 0;
		b->part = NO_PART;
		w->slots[i] = ++w->nbuckets;
	}
	w->last_bucket = w->slots[i] - 1;
	return &w->buckets[w->last_bucket];
}

/* Finish the file of p: the gzip trailer, then close. Its data reaches
 * the disk with everything else at publish time (one syncfs instead of
 * an fsync per file and per folder, which dominated ingests touching
 * many hours). */
static int part_close(struct feature_offline_writer *w, struct part *p,
		      struct mlops_err *err)
{
	struct stat sb;
	int ret = 0;

	if (gzclose(p->gz) != Z_OK)
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "cannot finish "
				    "'%s'", p->tmp_path);
	p->gz = NULL;
	if (ret == 0 && fstat(p->fd, &sb) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot write '%s'", p->tmp_path);
	if (ret == 0)
		p->bytes = sb.st_size;
	close(p->fd);
	p->fd = -1;
	w->nopen--;
	return ret;
}

/* Start a new file for hour; its index goes to *out. */
static int part_open(struct feature_offline_writer *w, int64_t hour,
		     size_t *out, struct mlops_err *err)
{
	char when[TIME_RFC3339_MAX];
	struct part *p;
	int fd, gzfd, ret;
	char *tmp = NULL;

	if (w->nopen >= MAX_OPEN_PARTS) {
		struct part *lru = NULL;

		for (size_t i = 0; i < w->n; i++)
			if (w->parts[i].fd >= 0 &&
			    (!lru || w->parts[i].last_use < lru->last_use))
				lru = &w->parts[i];
		if ((ret = part_close(w, lru, err)) < 0)
			return ret;
	}
	fd = fs_tmpfile_open(w->tmpdir, "part", &tmp, err);
	if (fd < 0)
		return fd;
	gzfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	ALLOC_GROW(w->parts, w->n + 1, w->cap);
	p = &w->parts[w->n];
	memset(p, 0, sizeof(*p));
	p->hour = hour;
	p->tmp_path = tmp;
	p->fd = fd;
	/* "YYYY-MM-DDTHH:..." gives the partition's fields. */
	time_format(hour * 3600 * TIME_US_PER_SEC, when);
	p->rel_path = xasprintf("offline/%s/year=%.4s/month=%.2s/day=%.2s/"
				"hour=%.2s/part-%" PRId64 "-%s-%05zu.csv.gz",
				w->g->name, when, when + 5, when + 8,
				when + 11, w->write_time_us, w->token, w->n);
	*out = w->n++;
	w->nopen++;
	p->gz = gzfd < 0 ? NULL : gzdopen(gzfd, "wb1");
	if (!p->gz) {
		if (gzfd >= 0)
			close(gzfd);
		close(fd);
		p->fd = -1;
		w->nopen--;
		return mlops_err_set(err, MLOPS_EINTERNAL, "cannot start "
				     "'%s'", tmp);
	}
	gzbuffer(p->gz, 64 * 1024);
	if (gzwrite(p->gz, w->header.s, (unsigned)w->header.len) !=
	    (int)w->header.len)
		return mlops_err_set(err, MLOPS_EINTERNAL, "cannot write "
				     "'%s'", tmp);
	return 0;
}

/* Move the pending rows of b into its file. */
static int bucket_flush(struct feature_offline_writer *w, struct bucket *b,
			struct mlops_err *err)
{
	struct part *p;
	int ret;

	if (!b->pending_rows)
		return 0;
	if (b->part != NO_PART && w->parts[b->part].fd >= 0 &&
	    w->parts[b->part].rows >= FEATURE_OFFLINE_PART_ROWS &&
	    (ret = part_close(w, &w->parts[b->part], err)) < 0)
		return ret;
	if ((b->part == NO_PART || w->parts[b->part].fd < 0) &&
	    (ret = part_open(w, b->hour, &b->part, err)) < 0)
		return ret;
	p = &w->parts[b->part];
	p->last_use = ++w->clock;
	if (gzwrite(p->gz, b->pending.s, (unsigned)b->pending.len) !=
	    (int)b->pending.len)
		return mlops_err_set(err, MLOPS_EINTERNAL, "cannot write "
				     "'%s'", p->tmp_path);
	p->rows += b->pending_rows;
	w->pending -= b->pending.len;
	b->pending_rows = 0;
	buf_release(&b->pending);
	return 0;
}

static int by_pending_desc(const void *a, const void *b, void *arg)
{
	const struct bucket *buckets = arg;
	size_t x = buckets[*(const size_t *)a].pending.len;
	size_t y = buckets[*(const size_t *)b].pending.len;

	return x < y ? 1 : x > y ? -1 : 0;
}

/* Over budget: flush the fullest buckets until half of it is left. */
static int flush_largest(struct feature_offline_writer *w,
			 struct mlops_err *err)
{
	size_t *order = xcalloc(w->nbuckets, sizeof(*order)), n = 0;
	int ret = 0;

	for (size_t i = 0; i < w->nbuckets; i++)
		if (w->buckets[i].pending_rows)
			order[n++] = i;
	qsort_r(order, n, sizeof(*order), by_pending_desc, w->buckets);
	for (size_t i = 0; i < n && ret == 0 && w->pending >
	     PENDING_BUDGET / 2; i++)
		ret = bucket_flush(w, &w->buckets[order[i]], err);
	free(order);
	return ret;
}

int feature_offline_writer_add(struct feature_offline_writer *w,
			       char *const *values, int64_t event_time_us,
			       int deleted, struct mlops_err *err)
{
	const struct feature_group *g = w->g;
	struct bucket *b = bucket_for(w, floor_div(event_time_us,
						   3600 * TIME_US_PER_SEC));
	size_t before = b->pending.len;
	int ret;

	for (size_t i = 0; i < g->nfeatures; i++)
		w->fields[i] = values[i];
	w->fields[g->nfeatures] = w->write_time;
	w->fields[g->nfeatures + 1] = w->write_time;
	w->fields[g->nfeatures + 2] = deleted ? "true" : "false";
	csv_write_record(&b->pending, g->nfeatures + EXTRA_COLUMNS, w->fields);
	b->pending_rows++;
	ret = feature_run_writer_add(w->run, values[g->id_index],
				     event_time_us, deleted, values, err);
	if (ret < 0)
		return ret;
	w->pending += b->pending.len - before;
	if (w->pending > PENDING_BUDGET)
		return flush_largest(w, err);
	return 0;
}

static int list_part(struct feature_offline_writer *w, sqlite3_stmt *q,
		     const struct part *p, int64_t *first, int64_t *last,
		     struct mlops_err *err)
{
	int ret;

	sqlite3_reset(q);
	sqlite3_bind_int64(q, 1, w->g->id);
	sqlite3_bind_text(q, 2, p->rel_path, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, p->rows);
	sqlite3_bind_int64(q, 4, p->bytes);
	sqlite3_bind_int64(q, 5, w->write_time_us);
	ret = store_step_done(q, "cannot list an offline file", err);
	if (ret < 0)
		return ret;
	*last = sqlite3_last_insert_rowid(w->st->db);
	if (!*first)
		*first = *last;
	return 0;
}

/* Make the files and their renames durable before the transaction that
 * lists them commits. */
static int sync_store(struct feature_offline_writer *w, struct mlops_err *err)
{
	int fd = open(w->st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret = 0;

	if (fd < 0 || syncfs(fd) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "sync the offline files of '%s'",
				      w->g->name);
	if (fd >= 0)
		close(fd);
	return ret;
}

int feature_offline_writer_publish(struct feature_offline_writer *w,
				   struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int64_t first = 0, last = 0;
	int ret = 0;

	for (size_t i = 0; i < w->nbuckets && ret == 0; i++)
		ret = bucket_flush(w, &w->buckets[i], err);
	for (size_t i = 0; i < w->n && ret == 0; i++)
		if (w->parts[i].fd >= 0)
			ret = part_close(w, &w->parts[i], err);
	if (ret == 0)
		ret = store_prepare(w->st, &q, "INSERT INTO feature_part "
				    "(group_id, path, rows, bytes, "
				    "write_time_us) VALUES (?1, ?2, ?3, ?4, "
				    "?5)", err);
	for (size_t i = 0; i < w->n && ret == 0; i++) {
		struct part *p = &w->parts[i];
		char *path = store_path(w->st, p->rel_path);
		char *dir = fs_path_dirname(path);

		if ((ret = list_part(w, q, p, &first, &last, err)) == 0 &&
		    (ret = fs_mkdir_p(dir, err)) == 0) {
			if (rename(p->tmp_path, path) < 0)
				ret = mlops_err_errno(err, MLOPS_EINTERNAL,
						      errno, "cannot rename "
						      "'%s'", p->tmp_path);
			else
				p->published = 1;
		}
		free(path);
		free(dir);
	}
	sqlite3_finalize(q);
	if (ret == 0 && w->n) {
		char *name = xasprintf("run-%" PRId64 "-%s", w->write_time_us,
				       w->token);

		ret = feature_run_writer_publish(w->run, w->st, w->g, first,
						 last, name, err);
		free(name);
	}
	if (ret == 0 && w->n)
		ret = sync_store(w, err);
	return ret;
}

/* Close p without finishing it (its content is being thrown away). */
static void part_discard(struct feature_offline_writer *w, struct part *p)
{
	if (p->fd < 0)
		return;
	gzclose(p->gz);
	close(p->fd);
	p->fd = -1;
	w->nopen--;
}

void feature_offline_writer_abort(struct feature_offline_writer *w)
{
	feature_run_writer_abort(w->run);
	for (size_t i = 0; i < w->n; i++) {
		struct part *p = &w->parts[i];

		part_discard(w, p);
		if (p->published) {
			char *path = store_path(w->st, p->rel_path);

			unlink(path);
			free(path);
			p->published = 0;
		} else {
			unlink(p->tmp_path);
		}
	}
}

void feature_offline_writer_free(struct feature_offline_writer *w)
{
	if (!w)
		return;
	for (size_t i = 0; i < w->n; i++) {
		struct part *p = &w->parts[i];

		if (p->fd >= 0) {
			part_discard(w, p);
			unlink(p->tmp_path);
		}
		free(p->tmp_path);
		free(p->rel_path);
	}
	for (size_t i = 0; i < w->nbuckets; i++)
		buf_release(&w->buckets[i].pending);
	free(w->buckets);
	free(w->slots);
	free(w->parts);
	free(w->fields);
	free(w->tmpdir);
	feature_run_writer_free(w->run);
	buf_release(&w->header);
	free(w);
}

int feature_offline_each_part(struct store *st, const struct feature_group *g,
			      int64_t as_of_us,
			      int (*fn)(const struct feature_offline_part *p,
					void *arg),
			      void *arg, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT id, path, rows, write_time_us "
			    "FROM feature_part WHERE group_id = ?1 AND "
			    "write_time_us <= ?2 ORDER BY id", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, g->id);
	sqlite3_bind_int64(q, 2, as_of_us);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct feature_offline_part p;

		p.id = sqlite3_column_int64(q, 0);
		p.path = store_path(st, (const char *)
				    sqlite3_column_text(q, 1));
		p.rows = sqlite3_column_int64(q, 2);
		p.write_time_us = sqlite3_column_int64(q, 3);
		ret = fn(&p, arg);
		free(p.path);
		if (ret)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot list offline files",
					err);
	sqlite3_finalize(q);
	return ret;
}

struct part_list {
	struct feature_offline_part *v;
	size_t n, cap;
};

static int list_one(const struct feature_offline_part *part, void *arg)
{
	struct part_list *list = arg;

	ALLOC_GROW(list->v, list->n + 1, list->cap);
	list->v[list->n] = *part;
	list->v[list->n++].path = xstrdup(part->path);
	return 0;
}

int feature_offline_list(struct store *st, const struct feature_group *g,
			 int64_t as_of_us, struct feature_offline_part **out,
			 size_t *n, struct mlops_err *err)
{
	struct part_list list = { NULL, 0, 0 };
	int ret = feature_offline_each_part(st, g, as_of_us, list_one, &list,
					    err);

	if (ret < 0) {
		feature_offline_list_free(list.v, list.n);
		return ret;
	}
	*out = list.v;
	*n = list.n;
	return 0;
}

void feature_offline_list_free(struct feature_offline_part *parts, size_t n)
{
	for (size_t i = 0; parts && i < n; i++)
		free(parts[i].path);
	free(parts);
}

int feature_offline_read_part(const char *path, struct buf *out,
		      struct mlops_err *err)
{
	gzFile gz = gzopen(path, "rbe");
	int n;

	if (!gz)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot open '%s'", path);
	gzbuffer(gz, 256 * 1024);
	do {
		buf_grow(out, 1u << 20);
		n = gzread(gz, out->s + out->len, 1u << 20);
		if (n > 0)
			buf_setlen(out, out->len + (size_t)n);
	} while (n > 0);
	if (n < 0) {
		int zerr;
		const char *why = gzerror(gz, &zerr);

		mlops_err_set(err, MLOPS_EINTERNAL, "cannot read '%s': %s",
			      path, why);
		gzclose(gz);
		return MLOPS_EINTERNAL;
	}
	gzclose(gz);
	return 0;
}

static int find_column(size_t n, char **names, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], want) == 0)
			return (int)i;
	return -1;
}

int feature_offline_each_row(const char *path, const struct feature_group *g,
			     struct buf *data,
			     int (*fn)(void *arg, char *const *values,
				       int64_t t, int deleted,
				       struct mlops_err *err),
			     void *arg, struct mlops_err *err)
{
	struct csv_reader *r;
	char **fields, **values = xcalloc(g->nfeatures, sizeof(*values));
	int *col = xcalloc(g->nfeatures, sizeof(*col));
	int id, time, deleted, ret;
	size_t ncols;
	int64_t t;

	buf_reset(data);
	if ((ret = feature_offline_read_part(path, data, err)) < 0)
		goto out;
	r = csv_reader_new_mem(data->s, data->len, path);
	if ((ret = csv_read_header(r, &ncols, &fields, err)) < 0)
		goto done;
	id = find_column(ncols, fields, g->features[g->id_index].name);
	time = find_column(ncols, fields, g->features[g->time_index].name);
	deleted = find_column(ncols, fields, "is_deleted");
	if (id < 0 || time < 0 || deleted < 0) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "%s: not an offline "
				    "file of '%s'", path, g->name);
		goto done;
	}
	for (size_t i = 0; i < g->nfeatures; i++)
		col[i] = find_column(ncols, fields, g->features[i].name);
	while ((ret = csv_read_row(r, ncols, &fields, err)) == 1) {
		if (time_parse(fields[time], &t, err) < 0) {
			ret = mlops_err_prefix(err, "%s:%ld: ", path,
					       csv_record_line(r));
			break;
		}
		for (size_t i = 0; i < g->nfeatures; i++)
			values[i] = col[i] < 0 ? "" : fields[col[i]];
		if ((ret = fn(arg, values, t, strcmp(fields[deleted],
						     "true") == 0, err)) < 0)
			break;
	}
done:
	csv_reader_free(r);
out:
	free(values);
	free(col);
	return ret < 0 ? ret : 0;
}

struct export_state {
	FILE *f;
	struct buf data;
	int header_done;
	struct mlops_err *err;
	struct progress *progress;
};

static int export_part(const struct feature_offline_part *p, void *arg)
{
	struct export_state *x = arg;
	const char *body;
	int ret;

	buf_reset(&x->data);
	if ((ret = feature_offline_read_part(p->path, &x->data, x->err)) < 0)
		return ret;
	/* Header names are plain feature names: no quoted newlines. */
	body = memchr(x->data.s, '\n', x->data.len);
	body = body ? body + 1 : x->data.s + x->data.len;
	if (!x->header_done) {
		body = x->data.s;
		x->header_done = 1;
	}
	if (fwrite(body, 1, (size_t)(x->data.s + x->data.len - body), x->f)
	    != (size_t)(x->data.s + x->data.len - body))
		return mlops_err_errno(x->err, MLOPS_EINTERNAL, errno,
				       "cannot write the export");
	progress_add(x->progress, p->rows > 0 ? (uint64_t)p->rows : 0);
	return 0;
}

int feature_offline_export(struct store *st, const struct feature_group *g,
		   int64_t as_of_us, FILE *f, struct mlops_err *err)
{
	struct export_state x = { f, BUF_INIT, 0, err, st->progress };
	int ret;

	progress_start(x.progress, PROGRESS_ROWS, 0, "export %s", g->name);
	ret = feature_offline_each_part(st, g, as_of_us, export_part, &x,
					err);

	if (ret == 0 && !x.header_done) {
		/* No file yet: still one header, so readers see the columns. */
		struct feature_offline_writer *w;

		if ((ret = feature_offline_writer_new(&w, st, g, 0, err)) < 0)
			goto out;
		if (fwrite(w->header.s, 1, w->header.len, f) != w->header.len)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot write the export");
		feature_offline_writer_free(w);
	}
out:
	if (ret == 0)
		progress_done(x.progress);
	buf_release(&x.data);
	return ret;
}
