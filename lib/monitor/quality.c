/* quality.c - model quality: ground truth joined to predictions by
 * inference id, and the metrics of Model Monitor's model quality jobs,
 * computed as sklearn.metrics computes them; constraints on them. The
 * labels are held in memory (a hash table by inference id); the
 * predictions stream, keeping what each metric needs: a confusion matrix,
 * sums, and for AUC the scores of each class. */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/csv.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "core/utf8.h"
#include "core/xalloc.h"
#include "monitor/monitor.h"

struct label {
	char *id, *value;
	int used;
};

/* Ground truth by inference id: an open-addressing hash table. */
struct monitor_quality_labels {
	struct label *slot;
	size_t n, cap;		/* cap is a power of two */
	uint64_t used;
};

static struct label *labels_find(struct monitor_quality_labels *t,
				 const char *id, int insert)
{
	uint64_t h = monitor_hll_hash(id, strlen(id));

	for (size_t i = h & (t->cap - 1);; i = (i + 1) & (t->cap - 1)) {
		if (!t->slot[i].id)
			return insert ? &t->slot[i] : NULL;
		if (strcmp(t->slot[i].id, id) == 0)
			return &t->slot[i];
	}
}

static void labels_grow(struct monitor_quality_labels *t)
{
	struct monitor_quality_labels bigger = { NULL, 0,
		t->cap ? t->cap * 2 : 1024, t->used };

	bigger.slot = xcalloc(bigger.cap, sizeof(*bigger.slot));
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i].id)
			*labels_find(&bigger, t->slot[i].id, 1) = t->slot[i];
	bigger.n = t->n;
	free(t->slot);
	*t = bigger;
}

void monitor_quality_labels_free(struct monitor_quality_labels *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->cap; i++) {
		free(t->slot[i].id);
		free(t->slot[i].value);
	}
	free(t->slot);
	free(t);
}

uint64_t monitor_quality_labels_count(const struct monitor_quality_labels *t)
{
	return t->n;
}

uint64_t
monitor_quality_labels_unmatched(const struct monitor_quality_labels *t)
{
	return t->n - t->used;
}

/* Add the label of id; where and line are for messages. */
static int label_add(struct monitor_quality_labels *t, const char *id,
		     const char *value, const char *where, long line,
		     struct mlops_err *err)
{
	struct label *l;

	if (2 * (t->n + 1) > t->cap)
		labels_grow(t);
	l = labels_find(t, id, 1);
	if (l->id)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: inference id "
				     "'%s' has a label already", where, line,
				     id);
	l->id = xstrdup(id);
	l->value = xstrdup(value);
	t->n++;
	return 0;
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

static int read_labels_csv(struct monitor_quality_labels *t,
			   struct csv_reader *r, const char *file,
			   struct mlops_err *err)
{
	size_t n = 0, idc = 0, lc = 0;
	char **names, **f;
	int ret = csv_read_header(r, &n, &names, err);

	if (ret == 0)
		ret = column(&idc, n, names, "inference_id", file, err);
	if (ret == 0)
		ret = column(&lc, n, names, "label", file, err);
	while (ret == 0 && (ret = csv_read_row(r, n, &f, err)) == 1)
		ret = label_add(t, f[idc], f[lc], csv_reader_name(r),
				csv_record_line(r), err);
	return ret;
}

/* The label of a ground truth record's groundTruthData: CSV data is the
 * text (one line), JSON data a JSON number or string. NULL when it is
 * neither; the caller frees the result. */
static char *ground_truth_value(const json_t *gt)
{
	const char *enc = jsonio_str(gt, "encoding");
	const char *data = jsonio_str(gt, "data");
	json_t *v;
	char *out = NULL;

	if (!data)
		return NULL;
	if (!enc || strcmp(enc, "CSV") == 0) {
		size_t n = strlen(data);

		while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
			n--;
		if (n && !memchr(data, '\n', n) && !memchr(data, ',', n))
			out = xstrndup(data, n);
		return out;
	}
	if (strcmp(enc, "JSON") != 0)
		return NULL;
	v = json_loads(data, JSON_DECODE_ANY, NULL);
	if (json_is_string(v))
		out = xstrdup(json_string_value(v));
	else if (json_is_integer(v))
		out = xasprintf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
	else if (json_is_real(v))
		out = xasprintf("%.17g", json_real_value(v));
	json_decref(v);
	return out;
}

