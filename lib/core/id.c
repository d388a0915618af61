/* id.c - random identifiers from the kernel's CSPRNG (getrandom(2)).
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

int id_uuid4(char out[ID_UUID_LEN], struct mlops_err *err)
{
	unsigned char b[16];
	int ret = random_bytes(b, sizeof(b), err);

	if (ret < 0)
		return ret;
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, ID_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
	return 0;
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
