/* exec.c - the scheduler of a pipeline run: decides for each
 * step, once what it needs is done, whether it is skipped (condition),
 * restored from the cache or started on the executor; retries, times out
 * and cancels; and writes every change to the store with its event. The
 * writes of one pass over the steps share one transaction, so a run whose
 * steps all hit the cache costs a handful of commits, not one per step.
 * See pipeline.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/bounds.h"
#include "core/buf.h"
#include "core/event.h"
#include "feature/feature.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/id.h"
#include "core/jsonio.h"
#include "core/object.h"
#include "pipeline/cache.h"
#include "pipeline/pipeline.h"
#include "pipeline/executor.h"
#include "core/spec.h"
#include "core/time.h"
#include "core/xalloc.h"

#define EVENT_SOURCE "mlops.pipeline"
#define RUN_EVENT "Pipeline Execution Status Change"
#define STEP_EVENT "Pipeline Execution Step Status Change"

static volatile sig_atomic_t cancel_flag;
static int wake_pipe[2] = { -1, -1 };

static void on_signal(int sig)
{
	int saved = errno;
	char c = (char)sig;

	if (sig == SIGINT || sig == SIGTERM)
		cancel_flag = 1;
	if (wake_pipe[1] >= 0 && write(wake_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a wake-up is pending anyway */
	}
	errno = saved;
}

int pipeline_exec_cancel_requested(void)
{
	return cancel_flag;
}

