/* profile.c - one streaming pass over a dataset into per-column
 * summaries: counts by type, mean and variance by Welford's method, a KLL
 * sketch of the numbers, exact value counts up to
 * MONITOR_PROFILE_DISTINCT_CAP and a HyperLogLog of every value. Memory
 * depends on the number of columns, never on the number of rows. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/csv.h"
#include "core/jsonio.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "monitor/monitor.h"

static void column_init(struct monitor_profile_column *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = xstrdup(name);
	c->min = INFINITY;
	c->max = -INFINITY;
	monitor_kll_init(&c->kll, MONITOR_KLL_DEFAULT_K, MONITOR_KLL_DEFAULT_C);
	c->dist_slots = 2 * MONITOR_PROFILE_DISTINCT_CAP;
	c->dist = xcalloc(c->dist_slots, sizeof(*c->dist));
	c->dist_hash = xcalloc(c->dist_slots, sizeof(*c->dist_hash));
	monitor_hll_init(&c->hll);
}

static void column_release(struct monitor_profile_column *c)
{
	free(c->name);
	monitor_kll_release(&c->kll);
	for (size_t i = 0; i < c->dist_slots; i++)
		free(c->dist[i].value);
	free(c->dist);
	free(c->dist_hash);
	free(c->values);
}

void monitor_profile_release(struct monitor_profile *p)
{
	for (size_t i = 0; i < p->ncols; i++)
		column_release(&p->cols[i]);
	free(p->cols);
	memset(p, 0, sizeof(*p));
}

/* A value the exact table has no room for. HyperLogLog is only needed
 * once the table overflows: it is then given the hash of every value in
 * the table, which are all the values seen so far, and from there on
 * every value the table does not hold (HLL ignores repeats, so this
 * yields the same registers as adding every value). */
static void overflow(struct monitor_profile_column *c, uint64_t h)
{
	if (!c->dist_overflow) {
		c->dist_overflow = 1;
		for (size_t i = 0; i < c->dist_slots; i++)
			if (c->dist[i].value)
				monitor_hll_add_hash(&c->hll, c->dist[i].hash);
	}
	monitor_hll_add_hash(&c->hll, h);
}

