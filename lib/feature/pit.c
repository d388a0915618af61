/* pit.c - point-in-time joins by external sort and merge; see feature.h.
 *
 * Sort keys: k0 is a 64-bit hash of the ID (so that the radix sort does
 * most of the work and equal IDs meet), the key bytes are the ID itself
 * (hash collisions stay apart), k1 the event time with its sign bit
 * flipped (so that unsigned order is time order), and k2 the tie-breaker:
 * a feature row's write order (its file's feature_part id, then its row),
 * or for an entity row its row number with the top bit set, so that at
 * equal times every feature row comes first: allow_exact_matches.
 *
 * Feature rows come from the sorted runs of run.c where they are there
 * and intact (unwritten since they were made, or else matching their
 * SHA-256, checked on a second thread while the entity file is read),
 * merged as they are; the CSV files of any other writer are
 * decompressed, parsed and sorted with the entity rows. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/csv.h"
#include "core/extsort.h"
#include "feature/feature.h"
#include "feature/offline.h"
#include "core/fs.h"
#include "core/time.h"
#include "core/xalloc.h"

#define ENTITY_BIT FEATURE_RUN_ENTITY_BIT
#define OUT_FLUSH (64u * 1024)

int feature_pit_request_parse(struct feature_pit_request *req, const char *arg,
		      struct mlops_err *err)
{
	char *colon, *p;
	size_t cap = 0;

	memset(req, 0, sizeof(*req));
	req->text = xstrdup(arg);
	req->group = req->text;
	colon = strchr(req->text, ':');
	if (colon) {
		*colon = '\0';
		for (p = colon + 1; p; ) {
			char *comma = strchr(p, ',');

			if (comma)
				*comma = '\0';
			if (!*p)
				goto bad;
			ALLOC_GROW(req->features, req->nfeatures + 1, cap);
			req->features[req->nfeatures++] = p;
			p = comma ? comma + 1 : NULL;
		}
	}
	if (!*req->group)
		goto bad;
	return 0;
bad:
	feature_pit_request_release(req);
	return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not GROUP or "
			     "GROUP:feature,feature", arg);
}

void feature_pit_request_release(struct feature_pit_request *req)
{
	free(req->features);
	free(req->text);
	memset(req, 0, sizeof(*req));
}

/* One range of ID hashes of one group, joined on a thread of its own:
 * its entity and feature rows sorted by (ID, time), and its answers
 * sorted by entity row. */
struct pit_shard {
	struct pit *p;
	struct pit_group *pg;
	struct extsort *s;
	struct extsort *answers;	/* (row number) -> packed values */
	const struct extsort_rec *next;	/* its next answer, or NULL */
	struct buf last, last_id;	/* the last feature row seen */
	struct mlops_err err;
	int ret;
};

/* One requested group, resolved. */
struct pit_group {
	struct feature_group *g;
	size_t nsel;
	size_t *sel;		/* feature indices to output */
	char **all;		/* an answer's g->nfeatures values */
	struct pit_shard *shards;	/* nshards of struct pit */
	struct buf vals;	/* the current row's values of this group */
};

struct pit {
	struct store *st;
	const struct feature_pit_opts *o;
	char *tmpdir;
	int fd;			/* the entity file, seekable */
	char *spool;		/* its temporary copy, when stdin */
	size_t id_col, time_col, ncols;
	uint64_t nentities;	/* rows of the entity file */
	char *time_name;	/* the time column's name, for messages */
	struct pit_group *groups;
	size_t ngroups;
	unsigned nshards;	/* a power of 2: ranges of ID hashes */
	struct buf packed, data;
};

/* The shard of hash k0: its top bits. */
static unsigned shard_of(const struct pit *p, uint64_t k0)
{
	return p->nshards == 1 ? 0 :
		(unsigned)(k0 >> (64 - __builtin_ctz(p->nshards)));
}

/* As many shards as there are processors (or $MLOPS_THREADS), a power
 * of 2, at most 8. */
