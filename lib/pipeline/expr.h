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

enum pexpr_kind {
	PEXPR_UNKNOWN,		/* not known before the run (validation) */
	PEXPR_NUM,
	PEXPR_STR,
	PEXPR_BOOL
};

struct pexpr_value {
	enum pexpr_kind kind;
	double num;
	char *str;		/* PEXPR_STR: owned by the value */
	int boolean;
};

/* Resolve ref, the text between "${" and "}", into *out (str allocated).
 * A resolver used for validation may answer PEXPR_UNKNOWN. Returns 0 or a
 * negative code with err set. */
typedef int (*pexpr_resolve_fn)(const char *ref, struct pexpr_value *out,
				void *arg, struct mlops_err *err);

void pexpr_value_release(struct pexpr_value *v);
/* A value as text: numbers without a trailing ".0" when integral. */
void pexpr_value_format(const struct pexpr_value *v, struct buf *out);

/* Append text to out with each ${ref} replaced by its value as text.
 * An unterminated "${" is MLOPS_EINPUT. */
int pexpr_subst(struct buf *out, const char *text, pexpr_resolve_fn fn,
		void *arg, struct mlops_err *err);

/* Call fn with each reference in text (text of a substitution or of a
 * condition); stops at the first non-zero return and returns it. */
int pexpr_each_ref(const char *text, int (*fn)(const char *ref, void *arg),
		   void *arg);

/* Evaluate the condition cond into *out (0 or 1). With a validating
 * resolver that answers PEXPR_UNKNOWN, this checks the syntax and the
 * references only, and *out is -1. Errors (syntax, comparing a number
 * with a string) are MLOPS_EINPUT, with the column in cond. */
int pexpr_eval(int *out, const char *cond, pexpr_resolve_fn fn, void *arg,
	       struct mlops_err *err);

#endif
