/* attribution.h - feature attribution drift (attribution.c). */
#ifndef MLOPS_MONITOR_ATTRIBUTION_H
#define MLOPS_MONITOR_ATTRIBUTION_H
#include <stddef.h>

#include <jansson.h>

#include "core/err.h"

/* NDCG of the ranking by cur against the relevances base, over the
 * top k of n features: sum of base[r_i] / log2(i + 2) over the current
 * ranking r, divided by the same sum over the baseline's own ranking
 * (1 when every baseline attribution is 0). */
double monitor_attribution_ndcg(const double *base, const double *cur,
				size_t n, size_t k);

/* Mean |SHAP| per feature of the XGBoost model at path model on the
 * baseline CSV and on the current CSV (the same numeric columns with a
 * header, in the model's feature order; an empty field is missing), and
 * the NDCG of the current ranking over the top_k features (0: all).
 * *out is {"ndcg", "top_k", "features": [{name, baseline, current}]}.
 * MLOPS_EINPUT for a model XGBoost cannot load or explain, columns that
 * differ, or a field that is not a number. */
int monitor_attribution_drift(json_t **out, const char *model,
			      int base_fd, const char *base_file,
			      int cur_fd, const char *cur_file, size_t top_k,
			      struct mlops_err *err);

#endif