static inline int same_bytes(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

static void count_value(struct monitor_profile_column *c, const char *s,
			size_t len)
{
	uint64_t h = monitor_hll_hash(s, len), key = h ? h : 1;
	size_t i = h & (c->dist_slots - 1);

	for (;; i = (i + 1) & (c->dist_slots - 1)) {
		struct monitor_profile_distinct *d;

		if (c->dist_hash[i] == 0)
			break;
		d = &c->dist[i];
		if (c->dist_hash[i] == key && d->len == len &&
		    same_bytes(d->value, s, len)) {
			d->count++;
			return;
		}
	}
	if (c->ndist >= MONITOR_PROFILE_DISTINCT_CAP) {
		overflow(c, h);
		return;
	}
	c->dist_hash[i] = key;
	c->dist[i].value = xmalloc(len + 1);
	memcpy(c->dist[i].value, s, len);
	c->dist[i].value[len] = '\0';
	c->dist[i].hash = h;
	c->dist[i].len = len;
	c->dist[i].count = 1;
	c->ndist++;
}

/* Fold n numbers of c, in order, into its moments, extremes and KLL
 * sketch (or its kept values). The mean and the sum of squared
 * deviations of the n are merged into c's by Chan et al.'s pairwise
 * formula, which is as stable as Welford's update one value at a time;
 * sum is the plain running sum. */
static void add_numbers(struct monitor_profile_column *c, const double *v,
			size_t n, int keep)
{
	double sum = c->sum, lo = c->min, hi = c->max, s[4] = {0, 0, 0, 0};
	double q[4] = {0, 0, 0, 0}, mean, m2, d, na = (double)c->n_num, nt;
	size_t i;

	if (n == 0)
		return;
	for (i = 0; i < n; i++) {
		sum += v[i];
		lo = v[i] < lo ? v[i] : lo;
		hi = v[i] > hi ? v[i] : hi;
	}
	for (i = 0; i + 4 <= n; i += 4)
		for (int l = 0; l < 4; l++)
			s[l] += v[i + l];
	for (; i < n; i++)
		s[0] += v[i];
	mean = ((s[0] + s[1]) + (s[2] + s[3])) / (double)n;
	for (i = 0; i + 4 <= n; i += 4)
		for (int l = 0; l < 4; l++)
			q[l] += (v[i + l] - mean) * (v[i + l] - mean);
	for (; i < n; i++)
		q[0] += (v[i] - mean) * (v[i] - mean);
	m2 = (q[0] + q[1]) + (q[2] + q[3]);
	c->n_num += n;
	nt = (double)c->n_num;
	d = mean - c->mean;
	c->mean += d * ((double)n / nt);
	c->m2 += m2 + d * d * (na * (double)n / nt);
	c->sum = sum;
	c->min = lo;
	c->max = hi;
	if (keep) {
		ALLOC_GROW(c->values, c->nvalues + n, c->values_cap);
		memcpy(c->values + c->nvalues, v, n * sizeof(*v));
		c->nvalues += n;
	} else {
		monitor_kll_add_many(&c->kll, v, n);
	}
}

/* Count the field s (len bytes, not empty) by type and in the distinct
 * table: its kind (MONITOR_NUMBER_*, *v set for a number), or -1 for
 * text that is not UTF-8. */
static int add_field(struct monitor_profile_column *c, const char *s,
		     size_t len, double *v)
{
	int kind = monitor_number_parse(s, len, v);

	if (kind == MONITOR_NUMBER_TEXT) {
		if (!utf8_valid(s, len))
			return -1;
		c->n_string++;
	} else if (kind == MONITOR_NUMBER_INTEGRAL) {
		c->n_integral++;
	} else {
		c->n_fractional++;
	}
	count_value(c, s, len);
	return kind;
}

static int not_utf8(struct monitor_profile_column *c, const char *name,
		    long line, struct mlops_err *err)
{
	return mlops_err_set(err, MLOPS_EINPUT,
			     "%s:%ld: column '%s': value is not UTF-8", name,
			     line, c->name);
}

static int add_value(struct monitor_profile_column *c, const char *s,
		     size_t len, int keep, const char *name, long line,
		     struct mlops_err *err)
{
	double v;
	int kind;

	if (len == 0) {
		c->n_missing++;
		return 0;
	}
	kind = add_field(c, s, len, &v);
	if (kind < 0)
		return not_utf8(c, name, line, err);
	if (kind != MONITOR_NUMBER_TEXT)
		add_numbers(c, &v, 1, keep);
	return 0;
}

static int set_columns(struct monitor_profile *p, size_t n, char *const *names,
		       const char *name, struct mlops_err *err)
{
	p->cols = xcalloc(n ? n : 1, sizeof(*p->cols));
	for (size_t i = 0; i < n; i++) {
		if (names && !utf8_valid(names[i], strlen(names[i])))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s: column "
					     "%zu: name is not UTF-8",
					     name, i + 1);
		if (names) {
			column_init(&p->cols[i], names[i]);
		} else {
			char *col = xasprintf("_c%zu", i);

			column_init(&p->cols[i], col);
			free(col);
		}
		p->ncols = i + 1;
	}
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(p->cols[i].name, p->cols[j].name) == 0)
				return mlops_err_set(
				    err, MLOPS_EINPUT,
				    "%s: column '%s' appears twice", name,
				    p->cols[i].name);
	return 0;
}

/* CSV is read in blocks of rows. The main thread fills one block with
 * the reader while the threads (the main one too, once it is done
 * filling) profile the block before, each taking whole columns; a column
 * thus sees its values in file order whatever the number of threads,
 * and the profile is the same as one thread makes. */
#define BLOCK_ROWS 4096
#define BLOCK_BYTES (1 << 20)

