/* copy.c - file copies installed by rename, hashed as they go (see
 * copy.h). Reads and writes in 1 MiB chunks: memory stays flat whatever
 * the file's size. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/copy.h"
#include "core/fs.h"
#include "core/xalloc.h"

#define CHUNK (1 << 20)

/* Read fd to its end, hashing, and write it to out when out >= 0. */
static int pump(int fd, const char *name, int out, const char *out_name,
		char hash[HASH_HEX_LEN + 1], uint64_t *bytes,
		struct mlops_err *err)
{
	struct hash_ctx *h = hash_begin();
	char *chunk = xmalloc(CHUNK);
	uint64_t total = 0;
	ssize_t n;
	int ret = 0;

	while ((n = read(fd, chunk, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot read '%s'", name);
			break;
		}
		hash_update(h, chunk, (size_t)n);
		total += (uint64_t)n;
		if (out >= 0 && fs_write_all(out, chunk, (size_t)n) < 0) {
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot write '%s'", out_name);
			break;
		}
	}
	hash_end(h, hash);
	free(chunk);
	if (ret == 0)
		*bytes = total;
	return ret;
}

int copy_hash(const char *path, char hash[HASH_HEX_LEN + 1],
	      uint64_t *bytes, struct mlops_err *err)
{
	int fd = fs_open_input(path, err), ret;

	if (fd < 0)
		return fd;
	ret = pump(fd, path, -1, NULL, hash, bytes, err);
	close(fd);
	return ret;
}

int copy_file(const char *src, const char *dst, const char *tmpdir,
	      char hash[HASH_HEX_LEN + 1], uint64_t *bytes,
	      struct mlops_err *err)
{
	char *tmp = NULL, *dir = fs_path_dirname(dst);
	int in = -1, out = -1, ret;

	ret = fs_mkdir_p(dir, err);
	if (ret == 0)
		ret = in = fs_open_input(src, err);
	if (ret >= 0)
		ret = out = fs_tmpfile_open(tmpdir, ".copy", &tmp, err);
	if (ret >= 0)
		ret = pump(in, src, out, tmp, hash, bytes, err);
	if (ret == 0) {
		ret = fs_tmpfile_commit(out, tmp, dst, err);
		out = -1;	/* closed, and tmp gone on failure */
	}
	if (out >= 0) {
		close(out);
		unlink(tmp);
	}
	if (in >= 0)
		close(in);
	free(tmp);
	free(dir);
	return ret < 0 ? ret : 0;
}
