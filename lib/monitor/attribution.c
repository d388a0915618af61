/* attribution.c - feature attribution drift, as SageMaker Clarify
 * measures it: SHAP values of an XGBoost model (the booster's exact
 * TreeSHAP, XGBoost's "contributions" prediction through its C API) on
 * the baseline data and on the current data; each feature's global
 * attribution is the mean absolute SHAP value; the current ranking is
 * scored against the baseline's attributions by NDCG. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/xalloc.h"
#include "core/xgbapi.h"
#include "monitor/monitor.h"

/* Read a CSV of numbers into a row-major matrix; an empty field is NaN
 * (missing, for XGBoost). With names NULL the first row is a header,
 * whose names go to *names; else the rows have no header and the
 * columns are the *cols names given. */
static int read_matrix(struct csv_reader *r, float **out, size_t *rows,
		       size_t *cols, char ***names, struct mlops_err *err)
{
	size_t n = *cols, len = 0, cap = 0;
	char **h = *names, **f;
	float *m = NULL;
	int ret = 0;

	if (!h) {
		ret = csv_read_header(r, &n, &h, err);
		if (ret == 0) {
			*names = xcalloc(n, sizeof(**names));
			for (size_t i = 0; i < n; i++)
				(*names)[i] = xstrdup(h[i]);
		}
	}
	while (ret == 0 && (ret = csv_read_row(r, n, &f, err)) == 1) {
		ret = 0;
		ALLOC_GROW(m, len + n, cap);
		for (size_t i = 0; i < n && ret == 0; i++) {
			char *end;
			double v = f[i][0] ? strtod(f[i], &end) : NAN;

			if (f[i][0] && (*end || !isfinite(v)))
				ret = mlops_err_set(err, MLOPS_EINPUT,
					"%s:%ld: column '%s': '%s' is not a "
					"number", csv_reader_name(r),
					csv_record_line(r), h[i], f[i]);
			m[len++] = (float)v;
		}
	}
	if (ret == 0 && len == 0)
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s: no data rows",
				    csv_reader_name(r));
	if (ret < 0) {
		free(m);
		return ret;
	}
	*out = m;
	*rows = len / (n ? n : 1);
	*cols = n;
	return 0;
}

/* Mean |SHAP| per feature of the rows of m, into attr[0..cols). */
static int mean_abs_shap(BoosterHandle b, const float *m, size_t rows,
			 size_t cols, double *attr, const char *file,
			 struct mlops_err *err)
{
	static const char config[] = "{\"type\": 2, \"training\": false, "
		"\"iteration_begin\": 0, \"iteration_end\": 0, "
		"\"strict_shape\": false}";
	DMatrixHandle d = NULL;
	const bst_ulong *shape;
	bst_ulong dim;
	const float *res;
	int ret = 0;

	if (xgbapi_dmatrix_create_from_mat(m, rows, cols, NAN, &d) != 0 ||
	    xgbapi_booster_predict_from_dmatrix(b, d, config, &shape, &dim,
					&res) != 0) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s: XGBoost cannot "
				    "explain the rows: %s", file,
				    xgbapi_last_error());
		goto out;
	}
	if (dim != 2 || shape[0] != rows || shape[1] != cols + 1) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s: the model gives "
				    "%llu contributions a row for %zu "
				    "columns (one output and as many "
				    "features as columns are needed)", file,
				    dim == 2 ? (unsigned long long)shape[1] :
				    0ull, cols);
		goto out;
	}
	for (size_t j = 0; j < cols; j++)
		attr[j] = 0;
	for (size_t i = 0; i < rows; i++)
		for (size_t j = 0; j < cols; j++)
			attr[j] += fabs(res[i * (cols + 1) + j]);
	for (size_t j = 0; j < cols; j++)
		attr[j] /= (double)rows;
out:
	if (d)
		xgbapi_dmatrix_free(d);
	return ret;
}

static const double *sort_key;

static int by_key_desc(const void *a, const void *b)
{
	double x = sort_key[*(const size_t *)a];
	double y = sort_key[*(const size_t *)b];

	if (x != y)
		return x < y ? 1 : -1;
	return (*(const size_t *)a > *(const size_t *)b) -
	       (*(const size_t *)a < *(const size_t *)b);
}

/* Feature indices by attribution, largest first (ties by position). */
static size_t *ranking(const double *attr, size_t n)
{
	size_t *idx = xcalloc(n ? n : 1, sizeof(*idx));

	for (size_t i = 0; i < n; i++)
		idx[i] = i;
	sort_key = attr;
	qsort(idx, n, sizeof(*idx), by_key_desc);
	return idx;
}

