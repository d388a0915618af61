#!/bin/bash
# t0004-audit-event-config.sh - the audit trail, events and config.yaml.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'every mutating command appends one audit record' '
	echo a | mlops object put >/dev/null &&
	mlops config set defaults.capture 20 &&
	mlops audit log --json >out &&
	test_line_count = 3 out &&
	grep "\"action\":\"store.init\"" out &&
	grep "\"action\":\"object.put\"" out &&
	grep "\"action\":\"config.set\".*\"user\":\"tester@example.com\"" out &&
	mlops audit verify 2>out &&
	grep "intact: 3 records" out
'

test_expect_success 'audit log filters by user, action and time' '
	MLOPS_USER=alice@example.com mlops config set a 1 &&
	MLOPS_USER=bob@example.com mlops config set b 2 &&
	mlops audit log --user alice@example.com >out &&
	grep -c alice out >n && test "$(cat n)" = 1 &&
	mlops audit log --action config. --json >out &&
	test_line_count = 2 out &&
	mlops audit log --since 2999-01-01T00:00:00Z --json >out &&
	test_line_count = 0 out &&
	test_expect_code 2 mlops audit log --since tomorrow 2>err &&
	grep "is not a timestamp" err
'

test_expect_success 'a refused config set is audited as a failure' '
	test_expect_code 3 mlops config set environment "no spaces" 2>err &&
	grep "is not a valid name" err &&
	mlops audit log --action config.set --json >out &&
	test_line_count = 1 out &&
	jq -e "select(.resource == \"environment\" and .outcome == \"failure\"
		and .detail.status == 3)" out
'

test_expect_success 'audit verify finds an edited record: exit 1 naming it' '
	mlops config set a 1 && mlops config set b 2 &&
	sed -i "2s/config.set/config.xxx/" "$MLOPS_STORE/audit.log" &&
	test_expect_code 1 mlops audit verify >out &&
	grep "audit.log:2: record 2 does not follow record 1" out
'

test_expect_success 'audit verify finds a deleted record' '
	mlops config set a 1 && mlops config set b 2 &&
	sed -i "2d" "$MLOPS_STORE/audit.log" &&
	test_expect_code 1 mlops audit verify >out &&
	grep "deleted or reordered" out
'

test_expect_success 'concurrent appends keep one unbroken chain' '
	for i in 1 2 3 4; do
		(for j in $(seq 1 25); do mlops config set k$i.j$j $j || exit 1; done) &
	done &&
	wait &&
	mlops audit verify 2>out &&
	grep "intact: 101 records" out
'

test_expect_success 'event put records an envelope and fills its gaps' '
	echo "{\"source\":\"my.app\",\"detail-type\":\"Ping\",\"detail\":{\"n\":1}}" |
		mlops event put >id &&
	mlops event log --json >out &&
	grep "\"id\":\"$(cat id)\"" out &&
	grep "\"account\":\"test\"" out &&
	grep "\"region\":\"local\"" out &&
	grep "\"version\":\"0\"" out &&
	mlops event log >out &&
	grep "my.app" out
'

test_expect_success 'event put takes JSON Lines, all or nothing' '
	printf "%s\n" "{\"source\":\"a\",\"detail-type\":\"T\",\"detail\":{}}" \
		"{\"source\":\"b\",\"detail-type\":\"T\",\"detail\":{}}" >ev.jsonl &&
	mlops event put ev.jsonl >ids &&
	test_line_count = 2 ids &&
	printf "%s\n" "{\"source\":\"c\",\"detail-type\":\"T\",\"detail\":{}}" \
		"{\"source\":\"d\",\"detail-type\":\"T\"}" >bad.jsonl &&
	test_snapshot &&
	test_expect_code 3 mlops event put bad.jsonl 2>err &&
	grep "\"detail\" must be a JSON object" err &&
	test_store_unchanged &&
	test "$(mlops event log --source c --json | wc -l)" = 0
'

test_expect_success 'event put rejects malformed JSON with line and column' '
	printf "{\"source\": \"a\",\n \"detail-type\": }\n" >bad.json &&
	test_snapshot &&
	test_expect_code 3 mlops event put bad.json 2>err &&
	grep "^mlops: bad.json:" err &&
	test_store_unchanged
'

test_expect_success 'event log filters by source, type, time and count' '
	for s in a b a a; do
		echo "{\"source\":\"$s\",\"detail-type\":\"T$s\",\"detail\":{}}" |
			mlops event put >/dev/null || return 1
	done &&
	test "$(mlops event log --source a --json | wc -l)" = 3 &&
	test "$(mlops event log --type Tb --json | wc -l)" = 1 &&
	test "$(mlops event log --limit 2 --json | wc -l)" = 2 &&
	test "$(mlops event log --since 2000-01-01T00:00:00Z --json | wc -l)" = 4
'

test_expect_success 'config get of an unset key exits 4; list shows all' '
	test_expect_code 4 mlops config get nothing.here 2>err &&
	grep "is not set" err &&
	mlops config set defaults.idle-timeout 60s &&
	mlops config list >out &&
	grep "^environment=test$" out &&
	grep "^defaults.idle-timeout=60s$" out
'

test_expect_success 'a malformed config.yaml is reported with line and column' '
	printf "environment: test\n  bad: [\n" >"$MLOPS_STORE/config.yaml" &&
	test_expect_code 3 mlops config list 2>err &&
	grep "config.yaml:[0-9]*:[0-9]*:" err
'

test_done
