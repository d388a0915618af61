/* jsonio.h - thin helpers over jansson: load with positioned errors,
 * write one JSON value per line (JSON Lines). */
#ifndef MLOPS_JSONIO_H
#define MLOPS_JSONIO_H
#include <stdio.h>

#include <jansson.h>
#include <sqlite3.h>

#include "core/buf.h"
#include "core/err.h"

/* Parse data as one JSON value; name is used in "name:line:col: why". The
 * caller owns *out. */
int jsonio_parse(json_t **out, const char *data, size_t len,
		 const char *name, struct mlops_err *err);
/* jsonio_parse for data that begins on line first_line of name (one line
 * of a JSON Lines file): errors say name:line:col within the file. */
int jsonio_parse_at(json_t **out, const char *data, size_t len,
		    const char *name, int first_line, struct mlops_err *err);
/* Parse the file at path ("-": stdin), at most max bytes (0: 64 MiB). */
int jsonio_load_file(json_t **out, const char *path, size_t max,
		     struct mlops_err *err);
/* Make jansson allocate through xmalloc, so that its allocation failures
 * end the program (exit 70) as every other one does: jansson answers
 * one with NULL, which json_object_set_new and json_pack callers do not
 * check, and an audit record or a stored document would lose a member
 * silently. Called first by cli_main_or. */
void jsonio_init(void);

/* Append v to out as compact JSON with sorted keys (no newline). jansson
 * fails only when it cannot allocate (it sorts the keys, tracks the
 * containers it is in): that ends through xalloc_die, never in a short
 * or empty text taken for v. */
void jsonio_append(struct buf *out, const json_t *v);
/* Append v to out as output for people and scripts: compact, keys in
 * the object's order, and each real in the shortest form that reads back
 * as the same double (9.779, not 9.7789999999999999). */
void jsonio_format(struct buf *out, const json_t *v);
/* Write v as jsonio_format does, and a newline, to f: one line of JSON
 * Lines, which is what --json prints everywhere. 0, or -1 on a write
 * error. */
int jsonio_print(FILE *f, const json_t *v);
/* Step the prepared query q to its end and set *out (the caller's) to
 * an array of row(q) for each row; finalizes q in every case. A step
 * error is "what: SQLite's message". */
int jsonio_rows(json_t **out, sqlite3_stmt *q, json_t *(*row)(sqlite3_stmt *q),
		const char *what, struct mlops_err *err);

/* The string under key, or NULL when absent or not a string. */
const char *jsonio_str(const json_t *obj, const char *key);

#endif
