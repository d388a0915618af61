/* answer.h - private to lib/deploy: an xgboost model's answer to one
 * request body, as the gateway gives it, shared by production requests,
 * shadow tests and replays (deploy_answer in deploy.h), so that the
 * three answer alike. */
#ifndef MLOPS_DEPLOY_ANSWER_H
#define MLOPS_DEPLOY_ANSWER_H
#include <stddef.h>

#include "core/buf.h"
#include "deploy/predio.h"
#include "deploy/xgb.h"

/* 1 when the media type of ctype is want, whatever its parameters
 * ("text/csv; charset=utf-8" is text/csv; "text/csvx" is not). */
int deploy_answer_media_type_is(const char *ctype, const char *want);

/* Predict body (text/csv or application/json) with m into out, its type
 * in *out_type, using rows and pred as scratch: 200, or the error status
 * (415, 400, 424) with msg set. */
int deploy_answer_xgb(struct deploy_xgb_model *m, const char *ctype,
		      const char *body, size_t len,
		      struct deploy_predio_rows *rows,
		      struct deploy_predio_rows *pred, struct buf *out,
		      const char **out_type, char *msg, size_t msg_size);

#endif