struct block {
	size_t nrows;
	char *bytes;   /* the fields of every row, NUL-terminated */
	size_t len, cap;
	uint32_t *off; /* row r, field j: bytes + off[r * (ncols + 1) + j] */
	size_t off_cap;
	long line[BLOCK_ROWS];
};

struct csv_pass {
	struct monitor_profile *p;
	const char *name;
	struct block blk[2];
	double **scratch;     /* per column, BLOCK_ROWS numbers */
	size_t *bad_row;      /* per column, its first non-UTF-8 row */
	const struct block *work;
	atomic_size_t next;   /* the next column of work to take */
	struct gate {
		/* A barrier whose size is set once the threads have
		 * started (pthread_create may give fewer than asked). */
		pthread_mutex_t mu;
		pthread_cond_t cv;
		unsigned count, waiting;
		unsigned long gen;
	} gate;
	int done;
};

static void gate_wait(struct gate *g)
{
	unsigned long gen;

	pthread_mutex_lock(&g->mu);
	gen = g->gen;
	if (++g->waiting >= g->count) {
		g->waiting = 0;
		g->gen++;
		pthread_cond_broadcast(&g->cv);
	} else {
		while (gen == g->gen)
			pthread_cond_wait(&g->cv, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
}

static void block_add(struct block *b, size_t n, char *const *fields,
		      const struct csv_reader *r)
{
	size_t base = b->len, span, *lens = NULL, lens_small[64];
	uint32_t *off;
	int contiguous = 1;

	lens = n <= 64 ? lens_small : xmalloc(n * sizeof(*lens));
	for (size_t i = 0; i < n; i++) {
		lens[i] = csv_field_len(r, i);
		if (i + 1 < n && fields[i] + lens[i] + 1 != fields[i + 1])
			contiguous = 0;
	}
	span = (size_t)(fields[n - 1] - fields[0]) + lens[n - 1] + 1;
	ALLOC_GROW(b->off, (b->nrows + 1) * (n + 1), b->off_cap);
	off = b->off + b->nrows * (n + 1);
	if (contiguous) {
		/* The reader keeps a record's fields back to back: one
		 * copy. */
		ALLOC_GROW(b->bytes, b->len + span, b->cap);
		memcpy(b->bytes + b->len, fields[0], span);
		for (size_t i = 0; i < n; i++)
			off[i] = (uint32_t)(base + (size_t)(fields[i] -
							    fields[0]));
		b->len += span;
	} else {
		for (size_t i = 0; i < n; i++) {
			ALLOC_GROW(b->bytes, b->len + lens[i] + 1, b->cap);
			off[i] = (uint32_t)b->len;
			memcpy(b->bytes + b->len, fields[i], lens[i] + 1);
			b->len += lens[i] + 1;
		}
	}
	off[n] = (uint32_t)b->len;
	b->line[b->nrows++] = csv_record_line(r);
	if (lens != lens_small)
		free(lens);
}

/* Profile column j of the block b. */
static void profile_block_column(struct csv_pass *ps, const struct block *b,
				 size_t j)
{
	struct monitor_profile_column *c = &ps->p->cols[j];
	size_t stride = ps->p->ncols + 1, nv = 0;
	double *v = ps->scratch[j];

	for (size_t r = 0; r < b->nrows; r++) {
		const uint32_t *o = b->off + r * stride + j;
		size_t len = o[1] - o[0] - 1;
		int kind;

		if (len == 0) {
			c->n_missing++;
			continue;
		}
		kind = add_field(c, b->bytes + o[0], len, &v[nv]);
		if (kind < 0) {
			ps->bad_row[j] = r;
			return;
		}
		nv += kind != MONITOR_NUMBER_TEXT;
	}
	add_numbers(c, v, nv, ps->p->keep);
}

static void take_columns(struct csv_pass *ps)
{
	size_t j;

	while ((j = atomic_fetch_add(&ps->next, 1)) < ps->p->ncols)
		profile_block_column(ps, ps->work, j);
}

static void *worker(void *arg)
{
	struct csv_pass *ps = arg;

	for (;;) {
		gate_wait(&ps->gate);
		if (ps->done)
			return NULL;
		take_columns(ps);
		gate_wait(&ps->gate);
	}
}

/* Fill b, which may hold rows already, from r with rows of n fields: 1
 * when full, 0 at the end of the input, or an error. */
static int block_fill(struct block *b, struct csv_reader *r, size_t n,
		      uint64_t *items, struct mlops_err *err)
{
	char **fields;
	int ret = 1;

	while (b->nrows < BLOCK_ROWS && b->len < BLOCK_BYTES &&
	       (ret = csv_read_row(r, n, &fields, err)) > 0) {
		block_add(b, n, fields, r);
		(*items)++;
	}
	return ret;
}

/* The first value that is not UTF-8 in b, in file order, as an error. */
static int block_error(struct csv_pass *ps, const struct block *b,
		       struct mlops_err *err)
{
	size_t best = SIZE_MAX, col = 0;

	for (size_t j = 0; j < ps->p->ncols; j++)
		if (ps->bad_row[j] < best) {
			best = ps->bad_row[j];
			col = j;
		}
	if (best == SIZE_MAX)
		return 0;
	return not_utf8(&ps->p->cols[col], ps->name, b->line[best], err);
}

unsigned monitor_thread_count(unsigned want, size_t jobs)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (want == 0)
		want = online > 0 ? (unsigned)online : 1;
	if (want > jobs)
		want = jobs ? (unsigned)jobs : 1;
	return want > MONITOR_MAX_THREADS ? MONITOR_MAX_THREADS : want;
}

/* Profile the rows of r, whose first row (when first_row is set) has
 * been read already into fields. */
static int profile_rows(struct monitor_profile *p, struct csv_reader *r,
			const char *name, char **first_row, unsigned threads,
			struct mlops_err *err)
{
	struct csv_pass ps = {0};
	struct mlops_err read_err = MLOPS_ERR_INIT;
	pthread_t tid[MONITOR_MAX_THREADS];
	unsigned nt = monitor_thread_count(threads, p->ncols), started = 0;
	size_t n = p->ncols, cur = 0;
	int ret, rd;

	ps.p = p;
	ps.name = name;
	ps.scratch = xcalloc(n, sizeof(*ps.scratch));
	ps.bad_row = xcalloc(n, sizeof(*ps.bad_row));
	for (size_t j = 0; j < n; j++)
		ps.scratch[j] = xmalloc(BLOCK_ROWS * sizeof(double));
	pthread_mutex_init(&ps.gate.mu, NULL);
	pthread_cond_init(&ps.gate.cv, NULL);
	ps.gate.count = UINT_MAX;
	for (unsigned t = 1; t < nt; t++) {
		if (pthread_create(&tid[started], NULL, worker, &ps) != 0)
			break;
		started++;
	}
	pthread_mutex_lock(&ps.gate.mu);
	ps.gate.count = started + 1;
	pthread_mutex_unlock(&ps.gate.mu);
	if (first_row) {
		block_add(&ps.blk[0], n, first_row, r);
		p->item_count++;
	}
	rd = block_fill(&ps.blk[0], r, n, &p->item_count, &read_err);
	ret = 0;
	while (ps.blk[cur].nrows > 0 && ret == 0) {
		const struct block *b = &ps.blk[cur];

		ps.work = b;
		atomic_store(&ps.next, 0);
		for (size_t j = 0; j < n; j++)
			ps.bad_row[j] = SIZE_MAX;
		gate_wait(&ps.gate);
		cur ^= 1;
		ps.blk[cur].nrows = 0;
		ps.blk[cur].len = 0;
		if (rd > 0)
			rd = block_fill(&ps.blk[cur], r, n, &p->item_count,
					&read_err);
		take_columns(&ps);
		gate_wait(&ps.gate);
		ret = block_error(&ps, b, err);
	}
	ps.done = 1;
	gate_wait(&ps.gate);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&ps.gate.mu);
	pthread_cond_destroy(&ps.gate.cv);
	for (int i = 0; i < 2; i++) {
		free(ps.blk[i].bytes);
		free(ps.blk[i].off);
	}
	for (size_t j = 0; j < n; j++)
		free(ps.scratch[j]);
	free(ps.scratch);
	free(ps.bad_row);
	if (ret == 0 && rd < 0) {
		*err = read_err;
		ret = rd;
	}
	return ret;
}

