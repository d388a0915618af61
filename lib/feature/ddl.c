/* ddl.c - CREATE TABLE or VIEW over a group's offline folder for Spark
 * SQL, Trino and DuckDB; see feature.h. Only text is made here: the tests
 * run the DuckDB output on a real DuckDB (t1005). */
#include <stdlib.h>
#include <string.h>

#include "feature/feature.h"
#include "core/xalloc.h"

static const char *const engine_names[] = { "spark", "trino", "duckdb" };

/* The columns every offline file adds after the features, and the Hive
 * partitions, with their type in each engine (indexed by ddl_engine).
 * Trino's Hive CSV format reads text columns only. */
static const struct {
	const char *name;
	const char *type[3];
} extra_columns[] = {
	{ "write_time", { "TIMESTAMP", "varchar", "TIMESTAMPTZ" } },
	{ "api_invocation_time", { "TIMESTAMP", "varchar", "TIMESTAMPTZ" } },
	{ "is_deleted", { "BOOLEAN", "varchar", "BOOLEAN" } },
};
static const char *const partitions[] = { "year", "month", "day", "hour" };
static const char *const partition_type[] = { "STRING", "varchar",
					      "INTEGER" };

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

int feature_ddl_engine_parse(const char *s, enum feature_ddl_engine *out)
{
	for (size_t i = 0; i < NELEM(engine_names); i++)
		if (strcmp(s, engine_names[i]) == 0) {
			*out = (enum feature_ddl_engine)i;
			return 0;
		}
	return -1;
}

static const char *feature_type(enum feature_group_type t,
				enum feature_ddl_engine engine)
{
	static const char *const types[][3] = {
		[FEATURE_GROUP_INTEGRAL] = { "BIGINT", "varchar", "BIGINT" },
		[FEATURE_GROUP_FRACTIONAL] = { "DOUBLE", "varchar", "DOUBLE" },
		[FEATURE_GROUP_STRING] = { "STRING", "varchar", "VARCHAR" },
	};

	return types[t][engine];
}

struct ddl {
	struct buf *out;
	const struct feature_group *g;
	enum feature_ddl_engine engine;
	const char *schema;
};

/* Names may hold '-' or be reserved words (a group "user-events", a
 * feature "select"): quote every identifier the engine's way. Names never
 * contain a quote (feature_group_valid_name). */
static void add_ident(struct ddl *d, const char *name)
{
	char q = d->engine == FEATURE_DDL_SPARK ? '`' : '"';

	buf_addf(d->out, "%c%s%c", q, name, q);
}

static void add_table(struct ddl *d)
{
	if (d->schema) {
		add_ident(d, d->schema);
		buf_addch(d->out, '.');
	}
	add_ident(d, d->g->name);
}

/* A string literal of prefix, s and suffix (the two without quotes or
 * backslashes): Spark SQL escapes with a backslash, Trino and DuckDB
 * double the quote. */
static void add_literal(struct ddl *d, const char *prefix, const char *s,
			const char *suffix)
{
	buf_addch(d->out, '\'');
	buf_addstr(d->out, prefix);
	for (; *s; s++) {
		if (*s == '\'')
			buf_addstr(d->out, d->engine == FEATURE_DDL_SPARK ?
				   "\\'" : "''");
		else if (*s == '\\' && d->engine == FEATURE_DDL_SPARK)
			buf_addstr(d->out, "\\\\");
		else
			buf_addch(d->out, *s);
	}
	buf_addstr(d->out, suffix);
	buf_addch(d->out, '\'');
}

/* What a row of the table is; the same words for every engine. */
static void add_comment(struct ddl *d)
{
	char *text = xasprintf("offline store of feature group %s: every "
			       "record ingested and every delete, a delete "
			       "being a row with is_deleted true and no "
			       "feature values", d->g->name);

	add_literal(d, "", text, "");
	free(text);
}

static void add_column(struct ddl *d, const char *lead, const char *name,
		       const char *type, const char *end)
{
	buf_addstr(d->out, lead);
	add_ident(d, name);
	if (type)
		buf_addf(d->out, " %s", type);
	buf_addstr(d->out, end);
}

/* Every column in table order, one a line but the partitions, which
 * share the last: with their types for CREATE TABLE, without for a
 * SELECT list. */
static void add_column_list(struct ddl *d, int typed)
{
	const struct feature_group *g = d->g;

	for (size_t i = 0; i < g->nfeatures; i++)
		add_column(d, "  ", g->features[i].name, typed ?
			   feature_type(g->features[i].type, d->engine) : NULL,
			   ",\n");
	for (size_t i = 0; i < NELEM(extra_columns); i++)
		add_column(d, "  ", extra_columns[i].name, typed ?
			   extra_columns[i].type[d->engine] : NULL, ",\n");
	for (size_t i = 0; i < NELEM(partitions); i++)
		add_column(d, i ? " " : "  ", partitions[i], typed ?
			   partition_type[d->engine] : NULL,
			   i + 1 < NELEM(partitions) ? "," : "\n");
}

