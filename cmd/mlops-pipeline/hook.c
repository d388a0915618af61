/* hook.c - `mlops-pipeline hook install|uninstall`: the git hook that
 * makes a commit (post-commit) or a push (post-receive, bare repository)
 * run the pipeline, the CodeCommit + CodePipeline stand-in. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "pipeline/pipeline.h"
#include "verbs.h"
#include "core/xalloc.h"

static const char usage_install[] =
	"usage: mlops-pipeline hook install [--repo DIR] [--branch BRANCH]\n"
	"                                   [-f FILE] [--wait]\n"
	"\n"
	"Install the hook in the repository at DIR (default: here): a\n"
	"post-commit hook in a working repository, a post-receive hook in a\n"
	"bare one. For each new commit on BRANCH (default main) it runs\n"
	"'mlops-pipeline run --commit SHA' on this store, in the background\n"
	"(log: STORE/logs/pipeline-hook.log) unless --wait. A hook already\n"
	"there is kept and run first.\n"
	"\n"
	"  --repo DIR        the repository\n"
	"  --branch BRANCH   the branch that triggers runs\n"
	"  -f, --file FILE   the pipeline file in the repository\n"
	"                    (default pipeline.yaml)\n"
	"  --wait            run the pipeline in the foreground\n";
static const char usage_uninstall[] =
	"usage: mlops-pipeline hook uninstall [--repo DIR]\n"
	"\n"
	"Remove the hook that install put in DIR (default: here), and put\n"
	"back the hook that was there before, if any.\n";

const char usage_hook[] =
	"usage: mlops-pipeline hook install [--repo DIR] [--branch BRANCH]\n"
	"                                   [-f FILE] [--wait]\n"
	"       mlops-pipeline hook uninstall [--repo DIR]\n";

static int cmd_install(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "branch", required_argument, 0, 'b' },
		{ "file", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "repo", required_argument, 0, 'r' },
		{ "wait", no_argument, 0, 'w' }, { 0, 0, 0, 0 }
	};
	struct pipeline_git_hook_opts o = { ".", "main", "pipeline.yaml", NULL,
					NULL, 0 };
	struct mlops_err err = MLOPS_ERR_INIT;
	char exe[PATH_MAX], *path = NULL;
	struct store *st;
	ssize_t n;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "b:f:h", opts, cli, usage_install))
	       != -1)
		switch (c) {
		case 'b':
			o.branch = optarg;
			break;
		case 'f':
			o.file = optarg;
			break;
		case 'r':
			o.repo = optarg;
			break;
		case 'w':
			o.wait = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_install, "unexpected argument");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return cli_error(cli, MLOPS_EINTERNAL, "cannot find this "
				 "program's path");
	exe[n] = '\0';
	o.program = exe;
	o.store = st->dir;
	if (pipeline_git_hook_install(st, &o, &path, &err) < 0)
		return cli_fail(cli, &err);
	printf("installed %s: runs %s for commits on %s (store %s)%s\n", path,
	       o.file, o.branch, st->dir, o.wait ? " in the foreground" : "");
	free(path);
	return 0;
}

static int cmd_uninstall(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "repo", required_argument, 0, 'r' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *repo = ".";
	char *path = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_uninstall))
	       != -1)
		switch (c) {
		case 'r':
			repo = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_uninstall, "unexpected argument");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (pipeline_git_hook_uninstall(st, repo, &path, &err) < 0)
		return cli_fail(cli, &err);
	printf("removed the mlops-pipeline hook %s\n", path);
	free(path);
	return 0;
}

const struct cli_verb hook_verbs[] = {
	{ "install", cmd_install, usage_install, "install the git hook" },
	{ "uninstall", cmd_uninstall, usage_uninstall, "remove it" },
	{ NULL, NULL, NULL, NULL }
};
