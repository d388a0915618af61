/* verbs.h - the verbs of mlops-pipeline, one group per file in
 * cmd/mlops-pipeline/, dispatched from cmd/mlops-pipeline.c. */
#ifndef MLOPS_CMD_PIPELINE_VERBS_H
#define MLOPS_CMD_PIPELINE_VERBS_H
#include <jansson.h>

#include "core/cli.h"

/* show.c */
int cmd_list(int argc, char **argv, struct cli *cli);
int cmd_show(int argc, char **argv, struct cli *cli);
int cmd_logs(int argc, char **argv, struct cli *cli);
/* graph.c */
int cmd_validate(int argc, char **argv, struct cli *cli);
int cmd_graph(int argc, char **argv, struct cli *cli);
/* hook.c */
extern const struct cli_verb hook_verbs[];

extern const char usage_list[], usage_show[], usage_logs[], usage_validate[],
	usage_graph[], usage_hook[];

/* Print "prog: what" and return the exit status for run's status:
 * shared by the verbs that wait for a run. */
int pipeline_run_exit(const char *status);

#endif
