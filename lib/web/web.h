/* web.h - the public interface of lib/web: `mlops web`, the Studio view
 * of a store as a read-only site. Every page is HTML with no script and
 * no external asset, and also JSON with the content the matching CLI's
 * --json prints. Pages are named by paths that work both served and as
 * files on disk (every link is relative):
 *
 *   index.html                      the store: counts, events, audit, alerts
 *   features.html, features/G.html  feature groups
 *   pipelines.html, runs/R.html     pipeline runs, a run's DAG as SVG
 *   runs/R/STEP.log                 a step's log (text)
 *   registry.html, registry/G.html, registry/G/N.html   model registry
 *   endpoints.html, endpoints/E.html                    endpoints
 *   monitoring.html                 the model dashboard
 *
 * Nothing here changes the store. */
#ifndef MLOPS_WEB_H
#define MLOPS_WEB_H
#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"

/* A page as rendered: body in the content type type (a static string). */
struct web_page {
	const char *type;
	struct buf body;
};
#define WEB_PAGE_INIT { NULL, BUF_INIT }
void web_page_release(struct web_page *p);

/* Render the page at path (as above; "" is index.html), as JSON when
 * json is 1. MLOPS_ENOTFOUND for a path that names no page or a thing
 * the store does not hold; out is then unchanged. */
int web_render(struct web_page *out, struct store *st, const char *path,
	       int json, struct mlops_err *err);

/* Write every page of the store under dir (made if missing) as files:
 * PATH for the HTML, PATH with .json for .html for the JSON. *count
 * gets the number of files written. */
int web_export(struct store *st, const char *dir, size_t *count,
	       struct mlops_err *err);

struct web_server_conf {
	const char *store_dir;	/* the .mlops directory */
	const char *listen;	/* HOST:PORT */
	/* The access key requests must carry (X-Api-Key or Authorization:
	 * Bearer), or NULL: none. Required on a non-loopback address. */
	const char *key;
	FILE *log;		/* where to say what happens, or NULL */
	/* Called once the server answers, with its URL. */
	void (*on_ready)(void *arg, const char *url);
	void *arg;
};

/* Serve the site until SIGTERM or SIGINT. MLOPS_EUSAGE for a
 * non-loopback listen address without a key; MLOPS_ENOTFOUND when the
 * port is in use. */
int web_server_run(const struct web_server_conf *conf, struct mlops_err *err);

#endif
