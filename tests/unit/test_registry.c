/* test_registry.c - unit tests of lib/registry*.c on a fresh store per
 * test: names, references, registration, resolution, status, aliases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "core/audit.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "registry/registry.h"
#include "registry/internal.h"
#include "core/xalloc.h"

static struct store *st;
static char *artifact;

static void setup(void)
{
	st = fixture_store_new();
	artifact = fs_path_join(st->root, "model.json");
	fixture_write(artifact, "{\"learner\":{}}\n");
	setenv("MLOPS_USER", "unit@example.com", 1);
}

static void teardown(void)
{
	fixture_store_free(st);
	free(artifact);
}

static int64_t register_one(const char *group, json_t *metrics)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *paths[] = { artifact };
	struct registry_new_version nv = { 0 };
	int64_t version = 0;

	nv.group = group;
	nv.artifact_paths = paths;
	nv.nartifacts = 1;
	nv.metrics = metrics;
	ck_assert_msg(registry_register(st, &nv, &version, &err) == 0, "%s",
		      err.msg);
	return version;
}

START_TEST(group_names_follow_sagemaker)
{
	ck_assert(registry_valid_group("churn"));
	ck_assert(registry_valid_group("churn-model-2"));
	ck_assert(registry_valid_group("a"));
	ck_assert(!registry_valid_group(""));
	ck_assert(!registry_valid_group("-churn"));
	ck_assert(!registry_valid_group("churn-"));
	ck_assert(!registry_valid_group("churn_model"));
	ck_assert(!registry_valid_group("churn/1"));
	ck_assert(registry_valid_group(
		"a2345678901234567890123456789012"
		"3456789012345678901234567890123"));
	ck_assert(!registry_valid_group(
		"a2345678901234567890123456789012"
		"34567890123456789012345678901234"));
}
END_TEST

START_TEST(parse_ref_reads_the_three_forms)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *alias;
	int64_t version;
	char *group;

	ck_assert_int_eq(registry_parse_ref("churn/12", &group, &version,
					    &alias, &err), 0);
	ck_assert_str_eq(group, "churn");
	ck_assert_int_eq(version, 12);
	ck_assert_ptr_null(alias);
	free(group);
	ck_assert_int_eq(registry_parse_ref("churn@champion", &group,
					    &version, &alias, &err), 0);
	ck_assert_str_eq(alias, "champion");
	ck_assert_int_eq(version, 0);
	free(group);
	ck_assert_int_eq(registry_parse_ref("churn", &group, &version, &alias,
					    &err), 0);
	ck_assert_int_eq(version, 0);
	ck_assert_ptr_null(alias);
	free(group);
	ck_assert_int_eq(registry_parse_ref("churn/", &group, &version,
					    &alias, &err), MLOPS_EUSAGE);
	ck_assert_int_eq(registry_parse_ref("churn/-1", &group, &version,
					    &alias, &err), MLOPS_EUSAGE);
	ck_assert_int_eq(registry_parse_ref("churn@1x", &group, &version,
					    &alias, &err), MLOPS_EUSAGE);
	ck_assert_int_eq(registry_parse_ref("churn/1/2", &group, &version,
					    &alias, &err), MLOPS_EUSAGE);
	ck_assert(strstr(err.msg, "'churn/1/2'") != NULL);
}
END_TEST

START_TEST(metrics_must_be_numbers_at_every_leaf)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *ok = json_pack("{s:f,s:{s:i}}", "auc", 0.9, "loss", "val", 1);
	json_t *bad = json_pack("{s:{s:s}}", "loss", "val", "x");
	json_t *arr = json_pack("[i]", 1);

	ck_assert_int_eq(registry_register_check_metrics(ok, "m", &err), 0);
	ck_assert_int_eq(registry_register_check_metrics(bad, "m", &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "m: metric 'loss.val' is not a number");
	ck_assert_int_eq(registry_register_check_metrics(arr, "m", &err),
			 MLOPS_EINPUT);
	json_decref(ok);
	json_decref(bad);
	json_decref(arr);
}
END_TEST

START_TEST(duplicate_names_are_found_in_any_order)
{
	const char *none[] = { "b", "a", "c" };
	const char *some[] = { "c", "a", "b", "a" };

	ck_assert_ptr_null(registry_duplicate_name(none, 0));
	ck_assert_ptr_null(registry_duplicate_name(none, 1));
	ck_assert_ptr_null(registry_duplicate_name(none, 3));
	ck_assert_str_eq(registry_duplicate_name(some, 4), "a");
	ck_assert_str_eq(registry_duplicate_name(some, 4), "a");
	/* The caller's order is kept: only a copy is sorted. */
	ck_assert_str_eq(some[0], "c");
	ck_assert_str_eq(some[3], "a");
}
END_TEST

