/* monitor.h - the public header of lib/monitor: Model Monitor on one
 * machine. Streaming profiles of a dataset (statistics.json and
 * constraints.json in Model Monitor's formats), the checks of new data
 * against such a baseline, drift tests, model quality, feature
 * attribution drift, schedules over an endpoint's capture, baselines
 * kept with model versions, and the model dashboard. Formats:
 * mlops-monitor(5). Each section below says which file implements it. */
#ifndef MLOPS_MONITOR_H
#define MLOPS_MONITOR_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"

/* Sketches (kll.c, hll.c): the bounded-memory summaries behind a
 * baseline, a KLL quantile sketch and a HyperLogLog distinct counter.
 *
 * KLL (Karnin, Lang, Liberty 2016) keeps a stack of compactors; level h
 * holds items of weight 2^h, and a full level is sorted and every other
 * item (odd or even, by a coin) moves up. With k = 2048 and c = 0.64
 * (Deequ's defaults, which Model Monitor uses) it keeps about
 * k / (1 - c) = 5,700 items whatever the input size, and the rank of any
 * value it reports is within 0.5% of the true rank with high
 * probability (the rank error of KLL is about 2.3 / k^0.97, 0.14% for
 * k = 2048; tests/unit/test_monitor.c checks 0.5% on a million items).
 * The coin is a fixed-seed generator, so a sketch of the same input is
 * the same every time.
 *
 * HyperLogLog (Flajolet et al. 2007) with 2^14 one-byte registers and
 * linear counting for small cardinalities: a relative standard error of
 * 1.04 / 2^7 = 0.81% in 16 KiB. */
#define MONITOR_KLL_DEFAULT_K 2048
#define MONITOR_KLL_DEFAULT_C 0.64

struct monitor_kll_level {
	double *items;
	size_t n, cap;
};

struct monitor_kll {
	unsigned k;
	double c;
	struct monitor_kll_level *levels;
	size_t nlevels;
	uint64_t count;  /* items added (the total weight) */
	size_t size;     /* items held over all levels */
	size_t max_size; /* compress when size reaches it */
	uint64_t rng;
};

void monitor_kll_init(struct monitor_kll *s, unsigned k, double c);
void monitor_kll_release(struct monitor_kll *s);
void monitor_kll_add(struct monitor_kll *s, double v);
/* monitor_kll_add of v[0], ..., v[n-1], in that order, in fewer steps:
 * the sketch is the same. */
void monitor_kll_add_many(struct monitor_kll *s, const double *v, size_t n);
/* The estimated fraction of added items <= v (0 for an empty sketch). */
double monitor_kll_cdf(const struct monitor_kll *s, double v);
/* out[j] = monitor_kll_cdf(s, v[j]) for each of the nv values, sorting
 * the sketch once (fastest when v is ascending). */
void monitor_kll_cdf_many(const struct monitor_kll *s, const double *v,
			  size_t nv, double *out);
/* The estimated q-quantile, 0 <= q <= 1 (NaN for an empty sketch). */
double monitor_kll_quantile(const struct monitor_kll *s, double q);
/* {"parameters": {"c", "k"}, "data": [[level 0 items], [level 1], ...]},
 * Model Monitor's sketch object. The caller owns the result. */
json_t *monitor_kll_to_json(const struct monitor_kll *s);
/* Rebuild a sketch from monitor_kll_to_json's form; MLOPS_EINPUT naming what
 * when it is malformed. */
int monitor_kll_from_json(struct monitor_kll *out, const json_t *j,
			  const char *what, struct mlops_err *err);
/* The largest |cdf_a - cdf_b| over every value either sketch holds: the
 * L-infinity distance Model Monitor compares with its threshold. */
double monitor_kll_linf(const struct monitor_kll *a,
			const struct monitor_kll *b);

/* Sort n doubles ascending (sort.c): a radix sort on their bits for
 * large n. Equal values end up together; -0.0 just before 0.0. */
void monitor_sort_doubles(double *a, size_t n);
/* qsort(3)'s comparison of two doubles. */
int monitor_sort_cmp_double(const void *a, const void *b);

/* Numbers in data (number.c): what a field of len bytes at s holds,
 * MONITOR_NUMBER_INTEGRAL (optional sign and digits, as Deequ's regular
 * expression has integers), MONITOR_NUMBER_FRACTIONAL (any other finite
 * decimal number strtod(3) reads in full: a point, an exponent) or
 * MONITOR_NUMBER_TEXT (anything else, "nan", "inf", hex and numbers
 * out of range among it). For a number, *v gets its value, rounded
 * exactly as strtod rounds it. s need not be NUL-terminated. */
