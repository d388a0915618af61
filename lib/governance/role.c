/* role.c - custom personas and grants, the store's role_* tables (share/
 * sql/0012-roles.sql); see governance.h. The activities, the built-in
 * personas and the check are core/access.c's. */
#include <string.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/identity.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "governance/governance.h"

#define NAME_MAX_LEN 64

/* 1 when the grants leave someone holding store.admin, or when there is
 * no grant at all (the store is open again), else 0. */
static int admin_left(struct store *st, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = access_in_use(st, err), any = 0;

	if (ret <= 0)
		return ret < 0 ? ret : 1;
	ret = store_prepare(st, &q, "SELECT DISTINCT persona FROM role_grant",
			    err);
	while (ret == 0 && !any && (ret = store_step(q, "cannot read grants",
						     err)) == 1) {
		ret = access_persona_has(st, (const char *)
					 sqlite3_column_text(q, 0),
					 ACCESS_ADMIN, err);
		any = ret == 1;
		ret = ret < 0 ? ret : 0;
	}
	sqlite3_finalize(q);
	return ret < 0 ? ret : any;
}

/* Commit the transaction if an administrator is left, else refuse with
 * why (what to do instead). The endpoints with keys bound to a persona
 * get a new generation with the change: whether such a key opens its
 * endpoint depends on the grants and personas, and a running gateway
 * reloads an endpoint's keys when its generation moves. */
static int commit_if_admin_left(struct store *st, const char *why,
				struct mlops_err *err)
{
	int ret = admin_left(st, err);

	if (ret == 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "%s", why);
	if (ret > 0)
		ret = store_exec(st, "UPDATE endpoint SET generation = "
				 "generation + 1 WHERE name IN (SELECT "
				 "endpoint FROM endpoint_key WHERE persona IS "
				 "NOT NULL)", err);
	return ret < 0 ? ret : store_commit(st, err);
}

/* Run sql (no rows) with the text parameters p1 and p2 (p2 may be NULL);
 * *changes gets the number of rows changed. */
static int exec2(struct store *st, const char *sql, const char *p1,
		 const char *p2, int *changes, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, sql, err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, p1, -1, SQLITE_STATIC);
		if (p2)
			sqlite3_bind_text(q, 2, p2, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot change roles", err);
		if (ret == 0 && changes)
			*changes = sqlite3_changes(st->db);
	}
	sqlite3_finalize(q);
	return ret;
}

static int grant_txn(struct store *st, const char *user, const char *persona,
		     struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *activities = NULL;
	char *me = identity_user();
	int ret = store_begin(st, err), changes = 0;

	if (ret == 0)
		ret = access_persona_activities(st, persona, &activities, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT OR IGNORE INTO role_grant "
				    "(user, persona, granted_by, granted_us) "
				    "VALUES (?1, ?2, ?3, ?4)", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, persona, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, me, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, time_now_us());
		ret = store_step_done(q, "cannot grant", err);
		if (ret == 0)
			changes = sqlite3_changes(st->db);
	}
	if (ret == 0 && changes == 0)
		ret = 1;	/* held already */
	if (ret == 0)
		ret = commit_if_admin_left(st, "the first grant must leave an "
					   "administrator: grant a persona "
					   "that holds store.admin first "
					   "(mlops role grant USER admin)",
					   err);
	if (ret != 0)
		store_rollback(st);
	sqlite3_finalize(q);
	json_decref(activities);
	free(me);
	return ret;
}

int governance_role_grant(struct store *st, const char *user,
			  const char *persona, struct mlops_err *err)
{
	json_t *detail = json_pack("{s:s}", "persona", persona);
	struct audit_entry e = { "role.grant", user, "success", detail };
	int ret = detail ? audit_intend(st, e.action, user, err) :
		mlops_err_set(err, MLOPS_EINPUT, "the persona name is not "
			      "valid UTF-8");

	if (ret == 0)
		ret = grant_txn(st, user, persona, err);
	if (ret == 1)
		audit_cancel(st);
	else
		ret = audit_done(st, ret, &e, err);
	json_decref(detail);
	return ret;
}

