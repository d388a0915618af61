/* ingest.c - streaming ingestion into the online and offline stores;
 * see feature.h. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "core/audit.h"
#include "core/bounds.h"
#include "core/csv.h"
#include "feature/feature.h"
#include "feature/offline.h"
#include "core/time.h"
#include "core/utf8.h"
#include "core/xalloc.h"

struct ingest {
	struct store *st;
	const struct feature_group *g;
	const struct feature_ingest_opts *o;
	struct feature_ingest_result *res;
	sqlite3_stmt *upsert;
	struct feature_offline_writer *w;
	char **values;		/* g->nfeatures, "" when missing */
	int *col_feature;	/* CSV column -> feature index */
	size_t ncols;
	char **header;		/* the CSV header, for the errors file */
	int header_written;
	struct buf packed;
	struct buf text;	/* JSONL values as text */
	size_t *offsets;
};

static int prepare(struct ingest *in, struct mlops_err *err)
{
	int ret = store_prepare(in->st, &in->upsert,
		"INSERT INTO feature_online (group_id, record_id, "
		"event_time_us, write_time_us, deleted, record) "
		"VALUES (?1, ?2, ?3, ?4, 0, ?5) "
		"ON CONFLICT (group_id, record_id) DO UPDATE SET "
		"event_time_us = excluded.event_time_us, "
		"write_time_us = excluded.write_time_us, deleted = 0, "
		"record = excluded.record "
		"WHERE excluded.event_time_us >= feature_online.event_time_us",
		err);

	if (ret < 0)
		return ret;
	sqlite3_bind_int64(in->upsert, 1, in->g->id);
	sqlite3_bind_int64(in->upsert, 4, in->res->write_time_us);
	return 0;
}

/* Check every value of the row in in->values: 0, or MLOPS_EINPUT with
 * "column: why" and the event time parsed into *t. */
static int check_row(struct ingest *in, int64_t *t, struct mlops_err *err)
{
	const struct feature_group *g = in->g;
	int ret;

	for (size_t i = 0; i < g->nfeatures; i++)
		if ((ret = feature_group_check_value(g, i, in->values[i],
						     err)) < 0)
			return ret;
	return time_parse(in->values[g->time_index], t, err);
}

/* Write a checked row to the online and offline stores. */
static int store_row(struct ingest *in, int64_t t, struct mlops_err *err)
{
	const struct feature_group *g = in->g;
	int ret;

	if (g->online) {
		buf_reset(&in->packed);
		feature_group_pack(&in->packed, g->nfeatures, in->values);
		sqlite3_bind_text(in->upsert, 2, in->values[g->id_index], -1,
				  SQLITE_STATIC);
		sqlite3_bind_int64(in->upsert, 3, t);
		sqlite3_bind_blob(in->upsert, 5, in->packed.s,
				  (int)in->packed.len, SQLITE_STATIC);
		ret = store_step_done(in->upsert, "cannot write the online "
				      "store", err);
		if (ret < 0)
			return ret;
		sqlite3_reset(in->upsert);
	}
	if (g->offline &&
	    (ret = feature_offline_writer_add(in->w, in->values, t, 0,
					      err)) < 0)
		return ret;
	in->res->rows++;
	return 0;
}

/* A bad row: with an errors file, write raw (a JSONL line) or the
 * nfields fields (a CSV record) there and carry on; otherwise fail with
 * "NAME:LINE: why". */
static int reject(struct ingest *in, long line, const char *raw,
		  size_t raw_len, size_t nfields, char *const *fields,
		  struct mlops_err *err)
{
	FILE *f = in->o->errors;

	mlops_err_prefix(err, "%s:%ld: ", in->o->name, line);
	if (!f)
		return err->code;
	if (in->res->rejected++ == 0)
		snprintf(in->res->first_reject, sizeof(in->res->first_reject),
			 "%s", err->msg);
	mlops_err_clear(err);
	if (raw) {
		fwrite(raw, 1, raw_len, f);
		fputc('\n', f);
	} else {
		if (!in->header_written) {
			csv_fwrite_record(f, in->ncols, in->header);
			in->header_written = 1;
		}
		csv_fwrite_record(f, nfields, fields);
	}
	if (ferror(f))
		return mlops_err_set(err, MLOPS_EINTERNAL, "cannot write the "
				     "rejected rows");
	return 0;
}

