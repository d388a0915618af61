/* xgbtrees.h - a native evaluator for XGBoost tree ensembles: the
 * model's trees, read from XGBoost's own JSON dump, flattened into one
 * array of 16-byte nodes and walked without any per-call setup. XGBoost's
 * in-place prediction spends some 25 us per call on parsing its JSON
 * arguments and building a proxy matrix before walking 100 trees in
 * about 2 us; this skips all of that.
 *
 * It handles what most served models are: gbtree boosters with
 * numerical splits, one output, and the common objectives
 * (squared/absolute/pseudo-Huber error, logistic, logitraw, Poisson,
 * gamma, Tweedie). Anything else is refused, and xgb.c then keeps
 * XGBoost's own predictor. Sums are accumulated in float in tree order,
 * as XGBoost's CPU predictor does, so results agree to the last bit or
 * nearly; xgb.c checks that on sample rows before trusting it.
 *
 * Private to lib/deploy (xgb.c and xgbtrees.c). */
#ifndef MLOPS_DEPLOY_XGBTREES_H
#define MLOPS_DEPLOY_XGBTREES_H
#include <stddef.h>

#include "core/err.h"

struct deploy_xgbtrees;

/* Build from the model's JSON (XGBoosterSaveModelToBuffer, format
 * json). MLOPS_EINPUT saying why when the model is not supported. */
int deploy_xgbtrees_build(struct deploy_xgbtrees **out, const char *json,
			  size_t len, struct mlops_err *err);
void deploy_xgbtrees_free(struct deploy_xgbtrees *t);

size_t deploy_xgbtrees_nfeatures(const struct deploy_xgbtrees *t);

/* Predict nrows rows of x (nfeatures columns, NaN missing) into out
 * (nrows floats). Thread safe: t is never written. */
void deploy_xgbtrees_predict(const struct deploy_xgbtrees *t, const float *x,
		       size_t nrows, float *out);

/* Split thresholds of the model, for building test rows: *n of them,
 * borrowed, with the feature of each in *features. */
const float *deploy_xgbtrees_thresholds(const struct deploy_xgbtrees *t,
				  const unsigned **features, size_t *n);

#endif
