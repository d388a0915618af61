/* modelcard.c - the model card schema table and what works from it:
 * validation, dotted-key edits, YAML loading typed by the schema, and
 * the content the registry fills in itself. Rendering is in
 * registry_modelcard_render.c. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/bounds.h"
#include "core/jsonio.h"
#include "registry/registry.h"
#include "core/parse.h"
#include "core/spec.h"
#include "core/time.h"
#include "core/xalloc.h"

enum card_kind {
	CARD_STRING, CARD_NUMBER, CARD_BOOL, CARD_ENUM,
	CARD_OBJECT,	/* fields: its members, ended by a NULL name */
	CARD_ARRAY,	/* fields: the item (one entry) */
	CARD_MAP,	/* an object of strings with any keys */
	CARD_ANY	/* any JSON value (chart data) */
};

struct card_field {
	const char *name;
	enum card_kind kind;
	const struct card_field *fields;
	const char *const *values;	/* CARD_ENUM, NULL-terminated */
};

#define F_STR(n) { n, CARD_STRING, NULL, NULL }
#define F_NUM(n) { n, CARD_NUMBER, NULL, NULL }
#define F_ENUM(n, v) { n, CARD_ENUM, NULL, v }
#define F_OBJ(n, f) { n, CARD_OBJECT, f, NULL }
#define F_ARR(n, item) { n, CARD_ARRAY, item, NULL }
#define F_MAP(n) { n, CARD_MAP, NULL, NULL }
#define F_ANY(n) { n, CARD_ANY, NULL, NULL }
#define F_END { NULL, CARD_STRING, NULL, NULL }

static const char *const risk_ratings[] = {
	"High", "Medium", "Low", "Unknown", NULL
};
static const char *const objective_functions[] = {
	"Maximize", "Minimize", NULL
};
static const char *const metric_types[] = {
	"number", "string", "boolean", "linear_graph", "bar_chart", "matrix",
	NULL
};
static const char *const card_statuses[] = {
	"Draft", "PendingReview", "Approved", "Archived", NULL
};

static const struct card_field string_item[] = { F_STR(NULL) };
static const struct card_field container_fields[] = {
	F_ARR("container_image", string_item), F_END
};
static const struct card_field overview_fields[] = {
	F_STR("model_id"), F_STR("model_name"), F_STR("model_description"),
	F_NUM("model_version"), F_STR("problem_type"),
	F_STR("algorithm_type"), F_STR("model_creator"), F_STR("model_owner"),
	F_ARR("model_artifact", string_item),
	F_OBJ("inference_environment", container_fields), F_END
};
static const struct card_field intended_fields[] = {
	F_STR("purpose_of_model"), F_STR("intended_uses"),
	F_STR("factors_affecting_model_efficiency"),
	F_ENUM("risk_rating", risk_ratings),
	F_STR("explanations_for_risk_rating"), F_END
};
static const struct card_field business_fields[] = {
	F_STR("business_problem"), F_STR("business_stakeholders"),
	F_STR("line_of_business"), F_END
};
static const struct card_field function_fields[] = {
	F_ENUM("function", objective_functions), F_STR("facet"),
	F_STR("condition"), F_END
};
static const struct card_field objective_fields[] = {
	F_OBJ("function", function_fields), F_STR("notes"), F_END
};
static const struct card_field training_metric_fields[] = {
	F_STR("name"), F_STR("notes"), F_NUM("value"), F_END
};
static const struct card_field training_metric_item[] = {
	F_OBJ(NULL, training_metric_fields)
};
static const struct card_field hyper_parameter_fields[] = {
	F_STR("name"), F_STR("value"), F_END
};
static const struct card_field hyper_parameter_item[] = {
	F_OBJ(NULL, hyper_parameter_fields)
};
static const struct card_field job_fields[] = {
	F_STR("training_arn"), F_ARR("training_datasets", string_item),
	F_OBJ("training_environment", container_fields),
	F_ARR("training_metrics", training_metric_item),
	F_ARR("user_provided_training_metrics", training_metric_item),
	F_ARR("hyper_parameters", hyper_parameter_item),
	F_ARR("user_provided_hyper_parameters", hyper_parameter_item), F_END
};
static const struct card_field training_fields[] = {
	F_OBJ("objective_function", objective_fields),
	F_STR("training_observations"),
	F_OBJ("training_job_details", job_fields), F_END
};
static const struct card_field metric_data_fields[] = {
	F_STR("name"), F_STR("notes"), F_ENUM("type", metric_types),
	F_ANY("value"), F_ANY("x_axis_name"), F_ANY("y_axis_name"), F_END
};
static const struct card_field metric_data_item[] = {
	F_OBJ(NULL, metric_data_fields)
};
static const struct card_field metric_group_fields[] = {
	F_STR("name"), F_ARR("metric_data", metric_data_item), F_END
};
static const struct card_field metric_group_item[] = {
	F_OBJ(NULL, metric_group_fields)
};
static const struct card_field evaluation_fields[] = {
	F_STR("name"), F_STR("evaluation_observation"),
	F_STR("evaluation_job_arn"), F_ARR("datasets", string_item),
	F_MAP("metadata"), F_ARR("metric_groups", metric_group_item), F_END
};
static const struct card_field evaluation_item[] = {
	F_OBJ(NULL, evaluation_fields)
};
static const struct card_field additional_fields[] = {
	F_STR("ethical_considerations"), F_STR("caveats_and_recommendations"),
	F_MAP("custom_details"), F_END
};
static const struct card_field section_fields[] = {
	F_OBJ("model_overview", overview_fields),
	F_OBJ("intended_uses", intended_fields),
	F_OBJ("business_details", business_fields),
	F_OBJ("training_details", training_fields),
	F_ARR("evaluation_details", evaluation_item),
	F_OBJ("additional_information", additional_fields), F_END
};
static const struct card_field card_root = F_OBJ(NULL, section_fields);

