/* feature-get.c - online get latency for bench/20-feature.sh: times
 * single-key lookups of random entities, either through the library
 * (feature_online_get, one prepared statement, as a server embedding lib/ would)
 * or through the CLI (one `mlops-feature get` process per key), and
 * prints "p50_us p99_us mean_us".
 *
 * The peers, on the same keys: "sql" times the same lookups as one
 * prepared SELECT on a plain SQLite table (STORE is the database file,
 * GROUP the table, keyed by its column id), "sqlcli" as one sqlite3
 * process per key.
 *
 * Usage: feature-get lib|cli|sql|sqlcli STORE GROUP PREFIX NIDS SAMPLES */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <sqlite3.h>

#include "feature/feature.h"
#include "core/time.h"

extern char **environ;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* spawn: run ARGV with its output to /dev/null; 0 if it exits 0. */
static int spawn(char **argv)
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
					 O_WRONLY, 0);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ))
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

static int run_cli(const char *group, const char *id)
{
	char *argv[] = { "mlops-feature", "get", (char *)group, (char *)id,
			 NULL };

	return spawn(argv);
}

/* The peers' query: every column of the row of ID. */
static void peer_sql(char *sql, size_t size, const char *table,
		     const char *id)
{
	snprintf(sql, size, "SELECT * FROM \"%s\" WHERE id = '%s'", table,
		 id ? id : "?");
	if (!id)
		snprintf(sql, size, "SELECT * FROM \"%s\" WHERE id = ?", table);
}

static int run_sqlcli(const char *db, const char *table, const char *id)
{
	char sql[256];
	char *argv[] = { "sqlite3", (char *)db, sql, NULL };

	peer_sql(sql, sizeof(sql), table, id);
	return spawn(argv);
}

/* One lookup on the prepared statement: 1 if a row came, 0 if none, -1
 * on an error. Every column is read as text, as a caller would. */
static int run_sql(sqlite3_stmt *q, const char *id)
{
	int rc, found = 0;

	sqlite3_reset(q);
	sqlite3_bind_text(q, 1, id, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		for (int c = 0; c < sqlite3_column_count(q); c++)
			(void)sqlite3_column_text(q, c);
		found = 1;
	}
	return rc == SQLITE_DONE ? found : -1;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = { "lib", "cli", "sql", "sqlcli" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_online_reader *r = NULL;
	struct store *st = NULL;
	struct feature_group *g = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	double *lat, sum = 0;
	long nids, samples;
	int mode, want;
	char id[64], sql[256];

	for (mode = 0; argc == 7 && mode < 4; mode++)
		if (strcmp(argv[1], modes[mode]) == 0)
			break;
	if (argc != 7 || mode == 4) {
		fprintf(stderr, "usage: feature-get lib|cli|sql|sqlcli STORE "
			"GROUP PREFIX NIDS SAMPLES\n");
		return 2;
	}
	want = mode == 0 || mode == 2 ? 1 : 0;
	nids = atol(argv[5]);
	samples = atol(argv[6]);
	lat = calloc((size_t)samples, sizeof(*lat));
	if (!lat || nids <= 0 || samples <= 0) {
		fprintf(stderr, "feature-get: bad NIDS or SAMPLES\n");
		return 2;
	}
	if (mode == 2) {
		peer_sql(sql, sizeof(sql), argv[3], NULL);
		if (sqlite3_open_v2(argv[2], &db, SQLITE_OPEN_READONLY, NULL) ||
		    sqlite3_prepare_v2(db, sql, -1, &q, NULL)) {
			fprintf(stderr, "feature-get: %s: %s\n", argv[2],
				sqlite3_errmsg(db));
			return 1;
		}
	} else if (mode < 2 && (store_open(&st, argv[2], "bench", &err) < 0 ||
				feature_load(st, argv[3], &g, &err) < 0 ||
				feature_online_reader_new(&r, st, g, &err) < 0)) {
		fprintf(stderr, "feature-get: %s\n", err.msg);
		return 1;
	}
	srand(1);
	for (long i = 0; i < samples; i++) {
		char **values;
		double t0;
		int ret;

		snprintf(id, sizeof(id), "%s%ld", argv[4], rand() % nids);
		t0 = now_us();
		switch (mode) {
		case 0:
			ret = feature_online_get(r, id, time_now_us(), &values,
						 NULL, &err);
			break;
		case 1:
			ret = run_cli(argv[3], id);
			break;
		case 2:
			ret = run_sql(q, id);
			break;
		default:
			ret = run_sqlcli(argv[2], argv[3], id);
		}
		lat[i] = now_us() - t0;
		if (ret != want) {
			fprintf(stderr, "feature-get: no record '%s'\n", id);
			return 1;
		}
		sum += lat[i];
	}
	qsort(lat, (size_t)samples, sizeof(*lat), by_value);
	printf("%.2f %.2f %.2f\n", lat[samples / 2],
	       lat[(size_t)((double)samples * 0.99)], sum / (double)samples);
	if (r)
		feature_online_reader_free(r);
	if (g)
		feature_group_free(g);
	if (st)
		store_close(st);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(lat);
	return 0;
}
