/* dispatch.c - delivering events to the targets of the rules they match,
 * at least once.
 *
 * A pass first matches the events recorded since the cursor against the
 * enabled rules and records one pending delivery per (event, rule), in
 * the transaction that moves the cursor, so a match is never lost nor
 * made twice. Then it runs the deliveries that are due, one at a time:
 * each is claimed under an open-file-description lock on the byte at its
 * id in events/delivery.lock, marked running, run, and marked done, due
 * again later (backoff doubling from the rule's), or dead. The lock is
 * held by the dispatcher and inherited by the target as descriptor 3, so
 * it is free again only once both are gone: a delivery found "running"
 * with its lock free was cut short by a crash and runs again; one whose
 * lock is held is someone else's, never run twice at once.
 *
 * Passes started in the background by the programs that emit events
 * (event_dispatch_soon) coalesce: one runs, at most one waits, others
 * leave at once. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/buf.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "governance/governance.h"

#define SCAN_BATCH 500
/* What of a failing target's output a dead letter keeps, at most. */
#define REASON_MAX 1000
/* The longest wait between retries, whatever the backoff doubles to. */
#define BACKOFF_MAX_US (3600 * TIME_US_PER_SEC)
/* How long a follower sleeps at most without a new event. */
#define FOLLOW_TICK_US TIME_US_PER_SEC

/* ---- ${field} in targets ---- */

static void shell_quote(struct buf *out, const char *s)
{
	buf_addch(out, '\'');
	for (; *s; s++)
		if (*s == '\'')
			buf_addstr(out, "'\\''");
		else
			buf_addch(out, *s);
	buf_addch(out, '\'');
}

/* The value at a dotted path of the envelope, or NULL. */
static const json_t *lookup(const json_t *ev, const char *path, size_t n)
{
	const json_t *v = ev;

	while (n > 0 && v) {
		const char *dot = memchr(path, '.', n);
		size_t len = dot ? (size_t)(dot - path) : n;
		char *key = xstrndup(path, len);

		if (json_is_array(v)) {
			char *end;
			long i = strtol(key, &end, 10);

			v = *key && !*end && i >= 0 ?
				json_array_get(v, (size_t)i) : NULL;
		} else {
			v = json_object_get(v, key);
		}
		free(key);
		path += len;
		n -= len;
		if (n > 0) {
			path++;
			n--;
		}
	}
	return v;
}

/* Whether s (after "${") starts with a field of the envelope, followed
 * by '.' or '}': only those are ours to replace. */
static int envelope_field(const char *s)
{
	static const char *const fields[] = {
		"version", "id", "detail-type", "source", "account", "time",
		"region", "resources", "detail", NULL
	};

	for (int i = 0; fields[i]; i++) {
		size_t n = strlen(fields[i]);

		if (strncmp(s, fields[i], n) == 0 &&
		    (s[n] == '.' || s[n] == '}'))
			return 1;
	}
	return 0;
}

int governance_dispatch_expand(char **out, const char *target,
			       const json_t *event, struct mlops_err *err)
{
	struct buf b = BUF_INIT;
	const char *p = target;

	while (*p) {
		const char *end;
		const json_t *v;

		if (p[0] == '$' && p[1] == '$' && p[2] == '{') {
			buf_addstr(&b, "${");
			p += 3;
			continue;
		}
		if (p[0] != '$' || p[1] != '{') {
			buf_addch(&b, *p++);
			continue;
		}
		if (!envelope_field(p + 2)) {
			/* the shell's own ${VAR}, ${VAR:-x} */
			buf_addstr(&b, "${");
			p += 2;
			continue;
		}
		end = strchr(p, '}');
		if (!end) {
			buf_release(&b);
			return mlops_err_set(err, MLOPS_EINPUT, "target: '${' "
					     "without its '}'");
		}
		v = lookup(event, p + 2, (size_t)(end - p - 2));
		if (!v) {
			int n = (int)(end - p - 2);

			buf_release(&b);
			return mlops_err_set(err, MLOPS_EINPUT, "target: the "
					     "event has no field '%.*s'", n,
					     p + 2);
		}
		if (json_is_string(v)) {
			shell_quote(&b, json_string_value(v));
		} else {
			struct buf text = BUF_INIT;

			jsonio_format(&text, v);
			shell_quote(&b, text.s);
			buf_release(&text);
		}
		p = end + 1;
	}
	*out = buf_detach(&b, NULL);
	return 0;
}

