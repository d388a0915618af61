/* gateway.c - the HTTP side of the gateway and its control loop (see
 * deploy.h; the endpoint table is gateway_routes.c's, counters
 * gateway_metrics.c's).
 *
 * The hot path, an xgboost invocation, costs: one request context taken
 * from a per-thread free list (so no malloc once warm), the body copied
 * into its reused buffer, CSV parsed straight into its reused float
 * matrix, one XGBoost call, predictions printed into its reused output
 * buffer, and libmicrohttpd's own response object. No lock is taken:
 * routes, settings and versions are read through atomic pointers, and
 * counters are relaxed atomic adds. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>
#include <microhttpd.h>
#include <openssl/evp.h>

#include "core/fs.h"
#include "deploy/gateway_int.h"
#include "deploy/deploy.h"
#include "core/hash.h"
#include "core/id.h"
#include "core/net.h"
#include "deploy/predio.h"
#include "core/time.h"
#include "core/xalloc.h"

#define CAPTURE_QUEUE 65536
/* Past the max payload, skip this much before closing the connection. */
#define MAX_SKIP ((uint64_t)64 << 20)
#define INVOKE_PREFIX "/endpoints/"
#define INVOKE_SUFFIX "/invocations"

enum req_state { REQ_READING, REQ_WAITING, REQ_DONE };

/* One invocation, from headers to the completed response. Reused: a
 * thread keeps a free list, and each buffer keeps its allocation. */
struct gw_req {
	struct deploy_gateway *gw;
	struct deploy_gateway_endpoint *ep;
	struct deploy_gateway_version *ver;
	struct MHD_Connection *conn;
	int64_t t0, t0_real;
	uint64_t max_payload, skipped;
	uint64_t reserved;		/* of gw->buffered */
	int64_t timeout_us;
	int capture, too_big, over_budget, counted_inflight;
	_Atomic int state;
	char ctype[96];
	char inference_id[DEPLOY_INFERENCE_ID_MAX + 1];	/* "": none */
	char event_id[ID_UUID_LEN];	/* "": not named yet */
	struct buf body, out;
	struct deploy_predio_rows rows, pred;
	struct deploy_pool_job job;
	struct gw_req *next_free;
	struct gw_req *next_all;
};

static _Thread_local struct gw_req *free_reqs;
static pthread_mutex_t all_reqs_lock = PTHREAD_MUTEX_INITIALIZER;
static struct gw_req *all_reqs;

static struct gw_req *req_get(struct deploy_gateway *gw)
{
	struct gw_req *r = free_reqs;

	if (r) {
		free_reqs = r->next_free;
	} else {
		r = xcalloc(1, sizeof(*r));
		buf_init(&r->body);
		buf_init(&r->out);
		buf_init(&r->job.out);
		pthread_mutex_lock(&all_reqs_lock);
		r->next_all = all_reqs;
		all_reqs = r;
		pthread_mutex_unlock(&all_reqs_lock);
	}
	r->gw = gw;
	r->ep = NULL;
	r->ver = NULL;
	r->capture = r->too_big = r->over_budget = r->counted_inflight = 0;
	r->skipped = r->reserved = 0;
	r->inference_id[0] = r->event_id[0] = '\0';
	atomic_store_explicit(&r->state, REQ_READING, memory_order_relaxed);
	buf_reset(&r->body);
	buf_reset(&r->out);
	return r;
}

static void req_put(struct gw_req *r)
{
	/* Keep big buffers from pinning memory after a huge request. */
	if (r->body.cap > ((size_t)1 << 20))
		buf_release(&r->body);
	if (r->out.cap > ((size_t)1 << 20))
		buf_release(&r->out);
	if (r->job.out.cap > ((size_t)1 << 20))
		buf_release(&r->job.out);
	if (r->rows.cap > ((size_t)1 << 18))
		deploy_predio_rows_release(&r->rows);
	if (r->pred.cap > ((size_t)1 << 18))
		deploy_predio_rows_release(&r->pred);
	r->next_free = free_reqs;
	free_reqs = r;
}

static void reqs_free_all(void)
{
	pthread_mutex_lock(&all_reqs_lock);
	while (all_reqs) {
		struct gw_req *r = all_reqs;

		all_reqs = r->next_all;
		buf_release(&r->body);
		buf_release(&r->out);
		buf_release(&r->job.out);
		deploy_predio_rows_release(&r->rows);
		deploy_predio_rows_release(&r->pred);
		free(r);
	}
	pthread_mutex_unlock(&all_reqs_lock);
}

/* Queue a response; body must outlive it unless copy is set. */
static enum MHD_Result respond(struct MHD_Connection *c, int status,
			       const char *body, size_t len,
			       const char *ctype, const char *model, int copy)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	resp = MHD_create_response_from_buffer(len, (void *)body,
		copy ? MHD_RESPMEM_MUST_COPY : MHD_RESPMEM_PERSISTENT);
	if (!resp)
		return MHD_NO;
	if (ctype)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
					ctype);
	if (model)
		MHD_add_response_header(resp, "X-Mlops-Model", model);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					"POST");
	ret = MHD_queue_response(c, (unsigned)status, resp);
	MHD_destroy_response(resp);
	return ret;
}

/* {"error": kind, "message": msg} into out (JSON-escaped by hand: the
 * message is ours, but may quote user input). A message that is not
 * valid UTF-8 (it quotes the request's bytes, or cut a character in
 * two) gets '?' for its non-ASCII bytes: the body must stay JSON. */
static void error_body(struct buf *out, const char *kind, const char *msg)
{
	json_t *valid = json_string(msg);

	buf_reset(out);
	buf_addf(out, "{\"error\":\"%s\",\"message\":\"", kind);
	for (const char *p = msg; *p; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch == '"' || ch == '\\')
			buf_addch(out, '\\');
		if (ch < 0x20)
			buf_addf(out, "\\u%04x", ch);
		else
			buf_addch(out, ch >= 0x80 && !valid ? '?' : ch);
	}
	buf_addstr(out, "\"}\n");
	json_decref(valid);
}

