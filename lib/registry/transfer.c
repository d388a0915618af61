/* transfer.c - moving a model version between stores as one tar
 * stream (mlops-registry-export(5)): export writes the manifest, the
 * artifacts and the card revisions; import reads the whole stream into
 * temporary files, checking every name, size and hash, and only then
 * registers the version under its own number in one transaction. A
 * refused stream leaves nothing behind but removed temporary files. */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/fs.h"
#include "core/hash.h"
#include "core/identity.h"
#include "core/jsonio.h"
#include "registry/registry.h"
#include "core/object.h"
#include "registry/internal.h"
#include "core/tar.h"
#include "core/time.h"
#include "core/xalloc.h"

#define EXPORT_FORMAT "mlops-model-export"
#define EXPORT_VERSION 1
#define EXPORT_DIR "mlops-model"
#define MEMBER_MANIFEST EXPORT_DIR "/manifest.json"
#define MEMBER_CARD EXPORT_DIR "/card.json"
#define MEMBER_ARTIFACTS_DIR EXPORT_DIR "/artifacts"
#define MEMBER_ARTIFACTS MEMBER_ARTIFACTS_DIR "/"
#define MEMBER_BASELINE_DIR EXPORT_DIR "/baseline"
/* Artifacts that come before the manifest are kept in temporary files
 * unchecked; a stream of many tiny ones would fill the disk's inodes. */
#define UNLISTED_MAX 4096
/* The JSON members are small; anything bigger is not ours. */
#define JSON_MEMBER_MAX (16u * 1024 * 1024)

static int write_json_member(struct tar_writer *w, const char *name,
			     const json_t *v, int64_t mtime,
			     struct mlops_err *err)
{
	char *text = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS |
				JSON_REAL_PRECISION(17));
	int ret;

	if (!text)
		return mlops_err_set(err, MLOPS_EINTERNAL, "cannot encode %s",
				     name);
	ret = tar_write_mem(w, name, text, strlen(text), mtime, err);
	free(text);
	return ret;
}

static uint64_t artifacts_size(const struct registry_version *mv)
{
	uint64_t n = 0;

	for (size_t i = 0; i < mv->nartifacts; i++)
		n += mv->artifacts[i].size;
	return n;
}

/* The files of a monitoring baseline: the manifest's keys and members. */
static const char *const baseline_keys[2] = { "statistics", "constraints" };
static const char *const baseline_members[2] = {
	MEMBER_BASELINE_DIR "/statistics.json",
	MEMBER_BASELINE_DIR "/constraints.json" };

/* The version's monitoring baseline, if any: its files into text[] and
 * its manifest entry into *out ({statistics, constraints: {hash, size},
 * registered, registered_by}; NULL when there is none). */
static int export_baseline(struct store *st,
			   const struct registry_version *mv,
			   struct buf text[2], json_t **out,
			   struct mlops_err *err)
{
	json_t *b = NULL, *entry;
	int ret = registry_baseline_get(st, mv->group, mv->version, &b, err);

	*out = NULL;
	if (ret < 0 || !b)
		return ret;
	entry = json_pack("{s:O,s:O}", "registered",
			  json_object_get(b, "registered"), "registered_by",
			  json_object_get(b, "registered_by"));
	for (int i = 0; ret == 0 && i < 2; i++) {
		const char *hash = jsonio_str(b, baseline_keys[i]);

		ret = object_read_mem(st, hash, &text[i], JSON_MEMBER_MAX,
				      err);
		if (ret == 0)
			json_object_set_new(entry, baseline_keys[i], json_pack(
				"{s:s,s:I}", "hash", hash, "size",
				(json_int_t)text[i].len));
	}
	json_decref(b);
	if (ret < 0)
		json_decref(entry);
	else
		*out = entry;
	return ret;
}

int registry_transfer_export(struct store *st,
			     const struct registry_version *mv, int fd,
			     struct mlops_err *err)
{
	struct tar_writer w = { fd, 0 };
	int64_t mtime = mv->created_us / TIME_US_PER_SEC;
	json_t *manifest, *history = NULL, *approvals = NULL, *card = NULL;
	json_t *baseline = NULL;
	struct buf base[2] = { BUF_INIT, BUF_INIT };
	int ret = registry_status_history(st, mv->group, mv->version,
					  &history, err);

