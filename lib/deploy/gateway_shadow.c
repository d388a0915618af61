/* gateway_shadow.c - the gateway's side of shadow tests (see
 * shadow/shadow.h for the test record): a copy of a sample of an
 * endpoint's requests, taken after production's response is queued,
 * goes to the shadow version; both answers are kept as paired records.
 *
 * Production never waits for the shadow, and pays for a mirrored
 * request only what it must: a request thread reserves a slot with two
 * atomic adds (when the queue is full, in jobs or bytes, the job is
 * shed and counted), copies the request and production's answer into
 * one allocation and pushes it on a lock-free stack. It takes no lock
 * and wakes no thread, unless the shadow's threads all went to sleep
 * after a quiet spell: a busy shadow thread polls, taking what the
 * stack holds every POLL_US, so that on a loaded gateway one wake-up
 * serves a batch of requests instead of one (a wake-up per request
 * costed production more than the shadow's model did).
 *
 * The shadow's own threads, at most its endpoint's max concurrency
 * (one for xgboost), take jobs oldest first and run them on the same
 * runtimes as production: xgboost in process, exec and http through a
 * worker pool of its own with the endpoint's serverless settings. The
 * shadow's latency is measured in its thread around the model call, as
 * production's is measured inside the gateway, so time spent queued is
 * not counted. The threads run at a lower priority (SHADOW_NICE steps
 * below the gateway's own, whatever it was started with) than the
 * request threads: on a saturated machine production keeps the CPU
 * and the shadow sheds (counted) rather than slowing production down.
 *
 * Paired records are a reservoir sample (algorithm R) of at most
 * max_pairs per test, so that slot k holds a uniform sample of all pairs
 * seen. The shadow thread draws a finished job's slot and frees at once
 * a job the sample does not keep (most of them, once it is full), so
 * that memory stays hot; kept jobs wait, bounded, for the control
 * thread, which writes them every two seconds into shadow_pair. The
 * count of pairs seen is the store's: each write-back adds this
 * gateway's and learns what other gateways serving the endpoint added. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "core/id.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/gateway_int.h"

#define QUEUE_JOBS 1024
#define QUEUE_BYTES ((size_t)64 << 20)
#define PENDING_MAX 65536
#define MAX_THREADS 8
/* A busy thread looks for jobs this often; after IDLE_POLLS empty looks
 * it sleeps until a request thread wakes it. */
#define POLL_US 1000
#define IDLE_POLLS 50
#define SHADOW_NICE 10

struct shadow_job {
	struct shadow_job *next;
	char ctype[96], shadow_type[96];
	char request_id[DEPLOY_INFERENCE_ID_MAX + 1];
	int64_t time_us;
	int prod_status, shadow_status, capture;
	int64_t prod_latency_us, shadow_latency_us;
	int64_t slot;			/* in the reservoir */
	size_t in_len, prod_len, size;
	char *in, *prod_out;		/* into data[] */
	struct buf shadow_out;
	char data[];
};

struct shadow_thread {
	struct deploy_gateway_shadow *sh;
	pthread_t tid;
	pthread_mutex_t lock;		/* for the pool job's done */
	pthread_cond_t cond;
	int done;
	struct deploy_pool_job pj;
	struct deploy_predio_rows rows, pred;
};

struct deploy_gateway_shadow {
	char *test;
	double sample_pct;
	int64_t end_us;
	uint32_t sample_below;
	int sample_all;
	struct deploy_gateway_version *ver;
	char *error;			/* why it cannot serve, or NULL */
	int64_t timeout_us;
	/* Request threads and shadow threads, without a lock. */
	_Atomic(struct shadow_job *) pushed;	/* newest first */
	atomic_size_t queued, queued_bytes;	/* reserved, unfinished */
	atomic_uint_fast64_t shed;		/* since the last write-back */
	atomic_int sleepers;		/* threads waiting for a signal */
	atomic_int stopping;
	pthread_mutex_t lock;		/* guards what follows */
	pthread_cond_t cond;
	struct shadow_job *ready;	/* taken from pushed, oldest first */
	struct shadow_job *done_head;	/* finished and kept, for the store */
	size_t ndone;
	uint64_t mirrored;		/* since the last write-back */
	int64_t max_pairs;
	int64_t seen;			/* pairs seen, this gateway's view */
	int64_t seen_new;		/* of which since the last write-back */
	int64_t seen_db;		/* the store's count after it */
	int error_written;
	struct shadow_thread threads[MAX_THREADS];
	int nthreads;
	struct deploy_gateway *gw;
};

