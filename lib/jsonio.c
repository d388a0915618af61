/* jsonio.c - jansson loading with positioned errors, and JSON output. */
#include <string.h>

#include "bounds.h"
#include "jsonio.h"

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
	json_error_t jerr;
	/* Without JSON_ALLOW_NUL, jansson refuses "\u0000" in strings: a
	 * C string would end there ("model.json\u0000x" read as
	 * "model.json"), so a name or value could say one thing and be
	 * checked as another. */
	json_t *v = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);

	if (!v)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%d:%d: %s", name,
				     jerr.line < 1 ? 1 : jerr.line,
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

static int dump_cb(const char *data, size_t size, void *arg)
{
	buf_add(arg, data, size);
	return 0;
}

void jsonio_append(struct buf *out, const json_t *v)
{
	json_dump_callback(v, dump_cb, out, JSON_COMPACT | JSON_SORT_KEYS |
			   JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
}

int jsonio_print(FILE *f, const json_t *v, int pretty)
{
	size_t flags = JSON_ENCODE_ANY | JSON_REAL_PRECISION(17) |
		(pretty ? JSON_INDENT(2) | JSON_SORT_KEYS : JSON_COMPACT);

	if (json_dumpf(v, f, flags) < 0 || fputc('\n', f) == EOF)
		return -1;
	return 0;
}

const char *jsonio_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}
