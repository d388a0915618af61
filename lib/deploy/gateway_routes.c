/* gateway_routes.c - the gateway's endpoint table: loading model versions,
 * applying changes from the store (blue/green switches), retiring what
 * request threads may still hold, and writing counters back. All of it
 * runs on the control thread; request threads only read what it
 * publishes (see gateway_int.h). */
#include <stdlib.h>
#include <string.h>

#include "core/fs.h"
#include "deploy/gateway_int.h"
#include "core/time.h"
#include "core/xalloc.h"

/* Versions and settings stay readable this long after replacement. */
#define GRACE_US (2 * TIME_US_PER_SEC)
/* A new exec/http version must answer within this to get traffic. */
#define WARM_LIMIT_US (240 * TIME_US_PER_SEC)

void deploy_gateway_routes_logf(struct deploy_gateway *gw, const char *fmt, ...)
{
	char when[TIME_RFC3339_MAX];
	va_list ap;

	if (!gw->conf->log)
		return;
	time_format_ms(time_now_us(), when);
	fprintf(gw->conf->log, "%s ", when);
	va_start(ap, fmt);
	vfprintf(gw->conf->log, fmt, ap);
	va_end(ap);
	fputc('\n', gw->conf->log);
	fflush(gw->conf->log);
}

struct deploy_gateway_endpoint *
deploy_gateway_routes_lookup(struct deploy_gateway *gw, const char *name,
			     size_t len)
{
	struct deploy_gateway_routes *r = atomic_load_explicit(&gw->routes,
						   memory_order_acquire);
	size_t lo = 0, hi = r ? r->n : 0;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const char *s = r->eps[mid]->name;
		int c = strncmp(s, name, len);

		if (c == 0)
			c = s[len] ? 1 : 0;
		if (c == 0)
			return r->eps[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void deploy_gateway_routes_retire(struct deploy_gateway *gw, void *ptr,
				  void (*free_fn)(void *),
				  atomic_long *inflight)
{
	if (!ptr)
		return;
	ALLOC_GROW(gw->retired, gw->nretired + 1, gw->retired_cap);
	gw->retired[gw->nretired++] = (struct deploy_gateway_retired){ ptr,
		free_fn, inflight, time_mono_us() };
}

void deploy_gateway_routes_retire_sweep(struct deploy_gateway *gw, int all)
{
	int64_t now = time_mono_us();
	size_t k = 0;

	for (size_t i = 0; i < gw->nretired; i++) {
		struct deploy_gateway_retired *r = &gw->retired[i];

		if (all || (now - r->at_us >= GRACE_US && (!r->inflight ||
		    atomic_load(r->inflight) == 0)))
			r->free_fn(r->ptr);
		else
			gw->retired[k++] = *r;
	}
	gw->nretired = k;
}

static void conf_free(void *p)
{
	struct deploy_gateway_endpoint_conf *c = p;

	if (c)
		free(c->keys);
	free(c);
}

void deploy_gateway_routes_version_free(void *p)
{
	struct deploy_gateway_version *v = p;

	if (!v)
		return;
	deploy_pool_free(v->pool);
	deploy_xgb_model_free(v->xgb);
	free(v->ref);
	free(v->framework);
	free(v->model_dir);
	free(v->error);
	free(v);
}

static void routes_free(void *p)
{
	struct deploy_gateway_routes *r = p;

	if (r)
		free(r->eps);
	free(r);
}

static struct deploy_gateway_endpoint_conf *
conf_from(const struct deploy_endpoint *e)
{
	struct deploy_gateway_endpoint_conf *c = xcalloc(1, sizeof(*c));

	c->generation = e->generation;
	c->set = e->set;
	c->capture_all = e->set.capture_pct >= 100;
	c->capture_below = (uint32_t)(e->set.capture_pct / 100.0 *
				      4294967296.0);
	c->key_required = e->key_required;
	c->nkeys = e->nkeys;
	if (e->nkeys) {
		c->keys = xcalloc(e->nkeys, sizeof(*c->keys));
		memcpy(c->keys, e->keys, e->nkeys * sizeof(*c->keys));
	}
	return c;
}

static void on_cold_start(void *arg, int64_t duration_us)
{
	struct deploy_gateway_version *v = arg;
	struct deploy_gateway *gw = v->gw;

	if (!v->shadow)
		atomic_fetch_add(&v->ep->n.cold_starts, 1);
	pthread_mutex_lock(&gw->cold_lock);
	ALLOC_GROW(gw->cold, gw->ncold + 1, gw->cold_cap);
	gw->cold[gw->ncold++] = (struct deploy_gateway_cold_start){
		xstrdup(v->ep->name), xstrdup(v->ref), time_now_us(),
		duration_us };
	pthread_mutex_unlock(&gw->cold_lock);
}

/* A version that cannot serve answers 503 with its error. */
struct deploy_gateway_version *
deploy_gateway_routes_version_load(struct deploy_gateway *gw,
				   struct deploy_gateway_endpoint *gep,
				   const struct deploy_endpoint *e,
				   const struct deploy_endpoint_model *m,
				   int warm, int shadow)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_gateway_version *v = xcalloc(1, sizeof(*v));
	char *dir = fs_path_join(gw->st->dir, m->model_dir);

	v->ref = xstrdup(m->ref);
	v->framework = xstrdup(m->framework);
	v->model_dir = dir;
	v->ep = gep;
	v->gw = gw;
	v->shadow = shadow;
	if (strcmp(m->framework, "xgboost") == 0) {
		char *path = fs_path_join(dir, m->artifact ? m->artifact : "");

		v->kind = DEPLOY_GATEWAY_XGBOOST;
		if (deploy_xgb_model_load(&v->xgb, path, &err) < 0)
			v->error = xstrdup(err.msg);
		else
			deploy_gateway_routes_logf(gw,
				"endpoint %s: %s predicts with %s", e->name,
				m->ref, deploy_xgb_model_predictor(v->xgb));
		free(path);
	} else if (strcmp(m->framework, "exec") == 0 ||
		   strcmp(m->framework, "http") == 0) {
		struct deploy_pool_conf pc = {
			.kind = m->framework[0] == 'e' ? DEPLOY_POOL_EXEC :
							 DEPLOY_POOL_HTTP,
			.entry = m->entry, .model_dir = dir,
			.endpoint = e->name, .model = m->ref,
			.max_workers = e->set.max_concurrency,
			.provisioned = e->set.provisioned,
			.memory_mb = e->set.memory_mb,
			.idle_timeout_us = e->set.idle_timeout_us,
			.timeout_us = e->set.timeout_us,
			.on_cold_start = on_cold_start, .arg = v,
		};

		v->kind = pc.kind == DEPLOY_POOL_EXEC ? DEPLOY_GATEWAY_EXEC :
			  DEPLOY_GATEWAY_HTTP;
		if (!m->entry)
			v->error = xasprintf("%s: a %s model needs an entry "
					     "command", m->ref, m->framework);
		else if (deploy_pool_create(&v->pool, &pc, &err) < 0 ||
			 (warm && deploy_pool_warm(v->pool, 1, WARM_LIMIT_US,
					    &err) < 0))
			v->error = xstrdup(err.msg);
	} else {
		v->error = xasprintf("%s: unknown framework '%s'", m->ref,
				     m->framework);
	}
	if (v->error)
		deploy_gateway_routes_logf(gw,
					   "endpoint %s: %s cannot serve: %s",
					   e->name, m->ref, v->error);
	return v;
}

static int same_model(const struct deploy_gateway_version *v,
		      const struct deploy_endpoint_model *m,
		      const char *store_dir)
{
	char *dir = fs_path_join(store_dir, m->model_dir);
	int same = strcmp(v->ref, m->ref) == 0 &&
		   strcmp(v->model_dir, dir) == 0;

	free(dir);
	return same;
}

static struct deploy_gateway_endpoint *endpoint_new(struct deploy_gateway *gw,
					const struct deploy_endpoint *e)
{
	struct deploy_gateway_endpoint *gep = xcalloc(1, sizeof(*gep));

	gep->name = xstrdup(e->name);
	atomic_store(&gep->conf, conf_from(e));
	atomic_store(&gep->active,
		     deploy_gateway_routes_version_load(gw, gep, e, &e->cur,
							0, 0));
	ALLOC_GROW(gw->all, gw->nall + 1, gw->all_cap);
	gw->all[gw->nall++] = gep;
	deploy_gateway_routes_logf(gw, "endpoint %s: serving %s (%s)", e->name,
				   e->cur.ref, e->cur.framework);
	return gep;
}

/* Take msg as the endpoint's update error (shown by /endpoints). */
static void set_update_error(struct deploy_gateway *gw,
			     struct deploy_gateway_endpoint *gep, char *msg)
{
	pthread_mutex_lock(&gw->cold_lock);
	free(gep->update_error);
	gep->update_error = msg;
	pthread_mutex_unlock(&gw->cold_lock);
}

/* Apply a changed row to a live endpoint. */
static void endpoint_change(struct deploy_gateway *gw,
			    struct deploy_gateway_endpoint *gep,
			    const struct deploy_endpoint *e)
{
	struct deploy_gateway_endpoint_conf *old_conf = atomic_load(&gep->conf);
	struct deploy_gateway_version *cur = atomic_load(&gep->active);

	if (old_conf->generation == e->generation)
		return;
	atomic_store(&gep->conf, conf_from(e));
	deploy_gateway_routes_retire(gw, old_conf, conf_free, NULL);
	if (cur && !same_model(cur, &e->cur, gw->st->dir)) {
		struct deploy_gateway_version *next;

		deploy_gateway_routes_logf(gw,
			"endpoint %s: starting %s to replace %s", e->name,
			e->cur.ref, cur->ref);
		next = deploy_gateway_routes_version_load(gw, gep, e, &e->cur,
							  1, 0);
		if (next->error && !cur->error) {
			/* Keep serving the old version. */
			set_update_error(gw, gep, xasprintf("update to %s "
				"failed: %s", e->cur.ref, next->error));
			deploy_gateway_routes_version_free(next);
			return;
		}
		set_update_error(gw, gep, NULL);
		atomic_store(&gep->active, next);
		deploy_gateway_routes_retire(gw, cur,
					     deploy_gateway_routes_version_free,
					     &cur->inflight);
		deploy_gateway_routes_logf(gw,
			"endpoint %s: switched to %s; draining %s", e->name,
			e->cur.ref, cur->ref);
	} else if (cur && cur->pool) {
		deploy_pool_set_scaling(cur->pool, e->set.provisioned,
				 e->set.idle_timeout_us);
	}
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct deploy_gateway_endpoint *const *)a)->name,
		      (*(struct deploy_gateway_endpoint *const *)b)->name);
}

