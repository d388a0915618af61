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
#include <sys/stat.h>
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

/* Count the field s (len bytes, not empty), of the kind
 * monitor_number_parse found, by type and in the distinct table: 0, or
 * -1 for text that is not UTF-8. */
static int add_field(struct monitor_profile_column *c, const char *s,
		     size_t len, int kind, int strings_only)
{
	if (kind == MONITOR_NUMBER_TEXT) {
		if (!utf8_valid(s, len))
			return -1;
		/* The first text after numbers the table never saw. */
		if (strings_only && c->n_string == 0 &&
		    c->n_integral + c->n_fractional > 0)
			c->dist_partial = 1;
		c->n_string++;
	} else if (kind == MONITOR_NUMBER_INTEGRAL) {
		c->n_integral++;
	} else {
		c->n_fractional++;
	}
	if (!strings_only || c->n_string > 0)
		count_value(c, s, len);
	return 0;
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
	kind = monitor_number_parse(s, len, &v);
	if (add_field(c, s, len, kind, 0) < 0)
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

/* CSV is read in blocks of rows, and profiled a group of columns of a
 * block at a time. Any thread fills the next block (one at a time, in
 * file order) or profiles a group of a block already filled; group g of
 * a block waits only for group g of the block before, so a column sees
 * its values in file order whatever the number of threads, and the
 * profile is the same as one thread makes. No thread waits for the
 * others at the end of a block: with one barrier per block, the two
 * threads of the baseline's bench idled 12% of the time. */
#define BLOCK_ROWS 4096
#define BLOCK_BYTES (1 << 20)
/* Numbers are read 8 bytes at a time (monitor_number_parse_padded). */
#define BLOCK_PAD 8
/* Blocks in flight: the one filling and those being profiled. */
#define NBLOCKS 3
/* Rows ahead whose bytes a group's loop prefetches: a group's fields
 * are a row apart, too far for the hardware to see a stream. */
#define PREFETCH_ROWS 16
/* Columns a group has at most: a row's neighbouring fields share cache
 * lines, which a column at a time fetched once per column (the
 * baseline's bench: 4% less CPU time with 5 columns a group). Groups are
 * made small enough for two a thread. */
#define GROUP_COLUMNS_MAX 8

struct block {
	size_t nrows;
	char *bytes;   /* the fields of every row, NUL-terminated, and
			* BLOCK_PAD readable bytes past len */
	size_t len, cap;
	uint32_t *off; /* row r, field j: bytes + off[r * (ncols + 1) + j] */
	size_t off_cap;
	long line[BLOCK_ROWS];
	/* The pipeline's: */
	size_t seq;      /* its place in the input, from 0 */
	size_t started;  /* groups handed out, in order */
	size_t finished; /* groups profiled */
	size_t *bad_row; /* per column, its first non-UTF-8 row */
};

/* Where the blocks come from: fill adds rows of n fields to b (empty)
 * and returns 1 when more may follow, 0 at the end of the input, or an
 * error with *err set. */
struct row_source {
	int (*fill)(struct block *b, struct row_source *src, size_t n,
		    struct mlops_err *err);
};

struct csv_pass {
	struct monitor_profile *p;
	const char *name;
	struct row_source *src;
	struct block blk[NBLOCKS]; /* block seq in blk[seq % NBLOCKS] */
	double **scratch;          /* per column, BLOCK_ROWS numbers */
	size_t group_columns;      /* columns a group has (the last fewer) */
	size_t ngroups;
	size_t *group_next;        /* per group, the next block it takes */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned idle;             /* threads waiting on cv */
	size_t filled;             /* blocks filled (the next one's seq) */
	size_t completed;          /* blocks profiled, every group */
	size_t stop;               /* profile no block from this seq on */
	int filling, more, restart;
	int rd;                    /* the last fill's return */
	struct mlops_err read_err;
};

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
	ALLOC_GROW(b->bytes, b->len + BLOCK_PAD, b->cap);
	memset(b->bytes + b->len, 0, BLOCK_PAD);
	b->line[b->nrows++] = csv_record_line(r);
	if (lens != lens_small)
		free(lens);
}

