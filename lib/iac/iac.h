/* iac.h - infrastructure as code: a YAML stack file (man 5 mlops-stack)
 * declares the feature groups, endpoints, monitoring schedules, event
 * rules, role grants and remotes a store should hold; iac_plan compares it with the store, iac_apply makes the
 * store match through each owning domain's library functions (so the
 * same validation, audit records and events as their programs), and
 * iac_export describes a store as a stack.
 *
 * Every resource is described by its settings as one JSON object in a
 * canonical form (durations as "60s", a model as "GROUP/N"), so that
 * plans, diffs and exports are one comparison of two objects.
 *
 * The public header of lib/iac (it uses feature, deploy, monitor and
 * governance). */
#ifndef MLOPS_IAC_H
#define MLOPS_IAC_H
#include <stddef.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"

/* The kinds, in the order apply creates them (and deletes them in
 * reverse): a schedule names an endpoint, an endpoint may serve what a
 * group fed. */
enum iac_kind {
	IAC_FEATURE_GROUP, IAC_ENDPOINT, IAC_SCHEDULE, IAC_RULE, IAC_GRANT,
	IAC_REMOTE, IAC_NKINDS
};

/* "feature_group", "endpoint", "schedule", "rule", "grant", "remote". */
const char *iac_kind_name(enum iac_kind k);

struct iac_resource {
	enum iac_kind kind;
	char *name;
	json_t *settings;	/* canonical; owned */
	char *where;		/* "FILE:LINE:COL" of its entry, or NULL */
	struct feature_group *group;	/* IAC_FEATURE_GROUP: owned */
	char *model;		/* IAC_ENDPOINT: the reference as written */
	int allow_unapproved;	/* IAC_ENDPOINT */
};

/* stack.c: a stack file loaded, its includes and the overlay of one
 * environment merged, and every entry validated. */
struct iac_stack {
	char *environment;	/* the overlay applied, or NULL */
	size_t n;
	struct iac_resource *res;	/* sorted by kind, then name */
};

/* Load the stack at path. env selects the overlay (overlays.ENV); NULL
 * takes the stack's environment key, else st_env (the store's). Errors
 * are MLOPS_EINPUT "FILE:LINE:COL: why" for an unknown key, a missing or
 * unreadable included file, or an invalid setting; nothing is read from
 * a store. The caller frees *out with iac_stack_free. */
int iac_stack_load(struct iac_stack **out, const char *path,
		   const char *env, const char *st_env, struct mlops_err *err);
void iac_stack_free(struct iac_stack *s);

/* The settings of a group as a stack describes it (the keys of its YAML
 * definition, without the name); the caller decrefs. */
json_t *iac_stack_group_settings(const struct feature_group *g);
/* A duration in microseconds as the largest unit that divides it
 * ("2h", "90s", "1500ms"); the caller frees. */
char *iac_stack_duration(int64_t us);

/* iac.c: plans, applies and exports. */

enum iac_action { IAC_CREATE, IAC_UPDATE, IAC_DELETE };
enum iac_state { IAC_PENDING, IAC_DONE, IAC_FAILED };

struct iac_change {
	enum iac_action action;
	enum iac_kind kind;
	char *name;
	/* Each changed setting: {KEY: [OLD, NEW]} (null for absent); for a
	 * create or a delete, every setting against null. Owned. */
	json_t *diff;
	/* An update of a group, a schedule, a remote or a rule (beyond
	 * enabling it) replaces it (drop, create). */
	int replace;
	/* Why the change loses data (a group with records, an endpoint
	 * that served in the last hour, a schedule with executions, a rule
	 * with dead letters or pending deliveries), or NULL when it does
	 * not. */
	char *loss;
	const struct iac_resource *want;	/* borrowed; NULL: delete */
	enum iac_state state;
};

struct iac_plan {
	size_t n;
	struct iac_change *changes;	/* in the order apply makes them */
	size_t ncreate, nupdate, ndelete, nloss;
};

/* Compare stack with the store: what to create and update, and, with
 * prune, what to delete (resources of the store the stack does not
 * name; otherwise they are left alone). Model references are resolved
 * through the registry and pass the approval gate here, so a stack that
 * names a missing or unapproved version fails before anything changes.
 * The caller frees *out with iac_plan_free. */
int iac_plan(struct iac_plan **out, struct store *st,
	     const struct iac_stack *stack, int prune, struct mlops_err *err);
void iac_plan_free(struct iac_plan *p);

/* Make the plan's changes in order, each through its domain's library,
 * marking each IAC_DONE or IAC_FAILED. Stops at the first error (its
 * code returned, err naming the resource); what is left stays
 * IAC_PENDING, and a new plan and apply continue from there. */
int iac_apply(struct store *st, struct iac_plan *plan, struct mlops_err *err);

/* The plan as JSON: {"changes": [{action, kind, name, settings: {KEY:
 * {old, new}}, replace, loses_data, state}], "create", "update",
 * "delete"}. The caller decrefs. */
json_t *iac_plan_json(const struct iac_plan *p);

/* Append a stack file (YAML) describing every feature group, endpoint
 * and schedule of the store to out. */
int iac_export(struct store *st, struct buf *out, struct mlops_err *err);

#endif