	if (ret == 0)
		ret = registry_approvals(st, mv, &approvals, err);
	if (ret == 0)
		ret = registry_card_revisions(st, mv->group, mv->version, &card,
					      err);
	if (ret == 0)
		ret = export_baseline(st, mv, base, &baseline, err);
	if (ret < 0) {
		json_decref(history);
		json_decref(approvals);
		json_decref(card);
		buf_release(&base[0]);
		buf_release(&base[1]);
		return ret;
	}
	/* No export time: exporting a version twice gives the same bytes.
	 * history is this store's alone, for importers that predate
	 * approvals, the record of every store it has been through. */
	manifest = json_pack("{s:s,s:i,s:{s:s},s:o,s:O,s:o,s:I}",
			     "format", EXPORT_FORMAT,
			     "format_version", EXPORT_VERSION,
			     "source", "account", st->env,
			     "model", registry_version_json(mv),
			     "history", history,
			     "approvals", approvals,
			     "card_revisions",
			     (json_int_t)json_array_size(card));
	/* Only with a baseline: the export of a version without one is the
	 * same as before baselines travelled. */
	if (baseline)
		json_object_set_new(manifest, "baseline", baseline);
	ret = write_json_member(&w, MEMBER_MANIFEST, manifest, mtime, err);
	progress_start(st->progress, PROGRESS_BYTES, artifacts_size(mv),
		       "export %s/%" PRId64, mv->group, mv->version);
	for (size_t i = 0; ret == 0 && i < mv->nartifacts; i++) {
		const struct registry_artifact *a = &mv->artifacts[i];
		char *name = xasprintf(MEMBER_ARTIFACTS "%s", a->name);

		ret = tar_write_header(&w, name, a->size, mtime, err);
		if (ret == 0)
			ret = object_read_fd(st, a->hash, fd, err);
		if (ret == 0) {
			w.offset += a->size;
			ret = tar_write_pad(&w, a->size, err);
		}
		free(name);
	}
	if (ret == 0 && json_array_size(card))
		ret = write_json_member(&w, MEMBER_CARD, card, mtime, err);
	for (int i = 0; ret == 0 && baseline && i < 2; i++)
		ret = tar_write_mem(&w, baseline_members[i], base[i].s,
				    base[i].len, mtime, err);
	if (ret == 0)
		ret = tar_write_end(&w, err);
	if (ret == 0)
		progress_done(st->progress);
	json_decref(manifest);
	json_decref(history);
	json_decref(card);
	buf_release(&base[0]);
	buf_release(&base[1]);
	return ret;
}

/* ---- import ---- */

/* An artifact member as received, before it is matched to the manifest. */
struct received {
	char *name;		/* the artifact's name, without the folder */
	char *tmp_path;		/* where its content was written */
	uint64_t size;
	char hash[HASH_HEX_LEN + 1];
};

struct incoming {
	json_t *manifest;	/* the whole manifest, or NULL until read */
	json_t *model;		/* manifest.model, borrowed */
	const char *group;
	int64_t version;
	size_t nartifacts;
	const char **names, **hashes;	/* borrowed from model */
	uint64_t *sizes;
	json_t *listed;		/* artifact name -> index in names */
	const char **paths;	/* received files in names' order, borrowed */
	struct received *got;	/* artifact members, in stream order */
	size_t ngot;
	json_t *seen;		/* names of the members read so far */
	json_t *card;		/* card revisions, or NULL */
	json_t *approvals;	/* the record the manifest carries, checked */
	uint64_t max_size;	/* largest artifact accepted; 0: any */
	/* The monitoring baseline: manifest.baseline (borrowed, NULL when
	 * none), the members' bytes as received, and its blobs once
	 * written. */
	const json_t *baseline;
	struct buf base[2];
	int base_got[2];
	char base_hash[2][HASH_HEX_LEN + 1];
	int64_t base_registered_us;
};

static void incoming_release(struct incoming *in)
{
	for (size_t i = 0; i < in->ngot; i++) {
		unlink(in->got[i].tmp_path);
		free(in->got[i].tmp_path);
		free(in->got[i].name);
	}
	free(in->got);
	free(in->paths);
	free(in->names);
	free(in->hashes);
	free(in->sizes);
	json_decref(in->listed);
	json_decref(in->seen);
	json_decref(in->manifest);
	json_decref(in->card);
	json_decref(in->approvals);
	buf_release(&in->base[0]);
	buf_release(&in->base[1]);
}

