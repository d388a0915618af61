/* group.c - feature group definitions: YAML loading and validation,
 * canonical JSON, value type checks and the online record packing. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "feature/feature.h"
#include "core/spec.h"
#include "core/time.h"
#include "core/xalloc.h"

const char *const feature_group_reserved_names[] = {
	"write_time", "api_invocation_time", "is_deleted",
	"year", "month", "day", "hour", NULL
};

static const char *const type_names[] = { "integral", "fractional",
					  "string" };

const char *feature_group_type_name(enum feature_group_type t)
{
	return type_names[t];
}

static int ftype_parse(const char *s, enum feature_group_type *out)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(*type_names); i++)
		if (strcmp(s, type_names[i]) == 0) {
			*out = (enum feature_group_type)i;
			return 0;
		}
	return -1;
}

int feature_group_valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' &&
		    s[i] != '-')
			return 0;
	return 1;
}

void feature_group_free(struct feature_group *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nfeatures; i++)
		free(g->features[i].name);
	free(g->features);
	free(g->name);
	free(g->description);
	free(g);
}

int feature_group_find(const struct feature_group *g, const char *name)
{
	for (size_t i = 0; i < g->nfeatures; i++)
		if (strcmp(g->features[i].name, name) == 0)
			return (int)i;
	return -1;
}

static int is_reserved(const char *name)
{
	for (const char *const *r = feature_group_reserved_names; *r; r++)
		if (strcmp(*r, name) == 0)
			return 1;
	return 0;
}

/* Read the features: list into g, checking names, types and duplicates. */
static int load_features(struct feature_group *g, const struct spec_doc *doc,
			 const struct spec_node *list, struct mlops_err *err)
{
	static const char *const keys[] = { "name", "type", NULL };
	int ret;

	if ((ret = spec_expect(doc, list, SPEC_SEQ, "'features'", err)) < 0)
		return ret;
	if (list->n == 0)
		return spec_error(doc, list, MLOPS_EINPUT, err,
				  "'features' must list at least one feature");
	g->features = xcalloc(list->n, sizeof(*g->features));
	for (size_t i = 0; i < list->n; i++) {
		const struct spec_node *f = list->items[i];
		const char *name = NULL, *type = NULL;
		struct spec_node *type_node;

		if ((ret = spec_expect(doc, f, SPEC_MAP, "a feature",
				       err)) < 0 ||
		    (ret = spec_check_keys(doc, f, keys, err)) < 0 ||
		    (ret = spec_get_str(doc, f, "name", 1, &name, err)) < 0 ||
		    (ret = spec_get_str(doc, f, "type", 1, &type, err)) < 0)
			return ret;
		if (!feature_group_valid_name(name))
			return spec_error(doc, spec_get(f, "name"),
					  MLOPS_EINPUT, err,
					  "feature name '%s' must be a letter "
					  "or digit, then up to 63 letters, "
					  "digits, '_' or '-'", name);
		if (is_reserved(name))
			return spec_error(doc, spec_get(f, "name"),
					  MLOPS_EINPUT, err,
					  "feature name '%s' is reserved for "
					  "the offline store", name);
		if (feature_group_find(g, name) >= 0)
			return spec_error(doc, spec_get(f, "name"),
					  MLOPS_EINPUT, err,
					  "duplicate feature name '%s'", name);
		type_node = spec_get(f, "type");
		if (ftype_parse(type, &g->features[i].type) < 0)
			return spec_error(doc, type_node, MLOPS_EINPUT, err,
					  "unknown type '%s' of feature '%s' "
					  "(integral, fractional or string)",
					  type, name);
		g->features[i].name = xstrdup(name);
		g->nfeatures++;
	}
	return 0;
}

