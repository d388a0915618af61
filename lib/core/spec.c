/* spec.c - load YAML through libyaml's document API into struct spec_node
 * trees with positions, and the typed look-ups that validators use. */
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "core/bounds.h"
#include "core/buf.h"
#include "core/parse.h"
#include "core/spec.h"
#include "core/xalloc.h"

struct builder {
	yaml_document_t *ydoc;
	const char *name;
	size_t nodes;
	size_t bytes;	/* scalar bytes built, each alias counted again */
	struct mlops_err *err;
};

static void node_free(struct spec_node *node)
{
	if (!node)
		return;
	for (size_t i = 0; i < node->n; i++) {
		if (node->keys)
			node_free(node->keys[i]);
		node_free(node->items[i]);
	}
	free(node->keys);
	free(node->items);
	free(node->value);
	free(node);
}

void spec_free(struct spec_doc *doc)
{
	if (!doc)
		return;
	node_free(doc->root);
	free(doc->name);
	free(doc);
}

static struct spec_node *node_new(enum spec_kind kind, yaml_node_t *y)
{
	struct spec_node *node = xcalloc(1, sizeof(*node));

	node->kind = kind;
	node->line = (int)y->start_mark.line + 1;
	node->col = (int)y->start_mark.column + 1;
	return node;
}

static int build(struct builder *b, yaml_node_t *y, int depth,
		 struct spec_node **out)
{
	struct spec_node *node;
	int ret = 0;

	if (depth > MLOPS_MAX_SPEC_DEPTH || ++b->nodes > MLOPS_MAX_SPEC_NODES)
		return mlops_err_set(b->err, MLOPS_EINPUT,
				     "%s:%zu:%zu: %s", b->name,
				     y->start_mark.line + 1,
				     y->start_mark.column + 1,
				     depth > MLOPS_MAX_SPEC_DEPTH ?
				     "nesting is too deep" :
				     "too many nodes (alias expansion?)");
	switch (y->type) {
	case YAML_SCALAR_NODE:
		/* A 1 MB scalar named by a thousand aliases is a gigabyte:
		 * bound what aliases expand to, not only how many nodes. */
		b->bytes += y->data.scalar.length;
		if (b->bytes > MLOPS_MAX_SPEC)
			return mlops_err_set(b->err, MLOPS_EINPUT,
					     "%s:%zu:%zu: the values expand "
					     "to more than %zu bytes (alias "
					     "expansion?)", b->name,
					     y->start_mark.line + 1,
					     y->start_mark.column + 1,
					     MLOPS_MAX_SPEC);
		node = node_new(SPEC_SCALAR, y);
		node->value = xstrndup((char *)y->data.scalar.value,
				       y->data.scalar.length);
		node->plain = y->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (strlen(node->value) != y->data.scalar.length) {
			*out = node;
			return mlops_err_set(b->err, MLOPS_EINPUT,
					     "%s:%d:%d: a NUL byte in a value",
					     b->name, node->line, node->col);
		}
		break;
	case YAML_SEQUENCE_NODE: {
		yaml_node_item_t *it = y->data.sequence.items.start;
		size_t count = (size_t)(y->data.sequence.items.top - it);

		node = node_new(SPEC_SEQ, y);
		node->items = xcalloc(count ? count : 1, sizeof(*node->items));
		for (; it < y->data.sequence.items.top && !ret; it++) {
			yaml_node_t *child = yaml_document_get_node(b->ydoc,
								    *it);
			ret = build(b, child, depth + 1,
				    &node->items[node->n++]);
		}
		break;
	}
	case YAML_MAPPING_NODE: {
		yaml_node_pair_t *p = y->data.mapping.pairs.start;
		size_t count = (size_t)(y->data.mapping.pairs.top - p);

		node = node_new(SPEC_MAP, y);
		node->keys = xcalloc(count ? count : 1, sizeof(*node->keys));
		node->items = xcalloc(count ? count : 1, sizeof(*node->items));
		for (; p < y->data.mapping.pairs.top && !ret; p++) {
			yaml_node_t *k = yaml_document_get_node(b->ydoc,
								p->key);
			yaml_node_t *v = yaml_document_get_node(b->ydoc,
								p->value);
			size_t i = node->n++;

			if (k->type != YAML_SCALAR_NODE) {
				ret = mlops_err_set(b->err, MLOPS_EINPUT,
						    "%s:%zu:%zu: a key must be "
						    "a plain value", b->name,
						    k->start_mark.line + 1,
						    k->start_mark.column + 1);
				break;
			}
			ret = build(b, k, depth + 1, &node->keys[i]);
			if (!ret)
				ret = build(b, v, depth + 1, &node->items[i]);
		}
		break;
	}
	default:
		return mlops_err_set(b->err, MLOPS_EINPUT, "%s: empty node",
				     b->name);
	}
	*out = node;
	return ret;
}

