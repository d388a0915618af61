/* audit.c - append to and verify the hash-chained audit.log; see audit.h
 * for the format and the guarantees. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/access.h"
#include "core/audit.h"
#include "core/event.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/identity.h"
#include "core/id.h"
#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"

#define AUDIT_LOG "audit.log"
#define AUDIT_HEAD "audit.head"
#define ZERO_HASH "00000000000000000000000000000000" \
	"00000000000000000000000000000000"
#define HASH_SUFFIX_LEN (sizeof(",\"hash\":\"\"}") - 1 + HASH_HEX_LEN)
#define AUDIT_MAX_LINE (1024 * 1024)

/* Split a stored line into its body (without the hash field) and hash:
 * `{...,"hash":"H"}` gives `{...}` in body and H. 0, or -1 when the line
 * does not end that way. */
static int split_line(const char *line, size_t len, struct buf *body,
		      char hash[HASH_HEX_LEN + 1])
{
	const char *suffix;

	if (len < HASH_SUFFIX_LEN + 2)
		return -1;
	suffix = line + len - HASH_SUFFIX_LEN;
	if (memcmp(suffix, ",\"hash\":\"", 9) != 0 ||
	    memcmp(line + len - 2, "\"}", 2) != 0)
		return -1;
	memcpy(hash, suffix + 9, HASH_HEX_LEN);
	hash[HASH_HEX_LEN] = '\0';
	if (!hash_is_valid(hash))
		return -1;
	buf_reset(body);
	buf_add(body, line, (size_t)(suffix - line));
	buf_addch(body, '}');
	return 0;
}

static void chain_hash(const char *prev, const char *body, size_t len,
		       char out[HASH_HEX_LEN + 1])
{
	struct hash_ctx *h = hash_begin();

	hash_update(h, prev, HASH_HEX_LEN);
	hash_update(h, "\n", 1);
	hash_update(h, body, len);
	hash_end(h, out);
}

/* Read the last complete line of the log (fd open for reading) into
 * last; *end gets the offset just past its newline, which is where the
 * next record goes (a torn final line from a crash is dropped). */
static int read_last_line(int fd, const char *path, struct buf *last,
			  off_t *end, struct mlops_err *err)
{
	struct stat sb;
	off_t size, pos, nl = -1;
	char chunk[4096];

	buf_reset(last);
	if (fstat(fd, &sb) < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot stat '%s'", path);
	size = sb.st_size;
	/* Find the last newline: the end of the last complete record. */
	for (pos = size; pos > 0 && nl < 0;) {
		size_t n = pos > (off_t)sizeof(chunk) ? sizeof(chunk) :
			(size_t)pos;

		pos -= (off_t)n;
		if (pread(fd, chunk, n, pos) != (ssize_t)n)
			return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					       "cannot read '%s'", path);
		for (size_t i = n; i > 0; i--)
			if (chunk[i - 1] == '\n') {
				nl = pos + (off_t)i - 1;
				break;
			}
	}
	*end = nl + 1;
	if (nl < 0)
		return 0;
	/* Then the newline before it, the start of that record. */
	for (pos = nl; pos > 0;) {
		size_t n = pos > (off_t)sizeof(chunk) ? sizeof(chunk) :
			(size_t)pos;
		off_t start = -1;

		pos -= (off_t)n;
		if (pread(fd, chunk, n, pos) != (ssize_t)n)
			return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					       "cannot read '%s'", path);
		for (size_t i = n; i > 0; i--)
			if (chunk[i - 1] == '\n') {
				start = pos + (off_t)i;
				break;
			}
		if (start >= 0) {
			pos = start;
			break;
		}
		if (nl - pos > AUDIT_MAX_LINE)
			return mlops_err_set(err, MLOPS_EINTERNAL,
					     "'%s': last record is too long",
					     path);
	}
	buf_grow(last, (size_t)(nl - pos));
	if (pread(fd, last->s, (size_t)(nl - pos), pos) != nl - pos)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot read '%s'", path);
	last->len = (size_t)(nl - pos);
	last->s[last->len] = '\0';
	return 0;
}

