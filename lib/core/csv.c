/* csv.c - a streaming RFC 4180 CSV reader and a writer; csv.h says what
 * is accepted and why.
 *
 * The reader is the hot path of feature-store ingest, where files run to
 * ten million rows, so it must cost little per byte and nothing per field
 * beyond a few stores. It is a state machine over 64 KiB input chunks that
 * copies runs of ordinary bytes, found by a table lookup loop, into one
 * record buffer where the fields lie back to back, NUL-terminated. Buffers
 * are reused from record to record, so a file of short rows allocates
 * nothing after its first record. The state lives in csv_read's locals and
 * survives chunk boundaries, so a record split anywhere (even one byte per
 * read, as from a slow pipe) parses the same. */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/bounds.h"
#include "core/buf.h"
#include "core/csv.h"
#include "core/xalloc.h"

#define CSV_CHUNK 65536

enum csv_state {
	S_RECORD,	/* between records, where blank lines are skipped */
	S_FIELD,	/* at the start of a field, which may open a quote */
	S_UNQUOTED,	/* inside an unquoted field */
	S_QUOTED,	/* inside a quoted field */
	S_QUOTE,	/* after a quote in a quoted field: "" or the end */
	S_CR		/* after a CR outside quotes, where LF must follow */
};

/* Bytes that end a run of ordinary bytes in an unquoted field, and in a
 * quoted one (LF only to count lines). */