static int signals_install(struct mlops_err *err)
{
	struct sigaction sa;

	if (wake_pipe[0] < 0 && pipe2(wake_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot make a pipe");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	/* A reader of the status lines that goes away (| head) must not kill
	 * the runner mid-run: the run would stay Executing. */
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

static void signals_restore(void)
{
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
}

void pipeline_exec_sleep(struct pipeline_exec *e, int64_t timeout_us)
{
	struct pollfd pfd = { e->wake_fd, POLLIN, 0 };
	char drain[64];

	if (timeout_us < 0)
		timeout_us = 0;
	/* A signal that came before poll left a byte in the pipe, so poll
	 * returns at once: no wake-up is lost. */
	poll(&pfd, 1, (int)((timeout_us + 999) / 1000));
	while (read(e->wake_fd, drain, sizeof(drain)) > 0)
		;
}

char *pipeline_exec_log_path(const struct pipeline_exec *e,
			     const struct pipeline_exec_step *s)
{
	return xasprintf("%s/logs/%s.log", e->workspace, s->def->name);
}

int pipeline_exec_run_id_new(char out[PIPELINE_EXEC_RUN_ID_MAX],
			     struct mlops_err *err)
{
	time_t now = time(NULL);
	struct tm tm;
	char hex[8];
	int ret = id_random_hex(hex, 6, err);

	if (ret < 0)
		return ret;
	gmtime_r(&now, &tm);
	snprintf(out, PIPELINE_EXEC_RUN_ID_MAX, "%04d%02d%02dT%02d%02d%02d-%s",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, hex);
	return 0;
}

static int has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int pipeline_exec_check_inputs(const struct pipeline *p, const char *workspace,
			  struct mlops_err *err)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct pipeline_step *s = &p->steps[i];

		for (size_t k = 0; k < s->ninputs; k++) {
			const char *in = s->inputs[k];
			int produced = 0;
			char *path;

			if (has_glob(in) || strstr(in, "${"))
				continue;
			for (size_t j = 0; j < p->nsteps && !produced; j++) {
				const struct pipeline_step *w = &p->steps[j];

				for (size_t o = 0; o < w->noutputs; o++)
					produced |= !strcmp(w->outputs[o], in);
			}
			if (produced)
				continue;
			path = fs_path_join(workspace, in);
			if (!fs_exists(path)) {
				free(path);
				return mlops_err_set(err, MLOPS_EINPUT, "%s: "
						     "input '%s' of step '%s' "
						     "does not exist", p->path,
						     in, s->name);
			}
			free(path);
		}
	}
	return 0;
}

int pipeline_exec_check_features(const struct pipeline *p, struct store *st,
			    struct mlops_err *err)
{
	for (size_t i = 0; i < p->nsteps; i++) {
		const struct pipeline_step *s = &p->steps[i];

		for (size_t k = 0; k < s->nfeatures; k++) {
			char *state = NULL;
			int ret = feature_data_state(st, s->features[k], &state,
						    err);

			free(state);
			if (ret == MLOPS_ENOTFOUND)
				return mlops_err_set(err, MLOPS_EINPUT, "%s: "
						     "step '%s' reads feature "
						     "group '%s', which does "
						     "not exist",
						     s->feature_where[k],
						     s->name, s->features[k]);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

static const char *execution_arn(struct buf *b, const char *pipeline,
				 const char *run_id)
{
	buf_reset(b);
	buf_addf(b, "pipeline/%s/execution/%s", pipeline, run_id);
	return b->s;
}

int pipeline_exec_emit_event(struct store *st, const char *pipeline,
			  const char *run_id, const char *prev,
			  const char *cur, const char *commit,
			  const char *reason, struct mlops_err *err)
{
	struct buf arn = BUF_INIT;
	json_t *detail, *res;
	char *parn = xasprintf("pipeline/%s", pipeline);
	int ret;

	execution_arn(&arn, pipeline, run_id);
	res = json_pack("[s,s]", parn, arn.s);
	detail = json_pack("{s:s,s:s,s:s,s:s}", "pipelineName", pipeline,
			   "pipelineArn", parn, "pipelineExecutionArn", arn.s,
			   "currentPipelineExecutionStatus", cur);
	json_object_set_new(detail, "pipelineExecutionId", json_string(run_id));
	if (prev)
		json_object_set_new(detail, "previousPipelineExecutionStatus",
				    json_string(prev));
	if (commit)
		json_object_set_new(detail, "gitCommit", json_string(commit));
	if (reason)
		json_object_set_new(detail, "failureReason",
				    json_string(reason));
	ret = event_emit(st, EVENT_SOURCE, RUN_EVENT, res, detail, NULL, err);
	json_decref(detail);
	json_decref(res);
	buf_release(&arn);
	free(parn);
	return ret;
}

static json_t *time_json(int64_t us)
{
	char t[TIME_RFC3339_MAX];

	if (!us)
		return json_null();
	time_format_ms(us, t);
	return json_string(t);
}

static int emit_step_event(struct pipeline_exec *e,
			   struct pipeline_exec_step *s, struct mlops_err *err)
{
	struct buf arn = BUF_INIT;
	json_t *detail, *res;
	char *parn = xasprintf("pipeline/%s", e->p->name);
	int ret;

	execution_arn(&arn, e->p->name, e->run_id);
	res = json_pack("[s,s]", parn, arn.s);
	detail = json_pack("{s:s,s:s,s:s,s:s,s:s,s:i}", "pipelineName",
			   e->p->name, "pipelineExecutionArn", arn.s,
			   "pipelineExecutionId", e->run_id, "stepName",
			   s->def->name, "currentStepStatus", s->status,
			   "attempt", s->attempt);
	if (s->emitted)
		json_object_set_new(detail, "previousStepStatus",
				    json_string(s->emitted));
	if (s->started_us)
		json_object_set_new(detail, "stepStartTime",
				    time_json(s->started_us));
	if (s->ended_us)
		json_object_set_new(detail, "stepEndTime",
				    time_json(s->ended_us));
	if (s->cache_source)
		json_object_set_new(detail, "cacheHitResult", json_pack(
				    "{s:s}", "sourcePipelineExecutionArn",
				    execution_arn(&arn, e->p->name,
						  s->cache_source)));
	if (s->reason)
		json_object_set_new(detail, "failureReason",
				    json_string(s->reason));
	if (s->exit_code >= 0)
		json_object_set_new(detail, "exitCode",
				    json_integer(s->exit_code));
	if (s->job_id)
		json_object_set_new(detail, "slurmJobId",
				    json_string(s->job_id));
	ret = event_emit(e->st, EVENT_SOURCE, STEP_EVENT, res, detail, NULL,
			 err);
	json_decref(detail);
	json_decref(res);
	buf_release(&arn);
	free(parn);
	return ret;
}

static int bind_opt_text(sqlite3_stmt *q, int i, const char *v)
{
	return v ? sqlite3_bind_text(q, i, v, -1, SQLITE_TRANSIENT) :
		sqlite3_bind_null(q, i);
}

static int bind_opt_int(sqlite3_stmt *q, int i, int64_t v, int present)
{
	return present ? sqlite3_bind_int64(q, i, v) : sqlite3_bind_null(q, i);
}

static json_t *params_json(const struct pipeline *p)
{
	json_t *o = json_object();

	for (size_t i = 0; i < p->nparams; i++)
		json_object_set_new(o, p->params[i].name,
				    json_string(p->params[i].value));
	return o;
}

int pipeline_exec_create(struct store *st, const char *run_id,
			 const struct pipeline *p, const char *spec,
			 size_t spec_len, const char *spec_dir,
			 char *const *overrides, size_t noverrides,
			 const char *workspace,
			 const struct pipeline_exec_opts *opts,
			 struct mlops_err *err)
{
	char hash[HASH_HEX_LEN + 1];
	struct buf params = BUF_INIT, ov = BUF_INIT;
	json_t *pj = params_json(p), *oj = json_array();
	char *runs = store_path(st, "runs");
	char *dest = fs_path_join(runs, run_id);
	char *user = identity_user();
	sqlite3_stmt *q = NULL;
	int ret;

	for (size_t i = 0; i < noverrides; i++)
		json_array_append_new(oj, json_string(overrides[i]));
	jsonio_append(&params, pj);
	jsonio_append(&ov, oj);
	ret = object_write_mem(st, spec, spec_len, hash, err);
	if (ret == 0 && rename(workspace, dest) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "move the workspace to '%s'", dest);
	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT INTO pipeline_run (id, "
				    "pipeline, status, executor, spec_path, "
				    "spec_hash, spec_dir, overrides, params, "
				    "git_commit, git_repo, jobs, use_cache, "
				    "runner_pid, user, created_us) VALUES (?1,"
				    " ?2, 'Executing', ?3, ?4, ?5, ?6, ?7, ?8,"
				    " ?9, ?10, ?11, ?12, ?13, ?14, ?15)", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, p->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, opts->executor, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, p->path, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, spec_dir, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 7, ov.s, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 8, params.s, -1, SQLITE_STATIC);
		bind_opt_text(q, 9, opts->git_commit);
		bind_opt_text(q, 10, opts->git_repo);
		sqlite3_bind_int(q, 11, opts->jobs);
		sqlite3_bind_int(q, 12, opts->use_cache);
		sqlite3_bind_int64(q, 13, (int64_t)getpid());
		sqlite3_bind_text(q, 14, user, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 15, time_now_us());
		ret = store_step_done(q, "cannot record the run", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT INTO pipeline_step (run_id,"
				    " name, position, status) VALUES (?1, ?2, "
				    "?3, 'Pending')", err);
	for (size_t i = 0; ret == 0 && i < p->nsteps; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, p->steps[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, (int64_t)i);
		ret = store_step_done(q, "cannot record a step", err);
	}
	sqlite3_finalize(q);
	if (ret == 0) {
		char *owner = xasprintf("run:%s", run_id);

		ret = store_ref_add(st, hash, owner, err);
		free(owner);
	}
	if (ret == 0)
		ret = pipeline_exec_emit_event(st, p->name, run_id, NULL,
					      "Executing", opts->git_commit,
					      NULL, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0) {
		store_rollback(st);
		if (fs_exists(dest) && !fs_exists(workspace))
			rename(dest, workspace);	/* the caller cleans */
	}
	json_decref(pj);
	json_decref(oj);
	buf_release(&params);
	buf_release(&ov);
	free(runs);
	free(dest);
	free(user);
	return ret;
}

int pipeline_exec_lock(const char *workspace, int *fd, struct mlops_err *err)
{
	char *path = fs_path_join(workspace, PIPELINE_EXEC_LOCK_FILE);
	int ret = 0, lfd;

	lfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot open '%s'", path);
	} else if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK ?
			mlops_err_set(err, MLOPS_ENOTFOUND, "another process "
				      "is executing the run ('%s' is locked)",
				      path) :
			mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					"cannot lock '%s'", path);
		close(lfd);
	} else {
		*fd = lfd;
	}
	free(path);
	return ret;
}

/* ---- the state of a run's steps ---------------------------------- */

/* The options of the run being executed, for pipeline_exec_attempt_done(),
 * which executors call. */
static const struct pipeline_exec_opts *current_opts;

static int is_final(const char *status)
{
	return strcmp(status, "Succeeded") == 0 ||
		strcmp(status, "Failed") == 0 ||
		strcmp(status, "Skipped") == 0 ||
		strcmp(status, "Stopped") == 0;
}

static const char *static_status(const char *s)
{
	static const char *const all[] = { "Pending", "Executing",
					   "Succeeded", "Failed", "Skipped",
					   "Stopped", NULL };

	for (int i = 0; all[i]; i++)
		if (strcmp(all[i], s) == 0)
			return all[i];
	return "Pending";
}

/* Load the recorded steps of the run: a retry keeps the Succeeded and
 * Skipped ones (with their keys and properties) and runs the others. */
static int load_steps(struct pipeline_exec *e, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(e->st, &q, "SELECT name, status, cache_key, "
			    "properties, attempts, exit_code, cache_source "
			    "FROM pipeline_step WHERE run_id = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, e->run_id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(q, 0);
		const char *status = (const char *)sqlite3_column_text(q, 1);
		const char *key = (const char *)sqlite3_column_text(q, 2);
		const char *props = (const char *)sqlite3_column_text(q, 3);
		const char *src = (const char *)sqlite3_column_text(q, 6);
		struct pipeline_step *d = pipeline_find_step(e->p, name);
		struct pipeline_exec_step *s;

		if (!d)
			continue;
		s = &e->steps[d - e->p->steps];
		s->emitted = static_status(status);
		if (strcmp(status, "Succeeded") != 0 &&
		    strcmp(status, "Skipped") != 0) {
			s->status = "Pending";
			s->dirty = 1;
			continue;
		}
		s->status = s->emitted;
		s->final = 1;
		s->decided = 1;
		s->attempt = sqlite3_column_int(q, 4);
		if (key)
			snprintf(s->key, sizeof(s->key), "%s", key);
		if (props)
			s->props = json_loads(props, 0, NULL);
		if (src)
			s->cache_source = xstrdup(src);
		if (sqlite3_column_type(q, 5) != SQLITE_NULL)
			s->exit_code = sqlite3_column_int(q, 5);
	}
	if (rc != SQLITE_DONE)
		ret = store_step_failed(e->st, rc, "cannot read the run's "
					"steps", err);
	sqlite3_finalize(q);
	return ret;
}

static void step_clear_attempt(struct pipeline_exec_step *s)
{
	free(s->job_id);
	s->job_id = NULL;
	s->pid = 0;
	s->timed_out = 0;
	s->deadline_us = 0;
}

static void step_release(struct pipeline_exec_step *s)
{
	free(s->command);
	for (size_t i = 0; i < s->nenv; i++)
		free(s->env[i]);
	free(s->env);
	for (size_t i = 0; i < s->noutputs; i++)
		free(s->outputs[i]);
	free(s->outputs);
	free(s->inputs_json);
	free(s->outputs_json);
	free(s->cache_source);
	free(s->job_id);
	free(s->reason);
	json_decref(s->props);
	pipeline_cache_outputs_free(s->save, s->nsave);
}

static void report(const struct pipeline_exec_opts *opts, const char *fmt,
		   ...) __attribute__((format(printf, 2, 3)));

static void report(const struct pipeline_exec_opts *opts, const char *fmt,
		   ...)
{
	struct buf line = BUF_INIT;
	va_list ap;

	if (!opts->progress)
		return;
	va_start(ap, fmt);
	buf_vaddf(&line, fmt, ap);
	va_end(ap);
	opts->progress(line.s, opts->progress_arg);
	buf_release(&line);
}

static void set_status(struct pipeline_exec_step *s, const char *status,
		       const char *reason)
{
	s->status = status;
	s->final = is_final(status);
	s->dirty = 1;
	if (reason) {
		free(s->reason);
		s->reason = xstrdup(reason);
	}
	if (s->final && !s->ended_us)
		s->ended_us = time_now_us();
}

/* ---- references at run time -------------------------------------- */

struct resolve_ctx {
	struct pipeline_exec *e;
	const struct pipeline_exec_step *s;
};

/* Follow a dotted path ("metrics.auc", "scores.0") into JSON. */
static json_t *json_path(json_t *v, const char *path)
{
	char *copy = xstrdup(path), *save = NULL;

	for (char *part = strtok_r(copy, ".", &save); part && v;
	     part = strtok_r(NULL, ".", &save)) {
		if (json_is_object(v)) {
			v = json_object_get(v, part);
		} else if (json_is_array(v) && isdigit((unsigned char)*part)) {
			v = json_array_get(v, strtoul(part, NULL, 10));
		} else {
			v = NULL;
		}
	}
	free(copy);
	return v;
}

static int resolve_runtime(const char *ref, struct pipeline_expr_value *out,
			   void *arg, struct mlops_err *err)
{
	struct resolve_ctx *rc = arg;
	const struct pipeline *p = rc->e->p;
	const struct pipeline_param *pp;

	if (strncmp(ref, "steps.", 6) == 0) {
		const char *name = ref + 6, *dot = strchr(name, '.');
		char *sname = xstrndup(name, (size_t)(dot - name));
		const struct pipeline_step *d = pipeline_find_step(p, sname);
		const struct pipeline_exec_step *src =
			&rc->e->steps[d - p->steps];
		const char *path = dot + strlen(".properties.");
		json_t *v = json_path(src->props, path);
		int ret = 0;

		if (!v)
			ret = mlops_err_set(err, MLOPS_EINPUT, "step '%s' has "
					    "no property '%s' in %s", sname,
					    path, d->properties);
		else if (json_is_number(v)) {
			out->kind = PIPELINE_EXPR_NUM;
			out->num = json_number_value(v);
		} else if (json_is_string(v)) {
			out->kind = PIPELINE_EXPR_STR;
			out->str = xstrdup(json_string_value(v));
		} else if (json_is_boolean(v)) {
			out->kind = PIPELINE_EXPR_BOOL;
			out->boolean = json_is_true(v);
		} else {
			ret = mlops_err_set(err, MLOPS_EINPUT, "property '%s' "
					    "of step '%s' is not a number, "
					    "string or boolean", path, sname);
		}
		free(sname);
		return ret;
	}
	pp = pipeline_find_param(p, ref);
	if (!pp)
		return mlops_err_set(err, MLOPS_EINPUT, "undefined parameter "
				     "'%s'", ref);
	pipeline_param_value(pp, out);
	return 0;
}

static char *subst(struct resolve_ctx *rc, const char *text,
		   struct mlops_err *err)
{
	struct buf b = BUF_INIT;

	if (pipeline_expr_subst(&b, text, resolve_runtime, rc, err) < 0) {
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b, NULL);
}

static void env_add(struct pipeline_exec_step *s, size_t *cap, char *kv)
{
	const char *eq = strchr(kv, '=');
	size_t n = (size_t)(eq - kv) + 1;

	for (size_t i = 0; i < s->nenv; i++)
		if (strncmp(s->env[i], kv, n) == 0) {
			free(s->env[i]);
			s->env[i] = kv;
			return;
		}
	ALLOC_GROW(s->env, s->nenv + 1, *cap);
	s->env[s->nenv++] = kv;
}

/* Resolve the step's command, environment and outputs. */
static int resolve_step(struct pipeline_exec *e, struct pipeline_exec_step *s,
			struct mlops_err *err)
{
	struct resolve_ctx rc = { e, s };
	const struct pipeline_step *d = s->def;
	size_t cap = 0;

	s->command = subst(&rc, d->run, err);
	if (!s->command)
		return err->code;
	for (size_t i = 0; i < e->p->nenv; i++) {
		char *v = subst(&rc, e->p->env[i].value, err);

		if (!v)
			return err->code;
		env_add(s, &cap, xasprintf("%s=%s", e->p->env[i].key, v));
		free(v);
	}
	for (size_t i = 0; i < d->nenv; i++) {
		char *v = subst(&rc, d->env[i].value, err);

		if (!v)
			return err->code;
		env_add(s, &cap, xasprintf("%s=%s", d->env[i].key, v));
		free(v);
	}
	for (size_t i = 0; i < e->p->nparams; i++) {
		char *name = xasprintf("MLOPS_PARAM_%s=%s",
				       e->p->params[i].name,
				       e->p->params[i].value);

		for (char *c = name + 12; *c != '='; c++)
			*c = (char)toupper((unsigned char)*c);
		env_add(s, &cap, name);
	}
	env_add(s, &cap, xasprintf("MLOPS_RUN_ID=%s", e->run_id));
	env_add(s, &cap, xasprintf("MLOPS_STEP=%s", d->name));
	env_add(s, &cap, xasprintf("MLOPS_STORE=%s", e->st->dir));
	env_add(s, &cap, xasprintf("MLOPS_WORKSPACE=%s", e->workspace));
	env_add(s, &cap, xasprintf("MLOPS_PIPELINE=%s", e->p->name));
	env_add(s, &cap, xasprintf("MLOPS_GIT_COMMIT=%s",
				   e->git_commit ? e->git_commit : ""));
	s->outputs = xcalloc(d->noutputs + 1, sizeof(*s->outputs));
	for (size_t i = 0; i < d->noutputs; i++) {
		s->outputs[i] = subst(&rc, d->outputs[i], err);
		if (!s->outputs[i])
			return err->code;
		s->noutputs++;
		if (!pipeline_path_inside(s->outputs[i]))
			return mlops_err_set(err, MLOPS_EINPUT, "output '%s' "
					     "is not a path inside the "
					     "workspace", s->outputs[i]);
	}
	return 0;
}

/* Evaluate the condition, resolve the step and compute its key. Returns
 * 1 when the step is to run (or be restored), 0 when it was skipped or
 * failed here. */
static int decide(struct pipeline_exec *e, struct pipeline_exec_step *s,
		  const struct pipeline_exec_opts *opts)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct resolve_ctx rc = { e, s };
	int value = 1;
	char *msg;

	s->decided = 1;
	if (s->def->when &&
	    pipeline_expr_eval(&value, s->def->when, resolve_runtime, &rc,
			       &err) < 0) {
		msg = xasprintf("condition (%s): %s", s->def->when_where,
				err.msg);
		set_status(s, "Failed", msg);
		report(opts, "%s: failed: %s", s->def->name, msg);
		free(msg);
		return 0;
	}
	if (!value) {
		msg = xasprintf("condition is false: %s", s->def->when);
		set_status(s, "Skipped", msg);
		report(opts, "%s: skipped (%s)", s->def->name, msg);
		free(msg);
		return 0;
	}
	if (resolve_step(e, s, &err) < 0 ||
	    pipeline_cache_key(e, s, &err) < 0) {
		set_status(s, "Failed", err.msg);
		report(opts, "%s: failed: %s", s->def->name, err.msg);
		return 0;
	}
	if (s->inputs_json) {
		size_t cap = s->nenv;

		env_add(s, &cap, xasprintf("MLOPS_STEP_INPUTS=%s",
					   s->inputs_json));
	}
	return 1;
}

/* Look s up in the cache: 1 when a fresh entry exists, and then, with
 * restore, its outputs are put back and s has succeeded. */
static int try_cache(struct pipeline_exec *e, struct pipeline_exec_step *s,
		     const struct pipeline_exec_opts *opts, int restore)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct pipeline_exec_output *outs = NULL;
	json_t *props = NULL;
	char *source = NULL;
	size_t n = 0;
	int hit;

	if (!opts->use_cache || !s->def->cache)
		return 0;
	hit = pipeline_cache_lookup(e->st, s->key, s->def->cache_expire_us,
				    &source, &props, &outs, &n, &err);
	if (hit == 1 && !restore)
		goto out;
	if (hit == 1 && (pipeline_cache_restore(e->st, e->workspace, outs, n,
					&err) < 0 ||
			 pipeline_cache_outputs_json(e, s, outs, n, &err) < 0))
		hit = -1;
	if (hit < 0)
		report(opts, "%s: cache not used: %s", s->def->name, err.msg);
	if (hit == 1) {
		free(s->cache_source);
		s->cache_source = source;
		source = NULL;
		json_decref(s->props);
		s->props = props;
		props = NULL;
		s->started_us = time_now_us();
		set_status(s, "Succeeded", NULL);
		report(opts, "%s: cache hit, %zu output%s restored from run %s",
		       s->def->name, n, n == 1 ? "" : "s", s->cache_source);
	}
out:
	free(source);
	json_decref(props);
	pipeline_cache_outputs_free(outs, n);
	return hit == 1;
}

