/* deploy.h - the public interface of lib/deploy, what cmd/, tests and
 * other domains include: endpoints and their keys, the HTTP gateway that
 * serves them, the gateway records that say which gateway is alive, and
 * data capture. The other headers of lib/deploy are private to it. */
#ifndef MLOPS_DEPLOY_H
#define MLOPS_DEPLOY_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/hash.h"
#include "core/store.h"

/* endpoint.c: inference endpoints as the store keeps them: which model
 * version each serves (and which it replaced, for rollback), its
 * serverless settings, its API keys (SHA-256 only), and the counters a
 * running gateway writes back. Changes bump the endpoint's generation,
 * which is how gateways notice them, and emit "Endpoint State Change"
 * events (source mlops.deploy) in the same transaction. Auditing is the
 * caller's, after commit. */

#define DEPLOY_ENDPOINT_SOURCE "mlops.deploy"
#define DEPLOY_ENDPOINT_KEY_LEN 52	/* "mlk_" + 48 hex digits */

struct deploy_endpoint_settings {
	int max_concurrency;		/* 1-200 */
	int memory_mb;			/* 1024-6144 */
	int provisioned;		/* 0-max_concurrency */
	int64_t idle_timeout_us;
	int64_t timeout_us;
	double capture_pct;		/* 0-100 */
	uint64_t max_payload;		/* bytes */
};

/* max 10, 2048 MB, none provisioned, idle 60 s, timeout 60 s, no
 * capture, 4 MB payloads: SageMaker's serverless defaults and limits. */
void deploy_endpoint_settings_default(struct deploy_endpoint_settings *s);
/* Check ranges; MLOPS_EUSAGE naming the option. */
int deploy_endpoint_settings_check(const struct deploy_endpoint_settings *s,
			    struct mlops_err *err);

/* One deployed model version. */
struct deploy_endpoint_model {
	char *ref;		/* "GROUP/N"; NULL for no model */
	char *framework;	/* "xgboost" | "exec" | "http" */
	char *entry;		/* command, or NULL */
	char *model_dir;	/* store-relative folder of its artifacts */
	char *artifact;		/* the model file (xgboost), or NULL */
};

struct deploy_endpoint {
	char *name;
	struct deploy_endpoint_model cur, prev;
	struct deploy_endpoint_settings set;
	int64_t generation, created_us, updated_us;
	char *created_by;
	int key_required;		/* 0: public; 1: needs one of keys */
	size_t nkeys;
	unsigned char (*keys)[32];	/* SHA-256 of each API key */
	/* Counters from the last gateway that served it (stats_us 0: none). */
	int64_t requests, errors, cold_starts, captured, capture_dropped;
	int64_t stats_us, last_cold_start_us;
	/* Its latency histogram, {bounds_us, counts, sum_us} (see
	 * share/sql/0016-endpoint-latency.sql), or NULL: none written. */
	json_t *latency;
};

/* What to deploy, as the registry resolved it. */
struct deploy_endpoint_artifact {
	const char *name;
	const char *hash;
};
struct deploy_endpoint_source {
	const char *ref;		/* "GROUP/N" */
	const char *framework, *entry;
	size_t nartifacts;
	const struct deploy_endpoint_artifact *artifacts;
};

/* Export src's artifacts into endpoints/NAME/GROUP-N/ (blobs verified on
 * the way out) and describe the result in *m, which the caller releases
 * with deploy_endpoint_model_release, also on failure. */
int deploy_endpoint_materialise(struct store *st, const char *name,
				const struct deploy_endpoint_source *src,
				struct deploy_endpoint_model *m,
				struct mlops_err *err);
void deploy_endpoint_model_release(struct deploy_endpoint_model *m);
/* Remove dir and everything below it (materialised artifacts). */
void deploy_endpoint_remove_tree(const char *dir);

/* 1 when name may name an endpoint: [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}. */
int deploy_endpoint_valid_name(const char *name);