/* ---- matching new events ---- */

struct rule_row {
	char *name;
	json_t *pattern;
	int64_t since;
};

static void rules_free(struct rule_row *rules, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rules[i].name);
		json_decref(rules[i].pattern);
	}
	free(rules);
}

static int load_rules(struct store *st, struct rule_row **out, size_t *n,
		      struct mlops_err *err)
{
	struct rule_row *rules = NULL;
	sqlite3_stmt *q = NULL;
	size_t len = 0;
	int ret = store_prepare(st, &q, "SELECT name, pattern, since_seq "
				"FROM event_rule WHERE enabled", err);

	while (ret == 0 &&
	       (ret = store_step(q, "cannot read the rules", err)) == 1) {
		const char *text = (const char *)sqlite3_column_text(q, 1);
		json_t *p = json_loads(text, 0, NULL);

		ret = 0;
		if (!p) {
			ret = mlops_err_set(err, MLOPS_EINTERNAL, "rule '%s': "
					    "the stored pattern is not JSON",
					    sqlite3_column_text(q, 0));
			break;
		}
		rules = xreallocarray(rules, len + 1, sizeof(*rules));
		rules[len].name = xstrdup((const char *)
					  sqlite3_column_text(q, 0));
		rules[len].pattern = p;
		rules[len].since = sqlite3_column_int64(q, 2);
		len++;
	}
	sqlite3_finalize(q);
	if (ret < 0) {
		rules_free(rules, len);
		return ret;
	}
	*out = rules;
	*n = len;
	return 0;
}

static int add_delivery(sqlite3_stmt *ins, int64_t seq, const char *rule,
			int64_t now, struct mlops_err *err)
{
	sqlite3_reset(ins);
	sqlite3_bind_int64(ins, 1, seq);
	sqlite3_bind_text(ins, 2, rule, -1, SQLITE_STATIC);
	sqlite3_bind_int64(ins, 3, now);
	return store_step_done(ins, "cannot record a delivery", err);
}

