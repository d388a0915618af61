/* store.c - discover, create and open a store; the SQLite connection,
 * its transactions and schema migrations (share/sql via schema.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/schema.h"
#include "core/store.h"
#include "core/xalloc.h"

#define STORE_DIRNAME ".mlops"
#define STORE_DB "mlops.db"
#define BUSY_TIMEOUT_MS 120000

/* The folders every store has; see mlops-store(5). */
static const char *const store_subdirs[] = {
	"objects", "offline", "capture", "runs", "tmp", NULL
};

/* 1 when dir looks like a .mlops directory (it holds the database). */
static int is_store_dir(const char *dir)
{
	char *db = fs_path_join(dir, STORE_DB);
	int yes = fs_exists(db);

	free(db);
	return yes;
}

/* dir itself when it is a store, else dir/.mlops when that is one. */
static char *store_at(const char *dir)
{
	char *abs = fs_path_absolute(dir);
	char *sub;

	if (is_store_dir(abs))
		return abs;
	sub = fs_path_join(abs, STORE_DIRNAME);
	free(abs);
	if (is_store_dir(sub))
		return sub;
	free(sub);
	return NULL;
}

int store_discover(char **out, const char *explicit_dir,
		   struct mlops_err *err)
{
	const char *env = getenv("MLOPS_STORE");
	char *dir, *found;

	if (explicit_dir || (env && *env)) {
		const char *given = explicit_dir ? explicit_dir : env;

		found = store_at(given);
		if (!found)
			return mlops_err_set(err, MLOPS_ENOTFOUND,
					     "no store at '%s'%s (run 'mlops "
					     "init %s' to make one)", given,
					     explicit_dir ? "" :
					     " (from $MLOPS_STORE)", given);
		*out = found;
		return 0;
	}
	dir = fs_path_absolute(".");
	for (;;) {
		char *slash;

		found = store_at(dir);
		if (found) {
			free(dir);
			*out = found;
			return 0;
		}
		slash = strrchr(dir, '/');
		if (!slash || dir[1] == '\0')
			break;
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	free(dir);
	return mlops_err_set(err, MLOPS_ENOTFOUND,
			     "not in a store (no .mlops here or in any parent; "
			     "run 'mlops init', or give --store DIR or "
			     "$MLOPS_STORE)");
}

/* err from result rc of a call on db: SQLite's message for the last
 * error, or the text of rc when db holds none (a fault injected by a
 * test shim, or a step that failed before touching the database). */
static int db_error(sqlite3 *db, int rc, const char *what,
		    struct mlops_err *err)
{
	int code = MLOPS_EINTERNAL;
	const char *msg = sqlite3_errstr(rc), *why = "";

	/* The connection's last error says more (the constraint, the
	 * file), but only when it is this failure's: a step that failed
	 * before it ran leaves an earlier error there. */
	if (sqlite3_errcode(db) != SQLITE_OK &&
	    (sqlite3_errcode(db) & 0xff) == (rc & 0xff)) {
		rc = sqlite3_extended_errcode(db);
		msg = sqlite3_errmsg(db);
	}
	if (rc == SQLITE_OK)
		msg = "failed, and SQLite recorded no error";
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		code = MLOPS_ENOTFOUND;
	/* A store the caller may read but not write (permissions, a
	 * read-only mount) is a permission error, not a bug. */
	if ((rc & 0xff) == SQLITE_READONLY) {
		code = MLOPS_EPERM;
		why = " (the store is read-only to this user)";
	}
	return mlops_err_set(err, code, "%s: %s%s", what, msg, why);
}

int store_sql_error(struct store *st, const char *what,
		    struct mlops_err *err)
{
	return db_error(st->db, sqlite3_extended_errcode(st->db), what, err);
}

int store_step_failed(struct store *st, int rc, const char *what,
		      struct mlops_err *err)
{
	return db_error(st->db, rc, what, err);
}

int store_step(sqlite3_stmt *q, const char *what, struct mlops_err *err)
{
	int rc = sqlite3_step(q);

	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	return db_error(sqlite3_db_handle(q), rc, what, err);
}

int store_step_done(sqlite3_stmt *q, const char *what,
		    struct mlops_err *err)
{
	int ret = store_step(q, what, err);