static const char *error_kind(int status)
{
	switch (status) {
	case 400: return "InvalidInput";
	case 401: return "Unauthorized";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 411: return "LengthRequired";
	case 413: return "PayloadTooLarge";
	case 415: return "UnsupportedMediaType";
	case 424: return "ModelError";
	case 429: return "TooManyRequests";
	case 501: return "NotImplemented";
	case 502: return "WorkerDied";
	case 503: return "ModelNotReady";
	case 504: return "Timeout";
	default: return "InternalError";
	}
}

/* The request's event id, made the first time it is asked for: its
 * capture record and its shadow's name it, so they can be joined. */
static const char *req_event_id(struct gw_req *r)
{
	if (!r->event_id[0])
		id_uuid4_fast(r->event_id);
	return r->event_id;
}

static void req_capture(struct gw_req *r, const char *out,
			size_t out_len, const char *out_type)
{
	struct deploy_capture_meta m = {
		.endpoint = r->ep->name, .variant = r->ver->ref,
		.time_us = r->t0_real,
		.inference_id = r->inference_id[0] ? r->inference_id : NULL,
	};

	if (!r->capture || !r->gw->cap)
		return;
	m.event_id = req_event_id(r);
	if (deploy_capture_submit(r->gw->cap, &m, r->ctype, r->body.s,
				  r->body.len, out_type, out, out_len) == 0)
		atomic_fetch_add_explicit(&r->ep->n.captured, 1,
					  memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&r->ep->n.capture_dropped, 1,
					  memory_order_relaxed);
}

/* After production's response is queued: hand a copy of the request and
 * of its answer to the endpoint's shadow test, if it runs one and the
 * request reached the model. Never waits (see gateway_shadow.c). */
static void req_mirror(struct gw_req *r, int status, const char *out,
		       size_t len, int64_t us)
{
	struct deploy_gateway_shadow *sh;

	if (!r->ep || !r->ver || r->too_big || r->over_budget ||
	    !r->body.len)
		return;
	sh = atomic_load_explicit(&r->ep->shadow, memory_order_acquire);
	if (sh)
		deploy_gateway_shadow_mirror(sh, r->inference_id[0] ?
					     r->inference_id :
					     req_event_id(r), r->ctype,
					     r->body.s, r->body.len, status,
					     out, len, us, r->t0_real,
					     r->capture && r->gw->cap);
}

/* Answer an invocation: count it, capture it, queue the response from
 * r's output buffer, then mirror it. */
static enum MHD_Result req_finish(struct gw_req *r, int status,
				  const char *body, size_t len,
				  const char *ctype)
{
	struct deploy_gateway_counters *n =
		r->ep ? &r->ep->n : &r->gw->unrouted;
	int64_t us = time_mono_us() - r->t0;
	enum MHD_Result ret;

	deploy_gateway_metrics_count(n, status, us);
	if (status == 200)
		req_capture(r, body, len, ctype);
	ret = respond(r->conn, status, body, len, ctype,
		      r->ver ? r->ver->ref : NULL, 0);
	req_mirror(r, status, body, len, us);
	return ret;
}

static enum MHD_Result req_fail_as(struct gw_req *r, int status,
				   const char *kind, const char *msg)
{
	error_body(&r->out, kind, msg);
	return req_finish(r, status, r->out.s, r->out.len,
			  "application/json");
}

static enum MHD_Result req_fail(struct gw_req *r, int status,
				const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static enum MHD_Result req_fail(struct gw_req *r, int status,
				const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return req_fail_as(r, status, error_kind(status), msg);
}

/* 503 for a body past the gateway's bound on buffered bodies. */
static enum MHD_Result req_fail_full(struct gw_req *r)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "the gateway holds its maximum of %llu "
		 "bytes of request bodies: retry later",
		 (unsigned long long)r->gw->max_buffered);
	return req_fail_as(r, 503, "BodyBufferFull", msg);
}

/* Reserve n more body bytes for r under the gateway's bound. A body
 * past SMALL_BODY may fill only 7/8 of it: the rest is kept for small
 * ones (the usual inference request), so that connections holding large
 * bodies cannot refuse every request; one client address, at
 * DEPLOY_GATEWAY_DEFAULT_MAX_PER_CLIENT connections of small bodies, holds
 * 16 MB, less than the 32 MB eighth of the default bound. */
#define SMALL_BODY ((uint64_t)64 << 10)

static int reserve(struct gw_req *r, uint64_t n)
{
	struct deploy_gateway *gw = r->gw;
	uint64_t limit = gw->max_buffered;
	uint_fast64_t cur = atomic_load_explicit(&gw->buffered,
						 memory_order_relaxed);

	if (r->reserved + n > SMALL_BODY)
		limit -= limit / 8;
	do {
		if (n > limit || cur > limit - n)
			return -1;
	} while (!atomic_compare_exchange_weak(&gw->buffered, &cur,
					       cur + n));
	r->reserved += n;
	return 0;
}

/* The open connections of one client address. */
struct deploy_gateway_client {
	int family;
	unsigned char addr[16];
	unsigned n;
	struct deploy_gateway_client *next;
};

/* One open connection, for the deadline sweep and the admission. */
struct deploy_gateway_conn {
	MHD_socket fd;
	_Atomic int64_t deadline_us;	/* monotonic; 0: none */
	struct sockaddr_storage addr;	/* its client's, for the admission */
	int http;			/* its HTTP thread */
	struct deploy_gateway_conn *prev, *next;
};

static void acceptor_wake(struct deploy_gateway *gw)
{
	uint64_t one = 1;

	if (write(gw->wake_fd, &one, sizeof(one)) < 0)
		return;	/* the counter is full: the acceptor wakes anyway */
}

/* Which HTTP thread's daemon c belongs to. */
static int http_index(struct deploy_gateway *gw, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_DAEMON);

	for (int i = 0; info && i < gw->nhttp; i++)
		if (gw->http[i] == info->daemon)
			return i;
	return 0;
}

/* The bytes of addr's address (not its port), and its family. */
static void client_key(const struct sockaddr *addr, unsigned char key[16],
		       int *family)
{
	*family = addr->sa_family;
	memset(key, 0, 16);
	if (addr->sa_family == AF_INET)
		memcpy(key, &((const struct sockaddr_in *)addr)->sin_addr, 4);
	else if (addr->sa_family == AF_INET6)
		memcpy(key, &((const struct sockaddr_in6 *)addr)->sin6_addr,
		       16);
}

