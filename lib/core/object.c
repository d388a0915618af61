/* object.c - content-addressed, zlib-compressed, verified blobs; see
 * object.h for the layout and the guarantees. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "core/audit.h"
#include "core/fs.h"
#include "core/object.h"
#include "core/xalloc.h"

#define CHUNK (256 * 1024)

char *object_path(const struct store *st, const char *hash)
{
	return xasprintf("%s/objects/%.2s/%s", st->dir, hash, hash + 2);
}

int object_pin(struct store *st, const char (*hashes)[HASH_HEX_LEN + 1],
	       size_t n, struct mlops_err *err)
{
	char *resource = n == 1 ? xstrdup(hashes[0]) :
		xasprintf("%zu objects", n);
	struct audit_entry e = { "object.put", resource, "success", NULL };
	int ret = audit_intend(st, e.action, resource, err);

	if (ret == 0)
		ret = store_begin(st, err);
	for (size_t i = 0; i < n && ret == 0; i++)
		ret = store_ref_add(st, hashes[i], "pin", err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	ret = audit_done(st, ret, &e, err);
	free(resource);
	return ret;
}

struct list_state {
	int (*fn)(const char *hash, uint64_t bytes, int64_t refs, void *arg);
	void *arg;
	sqlite3_stmt *refs;
	struct mlops_err *err;
};

static int list_one(const char *hash, const char *path, uint64_t bytes,
		    int64_t mtime, void *arg)
{
	struct list_state *ls = arg;
	int64_t refs = 0;
	int ret;

	(void)path;
	(void)mtime;
	if (!hash)
		return 0;
	sqlite3_reset(ls->refs);
	sqlite3_bind_text(ls->refs, 1, hash, -1, SQLITE_STATIC);
	ret = store_step(ls->refs, "cannot count references to a blob",
			 ls->err);
	if (ret < 0)
		return ret;
	if (ret == 1)
		refs = sqlite3_column_int64(ls->refs, 0);
	return ls->fn(hash, bytes, refs, ls->arg);
}

int object_list(struct store *st,
		int (*fn)(const char *hash, uint64_t bytes, int64_t refs,
			  void *arg),
		void *arg, struct mlops_err *err)
{
	struct list_state ls = { fn, arg, NULL, err };
	int ret = store_prepare(st, &ls.refs, "SELECT count(*) FROM "
				"object_ref WHERE hash = ?1", err);

	if (ret == 0)
		ret = object_each(st, list_one, &ls, err);
	sqlite3_finalize(ls.refs);
	return ret;
}

/* A blob is a regular file: a symlink or anything else in its place
 * (planted in the store) is no blob, whatever it points to. */
static int is_blob_file(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

int object_exists(struct store *st, const char *hash)
{
	char *path;
	int yes;

	if (!hash_is_valid(hash))
		return 0;
	path = object_path(st, hash);
	yes = is_blob_file(path);
	free(path);
	return yes;
}

/* Move the finished temporary file into place under its hash. */
static int install(struct store *st, int fd, const char *tmp,
		   const char *hash, struct mlops_err *err)
{
	char *path = object_path(st, hash);
	char *dir = fs_path_dirname(path);
	int ret = 0;

	if (is_blob_file(path)) {
		close(fd);
		unlink(tmp);
	} else {
		ret = fs_mkdir_p(dir, err);
		if (ret == 0)
			ret = fs_tmpfile_commit(fd, tmp, path, err);
		else {
			close(fd);
			unlink(tmp);
		}
	}
	free(dir);
	free(path);
	return ret;
}

/* Compress and hash from a reader callback into a temporary file. */
struct source {
	int fd;
	const char *data;
	size_t len, pos;
};

static ssize_t source_read(struct source *src, void *dst, size_t n)
{
	ssize_t got;

	if (src->fd < 0) {
		size_t left = src->len - src->pos;

		if (n > left)
			n = left;
		memcpy(dst, src->data + src->pos, n);
		src->pos += n;
		return (ssize_t)n;
	}
	do {
		got = read(src->fd, dst, n);
	} while (got < 0 && errno == EINTR);
	return got;
}

static int write_from(struct store *st, struct source *src, const char *name,
		      char out[HASH_HEX_LEN + 1], uint64_t *size,
		      struct mlops_err *err)
{
	unsigned char *in = xmalloc(CHUNK), *zout = xmalloc(CHUNK);
	struct hash_ctx *h = hash_begin();
	char *tmpdir = store_path(st, "tmp");
	char *tmp = NULL;
	uint64_t total = 0;
	z_stream z = { 0 };
	int fd = -1, ret = 0, flush = Z_NO_FLUSH;
	char hex[HASH_HEX_LEN + 1];

	if (deflateInit(&z, Z_BEST_SPEED) != Z_OK) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL,
				    "cannot initialise zlib");
		goto out;
	}
	fd = fs_tmpfile_open(tmpdir, "object", &tmp, err);
	if (fd < 0) {
		ret = fd;
		goto out;
	}
	while (flush != Z_FINISH) {
		ssize_t n = source_read(src, in, CHUNK);

		if (n < 0) {
			ret = mlops_err_errno(err, MLOPS_EINPUT, errno,
					      "cannot read '%s'", name);
			goto out;
		}
		hash_update(h, in, (size_t)n);
		total += (uint64_t)n;
		progress_add_bytes(st->progress, (uint64_t)n);
		flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
		z.next_in = in;
		z.avail_in = (uInt)n;
		do {
			z.next_out = zout;
			z.avail_out = CHUNK;
			deflate(&z, flush);
			if (fs_write_all(fd, zout, CHUNK - z.avail_out) < 0) {
				ret = mlops_err_errno(err, MLOPS_EINTERNAL,
						      errno, "cannot write "
						      "'%s'", tmp);
				goto out;
			}
		} while (z.avail_out == 0);
	}
	hash_end(h, hex);
	h = NULL;
	ret = install(st, fd, tmp, hex, err);
	fd = -1;
	if (ret == 0) {
		memcpy(out, hex, sizeof(hex));
		if (size)
			*size = total;
	}
