/* xgbrt.c - XGBoost models through the C API (libxgboost 1.7).
 *
 * In-place prediction (XGBoosterPredictFromDense) is used: it needs no
 * DMatrix, keeps its result in a per-thread buffer inside the booster and
 * is safe to call from many threads. The booster runs one OpenMP thread:
 * the gateway already runs one request per core, and a small batch is
 * far faster without waking a thread team. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xgboost/c_api.h>

#include "xalloc.h"
#include "xgbrt.h"

struct xgb_model {
	BoosterHandle booster;
	size_t nfeatures;
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

int xgb_model_load(struct xgb_model **out, const char *path,
		   struct mlops_err *err)
{
	struct xgb_model *m = xcalloc(1, sizeof(*m));
	bst_ulong nf = 0;

	if (XGBoosterCreate(NULL, 0, &m->booster) != 0)
		goto fail;
	if (XGBoosterLoadModel(m->booster, path) != 0)
		goto fail;
	if (XGBoosterSetParam(m->booster, "nthread", "1") != 0)
		goto fail;
	if (XGBoosterGetNumFeature(m->booster, &nf) != 0)
		goto fail;
	m->nfeatures = (size_t)nf;
	*out = m;
	return 0;
fail:
	mlops_err_set(err, MLOPS_EINPUT, "%s: xgboost cannot load the model: "
		      "%.*s", path, first_line_len(XGBGetLastError()),
		      XGBGetLastError());
	xgb_model_free(m);
	return err->code;
}

void xgb_model_free(struct xgb_model *m)
{
	if (!m)
		return;
	if (m->booster)
		XGBoosterFree(m->booster);
	free(m);
}

size_t xgb_model_nfeatures(const struct xgb_model *m)
{
	return m->nfeatures;
}

int xgb_model_predict(struct xgb_model *m, const float *x, size_t nrows,
		      const float **out, size_t *nout, struct mlops_err *err)
{
	char iface[192];
	const bst_ulong *shape = NULL;
	bst_ulong dim = 0;
	const float *res = NULL;

	snprintf(iface, sizeof(iface), "{\"data\":[%" PRIuPTR ",true],"
		 "\"shape\":[%zu,%zu],\"typestr\":\"<f4\",\"version\":3}",
		 (uintptr_t)x, nrows, m->nfeatures);
	if (XGBoosterPredictFromDense(m->booster, iface, predict_config, NULL,
				      &shape, &dim, &res) != 0)
		return mlops_err_set(err, MLOPS_EINPUT, "xgboost: %.*s",
				     first_line_len(XGBGetLastError()),
				     XGBGetLastError());
	*nout = 1;
	for (bst_ulong i = 1; i < dim; i++)
		*nout *= (size_t)shape[i];
	*out = res;
	return 0;
}
