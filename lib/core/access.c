/* access.c - activities, built-in personas, the action -> activity map and
 * the access check; see access.h. The map is the one place that says
 * what each verb needs: `mlops role map` prints it and mlops(1) lists it
 * verb by verb (tests/cli/t5021 fails when a verb is missing there). */
#include <string.h>

#include "core/access.h"
#include "core/buf.h"
#include "core/identity.h"
#include "core/xalloc.h"

const struct access_activity access_activities[] = {
	{ "card.edit", "create and edit model cards, change a card's status" },
	{ "deploy.invoke", "call an endpoint with an API key bound to a "
	  "persona" },
	{ "deploy.manage", "create, update, roll back and delete endpoints; "
	  "API keys and key policy" },
	{ "deploy.serve", "run the gateway (which ends shadow tests when "
	  "their budget is spent)" },
	{ "event.manage", "put events, manage event rules" },
	{ "feature.ingest", "ingest and delete feature records" },
	{ "feature.manage", "create and drop feature groups" },
	{ "feature.read", "read features (get, dataset, export); reads are "
	  "not checked" },
	{ "monitor.manage", "register baselines, create and remove "
	  "monitoring schedules" },
	{ "monitor.run", "run the monitoring schedules that are due" },
	{ "object.write", "store blobs (mlops object put)" },
	{ "pipeline.hook", "install and remove the pipeline git hook" },
	{ "pipeline.run", "run, retry and cancel pipelines" },
	{ "registry.approve", "approve and reject model versions, set their "
	  "status and aliases" },
	{ "registry.register", "create model groups, register and import "
	  "model versions" },
	{ "shadow.manage", "start, stop, promote and replay shadow tests" },
	{ ACCESS_ADMIN, "grant and revoke personas, define personas, change "
	  "settings, gc" },
	{ NULL, NULL }
};

static const char *const data_scientist[] = {
	"card.edit", "feature.ingest", "feature.manage", "feature.read",
	"object.write", "pipeline.hook", "pipeline.run", "registry.register",
	NULL
};
static const char *const mlops_engineer[] = {
	"card.edit", "deploy.invoke", "deploy.manage", "deploy.serve",
	"event.manage", "feature.ingest", "feature.manage", "feature.read",
	"monitor.manage", "monitor.run", "object.write", "pipeline.hook",
	"pipeline.run", "registry.approve", "registry.register",
	"shadow.manage", NULL
};
static const char *const service[] = {
	"card.edit", "deploy.invoke", "deploy.serve", "feature.ingest",
	"feature.read", "monitor.run", "object.write", "pipeline.run",
	"registry.register", NULL
};
static const char *const admin[] = { ACCESS_ADMIN, NULL };

const struct access_persona access_personas[] = {
	{ "admin", "administers the store: grants, personas, settings",
	  admin },
	{ "data-scientist", "builds features, runs pipelines, registers "
	  "models and writes their cards; no approval, no deployment",
	  data_scientist },
	{ "mlops-engineer", "approves, deploys, monitors and shadows models; "
	  "manages event rules", mlops_engineer },
	{ "service", "what pipeline steps, cron and the gateway need",
	  service },
	{ NULL, NULL, NULL }
};

/* Which activity each action needs. A name ending in '.' is a family:
 * an action matches the longest family it starts with, unless it is
 * listed itself. */
static const struct {
	const char *action;
	const char *activity;
} action_map[] = {
	{ "config.", ACCESS_ADMIN },
	{ "deploy.", "deploy.manage" },
	{ "event.", "event.manage" },
	{ "capture.import", "feature.ingest" },
	{ "feature.create", "feature.manage" },
	{ "feature.dataset", "feature.read" },
	{ "feature.delete", "feature.ingest" },
	{ "feature.drop", "feature.manage" },
	{ "feature.import", "feature.ingest" },
	{ "feature.reindex", "feature.ingest" },
	{ "feature.ingest", "feature.ingest" },
	{ "monitor.", "monitor.manage" },
	{ "monitor.run-due", "monitor.run" },
	{ "object.put", "object.write" },
	{ "pipeline.cancel", "pipeline.run" },
	{ "pipeline.hook.", "pipeline.hook" },
	{ "pipeline.retry", "pipeline.run" },
	{ "pipeline.run", "pipeline.run" },
	{ "registry.alias.", "registry.approve" },
	{ "registry.approve", "registry.approve" },
	{ "registry.card.", "card.edit" },
	{ "registry.create", "registry.register" },
	{ "registry.import", "registry.register" },
	{ "registry.register", "registry.register" },
	{ "registry.reject", "registry.approve" },
	{ "registry.status", "registry.approve" },
	{ "remote.", ACCESS_ADMIN },
	{ "role.", ACCESS_ADMIN },
	{ "shadow.", "shadow.manage" },
	{ "shadow.complete", "deploy.serve" },
	{ "store.", ACCESS_ADMIN },
};

