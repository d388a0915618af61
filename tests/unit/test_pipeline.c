/* test_pipeline.c - unit tests of lib/pipeline/expr.c (substitution and
 * conditions) and lib/pipeline/spec.c (loading and validation), which need
 * no store. */
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "core/buf.h"
#include "pipeline/pipeline.h"
#include "core/xalloc.h"

/* A resolver over a few fixed values: x=3, pi=3.14, s='abc', t=true. */
static int fixed(const char *ref, struct pipeline_expr_value *out, void *arg,
		 struct mlops_err *err)
{
	(void)arg;
	if (strcmp(ref, "x") == 0) {
		out->kind = PIPELINE_EXPR_NUM;
		out->num = 3;
	} else if (strcmp(ref, "pi") == 0) {
		out->kind = PIPELINE_EXPR_NUM;
		out->num = 3.14;
	} else if (strcmp(ref, "s") == 0) {
		out->kind = PIPELINE_EXPR_STR;
		out->str = xstrdup("abc");
	} else if (strcmp(ref, "t") == 0) {
		out->kind = PIPELINE_EXPR_BOOL;
		out->boolean = 1;
	} else {
		return mlops_err_set(err, MLOPS_EINPUT, "no '%s'", ref);
	}
	return 0;
}

static int eval(const char *cond)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int v = -2;

	ck_assert_msg(pipeline_expr_eval(&v, cond, fixed, NULL, &err) == 0,
		      "%s: %s", cond, err.msg);
	return v;
}

static const char *eval_error(const char *cond)
{
	static struct mlops_err err;
	int v;

	mlops_err_clear(&err);
	ck_assert_msg(pipeline_expr_eval(&v, cond, fixed, NULL, &err) < 0,
		      "%s evaluated", cond);
	return err.msg;
}

START_TEST(conditions_compare_numbers_strings_booleans)
{
	ck_assert_int_eq(eval("${x} == 3"), 1);
	ck_assert_int_eq(eval("${x} != 3"), 0);
	ck_assert_int_eq(eval("${pi} >= 3.14"), 1);
	ck_assert_int_eq(eval("${pi} > 3.14"), 0);
	ck_assert_int_eq(eval("${x} < -1"), 0);
	ck_assert_int_eq(eval("${x} <= 3e0"), 1);
	ck_assert_int_eq(eval("${s} == 'abc'"), 1);
	ck_assert_int_eq(eval("${s} < \"abd\""), 1);
	ck_assert_int_eq(eval("${t} == true"), 1);
	ck_assert_int_eq(eval("${t}"), 1);
	ck_assert_int_eq(eval("false"), 0);
}
END_TEST

START_TEST(conditions_combine_with_and_or_not_in)
{
	ck_assert_int_eq(eval("${x} == 3 and ${s} == 'abc'"), 1);
	ck_assert_int_eq(eval("${x} == 4 or ${s} == 'abc'"), 1);
	ck_assert_int_eq(eval("not ${x} == 4"), 1);
	ck_assert_int_eq(eval("not (${x} == 3 or false)"), 0);
	ck_assert_int_eq(eval("${s} in ['x', 'abc']"), 1);
	ck_assert_int_eq(eval("${x} in [1, 2]"), 0);
	ck_assert_int_eq(eval("${x} in []"), 0);
	/* or binds looser than and */
	ck_assert_int_eq(eval("true or false and false"), 1);
}
END_TEST

START_TEST(conditions_short_circuit_unresolved_operands)
{
	/* ${missing} would be an error, but the left side decides */
	ck_assert_int_eq(eval("${x} == 3 or ${missing} > 1"), 1);
	ck_assert_int_eq(eval("${x} == 4 and ${missing} > 1"), 0);
	ck_assert(strstr(eval_error("${x} == 3 and ${missing} > 1"),
			 "no 'missing'"));
}
END_TEST

START_TEST(conditions_report_errors_with_columns)
{
	ck_assert(strstr(eval_error("${x} == 'a'"),
			 "cannot compare a number with a string"));
	ck_assert(strstr(eval_error("${t} < true"), "booleans only compare"));
	ck_assert(strstr(eval_error("${x} >="), "ends too soon"));
	ck_assert(strstr(eval_error("x > 1"), "column 1: unexpected 'x'"));
	ck_assert(strstr(eval_error("${x} == 3 )"), "column 11: unexpected"));
	ck_assert(strstr(eval_error("${x}"), "is a number, not true or false"));
	ck_assert(strstr(eval_error("'abc"), "unterminated string"));
	ck_assert(strstr(eval_error("${x} == 3 and 4"), "'and' needs true or "
			 "false"));
}
END_TEST