int registry_modelcard_valid_status(const char *s)
{
	for (const char *const *v = card_statuses; *v; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

static const struct card_field *child(const struct card_field *f,
				      const char *name)
{
	for (const struct card_field *c = f->fields; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int in_enum(const struct card_field *f, const char *s)
{
	for (const char *const *v = f->values; *v; v++)
		if (strcmp(*v, s) == 0)
			return 1;
	return 0;
}

static void enum_list(const struct card_field *f, struct buf *out)
{
	for (const char *const *v = f->values; *v; v++)
		buf_addf(out, "%s%s", v == f->values ? "" : ", ", *v);
}

static const char *kind_name(enum card_kind k)
{
	static const char *const names[] = {
		"a string", "a number", "true or false", "one of", "an object",
		"an array", "an object of strings", "any value"
	};

	return names[k];
}

/* path holds the dotted path of v ("" at the root). */
static int check(const json_t *v, const struct card_field *f,
		 struct buf *path, const char *name, struct mlops_err *err)
{
	struct buf why = BUF_INIT;
	const char *key;
	json_t *item;
	size_t i;
	int ok = 1, ret = 0;

	switch (f->kind) {
	case CARD_STRING: ok = json_is_string(v); break;
	case CARD_NUMBER: ok = json_is_number(v); break;
	case CARD_BOOL: ok = json_is_boolean(v); break;
	case CARD_ANY: break;
	case CARD_ENUM:
		ok = json_is_string(v) && in_enum(f, json_string_value(v));
		break;
	case CARD_MAP:
		ok = json_is_object(v);
		json_object_foreach((json_t *)v, key, item)
			ok = ok && json_is_string(item);
		break;
	case CARD_OBJECT:
		if (!(ok = json_is_object(v)))
			break;
		json_object_foreach((json_t *)v, key, item) {
			const struct card_field *c = child(f, key);
			size_t len = path->len;

			buf_addf(path, "%s%s", len ? "." : "", key);
			if (!c)
				ret = mlops_err_set(err, MLOPS_EINPUT, "%s: "
						    "card field '%s' is not in "
						    "the model card schema",
						    name, path->s);
			else
				ret = check(item, c, path, name, err);
			buf_setlen(path, len);
			if (ret < 0)
				return ret;
		}
		break;
	case CARD_ARRAY:
		if (!(ok = json_is_array(v)))
			break;
		json_array_foreach(v, i, item) {
			size_t len = path->len;

			buf_addf(path, ".%zu", i);
			ret = check(item, f->fields, path, name, err);
			buf_setlen(path, len);
			if (ret < 0)
				return ret;
		}
		break;
	}
	if (ok)
		return 0;
	buf_addstr(&why, kind_name(f->kind));
	if (f->kind == CARD_ENUM) {
		buf_addch(&why, ' ');
		enum_list(f, &why);
	}
	ret = mlops_err_set(err, MLOPS_EINPUT, "%s: card field '%s' must be %s",
			    name, path->len ? path->s : "(the card)", why.s);
	buf_release(&why);
	return ret;
}

int registry_modelcard_validate(const json_t *content, const char *name,
		       struct mlops_err *err)
{
	struct buf path = BUF_INIT;
	int ret = check(content, &card_root, &path, name, err);

	buf_release(&path);
	return ret;
}

/* ---- dotted-key edits ---- */

/* Convert text to a value of f's kind; NULL with err set when it is
 * not one. */
static json_t *typed_value(const struct card_field *f, const char *key,
			   const char *value, struct mlops_err *err)
{
	json_t *v = NULL;
	double d;
	int b;

	switch (f->kind) {
	case CARD_STRING:
	case CARD_ENUM:
		v = json_string(value);
		if (!v)
			mlops_err_set(err, MLOPS_EINPUT, "card field '%s': the "
				      "value is not valid UTF-8", key);
		break;
	case CARD_NUMBER:
		if (parse_double(value, &d, key, err) == 0)
			v = json_real(d);
		return v;
	case CARD_BOOL:
		b = spec_scalar_bool(value);
		if (b < 0) {
			mlops_err_set(err, MLOPS_EINPUT, "card field '%s' must "
				      "be true or false, not '%s'", key, value);
			return NULL;
		}
		return json_boolean(b);
	default:
		if (jsonio_parse(&v, value, strlen(value), key, err) < 0)
			return NULL;
	}
	return v;
}

int registry_modelcard_set(json_t *content, const char *key, const char *value,
		  struct mlops_err *err)
{
	const struct card_field *f = &card_root;
	struct buf path = BUF_INIT;
	json_t *work = json_deep_copy(content), *at = work, *v = NULL;
	char *keys = xstrdup(key), *rest = keys, *part = NULL;
	int64_t index = 0;
	int ret = 0;

	while (ret == 0 && (part = strsep(&rest, ".")) != NULL) {
		json_t *next;

		buf_addf(&path, "%s%s", path.len ? "." : "", part);
		if (f->kind == CARD_OBJECT) {
			f = child(f, part);
			if (!f) {
				ret = mlops_err_set(err, MLOPS_EINPUT, "card "
						    "field '%s' is not in the "
						    "model card schema",
						    path.s);
				break;
			}
		} else if (f->kind == CARD_ARRAY) {
			ret = parse_int64(part, 0, (int64_t)json_array_size(at),
					  &index, path.s, err);
			if (ret < 0)
				break;
			f = f->fields;
		} else if (f->kind == CARD_MAP && !rest) {
			f = &string_item[0];
		} else {
			ret = mlops_err_set(err, MLOPS_EINPUT,
					    "card field '%s' "
					    "is not in the model card schema",
					    path.s);
			break;
		}
		if (!rest) {
			v = typed_value(f, path.s, value, err);
			if (!v)
				ret = err->code;
			break;
		}
		/* Walk into (or make) the container for the next part. */
		next = json_is_array(at) ?
			json_array_get(at, (size_t)index) :
			json_object_get(at, part);
		if (!next) {
			next = f->kind == CARD_ARRAY ? json_array() :
				json_object();
			if (json_is_array(at))
				json_array_append_new(at, next);
			else
				json_object_set_new(at, part, next);
		}
		at = next;
	}
	if (ret == 0) {
		if (json_is_array(at) && (size_t)index ==
		    json_array_size(at))
			json_array_append_new(at, v);
		else if (json_is_array(at))
			json_array_set_new(at, (size_t)index, v);
		else if (json_object_set_new(at, part, v) < 0)
			ret = mlops_err_set(err, MLOPS_EINPUT, "card field "
					    "'%s' is not valid UTF-8", path.s);
		if (ret == 0)
			ret = registry_modelcard_validate(work, "card", err);
	}
	if (ret == 0)
		json_object_update(content, work);
	json_decref(work);
	buf_release(&path);
	free(keys);
	return ret;
}

/* ---- loading ---- */

/* A plain YAML scalar under CARD_ANY: a number when it reads as one. */
static json_t *any_scalar(const struct spec_node *n)
{
	struct mlops_err ignored = MLOPS_ERR_INIT;
	double d;
	int b;

	if (n->plain && parse_double(n->value, &d, "", &ignored) == 0)
		return json_real(d);
	if (n->plain && (b = spec_scalar_bool(n->value)) >= 0)
		return json_boolean(b);
	return json_string(n->value);
}

static int from_yaml(const struct spec_doc *doc, const struct spec_node *n,
		     const struct card_field *f, json_t **out,
		     struct mlops_err *err)
{
	json_t *v = NULL;
	int ret = 0;

	if (f->kind == CARD_OBJECT || f->kind == CARD_MAP ||
	    (f->kind == CARD_ANY && n->kind == SPEC_MAP)) {
		if ((ret = spec_expect(doc, n, SPEC_MAP, "a card section",
				       err)) < 0)
			return ret;
		v = json_object();
		for (size_t i = 0; ret == 0 && i < n->n; i++) {
			const struct card_field *c = f->kind == CARD_OBJECT ?
				child(f, n->keys[i]->value) :
				f->kind == CARD_MAP ? &string_item[0] : f;
			json_t *item = NULL;

			if (!c)
				ret = spec_error(doc, n->keys[i], MLOPS_EINPUT,
						 err, "card field '%s' is not "
						 "in the model card schema",
						 n->keys[i]->value);
			else
				ret = from_yaml(doc, n->items[i], c, &item,
						err);
			if (ret == 0)
				json_object_set_new(v, n->keys[i]->value,
						    item);
		}
	} else if (f->kind == CARD_ARRAY ||
		   (f->kind == CARD_ANY && n->kind == SPEC_SEQ)) {
		if ((ret = spec_expect(doc, n, SPEC_SEQ, "a list", err)) < 0)
			return ret;
		v = json_array();
		for (size_t i = 0; ret == 0 && i < n->n; i++) {
			json_t *item = NULL;

			ret = from_yaml(doc, n->items[i], f->kind == CARD_ANY ?
					f : f->fields, &item, err);
			if (ret == 0)
				json_array_append_new(v, item);
		}
	} else {
		struct mlops_err why = MLOPS_ERR_INIT;

		if ((ret = spec_expect(doc, n, SPEC_SCALAR, "a value",
				       err)) < 0)
			return ret;
		v = f->kind == CARD_ANY ? any_scalar(n) :
			typed_value(f, "value", n->value, &why);
		if (!v)
			ret = spec_error(doc, n, MLOPS_EINPUT, err, "%s",
					 why.msg);
	}
	if (ret < 0) {
		json_decref(v);
		return ret;
	}
	*out = v;
	return 0;
}

int registry_modelcard_load_file(json_t **out, const char *path,
			struct mlops_err *err)
{
	size_t n = strlen(path);
	struct spec_doc *doc = NULL;
	json_t *v = NULL;
	int ret;

	if (n > 5 && strcmp(path + n - 5, ".json") == 0)
		ret = jsonio_load_file(&v, path, MLOPS_MAX_SPEC, err);
	else if ((ret = spec_load_file(&doc, path, err)) == 0)
		ret = from_yaml(doc, doc->root, &card_root, &v, err);
	spec_free(doc);
	if (ret == 0)
		ret = registry_modelcard_validate(v, path, err);
	if (ret < 0) {
		json_decref(v);
		return ret;
	}
	*out = v;
	return 0;
}

void registry_modelcard_merge(json_t *dst, const json_t *src)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)src, key, v) {
		json_t *old = json_object_get(dst, key);

		if (json_is_object(old) && json_is_object(v))
			registry_modelcard_merge(old, v);
		else
			json_object_set(dst, key, v);
	}
}

int registry_modelcard_check_revisions(const json_t *revisions,
				       const char *name, struct mlops_err *err)
{
	const json_t *r;
	size_t i;

	if (!json_is_array(revisions))
		return mlops_err_set(err, MLOPS_EINPUT, "%s: card revisions "
				     "must be an array", name);
	json_array_foreach(revisions, i, r) {
		const char *status = jsonio_str(r, "status");
		int64_t time_us;
		int ret;

		if (json_integer_value(json_object_get(r, "revision")) !=
		    (json_int_t)i + 1 || !status ||
		    !registry_modelcard_valid_status(status) ||
		    !jsonio_str(r, "user") || !jsonio_str(r, "time") ||
		    !jsonio_str(r, "change"))
			return mlops_err_set(err, MLOPS_EINPUT, "%s: card "
					     "revision %zu is malformed", name,
					     i + 1);
		/* Now, not when the revision is stored: by then the
		 * artifacts are blobs already. */
		if (time_parse(jsonio_str(r, "time"), &time_us, err) < 0)
			return mlops_err_prefix(err, "%s: card revision %zu: ",
						name, i + 1);
		ret = registry_modelcard_validate(json_object_get(r, "content"),
						  name, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* ---- what the registry knows ---- */

static void set_str(json_t *o, const char *key, const char *value)
{
	if (value && *value)
		json_object_set_new(o, key, json_string(value));
}

/* Flattened metrics as metric_data entries. */
static void add_metrics(json_t *data, const json_t *metrics, struct buf *path)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)metrics, key, v) {
		size_t len = path->len;

		buf_addf(path, "%s%s", len ? "." : "", key);
		if (json_is_object(v))
			add_metrics(data, v, path);
		else
			json_array_append_new(data, json_pack(
				"{s:s,s:s,s:O}", "name", path->s,
				"type", "number", "value", v));
		buf_setlen(path, len);
	}
}

static json_t *overview(const struct registry_version *mv)
{
	json_t *o = json_object(), *arts = json_array();

	json_object_set_new(o, "model_id", json_sprintf(
		"model-package/%s/%" PRId64, mv->group, mv->version));
	set_str(o, "model_name", mv->group);
	json_object_set_new(o, "model_version", json_integer(mv->version));
	set_str(o, "model_description", mv->description);
	set_str(o, "model_creator", mv->created_by);
	set_str(o, "algorithm_type", mv->framework);
	for (size_t i = 0; i < mv->nartifacts; i++)
		json_array_append_new(arts, json_sprintf(
			"%s sha256:%s", mv->artifacts[i].name,
			mv->artifacts[i].hash));
	json_object_set_new(o, "model_artifact", arts);
	json_object_set_new(o, "inference_environment", json_pack(
		"{s:[s]}", "container_image", mv->entry ? mv->entry :
		"xgboost (native runtime)"));
	return o;
}

/* Add "what hash" to datasets unless a dataset with that hash (or a
 * registered artifact, which is no training data) is there already. */
static void add_dataset(json_t *datasets, json_t *seen,
			const struct registry_version *mv, const char *what,
			const char *hash)
{
	if (!what || !hash || json_object_get(seen, hash))
		return;
	for (size_t i = 0; i < mv->nartifacts; i++)
		if (strcmp(mv->artifacts[i].hash, hash) == 0)
			return;
	json_object_set_new(seen, hash, json_true());
	/* A feature group's "hash" is its ingest state, not a SHA-256. */
	if (strncmp(what, "feature:", 8) == 0)
		json_array_append_new(datasets, json_sprintf("%s %s", what,
							     hash));
	else
		json_array_append_new(datasets, json_sprintf(
			"%s sha256:%s", what, hash));
}

/* What trained the model, from lineage: the training step of the report
 * (see registry_report_lineage), the datasets it read, and the datasets
 * given to register, each once. */
static json_t *training(const struct registry_version *mv, const json_t *report)
{
	const json_t *train = json_object_get(report, "training"), *v;
	json_t *job = json_object(), *datasets = json_array();
	json_t *hyper = json_array(), *seen = json_object();
	const char *key;
	size_t i;

	if (jsonio_str(train, "run_id") && jsonio_str(train, "step"))
		json_object_set_new(job, "training_arn", json_sprintf(
			"run/%s/%s", jsonio_str(train, "run_id"),
			jsonio_str(train, "step")));
	json_object_foreach(json_object_get(train, "inputs"), key, v)
		add_dataset(datasets, seen, mv, key, json_string_value(v));
	json_array_foreach(json_object_get(mv->lineage, "datasets"), i, v)
		add_dataset(datasets, seen, mv, jsonio_str(v, "path"),
			    jsonio_str(v, "hash"));
	json_object_foreach(mv->params, key, v)
		json_array_append_new(hyper, json_pack("{s:s,s:O}", "name", key,
						       "value", v));
	if (json_array_size(datasets))
		json_object_set(job, "training_datasets", datasets);
	if (json_array_size(hyper))
		json_object_set(job, "hyper_parameters", hyper);
	json_decref(datasets);
	json_decref(hyper);
	json_decref(seen);
	return json_pack("{s:o}", "training_job_details", job);
}

void registry_modelcard_set_approval(json_t *content, const char *status,
			    const json_t *approved)
{
	json_t *info = json_object_get(content, "additional_information");
	json_t *custom;

	if (!json_is_object(info)) {
		info = json_object();
		json_object_set_new(content, "additional_information", info);
	}
	custom = json_object_get(info, "custom_details");
	if (!json_is_object(custom)) {
		custom = json_object();
		json_object_set_new(info, "custom_details", custom);
	}
	json_object_set_new(custom, "approval_status", json_string(status));
	json_object_del(custom, "approved_by");
	json_object_del(custom, "approved");
	set_str(custom, "approved_by", jsonio_str(approved, "user"));
	set_str(custom, "approved", jsonio_str(approved, "time"));
}

json_t *registry_modelcard_populate(const struct registry_version *mv,
			   const json_t *report)
{
	const json_t *approved = json_object_get(report, "approved");
	const json_t *reg = json_object_get(report, "registered");
	json_t *content, *custom = json_object(), *data = json_array();
	struct buf path = BUF_INIT;

	set_str(custom, "git_commit", jsonio_str(mv->lineage, "git_commit"));
	set_str(custom, "pipeline_run", jsonio_str(mv->lineage, "run_id"));
	set_str(custom, "pipeline_step", jsonio_str(mv->lineage, "step"));
	set_str(custom, "registered_by", jsonio_str(reg, "user"));
	set_str(custom, "registered", jsonio_str(reg, "time"));
	set_str(custom, "imported_from", jsonio_str(mv->origin, "account"));
	content = json_pack("{s:o,s:{s:s},s:o,s:{s:o}}",
			    "model_overview", overview(mv),
			    "intended_uses", "risk_rating", "Unknown",
			    "training_details", training(mv, report),
			    "additional_information", "custom_details",
			    custom);
	registry_modelcard_set_approval(content, mv->status, approved);
	add_metrics(data, mv->metrics, &path);
	if (json_array_size(data))
		json_object_set_new(content, "evaluation_details", json_pack(
			"[{s:s,s:[{s:s,s:o}]}]", "name", "registered metrics",
			"metric_groups", "name", "metrics", "metric_data",
			data));
	else
		json_decref(data);
	buf_release(&path);
	return content;
}
