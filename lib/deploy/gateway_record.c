/* gateway_record.c - the records of running gateways (see deploy.h). A
 * record is small JSON written atomically; readers take what they can
 * parse and judge liveness themselves, so no lock is needed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/fs.h"
#include "deploy/deploy.h"
#include "core/jsonio.h"
#include "core/xalloc.h"

#define RECORD_MAX (1 << 20)

/* This host's name, made safe for a file name. */
static void host_name(char out[256])
{
	if (gethostname(out, 256) < 0 || !out[0])
		snprintf(out, 256, "localhost");
	out[255] = '\0';
	for (char *p = out; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '.' || *p == '-'))
			*p = '_';
}

/* The state and start time (field 22, in clock ticks since boot) of
 * process pid: 0, or -1 when /proc does not show it. */
static int proc_stat(long pid, char *state, int64_t *start)
{
	char path[64];
	struct buf b = BUF_INIT;
	const char *p;
	int ret = -1;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if (buf_read_file(&b, path, 4096, NULL) < 0)
		goto out;
	/* "pid (comm) state ...": comm may hold spaces and parentheses. */
	p = strrchr(b.s, ')');
	if (!p || p[1] != ' ' || !p[2])
		goto out;
	p += 2;
	*state = *p;
	for (int field = 3; p && field < 22; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (!p)
		goto out;
	*start = strtoll(p, NULL, 10);
	ret = 0;
out:
	buf_release(&b);
	return ret;
}

/* Is process pid, started at start (-1: unknown), running here? */
static int alive_since(long pid, int64_t start)
{
	char state;
	int64_t now_start;

	/* Never 0, -1 or what a cast would make so: kill() would signal
	 * groups or every process. */
	if (pid < 2 || pid > INT32_MAX)
		return 0;
	if (proc_stat(pid, &state, &now_start) < 0)
		return kill((pid_t)pid, 0) == 0 || errno == EPERM;
	/* A zombie has exited; another start time is another process. */
	return state != 'Z' && state != 'X' &&
	       (start < 0 || now_start == start);
}

int deploy_gateway_record_alive(long pid)
{
	return alive_since(pid, -1);
}

char *deploy_gateway_record_own_path(const char *store_dir)
{
	char host[256];

	host_name(host);
	return xasprintf("%s/%s/%s-%ld.json", store_dir,
			 DEPLOY_GATEWAY_RECORD_DIR, host, (long)getpid());
}

int deploy_gateway_record_write(const char *path, struct buf *last,
		const char *url,
		const struct deploy_gateway_record_endpoint *eps, size_t n,
		struct mlops_err *err)
{
	char host[256], state;
	int64_t start = -1;
	struct buf b = BUF_INIT;
	json_t *list = json_array(), *o;
	char *dir;
	int ret;

	host_name(host);
	if (proc_stat((long)getpid(), &state, &start) < 0)
		start = -1;
	for (size_t i = 0; i < n; i++)
		json_array_append_new(list, json_pack("{s:s,s:s*,s:I,s:b}",
			"name", eps[i].name, "model", eps[i].model,
			"generation", (json_int_t)eps[i].generation,
			"failed", eps[i].failed));
	o = json_pack("{s:I,s:s,s:I,s:s,s:o}", "pid", (json_int_t)getpid(),
		      "host", host, "start", (json_int_t)start, "url", url,
		      "endpoints", list);
	jsonio_append(&b, o);
	buf_addch(&b, '\n');
	json_decref(o);
	if (b.len == last->len && memcmp(b.s, last->s, b.len) == 0) {
		buf_release(&b);
		return 0;
	}
	dir = fs_path_dirname(path);
	ret = fs_mkdir_p(dir, err);
	free(dir);
	if (ret == 0)
		ret = fs_write_file_atomic(path, b.s, b.len, err);
	if (ret == 0) {
		buf_release(last);
		*last = b;
	} else {
		buf_release(&b);
	}
	return ret;
}

void deploy_gateway_record_touch(const char *path)
{
	utimensat(AT_FDCWD, path, NULL, 0);
}

static void rec_release(struct deploy_gateway_record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->eps[i].name);
		free(r->eps[i].model);
	}
	free(r->eps);
	free(r->host);
	free(r->url);
}

void deploy_gateway_record_list_free(struct deploy_gateway_record *recs,
				     size_t n)
{
	for (size_t i = 0; i < n; i++)
		rec_release(&recs[i]);
	free(recs);
}

