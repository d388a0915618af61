/* iac.c - a stack compared with a store (the plan), the plan made true
 * (apply), and a store described as a stack (export).
 *
 * The store is read and changed only through the library of the domain
 * that owns each resource: feature_create/feature_drop,
 * deploy_endpoint_create/update/set_settings/delete and
 * monitor_schedule_create/delete, which validate, audit and emit events
 * as the programs do. A group or a schedule has no update of its own, so
 * a changed one is replaced (dropped and created again); that loses the
 * group's records or the schedule's executions, which the plan says. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "feature/feature.h"
#include "governance/governance.h"
#include "iac/iac.h"
#include "monitor/monitor.h"

static const char *const kind_names[] = { "feature_group", "endpoint",
	"schedule", "rule", "grant", "remote" };

const char *iac_kind_name(enum iac_kind k)
{
	return kind_names[k];
}

/* A resource as the store holds it. */
struct actual {
	enum iac_kind kind;
	char *name;
	json_t *settings;
	char *loss;	/* what deleting it loses, or NULL */
};

struct actuals {
	size_t n, alloc;
	struct actual *v;
};

static void actuals_release(struct actuals *a)
{
	for (size_t i = 0; i < a->n; i++) {
		free(a->v[i].name);
		json_decref(a->v[i].settings);
		free(a->v[i].loss);
	}
	free(a->v);
}

static void actual_add(struct actuals *a, enum iac_kind kind,
		       const char *name, json_t *settings, char *loss)
{
	ALLOC_GROW(a->v, a->n + 1, a->alloc);
	a->v[a->n].kind = kind;
	a->v[a->n].name = xstrdup(name);
	a->v[a->n].settings = settings;
	a->v[a->n++].loss = loss;
}

struct group_walk {
	struct store *st;
	struct actuals *a;
	struct mlops_err *err;
};

static int group_actual(const struct feature_group *g, void *arg)
{
	struct group_walk *w = arg;
	struct feature_stats fs = { 0 };
	char *loss = NULL;
	int ret = feature_stats(w->st, g, &fs, w->err);

	if (ret < 0)
		return ret;
	if (fs.record_count > 0 || fs.online_count > 0)
		loss = xasprintf("feature group '%s' holds %lld records",
				 g->name, (long long)(fs.record_count >
				 fs.online_count ? fs.record_count :
				 fs.online_count));
	feature_stats_release(&fs);
	actual_add(w->a, IAC_FEATURE_GROUP, g->name,
		   iac_stack_group_settings(g), loss);
	return 0;
}

static json_t *endpoint_settings(const struct deploy_endpoint *e)
{
	char *idle = iac_stack_duration(e->set.idle_timeout_us);
	char *timeout = iac_stack_duration(e->set.timeout_us);
	json_t *s = json_pack("{s:s?,s:i,s:i,s:i,s:s,s:s,s:f,s:I}",
			      "model", e->cur.ref,
			      "max_concurrency", e->set.max_concurrency,
			      "memory", e->set.memory_mb,
			      "provisioned", e->set.provisioned,
			      "idle_timeout", idle, "timeout", timeout,
			      "capture", e->set.capture_pct,
			      "max_payload", (json_int_t)e->set.max_payload);

	free(idle);
	free(timeout);
	return s;
}

static json_t *schedule_settings(const struct monitor_schedule *s)
{
	char *every = iac_stack_duration(s->interval_us);
	json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "endpoint", s->endpoint,
			      "baseline", s->baseline, "every", every,
			      "type", s->type ? s->type : "data");

	free(every);
	if (s->labels)
		json_object_set_new(j, "labels", json_string(s->labels));
	if (s->problem)
		json_object_set_new(j, "problem", json_string(s->problem));
	if (!isnan(s->threshold))
		json_object_set_new(j, "threshold", json_real(s->threshold));
	return j;
}