/* A column's state while a block is profiled. While a column read
 * with strings_only has only numbers, a field is only parsed and
 * counted by type, in kinds, handed to c before any other field is
 * added (the first text reads the counts). */
struct column_pass {
	struct monitor_profile_column *c;
	double *v; /* the block's numbers, nv of them */
	size_t nv;
	uint64_t kinds[3];
	int numbers, bad;
};

static void flush_kinds(struct column_pass *cp)
{
	cp->c->n_integral += cp->kinds[MONITOR_NUMBER_INTEGRAL];
	cp->c->n_fractional += cp->kinds[MONITOR_NUMBER_FRACTIONAL];
	cp->kinds[MONITOR_NUMBER_INTEGRAL] = 0;
	cp->kinds[MONITOR_NUMBER_FRACTIONAL] = 0;
}

/* Add the field s (len bytes, BLOCK_PAD readable past them): 0, or -1
 * for a value that is not UTF-8. */
static inline int column_field(struct column_pass *cp, const char *s,
			       size_t len, int strings_only)
{
	struct monitor_profile_column *c = cp->c;
	int kind;

	if (len == 0) {
		c->n_missing++;
		return 0;
	}
	kind = monitor_number_parse_padded(s, len, &cp->v[cp->nv]);
	if (cp->numbers && kind != MONITOR_NUMBER_TEXT) {
		cp->kinds[kind]++;
		cp->nv++;
		return 0;
	}
	flush_kinds(cp);
	if (add_field(c, s, len, kind, strings_only) < 0)
		return -1;
	cp->nv += kind != MONITOR_NUMBER_TEXT;
	cp->numbers = strings_only && c->n_string == 0;
	return 0;
}

/* Profile group g of the block b, row by row, its columns side by
 * side: 0, or -1 with b->bad_row set for each column that stopped at a
 * value that is not UTF-8. */
static int profile_block_group(struct csv_pass *ps, struct block *b,
			       size_t g)
{
	struct column_pass cp[GROUP_COLUMNS_MAX] = {{0}};
	size_t j0 = g * ps->group_columns, stride = ps->p->ncols + 1;
	size_t nc = ps->p->ncols - j0 < ps->group_columns ? ps->p->ncols - j0
							  : ps->group_columns;
	int strings_only = ps->p->strings_only, bad = 0;
	const uint32_t *o = b->off + j0;

	for (size_t k = 0; k < nc; k++) {
		cp[k].c = &ps->p->cols[j0 + k];
		cp[k].v = ps->scratch[j0 + k];
		cp[k].numbers = strings_only && cp[k].c->n_string == 0;
	}
	for (size_t r = 0; r < b->nrows; r++, o += stride) {
		if (r + PREFETCH_ROWS < b->nrows)
			__builtin_prefetch(b->bytes +
					   o[PREFETCH_ROWS * stride]);
		for (size_t k = 0; k < nc; k++) {
			if (cp[k].bad)
				continue;
			if (column_field(&cp[k], b->bytes + o[k],
					 o[k + 1] - o[k] - 1,
					 strings_only) < 0) {
				b->bad_row[j0 + k] = r;
				cp[k].bad = bad = 1;
			}
		}
	}
	for (size_t k = 0; k < nc; k++) {
		if (cp[k].bad)
			continue;
		flush_kinds(&cp[k]);
		add_numbers(cp[k].c, cp[k].v, cp[k].nv, ps->p->keep);
	}
	return -bad;
}

/* What profile_rows returns when a column read with strings_only turns
 * String after numbers: its value counts miss those numbers, and the
 * input must be read again with every column counted. */
#define EXACT_RESTART (-1001)

/* The oldest block with a group to hand out whose previous block that
 * group has profiled, and the group, under ps->mu; NULL when there is
 * none now. */
static struct block *next_group(struct csv_pass *ps, size_t *g)
{
	for (size_t s = ps->completed; s < ps->filled && s < ps->stop; s++) {
		struct block *b = &ps->blk[s % NBLOCKS];

		if (b->started < ps->ngroups &&
		    ps->group_next[b->started] == s) {
			*g = b->started++;
			return b;
		}
	}
	return NULL;
}

