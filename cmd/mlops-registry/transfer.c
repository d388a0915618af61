/* transfer.c - `mlops-registry export|import`: a version as one tar
 * stream, from one store (environment) to another. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/parse.h"
#include "registry-cmd.h"
#include "core/xalloc.h"

const char usage_export[] =
	"usage: mlops-registry export [-o FILE] GROUP/N|GROUP@ALIAS\n"
	"\n"
	"Write a version (manifest with metadata, lineage and approval "
	"history,\n"
	"its artifacts, its model card) as one tar stream to standard output,\n"
	"or to FILE, written atomically. See mlops-registry-export(5).\n"
	"\n"
	"  -o, --output FILE   write to FILE instead of standard output\n";
const char usage_import[] =
	"usage: mlops-registry import [--max-size SIZE] [--status STATUS]\n"
	"                             [FILE|-]\n"
	"\n"
	"Read an export stream (default: standard input; any tar tool's "
	"archive\n"
	"of its members, in any order) and register its version in this store\n"
	"under the same GROUP/N, keeping its lineage and approval record and\n"
	"noting the import. Every name, size and hash is checked before\n"
	"anything is written. Importing the same version again changes\n"
	"nothing.\n"
	"\n"
	"  --max-size SIZE   refuse artifacts larger than SIZE (100MB, 2GB)\n"
	"  --status STATUS   the status here (default: the exported status)\n";

int cmd_export(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "output", required_argument, 0, 'o' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct registry_version *mv = NULL;
	const char *output = NULL;
	char *tmp = NULL, *dir;
	struct store *st;
	int c, fd, ret;

	while ((c = cli_getopt(argc, argv, "ho:", opts, cli, usage_export))
	       != -1)
		switch (c) {
		case 'o':
			output = strcmp(optarg, "-") == 0 ? NULL : optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_export,
				 "expected one model version");
	if (!output && isatty(STDOUT_FILENO))
		return cli_usage(cli, usage_export, "refusing to write a tar "
				 "stream to a terminal; use -o FILE or a pipe");
	if ((ret = cli_store(cli, &st)) != 0 ||
	    (ret = regcmd_resolve(cli, st, argv[optind], &mv)) != 0)
		return ret;
	cli_progress(cli, st, 0);
	if (!output) {
		fflush(stdout);
		ret = registry_transfer_export(st, mv, STDOUT_FILENO, &err);
	} else {
		dir = fs_path_dirname(output);
		fd = fs_tmpfile_open(dir, ".export", &tmp, &err);
		free(dir);
		ret = fd < 0 ? fd : registry_transfer_export(st, mv, fd, &err);
		if (ret == 0)
			ret = fs_tmpfile_commit(fd, tmp, output, &err);
		if (ret == 0)
			regcmd_publish_mode(output);
		else if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
	}
	free(tmp);
	registry_version_free(mv);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

int cmd_import(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "max-size", required_argument, 0, 'M' },
		{ "status", required_argument, 0, 's' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *path = "-", *status = NULL;
	uint64_t max_size = 0;
	char *group = NULL, *name;
	int c, fd = STDIN_FILENO, unchanged = 0, ret;
	int64_t version = 0;
	struct store *st;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_import))
	       != -1)
		switch (c) {
		case 'M':
			if (parse_size(optarg, &max_size, "--max-size",
				       &err) < 0)
				return cli_usage(cli, usage_import, "%s",
						 err.msg);
			break;
		case 's':
			status = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind > 1)
		return cli_usage(cli, usage_import,
				 "expected at most one FILE");
	if (status && !registry_valid_status(status))
		return cli_usage(cli, usage_import, "unknown status '%s'",
				 status);
	if (optind < argc)
		path = argv[optind];
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (strcmp(path, "-") != 0 &&
	    (fd = fs_open_input(path, &err)) < 0)
		return cli_fail(cli, &err);
	cli_progress(cli, st, 0);
	ret = registry_transfer_import(st, fd, strcmp(path, "-") == 0 ?
				      "<stdin>" : path, status, max_size,
				      &group, &version, &unchanged, &err);
	if (fd != STDIN_FILENO)
		close(fd);
	if (ret < 0)
		return cli_fail(cli, &err);
	name = xasprintf("%s/%" PRId64, group, version);
	printf("%s\n", name);
	if (unchanged == REGISTRY_IMPORT_BASELINE)
		cli_warn(cli, "%s is here already with the same content; "
			 "its monitoring baseline attached", name);
	else if (unchanged)
		cli_warn(cli, "%s is here already with the same content; "
			 "nothing changed", name);
	free(name);
	free(group);
	return ret;
}
