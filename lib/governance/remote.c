/* remote.c - the other stores (environments) this store knows by name,
 * kept in the remote table, and opening one for a sync. A remote must be
 * a store, and not this one: a sync from a store to itself would only
 * ever find everything present, and hide a mistyped path. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/config.h"
#include "core/fs.h"
#include "core/identity.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "governance/governance.h"

int governance_remote_valid_name(const char *name)
{
	return config_valid_env(name);
}

/* The same store? Compared by real path, so that a symbolic link or a
 * path through ".." is not taken for another store. */
static int same_store(const struct store *a, const struct store *b)
{
	char ra[PATH_MAX], rb[PATH_MAX];

	if (!realpath(a->dir, ra) || !realpath(b->dir, rb))
		return strcmp(a->dir, b->dir) == 0;
	return strcmp(ra, rb) == 0;
}

/* Open the store at path for st's tool, refusing st itself. */
static int open_other(struct store *st, const char *path, struct store **out,
		      struct mlops_err *err)
{
	struct store *other = NULL;
	int ret = store_open(&other, path, st->tool, err);

	if (ret < 0)
		return ret;
	if (same_store(st, other)) {
		store_close(other);
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is this store "
				     "itself (%s); a remote is another "
				     "environment's store", path, st->dir);
	}
	*out = other;
	return 0;
}

static int add_txn(struct store *st, const char *name, const char *dir,
		   struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	char *user = identity_user();
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "INSERT INTO remote (name, path, "
				    "added_us, added_by) VALUES (?1, ?2, ?3, "
				    "?4)", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 2, dir, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, time_now_us());
		sqlite3_bind_text(q, 4, user, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot add the remote", err);
		if (ret == MLOPS_ENOTFOUND)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "remote '%s' "
					    "exists already (see 'mlops "
					    "remote list')", name);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	free(user);
	return ret;
}

int governance_remote_add(struct store *st, const char *name,
			  const char *path, struct mlops_err *err)
{
	struct audit_entry e = { "remote.add", name, "success", NULL };
	struct store *other = NULL;
	int ret;

	if (!governance_remote_valid_name(name))
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not a valid "
				     "remote name (a letter or digit, then "
				     "letters, digits, '-' and '_')", name);
	ret = audit_intend(st, e.action, name, err);
	if (ret == 0)
		ret = open_other(st, path, &other, err);
	if (ret == 0)
		ret = add_txn(st, name, other->dir, err);
	if (ret == 0)
		e.detail = json_pack("{s:s,s:s}", "path", other->dir,
				     "environment", other->env);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	store_close(other);
	return ret;
}

static int rm_txn(struct store *st, const char *name, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "DELETE FROM remote WHERE name = "
				    "?1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		ret = store_step_done(q, "cannot remove the remote", err);
	}
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no remote '%s' "
				    "(see 'mlops remote list')", name);
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return ret;
}

int governance_remote_rm(struct store *st, const char *name,
			 struct mlops_err *err)
{
	struct audit_entry e = { "remote.rm", name, "success", NULL };
	int ret = audit_intend(st, e.action, name, err);

	if (ret == 0)
		ret = rm_txn(st, name, err);
	return audit_done(st, ret, &e, err);
}

void governance_remote_list_free(struct governance_remote *rs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rs[i].name);
		free(rs[i].path);
		free(rs[i].env);
		free(rs[i].added_by);
	}
	free(rs);
}

/* The environment the store at dir names, or NULL when its config
 * cannot be read: a remote whose store went away is still listed. */
static char *remote_env(const char *dir)
{
	struct spec_doc *cfg = NULL;
	const char *env;
	char *out = NULL;

	if (!fs_is_dir(dir) || config_load(&cfg, dir, NULL) < 0)
		return NULL;
	env = config_get(cfg, "environment");
	out = xstrdup(env ? env : "dev");
	spec_free(cfg);
	return out;
}

/* The remotes, all or (name not NULL) the one so named. */
static int select_remotes(struct store *st, const char *name,
			  struct governance_remote **out, size_t *n,
			  struct mlops_err *err)
{
	struct governance_remote *rs = NULL;
	sqlite3_stmt *q = NULL;
	size_t count = 0;
	int ret = store_prepare(st, &q, "SELECT name, path, added_us, "
				"added_by FROM remote WHERE ?1 IS NULL OR "
				"name = ?1 ORDER BY name", err);

	if (ret < 0)
		return ret;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	while ((ret = store_step(q, "cannot read remotes", err)) == 1) {
		struct governance_remote *r;

		rs = xrealloc(rs, (count + 1) * sizeof(*rs));
		r = &rs[count++];
		r->name = xstrdup((const char *)sqlite3_column_text(q, 0));
		r->path = xstrdup((const char *)sqlite3_column_text(q, 1));
		r->added_us = sqlite3_column_int64(q, 2);
		r->added_by = xstrdup((const char *)sqlite3_column_text(q, 3));
		r->env = remote_env(r->path);
	}
	sqlite3_finalize(q);
	if (ret < 0) {
		governance_remote_list_free(rs, count);
		return ret;
	}
	*out = rs;
	*n = count;
	return 0;
}

int governance_remote_list(struct store *st, struct governance_remote **out,
			   size_t *n, struct mlops_err *err)
{
	return select_remotes(st, NULL, out, n, err);
}

int governance_remote_open(struct store *st, const char *remote,
			   struct store **out, struct mlops_err *err)
{
	struct governance_remote *rs = NULL;
	size_t n = 0;
	int ret = select_remotes(st, remote, &rs, &n, err);

	if (ret < 0)
		return ret;
	if (n == 1) {
		ret = open_other(st, rs[0].path, out, err);
		if (ret == MLOPS_ENOTFOUND)
			mlops_err_prefix(err, "remote '%s': ", remote);
	} else if (strchr(remote, '/')) {
		ret = open_other(st, remote, out, err);
	} else {
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no remote '%s' (see "
				    "'mlops remote list'; a path to a store "
				    "holds a '/')", remote);
	}
	governance_remote_list_free(rs, n);
	return ret;
}
