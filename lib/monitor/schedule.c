/* schedule.c - monitoring schedules over an endpoint's data capture:
 * create, list, delete, and run-due, which runs every window whose end
 * has passed (catching up missed ones), records an execution per window
 * and emits its event. A lock file serialises run-due calls, and each
 * window advances the schedule in the transaction that records its
 * execution, so no window ever runs twice. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/csv.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/event.h"
#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "monitor/monitor.h"

void monitor_schedule_release(struct monitor_schedule *s)
{
	free(s->name);
	free(s->endpoint);
	free(s->baseline);
	free(s->type);
	free(s->created_by);
	memset(s, 0, sizeof(*s));
}

static int schedule_insert(struct store *st, const char *name,
			   const char *endpoint, const char *baseline,
			   int64_t interval_us, struct mlops_err *err)
{
	struct monitor_report_baseline b;
	struct deploy_endpoint *e = NULL;
	sqlite3_stmt *q = NULL;
	char *dir = NULL, *user = NULL;
	int64_t now = time_now_us();
	int ret;

	if (!deploy_endpoint_valid_name(name))
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "'%s' is not a valid "
				     "schedule name (letters, digits and "
				     "hyphens, at most 63)",
				     name);
	if (interval_us < 60 * 1000000ll)
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "the interval must be "
				     "at least one minute");
	if ((ret = deploy_endpoint_get(st, endpoint, &e, err)) < 0)
		return ret;
	deploy_endpoint_free(e);
	/* A model version's baseline is named as such and written back
	 * at each run, so that registering a new one takes effect. */
	if (monitor_baseline_is_ref(baseline)) {
		ret = monitor_baseline_materialise(st, baseline, &dir, err);
		free(dir);
		dir = ret == 0 ? xstrdup(baseline) : NULL;
	} else {
		dir = fs_path_absolute(baseline);
		ret = monitor_report_baseline_load(&b, dir, err);
		if (ret == 0)
			monitor_report_baseline_release(&b);
	}
	if (ret < 0) {
		free(dir);
		return ret;
	}
	user = identity_user();
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = store_prepare(st, &q,
			    "INSERT INTO monitor_schedule (name, "
			    "endpoint, baseline, type, interval_us, "
			    "next_start_us, created_us, created_by) VALUES "
			    "(?1, ?2, ?3, 'data', ?4, ?5, ?6, ?7) "
			    "ON CONFLICT (name) DO NOTHING",
			    err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, endpoint, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, dir, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, interval_us);
	/* The first window is the interval in progress: it runs once it
	 * has ended. */
	sqlite3_bind_int64(q, 5, now - now % interval_us);
	sqlite3_bind_int64(q, 6, now);
	sqlite3_bind_text(q, 7, user, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot add the schedule", err);
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND,
				    "schedule '%s' "
				    "already exists",
				    name);
	if (ret == 0)
		ret = store_commit(st, err);
out:
	if (ret < 0)
		store_rollback(st);
	sqlite3_finalize(q);
	free(dir);
	free(user);
	return ret;
}

int monitor_schedule_create(struct store *st, const char *name,
			    const char *endpoint, const char *baseline,
			    int64_t interval_us, struct mlops_err *err)
{
	struct audit_entry e = { "monitor.schedule.create", name, "success",
				 NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = schedule_insert(st, name, endpoint, baseline,
				      interval_us, err);
	return audit_done(st, ret, &e, err);
}

int monitor_schedule_delete(struct store *st, const char *name,
			    struct mlops_err *err)
{
	struct audit_entry e = { "monitor.schedule.rm", name, "success",
				 NULL };
	sqlite3_stmt *q = NULL;
	int ret = audit_intend(st, e.action, name, err);

	if (ret < 0)
		return ret;
	ret = store_begin(st, err);

	if (ret == 0)
		ret = store_prepare(st, &q,
				    "DELETE FROM monitor_schedule "
				    "WHERE name = ?1",
				    err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot delete the schedule", err);
	}
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no schedule '%s'",
				    name);
	if (ret == 0)
		ret = store_commit(st, err);
	else
		store_rollback(st);
	sqlite3_finalize(q);
	return audit_done(st, ret, &e, err);
}

static char *column_text(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? xstrdup((const char *)s) : NULL;
}

