/* runs.c - reading recorded runs, and cancelling one; see
 * pipeline.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/types.h>
#include <unistd.h>

#include "core/bounds.h"
#include "core/buf.h"
#include "core/object.h"
#include "pipeline/pipeline.h"
#include "pipeline/executor.h"
#include "core/time.h"
#include "core/xalloc.h"

#define RUN_COLUMNS "id, pipeline, status, executor, spec_path, spec_hash, " \
	"spec_dir, overrides, params, git_commit, git_repo, jobs, " \
	"use_cache, runner_pid, user, created_us, ended_us, failure_reason"

static const char *run_str(const json_t *run, const char *key)
{
	return json_string_value(json_object_get(run, key));
}

static const char *run_id_of(const json_t *run)
{
	return run_str(run, "id");
}

static json_t *col_text(sqlite3_stmt *q, int i)
{
	const char *v = (const char *)sqlite3_column_text(q, i);

	return v ? json_string(v) : json_null();
}

static json_t *col_time(sqlite3_stmt *q, int i)
{
	char t[TIME_RFC3339_MAX];

	if (sqlite3_column_type(q, i) == SQLITE_NULL)
		return json_null();
	time_format_ms(sqlite3_column_int64(q, i), t);
	return json_string(t);
}

static json_t *col_json(sqlite3_stmt *q, int i)
{
	const char *v = (const char *)sqlite3_column_text(q, i);
	json_t *j = v ? json_loads(v, 0, NULL) : NULL;

	return j ? j : json_null();
}

static json_t *col_int(sqlite3_stmt *q, int i)
{
	if (sqlite3_column_type(q, i) == SQLITE_NULL)
		return json_null();
	return json_integer(sqlite3_column_int64(q, i));
}

/* Duration in seconds between two microsecond columns, or null. */
static json_t *col_duration(sqlite3_stmt *q, int from, int to)
{
	if (sqlite3_column_type(q, from) == SQLITE_NULL ||
	    sqlite3_column_type(q, to) == SQLITE_NULL)
		return json_null();
	/* milliseconds are what anyone reads */
	return json_real((double)((sqlite3_column_int64(q, to) -
				   sqlite3_column_int64(q, from)) / 1000) /
			 1e3);
}

static json_t *run_row(sqlite3_stmt *q)
{
	json_t *o = json_object();

	json_object_set_new(o, "id", col_text(q, 0));
	json_object_set_new(o, "pipeline", col_text(q, 1));
	json_object_set_new(o, "status", col_text(q, 2));
	json_object_set_new(o, "executor", col_text(q, 3));
	json_object_set_new(o, "specPath", col_text(q, 4));
	json_object_set_new(o, "specHash", col_text(q, 5));
	json_object_set_new(o, "specDir", col_text(q, 6));
	json_object_set_new(o, "overrides", col_json(q, 7));
	json_object_set_new(o, "parameters", col_json(q, 8));
	json_object_set_new(o, "gitCommit", col_text(q, 9));
	json_object_set_new(o, "gitRepo", col_text(q, 10));
	json_object_set_new(o, "jobs", col_int(q, 11));
	json_object_set_new(o, "cache", json_boolean(sqlite3_column_int(q,
								       12)));
	json_object_set_new(o, "runnerPid", col_int(q, 13));
	json_object_set_new(o, "user", col_text(q, 14));
	json_object_set_new(o, "created", col_time(q, 15));
	json_object_set_new(o, "ended", col_time(q, 16));
	json_object_set_new(o, "duration", col_duration(q, 15, 16));
	json_object_set_new(o, "failureReason", col_text(q, 17));
	return o;
}

