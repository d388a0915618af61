/* jsonio.c - jansson loading with positioned errors, and JSON output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/bounds.h"
#include "core/jsonio.h"
#include "core/store.h"
#include "core/xalloc.h"

#define JSONIO_DEFAULT_MAX MLOPS_MAX_JSON

static const char *parse_why(const json_error_t *jerr)
{
	switch (json_error_code(jerr)) {
	case json_error_null_character:
		return "a NUL character (\\u0000) in a string";
	case json_error_null_byte_in_key:
		return "a NUL character (\\u0000) in a key";
	default:
		return jerr->text;
	}
}

int jsonio_parse(json_t **out, const char *data, size_t len,
		 const char *name, struct mlops_err *err)
{
	return jsonio_parse_at(out, data, len, name, 1, err);
}

int jsonio_parse_at(json_t **out, const char *data, size_t len,
		    const char *name, int first_line, struct mlops_err *err)
{
	json_error_t jerr;
	/* Without JSON_ALLOW_NUL, jansson refuses "\u0000" in strings: a
	 * C string would end there ("model.json\u0000x" read as
	 * "model.json"), so a name or value could say one thing and be
	 * checked as another. */
	json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!v)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%d:%d: %s", name,
				     first_line - 1 +
				     (jerr.line < 1 ? 1 : jerr.line),
				     jerr.column < 1 ? 1 : jerr.column,
				     parse_why(&jerr));
	*out = v;
	return 0;
}

int jsonio_load_file(json_t **out, const char *path, size_t max,
		     struct mlops_err *err)
{
	struct buf content = BUF_INIT;
	const char *name = strcmp(path, "-") == 0 ? "<stdin>" : path;
	int ret;

	if (!max)
		max = JSONIO_DEFAULT_MAX;
	if (strcmp(path, "-") == 0)
		ret = buf_read_fd(&content, 0, max, name, err);
	else
		ret = buf_read_file(&content, path, max, err);
	if (ret == 0)
		ret = jsonio_parse(out, content.s, content.len, name, err);
	buf_release(&content);
	return ret;
}

void jsonio_init(void)
{
	json_set_alloc_funcs(xmalloc, free);
}

static int dump_cb(const char *data, size_t size, void *arg)
{
	buf_add(arg, data, size);
	return 0;
}

void jsonio_append(struct buf *out, const json_t *v)
{
	if (json_dump_callback(v, dump_cb, out, JSON_COMPACT |
			       JSON_SORT_KEYS | JSON_ENCODE_ANY |
			       JSON_REAL_PRECISION(17)) != 0)
		xalloc_die("cannot write JSON");
}

/* The shortest %g form of d that strtod reads back as d, in positional
 * notation while the integer part has at most 17 digits (60.0, not
 * 6e+01); always with a '.' or an exponent, so that it reads back as a
 * real, as jansson writes them. */
static void format_real(struct buf *out, double d)
{
	char s[40];
	int p, whole = 1;

	for (p = 1; p < 17; p++) {
		snprintf(s, sizeof(s), "%.*g", p, d);
		if (strtod(s, NULL) == d)
			break;
	}
	for (double a = d < 0 ? -d : d; a >= 10 && whole < 17; a /= 10)
		whole++;
	if (whole > p && (d < 0 ? -d : d) < 1e17)
		p = whole;
	snprintf(s, sizeof(s), "%.*g", p, d);
	buf_add(out, s, strlen(s));
	if (!strpbrk(s, ".eEn"))	/* "n": inf and nan have no dot */
		buf_add(out, ".0", 2);
}

static void format_string(struct buf *out, const char *s, size_t len)
{
	json_t *str = json_stringn_nocheck(s, len);

	json_dump_callback(str, dump_cb, out, JSON_ENCODE_ANY);
	json_decref(str);
}

void jsonio_format(struct buf *out, const json_t *v)
{
	const char *key;
	json_t *x;
	size_t i;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		buf_add(out, "{", 1);
		i = 0;
		json_object_foreach((json_t *)v, key, x) {
			if (i++)
				buf_add(out, ",", 1);
			format_string(out, key, strlen(key));
			buf_add(out, ":", 1);
			jsonio_format(out, x);
		}
		buf_add(out, "}", 1);
		break;
	case JSON_ARRAY:
		buf_add(out, "[", 1);
		json_array_foreach(v, i, x) {
			if (i)
				buf_add(out, ",", 1);
			jsonio_format(out, x);
		}
		buf_add(out, "]", 1);
		break;
	case JSON_STRING:
		format_string(out, json_string_value(v), json_string_length(v));
		break;
	case JSON_REAL:
		format_real(out, json_real_value(v));
		break;
	default:	/* integers, true, false, null: one way to write each */
		json_dump_callback(v, dump_cb, out, JSON_ENCODE_ANY);
		break;
	}
}

int jsonio_print(FILE *f, const json_t *v)
{
	struct buf line = BUF_INIT;
	int ret = 0;

	jsonio_format(&line, v);
	buf_add(&line, "\n", 1);
	if (fwrite(line.s, 1, line.len, f) != line.len)
		ret = -1;
	buf_release(&line);
	return ret;
}

const char *jsonio_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

int jsonio_rows(json_t **out, sqlite3_stmt *q, json_t *(*row)(sqlite3_stmt *q),
		const char *what, struct mlops_err *err)
{
	json_t *all = json_array();
	int ret;

	while ((ret = store_step(q, what, err)) == 1)
		json_array_append_new(all, row(q));
	sqlite3_finalize(q);
	if (ret < 0) {
		json_decref(all);
		return ret;
	}
	*out = all;
	return 0;
}
