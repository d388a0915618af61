/* fddl.h - the SQL that makes a feature group's offline folder (see
 * foffline.h) a table of another engine, read in place: Spark SQL and
 * Trino's Hive connector get an external table over the Hive partitions,
 * DuckDB a view over read_csv of the folder. Every engine gets the
 * group's features, write_time, api_invocation_time, is_deleted and the
 * partition columns year, month, day and hour; a delete is a row with
 * is_deleted true and no feature values (SageMaker's offline marker). */
#ifndef MLOPS_FEATURE_DDL_H
#define MLOPS_FEATURE_DDL_H
#include "core/buf.h"
#include "core/err.h"
#include "feature/group.h"
#include "core/store.h"

enum feature_ddl_engine { DDL_SPARK, DDL_TRINO, DDL_DUCKDB };

/* The engine named s ("spark", "trino", "duckdb") into *out: 0, or -1. */
int feature_ddl_engine_parse(const char *s, enum feature_ddl_engine *out);

/* Append to out the statements that make group g's offline folder a
 * table of engine, each ending in ";\n". schema (a valid group name, see
 * feature_group_valid_name) qualifies the table; NULL leaves it to the session,
 * except for Trino, whose partition procedure needs the schema named:
 * "default" there. MLOPS_EINPUT when the folder's path cannot be put in
 * the engine's SQL as it is (a glob character for DuckDB); out is then
 * unchanged. */
int feature_ddl_print(struct buf *out, const struct store *st,
	      const struct feature_group *g, enum feature_ddl_engine engine,
	      const char *schema, struct mlops_err *err);

#endif
