/* rule.c - event rules: a name, a checked pattern and a target command,
 * kept in the event_rule table (0011-event-rules.sql), read from rule
 * files (share/rules/NAME.yaml), and listed, enabled, disabled, removed.
 * Delivering events to the targets is dispatch.c's job. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/bounds.h"
#include "core/buf.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "core/spec.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "governance/governance.h"

#define RULE_NAME_MAX 64
#define RULE_RETRIES_MAX 100

void governance_rule_init(struct governance_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->retries = GOVERNANCE_RULE_RETRIES;
	r->backoff_us = GOVERNANCE_RULE_BACKOFF_US;
	r->enabled = 1;
}

void governance_rule_release(struct governance_rule *r)
{
	free(r->name);
	json_decref(r->pattern);
	free(r->target);
	free(r->description);
	free(r->origin);
	free(r->created_by);
	governance_rule_init(r);
}

static int valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > RULE_NAME_MAX || s[0] == '.' || s[0] == '-' ||
	    s[0] == '_')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		      (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || s[i] == '.' ||
		      s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

/* ---- rule files ---- */

/* The rule file that arg names: arg itself, arg.yaml, or for a bare
 * name, NAME.yaml in the share/rules of the source tree or installation
 * this program runs from, then in the configured share directory. */
static char *find_rule_file(const char *arg)
{
	char exe[PATH_MAX];
	char *path = xasprintf("%s.yaml", arg);
	ssize_t n;

	if (fs_exists(arg) && !fs_is_dir(arg)) {
		free(path);
		return xstrdup(arg);
	}
	if (fs_exists(path) || strchr(arg, '/'))
		return fs_exists(path) ? path : (free(path), NULL);
	free(path);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *bin, *build, *top;

		exe[n] = '\0';
		bin = fs_path_dirname(exe);
		build = fs_path_dirname(bin);
		top = fs_path_dirname(build);
		path = xasprintf("%s/share/rules/%s.yaml", top, arg);
		if (!fs_exists(path)) {
			free(path);
			path = xasprintf("%s/../share/mlops/rules/%s.yaml", bin,
					 arg);
		}
		free(top);
		free(build);
		free(bin);
		if (fs_exists(path))
			return path;
		free(path);
	}
	path = xasprintf("%s/rules/%s.yaml", MLOPS_SHAREDIR, arg);
	if (fs_exists(path))
		return path;
	free(path);
	return NULL;
}

static void set_str(char **dst, const char *v)
{
	if (!v)
		return;
	free(*dst);
	*dst = xstrdup(v);
}

static int load_doc(struct governance_rule *r, const struct spec_doc *doc,
		    struct mlops_err *err)
{
	static const char *const keys[] = {
		"description", "pattern", "target", "retries", "backoff",
		"enabled", NULL
	};
	const struct spec_node *root = doc->root, *pn;
	const char *desc = NULL, *target = NULL, *backoff = NULL;
	int64_t retries = r->retries;
	int enabled = r->enabled, ret;
	json_t *pattern = NULL;

	if ((ret = spec_expect(doc, root, SPEC_MAP, "a rule file", err)) < 0 ||
	    (ret = spec_check_keys(doc, root, keys, err)) < 0 ||
	    (ret = spec_get_str(doc, root, "description", 0, &desc, err)) < 0 ||
	    (ret = spec_get_str(doc, root, "target", 1, &target, err)) < 0 ||
	    (ret = spec_get_str(doc, root, "backoff", 0, &backoff, err)) < 0 ||
	    (ret = spec_get_int(doc, root, "retries", 0, 0, RULE_RETRIES_MAX,
				&retries, err)) < 0 ||
	    (ret = spec_get_bool(doc, root, "enabled", 0, &enabled, err)) < 0)
		return ret;
	pn = spec_get(root, "pattern");
	if (!pn || pn->kind != SPEC_SCALAR)
		return spec_error(doc, pn ? pn : root, MLOPS_EINPUT, err,
				  "'pattern' must be the pattern's JSON text "
				  "(a block scalar: pattern: |)");
	/* A block scalar starts on the line after its key. */
	ret = jsonio_parse_at(&pattern, pn->value, strlen(pn->value),
			      doc->name, pn->plain ? pn->line : pn->line + 1,
			      err);
	if (ret == 0)
		ret = governance_pattern_check(pattern, doc->name, err);
	if (ret < 0) {
		json_decref(pattern);
		return ret;
	}
	if (backoff) {
		ret = time_parse_duration(backoff, &r->backoff_us, err);
		if (ret < 0) {
			json_decref(pattern);
			return spec_error(doc, spec_get(root, "backoff"),
					  MLOPS_EINPUT, err, "backoff: %s",
					  err->msg);
		}
	}
	json_decref(r->pattern);
	r->pattern = pattern;
	set_str(&r->description, desc);
	set_str(&r->target, target);
	r->retries = retries;
	r->enabled = enabled;
	return 0;
}

