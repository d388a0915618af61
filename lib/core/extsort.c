/* extsort.c - external merge sort of keyed records; see extsort.h.
 *
 * In memory, records sit one after another in an arena (8-byte aligned)
 * and an index of (k0, offset) entries is sorted: first by a least
 * significant digit radix sort on k0, skipping the byte positions that
 * all keys share (row numbers and hashes sort in 2 to 8 passes), then by
 * the full comparison within each stretch of equal k0, which is short in
 * the uses we have (a hashed entity ID has a handful of records).
 *
 * A run on disk is just an unlinked file's descriptor; only while runs
 * are merged does each get a read buffer, sized so that all of them
 * together take about half the budget. At MAX_RUNS runs, they are first
 * merged into one, so that neither memory nor descriptors grow with the
 * input. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/extsort.h"
#include "core/fs.h"
#include "core/xalloc.h"

#define WRITE_BUFFER (1u << 20)
#define MAX_RUNS 128
#define MAX_RECORD (1u << 30)
#define PREFETCH 32
#define HUGE_MIN ((size_t)16 << 20)

struct entry {
	uint64_t k0;
	size_t off;
};

struct run {
	int fd;			/* an unlinked temporary file, or a caller's */
	off_t start, end;	/* where its records begin and end (-1: EOF) */
	int mem;		/* the records in memory, sorted, not a file */
	char *buf;		/* its read buffer while merging, else NULL */
	size_t buf_pos, buf_len, buf_cap;
	off_t at;		/* where the next read begins */
	struct extsort_rec *rec;	/* the current record, or NULL at
					 * the end */
	size_t cap;
};

struct extsort {
	char *tmpdir;
	size_t budget;
	char *arena;
	size_t arena_len, arena_cap;
	struct entry *entries, *scratch;
	size_t n, cap;
	size_t next;		/* in-memory iteration */
	struct run *runs;
	size_t nruns, runs_cap;
	size_t runs_written;	/* by spill, for extsort_runs */
	size_t max_runs;	/* merge them into one past this */
	size_t *heap;		/* run indices, a binary min-heap */
	size_t heap_len;
	struct extsort_rec *last;	/* the record handed out by the merge */
	int merging;		/* extsort_next reads the merge */
};

struct extsort *extsort_new(const char *tmpdir, size_t budget)
{
	struct extsort *s = xcalloc(1, sizeof(*s));

	s->tmpdir = xstrdup(tmpdir);
	s->budget = budget < (1u << 20) ? (1u << 20) : budget;
	s->max_runs = MAX_RUNS;
	return s;
}

void extsort_set_max_runs(struct extsort *s, size_t n)
{
	s->max_runs = n < 2 ? 2 : n;
}

static void merge_end(struct extsort *s);

void extsort_free(struct extsort *s)
{
	if (!s)
		return;
	merge_end(s);
	free(s->runs);
	free(s->heap);
	free(s->arena);
	free(s->entries);
	free(s->scratch);
	free(s->tmpdir);
	free(s);
}

size_t extsort_runs(const struct extsort *s)
{
	return s->runs_written;
}

/* Ask for huge pages under a large buffer that is read or written in
 * random order (the arena after sorting, the index during the radix
 * sort): with 4 KiB pages, nearly every access there misses the TLB
 * too. Only the 2 MiB-aligned inside of a buffer of 16 MiB or more
 * qualifies, so that whole huge pages add little to what the budget
 * allows (a small budget gets none); a no-op where the kernel does not
 * do this. */
static void want_huge_pages(void *p, size_t len)
{
#ifdef MADV_HUGEPAGE
	const uintptr_t huge = (uintptr_t)2 << 20;
	uintptr_t start = ((uintptr_t)p + huge - 1) & ~(huge - 1);
	uintptr_t end = ((uintptr_t)p + len) & ~(huge - 1);

	if (len >= HUGE_MIN && end > start)
		madvise((void *)start, end - start, MADV_HUGEPAGE);
#else
	(void)p;
	(void)len;
#endif
}

