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

#include "audit.h"
#include "fsutil.h"
#include "hash.h"
#include "identity.h"
#include "jsonio.h"
#include "timefmt.h"
#include "xalloc.h"

#define AUDIT_LOG "audit.log"
#define AUDIT_HEAD "audit.head"
#define ZERO_HASH "0000000000000000000000000000000000000000000000000000000000000000"
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

static json_t *make_record(struct store *st, const struct audit_entry *e,
			   const char *user, json_int_t seq, const char *prev)
{
	char now[TIME_RFC3339_MAX];
	json_t *r;

	time_format_ms(time_now_us(), now);
	r = json_pack("{s:I,s:s,s:s,s:s,s:s,s:s,s:s,s:s,s:s}",
		      "seq", seq, "time", now, "user", user,
		      "tool", st->tool ? st->tool : "mlops",
		      "action", e->action,
		      "resource", e->resource ? e->resource : "",
		      "outcome", e->outcome ? e->outcome : "success",
		      "env", st->env ? st->env : "dev", "prev", prev);
	if (r && st->persona)
		json_object_set_new(r, "persona", json_string(st->persona));
	if (r && e->detail)
		json_object_set(r, "detail", e->detail);
	return r;
}

int audit_append(struct store *st, const struct audit_entry *e,
		 struct mlops_err *err)
{
	char *path = store_path(st, AUDIT_LOG);
	char *head_path = store_path(st, AUDIT_HEAD);
	struct buf last = BUF_INIT, line = BUF_INIT, body = BUF_INIT;
	char prev[HASH_HEX_LEN + 1] = ZERO_HASH, hash[HASH_HEX_LEN + 1];
	json_int_t seq = 1;
	json_t *rec = NULL, *old = NULL;
	char *user = identity_user();	/* before the lock: it reads files */
	off_t end = 0;
	int fd, ret;

	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot open '%s'", path);
		goto out;
	}
	while ((ret = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (ret < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot lock '%s'", path);
		goto out;
	}
	ret = read_last_line(fd, path, &last, &end, err);
	if (ret < 0)
		goto out;
	if (last.len) {
		json_error_t jerr;

		old = json_loadb(last.s, last.len, 0, &jerr);
		if (!old || split_line(last.s, last.len, &body, prev) < 0 ||
		    !json_is_integer(json_object_get(old, "seq"))) {
			ret = mlops_err_set(err, MLOPS_EINTERNAL,
					    "'%s': the last record is damaged; "
					    "run 'mlops audit verify'", path);
			goto out;
		}
		seq = json_integer_value(json_object_get(old, "seq")) + 1;
	}
	rec = make_record(st, e, user, seq, prev);
	if (!rec) {
		ret = mlops_err_set(err, MLOPS_EINTERNAL,
				    "cannot build an audit record");
		goto out;
	}
	jsonio_append(&line, rec);
	chain_hash(prev, line.s, line.len, hash);
	buf_setlen(&line, line.len - 1);	/* reopen the object */
	buf_addf(&line, ",\"hash\":\"%s\"}\n", hash);
	/* Drop a torn final line left by a crash, then append in one
	 * write so that a killed process leaves whole lines only. */
	if (ftruncate(fd, end) < 0 || pwrite(fd, line.s, line.len, end) !=
	    (ssize_t)line.len || fdatasync(fd) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot append to '%s'", path);
		goto out;
	}
	buf_reset(&body);
	buf_addf(&body, "%lld %s\n", (long long)seq, hash);
	ret = write_file_atomic(head_path, body.s, body.len, err);
out:
	if (fd >= 0)
		close(fd);	/* releases the lock */
	json_decref(rec);
	json_decref(old);
	buf_release(&last);
	buf_release(&line);
	buf_release(&body);
	free(user);
	free(path);
	free(head_path);
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
		buf_addf(problem, "audit.log ends at record %lld but audit.head "
			 "records %lld: the log was truncated", seq, head_seq);
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
	int ret = 0;
	size_t len;

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
