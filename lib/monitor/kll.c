/* kll.c - the KLL quantile sketch (sketch.h says what it guarantees).
 * Level h holds items of weight 2^h. Adding goes to level 0; when the
 * sketch holds max_size items, the lowest level over its capacity is
 * sorted and half its items, every other one from a random start, go up
 * one level. Capacities shrink geometrically (by c) downwards from the
 * top level, so the total stays about k / (1 - c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "monitor/monitor.h"

/* Level 0 holds at least this many items (or k, if less): more items
 * of weight 1 cost no accuracy, and level 0, sorted and compacted in
 * longer runs, is merged into level 1 fewer times (the baseline of 1M
 * rows x 16 numbers: 14% less CPU time). */
#define LEVEL0_MIN 512

static size_t level_capacity(const struct monitor_kll *s, size_t h)
{
	size_t depth = s->nlevels - h - 1;
	size_t cap = (size_t)ceil(pow(s->c, (double)depth) * s->k) + 1;
	size_t floor0 = s->k < LEVEL0_MIN ? s->k : LEVEL0_MIN;

	if (h == 0 && cap < floor0)
		cap = floor0;
	return cap < 2 ? 2 : cap;
}

static void grow(struct monitor_kll *s)
{
	s->levels =
	    xreallocarray(s->levels, s->nlevels + 1, sizeof(*s->levels));
	memset(&s->levels[s->nlevels], 0, sizeof(*s->levels));
	s->nlevels++;
	s->max_size = 0;
	for (size_t h = 0; h < s->nlevels; h++)
		s->max_size += level_capacity(s, h);
}

void monitor_kll_init(struct monitor_kll *s, unsigned k, double c)
{
	memset(s, 0, sizeof(*s));
	s->k = k;
	s->c = c;
	s->rng = 0x9e3779b97f4a7c15ull;
	grow(s);
}

void monitor_kll_release(struct monitor_kll *s)
{
	for (size_t h = 0; h < s->nlevels; h++)
		free(s->levels[h].items);
	free(s->levels);
	memset(s, 0, sizeof(*s));
}

static int coin(struct monitor_kll *s)
{
	/* xorshift64*: enough for a fair, reproducible coin. */
	s->rng ^= s->rng >> 12;
	s->rng ^= s->rng << 25;
	s->rng ^= s->rng >> 27;
	return (int)((s->rng * 0x2545f4914f6cdd1dull) >> 63);
}

static void level_push(struct monitor_kll_level *l, double v)
{
	ALLOC_GROW(l->items, l->n + 1, l->cap);
	l->items[l->n++] = v;
}

/* Merge the n sorted items at src into level l, which is sorted. */
static void level_merge(struct monitor_kll_level *l, const double *src,
			size_t n)
{
	size_t i, j, k;

	ALLOC_GROW(l->items, l->n + n, l->cap);
	/* From the back, so that no scratch space is needed. */
	i = l->n;
	j = n;
	k = l->n + n;
	while (j > 0) {
		if (i > 0 && l->items[i - 1] > src[j - 1])
			l->items[--k] = l->items[--i];
		else
			l->items[--k] = src[--j];
	}
	l->n += n;
}

/* Levels above 0 are kept sorted (what comes up is merged in), so only
 * level 0 is ever sorted. */
static void compress(struct monitor_kll *s)
{
	for (size_t h = 0; h < s->nlevels; h++) {
		struct monitor_kll_level *l;
		size_t start, keep, n = 0;

		if (s->levels[h].n < level_capacity(s, h))
			continue;
		if (h + 1 >= s->nlevels)
			grow(s);
		l = &s->levels[h];
		if (h == 0)
			monitor_sort_doubles(l->items, l->n);
		/* An odd item out stays (the smallest), the rest pair up;
		 * the chosen half is gathered in place, in order. */
		keep = l->n % 2;
		start = keep + (size_t)coin(s);
		for (size_t i = start; i < l->n; i += 2)
			l->items[keep + n++] = l->items[i];
		level_merge(&s->levels[h + 1], l->items + keep, n);
		s->size -= l->n - keep - n;
		l->n = keep;
		return;
	}
}

void monitor_kll_add(struct monitor_kll *s, double v)
{
	level_push(&s->levels[0], v);
	s->size++;
	s->count++;
	if (s->size >= s->max_size)
		compress(s);
}

void monitor_kll_add_many(struct monitor_kll *s, const double *v, size_t n)
{
	while (n > 0) {
		struct monitor_kll_level *l = &s->levels[0];
		size_t take = s->max_size - s->size;

		/* Up to the next compaction at once: the same sketch as
		 * adding one at a time. */
		if (take > n)
			take = n;
		ALLOC_GROW(l->items, l->n + take, l->cap);
		memcpy(l->items + l->n, v, take * sizeof(*v));
		l->n += take;
		s->size += take;
		s->count += take;
		v += take;
		n -= take;
		if (s->size >= s->max_size)
			compress(s);
	}
}

struct witem {
	double v, w;
};

static int witem_cmp(const void *a, const void *b)
{
	double x = ((const struct witem *)a)->v;
	double y = ((const struct witem *)b)->v;

	return (x > y) - (x < y);
}