/* The fields of a record that do not depend on its place in the chain. */
static json_t *make_base(struct store *st, const struct audit_entry *e,
			 const char *user)
{
	char now[TIME_RFC3339_MAX];
	json_t *r;

	time_format_ms(time_now_us(), now);
	r = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		      "time", now, "user", user,
		      "tool", st->tool ? st->tool : "mlops",
		      "action", e->action,
		      "resource", e->resource ? e->resource : "",
		      "outcome", e->outcome ? e->outcome : "success",
		      "env", st->env ? st->env : "dev");
	if (r)
		json_object_set_new(r, "activity", json_string(
					    access_activity_of(e->action)));
	if (r && st->persona)
		json_object_set_new(r, "persona", json_string(st->persona));
	if (r && e->detail)
		json_object_set(r, "detail", e->detail);
	return r;
}

/* audit.log open and locked, with what the next record chains to. */
struct audit_log {
	int fd;
	char *path;
	char *head_path;
	char prev[HASH_HEX_LEN + 1];
	json_int_t seq;		/* of the last record */
	off_t end;		/* where the next record goes */
	char *last_txn;		/* the last record's "txn", or NULL */
};

static void log_close(struct audit_log *lg)
{
	if (lg->fd >= 0)
		close(lg->fd);	/* releases the lock */
	free(lg->path);
	free(lg->head_path);
	free(lg->last_txn);
}

static int log_open(struct audit_log *lg, struct store *st,
		    struct mlops_err *err)
{
	struct buf last = BUF_INIT, body = BUF_INIT;
	json_t *old = NULL;
	int ret;

	memset(lg, 0, sizeof(*lg));
	lg->path = store_path(st, AUDIT_LOG);
	lg->head_path = store_path(st, AUDIT_HEAD);
	memcpy(lg->prev, ZERO_HASH, sizeof(lg->prev));
	lg->fd = open(lg->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lg->fd < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot open '%s'", lg->path);
	while ((ret = flock(lg->fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (ret < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot lock '%s'", lg->path);
	ret = read_last_line(lg->fd, lg->path, &last, &lg->end, err);
	if (ret == 0 && last.len) {
		json_error_t jerr;
		const char *txn;

		old = json_loadb(last.s, last.len, 0, &jerr);
		if (!old || split_line(last.s, last.len, &body, lg->prev) < 0 ||
		    !json_is_integer(json_object_get(old, "seq")))
			ret = mlops_err_set(err, MLOPS_EINTERNAL,
					    "'%s': the last record is damaged; "
					    "run 'mlops audit verify'",
					    lg->path);
		else
			lg->seq = json_integer_value(json_object_get(old,
								     "seq"));
		txn = old ? jsonio_str(old, "txn") : NULL;
		lg->last_txn = txn ? xstrdup(txn) : NULL;
	}
	json_decref(old);
	buf_release(&last);
	buf_release(&body);
	return ret;
}

/* Chain rec (its place-independent fields) onto the log. */
static int log_add(struct audit_log *lg, json_t *rec, struct mlops_err *err)
{
	struct buf line = BUF_INIT;
	char hash[HASH_HEX_LEN + 1];
	int ret;

	json_object_set_new(rec, "seq", json_integer(lg->seq + 1));
	json_object_set_new(rec, "prev", json_string(lg->prev));
	jsonio_append(&line, rec);
	chain_hash(lg->prev, line.s, line.len, hash);
	buf_setlen(&line, line.len - 1);	/* reopen the object */
	buf_addf(&line, ",\"hash\":\"%s\"}\n", hash);
	/* Drop a torn final line left by a crash, then append in one
	 * write so that a killed process leaves whole lines only. */
	if (ftruncate(lg->fd, lg->end) < 0 ||
	    pwrite(lg->fd, line.s, line.len, lg->end) != (ssize_t)line.len ||
	    fdatasync(lg->fd) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot append to '%s'", lg->path);
		buf_release(&line);
		return ret;
	}
	lg->end += (off_t)line.len;
	lg->seq++;
	memcpy(lg->prev, hash, sizeof(lg->prev));
	buf_reset(&line);
	buf_addf(&line, "%lld %s\n", (long long)lg->seq, hash);
	ret = fs_write_file_atomic(lg->head_path, line.s, line.len, err);
	buf_release(&line);
	return ret;
}

/* 1 when the pending record token is still in the database, 0 if not. */
static int pending_exists(struct store *st, const char *token,
			  struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT 1 FROM audit_pending WHERE "
				"token = ?1", err);

	if (ret == 0) {
		sqlite3_bind_text(q, 1, token, -1, SQLITE_STATIC);
		ret = store_step(q, "cannot read pending audit records", err);
	}
	sqlite3_finalize(q);
	return ret;
}

struct pending {
	char *token;
	char *record;
};

/* Read every pending record, oldest first, but skip's. */
static int pending_list(struct store *st, const char *skip,
			struct pending **out, size_t *n, struct mlops_err *err)
{
	struct pending *list = NULL;
	sqlite3_stmt *q = NULL;
	size_t count = 0, cap = 0;
	int ret = store_prepare(st, &q, "SELECT token, record FROM "
				"audit_pending ORDER BY created_us, token",
				err);

	while (ret == 0 && (ret = store_step(q, "cannot read pending audit "
					     "records", err)) == 1) {
		const char *token = (const char *)sqlite3_column_text(q, 0);

		ret = 0;
		if (skip && strcmp(token, skip) == 0)
			continue;
		ALLOC_GROW(list, count + 1, cap);
		list[count].token = xstrdup(token);
		list[count++].record = xstrdup((const char *)
					       sqlite3_column_text(q, 1));
	}
	sqlite3_finalize(q);
	*out = list;
	*n = count;
	return ret;
}

static void pending_free(struct pending *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].token);
		free(list[i].record);
	}
	free(list);
}

/* Append the records of changes committed by commands that did not
 * append them (killed in between, or not yet there), with the log locked:
 * each is appended, then its row dropped. A crash between the two leaves
 * the row of the log's last record, which is only dropped next time. */
static int recover_locked(struct store *st, struct audit_log *lg,
			  const char *skip, long *recovered,
			  struct mlops_err *err)
{
	struct pending *list;
	size_t n;
	int ret = pending_list(st, skip, &list, &n, err);