/* MLOPS_EINPUT with "STREAM: why": a refused stream. */
static int refuse(struct mlops_err *err, const char *stream, const char *fmt,
		  ...) __attribute__((format(printf, 3, 4)));
static int refuse(struct mlops_err *err, const char *stream, const char *fmt,
		  ...)
{
	struct buf why = BUF_INIT;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	buf_vaddf(&why, fmt, ap);
	va_end(ap);
	ret = mlops_err_set(err, MLOPS_EINPUT, "%s: %s", stream, why.s);
	buf_release(&why);
	return ret;
}

/* A JSON member into *out; its bytes into *text (empty on entry). */
static int read_json_text(struct tar_reader *r, const struct tar_member *m,
			  struct buf *text, json_t **out,
			  struct mlops_err *err)
{
	int64_t n;
	int ret = 0;

	if (m->size > JSON_MEMBER_MAX)
		return refuse(err, r->name, "oversize member '%s'", m->name);
	buf_grow(text, (size_t)m->size);
	while ((n = tar_read(r, text->s + text->len,
			     (size_t)m->size - text->len, err)) > 0)
		buf_setlen(text, text->len + (size_t)n);
	if (n < 0)
		ret = (int)n;
	else if (text->len != m->size)
		ret = refuse(err, r->name, "member '%s' ends early", m->name);
	if (ret == 0) {
		char *name = xasprintf("%s: %s", r->name, m->name);

		ret = jsonio_parse(out, text->s, text->len, name, err);
		free(name);
	}
	return ret;
}

static int read_json_member(struct tar_reader *r, const struct tar_member *m,
			    json_t **out, struct mlops_err *err)
{
	struct buf text = BUF_INIT;
	int ret = read_json_text(r, m, &text, out, err);

	buf_release(&text);
	return ret;
}

/* The environment the manifest says it was exported from. */
static const char *source_account(const json_t *manifest)
{
	const char *s = jsonio_str(json_object_get(manifest, "source"),
				   "account");

	return s ? s : "unknown";
}

/* manifest.baseline, when there: both files' hash and size, who
 * registered it and when. */
static int check_manifest_baseline(struct incoming *in, const char *stream,
				   struct mlops_err *err)
{
	const json_t *b = json_object_get(in->manifest, "baseline");
	const char *when = jsonio_str(b, "registered");

	if (!b || json_is_null(b))
		return 0;
	if (!json_is_object(b) || !when || !jsonio_str(b, "registered_by") ||
	    time_parse(when, &in->base_registered_us, NULL) < 0)
		return refuse(err, stream, "manifest: baseline is malformed");
	for (int i = 0; i < 2; i++) {
		const json_t *f = json_object_get(b, baseline_keys[i]);
		const char *hash = jsonio_str(f, "hash");
		json_t *size = json_object_get(f, "size");

		if (!hash || !hash_is_valid(hash) || !json_is_integer(size) ||
		    json_integer_value(size) < 0 ||
		    json_integer_value(size) > JSON_MEMBER_MAX)
			return refuse(err, stream, "manifest: baseline %s is "
				      "malformed", baseline_keys[i]);
	}
	in->baseline = b;
	return 0;
}

/* The manifest must describe a version this store could have written. */
static int check_manifest(struct incoming *in, const char *stream,
			  struct mlops_err *err)
{
	const json_t *m = in->manifest, *model, *arts, *a;
	const char *group, *status, *fw, *twice;
	json_int_t version;
	size_t i;
	int ret;

