/* answer.c - an xgboost model's answer to one request body, as the
 * gateway gives it (see answer.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "deploy/answer.h"

/* 1 when the media type of ctype is want, whatever its parameters
 * ("text/csv; charset=utf-8" is text/csv; "text/csvx" is not). */
int media_type_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	ctype += strspn(ctype, " \t");
	if (strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	ctype += strspn(ctype, " \t");
	return *ctype == '\0' || *ctype == ';';
}

int xgb_answer(struct deploy_xgb_model *m, const char *ctype, const char *body,
	       size_t len, struct deploy_predio_rows *rows, struct deploy_predio_rows *pred,
	       struct buf *out, const char **out_type, char *msg,
	       size_t msg_size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int json = media_type_is(ctype, "application/json");

	if (!json && !media_type_is(ctype, "text/csv")) {
		snprintf(msg, msg_size, "content type '%s' is not supported: "
			 "use text/csv or application/json", ctype);
		return 415;
	}
	if ((json ? deploy_predio_parse_json : deploy_predio_parse_csv)(rows, body, len,
	    deploy_xgb_model_nfeatures(m), &err) < 0) {
		snprintf(msg, msg_size, "%s", err.msg);
		return 400;
	}
	if (deploy_xgb_model_predict(m, rows->x, rows->nrows, pred, &err) < 0) {
		snprintf(msg, msg_size, "%s", err.msg);
		return 424;
	}
	buf_reset(out);
	if (json)
		deploy_predio_format_json(out, pred->x, pred->nrows, pred->ncols);
	else
		deploy_predio_format_csv(out, pred->x, pred->nrows, pred->ncols);
	*out_type = json ? "application/json" : "text/csv";
	return 200;
}

