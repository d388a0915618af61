/* id.c - random identifiers from the kernel's CSPRNG (getrandom(2)),
 * and fast ones from a per-thread generator for per-request names.
 *
 * Not OpenSSL's RAND_bytes: its first call sets up the generator and its
 * locks, and when an allocation fails there it dereferences a NULL lock
 * (found by tests/fault: every mutating command makes an id for its audit
 * record, so any of them died by SIGSEGV instead of exiting 70).
 * getrandom allocates nothing and cannot be left half set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/id.h"

static int random_bytes(unsigned char *b, size_t n, struct mlops_err *err)
{
	while (n > 0) {
		ssize_t got = getrandom(b, n, 0);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return mlops_err_set(err, MLOPS_EINTERNAL, "cannot get "
					     "random bytes: %s",
					     strerror(errno));
		b += got;
		n -= (size_t)got;
	}
	return 0;
}

/* b as a version 4 UUID (its version and variant bits set here). */
static void format_uuid4(unsigned char b[16], char out[ID_UUID_LEN])
{
	static const char digits[] = "0123456789abcdef";
	char *o = out;

	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = digits[b[i] >> 4];
		*o++ = digits[b[i] & 15];
	}
	*o = '\0';
}

int id_uuid4(char out[ID_UUID_LEN], struct mlops_err *err)
{
	unsigned char b[16];
	int ret = random_bytes(b, sizeof(b), err);

	if (ret < 0)
		return ret;
	format_uuid4(b, out);
	return 0;
}

static _Thread_local uint64_t fast_state;

uint64_t id_fast_rand64(void)
{
	uint64_t x = fast_state;

	if (!x) {
		struct timespec ts;

		if (getrandom(&x, sizeof(x), GRND_NONBLOCK) != sizeof(x)) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			x = (uint64_t)ts.tv_nsec * 0x9E3779B97F4A7C15ULL ^
			    (uint64_t)ts.tv_sec;
		}
		x |= 1;		/* xorshift never leaves 0 */
	}
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	fast_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

void id_uuid4_fast(char out[ID_UUID_LEN])
{
	uint64_t a = id_fast_rand64(), b = id_fast_rand64();
	unsigned char bytes[16];

	memcpy(bytes, &a, 8);
	memcpy(bytes + 8, &b, 8);
	format_uuid4(bytes, out);
}

int id_random_hex(char *out, size_t n, struct mlops_err *err)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[64];
	int ret;

	while (n > 0) {
		size_t k = n > 2 * sizeof(b) ? sizeof(b) : (n + 1) / 2;

		if ((ret = random_bytes(b, k, err)) < 0) {
			*out = '\0';
			return ret;
		}
		for (size_t i = 0; i < k && n > 0; i++) {
			*out++ = digits[b[i] >> 4];
			if (--n > 0) {
				*out++ = digits[b[i] & 15];
				n--;
			}
		}
	}
	*out = '\0';
	return 0;
}