	if (!json_is_object(m) ||
	    strcmp(jsonio_str(m, "format") ? jsonio_str(m, "format") : "",
		   EXPORT_FORMAT) != 0)
		return refuse(err, stream, "not a model export (manifest "
			      "format is not " EXPORT_FORMAT ")");
	if (json_integer_value(json_object_get(m, "format_version")) !=
	    EXPORT_VERSION)
		return refuse(err, stream, "unsupported export format "
			      "version");
	model = json_object_get(m, "model");
	group = jsonio_str(model, "group");
	version = json_integer_value(json_object_get(model, "version"));
	status = jsonio_str(model, "status");
	fw = jsonio_str(model, "framework");
	arts = json_object_get(model, "artifacts");
	/* Numbers beyond 2^31 are no registry's: refuse them before they
	 * push the group's counter towards overflow. */
	if (!group || !registry_valid_group(group) || version < 1 ||
	    version > INT32_MAX ||
	    !status || !registry_valid_status(status) || !fw ||
	    !jsonio_str(model, "created_by") ||
	    !jsonio_str(model, "created") ||
	    !json_is_array(arts) || json_array_size(arts) < 1)
		return refuse(err, stream, "manifest: the model's group, "
			      "version, status, framework, created, "
			      "created_by or artifacts are missing or "
			      "malformed");
	ret = registry_register_check_metrics(json_object_get(model, "metrics"),
				     "manifest", err);
	if (ret < 0)
		return mlops_err_prefix(err, "%s: ", stream);
	in->model = (json_t *)model;
	in->group = group;
	in->version = version;
	in->nartifacts = json_array_size(arts);
	in->names = xcalloc(in->nartifacts, sizeof(*in->names));
	in->hashes = xcalloc(in->nartifacts, sizeof(*in->hashes));
	in->sizes = xcalloc(in->nartifacts, sizeof(*in->sizes));
	json_array_foreach(arts, i, a) {
		json_t *size = json_object_get(a, "size");

		in->names[i] = jsonio_str(a, "name");
		in->hashes[i] = jsonio_str(a, "hash");
		if (!in->names[i] ||
		    !registry_valid_artifact_name(in->names[i]) ||
		    !in->hashes[i] || !hash_is_valid(in->hashes[i]) ||
		    !json_is_integer(size) || json_integer_value(size) < 0 ||
		    (uint64_t)json_integer_value(size) > TAR_SIZE_MAX)
			return refuse(err, stream, "manifest: artifact %s is "
				      "malformed", in->names[i] ?
				      in->names[i] : "(no name)");
		in->sizes[i] = (uint64_t)json_integer_value(size);
		if (in->max_size && in->sizes[i] > in->max_size)
			return refuse(err, stream, "oversize member: artifact "
				      "'%s' is %" PRIu64 " bytes, more than "
				      "the %" PRIu64 " allowed", in->names[i],
				      in->sizes[i], in->max_size);
	}
	ret = check_manifest_baseline(in, stream, err);
	if (ret < 0)
		return ret;
	ret = registry_approvals_check(m, source_account(m), &in->approvals,
				       err);
	if (ret < 0)
		return mlops_err_prefix(err, "%s: ", stream);
	twice = registry_duplicate_name(in->names, in->nartifacts);
	if (twice)
		return refuse(err, stream, "manifest: artifact '%s' is listed "
			      "twice", twice);
	/* A hash table, so that each member is matched in constant time
	 * however many artifacts a hostile manifest lists. */
	in->listed = json_object();
	for (i = 0; i < in->nartifacts; i++)
		json_object_set_new(in->listed, in->names[i],
				    json_integer((json_int_t)i));
	return 0;
}

/* Check an artifact member of size bytes against the manifest, when it
 * has been read: listed, and of the listed size. */
static int check_member(const struct incoming *in, const char *stream,
			const char *name, uint64_t size,
			struct mlops_err *err)
{
	json_t *i;

	if (in->max_size && size > in->max_size)
		return refuse(err, stream, "oversize member: artifact '%s' is "
			      "%" PRIu64 " bytes, more than the %" PRIu64
			      " allowed", name, size, in->max_size);
	if (!in->manifest)
		return 0;
	i = json_object_get(in->listed, name);
	if (!i)
		return refuse(err, stream, "unexpected member '"
			      MEMBER_ARTIFACTS "%s'", name);
	if (size != in->sizes[json_integer_value(i)])
		return refuse(err, stream, "member '" MEMBER_ARTIFACTS "%s' is "
			      "%" PRIu64 " bytes, the manifest says %" PRIu64,
			      name, size, in->sizes[json_integer_value(i)]);
	return 0;
}

/* Receive an artifact member into a temporary file, hashing it. */
static int receive_artifact(struct store *st, struct tar_reader *r,
			    struct incoming *in, const struct tar_member *m,
			    struct mlops_err *err)
{
	const char *name = m->name + strlen(MEMBER_ARTIFACTS);
	char *tmpdir = NULL, *chunk = NULL;
	struct received *got;
	struct hash_ctx *h;
	int fd, ret = 0;
	int64_t n;

