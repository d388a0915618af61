/* gateway_int.h - the gateway's internal state, shared by gateway.c (HTTP),
 * gateway_routes.c (the endpoint table and model versions) and
 * gateway_metrics.c (/metrics and /endpoints). Not for use outside the
 * gateway.
 *
 * What request threads read is published through atomic pointers and
 * never changed in place: the routes array, each endpoint's settings
 * (struct deploy_gateway_endpoint_conf) and its active version. The
 * control thread replaces them and frees the old ones after a grace
 * time (and, for a version, once its in-flight count is zero). Endpoint
 * structs themselves live until the gateway stops, so their counters
 * survive reloads.
 *
 * Private to lib/deploy (gateway.c, gateway_metrics.c,
 * gateway_routes.c). */
#ifndef MLOPS_DEPLOY_GATEWAY_INT_H
#define MLOPS_DEPLOY_GATEWAY_INT_H
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/buf.h"
#include "deploy/answer.h"
#include "deploy/deploy.h"
#include "core/store.h"
#include "deploy/pool.h"
#include "deploy/predio.h"
#include "deploy/xgb.h"

enum deploy_gateway_kind { DEPLOY_GATEWAY_XGBOOST, DEPLOY_GATEWAY_EXEC,
			   DEPLOY_GATEWAY_HTTP };

/* Status codes counted one by one; anything else counts as the last. */
#define DEPLOY_GATEWAY_NCODES 15
extern const int deploy_gateway_metrics_codes[DEPLOY_GATEWAY_NCODES];
/* Latency histogram bucket bounds in microseconds; the last is +Inf. */
#define DEPLOY_GATEWAY_NBUCKETS 18
extern const int64_t deploy_gateway_metrics_bucket_us[DEPLOY_GATEWAY_NBUCKETS];

typedef atomic_uint_fast64_t deploy_gateway_counter;

struct deploy_gateway_counters {
	deploy_gateway_counter by_code[DEPLOY_GATEWAY_NCODES];
	deploy_gateway_counter bucket[DEPLOY_GATEWAY_NBUCKETS];
	deploy_gateway_counter sum_us;
	deploy_gateway_counter cold_starts, captured, capture_dropped;
};

/* Count one answered request. */
void deploy_gateway_metrics_count(struct deploy_gateway_counters *c, int status,
				  int64_t us);
uint64_t deploy_gateway_metrics_total(const struct deploy_gateway_counters *c,
				      int errors_only);
/* The latency histogram of c as the store keeps it (deploy_endpoint's
 * latency): a new reference. */
json_t *deploy_gateway_metrics_latency(const struct deploy_gateway_counters *c);

/* An endpoint's settings and keys, immutable once published. */
struct deploy_gateway_endpoint_conf {
	int64_t generation;
	struct deploy_endpoint_settings set;
	uint32_t capture_below;		/* capture when rand32 < this */
	int capture_all;
	int key_required;		/* 0: public */
	size_t nkeys;
	unsigned char (*keys)[32];
};

/* One model version loaded for an endpoint. */
struct deploy_gateway_version {
	char *ref, *framework, *model_dir;	/* model_dir: absolute */
	enum deploy_gateway_kind kind;
	struct deploy_xgb_model *xgb;
	struct deploy_pool *pool;
	char *error;		/* why it cannot serve (503), or NULL */
	int shadow;		/* a shadow test's: not production's counts */
	atomic_long inflight;
	struct deploy_gateway_endpoint *ep;
	struct deploy_gateway *gw;
};

struct deploy_gateway_endpoint {
	char *name;
	_Atomic(struct deploy_gateway_endpoint_conf *) conf;
	_Atomic(struct deploy_gateway_version *) active;
	atomic_long inflight;		/* exec/http requests in flight */
	struct deploy_gateway_counters n;
	/* The running shadow test, or NULL (gateway_shadow.c). */
	_Atomic(struct deploy_gateway_shadow *) shadow;
	char *update_error;		/* under gateway's cold_lock */
	int deleted;			/* control thread only */
};

struct deploy_gateway_routes {
	size_t n;
	struct deploy_gateway_endpoint **eps;	/* sorted by name */
};

struct deploy_gateway_retired {
	void *ptr;
	void (*free_fn)(void *ptr);
	atomic_long *inflight;		/* wait for zero too, or NULL */
	int64_t at_us;
};

struct deploy_gateway_cold_start {
	char *endpoint, *model;
	int64_t time_us, duration_us;
};

struct MHD_Daemon;
struct deploy_gateway_conn;
struct deploy_gateway_client;
struct deploy_gateway_shadow;

/* Buckets of the table of connections per client address. */
#define DEPLOY_GATEWAY_CLIENT_BUCKETS 1024

