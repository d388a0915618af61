/* dashboard_html.c - the model dashboard as one HTML page that stands
 * alone: inline CSS, SVG charts drawn here (no script, no font, no
 * image, no link to anything), so that it opens offline and prints.
 * Every value that comes from the store (names, messages, feature
 * names read from data files) is escaped, in text and in attributes. */
#include <math.h>
#include <string.h>

#include "core/html.h"
#include "core/jsonio.h"
#include "monitor/monitor.h"

static void esc_key(struct buf *b, const json_t *o, const char *key)
{
	html_escape(b, jsonio_str(o, key));
}

static long long int_of(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* A cell with text, or with dash when the text is NULL. */
static void cell(struct buf *b, const char *text, const char *dash)
{
	buf_addstr(b, "<td>");
	html_escape(b, text ? text : dash);
	buf_addstr(b, "</td>");
}

static void cell_num(struct buf *b, const json_t *v, const char *fmt,
		     const char *dash)
{
	if (json_is_number(v))
		buf_addf(b, fmt, json_number_value(v));
	else
		cell(b, NULL, dash);
}

/* A cell listing the strings of list, or saying empty. */
static void cell_list(struct buf *b, const json_t *list, const char *empty)
{
	const json_t *x;
	size_t i;

	buf_addstr(b, "<td>");
	json_array_foreach(list, i, x) {
		buf_addstr(b, i ? ", " : "");
		html_escape(b, json_string_value(x));
	}
	html_escape(b, json_array_size(list) ? "" : empty);
	buf_addstr(b, "</td>");
}

static void head_row(struct buf *b, const char *const *cols)
{
	buf_addstr(b, "<table><tr>");
	for (; *cols; cols++)
		buf_addf(b, "<th>%s</th>", *cols);
	buf_addstr(b, "</tr>\n");
}

/* A bar per execution, its height the violations, red when the
 * execution found any or failed. */
static void bars(struct buf *b, const json_t *execs)
{
	size_t n = json_array_size(execs), i;
	double max = 1;
	const json_t *e;

	json_array_foreach(execs, i, e)
		max = fmax(max, (double)int_of(e, "violations"));
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%zu\" "
		 "height=\"60\" role=\"img\"><title>violations per "
		 "execution</title>", n * 12 + 2);
	json_array_foreach(execs, i, e) {
		double v = (double)int_of(e, "violations");
		int h = 2 + (int)(50 * v / max);
		int bad = strcmp(jsonio_str(e, "status"), "Completed") != 0;

		buf_addf(b, "<rect x=\"%zu\" y=\"%d\" width=\"10\" "
			 "height=\"%d\" fill=\"%s\"><title>", i * 12 + 1,
			 58 - h, h, bad ? "#c0392b" : "#27ae60");
		esc_key(b, e, "start");
		buf_addstr(b, " ");
		esc_key(b, e, "status");
		buf_addf(b, ", %.0f violations</title></rect>", v);
	}
	buf_addstr(b, "</svg>");
}

/* The chart's geometry: a plot area inside margins for the labels. */
enum { CW = 380, CH = 150, ML = 44, MR = 12, MT = 24, MB = 26 };

/* A line chart of one feature's distance per execution, with its
 * threshold dashed: points above it red. */
