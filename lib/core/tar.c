/* tar.c - writing ustar streams ourselves, so that an export is the
 * same bytes every time, and strictly reading any tar through libarchive;
 * see tar.h for what is accepted. Field offsets are those of
 * POSIX.1-1988 ustar. */
#include <errno.h>
#include <inttypes.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "core/fs.h"
#include "core/tar.h"
#include "core/xalloc.h"

enum {
	OFF_NAME = 0, LEN_NAME = 100,
	OFF_MODE = 100, OFF_UID = 108, OFF_GID = 116,
	OFF_SIZE = 124, LEN_SIZE = 12,
	OFF_MTIME = 136, LEN_MTIME = 12,
	OFF_CHKSUM = 148, LEN_CHKSUM = 8,
	OFF_TYPE = 156,
	OFF_LINK = 157,
	OFF_MAGIC = 257, OFF_VERSION = 263,
	OFF_PREFIX = 345, LEN_PREFIX = 155
};

static const unsigned char zero_block[TAR_BLOCK];

static unsigned checksum(const unsigned char *h)
{
	unsigned sum = 0;

	for (int i = 0; i < TAR_BLOCK; i++)
		sum += (i >= OFF_CHKSUM && i < OFF_CHKSUM + LEN_CHKSUM) ?
			' ' : h[i];
	return sum;
}

static void put_octal(unsigned char *field, size_t len, uint64_t v)
{
	/* len - 1 digits, zero-padded, then NUL. */
	char tmp[32];

	snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)(len - 1), v);
	memcpy(field, tmp, len - 1);
	field[len - 1] = '\0';
}

/* Split name into ustar's prefix and name fields; 0 or -1. */
static int split_name(const char *name, unsigned char *h)
{
	size_t n = strlen(name);
	const char *slash;

	if (n <= LEN_NAME) {
		memcpy(h + OFF_NAME, name, n);
		return 0;
	}
	/* The last '/' that leaves at most 100 bytes for the name. */
	for (slash = name + n - LEN_NAME - 1; *slash && *slash != '/'; slash++)
		;
	if (*slash != '/' || (size_t)(slash - name) > LEN_PREFIX ||
	    slash == name || !slash[1])
		return -1;
	memcpy(h + OFF_PREFIX, name, (size_t)(slash - name));
	memcpy(h + OFF_NAME, slash + 1, strlen(slash + 1));
	return 0;
}

static int write_bytes(struct tar_writer *w, const void *data, size_t len,
		       struct mlops_err *err)
{
	if (fs_write_all(w->fd, data, len) < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot write the tar stream");
	w->offset += len;
	return 0;
}

int tar_write_header(struct tar_writer *w, const char *name, uint64_t size,
		     int64_t mtime, struct mlops_err *err)
{
	unsigned char h[TAR_BLOCK] = { 0 };

	if (size > TAR_SIZE_MAX)
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is %" PRIu64
				     " bytes, more than a tar member holds",
				     name, size);
	if (!*name || split_name(name, h) < 0)
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is too long "
				     "for a tar member name", name);
	put_octal(h + OFF_MODE, 8, 0644);
	put_octal(h + OFF_UID, 8, 0);
	put_octal(h + OFF_GID, 8, 0);
	put_octal(h + OFF_SIZE, LEN_SIZE, size);
	put_octal(h + OFF_MTIME, LEN_MTIME, mtime < 0 ? 0 : (uint64_t)mtime);
	h[OFF_TYPE] = '0';
	memcpy(h + OFF_MAGIC, "ustar", 6);
	memcpy(h + OFF_VERSION, "00", 2);
	snprintf((char *)h + OFF_CHKSUM, LEN_CHKSUM, "%06o", checksum(h));
	h[OFF_CHKSUM + 7] = ' ';
	return write_bytes(w, h, sizeof(h), err);
}

int tar_write_data(struct tar_writer *w, const void *data, size_t len,
		   struct mlops_err *err)
{
	return write_bytes(w, data, len, err);
}

