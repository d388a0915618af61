/* capture.c - the data capture writer (see deploy.h; capture_each.c
 * reads captures back).
 *
 * The queue is Vyukov's bounded multi-producer queue: a producer claims a
 * slot with one compare-and-swap and publishes it with a release store;
 * the single consumer needs no atomic read-modify-write at all. When it
 * finds the queue empty, the writer sleeps 2 ms: capture is never urgent,
 * and producers then never have to wake anybody (no syscall, no lock).
 *
 * A file holds whole records only: records are gathered in a buffer and
 * written at offsets past the last whole one, so that a failed or short
 * write is cut off again (ftruncate) and its records counted as dropped;
 * a file whose completion fails (its fsync or rename) is removed, its
 * records dropped, rather than shown to readers half written. A file
 * that cannot be cut back is given up the same way. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "deploy/deploy.h"
#include "core/fs.h"
#include "core/id.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/xalloc.h"

#define FILE_IDLE_US	(1 * TIME_US_PER_SEC)
#define FILE_AGE_US	(30 * TIME_US_PER_SEC)
#define FILE_MAX_BYTES	((size_t)64 << 20)
#define FLUSH_BYTES	((size_t)64 << 10)

struct record {
	int64_t time_us;
	size_t size;		/* of the allocation, for queued_bytes */
	size_t in_len, out_len;
	int shadow;
	char event_id[ID_UUID_LEN];	/* "": the writer makes one */
	char *endpoint, *variant, *inference_id, *in_type, *out_type, *in,
	     *out;			/* into data[] */
	char data[];
};

struct slot {
	atomic_size_t seq;
	struct record *rec;
};

struct cap_file {
	char *endpoint, *variant;
	int shadow;
	int64_t hour;		/* time_us / 3600 s of the records */
	int fd;			/* -1: no file open */
	char *part, *final;
	int64_t opened_us, last_us;
	size_t bytes;		/* written and pending */
	off_t whole;		/* bytes of the file holding whole records */
	size_t records;		/* whole records in the file */
	struct buf pend;	/* whole records not yet written */
	size_t pend_records;
};

struct deploy_capture {
	char *dir;
	struct slot *slots;
	size_t mask;
	atomic_size_t head;	/* next slot producers claim */
	size_t tail;		/* next slot the writer reads */
	atomic_size_t queued_bytes;	/* held by queued records */
	size_t max_bytes;
	atomic_int stop;
	int finished;		/* the writer thread has ended */
	atomic_uint_fast64_t written, dropped;
	pthread_t thread;
	/* Failures to write files, and what the last one was. */
	atomic_uint_fast64_t failures;
	pthread_mutex_t failure_mu;
	char failure[512];
	struct cap_file *files;
	size_t nfiles, files_cap;
	struct buf line;	/* the writer's line buffer */
};

int deploy_capture_inference_id_valid(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > DEPLOY_INFERENCE_ID_MAX || id[0] == ' ')
		return 0;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)id[i] < 0x20 || (unsigned char)id[i] > 0x7e)
			return 0;
	return 1;
}

