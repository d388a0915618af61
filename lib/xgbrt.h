/* xgbrt.h - the native xgboost runtime: a model file (XGBoost JSON or
 * UBJ) loaded once through the XGBoost C API and predicted from many
 * threads at once with in-place prediction, which XGBoost documents as
 * thread safe and lock free when nothing else touches the booster. */
#ifndef MLOPS_XGBRT_H
#define MLOPS_XGBRT_H
#include <stddef.h>

#include "err.h"

struct xgb_model;

/* Load the model at path. MLOPS_EINPUT with XGBoost's own message when
 * XGBoost cannot load it. */
int xgb_model_load(struct xgb_model **out, const char *path,
		   struct mlops_err *err);
void xgb_model_free(struct xgb_model *m);

/* The number of features a row must have. */
size_t xgb_model_nfeatures(const struct xgb_model *m);

/* Predict nrows rows of x (row-major, nfeatures columns, NaN missing) in
 * one call. *out points at nrows * *nout floats owned by XGBoost and by
 * the calling thread, valid until this thread's next prediction.
 * MLOPS_EINPUT (a model error) with XGBoost's message on failure. */
int xgb_model_predict(struct xgb_model *m, const float *x, size_t nrows,
		      const float **out, size_t *nout, struct mlops_err *err);

#endif
