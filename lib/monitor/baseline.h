/* baseline.h - baselines attached to model versions (baseline.c). */
#ifndef MLOPS_MONITOR_BASELINE_H
#define MLOPS_MONITOR_BASELINE_H
#include "core/err.h"
#include "core/store.h"

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

#endif
