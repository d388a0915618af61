/* tarball.c - writing and strictly reading ustar streams; see tarball.h
 * for what is accepted. Field offsets are those of POSIX.1-1988 ustar. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "tarball.h"

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
	if (write_all(w->fd, data, len) < 0)
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

void tar_reader_init(struct tar_reader *r, int fd, const char *name)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	r->name = name;
}

static int bad(struct tar_reader *r, uint64_t at, struct mlops_err *err,
	       const char *why, const char *detail)
{
	return mlops_err_set(err, MLOPS_EINPUT, "%s: byte %" PRIu64 ": %s%s%s",
			     r->name, at, why, detail ? ": " : "",
			     detail ? detail : "");
}

/* Read up to len bytes; fewer only at the end of the stream. */
static int64_t read_some(struct tar_reader *r, void *data, size_t len,
			 struct mlops_err *err)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(r->fd, (char *)data + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					       "cannot read %s", r->name);
		if (n == 0)
			break;
		got += (size_t)n;
	}
	r->offset += got;
	return (int64_t)got;
}

static int read_exact(struct tar_reader *r, void *data, size_t len,
		      struct mlops_err *err)
{
	uint64_t at = r->offset;
	int64_t n = read_some(r, data, len, err);

	if (n < 0)
		return (int)n;
	if ((size_t)n < len)
		return bad(r, at + (uint64_t)n, err, "truncated tar stream",
			   NULL);
	return 0;
}

static int skip(struct tar_reader *r, uint64_t n, struct mlops_err *err)
{
	unsigned char chunk[16 * TAR_BLOCK];

	while (n) {
		size_t part = n < sizeof(chunk) ? (size_t)n : sizeof(chunk);
		int ret = read_exact(r, chunk, part, err);

		if (ret < 0)
			return ret;
		n -= part;
	}
	return 0;
}

/* A numeric field: octal digits, optionally led by spaces and ended by
 * NUL or space. Base-256 and anything else are refused. */
static int parse_octal(const unsigned char *f, size_t len, uint64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;
	int digits = 0;

	while (i < len && f[i] == ' ')
		i++;
	for (; i < len && f[i] >= '0' && f[i] <= '7'; i++, digits++) {
		if (v > (UINT64_MAX >> 3))
			return -1;
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	for (; i < len; i++)
		if (f[i] != '\0' && f[i] != ' ')
			return -1;
	if (!digits)
		return -1;
	*out = v;
	return 0;
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

static const char *type_name(unsigned char t)
{
	switch (t) {
	case '1': return "hard link";
	case '2': return "symbolic link";
	case '3': return "character device";
	case '4': return "block device";
	case '5': return "directory";
	case '6': return "FIFO";
	case '7': return "contiguous file";
	case 'x': case 'g': return "pax extended header";
	case 'L': case 'K': return "GNU long name";
	default: return "unknown member type";
	}
}

/* After the first zero block: a second one, then only zeros or EOF. */
static int read_end(struct tar_reader *r, struct mlops_err *err)
{
	unsigned char block[TAR_BLOCK];
	uint64_t at = r->offset;
	int64_t n = read_some(r, block, sizeof(block), err);

	if (n < 0)
		return (int)n;
	if (n < TAR_BLOCK || memcmp(block, zero_block, TAR_BLOCK) != 0)
		return bad(r, at, err, "the archive does not end with two "
			   "zero blocks", NULL);
	for (;;) {
		at = r->offset;
		n = read_some(r, block, sizeof(block), err);
		if (n <= 0)
			return (int)n;
		for (int64_t i = 0; i < n; i++)
			if (block[i])
				return bad(r, at + (uint64_t)i, err, "data after "
					   "the end of the archive", NULL);
	}
}

int tar_next(struct tar_reader *r, struct tar_member *m,
	     struct mlops_err *err)
{
	unsigned char h[TAR_BLOCK];
	uint64_t at, sum, size, mtime;
	const char *why;
	size_t plen, nlen;
	int ret = skip(r, r->left + r->pad, err);

	r->left = r->pad = 0;
	if (ret < 0)
		return ret;
	at = r->offset;
	if ((ret = read_exact(r, h, sizeof(h), err)) < 0)
		return ret;
	if (memcmp(h, zero_block, TAR_BLOCK) == 0)
		return read_end(r, err);
	if (memcmp(h + OFF_MAGIC, "ustar", 6) != 0 ||
	    memcmp(h + OFF_VERSION, "00", 2) != 0)
		return bad(r, at, err, "not a POSIX ustar header", NULL);
	if (parse_octal(h + OFF_CHKSUM, LEN_CHKSUM, &sum) < 0 ||
	    sum != checksum(h))
		return bad(r, at, err, "header checksum mismatch", NULL);
	if (h[OFF_TYPE] != '0' && h[OFF_TYPE] != '\0')
		return bad(r, at, err, "refused member type",
			   type_name(h[OFF_TYPE]));
	if (parse_octal(h + OFF_SIZE, LEN_SIZE, &size) < 0 ||
	    parse_octal(h + OFF_MTIME, LEN_MTIME, &mtime) < 0)
		return bad(r, at, err, "malformed size or time field", NULL);
	plen = strnlen((const char *)h + OFF_PREFIX, LEN_PREFIX);
	nlen = strnlen((const char *)h + OFF_NAME, LEN_NAME);
	memset(m, 0, sizeof(*m));
	memcpy(m->name, h + OFF_PREFIX, plen);
	if (plen)
		m->name[plen++] = '/';
	memcpy(m->name + plen, h + OFF_NAME, nlen);
	if ((why = unsafe_name(m->name)) != NULL)
		return bad(r, at, err, "unsafe member name", why);
	m->size = size;
	m->mtime = (int64_t)(mtime > INT64_MAX ? INT64_MAX : mtime);
	r->left = size;
	r->pad = (TAR_BLOCK - size % TAR_BLOCK) % TAR_BLOCK;
	return 1;
}

int64_t tar_read(struct tar_reader *r, void *data, size_t len,
		 struct mlops_err *err)
{
	size_t part = r->left < len ? (size_t)r->left : len;
	int ret;

	if (!part)
		return 0;
	ret = read_exact(r, data, part, err);
	if (ret < 0)
		return ret;
	r->left -= part;
	return (int64_t)part;
}