int deploy_gateway_routes_reload(struct deploy_gateway *gw,
				 struct mlops_err *err)
{
	struct deploy_gateway_routes *old = atomic_load(&gw->routes);
	struct deploy_gateway_routes *next = xcalloc(1, sizeof(*next));
	struct deploy_endpoint **eps = NULL;
	size_t n = 0;
	int ret;

	ret = deploy_endpoint_list(gw->st, &eps, &n, err);
	if (ret < 0) {
		free(next);
		return ret;
	}
	next->eps = xcalloc(n ? n : 1, sizeof(*next->eps));
	for (size_t i = 0; i < n; i++) {
		struct deploy_gateway_endpoint *gep = NULL;

		for (size_t j = 0; old && j < old->n && !gep; j++)
			if (strcmp(old->eps[j]->name, eps[i]->name) == 0)
				gep = old->eps[j];
		if (gep)
			endpoint_change(gw, gep, eps[i]);
		else
			gep = endpoint_new(gw, eps[i]);
		if (eps[i]->set.timeout_us > gw->max_timeout_us)
			gw->max_timeout_us = eps[i]->set.timeout_us;
		next->eps[next->n++] = gep;
	}
	qsort(next->eps, next->n, sizeof(*next->eps), by_name);
	atomic_store_explicit(&gw->routes, next, memory_order_release);
	/* Endpoints gone from the table: stop their versions. */
	for (size_t j = 0; old && j < old->n; j++) {
		struct deploy_gateway_endpoint *gep = old->eps[j];
		int kept = 0;

		for (size_t i = 0; i < next->n && !kept; i++)
			kept = next->eps[i] == gep;
		if (!kept) {
			struct deploy_gateway_version *v =
				atomic_exchange(&gep->active, NULL);

			gep->deleted = 1;
			deploy_gateway_routes_retire(gw, v,
				deploy_gateway_routes_version_free,
				v ? &v->inflight : NULL);
			deploy_gateway_routes_retire(gw,
				atomic_exchange(&gep->shadow, NULL),
				deploy_gateway_shadow_free, NULL);
			deploy_gateway_routes_logf(gw, "endpoint %s: deleted",
						   gep->name);
		}
	}
	deploy_gateway_shadow_reload(gw, next, eps, n);
	deploy_gateway_routes_retire(gw, old, routes_free, NULL);
	deploy_endpoint_list_free(eps, n);
	return 0;
}

