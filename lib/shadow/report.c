/* report.c - a shadow test's report (see shadow.h). Every figure comes
 * from the paired records, so a report can be recomputed at any time;
 * request counts also show what the gateway mirrored and shed. Outputs
 * are compared when both sides answered 200 with the same shape: CSV
 * rows of numbers, or JSON {"predictions": [{"score": v or [v...]}]}.
 * A single score per row is a class by the threshold; several are the
 * scores of k classes (the class is the largest). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "shadow/shadow.h"

#define MAX_CLASSES 64

struct dvec {
	double *v;
	size_t n, cap;
};

static void dvec_push(struct dvec *d, double x)
{
	ALLOC_GROW(d->v, d->n + 1, d->cap);
	d->v[d->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* numpy.percentile's default (linear interpolation); v sorted. */
static double percentile(const double *v, size_t n, double q)
{
	double pos, frac;
	size_t lo;

	if (n == 0)
		return NAN;
	pos = q / 100.0 * (double)(n - 1);
	lo = (size_t)floor(pos);
	frac = pos - (double)lo;
	if (lo + 1 >= n)
		return v[n - 1];
	return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

/* The numbers of one response body: rows x cols into v. -1 when it is
 * neither CSV of numbers nor JSON predictions. */
static int parse_output(const char *s, size_t len, struct dvec *v,
			size_t *rows, size_t *cols)
{
	size_t r = 0, c = 0, first = v->n;
	const char *p = s, *end = s + len;

	while (p < end && (*p == ' ' || *p == '\n' || *p == '\r'))
		p++;
	if (p < end && *p == '{') {
		json_error_t je;
		json_t *o = json_loadb(s, len, 0, &je), *preds, *e;
		size_t i;
		int ok = 1;

		preds = json_object_get(o, "predictions");
		if (!json_is_array(preds))
			ok = 0;
		json_array_foreach(preds, i, e) {
			json_t *sc = json_is_object(e) ?
				     json_object_get(e, "score") : e;
			size_t k = json_is_array(sc) ? json_array_size(sc) : 1;

			if (!ok || (r && k != c) || k == 0) {
				ok = 0;
				break;
			}
			c = k;
			for (size_t j = 0; j < k; j++) {
				json_t *x = json_is_array(sc) ?
					    json_array_get(sc, j) : sc;

				if (!json_is_number(x)) {
					ok = 0;
					break;
				}
				dvec_push(v, json_number_value(x));
			}
			r++;
		}
		json_decref(o);
		if (!ok || r == 0) {
			v->n = first;
			return -1;
		}
		*rows = r;
		*cols = c;
		return 0;
	}
	while (p < end) {
		size_t k = 0;

		for (;;) {
			char *e;
			double x = strtod(p, &e);

			if (e == p) {
				v->n = first;
				return -1;
			}
			dvec_push(v, x);
			k++;
			p = e;
			if (p < end && *p == ',') {
				p++;
				continue;
			}
			break;
		}
		if (p < end && *p == '\r')
			p++;
		if (p < end && *p != '\n') {
			v->n = first;
			return -1;
		}
		while (p < end && (*p == '\n' || *p == '\r'))
			p++;
		if (r && k != c) {
			v->n = first;
			return -1;
		}
		c = k;
		r++;
	}
	if (r == 0)
		return -1;
	*rows = r;
	*cols = c;
	return 0;
}

struct side {
	struct dvec lat;
	int codes[32];
	int64_t counts[32];
	size_t ncodes;
	int64_t errors, requests;
};

static void side_add(struct side *sd, int status, int64_t lat_us)
{
	size_t i;

	sd->requests++;
	if (status != 200)
		sd->errors++;
	if (lat_us >= 0)	/* a replay does not know production's */
		dvec_push(&sd->lat, (double)lat_us / 1000.0);
	for (i = 0; i < sd->ncodes && sd->codes[i] != status; i++)
		;
	if (i == sd->ncodes && sd->ncodes < 32)
		sd->codes[sd->ncodes++] = status;
	if (i < 32)
		sd->counts[i]++;
}

static json_t *num_or_null(double x)
{
	return isfinite(x) ? json_real(x) : json_null();
}

static json_t *side_json(struct side *sd)
{
	json_t *codes = json_object();
	char key[16];

	if (sd->lat.n)	/* a replay has no production latency at all */
		qsort(sd->lat.v, sd->lat.n, sizeof(double), cmp_double);
	for (size_t i = 0; i < sd->ncodes; i++) {
		snprintf(key, sizeof(key), "%d", sd->codes[i]);
		json_object_set_new(codes, key,
				    json_integer(sd->counts[i]));
	}
	return json_pack("{s:I,s:I,s:f,s:o,s:{s:o,s:o,s:o}}", "requests",
			 (json_int_t)sd->requests, "errors",
			 (json_int_t)sd->errors, "error_rate",
			 sd->requests ? (double)sd->errors /
			 (double)sd->requests : 0.0, "status", codes,
			 "latency_ms", "p50",
			 num_or_null(percentile(sd->lat.v, sd->lat.n, 50)),
			 "p90", num_or_null(percentile(sd->lat.v, sd->lat.n,
						       90)),
			 "p99", num_or_null(percentile(sd->lat.v, sd->lat.n,
						       99)));
}

static size_t class_of(const double *row, size_t cols, double threshold)
{
	size_t best = 0;

	if (cols == 1)
		return row[0] >= threshold;
	for (size_t k = 1; k < cols; k++)
		if (row[k] > row[best])
			best = k;
	return best;
}

struct agree {
	struct dvec a, b;		/* paired values */
	size_t cols;			/* 0 until known; SIZE_MAX: mixed */
	int64_t confusion[MAX_CLASSES][MAX_CLASSES];
	int64_t rows, same, compared, incomparable;
};

static void agree_add(struct agree *ag, const char *po, size_t plen,
		      const char *so, size_t slen, double threshold)
{
	struct dvec a = { 0 }, b = { 0 };
	size_t ra, ca, rb, cb;

	if (parse_output(po, plen, &a, &ra, &ca) < 0 ||
	    parse_output(so, slen, &b, &rb, &cb) < 0 || ra != rb ||
	    ca != cb || ca > MAX_CLASSES || (ag->cols && ag->cols != ca)) {
		ag->incomparable++;
		goto out;
	}
	ag->cols = ca;
	ag->compared++;
	for (size_t i = 0; i < a.n; i++) {
		dvec_push(&ag->a, a.v[i]);
		dvec_push(&ag->b, b.v[i]);
	}
	for (size_t r = 0; r < ra; r++) {
		size_t x = class_of(a.v + r * ca, ca, threshold);
		size_t y = class_of(b.v + r * ca, ca, threshold);

		ag->confusion[x][y]++;
		ag->rows++;
		ag->same += x == y;
	}
out:
	free(a.v);
	free(b.v);
}

static json_t *agree_json(struct agree *ag,
			  const struct shadow_report_limits *lim)
{
	size_t n = ag->a.n, k = ag->cols == 1 ? 2 : ag->cols;
	double sad = 0, max = 0, within = 0, ma = 0, mb = 0, sab = 0, saa = 0,
	       sbb = 0, r, d, p;
	double *a = xcalloc(n + 1, sizeof(*a)), *b = xcalloc(n + 1, sizeof(*b));
	json_t *conf = json_array();

	for (size_t i = 0; i < n; i++) {
		double diff = fabs(ag->a.v[i] - ag->b.v[i]);

		sad += diff;
		if (diff > max)
			max = diff;
		within += diff <= lim->tolerance;
		ma += ag->a.v[i];
		mb += ag->b.v[i];
	}
	ma /= (double)(n ? n : 1);
	mb /= (double)(n ? n : 1);
	for (size_t i = 0; i < n; i++) {
		double x = ag->a.v[i] - ma, y = ag->b.v[i] - mb;

		sab += x * y;
		saa += x * x;
		sbb += y * y;
	}
	r = saa > 0 && sbb > 0 ? sab / sqrt(saa * sbb) : NAN;
	if (n) {
		memcpy(a, ag->a.v, n * sizeof(*a));
		memcpy(b, ag->b.v, n * sizeof(*b));
	}
	d = p = NAN;
	if (n && lim->ks_2samp)
		d = lim->ks_2samp(a, n, b, n, &p);
	free(a);
	free(b);
	for (size_t x = 0; x < k && n; x++) {
		json_t *row = json_array();

		for (size_t y = 0; y < k; y++)
			json_array_append_new(row, json_integer(
				ag->confusion[x][y]));
		json_array_append_new(conf, row);
	}
	return json_pack("{s:I,s:I,s:I,s:{s:o,s:o,s:o,s:f,s:o,s:o,s:o},"
			 "s:{s:f,s:I,s:o,s:o}}",
			 "pairs_compared", (json_int_t)ag->compared,
			 "pairs_incomparable", (json_int_t)ag->incomparable,
			 "values", (json_int_t)n, "numeric",
			 "mean_abs_diff", num_or_null(n ? sad / (double)n :
						      NAN),
			 "max_abs_diff", num_or_null(n ? max : NAN),
			 "within_tolerance", num_or_null(n ? within /
							 (double)n : NAN),
			 "tolerance", lim->tolerance,
			 "pearson", num_or_null(r), "ks_statistic",
			 num_or_null(d), "ks_pvalue", num_or_null(p),
			 "classes", "threshold", lim->threshold, "rows",
			 (json_int_t)ag->rows, "confusion", conf,
			 "agreement", num_or_null(ag->rows ?
				(double)ag->same / (double)ag->rows : NAN));
}

static double get_num(json_t *o, const char *a, const char *b,
		      const char *c)
{
	json_t *v = json_object_get(json_object_get(o, a), b);

	if (c)
		v = json_object_get(v, c);
	return json_is_number(v) ? json_number_value(v) : NAN;
}

/* The verdict: the reasons the shadow is worse, as an array. */
static json_t *verdict(json_t *rep, const struct shadow_report_limits *lim)
{
	json_t *why = json_array();
	double pp90 = get_num(rep, "production", "latency_ms", "p90");
	double sp90 = get_num(rep, "shadow", "latency_ms", "p90");
	double per = get_num(rep, "production", "error_rate", NULL);
	double ser = get_num(rep, "shadow", "error_rate", NULL);
	double agr = get_num(json_object_get(rep, "agreement"), "classes",
			     "agreement", NULL);
	char msg[160];

	if (isfinite(pp90) && isfinite(sp90) && pp90 > 0 &&
	    sp90 / pp90 > lim->max_latency_ratio) {
		snprintf(msg, sizeof(msg), "latency p90 ratio %.3g exceeds "
			 "%g", sp90 / pp90, lim->max_latency_ratio);
		json_array_append_new(why, json_string(msg));
	}
	if (isfinite(ser) && isfinite(per) &&
	    ser - per > lim->max_error_rate) {
		snprintf(msg, sizeof(msg), "error rate %.3g exceeds "
			 "production's %.3g by more than %g", ser, per,
			 lim->max_error_rate);
		json_array_append_new(why, json_string(msg));
	}
	if (isfinite(agr) && agr < lim->min_agreement) {
		snprintf(msg, sizeof(msg), "agreement %.4g is below %g", agr,
			 lim->min_agreement);
		json_array_append_new(why, json_string(msg));
	}
	return why;
}

int shadow_report(struct store *st, const char *name,
		  const struct shadow_report_limits *lim, json_t **out,
		  int *worse, struct mlops_err *err)
{
	struct shadow_test *t = NULL;
	struct side prod = { 0 }, shad = { 0 };
	struct agree *ag = xcalloc(1, sizeof(*ag));
	sqlite3_stmt *q = NULL;
	json_t *rep = NULL, *why;
	int ret, rc;

	if ((ret = shadow_get(st, name, &t, err)) < 0)
		goto out;
	ret = store_prepare(st, &q, "SELECT prod_status, prod_latency_us, "
			    "prod_output, shadow_status, shadow_latency_us, "
			    "shadow_output FROM shadow_pair WHERE test = ?1 "
			    "ORDER BY time_us, request_id", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int ps = sqlite3_column_int(q, 0),
		    ss = sqlite3_column_int(q, 3);

		side_add(&prod, ps, sqlite3_column_int64(q, 1));
		side_add(&shad, ss, sqlite3_column_int64(q, 4));
		if (ps == 200 && ss == 200)
			agree_add(ag, sqlite3_column_blob(q, 2),
				  (size_t)sqlite3_column_bytes(q, 2),
				  sqlite3_column_blob(q, 5),
				  (size_t)sqlite3_column_bytes(q, 5),
				  lim->threshold);
	}
	if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "read shadow pairs", err);
		goto out;
	}
	rep = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:o,s:o,s:o}",
			"test", t->name, "endpoint", t->endpoint,
			"production_model", t->production, "shadow_model",
			t->model.ref, "status", t->status, "mirrored",
			(json_int_t)t->mirrored, "shed", (json_int_t)t->shed,
			"pairs_seen", (json_int_t)t->pairs_seen, "pairs",
			(json_int_t)prod.requests, "production",
			side_json(&prod), "shadow", side_json(&shad),
			"agreement", agree_json(ag, lim));
	why = verdict(rep, lim);
	*worse = json_array_size(why) > 0;
	json_object_set_new(rep, "worse", json_boolean(*worse));
	json_object_set_new(rep, "reasons", why);
	json_object_set_new(rep, "limits", json_pack(
		"{s:f,s:f,s:f}", "max_latency_ratio", lim->max_latency_ratio,
		"max_error_rate", lim->max_error_rate, "min_agreement",
		lim->min_agreement));
	*out = rep;
out:
	sqlite3_finalize(q);
	shadow_test_free(t);
	free(prod.lat.v);
	free(shad.lat.v);
	free(ag->a.v);
	free(ag->b.v);
	free(ag);
	return ret;
}