	if (ret == 1)
		return mlops_err_set(err, MLOPS_EINTERNAL, "%s: the statement "
				     "returned a row", what);
	return ret;
}

int store_prepare(struct store *st, sqlite3_stmt **out, const char *sql,
		  struct mlops_err *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
		return store_sql_error(st, "cannot prepare a query", err);
	return 0;
}

/* Each statement is stepped here, not by sqlite3_exec, whose finalize
 * may hide a step's failure: a BEGIN or COMMIT that did not run must
 * stop the change, not let it run or end outside a transaction. */
int store_exec(struct store *st, const char *sql, struct mlops_err *err)
{
	const char *tail = sql;
	int ret = 0;

	while (ret == 0 && tail && *tail) {
		sqlite3_stmt *q = NULL;
		const char *head = tail + strspn(tail, " \t\n;");
		size_t n = strcspn(head, "\n;");
		char what[80];

		/* "cannot run 'BEGIN IMMEDIATE'": the statement's first
		 * line, as much as a message needs to tell it. */
		snprintf(what, sizeof(what), "cannot run '%.*s'",
			 (int)(n < 48 ? n : 48), head);
		if (sqlite3_prepare_v2(st->db, tail, -1, &q, &tail) !=
		    SQLITE_OK)
			ret = store_sql_error(st, what, err);
		while (ret == 0 && q && (ret = store_step(q, what, err)) == 1)
			ret = 0;
		sqlite3_finalize(q);
	}
	return ret;
}

int store_begin(struct store *st, struct mlops_err *err)
{
	return store_exec(st, "BEGIN IMMEDIATE", err);
}

/* Write the declared audit record into the open transaction. */
static int put_pending_audit(struct store *st, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "INSERT OR REPLACE INTO audit_pending "
				"(token, record, created_us) VALUES (?1, ?2, "
				"CAST((julianday('now') - 2440587.5) * "
				"86400000000 AS INTEGER))", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, st->audit_token, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, st->audit_record, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot record the audit record of "
				      "the change", err);
	}
	sqlite3_finalize(q);
	return ret;
}

int store_audit_drop(struct store *st, const char *token,
		     struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "DELETE FROM audit_pending WHERE "
				"token = ?1", err);

	/* The record is in audit.log already, so this commit skips its
	 * fsync (it would double the cost of every command): the next
	 * commit's sync covers it. Lost to a power failure before that,
	 * the row comes back; if its record is the log's last, the next
	 * append only drops it, else it is appended again, recovered. */
	st->audit_writing = 1;
	if (ret == 0)
		ret = store_exec(st, "PRAGMA synchronous = NORMAL", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, token, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot clear a pending audit record",
				      err);
		store_exec(st, "PRAGMA synchronous = FULL", err);
	}
	st->audit_writing = 0;
	sqlite3_finalize(q);
	return ret;
}

int store_commit(struct store *st, struct mlops_err *err)
{
	int ret = 0;

	if (st->audit_record)
		ret = put_pending_audit(st, err);
	st->audit_writing = 1;
	if (ret == 0)
		ret = store_exec(st, "COMMIT", err);
	st->audit_writing = 0;
	if (ret == 0 && st->audit_record)
		st->audit_committed = 1;
	if (ret == 0 && st->events_recorded) {
		st->events_recorded = 0;
		event_dispatch_soon(st);
	}
	return ret;
}

void store_rollback(struct store *st)
{
	if (st)
		st->events_recorded = 0;
	if (st && st->db && !sqlite3_get_autocommit(st->db))
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
}

int store_schema_latest(void)
{
	return schema_migration_count ?
		schema_migrations[schema_migration_count - 1].version : 0;
}

int store_schema_version(struct store *st, int *out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "PRAGMA user_version", err);

	if (ret == 0)
		ret = store_step(q, "cannot read the schema version", err);
	if (ret == 1) {
		*out = sqlite3_column_int(q, 0);
		ret = 0;
	} else if (ret == 0) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "cannot read the "
				    "schema version: no result");
	}
	sqlite3_finalize(q);
	return ret;
}

/* Bring the schema to the latest version, one transaction for all the
 * missing migrations so that a crash leaves the old schema or the new. */
static int migrate(struct store *st, struct mlops_err *err)
{
	int version, ret, latest = store_schema_latest();

	ret = store_schema_version(st, &version, err);
	if (ret < 0 || version == latest)
		return ret;
	if (version > latest)
		return mlops_err_set(err, MLOPS_ENOTFOUND,
				     "store '%s' has schema version %d, newer "
				     "than this program's %d: upgrade mlops",
				     st->dir, version, latest);
	ret = store_begin(st, err);
	if (ret < 0)
		return ret;
	ret = store_schema_version(st, &version, err);	/* raced? */
	for (int i = 0; ret == 0 && i < schema_migration_count; i++) {
		const struct schema_migration *m = &schema_migrations[i];
		char *pragma;

		if (m->version <= version)
			continue;
		ret = store_exec(st, m->sql, err);
		if (ret < 0) {
			mlops_err_prefix(err, "migration %s: ", m->name);
			break;
		}
		pragma = xasprintf("PRAGMA user_version = %d", m->version);
		ret = store_exec(st, pragma, err);
		free(pragma);
	}
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

/* While an audit record is declared, a transaction may commit only
 * through store_commit(), which writes the record with it: a statement
 * run outside a transaction (its own autocommit) is rolled back instead
 * of committing a change without its record. */
static int commit_hook(void *arg)
{
	const struct store *st = arg;

	return st->audit_record && !st->audit_writing;
}

/* Read the schema first, so that a store whose schema cannot be read
 * (an I/O error, a file that is no database) says so, rather than
 * failing the first query that needs a table with "no such table". */
static int read_schema(struct store *st, struct mlops_err *err)
{
	static const char what[] = "cannot read the store's schema";
	sqlite3_stmt *q = NULL;
	int ret = 0;

	if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM sqlite_schema",
			       -1, &q, NULL) != SQLITE_OK)
		ret = store_sql_error(st, what, err);
	if (ret == 0)
		ret = store_step(q, what, err);
	sqlite3_finalize(q);
	return ret < 0 ? ret : 0;
}

