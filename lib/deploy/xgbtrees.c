/* xgbtrees.c - native evaluation of XGBoost tree ensembles (see
 * xgbtrees.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/xalloc.h"
#include "deploy/xgbtrees.h"

#define DEFAULT_LEFT 0x80000000u

/* One node: a split (left >= 0) or a leaf (left < 0, value = leaf). */
struct xnode {
	int32_t left, right;	/* indices within the tree */
	uint32_t feature;	/* | DEFAULT_LEFT when missing goes left */
	float value;		/* split threshold, or leaf value */
};

enum transform { T_IDENTITY, T_SIGMOID, T_EXP };

struct deploy_xgbtrees {
	struct xnode *nodes;
	size_t nnodes;
	uint32_t *tree_start;	/* index of each tree's root in nodes */
	size_t ntrees;
	size_t nfeatures;
	float base_margin;
	enum transform transform;
	float *thresholds;
	unsigned *threshold_features;
	size_t nthresholds;
};

void deploy_xgbtrees_free(struct deploy_xgbtrees *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->tree_start);
	free(t->thresholds);
	free(t->threshold_features);
	free(t);
}

size_t deploy_xgbtrees_nfeatures(const struct deploy_xgbtrees *t)
{
	return t->nfeatures;
}

const float *deploy_xgbtrees_thresholds(const struct deploy_xgbtrees *t,
				  const unsigned **features, size_t *n)
{
	*features = t->threshold_features;
	*n = t->nthresholds;
	return t->thresholds;
}

/* A number stored as a JSON number or as a string ("5E-1"). */
static int json_num(const json_t *v, double *out)
{
	char *end;

	if (json_is_number(v)) {
		*out = json_number_value(v);
		return 0;
	}
	if (!json_is_string(v))
		return -1;
	*out = strtod(json_string_value(v), &end);
	return *end ? -1 : 0;
}

static int objective_of(const char *name, enum transform *tr)
{
	static const char *const identity[] = { "reg:squarederror",
		"reg:linear", "reg:pseudohubererror", "reg:absoluteerror",
		"reg:squaredlogerror", "binary:logitraw", NULL };
	static const char *const sigmoid[] = { "binary:logistic",
		"reg:logistic", NULL };
	static const char *const expo[] = { "count:poisson", "reg:gamma",
		"reg:tweedie", NULL };

	for (int i = 0; identity[i]; i++)
		if (strcmp(name, identity[i]) == 0)
			return *tr = T_IDENTITY, 0;
	for (int i = 0; sigmoid[i]; i++)
		if (strcmp(name, sigmoid[i]) == 0)
			return *tr = T_SIGMOID, 0;
	for (int i = 0; expo[i]; i++)
		if (strcmp(name, expo[i]) == 0)
			return *tr = T_EXP, 0;
	return -1;
}

/* Append one tree's nodes. */
static int add_tree(struct deploy_xgbtrees *t, size_t *cap, size_t *tcap,
		    const json_t *tree, struct mlops_err *err)
{
	const json_t *left = json_object_get(tree, "left_children");
	const json_t *right = json_object_get(tree, "right_children");
	const json_t *cond = json_object_get(tree, "split_conditions");
	const json_t *idx = json_object_get(tree, "split_indices");
	const json_t *dleft = json_object_get(tree, "default_left");
	const json_t *stype = json_object_get(tree, "split_type");
	size_t n = json_array_size(left);

	if (!n || json_array_size(right) != n || json_array_size(cond) != n ||
	    json_array_size(idx) != n || json_array_size(dleft) != n)
		return mlops_err_set(err, MLOPS_EINPUT, "malformed tree %zu",
				     t->ntrees);
	ALLOC_GROW(t->tree_start, t->ntrees + 1, *tcap);
	t->tree_start[t->ntrees++] = (uint32_t)t->nnodes;
	ALLOC_GROW(t->nodes, t->nnodes + n, *cap);
	for (size_t i = 0; i < n; i++) {
		struct xnode *x = &t->nodes[t->nnodes + i];
		json_int_t l = json_integer_value(json_array_get(left, i));
		json_int_t r = json_integer_value(json_array_get(right, i));
		json_int_t f = json_integer_value(json_array_get(idx, i));
		double c;

		if (json_num(json_array_get(cond, i), &c) < 0)
			return mlops_err_set(err, MLOPS_EINPUT, "malformed "
					     "split condition");
		if (stype && json_integer_value(json_array_get(stype, i)))
			return mlops_err_set(err, MLOPS_EINPUT, "categorical "
					     "splits");
		if (l >= (json_int_t)n || r >= (json_int_t)n ||
		    (l >= 0 && (r < 0 || f < 0 || f >= (json_int_t)
				t->nfeatures)))
			return mlops_err_set(err, MLOPS_EINPUT, "malformed "
					     "node %zu of tree %zu", i,
					     t->ntrees - 1);
		x->left = l < 0 ? -1 : (int32_t)l;
		x->right = (int32_t)r;
		x->feature = l < 0 ? 0 : (uint32_t)f;
		if (json_integer_value(json_array_get(dleft, i)))
			x->feature |= DEFAULT_LEFT;
		x->value = (float)c;
	}
	t->nnodes += n;
	return 0;
}

