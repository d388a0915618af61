/* page.c - the frame every page of the site shares: one inline style
 * sheet, a navigation bar of relative links, and table helpers that
 * escape every value. A Content-Security-Policy in the page itself
 * forbids scripts and outside assets, served or opened from disk. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/html.h"
#include "core/jsonio.h"
#include "monitor/monitor.h"
#include "web/internal.h"

static const char *const nav[][2] = {
	{ "index.html", "Home" }, { "features.html", "Features" },
	{ "pipelines.html", "Pipelines" }, { "registry.html", "Registry" },
	{ "endpoints.html", "Endpoints" }, { "monitoring.html", "Monitoring" }
};

void web_page_release(struct web_page *p)
{
	buf_release(&p->body);
	p->type = NULL;
}

void web_page_begin(struct web_ctx *c, const char *title,
		    const char *section)
{
	struct buf *b = c->b;

	buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		   "charset=\"utf-8\"><meta http-equiv=\"Content-Security-"
		   "Policy\" content=\"default-src 'none'; style-src "
		   "'unsafe-inline'\"><title>");
	html_escape(b, title);
	buf_addstr(b, " - mlops</title><style>"
		   "body{font-family:sans-serif;margin:0;color:#222}"
		   "main{margin:1em 2em}nav{background:#1f3b57;padding:.6em "
		   "2em}nav a{color:#fff;margin-right:1.2em;"
		   "text-decoration:none}nav a.on{font-weight:bold;"
		   "text-decoration:underline}nav span{color:#9bc;"
		   "margin-right:1.5em}pre{background:#f6f6f6;padding:.6em;"
		   "overflow-x:auto}.dag text{font:12px sans-serif}"
		   ".dag a text{fill:#123}");
	buf_addstr(b, monitor_dashboard_html_css);
	buf_addstr(b, "</style></head><body>\n<nav><span>mlops ");
	html_escape(b, c->st->env);
	buf_addstr(b, "</span>");
	for (size_t i = 0; i < sizeof(nav) / sizeof(*nav); i++) {
		buf_addstr(b, "<a");
		if (section && strcmp(section, nav[i][1]) == 0)
			buf_addstr(b, " class=\"on\"");
		buf_addstr(b, " href=\"");
		for (int d = 0; d < c->depth; d++)
			buf_addstr(b, "../");
		buf_addf(b, "%s\">%s</a>", nav[i][0], nav[i][1]);
	}
	buf_addstr(b, "</nav>\n<main>\n");
}

void web_page_end(struct web_ctx *c)
{
	buf_addstr(c->b, "</main></body></html>\n");
}

void web_page_link(struct web_ctx *c, const char *path, const char *text)
{
	buf_addstr(c->b, "<a href=\"");
	for (int d = 0; d < c->depth; d++)
		buf_addstr(c->b, "../");
	html_url(c->b, path);
	buf_addstr(c->b, "\">");
	html_escape(c->b, text);
	buf_addstr(c->b, "</a>");
}

void web_page_linkf(struct web_ctx *c, const char *text, const char *fmt,
		    ...)
{
	struct buf path = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&path, fmt, ap);
	va_end(ap);
	web_page_link(c, path.s, text);
	buf_release(&path);
}

void web_page_table(struct web_ctx *c, const char *const *cols)
{
	buf_addstr(c->b, "<table><tr>");
	for (; *cols; cols++) {
		buf_addstr(c->b, "<th>");
		html_escape(c->b, *cols);
		buf_addstr(c->b, "</th>");
	}
	buf_addstr(c->b, "</tr>\n");
}

void web_page_cell(struct web_ctx *c, const char *text)
{
	buf_addstr(c->b, "<td>");
	html_escape(c->b, text ? text : "-");
	buf_addstr(c->b, "</td>");
}

void web_page_cell_json(struct web_ctx *c, const json_t *v)
{
	struct buf t = BUF_INIT;

	if (json_is_string(v)) {
		web_page_cell(c, json_string_value(v));
		return;
	}
	if (json_is_integer(v))
		buf_addf(&t, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		buf_addf(&t, "%.6g", json_real_value(v));
	else if (v && !json_is_null(v))
		jsonio_append(&t, v);
	web_page_cell(c, t.len ? t.s : NULL);
	buf_release(&t);
}

void web_page_pre_json(struct web_ctx *c, const json_t *v)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY |
				JSON_SORT_KEYS);

	buf_addstr(c->b, "<pre>");
	html_escape(c->b, text ? text : "null");
	buf_addstr(c->b, "</pre>\n");
	free(text);
}
