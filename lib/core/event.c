/* event.c - emit, validate and query EventBridge-style events. */
#include <string.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/event.h"
#include "core/id.h"
#include "core/jsonio.h"
#include "core/time.h"

static int insert(struct store *st, json_t *ev, int64_t time_us,
		  struct mlops_err *err)
{
	struct buf body = BUF_INIT;
	sqlite3_stmt *q = NULL;
	int ret;

	ret = store_prepare(st, &q, "INSERT INTO event (id, time_us, source, "
			    "detail_type, body) VALUES (?1, ?2, ?3, ?4, ?5)",
			    err);
	if (ret < 0)
		return ret;
	jsonio_append(&body, ev);
	sqlite3_bind_text(q, 1, jsonio_str(ev, "id"), -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, time_us);
	sqlite3_bind_text(q, 3, jsonio_str(ev, "source"), -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, jsonio_str(ev, "detail-type"), -1,
			  SQLITE_STATIC);
	sqlite3_bind_text(q, 5, body.s, (int)body.len, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		ret = store_sql_error(st, "cannot record the event", err);
	sqlite3_finalize(q);
	buf_release(&body);
	return ret;
}

int event_emit(struct store *st, const char *source, const char *detail_type,
	       json_t *resources, json_t *detail, json_t **out,
	       struct mlops_err *err)
{
	char id[ID_UUID_LEN], now[TIME_RFC3339_MAX];
	int64_t t = time_now_us();
	json_t *ev;
	int ret;

	if ((ret = id_uuid4(id, err)) < 0)
		return ret;
	time_format_ms(t, now);
	ev = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:O,s:O}",
		       "version", "0", "id", id, "detail-type", detail_type,
		       "source", source, "account", st->env, "time", now,
		       "region", "local",
		       "resources", resources ? resources : json_array(),
		       "detail", detail ? detail : json_object());
	if (!ev)
		return mlops_err_set(err, MLOPS_EINTERNAL,
				     "cannot build the event");
	if (!resources)
		json_decref(json_object_get(ev, "resources"));
	if (!detail)
		json_decref(json_object_get(ev, "detail"));
	ret = insert(st, ev, t, err);
	if (ret == 0 && out)
		*out = json_incref(ev);
	json_decref(ev);
	return ret;
}

static int require_string(json_t *ev, const char *key, const char *name,
			  struct mlops_err *err)
{
	const char *v = jsonio_str(ev, key);

	if (!v || !*v)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: \"%s\" must be a non-empty string",
				     name, key);
	return 0;
}

int event_normalise(struct store *st, json_t *ev, const char *name,
		    struct mlops_err *err)
{
	static const char *const allowed[] = {
		"version", "id", "detail-type", "source", "account", "time",
		"region", "resources", "detail", NULL
	};
	const char *key;
	json_t *v, *res;
	int64_t t;
	int ret;

