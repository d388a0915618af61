/* feature.h - feature groups in the store: create, look up, list,
 * describe and drop. The rows live in the feature_group table (see
 * share/sql/0002-feature.sql); records are ingest.c's and online.c's job.
 *
 * The public header of lib/feature: cmd/, tests and other domains include
 * this one; the other headers of lib/feature are private to it. */
#ifndef MLOPS_FEATURE_H
#define MLOPS_FEATURE_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/store.h"

#define FEATURE_EVENT_SOURCE "mlops.feature"

/* group.c: a feature group's definition: loaded from the group YAML
 * (man 5 mlops-feature-group) with line:column in every error, kept in the
 * store as canonical JSON, and the per-value type checks of ingestion.
 *
 * Types follow SageMaker: integral (int64), fractional (double), string.
 * An empty value is a missing value, whatever the type. */

enum feature_group_type {
	FEATURE_GROUP_INTEGRAL,
	FEATURE_GROUP_FRACTIONAL,
	FEATURE_GROUP_STRING
};

struct feature_group_def {
	char *name;
	enum feature_group_type type;
};

struct feature_group {
	int64_t id;		/* feature_group.id; 0 until created */
	char *name;
	char *description;	/* "" when absent */
	size_t nfeatures;
	struct feature_group_def *features;	/* in definition order */
	size_t id_index;	/* features[id_index] is the
				 * record_identifier */
	size_t time_index;	/* features[time_index] is the event_time */
	int64_t ttl_us;		/* 0: records never expire */
	int online, offline;	/* which stores the group keeps */
};

/* The names SageMaker adds to offline rows, and the Hive partition
 * columns: no feature may use them. */
extern const char *const feature_group_reserved_names[];

/* Load and validate a group definition from the YAML file at path ("-"
 * reads stdin). MLOPS_EINPUT with "path:line:col: why" when it is wrong.
 * The caller frees *out with feature_group_free. */
int feature_group_load_yaml(struct feature_group **out, const char *path,
		     struct mlops_err *err);
/* The same from YAML text in memory; name is for messages. */
int feature_group_load_yaml_mem(struct feature_group **out, const char *data,
				size_t len, const char *name,
				struct mlops_err *err);

/* The same from node, a mapping inside a loaded spec (a stack file's
 * inline group); doc is borrowed, for messages. */
struct spec_doc;
struct spec_node;
int feature_group_load_spec(struct feature_group **out,
			    const struct spec_doc *doc,
			    const struct spec_node *node,
			    struct mlops_err *err);

/* The definition as a JSON object (the caller decrefs), and back. */
json_t *feature_group_to_json(const struct feature_group *g);
int feature_group_from_json(struct feature_group **out, const json_t *def,
		     struct mlops_err *err);
void feature_group_free(struct feature_group *g);

/* The index of feature name, or -1. */
int feature_group_find(const struct feature_group *g, const char *name);
/* "integral", "fractional" or "string". */
const char *feature_group_type_name(enum feature_group_type t);
/* Stored value v of type t as JSON, as `mlops-feature get --json`
 * prints it: null when empty, else a number or a string. A new
 * reference. */
json_t *feature_group_value_json(enum feature_group_type t, const char *v);

/* Check value v (NUL-terminated; "" is missing) for feature i: 0, or
 * MLOPS_EINPUT with 'name: "v" is not a fractional'. The event time must
 * have its type's one format: ISO 8601 for a string (strictly, see
 * time_parse_iso8601), Unix seconds for an integral or fractional. */
int feature_group_check_value(const struct feature_group *g, size_t i,
			      const char *v, struct mlops_err *err);

/* 1 when s may name a group or a feature: a letter or digit, then up to
 * 63 letters, digits, '_' or '-'. */
int feature_group_valid_name(const char *s);

/* Pack n values (NULL or "" are missing) into out as the online store
 * keeps them: for each value a varint length, then the bytes. */
void feature_group_pack(struct buf *out, size_t n, char *const *values);
/* Unpack data (from feature_group_pack) into n values pointing into *scratch,
 * which the caller releases; MLOPS_EINTERNAL when data is damaged. */
int feature_group_unpack(const void *data, size_t len, size_t n, char **values,
		  struct buf *scratch, struct mlops_err *err);

/* feature.c: feature groups in the store. */

/* What `describe` shows beyond the definition. */
struct feature_stats {
	int64_t created_us;
	char *created_by;	/* the caller frees (feature_stats_release) */
	int64_t record_count;	/* rows ingested (deletes not counted) */
	int64_t online_count;	/* live records in the online store */
	int64_t offline_files;
	int64_t offline_bytes;	/* compressed bytes of the offline files */
	int64_t last_ingest_us;	/* 0: never */
};

