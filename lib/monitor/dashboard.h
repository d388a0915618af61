/* dashboard.h - the model dashboard: one view of every model version,
 * endpoint and monitoring schedule of a store, with alerts
 * (dashboard.c). */
#ifndef MLOPS_MONITOR_DASHBOARD_H
#define MLOPS_MONITOR_DASHBOARD_H
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"

/* Collect the dashboard: {"models": [{group, version, status,
 * endpoints: [...]}], "endpoints": [{name, model, requests, errors,
 * error_rate}], "schedules": [{name, endpoint, executions: [{start,
 * status, violations}], last: {...} or null}], "alerts": [{kind,
 * subject, message}]}. Alerts: a schedule whose last execution found
 * violations or failed; an endpoint whose error rate (errors / requests
 * from the gateway's counters) exceeds max_error_rate; an endpoint
 * serving a model that no schedule monitors. The caller owns *out. */
int monitor_dashboard_collect(json_t **out, struct store *st,
			      double max_error_rate, struct mlops_err *err);

/* The dashboard as one self-contained HTML page: inline CSS, an SVG
 * chart of each schedule's violations per execution drawn here, no
 * script, no external asset; every text escaped. */
void monitor_dashboard_html(struct buf *out, const json_t *d);

#endif