enum {
	MONITOR_NUMBER_TEXT,
	MONITOR_NUMBER_INTEGRAL,
	MONITOR_NUMBER_FRACTIONAL
};
int monitor_number_parse(const char *s, size_t len, double *v);
/* The same, faster, for s with 8 readable bytes past len. */
int monitor_number_parse_padded(const char *s, size_t len, double *v);

#define MONITOR_HLL_P 14
#define MONITOR_HLL_M (1u << MONITOR_HLL_P)

struct monitor_hll {
	uint8_t reg[MONITOR_HLL_M];
};

void monitor_hll_init(struct monitor_hll *h);
void monitor_hll_add_hash(struct monitor_hll *h, uint64_t hash);
double monitor_hll_estimate(const struct monitor_hll *h);

/* A 64-bit hash of len bytes, well mixed in every bit. */
uint64_t monitor_hll_hash(const void *data, size_t len);

/* Up to this many distinct values of a column are counted exactly (and
 * listed as categorical buckets); past it, distinct_count is HyperLogLog's
 * estimate and values not yet seen are no longer tallied one by one. */
#define MONITOR_PROFILE_DISTINCT_CAP 1024
/* A String column with at most this many distinct values gets a domain
 * constraint (string_constraints.domains). */
#define MONITOR_REPORT_DOMAIN_MAX 20

enum monitor_profile_type {
	MONITOR_PROFILE_UNKNOWN,
	MONITOR_PROFILE_INTEGRAL,
	MONITOR_PROFILE_FRACTIONAL,
	MONITOR_PROFILE_STRING
};

struct monitor_profile_distinct {
	char *value; /* NULL for an empty slot */
	size_t len;  /* of value */
	uint64_t hash;
	uint64_t count;
};

struct monitor_profile_column {
	char *name;
	uint64_t n_missing, n_integral, n_fractional, n_string;
	/* Over the values that read as numbers. */
	uint64_t n_num;
	double sum, mean, m2, min, max;
	struct monitor_kll kll;
	/* Exact counts of the first MONITOR_PROFILE_DISTINCT_CAP distinct
	 * values. */
	struct monitor_profile_distinct *dist;
	/* dist[i].hash, or 0 for an empty slot (a hash of 0 is kept as
	 * 1): what a lookup probes, 8 bytes a slot rather than 40. */
	uint64_t *dist_hash;
	size_t ndist, dist_slots;
	int dist_overflow;
	/* Read with strings_only, the column turned String after numbers
	 * that dist and hll never saw. */
	int dist_partial;
	struct monitor_hll hll;
	/* Every number read, in order, when the profile was read with
	 * keep_values; else NULL. */
	double *values;
	size_t nvalues, values_cap;
};

struct monitor_profile {
	uint64_t item_count;
	size_t ncols;
	struct monitor_profile_column *cols;
	int keep; /* keep every number (values) */
	int strings_only; /* value counts of String columns only */
	struct progress *progress; /* told the rows read, or NULL */
};

enum monitor_profile_format { MONITOR_PROFILE_CSV, MONITOR_PROFILE_JSONL };

/* Profile the data read from fd (name is used in messages) in one pass:
 * CSV with a header row, CSV without one (header = 0; the columns are
 * then _c0, _c1, ... as Spark names them) or JSON Lines of flat objects
 * (columns from the first object; null is missing). MLOPS_EINPUT, with
 * "name:LINE: why", for an empty input, bad CSV or JSON, a record of the
 * wrong width, or text that is not UTF-8. */
int monitor_profile_read(struct monitor_profile *out, int fd, const char *name,
			 enum monitor_profile_format format, int header,
			 struct mlops_err *err);
/* monitor_profile_read that also keeps every number of every column (for
 * monitor_drift), instead of a KLL sketch of them: memory grows with the
 * rows. */
int monitor_profile_read_values(struct monitor_profile *out, int fd,
				const char *name,
				enum monitor_profile_format format, int header,
				struct mlops_err *err);