/* Whether a thread should fill the next block now, under ps->mu: its
 * slot is free, and at most one block has groups left to hand out
 * (filling further ahead only lets blocks leave the cache). */
static int should_fill(const struct csv_pass *ps)
{
	size_t waiting = 0;

	if (ps->filling || !ps->more || ps->filled >= ps->stop ||
	    ps->filled - ps->completed >= NBLOCKS)
		return 0;
	for (size_t s = ps->completed; s < ps->filled; s++)
		waiting += ps->blk[s % NBLOCKS].started < ps->ngroups;
	return waiting < 2;
}

static void wake(struct csv_pass *ps)
{
	if (ps->idle > 0)
		pthread_cond_broadcast(&ps->cv);
}

/* Wait under ps->mu until another thread changes something. */
static void wait_for_change(struct csv_pass *ps)
{
	ps->idle++;
	pthread_cond_wait(&ps->cv, &ps->mu);
	ps->idle--;
}

/* Fill the next block, under ps->mu (released while reading). */
static void fill_next(struct csv_pass *ps)
{
	struct block *b = &ps->blk[ps->filled % NBLOCKS];
	int rd;

	ps->filling = 1;
	b->nrows = 0;
	b->len = 0;
	pthread_mutex_unlock(&ps->mu);
	rd = ps->src->fill(b, ps->src, ps->p->ncols, &ps->read_err);
	pthread_mutex_lock(&ps->mu);
	ps->filling = 0;
	ps->rd = rd;
	ps->more = rd > 0;
	if (b->nrows > 0) {
		b->seq = ps->filled++;
		b->started = b->finished = 0;
		for (size_t j = 0; j < ps->p->ncols; j++)
			b->bad_row[j] = SIZE_MAX;
		ps->p->item_count += b->nrows;
		progress_set(ps->p->progress, ps->p->item_count);
	}
	wake(ps);
}

/* Profile group g of b, under ps->mu (released meanwhile). */
static void profile_group(struct csv_pass *ps, struct block *b, size_t g)
{
	int bad;

	pthread_mutex_unlock(&ps->mu);
	bad = profile_block_group(ps, b, g);
	pthread_mutex_lock(&ps->mu);
	ps->group_next[g] = b->seq + 1;
	if (bad && ps->stop > b->seq + 1)
		ps->stop = b->seq + 1;
	for (size_t j = g * ps->group_columns;
	     j < ps->p->ncols && j < (g + 1) * ps->group_columns; j++)
		if (ps->p->cols[j].dist_partial) {
			ps->restart = 1;
			ps->stop = 0;
		}
	if (++b->finished == ps->ngroups)
		while (ps->completed < ps->filled &&
		       ps->blk[ps->completed % NBLOCKS].finished ==
			   ps->ngroups)
			ps->completed++;
	wake(ps);
}

/* What every thread runs: fill or profile until the input is done (or
 * a value not UTF-8 or a restart ends it early). */
static void *run_pass(void *arg)
{
	struct csv_pass *ps = arg;

	pthread_mutex_lock(&ps->mu);
	for (;;) {
		struct block *b;
		size_t g;

		if (should_fill(ps)) {
			fill_next(ps);
		} else if ((b = next_group(ps, &g))) {
			profile_group(ps, b, g);
		} else if (!ps->filling && !ps->more) {
			/* Nothing left to hand out: the blocks before
			 * stop are being or have been profiled. */
			size_t end = ps->filled < ps->stop ? ps->filled
							   : ps->stop;
			int busy = 0;

			for (size_t s = ps->completed; s < end; s++)
				busy |= ps->blk[s % NBLOCKS].finished <
					ps->blk[s % NBLOCKS].started;
			if (!busy)
				break;
			wait_for_change(ps);
		} else if (ps->filled >= ps->stop && !ps->filling) {
			ps->more = 0; /* stopped early: read no further */
		} else {
			wait_for_change(ps);
		}
	}
	wake(ps);
	pthread_mutex_unlock(&ps->mu);
	return NULL;
}

