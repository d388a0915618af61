/* quality.c - model quality: ground truth joined to predictions by
 * inference id, and the metrics of Model Monitor's model quality jobs,
 * computed as sklearn.metrics computes them; constraints on them. The
 * labels are held in memory (a hash table by inference id); the
 * predictions stream, keeping what each metric needs: a confusion matrix,
 * sums, and for AUC the scores of each class. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/csv.h"
#include "core/xalloc.h"
#include "monitor/monitor.h"

struct label {
	char *id, *value;
	int used;
};

struct labels {
	struct label *slot;
	size_t n, cap;		/* cap is a power of two */
};

static struct label *labels_find(struct labels *t, const char *id,
				 int insert)
{
	uint64_t h = monitor_hll_hash(id, strlen(id));

	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slot[i].id)
			return insert ? &t->slot[i] : NULL;
		if (strcmp(t->slot[i].id, id) == 0)
			return &t->slot[i];
	}
}

static void labels_grow(struct labels *t)
{
	struct labels bigger = { NULL, 0, t->cap ? t->cap * 2 : 1024 };

	bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].id)
			*labels_find(&bigger, t->slot[i].id, 1) = t->slot[i];
	bigger.n = t->n;
	free(t->slot);
	*t = bigger;
}

static void labels_free(struct labels *t)
{
	for (size_t i = 0; i < t->cap; i++) {
		free(t->slot[i].id);
		free(t->slot[i].value);
	}
	free(t->slot);
}

/* The index of column name in the header, or an error naming the file. */
static int column(size_t *out, size_t n, char **names, const char *name,
		  const char *file, struct mlops_err *err)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0) {
			*out = i;
			return 0;
		}
	return mlops_err_set(err, MLOPS_EINPUT, "%s: no column '%s'", file,
			     name);
}

static int read_labels(struct labels *t, int fd, const char *file,
		       struct mlops_err *err)
{
	struct csv_reader *r = csv_reader_new(fd, file);
	size_t n = 0, idc = 0, lc = 0;
	char **names, **f;
	int ret = csv_read_header(r, &n, &names, err);

	if (ret == 0)
		ret = column(&idc, n, names, "inference_id", file, err);
	if (ret == 0)
		ret = column(&lc, n, names, "label", file, err);
	while (ret == 0 && (ret = csv_read_row(r, n, &f, err)) == 1) {
		struct label *l;

		if (2 * (t->n + 1) > t->cap)
			labels_grow(t);
		l = labels_find(t, f[idc], 1);
		if (l->id) {
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: "
					    "inference id '%s' has a label "
					    "already", csv_reader_name(r),
					    csv_record_line(r), f[idc]);
			break;
		}
		l->id = xstrdup(f[idc]);
		l->value = xstrdup(f[lc]);
		t->n++;
		ret = 0;
	}
	csv_reader_free(r);
	return ret;
}

/* One class of a classification problem and its counts. */
struct klass {
	char *name;
	uint64_t truth, predicted, hit;
};

struct acc {
	enum monitor_quality_problem problem;
	uint64_t n;
	/* binary */
	uint64_t tp, fp, tn, fn;
	double logloss;
	double *pos, *neg;	/* scores by true class, for AUC */
	size_t npos, nneg, pos_cap, neg_cap;
	/* regression */
	double abs_err, sq_err, sum_y, sum_y2;
	/* multiclass: classes[i], and the confusion counts */
	struct klass *classes;
	size_t nclasses, classes_cap;
	uint64_t *confusion;	/* nclasses x nclasses, grown with them */
};

static size_t class_index(struct acc *a, const char *name)
{
	size_t i;

	for (i = 0; i < a->nclasses; i++)
		if (strcmp(a->classes[i].name, name) == 0)
			return i;
	ALLOC_GROW(a->classes, a->nclasses + 1, a->classes_cap);
	memset(&a->classes[i], 0, sizeof(a->classes[i]));
	a->classes[i].name = xstrdup(name);
	a->nclasses++;
	{
		size_t k = a->nclasses;
		uint64_t *m = xcalloc(k * k, sizeof(*m));

		for (size_t x = 0; x + 1 < k; x++)
			for (size_t y = 0; y + 1 < k; y++)
				m[x * k + y] = a->confusion[x * (k - 1) + y];
		free(a->confusion);
		a->confusion = m;
	}
	return i;
}

static int parse_num(const char *s, double *out, const char *what,
		     const char *file, long line, struct mlops_err *err)
{
	char *end;

	*out = strtod(s, &end);
	if (!*s || *end || !isfinite(*out))
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: %s '%s' is "
				     "not a number", file, line, what, s);
	return 0;
}

static int add_pair(struct acc *a, const char *pred, const char *label,
		    double threshold, const char *file, long line,
		    struct mlops_err *err)
{
	double p, y;

