/* gateway.h - the HTTP gateway that serves every endpoint of a store
 * (`mlops-deploy serve`): POST /endpoints/NAME/invocations (or
 * /invocations with X-Mlops-Endpoint), GET /ping, GET /endpoints (JSON),
 * GET /metrics (Prometheus text).
 *
 * libmicrohttpd runs a pool of epoll threads, one per core by default.
 * xgboost endpoints are predicted on those threads, with no lock and no
 * allocation per request once warm; exec and http endpoints suspend the
 * connection and hand the request to their worker pool, so a slow model
 * never holds a gateway thread. The gateway rereads the endpoint table
 * when the store changes (or on SIGHUP) and switches models blue/green:
 * a new version gets traffic once it answers, the old one drains. */
#ifndef MLOPS_DEPLOY_GATEWAY_H
#define MLOPS_DEPLOY_GATEWAY_H
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

#define GATEWAY_DEFAULT_MAX_CONNECTIONS 10000
#define GATEWAY_DEFAULT_MAX_PER_CLIENT 256
#define GATEWAY_DEFAULT_HEADER_TIMEOUT_US (30 * INT64_C(1000000))
#define GATEWAY_DEFAULT_BODY_TIMEOUT_US (60 * INT64_C(1000000))
#define GATEWAY_DEFAULT_MAX_BUFFERED ((uint64_t)256 << 20)

struct deploy_gateway_conf {
	const char *store_dir;	/* the .mlops directory */
	const char *listen;	/* "127.0.0.1:8080"; port 0 picks one */
	int threads;		/* 0: one per core */
	/* Limits against clients that hold connections or memory (0 takes
	 * the GATEWAY_DEFAULT_* value). A connection must send a request's
	 * headers within header_timeout_us of opening or of its previous
	 * answer, and the body within body_timeout_us of the headers,
	 * whatever trickles in, else it is closed. Bodies buffered across
	 * all connections stay under max_buffered bytes: past it, 503. */
	unsigned max_connections, max_per_client;
	int64_t header_timeout_us, body_timeout_us;
	uint64_t max_buffered;
	FILE *log;		/* where to log, one line per event */
	/* Called once listening, with the base URL ("http://host:port"). */
	void (*on_ready)(void *arg, const char *url);
	void *arg;
};

/* Serve until SIGTERM or SIGINT, then stop accepting, let in-flight
 * requests finish (up to the longest endpoint timeout) and return 0.
 * Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call it
 * before any other thread exists) and ignores SIGPIPE. A port in use or
 * a store that cannot be opened is an error before on_ready. */
int deploy_gateway_run(const struct deploy_gateway_conf *conf, struct mlops_err *err);

#endif