START_TEST(register_then_resolve_every_form)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;
	json_t *metrics = json_pack("{s:f}", "auc", 0.75);

	ck_assert_int_eq(register_one("churn", metrics), 1);
	ck_assert_int_eq(register_one("churn", NULL), 2);
	ck_assert_int_eq(registry_resolve(st, "churn/1", &mv, &err), 0);
	ck_assert_str_eq(mv->group, "churn");
	ck_assert_int_eq(mv->version, 1);
	ck_assert_str_eq(mv->status, REGISTRY_PENDING);
	ck_assert_str_eq(mv->framework, "xgboost");
	ck_assert_ptr_null(mv->entry);
	ck_assert_uint_eq(mv->nartifacts, 1);
	ck_assert_str_eq(mv->artifacts[0].name, "model.json");
	ck_assert_uint_eq(mv->artifacts[0].size, 15);
	ck_assert(json_real_value(json_object_get(mv->metrics, "auc")) == 0.75);
	ck_assert(json_is_object(mv->params));
	ck_assert(json_is_object(mv->meta));
	ck_assert_str_eq(mv->created_by, "unit@example.com");
	registry_version_free(mv);
	ck_assert_int_eq(registry_resolve(st, "churn", &mv, &err), 0);
	ck_assert_int_eq(mv->version, 2);
	registry_version_free(mv);
	ck_assert_int_eq(registry_status_alias_set(st, "churn", "champion", 1,
						   &err), 0);
	ck_assert_int_eq(registry_resolve(st, "churn@champion", &mv, &err), 0);
	ck_assert_int_eq(mv->version, 1);
	registry_version_free(mv);
	json_decref(metrics);
}
END_TEST

