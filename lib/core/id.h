/* id.h - random identifiers: UUIDs for events and short run IDs. */
#ifndef MLOPS_ID_H
#define MLOPS_ID_H
#include <stddef.h>

#define ID_UUID_LEN 37

/* A random (version 4) UUID, "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx". */
void id_uuid4(char out[ID_UUID_LEN]);
/* n random lowercase hex digits (n < size), NUL-terminated. */
void id_random_hex(char *out, size_t n);

#endif