	if (!registry_valid_artifact_name(name))
		return refuse(err, r->name, "unexpected member '%s'", m->name);
	if ((ret = check_member(in, r->name, name, m->size, err)) < 0)
		return ret;
	if (!in->manifest && in->ngot >= UNLISTED_MAX)
		return refuse(err, r->name, "more than %d artifacts before "
			      MEMBER_MANIFEST, UNLISTED_MAX);
	tmpdir = store_path(st, "tmp");
	in->got = xrealloc(in->got, (in->ngot + 1) * sizeof(*in->got));
	got = &in->got[in->ngot];
	memset(got, 0, sizeof(*got));
	fd = fs_tmpfile_open(tmpdir, "import", &got->tmp_path, err);
	free(tmpdir);
	if (fd < 0)
		return fd;
	/* Counted now, so that the file goes whatever happens next. */
	in->ngot++;
	got->name = xstrdup(name);
	h = hash_begin();
	chunk = xmalloc(1 << 20);
	while ((n = tar_read(r, chunk, 1 << 20, err)) > 0) {
		hash_update(h, chunk, (size_t)n);
		got->size += (uint64_t)n;
		if (fs_write_all(fd, chunk, (size_t)n) < 0) {
			ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
					      "cannot write '%s'",
					      got->tmp_path);
			break;
		}
	}
	if (n < 0)
		ret = (int)n;
	hash_end(h, got->hash);
	if (ret == 0 && got->size != m->size)
		ret = refuse(err, r->name, "member '%s' ends early", m->name);
	close(fd);
	free(chunk);
	return ret;
}

static int receive_manifest(struct tar_reader *r, struct incoming *in,
			    const struct tar_member *m, struct mlops_err *err)
{
	int ret = read_json_member(r, m, &in->manifest, err);

	if (ret == 0)
		ret = check_manifest(in, r->name, err);
	/* Artifacts that came before it are checked now. */
	for (size_t i = 0; ret == 0 && i < in->ngot; i++)
		ret = check_member(in, r->name, in->got[i].name,
				   in->got[i].size, err);
	return ret;
}

static int receive_card(struct tar_reader *r, struct incoming *in,
			const struct tar_member *m, struct mlops_err *err)
{
	int ret = read_json_member(r, m, &in->card, err);

	return ret < 0 ? ret :
	       registry_modelcard_check_revisions(in->card, r->name, err);
}

/* A baseline file: its bytes as they came (they are stored as they are,
 * so that their hash is the sender's), which must be a JSON object. */
static int receive_baseline(struct tar_reader *r, struct incoming *in,
			    int i, const struct tar_member *m,
			    struct mlops_err *err)
{
	json_t *v = NULL;
	int ret = read_json_text(r, m, &in->base[i], &v, err);

	if (ret == 0 && !json_is_object(v))
		ret = refuse(err, r->name, "member '%s' is not a JSON object",
			     m->name);
	in->base_got[i] = 1;
	json_decref(v);
	return ret;
}

/* The baseline files came as the manifest lists them, or none did. */
static int check_baseline(struct incoming *in, const char *stream,
			  struct mlops_err *err)
{
	for (int i = 0; i < 2; i++) {
		const json_t *f = json_object_get(in->baseline,
						  baseline_keys[i]);

		if (!in->baseline && in->base_got[i])
			return refuse(err, stream, "unexpected member '%s'",
				      baseline_members[i]);
		if (!in->baseline)
			continue;
		if (!in->base_got[i])
			return refuse(err, stream, "expected the member %s",
				      baseline_members[i]);
		hash_hex(in->base[i].s, in->base[i].len, in->base_hash[i]);
		if ((json_int_t)in->base[i].len !=
		    json_integer_value(json_object_get(f, "size")) ||
		    strcmp(in->base_hash[i], jsonio_str(f, "hash")) != 0)
			return refuse(err, stream, "hash mismatch in member "
				      "'%s'", baseline_members[i]);
	}
	return 0;
}

/* After the stream: every listed artifact came, with its hash, and the
 * card the manifest announces. */
static int check_complete(struct incoming *in, const char *stream,
			  struct mlops_err *err)
{
	json_int_t card_revisions;
	json_t *got = json_object();
	int ret = 0;

