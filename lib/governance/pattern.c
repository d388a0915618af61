/* pattern.c - EventBridge event patterns: checking them once, when a rule
 * is added, and matching events against them, for every event and rule.
 *
 * A pattern is an object of the shape of the events it matches. Its fields
 * are ANDed; a field's value is an object (a nested pattern) or an array of
 * values and operators, any of which may match (OR); "$or" is an array of
 * patterns any of which may match. Fields of the event that the pattern
 * does not name are ignored. When the event's value is an array, a
 * pattern value matches when it matches any of the array's items. Exact
 * values match by JSON type and value: 300 and 300.0 differ, as their
 * text does in EventBridge; numeric and anything-but compare numbers as
 * numbers. Matching never fails: a pattern is checked before it is used,
 * so the matcher may assume its shape. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/jsonio.h"
#include "governance/governance.h"

/* Numbers in numeric matching, as EventBridge bounds them. */
#define NUMERIC_LIMIT 5.0e9

/* ---- checking ---- */

struct check {
	const char *name;	/* for messages */
	struct buf path;	/* the JSON path of the node checked */
	struct mlops_err *err;
};

static int fault(struct check *c, const char *fmt, const char *arg)
{
	char what[512];

	snprintf(what, sizeof(what), fmt, arg);
	return mlops_err_set(c->err, MLOPS_EINPUT, "%s: %s: %s", c->name,
			     c->path.len ? c->path.s : "(the pattern)", what);
}

static void path_key(struct buf *path, const char *key)
{
	if (path->len)
		buf_addch(path, '.');
	buf_addstr(path, key);
}

static int is_scalar(const json_t *v)
{
	return json_is_string(v) || json_is_number(v) || json_is_boolean(v) ||
		json_is_null(v);
}

/* The one key of an operator object, or NULL when it has not one. */
static const char *op_name(const json_t *o, json_t **arg)
{
	const char *key;
	json_t *v;

	if (json_object_size(o) != 1)
		return NULL;
	json_object_foreach((json_t *)o, key, v) {
		*arg = v;
		return key;
	}
	return NULL;
}

static int string_op(const char *op)
{
	return strcmp(op, "prefix") == 0 || strcmp(op, "suffix") == 0 ||
		strcmp(op, "equals-ignore-case") == 0 ||
		strcmp(op, "wildcard") == 0;
}

static int check_wildcard(struct check *c, const char *s)
{
	for (const char *p = s; *p; p++)
		if (p[0] == '*' && p[1] == '*')
			return fault(c, "wildcard \"%s\" has consecutive "
				     "'*' characters", s);
	return 0;
}

static int check_numeric(struct check *c, const json_t *a)
{
	static const char *const ops[] = { "<", "<=", "=", ">", ">=", NULL };
	size_t n = json_array_size(a);

	if (!json_is_array(a) || (n != 2 && n != 4))
		return fault(c, "%s", "\"numeric\" takes [OP, NUMBER] or "
			     "[\">\"|\">=\", NUMBER, \"<\"|\"<=\", NUMBER]");
	for (size_t i = 0; i < n; i += 2) {
		const char *op = json_string_value(json_array_get(a, i));
		json_t *num = json_array_get(a, i + 1);
		int known = 0;

		for (int k = 0; op && ops[k]; k++)
			known |= strcmp(op, ops[k]) == 0;
		if (!known)
			return fault(c, "unknown numeric operator %s",
				     op ? op : "(not a string)");
		if (!json_is_number(num))
			return fault(c, "numeric \"%s\" needs a number", op);
		if (json_number_value(num) < -NUMERIC_LIMIT ||
		    json_number_value(num) > NUMERIC_LIMIT)
			return fault(c, "numeric \"%s\": the number is beyond "
				     "-5e9..5e9", op);
	}
	if (n == 4) {
		const char *lo = json_string_value(json_array_get(a, 0));
		const char *hi = json_string_value(json_array_get(a, 2));

		if (lo[0] != '>' || hi[0] != '<')
			return fault(c, "%s", "a numeric range is a lower "
				     "bound (> or >=) then an upper one "
				     "(< or <=)");
	}
	return 0;
}