out:
	if (h)
		hash_end(h, hex);
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	deflateEnd(&z);
	free(tmp);
	free(tmpdir);
	free(in);
	free(zout);
	return ret;
}

int object_write_fd(struct store *st, int fd, const char *name,
		    char out[HASH_HEX_LEN + 1], uint64_t *size,
		    struct mlops_err *err)
{
	struct source src = { fd, NULL, 0, 0 };

	return write_from(st, &src, name, out, size, err);
}

int object_write_file(struct store *st, const char *path,
		      char out[HASH_HEX_LEN + 1], uint64_t *size,
		      struct mlops_err *err)
{
	int fd = fs_open_input(path, err);
	int ret;

	if (fd < 0)
		return fd;
	ret = object_write_fd(st, fd, path, out, size, err);
	close(fd);
	return ret;
}

int object_write_mem(struct store *st, const void *data, size_t len,
		     char out[HASH_HEX_LEN + 1], struct mlops_err *err)
{
	struct source src = { -1, data, len, 0 };

	return write_from(st, &src, "<memory>", out, NULL, err);
}

/* Where decompressed content goes: a file descriptor, a buffer, or
 * nowhere (verification only). */
struct sink {
	int fd;
	struct buf *buf;
	size_t max;
};

static int read_into(struct store *st, const char *hash, struct sink *sink,
		     uint64_t *size, struct mlops_err *err)
{
	unsigned char *in = NULL, *zout = NULL;
	struct hash_ctx *h = NULL;
	char *path;
	char hex[HASH_HEX_LEN + 1];
	uint64_t total = 0;
	z_stream z = { 0 };
	int fd, zret = Z_OK, ret = 0;

	if (!hash_is_valid(hash))
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "'%s' is not an object hash (64 lowercase "
				     "hex digits)", hash);
	path = object_path(st, hash);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = errno == ENOENT ?
			mlops_err_set(err, MLOPS_ENOTFOUND,
				      "object %s not found", hash) :
			mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					"cannot open '%s'", path);
		free(path);
		return ret;
	}
	if (inflateInit(&z) != Z_OK) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL,
				    "cannot initialise zlib");
		goto out;
	}
	in = xmalloc(CHUNK);
	zout = xmalloc(CHUNK);
	h = hash_begin();
	while (zret != Z_STREAM_END) {
		ssize_t n = read(fd, in, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot read '%s'", path);
			goto out;
		}
		if (n == 0)
			break;		/* truncated: caught below */
		z.next_in = in;
		z.avail_in = (uInt)n;
		while (z.avail_in > 0 && zret != Z_STREAM_END) {
			size_t got;

			z.next_out = zout;
			z.avail_out = CHUNK;
			zret = inflate(&z, Z_NO_FLUSH);
			if (zret != Z_OK && zret != Z_STREAM_END &&
			    zret != Z_BUF_ERROR)
				goto corrupt;
			got = CHUNK - z.avail_out;
			hash_update(h, zout, got);
			total += got;
			progress_add_bytes(st->progress, got);
			if (sink->fd >= 0 && fs_write_all(sink->fd, zout,
						       got) < 0) {
				ret = mlops_err_errno(err, MLOPS_EINTERNAL,
						      errno, "cannot write "
						      "object %s", hash);
				goto out;
			}
			if (sink->buf) {
				if (sink->max && total > sink->max) {
					ret = mlops_err_set(err, MLOPS_EINPUT,
							    "object %s is "
							    "larger than %zu "
							    "bytes", hash,
							    sink->max);
					goto out;
				}
				buf_add(sink->buf, zout, got);
			}
			if (zret == Z_BUF_ERROR)
				break;
		}
	}
	if (zret != Z_STREAM_END || z.avail_in > 0)
		goto corrupt;
	hash_end(h, hex);
	h = NULL;
	if (strcmp(hex, hash) != 0)
		goto corrupt;
	if (size)
		*size = total;
	goto out;