/* Find the feature a role key (record_identifier, event_time) names. */
static int find_role(const struct feature_group *g, const struct spec_doc *doc,
		     const struct spec_node *root, const char *key,
		     size_t *out, struct mlops_err *err)
{
	const char *name = NULL;
	int ret, i;

	if ((ret = spec_get_str(doc, root, key, 1, &name, err)) < 0)
		return ret;
	if ((i = feature_group_find(g, name)) < 0)
		return spec_error(doc, spec_get(root, key), MLOPS_EINPUT, err,
				  "%s '%s' is not among the features", key,
				  name);
	*out = (size_t)i;
	return 0;
}

static int from_spec(struct feature_group *g, const struct spec_doc *doc,
		     const struct spec_node *root, struct mlops_err *err)
{
	static const char *const keys[] = {
		"name", "description", "record_identifier", "event_time",
		"features", "ttl", "online", "offline", NULL
	};
	const char *name = NULL, *desc = "", *ttl = NULL;
	struct spec_node *features;
	int ret;

	if ((ret = spec_expect(doc, root, SPEC_MAP, "a feature group", err))
	    < 0 || (ret = spec_check_keys(doc, root, keys, err)) < 0 ||
	    (ret = spec_get_str(doc, root, "name", 1, &name, err)) < 0 ||
	    (ret = spec_get_str(doc, root, "description", 0, &desc, err)) < 0
	    || (ret = spec_get_str(doc, root, "ttl", 0, &ttl, err)) < 0 ||
	    (ret = spec_get_bool(doc, root, "online", 0, &g->online, err)) < 0
	    || (ret = spec_get_bool(doc, root, "offline", 0, &g->offline,
				    err)) < 0)
		return ret;
	if (!feature_group_valid_name(name))
		return spec_error(doc, spec_get(root, "name"), MLOPS_EINPUT,
				  err, "group name '%s' must be a letter or "
				  "digit, then up to 63 letters, digits, '_' "
				  "or '-'", name);
	g->name = xstrdup(name);
	g->description = xstrdup(desc);
	features = spec_get(root, "features");
	if (!features)
		return spec_error(doc, root, MLOPS_EINPUT, err,
				  "missing required key 'features'");
	if ((ret = load_features(g, doc, features, err)) < 0 ||
	    (ret = find_role(g, doc, root, "record_identifier", &g->id_index,
			     err)) < 0 ||
	    (ret = find_role(g, doc, root, "event_time", &g->time_index,
			     err)) < 0)
		return ret;
	if (g->id_index == g->time_index)
		return spec_error(doc, spec_get(root, "event_time"),
				  MLOPS_EINPUT, err, "event_time must not be "
				  "the record_identifier");
	if (g->features[g->id_index].type == FEATURE_GROUP_FRACTIONAL)
		return spec_error(doc, spec_get(root, "record_identifier"),
				  MLOPS_EINPUT, err, "record_identifier '%s' "
				  "must be a string or integral",
				  g->features[g->id_index].name);
	if (ttl) {
		struct mlops_err terr = MLOPS_ERR_INIT;

		if (time_parse_duration(ttl, &g->ttl_us, &terr) < 0 ||
		    g->ttl_us <= 0)
			return spec_error(doc, spec_get(root, "ttl"),
					  MLOPS_EINPUT, err, "ttl '%s' is not "
					  "a positive duration (30s, 10m, 2h, "
					  "30d, 1w)", ttl);
	}
	if (!g->online && !g->offline)
		return spec_error(doc, root, MLOPS_EINPUT, err,
				  "online and offline are both false: the "
				  "group would keep nothing");
	return 0;
}

static struct feature_group *fgroup_new(void)
{
	struct feature_group *g = xcalloc(1, sizeof(*g));

	g->online = 1;
	g->offline = 1;
	return g;
}

/* Validate a loaded document into *out; frees doc. */
static int from_doc(struct feature_group **out, struct spec_doc *doc,
		    struct mlops_err *err)
{
	int ret = feature_group_load_spec(out, doc, doc->root, err);

	spec_free(doc);
	return ret;
}