static int cmp_json_str(const void *a, const void *b)
{
	return strcmp(json_string_value(*(json_t *const *)a),
		      json_string_value(*(json_t *const *)b));
}

/* A rule as the stack describes it, from governance_rule_list's JSON. */
static json_t *rule_settings(const json_t *r)
{
	int64_t backoff_us = (int64_t)(json_number_value(json_object_get(r,
				       "backoff")) * TIME_US_PER_SEC + 0.5);
	char *backoff = iac_stack_duration(backoff_us);
	const json_t *desc = json_object_get(r, "description");
	json_t *s = json_pack("{s:O,s:O,s:O,s:s,s:O}",
			      "pattern", json_object_get(r, "pattern"),
			      "target", json_object_get(r, "target"),
			      "retries", json_object_get(r, "retries"),
			      "backoff", backoff,
			      "enabled", json_object_get(r, "enabled"));

	if (json_is_string(desc))
		json_object_set(s, "description", (json_t *)desc);
	free(backoff);
	return s;
}

static int load_rules(struct store *st, struct actuals *a,
		      struct mlops_err *err)
{
	json_t *rules = NULL, *r;
	size_t i;
	int ret = governance_rule_list(st, &rules, err);

	if (ret < 0)
		return ret;
	json_array_foreach(rules, i, r) {
		json_int_t dead = json_integer_value(json_object_get(r,
						     "deadLetters"));
		json_int_t pending = json_integer_value(json_object_get(r,
							"pending"));
		char *loss = NULL;

		if (dead + pending > 0)
			loss = xasprintf("rule '%s' has %lld dead letters and "
					 "%lld pending deliveries",
					 json_string_value(json_object_get(r,
					 "name")), (long long)dead,
					 (long long)pending);
		actual_add(a, IAC_RULE, json_string_value(json_object_get(r,
			   "name")), rule_settings(r), loss);
	}
	json_decref(rules);
	return 0;
}

/* Each user's personas, from governance_role_list (personas by name,
 * so each user's list comes out sorted). */
static int load_grants(struct store *st, struct actuals *a,
		       struct mlops_err *err)
{
	json_t *personas = NULL, *users = json_object(), *p, *u, *list;
	const char *user;
	size_t i, j;
	int ret = governance_role_list(st, &personas, err);

	json_array_foreach(personas, i, p)
		json_array_foreach(json_object_get(p, "users"), j, u) {
			list = json_object_get(users, json_string_value(u));
			if (!list) {
				list = json_array();
				json_object_set_new(users,
						    json_string_value(u), list);
			}
			json_array_append(list, json_object_get(p, "name"));
		}
	json_object_foreach(users, user, list) {
		json_t **v = xcalloc(json_array_size(list) + 1, sizeof(*v));
		json_t *sorted = json_array();
		size_t n = json_array_size(list);

		for (j = 0; j < n; j++)
			v[j] = json_array_get(list, j);
		qsort(v, n, sizeof(*v), cmp_json_str);
		for (j = 0; j < n; j++)
			json_array_append(sorted, v[j]);
		free(v);
		actual_add(a, IAC_GRANT, user, json_pack("{s:o}", "personas",
			   sorted), NULL);
	}
	json_decref(users);
	json_decref(personas);
	return ret;
}

static int load_remotes(struct store *st, struct actuals *a,
			struct mlops_err *err)
{
	struct governance_remote *rs = NULL;
	size_t n = 0;
	int ret = governance_remote_list(st, &rs, &n, err);

	for (size_t i = 0; ret == 0 && i < n; i++)
		actual_add(a, IAC_REMOTE, rs[i].name, json_pack("{s:s}",
			   "path", rs[i].path), NULL);
	if (ret == 0)
		governance_remote_list_free(rs, n);
	return ret;
}

