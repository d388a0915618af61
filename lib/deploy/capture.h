/* capture.h - endpoint data capture in SageMaker's format, written off
 * the request path.
 *
 * Each record is one JSON line {"captureData": {"endpointInput":
 * {observedContentType, mode "INPUT", data, encoding}, "endpointOutput":
 * {... mode "OUTPUT" ...}}, "eventMetadata": {eventId, inferenceTime},
 * "eventVersion": "0"} in .jsonl files under
 * capture/ENDPOINT/YYYY/MM/DD/HH/. Request threads hand records to a
 * bounded lock-free queue and return at once; one background thread
 * writes them. When the queue is full the record
 * is dropped and counted, never the request. A file is written under a
 * hidden ".NAME.part" name and completed by renaming it to NAME.jsonl
 * when its hour ends, after a second without records, after 30 seconds,
 * at 64 MB, and when the writer stops; readers only see whole files. */
#ifndef MLOPS_DEPLOY_CAPTURE_H
#define MLOPS_DEPLOY_CAPTURE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/err.h"

struct deploy_capture;

/* Start a writer for files under dir (the store's capture/ folder), with
 * a queue of queue_len records (rounded up to a power of two). */
int deploy_capture_start(struct deploy_capture **out, const char *dir, size_t queue_len,
		  struct mlops_err *err);
/* Bound the bytes queued records may hold (DEPLOY_CAPTURE_MAX_BYTES unless
 * set): past it records are dropped, so that big bodies arriving faster
 * than the writer writes cannot grow the gateway without bound. */
#define DEPLOY_CAPTURE_MAX_BYTES ((size_t)256 << 20)
void deploy_capture_limit_bytes(struct deploy_capture *c, size_t max_bytes);
/* Write what is queued, complete every file, stop the thread and free. */
void deploy_capture_stop(struct deploy_capture *c);

/* Queue one record; never blocks. Returns 0, or -1 when the queue was
 * full (in records or bytes) and the record was dropped. The data is
 * copied. */
int deploy_capture_submit(struct deploy_capture *c, const char *endpoint, int64_t time_us,
		   const char *in_type, const void *in, size_t in_len,
		   const char *out_type, const void *out, size_t out_len);

/* Records written to files so far, and dropped so far. */
uint64_t deploy_capture_written(const struct deploy_capture *c);
uint64_t deploy_capture_dropped(const struct deploy_capture *c);

/* Call fn for each record of endpoint under dir whose inferenceTime is in
 * [since_us, until_us), files in time order. fn returns non-zero to
 * stop. A malformed line is MLOPS_EINPUT naming the file and line. */
int deploy_capture_each(const char *dir, const char *endpoint, int64_t since_us,
		 int64_t until_us, int (*fn)(json_t *record, void *arg),
		 void *arg, struct mlops_err *err);

#endif
