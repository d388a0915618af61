/* export.c - every page of the site as files, for a CI artifact or an
 * air-gapped share: the same paths as served, so that the relative
 * links open from disk; beside each PAGE.html its PAGE.json. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "feature/feature.h"
#include "registry/registry.h"
#include "web/internal.h"

struct exporter {
	struct store *st;
	const char *dir;
	size_t count;
	struct mlops_err *err;
};

static int write_file(struct exporter *x, const char *path,
		      const struct buf *body)
{
	char *file = fs_path_join(x->dir, path);
	char *dir = fs_path_dirname(file);
	int ret;

	ret = fs_mkdir_p(dir, x->err);
	if (ret == 0)
		ret = fs_write_file_atomic(file, body->s, body->len, x->err);
	/* Pages to share, not private like a temporary file. */
	if (ret == 0)
		chmod(file, 0644);
	if (ret == 0)
		x->count++;
	free(file);
	free(dir);
	return ret;
}

/* PATH.html and PATH.json for the page PATH.html. */
static int export_page(struct exporter *x, const char *path)
{
	struct web_page page = WEB_PAGE_INIT;
	int ret;

	for (int json = 0; json < 2; json++) {
		char *name = xstrdup(path);

		if (json)
			memcpy(name + strlen(name) - 5, ".json", 5);
		ret = web_render(&page, x->st, path, json, x->err);
		if (ret == 0)
			ret = write_file(x, name, &page.body);
		web_page_release(&page);
		free(name);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int export_pagef(struct exporter *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int export_pagef(struct exporter *x, const char *fmt, ...)
{
	struct buf path = BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	buf_vaddf(&path, fmt, ap);
	va_end(ap);
	ret = export_page(x, path.s);
	buf_release(&path);
	return ret;
}

static int export_group(const struct feature_group *g, void *arg)
{
	return export_pagef(arg, "features/%s.html", g->name);
}

static int export_runs(struct exporter *x)
{
	const json_t *r, *s;
	json_t *runs;
	size_t i, j;
	int ret;

	if ((ret = pipeline_runs_list(x->st, &runs, x->err)) < 0)
		return ret;
	json_array_foreach(runs, i, r) {
		const char *id = jsonio_str(r, "id");
		json_t *run;

		if ((ret = export_pagef(x, "runs/%s.html", id)) < 0 ||
		    (ret = pipeline_runs_get(x->st, id, &run, x->err)) < 0)
			break;
		json_array_foreach(json_object_get(run, "steps"), j, s) {
			struct buf log = BUF_INIT, path = BUF_INIT;
			struct mlops_err lerr = MLOPS_ERR_INIT;

			buf_addf(&path, "runs/%s/%s.log", id,
				 jsonio_str(s, "name"));
			/* A step that never ran has no log to link to. */
			if (web_views_step_log(&log, x->st, id, jsonio_str(s,
					       "name"), &lerr) == 0)
				ret = write_file(x, path.s, &log);
			buf_release(&log);
			buf_release(&path);
			if (ret < 0)
				break;
		}
		json_decref(run);
		if (ret < 0)
			break;
	}
	json_decref(runs);
	return ret;
}

static int export_registry(struct exporter *x)
{
	struct registry_group *gs = NULL;
	size_t n = 0;
	int ret;

	if ((ret = registry_group_list(x->st, &gs, &n, x->err)) < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++) {
		struct registry_version **mvs = NULL;
		size_t nv = 0;

		ret = export_pagef(x, "registry/%s.html", gs[i].name);
		if (ret == 0)
			ret = registry_version_list(x->st, gs[i].name, NULL,
						    &mvs, &nv, x->err);
		for (size_t k = 0; k < nv && ret == 0; k++)
			ret = export_pagef(x, "registry/%s/%" PRId64 ".html",
					   gs[i].name, mvs[k]->version);
		registry_version_list_free(mvs, nv);
	}
	registry_group_list_free(gs, n);
	return ret;
}

static int export_endpoints(struct exporter *x)
{
	struct deploy_endpoint **eps = NULL;
	size_t n = 0;
	int ret;

	if ((ret = deploy_endpoint_list(x->st, &eps, &n, x->err)) < 0)
		return ret;
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = export_pagef(x, "endpoints/%s.html", eps[i]->name);
	deploy_endpoint_list_free(eps, n);
	return ret;
}

int web_export(struct store *st, const char *dir, size_t *count,
	       struct mlops_err *err)
{
	static const char *const tops[] = { "index.html", "features.html",
		"pipelines.html", "registry.html", "endpoints.html",
		"monitoring.html" };
	struct exporter x = { st, dir, 0, err };
	int ret;

	if ((ret = fs_mkdir_p(dir, err)) < 0)
		return ret;
	for (size_t i = 0; i < sizeof(tops) / sizeof(*tops); i++)
		if ((ret = export_page(&x, tops[i])) < 0)
			return ret;
	if ((ret = feature_each(st, export_group, &x, err)) < 0 ||
	    (ret = export_runs(&x)) < 0 ||
	    (ret = export_registry(&x)) < 0 ||
	    (ret = export_endpoints(&x)) < 0)
		return ret;
	*count = x.count;
	return 0;
}
