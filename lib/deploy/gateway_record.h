/* gwrecord.h - the record each running gateway keeps in its store,
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
#ifndef MLOPS_DEPLOY_GATEWAY_RECORD_H
#define MLOPS_DEPLOY_GATEWAY_RECORD_H
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/err.h"

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
int deploy_gateway_record_list(const char *store_dir, struct deploy_gateway_record **out, size_t *n,
	       struct mlops_err *err);
void deploy_gateway_record_list_free(struct deploy_gateway_record *recs, size_t n);

/* The status of endpoint name at generation as the live gateways serve
 * it: "InService" (some gateway serves that generation), "Updating" (a
 * gateway serves an older one), "Creating" (a gateway runs but has not
 * loaded the endpoint yet), "Failed" (its version cannot serve), or
 * "OutOfService" (no gateway runs). A static string. */
const char *deploy_gateway_record_status(const struct deploy_gateway_record *recs, size_t n,
			 const char *name, int64_t generation);

/* Is process pid running on this host (a zombie is not)? */
int deploy_gateway_record_alive(long pid);

/* The path of this process's record in store_dir; the caller frees. */
char *deploy_gateway_record_own_path(const char *store_dir);

/* Write this process's record: pid, url and eps, to path (from
 * deploy_gateway_record_own_path), unless it already holds exactly that (last keeps what
 * was written). */
int deploy_gateway_record_write(const char *path, struct buf *last, const char *url,
		const struct deploy_gateway_record_endpoint *eps, size_t n,
		struct mlops_err *err);

/* Mark the record at path as fresh (for gateways on other hosts). */
void deploy_gateway_record_touch(const char *path);

/* Remove the records of gateways of this host that are dead. */
void deploy_gateway_record_prune(const char *store_dir);

#endif
