/* xgb.h - the native xgboost runtime: a model file (XGBoost JSON or
 * UBJ) loaded once through the XGBoost C API and predicted from many
 * threads at once. When the model is one xgbtrees.c can evaluate, and it
 * agrees with XGBoost on a few hundred test rows, predictions use that
 * (about 15 times cheaper per call); otherwise XGBoost's in-place
 * prediction, which XGBoost documents as thread safe.
 *
 * Private to lib/deploy (the gateway, through gateway_int.h, and
 * xgb.c). */
#ifndef MLOPS_DEPLOY_XGB_H
#define MLOPS_DEPLOY_XGB_H
#include <stddef.h>

#include "core/err.h"
#include "deploy/predio.h"

struct deploy_xgb_model;

/* Load the model at path. MLOPS_EINPUT with XGBoost's own message when
 * XGBoost cannot load it. */
int deploy_xgb_model_load(struct deploy_xgb_model **out, const char *path,
		   struct mlops_err *err);
void deploy_xgb_model_free(struct deploy_xgb_model *m);

/* The number of features a row must have. */
size_t deploy_xgb_model_nfeatures(const struct deploy_xgb_model *m);
/* "native", or "xgboost" and why the native evaluator is not used. */
const char *deploy_xgb_model_predictor(const struct deploy_xgb_model *m);

/* Predict nrows rows of x (row-major, nfeatures columns, NaN missing) in
 * one call into out (nrows x out->ncols outputs; out's buffer is reused
 * and grown). MLOPS_EINPUT (a model error) with XGBoost's message. */
int deploy_xgb_model_predict(struct deploy_xgb_model *m, const float *x,
			     size_t nrows, struct deploy_predio_rows *out,
			     struct mlops_err *err);

#endif
