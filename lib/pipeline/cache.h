/* cache.h - the step cache. A step's key is the SHA-256 over its
 * resolved definition (command after substitution, environment, the
 * parameters it refers to, its declared outputs and properties file), the
 * content of its inputs (files and globs, sorted) and the keys of the
 * steps it needs. A successful step's outputs are stored as blobs held by
 * object_ref owner "cache:KEY"; a later step with the same key gets them
 * back byte for byte instead of running. Private to the scheduler.
 *
 * Private to lib/pipeline (exec.c and cache.c). */
#ifndef MLOPS_PIPELINE_CACHE_H
#define MLOPS_PIPELINE_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "pipeline/executor.h"
#include "core/store.h"

/* Compute s->key and s->inputs_json. s->command, s->env and s->outputs
 * are resolved already, and so are the keys of the steps s needs. A
 * missing input is MLOPS_EINPUT naming it. */
int pipeline_cache_key(struct pipeline_exec *e, struct pipeline_exec_step *s,
		       struct mlops_err *err);

/* Look key up: 1 on a hit younger than expire_us (0: any age) whose blobs
 * all exist, with *source (the run that produced it; caller frees),
 * *props (NULL when none; caller decrefs) and the outputs (caller frees
 * with pipeline_cache_outputs_free); 0 on a miss. */
int pipeline_cache_lookup(struct store *st, const char *key, int64_t expire_us,
			  char **source, json_t **props,
			  struct pipeline_exec_output **outs, size_t *n,
			  struct mlops_err *err);

/* Write outs back into workspace (folders made as needed), each with its
 * recorded mode. Not fsynced: the cache holds the durable copy. */
int pipeline_cache_restore(struct store *st, const char *workspace,
		   const struct pipeline_exec_output *outs, size_t n,
		   struct mlops_err *err);

/* Store s's declared outputs as blobs into s->save. A declared output the
 * step did not write is MLOPS_EINPUT. */
int pipeline_cache_collect(struct pipeline_exec *e,
			   struct pipeline_exec_step *s, struct mlops_err *err);

/* Record s->save under s->key (replacing an expired entry); call inside
 * the transaction that marks s Succeeded. */
int pipeline_cache_record(struct pipeline_exec *e, struct pipeline_exec_step *s,
		  struct mlops_err *err);

/* Set s->outputs_json to {path: sha256} of s's declared outputs: from
 * outs (n of them, as collected or restored) when given, else by reading
 * the files in the workspace. A missing output is MLOPS_EINPUT. */
int pipeline_cache_outputs_json(struct pipeline_exec *e,
				struct pipeline_exec_step *s,
				const struct pipeline_exec_output *outs,
				size_t n, struct mlops_err *err);

void pipeline_cache_outputs_free(struct pipeline_exec_output *outs, size_t n);

#endif