static unsigned shard_count(void)
{
	const char *env = getenv("MLOPS_THREADS");
	long n = env && *env ? strtol(env, NULL, 10) :
		sysconf(_SC_NPROCESSORS_ONLN);
	unsigned k = 1;

	while (k * 2 <= 8 && (long)k * 2 <= n)
		k *= 2;
	return k;
}

#define hash_id feature_run_id_hash
#define time_key feature_run_time_key

static int resolve_group(struct pit *p, struct pit_group *pg,
			 const struct feature_pit_request *req,
			 struct mlops_err *err)
{
	struct feature_group *g;
	int ret;

	if ((ret = feature_load(p->st, req->group, &pg->g, err)) < 0)
		return ret;
	g = pg->g;
	pg->sel = xcalloc(g->nfeatures, sizeof(*pg->sel));
	pg->all = xcalloc(g->nfeatures, sizeof(*pg->all));
	if (!g->offline)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "feature group "
				     "'%s' has no offline store to join",
				     g->name);
	if (req->nfeatures == 0) {
		for (size_t i = 0; i < g->nfeatures; i++)
			if (i != g->id_index && i != g->time_index)
				pg->sel[pg->nsel++] = i;
		return 0;
	}
	if (req->nfeatures > g->nfeatures)
		return mlops_err_set(err, MLOPS_EUSAGE, "too many features "
				     "for group '%s'", g->name);
	for (size_t i = 0; i < req->nfeatures; i++) {
		int f = feature_group_find(g, req->features[i]);

		if (f < 0)
			return mlops_err_set(err, MLOPS_ENOTFOUND, "feature "
					     "group '%s' has no feature '%s'",
					     g->name, req->features[i]);
		pg->sel[pg->nsel++] = (size_t)f;
	}
	return 0;
}

/* Make the entity file seekable: stdin or a pipe is copied to tmp/. */
static int open_entities(struct pit *p, struct mlops_err *err)
{
	const char *path = p->o->entities;
	struct stat sb;
	char buf[65536];
	ssize_t n;
	int in;

	if (strcmp(path, "-") != 0) {
		p->fd = fs_open_input(path, err);
		if (p->fd < 0)
			return p->fd;
		if (fstat(p->fd, &sb) == 0 && S_ISREG(sb.st_mode))
			return 0;
		in = p->fd;
	} else {
		in = STDIN_FILENO;
	}
	p->fd = fs_tmpfile_open(p->tmpdir, "entities", &p->spool, err);
	if (p->fd < 0)
		return p->fd;
	unlink(p->spool);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (fs_write_all(p->fd, buf, (size_t)n) < 0)
			return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					       "cannot copy the entities");
	if (in != STDIN_FILENO)
		close(in);
	if (n < 0)
		return mlops_err_errno(err, MLOPS_EINPUT, errno,
				       "cannot read '%s'", path);
	return 0;
}

static const char *entity_name(const struct pit *p)
{
	return strcmp(p->o->entities, "-") == 0 ? "<stdin>" : p->o->entities;
}

/* Open a reader on the entity file from its start, past the header. */
static int rewind_entities(struct pit *p, struct csv_reader **out,
			   size_t *ncols, char ***names,
			   struct mlops_err *err)
{
	int ret;

	if (lseek(p->fd, 0, SEEK_SET) < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot rewind '%s'", entity_name(p));
	*out = csv_reader_new(p->fd, entity_name(p));
	ret = csv_read_header(*out, ncols, names, err);
	if (ret < 0) {
		csv_reader_free(*out);
		*out = NULL;
	}
	return ret;
}

static int find_column(size_t n, char **names, const char *want)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], want) == 0)
			return (int)i;
	return -1;
}

static int output_header(struct pit *p, char **names, char ***out,
			 size_t *n, struct mlops_err *err);
static void free_header(char **cols, size_t n);

/* Find the ID and time columns in the entity header, and check the
 * output's column names before any work is done. */
