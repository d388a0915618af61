#!/bin/bash
# t4021-shadow-cli.sh - mlops-shadow start, list, status, stop: the
# test record, the approval gate, events from mlops.shadow, audit
# records, the end of a test by its duration, and bad input that
# changes nothing.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-shadow.sh"

# setup: endpoint web serving churn/1, churn/2 registered and approved.
setup() {
	shadow_models
}

test_expect_success 'start records a running test, list and status show it' '
	setup &&
	mlops-shadow start web --model churn/2 --sample 25 --name t1 >out &&
	grep "t1: shadowing web with churn/2 (25% of requests)" out &&
	cmp m2.json "$MLOPS_STORE/endpoints/web/churn-2/m2.json" &&
	mlops-shadow list >list &&
	grep "^t1	web	churn/1	churn/2	25%	Running	0	0$" list &&
	mlops-shadow status --json t1 >s.json &&
	$PYTHON -c "
import json; s = json.load(open(\"s.json\"))
assert s[\"status\"] == \"Running\" and s[\"production\"] == \"churn/1\"
assert s[\"model\"] == \"churn/2\" and s[\"sample_percent\"] == 25
assert s[\"max_pairs\"] == 100000 and s[\"pairs_kept\"] == 0" &&
	mlops-shadow status t1 >s.txt &&
	grep "^status: Running$" s.txt &&
	mlops-deploy list | grep "^web	churn/1"
'

test_expect_success 'stop ends it, with events and audit records' '
	setup &&
	mlops-shadow start web --model churn/2 --name t1 >/dev/null &&
	mlops-shadow stop t1 >out &&
	grep "t1: stopped" out &&
	mlops-shadow status --json t1 | grep "\"status\": *\"Stopped\"" &&
	mlops event log --json >ev &&
	grep "mlops.shadow" ev | grep -c "Shadow Test State Change" >n &&
	test "$(cat n)" = 2 &&
	grep "\"Status\": *\"Running\"" ev && grep "\"Status\": *\"Stopped\"" ev &&
	mlops audit log >log &&
	grep "shadow.start" log && grep "shadow.stop" log &&
	mlops audit verify &&
	test_expect_code 4 mlops-shadow stop t1 2>err &&
	grep "not running (Stopped)" err
'

test_expect_success 'a test ends by itself when its duration is over' '
	setup &&
	mlops-shadow start web --model churn/2 --name t1 --duration 1s &&
	for i in $(seq 1 100); do
		mlops-shadow status t1 | grep -q "^status: Completed$" && break
		sleep 0.05
	done &&
	mlops-shadow status t1 | grep "^status: Completed$" &&
	mlops event log --json | grep "\"Status\": *\"Completed\"" &&
	mlops-shadow start web --model churn/2 --name t2
'

test_expect_success 'the library audits: a completion once, a refusal as failure' '
	setup &&
	mlops-shadow start web --model churn/2 --name t1 --duration 1s &&
	for i in $(seq 1 100); do
		mlops-shadow status t1 | grep -q "^status: Completed$" && break
		sleep 0.05
	done &&
	mlops-shadow list >/dev/null &&
	mlops audit log >log &&
	grep -c "shadow.complete" log >n &&
	test "$(cat n)" = 1 &&
	mlops-shadow start web --model churn/2 --name t2 >/dev/null &&
	test_expect_code 4 mlops-shadow start web --model churn/2 --name t3 &&
	mlops audit log --json >log.json &&
	grep "\"shadow.start\"" log.json | grep "\"t3\"" |
		grep "\"failure\"" &&
	mlops audit verify
'

test_expect_success 'the approval gate applies as for mlops-deploy update' '
	setup &&
	mlops-registry register churn --artifact m2.json >/dev/null &&
	test_snapshot &&
	test_expect_code 1 mlops-shadow start web --model churn/3 2>err &&
	grep "churn/3 is PendingManualApproval, not Approved" err &&
	test_store_unchanged &&
	mlops-shadow start web --model churn/3 --allow-unapproved --name t
'

test_expect_success 'bad input: clear messages, statuses, store unchanged' '
	setup &&
	mlops-shadow start web --model churn/2 --name t1 >/dev/null &&
	mlops-deploy create other --model churn/1 >/dev/null &&
	echo "not a model" >bad.json &&
	register_model churn bad.json >/dev/null &&
	test_snapshot &&
	test_expect_code 4 mlops-shadow start nope --model churn/2 2>err &&
	grep "no endpoint .nope." err &&
	test_expect_code 4 mlops-shadow start other --model churn/1 2>err &&
	grep "already serves churn/1 in production" err &&
	test_expect_code 4 mlops-shadow start web --model churn/2 2>err &&
	grep "already has a running shadow test .t1." err &&
	test_expect_code 4 mlops-shadow start other --model churn/2 \
		--name t1 2>err &&
	grep "t1" err &&
	test_expect_code 3 mlops-shadow start other --model churn/3 2>err &&
	grep "churn/3 fails to load" err &&
	test_expect_code 2 mlops-shadow start other --model churn/2 \
		--sample 101 2>err &&
	grep "sample must be a percentage from 0 to 100" err &&
	test_expect_code 2 mlops-shadow start other --model churn/2 \
		--sample -1 2>err &&
	test_expect_code 2 mlops-shadow start other --model churn/2 \
		--duration 31d 2>err &&
	grep "duration must be from 1s to 30d" err &&
	test_expect_code 2 mlops-shadow start other 2>err &&
	grep -- "--model is required" err &&
	test_expect_code 2 mlops-shadow start other --model churn/2 \
		--name "bad name" 2>err &&
	test_expect_code 2 mlops-shadow start --bogus 2>err &&
	test_expect_code 4 mlops-shadow status nope 2>err &&
	grep "no shadow test .nope." err &&
	test_expect_code 4 mlops-shadow stop nope &&
	test_store_unchanged &&
	mlops-shadow start --help | grep "usage: mlops-shadow start" &&
	mlops-shadow --help | grep "^  *stop"
'

test_done
