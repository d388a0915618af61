/* copy.h - copying a file into a store as blobs are written: into a
 * temporary file, fsynced, renamed over its name, hashed on the way, so
 * that a reader (or a sync killed half way) sees the whole file or none. */
#ifndef MLOPS_COPY_H
#define MLOPS_COPY_H
#include <stdint.h>
#include "core/err.h"
#include "core/hash.h"

/* Copy the file src to dst (its folders made if missing), through a
 * temporary file in tmpdir (on dst's file system). hash gets the SHA-256
 * of what was copied and *bytes its size. A missing src is
 * MLOPS_ENOTFOUND; nothing is left at dst or in tmpdir on failure. */
int copy_file(const char *src, const char *dst, const char *tmpdir,
	      char hash[HASH_HEX_LEN + 1], uint64_t *bytes,
	      struct mlops_err *err);

/* The SHA-256 and size of the file at path. */
int copy_hash(const char *path, char hash[HASH_HEX_LEN + 1],
	      uint64_t *bytes, struct mlops_err *err);
#endif
