/* card.c - storing model card revisions in registry_card; see
 * registry.h. Each change reads the latest revision and appends the
 * next inside one BEGIN IMMEDIATE transaction, so concurrent edits are
 * serialised and none is lost. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "registry/registry.h"
#include "registry/internal.h"
#include "core/time.h"
#include "core/xalloc.h"

#define CARD_COLUMNS \
	"SELECT revision, status, content, change, user, time_us " \
	"FROM registry_card WHERE grp = ?1 AND version = ?2 "

static json_t *revision_from_row(sqlite3_stmt *q)
{
	char when[TIME_RFC3339_MAX];

	time_format(sqlite3_column_int64(q, 5), when);
	return json_pack("{s:I,s:s,s:o,s:s,s:s,s:s}",
			 "revision", (json_int_t)sqlite3_column_int64(q, 0),
			 "status", sqlite3_column_text(q, 1),
			 "content", registry_column_json(q, 2),
			 "change", sqlite3_column_text(q, 3),
			 "user", sqlite3_column_text(q, 4),
			 "time", when);
}

static int no_card(const char *group, int64_t version, int64_t revision,
		   struct mlops_err *err)
{
	if (revision)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "the card of %s/%"
				     PRId64 " has no revision %" PRId64, group,
				     version, revision);
	return mlops_err_set(err, MLOPS_ENOTFOUND, "%s/%" PRId64 " has no "
			     "model card (make one with 'mlops-registry card "
			     "create %s/%" PRId64 "')", group, version, group,
			     version);
}

/* The approval fields of a card follow the version's status as it is
 * now, whichever revision is read: a card written before the version was
 * approved or rejected must not show the status it had then. So does the
 * link to the monitoring baseline, often registered after the card. */
int registry_card_get(struct store *st, const char *group, int64_t version,
		      int64_t revision, json_t **out, struct mlops_err *err)
{
	struct registry_version *mv = NULL;
	sqlite3_stmt *q = NULL;
	json_t *approvals = NULL, *approved, *baseline = NULL;
	int ret = registry_version_get(st, group, version, &mv, err);

	/* Approved where, by whom: an import approves nothing. */
	if (ret == 0)
		ret = registry_approvals(st, mv, &approvals, err);
	if (ret == 0)
		ret = registry_baseline_get(st, group, version, &baseline,
					    err);
	if (ret == 0)
		ret = store_prepare(st, &q, CARD_COLUMNS "AND (?3 = 0 OR "
				    "revision = ?3) ORDER BY revision DESC "
				    "LIMIT 1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, version);
		sqlite3_bind_int64(q, 3, revision);
		ret = registry_step(st, q, "model cards", err);
	}
	if (ret == 1) {
		*out = revision_from_row(q);
		approved = registry_approvals_latest(approvals);
		registry_modelcard_set_approval(
			json_object_get(*out, "content"), mv->status, approved);
		json_decref(approved);
		registry_baseline_card(json_object_get(*out, "content"),
				       baseline);
	}
	sqlite3_finalize(q);
	json_decref(approvals);
	json_decref(baseline);
	registry_version_free(mv);
	if (ret == 0)
		return no_card(group, version, revision, err);
	return ret < 0 ? ret : 0;
}

int registry_card_revisions(struct store *st, const char *group,
			    int64_t version, json_t **out,
			    struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *list;
	int rc, ret = registry_version_status(st, group, version, NULL, err);

	if (ret == 0)
		ret = store_prepare(st, &q, CARD_COLUMNS "ORDER BY revision",
				    err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	list = json_array();
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		json_array_append_new(list, revision_from_row(q));
	if (rc != SQLITE_DONE) {
		ret = store_step_failed(st, rc, "cannot read model cards", err);
		json_decref(list);
	} else {
		*out = list;
	}
	sqlite3_finalize(q);
	return ret;
}

static int insert(struct store *st, const char *group, int64_t version,
		  int64_t revision, const char *status, const json_t *content,
		  const char *change, const char *user, int64_t time_us,
		  struct mlops_err *err)
{
	struct buf text = BUF_INIT;
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "INSERT INTO registry_card (grp, "
				"version, revision, status, content, change, "
				"user, time_us) VALUES (?1, ?2, ?3, ?4, ?5, "
				"?6, ?7, ?8)", err);

	if (ret < 0)
		return ret;
	jsonio_append(&text, content);
	sqlite3_bind_text(q, 1, group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, version);
	sqlite3_bind_int64(q, 3, revision);
	sqlite3_bind_text(q, 4, status, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 5, text.s, (int)text.len, SQLITE_STATIC);
	sqlite3_bind_text(q, 6, change, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, user, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 8, time_us);
	ret = store_step_done(q, "cannot record the card revision", err);
	sqlite3_finalize(q);
	buf_release(&text);
	return ret;
}

