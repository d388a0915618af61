/* monitor.h - Model Monitor on one machine: profiles of a dataset in one
 * streaming pass (statistics.json and constraints.json in Model
 * Monitor's formats), and the checks of new data against such a
 * baseline (constraint_violations.json). Formats: mlops-monitor(5). */
#ifndef MLOPS_MONITOR_H
#define MLOPS_MONITOR_H
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "monitor/sketch.h"

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
	size_t ndist, dist_slots;
	int dist_overflow;
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
 * monitor_drift): memory grows with the rows. */
int monitor_profile_read_values(struct monitor_profile *out, int fd,
				const char *name,
				enum monitor_profile_format format, int header,
				struct mlops_err *err);
void monitor_profile_release(struct monitor_profile *p);

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
 * set, or 0 when m does not apply to the columns' types. */
int monitor_drift(struct monitor_drift *out, enum monitor_drift_method m,
		  const struct monitor_profile_column *ref,
		  const struct monitor_profile_column *cur);

#endif