/* The first value that is not UTF-8, in file order, as an error; 0 when
 * every value is. */
static int pass_error(struct csv_pass *ps, struct mlops_err *err)
{
	const struct block *b;
	size_t best = SIZE_MAX, col = 0;

	if (ps->stop == SIZE_MAX || ps->stop == 0)
		return 0;
	b = &ps->blk[(ps->stop - 1) % NBLOCKS];
	for (size_t j = 0; j < ps->p->ncols; j++)
		if (b->bad_row[j] < best) {
			best = b->bad_row[j];
			col = j;
		}
	return not_utf8(&ps->p->cols[col], ps->name, b->line[best], err);
}

unsigned monitor_profile_thread_count(unsigned want, size_t jobs)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);

	if (want == 0)
		want = online > 0 ? (unsigned)online : 1;
	if (want > jobs)
		want = jobs ? (unsigned)jobs : 1;
	return want > MONITOR_MAX_THREADS ? MONITOR_MAX_THREADS : want;
}

/* Profile the rows src gives. */
static int profile_rows(struct monitor_profile *p, struct row_source *src,
			const char *name, unsigned threads,
			struct mlops_err *err)
{
	struct csv_pass ps = {0};
	pthread_t tid[MONITOR_MAX_THREADS];
	size_t n = p->ncols;
	unsigned nt = monitor_profile_thread_count(threads, n + 1), started;
	int ret = 0;

	ps.p = p;
	ps.name = name;
	ps.src = src;
	ps.more = 1;
	ps.stop = SIZE_MAX;
	ps.read_err = (struct mlops_err)MLOPS_ERR_INIT;
	ps.scratch = xcalloc(n, sizeof(*ps.scratch));
	ps.group_columns = n / (2 * nt);
	ps.group_columns = ps.group_columns < 1 ? 1
			   : ps.group_columns > GROUP_COLUMNS_MAX ? GROUP_COLUMNS_MAX
			   : ps.group_columns;
	ps.ngroups = (n + ps.group_columns - 1) / ps.group_columns;
	ps.group_next = xcalloc(ps.ngroups, sizeof(*ps.group_next));
	for (size_t j = 0; j < n; j++)
		ps.scratch[j] = xmalloc(BLOCK_ROWS * sizeof(double));
	for (int i = 0; i < NBLOCKS; i++)
		ps.blk[i].bad_row = xcalloc(n, sizeof(size_t));
	pthread_mutex_init(&ps.mu, NULL);
	pthread_cond_init(&ps.cv, NULL);
	for (started = 0; started + 1 < nt; started++)
		if (pthread_create(&tid[started], NULL, run_pass, &ps) != 0)
			break;
	run_pass(&ps);
	for (unsigned t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	pthread_mutex_destroy(&ps.mu);
	pthread_cond_destroy(&ps.cv);
	if (ps.restart)
		ret = EXACT_RESTART;
	else
		ret = pass_error(&ps, err);
	for (int i = 0; i < NBLOCKS; i++) {
		free(ps.blk[i].bytes);
		free(ps.blk[i].off);
		free(ps.blk[i].bad_row);
	}
	for (size_t j = 0; j < n; j++)
		free(ps.scratch[j]);
	free(ps.scratch);
	free(ps.group_next);
	if (ret == 0 && ps.rd < 0) {
		*err = ps.read_err;
		ret = ps.rd;
	}
	return ret;
}

/* Rows from the general CSV reader (csv.c). */
struct csv_source {
	struct row_source base;
	struct csv_reader *r;
	char **first_row; /* read already (no header), not yet added */
};

static int csv_fill(struct block *b, struct row_source *src, size_t n,
		    struct mlops_err *err)
{
	struct csv_source *cs = (struct csv_source *)src;
	char **fields;
	int ret = 1;

