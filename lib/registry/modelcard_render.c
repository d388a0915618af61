/* registry_modelcard_render.c - a model card revision as a document for people:
 * Markdown, or one self-contained HTML page (inline style, no external
 * assets, everything escaped). Both walk the content the same way:
 * sections become headings, scalar fields a list of "Label: value",
 * arrays of flat objects (metrics, hyper-parameters) tables, and other
 * nested objects sub-headings. */
#include <ctype.h>
#include <string.h>

#include "core/html.h"
#include "core/jsonio.h"
#include "registry/registry.h"
#include "core/xalloc.h"

struct emitter {
	struct buf *out;
	int html;
	int in_list;
};

static void escape(struct emitter *e, const char *s)
{
	if (e->html) {
		html_escape(e->out, s);
		return;
	}
	for (; *s; s++) {
		if (*s == '|' || *s == '*' || *s == '_' || *s == '`' ||
		    *s == '<' || *s == '[')
			buf_addf(e->out, "\\%c", *s);
		else if (*s == '\n')
			buf_addch(e->out, ' ');
		else
			buf_addch(e->out, *s);
	}
}

/* "training_job_details" -> "Training job details". */
static void label(struct emitter *e, const char *key)
{
	char *text = xstrdup(key);

	for (char *p = text; *p; p++)
		if (*p == '_')
			*p = ' ';
	text[0] = (char)toupper((unsigned char)text[0]);
	escape(e, text);
	free(text);
}

static void end_list(struct emitter *e)
{
	if (e->in_list)
		buf_addstr(e->out, e->html ? "</ul>\n" : "\n");
	e->in_list = 0;
}

static void heading(struct emitter *e, int level, const char *key)
{
	end_list(e);
	if (level > 6)
		level = 6;
	if (e->html)
		buf_addf(e->out, "<h%d>", level);
	else
		buf_addf(e->out, "%.*s ", level, "######");
	label(e, key);
	buf_addstr(e->out, e->html ? "" : "\n\n");
	if (e->html)
		buf_addf(e->out, "</h%d>\n", level);
}

static void scalar_text(struct emitter *e, const json_t *v)
{
	char *text;

	if (json_is_string(v)) {
		escape(e, json_string_value(v));
		return;
	}
	text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
			  JSON_REAL_PRECISION(15));
	escape(e, text ? text : "");
	free(text);
}

static int is_scalar(const json_t *v)
{
	return !json_is_object(v) && !json_is_array(v);
}

static int all_scalars(const json_t *arr)
{
	const json_t *v;
	size_t i;

	json_array_foreach(arr, i, v)
		if (!is_scalar(v))
			return 0;
	return 1;
}

/* An array of objects whose values are all scalars: a table. */
static int flat_objects(const json_t *arr)
{
	const json_t *item, *v;
	const char *key;
	size_t i;

	if (!json_array_size(arr))
		return 0;
	json_array_foreach(arr, i, item) {
		if (!json_is_object(item))
			return 0;
		json_object_foreach((json_t *)item, key, v)
			if (!is_scalar(v))
				return 0;
	}
	return 1;
}

static void field(struct emitter *e, const char *key, const json_t *v)
{
	const json_t *item;
	size_t i;

	if (json_is_array(v) && !json_array_size(v))
		return;
	if (!e->in_list)
		buf_addstr(e->out, e->html ? "<ul>\n" : "");
	e->in_list = 1;
	buf_addstr(e->out, e->html ? "<li><strong>" : "- **");
	label(e, key);
	buf_addstr(e->out, e->html ? ":</strong> " : ":** ");
	if (json_is_array(v))
		json_array_foreach(v, i, item) {
			if (i)
				buf_addstr(e->out, ", ");
			scalar_text(e, item);
		}
	else
		scalar_text(e, v);
	buf_addstr(e->out, e->html ? "</li>\n" : "\n");
}

static void table(struct emitter *e, const json_t *arr)
{
	json_t *columns = json_array(), *col;
	const json_t *item, *v;
	const char *key;
	size_t i, j;

	end_list(e);
	json_array_foreach(arr, i, item)
		json_object_foreach((json_t *)item, key, v) {
			int seen = 0;

			json_array_foreach(columns, j, col)
				seen |= strcmp(json_string_value(col),
					       key) == 0;
			if (!seen)
				json_array_append_new(columns,
						      json_string(key));
		}
	buf_addstr(e->out, e->html ? "<table>\n<tr>" : "|");
	json_array_foreach(columns, j, col) {
		buf_addstr(e->out, e->html ? "<th>" : " ");
		label(e, json_string_value(col));
		buf_addstr(e->out, e->html ? "</th>" : " |");
	}
	buf_addstr(e->out, e->html ? "</tr>\n" : "\n|");
	json_array_foreach(columns, j, col)
		if (!e->html)
			buf_addstr(e->out, " --- |");
	if (!e->html)
		buf_addch(e->out, '\n');
	json_array_foreach(arr, i, item) {
		buf_addstr(e->out, e->html ? "<tr>" : "|");
		json_array_foreach(columns, j, col) {
			v = json_object_get(item, json_string_value(col));
			buf_addstr(e->out, e->html ? "<td>" : " ");
			if (v)
				scalar_text(e, v);
			buf_addstr(e->out, e->html ? "</td>" : " |");
		}
		buf_addstr(e->out, e->html ? "</tr>\n" : "\n");
	}
	buf_addstr(e->out, e->html ? "</table>\n" : "\n");
	json_decref(columns);
}

