/* capture_recover.c - finishing the capture files a stopped gateway left
 * in progress (deploy_capture_recover).
 *
 * A gateway killed while capturing (SIGKILL, the OOM killer, a power
 * cut) leaves its open files under their hidden ".NAME.jsonl.part"
 * names, which readers skip. Their writer holds an flock(2) lock on each
 * while it writes, which the kernel drops when the writer dies; a part
 * file nobody holds, untouched for longer than a live writer keeps a
 * file open, is a dead writer's. Its records up to the first line that
 * is not a whole capture record (a write cut short, or the zeros a power
 * cut can leave) are made durable and shown to readers under the final
 * name, as the writer would have; a file without one is removed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "core/buf.h"
#include "core/fs.h"
#include "core/time.h"
#include "core/xalloc.h"

/* A part file is read whole: the writer completes files at 64 MB. */
#define PART_MAX_BYTES ((size_t)256 << 20)

struct recover_walk {
	int64_t now_us;
	struct deploy_capture_recovery *out;
	struct mlops_err *err;
};

/* The bytes of the lines at s (len bytes) up to the first one that is
 * not a whole capture record; *records gets their number. */
static size_t whole_records(const char *s, size_t len, uint64_t *records)
{
	size_t at = 0;

	*records = 0;
	while (at < len) {
		const char *nl = memchr(s + at, '\n', len - at);
		int64_t t;

		if (!nl || deploy_capture_each_line_time(s + at,
						    (size_t)(nl - s) - at,
						    &t) < 0)
			break;
		at = (size_t)(nl - s) + 1;
		(*records)++;
	}
	return at;
}

/* Finish the part file name in dir if its writer is gone. */
static int recover_part(struct recover_walk *w, const char *dir,
			const char *name)
{
	char *path = fs_path_join(dir, name), *final = NULL;
	struct buf b = BUF_INIT;
	struct stat st;
	uint64_t records;
	size_t keep;
	int fd = open(path, O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		goto out; /* completed or recovered meanwhile */
	if (flock(fd, LOCK_EX | LOCK_NB) < 0 || fstat(fd, &st) < 0)
		goto out; /* its writer is alive */
	if ((int64_t)st.st_mtime * TIME_US_PER_SEC >
	    w->now_us - DEPLOY_CAPTURE_PART_DEAD_US) {
		w->out->young++;
		goto out;
	}
	if ((ret = buf_read_fd(&b, fd, PART_MAX_BYTES, path, w->err)) < 0)
		goto out;
	keep = whole_records(b.s, b.len, &records);
	if (keep == 0) {
		if (unlink(path) < 0)
			ret = mlops_err_errno(w->err, MLOPS_EINTERNAL, errno,
					      "cannot remove '%s'", path);
		else
			w->out->removed++;
		goto out;
	}
	/* ".NAME.jsonl.part" becomes "NAME.jsonl". */
	final = fs_path_join(dir, name + 1);
	final[strlen(final) - 5] = '\0';
	if ((keep < b.len && ftruncate(fd, (off_t)keep) < 0) || fsync(fd) < 0 ||
	    rename(path, final) < 0 || fs_sync_dir(dir, NULL) < 0) {
		ret = mlops_err_errno(w->err, MLOPS_EINTERNAL, errno,
				      "cannot finish '%s'", path);
		goto out;
	}
	w->out->files++;
	w->out->records += records;
	w->out->cut_bytes += b.len - keep;
out:
	if (fd >= 0)
		close(fd);
	buf_release(&b);
	free(final);
	free(path);
	return ret;
}

/* deploy_capture_each_file's function: finish name in dir if it is a
 * part file. */
static int recover_file(const char *dir, const char *name, void *arg)
{
	size_t len = strlen(name);

	if (name[0] != '.' || len <= 12 ||
	    strcmp(name + len - 11, ".jsonl.part") != 0)
		return 0;
	return recover_part(arg, dir, name);
}

int deploy_capture_recover(const char *dir, int64_t since_us,
			   struct deploy_capture_recovery *out,
			   struct mlops_err *err)
{
	struct recover_walk w = { time_now_us(), out, err };
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, NULL, alphasort), ret = 0;

	memset(out, 0, sizeof(*out));
	/* Every endpoint's capture. */
	for (int i = 0; i < n; i++) {
		if (ret == 0 && ents[i]->d_name[0] != '.') {
			char *top = fs_path_join(dir, ents[i]->d_name);

			ret = deploy_capture_each_file(top, since_us, INT64_MAX,
						       recover_file, &w);
			free(top);
		}
		free(ents[i]);
	}
	free(ents);
	return ret;
}