static int check_anything_but(struct check *c, const json_t *arg)
{
	const char *op;
	json_t *v;
	size_t i;

	if (json_is_string(arg) || json_is_number(arg))
		return 0;
	if (json_is_array(arg)) {
		int strings = 0, numbers = 0;

		json_array_foreach(arg, i, v) {
			strings += json_is_string(v);
			numbers += json_is_number(v);
		}
		if (json_array_size(arg) == 0 ||
		    (strings != (int)i && numbers != (int)i))
			return fault(c, "%s", "\"anything-but\" takes a "
				     "non-empty list of only strings or only "
				     "numbers");
		return 0;
	}
	if (json_is_object(arg) && (op = op_name(arg, &v)) &&
	    string_op(op)) {
		if (!json_is_string(v))
			return fault(c, "anything-but \"%s\" needs a string",
				     op);
		return strcmp(op, "wildcard") == 0 ?
			check_wildcard(c, json_string_value(v)) : 0;
	}
	return fault(c, "%s", "\"anything-but\" takes a string, a number, a "
		     "list, or {\"prefix\"|\"suffix\"|\"equals-ignore-case\"|"
		     "\"wildcard\": STRING}");
}

static int check_operator(struct check *c, const json_t *o)
{
	json_t *arg = NULL;
	const char *op = op_name(o, &arg);

	if (!op)
		return fault(c, "%s", "an operator object has exactly one "
			     "key (\"prefix\", \"numeric\", ...)");
	if (string_op(op)) {
		if (!json_is_string(arg))
			return fault(c, "\"%s\" needs a string", op);
		return strcmp(op, "wildcard") == 0 ?
			check_wildcard(c, json_string_value(arg)) : 0;
	}
	if (strcmp(op, "anything-but") == 0)
		return check_anything_but(c, arg);
	if (strcmp(op, "numeric") == 0)
		return check_numeric(c, arg);
	if (strcmp(op, "exists") == 0)
		return json_is_boolean(arg) ? 0 :
			fault(c, "%s", "\"exists\" takes true or false");
	if (strcmp(op, "cidr") == 0)
		return fault(c, "%s", "the \"cidr\" operator is not supported");
	return fault(c, "unknown operator \"%s\"", op);
}

static int check_object(struct check *c, const json_t *p, int top);

