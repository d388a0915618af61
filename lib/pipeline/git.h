/* pipeline_git.h - what a pipeline run needs from git and the file
 * system: a workspace filled either with a clean checkout of one commit
 * (libgit2, into the workspace only: the user's working tree and index
 * are never touched) or with a copy of the pipeline's folder; and the git
 * hooks that run a pipeline on each commit or push. */
#ifndef MLOPS_PIPELINE_GIT_H
#define MLOPS_PIPELINE_GIT_H

#include "core/buf.h"
#include "core/err.h"

#define PIPELINE_GIT_SHA_HEX 41

/* Write the tree of commit rev (anything git rev-parse takes) of the
 * repository at or above repo_dir into dest, which must exist. The full
 * commit ID goes to sha. MLOPS_ENOTFOUND for no repository or no such
 * revision. */
int pipeline_git_checkout(const char *repo_dir, const char *rev,
			  const char *dest, char sha[PIPELINE_GIT_SHA_HEX],
			  struct mlops_err *err);

/* The HEAD commit of the repository holding dir, into sha, when the files
 * under dir are those of that commit: 0. 1 when a file under dir differs
 * from HEAD (modified, staged, deleted or untracked; ignored files and
 * .mlops folders aside): err names it and sha is left alone. A negative
 * code when dir is in no working tree, HEAD is unborn or git fails. */
int pipeline_git_head(const char *dir, char sha[PIPELINE_GIT_SHA_HEX],
		      struct mlops_err *err);

/* Copy the folder src into dest (which exists), leaving out .git and
 * .mlops folders and the folder skip (the store, when it lives inside
 * src). Symbolic links are copied as links. */
int pipeline_git_copy_tree(const char *src, const char *dest, const char *skip,
		       struct mlops_err *err);

struct pipeline_git_hook_opts {
	const char *repo;	/* a working or bare repository */
	const char *branch;	/* run for commits on this branch */
	const char *file;	/* the pipeline file, relative to the root */
	const char *store;	/* absolute .mlops path */
	const char *program;	/* absolute path of mlops-pipeline */
	int wait;		/* run in the foreground */
};

/* Install the hook: post-commit in a working repository, post-receive in
 * a bare one. A hook of the user's already there is kept (renamed
 * HOOK.mlops-chained) and run first. *hook_path gets the hook's path (the
 * caller frees). Installing over our own hook is MLOPS_ENOTFOUND
 * (conflicting state). */
int pipeline_git_hook_install(const struct pipeline_git_hook_opts *o,
			  char **hook_path, struct mlops_err *err);

/* Remove what install put there and restore a chained user hook;
 * MLOPS_ENOTFOUND when no hook of ours is installed. */
int pipeline_git_hook_uninstall(const char *repo, char **hook_path,
			    struct mlops_err *err);

/* Append s to b as one single-quoted shell word (for the scripts of
 * hooks and Slurm jobs). */
void pipeline_git_shell_quote(struct buf *b, const char *s);

#endif