static int entity_columns(struct pit *p, struct mlops_err *err)
{
	const struct feature_group *g0 = p->groups[0].g;
	const char *idc = p->o->id_column ? p->o->id_column :
		g0->features[g0->id_index].name;
	const char *tc = p->o->time_column ? p->o->time_column :
		g0->features[g0->time_index].name;
	struct csv_reader *r = NULL;
	char **names;
	int ret, i, j;

	if ((ret = rewind_entities(p, &r, &p->ncols, &names, err)) < 0)
		return ret;
	i = find_column(p->ncols, names, idc);
	j = find_column(p->ncols, names, tc);
	if (i < 0 || j < 0)
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s:1: no %s column "
				    "'%s' (see %s)", entity_name(p),
				    i < 0 ? "ID" : "time", i < 0 ? idc : tc,
				    i < 0 ? "--id-column" : "--time-column");
	p->id_col = (size_t)i;
	p->time_col = (size_t)j;
	p->time_name = xstrdup(tc);
	if (ret == 0) {
		char **cols = NULL;
		size_t n = 0;

		ret = output_header(p, names, &cols, &n, err);
		free_header(cols, n);
	}
	csv_reader_free(r);
	return ret;
}

/* Sort every entity row into its shard by (ID, time), marked as an
 * entity. */
static int add_entities(struct pit *p, struct pit_group *pg,
			struct mlops_err *err)
{
	struct csv_reader *r = NULL;
	char **fields;
	size_t ncols;
	uint64_t row = 0;
	int64_t t;
	int ret;

	if ((ret = rewind_entities(p, &r, &ncols, &fields, err)) < 0)
		return ret;
	while ((ret = csv_read_row(r, ncols, &fields, err)) == 1) {
		const char *id = fields[p->id_col];
		const char *when = fields[p->time_col];

		if (time_parse(when, &t, err) < 0) {
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: %s: "
					    "\"%s\" is not a timestamp "
					    "(RFC 3339 or Unix seconds)",
					    entity_name(p),
					    csv_record_line(r),
					    p->time_name, when);
			break;
		}
		uint64_t h = hash_id(id, strlen(id));

		if (*id && (ret = extsort_add(pg->shards[shard_of(p, h)].s, h,
					      id, strlen(id), time_key(t),
					      ENTITY_BIT | row, NULL, 0,
					      err)) < 0)
			break;
		row++;
		progress_add(p->st->progress, 1);
	}
	p->nentities = row;
	csv_reader_free(r);
	return ret;
}

struct part_ctx {
	struct pit *p;
	struct pit_group *pg;
	struct mlops_err *err;
	uint64_t order;		/* the file's write order, then its row */
};

static int add_row(void *arg, char *const *values, int64_t t, int deleted,
		   struct mlops_err *err)
{
	struct part_ctx *c = arg;
	struct pit *p = c->p;
	const struct feature_group *g = c->pg->g;
	const char *id = values[g->id_index];
	uint64_t h = hash_id(id, strlen(id));

	/* Payload: the deleted flag, then every value, as in a run. */
	progress_add(p->st->progress, 1);
	buf_reset(&p->packed);
	buf_addch(&p->packed, deleted);
	feature_group_pack(&p->packed, g->nfeatures, values);
	return extsort_add(c->pg->shards[shard_of(p, h)].s, h, id, strlen(id),
			   time_key(t), c->order++, p->packed.s,
			   p->packed.len, err);
}

/* Sort every row of one offline file into s. */
static int add_part(const struct feature_offline_part *part, void *arg)
{
	struct part_ctx *c = arg;

	c->order = (uint64_t)part->id << 32;
	return feature_offline_each_row(part->path, c->pg->g, &c->p->data,
					add_row, c, c->err);
}

/* Walk the shard's sorted (ID, time) stream and keep, for each entity
 * row, the last feature row before it of the same ID. */
