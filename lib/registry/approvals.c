/* approvals.c - the approval record of a version across
 * environments: who registered, approved, rejected or imported it, in
 * which store and when. A store keeps only its own status changes
 * (status.c); an imported version carries the record of the
 * stores before it in its origin. The two together are the version's
 * record, which an export passes on whole, so that production still
 * says who approved a model in dev, and that staging imported it rather
 * than approved it. */
#include <stdlib.h>
#include <string.h>

#include "core/jsonio.h"
#include "registry/internal.h"
#include "core/time.h"

#define IMPORT_NOTE "imported from "
/* Longest environment, user or comment taken from a stream. */
#define FIELD_MAX 4096

static const char *const actions[] = {
	"registered", "approved", "rejected", "pending", "imported"
};

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* One record; comment and from may be NULL. */
static json_t *record(const char *env, const char *action,
		      const char *status, const char *user, const char *time,
		      const char *comment, const char *from)
{
	json_t *r = json_object();

	json_object_set_new(r, "environment", string_or_null(env));
	json_object_set_new(r, "action", json_string(action));
	json_object_set_new(r, "status", string_or_null(status));
	json_object_set_new(r, "user", string_or_null(user));
	json_object_set_new(r, "time", string_or_null(time));
	json_object_set_new(r, "comment", string_or_null(comment));
	if (from)
		json_object_set_new(r, "from", json_string(from));
	return r;
}

/* Status history rows {previous, status, user, time, note} of env as
 * records. The first row (previous null) is the registration, or the
 * import from import_from when that is not NULL. */
static json_t *from_history(const json_t *history, const char *env,
			    const char *import_from)
{
	json_t *out = json_array(), *h;
	size_t i;

	json_array_foreach(history, i, h) {
		const char *status = jsonio_str(h, "status");
		const char *note = jsonio_str(h, "note");
		const char *action = "pending";
		const char *from = NULL;

		if (!json_is_string(json_object_get(h, "previous"))) {
			action = import_from ? "imported" : "registered";
			from = import_from;
			/* The note only repeated where it came from. */
			if (import_from)
				note = NULL;
		} else if (status && strcmp(status, REGISTRY_APPROVED) == 0) {
			action = "approved";
		} else if (status && strcmp(status, REGISTRY_REJECTED) == 0) {
			action = "rejected";
		}
		json_array_append_new(out, record(env, action, status,
						  jsonio_str(h, "user"),
						  jsonio_str(h, "time"), note,
						  from));
	}
	return out;
}

/* The origin's status history as an import before this record existed
 * kept it: the source's own rows, its import from further back named
 * only in the note of its first row. */
static json_t *from_old_history(const json_t *history, const char *env)
{
	const char *note = jsonio_str(json_array_get(history, 0), "note");
	const char *from = NULL;

	if (note && !json_is_string(json_object_get(json_array_get(history, 0),
						    "previous")) &&
	    strncmp(note, IMPORT_NOTE, strlen(IMPORT_NOTE)) == 0)
		from = note + strlen(IMPORT_NOTE);
	return from_history(history, env, from);
}

/* What an imported version's origin carries from the stores before. */
static json_t *carried(const json_t *origin)
{
	const json_t *approvals = json_object_get(origin, "approvals");
	const json_t *history = json_object_get(origin, "history");

	if (json_is_array(approvals))
		return json_deep_copy(approvals);
	if (json_is_array(history))
		return from_old_history(history, jsonio_str(origin, "account") ?
					jsonio_str(origin, "account") :
					"unknown");
	return json_array();
}

int registry_approvals(struct store *st, const struct registry_version *mv,
		       json_t **out, struct mlops_err *err)
{
	json_t *history = NULL, *all, *local;
	int ret = registry_status_history(st, mv->group, mv->version,
					  &history, err);

	if (ret < 0)
		return ret;
	all = carried(mv->origin);
	local = from_history(history, st->env, mv->origin ?
			     (jsonio_str(mv->origin, "account") ?
			      jsonio_str(mv->origin, "account") : "unknown") :
			     NULL);
	json_array_extend(all, local);
	json_decref(local);
	json_decref(history);
	*out = all;
	return 0;
}

