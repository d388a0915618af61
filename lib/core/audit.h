/* audit.h - the store's append-only, hash-chained audit trail.
 *
 * audit.log holds one JSON object per line, keys sorted, ending with
 * ,"hash":"..."}. The hash is SHA-256 over the previous record's hash, a
 * newline, and the line's own text without its hash field (the exact
 * bytes, so verification never depends on how JSON is re-serialised).
 * The first record's "prev" is 64 zeros. audit.head keeps the last seq and
 * hash, written after each append, so that cutting records off the end of
 * the log is found too. Appends hold an exclusive flock on the log, so any
 * number of processes may append at once.
 *
 * A change and its record are committed together: the record goes into
 * the database's audit_pending table in the change's transaction
 * (audit_intend()), and from there to audit.log; a command killed between
 * the two leaves the row, which the next append, `audit log` or `audit
 * verify` moves to the log. A record so moved has "recovered": true, and
 * every record of a declared change has the change's "txn" token.
 *
 * Who audits: the library function that commits a change declares its
 * record (audit_intend()) and ends with audit_done(), so that every
 * caller - a command, an event rule's command, an import - records the
 * change alike, and a refusal is recorded where it is decided. Commands
 * never audit, except `mlops init`, whose store does not exist before. */
#ifndef MLOPS_AUDIT_H
#define MLOPS_AUDIT_H
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"

struct audit_entry {
	const char *action;	/* "object.put", "registry.approve" */
	const char *resource;	/* what it acted on: "churn/3", a hash */
	const char *outcome;	/* "success", "denied", "failure" */
	json_t *detail;		/* optional, borrowed; strings/ints please */
};

/* Declare the record of the change the command is about to make, before
 * it makes it, once audit_authorize() allowed it (MLOPS_EPERM, recorded,
 * when not): from then on every store_commit() writes the record into
 * the audit_pending table in the same transaction as the change, so that
 * no change is ever committed without its record. Call again to change
 * the resource. MLOPS_EINPUT when the text is not UTF-8. */
int audit_intend(struct store *st, const char *action, const char *resource,
		 struct mlops_err *err);

/* May the acting user do action to resource (see access_check())? 0
 * when so; MLOPS_EPERM when not, after appending the refusal's record
 * (outcome "denied") and emitting an "Action Denied" event (source
 * mlops.governance). audit_intend() calls it first; a library function
 * that audits a change without declaring it calls it before changing
 * anything. */
int audit_authorize(struct store *st, const char *action,
		    const char *resource, struct mlops_err *err);

/* Append one record for the store's tool, the acting user and, when roles
 * are in use (st->persona), the persona. Call after the mutation commits:
 * the record says what happened, not what was attempted. When
 * audit_intend() was called and a change committed, the record carries
 * its "txn" token and replaces the pending one. Before its own, it
 * appends the pending records of commands killed after their commit (see
 * audit_recover()). */
int audit_append(struct store *st, const struct audit_entry *e,
		 struct mlops_err *err);

/* The command whose record audit_intend() declared failed with failure:
 * roll back and append the declared record with outcome "denied"
 * (MLOPS_EPERM) or "failure" and the error as detail. Best effort (the
 * command fails anyway); a no-op without a declared record. */
void audit_fail(struct store *st, const struct mlops_err *failure);

/* A command that changes the store with action failed with failure
 * before it declared its change (a name that does not resolve, input
 * that does not validate): append a record with outcome "failure" and
 * the reason, unless the command recorded something already (its own
 * failure, a refusal) or failure is a usage error. Best effort. The verb
 * frame calls it (cli_fail(), cli_error()), knowing the verb's action
 * from access_verbs, so that every refusal of a change leaves a record
 * and the command line's own mistakes (exit 2) leave none. */
void audit_refusal(struct store *st, const char *action,
		   const char *resource, const struct mlops_err *failure);

/* The end of a change declared by audit_intend(), called by the library
 * function that made it, so that every caller audits alike: when ret is
 * 0, append e (see audit_append()); when ret is negative, with err
 * holding the failure, record the declared change "denied" or "failure"
 * (see audit_fail()). Returns ret, or the append's error. */
int audit_done(struct store *st, int ret, const struct audit_entry *e,
	       struct mlops_err *err);

/* The change declared by audit_intend() turned out to be no change (the
 * state asked for was there already): forget the declaration, and drop
 * its pending record if a transaction committed one. Best effort. */
void audit_cancel(struct store *st);

/* Append to audit.log the pending records of changes whose command died
 * between its commit and its audit_append(), each marked "recovered":
 * true; *recovered gets their number. */
int audit_recover(struct store *st, long *recovered, struct mlops_err *err);
/* The number of pending records (changes not yet in audit.log). */
int audit_pending_count(struct store *st, long *out, struct mlops_err *err);

/* Check the whole chain. Returns 0 when intact, MLOPS_EXIT_FINDING with a
 * description of the first broken record in problem, or a negative code.
 * *count gets the number of records read. */
int audit_verify(struct store *st, int64_t *count, struct buf *problem,
		 struct mlops_err *err);

/* Call fn with each parsed record, oldest first; fn returns non-zero to
 * stop. */
int audit_each(struct store *st, int (*fn)(json_t *record, void *arg),
	       void *arg, struct mlops_err *err);

#endif
