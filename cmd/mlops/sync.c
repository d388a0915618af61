/* sync.c - `mlops sync`: copy a model version, a feature group's data or
 * an endpoint's captured data to or from another environment's store,
 * and say what was copied, how much and how fast. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/time.h"
#include "governance/governance.h"
#include "mlops.h"

const char usage_sync[] =
	"usage: mlops sync (--to REMOTE | --from REMOTE) [--since TIME] "
	    "KIND ITEM\n"
	"\n"
	"Copy ITEM from this store to REMOTE (--to), or from REMOTE to this\n"
	"store (--from). REMOTE is a name from 'mlops remote list', or a\n"
	"path to a store. KIND and ITEM:\n"
	"\n"
	"  model GROUP/N        a model version (GROUP@ALIAS, GROUP: latest)\n"
	"                       with its lineage, card and aliases\n"
	"  features GROUP       a feature group: definition, offline files,\n"
	"                       online records\n"
	"  capture ENDPOINT     an endpoint's captured data, to where\n"
	"                       mlops-monitor reads it (capture/ENDPOINT/)\n"
	"\n"
	"What the receiver holds already is not copied again: a second sync\n"
	"prints \"0 copied\". A sync that was killed is finished by running\n"
	"it again. The receiver audits each import, with the sender's audit\n"
	"records about the item. Prints what was copied, the bytes and the\n"
	"throughput.\n"
	"\n"
	"  --from REMOTE   pull from REMOTE into this store\n"
	"  --since TIME    features: only data written at or after TIME;\n"
	"                  capture: only the hours that end after TIME\n"
	"  --to REMOTE     push from this store to REMOTE\n"
	"\n"
	"Exit status: 0 done (copied or not), 2 usage (also: REMOTE is this\n"
	"store), 3 bad data, 4 unknown remote, no store at REMOTE's path, no\n"
	"such item, or a conflict with what the receiver holds, 70 internal\n"
	"error.\n";

static const char *kind_unit(enum governance_sync_kind kind)
{
	return kind == GOVERNANCE_SYNC_MODEL ? "version" : "file";
}

static void print_result(const struct store *from, const struct store *to,
			 enum governance_sync_kind kind,
			 const struct governance_sync_result *r,
			 int64_t elapsed_us)
{
	double secs = (double)elapsed_us / 1e6;
	double mbs = secs > 0 ? (double)r->bytes / 1e6 / secs : 0;

	printf("%s %s -> %s: %" PRId64 " copied, %" PRId64 " present "
	       "(%ss), %" PRIu64 " bytes", r->item ? r->item : "-",
	       from->env, to->env, r->copied, r->present, kind_unit(kind),
	       r->bytes);
	if (kind == GOVERNANCE_SYNC_FEATURES)
		printf(", %" PRId64 " online records", r->records);
	if (kind == GOVERNANCE_SYNC_MODEL)
		printf(", %" PRId64 " aliases set, %" PRId64 " card revisions"
		       ", %" PRId64 " baselines", r->aliases,
		       r->card_revisions, r->baselines);
	printf(" in %.3f s (%.1f MB/s)\n", secs, mbs);
}

int cmd_sync(int argc, char **argv, struct cli *cli)
{
	static const struct option opts[] = {
		{ "from", required_argument, 0, 'f' },
		{ "help", no_argument, 0, 'h' },
		{ "since", required_argument, 0, 's' },
		{ "to", required_argument, 0, 't' }, { 0, 0, 0, 0 }
	};
	struct mlops_err err = MLOPS_ERR_INIT;
	struct governance_sync_result res = { 0 };
	enum governance_sync_kind kind;
	const char *to = NULL, *from = NULL;
	struct store *st, *remote = NULL;
	int64_t since = INT64_MIN, start;
	int c, ret;

	while ((c = cli_getopt(argc, argv, "h", opts, cli, usage_sync)) != -1)
		switch (c) {
		case 'f':
			from = optarg;
			break;
		case 's':
			if (time_parse(optarg, &since, &err) < 0)
				return cli_usage(cli, usage_sync, "--since: %s",
						 err.msg);
			break;
		case 't':
			to = optarg;
			break;
		default:
			return CLI_STATUS(c);
		}
	if (!to == !from)
		return cli_usage(cli, usage_sync, "give one of --to and "
				 "--from");
	if (argc - optind != 2)
		return cli_usage(cli, usage_sync, "expected KIND and ITEM");
	if (governance_sync_kind_parse(argv[optind], &kind) < 0)
		return cli_usage(cli, usage_sync, "unknown kind '%s' (model, "
				 "features or capture)", argv[optind]);
	if (kind == GOVERNANCE_SYNC_MODEL && since != INT64_MIN)
		return cli_usage(cli, usage_sync, "--since is for features "
				 "and capture");
	if ((ret = cli_store(cli, &st)) != 0)
		return ret;
	if (governance_remote_open(st, to ? to : from, &remote, &err) < 0)
		return cli_fail(cli, &err);
	remote->progress = cli_progress(cli, st, 0);
	start = time_mono_us();
	ret = to ? governance_sync_run(st, remote, kind, argv[optind + 1],
				       since, &res, &err) :
		governance_sync_run(remote, st, kind, argv[optind + 1], since,
				    &res, &err);
	if (ret == 0)
		print_result(to ? st : remote, to ? remote : st, kind, &res,
			     time_mono_us() - start);
	if (ret == 0 && res.card_diverged)
		cli_warn(cli, "%s: the model card at the receiver has "
			 "revisions of its own; its card was left alone",
			 res.item);
	governance_sync_result_release(&res);
	store_close(remote);
	return ret < 0 ? cli_fail(cli, &err) : 0;
}