static void line_chart(struct buf *b, const json_t *f)
{
	const json_t *pts = json_object_get(f, "points"), *p;
	double th = json_number_value(json_object_get(f, "threshold"));
	size_t n = json_array_size(pts), i;
	double ymax = th, pw = CW - ML - MR, ph = CH - MT - MB;

	json_array_foreach(pts, i, p)
		ymax = fmax(ymax, json_number_value(json_object_get(p,
			"distance")));
	ymax = ymax > 0 ? ymax * 1.15 : 1;
	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		 "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>"
		 "drift of ", CW, CH, CW, CH);
	esc_key(b, f, "name");
	buf_addstr(b, " per execution</title>");
	buf_addf(b, "<text x=\"%d\" y=\"15\" class=\"t\">", ML);
	esc_key(b, f, "name");
	buf_addstr(b, "</text>");
	buf_addf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		 "class=\"ax\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		 "y2=\"%d\" class=\"ax\"/>", ML, MT, ML, CH - MB, ML, CH - MB,
		 CW - MR, CH - MB);
	buf_addf(b, "<text x=\"%d\" y=\"%d\" class=\"l\" text-anchor=\"end\">"
		 "%.3g</text><text x=\"%d\" y=\"%d\" class=\"l\" "
		 "text-anchor=\"end\">0</text>", ML - 4, MT + 4, ymax, ML - 4,
		 CH - MB);
	buf_addf(b, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" "
		 "class=\"th\"><title>threshold %g</title></line>", ML,
		 MT + ph * (1 - th / ymax), CW - MR, MT + ph * (1 - th / ymax),
		 th);
	if (n) {
		buf_addstr(b, "<polyline class=\"ln\" points=\"");
		json_array_foreach(pts, i, p)
			buf_addf(b, "%s%.1f,%.1f", i ? " " : "", ML +
				 (n > 1 ? pw * (double)i / (double)(n - 1) :
				  pw / 2), MT + ph * (1 - json_number_value(
				 json_object_get(p, "distance")) / ymax));
		buf_addstr(b, "\"/>");
	}
	json_array_foreach(pts, i, p) {
		double d = json_number_value(json_object_get(p, "distance"));

		buf_addf(b, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
			 "fill=\"%s\"><title>", ML + (n > 1 ? pw * (double)i /
			 (double)(n - 1) : pw / 2), MT + ph * (1 - d / ymax),
			 d > th ? "#c0392b" : "#2c6fbb");
		esc_key(b, p, "start");
		buf_addf(b, ": %.4g</title></circle>", d);
	}
	if (n) {
		buf_addf(b, "<text x=\"%d\" y=\"%d\" class=\"l\">", ML,
			 CH - 8);
		esc_key(b, json_array_get(pts, 0), "start");
		buf_addf(b, "</text><text x=\"%d\" y=\"%d\" class=\"l\" "
			 "text-anchor=\"end\">", CW - MR, CH - 8);
		esc_key(b, json_array_get(pts, n - 1), "start");
		buf_addstr(b, "</text>");
	}
	buf_addstr(b, "</svg>");
}

static void alerts(struct buf *b, const json_t *d)
{
	const json_t *list = json_object_get(d, "alerts"), *x;
	size_t i;

	buf_addf(b, "<h2 id=\"alerts\">Alerts (%zu)</h2>\n",
		 json_array_size(list));
	if (!json_array_size(list)) {
		buf_addstr(b, "<p>No alerts.</p>\n");
		return;
	}
	buf_addstr(b, "<ul>");
	json_array_foreach(list, i, x) {
		buf_addstr(b, "<li class=\"alert\"><b>");
		esc_key(b, x, "kind");
		buf_addstr(b, "</b> ");
		esc_key(b, x, "subject");
		buf_addstr(b, ": ");
		esc_key(b, x, "message");
		buf_addstr(b, "</li>");
	}
	buf_addstr(b, "</ul>\n");
}

static void groups(struct buf *b, const json_t *d)
{
	static const char *const cols[] = { "model group", "versions",
		"latest", "latest approved", "deployed", NULL };
	const json_t *g, *x;
	size_t i, j;

	buf_addstr(b, "<h2 id=\"groups\">Model groups</h2>\n");
	head_row(b, cols);
	json_array_foreach(json_object_get(d, "groups"), i, g) {
		buf_addstr(b, "<tr>");
		cell(b, jsonio_str(g, "group"), "");
		buf_addf(b, "<td>%lld</td>", int_of(g, "versions"));
		cell_num(b, json_object_get(g, "latest"), "<td>%.0f</td>",
			 "-");
		cell_num(b, json_object_get(g, "approved"), "<td>%.0f</td>",
			 "none");
		buf_addstr(b, "<td>");
		json_array_foreach(json_object_get(g, "deployed"), j, x) {
			buf_addstr(b, j ? ", " : "");
			buf_addf(b, "version %lld on ", int_of(x, "version"));
			esc_key(b, x, "endpoint");
		}
		buf_addstr(b, j ? "</td></tr>\n" : "not deployed</td></tr>\n");
	}
	buf_addstr(b, "</table>\n");
}