/* Nesting is bounded: a deep condition is an error, not a stack
 * overflow. */
START_TEST(conditions_bound_their_nesting)
{
	struct buf b = BUF_INIT;

	ck_assert_int_eq(eval("((((not not (true))))) and not (not false)"),
			 0);
	for (int i = 0; i < 100000; i++)
		buf_addch(&b, '(');
	buf_addstr(&b, "true");
	for (int i = 0; i < 100000; i++)
		buf_addch(&b, ')');
	ck_assert(strstr(eval_error(b.s), "column 66: nested more than 64"));
	buf_reset(&b);
	for (int i = 0; i < 100000; i++)
		buf_addstr(&b, "not ");
	buf_addstr(&b, "true");
	ck_assert(strstr(eval_error(b.s), "nested more than 64 deep"));
	buf_release(&b);
}
END_TEST

START_TEST(substitution_formats_values_and_escapes)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct buf b = BUF_INIT;

	ck_assert_int_eq(pipeline_expr_subst(&b, "n=${x} pi=${pi} s=${s} "
					     "t=${t} lit=$${x} $HOME", fixed,
					     NULL, &err), 0);
	ck_assert_str_eq(b.s, "n=3 pi=3.1400000000000001 s=abc t=true "
			 "lit=${x} $HOME");
	buf_reset(&b);
	ck_assert_int_eq(pipeline_expr_subst(&b, "bad ${x", fixed, NULL, &err),
			 MLOPS_EINPUT);
	ck_assert(strstr(err.msg, "unterminated '${' at column 5"));
	buf_release(&b);
}
END_TEST

static int load(struct pipeline **p, const char *yaml, char *const *ov,
		size_t nov, struct mlops_err *err)
{
	return pipeline_load_mem(p, yaml, strlen(yaml), "p.yaml", ".", ov,
				 nov, err);
}

START_TEST(spec_orders_steps_after_their_needs)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct pipeline *p;
	const char *yaml =
		"name: p\n"
		"steps:\n"
		"  - {name: c, run: x, needs: [a, b]}\n"
		"  - {name: b, run: x, needs: a}\n"
		"  - {name: a, run: x}\n";

	ck_assert_msg(load(&p, yaml, NULL, 0, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(p->steps[p->order[0]].name, "a");
	ck_assert_str_eq(p->steps[p->order[1]].name, "b");
	ck_assert_str_eq(p->steps[p->order[2]].name, "c");
	ck_assert(pipeline_step_depends_on(p, 0, 2));
	ck_assert(!pipeline_step_depends_on(p, 2, 0));
	ck_assert_int_eq(p->steps[0].cache, 1);
	ck_assert_int_eq(p->steps[0].attempts, 1);
	pipeline_free(p);
}
END_TEST

START_TEST(spec_reads_parameters_retry_cache_timeout)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	char *ov[] = { "rounds=7" };
	struct pipeline *p;
	const char *yaml =
		"name: p\n"
		"parameters:\n"
		"  rounds: {type: int, default: 100}\n"
		"  rate: 0.5\n"
		"  flag: true\n"
		"  tag: v1\n"
		"steps:\n"
		"  - name: a\n"
		"    run: echo ${rounds}\n"
		"    retry: {attempts: 3, backoff: 2s}\n"
		"    cache: {expire: 7d}\n"
		"    timeout: 10m\n";

	ck_assert_msg(load(&p, yaml, ov, 1, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(pipeline_find_param(p, "rounds")->value, "7");
	ck_assert_int_eq(pipeline_find_param(p, "rate")->type, PIPELINE_FLOAT);
	ck_assert_int_eq(pipeline_find_param(p, "flag")->type, PIPELINE_BOOL);
	ck_assert_int_eq(pipeline_find_param(p, "tag")->type, PIPELINE_STRING);
	ck_assert_int_eq(p->steps[0].attempts, 3);
	ck_assert_int_eq(p->steps[0].backoff_us, 2000000);
	ck_assert_int_eq(p->steps[0].cache_expire_us, 7LL * 86400 * 1000000);
	ck_assert_int_eq(p->steps[0].timeout_us, 600LL * 1000000);
	pipeline_free(p);
}
END_TEST

static const char *load_error(const char *yaml)
{
	static struct mlops_err err;
	struct pipeline *p = NULL;

	mlops_err_clear(&err);
	ck_assert_msg(load(&p, yaml, NULL, 0, &err) < 0, "loaded: %s", yaml);
	ck_assert_ptr_null(p);
	return err.msg;
}

START_TEST(spec_splits_feature_inputs_from_files)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct pipeline *p;
	const char *yaml =
		"name: p\n"
		"steps:\n"
		"  - name: a\n"
		"    run: x\n"
		"    inputs: [a.csv, feature:customers, \"b*.csv\",\n"
		"             feature:orders-2]\n";

	ck_assert_msg(load(&p, yaml, NULL, 0, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p->steps[0].ninputs, 2);
	ck_assert_str_eq(p->steps[0].inputs[0], "a.csv");
	ck_assert_str_eq(p->steps[0].inputs[1], "b*.csv");
	ck_assert_uint_eq(p->steps[0].nfeatures, 2);
	ck_assert_str_eq(p->steps[0].features[0], "customers");
	ck_assert_str_eq(p->steps[0].feature_where[0], "p.yaml:5:21");
	ck_assert_str_eq(p->steps[0].features[1], "orders-2");
	ck_assert_str_eq(p->steps[0].feature_where[1], "p.yaml:6:14");
	pipeline_free(p);
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x, "
				    "inputs: [a.csv, \"feature:${g}\"]}\n"),
			 "p.yaml:3:39: step 'a': 'feature:${g}' does not name "
			 "a feature group"));
}
END_TEST

