/* cli.h - what every program in cmd/ shares: global options, verb
 * dispatch, help, error printing with the documented exit statuses, and a
 * checked stdout. A program is a table of verbs handed to cli_main:
 *
 *	static const struct cli_verb verbs[] = {
 *		{ "put", cmd_put, usage_put, "store a file as an object" },
 *		{ "key", NULL, usage_key, "API keys", key_verbs },
 *		{ NULL }
 *	};
 *	int main(int argc, char **argv)
 *	{
 *		return cli_main(argc, argv, "mlops-thing", verbs);
 *	}
 *
 * cli_main parses the global options (--store DIR, -h/--help, --version)
 * that come before the verb, then calls the verb with argv[0] = the verb
 * name and getopt's state reset, so the verb parses its own options.
 * Its --help lists every verb, nested ones included, one a line after
 * "Verbs:", the name (one or two words) and its summary apart by at
 * least two spaces: tests and completion scripts read the verbs there.
 *
 * This is the command-line frame of cmd/, kept in lib/ so that every
 * program links one copy: unlike the rest of lib/, it prints (help,
 * messages) and its callers exit with what it returns. */
#ifndef MLOPS_CLI_H
#define MLOPS_CLI_H
#include <getopt.h>

#include "core/err.h"
#include "core/progress.h"
#include "core/store.h"

struct cli {
	const char *prog;	/* "mlops-feature" */
	const char *store_dir;	/* --store, or NULL */
	struct store *st;	/* opened by cli_store, closed by cli_main */
	/* The verb running ("mlops-registry approve") and its arguments,
	 * for the record of a change that fails before it is declared. */
	const char *verb;
	int argc;
	char **argv;
	struct progress *progress;	/* made by cli_progress, or NULL */
};

struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv, struct cli *cli);
	const char *usage;	/* "usage: mlops-x verb ...\n" + options */
	const char *summary;	/* one line for the program's --help */
	/* Verbs nested under this one ("mlops object put"), or NULL. With
	 * sub set, run is NULL: the frame dispatches argv[1] among sub,
	 * usage is the group's synopsis, and the program's --help lists
	 * each nested verb as "name sub-name". */
	const struct cli_verb *sub;
};

int cli_main(int argc, char **argv, const char *prog,
	     const struct cli_verb *verbs);

/* cli_main, calling fallback for a verb not in verbs (the dispatcher
 * `mlops` runs mlops-VERB that way). */
int cli_main_or(int argc, char **argv, const char *prog,
		const struct cli_verb *verbs,
		int (*fallback)(int argc, char **argv, struct cli *cli));

/* Run verbs[i] matching argv[0] as a nested dispatch ("mlops object put"):
 * prog_verb is "mlops object" for messages. */
int cli_dispatch(int argc, char **argv, struct cli *cli,
		 const char *prog_verb, const struct cli_verb *verbs);

int cli_dispatch_or(int argc, char **argv, struct cli *cli,
		    const char *prog_verb, const struct cli_verb *verbs,
		    int (*fallback)(int argc, char **argv, struct cli *cli));

/* Open the store (once); prints the error and returns its exit status,
 * or 0 with *out set. */
int cli_store(struct cli *cli, struct store **out);

/* Print "prog: message" for err and return the exit status for it. A
 * verb that changes the store (see access_verbs) records the failure in
 * the audit trail, as cli_error does for codes other than usage. */
int cli_fail(const struct cli *cli, const struct mlops_err *err);
/* Print "prog: message" and return the exit status for code. */
int cli_error(const struct cli *cli, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print a warning "prog: message" (no exit status involved). */
void cli_warn(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* For a usage mistake: an optional message, then the usage text, on
 * stderr; returns 2. fmt may be NULL. */
int cli_usage(const struct cli *cli, const char *usage, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* For -h: the usage text on stdout; returns 0. */
int cli_help(const char *usage);

/* The standard getopt_long loop head for a verb: handles -h/--help and
 * unknown options. Returns what getopt_long returns for an option of the
 * verb (a short option's character, a long option's val, 0 for a long
 * option with a flag), -1 after the last option, or a stop: a value below
 * -1, for which CLI_EXIT(c) holds and the verb returns CLI_STATUS(c)
 * (0 after --help, 2 after a usage error).
 *
 * The frame owns every negative value and a verb's options own the rest:
 * cli_getopt refuses (a stop with status 70) a longopts table that gives
 * an option a negative val, so no option, however it is numbered, can
 * be taken for a stop, and no stop for an option. A verb numbers its
 * long-only options as it likes from 256 up, past every short option
 * character (mlops-deploy starts at 1000). */
int cli_getopt(int argc, char **argv, const char *optstring,
	       const struct option *longopts, const struct cli *cli,
	       const char *usage);
#define CLI_EXIT(c) ((c) < -1)
/* The exit status for a stop; 70 for an option the verb does not handle
 * (its switch fell through to default). */
#define CLI_STATUS(c) (CLI_EXIT(c) ? -2 - (c) : 70)

/* All the option parsing of a verb whose only options are -h/--help and,
 * when json is not NULL, --json (which sets *json), and which takes
 * exactly nargs arguments. Returns -1 to go on (the arguments start at
 * argv[optind]), or the exit status the verb returns. */
int cli_plain_args(int argc, char **argv, const struct cli *cli,
		   const char *usage, int nargs, int *json);

/* The file an -o/--output option names: arg, or NULL for "-", which
 * means standard output for every verb of every program. */
const char *cli_output(const char *arg);

/* Whether stdout/stderr is a terminal (for tables and progress). */
int cli_stdout_is_tty(void);

/* The progress line of a verb that can run long (see progress.h), hung
 * on st (st->progress) when st is not NULL so that the library reports
 * to it; NULL when no line is wanted. It is wanted when $MLOPS_PROGRESS
 * is 1, never when it is 0, and otherwise when standard error is a
 * terminal, unless the verb writes its data to standard output as it
 * works (stdout_data) and that is a terminal too, where the line would
 * break into the data. The frame frees it after the verb; messages of
 * cli_warn, cli_error and cli_fail wipe it first. */
struct progress *cli_progress(struct cli *cli, struct store *st,
			      int stdout_data);

#endif