struct deploy_gateway {
	const struct deploy_gateway_conf *conf;
	/* conf's limits, defaults applied */
	unsigned max_connections, max_per_client;
	int64_t header_timeout_us, body_timeout_us;
	uint64_t max_buffered;
	atomic_uint_fast64_t buffered;	/* body bytes reserved */
	/* connections closed by deadline */
	deploy_gateway_counter timed_out;
	/* HTTP threads: one libmicrohttpd daemon each, fed by the
	 * acceptor thread, which admits connections under the caps. */
	struct MHD_Daemon **http;
	int nhttp;
	int listen_fd, wake_fd;		/* wake_fd: eventfd, wakes acceptor */
	pthread_t acceptor;
	atomic_int accept_stop;
	pthread_mutex_t admit_lock;	/* guards what follows */
	unsigned nconns;		/* open connections in all */
	unsigned *http_conns;		/* per HTTP thread */
	struct deploy_gateway_client **clients;	/* per client address */
	pthread_mutex_t conns_lock;	/* guards conns */
	struct deploy_gateway_conn *conns;	/* every open connection */
	struct store *st;
	struct deploy_capture *cap;
	uint64_t capture_failures; /* logged so far */
	_Atomic(struct deploy_gateway_routes *) routes;
	/* Every endpoint ever loaded (deleted ones too): freed at the end. */
	struct deploy_gateway_endpoint **all;
	size_t nall, all_cap;
	struct deploy_gateway_retired *retired;
	size_t nretired, retired_cap;
	pthread_mutex_t cold_lock;	/* guards cold[], update_error */
	struct deploy_gateway_cold_start *cold;
	size_t ncold, cold_cap;
	/* 404/405/400 before routing */
	struct deploy_gateway_counters unrouted;
	atomic_long inflight;		/* requests being handled */
	int64_t max_timeout_us;
};

/* Control thread: reread the endpoint table and apply changes. */
int deploy_gateway_routes_reload(struct deploy_gateway *gw,
				 struct mlops_err *err);
/* Free what is retired and past its grace time (all: everything, at
 * the end, after the HTTP server stopped). */
void deploy_gateway_routes_retire_sweep(struct deploy_gateway *gw, int all);
/* Write counters and cold starts to the store. */
void deploy_gateway_routes_flush_stats(struct deploy_gateway *gw);
/* Free every endpoint and version (after the HTTP server stopped). */
void deploy_gateway_routes_free_all(struct deploy_gateway *gw);
/* Find an endpoint by name (request threads). */
struct deploy_gateway_endpoint *
deploy_gateway_routes_lookup(struct deploy_gateway *gw, const char *name,
			     size_t len);

/* One line to the gateway's log, with the time. */
void deploy_gateway_routes_logf(struct deploy_gateway *gw, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Put ptr aside, to be freed by free_fn once its grace time passed (and
 * *inflight is zero, if given). Control thread. */
void deploy_gateway_routes_retire(struct deploy_gateway *gw, void *ptr,
				  void (*free_fn)(void *),
				  atomic_long *inflight);
/* Load model m of endpoint e for gep (shadow: for its shadow test, whose
 * cold starts are not production's). A version that cannot serve
 * carries its error. warm: start a worker and wait until it answers. */
struct deploy_gateway_version *
deploy_gateway_routes_version_load(struct deploy_gateway *gw,
				   struct deploy_gateway_endpoint *gep,
				   const struct deploy_endpoint *e,
				   const struct deploy_endpoint_model *m,
				   int warm, int shadow);
void deploy_gateway_routes_version_free(void *v);
/* Shadow tests (gateway_shadow.c). Control thread: start and stop the
 * tests the store says run on the endpoints of r (eps, n: the endpoint
 * rows it was built from); write counters and paired records back
 * (inside the caller's transaction); stop and free one at the end. */
void deploy_gateway_shadow_reload(struct deploy_gateway *gw,
				  struct deploy_gateway_routes *r,
				  struct deploy_endpoint **eps, size_t n);
int deploy_gateway_shadow_flush(struct deploy_gateway *gw,
				struct mlops_err *err);
void deploy_gateway_shadow_free(void *sh);
/* {"test", "model", "sample_percent", "error"?} for GET /endpoints. */
json_t *deploy_gateway_shadow_json(struct deploy_gateway_shadow *sh);
/* Request threads: queue a copy of one answered request for the shadow,
 * or count it shed. Never blocks on the shadow. request_id: the
 * request's inference id, which the shadow's capture record and its
 * paired record carry too. capture: production captured the request,
 * so capture the shadow's answer too. */
void deploy_gateway_shadow_mirror(struct deploy_gateway_shadow *sh,
				  const char *request_id, const char *ctype,
				  const char *in, size_t in_len, int status,
				  const char *out,
				  size_t out_len, int64_t latency_us,
				  int64_t time_us, int capture);

void deploy_gateway_metrics_render(struct deploy_gateway *gw, struct buf *out);
void deploy_gateway_metrics_render_endpoints(struct deploy_gateway *gw,
					     struct buf *out);

#endif
