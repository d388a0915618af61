/* sketch.h - the bounded-memory summaries behind a baseline: a KLL
 * quantile sketch and a HyperLogLog distinct counter.
 *
 * KLL (Karnin, Lang, Liberty 2016) keeps a stack of compactors; level h
 * holds items of weight 2^h, and a full level is sorted and every other
 * item (odd or even, by a coin) moves up. With k = 2048 and c = 0.64
 * (Deequ's defaults, which Model Monitor uses) it keeps about
 * k / (1 - c) = 5,700 items whatever the input size, and the rank of any
 * value it reports is within 0.5% of the true rank with high
 * probability (the rank error of KLL is about 2.3 / k^0.97, 0.14% for
 * k = 2048; tests/unit/test_monitor.c checks 0.5% on a million items).
 * The coin is a fixed-seed generator, so a sketch of the same input is
 * the same every time.
 *
 * HyperLogLog (Flajolet et al. 2007) with 2^14 one-byte registers and
 * linear counting for small cardinalities: a relative standard error of
 * 1.04 / 2^7 = 0.81% in 16 KiB. */
#ifndef MLOPS_MONITOR_SKETCH_H
#define MLOPS_MONITOR_SKETCH_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

#define MONITOR_KLL_DEFAULT_K 2048
#define MONITOR_KLL_DEFAULT_C 0.64

struct monitor_kll_level {
	double *items;
	size_t n, cap;
};

struct monitor_kll {
	unsigned k;
	double c;
	struct monitor_kll_level *levels;
	size_t nlevels;
	uint64_t count;  /* items added (the total weight) */
	size_t size;     /* items held over all levels */
	size_t max_size; /* compress when size reaches it */
	uint64_t rng;
};

void monitor_kll_init(struct monitor_kll *s, unsigned k, double c);
void monitor_kll_release(struct monitor_kll *s);
void monitor_kll_add(struct monitor_kll *s, double v);
/* The estimated fraction of added items <= v (0 for an empty sketch). */
double monitor_kll_cdf(const struct monitor_kll *s, double v);
/* The estimated q-quantile, 0 <= q <= 1 (NaN for an empty sketch). */
double monitor_kll_quantile(const struct monitor_kll *s, double q);
/* {"parameters": {"c", "k"}, "data": [[level 0 items], [level 1], ...]},
 * Model Monitor's sketch object. The caller owns the result. */
json_t *monitor_kll_to_json(const struct monitor_kll *s);
/* Rebuild a sketch from monitor_kll_to_json's form; MLOPS_EINPUT naming what
 * when it is malformed. */
int monitor_kll_from_json(struct monitor_kll *out, const json_t *j,
			  const char *what, struct mlops_err *err);
/* The largest |cdf_a - cdf_b| over every value either sketch holds: the
 * L-infinity distance Model Monitor compares with its threshold. */
double monitor_kll_linf(const struct monitor_kll *a,
			const struct monitor_kll *b);

#define MONITOR_HLL_P 14
#define MONITOR_HLL_M (1u << MONITOR_HLL_P)

struct monitor_hll {
	uint8_t reg[MONITOR_HLL_M];
};

void monitor_hll_init(struct monitor_hll *h);
void monitor_hll_add_hash(struct monitor_hll *h, uint64_t hash);
double monitor_hll_estimate(const struct monitor_hll *h);

/* A 64-bit hash of len bytes, well mixed in every bit. */
uint64_t monitor_hll_hash(const void *data, size_t len);

#endif
