/* cache.c - step cache keys, look-ups, restores and records; see
 * cache.h. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "feature/feature.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/jsonio.h"
#include "core/object.h"
#include "pipeline/cache.h"
#include "pipeline/pipeline.h"
#include "core/time.h"
#include "core/xalloc.h"

void pipeline_cache_outputs_free(struct pipeline_exec_output *outs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(outs[i].path);
	free(outs);
}

/* The SHA-256 of the file at path, streamed. */
static int hash_file(const char *path, const char *name,
		     char hex[HASH_HEX_LEN + 1], struct mlops_err *err)
{
	struct hash_ctx *h;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return mlops_err_errno(err, MLOPS_EINPUT, errno, "cannot read "
				       "input '%s'", name);
	h = hash_begin();
	while ((n = read(fd, chunk, sizeof(chunk))) > 0)
		hash_update(h, chunk, (size_t)n);
	close(fd);
	hash_end(h, hex);
	if (n < 0)
		return mlops_err_errno(err, MLOPS_EINPUT, errno, "cannot read "
				       "input '%s'", name);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand the step's inputs (globs, relative to the workspace) into a
 * sorted list without duplicates. A pattern that matches nothing is an
 * error: the step would run on data that is not there. */
static int expand_inputs(struct pipeline_exec *e,
			 struct pipeline_exec_step *s, char ***out, size_t *n,
			 struct mlops_err *err)
{
	size_t prefix = strlen(e->workspace) + 1, cap = 0;
	char **files = NULL;
	int ret = 0;

	*n = 0;
	for (size_t i = 0; i < s->def->ninputs && ret == 0; i++) {
		char *pattern = fs_path_join(e->workspace, s->def->inputs[i]);
		glob_t g;
		int rc = glob(pattern, GLOB_NOSORT, NULL, &g);

		if (rc == GLOB_NOMATCH)
			ret = mlops_err_set(err, MLOPS_EINPUT, "input '%s' of "
					    "step '%s' does not exist",
					    s->def->inputs[i], s->def->name);
		for (size_t k = 0; rc == 0 && k < g.gl_pathc; k++) {
			struct stat sb;

			if (stat(g.gl_pathv[k], &sb) == 0 &&
			    S_ISDIR(sb.st_mode)) {
				ret = mlops_err_set(err, MLOPS_EINPUT, "input "
						    "'%s' of step '%s' is a "
						    "folder: name its files or "
						    "a glob such as '%s/*'",
						    g.gl_pathv[k] + prefix,
						    s->def->name,
						    g.gl_pathv[k] + prefix);
				break;
			}
			ALLOC_GROW(files, *n + 1, cap);
			files[(*n)++] = xstrdup(g.gl_pathv[k] + prefix);
		}
		if (rc == 0)
			globfree(&g);
		free(pattern);
	}
	if (*n > 1) {
		size_t w = 1;

		qsort(files, *n, sizeof(*files), cmp_str);
		for (size_t i = 1; i < *n; i++)
			if (strcmp(files[i], files[w - 1]) != 0)
				files[w++] = files[i];
			else
				free(files[i]);
		*n = w;
	}
	*out = files;
	return ret;
}

static void hash_field(struct hash_ctx *h, const char *tag, const char *v)
{
	hash_update(h, tag, strlen(tag) + 1);
	hash_update(h, v, strlen(v) + 1);
}

/* The names of the parameters a text refers to, added to used. */
static int collect_param(const char *ref, void *arg)
{
	json_t *used = arg;

	if (strncmp(ref, "steps.", 6) != 0)
		json_object_set_new(used, ref, json_true());
	return 0;
}

int pipeline_cache_key(struct pipeline_exec *e, struct pipeline_exec_step *s,
		       struct mlops_err *err)
{
	const struct pipeline *p = e->p;
	const struct pipeline_step *d = s->def;
	json_t *used = json_object(), *inputs = json_object();
	struct hash_ctx *h;
	struct buf json = BUF_INIT;
	char **files = NULL, **env;
	size_t nfiles = 0;
	const char *name;
	json_t *v;
	int ret;

	ret = expand_inputs(e, s, &files, &nfiles, err);
	for (size_t i = 0; i < nfiles && ret == 0; i++) {
		char *path = fs_path_join(e->workspace, files[i]);
		char hex[HASH_HEX_LEN + 1];

		ret = hash_file(path, files[i], hex, err);
		if (ret == 0)
			json_object_set_new(inputs, files[i], json_string(hex));
		free(path);
	}
	/* A feature group stands for its data by its state, which every
	 * ingest and delete changes: new data invalidates exactly the steps
	 * that read the group. */
	for (size_t i = 0; i < d->nfeatures && ret == 0; i++) {
		char *state = NULL;

		ret = feature_data_state(e->st, d->features[i], &state, err);
		if (ret == 0) {
			char *key = xasprintf(PIPELINE_FEATURE_PREFIX "%s",
					      d->features[i]);

			json_object_set_new(inputs, key, json_string(state));
			free(key);
		} else {
			mlops_err_prefix(err, "step '%s': ", d->name);
		}
		free(state);
	}
	if (ret < 0)
		goto out;
	h = hash_begin();
	hash_field(h, "mlops-pipeline-cache", "1");
	hash_field(h, "pipeline", p->name);
	hash_field(h, "step", d->name);
	hash_field(h, "run", s->command);
	/* The step's environment, sorted; the MLOPS_* variables that
	 * differ per run are left out. */
	env = xcalloc(s->nenv + 1, sizeof(*env));
	memcpy(env, s->env, s->nenv * sizeof(*env));
	qsort(env, s->nenv, sizeof(*env), cmp_str);
	for (size_t i = 0; i < s->nenv; i++)
		if (strncmp(env[i], "MLOPS_", 6) != 0)
			hash_field(h, "env", env[i]);
	free(env);
	pipeline_expr_each_ref(d->run, collect_param, used);
	if (d->when)
		pipeline_expr_each_ref(d->when, collect_param, used);
	for (size_t i = 0; i < d->nenv; i++)
		pipeline_expr_each_ref(d->env[i].value, collect_param, used);
	for (size_t i = 0; i < p->nenv; i++)
		pipeline_expr_each_ref(p->env[i].value, collect_param, used);
	for (size_t i = 0; i < d->ninputs; i++)
		pipeline_expr_each_ref(d->inputs[i], collect_param, used);
	for (size_t i = 0; i < d->noutputs; i++)
		pipeline_expr_each_ref(d->outputs[i], collect_param, used);
	json_object_foreach(used, name, v) {	/* in reference order */
		const struct pipeline_param *pp = pipeline_find_param(p, name);

		if (pp) {
			hash_field(h, "param", name);
			hash_field(h, "value", pp->value);
		}
	}
	for (size_t i = 0; i < s->noutputs; i++)
		hash_field(h, "output", s->outputs[i]);
	if (d->properties)
		hash_field(h, "properties", d->properties);
	for (size_t i = 0; i < nfiles; i++) {
		hash_field(h, "input", files[i]);
		hash_field(h, "sha256", json_string_value(
				   json_object_get(inputs, files[i])));
	}
	for (size_t i = 0; i < d->nfeatures; i++) {
		char *key = xasprintf(PIPELINE_FEATURE_PREFIX "%s",
				      d->features[i]);

		hash_field(h, "feature", d->features[i]);
		hash_field(h, "state", json_string_value(
				   json_object_get(inputs, key)));
		free(key);
	}
	for (size_t i = 0; i < d->nneeds; i++) {
		const struct pipeline_exec_step *n = &e->steps[d->need_idx[i]];

		hash_field(h, "need", n->def->name);
		hash_field(h, "key", n->key[0] ? n->key : n->status);
	}
	hash_end(h, s->key);
	jsonio_append(&json, inputs);
	free(s->inputs_json);
	s->inputs_json = buf_detach(&json, NULL);
out:
	for (size_t i = 0; i < nfiles; i++)
		free(files[i]);
	free(files);
	json_decref(used);
	json_decref(inputs);
	return ret;
}

int pipeline_cache_outputs_json(struct pipeline_exec *e,
				struct pipeline_exec_step *s,
				const struct pipeline_exec_output *outs,
				size_t n, struct mlops_err *err)
{
	json_t *o = json_object();
	struct buf json = BUF_INIT;
	int ret = 0;

	for (size_t i = 0; i < n; i++)
		json_object_set_new(o, outs[i].path,
				    json_string(outs[i].hash));
	for (size_t i = 0; !outs && i < s->noutputs && ret == 0; i++) {
		char *path = fs_path_join(e->workspace, s->outputs[i]);
		char hex[HASH_HEX_LEN + 1];

		ret = hash_file(path, s->outputs[i], hex, err);
		if (ret == 0)
			json_object_set_new(o, s->outputs[i],
					    json_string(hex));
		free(path);
	}
	if (ret == 0) {
		jsonio_append(&json, o);
		free(s->outputs_json);
		s->outputs_json = buf_detach(&json, NULL);
	}
	json_decref(o);
	return ret;
}

int pipeline_cache_lookup(struct store *st, const char *key, int64_t expire_us,
			  char **source, json_t **props,
			  struct pipeline_exec_output **outs, size_t *n,
			  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	struct pipeline_exec_output *list = NULL;
	size_t count = 0, cap = 0;
	char *run = NULL;
	json_t *pj = NULL;
	int ret, hit = 0, rc;

	ret = store_prepare(st, &q, "SELECT run_id, properties, created_us "
			    "FROM pipeline_cache WHERE key = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	ret = store_step(q, "cannot read the step cache", err);
	if (ret == 1) {
		int64_t created = sqlite3_column_int64(q, 2);
		const char *ptext = (const char *)sqlite3_column_text(q, 1);

		hit = !expire_us || time_now_us() - created <= expire_us;
		run = xstrdup((const char *)sqlite3_column_text(q, 0));
		if (hit && ptext)
			pj = json_loads(ptext, 0, NULL);
		ret = 0;
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret < 0)
		hit = 0;
	if (hit)
		ret = store_prepare(st, &q, "SELECT path, hash, mode FROM "
				    "pipeline_cache_output WHERE key = ?1 "
				    "ORDER BY path", err);
	if (hit && ret == 0) {
		sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			const char *hash = (const char *)
				sqlite3_column_text(q, 1);

			ALLOC_GROW(list, count + 1, cap);
			list[count].path = xstrdup((const char *)
						   sqlite3_column_text(q, 0));
			snprintf(list[count].hash, sizeof(list[count].hash),
				 "%s", hash);
			list[count++].mode = (unsigned)sqlite3_column_int(q, 2);
			if (!object_exists(st, hash))
				hit = 0;	/* lost a blob: run again */
		}
		if (rc != SQLITE_DONE)
			ret = store_step_failed(st, rc, "cannot read the step "
						"cache", err);
	}
	sqlite3_finalize(q);
	if (ret == 0 && hit) {
		*source = run;
		*props = pj;
		*outs = list;
		*n = count;
		return 1;
	}
	free(run);
	json_decref(pj);
	pipeline_cache_outputs_free(list, count);
	return ret;
}

int pipeline_cache_restore(struct store *st, const char *workspace,
		   const struct pipeline_exec_output *outs, size_t n,
		   struct mlops_err *err)
{
	for (size_t i = 0; i < n; i++) {
		char *path = fs_path_join(workspace, outs[i].path);
		char *dir = fs_path_dirname(path);
		char *tmp = xasprintf("%s.mlops-restore.%ld", path,
				      (long)getpid());
		int fd, ret = fs_mkdir_p(dir, err);

		free(dir);
		fd = ret < 0 ? -1 : open(tmp, O_WRONLY | O_CREAT | O_TRUNC |
					 O_CLOEXEC, 0600);
		if (ret == 0 && fd < 0)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot write '%s'", tmp);
		if (ret == 0)
			ret = object_read_fd(st, outs[i].hash, fd, err);
		if (fd >= 0) {
			fchmod(fd, outs[i].mode & 07777);
			if (close(fd) < 0 && ret == 0)
				ret = mlops_err_errno(err, MLOPS_EINTERNAL,
						      errno, "cannot write "
						      "'%s'", tmp);
		}
		if (ret == 0 && rename(tmp, path) < 0)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot rename '%s'", tmp);
		if (ret < 0)
			unlink(tmp);
		free(tmp);
		free(path);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int pipeline_cache_collect(struct pipeline_exec *e,
			   struct pipeline_exec_step *s, struct mlops_err *err)
{
	pipeline_cache_outputs_free(s->save, s->nsave);
	s->save = xcalloc(s->noutputs + 1, sizeof(*s->save));
	s->nsave = 0;
	for (size_t i = 0; i < s->noutputs; i++) {
		char *path = fs_path_join(e->workspace, s->outputs[i]);
		struct pipeline_exec_output *o = &s->save[s->nsave];
		struct stat sb;
		int ret = 0;

		if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
			ret = mlops_err_set(err, MLOPS_EINPUT, "step '%s' did "
					    "not write its output '%s'",
					    s->def->name, s->outputs[i]);
		else
			ret = object_write_file(e->st, path, o->hash, NULL,
						err);
		free(path);
		if (ret < 0)
			return ret;
		o->path = xstrdup(s->outputs[i]);
		o->mode = sb.st_mode & 07777;
		s->nsave++;
	}
	return 0;
}

int pipeline_cache_record(struct pipeline_exec *e, struct pipeline_exec_step *s,
		  struct mlops_err *err)
{
	struct buf props = BUF_INIT;
	sqlite3_stmt *q = NULL;
	char *owner = xasprintf("cache:%s", s->key);
	int ret;

	if (s->props)
		jsonio_append(&props, s->props);
	/* An entry under this key that expired is replaced; its outputs
	 * rows go with it (ON DELETE CASCADE), its references here. */
	ret = store_ref_drop(e->st, owner, err);
	if (ret == 0)
		ret = store_prepare(e->st, &q, "DELETE FROM pipeline_cache "
				    "WHERE key = ?1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, s->key, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot replace a cache entry", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(e->st, &q, "INSERT INTO "
				    "pipeline_cache (key, pipeline, step, "
				    "run_id, properties, created_us) VALUES "
				    "(?1, ?2, ?3, ?4, ?5, ?6)", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, s->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, e->p->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, s->def->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, e->run_id, -1, SQLITE_STATIC);
		if (s->props)
			sqlite3_bind_text(q, 5, props.s, (int)props.len,
					  SQLITE_STATIC);
		sqlite3_bind_int64(q, 6, time_now_us());
		ret = store_step_done(q, "cannot record a cache entry", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(e->st, &q, "INSERT INTO "
				    "pipeline_cache_output (key, path, hash, "
				    "mode) VALUES (?1, ?2, ?3, ?4)", err);
	for (size_t i = 0; ret == 0 && i < s->nsave; i++) {
		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, s->key, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, s->save[i].path, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, s->save[i].hash, -1, SQLITE_STATIC);
		sqlite3_bind_int(q, 4, (int)s->save[i].mode);
		ret = store_step_done(q, "cannot record a cached output", err);
		if (ret == 0)
			ret = store_ref_add(e->st, s->save[i].hash, owner,
					    err);
	}
	sqlite3_finalize(q);
	buf_release(&props);
	free(owner);
	return ret;
}
