#!/bin/bash
# t5040-sync-remote.sh - environments and remotes: `mlops init --env`
# names the account of every event and audit record; `mlops remote
# add|list|rm` keeps other stores by name, refuses what is no store or
# this store itself, and audits its changes; `mlops sync` refuses bad
# input with its documented exit statuses and changes nothing.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'the environment is the account of every event' '
	mlops init --env prod prod >/dev/null &&
	export MLOPS_STORE=$PWD/prod/.mlops &&
	echo "{\"learner\":{}}" >m.json &&
	mlops-registry register -a m.json churn >/dev/null &&
	mlops event log --json >events &&
	test -s events &&
	jq -r .account events | sort -u >accounts &&
	echo prod >want &&
	test_cmp want accounts &&
	jq -r .env prod/.mlops/audit.log | sort -u >envs &&
	test_cmp want envs
'

test_expect_success 'remote add, list and rm, each audited' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod >out &&
	grep "remote prod added" out &&
	mlops remote list >list &&
	grep "^prod	prod	$PWD/prod/.mlops	tester@example.com	" list &&
	mlops remote list --json >list.json &&
	jq -se "any(.name == \"prod\" and .path == \"$PWD/prod/.mlops\" and
		.environment == \"prod\")" list.json &&
	mlops remote rm prod &&
	mlops remote list --json >after &&
	test_line_count = 0 after &&
	mlops audit log --json >audit &&
	jq -se "any(.action == \"remote.add\" and .resource == \"prod\" and
		.detail.environment == \"prod\")" audit &&
	jq -se "any(.action == \"remote.rm\" and .resource == \"prod\")" audit
'

test_expect_success 'remote add refuses no store, this store, a taken name' '
	mlops init --env prod prod >/dev/null &&
	mkdir empty &&
	mlops remote add prod prod &&
	test_snapshot &&
	test_expect_code 4 mlops remote add other empty 2>err &&
	grep "no store at .empty" err &&
	test_expect_code 2 mlops remote add self . 2>err &&
	grep "is this store itself" err &&
	test_expect_code 2 mlops remote add self "$MLOPS_STORE" 2>err &&
	test_expect_code 4 mlops remote add prod prod 2>err &&
	grep "remote .prod. exists already" err &&
	test_expect_code 2 mlops remote add "no good" prod 2>err &&
	grep "not a valid remote name" err &&
	test_expect_code 4 mlops remote rm nope 2>err &&
	grep "no remote .nope." err &&
	test_expect_code 2 mlops remote add onlyname 2>err &&
	test_expect_code 2 mlops remote list --bogus 2>err &&
	mlops remote add --help | grep "usage: mlops remote add" &&
	test_store_unchanged
'

test_expect_success 'sync refuses an unknown remote, no store, itself, a missing item' '
	mlops init --env prod prod >/dev/null &&
	mkdir empty &&
	mlops remote add prod prod &&
	echo "{\"learner\":{}}" >m.json &&
	mlops-registry register -a m.json churn >/dev/null &&
	test_snapshot &&
	test_expect_code 4 mlops sync --to nope model churn/1 2>err &&
	grep "no remote .nope." err &&
	test_expect_code 4 mlops sync --to ./empty model churn/1 2>err &&
	grep "no store at" err &&
	test_expect_code 2 mlops sync --to ./ model churn/1 2>err &&
	grep "is this store itself" err &&
	test_expect_code 4 mlops sync --to prod model churn/9 2>err &&
	grep "churn/9" err &&
	test_expect_code 4 mlops sync --to prod model nogroup 2>err &&
	test_expect_code 4 mlops sync --to prod features nogroup 2>err &&
	grep "nogroup" err &&
	test_expect_code 4 mlops sync --to prod capture noendpoint 2>err &&
	grep "no captured data of endpoint .noendpoint." err &&
	test_expect_code 2 mlops sync --to prod capture ../x 2>err &&
	test_expect_code 2 mlops sync --to prod thing churn/1 2>err &&
	grep "unknown kind" err &&
	test_expect_code 2 mlops sync model churn/1 2>err &&
	test_expect_code 2 mlops sync --to prod --from prod model churn/1 2>err &&
	test_expect_code 2 mlops sync --to prod --since 2026-01-01 model churn/1 \
		2>err &&
	test_expect_code 2 mlops sync --to prod --since nonsense features g \
		2>err &&
	test_expect_code 2 mlops sync --bogus 2>err &&
	mlops sync --help | grep "usage: mlops sync" &&
	test_store_unchanged &&
	MLOPS_STORE=$PWD/prod/.mlops mlops-registry list >prodlist &&
	! grep churn prodlist
'

test_expect_success 'a remote whose store went away is reported, not synced' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	echo "{\"learner\":{}}" >m.json &&
	mlops-registry register -a m.json churn >/dev/null &&
	rm -rf prod &&
	test_expect_code 4 mlops sync --to prod model churn/1 2>err &&
	grep "remote .prod.: no store at" err &&
	mlops remote list >list &&
	grep "^prod	-	" list
'

test_done
