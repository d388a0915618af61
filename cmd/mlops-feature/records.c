/* records.c - `mlops-feature ingest|get|delete`: records in and out. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/bounds.h"
#include "core/csv.h"
#include "feature.h"
#include "feature/feature.h"
#include "core/fs.h"
#include "core/jsonio.h"
#include "core/time.h"
#include "core/xalloc.h"

const char usage_ingest[] =
	"usage: mlops-feature ingest [--format csv|jsonl] [--errors FILE]\n"
	"                            GROUP [FILE|-]\n"
	"\n"
	"Ingest records from FILE (default: standard input), CSV with a\n"
	"header row or JSON Lines, into the online and offline stores. All\n"
	"or nothing: one bad row stops it and nothing is ingested.\n"
	"\n"
	"  --format FMT    csv or jsonl (default: jsonl for *.jsonl and\n"
	"                  *.ndjson, else csv)\n"
	"  --errors FILE   write rejected rows to FILE and ingest the rest\n"
	"                  (exit 1 when any was rejected)\n";
const char usage_get[] =
	"usage: mlops-feature get [--json] [--features F,...] [--ids FILE|-]\n"
	"                         GROUP [ID...]\n"
	"\n"
	"Print the latest record of each ID from the online store: CSV with\n"
	"a header, or JSON Lines; every row holds the record identifier. An\n"
	"ID absent, deleted or older than the TTL prints no row but a line\n"
	"on standard error; exit 1 when some were not found, 4 when none\n"
	"was.\n"
	"\n"
	"  --features F,...   only these features, after the record\n"
	"                     identifier unless named (default: all)\n"
	"  --ids FILE         read more IDs from FILE, one per line\n"
	"  --json             JSON Lines with typed values\n";
const char usage_delete[] =
	"usage: mlops-feature delete [--hard] --event-time T GROUP ID\n"
	"\n"
	"Delete record ID as of event time T. A soft delete keeps the record\n"
	"marked deleted in the online store, --hard removes it; either way\n"
	"get stops returning it and the offline store records is_deleted at\n"
	"T, which point-in-time datasets honour.\n"
	"\n"
	"  --event-time T   the delete's event time (RFC 3339 or Unix\n"
	"                   seconds)\n"
	"  --hard           remove the online record instead of marking it\n";

static enum feature_ingest_format guess_format(const char *path)
{
	size_t n = strlen(path);

	if ((n > 6 && strcmp(path + n - 6, ".jsonl") == 0) ||
	    (n > 7 && strcmp(path + n - 7, ".ndjson") == 0))
		return FEATURE_INGEST_JSONL;
	return FEATURE_INGEST_CSV;
}

/* Whether path names the file open on fd: opening it for the rejected
 * rows would truncate the input before a row is read. */
static int same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
		a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

