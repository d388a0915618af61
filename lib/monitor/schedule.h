/* schedule.h - monitoring schedules over endpoint data capture, and
 * their executions (schedule.c). */
#ifndef MLOPS_MONITOR_SCHEDULE_H
#define MLOPS_MONITOR_SCHEDULE_H
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/store.h"
#include "monitor/monitor.h"

struct monitor_schedule {
	char *name, *endpoint, *baseline, *type, *created_by;
	int64_t interval_us, next_start_us, created_us;
};

void monitor_schedule_release(struct monitor_schedule *s);

/* Add schedule name checking endpoint's capture against the baseline
 * directory every interval_us (at least a minute), windows aligned on
 * multiples of the interval since the epoch. MLOPS_EUSAGE for a bad name
 * or interval, MLOPS_ENOTFOUND for a missing endpoint or baseline or a
 * name already taken, MLOPS_EINPUT for a malformed baseline. */
int monitor_schedule_create(struct store *st, const char *name,
			    const char *endpoint, const char *baseline,
			    int64_t interval_us, struct mlops_err *err);
/* MLOPS_ENOTFOUND when there is no such schedule. Its executions go
 * with it (their report files stay until removed by hand). */
int monitor_schedule_delete(struct store *st, const char *name,
			    struct mlops_err *err);
/* Every schedule, by name; free with monitor_schedule_list_free. */
int monitor_schedule_list(struct store *st, struct monitor_schedule **out,
			  size_t *n, struct mlops_err *err);
void monitor_schedule_list_free(struct monitor_schedule *v, size_t n);

/* monitor_schedule_run_due's result when another run-due holds the lock. */
#define MONITOR_SCHEDULE_BUSY 1

/* Run every window of every schedule that ended by now_us, oldest first,
 * under the store's monitor.lock: returns MONITOR_SCHEDULE_BUSY at once
 * when another process holds it. Each window profiles the CSV requests the endpoint
 * captured in it, checks them against the baseline, writes the report
 * under monitoring/SCHEDULE/ID/, and records the execution (Completed,
 * CompletedWithViolations, or Failed with a reason, for instance a window
 * with no CSV request), advances the schedule and emits the event
 * "Monitoring Execution Status Change" from mlops.monitor, in one
 * transaction. fn is called with each execution's JSON. */
int monitor_schedule_run_due(struct store *st, int64_t now_us,
			     int (*fn)(const json_t *exec, void *arg),
			     void *arg, struct mlops_err *err);

/* The executions of schedule, oldest first, as a JSON array (the caller
 * owns it); MLOPS_ENOTFOUND for no such schedule. */
int monitor_schedule_executions(struct store *st, const char *schedule,
				json_t **out, struct mlops_err *err);
/* One execution by id; MLOPS_ENOTFOUND. */
int monitor_schedule_execution_get(struct store *st, const char *id,
				   json_t **out, struct mlops_err *err);

#endif
