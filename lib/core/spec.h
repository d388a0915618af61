/* spec.h - human-written YAML specs loaded into a small tree that keeps
 * the line and column of every node, so that validation errors can say
 * "pipeline.yaml:12:5: unknown key 'nedds'".
 *
 * Only the first document of a file is read. Anchors and aliases are
 * expanded; a file larger than MLOPS_MAX_SPEC, values that expand to more
 * bytes than that, nesting deeper than MLOPS_MAX_SPEC_DEPTH or more than
 * MLOPS_MAX_SPEC_NODES nodes (alias bombs) are refused (bounds.h). */
#ifndef MLOPS_SPEC_H
#define MLOPS_SPEC_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/buf.h"

enum spec_kind { SPEC_SCALAR, SPEC_MAP, SPEC_SEQ };

struct spec_node {
	enum spec_kind kind;
	int line, col;			/* 1-based position in the file */
	char *value;			/* SPEC_SCALAR: the text; else NULL */
	int plain;			/* SPEC_SCALAR: written without
					 * quotes */
	size_t n;			/* SPEC_MAP/SEQ: number of entries */
	struct spec_node **keys;	/* SPEC_MAP: key scalars */
	struct spec_node **items;	/* SPEC_MAP: values; SPEC_SEQ: items */
};

struct spec_doc {
	char *name;			/* the path shown in messages */
	struct spec_node *root;		/* never NULL: {} for an empty file */
};

/* Load the YAML file at path; "-" reads stdin. The caller frees *out with
 * spec_free. Syntax errors are MLOPS_EINPUT with "path:line:col: why". */
int spec_load_file(struct spec_doc **out, const char *path,
		   struct mlops_err *err);
int spec_load_mem(struct spec_doc **out, const char *data, size_t len,
		  const char *name, struct mlops_err *err);
void spec_free(struct spec_doc *doc);

/* Set err to "NAME:LINE:COL: message" for node; returns code. */
int spec_error(const struct spec_doc *doc, const struct spec_node *node,
	       int code, struct mlops_err *err, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* The value under key in map, or NULL (also when map is not a map). */
struct spec_node *spec_get(const struct spec_node *map, const char *key);

/* Refuse keys of map not in allowed (NULL-terminated), and duplicate
 * keys, naming the first such key. MLOPS_EINPUT. */
int spec_check_keys(const struct spec_doc *doc, const struct spec_node *map,
		    const char *const *allowed, struct mlops_err *err);
/* Refuse node unless it is of kind; what names it ("'steps'"). */
int spec_expect(const struct spec_doc *doc, const struct spec_node *node,
		enum spec_kind kind, const char *what, struct mlops_err *err);

/* Typed look-ups of map[key]. Each returns 0 and sets *out when the key is
 * present and well typed; 0 leaving *out alone when absent and not
 * required; MLOPS_EINPUT with a positioned message otherwise. */
int spec_get_str(const struct spec_doc *doc, const struct spec_node *map,
		 const char *key, int required, const char **out,
		 struct mlops_err *err);
int spec_get_int(const struct spec_doc *doc, const struct spec_node *map,
		 const char *key, int required, int64_t min, int64_t max,
		 int64_t *out, struct mlops_err *err);
int spec_get_double(const struct spec_doc *doc, const struct spec_node *map,
		    const char *key, int required, double *out,
		    struct mlops_err *err);
int spec_get_bool(const struct spec_doc *doc, const struct spec_node *map,
		  const char *key, int required, int *out,
		  struct mlops_err *err);
/* A YAML boolean (true/false/yes/no/on/off, any case): 0/1, or -1. */
int spec_scalar_bool(const char *s);



/* Emitting (used to rewrite config.yaml): append node as a YAML document
 * to out. Comments of a loaded file are not kept. */
int spec_emit(const struct spec_node *node, struct buf *out,
	      struct mlops_err *err);
/* Build nodes for editing a tree: a scalar, or an empty map. */
struct spec_node *spec_new_scalar(const char *value);
struct spec_node *spec_new_map(void);
/* Set map[key] = value, replacing (and freeing) an old value; takes
 * ownership of value. */
void spec_map_set_take(struct spec_node *map, const char *key,
		       struct spec_node *value);

#endif