	for (size_t i = 0; i < in->ngot; i++)
		json_object_set_new(got, in->got[i].name,
				    json_integer((json_int_t)i));
	in->paths = xcalloc(in->nartifacts, sizeof(*in->paths));
	for (size_t i = 0; ret == 0 && i < in->nartifacts; i++) {
		json_t *k = json_object_get(got, in->names[i]);
		const struct received *r = k ? &in->got[json_integer_value(k)] :
			NULL;

		if (!r)
			ret = refuse(err, stream, "artifact '%s' is missing",
				     in->names[i]);
		else if (strcmp(r->hash, in->hashes[i]) != 0)
			ret = refuse(err, stream, "hash mismatch in member '"
				     MEMBER_ARTIFACTS "%s'", in->names[i]);
		else
			in->paths[i] = r->tmp_path;
	}
	json_decref(got);
	if (ret < 0)
		return ret;
	card_revisions = json_integer_value(json_object_get(in->manifest,
							    "card_revisions"));
	if (card_revisions > 0 && !in->card)
		return refuse(err, stream, "expected the member " MEMBER_CARD);
	if (card_revisions <= 0 && in->card)
		return refuse(err, stream, "unexpected member '" MEMBER_CARD
			      "'");
	if (in->card && json_array_size(in->card) != (size_t)card_revisions)
		return refuse(err, stream, "%s has a different number of "
			      "revisions than the manifest says", MEMBER_CARD);
	return check_baseline(in, stream, err);
}

/* Read and check the whole stream, its members in any order, with or
 * without directory entries; nothing reaches the store. */
static int receive(struct store *st, struct tar_reader *r,
		   struct incoming *in, struct mlops_err *err)
{
	struct tar_member m;
	size_t members = 0;
	int ret;

	in->seen = json_object();
	while ((ret = tar_next(r, &m, err)) == 1) {
		members++;
		if (json_object_get(in->seen, m.name))
			return refuse(err, r->name, "member '%s' appears "
				      "twice", m.name);
		json_object_set_new(in->seen, m.name, json_true());
		if (m.dir && (strcmp(m.name, EXPORT_DIR) == 0 ||
			      strcmp(m.name, MEMBER_ARTIFACTS_DIR) == 0 ||
			      strcmp(m.name, MEMBER_BASELINE_DIR) == 0))
			continue;
		if (!m.dir && strcmp(m.name, MEMBER_MANIFEST) == 0)
			ret = receive_manifest(r, in, &m, err);
		else if (!m.dir && strcmp(m.name, MEMBER_CARD) == 0)
			ret = receive_card(r, in, &m, err);
		else if (!m.dir && strcmp(m.name, baseline_members[0]) == 0)
			ret = receive_baseline(r, in, 0, &m, err);
		else if (!m.dir && strcmp(m.name, baseline_members[1]) == 0)
			ret = receive_baseline(r, in, 1, &m, err);
		else if (!m.dir && strncmp(m.name, MEMBER_ARTIFACTS,
					   strlen(MEMBER_ARTIFACTS)) == 0)
			ret = receive_artifact(st, r, in, &m, err);
		else
			ret = refuse(err, r->name, "unexpected member '%s'",
				     m.name);
		if (ret < 0)
			return ret;
	}
	if (ret < 0)
		return ret;
	if (!members)
		return refuse(err, r->name, "empty archive");
	if (!in->manifest)
		return refuse(err, r->name, "no member " MEMBER_MANIFEST);
	return check_complete(in, r->name, err);
}

/* Is the version already here the same as the one coming in? */
static int same_version(const struct registry_version *mv,
			const struct incoming *in)
{
	const json_t *model = in->model;

	if (mv->nartifacts != in->nartifacts ||
	    !json_equal(mv->metrics, json_object_get(model, "metrics")) ||
	    !json_equal(mv->params, json_object_get(model, "params")) ||
	    strcmp(mv->framework, jsonio_str(model, "framework")) != 0)
		return 0;
	for (size_t i = 0; i < in->nartifacts; i++)
		if (strcmp(mv->artifacts[i].name, in->names[i]) != 0 ||
		    strcmp(mv->artifacts[i].hash, in->hashes[i]) != 0)
			return 0;
	return 1;
}