int feature_group_load_spec(struct feature_group **out,
			    const struct spec_doc *doc,
			    const struct spec_node *node, struct mlops_err *err)
{
	struct feature_group *g = fgroup_new();
	int ret = from_spec(g, doc, node, err);

	if (ret < 0) {
		feature_group_free(g);
		return ret;
	}
	*out = g;
	return 0;
}

int feature_group_load_yaml_mem(struct feature_group **out, const char *data,
				size_t len, const char *name,
				struct mlops_err *err)
{
	struct spec_doc *doc = NULL;
	int ret = spec_load_mem(&doc, data, len, name, err);

	return ret < 0 ? ret : from_doc(out, doc, err);
}

int feature_group_load_yaml(struct feature_group **out, const char *path,
		     struct mlops_err *err)
{
	struct spec_doc *doc = NULL;
	int ret = spec_load_file(&doc, path, err);

	return ret < 0 ? ret : from_doc(out, doc, err);
}

json_t *feature_group_to_json(const struct feature_group *g)
{
	json_t *features = json_array();

	for (size_t i = 0; i < g->nfeatures; i++)
		json_array_append_new(features, json_pack("{s:s,s:s}",
			"name", g->features[i].name,
			"type", feature_group_type_name(g->features[i].type)));
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:I,s:b,s:b}",
			 "name", g->name, "description", g->description,
			 "record_identifier", g->features[g->id_index].name,
			 "event_time", g->features[g->time_index].name,
			 "features", features, "ttl_us", (json_int_t)g->ttl_us,
			 "online", g->online, "offline", g->offline);
}

int feature_group_from_json(struct feature_group **out, const json_t *def,
		     struct mlops_err *err)
{
	struct feature_group *g = fgroup_new();
	const char *name = NULL, *desc = NULL, *rid = NULL, *et = NULL;
	json_t *features = NULL, *f;
	json_int_t ttl = 0;
	json_error_t jerr;
	size_t i;
	int id_i, time_i;

	if (json_unpack_ex((json_t *)def, &jerr, 0,
			   "{s:s,s:s,s:s,s:s,s:o,s:I,s:b,s:b}", "name", &name,
			   "description", &desc, "record_identifier", &rid,
			   "event_time", &et, "features", &features,
			   "ttl_us", &ttl, "online", &g->online,
			   "offline", &g->offline) < 0 ||
	    !json_is_array(features))
		goto damaged;
	g->name = xstrdup(name);
	g->description = xstrdup(desc);
	g->ttl_us = ttl;
	g->features = xcalloc(json_array_size(features) + 1,
			      sizeof(*g->features));
	json_array_foreach(features, i, f) {
		const char *fname = NULL, *ftype = NULL;

		if (json_unpack(f, "{s:s,s:s}", "name", &fname,
				"type", &ftype) < 0 ||
		    ftype_parse(ftype, &g->features[i].type) < 0)
			goto damaged;
		g->features[i].name = xstrdup(fname);
		g->nfeatures++;
	}
	id_i = feature_group_find(g, rid);
	time_i = feature_group_find(g, et);
	if (id_i < 0 || time_i < 0)
		goto damaged;
	g->id_index = (size_t)id_i;
	g->time_index = (size_t)time_i;
	*out = g;
	return 0;
damaged:
	mlops_err_set(err, MLOPS_EINTERNAL, "the stored definition of "
		      "feature group '%s' is damaged", name ? name : "?");
	feature_group_free(g);
	return MLOPS_EINTERNAL;
}

/* The event time's format follows its type, as in SageMaker: a string
 * is ISO 8601, an integral or fractional is Unix seconds. One format per
 * group keeps every offline file readable the same way: engines that
 * cast the column read the other format as NULL. */
static int check_event_time(const struct feature_group_def *f, const char *v,
			    struct mlops_err *err)
{
	int64_t t;