/* SageMaker's ground truth records, one per line: {"groundTruthData":
 * {"data", "encoding"}, "eventMetadata": {"eventId"[, "inferenceId"]},
 * "eventVersion": "0"}; the inference id, else the event id, names the
 * prediction. */
static int read_labels_jsonl(struct monitor_quality_labels *t, const char *data,
			     size_t len, const char *file,
			     struct mlops_err *err)
{
	long lineno = 0;
	int ret = 0;

	for (size_t at = 0; ret == 0 && at < len;) {
		const char *nl = memchr(data + at, '\n', len - at);
		size_t n = (nl ? (size_t)(nl - data) + 1 : len) - at;
		const char *line = data + at;
		json_t *rec, *meta;
		const char *id;
		char *value;

		at += n;
		lineno++;
		if (strspn(line, " \t\r\n") >= n)
			continue;
		if (!utf8_valid(line, n)) {
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: not "
					    "UTF-8", file, lineno);
			break;
		}
		rec = json_loadb(line, n, 0, NULL);
		meta = json_object_get(rec, "eventMetadata");
		id = jsonio_str(meta, "inferenceId");
		if (!id)
			id = jsonio_str(meta, "eventId");
		value = ground_truth_value(json_object_get(rec,
							   "groundTruthData"));
		if (!rec || !id || !value)
			ret = mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: not a "
					    "ground truth record (groundTruth"
					    "Data.data with encoding CSV or "
					    "JSON, eventMetadata.eventId or "
					    "inferenceId)", file, lineno);
		else
			ret = label_add(t, id, value, file, lineno, err);
		free(value);
		json_decref(rec);
	}
	return ret;
}

/* One labels file (or "-"): JSON Lines when its first byte that is not
 * white space is '{', else CSV. */
static int read_labels_file(struct monitor_quality_labels *t, const char *path,
			    struct mlops_err *err)
{
	struct buf b = BUF_INIT;
	int fd = fs_open_input(path, err), ret;
	size_t skip;

