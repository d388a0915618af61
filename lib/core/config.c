/* config.c - read and edit config.yaml by dotted keys. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/fs.h"
#include "core/xalloc.h"

int config_valid_env(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > 63 || name[0] == '-' || name[0] == '_')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

int config_load(struct spec_doc **out, const char *store_dir,
		struct mlops_err *err)
{
	char *path = fs_path_join(store_dir, CONFIG_FILE);
	int ret;

	if (!fs_exists(path))
		ret = spec_load_mem(out, "", 0, path, err);
	else
		ret = spec_load_file(out, path, err);
	if (ret == 0 && (*out)->root->kind != SPEC_MAP) {
		ret = spec_error(*out, (*out)->root, MLOPS_EINPUT, err,
				 "the configuration must be a mapping");
		spec_free(*out);
	}
	free(path);
	return ret;
}

/* Walk to the map that holds the last component of key. With create,
 * missing maps are made; a scalar in the way is an error (NULL). */
static struct spec_node *walk(struct spec_node *map, const char *key,
			      int create, const char **last)
{
	const char *dot;

	while ((dot = strchr(key, '.'))) {
		char *part = xstrndup(key, (size_t)(dot - key));
		struct spec_node *next = spec_get(map, part);

		if (!next && create) {
			next = spec_new_map();
			spec_map_set_take(map, part, next);
		}
		free(part);
		if (!next || next->kind != SPEC_MAP)
			return NULL;
		map = next;
		key = dot + 1;
	}
	*last = key;
	return map;
}

const char *config_get(const struct spec_doc *cfg, const char *key)
{
	const char *last;
	struct spec_node *map = walk(cfg->root, key, 0, &last);
	struct spec_node *v = map ? spec_get(map, last) : NULL;

	return v && v->kind == SPEC_SCALAR ? v->value : NULL;
}

static void each(const struct spec_node *map, struct buf *prefix,
		 void (*fn)(const char *, const char *, void *), void *arg)
{
	for (size_t i = 0; i < map->n; i++) {
		size_t len = prefix->len;

		buf_addf(prefix, "%s%s", len ? "." : "", map->keys[i]->value);
		if (map->items[i]->kind == SPEC_MAP)
			each(map->items[i], prefix, fn, arg);
		else if (map->items[i]->kind == SPEC_SCALAR)
			fn(prefix->s, map->items[i]->value, arg);
		buf_setlen(prefix, len);
	}
}

void config_each(const struct spec_doc *cfg,
		 void (*fn)(const char *key, const char *value, void *arg),
		 void *arg)
{
	struct buf prefix = BUF_INIT;

	each(cfg->root, &prefix, fn, arg);
	buf_release(&prefix);
}

static int valid_key(const char *key)
{
	size_t n = strlen(key);

	if (n == 0 || key[0] == '.' || key[n - 1] == '.' || strstr(key, ".."))
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = key[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

static int check_value(const char *key, const char *value,
		       struct mlops_err *err)
{
	if (strcmp(key, "environment") == 0 && !config_valid_env(value))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "environment: \"%s\" is not a valid name "
				     "(letters, digits, '-' and '_', up to 63)",
				     value);
	if (strcmp(key, "events.auto_dispatch") == 0 &&
	    spec_scalar_bool(value) < 0)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "events.auto_dispatch: \"%s\" is not a "
				     "boolean (true or false)", value);
	return 0;
}

/* Load, edit with fn, and write back under an exclusive lock. */
static int edit(const char *store_dir, const char *key, const char *value,
		struct mlops_err *err)
{
	char *lock_path = fs_path_join(store_dir, CONFIG_FILE ".lock");
	char *path = fs_path_join(store_dir, CONFIG_FILE);
	struct spec_doc *cfg = NULL;
	struct buf out = BUF_INIT;
	struct spec_node *map;
	const char *last;
	int fd, ret;

	fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
	if (fd < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot open '%s'", lock_path);
		goto out;
	}
	while (flock(fd, LOCK_EX) < 0 && errno == EINTR)
		;
	ret = config_load(&cfg, store_dir, err);
	if (ret < 0)
		goto out;
	map = walk(cfg->root, key, value != NULL, &last);
	if (!map) {
		ret = value ? mlops_err_set(err, MLOPS_EINPUT,
					    "cannot set '%s': a part of it "
					    "is a value, not a section", key) :
			mlops_err_set(err, MLOPS_ENOTFOUND,
				      "'%s' is not set", key);
		goto out;
	}
	if (value) {
		spec_map_set_take(map, last, spec_new_scalar(value));
	} else {
		size_t i;

		for (i = 0; i < map->n; i++)
			if (strcmp(map->keys[i]->value, last) == 0)
				break;
		if (i == map->n) {
			ret = mlops_err_set(err, MLOPS_ENOTFOUND,
					    "'%s' is not set", key);
			goto out;
		}
		spec_map_set_take(map, last, NULL);
		map->n--;
		/* spec_map_set_take freed the value; drop the pair. */
		free(map->keys[i]->value);
		free(map->keys[i]);
		memmove(map->keys + i, map->keys + i + 1,
			(map->n - i) * sizeof(*map->keys));
		memmove(map->items + i, map->items + i + 1,
			(map->n - i) * sizeof(*map->items));
	}
	buf_addstr(&out, "# mlops store settings; see mlops-store(5).\n");
	ret = spec_emit(cfg->root, &out, err);
	if (ret == 0)
		ret = fs_write_file_atomic(path, out.s, out.len, err);
out:
	if (fd >= 0)
		close(fd);
	buf_release(&out);
	spec_free(cfg);
	free(path);
	free(lock_path);
	return ret;
}

int config_set(const char *store_dir, const char *key, const char *value,
	       struct mlops_err *err)
{
	if (!valid_key(key))
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "'%s' is not a valid key (dotted names "
				     "of letters, digits, '-' and '_')", key);
	if (check_value(key, value, err) < 0)
		return err->code;
	return edit(store_dir, key, value, err);
}

int config_unset(const char *store_dir, const char *key,
		 struct mlops_err *err)
{
	if (!valid_key(key))
		return mlops_err_set(err, MLOPS_EUSAGE,
				     "'%s' is not a valid key", key);
	return edit(store_dir, key, NULL, err);
}

int config_change(struct store *st, const char *key, const char *value,
		  struct mlops_err *err)
{
	struct audit_entry e = { value ? "config.set" : "config.unset", key,
		"success", NULL };
	int ret = audit_intend(st, e.action, key, err);

	if (ret == 0)
		ret = value ? config_set(st->dir, key, value, err) :
			config_unset(st->dir, key, err);
	return audit_done(st, ret, &e, err);
}
