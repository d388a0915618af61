/* verbs.h - the verbs of mlops-monitor that live in cmd/mlops-monitor/. */
#ifndef MLOPS_CMD_MONITOR_VERBS_H
#define MLOPS_CMD_MONITOR_VERBS_H
#include "core/cli.h"

extern const char usage_schedule[], usage_schedule_create[],
	usage_schedule_list[], usage_schedule_rm[], usage_run_due[],
	usage_executions[], usage_show[];
int cmd_schedule_create(int argc, char **argv, struct cli *cli);
int cmd_schedule_list(int argc, char **argv, struct cli *cli);
int cmd_schedule_rm(int argc, char **argv, struct cli *cli);
int cmd_run_due(int argc, char **argv, struct cli *cli);
int cmd_executions(int argc, char **argv, struct cli *cli);
int cmd_show(int argc, char **argv, struct cli *cli);
extern const char usage_quality[], usage_dashboard[], usage_attribution[];
int cmd_attribution(int argc, char **argv, struct cli *cli);
int cmd_dashboard(int argc, char **argv, struct cli *cli);
int cmd_quality(int argc, char **argv, struct cli *cli);

#endif
