/* gateway_metrics.c - the gateway's counters and what it shows of them:
 * GET /metrics in the Prometheus text format, GET /endpoints as JSON.
 * Counters are relaxed atomics: exact totals, no ordering needed. */
#include <inttypes.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "deploy/gateway_int.h"
#include "core/jsonio.h"

const int deploy_gateway_metrics_codes[DEPLOY_GATEWAY_NCODES] = { 200, 400, 401,
	404, 405, 411, 413, 415, 424, 429, 501, 502, 503, 504, 500 };

const int64_t deploy_gateway_metrics_bucket_us[DEPLOY_GATEWAY_NBUCKETS] = { 25,
	50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000,
	250000, 500000, 1000000, 2500000, 10000000, INT64_MAX };

static int code_index(int status)
{
	for (int i = 0; i < DEPLOY_GATEWAY_NCODES - 1; i++)
		if (deploy_gateway_metrics_codes[i] == status)
			return i;
	return DEPLOY_GATEWAY_NCODES - 1;
}

void deploy_gateway_metrics_count(struct deploy_gateway_counters *c, int status,
				  int64_t us)
{
	int b = 0;

	while (us > deploy_gateway_metrics_bucket_us[b])
		b++;
	atomic_fetch_add_explicit(&c->by_code[code_index(status)], 1,
				  memory_order_relaxed);
	atomic_fetch_add_explicit(&c->bucket[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c->sum_us, (uint64_t)us,
				  memory_order_relaxed);
}

uint64_t deploy_gateway_metrics_total(const struct deploy_gateway_counters *c,
				      int errors_only)
{
	uint64_t n = 0;

	for (int i = errors_only ? 1 : 0; i < DEPLOY_GATEWAY_NCODES; i++)
		n += atomic_load_explicit(&c->by_code[i],
					  memory_order_relaxed);
	return n;
}

json_t *deploy_gateway_metrics_latency(const struct deploy_gateway_counters *c)
{
	json_t *bounds = json_array(), *counts = json_array();

	for (int b = 0; b < DEPLOY_GATEWAY_NBUCKETS; b++) {
		if (b < DEPLOY_GATEWAY_NBUCKETS - 1)
			json_array_append_new(bounds, json_integer(
				deploy_gateway_metrics_bucket_us[b]));
		json_array_append_new(counts, json_integer((json_int_t)
			atomic_load_explicit(&c->bucket[b],
					     memory_order_relaxed)));
	}
	return json_pack("{s:o,s:o,s:I}", "bounds_us", bounds, "counts",
			 counts, "sum_us", (json_int_t)atomic_load_explicit(
				 &c->sum_us, memory_order_relaxed));
}

static void metric_head(struct buf *out, const char *name, const char *type,
			const char *help)
{
	buf_addf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void render_codes(struct buf *out, const char *label,
			 const struct deploy_gateway_counters *c,
			 int errors_only)
{
	for (int i = errors_only ? 1 : 0; i < DEPLOY_GATEWAY_NCODES; i++) {
		uint64_t v = atomic_load(&c->by_code[i]);

		if (v)
			buf_addf(out, "%s%scode=\"%d\"} %" PRIu64 "\n", label,
				 *label && label[strlen(label) - 1] != '{' ?
				 "," : "", deploy_gateway_metrics_codes[i], v);
	}
}

/* One line per endpoint and status code of metric name. */
static void render_codes_each(struct buf *out,
			      const struct deploy_gateway_routes *r,
			      const char *name, int errors_only)
{
	char label[256];

	for (size_t i = 0; r && i < r->n; i++) {
		snprintf(label, sizeof(label), "%s{endpoint=\"%s\"", name,
			 r->eps[i]->name);
		render_codes(out, label, &r->eps[i]->n, errors_only);
	}
}

/* One line per endpoint with the counter at offset in its counters. */
static void render_counter_each(struct buf *out,
				const struct deploy_gateway_routes *r,
				const char *name, size_t offset)
{
	for (size_t i = 0; r && i < r->n; i++) {
		const deploy_gateway_counter *c =
			(const deploy_gateway_counter *)(const void *)
			((const char *)&r->eps[i]->n + offset);

		buf_addf(out, "%s{endpoint=\"%s\"} %" PRIu64 "\n", name,
			 r->eps[i]->name, (uint64_t)atomic_load(c));
	}
}

void deploy_gateway_metrics_render(struct deploy_gateway *gw, struct buf *out)
{
	struct deploy_gateway_routes *r = atomic_load(&gw->routes);
	size_t n = r ? r->n : 0;

	metric_head(out, "mlops_requests_total", "counter",
		    "Invocations answered, by endpoint and status code.");
	render_codes_each(out, r, "mlops_requests_total", 0);
	metric_head(out, "mlops_request_errors_total", "counter",
		    "Invocations answered with an error status.");
	render_codes_each(out, r, "mlops_request_errors_total", 1);
	metric_head(out, "mlops_unrouted_requests_total", "counter",
		    "Requests for no known endpoint or path.");
	render_codes(out, "mlops_unrouted_requests_total{",
		     &gw->unrouted, 0);
	metric_head(out, "mlops_connections_timed_out_total", "counter",
		    "Connections closed for not sending a request's headers "
		    "or body in time.");
	buf_addf(out, "mlops_connections_timed_out_total %" PRIu64 "\n",
		 (uint64_t)atomic_load(&gw->timed_out));
	metric_head(out, "mlops_buffered_body_bytes", "gauge",
		    "Request body bytes buffered across connections.");
	buf_addf(out, "mlops_buffered_body_bytes %" PRIu64 "\n",
		 (uint64_t)atomic_load(&gw->buffered));
	metric_head(out, "mlops_request_duration_seconds", "histogram",
		    "Time from request headers to response, per endpoint.");
	for (size_t i = 0; i < n; i++) {
		const struct deploy_gateway_counters *c = &r->eps[i]->n;
		uint64_t cum = 0;

		for (int b = 0; b < DEPLOY_GATEWAY_NBUCKETS; b++) {
			cum += atomic_load(&c->bucket[b]);
			if (b == DEPLOY_GATEWAY_NBUCKETS - 1)
				buf_addf(out, "mlops_request_duration_seconds_"
					 "bucket{endpoint=\"%s\",le=\"+Inf\"} "
					 "%" PRIu64 "\n", r->eps[i]->name, cum);
			else
				buf_addf(out, "mlops_request_duration_seconds_"
					 "bucket{endpoint=\"%s\",le=\"%g\"} "
					 "%" PRIu64 "\n", r->eps[i]->name,
					 (double)
					 deploy_gateway_metrics_bucket_us[b] /
					 1e6, cum);
		}
		buf_addf(out, "mlops_request_duration_seconds_sum{endpoint="
			 "\"%s\"} %.6f\n", r->eps[i]->name,
			 (double)atomic_load(&c->sum_us) / 1e6);
		buf_addf(out, "mlops_request_duration_seconds_count{endpoint="
			 "\"%s\"} %" PRIu64 "\n", r->eps[i]->name, cum);
	}
	metric_head(out, "mlops_inflight_requests", "gauge",
		    "exec/http invocations in flight.");
	for (size_t i = 0; i < n; i++)
		buf_addf(out, "mlops_inflight_requests{endpoint=\"%s\"} %ld\n",
			 r->eps[i]->name, atomic_load(&r->eps[i]->inflight));
	metric_head(out, "mlops_workers", "gauge",
		    "Worker processes running (exec/http endpoints).");
	for (size_t i = 0; i < n; i++) {
		struct deploy_gateway_version *v =
			atomic_load(&r->eps[i]->active);

		buf_addf(out, "mlops_workers{endpoint=\"%s\"} %d\n",
			 r->eps[i]->name, v && v->pool ?
			 deploy_pool_running(v->pool) : 0);
	}
	metric_head(out, "mlops_cold_starts_total", "counter",
		    "Worker starts a request had to wait for.");
	render_counter_each(out, r, "mlops_cold_starts_total",
			    offsetof(struct deploy_gateway_counters,
				     cold_starts));
	metric_head(out, "mlops_captured_records_total", "counter",
		    "Requests queued for data capture.");
	render_counter_each(out, r, "mlops_captured_records_total",
			    offsetof(struct deploy_gateway_counters, captured));
	metric_head(out, "mlops_capture_dropped_total", "counter",
		    "Capture records dropped because the queue was full.");
	render_counter_each(out, r, "mlops_capture_dropped_total",
			    offsetof(struct deploy_gateway_counters,
				     capture_dropped));
	if (gw->cap) {
		metric_head(out, "mlops_capture_written_total", "counter",
			    "Capture records written to files.");
		buf_addf(out, "mlops_capture_written_total %" PRIu64 "\n",
			 deploy_capture_written(gw->cap));
	}
}

void deploy_gateway_metrics_render_endpoints(struct deploy_gateway *gw,
					     struct buf *out)
{
	struct deploy_gateway_routes *r = atomic_load(&gw->routes);
	json_t *list = json_array();

	for (size_t i = 0; r && i < r->n; i++) {
		struct deploy_gateway_endpoint *gep = r->eps[i];
		struct deploy_gateway_version *v = atomic_load(&gep->active);
		struct deploy_gateway_endpoint_conf *c =
			atomic_load(&gep->conf);
		json_t *o = json_pack("{s:s,s:I,s:i,s:I}", "name", gep->name,
				      "generation", (json_int_t)c->generation,
				      "max_concurrency",
				      c->set.max_concurrency, "inflight",
				      (json_int_t)atomic_load(&gep->inflight));

		if (v) {
			json_object_set_new(o, "model", json_string(v->ref));
			json_object_set_new(o, "framework",
					    json_string(v->framework));
			json_object_set_new(o, "status", json_string(
				v->error ? "Failed" : "InService"));
			if (v->error)
				json_object_set_new(o, "error",
						    json_string(v->error));
			if (v->xgb)
				json_object_set_new(o, "predictor", json_string(
				    deploy_xgb_model_predictor(v->xgb)));
			if (v->pool)
				json_object_set_new(o, "workers",
				    json_integer(deploy_pool_running(v->pool)));
		}
		if (atomic_load(&gep->shadow))
			json_object_set_new(o, "shadow",
				deploy_gateway_shadow_json(
					atomic_load(&gep->shadow)));
		pthread_mutex_lock(&gw->cold_lock);
		if (gep->update_error)
			json_object_set_new(o, "update_error",
					    json_string(gep->update_error));
		pthread_mutex_unlock(&gw->cold_lock);
		json_array_append_new(list, o);
	}
	jsonio_append(out, list);
	buf_addch(out, '\n');
	json_decref(list);
}