static void models(struct buf *b, const json_t *d)
{
	static const char *const cols[] = { "model", "version", "approval",
		"model card", "baseline", "deployed on", NULL };
	const json_t *m;
	size_t i;

	buf_addstr(b, "<h2 id=\"models\">Model versions</h2>\n");
	head_row(b, cols);
	json_array_foreach(json_object_get(d, "models"), i, m) {
		buf_addstr(b, "<tr>");
		cell(b, jsonio_str(m, "group"), "");
		buf_addf(b, "<td>%lld</td>", int_of(m, "version"));
		cell(b, jsonio_str(m, "status"), "");
		cell(b, jsonio_str(m, "card"), "no card");
		cell(b, json_is_true(json_object_get(m, "baseline")) ?
		     "registered" : NULL, "none");
		cell_list(b, json_object_get(m, "endpoints"), "");
		buf_addstr(b, "</tr>\n");
	}
	buf_addstr(b, "</table>\n");
}

static void endpoints(struct buf *b, const json_t *d)
{
	static const char *const cols[] = { "endpoint", "model", "requests",
		"errors", "error rate", "p50 ms", "p99 ms", "schedules",
		"last execution", "violations", NULL };
	const json_t *e;
	size_t i;

	buf_addstr(b, "<h2 id=\"endpoints\">Endpoints</h2>\n"
		   "<p class=\"note\">Requests, errors and latency are the "
		   "counters the last gateway that served the endpoint wrote "
		   "back, since it started.</p>\n");
	head_row(b, cols);
	json_array_foreach(json_object_get(d, "endpoints"), i, e) {
		const json_t *lat = json_object_get(e, "latency_ms");
		const json_t *last = json_object_get(e, "last_execution");

		buf_addstr(b, "<tr>");
		cell(b, jsonio_str(e, "name"), "");
		cell(b, jsonio_str(e, "model"), "none");
		if (json_is_null(json_object_get(e, "counters_updated"))) {
			buf_addstr(b, "<td colspan=\"5\" class=\"note\">not "
				   "available: no gateway has written "
				   "counters for this endpoint</td>");
		} else {
			buf_addf(b, "<td>%lld</td><td>%lld</td><td>%.2f%%"
				 "</td>", int_of(e, "requests"),
				 int_of(e, "errors"), 100 * json_number_value(
				 json_object_get(e, "error_rate")));
			if (json_is_object(lat)) {
				cell_num(b, json_object_get(lat, "p50"),
					 "<td>%.3g</td>", "-");
				cell_num(b, json_object_get(lat, "p99"),
					 "<td>%.3g</td>", "-");
			} else {
				buf_addstr(b, "<td colspan=\"2\" "
					   "class=\"note\">not recorded</td>");
			}
		}
		cell_list(b, json_object_get(e, "schedules"), "none");
		if (json_is_object(last)) {
			buf_addstr(b, "<td>");
			esc_key(b, last, "start");
			buf_addstr(b, " ");
			esc_key(b, last, "status");
			buf_addstr(b, " (");
			esc_key(b, last, "schedule");
			buf_addf(b, ")</td><td>%lld</td>",
				 int_of(last, "violations"));
		} else {
			buf_addstr(b, "<td>none yet</td><td>-</td>");
		}
		buf_addstr(b, "</tr>\n");
	}
	buf_addstr(b, "</table>\n");
}

static void schedules(struct buf *b, const json_t *d)
{
	static const char *const cols[] = { "schedule", "endpoint", "type",
		"baseline", "executions", "last execution",
		"violations per execution", NULL };
	const json_t *s;
	size_t i;

	buf_addstr(b, "<h2 id=\"schedules\">Monitoring schedules</h2>\n");
	head_row(b, cols);
	json_array_foreach(json_object_get(d, "schedules"), i, s) {
		const json_t *last = json_object_get(s, "last");

		buf_addstr(b, "<tr>");
		cell(b, jsonio_str(s, "name"), "");
		cell(b, jsonio_str(s, "endpoint"), "");
		cell(b, jsonio_str(s, "type"), "");
		cell(b, jsonio_str(s, "baseline"), "");
		buf_addf(b, "<td>%lld</td><td>", int_of(s,
							"executions_total"));
		if (json_is_object(last)) {
			esc_key(b, last, "start");
			buf_addstr(b, " ");
			esc_key(b, last, "status");
			buf_addf(b, ", %lld violations", int_of(last,
								"violations"));
		} else {
			buf_addstr(b, "none yet");
		}
		buf_addstr(b, "</td><td>");
		bars(b, json_object_get(s, "executions"));
		buf_addstr(b, "</td></tr>\n");
	}
	buf_addstr(b, "</table>\n");
}

