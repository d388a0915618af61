/* fgroup.h - a feature group's definition: loaded from the group YAML
 * (man 5 mlops-feature-group) with line:column in every error, kept in the
 * store as canonical JSON, and the per-value type checks of ingestion.
 *
 * Types follow SageMaker: integral (int64), fractional (double), string.
 * An empty value is a missing value, whatever the type. */
#ifndef MLOPS_FEATURE_GROUP_H
#define MLOPS_FEATURE_GROUP_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"

enum feature_group_type { FTYPE_INTEGRAL, FTYPE_FRACTIONAL, FTYPE_STRING };

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
	size_t id_index;	/* features[id_index] is the record_identifier */
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
int feature_group_load_yaml_mem(struct feature_group **out, const char *data, size_t len,
			 const char *name, struct mlops_err *err);

/* The definition as a JSON object (the caller decrefs), and back. */
json_t *feature_group_to_json(const struct feature_group *g);
int feature_group_from_json(struct feature_group **out, const json_t *def,
		     struct mlops_err *err);
void feature_group_free(struct feature_group *g);

/* The index of feature name, or -1. */
int feature_group_find(const struct feature_group *g, const char *name);
/* "integral", "fractional" or "string". */
const char *feature_group_type_name(enum feature_group_type t);

/* Check value v (NUL-terminated; "" is missing) for feature i: 0, or
 * MLOPS_EINPUT with 'name: "v" is not a fractional'. The event time must
 * have its type's one format: ISO 8601 for a string (strictly, see
 * time_parse_iso8601), Unix seconds for an integral or fractional. */
int feature_group_check_value(const struct feature_group *g, size_t i, const char *v,
		       struct mlops_err *err);

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

#endif