/* Under admit_lock: where addr's entry is, or goes. */
static struct deploy_gateway_client **client_slot(struct deploy_gateway *gw,
						  const struct sockaddr *addr)
{
	uint32_t h;
	unsigned char key[16];
	int family;
	struct deploy_gateway_client **p;

	client_key(addr, key, &family);
	h = 2166136261u ^ (uint32_t)family;
	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	p = &gw->clients[h % DEPLOY_GATEWAY_CLIENT_BUCKETS];
	while (*p && ((*p)->family != family || memcmp((*p)->addr, key, 16)))
		p = &(*p)->next;
	return p;
}

/* Give back the admission of a connection from addr, made by
 * accept_some() to HTTP thread i; wake the acceptor when it waits for
 * the total to go below the cap. */
static void admit_release(struct deploy_gateway *gw,
			  const struct sockaddr *addr, int i)
{
	struct deploy_gateway_client **p, *c;
	int was_full;

	pthread_mutex_lock(&gw->admit_lock);
	p = client_slot(gw, addr);
	c = *p;
	if (c && --c->n == 0) {
		*p = c->next;
		free(c);
	}
	was_full = gw->nconns >= gw->max_connections;
	gw->nconns--;
	gw->http_conns[i]--;
	pthread_mutex_unlock(&gw->admit_lock);
	if (was_full)
		acceptor_wake(gw);
}

/* Accept what waits on the listening socket while the gateway has room:
 * close a connection whose client address is at its cap, hand the
 * others to the HTTP thread with the fewest connections. Returns 1 when
 * accept() is short of descriptors or memory (try again later). */
static int accept_some(struct deploy_gateway *gw)
{
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		struct deploy_gateway_client **p;
		int fd, i, best = 0;

		fd = accept4(gw->listen_fd, (struct sockaddr *)&ss, &len,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return errno == EMFILE || errno == ENFILE ||
			       errno == ENOBUFS || errno == ENOMEM;
		pthread_mutex_lock(&gw->admit_lock);
		p = client_slot(gw, (struct sockaddr *)&ss);
		if (*p && (*p)->n >= gw->max_per_client) {
			pthread_mutex_unlock(&gw->admit_lock);
			close(fd);
			continue;
		}
		if (!*p) {
			*p = xcalloc(1, sizeof(**p));
			client_key((struct sockaddr *)&ss, (*p)->addr,
				   &(*p)->family);
		}
		(*p)->n++;
		for (i = 1; i < gw->nhttp; i++)
			if (gw->http_conns[i] < gw->http_conns[best])
				best = i;
		gw->http_conns[best]++;
		i = ++gw->nconns >= gw->max_connections;
		pthread_mutex_unlock(&gw->admit_lock);
		/* On failure libmicrohttpd closed fd and on_connection never
		 * saw it. */
		if (MHD_add_connection(gw->http[best], fd,
				       (struct sockaddr *)&ss, len) != MHD_YES)
			admit_release(gw, (struct sockaddr *)&ss, best);
		if (i)
			return 0;
	}
}

/* The acceptor thread: accepts while the open connections are below the
 * cap; at the cap, new ones wait in the listen queue until one closes. */
static void *acceptor(void *arg)
{
	struct deploy_gateway *gw = arg;
	int starved = 0;

	while (!atomic_load(&gw->accept_stop)) {
		struct pollfd p[2] = { { gw->wake_fd, POLLIN, 0 },
				       { gw->listen_fd, POLLIN, 0 } };
		int full;

		pthread_mutex_lock(&gw->admit_lock);
		full = gw->nconns >= gw->max_connections;
		pthread_mutex_unlock(&gw->admit_lock);
		if (poll(p, full || starved ? 1 : 2, starved ? 100 : -1) < 0)
			continue;
		if (p[0].revents & POLLIN) {
			uint64_t v;

			if (read(gw->wake_fd, &v, sizeof(v)) < 0)
				continue;
		}
		starved = 0;
		if (!full && (p[1].revents & POLLIN))
			starved = accept_some(gw);
	}
	return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *c,
			  void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct deploy_gateway *gw = cls;
	struct deploy_gateway_conn *k = *socket_context;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *info = MHD_get_connection_info(
			c, MHD_CONNECTION_INFO_CONNECTION_FD), *addr;

		k = xcalloc(1, sizeof(*k));
		k->fd = info ? info->connect_fd : MHD_INVALID_SOCKET;
		k->http = http_index(gw, c);
		addr = MHD_get_connection_info(c,
			MHD_CONNECTION_INFO_CLIENT_ADDRESS);
		if (addr && addr->client_addr)
			memcpy(&k->addr, addr->client_addr,
			       addr->client_addr->sa_family == AF_INET6 ?
			       sizeof(struct sockaddr_in6) :
			       sizeof(struct sockaddr_in));
		else
			k->addr.ss_family = AF_UNSPEC;
		atomic_init(&k->deadline_us, time_mono_us() +
			    gw->header_timeout_us);
		pthread_mutex_lock(&gw->conns_lock);
		k->next = gw->conns;
		if (k->next)
			k->next->prev = k;
		gw->conns = k;
		pthread_mutex_unlock(&gw->conns_lock);
		*socket_context = k;
		return;
	}
	if (!k)
		return;
	pthread_mutex_lock(&gw->conns_lock);
	if (k->prev)
		k->prev->next = k->next;
	else
		gw->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&gw->conns_lock);
	admit_release(gw, (struct sockaddr *)&k->addr, k->http);
	free(k);
	*socket_context = NULL;
}