static int revoke_txn(struct store *st, const char *user,
		      const char *persona, struct mlops_err *err)
{
	int ret = store_begin(st, err), changes = 0;

	if (ret == 0)
		ret = exec2(st, persona ? "DELETE FROM role_grant WHERE user = "
			    "?1 AND persona = ?2" : "DELETE FROM role_grant "
			    "WHERE user = ?1", user, persona, &changes, err);
	if (ret == 0 && changes == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "'%s' holds %s%s%s",
				    user, persona ? "no persona '" :
				    "no persona", persona ? persona : "",
				    persona ? "'" : "");
	if (ret == 0)
		ret = commit_if_admin_left(st, "that would leave no one "
					   "holding store.admin: grant it to "
					   "another user first, or revoke "
					   "every other grant first", err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

int governance_role_revoke(struct store *st, const char *user,
			   const char *persona, struct mlops_err *err)
{
	json_t *detail = json_pack("{s:s*}", "persona", persona);
	struct audit_entry e = { "role.revoke", user, "success", detail };
	int ret = detail ? audit_intend(st, e.action, user, err) :
		mlops_err_set(err, MLOPS_EINPUT, "the persona name is not "
			      "valid UTF-8");

	if (ret == 0)
		ret = revoke_txn(st, user, persona, err);
	ret = audit_done(st, ret, &e, err);
	json_decref(detail);
	return ret;
}

static int valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > NAME_MAX_LEN || name[0] == '-')
		return 0;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-_.") == n;
}

static int define_txn(struct store *st, const char *name,
		      const char *const *activities, size_t n,
		      struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char *me = identity_user();
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = exec2(st, "DELETE FROM role_persona WHERE name = ?1",
			    name, NULL, NULL, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT INTO role_persona (name, "
				    "defined_by, defined_us) VALUES (?1, ?2, "
				    "?3)", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, me, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, time_now_us());
		ret = store_step_done(q, "cannot define a persona", err);
	}
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = exec2(st, "INSERT OR IGNORE INTO role_activity (persona, "
			    "activity) VALUES (?1, ?2)", name, activities[i],
			    NULL, err);
	if (ret == 0)
		ret = commit_if_admin_left(st, "that would leave no one "
					   "holding store.admin: keep "
					   "store.admin in this persona, or "
					   "grant it to another user first",
					   err);
	if (ret < 0)
		store_rollback(st);
	sqlite3_finalize(q);
	free(me);
	return ret;
}

/* What is wrong with a definition, in err; 0 when nothing. */
static int check_definition(const char *name, const char *const *activities,
			    size_t n, struct mlops_err *err)
{
	if (!valid_name(name))
		return mlops_err_set(err, MLOPS_EINPUT, "'%s' is not a valid "
				     "persona name (1 to %d of a-z, 0-9, '-', "
				     "'_' and '.', not starting with '-')",
				     name, NAME_MAX_LEN);
	if (access_builtin(name))
		return mlops_err_set(err, MLOPS_ENOTFOUND, "'%s' is a built-in "
				     "persona and cannot be redefined; define "
				     "a persona of another name", name);
	for (size_t i = 0; i < n; i++)
		if (!access_activity_valid(activities[i]))
			return mlops_err_set(err, MLOPS_EINPUT, "'%s' is not an "
					     "activity (see 'mlops role "
					     "list')", activities[i]);
	return 0;
}

int governance_role_define(struct store *st, const char *name,
			   const char *const *activities, size_t n,
			   struct mlops_err *err)
{
	json_t *list = json_array(), *detail;
	struct audit_entry e = { "role.define", name, "success", NULL };
	int ret;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_string(activities[i]));
	detail = json_pack("{s:o}", "activities", list);
	e.detail = detail;
	ret = audit_intend(st, e.action, name, err);
	if (ret == 0)
		ret = check_definition(name, activities, n, err);
	if (ret == 0)
		ret = define_txn(st, name, activities, n, err);
	ret = audit_done(st, ret, &e, err);
	json_decref(detail);
	return ret;
}

