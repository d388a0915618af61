/* stack.c - a stack file (man 5 mlops-stack) loaded into the resources it
 * declares: its includes first (later files override earlier ones, key
 * by key for an endpoint or a schedule, whole for a feature group), then
 * the file itself, then the overlay of the chosen environment.
 *
 * Every file and every overlay is validated, the overlays of other
 * environments included, before the caller looks at a store: a bad stack
 * fails with FILE:LINE:COL and changes nothing. Each setting is parsed
 * into its canonical JSON form as it is read, so that a later file's
 * value replaces an earlier one's and an error names the file that holds
 * it. Limits: includes nest at most IAC_STACK_MAX_DEPTH deep (which also
 * stops include cycles). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "core/jsonio.h"
#include "core/bounds.h"
#include "core/parse.h"
#include "core/spec.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "feature/feature.h"
#include "governance/governance.h"
#include "iac/iac.h"

#define IAC_STACK_MAX_DEPTH 16

/* One resource while the files are merged. */
struct entry {
	struct iac_resource r;
	const struct spec_doc *doc;	/* where it was first declared */
	const struct spec_node *at;
	struct deploy_endpoint_settings set;	/* IAC_ENDPOINT */
};

struct entries {
	size_t n, alloc;
	struct entry *v;
};

struct overlay {
	const struct spec_doc *doc;
	const struct spec_node *key, *map;
};

struct loader {
	size_t ndocs, adocs;
	struct spec_doc **docs;	/* every file, alive until the end */
	size_t nov, aov;
	struct overlay *ov;
	const char *environment;	/* the stack's, borrowed from a doc */
};

static void entry_release(struct entry *e)
{
	free(e->r.name);
	json_decref(e->r.settings);
	free(e->r.where);
	feature_group_free(e->r.group);
	free(e->r.model);
}

static void entries_release(struct entries *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_release(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct entry *entry_get(struct entries *l, enum iac_kind kind,
			       const char *name, const struct spec_doc *doc,
			       const struct spec_node *at)
{
	struct entry *e;

	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].r.kind == kind && strcmp(l->v[i].r.name, name) == 0)
			return &l->v[i];
	ALLOC_GROW(l->v, l->n + 1, l->alloc);
	e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	e->r.kind = kind;
	e->r.name = xstrdup(name);
	e->r.settings = json_object();
	e->r.where = xasprintf("%s:%d:%d", doc->name, at->line, at->col);
	e->doc = doc;
	e->at = at;
	deploy_endpoint_settings_default(&e->set);
	return e;
}

char *iac_stack_duration(int64_t us)
{
	static const struct {
		const char *unit;
		int64_t us;
	} units[] = {
		{ "d", 86400 * TIME_US_PER_SEC }, { "h", 3600 * TIME_US_PER_SEC },
		{ "m", 60 * TIME_US_PER_SEC }, { "s", TIME_US_PER_SEC },
		{ "ms", 1000 }
	};

	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (us != 0 && us % units[i].us == 0)
			return xasprintf("%lld%s", (long long)(us /
					 units[i].us), units[i].unit);
	return xasprintf("%lldus", (long long)us);
}

json_t *iac_stack_group_settings(const struct feature_group *g)
{
	json_t *features = json_array();
	json_t *s;

	for (size_t i = 0; i < g->nfeatures; i++)
		json_array_append_new(features, json_pack("{s:s,s:s}",
			"name", g->features[i].name,
			"type", feature_group_type_name(g->features[i].type)));
	s = json_pack("{s:s,s:s,s:s,s:o,s:b,s:b}",
		      "description", g->description,
		      "record_identifier", g->features[g->id_index].name,
		      "event_time", g->features[g->time_index].name,
		      "features", features, "online", g->online,
		      "offline", g->offline);
	if (g->ttl_us > 0) {
		char *ttl = iac_stack_duration(g->ttl_us);

		json_object_set_new(s, "ttl", json_string(ttl));
		free(ttl);
	}
	return s;
}

