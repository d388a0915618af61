/* mlops.h - the verbs of the `mlops` program, one file each in cmd/mlops/,
 * dispatched from cmd/mlops.c. */
#ifndef MLOPS_CMD_MLOPS_H
#define MLOPS_CMD_MLOPS_H
#include "core/cli.h"

int cmd_fsck(int argc, char **argv, struct cli *cli);
int cmd_gc(int argc, char **argv, struct cli *cli);
int cmd_sync(int argc, char **argv, struct cli *cli);
int cmd_web(int argc, char **argv, struct cli *cli);
int cmd_plan(int argc, char **argv, struct cli *cli);
int cmd_apply(int argc, char **argv, struct cli *cli);
int cmd_export_stack(int argc, char **argv, struct cli *cli);

extern const char usage_object[], usage_fsck[], usage_gc[], usage_config[],
	usage_audit[], usage_event[], usage_role[], usage_remote[], usage_sync[],
	usage_web[], usage_plan[], usage_apply[], usage_export_stack[];
/* The nested verbs: mlops object put, mlops config get, ... */
extern const struct cli_verb object_verbs[], config_verbs[], audit_verbs[],
	event_verbs[], role_verbs[], remote_verbs[];

#endif
