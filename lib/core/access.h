/* access.h - who may change what: the ML activities, the built-in
 * personas that group them (after SageMaker Role Manager), which activity
 * each audited action needs, and the check that audit_intend() makes
 * before every change.
 *
 * A store with no grant allows everything, as a laptop should; once a
 * grant exists (`mlops role grant`), an action is allowed when one of the
 * acting user's personas holds the activity the action needs. Because
 * the check sits in audit_intend(), every library function that changes
 * the store makes it, whatever called it (a command, a pipeline step, an
 * event rule's target). The tables are the store's role_* tables
 * (share/sql/0012-roles.sql); managing them is lib/governance's job. */
#ifndef MLOPS_ACCESS_H
#define MLOPS_ACCESS_H
#include <jansson.h>

#include "core/err.h"
#include "core/store.h"

#define ACCESS_ADMIN "store.admin"

struct access_activity {
	const char *name;	/* "registry.approve" */
	const char *summary;	/* one line for `mlops role list` */
};

struct access_persona {
	const char *name;	/* "data-scientist" */
	const char *summary;
	const char *const *activities;	/* NULL-terminated */
};

/* Every activity, and the built-in personas; each ends with a NULL
 * name. */
extern const struct access_activity access_activities[];
extern const struct access_persona access_personas[];

/* Every verb of every program ("mlops-registry approve"): the action it
 * audits when it changes the store, the activity that checks it, and a
 * note when that holds only sometimes ("with --register"). action and
 * activity NULL: the verb changes nothing. activity NULL with an action:
 * access_activity_of(action). The list ends with a NULL verb; `mlops
 * role verbs` prints it and a test fails when a verb is missing. */
struct access_verb {
	const char *verb;
	const char *action;
	const char *activity;
	const char *note;
	int sometimes;		/* it changes the store only as note says */
};
extern const struct access_verb access_verbs[];

/* The entry of verb ("mlops-deploy key create"), or NULL. */
const struct access_verb *access_verb_find(const char *verb);
/* The activity verb's entry names, or NULL for a verb that changes
 * nothing. */
const char *access_verb_activity(const struct access_verb *v);

/* The activity the audited action needs ("registry.approve" for
 * "registry.approve", "deploy.manage" for "deploy.update"); store.admin
 * for an action that has none, so that a verb nobody mapped is refused
 * to all but administrators rather than allowed. Never NULL. */
const char *access_activity_of(const char *action);
/* 1 when name is an activity, else 0. */
int access_activity_valid(const char *name);
/* The built-in persona name, or NULL. */
const struct access_persona *access_builtin(const char *name);

/* 1 when the store holds at least one grant (roles are in use), 0 when
 * none, or a negative code. */
int access_in_use(struct store *st, struct mlops_err *err);

/* The activities of persona, built-in or custom, as a new JSON array of
 * strings, sorted; MLOPS_ENOTFOUND when there is no such persona. */
int access_persona_activities(struct store *st, const char *persona,
			      json_t **out, struct mlops_err *err);
/* 1 when persona holds activity, 0 when not (or when there is no such
 * persona), or a negative code. */
int access_persona_has(struct store *st, const char *persona,
		       const char *activity, struct mlops_err *err);
/* The personas granted to user, as a new JSON array of strings, sorted
 * (empty when none). */
int access_user_personas(struct store *st, const char *user, json_t **out,
			 struct mlops_err *err);

/* May the acting user (identity_user()) do action to resource? 0 when
 * allowed: st->persona becomes the persona whose activity allows it (the
 * first by name), or NULL when the store has no grant. MLOPS_EPERM when
 * not, with err saying who, what and which activity is missing, and
 * st->persona the user's personas joined by ',' (NULL when none), for
 * the record of the refusal. audit_intend() calls it; a library function
 * that audits without declaring (gc) calls it before it changes
 * anything. */
int access_check(struct store *st, const char *action, const char *resource,
		 struct mlops_err *err);

#endif
