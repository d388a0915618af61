/* registry-cmd.h - what the verbs of mlops-registry (one file per area in
 * cmd/mlops-registry/) share: the verb functions and usage texts for the
 * verb table in cmd/mlops-registry.c, and small helpers for arguments and
 * audit records. */
#ifndef MLOPS_REGISTRY_CMD_H
#define MLOPS_REGISTRY_CMD_H
#include <jansson.h>

#include "core/cli.h"
#include "registry/registry.h"

/* approval.c */
int cmd_approve(int argc, char **argv, struct cli *cli);
int cmd_reject(int argc, char **argv, struct cli *cli);
int cmd_status(int argc, char **argv, struct cli *cli);
extern const char usage_approve[], usage_reject[], usage_status[],
	usage_alias[];

/* inspect.c */
int cmd_lineage(int argc, char **argv, struct cli *cli);
int cmd_diff(int argc, char **argv, struct cli *cli);
extern const char usage_lineage[], usage_diff[];

/* transfer.c */
int cmd_export(int argc, char **argv, struct cli *cli);
int cmd_import(int argc, char **argv, struct cli *cli);
extern const char usage_export[], usage_import[];

/* card.c */
extern const struct cli_verb card_verbs[], alias_verbs[];
extern const char usage_card[];

/* What an argument parser returns when the verb should go on; any other
 * value is the exit status to return at once (0 after --help). */
#define REGCMD_GO_ON (-1)

/* Parse "KEY=VALUE" into obj[KEY] = "VALUE"; option names the flag for
 * the message. 0, or the usage exit status after printing usage. */
int regcmd_add_kv(const struct cli *cli, const char *usage, json_t *obj,
		  const char *option, const char *arg);
/* *out = arg when it is UTF-8 text (it ends up in JSON output); else
 * the usage exit status after printing usage. */
int regcmd_text(const struct cli *cli, const char *usage, const char *option,
		const char *arg, const char **out);

/* The head of a verb whose only option is --json: parse the options,
 * check that nargs arguments follow (from optind) and open the store.
 * REGCMD_GO_ON, or the exit status to return. */
int regcmd_parse_args(int argc, char **argv, struct cli *cli,
		      const char *usage, int nargs, int *json,
		      struct store **st);

/* Resolve ref into *out; 0, or the exit status after printing. */
int regcmd_resolve(const struct cli *cli, struct store *st, const char *ref,
		   struct registry_version **out);

/* Give a file we wrote atomically (temporary files are 0600) the mode
 * a new file would have under the umask: exports are meant to be
 * shared. Best effort. */
void regcmd_publish_mode(const char *path);

/* Print one record of registry_approvals as a line, after indent:
 * "TIME  ENV  approved by USER: comment", "imported from ENV as STATUS
 * by USER", ... */
void regcmd_print_approval(const char *indent, const json_t *record);

/* "GROUP/N" of mv; the caller frees. */
char *regcmd_name(const struct registry_version *mv);

#endif