static void drift(struct buf *b, const json_t *d)
{
	const json_t *s, *f;
	size_t i, j;

	buf_addf(b, "<h2 id=\"drift\">Drift per feature</h2>\n<p "
		 "class=\"note\">The distance baseline_drift_check compares "
		 "with its threshold (dashed), per execution of the last "
		 "%lld of each data schedule.</p>\n", int_of(json_object_get(
		 d, "limits"), "history"));
	json_array_foreach(json_object_get(d, "schedules"), i, s) {
		const json_t *dr = json_object_get(s, "drift");
		size_t npts = 0;

		if (!json_is_object(dr))
			continue;
		buf_addstr(b, "<h3>");
		esc_key(b, s, "name");
		buf_addstr(b, " on ");
		esc_key(b, s, "endpoint");
		buf_addstr(b, "</h3>\n");
		if (jsonio_str(dr, "error")) {
			buf_addstr(b, "<p class=\"note\">not available: ");
			esc_key(b, dr, "error");
			buf_addstr(b, "</p>\n");
			continue;
		}
		json_array_foreach(json_object_get(dr, "features"), j, f)
			npts += json_array_size(json_object_get(f, "points"));
		if (!npts) {
			buf_addstr(b, "<p class=\"note\">no execution with "
				   "statistics yet</p>\n");
			continue;
		}
		buf_addstr(b, "<div class=\"charts\">");
		json_array_foreach(json_object_get(dr, "features"), j, f) {
			buf_addstr(b, "<figure>");
			line_chart(b, f);
			buf_addstr(b, "<figcaption>");
			esc_key(b, f, "name");
			buf_addf(b, ": threshold %g</figcaption></figure>",
				 json_number_value(json_object_get(
					 f, "threshold")));
		}
		buf_addstr(b, "</div>\n");
	}
}

/* The ROC curve of a quality schedule's latest execution (roc_of in
 * dashboard.c): true positive rate over false positive rate in a square
 * plot, the chance diagonal dashed. */
static void roc_chart(struct buf *b, const json_t *roc)
{
	enum { S = 220, M = 34 };
	const json_t *xs = json_object_get(roc, "false_positive_rates");
	const json_t *ys = json_object_get(roc, "true_positive_rates");
	double side = S - 2 * M;
	size_t n = json_array_size(xs), i;

	buf_addf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" "
		 "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\"><title>"
		 "ROC curve</title>", S, S, S, S);
	buf_addf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		 "class=\"ax\"/><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
		 "y2=\"%d\" class=\"ax\"/><line x1=\"%d\" y1=\"%d\" "
		 "x2=\"%d\" y2=\"%d\" class=\"th\"/>", M, M, M, S - M, M,
		 S - M, S - M, S - M, M, S - M, S - M, M);
	buf_addf(b, "<text x=\"%d\" y=\"%d\" class=\"l\" "
		 "text-anchor=\"end\">1</text><text x=\"%d\" y=\"%d\" "
		 "class=\"l\">1</text><text x=\"%d\" y=\"%d\" class=\"l\">"
		 "false positive rate</text><text x=\"%d\" y=\"%d\" "
		 "class=\"l\">true positive rate</text>", M - 4, M + 4, S - M - 4,
		 S - M + 14, M + 30, S - M + 14, M, M - 8);
	buf_addstr(b, "<polyline class=\"ln\" points=\"");
	for (i = 0; i < n && i < json_array_size(ys); i++)
		buf_addf(b, "%s%.1f,%.1f", i ? " " : "", M + side *
			 json_number_value(json_array_get(xs, i)), S - M -
			 side * json_number_value(json_array_get(ys, i)));
	buf_addstr(b, "\"/></svg>");
}