int cmd_ingest(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "errors", required_argument, 0, 'e' },
		{ "format", required_argument, 0, 'F' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_ingest_opts o = { STDIN_FILENO, "<stdin>",
					 FEATURE_INGEST_CSV };
	struct feature_ingest_result res;
	const char *format = NULL, *errors = NULL, *path = "-";
	struct feature_group *g = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "e:F:h", opts, cli, usage_ingest))
	       != -1)
		switch (c) {
		case 'e':
			errors = optarg;
			break;
		case 'F':
			format = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind < 1 || argc - optind > 2)
		return cli_usage(cli, usage_ingest, NULL);
	if (argc - optind == 2)
		path = argv[optind + 1];
	if (format && strcmp(format, "csv") != 0 &&
	    strcmp(format, "jsonl") != 0)
		return cli_usage(cli, usage_ingest, "unknown format '%s'",
				 format);
	o.format = format ? (strcmp(format, "csv") == 0 ? FEATURE_INGEST_CSV :
			     FEATURE_INGEST_JSONL) : guess_format(path);
	if ((ret = feature_load_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	if (strcmp(path, "-") != 0) {
		o.name = path;
		o.fd = fs_open_input(path, &err);
		if (o.fd < 0) {
			ret = cli_fail(cli, &err);
			goto out;
		}
	}
	if (errors && same_file(o.fd, errors)) {
		ret = cli_usage(cli, usage_ingest, "--errors '%s' is the input "
				"itself", errors);
		goto out;
	}
	if (errors && !(o.errors = fopen(errors, "we"))) {
		ret = cli_error(cli, MLOPS_EUSAGE, "cannot write '%s': %s",
				errors, strerror(errno));
		goto out;
	}
	cli_progress(cli, st, 0);
	ret = feature_ingest_run(st, g, &o, &res, &err);
	if (o.errors && fclose(o.errors) != 0 && ret == 0)
		ret = mlops_err_errno(&err, MLOPS_EINTERNAL, errno,
				      "cannot write '%s'", errors);
	if (ret < 0) {
		ret = cli_fail(cli, &err);
		goto out;
	}
	printf("%s: ingested %" PRId64 " rows into %" PRId64 " offline "
	       "files\n", g->name, res.rows, res.files);
	if (res.rejected) {
		cli_warn(cli, "rejected %" PRId64 " rows into '%s'; the first: "
			 "%s", res.rejected, errors, res.first_reject);
		ret = MLOPS_EXIT_FINDING;
	}
out:
	if (o.fd != STDIN_FILENO && o.fd >= 0)
		close(o.fd);
	feature_group_free(g);
	return ret;
}

static int selected(const size_t *sel, size_t nsel, size_t f)
{
	for (size_t i = 0; i < nsel; i++)
		if (sel[i] == f)
			return 1;
	return 0;
}

/* Features to print: --features a,b or all. */
static int select_features(struct cli *cli, const struct feature_group *g,
			   const char *list, size_t **sel, size_t *nsel)
{
	char *copy, *p, *next;
	int ret = 0;

	*sel = xcalloc(g->nfeatures, sizeof(**sel));
	*nsel = 0;
	if (!list) {
		for (size_t i = 0; i < g->nfeatures; i++)
			(*sel)[(*nsel)++] = i;
		return 0;
	}
	copy = xstrdup(list);
	for (p = copy; p && ret == 0; p = next) {
		int f;

		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		f = feature_group_find(g, p);
		if (f < 0)
			ret = cli_error(cli, MLOPS_ENOTFOUND, "feature group "
					"'%s' has no feature '%s'", g->name, p);
		else if (selected(*sel, *nsel, (size_t)f))
			ret = cli_usage(cli, usage_get, "--features names "
					"'%s' twice", p);
		else
			(*sel)[(*nsel)++] = (size_t)f;
	}
	free(copy);
	return ret;
}

struct get_state {
	struct cli *cli;
	const struct feature_group *g;
	struct feature_online_reader *r;
	size_t *sel, nsel;
	int json;
	char **row;
	int64_t now, found, missing;
};

/* Say on stderr why id has no row, so that no ID goes missing silently
 * whatever the output format. */
static void report_missing(struct get_state *gs, const char *id,
			   int state, int64_t t)
{
	char expired[TIME_RFC3339_MAX];

	gs->missing++;
	if (state == FEATURE_ONLINE_EXPIRED) {
		time_format(t + gs->g->ttl_us, expired);
		cli_warn(gs->cli, "record '%s' of feature group '%s' expired "
			 "at %s (its event time plus the TTL)", id,
			 gs->g->name, expired);
	} else {
		cli_warn(gs->cli, "record '%s' of feature group '%s' %s", id,
			 gs->g->name,
			 state == FEATURE_ONLINE_DELETED ? "is deleted" :
			 "does not exist");
	}
}

static int get_one(struct get_state *gs, const char *id,
		   struct mlops_err *err)
{
	char **values;
	int64_t t = 0;
	int ret = feature_online_get(gs->r, id, gs->now, &values, &t, err);

	if (ret < 0)
		return ret;
	if (ret != FEATURE_ONLINE_FOUND) {
		report_missing(gs, id, ret, t);
		return 0;
	}
	gs->found++;
	if (gs->json) {
		json_t *j = json_object();

		for (size_t i = 0; i < gs->nsel; i++) {
			const struct feature_group_def *f =
				&gs->g->features[gs->sel[i]];

			json_object_set_new(j, f->name, feature_group_value_json(f->type,
						values[gs->sel[i]]));
		}
		jsonio_print(stdout, j);
		json_decref(j);
		return 0;
	}
	/* The header comes with the first record, so that nothing found
	 * prints nothing. */
	if (gs->found == 1) {
		for (size_t i = 0; i < gs->nsel; i++)
			gs->row[i] = gs->g->features[gs->sel[i]].name;
		csv_fwrite_record(stdout, gs->nsel, gs->row);
	}
	for (size_t i = 0; i < gs->nsel; i++)
		gs->row[i] = values[gs->sel[i]];
	csv_fwrite_record(stdout, gs->nsel, gs->row);
	return 0;
}

static int get_from_file(struct get_state *gs, const char *path,
			 struct mlops_err *err)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "re");
	struct buf line = BUF_INIT;
	long lineno = 0;
	int ret = 0;

	if (!f)
		return mlops_err_errno(err, errno == ENOENT ? MLOPS_ENOTFOUND :
				       MLOPS_EINPUT, errno, "cannot open '%s'",
				       path);
	/* An ID per line: a line is a record, with the record bound. */
	while (ret == 0) {
		int got = buf_getline(&line, f, MLOPS_MAX_RECORD, err);

		if (got < 0)
			ret = mlops_err_prefix(err, "%s:%ld: ", path,
					       lineno + 1);
		if (got <= 0)
			break;
		lineno++;
		while (line.len && line.s[line.len - 1] == '\r')
			buf_setlen(&line, line.len - 1);
		if (line.len)
			ret = get_one(gs, line.s, err);
	}
	buf_release(&line);
	if (f != stdin)
		fclose(f);
	return ret;
}