int spec_load_mem(struct spec_doc **out, const char *data, size_t len,
		  const char *name, struct mlops_err *err)
{
	yaml_parser_t parser;
	yaml_document_t ydoc;
	struct spec_doc *doc;
	struct builder b = { &ydoc, name, 0, 0, err };
	yaml_node_t *root;
	int ret = 0;

	if (len > MLOPS_MAX_SPEC)
		return mlops_err_set(err, MLOPS_EINPUT, "%s: larger than %zu "
				     "bytes", name, MLOPS_MAX_SPEC);
	doc = xcalloc(1, sizeof(*doc));
	doc->name = xstrdup(name);
	/* libyaml fails to initialise only for memory, and reports memory
	 * as it reports a syntax error: either ends as an allocation failure
	 * does, never as "malformed YAML" (exit 3) about a sound file. */
	if (!yaml_parser_initialize(&parser))
		xalloc_die("cannot set up the YAML parser");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data,
				     len);
	if (!yaml_parser_load(&parser, &ydoc)) {
		/* Every error of the text comes with its problem; some
		 * failed allocations of the loader come with none. */
		if (parser.error == YAML_MEMORY_ERROR || !parser.problem)
			xalloc_die("cannot parse YAML");
		const yaml_mark_t *m = parser.problem_mark.line ||
			parser.problem_mark.column ? &parser.problem_mark :
			&parser.context_mark;

		ret = mlops_err_set(err, MLOPS_EINPUT, "%s:%zu:%zu: %s%s%s",
				    name, m->line + 1, m->column + 1,
				    parser.problem ? parser.problem :
				    "malformed YAML",
				    parser.context ? " " : "",
				    parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		spec_free(doc);
		return ret;
	}
	root = yaml_document_get_root_node(&ydoc);
	if (root) {
		ret = build(&b, root, 0, &doc->root);
	} else {
		doc->root = xcalloc(1, sizeof(*doc->root));
		doc->root->kind = SPEC_MAP;
		doc->root->line = doc->root->col = 1;
	}
	yaml_document_delete(&ydoc);
	yaml_parser_delete(&parser);
	if (ret < 0) {
		spec_free(doc);
		return ret;
	}
	*out = doc;
	return 0;
}

int spec_load_file(struct spec_doc **out, const char *path,
		   struct mlops_err *err)
{
	struct buf content = BUF_INIT;
	const char *name = path;
	int ret;

	if (strcmp(path, "-") == 0) {
		name = "<stdin>";
		ret = buf_read_fd(&content, 0, MLOPS_MAX_SPEC, name, err);
	} else {
		ret = buf_read_file(&content, path, MLOPS_MAX_SPEC, err);
	}
	if (ret == 0)
		ret = spec_load_mem(out, content.s, content.len, name, err);
	buf_release(&content);
	return ret;
}

int spec_error(const struct spec_doc *doc, const struct spec_node *node,
	       int code, struct mlops_err *err, const char *fmt, ...)
{
	char msg[sizeof(err->msg)];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return mlops_err_set(err, code, "%s:%d:%d: %s", doc->name,
			     node ? node->line : 1, node ? node->col : 1, msg);
}

struct spec_node *spec_get(const struct spec_node *map, const char *key)
{
	if (!map || map->kind != SPEC_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0)
			return map->items[i];
	return NULL;
}