int tar_write_pad(struct tar_writer *w, uint64_t size,
		  struct mlops_err *err)
{
	size_t pad = (size_t)((TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK);

	return pad ? write_bytes(w, zero_block, pad, err) : 0;
}

int tar_write_mem(struct tar_writer *w, const char *name, const void *data,
		  size_t len, int64_t mtime, struct mlops_err *err)
{
	int ret = tar_write_header(w, name, len, mtime, err);

	if (ret == 0)
		ret = tar_write_data(w, data, len, err);
	if (ret == 0)
		ret = tar_write_pad(w, len, err);
	return ret;
}

int tar_write_end(struct tar_writer *w, struct mlops_err *err)
{
	int ret = write_bytes(w, zero_block, TAR_BLOCK, err);

	return ret ? ret : write_bytes(w, zero_block, TAR_BLOCK, err);
}

/* ---- reading ---- */

/* Each read of the stream asks for at most TAR_CHUNK bytes. At the end of
 * the archive libarchive has been handed at most one chunk and two blocks
 * beyond what it consumed; the tail ring keeps that much, so that those
 * bytes can be checked for trailing garbage. */
#define TAR_CHUNK (64 * 1024)
#define TAR_TAIL (TAR_CHUNK + 4 * TAR_BLOCK)

static la_ssize_t feed(struct archive *a, void *arg, const void **out)
{
	struct tar_reader *r = arg;
	ssize_t n;
	size_t at, first;

	if (r->eof)
		return 0;
	do
		n = read(r->fd, r->chunk, TAR_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		r->read_errno = errno;
		archive_set_error(a, errno, "cannot read %s", r->name);
		return -1;
	}
	if (n == 0)
		r->eof = 1;
	at = (size_t)(r->in % TAR_TAIL);
	first = TAR_TAIL - at < (size_t)n ? TAR_TAIL - at : (size_t)n;
	memcpy(r->tail + at, r->chunk, first);
	memcpy(r->tail, r->chunk + first, (size_t)n - first);
	r->in += (uint64_t)n;
	progress_add(r->progress, (uint64_t)n);
	*out = r->chunk;
	return n;
}

/* Bytes of the stream consumed so far. */
static uint64_t consumed(struct tar_reader *r)
{
	la_int64_t n = archive_filter_bytes(r->a, 0);

	return n < 0 ? 0 : (uint64_t)n;
}

static int bad(struct tar_reader *r, uint64_t at, struct mlops_err *err,
	       const char *why, const char *detail)
{
	return mlops_err_set(err, MLOPS_EINPUT, "%s: byte %" PRIu64 ": %s%s%s",
			     r->name, at, why, detail ? ": " : "",
			     detail ? detail : "");
}

/* libarchive refused the stream at byte at (of the header it was
 * reading, or where it stopped): say why in our words where we can. */
static int failed(struct tar_reader *r, uint64_t at, struct mlops_err *err)
{
	const char *why = archive_error_string(r->a);

	if (r->read_errno)
		return mlops_err_errno(err, MLOPS_EINTERNAL, r->read_errno,
				       "cannot read %s", r->name);
	if (r->eof && !r->in)
		return bad(r, 0, err, "empty stream", NULL);
	/* It asked for more than the stream held. */
	if (r->eof)
		return bad(r, r->in, err, "truncated tar stream", why);
	return bad(r, at, err, r->started ? "damaged tar stream" :
		   "not a tar archive", why);
}

/* libarchive converts the names it reads to the charset of the locale,
 * and fails on a UTF-8 pax name (how tar tools write names that are not
 * ASCII) in the C locale programs start in. The reader's calls run in
 * C.UTF-8 instead, for this thread only: the program's locale is not
 * libarchive's to change. */
static locale_t enter(const struct tar_reader *r)
{
	return r->utf8 ? uselocale(r->utf8) : (locale_t)0;
}

static void leave(locale_t old)
{
	if (old)
		uselocale(old);
}

static int start_reading(struct tar_reader *r, struct mlops_err *err)
{
	r->a = archive_read_new();
	if (!r->a)
		return mlops_err_set(err, MLOPS_EINTERNAL, "cannot start "
				     "reading %s: out of memory", r->name);
	/* Tar alone, in all its dialects; no decompression filters: a
	 * stream is read as it is, or refused. */
	if (archive_read_support_format_tar(r->a) != ARCHIVE_OK)
		return mlops_err_set(err, MLOPS_EINTERNAL, "cannot start "
				     "reading %s: %s", r->name,
				     archive_error_string(r->a));
	/* Opening reads the first header to recognise the format. */
	if (archive_read_open(r->a, r, NULL, feed, NULL) != ARCHIVE_OK)
		return failed(r, 0, err);
	return 0;
}

int tar_reader_open(struct tar_reader *r, int fd, const char *name,
		    struct mlops_err *err)
{
	locale_t old;
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
	r->chunk = xmalloc(TAR_CHUNK);
	r->tail = xmalloc(TAR_TAIL);
	r->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	old = enter(r);
	ret = start_reading(r, err);
	leave(old);
	return ret;
}

void tar_reader_release(struct tar_reader *r)
{
	if (r->a)
		archive_read_free(r->a);
	if (r->utf8)
		freelocale(r->utf8);
	free(r->chunk);
	free(r->tail);
	memset(r, 0, sizeof(*r));
}

/* A relative path of plain components. */
static const char *unsafe_name(const char *name)
{
	const char *p = name;

	if (!*name)
		return "empty name";
	if (*name == '/')
		return "absolute path";
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 0)
			return "empty path component";
		if ((n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return "'.' or '..' in the path";
		p += n;
		if (*p == '/')
			p++;
	}
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == '\\')
			return "control character or backslash in the name";
	return NULL;
}