static int persona_users(struct store *st, const char *name, json_t **out,
			 struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *list = json_array();
	int ret = store_prepare(st, &q, "SELECT user FROM role_grant WHERE "
				"persona = ?1 ORDER BY user", err);

	if (ret == 0)
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	while (ret == 0 && (ret = store_step(q, "cannot read grants",
					     err)) == 1) {
		json_array_append_new(list, json_string((const char *)
					sqlite3_column_text(q, 0)));
		ret = 0;
	}
	sqlite3_finalize(q);
	if (ret < 0)
		json_decref(list);
	else
		*out = list;
	return ret;
}

int governance_role_show(struct store *st, const char *name, json_t **out,
			 struct mlops_err *err)
{
	const struct access_persona *p = access_builtin(name);
	json_t *activities = NULL, *users = NULL;
	int ret = access_persona_activities(st, name, &activities, err);

	if (ret == 0)
		ret = persona_users(st, name, &users, err);
	if (ret == 0)
		*out = json_pack("{s:s,s:b,s:s,s:o,s:o}", "name", name,
				 "builtin", p != NULL, "summary",
				 p ? p->summary : "custom persona",
				 "activities", activities, "users", users);
	else
		json_decref(activities);
	return ret;
}

int governance_role_list(struct store *st, json_t **out,
			 struct mlops_err *err)
{
	json_t *list = json_array(), *one;
	sqlite3_stmt *q = NULL;
	int ret = 0;

	for (const struct access_persona *p = access_personas;
	     ret == 0 && p->name; p++) {
		ret = governance_role_show(st, p->name, &one, err);
		if (ret == 0)
			json_array_append_new(list, one);
	}
	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT name FROM role_persona "
				    "ORDER BY name", err);
	while (ret == 0 && (ret = store_step(q, "cannot read personas",
					     err)) == 1) {
		ret = governance_role_show(st, (const char *)
					   sqlite3_column_text(q, 0), &one,
					   err);
		if (ret == 0)
			json_array_append_new(list, one);
	}
	sqlite3_finalize(q);
	if (ret < 0)
		json_decref(list);
	else
		*out = list;
	return ret;
}

int governance_role_whoami(struct store *st, json_t **out,
			   struct mlops_err *err)
{
	json_t *personas = NULL, *activities = json_array(), *p, *a, *one;
	char *user = identity_user();
	size_t i, j;
	int ret = access_in_use(st, err), enforced = ret == 1;

	if (ret >= 0)
		ret = access_user_personas(st, user, &personas, err);
	json_array_foreach(personas, i, p) {
		if (ret < 0)
			break;
		ret = access_persona_activities(st, json_string_value(p), &one,
						err);
		if (ret == MLOPS_ENOTFOUND) {
			ret = 0;	/* a grant outliving its persona */
			continue;
		}
		json_array_foreach(one, j, a) {
			size_t k;
			json_t *b;
			int seen = 0;

			json_array_foreach(activities, k, b)
				seen |= json_equal(a, b);
			if (!seen)
				json_array_append(activities, a);
		}
		json_decref(one);
	}
	if (ret >= 0) {
		*out = json_pack("{s:s,s:o,s:o,s:b}", "user", user, "personas",
				 personas, "activities", activities,
				 "enforced", enforced);
		if (!*out)
			ret = mlops_err_set(err, MLOPS_EINPUT, "the acting "
					    "user is not valid UTF-8 (see "
					    "$MLOPS_USER)");
	} else {
		json_decref(personas);
		json_decref(activities);
	}
	free(user);
	return ret < 0 ? ret : 0;
}