int deploy_capture_submit(struct deploy_capture *c,
			  const struct deploy_capture_meta *m,
			  const char *in_type, const void *in, size_t in_len,
			  const char *out_type, const void *out,
			  size_t out_len)
{
	const char *inference_id = m->inference_id ? m->inference_id : "";
	size_t ne = strlen(m->endpoint) + 1, nv = strlen(m->variant) + 1,
	       nit = strlen(in_type) + 1, not = strlen(out_type) + 1,
	       ni = strlen(inference_id) + 1;
	size_t pos = atomic_load_explicit(&c->head, memory_order_relaxed);
	struct slot *s;
	size_t size = sizeof(struct record) + ne + nv + ni + nit + not +
		      in_len + out_len + 2;
	struct record *r;

	if (atomic_fetch_add_explicit(&c->queued_bytes, size,
				      memory_order_relaxed) + size >
	    c->max_bytes) {
		atomic_fetch_sub_explicit(&c->queued_bytes, size,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&c->dropped, 1,
					  memory_order_relaxed);
		return -1;
	}
	for (;;) {
		s = &c->slots[pos & c->mask];
		size_t seq = atomic_load_explicit(&s->seq,
						  memory_order_acquire);
		intptr_t diff = (intptr_t)seq - (intptr_t)pos;

		if (diff == 0) {
			if (atomic_compare_exchange_weak_explicit(&c->head,
			    &pos, pos + 1, memory_order_relaxed,
			    memory_order_relaxed))
				break;
		} else if (diff < 0) {
			atomic_fetch_sub_explicit(&c->queued_bytes, size,
						  memory_order_relaxed);
			atomic_fetch_add_explicit(&c->dropped, 1,
						  memory_order_relaxed);
			return -1;
		} else {
			pos = atomic_load_explicit(&c->head,
						   memory_order_relaxed);
		}
	}
	r = xmalloc(size);
	r->size = size;
	r->time_us = m->time_us;
	r->in_len = in_len;
	r->out_len = out_len;
	r->shadow = m->shadow;
	snprintf(r->event_id, sizeof(r->event_id), "%s",
		 m->event_id ? m->event_id : "");
	r->endpoint = r->data;
	r->variant = r->endpoint + ne;
	r->inference_id = r->variant + nv;
	r->in_type = r->inference_id + ni;
	r->out_type = r->in_type + nit;
	r->in = r->out_type + not;
	r->out = r->in + in_len + 1;
	memcpy(r->endpoint, m->endpoint, ne);
	memcpy(r->variant, m->variant, nv);
	memcpy(r->inference_id, inference_id, ni);
	memcpy(r->in_type, in_type, nit);
	memcpy(r->out_type, out_type, not);
	memcpy(r->in, in, in_len);
	r->in[in_len] = '\0';
	memcpy(r->out, out, out_len);
	r->out[out_len] = '\0';
	s->rec = r;
	atomic_store_explicit(&s->seq, pos + 1, memory_order_release);
	return 0;
}

static struct record *queue_pop(struct deploy_capture *c)
{
	struct slot *s = &c->slots[c->tail & c->mask];
	size_t seq = atomic_load_explicit(&s->seq, memory_order_acquire);
	struct record *r;

	if (seq != c->tail + 1)
		return NULL;
	r = s->rec;
	atomic_store_explicit(&s->seq, c->tail + c->mask + 1,
			      memory_order_release);
	c->tail++;
	return r;
}

/* Append data as the body of a JSON string (no quotes). */
static void json_escape(struct buf *out, const char *data, size_t len)
{
	static const char hex[] = "0123456789abcdef";

	buf_grow(out, len + 16);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)data[i];

		if (c == '"' || c == '\\') {
			buf_addch(out, '\\');
			buf_addch(out, c);
		} else if (c == '\n') {
			buf_add(out, "\\n", 2);
		} else if (c == '\r') {
			buf_add(out, "\\r", 2);
		} else if (c == '\t') {
			buf_add(out, "\\t", 2);
		} else if (c < 0x20) {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4],
				      hex[c & 15] };

			buf_add(out, u, 6);
		} else {
			buf_addch(out, c);
		}
	}
}

/* One side of captureData: CSV and JSON stay readable text (when they
 * are valid UTF-8); anything else is base64. */
static void capture_side(struct buf *out, const char *type,
			 const char *data, size_t len, const char *mode)
{
	const char *encoding = NULL;

	if (strncmp(type, "text/csv", 8) == 0)
		encoding = "CSV";
	else if (strncmp(type, "application/json", 16) == 0)
		encoding = "JSON";	/* also application/jsonlines */
	if (encoding && !utf8_valid(data, len))
		encoding = NULL;
	buf_addstr(out, "{\"observedContentType\":\"");
	json_escape(out, type, strlen(type));
	buf_addf(out, "\",\"mode\":\"%s\",\"data\":\"", mode);
	if (!encoding) {
		size_t n = 4 * ((len + 2) / 3);

		buf_grow(out, n + 1);
		EVP_EncodeBlock((unsigned char *)out->s + out->len,
				(const unsigned char *)data, (int)len);
		out->len += n;
		out->s[out->len] = '\0';
	} else {
		json_escape(out, data, len);
	}
	buf_addf(out, "\",\"encoding\":\"%s\"}",
		 encoding ? encoding : "BASE64");
}

