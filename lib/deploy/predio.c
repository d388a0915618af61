/* predio.c - inference bodies to floats and predictions to text, fast.
 *
 * Numbers are read the way numpy reads them for python-xgboost (to a
 * double, then rounded to float), so that the gateway and the Python
 * binding see the same features. Most numbers take Clinger's fast path
 * (at most 19 digits, a mantissa below 2^53 and a power of ten below
 * 10^22 give an exactly rounded double with one multiplication); the
 * rest go through strtod. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deploy/predio.h"
#include "core/xalloc.h"

static const double pow10_exact[] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

void deploy_predio_rows_release(struct deploy_predio_rows *rows)
{
	free(rows->x);
	rows->x = NULL;
	rows->nrows = rows->ncols = rows->cap = 0;
}

void deploy_predio_rows_reserve(struct deploy_predio_rows *rows, size_t need)
{
	if (need <= rows->cap)
		return;
	size_t cap = rows->cap ? rows->cap : 256;
	while (cap < need)
		cap *= 2;
	rows->x = xreallocarray(rows->x, cap, sizeof(*rows->x));
	rows->cap = cap;
}

/* The slow, always right path: strtod on a NUL-terminated copy. */
static int number_slow(const char *s, size_t n, double *out)
{
	char tmp[128];
	char *end;

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	errno = 0;
	*out = strtod(tmp, &end);
	if (end != tmp + n || (errno == ERANGE && fabs(*out) > 1.0))
		return -1;
	if (isinf(*out) || isnan(*out))
		return -1;
	return 0;
}

/* Parse the decimal number s[0..n) into *out; -1 when it is not one. */
static int number_parse(const char *s, size_t n, double *out)
{
	const char *p = s, *end = s + n;
	uint64_t mant = 0;
	int digits = 0, exp10 = 0, neg = 0, any = 0;

	if (p < end && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	while (p < end && *p >= '0' && *p <= '9') {
		if (digits < 19) {
			mant = mant * 10 + (uint64_t)(*p - '0');
			if (mant)
				digits++;
		} else {
			exp10++;
		}
		p++;
		any = 1;
	}
	if (p < end && *p == '.') {
		p++;
		while (p < end && *p >= '0' && *p <= '9') {
			if (digits < 19) {
				mant = mant * 10 + (uint64_t)(*p - '0');
				if (mant)
					digits++;
				exp10--;
			}
			p++;
			any = 1;
		}
	}
	if (!any)
		return number_slow(s, n, out);
	if (p < end && (*p == 'e' || *p == 'E')) {
		int eneg = 0, e = 0, edigits = 0;

		p++;
		if (p < end && (*p == '-' || *p == '+'))
			eneg = *p++ == '-';
		while (p < end && *p >= '0' && *p <= '9') {
			if (e < 10000)
				e = e * 10 + (*p - '0');
			p++;
			edigits++;
		}
		if (!edigits)
			return -1;
		exp10 += eneg ? -e : e;
	}
	if (p != end)
		return -1;
	if (digits >= 19 || mant > (UINT64_C(1) << 53) || exp10 < -22 ||
	    exp10 > 22)
		return number_slow(s, n, out);
	double v = (double)mant;
	v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
	*out = neg ? -v : v;
	return 0;
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int deploy_predio_parse_csv(struct deploy_predio_rows *rows, const char *body,
			    size_t len, size_t ncols, struct mlops_err *err)
{
	const char *p = body, *end = body + len;
	size_t row = 0, line = 0;

	rows->nrows = 0;
	rows->ncols = ncols;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t col = 0;

		if (!eol)
			eol = end;
		line++;
		const char *q = p;
		while (q < eol && is_space(*q))
			q++;
		if (q == eol) {		/* a blank line */
			p = eol + 1;
			continue;
		}
		for (;;) {
			const char *f = p, *fe = p;
			double v;

			while (fe < eol && *fe != ',')
				fe++;
			const char *next = fe;
			while (f < fe && is_space(*f))
				f++;
			while (fe > f && is_space(fe[-1]))
				fe--;
			if (rows->ncols && col >= rows->ncols)
				return mlops_err_set(err, MLOPS_EINPUT,
				    "line %zu: more than %zu values (the model "
				    "has %zu features)", line, rows->ncols,
				    rows->ncols);
			deploy_predio_rows_reserve(rows, (row + 1) *
				(rows->ncols ? rows->ncols : col + 1));
			if (f == fe)
				v = NAN;
			else if (number_parse(f, (size_t)(fe - f), &v) < 0)
				return mlops_err_set(err, MLOPS_EINPUT,
				    "line %zu, column %zu: '%.*s' is not a "
				    "number", line, col + 1,
				    (int)((fe - f) > 40 ? 40 : fe - f), f);
			rows->x[row * (rows->ncols ? rows->ncols : 0) + col] =
				(float)v;
			col++;
			if (next >= eol)
				break;
			p = next + 1;
		}
		if (!rows->ncols)
			rows->ncols = col;
		else if (col != rows->ncols)
			return mlops_err_set(err, MLOPS_EINPUT,
			    "line %zu: %zu values, the model expects %zu",
			    line, col, rows->ncols);
		row++;
		p = eol + 1;
	}
	rows->nrows = row;
	if (row == 0)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "empty body: expected CSV rows");
	return 0;
}