static const char *kind_name(enum spec_kind kind)
{
	switch (kind) {
	case SPEC_SCALAR:
		return "a value";
	case SPEC_MAP:
		return "a mapping";
	default:
		return "a list";
	}
}

int spec_expect(const struct spec_doc *doc, const struct spec_node *node,
		enum spec_kind kind, const char *what, struct mlops_err *err)
{
	if (node->kind == kind)
		return 0;
	return spec_error(doc, node, MLOPS_EINPUT, err, "%s must be %s, not %s",
			  what, kind_name(kind), kind_name(node->kind));
}

int spec_check_keys(const struct spec_doc *doc, const struct spec_node *map,
		    const char *const *allowed, struct mlops_err *err)
{
	for (size_t i = 0; i < map->n; i++) {
		const char *key = map->keys[i]->value;
		int known = 0;

		for (const char *const *a = allowed; *a && !known; a++)
			known = strcmp(*a, key) == 0;
		if (!known) {
			struct buf list = BUF_INIT;
			int ret;

			for (const char *const *a = allowed; *a; a++)
				buf_addf(&list, "%s%s", a == allowed ? "" :
					 ", ", *a);
			ret = spec_error(doc, map->keys[i], MLOPS_EINPUT, err,
					 "unknown key '%s' (expected one of: "
					 "%s)", key, list.s);
			buf_release(&list);
			return ret;
		}
		for (size_t j = 0; j < i; j++)
			if (strcmp(map->keys[j]->value, key) == 0)
				return spec_error(doc, map->keys[i],
						  MLOPS_EINPUT, err,
						  "duplicate key '%s' (first "
						  "at line %d)", key,
						  map->keys[j]->line);
	}
	return 0;
}

/* The scalar under key, or NULL; an error when it is not a scalar or is
 * required and absent. */
static int get_scalar(const struct spec_doc *doc, const struct spec_node *map,
		      const char *key, int required, struct spec_node **out,
		      struct mlops_err *err)
{
	struct spec_node *v = spec_get(map, key);

	*out = NULL;
	if (!v) {
		if (required)
			return spec_error(doc, map, MLOPS_EINPUT, err,
					  "missing required key '%s'", key);
		return 0;
	}
	if (v->kind != SPEC_SCALAR)
		return spec_error(doc, v, MLOPS_EINPUT, err,
				  "'%s' must be a single value, not %s", key,
				  kind_name(v->kind));
	*out = v;
	return 0;
}

int spec_get_str(const struct spec_doc *doc, const struct spec_node *map,
		 const char *key, int required, const char **out,
		 struct mlops_err *err)
{
	struct spec_node *v;
	int ret = get_scalar(doc, map, key, required, &v, err);

	if (ret == 0 && v)
		*out = v->value;
	return ret;
}

int spec_get_int(const struct spec_doc *doc, const struct spec_node *map,
		 const char *key, int required, int64_t min, int64_t max,
		 int64_t *out, struct mlops_err *err)
{
	struct spec_node *v;
	int ret = get_scalar(doc, map, key, required, &v, err);

	if (ret || !v)
		return ret;
	ret = parse_int64(v->value, min, max, out, key, err);
	if (ret)
		return spec_error(doc, v, ret, err, "%s", err->msg);
	return 0;
}

int spec_get_double(const struct spec_doc *doc, const struct spec_node *map,
		    const char *key, int required, double *out,
		    struct mlops_err *err)
{
	struct spec_node *v;
	int ret = get_scalar(doc, map, key, required, &v, err);

	if (ret || !v)
		return ret;
	ret = parse_double(v->value, out, key, err);
	if (ret)
		return spec_error(doc, v, ret, err, "%s", err->msg);
	return 0;
}

int spec_scalar_bool(const char *s)
{
	static const char *const yes[] = { "true", "yes", "on", NULL };
	static const char *const no[] = { "false", "no", "off", NULL };

	for (int i = 0; yes[i]; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return 1;
		if (strcasecmp(s, no[i]) == 0)
			return 0;
	}
	return -1;
}