static void job_free(struct shadow_job *j)
{
	if (!j)
		return;
	buf_release(&j->shadow_out);
	free(j);
}

static void jobs_free(struct shadow_job *j)
{
	while (j) {
		struct shadow_job *next = j->next;

		job_free(j);
		j = next;
	}
}

void deploy_gateway_shadow_mirror(struct deploy_gateway_shadow *sh,
				  const char *request_id, const char *ctype,
				  const char *in, size_t in_len, int status,
				  const char *out,
				  size_t out_len, int64_t latency_us,
				  int64_t time_us, int capture)
{
	struct shadow_job *j, *top;
	size_t size, n, bytes;

	if (time_us >= sh->end_us)
		return;
	if (!sh->sample_all &&
	    (uint32_t)(id_fast_rand64() >> 32) >= sh->sample_below)
		return;
	size = sizeof(*j) + in_len + out_len + 2;
	if (sh->error || atomic_load_explicit(&sh->stopping,
					      memory_order_relaxed)) {
		atomic_fetch_add_explicit(&sh->shed, 1, memory_order_relaxed);
		return;
	}
	n = atomic_fetch_add_explicit(&sh->queued, 1, memory_order_relaxed);
	bytes = atomic_fetch_add_explicit(&sh->queued_bytes, size,
					  memory_order_relaxed);
	if (n >= QUEUE_JOBS || bytes + size > QUEUE_BYTES) {
		atomic_fetch_sub_explicit(&sh->queued, 1, memory_order_relaxed);
		atomic_fetch_sub_explicit(&sh->queued_bytes, size,
					  memory_order_relaxed);
		atomic_fetch_add_explicit(&sh->shed, 1, memory_order_relaxed);
		return;
	}
	j = xmalloc(size);
	j->size = size;
	j->in = j->data;
	j->prod_out = j->data + in_len + 1;
	memcpy(j->in, in, in_len);
	j->in[in_len] = '\0';
	if (out_len)
		memcpy(j->prod_out, out, out_len);
	j->prod_out[out_len] = '\0';
	j->in_len = in_len;
	j->prod_len = out_len;
	n = strnlen(ctype, sizeof(j->ctype) - 1);
	memcpy(j->ctype, ctype, n);
	j->ctype[n] = '\0';
	j->shadow_type[0] = '\0';
	j->shadow_status = 0;
	j->shadow_latency_us = 0;
	snprintf(j->request_id, sizeof(j->request_id), "%s", request_id);
	j->time_us = time_us;
	j->prod_status = status;
	j->prod_latency_us = latency_us;
	j->capture = capture;
	buf_init(&j->shadow_out);
	top = atomic_load(&sh->pushed);
	do
		j->next = top;
	while (!atomic_compare_exchange_weak(&sh->pushed, &top, j));
	/* Sequentially consistent with the sleeper's count and look (see
	 * next_job): either it sees the job or we see it asleep. */
	if (atomic_load(&sh->sleepers)) {
		pthread_mutex_lock(&sh->lock);
		pthread_cond_signal(&sh->cond);
		pthread_mutex_unlock(&sh->lock);
	}
}

static void pool_done(struct deploy_pool_job *pj)
{
	struct shadow_thread *t = pj->arg;

	pthread_mutex_lock(&t->lock);
	t->done = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
}

