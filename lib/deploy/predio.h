/* predio.h - the request and response bodies of inference: CSV rows
 * (text/csv, one row per line, no header, as SageMaker's XGBoost
 * container) and JSON ({"instances": [[...], ...]}) parsed straight into
 * a dense float matrix, and predictions printed back with a fast float
 * printer. This is the gateway's hot path: no allocation once the
 * caller's buffers have grown to the request size.
 *
 * Private to lib/deploy (gateway.c, xgb.h and predio.c). */
#ifndef MLOPS_DEPLOY_PREDIO_H
#define MLOPS_DEPLOY_PREDIO_H
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* A dense row-major matrix of nrows x ncols floats; missing values are
 * NaN. The caller keeps one and reuses it across requests. */
struct deploy_predio_rows {
	float *x;
	size_t nrows, ncols;
	size_t cap;		/* floats allocated in x */
};

#define DEPLOY_PREDIO_ROWS_INIT { NULL, 0, 0, 0 }

void deploy_predio_rows_release(struct deploy_predio_rows *rows);
/* Make room for at least n floats in rows->x. */
void deploy_predio_rows_reserve(struct deploy_predio_rows *rows, size_t n);

/* Parse CSV rows into rows. ncols is the number of features each row
 * must have (0: whatever the first row has). Empty fields are missing
 * values; blank lines are skipped. MLOPS_EINPUT says which row and
 * column is wrong and why. */
int deploy_predio_parse_csv(struct deploy_predio_rows *rows, const char *body,
			    size_t len, size_t ncols, struct mlops_err *err);

/* Parse {"instances": [[...], ...]} (rows may also be
 * {"features": [...]}, and a bare top-level array of rows is accepted);
 * null is a missing value. */
int deploy_predio_parse_json(struct deploy_predio_rows *rows, const char *body,
		      size_t len, size_t ncols, struct mlops_err *err);

/* Print v with 9 significant digits (enough to read back the same float)
 * into out, which has room for at least DEPLOY_PREDIO_FLOAT_MAX bytes; returns
 * the length. No NUL is written. */
#define DEPLOY_PREDIO_FLOAT_MAX 32
size_t deploy_predio_format_float(char *out, float v);

/* Append predictions (nrows x nout) as CSV: one row per line, values of
 * a row separated by commas. */
void deploy_predio_format_csv(struct buf *out, const float *pred, size_t nrows,
		       size_t nout);
/* Append {"predictions":[{"score":v},...]} (score is an array when
 * nout > 1), as SageMaker's XGBoost container answers JSON. */
void deploy_predio_format_json(struct buf *out, const float *pred, size_t nrows,
			size_t nout);

#endif