/* Give c a deadline us from now (0: none) to send what it owes. */
static void conn_deadline(struct MHD_Connection *c, int64_t us)
{
	const union MHD_ConnectionInfo *info = MHD_get_connection_info(c,
		MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	struct deploy_gateway_conn *k = info ? info->socket_context : NULL;

	if (k)
		atomic_store_explicit(&k->deadline_us, us ? time_mono_us() +
				      us : 0, memory_order_relaxed);
}

/* How long past its deadline a connection whose bytes waited unread is
 * given, from the last sweep that saw them waiting, for its thread to
 * read and parse them. */
#define UNREAD_GRACE_US (1 * TIME_US_PER_SEC)

/* 1 when bytes the client of socket fd sent wait unread in the socket:
 * then its HTTP thread is behind (a long prediction on it, a loaded
 * machine), not the client. */
static int unread_bytes(MHD_socket fd)
{
	int n = 0;

	return ioctl(fd, FIONREAD, &n) == 0 && n > 0;
}

/* Close every connection past its deadline. A deadline measures the
 * client: one whose bytes wait unread is not closed but given
 * UNREAD_GRACE_US from now, so that a connection queued behind a busy
 * thread counts its time from when the thread reads it, and a client
 * that trickles bytes is still closed once they are read. shutdown()
 * ends its stream, so its libmicrohttpd thread closes it; the lock keeps
 * the socket from being closed and its number reused meanwhile, as
 * libmicrohttpd tells on_connection before it closes a socket. */
static void conns_sweep(struct deploy_gateway *gw)
{
	int64_t now = time_mono_us();

	pthread_mutex_lock(&gw->conns_lock);
	for (struct deploy_gateway_conn *k = gw->conns; k; k = k->next) {
		int64_t d = atomic_load_explicit(&k->deadline_us,
						 memory_order_relaxed);

		if (!d || now < d || k->fd == MHD_INVALID_SOCKET)
			continue;
		if (unread_bytes(k->fd)) {
			/* Unless its thread set a new deadline meanwhile. */
			atomic_compare_exchange_strong(&k->deadline_us, &d,
						       now + UNREAD_GRACE_US);
			continue;
		}
		shutdown(k->fd, SHUT_RDWR);
		atomic_store_explicit(&k->deadline_us, 0,
				      memory_order_relaxed);
		atomic_fetch_add_explicit(&gw->timed_out, 1,
					  memory_order_relaxed);
	}
	pthread_mutex_unlock(&gw->conns_lock);
}

/* Answer a request that has no context (no body read). */
static enum MHD_Result quick_fail(struct deploy_gateway *gw,
				  struct MHD_Connection *c, int status,
				  const char *msg)
{
	struct buf b = BUF_INIT;
	enum MHD_Result ret;

	deploy_gateway_metrics_count(&gw->unrouted, status, 0);
	error_body(&b, error_kind(status), msg);
	ret = respond(c, status, b.s, b.len, "application/json", NULL, 1);
	buf_release(&b);
	return ret;
}

struct id_headers {
	int n;
	const char *value;
};

static enum MHD_Result count_ids(void *cls, enum MHD_ValueKind kind,
				 const char *key, const char *value)
{
	struct id_headers *h = cls;

	(void)kind;
	if (strcasecmp(key, DEPLOY_INFERENCE_ID_HEADER) == 0) {
		h->n++;
		h->value = value;
	}
	return MHD_YES;
}

/* The request's inference id into r->inference_id ("" when it names
 * none): 0, or -1 with msg set when the header is repeated or its value
 * is not one (it goes into capture files and the labels' joins, so
 * nothing but a short printable name is taken). */
static int take_inference_id(struct gw_req *r, char *msg, size_t size)
{
	struct id_headers h = { 0, NULL };

	r->inference_id[0] = '\0';
	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, count_ids, &h);
	if (h.n == 0)
		return 0;
	if (h.n > 1) {
		snprintf(msg, size, "several %s headers",
			 DEPLOY_INFERENCE_ID_HEADER);
		return -1;
	}
	if (!h.value || !deploy_capture_inference_id_valid(h.value)) {
		snprintf(msg, size, "%s must be 1 to %d printable ASCII "
			 "characters, the first not a space",
			 DEPLOY_INFERENCE_ID_HEADER, DEPLOY_INFERENCE_ID_MAX);
		return -1;
	}
	memcpy(r->inference_id, h.value, strlen(h.value) + 1);
	return 0;
}

/* Check the request's API key against the endpoint's, in constant time
 * for each stored key and over all of them. An endpoint that needs a
 * key and has none refuses every request. */
static int key_ok(struct MHD_Connection *c,
		  const struct deploy_gateway_endpoint_conf *conf)
{
	const char *key = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						      "X-Api-Key");
	const char *auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
						       "Authorization");
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok = 0;

	if (!conf->key_required)
		return 1;
	if (!key && auth && strncasecmp(auth, "Bearer ", 7) == 0)
		key = auth + 7;
	if (!key || EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha256(),
			       NULL) != 1 || mdlen != 32)
		return 0;
	for (size_t i = 0; i < conf->nkeys; i++)
		ok |= hash_equal_ct(md, conf->keys[i], 32);
	return ok;
}

static void job_done(struct deploy_pool_job *job)
{
	struct gw_req *r = job->arg;

	atomic_store_explicit(&r->state, REQ_DONE, memory_order_release);
	MHD_resume_connection(r->conn);
}

static enum MHD_Result invoke_xgboost(struct gw_req *r)
{
	const char *type = NULL;
	char msg[1024];
	int status = deploy_answer_xgb(r->ver->xgb, r->ctype, r->body.s,
				   r->body.len, &r->rows, &r->pred, &r->out,
				   &type, msg, sizeof(msg));

	if (status != 200)
		return req_fail(r, status, "%s", msg);
	return req_finish(r, 200, r->out.s, r->out.len, type);
}

static enum MHD_Result invoke_worker(struct gw_req *r)
{
	struct deploy_gateway_endpoint *ep = r->ep;
	struct deploy_gateway_endpoint_conf *conf =
		atomic_load_explicit(&ep->conf, memory_order_acquire);
	long n = atomic_fetch_add(&ep->inflight, 1);

