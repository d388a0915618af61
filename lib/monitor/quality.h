/* quality.h - model quality against ground truth (quality.c). */
#ifndef MLOPS_MONITOR_QUALITY_H
#define MLOPS_MONITOR_QUALITY_H
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

enum monitor_quality_problem {
	MONITOR_QUALITY_BINARY,
	MONITOR_QUALITY_REGRESSION,
	MONITOR_QUALITY_MULTICLASS
};

/* Join the labels CSV (columns inference_id and label) read from
 * label_fd to the predictions CSV (inference_id and, for binary, score,
 * the probability of class 1; else prediction) read from pred_fd, and
 * compute the metrics as sklearn.metrics does: binary (a score at or
 * above threshold predicts 1): confusion matrix, accuracy, precision,
 * recall, f1, auc, log_loss; regression: mae, mse, rmse, r2;
 * multiclass: confusion matrix, accuracy, weighted precision, recall
 * and f1. *out is Model Monitor's model quality statistics (the caller
 * owns it); *unmatched counts labels whose inference id no prediction
 * has. MLOPS_EINPUT for a missing column, a bad number, a repeated
 * inference id, or no label matching any prediction. */
int monitor_quality_compute(json_t **out, enum monitor_quality_problem pb,
			    int pred_fd, const char *pred_file, int label_fd,
			    const char *label_file, double threshold,
			    uint64_t *unmatched, struct mlops_err *err);

/* Hold the statistics against Model Monitor's model quality constraints
 * ({"binary_classification_constraints": {"accuracy": {"threshold": X,
 * "comparison_operator": "LessThanThreshold"}, ...}}). Returns
 * {"violations": [{metric_name, constraint_check_type, description}]},
 * or NULL with MLOPS_EINPUT for a malformed constraint. */
json_t *monitor_quality_check(const json_t *stats, const json_t *constraints,
			      struct mlops_err *err);

#endif