	for (size_t i = 0; ret == 0 && i < n; i++) {
		json_error_t jerr;
		json_t *rec;

		if (lg->last_txn && strcmp(lg->last_txn, list[i].token) == 0) {
			ret = store_audit_drop(st, list[i].token, err);
			continue;
		}
		rec = json_loads(list[i].record, 0, &jerr);
		if (!json_is_object(rec)) {
			json_decref(rec);
			ret = mlops_err_set(err, MLOPS_EINTERNAL, "pending "
					    "audit record %s is damaged",
					    list[i].token);
			break;
		}
		json_object_set_new(rec, "txn", json_string(list[i].token));
		json_object_set_new(rec, "recovered", json_true());
		ret = log_add(lg, rec, err);
		json_decref(rec);
		if (ret == 0)
			ret = store_audit_drop(st, list[i].token, err);
		if (ret == 0 && recovered)
			(*recovered)++;
	}
	pending_free(list, n);
	return ret;
}

static void intent_clear(struct store *st)
{
	free(st->audit_record);
	free(st->audit_token);
	st->audit_record = st->audit_token = NULL;
	st->audit_committed = 0;
}

/* Record a refusal by access_check(): the record (outcome "denied", the
 * user's personas, the reason) and an "Action Denied" event, which
 * commits on its own, as nothing else does. Best effort: the command
 * fails with why anyway. A change committed earlier under a declared
 * record keeps that record pending, to be recovered. */
static void record_denial(struct store *st, const char *action,
			  const char *resource, const struct mlops_err *why)
{
	struct mlops_err ignored = MLOPS_ERR_INIT;
	struct audit_entry e = { action, resource, "denied", NULL };
	char *user = identity_user();
	json_t *detail;

	store_rollback(st);
	intent_clear(st);
	e.detail = json_pack("{s:s,s:i}", "error", why->msg, "status",
			     mlops_err_exit_status(why->code));
	audit_append(st, &e, &ignored);
	detail = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s*}", "user", user,
			   "tool", st->tool ? st->tool : "mlops",
			   "action", action, "resource",
			   resource ? resource : "", "activity",
			   access_activity_of(action), "persona",
			   st->persona);
	if (detail)
		event_emit(st, "mlops.governance", "Action Denied", NULL,
			   detail, NULL, &ignored);
	json_decref(detail);
	json_decref(e.detail);
	free(user);
}

int audit_authorize(struct store *st, const char *action,
		    const char *resource, struct mlops_err *err)
{
	int ret = access_check(st, action, resource, err);

	if (ret == MLOPS_EPERM)
		record_denial(st, action, resource, err);
	return ret;
}

