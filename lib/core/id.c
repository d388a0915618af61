/* id.c - random identifiers from OpenSSL's CSPRNG. */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/rand.h>

#include "core/id.h"

static void random_bytes(unsigned char *b, size_t n)
{
	if (RAND_bytes(b, (int)n) != 1) {
		fprintf(stderr, "mlops: cannot get random bytes\n");
		exit(70);
	}
}

void id_uuid4(char out[ID_UUID_LEN])
{
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, ID_UUID_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4],
		 b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void id_random_hex(char *out, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char b[64];

	while (n > 0) {
		size_t k = n > 2 * sizeof(b) ? sizeof(b) : (n + 1) / 2;

		random_bytes(b, k);
		for (size_t i = 0; i < k && n > 0; i++) {
			*out++ = digits[b[i] >> 4];
			if (--n > 0) {
				*out++ = digits[b[i] & 15];
				n--;
			}
		}
	}
	*out = '\0';
}