/* One JSON row (an array of numbers) into row i of rows. */
static int json_row(struct deploy_predio_rows *rows, size_t i, const json_t *r,
		    struct mlops_err *err)
{
	size_t n;

	if (json_is_object(r))
		r = json_object_get(r, "features");
	if (!json_is_array(r))
		return mlops_err_set(err, MLOPS_EINPUT, "instance %zu: "
				     "expected an array of numbers", i + 1);
	n = json_array_size(r);
	if (!rows->ncols)
		rows->ncols = n;
	if (n != rows->ncols)
		return mlops_err_set(err, MLOPS_EINPUT,
		    "instance %zu: %zu values, the model expects %zu", i + 1,
		    n, rows->ncols);
	deploy_predio_rows_reserve(rows, (i + 1) * rows->ncols);
	for (size_t j = 0; j < n; j++) {
		const json_t *v = json_array_get(r, j);
		float *dst = &rows->x[i * rows->ncols + j];

		if (json_is_number(v))
			*dst = (float)json_number_value(v);
		else if (json_is_null(v))
			*dst = NAN;
		else
			return mlops_err_set(err, MLOPS_EINPUT,
			    "instance %zu, value %zu: not a number", i + 1,
			    j + 1);
	}
	return 0;
}

int deploy_predio_parse_json(struct deploy_predio_rows *rows, const char *body,
		      size_t len, size_t ncols, struct mlops_err *err)
{
	json_error_t jerr;
	json_t *doc, *inst;
	int ret = 0;

	rows->nrows = 0;
	rows->ncols = ncols;
	if (len == 0)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "empty body: expected JSON instances");
	doc = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return mlops_err_set(err, MLOPS_EINPUT, "%d:%d: %s", jerr.line,
				     jerr.column, jerr.text);
	inst = json_is_array(doc) ? doc : json_object_get(doc, "instances");
	if (!json_is_array(inst)) {
		json_decref(doc);
		return mlops_err_set(err, MLOPS_EINPUT, "expected "
				     "{\"instances\": [[...], ...]}");
	}
	/* A flat array of numbers is one instance. */
	if (json_array_size(inst) && json_is_number(json_array_get(inst, 0))) {
		ret = json_row(rows, 0, inst, err);
		rows->nrows = ret == 0;
	} else {
		for (size_t i = 0; i < json_array_size(inst) && ret == 0; i++)
			ret = json_row(rows, i, json_array_get(inst, i), err);
		if (ret == 0)
			rows->nrows = json_array_size(inst);
	}
	json_decref(doc);
	if (ret == 0 && rows->nrows == 0)
		ret = mlops_err_set(err, MLOPS_EINPUT, "no instances");
	return ret;
}

