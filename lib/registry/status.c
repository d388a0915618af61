/* status.c - the approval status of model versions, its
 * append-only history with the "Model Package State Change" events, and
 * aliases (champion, staging) that name a version of a group. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/event.h"
#include "core/identity.h"
#include "registry/internal.h"
#include "core/time.h"
#include "core/xalloc.h"

int registry_status_record(struct store *st, const char *group,
			   int64_t version, const char *previous,
			   const char *status, const char *user,
			   int64_t time_us, const char *note, json_t *extra,
			   struct mlops_err *err)
{
	json_t *detail, *resources;
	sqlite3_stmt *q = NULL;
	char *arn;
	int ret = store_prepare(st, &q, "INSERT INTO registry_status_change "
				"(grp, version, previous, status, user, "
				"time_us, note) VALUES (?1, ?2, ?3, ?4, ?5, "
				"?6, ?7)", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	sqlite3_bind_text(q, 3, previous, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, time_us);
	sqlite3_bind_text(q, 7, note, -1, SQLITE_STATIC);
	ret = store_step_done(q, "cannot record the status change", err);
	sqlite3_finalize(q);
	if (ret < 0)
		return ret;
	/* The detail carries both our short names and SageMaker's, so that
	 * rules written for either match. */
	arn = xasprintf("model-package/%s/%" PRId64, group, version);
	detail = json_pack("{s:s,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s}",
			   "group", group, "version", (json_int_t)version,
			   "status", status, "user", user,
			   "modelPackageArn", arn,
			   "ModelApprovalStatus", status,
			   "ModelPackageGroupName", group,
			   "ModelPackageVersion", (json_int_t)version,
			   "event", previous ? "status-change" : "register");
	json_object_set_new(detail, "previousStatus", previous ?
			    json_string(previous) : json_null());
	json_object_set_new(detail, "note", note ? json_string(note) :
			    json_null());
	if (extra)
		json_object_update(detail, extra);
	resources = json_pack("[s]", arn);
	ret = event_emit(st, REGISTRY_EVENT_SOURCE, REGISTRY_EVENT_TYPE,
			 resources, detail, NULL, err);
	json_decref(resources);
	json_decref(detail);
	free(arn);
	return ret;
}

static int set_status_txn(struct store *st, const char *group,
			  int64_t version, const char *status,
			  const char *note, char **previous,
			  struct mlops_err *err)
{
	char *old = NULL, *user = NULL;
	sqlite3_stmt *q = NULL;
	int ret;

	if (!registry_valid_status(status))
		return mlops_err_set(err, MLOPS_EUSAGE, "unknown status '%s' "
				     "(PendingManualApproval, Approved or "
				     "Rejected)", status);
	ret = store_begin(st, err);
	if (ret == 0)
		ret = registry_version_status(st, group, version, &old, err);
	if (ret < 0)
		goto out;
	if (strcmp(old, status) == 0) {
		ret = 1;
		goto out;
	}
	user = identity_user();
	ret = store_prepare(st, &q, "UPDATE registry_version SET status = ?3 "
			    "WHERE grp = ?1 AND version = ?2", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, version);
		sqlite3_bind_text(q, 3, status, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot change the status", err);
	}
	if (ret == 0)
		ret = registry_status_record(st, group, version, old, status,
					     user, time_now_us(), note, NULL,
					     err);
	if (ret == 0)
		ret = store_commit(st, err);
out:
	if (ret != 0)
		store_rollback(st);
	if (ret >= 0 && previous) {
		*previous = old;
		old = NULL;
	}
	sqlite3_finalize(q);
	free(old);
	free(user);
	return ret;
}

int registry_status_history(struct store *st, const char *group,
			    int64_t version, json_t **out,
			    struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *history;
	int rc, ret = registry_version_status(st, group, version, NULL, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT previous, status, user, "
				    "time_us, note FROM registry_status_change "
				    "WHERE grp = ?1 AND version = ?2 ORDER BY "
				    "seq", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	history = json_array();
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char when[TIME_RFC3339_MAX];
		const char *prev = (const char *)sqlite3_column_text(q, 0);
		const char *note = (const char *)sqlite3_column_text(q, 4);
		json_t *row;

		time_format(sqlite3_column_int64(q, 3), when);
		row = json_pack("{s:s,s:s,s:s}",
				"status", sqlite3_column_text(q, 1),
				"user", sqlite3_column_text(q, 2),
				"time", when);
		json_object_set_new(row, "previous", prev ? json_string(prev) :
				    json_null());
		json_object_set_new(row, "note", note ? json_string(note) :
				    json_null());
		json_array_append_new(history, row);
	}
	if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "cannot read the status "
					"history", err);
		json_decref(history);
	} else {
		*out = history;
	}
	sqlite3_finalize(q);
	return ret;
}

