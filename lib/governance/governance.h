/* governance.h - what ties the stores and their users together: event
 * rules and their dispatch, role personas, and environments (one store
 * each) with the replication of models, features and captured data
 * between them.
 *
 * The public header of lib/governance: cmd/ and tests include this one.
 * Each part keeps its declarations in its own block below. */
#ifndef MLOPS_GOVERNANCE_H
#define MLOPS_GOVERNANCE_H
#include <signal.h>
#include <stdint.h>
#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "core/store.h"

/* ---- remote.c, sync.c: environments and replication ----
 *
 * An environment (an "account" of the reference architecture) is a
 * store. A remote is another store this one knows by name, kept in the
 * remote table; `mlops sync` copies one item - a model version, a
 * feature group's data, an endpoint's captured data - from one store to
 * the other. Every sync is idempotent and incremental: what the
 * receiver holds already (same name, same hashes) is never copied
 * again, and a sync killed at any point leaves the receiver as it was
 * or with whole items, so running it again finishes the job. The
 * receiver audits each item it takes in as an import by its acting
 * user, the sender's audit records about the item in the detail. */

struct governance_remote {
	char *name;
	char *path;		/* the remote's .mlops directory, absolute */
	char *env;		/* its environment, from its config.yaml, or
				 * NULL when that cannot be read (gone) */
	char *added_by;
	int64_t added_us;
};

/* 1 when name may name a remote: as an environment name. */
int governance_remote_valid_name(const char *name);

/* Add remote name for the store at path (a directory holding .mlops or
 * the .mlops directory). MLOPS_EUSAGE for a bad name or a path that is
 * this store itself; MLOPS_ENOTFOUND when path is no store, or when the
 * name is taken. Audited as "remote.add". */
int governance_remote_add(struct store *st, const char *name,
			  const char *path, struct mlops_err *err);

/* Remove remote name; MLOPS_ENOTFOUND when there is none. Audited as
 * "remote.rm". */
int governance_remote_rm(struct store *st, const char *name,
			 struct mlops_err *err);

/* Every remote, by name: an array of *n, freed with
 * governance_remote_list_free. */
int governance_remote_list(struct store *st, struct governance_remote **out,
			   size_t *n, struct mlops_err *err);
void governance_remote_list_free(struct governance_remote *rs, size_t n);

/* Open the store that remote names: a remote's name, else (when it holds
 * a '/') a path. MLOPS_ENOTFOUND for an unknown remote or a path that
 * holds no store (any more), MLOPS_EUSAGE when it is st itself. The
 * caller closes *out. */
int governance_remote_open(struct store *st, const char *remote,
			   struct store **out, struct mlops_err *err);

/* The event a capture sync emits at the receiver, from this source. */
#define GOVERNANCE_SYNC_EVENT_SOURCE "mlops.sync"
#define GOVERNANCE_SYNC_CAPTURE_EVENT "Captured Data Imported"

/* What a sync did. */
struct governance_sync_result {
	int64_t copied;		/* items (versions, files, records) copied */
	int64_t present;	/* items the receiver held already */
	uint64_t bytes;		/* bytes copied */
	int64_t records;	/* feature: online records applied */
	int64_t aliases;	/* model: aliases set on the receiver */
	int64_t card_revisions;	/* model: card revisions added later */
	int64_t baselines;	/* model: monitoring baseline attached (1)
				 * where the receiver had none */
	int card_diverged;	/* model: the receiver's card has revisions
				 * of its own, so it was left alone */
	char *item;		/* what was synced, "churn/3" (the caller
				 * frees with governance_sync_result_release) */
};
void governance_sync_result_release(struct governance_sync_result *r);

/* The kinds of item a sync copies. */
enum governance_sync_kind {
	GOVERNANCE_SYNC_MODEL,		/* GROUP/N, GROUP@ALIAS or GROUP */
	GOVERNANCE_SYNC_FEATURES,	/* a feature group */
	GOVERNANCE_SYNC_CAPTURE		/* an endpoint's captured data */
};

/* Parse "model", "features" or "capture" into *out: 0, or -1. */
int governance_sync_kind_parse(const char *s, enum governance_sync_kind *out);