/* Create group g (its id is set) and emit its "Feature Group State
 * Change" event, in one transaction. MLOPS_ENOTFOUND (a conflict) when
 * the name is taken. */
int feature_create(struct store *st, struct feature_group *g,
		   struct mlops_err *err);
/* The same inside the caller's open transaction, without an audit
 * record of its own: for a change that creates the group with more. */
int feature_create_in(struct store *st, struct feature_group *g,
		      struct mlops_err *err);

/* Load group name into *out (the caller frees with feature_group_free);
 * MLOPS_ENOTFOUND "feature group 'x' does not exist". */
int feature_load(struct store *st, const char *name, struct feature_group **out,
		struct mlops_err *err);

/* Call fn for every group in name order; fn returns non-zero to stop
 * (and that is returned). */
int feature_each(struct store *st,
		int (*fn)(const struct feature_group *g, void *arg), void *arg,
		struct mlops_err *err);

int feature_stats(struct store *st, const struct feature_group *g,
		 struct feature_stats *out, struct mlops_err *err);
void feature_stats_release(struct feature_stats *s);
/* g's definition and s as one JSON object, what `mlops-feature
 * describe --json` prints. The caller owns it. */
json_t *feature_stats_json(const struct feature_group *g,
			   const struct feature_stats *s);

/* Drop group g: its rows in one transaction with an event, then its
 * offline folder. */
int feature_drop(struct store *st, const struct feature_group *g,
		struct mlops_err *err);

/* The state of group name's data as "DATA_VERSION@CREATED_US" (the
 * caller frees): it changes with every ingest that stores rows and every
 * record delete, and differs between a dropped group and one made again
 * under its name. MLOPS_ENOTFOUND when there is no such group. */
int feature_data_state(struct store *st, const char *name, char **out,
		      struct mlops_err *err);

/* Inside the caller's transaction: note that group g's data changed
 * (see feature_data_state). */
int feature_data_changed(struct store *st, const struct feature_group *g,
			struct mlops_err *err);

/* offline/GROUP relative to the store, and absolute; the caller frees. */
char *feature_data_dir(const struct store *st, const struct feature_group *g);

/* Emit a feature store event about group g with extra detail fields
 * (borrowed, may be NULL), inside the caller's transaction. */
int feature_emit(struct store *st, const struct feature_group *g,
		const char *detail_type, json_t *detail,
		struct mlops_err *err);

/* online.c: the online store: the latest record of each entity of a
 * group, read by one point lookup on the primary key (group_id,
 * record_id), and deletes as SageMaker's DeleteRecord does them. */

struct feature_online_reader;

/* A reader of group g's online store, with its statement prepared once
 * (g is borrowed and must outlive the reader). */
int feature_online_reader_new(struct feature_online_reader **out,
			      struct store *st, const struct feature_group *g,
			      struct mlops_err *err);
void feature_online_reader_free(struct feature_online_reader *r);

/* Up to limit live records of group g's online store, in record
 * identifier order, as an array of objects {feature: value} typed as
 * `mlops-feature get --json` prints them. The caller owns *out. */
int feature_online_sample(struct store *st, const struct feature_group *g,
			  int limit, json_t **out, struct mlops_err *err);

/* What feature_online_get found for an ID. */
enum feature_online_state {
	FEATURE_ONLINE_ABSENT,	/* no record (never ingested, hard-deleted) */
	FEATURE_ONLINE_FOUND,
	FEATURE_ONLINE_DELETED,	/* soft-deleted */
	FEATURE_ONLINE_EXPIRED	/* its event time is older than the TTL */
};

/* Look up record id as of now_us: FEATURE_ONLINE_FOUND with *values set to
 * g->nfeatures strings (borrowed until the next call), another state
 * when there is no live record, or a negative code. *event_time_us is
 * the stored record's event time (for FEATURE_ONLINE_FOUND,
 * FEATURE_ONLINE_DELETED and FEATURE_ONLINE_EXPIRED) when event_time_us
 * is not NULL. */
int feature_online_get(struct feature_online_reader *r, const char *id,
		       int64_t now_us, char ***values, int64_t *event_time_us,
		       struct mlops_err *err);

/* Delete record id at event time t_us. Soft: the row stays, marked
 * deleted, without values; hard: the row goes. In both cases the offline
 * store gets a row with is_deleted=true at t_us, all in one transaction
 * with a "Feature Record Deleted" event. MLOPS_ENOTFOUND when the online
 * store has no such record, or when it holds a newer one (the delete
 * would be ignored, as SageMaker ignores it). */
