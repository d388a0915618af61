/* mlops.c - the dispatcher: `mlops VERB` runs a store-wide verb of its own
 * (init, object, fsck, gc, config, audit, event, remote, sync) or else executes
 * mlops-VERB, looked up beside this binary and then on $PATH, as git runs
 * git-VERB. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/cli.h"
#include "core/fs.h"
#include "mlops/mlops.h"
#include "core/store.h"
#include "core/xalloc.h"

static const char usage_init[] =
	"usage: mlops init [--env NAME] [DIR]\n"
	"\n"
	"Make DIR/.mlops (DIR defaults to the current directory). Running\n"
	"it again on a store is harmless; --env renames its environment.\n"
	"\n"
	"  --env NAME   the environment this store stands for (default dev)\n";

static int cmd_init(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "env", required_argument, 0, 'e' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *env = NULL, *dir;
	struct audit_entry entry = { "store.init", NULL, "success", NULL };
	struct store *st = NULL;
	char *abs;
	int c, created, ret;

	while ((c = cli_getopt(argc, argv, "e:h", opts, cli, usage_init)) != -1)
		switch (c) {
		case 'e':
			env = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind > 1)
		return cli_usage(cli, usage_init, "too many arguments");
	dir = optind < argc ? argv[optind] : cli->store_dir ? cli->store_dir :
		".";
	/* Setting the environment of an existing store is a change of its
	 * settings: check it before store_init() writes config.yaml. */
	abs = fs_path_absolute(dir);
	ret = env ? store_open(&st, abs, cli->prog, &err) : -1;
	if (ret == 0)
		ret = audit_authorize(st, "store.reinit", st->dir, &err);
	store_close(st);
	st = NULL;
	free(abs);
	if (ret == MLOPS_EPERM)
		return cli_fail(cli, &err);
	if (store_init(dir, env, &created, &err) < 0)
		return cli_fail(cli, &err);
	/* The one record appended in cmd/: store_init() makes the folder,
	 * the database and the log the record goes into, so there is no
	 * store to audit in until it has returned, and nothing of a store
	 * it failed to make to audit in either. */
	abs = fs_path_absolute(dir);
	ret = store_open(&st, abs, cli->prog, &err);
	if (ret == 0) {
		entry.resource = st->dir;
		entry.action = created ? "store.init" : "store.reinit";
		ret = audit_append(st, &entry, &err);
	}
	if (ret == 0)
		printf("%s mlops store in %s (environment %s)\n",
		       created ? "Initialized empty" : "Reinitialized existing",
		       st->dir, st->env);
	store_close(st);
	free(abs);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

/* The directory of this executable, to find mlops-VERB beside it. */
static char *self_dir(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	return fs_path_dirname(path);
}

/* Execute mlops-VERB with the remaining arguments; --store is passed on
 * through $MLOPS_STORE so that the sub-program finds the same store. */
static int run_program(int argc, char **argv, struct cli *cli)
{
	char *name = xasprintf("mlops-%s", argv[0]);
	char *dir = self_dir();
	char **args = xcalloc((size_t)argc + 1, sizeof(*args));

	if (cli->store_dir) {
		char *abs = fs_path_absolute(cli->store_dir);

		setenv("MLOPS_STORE", abs, 1);
		free(abs);
	}
	args[0] = name;
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	fflush(stdout);
	if (dir) {
		char *beside = fs_path_join(dir, name);

		if (access(beside, X_OK) == 0)
			execv(beside, args);
		free(beside);
		free(dir);
	}
	execvp(name, args);
	if (errno == ENOENT) {
		fprintf(stderr, "mlops: '%s' is not an mlops verb and no "
			"program %s was found (see 'mlops --help')\n",
			argv[0], name);
		free(args);
		free(name);
		return 2;
	}
	fprintf(stderr, "mlops: cannot run %s: %s\n", name, strerror(errno));
	free(args);
	free(name);
	return 70;
}

static const struct cli_verb verbs[] = {
	{ "init", cmd_init, usage_init, "make a store, or check an existing "
	  "one" },
	{ "object", NULL, usage_object, "put, get and list blobs",
	  object_verbs },
	{ "fsck", cmd_fsck, usage_fsck, "verify every blob, reference and the "
	  "audit chain" },
	{ "gc", cmd_gc, usage_gc, "remove blobs that nothing references" },
	{ "config", NULL, usage_config, "get and set store settings",
	  config_verbs },
	{ "audit", NULL, usage_audit, "show and verify the audit trail",
	  audit_verbs },
	{ "event", NULL, usage_event, "events, and rules that react to them",
	  event_verbs },
	{ "role", NULL, usage_role, "personas, grants and access checks",
	  role_verbs },
	{ "remote", NULL, usage_remote, "name other environments' stores",
	  remote_verbs },
	{ "sync", cmd_sync, usage_sync, "copy a model, features or captured "
	  "data between environments" },
	{ "web", cmd_web, usage_web, "serve or export a read-only site over "
	  "the store" },
	{ "plan", cmd_plan, usage_plan, "show what apply would change to "
	  "match a stack file" },
	{ "apply", cmd_apply, usage_apply, "make the store match a stack "
	  "file" },
	{ "export-stack", cmd_export_stack, usage_export_stack, "write a "
	  "stack file describing the store" },
	{ "feature", run_program, NULL, "the feature store (mlops-feature)" },
	{ "pipeline", run_program, NULL, "pipelines (mlops-pipeline)" },
	{ "registry", run_program, NULL, "the model registry "
	  "(mlops-registry)" },
	{ "deploy", run_program, NULL, "serverless endpoints (mlops-deploy)" },
	{ "shadow", run_program, NULL, "shadow tests (mlops-shadow)" },
	{ "monitor", run_program, NULL, "model monitoring (mlops-monitor)" },
	{ NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main_or(argc, argv, "mlops", verbs, run_program);
}
