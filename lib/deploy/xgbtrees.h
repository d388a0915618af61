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
 * gamma, Tweedie). Anything else is refused, and xgbrt.c then keeps
 * XGBoost's own predictor. Sums are accumulated in float in tree order,
 * as XGBoost's CPU predictor does, so results agree to the last bit or
 * nearly; xgbrt.c checks that on sample rows before trusting it. */
#ifndef MLOPS_XGBTREES_H
#define MLOPS_XGBTREES_H
#include <stddef.h>

#include "core/err.h"

struct xgb_trees;

/* Build from the model's JSON (XGBoosterSaveModelToBuffer, format
 * json). MLOPS_EINPUT saying why when the model is not supported. */
int xgb_trees_build(struct xgb_trees **out, const char *json, size_t len,
		    struct mlops_err *err);
void xgb_trees_free(struct xgb_trees *t);

size_t xgb_trees_nfeatures(const struct xgb_trees *t);

/* Predict nrows rows of x (nfeatures columns, NaN missing) into out
 * (nrows floats). Thread safe: t is never written. */
void xgb_trees_predict(const struct xgb_trees *t, const float *x,
		       size_t nrows, float *out);

/* Split thresholds of the model, for building test rows: *n of them,
 * borrowed, with the feature of each in *features. */
const float *xgb_trees_thresholds(const struct xgb_trees *t,
				  const unsigned **features, size_t *n);

#endif