static int start_attempt(struct pipeline_exec *e, struct pipeline_exec_step *s,
			 const struct pipeline_exec_opts *opts)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	s->attempt++;
	step_clear_attempt(s);
	if (!s->started_us)
		s->started_us = time_now_us();
	s->exit_code = -1;
	if (e->ex.start(e, s, &err) < 0) {
		set_status(s, "Failed", err.msg);
		report(opts, "%s: failed: %s", s->def->name, err.msg);
		return -1;
	}
	s->running = 1;
	e->nrunning++;
	if (s->def->timeout_us)
		s->deadline_us = time_mono_us() + s->def->timeout_us;
	if (strcmp(s->status, "Executing") != 0)
		set_status(s, "Executing", NULL);
	else
		s->dirty = 1;
	if (s->job_id)
		report(opts, "%s: submitted as Slurm job %s%s", s->def->name,
		       s->job_id, s->attempt > 1 ? " (retry)" : "");
	else
		report(opts, "%s: executing%s", s->def->name,
		       s->attempt > 1 ? " (retry)" : "");
	return 0;
}

/* Read the step's properties file after it succeeded. */
static int read_properties(struct pipeline_exec *e,
			   struct pipeline_exec_step *s, struct mlops_err *err)
{
	char *path;
	int ret;

