/* event.h - events in the EventBridge envelope, kept in the store's event
 * table: {version "0", id, detail-type, source, account (the store's
 * environment), time, region "local", resources [], detail {}}.
 * Rules that react to events read this table: lib/governance matches
 * them and runs the rules' targets (`mlops event dispatch`). */
#ifndef MLOPS_EVENT_H
#define MLOPS_EVENT_H
#include <signal.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"
#include "core/store.h"

/* Build and record an event. source is "mlops.registry" and the like;
 * resources (an array of strings) and detail (an object) are borrowed and
 * may be NULL. Runs inside the caller's transaction when one is open, so
 * that the event commits with the change it describes. The envelope is
 * stored in *out when out is not NULL (the caller decrefs it). */
int event_emit(struct store *st, const char *source, const char *detail_type,
	       json_t *resources, json_t *detail, json_t **out,
	       struct mlops_err *err);

/* Check a user-supplied envelope and fill what it may leave out (id, time,
 * version, account, region, resources). name is for messages. */
int event_normalise(struct store *st, json_t *ev, const char *name,
		    struct mlops_err *err);
/* Record an envelope that event_normalise accepted, in the caller's
 * transaction (or its own statement). */
int event_put(struct store *st, json_t *ev, struct mlops_err *err);
/* Record the envelopes of the array events (each accepted by
 * event_normalise) in one transaction, audited as "event.put" of the one
 * event's id, or of "events". */
int event_put_all(struct store *st, json_t *events, struct mlops_err *err);

struct event_filter {
	const char *source;		/* exact match, or NULL */
	const char *detail_type;	/* exact match, or NULL */
	int64_t since_us;		/* INT64_MIN: no bound */
	int64_t after_seq;		/* only seq > after_seq */
	int64_t limit;			/* 0: no limit; else the newest N */
};
#define EVENT_FILTER_INIT { NULL, NULL, INT64_MIN, 0, 0 }

/* Call fn(seq, envelope) for each matching event, oldest first. */
int event_each(struct store *st, const struct event_filter *f,
	       int (*fn)(int64_t seq, json_t *ev, void *arg), void *arg,
	       struct mlops_err *err);

/* The seq of the newest event (0 when there is none). */
int event_last_seq(struct store *st, int64_t *out, struct mlops_err *err);

/* Wait until the store holds an event after after_seq (1), or until
 * timeout_us has passed or *stop (may be NULL) is set (0). Sleeps on
 * inotify(7) over the store's directory, so a new commit wakes it at
 * once, with no polling in between. */
int event_wait(struct store *st, int64_t after_seq, int64_t timeout_us,
	       volatile sig_atomic_t *stop, struct mlops_err *err);

/* Start `mlops event dispatch --coalesce` in the background, detached
 * (double fork, setsid, stdio to events/dispatch.log in the store, no
 * other descriptor), when enabled rules exist and automatic dispatch is
 * on: not turned off by `events.auto_dispatch: false` in config.yaml or
 * MLOPS_NO_AUTO_DISPATCH=1, and no `dispatch --follow` runs. mlops is
 * found beside this program, else on $PATH. Best effort: a failure only
 * leaves the events for the next pass. Called after every commit that
 * recorded events. */
void event_dispatch_soon(struct store *st);

#endif