/* Copy item of kind from the store from to the store to. since_us
 * (INT64_MIN: everything) limits features to what was written since,
 * and capture to the hours that end after it. A model that does not
 * exist is MLOPS_ENOTFOUND, one that exists at the receiver with other
 * content MLOPS_ENOTFOUND (a conflict), as is a feature group defined
 * otherwise there. to->progress is told the bytes copied. */
int governance_sync_run(struct store *from, struct store *to,
			enum governance_sync_kind kind, const char *item,
			int64_t since_us, struct governance_sync_result *res,
			struct mlops_err *err);

/* ---- end of environments and replication ---- */

/* ---- event rules: patterns, rules, dispatch (pattern.c, rule.c,
 * dispatch.c); mlops-rules(5) documents the formats ---- */

/* Parse text (name for messages, "name:line:col: why") as an event
 * pattern and check it (governance_pattern_check). The caller owns *out. */
int governance_pattern_parse(json_t **out, const char *text, size_t len,
			     const char *name, struct mlops_err *err);
/* Check a pattern with EventBridge's rules: an object whose fields are
 * objects (nested patterns) or non-empty arrays of values and operators
 * (prefix, suffix, anything-but, numeric, exists, equals-ignore-case,
 * wildcard), and "$or" arrays of patterns. MLOPS_EINPUT naming the JSON
 * path of the first fault ("name: detail.state[0]: ..."). */
int governance_pattern_check(const json_t *pattern, const char *name,
			     struct mlops_err *err);
/* 1 when the checked pattern matches the event, else 0. */
int governance_pattern_match(const json_t *pattern, const json_t *event);

struct governance_rule {
	char *name;
	json_t *pattern;	/* checked */
	char *target;		/* a shell command */
	int64_t retries;	/* runs after a failed first one */
	int64_t backoff_us;	/* before the first retry; doubles */
	int enabled;
	char *description;	/* or NULL */
	char *origin;		/* the --from file, or NULL */
	char *created_by;	/* set by governance_rule_add */
	int64_t created_us;
};
#define GOVERNANCE_RULE_RETRIES 3
#define GOVERNANCE_RULE_BACKOFF_US (2 * INT64_C(1000000))

/* A rule with the defaults: enabled, 3 retries, 2 s backoff. */
void governance_rule_init(struct governance_rule *r);
void governance_rule_release(struct governance_rule *r);
/* Read a rule file (YAML: description, pattern, target, retries,
 * backoff, enabled) into r, keeping what the file leaves out. path is
 * tried as given, with ".yaml", and for a bare NAME in the installed
 * share/rules. r->origin gets the file found. */
int governance_rule_load(struct governance_rule *r, const char *path,
			 struct mlops_err *err);
/* Add rule r (its name: [A-Za-z0-9][A-Za-z0-9._-]{0,63}); a name that
 * exists is MLOPS_ENOTFOUND. Audited as "event.rule.add". */
int governance_rule_add(struct store *st, const struct governance_rule *r,
			struct mlops_err *err);
/* The rules, by name, as JSON objects (the caller decrefs *out). */
int governance_rule_list(struct store *st, json_t **out,
			 struct mlops_err *err);
/* One rule as a JSON object; MLOPS_ENOTFOUND when there is none. */
int governance_rule_show(struct store *st, const char *name, json_t **out,
			 struct mlops_err *err);
/* Enable or disable a rule (audited "event.rule.enable"/".disable"); an
 * enabled rule sees the events recorded after it was enabled. */
int governance_rule_set_enabled(struct store *st, const char *name,
				int enabled, struct mlops_err *err);
/* Remove a rule and its deliveries (audited "event.rule.rm"). */
int governance_rule_rm(struct store *st, const char *name,
		       struct mlops_err *err);

struct governance_dispatch_opts {
	int follow;	/* keep running, waiting for new events */
	int coalesce;	/* a background pass (governance_dispatch_run) */
	/* Stop (after the delivery under way) once *stop is set. */
	volatile sig_atomic_t *stop;
	/* Called with each delivery's outcome: {id, seq, event, rule,
	 * outcome ("delivered", "retry", "dead"), attempts, seconds,
	 * reason}. Borrowed; may be NULL. */
	void (*report)(const json_t *outcome, void *arg);
	void *arg;
};

