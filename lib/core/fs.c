/* fs.c - path helpers and atomic file replacement. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/xalloc.h"

char *fs_path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	while (la > 1 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	if (la == 0)
		return xstrdup(b);
	return xasprintf("%.*s/%s", (int)la, a, b);
}

char *fs_path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

/* Normalise an absolute path in place: drop empty and "." components and
 * resolve ".." lexically ("/a/./b//c/../d" becomes "/a/b/d"). */
static void normalise(char *p)
{
	char *out = p;		/* p[0] is '/' and stays */
	char *in = p;

	while (*in) {
		char *comp, *end;
		size_t n;

		while (*in == '/')
			in++;
		comp = in;
		end = strchrnul(comp, '/');
		n = (size_t)(end - comp);
		in = end;
		if (n == 0 || (n == 1 && comp[0] == '.'))
			continue;
		if (n == 2 && comp[0] == '.' && comp[1] == '.') {
			while (out > p && *--out != '/')
				;
			continue;
		}
		*out++ = '/';
		memmove(out, comp, n);
		out += n;
	}
	if (out == p)
		*out++ = '/';
	*out = '\0';
}

char *fs_path_absolute(const char *path)
{
	char cwd[PATH_MAX];
	char *abs;

	if (path[0] == '/') {
		abs = xstrdup(path);
	} else {
		if (!getcwd(cwd, sizeof(cwd)))
			return xstrdup(path);
		abs = fs_path_join(cwd, path);
	}
	normalise(abs);
	return abs;
}

int fs_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int fs_is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int fs_open_input(const char *path, struct mlops_err *err)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return mlops_err_errno(err, errno == ENOENT ? MLOPS_ENOTFOUND :
				       MLOPS_EINPUT, errno, "cannot open '%s'",
				       path);
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		close(fd);
		return mlops_err_set(err, MLOPS_EINPUT,
				     "'%s' is a directory, not a file", path);
	}
	return fd;
}

int fs_mkdir_p(const char *dir, struct mlops_err *err)
{
	char *p = xstrdup(dir);
	int ret = 0;

	for (char *s = p + 1; ; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char saved = *s;

		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST) {
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot create directory '%s'",
					      p);
			break;
		}
		*s = saved;
		if (!saved)
			break;
	}
	if (ret == 0 && !fs_is_dir(dir))
		ret = mlops_err_set(err, MLOPS_EINTERNAL,
				    "'%s' exists and is not a directory", dir);
	free(p);
	return ret;
}

int fs_sync_dir(const char *dir, struct mlops_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot open directory '%s'", dir);
	if (fsync(fd) < 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return mlops_err_errno(err, MLOPS_EINTERNAL, e,
				       "cannot fsync directory '%s'", dir);
	}
	close(fd);
	return 0;
}

int fs_tmpfile_open(const char *dir, const char *prefix, char **tmp_path,
		 struct mlops_err *err)
{
	/* The writer's process id in the name tells fsck and the next
	 * command whether a leftover belongs to a killed command. */
	char *tmpl = xasprintf("%s/%s.%ld.XXXXXX", dir, prefix,
			       (long)getpid());
	int fd = mkostemp(tmpl, O_CLOEXEC);

	if (fd < 0) {
		/* Often a directory the user named (-o DIR/FILE): say so
		 * with the status of a missing or forbidden path. */
		int code = errno == ENOENT || errno == ENOTDIR ?
			MLOPS_ENOTFOUND : errno == EACCES || errno == EPERM ||
			errno == EROFS ? MLOPS_EPERM : MLOPS_EINTERNAL;
		int ret = mlops_err_errno(err, code, errno,
					  "cannot create a temporary file "
					  "in '%s'", dir);
		free(tmpl);
		return ret;
	}
	*tmp_path = tmpl;
	return fd;
}

int fs_tmpfile_commit(int fd, const char *tmp_path, const char *path,
		   struct mlops_err *err)
{
	char *dir;
	int ret;

	if (fsync(fd) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot fsync '%s'", tmp_path);
		close(fd);
		unlink(tmp_path);
		return ret;
	}
	if (close(fd) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot close '%s'", tmp_path);
		unlink(tmp_path);
		return ret;
	}
	if (rename(tmp_path, path) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot rename '%s' to '%s'", tmp_path,
				      path);
		unlink(tmp_path);
		return ret;
	}
	dir = fs_path_dirname(path);
	ret = fs_sync_dir(dir, err);
	free(dir);
	return ret;
}

int fs_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fs_write_file_atomic(const char *path, const void *data, size_t len,
		      struct mlops_err *err)
{
	char *dir = fs_path_dirname(path);
	char *tmp = NULL;
	int fd, ret;

	fd = fs_tmpfile_open(dir, ".tmp", &tmp, err);
	free(dir);
	if (fd < 0)
		return fd;
	if (fs_write_all(fd, data, len) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return ret;
	}
	ret = fs_tmpfile_commit(fd, tmp, path, err);
	free(tmp);
	return ret;
}