int cmd_get(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "features", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "ids", required_argument, 0, 'i' },
		{ "json", no_argument, 0, 'j' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct get_state gs = { cli };
	const char *features = NULL, *ids = NULL;
	struct feature_group *g = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "f:hi:j", opts, cli, usage_get))
	       != -1)
		switch (c) {
		case 'f':
			features = optarg;
			break;
		case 'i':
			ids = optarg;
			break;
		case 'j':
			gs.json = 1;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind < 1 || (argc - optind < 2 && !ids))
		return cli_usage(cli, usage_get, NULL);
	if ((ret = feature_load_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	gs.g = g;
	if (!g->online) {
		ret = cli_error(cli, MLOPS_ENOTFOUND, "feature group '%s' has "
				"no online store", g->name);
		goto out;
	}
	if ((ret = select_features(cli, g, features, &gs.sel, &gs.nsel)) != 0)
		goto out;
	/* Every row names its ID: the record identifier comes first unless
	 * --features placed it. */
	if (!selected(gs.sel, gs.nsel, g->id_index)) {
		memmove(gs.sel + 1, gs.sel, gs.nsel * sizeof(*gs.sel));
		gs.sel[0] = g->id_index;
		gs.nsel++;
	}
	if (feature_online_reader_new(&gs.r, st, g, &err) < 0) {
		ret = cli_fail(cli, &err);
		goto out;
	}
	gs.now = time_now_us();
	gs.row = xcalloc(gs.nsel, sizeof(*gs.row));
	for (int i = optind + 1; i < argc && ret == 0; i++)
		ret = get_one(&gs, argv[i], &err);
	if (ret == 0 && ids)
		ret = get_from_file(&gs, ids, &err);
	if (ret < 0)
		ret = cli_fail(cli, &err);
	else if (gs.missing)
		ret = gs.found ? MLOPS_EXIT_FINDING : -MLOPS_ENOTFOUND;
out:
	feature_online_reader_free(gs.r);
	free(gs.sel);
	free(gs.row);
	feature_group_free(g);
	return ret;
}

int cmd_delete(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "event-time", required_argument, 0, 't' },
		{ "hard", no_argument, 0, 'H' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	const char *when = NULL;
	struct feature_group *g = NULL;
	struct store *st;
	char *resource;
	int64_t t;
	int c, hard = 0, ret;

	while ((c = cli_getopt(argc, argv, "Hht:", opts, cli, usage_delete))
	       != -1)
		switch (c) {
		case 'H':
			hard = 1;
			break;
		case 't':
			when = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 2 || !when)
		return cli_usage(cli, usage_delete, !when ?
				 "--event-time is required" : NULL);
	if (time_parse(when, &t, &err) < 0)
		return cli_usage(cli, usage_delete, "%s", err.msg);
	if ((ret = feature_load_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	resource = xasprintf("%s/%s", g->name, argv[optind + 1]);
	if (feature_online_delete(st, g, argv[optind + 1], t, hard, &err) < 0) {
		free(resource);
		ret = cli_fail(cli, &err);
		goto out;
	}
	printf("%s: deleted (%s)\n", resource, hard ? "hard" : "soft");
	free(resource);
out:
	feature_group_free(g);
	return ret;
}