size_t deploy_predio_format_float(char *out, float f)
{
	double v = f;
	char digits[10];
	char *p = out;
	uint64_t m;
	int e10, nd;

	if (isnan(v)) {
		memcpy(out, "nan", 3);
		return 3;
	}
	if (v == 0) {
		out[0] = '0';
		return 1;
	}
	if (v < 0) {
		*p++ = '-';
		v = -v;
	}
	e10 = (int)floor(log10(v));
	if (isinf(v) || e10 < -14 || e10 > 14)
		return (size_t)(p - out) + (size_t)snprintf(p,
			DEPLOY_PREDIO_FLOAT_MAX - 1, "%.9g", v);
	/* Nine significant digits: m = round(v * 10^(8 - e10)). */
	for (int pass = 0; pass < 2; pass++) {
		int s = 8 - e10;
		double scaled = s >= 0 ? v * pow10_exact[s] :
			v / pow10_exact[-s];

		m = (uint64_t)(scaled + 0.5);
		if (m >= UINT64_C(1000000000))
			e10++;
		else if (m < UINT64_C(100000000))
			e10--;
		else
			break;
	}
	for (int i = 8; i >= 0; i--) {
		digits[i] = (char)('0' + m % 10);
		m /= 10;
	}
	nd = 9;
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (e10 >= 9 || e10 < -5)
		return (size_t)(p - out) + (size_t)snprintf(p,
			DEPLOY_PREDIO_FLOAT_MAX - 1, "%.9g", v);
	if (e10 >= 0) {
		for (int i = 0; i <= e10; i++)
			*p++ = i < nd ? digits[i] : '0';
		if (nd > e10 + 1) {
			*p++ = '.';
			for (int i = e10 + 1; i < nd; i++)
				*p++ = digits[i];
		}
	} else {
		*p++ = '0';
		*p++ = '.';
		for (int i = 0; i < -e10 - 1; i++)
			*p++ = '0';
		for (int i = 0; i < nd; i++)
			*p++ = digits[i];
	}
	return (size_t)(p - out);
}

void deploy_predio_format_csv(struct buf *out, const float *pred, size_t nrows,
		       size_t nout)
{
	buf_grow(out, nrows * nout * (DEPLOY_PREDIO_FLOAT_MAX + 1));
	for (size_t i = 0; i < nrows; i++)
		for (size_t j = 0; j < nout; j++) {
			out->len += deploy_predio_format_float(
				out->s + out->len, pred[i * nout + j]);
			out->s[out->len++] = j + 1 < nout ? ',' : '\n';
		}
	out->s[out->len] = '\0';
}

void deploy_predio_format_json(struct buf *out, const float *pred, size_t nrows,
			size_t nout)
{
	buf_grow(out, 32 + nrows * (nout * (DEPLOY_PREDIO_FLOAT_MAX + 1) + 16));
	buf_addstr(out, "{\"predictions\":[");
	for (size_t i = 0; i < nrows; i++) {
		buf_addstr(out, i ? ",{\"score\":" : "{\"score\":");
		if (nout > 1)
			buf_addch(out, '[');
		for (size_t j = 0; j < nout; j++) {
			float v = pred[i * nout + j];

			if (j)
				buf_addch(out, ',');
			if (isnan(v)) {
				buf_addstr(out, "null");
				continue;
			}
			out->len += deploy_predio_format_float(
				out->s + out->len, v);
			out->s[out->len] = '\0';
		}
		if (nout > 1)
			buf_addch(out, ']');
		buf_addch(out, '}');
	}
	buf_addstr(out, "]}\n");
}