/* How far dispatchers have matched the event log. */
static int read_cursor(struct store *st, int64_t *out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT seq FROM "
				"event_dispatch_cursor WHERE id = 1", err);

	if (ret == 0)
		ret = store_step(q, "cannot read the cursor", err);
	if (ret == 0)
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "the dispatch cursor "
				    "is missing");
	if (ret == 1) {
		*out = sqlite3_column_int64(q, 0);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

/* Match up to SCAN_BATCH events after the cursor in one transaction;
 * *more tells whether there may be more. */
static int scan_batch(struct store *st, int *more, struct mlops_err *err)
{
	struct rule_row *rules = NULL;
	sqlite3_stmt *q = NULL, *ins = NULL, *cur = NULL;
	int64_t cursor = 0, now = time_now_us();
	size_t nrules = 0, nevents = 0;
	int ret = store_begin(st, err);

	*more = 0;
	if (ret == 0)
		ret = read_cursor(st, &cursor, err);
	if (ret == 0)
		ret = load_rules(st, &rules, &nrules, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "SELECT seq, body FROM event WHERE "
				    "seq > ?1 ORDER BY seq LIMIT ?2", err);
	if (ret == 0)
		ret = store_prepare(st, &ins, "INSERT OR IGNORE INTO "
				    "event_delivery (event_seq, rule, state, "
				    "next_us, created_us) VALUES (?1, ?2, "
				    "'pending', ?3, ?3)", err);
	if (ret == 0) {
		sqlite3_bind_int64(q, 1, cursor);
		sqlite3_bind_int(q, 2, SCAN_BATCH);
	}
	while (ret == 0 &&
	       (ret = store_step(q, "cannot read events", err)) == 1) {
		int64_t seq = sqlite3_column_int64(q, 0);
		json_t *ev = nrules ? json_loads((const char *)
			sqlite3_column_text(q, 1), 0, NULL) : NULL;

		ret = 0;
		for (size_t i = 0; ev && ret == 0 && i < nrules; i++)
			if (seq > rules[i].since &&
			    governance_pattern_match(rules[i].pattern, ev))
				ret = add_delivery(ins, seq, rules[i].name, now,
						   err);
		json_decref(ev);
		cursor = seq;
		nevents++;
	}
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	if (ret == 0 && nevents > 0)
		ret = store_prepare(st, &cur, "UPDATE event_dispatch_cursor "
				    "SET seq = ?1 WHERE id = 1", err);
	if (ret == 0 && cur) {
		sqlite3_bind_int64(cur, 1, cursor);
		ret = store_step_done(cur, "cannot move the cursor", err);
	}
	sqlite3_finalize(cur);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	rules_free(rules, nrules);
	*more = nevents == SCAN_BATCH;
	return ret;
}

static int scan(struct store *st, struct mlops_err *err)
{
	int more = 1, ret = 0;

	while (ret == 0 && more)
		ret = scan_batch(st, &more, err);
	return ret;
}

/* ---- running deliveries ---- */

struct delivery {
	int64_t id, seq, attempts;
	char *rule, *target, *body;
	char *user;		/* who added the rule: the target acts as */
	int64_t retries, backoff_us, event_us;
	int lock_fd;
};

static void delivery_release(struct delivery *d)
{
	free(d->rule);
	free(d->target);
	free(d->body);
	free(d->user);
	if (d->lock_fd >= 0)
		close(d->lock_fd);
	memset(d, 0, sizeof(*d));
	d->lock_fd = -1;
}

/* Lock delivery id (a fresh open file description, so that its lock is
 * its own): 1 when locked, 0 when someone else holds it. */
static int lock_delivery(const char *path, int64_t id, int *fd_out,
			 struct mlops_err *err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
			    .l_start = (off_t)id, .l_len = 1 };
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot open '%s'", path);
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		int e = errno;

		close(fd);
		if (e == EAGAIN || e == EACCES)
			return 0;
		return mlops_err_errno(err, MLOPS_EINTERNAL, e,
				       "cannot lock '%s'", path);
	}
	*fd_out = fd;
	return 1;
}

/* Mark the locked delivery running and read what running it needs: 1,
 * or 0 when it is no longer due (done, dead, or its rule removed). */