/* The rows that come with the new version: its card revisions and its
 * monitoring baseline (the blobs are written already). */
static int insert_extras(struct store *st, const char *group,
			 int64_t version, void *arg, struct mlops_err *err)
{
	const struct incoming *in = arg;
	int ret = 0;

	if (in->card)
		ret = registry_card_insert_revisions(st, group, version,
						     in->card, err);
	if (ret == 0 && in->baseline)
		ret = registry_baseline_insert(st, group, version,
					       in->base_hash[0],
					       in->base_hash[1],
					       in->base_registered_us,
					       jsonio_str(in->baseline,
							  "registered_by"),
					       err);
	return ret;
}

static json_t *object_or_empty(json_t *v)
{
	return json_is_object(v) ? v : NULL;
}

/* The baseline's files as blobs, before the row that names them. */
static int write_baseline(struct store *st, const struct incoming *in,
			  struct mlops_err *err)
{
	char hash[HASH_HEX_LEN + 1];
	int ret = 0;

	for (int i = 0; ret == 0 && in->baseline && i < 2; i++)
		ret = object_write_mem(st, in->base[i].s, in->base[i].len,
				       hash, err);
	return ret;
}

/* The version is here already: attach the stream's baseline when the
 * version has none here (one of its own is this store's business), as
 * a sync does. *attached says whether it did. */
static int attach_baseline(struct store *st, const struct incoming *in,
			   int *attached, struct mlops_err *err)
{
	json_t *ours = NULL;
	int ret;

	*attached = 0;
	if (!in->baseline)
		return 0;
	ret = registry_baseline_get(st, in->group, in->version, &ours, err);
	if (ret < 0 || ours) {
		json_decref(ours);
		return ret;
	}
	ret = write_baseline(st, in, err);
	if (ret == 0)
		ret = store_begin(st, err);
	if (ret < 0)
		return ret;
	ret = registry_baseline_insert(st, in->group, in->version,
				       in->base_hash[0], in->base_hash[1],
				       in->base_registered_us,
				       jsonio_str(in->baseline,
						  "registered_by"), err);
	if (ret == 0)
		ret = store_commit(st, err);
	else
		store_rollback(st);
	*attached = ret == 0;
	return ret;
}

static int register_incoming(struct store *st, struct incoming *in,
			     const char *status, const char *stream,
			     struct mlops_err *err)
{
	struct registry_new_version nv = { 0 };
	const json_t *model = in->model;
	const char *source = source_account(in->manifest);
	char now[TIME_RFC3339_MAX];
	char *user = identity_user(), *note;
	int64_t created_us, version;
	json_t *origin;
	int ret;

	if (time_parse(jsonio_str(model, "created"), &created_us, err) < 0) {
		free(user);
		return mlops_err_prefix(err, "%s: manifest: ", stream);
	}
	time_format(time_now_us(), now);
	/* "O?": a manifest without arn still notes its origin. The
	 * approvals are the record before this store; its own import is
	 * the first row of its status history. */
	origin = json_pack("{s:s,s:O?,s:O,s:s,s:s,s:O}",
			   "account", source,
			   "arn", json_object_get(model, "arn"),
			   "status", json_object_get(model, "status"),
			   "imported_by", user, "imported", now,
			   "approvals", in->approvals);
	note = xasprintf("imported from %s", source);
	nv.group = in->group;
	nv.version = in->version;
	nv.artifact_paths = in->paths;
	nv.artifact_names = in->names;
	nv.artifact_hashes = in->hashes;
	nv.nartifacts = in->nartifacts;
	nv.framework = jsonio_str(model, "framework");
	nv.entry = jsonio_str(model, "entry");
	nv.metrics = object_or_empty(json_object_get(model, "metrics"));
	nv.params = object_or_empty(json_object_get(model, "params"));
	nv.meta = object_or_empty(json_object_get(model, "meta"));
	nv.lineage = object_or_empty(json_object_get(model, "lineage"));
	nv.origin = origin;
	nv.status = status ? status : jsonio_str(model, "status");
	nv.description = jsonio_str(model, "description");
	nv.created_by = jsonio_str(model, "created_by");
	nv.created_us = created_us;
	nv.note = note;
	nv.in_transaction = insert_extras;
	nv.in_transaction_arg = in;
	/* Blobs before the rows that name them. */
	ret = write_baseline(st, in, err);
	if (ret == 0)
		ret = registry_register_version(st, &nv, &version, err);
	/* What register calls usage (an unknown framework, a missing entry)
	 * is, in a stream, bad input data. */
	if (ret == MLOPS_EUSAGE) {
		ret = MLOPS_EINPUT;
		if (err)
			err->code = ret;
	}
	if (ret < 0)
		mlops_err_prefix(err, "%s: ", stream);
	json_decref(origin);
	free(note);
	free(user);
	return ret;
}

