/* csv.h - reading and writing RFC 4180 CSV.
 *
 * The reader streams: it reads its fd in 64 KiB chunks and holds one
 * record at a time, so memory is bounded by the largest record (at most
 * the limit set with csv_reader_set_max_record), never by the file.
 *
 * What the reader accepts, where RFC 4180 leaves room or we differ:
 * - Records end with LF or CRLF; the last record may lack either. A CR
 *   outside quotes must be followed by LF (old Mac CR-only files are
 *   rejected rather than read as one long line); inside quotes CR and LF
 *   are data.
 * - Blank lines (nothing at all between two line ends) are skipped, as
 *   Python's csv module does, so a record always has at least one field.
 *   A record made of one empty field must be written as "" (the writer
 *   does so).
 * - A UTF-8 byte order mark at the very start of the input is skipped.
 * - A quote inside an unquoted field, text after a closing quote, a NUL
 *   byte anywhere and an unterminated quoted field are errors; nothing is
 *   guessed. Spaces are data: nothing is trimmed.
 * - Records need not all have the same number of fields; csv_read_row
 *   checks that against the header.
 * Line numbers in messages count physical lines from 1, so a quoted field
 * holding newlines advances them.
 *
 * The writer ends records with LF, not RFC 4180's CRLF: the files are read
 * by Unix tools (cut, awk, diff) far more often than by anything that
 * insists on CRLF, and every CSV reader we know accepts LF. */
#ifndef MLOPS_CSV_H
#define MLOPS_CSV_H
#include <stddef.h>
#include <stdio.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/progress.h"

struct csv_reader;

/* A reader of fd, which stays the caller's (it is not closed). name is
 * copied and used in messages; "-" is shown as "<stdin>". */
struct csv_reader *csv_reader_new(int fd, const char *name);

/* A reader of len bytes at data, which is not copied and must outlive the
 * reader. For tests, fuzzing and input already in memory. */
struct csv_reader *csv_reader_new_mem(const char *data, size_t len,
				      const char *name);

/* Free the reader and everything it lent out; NULL is allowed. */
void csv_reader_free(struct csv_reader *r);

/* Limit the size of one record (the bytes of its fields plus one per
 * field, about its size on disk) to max bytes, MLOPS_MAX_RECORD (16 MiB,
 * bounds.h) by default. A larger record fails with MLOPS_EINPUT. */
void csv_reader_set_max_record(struct csv_reader *r, size_t max);

/* Report the bytes read from the input to p (NULL: to nobody), a chunk
 * at a time. */
void csv_reader_set_progress(struct csv_reader *r, struct progress *p);

/* Read the next record. Returns 1 and sets *nfields (at least 1) and
 * *fields, an array of NUL-terminated fields that stays the reader's and is
 * valid until the next call (the caller may modify the bytes in place);
 * returns 0 at the end of the input; or returns MLOPS_EINPUT with err set
 * to "NAME:LINE: why", for instance
 *   data.csv:12: unterminated quoted field starting at line 10
 *   data.csv:4: stray quote in unquoted field 3
 * An error is final: later calls return it again. */
int csv_read(struct csv_reader *r, size_t *nfields, char ***fields,
	     struct mlops_err *err);

/* The length of field i (< *nfields) of the record last read. */
size_t csv_field_len(const struct csv_reader *r, size_t i);

/* The physical line (from 1) on which the record last read began, for
 * messages such as "data.csv:LINE: column 'age': not a number". */
long csv_record_line(const struct csv_reader *r);

/* The name given when the reader was made ("<stdin>" for "-"). */
const char *csv_reader_name(const struct csv_reader *r);

/* Read the first record as the header. Returns 0 and sets *ncols and
 * *names, which stay the reader's until csv_reader_free (later reads do
 * not disturb them); MLOPS_EINPUT when the input is empty
 * ("data.csv: no header row") or unreadable. */
int csv_read_header(struct csv_reader *r, size_t *ncols, char ***names,
		    struct mlops_err *err);

/* Read the next record, which must have exactly ncols fields
 * ("data.csv:7: expected 5 fields, found 4"). Returns 1 and sets *fields
 * as csv_read does, 0 at the end of the input, or MLOPS_EINPUT. A wrong
 * field count leaves the reader usable, so a caller may report the row
 * and go on; other errors are final. */
int csv_read_row(struct csv_reader *r, size_t ncols, char ***fields,
		 struct mlops_err *err);

/* Append the len bytes at s to out as one field, preceded by a comma
 * unless first is set. The field is quoted only when it must be: when it
 * holds a comma, quote, CR or LF, starts or ends with a space or tab (which
 * other tools trim), or starts with a UTF-8 byte order mark; quotes inside
 * are doubled. A NUL byte is written as is, but no reader will take it. */
void csv_write_field(struct buf *out, const char *s, size_t len, int first);

/* Append the n NUL-terminated fields as one record ending in LF. A record
 * of one empty field is written as "" so that it is not read back as a
 * blank line; n must be at least 1. */
void csv_write_record(struct buf *out, size_t n, char *const *fields);

/* Like csv_write_record, writing to f. Returns 0, or -1 when the stream
 * reports an error; buffered data may fail only at fflush or fclose, which
 * the caller checks as usual. */
int csv_fwrite_record(FILE *f, size_t n, char *const *fields);

#endif