/* Create endpoint name serving src, materialising its artifacts from the
 * object store into endpoints/NAME/. MLOPS_ENOTFOUND when it exists. */
int deploy_endpoint_create(struct store *st, const char *name,
			   const struct deploy_endpoint_settings *set,
			   const struct deploy_endpoint_source *src,
			   struct mlops_err *err);
/* Serve src instead; the current version becomes the one kept for
 * rollback. */
int deploy_endpoint_update(struct store *st, const char *name,
			   const struct deploy_endpoint_source *src,
			   struct mlops_err *err);
/* deploy_endpoint_update inside the caller's open transaction (which it
 * neither commits nor rolls back). */
int deploy_endpoint_update_txn(struct store *st, const char *name,
			       const struct deploy_endpoint_source *src,
			       struct mlops_err *err);
/* Change the serverless settings of name (checked as on create); a
 * running gateway applies them at its next reload. MLOPS_ENOTFOUND when
 * there is no such endpoint. */
int deploy_endpoint_set_settings(struct store *st, const char *name,
				 const struct deploy_endpoint_settings *set,
				 struct mlops_err *err);
/* Swap the current and the previous version. MLOPS_ENOTFOUND when there
 * is no previous version. */
int deploy_endpoint_rollback(struct store *st, const char *name,
		      struct mlops_err *err);
/* Delete the endpoint, its keys and its materialised artifacts (captured
 * data is kept). */
int deploy_endpoint_delete(struct store *st, const char *name,
		    struct mlops_err *err);

/* Make a new API key for name: key gets DEPLOY_ENDPOINT_KEY_LEN characters
 * (shown once); only its SHA-256 is stored. A key bound to persona (not
 * NULL) opens the endpoint only while the persona holds deploy.invoke
 * or the store has no grant; MLOPS_ENOTFOUND when it does not hold it
 * now. */
int deploy_endpoint_key_create(struct store *st, const char *name,
			       const char *persona,
			       char key[DEPLOY_ENDPOINT_KEY_LEN + 1],
			       struct mlops_err *err);

/* Set name's key policy: key_required 1 refuses requests without a
 * valid key (all of them when it has no key); 0 makes it public, which
 * is MLOPS_ENOTFOUND while it has keys. Creating a key sets it to 1;
 * revoking keys never changes it. */
int deploy_endpoint_set_auth(struct store *st, const char *name,
			     int key_required, struct mlops_err *err);

/* Revoke the key of name whose id (its first 8 hex digits after "mlk_")
 * is id. MLOPS_ENOTFOUND when there is none. */
int deploy_endpoint_key_delete(struct store *st, const char *name,
			       const char *id, struct mlops_err *err);
/* Call fn(id, created_us, created_by, persona) for each key of name,
 * oldest first; persona is NULL for a key bound to none. */
int deploy_endpoint_key_each(struct store *st, const char *name,
		      void (*fn)(const char *id, int64_t created_us,
				 const char *created_by, const char *persona,
				 void *arg),
		      void *arg, struct mlops_err *err);

/* Load one endpoint (with keys and counters); MLOPS_ENOTFOUND. */
int deploy_endpoint_get(struct store *st, const char *name,
			struct deploy_endpoint **out, struct mlops_err *err);
/* Load all, sorted by name. */
int deploy_endpoint_list(struct store *st, struct deploy_endpoint ***out,
			 size_t *n, struct mlops_err *err);
void deploy_endpoint_free(struct deploy_endpoint *e);
void deploy_endpoint_list_free(struct deploy_endpoint **eps, size_t n);
struct deploy_gateway_record;
/* Endpoint e as `mlops-deploy describe --json` prints it, its status
 * from the n live gateway records recs (deploy_gateway_record_list).
 * The caller owns the result. */
json_t *deploy_endpoint_json(const struct deploy_endpoint *e,
			     const struct deploy_gateway_record *recs,
			     size_t n);