/* Parse the record at path into *r: 0, or -1 when it is not one. */
static int rec_load(struct deploy_gateway_record *r, const char *path,
		    int64_t *start)
{
	json_t *o = NULL, *eps, *e;
	const char *host, *url;
	size_t i;

	memset(r, 0, sizeof(*r));
	if (jsonio_load_file(&o, path, RECORD_MAX, NULL) < 0)
		return -1;
	host = jsonio_str(o, "host");
	url = jsonio_str(o, "url");
	eps = json_object_get(o, "endpoints");
	if (!host || !url || !json_is_integer(json_object_get(o, "pid")) ||
	    !json_is_array(eps)) {
		json_decref(o);
		return -1;
	}
	r->pid = (long)json_integer_value(json_object_get(o, "pid"));
	*start = json_integer_value(json_object_get(o, "start"));
	r->host = xstrdup(host);
	r->url = xstrdup(url);
	r->eps = xcalloc(json_array_size(eps) + 1, sizeof(*r->eps));
	json_array_foreach(eps, i, e) {
		const char *name = jsonio_str(e, "name");
		const char *model = jsonio_str(e, "model");

		if (!name)
			continue;
		r->eps[r->n].name = xstrdup(name);
		r->eps[r->n].model = model ? xstrdup(model) : NULL;
		r->eps[r->n].generation = json_integer_value(
			json_object_get(e, "generation"));
		r->eps[r->n].failed = json_is_true(json_object_get(e,
								   "failed"));
		r->n++;
	}
	json_decref(o);
	return 0;
}

/* Call fn for each record of store_dir whose gateway is alive, and
 * dead_fn (when not NULL) with the path of each local one that is dead.
 * fn takes the record. */
static int rec_each(const char *store_dir,
		    void (*fn)(struct deploy_gateway_record *r, void *arg),
		    void (*dead_fn)(const char *path), void *arg,
		    struct mlops_err *err)
{
	char *dir = fs_path_join(store_dir, DEPLOY_GATEWAY_RECORD_DIR);
	DIR *d = opendir(dir);
	struct dirent *de;
	char host[256];
	int ret = 0;

	if (!d) {
		if (errno != ENOENT)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot read '%s'", dir);
		free(dir);
		return ret;
	}
	host_name(host);
	while ((de = readdir(d))) {
		size_t len = strlen(de->d_name);
		struct deploy_gateway_record r;
		struct stat sb;
		int64_t start;
		char *path;
		int alive;

		if (de->d_name[0] == '.' || len < 6 ||
		    strcmp(de->d_name + len - 5, ".json") != 0)
			continue;
		path = fs_path_join(dir, de->d_name);
		if (rec_load(&r, path, &start) < 0 ||
		    stat(path, &sb) < 0) {
			free(path);
			continue;
		}
		r.local = strcmp(r.host, host) == 0;
		if (r.local)
			alive = alive_since(r.pid, start);
		else
			alive = time(NULL) - sb.st_mtime <
				DEPLOY_GATEWAY_RECORD_STALE_S;
		if (alive) {
			fn(&r, arg);
		} else {
			if (r.local && dead_fn)
				dead_fn(path);
			rec_release(&r);
		}
		free(path);
	}
	closedir(d);
	free(dir);
	return ret;
}

struct rec_vec {
	struct deploy_gateway_record *v;
	size_t n, cap;
};

static void rec_take(struct deploy_gateway_record *r, void *arg)
{
	struct rec_vec *vec = arg;

	ALLOC_GROW(vec->v, vec->n + 1, vec->cap);
	vec->v[vec->n++] = *r;
}

int deploy_gateway_record_list(const char *store_dir,
			       struct deploy_gateway_record **out, size_t *n,
			       struct mlops_err *err)
{
	struct rec_vec vec = { NULL, 0, 0 };
	int ret = rec_each(store_dir, rec_take, NULL, &vec, err);

	if (ret < 0) {
		deploy_gateway_record_list_free(vec.v, vec.n);
		return ret;
	}
	*out = vec.v;
	*n = vec.n;
	return 0;
}

static void rec_drop(struct deploy_gateway_record *r, void *arg)
{
	(void)arg;
	rec_release(r);
}

static void rec_unlink(const char *path)
{
	unlink(path);
}

void deploy_gateway_record_prune(const char *store_dir)
{
	rec_each(store_dir, rec_drop, rec_unlink, NULL, NULL);
}

const char *
deploy_gateway_record_status(const struct deploy_gateway_record *recs,
			     size_t n, const char *name, int64_t generation)
{
	/* From worst to best: with several gateways, the best one tells. */
	static const char *const rank[] = { "OutOfService", "Failed",
		"Creating", "Updating", "InService" };
	int best = 0;

	for (size_t i = 0; i < n; i++) {
		int s = 2;	/* Creating: not loaded yet */

		for (size_t j = 0; j < recs[i].n; j++) {
			const struct deploy_gateway_record_endpoint *e =
				&recs[i].eps[j];

			if (strcmp(e->name, name) != 0)
				continue;
			if (e->generation < generation)
				s = 3;
			else
				s = e->failed ? 1 : 4;
			break;
		}
		if (s > best)
			best = s;
	}
	return rank[best];
}
