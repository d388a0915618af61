/* test_iac.c - stacks (iac/stack.c): canonical durations, includes
 * merged setting by setting, the overlay of one environment, errors in
 * another's overlay; plans and applies (iac/iac.c) of a feature group. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "fixture.h"
#include "core/xalloc.h"
#include "iac/iac.h"

START_TEST(durations_take_the_largest_unit_that_divides)
{
	static const struct {
		int64_t us;
		const char *want;
	} cases[] = {
		{ 7200000000, "2h" }, { 90000000, "90s" }, { 1500000, "1500ms" },
		{ 86400000000, "1d" }, { 60000000, "1m" }, { 7, "7us" },
		{ 0, "0us" }
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *d = iac_stack_duration(cases[i].us);

		ck_assert_str_eq(d, cases[i].want);
		free(d);
	}
}
END_TEST

/* Write name in st's directory; returns its path (the caller frees). */
static char *put(struct store *st, const char *name, const char *text)
{
	char *path = store_path(st, name);

	fixture_write(path, text);
	return path;
}

static const struct iac_resource *find(const struct iac_stack *s,
				       enum iac_kind kind, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->res[i].kind == kind && strcmp(s->res[i].name, name) == 0)
			return &s->res[i];
	return NULL;
}

START_TEST(includes_merge_by_setting_and_one_overlay_applies)
{
	struct store *st = fixture_store_new();
	struct mlops_err err = MLOPS_ERR_INIT;
	struct iac_stack *s = NULL;
	const struct iac_resource *r;
	char *base = put(st, "base.yaml", "endpoints:\n  web: {model: m/1, "
			 "max_concurrency: 5, capture: 10}\n");
	char *top = put(st, "stack.yaml", "environment: staging\n"
			"include: [base.yaml]\nendpoints:\n  web: {capture: "
			"50}\noverlays:\n  prod:\n    endpoints:\n      web: "
			"{max_concurrency: 40}\n  staging:\n    endpoints:\n"
			"      web: {memory: 4096}\n");

	ck_assert_msg(iac_stack_load(&s, top, NULL, "dev", &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(s->environment, "staging");
	r = find(s, IAC_ENDPOINT, "web");
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(r->model, "m/1");
	ck_assert_int_eq(json_integer_value(json_object_get(r->settings,
			 "max_concurrency")), 5);
	ck_assert(json_real_value(json_object_get(r->settings, "capture")) ==
		  50);
	ck_assert_int_eq(json_integer_value(json_object_get(r->settings,
			 "memory")), 4096);
	ck_assert_str_eq(json_string_value(json_object_get(r->settings,
			 "idle_timeout")), "1m");
	iac_stack_free(s);
	ck_assert_int_eq(iac_stack_load(&s, top, "prod", "dev", &err), 0);
	r = find(s, IAC_ENDPOINT, "web");
	ck_assert_int_eq(json_integer_value(json_object_get(r->settings,
			 "max_concurrency")), 40);
	ck_assert_int_eq(json_integer_value(json_object_get(r->settings,
			 "memory")), 2048);
	iac_stack_free(s);
	free(base);
	free(top);
	fixture_store_free(st);
}
END_TEST

START_TEST(an_error_in_another_overlay_is_found_and_positioned)
{
	struct store *st = fixture_store_new();
	struct mlops_err err = MLOPS_ERR_INIT;
	struct iac_stack *s = NULL;
	char *top = put(st, "stack.yaml", "endpoints:\n  web: {model: m/1}\n"
			"overlays:\n  prod:\n    endpoints:\n      web: "
			"{memroy: 4096}\n");

	ck_assert_int_eq(iac_stack_load(&s, top, "dev", "dev", &err),
			 MLOPS_EINPUT);
	ck_assert_ptr_null(s);
	ck_assert_msg(strstr(err.msg, "stack.yaml:6:13: unknown key 'memroy'"),
		      "%s", err.msg);
	free(top);
	fixture_store_free(st);
}
END_TEST

START_TEST(a_group_is_planned_applied_then_matches)
{
	struct store *st = fixture_store_new();
	struct mlops_err err = MLOPS_ERR_INIT;
	struct iac_stack *s = NULL;
	struct iac_plan *p = NULL;
	char *top = put(st, "stack.yaml", "feature_groups:\n  - name: g\n"
			"    record_identifier: id\n    event_time: t\n"
			"    features:\n      - {name: id, type: string}\n"
			"      - {name: t, type: integral}\n");

	ck_assert_int_eq(iac_stack_load(&s, top, NULL, st->env, &err), 0);
	ck_assert_msg(iac_plan(&p, st, s, 0, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p->n, 1);
	ck_assert_int_eq(p->changes[0].action, IAC_CREATE);
	ck_assert_int_eq(p->changes[0].kind, IAC_FEATURE_GROUP);
	ck_assert_msg(iac_apply(st, p, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(p->changes[0].state, IAC_DONE);
	iac_plan_free(p);
	ck_assert_int_eq(iac_plan(&p, st, s, 1, &err), 0);
	ck_assert_uint_eq(p->n, 0);
	iac_plan_free(p);
	iac_stack_free(s);
	free(top);
	fixture_store_free(st);
}
END_TEST

Suite *suite_iac(void)
{
	Suite *s = suite_create("iac");
	TCase *tc = tcase_create("iac");

	tcase_add_test(tc, durations_take_the_largest_unit_that_divides);
	tcase_add_test(tc, includes_merge_by_setting_and_one_overlay_applies);
	tcase_add_test(tc, an_error_in_another_overlay_is_found_and_positioned);
	tcase_add_test(tc, a_group_is_planned_applied_then_matches);
	suite_add_tcase(s, tc);
	return s;
}