/* Map the CSV header to features. */
static int map_header(struct ingest *in, size_t ncols, char **names,
		      struct mlops_err *err)
{
	const struct feature_group *g = in->g;
	int id_seen = 0, time_seen = 0;

	in->ncols = ncols;
	in->col_feature = xcalloc(ncols ? ncols : 1, sizeof(int));
	in->header = xcalloc(ncols ? ncols : 1, sizeof(char *));
	for (size_t c = 0; c < ncols; c++) {
		int f = feature_group_find(g, names[c]);

		in->header[c] = xstrdup(names[c]);
		if (f < 0)
			return mlops_err_set(err, MLOPS_EINPUT, "%s:1: unknown "
					     "column '%s' (not a feature of "
					     "'%s')", in->o->name, names[c],
					     g->name);
		for (size_t d = 0; d < c; d++)
			if (in->col_feature[d] == f)
				return mlops_err_set(err, MLOPS_EINPUT,
						     "%s:1: duplicate column "
						     "'%s'", in->o->name,
						     names[c]);
		in->col_feature[c] = f;
		id_seen |= (size_t)f == g->id_index;
		time_seen |= (size_t)f == g->time_index;
	}
	if (!id_seen || !time_seen)
		return mlops_err_set(err, MLOPS_EINPUT, "%s:1: missing column "
				     "'%s' (the %s)", in->o->name,
				     g->features[id_seen ? g->time_index :
						 g->id_index].name,
				     id_seen ? "event time" :
				     "record identifier");
	return 0;
}

/* Refuse a field that is not UTF-8: stored, it could not be returned as
 * JSON (jansson drops such strings), so `get --json` would lose it. */
static int check_utf8(const struct ingest *in, size_t n,
		      char *const *fields, struct mlops_err *err)
{
	for (size_t c = 0; c < n; c++)
		if (!utf8_valid(fields[c], strlen(fields[c])))
			return mlops_err_set(err, MLOPS_EINPUT, "column '%s' "
					     "(field %zu): the value is not "
					     "valid UTF-8", in->header[c],
					     c + 1);
	return 0;
}

static int ingest_csv(struct ingest *in, struct mlops_err *err)
{
	struct csv_reader *r = csv_reader_new(in->o->fd, in->o->name);
	const struct feature_group *g = in->g;
	char **names = NULL, **fields = NULL;
	size_t ncols = 0, n;
	int64_t t;
	int ret;

	csv_reader_set_progress(r, in->st->progress);
	ret = csv_read_header(r, &ncols, &names, err);
	if (ret == 0)
		ret = map_header(in, ncols, names, err);
	/* csv_read, not csv_read_row: a row with the wrong number of
	 * fields is a bad row like any other, rejected into --errors. */
	while (ret == 0 && (ret = csv_read(r, &n, &fields, err)) == 1) {
		if (n != ncols) {
			ret = mlops_err_set(err, MLOPS_EINPUT, "expected %zu "
					    "fields, found %zu", ncols, n);
		} else if ((ret = check_utf8(in, n, fields, err)) == 0) {
			for (size_t i = 0; i < g->nfeatures; i++)
				in->values[i] = "";
			for (size_t c = 0; c < ncols; c++)
				in->values[in->col_feature[c]] = fields[c];
			ret = check_row(in, &t, err);
		}
		if (ret < 0)
			ret = reject(in, csv_record_line(r), NULL, 0, n,
				     fields, err);
		else
			ret = store_row(in, t, err);
	}
	csv_reader_free(r);
	return ret;
}

/* The shortest text that reads back as d: 0.1, not 0.10000000000000001. */
static void add_double(struct buf *out, double d)
{
	char text[32];

	for (int digits = 15; digits <= 17; digits++) {
		snprintf(text, sizeof(text), "%.*g", digits, d);
		if (strtod(text, NULL) == d)
			break;
	}
	buf_addstr(out, text);
}

