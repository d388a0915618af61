#!/bin/bash
# t4001-deploy-endpoints.sh - endpoints in the store: create with the
# approval gate, list, describe, update, rollback, delete, keys; audit
# records and events; bad input changes nothing.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

test_expect_success 'create deploys an approved version and materialises it' '
	train_model m.json &&
	ref=$(register_model churn m.json) &&
	test "$ref" = churn/1 &&
	mlops-deploy create web --model churn/1 >out &&
	grep "web: serving churn/1" out &&
	cmp m.json "$MLOPS_STORE/endpoints/web/churn-1/m.json" &&
	mlops-deploy list >list &&
	grep "^web	churn/1	xgboost	10	0	0%	0$" list &&
	mlops-deploy describe --json web >d.json &&
	$PYTHON -c "
import json; d = json.load(open(\"d.json\"))
assert d[\"model\"] == \"churn/1\" and d[\"framework\"] == \"xgboost\"
s = d[\"settings\"]
assert s[\"max_concurrency\"] == 10 and s[\"memory_mb\"] == 2048
assert s[\"timeout_s\"] == 60 and s[\"max_payload\"] == 4 << 20"
'

test_expect_success 'a version that is not Approved is refused (exit 1)' '
	train_model m.json &&
	mlops-registry register churn --artifact m.json >/dev/null &&
	test_snapshot &&
	test_expect_code 1 mlops-deploy create web --model churn/1 2>err &&
	grep "churn/1 is PendingManualApproval, not Approved" err &&
	test_store_unchanged &&
	mlops-deploy create web --model churn/1 --allow-unapproved &&
	mlops-deploy list | grep "^web	churn/1"
'

test_expect_success 'aliases and bare groups resolve through the registry' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	register_model churn m.json >/dev/null &&
	mlops-registry alias set churn champion 1 &&
	mlops-deploy create a --model churn@champion | grep "churn/1" &&
	mlops-deploy create b --model churn | grep "churn/2"
'

test_expect_success 'bad input: precise messages, statuses, store unchanged' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	test_snapshot &&
	test_expect_code 4 mlops-deploy create web --model churn/7 2>err &&
	grep "churn/7" err &&
	test_expect_code 4 mlops-deploy create web --model nope/1 2>err &&
	test_expect_code 2 mlops-deploy create web 2>err &&
	grep -- "--model is required" err &&
	test_expect_code 2 mlops-deploy create web --model churn/1 \
		--max-concurrency 201 2>err &&
	grep "max-concurrency must be from 1 to 200" err &&
	test_expect_code 2 mlops-deploy create web --model churn/1 \
		--memory 1000 2>err &&
	grep "memory must be 1024" err &&
	test_expect_code 2 mlops-deploy create web --model churn/1 \
		--max-concurrency 2 --provisioned 3 2>err &&
	test_expect_code 2 mlops-deploy create web --model churn/1 \
		--capture 101 2>err &&
	test_expect_code 2 mlops-deploy create web --model churn/1 \
		--idle-timeout soon 2>err &&
	test_expect_code 2 mlops-deploy create "bad name" --model churn/1 2>err &&
	grep "not a valid endpoint name" err &&
	test_store_unchanged
'

test_expect_success 'an existing endpoint is a conflict (exit 4)' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create web --model churn/1 &&
	test_expect_code 4 mlops-deploy create web --model churn/1 2>err &&
	grep "already exists" err
'

test_expect_success 'update keeps the old version for rollback' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create web --model churn/1 &&
	test_expect_code 4 mlops-deploy rollback web 2>err &&
	grep "no previous version" err &&
	mlops-deploy update web --model churn/2 | grep "serving churn/2" &&
	mlops-deploy describe web >d &&
	grep "^model: churn/2$" d && grep "^previous_model: churn/1$" d &&
	grep "^generation: 2$" d &&
	mlops-deploy rollback web &&
	mlops-deploy describe web >d &&
	grep "^model: churn/1$" d && grep "^previous_model: churn/2$" d &&
	test_expect_code 4 mlops-deploy update web --model churn/1 2>err &&
	grep "already serves churn/1" err
'

test_expect_success 'every change is audited and emits an mlops.deploy event' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create web --model churn/1 &&
	mlops-deploy update web --model churn/2 &&
	mlops-deploy rollback web &&
	mlops-deploy key create web >/dev/null &&
	mlops-deploy delete web &&
	mlops audit log >audit &&
	for a in deploy.create deploy.update deploy.rollback \
		 deploy.key.create deploy.delete; do
		grep "$a" audit || return 1
	done &&
	mlops audit verify &&
	mlops event log --json --source mlops.deploy >events &&
	test_line_count = 5 events &&
	grep "\"action\":\"update\"" events | grep "\"previous_model\":\"churn/1\""
'

test_expect_success 'key create prints a key once and stores only its hash' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create web --model churn/1 &&
	key=$(mlops-deploy key create web) &&
	case $key in mlk_*) ;; *) false ;; esac &&
	test ${#key} = 52 &&
	hash=$(printf %s "$key" | sha256sum | cut -d" " -f1) &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT hash FROM endpoint_key" >h &&
	test "$(cat h)" = "$hash" &&
	! grep -r "$key" "$MLOPS_STORE" &&
	test_expect_code 4 mlops-deploy key create nope 2>err
'

test_expect_success 'delete removes the endpoint and its files' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create web --model churn/1 &&
	mlops-deploy delete web &&
	! test -e "$MLOPS_STORE/endpoints/web" &&
	test_expect_code 4 mlops-deploy describe web 2>err &&
	grep "no endpoint .web." err &&
	test_expect_code 4 mlops-deploy delete web
'

test_expect_success 'list --json is one object per endpoint' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create a --model churn/1 --capture 20 &&
	mlops-deploy create b --model churn/1 --max-concurrency 3 &&
	mlops-deploy list --json >l &&
	test_line_count = 2 l &&
	grep "\"capture_percent\":20" l &&
	mlops fsck
'
test_done