static int add_steps(struct store *st, json_t *run, struct mlops_err *err)
{
	json_t *steps = json_array();
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT name, status, cache_key, "
			    "cache_source, attempts, exit_code, job_id, "
			    "properties, failure_reason, started_us, ended_us, "
			    "inputs, outputs FROM pipeline_step WHERE run_id ="
			    " ?1 ORDER BY position", err);
	if (ret < 0) {
		json_decref(steps);
		return ret;
	}
	sqlite3_bind_text(q, 1, run_id_of(run), -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *s = json_object();

		json_object_set_new(s, "name", col_text(q, 0));
		json_object_set_new(s, "status", col_text(q, 1));
		json_object_set_new(s, "cacheKey", col_text(q, 2));
		json_object_set_new(s, "cacheHit", json_boolean(
				    sqlite3_column_type(q, 3) != SQLITE_NULL));
		json_object_set_new(s, "cacheSource", col_text(q, 3));
		json_object_set_new(s, "attempts", col_int(q, 4));
		json_object_set_new(s, "exitCode", col_int(q, 5));
		json_object_set_new(s, "slurmJobId", col_text(q, 6));
		json_object_set_new(s, "properties", col_json(q, 7));
		json_object_set_new(s, "failureReason", col_text(q, 8));
		json_object_set_new(s, "started", col_time(q, 9));
		json_object_set_new(s, "ended", col_time(q, 10));
		json_object_set_new(s, "duration", col_duration(q, 9, 10));
		json_object_set_new(s, "inputs", col_json(q, 11));
		json_object_set_new(s, "outputs", col_json(q, 12));
		json_array_append_new(steps, s);
	}
	if (rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot read steps", err);
	sqlite3_finalize(q);
	json_object_set_new(run, "steps", steps);
	return ret;
}

int pipeline_runs_find_producer(struct store *st, const char *run_id,
				const char *hash, char **step, json_t **inputs,
				struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret, rc, found = 0;

	ret = store_prepare(st, &q, "SELECT s.name, s.inputs FROM "
			    "pipeline_step s, json_each(CASE WHEN "
			    "json_valid(s.outputs) THEN s.outputs END) o "
			    "WHERE s.run_id = ?1 AND o.value = ?2 ORDER BY "
			    "s.position LIMIT 1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, run_id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, hash, -1, SQLITE_STATIC);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		json_t *in = col_json(q, 1);

		*step = xstrdup((const char *)sqlite3_column_text(q, 0));
		*inputs = json_is_object(in) ? in : NULL;
		if (!*inputs)
			json_decref(in);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "cannot read steps", err);
	}
	sqlite3_finalize(q);
	return ret < 0 ? ret : found;
}

int pipeline_runs_get(struct store *st, const char *id, json_t **out,
		     struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *run = NULL;
	char *pattern = xasprintf("%s*", id);
	int ret, rc, n = 0;

	ret = pipeline_runs_reap(st, err);
	if (ret < 0)
		goto out;
	/* An exact ID wins over a prefix of a longer one. */
	ret = store_prepare(st, &q, "SELECT " RUN_COLUMNS " FROM pipeline_run"
			    " WHERE id = ?1 OR id GLOB ?2 ORDER BY id != ?1, "
			    "id LIMIT 2", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, pattern, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (n++ == 0) {
			run = run_row(q);
			if (strcmp(run_id_of(run), id) == 0)
				break;
		}
	}
	if (!run)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no run '%s' (see "
				    "'mlops-pipeline list')", id);
	else if (n > 1)
		ret = mlops_err_set(err, MLOPS_EUSAGE, "'%s' names more than "
				    "one run: give more of its ID", id);
	if (ret == 0)
		ret = add_steps(st, run, err);
	if (ret == 0) {
		*out = run;
		run = NULL;
	}
out:
	json_decref(run);
	sqlite3_finalize(q);
	free(pattern);
	return ret;
}

