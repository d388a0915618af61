#!/bin/bash
# t5008-event-alerts.sh - the shipped rule security-alerts: each "Action
# Denied" event of mlops.governance appends one line to
# security-alerts.log in the store, once however often it is delivered
# (here: by two rules).
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
unset MLOPS_NO_AUTO_DISPATCH

test_expect_success 'a denied action -> one line in security-alerts.log' '
	mlops event rule add alerts --from security-alerts &&
	mlops event rule add alerts-again --from security-alerts &&
	put_event mlops.governance "Action Denied" "{\"user\":\"dan@example.com\",
		\"tool\":\"mlops-registry\",\"action\":\"registry.approve\",
		\"resource\":\"churn/3\",\"activity\":\"registry.approve\",
		\"persona\":\"data-scientist\"}" >id &&
	put_event mlops.registry "Model Package State Change" "{}" >/dev/null &&
	wait_for test -s "$MLOPS_STORE/security-alerts.log" &&
	wait_for dispatch_idle &&
	test_line_count = 1 "$MLOPS_STORE/security-alerts.log" &&
	grep " denied user=dan@example.com persona=data-scientist tool=mlops-registry action=registry.approve resource=churn/3 activity=registry.approve event=$(cat id)$" \
		"$MLOPS_STORE/security-alerts.log" &&
	mlops event rule list --json | jq -se "all(.[]; .delivered == 1)"
'

test_expect_success 'a real refusal by a data scientist -> its line, by itself' '
	rm -f "$MLOPS_STORE/security-alerts.log" &&
	echo model >m.bin &&
	mlops-registry register churn --artifact m.bin >/dev/null &&
	mlops role grant ops@example.com admin &&
	MLOPS_USER=ops@example.com mlops role grant ops@example.com \
		mlops-engineer &&
	MLOPS_USER=ops@example.com mlops role grant dan@example.com \
		data-scientist &&
	MLOPS_USER=ops@example.com \
		mlops event rule add real-alerts --from security-alerts &&
	test_expect_code 5 env MLOPS_USER=dan@example.com \
		mlops-registry approve churn/1 2>err &&
	grep "permission denied" err &&
	wait_for grep -q "denied user=dan@example.com persona=data-scientist tool=mlops-registry action=registry.approve resource=churn/1 activity=registry.approve" \
		"$MLOPS_STORE/security-alerts.log" &&
	wait_for dispatch_idle &&
	test_line_count = 1 "$MLOPS_STORE/security-alerts.log" &&
	mlops-registry status churn/1 >status;
	test "$(cat status)" != Approved
'

test_done