static int read_csv(struct monitor_profile *p, int fd, const char *name,
		    int header, unsigned threads, struct mlops_err *err)
{
	struct csv_reader *r = csv_reader_new(fd, name);
	char **fields = NULL;
	size_t n;
	int ret;

	name = csv_reader_name(r);
	if (header) {
		char **names;

		ret = csv_read_header(r, &n, &names, err);
		if (ret == 0)
			ret = set_columns(p, n, names, name, err);
		if (ret == 0)
			ret = profile_rows(p, r, name, NULL, threads, err);
	} else {
		ret = csv_read(r, &n, &fields, err);
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_EINPUT,
					    "%s: no data rows", name);
		if (ret > 0)
			ret = set_columns(p, n, NULL, name, err);
		if (ret == 0)
			ret = profile_rows(p, r, name, fields, threads, err);
	}
	if (ret == 0 && p->item_count == 0)
		ret =
		    mlops_err_set(err, MLOPS_EINPUT, "%s: no data rows", name);
	csv_reader_free(r);
	return ret;
}

/* One JSON value as the text a CSV file would hold for it; NULL for
 * null (missing) and for arrays and objects, which are not flat. */
static const char *json_text(const json_t *v, char *num, size_t size, int *flat)
{
	*flat = 1;
	switch (json_typeof(v)) {
	case JSON_STRING:
		return json_string_value(v);
	case JSON_INTEGER:
		snprintf(num, size, "%lld", (long long)json_integer_value(v));
		return num;
	case JSON_REAL:
		snprintf(num, size, "%.17g", json_real_value(v));
		return num;
	case JSON_TRUE:
		return "true";
	case JSON_FALSE:
		return "false";
	case JSON_NULL:
		return "";
	default:
		*flat = 0;
		return NULL;
	}
}

