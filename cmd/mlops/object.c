/* object.c - `mlops object put|get|ls`: the blob store by hand. Objects
 * put this way are pinned (owner "pin") so that gc keeps them. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/jsonio.h"
#include "mlops.h"
#include "core/object.h"
#include "core/table.h"
#include "core/xalloc.h"

static const char usage_put[] =
	"usage: mlops object put [FILE|-]...\n"
	"\n"
	"Store each FILE (default: standard input) as a blob and print its\n"
	"SHA-256, one per line. Objects put by hand are pinned: "
	"gc keeps them.\n";
static const char usage_get[] =
	"usage: mlops object get [-o FILE] HASH\n"
	"\n"
	"Write the content of blob HASH to standard output, or with -o to\n"
	"FILE (written only once the content is verified).\n"
	"\n"
	"  -o, --output FILE   write to FILE instead of standard output\n"
	"                      (- is standard output)\n";
static const char usage_ls[] =
	"usage: mlops object ls [--json]\n"
	"\n"
	"List every blob with its stored (compressed) size and references.\n"
	"\n"
	"  --json   one JSON object per line\n";

const char usage_object[] =
	"usage: mlops object put [FILE|-]...\n"
	"       mlops object get [-o FILE] HASH\n"
	"       mlops object ls [--json]\n";

static const struct option help_only[] = {
	{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
};

static int write_one(struct store *st, const char *path,
		     char hash[HASH_HEX_LEN + 1], struct mlops_err *err)
{
	if (strcmp(path, "-") == 0)
		return object_write_fd(st, STDIN_FILENO, "<stdin>", hash, NULL,
				       err);
	return object_write_file(st, path, hash, NULL, err);
}

static int cmd_put(int argc, char **argv, struct cli *cli)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	char (*hashes)[HASH_HEX_LEN + 1];
	const char *const stdin_only[] = { "-" };
	const char *const *paths;
	struct store *st;
	int c, n, ret = 0;

	while ((c = cli_getopt(argc, argv, "h", help_only, cli, usage_put))
	       != -1)
		return CLI_STATUS(c);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	n = optind < argc ? argc - optind : 1;
	paths = optind < argc ? (const char *const *)argv + optind :
		stdin_only;
	/* May the user pin blobs at all? Asked before writing any, so that
	 * a refusal leaves the store as it was (object_pin() asks again,
	 * as every change does). */
	if (audit_authorize(st, "object.put", n == 1 ? paths[0] : "objects",
			    &err) < 0)
		return cli_fail(cli, &err);
	hashes = xcalloc((size_t)n, sizeof(*hashes));
	/* Blobs first, outside any transaction (they may be large), then
	 * the pins in one: a failure leaves at most unreferenced blobs,
	 * which gc removes. */
	for (int i = 0; i < n && ret == 0; i++)
		ret = write_one(st, paths[i], hashes[i], &err);
	if (ret == 0)
		ret = object_pin(st, (const char (*)[HASH_HEX_LEN + 1])hashes,
				 (size_t)n, &err);
	if (ret < 0) {
		free(hashes);
		return cli_fail(cli, &err);
	}
	for (int i = 0; i < n; i++)
		printf("%s\n", hashes[i]);
	free(hashes);
	return 0;
}

static int cmd_get(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "output", required_argument, 0, 'o' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *output = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "ho:", opts, cli, usage_get)) != -1)
		switch (c) {
		case 'o':
			output = cli_output(optarg);
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_get, "expected one HASH");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	fflush(stdout);
	if (output)
		ret = object_export_file(st, argv[optind], output, &err);
	else
		ret = object_read_fd(st, argv[optind], STDOUT_FILENO, &err);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

struct ls_state {
	struct table *table;
	int json;
};

static int ls_one(const char *hash, uint64_t bytes, int64_t refs, void *arg)
{
	struct ls_state *ls = arg;
	char size[32], nrefs[32];

	if (ls->json) {
		json_t *o = json_pack("{s:s,s:I,s:I}", "hash", hash,
				      "stored_bytes", (json_int_t)bytes,
				      "references", (json_int_t)refs);

		jsonio_print(stdout, o);
		json_decref(o);
		return 0;
	}
	snprintf(size, sizeof(size), "%" PRIu64, bytes);
	snprintf(nrefs, sizeof(nrefs), "%" PRId64, refs);
	table_add(ls->table, (const char *const[]){ hash, size, nrefs });
	return 0;
}

static int cmd_ls(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, 'j' }, { 0, 0, 0, 0 }
	};
	static const char *const headers[] = { "hash", "stored", "refs" };
	struct mlops_err err = MLOPS_ERR_INIT;
	struct ls_state ls = { 0 };
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_ls)) != -1)
		switch (c) {
		case 'j':
			ls.json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_ls, "unexpected argument '%s'",
				 argv[optind]);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (!ls.json)
		ls.table = table_new(3, headers);
	ret = object_list(st, ls_one, &ls, &err);
	if (ls.table)
		table_print_free(ls.table, stdout);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}

const struct cli_verb object_verbs[] = {
	{ "put", cmd_put, usage_put, "store files as blobs, print hashes" },
	{ "get", cmd_get, usage_get, "write a blob's content" },
	{ "ls", cmd_ls, usage_ls, "list blobs" },
	{ NULL, NULL, NULL, NULL }
};
