/* tar.h - tar streams: a writer for the few regular files of an
 * export (deterministic POSIX ustar), and a strict reader for untrusted
 * input built on libarchive.
 *
 * The writer emits only regular files (mode 0644, uid/gid 0, names split
 * into prefix/name when longer than 100 bytes) and ends with two zero
 * blocks. The reader takes what any tar tool writes of such files: ustar,
 * pax (POSIX.1-2001), GNU and v7 headers, parsed by libarchive, with
 * directory entries passed to the caller to judge. It refuses links,
 * devices, FIFOs, sockets and sparse files, names that are absolute, hold
 * "." or ".." or empty components, control characters or backslashes, a
 * stream that is not tar, is damaged or ends early, that lacks the two
 * zero blocks of the end, or holds anything but zeros after them. Every
 * refusal is MLOPS_EINPUT naming the stream, the byte offset and why. */
#ifndef MLOPS_TAR_H
#define MLOPS_TAR_H
#include <locale.h>
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "core/progress.h"

#define TAR_BLOCK 512
#define TAR_NAME_MAX 256	/* prefix (155) + '/' + name (100) */
/* Largest member an 11-digit octal size field holds: 8 GiB - 1. */
#define TAR_SIZE_MAX ((UINT64_C(1) << 33) - 1)

struct tar_writer {
	int fd;
	uint64_t offset;	/* bytes written so far */
};

/* Write a header for a regular file of size bytes; the caller then writes
 * exactly size bytes (tar_write_data, or straight to fd adding to
 * offset) and calls tar_write_pad. MLOPS_EUSAGE for a name that does not
 * fit or a size beyond TAR_SIZE_MAX. */
int tar_write_header(struct tar_writer *w, const char *name, uint64_t size,
		     int64_t mtime, struct mlops_err *err);
int tar_write_data(struct tar_writer *w, const void *data, size_t len,
		   struct mlops_err *err);
/* Pad the member of size bytes just written to a whole block. */
int tar_write_pad(struct tar_writer *w, uint64_t size,
		  struct mlops_err *err);
/* Header, data and padding for content held in memory. */
int tar_write_mem(struct tar_writer *w, const char *name, const void *data,
		  size_t len, int64_t mtime, struct mlops_err *err);
/* The two zero blocks that end the archive. */
int tar_write_end(struct tar_writer *w, struct mlops_err *err);

struct archive;

/* A reader of one stream. Its fields are the reader's own. */
struct tar_reader {
	struct archive *a;	/* libarchive's reader */
	int fd;
	const char *name;	/* the stream, for messages */
	int eof;		/* fd has given end of file */
	int read_errno;		/* why reading fd failed, or 0 */
	int started;		/* a header has been read */
	uint64_t in;		/* bytes handed to libarchive */
	unsigned char *chunk;	/* what each read of fd fills */
	unsigned char *tail;	/* the last bytes handed, at offset % size */
	locale_t utf8;		/* C.UTF-8 for libarchive's calls, or 0 */
	struct progress *progress;	/* told the bytes read, or NULL;
					 * set after tar_reader_open */
};

struct tar_member {
	char name[TAR_NAME_MAX + 1];	/* without a directory's '/' */
	int dir;		/* a directory entry: no data */
	uint64_t size;
	int64_t mtime;
};

/* Start reading fd; name is for messages. Release r with
 * tar_reader_release whatever this returns. */
int tar_reader_open(struct tar_reader *r, int fd, const char *name,
		    struct mlops_err *err);
void tar_reader_release(struct tar_reader *r);
/* Move to the next member, skipping what is left of the current one.
 * Returns 1 with *m filled, 0 at a proper end of the archive (which is
 * then checked to the end of the stream), or a negative code. */
int tar_next(struct tar_reader *r, struct tar_member *m,
	     struct mlops_err *err);
/* Read up to len bytes of the current member's data into data; returns
 * the count (0 at the member's end) or a negative code (a stream cut
 * short is MLOPS_EINPUT). */
int64_t tar_read(struct tar_reader *r, void *data, size_t len,
		 struct mlops_err *err);

#endif