/* Answer j with the shadow version, timing the model call. */
static void run_job(struct shadow_thread *t, struct shadow_job *j)
{
	struct deploy_gateway_shadow *sh = t->sh;
	struct deploy_gateway_version *v = sh->ver;
	int64_t t0 = time_mono_us();

	if (v->kind == DEPLOY_GATEWAY_XGBOOST) {
		const char *type = NULL;
		char msg[1024];

		j->shadow_status = deploy_answer_xgb(v->xgb, j->ctype, j->in,
					      j->in_len, &t->rows, &t->pred,
					      &j->shadow_out, &type, msg,
					      sizeof(msg));
		if (j->shadow_status != 200) {
			buf_reset(&j->shadow_out);
			buf_addstr(&j->shadow_out, msg);
		} else {
			snprintf(j->shadow_type, sizeof(j->shadow_type), "%s",
				 type);
		}
	} else {
		struct deploy_pool_job *pj = &t->pj;

		buf_reset(&pj->out);
		pj->body = j->in;
		pj->len = j->in_len;
		pj->content_type = j->ctype;
		pj->deadline_us = t0 + sh->timeout_us;
		pj->status = 0;
		pj->done = pool_done;
		pj->arg = t;
		t->done = 0;
		deploy_pool_submit(v->pool, pj);
		pthread_mutex_lock(&t->lock);
		while (!t->done)
			pthread_cond_wait(&t->cond, &t->lock);
		pthread_mutex_unlock(&t->lock);
		j->shadow_status = pj->status;
		buf_add(&j->shadow_out, pj->out.s, pj->out.len);
		snprintf(j->shadow_type, sizeof(j->shadow_type), "%s",
			 pj->out_type);
	}
	j->shadow_latency_us = time_mono_us() - t0;
	if (j->capture && j->shadow_status == 200) {
		struct deploy_capture_meta m = {
			.endpoint = v->ep->name, .variant = v->ref,
			.shadow = 1, .time_us = j->time_us,
			.inference_id = j->request_id,
		};

		deploy_capture_submit(sh->gw->cap, &m, j->ctype, j->in,
				      j->in_len, j->shadow_type[0] ?
				      j->shadow_type : j->ctype,
				      j->shadow_out.s, j->shadow_out.len);
	}
}

/* The oldest job not yet taken, or NULL; sh->lock held. */
static struct shadow_job *take_job(struct deploy_gateway_shadow *sh)
{
	struct shadow_job *j;

	if (!sh->ready) {
		/* Take the whole stack and turn it oldest first. */
		j = atomic_exchange(&sh->pushed, NULL);
		while (j) {
			struct shadow_job *next = j->next;

			j->next = sh->ready;
			sh->ready = j;
			j = next;
		}
	}
	j = sh->ready;
	if (j) {
		sh->ready = j->next;
		j->next = NULL;
	}
	return j;
}

/* The next job, waiting for one (sh->lock held): poll every POLL_US
 * while jobs come, sleep until signalled after IDLE_POLLS empty looks.
 * NULL when the test stops. */
static struct shadow_job *next_job(struct deploy_gateway_shadow *sh)
{
	struct shadow_job *j;
	int empty = 0;

	while (!atomic_load(&sh->stopping)) {
		if ((j = take_job(sh)))
			return j;
		if (empty++ < IDLE_POLLS) {
			struct timespec ts;
			int64_t at;

			clock_gettime(CLOCK_MONOTONIC, &ts);
			at = ts.tv_nsec + POLL_US * INT64_C(1000);
			ts.tv_sec += at / 1000000000;
			ts.tv_nsec = at % 1000000000;
			pthread_cond_timedwait(&sh->cond, &sh->lock, &ts);
			continue;
		}
		atomic_fetch_add(&sh->sleepers, 1);
		j = take_job(sh);
		if (!j && !atomic_load(&sh->stopping))
			pthread_cond_wait(&sh->cond, &sh->lock);
		atomic_fetch_sub(&sh->sleepers, 1);
		if (j)
			return j;
		empty = 0;
	}
	return NULL;
}

/* The reservoir slot of the next pair seen, or -1 when the sample does
 * not keep it (sh->lock held). */
static int64_t reservoir_slot(struct deploy_gateway_shadow *sh)
{
	int64_t s = sh->seen++, slot;

	sh->seen_new++;
	if (s < sh->max_pairs)
		return s;
	slot = (int64_t)(id_fast_rand64() % (uint64_t)(s + 1));
	return slot < sh->max_pairs ? slot : -1;
}

