/* baseline.c - baselines attached to model versions: the files kept as
 * blobs (written before the row that names them), and written back into
 * the store's monitoring/baselines/ for the checks to read. */
#include <stdlib.h>
#include <string.h>

#include "core/audit.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/identity.h"
#include "core/object.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "monitor/monitor.h"
#include "registry/registry.h"

static const char *const files[] = { "statistics.json",
				     "constraints.json" };

static int baseline_register(struct store *st, const char *dir,
			     const char *ref, char **resolved,
			     struct mlops_err *err)
{
	struct monitor_report_baseline b;
	struct registry_version *v = NULL;
	char hash[2][HASH_HEX_LEN + 1];
	char *user = identity_user();
	uint64_t size;
	int ret;

	if ((ret = monitor_report_baseline_load(&b, dir, err)) < 0)
		goto out;
	monitor_report_baseline_release(&b);
	if ((ret = registry_resolve(st, ref, &v, err)) < 0)
		goto out;
	for (int i = 0; i < 2 && ret == 0; i++) {
		char *path = fs_path_join(dir, files[i]);

		ret = object_write_file(st, path, hash[i], &size, err);
		free(path);
	}
	if (ret < 0)
		goto out;
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = registry_baseline_insert(st, v->group, v->version, hash[0],
				       hash[1], time_now_us(), user, err);
	if (ret == 0)
		ret = store_commit(st, err);
	else
		store_rollback(st);
	if (ret == 0)
		*resolved = xasprintf("%s/%lld", v->group,
				      (long long)v->version);
out:
	registry_version_free(v);
	free(user);
	return ret;
}

int monitor_baseline_register(struct store *st, const char *dir,
			      const char *ref, char **resolved,
			      struct mlops_err *err)
{
	struct audit_entry e = { "monitor.baseline.register", ref, "success",
				 NULL };
	char *name = NULL;
	int ret = audit_intend(st, e.action, ref, err);

	if (ret == 0)
		ret = baseline_register(st, dir, ref, &name, err);
	if (ret == 0)
		e.resource = name;
	ret = audit_done(st, ret, &e, err);
	if (ret == 0)
		*resolved = name;
	else
		free(name);
	return ret;
}

int monitor_baseline_is_ref(const char *arg)
{
	return !fs_is_dir(arg) && strpbrk(arg, "/@") && arg[0] != '/' &&
	       arg[0] != '.';
}

int monitor_baseline_materialise(struct store *st, const char *ref,
				 char **out, struct mlops_err *err)
{
	struct registry_version *v = NULL;
	sqlite3_stmt *q = NULL;
	char *rel = NULL, *dir = NULL;
	int ret = registry_resolve(st, ref, &v, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT statistics, constraints "
				    "FROM monitor_baseline WHERE grp = ?1 AND "
				    "version = ?2", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, v->group, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, v->version);
		ret = store_step(q, "cannot look up the baseline", err);
		if (ret == 0)
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "%s/%lld has "
					    "no baseline (mlops-monitor "
					    "baseline --register)", v->group,
					    (long long)v->version);
	}
	if (ret == 1) {
		rel = xasprintf("monitoring/baselines/%s/%lld", v->group,
				(long long)v->version);
		dir = store_path(st, rel);
		ret = fs_mkdir_p(dir, err);
		for (int i = 0; i < 2 && ret == 0; i++) {
			char *path = fs_path_join(dir, files[i]);

			ret = object_export_file(st, (const char *)
				sqlite3_column_text(q, i), path, err);
			free(path);
		}
	}
	if (ret == 0) {
		*out = dir;
		dir = NULL;
	}
	sqlite3_finalize(q);
	registry_version_free(v);
	free(rel);
	free(dir);
	return ret;
}
