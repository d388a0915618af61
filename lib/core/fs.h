/* fs.h - paths and crash-safe file writes.
 *
 * A file is replaced atomically by writing a temporary file beside it,
 * fsyncing it, renaming it over the target and fsyncing the directory, so
 * that after a crash a reader sees the old content or the new, never half. */
#ifndef MLOPS_FS_H
#define MLOPS_FS_H
#include <stddef.h>

#include "core/buf.h"
#include "core/err.h"

/* Join two path components with exactly one '/'; the caller frees. */
char *fs_path_join(const char *a, const char *b);
/* The directory part of path ("." when there is none); the caller frees. */
char *fs_path_dirname(const char *path);
/* An absolute, normalised version of path (which need not exist beyond its
 * directory); the caller frees. */
char *fs_path_absolute(const char *path);
int fs_exists(const char *path);
int fs_is_dir(const char *path);

/* Open a file the user named, for reading: the fd, or MLOPS_ENOTFOUND
 * when it does not exist, MLOPS_EINPUT when it cannot be read or is a
 * directory, with "cannot open 'path': why". */
int fs_open_input(const char *path, struct mlops_err *err);

/* Make dir and any missing parents, with mode 0777 & ~umask. */
int fs_mkdir_p(const char *dir, struct mlops_err *err);
/* fsync the directory at path so that a rename in it is durable. */
int fs_sync_dir(const char *dir, struct mlops_err *err);

/* Open a new temporary file in dir named PREFIX.PID.XXXXXX, PID being
 * this process's (so that a killed writer's leftovers are known); stores
 * its path in *tmp_path (the caller frees it) and returns the fd, or a
 * negative code. */
int fs_tmpfile_open(const char *dir, const char *prefix, char **tmp_path,
		 struct mlops_err *err);
/* fsync fd, close it and rename tmp_path over path, then fsync the
 * directory. On failure tmp_path is removed. Closes fd in every case. */
int fs_tmpfile_commit(int fd, const char *tmp_path, const char *path,
		   struct mlops_err *err);

/* Replace path with data atomically (see above). */
int fs_write_file_atomic(const char *path, const void *data, size_t len,
		      struct mlops_err *err);

/* write(2) all of data, retrying on EINTR and short writes; 0 or -1. */
int fs_write_all(int fd, const void *data, size_t len);

#endif