	if (!json_is_object(ev))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: an event must be a JSON object",
				     name);
	json_object_foreach(ev, key, v) {
		int known = 0;

		for (int i = 0; allowed[i] && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known)
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s: unknown envelope field "
					     "\"%s\"", name, key);
	}
	if ((ret = require_string(ev, "source", name, err)) < 0 ||
	    (ret = require_string(ev, "detail-type", name, err)) < 0)
		return ret;
	if (!json_is_object(json_object_get(ev, "detail")))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: \"detail\" must be a JSON object",
				     name);
	v = json_object_get(ev, "version");
	if (v && (!json_is_string(v) || strcmp(json_string_value(v), "0")))
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s: \"version\" must be \"0\"", name);
	res = json_object_get(ev, "resources");
	if (res) {
		size_t i;

		if (!json_is_array(res))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s: \"resources\" must be an "
					     "array of strings", name);
		json_array_foreach(res, i, v)
			if (!json_is_string(v))
				return mlops_err_set(err, MLOPS_EINPUT,
						     "%s: resources[%zu] is "
						     "not a string", name, i);
	} else {
		json_object_set_new(ev, "resources", json_array());
	}
	v = json_object_get(ev, "time");
	if (v) {
		if (!json_is_string(v))
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s: \"time\" must be an RFC 3339 "
					     "string", name);
		ret = time_parse(json_string_value(v), &t, err);
		if (ret < 0)
			return mlops_err_prefix(err, "%s: time: ", name);
	} else {
		char now[TIME_RFC3339_MAX];

		time_format_ms(time_now_us(), now);
		json_object_set_new(ev, "time", json_string(now));
	}
	if (!json_object_get(ev, "id")) {
		char id[ID_UUID_LEN];

		if ((ret = id_uuid4(id, err)) < 0)
			return ret;
		json_object_set_new(ev, "id", json_string(id));
	} else if ((ret = require_string(ev, "id", name, err)) < 0) {
		return ret;
	}
	json_object_set_new(ev, "version", json_string("0"));
	if (!json_object_get(ev, "account"))
		json_object_set_new(ev, "account", json_string(st->env));
	if (!json_object_get(ev, "region"))
		json_object_set_new(ev, "region", json_string("local"));
	if ((ret = require_string(ev, "account", name, err)) < 0 ||
	    (ret = require_string(ev, "region", name, err)) < 0)
		return ret;
	return 0;
}

int event_put(struct store *st, json_t *ev, struct mlops_err *err)
{
	int64_t t;
	int ret = time_parse(jsonio_str(ev, "time"), &t, err);

	if (ret < 0)
		return ret;
	ret = insert(st, ev, t, err);
	if (ret == MLOPS_ENOTFOUND)
		mlops_err_set(err, MLOPS_ENOTFOUND, "an event with id %s "
			      "already exists", jsonio_str(ev, "id"));
	return ret;
}

int event_put_all(struct store *st, json_t *events, struct mlops_err *err)
{
	struct audit_entry e = { "event.put", NULL, "success", NULL };
	json_t *ev;
	size_t i;
	int ret;

	e.resource = json_array_size(events) == 1 ?
		jsonio_str(json_array_get(events, 0), "id") : "events";
	ret = audit_intend(st, e.action, e.resource, err);
	if (ret == 0)
		ret = store_begin(st, err);
	json_array_foreach(events, i, ev)
		if (ret == 0)
			ret = event_put(st, ev, err);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	return audit_done(st, ret, &e, err);
}

int event_each(struct store *st, const struct event_filter *f,
	       int (*fn)(int64_t seq, json_t *ev, void *arg), void *arg,
	       struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret, rc;

	/* The newest `limit` events, returned oldest first. */
	ret = store_prepare(st, &q,
			    "SELECT seq, body FROM (SELECT seq, body FROM event"
			    " WHERE (?1 IS NULL OR source = ?1)"
			    " AND (?2 IS NULL OR detail_type = ?2)"
			    " AND time_us >= ?3 AND seq > ?4"
			    " ORDER BY seq DESC LIMIT ?5) ORDER BY seq", err);
	if (ret < 0)
		return ret;
	if (f->source)
		sqlite3_bind_text(q, 1, f->source, -1, SQLITE_STATIC);
	if (f->detail_type)
		sqlite3_bind_text(q, 2, f->detail_type, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, f->since_us);
	sqlite3_bind_int64(q, 4, f->after_seq);
	sqlite3_bind_int64(q, 5, f->limit > 0 ? f->limit : -1);
	while (ret == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *body = (const char *)sqlite3_column_text(q, 1);
		json_error_t jerr;
		json_t *ev = json_loads(body, 0, &jerr);

		if (!ev) {
			ret = mlops_err_set(err, MLOPS_EINTERNAL,
					    "event %lld is not valid JSON",
					    (long long)sqlite3_column_int64(q,
									    0));
			break;
		}
		ret = fn(sqlite3_column_int64(q, 0), ev, arg);
		json_decref(ev);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_sql_error(st, "cannot read events", err);
	sqlite3_finalize(q);
	return ret;
}
