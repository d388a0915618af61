#!/bin/bash
# t5002-event-rules.sh - `mlops event rule add|list|show|enable|disable|rm`:
# rules kept in the store, audited, names unique, shipped rules installed
# with --from, and bad input refused without a change.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
export MLOPS_NO_AUTO_DISPATCH=1

test_expect_success 'add, list, show: the rule as given, audited' '
	mlops event rule add approved --pattern "{\"source\":[\"mlops.registry\"]}" \
		--target "cat >got" --retries 5 --backoff 250ms &&
	mlops event rule list >out &&
	grep "^approved	yes	0	0	0	cat >got$" out &&
	mlops event rule list --json >list.json &&
	test_line_count = 1 list.json &&
	jq -e ".name == \"approved\" and .retries == 5 and .backoff == 0.25
		and .enabled and .pattern.source == [\"mlops.registry\"]
		and .createdBy == \"tester@example.com\"" list.json &&
	mlops event rule show approved >show &&
	grep "^pattern: *{\"source\":\[\"mlops.registry\"\]}$" show &&
	mlops audit log --action event.rule.add --json >audit &&
	jq -se "any(.[]; .resource == \"approved\" and .outcome == \"success\")" audit
'

test_expect_success 'a rule name twice is refused (exit 4), the first kept' '
	mlops event rule add r1 --pattern "{}" --target "true" &&
	test_expect_code 4 mlops event rule add r1 --pattern "{}" --target false 2>err &&
	grep "rule .r1. already exists" err &&
	test "$(mlops event rule show --json r1 | jq -r .target)" = true &&
	mlops audit log --action event.rule.add --json >audit &&
	jq -se "any(.[]; .resource == \"r1\" and .outcome == \"failure\")" audit
'

test_expect_success 'bad input: pattern with its position, names, flags' '
	test_snapshot &&
	printf "{\n  \"detail\": {\"x\": [{\"nope\": 1}]}\n}\n" >p.json &&
	test_expect_code 3 mlops event rule add r --pattern p.json --target true 2>err &&
	grep "p.json: detail.x\[0\]: unknown operator \"nope\"" err &&
	test_expect_code 3 mlops event rule add r --pattern "{\"a\": [1,}" --target true 2>err &&
	grep -- "--pattern:1:" err &&
	test_expect_code 2 mlops event rule add "bad name" --pattern "{}" --target true 2>err &&
	grep "not a valid rule name" err &&
	test_expect_code 2 mlops event rule add r --pattern "{}" 2>err &&
	grep "give --pattern and --target" err &&
	test_expect_code 2 mlops event rule add r --pattern "{}" --target t --retries -1 2>err &&
	test_expect_code 2 mlops event rule add r --pattern "{}" --target t --backoff soon 2>err &&
	grep -- "--backoff" err &&
	test_expect_code 2 mlops event rule add r --bogus 2>err &&
	test_expect_code 4 mlops event rule rm nosuch 2>err &&
	grep "no rule .nosuch." err &&
	test_expect_code 4 mlops event rule enable nosuch &&
	test_expect_code 4 mlops event rule show nosuch &&
	test_store_unchanged
'

test_expect_success 'every rule verb has --help' '
	for v in add list show enable disable rm; do
		mlops event rule $v --help >out &&
		grep "^usage: mlops event rule $v" out || return 1
	done &&
	mlops --help >out &&
	grep "^  event rule add" out &&
	grep "^  event dispatch" out
'

test_expect_success 'disable, enable, rm; a disabled rule sees no events' '
	mlops event rule add r --pattern "{\"source\":[\"t\"]}" --target "cat >>got" &&
	mlops event rule disable r &&
	mlops event rule show --json r | jq -e ".enabled == false" &&
	put_event t x "{}" >/dev/null &&
	mlops event dispatch &&
	test ! -e got &&
	mlops event rule enable r &&
	put_event t x "{}" >id &&
	mlops event dispatch &&
	test_line_count = 1 got &&
	jq -e --arg id "$(cat id)" ".id == \$id" got &&
	mlops event rule rm r &&
	mlops event rule list --json >list && test_line_count = 0 list &&
	mlops audit log --json | jq -r "select(.action | startswith(\"event.rule\")) | .action" >acts &&
	printf "%s\n" event.rule.add event.rule.disable event.rule.enable event.rule.rm >expect &&
	test_cmp expect acts
'

test_expect_success 'a rule added later does not fire on earlier events' '
	put_event t x "{}" >/dev/null &&
	mlops event rule add r --pattern "{\"source\":[\"t\"]}" --target "cat >>got" &&
	mlops event dispatch &&
	test ! -e got
'

test_expect_success 'the shipped rules install with --from, by path or name' '
	mlops event rule add staging --from "$TEST_ROOT/share/rules/deploy-approved-to-staging" &&
	mlops event rule add retrain --from retrain-on-violations --retries 0 &&
	mlops event rule add alerts --from "$TEST_ROOT/share/rules/security-alerts.yaml" --disabled &&
	mlops event rule show --json staging >s.json &&
	jq -e ".pattern.detail.ModelApprovalStatus == [\"Approved\"] and .retries == 3
		and (.origin | endswith(\"share/rules/deploy-approved-to-staging.yaml\"))
		and (.description | length > 0)" s.json &&
	mlops event rule show --json retrain | jq -e ".retries == 0 and .backoff == 30" &&
	mlops event rule show --json alerts | jq -e ".enabled == false" &&
	test_expect_code 4 mlops event rule add x --from no-such-rule 2>err &&
	grep "no rule file .no-such-rule." err
'

test_expect_success 'a bad rule file is refused with file:line' '
	cat >r.yaml <<-\EOF &&
	description: broken
	pattern: |
	  {"source": ["a"],
	   "detail": {"x": [}}
	target: "true"
	EOF
	test_expect_code 3 mlops event rule add r --from r.yaml 2>err &&
	grep "r.yaml:4:" err &&
	printf "pattern: |\n  {}\ntarget: t\nretires: 3\n" >r2.yaml &&
	test_expect_code 3 mlops event rule add r --from r2.yaml 2>err &&
	grep "r2.yaml:4:1: unknown key .retires." err
'

test_done