static void object(struct emitter *e, const json_t *o, int level);

static void value(struct emitter *e, const char *key, const json_t *v,
		  int level)
{
	const json_t *item;
	size_t i;

	if (is_scalar(v) || (json_is_array(v) && all_scalars(v))) {
		field(e, key, v);
	} else if (json_is_object(v)) {
		heading(e, level, key);
		object(e, v, level + 1);
	} else if (flat_objects(v)) {
		heading(e, level, key);
		table(e, v);
	} else {
		json_array_foreach(v, i, item) {
			const char *name = jsonio_str(item, "name");

			heading(e, level, name ? name : key);
			if (json_is_object(item))
				object(e, item, level + 1);
			else
				value(e, key, item, level + 1);
		}
	}
}

static void object(struct emitter *e, const json_t *o, int level)
{
	const char *key;
	json_t *v;

	/* Plain fields first, so that they read as the section's summary. */
	json_object_foreach((json_t *)o, key, v)
		if (is_scalar(v) || (json_is_array(v) && all_scalars(v)))
			value(e, key, v, level);
	json_object_foreach((json_t *)o, key, v)
		if (!(is_scalar(v) || (json_is_array(v) && all_scalars(v))))
			value(e, key, v, level);
	end_list(e);
}

static const char html_head[] =
	"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	"<meta charset=\"utf-8\">\n"
	"<title>";
static const char html_style[] =
	"</title>\n<style>\n"
	"body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;"
	"padding:0 1em;color:#222;line-height:1.4}\n"
	"h1{border-bottom:2px solid #444}h2{border-bottom:1px solid #aaa;"
	"margin-top:1.5em}\n"
	"table{border-collapse:collapse;margin:.5em 0}"
	"td,th{border:1px solid #bbb;padding:.25em .6em;text-align:left}\n"
	"th{background:#eee}.meta{color:#555}\n"
	"</style>\n</head>\n<body>\n";

/* The sections in the schema's order, whatever order the JSON has. */
static const char *const sections[] = {
	"model_overview", "intended_uses", "business_details",
	"training_details", "evaluation_details", "additional_information",
	NULL
};

int registry_modelcard_render(struct buf *out, const json_t *revision,
		     const char *title, const char *format,
		     struct mlops_err *err)
{
	struct emitter e = { out, 0, 0 };
	const json_t *content = json_object_get(revision, "content");
	int page = strcmp(format, "html") == 0;
	char *meta;

	if (page || strcmp(format, "fragment") == 0)
		e.html = 1;
	else if (strcmp(format, "md") != 0)
		return mlops_err_set(err, MLOPS_EUSAGE, "unknown format '%s' "
				     "(md, html or fragment)", format);
	meta = xasprintf("Status: %s. Revision %" JSON_INTEGER_FORMAT
			 ", %s by %s.", jsonio_str(revision, "status"),
			 json_integer_value(json_object_get(revision,
							    "revision")),
			 jsonio_str(revision, "time"),
			 jsonio_str(revision, "user"));
	if (page) {
		buf_addstr(out, html_head);
		escape(&e, title);
		buf_addstr(out, html_style);
	}
	if (e.html) {
		buf_addstr(out, "<h1>Model card: ");
		escape(&e, title);
		buf_addstr(out, "</h1>\n<p class=\"meta\">");
		escape(&e, meta);
		buf_addstr(out, "</p>\n");
	} else {
		buf_addstr(out, "# Model card: ");
		escape(&e, title);
		buf_addstr(out, "\n\n");
		escape(&e, meta);
		buf_addstr(out, "\n\n");
	}
	for (const char *const *s = sections; *s; s++) {
		const json_t *v = json_object_get(content, *s);

		if (!v)
			continue;
		heading(&e, 2, *s);
		if (json_is_object(v))
			object(&e, v, 3);
		else
			value(&e, *s, v, 3);
		end_list(&e);
	}
	if (page)
		buf_addstr(out, "</body>\n</html>\n");
	free(meta);
	return 0;
}