static void *shadow_main(void *arg)
{
	struct shadow_thread *t = arg;
	struct deploy_gateway_shadow *sh = t->sh;
	struct shadow_job *j;
	int nice;

	/* Below the request threads: this thread alone (Linux). */
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (errno)
		nice = 0;
	setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
		    nice + SHADOW_NICE > 19 ? 19 : nice + SHADOW_NICE);
	pthread_mutex_lock(&sh->lock);
	while ((j = next_job(sh))) {
		pthread_mutex_unlock(&sh->lock);
		run_job(t, j);
		pthread_mutex_lock(&sh->lock);
		atomic_fetch_sub(&sh->queued, 1);
		atomic_fetch_sub(&sh->queued_bytes, j->size);
		sh->mirrored++;
		j->slot = reservoir_slot(sh);
		if (j->slot >= 0 && sh->ndone < PENDING_MAX) {
			j->next = sh->done_head;
			sh->done_head = j;
			sh->ndone++;
			j = NULL;
		}
		job_free(j);
	}
	pthread_mutex_unlock(&sh->lock);
	return NULL;
}

/* Write sh's counters and finished jobs to the store (in the caller's
 * transaction). */
static int shadow_write(struct deploy_gateway *gw,
			struct deploy_gateway_shadow *sh, struct mlops_err *err)
{
	struct shadow_job *done;
	uint64_t mirrored, shed;
	sqlite3_stmt *q = NULL, *ins = NULL;
	int64_t seen_new, db_seen;
	int ret, write_error;

	pthread_mutex_lock(&sh->lock);
	done = sh->done_head;
	sh->done_head = NULL;
	sh->ndone = 0;
	mirrored = sh->mirrored;
	shed = atomic_exchange(&sh->shed, 0);
	sh->mirrored = 0;
	seen_new = sh->seen_new;
	sh->seen_new = 0;
	write_error = sh->error && !sh->error_written;
	pthread_mutex_unlock(&sh->lock);
	ret = store_prepare(gw->st, &q, "SELECT pairs_seen FROM shadow_test "
			    "WHERE name = ?1", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, sh->test, -1, SQLITE_STATIC);
	ret = store_step(q, "read shadow test", err);
	if (ret <= 0)
		goto out;	/* the test is gone: nothing to keep */
	db_seen = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	ret = store_prepare(gw->st, &ins, "INSERT OR REPLACE INTO shadow_pair "
			    "(test, slot, request_id, time_us, content_type, "
			    "input, prod_status, prod_latency_us, prod_output, "
			    "shadow_status, shadow_latency_us, shadow_output) "
			    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
			    "?11, ?12)", err);
	for (struct shadow_job *j = done; j && ret == 0; j = j->next) {
		sqlite3_reset(ins);
		sqlite3_bind_text(ins, 1, sh->test, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 2, j->slot);
		sqlite3_bind_text(ins, 3, j->request_id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(ins, 4, j->time_us);
		sqlite3_bind_text(ins, 5, j->ctype, -1, SQLITE_STATIC);
		sqlite3_bind_blob(ins, 6, j->in, (int)j->in_len,
				  SQLITE_STATIC);
		sqlite3_bind_int(ins, 7, j->prod_status);
		sqlite3_bind_int64(ins, 8, j->prod_latency_us);
		sqlite3_bind_blob(ins, 9, j->prod_out, (int)j->prod_len,
				  SQLITE_STATIC);
		sqlite3_bind_int(ins, 10, j->shadow_status);
		sqlite3_bind_int64(ins, 11, j->shadow_latency_us);
		sqlite3_bind_blob(ins, 12, j->shadow_out.s,
				  (int)j->shadow_out.len, SQLITE_STATIC);
		ret = store_step_done(ins, "insert shadow pair", err);
	}
	if (ret < 0)
		goto out;
	ret = store_prepare(gw->st, &q, "UPDATE shadow_test SET pairs_seen = "
			    "pairs_seen + ?2, mirrored = mirrored + ?3, "
			    "shed = shed + ?4, "
			    "error = coalesce(?5, error) WHERE name = ?1", err);
	if (ret < 0)
		goto out;
	sqlite3_bind_text(q, 1, sh->test, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, seen_new);
	sqlite3_bind_int64(q, 3, (int64_t)mirrored);
	sqlite3_bind_int64(q, 4, (int64_t)shed);
	if (write_error)
		sqlite3_bind_text(q, 5, sh->error, -1, SQLITE_STATIC);
	ret = store_step_done(q, "update shadow test", err);
	if (ret == 0 && write_error)
		sh->error_written = 1;
	if (ret == 0) {
		/* What other gateways added since our last write-back. */
		pthread_mutex_lock(&sh->lock);
		if (db_seen > sh->seen_db)
			sh->seen += db_seen - sh->seen_db;
		sh->seen_db = db_seen + seen_new;
		pthread_mutex_unlock(&sh->lock);
	}
out:
	sqlite3_finalize(q);
	sqlite3_finalize(ins);
	jobs_free(done);
	return ret < 0 ? ret : 0;
}

int deploy_gateway_shadow_flush(struct deploy_gateway *gw,
				struct mlops_err *err)
{
	struct deploy_gateway_routes *r = atomic_load(&gw->routes);
	int ret = 0;

