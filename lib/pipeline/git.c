/* git.c - filling a run's workspace (a libgit2 checkout of one
 * commit, or a copy of the pipeline's folder) and installing the git
 * hooks that start runs; see pipeline.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <linux/fs.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/fs.h"
#include "pipeline/pipeline.h"
#include "core/xalloc.h"

#define HOOK_MARKER "# mlops-pipeline hook v1"
#define CHAINED_SUFFIX ".mlops-chained"

static int git_fail(struct mlops_err *err, int code, const char *what)
{
	const git_error *e = git_error_last();

	return mlops_err_set(err, code, "%s: %s", what,
			     e && e->message ? e->message : "libgit2 error");
}

int pipeline_git_checkout(const char *repo_dir, const char *rev,
			  const char *dest, char sha[PIPELINE_GIT_SHA_HEX],
			  struct mlops_err *err)
{
	git_checkout_options opts = GIT_CHECKOUT_OPTIONS_INIT;
	git_repository *repo = NULL;
	git_object *obj = NULL;
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_index *empty = NULL;
	int ret = 0;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, repo_dir, 0, NULL) < 0) {
		ret = git_fail(err, MLOPS_ENOTFOUND, repo_dir);
		goto out;
	}
	if (git_revparse_single(&obj, repo, rev) < 0 ||
	    git_object_peel((git_object **)&commit, obj, GIT_OBJECT_COMMIT)
	    < 0) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no commit '%s' in "
				    "'%s'", rev, repo_dir);
		goto out;
	}
	if (git_commit_tree(&tree, commit) < 0 || git_index_new(&empty) < 0) {
		ret = git_fail(err, MLOPS_EINTERNAL, "cannot read the commit");
		goto out;
	}
	/* Against an empty baseline every file of the tree is written, and
	 * the repository's own index and working tree are left alone. */
	opts.checkout_strategy = GIT_CHECKOUT_FORCE |
		GIT_CHECKOUT_RECREATE_MISSING | GIT_CHECKOUT_DONT_UPDATE_INDEX;
	opts.target_directory = dest;
	opts.baseline_index = empty;
	if (git_checkout_tree(repo, (git_object *)tree, &opts) < 0) {
		ret = git_fail(err, MLOPS_EINTERNAL, "cannot check out the "
			       "commit");
		goto out;
	}
	git_oid_tostr(sha, PIPELINE_GIT_SHA_HEX, git_commit_id(commit));
out:
	git_index_free(empty);
	git_tree_free(tree);
	git_commit_free(commit);
	git_object_free(obj);
	git_repository_free(repo);
	return ret;
}

/* Whether a status entry is in a store folder (.mlops), which the
 * workspace copy leaves out as well. */
static int in_store(const char *path)
{
	const char *p = path, *slash;

	for (;;) {
		if (strncmp(p, ".mlops", 6) == 0 && (p[6] == '/' || !p[6]))
			return 1;
		if (!(slash = strchr(p, '/')))
			return 0;
		p = slash + 1;
	}
}

/* The first file under the pathspec that differs from HEAD, into err:
 * 1, or 0 when there is none. */
static int find_change(git_repository *repo, const char *rel,
		       const char *dir, struct mlops_err *err)
{
	git_status_options opts = GIT_STATUS_OPTIONS_INIT;
	git_status_list *list = NULL;
	char *spec[1] = { (char *)rel };
	int ret = 0;

	opts.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED;
	if (*rel) {
		opts.pathspec.strings = spec;
		opts.pathspec.count = 1;
	}
	if (git_status_list_new(&list, repo, &opts) < 0)
		return git_fail(err, MLOPS_EINTERNAL, dir);
	for (size_t i = 0; ret == 0 && i < git_status_list_entrycount(list);
	     i++) {
		const git_status_entry *e = git_status_byindex(list, i);
		const git_diff_delta *d = e->index_to_workdir ?
			e->index_to_workdir : e->head_to_index;
		const char *path = d ? (d->new_file.path ? d->new_file.path :
					d->old_file.path) : NULL;

		if (e->status == GIT_STATUS_CURRENT ||
		    (e->status & GIT_STATUS_IGNORED) || !path ||
		    in_store(path))
			continue;
		ret = 1;
		mlops_err_set(err, MLOPS_ENOTFOUND, "'%s' has uncommitted "
			      "changes ('%s')", dir, path);
	}
	git_status_list_free(list);
	return ret;
}