int monitor_schedule_list(struct store *st, struct monitor_schedule **out,
			  size_t *n, struct mlops_err *err)
{
	struct monitor_schedule *v = NULL;
	size_t len = 0, cap = 0;
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q,
				"SELECT name, endpoint, baseline, "
				"type, interval_us, next_start_us, "
				"created_us, created_by FROM "
				"monitor_schedule ORDER BY name",
				err);

	while (ret == 0 &&
	       (ret = store_step(q, "cannot list schedules", err)) == 1) {
		struct monitor_schedule *s;

		ALLOC_GROW(v, len + 1, cap);
		s = &v[len++];
		s->name = column_text(q, 0);
		s->endpoint = column_text(q, 1);
		s->baseline = column_text(q, 2);
		s->type = column_text(q, 3);
		s->interval_us = sqlite3_column_int64(q, 4);
		s->next_start_us = sqlite3_column_int64(q, 5);
		s->created_us = sqlite3_column_int64(q, 6);
		s->created_by = column_text(q, 7);
		ret = 0;
	}
	sqlite3_finalize(q);
	if (ret < 0) {
		monitor_schedule_list_free(v, len);
		return ret;
	}
	*out = v;
	*n = len;
	return 0;
}

void monitor_schedule_list_free(struct monitor_schedule *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		monitor_schedule_release(&v[i]);
	free(v);
}

/* What one window's capture becomes: a profile of the CSV rows of the
 * requests, columns named after the baseline's features in order. */
struct window {
	struct monitor_profile p;
	int started;
	const json_t *features; /* the baseline's statistics features */
	int64_t skipped;        /* requests that were not CSV */
	struct mlops_err err;
	int failed;
};

static int add_request(json_t *record, void *arg)
{
	struct window *w = arg;
	json_t *in = json_object_get(json_object_get(record, "captureData"),
				     "endpointInput");
	const char *enc = jsonio_str(in, "encoding");
	const char *data = jsonio_str(in, "data");
	struct csv_reader *r;
	char **fields;
	size_t n;
	int ret;

	if (!data || !enc || strcmp(enc, "CSV") != 0) {
		w->skipped++;
		return 0;
	}
	r = csv_reader_new_mem(data, strlen(data), "capture");
	while ((ret = csv_read(r, &n, &fields, &w->err)) == 1) {
		size_t *lens = xcalloc(n, sizeof(*lens));

		for (size_t i = 0; i < n; i++)
			lens[i] = csv_field_len(r, i);
		if (!w->started) {
			char **names = xcalloc(n, sizeof(*names));

			for (size_t i = 0; i < n; i++) {
				const char *f = jsonio_str(
				    json_array_get(w->features, i), "name");

				names[i] =
				    f ? xstrdup(f) : xasprintf("_c%zu", i);
			}
			ret = monitor_profile_begin(&w->p, n, names, "capture",
						    &w->err);
			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
			w->started = ret == 0;
		} else if (n != w->p.ncols) {
			ret = mlops_err_set(&w->err, MLOPS_EINPUT,
					    "a captured "
					    "request has %zu fields, earlier "
					    "ones %zu",
					    n, w->p.ncols);
		}
		if (ret >= 0)
			ret = monitor_profile_add_row(
			    &w->p, fields, lens, "capture",
			    (long)w->p.item_count + 1, &w->err);
		free(lens);
		if (ret < 0)
			break;
	}
	csv_reader_free(r);
	if (ret < 0) {
		w->failed = 1;
		return 1;
	}
	return 0;
}

/* The execution id of a window: SCHEDULE-YYYYMMDDTHHMMSSZ of its start. */
static char *execution_id(const char *schedule, int64_t start_us)
{
	char t[TIME_RFC3339_MAX], compact[TIME_RFC3339_MAX];
	size_t j = 0;

	time_format(start_us, t);
	for (size_t i = 0; t[i]; i++)
		if (t[i] != '-' && t[i] != ':')
			compact[j++] = t[i];
	compact[j] = '\0';
	return xasprintf("%s-%s", schedule, compact);
}

/* Run one window of s: profile, check, write the report, then record the
 * execution, advance the schedule and emit the event in one
 * transaction. *exec gets the execution's JSON. */