double monitor_attribution_ndcg(const double *base, const double *cur,
				size_t n, size_t k)
{
	size_t *rc = ranking(cur, n), *rb = ranking(base, n);
	double dcg = 0, idcg = 0;

	if (k > n)
		k = n;
	/* The relevance of the feature ranked i now is its baseline
	 * attribution; the ideal order is the baseline's own. */
	for (size_t i = 0; i < k; i++) {
		dcg += base[rc[i]] / log2((double)i + 2);
		idcg += base[rb[i]] / log2((double)i + 2);
	}
	free(rc);
	free(rb);
	return idcg > 0 ? dcg / idcg : 1;
}

/* The drift between the baseline CSV (with a header) of br and the
 * current CSV of cr: with a header when cur_header, else columns as the
 * baseline's. */
static int drift(json_t **out, const char *model, struct csv_reader *br,
		 struct csv_reader *cr, int cur_header, size_t top_k,
		 struct mlops_err *err)
{
	const char *base_file = csv_reader_name(br);
	const char *cur_file = csv_reader_name(cr);
	BoosterHandle b = NULL;
	float *mb = NULL, *mc = NULL;
	char **nb = NULL, **nc = NULL;
	size_t rb = 0, cb = 0, rc = 0, cc = 0;
	double *ab = NULL, *ac = NULL;
	int ret;

	ret = read_matrix(br, &mb, &rb, &cb, &nb, err);
	if (ret == 0 && !cur_header) {
		cc = cb;
		nc = nb;
	}
	if (ret == 0)
		ret = read_matrix(cr, &mc, &rc, &cc, &nc, err);
	for (size_t i = 0; ret == 0 && i < cb; i++)
		if (cc != cb || strcmp(nb[i], nc[i]) != 0)
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s and %s do "
					    "not have the same columns",
					    base_file, cur_file);
	if (ret == 0 && (xgbapi_booster_create(NULL, 0, &b) != 0 ||
			 xgbapi_booster_load_model(b, model) != 0))
		ret = mlops_err_set(err, MLOPS_EINPUT, "cannot load the "
				    "XGBoost model '%s': %s", model,
				    xgbapi_last_error());
	if (ret == 0) {
		ab = xcalloc(cb, sizeof(*ab));
		ac = xcalloc(cb, sizeof(*ac));
		ret = mean_abs_shap(b, mb, rb, cb, ab, base_file, err);
	}
	if (ret == 0)
		ret = mean_abs_shap(b, mc, rc, cc, ac, cur_file, err);
	if (ret == 0) {
		json_t *feats = json_array();

		for (size_t i = 0; i < cb; i++)
			json_array_append_new(feats, json_pack("{s:s,s:f,s:f}",
				"name", nb[i], "baseline", ab[i], "current",
				ac[i]));
		*out = json_pack("{s:f,s:I,s:o}", "ndcg",
				 monitor_attribution_ndcg(ab, ac, cb,
				 top_k ? top_k : cb), "top_k",
				 (json_int_t)(top_k ? (top_k < cb ? top_k :
				 cb) : cb), "features", feats);
	}
	if (b)
		xgbapi_booster_free(b);
	for (size_t i = 0; nb && i < cb; i++)
		free(nb[i]);
	for (size_t i = 0; nc != nb && nc && i < cc; i++)
		free(nc[i]);
	if (nc != nb)
		free(nc);
	free(nb);
	free(mb);
	free(mc);
	free(ab);
	free(ac);
	return ret;
}

int monitor_attribution_drift(json_t **out, const char *model,
			      int base_fd, const char *base_file,
			      int cur_fd, const char *cur_file, size_t top_k,
			      struct mlops_err *err)
{
	struct csv_reader *br = csv_reader_new(base_fd, base_file);
	struct csv_reader *cr = csv_reader_new(cur_fd, cur_file);
	int ret = drift(out, model, br, cr, 1, top_k, err);

	csv_reader_free(br);
	csv_reader_free(cr);
	return ret;
}

int monitor_attribution_drift_rows(json_t **out, const char *model,
				   int base_fd, const char *base_file,
				   const char *rows, size_t len,
				   const char *rows_name, size_t top_k,
				   struct mlops_err *err)
{
	struct csv_reader *br = csv_reader_new(base_fd, base_file);
	struct csv_reader *cr = csv_reader_new_mem(rows, len, rows_name);
	int ret = drift(out, model, br, cr, 0, top_k, err);

	csv_reader_free(br);
	csv_reader_free(cr);
	return ret;
}