/* Spark and Trino: CREATE TABLE and its columns. */
static void add_columns(struct ddl *d)
{
	buf_addstr(d->out, "CREATE TABLE ");
	add_table(d);
	buf_addstr(d->out, " (\n");
	add_column_list(d, 1);
	buf_addstr(d->out, ")\n");
}

/* Spark's CSV source reads .csv.gz and Hive partition folders as they
 * are. Ingest writes RFC 4180: a quote in a value is doubled and a value
 * may hold a newline, while Spark's defaults are a backslash escape and
 * one record per line; hence escape and multiLine. */
static void add_spark(struct ddl *d, const char *dir)
{
	add_columns(d);
	buf_addstr(d->out, "USING CSV\n"
		   "OPTIONS (header 'true', multiLine 'true', escape '\"')\n"
		   "PARTITIONED BY (year, month, day, hour)\n"
		   "LOCATION ");
	add_literal(d, "file://", dir, "");
	buf_addstr(d->out, "\nCOMMENT ");
	add_comment(d);
	buf_addstr(d->out, ";\nMSCK REPAIR TABLE ");
	add_table(d);
	buf_addstr(d->out, ";\n");
}

/* Trino's procedure takes the schema by name, not "the current one": the
 * table is made in that schema by name too, so that both agree. */
static void add_trino(struct ddl *d, const char *dir)
{
	if (!d->schema)
		d->schema = "default";
	add_columns(d);
	buf_addstr(d->out, "COMMENT ");
	add_comment(d);
	buf_addstr(d->out, "\nWITH (\n"
		   "  format = 'CSV',\n"
		   "  skip_header_line_count = 1,\n"
		   "  external_location = ");
	add_literal(d, "file://", dir, "");
	buf_addstr(d->out, ",\n"
		   "  partitioned_by = ARRAY['year', 'month', 'day', 'hour']\n"
		   ");\n"
		   "CALL system.sync_partition_metadata(");
	add_literal(d, "", d->schema, "");
	buf_addstr(d->out, ", ");
	add_literal(d, "", d->g->name, "");
	buf_addstr(d->out, ", 'FULL');\n");
}

/* DuckDB: a view over read_csv of every file under the folder, typed
 * column by column rather than sniffed (a sniffer would call an integral
 * feature VARCHAR when its first rows are empty), the partition columns
 * typed too. The glob sees files a crash left unlisted, as Spark's and
 * Trino's folder scans do. */
static void add_duckdb(struct ddl *d, const char *dir)
{
	const struct feature_group *g = d->g;

	buf_addstr(d->out, "CREATE VIEW ");
	add_table(d);
	buf_addstr(d->out, " AS\nSELECT\n");
	add_column_list(d, 0);
	buf_addstr(d->out, "FROM read_csv(");
	add_literal(d, "", dir, "/year=*/month=*/day=*/hour=*/*.csv.gz");
	buf_addstr(d->out, ",\n"
		   "  header = true, delim = ',', quote = '\"', "
		   "escape = '\"',\n"
		   "  hive_partitioning = true,\n"
		   "  hive_types = {");
	for (size_t i = 0; i < NELEM(partitions); i++)
		buf_addf(d->out, "'%s': '%s'%s", partitions[i],
			 partition_type[d->engine],
			 i + 1 < NELEM(partitions) ? ", " : "},\n");
	buf_addstr(d->out, "  columns = {\n");
	for (size_t i = 0; i < g->nfeatures; i++)
		buf_addf(d->out, "    '%s': '%s',\n", g->features[i].name,
			 feature_type(g->features[i].type, d->engine));
	for (size_t i = 0; i < NELEM(extra_columns); i++)
		buf_addf(d->out, "    '%s': '%s'%s\n", extra_columns[i].name,
			 extra_columns[i].type[d->engine],
			 i + 1 < NELEM(extra_columns) ? "," : "");
	buf_addstr(d->out, "  });\nCOMMENT ON VIEW ");
	add_table(d);
	buf_addstr(d->out, " IS ");
	add_comment(d);
	buf_addstr(d->out, ";\n");
}

int feature_ddl_print(struct buf *out, const struct store *st,
	      const struct feature_group *g, enum feature_ddl_engine engine,
	      const char *schema, struct mlops_err *err)
{
	struct ddl d = { out, g, engine, schema };
	char *dir = feature_data_dir(st, g);
	int ret = 0;

	/* A newline could end a statement early for a reader splitting
	 * at ";\n"; a glob character would match other folders. */
	for (const char *p = dir; *p && ret == 0; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			ret = mlops_err_set(err, MLOPS_EINPUT, "the offline "
					    "folder of '%s' has a control "
					    "character in its path", g->name);
	if (ret == 0 && engine == FEATURE_DDL_DUCKDB && strpbrk(dir, "*?[{"))
		ret = mlops_err_set(err, MLOPS_EINPUT, "the offline folder "
				    "'%s' has a glob character (*, ?, [ or {) "
				    "in its path, which DuckDB's read_csv "
				    "would expand", dir);
	if (ret == 0) {
		if (engine == FEATURE_DDL_SPARK)
			add_spark(&d, dir);
		else if (engine == FEATURE_DDL_TRINO)
			add_trino(&d, dir);
		else
			add_duckdb(&d, dir);
	}
	free(dir);
	return ret;
}