/* A JSON value as the text a CSV cell would hold. */
static int json_text(struct ingest *in, const char *key, json_t *v,
		     struct mlops_err *err)
{
	switch (json_typeof(v)) {
	case JSON_NULL:
		break;
	case JSON_STRING:
		buf_add(&in->text, json_string_value(v),
			json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addf(&in->text, "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		break;
	case JSON_REAL:
		add_double(&in->text, json_real_value(v));
		break;
	default:
		return mlops_err_set(err, MLOPS_EINPUT, "%s: a JSON %s is not "
				     "a feature value", key,
				     json_is_boolean(v) ? "boolean" :
				     json_is_array(v) ? "array" : "object");
	}
	buf_addch(&in->text, '\0');
	return 0;
}

/* Turn one JSON Lines record into in->values. */
static int json_row(struct ingest *in, const char *line, size_t len,
		    struct mlops_err *err)
{
	const struct feature_group *g = in->g;
	json_error_t jerr;
	json_t *obj = json_loadb(line, len, JSON_DECODE_ANY |
				 JSON_REJECT_DUPLICATES, &jerr), *v;
	const char *key;
	int ret = 0, f;

	if (!obj || !json_is_object(obj)) {
		ret = obj ? mlops_err_set(err, MLOPS_EINPUT, "not a JSON "
					  "object") :
			mlops_err_set(err, MLOPS_EINPUT, "malformed JSON: %s",
				      jerr.text);
		json_decref(obj);
		return ret;
	}
	buf_reset(&in->text);
	for (size_t i = 0; i < g->nfeatures; i++)
		in->offsets[i] = SIZE_MAX;
	json_object_foreach(obj, key, v) {
		if ((f = feature_group_find(g, key)) < 0) {
			ret = mlops_err_set(err, MLOPS_EINPUT, "unknown column "
					    "'%s' (not a feature of '%s')",
					    key, g->name);
			break;
		}
		in->offsets[f] = in->text.len;
		if ((ret = json_text(in, key, v, err)) < 0)
			break;
	}
	json_decref(obj);
	for (size_t i = 0; i < g->nfeatures; i++)
		in->values[i] = in->offsets[i] == SIZE_MAX ? "" :
			in->text.s + in->offsets[i];
	return ret;
}

static int ingest_jsonl(struct ingest *in, struct mlops_err *err)
{
	int fd = fcntl(in->o->fd, F_DUPFD_CLOEXEC, 0);
	FILE *f = fd < 0 ? NULL : fdopen(fd, "r");
	struct buf lb = BUF_INIT;
	char *line;
	size_t len;
	long lineno = 0;
	int64_t t;
	int ret = 0, got;

	if (!f) {
		if (fd >= 0)
			close(fd);
		return mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				       "cannot read '%s'", in->o->name);
	}
	in->offsets = xcalloc(in->g->nfeatures, sizeof(*in->offsets));
	/* A line is a record: the bound is the CSV reader's. */
	while (ret == 0 && (got = buf_getline(&lb, f, MLOPS_MAX_RECORD,
					      err)) != 0) {
		lineno++;
		progress_add(in->st->progress, lb.len + 1);
		if (got < 0) {
			ret = got;
			mlops_err_prefix(err, "%s:%ld: ", in->o->name, lineno);
			break;
		}
		line = lb.s;
		len = lb.len;
		while (len && line[len - 1] == '\r')
			line[--len] = '\0';
		if (strspn(line, " \t") == len)
			continue;
		if ((ret = json_row(in, line, (size_t)len, err)) == 0 &&
		    (ret = check_row(in, &t, err)) == 0)
			ret = store_row(in, t, err);
		else if (ret < 0)
			ret = reject(in, lineno, line, (size_t)len, 0, NULL,
				     err);
	}
	buf_release(&lb);
	fclose(f);
	return ret;
}

/* Totals and the event, in the transaction. */
static int finish(struct ingest *in, struct mlops_err *err)
{
	sqlite3_stmt *q = NULL;
	json_t *detail;
	int ret;

	ret = store_prepare(in->st, &q, "UPDATE feature_group SET "
			    "record_count = record_count + ?2, "
			    "data_version = data_version + (?2 > 0), "
			    "last_ingest_us = ?3 WHERE id = ?1", err);
	if (ret < 0)
		return ret;
	sqlite3_bind_int64(q, 1, in->g->id);
	sqlite3_bind_int64(q, 2, in->res->rows);
	sqlite3_bind_int64(q, 3, in->res->write_time_us);
	ret = store_step_done(q, "cannot update the group", err);
	sqlite3_finalize(q);
	if (ret < 0)
		return ret;
	detail = json_pack("{s:I,s:I,s:I}", "Records",
			   (json_int_t)in->res->rows, "Rejected",
			   (json_int_t)in->res->rejected, "OfflineFiles",
			   (json_int_t)in->res->files);
	ret = feature_emit(in->st, in->g, "Feature Group Ingestion", detail,
			  err);
	json_decref(detail);
	return ret;
}

static int ingest_run(struct store *st, const struct feature_group *g,
		      const struct feature_ingest_opts *opts,
		      struct feature_ingest_result *res, struct mlops_err *err)
{
	struct ingest in = { st, g, opts, res };
	int ret;

