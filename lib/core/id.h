/* id.h - random identifiers: UUIDs for events and short run IDs. */
#ifndef MLOPS_ID_H
#define MLOPS_ID_H
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"

#define ID_UUID_LEN 37

/* A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".
 * MLOPS_EINTERNAL when the random generator fails. */
int id_uuid4(char out[ID_UUID_LEN], struct mlops_err *err);
/* A version 4 UUID for a record that needs a unique name, not a secret:
 * from this thread's generator (seeded from the kernel once per thread),
 * with no system call per id, for the gateway's per-request ids. */
void id_uuid4_fast(char out[ID_UUID_LEN]);
/* The next 64 bits of that generator (xorshift64*): for sampling. */
uint64_t id_fast_rand64(void);
/* n random lowercase hex digits (n < size), NUL-terminated.
 * MLOPS_EINTERNAL when the random generator fails. */
int id_random_hex(char *out, size_t n, struct mlops_err *err);

#endif
