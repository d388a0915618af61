/* progress.c - the progress line of long operations; see progress.h.
 * Drawing is one write(2) of "\r" and the line, padded with spaces over
 * the longer line it replaces; a failed write is ignored, as a progress
 * line is never worth failing a command for. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/progress.h"
#include "core/time.h"
#include "core/xalloc.h"

#define REDRAW_US (TIME_US_PER_SEC / 10)
/* Look at the clock about this often: the step doubles when looks come
 * faster, halves when they come slower. */
#define CHECK_MIN_US 5000
#define CHECK_MAX_US 20000
#define LINE_MAX_COLS 79

struct progress *progress_new(int fd, const char *prefix)
{
	struct progress *p = xcalloc(1, sizeof(*p));

	p->fd = fd;
	p->prefix = xstrdup(prefix);
	p->clock = time_mono_us;
	p->next = UINT64_MAX;
	return p;
}

static void put(const struct progress *p, const char *s, size_t len)
{
	while (len > 0) {
		ssize_t n = write(p->fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		s += n;
		len -= (size_t)n;
	}
}

/* Draw line over the one on screen; end is what follows it ("", "\n",
 * or a wipe). */
static void draw(struct progress *p, const struct buf *line, int newline)
{
	struct buf out = BUF_INIT;

	buf_addch(&out, '\r');
	buf_add(&out, line->s, line->len);
	for (size_t i = line->len; i < p->width; i++)
		buf_addch(&out, ' ');
	if (newline) {
		buf_addch(&out, '\n');
		p->width = 0;
	} else {
		p->width = line->len;
	}
	put(p, out.s, out.len);
	buf_release(&out);
}

void progress_clear(struct progress *p)
{
	struct buf out = BUF_INIT;

	if (!p || p->width == 0)
		return;
	buf_addch(&out, '\r');
	for (size_t i = 0; i < p->width; i++)
		buf_addch(&out, ' ');
	buf_addch(&out, '\r');
	put(p, out.s, out.len);
	buf_release(&out);
	p->width = 0;
	p->drawn_us = 0;	/* redraw at the next look at the clock */
}

void progress_free(struct progress *p)
{
	if (!p)
		return;
	progress_clear(p);
	free(p->prefix);
	free(p);
}

static void redraw(struct progress *p, int64_t now, int final)
{
	struct buf line = BUF_INIT;

	progress_format(&line, p, now, final);
	draw(p, &line, 0);
	buf_release(&line);
	p->drawn_us = now;
}

void progress_start(struct progress *p, enum progress_unit unit,
		    uint64_t total, const char *fmt, ...)
{
	va_list ap;

	if (!p)
		return;
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	p->unit = unit;
	p->total = total;
	p->done = 0;
	p->step = 1;
	p->next = 1;
	p->start_us = p->checked_us = p->clock();
	redraw(p, p->start_us, 0);
}

void progress_tick(struct progress *p)
{
	int64_t now = p->clock(), since = now - p->checked_us;

	if (since < CHECK_MIN_US && p->step < UINT64_MAX / 4)
		p->step *= 2;
	else if (since > CHECK_MAX_US && p->step > 1)
		p->step /= 2;
	p->checked_us = now;
	p->next = p->done + p->step;
	if (p->next < p->done)	/* wrapped */
		p->next = UINT64_MAX;
	if (now - p->drawn_us >= REDRAW_US)
		redraw(p, now, 0);
}

uint64_t progress_fd_total(int fd)
{
	struct stat sb;
	off_t at;

	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode))
		return 0;
	at = lseek(fd, 0, SEEK_CUR);
	return at >= 0 && at < sb.st_size ? (uint64_t)(sb.st_size - at) : 0;
}

void progress_done(struct progress *p)
{
	int64_t now;

	if (!p || p->next == UINT64_MAX)
		return;
	now = p->clock();
	p->next = UINT64_MAX;
	redraw(p, now, 1);
	if (now - p->start_us >= TIME_US_PER_SEC) {
		put(p, "\n", 1);
		p->width = 0;
	} else {
		progress_clear(p);
	}
}

