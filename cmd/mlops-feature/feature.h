/* feature.h - the verbs of mlops-feature, dispatched from
 * cmd/mlops-feature.c: groups.c (create, list, describe, drop),
 * records.c (ingest, get, delete) and lake.c (ddl, export, dataset,
 * reindex). */
#ifndef MLOPS_CMD_FEATURE_H
#define MLOPS_CMD_FEATURE_H
#include "core/cli.h"
#include "feature/feature.h"

int cmd_create(int argc, char **argv, struct cli *cli);
int cmd_list(int argc, char **argv, struct cli *cli);
int cmd_describe(int argc, char **argv, struct cli *cli);
int cmd_drop(int argc, char **argv, struct cli *cli);
int cmd_ingest(int argc, char **argv, struct cli *cli);
int cmd_get(int argc, char **argv, struct cli *cli);
int cmd_delete(int argc, char **argv, struct cli *cli);
int cmd_ddl(int argc, char **argv, struct cli *cli);
int cmd_export(int argc, char **argv, struct cli *cli);
int cmd_dataset(int argc, char **argv, struct cli *cli);
int cmd_reindex(int argc, char **argv, struct cli *cli);

extern const char usage_create[], usage_list[], usage_describe[],
	usage_drop[], usage_ingest[], usage_get[], usage_delete[],
	usage_ddl[], usage_export[], usage_dataset[], usage_reindex[];

/* Open the store and load group name: 0, or the exit status after
 * printing the error. The caller frees *g. */
int feature_load_group(struct cli *cli, const char *name,
		       struct store **st, struct feature_group **g);

#endif
