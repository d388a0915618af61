/* capture_each.c - reading data capture back (deploy_capture_each_of):
 * the walk over the YYYY/MM/DD/HH directories in time order, and the
 * records of each file, handed to the caller's function in file order.
 *
 * Parsing a record's JSON is most of the work of a monitoring run over
 * captured traffic (an hour at 1,000 requests a second is 3.6 million
 * records), so lines are parsed in batches by every processor: the
 * calling thread reads batches and hands the oldest one, once parsed, to
 * the function; the other threads, and the calling one when it has
 * nothing else to do, parse the batches read. Only the calling thread
 * ever calls the function, in the order of the lines. A batch's records
 * are released by the thread that parsed them: glibc's malloc, given
 * back memory another thread took, spent more time than the parse
 * saved. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "deploy/deploy.h"
#include "core/fs.h"
#include "core/time.h"
#include "core/xalloc.h"

/* Lines a batch holds at most, and batches. */
#define BATCH_LINES 512
#define NBATCHES 8
/* Threads that parse besides the calling one, at most. */
#define PARSERS_MAX 8
/* The calling thread, as a batch's parser. */
#define CALLER 0

/* A line parsed: its record (NULL when the line is not one) and time. */
struct parsed {
	json_t *rec;
	int64_t t;
};

struct batch {
	enum {
		EMPTY,   /* free to read into */
		READ,    /* lines to parse */
		PARSING,
		PARSED,  /* records to hand over */
		SPENT    /* handed over: records for the parser to release */
	} state;
	unsigned parser; /* CALLER, or parser thread 1, 2... */
	char *text;      /* the lines, one after another */
	size_t len, cap;
	size_t start[BATCH_LINES + 1]; /* line i: text[start[i]..start[i+1]) */
	size_t nlines;
	size_t first_lineno;
	struct parsed out[BATCH_LINES];
};

struct capture_walk {
	int64_t since_us, until_us;
	int which;
	int (*fn)(json_t *record, void *arg);
	void *arg;
	struct mlops_err *err;
	int stopped;
	/* The parsers: started with the first file of more than a batch. */
	pthread_mutex_t mu;
	pthread_cond_t caller_cv, parser_cv;
	unsigned caller_waits, parsers_waiting;
	struct batch batch[NBATCHES];
	size_t oldest, nbatches; /* batches from oldest on, in line order */
	pthread_t tid[PARSERS_MAX];
	unsigned nthreads;
	int quit;
};

struct parser {
	struct capture_walk *w;
	unsigned id;
};

/* Sorted visible entries of dir (NULL-safe scandir wrapper). */
static int list_dir(const char *dir, struct dirent ***out)
{
	int n = scandir(dir, out, NULL, alphasort);

	if (n < 0)
		*out = NULL;
	return n < 0 ? 0 : n;
}

/* The record on the line at s (len bytes) and its time, or NULL. */
static json_t *record_of(const char *s, size_t len, int64_t *t)
{
	json_error_t jerr;
	json_t *rec = json_loadb(s, len, 0, &jerr);
	const char *when = NULL;

	if (rec && (json_unpack(rec, "{s:{s:s}}", "eventMetadata",
				"inferenceTime", &when) < 0 ||
		    !when || time_parse(when, t, NULL) < 0)) {
		json_decref(rec);
		rec = NULL;
	}
	return rec;
}

int deploy_capture_each_line_time(const char *s, size_t len, int64_t *t)
{
	json_t *rec = record_of(s, len, t);

	json_decref(rec);
	return rec ? 0 : -1;
}

static void parse_batch(struct batch *b)
{
	for (size_t i = 0; i < b->nlines; i++)
		b->out[i].rec = record_of(b->text + b->start[i],
					  b->start[i + 1] - b->start[i],
					  &b->out[i].t);
}

static void release_batch(struct batch *b)
{
	for (size_t i = 0; i < b->nlines; i++)
		json_decref(b->out[i].rec);
	b->state = EMPTY;
}

/* A batch read and not yet parsed, under w->mu; NULL when none. */
static struct batch *batch_to_parse(struct capture_walk *w)
{
	for (size_t k = 0; k < w->nbatches; k++) {
		struct batch *b = &w->batch[(w->oldest + k) % NBATCHES];

		if (b->state == READ)
			return b;
	}
	return NULL;
}

/* Parse b as parser id, under w->mu (released meanwhile). */
static void parse_as(struct capture_walk *w, struct batch *b, unsigned id)
{
	b->state = PARSING;
	b->parser = id;
	pthread_mutex_unlock(&w->mu);
	parse_batch(b);
	pthread_mutex_lock(&w->mu);
	b->state = PARSED;
}

static void wake_caller(struct capture_walk *w)
{
	if (w->caller_waits)
		pthread_cond_signal(&w->caller_cv);
}