START_TEST(resolve_names_what_is_missing)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;

	ck_assert_int_eq(registry_resolve(st, "churn/1", &mv, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_str_eq(err.msg, "model group 'churn' not found");
	register_one("churn", NULL);
	ck_assert_int_eq(registry_resolve(st, "churn/3", &mv, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_str_eq(err.msg, "model version churn/3 not found");
	ck_assert_int_eq(registry_resolve(st, "churn@prod", &mv, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_str_eq(err.msg,
			 "alias 'prod' is not set in model group 'churn'");
	ck_assert_int_eq(registry_resolve(st, "churn#1", &mv, &err),
			 MLOPS_EUSAGE);
	ck_assert_ptr_null(mv);
}
END_TEST

START_TEST(status_changes_are_kept_in_order)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *history = NULL;
	char *previous = NULL;

	register_one("churn", NULL);
	ck_assert_int_eq(registry_status_set(st, "churn", 1, REGISTRY_APPROVED,
					     "good", &previous, &err), 0);
	ck_assert_str_eq(previous, REGISTRY_PENDING);
	free(previous);
	ck_assert_int_eq(registry_status_set(st, "churn", 1, REGISTRY_APPROVED,
					     NULL, NULL, &err), 1);
	ck_assert_int_eq(registry_status_set(st, "churn", 1, "Deployed", NULL,
					     NULL, &err), MLOPS_EUSAGE);
	ck_assert_int_eq(registry_status_set(st, "churn", 5, REGISTRY_APPROVED,
					     NULL, NULL, &err),
			 MLOPS_ENOTFOUND);
	ck_assert_int_eq(registry_status_history(st, "churn", 1, &history,
						 &err), 0);
	ck_assert_uint_eq(json_array_size(history), 2);
	ck_assert_str_eq(json_string_value(json_object_get(
		json_array_get(history, 1), "note")), "good");
	json_decref(history);
}
END_TEST

START_TEST(lineage_comes_from_the_pipeline_environment)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *lineage = NULL;

	setenv("MLOPS_RUN_ID", "r1", 1);
	setenv("MLOPS_STEP", "train", 1);
	setenv("MLOPS_GIT_COMMIT", "abc", 1);
	setenv("MLOPS_STEP_INPUTS", "{\"data.csv\":\"ff\"}", 1);
	ck_assert_int_eq(registry_register_lineage_from_env(&lineage, &err), 0);
	ck_assert_str_eq(json_string_value(json_object_get(lineage, "step")),
			 "train");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(
		lineage, "inputs"), "data.csv")), "ff");
	ck_assert_int_eq(registry_register_lineage_add_dataset(lineage,
							       artifact, &err),
			 0);
	ck_assert_uint_eq(json_array_size(json_object_get(lineage,
							  "datasets")), 1);
	json_decref(lineage);
	setenv("MLOPS_STEP_INPUTS", "[1]", 1);
	ck_assert_int_eq(registry_register_lineage_from_env(&lineage, &err),
			 MLOPS_EINPUT);
	unsetenv("MLOPS_RUN_ID");
	unsetenv("MLOPS_STEP");
	unsetenv("MLOPS_GIT_COMMIT");
	unsetenv("MLOPS_STEP_INPUTS");
}
END_TEST

START_TEST(diff_reports_deltas_and_differences)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *a = NULL, *b = NULL;
	json_t *m1 = json_pack("{s:f,s:{s:f}}", "auc", 0.5, "eval", "rmse",
			       2.0);
	json_t *m2 = json_pack("{s:f,s:{s:f}}", "auc", 0.75, "eval", "rmse",
			       2.0);
	json_t *d, *row;
	int differ;

	register_one("churn", m1);
	register_one("churn", m2);
	ck_assert_int_eq(registry_resolve(st, "churn/1", &a, &err), 0);
	ck_assert_int_eq(registry_resolve(st, "churn/2", &b, &err), 0);
	d = registry_report_diff(a, b, &differ);
	ck_assert_int_eq(differ, 1);
	row = json_array_get(json_object_get(d, "metrics"), 0);
	ck_assert_str_eq(json_string_value(json_object_get(row, "key")), "auc");
	ck_assert(json_real_value(json_object_get(row, "delta")) == 0.25);
	row = json_array_get(json_object_get(d, "metrics"), 1);
	ck_assert_str_eq(json_string_value(json_object_get(row, "key")),
			 "eval.rmse");
	json_decref(d);
	d = registry_report_diff(a, a, &differ);
	ck_assert_int_eq(differ, 0);
	json_decref(d);
	registry_version_free(a);
	registry_version_free(b);
	json_decref(m1);
	json_decref(m2);
}
END_TEST

/* Collect "action resource outcome" of each audit record. */
static int collect_audit(json_t *rec, void *arg)
{
	buf_addf(arg, "%s %s %s\n", jsonio_str(rec, "action"),
		 jsonio_str(rec, "resource"), jsonio_str(rec, "outcome"));
	return 0;
}