/* Every resource of the store, by kind then name. */
static int load_actuals(struct store *st, struct actuals *a,
			struct mlops_err *err)
{
	struct group_walk w = { st, a, err };
	struct deploy_endpoint **eps = NULL;
	struct monitor_schedule *ss = NULL;
	int64_t hour_ago = time_now_us() - 3600 * TIME_US_PER_SEC;
	size_t n = 0;
	int ret = feature_each(st, group_actual, &w, err);

	if (ret == 0)
		ret = deploy_endpoint_list(st, &eps, &n, err);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		const struct deploy_endpoint *e = eps[i];
		char *loss = NULL;

		/* The counters a gateway wrote back in the last hour
		 * show requests: it served then. */
		if (e->requests > 0 && e->stats_us >= hour_ago)
			loss = xasprintf("endpoint '%s' served requests in the "
					 "last hour", e->name);
		actual_add(a, IAC_ENDPOINT, e->name, endpoint_settings(e),
			   loss);
	}
	if (ret == 0)
		deploy_endpoint_list_free(eps, n);
	n = 0;
	if (ret == 0)
		ret = monitor_schedule_list(st, &ss, &n, err);
	for (size_t i = 0; ret == 0 && i < n; i++) {
		json_t *ex = NULL;
		char *loss = NULL;

		if ((ret = monitor_schedule_executions(st, ss[i].name, &ex,
						       err)) < 0)
			break;
		if (json_array_size(ex) > 0)
			loss = xasprintf("schedule '%s' has %zu executions",
					 ss[i].name, json_array_size(ex));
		json_decref(ex);
		actual_add(a, IAC_SCHEDULE, ss[i].name, schedule_settings(&ss[i]),
			   loss);
	}
	if (ss)
		monitor_schedule_list_free(ss, n);
	if (ret == 0)
		ret = load_rules(st, a, err);
	if (ret == 0)
		ret = load_grants(st, a, err);
	if (ret == 0)
		ret = load_remotes(st, a, err);
	return ret;
}

static const struct actual *find_actual(const struct actuals *a,
					enum iac_kind kind, const char *name)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].kind == kind && strcmp(a->v[i].name, name) == 0)
			return &a->v[i];
	return NULL;
}

/* {KEY: [OLD, NEW]} for each key whose values differ; old or new may be
 * NULL (everything against null). */
static json_t *diff_settings(const json_t *old, const json_t *new)
{
	json_t *d = json_object();
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)new, key, v) {
		json_t *o = old ? json_object_get(old, key) : NULL;

		if (!o || !json_equal(o, v))
			json_object_set_new(d, key, json_pack("[O?O]", o, v));
	}
	json_object_foreach((json_t *)old, key, v)
		if (!new || !json_object_get(new, key))
			json_object_set_new(d, key, json_pack("[On]", v));
	return d;
}

static struct iac_change *change_add(struct iac_plan *p, size_t *alloc,
				     enum iac_action action,
				     enum iac_kind kind, const char *name)
{
	struct iac_change *c;

	ALLOC_GROW(p->changes, p->n + 1, *alloc);
	c = &p->changes[p->n++];
	memset(c, 0, sizeof(*c));
	c->action = action;
	c->kind = kind;
	c->name = xstrdup(name);
	if (action == IAC_CREATE)
		p->ncreate++;
	else if (action == IAC_UPDATE)
		p->nupdate++;
	else
		p->ndelete++;
	return c;
}

/* The model an endpoint of the stack names, as "GROUP/N", through the
 * registry and the approval gate. */
static int resolve_model(struct store *st, const struct iac_resource *r,
			 struct deploy_source_resolved *out,
			 struct mlops_err *err)
{
	int ret = deploy_source_resolve_gated(st, r->model,
					      r->allow_unapproved, out, err);

	if (ret > 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "%s (set "
				    "allow_unapproved: true to deploy it)",
				    err->msg);
	if (ret < 0)
		mlops_err_prefix(err, "%s: endpoint '%s': ", r->where,
				 r->name);
	return ret;
}

/* A remote's path as `mlops remote add` keeps it: the .mlops directory
 * of the store there, which must exist. */
