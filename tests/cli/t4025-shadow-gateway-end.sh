#!/bin/bash
# t4025-shadow-gateway-end.sh - a running gateway ends a shadow test
# whose duration is over by itself: the store says Completed, the event
# from mlops.shadow is emitted and the audit record written once,
# without any mlops-shadow command; so this test reads the store with
# sqlite3, mlops event and mlops audit only until the end.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-shadow.sh"

# db_status TEST: the test's status as the store has it.
db_status() {
	sqlite3 "$MLOPS_STORE/mlops.db" \
		"SELECT status FROM shadow_test WHERE name = '$1'"
}

test_expect_success 'the running gateway completes a test whose time is over' '
	shadow_gateway &&
	mlops-shadow start web --model churn/2 --name t1 --duration 3s &&
	wait_log "shadow test t1: mirroring" &&
	mlops-deploy invoke web --lines <rows.csv >/dev/null &&
	test "$(db_status t1)" = Running &&
	for i in $(seq 1 600); do
		test "$(db_status t1)" = Completed && break
		sleep 0.05
	done &&
	test "$(db_status t1)" = Completed &&
	wait_log "shadow test t1: ended" &&
	mlops event log --json --source mlops.shadow >ev &&
	grep -c "\"Status\": *\"Completed\"" ev >n &&
	test "$(cat n)" = 1 &&
	mlops audit log --json --action shadow.complete >au &&
	test_line_count = 1 au &&
	grep "\"tool\": *\"mlops-deploy\"" au &&
	grep "\"completed\": *1" au &&
	mlops-deploy invoke web --lines <rows.csv >/dev/null &&
	mlops-shadow list >/dev/null &&
	mlops-shadow status --json t1 >s.json &&
	grep "\"status\": *\"Completed\"" s.json &&
	grep "\"mirrored\": *20," s.json &&
	mlops event log --json --source mlops.shadow >ev &&
	grep -c "\"Status\": *\"Completed\"" ev >n &&
	test "$(cat n)" = 1 &&
	mlops audit log --json --action shadow.complete >au &&
	test_line_count = 1 au &&
	mlops audit verify
'

test_done
