/* profile.c - one streaming pass over a dataset into per-column
 * summaries: counts by type, mean and variance by Welford's method, a KLL
 * sketch of the numbers, exact value counts up to
 * MONITOR_PROFILE_DISTINCT_CAP and a HyperLogLog of every value. Memory
 * depends on the number of columns, never on the number of rows. */
#include <errno.h>
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
	monitor_hll_init(&c->hll);
}

static void column_release(struct monitor_profile_column *c)
{
	free(c->name);
	monitor_kll_release(&c->kll);
	for (size_t i = 0; i < c->dist_slots; i++)
		free(c->dist[i].value);
	free(c->dist);
	free(c->values);
}

void monitor_profile_release(struct monitor_profile *p)
{
	for (size_t i = 0; i < p->ncols; i++)
		column_release(&p->cols[i]);
	free(p->cols);
	memset(p, 0, sizeof(*p));
}

static void count_value(struct monitor_profile_column *c, const char *s,
			size_t len)
{
	uint64_t h = monitor_hll_hash(s, len);
	size_t i = h & (c->dist_slots - 1);

	monitor_hll_add_hash(&c->hll, h);
	for (;;) {
		struct monitor_profile_distinct *d = &c->dist[i];

		if (!d->value) {
			if (c->ndist >= MONITOR_PROFILE_DISTINCT_CAP) {
				c->dist_overflow = 1;
				return;
			}
			d->value = xmalloc(len + 1);
			memcpy(d->value, s, len);
			d->value[len] = '\0';
			d->hash = h;
			d->len = len;
			d->count = 1;
			c->ndist++;
			return;
		}
		if (d->hash == h && d->len == len &&
		    memcmp(d->value, s, len) == 0) {
			d->count++;
			return;
		}
		i = (i + 1) & (c->dist_slots - 1);
	}
}

/* 1 for an integer, 2 for another finite number, 0 for text; *v gets
 * the number. Integers are optional sign and digits, as Deequ's regular
 * expression has them. */
static int classify(const char *s, size_t len, double *v)
{
	size_t i = (s[0] == '-' || s[0] == '+');
	int digits = 0;
	char *end;

	while (i < len && s[i] >= '0' && s[i] <= '9') {
		i++;
		digits = 1;
	}
	if (i == len && digits) {
		if (len <= 18) {
			long long x = 0;

			for (size_t j = (s[0] == '-' || s[0] == '+'); j < len;
			     j++)
				x = x * 10 + (s[j] - '0');
			*v = (double)(s[0] == '-' ? -x : x);
		} else {
			*v = strtod(s, NULL);
		}
		return 1;
	}
	if (i < len && s[i] == '.') {
		/* Clinger's fast path: with at most 15 digits the mantissa
		 * and 10^frac are exact doubles, so one division rounds
		 * correctly, as strtod would. */
		static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5,
			1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14,
			1e15 };
		size_t j = i + 1, ndig = 0, frac;
		long long m = 0;

		while (j < len && s[j] >= '0' && s[j] <= '9')
			j++;
		frac = j - i - 1;
		for (size_t k = (s[0] == '-' || s[0] == '+'); k < j; k++)
			if (s[k] != '.' && ++ndig <= 15)
				m = m * 10 + (s[k] - '0');
		if (j == len && ndig > 0 && ndig <= 15) {
			*v = (double)m / p10[frac];
			if (s[0] == '-')
				*v = -*v;
			return 2;
		}
	}
	/* strtod also takes "nan", "inf" and hex, which are text here. */
	for (size_t j = 0; j < len; j++)
		if (!strchr("0123456789+-.eE", s[j]))
			return 0;
	errno = 0;
	*v = strtod(s, &end);
	if (end != s + len || !isfinite(*v))
		return 0;
	return 2;
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
	kind = classify(s, len, &v);
	if (kind == 0) {
		if (!utf8_valid(s, len))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s:%ld: column "
					     "'%s': value is not UTF-8",
					     name, line, c->name);
		c->n_string++;
	} else {
		double d;

		if (kind == 1)
			c->n_integral++;
		else
			c->n_fractional++;
		c->n_num++;
		c->sum += v;
		d = v - c->mean;
		c->mean += d / (double)c->n_num;
		c->m2 += d * (v - c->mean);
		if (v < c->min)
			c->min = v;
		if (v > c->max)
			c->max = v;
		monitor_kll_add(&c->kll, v);
		if (keep) {
			ALLOC_GROW(c->values, c->nvalues + 1, c->values_cap);
			c->values[c->nvalues++] = v;
		}
	}
	count_value(c, s, len);
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

static int read_csv(struct monitor_profile *p, int fd, const char *name,
		    int header, struct mlops_err *err)
{
	struct csv_reader *r = csv_reader_new(fd, name);
	char **fields;
	size_t n;
	int ret;

	name = csv_reader_name(r);
	if (header) {
		char **names;

		ret = csv_read_header(r, &n, &names, err);
		if (ret == 0)
			ret = set_columns(p, n, names, name, err);
		if (ret < 0)
			goto out;
		ret = csv_read_row(r, n, &fields, err);
	} else {
		ret = csv_read(r, &n, &fields, err);
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_EINPUT,
					    "%s: no data rows", name);
		if (ret > 0 && set_columns(p, n, NULL, name, err) < 0)
			ret = err->code;
	}
	while (ret > 0) {
		long line = csv_record_line(r);

		p->item_count++;
		for (size_t i = 0; i < n && ret > 0; i++)
			if (add_value(&p->cols[i], fields[i],
				      csv_field_len(r, i), p->keep, name, line,
				      err) < 0)
				ret = err->code;
		if (ret > 0)
			ret = csv_read_row(r, n, &fields, err);
	}
	if (ret == 0 && p->item_count == 0)
		ret =
		    mlops_err_set(err, MLOPS_EINPUT, "%s: no data rows", name);
out:
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

static int profile_read(struct monitor_profile *out, int fd, const char *name,
			enum monitor_profile_format format, int header,
			int keep, struct mlops_err *err)
{
	struct monitor_profile p = {0};
	int ret;

	p.keep = keep;
	if (format == MONITOR_PROFILE_JSONL)
		ret = read_jsonl(&p, fd, name, err);
	else
		ret = read_csv(&p, fd, name, header, err);
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
	return profile_read(out, fd, name, format, header, 0, err);
}

int monitor_profile_read_values(struct monitor_profile *out, int fd,
				const char *name,
				enum monitor_profile_format format, int header,
				struct mlops_err *err)
{
	return profile_read(out, fd, name, format, header, 1, err);
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