static int resolve_remote(json_t *want, const struct iac_resource *r,
			  struct mlops_err *err)
{
	char *dir = NULL;
	int ret = store_discover(&dir, json_string_value(json_object_get(want,
				 "path")), err);

	if (ret < 0)
		return mlops_err_prefix(err, "%s: remote '%s': ", r->where,
					r->name);
	json_object_set_new(want, "path", json_string(dir));
	free(dir);
	return 0;
}

/* The first grant of a store must give store.admin (governance refuses
 * any other), so grants of the built-in admin persona go first. */
static void admin_grants_first(struct iac_plan *p)
{
	size_t first = 0;

	while (first < p->n && p->changes[first].kind != IAC_GRANT)
		first++;
	for (size_t i = first; i < p->n; i++) {
		json_t *d = json_object_get(p->changes[i].diff, "personas");
		json_t *new = json_array_get(d, 1), *v;
		size_t j;
		int admin = 0;

		json_array_foreach(new, j, v)
			admin |= strcmp(json_string_value(v), "admin") == 0;
		if (p->changes[i].kind == IAC_GRANT && admin) {
			struct iac_change c = p->changes[i];

			memmove(&p->changes[first + 1], &p->changes[first],
				(i - first) * sizeof(c));
			p->changes[first++] = c;
		}
	}
}

int iac_plan(struct iac_plan **out, struct store *st,
	     const struct iac_stack *stack, int prune, struct mlops_err *err)
{
	struct iac_plan *p = xcalloc(1, sizeof(*p));
	struct actuals a = { 0 };
	size_t alloc = 0;
	int ret = load_actuals(st, &a, err);

	for (size_t i = 0; ret == 0 && i < stack->n; i++) {
		const struct iac_resource *r = &stack->res[i];
		const struct actual *have = find_actual(&a, r->kind, r->name);
		json_t *want = json_deep_copy(r->settings), *d;
		struct iac_change *c;

		if (r->kind == IAC_ENDPOINT) {
			struct deploy_source_resolved res;

			if ((ret = resolve_model(st, r, &res, err)) < 0) {
				json_decref(want);
				break;
			}
			json_object_set_new(want, "model",
					    json_string(res.ref));
			deploy_source_release(&res);
		}
		if (r->kind == IAC_REMOTE &&
		    (ret = resolve_remote(want, r, err)) < 0) {
			json_decref(want);
			break;
		}
		d = diff_settings(have ? have->settings : NULL, want);
		json_decref(want);
		if (json_object_size(d) == 0) {
			json_decref(d);
			continue;
		}
		c = change_add(p, &alloc, have ? IAC_UPDATE : IAC_CREATE,
			       r->kind, r->name);
		c->diff = d;
		c->want = r;
		c->replace = have && r->kind != IAC_ENDPOINT &&
			r->kind != IAC_GRANT &&
			!(r->kind == IAC_RULE && json_object_size(d) == 1 &&
			  json_object_get(d, "enabled"));
		if (c->replace && have->loss)
			c->loss = xstrdup(have->loss);
	}
	if (ret == 0)
		admin_grants_first(p);
	/* Deletes come last, schedules before the endpoints they name. */
	for (int k = IAC_NKINDS - 1; ret == 0 && prune && k >= 0; k--)
		for (size_t i = 0; i < a.n; i++) {
			const struct actual *have = &a.v[i];
			struct iac_change *c;
			size_t j;

			if ((int)have->kind != k)
				continue;
			for (j = 0; j < stack->n; j++)
				if (stack->res[j].kind == have->kind &&
				    strcmp(stack->res[j].name, have->name) == 0)
					break;
			if (j < stack->n)
				continue;
			c = change_add(p, &alloc, IAC_DELETE, have->kind,
				       have->name);
			c->diff = diff_settings(have->settings, NULL);
			c->loss = have->loss ? xstrdup(have->loss) : NULL;
		}
	for (size_t i = 0; i < p->n; i++)
		p->nloss += p->changes[i].loss != NULL;
	actuals_release(&a);
	if (ret < 0) {
		iac_plan_free(p);
		return ret;
	}
	*out = p;
	return 0;
}