int audit_intend(struct store *st, const char *action, const char *resource,
		 struct mlops_err *err)
{
	struct audit_entry e = { action, resource, "success", NULL };
	struct buf text = BUF_INIT;
	char *user;
	json_t *rec;
	char token[33];
	int ret = audit_authorize(st, action, resource, err);

	if (ret < 0)
		return ret;
	user = identity_user();
	rec = make_base(st, &e, user);
	free(user);
	if (!rec)
		return mlops_err_set(err, MLOPS_EINPUT, "cannot audit '%s': "
				     "the resource or user is not valid "
				     "UTF-8", action);
	if (!st->audit_token) {
		ret = id_random_hex(token, 32, err);
		if (ret < 0) {
			json_decref(rec);
			return ret;
		}
		st->audit_token = xstrdup(token);
	}
	jsonio_append(&text, rec);
	json_decref(rec);
	free(st->audit_record);
	st->audit_record = buf_detach(&text, NULL);
	return 0;
}

/* The change committed, its record did not reach the log: the row in
 * audit_pending stays for the next command to append (or to drop, when
 * the line did reach the log), and the message says the change is made.
 * The intent is cleared, so that neither store_close() drops the row
 * (it drops only a change's that decided to record nothing) nor
 * audit_fail() or audit_refusal() record the change as failed. */
static void kept_pending(struct store *st, struct mlops_err *err)
{
	intent_clear(st);
	st->audit_appended = 1;	/* its record is, to be recovered */
	if (err) {
		char why[sizeof(err->msg)];

		snprintf(why, sizeof(why), "%s", err->msg);
		mlops_err_set(err, MLOPS_EINTERNAL, "the change is made, but "
			      "its audit record is not complete (%s); the "
			      "next command on this store completes it", why);
	}
}

int audit_append(struct store *st, const struct audit_entry *e,
		 struct mlops_err *err)
{
	struct audit_log lg;
	json_t *rec = NULL;
	char *user = identity_user();	/* before the lock: it reads files */
	const char *own = st->audit_committed ? st->audit_token : NULL;
	int ret = log_open(&lg, st, err);

	if (ret == 0)
		ret = recover_locked(st, &lg, own, NULL, err);
	if (ret == 0 && own) {
		if (lg.last_txn && strcmp(lg.last_txn, own) == 0) {
			/* Appended by a process that recovered it, which
			 * died before dropping the row. */
			ret = store_audit_drop(st, own, err);
			goto out;
		}
		/* No row: another process recovered the record already;
		 * appending it again would count the change twice. */
		ret = pending_exists(st, own, err);
		if (ret == 0)
			goto out;
		ret = ret < 0 ? ret : 0;
	}
	if (ret < 0)
		goto out;
	rec = make_base(st, e, user);
	if (!rec) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL,
				    "cannot build an audit record");
		goto out;
	}
	if (own)
		json_object_set_new(rec, "txn", json_string(own));
	ret = log_add(&lg, rec, err);
	if (ret == 0 && own)
		ret = store_audit_drop(st, own, err);
out:
	if (ret == 0) {
		intent_clear(st);
		st->audit_appended = 1;
	} else if (own) {
		kept_pending(st, err);
	}
	log_close(&lg);
	json_decref(rec);
	free(user);
	return ret;
}

void audit_fail(struct store *st, const struct mlops_err *failure)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct audit_entry e = { NULL, NULL, NULL, NULL };
	json_error_t jerr;
	json_t *intent;

	if (!st || !st->audit_record)
		return;
	store_rollback(st);
	intent = json_loads(st->audit_record, 0, &jerr);
	e.action = jsonio_str(intent, "action");
	e.resource = jsonio_str(intent, "resource");
	e.outcome = failure->code == MLOPS_EPERM ? "denied" : "failure";
	e.detail = json_pack("{s:s,s:i}", "error", failure->msg,
			     "status", mlops_err_exit_status(failure->code));
	if (!e.detail)	/* the message quotes bytes that are not UTF-8 */
		e.detail = json_pack("{s:i}", "status",
				     mlops_err_exit_status(failure->code));
	if (e.action && e.detail)
		audit_append(st, &e, &err);
	json_decref(e.detail);
	json_decref(intent);
	intent_clear(st);
}