/* A path of the stack, relative to the file that names it. */
static char *stack_path(const struct spec_doc *doc, const char *p)
{
	char *dir, *joined;

	if (p[0] == '/')
		return xstrdup(p);
	dir = fs_path_dirname(doc->name);
	joined = fs_path_join(dir, p);
	free(dir);
	return joined;
}

static int add_group(struct entries *l, const struct spec_doc *doc,
		     const struct spec_node *item, struct mlops_err *err)
{
	struct feature_group *g = NULL;
	struct entry *e;
	int ret;

	if (item->kind == SPEC_SCALAR) {
		char *path = stack_path(doc, item->value);

		if (!fs_exists(path) || fs_is_dir(path)) {
			ret = spec_error(doc, item, MLOPS_EINPUT, err,
					 "feature group file '%s' %s", path,
					 fs_exists(path) ? "is a directory" :
					 "does not exist");
			free(path);
			return ret;
		}
		ret = feature_group_load_yaml(&g, path, err);
		free(path);
	} else {
		ret = feature_group_load_spec(&g, doc, item, err);
	}
	if (ret < 0)
		return ret;
	e = entry_get(l, IAC_FEATURE_GROUP, g->name, doc, item);
	feature_group_free(e->r.group);
	e->r.group = g;
	json_decref(e->r.settings);
	e->r.settings = iac_stack_group_settings(g);
	return 0;
}

/* A setting's value refused by a parser: sub's message at v, after
 * "KEY: " unless the message starts with the key already (parse_*
 * name what they parse). */
static int setting_error(const struct spec_doc *doc,
			 const struct spec_node *v, const char *key,
			 struct mlops_err *sub, struct mlops_err *err)
{
	size_t n = strlen(key);

	if (strncmp(sub->msg, key, n) == 0 && sub->msg[n] == ':')
		return spec_error(doc, v, MLOPS_EINPUT, err, "%s", sub->msg);
	return spec_error(doc, v, MLOPS_EINPUT, err, "%s: %s", key, sub->msg);
}

/* One setting of an endpoint, parsed into e->set and e's settings. */
static int endpoint_key(struct entry *e, const struct spec_doc *doc,
			const char *key, const struct spec_node *v,
			struct mlops_err *err)
{
	struct deploy_endpoint_settings *s = &e->set;
	struct mlops_err sub = MLOPS_ERR_INIT;
	int64_t n;
	int b;

	if (v->kind != SPEC_SCALAR)
		return spec_error(doc, v, MLOPS_EINPUT, err, "%s must be a "
				  "scalar", key);
	if (strcmp(key, "model") == 0) {
		free(e->r.model);
		e->r.model = xstrdup(v->value);
		return 0;
	}
	if (strcmp(key, "allow_unapproved") == 0) {
		if ((b = spec_scalar_bool(v->value)) < 0)
			return spec_error(doc, v, MLOPS_EINPUT, err, "%s must "
					  "be true or false", key);
		e->r.allow_unapproved = b;
		return 0;
	}
	if (strcmp(key, "max_concurrency") == 0 ||
	    strcmp(key, "memory") == 0 || strcmp(key, "provisioned") == 0) {
		if (parse_int64(v->value, 0, 1000000, &n, key, &sub) < 0)
			return setting_error(doc, v, key, &sub, err);
		if (key[1] == 'a')
			s->max_concurrency = (int)n;
		else if (key[1] == 'e')
			s->memory_mb = (int)n;
		else
			s->provisioned = (int)n;
		return 0;
	}
	if (strcmp(key, "idle_timeout") == 0 || strcmp(key, "timeout") == 0) {
		if (time_parse_duration(v->value, key[0] == 'i' ?
					&s->idle_timeout_us : &s->timeout_us,
					&sub) < 0)
			return setting_error(doc, v, key, &sub, err);
		return 0;
	}
	if (strcmp(key, "capture") == 0) {
		if (parse_double(v->value, &s->capture_pct, key, &sub) < 0)
			return setting_error(doc, v, key, &sub, err);
		return 0;
	}
	if (parse_size(v->value, &s->max_payload, key, &sub) < 0)
		return setting_error(doc, v, key, &sub, err);
	return 0;
}