corrupt:
	ret = mlops_err_set(err, MLOPS_EINTERNAL,
			    "object %s is corrupt (%s); run 'mlops fsck'",
			    hash, zret == Z_STREAM_END && !z.avail_in ?
			    "its content does not match its hash" :
			    "its compressed data is damaged or truncated");
out:
	if (h)
		hash_end(h, hex);
	inflateEnd(&z);
	close(fd);
	free(in);
	free(zout);
	free(path);
	return ret;
}

int object_read_fd(struct store *st, const char *hash, int fd,
		   struct mlops_err *err)
{
	struct sink sink = { fd, NULL, 0 };

	return read_into(st, hash, &sink, NULL, err);
}

int object_read_mem(struct store *st, const char *hash, struct buf *out,
		    size_t max, struct mlops_err *err)
{
	struct sink sink = { -1, out, max };
	size_t start = out->len;
	int ret = read_into(st, hash, &sink, NULL, err);

	if (ret < 0)
		buf_setlen(out, start);
	return ret;
}

int object_verify(struct store *st, const char *hash, uint64_t *size,
		  struct mlops_err *err)
{
	struct sink sink = { -1, NULL, 0 };

	return read_into(st, hash, &sink, size, err);
}

int object_export_file(struct store *st, const char *hash, const char *path,
		       struct mlops_err *err)
{
	char *dir = fs_path_dirname(path);
	char *tmp = NULL;
	int fd, ret;

	fd = fs_tmpfile_open(dir, ".mlops-export", &tmp, err);
	free(dir);
	if (fd < 0)
		return fd;
	ret = object_read_fd(st, hash, fd, err);
	if (ret < 0) {
		close(fd);
		unlink(tmp);
	} else {
		fchmod(fd, 0644);
		ret = fs_tmpfile_commit(fd, tmp, path, err);
	}
	free(tmp);
	return ret;
}

int object_each(struct store *st,
		int (*fn)(const char *hash, const char *path, uint64_t bytes,
			  int64_t mtime, void *arg),
		void *arg, struct mlops_err *err)
{
	char *objects = store_path(st, "objects");
	DIR *top = opendir(objects);
	struct dirent *d;
	int ret = 0;

	if (!top) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot read '%s'", objects);
		free(objects);
		return ret;
	}
	while (ret == 0 && (d = readdir(top))) {
		char *sub;
		DIR *dir;
		struct dirent *e;

		if (d->d_name[0] == '.')
			continue;
		sub = fs_path_join(objects, d->d_name);
		dir = opendir(sub);
		while (dir && ret == 0 && (e = readdir(dir))) {
			char hash[2 * 256 + 1];
			char *path;
			struct stat sb;
			int valid;

			if (e->d_name[0] == '.' && (!e->d_name[1] ||
			    (e->d_name[1] == '.' && !e->d_name[2])))
				continue;
			snprintf(hash, sizeof(hash), "%s%s", d->d_name,
				 e->d_name);
			valid = strlen(d->d_name) == 2 && hash_is_valid(hash);
			path = fs_path_join(sub, e->d_name);
			if (lstat(path, &sb) == 0 && S_ISREG(sb.st_mode))
				ret = fn(valid ? hash : NULL, path,
					 (uint64_t)sb.st_size,
					 (int64_t)sb.st_mtime, arg);
			free(path);
		}
		if (dir)
			closedir(dir);
		free(sub);
	}
	closedir(top);
	free(objects);
	return ret;
}