/* What a change makes of the latest revision (NULL: there is none). */
struct card_change {
	const json_t *from;			/* create */
	const struct registry_version *mv;		/* create */
	const char *const *assignments;		/* set */
	size_t n;
	const char *status;			/* status */
};

/* Work out the next revision's status, content and change text from the
 * latest one; 1 when there is nothing to do. */
static int apply(struct store *st, const char *group, int64_t version,
		 const struct card_change *c, const json_t *latest,
		 char **status, json_t **content, struct buf *change,
		 struct mlops_err *err)
{
	json_t *report = NULL;
	int ret;

	if (c->mv) {
		if (latest)
			return mlops_err_set(err, MLOPS_ENOTFOUND, "%s/%"
					     PRId64 " has a model card already",
					     c->mv->group, c->mv->version);
		ret = registry_report_lineage(st, c->mv, &report, err);
		if (ret < 0)
			return ret;
		*content = registry_modelcard_populate(c->mv, report);
		json_decref(report);
		if (c->from)
			registry_modelcard_merge(*content, c->from);
		*status = xstrdup(REGISTRY_MODELCARD_DRAFT);
		buf_addstr(change, c->from ? "create (with --from)" :
			   "create");
		return registry_modelcard_validate(*content, "card", err);
	}
	if (strcmp(jsonio_str(latest, "status"),
		   REGISTRY_MODELCARD_ARCHIVED) == 0)
		return mlops_err_set(err, MLOPS_ENOTFOUND, "%s/%" PRId64 ": "
				     "the card is Archived and read-only",
				     group, version);
	*content = json_deep_copy(json_object_get(latest, "content"));
	if (c->status) {
		if (strcmp(jsonio_str(latest, "status"), c->status) == 0)
			return 1;
		*status = xstrdup(c->status);
		buf_addf(change, "status %s -> %s",
			 jsonio_str(latest, "status"), c->status);
		return 0;
	}
	*status = xstrdup(jsonio_str(latest, "status"));
	buf_addstr(change, "set");
	for (size_t i = 0; i < c->n; i++) {
		const char *a = c->assignments[i], *eq = strchr(a, '=');
		char *key;

		if (!eq || eq == a)
			return mlops_err_set(err, MLOPS_EUSAGE, "'%s': "
					     "expected KEY=VALUE", a);
		key = xstrndup(a, (size_t)(eq - a));
		ret = registry_modelcard_set(*content, key, eq + 1, err);
		buf_addf(change, " %s", key);
		free(key);
		if (ret < 0)
			return ret;
	}
	return 0;
}

static int change_card(struct store *st, const char *group, int64_t version,
		       const struct card_change *c, int64_t *revision,
		       struct mlops_err *err)
{
	struct buf change = BUF_INIT;
	json_t *latest = NULL, *content = NULL;
	char *status = NULL, *user = NULL;
	int64_t next = 1;
	int ret = store_begin(st, err);

	if (ret == 0) {
		ret = registry_card_get(st, group, version, 0, &latest, err);
		if (ret == MLOPS_ENOTFOUND && c->mv &&
		    registry_version_status(st, group, version, NULL,
					    NULL) == 0) {
			mlops_err_clear(err);
			ret = 0;
		}
	}
	if (ret == 0 && latest)
		next = json_integer_value(json_object_get(latest,
							  "revision")) + 1;
	if (ret == 0)
		ret = apply(st, group, version, c, latest, &status, &content,
			    &change, err);
	if (ret == 0) {
		user = identity_user();
		ret = insert(st, group, version, next, status, content,
			     change.s, user, time_now_us(), err);
	}
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret != 0)
		store_rollback(st);
	if (ret == 0)
		*revision = next;
	json_decref(latest);
	json_decref(content);
	buf_release(&change);
	free(status);
	free(user);
	return ret;
}

/* change_card() audited as action, so that every caller records it
 * alike; a change to the state the card has already records nothing. */
static int audited_change(struct store *st, const char *action,
			  const char *group, int64_t version,
			  const struct card_change *c, int64_t *revision,
			  struct mlops_err *err)
{
	char *name = xasprintf("%s/%" PRId64, group, version);
	struct audit_entry e = { action, name, "success", NULL };
	int ret = audit_intend(st, action, name, err);

