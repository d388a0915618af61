/* config.c - `mlops config get|set|unset|list` over config.yaml. */
#include <stdio.h>
#include <string.h>

#include "core/config.h"
#include "core/jsonio.h"
#include "mlops.h"

const char usage_config[] =
	"usage: mlops config get KEY\n"
	"       mlops config set KEY VALUE\n"
	"       mlops config unset KEY\n"
	"       mlops config list [--json]\n"
	"\n"
	"Read and change the store's settings (config.yaml) by dotted keys,\n"
	"such as 'environment' or 'defaults.capture'. 'get' exits 4 when the\n"
	"key is not set. 'set' rewrites config.yaml (comments are not kept).\n";

static const char usage_get[] =
	"usage: mlops config get KEY\n"
	"\n"
	"Print the value at the dotted KEY; exit 4 when it is not set.\n";
static const char usage_set[] =
	"usage: mlops config set KEY VALUE\n"
	"\n"
	"Set KEY to VALUE, rewriting config.yaml (comments are not kept).\n";
static const char usage_unset[] =
	"usage: mlops config unset KEY\n"
	"\n"
	"Remove KEY from config.yaml.\n";
static const char usage_list[] =
	"usage: mlops config list [--json]\n"
	"\n"
	"Print every setting as KEY=VALUE, or with --json as one\n"
	"{\"key\": ..., \"value\": ...} object per line.\n";

static void print_pair(const char *key, const char *value, void *arg)
{
	int *json = arg;
	json_t *o;

	if (!*json) {
		printf("%s=%s\n", key, value);
		return;
	}
	o = json_pack("{s:s,s:s}", "key", key, "value", value);
	jsonio_print(stdout, o);
	json_decref(o);
}

static int config_read(int argc, char **argv, struct cli *cli, int list)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *cfg = NULL;
	const char *value;
	struct store *st;
	int json = 0, ret;

	ret = list ? cli_plain_args(argc, argv, cli, usage_list, 0, &json) :
		cli_plain_args(argc, argv, cli, usage_get, 1, NULL);
	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (config_load(&cfg, st->dir, &err) < 0)
		return cli_fail(cli, &err);
	if (list) {
		config_each(cfg, print_pair, &json);
		spec_free(cfg);
		return 0;
	}
	value = config_get(cfg, argv[optind]);
	if (value)
		printf("%s\n", value);
	spec_free(cfg);
	return value ? 0 : cli_error(cli, MLOPS_ENOTFOUND, "'%s' is not set",
				     argv[optind]);
}

static int cmd_get(int argc, char **argv, struct cli *cli)
{
	return config_read(argc, argv, cli, 0);
}

static int cmd_list(int argc, char **argv, struct cli *cli)
{
	return config_read(argc, argv, cli, 1);
}

/* set (value given) and unset (value NULL). */
static int config_write(int argc, char **argv, struct cli *cli, int set)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct store *st;
	int ret;

	ret = cli_plain_args(argc, argv, cli, set ? usage_set : usage_unset,
			     set ? 2 : 1, NULL);
	if (ret >= 0)
		return ret;
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	ret = config_change(st, argv[optind], set ? argv[optind + 1] : NULL,
			    &err);
	if (ret < 0)
		return cli_fail(cli, &err);
	if (set)
		printf("%s: set to %s\n", argv[optind], argv[optind + 1]);
	else
		printf("%s: unset\n", argv[optind]);
	return 0;
}

static int cmd_set(int argc, char **argv, struct cli *cli)
{
	return config_write(argc, argv, cli, 1);
}

static int cmd_unset(int argc, char **argv, struct cli *cli)
{
	return config_write(argc, argv, cli, 0);
}

const struct cli_verb config_verbs[] = {
	{ "get", cmd_get, usage_get, "print a setting" },
	{ "set", cmd_set, usage_set, "change a setting" },
	{ "unset", cmd_unset, usage_unset, "remove a setting" },
	{ "list", cmd_list, usage_list, "print every setting" },
	{ NULL, NULL, NULL, NULL, NULL }
};