	if (n >= conf->set.max_concurrency) {
		atomic_fetch_sub(&ep->inflight, 1);
		return req_fail(r, 429, "endpoint '%s' is at its maximum "
				"concurrency (%d)", ep->name,
				conf->set.max_concurrency);
	}
	r->counted_inflight = 1;
	r->job.body = r->body.s;
	r->job.len = r->body.len;
	r->job.content_type = r->ctype;
	r->job.deadline_us = r->t0 + r->timeout_us;
	r->job.done = job_done;
	r->job.arg = r;
	r->job.status = 0;
	atomic_store(&r->state, REQ_WAITING);
	MHD_suspend_connection(r->conn);
	deploy_pool_submit(r->ver->pool, &r->job);
	return MHD_YES;
}

/* The whole body is in: predict, or hand over to the workers. */
static enum MHD_Result invoke(struct gw_req *r)
{
	conn_deadline(r->conn, 0);
	if (r->over_budget)
		return req_fail_full(r);
	if (r->too_big)
		return req_fail(r, 413, "the body exceeds the endpoint's "
				"maximum payload of %llu bytes",
				(unsigned long long)r->max_payload);
	r->ver = atomic_load_explicit(&r->ep->active, memory_order_acquire);
	if (!r->ver)
		return req_fail(r, 404, "no endpoint '%s'", r->ep->name);
	atomic_fetch_add(&r->ver->inflight, 1);
	if (r->ver->error)
		return req_fail(r, 503, "%s", r->ver->error);
	if (r->body.len == 0)
		return req_fail(r, 400, "empty body");
	if (r->ver->kind == DEPLOY_GATEWAY_XGBOOST)
		return invoke_xgboost(r);
	return invoke_worker(r);
}

/* After the worker answered and the connection was resumed. */
static enum MHD_Result invoke_done(struct gw_req *r)
{
	struct deploy_pool_job *j = &r->job;

	if (j->status != 200) {
		int64_t us = time_mono_us() - r->t0;
		enum MHD_Result ret;

		deploy_gateway_metrics_count(&r->ep->n, j->status, us);
		ret = respond(r->conn, j->status, j->out.s, j->out.len,
			      j->out_type, r->ver->ref, 0);
		req_mirror(r, j->status, j->out.s, j->out.len, us);
		return ret;
	}
	return req_finish(r, 200, j->out.s, j->out.len, j->out_type);
}

/* Headers are in: route, authenticate, size-check. */
static enum MHD_Result begin_invoke(struct deploy_gateway *gw,
				    struct MHD_Connection *c,
				    const char *name, size_t name_len,
				    void **con_cls)
{
	const char *len_hdr, *ctype;
	struct deploy_gateway_endpoint *ep =
		deploy_gateway_routes_lookup(gw, name, name_len);
	struct deploy_gateway_endpoint_conf *conf;
	struct gw_req *r;
	char msg[160];

	if (!ep || !atomic_load(&ep->active)) {
		snprintf(msg, sizeof(msg), "no endpoint '%.*s'",
			 (int)(name_len > 100 ? 100 : name_len), name);
		return quick_fail(gw, c, 404, msg);
	}
	r = req_get(gw);
	*con_cls = r;
	atomic_fetch_add(&gw->inflight, 1);
	r->ep = ep;
	r->conn = c;
	r->t0 = time_mono_us();
	r->t0_real = time_now_us();
	conf = atomic_load_explicit(&ep->conf, memory_order_acquire);
	r->max_payload = conf->set.max_payload;
	r->timeout_us = conf->set.timeout_us;
	r->capture = conf->capture_all ||
		(conf->capture_below && (uint32_t)(id_fast_rand64() >> 32) <
		 conf->capture_below);
	ctype = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					    MHD_HTTP_HEADER_CONTENT_TYPE);
	snprintf(r->ctype, sizeof(r->ctype), "%s", ctype ? ctype : "text/csv");
	if (!key_ok(c, conf))
		return req_fail(r, 401, "a valid API key is required "
				"(Authorization: Bearer KEY or X-Api-Key)");
	if (take_inference_id(r, msg, sizeof(msg)) < 0)
		return req_fail(r, 400, "%s", msg);
	len_hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
					      MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (len_hdr && strtoull(len_hdr, NULL, 10) > r->max_payload) {
		r->too_big = 1;
		return invoke(r);
	}
	/* Reserve a declared body whole, before a byte of it is read. */
	if (len_hdr) {
		uint64_t n = strtoull(len_hdr, NULL, 10);

		if (reserve(r, n) < 0)
			return req_fail_full(r);
		buf_grow(&r->body, (size_t)n);
	}
	return MHD_YES;
}

/* Marks a GET of /ping, /endpoints or /metrics between its two calls. */
static char deferred_get;

/* GET /ping, /endpoints or /metrics. */
static enum MHD_Result serve_get(struct deploy_gateway *gw,
				 struct MHD_Connection *c, const char *url)
{
	struct buf b = BUF_INIT;
	enum MHD_Result ret;
	const char *type = "application/json";

	if (url[1] == 'e') {
		deploy_gateway_metrics_render_endpoints(gw, &b);
	} else if (url[1] == 'm') {
		deploy_gateway_metrics_render(gw, &b);
		type = "text/plain; version=0.0.4";
	} else {
		type = NULL;
	}
	ret = respond(c, 200, b.s, b.len, type, NULL, 1);
	buf_release(&b);
	return ret;
}

/* How the request says its body is framed. */
struct framing {
	int nlength, nencoding;
	const char *length, *encoding;
};

static enum MHD_Result count_framing(void *cls, enum MHD_ValueKind kind,
				     const char *key, const char *value)
{
	struct framing *f = cls;

	(void)kind;
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0) {
		f->nlength++;
		f->length = value;
	} else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0) {
		f->nencoding++;
		f->encoding = value;
	}
	return MHD_YES;
}

/* Refuse a body whose end two parsers could see in different places
 * (RFC 9112 section 6.3), which would let it smuggle a request past
 * whatever sits in front of the gateway, and a transfer coding other
 * than chunked, whose end libmicrohttpd cannot find. Answered on the
 * first call, so libmicrohttpd closes the connection after it. Sets
 * *has_body. */