void audit_refusal(struct store *st, const char *action,
		   const char *resource, const struct mlops_err *failure)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct audit_entry e = { action, resource, "failure", NULL };

	if (!st || st->audit_appended || st->audit_record ||
	    failure->code == MLOPS_EUSAGE || failure->code == MLOPS_EPERM)
		return;
	e.detail = json_pack("{s:s,s:i}", "error", failure->msg, "status",
			     mlops_err_exit_status(failure->code));
	if (!e.detail)	/* the message quotes bytes that are not UTF-8 */
		e.detail = json_pack("{s:i}", "status",
				     mlops_err_exit_status(failure->code));
	store_rollback(st);
	/* For the record's persona only: the one that would have allowed
	 * the change, else all the user's. */
	access_check(st, action, resource, &err);
	audit_append(st, &e, &err);
	json_decref(e.detail);
}

void audit_cancel(struct store *st)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	if (st->audit_committed)
		store_audit_drop(st, st->audit_token, &err);
	intent_clear(st);
}

int audit_done(struct store *st, int ret, const struct audit_entry *e,
	       struct mlops_err *err)
{
	if (ret < 0) {
		audit_fail(st, err);
		return ret;
	}
	return audit_append(st, e, err);
}

int audit_pending_count(struct store *st, long *out, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int ret = store_prepare(st, &q, "SELECT count(*) FROM audit_pending",
				err);

	*out = 0;
	if (ret == 0)
		ret = store_step(q, "cannot count pending audit records", err);
	if (ret == 1) {
		*out = (long)sqlite3_column_int64(q, 0);
		ret = 0;
	}
	sqlite3_finalize(q);
	return ret;
}

int audit_recover(struct store *st, long *recovered, struct mlops_err *err)
{
	struct audit_log lg;
	long pending;
	int ret = audit_pending_count(st, &pending, err);

	*recovered = 0;
	if (ret < 0 || pending == 0)
		return ret;
	ret = log_open(&lg, st, err);
	if (ret == 0)
		ret = recover_locked(st, &lg, NULL, recovered, err);
	log_close(&lg);
	return ret;
}

/* Read the head file: 0 and fills seq/hash, or 1 when there is none. */
static int read_head(struct store *st, long long *seq,
		     char hash[HASH_HEX_LEN + 1])
{
	char *path = store_path(st, AUDIT_HEAD);
	FILE *f = fopen(path, "re");
	int ret = 1;

	free(path);
	if (!f)
		return 1;
	if (fscanf(f, "%lld %64s", seq, hash) == 2 && hash_is_valid(hash))
		ret = 0;
	else
		ret = -1;
	fclose(f);
	return ret;
}

struct line_reader {
	FILE *f;
	char *line;
	size_t cap;
	long lineno;
};

/* Next line without its newline; 1 when complete, 2 when the file ends
 * without a newline, 0 at end of file. */
static int next_line(struct line_reader *lr, size_t *len)
{
	ssize_t n = getline(&lr->line, &lr->cap, lr->f);

	if (n <= 0)
		return 0;
	lr->lineno++;
	if (lr->line[n - 1] == '\n') {
		lr->line[--n] = '\0';
		*len = (size_t)n;
		return 1;
	}
	*len = (size_t)n;
	return 2;
}

/* Move the records of killed commands to the log; a change whose record
 * cannot be moved (audit.log not writable) is a finding. */
static int check_pending(struct store *st, struct buf *problem,
			 struct mlops_err *err)
{
	struct mlops_err why = MLOPS_ERR_INIT;
	long recovered, pending;

	if (audit_recover(st, &recovered, &why) == 0)
		return 0;
	if (audit_pending_count(st, &pending, err) < 0)
		return err->code;
	if (!pending)
		return 0;
	buf_addf(problem, "%ld committed change%s ha%s no record in "
		 "audit.log yet (%s)", pending, pending == 1 ? "" : "s",
		 pending == 1 ? "s" : "ve", why.msg);
	return MLOPS_EXIT_FINDING;
}

int audit_verify(struct store *st, int64_t *count, struct buf *problem,
		 struct mlops_err *err)
{
	char *path = store_path(st, AUDIT_LOG);
	struct line_reader lr = { NULL, NULL, 0, 0 };
	struct buf body = BUF_INIT;
	char prev[HASH_HEX_LEN + 1] = ZERO_HASH, hash[HASH_HEX_LEN + 1];
	char head_hash[HASH_HEX_LEN + 1], expect[HASH_HEX_LEN + 1];
	long long head_seq = 0, seq = 0;
	int head, ret = 0, kind;
	size_t len;

