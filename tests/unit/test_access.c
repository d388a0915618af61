/* test_access.c - core/access.c: the action -> activity map (exact names
 * before families, the longest family first, store.admin for the rest),
 * the built-in personas, and the check against a real store's grants. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/access.h"
#include "fixture.h"
#include "governance/governance.h"

START_TEST(actions_map_to_activities_exact_then_longest_family)
{
	ck_assert_str_eq(access_activity_of("registry.approve"),
			 "registry.approve");
	ck_assert_str_eq(access_activity_of("registry.alias.set"),
			 "registry.approve");
	ck_assert_str_eq(access_activity_of("registry.card.status"),
			 "card.edit");
	ck_assert_str_eq(access_activity_of("pipeline.hook.install"),
			 "pipeline.hook");
	ck_assert_str_eq(access_activity_of("shadow.complete"),
			 "deploy.serve");
	ck_assert_str_eq(access_activity_of("shadow.start"), "shadow.manage");
	ck_assert_str_eq(access_activity_of("monitor.run-due"),
			 "monitor.run");
	ck_assert_str_eq(access_activity_of("monitor.schedule.rm"),
			 "monitor.manage");
	ck_assert_str_eq(access_activity_of("event.rule.add"),
			 "event.manage");
	/* Nobody mapped it: only an administrator may. */
	ck_assert_str_eq(access_activity_of("sync.model"), ACCESS_ADMIN);
	ck_assert_str_eq(access_activity_of("registry"), ACCESS_ADMIN);
	ck_assert_str_eq(access_activity_of(""), ACCESS_ADMIN);
}
END_TEST

START_TEST(personas_and_verbs_name_only_activities)
{
	for (const struct access_persona *p = access_personas; p->name; p++)
		for (const char *const *a = p->activities; *a; a++)
			ck_assert_msg(access_activity_valid(*a), "%s: %s",
				      p->name, *a);
	for (const struct access_verb *v = access_verbs; v->verb; v++) {
		const char *a = access_verb_activity(v);

		ck_assert_msg(!a || access_activity_valid(a), "%s", v->verb);
		ck_assert_ptr_eq(access_verb_find(v->verb), v);
	}
	ck_assert_ptr_null(access_verb_find("mlops-registry frobnicate"));
	ck_assert(!access_activity_valid("deploy.fly"));
	ck_assert_ptr_nonnull(access_builtin("data-scientist"));
	ck_assert_ptr_null(access_builtin("wizard"));
}
END_TEST

START_TEST(the_check_follows_the_grants)
{
	struct store *st = fixture_store_new();
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *acts[] = { "feature.read" };

	setenv("MLOPS_USER", "ana", 1);
	ck_assert_int_eq(access_in_use(st, &err), 0);
	ck_assert_int_eq(access_check(st, "registry.approve", "g/1", &err),
			 0);
	ck_assert_ptr_null(st->persona);
	/* The first grant must leave an administrator. */
	setenv("MLOPS_USER", "root", 1);
	ck_assert_int_eq(governance_role_grant(st, "ana", "data-scientist",
					       &err), MLOPS_ENOTFOUND);
	ck_assert_int_eq(access_in_use(st, &err), 0);
	ck_assert_int_eq(governance_role_grant(st, "root", "admin", &err), 0);
	ck_assert_int_eq(governance_role_grant(st, "ana", "data-scientist",
					       &err), 0);
	ck_assert_int_eq(governance_role_define(st, "reader", acts, 1, &err),
			 0);
	ck_assert_int_eq(governance_role_grant(st, "ana", "reader", &err), 0);
	ck_assert_int_eq(access_in_use(st, &err), 1);
	setenv("MLOPS_USER", "ana", 1);
	ck_assert_int_eq(access_check(st, "registry.register", "g", &err), 0);
	ck_assert_str_eq(st->persona, "data-scientist");
	ck_assert_int_eq(access_check(st, "registry.approve", "g/1", &err),
			 MLOPS_EPERM);
	ck_assert_str_eq(st->persona, "data-scientist,reader");
	ck_assert_ptr_nonnull(strstr(err.msg, "ana (persona "
				     "data-scientist,reader) may not "
				     "registry.approve 'g/1'"));
	ck_assert_ptr_nonnull(strstr(err.msg, "held by mlops-engineer"));
	ck_assert_int_eq(access_persona_has(st, "reader", "feature.read",
					    &err), 1);
	ck_assert_int_eq(access_persona_has(st, "gone", "feature.read",
					    &err), 0);
	setenv("MLOPS_USER", "root", 1);
	ck_assert_int_eq(access_check(st, "role.grant", "x", &err), 0);
	ck_assert_str_eq(st->persona, "admin");
	unsetenv("MLOPS_USER");
	fixture_store_free(st);
}
END_TEST

Suite *suite_access(void)
{
	Suite *s = suite_create("access");
	TCase *tc = tcase_create("access");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, actions_map_to_activities_exact_then_longest_family);
	tcase_add_test(tc, personas_and_verbs_name_only_activities);
	tcase_add_test(tc, the_check_follows_the_grants);
	suite_add_tcase(s, tc);
	return s;
}