static enum MHD_Result check_framing(struct deploy_gateway *gw,
				     struct MHD_Connection *c, int *has_body,
				     int *refused)
{
	struct framing f = { 0 };
	char msg[200];

	MHD_get_connection_values(c, MHD_HEADER_KIND, count_framing, &f);
	*has_body = f.nencoding || (f.length && strcmp(f.length, "0") != 0);
	*refused = 1;
	if (f.nlength > 1)
		return quick_fail(gw, c, 400, "several Content-Length headers");
	if (f.nencoding > 1 || (f.nencoding &&
	    strcasecmp(f.encoding, "chunked") != 0)) {
		snprintf(msg, sizeof(msg), "Transfer-Encoding '%.100s' is not "
			 "supported: send the body as it is, or chunked",
			 f.nencoding > 1 ? "(several headers)" : f.encoding);
		return quick_fail(gw, c, 501, msg);
	}
	if (f.nlength && f.nencoding)
		return quick_fail(gw, c, 400, "both Content-Length and "
				  "Transfer-Encoding");
	*refused = 0;
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	struct deploy_gateway *gw = cls;
	struct gw_req *r = *con_cls;
	size_t ulen = strlen(url);
	int is_post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
	int is_get = strcmp(method, MHD_HTTP_METHOD_GET) == 0;
	int has_body, refused;
	enum MHD_Result ret;

	(void)version;
	if (*con_cls == &deferred_get) {
		/* Answered on the second call: queued on the first, MHD
		 * would close the connection. */
		*con_cls = NULL;
		return serve_get(gw, c, url);
	}
	if (r) {
		int state = atomic_load_explicit(&r->state,
						 memory_order_acquire);

		if (state == REQ_DONE)
			return invoke_done(r);
		if (*upload_size) {
			size_t n = *upload_size;

			*upload_size = 0;
			if (r->body.len + n > r->max_payload)
				r->too_big = 1;
			if (!r->too_big && !r->over_budget &&
			    r->body.len + n > r->reserved &&
			    reserve(r, r->body.len + n - r->reserved) < 0)
				r->over_budget = 1;
			if (!r->too_big && !r->over_budget) {
				buf_add(&r->body, upload, n);
				return MHD_YES;
			}
			/* Skip the rest, to answer 413 or 503 at its
			 * end; a body that does not end (chunked) is cut
			 * off once MAX_SKIP bytes were skipped. */
			r->skipped += n;
			if (r->skipped > MAX_SKIP) {
				deploy_gateway_metrics_count(&r->ep->n,
					r->too_big ? 413 : 503,
					time_mono_us() - r->t0);
				return MHD_NO;
			}
			return MHD_YES;
		}
		return invoke(r);
	}
	/* The first call, with the headers only. */
	conn_deadline(c, gw->body_timeout_us);
	ret = check_framing(gw, c, &has_body, &refused);
	if (refused)
		return ret;
	if (ulen > strlen(INVOKE_PREFIX) + strlen(INVOKE_SUFFIX) &&
	    strncmp(url, INVOKE_PREFIX, strlen(INVOKE_PREFIX)) == 0 &&
	    strcmp(url + ulen - strlen(INVOKE_SUFFIX), INVOKE_SUFFIX) == 0) {
		const char *name = url + strlen(INVOKE_PREFIX);
		size_t nlen = ulen - strlen(INVOKE_PREFIX) -
			      strlen(INVOKE_SUFFIX);

		if (!is_post)
			return quick_fail(gw, c, 405, "invocations take POST");
		if (memchr(name, '/', nlen))
			return quick_fail(gw, c, 404, "no such path");
		return begin_invoke(gw, c, name, nlen, con_cls);
	}
	if (strcmp(url, INVOKE_SUFFIX) == 0) {
		const char *name = MHD_lookup_connection_value(c,
			MHD_HEADER_KIND, "X-Mlops-Endpoint");

		if (!is_post)
			return quick_fail(gw, c, 405, "invocations take POST");
		if (!name)
			return quick_fail(gw, c, 400, "POST /invocations needs "
					  "an X-Mlops-Endpoint header");
		return begin_invoke(gw, c, name, strlen(name), con_cls);
	}
	if (strcmp(url, "/ping") == 0 || strcmp(url, "/endpoints") == 0 ||
	    strcmp(url, "/metrics") == 0) {
		if (!is_get)
			return quick_fail(gw, c, 405, "use GET");
		/* A body is not read: answer now, which closes the
		 * connection after the answer. */
		if (has_body)
			return serve_get(gw, c, url);
		*con_cls = &deferred_get;
		return MHD_YES;
	}
	return quick_fail(gw, c, 404, "no such path");
}

static void on_completed(void *cls, struct MHD_Connection *c,
			 void **con_cls, enum MHD_RequestTerminationCode why)
{
	struct deploy_gateway *gw = cls;
	struct gw_req *r = *con_cls;

	(void)why;
	/* The next request's headers are due from now. */
	conn_deadline(c, gw->header_timeout_us);
	if (!r || *con_cls == &deferred_get)
		return;
	atomic_fetch_sub(&gw->buffered, r->reserved);
	if (r->counted_inflight)
		atomic_fetch_sub(&r->ep->inflight, 1);
	if (r->ver)
		atomic_fetch_sub(&r->ver->inflight, 1);
	*con_cls = NULL;
	req_put(r);
	atomic_fetch_sub(&gw->inflight, 1);
}

static int64_t data_version(struct store *st)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	sqlite3_stmt *q = NULL;
	int64_t v = -1;

	/* -1 on an error: the caller takes a changed version as a reason
	 * to reload, which then reports the error. */
	if (store_prepare(st, &q, "PRAGMA data_version", &err) == 0 &&
	    store_step(q, "cannot read the data version", &err) == 1)
		v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

/* This gateway's record in the store (see deploy.h). */
struct gw_self {
	char *path;
	const char *url;
	struct buf last;	/* what the record holds */
};

/* Write the record anew when what the gateway serves has changed. */
static int self_record(struct deploy_gateway *gw, struct gw_self *self,
		       struct mlops_err *err)
{
	struct deploy_gateway_routes *r = atomic_load(&gw->routes);
	size_t n = r ? r->n : 0;
	struct deploy_gateway_record_endpoint *eps =
		xcalloc(n + 1, sizeof(*eps));
	int ret;