	if (!s->def->properties)
		return 0;
	path = fs_path_join(e->workspace, s->def->properties);
	json_decref(s->props);
	s->props = NULL;
	if (!fs_exists(path))
		ret = mlops_err_set(err, MLOPS_EINPUT, "step '%s' did not write"
				    " its properties file '%s'", s->def->name,
				    s->def->properties);
	else
		ret = jsonio_load_file(&s->props, path, MLOPS_MAX_JSON,
				       err);
	if (ret < 0 && fs_exists(path))
		mlops_err_prefix(err, "properties of step '%s' are not JSON: ",
				 s->def->name);
	free(path);
	return ret;
}

static const char *failed_need(const struct pipeline_exec *e,
			       const struct pipeline_exec_step *s)
{
	for (size_t k = 0; k < s->def->nneeds; k++) {
		const struct pipeline_exec_step *n =
			&e->steps[s->def->need_idx[k]];

		if (n->final && strcmp(n->status, "Succeeded") != 0 &&
		    strcmp(n->status, "Skipped") != 0)
			return n->def->name;
	}
	return NULL;
}

void pipeline_exec_attempt_done(struct pipeline_exec *e,
				struct pipeline_exec_step *s, int exit_code)
{
	const struct pipeline_exec_opts *opts = current_opts;
	struct mlops_err err = MLOPS_ERR_INIT;
	double secs = (double)(time_now_us() - s->started_us) / 1e6;
	const char *upstream;
	char *msg = NULL;