/* One setting of a schedule, canonical in e's settings. */
static int schedule_key(struct entry *e, const struct spec_doc *doc,
			const char *key, const struct spec_node *v,
			struct mlops_err *err)
{
	struct mlops_err sub = MLOPS_ERR_INIT;
	json_t *val;

	if (v->kind != SPEC_SCALAR)
		return spec_error(doc, v, MLOPS_EINPUT, err, "%s must be a "
				  "scalar", key);
	if (strcmp(key, "every") == 0) {
		int64_t us;
		char *d;

		if (time_parse_duration(v->value, &us, &sub) < 0)
			return setting_error(doc, v, key, &sub, err);
		if (us < 60 * TIME_US_PER_SEC)
			return spec_error(doc, v, MLOPS_EINPUT, err, "every: "
					  "'%s' is shorter than a minute",
					  v->value);
		d = iac_stack_duration(us);
		val = json_string(d);
		free(d);
	} else if (strcmp(key, "threshold") == 0) {
		double x;

		if (parse_double(v->value, &x, key, &sub) < 0)
			return setting_error(doc, v, key, &sub, err);
		val = json_real(x);
	} else if (strcmp(key, "type") == 0) {
		if (strcmp(v->value, "data") != 0 &&
		    strcmp(v->value, "quality") != 0 &&
		    strcmp(v->value, "attribution") != 0)
			return spec_error(doc, v, MLOPS_EINPUT, err, "type "
					  "'%s' is not data, quality or "
					  "attribution", v->value);
		val = json_string(v->value);
	} else if (strcmp(key, "baseline") == 0 ||
		   strcmp(key, "labels") == 0) {
		/* A path relative to the stack file; a model version
		 * (GROUP/N) is kept as it is, as the CLI keeps it. */
		char *p = stack_path(doc, v->value);
		char *abs = NULL;

		if (v->value[0] == '/' || v->value[0] == '.' || fs_exists(p))
			abs = fs_path_absolute(p);
		val = json_string(abs ? abs : v->value);
		free(abs);
		free(p);
	} else {
		val = json_string(v->value);
	}
	json_object_set_new(e->r.settings, key, val);
	return 0;
}

/* Refuse a name given twice in one mapping (the sections' names are
 * the user's, so spec_check_keys has no list for them). */
static int no_duplicates(const struct spec_doc *doc,
			 const struct spec_node *map, struct mlops_err *err)
{
	for (size_t i = 0; i < map->n; i++)
		for (size_t j = 0; j < i; j++)
			if (strcmp(map->keys[j]->value, map->keys[i]->value)
			    == 0)
				return spec_error(doc, map->keys[i],
						  MLOPS_EINPUT, err, "'%s' is "
						  "given twice",
						  map->keys[i]->value);
	return 0;
}

/* A rule's pattern: the pattern's JSON text, or a file holding it
 * (relative to the stack file). */
static int rule_pattern(const struct spec_doc *doc, const struct spec_node *v,
			json_t **out, struct mlops_err *err)
{
	struct buf text = BUF_INIT;
	char *path;
	int ret;

	if (v->value[0] == '{') {
		/* A block scalar (several lines) starts on the line after
		 * its key; a quoted one on the key's line. */
		ret = jsonio_parse_at(out, v->value, strlen(v->value),
				      doc->name, strchr(v->value, '\n') ?
				      v->line + 1 : v->line, err);
		if (ret == 0 && (ret = governance_pattern_check(*out,
						doc->name, err)) < 0)
			json_decref(*out);
		return ret;
	}
	path = stack_path(doc, v->value);
	if (!fs_exists(path) || fs_is_dir(path))
		ret = spec_error(doc, v, MLOPS_EINPUT, err, "pattern file '%s' "
				 "%s", path, fs_exists(path) ? "is a directory" :
				 "does not exist");
	else if ((ret = buf_read_file(&text, path, MLOPS_MAX_SPEC,
					    err)) == 0)
		ret = governance_pattern_parse(out, text.s, text.len, path,
					       err);
	buf_release(&text);
	free(path);
	return ret;
}