START_TEST(library_changes_audit_themselves)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf log = BUF_INIT;
	int64_t v;

	/* No command around: the library records what it changes, what it
	 * refuses, and nothing for what was so already. */
	ck_assert_int_eq(registry_group_create(st, "churn", NULL, NULL, &err),
			 0);
	ck_assert_int_eq(registry_group_create(st, "churn", NULL, NULL, &err),
			 MLOPS_ENOTFOUND);
	v = register_one("churn", NULL);
	ck_assert_int_eq(registry_status_set(st, "churn", v, "Approved", NULL,
					     NULL, &err), 0);
	ck_assert_int_eq(registry_status_set(st, "churn", v, "Approved", NULL,
					     NULL, &err), 1);
	ck_assert_int_eq(audit_each(st, collect_audit, &log, &err), 0);
	ck_assert_str_eq(log.s, "registry.create churn success\n"
			 "registry.create churn failure\n"
			 "registry.register churn/1 success\n"
			 "registry.approve churn/1 success\n");
	buf_release(&log);
}
END_TEST

START_TEST(export_then_import_into_another_store)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *other = fixture_store_new();
	struct registry_version *mv = NULL, *copy = NULL;
	json_t *approvals = NULL, *last;
	char *group = NULL;
	int64_t version = 0;
	int unchanged = -1;
	FILE *f = tmpfile();

	register_one("churn", NULL);
	ck_assert_int_eq(registry_resolve(st, "churn/1", &mv, &err), 0);
	ck_assert_int_eq(registry_transfer_export(st, mv, fileno(f), &err), 0);
	rewind(f);
	ck_assert_msg(registry_transfer_import(other, fileno(f), "t.tar",
					       NULL, 0, &group, &version,
					       &unchanged, &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(group, "churn");
	ck_assert_int_eq(version, 1);
	ck_assert_int_eq(unchanged, 0);
	free(group);
	ck_assert_int_eq(registry_resolve(other, "churn/1", &copy, &err), 0);
	ck_assert_str_eq(copy->artifacts[0].hash, mv->artifacts[0].hash);
	ck_assert_str_eq(copy->created_by, "unit@example.com");
	ck_assert_str_eq(json_string_value(json_object_get(copy->origin,
							   "account")),
			 st->env);
	/* The source's registration, then the import, which approves
	 * nothing. */
	ck_assert_int_eq(registry_approvals(other, copy, &approvals, &err), 0);
	ck_assert_uint_eq(json_array_size(approvals), 2);
	last = json_array_get(approvals, 1);
	ck_assert_str_eq(jsonio_str(last, "action"), "imported");
	ck_assert_str_eq(jsonio_str(last, "from"), st->env);
	ck_assert_str_eq(jsonio_str(last, "environment"), other->env);
	ck_assert_str_eq(jsonio_str(json_array_get(approvals, 0), "action"),
			 "registered");
	json_decref(approvals);
	rewind(f);
	ck_assert_int_eq(registry_transfer_import(other, fileno(f), "t.tar",
						  NULL, 10, &group, &version,
						  &unchanged, &err),
			 MLOPS_EINPUT);
	ck_assert(strstr(err.msg, "oversize member") != NULL);
	rewind(f);
	ck_assert_int_eq(registry_transfer_import(other, fileno(f), "t.tar",
						  NULL, 0, &group, &version,
						  &unchanged, &err),
			 0);
	ck_assert_int_eq(unchanged, 1);
	free(group);
	fclose(f);
	registry_version_free(mv);
	registry_version_free(copy);
	fixture_store_free(other);
}
END_TEST

Suite *suite_registry(void)
{
	Suite *s = suite_create("registry");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, group_names_follow_sagemaker);
	tcase_add_test(tc, parse_ref_reads_the_three_forms);
	tcase_add_test(tc, metrics_must_be_numbers_at_every_leaf);
	tcase_add_test(tc, duplicate_names_are_found_in_any_order);
	tcase_add_test(tc, register_then_resolve_every_form);
	tcase_add_test(tc, resolve_names_what_is_missing);
	tcase_add_test(tc, status_changes_are_kept_in_order);
	tcase_add_test(tc, lineage_comes_from_the_pipeline_environment);
	tcase_add_test(tc, diff_reports_deltas_and_differences);
	tcase_add_test(tc, export_then_import_into_another_store);
	tcase_add_test(tc, library_changes_audit_themselves);
	suite_add_tcase(s, tc);
	return s;
}
