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
#define LEAF 0x40000000u
#define FEATURE_MASK 0x3fffffffu
/* Trees walked side by side: their walks are independent chains of
 * loads and compares, which the CPU overlaps. */
#define GROUP 8

/* One node: a split, or a leaf (feature has LEAF; left and right point
 * at the leaf itself, so that walking on from a leaf stays there and
 * every tree of a group can take the same number of steps). */
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
	/* The deepest tree of each GROUP trees, in splits from the root. */
	uint32_t *group_depth;
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
	free(t->group_depth);
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

/* The depth of the n-node tree just appended at t->nnodes into *depth,
 * walking it from the root; -1 when a node is reached twice (a cycle or
 * a shared child), which would make the walk endless or wrong. */
static int tree_depth(const struct deploy_xgbtrees *t, size_t n,
		      uint32_t *depth)
{
	const struct xnode *x = t->nodes + t->nnodes;
	uint32_t *stack = xcalloc(n, sizeof(*stack));
	uint32_t *level = xcalloc(n, sizeof(*level));
	unsigned char *seen = xcalloc(n, 1);
	size_t top = 0;
	int ret = 0;

	*depth = 0;
	stack[top++] = 0;
	seen[0] = 1;
	while (top && ret == 0) {
		uint32_t i = stack[--top];

		if (x[i].feature & LEAF) {
			if (level[i] > *depth)
				*depth = level[i];
			continue;
		}
		for (int side = 0; side < 2 && ret == 0; side++) {
			uint32_t c = (uint32_t)(side ? x[i].right : x[i].left);

			if (seen[c]) {
				ret = -1;
				break;
			}
			seen[c] = 1;
			level[c] = level[i] + 1;
			stack[top++] = c;
		}
	}
	free(stack);
	free(level);
	free(seen);
	return ret;
}

/* Append one tree's nodes. */
static int add_tree(struct deploy_xgbtrees *t, size_t *cap, size_t *tcap,
		    size_t *gcap, const json_t *tree, struct mlops_err *err)
{
	const json_t *left = json_object_get(tree, "left_children");
	const json_t *right = json_object_get(tree, "right_children");
	const json_t *cond = json_object_get(tree, "split_conditions");
	const json_t *idx = json_object_get(tree, "split_indices");
	const json_t *dleft = json_object_get(tree, "default_left");
	const json_t *stype = json_object_get(tree, "split_type");
	size_t n = json_array_size(left);
	uint32_t *depth, d;

	if (!n || json_array_size(right) != n || json_array_size(cond) != n ||
	    json_array_size(idx) != n || json_array_size(dleft) != n)
		return mlops_err_set(err, MLOPS_EINPUT, "malformed tree %zu",
				     t->ntrees);
	ALLOC_GROW(t->tree_start, t->ntrees + 1, *tcap);
	t->tree_start[t->ntrees++] = (uint32_t)t->nnodes;
	if ((t->ntrees - 1) % GROUP == 0) {
		ALLOC_GROW(t->group_depth, (t->ntrees - 1) / GROUP + 1,
			   *gcap);
		t->group_depth[(t->ntrees - 1) / GROUP] = 0;
	}
	depth = &t->group_depth[(t->ntrees - 1) / GROUP];
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
		x->left = l < 0 ? (int32_t)i : (int32_t)l;
		x->right = l < 0 ? (int32_t)i : (int32_t)r;
		x->feature = l < 0 ? LEAF : (uint32_t)f;
		if (json_integer_value(json_array_get(dleft, i)))
			x->feature |= DEFAULT_LEFT;
		x->value = (float)c;
	}
	if (tree_depth(t, n, &d) < 0)
		return mlops_err_set(err, MLOPS_EINPUT, "malformed tree %zu: "
				     "a node reached twice", t->ntrees - 1);
	if (d > *depth)
		*depth = d;
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
	size_t cap = 0, tcap = 0, gcap = 0;
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
	    v < 1 || v > FEATURE_MASK) {
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
		ret = add_tree(t, &cap, &tcap, &gcap,
			       json_array_get(trees, i), err);
	if (ret < 0)
		goto out;
	t->thresholds = xcalloc(t->nnodes + 1, sizeof(*t->thresholds));
	t->threshold_features = xcalloc(t->nnodes + 1,
					sizeof(*t->threshold_features));
	for (size_t i = 0; i < t->nnodes; i++)
		if (!(t->nodes[i].feature & LEAF)) {
			t->thresholds[t->nthresholds] = t->nodes[i].value;
			t->threshold_features[t->nthresholds++] =
				t->nodes[i].feature & FEATURE_MASK;
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

/* One step down from node x for row: NaN takes the default side.
 * Without branches: which way a walk goes is a coin toss the CPU would
 * mispredict, and a misprediction stalls the other walks too. */
static inline int32_t step(const struct xnode *x, const float *row)
{
	float f = row[x->feature & FEATURE_MASK];
	int32_t left = (f < x->value) |
		       ((isnan(f) != 0) & (int32_t)(x->feature >> 31));

	return x->right + ((x->left - x->right) & -left);
}

/* Add to *acc, in tree order, the leaves row reaches in the trees of
 * group g: the walks of its trees interleaved, depth steps each (a leaf
 * steps to itself). */
static void add_group(const struct deploy_xgbtrees *t, size_t g,
		      const float *row, float *acc)
{
	const uint32_t *start = t->tree_start + g * GROUP;
	size_t ntrees = t->ntrees - g * GROUP;
	int32_t at[GROUP] = { 0 };

	if (ntrees >= GROUP) {
		for (uint32_t d = 0; d < t->group_depth[g]; d++)
			for (size_t k = 0; k < GROUP; k++)
				at[k] = step(t->nodes + start[k] + at[k], row);
		for (size_t k = 0; k < GROUP; k++)
			*acc += t->nodes[start[k] + at[k]].value;
		return;
	}
	for (uint32_t d = 0; d < t->group_depth[g]; d++)
		for (size_t k = 0; k < ntrees; k++)
			at[k] = step(t->nodes + start[k] + at[k], row);
	for (size_t k = 0; k < ntrees; k++)
		*acc += t->nodes[start[k] + at[k]].value;
}

void deploy_xgbtrees_predict(const struct deploy_xgbtrees *t, const float *x,
		       size_t nrows, float *out)
{
	for (size_t r = 0; r < nrows; r++) {
		const float *row = x + r * t->nfeatures;
		float acc = t->base_margin;

		for (size_t g = 0; g * GROUP < t->ntrees; g++)
			add_group(t, g, row, &acc);
		if (t->transform == T_SIGMOID)
			acc = 1.0f / (1.0f + expf(-acc));
		else if (t->transform == T_EXP)
			acc = expf(acc);
		out[r] = acc;
	}
}
