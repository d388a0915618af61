/* event.c - emit, validate and query EventBridge-style events, wait for
 * new ones, and start the background dispatch pass that delivers them to
 * rules (the rules themselves are lib/governance's). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/id.h"
#include "core/jsonio.h"
#include "core/spec.h"
#include "core/time.h"
#include "core/xalloc.h"

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
	ret = store_step_done(q, "cannot record the event", err);
	sqlite3_finalize(q);
	buf_release(&body);
	/* Rules see the event once it commits: with the caller's
	 * transaction (store_commit), or now when it had none. */
	if (ret == 0 && sqlite3_get_autocommit(st->db))
		event_dispatch_soon(st);
	else if (ret == 0)
		st->events_recorded = 1;
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
		"region", "resources", "detail", "seq", NULL
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
	/* What `event log --json` adds: the seq in the log it came from. */
	json_object_del(ev, "seq");
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
		ret = store_step_failed(st, rc, "cannot read events", err);
	sqlite3_finalize(q);
	return ret;
}

/* ---- waiting for events ---- */

int event_last_seq(struct store *st, int64_t *out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT coalesce(max(seq), 0) FROM "
				"event", err);

	if (ret == 0)
		ret = store_step(q, "cannot read the event log", err);
	if (ret == 1) {
		*out = sqlite3_column_int64(q, 0);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

int event_wait(struct store *st, int64_t after_seq, int64_t timeout_us,
	       volatile sig_atomic_t *stop, struct mlops_err *err)
{
	int64_t end = time_mono_us() + timeout_us, seq = 0;
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC), ret = 0;

	/* Watch first, then look: a commit between the two still wakes. */
	if (fd >= 0 && inotify_add_watch(fd, st->dir, IN_MODIFY | IN_CREATE |
					 IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
		close(fd);
		fd = -1;
	}
	while (ret == 0 && !(stop && *stop)) {
		int64_t left = end - time_mono_us();
		struct pollfd p = { fd, POLLIN, 0 };
		char drain[4096];

		ret = event_last_seq(st, &seq, err);
		if (ret < 0)
			break;
		if (seq > after_seq) {
			ret = 1;
			break;
		}
		if (left <= 0)
			break;
		/* Without inotify, look again every 100 ms. */
		if (fd < 0 && left > 100000)
			left = 100000;
		if (poll(fd >= 0 ? &p : NULL, fd >= 0, (int)((left + 999) /
							     1000)) > 0)
			while (read(fd, drain, sizeof(drain)) > 0)
				;
	}
	if (fd >= 0)
		close(fd);
	return ret;
}

/* ---- the background dispatch pass ---- */

static int auto_dispatch_off(struct store *st)
{
	const char *env = getenv("MLOPS_NO_AUTO_DISPATCH");
	struct mlops_err err = MLOPS_ERR_INIT;
	struct spec_doc *cfg = NULL;
	sqlite3_stmt *q = NULL;
	const char *v;
	int off = 1;

	if (env && *env && strcmp(env, "0") != 0)
		return 1;
	/* The rules are lib/governance's; a plain query suffices here. */
	if (store_prepare(st, &q, "SELECT 1 FROM event_rule WHERE enabled "
			  "LIMIT 1", &err) == 0)
		off = store_step(q, "cannot read the rules", &err) != 1;
	sqlite3_finalize(q);
	if (off || config_load(&cfg, st->dir, &err) < 0)
		return 1;
	v = config_get(cfg, "events.auto_dispatch");
	off = v && spec_scalar_bool(v) == 0;
	spec_free(cfg);
	return off;
}

/* 1 when flock(op) on the store's events/NAME would have to wait: a
 * follower or a waiting pass holds it. */
static int lock_busy(struct store *st, const char *name, int op)
{
	char *path = store_path(st, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC), busy = 0;

	free(path);
	if (fd < 0)
		return 0;
	busy = flock(fd, op | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd);
	return busy;
}

/* The mlops program: beside this one, else the first on $PATH. */
static char *find_mlops(void)
{
	char exe[PATH_MAX], *dir, *path, *copy, *save = NULL;
	const char *env = getenv("PATH");
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n > 0) {
		exe[n] = '\0';
		dir = fs_path_dirname(exe);
		path = fs_path_join(dir, "mlops");
		free(dir);
		if (access(path, X_OK) == 0)
			return path;
		free(path);
	}
	copy = xstrdup(env ? env : "/usr/local/bin:/usr/bin:/bin");
	for (char *d = strtok_r(copy, ":", &save); d;
	     d = strtok_r(NULL, ":", &save)) {
		path = fs_path_join(*d ? d : ".", "mlops");
		if (access(path, X_OK) == 0) {
			free(copy);
			return path;
		}
		free(path);
	}
	free(copy);
	return NULL;
}

void event_dispatch_soon(struct store *st)
{
	char *prog, *log, *dir;
	char *argv[7];
	sigset_t none;
	pid_t pid;
	int fd;

	if (auto_dispatch_off(st) ||
	    lock_busy(st, "events/follow.lock", LOCK_EX) ||
	    lock_busy(st, "events/queue.lock", LOCK_EX))
		return;
	prog = find_mlops();
	if (!prog)
		return;
	dir = store_path(st, "events");
	log = fs_path_join(dir, "dispatch.log");
	if (fs_mkdir_p(dir, NULL) < 0 ||
	    (fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		       0644)) < 0) {
		free(prog);
		free(log);
		free(dir);
		return;
	}
	argv[0] = "mlops";
	argv[1] = "--store";
	argv[2] = st->dir;
	argv[3] = "event";
	argv[4] = "dispatch";
	argv[5] = "--coalesce";
	argv[6] = NULL;
	sigemptyset(&none);
	fflush(NULL);
	/* Everything is ready before fork: the child of a threaded program
	 * (a gateway) may only make system calls. The middle process exits
	 * at once, so the pass is nobody's child and no zombie. */
	pid = fork();
	if (pid == 0) {
		int in;

		if (fork() != 0)
			_exit(0);
		setsid();
		/* Not the signals a gateway blocks or ignores. */
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGCHLD, SIG_DFL);
		in = open("/dev/null", O_RDONLY);
		if (in < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 ||
		    dup2(fd, 2) < 0)
			_exit(70);
		close_range(3, ~0U, 0);
		execv(prog, argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
	close(fd);
	free(prog);
	free(log);
	free(dir);
}