void iac_plan_free(struct iac_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->changes[i].name);
		json_decref(p->changes[i].diff);
		free(p->changes[i].loss);
	}
	free(p->changes);
	free(p);
}

static const char *const action_names[] = { "create", "update", "delete" };
static const char *const state_names[] = { "pending", "done", "failed" };

json_t *iac_plan_json(const struct iac_plan *p)
{
	json_t *changes = json_array();

	for (size_t i = 0; i < p->n; i++) {
		const struct iac_change *c = &p->changes[i];
		json_t *settings = json_object();
		const char *key;
		json_t *v;

		json_object_foreach(c->diff, key, v)
			json_object_set_new(settings, key, json_pack("{s:O,s:O}",
				"old", json_array_get(v, 0),
				"new", json_array_get(v, 1)));
		json_array_append_new(changes, json_pack(
			"{s:s,s:s,s:s,s:o,s:b,s:s?,s:s}",
			"action", action_names[c->action],
			"kind", iac_kind_name(c->kind), "name", c->name,
			"settings", settings, "replace", c->replace,
			"loses_data", c->loss, "state",
			state_names[c->state]));
	}
	return json_pack("{s:o,s:I,s:I,s:I}", "changes", changes,
			 "create", (json_int_t)p->ncreate,
			 "update", (json_int_t)p->nupdate,
			 "delete", (json_int_t)p->ndelete);
}

/* Endpoint settings from their canonical form (which the stack loader
 * wrote, so it is well formed). */
static int endpoint_set(const json_t *s, struct deploy_endpoint_settings *out,
			struct mlops_err *err)
{
	int ret;

	deploy_endpoint_settings_default(out);
	out->max_concurrency = (int)json_integer_value(
		json_object_get(s, "max_concurrency"));
	out->memory_mb = (int)json_integer_value(json_object_get(s, "memory"));
	out->provisioned = (int)json_integer_value(
		json_object_get(s, "provisioned"));
	out->capture_pct = json_real_value(json_object_get(s, "capture"));
	out->max_payload = (uint64_t)json_integer_value(
		json_object_get(s, "max_payload"));
	if ((ret = time_parse_duration(json_string_value(
			json_object_get(s, "idle_timeout")),
			&out->idle_timeout_us, err)) < 0)
		return ret;
	return time_parse_duration(json_string_value(json_object_get(s,
				   "timeout")), &out->timeout_us, err);
}

static int drop_group(struct store *st, const char *name,
		      struct mlops_err *err)
{
	struct feature_group *g = NULL;
	int ret = feature_load(st, name, &g, err);

	if (ret == 0)
		ret = feature_drop(st, g, err);
	feature_group_free(g);
	return ret;
}

static int create_schedule(struct store *st, const struct iac_resource *r,
			   struct mlops_err *err)
{
	const json_t *s = r->settings;
	const json_t *th = json_object_get(s, "threshold");
	struct monitor_schedule_spec spec = {
		json_string_value(json_object_get(s, "type")),
		json_string_value(json_object_get(s, "labels")),
		json_string_value(json_object_get(s, "problem")),
		th ? json_real_value(th) : NAN
	};
	int64_t every;
	int ret = time_parse_duration(json_string_value(json_object_get(s,
				      "every")), &every, err);

	if (ret == 0)
		ret = monitor_schedule_create(st, r->name,
			json_string_value(json_object_get(s, "endpoint")),
			json_string_value(json_object_get(s, "baseline")),
			every, &spec, err);
	return ret;
}

/* Grant what the user should hold and lacks, then revoke the rest (in
 * that order, so that a user moved from one admin persona to another is
 * never left without store.admin in between). */