/* How monitor_profile_read_opts reads: format, header as above; keep as
 * monitor_profile_read_values does; threads profiling CSV (0: one per
 * online processor). The profile is the same for any number of threads:
 * each column is profiled by one thread at a time, in file order.
 * strings_only: exact value counts and HyperLogLog for String columns
 * only (a column that reads as numbers then has ndist 0, as its
 * numerical_statistics need none); CSV in a regular file only, which is
 * read a second time, every column counted, if a column turns String
 * after numbers. */
struct monitor_profile_opts {
	enum monitor_profile_format format;
	int header;
	int keep;
	unsigned threads;
	int strings_only;
	struct progress *progress; /* told the rows read, or NULL */
};
int monitor_profile_read_opts(struct monitor_profile *out, int fd,
			      const char *name,
			      const struct monitor_profile_opts *o,
			      struct mlops_err *err);
void monitor_profile_release(struct monitor_profile *p);

/* The threads to use for jobs independent pieces of work when want are
 * asked for: want (0: one per online processor), at most jobs and
 * MONITOR_MAX_THREADS, at least 1. */
#define MONITOR_MAX_THREADS 64
unsigned monitor_profile_thread_count(unsigned want, size_t jobs);

/* Profiles built row by row (what run-due does with captured requests):
 * begin with n columns named names (NULL: _c0, _c1, ...), then add rows
 * of exactly n fields of lens[i] bytes; name and line are for messages.
 * MLOPS_EINPUT for a repeated column name or text that is not UTF-8. */
int monitor_profile_begin(struct monitor_profile *p, size_t n,
			  char *const *names, const char *name,
			  struct mlops_err *err);
int monitor_profile_add_row(struct monitor_profile *p, char *const *fields,
			    const size_t *lens, const char *name, long line,
			    struct mlops_err *err);

/* The type Model Monitor infers for a column: Unknown when every value
 * is missing, String when any value is not a number, Fractional when any
 * number has a fraction or exponent, else Integral. */
enum monitor_profile_type
monitor_profile_column_type(const struct monitor_profile_column *c);
const char *monitor_profile_type_name(enum monitor_profile_type t);
uint64_t
monitor_profile_column_distinct(const struct monitor_profile_column *c);
/* How often value occurs in c's exact table: 0 when it never occurred,
 * or occurred only after the table was full. */
uint64_t monitor_profile_column_count(const struct monitor_profile_column *c,
				      const char *value);

/* statistics.json and constraints.json for p. The caller owns them. */
json_t *monitor_report_statistics(const struct monitor_profile *p);
json_t *monitor_report_constraints(const struct monitor_profile *p);

/* Write each named JSON value to DIR/NAME, creating DIR. Every file is
 * rendered before the first is written, and each is replaced atomically,
 * so a failure leaves no file half-written. */
int monitor_report_write(const char *dir, size_t n, const char *const *names,
			 json_t *const *values, struct mlops_err *err);
/* The same for texts already rendered. */
int monitor_report_write_text(const char *dir, size_t n,
			      const char *const *names, const struct buf *text,
			      struct mlops_err *err);

/* Append statistics.json for p to out, as monitor_report_write renders
 * monitor_report_statistics(p), its features rendered by up to threads
 * threads (0: one per processor). */
void monitor_report_statistics_text(struct buf *out,
				    const struct monitor_profile *p,
				    unsigned threads);

/* Write statistics.json and constraints.json for p into dir, as
 * monitor_report_write would, rendering with up to threads threads. */
int monitor_report_write_baseline(const char *dir,
				  const struct monitor_profile *p,
				  unsigned threads, struct mlops_err *err);

/* A baseline: statistics.json and constraints.json of a directory,
 * checked for the fields the checks read. */
struct monitor_report_baseline {
	json_t *statistics;
	json_t *constraints;
};

/* Load DIR/statistics.json and DIR/constraints.json. MLOPS_ENOTFOUND
 * when one is missing, MLOPS_EINPUT when one is not JSON (a truncated
 * file) or lacks a field the checks need, naming file and field. */
int monitor_report_baseline_load(struct monitor_report_baseline *out,
				 const char *dir, struct mlops_err *err);
/* Check that doc (either file) has what the checks read: a features
 * array whose every entry has a name and an inferred_type. name is for
 * messages. MLOPS_EINPUT. */
int monitor_report_baseline_check(const json_t *doc, const char *name,
				  struct mlops_err *err);
void monitor_report_baseline_release(struct monitor_report_baseline *b);