int pipeline_runs_count(struct store *st, int64_t *out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret;

	ret = store_prepare(st, &q, "SELECT count(*) FROM pipeline_run", err);
	if (ret == 0 && (ret = store_step(q, "cannot count runs", err)) == 1) {
		*out = sqlite3_column_int64(q, 0);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

int pipeline_runs_list(struct store *st, json_t **out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL, *c = NULL;
	json_t *list = json_array();
	int ret, rc;

	ret = pipeline_runs_reap(st, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT " RUN_COLUMNS " FROM "
				    "pipeline_run ORDER BY created_us, id",
				    err);
	if (ret == 0)
		ret = store_prepare(st, &c, "SELECT status, count(*), "
				    "count(cache_source) FROM pipeline_step "
				    "WHERE run_id = ?1 GROUP BY status", err);
	while (ret == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		json_t *run = run_row(q), *counts = json_object();
		int64_t hits = 0;

		sqlite3_reset(c);
		sqlite3_bind_text(c, 1, run_id_of(run), -1, SQLITE_TRANSIENT);
		while ((ret = store_step(c, "cannot count the steps of a "
					 "run", err)) == 1) {
			const char *status = (const char *)
				sqlite3_column_text(c, 0);

			json_object_set_new(counts, status, json_integer(
					    sqlite3_column_int64(c, 1)));
			hits += sqlite3_column_int64(c, 2);
		}
		json_object_set_new(run, "stepCounts", counts);
		json_object_set_new(run, "cacheHits", json_integer(hits));
		json_array_append_new(list, run);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot list runs", err);
	sqlite3_finalize(q);
	sqlite3_finalize(c);
	if (ret < 0) {
		json_decref(list);
		return ret;
	}
	*out = list;
	return 0;
}

int pipeline_runs_definition(struct store *st, const json_t *run,
			    struct pipeline **out, struct mlops_err *err)
{
	const json_t *ov = json_object_get(run, "overrides");
	struct buf spec = BUF_INIT;
	char **overrides;
	size_t n = json_array_size(ov);
	int ret;

	overrides = xcalloc(n + 1, sizeof(*overrides));
	for (size_t i = 0; i < n; i++)
		overrides[i] = (char *)json_string_value(json_array_get(ov, i));
	ret = object_read_mem(st, run_str(run, "specHash"), &spec,
			      MLOPS_MAX_SPEC, err);
	if (ret == 0)
		ret = pipeline_load_mem(out, spec.s, spec.len,
					run_str(run, "specPath"),
					run_str(run, "specDir"), overrides, n,
					err);
	free(overrides);
	buf_release(&spec);
	return ret;
}

int pipeline_runs_status(struct store *st, const char *id, char **status,
			struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = pipeline_runs_reap(st, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT status FROM pipeline_run "
				    "WHERE id = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot read the run", err);
	if (ret == 1) {
		*status = xstrdup((const char *)sqlite3_column_text(q, 0));
		ret = 0;
	} else if (ret == 0) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no run '%s'", id);
	}
	sqlite3_finalize(q);
	return ret;
}

/* 1 when pid is a live mlops-pipeline process. */
static int runner_alive(json_int_t pid)
{
	char path[64], comm[64] = "";
	FILE *f;

	if (pid <= 0 || kill((pid_t)pid, 0) < 0)
		return 0;
	snprintf(path, sizeof(path), "/proc/%lld/comm", (long long)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = '\0';
	fclose(f);
	return strncmp(comm, "mlops-pipeline", 14) == 0;
}

/* End a run whose runner is gone as status (Failed or Stopped), for
 * reason: its Slurm jobs, which would run on, are cancelled; its steps
 * still Executing get status and reason, the Pending ones are Stopped.
 * Nothing changes when the run no longer reads Executing. */
static int end_orphaned_run(struct store *st, const char *id,
			    const char *pipeline, const char *commit,
			    const char *status, const char *reason,
			    struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT job_id FROM pipeline_step WHERE "
			    "run_id = ?1 AND status = 'Executing' AND job_id "
			    "IS NOT NULL", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		pipeline_slurm_cancel_job((const char *)
					  sqlite3_column_text(q, 0));
	if (rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot read steps", err);
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "UPDATE pipeline_step SET status = "
				    "CASE status WHEN 'Executing' THEN ?2 ELSE "
				    "'Stopped' END, "
				    "failure_reason = ?3, ended_us = ?4 WHERE "
				    "run_id = ?1 AND status IN ('Pending', "
				    "'Executing') AND EXISTS (SELECT 1 FROM "
				    "pipeline_run WHERE id = ?1 AND status = "
				    "'Executing')", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, reason, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, time_now_us());
		ret = store_step_done(q, "cannot end steps", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(st, &q, "UPDATE pipeline_run SET status = "
				    "?2, ended_us = ?3, failure_reason = ?4 "
				    "WHERE id = ?1 AND status = 'Executing'",
				    err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, time_now_us());
		sqlite3_bind_text(q, 4, reason, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot end the run", err);
	}
	sqlite3_finalize(q);
	if (ret == 0 && sqlite3_changes(st->db) == 1)
		ret = pipeline_exec_emit_event(st, pipeline, id, "Executing",
					      status, commit, reason, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

/* Whether the runner of the Executing run id is gone: 1 with *lock_fd
 * holding the run's lock (shared) so that no retry takes the run over
 * while it is being ended, 0 when it lives. A run with no lock file was
 * started before runs had one: its recorded process decides. */
static int runner_gone(struct store *st, const char *id, json_int_t pid,
		       int *lock_fd)
{
	char *path = xasprintf("%s/runs/%s/%s", st->dir, id,
			       PIPELINE_EXEC_LOCK_FILE);
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	free(path);
	*lock_fd = -1;
	if (fd < 0)
		return !runner_alive(pid);
	if (flock(fd, LOCK_SH | LOCK_NB) < 0) {
		close(fd);
		return 0;
	}
	*lock_fd = fd;
	return 1;
}

int pipeline_runs_reap(struct store *st, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *runs = json_array(), *r;
	size_t i;
	int ret, rc;

	ret = store_prepare(st, &q, "SELECT id, pipeline, git_commit, "
			    "runner_pid FROM pipeline_run WHERE status = "
			    "'Executing'", err);
	while (ret == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(runs, json_pack("[s,s,o,I]",
			(const char *)sqlite3_column_text(q, 0),
			(const char *)sqlite3_column_text(q, 1),
			col_text(q, 2),
			(json_int_t)sqlite3_column_int64(q, 3)));
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_step_failed(st, rc, "cannot list runs", err);
	sqlite3_finalize(q);
	json_array_foreach(runs, i, r) {
		json_int_t pid = json_integer_value(json_array_get(r, 3));
		char *reason;
		int fd;

		if (ret < 0)
			break;
		if (!runner_gone(st, json_string_value(json_array_get(r, 0)),
				 pid, &fd))
			continue;
		reason = xasprintf("its runner (process %lld) is gone",
				   (long long)pid);
		ret = end_orphaned_run(st, json_string_value(
					json_array_get(r, 0)),
				       json_string_value(json_array_get(r, 1)),
				       json_string_value(json_array_get(r, 2)),
				       "Failed", reason, err);
		free(reason);
		if (fd >= 0)
			close(fd);
	}
	json_decref(runs);
	return ret;
}

int pipeline_runs_cancel(struct store *st, const json_t *run, int *signalled,
			struct mlops_err *err)
{
	const char *id = run_id_of(run);
	const char *status = json_string_value(json_object_get(run, "status"));
	json_int_t pid = json_integer_value(json_object_get(run, "runnerPid"));
	int ret, fd;

	*signalled = 0;
	if (strcmp(status, "Executing") != 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "run %s is not "
				     "executing (it is %s)", id, status);
	if (runner_alive(pid)) {
		if (kill((pid_t)pid, SIGTERM) < 0)
			return mlops_err_errno(err, errno == EPERM ?
					       MLOPS_EPERM : MLOPS_EINTERNAL,
					       errno, "cannot signal process "
					       "%lld", (long long)pid);
		*signalled = 1;
		return 0;
	}
	/* The runner died without a word between the look-up and now. */
	if (!runner_gone(st, id, pid, &fd))
		return mlops_err_set(err, MLOPS_ENOTFOUND, "run %s changed "
				     "hands while being cancelled: look again",
				     id);
	ret = end_orphaned_run(st, id, run_str(run, "pipeline"),
			       run_str(run, "gitCommit"), "Stopped",
			       "cancelled (its process was gone)", err);
	if (fd >= 0)
		close(fd);
	return ret;
}

const char *pipeline_runs_status_color(const char *status, int hit)
{
	if (!status)
		return "white";
	if (strcmp(status, "Succeeded") == 0)
		return hit ? "lightblue" : "palegreen";
	if (strcmp(status, "Failed") == 0)
		return "salmon";
	if (strcmp(status, "Skipped") == 0)
		return "lightgray";
	if (strcmp(status, "Stopped") == 0)
		return "orange";
	if (strcmp(status, "Executing") == 0)
		return "yellow";
	return "white";
}