static int set_grants(struct store *st, const struct iac_change *c,
		      struct mlops_err *err)
{
	json_t *d = json_object_get(c->diff, "personas");
	json_t *old = json_array_get(d, 0), *new = json_array_get(d, 1), *p;
	size_t i, j;
	int ret = 0;

	json_array_foreach(new, i, p) {
		for (j = 0; j < json_array_size(old); j++)
			if (json_equal(json_array_get(old, j), p))
				break;
		if (j == json_array_size(old) &&
		    (ret = governance_role_grant(st, c->name,
						 json_string_value(p), err)) < 0)
			return ret;
	}
	json_array_foreach(old, i, p) {
		for (j = 0; j < json_array_size(new); j++)
			if (json_equal(json_array_get(new, j), p))
				break;
		if (j == json_array_size(new) &&
		    (ret = governance_role_revoke(st, c->name,
						  json_string_value(p), err)) < 0)
			return ret;
	}
	return 0;
}

static int add_rule(struct store *st, const struct iac_resource *res,
		    struct mlops_err *err)
{
	const json_t *s = res->settings;
	struct governance_rule r;
	int ret;

	governance_rule_init(&r);
	r.name = xstrdup(res->name);
	r.pattern = json_deep_copy(json_object_get(s, "pattern"));
	r.target = xstrdup(json_string_value(json_object_get(s, "target")));
	r.retries = json_integer_value(json_object_get(s, "retries"));
	r.enabled = json_is_true(json_object_get(s, "enabled"));
	if (json_object_get(s, "description"))
		r.description = xstrdup(json_string_value(json_object_get(s,
					"description")));
	ret = time_parse_duration(json_string_value(json_object_get(s,
				  "backoff")), &r.backoff_us, err);
	if (ret == 0)
		ret = governance_rule_add(st, &r, err);
	governance_rule_release(&r);
	return ret;
}

static int apply_endpoint(struct store *st, const struct iac_change *c,
			  struct mlops_err *err)
{
	const struct iac_resource *r = c->want;
	struct deploy_endpoint_settings set;
	struct deploy_source_resolved res;
	int ret, other = 0;
	const char *key;
	json_t *v;

	if ((ret = endpoint_set(r->settings, &set, err)) < 0 ||
	    (ret = resolve_model(st, r, &res, err)) < 0)
		return ret;
	if (c->action == IAC_CREATE) {
		ret = deploy_endpoint_create(st, r->name, &set, &res.src, err);
		deploy_source_release(&res);
		return ret;
	}
	if (json_object_get(c->diff, "model"))
		ret = deploy_endpoint_update(st, r->name, &res.src, err);
	deploy_source_release(&res);
	json_object_foreach(c->diff, key, v)
		other |= strcmp(key, "model") != 0;
	if (ret == 0 && other)
		ret = deploy_endpoint_set_settings(st, r->name, &set, err);
	return ret;
}

static int apply_one(struct store *st, const struct iac_change *c,
		     struct mlops_err *err)
{
	int ret = 0;

	if (c->action == IAC_DELETE || c->replace) {
		if (c->kind == IAC_FEATURE_GROUP)
			ret = drop_group(st, c->name, err);
		else if (c->kind == IAC_ENDPOINT)
			ret = deploy_endpoint_delete(st, c->name, err);
		else if (c->kind == IAC_SCHEDULE)
			ret = monitor_schedule_delete(st, c->name, err);
		else if (c->kind == IAC_RULE)
			ret = governance_rule_rm(st, c->name, err);
		else if (c->kind == IAC_GRANT)
			ret = governance_role_revoke(st, c->name, NULL, err);
		else
			ret = governance_remote_rm(st, c->name, err);
	}
	if (ret < 0 || c->action == IAC_DELETE)
		return ret;
	if (c->kind == IAC_FEATURE_GROUP)
		return feature_create(st, c->want->group, err);
	if (c->kind == IAC_ENDPOINT)
		return apply_endpoint(st, c, err);
	if (c->kind == IAC_SCHEDULE)
		return create_schedule(st, c->want, err);
	if (c->kind == IAC_RULE && c->action == IAC_UPDATE && !c->replace)
		return governance_rule_set_enabled(st, c->name,
			json_is_true(json_object_get(c->want->settings,
						     "enabled")), err);
	if (c->kind == IAC_RULE)
		return add_rule(st, c->want, err);
	if (c->kind == IAC_GRANT)
		return set_grants(st, c, err);
	return governance_remote_add(st, c->name, json_string_value(
		json_object_get(c->want->settings, "path")), err);
}

