/* object.h - content-addressed blobs in the store's objects/ folder.
 *
 * A blob is named by the SHA-256 of its uncompressed content and stored
 * zlib-compressed at objects/ab/cdef... (the first two hex digits are the
 * folder). Writes stream through a temporary file in tmp/ that is fsynced
 * and renamed into place, so a crash leaves no partial blob under its
 * name. Reads decompress, re-hash and fail on any mismatch: a corrupt
 * blob is an error, never silently wrong data. Memory use is bounded by
 * the chunk size, whatever the blob's size. Which blobs are live is the
 * object_ref table's job (store.h). */
#ifndef MLOPS_OBJECT_H
#define MLOPS_OBJECT_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/store.h"

/* Store everything readable from fd (name is for messages); the hash goes
 * to out and the content size to *size (size may be NULL). A blob that
 * already exists is not written again. */
int object_write_fd(struct store *st, int fd, const char *name,
		    char out[HASH_HEX_LEN + 1], uint64_t *size,
		    struct mlops_err *err);
int object_write_file(struct store *st, const char *path,
		      char out[HASH_HEX_LEN + 1], uint64_t *size,
		      struct mlops_err *err);
int object_write_mem(struct store *st, const void *data, size_t len,
		     char out[HASH_HEX_LEN + 1], struct mlops_err *err);

/* Stream the content of blob hash to fd, verifying it as it goes. The
 * mismatch of a corrupt blob is found at its end: whatever was written to
 * fd before then must be discarded by the caller (object_export_file
 * does that for files). MLOPS_ENOTFOUND when the blob is absent. */
int object_read_fd(struct store *st, const char *hash, int fd,
		   struct mlops_err *err);
/* Append the content to out; more than max bytes (0: no limit) fails. */
int object_read_mem(struct store *st, const char *hash, struct buf *out,
		    size_t max, struct mlops_err *err);
/* Write the content to path atomically, only once it is verified. */
int object_export_file(struct store *st, const char *hash, const char *path,
		       struct mlops_err *err);
/* Decompress and re-hash without output: 0 when intact. */
int object_verify(struct store *st, const char *hash, uint64_t *size,
		  struct mlops_err *err);

/* Pin the n blobs of hashes (written already) so that gc keeps them, in
 * one transaction audited as "object.put" of the one hash, or of
 * "N objects". */
int object_pin(struct store *st, const char (*hashes)[HASH_HEX_LEN + 1],
	       size_t n, struct mlops_err *err);

/* Call fn for each blob with its compressed bytes and the number of
 * references to it; fn returns non-zero to stop (that value is
 * returned). */
int object_list(struct store *st,
		int (*fn)(const char *hash, uint64_t bytes, int64_t refs,
			  void *arg),
		void *arg, struct mlops_err *err);

int object_exists(struct store *st, const char *hash);
/* The blob's file path; the caller frees. */
char *object_path(const struct store *st, const char *hash);

/* Call fn for each blob file under objects/ (hash, compressed bytes,
 * modification time in seconds). Names that are not blobs are passed with
 * hash NULL so that gc can remove stray temporary files. Stops when fn
 * returns non-zero and returns that. */
int object_each(struct store *st,
		int (*fn)(const char *hash, const char *path, uint64_t bytes,
			  int64_t mtime, void *arg),
		void *arg, struct mlops_err *err);

#endif