/* ---- aliases ---- */

static int check_alias(const char *alias, struct mlops_err *err)
{
	if (!registry_valid_alias(alias))
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not a valid "
				     "alias (a letter, then letters, digits, "
				     "'_' or '-')", alias);
	return 0;
}

static int alias_set_txn(struct store *st, const char *group,
			 const char *alias, int64_t version,
			 struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char *user = NULL;
	int ret = check_alias(alias, err);

	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = registry_version_status(st, group, version, NULL, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT INTO registry_alias (grp, "
				    "alias, version, set_by, set_us) VALUES "
				    "(?1, ?2, ?3, ?4, ?5) ON CONFLICT (grp, "
				    "alias) DO UPDATE SET version = ?3, "
				    "set_by = ?4, set_us = ?5", err);
	if (ret == 0) {
		user = identity_user();
		sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, alias, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, version);
		sqlite3_bind_text(q, 4, user, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, time_now_us());
		ret = store_step_done(q, "cannot set the alias", err);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	free(user);
	return ret;
}

static int alias_rm_txn(struct store *st, const char *group,
			const char *alias, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = check_alias(alias, err);

	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = registry_group_exists(st, group, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "DELETE FROM registry_alias WHERE "
				    "grp = ?1 AND alias = ?2", err);
	if (ret < 0) {
		store_rollback(st);
		return ret;
	}
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, alias, -1, SQLITE_STATIC);
	ret = store_step_done(q, "cannot remove the alias", err);
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "alias '%s' is not "
				    "set in model group '%s'", alias, group);
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

int registry_status_alias_list(struct store *st, const char *group,
			       json_t **out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *list;
	int rc, ret = registry_group_exists(st, group, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT alias, version, set_by, "
				    "set_us FROM registry_alias WHERE grp = ?1 "
				    "ORDER BY alias", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	list = json_array();
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		char when[TIME_RFC3339_MAX];

		time_format(sqlite3_column_int64(q, 3), when);
		json_array_append_new(list, json_pack(
			"{s:s,s:I,s:s,s:s}", "alias", sqlite3_column_text(q, 0),
			"version", (json_int_t)sqlite3_column_int64(q, 1),
			"set_by", sqlite3_column_text(q, 2), "set", when));
	}
	if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "cannot read aliases", err);
		json_decref(list);
	} else {
		*out = list;
	}
	sqlite3_finalize(q);
	return ret;
}

/* The changes above, each audited here so that every caller records it
 * alike: declared before the change (the record commits with it), then
 * appended, or recorded as the failure where one is decided. */
int registry_status_set(struct store *st, const char *group, int64_t version,
			const char *status, const char *note,
			char **previous, struct mlops_err *err)
{
	const char *action = strcmp(status, REGISTRY_APPROVED) == 0 ?
		"registry.approve" : strcmp(status, REGISTRY_REJECTED) == 0 ?
		"registry.reject" : "registry.status";
	char *name = xasprintf("%s/%" PRId64, group, version), *old = NULL;
	struct audit_entry e = { action, name, "success", NULL };
	int ret = audit_intend(st, action, name, err);

	if (ret == 0)
		ret = set_status_txn(st, group, version, status, note, &old,
				     err);
	if (ret == 1) {
		audit_cancel(st);	/* already so */
	} else {
		if (ret == 0) {
			e.detail = json_pack("{s:s,s:s}", "previousStatus",
					     old, "status", status);
			if (note)
				json_object_set_new(e.detail, "note",
						    json_string(note));
		}
		ret = audit_done(st, ret, &e, err);
	}
	if (ret >= 0 && previous) {
		*previous = old;
		old = NULL;
	}
	json_decref(e.detail);
	free(old);
	free(name);
	return ret;
}

int registry_status_alias_set(struct store *st, const char *group,
		       const char *alias, int64_t version,
		       struct mlops_err *err)
{
	char *name = xasprintf("%s@%s", group, alias);
	struct audit_entry e = { "registry.alias.set", name, "success", NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = alias_set_txn(st, group, alias, version, err);
	ret = audit_done(st, ret, &e, err);
	free(name);
	return ret;
}

int registry_status_alias_rm(struct store *st, const char *group,
			     const char *alias, struct mlops_err *err)
{
	char *name = xasprintf("%s@%s", group, alias);
	struct audit_entry e = { "registry.alias.rm", name, "success", NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = alias_rm_txn(st, group, alias, err);
	ret = audit_done(st, ret, &e, err);
	free(name);
	return ret;
}