static int import_stream(struct store *st, int fd, const char *stream,
			 const char *status, uint64_t max_size, char **group,
			 int64_t *version, int *unchanged,
			 struct mlops_err *err)
{
	struct incoming in = { 0 };
	struct registry_version *mv = NULL;
	struct tar_reader r;
	int attached = 0;
	int ret;

	if (status && !registry_valid_status(status))
		return mlops_err_set(err, MLOPS_EUSAGE, "unknown status '%s' "
				     "(PendingManualApproval, Approved or "
				     "Rejected)", status);
	in.max_size = max_size;
	in.base[0] = (struct buf)BUF_INIT;
	in.base[1] = (struct buf)BUF_INIT;
	progress_start(st->progress, PROGRESS_BYTES, progress_fd_total(fd),
		       "import %s", stream);
	ret = tar_reader_open(&r, fd, stream, err);
	r.progress = st->progress;
	if (ret == 0)
		ret = receive(st, &r, &in, err);
	tar_reader_release(&r);
	if (ret == 0)
		progress_done(st->progress);
	if (ret < 0)
		goto out;
	*unchanged = 0;
	ret = registry_version_get(st, in.group, in.version, &mv, err);
	if (ret == 0) {
		if (!same_version(mv, &in)) {
			ret = mlops_err_set(err, MLOPS_ENOTFOUND, "%s: %s/%"
					    PRId64 " already exists in this "
					    "store with other content", stream,
					    in.group, in.version);
			goto out;
		}
		ret = attach_baseline(st, &in, &attached, err);
		*unchanged = attached ? REGISTRY_IMPORT_BASELINE :
			REGISTRY_IMPORT_SAME;
	} else if (ret == MLOPS_ENOTFOUND) {
		mlops_err_clear(err);
		ret = register_incoming(st, &in, status, stream, err);
		/* Another import of the same version may have won the race
		 * for the number: then this one is a repeat, not a conflict. */
		if (ret == MLOPS_ENOTFOUND &&
		    registry_version_get(st, in.group, in.version, &mv,
					 NULL) == 0 && same_version(mv, &in)) {
			mlops_err_clear(err);
			*unchanged = REGISTRY_IMPORT_SAME;
			ret = 0;
		}
	}
	if (ret == 0) {
		*group = xstrdup(in.group);
		*version = in.version;
	}
out:
	registry_version_free(mv);
	incoming_release(&in);
	return ret;
}

int registry_transfer_import(struct store *st, int fd, const char *stream,
		    const char *status, uint64_t max_size, char **group,
		    int64_t *version, int *unchanged, struct mlops_err *err)
{
	return registry_transfer_import_with(st, fd, stream, status, max_size,
					     NULL, group, version, unchanged,
					     err);
}

int registry_transfer_import_with(struct store *st, int fd,
		    const char *stream, const char *status, uint64_t max_size,
		    const json_t *detail, char **group, int64_t *version,
		    int *unchanged, struct mlops_err *err)
{
	struct audit_entry e = { "registry.import", NULL, "success", NULL };
	char *name = NULL;
	int ret = audit_intend(st, e.action, stream, err);

	if (ret == 0)
		ret = import_stream(st, fd, stream, status, max_size, group,
				    version, unchanged, err);
	if (ret == 0 && *unchanged == REGISTRY_IMPORT_SAME) {
		audit_cancel(st);
		return 0;
	}
	if (ret == 0) {
		e.resource = name = xasprintf("%s/%" PRId64, *group,
					      *version);
		e.detail = detail ? json_deep_copy(detail) : json_object();
		json_object_set_new(e.detail, "from", json_string(stream));
		if (*unchanged == REGISTRY_IMPORT_BASELINE)
			json_object_set_new(e.detail, "baseline_only",
					    json_true());
	}
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	free(name);
	return ret;
}
