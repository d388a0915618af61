/* governance.h - the governance domain: event rules and their dispatch,
 * role personas and grants, environments and replication (issue 15). */
#ifndef MLOPS_GOVERNANCE_H
#define MLOPS_GOVERNANCE_H
#include <stddef.h>

#include <jansson.h>

#include "core/err.h"
#include "core/store.h"

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
