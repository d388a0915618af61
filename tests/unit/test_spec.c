/* test_spec.c - the YAML loader: trees with positions, and errors that
 * name file:line:column. */
#include <string.h>

#include <check.h>

#include "core/bounds.h"
#include "core/spec.h"

static struct spec_doc *load(const char *yaml)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *doc = NULL;

	ck_assert_msg(spec_load_mem(&doc, yaml, strlen(yaml), "t.yaml",
				    &err) == 0, "%s", err.msg);
	return doc;
}

static void load_fails(const char *yaml, const char *msg)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *doc = NULL;

	ck_assert_int_eq(spec_load_mem(&doc, yaml, strlen(yaml), "t.yaml",
				       &err), MLOPS_EINPUT);
	ck_assert_msg(strstr(err.msg, msg) != NULL, "got: %s", err.msg);
	ck_assert_ptr_null(doc);
}

START_TEST(nodes_keep_line_and_column)
{
	struct spec_doc *doc = load("name: churn\nsteps:\n  - name: a\n"
				    "    run: echo hi\n");
	struct spec_node *steps = spec_get(doc->root, "steps");

	ck_assert_ptr_nonnull(steps);
	ck_assert_int_eq(steps->kind, SPEC_SEQ);
	ck_assert_uint_eq(steps->n, 1);
	ck_assert_int_eq(steps->items[0]->line, 3);
	ck_assert_int_eq(steps->items[0]->col, 5);
	ck_assert_str_eq(spec_get(steps->items[0], "run")->value, "echo hi");
	ck_assert_int_eq(spec_get(steps->items[0], "run")->line, 4);
	spec_free(doc);
}
END_TEST

START_TEST(syntax_errors_name_line_and_column)
{
	load_fails("a: 1\nb: [1, 2\nc: 3\n", "t.yaml:");
	load_fails("a: 1\n  b: 2\n", "t.yaml:2:");
	load_fails("key: \"unterminated\n", "t.yaml:");
}
END_TEST

START_TEST(unknown_and_duplicate_keys_are_reported)
{
	static const char *const allowed[] = { "name", "run", NULL };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *doc = load("name: a\nrnu: b\n");

	ck_assert_int_eq(spec_check_keys(doc, doc->root, allowed, &err),
			 MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "t.yaml:2:1: unknown key 'rnu' (expected one"
			 " of: name, run)");
	spec_free(doc);
	doc = load("name: a\nname: b\n");
	ck_assert_int_eq(spec_check_keys(doc, doc->root, allowed, &err),
			 MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.yaml:2:1: duplicate key "
				     "'name' (first at line 1)"));
	spec_free(doc);
}
END_TEST

START_TEST(typed_lookups_check_types)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *doc = load("n: 12\nb: yes\nx: 1.5\nbad: twelve\n"
				    "list: [1]\n");
	int64_t n = 0;
	double x = 0;
	int b = 0;
	const char *s = NULL;

	ck_assert_int_eq(spec_get_int(doc, doc->root, "n", 1, 0, 100, &n,
				      &err), 0);
	ck_assert_int_eq(n, 12);
	ck_assert_int_eq(spec_get_bool(doc, doc->root, "b", 1, &b, &err), 0);
	ck_assert_int_eq(b, 1);
	ck_assert_int_eq(spec_get_double(doc, doc->root, "x", 1, &x, &err), 0);
	ck_assert(x == 1.5);
	ck_assert_int_eq(spec_get_int(doc, doc->root, "bad", 1, 0, 100, &n,
				      &err), MLOPS_EINPUT);
	ck_assert_str_eq(err.msg, "t.yaml:4:6: bad: \"twelve\" is not an "
			 "integer");
	ck_assert_int_eq(spec_get_str(doc, doc->root, "list", 1, &s, &err),
			 MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "t.yaml:5:7: 'list' must be a "
				     "single value"));
	ck_assert_int_eq(spec_get_str(doc, doc->root, "missing", 1, &s, &err),
			 MLOPS_EINPUT);
	ck_assert_ptr_nonnull(strstr(err.msg, "missing required key "
				     "'missing'"));
	ck_assert_int_eq(spec_get_str(doc, doc->root, "missing", 0, &s, &err),
			 0);
	ck_assert_ptr_null(s);
	spec_free(doc);
}
END_TEST