void deploy_gateway_routes_flush_stats(struct deploy_gateway *gw)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_gateway_routes *r = atomic_load(&gw->routes);
	struct deploy_gateway_cold_start *cold;
	size_t ncold;
	int ret;

	pthread_mutex_lock(&gw->cold_lock);
	cold = gw->cold;
	ncold = gw->ncold;
	gw->cold = NULL;
	gw->ncold = gw->cold_cap = 0;
	pthread_mutex_unlock(&gw->cold_lock);
	ret = store_begin(gw->st, &err);
	for (size_t i = 0; r && i < r->n && ret == 0; i++) {
		struct deploy_gateway_endpoint *gep = r->eps[i];
		struct deploy_endpoint e = { .name = gep->name };

		e.requests = (int64_t)deploy_gateway_metrics_total(&gep->n, 0);
		e.errors = (int64_t)deploy_gateway_metrics_total(&gep->n, 1);
		e.cold_starts = (int64_t)atomic_load(&gep->n.cold_starts);
		e.captured = (int64_t)atomic_load(&gep->n.captured);
		e.capture_dropped =
			(int64_t)atomic_load(&gep->n.capture_dropped);
		e.latency = deploy_gateway_metrics_latency(&gep->n);
		ret = deploy_endpoint_stats_put(gw->st, &e, &err);
		json_decref(e.latency);
	}
	if (ret == 0)
		ret = deploy_gateway_shadow_flush(gw, &err);
	for (size_t i = 0; i < ncold && ret == 0; i++)
		ret = deploy_endpoint_cold_start_add(gw->st, cold[i].endpoint,
					      cold[i].model, cold[i].time_us,
					      cold[i].duration_us, &err);
	if (ret == 0)
		ret = store_commit(gw->st, &err);
	if (ret < 0) {
		store_rollback(gw->st);
		deploy_gateway_routes_logf(gw, "cannot write counters: %s",
					   err.msg);
	}
	for (size_t i = 0; i < ncold; i++) {
		free(cold[i].endpoint);
		free(cold[i].model);
	}
	free(cold);
}

void deploy_gateway_routes_free_all(struct deploy_gateway *gw)
{
	routes_free(atomic_exchange(&gw->routes, NULL));
	for (size_t i = 0; i < gw->nall; i++) {
		struct deploy_gateway_endpoint *gep = gw->all[i];

		deploy_gateway_routes_version_free(atomic_load(&gep->active));
		deploy_gateway_shadow_free(atomic_load(&gep->shadow));
		conf_free(atomic_load(&gep->conf));
		free(gep->update_error);
		free(gep->name);
		free(gep);
	}
	free(gw->all);
	gw->all = NULL;
	gw->nall = 0;
	free(gw->retired);
}