	for (size_t i = 0; r && i < r->n && ret == 0; i++) {
		struct deploy_gateway_shadow *sh =
			atomic_load(&r->eps[i]->shadow);

		if (sh)
			ret = shadow_write(gw, sh, err);
	}
	return ret;
}

void deploy_gateway_shadow_free(void *p)
{
	struct deploy_gateway_shadow *sh = p;
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_gateway *gw;
	int ret;

	if (!sh)
		return;
	gw = sh->gw;
	pthread_mutex_lock(&sh->lock);
	atomic_store(&sh->stopping, 1);
	pthread_cond_broadcast(&sh->cond);
	pthread_mutex_unlock(&sh->lock);
	for (int i = 0; i < sh->nthreads; i++) {
		struct shadow_thread *t = &sh->threads[i];

		pthread_join(t->tid, NULL);
		pthread_mutex_destroy(&t->lock);
		pthread_cond_destroy(&t->cond);
		buf_release(&t->pj.out);
		deploy_predio_rows_release(&t->rows);
		deploy_predio_rows_release(&t->pred);
	}
	/* What finished is kept; what was still queued is shed. */
	atomic_fetch_add(&sh->shed, atomic_load(&sh->queued));
	ret = store_begin(gw->st, &err);
	if (ret == 0)
		ret = shadow_write(gw, sh, &err);
	if (ret == 0)
		ret = store_commit(gw->st, &err);
	if (ret < 0) {
		store_rollback(gw->st);
		deploy_gateway_routes_logf(gw,
			"shadow test %s: cannot write its records: %s",
			sh->test, err.msg);
	}
	jobs_free(sh->ready);
	jobs_free(atomic_load(&sh->pushed));
	deploy_gateway_routes_version_free(sh->ver);
	pthread_mutex_destroy(&sh->lock);
	pthread_cond_destroy(&sh->cond);
	free(sh->error);
	free(sh->test);
	free(sh);
}

struct test_row {
	char *name, *endpoint;
	struct deploy_endpoint_model m;
	double sample_pct;
	int64_t end_us, pairs_seen, max_pairs;
};

static char *col_dup(sqlite3_stmt *q, int i)
{
	const unsigned char *s = sqlite3_column_text(q, i);

	return s ? xstrdup((const char *)s) : NULL;
}

static struct deploy_gateway_shadow *shadow_new(struct deploy_gateway *gw,
				    struct deploy_gateway_endpoint *gep,
				    const struct deploy_endpoint *e,
				    const struct test_row *row)
{
	struct deploy_gateway_shadow *sh = xcalloc(1, sizeof(*sh));
	pthread_condattr_t ca;

	sh->gw = gw;
	sh->test = xstrdup(row->name);
	sh->end_us = row->end_us;
	sh->max_pairs = row->max_pairs;
	sh->seen = sh->seen_db = row->pairs_seen;
	sh->sample_pct = row->sample_pct;
	sh->sample_all = row->sample_pct >= 100;
	sh->sample_below = (uint32_t)(row->sample_pct / 100.0 * 4294967296.0);
	sh->timeout_us = e->set.timeout_us;
	pthread_mutex_init(&sh->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&sh->cond, &ca);
	pthread_condattr_destroy(&ca);
	sh->ver = deploy_gateway_routes_version_load(gw, gep, e, &row->m, 1, 1);
	if (sh->ver->error) {
		sh->error = xasprintf("%s cannot serve: %s", row->m.ref,
				      sh->ver->error);
		deploy_gateway_routes_logf(gw, "shadow test %s: %s", sh->test,
					   sh->error);
		return sh;
	}
	sh->nthreads = sh->ver->kind == DEPLOY_GATEWAY_XGBOOST ? 1 :
		       e->set.max_concurrency < MAX_THREADS ?
		       e->set.max_concurrency : MAX_THREADS;
	for (int i = 0; i < sh->nthreads; i++) {
		struct shadow_thread *t = &sh->threads[i];

		t->sh = sh;
		pthread_mutex_init(&t->lock, NULL);
		pthread_cond_init(&t->cond, NULL);
		buf_init(&t->pj.out);
		if (pthread_create(&t->tid, NULL, shadow_main, t) != 0) {
			pthread_mutex_destroy(&t->lock);
			pthread_cond_destroy(&t->cond);
			sh->nthreads = i;
			break;
		}
		pthread_setname_np(t->tid, "mlops-shadow");
	}
	if (sh->nthreads == 0)
		sh->error = xstrdup("cannot start a shadow thread");
	deploy_gateway_routes_logf(gw,
				   "shadow test %s: mirroring %g%% of %s to %s",
				   sh->test, row->sample_pct, e->name,
				   row->m.ref);
	return sh;
}

json_t *deploy_gateway_shadow_json(struct deploy_gateway_shadow *sh)
{
	json_t *o = json_pack("{s:s,s:s,s:f}", "test", sh->test, "model",
			      sh->ver->ref, "sample_percent", sh->sample_pct);

	if (sh->error)
		json_object_set_new(o, "error", json_string(sh->error));
	return o;
}

static void rows_free(struct test_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].endpoint);
		deploy_endpoint_model_release(&rows[i].m);
	}
	free(rows);
}

