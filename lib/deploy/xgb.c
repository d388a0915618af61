/* xgb.c - XGBoost models through the C API (libxgboost 1.7), with the
 * native tree evaluator as the fast path (see xgb.h).
 *
 * XGBoost's path is in-place prediction (XGBoosterPredictFromDense): no
 * DMatrix, results in a per-thread buffer inside the booster, safe from
 * many threads. The booster runs one OpenMP thread: the gateway already
 * runs one request per core, and a small batch is faster without waking
 * a thread team. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/xalloc.h"
#include "core/xgbapi.h"
#include "deploy/xgb.h"
#include "deploy/xgbtrees.h"

#define CHECK_ROWS 512

struct deploy_xgb_model {
	BoosterHandle booster;
	size_t nfeatures;
	struct deploy_xgbtrees *trees;	/* the fast path, or NULL */
	char predictor[256];
};

static const char predict_config[] =
	"{\"type\":0,\"training\":false,\"iteration_begin\":0,"
	"\"iteration_end\":0,\"strict_shape\":false,\"missing\":NaN,"
	"\"cache_id\":0}";

/* XGBoost's messages end with a stack trace: keep the first line. */
static int first_line_len(const char *msg)
{
	size_t n = strcspn(msg, "\n");

	return (int)(n > 400 ? 400 : n);
}

static int api_predict(struct deploy_xgb_model *m, const float *x, size_t nrows,
		       struct deploy_predio_rows *out, struct mlops_err *err)
{
	char iface[192];
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0;
	const float *res = NULL;
	size_t nout = 1;

	snprintf(iface, sizeof(iface), "{\"data\":[%" PRIuPTR ",true],"
		 "\"shape\":[%zu,%zu],\"typestr\":\"<f4\",\"version\":3}",
		 (uintptr_t)x, nrows, m->nfeatures);
	if (xgbapi_booster_predict_from_dense(m->booster, iface, predict_config, NULL,
				      &shape, &dim, &res) != 0)
		return mlops_err_set(err, MLOPS_EINPUT, "xgboost: %.*s",
				     first_line_len(xgbapi_last_error()),
				     xgbapi_last_error());
	for (bst_ulong i = 1; i < dim; i++)
		nout *= (size_t)shape[i];
	deploy_predio_rows_reserve(out, nrows * nout);
	memcpy(out->x, res, nrows * nout * sizeof(*res));
	out->nrows = nrows;
	out->ncols = nout;
	return 0;
}

/* Rows that exercise the trees: split thresholds exactly (ties), values
 * near them, missing values and ordinary numbers, from a fixed seed. */
static void check_rows(const struct deploy_xgbtrees *t, size_t nf, float *x)
{
	const unsigned *feat;
	size_t nth;
	const float *th = deploy_xgbtrees_thresholds(t, &feat, &nth);
	uint64_t s = 0x2545F4914F6CDD1DULL;

	for (size_t i = 0; i < CHECK_ROWS * nf; i++) {
		uint32_t r;

		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		r = (uint32_t)(s >> 33);
		if (r % 10 == 0)
			x[i] = NAN;
		else if (nth && r % 10 < 6)
			x[i] = th[(r >> 4) % nth] * (r % 3 == 0 ? 1.0f :
				r % 3 == 1 ? 1.0001f : 0.9999f);
		else
			x[i] = (float)((double)(r >> 8) / (1 << 22) - 1.0) *
			       4.0f;
	}
}

/* Use the native evaluator when it supports the model and agrees with
 * XGBoost; say why not otherwise. */
static void try_native(struct deploy_xgb_model *m)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_predio_rows want = DEPLOY_PREDIO_ROWS_INIT;
	const char *json = NULL;
	bst_ulong len = 0;
	float *x, *got;

	if (xgbapi_booster_save_model_to_buffer(m->booster, "{\"format\":\"json\"}",
				       &len, &json) != 0) {
		snprintf(m->predictor, sizeof(m->predictor), "xgboost "
			 "(cannot dump the model)");
		return;
	}
	if (deploy_xgbtrees_build(&m->trees, json, (size_t)len, &err) < 0) {
		snprintf(m->predictor, sizeof(m->predictor), "xgboost "
			 "(native evaluator: unsupported %.200s)", err.msg);
		return;
	}
	x = xcalloc(CHECK_ROWS * m->nfeatures, sizeof(*x));
	got = xcalloc(CHECK_ROWS, sizeof(*got));
	check_rows(m->trees, m->nfeatures, x);
	deploy_xgbtrees_predict(m->trees, x, CHECK_ROWS, got);
	if (deploy_xgbtrees_nfeatures(m->trees) != m->nfeatures ||
	    api_predict(m, x, CHECK_ROWS, &want, &err) < 0 ||
	    want.ncols != 1) {
		snprintf(m->predictor, sizeof(m->predictor), "xgboost "
			 "(native evaluator: cannot compare)");
		deploy_xgbtrees_free(m->trees);
		m->trees = NULL;
	}
	for (size_t i = 0; m->trees && i < CHECK_ROWS; i++) {
		double d = fabs((double)got[i] - (double)want.x[i]);

		if (d > 1e-6 * fmax(1.0, fabs((double)want.x[i]))) {
			snprintf(m->predictor, sizeof(m->predictor), "xgboost "
				 "(native evaluator differs on a test row: "
				 "%.9g, xgboost %.9g)", got[i], want.x[i]);
			deploy_xgbtrees_free(m->trees);
			m->trees = NULL;
		}
	}
	if (m->trees)
		snprintf(m->predictor, sizeof(m->predictor), "native");
	deploy_predio_rows_release(&want);
	free(x);
	free(got);
}

int deploy_xgb_model_load(struct deploy_xgb_model **out, const char *path,
		   struct mlops_err *err)
{
	struct deploy_xgb_model *m = xcalloc(1, sizeof(*m));
	bst_ulong nf = 0;

	if (xgbapi_booster_create(NULL, 0, &m->booster) != 0)
		goto fail;
	if (xgbapi_booster_load_model(m->booster, path) != 0)
		goto fail;
	if (xgbapi_booster_set_param(m->booster, "nthread", "1") != 0)
		goto fail;
	if (xgbapi_booster_get_num_feature(m->booster, &nf) != 0)
		goto fail;
	m->nfeatures = (size_t)nf;
	try_native(m);
	*out = m;
	return 0;
fail:
	mlops_err_set(err, MLOPS_EINPUT, "%s: xgboost cannot load the model: "
		      "%.*s", path, first_line_len(xgbapi_last_error()),
		      xgbapi_last_error());
	deploy_xgb_model_free(m);
	return err->code;
}

void deploy_xgb_model_free(struct deploy_xgb_model *m)
{
	if (!m)
		return;
	if (m->booster)
		xgbapi_booster_free(m->booster);
	deploy_xgbtrees_free(m->trees);
	free(m);
}

size_t deploy_xgb_model_nfeatures(const struct deploy_xgb_model *m)
{
	return m->nfeatures;
}

const char *deploy_xgb_model_predictor(const struct deploy_xgb_model *m)
{
	return m->predictor;
}

int deploy_xgb_model_predict(struct deploy_xgb_model *m, const float *x,
			     size_t nrows, struct deploy_predio_rows *out,
			     struct mlops_err *err)
{
	if (!m->trees)
		return api_predict(m, x, nrows, out, err);
	deploy_predio_rows_reserve(out, nrows);
	deploy_xgbtrees_predict(m->trees, x, nrows, out->x);
	out->nrows = nrows;
	out->ncols = 1;
	return 0;
}