static int read_jsonl(struct monitor_profile *p, int fd, const char *name,
		      struct mlops_err *err)
{
	FILE *f = fdopen(dup(fd), "r");
	struct buf line = BUF_INIT;
	long lineno = 0;
	int ret = 0;

	if (strcmp(name, "-") == 0)
		name = "<stdin>";
	if (!f)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "%s: cannot read", name);
	while ((ret = buf_getline(&line, f, 16 << 20, err)) > 0) {
		json_t *obj = NULL;
		const char *key;
		json_t *v;
		char num[64];
		int flat;

		lineno++;
		if (line.len == 0)
			continue;
		ret = jsonio_parse_at(&obj, line.s, line.len, name, (int)lineno,
				      err);
		if (ret < 0)
			break;
		if (!json_is_object(obj)) {
			json_decref(obj);
			ret = mlops_err_set(err, MLOPS_EINPUT,
					    "%s:%ld: not a "
					    "JSON object",
					    name, lineno);
			break;
		}
		if (p->item_count == 0) {
			size_t n = json_object_size(obj), i = 0;
			char **names = xcalloc(n ? n : 1, sizeof(*names));

			json_object_foreach(obj, key, v) names[i++] =
			    (char *)key;
			ret = set_columns(p, n, names, name, err);
			free(names);
			if (ret < 0) {
				json_decref(obj);
				break;
			}
		}
		p->item_count++;
		json_object_foreach(obj, key, v)
		{
			size_t i;

			for (i = 0; i < p->ncols; i++)
				if (strcmp(p->cols[i].name, key) == 0)
					break;
			if (i == p->ncols) {
				ret = mlops_err_set(
				    err, MLOPS_EINPUT,
				    "%s:%ld: key '%s' is not in the first "
				    "record",
				    name, lineno, key);
				break;
			}
		}
		for (size_t i = 0; i < p->ncols && ret >= 0; i++) {
			const char *s;

			v = json_object_get(obj, p->cols[i].name);
			s = v ? json_text(v, num, sizeof(num), &flat) : "";
			if (v && !flat)
				ret = mlops_err_set(
				    err, MLOPS_EINPUT,
				    "%s:%ld: key '%s' is not a flat "
				    "value",
				    name, lineno, p->cols[i].name);
			else
				ret = add_value(&p->cols[i], s, strlen(s),
						p->keep, name, lineno, err);
		}
		json_decref(obj);
		if (ret < 0)
			break;
	}
	if (ret == 0 && p->item_count == 0)
		ret =
		    mlops_err_set(err, MLOPS_EINPUT, "%s: no data rows", name);
	buf_release(&line);
	fclose(f);
	return ret;
}