void deploy_gateway_shadow_reload(struct deploy_gateway *gw,
				  struct deploy_gateway_routes *r,
				  struct deploy_endpoint **eps, size_t n)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct test_row *rows = NULL;
	size_t nrows = 0, cap = 0;
	sqlite3_stmt *q = NULL;
	int ret, rc;

	ret = store_prepare(gw->st, &q, "SELECT name, endpoint, model, "
			    "framework, entry, model_dir, artifact, "
			    "sample_pct, end_us, pairs_seen, max_pairs FROM "
			    "shadow_test WHERE "
			    "status = 'Running'", &err);
	while (ret == 0 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct test_row *t;

		ALLOC_GROW(rows, nrows + 1, cap);
		t = &rows[nrows++];
		memset(t, 0, sizeof(*t));
		t->name = col_dup(q, 0);
		t->m.ref = col_dup(q, 2);
		t->m.framework = col_dup(q, 3);
		t->m.entry = col_dup(q, 4);
		t->m.model_dir = col_dup(q, 5);
		t->m.artifact = col_dup(q, 6);
		t->sample_pct = sqlite3_column_double(q, 7);
		t->end_us = sqlite3_column_int64(q, 8);
		t->pairs_seen = sqlite3_column_int64(q, 9);
		t->max_pairs = sqlite3_column_int64(q, 10);
		t->endpoint = col_dup(q, 1);
	}
	if (ret == 0 && rc != SQLITE_DONE)
		ret = store_step_failed(gw->st, rc, "read shadow tests",
					&err);
	sqlite3_finalize(q);
	if (ret < 0) {
		deploy_gateway_routes_logf(gw, "cannot read shadow tests: %s",
					   err.msg);
		rows_free(rows, nrows);
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		struct deploy_gateway_endpoint *gep = r->eps[i];
		struct deploy_gateway_shadow *cur = atomic_load(&gep->shadow);
		const struct test_row *row = NULL;
		const struct deploy_endpoint *e = NULL;

		for (size_t k = 0; k < nrows && !row; k++)
			if (strcmp(rows[k].endpoint, gep->name) == 0)
				row = &rows[k];
		for (size_t k = 0; k < n && !e; k++)
			if (strcmp(eps[k]->name, gep->name) == 0)
				e = eps[k];
		if (cur && row && strcmp(cur->test, row->name) == 0)
			continue;
		if (cur) {
			atomic_store(&gep->shadow, NULL);
			deploy_gateway_routes_retire(gw, cur,
						     deploy_gateway_shadow_free,
						     NULL);
			deploy_gateway_routes_logf(gw, "shadow test %s: ended",
						   cur->test);
		}
		if (row && e)
			atomic_store_explicit(&gep->shadow,
					      shadow_new(gw, gep, e, row),
					      memory_order_release);
	}
	rows_free(rows, nrows);
}
