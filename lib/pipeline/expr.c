/* expr.c - ${...} substitution and `when:` conditions, evaluated
 * by a recursive-descent parser as it reads (conditions are one line, so
 * no tree is built). Short-circuit: the operand that does not decide an
 * and/or is parsed without resolving its references, so a condition may
 * guard a property that exists only in one case. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/pipeline.h"
#include "core/xalloc.h"

void pipeline_expr_value_release(struct pipeline_expr_value *v)
{
	free(v->str);
	v->str = NULL;
	v->kind = PIPELINE_EXPR_UNKNOWN;
}

void pipeline_expr_value_format(const struct pipeline_expr_value *v,
				struct buf *out)
{
	switch (v->kind) {
	case PIPELINE_EXPR_NUM:
		if (v->num == floor(v->num) && fabs(v->num) < 1e15)
			buf_addf(out, "%.0f", v->num);
		else
			buf_addf(out, "%.17g", v->num);
		break;
	case PIPELINE_EXPR_STR:
		buf_addstr(out, v->str);
		break;
	case PIPELINE_EXPR_BOOL:
		buf_addstr(out, v->boolean ? "true" : "false");
		break;
	default:
		break;
	}
}

/* The end of the reference starting at text (just after "${"): the
 * matching '}', or NULL. */
static const char *ref_end(const char *text)
{
	return strchr(text, '}');
}

int pipeline_expr_subst(struct buf *out, const char *text,
			pipeline_expr_resolve_fn fn, void *arg,
			struct mlops_err *err)
{
	const char *p = text;

	while (*p) {
		const char *end;
		struct pipeline_expr_value v = { 0 };
		char *ref;
		int ret;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			buf_addstr(out, "${");
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			buf_addch(out, *p++);
			continue;
		}
		end = ref_end(p + 2);
		if (!end)
			return mlops_err_set(err, MLOPS_EINPUT,
					     "unterminated '${' at column %d",
					     (int)(p - text) + 1);
		ref = xstrndup(p + 2, (size_t)(end - p - 2));
		ret = fn(ref, &v, arg, err);
		free(ref);
		if (ret < 0)
			return ret;
		pipeline_expr_value_format(&v, out);
		pipeline_expr_value_release(&v);
		p = end + 1;
	}
	return 0;
}

int pipeline_expr_each_ref(const char *text,
			   int (*fn)(const char *ref, void *arg), void *arg)
{
	const char *p = text;

	while ((p = strstr(p, "${")) != NULL) {
		const char *end;
		char *ref;
		int ret;

		if (p > text && p[-1] == '$') {
			p += 2;
			continue;
		}
		end = ref_end(p + 2);
		if (!end)
			return 0;
		ref = xstrndup(p + 2, (size_t)(end - p - 2));
		ret = fn(ref, arg);
		free(ref);
		if (ret)
			return ret;
		p = end + 1;
	}
	return 0;
}

/* The parser's state. skip > 0 while parsing an operand that does not
 * count: its references are not resolved. */
struct parser {
	const char *src;
	const char *p;
	pipeline_expr_resolve_fn fn;
	void *arg;
	int skip;
	int depth;	/* parentheses and nots open: bounds the recursion */
	struct mlops_err *err;
};

/* Deeper nesting than any condition needs; the recursion stays far
 * from the end of the stack. */
#define PEXPR_MAX_DEPTH 64

static int fail(struct parser *ps, const char *fmt, const char *what)
{
	return mlops_err_set(ps->err, MLOPS_EINPUT, fmt,
			     (int)(ps->p - ps->src) + 1, what);
}

static void skip_space(struct parser *ps)
{
	while (isspace((unsigned char)*ps->p))
		ps->p++;
}