/* Every item held with its weight, sorted by value; *total is the sum of
 * the weights. The caller frees the array. */
static struct witem *weighted(const struct monitor_kll *s, size_t *n,
			      double *total)
{
	struct witem *w = xcalloc(s->size ? s->size : 1, sizeof(*w));
	size_t m = 0;

	*total = 0;
	for (size_t h = 0; h < s->nlevels; h++)
		for (size_t i = 0; i < s->levels[h].n; i++) {
			w[m].v = s->levels[h].items[i];
			w[m].w = ldexp(1.0, (int)h);
			*total += w[m].w;
			m++;
		}
	qsort(w, m, sizeof(*w), witem_cmp);
	*n = m;
	return w;
}

void monitor_kll_cdf_many(const struct monitor_kll *s, const double *v,
			  size_t nv, double *out)
{
	double total, below = 0;
	size_t n, i = 0;
	struct witem *w = weighted(s, &n, &total);

	for (size_t j = 0; j < nv; j++) {
		/* Going on from the last value's sum only when this value
		 * is not below it (the sum is then the same). */
		if (j > 0 && !(v[j] >= v[j - 1])) {
			i = 0;
			below = 0;
		}
		for (; i < n && w[i].v <= v[j]; i++)
			below += w[i].w;
		out[j] = total > 0 ? below / total : 0;
	}
	free(w);
}

double monitor_kll_cdf(const struct monitor_kll *s, double v)
{
	double out;

	monitor_kll_cdf_many(s, &v, 1, &out);
	return out;
}

double monitor_kll_quantile(const struct monitor_kll *s, double q)
{
	double total, acc = 0, r = NAN;
	size_t n;
	struct witem *w = weighted(s, &n, &total);

	for (size_t i = 0; i < n; i++) {
		acc += w[i].w;
		r = w[i].v;
		if (acc >= q * total)
			break;
	}
	free(w);
	return r;
}

double monitor_kll_linf(const struct monitor_kll *a,
			const struct monitor_kll *b)
{
	double ta, tb, ca = 0, cb = 0, d = 0;
	size_t na, nb, i = 0, j = 0;
	struct witem *wa = weighted(a, &na, &ta);
	struct witem *wb = weighted(b, &nb, &tb);

	if (ta <= 0 || tb <= 0) {
		free(wa);
		free(wb);
		return ta <= 0 && tb <= 0 ? 0 : 1;
	}
	while (i < na || j < nb) {
		double v = i < na && (j >= nb || wa[i].v <= wb[j].v) ? wa[i].v
								     : wb[j].v;

		while (i < na && wa[i].v == v)
			ca += wa[i++].w;
		while (j < nb && wb[j].v == v)
			cb += wb[j++].w;
		if (fabs(ca / ta - cb / tb) > d)
			d = fabs(ca / ta - cb / tb);
	}
	free(wa);
	free(wb);
	return d;
}

json_t *monitor_kll_to_json(const struct monitor_kll *s)
{
	json_t *data = json_array();

	for (size_t h = 0; h < s->nlevels; h++) {
		json_t *lv = json_array();

		for (size_t i = 0; i < s->levels[h].n; i++)
			json_array_append_new(lv,
					      json_real(s->levels[h].items[i]));
		json_array_append_new(data, lv);
	}
	return json_pack("{s:{s:f,s:i},s:o}", "parameters", "c", s->c, "k",
			 (json_int_t)s->k, "data", data);
}

int monitor_kll_from_json(struct monitor_kll *out, const json_t *j,
			  const char *what, struct mlops_err *err)
{
	json_t *params = json_object_get(j, "parameters");
	json_t *data = json_object_get(j, "data");
	json_t *jk = json_object_get(params, "k");
	json_t *jc = json_object_get(params, "c");
	struct monitor_kll s;
	size_t h;
	json_t *lv;

	if (!json_is_integer(jk) || !json_is_number(jc) ||
	    json_integer_value(jk) < 8 || json_integer_value(jk) > 1 << 20 ||
	    json_number_value(jc) <= 0 || json_number_value(jc) >= 1 ||
	    !json_is_array(data) || json_array_size(data) > 64)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: malformed KLL "
				     "sketch (parameters k, c and data)",
				     what);
	monitor_kll_init(&s, (unsigned)json_integer_value(jk),
			 json_number_value(jc));
	json_array_foreach(data, h, lv)
	{
		size_t i;
		json_t *x;

		if (!json_is_array(lv)) {
			monitor_kll_release(&s);
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s: sketch "
					     "level %zu is not an array",
					     what, h);
		}
		while (s.nlevels <= h)
			grow(&s);
		json_array_foreach(lv, i, x)
		{
			if (!json_is_number(x)) {
				monitor_kll_release(&s);
				return mlops_err_set(
				    err, MLOPS_EINPUT,
				    "%s: sketch level %zu item %zu is not "
				    "a number",
				    what, h, i);
			}
			level_push(&s.levels[h], json_number_value(x));
			s.size++;
			s.count += (uint64_t)1 << h;
		}
	}
	/* Keep the invariant of levels above 0 whatever wrote the file. */
	for (h = 1; h < s.nlevels; h++)
		monitor_sort_doubles(s.levels[h].items, s.levels[h].n);
	*out = s;
	return 0;
}