static int run_window(struct store *st, const struct monitor_schedule *s,
		      json_t **exec, struct mlops_err *err)
{
	static const char *const names[] = {"constraint_violations.json",
					    "statistics.json"};
	struct window w = {.err = MLOPS_ERR_INIT};
	struct monitor_report_baseline b = {NULL, NULL};
	int64_t start = s->next_start_us, end = start + s->interval_us;
	char *id = execution_id(s->name, start), *rel = NULL, *dir = NULL;
	char *capdir = store_path(st, "capture"), *bdir = NULL;
	const char *status, *failure = NULL;
	json_t *docs[2] = {NULL, NULL}, *resources, *res;
	char ts[TIME_RFC3339_MAX], te[TIME_RFC3339_MAX];
	size_t nviol = 0;
	sqlite3_stmt *q = NULL;
	int ret;

	if (monitor_baseline_is_ref(s->baseline)) {
		if (monitor_baseline_materialise(st, s->baseline, &bdir,
						 &w.err) < 0)
			w.failed = 1;
	} else {
		bdir = xstrdup(s->baseline);
	}
	if (w.failed ||
	    monitor_report_baseline_load(&b, bdir, &w.err) < 0) {
		w.failed = 1;
	} else {
		w.features = json_object_get(b.statistics, "features");
		if (deploy_capture_each(capdir, s->endpoint, start, end,
					add_request, &w, &w.err) < 0)
			w.failed = 1;
	}
	if (!w.failed && !w.started) {
		w.failed = 1;
		mlops_err_set(&w.err, MLOPS_EINPUT,
			      "no captured CSV request "
			      "in the window");
	}
	if (!w.failed) {
		docs[0] = monitor_check(&b, &w.p, &w.err);
		w.failed = docs[0] == NULL;
	}
	if (!w.failed) {
		docs[1] = monitor_report_statistics(&w.p);
		rel = xasprintf("monitoring/%s/%s", s->name, id);
		dir = store_path(st, rel);
		if (monitor_report_write(dir, 2, names, docs, &w.err) < 0)
			w.failed = 1;
		nviol = json_array_size(json_object_get(docs[0], "violations"));
	}
	status = w.failed ? "Failed"
		 : nviol  ? "CompletedWithViolations"
			  : "Completed";
	if (w.failed)
		failure = w.err.msg;
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = store_prepare(st, &q,
			    "INSERT INTO monitor_execution (id, "
			    "schedule, window_start_us, window_end_us, status, "
			    "items, violations, report, failure, ran_us) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
			    err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, start);
		sqlite3_bind_int64(q, 4, end);
		sqlite3_bind_text(q, 5, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, (int64_t)w.p.item_count);
		sqlite3_bind_int64(q, 7, (int64_t)nviol);
		sqlite3_bind_text(q, 8, w.failed ? NULL : rel, -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(q, 9, failure, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 10, time_now_us());
		ret = store_step(q, "cannot record the execution", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(st, &q,
				    "UPDATE monitor_schedule SET "
				    "next_start_us = ?2 WHERE name = ?1 AND "
				    "next_start_us = ?3",
				    err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, s->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, end);
		sqlite3_bind_int64(q, 3, start);
		ret = store_step(q, "cannot advance the schedule", err);
	}
	time_format(start, ts);
	time_format(end, te);
	res = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "executionId", id,
			"monitoringScheduleName", s->name, "endpointName",
			s->endpoint, "windowStart", ts, "windowEnd", te,
			"items", (json_int_t)w.p.item_count, "violations",
			(json_int_t)nviol);
	json_object_set_new(res, "monitoringExecutionStatus",
			    json_string(status));
	if (failure)
		json_object_set_new(res, "failureReason", json_string(failure));
	if (rel)
		json_object_set_new(res, "report", json_string(dir));
	if (ret == 0) {
		resources = json_pack("[s]", s->name);
		ret = event_emit(st, "mlops.monitor",
				 "Monitoring Execution "
				 "Status Change",
				 resources, res, NULL, err);
		json_decref(resources);
	}
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0) {
		store_rollback(st);
		json_decref(res);
	} else {
		*exec = res;
	}
out:
	sqlite3_finalize(q);
	json_decref(docs[0]);
	json_decref(docs[1]);
	monitor_report_baseline_release(&b);
	if (w.started)
		monitor_profile_release(&w.p);
	free(id);
	free(rel);
	free(dir);
	free(capdir);
	free(bdir);
	return ret;
}

static int run_due(struct store *st, int64_t now_us,
		   int (*fn)(const json_t *exec, void *arg), void *arg,
		   struct mlops_err *err)
{
	char *lock = store_path(st, "monitor.lock");
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	struct monitor_schedule *v = NULL;
	size_t n = 0;
	int ret;