/* Match the events recorded since the last pass against the enabled
 * rules and run each matching rule's target (sh -c TARGET) with the
 * event on stdin and MLOPS_EVENT_* in its environment, retrying a
 * failing target with doubling backoff and then moving the delivery to
 * the dead-letter list. Returns when nothing is left to run, or with
 * follow, when *stop is set. Progress is committed per delivery; each
 * running delivery holds a lock, so dispatchers may overlap and a
 * delivery whose dispatcher died runs again. With coalesce, at most one
 * such pass runs and one waits; a third exits at once, since the one
 * waiting will see its events. */
int governance_dispatch_run(struct store *st,
			    const struct governance_dispatch_opts *o,
			    struct mlops_err *err);
/* The dead-letter list, oldest first: JSON objects {id, seq, event,
 * rule, attempts, reason, ended} (the caller decrefs *out). */
int governance_dispatch_dead_letters(struct store *st, json_t **out,
				     struct mlops_err *err);
/* Put dead delivery id back to be delivered by the next pass, with its
 * attempts reset (audited "event.redrive"). MLOPS_ENOTFOUND when id is
 * not a dead letter. */
int governance_dispatch_redrive(struct store *st, int64_t id,
				struct mlops_err *err);
/* Replace each ${PATH} in target (PATH: dotted fields of the envelope,
 * "detail.model.name", array items by index) by the value there, quoted
 * for sh; "$${" is a literal "${", and ${X} where X is not a field of
 * the envelope (version, id, detail-type, source, account, time, region,
 * resources, detail) is left to the shell. *out is the caller's.
 * MLOPS_EINPUT naming a field the event lacks. */
int governance_dispatch_expand(char **out, const char *target,
			       const json_t *event, struct mlops_err *err);

/* ---- end of event rules ---- */

/* --- Roles (role.c): personas, grants, `mlops role` ---------------------
 * The activities and the built-in personas are core's (core/access.h),
 * as is the check every change makes. These manage the store's custom
 * personas and its grants; each is a change audited as role.grant,
 * role.revoke or role.define, which needs store.admin once grants exist.
 * No change may leave grants without anyone holding store.admin: the
 * first grant of a store must give a persona that holds it (such as the
 * built-in "admin"), and the grant of the last store.admin goes only
 * once it is the only grant left (which opens the store again). Such a change is
 * MLOPS_ENOTFOUND (a conflicting state), saying what to do instead. */

/* Grant persona to user. 0, or 1 when user held it already (nothing
 * changes); MLOPS_ENOTFOUND for an unknown persona. */
int governance_role_grant(struct store *st, const char *user,
			  const char *persona, struct mlops_err *err);
/* Revoke persona from user, or every persona of user when persona is
 * NULL; MLOPS_ENOTFOUND when user did not hold it (or any). */
int governance_role_revoke(struct store *st, const char *user,
			   const char *persona, struct mlops_err *err);
/* Make or redefine the custom persona name with the n activities
 * (n may be 0: a persona that may change nothing). MLOPS_EINPUT for a
 * bad name or an unknown activity, MLOPS_ENOTFOUND for a built-in
 * name. */
int governance_role_define(struct store *st, const char *name,
			   const char *const *activities, size_t n,
			   struct mlops_err *err);
/* One persona as a new object {name, builtin, summary, activities[],
 * users[]}; MLOPS_ENOTFOUND when there is none. */
int governance_role_show(struct store *st, const char *name, json_t **out,
			 struct mlops_err *err);
/* Every persona, built-in ones first, as a new array of the objects
 * governance_role_show() makes. */
int governance_role_list(struct store *st, json_t **out,
			 struct mlops_err *err);
/* The acting user as a new object {user, personas[], activities[],
 * enforced}: enforced is false while the store has no grant (everything
 * is allowed then). */
int governance_role_whoami(struct store *st, json_t **out,
			   struct mlops_err *err);
/* --- end of roles --- */

#endif
