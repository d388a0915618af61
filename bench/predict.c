/* predict.c - times the gateway's native tree evaluator one row per
 * call, as the gateway calls it: "predict MODEL.json NFEATURES ROWS
 * same|random" prints the median microseconds per row over 5 passes.
 * "same" repeats one row, whose path the CPU's branch predictor
 * learns; "random" draws every row, as real traffic is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/err.h"
#include "deploy/xgbtrees.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_xgbtrees *t;
	size_t nf, nrows, len;
	double pass[5], sum = 0;
	float *x, out;
	char *json;
	FILE *f;
	int same;

	if (argc != 5 || !(f = fopen(argv[1], "rb"))) {
		fprintf(stderr, "usage: predict MODEL.json NFEATURES ROWS "
			"same|random\n");
		return 2;
	}
	fseek(f, 0, SEEK_END);
	len = (size_t)ftell(f);
	rewind(f);
	json = malloc(len);
	if (!json || fread(json, 1, len, f) != len)
		return 1;
	fclose(f);
	nf = strtoul(argv[2], NULL, 10);
	nrows = strtoul(argv[3], NULL, 10);
	same = strcmp(argv[4], "same") == 0;
	if (deploy_xgbtrees_build(&t, json, len, &err) < 0) {
		fprintf(stderr, "predict: %s\n", err.msg);
		return 1;
	}
	x = malloc(nf * nrows * sizeof(*x));
	srand(7);
	for (size_t i = 0; i < nf * nrows; i++)
		x[i] = (float)(rand() / (double)RAND_MAX * 6 - 3);
	for (int p = 0; p < 5; p++) {
		double t0 = now_us();

		for (size_t r = 0; r < nrows; r++) {
			deploy_xgbtrees_predict(t, x + (same ? 0 : r) * nf, 1,
						&out);
			sum += out;
		}
		pass[p] = (now_us() - t0) / (double)nrows;
	}
	qsort(pass, 5, sizeof(pass[0]), cmp);
	printf("%.3f %g\n", pass[2], sum);
	deploy_xgbtrees_free(t);
	free(x);
	free(json);
	return 0;
}
