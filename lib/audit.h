/* audit.h - the store's append-only, hash-chained audit trail.
 *
 * audit.log holds one JSON object per line, keys sorted, ending with
 * ,"hash":"..."}. The hash is SHA-256 over the previous record's hash, a
 * newline, and the line's own text without its hash field (the exact
 * bytes, so verification never depends on how JSON is re-serialised).
 * The first record's "prev" is 64 zeros. audit.head keeps the last seq and
 * hash, written after each append, so that cutting records off the end of
 * the log is found too. Appends hold an exclusive flock on the log, so any
 * number of processes may append at once. */
#ifndef MLOPS_AUDIT_H
#define MLOPS_AUDIT_H
#include <stdint.h>

#include <jansson.h>

#include "buf.h"
#include "err.h"
#include "store.h"

struct audit_entry {
	const char *action;	/* "object.put", "registry.approve" */
	const char *resource;	/* what it acted on: "churn/3", a hash */
	const char *outcome;	/* "success", "denied", "failure" */
	json_t *detail;		/* optional, borrowed; strings/ints please */
};

/* Append one record for the store's tool, the acting user and, when roles
 * are in use (st->persona), the persona. Call after the mutation commits:
 * the record says what happened, not what was attempted. */
int audit_append(struct store *st, const struct audit_entry *e,
		 struct mlops_err *err);

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
