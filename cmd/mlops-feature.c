/* mlops-feature.c - the feature store: groups, ingestion, the online
 * store, the offline store and point-in-time datasets. The verbs live in
 * cmd/mlops-feature/; the work is lib/'s (fgroup, fstore, fingest,
 * fonline, foffline, fpit). */
#include "core/cli.h"
#include "feature/feature.h"
#include "mlops-feature/feature.h"

int feature_load_group(struct cli *cli, const char *name,
		       struct store **st, struct feature_group **g)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	int ret;

	if ((ret = cli_store(cli, st)) != 0)
		return ret;
	if (feature_load(*st, name, g, &err) < 0)
		return cli_fail(cli, &err);
	return 0;
}

static const struct cli_verb verbs[] = {
	{ "create", cmd_create, usage_create, "create a feature group from "
	  "its YAML definition" },
	{ "list", cmd_list, usage_list, "list feature groups" },
	{ "describe", cmd_describe, usage_describe, "show a group's "
	  "definition and totals" },
	{ "drop", cmd_drop, usage_drop, "remove a group and its records" },
	{ "ingest", cmd_ingest, usage_ingest, "ingest records from CSV or "
	  "JSON Lines" },
	{ "get", cmd_get, usage_get, "the latest record of entities (online "
	  "store)" },
	{ "delete", cmd_delete, usage_delete, "delete a record (soft or "
	  "hard)" },
	{ "ddl", cmd_ddl, usage_ddl, "CREATE TABLE over the offline store "
	  "(Spark, Trino, DuckDB)" },
	{ "export", cmd_export, usage_export, "the whole offline table as "
	  "CSV" },
	{ "dataset", cmd_dataset, usage_dataset, "a point-in-time correct "
	  "training dataset" },
	{ "reindex", cmd_reindex, usage_reindex, "make missing or damaged "
	  "sorted runs again" },
	{ NULL, NULL, NULL, NULL }
};

int main(int argc, char **argv)
{
	return cli_main(argc, argv, "mlops-feature", verbs);
}