/* A rule file's settings (from: FILE or a shipped rule's NAME). */
static int rule_from(struct entry *e, const struct spec_doc *doc,
		     const struct spec_node *v, struct mlops_err *err)
{
	struct mlops_err sub = MLOPS_ERR_INIT;
	struct governance_rule r;
	char *path = stack_path(doc, v->value);
	const char *arg = fs_exists(path) || strchr(v->value, '/') ? path :
		v->value;
	json_t *s = e->r.settings;
	char *backoff;
	int ret;

	governance_rule_init(&r);
	ret = governance_rule_load(&r, arg, &sub);
	free(path);
	if (ret < 0) {
		governance_rule_release(&r);
		return spec_error(doc, v, ret, err, "from: %s", sub.msg);
	}
	backoff = iac_stack_duration(r.backoff_us);
	json_object_set(s, "pattern", r.pattern);
	json_object_set_new(s, "target", json_string(r.target));
	json_object_set_new(s, "retries", json_integer(r.retries));
	json_object_set_new(s, "backoff", json_string(backoff));
	json_object_set_new(s, "enabled", json_boolean(r.enabled));
	if (r.description)
		json_object_set_new(s, "description",
				    json_string(r.description));
	free(backoff);
	governance_rule_release(&r);
	return 0;
}

/* One setting of an event rule, canonical in e's settings; "from" is
 * read first, so that the other keys override the rule file's. */
static int rule_key(struct entry *e, const struct spec_doc *doc,
		    const char *key, const struct spec_node *v,
		    struct mlops_err *err)
{
	struct mlops_err sub = MLOPS_ERR_INIT;
	json_t *val = NULL;
	int64_t n;
	int ret, b;

	if (v->kind != SPEC_SCALAR)
		return spec_error(doc, v, MLOPS_EINPUT, err, "%s must be a "
				  "scalar (a pattern is a file or its JSON "
				  "text)", key);
	if (strcmp(key, "from") == 0)
		return rule_from(e, doc, v, err);
	if (strcmp(key, "pattern") == 0) {
		if ((ret = rule_pattern(doc, v, &val, err)) < 0)
			return ret;
	} else if (strcmp(key, "retries") == 0) {
		if (parse_int64(v->value, 0, 100, &n, key, &sub) < 0)
			return setting_error(doc, v, key, &sub, err);
		val = json_integer(n);
	} else if (strcmp(key, "backoff") == 0) {
		char *d;

		if (time_parse_duration(v->value, &n, &sub) < 0)
			return setting_error(doc, v, key, &sub, err);
		d = iac_stack_duration(n);
		val = json_string(d);
		free(d);
	} else if (strcmp(key, "enabled") == 0) {
		if ((b = spec_scalar_bool(v->value)) < 0)
			return spec_error(doc, v, MLOPS_EINPUT, err, "enabled "
					  "must be true or false");
		val = json_boolean(b);
	} else {
		val = json_string(v->value);
	}
	json_object_set_new(e->r.settings, key, val);
	return 0;
}

