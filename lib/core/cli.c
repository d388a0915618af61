/* cli.c - the shared command-line frame of every program; see cli.h. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/cli.h"
#include "core/fsck.h"
#include "core/hash.h"
#include "core/jsonio.h"
#include "core/xalloc.h"

static void vmessage(const struct cli *cli, const char *fmt, va_list ap)
{
	progress_clear(cli->progress);
	fprintf(stderr, "%s: ", cli->prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

/* Record the failure of a verb that changes the store, when the library
 * recorded nothing (see audit_refusal()). The resource is the verb's
 * first operand, where its option parsing left optind. */
static void record_refusal(const struct cli *cli, const struct mlops_err *err)
{
	const struct access_verb *v;

	if (!cli->st || !cli->verb)
		return;
	v = access_verb_find(cli->verb);
	if (!v || !v->action || v->sometimes)
		return;
	audit_refusal(cli->st, v->action, optind > 0 && optind < cli->argc ?
		      cli->argv[optind] : "", err);
}

int cli_fail(const struct cli *cli, const struct mlops_err *err)
{
	progress_clear(cli->progress);
	fprintf(stderr, "%s: %s\n", cli->prog,
		err->msg[0] ? err->msg : "unknown error");
	audit_fail(cli->st, err);	/* a declared change that failed */
	record_refusal(cli, err);	/* one that failed before */
	return mlops_err_exit_status(err->code);
}

int cli_error(const struct cli *cli, int code, const char *fmt, ...)
{
	struct mlops_err err = { code, "" };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err.msg, sizeof(err.msg), fmt, ap);
	va_end(ap);
	progress_clear(cli->progress);
	fprintf(stderr, "%s: %s\n", cli->prog, err.msg);
	if (code < 0)
		record_refusal(cli, &err);
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

const char *cli_output(const char *arg)
{
	return strcmp(arg, "-") == 0 ? NULL : arg;
}

int cli_stdout_is_tty(void)
{
	return isatty(STDOUT_FILENO);
}

struct progress *cli_progress(struct cli *cli, struct store *st,
			      int stdout_data)
{
	const char *env = getenv("MLOPS_PROGRESS");
	int want;

	if (env && strcmp(env, "1") == 0)
		want = 1;
	else if (env && strcmp(env, "0") == 0)
		want = 0;
	else
		want = isatty(STDERR_FILENO) &&
			!(stdout_data && isatty(STDOUT_FILENO));
	if (want && !cli->progress)
		cli->progress = progress_new(STDERR_FILENO, cli->prog);
	if (!want)
		return NULL;
	if (st)
		st->progress = cli->progress;
	return cli->progress;
}

/* A stop with this exit status: below -1, where no option can be. */
static int stop(int status)
{
	return -2 - status;
}

int cli_getopt(int argc, char **argv, const char *optstring,
	       const struct option *longopts, const struct cli *cli,
	       const char *usage)
{
	int c;

	for (const struct option *o = longopts; o && o->name; o++)
		if (!o->flag && o->val < 0) {
			fprintf(stderr, "%s: internal error: option '--%s' has "
				"the negative code %d, which the verb frame "
				"keeps for itself\n", cli->prog, o->name,
				o->val);
			return stop(70);
		}
	c = getopt_long(argc, argv, optstring, longopts, NULL);
	if (c == 'h')
		return stop(cli_help(usage));
	if (c == '?' || c == ':')
		return stop(cli_usage(cli, usage, NULL));
	return c;
}

int cli_plain_args(int argc, char **argv, const struct cli *cli,
		   const char *usage, int nargs, int *json)
{
	static const struct option help_only[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	static const struct option help_json[] = {
		{ "help", no_argument, 0, 'h' },
		{ "json", no_argument, 0, 'j' }, { 0, 0, 0, 0 }
	};
	int c;

	while ((c = cli_getopt(argc, argv, "h", json ? help_json : help_only,
			       cli, usage)) != -1) {
		if (c != 'j')
			return CLI_STATUS(c);
		*json = 1;
	}
	if (argc - optind != nargs)
		return cli_usage(cli, usage, nargs == 1 ? "expected one "
				 "argument" : "expected %d arguments", nargs);
	return -1;
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
		if (fsck_tmp_stale(cli->st, &stale, &bytes, &err) == 0 && stale)
			cli_warn(cli, "tmp/ holds %ld file%s (%" PRIu64
				 " bytes) left by killed commands; 'mlops gc' "
				 "removes them", stale, stale == 1 ? "" : "s",
				 bytes);
	}
	*out = cli->st;
	return 0;
}