/* The q-quantile (0 <= q <= 1) of a latency histogram as
 * deploy_endpoint's latency holds it, in milliseconds: interpolated
 * linearly inside the bucket that holds the rank, as Prometheus's
 * histogram_quantile does (so it is as exact as the buckets are fine);
 * a rank in the +Inf bucket gives the largest finite bound. NaN for
 * NULL, a malformed histogram, or one with no request. */
double deploy_endpoint_latency_quantile(const json_t *latency, double q);

/* For gateways: write back counters, and record one cold start. */
int deploy_endpoint_stats_put(struct store *st, const struct deploy_endpoint *e,
		       struct mlops_err *err);
int deploy_endpoint_cold_start_add(struct store *st, const char *name,
			    const char *model, int64_t time_us,
			    int64_t duration_us, struct mlops_err *err);

/* gateway.c: the HTTP gateway that serves every endpoint of a store
 * (`mlops-deploy serve`): POST /endpoints/NAME/invocations (or
 * /invocations with X-Mlops-Endpoint), GET /ping, GET /endpoints (JSON),
 * GET /metrics (Prometheus text).
 *
 * One libmicrohttpd epoll thread per core by default; an acceptor thread
 * hands each new connection to the one with the fewest, under the caps
 * on connections (in all, per client address).
 * xgboost endpoints are predicted on those threads, with no lock and no
 * allocation per request once warm; exec and http endpoints suspend the
 * connection and hand the request to their worker pool, so a slow model
 * never holds a gateway thread. The gateway rereads the endpoint table
 * when the store changes (or on SIGHUP) and switches models blue/green:
 * a new version gets traffic once it answers, the old one drains. */

#define DEPLOY_GATEWAY_DEFAULT_MAX_CONNECTIONS 10000
#define DEPLOY_GATEWAY_DEFAULT_MAX_PER_CLIENT 256
#define DEPLOY_GATEWAY_DEFAULT_HEADER_TIMEOUT_US (30 * INT64_C(1000000))
#define DEPLOY_GATEWAY_DEFAULT_BODY_TIMEOUT_US (60 * INT64_C(1000000))
#define DEPLOY_GATEWAY_DEFAULT_MAX_BUFFERED ((uint64_t)256 << 20)

struct deploy_gateway_conf {
	const char *store_dir;	/* the .mlops directory */
	const char *listen;	/* "127.0.0.1:8080"; port 0 picks one */
	int threads;		/* 0: one per core */
	/* Limits against clients that hold connections or memory (0 takes
	 * the GATEWAY_DEFAULT_* value). A connection must send a request's
	 * headers within header_timeout_us of opening or of its previous
	 * answer, and the body within body_timeout_us of the headers,
	 * whatever trickles in, else it is closed. Bodies buffered across
	 * all connections stay under max_buffered bytes: past it, 503. */
	unsigned max_connections, max_per_client;
	int64_t header_timeout_us, body_timeout_us;
	uint64_t max_buffered;
	FILE *log;		/* where to log, one line per event */
	/* Called once listening, with the base URL ("http://host:port"). */
	void (*on_ready)(void *arg, const char *url);
	/* Or NULL: called by the control thread about once a second with
	 * the gateway's store, for what other tools keep in time with the
	 * gateway (serve ends the shadow tests whose duration is over).
	 * More than 0: it changed the store, which the gateway rereads
	 * (its own writes do not show in the data version). A failure is
	 * logged, and serving goes on. */
	int (*on_tick)(void *arg, struct store *st, struct mlops_err *err);
	void *arg;
};

/* Serve until SIGTERM or SIGINT, then stop accepting, let in-flight
 * requests finish (up to the longest endpoint timeout) and return 0.
 * Blocks SIGTERM, SIGINT and SIGHUP in the calling thread (call it
 * before any other thread exists) and ignores SIGPIPE. A port in use or
 * a store that cannot be opened is an error before on_ready. */