int governance_rule_load(struct governance_rule *r, const char *path,
			 struct mlops_err *err)
{
	struct spec_doc *doc = NULL;
	char *file = find_rule_file(path);
	int ret;

	if (!file)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "no rule file '%s' "
				     "(nor %s.yaml, nor a shipped rule of "
				     "that name)", path, path);
	ret = spec_load_file(&doc, file, err);
	if (ret == 0)
		ret = load_doc(r, doc, err);
	if (ret == 0) {
		free(r->origin);
		r->origin = fs_path_absolute(file);
	}
	spec_free(doc);
	free(file);
	return ret;
}

/* ---- the table ---- */

static void bind_opt(sqlite3_stmt *q, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(q, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(q, i);
}

static int insert_rule(struct store *st, const struct governance_rule *r,
		       const char *user, struct mlops_err *err)
{
	struct buf pattern = BUF_INIT;
	sqlite3_stmt *q = NULL;
	int64_t since = 0;
	int ret = event_last_seq(st, &since, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT INTO event_rule (name, "
				    "pattern, target, retries, backoff_us, "
				    "enabled, since_seq, description, origin, "
				    "created_by, created_us) VALUES (?1, ?2, "
				    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
				    err);
	if (ret < 0)
		return ret;
	jsonio_append(&pattern, r->pattern);
	sqlite3_bind_text(q, 1, r->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, pattern.s, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, r->target, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, r->retries);
	sqlite3_bind_int64(q, 5, r->backoff_us);
	sqlite3_bind_int(q, 6, r->enabled);
	sqlite3_bind_int64(q, 7, since);
	bind_opt(q, 8, r->description);
	bind_opt(q, 9, r->origin);
	sqlite3_bind_text(q, 10, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 11, time_now_us());
	ret = store_step_done(q, "cannot add the rule", err);
	if (ret == MLOPS_ENOTFOUND)
		mlops_err_set(err, MLOPS_ENOTFOUND, "rule '%s' already exists "
			      "(see 'mlops event rule rm')", r->name);
	sqlite3_finalize(q);
	buf_release(&pattern);
	return ret;
}

int governance_rule_add(struct store *st, const struct governance_rule *r,
			struct mlops_err *err)
{
	struct audit_entry e = { "event.rule.add", r->name, "success", NULL };
	char *user = NULL;
	int ret;

	if (!valid_name(r->name))
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not a valid "
				     "rule name (letters, digits, '.', '-', "
				     "'_'; up to %d)", r->name, RULE_NAME_MAX);
	if (!r->pattern || !r->target || !*r->target)
		return mlops_err_set(err, MLOPS_EUSAGE, "rule '%s' needs a "
				     "pattern and a target", r->name);
	if (r->retries < 0 || r->retries > RULE_RETRIES_MAX ||
	    r->backoff_us < 0)
		return mlops_err_set(err, MLOPS_EUSAGE, "rule '%s': retries "
				     "0-%d and a backoff of 0 or more",
				     r->name, RULE_RETRIES_MAX);
	ret = audit_intend(st, e.action, e.resource, err);
	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0) {
		user = identity_user();
		ret = insert_rule(st, r, user, err);
	}
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	e.detail = json_pack("{s:s,s:b}", "target", r->target, "enabled",
			     r->enabled);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	free(user);
	return ret;
}

#define RULE_COLUMNS "name, pattern, target, retries, backoff_us, enabled, " \
	"since_seq, description, origin, created_by, created_us, " \
	"(SELECT count(*) FROM event_delivery d WHERE d.rule = r.name AND " \
	"d.state = 'done'), (SELECT count(*) FROM event_delivery d WHERE " \
	"d.rule = r.name AND d.state = 'dead'), (SELECT count(*) FROM " \
	"event_delivery d WHERE d.rule = r.name AND d.state IN ('pending', " \
	"'running'))"