	a->n++;
	if (a->problem == MONITOR_QUALITY_MULTICLASS) {
		size_t t = class_index(a, label), q = class_index(a, pred);

		a->classes[t].truth++;
		a->classes[q].predicted++;
		if (t == q)
			a->classes[t].hit++;
		a->confusion[t * a->nclasses + q]++;
		return 0;
	}
	if (parse_num(pred, &p, "prediction", file, line, err) < 0 ||
	    parse_num(label, &y, "label", file, line, err) < 0)
		return err->code;
	if (a->problem == MONITOR_QUALITY_REGRESSION) {
		a->abs_err += fabs(y - p);
		a->sq_err += (y - p) * (y - p);
		a->sum_y += y;
		a->sum_y2 += y * y;
		return 0;
	}
	if (y != 0 && y != 1)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: binary label "
				     "'%s' is neither 0 nor 1", file, line,
				     label);
	if (p < 0 || p > 1)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: score '%s' "
				     "is not a probability", file, line, pred);
	if (p >= threshold)
		y == 1 ? a->tp++ : a->fp++;
	else
		y == 1 ? a->fn++ : a->tn++;
	{
		/* sklearn clips to [eps, 1 - eps], eps of float64. */
		double q = fmin(fmax(p, 2.220446049250313e-16),
				1 - 2.220446049250313e-16);

		a->logloss -= y == 1 ? log(q) : log(1 - q);
	}
	if (y == 1) {
		ALLOC_GROW(a->pos, a->npos + 1, a->pos_cap);
		a->pos[a->npos++] = p;
	} else {
		ALLOC_GROW(a->neg, a->nneg + 1, a->neg_cap);
		a->neg[a->nneg++] = p;
	}
	return 0;
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* The area under the ROC curve: the share of (positive, negative) pairs
 * ordered right, a tie counting half (which is what the trapezoids of
 * sklearn's roc_auc_score sum to). */
static double auc(double *pos, size_t np, double *neg, size_t nn)
{
	double s = 0;
	size_t j = 0, k = 0;

	qsort(pos, np, sizeof(*pos), cmp_double);
	qsort(neg, nn, sizeof(*neg), cmp_double);
	for (size_t i = 0; i < np; i++) {
		while (j < nn && neg[j] < pos[i])
			j++;
		k = k < j ? j : k;
		while (k < nn && neg[k] == pos[i])
			k++;
		s += (double)j + 0.5 * (double)(k - j);
	}
	return s / ((double)np * (double)nn);
}

static double ratio(double a, double b)
{
	return b > 0 ? a / b : 0;
}

static json_t *metric(double v)
{
	return json_pack("{s:f}", "value", v);
}

static json_t *binary_json(struct acc *a)
{
	double p = ratio((double)a->tp, (double)(a->tp + a->fp));
	double r = ratio((double)a->tp, (double)(a->tp + a->fn));
	double f1 = ratio(2.0 * (double)a->tp,
			  (double)(2 * a->tp + a->fp + a->fn));
	json_t *m = json_pack("{s:{s:{s:I,s:I},s:{s:I,s:I}}}",
		"confusion_matrix", "0", "0", (json_int_t)a->tn, "1",
		(json_int_t)a->fp, "1", "0", (json_int_t)a->fn, "1",
		(json_int_t)a->tp);

	json_object_set_new(m, "accuracy", metric(ratio((double)(a->tp +
		a->tn), (double)a->n)));
	json_object_set_new(m, "precision", metric(p));
	json_object_set_new(m, "recall", metric(r));
	json_object_set_new(m, "f1", metric(f1));
	if (a->npos && a->nneg)
		json_object_set_new(m, "auc", metric(auc(a->pos, a->npos,
							  a->neg, a->nneg)));
	json_object_set_new(m, "log_loss", metric(a->logloss /
						   (double)a->n));
	return m;
}

static json_t *regression_json(const struct acc *a)
{
	double n = (double)a->n, mse = a->sq_err / n;
	double ss_tot = a->sum_y2 - a->sum_y * a->sum_y / n, r2;

	if (ss_tot > 0)
		r2 = 1 - a->sq_err / ss_tot;
	else
		r2 = a->sq_err == 0 ? 1 : 0;
	return json_pack("{s:o,s:o,s:o,s:o}", "mae", metric(a->abs_err / n),
			 "mse", metric(mse), "rmse", metric(sqrt(mse)), "r2",
			 metric(r2));
}

static json_t *multiclass_json(const struct acc *a)
{
	json_t *cm = json_object();
	double hits = 0, wp = 0, wr = 0, wf = 0;

	for (size_t t = 0; t < a->nclasses; t++) {
		const struct klass *k = &a->classes[t];
		json_t *row = json_object();
		double p = ratio((double)k->hit, (double)k->predicted);
		double r = ratio((double)k->hit, (double)k->truth);
		double w = (double)k->truth / (double)a->n;

		for (size_t q = 0; q < a->nclasses; q++)
			json_object_set_new(row, a->classes[q].name,
				json_integer((json_int_t)a->confusion[t *
					a->nclasses + q]));
		json_object_set_new(cm, k->name, row);
		hits += (double)k->hit;
		wp += w * p;
		wr += w * r;
		wf += w * ratio(2.0 * (double)k->hit,
				(double)(k->truth + k->predicted));
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:o}", "confusion_matrix", cm,
			 "accuracy", metric(hits / (double)a->n),
			 "weighted_precision", metric(wp), "weighted_recall",
			 metric(wr), "weighted_f1", metric(wf));
}