static void wake_parsers(struct capture_walk *w)
{
	if (w->parsers_waiting)
		pthread_cond_broadcast(&w->parser_cv);
}

/* A parser thread: release the records of its batches once handed
 * over, parse batches read, until told to quit. */
static void *parser_main(void *arg)
{
	struct parser *me = arg;
	struct capture_walk *w = me->w;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		struct batch *b = NULL;

		for (int i = 0; i < NBATCHES && !b; i++)
			if (w->batch[i].state == SPENT &&
			    w->batch[i].parser == me->id)
				b = &w->batch[i];
		if (b) {
			pthread_mutex_unlock(&w->mu);
			release_batch(b);
			pthread_mutex_lock(&w->mu);
			wake_caller(w);
		} else if ((b = batch_to_parse(w))) {
			parse_as(w, b, me->id);
			wake_caller(w);
		} else if (w->quit) {
			break;
		} else {
			w->parsers_waiting++;
			pthread_cond_wait(&w->parser_cv, &w->mu);
			w->parsers_waiting--;
		}
	}
	pthread_mutex_unlock(&w->mu);
	free(me);
	return NULL;
}

static void parsers_start(struct capture_walk *w)
{
	long online = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned want = online > 1 ? (unsigned)online - 1 : 0;

	if (want > PARSERS_MAX)
		want = PARSERS_MAX;
	for (w->nthreads = 0; w->nthreads < want; w->nthreads++) {
		struct parser *p = xmalloc(sizeof(*p));

		p->w = w;
		p->id = w->nthreads + 1;
		if (pthread_create(&w->tid[w->nthreads], NULL, parser_main,
				   p) != 0) {
			free(p);
			break;
		}
	}
}

static void parsers_stop(struct capture_walk *w)
{
	pthread_mutex_lock(&w->mu);
	w->quit = 1;
	pthread_cond_broadcast(&w->parser_cv);
	pthread_mutex_unlock(&w->mu);
	for (unsigned t = 0; t < w->nthreads; t++)
		pthread_join(w->tid[t], NULL);
	for (int i = 0; i < NBATCHES; i++)
		free(w->batch[i].text);
}

/* Read up to BATCH_LINES lines of f into b; the number read. */
static size_t read_batch(struct batch *b, FILE *f, char **line, size_t *cap,
			 size_t first_lineno)
{
	ssize_t n;

	b->len = 0;
	b->nlines = 0;
	b->first_lineno = first_lineno;
	while (b->nlines < BATCH_LINES && (n = getline(line, cap, f)) > 0) {
		ALLOC_GROW(b->text, b->len + (size_t)n, b->cap);
		memcpy(b->text + b->len, *line, (size_t)n);
		b->start[b->nlines++] = b->len;
		b->len += (size_t)n;
	}
	b->start[b->nlines] = b->len;
	return b->nlines;
}

/* Hand the records of the parsed batch b to the function in order: 0,
 * or an error for a line that is not a record. From the first error or
 * the function's stop on, records are only passed over. */
static int hand_over(struct capture_walk *w, struct batch *b,
		     const char *path, struct mlops_err *err)
{
	for (size_t i = 0; i < b->nlines; i++) {
		struct parsed *p = &b->out[i];

		if (w->stopped)
			return 0;
		if (!p->rec)
			return mlops_err_set(err, MLOPS_EINPUT,
					     "%s:%zu: not a capture record",
					     path, b->first_lineno + i);
		if (p->t >= w->since_us && p->t < w->until_us &&
		    w->fn(p->rec, w->arg))
			w->stopped = 1;
	}
	return 0;
}

static int read_file_records(struct capture_walk *w, const char *path,
			     struct mlops_err *err)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0, lineno = 1;
	int ret = 0, eof = 0;

	if (!f)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot open %s", path);
	pthread_mutex_lock(&w->mu);
	while (w->nbatches > 0 || !eof) {
		struct batch *old = &w->batch[w->oldest];
		struct batch *next = &w->batch[(w->oldest + w->nbatches) %
					       NBATCHES];

		if (w->nbatches > 0 && old->state == PARSED) {
			pthread_mutex_unlock(&w->mu);
			if (ret == 0)
				ret = hand_over(w, old, path, err);
			if (old->parser == CALLER)
				release_batch(old);
			pthread_mutex_lock(&w->mu);
			if (old->parser != CALLER) {
				old->state = SPENT;
				wake_parsers(w);
			}
			w->oldest = (w->oldest + 1) % NBATCHES;
			w->nbatches--;
			/* Read no further once the records are not wanted. */
			eof |= ret < 0 || w->stopped;
		} else if (!eof && w->nbatches < NBATCHES &&
			   next->state == EMPTY) {
			size_t n;

			pthread_mutex_unlock(&w->mu);
			n = read_batch(next, f, &line, &cap, lineno);
			lineno += n;
			if (n == BATCH_LINES && w->nthreads == 0)
				parsers_start(w);
			pthread_mutex_lock(&w->mu);
			eof = n < BATCH_LINES;
			if (n > 0) {
				next->state = READ;
				w->nbatches++;
				wake_parsers(w);
			}
		} else if ((next = batch_to_parse(w))) {
			parse_as(w, next, CALLER);
		} else {
			w->caller_waits++;
			pthread_cond_wait(&w->caller_cv, &w->mu);
			w->caller_waits--;
		}
	}
	pthread_mutex_unlock(&w->mu);
	free(line);
	fclose(f);
	return ret;
}

