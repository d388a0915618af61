/* report.c - what is derived from registered versions rather
 * than stored: the lineage report (where a version came from, who
 * registered and who approved it) and the diff of two versions' metrics,
 * params and artifacts. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/jsonio.h"
#include "pipeline/pipeline.h"
#include "registry/registry.h"
#include "registry/internal.h"
#include "core/time.h"
#include "core/xalloc.h"

/* 1 when a registered artifact of mv has the SHA-256 hash. */
static int is_artifact(const struct registry_version *mv, const char *hash)
{
	for (size_t i = 0; hash && i < mv->nartifacts; i++)
		if (strcmp(mv->artifacts[i].hash, hash) == 0)
			return 1;
	return 0;
}

/* The step that trained mv, {run_id, step, inputs}, or JSON null. It is
 * the step of the run the version was registered from that wrote one of
 * its artifacts, as the run recorded it; failing that, the registering
 * step itself when it wrote the artifacts (none was among its inputs). */
static int training_step(struct store *st, const struct registry_version *mv,
			 json_t **out, struct mlops_err *err)
{
	const char *run = jsonio_str(mv->lineage, "run_id");
	const char *step = jsonio_str(mv->lineage, "step");
	json_t *inputs = json_object_get(mv->lineage, "inputs"), *v;
	const char *key;

	*out = json_null();
	if (!run)
		return 0;
	for (size_t i = 0; i < mv->nartifacts; i++) {
		json_t *read = NULL;
		char *name = NULL;
		int ret = pipeline_runs_find_producer(st, run,
						     mv->artifacts[i].hash,
						     &name, &read, err);

		if (ret < 0)
			return ret;
		if (ret == 1) {
			*out = json_pack("{s:s,s:s,s:o}", "run_id", run,
					 "step", name, "inputs", read ? read :
					 json_object());
			free(name);
			return 0;
		}
	}
	json_object_foreach(inputs, key, v)
		if (is_artifact(mv, json_string_value(v)))
			return 0;	/* made elsewhere, read here */
	if (step)
		*out = json_pack("{s:s,s:s,s:o}", "run_id", run, "step", step,
				 "inputs", json_is_object(inputs) ?
				 json_incref(inputs) : json_object());
	return 0;
}

int registry_report_lineage(struct store *st, const struct registry_version *mv,
			    json_t **out, struct mlops_err *err)
{
	char created[TIME_RFC3339_MAX];
	json_t *history = NULL, *approvals = NULL, *report, *training = NULL;
	int ret = registry_status_history(st, mv->group, mv->version,
					  &history, err);

	if (ret == 0)
		ret = registry_approvals(st, mv, &approvals, err);
	if (ret == 0)
		ret = training_step(st, mv, &training, err);
	if (ret < 0) {
		json_decref(history);
		json_decref(approvals);
		return ret;
	}
	time_format(mv->created_us, created);
	/* Who approved it, where: an import approves nothing. */
	report = json_pack("{s:s,s:I,s:s,s:O,s:{s:s,s:s},s:o,s:o,s:o}",
			   "group", mv->group,
			   "version", (json_int_t)mv->version,
			   "status", mv->status,
			   "lineage", mv->lineage,
			   "registered", "user", mv->created_by,
			   "time", created,
			   "approved", registry_approvals_latest(approvals),
			   "history", history,
			   "approvals", approvals);
	json_object_set_new(report, "training", training);
	json_object_set(report, "origin", mv->origin ? mv->origin :
			json_null());
	*out = report;
	return 0;
}

/* Flatten nested objects into dotted keys: {"a":{"b":1}} -> "a.b": 1. */
static void flatten(const json_t *v, struct buf *prefix, json_t *out)
{
	const char *key;
	json_t *child;

	if (!json_is_object(v)) {
		json_object_set(out, prefix->s, (json_t *)v);
		return;
	}
	json_object_foreach((json_t *)v, key, child) {
		size_t len = prefix->len;

		if (len)
			buf_addch(prefix, '.');
		buf_addstr(prefix, key);
		flatten(child, prefix, out);
		buf_setlen(prefix, len);
	}
}