#define READS(verb) { verb, NULL, NULL, NULL, 0 }
const struct access_verb access_verbs[] = {
	{ "mlops init", "store.reinit", NULL, "an existing store, to set "
	  "its --env", 1 },
	{ "mlops object put", "object.put", NULL, NULL },
	READS("mlops object get"),
	READS("mlops object ls"),
	READS("mlops fsck"),
	{ "mlops gc", "store.gc", NULL, "not with --dry-run", 1 },
	READS("mlops config get"),
	{ "mlops config set", "config.set", NULL, NULL },
	{ "mlops config unset", "config.unset", NULL, NULL },
	READS("mlops config list"),
	READS("mlops audit log"),
	READS("mlops audit verify"),
	READS("mlops event log"),
	{ "mlops event put", "event.put", NULL, NULL },
	{ "mlops event rule add", "event.rule.add", NULL, NULL },
	READS("mlops event rule list"),
	READS("mlops event rule show"),
	{ "mlops event rule enable", "event.rule.enable", NULL, NULL },
	{ "mlops event rule disable", "event.rule.disable", NULL, NULL },
	{ "mlops event rule rm", "event.rule.rm", NULL, NULL },
	READS("mlops event test"),
	{ "mlops event dispatch", "event.deliver", NULL, "each delivery, "
	  "as the user who added the rule", 1 },
	READS("mlops event dead-letters"),
	{ "mlops event redrive", "event.redrive", NULL, NULL },
	{ "mlops remote add", "remote.add", NULL, NULL },
	READS("mlops remote list"),
	{ "mlops remote rm", "remote.rm", NULL, NULL },
	READS("mlops web"),
	{ "mlops sync", "registry.import", NULL, "in the receiving store, "
	  "as its acting user: a model is registry.import, features "
	  "feature.import and capture capture.import (feature.ingest)", 1 },
	READS("mlops plan"),
	{ "mlops apply", "feature.create", NULL, "each change as the verb "
	  "that makes it does: feature.manage, deploy.manage, "
	  "monitor.manage, event.manage, store.admin for grants and "
	  "remotes", 1 },
	READS("mlops export-stack"),
	READS("mlops role list"),
	READS("mlops role show"),
	{ "mlops role grant", "role.grant", NULL, NULL },
	{ "mlops role revoke", "role.revoke", NULL, NULL },
	READS("mlops role whoami"),
	{ "mlops role define", "role.define", NULL, NULL },
	READS("mlops role activities"),
	READS("mlops role verbs"),
	{ "mlops-deploy create", "deploy.create", NULL, NULL },
	{ "mlops-deploy update", "deploy.update", NULL, "--public, "
	  "--require-key: deploy.auth.*" },
	{ "mlops-deploy rollback", "deploy.rollback", NULL, NULL },
	{ "mlops-deploy delete", "deploy.delete", NULL, NULL },
	READS("mlops-deploy list"),
	READS("mlops-deploy describe"),
	{ "mlops-deploy key create", "deploy.key.create", NULL, NULL },
	READS("mlops-deploy key list"),
	{ "mlops-deploy key delete", "deploy.key.delete", NULL, NULL },
	{ "mlops-deploy serve", NULL, "deploy.serve", "when the gateway "
	  "ends a shadow test" },
	READS("mlops-deploy stop"),
	{ "mlops-deploy invoke", NULL, "deploy.invoke", "by the gateway, "
	  "for keys bound to a persona" },
	READS("mlops-deploy capture"),
	{ "mlops-feature create", "feature.create", NULL, NULL },
	READS("mlops-feature list"),
	READS("mlops-feature describe"),
	{ "mlops-feature drop", "feature.drop", NULL, NULL },
	{ "mlops-feature ingest", "feature.ingest", NULL, NULL },
	READS("mlops-feature get"),
	{ "mlops-feature delete", "feature.delete", NULL, NULL },
	READS("mlops-feature ddl"),
	{ "mlops-feature reindex", "feature.reindex", NULL, NULL },
	READS("mlops-feature export"),
	{ "mlops-feature dataset", "feature.dataset", NULL, "with -o, "
	  "which records the dataset for lineage", 1 },
	{ "mlops-monitor baseline", "monitor.baseline.register", NULL,
	  "with --register", 1 },
	READS("mlops-monitor check"),
	READS("mlops-monitor drift"),
	READS("mlops-monitor quality"),
	READS("mlops-monitor attribution"),
	{ "mlops-monitor schedule create", "monitor.schedule.create", NULL,
	  NULL },
	READS("mlops-monitor schedule list"),
	{ "mlops-monitor schedule rm", "monitor.schedule.rm", NULL, NULL },
	{ "mlops-monitor run-due", "monitor.run-due", NULL, NULL },
	READS("mlops-monitor executions"),
	READS("mlops-monitor show"),
	READS("mlops-monitor dashboard"),
	{ "mlops-pipeline run", "pipeline.run", NULL, NULL },
	READS("mlops-pipeline list"),
	READS("mlops-pipeline show"),
	READS("mlops-pipeline logs"),
	{ "mlops-pipeline retry", "pipeline.retry", NULL, NULL },
	{ "mlops-pipeline cancel", "pipeline.cancel", NULL, NULL },
	READS("mlops-pipeline validate"),
	READS("mlops-pipeline graph"),
	{ "mlops-pipeline hook install", "pipeline.hook.install", NULL,
	  NULL },
	{ "mlops-pipeline hook uninstall", "pipeline.hook.uninstall", NULL,
	  NULL },
	{ "mlops-registry create", "registry.create", NULL, NULL },
	READS("mlops-registry describe"),
	READS("mlops-registry list"),
	{ "mlops-registry register", "registry.register", NULL, NULL },
	READS("mlops-registry show"),
	READS("mlops-registry get"),
	READS("mlops-registry lineage"),
	READS("mlops-registry diff"),
	READS("mlops-registry latest"),
	{ "mlops-registry approve", "registry.approve", NULL, NULL },
	{ "mlops-registry reject", "registry.reject", NULL, NULL },
	READS("mlops-registry status"),
	{ "mlops-registry alias set", "registry.alias.set", NULL, NULL },
	{ "mlops-registry alias rm", "registry.alias.rm", NULL, NULL },
	READS("mlops-registry alias list"),
	READS("mlops-registry export"),
	{ "mlops-registry import", "registry.import", NULL, NULL },
	{ "mlops-registry card create", "registry.card.create", NULL, NULL },
	{ "mlops-registry card set", "registry.card.set", NULL, NULL },
	READS("mlops-registry card show"),
	{ "mlops-registry card status", "registry.card.status", NULL,
	  "when it sets a status", 1 },
	READS("mlops-registry card history"),
	READS("mlops-registry card export"),
	{ "mlops-shadow start", "shadow.start", NULL, NULL },
	READS("mlops-shadow list"),
	READS("mlops-shadow status"),
	{ "mlops-shadow stop", "shadow.stop", NULL, NULL },
	{ "mlops-shadow promote", "shadow.promote", NULL, NULL },
	{ "mlops-shadow replay", "shadow.replay", NULL, NULL },
	READS("mlops-shadow report"),
	{ NULL, NULL, NULL, NULL }
};