int deploy_gateway_run(const struct deploy_gateway_conf *conf,
		       struct mlops_err *err);

/* gateway_record.c: the record each running gateway keeps in its store,
 * gateways/HOST-PID.json: its pid, host and URL, and the endpoints it
 * serves with the generation and state of each. `describe` tells an
 * endpoint's status from the records, `stop` finds gateways through
 * them whatever their pidfile.
 *
 * A gateway writes its record before it reports that it listens,
 * rewrites it when what it serves changes, touches it every 2 s and
 * removes it before it exits; so the records are true when `serve` or
 * `stop` returns. The record of a gateway that was killed stays behind
 * but counts as dead: on this host when its process is gone (or the pid
 * names another process), on another host when it was not touched for
 * DEPLOY_GATEWAY_RECORD_STALE_S seconds. */

#define DEPLOY_GATEWAY_RECORD_DIR "gateways"
#define DEPLOY_GATEWAY_RECORD_STALE_S 10

/* One endpoint as a gateway serves it. */
struct deploy_gateway_record_endpoint {
	char *name;
	char *model;		/* the version answering, "GROUP/N" */
	int64_t generation;	/* of the endpoint's row it applied */
	int failed;		/* that version cannot serve (503) */
};

/* One live gateway. */
struct deploy_gateway_record {
	long pid;
	int local;		/* runs on this host */
	char *host, *url;
	size_t n;
	struct deploy_gateway_record_endpoint *eps;
};

/* The live gateways of the store at store_dir (its .mlops directory),
 * in no particular order; none when there is no record. A record that
 * cannot be read or parsed is skipped (it is being replaced, or is not
 * ours). The caller frees *out with deploy_gateway_record_list_free. */
int deploy_gateway_record_list(const char *store_dir,
			       struct deploy_gateway_record **out, size_t *n,
			       struct mlops_err *err);
void deploy_gateway_record_list_free(struct deploy_gateway_record *recs,
				     size_t n);

/* The status of endpoint name at generation as the live gateways serve
 * it: "InService" (some gateway serves that generation), "Updating" (a
 * gateway serves an older one), "Creating" (a gateway runs but has not
 * loaded the endpoint yet), "Failed" (its version cannot serve), or
 * "OutOfService" (no gateway runs). A static string. */
const char *deploy_gateway_record_status(
	const struct deploy_gateway_record *recs, size_t n, const char *name,
	int64_t generation);

/* Is process pid running on this host (a zombie is not)? */
int deploy_gateway_record_alive(long pid);

/* The path of this process's record in store_dir; the caller frees. */
char *deploy_gateway_record_own_path(const char *store_dir);

/* Write this process's record: pid, url and eps, to path (from
 * deploy_gateway_record_own_path), unless it already holds exactly that
 * (last keeps what was written). */
int deploy_gateway_record_write(const char *path, struct buf *last,
	const char *url, const struct deploy_gateway_record_endpoint *eps,
	size_t n, struct mlops_err *err);

/* Mark the record at path as fresh (for gateways on other hosts). */
void deploy_gateway_record_touch(const char *path);

/* Remove the records of gateways of this host that are dead. */
void deploy_gateway_record_prune(const char *store_dir);

/* capture.c: endpoint data capture in SageMaker's format, written off
 * the request path.
 *
 * Each record is one JSON line {"captureData": {"endpointInput":
 * {observedContentType, mode "INPUT", data, encoding}, "endpointOutput":
 * {... mode "OUTPUT" ...}}, "eventMetadata": {eventId, inferenceTime,
 * variant, shadow?}, "eventVersion": "0"} in .jsonl files under
 * capture/ENDPOINT/YYYY/MM/DD/HH/, one file per model version
 * ("variant", GROUP/N, as SageMaker keeps captures per variant) and
 * side: MM-SS-mmm-RANDOM.GROUP-N.jsonl for production's answers,
 * ...GROUP-N.shadow.jsonl for a shadow test's (with "shadow": true).
 * Request threads hand records to a
 * bounded lock-free queue and return at once; one background thread
 * writes them. When the queue is full the record
 * is dropped and counted, never the request. A file is written under a
 * hidden ".NAME.part" name and completed by renaming it to NAME.jsonl
 * when its hour ends, after a second without records, after 30 seconds,
 * at 64 MB, and when the writer stops; readers only see whole files of
 * whole records (see capture.c for write failures). The writer holds a
 * lock on its part files, by which deploy_capture_recover tells the
 * files of a writer that died. */

