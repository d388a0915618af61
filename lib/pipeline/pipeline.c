/* pipeline.c - load pipeline.yaml into struct pipeline: keys checked,
 * parameters typed, templates expanded, needs resolved and ordered (cycles
 * refused) and every ${...} reference checked, each error with
 * file:line:column. The format is mlops-pipeline.yaml(5). */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bounds.h"
#include "core/buf.h"
#include "feature/feature.h"
#include "core/fs.h"
#include "core/parse.h"
#include "pipeline/pipeline.h"
#include "core/spec.h"
#include "core/time.h"
#include "core/xalloc.h"

/* Where the fields of one step were written, for messages about them
 * once every step is known; a templated step's fields may sit in the
 * template's file. */
struct step_src {
	const struct spec_doc *doc;		/* the step's own file */
	const struct spec_node *node;		/* the step's mapping */
	const struct spec_node *needs;
	const struct spec_doc *run_doc;
	const struct spec_node *run;
	const struct spec_doc *when_doc;
	const struct spec_node *when;
};

struct loader {
	struct pipeline *p;
	const char *dir;		/* the pipeline file's folder */
	struct spec_doc **templates;	/* kept until validation ends */
	size_t ntemplates;
	struct step_src *src;
	struct mlops_err *err;
};

static const char *const type_names[] = { "string", "int", "float", "bool" };

void pipeline_param_value(const struct pipeline_param *pp,
			  struct pipeline_expr_value *out)
{
	switch (pp->type) {
	case PIPELINE_STRING:
		out->kind = PIPELINE_EXPR_STR;
		out->str = xstrdup(pp->value);
		break;
	case PIPELINE_BOOL:
		out->kind = PIPELINE_EXPR_BOOL;
		out->boolean = spec_scalar_bool(pp->value);
		break;
	default:
		out->kind = PIPELINE_EXPR_NUM;
		out->num = strtod(pp->value, NULL);
	}
}

const char *pipeline_type_name(enum pipeline_type t)
{
	return type_names[t];
}

static void kv_free(struct pipeline_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void step_release(struct pipeline_step *s)
{
	free(s->name);
	free(s->run);
	kv_free(s->env, s->nenv);
	strv_free(s->needs, s->nneeds);
	free(s->need_idx);
	strv_free(s->inputs, s->ninputs);
	strv_free(s->input_where, s->ninputs);
	strv_free(s->features, s->nfeatures);
	strv_free(s->feature_where, s->nfeatures);
	strv_free(s->outputs, s->noutputs);
	free(s->properties);
	free(s->when);
	free(s->when_where);
}

static void params_free(struct pipeline_param *params, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(params[i].name);
		free(params[i].value);
	}
	free(params);
}

void pipeline_free(struct pipeline *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->path);
	params_free(p->params, p->nparams);
	kv_free(p->env, p->nenv);
	for (size_t i = 0; i < p->nsteps; i++)
		step_release(&p->steps[i]);
	free(p->steps);
	free(p->order);
	free(p);
}

struct pipeline_step *pipeline_find_step(const struct pipeline *p,
					 const char *name)
{
	for (size_t i = 0; i < p->nsteps; i++)
		if (strcmp(p->steps[i].name, name) == 0)
			return &p->steps[i];
	return NULL;
}

const struct pipeline_param *pipeline_find_param(const struct pipeline *p,
						 const char *name)
{
	for (size_t i = 0; i < p->nparams; i++)
		if (strcmp(p->params[i].name, name) == 0)
			return &p->params[i];
	return NULL;
}

int pipeline_step_depends_on(const struct pipeline *p, size_t a, size_t b)
{
	const struct pipeline_step *s = &p->steps[a];

	for (size_t i = 0; i < s->nneeds; i++)
		if (s->need_idx[i] == b ||
		    pipeline_step_depends_on(p, s->need_idx[i], b))
			return 1;
	return 0;
}

