/* extsort.h - sorting more records than fit in memory.
 *
 * A record is a sort key and a payload. The key is compared in the order
 * (k0, key bytes, k1, k2): k0 first as an unsigned integer (the common
 * case decides there, without touching the record), then the key bytes
 * with memcmp (shorter first on a common prefix), then k1 and k2. The
 * payload is carried along, never compared. Records with equal keys come
 * out in an unspecified order: make keys unique when it matters.
 *
 * Records collect in memory up to a byte budget; a full buffer is sorted
 * (radix sort on k0, then the rest within runs of equal k0) and written
 * to an unlinked temporary file as a sorted run; at the end the runs are
 * merged through a heap. Memory stays near the budget whatever the
 * input size. Input that fits is never written anywhere.
 *
 * A run on disk is a sequence of records, each a struct extsort_rec
 * header in host byte order (32 bytes) followed by its keylen + datalen
 * bytes, unpadded. A caller may hand over a file it sorted earlier in
 * that format (extsort_add_run), and it is merged with the rest. */
#ifndef MLOPS_EXTSORT_H
#define MLOPS_EXTSORT_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/err.h"

struct extsort;

struct extsort_rec {
	uint64_t k0, k1, k2;
	uint32_t keylen;	/* bytes of key at data[0] */
	uint32_t datalen;	/* payload bytes at data[keylen] */
	char data[];
};

/* A sorter spilling to files in tmpdir, keeping about budget bytes of
 * records in memory. */
struct extsort *extsort_new(const char *tmpdir, size_t budget);
/* Free everything, removing temporary files; NULL is fine. */
void extsort_free(struct extsort *s);

/* Add a record (key and data are copied). May write a run: 0 or a
 * negative code. Not allowed after extsort_finish. */
int extsort_add(struct extsort *s, uint64_t k0, const void *key,
		size_t keylen, uint64_t k1, uint64_t k2, const void *data,
		size_t datalen, struct mlops_err *err);

/* Merge the records of file fd from offset start up to offset end (-1:
 * its end), a sorted run in the format above, with everything else.
 * Takes fd (closed by extsort_free). Not allowed after extsort_finish. */
int extsort_add_run(struct extsort *s, int fd, long long start,
		    long long end, struct mlops_err *err);

/* Write rec to f in the run format: 0, or -1 with errno set. */
int extsort_write_rec(FILE *f, const struct extsort_rec *rec);

/* Sort what was added and get ready for extsort_next. */
int extsort_finish(struct extsort *s, struct mlops_err *err);
/* The next record in order in *out (borrowed until the next call): 1, 0
 * at the end, or a negative code. */
int extsort_next(struct extsort *s, const struct extsort_rec **out,
		 struct mlops_err *err);

/* At n runs on disk (default 128, at least 2), merge them into one
 * before going on: bounds open files and merge buffers. For tests. */
void extsort_set_max_runs(struct extsort *s, size_t n);

/* How many sorted runs went to disk (0 when everything fitted). */
size_t extsort_runs(const struct extsort *s);

/* The key comparison described above: <0, 0 or >0. */
int extsort_rec_cmp(const struct extsort_rec *a, const struct extsort_rec *b);

#endif