static json_t *col_str(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);

	return s ? json_string(s) : json_null();
}

static json_t *rule_row(sqlite3_stmt *q)
{
	char when[TIME_RFC3339_MAX];
	json_t *o = json_object();
	json_t *p = json_loads((const char *)sqlite3_column_text(q, 1), 0,
			       NULL);

	time_format_ms(sqlite3_column_int64(q, 10), when);
	json_object_set_new(o, "name", col_str(q, 0));
	json_object_set_new(o, "enabled",
			    json_boolean(sqlite3_column_int(q, 5)));
	json_object_set_new(o, "pattern", p ? p : json_null());
	json_object_set_new(o, "target", col_str(q, 2));
	json_object_set_new(o, "retries",
			    json_integer(sqlite3_column_int64(q, 3)));
	json_object_set_new(o, "backoff", json_real(
		(double)sqlite3_column_int64(q, 4) / 1e6));
	json_object_set_new(o, "sinceSeq",
			    json_integer(sqlite3_column_int64(q, 6)));
	json_object_set_new(o, "description", col_str(q, 7));
	json_object_set_new(o, "origin", col_str(q, 8));
	json_object_set_new(o, "createdBy", col_str(q, 9));
	json_object_set_new(o, "created", json_string(when));
	json_object_set_new(o, "delivered",
			    json_integer(sqlite3_column_int64(q, 11)));
	json_object_set_new(o, "deadLetters",
			    json_integer(sqlite3_column_int64(q, 12)));
	json_object_set_new(o, "pending",
			    json_integer(sqlite3_column_int64(q, 13)));
	return o;
}

static int select_rules(struct store *st, const char *name, json_t **out,
			struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT " RULE_COLUMNS " FROM "
				"event_rule r WHERE ?1 IS NULL OR name = ?1 "
				"ORDER BY name", err);

	if (ret < 0)
		return ret;
	bind_opt(q, 1, name);
	return jsonio_rows(out, q, rule_row, "cannot read the rules", err);
}

int governance_rule_list(struct store *st, json_t **out,
			 struct mlops_err *err)
{
	return select_rules(st, NULL, out, err);
}

int governance_rule_show(struct store *st, const char *name, json_t **out,
			 struct mlops_err *err)
{
	json_t *all = NULL;
	int ret = select_rules(st, name, &all, err);

	if (ret < 0)
		return ret;
	if (json_array_size(all) == 0) {
		json_decref(all);
		return mlops_err_set(err, MLOPS_ENOTFOUND, "no rule '%s'",
				     name);
	}
	*out = json_incref(json_array_get(all, 0));
	json_decref(all);
	return 0;
}

/* Run one statement on rule name in a transaction audited as action:
 * MLOPS_ENOTFOUND when no rule has that name. */
static int change_rule(struct store *st, const char *name,
		       const char *action, const char *sql, int64_t arg,
		       struct mlops_err *err)
{
	struct audit_entry e = { action, name, "success", NULL };
	sqlite3_stmt *q = NULL;
	int ret = audit_intend(st, action, name, err);

	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = store_prepare(st, &q, sql, err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, arg);
		ret = store_step_done(q, "cannot change the rule", err);
	}
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no rule '%s'",
				    name);
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return audit_done(st, ret, &e, err);
}

int governance_rule_set_enabled(struct store *st, const char *name,
				int enabled, struct mlops_err *err)
{
	int64_t since = 0;
	int ret = event_last_seq(st, &since, err);

	if (ret < 0)
		return ret;
	/* A rule enabled again sees the events from now on, not those it
	 * missed while disabled; enabling an enabled rule changes nothing
	 * (since_seq stays). */
	if (enabled)
		return change_rule(st, name, "event.rule.enable",
				   "UPDATE event_rule SET since_seq = CASE "
				   "WHEN enabled THEN since_seq ELSE ?2 END, "
				   "enabled = 1 WHERE name = ?1", since, err);
	return change_rule(st, name, "event.rule.disable",
			   "UPDATE event_rule SET enabled = 0 WHERE name = ?1 "
			   "AND ?2 = ?2", 0, err);
}

int governance_rule_rm(struct store *st, const char *name,
		       struct mlops_err *err)
{
	return change_rule(st, name, "event.rule.rm",
			   "DELETE FROM event_rule WHERE name = ?1 AND ?2 = ?2",
			   0, err);
}