static int pick_answers(struct pit_shard *sh, struct mlops_err *err)
{
	const struct extsort_rec *r;
	uint64_t cur_hash = 0;
	int64_t last_t = 0, ttl = sh->pg->g->ttl_us;
	int have_last = 0, ret;

	while ((ret = extsort_next(sh->s, &r, err)) == 1) {
		if (r->k0 != cur_hash || r->keylen != sh->last_id.len ||
		    memcmp(r->data, sh->last_id.s, r->keylen) != 0) {
			cur_hash = r->k0;
			buf_reset(&sh->last_id);
			buf_add(&sh->last_id, r->data, r->keylen);
			have_last = 0;
		}
		if (!(r->k2 & ENTITY_BIT)) {
			buf_reset(&sh->last);
			buf_add(&sh->last, r->data + r->keylen, r->datalen);
			last_t = (int64_t)(r->k1 ^ ENTITY_BIT);
			have_last = 1;
			continue;
		}
		if (!have_last || sh->last.s[0] ||
		    (ttl && (int64_t)(r->k1 ^ ENTITY_BIT) - last_t > ttl))
			continue;
		ret = extsort_add(sh->answers, r->k2 & ~ENTITY_BIT, NULL, 0,
				  0, 0, sh->last.s + 1, sh->last.len - 1, err);
		if (ret < 0)
			return ret;
	}
	return ret;
}

/* Sort the shard, pick its answers and sort them: on a thread of its
 * own, touching nothing but the shard. */
static void *join_shard(void *arg)
{
	struct pit_shard *sh = arg;

	if ((sh->ret = extsort_finish(sh->s, &sh->err)) == 0 &&
	    (sh->ret = pick_answers(sh, &sh->err)) == 0)
		sh->ret = extsort_finish(sh->answers, &sh->err);
	extsort_free(sh->s);
	sh->s = NULL;
	buf_release(&sh->last);
	buf_release(&sh->last_id);
	return NULL;
}

/* The feature rows of one group: its files as of the as-of time, and
 * the sorted runs that copy some of them. */
struct pit_sources {
	struct feature_offline_part *parts;	/* by id */
	size_t nparts;
	struct feature_run_info *runs;
	size_t nruns;
	int *fds;		/* of each run, or -1 when not used */
	int *unchanged;		/* its stat is as made: no hash needed */
	int hashing;		/* some run must be hashed */
	size_t nfeatures;
};

/* How many of the files with ids first..last are in src->parts, from
 * index *at on (runs and files both go by id). */
static size_t parts_in(const struct pit_sources *src, size_t *at,
		       int64_t first, int64_t last)
{
	size_t n = 0;

	while (*at < src->nparts && src->parts[*at].id < first)
		(*at)++;
	for (size_t i = *at; i < src->nparts && src->parts[i].id <= last; i++)
		n++;
	return n;
}

/* List the files and runs, and open the runs that copy files the join
 * reads (all of their files or none: a writer's files share a write
 * time). A run that cannot be opened or has a wrong header is left out:
 * its files are read instead. */
static int collect_sources(struct pit *p, struct pit_group *pg,
			   struct pit_sources *src, struct mlops_err *err)
{
	size_t at = 0;
	int ret;

	src->nfeatures = pg->g->nfeatures;
	if ((ret = feature_offline_list(p->st, pg->g, p->o->as_of_us,
					&src->parts, &src->nparts, err)) < 0 ||
	    (ret = feature_run_list(p->st, pg->g, &src->runs, &src->nruns,
				    err)) < 0)
		return ret;
	src->fds = xcalloc(src->nruns ? src->nruns : 1, sizeof(int));
	src->unchanged = xcalloc(src->nruns ? src->nruns : 1, sizeof(int));
	for (size_t i = 0; i < src->nruns; i++) {
		const struct feature_run_info *r = &src->runs[i];
		struct mlops_err ignored = MLOPS_ERR_INIT;

		src->fds[i] = -1;
		if (parts_in(src, &at, r->first_part, r->last_part) ==
		    (size_t)(r->last_part - r->first_part + 1) &&
		    feature_run_open(r, src->nfeatures, &src->fds[i],
				     &src->unchanged[i], &ignored) == 0)
			src->hashing |= !src->unchanged[i];
	}
	return 0;
}