/* [A-Za-z_][A-Za-z0-9_-]*: names of steps and parameters. */
static int valid_name(const char *s)
{
	if (!*s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-')
			return 0;
	return 1;
}

/* Check that text is a value of type t; MLOPS_EINPUT naming what. */
static int check_type(enum pipeline_type t, const char *text,
		      const char *what, struct mlops_err *err)
{
	int64_t i;
	double d;

	switch (t) {
	case PIPELINE_INT:
		return parse_int64(text, INT64_MIN, INT64_MAX, &i, what, err);
	case PIPELINE_FLOAT:
		return parse_double(text, &d, what, err);
	case PIPELINE_BOOL:
		if (spec_scalar_bool(text) < 0)
			return mlops_err_set(err, MLOPS_EINPUT, "%s must be "
					     "true or false, not '%s'", what,
					     text);
		return 0;
	default:
		return 0;
	}
}

/* "file:line:col" of node n of doc. */
static char *where_of(const struct spec_doc *doc, const struct spec_node *n)
{
	return xasprintf("%s:%d:%d", doc->name, n->line, n->col);
}

/* key: a sequence of scalars (or one scalar) into a string vector *out;
 * with where, the position of each value too (a parallel array). */
static int get_list_at(const struct spec_doc *doc, const struct spec_node *map,
		       const char *key, char ***out, char ***where,
		       size_t *n, struct mlops_err *err)
{
	const struct spec_node *v = spec_get(map, key);
	size_t count;

	if (!v)
		return 0;
	if (where)
		strv_free(*where, *n);
	strv_free(*out, *n);
	*out = NULL;
	*n = 0;
	if (v->kind != SPEC_SCALAR && v->kind != SPEC_SEQ)
		return spec_error(doc, v, MLOPS_EINPUT, err, "'%s' must be a "
				  "list", key);
	count = v->kind == SPEC_SCALAR ? 1 : v->n;
	*out = xcalloc(count ? count : 1, sizeof(**out));
	if (where)
		*where = xcalloc(count ? count : 1, sizeof(**where));
	for (size_t i = 0; i < count; i++) {
		const struct spec_node *item = v->kind == SPEC_SCALAR ? v :
			v->items[i];

		if (item->kind != SPEC_SCALAR)
			return spec_error(doc, item, MLOPS_EINPUT, err,
					  "each item of '%s' must be a single "
					  "value", key);
		if (where)
			(*where)[*n] = where_of(doc, item);
		(*out)[(*n)++] = xstrdup(item->value);
	}
	return 0;
}

static int get_list(const struct spec_doc *doc, const struct spec_node *map,
		    const char *key, char ***out, size_t *n,
		    struct mlops_err *err)
{
	return get_list_at(doc, map, key, out, NULL, n, err);
}

/* env: {NAME: value, ...}, merged over what kv holds already. */
static int get_env(const struct spec_doc *doc, const struct spec_node *map,
		   struct pipeline_kv **kv, size_t *n, struct mlops_err *err)
{
	const struct spec_node *env = spec_get(map, "env");
	int ret;

	if (!env)
		return 0;
	if ((ret = spec_expect(doc, env, SPEC_MAP, "'env'", err)) < 0)
		return ret;
	for (size_t i = 0; i < env->n; i++) {
		const struct spec_node *k = env->keys[i], *v = env->items[i];
		size_t j;

		if (v->kind != SPEC_SCALAR)
			return spec_error(doc, v, MLOPS_EINPUT, err, "env '%s' "
					  "must be a single value", k->value);
		if (!valid_name(k->value) || strchr(k->value, '-'))
			return spec_error(doc, k, MLOPS_EINPUT, err, "'%s' is "
					  "not a valid environment variable "
					  "name", k->value);
		for (j = 0; j < *n; j++)
			if (strcmp((*kv)[j].key, k->value) == 0)
				break;
		if (j == *n) {
			*kv = xreallocarray(*kv, *n + 1, sizeof(**kv));
			(*kv)[j].key = xstrdup(k->value);
			(*kv)[j].value = NULL;
			(*n)++;
		}
		free((*kv)[j].value);
		(*kv)[j].value = xstrdup(v->value);
	}
	return 0;
}

/* parameters: {name: {type: T, default: V}} or {name: V} (type from V). */
static int load_params(const struct spec_doc *doc, const struct spec_node *map,
		       struct pipeline_param **out, size_t *n,
		       struct mlops_err *err)
{
	static const char *const keys[] = { "type", "default", "description",
					    NULL };
	const struct spec_node *params = spec_get(map, "parameters");
	int ret;

	if (!params)
		return 0;
	if ((ret = spec_expect(doc, params, SPEC_MAP, "'parameters'", err)))
		return ret;
	*out = xcalloc(params->n ? params->n : 1, sizeof(**out));
	for (size_t i = 0; i < params->n; i++) {
		const struct spec_node *k = params->keys[i];
		const struct spec_node *v = params->items[i];
		struct pipeline_param *pp = &(*out)[(*n)++];
		const char *type = NULL, *def = NULL;
		const struct spec_node *at = v;

		pp->name = xstrdup(k->value);
		if (!valid_name(k->value) || strchr(k->value, '-'))
			return spec_error(doc, k, MLOPS_EINPUT, err, "'%s' is "
					  "not a valid parameter name (letters,"
					  " digits, '_')", k->value);
		for (size_t j = 0; j < i; j++)
			if (strcmp(params->keys[j]->value, k->value) == 0)
				return spec_error(doc, k, MLOPS_EINPUT, err,
						  "duplicate parameter '%s'",
						  k->value);
		if (v->kind == SPEC_MAP) {
			if ((ret = spec_check_keys(doc, v, keys, err)) < 0 ||
			    (ret = spec_get_str(doc, v, "type", 0, &type,
						err)) < 0 ||
			    (ret = spec_get_str(doc, v, "default", 0, &def,
						err)) < 0)
				return ret;
			if (spec_get(v, "default"))
				at = spec_get(v, "default");
		} else if (v->kind == SPEC_SCALAR) {
			def = v->value;
		} else {
			return spec_error(doc, v, MLOPS_EINPUT, err,
					  "parameter '%s' must be a value or "
					  "{type, default}", k->value);
		}
		pp->type = PIPELINE_STRING;
		if (type) {
			size_t t;

			for (t = 0; t < 4; t++)
				if (strcmp(type, type_names[t]) == 0)
					break;
			if (t == 4)
				return spec_error(doc, spec_get(v, "type"),
						  MLOPS_EINPUT, err, "unknown "
						  "type '%s' (string, int, "
						  "float or bool)", type);
			pp->type = (enum pipeline_type)t;
		} else if (def && v->kind == SPEC_SCALAR && v->plain) {
			int64_t iv;
			double dv;

			if (parse_int64(def, INT64_MIN, INT64_MAX, &iv, "",
					NULL) == 0)
				pp->type = PIPELINE_INT;
			else if (parse_double(def, &dv, "", NULL) == 0)
				pp->type = PIPELINE_FLOAT;
			else if (spec_scalar_bool(def) >= 0)
				pp->type = PIPELINE_BOOL;
		}
		if (def) {
			char *what = xasprintf("the default of '%s' (%s)",
					       k->value,
					       type_names[pp->type]);

			ret = check_type(pp->type, def, what, err);
			free(what);
			if (ret < 0)
				return spec_error(doc, at, ret, err, "%s",
						  err->msg);
			pp->value = xstrdup(def);
		}
	}
	return 0;
}

/* Parse the fields of a step mapping (pipeline or template) over what
 * step holds already: fields present override. */
static int parse_step_fields(struct loader *ld, const struct spec_doc *doc,
			     const struct spec_node *m,
			     struct pipeline_step *s, struct step_src *src)
{
	const struct spec_node *cache = spec_get(m, "cache");
	const struct spec_node *retry = spec_get(m, "retry");
	const char *run = NULL, *props = NULL, *when = NULL, *timeout = NULL;
	struct mlops_err *err = ld->err;
	int ret;

	if ((ret = spec_get_str(doc, m, "run", 0, &run, err)) < 0 ||
	    (ret = spec_get_str(doc, m, "properties", 0, &props, err)) < 0 ||
	    (ret = spec_get_str(doc, m, "when", 0, &when, err)) < 0 ||
	    (ret = spec_get_str(doc, m, "timeout", 0, &timeout, err)) < 0 ||
	    (ret = get_list_at(doc, m, "inputs", &s->inputs, &s->input_where,
			       &s->ninputs, err)) < 0 ||
	    (ret = get_list(doc, m, "outputs", &s->outputs, &s->noutputs,
			    err)) < 0 ||
	    (ret = get_env(doc, m, &s->env, &s->nenv, err)) < 0)
		return ret;
	if (run) {
		free(s->run);
		s->run = xstrdup(run);
		src->run_doc = doc;
		src->run = spec_get(m, "run");
	}
	if (props) {
		free(s->properties);
		s->properties = xstrdup(props);
	}
	if (when) {
		const struct spec_node *w = spec_get(m, "when");

		free(s->when);
		free(s->when_where);
		s->when = xstrdup(when);
		s->when_where = where_of(doc, w);
		src->when_doc = doc;
		src->when = w;
	}
	if (timeout) {
		ret = time_parse_duration(timeout, &s->timeout_us, err);
		if (ret < 0)
			return spec_error(doc, spec_get(m, "timeout"), ret, err,
					  "timeout: %s", err->msg);
	}
	if (cache && cache->kind == SPEC_SCALAR) {
		int on = spec_scalar_bool(cache->value);

		if (on < 0)
			return spec_error(doc, cache, MLOPS_EINPUT, err,
					  "'cache' must be true, false or "
					  "{expire: DURATION}");
		s->cache = on;
	} else if (cache) {
		static const char *const keys[] = { "enabled", "expire", NULL };
		const char *expire = NULL;

		if ((ret = spec_expect(doc, cache, SPEC_MAP, "'cache'",
				       err)) < 0 ||
		    (ret = spec_check_keys(doc, cache, keys, err)) < 0 ||
		    (ret = spec_get_bool(doc, cache, "enabled", 0, &s->cache,
					 err)) < 0 ||
		    (ret = spec_get_str(doc, cache, "expire", 0, &expire,
					err)) < 0)
			return ret;
		if (expire &&
		    (ret = time_parse_duration(expire, &s->cache_expire_us,
					       err)) < 0)
			return spec_error(doc, spec_get(cache, "expire"), ret,
					  err, "cache expire: %s", err->msg);
	}
	if (retry) {
		static const char *const keys[] = { "attempts", "backoff",
						    NULL };
		const char *backoff = NULL;
		int64_t attempts = s->attempts;

		if ((ret = spec_expect(doc, retry, SPEC_MAP, "'retry'",
				       err)) < 0 ||
		    (ret = spec_check_keys(doc, retry, keys, err)) < 0 ||
		    (ret = spec_get_int(doc, retry, "attempts", 0, 1, 20,
					&attempts, err)) < 0 ||
		    (ret = spec_get_str(doc, retry, "backoff", 0, &backoff,
					err)) < 0)
			return ret;
		s->attempts = (int)attempts;
		if (backoff &&
		    (ret = time_parse_duration(backoff, &s->backoff_us,
					       err)) < 0)
			return spec_error(doc, spec_get(retry, "backoff"), ret,
					  err, "retry backoff: %s", err->msg);
	}
	return 0;
}

static const char *const step_keys[] = {
	"name", "run", "needs", "inputs", "outputs", "properties", "when",
	"env", "cache", "retry", "timeout", "template", "with", NULL
};

/* The file of template name: a path relative to the pipeline, or a name
 * searched in the template folders (see pipeline.h). */
static char *find_template(const struct loader *ld, const char *name)
{
	const char *env = getenv("MLOPS_TEMPLATE_PATH");
	struct buf dirs = BUF_INIT;
	char exe[PATH_MAX];
	ssize_t n;
	char *found = NULL, *save = NULL, *d;
	size_t len = strlen(name);

	if (strchr(name, '/') || (len > 5 && !strcmp(name + len - 5, ".yaml")))
		return name[0] == '/' ? xstrdup(name) :
			fs_path_join(ld->dir, name);
	buf_addf(&dirs, "%s/templates", ld->dir);
	if (env && *env)
		buf_addf(&dirs, ":%s", env);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *bin, *build;

		exe[n] = '\0';
		bin = fs_path_dirname(exe);
		build = fs_path_dirname(bin);
		d = fs_path_dirname(build);
		buf_addf(&dirs, ":%s/share/templates:%s/../share/mlops/"
			 "templates", d, bin);
		free(d);
		free(build);
		free(bin);
	}
	buf_addf(&dirs, ":%s/templates", MLOPS_SHAREDIR);
	for (d = strtok_r(dirs.s, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		char *path = xasprintf("%s/%s.yaml", d, name);

		if (fs_exists(path))
			found = path;
		else
			free(path);
	}
	buf_release(&dirs);
	return found;
}

/* A value of `with:` or a template parameter's default, by name. */
struct template_args {
	struct pipeline_param *params;
	size_t n;
};

static int template_resolve(const char *ref, struct pipeline_expr_value *out,
			    void *arg, struct mlops_err *err)
{
	struct template_args *ta = arg;

	(void)err;
	out->kind = PIPELINE_EXPR_STR;
	for (size_t i = 0; i < ta->n; i++)
		if (strcmp(ta->params[i].name, ref) == 0) {
			out->str = xstrdup(ta->params[i].value);
			return 0;
		}
	out->str = xasprintf("${%s}", ref);	/* the pipeline's, for later */
	return 0;
}

static void template_subst(char **s, struct template_args *ta)
{
	struct buf b = BUF_INIT;

	if (!*s ||
	    pipeline_expr_subst(&b, *s, template_resolve, ta, NULL) < 0) {
		buf_release(&b);
		return;
	}
	free(*s);
	*s = buf_detach(&b, NULL);
}

/* Expand `template: NAME` with `with: {param: value}` into s. */
static int apply_template(struct loader *ld, const struct spec_doc *doc,
			  const struct spec_node *m, struct pipeline_step *s,
			  struct step_src *src)
{
	static const char *const keys[] = { "template", "description",
					    "parameters", "step", NULL };
	static const char *const tstep_keys[] = {
		"run", "inputs", "outputs", "properties", "when", "env",
		"cache", "retry", "timeout", NULL
	};
	const struct spec_node *tnode = spec_get(m, "template");
	const struct spec_node *with = spec_get(m, "with");
	const struct spec_node *body;
	struct template_args ta = { NULL, 0 };
	struct spec_doc *tdoc = NULL;
	struct mlops_err *err = ld->err;
	char *path;
	int ret;

	if ((ret = spec_expect(doc, tnode, SPEC_SCALAR, "'template'", err)))
		return ret;
	path = find_template(ld, tnode->value);
	if (!path)
		return spec_error(doc, tnode, MLOPS_EINPUT, err, "no template "
				  "'%s' (looked in templates/, "
				  "$MLOPS_TEMPLATE_PATH and %s/templates)",
				  tnode->value, MLOPS_SHAREDIR);
	ret = spec_load_file(&tdoc, path, err);
	free(path);
	if (ret < 0)
		return spec_error(doc, tnode, ret, err, "template '%s': %s",
				  tnode->value, err->msg);
	ld->templates = xreallocarray(ld->templates, ld->ntemplates + 1,
				      sizeof(*ld->templates));
	ld->templates[ld->ntemplates++] = tdoc;
	body = spec_get(tdoc->root, "step");
	if ((ret = spec_expect(tdoc, tdoc->root, SPEC_MAP, "a template",
			       err)) < 0 ||
	    (ret = spec_check_keys(tdoc, tdoc->root, keys, err)) < 0 ||
	    (ret = load_params(tdoc, tdoc->root, &ta.params, &ta.n, err)) < 0)
		goto out;
	if (!body) {
		ret = spec_error(tdoc, tdoc->root, MLOPS_EINPUT, err,
				 "missing required key 'step'");
		goto out;
	}
	if ((ret = spec_expect(tdoc, body, SPEC_MAP, "'step'", err)) < 0 ||
	    (ret = spec_check_keys(tdoc, body, tstep_keys, err)) < 0)
		goto out;
	if (with && (ret = spec_expect(doc, with, SPEC_MAP, "'with'",
				       err)) < 0)
		goto out;
	for (size_t i = 0; with && i < with->n; i++) {
		const struct spec_node *k = with->keys[i], *v = with->items[i];
		size_t j;

		for (j = 0; j < ta.n; j++)
			if (strcmp(ta.params[j].name, k->value) == 0)
				break;
		if (j == ta.n) {
			ret = spec_error(doc, k, MLOPS_EINPUT, err, "template "
					 "'%s' has no parameter '%s'",
					 tnode->value, k->value);
			goto out;
		}
		if (v->kind != SPEC_SCALAR) {
			ret = spec_error(doc, v, MLOPS_EINPUT, err, "'%s' must "
					 "be a single value", k->value);
			goto out;
		}
		if (!strstr(v->value, "${") &&
		    (ret = check_type(ta.params[j].type, v->value, k->value,
				      err)) < 0) {
			ret = spec_error(doc, v, ret, err, "%s", err->msg);
			goto out;
		}
		free(ta.params[j].value);
		ta.params[j].value = xstrdup(v->value);
	}
	for (size_t j = 0; j < ta.n; j++)
		if (!ta.params[j].value) {
			ret = spec_error(doc, with ? with : m, MLOPS_EINPUT,
					 err, "template '%s' needs a value for "
					 "'%s' (with: {%s: ...})", tnode->value,
					 ta.params[j].name, ta.params[j].name);
			goto out;
		}
	ret = parse_step_fields(ld, tdoc, body, s, src);
	if (ret < 0)
		goto out;
	template_subst(&s->run, &ta);
	template_subst(&s->properties, &ta);
	template_subst(&s->when, &ta);
	for (size_t i = 0; i < s->nenv; i++)
		template_subst(&s->env[i].value, &ta);
	for (size_t i = 0; i < s->ninputs; i++)
		template_subst(&s->inputs[i], &ta);
	for (size_t i = 0; i < s->noutputs; i++)
		template_subst(&s->outputs[i], &ta);
out:
	params_free(ta.params, ta.n);
	return ret;
}

static int load_step(struct loader *ld, const struct spec_doc *doc,
		     const struct spec_node *m, struct pipeline_step *s,
		     struct step_src *src)
{
	const char *name = NULL;
	struct mlops_err *err = ld->err;
	int ret;

	s->cache = 1;
	s->attempts = 1;
	src->doc = doc;
	src->node = m;
	if ((ret = spec_expect(doc, m, SPEC_MAP, "a step", err)) < 0 ||
	    (ret = spec_check_keys(doc, m, step_keys, err)) < 0 ||
	    (ret = spec_get_str(doc, m, "name", 1, &name, err)) < 0)
		return ret;
	s->name = xstrdup(name);
	if (!valid_name(name))
		return spec_error(doc, spec_get(m, "name"), MLOPS_EINPUT, err,
				  "'%s' is not a valid step name (letters, "
				  "digits, '_' and '-')", name);
	if (spec_get(m, "with") && !spec_get(m, "template"))
		return spec_error(doc, spec_get(m, "with"), MLOPS_EINPUT, err,
				  "'with' gives values to a template; this "
				  "step has no 'template'");
	if (spec_get(m, "template") &&
	    (ret = apply_template(ld, doc, m, s, src)) < 0)
		return ret;
	if ((ret = parse_step_fields(ld, doc, m, s, src)) < 0 ||
	    (ret = get_list(doc, m, "needs", &s->needs, &s->nneeds, err)) < 0)
		return ret;
	src->needs = spec_get(m, "needs");
	if (!s->run)
		return spec_error(doc, m, MLOPS_EINPUT, err, "step '%s' has no "
				  "'run' (nor a template giving one)", name);
	return 0;
}

static int resolve_needs(struct loader *ld)
{
	struct pipeline *p = ld->p;

	for (size_t i = 0; i < p->nsteps; i++) {
		struct pipeline_step *s = &p->steps[i];
		const struct step_src *src = &ld->src[i];

		for (size_t j = 0; j < i; j++)
			if (strcmp(p->steps[j].name, s->name) == 0)
				return spec_error(src->doc,
						  spec_get(src->node, "name"),
						  MLOPS_EINPUT, ld->err,
						  "duplicate step name '%s'",
						  s->name);
		s->need_idx = xcalloc(s->nneeds ? s->nneeds : 1,
				      sizeof(*s->need_idx));
		for (size_t k = 0; k < s->nneeds; k++) {
			const struct pipeline_step *n =
				pipeline_find_step(p, s->needs[k]);
			const struct spec_node *at = src->needs &&
				src->needs->kind == SPEC_SEQ ?
				src->needs->items[k] : src->needs;

			if (!n)
				return spec_error(src->doc, at, MLOPS_EINPUT,
						  ld->err, "step '%s' needs "
						  "'%s', which is not a step",
						  s->name, s->needs[k]);
			if (n == s)
				return spec_error(src->doc, at, MLOPS_EINPUT,
						  ld->err, "step '%s' needs "
						  "itself", s->name);
			s->need_idx[k] = (size_t)(n - p->steps);
		}
	}
	return 0;
}

/* Find a path of needs from at back to start; its steps are pushed to
 * path (*len of them) as the search unwinds, so the last is at's need. */
static int find_cycle(const struct pipeline *p, size_t at, size_t start,
		      int *seen, size_t *path, size_t *len)
{
	const struct pipeline_step *s = &p->steps[at];

	if (seen[at])
		return 0;
	seen[at] = 1;
	for (size_t k = 0; k < s->nneeds; k++) {
		size_t n = s->need_idx[k];

		if (n == start || find_cycle(p, n, start, seen, path, len)) {
			path[(*len)++] = n;
			return 1;
		}
	}
	return 0;
}

/* Order the steps so that each comes after what it needs (Kahn). */
static int order_steps(struct loader *ld)
{
	struct pipeline *p = ld->p;
	size_t *indeg = xcalloc(p->nsteps + 1, sizeof(*indeg));
	size_t done = 0;
	int ret = 0;

	p->order = xcalloc(p->nsteps + 1, sizeof(*p->order));
	for (size_t i = 0; i < p->nsteps; i++)
		indeg[i] = p->steps[i].nneeds;
	for (int progress = 1; progress && done < p->nsteps;) {
		progress = 0;
		for (size_t i = 0; i < p->nsteps; i++) {
			if (indeg[i] != 0)
				continue;
			indeg[i] = (size_t)-1;
			p->order[done++] = i;
			progress = 1;
			for (size_t j = 0; j < p->nsteps; j++)
				for (size_t k = 0; k < p->steps[j].nneeds; k++)
					if (p->steps[j].need_idx[k] == i)
						indeg[j]--;
		}
	}
	for (size_t i = 0; i < p->nsteps && done < p->nsteps; i++) {
		struct buf cycle = BUF_INIT;
		size_t *path, len = 0;
		int *seen;

		if (indeg[i] == (size_t)-1)
			continue;
		seen = xcalloc(p->nsteps, sizeof(*seen));
		path = xcalloc(p->nsteps + 1, sizeof(*path));
		if (find_cycle(p, i, i, seen, path, &len)) {
			while (len > 0)
				buf_addf(&cycle, " -> %s",
					 p->steps[path[--len]].name);
			ret = spec_error(ld->src[i].doc, ld->src[i].needs,
					 MLOPS_EINPUT, ld->err, "the steps "
					 "form a cycle: %s%s", p->steps[i].name,
					 cycle.s);
			free(seen);
			free(path);
			buf_release(&cycle);
			break;
		}
		free(seen);
		free(path);
		buf_release(&cycle);
	}
	free(indeg);
	return ret;
}

/* Checks ${...} references of one step: a parameter, or the properties
 * of a step it needs. */
struct ref_check {
	struct loader *ld;
	size_t step;
	int in_condition;
	struct mlops_err *err;
};

static int check_ref(const char *ref, struct pipeline_expr_value *out,
		     void *arg, struct mlops_err *err)
{
	struct ref_check *rc = arg;
	const struct pipeline *p = rc->ld->p;
	const struct pipeline_param *pp;

	out->kind = PIPELINE_EXPR_UNKNOWN;
	if (strncmp(ref, "steps.", 6) == 0) {
		const char *name = ref + 6, *dot = strchr(name, '.');
		char *sname = xstrndup(name, dot ? (size_t)(dot - name) :
				       strlen(name));
		const struct pipeline_step *s = pipeline_find_step(p, sname);
		int ret = 0;

		if (!s)
			ret = mlops_err_set(err, MLOPS_EINPUT, "'${%s}' names "
					    "no step '%s'", ref, sname);
		else if (!dot || strncmp(dot, ".properties.", 12) != 0 ||
			 !dot[12])
			ret = mlops_err_set(err, MLOPS_EINPUT, "'${%s}': write "
					    "${steps.%s.properties.NAME}", ref,
					    sname);
		else if (!s->properties)
			ret = mlops_err_set(err, MLOPS_EINPUT, "'${%s}': step "
					    "'%s' declares no 'properties' "
					    "file", ref, sname);
		else if (!pipeline_step_depends_on(p, rc->step,
						   (size_t)(s - p->steps)))
			ret = mlops_err_set(err, MLOPS_EINPUT, "'${%s}': step "
					    "'%s' does not need '%s' (add it "
					    "to 'needs')", ref,
					    p->steps[rc->step].name, sname);
		free(sname);
		return ret;
	}
	pp = pipeline_find_param(p, ref);
	if (!pp)
		return mlops_err_set(err, MLOPS_EINPUT, "undefined parameter "
				     "'%s' in '${%s}' (write $${ for a "
				     "literal ${)", ref, ref);
	if (rc->in_condition)
		pipeline_param_value(pp, out);
	return 0;
}

static int check_text(struct ref_check *rc, const char *text,
		      const struct spec_doc *doc, const struct spec_node *at)
{
	struct buf scratch = BUF_INIT;
	int ret = pipeline_expr_subst(&scratch, text, check_ref, rc, rc->err);

	buf_release(&scratch);
	if (ret < 0)
		return spec_error(doc, at, ret, rc->err, "%s", rc->err->msg);
	return 0;
}

int pipeline_path_inside(const char *path)
{
	const char *p = path;

	if (*path == '/' || !*path)
		return 0;
	while ((p = strstr(p, "..")) != NULL) {
		if ((p == path || p[-1] == '/') && (p[2] == '/' || !p[2]))
			return 0;
		p += 2;
	}
	return 1;
}

/* Move the inputs that name feature groups (feature:GROUP) out of the
 * file inputs. Their names are literal, so that a store can check them
 * before anything runs. */
static int split_features(struct loader *ld)
{
	const size_t plen = strlen(PIPELINE_FEATURE_PREFIX);

	for (size_t i = 0; i < ld->p->nsteps; i++) {
		struct pipeline_step *s = &ld->p->steps[i];
		size_t w = 0;

		s->features = xcalloc(s->ninputs + 1, sizeof(*s->features));
		s->feature_where = xcalloc(s->ninputs + 1,
					   sizeof(*s->feature_where));
		for (size_t k = 0; k < s->ninputs; k++) {
			const char *name;

			if (strncmp(s->inputs[k], PIPELINE_FEATURE_PREFIX,
				    plen) != 0) {
				s->inputs[w] = s->inputs[k];
				s->input_where[w++] = s->input_where[k];
				continue;
			}
			name = s->inputs[k] + plen;
			if (!feature_group_valid_name(name)) {
				int ret = mlops_err_set(
					ld->err, MLOPS_EINPUT, "%s: step '%s':"
					" '%s' does not name a feature group "
					"(feature:GROUP, the group's name "
					"written out)", s->input_where[k],
					s->name, s->inputs[k]);

				for (size_t j = k; j < s->ninputs; j++) {
					s->inputs[w] = s->inputs[j];
					s->input_where[w++] =
						s->input_where[j];
				}
				s->ninputs = w;
				return ret;
			}
			s->features[s->nfeatures] = xstrdup(name);
			s->feature_where[s->nfeatures++] = s->input_where[k];
			free(s->inputs[k]);
		}
		s->ninputs = w;
	}
	return 0;
}

/* Outputs and the properties file are written back into the workspace
 * on a cache hit, so they must name files inside it; inputs are read
 * from it (outside it, '..' would reach into the store). */
static int check_paths(struct loader *ld)
{
	for (size_t i = 0; i < ld->p->nsteps; i++) {
		const struct pipeline_step *s = &ld->p->steps[i];
		const char *bad = NULL;

		for (size_t k = 0; k < s->ninputs && !bad; k++)
			if (!pipeline_path_inside(s->inputs[k]))
				bad = s->inputs[k];
		for (size_t k = 0; k < s->noutputs && !bad; k++)
			if (!pipeline_path_inside(s->outputs[k]))
				bad = s->outputs[k];
		if (!bad && s->properties &&
		    !pipeline_path_inside(s->properties))
			bad = s->properties;
		if (bad)
			return spec_error(ld->src[i].doc, ld->src[i].node,
					  MLOPS_EINPUT, ld->err, "step '%s': "
					  "'%s' is not a path inside the "
					  "workspace (relative, without '..')",
					  s->name, bad);
	}
	return 0;
}

static int check_refs(struct loader *ld)
{
	struct pipeline *p = ld->p;
	int ret = 0;

	for (size_t i = 0; i < p->nsteps && ret == 0; i++) {
		struct pipeline_step *s = &p->steps[i];
		const struct step_src *src = &ld->src[i];
		struct ref_check rc = { ld, i, 0, ld->err };
		int value;

		ret = check_text(&rc, s->run, src->run_doc, src->run);
		for (size_t k = 0; k < s->nenv && ret == 0; k++)
			ret = check_text(&rc, s->env[k].value, src->doc,
					 src->node);
		for (size_t k = 0; k < s->ninputs && ret == 0; k++)
			ret = check_text(&rc, s->inputs[k], src->doc,
					 src->node);
		for (size_t k = 0; k < s->noutputs && ret == 0; k++)
			ret = check_text(&rc, s->outputs[k], src->doc,
					 src->node);
		if (ret == 0 && s->when) {
			rc.in_condition = 1;
			ret = pipeline_expr_eval(&value, s->when, check_ref,
						 &rc, ld->err);
			if (ret < 0)
				ret = spec_error(src->when_doc, src->when, ret,
						 ld->err, "condition: %s",
						 ld->err->msg);
		}
	}
	for (size_t k = 0; k < p->nenv && ret == 0; k++) {
		struct ref_check rc = { ld, 0, 0, ld->err };

		if (strstr(p->env[k].value, "${steps."))
			return mlops_err_set(ld->err, MLOPS_EINPUT, "%s: "
					     "pipeline env '%s' may not read "
					     "step properties", p->path,
					     p->env[k].key);
		ret = check_text(&rc, p->env[k].value, ld->src[0].doc, NULL);
	}
	return ret;
}

static int apply_overrides(struct pipeline *p, char *const *overrides,
			   size_t n, struct mlops_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(overrides[i], '=');
		struct pipeline_param *pp = NULL;
		char *name, *what;
		int ret;

		if (!eq)
			return mlops_err_set(err, MLOPS_EUSAGE, "-p '%s': "
					     "write -p NAME=VALUE",
					     overrides[i]);
		name = xstrndup(overrides[i], (size_t)(eq - overrides[i]));
		for (size_t j = 0; j < p->nparams; j++)
			if (strcmp(p->params[j].name, name) == 0)
				pp = &p->params[j];
		if (!pp) {
			ret = mlops_err_set(err, MLOPS_EUSAGE, "-p %s: "
					    "pipeline '%s' has no parameter "
					    "'%s'", name, p->name, name);
			free(name);
			return ret;
		}
		what = xasprintf("-p %s (%s)", name, type_names[pp->type]);
		ret = check_type(pp->type, eq + 1, what, err);
		free(what);
		free(name);
		if (ret < 0) {
			char msg[sizeof(err->msg)];

			snprintf(msg, sizeof(msg), "%s", err->msg);
			return mlops_err_set(err, MLOPS_EUSAGE, "%s", msg);
		}
		free(pp->value);
		pp->value = xstrdup(eq + 1);
	}
	for (size_t j = 0; j < p->nparams; j++)
		if (!p->params[j].value)
			return mlops_err_set(err, MLOPS_EUSAGE, "parameter "
					     "'%s' has no default: give it "
					     "with -p %s=VALUE",
					     p->params[j].name,
					     p->params[j].name);
	return 0;
}