	for (size_t i = 0; i < n; i++) {
		struct deploy_gateway_version *v =
			atomic_load(&r->eps[i]->active);
		struct deploy_gateway_endpoint_conf *c =
			atomic_load(&r->eps[i]->conf);

		eps[i].name = r->eps[i]->name;
		eps[i].model = v ? v->ref : NULL;
		eps[i].generation = c->generation;
		eps[i].failed = !v || v->error;
	}
	ret = deploy_gateway_record_write(self->path, &self->last, self->url,
					  eps, n, err);
	free(eps);
	return ret;
}

/* Remove path if it holds url: another gateway may have taken it over. */
static void unlink_if_holds(const char *path, const char *url)
{
	struct buf b = BUF_INIT;

	if (buf_read_file(&b, path, 4096, NULL) == 0 &&
	    strcmp(b.s, url) == 0)
		unlink(path);
	buf_release(&b);
}

/* Finish the capture files stopped gateways left in progress, in hours
 * ending after since_us, and say so in the log. */
static void capture_recover(struct deploy_gateway *gw, int64_t since_us)
{
	struct mlops_err err = MLOPS_ERR_INIT;
	struct deploy_capture_recovery r;
	char *dir = store_path(gw->st, "capture");

	if (deploy_capture_recover(dir, since_us, &r, &err) < 0)
		deploy_gateway_routes_logf(gw, "capture: %s", err.msg);
	if (r.files > 0)
		deploy_gateway_routes_logf(gw, "capture: finished %llu "
			"file(s) a stopped gateway left in progress: %llu "
			"record(s), %llu byte(s) of a cut record dropped",
			(unsigned long long)r.files,
			(unsigned long long)r.records,
			(unsigned long long)r.cut_bytes);
	if (r.removed > 0)
		deploy_gateway_routes_logf(gw, "capture: removed %llu "
			"file(s) a stopped gateway left without a whole "
			"record", (unsigned long long)r.removed);
	free(dir);
}

/* Say in the log that writing capture files failed since last said. */
static void capture_failures_log(struct deploy_gateway *gw)
{
	char last[512];
	uint64_t n = deploy_capture_failures(gw->cap, last, sizeof(last));

	if (n == gw->capture_failures)
		return;
	deploy_gateway_routes_logf(gw, "capture: %llu failure(s) to write "
		"capture files, the last: %s; %llu record(s) dropped in all",
		(unsigned long long)(n - gw->capture_failures), last,
		(unsigned long long)deploy_capture_dropped(gw->cap));
	gw->capture_failures = n;
}

/* How often, and over how many hours back, the files a gateway that
 * stops meanwhile leaves are looked for (all hours once, at the start). */
#define RECOVER_EVERY_US (60 * TIME_US_PER_SEC)
#define RECOVER_HOURS_US (2 * 3600 * TIME_US_PER_SEC)

/* Serve until SIGTERM/SIGINT: reload on change or SIGHUP, sweep what
 * is retired, write counters every two seconds, call on_tick every
 * second, finish stopped gateways' capture files every minute. */
static void control_loop(struct deploy_gateway *gw, const sigset_t *sigs,
			 struct gw_self *self)
{
	const struct timespec tick = { 0, 200000000 };
	int64_t seen = data_version(gw->st), last_flush = time_mono_us();
	int64_t last_tick = 0, last_recover = time_mono_us();

	capture_recover(gw, INT64_MIN);

	for (;;) {
		struct mlops_err err = MLOPS_ERR_INIT;
		int sig = sigtimedwait(sigs, NULL, &tick);
		int64_t v = data_version(gw->st);
		int changed = 0;

		if (sig == SIGTERM || sig == SIGINT)
			break;
		if (gw->conf->on_tick &&
		    time_mono_us() - last_tick >= TIME_US_PER_SEC) {
			changed = gw->conf->on_tick(gw->conf->arg, gw->st,
						    &err);
			if (changed < 0)
				deploy_gateway_routes_logf(gw, "%s", err.msg);
			last_tick = time_mono_us();
		}
		if (sig == SIGHUP || v != seen || changed > 0) {
			seen = v;
			if (deploy_gateway_routes_reload(gw, &err) < 0 &&
			    gw->conf->log)
				fprintf(gw->conf->log, "mlops-deploy: reload: "
					"%s\n", err.msg);
			if (self_record(gw, self, &err) < 0 && gw->conf->log)
				fprintf(gw->conf->log, "mlops-deploy: %s\n",
					err.msg);
		}
		deploy_gateway_routes_retire_sweep(gw, 0);
		conns_sweep(gw);
		if (time_mono_us() - last_flush >= 2 * TIME_US_PER_SEC) {
			deploy_gateway_routes_flush_stats(gw);
			deploy_gateway_record_touch(self->path);
			capture_failures_log(gw);
			last_flush = time_mono_us();
		}
		if (time_mono_us() - last_recover >= RECOVER_EVERY_US) {
			capture_recover(gw, time_now_us() - RECOVER_HOURS_US);
			last_recover = time_mono_us();
		}
	}
}

/* Stop accepting (new connections are refused once the listening socket
 * is closed) and wait for the acceptor thread to end. */
static void acceptor_stop(struct deploy_gateway *gw, int *accepting)
{
	if (*accepting) {
		atomic_store(&gw->accept_stop, 1);
		acceptor_wake(gw);
		pthread_join(gw->acceptor, NULL);
		*accepting = 0;
	}
	if (gw->listen_fd >= 0)
		close(gw->listen_fd);
	gw->listen_fd = -1;
}

static int thread_count(int asked)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (asked > 0)
		return asked;
	return n > 0 ? (int)n : 1;
}

