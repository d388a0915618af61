/* hll.c - HyperLogLog distinct counting (sketch.h) and the hash it and
 * the exact distinct tables use. */
#include <math.h>
#include <string.h>

#include "monitor/monitor.h"

uint64_t monitor_hll_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ (len * 0xff51afd7ed558ccdull);
	uint64_t w;

	/* Eight bytes at a time (profiling hashes every field), each word
	 * multiplied in, then the splitmix64 finaliser so that every
	 * output bit depends on every input bit (HLL reads the top
	 * bits). */
	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&w, p, sizeof(w));
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	if (len > 0) {
		w = 0;
		for (size_t i = 0; i < len; i++)
			w |= (uint64_t)p[i] << (8 * i);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ull;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebull;
	h ^= h >> 31;
	return h;
}

void monitor_hll_init(struct monitor_hll *h)
{
	memset(h->reg, 0, sizeof(h->reg));
}

void monitor_hll_add_hash(struct monitor_hll *h, uint64_t hash)
{
	uint32_t idx = (uint32_t)(hash >> (64 - MONITOR_HLL_P));
	uint64_t rest = hash << MONITOR_HLL_P;
	/* The position of the first 1 bit after the index bits, or 51 when
	 * they are all 0. */
	uint8_t rank = rest ? (uint8_t)(__builtin_clzll(rest) + 1)
			    : (uint8_t)(64 - MONITOR_HLL_P + 1);
	if (rank > h->reg[idx])
		h->reg[idx] = rank;
}

double monitor_hll_estimate(const struct monitor_hll *h)
{
	double m = MONITOR_HLL_M, sum = 0, e;
	unsigned zeros = 0;

	for (unsigned i = 0; i < MONITOR_HLL_M; i++) {
		sum += ldexp(1.0, -h->reg[i]);
		zeros += h->reg[i] == 0;
	}
	e = 0.7213 / (1 + 1.079 / m) * m * m / sum;
	/* Linear counting is the better estimate while registers are
	 * still empty (below 2.5 m). */
	if (e <= 2.5 * m && zeros > 0)
		e = m * log(m / zeros);
	return e;
}