/* The record's JSON line, keys in SageMaker's order, into line. */
static void record_line(const struct record *r, struct buf *line)
{
	char uuid[ID_UUID_LEN], when[TIME_RFC3339_MAX];

	if (r->event_id[0])
		memcpy(uuid, r->event_id, sizeof(uuid));
	else
		id_uuid4_fast(uuid);
	time_format_ms(r->time_us, when);
	buf_reset(line);
	buf_addstr(line, "{\"captureData\":{\"endpointInput\":");
	capture_side(line, r->in_type, r->in, r->in_len, "INPUT");
	buf_addstr(line, ",\"endpointOutput\":");
	capture_side(line, r->out_type, r->out, r->out_len, "OUTPUT");
	/* inferenceId is the client's (X-Amzn-SageMaker-Inference-Id),
	 * else the event's own id, so that ground truth always has an id
	 * to be joined by. */
	buf_addf(line, "},\"eventMetadata\":{\"eventId\":\"%s\","
		 "\"inferenceId\":\"", uuid);
	if (r->inference_id[0])
		json_escape(line, r->inference_id, strlen(r->inference_id));
	else
		buf_addstr(line, uuid);
	buf_addf(line, "\",\"inferenceTime\":\"%s\",\"variant\":\"", when);
	json_escape(line, r->variant, strlen(r->variant));
	buf_addf(line, "\"%s},\"eventVersion\":\"0\"}\n",
		 r->shadow ? ",\"shadow\":true" : "");
}

/* Remember a failure to write files, msg saying what it was. */
static void failed_msg(struct deploy_capture *c, const char *msg)
{
	pthread_mutex_lock(&c->failure_mu);
	snprintf(c->failure, sizeof(c->failure), "%s", msg);
	pthread_mutex_unlock(&c->failure_mu);
	atomic_fetch_add_explicit(&c->failures, 1, memory_order_relaxed);
}

/* Remember that what (a verb) failed on path with errno e. */
static void failed(struct deploy_capture *c, const char *what,
		   const char *path, int e)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "cannot %s '%s': %s", what, path,
		 e ? strerror(e) : "nothing written");
	failed_msg(c, msg);
}

uint64_t deploy_capture_failures(struct deploy_capture *c, char *last,
				 size_t size)
{
	pthread_mutex_lock(&c->failure_mu);
	snprintf(last, size, "%s", c->failure);
	pthread_mutex_unlock(&c->failure_mu);
	return atomic_load_explicit(&c->failures, memory_order_relaxed);
}

/* n records handed to a file are lost after all: they count as dropped
 * too (both are counters, which never go down). */
static void records_lost(struct deploy_capture *c, size_t n)
{
	atomic_fetch_add_explicit(&c->dropped, n, memory_order_relaxed);
}

/* Close cf's file and remove it: its records are lost. */
static void file_abandon(struct deploy_capture *c, struct cap_file *cf)
{
	close(cf->fd);
	cf->fd = -1;
	unlink(cf->part);
	records_lost(c, cf->records + cf->pend_records);
	cf->records = cf->pend_records = 0;
	buf_reset(&cf->pend);
	free(cf->part);
	free(cf->final);
	cf->part = cf->final = NULL;
}

/* Write the pending records after the whole ones. On failure the file is
 * cut back to its whole records and the pending ones are lost; a file
 * that cannot be cut back is given up. Returns 0 when the file is whole
 * (the pending records written or lost), -1 when it was given up. */
