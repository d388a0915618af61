/* baseline.c - the monitoring baseline attached to a model version, as
 * the registry shows it: in `show` and in the model card's evaluation
 * section. lib/monitor checks and stores the files as blobs (mlops-monitor
 * baseline --register) and an import brings them in an export stream;
 * both record the row here, with SQL, since lib/monitor builds on the
 * registry and not the other way round. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "registry/internal.h"
#include "registry/registry.h"

/* The name of the evaluation_details entry that links the baseline. */
#define BASELINE_EVALUATION "monitoring baseline"

int registry_baseline_insert(struct store *st, const char *group,
			     int64_t version, const char *statistics,
			     const char *constraints, int64_t created_us,
			     const char *created_by, struct mlops_err *err)
{
	char *owner = xasprintf("monitor-baseline:%s/%" PRId64, group,
				version);
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "INSERT OR REPLACE INTO "
				"monitor_baseline (grp, version, statistics, "
				"constraints, created_us, created_by) VALUES "
				"(?1, ?2, ?3, ?4, ?5, ?6)", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, version);
		sqlite3_bind_text(q, 3, statistics, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, constraints, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, created_us);
		sqlite3_bind_text(q, 6, created_by, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot record the baseline", err);
	}
	/* The blobs are held by the owner, so that gc keeps them. */
	if (ret == 0)
		ret = store_ref_drop(st, owner, err);
	if (ret == 0)
		ret = store_ref_add(st, statistics, owner, err);
	if (ret == 0)
		ret = store_ref_add(st, constraints, owner, err);
	sqlite3_finalize(q);
	free(owner);
	return ret;
}

int registry_baseline_get(struct store *st, const char *group,
			  int64_t version, json_t **out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT statistics, constraints, "
				"created_us, created_by FROM monitor_baseline "
				"WHERE grp = ?1 AND version = ?2", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	ret = registry_step(st, q, "the baseline", err);
	if (ret == 1) {
		char when[TIME_RFC3339_MAX];

		time_format(sqlite3_column_int64(q, 2), when);
		*out = json_pack("{s:o,s:s,s:s,s:s,s:s}", "baseline",
				 json_sprintf("%s/%" PRId64, group, version),
				 "statistics",
				 (const char *)sqlite3_column_text(q, 0),
				 "constraints",
				 (const char *)sqlite3_column_text(q, 1),
				 "registered", when, "registered_by",
				 (const char *)sqlite3_column_text(q, 3));
		ret = 0;
	} else if (ret == 0) {
		*out = NULL;
	}
	sqlite3_finalize(q);
	return ret;
}

void registry_baseline_card(json_t *content, const json_t *baseline)
{
	json_t *evals = json_object_get(content, "evaluation_details"), *e;
	const char *ref = jsonio_str(baseline, "baseline");
	size_t i;

	for (i = 0; i < json_array_size(evals); i++)
		if (!strcmp(jsonio_str(json_array_get(evals, i), "name") ?: "",
			    BASELINE_EVALUATION))
			break;
	if (!baseline) {
		json_array_remove(evals, i);
		if (json_is_array(evals) && !json_array_size(evals))
			json_object_del(content, "evaluation_details");
		return;
	}
	if (!json_is_array(evals)) {
		evals = json_array();
		json_object_set_new(content, "evaluation_details", evals);
	}
	e = json_pack("{s:s,s:s+,s:s++,s:[s+,s+],s:{s:s,s:s,s:s}}",
		      "name", BASELINE_EVALUATION,
		      "evaluation_job_arn", "monitor-baseline:", ref,
		      "evaluation_observation", "Model Monitor baseline "
		      "(statistics and constraints) of the training data: "
		      "checks of captured data use it as 'mlops-monitor "
		      "check --baseline ", ref, "'",
		      "datasets",
		      "statistics.json sha256:",
		      jsonio_str(baseline, "statistics"),
		      "constraints.json sha256:",
		      jsonio_str(baseline, "constraints"),
		      "metadata", "baseline", ref, "registered",
		      jsonio_str(baseline, "registered"), "registered_by",
		      jsonio_str(baseline, "registered_by"));
	if (i < json_array_size(evals))
		json_array_set_new(evals, i, e);
	else
		json_array_append_new(evals, e);
}