/* A short string of printable characters, or NULL. */
static const char *text_field(const json_t *r, const char *key)
{
	const char *s = jsonio_str(r, key);
	size_t n;

	if (!s)
		return NULL;
	n = strlen(s);
	if (!n || n > FIELD_MAX)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20)
			return NULL;
	return s;
}

static int valid_action(const char *a)
{
	for (size_t i = 0; a && i < sizeof(actions) / sizeof(actions[0]); i++)
		if (strcmp(a, actions[i]) == 0)
			return 1;
	return 0;
}

/* Why record r is not one we could have written, or NULL. */
static const char *bad_record(const json_t *r)
{
	const char *action = jsonio_str(r, "action");
	const json_t *comment = json_object_get(r, "comment");
	const char *status = jsonio_str(r, "status");
	int64_t us;

	if (!json_is_object(r))
		return "not an object";
	if (!text_field(r, "environment"))
		return "no environment";
	if (!valid_action(action))
		return "unknown action";
	if (!status || !registry_valid_status(status))
		return "unknown status";
	if (!text_field(r, "user"))
		return "no user";
	if (!jsonio_str(r, "time") ||
	    time_parse(jsonio_str(r, "time"), &us, NULL) < 0)
		return "no time, or not RFC 3339";
	if (comment && !json_is_null(comment) &&
	    (!json_is_string(comment) ||
	     strlen(json_string_value(comment)) > FIELD_MAX))
		return "comment is not a string";
	if (strcmp(action, "imported") == 0 ? !text_field(r, "from") :
	    json_object_get(r, "from") != NULL)
		return "\"from\" belongs to imports, and they need it";
	return NULL;
}

int registry_approvals_check(const json_t *manifest, const char *source,
			     json_t **out, struct mlops_err *err)
{
	const json_t *approvals = json_object_get(manifest, "approvals");
	const json_t *history = json_object_get(manifest, "history");
	json_t *in, *records, *r;
	const char *why = NULL;
	size_t i;

	if (approvals && !json_is_array(approvals))
		return mlops_err_set(err, MLOPS_EINPUT, "manifest: approvals "
				     "is not an array");
	if (approvals)
		in = json_incref((json_t *)approvals);
	else if (json_is_array(history))
		in = from_old_history(history, source);
	else
		in = json_array();
	/* Copy only what a record holds: nothing else reaches the store. */
	records = json_array();
	json_array_foreach(in, i, r) {
		if ((why = bad_record(r)) != NULL)
			break;
		json_array_append_new(records, record(
			jsonio_str(r, "environment"), jsonio_str(r, "action"),
			jsonio_str(r, "status"), jsonio_str(r, "user"),
			jsonio_str(r, "time"), jsonio_str(r, "comment"),
			jsonio_str(r, "from")));
	}
	json_decref(in);
	if (why) {
		json_decref(records);
		return mlops_err_set(err, MLOPS_EINPUT, "manifest: %s record "
				     "%zu: %s", approvals ? "approval" :
				     "history", i + 1, why);
	}
	*out = records;
	return 0;
}

json_t *registry_approvals_latest(const json_t *records)
{
	json_t *r;
	size_t i = json_array_size(records);

	while (i-- > 0) {
		const char *action, *status;

		r = json_array_get(records, i);
		action = jsonio_str(r, "action");
		status = jsonio_str(r, "status");
		/* Registered as Approved is approved by who registered it;
		 * an import takes a status, it approves nothing. */
		if (action && status &&
		    (strcmp(action, "approved") == 0 ||
		     (strcmp(action, "registered") == 0 &&
		      strcmp(status, REGISTRY_APPROVED) == 0)))
			return json_pack("{s:O?,s:O?,s:O?,s:O?}",
					 "environment",
					 json_object_get(r, "environment"),
					 "user", json_object_get(r, "user"),
					 "time", json_object_get(r, "time"),
					 "note", json_object_get(r, "comment"));
	}
	return json_null();
}