static int claim(struct store *st, struct delivery *d, int64_t now,
		 struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_begin(st, err);

	if (ret == 0)
		ret = store_prepare(st, &q, "UPDATE event_delivery SET state = "
				    "'running', runs = runs + 1, started_us = "
				    "?2 WHERE id = ?1 AND (state = 'running' "
				    "OR (state = 'pending' AND next_us <= ?2))",
				    err);
	if (ret == 0) {
		sqlite3_bind_int64(q, 1, d->id);
		sqlite3_bind_int64(q, 2, now);
		ret = store_step_done(q, "cannot claim a delivery", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret < 0 || sqlite3_changes(st->db) == 0) {
		store_rollback(st);
		return ret;
	}
	ret = store_prepare(st, &q, "SELECT d.event_seq, d.rule, d.attempts, "
			    "r.target, r.retries, r.backoff_us, e.body, "
			    "e.time_us, r.created_by FROM event_delivery d "
			    "JOIN event_rule r ON r.name = d.rule JOIN event e "
			    "ON e.seq = d.event_seq WHERE d.id = ?1", err);
	if (ret == 0) {
		sqlite3_bind_int64(q, 1, d->id);
		ret = store_step(q, "cannot read a delivery", err);
	}
	if (ret == 0)
		ret = mlops_err_set(err, MLOPS_EINTERNAL, "delivery %" PRId64
				    " lost its rule or event", d->id);
	if (ret == 1) {
		d->seq = sqlite3_column_int64(q, 0);
		d->rule = xstrdup((const char *)sqlite3_column_text(q, 1));
		d->attempts = sqlite3_column_int64(q, 2);
		d->target = xstrdup((const char *)sqlite3_column_text(q, 3));
		d->retries = sqlite3_column_int64(q, 4);
		d->backoff_us = sqlite3_column_int64(q, 5);
		d->body = xstrdup((const char *)sqlite3_column_text(q, 6));
		d->event_us = sqlite3_column_int64(q, 7);
		d->user = xstrdup((const char *)sqlite3_column_text(q, 8));
		ret = 0;
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0) {
		store_rollback(st);
		return ret;
	}
	return 1;
}

/* MLOPS_EVENT_DETAIL_<FIELD>: the field's name upper-cased, anything but
 * letters and digits made '_'. */
static void set_detail_env(const json_t *detail)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)detail, key, v) {
		struct buf name = BUF_INIT, text = BUF_INIT;

		if (json_is_object(v) || json_is_array(v))
			continue;
		buf_addstr(&name, "MLOPS_EVENT_DETAIL_");
		for (const char *p = key; *p; p++)
			buf_addch(&name, (*p >= 'a' && *p <= 'z') ? *p - 32 :
				  ((*p >= 'A' && *p <= 'Z') ||
				   (*p >= '0' && *p <= '9')) ? *p : '_');
		if (json_is_string(v))
			buf_addstr(&text, json_string_value(v));
		else if (!json_is_null(v))
			jsonio_format(&text, v);
		setenv(name.s, text.s, 1);
		buf_release(&name);
		buf_release(&text);
	}
}

static void set_env(const char *name, const char *value)
{
	setenv(name, value ? value : "", 1);
}

/* In the child: the environment, descriptors 0-3, then sh -c. Only for
 * a single-threaded dispatcher, which this is. */
static void exec_target(struct store *st, const struct delivery *d,
			const json_t *ev, const char *cmd, int in_fd,
			int out_fd)
{
	sigset_t none;
	char num[32];

	if (chdir(st->root) < 0)
		_exit(126);
	set_env("MLOPS_STORE", st->dir);
	set_env("MLOPS_USER", d->user);
	set_env("MLOPS_EVENT_ID", jsonio_str(ev, "id"));
	set_env("MLOPS_EVENT_SOURCE", jsonio_str(ev, "source"));
	set_env("MLOPS_EVENT_DETAIL_TYPE", jsonio_str(ev, "detail-type"));
	set_env("MLOPS_EVENT_TIME", jsonio_str(ev, "time"));
	set_env("MLOPS_EVENT_ACCOUNT", jsonio_str(ev, "account"));
	set_env("MLOPS_EVENT_RULE", d->rule);
	snprintf(num, sizeof(num), "%" PRId64, d->seq);
	set_env("MLOPS_EVENT_SEQ", num);
	snprintf(num, sizeof(num), "%" PRId64, d->id);
	set_env("MLOPS_DELIVERY_ID", num);
	snprintf(num, sizeof(num), "%" PRId64, d->attempts + 1);
	set_env("MLOPS_DELIVERY_ATTEMPT", num);
	set_detail_env(json_object_get(ev, "detail"));
	if (dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(out_fd, 2) < 0 ||
	    dup2(d->lock_fd, 3) < 0)
		_exit(126);
	close_range(4, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	dprintf(2, "mlops: cannot run /bin/sh: %s\n", strerror(errno));
	_exit(126);
}

/* An unlinked temporary file holding the event, as the target's stdin:
 * no pipe to fill when a target never reads it. */
static int event_stdin(struct store *st, const char *body,
		       struct mlops_err *err)
{
	char *path = store_path(st, "events/event-XXXXXX");
	int fd = mkostemp(path, O_CLOEXEC), e = errno;

	if (fd < 0) {
		mlops_err_errno(err, MLOPS_EINTERNAL, e, "cannot make '%s'",
				path);
		free(path);
		return err->code;
	}
	unlink(path);
	free(path);
	if (fs_write_all(fd, body, strlen(body)) < 0 ||
	    fs_write_all(fd, "\n", 1) < 0 || lseek(fd, 0, SEEK_SET) < 0) {
		e = errno;
		close(fd);
		return mlops_err_errno(err, MLOPS_EINTERNAL, e, "cannot write "
				       "the event's temporary file");
	}
	return fd;
}

/* Keep the last REASON_MAX bytes of the target's output in tail, and
 * pass all of it on to log (the dispatcher's stderr). */
static void take_output(int fd, struct buf *tail, FILE *log)
{
	char chunk[4096];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		fwrite(chunk, 1, (size_t)n, log);
		buf_add(tail, chunk, (size_t)n);
		if (tail->len > 2 * REASON_MAX) {
			memmove(tail->s, tail->s + tail->len - REASON_MAX,
				REASON_MAX);
			buf_setlen(tail, REASON_MAX);
		}
	}
	fflush(log);
}