static size_t rec_size(size_t keylen, size_t datalen)
{
	return (sizeof(struct extsort_rec) + keylen + datalen + 7) & ~(size_t)7;
}

int extsort_rec_cmp(const struct extsort_rec *a, const struct extsort_rec *b)
{
	size_t n = a->keylen < b->keylen ? a->keylen : b->keylen;
	int c;

	if (a->k0 != b->k0)
		return a->k0 < b->k0 ? -1 : 1;
	if ((c = memcmp(a->data, b->data, n)) != 0)
		return c;
	if (a->keylen != b->keylen)
		return a->keylen < b->keylen ? -1 : 1;
	if (a->k1 != b->k1)
		return a->k1 < b->k1 ? -1 : 1;
	if (a->k2 != b->k2)
		return a->k2 < b->k2 ? -1 : 1;
	return 0;
}

static int entry_cmp(const void *a, const void *b, void *arena)
{
	const struct entry *x = a, *y = b;

	return extsort_rec_cmp((struct extsort_rec *)((char *)arena + x->off),
			    (struct extsort_rec *)((char *)arena + y->off));
}

static void radix_sort(struct extsort *s)
{
	struct entry *src = s->entries, *dst;
	uint64_t all_and = ~(uint64_t)0, all_or = 0;

	/* The passes swap the two arrays, so both get the full capacity. */
	s->scratch = xreallocarray(s->scratch, s->cap ? s->cap : 1,
				   sizeof(*s->scratch));
	want_huge_pages(s->scratch, s->cap * sizeof(*s->scratch));
	want_huge_pages(s->entries, s->cap * sizeof(*s->entries));
	dst = s->scratch;
	for (size_t i = 0; i < s->n; i++) {
		all_and &= src[i].k0;
		all_or |= src[i].k0;
	}
	for (int shift = 0; shift < 64; shift += 8) {
		size_t count[256] = { 0 }, pos = 0;
		struct entry *t;

		/* A byte that every key shares leaves the order as it is. */
		if (((all_and ^ all_or) >> shift & 0xff) == 0)
			continue;
		for (size_t i = 0; i < s->n; i++)
			count[src[i].k0 >> shift & 0xff]++;
		for (int d = 0; d < 256; d++) {
			size_t c = count[d];

			count[d] = pos;
			pos += c;
		}
		for (size_t i = 0; i < s->n; i++)
			dst[count[src[i].k0 >> shift & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	s->entries = src;
	s->scratch = dst;
}

static void sort_memory(struct extsort *s)
{
	size_t i = 0;

	radix_sort(s);
	while (i < s->n) {
		size_t j = i + 1;

		while (j < s->n && s->entries[j].k0 == s->entries[i].k0)
			j++;
		if (j - i < 12) {
			for (size_t a = i + 1; a < j; a++) {
				struct entry e = s->entries[a];
				size_t b = a;

				while (b > i && entry_cmp(&s->entries[b - 1],
							  &e, s->arena) > 0) {
					s->entries[b] = s->entries[b - 1];
					b--;
				}
				s->entries[b] = e;
			}
		} else {
			qsort_r(s->entries + i, j - i, sizeof(*s->entries),
				entry_cmp, s->arena);
		}
		i = j;
	}
}

/* A new unlinked temporary file and a 1 MiB buffered writer on it. */
static int run_create(struct extsort *s, int *fd, FILE **f,
		      struct mlops_err *err)
{
	char *path = NULL;
	int wfd;

	*fd = fs_tmpfile_open(s->tmpdir, "sort", &path, err);
	if (*fd < 0)
		return *fd;
	unlink(path);
	free(path);
	wfd = fcntl(*fd, F_DUPFD_CLOEXEC, 0);
	*f = wfd < 0 ? NULL : fdopen(wfd, "w");
	if (!*f) {
		if (wfd >= 0)
			close(wfd);
		close(*fd);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot open a sort run");
	}
	setvbuf(*f, NULL, _IOFBF, WRITE_BUFFER);
	return 0;
}

int extsort_write_rec(FILE *f, const struct extsort_rec *rec)
{
	size_t len = sizeof(*rec) + rec->keylen + rec->datalen;

	return fwrite(rec, 1, len, f) == len ? 0 : -1;
}

static int write_rec(struct extsort *s, FILE *f, const struct extsort_rec *rec,
		     struct mlops_err *err)
{
	if (extsort_write_rec(f, rec) < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot write a sort run in %s",
				       s->tmpdir);
	return 0;
}

/* Finish writer f and list its file as one more run. */
static int run_add(struct extsort *s, int fd, FILE *f, struct mlops_err *err)
{
	if (fclose(f) != 0) {
		close(fd);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot write a sort run in %s",
				       s->tmpdir);
	}
	ALLOC_GROW(s->runs, s->nruns + 1, s->runs_cap);
	memset(&s->runs[s->nruns], 0, sizeof(*s->runs));
	s->runs[s->nruns].end = -1;
	s->runs[s->nruns++].fd = fd;
	return 0;
}

static int merge_begin(struct extsort *s, struct mlops_err *err);
static int merge_next(struct extsort *s, const struct extsort_rec **out,
		      struct mlops_err *err);

/* Too many runs: merge them all into one. */
static int compact(struct extsort *s, struct mlops_err *err)
{
	const struct extsort_rec *rec;
	FILE *f = NULL;
	int fd, ret;

	if ((ret = run_create(s, &fd, &f, err)) < 0)
		return ret;
	if ((ret = merge_begin(s, err)) == 0)
		while ((ret = merge_next(s, &rec, err)) == 1)
			if ((ret = write_rec(s, f, rec, err)) < 0)
				break;
	merge_end(s);
	if (ret < 0) {
		fclose(f);
		close(fd);
		return ret;
	}
	return run_add(s, fd, f, err);
}

/* Sort the records in memory and write them out as one more run. */
static int spill(struct extsort *s, struct mlops_err *err)
{
	FILE *f = NULL;
	int fd, ret;

	sort_memory(s);
	if ((ret = run_create(s, &fd, &f, err)) < 0)
		return ret;
	for (size_t i = 0; i < s->n && ret == 0; i++)
		ret = write_rec(s, f, (struct extsort_rec *)(s->arena +
						  s->entries[i].off), err);
	if (ret < 0) {
		fclose(f);
		close(fd);
		return ret;
	}
	s->n = 0;
	s->arena_len = 0;
	s->runs_written++;
	if ((ret = run_add(s, fd, f, err)) < 0)
		return ret;
	return s->nruns >= s->max_runs ? compact(s, err) : 0;
}

int extsort_add(struct extsort *s, uint64_t k0, const void *key,
		size_t keylen, uint64_t k1, uint64_t k2, const void *data,
		size_t datalen, struct mlops_err *err)
{
	size_t size = rec_size(keylen, datalen);
	struct extsort_rec *rec;
	int ret;

	if (s->n && s->arena_len + size + (s->n + 1) * 2 *
	    sizeof(struct entry) > s->budget &&
	    (ret = spill(s, err)) < 0)
		return ret;
	if (s->arena_len + size > s->arena_cap) {
		size_t cap = s->arena_cap ? s->arena_cap : 1u << 16;

		while (cap < s->arena_len + size)
			cap *= 2;
		s->arena = xrealloc(s->arena, cap);
		s->arena_cap = cap;
		want_huge_pages(s->arena, cap);
	}
	rec = (struct extsort_rec *)(s->arena + s->arena_len);
	rec->k0 = k0;
	rec->k1 = k1;
	rec->k2 = k2;
	rec->keylen = (uint32_t)keylen;
	rec->datalen = (uint32_t)datalen;
	if (keylen)
		memcpy(rec->data, key, keylen);
	if (datalen)
		memcpy(rec->data + keylen, data, datalen);
	ALLOC_GROW(s->entries, s->n + 1, s->cap);
	s->entries[s->n].k0 = k0;
	s->entries[s->n].off = s->arena_len;
	s->n++;
	s->arena_len += size;
	return 0;
}

int extsort_add_run(struct extsort *s, int fd, long long start,
		    long long end, struct mlops_err *err)
{
	ALLOC_GROW(s->runs, s->nruns + 1, s->runs_cap);
	memset(&s->runs[s->nruns], 0, sizeof(*s->runs));
	s->runs[s->nruns].fd = fd;
	s->runs[s->nruns].end = (off_t)end;
	s->runs[s->nruns++].start = (off_t)start;
	return s->nruns >= s->max_runs ? compact(s, err) : 0;
}

/* Fill r's buffer with what follows its unread bytes: 0, or an error. */
static int run_fill(struct extsort *s, struct run *r, struct mlops_err *err)
{
	size_t keep = r->buf_len - r->buf_pos, want;
	ssize_t n;

	memmove(r->buf, r->buf + r->buf_pos, keep);
	r->buf_pos = 0;
	r->buf_len = keep;
	want = r->buf_cap - keep;
	if (r->end >= 0 && (off_t)want > r->end - r->at)
		want = (size_t)(r->end - r->at);
	if (want == 0)
		return 0;
	do
		n = pread(r->fd, r->buf + keep, want, r->at);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				       "read a sort run in %s", s->tmpdir);
	r->at += n;
	r->buf_len += (size_t)n;
	return 0;
}

/* Make n bytes of r readable at r->buf + r->buf_pos: 1, 0 when the run
 * has ended before them, or an error. */
static int run_want(struct extsort *s, struct run *r, size_t n,
		    struct mlops_err *err)
{
	size_t before;
	int ret;

	while (r->buf_len - r->buf_pos < n) {
		if (n > r->buf_cap) {
			r->buf_cap = n;
			r->buf = xrealloc(r->buf, n);
		}
		before = r->buf_len - r->buf_pos;
		if ((ret = run_fill(s, r, err)) < 0)
			return ret;
		if (r->buf_len - r->buf_pos == before)
			return 0;
	}
	return 1;
}

/* Read the next record of run r into r->rec (NULL at its end). */
static int run_read(struct extsort *s, struct run *r, struct mlops_err *err)
{
	struct extsort_rec head;
	size_t body;
	int ret;

	if (r->mem) {
		/* The sorted records lie scattered over the arena: fetch
		 * ahead, or every comparison waits for memory. */
		if (s->next + PREFETCH < s->n)
			__builtin_prefetch(s->arena +
					   s->entries[s->next + PREFETCH].off);
		r->rec = s->next < s->n ? (struct extsort_rec *)(s->arena +
			 s->entries[s->next++].off) : NULL;
		return 0;
	}
	if ((ret = run_want(s, r, sizeof(head), err)) <= 0) {
		if (ret == 0 && r->buf_len != r->buf_pos)
			goto damaged;
		free(r->rec);
		r->rec = NULL;
		r->cap = 0;
		return ret;
	}
	memcpy(&head, r->buf + r->buf_pos, sizeof(head));
	body = (size_t)head.keylen + head.datalen;
	if (body > MAX_RECORD)
		goto damaged;
	if (sizeof(head) + body > r->cap) {
		r->cap = sizeof(head) + body;
		free(r->rec);
		r->rec = xmalloc(r->cap);
	}
	if ((ret = run_want(s, r, sizeof(head) + body, err)) < 0)
		return ret;
	if (ret == 0)
		goto damaged;
	memcpy(r->rec, r->buf + r->buf_pos, sizeof(head) + body);
	r->buf_pos += sizeof(head) + body;
	return 0;
damaged:
	return mlops_err_set(err, MLOPS_EINTERNAL, "damaged sort run in %s",
			     s->tmpdir);
}

static int heap_less(struct extsort *s, size_t a, size_t b)
{
	const struct extsort_rec *x = s->runs[s->heap[a]].rec;
	const struct extsort_rec *y = s->runs[s->heap[b]].rec;

	if (x->k0 != y->k0)
		return x->k0 < y->k0;
	return extsort_rec_cmp(x, y) < 0;
}

static void heap_down(struct extsort *s, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i, t;

		if (l < s->heap_len && heap_less(s, l, m))
			m = l;
		if (r < s->heap_len && heap_less(s, r, m))
			m = r;
		if (m == i)
			return;
		t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
}

/* Open a reader on every run, sharing half the budget among their
 * buffers, and build the heap of their first records. */
static int merge_begin(struct extsort *s, struct mlops_err *err)
{
	size_t bufsize = s->budget / 2 / (s->nruns ? s->nruns : 1);
	int ret;

	if (bufsize < 16384)
		bufsize = 16384;
	if (bufsize > WRITE_BUFFER)
		bufsize = WRITE_BUFFER;
	free(s->heap);
	s->heap = xcalloc(s->nruns ? s->nruns : 1, sizeof(*s->heap));
	s->heap_len = 0;
	s->last = NULL;
	for (size_t i = 0; i < s->nruns; i++) {
		struct run *r = &s->runs[i];

		if (r->mem) {
			run_read(s, r, err);
			if (r->rec)
				s->heap[s->heap_len++] = i;
			continue;
		}
		r->buf_cap = bufsize;
		r->buf = xmalloc(bufsize);
		r->buf_pos = r->buf_len = 0;
		r->at = r->start;
		if ((ret = run_read(s, r, err)) < 0)
			return ret;
		if (r->rec)
			s->heap[s->heap_len++] = i;
	}
	for (size_t i = s->heap_len; i-- > 0;)
		heap_down(s, i);
	return 0;
}

static int merge_next(struct extsort *s, const struct extsort_rec **out,
		      struct mlops_err *err)
{
	struct run *r;
	int ret;

	/* The record handed out last time is the top run's current one:
	 * only now may that run move on. */
	if (s->last) {
		r = &s->runs[s->heap[0]];
		if ((ret = run_read(s, r, err)) < 0)
			return ret;
		if (!r->rec)
			s->heap[0] = s->heap[--s->heap_len];
		if (s->heap_len)
			heap_down(s, 0);
		s->last = NULL;
	}
	if (s->heap_len == 0)
		return 0;
	s->last = s->runs[s->heap[0]].rec;
	*out = s->last;
	return 1;
}

/* Close and forget every run. */
static void merge_end(struct extsort *s)
{
	for (size_t i = 0; i < s->nruns; i++) {
		if (s->runs[i].mem)
			continue;
		free(s->runs[i].buf);
		close(s->runs[i].fd);
		free(s->runs[i].rec);
	}
	s->nruns = 0;
	s->heap_len = 0;
	s->last = NULL;
}

int extsort_finish(struct extsort *s, struct mlops_err *err)
{
	if (s->nruns == 0) {
		sort_memory(s);
		free(s->scratch);
		s->scratch = NULL;
		return 0;
	}
	/* What is still in memory joins the merge as one more run rather
	 * than going to disk first. */
	sort_memory(s);
	free(s->scratch);
	s->scratch = NULL;
	s->next = 0;
	ALLOC_GROW(s->runs, s->nruns + 1, s->runs_cap);
	memset(&s->runs[s->nruns], 0, sizeof(*s->runs));
	s->runs[s->nruns].fd = -1;
	s->runs[s->nruns++].mem = 1;
	s->merging = 1;
	return merge_begin(s, err);
}

int extsort_next(struct extsort *s, const struct extsort_rec **out,
		 struct mlops_err *err)
{
	if (s->merging)
		return merge_next(s, out, err);
	if (s->next >= s->n)
		return 0;
	if (s->next + PREFETCH < s->n)
		__builtin_prefetch(s->arena + s->entries[s->next + PREFETCH].off);
	*out = (struct extsort_rec *)(s->arena + s->entries[s->next++].off);
	return 1;
}