	if (f->type == FEATURE_GROUP_STRING) {
		if (time_parse_iso8601(v, &t) == 0)
			return 0;
		return mlops_err_set(err, MLOPS_EINPUT, "%s: \"%s\" is not "
				     "an ISO 8601 time such as "
				     "2026-01-31T12:00:00Z (the event time is "
				     "a string; Unix seconds need an integral "
				     "or fractional one)", f->name, v);
	}
	if (time_parse_unix(v, &t) == 0 &&
	    (f->type == FEATURE_GROUP_FRACTIONAL || !strchr(v, '.')))
		return 0;
	return mlops_err_set(err, MLOPS_EINPUT, "%s: \"%s\" is not Unix "
			     "seconds such as %s (the event time is %s)",
			     f->name, v, f->type == FEATURE_GROUP_INTEGRAL ?
			     "1769860800" : "1769860800.25",
			     feature_group_type_name(f->type));
}

int feature_group_check_value(const struct feature_group *g, size_t i,
			      const char *v, struct mlops_err *err)
{
	const struct feature_group_def *f = &g->features[i];
	char *end;

	if (!*v) {
		if (i == g->id_index || i == g->time_index)
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s: %s may not be missing",
					     f->name, i == g->id_index ?
					     "a record identifier" :
					     "an event time");
		return 0;
	}
	if (i == g->time_index)
		return check_event_time(f, v, err);
	errno = 0;
	switch (f->type) {
	case FEATURE_GROUP_INTEGRAL:
		(void)strtoll(v, &end, 10);
		if (end == v || *end || errno == ERANGE ||
		    isspace((unsigned char)*v))
			break;
		return 0;
	case FEATURE_GROUP_FRACTIONAL: {
		double d = strtod(v, &end);

		/* strtod also reads C's hex floats ("0x1p3"), which Spark,
		 * Trino and pandas do not: decimal only. */
		if (end == v || *end || errno == ERANGE || !isfinite(d) ||
		    isspace((unsigned char)*v) || strpbrk(v, "xX"))
			break;
		return 0;
	}
	case FEATURE_GROUP_STRING:
		return 0;
	}
	return mlops_err_set(err, MLOPS_EINPUT, "%s: \"%s\" is not %s %s",
			     f->name, v,
			     f->type == FEATURE_GROUP_INTEGRAL ? "an" : "a",
			     feature_group_type_name(f->type));
}

void feature_group_pack(struct buf *out, size_t n, char *const *values)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = values[i] ? strlen(values[i]) : 0;
		size_t v = len;

		do {
			buf_addch(out,
				  (int)((v & 0x7f) | (v > 0x7f ? 0x80 : 0)));
			v >>= 7;
		} while (v);
		if (len)
			buf_add(out, values[i], len);
	}
}

int feature_group_unpack(const void *data, size_t len, size_t n, char **values,
		  struct buf *scratch, struct mlops_err *err)
{
	const unsigned char *p = data, *end = p + len;
	size_t *offsets = xcalloc(n ? n : 1, sizeof(*offsets));

	buf_reset(scratch);
	for (size_t i = 0; i < n; i++) {
		size_t vlen = 0;
		int shift = 0;

		do {
			if (p >= end || shift > 56)
				goto damaged;
			vlen |= (size_t)(*p & 0x7f) << shift;
			shift += 7;
		} while (*p++ & 0x80);
		if ((size_t)(end - p) < vlen)
			goto damaged;
		offsets[i] = scratch->len;
		buf_add(scratch, p, vlen);
		buf_addch(scratch, '\0');
		p += vlen;
	}
	if (p != end)
		goto damaged;
	for (size_t i = 0; i < n; i++)
		values[i] = scratch->s + offsets[i];
	free(offsets);
	return 0;
damaged:
	free(offsets);
	return mlops_err_set(err, MLOPS_EINTERNAL,
			     "a stored online record is damaged");
}

json_t *feature_group_value_json(enum feature_group_type t, const char *v)
{
	if (!*v)
		return json_null();
	if (t == FEATURE_GROUP_INTEGRAL)
		return json_integer(strtoll(v, NULL, 10));
	if (t == FEATURE_GROUP_FRACTIONAL)
		return json_real(strtod(v, NULL));
	return json_string(v);
}
