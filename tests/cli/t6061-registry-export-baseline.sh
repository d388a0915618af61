#!/bin/bash
# t6061-registry-export-baseline.sh - a model version's monitoring
# baseline (mlops-monitor baseline --register) travels with it:
# mlops-registry export carries the two files and import attaches them
# to the version in the receiving store, where show lists the baseline
# and check and schedules take --baseline GROUP/N; mlops sync likewise.
# A stream whose baseline is tampered with is refused, changing nothing.
. "$(dirname "$0")/test-lib.sh"

# churn/1 with a baseline of age,spend in the test store, and an empty
# store prod beside it.
setup() {
	echo cat >worker.sh &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	printf "age,spend\n30,1.5\n40,2.5\n50,3.5\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base --register churn/1 \
		>/dev/null &&
	printf "age,spend\n31,2.0\n41,-3.0\n" >drifted.csv &&
	mlops init --env prod prod >/dev/null &&
	P=$PWD/prod/.mlops
}

test_expect_success 'export and import carry the baseline; checks use it' '
	setup &&
	mlops-registry export -o churn-1.tar churn/1 &&
	tar tf churn-1.tar >members &&
	grep "^mlops-model/baseline/statistics.json$" members &&
	grep "^mlops-model/baseline/constraints.json$" members &&
	tar xOf churn-1.tar mlops-model/baseline/statistics.json >s.json &&
	test_cmp base/statistics.json s.json &&
	MLOPS_STORE=$P mlops-registry import churn-1.tar &&
	mlops-registry show --json churn/1 | jq -S .baseline >a &&
	MLOPS_STORE=$P mlops-registry show --json churn/1 | jq -S .baseline >b &&
	test_cmp a b &&
	MLOPS_STORE=$P mlops-registry show churn/1 >show &&
	grep "^baseline:     churn/1 (mlops-monitor baseline --register)$" show &&
	MLOPS_STORE=$P mlops-registry card show --json churn/1 |
		jq -e "[.content.evaluation_details[] |
			select(.name == \"monitoring baseline\")] | length == 1" &&
	MLOPS_STORE=$P test_expect_code 1 mlops-monitor check \
		--baseline churn/1 --data drifted.csv -o out &&
	jq -e "[.violations[].constraint_check_type] |
		index(\"non_negative_check\")" out/constraint_violations.json &&
	MLOPS_STORE=$P mlops-deploy create web --model churn/1 >/dev/null &&
	MLOPS_STORE=$P mlops-monitor schedule create hourly --endpoint web \
		--baseline churn/1 &&
	MLOPS_STORE=$P mlops fsck &&
	MLOPS_STORE=$P mlops audit verify &&
	MLOPS_STORE=$P mlops-registry export -o again.tar churn/1 &&
	for f in statistics constraints; do
		tar xOf again.tar mlops-model/baseline/$f.json >again.json &&
		test_cmp base/$f.json again.json || return 1
	done &&
	tar xOf churn-1.tar mlops-model/manifest.json | jq -S .baseline >a &&
	tar xOf again.tar mlops-model/manifest.json | jq -S .baseline >b &&
	test_cmp a b
'

test_expect_success 'a baseline registered later comes with the next import' '
	setup &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" >/dev/null &&
	mlops-registry export -o before.tar churn/2 &&
	MLOPS_STORE=$P mlops-registry import before.tar &&
	mlops-monitor baseline --data train.csv -o base2 --register churn/2 \
		>/dev/null &&
	mlops-registry export -o after.tar churn/2 &&
	MLOPS_STORE=$P mlops-registry import after.tar 2>err &&
	grep "churn/2 is here already with the same content; its monitoring baseline attached" err &&
	MLOPS_STORE=$P mlops-registry show --json churn/2 |
		jq -e ".baseline.baseline == \"churn/2\"" &&
	MLOPS_STORE=$P mlops audit log | grep "registry.import	churn/2	success" >imports &&
	test_line_count = 2 imports &&
	(cd prod && MLOPS_STORE=$P test_snapshot ../prod.snap) &&
	MLOPS_STORE=$P mlops-registry import after.tar 2>err &&
	grep "nothing changed" err &&
	(cd prod && MLOPS_STORE=$P test_store_unchanged ../prod.snap) &&
	MLOPS_STORE=$P mlops fsck &&
	MLOPS_STORE=$P mlops audit verify
'

test_expect_success 'a version without a baseline exports as before' '
	setup &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" >/dev/null &&
	mlops-registry export -o churn-2.tar churn/2 &&
	! tar tf churn-2.tar | grep baseline &&
	tar xOf churn-2.tar mlops-model/manifest.json | jq -e "has(\"baseline\") | not" &&
	MLOPS_STORE=$P mlops-registry import churn-2.tar &&
	MLOPS_STORE=$P mlops-registry show --json churn/2 | jq -e ".baseline == null"
'

# Pack x/ as bad.tar: prod refuses it with exit 3 and a message
# matching $1; x/ is then the export unpacked again.
refused() {
	tar cf bad.tar -C x mlops-model &&
	MLOPS_STORE=$P test_expect_code 3 mlops-registry import bad.tar 2>err &&
	grep "$1" err &&
	tar xf churn-1.tar -C x
}

test_expect_success 'a tampered or incomplete baseline is refused, nothing changes' '
	setup &&
	mlops-registry export -o churn-1.tar churn/1 &&
	mkdir x &&
	tar xf churn-1.tar -C x &&
	(cd prod && MLOPS_STORE=$P test_snapshot ../prod.snap) &&
	echo "{\"version\": 0.0, \"features\": []}" \
		>x/mlops-model/baseline/constraints.json &&
	refused "hash mismatch in member .mlops-model/baseline/constraints.json." &&
	rm x/mlops-model/baseline/statistics.json &&
	refused "expected the member mlops-model/baseline/statistics.json" &&
	jq "del(.baseline)" x/mlops-model/manifest.json >m.json &&
	mv m.json x/mlops-model/manifest.json &&
	refused "unexpected member .mlops-model/baseline/" &&
	printf "[1]" >x/mlops-model/baseline/statistics.json &&
	refused "statistics.json. is not a JSON object" &&
	jq ".baseline.registered = \"yesterday\"" x/mlops-model/manifest.json >m.json &&
	mv m.json x/mlops-model/manifest.json &&
	refused "manifest: baseline is malformed" &&
	jq ".baseline.statistics.size = -1" x/mlops-model/manifest.json >m.json &&
	mv m.json x/mlops-model/manifest.json &&
	refused "manifest: baseline statistics is malformed" &&
	(cd prod && MLOPS_STORE=$P test_store_unchanged ../prod.snap)
'

test_expect_success 'mlops sync brings the baseline; prod schedules on it' '
	setup &&
	mlops remote add prod prod &&
	mlops sync --to prod model churn/1 >out &&
	grep "1 copied, .*, 1 baselines" out &&
	MLOPS_STORE=$P mlops-registry show --json churn/1 |
		jq -e ".baseline.baseline == \"churn/1\" and
			.baseline.registered_by == \"tester@example.com\"" &&
	MLOPS_STORE=$P test_expect_code 1 mlops-monitor check \
		--baseline churn/1 --data drifted.csv -o checked &&
	MLOPS_STORE=$P mlops-deploy create web --model churn/1 >/dev/null &&
	MLOPS_STORE=$P mlops-monitor schedule create hourly --endpoint web \
		--baseline churn/1 &&
	MLOPS_STORE=$P mlops fsck &&
	MLOPS_STORE=$P mlops audit verify
'

test_done