static size_t name_width(const struct cli_verb *verbs, size_t prefix)
{
	size_t w = 0;

	for (const struct cli_verb *v = verbs; v->name; v++) {
		size_t n = prefix + strlen(v->name);

		if (n > w)
			w = n;
		if (v->sub && name_width(v->sub, n + 1) > w)
			w = name_width(v->sub, n + 1);
	}
	return w;
}

static void print_verbs(FILE *f, const struct cli_verb *verbs,
			const char *prefix, int w)
{
	for (const struct cli_verb *v = verbs; v->name; v++) {
		char *name = xasprintf("%s%s", prefix, v->name);

		fprintf(f, "  %-*s  %s\n", w, name, v->summary);
		if (v->sub) {
			char *sub = xasprintf("%s ", name);

			print_verbs(f, v->sub, sub, w);
			free(sub);
		}
		free(name);
	}
}

/* The program's overview (group_usage NULL), or a verb group's: its
 * synopsis and its verbs. */
static void print_overview(FILE *f, const char *prog,
			   const char *group_usage,
			   const struct cli_verb *verbs)
{
	if (group_usage)
		fprintf(f, "%s\nVerbs:\n", group_usage);
	else
		fprintf(f, "usage: %s [--store DIR] VERB [options] [args]\n"
			"       %s VERB --help\n\nVerbs:\n", prog, prog);
	print_verbs(f, verbs, "", (int)name_width(verbs, 0));
	if (group_usage)
		return;
	fprintf(f, "\nGlobal options:\n"
		"  --store DIR   use the store at DIR (default: $MLOPS_STORE, "
		"else the\n"
		"                nearest .mlops walking up from here)\n"
		"  -h, --help    show this help\n"
		"  --version     show the version\n");
}

static int dispatch(int argc, char **argv, struct cli *cli,
		    const char *prog_verb, const char *group_usage,
		    const struct cli_verb *verbs,
		    int (*fallback)(int argc, char **argv, struct cli *cli))
{
	if (argc < 1 || strcmp(argv[0], "-h") == 0 ||
	    strcmp(argv[0], "--help") == 0) {
		print_overview(argc < 1 ? stderr : stdout, prog_verb,
			       group_usage, verbs);
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

			if (v->sub) {
				status = dispatch(argc - 1, argv + 1, cli,
						  name, v->usage, v->sub,
						  NULL);
				free(name);
				return status;
			}
			if (v->usage)
				argv[0] = name;
			optind = 0;	/* re-initialise GNU getopt */
			cli->verb = name;
			cli->argc = argc;
			cli->argv = argv;
			status = v->run(argc, argv, cli);
			cli->verb = NULL;
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

int cli_dispatch(int argc, char **argv, struct cli *cli,
		 const char *prog_verb, const struct cli_verb *verbs)
{
	return dispatch(argc, argv, cli, prog_verb, NULL, verbs, NULL);
}

int cli_dispatch_or(int argc, char **argv, struct cli *cli,
		    const char *prog_verb, const struct cli_verb *verbs,
		    int (*fallback)(int argc, char **argv, struct cli *cli))
{
	return dispatch(argc, argv, cli, prog_verb, NULL, verbs, fallback);
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
	struct cli cli = { .prog = prog };
	int c, status;

	hash_init();
	jsonio_init();
	/* '+': stop at the verb; its options are its own. */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1)
		switch (c) {
		case 'h':
			print_overview(stdout, prog, NULL, verbs);
			return finish_stdout(&cli, 0);
		case 's':
			cli.store_dir = optarg;
			break;
		case 'V':
			printf("%s %s\n", prog, MLOPS_VERSION);
			return finish_stdout(&cli, 0);
		default:
			print_overview(stderr, prog, NULL, verbs);
			return 2;
		}
	if (optind >= argc) {
		print_overview(stderr, prog, NULL, verbs);
		return 2;
	}
	status = cli_dispatch_or(argc - optind, argv + optind, &cli, prog,
				 verbs, fallback);
	store_close(cli.st);
	progress_free(cli.progress);
	return finish_stdout(&cli, status);
}