int feature_online_delete(struct store *st, const struct feature_group *g,
			  const char *id, int64_t t_us, int hard,
			  struct mlops_err *err);

/* offline.c: reading the offline store: its files in write order,
 * one file decompressed, or the whole table as one CSV stream. */

#include <stdint.h>
#include <stdio.h>


/* One offline file as readers see it. */
struct feature_offline_part {
	int64_t id;		/* write order */
	char *path;		/* absolute */
	int64_t rows;
	int64_t write_time_us;
};

/* Call fn for each file of group g in write order, skipping those
 * written after as_of_us (INT64_MAX: none). fn returns non-zero to stop. */
int feature_offline_each_part(struct store *st, const struct feature_group *g,
			      int64_t as_of_us,
			      int (*fn)(const struct feature_offline_part *p,
			      void *arg), void *arg, struct mlops_err *err);

/* Decompress the gzip file at path into out (appended). */
int feature_offline_read_part(const char *path, struct buf *out,
		      struct mlops_err *err);

/* Write the group's whole offline table to f as one CSV stream with one
 * header, as known at as_of_us (INT64_MAX: now), telling st->progress
 * the rows written. */
int feature_offline_export(struct store *st, const struct feature_group *g,
		   int64_t as_of_us, FILE *f, struct mlops_err *err);

/* run.c: the sorted runs kept beside the offline files to make joins
 * fast (see lib/feature/run.c): the store's own cache of them, checked
 * and rebuilt here. */

/* Check each sorted run of group g: listed for the files it copies,
 * present, its size, header and SHA-256 as listed. Calls problem(message,
 * arg) and counts into *problems for each one that is not; a negative
 * code when the check could not run. */
int feature_run_fsck(struct store *st, const struct feature_group *g,
		     void (*problem)(const char *msg, void *arg), void *arg,
		     long *problems, struct mlops_err *err);

/* Make again, from the CSV files, each sorted run of group g that is
 * missing (a store from before runs, a file removed) or fails the checks
 * of feature_run_fsck; *built gets how many. One transaction per run,
 * audited as "feature.reindex". */
int feature_run_rebuild(struct store *st, const struct feature_group *g,
			size_t *built, struct mlops_err *err);

/* ingest.c: ingestion of records into a feature group from CSV (with a
 * header row) or JSON Lines, streaming, in bounded memory.
 *
 * Columns go by name: an unknown column is an error, a missing one gives
 * missing values (the record identifier and event time must be there).
 * Every value is checked against its feature's type. All or nothing: the
 * first bad row stops the ingest with "FILE:LINE: column: why" and
 * nothing changes, unless rejected rows go to an errors file, in which
 * case the rest is ingested. One transaction writes the online store
 * (upsert: a record replaces the stored one when its event time is newer
 * or equal), the offline files, the group's totals and one event. */

enum feature_ingest_format { FEATURE_INGEST_CSV, FEATURE_INGEST_JSONL };

struct feature_ingest_opts {
	int fd;			/* the input, read to its end (not closed) */
	const char *name;	/* the input's name in messages */
	enum feature_ingest_format format;
	FILE *errors;		/* rejected rows go here; NULL: all or
				 * nothing */
};

struct feature_ingest_result {
	int64_t rows;		/* ingested */
	int64_t rejected;	/* written to opts.errors */
	int64_t files;		/* offline files written */
	int64_t write_time_us;
	char first_reject[1024];	/* the first rejected row's message */
};

/* Ingest the input of opts into group g, telling st->progress the
 * bytes read (of the input's size when it is a regular file). */
int feature_ingest_run(struct store *st, const struct feature_group *g,
		       const struct feature_ingest_opts *opts,
		       struct feature_ingest_result *res,
		       struct mlops_err *err);

/* pit.c: point-in-time correct training datasets.
 *
 * For each entity row (an ID, a timestamp and any other columns, which
 * pass through unchanged and in order) and each requested group, join
 * the offline record with the greatest event time <= the entity's
 * timestamp (ties: the latest write wins), ignoring records older than
 * the group's TTL relative to that timestamp, answering nothing when the
 * chosen record is a delete, and with an as-of time ignoring everything
 * written after it. No match gives empty values. This is pandas
 * merge_asof(direction="backward", allow_exact_matches=True, by=id,
 * tolerance=ttl) on the offline table.
 *
 * Memory stays bounded whatever the sizes: per group, the entity rows and
 * the group's offline rows go through one external sort by (ID, time,
 * entity after feature, write order), one linear scan picks each
 * entity's record, and a second sort by entity row number lines the
 * answers up with a final pass over the entity file. */