	if (cs->first_row) {
		block_add(b, n, cs->first_row, cs->r);
		cs->first_row = NULL;
	}
	while (b->nrows < BLOCK_ROWS && b->len < BLOCK_BYTES &&
	       (ret = csv_read_row(cs->r, n, &fields, err)) > 0)
		block_add(b, n, fields, cs->r);
	return ret;
}

static int read_csv_general(struct monitor_profile *p, int fd,
			    const char *name, int header, unsigned threads,
			    struct mlops_err *err)
{
	struct csv_source src = {{csv_fill}, csv_reader_new(fd, name), NULL};
	size_t n;
	int ret;

	name = csv_reader_name(src.r);
	if (header) {
		char **names;

		ret = csv_read_header(src.r, &n, &names, err);
		if (ret == 0)
			ret = set_columns(p, n, names, name, err);
	} else {
		ret = csv_read(src.r, &n, &src.first_row, err);
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_EINPUT,
					    "%s: no data rows", name);
		if (ret > 0)
			ret = set_columns(p, n, NULL, name, err);
	}
	if (ret == 0)
		ret = profile_rows(p, &src.base, name, threads, err);
	if (ret == 0 && p->item_count == 0)
		ret =
		    mlops_err_set(err, MLOPS_EINPUT, "%s: no data rows", name);
	csv_reader_free(src.r);
	return ret;
}

/* The fast path, for plain CSV in a regular file: every record on one
 * line, and no quote, CR or NUL anywhere. The file is read in large
 * pieces straight into the blocks and split there in place, with no
 * copy per record. Anything else (a quoted field, CRLF line ends, a row
 * of the wrong width, a line longer than a piece, an empty file) makes
 * the profile start again from the beginning of the file with the
 * general reader, which then gives its own results and messages, so
 * that the fast path only ever changes the speed. */
#define FAST_PIECE (1 << 20)
#define FAST_PIECE_MIN (1 << 16)
#define FAST_RESTART (-1000)

struct fast_source {
	struct row_source base;
	int fd, eof;
	const char *name;
	long line;   /* the physical line at carry[0] */
	char *carry; /* the unsplit rest of the last piece */
	size_t carry_len;
	size_t want; /* the size of the next piece */
};

/* Bytes that end a run of ordinary ones: 1 a comma, 2 a line end, 3
 * what only the general reader may read. */
static const unsigned char fast_stop[256] = {
	[','] = 1, ['\n'] = 2, ['"'] = 3, ['\r'] = 3, [0] = 3
};

/* The bytes of x below 0x2d (a comma, a line end, a quote, CR, NUL and
 * some rarer ones), each as its top bit: the candidates for fast_stop,
 * eight bytes at a time. Exact per byte (no carry crosses bytes). */
static inline uint64_t below_2d(uint64_t x)
{
	const uint64_t low7 = 0x7f7f7f7f7f7f7f7full;
	uint64_t t = (x & low7) + 0x5353535353535353ull; /* 0x80 - 0x2d */

	return ~(t | x) & ~low7;
}

/* Split the line at s[pos..len) into n fields (their offsets into off,
 * off[n] after the line's end, commas and the end made NULs): 1 for a
 * record, 0 for a blank line, -1 when no line end comes before len and
 * the input goes on, FAST_RESTART for what the general reader must
 * read. *next is where the following line starts. s has FAST_PAD
 * readable bytes past len: the scan reads eight bytes at a time. */
#define FAST_PAD 8
_Static_assert(FAST_PAD >= BLOCK_PAD, "blocks are read past their end");

static int fast_split(char *s, size_t pos, size_t len, int eof, size_t n,
		      uint32_t *off, size_t *next)
{
	size_t k = 1, i = len;

	off[0] = (uint32_t)pos;
	for (size_t at = pos; at < len; at += 8) {
		uint64_t w, m;

		memcpy(&w, s + at, sizeof(w));
		for (m = below_2d(w); m; m &= m - 1) {
			size_t j = at + (size_t)(__builtin_ctzll(m) >> 3);
			unsigned char c = fast_stop[(unsigned char)s[j]];

			if (j >= len)
				break;
			if (c == 0)
				continue;
			if (c == 2) {
				i = j;
				goto line_end;
			}
			if (c == 3 || k == n)
				return FAST_RESTART;
			off[k++] = (uint32_t)(j + 1);
		}
	}
	if (!eof)
		return -1;
line_end:
	*next = i + 1;
	if (i == pos)
		return 0;
	if (k != n)
		return FAST_RESTART;
	for (size_t j = 1; j < n; j++)
		s[off[j] - 1] = '\0';
	s[i] = '\0';
	off[n] = (uint32_t)(i + 1);
	return 1;
}

