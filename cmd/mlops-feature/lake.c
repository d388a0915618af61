/* lake.c - `mlops-feature ddl|export|dataset`: the offline store as a
 * table for other engines, as one CSV stream, and as point-in-time
 * training datasets. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feature/feature.h"
#include "feature.h"
#include "core/fs.h"
#include "core/parse.h"
#include "core/time.h"
#include "core/xalloc.h"

#define DEFAULT_MEMORY "256MB"

const char usage_ddl[] =
	"usage: mlops-feature ddl [--engine spark|trino|duckdb]\n"
	"                         [--schema SCHEMA] GROUP\n"
	"\n"
	"Print the SQL statements, each ending in \";\" and a newline, that\n"
	"make the group's offline store (Hive partitions year/month/day/hour\n"
	"of gzip CSV files) a table: CREATE TABLE for Spark and Trino, a\n"
	"view over read_csv for DuckDB. A delete is a row with is_deleted\n"
	"true and no feature values.\n"
	"\n"
	"  --engine E        spark (default), trino or duckdb\n"
	"  --schema SCHEMA   make the table in SCHEMA (default: the\n"
	"                    session's; for trino: default)\n";
const char usage_export[] =
	"usage: mlops-feature export [--as-of T] GROUP\n"
	"\n"
	"Write the group's whole offline table, with write_time,\n"
	"api_invocation_time and is_deleted, as one CSV stream.\n"
	"\n"
	"  --as-of T   only what was written at or before T\n";
const char usage_dataset[] =
	"usage: mlops-feature dataset --entities FILE "
	    "--features GROUP[:F,...]\n"
	"                             [--features ...] [--id-column C]\n"
	"                             [--time-column C] [--as-of T]\n"
	"                             [--plain-names] [--memory SIZE]\n"
	"                             [-o FILE]\n"
	"\n"
	"Join to each entity row (an ID, a timestamp, any label columns) the\n"
	"features each group had at that timestamp: the record with the\n"
	"greatest event time at or before it, within the group's TTL, not\n"
	"deleted. One output row per entity row, in input order; feature\n"
	"columns are named GROUP__feature.\n"
	"\n"
	"  --entities FILE     CSV with a header (- for standard input)\n"
	"  --features G:F,...  features of group G (G alone: all but its\n"
	"                      identifier and event time); repeat for more\n"
	"                      groups\n"
	"  --id-column C       the entity ID column (default: the first\n"
	"                      group's record identifier)\n"
	"  --time-column C     the timestamp column (default: the first\n"
	"                      group's event time feature)\n"
	"  --as-of T           ignore records written after T\n"
	"  --plain-names       name columns by feature alone when unambiguous\n"
	"  --memory SIZE       memory for sorting before spilling to disk\n"
	"                      (default " DEFAULT_MEMORY ")\n"
	"  -o, --output FILE   write FILE (atomically) instead of stdout\n"
	"                      (- is stdout)\n";

const char usage_reindex[] =
	"usage: mlops-feature reindex GROUP\n"
	"\n"
	"Make again, from the offline CSV files, each sorted run of the\n"
	"group that is missing or damaged (what 'mlops fsck' reports), and\n"
	"the runs of files ingested before runs existed. A join reads the\n"
	"CSV files of any ingest without a good run, so this changes speed,\n"
	"never results. Prints how many runs it made.\n";

/* Load group name for a verb that reads its offline store: 0, or the
 * exit status after printing why (an online-only group has none). */
static int load_offline_group(struct cli *cli, const char *name,
			      struct store **st, struct feature_group **g)
{
	int ret = feature_load_group(cli, name, st, g);

	if (ret == 0 && !(*g)->offline) {
		ret = cli_error(cli, MLOPS_ENOTFOUND, "feature group '%s' has "
				"no offline store", (*g)->name);
		feature_group_free(*g);
		*g = NULL;
	}
	return ret;
}