/* Check the profile cur against the baseline: Model Monitor's
 * missing_column_check, extra_column_check, data_type_check,
 * completeness_check, non_negative_check, categorical_values_check and
 * baseline_drift_check. Returns constraint_violations.json
 * ({"violations": [...]}, possibly empty), owned by the caller, or NULL
 * with err set when the baseline names a feature in a malformed way. */
json_t *monitor_check(const struct monitor_report_baseline *b,
		      const struct monitor_profile *cur, struct mlops_err *err);

/* The two-sample Kolmogorov-Smirnov statistic of a[0..n1) and b[0..n2),
 * two-sided, and its p-value in *pvalue, as scipy.stats.ks_2samp
 * computes them (ks.c says how). Sorts a and b in place. NaN for an
 * empty sample. */
double monitor_ks_2samp(double *a, size_t n1, double *b, size_t n2,
			double *pvalue);

enum monitor_drift_method {
	MONITOR_DRIFT_KS,
	MONITOR_DRIFT_PSI,
	MONITOR_DRIFT_JS,
	MONITOR_DRIFT_CHI2,
	MONITOR_DRIFT_WASSERSTEIN
};

/* "ks" ... into *out: 0, or -1 for an unknown name. */
int monitor_drift_method_parse(const char *s, enum monitor_drift_method *out);
const char *monitor_drift_method_name(enum monitor_drift_method m);

struct monitor_drift {
	double statistic;
	double p_value; /* NaN for methods without one */
	uint64_t n_reference, n_current;
};

/* The distance by method m between the reference column ref and the
 * current column cur (both read with keep_values): ks and wasserstein
 * for numeric columns, chi2 for String ones, psi and js for both (over
 * the reference's deciles, or over the categories). Returns 1 with *out
 * set, or 0 when m does not apply to the columns' types. The numeric
 * methods sort the columns' values in place. */
int monitor_drift(struct monitor_drift *out, enum monitor_drift_method m,
		  struct monitor_profile_column *ref,
		  struct monitor_profile_column *cur);

/* monitor_drift of the n column pairs ref[i], cur[i] at once, on up to
 * threads threads (0: one per online processor): applies[i] gets what
 * monitor_drift returns for pair i, out[i] its result. */
void monitor_drift_many(struct monitor_drift *out, int *applies,
			enum monitor_drift_method m,
			struct monitor_profile_column *const *ref,
			struct monitor_profile_column *const *cur,
			size_t n, unsigned threads);

/* Baselines attached to model versions (baseline.c). */
/* Attach the baseline in dir (statistics.json and constraints.json,
 * checked as monitor_report_baseline_load checks them) to the model
 * version ref ("GROUP/N", "GROUP@ALIAS" or "GROUP"), replacing any
 * earlier one: the files become blobs held by the version. *resolved
 * (the caller frees it) gets "GROUP/N". MLOPS_ENOTFOUND for a missing
 * version or file. */
int monitor_baseline_register(struct store *st, const char *dir,
			      const char *ref, char **resolved,
			      struct mlops_err *err);

/* 1 when arg names a model version (GROUP/N, GROUP@ALIAS) rather than
 * a directory: it is not a directory, has a '/' or '@', and does not
 * start with '/' or '.'. */
int monitor_baseline_is_ref(const char *arg);

/* The directory holding the baseline of ref: the files, verified, under
 * the store's monitoring/baselines/GROUP/N/. The caller frees *out.
 * MLOPS_ENOTFOUND when the version has no baseline. */
int monitor_baseline_materialise(struct store *st, const char *ref,
				 char **out, struct mlops_err *err);

/* Schedules (schedule.c): monitoring schedules over endpoint data capture, and
 * their executions (schedule.c). */
struct monitor_schedule {
	char *name, *endpoint, *baseline, *type, *created_by;
	char *labels, *problem;	/* quality; else NULL */
	double threshold;	/* NaN: the type's default */
	int64_t interval_us, next_start_us, created_us;
};

/* What a schedule checks, beyond data quality (the default). */
struct monitor_schedule_spec {
	const char *type;	/* "data" (or NULL), "quality" or
				 * "attribution" */
	const char *labels;	/* quality: the ground truth directory */
	const char *problem;	/* quality: binary, regression or
				 * multiclass */
	double threshold;	/* NaN: the default; quality binary: the
				 * score that predicts 1 (0.5); attribution:
				 * the lowest NDCG without violation (0.9) */
};

void monitor_schedule_release(struct monitor_schedule *s);

