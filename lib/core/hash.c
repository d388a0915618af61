/* hash.c - SHA-256 hex digests via OpenSSL libcrypto. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "core/hash.h"
#include "core/xalloc.h"

struct hash_ctx {
	EVP_MD_CTX *md;
};

/* SHA-256 of the default provider, fetched once by hash_init. */
static EVP_MD *sha256;

/* OpenSSL 3 does not survive a failed allocation while it sets itself up
 * (it goes on with a NULL lock and dies by SIGSEGV later), so its
 * allocations end like ours: exit 70 through xalloc_die(). */
static void *ossl_malloc(size_t n, const char *file, int line)
{
	void *p = malloc(n);

	(void)file;
	(void)line;
	if (!p && n)
		xalloc_die("OpenSSL cannot allocate");
	return p;
}

static void *ossl_realloc(void *old, size_t n, const char *file, int line)
{
	void *p = realloc(old, n);

	(void)file;
	(void)line;
	if (!p && n)
		xalloc_die("OpenSSL cannot allocate");
	return p;
}

static void ossl_free(void *p, const char *file, int line)
{
	(void)file;
	(void)line;
	free(p);
}

void hash_init(void)
{
	if (sha256)
		return;
	/* Refused once OpenSSL has allocated (a library set it up first);
	 * then its own allocator stays. */
	CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free);
	if (OPENSSL_init_crypto(0, NULL) != 1 ||
	    !(sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)))
		xalloc_die("cannot set up OpenSSL's SHA-256");
}

struct hash_ctx *hash_begin(void)
{
	struct hash_ctx *h = xmalloc(sizeof(*h));

	/* SHA-256 is built into libcrypto's default provider: starting a
	 * digest fails only when OpenSSL cannot allocate its context, so it
	 * ends like any other allocation failure. */
	hash_init();
	if (!(h->md = EVP_MD_CTX_new()) ||
	    EVP_DigestInit_ex(h->md, sha256, NULL) != 1)
		xalloc_die("cannot start a SHA-256 digest");
	return h;
}

void hash_update(struct hash_ctx *h, const void *data, size_t len)
{
	if (len)
		EVP_DigestUpdate(h->md, data, len);
}

void hash_end(struct hash_ctx *h, char hex[HASH_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	EVP_DigestFinal_ex(h->md, md, &n);
	for (unsigned int i = 0; i < n && i < HASH_HEX_LEN / 2; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[HASH_HEX_LEN] = '\0';
	EVP_MD_CTX_free(h->md);
	free(h);
}

void hash_hex(const void *data, size_t len, char hex[HASH_HEX_LEN + 1])
{
	struct hash_ctx *h = hash_begin();

	hash_update(h, data, len);
	hash_end(h, hex);
}

int hash_is_valid(const char *s)
{
	size_t i;

	for (i = 0; i < HASH_HEX_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
		      (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return s[i] == '\0';
}

int hash_equal_ct(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