	s->running = 0;
	e->nrunning--;
	s->exit_code = exit_code;
	s->dirty = 1;
	if (s->stop_requested) {
		set_status(s, "Stopped", "the run was cancelled");
		report(opts, "%s: stopped", s->def->name);
		return;
	}
	if (exit_code == 0) {
		if (read_properties(e, s, &err) == 0 &&
		    (!s->key[0] || !s->def->cache || !opts->use_cache ||
		     pipeline_cache_collect(e, s, &err) == 0) &&
		    pipeline_cache_outputs_json(e, s, s->save, s->nsave,
						&err) == 0) {
			set_status(s, "Succeeded", NULL);
			report(opts, "%s: succeeded in %.2fs", s->def->name,
			       secs);
			return;
		}
		msg = xstrdup(err.msg);
	} else if ((upstream = failed_need(e, s)) != NULL) {
		msg = xasprintf("step '%s' it needs failed", upstream);
		set_status(s, "Failed", msg);
		report(opts, "%s: failed: %s", s->def->name, msg);
		free(msg);
		return;
	} else if (s->timed_out) {
		msg = xasprintf("timed out after %.3gs",
				(double)s->def->timeout_us / 1e6);
	} else if (exit_code < 0) {
		msg = xstrdup("killed by a signal");
	} else {
		msg = xasprintf("exited with status %d", exit_code);
	}
	if (s->attempt < s->def->attempts &&
	    !pipeline_exec_cancel_requested()) {
		int64_t wait = s->def->backoff_us << (s->attempt - 1);

		s->next_try_us = time_mono_us() + wait;
		report(opts, "%s: attempt %d of %d %s; retrying in %.3gs",
		       s->def->name, s->attempt, s->def->attempts, msg,
		       (double)wait / 1e6);
		free(s->reason);
		s->reason = msg;
		return;
	}
	set_status(s, "Failed", msg);
	report(opts, "%s: failed: %s (see logs/%s.log)", s->def->name, msg,
	       s->def->name);
	free(msg);
}

