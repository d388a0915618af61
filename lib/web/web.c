/* web.c - from a page's path to its view (see web.h for the paths),
 * and the answer as HTML or JSON. */
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/xalloc.h"
#include "web/internal.h"

#define TYPE_HTML "text/html; charset=utf-8"
#define TYPE_JSON "application/json"
#define TYPE_TEXT "text/plain; charset=utf-8"

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n > k && strcmp(s + n - k, suffix) == 0;
}

/* Split path (its suffix removed) at '/' into at most 3 parts, none
 * empty; the number of parts, or 0 when that fails. */
static int split(char *path, char *part[3])
{
	int n = 0;

	for (char *p = path; n < 3; n++) {
		char *slash = strchr(p, '/');

		part[n] = p;
		if (!slash)
			return *p ? n + 1 : 0;
		*slash = '\0';
		if (!*p)
			return 0;
		p = slash + 1;
	}
	return 0;
}

static int dispatch(struct web_ctx *c, int nparts, char **part,
		    struct mlops_err *err)
{
	static const struct {
		const char *name;
		int (*fn)(struct web_ctx *, struct mlops_err *);
	} tops[] = {
		{ "index", web_views_home }, { "features", web_views_features },
		{ "pipelines", web_views_pipelines },
		{ "registry", web_views_registry },
		{ "endpoints", web_views_endpoints },
		{ "monitoring", web_views_monitoring }
	};

	c->depth = nparts - 1;
	if (nparts == 1) {
		for (size_t i = 0; i < sizeof(tops) / sizeof(*tops); i++)
			if (strcmp(part[0], tops[i].name) == 0)
				return tops[i].fn(c, err);
	} else if (nparts == 2) {
		if (strcmp(part[0], "features") == 0)
			return web_views_feature(c, part[1], err);
		if (strcmp(part[0], "runs") == 0)
			return web_views_run(c, part[1], err);
		if (strcmp(part[0], "registry") == 0)
			return web_views_group(c, part[1], err);
		if (strcmp(part[0], "endpoints") == 0)
			return web_views_endpoint(c, part[1], err);
	} else if (strcmp(part[0], "registry") == 0) {
		return web_views_version(c, part[1], part[2], err);
	}
	return MLOPS_ENOTFOUND;
}

int web_render(struct web_page *out, struct store *st, const char *path,
	       int json, struct mlops_err *err)
{
	struct buf html = BUF_INIT;
	struct web_ctx c = { st, &html, NULL, 0 };
	char *copy, *part[3];
	int n, ret;

	while (*path == '/')
		path++;
	copy = xstrdup(*path ? path : "index.html");
	if (has_suffix(copy, ".log")) {
		copy[strlen(copy) - 4] = '\0';
		n = split(copy, part);
		if (n == 3 && strcmp(part[0], "runs") == 0) {
			ret = web_views_step_log(&html, st, part[1], part[2],
						 err);
			if (ret == 0) {
				out->type = TYPE_TEXT;
				out->body = html;
			} else {
				buf_release(&html);
			}
			free(copy);
			return ret;
		}
		n = 0;
	} else if (has_suffix(copy, ".html") || has_suffix(copy, ".json")) {
		json |= has_suffix(copy, ".json");
		copy[strlen(copy) - 5] = '\0';
		n = split(copy, part);
	} else {
		n = 0;
	}
	ret = n ? dispatch(&c, n, part, err) : MLOPS_ENOTFOUND;
	if (ret == MLOPS_ENOTFOUND && !err->code)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no page '%s'",
				    path);
	if (ret == 0 && json) {
		buf_reset(&html);
		jsonio_append(&html, c.json);
		buf_addch(&html, '\n');
	}
	if (ret == 0) {
		out->type = json ? TYPE_JSON : TYPE_HTML;
		out->body = html;
	} else {
		buf_release(&html);
	}
	json_decref(c.json);
	free(copy);
	return ret;
}