static int open_db(struct store *st, int create, struct mlops_err *err)
{
	char *path = fs_path_join(st->dir, STORE_DB);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX |
		(create ? SQLITE_OPEN_CREATE : 0);
	int ret = 0;

	if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL,
				    "cannot open database '%s': %s", path,
				    st->db ? sqlite3_errmsg(st->db) :
				    "out of memory");
		goto out;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	sqlite3_commit_hook(st->db, commit_hook, st);
	ret = read_schema(st, err);
	if (ret < 0)
		goto out;
	/* journal_mode=WAL is persistent; the others hold per connection.
	 * synchronous=FULL: a committed mutation survives power loss. */
	ret = store_exec(st, "PRAGMA journal_mode = WAL;"
			 "PRAGMA synchronous = FULL;"
			 "PRAGMA foreign_keys = ON;", err);
	if (ret == 0)
		ret = migrate(st, err);
out:
	free(path);
	return ret;
}

static int load_env(struct store *st, struct mlops_err *err)
{
	struct spec_doc *cfg;
	const char *env;
	int ret = config_load(&cfg, st->dir, err);

	if (ret < 0)
		return ret;
	env = config_get(cfg, "environment");
	st->env = xstrdup(env ? env : "dev");
	spec_free(cfg);
	return 0;
}

int store_open_dir(struct store **out, const char *dir, const char *tool,
		   struct mlops_err *err)
{
	struct store *st = xcalloc(1, sizeof(*st));
	int ret;

	st->dir = fs_path_absolute(dir);
	st->root = fs_path_dirname(st->dir);
	st->tool = tool;
	ret = open_db(st, 0, err);
	if (ret == 0)
		ret = load_env(st, err);
	if (ret < 0) {
		store_close(st);
		return ret;
	}
	*out = st;
	return 0;
}

int store_open(struct store **out, const char *explicit_dir,
	       const char *tool, struct mlops_err *err)
{
	char *dir;
	int ret = store_discover(&dir, explicit_dir, err);

	if (ret < 0)
		return ret;
	ret = store_open_dir(out, dir, tool, err);
	free(dir);
	return ret;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	store_rollback(st);
	/* A command that committed under a declared audit record and ends
	 * without appending it decided there was nothing to record (an
	 * "already so"): the record must not be recovered as a change. */
	if (st->audit_committed) {
		struct mlops_err err = MLOPS_ERR_INIT;

		store_audit_drop(st, st->audit_token, &err);
	}
	sqlite3_close_v2(st->db);
	free(st->dir);
	free(st->root);
	free(st->env);
	free(st->persona);
	free(st->audit_token);
	free(st->audit_record);
	free(st);
}

char *store_path(const struct store *st, const char *rel)
{
	return fs_path_join(st->dir, rel);
}

int store_init(const char *dir, const char *env, int *created,
	       struct mlops_err *err)
{
	char *abs = fs_path_absolute(dir);
	struct store st = { 0 };
	char *cfg = NULL;
	int ret;

	*created = 0;
	if (env && !config_valid_env(env)) {
		ret = mlops_err_set(err, MLOPS_EUSAGE,
				    "'%s' is not a valid environment name "
				    "(letters, digits, '-' and '_')", env);
		goto out;
	}
	st.dir = is_store_dir(abs) ? xstrdup(abs) :
		fs_path_join(abs, STORE_DIRNAME);
	*created = !is_store_dir(st.dir);
	ret = fs_mkdir_p(st.dir, err);
	for (int i = 0; ret == 0 && store_subdirs[i]; i++) {
		char *sub = fs_path_join(st.dir, store_subdirs[i]);

		ret = fs_mkdir_p(sub, err);
		free(sub);
	}
	if (ret < 0)
		goto out;
	cfg = fs_path_join(st.dir, CONFIG_FILE);
	if (!fs_exists(cfg) || env)
		ret = config_set(st.dir, "environment", env ? env : "dev",
				 err);
	if (ret == 0)
		ret = open_db(&st, 1, err);
	if (ret == 0)
		ret = fs_sync_dir(st.dir, err);
out:
	if (st.db)
		sqlite3_close_v2(st.db);
	free(st.dir);
	free(cfg);
	free(abs);
	return ret;
}

int store_ref_add(struct store *st, const char *hash, const char *owner,
		  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "INSERT OR IGNORE INTO object_ref "
				"(hash, owner) VALUES (?1, ?2)", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, hash, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, owner, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot record a blob reference",
				      err);
	}
	sqlite3_finalize(q);
	return ret;
}

int store_ref_drop(struct store *st, const char *owner,
		   struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "DELETE FROM object_ref "
				"WHERE owner = ?1", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, owner, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot drop blob references", err);
	}
	sqlite3_finalize(q);
	return ret;
}