static const char *unit_name(enum progress_unit unit)
{
	static const char *const names[] = {
		[PROGRESS_ROWS] = "rows", [PROGRESS_RECORDS] = "records",
		[PROGRESS_OBJECTS] = "objects", [PROGRESS_FILES] = "files",
		[PROGRESS_BYTES] = "bytes"
	};

	return names[unit];
}

void progress_format_amount(struct buf *out, double n,
			    enum progress_unit unit)
{
	static const char *const counts[] = { "", "k", "M", "G", "T", "P" };
	static const char *const bytes[] = { " B", " KiB", " MiB", " GiB",
					     " TiB", " PiB" };
	double base = unit == PROGRESS_BYTES ? 1024 : 1000;
	const char *const *suffix = unit == PROGRESS_BYTES ? bytes : counts;
	size_t i = 0;

	/* Scale down while the number would need a fourth digit once
	 * rounded, so 999.7 becomes "1.00k", never "1000". */
	while (i + 1 < sizeof(counts) / sizeof(*counts) && n >= 999.5) {
		n /= base;
		i++;
	}
	if (i == 0)
		buf_addf(out, "%.0f%s", n, suffix[0]);
	else
		buf_addf(out, "%.*f%s", n < 9.995 ? 2 : n < 99.95 ? 1 : 0, n,
			 suffix[i]);
}

void progress_format_duration(struct buf *out, int64_t s)
{
	if (s < 60)
		buf_addf(out, "%llds", (long long)s);
	else if (s < 3600)
		buf_addf(out, "%lldm%02llds", (long long)(s / 60),
			 (long long)(s % 60));
	else
		buf_addf(out, "%lldh%02lldm", (long long)(s / 3600),
			 (long long)(s / 60 % 60));
}

/* "45.2 MiB of 120 MiB, 30.1 MiB/s, 37%, 2s left" */
static void add_figures(struct buf *out, const struct progress *p,
			int64_t now, int final)
{
	int64_t elapsed = now - p->start_us;
	int bytes = p->unit == PROGRESS_BYTES;
	double rate = elapsed > 0 ?
		(double)p->done * TIME_US_PER_SEC / (double)elapsed : 0;

	progress_format_amount(out, (double)p->done, p->unit);
	if (p->total && !final) {
		buf_addstr(out, " of ");
		progress_format_amount(out, (double)p->total, p->unit);
	}
	if (!bytes)
		buf_addf(out, " %s", unit_name(p->unit));
	if (elapsed > 0) {
		buf_addstr(out, ", ");
		progress_format_amount(out, rate, p->unit);
		if (bytes)
			buf_addstr(out, "/s");
		else
			buf_addf(out, " %s/s", unit_name(p->unit));
	}
	if (final) {
		buf_addstr(out, ", done");
		return;
	}
	if (p->total && p->done <= p->total) {
		buf_addf(out, ", %d%%",
			 (int)((double)p->done * 100 / (double)p->total));
		if (rate > 0 && p->done > 0) {
			buf_addstr(out, ", ");
			progress_format_duration(out, (int64_t)
				((double)(p->total - p->done) / rate + 0.5));
			buf_addstr(out, " left");
		}
	}
}

void progress_format(struct buf *out, const struct progress *p,
		     int64_t now_us, int final)
{
	struct buf figures = BUF_INIT;
	size_t head = strlen(p->prefix) + 4, room, what = strlen(p->what);

	add_figures(&figures, p, now_us, final);
	/* The name gives way: the figures are what the line is for. */
	room = head + figures.len < LINE_MAX_COLS ?
		LINE_MAX_COLS - head - figures.len : 0;
	if (what > room)
		what = room;
	buf_addf(out, "%s: %.*s: %s", p->prefix, (int)what, p->what,
		 figures.s);
	buf_release(&figures);
}