const struct access_verb *access_verb_find(const char *verb)
{
	for (const struct access_verb *v = access_verbs; v->verb; v++)
		if (strcmp(v->verb, verb) == 0)
			return v;
	return NULL;
}

const char *access_verb_activity(const struct access_verb *v)
{
	if (v->activity)
		return v->activity;
	return v->action ? access_activity_of(v->action) : NULL;
}

const char *access_activity_of(const char *action)
{
	const char *best = ACCESS_ADMIN;
	size_t best_len = 0;

	for (size_t i = 0; i < sizeof(action_map) / sizeof(*action_map);
	     i++) {
		const char *a = action_map[i].action;
		size_t n = strlen(a);

		if (a[n - 1] != '.') {
			if (strcmp(a, action) == 0)
				return action_map[i].activity;
		} else if (n > best_len && strncmp(a, action, n) == 0) {
			best = action_map[i].activity;
			best_len = n;
		}
	}
	return best;
}

int access_activity_valid(const char *name)
{
	for (const struct access_activity *a = access_activities; a->name;
	     a++)
		if (strcmp(a->name, name) == 0)
			return 1;
	return 0;
}

const struct access_persona *access_builtin(const char *name)
{
	for (const struct access_persona *p = access_personas; p->name; p++)
		if (strcmp(p->name, name) == 0)
			return p;
	return NULL;
}

int access_in_use(struct store *st, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT EXISTS (SELECT 1 FROM "
				"role_grant)", err);

	if (ret == 0)
		ret = store_step(q, "cannot read grants", err);
	if (ret == 1)
		ret = sqlite3_column_int(q, 0) != 0;
	sqlite3_finalize(q);
	return ret;
}

/* Collect the first column of q (bound by the caller) into a new array. */
static int column_strings(sqlite3_stmt *q, const char *what, json_t **out,
			  struct mlops_err *err)
{
	json_t *list = json_array();
	int ret;