static json_t *flat(const json_t *obj)
{
	struct buf prefix = BUF_INIT;
	json_t *out = json_object();

	flatten(obj, &prefix, out);
	buf_release(&prefix);
	return out;
}

static int compare_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Rows {key, a, b, (delta)} for the union of keys of a and b, sorted;
 * *differ is set when any pair is not equal. */
static json_t *compare(const json_t *a, const json_t *b, int numeric,
		       int *differ)
{
	json_t *fa = flat(a), *fb = flat(b), *keys = json_object(), *rows;
	const char **sorted;
	const char *key;
	json_t *v;
	size_t n = 0, i;

	json_object_foreach(fa, key, v)
		json_object_set_new(keys, key, json_true());
	json_object_foreach(fb, key, v)
		json_object_set_new(keys, key, json_true());
	sorted = xcalloc(json_object_size(keys) + 1, sizeof(*sorted));
	json_object_foreach(keys, key, v)
		sorted[n++] = key;
	qsort(sorted, n, sizeof(*sorted), compare_keys);
	rows = json_array();
	for (i = 0; i < n; i++) {
		json_t *va = json_object_get(fa, sorted[i]);
		json_t *vb = json_object_get(fb, sorted[i]);
		json_t *row = json_pack("{s:s,s:O,s:O}", "key", sorted[i],
					"a", va ? va : json_null(),
					"b", vb ? vb : json_null());

		if (!va || !vb || !json_equal(va, vb))
			*differ = 1;
		if (numeric && json_is_number(va) && json_is_number(vb))
			json_object_set_new(row, "delta", json_real(
				json_number_value(vb) -
				json_number_value(va)));
		json_array_append_new(rows, row);
	}
	free(sorted);
	json_decref(keys);
	json_decref(fa);
	json_decref(fb);
	return rows;
}

static json_t *artifact_map(const struct registry_version *mv)
{
	json_t *o = json_object();

	for (size_t i = 0; i < mv->nartifacts; i++)
		json_object_set_new(o, mv->artifacts[i].name,
				    json_string(mv->artifacts[i].hash));
	return o;
}

json_t *registry_report_diff(const struct registry_version *a,
		      const struct registry_version *b, int *differ)
{
	json_t *arts_a = artifact_map(a), *arts_b = artifact_map(b);
	json_t *d;

	*differ = 0;
	d = json_pack("{s:o,s:o,s:o}",
		      "metrics", compare(a->metrics, b->metrics, 1, differ),
		      "params", compare(a->params, b->params, 0, differ),
		      "artifacts", compare(arts_a, arts_b, 0, differ));
	json_object_set_new(d, "a", json_sprintf("%s/%" PRId64, a->group,
						 a->version));
	json_object_set_new(d, "b", json_sprintf("%s/%" PRId64, b->group,
						 b->version));
	json_object_set_new(d, "differ", json_boolean(*differ));
	json_decref(arts_a);
	json_decref(arts_b);
	return d;
}

int registry_report_show(struct store *st, const struct registry_version *mv,
			 json_t **out, struct mlops_err *err)
{
	json_t *history = NULL, *approvals = NULL, *baseline = NULL, *o;

	if (registry_status_history(st, mv->group, mv->version, &history,
				    err) < 0 ||
	    registry_approvals(st, mv, &approvals, err) < 0 ||
	    registry_baseline_get(st, mv->group, mv->version, &baseline,
				  err) < 0) {
		json_decref(history);
		json_decref(approvals);
		return err->code;
	}
	o = registry_version_json(mv);
	json_object_set_new(o, "history", history);
	json_object_set_new(o, "approvals", approvals);
	json_object_set_new(o, "baseline", baseline ? baseline : json_null());
	*out = o;
	return 0;
}