START_TEST(alias_bombs_and_deep_nesting_are_refused)
{
	load_fails("a: &a [x, x, x, x, x, x, x, x, x, x]\n"
		   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
		   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
		   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
		   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
		   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
		   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n",
		   "too many nodes");
	{
		char deep[400];
		size_t i;

		for (i = 0; i < 100; i++)
			deep[i] = '[';
		for (; i < 200; i++)
			deep[i] = ']';
		deep[i] = '\0';
		load_fails(deep, "nesting is too deep");
	}
}
END_TEST

START_TEST(aliases_of_a_large_scalar_are_bounded_in_bytes)
{
	struct buf yaml = BUF_INIT;

	/* 1 MB named by 3,000 aliases: few nodes, 3 GB once expanded. */
	buf_addstr(&yaml, "a: &a \"");
	for (int i = 0; i < 1000 * 1000; i++)
		buf_addch(&yaml, 'x');
	buf_addstr(&yaml, "\"\nb: [*a");
	for (int i = 1; i < 3000; i++)
		buf_addstr(&yaml, ", *a");
	buf_addstr(&yaml, "]\n");
	load_fails(yaml.s, "expand to more than 4194304 bytes");
	buf_release(&yaml);
}
END_TEST

START_TEST(a_spec_larger_than_the_bound_is_refused)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *doc = NULL;
	struct buf yaml = BUF_INIT;

	buf_addstr(&yaml, "description: ");
	while (yaml.len <= MLOPS_MAX_SPEC)
		buf_addstr(&yaml, "0123456789abcdef");
	buf_addch(&yaml, '\n');
	ck_assert_int_eq(spec_load_mem(&doc, yaml.s, yaml.len, "big.yaml",
				       &err), MLOPS_EINPUT);
	ck_assert_ptr_null(doc);
	ck_assert_ptr_nonnull(strstr(err.msg, "larger than 4194304 bytes"));
	buf_release(&yaml);
}
END_TEST

START_TEST(empty_file_is_an_empty_map_and_emit_round_trips)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *doc = load("");
	struct buf out = BUF_INIT;
	struct spec_doc *back;

	ck_assert_int_eq(doc->root->kind, SPEC_MAP);
	spec_map_set_take(doc->root, "environment", spec_new_scalar("prod"));
	spec_map_set_take(doc->root, "odd", spec_new_scalar("a: b # c"));
	ck_assert_int_eq(spec_emit(doc->root, &out, &err), 0);
	back = load(out.s);
	ck_assert_str_eq(spec_get(back->root, "environment")->value, "prod");
	ck_assert_str_eq(spec_get(back->root, "odd")->value, "a: b # c");
	spec_free(back);
	spec_free(doc);
	buf_release(&out);
}
END_TEST

Suite *suite_spec(void)
{
	Suite *s = suite_create("spec");
	TCase *tc = tcase_create("spec");

	tcase_add_test(tc, nodes_keep_line_and_column);
	tcase_add_test(tc, syntax_errors_name_line_and_column);
	tcase_add_test(tc, unknown_and_duplicate_keys_are_reported);
	tcase_add_test(tc, typed_lookups_check_types);
	tcase_add_test(tc, alias_bombs_and_deep_nesting_are_refused);
	tcase_add_test(tc, aliases_of_a_large_scalar_are_bounded_in_bytes);
	tcase_add_test(tc, a_spec_larger_than_the_bound_is_refused);
	tcase_add_test(tc, empty_file_is_an_empty_map_and_emit_round_trips);
	suite_add_tcase(s, tc);
	return s;
}