/* Check each opened run against its SHA-256; close those that differ.
 * Runs on a thread of its own while the entity file is read. */
static void *verify_runs(void *arg)
{
	struct pit_sources *src = arg;

	for (size_t i = 0; i < src->nruns; i++) {
		struct mlops_err ignored = MLOPS_ERR_INIT;

		if (src->fds[i] >= 0 && !src->unchanged[i] &&
		    feature_run_verify(src->fds[i], &src->runs[i],
				       &ignored) < 0) {
			close(src->fds[i]);
			src->fds[i] = -1;
		}
	}
	return NULL;
}

/* Give each shard its range of the run in fd, a verified one. */
static int add_run(struct part_ctx *c, const struct feature_run_info *r,
		   int fd)
{
	unsigned n = c->p->nshards, width = 256 / n;
	long long start, end;
	int ret = 0;

	for (unsigned i = 0; i < n && ret == 0; i++) {
		struct extsort *s = c->pg->shards[i].s;
		int dup_fd;

		if ((ret = feature_run_range(fd, r, i * width, (i + 1) * width,
					     &start, &end, c->err)) < 0)
			break;
		if (start == end)
			continue;
		dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		if (dup_fd < 0)
			ret = mlops_err_errno(c->err, MLOPS_EINTERNAL, errno,
					      "cannot read '%s'", r->path);
		else
			ret = extsort_add_run(s, dup_fd, start, end, c->err);
	}
	return ret;
}

/* Give the verified runs to the sort, and sort the rows of every file
 * no run copies. */
static int add_sources(struct part_ctx *c, struct pit_sources *src)
{
	size_t at = 0;
	int ret = 0;

	for (size_t i = 0; i < src->nruns && ret == 0; i++) {
		const struct feature_run_info *r = &src->runs[i];
		size_t n;

		if (src->fds[i] < 0)
			continue;
		n = parts_in(src, &at, r->first_part, r->last_part);
		for (size_t k = at; k < at + n; k++)
			src->parts[k].rows = -1;	/* read from the run */
		ret = add_run(c, r, src->fds[i]);
	}
	for (size_t i = 0; i < src->nparts && ret == 0; i++)
		if (src->parts[i].rows >= 0)
			ret = add_part(&src->parts[i], c);
	return ret;
}

static void sources_release(struct pit_sources *src)
{
	for (size_t i = 0; src->fds && i < src->nruns; i++)
		if (src->fds[i] >= 0)
			close(src->fds[i]);
	feature_offline_list_free(src->parts, src->nparts);
	free(src->fds);
	free(src->unchanged);
	feature_run_list_free(src->runs, src->nruns);
}

/* The memory: 3/8 to the main sorts (whose merges keep their records
 * in memory and take half as much again in read buffers), 1/4 to the
 * answers, shared among the shards, and the rest for everything else
 * (the program itself, the CSV reader, the output buffer), so that
 * --memory bounds the process. */
static int join_group(struct pit *p, struct pit_group *pg,
		      struct mlops_err *err)
{
	struct part_ctx c = { p, pg, err, 0 };
	struct pit_sources src = { NULL };
	pthread_t verifier, *threads;
	int ret, threaded = 0;