int pipeline_git_head(const char *dir, char sha[PIPELINE_GIT_SHA_HEX],
		      struct mlops_err *err)
{
	git_repository *repo = NULL;
	char *real = NULL, *top = NULL;
	const char *rel = "";
	git_oid oid;
	int ret = 0;
	size_t n;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, dir, 0, NULL) < 0 ||
	    !git_repository_workdir(repo) ||
	    git_reference_name_to_id(&oid, repo, "HEAD") < 0) {
		git_repository_free(repo);
		return mlops_err_set(err, MLOPS_ENOTFOUND, "'%s' is in no git "
				     "working tree with commits", dir);
	}
	/* Only the files under dir go into the workspace: only they must
	 * match HEAD. */
	real = realpath(dir, NULL);
	top = realpath(git_repository_workdir(repo), NULL);
	n = top ? strlen(top) : 0;
	if (real && top && strncmp(real, top, n) == 0 && real[n] == '/')
		rel = real + n + 1;
	ret = find_change(repo, rel, dir, err);
	if (ret == 0)
		git_oid_tostr(sha, PIPELINE_GIT_SHA_HEX, &oid);
	free(real);
	free(top);
	git_repository_free(repo);
	return ret;
}

static int copy_file(const char *from, const char *to, mode_t mode,
		     struct mlops_err *err)
{
	char chunk[65536];
	ssize_t n = 0;
	int in = open(from, O_RDONLY | O_CLOEXEC), out, ret = 0;

	if (in < 0)
		return mlops_err_errno(err, MLOPS_EINPUT, errno, "cannot read "
				       "'%s'", from);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode & 0777);
	if (out < 0) {
		close(in);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				       "write '%s'", to);
	}
	/* A reflink (btrfs, XFS) shares the blocks until either side is
	 * written: big data sets cost nothing to put in a workspace. */
	if (ioctl(out, FICLONE, in) == 0)
		n = 0;
	else
		while (ret == 0 && (n = read(in, chunk, sizeof(chunk))) > 0)
			if (fs_write_all(out, chunk, (size_t)n) < 0)
				ret = mlops_err_errno(err, MLOPS_EINTERNAL,
						      errno, "cannot write "
						      "'%s'", to);
	if (ret == 0 && n < 0)
		ret = mlops_err_errno(err, MLOPS_EINPUT, errno, "cannot read "
				      "'%s'", from);
	close(in);
	if (close(out) < 0 && ret == 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "write '%s'", to);
	return ret;
}

int pipeline_git_copy_tree(const char *src, const char *dest, const char *skip,
		       struct mlops_err *err)
{
	DIR *d = opendir(src);
	struct dirent *de;
	int ret = 0;

	if (!d)
		return mlops_err_errno(err, MLOPS_EINPUT, errno, "cannot read "
				       "'%s'", src);
	while (ret == 0 && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		char *from, *to;
		struct stat sb;

		if (!strcmp(name, ".") || !strcmp(name, "..") ||
		    !strcmp(name, ".git") || !strcmp(name, ".mlops"))
			continue;
		from = fs_path_join(src, name);
		to = fs_path_join(dest, name);
		if (lstat(from, &sb) < 0) {
			ret = mlops_err_errno(err, MLOPS_EINPUT, errno,
					      "cannot read '%s'", from);
		} else if (skip && strcmp(from, skip) == 0) {
			/* the store itself */
		} else if (S_ISDIR(sb.st_mode)) {
			if (mkdir(to, sb.st_mode & 0777) < 0 && errno != EEXIST)
				ret = mlops_err_errno(err, MLOPS_EINTERNAL,
						      errno, "cannot make '%s'",
						      to);
			else
				ret = pipeline_git_copy_tree(from, to, skip,
							     err);
		} else if (S_ISLNK(sb.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlink(from, target, sizeof(target) - 1);

			if (n >= 0) {
				target[n] = '\0';
				if (symlink(target, to) < 0)
					ret = mlops_err_errno(err,
							      MLOPS_EINTERNAL,
							      errno, "cannot "
							      "link '%s'", to);
			}
		} else if (S_ISREG(sb.st_mode)) {
			ret = copy_file(from, to, sb.st_mode, err);
		}
		free(from);
		free(to);
	}
	closedir(d);
	return ret;
}

/* The hooks folder and the name of the hook for the repository at
 * repo_dir: post-receive when bare, post-commit otherwise. The folder is
 * core.hooksPath when set (relative to the working tree, as git reads
 * it), else GIT_DIR/hooks. */
static int hook_location(const char *repo_dir, char **dir, const char **name,
			 struct mlops_err *err)
{
	git_repository *repo = NULL;
	git_config *cfg = NULL;
	git_buf hooks = { 0 };
	const char *base;