	if (fd < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot "
				      "open '%s'",
				      lock);
		free(lock);
		return ret;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		ret = errno == EWOULDBLOCK
			  ? MONITOR_SCHEDULE_BUSY
			  : mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					    "cannot lock '%s'", lock);
		goto out;
	}
	if ((ret = monitor_schedule_list(st, &v, &n, err)) < 0)
		goto out;
	for (size_t i = 0; i < n && ret == 0; i++)
		while (ret == 0 &&
		       v[i].next_start_us + v[i].interval_us <= now_us) {
			json_t *exec = NULL;

			ret = run_window(st, &v[i], &exec, err);
			if (ret == 0) {
				v[i].next_start_us += v[i].interval_us;
				if (fn && fn(exec, arg) != 0)
					ret = MLOPS_EINTERNAL;
			}
			json_decref(exec);
		}
out:
	monitor_schedule_list_free(v, n);
	close(fd);
	free(lock);
	return ret;
}

int monitor_schedule_run_due(struct store *st, int64_t now_us,
			     int (*fn)(const json_t *exec, void *arg),
			     void *arg, struct mlops_err *err)
{
	struct audit_entry e = { "monitor.run-due", "schedules", "success",
				 NULL };
	int ret = audit_intend(st, e.action, e.resource, err);

	if (ret < 0)
		return ret;
	ret = run_due(st, now_us, fn, arg, err);
	if (ret == MONITOR_SCHEDULE_BUSY) {
		audit_cancel(st);
		return ret;
	}
	return audit_done(st, ret, &e, err);
}

static json_t *execution_json(sqlite3_stmt *q)
{
	char ts[TIME_RFC3339_MAX], te[TIME_RFC3339_MAX];
	json_t *j;

	time_format(sqlite3_column_int64(q, 2), ts);
	time_format(sqlite3_column_int64(q, 3), te);
	j = json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I}", "executionId",
		      (const char *)sqlite3_column_text(q, 0),
		      "monitoringScheduleName",
		      (const char *)sqlite3_column_text(q, 1), "windowStart",
		      ts, "windowEnd", te, "monitoringExecutionStatus",
		      (const char *)sqlite3_column_text(q, 4), "items",
		      (json_int_t)sqlite3_column_int64(q, 5), "violations",
		      (json_int_t)sqlite3_column_int64(q, 6));
	if (sqlite3_column_type(q, 7) != SQLITE_NULL)
		json_object_set_new(
		    j, "report",
		    json_string((const char *)sqlite3_column_text(q, 7)));
	if (sqlite3_column_type(q, 8) != SQLITE_NULL)
		json_object_set_new(
		    j, "failureReason",
		    json_string((const char *)sqlite3_column_text(q, 8)));
	return j;
}

#define EXEC_COLUMNS                                                           \
	"SELECT id, schedule, window_start_us, window_end_us, "                \
	"status, items, violations, report, failure FROM monitor_execution "

int monitor_schedule_executions(struct store *st, const char *schedule,
				json_t **out, struct mlops_err *err)
{
	json_t *list = json_array();
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q,
				"SELECT 1 FROM monitor_schedule "
				"WHERE name = ?1",
				err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, schedule, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot look up the schedule", err);
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND,
					    "no schedule "
					    "'%s'",
					    schedule);
		else if (ret == 1)
			ret = 0;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(st, &q,
				    EXEC_COLUMNS "WHERE schedule = ?1 "
						 "ORDER BY window_start_us",
				    err);
	if (ret == 0)
		sqlite3_bind_text(q, 1, schedule, -1, SQLITE_STATIC);
	while (ret == 0 &&
	       (ret = store_step(q, "cannot list executions", err)) == 1) {
		json_array_append_new(list, execution_json(q));
		ret = 0;
	}
	sqlite3_finalize(q);
	if (ret < 0) {
		json_decref(list);
		return ret;
	}
	*out = list;
	return 0;
}

int monitor_schedule_execution_get(struct store *st, const char *id,
				   json_t **out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, EXEC_COLUMNS "WHERE id = ?1", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, id, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot look up the execution", err);
	}
	if (ret == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no execution '%s'",
				    id);
	if (ret == 1) {
		*out = execution_json(q);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}
