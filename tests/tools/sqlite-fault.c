/* sqlite-fault.c - an LD_PRELOAD shim that makes SQLite calls fail, to
 * test that every caller treats an error as an error (not as "no row").
 *
 * Build: make build/tests/sqlite-fault.so. Use:
 *
 *   LD_PRELOAD=build/tests/sqlite-fault.so \
 *   SQLITE_FAULT_MATCH='object_ref' mlops gc --grace 0
 *
 * Settings, from the environment (unset ones do not restrict):
 *   SQLITE_FAULT_MATCH  fail sqlite3_step only for statements whose SQL
 *                       contains this text
 *   SQLITE_FAULT_AFTER  let this many matching steps pass, fail the rest
 *                       (default 0: fail from the first)
 *   SQLITE_FAULT_COUNT  fail at most this many times (default: no limit)
 *   SQLITE_FAULT_CODE   the result code returned (default SQLITE_IOERR, 10)
 *   SQLITE_FAULT_PREPARE when set, sqlite3_prepare_v2 of matching SQL
 *                       fails too
 *   SQLITE_FAULT_KILL   instead of failing, raise SIGKILL at the chosen
 *                       step: a crash at exactly that point
 *   SQLITE_FAULT_LOG    a file to which each failure is appended
 *
 * A failed step does not run the statement, as an I/O error before the
 * first page is read would. The program links SQLite dynamically, so the
 * real functions are found with dlsym(RTLD_NEXT). */
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

static long seen, failed;

static long env_long(const char *name, long dflt)
{
	const char *v = getenv(name);

	return v && *v ? strtol(v, NULL, 10) : dflt;
}

static int matches(const char *sql)
{
	const char *pat = getenv("SQLITE_FAULT_MATCH");

	return !pat || !*pat || (sql && strstr(sql, pat));
}

static void note(const char *what, const char *sql)
{
	const char *path = getenv("SQLITE_FAULT_LOG");
	FILE *f;

	if (!path || !*path)
		return;
	f = fopen(path, "a");
	if (!f)
		return;
	fprintf(f, "%ld %s: %s\n", (long)getpid(), what, sql ? sql : "?");
	fclose(f);
}

/* 1 when this call (whose SQL is sql) is to fail. */
static int should_fail(const char *sql)
{
	if (!matches(sql))
		return 0;
	if (++seen <= env_long("SQLITE_FAULT_AFTER", 0))
		return 0;
	if (failed >= env_long("SQLITE_FAULT_COUNT", -1) &&
	    env_long("SQLITE_FAULT_COUNT", -1) >= 0)
		return 0;
	failed++;
	return 1;
}

int sqlite3_step(sqlite3_stmt *q)
{
	static int (*real)(sqlite3_stmt *);
	const char *sql = sqlite3_sql(q);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sqlite3_step");
	if (should_fail(sql)) {
		note("step", sql);
		if (getenv("SQLITE_FAULT_KILL"))
			raise(SIGKILL);
		return (int)env_long("SQLITE_FAULT_CODE", SQLITE_IOERR);
	}
	return real(q);
}

int sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n,
		       sqlite3_stmt **out, const char **tail)
{
	static int (*real)(sqlite3 *, const char *, int, sqlite3_stmt **,
			   const char **);

	if (!real)
		*(void **)&real = dlsym(RTLD_NEXT, "sqlite3_prepare_v2");
	if (getenv("SQLITE_FAULT_PREPARE") && should_fail(sql)) {
		note("prepare", sql);
		*out = NULL;
		return (int)env_long("SQLITE_FAULT_CODE", SQLITE_IOERR);
	}
	return real(db, sql, n, out, tail);
}