int cmd_ddl(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "engine", required_argument, 0, 'e' },
		{ "help", no_argument, 0, 'h' },
		{ "schema", required_argument, 0, 's' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	enum feature_ddl_engine engine = FEATURE_DDL_SPARK;
	const char *schema = NULL;
	struct buf out = BUF_INIT;
	struct feature_group *g = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "e:hs:", opts, cli, usage_ddl))
	       != -1)
		switch (c) {
		case 'e':
			if (feature_ddl_engine_parse(optarg, &engine) < 0)
				return cli_usage(cli, usage_ddl, "unknown "
						 "engine '%s'", optarg);
			break;
		case 's':
			if (!feature_group_valid_name(optarg))
				return cli_usage(cli, usage_ddl, "schema '%s' "
						 "must be a letter or digit, "
						 "then up to 63 letters, "
						 "digits, '_' or '-'", optarg);
			schema = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_ddl, NULL);
	if ((ret = load_offline_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	if (feature_ddl_print(&out, st, g, engine, schema, &err) < 0)
		ret = cli_fail(cli, &err);
	else
		fwrite(out.s, 1, out.len, stdout);
	buf_release(&out);
	feature_group_free(g);
	return ret;
}

static int parse_time_opt(struct cli *cli, const char *usage,
			  const char *s, int64_t *out)
{
	struct mlops_err err = MLOPS_ERR_INIT;

	if (time_parse(s, out, &err) < 0)
		return cli_usage(cli, usage, "%s", err.msg);
	return 0;
}

int cmd_export(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, 0, 'a' },
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	int64_t as_of = INT64_MAX;
	struct feature_group *g = NULL;
	struct store *st;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "a:h", opts, cli, usage_export))
	       != -1)
		switch (c) {
		case 'a':
			if ((ret = parse_time_opt(cli, usage_export, optarg,
						  &as_of)) != 0)
				return ret;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (argc - optind != 1)
		return cli_usage(cli, usage_export, NULL);
	if ((ret = load_offline_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	cli_progress(cli, st, 1);
	if (feature_offline_export(st, g, as_of, stdout, &err) < 0)
		ret = cli_fail(cli, &err);
	feature_group_free(g);
	return ret;
}

/* Run the join into path atomically: a temporary file beside it,
 * fsynced and renamed when complete. */
static int dataset_to_file(struct store *st, struct feature_pit_opts *o,
			   const char *path, struct mlops_err *err)
{
	char *dir = fs_path_dirname(path);
	char *tmp = NULL;
	int fd, ret;

	fd = fs_tmpfile_open(dir, ".mlops-dataset", &tmp, err);
	free(dir);
	if (fd < 0)
		return fd;
	fchmod(fd, 0644);
	o->out = fdopen(fcntl(fd, F_DUPFD_CLOEXEC, 0), "w");
	if (!o->out) {
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot write '%s'", tmp);
		close(fd);
		unlink(tmp);
		free(tmp);
		return ret;
	}
	ret = feature_pit_dataset(st, o, err);
	if (fclose(o->out) != 0 && ret == 0)
		ret = mlops_err_errno(err, MLOPS_EINTERNAL, errno,
				      "cannot write '%s'", tmp);
	if (ret == 0) {
		ret = fs_tmpfile_commit(fd, tmp, path, err);
	} else {
		close(fd);
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

int cmd_dataset(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "as-of", required_argument, 0, 'a' },
		{ "entities", required_argument, 0, 'e' },
		{ "features", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "id-column", required_argument, 0, 'I' },
		{ "memory", required_argument, 0, 'm' },
		{ "output", required_argument, 0, 'o' },
		{ "plain-names", no_argument, 0, 'p' },
		{ "time-column", required_argument, 0, 'T' },
		{ 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_pit_opts o = { NULL };
	struct feature_pit_request *reqs = NULL;
	json_t *groups = NULL;
	size_t nreqs = 0, cap = 0;
	const char *output = NULL, *memory = DEFAULT_MEMORY;
	uint64_t mem;
	struct store *st;
	int c, ret = 0;

	o.as_of_us = INT64_MAX;
	while (ret == 0 && (c = cli_getopt(argc, argv, "a:e:f:hI:m:o:pT:",
					   opts, cli, usage_dataset)) != -1) {
		if (CLI_EXIT(c)) {
			ret = CLI_STATUS(c);
			goto out;
		}
		switch (c) {
		case 'a':
			ret = parse_time_opt(cli, usage_dataset, optarg,
					     &o.as_of_us);
			break;
		case 'e':
			o.entities = optarg;
			break;
		case 'f':
			ALLOC_GROW(reqs, nreqs + 1, cap);
			if (feature_pit_request_parse(&reqs[nreqs], optarg,
						      &err) < 0)
				ret = cli_usage(cli, usage_dataset, "%s",
						err.msg);
			else
				nreqs++;
			break;
		case 'I':
			o.id_column = optarg;
			break;
		case 'm':
			memory = optarg;
			break;
		case 'o':
			output = cli_output(optarg);
			break;
		case 'p':
			o.plain_names = 1;
			break;
		case 'T':
			o.time_column = optarg;
			break;
		}
	}
	if (ret == 0 && (argc - optind != 0 || !o.entities || nreqs == 0))
		ret = cli_usage(cli, usage_dataset, !o.entities ?
				"--entities is required" : nreqs == 0 ?
				"--features is required" :
				"too many arguments");
	if (ret == 0 && parse_size(memory, &mem, "--memory", &err) < 0)
		ret = cli_usage(cli, usage_dataset, "%s", err.msg);
	if (ret == 0)
		ret = cli_store(cli, &st);
	if (ret == 0)
		cli_progress(cli, st, !output);
	if (ret == 0 && output &&
	    feature_lineage_state(st, reqs, nreqs, &groups, &err) < 0)
		ret = cli_fail(cli, &err);
	if (ret == 0) {
		o.requests = reqs;
		o.nrequests = nreqs;
		o.memory = (size_t)mem;
		o.out = stdout;
		if ((output ? dataset_to_file(st, &o, output, &err) :
		     feature_pit_dataset(st, &o, &err)) < 0)
			ret = cli_fail(cli, &err);
	}
	/* The groups' states were taken before the join read them. */
	if (ret == 0 && output && feature_lineage_record(st, output, groups,
							 o.as_of_us, &err) < 0)
		ret = cli_fail(cli, &err);
out:
	json_decref(groups);
	for (size_t i = 0; i < nreqs; i++)
		feature_pit_request_release(&reqs[i]);
	free(reqs);
	return ret;
}

int cmd_reindex(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "help", no_argument, 0, 'h' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct feature_group *g = NULL;
	struct store *st;
	size_t built;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_reindex))
	       != -1)
		return CLI_STATUS(c);
	if (argc - optind != 1)
		return cli_usage(cli, usage_reindex, NULL);
	if ((ret = load_offline_group(cli, argv[optind], &st, &g)) != 0)
		return ret;
	if (feature_run_rebuild(st, g, &built, &err) < 0)
		ret = cli_fail(cli, &err);
	else
		printf("%s: made %zu sorted run%s\n", g->name, built,
		       built == 1 ? "" : "s");
	feature_group_free(g);
	return ret;
}
