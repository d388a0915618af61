/* hash.h - SHA-256 through OpenSSL's EVP interface, in hex. */
#ifndef MLOPS_HASH_H
#define MLOPS_HASH_H
#include <stddef.h>

#define HASH_HEX_LEN 64

struct hash_ctx;

/* Set up OpenSSL and fetch SHA-256 once, exiting 70 when that cannot be
 * done. Programs call it first thing (cli_main_or): it routes OpenSSL's
 * allocations through functions that exit 70 on failure, since OpenSSL
 * setting itself up dereferences NULL after a failed allocation (found by
 * tests/fault). */
void hash_init(void);

/* Start a digest; never NULL (exits 70 through xalloc_die() when OpenSSL
 * cannot allocate). */
struct hash_ctx *hash_begin(void);
void hash_update(struct hash_ctx *h, const void *data, size_t len);
/* Finish into hex (HASH_HEX_LEN + 1 bytes) and free h. */
void hash_end(struct hash_ctx *h, char hex[HASH_HEX_LEN + 1]);
/* One call for data in memory. */
void hash_hex(const void *data, size_t len, char hex[HASH_HEX_LEN + 1]);
/* 1 when s is 64 lowercase hex digits. */
int hash_is_valid(const char *s);
/* Constant-time comparison of n bytes: 1 when equal. */
int hash_equal_ct(const void *a, const void *b, size_t n);

#endif