int spec_get_bool(const struct spec_doc *doc, const struct spec_node *map,
		  const char *key, int required, int *out,
		  struct mlops_err *err)
{
	struct spec_node *v;
	int ret = get_scalar(doc, map, key, required, &v, err);
	int b;

	if (ret || !v)
		return ret;
	b = spec_scalar_bool(v->value);
	if (b < 0)
		return spec_error(doc, v, MLOPS_EINPUT, err,
				  "'%s' must be true or false, not \"%s\"",
				  key, v->value);
	*out = b;
	return 0;
}

struct spec_node *spec_new_scalar(const char *value)
{
	struct spec_node *node = xcalloc(1, sizeof(*node));

	node->kind = SPEC_SCALAR;
	node->value = xstrdup(value);
	node->plain = 1;
	return node;
}

struct spec_node *spec_new_map(void)
{
	struct spec_node *node = xcalloc(1, sizeof(*node));

	node->kind = SPEC_MAP;
	return node;
}

void spec_map_set_take(struct spec_node *map, const char *key,
		       struct spec_node *value)
{
	assert(map->kind == SPEC_MAP);
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(map->keys[i]->value, key) == 0) {
			node_free(map->items[i]);
			map->items[i] = value;
			return;
		}
	map->keys = xreallocarray(map->keys, map->n + 1, sizeof(*map->keys));
	map->items = xreallocarray(map->items, map->n + 1,
				   sizeof(*map->items));
	map->keys[map->n] = spec_new_scalar(key);
	map->items[map->n++] = value;
}

static int emit_write(void *data, unsigned char *buffer, size_t size)
{
	buf_add(data, buffer, size);
	return 1;
}

static int emit_node(yaml_emitter_t *em, const struct spec_node *node)
{
	yaml_event_t ev;

	switch (node->kind) {
	case SPEC_SCALAR:
		/* An empty plain scalar would vanish (an empty document
		 * reads back as an empty map): quote it. */
		yaml_scalar_event_initialize(&ev, NULL, NULL,
					     (yaml_char_t *)node->value,
					     (int)strlen(node->value), 1, 1,
					     node->value[0] ?
					     YAML_ANY_SCALAR_STYLE :
					     YAML_SINGLE_QUOTED_SCALAR_STYLE);
		return yaml_emitter_emit(em, &ev);
	case SPEC_SEQ:
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     YAML_ANY_SEQUENCE_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		for (size_t i = 0; i < node->n; i++)
			if (!emit_node(em, node->items[i]))
				return 0;
		yaml_sequence_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	default:
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
						    YAML_BLOCK_MAPPING_STYLE);
		if (!yaml_emitter_emit(em, &ev))
			return 0;
		for (size_t i = 0; i < node->n; i++)
			if (!emit_node(em, node->keys[i]) ||
			    !emit_node(em, node->items[i]))
				return 0;
		yaml_mapping_end_event_initialize(&ev);
		return yaml_emitter_emit(em, &ev);
	}
}

int spec_emit(const struct spec_node *node, struct buf *out,
	      struct mlops_err *err)
{
	yaml_emitter_t em;
	yaml_event_t ev;
	int ok;

	if (!yaml_emitter_initialize(&em))
		return mlops_err_set(err, MLOPS_EINTERNAL,
				     "cannot initialise the YAML emitter");
	yaml_emitter_set_output(&em, emit_write, out);
	yaml_emitter_set_unicode(&em, 1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	ok = yaml_emitter_emit(&em, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && emit_node(&em, node);
	yaml_document_end_event_initialize(&ev, 1);
	ok = ok && yaml_emitter_emit(&em, &ev);
	yaml_stream_end_event_initialize(&ev);
	ok = ok && yaml_emitter_emit(&em, &ev);
	ok = ok && yaml_emitter_flush(&em);
	if (!ok && em.error == YAML_MEMORY_ERROR)
		xalloc_die("cannot write YAML");
	if (!ok) {
		int ret = mlops_err_set(err, MLOPS_EINTERNAL,
					"cannot write YAML: %s",
					em.problem ? em.problem : "unknown");
		yaml_emitter_delete(&em);
		return ret;
	}
	yaml_emitter_delete(&em);
	return 0;
}