/* deploy_capture_each_file below dir, depth 0 being the year: the
 * YYYY/MM/DD/HH levels, tm_parts holding the levels above. */
static int walk_level(const char *dir, int depth, int *tm_parts,
		      int64_t since_us, int64_t until_us,
		      int (*fn)(const char *dir, const char *name, void *arg),
		      void *arg)
{
	struct dirent **ents;
	int n = list_dir(dir, &ents), ret = 0;

	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;

		if (ret != 0 || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0) {
			/* done, or not an entry */
		} else if (depth == 4) {
			ret = fn(dir, name, arg);
		} else {
			char *end;
			long v = strtol(name, &end, 10);
			int keep = *end == '\0' && end != name;

			tm_parts[depth] = (int)v;
			if (keep && depth == 3) {
				struct tm tm = { 0 };
				int64_t start;

				tm.tm_year = tm_parts[0] - 1900;
				tm.tm_mon = tm_parts[1] - 1;
				tm.tm_mday = tm_parts[2];
				tm.tm_hour = tm_parts[3];
				start = (int64_t)timegm(&tm) * TIME_US_PER_SEC;
				keep = start < until_us && start +
					3600 * TIME_US_PER_SEC > since_us;
			}
			if (keep) {
				char *path = fs_path_join(dir, name);

				ret = walk_level(path, depth + 1, tm_parts,
						 since_us, until_us, fn, arg);
				free(path);
			}
		}
		free(ents[i]);
	}
	free(ents);
	return ret;
}

int deploy_capture_each_file(const char *top, int64_t since_us,
			     int64_t until_us,
			     int (*fn)(const char *dir, const char *name,
				       void *arg),
			     void *arg)
{
	int tm_parts[4] = { 0 };

	return walk_level(top, 0, tm_parts, since_us, until_us, fn, arg);
}

/* The records of the file name in dir, if it is a complete capture file
 * of the side the walk w reads: 0 to go on, 1 when the function
 * stopped, or an error. */
static int read_file(const char *dir, const char *name, void *arg)
{
	struct capture_walk *w = arg;
	size_t len = strlen(name);
	int shadow = len > 13 && strcmp(name + len - 13, ".shadow.jsonl") == 0;
	char *path;
	int ret;

	if (name[0] == '.' || len <= 6 ||
	    strcmp(name + len - 6, ".jsonl") != 0 ||
	    !(w->which & (shadow ? DEPLOY_CAPTURE_SHADOW
				 : DEPLOY_CAPTURE_PRODUCTION)))
		return 0; /* in progress, or not wanted */
	path = fs_path_join(dir, name);
	ret = read_file_records(w, path, w->err);
	free(path);
	return ret < 0 ? ret : w->stopped;
}

int deploy_capture_each(const char *dir, const char *endpoint, int64_t since_us,
		 int64_t until_us, int (*fn)(json_t *record, void *arg),
		 void *arg, struct mlops_err *err)
{
	return deploy_capture_each_of(dir, endpoint, DEPLOY_CAPTURE_PRODUCTION,
				      since_us, until_us, fn, arg, err);
}

int deploy_capture_each_of(const char *dir, const char *endpoint, int which,
		    int64_t since_us, int64_t until_us,
		    int (*fn)(json_t *record, void *arg), void *arg,
		    struct mlops_err *err)
{
	/* On the heap: the batches are some 100 KB. */
	struct capture_walk *w = xcalloc(1, sizeof(*w));
	char *top = fs_path_join(dir, endpoint);
	int ret;

	w->since_us = since_us;
	w->until_us = until_us;
	w->which = which;
	w->fn = fn;
	w->arg = arg;
	w->err = err;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->caller_cv, NULL);
	pthread_cond_init(&w->parser_cv, NULL);
	ret = deploy_capture_each_file(top, since_us, until_us, read_file, w);
	if (ret > 0)
		ret = 0; /* the function stopped the walk */
	parsers_stop(w);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->caller_cv);
	pthread_cond_destroy(&w->parser_cv);
	free(w);
	free(top);
	return ret;
}
