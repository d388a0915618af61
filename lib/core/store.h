/* store.h - finding, creating and opening a store, and its SQLite handle.
 *
 * A store is a directory named .mlops (DESIGN.md, "The store"). The
 * database runs in WAL mode with foreign keys on and a busy handler, so
 * readers never block and concurrent writers wait their turn instead of
 * failing. Every mutation is one transaction begun with store_begin()
 * (BEGIN IMMEDIATE, so a writer never has to upgrade a read lock). */
#ifndef MLOPS_STORE_H
#define MLOPS_STORE_H
#include <sqlite3.h>

#include "core/err.h"
#include "core/progress.h"

struct store {
	char *dir;		/* absolute path of the .mlops directory */
	char *root;		/* the directory that holds .mlops */
	sqlite3 *db;
	char *env;		/* environment name, from config.yaml */
	const char *tool;	/* "mlops", "mlops-feature", ...: for audit */
	char *persona;		/* the acting persona once roles are in use,
				 * else NULL; audit records carry it */
	/* The audit record declared by audit_intend(), which every
	 * store_commit() writes into audit_pending with the change. */
	char *audit_token;	/* its key there, random */
	char *audit_record;	/* its fields, JSON text */
	int audit_committed;	/* a transaction committed it */
	int audit_writing;	/* a commit that may go without it */
	int events_recorded;	/* the open transaction recorded events:
				 * its commit starts a dispatch pass */
	int audit_appended;	/* this process appended a record */
	/* Where long loops report how far they are (see progress.h): set
	 * by the command-line frame, NULL otherwise; not the store's. */
	struct progress *progress;
};

/* Find the store: explicit (--store) if given, else $MLOPS_STORE, else
 * the nearest .mlops walking up from the working directory. A DIR names
 * either a directory holding .mlops or the .mlops directory itself. Sets
 * *out to the absolute .mlops path (the caller frees); MLOPS_ENOTFOUND
 * with a hint to run `mlops init` when there is none. */
int store_discover(char **out, const char *explicit_dir,
		   struct mlops_err *err);

/* Create DIR/.mlops (DIR is made if missing) with its database, folders
 * and config.yaml naming environment env (NULL: "dev"). Harmless on an
 * existing store: it only migrates the schema, and sets the environment
 * name when env is given. *created tells which happened. */
int store_init(const char *dir, const char *env, int *created,
	       struct mlops_err *err);

/* Open the store found by store_discover(explicit_dir), migrating its
 * schema forward. tool names the program for audit records. */
int store_open(struct store **out, const char *explicit_dir,
	       const char *tool, struct mlops_err *err);
/* Open the .mlops directory at dir exactly. */
int store_open_dir(struct store **out, const char *dir, const char *tool,
		   struct mlops_err *err);
void store_close(struct store *st);

/* The absolute path of rel inside the store; the caller frees. */
char *store_path(const struct store *st, const char *rel);

/* Transactions: BEGIN IMMEDIATE / COMMIT / ROLLBACK. store_rollback is
 * safe to call when no transaction is open. Once audit_intend() declared
 * the command's audit record, store_commit() writes it in the same
 * transaction (see audit.h). */
int store_begin(struct store *st, struct mlops_err *err);
int store_commit(struct store *st, struct mlops_err *err);
void store_rollback(struct store *st);

/* Remove the pending audit record token (see audit.h) once audit.log
 * holds it, or once its command ended with nothing to record. */
int store_audit_drop(struct store *st, const char *token,
		     struct mlops_err *err);

/* Prepare sql, or set err with SQLite's message. */
int store_prepare(struct store *st, sqlite3_stmt **out, const char *sql,
		  struct mlops_err *err);
/* Run SQL without results (several statements allowed). */
int store_exec(struct store *st, const char *sql, struct mlops_err *err);
/* Set err from the database's last error: "what: sqlite message", for a
 * call whose failure SQLite records there (prepare, open); a step's
 * failure is store_step's or store_step_failed's to report. A
 * constraint violation becomes MLOPS_ENOTFOUND (a conflict), a full or
 * read-only disk MLOPS_EINTERNAL. Returns the code. */
int store_sql_error(struct store *st, const char *what,
		    struct mlops_err *err);

/* Step q once. Returns 1 when it gave a row, 0 when it is done (no more
 * rows), or a negative code with err set to "what: SQLite's message" for
 * any other result: an error is never taken for "no row". */
int store_step(sqlite3_stmt *q, const char *what, struct mlops_err *err);
/* Set err for rc, the result of a step on st that was neither a row
 * nor done (a loop that steps itself): "what: " the step's own error,
 * never an earlier one the connection holds, as store_sql_error would
 * give when the step failed before it reached the database. Returns
 * the code. */
int store_step_failed(struct store *st, int rc, const char *what,
		      struct mlops_err *err);
/* Step a statement that returns no rows: 0 when done, else negative. */
int store_step_done(sqlite3_stmt *q, const char *what,
		    struct mlops_err *err);

/* Record that owner holds the blob hash, or no longer holds any (drop
 * all of owner's). Call inside the transaction that writes owner's rows. */
int store_ref_add(struct store *st, const char *hash, const char *owner,
		  struct mlops_err *err);
int store_ref_drop(struct store *st, const char *owner,
		   struct mlops_err *err);

/* The schema version this program writes, and the store's. */
int store_schema_latest(void);
int store_schema_version(struct store *st, int *out, struct mlops_err *err);

#endif