struct deploy_capture;

/* Start a writer for files under dir (the store's capture/ folder), with
 * a queue of queue_len records (rounded up to a power of two). */
int deploy_capture_start(struct deploy_capture **out, const char *dir,
			 size_t queue_len, struct mlops_err *err);
/* Bound the bytes queued records may hold (DEPLOY_CAPTURE_MAX_BYTES unless
 * set): past it records are dropped, so that big bodies arriving faster
 * than the writer writes cannot grow the gateway without bound. */
#define DEPLOY_CAPTURE_MAX_BYTES ((size_t)256 << 20)
void deploy_capture_limit_bytes(struct deploy_capture *c, size_t max_bytes);
/* Write what is queued, complete every file and stop the thread; no
 * record may be submitted after. */
void deploy_capture_finish(struct deploy_capture *c);
/* deploy_capture_finish unless done, and free. */
void deploy_capture_stop(struct deploy_capture *c);

/* What a capture record says about its request. */
struct deploy_capture_meta {
	const char *endpoint;
	const char *variant;	/* the version that answered, "GROUP/N" */
	int shadow;		/* the answer is a shadow test's */
	int64_t time_us;
	/* The request's inference id: the client's (the header), or for a
	 * shadow's answer the production request's; NULL: none, and the
	 * record's inferenceId is then its eventId. */
	const char *inference_id;
	const char *event_id;	/* NULL: the writer makes one */
};

/* Queue one record of the request m describes; never blocks.
 * Returns 0, or -1 when the queue was full (in records or bytes) and the
 * record was dropped. The data is copied. */
int deploy_capture_submit(struct deploy_capture *c,
			  const struct deploy_capture_meta *m,
			  const char *in_type, const void *in, size_t in_len,
			  const char *out_type, const void *out,
			  size_t out_len);

/* An inference id as SageMaker's InvokeEndpoint takes one (the header
 * X-Amzn-SageMaker-Inference-Id): 1 to DEPLOY_INFERENCE_ID_MAX
 * printable ASCII characters, the first not a space. */
#define DEPLOY_INFERENCE_ID_MAX 64
#define DEPLOY_INFERENCE_ID_HEADER "X-Amzn-SageMaker-Inference-Id"
int deploy_capture_inference_id_valid(const char *id);

/* Records handed to files so far, and dropped so far: not queued (the
 * queue was full), or lost by a file that could not be written, made
 * durable or completed (they count in both). */
uint64_t deploy_capture_written(const struct deploy_capture *c);
uint64_t deploy_capture_dropped(const struct deploy_capture *c);
/* Failures to write capture files so far (each loses the records it
 * says), and in last (size bytes) what the last one was. */
uint64_t deploy_capture_failures(struct deploy_capture *c, char *last,
				 size_t size);

/* Call fn for each production record of endpoint under dir whose
 * inferenceTime is in [since_us, until_us), files in time order. fn
 * returns non-zero to stop. A malformed line is MLOPS_EINPUT naming the
 * file and line. */
int deploy_capture_each(const char *dir, const char *endpoint, int64_t since_us,
		 int64_t until_us, int (*fn)(json_t *record, void *arg),
		 void *arg, struct mlops_err *err);