static int add_named(struct entries *l, enum iac_kind kind,
		     const struct spec_doc *doc, const struct spec_node *map,
		     struct mlops_err *err)
{
	static const char *const endpoint_keys[] = { "model",
		"allow_unapproved", "max_concurrency", "memory", "provisioned",
		"idle_timeout", "timeout", "capture", "max_payload", NULL };
	static const char *const schedule_keys[] = { "endpoint", "baseline",
		"every", "type", "labels", "problem", "threshold", NULL };
	static const char *const rule_keys[] = { "from", "pattern", "target",
		"retries", "backoff", "enabled", "description", NULL };
	const char *const *keys = kind == IAC_ENDPOINT ? endpoint_keys :
		kind == IAC_SCHEDULE ? schedule_keys : rule_keys;
	const char *what = kind == IAC_ENDPOINT ? "'endpoints'" :
		kind == IAC_SCHEDULE ? "'monitoring'" : "'rules'";
	int ret;

	if ((ret = spec_expect(doc, map, SPEC_MAP, what, err)) < 0 ||
	    (ret = no_duplicates(doc, map, err)) < 0)
		return ret;
	for (size_t i = 0; i < map->n; i++) {
		const struct spec_node *k = map->keys[i], *v = map->items[i];
		struct entry *e;

		if (kind == IAC_ENDPOINT ?
		    !deploy_endpoint_valid_name(k->value) :
		    kind == IAC_SCHEDULE ?
		    !feature_group_valid_name(k->value) : !k->value[0])
			return spec_error(doc, k, MLOPS_EINPUT, err, "'%s' is "
					  "not a valid %s name", k->value,
					  iac_kind_name(kind));
		if ((ret = spec_expect(doc, v, SPEC_MAP, k->value, err)) < 0 ||
		    (ret = spec_check_keys(doc, v, keys, err)) < 0)
			return ret;
		e = entry_get(l, kind, k->value, doc, k);
		if (kind == IAC_RULE && spec_get(v, "from") &&
		    (ret = rule_key(e, doc, "from", spec_get(v, "from"),
				    err)) < 0)
			return ret;
		for (size_t j = 0; j < v->n; j++) {
			const char *key = v->keys[j]->value;

			if (kind == IAC_ENDPOINT)
				ret = endpoint_key(e, doc, key, v->items[j],
						   err);
			else if (kind == IAC_SCHEDULE)
				ret = schedule_key(e, doc, key, v->items[j],
						   err);
			else if (strcmp(key, "from") != 0)
				ret = rule_key(e, doc, key, v->items[j], err);
			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/* remotes: {NAME: PATH}, a path relative to the stack file (which plan
 * resolves to the .mlops directory, as `mlops remote add` does). */
static int add_remotes(struct entries *l, const struct spec_doc *doc,
		       const struct spec_node *map, struct mlops_err *err)
{
	int ret;

	if ((ret = spec_expect(doc, map, SPEC_MAP, "'remotes'", err)) < 0 ||
	    (ret = no_duplicates(doc, map, err)) < 0)
		return ret;
	for (size_t i = 0; i < map->n; i++) {
		const struct spec_node *k = map->keys[i], *v = map->items[i];
		struct entry *e;
		char *p, *abs;

		if (!governance_remote_valid_name(k->value))
			return spec_error(doc, k, MLOPS_EINPUT, err, "'%s' is "
					  "not a valid remote name", k->value);
		if ((ret = spec_expect(doc, v, SPEC_SCALAR, "a remote's path",
				       err)) < 0)
			return ret;
		e = entry_get(l, IAC_REMOTE, k->value, doc, k);
		p = stack_path(doc, v->value);
		abs = fs_path_absolute(p);
		json_object_set_new(e->r.settings, "path", json_string(abs));
		free(abs);
		free(p);
	}
	return 0;
}

/* map[key], or NULL when absent or left empty ("endpoints:" alone, or
 * ~ or null): an empty section declares nothing. */
static const struct spec_node *section(const struct spec_node *map,
				       const char *key)
{
	const struct spec_node *v = spec_get(map, key);

	if (v && v->kind == SPEC_SCALAR && v->plain &&
	    (!v->value[0] || strcmp(v->value, "~") == 0 ||
	     strcmp(v->value, "null") == 0))
		return NULL;
	return v;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* roles: {grants: {USER: PERSONA or [PERSONA, ...]}}: each user's
 * personas, as a sorted list without repeats. */
static int add_roles(struct entries *l, const struct spec_doc *doc,
		     const struct spec_node *map, struct mlops_err *err)
{
	static const char *const keys[] = { "grants", NULL };
	const struct spec_node *g;
	int ret;

	if ((ret = spec_expect(doc, map, SPEC_MAP, "'roles'", err)) < 0 ||
	    (ret = spec_check_keys(doc, map, keys, err)) < 0)
		return ret;
	if (!(g = section(map, "grants")))
		return 0;
	if ((ret = spec_expect(doc, g, SPEC_MAP, "'grants'", err)) < 0 ||
	    (ret = no_duplicates(doc, g, err)) < 0)
		return ret;
	for (size_t i = 0; i < g->n; i++) {
		const struct spec_node *k = g->keys[i], *v = g->items[i];
		const struct spec_node *const *items = &v;
		size_t n = 1, m = 0;
		json_t **names;
		json_t *list = json_array();
		struct entry *e;

		if (!k->value[0])
			return spec_error(doc, k, MLOPS_EINPUT, err, "a grant "
					  "needs a user");
		if (v->kind == SPEC_SEQ) {
			items = (const struct spec_node *const *)v->items;
			n = v->n;
		}
		names = xcalloc(n + 1, sizeof(*names));
		for (size_t j = 0; j < n; j++) {
			if (items[j]->kind != SPEC_SCALAR ||
			    !items[j]->value[0]) {
				for (size_t x = 0; x < m; x++)
					json_decref(names[x]);
				free(names);
				json_decref(list);
				return spec_error(doc, items[j], MLOPS_EINPUT,
						  err, "a grant names a persona "
						  "or a list of personas");
			}
			names[m++] = json_string(items[j]->value);
		}
		qsort(names, m, sizeof(*names), cmp_json_str);
		for (size_t j = 0; j < m; j++)
			if (j == 0 || !json_equal(names[j], names[j - 1]))
				json_array_append(list, names[j]);
		for (size_t j = 0; j < m; j++)
			json_decref(names[j]);
		free(names);
		e = entry_get(l, IAC_GRANT, k->value, doc, k);
		json_object_set_new(e->r.settings, "personas", list);
	}
	return 0;
}

/* The resource sections of a file or an overlay. */
static int add_sections(struct entries *l, const struct spec_doc *doc,
			const struct spec_node *map, struct mlops_err *err)
{
	const struct spec_node *v;
	int ret;

	if ((v = section(map, "feature_groups"))) {
		if ((ret = spec_expect(doc, v, SPEC_SEQ, "'feature_groups'",
				       err)) < 0)
			return ret;
		for (size_t i = 0; i < v->n; i++)
			if ((ret = add_group(l, doc, v->items[i], err)) < 0)
				return ret;
	}
	if ((v = section(map, "endpoints")) &&
	    (ret = add_named(l, IAC_ENDPOINT, doc, v, err)) < 0)
		return ret;
	if ((v = section(map, "monitoring")) &&
	    (ret = add_named(l, IAC_SCHEDULE, doc, v, err)) < 0)
		return ret;
	if ((v = section(map, "rules")) &&
	    (ret = add_named(l, IAC_RULE, doc, v, err)) < 0)
		return ret;
	if ((v = section(map, "roles")) &&
	    (ret = add_roles(l, doc, v, err)) < 0)
		return ret;
	if ((v = section(map, "remotes")) &&
	    (ret = add_remotes(l, doc, v, err)) < 0)
		return ret;
	return 0;
}

static int load_file(struct loader *ld, struct entries *l, const char *path,
		     const struct spec_doc *from, const struct spec_node *at,
		     int depth, struct mlops_err *err)
{
	static const char *const keys[] = { "environment", "include",
		"feature_groups", "endpoints", "monitoring", "rules", "roles",
		"remotes", "overlays", NULL };
	static const char *const overlay_keys[] = { "feature_groups",
		"endpoints", "monitoring", "rules", "roles", "remotes", NULL };
	struct mlops_err sub = MLOPS_ERR_INIT;
	struct spec_doc *doc = NULL;
	const struct spec_node *root, *v;
	int ret;

	if (from && depth > IAC_STACK_MAX_DEPTH)
		return spec_error(from, at, MLOPS_EINPUT, err, "includes nest "
				  "deeper than %d (a cycle?)",
				  IAC_STACK_MAX_DEPTH);
	if (from && !fs_exists(path))
		return spec_error(from, at, MLOPS_EINPUT, err, "included file "
				  "'%s' does not exist", path);
	if ((ret = spec_load_file(&doc, path, from ? &sub : err)) < 0)
		return from ? spec_error(from, at, ret, err, "include: %s",
					 sub.msg) : ret;
	ALLOC_GROW(ld->docs, ld->ndocs + 1, ld->adocs);
	ld->docs[ld->ndocs++] = doc;
	root = doc->root;
	if ((ret = spec_expect(doc, root, SPEC_MAP, "a stack", err)) < 0 ||
	    (ret = spec_check_keys(doc, root, keys, err)) < 0)
		return ret;
	if ((v = spec_get(root, "include"))) {
		if ((ret = spec_expect(doc, v, SPEC_SEQ, "'include'", err)) < 0)
			return ret;
		for (size_t i = 0; i < v->n; i++) {
			char *p;

			if ((ret = spec_expect(doc, v->items[i], SPEC_SCALAR,
					       "an included file", err)) < 0)
				return ret;
			p = stack_path(doc, v->items[i]->value);
			ret = load_file(ld, l, p, doc, v->items[i], depth + 1,
					err);
			free(p);
			if (ret < 0)
				return ret;
		}
	}
	if ((ret = spec_get_str(doc, root, "environment", 0, &ld->environment,
				err)) < 0 ||
	    (ret = add_sections(l, doc, root, err)) < 0)
		return ret;
	if (!(v = spec_get(root, "overlays")))
		return 0;
	if ((ret = spec_expect(doc, v, SPEC_MAP, "'overlays'", err)) < 0 ||
	    (ret = no_duplicates(doc, v, err)) < 0)
		return ret;
	for (size_t i = 0; i < v->n; i++) {
		if ((ret = spec_expect(doc, v->items[i], SPEC_MAP, "an overlay",
				       err)) < 0 ||
		    (ret = spec_check_keys(doc, v->items[i], overlay_keys,
					   err)) < 0)
			return ret;
		ALLOC_GROW(ld->ov, ld->nov + 1, ld->aov);
		ld->ov[ld->nov].doc = doc;
		ld->ov[ld->nov].key = v->keys[i];
		ld->ov[ld->nov++].map = v->items[i];
	}
	return 0;
}

/* What a merged entry needs as a whole: a model, settings in range, an
 * endpoint and a baseline. */
static int finish_entry(struct entry *e, struct mlops_err *err)
{
	struct mlops_err sub = MLOPS_ERR_INIT;
	json_t *s = e->r.settings;
	char *d;

	switch (e->r.kind) {
	case IAC_FEATURE_GROUP:
	case IAC_GRANT:
	case IAC_REMOTE:
		return 0;
	case IAC_ENDPOINT:
		if (!e->r.model)
			return spec_error(e->doc, e->at, MLOPS_EINPUT, err,
					  "endpoint '%s' has no model",
					  e->r.name);
		if (deploy_endpoint_settings_check(&e->set, &sub) < 0)
			return spec_error(e->doc, e->at, MLOPS_EINPUT, err,
					  "endpoint '%s': %s", e->r.name,
					  sub.msg);
		json_object_set_new(s, "model", json_string(e->r.model));
		json_object_set_new(s, "max_concurrency",
				    json_integer(e->set.max_concurrency));
		json_object_set_new(s, "memory",
				    json_integer(e->set.memory_mb));
		json_object_set_new(s, "provisioned",
				    json_integer(e->set.provisioned));
		d = iac_stack_duration(e->set.idle_timeout_us);
		json_object_set_new(s, "idle_timeout", json_string(d));
		free(d);
		d = iac_stack_duration(e->set.timeout_us);
		json_object_set_new(s, "timeout", json_string(d));
		free(d);
		json_object_set_new(s, "capture",
				    json_real(e->set.capture_pct));
		json_object_set_new(s, "max_payload",
				    json_integer((json_int_t)
						 e->set.max_payload));
		return 0;
	case IAC_RULE:
		if (!json_object_get(s, "pattern") ||
		    !json_object_get(s, "target"))
			return spec_error(e->doc, e->at, MLOPS_EINPUT, err,
					  "rule '%s' needs a pattern and a "
					  "target (or from: a rule file)",
					  e->r.name);
		if (!json_object_get(s, "retries"))
			json_object_set_new(s, "retries",
				json_integer(GOVERNANCE_RULE_RETRIES));
		if (!json_object_get(s, "backoff")) {
			d = iac_stack_duration(GOVERNANCE_RULE_BACKOFF_US);
			json_object_set_new(s, "backoff", json_string(d));
			free(d);
		}
		if (!json_object_get(s, "enabled"))
			json_object_set_new(s, "enabled", json_true());
		return 0;
	default:	/* IAC_SCHEDULE */
		if (!json_object_get(s, "endpoint") ||
		    !json_object_get(s, "baseline"))
			return spec_error(e->doc, e->at, MLOPS_EINPUT, err,
					  "schedule '%s' needs an endpoint and "
					  "a baseline", e->r.name);
		if (!json_object_get(s, "every"))
			json_object_set_new(s, "every", json_string("1h"));
		if (!json_object_get(s, "type"))
			json_object_set_new(s, "type", json_string("data"));
		return 0;
	}
}

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->r.kind != y->r.kind)
		return (int)x->r.kind - (int)y->r.kind;
	return strcmp(x->r.name, y->r.name);
}

int iac_stack_load(struct iac_stack **out, const char *path,
		   const char *env, const char *st_env, struct mlops_err *err)
{
	struct loader ld = { 0 };
	struct entries l = { 0 }, scratch = { 0 };
	struct iac_stack *s;
	int ret = load_file(&ld, &l, path, NULL, NULL, 0, err);

	if (!env)
		env = ld.environment ? ld.environment : st_env;
	/* Every overlay is validated; only the chosen one counts. */
	for (size_t i = 0; ret == 0 && i < ld.nov; i++) {
		const struct overlay *o = &ld.ov[i];
		int mine = env && strcmp(o->key->value, env) == 0;

		ret = add_sections(mine ? &l : &scratch, o->doc, o->map, err);
	}
	for (size_t i = 0; ret == 0 && i < l.n; i++)
		ret = finish_entry(&l.v[i], err);
	entries_release(&scratch);
	if (ret == 0) {
		if (l.n)
			qsort(l.v, l.n, sizeof(*l.v), cmp_entry);
		s = xcalloc(1, sizeof(*s));
		s->environment = env ? xstrdup(env) : NULL;
		s->n = l.n;
		s->res = xcalloc(l.n + 1, sizeof(*s->res));
		for (size_t i = 0; i < l.n; i++)
			s->res[i] = l.v[i].r;
		free(l.v);
		*out = s;
	} else {
		entries_release(&l);
	}
	for (size_t i = 0; i < ld.ndocs; i++)
		spec_free(ld.docs[i]);
	free(ld.docs);
	free(ld.ov);
	return ret;
}

void iac_stack_free(struct iac_stack *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct entry e = { .r = s->res[i] };

		entry_release(&e);
	}
	free(s->res);
	free(s->environment);
	free(s);
}