	if (fd < 0)
		return fd;
	ret = buf_read_fd(&b, fd, 0, path, err);
	if (fd != STDIN_FILENO)
		close(fd);
	skip = strspn(b.s, " \t\r\n");
	if (ret == 0 && skip < b.len && b.s[skip] == '{') {
		ret = read_labels_jsonl(t, b.s, b.len, path, err);
	} else if (ret == 0) {
		struct csv_reader *r = csv_reader_new_mem(b.s, b.len, path);

		ret = read_labels_csv(t, r, path, err);
		csv_reader_free(r);
	}
	buf_release(&b);
	return ret;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every *.jsonl and *.csv file below dir, in name order, depth first
 * (ground truth is uploaded under YYYY/MM/DD/HH/ as SageMaker has it). */
static int read_labels_dir(struct monitor_quality_labels *t, const char *dir,
			   int depth, struct mlops_err *err)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, name_cmp), ret = 0;

	if (n < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				       "read '%s'", dir);
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		size_t len = strlen(name);
		char *path = fs_path_join(dir, name);

		if (ret < 0 || name[0] == '.') {
			/* hidden or in progress */
		} else if (fs_is_dir(path)) {
			if (depth < 16)
				ret = read_labels_dir(t, path, depth + 1, err);
		} else if ((len > 6 && strcmp(name + len - 6, ".jsonl") == 0) ||
			   (len > 4 && strcmp(name + len - 4, ".csv") == 0)) {
			ret = read_labels_file(t, path, err);
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int monitor_quality_labels_load(struct monitor_quality_labels **out,
				 const char *path, struct mlops_err *err)
{
	struct monitor_quality_labels *t = xcalloc(1, sizeof(*t));
	int ret;

	labels_grow(t);
	if (strcmp(path, "-") != 0 && fs_is_dir(path))
		ret = read_labels_dir(t, path, 0, err);
	else
		ret = read_labels_file(t, path, err);
	if (ret == 0 && t->n == 0)
		ret = mlops_err_set(err, MLOPS_EINPUT, "%s: no labels", path);
	if (ret < 0) {
		monitor_quality_labels_free(t);
		return ret;
	}
	*out = t;
	return 0;
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

static void acc_release(struct acc *a)
{
	free(a->pos);
	free(a->neg);
	for (size_t i = 0; i < a->nclasses; i++)
		free(a->classes[i].name);
	free(a->classes);
	free(a->confusion);
}

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

/* Check a pair of problem pb, reading numbers into *p and *y. */
static int pair_check(enum monitor_quality_problem pb, const char *pred,
		      const char *label, double *p, double *y,
		      const char *file, long line, struct mlops_err *err)
{
	if (pb == MONITOR_QUALITY_MULTICLASS)
		return 0;
	if (parse_num(pred, p, "prediction", file, line, err) < 0 ||
	    parse_num(label, y, "label", file, line, err) < 0)
		return err->code;
	if (pb == MONITOR_QUALITY_REGRESSION)
		return 0;
	if (*y != 0 && *y != 1)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: binary label "
				     "'%s' is neither 0 nor 1", file, line,
				     label);
	if (*p < 0 || *p > 1)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: score '%s' "
				     "is not a probability", file, line, pred);
	return 0;
}

static void acc_add(struct acc *a, const char *pred, const char *label,
		    double p, double y, double threshold)
{
	a->n++;
	if (a->problem == MONITOR_QUALITY_MULTICLASS) {
		size_t t = class_index(a, label), q = class_index(a, pred);

		a->classes[t].truth++;
		a->classes[q].predicted++;
		if (t == q)
			a->classes[t].hit++;
		a->confusion[t * a->nclasses + q]++;
		return;
	}
	if (a->problem == MONITOR_QUALITY_REGRESSION) {
		a->abs_err += fabs(y - p);
		a->sq_err += (y - p) * (y - p);
		a->sum_y += y;
		a->sum_y2 += y * y;
		return;
	}
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
}

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

/* The area under the ROC curve: the share of (positive, negative) pairs
 * ordered right, a tie counting half (which is what the trapezoids of
 * sklearn's roc_auc_score sum to). pos and neg are sorted ascending. */