START_TEST(spec_errors_name_file_line_column)
{
	ck_assert_str_eq(load_error("name: p\nsteps:\n  - {name: a, rn: x}\n"),
			 "p.yaml:3:15: unknown key 'rn' (expected one of: "
			 "name, run, needs, inputs, outputs, properties, when, "
			 "env, cache, retry, timeout, template, with)");
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x, "
				    "needs: [a]}\n"), "p.yaml:3:31: step 'a' "
			 "needs itself"));
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x}\n"
				    "  - {name: a, run: y}\n"),
			 "p.yaml:4:12: duplicate step name 'a'"));
	ck_assert(strstr(load_error("name: p\nsteps: []\n"),
			 "'steps' is empty"));
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a}\n"),
			 "step 'a' has no 'run'"));
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x, "
				    "retry: {attempts: 50}}\n"),
			 "p.yaml:3:41: attempts: 50 is out of range "
			 "(1 to 20)"));
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x, "
				    "outputs: [../evil]}\n"),
			 "p.yaml:3:5: step 'a': '../evil' is not a path "
			 "inside the workspace"));
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x, "
				    "properties: /etc/x}\n"),
			 "'/etc/x' is not a path inside"));
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x, "
				    "inputs: [/data/raw.csv]}\n"),
			 "p.yaml:3:5: step 'a': '/data/raw.csv' is not a path "
			 "inside"));
	ck_assert(strstr(load_error("name: p\nsteps:\n  - {name: a, run: x, "
				    "inputs: [d/../../mlops.db]}\n"),
			 "'d/../../mlops.db' is not a path inside"));
	ck_assert(strstr(load_error("name: p\nparameters: {n: {type: "
				    "complex}}\nsteps:\n  - {name: a, run: x}"
				    "\n"), "unknown type 'complex'"));
}
END_TEST

Suite *suite_pipeline(void);

Suite *suite_pipeline(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, conditions_compare_numbers_strings_booleans);
	tcase_add_test(tc, conditions_combine_with_and_or_not_in);
	tcase_add_test(tc, conditions_short_circuit_unresolved_operands);
	tcase_add_test(tc, conditions_report_errors_with_columns);
	tcase_add_test(tc, conditions_bound_their_nesting);
	tcase_add_test(tc, substitution_formats_values_and_escapes);
	tcase_add_test(tc, spec_orders_steps_after_their_needs);
	tcase_add_test(tc, spec_reads_parameters_retry_cache_timeout);
	tcase_add_test(tc, spec_errors_name_file_line_column);
	tcase_add_test(tc, spec_splits_feature_inputs_from_files);
	suite_add_tcase(s, tc);
	return s;
}
