/* pipeline.h - a pipeline.yaml loaded and validated: parameters, steps,
 * their dependencies (checked for cycles and unknown names), step
 * templates expanded, and every ${...} reference checked against the
 * parameters and the properties of needed steps. See mlops-pipeline.yaml(5).
 *
 * Nothing here runs anything: pipeline_exec.h does. */
#ifndef MLOPS_PIPELINE_H
#define MLOPS_PIPELINE_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "pipeline/expr.h"

enum pipeline_type { PIPELINE_STRING, PIPELINE_INT, PIPELINE_FLOAT,
		     PIPELINE_BOOL };

struct pipeline_param {
	char *name;
	enum pipeline_type type;
	char *value;		/* the default, or the -p override, as text */
};

struct pipeline_kv {
	char *key;
	char *value;		/* may hold ${...} references */
};

struct pipeline_step {
	char *name;
	char *run;		/* the shell command, with ${...} unresolved */
	struct pipeline_kv *env;
	size_t nenv;
	char **needs;
	size_t nneeds;
	size_t *need_idx;	/* needs as indexes into pipeline.steps */
	char **inputs;		/* files or globs, relative to the workspace */
	size_t ninputs;
	char **input_where;	/* "file:line:col" of each input */
	char **features;	/* feature groups read (feature:GROUP) */
	size_t nfeatures;
	char **feature_where;	/* "file:line:col" of each */
	char **outputs;		/* files the step writes */
	size_t noutputs;
	char *properties;	/* the JSON file of properties, or NULL */
	char *when;		/* the condition, or NULL */
	char *when_where;	/* "file:line:col" of the condition */
	int cache;		/* 0: never cached */
	int64_t cache_expire_us;	/* 0: entries never expire */
	int attempts;		/* 1 + retries */
	int64_t backoff_us;	/* wait before the 2nd attempt, doubling */
	int64_t timeout_us;	/* 0: none */
};

struct pipeline {
	char *name;
	char *path;		/* the file's name as shown in messages */
	struct pipeline_param *params;
	size_t nparams;
	struct pipeline_kv *env;	/* for every step */
	size_t nenv;
	struct pipeline_step *steps;	/* in file order */
	size_t nsteps;
	size_t *order;		/* step indexes, dependencies first */
};

/* Where step templates are looked up by name (template: NAME): the
 * pipeline's own templates/ folder, $MLOPS_TEMPLATE_PATH (colon-separated),
 * share/templates beside the program's build tree, then the installed
 * share folder. A template given as a path (with a '/' or ending in .yaml)
 * is read relative to the pipeline file. */

/* Load and validate the pipeline in data (name is used in messages and to
 * find templates relative to it; dir is the folder it lives in). overrides
 * are "name=value" strings from -p; a value that does not fit the
 * parameter's type is MLOPS_EUSAGE, an unknown name too. */
int pipeline_load_mem(struct pipeline **out, const char *data, size_t len,
		      const char *name, const char *dir,
		      char *const *overrides, size_t noverrides,
		      struct mlops_err *err);
/* The same for the file at path. */
int pipeline_load_file(struct pipeline **out, const char *path,
		       char *const *overrides, size_t noverrides,
		       struct mlops_err *err);
void pipeline_free(struct pipeline *p);

/* The prefix of an input that names a feature group: "feature:GROUP". */
#define PIPELINE_FEATURE_PREFIX "feature:"

/* The step named name, or NULL. */
struct pipeline_step *pipeline_find_step(const struct pipeline *p,
					 const char *name);
/* The parameter named name, or NULL. */
const struct pipeline_param *pipeline_find_param(const struct pipeline *p,
						 const char *name);
/* 1 when step a needs step b directly or through other steps. */
int pipeline_step_depends_on(const struct pipeline *p, size_t a, size_t b);

/* The value of a parameter as conditions see it: a number for int and
 * float, a boolean, or a string (allocated in out->str). */
void pipeline_param_value(const struct pipeline_param *pp,
			  struct pipeline_expr_value *out);

/* 1 when path stays inside a workspace: relative, without a ".." part.
 * Outputs must, since a cache hit writes them back. */
int pipeline_path_inside(const char *path);

/* "string", "int", "float" or "bool". */
const char *pipeline_type_name(enum pipeline_type t);

#endif