int iac_apply(struct store *st, struct iac_plan *plan, struct mlops_err *err)
{
	for (size_t i = 0; i < plan->n; i++) {
		struct iac_change *c = &plan->changes[i];
		int ret = apply_one(st, c, err);

		if (ret < 0) {
			c->state = IAC_FAILED;
			mlops_err_prefix(err, "%s %s '%s': ",
					 action_names[c->action],
					 iac_kind_name(c->kind), c->name);
			return ret;
		}
		c->state = IAC_DONE;
	}
	return 0;
}

/* A JSON value as YAML: JSON is YAML's flow style. */
static void put_json(struct buf *out, const json_t *v)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_PRESERVE_ORDER);

	buf_addstr(out, s);
	free(s);
}

int iac_export(struct store *st, struct buf *out, struct mlops_err *err)
{
	static const char *const sections[] = { "feature_groups",
		"endpoints", "monitoring", "rules", "roles", "remotes" };
	struct actuals a = { 0 };
	int ret = load_actuals(st, &a, err);

	if (ret < 0) {
		actuals_release(&a);
		return ret;
	}
	buf_addstr(out, "# written by mlops export-stack (man 5 mlops-stack)\n");
	if (st->env) {
		json_t *env = json_string(st->env);

		buf_addstr(out, "environment: ");
		put_json(out, env);
		buf_addch(out, '\n');
		json_decref(env);
	}
	for (int k = 0; k < IAC_NKINDS; k++) {
		int first = 1;

		for (size_t i = 0; i < a.n; i++) {
			const struct actual *r = &a.v[i];
			json_t *name;

			if ((int)r->kind != k)
				continue;
			if (first)
				buf_addf(out, "%s:\n%s", sections[k],
					 k == IAC_GRANT ? "  grants:\n" : "");
			first = 0;
			name = json_string(r->name);
			if (k == IAC_GRANT) {
				buf_addstr(out, "    ");
				put_json(out, name);
				buf_addstr(out, ": ");
				put_json(out, json_object_get(r->settings,
							      "personas"));
			} else if (k == IAC_FEATURE_GROUP) {
				json_t *g = json_pack("{s:O}", "name", name);

				json_object_update(g, r->settings);
				buf_addstr(out, "  - ");
				put_json(out, g);
				json_decref(g);
			} else if (k == IAC_RULE) {
				/* The pattern as its JSON text, which is
				 * how a stack gives it inline. */
				json_t *rule = json_deep_copy(r->settings);
				char *text = json_dumps(json_object_get(rule,
					"pattern"), JSON_COMPACT |
					JSON_SORT_KEYS);

				json_object_set_new(rule, "pattern",
						    json_string(text));
				free(text);
				buf_addstr(out, "  ");
				put_json(out, name);
				buf_addstr(out, ": ");
				put_json(out, rule);
				json_decref(rule);
			} else {
				buf_addstr(out, "  ");
				put_json(out, name);
				buf_addstr(out, ": ");
				put_json(out, k == IAC_REMOTE ?
					 json_object_get(r->settings, "path") :
					 r->settings);
			}
			buf_addch(out, '\n');
			json_decref(name);
		}
	}
	actuals_release(&a);
	return 0;
}