int monitor_profile_read_opts(struct monitor_profile *out, int fd,
			      const char *name,
			      const struct monitor_profile_opts *o,
			      struct mlops_err *err)
{
	struct monitor_profile p = {0};
	int ret;

	p.keep = o->keep;
	if (o->format == MONITOR_PROFILE_JSONL)
		ret = read_jsonl(&p, fd, name, err);
	else
		ret = read_csv(&p, fd, name, o->header, o->threads, err);
	if (ret < 0) {
		monitor_profile_release(&p);
		return ret;
	}
	*out = p;
	return 0;
}

int monitor_profile_read(struct monitor_profile *out, int fd, const char *name,
			 enum monitor_profile_format format, int header,
			 struct mlops_err *err)
{
	struct monitor_profile_opts o = {format, header, 0, 0};

	return monitor_profile_read_opts(out, fd, name, &o, err);
}

int monitor_profile_read_values(struct monitor_profile *out, int fd,
				const char *name,
				enum monitor_profile_format format, int header,
				struct mlops_err *err)
{
	struct monitor_profile_opts o = {format, header, 1, 0};

	return monitor_profile_read_opts(out, fd, name, &o, err);
}

enum monitor_profile_type
monitor_profile_column_type(const struct monitor_profile_column *c)
{
	if (c->n_string > 0)
		return MONITOR_PROFILE_STRING;
	if (c->n_fractional > 0)
		return MONITOR_PROFILE_FRACTIONAL;
	if (c->n_integral > 0)
		return MONITOR_PROFILE_INTEGRAL;
	return MONITOR_PROFILE_UNKNOWN;
}

const char *monitor_profile_type_name(enum monitor_profile_type t)
{
	static const char *const names[] = {"Unknown", "Integral", "Fractional",
					    "String"};

	return names[t];
}

uint64_t monitor_profile_column_distinct(const struct monitor_profile_column *c)
{
	if (!c->dist_overflow)
		return c->ndist;
	return (uint64_t)llround(monitor_hll_estimate(&c->hll));
}

uint64_t monitor_profile_column_count(const struct monitor_profile_column *c,
				      const char *value)
{
	size_t len = strlen(value);
	uint64_t h = monitor_hll_hash(value, len);

	for (size_t i = h & (c->dist_slots - 1); c->dist[i].value;
	     i = (i + 1) & (c->dist_slots - 1))
		if (c->dist[i].hash == h &&
		    strcmp(c->dist[i].value, value) == 0)
			return c->dist[i].count;
	return 0;
}

int monitor_profile_begin(struct monitor_profile *p, size_t n,
			  char *const *names, const char *name,
			  struct mlops_err *err)
{
	int ret;

	memset(p, 0, sizeof(*p));
	ret = set_columns(p, n, names, name, err);
	if (ret < 0)
		monitor_profile_release(p);
	return ret;
}

int monitor_profile_add_row(struct monitor_profile *p, char *const *fields,
			    const size_t *lens, const char *name, long line,
			    struct mlops_err *err)
{
	p->item_count++;
	for (size_t i = 0; i < p->ncols; i++)
		if (add_value(&p->cols[i], fields[i], lens[i], p->keep, name,
			      line, err) < 0)
			return err->code;
	return 0;
}
