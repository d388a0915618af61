/* xgbapi.h - the XGBoost C API functions mlops calls, through
 * libxgboost loaded when one is first called. Linking libxgboost (with
 * libstdc++, libgomp and libdmlc) cost every program 4 ms at each start,
 * most never touching a model; now only a process that loads a model
 * pays it, once.
 *
 * Each xgbapi_NAME is XGBoost's XGBNAME (XGDMatrix... for dmatrix_*),
 * same arguments and results. When the library cannot be loaded they
 * return -1 and xgbapi_last_error() says why, as XGBGetLastError() does
 * for XGBoost's own errors. */
#ifndef MLOPS_CORE_XGBAPI_H
#define MLOPS_CORE_XGBAPI_H
#include <xgboost/c_api.h>

/* The library's file, as dlopen(3) finds it. */
#define XGBAPI_LIBRARY "libxgboost.so.0"

const char *xgbapi_last_error(void);
int xgbapi_booster_create(const DMatrixHandle dmats[], bst_ulong len,
			  BoosterHandle *out);
int xgbapi_booster_free(BoosterHandle handle);
int xgbapi_booster_load_model(BoosterHandle handle, const char *fname);
int xgbapi_booster_set_param(BoosterHandle handle, const char *name,
			     const char *value);
int xgbapi_booster_get_num_feature(BoosterHandle handle, bst_ulong *out);
int xgbapi_booster_save_model_to_buffer(BoosterHandle handle,
					char const *config, bst_ulong *out_len,
					char const **out_dptr);
int xgbapi_booster_predict_from_dense(BoosterHandle handle,
				      char const *values, char const *config,
				      DMatrixHandle m,
				      bst_ulong const **out_shape,
				      bst_ulong *out_dim,
				      const float **out_result);
int xgbapi_booster_predict_from_dmatrix(BoosterHandle handle,
					DMatrixHandle dmat, char const *config,
					bst_ulong const **out_shape,
					bst_ulong *out_dim,
					float const **out_result);
int xgbapi_dmatrix_create_from_mat(const float *data, bst_ulong nrow,
				   bst_ulong ncol, float missing,
				   DMatrixHandle *out);
int xgbapi_dmatrix_free(DMatrixHandle handle);

#endif
