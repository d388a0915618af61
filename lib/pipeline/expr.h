/* pipeline_expr.h - the two small languages of pipeline.yaml: ${...}
 * references substituted into commands and environment values, and the
 * conditions of `when:`
 *
 *	${steps.evaluate.properties.auc} >= ${min_auc} and not ${dry_run}
 *
 * with ==, !=, <, <=, >, >=, `in [a, b]`, and, or, not and parentheses over
 * numbers, 'strings' (or "strings") and true/false. What a reference means
 * is the caller's business, through a resolver. "$${" stands for a
 * literal "${". */
#ifndef MLOPS_PIPELINE_EXPR_H
#define MLOPS_PIPELINE_EXPR_H

#include "core/buf.h"
#include "core/err.h"

enum pipeline_expr_kind {
	PEXPR_UNKNOWN,		/* not known before the run (validation) */
	PEXPR_NUM,
	PEXPR_STR,
	PEXPR_BOOL
};

struct pipeline_expr_value {
	enum pipeline_expr_kind kind;
	double num;
	char *str;		/* PEXPR_STR: owned by the value */
	int boolean;
};

/* Resolve ref, the text between "${" and "}", into *out (str allocated).
 * A resolver used for validation may answer PEXPR_UNKNOWN. Returns 0 or a
 * negative code with err set. */
typedef int (*pipeline_expr_resolve_fn)(const char *ref, struct pipeline_expr_value *out,
				void *arg, struct mlops_err *err);

void pipeline_expr_value_release(struct pipeline_expr_value *v);
/* A value as text: numbers without a trailing ".0" when integral. */
void pipeline_expr_value_format(const struct pipeline_expr_value *v, struct buf *out);

/* Append text to out with each ${ref} replaced by its value as text.
 * An unterminated "${" is MLOPS_EINPUT. */
int pipeline_expr_subst(struct buf *out, const char *text, pipeline_expr_resolve_fn fn,
		void *arg, struct mlops_err *err);

/* Call fn with each reference in text (text of a substitution or of a
 * condition); stops at the first non-zero return and returns it. */
int pipeline_expr_each_ref(const char *text, int (*fn)(const char *ref, void *arg),
		   void *arg);

/* Evaluate the condition cond into *out (0 or 1). With a validating
 * resolver that answers PEXPR_UNKNOWN, this checks the syntax and the
 * references only, and *out is -1. Errors (syntax, comparing a number
 * with a string) are MLOPS_EINPUT, with the column in cond. */
int pipeline_expr_eval(int *out, const char *cond, pipeline_expr_resolve_fn fn, void *arg,
	       struct mlops_err *err);

#endif
