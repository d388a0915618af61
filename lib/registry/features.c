/* features.c - the feature data behind a version being registered:
 * which feature groups, in which state, its training data was built
 * from. Kept in the version's lineage ("features"), so that it travels
 * with every export and sync and answers "which data trained the model
 * in production" in a store that has neither the groups nor the run.
 *
 * The files looked at are the registering step's inputs and the
 * registered datasets, and, when a pipeline run registers, the inputs of
 * the step of that run that wrote an artifact (the training step): each
 * file whose hash `mlops-feature dataset -o` recorded brings the groups
 * it was built from; a step input "feature:GROUP" is a group read
 * directly. */
#include <stdlib.h>
#include <string.h>

#include "core/copy.h"
#include "core/jsonio.h"
#include "core/xalloc.h"
#include "feature/feature.h"
#include "pipeline/pipeline.h"
#include "registry/internal.h"

#define FEATURE_INPUT "feature:"

/* Add what one step input says to out, once per dataset or group. */
static int add_input(struct store *st, const char *step, const char *path,
		     const char *value, json_t *seen, json_t *out,
		     struct mlops_err *err)
{
	json_t *found = NULL;
	int ret;

	if (!value || json_object_get(seen, value))
		return 0;
	json_object_set_new(seen, value, json_true());
	if (strncmp(path, FEATURE_INPUT, strlen(FEATURE_INPUT)) == 0) {
		json_array_append_new(out, json_pack("{s:s,s:s,s:s?}",
				      "group", path + strlen(FEATURE_INPUT),
				      "state", value, "step", step));
		return 0;
	}
	if (!hash_is_valid(value))
		return 0;
	ret = feature_lineage_lookup(st, value, &found, err);
	if (ret == 1) {
		if (step)
			json_object_set_new(found, "step", json_string(step));
		json_array_append_new(out, found);
	}
	return ret < 0 ? ret : 0;
}

static int add_inputs(struct store *st, const char *step,
		      const json_t *inputs, json_t *seen, json_t *out,
		      struct mlops_err *err)
{
	const char *path;
	json_t *v;
	int ret = 0;

	json_object_foreach((json_t *)inputs, path, v)
		if (ret == 0)
			ret = add_input(st, step, path, json_string_value(v),
					seen, out, err);
	return ret;
}

/* The inputs of the step of run that wrote the file at path. */
static int add_producer(struct store *st, const char *run, const char *path,
			json_t *seen, json_t *out, struct mlops_err *err)
{
	char hash[HASH_HEX_LEN + 1];
	json_t *inputs = NULL;
	char *step = NULL;
	uint64_t bytes;
	int ret;

	/* A file that cannot be read is registration's to report. */
	if (copy_hash(path, hash, &bytes, NULL) < 0)
		return 0;
	ret = pipeline_runs_find_producer(st, run, hash, &step,
						  &inputs, err);
	if (ret == 1)
		ret = add_inputs(st, step, inputs, seen, out, err);
	json_decref(inputs);
	free(step);
	return ret < 0 ? ret : 0;
}

int registry_features_lineage(struct store *st, const json_t *lineage,
			      const char *const *artifact_paths, size_t n,
			      json_t **out, struct mlops_err *err)
{
	const char *run = jsonio_str(lineage, "run_id");
	const char *step = jsonio_str(lineage, "step");
	json_t *features = json_array(), *seen = json_object(), *d;
	size_t i;
	int ret = add_inputs(st, step, json_object_get(lineage, "inputs"),
			     seen, features, err);

	json_array_foreach(json_object_get(lineage, "datasets"), i, d)
		if (ret == 0)
			ret = add_input(st, NULL, jsonio_str(d, "path") ?
					jsonio_str(d, "path") : "",
					jsonio_str(d, "hash"), seen,
					features, err);
	for (i = 0; ret == 0 && run && i < n; i++)
		ret = add_producer(st, run, artifact_paths[i], seen, features,
				   err);
	json_decref(seen);
	if (ret < 0) {
		json_decref(features);
		return ret;
	}
	*out = features;
	return 0;
}