int deploy_gateway_run(const struct deploy_gateway_conf *conf,
		       struct mlops_err *err)
{
	struct deploy_gateway gw = { 0 };
	struct gw_self self = { NULL, NULL, BUF_INIT };
	sigset_t sigs;
	char *url = NULL, *capdir = NULL, *urlfile = NULL;
	int accepting = 0, ret, i;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	gw.conf = conf;
	gw.max_connections = conf->max_connections ? conf->max_connections :
			     DEPLOY_GATEWAY_DEFAULT_MAX_CONNECTIONS;
	gw.max_per_client = conf->max_per_client ? conf->max_per_client :
			    DEPLOY_GATEWAY_DEFAULT_MAX_PER_CLIENT;
	gw.header_timeout_us = conf->header_timeout_us > 0 ?
		conf->header_timeout_us :
		DEPLOY_GATEWAY_DEFAULT_HEADER_TIMEOUT_US;
	gw.body_timeout_us = conf->body_timeout_us > 0 ?
		conf->body_timeout_us : DEPLOY_GATEWAY_DEFAULT_BODY_TIMEOUT_US;
	gw.max_buffered = conf->max_buffered ? conf->max_buffered :
			  DEPLOY_GATEWAY_DEFAULT_MAX_BUFFERED;
	pthread_mutex_init(&gw.cold_lock, NULL);
	pthread_mutex_init(&gw.conns_lock, NULL);
	pthread_mutex_init(&gw.admit_lock, NULL);
	gw.clients = xcalloc(DEPLOY_GATEWAY_CLIENT_BUCKETS,
			     sizeof(*gw.clients));
	gw.nhttp = thread_count(conf->threads);
	gw.http = xcalloc((size_t)gw.nhttp, sizeof(*gw.http));
	gw.http_conns = xcalloc((size_t)gw.nhttp, sizeof(*gw.http_conns));
	gw.listen_fd = -1;
	gw.wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (gw.wake_fd < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "eventfd");
		goto out;
	}
	ret = store_open_dir(&gw.st, conf->store_dir, "mlops-deploy", err);
	if (ret < 0)
		goto out;
	/* Bind first: a port in use is reported before any model loads. */
	if ((gw.listen_fd = net_listen(conf->listen, &url, err)) < 0) {
		ret = gw.listen_fd;
		goto out;
	}
	/* The acceptor accepts until there is nothing left. */
	if (fcntl(gw.listen_fd, F_SETFL, fcntl(gw.listen_fd, F_GETFL) |
		  O_NONBLOCK) < 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "listen on %s", conf->listen);
		goto out;
	}
	if ((ret = deploy_gateway_routes_reload(&gw, err)) < 0)
		goto out;
	capdir = store_path(gw.st, "capture");
	if ((ret = deploy_capture_start(&gw.cap, capdir, CAPTURE_QUEUE,
					err)) < 0)
		goto out;
	/* The record before the first answer and before on_ready: once
	 * /ping answers or serve returns, describe and stop see us. */
	deploy_gateway_record_prune(gw.st->dir);
	self.path = deploy_gateway_record_own_path(gw.st->dir);
	self.url = url;
	if ((ret = self_record(&gw, &self, err)) < 0)
		goto out;
	/* One daemon per HTTP thread, each one epoll loop without a
	 * listening socket: the acceptor hands each connection to the one
	 * with the fewest (threads sharing one listening socket let
	 * whichever wakes first take a burst of connections all), and
	 * keeps the caps on connections across them. */
	for (i = 0; i < gw.nhttp; i++) {
		gw.http[i] = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD |
			MHD_USE_TURBO | MHD_ALLOW_SUSPEND_RESUME |
			MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET, 0, NULL, NULL,
			on_request, &gw,
			MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
			MHD_OPTION_CONNECTION_LIMIT, gw.max_connections,
			MHD_OPTION_NOTIFY_COMPLETED, on_completed, &gw,
			MHD_OPTION_NOTIFY_CONNECTION, on_connection, &gw,
			MHD_OPTION_END);
		if (!gw.http[i]) {
			ret = mlops_err_set(err, MLOPS_EINTERNAL, "cannot "
					    "start the HTTP server on %s",
					    conf->listen);
			goto out;
		}
	}
	if ((errno = pthread_create(&gw.acceptor, NULL, acceptor,
				    &gw)) != 0) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno, "cannot "
				      "start the acceptor thread");
		goto out;
	}
	accepting = 1;
	urlfile = store_path(gw.st, "gateway.url");
	fs_write_file_atomic(urlfile, url, strlen(url), NULL);
	if (conf->log)
		fprintf(conf->log, "mlops-deploy: listening on %s with %d "
			"threads\n", url, gw.nhttp);
	if (conf->on_ready)
		conf->on_ready(conf->arg, url);
	control_loop(&gw, &sigs, &self);
	/* Drain: stop accepting, let in-flight requests finish. */
	{
		int64_t give_up = time_mono_us() + gw.max_timeout_us +
				  5 * TIME_US_PER_SEC;
		acceptor_stop(&gw, &accepting);
		while (atomic_load(&gw.inflight) > 0 &&
		       time_mono_us() < give_up)
			usleep(10000);
		if (conf->log)
			fprintf(conf->log, "mlops-deploy: stopped\n");
	}
	ret = 0;
out:
	acceptor_stop(&gw, &accepting);
	for (i = 0; gw.http && i < gw.nhttp; i++)
		if (gw.http[i])
			MHD_stop_daemon(gw.http[i]);
	if (gw.wake_fd >= 0)
		close(gw.wake_fd);
	if (urlfile)
		unlink_if_holds(urlfile, url);
	if (self.path)
		unlink(self.path);
	if (gw.st && ret == 0)
		deploy_gateway_routes_flush_stats(&gw);
	if (gw.cap) {
		deploy_capture_finish(gw.cap);
		capture_failures_log(&gw);
	}
	deploy_capture_stop(gw.cap);
	deploy_gateway_routes_retire_sweep(&gw, 1);
	deploy_gateway_routes_free_all(&gw);
	reqs_free_all();
	free(gw.cold);
	store_close(gw.st);
	pthread_mutex_destroy(&gw.cold_lock);
	pthread_mutex_destroy(&gw.conns_lock);
	pthread_mutex_destroy(&gw.admit_lock);
	for (i = 0; gw.clients && i < DEPLOY_GATEWAY_CLIENT_BUCKETS; i++)
		while (gw.clients[i]) {
			struct deploy_gateway_client *c = gw.clients[i];

			gw.clients[i] = c->next;
			free(c);
		}
	free(gw.clients);
	free(gw.http);
	free(gw.http_conns);
	curl_global_cleanup();
	free(url);
	free(capdir);
	free(urlfile);
	free(self.path);
	buf_release(&self.last);
	return ret;
}