/* ---- writing the state -------------------------------------------- */

static int write_step(struct pipeline_exec *e, struct pipeline_exec_step *s,
		      sqlite3_stmt *q, struct mlops_err *err)
{
	struct buf props = BUF_INIT;
	int ret = 0;

	if (s->props)
		jsonio_append(&props, s->props);
	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, s->status, -1, SQLITE_STATIC);
	bind_opt_text(q, 2, s->key[0] && s->def->cache &&
		      current_opts->use_cache ? s->key : NULL);
	bind_opt_text(q, 3, s->cache_source);
	sqlite3_bind_int(q, 4, s->attempt);
	bind_opt_int(q, 5, s->exit_code, s->exit_code >= 0);
	bind_opt_text(q, 6, s->job_id);
	bind_opt_text(q, 7, s->props ? props.s : NULL);
	bind_opt_text(q, 8, strcmp(s->status, "Succeeded") ? s->reason : NULL);
	bind_opt_int(q, 9, s->started_us, s->started_us != 0);
	bind_opt_int(q, 10, s->ended_us, s->final && s->ended_us);
	sqlite3_bind_text(q, 11, e->run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 12, s->def->name, -1, SQLITE_STATIC);
	bind_opt_text(q, 13, s->inputs_json);
	bind_opt_text(q, 14, s->outputs_json);
	ret = store_step_done(q, "cannot record a step", err);
	if (ret == 0 && strcmp(s->status, "Succeeded") == 0 && s->save) {
		ret = pipeline_cache_record(e, s, err);
		if (ret == 0) {
			pipeline_cache_outputs_free(s->save, s->nsave);
			s->save = NULL;
			s->nsave = 0;
		}
	}
	if (ret == 0 && s->emitted != s->status) {
		ret = emit_step_event(e, s, err);
		s->emitted = s->status;
	}
	buf_release(&props);
	return ret;
}

/* Write every changed step in one transaction. */
static int flush(struct pipeline_exec *e, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int any = 0, ret;

	for (size_t i = 0; i < e->p->nsteps; i++)
		any |= e->steps[i].dirty;
	if (!any)
		return 0;
	ret = store_begin(e->st, err);
	if (ret == 0)
		ret = store_prepare(e->st, &q, "UPDATE pipeline_step SET "
				    "status = ?1, cache_key = ?2, cache_source"
				    " = ?3, attempts = ?4, exit_code = ?5, "
				    "job_id = ?6, properties = ?7, "
				    "failure_reason = ?8, started_us = ?9, "
				    "ended_us = ?10, inputs = coalesce(?13, "
				    "inputs), outputs = CASE ?1 WHEN "
				    "'Succeeded' THEN coalesce(?14, outputs) "
				    "END WHERE run_id = ?11 AND name = ?12",
				    err);
	for (size_t i = 0; ret == 0 && i < e->p->nsteps; i++)
		if (e->steps[i].dirty)
			ret = write_step(e, &e->steps[i], q, err);
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(e->st, err);
	if (ret < 0) {
		store_rollback(e->st);
		return ret;
	}
	for (size_t i = 0; i < e->p->nsteps; i++)
		e->steps[i].dirty = 0;
	return 0;
}

/* ---- the scheduling loop ----------------------------------------- */

/* 0: wait; 1: every need succeeded; -1: a need failed or stopped;
 * -2: a need was skipped. */
static int needs_state(const struct pipeline_exec *e,
		       const struct pipeline_exec_step *s)
{
	int ready = 1;

	for (size_t k = 0; k < s->def->nneeds; k++) {
		const struct pipeline_exec_step *n =
			&e->steps[s->def->need_idx[k]];

		if (!n->final)
			ready = 0;
		else if (strcmp(n->status, "Skipped") == 0)
			return -2;
		else if (strcmp(n->status, "Succeeded") != 0)
			return -1;
	}
	return ready;
}

