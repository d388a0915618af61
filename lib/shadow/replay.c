/* replay.c - the offline shadow test (see shadow_replay in shadow.h):
 * the endpoint's captured production requests replayed through a
 * candidate version in this process, and recorded as a completed test
 * whose pairs `mlops-shadow report` reads like a live test's. The version
 * answers through deploy_answer: xgboost in process with the gateway's
 * own code, exec and http through one worker, a request at a time. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "core/audit.h"
#include "core/fs.h"
#include "core/time.h"
#include "core/xalloc.h"
#include "deploy/deploy.h"
#include "shadow/internal.h"

struct pair {
	char *id, *ctype;
	int64_t time_us;
	struct buf in, prod, out;
	int status;
	int64_t latency_us;
};

struct replay {
	struct store *st;
	const struct deploy_endpoint *e;
	struct deploy_answer *ans;
	struct pair *pairs;		/* a reservoir of max_pairs */
	int64_t max_pairs, seen;
	uint64_t rng;
	struct mlops_err *err;
	int ret;
};

static void pair_release(struct pair *p)
{
	free(p->id);
	free(p->ctype);
	buf_release(&p->in);
	buf_release(&p->prod);
	buf_release(&p->out);
}

/* data of one side of a capture record, decoded, into out. */
static int side_data(json_t *side, struct buf *out, const char **type)
{
	const char *data = NULL, *enc = NULL;

	if (json_unpack(side, "{s:s,s:s,s:s}", "data", &data, "encoding",
			&enc, "observedContentType", type) < 0)
		return -1;
	buf_reset(out);
	if (strcmp(enc, "BASE64") == 0) {
		size_t n = strlen(data);
		int len;

		buf_grow(out, n);
		len = EVP_DecodeBlock((unsigned char *)out->s,
				      (const unsigned char *)data, (int)n);
		if (len < 0)
			return -1;
		/* EVP_DecodeBlock counts the padding as bytes. */
		while (n && data[n - 1] == '=' && len > 0) {
			n--;
			len--;
		}
		out->len = (size_t)len;
		out->s[out->len] = '\0';
		return 0;
	}
	buf_addstr(out, data);
	return 0;
}

/* The candidate's answer to p's input. */
static void answer(struct replay *rp, struct pair *p)
{
	int64_t t0 = time_mono_us();

	p->status = deploy_answer_run(rp->ans, p->ctype, p->in.s, p->in.len,
				      &p->out);
	p->latency_us = time_mono_us() - t0;
}

static int on_record(json_t *rec, void *arg)
{
	struct replay *rp = arg;
	struct pair p = { 0 };
	const char *in_type = NULL, *out_type = NULL, *id = NULL,
		   *when = NULL;
	int64_t slot;

	buf_init(&p.in);
	buf_init(&p.prod);
	buf_init(&p.out);
	json_unpack(rec, "{s:{s:s,s:s}}", "eventMetadata", "eventId", &id,
		    "inferenceTime", &when);
	if (!id || !when || time_parse(when, &p.time_us, NULL) < 0 ||
	    side_data(json_object_get(json_object_get(rec, "captureData"),
				      "endpointInput"), &p.in, &in_type) < 0 ||
	    side_data(json_object_get(json_object_get(rec, "captureData"),
				      "endpointOutput"), &p.prod,
		      &out_type) < 0) {
		pair_release(&p);
		rp->ret = mlops_err_set(rp->err, MLOPS_EINPUT, "a capture "
					"record of '%s' lacks its data",
					rp->e->name);
		return 1;
	}
	p.id = xstrdup(id);
	p.ctype = xstrdup(in_type);
	answer(rp, &p);
	/* Algorithm R, as the gateway keeps live pairs. */
	rp->rng = rp->rng * 6364136223846793005ULL + 1442695040888963407ULL;
	slot = rp->seen < rp->max_pairs ? rp->seen :
	       (int64_t)((rp->rng >> 11) % (uint64_t)(rp->seen + 1));
	rp->seen++;
	progress_add(rp->st->progress, 1);
	if (slot < rp->max_pairs) {
		pair_release(&rp->pairs[slot]);
		rp->pairs[slot] = p;
	} else {
		pair_release(&p);
	}
	return 0;
}

