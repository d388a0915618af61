/* web.c - mlops web: the Studio view, a read-only site over the store
 * (lib/web), served on 127.0.0.1 or written out as files. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/cli.h"
#include "mlops.h"
#include "web/web.h"

const char usage_web[] =
	"usage: mlops web [--listen HOST:PORT] [--key-file FILE] [--open]\n"
	"       mlops web --export DIR\n"
	"\n"
	"Serve a read-only site over the store: feature groups, pipeline\n"
	"runs and their DAGs, the model registry with cards, endpoints and\n"
	"the model dashboard. Every page answers as JSON too (?format=json\n"
	"or Accept: application/json). Stops on SIGTERM or SIGINT.\n"
	"\n"
	"  --export DIR       write every page (HTML and JSON) under DIR\n"
	"                     instead, with links that open from disk\n"
	"  --key-file FILE    the access key requests must carry (X-Api-Key\n"
	"                     or Authorization: Bearer), on FILE's first\n"
	"                     line; else $MLOPS_WEB_KEY. Required to listen\n"
	"                     on an address other than loopback\n"
	"  --listen H:P       the address (default 127.0.0.1:8017; port 0\n"
	"                     picks a free one)\n"
	"  --open             open the site with $BROWSER or xdg-open\n";

enum { OPT_EXPORT = 500, OPT_KEY_FILE, OPT_LISTEN, OPT_OPEN };

static void on_ready(void *arg, const char *url)
{
	const int *open_it = arg;
	const char *browser = getenv("BROWSER");
	pid_t pid;

	fflush(stderr);
	if (!*open_it)
		return;
	pid = fork();
	if (pid == 0) {
		execlp(browser && *browser ? browser : "xdg-open",
		       browser && *browser ? browser : "xdg-open", url,
		       (char *)NULL);
		fprintf(stderr, "mlops web: cannot open a browser: %s\n",
			strerror(errno));
		_exit(127);
	}
}

/* The key on the first line of path, without its line end. */
static int read_key(const char *path, char **out, struct mlops_err *err)
{
	struct buf b = BUF_INIT;
	int ret;

	if ((ret = buf_read_file(&b, path, 4096, err)) < 0)
		return ret;
	buf_setlen(&b, strcspn(b.s, "\r\n"));
	*out = buf_detach(&b, NULL);
	return 0;
}

int cmd_web(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "export", required_argument, 0, OPT_EXPORT },
		{ "help", no_argument, 0, 'h' },
		{ "key-file", required_argument, 0, OPT_KEY_FILE },
		{ "listen", required_argument, 0, OPT_LISTEN },
		{ "open", no_argument, 0, OPT_OPEN }, { 0, 0, 0, 0 }
	};
	struct web_server_conf conf = { NULL, "127.0.0.1:8017", NULL, stderr,
					on_ready, NULL };
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *export_dir = NULL, *key_file = NULL;
	char *key = NULL;
	struct store *st;
	int c, open_it = 0, listen_set = 0, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_web)) != -1)
		switch (c) {
		case OPT_EXPORT:
			export_dir = optarg;
			break;
		case OPT_KEY_FILE:
			key_file = optarg;
			break;
		case OPT_LISTEN:
			conf.listen = optarg;
			listen_set = 1;
			break;
		case OPT_OPEN:
			open_it = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (optind != argc)
		return cli_usage(cli, usage_web, "unexpected argument '%s'",
				 argv[optind]);
	if (export_dir && (listen_set || key_file || open_it))
		return cli_usage(cli, usage_web, "--export writes files: it "
				 "takes no --listen, --key-file or --open");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (export_dir) {
		size_t n = 0;

		if (web_export(st, export_dir, &n, &err) < 0)
			return cli_fail(cli, &err);
		printf("wrote %zu files to %s\n", n, export_dir);
		return 0;
	}
	if (key_file && read_key(key_file, &key, &err) < 0)
		return cli_fail(cli, &err);
	conf.key = key ? key : getenv("MLOPS_WEB_KEY");
	conf.store_dir = st->dir;
	conf.arg = &open_it;
	ret = web_server_run(&conf, &err);
	free(key);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}