static int file_flush(struct deploy_capture *c, struct cap_file *cf)
{
	size_t done = 0;

	while (done < cf->pend.len) {
		ssize_t n = pwrite(cf->fd, cf->pend.s + done,
				   cf->pend.len - done, cf->whole +
				   (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			failed(c, "write", cf->part, n < 0 ? errno : 0);
			break;
		}
		done += (size_t)n;
	}
	if (done == cf->pend.len) {
		cf->whole += (off_t)done;
		cf->records += cf->pend_records;
	} else if (ftruncate(cf->fd, cf->whole) == 0) {
		records_lost(c, cf->pend_records);
		cf->bytes -= cf->pend.len;
	} else {
		failed(c, "cut back", cf->part, errno);
		file_abandon(c, cf);
		return -1;
	}
	cf->pend_records = 0;
	buf_reset(&cf->pend);
	return 0;
}

/* Make the file durable and show it to readers under its final name;
 * one that cannot be made durable or renamed is removed. */
static void file_complete(struct deploy_capture *c, struct cap_file *cf)
{
	char *dir;

	if (cf->fd < 0 || file_flush(c, cf) < 0)
		return;
	if (cf->records == 0) {
		file_abandon(c, cf);
		return;
	}
	if (fsync(cf->fd) < 0) {
		failed(c, "fsync", cf->part, errno);
		file_abandon(c, cf);
		return;
	}
	close(cf->fd);
	cf->fd = -1;
	if (rename(cf->part, cf->final) < 0) {
		failed(c, "rename", cf->part, errno);
		unlink(cf->part);
		records_lost(c, cf->records);
	} else {
		dir = fs_path_dirname(cf->final);
		fs_sync_dir(dir, NULL);
		free(dir);
	}
	cf->records = 0;
	free(cf->part);
	free(cf->final);
	cf->part = cf->final = NULL;
}

/* The open file of r's endpoint, variant and side. */
static struct cap_file *file_for(struct deploy_capture *c,
				 const struct record *r)
{
	struct cap_file *cf;

	for (size_t i = 0; i < c->nfiles; i++)
		if (strcmp(c->files[i].endpoint, r->endpoint) == 0 &&
		    strcmp(c->files[i].variant, r->variant) == 0 &&
		    c->files[i].shadow == r->shadow)
			return &c->files[i];
	ALLOC_GROW(c->files, c->nfiles + 1, c->files_cap);
	cf = &c->files[c->nfiles++];
	memset(cf, 0, sizeof(*cf));
	cf->endpoint = xstrdup(r->endpoint);
	cf->variant = xstrdup(r->variant);
	cf->shadow = r->shadow;
	cf->fd = -1;
	buf_init(&cf->pend);
	return cf;
}

static int file_open(struct deploy_capture *c, struct cap_file *cf,
		     int64_t time_us)
{
	time_t t = (time_t)(time_us / TIME_US_PER_SEC);
	struct mlops_err mkdir_err = MLOPS_ERR_INIT;
	char rnd[9];
	struct tm tm;
	char *dir, *leaf = xasprintf("%s%s", cf->variant,
				     cf->shadow ? ".shadow" : "");

	/* The variant in the name: GROUP/N as GROUP-N. */
	for (char *p = leaf; *p; p++)
		if (*p == '/')
			*p = '-';
	if (id_random_hex(rnd, 8, NULL) < 0) {
		failed(c, "name a file in", c->dir, errno);
		free(leaf);
		return -1;
	}
	gmtime_r(&t, &tm);
	dir = xasprintf("%s/%s/%04d/%02d/%02d/%02d", c->dir, cf->endpoint,
			tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
			tm.tm_hour);
	if (fs_mkdir_p(dir, &mkdir_err) < 0) {
		failed_msg(c, mkdir_err.msg);
		free(dir);
		free(leaf);
		return -1;
	}
	cf->part = xasprintf("%s/.%02d-%02d-%03d-%s.%s.jsonl.part", dir,
			     tm.tm_min, tm.tm_sec,
			     (int)(time_us / 1000 % 1000), rnd, leaf);
	cf->final = xasprintf("%s/%02d-%02d-%03d-%s.%s.jsonl", dir,
			      tm.tm_min, tm.tm_sec,
			      (int)(time_us / 1000 % 1000), rnd, leaf);
	free(dir);
	free(leaf);
	cf->fd = open(cf->part, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (cf->fd < 0) {
		failed(c, "create", cf->part, errno);
		free(cf->part);
		free(cf->final);
		cf->part = cf->final = NULL;
		return -1;
	}
	/* Held while the file is open: deploy_capture_recover leaves it
	 * alone. (Without locks, as on some network file systems, only
	 * the file's age tells.) */
	flock(cf->fd, LOCK_EX | LOCK_NB);
	cf->hour = time_us / (3600 * TIME_US_PER_SEC);
	cf->opened_us = time_mono_us();
	cf->bytes = 0;
	cf->whole = 0;
	cf->records = cf->pend_records = 0;
	return 0;
}

static void record_write(struct deploy_capture *c, struct record *r)
{
	struct cap_file *cf = file_for(c, r);

	if (cf->fd >= 0 && (cf->hour != r->time_us / (3600 * TIME_US_PER_SEC) ||
			    cf->bytes >= FILE_MAX_BYTES))
		file_complete(c, cf);
	if (cf->fd < 0 && file_open(c, cf, r->time_us) < 0) {
		atomic_fetch_add_explicit(&c->dropped, 1,
					  memory_order_relaxed);
		return;
	}
	record_line(r, &c->line);
	cf->bytes += c->line.len;
	buf_add(&cf->pend, c->line.s, c->line.len);
	cf->pend_records++;
	cf->last_us = time_mono_us();
	atomic_fetch_add_explicit(&c->written, 1, memory_order_relaxed);
	if (cf->pend.len >= FLUSH_BYTES)
		file_flush(c, cf);
}

static void files_complete_due(struct deploy_capture *c, int all)
{
	int64_t now = time_mono_us();

	for (size_t i = 0; i < c->nfiles; i++) {
		struct cap_file *cf = &c->files[i];

		if (cf->fd >= 0 && (all || now - cf->last_us >= FILE_IDLE_US ||
				    now - cf->opened_us >= FILE_AGE_US))
			file_complete(c, cf);
	}
}

static void *writer_main(void *arg)
{
	struct deploy_capture *c = arg;
	const struct timespec nap = { 0, 2000000 };

	for (;;) {
		int stopping = atomic_load(&c->stop);
		struct record *r;
		int n = 0;

		while ((r = queue_pop(c)) != NULL) {
			record_write(c, r);
			atomic_fetch_sub_explicit(&c->queued_bytes, r->size,
						  memory_order_relaxed);
			free(r);
			if (++n % 256 == 0)
				files_complete_due(c, 0);
		}
		files_complete_due(c, 0);
		if (stopping)
			break;
		nanosleep(&nap, NULL);
	}
	files_complete_due(c, 1);
	return NULL;
}

int deploy_capture_start(struct deploy_capture **out, const char *dir,
			 size_t queue_len, struct mlops_err *err)
{
	struct deploy_capture *c = xcalloc(1, sizeof(*c));
	size_t n = 2;
	int e;

	while (n < queue_len)
		n *= 2;
	c->dir = xstrdup(dir);
	c->max_bytes = DEPLOY_CAPTURE_MAX_BYTES;
	pthread_mutex_init(&c->failure_mu, NULL);
	buf_init(&c->line);
	c->slots = xcalloc(n, sizeof(*c->slots));
	c->mask = n - 1;
	for (size_t i = 0; i < n; i++)
		atomic_init(&c->slots[i].seq, i);
	e = pthread_create(&c->thread, NULL, writer_main, c);
	if (e != 0) {
		pthread_mutex_destroy(&c->failure_mu);
		buf_release(&c->line);
		free(c->slots);
		free(c->dir);
		free(c);
		return mlops_err_errno(err, MLOPS_EINTERNAL, e,
				       "cannot start the capture writer");
	}
	*out = c;
	return 0;
}

void deploy_capture_limit_bytes(struct deploy_capture *c, size_t max_bytes)
{
	c->max_bytes = max_bytes;
}

void deploy_capture_finish(struct deploy_capture *c)
{
	if (c->finished)
		return;
	atomic_store(&c->stop, 1);
	pthread_join(c->thread, NULL);
	c->finished = 1;
}

void deploy_capture_stop(struct deploy_capture *c)
{
	if (!c)
		return;
	deploy_capture_finish(c);
	for (size_t i = 0; i < c->nfiles; i++) {
		free(c->files[i].endpoint);
		free(c->files[i].variant);
		buf_release(&c->files[i].pend);
	}
	free(c->files);
	free(c->slots);
	free(c->dir);
	buf_release(&c->line);
	pthread_mutex_destroy(&c->failure_mu);
	free(c);
}

uint64_t deploy_capture_written(const struct deploy_capture *c)
{
	return atomic_load_explicit(&c->written, memory_order_relaxed);
}

uint64_t deploy_capture_dropped(const struct deploy_capture *c)
{
	return atomic_load_explicit(&c->dropped, memory_order_relaxed);
}
