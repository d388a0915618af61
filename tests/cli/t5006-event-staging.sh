#!/bin/bash
# t5006-event-staging.sh - the shipped rule deploy-approved-to-staging
# closes the loop by itself: approving a model version makes the endpoint
# GROUP-staging serve it, checked with real requests through a gateway.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-event.sh"
unset MLOPS_NO_AUTO_DISPATCH

# The shipped rule, a gateway, and GROUP/N approved: until the gateway
# serves GROUP/N on GROUP-staging.
approve_and_wait() {
	mlops-registry approve "$1" >/dev/null &&
	wait_for_model "${1%/*}-staging" "$1"
}

# POST rows.csv to ENDPOINT; the predictions must be those of EXPECT.
predicts() {
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/endpoints/$1/invocations" >got &&
	close_to got "$2"
}

test_expect_success 'approve a version -> rule -> the staging endpoint serves it' '
	train_model m.json 5 20 &&
	mlops-registry register churn --artifact m.json --framework xgboost >/dev/null &&
	mlops event rule add staging --from deploy-approved-to-staging &&
	start_gateway &&
	approve_and_wait churn/1 &&
	predicts churn-staging expect.txt &&
	wait_for dispatch_idle &&
	mlops event rule show --json staging | jq -e ".delivered == 1" &&
	mlops audit log --json >audit &&
	jq -se "any(.[]; .action == \"event.deliver\" and
		.resource == \"staging/2\" and .outcome == \"success\")" audit &&
	jq -se "any(.[]; .action == \"deploy.create\" and .resource == \"churn-staging\")" audit
'

test_expect_success 'a newer approved version updates it; a repeat changes nothing' '
	train_model m1.json 5 10 && mv expect.txt expect1.txt &&
	train_model m2.json 5 30 && mv expect.txt expect2.txt &&
	mlops-registry register churn --artifact m1.json --framework xgboost >/dev/null &&
	mlops-registry register churn --artifact m2.json --framework xgboost >/dev/null &&
	mlops event rule add staging --from deploy-approved-to-staging &&
	start_gateway &&
	approve_and_wait churn/1 &&
	approve_and_wait churn/2 &&
	predicts churn-staging expect2.txt &&
	wait_for dispatch_idle &&
	mlops event log --json --type "Model Package State Change" |
		tail -n 1 | jq -c "del(.seq, .id)" | mlops event put >/dev/null &&
	wait_for delivered staging 3 &&
	wait_for dispatch_idle &&
	mlops event rule show --json staging | jq -e ".deadLetters == 0" &&
	grep "churn-staging already serves churn/2" "$MLOPS_STORE/events/dispatch.log" &&
	mlops-deploy describe churn-staging | grep "^generation: 2$"
'

test_expect_success 'a rejected or pending version is not deployed' '
	echo "{}" >m.json &&
	mlops event rule add staging --from deploy-approved-to-staging &&
	mlops-registry register churn --artifact m.json --framework exec --entry cat >/dev/null &&
	mlops-registry reject churn/1 >/dev/null &&
	wait_for dispatch_idle &&
	mlops event dispatch >out &&
	test_line_count = 0 out &&
	test_expect_code 4 mlops-deploy describe churn-staging
'

test_done
