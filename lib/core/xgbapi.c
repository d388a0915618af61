/* xgbapi.c - libxgboost loaded at the first call (see xgbapi.h). */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "core/xgbapi.h"

/* The library's functions, typed by its own header. */
static struct {
	__typeof__(XGBGetLastError) *get_last_error;
	__typeof__(XGBoosterCreate) *booster_create;
	__typeof__(XGBoosterFree) *booster_free;
	__typeof__(XGBoosterLoadModel) *booster_load_model;
	__typeof__(XGBoosterSetParam) *booster_set_param;
	__typeof__(XGBoosterGetNumFeature) *booster_get_num_feature;
	__typeof__(XGBoosterSaveModelToBuffer) *booster_save_model_to_buffer;
	__typeof__(XGBoosterPredictFromDense) *booster_predict_from_dense;
	__typeof__(XGBoosterPredictFromDMatrix) *booster_predict_from_dmatrix;
	__typeof__(XGDMatrixCreateFromMat) *dmatrix_create_from_mat;
	__typeof__(XGDMatrixFree) *dmatrix_free;
} api;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int loaded;
static char load_error[512];

/* Resolve name into *slot; 0, or -1 with load_error set. */
static int resolve(void *lib, const char *name, void *slot)
{
	void *f = dlsym(lib, name);

	if (!f) {
		snprintf(load_error, sizeof(load_error), "%s has no %s",
			 XGBAPI_LIBRARY, name);
		return -1;
	}
	/* A function pointer through void *, as POSIX has dlsym give. */
	*(void **)slot = f;
	return 0;
}

static void load(void)
{
	void *lib = dlopen(XGBAPI_LIBRARY, RTLD_NOW | RTLD_LOCAL);

	if (!lib) {
		snprintf(load_error, sizeof(load_error), "cannot load XGBoost: "
			 "%s", dlerror());
		return;
	}
	loaded = resolve(lib, "XGBGetLastError", &api.get_last_error) == 0 &&
		 resolve(lib, "XGBoosterCreate", &api.booster_create) == 0 &&
		 resolve(lib, "XGBoosterFree", &api.booster_free) == 0 &&
		 resolve(lib, "XGBoosterLoadModel",
			 &api.booster_load_model) == 0 &&
		 resolve(lib, "XGBoosterSetParam",
			 &api.booster_set_param) == 0 &&
		 resolve(lib, "XGBoosterGetNumFeature",
			 &api.booster_get_num_feature) == 0 &&
		 resolve(lib, "XGBoosterSaveModelToBuffer",
			 &api.booster_save_model_to_buffer) == 0 &&
		 resolve(lib, "XGBoosterPredictFromDense",
			 &api.booster_predict_from_dense) == 0 &&
		 resolve(lib, "XGBoosterPredictFromDMatrix",
			 &api.booster_predict_from_dmatrix) == 0 &&
		 resolve(lib, "XGDMatrixCreateFromMat",
			 &api.dmatrix_create_from_mat) == 0 &&
		 resolve(lib, "XGDMatrixFree", &api.dmatrix_free) == 0;
	/* The library stays loaded for the life of the process. */
}

/* Whether the library is there, loading it the first time. */
static int ready(void)
{
	pthread_once(&once, load);
	return loaded;
}

const char *xgbapi_last_error(void)
{
	return ready() ? api.get_last_error() : load_error;
}

int xgbapi_booster_create(const DMatrixHandle dmats[], bst_ulong len,
			  BoosterHandle *out)
{
	return ready() ? api.booster_create(dmats, len, out) : -1;
}

int xgbapi_booster_free(BoosterHandle handle)
{
	return ready() ? api.booster_free(handle) : -1;
}

int xgbapi_booster_load_model(BoosterHandle handle, const char *fname)
{
	return ready() ? api.booster_load_model(handle, fname) : -1;
}

int xgbapi_booster_set_param(BoosterHandle handle, const char *name,
			     const char *value)
{
	return ready() ? api.booster_set_param(handle, name, value) : -1;
}

int xgbapi_booster_get_num_feature(BoosterHandle handle, bst_ulong *out)
{
	return ready() ? api.booster_get_num_feature(handle, out) : -1;
}

int xgbapi_booster_save_model_to_buffer(BoosterHandle handle,
					char const *config, bst_ulong *out_len,
					char const **out_dptr)
{
	return ready() ? api.booster_save_model_to_buffer(handle, config,
							  out_len, out_dptr)
		       : -1;
}

int xgbapi_booster_predict_from_dense(BoosterHandle handle,
				      char const *values, char const *config,
				      DMatrixHandle m,
				      bst_ulong const **out_shape,
				      bst_ulong *out_dim,
				      const float **out_result)
{
	return ready() ? api.booster_predict_from_dense(handle, values, config,
							m, out_shape, out_dim,
							out_result)
		       : -1;
}

int xgbapi_booster_predict_from_dmatrix(BoosterHandle handle,
					DMatrixHandle dmat, char const *config,
					bst_ulong const **out_shape,
					bst_ulong *out_dim,
					float const **out_result)
{
	return ready() ? api.booster_predict_from_dmatrix(handle, dmat, config,
							  out_shape, out_dim,
							  out_result)
		       : -1;
}

int xgbapi_dmatrix_create_from_mat(const float *data, bst_ulong nrow,
				   bst_ulong ncol, float missing,
				   DMatrixHandle *out)
{
	return ready() ? api.dmatrix_create_from_mat(data, nrow, ncol, missing,
						     out)
		       : -1;
}

int xgbapi_dmatrix_free(DMatrixHandle handle)
{
	return ready() ? api.dmatrix_free(handle) : -1;
}