	while ((ret = store_step(q, what, err)) == 1)
		json_array_append_new(list, json_string((const char *)
					sqlite3_column_text(q, 0)));
	if (ret < 0) {
		json_decref(list);
		return ret;
	}
	*out = list;
	return 0;
}

int access_persona_activities(struct store *st, const char *persona,
			      json_t **out, struct mlops_err *err)
{
	const struct access_persona *p = access_builtin(persona);
	sqlite3_stmt *q = NULL;
	json_t *list = NULL;
	int ret;

	if (p) {
		list = json_array();
		for (const char *const *a = p->activities; *a; a++)
			json_array_append_new(list, json_string(*a));
		*out = list;
		return 0;
	}
	ret = store_prepare(st, &q, "SELECT 1 FROM role_persona WHERE name "
			    "= ?1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, persona, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot read personas", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "no persona '%s' "
				     "(see 'mlops role list')", persona);
	if (ret < 0)
		return ret;
	ret = store_prepare(st, &q, "SELECT activity FROM role_activity "
			    "WHERE persona = ?1 ORDER BY activity", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, persona, -1, SQLITE_STATIC);
		ret = column_strings(q, "cannot read a persona's activities",
				     out, err);
	}
	sqlite3_finalize(q);
	return ret;
}

static int holds(const json_t *activities, const char *activity)
{
	size_t i;
	json_t *a;

	json_array_foreach(activities, i, a)
		if (strcmp(json_string_value(a), activity) == 0)
			return 1;
	return 0;
}

int access_persona_has(struct store *st, const char *persona,
		       const char *activity, struct mlops_err *err)
{
	json_t *activities;
	int ret = access_persona_activities(st, persona, &activities, err);

	if (ret == MLOPS_ENOTFOUND) {
		*err = (struct mlops_err)MLOPS_ERR_INIT;
		return 0;
	}
	if (ret < 0)
		return ret;
	ret = holds(activities, activity);
	json_decref(activities);
	return ret;
}

int access_user_personas(struct store *st, const char *user, json_t **out,
			 struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT persona FROM role_grant "
				"WHERE user = ?1 ORDER BY persona", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, user, -1, SQLITE_STATIC);
		ret = column_strings(q, "cannot read grants", out, err);
	}
	sqlite3_finalize(q);
	return ret;
}

/* The personas that hold activity, built-in ones first, as "a, b". */
static int holders(struct store *st, const char *activity, struct buf *out,
		   struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret;

	for (const struct access_persona *p = access_personas; p->name; p++)
		for (const char *const *a = p->activities; *a; a++)
			if (strcmp(*a, activity) == 0)
				buf_addf(out, "%s%s", out->len ? ", " : "",
					 p->name);
	ret = store_prepare(st, &q, "SELECT persona FROM role_activity WHERE "
			    "activity = ?1 ORDER BY persona", err);
	if (ret == 0)
		sqlite3_bind_text(q, 1, activity, -1, SQLITE_STATIC);
	while (ret == 0 && (ret = store_step(q, "cannot read personas",
					     err)) == 1) {
		buf_addf(out, "%s%s", out->len ? ", " : "",
			 (const char *)sqlite3_column_text(q, 0));
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

int access_check(struct store *st, const char *action, const char *resource,
		 struct mlops_err *err)
{
	const char *activity = access_activity_of(action);
	struct buf names = BUF_INIT, who = BUF_INIT;
	json_t *personas = NULL, *p;
	char *user = NULL;
	size_t i;
	int ret = access_in_use(st, err);

	free(st->persona);
	st->persona = NULL;
	if (ret <= 0)
		return ret;
	user = identity_user();
	ret = access_user_personas(st, user, &personas, err);
	json_array_foreach(personas, i, p) {
		const char *name = json_string_value(p);

		if (ret == 0 && !st->persona) {
			ret = access_persona_has(st, name, activity, err);
			if (ret == 1)
				st->persona = xstrdup(name);
			ret = ret < 0 ? ret : 0;
		}
		buf_addf(&names, "%s%s", names.len ? "," : "", name);
	}
	if (ret < 0 || st->persona)
		goto out;
	ret = holders(st, activity, &who, err);
	if (ret < 0)
		goto out;
	if (names.len)
		st->persona = xstrdup(names.s);
	ret = mlops_err_set(err, MLOPS_EPERM, "permission denied: %s (%s%s) "
			    "may not %s '%s': that needs the activity '%s', "
			    "held by %s", user,
			    names.len ? "persona " : "no persona",
			    names.s, action, resource ? resource : "",
			    activity, who.len ? who.s : "no persona");
out:
	json_decref(personas);
	buf_release(&names);
	buf_release(&who);
	free(user);
	return ret;
}