/* Add schedule name checking endpoint's capture every interval_us (at
 * least a minute), windows aligned on multiples of the interval since
 * the epoch, as spec says (NULL: data quality). The baseline is, for
 * data, a baseline directory or a model version (GROUP/N); for quality,
 * a directory holding the model quality constraints.json; for
 * attribution, the baseline data (CSV with a header, the model's
 * features in order). MLOPS_EUSAGE for a bad name, interval or spec,
 * MLOPS_ENOTFOUND for a missing endpoint, baseline or labels directory
 * or a name already taken, MLOPS_EINPUT for a malformed baseline. */
int monitor_schedule_create(struct store *st, const char *name,
			    const char *endpoint, const char *baseline,
			    int64_t interval_us,
			    const struct monitor_schedule_spec *spec,
			    struct mlops_err *err);
/* MLOPS_ENOTFOUND when there is no such schedule. Its executions go
 * with it (their report files stay until removed by hand). */
int monitor_schedule_delete(struct store *st, const char *name,
			    struct mlops_err *err);
/* Every schedule, by name; free with monitor_schedule_list_free. */
int monitor_schedule_list(struct store *st, struct monitor_schedule **out,
			  size_t *n, struct mlops_err *err);
void monitor_schedule_list_free(struct monitor_schedule *v, size_t n);

/* monitor_schedule_run_due's result when another run-due holds the lock. */
#define MONITOR_SCHEDULE_BUSY 1

/* Run every window of every schedule that ended by now_us, oldest first,
 * under the store's monitor.lock: returns MONITOR_SCHEDULE_BUSY at once
 * when another process holds it. Each window profiles the CSV requests
 * the endpoint captured in it, checks them against the baseline, writes
 * the report under monitoring/SCHEDULE/ID/, and records the execution
 * (Completed, CompletedWithViolations, or Failed with a reason, for
 * instance a window with no CSV request), advances the schedule and
 * emits the event "Monitoring Execution Status Change" from mlops.monitor,
 * in one transaction. fn is called with each execution's JSON. */
int monitor_schedule_run_due(struct store *st, int64_t now_us,
			     int (*fn)(const json_t *exec, void *arg),
			     void *arg, struct mlops_err *err);

/* The executions of schedule, oldest first, as a JSON array (the caller
 * owns it); MLOPS_ENOTFOUND for no such schedule. */
int monitor_schedule_executions(struct store *st, const char *schedule,
				json_t **out, struct mlops_err *err);
/* One execution by id; MLOPS_ENOTFOUND. */
int monitor_schedule_execution_get(struct store *st, const char *id,
				   json_t **out, struct mlops_err *err);

/* Model quality against ground truth (quality.c). */
enum monitor_quality_problem {
	MONITOR_QUALITY_BINARY,
	MONITOR_QUALITY_REGRESSION,
	MONITOR_QUALITY_MULTICLASS
};

/* Ground truth by inference id. */
struct monitor_quality_labels;

/* Load the labels of path: a file ("-": standard input) or every *.jsonl
 * and *.csv file below a directory, in name order. A file whose first
 * byte that is not white space is '{' holds SageMaker's ground truth
 * records, one per line ({"groundTruthData": {"data", "encoding": "CSV"
 * or "JSON"}, "eventMetadata": {"eventId"[, "inferenceId"]},
 * "eventVersion": "0"}; the inference id, else the event id, names the
 * prediction); any other is CSV with columns inference_id and label.
 * MLOPS_EINPUT for a malformed record, a missing column, an inference
 * id labelled twice, or no label at all; MLOPS_ENOTFOUND for a missing
 * path. Free with monitor_quality_labels_free. */
int monitor_quality_labels_load(struct monitor_quality_labels **out,
				 const char *path, struct mlops_err *err);
void monitor_quality_labels_free(struct monitor_quality_labels *l);
uint64_t monitor_quality_labels_count(const struct monitor_quality_labels *l);
/* Labels that no prediction has joined so far. */
uint64_t
monitor_quality_labels_unmatched(const struct monitor_quality_labels *l);

