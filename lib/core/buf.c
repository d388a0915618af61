/* buf.c - growable byte strings; see buf.h for the invariants. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/fs.h"
#include "core/xalloc.h"

char buf_empty[1];

void buf_init(struct buf *b)
{
	b->s = buf_empty;
	b->len = 0;
	b->cap = 0;
}

void buf_grow(struct buf *b, size_t n)
{
	size_t need, cap;

	if (n > SIZE_MAX - b->len - 1)
		xalloc_die("buffer size overflow");
	need = b->len + n + 1;
	if (need <= b->cap)
		return;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap < (1u << 30) ? cap * 2 : cap + (1u << 30);
	if (b->cap == 0) {
		b->s = xmalloc(cap);
		b->s[0] = '\0';
	} else {
		b->s = xrealloc(b->s, cap);
	}
	b->cap = cap;
}

void buf_add(struct buf *b, const void *data, size_t n)
{
	if (n == 0)
		return;
	buf_grow(b, n);
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, int c)
{
	buf_grow(b, 1);
	b->s[b->len++] = (char)c;
	b->s[b->len] = '\0';
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n <= 0)
		return;
	buf_grow(b, (size_t)n);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

void buf_setlen(struct buf *b, size_t len)
{
	if (b->cap == 0)
		return;
	b->len = len;
	b->s[len] = '\0';
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->s);
	buf_init(b);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *s = b->cap ? b->s : xstrdup("");

	if (len)
		*len = b->len;
	buf_init(b);
	return s;
}

int buf_read_fd(struct buf *b, int fd, size_t max, const char *what,
		struct mlops_err *err)
{
	size_t start = b->len;

	for (;;) {
		ssize_t n;

		buf_grow(b, 65536);
		n = read(fd, b->s + b->len, b->cap - b->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			buf_setlen(b, start);
			return mlops_err_errno(err, MLOPS_EINPUT, errno,
					       "cannot read '%s'", what);
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		b->s[b->len] = '\0';
		if (max && b->len - start > max) {
			buf_setlen(b, start);
			return mlops_err_set(err, MLOPS_EINPUT,
					     "'%s' is larger than %zu bytes",
					     what, max);
		}
	}
	return 0;
}

int buf_read_file(struct buf *b, const char *path, size_t max,
		  struct mlops_err *err)
{
	int fd = fs_open_input(path, err);
	int ret;

	if (fd < 0)
		return fd;
	ret = buf_read_fd(b, fd, max, path, err);
	close(fd);
	return ret;
}

int buf_getline(struct buf *b, FILE *f, size_t max, struct mlops_err *err)
{
	int c = EOF;

	buf_reset(b);
	while ((c = getc_unlocked(f)) != EOF && c != '\n') {
		if (b->len >= max) {
			buf_reset(b);
			return mlops_err_set(err, MLOPS_EINPUT, "a line longer "
					     "than %zu bytes", max);
		}
		if (b->len + 1 >= b->cap)
			buf_grow(b, b->cap ? b->cap : 256);
		b->s[b->len++] = (char)c;
	}
	if (b->cap)
		b->s[b->len] = '\0';
	if (ferror(f))
		return mlops_err_errno(err, MLOPS_EINPUT, errno,
				       "cannot read a line");
	return c != EOF || b->len > 0;
}