	git_libgit2_init();
	if (git_repository_open_ext(&repo, repo_dir, 0, NULL) < 0)
		return git_fail(err, MLOPS_ENOTFOUND, repo_dir);
	base = git_repository_workdir(repo);
	if (!base)
		base = git_repository_path(repo);
	if (git_repository_config(&cfg, repo) == 0 &&
	    git_config_get_path(&hooks, cfg, "core.hooksPath") == 0 &&
	    hooks.ptr && *hooks.ptr)
		*dir = hooks.ptr[0] == '/' ? xstrdup(hooks.ptr) :
			fs_path_join(base, hooks.ptr);
	else
		*dir = fs_path_join(git_repository_path(repo), "hooks");
	*name = git_repository_is_bare(repo) ? "post-receive" : "post-commit";
	git_buf_dispose(&hooks);
	git_config_free(cfg);
	git_repository_free(repo);
	return 0;
}

/* 1 when the file at path is a hook we installed. */
static int is_our_hook(const char *path)
{
	struct buf content = BUF_INIT;
	int ours = buf_read_file(&content, path, 1u << 20, NULL) == 0 &&
		strstr(content.s, HOOK_MARKER) != NULL;

	buf_release(&content);
	return ours;
}

void pipeline_git_shell_quote(struct buf *b, const char *s)
{
	buf_addch(b, '\'');
	for (; *s; s++)
		if (*s == '\'')
			buf_addstr(b, "'\\''");
		else
			buf_addch(b, *s);
	buf_addch(b, '\'');
}

static const char hook_body[] =
	"hook=${0##*/}\n"
	"repo=$(git rev-parse --absolute-git-dir) || exit 1\n"
	"status=0\n"
	"input=\n"
	"[ \"$hook\" = post-receive ] && input=$(cat)\n"
	"# a hook of the user's that was here first runs first\n"
	"if [ -x \"$0" CHAINED_SUFFIX "\" ]; then\n"
	"\tif [ \"$hook\" = post-receive ]; then\n"
	"\t\tprintf '%s\\n' \"$input\" | \"$0" CHAINED_SUFFIX "\" \"$@\" ||"
	" status=$?\n"
	"\telse\n"
	"\t\t\"$0" CHAINED_SUFFIX "\" \"$@\" || status=$?\n"
	"\tfi\n"
	"fi\n"
	"unset GIT_DIR GIT_INDEX_FILE GIT_WORK_TREE GIT_PREFIX\n"
	"mlops_run() {\n"
	"\tcommit=$1\n"
	"\tset -- --store \"$MLOPS_HOOK_STORE\" run --commit \"$1\" "
	"--repo \"$repo\" -f \"$MLOPS_HOOK_FILE\"\n"
	"\tif [ \"$MLOPS_HOOK_WAIT\" = 1 ]; then\n"
	"\t\t\"$MLOPS_HOOK_PROGRAM\" \"$@\"\n"
	"\t\treturn\n"
	"\tfi\n"
	"\tlog=$MLOPS_HOOK_STORE/logs/pipeline-hook.log\n"
	"\tmkdir -p \"${log%/*}\"\n"
	"\tnohup setsid \"$MLOPS_HOOK_PROGRAM\" \"$@\" >>\"$log\" 2>&1 "
	"</dev/null &\n"
	"\techo \"mlops-pipeline: running $MLOPS_HOOK_FILE for commit "
	"$commit in the background (log: $log)\" >&2\n"
	"}\n"
	"if [ \"$hook\" = post-receive ]; then\n"
	"\tprintf '%s\\n' \"$input\" | while read -r old new ref; do\n"
	"\t\t[ \"$ref\" = \"refs/heads/$MLOPS_HOOK_BRANCH\" ] || continue\n"
	"\t\tcase $new in *[!0]*) mlops_run \"$new\" ;; esac\n"
	"\tdone\n"
	"elif [ \"$(git symbolic-ref -q HEAD)\" = "
	"\"refs/heads/$MLOPS_HOOK_BRANCH\" ]; then\n"
	"\tmlops_run \"$(git rev-parse HEAD)\"\n"
	"fi\n"
	"exit $status\n";

static void hook_script(struct buf *b, const struct pipeline_git_hook_opts *o)
{
	buf_addstr(b, "#!/bin/sh\n" HOOK_MARKER "\n"
		   "# Installed by 'mlops-pipeline hook install': runs the "
		   "pipeline for each\n# new commit on the branch below, in a "
		   "clean checkout of that commit.\n# 'mlops-pipeline hook "
		   "uninstall' removes it (and puts back a hook that\n# was "
		   "here before).\n");
	buf_addstr(b, "MLOPS_HOOK_PROGRAM=");
	pipeline_git_shell_quote(b, o->program);
	buf_addstr(b, "\nMLOPS_HOOK_STORE=");
	pipeline_git_shell_quote(b, o->store);
	buf_addstr(b, "\nMLOPS_HOOK_BRANCH=");
	pipeline_git_shell_quote(b, o->branch);
	buf_addstr(b, "\nMLOPS_HOOK_FILE=");
	pipeline_git_shell_quote(b, o->file);
	buf_addf(b, "\nMLOPS_HOOK_WAIT=%d\n", o->wait ? 1 : 0);
	buf_addstr(b, hook_body);
}

static int hook_install(const struct pipeline_git_hook_opts *o,
			char **hook_path, struct mlops_err *err)
{
	struct buf script = BUF_INIT;
	const char *name;
	char *dir = NULL, *path = NULL, *chained = NULL;
	int ret = hook_location(o->repo, &dir, &name, err);

	if (ret < 0)
		return ret;
	path = fs_path_join(dir, name);
	chained = xasprintf("%s%s", path, CHAINED_SUFFIX);
	ret = fs_mkdir_p(dir, err);
	if (ret == 0 && is_our_hook(path)) {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "the mlops-pipeline "
				    "hook is already installed in '%s' (run "
				    "'mlops-pipeline hook uninstall' first)",
				    path);
		goto out;
	}
	if (ret == 0 && fs_exists(path)) {
		if (fs_exists(chained)) {
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "both '%s' "
					    "and '%s' exist: move one away",
					    path, chained);
			goto out;
		}
		if (rename(path, chained) < 0)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot keep '%s'", path);
	}
	hook_script(&script, o);
	if (ret == 0)
		ret = fs_write_file_atomic(path, script.s, script.len, err);
	if (ret == 0 && chmod(path, 0755) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "chmod '%s'",
				      path);
	if (ret == 0) {
		*hook_path = path;
		path = NULL;
	}