static double auc(const double *pos, size_t np, const double *neg,
		  size_t nn)
{
	double s = 0;
	size_t j = 0, k = 0;

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

/* The points of sklearn's _binary_clf_curve, one at a time without
 * storing them: for each distinct score, from the highest down, the
 * score and how many positives and negatives score at or above it. pos
 * and neg are sorted ascending. */
struct walk {
	const double *pos, *neg;
	size_t i, j;		/* the scores not passed yet are below these */
	uint64_t tp, fp;
	double thr;
};

static void walk_init(struct walk *w, const struct acc *a)
{
	memset(w, 0, sizeof(*w));
	w->pos = a->pos;
	w->neg = a->neg;
	w->i = a->npos;
	w->j = a->nneg;
}

/* Step to the next lower distinct score: 0 past the last one. */
static int walk_next(struct walk *w)
{
	double t;

	if (w->i == 0 && w->j == 0)
		return 0;
	if (w->j == 0 || (w->i > 0 && w->pos[w->i - 1] >= w->neg[w->j - 1]))
		t = w->pos[w->i - 1];
	else
		t = w->neg[w->j - 1];
	for (; w->i > 0 && w->pos[w->i - 1] == t; w->i--)
		w->tp++;
	for (; w->j > 0 && w->neg[w->j - 1] == t; w->j--)
		w->fp++;
	w->thr = t;
	return 1;
}

/* sklearn.metrics.average_precision_score: the precision at each
 * threshold weighted by the recall it adds, with no interpolation;
 * *distinct gets the number of distinct scores. Needs a positive. */
static double average_precision(const struct acc *a, size_t *distinct)
{
	struct walk w;
	double s = 0, prev = 0;
	size_t n = 0;

	walk_init(&w, a);
	while (walk_next(&w)) {
		double r = (double)w.tp / (double)a->npos;

		s += (r - prev) * ((double)w.tp / (double)(w.tp + w.fp));
		prev = r;
		n++;
	}
	*distinct = n;
	return s;
}

/* A curve of n points cut to at most MONITOR_QUALITY_CURVE_POINTS,
 * evenly spaced along it, its first and last kept: which are kept (at,
 * ascending), and those points as they are offered. */
struct curve_cut {
	size_t m;
	size_t at[MONITOR_QUALITY_CURVE_POINTS];
	double x[MONITOR_QUALITY_CURVE_POINTS], y[MONITOR_QUALITY_CURVE_POINTS];
	double t[MONITOR_QUALITY_CURVE_POINTS];
};

static void cut_init(struct curve_cut *c, size_t n)
{
	c->m = n < MONITOR_QUALITY_CURVE_POINTS ? n :
		MONITOR_QUALITY_CURVE_POINTS;
	/* With spacing (n - 1) / (m - 1) of at least 1, no index twice. */
	for (size_t k = 0; k < c->m; k++)
		c->at[k] = c->m < 2 ? k : (size_t)((double)k * (double)(n - 1) /
						  (double)(c->m - 1) + 0.5);
}

/* Point i of the curve, in any order; c NULL: counting only. */
static void cut_offer(struct curve_cut *c, size_t i, double x, double y,
		      double t)
{
	size_t lo = 0, hi;

	if (!c)
		return;
	for (hi = c->m; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (c->at[mid] < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < c->m && c->at[lo] == i) {
		c->x[lo] = x;
		c->y[lo] = y;
		c->t[lo] = t;
	}
}

/* The kept points as {xname: [...], yname: [...], thresholds: [...]}; a
 * NaN threshold is JSON's null (no score is that high, or none low). */
static json_t *cut_json(const struct curve_cut *c, const char *xname,
			const char *yname)
{
	json_t *x = json_array(), *y = json_array(), *t = json_array();

	for (size_t k = 0; k < c->m; k++) {
		json_array_append_new(x, json_real(c->x[k]));
		json_array_append_new(y, json_real(c->y[k]));
		json_array_append_new(t, isnan(c->t[k]) ? json_null() :
				      json_real(c->t[k]));
	}
	return json_pack("{s:o,s:o,s:o}", xname, x, yname, y, "thresholds",
			 t);
}

/* Offer the points of sklearn.metrics.roc_curve with drop_intermediate
 * to c (NULL: count them): (0, 0), then each threshold where the curve
 * turns, its first and last always. Returns how many. Needs positives
 * and negatives. */
static size_t roc_points(const struct acc *a, struct curve_cut *c)
{
	struct walk w;
	uint64_t ptp = 0, pfp = 0, tp, fp;
	double thr;
	size_t n = 0;
	int first = 1, more;

	cut_offer(c, n++, 0, 0, NAN);
	walk_init(&w, a);
	walk_next(&w);
	do {
		tp = w.tp;
		fp = w.fp;
		thr = w.thr;
		more = walk_next(&w);
		/* Collinear with its neighbours: left out. */
		if (first || !more || w.fp - fp != fp - pfp ||
		    w.tp - tp != tp - ptp)
			cut_offer(c, n++, (double)fp / (double)a->nneg,
				  (double)tp / (double)a->npos, thr);
		ptp = tp;
		pfp = fp;
		first = 0;
	} while (more);
	return n;
}

/* Offer the points of sklearn.metrics.precision_recall_curve to c: from
 * the lowest of the distinct thresholds up, then precision 1 at recall
 * 0. Needs a positive. */
static void pr_points(const struct acc *a, struct curve_cut *c,
		      size_t distinct)
{
	struct walk w;
	size_t k = 0;

	walk_init(&w, a);
	while (walk_next(&w))
		cut_offer(c, distinct - 1 - k++, (double)w.tp /
			  (double)(w.tp + w.fp), (double)w.tp /
			  (double)a->npos, w.thr);
	cut_offer(c, distinct, 1, 0, NAN);
}

static json_t *metric(double v)
{
	return json_pack("{s:f}", "value", v);
}

/* F-beta from the counts, as sklearn.metrics.fbeta_score (0 when there
 * is no true or predicted positive). */
static double fbeta(const struct acc *a, double beta)
{
	double b2 = beta * beta;

	return ratio((1 + b2) * (double)a->tp, (1 + b2) * (double)a->tp +
		     b2 * (double)a->fn + (double)a->fp);
}

/* The metrics that rank the scores: auc, average_precision and, when
 * curves, Model Monitor's receiver_operating_characteristic_curve and
 * precision_recall_curve. Memory: nothing beyond the scores. */
static void ranking_json(json_t *m, struct acc *a, int curves)
{
	struct curve_cut c;
	size_t distinct;

	if (!a->npos)
		return;
	qsort(a->pos, a->npos, sizeof(*a->pos), cmp_double);
	if (a->nneg) {		/* else neg is NULL, which qsort may not take */
		qsort(a->neg, a->nneg, sizeof(*a->neg), cmp_double);
		json_object_set_new(m, "auc", metric(auc(a->pos, a->npos,
							  a->neg, a->nneg)));
		if (curves) {
			cut_init(&c, roc_points(a, NULL));
			roc_points(a, &c);
			json_object_set_new(m, "receiver_operating_"
					    "characteristic_curve",
					    cut_json(&c, "false_positive_rates",
						     "true_positive_rates"));
		}
	}
	json_object_set_new(m, "average_precision",
			    metric(average_precision(a, &distinct)));
	if (curves) {
		cut_init(&c, distinct + 1);
		pr_points(a, &c, distinct);
		json_object_set_new(m, "precision_recall_curve",
				    cut_json(&c, "precisions", "recalls"));
	}
}

static json_t *binary_json(struct acc *a, int curves)
{
	double pos = (double)(a->tp + a->fn), neg = (double)(a->tn + a->fp);
	/* Model Monitor's "best constant classifier" predicts 1 for all
	 * (its documented example has accuracy_best_constant_classifier
	 * 0.25 for one positive among four). */
	struct acc c = { .tp = a->tp + a->fn, .fp = a->fp + a->tn };
	json_t *m = json_pack("{s:{s:{s:I,s:I},s:{s:I,s:I}}}",
		"confusion_matrix", "0", "0", (json_int_t)a->tn, "1",
		(json_int_t)a->fp, "1", "0", (json_int_t)a->fn, "1",
		(json_int_t)a->tp);

	json_object_set_new(m, "recall", metric(ratio((double)a->tp, pos)));
	json_object_set_new(m, "precision", metric(ratio((double)a->tp,
		(double)(a->tp + a->fp))));
	json_object_set_new(m, "accuracy", metric(ratio((double)(a->tp +
		a->tn), (double)a->n)));
	json_object_set_new(m, "recall_best_constant_classifier",
			    metric(ratio(pos, pos)));
	json_object_set_new(m, "precision_best_constant_classifier",
			    metric(ratio(pos, (double)a->n)));
	json_object_set_new(m, "accuracy_best_constant_classifier",
			    metric(ratio(pos, (double)a->n)));
	json_object_set_new(m, "true_positive_rate",
			    metric(ratio((double)a->tp, pos)));
	json_object_set_new(m, "true_negative_rate",
			    metric(ratio((double)a->tn, neg)));
	json_object_set_new(m, "false_positive_rate",
			    metric(ratio((double)a->fp, neg)));
	json_object_set_new(m, "false_negative_rate",
			    metric(ratio((double)a->fn, pos)));
	ranking_json(m, a, curves);
	json_object_set_new(m, "f0_5", metric(fbeta(a, 0.5)));
	json_object_set_new(m, "f1", metric(fbeta(a, 1)));
	json_object_set_new(m, "f2", metric(fbeta(a, 2)));
	json_object_set_new(m, "f0_5_best_constant_classifier",
			    metric(fbeta(&c, 0.5)));
	json_object_set_new(m, "f1_best_constant_classifier",
			    metric(fbeta(&c, 1)));
	json_object_set_new(m, "f2_best_constant_classifier",
			    metric(fbeta(&c, 2)));
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
	double hits = 0, wp = 0, wr = 0, wf[3] = { 0, 0, 0 };
	static const double beta2[3] = { 0.25, 1, 4 };

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
		/* F-beta of the class: (1 + b2) hit / (b2 truth + predicted). */
		for (int b = 0; b < 3; b++)
			wf[b] += w * ratio((1 + beta2[b]) * (double)k->hit,
					   beta2[b] * (double)k->truth +
					   (double)k->predicted);
	}
	return json_pack("{s:o,s:o,s:o,s:o,s:o,s:o,s:o}", "confusion_matrix",
			 cm, "accuracy", metric(hits / (double)a->n),
			 "weighted_precision", metric(wp), "weighted_recall",
			 metric(wr), "weighted_f0_5", metric(wf[0]),
			 "weighted_f1", metric(wf[1]), "weighted_f2",
			 metric(wf[2]));
}

static json_t *acc_json(struct acc *a, int curves)
{
	if (a->problem == MONITOR_QUALITY_BINARY)
		return binary_json(a, curves);
	if (a->problem == MONITOR_QUALITY_REGRESSION)
		return regression_json(a);
	return multiclass_json(a);
}

static const char *const section[] = { "binary_classification_metrics",
				       "regression_metrics",
				       "multiclass_classification_metrics" };

struct monitor_quality {
	enum monitor_quality_problem problem;
	double threshold;
	struct acc all, sample[MONITOR_QUALITY_SAMPLES];
	uint64_t rng;
	uint64_t no_label, repeated;
};

struct monitor_quality *monitor_quality_new(enum monitor_quality_problem pb,
					    double threshold)
{
	struct monitor_quality *q = xcalloc(1, sizeof(*q));

	q->problem = pb;
	q->threshold = threshold;
	q->all.problem = pb;
	for (int i = 0; i < MONITOR_QUALITY_SAMPLES; i++)
		q->sample[i].problem = pb;
	q->rng = 0x853c49e6748fea9bULL;	/* fixed: the same data, the same
					 * figures */
	return q;
}

void monitor_quality_free(struct monitor_quality *q)
{
	if (!q)
		return;
	acc_release(&q->all);
	for (int i = 0; i < MONITOR_QUALITY_SAMPLES; i++)
		acc_release(&q->sample[i]);
	free(q);
}

/* splitmix64: a uniform number in [0, 1) for the subsamples. */
static double next_uniform(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	z ^= z >> 31;
	return (double)(z >> 11) * 0x1.0p-53;
}

static void quality_add(struct monitor_quality *q, const char *pred,
			const char *label, double p, double y)
{
	acc_add(&q->all, pred, label, p, y, q->threshold);
	for (int i = 0; i < MONITOR_QUALITY_SAMPLES; i++)
		if (next_uniform(&q->rng) < MONITOR_QUALITY_SAMPLE_SHARE)
			acc_add(&q->sample[i], pred, label, p, y,
				q->threshold);
}

int monitor_quality_add(struct monitor_quality *q,
			struct monitor_quality_labels *l,
			const char *id, const char *pred, int repeat_ok,
			struct monitor_quality *also, const char *where,
			long line, struct mlops_err *err)
{
	struct label *lab = labels_find(l, id, 0);
	double p = 0, y = 0;
	int ret;

	if (!lab) {
		q->no_label++;
		return 0;
	}
	if (lab->used) {
		if (repeat_ok) {
			q->repeated++;
			return 0;
		}
		return mlops_err_set(err, MLOPS_EINPUT, "%s:%ld: inference id "
				     "'%s' appears twice", where, line, id);
	}
	ret = pair_check(q->problem, pred, lab->value, &p, &y, where, line,
			 err);
	if (ret < 0)
		return ret;
	lab->used = 1;
	l->used++;
	quality_add(q, pred, lab->value, p, y);
	if (also)
		quality_add(also, pred, lab->value, p, y);
	return 1;
}

int monitor_quality_add_csv(struct monitor_quality *q,
			    struct monitor_quality_labels *l, int fd,
			    const char *file, struct mlops_err *err)
{
	struct csv_reader *r = csv_reader_new(fd, file);
	size_t n = 0, idc = 0, pc = 0;
	char **names, **f;
	int ret = csv_read_header(r, &n, &names, err);

	if (ret == 0)
		ret = column(&idc, n, names, "inference_id", file, err);
	if (ret == 0)
		ret = column(&pc, n, names, q->problem ==
			     MONITOR_QUALITY_BINARY ? "score" : "prediction",
			     file, err);
	while (ret == 0 && (ret = csv_read_row(r, n, &f, err)) == 1) {
		ret = monitor_quality_add(q, l, f[idc], f[pc], 0, NULL,
					  csv_reader_name(r),
					  csv_record_line(r), err);
		ret = ret < 0 ? ret : 0;
	}
	csv_reader_free(r);
	return ret;
}

uint64_t monitor_quality_items(const struct monitor_quality *q)
{
	return q->all.n;
}

uint64_t monitor_quality_unlabelled(const struct monitor_quality *q)
{
	return q->no_label;
}

uint64_t monitor_quality_repeated(const struct monitor_quality *q)
{
	return q->repeated;
}

/* Set standard_deviation on each {"value"} of full: the sample standard
 * deviation of the metric over the subsamples that have it, as Model
 * Monitor reports it from 200 items on; "NaN" (a string, as there) below
 * that or with fewer than two values. */
static void add_deviations(json_t *full, json_t *const *samples, int n,
			   int enough)
{
	const char *key;
	json_t *m;

	json_object_foreach(full, key, m) {
		double v[MONITOR_QUALITY_SAMPLES], mean = 0, ss = 0;
		int k = 0;

		if (!json_is_number(json_object_get(m, "value")))
			continue;
		for (int i = 0; enough && i < n; i++) {
			json_t *x = json_object_get(json_object_get(
				samples[i], key), "value");

			if (json_is_number(x))
				v[k++] = json_number_value(x);
		}
		for (int i = 0; i < k; i++)
			mean += v[i] / k;
		for (int i = 0; i < k; i++)
			ss += (v[i] - mean) * (v[i] - mean);
		json_object_set_new(m, "standard_deviation", k >= 2 ?
				    json_real(sqrt(ss / (k - 1))) :
				    json_string("NaN"));
	}
}

int monitor_quality_statistics(json_t **out, struct monitor_quality *q,
			       struct mlops_err *err)
{
	json_t *m, *samples[MONITOR_QUALITY_SAMPLES];
	int ns = 0;

	if (q->all.n == 0)
		return mlops_err_set(err, MLOPS_EINPUT, "no prediction has "
				     "a label");
	m = acc_json(&q->all, 1);
	for (int i = 0; i < MONITOR_QUALITY_SAMPLES; i++)
		if (q->sample[i].n)
			samples[ns++] = acc_json(&q->sample[i], 0);
	add_deviations(m, samples, ns,
		       q->all.n >= MONITOR_QUALITY_MIN_FOR_DEVIATION);
	for (int i = 0; i < ns; i++)
		json_decref(samples[i]);
	*out = json_pack("{s:f,s:{s:I},s:o}", "version", 0.0, "dataset",
			 "item_count", (json_int_t)q->all.n,
			 section[q->problem], m);
	return 0;
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