/* Slurm chains jobs with --dependency=afterok, so a step may be submitted
 * while what it needs still runs, when nothing about it depends on their
 * results: no condition, no properties read, no input that an earlier
 * step writes, no retries upstream, and a cache miss. */
static int may_chain(const struct pipeline_exec *e,
		     const struct pipeline_exec_step *s)
{
	const struct pipeline_step *d = s->def;

	if (strcmp(e->ex.name, "slurm") != 0 || d->when ||
	    strstr(d->run, "${steps."))
		return 0;
	for (size_t i = 0; i < d->nenv; i++)
		if (strstr(d->env[i].value, "${steps."))
			return 0;
	for (size_t k = 0; k < d->nneeds; k++) {
		const struct pipeline_exec_step *n = &e->steps[d->need_idx[k]];

		if (n->final ? strcmp(n->status, "Succeeded") != 0 :
		    !n->running || !n->job_id || n->def->attempts > 1)
			return 0;
	}
	for (size_t j = 0; j < e->p->nsteps; j++) {
		const struct pipeline_step *a = &e->p->steps[j];

		if (!pipeline_step_depends_on(e->p, s->idx, j))
			continue;
		for (size_t o = 0; o < a->noutputs; o++)
			for (size_t i = 0; i < d->ninputs; i++)
				if (fnmatch(d->inputs[i], a->outputs[o], 0)
				    == 0 || strstr(d->inputs[i], "${"))
					return 0;
	}
	return 1;
}

/* One pass: settle every step that can be settled now. Returns 1 when
 * something changed. */
static int schedule(struct pipeline_exec *e,
		    const struct pipeline_exec_opts *opts, int jobs)
{
	int changed = 0;

	for (size_t oi = 0; oi < e->p->nsteps; oi++) {
		struct pipeline_exec_step *s = &e->steps[e->p->order[oi]];
		int ns;

		if (s->final || s->running)
			continue;
		ns = needs_state(e, s);
		if (ns == -1) {
			char *msg = xasprintf("step '%s' it needs failed",
					      failed_need(e, s));

			set_status(s, "Failed", msg);
			report(opts, "%s: not run: %s", s->def->name, msg);
			free(msg);
			changed = 1;
			continue;
		}
		if (ns == -2) {
			set_status(s, "Skipped", "a step it needs was skipped");
			report(opts, "%s: skipped (a step it needs was "
			       "skipped)", s->def->name);
			changed = 1;
			continue;
		}
		if (ns == 0 && (s->decided || !may_chain(e, s)))
			continue;
		if (s->next_try_us && time_mono_us() < s->next_try_us)
			continue;
		if (!s->decided) {
			changed = 1;
			if (!decide(e, s, opts))
				continue;
		}
		if (!s->cache_checked) {
			if (ns == 0 && try_cache(e, s, opts, 0))
				continue;	/* a hit waits for its needs */
			s->cache_checked = 1;
			if (ns == 1 && try_cache(e, s, opts, 1)) {
				changed = 1;
				continue;
			}
		}
		if ((int)e->nrunning >= jobs)
			continue;
		start_attempt(e, s, opts);
		changed = 1;
	}
	return changed;
}

static int64_t next_wakeup(const struct pipeline_exec *e)
{
	int64_t now = time_mono_us(), wake = now + 500000;

	for (size_t i = 0; i < e->p->nsteps; i++) {
		const struct pipeline_exec_step *s = &e->steps[i];

		if (s->running && s->deadline_us && s->deadline_us < wake)
			wake = s->deadline_us;
		if (!s->final && !s->running && s->next_try_us &&
		    s->next_try_us < wake)
			wake = s->next_try_us;
	}
	return wake < now ? 0 : wake - now;
}

static void kill_timed_out(struct pipeline_exec *e)
{
	int64_t now = time_mono_us();

	for (size_t i = 0; i < e->p->nsteps; i++) {
		struct pipeline_exec_step *s = &e->steps[i];

		if (s->running && s->deadline_us && now >= s->deadline_us &&
		    !s->timed_out) {
			s->timed_out = 1;
			e->ex.kill(e, s);
		}
	}
}

static void stop_all(struct pipeline_exec *e,
		     const struct pipeline_exec_opts *opts)
{
	for (size_t i = 0; i < e->p->nsteps; i++) {
		struct pipeline_exec_step *s = &e->steps[i];

		if (s->running) {
			s->stop_requested = 1;
			e->ex.kill(e, s);
		} else if (!s->final) {
			set_status(s, "Stopped", "the run was cancelled");
		}
	}
	report(opts, "cancelling: stopping %zu running step%s", e->nrunning,
	       e->nrunning == 1 ? "" : "s");
}

static const char *run_outcome(const struct pipeline_exec *e)
{
	const char *status = "Succeeded";

	for (size_t i = 0; i < e->p->nsteps; i++) {
		const char *s = e->steps[i].status;

		if (strcmp(s, "Stopped") == 0)
			return "Stopped";
		if (strcmp(s, "Failed") == 0)
			status = "Failed";
	}
	return status;
}