/* Model quality of one set of predictions joined to labels, computed as
 * sklearn.metrics does: binary (a score at or above threshold predicts
 * 1): confusion matrix, accuracy, precision, recall, the four rates,
 * f0_5, f1, f2, auc, average_precision, log_loss, and Model Monitor's
 * receiver_operating_characteristic_curve and precision_recall_curve
 * (the points of sklearn's roc_curve and precision_recall_curve, each
 * with its thresholds; past MONITOR_QUALITY_CURVE_POINTS points, that
 * many evenly spaced along the curve, its ends kept); regression: mae,
 * mse, rmse, r2;
 * multiclass: confusion matrix, accuracy, weighted precision, recall and
 * f1. As Model Monitor does, each metric also gets the standard
 * deviation of its values over MONITOR_QUALITY_SAMPLES subsamples of
 * the pairs: here each takes each pair with probability
 * MONITOR_QUALITY_SAMPLE_SHARE, drawn from a fixed seed, so the same
 * pairs in the same order give the same figures. */
#define MONITOR_QUALITY_SAMPLES 5
#define MONITOR_QUALITY_SAMPLE_SHARE 0.8
#define MONITOR_QUALITY_MIN_FOR_DEVIATION 200
#define MONITOR_QUALITY_CURVE_POINTS 100
struct monitor_quality;

struct monitor_quality *monitor_quality_new(enum monitor_quality_problem pb,
					    double threshold);
void monitor_quality_free(struct monitor_quality *q);
/* Join the prediction pred of inference id to its label in l, if any,
 * into q and also into the accumulator also (NULL: none; a variant's
 * beside the whole window's): 1 when joined, 0 when the id has no label
 * or (repeat_ok) its label was joined already; MLOPS_EINPUT for a value
 * the problem cannot take, or an id joined already when !repeat_ok.
 * where and line are for messages. also must have q's problem. */
int monitor_quality_add(struct monitor_quality *q,
			struct monitor_quality_labels *l,
			const char *id, const char *pred, int repeat_ok,
			struct monitor_quality *also, const char *where,
			long line, struct mlops_err *err);
/* Join the predictions CSV read from fd (columns inference_id and, for
 * binary, score, the probability of class 1; else prediction). */
int monitor_quality_add_csv(struct monitor_quality *q,
			    struct monitor_quality_labels *l, int fd,
			    const char *file, struct mlops_err *err);
/* Pairs joined; predictions without a label; repeated ids skipped. */
uint64_t monitor_quality_items(const struct monitor_quality *q);
uint64_t monitor_quality_unlabelled(const struct monitor_quality *q);
uint64_t monitor_quality_repeated(const struct monitor_quality *q);
/* Model Monitor's model quality statistics of the pairs joined ({version,
 * dataset: {item_count}, SECTION_metrics: {NAME: {value,
 * standard_deviation}, confusion_matrix}}; the caller owns it);
 * MLOPS_EINPUT when no pair was joined. */
int monitor_quality_statistics(json_t **out, struct monitor_quality *q,
			       struct mlops_err *err);

/* A prediction read back from an endpoint's capture (predictions.c);
 * the strings are borrowed for the call. */
struct monitor_predictions_item {
	const char *id;		/* inferenceId, else eventId */
	const char *variant;	/* GROUP/N, "" in records that lack it */
	int shadow;		/* a shadow test's answer */
	const char *value;	/* the one prediction of endpointOutput */
};

/* Call fn with the prediction of each record of endpoint under capdir
 * (the store's capture/) whose inferenceTime is in [since_us, until_us),
 * of the kinds which selects (DEPLOY_CAPTURE_PRODUCTION and/or _SHADOW).
 * The prediction is endpointOutput's one CSV value or JSON score; with
 * vectors, several values (class probabilities) give the index of the
 * largest. Records with no single prediction are counted in *skipped.
 * fn returns 0, or a negative code that stops the walk and is returned. */
int monitor_predictions_capture(const char *capdir, const char *endpoint,
		int which, int64_t since_us, int64_t until_us, int vectors,
		int (*fn)(const struct monitor_predictions_item *p,
			  void *arg, struct mlops_err *err),
		void *arg, uint64_t *skipped, struct mlops_err *err);

/* Hold the statistics against Model Monitor's model quality constraints
 * ({"binary_classification_constraints": {"accuracy": {"threshold": X,
 * "comparison_operator": "LessThanThreshold"}, ...}}). Returns
 * {"violations": [{metric_name, constraint_check_type, description}]},
 * or NULL with MLOPS_EINPUT for a malformed constraint. */
json_t *monitor_quality_check(const json_t *stats, const json_t *constraints,
			      struct mlops_err *err);