/* Check each item of array a with one, its index added to the path. */
static int check_items(struct check *c, const json_t *a,
		       int (*one)(struct check *c, const json_t *v))
{
	size_t len = c->path.len, i;
	json_t *v;
	int ret = 0;

	json_array_foreach(a, i, v) {
		buf_addf(&c->path, "[%zu]", i);
		ret = one(c, v);
		buf_setlen(&c->path, len);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int check_value(struct check *c, const json_t *v)
{
	if (json_is_object(v))
		return check_operator(c, v);
	if (!is_scalar(v))
		return fault(c, "%s", "a value to match is a string, number, "
			     "true, false, null or an operator object");
	return 0;
}

static int check_nested(struct check *c, const json_t *v)
{
	return check_object(c, v, 0);
}

static int check_values(struct check *c, const json_t *a)
{
	if (json_array_size(a) == 0)
		return fault(c, "%s", "an empty array matches nothing");
	return check_items(c, a, check_value);
}

static int check_or(struct check *c, const json_t *a)
{
	if (json_array_size(a) < 1)
		return fault(c, "%s", "\"$or\" takes a non-empty array of "
			     "patterns");
	return check_items(c, a, check_nested);
}

static int check_object(struct check *c, const json_t *p, int top)
{
	size_t len = c->path.len;
	const char *key;
	json_t *v;
	int ret = 0;

	if (!json_is_object(p))
		return fault(c, "%s", "a pattern is a JSON object");
	if (!top && json_object_size(p) == 0)
		return fault(c, "%s", "an empty pattern here matches nothing");
	json_object_foreach((json_t *)p, key, v) {
		path_key(&c->path, key);
		if (strcmp(key, "$or") == 0)
			ret = json_is_array(v) ? check_or(c, v) :
				fault(c, "%s", "\"$or\" takes an array of "
				      "patterns");
		else if (json_is_object(v))
			ret = check_object(c, v, 0);
		else if (json_is_array(v))
			ret = check_values(c, v);
		else
			ret = fault(c, "%s", "a field's value is an array of "
				    "values to match or a nested pattern "
				    "object");
		buf_setlen(&c->path, len);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int governance_pattern_check(const json_t *pattern, const char *name,
			     struct mlops_err *err)
{
	struct check c = { name, BUF_INIT, err };
	int ret = check_object(&c, pattern, 1);

	buf_release(&c.path);
	return ret;
}

int governance_pattern_parse(json_t **out, const char *text, size_t len,
			     const char *name, struct mlops_err *err)
{
	json_t *p = NULL;
	int ret = jsonio_parse(&p, text, len, name, err);

	if (ret == 0)
		ret = governance_pattern_check(p, name, err);
	if (ret < 0) {
		json_decref(p);
		return ret;
	}
	*out = p;
	return 0;
}

/* ---- matching ---- */

static int starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

/* Whether s matches pattern, where '*' is any run of characters and
 * "\*" a literal star: the classic greedy match that backtracks to the
 * last star only, linear in practice. */
static int wildcard(const char *s, const char *p)
{
	const char *star = NULL, *resume = NULL;

	while (*s) {
		if (*p == '*') {
			star = ++p;
			resume = s;
			continue;
		}
		if (p[0] == '\\' && p[1] == '*') {
			if (*s == '*') {
				s++;
				p += 2;
				continue;
			}
		} else if (*p && *p == *s) {
			s++;
			p++;
			continue;
		}
		if (!star)
			return 0;
		p = star;
		s = ++resume;
	}
	while (*p == '*')
		p++;
	return *p == '\0';
}

/* A string operator (prefix, suffix, ...) against an event value. */
static int string_match(const char *op, const char *arg, const json_t *e)
{
	const char *s = json_string_value(e);

	if (!s)
		return 0;
	if (strcmp(op, "prefix") == 0)
		return starts_with(s, arg);
	if (strcmp(op, "suffix") == 0)
		return ends_with(s, arg);
	if (strcmp(op, "equals-ignore-case") == 0)
		return strcasecmp(s, arg) == 0;
	return wildcard(s, arg);
}

static int same_value(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	return json_equal((json_t *)a, (json_t *)b);
}

static int anything_but(const json_t *arg, const json_t *e)
{
	const char *op;
	json_t *v;
	size_t i;

	if (json_is_array(arg)) {
		json_array_foreach(arg, i, v)
			if (same_value(v, e))
				return 0;
		return 1;
	}
	if (json_is_object(arg)) {
		op = op_name(arg, &v);
		return json_is_string(e) &&
			!string_match(op, json_string_value(v), e);
	}
	return !same_value(arg, e);
}

static int numeric(const json_t *a, const json_t *e)
{
	double x;

	if (!json_is_number(e))
		return 0;
	x = json_number_value(e);
	for (size_t i = 0; i < json_array_size(a); i += 2) {
		const char *op = json_string_value(json_array_get(a, i));
		double y = json_number_value(json_array_get(a, i + 1));
		int ok;

		if (strcmp(op, "<") == 0)
			ok = x < y;
		else if (strcmp(op, "<=") == 0)
			ok = x <= y;
		else if (strcmp(op, "=") == 0)
			ok = x == y;
		else if (strcmp(op, ">") == 0)
			ok = x > y;
		else
			ok = x >= y;
		if (!ok)
			return 0;
	}
	return 1;
}

/* One value or operator of a pattern array against one event value. */
static int match_scalar(const json_t *v, const json_t *e)
{
	json_t *arg = NULL;
	const char *op;

	if (!json_is_object(v))
		return json_equal((json_t *)v, (json_t *)e);
	op = op_name(v, &arg);
	if (string_op(op))
		return string_match(op, json_string_value(arg), e);
	if (strcmp(op, "anything-but") == 0)
		return anything_but(arg, e);
	if (strcmp(op, "numeric") == 0)
		return numeric(arg, e);
	return 0;
}

/* One value or operator against the event's field value fv (NULL when
 * the field is absent; an array matches when any item does). */
static int match_value(const json_t *v, const json_t *fv)
{
	json_t *arg = NULL, *item;
	size_t i;

	if (json_is_object(v) && strcmp(op_name(v, &arg), "exists") == 0)
		return json_is_true(arg) ? fv && !json_is_object(fv) : !fv;
	if (!fv)
		return 0;
	if (json_is_array(fv)) {
		json_array_foreach(fv, i, item)
			if (match_scalar(v, item))
				return 1;
		return 0;
	}
	return match_scalar(v, fv);
}

static int match_object(const json_t *p, const json_t *ev)
{
	const char *key;
	json_t *v, *fv, *item;
	size_t i;

	json_object_foreach((json_t *)p, key, v) {
		int ok = 0;

		if (strcmp(key, "$or") == 0) {
			json_array_foreach(v, i, item)
				if ((ok = match_object(item, ev)))
					break;
			if (!ok)
				return 0;
			continue;
		}
		fv = json_is_object(ev) ? json_object_get(ev, key) : NULL;
		if (json_is_object(v) && json_is_array(fv)) {
			json_array_foreach(fv, i, item)
				if ((ok = match_object(v, item)))
					break;
		} else if (json_is_object(v)) {
			ok = match_object(v, fv);
		} else {
			json_array_foreach(v, i, item)
				if ((ok = match_value(item, fv)))
					break;
		}
		if (!ok)
			return 0;
	}
	return 1;
}

int governance_pattern_match(const json_t *pattern, const json_t *event)
{
	return match_object(pattern, event);
}