static int finish_run(struct pipeline_exec *e, const char *prev,
		      const char *status, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char *why = NULL;
	int ret;

	for (size_t i = 0; i < e->p->nsteps && !why; i++) {
		const struct pipeline_exec_step *st = &e->steps[e->p->order[i]];

		if (strcmp(st->status, "Failed") == 0)
			why = xasprintf("step '%s': %s", st->def->name,
					st->reason ? st->reason : "failed");
	}
	if (strcmp(status, "Stopped") == 0) {
		free(why);
		why = xstrdup("cancelled");
	}
	ret = store_begin(e->st, err);
	if (ret == 0)
		ret = store_prepare(e->st, &q, "UPDATE pipeline_run SET status "
				    "= ?1, ended_us = ?2, failure_reason = ?3 "
				    "WHERE id = ?4", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, time_now_us());
		bind_opt_text(q, 3, strcmp(status, "Succeeded") ? why : NULL);
		sqlite3_bind_text(q, 4, e->run_id, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot record the run", err);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = pipeline_exec_emit_event(e->st, e->p->name, e->run_id,
					      prev, status, e->git_commit,
					      strcmp(status, "Succeeded") ?
					      why : NULL, err);
	if (ret == 0)
		ret = store_commit(e->st, err);
	if (ret < 0)
		store_rollback(e->st);
	free(why);
	return ret;
}

/* Mark the run Executing again (a retry) and take it over. */
static int claim_run(struct pipeline_exec *e, const char **prev, char **commit,
		     struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char prev_status[16] = "";
	int ret = store_begin(e->st, err);

	if (ret == 0)
		ret = store_prepare(e->st, &q, "SELECT status, git_commit FROM "
				    "pipeline_run WHERE id = ?1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, e->run_id, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot read the run", err);
		if (ret == 0) {
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no run '%s'",
					    e->run_id);
		} else if (ret == 1) {
			const char *c = (const char *)sqlite3_column_text(q, 1);

			ret = 0;
			snprintf(prev_status, sizeof(prev_status), "%s",
				 (const char *)sqlite3_column_text(q, 0));
			*commit = c ? xstrdup(c) : NULL;
		}
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0 && strcmp(prev_status, "Executing") != 0) {
		ret = store_prepare(e->st, &q, "UPDATE pipeline_run SET status "
				    "= 'Executing', ended_us = NULL, "
				    "failure_reason = NULL, runner_pid = ?1 "
				    "WHERE id = ?2", err);
		if (ret == 0) {
			sqlite3_bind_int64(q, 1, (int64_t)getpid());
			sqlite3_bind_text(q, 2, e->run_id, -1, SQLITE_STATIC);
			ret = store_step_done(q, "cannot record the run", err);
		}
		sqlite3_finalize(q);
		if (ret == 0)
			ret = pipeline_exec_emit_event(e->st, e->p->name,
						      e->run_id, prev_status,
						      "Executing", *commit,
						      NULL, err);
	}
	if (ret == 0)
		ret = store_commit(e->st, err);
	if (ret < 0)
		store_rollback(e->st);
	*prev = "Executing";
	return ret;
}

int pipeline_exec_run(struct store *st, const char *run_id,
		      const struct pipeline *p,
		      const struct pipeline_exec_opts *opts,
		      const char **status, struct mlops_err *err)
{
	struct pipeline_exec e = { 0 };
	const char *prev = NULL;
	char *commit = NULL, *logs;
	int jobs = opts->jobs, ret, stopping = 0, lock_fd = opts->lock_fd;

	if (jobs <= 0)
		jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
	if (jobs <= 0)
		jobs = 1;
	e.st = st;
	e.p = p;
	e.run_id = run_id;
	e.workspace = xasprintf("%s/runs/%s", st->dir, run_id);
	e.steps = xcalloc(p->nsteps, sizeof(*e.steps));
	for (size_t i = 0; i < p->nsteps; i++) {
		e.steps[i].def = &p->steps[i];
		e.steps[i].idx = i;
		e.steps[i].status = "Pending";
		e.steps[i].exit_code = -1;
	}
	current_opts = opts;
	logs = fs_path_join(e.workspace, "logs");
	ret = fs_mkdir_p(logs, err);
	free(logs);
	/* Hold the lock from before the run reads Executing until it has
	 * recorded its end: a run that reads Executing while nobody holds it
	 * lost its runner (see runs.c). */
	if (ret == 0 && lock_fd < 0)
		ret = pipeline_exec_lock(e.workspace, &lock_fd, err);
	if (ret == 0)
		ret = claim_run(&e, &prev, &commit, err);
	e.git_commit = commit;
	if (ret == 0)
		ret = load_steps(&e, err);
	if (ret == 0)
		ret = strcmp(opts->executor, "slurm") == 0 ?
			pipeline_slurm_init(&e, err) :
			pipeline_local_init(&e, err);
	if (ret == 0)
		ret = signals_install(err);
	e.wake_fd = wake_pipe[0];
	while (ret == 0) {
		int done = 1;

		if (pipeline_exec_cancel_requested() && !stopping) {
			stopping = 1;
			stop_all(&e, opts);
		}
		if (!stopping)
			while (schedule(&e, opts, jobs))
				;
		ret = flush(&e, err);
		for (size_t i = 0; i < p->nsteps; i++)
			done &= e.steps[i].final;
		if (ret < 0 || (done && e.nrunning == 0))
			break;
		if (e.nrunning == 0 && stopping)
			break;
		ret = e.ex.wait(&e, next_wakeup(&e), err);
		kill_timed_out(&e);
	}
	if (e.ex.release)
		e.ex.release(&e);
	if (ret == 0) {
		*status = run_outcome(&e);
		ret = finish_run(&e, prev, *status, err);
	}
	if (lock_fd >= 0 && lock_fd != opts->lock_fd)
		close(lock_fd);
	signals_restore();
	for (size_t i = 0; i < p->nsteps; i++)
		step_release(&e.steps[i]);
	free(e.steps);
	free(e.workspace);
	free(commit);
	return ret;
}