/* Drift over time (trend.c), for the dashboard. */
/* The baseline a schedule names (a directory, or a model version whose
 * registered baseline is read from its blobs, writing nothing), loaded
 * and checked as monitor_report_baseline_load does. MLOPS_ENOTFOUND for
 * a missing directory, version or baseline. */
int monitor_trend_baseline(struct monitor_report_baseline *out,
			   struct store *st, const char *baseline,
			   struct mlops_err *err);
/* {"numerical", "categorical"}: the drift thresholds of constraints
 * (monitoring_config.distribution_constraints comparison_threshold and
 * categorical_comparison_threshold, 0.1 and the former when absent).
 * The caller owns it. */
json_t *monitor_trend_thresholds(const json_t *constraints);
/* {FEATURE: distance} for each baseline feature that window_stats (an
 * execution's statistics.json) profiles alike: the L-infinity distance
 * between the two KLL sketches for numbers, between the categorical
 * frequencies for strings, the distance baseline_drift_check compares
 * with its threshold. Features that cannot be compared are left out.
 * The caller owns it. */
json_t *monitor_trend_distances(const json_t *base_stats,
				const json_t *window_stats);

/* The model dashboard (dashboard.c, dashboard_html.c): one view of
 * every model group and version, endpoint, monitoring schedule and
 * shadow test of a store, with alerts. */
struct monitor_dashboard_limits {
	double max_error_rate;	/* alert above this share of errors */
	double max_p99_ms;	/* alert above this latency p99 */
	size_t history;		/* executions per schedule shown, >= 1 */
};
#define MONITOR_DASHBOARD_LIMITS_INIT { 0.05, 1000, 30 }

/* Collect the dashboard (mlops-monitor(1) lists the fields): groups
 * (versions, latest, latest approved, deployed versions); models (per
 * version: approval status, card status, baseline registered,
 * endpoints); endpoints (model, requests, errors, error rate and
 * latency p50/p99 from the counters the last gateway wrote back, null
 * when none did; its schedules and their latest execution); schedules
 * (the last lim->history executions, and drift per feature over them
 * from monitor_trend_*); shadow tests (status, pairs, agreement); and
 * alerts {kind, subject, message}: violations (a schedule whose last
 * execution found violations or failed), error_rate and latency (an
 * endpoint over lim's limits), unmonitored (an endpoint no schedule
 * checks), no_baseline (a deployed version with no baseline registered
 * with it). Reads only. The caller owns *out. */
int monitor_dashboard_collect(json_t **out, struct store *st,
			      const struct monitor_dashboard_limits *lim,
			      struct mlops_err *err);

/* The dashboard d as one self-contained HTML page: inline CSS, SVG
 * charts drawn here (violations per execution, drift per feature over
 * time), no script, no external asset; every value escaped. */
void monitor_dashboard_html_render(struct buf *out, const json_t *d);
/* The same page's content without <html>, <head> or <body>, for a page
 * that embeds it (mlops web), and the style sheet it needs. */
void monitor_dashboard_html_sections(struct buf *out, const json_t *d);
extern const char monitor_dashboard_html_css[];

/* Feature attribution drift (attribution.c). */
/* NDCG of the ranking by cur against the relevances base, over the
 * top k of n features: sum of base[r_i] / log2(i + 2) over the current
 * ranking r, divided by the same sum over the baseline's own ranking
 * (1 when every baseline attribution is 0). */
double monitor_attribution_ndcg(const double *base, const double *cur,
				size_t n, size_t k);

/* Mean |SHAP| per feature of the XGBoost model at path model on the
 * baseline CSV and on the current CSV (the same numeric columns with a
 * header, in the model's feature order; an empty field is missing), and
 * the NDCG of the current ranking over the top_k features (0: all).
 * *out is {"ndcg", "top_k", "features": [{name, baseline, current}]}.
 * MLOPS_EINPUT for a model XGBoost cannot load or explain, columns that
 * differ, or a field that is not a number. */
int monitor_attribution_drift(json_t **out, const char *model,
			      int base_fd, const char *base_file,
			      int cur_fd, const char *cur_file, size_t top_k,
			      struct mlops_err *err);
/* monitor_attribution_drift of the current rows[0..len), CSV without a
 * header whose columns are the baseline's (what run-due gathers from
 * captured requests); rows_name is for messages. */
int monitor_attribution_drift_rows(json_t **out, const char *model,
				   int base_fd, const char *base_file,
				   const char *rows, size_t len,
				   const char *rows_name, size_t top_k,
				   struct mlops_err *err);

#endif
