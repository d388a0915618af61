/* schema.h - the store's SQL migrations, generated at build time from
 * share/sql/NNNN-name.sql (see lib/gen-schema.sh). Migration NNNN brings
 * the database to PRAGMA user_version NNNN. */
#ifndef MLOPS_SCHEMA_H
#define MLOPS_SCHEMA_H

struct schema_migration {
	int version;
	const char *name;
	const char *sql;
};

extern const struct schema_migration schema_migrations[];
extern const int schema_migration_count;

#endif