static const char *const section[] = { "binary_classification_metrics",
				       "regression_metrics",
				       "multiclass_classification_metrics" };

int monitor_quality_compute(json_t **out, enum monitor_quality_problem pb,
			    int pred_fd, const char *pred_file, int label_fd,
			    const char *label_file, double threshold,
			    uint64_t *unmatched, struct mlops_err *err)
{
	struct labels t = { NULL, 0, 0 };
	struct acc a = { .problem = pb };
	struct csv_reader *r = NULL;
	size_t n = 0, idc = 0, pc = 0;
	char **names, **f;
	int ret;

	labels_grow(&t);
	ret = read_labels(&t, label_fd, label_file, err);
	if (ret == 0) {
		r = csv_reader_new(pred_fd, pred_file);
		ret = csv_read_header(r, &n, &names, err);
	}
	if (ret == 0)
		ret = column(&idc, n, names, "inference_id", pred_file, err);
	if (ret == 0)
		ret = column(&pc, n, names, pb == MONITOR_QUALITY_BINARY ?
			     "score" : "prediction", pred_file, err);
	while (ret == 0 && (ret = csv_read_row(r, n, &f, err)) == 1) {
		struct label *l = labels_find(&t, f[idc], 0);

		ret = 0;
		if (!l)
			continue;
		if (l->used) {
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: "
					    "inference id '%s' appears twice",
					    csv_reader_name(r),
					    csv_record_line(r), f[idc]);
			break;
		}
		l->used = 1;
		ret = add_pair(&a, f[pc], l->value, threshold,
			       csv_reader_name(r), csv_record_line(r), err);
	}
	if (ret == 0 && a.n == 0)
		ret = mlops_err_set(err, MLOPS_EINPUT, "no label of %s has "
				    "the inference id of a prediction in %s",
				    label_file, pred_file);
	if (ret == 0) {
		json_t *m = pb == MONITOR_QUALITY_BINARY ? binary_json(&a) :
			pb == MONITOR_QUALITY_REGRESSION ?
			regression_json(&a) : multiclass_json(&a);

		*out = json_pack("{s:f,s:{s:I},s:o}", "version", 0.0,
				 "dataset", "item_count", (json_int_t)a.n,
				 section[pb], m);
		*unmatched = t.n - a.n;
	}
	csv_reader_free(r);
	labels_free(&t);
	free(a.pos);
	free(a.neg);
	for (size_t i = 0; i < a.nclasses; i++)
		free(a.classes[i].name);
	free(a.classes);
	free(a.confusion);
	return ret;
}

json_t *monitor_quality_check(const json_t *stats, const json_t *constraints,
			      struct mlops_err *err)
{
	json_t *out = json_array();
	const char *key;
	json_t *c;

	for (int s = 0; s < 3; s++) {
		char cname[64];
		json_t *metrics = json_object_get(stats, section[s]);
		json_t *cons;

		if (!metrics)
			continue;
		snprintf(cname, sizeof(cname), "%.*s_constraints",
			 (int)(strlen(section[s]) - strlen("_metrics")),
			 section[s]);
		cons = json_object_get(constraints, cname);
		json_object_foreach(cons, key, c) {
			const char *op = json_string_value(json_object_get(c,
				"comparison_operator"));
			json_t *th = json_object_get(c, "threshold");
			json_t *v = json_object_get(json_object_get(metrics,
								    key),
						    "value");
			double x, y;
			int bad;

			if (!op || !json_is_number(th)) {
				json_decref(out);
				mlops_err_set(err, MLOPS_EINPUT, "constraint "
					      "'%s' needs threshold and "
					      "comparison_operator", key);
				return NULL;
			}
			if (!json_is_number(v))
				continue;
			x = json_number_value(v);
			y = json_number_value(th);
			if (strcmp(op, "LessThanThreshold") == 0)
				bad = x < y;
			else if (strcmp(op, "GreaterThanThreshold") == 0)
				bad = x > y;
			else if (strcmp(op, "LessThanOrEqualToThreshold") == 0)
				bad = x <= y;
			else if (strcmp(op,
					"GreaterThanOrEqualToThreshold") == 0)
				bad = x >= y;
			else {
				json_decref(out);
				mlops_err_set(err, MLOPS_EINPUT, "constraint "
					      "'%s': unknown comparison_"
					      "operator '%s'", key, op);
				return NULL;
			}
			if (bad) {
				char desc[256];

				snprintf(desc, sizeof(desc), "Metric %s with "
					 "%g was %s %g", key, x, op, y);
				json_array_append_new(out, json_pack(
					"{s:s,s:s,s:s}", "metric_name", key,
					"constraint_check_type", op,
					"description", desc));
			}
		}
	}
	return json_pack("{s:o}", "violations", out);
}
