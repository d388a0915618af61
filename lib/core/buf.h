/* buf.h - a growable byte string.
 *
 * Invariants: s is never NULL and always NUL-terminated; the content may
 * hold NUL bytes; cap is 0 while s points at the shared empty string.
 * Appends may move s, so never keep a pointer into it across an append. */
#ifndef MLOPS_BUF_H
#define MLOPS_BUF_H
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "core/err.h"

extern char buf_empty[];

struct buf {
	char *s;
	size_t len;	/* bytes used, not counting the NUL */
	size_t cap;	/* bytes allocated */
};

#define BUF_INIT { buf_empty, 0, 0 }

void buf_init(struct buf *b);
/* Make room for at least n more bytes. */
void buf_grow(struct buf *b, size_t n);
void buf_add(struct buf *b, const void *data, size_t n);
void buf_addstr(struct buf *b, const char *s);
void buf_addch(struct buf *b, int c);
void buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap);
/* Shorten to len bytes (len <= b->len). */
void buf_setlen(struct buf *b, size_t len);
#define buf_reset(b) buf_setlen((b), 0)
/* Free the content and leave b as BUF_INIT. */
void buf_release(struct buf *b);
/* Hand the content to the caller, who frees it; b becomes BUF_INIT. */
char *buf_detach(struct buf *b, size_t *len);

/* Append everything readable from fd, at most max bytes (0: no limit);
 * more than max is MLOPS_EINPUT naming what, which names the source. */
int buf_read_fd(struct buf *b, int fd, size_t max, const char *what,
		struct mlops_err *err);
/* Append the whole file at path (at most max bytes, 0: no limit). */
int buf_read_file(struct buf *b, const char *path, size_t max,
		  struct mlops_err *err);
/* Read the next line of f into b, replacing what b held, without its
 * '\n': 1 when a line was read, 0 at the end of f. A line longer than
 * max bytes is MLOPS_EINPUT, found without reading more of it than that;
 * a read error is MLOPS_EINPUT too. */
int buf_getline(struct buf *b, FILE *f, size_t max, struct mlops_err *err);

#endif
