/* test_modelcard.c - unit tests of lib/modelcard*.c: schema checks,
 * dotted-key edits, and rendering. */
#include <string.h>

#include <check.h>

#include "registry/registry.h"

START_TEST(validate_names_the_offending_field)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *ok = json_pack("{s:{s:s,s:f},s:[{s:s}]}",
			       "model_overview", "model_name", "churn",
			       "model_version", 3.0,
			       "evaluation_details", "name", "holdout");
	json_t *unknown = json_pack("{s:{s:s}}", "model_overview", "colour",
				    "red");
	json_t *typed = json_pack("{s:[{s:i}]}", "evaluation_details", "name",
				  1);
	json_t *section = json_pack("{s:s}", "nonsense", "x");

	ck_assert_int_eq(registry_modelcard_validate(ok, "c", &err), 0);
	ck_assert_int_eq(registry_modelcard_validate(unknown, "c", &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "c: card field 'model_overview.colour' is "
			 "not in the model card schema");
	ck_assert_int_eq(registry_modelcard_validate(typed, "c", &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "c: card field 'evaluation_details.0.name' "
			 "must be a string");
	ck_assert_int_eq(registry_modelcard_validate(section, "c", &err),
			 MLOPS_EINPUT);
	json_decref(ok);
	json_decref(unknown);
	json_decref(typed);
	json_decref(section);
}
END_TEST

START_TEST(set_types_values_by_the_schema)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	json_t *c = json_object();

	ck_assert_int_eq(registry_modelcard_set(c,
						"model_overview.model_version",
						"7", &err), 0);
	ck_assert(json_is_number(json_object_get(json_object_get(
		c, "model_overview"), "model_version")));
	ck_assert_int_eq(registry_modelcard_set(c, "evaluation_details.0.name",
						"a", &err), 0);
	ck_assert_int_eq(registry_modelcard_set(c, "evaluation_details.1.name",
						"b", &err), 0);
	ck_assert_int_eq(registry_modelcard_set(c, "evaluation_details.0.name",
						"A", &err), 0);
	ck_assert_uint_eq(json_array_size(json_object_get(
		c, "evaluation_details")), 2);
	ck_assert_int_eq(registry_modelcard_set(c,
						"training_details.training_"
						"job_details.training_datasets",
						"[\"s3://x\"]", &err), 0);
	ck_assert_int_eq(registry_modelcard_set(c, "additional_information."
				       "custom_details.k", "v", &err), 0);
	/* Failures leave the content as it was. */
	ck_assert_int_eq(registry_modelcard_set(c,
						"model_overview.model_version",
						"x", &err), MLOPS_EINPUT);
	ck_assert_int_eq(registry_modelcard_set(c, "intended_uses.risk_rating",
						"Huge", &err), MLOPS_EINPUT);
	ck_assert_int_eq(registry_modelcard_set(c, "evaluation_details.5.name",
						"x", &err), MLOPS_EINPUT);
	ck_assert_int_eq(registry_modelcard_set(c,
						"model_overview.model_name.x",
						"x", &err), MLOPS_EINPUT);
	ck_assert_int_eq(registry_modelcard_set(c, "additional_information."
				       "custom_details.k.deeper", "x", &err),
			 MLOPS_EINPUT);
	ck_assert_ptr_null(json_object_get(c, "intended_uses"));
	ck_assert_str_eq(json_string_value(json_object_get(json_array_get(
		json_object_get(c, "evaluation_details"), 0), "name")), "A");
	json_decref(c);
}
END_TEST

START_TEST(render_escapes_for_each_format)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf md = BUF_INIT, html = BUF_INIT;
	json_t *rev = json_pack("{s:i,s:s,s:s,s:s,s:{s:{s:s}}}",
				"revision", 1, "status", "Draft",
				"user", "u", "time", "t", "content",
				"intended_uses", "purpose_of_model",
				"a <b> | c");

	ck_assert_int_eq(registry_modelcard_render(&md, rev, "m/1", "md", &err),
			 0);
	ck_assert_ptr_nonnull(strstr(md.s, "a \\<b> \\| c"));
	ck_assert_int_eq(registry_modelcard_render(&html, rev, "m/1", "html",
						   &err), 0);
	ck_assert_ptr_nonnull(strstr(html.s, "a &lt;b&gt; | c"));
	ck_assert_int_eq(registry_modelcard_render(&md, rev, "m/1", "pdf",
						   &err), MLOPS_EUSAGE);
	buf_release(&md);
	buf_release(&html);
	json_decref(rev);
}
END_TEST

START_TEST(populate_lists_training_datasets_once)
{
	static const char a[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaa";
	static const char t[] = "tttttttttttttttttttttttttttttttttttttttttttt"
		"tttttttttttttttttttt";
	struct registry_artifact art = { "model.json", "", 3 };
	struct registry_version mv = { "churn", 1, "Approved", "xgboost", NULL,
				    1, &art, NULL, NULL, NULL, NULL, NULL,
				    NULL, "me", 0 };
	json_t *report, *content, *job, *custom;

	memcpy(art.hash, a, sizeof(a));
	mv.metrics = json_object();
	mv.params = json_object();
	mv.meta = json_object();
	mv.lineage = json_pack("{s:s,s:s,s:{s:s,s:s},s:[{s:s,s:s}]}",
			       "run_id", "r1", "step", "publish", "inputs",
			       "model.json", a, "train.csv", t, "datasets",
			       "path", "./train.csv", "hash", t);
	report = json_pack("{s:{s:s,s:s,s:{s:s,s:s}},s:{s:s,s:s}}",
			   "training", "run_id", "r1", "step", "fit",
			   "inputs", "train.csv", t, "feature:customers",
			   "3@17", "approved", "user", "alice", "time", "T");
	content = registry_modelcard_populate(&mv, report);
	job = json_object_get(json_object_get(content, "training_details"),
			      "training_job_details");
	ck_assert_str_eq(json_string_value(json_object_get(job,
							   "training_arn")),
			 "run/r1/fit");
	ck_assert_uint_eq(json_array_size(json_object_get(
		job, "training_datasets")), 2);
	ck_assert_str_eq(json_string_value(json_array_get(json_object_get(
		job, "training_datasets"), 1)), "feature:customers 3@17");
	custom = json_object_get(json_object_get(content,
		"additional_information"), "custom_details");
	ck_assert_str_eq(json_string_value(json_object_get(
		custom, "approval_status")), "Approved");
	registry_modelcard_set_approval(content, "Rejected", json_null());
	ck_assert_str_eq(json_string_value(json_object_get(
		custom, "approval_status")), "Rejected");
	ck_assert_ptr_null(json_object_get(custom, "approved_by"));
	json_decref(content);
	json_decref(report);
	json_decref(mv.lineage);
	json_decref(mv.metrics);
	json_decref(mv.params);
	json_decref(mv.meta);
}
END_TEST

Suite *suite_modelcard(void)
{
	Suite *s = suite_create("modelcard");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, validate_names_the_offending_field);
	tcase_add_test(tc, set_types_values_by_the_schema);
	tcase_add_test(tc, render_escapes_for_each_format);
	tcase_add_test(tc, populate_lists_training_datasets_once);
	suite_add_tcase(s, tc);
	return s;
}