int deploy_xgbtrees_build(struct deploy_xgbtrees **out, const char *json,
			  size_t len, struct mlops_err *err)
{
	struct deploy_xgbtrees *t = xcalloc(1, sizeof(*t));
	json_t *doc = json_loadb(json, len, 0, NULL), *learner, *param,
	       *booster, *trees, *obj;
	const char *objective = NULL, *bname = NULL;
	size_t cap = 0, tcap = 0;
	double base = 0.5, v;
	int ret = 0;

	learner = json_object_get(doc, "learner");
	param = json_object_get(learner, "learner_model_param");
	booster = json_object_get(learner, "gradient_booster");
	obj = json_object_get(learner, "objective");
	objective = json_string_value(json_object_get(obj, "name"));
	bname = json_string_value(json_object_get(booster, "name"));
	trees = json_object_get(json_object_get(booster, "model"), "trees");
	if (!doc || !param || !objective || !bname) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "unrecognised model "
				    "JSON");
		goto out;
	}
	if (strcmp(bname, "gbtree") != 0 || !json_is_array(trees)) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "booster '%s'", bname);
		goto out;
	}
	if (objective_of(objective, &t->transform) < 0) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "objective '%s'",
				    objective);
		goto out;
	}
	if ((json_num(json_object_get(param, "num_class"), &v) == 0 &&
	     v > 1) || (json_num(json_object_get(param, "num_target"), &v) ==
			0 && v > 1)) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "several outputs");
		goto out;
	}
	if (json_num(json_object_get(param, "num_feature"), &v) < 0 ||
	    v < 1) {
		ret = mlops_err_set(err, MLOPS_EINPUT, "no num_feature");
		goto out;
	}
	t->nfeatures = (size_t)v;
	json_num(json_object_get(param, "base_score"), &base);
	/* XGBoost keeps base_score as a prediction and starts from its
	 * margin. */
	if (t->transform == T_SIGMOID)
		t->base_margin = (float)-log(1.0 / base - 1.0);
	else if (t->transform == T_EXP)
		t->base_margin = (float)log(base);
	else
		t->base_margin = (float)base;
	for (size_t i = 0; i < json_array_size(trees) && ret == 0; i++)
		ret = add_tree(t, &cap, &tcap, json_array_get(trees, i), err);
	if (ret < 0)
		goto out;
	t->thresholds = xcalloc(t->nnodes + 1, sizeof(*t->thresholds));
	t->threshold_features = xcalloc(t->nnodes + 1,
					sizeof(*t->threshold_features));
	for (size_t i = 0; i < t->nnodes; i++)
		if (t->nodes[i].left >= 0) {
			t->thresholds[t->nthresholds] = t->nodes[i].value;
			t->threshold_features[t->nthresholds++] =
				t->nodes[i].feature & ~DEFAULT_LEFT;
		}
out:
	json_decref(doc);
	if (ret < 0) {
		deploy_xgbtrees_free(t);
		return ret;
	}
	*out = t;
	return 0;
}

static float tree_leaf(const struct xnode *n, const float *row)
{
	int32_t i = 0;

	while (n[i].left >= 0) {
		float f = row[n[i].feature & ~DEFAULT_LEFT];

		if (isnan(f))
			i = n[i].feature & DEFAULT_LEFT ? n[i].left :
				n[i].right;
		else
			i = f < n[i].value ? n[i].left : n[i].right;
	}
	return n[i].value;
}

void deploy_xgbtrees_predict(const struct deploy_xgbtrees *t, const float *x,
		       size_t nrows, float *out)
{
	for (size_t r = 0; r < nrows; r++) {
		const float *row = x + r * t->nfeatures;
		float acc = t->base_margin;

		for (size_t k = 0; k < t->ntrees; k++)
			acc += tree_leaf(t->nodes + t->tree_start[k], row);
		if (t->transform == T_SIGMOID)
			acc = 1.0f / (1.0f + expf(-acc));
		else if (t->transform == T_EXP)
			acc = expf(acc);
		out[r] = acc;
	}
}