	memset(res, 0, sizeof(*res));
	res->write_time_us = time_now_us();
	in.values = xcalloc(g->nfeatures, sizeof(*in.values));
	buf_init(&in.packed);
	buf_init(&in.text);
	/* A bigger page cache keeps the online table's B-tree in memory
	 * while millions of rows go in. */
	if ((g->offline && (ret = feature_offline_writer_new(&in.w, st, g,
						     res->write_time_us,
						     err)) < 0) ||
	    (ret = store_exec(st, "PRAGMA cache_size = -65536", err)) < 0 ||
	    (ret = store_begin(st, err)) < 0)
		goto out;
	if ((ret = prepare(&in, err)) < 0)
		goto out;
	progress_start(st->progress, PROGRESS_BYTES, progress_fd_total(opts->fd),
		       "ingest %s", g->name);
	ret = opts->format == FEATURE_INGEST_CSV ? ingest_csv(&in, err) :
		ingest_jsonl(&in, err);
	if (ret < 0)
		goto out;
	if (in.w) {
		if ((ret = feature_offline_writer_publish(in.w, err)) < 0)
			goto out;
		res->files = (int64_t)feature_offline_writer_files(in.w);
	}
	if ((ret = finish(&in, err)) < 0)
		goto out;
	ret = store_commit(st, err);
	if (ret == 0)
		progress_done(st->progress);
out:
	if (ret < 0) {
		sqlite3_finalize(in.upsert);
		in.upsert = NULL;
		store_rollback(st);
		if (in.w)
			feature_offline_writer_abort(in.w);
	}
	sqlite3_finalize(in.upsert);
	feature_offline_writer_free(in.w);
	for (size_t c = 0; in.header && c < in.ncols; c++)
		free(in.header[c]);
	free(in.header);
	free(in.col_feature);
	free(in.values);
	free(in.offsets);
	buf_release(&in.packed);
	buf_release(&in.text);
	return ret;
}

int feature_ingest_run(struct store *st, const struct feature_group *g,
		       const struct feature_ingest_opts *opts,
		       struct feature_ingest_result *res,
		       struct mlops_err *err)
{
	struct audit_entry e = { "feature.ingest", g->name, "success", NULL };
	int ret = audit_intend(st, e.action, g->name, err);

	if (ret == 0)
		ret = ingest_run(st, g, opts, res, err);
	else
		memset(res, 0, sizeof(*res));
	e.detail = json_pack("{s:I,s:I,s:s}", "rows", (json_int_t)res->rows,
			     "rejected", (json_int_t)res->rejected, "source",
			     opts->name);
	ret = audit_done(st, ret, &e, err);
	json_decref(e.detail);
	return ret;
}