/* Read more of the file after the len bytes at buf, up to want bytes
 * (at most FAST_PIECE). */
static int fast_read(struct fast_source *fs, char *buf, size_t *len,
		     size_t want, struct mlops_err *err)
{
	while (*len < want && !fs->eof) {
		ssize_t got = read(fs->fd, buf + *len, want - *len);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return mlops_err_errno(err, MLOPS_EINPUT, errno,
					       "cannot read '%s'", fs->name);
		if (got == 0)
			fs->eof = 1;
		*len += (size_t)got;
	}
	return 0;
}

/* Fill b with up to BLOCK_ROWS rows, as many as FAST_PIECE bytes from
 * the block's first row hold (the blocks' rows decide how the moments
 * are merged, so they stay the same). The piece is first read to about
 * the size of BLOCK_ROWS rows of the last block, and further only when
 * that is not enough: what is read beyond the block's rows is copied to
 * the carry and back into the next block, which for a full FAST_PIECE
 * each time was more than half of every piece (the baseline's 117 MB
 * were copied twice more). */
static int fast_fill(struct block *b, struct row_source *src, size_t n,
		     struct mlops_err *err)
{
	struct fast_source *fs = (struct fast_source *)src;
	size_t len = fs->carry_len, pos = 0, next, want = fs->want;
	int ret;

	ALLOC_GROW(b->bytes, FAST_PIECE + FAST_PAD, b->cap);
	memcpy(b->bytes, fs->carry, len);
	fs->carry_len = 0;
	for (;;) {
		if (fast_read(fs, b->bytes, &len, want, err) < 0)
			return err->code;
		memset(b->bytes + len, 0, FAST_PAD);
		while (pos < len && b->nrows < BLOCK_ROWS) {
			ALLOC_GROW(b->off, (b->nrows + 1) * (n + 1),
				   b->off_cap);
			ret = fast_split(b->bytes, pos, len, fs->eof, n,
					 b->off + b->nrows * (n + 1), &next);
			if (ret == FAST_RESTART)
				return FAST_RESTART;
			if (ret < 0)
				break;
			if (ret == 1)
				b->line[b->nrows++] = fs->line;
			fs->line++;
			pos = next;
		}
		if (b->nrows == BLOCK_ROWS || fs->eof || len == FAST_PIECE)
			break;
		want = FAST_PIECE;
	}
	if (pos == 0 && len == FAST_PIECE)
		return FAST_RESTART; /* a line longer than a piece */
	if (pos < len) {
		memcpy(fs->carry, b->bytes + pos, len - pos);
		fs->carry_len = len - pos;
	}
	if (b->nrows > 0) {
		/* BLOCK_ROWS rows and one more of the mean length. */
		want = pos / b->nrows * (BLOCK_ROWS + 1);
		fs->want = want < FAST_PIECE_MIN ? FAST_PIECE_MIN :
			   want > FAST_PIECE ? FAST_PIECE : want;
	}
	b->len = len;
	return fs->eof && fs->carry_len == 0 ? 0 : 1;
}

static int read_csv_fast(struct monitor_profile *p, struct fast_source *fs,
			 const char *name, int header, unsigned threads,
			 struct mlops_err *err)
{
	size_t len = 0, next = 0, n = 1;
	char **names = NULL;
	int ret = fast_read(fs, fs->carry, &len, FAST_PIECE, err);