out:
	buf_release(&script);
	free(dir);
	free(path);
	free(chained);
	return ret;
}

static int hook_uninstall(const char *repo, char **hook_path,
			  struct mlops_err *err)
{
	const char *name;
	char *dir = NULL, *path, *chained;
	int ret = hook_location(repo, &dir, &name, err);

	if (ret < 0)
		return ret;
	path = fs_path_join(dir, name);
	chained = xasprintf("%s%s", path, CHAINED_SUFFIX);
	if (!is_our_hook(path))
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no mlops-pipeline "
				    "hook is installed in '%s'%s", path,
				    fs_exists(path) ? " (the hook there is "
				    "not ours: left alone)" : "");
	else if (unlink(path) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "remove '%s'", path);
	else if (fs_exists(chained) && rename(chained, path) < 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "restore '%s'", chained);
	if (ret == 0) {
		*hook_path = path;
		path = NULL;
	}
	free(dir);
	free(path);
	free(chained);
	return ret;
}

/* The hook is a file in the repository, not in the store: there is no
 * transaction for its record to commit with, so the record is appended
 * after the change (or the failure recorded) here, for every caller. */
static int audit_hook(struct store *st, const char *action, int ret,
		      const char *path, struct mlops_err *err)
{
	struct audit_entry e = { action, path, "success", NULL };

	return audit_done(st, ret, &e, err);
}

int pipeline_git_hook_install(struct store *st,
			      const struct pipeline_git_hook_opts *o,
			  char **hook_path, struct mlops_err *err)
{
	const char *action = "pipeline.hook.install";
	int ret = audit_intend(st, action, o->repo, err);

	if (ret == 0)
		ret = hook_install(o, hook_path, err);
	return audit_hook(st, action, ret, ret == 0 ? *hook_path : o->repo,
			  err);
}

int pipeline_git_hook_uninstall(struct store *st, const char *repo,
			    char **hook_path, struct mlops_err *err)
{
	const char *action = "pipeline.hook.uninstall";
	int ret = audit_intend(st, action, repo, err);

	if (ret == 0)
		ret = hook_uninstall(repo, hook_path, err);
	return audit_hook(st, action, ret, ret == 0 ? *hook_path : repo, err);
}