	*count = 0;
	ret = check_pending(st, problem, err);
	if (ret != 0)
		goto out;
	head = read_head(st, &head_seq, head_hash);
	if (head < 0) {
		buf_addf(problem, "audit.head is damaged");
		ret = MLOPS_EXIT_FINDING;
		goto out;
	}
	lr.f = fopen(path, "re");
	if (!lr.f) {
		if (errno != ENOENT)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot open '%s'", path);
		else if (head == 0 && head_seq > 0) {
			buf_addf(problem, "audit.log is missing but audit.head "
				 "records %lld entries", head_seq);
			ret = MLOPS_EXIT_FINDING;
		}
		goto out;
	}
	while ((kind = next_line(&lr, &len)) > 0) {
		json_error_t jerr;
		json_t *rec;
		json_int_t rseq;
		const char *rprev;

		if (kind == 2 && seq == head_seq)
			break;	/* a torn append after the head: harmless */
		rec = json_loadb(lr.line, len, 0, &jerr);
		if (!rec || split_line(lr.line, len, &body, hash) < 0) {
			buf_addf(problem, "audit.log:%ld: record is not a "
				 "valid audit record", lr.lineno);
			json_decref(rec);
			ret = MLOPS_EXIT_FINDING;
			goto out;
		}
		rseq = json_integer_value(json_object_get(rec, "seq"));
		rprev = jsonio_str(rec, "prev");
		chain_hash(prev, body.s, body.len, expect);
		if (rseq != seq + 1 || !rprev || strcmp(rprev, prev) != 0 ||
		    strcmp(expect, hash) != 0) {
			buf_addf(problem, "audit.log:%ld: record %lld does not "
				 "follow record %lld (%s)", lr.lineno,
				 (long long)rseq, seq,
				 rseq != seq + 1 ? "sequence broken: a record "
				 "was deleted or reordered" :
				 strcmp(expect, hash) != 0 ? "its hash does "
				 "not match its content: it was edited" :
				 "its prev hash does not match");
			json_decref(rec);
			ret = MLOPS_EXIT_FINDING;
			goto out;
		}
		json_decref(rec);
		memcpy(prev, hash, sizeof(prev));
		seq = rseq;
		(*count)++;
		if (seq == head_seq && head == 0 &&
		    strcmp(hash, head_hash) != 0) {
			buf_addf(problem, "audit.log:%ld: record %lld differs "
				 "from the one recorded in audit.head: the "
				 "log was rewritten", lr.lineno, seq);
			ret = MLOPS_EXIT_FINDING;
			goto out;
		}
	}
	if (head == 0 && seq < head_seq) {
		buf_addf(problem, "audit.log ends at record %lld but "
			 "audit.head records %lld: the log was truncated",
			 seq, head_seq);
		ret = MLOPS_EXIT_FINDING;
	}
out:
	if (lr.f)
		fclose(lr.f);
	free(lr.line);
	buf_release(&body);
	free(path);
	return ret;
}

int audit_each(struct store *st, int (*fn)(json_t *record, void *arg),
	       void *arg, struct mlops_err *err)
{
	char *path = store_path(st, AUDIT_LOG);
	struct line_reader lr = { NULL, NULL, 0, 0 };
	struct mlops_err ignored = MLOPS_ERR_INIT;
	int ret = 0;
	long recovered;
	size_t len;

	/* Show the records of killed commands too; where the log cannot be
	 * written, audit verify says what is missing. */
	audit_recover(st, &recovered, &ignored);
	lr.f = fopen(path, "re");
	if (!lr.f) {
		if (errno != ENOENT)
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot open '%s'", path);
		free(path);
		return ret;
	}
	while (ret == 0 && next_line(&lr, &len) == 1) {
		json_error_t jerr;
		json_t *rec = json_loadb(lr.line, len, 0, &jerr);

		if (!rec)
			continue;	/* audit verify reports it */
		ret = fn(rec, arg);
		json_decref(rec);
	}
	fclose(lr.f);
	free(lr.line);
	free(path);
	return ret;
}
