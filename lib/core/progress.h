/* progress.h - a progress line on a terminal for operations that can
 * take more than a second: what is being done, how much of it (rows,
 * records, objects, or bytes with binary suffixes), the rate, and with a
 * known total the percentage and the time left, redrawn in place:
 *
 *	mlops-feature: ingest churn: 45.2 MiB of 120 MiB, 30.1 MiB/s, 37%, 2s left
 *
 * The command-line frame makes the reporter (cli_progress()) when
 * standard error is a terminal or $MLOPS_PROGRESS asks for it, and hangs
 * it on the store handle (st->progress), as SQLite keeps its progress
 * handler on the connection; library code tells it where its main loop
 * is and never decides whether anything is drawn. Every function here
 * takes a NULL reporter and then does nothing.
 *
 * The workload: progress_add() is called once per row of loops that run
 * millions of times, so it is inline and costs an addition and a
 * comparison. The clock is read only when the count reaches a threshold
 * that adapts to the loop's speed (about every 10 ms), and the line is
 * redrawn at most ten times a second. One reporter serves one thread. */
#ifndef MLOPS_PROGRESS_H
#define MLOPS_PROGRESS_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

enum progress_unit {
	PROGRESS_ROWS,
	PROGRESS_RECORDS,
	PROGRESS_OBJECTS,
	PROGRESS_FILES,
	PROGRESS_BYTES		/* shown as B, KiB, MiB, GiB, TiB */
};

/* Fields past next are progress.c's. */
struct progress {
	uint64_t done;		/* units since progress_start */
	uint64_t next;		/* progress_tick() when done reaches this;
				 * UINT64_MAX between operations */
	uint64_t total;		/* 0: unknown */
	uint64_t step;		/* units between two looks at the clock */
	int64_t start_us, drawn_us, checked_us;
	int64_t (*clock)(void);	/* time_mono_us; tests give a fake */
	enum progress_unit unit;
	int fd;			/* where lines go: a terminal, usually */
	size_t width;		/* columns of the line now on screen */
	char *prefix;		/* "mlops-feature" */
	char what[128];		/* "ingest churn" */
};

/* A reporter drawing on fd, its lines starting "prefix: ". The caller
 * frees it with progress_free(), which clears a line left on screen. */
struct progress *progress_new(int fd, const char *prefix);
void progress_free(struct progress *p);

/* Begin an operation of total units (0 when unknown), named by fmt, and
 * draw its first line. An operation still running is replaced. */
void progress_start(struct progress *p, enum progress_unit unit,
		    uint64_t total, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Look at the clock, and redraw when the last line is 100 ms old. */
void progress_tick(struct progress *p);

/* n more units done. */
static inline void progress_add(struct progress *p, uint64_t n)
{
	if (p && (p->done += n) >= p->next)
		progress_tick(p);
}

/* n more bytes, counted only when the operation counts bytes: for code
 * that runs under several operations (the object store's reads and
 * writes count for an export or a register, not for a check of rows). */
static inline void progress_add_bytes(struct progress *p, uint64_t n)
{
	if (p && p->unit == PROGRESS_BYTES)
		progress_add(p, n);
}

/* The operation has done units in all (a position, for loops that know
 * one rather than a step). */
static inline void progress_set(struct progress *p, uint64_t done)
{
	if (p && (p->done = done) >= p->next)
		progress_tick(p);
}

/* The bytes left to read on fd when it is a regular file, else 0: the
 * total of an operation that reads fd to its end. */
uint64_t progress_fd_total(int fd);

/* The operation is over: its last line stays, ended by a newline, when
 * it took a second or more, and is wiped otherwise. */
void progress_done(struct progress *p);

/* Wipe the line now on screen, if any (before another message goes to
 * the same terminal); the next redraw brings it back. */
void progress_clear(struct progress *p);

/* Append to out the line for the state of p at now_us, without "\r":
 * final gives the last line of an operation. At most 79 columns: the
 * operation's name is cut to fit. */
void progress_format(struct buf *out, const struct progress *p,
		     int64_t now_us, int final);

/* Append n units in few digits: "950", "12.3k", "1.20M"; for bytes
 * "950 B", "12.3 KiB", "1.20 MiB". */
void progress_format_amount(struct buf *out, double n,
			    enum progress_unit unit);
/* Append a duration in whole seconds for people: "9s", "4m05s",
 * "2h07m". */
void progress_format_duration(struct buf *out, int64_t seconds);

#endif