static void quality(struct buf *b, const json_t *d)
{
	const json_t *s, *roc;
	size_t i;
	int any = 0;

	buf_addstr(b, "<h2 id=\"quality\">Model quality</h2>\n<p "
		   "class=\"note\">The ROC curve of the latest execution of "
		   "each binary quality schedule, against chance (dashed)."
		   "</p>\n<div class=\"charts\">");
	json_array_foreach(json_object_get(d, "schedules"), i, s) {
		roc = json_object_get(s, "roc");
		if (!json_is_object(roc))
			continue;
		any = 1;
		buf_addstr(b, "<figure>");
		roc_chart(b, roc);
		buf_addstr(b, "<figcaption>");
		esc_key(b, s, "name");
		buf_addstr(b, " on ");
		esc_key(b, s, "endpoint");
		buf_addstr(b, ", ");
		esc_key(b, roc, "start");
		buf_addf(b, ": AUC %.4g</figcaption></figure>",
			 json_number_value(json_object_get(roc, "auc")));
	}
	buf_addstr(b, any ? "</div>\n" : "</div>\n<p>No binary quality "
		   "execution yet.</p>\n");
}

static void shadows(struct buf *b, const json_t *d)
{
	static const char *const cols[] = { "shadow test", "endpoint",
		"production", "shadow", "kind", "status", "pairs",
		"agreement", "verdict", NULL };
	const json_t *t, *r;
	size_t i, j;

	buf_addstr(b, "<h2 id=\"shadow\">Shadow tests</h2>\n");
	if (!json_array_size(json_object_get(d, "shadow_tests"))) {
		buf_addstr(b, "<p>No shadow test.</p>\n");
		return;
	}
	head_row(b, cols);
	json_array_foreach(json_object_get(d, "shadow_tests"), i, t) {
		buf_addstr(b, "<tr>");
		cell(b, jsonio_str(t, "name"), "");
		cell(b, jsonio_str(t, "endpoint"), "");
		cell(b, jsonio_str(t, "production"), "");
		cell(b, jsonio_str(t, "shadow"), "");
		cell(b, jsonio_str(t, "kind"), "");
		cell(b, jsonio_str(t, "status"), "");
		buf_addf(b, "<td>%lld</td>", int_of(t, "pairs"));
		cell_num(b, json_object_get(t, "agreement"), "<td>%.4g</td>",
			 "-");
		buf_addstr(b, "<td>");
		if (!json_is_true(json_object_get(t, "worse")))
			buf_addstr(b, "not worse");
		json_array_foreach(json_object_get(t, "reasons"), j, r) {
			buf_addstr(b, j ? "; " : "worse: ");
			html_escape(b, json_string_value(r));
		}
		buf_addstr(b, "</td></tr>\n");
	}
	buf_addstr(b, "</table>\n");
}

const char monitor_dashboard_html_css[] =
	"table{border-collapse:collapse;margin-bottom:1.5em}"
	"th,td{border:1px solid #ccc;padding:4px 8px;"
	"text-align:left;vertical-align:top}th{background:#eee}"
	".alert{color:#c0392b}.note{color:#666}"
	".charts{display:flex;flex-wrap:wrap;gap:1em}"
	"figure{margin:0}svg text{font:11px sans-serif;"
	"fill:#444}svg text.t{font-weight:bold}"
	".ax{stroke:#888}.th{stroke:#c0392b;"
	"stroke-dasharray:4 3}.ln{fill:none;stroke:#2c6fbb;"
	"stroke-width:1.5}";

void monitor_dashboard_html_sections(struct buf *b, const json_t *d)
{
	const json_t *lim = json_object_get(d, "limits");

	buf_addstr(b, "<h1>Model dashboard</h1>\n<p class=\"note\">"
		   "Generated ");
	esc_key(b, d, "generated");
	buf_addf(b, "; alert limits: error rate %g%%, latency p99 %g ms.</p>"
		 "\n", 100 * json_number_value(json_object_get(lim,
		 "max_error_rate")), json_number_value(json_object_get(lim,
		 "max_p99_ms")));
	alerts(b, d);
	groups(b, d);
	models(b, d);
	endpoints(b, d);
	schedules(b, d);
	drift(b, d);
	quality(b, d);
	shadows(b, d);
}

void monitor_dashboard_html_render(struct buf *b, const json_t *d)
{
	buf_addstr(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
		   "charset=\"utf-8\"><title>Model dashboard</title><style>"
		   "body{font-family:sans-serif;margin:2em;color:#222}");
	buf_addstr(b, monitor_dashboard_html_css);
	buf_addstr(b, "</style></head><body>\n");
	monitor_dashboard_html_sections(b, d);
	buf_addstr(b, "</body></html>\n");
}
