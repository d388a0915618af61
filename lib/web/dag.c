/* dag.c - a pipeline run's DAG as inline SVG, laid out here: each step
 * goes in the column of its depth (the longest chain of needs before
 * it), in file order down the column; edges are curves from a need's
 * right side to the step's left. Good for the tens of steps pipelines
 * have; no crossing reduction. */
#include <stdlib.h>
#include <string.h>

#include "core/html.h"
#include "core/jsonio.h"
#include "core/xalloc.h"
#include "web/internal.h"

#define COL_GAP 60
#define ROW_H 64
#define BOX_H 46
#define MARGIN 12

static const json_t *run_step(const json_t *run, const char *name)
{
	const json_t *s;
	size_t i;

	json_array_foreach(json_object_get(run, "steps"), i, s)
		if (strcmp(jsonio_str(s, "name"), name) == 0)
			return s;
	return NULL;
}

void web_dag_svg(struct web_ctx *c, const struct pipeline *p,
		 const json_t *run)
{
	size_t n = p->nsteps, maxlen = 12, cols = 1, rows = 1;
	size_t *depth = xcalloc(n ? n : 1, sizeof(*depth));
	size_t *row = xcalloc(n ? n : 1, sizeof(*row));
	size_t *fill = xcalloc(n + 1, sizeof(*fill));
	struct buf *b = c->b;
	int box_w;

	/* p->order lists dependencies first, so each need's depth is
	 * known when its dependents come. */
	for (size_t k = 0; k < n; k++) {
		size_t i = p->order[k];
		const struct pipeline_step *s = &p->steps[i];

		for (size_t j = 0; j < s->nneeds; j++)
			if (depth[s->need_idx[j]] + 1 > depth[i])
				depth[i] = depth[s->need_idx[j]] + 1;
	}
	for (size_t i = 0; i < n; i++) {
		row[i] = fill[depth[i]]++;
		if (depth[i] + 1 > cols)
			cols = depth[i] + 1;
		if (row[i] + 1 > rows)
			rows = row[i] + 1;
		if (strlen(p->steps[i].name) > maxlen)
			maxlen = strlen(p->steps[i].name);
	}
	box_w = (int)maxlen * 7 + 24;
	buf_addf(b, "<svg class=\"dag\" xmlns=\"http://www.w3.org/2000/svg\" "
		 "role=\"img\" width=\"%d\" height=\"%d\"><title>Steps of "
		 "the run</title><defs><marker id=\"arr\" viewBox=\"0 0 8 8\" "
		 "refX=\"8\" refY=\"4\" markerWidth=\"8\" markerHeight=\"8\" "
		 "orient=\"auto\"><path d=\"M0,0L8,4L0,8z\" fill=\"#555\"/>"
		 "</marker></defs>\n", 2 * MARGIN + (int)cols * box_w +
		 ((int)cols - 1) * COL_GAP, 2 * MARGIN + (int)rows * ROW_H);
	for (size_t i = 0; i < n; i++) {
		const struct pipeline_step *s = &p->steps[i];
		int x2 = MARGIN + (int)depth[i] * (box_w + COL_GAP);
		int y2 = MARGIN + (int)row[i] * ROW_H + BOX_H / 2;

		for (size_t j = 0; j < s->nneeds; j++) {
			size_t f = s->need_idx[j];
			int x1 = MARGIN + (int)depth[f] * (box_w + COL_GAP) +
				 box_w;
			int y1 = MARGIN + (int)row[f] * ROW_H + BOX_H / 2;
			int mx = (x1 + x2) / 2;

			buf_addf(b, "<path d=\"M%d,%d C%d,%d %d,%d %d,%d\" "
				 "fill=\"none\" stroke=\"#555\" marker-end="
				 "\"url(#arr)\"/>\n", x1, y1, mx, y1, mx, y2,
				 x2, y2);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct pipeline_step *s = &p->steps[i];
		const json_t *rs = run_step(run, s->name);
		const char *status = rs ? jsonio_str(rs, "status") : NULL;
		int hit = rs && json_is_true(json_object_get(rs, "cacheHit"));
		int x = MARGIN + (int)depth[i] * (box_w + COL_GAP);
		int y = MARGIN + (int)row[i] * ROW_H;
		struct buf href = BUF_INIT;

		buf_addf(&href, "runs/%s/%s.log", jsonio_str(run, "id"),
			 s->name);
		buf_addstr(b, "<a href=\"");
		for (int d = 0; d < c->depth; d++)
			buf_addstr(b, "../");
		html_url(b, href.s);
		buf_addstr(b, "\"><title>");
		html_escape(b, s->name);
		buf_addstr(b, ": ");
		html_escape(b, s->run);
		if (s->when) {
			buf_addstr(b, " (when ");
			html_escape(b, s->when);
			buf_addstr(b, ")");
		}
		buf_addf(b, "</title><rect x=\"%d\" y=\"%d\" width=\"%d\" "
			 "height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"#333\"/>"
			 "<text x=\"%d\" y=\"%d\">", x, y, box_w, BOX_H,
			 pipeline_runs_status_color(status, hit), x + 8,
			 y + 18);
		html_escape(b, s->name);
		buf_addf(b, "</text><text x=\"%d\" y=\"%d\">", x + 8, y + 36);
		html_escape(b, status ? status : "not run");
		if (hit)
			buf_addstr(b, ", cached");
		if (rs && json_integer_value(json_object_get(rs,
							     "attempts")) > 1)
			buf_addf(b, ", %" JSON_INTEGER_FORMAT " attempts",
				 json_integer_value(json_object_get(rs,
				 "attempts")));
		buf_addstr(b, "</text></a>\n");
		buf_release(&href);
	}
	buf_addstr(b, "</svg>\n");
	free(depth);
	free(row);
	free(fill);
}