static const unsigned char unquoted_stop[256] = {
	[0] = 1, [','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1
};
static const unsigned char quoted_stop[256] = {
	[0] = 1, ['"'] = 1, ['\n'] = 1
};

struct csv_reader {
	int fd;			/* -1 when reading memory */
	char *name;
	char *chunk;		/* CSV_CHUNK bytes read from fd, or NULL */
	const char *in;		/* input; in[pos..len) is not parsed yet */
	size_t pos, len;
	int eof;		/* nothing more will come after in[len) */
	int started;		/* the byte order mark has been looked for */
	struct mlops_err failure;	/* code 0 until an error, then final */
	size_t max_record;
	struct progress *progress;	/* gets the bytes read, or NULL */
	long line;		/* the physical line being read, from 1 */
	long rec_line;		/* where the record last read began */

	/* The record: field i is rec + off[i], NUL-terminated, and
	 * off[nfields] == rec_len, so field i is off[i + 1] - off[i] - 1
	 * bytes long. */
	char *rec;
	size_t rec_len, rec_cap;
	size_t *off;
	size_t off_cap;
	char **fields;
	size_t fields_cap;
	size_t nfields;

	/* A copy of the header that outlives later records. */
	char *hdr;
	char **hdr_names;
};

static struct csv_reader *reader_alloc(const char *name)
{
	struct csv_reader *r = xcalloc(1, sizeof(*r));

	r->name = xstrdup(strcmp(name, "-") ? name : "<stdin>");
	r->fd = -1;
	r->in = "";
	r->max_record = MLOPS_MAX_RECORD;
	r->line = 1;
	r->rec_line = 0;
	return r;
}

struct csv_reader *csv_reader_new(int fd, const char *name)
{
	struct csv_reader *r = reader_alloc(name);

	assert(fd >= 0);
	r->fd = fd;
	r->chunk = xmalloc(CSV_CHUNK);
	r->in = r->chunk;
	return r;
}

void csv_reader_set_progress(struct csv_reader *r, struct progress *p)
{
	r->progress = p;
}

struct csv_reader *csv_reader_new_mem(const char *data, size_t len,
				      const char *name)
{
	struct csv_reader *r = reader_alloc(name);

	r->in = len ? data : "";
	r->len = len;
	r->eof = 1;
	return r;
}

void csv_reader_free(struct csv_reader *r)
{
	if (!r)
		return;
	free(r->name);
	free(r->chunk);
	free(r->rec);
	free(r->off);
	free(r->fields);
	free(r->hdr);
	free(r->hdr_names);
	free(r);
}

void csv_reader_set_max_record(struct csv_reader *r, size_t max)
{
	assert(max > 0);
	r->max_record = max;
}

const char *csv_reader_name(const struct csv_reader *r)
{
	return r->name;
}

long csv_record_line(const struct csv_reader *r)
{
	return r->rec_line;
}

size_t csv_field_len(const struct csv_reader *r, size_t i)
{
	assert(i < r->nfields);
	return r->off[i + 1] - r->off[i] - 1;
}

/* Record an error as final and copy it to err. */
static int fail(struct csv_reader *r, struct mlops_err *err, long line,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int fail(struct csv_reader *r, struct mlops_err *err, long line,
		const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	mlops_err_set(&r->failure, MLOPS_EINPUT, "%s:%ld: %s", r->name, line,
		      why);
	if (err)
		*err = r->failure;
	return r->failure.code;
}

/* Append what one read(2) gives to the chunk; 1, 0 at the end of the
 * input, or an error. */
static int read_more(struct csv_reader *r, struct mlops_err *err)
{
	ssize_t n;

	if (r->eof)
		return 0;
	do
		n = read(r->fd, r->chunk + r->len, CSV_CHUNK - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		mlops_err_errno(&r->failure, MLOPS_EINPUT, errno,
				"cannot read '%s'", r->name);
		if (err)
			*err = r->failure;
		return r->failure.code;
	}
	if (n == 0) {
		r->eof = 1;
		return 0;
	}
	r->len += (size_t)n;
	progress_add(r->progress, (uint64_t)n);
	return 1;
}

/* Called when in[pos..len) is empty: read the next chunk. */
static int refill(struct csv_reader *r, struct mlops_err *err)
{
	if (r->eof)
		return 0;
	r->pos = 0;
	r->len = 0;
	return read_more(r, err);
}

/* Skip a byte order mark, which needs three bytes in hand to be seen. */
static int skip_bom(struct csv_reader *r, struct mlops_err *err)
{
	int ret;

	r->started = 1;
	while (r->len - r->pos < 3 && !r->eof) {
		ret = read_more(r, err);
		if (ret < 0)
			return ret;
	}
	if (r->len - r->pos >= 3 &&
	    memcmp(r->in + r->pos, "\xEF\xBB\xBF", 3) == 0)
		r->pos += 3;
	return 0;
}

/* The slow path of rec_add: grow the record buffer to hold need bytes. */
static int rec_grow(struct csv_reader *r, size_t need, struct mlops_err *err)
{
	size_t cap;

	if (need > r->max_record)
		return fail(r, err, r->rec_line, "record larger than %zu bytes",
			    r->max_record);
	cap = r->rec_cap ? r->rec_cap : 256;
	while (cap < need)
		cap = cap <= SIZE_MAX / 2 ? cap * 2 : need;
	r->rec = xrealloc(r->rec, cap);
	r->rec_cap = cap;
	return 0;
}

static inline int rec_add(struct csv_reader *r, const char *p, size_t n,
			  struct mlops_err *err)
{
	size_t need = r->rec_len + n;

	if (need > r->rec_cap || need > r->max_record) {
		int ret = rec_grow(r, need, err);

		if (ret < 0)
			return ret;
	}
	memcpy(r->rec + r->rec_len, p, n);
	r->rec_len = need;
	return 0;
}

/* End the current field with its NUL. */
static inline int field_end(struct csv_reader *r, struct mlops_err *err)
{
	return rec_add(r, "", 1, err);
}

/* Begin field n, keeping room for the closing offset off[n + 1]. */
static inline void field_begin(struct csv_reader *r, size_t n)
{
	ALLOC_GROW(r->off, n + 2, r->off_cap);
	r->off[n] = r->rec_len;
}

/* A field ends at c, which is ',', '\n' or '\r' (in[pos]). Returns 1 when
 * that ends the record, 0 when *st says how to go on, or an error. */
static int field_next(struct csv_reader *r, char c, enum csv_state *st,
		      size_t *n, struct mlops_err *err)
{
	int ret = field_end(r, err);

	if (ret < 0)
		return ret;
	r->pos++;
	switch (c) {
	case ',':
		field_begin(r, (*n)++);
		*st = S_FIELD;
		return 0;
	case '\n':
		r->line++;
		return 1;
	default:
		*st = S_CR;
		return 0;
	}
}

int csv_read(struct csv_reader *r, size_t *nfields, char ***fields,
	     struct mlops_err *err)
{
	enum csv_state st = S_RECORD;
	const char *p, *q, *end;
	long quote_line = 0, line;
	size_t n = 0;		/* fields begun */
	size_t i;
	int ret;

	if (r->failure.code) {
		if (err)
			*err = r->failure;
		return r->failure.code;
	}
	r->nfields = 0;
	r->rec_len = 0;
	if (!r->started) {
		ret = skip_bom(r, err);
		if (ret < 0)
			return ret;
	}
	for (;;) {
		if (r->pos == r->len) {
			ret = refill(r, err);
			if (ret < 0)
				return ret;
			if (ret == 0)
				break;
		}
		p = r->in + r->pos;
		end = r->in + r->len;
		switch (st) {
		case S_RECORD:
			if (*p == '\n') {
				r->line++;
				r->pos++;
				break;
			}
			r->rec_line = r->line;
			if (*p == '\r') {	/* a blank line if LF follows */
				r->pos++;
				st = S_CR;
				break;
			}
			field_begin(r, n++);
			st = S_FIELD;
			break;
		case S_FIELD:
			if (*p == '"') {
				quote_line = r->line;
				r->pos++;
				st = S_QUOTED;
				break;
			}
			st = S_UNQUOTED;
			/* fall through */
		case S_UNQUOTED:
			q = p;
			while (q < end && !unquoted_stop[(unsigned char)*q])
				q++;
			ret = q > p ? rec_add(r, p, q - p, err) : 0;
			if (ret < 0)
				return ret;
			r->pos = q - r->in;
			if (q == end)
				break;
			if (*q == '"')
				return fail(r, err, r->line,
					    "stray quote in unquoted field %zu",
					    n);
			if (*q == '\0')
				return fail(r, err, r->line,
					    "NUL byte in field %zu", n);
			ret = field_next(r, *q, &st, &n, err);
			if (ret < 0)
				return ret;
			if (ret == 1)
				goto record;
			break;
		case S_QUOTED:
			q = p;
			for (;;) {
				while (q < end &&
				       !quoted_stop[(unsigned char)*q])
					q++;
				if (q == end || *q != '\n')
					break;
				r->line++;
				q++;
			}
			ret = q > p ? rec_add(r, p, q - p, err) : 0;
			if (ret < 0)
				return ret;
			r->pos = q - r->in;
			if (q == end)
				break;
			if (*q == '\0')
				return fail(r, err, r->line,
					    "NUL byte in field %zu", n);
			r->pos++;
			st = S_QUOTE;
			break;
		case S_QUOTE:
			if (*p == '"') {	/* "" stands for one quote */
				ret = rec_add(r, p, 1, err);
				if (ret < 0)
					return ret;
				r->pos++;
				st = S_QUOTED;
				break;
			}
			if (*p != ',' && *p != '\n' && *p != '\r')
				return fail(r, err, r->line,
					    "text after closing quote "
					    "in field %zu", n);
			ret = field_next(r, *p, &st, &n, err);
			if (ret < 0)
				return ret;
			if (ret == 1)
				goto record;
			break;
		case S_CR:
			if (*p != '\n')
				return fail(r, err, r->line,
					    "carriage return not followed by "
					    "line feed");
			r->pos++;
			r->line++;
			if (n == 0) {	/* it was a blank line */
				st = S_RECORD;
				break;
			}
			goto record;
		}
	}

	/* The end of the input. */
	switch (st) {
	case S_RECORD:
		return 0;
	case S_CR:
		if (n == 0)
			return 0;
		break;
	case S_QUOTED:
		/* Name the last line there is, not the empty one after a
		 * final LF. */
		line = r->line;
		if (r->rec_len > r->off[n - 1] &&
		    r->rec[r->rec_len - 1] == '\n')
			line--;
		return fail(r, err, line,
			    "unterminated quoted field starting at line %ld",
			    quote_line);
	case S_FIELD:
	case S_UNQUOTED:
	case S_QUOTE:
		ret = field_end(r, err);
		if (ret < 0)
			return ret;
		break;
	}

record:
	r->off[n] = r->rec_len;
	ALLOC_GROW(r->fields, n, r->fields_cap);
	for (i = 0; i < n; i++)
		r->fields[i] = r->rec + r->off[i];
	r->nfields = n;
	*nfields = n;
	*fields = r->fields;
	return 1;
}

int csv_read_header(struct csv_reader *r, size_t *ncols, char ***names,
		    struct mlops_err *err)
{
	char **fields;
	size_t n, i;
	int ret;

	ret = csv_read(r, &n, &fields, err);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return mlops_err_set(err, MLOPS_EINPUT, "%s: no header row",
				     r->name);
	free(r->hdr);
	free(r->hdr_names);
	r->hdr = xmalloc(r->rec_len);
	memcpy(r->hdr, r->rec, r->rec_len);
	r->hdr_names = xreallocarray(NULL, n + 1, sizeof(*r->hdr_names));
	for (i = 0; i < n; i++)
		r->hdr_names[i] = r->hdr + r->off[i];
	r->hdr_names[n] = NULL;
	*ncols = n;
	*names = r->hdr_names;
	return 0;
}

int csv_read_row(struct csv_reader *r, size_t ncols, char ***fields,
		 struct mlops_err *err)
{
	size_t n;
	int ret;

	ret = csv_read(r, &n, fields, err);
	if (ret <= 0)
		return ret;
	if (n != ncols)
		return mlops_err_set(err, MLOPS_EINPUT,
				     "%s:%ld: expected %zu fields, found %zu",
				     r->name, r->rec_line, ncols, n);
	return 1;
}

/* Bytes that force quotes anywhere in a field. */
static const unsigned char quote_needed[256] = {
	[','] = 1, ['"'] = 1, ['\r'] = 1, ['\n'] = 1
};

static int needs_quotes(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	if (s[0] == ' ' || s[0] == '\t' || s[len - 1] == ' ' ||
	    s[len - 1] == '\t')
		return 1;
	/* A reader would take a leading byte order mark for the file's. */
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		return 1;
	for (i = 0; i < len; i++)
		if (quote_needed[(unsigned char)s[i]])
			return 1;
	return 0;
}

void csv_write_field(struct buf *out, const char *s, size_t len, int first)
{
	const char *q, *end = s + len;

	if (!first)
		buf_addch(out, ',');
	if (!needs_quotes(s, len)) {
		buf_add(out, s, len);
		return;
	}
	buf_addch(out, '"');
	while ((q = memchr(s, '"', end - s))) {
		buf_add(out, s, q + 1 - s);	/* up to and with the quote */
		buf_addch(out, '"');
		s = q + 1;
	}
	buf_add(out, s, end - s);
	buf_addch(out, '"');
}

void csv_write_record(struct buf *out, size_t n, char *const *fields)
{
	size_t i;

	assert(n > 0);
	if (n == 1 && fields[0][0] == '\0') {
		buf_add(out, "\"\"\n", 3);
		return;
	}
	for (i = 0; i < n; i++)
		csv_write_field(out, fields[i], strlen(fields[i]), i == 0);
	buf_addch(out, '\n');
}

static void fwrite_field(FILE *f, const char *s, size_t len)
{
	const char *q, *end = s + len;

	if (!needs_quotes(s, len)) {
		fwrite(s, 1, len, f);
		return;
	}
	putc('"', f);
	while ((q = memchr(s, '"', end - s))) {
		fwrite(s, 1, q + 1 - s, f);
		putc('"', f);
		s = q + 1;
	}
	fwrite(s, 1, end - s, f);
	putc('"', f);
}

int csv_fwrite_record(FILE *f, size_t n, char *const *fields)
{
	size_t i;

	assert(n > 0);
	if (n == 1 && fields[0][0] == '\0') {
		fputs("\"\"", f);
	} else {
		for (i = 0; i < n; i++) {
			if (i > 0)
				putc(',', f);
			fwrite_field(f, fields[i], strlen(fields[i]));
		}
	}
	putc('\n', f);
	return ferror(f) ? -1 : 0;
}
