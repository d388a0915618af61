/* config.h - the store's config.yaml: settings addressed by dotted keys
 * ("environment", "defaults.capture") over nested YAML mappings.
 *
 * Known keys are validated when set (config_set); unknown keys are kept
 * so that later tools and users can add their own sections. */
#ifndef MLOPS_CONFIG_H
#define MLOPS_CONFIG_H

#include "core/err.h"
#include "core/spec.h"

#define CONFIG_FILE "config.yaml"

/* Load store_dir/config.yaml (a missing file is an empty config). */
int config_load(struct spec_doc **out, const char *store_dir,
		struct mlops_err *err);
/* The scalar at a dotted key, or NULL. */
const char *config_get(const struct spec_doc *cfg, const char *key);
/* Call fn for every scalar, with its dotted key, in file order. */
void config_each(const struct spec_doc *cfg,
		 void (*fn)(const char *key, const char *value, void *arg),
		 void *arg);
/* Validate value for key and write config.yaml atomically, under a lock
 * so that concurrent writers do not lose each other's changes. */
int config_set(const char *store_dir, const char *key, const char *value,
	       struct mlops_err *err);
/* Remove key; MLOPS_ENOTFOUND when it is not set. */
int config_unset(const char *store_dir, const char *key,
		 struct mlops_err *err);
struct store;
/* config_set() (value given) or config_unset() (value NULL) on the
 * store's config.yaml, audited as "config.set" or "config.unset" of key,
 * its failure too. The change is a file, not a transaction: a crash
 * between the rename and the append leaves the change without its
 * record. */
int config_change(struct store *st, const char *key, const char *value,
		  struct mlops_err *err);
/* 1 when name may be an environment name: [A-Za-z0-9][A-Za-z0-9_-]{0,62}. */
int config_valid_env(const char *name);

#endif