	if (ret == 0)
		ret = change_card(st, group, version, c, revision, err);
	if (ret == 1)
		audit_cancel(st);
	else
		ret = audit_done(st, ret, &e, err);
	free(name);
	return ret;
}

int registry_card_create(struct store *st, const struct registry_version *mv,
			 const json_t *from, int64_t *revision,
			 struct mlops_err *err)
{
	struct card_change c = { from, mv, NULL, 0, NULL };

	return audited_change(st, "registry.card.create", mv->group,
			      mv->version, &c, revision, err);
}

int registry_card_set(struct store *st, const char *group, int64_t version,
		      const char *const *assignments, size_t n,
		      int64_t *revision, struct mlops_err *err)
{
	struct card_change c = { NULL, NULL, assignments, n, NULL };

	return audited_change(st, "registry.card.set", group, version, &c,
			      revision, err);
}

int registry_card_set_status(struct store *st, const char *group,
			     int64_t version, const char *status,
			     int64_t *revision, struct mlops_err *err)
{
	struct card_change c = { NULL, NULL, NULL, 0, status };

	if (!registry_modelcard_valid_status(status))
		return mlops_err_set(err, MLOPS_EUSAGE, "unknown card status "
				     "'%s' (Draft, PendingReview, Approved or "
				     "Archived)", status);
	return audited_change(st, "registry.card.status", group, version, &c,
			      revision, err);
}

/* Insert revisions[first...] as revisions first + 1, ... */
static int insert_from(struct store *st, const char *group, int64_t version,
		       const json_t *revisions, size_t first,
		       struct mlops_err *err)
{
	const json_t *r;
	size_t i;
	int ret = 0;

	json_array_foreach(revisions, i, r) {
		int64_t t;

		if (i < first)
			continue;
		ret = time_parse(jsonio_str(r, "time"), &t, err);
		if (ret == 0)
			ret = insert(st, group, version, (int64_t)i + 1,
				     jsonio_str(r, "status"),
				     json_object_get(r, "content"),
				     jsonio_str(r, "change"),
				     jsonio_str(r, "user"), t, err);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int registry_card_insert_revisions(struct store *st, const char *group,
				   int64_t version, const json_t *revisions,
				   struct mlops_err *err)
{
	return insert_from(st, group, version, revisions, 0, err);
}

/* In a transaction: append what theirs has beyond ours; *added gets how
 * many, REGISTRY_CARD_DIVERGED when ours is not where theirs began. */
static int catch_up_txn(struct store *st, const char *group,
			int64_t version, const json_t *theirs,
			int64_t *added, struct mlops_err *err)
{
	json_t *ours = NULL;
	size_t n;
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = registry_card_revisions(st, group, version, &ours, err);
	if (ret < 0)
		goto out;
	n = json_array_size(ours);
	for (size_t i = 0; i < n; i++)
		if (i >= json_array_size(theirs) ||
		    !json_equal(json_array_get(ours, i),
				json_array_get(theirs, i))) {
			ret = REGISTRY_CARD_DIVERGED;
			goto out;
		}
	*added = (int64_t)(json_array_size(theirs) - n);
	if (*added == 0)
		goto out;
	ret = insert_from(st, group, version, theirs, n, err);
	if (ret == 0)
		ret = store_commit(st, err);
out:
	store_rollback(st);
	json_decref(ours);
	return ret;
}

int registry_card_catch_up(struct store *st, const char *group,
			   int64_t version, const json_t *theirs,
			   int64_t *added, struct mlops_err *err)
{
	char *name = xasprintf("%s/%" PRId64, group, version);
	struct audit_entry e = { "registry.card.import", name, "success",
				 NULL };
	int ret = registry_modelcard_check_revisions(theirs, name, err);

	*added = 0;
	if (ret == 0)
		ret = audit_intend(st, e.action, name, err);
	if (ret == 0)
		ret = catch_up_txn(st, group, version, theirs, added, err);
	if (ret == 0 && *added) {
		e.detail = json_pack("{s:I}", "revisions", (json_int_t)*added);
		ret = audit_done(st, ret, &e, err);
	} else if (ret >= 0) {
		audit_cancel(st);
	} else {
		ret = audit_done(st, ret, &e, err);
	}
	json_decref(e.detail);
	free(name);
	return ret;
}