/* Consume the word or symbol tok if it comes next. */
static int accept(struct parser *ps, const char *tok)
{
	size_t n = strlen(tok);

	skip_space(ps);
	if (strncmp(ps->p, tok, n) != 0)
		return 0;
	if (isalpha((unsigned char)tok[0]) &&
	    (isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_'))
		return 0;
	ps->p += n;
	return 1;
}

static int parse_or(struct parser *ps, struct pipeline_expr_value *out);

/* Enter one level of nesting: an error past PEXPR_MAX_DEPTH. */
static int nest(struct parser *ps)
{
	if (++ps->depth <= PEXPR_MAX_DEPTH)
		return 0;
	return mlops_err_set(ps->err, MLOPS_EINPUT, "column %d: nested more "
			     "than %d deep", (int)(ps->p - ps->src) + 1,
			     PEXPR_MAX_DEPTH);
}

static int parse_string(struct parser *ps, struct pipeline_expr_value *out)
{
	char quote = *ps->p++;
	const char *start = ps->p;

	while (*ps->p && *ps->p != quote)
		ps->p++;
	if (!*ps->p)
		return fail(ps, "column %d: unterminated string%s", "");
	out->kind = PIPELINE_EXPR_STR;
	out->str = xstrndup(start, (size_t)(ps->p - start));
	ps->p++;
	return 0;
}

static int parse_ref(struct parser *ps, struct pipeline_expr_value *out)
{
	const char *end = ref_end(ps->p + 2);
	char *ref;
	int ret = 0;

	if (!end)
		return fail(ps, "column %d: unterminated '${'%s", "");
	ref = xstrndup(ps->p + 2, (size_t)(end - ps->p - 2));
	ps->p = end + 1;
	if (ps->skip)
		out->kind = PIPELINE_EXPR_UNKNOWN;
	else
		ret = ps->fn(ref, out, ps->arg, ps->err);
	free(ref);
	return ret;
}

static int parse_primary(struct parser *ps, struct pipeline_expr_value *out)
{
	char *end;
	int ret;

	skip_space(ps);
	if (accept(ps, "(")) {
		ret = nest(ps);
		if (ret == 0)
			ret = parse_or(ps, out);
		if (ret == 0 && !accept(ps, ")"))
			ret = fail(ps, "column %d: expected ')'%s", "");
		ps->depth--;
		return ret;
	}
	if (ps->p[0] == '$' && ps->p[1] == '{')
		return parse_ref(ps, out);
	if (*ps->p == '\'' || *ps->p == '"')
		return parse_string(ps, out);
	if (accept(ps, "true") || accept(ps, "false")) {
		out->kind = PIPELINE_EXPR_BOOL;
		out->boolean = ps->p[-1] == 'e' && ps->p[-2] == 'u';
		return 0;
	}
	if (isdigit((unsigned char)*ps->p) || *ps->p == '-' || *ps->p == '.') {
		double v = strtod(ps->p, &end);

		if (end == ps->p || !isfinite(v))
			return fail(ps, "column %d: malformed number%s", "");
		out->kind = PIPELINE_EXPR_NUM;
		out->num = v;
		ps->p = end;
		return 0;
	}
	if (!*ps->p)
		return fail(ps, "column %d: the condition ends too soon%s",
			    "");
	if (isalpha((unsigned char)*ps->p)) {
		const char *start = ps->p;
		char word[64];

		while (isalnum((unsigned char)*ps->p) || *ps->p == '_' ||
		       *ps->p == '.')
			ps->p++;
		snprintf(word, sizeof(word), "%.*s", (int)(ps->p - start),
			 start);
		ps->p = start;
		return fail(ps, "column %d: unexpected '%s' (write a "
			    "parameter as ${name}, a string in quotes)", word);
	}
	return fail(ps, "column %d: unexpected '%.1s'", ps->p);
}

static const char *kind_name(enum pipeline_expr_kind k)
{
	switch (k) {
	case PIPELINE_EXPR_NUM:
		return "a number";
	case PIPELINE_EXPR_STR:
		return "a string";
	case PIPELINE_EXPR_BOOL:
		return "a boolean";
	default:
		return "unknown";
	}
}

/* Compare a and b with op ("==", "<", ...) into *out (-1 if unknown). */
static int compare(struct parser *ps, const char *op,
		   const struct pipeline_expr_value *a,
		   const struct pipeline_expr_value *b, int *out)
{
	int c;

	*out = -1;
	if (a->kind == PIPELINE_EXPR_UNKNOWN ||
	    b->kind == PIPELINE_EXPR_UNKNOWN)
		return 0;
	if (a->kind != b->kind) {
		char what[96];

		snprintf(what, sizeof(what), "%s with %s", kind_name(a->kind),
			 kind_name(b->kind));
		return fail(ps, "column %d: cannot compare %s", what);
	}
	if (a->kind == PIPELINE_EXPR_BOOL && op[0] != '=' && op[0] != '!')
		return fail(ps, "column %d: booleans only compare with == and "
			    "!=%s", "");
	if (a->kind == PIPELINE_EXPR_NUM)
		c = a->num < b->num ? -1 : a->num > b->num;
	else if (a->kind == PIPELINE_EXPR_STR)
		c = strcmp(a->str, b->str);
	else
		c = a->boolean - b->boolean;
	if (strcmp(op, "==") == 0)
		*out = c == 0;
	else if (strcmp(op, "!=") == 0)
		*out = c != 0;
	else if (strcmp(op, "<=") == 0)
		*out = c <= 0;
	else if (strcmp(op, ">=") == 0)
		*out = c >= 0;
	else if (strcmp(op, "<") == 0)
		*out = c < 0;
	else
		*out = c > 0;
	return 0;
}

static void set_bool(struct pipeline_expr_value *v, int b)
{
	pipeline_expr_value_release(v);
	if (b < 0) {
		v->kind = PIPELINE_EXPR_UNKNOWN;
		return;
	}
	v->kind = PIPELINE_EXPR_BOOL;
	v->boolean = b;
}

/* `x in [a, b, ...]`: true when x equals one of the items. */
static int parse_in(struct parser *ps, struct pipeline_expr_value *x)
{
	int found = 0, unknown = x->kind == PIPELINE_EXPR_UNKNOWN, ret = 0;

	if (!accept(ps, "["))
		return fail(ps, "column %d: expected '[' after 'in'%s", "");
	if (accept(ps, "]")) {
		set_bool(x, unknown ? -1 : 0);
		return 0;
	}
	do {
		struct pipeline_expr_value item = { 0 };
		int eq;

		ret = parse_primary(ps, &item);
		if (ret == 0)
			ret = compare(ps, "==", x, &item, &eq);
		if (ret == 0 && eq < 0)
			unknown = 1;
		else if (ret == 0 && eq)
			found = 1;
		pipeline_expr_value_release(&item);
	} while (ret == 0 && accept(ps, ","));
	if (ret == 0 && !accept(ps, "]"))
		ret = fail(ps, "column %d: expected ']'%s", "");
	if (ret == 0)
		set_bool(x, found ? 1 : unknown ? -1 : 0);
	return ret;
}

static int parse_comparison(struct parser *ps, struct pipeline_expr_value *out)
{
	static const char *const ops[] = { "==", "!=", "<=", ">=", "<", ">",
					   NULL };
	struct pipeline_expr_value right = { 0 };
	int ret = parse_primary(ps, out), result;

	if (ret < 0)
		return ret;
	if (accept(ps, "in"))
		return parse_in(ps, out);
	for (int i = 0; ops[i]; i++) {
		if (!accept(ps, ops[i]))
			continue;
		ret = parse_primary(ps, &right);
		if (ret == 0)
			ret = compare(ps, ops[i], out, &right, &result);
		if (ret == 0)
			set_bool(out, result);
		pipeline_expr_value_release(&right);
		return ret;
	}
	return 0;
}

static int need_bool(struct parser *ps, const struct pipeline_expr_value *v,
		     const char *op)
{
	if (v->kind == PIPELINE_EXPR_BOOL || v->kind == PIPELINE_EXPR_UNKNOWN)
		return 0;
	return fail(ps, "column %d: '%s' needs true or false on each side",
		    op);
}

static int parse_not(struct parser *ps, struct pipeline_expr_value *out)
{
	int ret;

	if (!accept(ps, "not"))
		return parse_comparison(ps, out);
	ret = nest(ps);
	if (ret == 0)
		ret = parse_not(ps, out);
	ps->depth--;
	if (ret == 0)
		ret = need_bool(ps, out, "not");
	if (ret == 0 && out->kind == PIPELINE_EXPR_BOOL)
		out->boolean = !out->boolean;
	return ret;
}

/* One level of and/or: operands from next, joined by word. The right
 * operand is parsed with skip when the left one decides already. */
static int parse_chain(struct parser *ps, struct pipeline_expr_value *out,
		       const char *word, int decides,
		       int (*next)(struct parser *,
				   struct pipeline_expr_value *))
{
	int ret = next(ps, out);

	while (ret == 0 && accept(ps, word)) {
		struct pipeline_expr_value right = { 0 };
		int decided = out->kind == PIPELINE_EXPR_BOOL &&
			out->boolean == decides;

		ret = need_bool(ps, out, word);
		ps->skip += decided;
		if (ret == 0)
			ret = next(ps, &right);
		ps->skip -= decided;
		if (ret == 0)
			ret = need_bool(ps, &right, word);
		if (ret == 0 && !decided) {
			if (right.kind == PIPELINE_EXPR_BOOL &&
			    right.boolean == decides)
				set_bool(out, decides);
			else if (out->kind == PIPELINE_EXPR_UNKNOWN ||
				 right.kind == PIPELINE_EXPR_UNKNOWN)
				set_bool(out, -1);
			else
				set_bool(out, !decides);
		}
		pipeline_expr_value_release(&right);
	}
	return ret;
}

static int parse_and(struct parser *ps, struct pipeline_expr_value *out)
{
	return parse_chain(ps, out, "and", 0, parse_not);
}

static int parse_or(struct parser *ps, struct pipeline_expr_value *out)
{
	return parse_chain(ps, out, "or", 1, parse_and);
}

int pipeline_expr_eval(int *out, const char *cond, pipeline_expr_resolve_fn fn,
		       void *arg, struct mlops_err *err)
{
	struct parser ps = { cond, cond, fn, arg, 0, 0, err };
	struct pipeline_expr_value v = { 0 };
	int ret = parse_or(&ps, &v);

	if (ret == 0) {
		skip_space(&ps);
		if (*ps.p)
			ret = fail(&ps, "column %d: unexpected '%s'", ps.p);
	}
	if (ret == 0 && v.kind != PIPELINE_EXPR_BOOL &&
	    v.kind != PIPELINE_EXPR_UNKNOWN)
		ret = mlops_err_set(err, MLOPS_EINPUT, "the condition is %s, "
				    "not true or false", kind_name(v.kind));
	if (ret == 0)
		*out = v.kind == PIPELINE_EXPR_BOOL ? v.boolean : -1;
	pipeline_expr_value_release(&v);
	return ret;
}