int pipeline_load_mem(struct pipeline **out, const char *data, size_t len,
		      const char *name, const char *dir,
		      char *const *overrides, size_t noverrides,
		      struct mlops_err *err)
{
	static const char *const top_keys[] = { "name", "description",
						"parameters", "env", "steps",
						NULL };
	struct pipeline *p = xcalloc(1, sizeof(*p));
	struct loader ld = { p, dir, NULL, 0, NULL, err };
	const struct spec_node *steps;
	struct spec_doc *doc = NULL;
	const char *pname = NULL;
	int ret;

	p->path = xstrdup(name);
	ret = spec_load_mem(&doc, data, len, name, err);
	if (ret < 0)
		goto out;
	if ((ret = spec_expect(doc, doc->root, SPEC_MAP, "a pipeline",
			       err)) < 0 ||
	    (ret = spec_check_keys(doc, doc->root, top_keys, err)) < 0 ||
	    (ret = spec_get_str(doc, doc->root, "name", 1, &pname, err)) < 0)
		goto out;
	p->name = xstrdup(pname);
	if (!valid_name(pname)) {
		ret = spec_error(doc, spec_get(doc->root, "name"), MLOPS_EINPUT,
				 err, "'%s' is not a valid pipeline name",
				 pname);
		goto out;
	}
	steps = spec_get(doc->root, "steps");
	if (!steps) {
		ret = spec_error(doc, doc->root, MLOPS_EINPUT, err,
				 "missing required key 'steps'");
		goto out;
	}
	if ((ret = spec_expect(doc, steps, SPEC_SEQ, "'steps'", err)) < 0 ||
	    (ret = load_params(doc, doc->root, &p->params, &p->nparams,
			       err)) < 0 ||
	    (ret = get_env(doc, doc->root, &p->env, &p->nenv, err)) < 0)
		goto out;
	if (steps->n == 0) {
		ret = spec_error(doc, steps, MLOPS_EINPUT, err,
				 "'steps' is empty");
		goto out;
	}
	p->steps = xcalloc(steps->n, sizeof(*p->steps));
	ld.src = xcalloc(steps->n, sizeof(*ld.src));
	for (size_t i = 0; i < steps->n && ret == 0; i++) {
		ret = load_step(&ld, doc, steps->items[i], &p->steps[i],
				&ld.src[i]);
		p->nsteps++;
	}
	if (ret == 0)
		ret = apply_overrides(p, overrides, noverrides, err);
	if (ret == 0)
		ret = resolve_needs(&ld);
	if (ret == 0)
		ret = order_steps(&ld);
	if (ret == 0)
		ret = split_features(&ld);
	if (ret == 0)
		ret = check_paths(&ld);
	if (ret == 0)
		ret = check_refs(&ld);
out:
	for (size_t i = 0; i < ld.ntemplates; i++)
		spec_free(ld.templates[i]);
	free(ld.templates);
	free(ld.src);
	spec_free(doc);
	if (ret < 0) {
		pipeline_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

int pipeline_load_file(struct pipeline **out, const char *path,
		       char *const *overrides, size_t noverrides,
		       struct mlops_err *err)
{
	struct buf content = BUF_INIT;
	char *dir = fs_path_dirname(path);
	int ret = buf_read_file(&content, path, MLOPS_MAX_SPEC, err);

	if (ret == 0)
		ret = pipeline_load_mem(out, content.s, content.len, path, dir,
					overrides, noverrides, err);
	buf_release(&content);
	free(dir);
	return ret;
}
