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
#ifndef MLOPS_GATEWAY_H
#define MLOPS_GATEWAY_H
#include <stdio.h>

#include "err.h"

struct gateway_conf {
	const char *store_dir;	/* the .mlops directory */
	const char *listen;	/* "127.0.0.1:8080"; port 0 picks one */
	int threads;		/* 0: one per core */
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
int gateway_run(const struct gateway_conf *conf, struct mlops_err *err);

#endif