/* Why a member of this type is refused, or NULL for a regular file or a
 * directory. */
static const char *refused_type(struct archive_entry *e)
{
	if (archive_entry_hardlink(e))
		return "hard link";
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return archive_entry_sparse_count(e) > 0 ? "sparse file" :
			NULL;
	case AE_IFDIR:
		return NULL;
	case AE_IFLNK:
		return "symbolic link";
	case AE_IFCHR:
		return "character device";
	case AE_IFBLK:
		return "block device";
	case AE_IFIFO:
		return "FIFO";
	case AE_IFSOCK:
		return "socket";
	default:
		return "unknown member type";
	}
}

/* libarchive has met the end of the archive having consumed the stream
 * up to end, from start before the end-of-archive header. It accepts one
 * zero block, or none, as the end; we want two, then only zeros to the
 * end of the stream (tar pads its output to whole records). */
static int read_end(struct tar_reader *r, uint64_t start,
		    struct mlops_err *err)
{
	uint64_t end = consumed(r);
	ssize_t n;

	if (end - start < 2 * TAR_BLOCK)
		return bad(r, start, err, "the archive does not end with two "
			   "zero blocks", NULL);
	if (r->in - end > TAR_TAIL)
		return mlops_err_set(err, MLOPS_EINTERNAL, "%s: cannot check "
				     "the end of the archive", r->name);
	for (uint64_t at = end; at < r->in; at++)
		if (r->tail[at % TAR_TAIL])
			return bad(r, at, err, "data after the end of the "
				   "archive", NULL);
	while (!r->eof) {
		do
			n = read(r->fd, r->chunk, TAR_CHUNK);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					       "cannot read %s", r->name);
		if (n == 0)
			r->eof = 1;
		for (ssize_t i = 0; i < n; i++)
			if (r->chunk[i])
				return bad(r, r->in + (uint64_t)i, err, "data "
					   "after the end of the archive",
					   NULL);
		r->in += (uint64_t)n;
	}
	return 0;
}

static int next_member(struct tar_reader *r, struct tar_member *m,
		       struct mlops_err *err)
{
	struct archive_entry *e;
	const char *name, *why;
	uint64_t start, at;
	size_t len;
	int rc;

	/* Skip the rest of the member and its padding first, so that the
	 * end-of-archive header starts where consumed() says. */
	if (r->started && archive_read_data_skip(r->a) != ARCHIVE_OK)
		return failed(r, consumed(r), err);
	start = consumed(r);
	rc = archive_read_next_header(r->a, &e);
	if (rc == ARCHIVE_EOF)
		return read_end(r, start, err);
	/* A warning too: an unreadable pax record or name is no archive
	 * we could trust. */
	if (rc != ARCHIVE_OK)
		return failed(r, start, err);
	r->started = 1;
	at = (uint64_t)archive_read_header_position(r->a);
	if ((why = refused_type(e)) != NULL)
		return bad(r, at, err, "refused member type", why);
	name = archive_entry_pathname(e);
	if (!name)
		name = archive_entry_pathname_utf8(e);
	if (!name)
		return bad(r, at, err, "unsafe member name", "unreadable");
	len = strlen(name);
	if (archive_entry_filetype(e) == AE_IFDIR && len > 1 &&
	    name[len - 1] == '/')
		len--;
	if (len > TAR_NAME_MAX)
		return bad(r, at, err, "unsafe member name", "longer than "
			   "256 bytes");
	memset(m, 0, sizeof(*m));
	memcpy(m->name, name, len);
	if ((why = unsafe_name(m->name)) != NULL)
		return bad(r, at, err, "unsafe member name", why);
	if (archive_entry_size(e) < 0)
		return bad(r, at, err, "malformed size field", NULL);
	m->dir = archive_entry_filetype(e) == AE_IFDIR;
	m->size = m->dir ? 0 : (uint64_t)archive_entry_size(e);
	m->mtime = archive_entry_mtime(e);
	return 1;
}

int tar_next(struct tar_reader *r, struct tar_member *m,
	     struct mlops_err *err)
{
	locale_t old = enter(r);
	int ret = next_member(r, m, err);

	leave(old);
	return ret;
}

int64_t tar_read(struct tar_reader *r, void *data, size_t len,
		 struct mlops_err *err)
{
	locale_t old = enter(r);
	la_ssize_t n = archive_read_data(r->a, data, len);

	leave(old);
	/* A member cut short is an error, never a short count. */
	if (n < 0)
		return failed(r, consumed(r), err);
	return (int64_t)n;
}
