#!/bin/bash
# t5043-sync-features.sh - `mlops sync ... features`: a feature group's
# definition, offline files and online records go to another store,
# incrementally (--since, and by what the receiver lists already); a
# sync killed before its commit leaves nothing (not even the group) and
# the next does it all; a group defined
# otherwise at the receiver is refused.
. "$(dirname "$0")/test-lib.sh"

batch1() {
	printf "customer_id,event_time,age\nc1,2026-01-01T00:00:00Z,30\nc2,2026-01-01T00:00:00Z,40\n" |
		mlops-feature ingest customers - >/dev/null
}
batch2() {
	printf "customer_id,event_time,age\nc1,2026-02-01T00:00:00Z,31\nc3,2026-02-01T00:00:00Z,50\n" |
		mlops-feature ingest customers - >/dev/null
}

test_expect_success 'a group syncs whole, then only what is new with --since' '
	mlops init --env ml ml >/dev/null &&
	mlops remote add ml ml &&
	test_customers_group &&
	batch1 &&
	mlops sync --to ml features customers >out &&
	grep "customers test -> ml: 2 copied, 0 present (files), [1-9][0-9]* bytes, 2 online records" out &&
	T=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ) &&
	batch2 &&
	mlops sync --to ml --since "$T" features customers >inc &&
	grep "1 copied, 0 present (files), [1-9][0-9]* bytes, 2 online records" inc &&
	mlops sync --to ml features customers >again &&
	grep "0 copied, 3 present (files), 0 bytes, 0 online records" again &&
	M=$PWD/ml/.mlops &&
	mlops-feature export customers | cut -d, -f1-3 | sort >a &&
	MLOPS_STORE=$M mlops-feature export customers | cut -d, -f1-3 | sort >b &&
	test_cmp a b &&
	test_line_count = 6 b &&
	MLOPS_STORE=$M mlops-feature get customers c1 >c1 &&
	grep "c1,2026-02-01T00:00:00Z,31" c1 &&
	mlops-feature describe customers | grep -v "^created:" >da &&
	MLOPS_STORE=$M mlops-feature describe customers | grep -v "^created:" >db &&
	test_cmp da db &&
	(cd ml/.mlops && find offline -name "*.csv.gz" | sort |
		xargs sha256sum) >sums &&
	(cd .mlops && find offline -name "*.csv.gz" | sort |
		xargs sha256sum) >ours &&
	test_cmp ours sums &&
	sqlite3 "$M/mlops.db" "SELECT hash || \"  \" || path FROM sync_file
		WHERE kind = \"features\" AND item = \"customers\" ORDER BY path" >recorded &&
	test_cmp sums recorded &&
	MLOPS_STORE=$M mlops audit log --json >audit &&
	jq -s "[.[] | select(.action == \"feature.import\")] | length" audit >n &&
	echo 2 >two &&
	test_cmp two n &&
	jq -se "any(.action == \"feature.import\" and .resource == \"customers\" and
		any(.detail.sender_audit[]; .action == \"feature.ingest\"))" audit &&
	MLOPS_STORE=$M mlops event log --json \
		--type "Feature Group Data Imported" >events &&
	test_line_count = 2 events &&
	jq -se ".[0].detail.files == 2 and .[1].detail.files == 1 and
		.[0].detail.SourceAccount == \"test\" and
		.[0].account == \"ml\"" events &&
	MLOPS_STORE=$M mlops fsck
'

test_expect_success 'a pulled group is a dataset source like any other' '
	mlops init --env data data >/dev/null &&
	(export MLOPS_STORE=$PWD/data/.mlops && test_customers_group) &&
	mlops sync --from ./data features customers >out &&
	grep "1 copied" out &&
	printf "customer_id,event_time\nc1,2026-06-01T00:00:00Z\n" >entities.csv &&
	mlops-feature dataset --entities entities.csv --features customers:age >ds &&
	grep "c1,2026-06-01T00:00:00Z,30" ds
'

test_expect_success 'a features sync killed before its commit leaves no group; the next syncs all' '
	mlops init --env ml ml >/dev/null &&
	test_customers_group &&
	batch2 &&
	test_expect_code 137 sqlite_fault "INSERT INTO feature_online" \
		env SQLITE_FAULT_KILL=1 mlops sync --to ./ml features customers &&
	test_expect_code 4 env MLOPS_STORE=$PWD/ml/.mlops \
		mlops-feature export customers 2>err &&
	grep "feature group .customers. does not exist" err &&
	mlops sync --to ./ml features customers >out &&
	grep "2 copied, 0 present (files), [1-9][0-9]* bytes, 2 online records" out &&
	mlops sync --to ./ml features customers >out &&
	grep "0 copied, 2 present" out &&
	MLOPS_STORE=$PWD/ml/.mlops mlops-feature export customers >all &&
	test_line_count = 4 all &&
	MLOPS_STORE=$PWD/ml/.mlops mlops gc --grace 0 >/dev/null &&
	MLOPS_STORE=$PWD/ml/.mlops mlops fsck
'

test_expect_success 'two syncs of one group at once apply it once' '
	mlops init --env ml ml >/dev/null &&
	test_customers_group &&
	batch1 && batch2 &&
	for i in 1 2 3 4; do
		mlops sync --to ./ml features customers >out.$i 2>err.$i &
	done &&
	wait &&
	cat out.* &&
	test $(cat out.* | wc -l) = 4 &&
	mlops-feature describe customers | grep -v "^created:" >da &&
	MLOPS_STORE=$PWD/ml/.mlops mlops-feature describe customers |
		grep -v "^created:" >db &&
	test_cmp da db &&
	mlops-feature export customers | cut -d, -f1-3 | sort >a &&
	MLOPS_STORE=$PWD/ml/.mlops mlops-feature export customers |
		cut -d, -f1-3 | sort >b &&
	test_cmp a b
'

test_expect_success 'a sender whose files lie outside its offline folder is refused' '
	mlops init --env ml ml >/dev/null &&
	test_customers_group &&
	sqlite3 "$MLOPS_STORE/mlops.db" \
		"UPDATE feature_part SET path = \"offline/customers/../../../../evil.csv.gz\"" &&
	test_expect_code 3 mlops sync --to ./ml features customers 2>err &&
	grep "is not below offline/customers/" err &&
	! test -e ../evil.csv.gz && ! test -e ../../evil.csv.gz
'

test_expect_success 'a group defined otherwise at the receiver is refused' '
	mlops init --env ml ml >/dev/null &&
	test_customers_group &&
	(export MLOPS_STORE=$PWD/ml/.mlops &&
	 sed "s/integral/fractional/" customers.yaml >other.yaml &&
	 mlops-feature create other.yaml >/dev/null) &&
	(cd ml && MLOPS_STORE=$PWD/.mlops test_snapshot ../ml.snap) &&
	test_expect_code 4 mlops sync --to ./ml features customers 2>err &&
	grep "feature group .customers. is defined otherwise" err &&
	(cd ml && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../ml.snap)
'

test_done
