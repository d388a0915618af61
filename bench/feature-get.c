/* feature-get.c - online get latency for bench/20-feature.sh: times
 * single-key lookups of random entities, either through the library
 * (feature_online_get, one prepared statement, as a server embedding lib/ would)
 * or through the CLI (one `mlops-feature get` process per key), and
 * prints "p50_us p99_us mean_us".
 *
 * Usage: feature-get lib|cli STORE GROUP PREFIX NIDS SAMPLES */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

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

static int run_cli(const char *group, const char *id)
{
	char *argv[] = { "mlops-feature", "get", (char *)group, (char *)id,
			 NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
					 O_WRONLY, 0);
	if (posix_spawnp(&pid, "mlops-feature", &fa, NULL, argv, environ))
		return -1;
	posix_spawn_file_actions_destroy(&fa);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_online_reader *r = NULL;
	struct store *st = NULL;
	struct feature_group *g = NULL;
	double *lat, sum = 0;
	long nids, samples;
	int cli;
	char id[64];

	if (argc != 7) {
		fprintf(stderr, "usage: feature-get lib|cli STORE GROUP PREFIX "
			"NIDS SAMPLES\n");
		return 2;
	}
	cli = strcmp(argv[1], "cli") == 0;
	nids = atol(argv[5]);
	samples = atol(argv[6]);
	lat = calloc((size_t)samples, sizeof(*lat));
	if (store_open(&st, argv[2], "bench", &err) < 0 ||
	    feature_load(st, argv[3], &g, &err) < 0 ||
	    feature_online_reader_new(&r, st, g, &err) < 0) {
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
		ret = cli ? run_cli(argv[3], id) :
			feature_online_get(r, id, time_now_us(), &values, NULL,
				   &err);
		lat[i] = now_us() - t0;
		if (ret != (cli ? 0 : 1)) {
			fprintf(stderr, "feature-get: no record '%s'\n", id);
			return 1;
		}
		sum += lat[i];
	}
	qsort(lat, (size_t)samples, sizeof(*lat), by_value);
	printf("%.2f %.2f %.2f\n", lat[samples / 2],
	       lat[(size_t)((double)samples * 0.99)], sum / (double)samples);
	feature_online_reader_free(r);
	feature_group_free(g);
	store_close(st);
	free(lat);
	return 0;
}