	if (ret < 0)
		return ret;
	memset(fs->carry + len, 0, FAST_PAD);
	if (len >= 3 && memcmp(fs->carry, "\xef\xbb\xbf", 3) == 0)
		next = 3;
	/* The first line gives the width, and with a header the names. */
	for (size_t i = next; i < len && fs->carry[i] != '\n'; i++)
		n += fs->carry[i] == ',';
	if (len == next || n > 65536)
		return FAST_RESTART;
	if (header) {
		uint32_t *off = xcalloc(n + 1, sizeof(*off));

		ret = fast_split(fs->carry, next, len, fs->eof, n, off, &next);
		if (ret == 1) {
			names = xcalloc(n, sizeof(*names));
			for (size_t i = 0; i < n; i++)
				names[i] = fs->carry + off[i];
			ret = set_columns(p, n, names, name, err);
		} else {
			ret = FAST_RESTART;
		}
		free(off);
		free(names);
		fs->line++;
	} else {
		ret = set_columns(p, n, NULL, name, err);
	}
	if (ret < 0)
		return ret;
	if (next > len)
		next = len; /* a header ending the file without a line end */
	memmove(fs->carry, fs->carry + next, len - next);
	fs->carry_len = len - next;
	ret = profile_rows(p, &fs->base, name, threads, err);
	if (ret == 0 && p->item_count == 0)
		ret = FAST_RESTART;
	return ret;
}

/* Forget what p has read and go back to start in fd, for another
 * read with the same options (strings_only as given). */
static int read_again(struct monitor_profile *p, int fd, off_t start,
		      int strings_only, const char *name,
		      struct mlops_err *err)
{
	int keep = p->keep;
	struct progress *progress = p->progress;

	monitor_profile_release(p);
	p->keep = keep;
	p->progress = progress;
	p->strings_only = strings_only;
	if (lseek(fd, start, SEEK_SET) < 0)
		return mlops_err_errno(err, MLOPS_EINPUT, errno,
				       "%s: cannot read it again", name);
	return 0;
}

static int read_csv(struct monitor_profile *p, int fd, const char *name,
		    int header, unsigned threads, struct mlops_err *err)
{
	struct fast_source fs = {{fast_fill}, fd, 0, name, 1, NULL, 0,
				 FAST_PIECE};
	off_t start = lseek(fd, 0, SEEK_CUR);
	struct stat st;
	int ret;

	if (start < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		/* No second read: count every column. */
		p->strings_only = 0;
		return read_csv_general(p, fd, name, header, threads, err);
	}
	fs.carry = xmalloc(FAST_PIECE + FAST_PAD);
	ret = read_csv_fast(p, &fs, strcmp(name, "-") ? name : "<stdin>",
			    header, threads, err);
	free(fs.carry);
	if (ret == FAST_RESTART) {
		ret = read_again(p, fd, start, p->strings_only, name, err);
		if (ret == 0)
			ret = read_csv_general(p, fd, name, header, threads,
					       err);
	}
	if (ret != EXACT_RESTART)
		return ret;
	ret = read_again(p, fd, start, 0, name, err);
	return ret < 0 ? ret : read_csv(p, fd, name, header, threads, err);
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
		progress_set(p->progress, p->item_count);
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
	p.strings_only = o->format == MONITOR_PROFILE_CSV && o->strings_only;
	p.progress = o->progress;
	progress_start(p.progress, PROGRESS_ROWS, 0, "profile %s",
		       strcmp(name, "-") ? name : "<stdin>");
	if (o->format == MONITOR_PROFILE_JSONL)
		ret = read_jsonl(&p, fd, name, err);
	else
		ret = read_csv(&p, fd, name, o->header, o->threads, err);
	if (ret < 0) {
		monitor_profile_release(&p);
		return ret;
	}
	progress_done(p.progress);
	*out = p;
	return 0;
}

int monitor_profile_read(struct monitor_profile *out, int fd, const char *name,
			 enum monitor_profile_format format, int header,
			 struct mlops_err *err)
{
	struct monitor_profile_opts o = {format, header, 0, 0, 0};

	return monitor_profile_read_opts(out, fd, name, &o, err);
}

int monitor_profile_read_values(struct monitor_profile *out, int fd,
				const char *name,
				enum monitor_profile_format format, int header,
				struct mlops_err *err)
{
	struct monitor_profile_opts o = {format, header, 1, 0, 0};

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
