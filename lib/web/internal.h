/* internal.h - private to lib/web: the page frame and the helpers the
 * views share. Not for use outside lib/web. */
#ifndef MLOPS_WEB_INTERNAL_H
#define MLOPS_WEB_INTERNAL_H
#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"
#include "pipeline/pipeline.h"
#include "web/web.h"

/* What a view renders into: the HTML body (b) and the JSON (json, set
 * by the view, owned by the context), and the depth of the page's path
 * (the number of '/' in it) for relative links. On failure a view may
 * leave a partial page in b and JSON in json: the caller drops both. */
struct web_ctx {
	struct store *st;
	struct buf *b;
	json_t *json;
	int depth;
};

/* page.c: the frame of every page and the pieces of its tables. */
/* The head, style and navigation bar; section is the nav entry lit. */
void web_page_begin(struct web_ctx *c, const char *title,
		    const char *section);
void web_page_end(struct web_ctx *c);
/* An <a href> to the site path (a link relative to c's page; the path's
 * segments are URL-encoded) with text escaped. */
void web_page_link(struct web_ctx *c, const char *path, const char *text);
/* The same with path given as printf format. */
void web_page_linkf(struct web_ctx *c, const char *text, const char *fmt,
		    ...) __attribute__((format(printf, 3, 4)));
/* <table><tr><th>... for the NULL-terminated cols. */
void web_page_table(struct web_ctx *c, const char *const *cols);
/* One <td> with the text escaped ("-" for NULL). */
void web_page_cell(struct web_ctx *c, const char *text);
/* One <td> with v's value: a string, a number or JSON text. */
void web_page_cell_json(struct web_ctx *c, const json_t *v);
/* A <pre> block of v as indented JSON, escaped. */
void web_page_pre_json(struct web_ctx *c, const json_t *v);

/* views.c: one function per page. The path's parts are given. */
int web_views_home(struct web_ctx *c, struct mlops_err *err);
int web_views_features(struct web_ctx *c, struct mlops_err *err);
int web_views_feature(struct web_ctx *c, const char *name,
		      struct mlops_err *err);
int web_views_pipelines(struct web_ctx *c, struct mlops_err *err);
int web_views_run(struct web_ctx *c, const char *id, struct mlops_err *err);
int web_views_registry(struct web_ctx *c, struct mlops_err *err);
int web_views_group(struct web_ctx *c, const char *group,
		    struct mlops_err *err);
int web_views_version(struct web_ctx *c, const char *group, const char *n,
		      struct mlops_err *err);
int web_views_endpoints(struct web_ctx *c, struct mlops_err *err);
int web_views_endpoint(struct web_ctx *c, const char *name,
		       struct mlops_err *err);
int web_views_monitoring(struct web_ctx *c, struct mlops_err *err);
/* A step's log, as text: MLOPS_ENOTFOUND unless run id has that step. */
int web_views_step_log(struct buf *out, struct store *st, const char *id,
		       const char *step, struct mlops_err *err);

/* dag.c: a run's DAG as inline SVG, steps laid out in columns by their
 * depth (longest chain of needs before them), each box colored by its
 * status in run and linking to its log. */
void web_dag_svg(struct web_ctx *c, const struct pipeline *p,
		 const json_t *run);

#endif
