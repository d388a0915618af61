/* answer.c - a model version's answer to one request body, as the
 * gateway gives it (see answer.h), and deploy_answer (deploy.h): one
 * version answering in the calling process, for replays. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/fs.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/answer.h"
#include "deploy/deploy.h"
#include "deploy/pool.h"

/* 1 when the media type of ctype is want, whatever its parameters
 * ("text/csv; charset=utf-8" is text/csv; "text/csvx" is not). */
int deploy_answer_media_type_is(const char *ctype, const char *want)
{
	size_t n = strlen(want);

	ctype += strspn(ctype, " \t");
	if (strncasecmp(ctype, want, n) != 0)
		return 0;
	ctype += n;
	ctype += strspn(ctype, " \t");
	return *ctype == '\0' || *ctype == ';';
}

int deploy_answer_xgb(struct deploy_xgb_model *m, const char *ctype,
		      const char *body, size_t len,
		      struct deploy_predio_rows *rows,
		      struct deploy_predio_rows *pred, struct buf *out,
		      const char **out_type, char *msg, size_t msg_size)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int json = deploy_answer_media_type_is(ctype, "application/json");

	if (!json && !deploy_answer_media_type_is(ctype, "text/csv")) {
		snprintf(msg, msg_size, "content type '%s' is not supported: "
			 "use text/csv or application/json", ctype);
		return 415;
	}
	if ((json ? deploy_predio_parse_json : deploy_predio_parse_csv)(rows,
	    body, len, deploy_xgb_model_nfeatures(m), &err) < 0) {
		snprintf(msg, msg_size, "%s", err.msg);
		return 400;
	}
	if (deploy_xgb_model_predict(m, rows->x, rows->nrows, pred, &err) < 0) {
		snprintf(msg, msg_size, "%s", err.msg);
		return 424;
	}
	buf_reset(out);
	if (json)
		deploy_predio_format_json(out, pred->x, pred->nrows,
					  pred->ncols);
	else
		deploy_predio_format_csv(out, pred->x, pred->nrows,
					 pred->ncols);
	*out_type = json ? "application/json" : "text/csv";
	return 200;
}


struct deploy_answer {
	struct deploy_xgb_model *xgb;
	struct deploy_pool *pool;
	struct deploy_predio_rows rows, pred;
	int64_t timeout_us;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int done;
};

int deploy_answer_open(struct deploy_answer **out,
		       const struct deploy_endpoint *e,
		       const struct deploy_endpoint_model *m, const char *dir,
		       struct mlops_err *err)
{
	struct deploy_answer *a = xcalloc(1, sizeof(*a));
	int ret;

	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	a->timeout_us = e->set.timeout_us;
	if (strcmp(m->framework, "xgboost") == 0) {
		char *path = fs_path_join(dir, m->artifact ? m->artifact : "");

		ret = deploy_xgb_model_load(&a->xgb, path, err);
		free(path);
	} else if (!m->entry) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "a %s model needs an "
				    "entry command", m->framework);
	} else {
		struct deploy_pool_conf pc = {
			.kind = m->framework[0] == 'e' ? DEPLOY_POOL_EXEC :
				DEPLOY_POOL_HTTP,
			.entry = m->entry, .model_dir = dir,
			.endpoint = e->name, .model = m->ref,
			.max_workers = 1, .provisioned = 0,
			.memory_mb = e->set.memory_mb,
			.idle_timeout_us = e->set.idle_timeout_us,
			.timeout_us = e->set.timeout_us,
		};

		ret = deploy_pool_create(&a->pool, &pc, err);
		if (ret == 0)
			ret = deploy_pool_warm(a->pool, 1,
					       240 * TIME_US_PER_SEC, err);
	}
	if (ret < 0) {
		deploy_answer_close(a);
		err->code = MLOPS_EINPUT;
		mlops_err_prefix(err, "%s fails to load or start: ", m->ref);
		return MLOPS_EINPUT;
	}
	*out = a;
	return 0;
}

static void answer_done(struct deploy_pool_job *job)
{
	struct deploy_answer *a = job->arg;

	pthread_mutex_lock(&a->lock);
	a->done = 1;
	pthread_cond_signal(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

int deploy_answer_run(struct deploy_answer *a, const char *ctype,
		      const char *body, size_t len, struct buf *out)
{
	struct deploy_pool_job job = { .body = body, .len = len,
		.content_type = ctype,
		.deadline_us = time_mono_us() + a->timeout_us,
		.done = answer_done, .arg = a };
	int status;

	buf_reset(out);
	if (a->xgb) {
		const char *type = NULL;
		char msg[1024];

		status = deploy_answer_xgb(a->xgb, ctype, body, len, &a->rows,
					   &a->pred, out, &type, msg,
					   sizeof(msg));
		if (status != 200) {
			buf_reset(out);
			buf_addstr(out, msg);
		}
		return status;
	}
	buf_init(&job.out);
	a->done = 0;
	deploy_pool_submit(a->pool, &job);
	pthread_mutex_lock(&a->lock);
	while (!a->done)
		pthread_cond_wait(&a->cond, &a->lock);
	pthread_mutex_unlock(&a->lock);
	buf_add(out, job.out.s, job.out.len);
	buf_release(&job.out);
	return job.status;
}

void deploy_answer_close(struct deploy_answer *a)
{
	if (!a)
		return;
	deploy_xgb_model_free(a->xgb);
	deploy_pool_free(a->pool);
	deploy_predio_rows_release(&a->rows);
	deploy_predio_rows_release(&a->pred);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	free(a);
}
