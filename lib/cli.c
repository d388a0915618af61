/* cli.c - the shared command-line frame of every program; see cli.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "cli.h"
#include "fsck.h"
#include "xalloc.h"

static void vmessage(const struct cli *cli, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: ", cli->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_fail(const struct cli *cli, const struct mlops_err *err)
{
	fprintf(stderr, "%s: %s\n", cli->prog,
		err->msg[0] ? err->msg : "unknown error");
	audit_fail(cli->st, err);	/* a declared change that failed */
	return mlops_err_exit_status(err->code);
}

int cli_error(const struct cli *cli, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cli, fmt, ap);
	va_end(ap);
	return mlops_err_exit_status(code);
}

void cli_warn(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cli, fmt, ap);
	va_end(ap);
}

int cli_usage(const struct cli *cli, const char *usage, const char *fmt, ...)
{
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vmessage(cli, fmt, ap);
		va_end(ap);
	}
	fputs(usage, stderr);
	return 2;
}

int cli_help(const char *usage)
{
	fputs(usage, stdout);
	return 0;
}

int cli_stdout_is_tty(void)
{
	return isatty(STDOUT_FILENO);
}

int cli_getopt(int argc, char **argv, const char *optstring,
	       const struct option *longopts, const struct cli *cli,
	       const char *usage)
{
	int c = getopt_long(argc, argv, optstring, longopts, NULL);

	if (c == 'h')
		return 1000 + cli_help(usage);
	if (c == '?' || c == ':')
		return 1000 + cli_usage(cli, usage, NULL);
	return c;
}

int cli_store(struct cli *cli, struct store **out)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	uint64_t bytes;
	long stale;

	if (!cli->st) {
		if (store_open(&cli->st, cli->store_dir, cli->prog, &err) < 0)
			return cli_fail(cli, &err);
		/* Say so when killed commands left temporary files, which
		 * may be large (an offline partition per hour ingested). */
		if (tmp_stale(cli->st, &stale, &bytes, &err) == 0 && stale)
			cli_warn(cli, "tmp/ holds %ld file%s (%" PRIu64
				 " bytes) left by killed commands; 'mlops gc' "
				 "removes them", stale, stale == 1 ? "" : "s",
				 bytes);
	}
	*out = cli->st;
	return 0;
}

static void print_overview(FILE *f, const char *prog,
			   const struct cli_verb *verbs)
{
	size_t w = 0;

	fprintf(f, "usage: %s [--store DIR] VERB [options] [args]\n"
		"       %s VERB --help\n\nVerbs:\n", prog, prog);
	for (const struct cli_verb *v = verbs; v->name; v++)
		if (strlen(v->name) > w)
			w = strlen(v->name);
	for (const struct cli_verb *v = verbs; v->name; v++)
		fprintf(f, "  %-*s  %s\n", (int)w, v->name, v->summary);
	fprintf(f, "\nGlobal options:\n"
		"  --store DIR   use the store at DIR (default: $MLOPS_STORE, "
		"else the\n"
		"                nearest .mlops walking up from here)\n"
		"  -h, --help    show this help\n"
		"  --version     show the version\n");
}

int cli_dispatch(int argc, char **argv, struct cli *cli,
		 const char *prog_verb, const struct cli_verb *verbs)
{
	return cli_dispatch_or(argc, argv, cli, prog_verb, verbs, NULL);
}

int cli_dispatch_or(int argc, char **argv, struct cli *cli,
		    const char *prog_verb, const struct cli_verb *verbs,
		    int (*fallback)(int argc, char **argv, struct cli *cli))
{
	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		print_overview(argc < 1 ? stderr : stdout, prog_verb, verbs);
		return argc < 1 ? 2 : 0;
	}
	for (const struct cli_verb *v = verbs; v->name; v++)
		if (strcmp(v->name, argv[0]) == 0) {
			/* getopt names argv[0] in its messages: make that
			 * "mlops-feature ingest", not a bare "ingest".
			 * Verbs without usage pass argv on to another
			 * program (mlops feature ...) and keep it. */
			char *verb = argv[0];
			char *name = xasprintf("%s %s", prog_verb, verb);
			int status;

			if (v->usage)
				argv[0] = name;
			optind = 0;	/* re-initialise GNU getopt */
			status = v->run(argc, argv, cli);
			argv[0] = verb;
			free(name);
			return status;
		}
	if (fallback)
		return fallback(argc, argv, cli);
	fprintf(stderr, "%s: '%s' is not a verb of %s (see '%s --help')\n",
		cli->prog, argv[0], prog_verb, prog_verb);
	return 2;
}

/* Flush stdout and report a failed write: a full disk is no success. */
static int finish_stdout(const struct cli *cli, int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "%s: error writing to standard output\n",
			cli->prog);
		return status ? status : 70;
	}
	return status;
}

int cli_main(int argc, char **argv, const char *prog,
	     const struct cli_verb *verbs)
{
	return cli_main_or(argc, argv, prog, verbs, NULL);
}

int cli_main_or(int argc, char **argv, const char *prog,
		const struct cli_verb *verbs,
		int (*fallback)(int argc, char **argv, struct cli *cli))
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' },
		{ "store", required_argument, 0, 's' },
		{ "version", no_argument, 0, 'V' },
		{ 0, 0, 0, 0 }
	};
	struct cli cli = { prog, NULL, NULL };
	int c, status;

	/* '+': stop at the verb; its options are its own. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		switch (c) {
		case 'h':
			print_overview(stdout, prog, verbs);
			return finish_stdout(&cli, 0);
		case 's':
			cli.store_dir = optarg;
			break;
		case 'V':
			printf("%s %s\n", prog, MLOPS_VERSION);
			return finish_stdout(&cli, 0);
		default:
			print_overview(stderr, prog, verbs);
			return 2;
		}
	if (optind >= argc) {
		print_overview(stderr, prog, verbs);
		return 2;
	}
	status = cli_dispatch_or(argc - optind, argv + optind, &cli, prog,
				 verbs, fallback);
	store_close(cli.st);
	return finish_stdout(&cli, status);
}