/* Call fn(DIR, NAME, arg) for each file NAME, hidden ones too, of the
 * hour directories YYYY/MM/DD/HH below top (the capture of one endpoint)
 * whose hour overlaps [since_us, until_us), hours and names in order.
 * A non-zero return from fn ends the walk and is returned. */
int deploy_capture_each_file(const char *top, int64_t since_us,
			     int64_t until_us,
			     int (*fn)(const char *dir, const char *name,
				       void *arg),
			     void *arg);
/* 0 when the line at s (len bytes, its '\n' optional) is a capture
 * record, its inferenceTime in *t; -1 when it is not. */
int deploy_capture_each_line_time(const char *s, size_t len, int64_t *t);

/* Finish the files stopped writers left in progress under dir (the
 * store's capture/ folder), in hours ending after since_us: a part file
 * no writer holds (the writer locks it) and untouched for
 * DEPLOY_CAPTURE_PART_DEAD_US (longer than a writer keeps a file open)
 * gets its whole records up to the first line that is not one made
 * durable under its final name, or is removed when it has none. */
#define DEPLOY_CAPTURE_PART_DEAD_US (INT64_C(60) * 1000000)
struct deploy_capture_recovery {
	uint64_t files, records; /* finished, and their records */
	uint64_t cut_bytes;      /* cut off their ends */
	uint64_t removed;        /* without a whole record */
	uint64_t young;          /* no writer, but touched too lately */
};
int deploy_capture_recover(const char *dir, int64_t since_us,
			   struct deploy_capture_recovery *out,
			   struct mlops_err *err);

/* deploy_capture_each for the records which selects: production's,
 * shadow tests', or both. */
#define DEPLOY_CAPTURE_PRODUCTION 1
#define DEPLOY_CAPTURE_SHADOW 2
int deploy_capture_each_of(const char *dir, const char *endpoint, int which,
			   int64_t since_us, int64_t until_us,
			   int (*fn)(json_t *record, void *arg), void *arg,
			   struct mlops_err *err);

/* source.c: what to deploy, resolved from the registry: a model version
 * (GROUP/N, GROUP@ALIAS or GROUP) as a deploy_endpoint_source for
 * deploy_endpoint_create, deploy_endpoint_update and shadow tests. */
struct registry_version;
struct deploy_source_resolved {
	struct registry_version *mv;
	char *ref;			/* "GROUP/N" */
	struct deploy_endpoint_artifact *arts;
	struct deploy_endpoint_source src;	/* points into the above */
};
/* Resolve ref through the registry into *out (released with
 * deploy_source_release, also on failure). */
int deploy_source_resolve(struct store *st, const char *ref,
			  struct deploy_source_resolved *out,
			  struct mlops_err *err);
/* deploy_source_resolve, then the approval gate of create, update and
 * shadow tests: unless allow_unapproved, a version that is not Approved
 * returns MLOPS_EXIT_FINDING with err saying so. On any non-zero result
 * *out is released already. */
int deploy_source_resolve_gated(struct store *st, const char *ref,
				int allow_unapproved,
				struct deploy_source_resolved *out,
				struct mlops_err *err);
void deploy_source_release(struct deploy_source_resolved *r);

/* answer.c: one model version answering requests in the calling process
 * (for replays): xgboost through the gateway's own code, exec and http
 * through one worker started with e's settings. */
struct deploy_answer;
/* Load m (its artifacts in dir) for endpoint e; MLOPS_EINPUT when it
 * fails to load or start. */
int deploy_answer_open(struct deploy_answer **out,
		       const struct deploy_endpoint *e,
		       const struct deploy_endpoint_model *m, const char *dir,
		       struct mlops_err *err);
/* Answer body (of type ctype) into out: the HTTP status, with the error
 * message in out when it is not 200. */
int deploy_answer_run(struct deploy_answer *a, const char *ctype,
		      const char *body, size_t len, struct buf *out);
void deploy_answer_close(struct deploy_answer *a);

#endif