static int write_pairs(struct replay *rp, const char *name,
		       struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	int64_t kept = rp->seen < rp->max_pairs ? rp->seen : rp->max_pairs;
	int ret = store_prepare(rp->st, &q, "INSERT INTO shadow_pair (test, "
				"slot, request_id, time_us, content_type, "
				"input, prod_status, prod_latency_us, "
				"prod_output, shadow_status, "
				"shadow_latency_us, shadow_output) VALUES (?1, "
				"?2, ?3, ?4, ?5, ?6, 200, -1, ?7, ?8, ?9, ?10)",
				err);

	for (int64_t i = 0; i < kept && ret == 0; i++) {
		struct pair *p = &rp->pairs[i];

		sqlite3_reset(q);
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, i);
		sqlite3_bind_text(q, 3, p->id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 4, p->time_us);
		sqlite3_bind_text(q, 5, p->ctype, -1, SQLITE_STATIC);
		sqlite3_bind_blob(q, 6, p->in.s, (int)p->in.len,
				  SQLITE_STATIC);
		sqlite3_bind_blob(q, 7, p->prod.s, (int)p->prod.len,
				  SQLITE_STATIC);
		sqlite3_bind_int(q, 8, p->status);
		sqlite3_bind_int64(q, 9, p->latency_us);
		sqlite3_bind_blob(q, 10, p->out.s, (int)p->out.len,
				  SQLITE_STATIC);
		ret = store_step_done(q, "insert shadow pair", err);
	}
	sqlite3_finalize(q);
	q = NULL;
	if (ret == 0)
		ret = store_prepare(rp->st, &q, "UPDATE shadow_test SET "
				    "mirrored = ?2, pairs_seen = ?2 WHERE "
				    "name = ?1", err);
	if (ret == 0) {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 2, rp->seen);
		ret = store_step_done(q, "update shadow test", err);
	}
	sqlite3_finalize(q);
	return ret;
}

static int replay(struct store *st, const struct shadow_replay_req *req,
		  char **name_out, int64_t *count, struct mlops_err *err)
{
	struct replay rp = { .st = st, .max_pairs = req->max_pairs,
			     .rng = (uint64_t)time_mono_us() | 1, .err = err };
	struct deploy_endpoint *e = NULL;
	struct deploy_endpoint_model m = { 0 };
	char *name = NULL, *dir = NULL, *capdir = NULL;
	int ret;

	if (req->name && !deploy_endpoint_valid_name(req->name))
		return mlops_err_set(err, MLOPS_EUSAGE, "'%s' is not a valid "
				     "test name (letters, digits and hyphens, "
				     "at most 63)", req->name);
	name = req->name ? xstrdup(req->name) :
	       shadow_default_name(req->endpoint, "replay-");
	if ((ret = deploy_endpoint_get(st, req->endpoint, &e, err)) < 0)
		goto out;
	rp.e = e;
	if ((ret = deploy_endpoint_materialise(st, e->name, req->src, &m,
					       err)) < 0)
		goto out;
	dir = store_path(st, m.model_dir);
	if ((ret = deploy_answer_open(&rp.ans, e, &m, dir, err)) < 0)
		goto out;
	rp.pairs = xcalloc((size_t)req->max_pairs, sizeof(*rp.pairs));
	capdir = store_path(st, "capture");
	progress_start(st->progress, PROGRESS_RECORDS, 0, "replay %s",
		       e->name);
	ret = deploy_capture_each(capdir, e->name, req->since_us, req->until_us,
			   on_record, &rp, err);
	if (ret == 0)
		ret = rp.ret;
	if (ret < 0)
		goto out;
	if ((ret = store_begin(st, err)) < 0)
		goto out;
	ret = shadow_insert(st, name, e, &m, 100, req->max_pairs, 0,
			    "replay", err);
	if (ret == 0)
		ret = write_pairs(&rp, name, err);
	if (ret == 0) {
		struct shadow_test t = { .name = name, .endpoint = e->name,
			.production = e->cur.ref, .model = m };

		ret = shadow_emit(st, &t, "Completed", err);
	}
	if (ret == 0)
		ret = store_commit(st, err);
	if (ret < 0)
		store_rollback(st);
	else
		progress_done(st->progress);
out:
	if (ret == 0) {
		*name_out = name;
		*count = rp.seen;
		name = NULL;
	}
	for (int64_t i = 0; rp.pairs && i < req->max_pairs; i++)
		pair_release(&rp.pairs[i]);
	free(rp.pairs);
	deploy_answer_close(rp.ans);
	deploy_endpoint_model_release(&m);
	deploy_endpoint_free(e);
	free(capdir);
	free(dir);
	free(name);
	return ret;
}

int shadow_replay(struct store *st, const struct shadow_replay_req *req,
		  char **name_out, int64_t *count, struct mlops_err *err)
{
	struct audit_entry e = { "shadow.replay", req->endpoint, "success",
				 NULL };
	char *name = NULL;
	int64_t n = 0;
	int ret = audit_intend(st, e.action, e.resource, err);

	if (ret == 0)
		ret = replay(st, req, &name, &n, err);
	if (ret == 0) {
		e.resource = name;
		e.detail = json_pack("{s:s,s:s,s:I}", "endpoint",
				     req->endpoint, "model", req->src->ref,
				     "requests", (json_int_t)n);
	}
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	if (ret == 0) {
		*name_out = name;
		*count = n;
	} else {
		free(name);
	}
	return ret;
}