/* Run the target; *status gets the wait status, *reason (the caller's)
 * a description of a failure, NULL on success. */
static int run_target(struct store *st, const struct delivery *d,
		      int *status, char **reason, struct mlops_err *err)
{
	struct buf tail = BUF_INIT, why = BUF_INIT;
	json_t *ev = json_loads(d->body, 0, NULL);
	char *cmd = NULL;
	int pipefd[2] = { -1, -1 }, in_fd = -1, ret, exited = 0;
	pid_t pid;

	*reason = NULL;
	*status = -1;
	if (!ev)
		return mlops_err_set(err, MLOPS_EINTERNAL, "event %" PRId64
				     " is not valid JSON", d->seq);
	ret = governance_dispatch_expand(&cmd, d->target, ev, err);
	if (ret < 0) {
		*reason = xstrdup(err->msg);
		mlops_err_clear(err);
		json_decref(ev);
		return 0;
	}
	in_fd = event_stdin(st, d->body, err);
	if (in_fd < 0) {
		ret = in_fd;
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "pipe");
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "fork");
		goto out;
	}
	if (pid == 0)
		exec_target(st, d, ev, cmd, in_fd, pipefd[1]);
	close(pipefd[1]);
	pipefd[1] = -1;
	fcntl(pipefd[0], F_SETFL, O_NONBLOCK);
	/* Read until the output ends or, when the target left something
	 * behind that keeps it open, until the target itself has ended. */
	for (;;) {
		struct pollfd p = { pipefd[0], POLLIN, 0 };
		int r = poll(&p, 1, exited ? 0 : 50);

		if (r > 0) {
			size_t before = tail.len;

			take_output(pipefd[0], &tail, stderr);
			if ((p.revents & (POLLHUP | POLLERR)) &&
			    tail.len == before)
				break;
		}
		if (exited)
			break;
		if (waitpid(pid, status, WNOHANG) == pid)
			exited = 1;
	}
	if (!exited)
		while (waitpid(pid, status, 0) < 0 && errno == EINTR)
			;
	if (WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
		goto out;
	if (WIFEXITED(*status))
		buf_addf(&why, "exit status %d", WEXITSTATUS(*status));
	else
		buf_addf(&why, "killed by signal %d", WTERMSIG(*status));
	while (tail.len && strchr(" \t\r\n", tail.s[tail.len - 1]))
		buf_setlen(&tail, tail.len - 1);
	if (tail.len) {
		const char *s = tail.s;

		if (tail.len > REASON_MAX)
			s += tail.len - REASON_MAX;
		buf_addf(&why, ": %s", s);
	}
	*reason = buf_detach(&why, NULL);
out:
	if (in_fd >= 0)
		close(in_fd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	buf_release(&tail);
	buf_release(&why);
	free(cmd);
	json_decref(ev);
	return ret;
}

static int64_t backoff_for(const struct delivery *d, int64_t failures)
{
	int64_t b = d->backoff_us;

	for (int64_t i = 1; i < failures && b < BACKOFF_MAX_US; i++)
		b *= 2;
	return b < BACKOFF_MAX_US ? b : BACKOFF_MAX_US;
}

/* Commit the outcome of a run: done, pending again, or dead. */
static int finish(struct store *st, const struct delivery *d, int status,
		  const char *reason, int64_t started, json_t *outcome,
		  struct mlops_err *err)
{
	struct audit_entry e = { "event.deliver", NULL, "success", NULL };
	int64_t now = time_now_us(), failures = d->attempts + 1;
	const char *state = "done";
	int exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	sqlite3_stmt *q = NULL;
	char *resource = xasprintf("%s/%" PRId64, d->rule, d->seq);
	int ret;

	if (reason) {
		/* A command sh cannot find or run, or a target naming a
		 * field the event lacks, fails the same way every time. */
		int permanent = status == -1 || exit_status == 126 ||
			exit_status == 127;

		state = permanent || failures > d->retries ? "dead" :
			"pending";
		if (permanent && status != -1)
			json_object_set_new(outcome, "permanent",
					    json_true());
	}
	json_object_set_new(outcome, "outcome", json_string(
		!reason ? "delivered" : strcmp(state, "dead") ? "retry" :
		"dead"));
	json_object_set_new(outcome, "attempts", json_integer(
		reason ? failures : d->attempts + 1));
	json_object_set_new(outcome, "seconds",
			    json_real((double)(now - started) / 1e6));
	json_object_set_new(outcome, "latency",
			    json_real((double)(started - d->event_us) / 1e6));
	json_object_set_new(outcome, "reason", reason ? json_string(reason) :
			    json_null());
	e.resource = resource;
	ret = audit_intend(st, e.action, resource, err);
	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "UPDATE event_delivery SET state = "
				    "?2, attempts = ?3, next_us = ?4, "
				    "ended_us = ?5, exit_status = ?6, reason = "
				    "?7 WHERE id = ?1", err);
	if (ret == 0) {
		sqlite3_bind_int64(q, 1, d->id);
		sqlite3_bind_text(q, 2, state, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 3, reason ? failures : d->attempts);
		sqlite3_bind_int64(q, 4, reason ?
				   now + backoff_for(d, failures) : now);
		sqlite3_bind_int64(q, 5, now);
		if (status == -1)
			sqlite3_bind_null(q, 6);
		else
			sqlite3_bind_int(q, 6, exit_status);
		if (reason)
			sqlite3_bind_text(q, 7, reason, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(q, 7);
		ret = store_step_done(q, "cannot record the delivery", err);
	}
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	if (strcmp(state, "pending") == 0) {
		/* A retry to come is no change worth a record yet. */
		if (ret == 0)
			audit_cancel(st);
	} else {
		json_int_t runs = reason ? failures : d->attempts + 1;

		e.outcome = reason ? "failure" : "success";
		e.detail = json_pack("{s:s,s:I}", "event",
				     jsonio_str(outcome, "event"), "attempts",
				     runs);
		if (reason)
			json_object_set_new(e.detail, "reason",
					    json_string(reason));
		ret = audit_done(st, ret, &e, err);
		json_decref(e.detail);
	}
	free(resource);
	return ret;
}

/* Claim, run and settle delivery id, whose lock we hold in d. */
static int deliver(struct store *st, struct delivery *d,
		   const struct governance_dispatch_opts *o,
		   struct mlops_err *err)
{
	json_t *outcome, *ev;
	char *reason = NULL, *prev_user;
	int64_t started = time_now_us();
	int status, ret = claim(st, d, started, err);

	if (ret <= 0)
		return ret;
	ret = run_target(st, d, &status, &reason, err);
	if (ret < 0) {
		free(reason);
		return ret;
	}
	ev = json_loads(d->body, 0, NULL);
	outcome = json_pack("{s:I,s:I,s:s,s:s}", "id", (json_int_t)d->id,
			    "seq", (json_int_t)d->seq, "event",
			    ev ? jsonio_str(ev, "id") : "", "rule", d->rule);
	json_decref(ev);
	/* The delivery is the rule's doing: audit it as its owner's. */
	prev_user = getenv("MLOPS_USER") ? xstrdup(getenv("MLOPS_USER")) :
		NULL;
	setenv("MLOPS_USER", d->user, 1);
	ret = finish(st, d, reason && status == -1 ? -1 : status, reason,
		     started, outcome, err);
	if (prev_user)
		setenv("MLOPS_USER", prev_user, 1);
	else
		unsetenv("MLOPS_USER");
	free(prev_user);
	if (ret == 0 && o->report)
		o->report(outcome, o->arg);
	json_decref(outcome);
	free(reason);
	return ret;
}

/* Run one due delivery whose lock is free. *ran tells whether one ran;
 * *next_due gets when the earliest pending one falls due (INT64_MAX:
 * none), *others whether some are held by other dispatchers. */
static int run_one(struct store *st, const char *lock_path,
		   const struct governance_dispatch_opts *o, int *ran,
		   int64_t *next_due, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int64_t now = time_now_us();
	int ret;

	*ran = 0;
	*next_due = INT64_MAX;
	ret = store_prepare(st, &q, "SELECT id, state, next_us FROM "
			    "event_delivery WHERE state IN ('pending', "
			    "'running') ORDER BY next_us, id", err);
	while (ret == 0 && !*ran &&
	       (ret = store_step(q, "cannot read deliveries", err)) == 1) {
		struct delivery d = { .lock_fd = -1 };
		const char *state = (const char *)sqlite3_column_text(q, 1);
		int64_t due = sqlite3_column_int64(q, 2);

		ret = 0;
		if (strcmp(state, "pending") == 0 && due > now) {
			if (due < *next_due)
				*next_due = due;
			continue;
		}
		d.id = sqlite3_column_int64(q, 0);
		ret = lock_delivery(lock_path, d.id, &d.lock_fd, err);
		if (ret == 1) {
			/* Done reading: claim() writes. */
			sqlite3_finalize(q);
			q = NULL;
			ret = deliver(st, &d, o, err);
			*ran = 1;
		}
		delivery_release(&d);
	}
	sqlite3_finalize(q);
	return ret < 0 ? ret : 0;
}

/* Take the coalescing locks of a background pass: 1 to go on, 0 when a
 * pass already waits (it will see our events). */
static int coalesce(struct store *st, int *run_fd, struct mlops_err *err)
{
	char *qpath = store_path(st, "events/queue.lock");
	char *rpath = store_path(st, "events/run.lock");
	int qfd = open(qpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int rfd = open(rpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	int ret = 1;

	if (qfd < 0 || rfd < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot open the dispatch locks in '%s'",
				      st->dir);
	} else if (flock(qfd, LOCK_EX | LOCK_NB) < 0) {
		ret = 0;
	} else {
		while (flock(rfd, LOCK_EX) < 0 && errno == EINTR)
			;
		*run_fd = rfd;
		rfd = -1;
	}
	if (qfd >= 0)
		close(qfd);	/* the next one may queue now */
	if (rfd >= 0)
		close(rfd);
	free(qpath);
	free(rpath);
	return ret;
}

int governance_dispatch_run(struct store *st,
			    const struct governance_dispatch_opts *o,
			    struct mlops_err *err)
{
	char *dir = store_path(st, "events");
	char *lock_path = fs_path_join(dir, "delivery.lock");
	int run_fd = -1, follow_fd = -1, ret = fs_mkdir_p(dir, err);

	/* waitpid() needs the children: SIGCHLD must not be ignored. */
	signal(SIGCHLD, SIG_DFL);
	if (ret == 0 && o->coalesce) {
		ret = coalesce(st, &run_fd, err);
		if (ret == 0)
			goto out;	/* another pass will do it */
		ret = ret < 0 ? ret : 0;
	}
	if (ret == 0 && o->follow) {
		/* Background passes need not start while a follower runs
		 * (event_dispatch_soon looks at this lock). */
		char *fpath = fs_path_join(dir, "follow.lock");

		follow_fd = open(fpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
		if (follow_fd >= 0)
			flock(follow_fd, LOCK_SH);
		free(fpath);
	}
	while (ret == 0 && !(o->stop && *o->stop)) {
		int64_t next_due = INT64_MAX, seq = 0, wait_us;
		int ran = 0;

		ret = scan(st, err);
		if (ret == 0)
			ret = run_one(st, lock_path, o, &ran, &next_due, err);
		if (ret < 0 || ran)
			continue;
		if (!o->follow && next_due == INT64_MAX)
			break;
		wait_us = next_due == INT64_MAX ? FOLLOW_TICK_US :
			next_due - time_now_us();
		if (o->follow && wait_us > FOLLOW_TICK_US)
			wait_us = FOLLOW_TICK_US;
		if (wait_us <= 0)
			continue;
		ret = read_cursor(st, &seq, err);
		if (ret == 0)
			ret = event_wait(st, seq, wait_us, o->stop, err);
		ret = ret < 0 ? ret : 0;
	}
out:
	if (run_fd >= 0)
		close(run_fd);
	if (follow_fd >= 0)
		close(follow_fd);
	free(lock_path);
	free(dir);
	return ret;
}

/* ---- dead letters ---- */

static json_t *dead_letter_row(sqlite3_stmt *q)
{
	char when[TIME_RFC3339_MAX];
	json_t *o;

	time_format_ms(sqlite3_column_int64(q, 6), when);
	o = json_pack("{s:I,s:I,s:s,s:s,s:I,s:s?,s:s}",
		      "id", (json_int_t)sqlite3_column_int64(q, 0),
		      "seq", (json_int_t)sqlite3_column_int64(q, 1),
		      "event", sqlite3_column_text(q, 2),
		      "rule", sqlite3_column_text(q, 3),
		      "attempts", (json_int_t)sqlite3_column_int64(q, 4),
		      "reason", sqlite3_column_text(q, 5), "ended", when);
	json_object_set_new(o, "exitStatus",
			    sqlite3_column_type(q, 7) == SQLITE_NULL ?
			    json_null() :
			    json_integer(sqlite3_column_int(q, 7)));
	return o;
}

int governance_dispatch_dead_letters(struct store *st, json_t **out,
				     struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT d.id, d.event_seq, e.id, "
				"d.rule, d.attempts, d.reason, d.ended_us, "
				"d.exit_status FROM event_delivery d JOIN "
				"event e ON e.seq = d.event_seq WHERE d.state "
				"= 'dead' ORDER BY d.ended_us, d.id", err);

	if (ret < 0)
		return ret;
	return jsonio_rows(out, q, dead_letter_row, "cannot read dead letters",
			   err);
}

int governance_dispatch_redrive(struct store *st, int64_t id,
				struct mlops_err *err)
{
	char *resource = xasprintf("%" PRId64, id);
	struct audit_entry e = { "event.redrive", resource, "success", NULL };
	sqlite3_stmt *q = NULL;
	int ret = audit_intend(st, e.action, resource, err);

	if (ret == 0)
		ret = store_begin(st, err);
	if (ret == 0)
		ret = store_prepare(st, &q, "UPDATE event_delivery SET state = "
				    "'pending', attempts = 0, next_us = ?2 "
				    "WHERE id = ?1 AND state = 'dead'", err);
	if (ret == 0) {
		sqlite3_bind_int64(q, 1, id);
		sqlite3_bind_int64(q, 2, time_now_us());
		ret = store_step_done(q, "cannot redrive", err);
	}
	if (ret == 0 && sqlite3_changes(st->db) == 0)
		ret = mlops_err_set(err, MLOPS_ENOTFOUND, "no dead letter %"
				    PRId64 " (see 'mlops event dead-letters')",
				    id);
	sqlite3_finalize(q);
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	ret = audit_done(st, ret, &e, err);
	if (ret == 0)
		event_dispatch_soon(st);
	free(resource);
	return ret;
}
