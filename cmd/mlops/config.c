/* config.c - `mlops config get|set|unset|list` over config.yaml. */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "config.h"
#include "mlops.h"

const char usage_config[] =
	"usage: mlops config get KEY\n"
	"       mlops config set KEY VALUE\n"
	"       mlops config unset KEY\n"
	"       mlops config list\n"
	"\n"
	"Read and change the store's settings (config.yaml) by dotted keys,\n"
	"such as 'environment' or 'defaults.capture'. 'get' exits 4 when the\n"
	"key is not set. 'set' rewrites config.yaml (comments are not kept).\n";

static void print_pair(const char *key, const char *value, void *arg)
{
	(void)arg;
	printf("%s=%s\n", key, value);
}

int cmd_config(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct audit_entry entry = { NULL, NULL, "success", NULL };
	struct spec_doc *cfg = NULL;
	struct store *st;
	const char *verb;
	int c, ret, nargs;

	optind = 0;
	while ((c = cli_getopt(argc, argv, "+h", opts, cli, usage_config))
	       != -1)
		return CLI_STATUS(c);
	if (optind >= argc)
		return cli_usage(cli, usage_config, NULL);
	verb = argv[optind++];
	nargs = argc - optind;
	if (!((strcmp(verb, "get") == 0 && nargs == 1) ||
	      (strcmp(verb, "set") == 0 && nargs == 2) ||
	      (strcmp(verb, "unset") == 0 && nargs == 1) ||
	      (strcmp(verb, "list") == 0 && nargs == 0)))
		return cli_usage(cli, usage_config, "config %s: wrong "
				 "arguments", verb);
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (strcmp(verb, "get") == 0 || strcmp(verb, "list") == 0) {
		const char *value;

		if (config_load(&cfg, st->dir, &err) < 0)
			return cli_fail(cli, &err);
		if (strcmp(verb, "list") == 0) {
			config_each(cfg, print_pair, NULL);
			spec_free(cfg);
			return 0;
		}
		value = config_get(cfg, argv[optind]);
		if (value)
			printf("%s\n", value);
		spec_free(cfg);
		return value ? 0 : cli_error(cli, MLOPS_ENOTFOUND,
					     "'%s' is not set", argv[optind]);
	}
	if (strcmp(verb, "set") == 0) {
		ret = config_set(st->dir, argv[optind], argv[optind + 1], &err);
		entry.action = "config.set";
	} else {
		ret = config_unset(st->dir, argv[optind], &err);
		entry.action = "config.unset";
	}
	entry.resource = argv[optind];
	if (ret == 0)
		ret = audit_append(st, &entry, &err);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}