struct feature_pit_request {
	char *group;		/* points into text */
	size_t nfeatures;	/* 0: every feature but ID and event time */
	char **features;	/* point into text */
	char *text;		/* owned */
};

struct feature_pit_opts {
	const char *entities;	/* path, or "-" for stdin */
	const char *id_column;	/* NULL: the first group's identifier */
	const char *time_column; /* NULL: the first group's event time */
	const struct feature_pit_request *requests;
	size_t nrequests;
	int64_t as_of_us;	/* INT64_MAX: everything */
	int plain_names;	/* feature names without "GROUP__" */
	size_t memory;		/* bytes of records kept in memory */
	FILE *out;
};

/* Parse "GROUP:feat1,feat2" (or "GROUP" for all features) into req;
 * release it with feature_pit_request_release. MLOPS_EUSAGE when malformed. */
int feature_pit_request_parse(struct feature_pit_request *req, const char *arg,
		      struct mlops_err *err);
void feature_pit_request_release(struct feature_pit_request *req);

/* Build the dataset and write it as CSV to o->out, telling st->progress
 * the rows sorted for each group, then the rows written. */
int feature_pit_dataset(struct store *st, const struct feature_pit_opts *o,
		struct mlops_err *err);

/* ddl.c: the SQL that makes a feature group's offline folder (see
 * offline.h) a table of another engine, read in place: Spark SQL and
 * Trino's Hive connector get an external table over the Hive partitions,
 * DuckDB a view over read_csv of the folder. Every engine gets the
 * group's features, write_time, api_invocation_time, is_deleted and the
 * partition columns year, month, day and hour; a delete is a row with
 * is_deleted true and no feature values (SageMaker's offline marker). */

enum feature_ddl_engine {
	FEATURE_DDL_SPARK,
	FEATURE_DDL_TRINO,
	FEATURE_DDL_DUCKDB
};

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

/* lineage.c: which feature data a training dataset was built from,
 * recorded by `mlops-feature dataset -o FILE` in the feature_dataset
 * table and looked up by the hash of the file. */

/* The state of each group the requests name (once each), taken before
 * the dataset reads them: an array of {group, environment, state (see
 * feature_data_state), data_version, records, online_records,
 * last_ingest (absent before the first)}. A new reference in *out. */
int feature_lineage_state(struct store *st,
			  const struct feature_pit_request *reqs, size_t n,
			  json_t **out, struct mlops_err *err);
/* Record that the complete file at path (hashed here) was built from
 * groups (feature_lineage_state's) as of as_of_us (INT64_MAX: all the
 * data); audited as "feature.dataset". */
int feature_lineage_record(struct store *st, const char *path,
			   const json_t *groups, int64_t as_of_us,
			   struct mlops_err *err);
/* The newest record of a dataset whose SHA-256 is hash: 1 with *out =
 * {dataset (its path), hash, groups, built, as_of (when given)}, a new
 * reference; 0 when there is none. */
int feature_lineage_lookup(struct store *st, const char *hash, json_t **out,
			   struct mlops_err *err);

/* replica.c: copying a group's data to another store (`mlops sync`):
 * the definition (the group is made there when missing; one defined
 * otherwise is MLOPS_ENOTFOUND, a conflict), the offline files the
 * receiver does not list, each copied whole and installed by rename, and
 * the online records newer than the receiver's, in one transaction of
 * the receiver audited as "feature.import", with an event of
 * FEATURE_REPLICA_EVENT_TYPE. Copying again changes nothing; a copy
 * killed half way is finished by the next. */
#define FEATURE_REPLICA_EVENT_TYPE "Feature Group Data Imported"
struct feature_replica_opts {
	int64_t since_us;	/* only what was written since; INT64_MIN:
				 * everything */
	json_t *detail;		/* the audit record's detail (borrowed, may
				 * be NULL): where the data came from */
	/* Called in the receiver's transaction for each file copied, with
	 * its path in the store, SHA-256 and size; may be NULL. */
	int (*on_file)(struct store *to, const char *path, const char *hash,
		       uint64_t bytes, void *arg, struct mlops_err *err);
	void *arg;
};
struct feature_replica_result {
	int created;		/* the receiver had no such group */
	int64_t files;		/* offline files copied */
	int64_t present;	/* offline files the receiver had */
	int64_t records;	/* online records applied */
	uint64_t bytes;		/* bytes of the files copied */
};
int feature_replica_copy(struct store *from, struct store *to,
			 const char *name,
			 const struct feature_replica_opts *o,
			 struct feature_replica_result *res,
			 struct mlops_err *err);
#endif
