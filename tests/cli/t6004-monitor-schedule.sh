#!/bin/bash
# t6004-monitor-schedule.sh - schedules over an endpoint's capture:
# create/list/rm and their refusals, run-due running each ended window
# once (catching up, never twice, even when two run at once), the
# executions, their reports and events.
. "$(dirname "$0")/test-lib.sh"

# An endpoint "web", a baseline of age,spend in base/, and three captured
# requests at the current time (one with negative spend).
setup() {
	echo cat >worker.sh &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-deploy create web --model churn/1 >/dev/null &&
	printf "age,spend\n30,1.5\n40,2.5\n50,3.5\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base &&
	now=$(date +%s) &&
	d=.mlops/capture/web/$(date -u -d @$now +%Y/%m/%d/%H) &&
	mkdir -p "$d" &&
	t=$(date -u -d @$now +%Y-%m-%dT%H:%M:%S.000Z) &&
	for row in 31,2.0 41,-3.0 51,4.0; do
		printf "{\"captureData\": {\"endpointInput\": {\"observedContentType\": \"text/csv\", \"mode\": \"INPUT\", \"data\": \"%s\\\\n\", \"encoding\": \"CSV\"}}, \"eventMetadata\": {\"eventId\": \"e-%s\", \"inferenceTime\": \"%s\"}, \"eventVersion\": \"0\"}\n" \
			"$row" "$row" "$t" || return 1
	done >"$d/00-00-000-test.jsonl" &&
	later=$(date -u -d @$((now + 3 * 3600)) +%Y-%m-%dT%H:%M:%SZ)
}

test_expect_success 'create, list and rm; refusals say why' '
	setup &&
	mlops-monitor schedule create hourly --endpoint web --baseline base &&
	mlops-monitor schedule list >list &&
	grep "^hourly	web	3600s	" list &&
	test_expect_code 4 mlops-monitor schedule create hourly \
		--endpoint web --baseline base 2>err &&
	grep "schedule .hourly. already exists" err &&
	test_expect_code 4 mlops-monitor schedule create other \
		--endpoint nope --baseline base 2>err &&
	grep "no endpoint .nope." err &&
	test_expect_code 4 mlops-monitor schedule create other \
		--endpoint web --baseline nodir 2>err &&
	test_expect_code 2 mlops-monitor schedule create other \
		--endpoint web --baseline base --every 30s 2>err &&
	grep "at least one minute" err &&
	test_expect_code 2 mlops-monitor schedule create other \
		--endpoint web --baseline base --type quality &&
	mlops-monitor schedule create minutely --every 1m --endpoint web \
		--baseline base &&
	mlops-monitor schedule list --json >json &&
	jq -e "select(.name == \"minutely\") | .interval_seconds == 60" json &&
	mlops-monitor schedule rm minutely &&
	test_expect_code 4 mlops-monitor schedule rm minutely &&
	mlops-monitor schedule list >list &&
	test_line_count = 2 list
'

test_expect_success 'run-due runs each ended window once, catching up' '
	setup &&
	mlops-monitor schedule create hourly --endpoint web --baseline base &&
	mlops-monitor run-due >out &&
	test_line_count = 0 out &&
	test_expect_code 1 mlops-monitor run-due --now "$later" >out &&
	test_line_count = 3 out &&
	head -n 1 out | grep "	CompletedWithViolations	3 items	3 violations" &&
	sed -n 2p out | grep "	Failed	0 items" &&
	mlops-monitor run-due --now "$later" >again &&
	test_line_count = 0 again &&
	mlops-monitor executions hourly --json >ex &&
	test_line_count = 3 ex &&
	id=$(head -n 1 ex | jq -r .executionId) &&
	mlops-monitor show "$id" >one &&
	jq -e ".report != null and .violations == 3" one &&
	jq -e "[.violations[] | select(.constraint_check_type ==
		\"non_negative_check\")] | .[0].feature_name == \"spend\"" \
		".mlops/$(jq -r .report one)/constraint_violations.json" &&
	sed -n 2p ex | jq -e ".failureReason == \"no captured CSV request in the window\"" &&
	mlops event log --json --source mlops.monitor >events &&
	test_line_count = 3 events &&
	head -n 1 events | jq -e ".\"detail-type\" == \"Monitoring Execution Status Change\" and
		.detail.violations == 3 and .resources == [\"hourly\"]" &&
	test_expect_code 4 mlops-monitor executions nope &&
	test_expect_code 4 mlops-monitor show nope &&
	mlops audit verify
'

test_expect_success 'two run-due at once never run a window twice' '
	setup &&
	mlops-monitor schedule create hourly --endpoint web --baseline base &&
	mlops-monitor schedule create minutely --every 1m --endpoint web \
		--baseline base &&
	{ mlops-monitor run-due --now "$later" >a 2>ea & } &&
	{ mlops-monitor run-due --now "$later" >b 2>eb & } &&
	wait &&
	mlops-monitor executions hourly >h &&
	test_line_count = 3 h &&
	mlops-monitor executions minutely >m &&
	test "$(sort m | uniq | wc -l)" = "$(wc -l <m)" &&
	test "$(wc -l <m)" -ge 180 &&
	cat a b | sort >ab &&
	test "$(sort -u ab | wc -l)" = "$(wc -l <ab)"
'

test_expect_success 'a baseline registered with a model version' '
	setup &&
	mlops-monitor baseline --data train.csv -o reg --register churn/1 >out &&
	grep "baseline of churn/1: registered" out &&
	mlops audit log | grep "monitor.baseline.register	churn/1	success" &&
	test_expect_code 4 mlops-monitor baseline --data train.csv -o reg2 \
		--register churn/9 2>err &&
	grep "churn" err &&
	test_expect_code 2 mlops-monitor baseline --data train.csv -o - \
		--register churn/1 &&
	printf "age,spend\n31,-2\n" >today.csv &&
	test_expect_code 1 mlops-monitor check --baseline churn/1 \
		--data today.csv -o chk >viol &&
	grep "^spend	non_negative_check" viol &&
	test_expect_code 4 mlops-monitor check --baseline churn/2 \
		--data today.csv -o chk2 2>err &&
	mlops-monitor schedule create byref --endpoint web --baseline churn/1 &&
	mlops-monitor schedule list --json | jq -e "select(.name == \"byref\") |
		.baseline == \"churn/1\"" &&
	test_expect_code 1 mlops-monitor run-due --now "$later" >out &&
	grep "^byref-.*CompletedWithViolations	3 items" out &&
	mlops fsck &&
	rm -rf reg .mlops/monitoring/baselines &&
	mlops gc --grace 0 >/dev/null &&
	test_expect_code 1 mlops-monitor check --baseline churn/1 \
		--data today.csv -o chk3 >viol &&
	grep "^spend	non_negative_check" viol
'

test_done