	pg->shards = xcalloc(p->nshards, sizeof(*pg->shards));
	threads = xcalloc(p->nshards, sizeof(*threads));
	progress_start(p->st->progress, PROGRESS_ROWS, 0, "dataset: join %s",
		       pg->g->name);
	for (unsigned i = 0; i < p->nshards; i++) {
		struct pit_shard *sh = &pg->shards[i];

		sh->p = p;
		sh->pg = pg;
		sh->s = extsort_new(p->tmpdir, p->o->memory / 8 * 3 /
				    p->nshards);
		sh->answers = extsort_new(p->tmpdir, p->o->memory / 4 /
					  p->nshards);
		buf_init(&sh->last);
		buf_init(&sh->last_id);
		mlops_err_clear(&sh->err);
	}
	if ((ret = collect_sources(p, pg, &src, err)) == 0) {
		threaded = src.hashing &&
			pthread_create(&verifier, NULL, verify_runs,
				       &src) == 0;
		if (!threaded)
			verify_runs(&src);
		ret = add_entities(p, pg, err);
		if (threaded)
			pthread_join(verifier, NULL);
	}
	if (ret == 0)
		ret = add_sources(&c, &src);
	sources_release(&src);
	if (ret == 0) {
		/* Shard 0 on this thread, the others on their own; one that
		 * cannot start runs here too. */
		for (unsigned i = 1; i < p->nshards; i++)
			if (pthread_create(&threads[i], NULL, join_shard,
					   &pg->shards[i]) != 0) {
				join_shard(&pg->shards[i]);
				threads[i] = pthread_self();
			}
		join_shard(&pg->shards[0]);
		for (unsigned i = 1; i < p->nshards; i++)
			if (!pthread_equal(threads[i], pthread_self()))
				pthread_join(threads[i], NULL);
		for (unsigned i = 0; i < p->nshards && ret == 0; i++)
			if ((ret = pg->shards[i].ret) < 0)
				*err = pg->shards[i].err;
	}
	free(threads);
	return ret;
}

/* The output header: entity columns, then GROUP__feature (or plain). */
static int output_header(struct pit *p, char **names, char ***out,
			 size_t *n, struct mlops_err *err)
{
	size_t total = p->ncols, k = 0;
	char **cols;

	for (size_t i = 0; i < p->ngroups; i++)
		total += p->groups[i].nsel;
	cols = xcalloc(total, sizeof(*cols));
	for (size_t i = 0; i < p->ncols; i++)
		cols[k++] = xstrdup(names[i]);
	for (size_t i = 0; i < p->ngroups; i++) {
		const struct pit_group *pg = &p->groups[i];

		for (size_t j = 0; j < pg->nsel; j++)
			cols[k++] = p->o->plain_names ?
				xstrdup(pg->g->features[pg->sel[j]].name) :
				xasprintf("%s__%s", pg->g->name,
					  pg->g->features[pg->sel[j]].name);
	}
	*out = cols;
	*n = total;
	for (size_t i = p->ncols; i < total; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(cols[i], cols[j]) == 0)
				return mlops_err_set(err, MLOPS_EUSAGE,
						     "output column '%s' "
						     "appears twice%s",
						     cols[i],
						     p->o->plain_names ?
						     " (drop --plain-names)" :
						     "");
	return 0;
}

static void free_header(char **cols, size_t n)
{
	for (size_t i = 0; cols && i < n; i++)
		free(cols[i]);
	free(cols);
}

static int flush_out(struct pit *p, struct buf *out, struct mlops_err *err)
{
	if (out->len && fwrite(out->s, 1, out->len, p->o->out) != out->len)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot write the dataset");
	buf_reset(out);
	return 0;
}

/* Set the nsel values of group pg at out when one of its shards has an
 * answer for entity row rowno; 0, or an error. */
static int take_answer(struct pit *p, struct pit_group *pg, uint64_t rowno,
		       char **out, struct mlops_err *err)
{
	for (unsigned i = 0; i < p->nshards; i++) {
		struct pit_shard *sh = &pg->shards[i];
		int ret;

		if (!sh->next || sh->next->k0 != rowno)
			continue;
		ret = feature_group_unpack(sh->next->data, sh->next->datalen,
					   pg->g->nfeatures, pg->all,
					   &pg->vals, err);
		for (size_t j = 0; ret == 0 && j < pg->nsel; j++)
			out[j] = pg->all[pg->sel[j]];
		if (ret < 0 ||
		    (ret = extsort_next(sh->answers, &sh->next, err)) < 0)
			return ret;
		if (ret == 0)
			sh->next = NULL;
		return 0;
	}
	return 0;
}

/* The final pass: each entity row with its answers, in input order. */
static int write_rows(struct pit *p, struct mlops_err *err)
{
	struct csv_reader *r = NULL;
	struct buf out = BUF_INIT;
	char **fields, **cols = NULL, **row = NULL;
	size_t ncols, total = 0, k;
	uint64_t rowno = 0;
	int ret;

	if ((ret = rewind_entities(p, &r, &ncols, &fields, err)) < 0)
		return ret;
	if ((ret = output_header(p, fields, &cols, &total, err)) < 0)
		goto out;
	csv_write_record(&out, total, cols);
	row = xcalloc(total, sizeof(*row));
	progress_start(p->st->progress, PROGRESS_ROWS, p->nentities,
		       "dataset: write");
	for (size_t i = 0; i < p->ngroups; i++)
		for (unsigned j = 0; j < p->nshards; j++) {
			struct pit_shard *sh = &p->groups[i].shards[j];

			if ((ret = extsort_next(sh->answers, &sh->next,
						err)) < 0)
				goto out;
			if (ret == 0)
				sh->next = NULL;
		}
	while ((ret = csv_read_row(r, ncols, &fields, err)) == 1) {
		for (k = 0; k < ncols; k++)
			row[k] = fields[k];
		for (size_t i = 0; i < p->ngroups; i++) {
			struct pit_group *pg = &p->groups[i];

			for (size_t j = 0; j < pg->nsel; j++)
				row[k + j] = "";
			if ((ret = take_answer(p, pg, rowno, row + k,
					       err)) < 0)
				goto out;
			k += pg->nsel;
		}
		csv_write_record(&out, total, row);
		rowno++;
		progress_add(p->st->progress, 1);
		if (out.len >= OUT_FLUSH && (ret = flush_out(p, &out, err)) < 0)
			goto out;
	}
	if (ret == 0)
		ret = flush_out(p, &out, err);
out:
	free_header(cols, total);
	free(row);
	buf_release(&out);
	csv_reader_free(r);
	return ret;
}

int feature_pit_dataset(struct store *st, const struct feature_pit_opts *o,
		struct mlops_err *err)
{
	struct pit p = { st, o };
	int ret = 0;

	p.fd = -1;
	p.tmpdir = store_path(st, "tmp");
	buf_init(&p.packed);
	buf_init(&p.data);
	p.nshards = shard_count();
	p.groups = xcalloc(o->nrequests, sizeof(*p.groups));
	for (size_t i = 0; i < o->nrequests; i++)
		buf_init(&p.groups[i].vals);
	for (size_t i = 0; i < o->nrequests && ret == 0; i++) {
		ret = resolve_group(&p, &p.groups[i], &o->requests[i], err);
		p.ngroups++;
	}
	if (ret == 0 && p.ngroups == 0)
		ret = mlops_err_set(err, MLOPS_EUSAGE, "no --features given");
	if (ret == 0)
		ret = open_entities(&p, err);
	if (ret == 0)
		ret = entity_columns(&p, err);
	for (size_t i = 0; i < p.ngroups && ret == 0; i++)
		ret = join_group(&p, &p.groups[i], err);
	if (ret == 0)
		ret = write_rows(&p, err);
	if (ret == 0)
		progress_done(st->progress);
	for (size_t i = 0; i < p.ngroups; i++) {
		feature_group_free(p.groups[i].g);
		free(p.groups[i].sel);
		free(p.groups[i].all);
		for (unsigned j = 0; p.groups[i].shards && j < p.nshards;
		     j++) {
			struct pit_shard *sh = &p.groups[i].shards[j];

			extsort_free(sh->s);
			extsort_free(sh->answers);
			buf_release(&sh->last);
			buf_release(&sh->last_id);
		}
		free(p.groups[i].shards);
		buf_release(&p.groups[i].vals);
	}
	free(p.groups);
	if (p.fd >= 0)
		close(p.fd);
	free(p.spool);
	free(p.time_name);
	free(p.tmpdir);
	buf_release(&p.packed);
	buf_release(&p.data);
	return ret;
}
