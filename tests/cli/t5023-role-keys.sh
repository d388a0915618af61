#!/bin/bash
# t5023-role-keys.sh - API keys bound to a persona (mlops-deploy key create
# --persona): accepted by a real gateway only while the persona holds
# deploy.invoke; a role change reaches a running gateway; unbound keys
# work as before.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

as() {
	MLOPS_USER=$1 "${@:2}"
}

# wait_code WANT KEY: until the endpoint answers a request with KEY with
# status WANT (the gateway polls the store for changes).
wait_code() {
	for i in $(seq 1 200); do
		test "$(http_code POST "$URL/endpoints/web/invocations" \
			-H "X-Api-Key: $2" -H "Content-Type: text/csv" \
			--data-binary "1,2")" = "$1" && return 0
		sleep 0.05
	done
	echo >&2 "wait_code: no $1 for key ${2:0:12}"
	return 1
}

test_expect_success 'a bound key works while its persona holds deploy.invoke' '
	echo cat >worker.sh &&
	register_model churn worker.sh exec "sh worker.sh" >/dev/null &&
	mlops-deploy create web --model churn/1 &&
	as root mlops role grant root admin &&
	as root mlops role grant root mlops-engineer &&
	as root mlops role define caller --activities deploy.invoke &&
	test_snapshot &&
	test_expect_code 4 as root mlops-deploy key create web \
		--persona data-scientist 2>err &&
	grep "persona .data-scientist. does not hold deploy.invoke" err &&
	test_expect_code 4 as root mlops-deploy key create web \
		--persona wizard 2>err &&
	test_expect_code 5 as ana mlops-deploy key create web \
		--persona caller 2>err &&
	test_store_unchanged &&
	bound=$(as root mlops-deploy key create web --persona caller) &&
	plain=$(as root mlops-deploy key create web) &&
	mlops-deploy key list --json web >keys &&
	jq -s -e "map(.persona) == [\"caller\", null]" keys &&
	start_gateway &&
	wait_code 200 "$bound" &&
	grep "^1,2$" body.out &&
	wait_code 200 "$plain" &&
	wait_code 401 mlk_nosuchkey &&
	as root mlops role define caller --activities feature.read &&
	wait_code 401 "$bound" &&
	wait_code 200 "$plain" &&
	as root mlops role define caller --activities deploy.invoke &&
	wait_code 200 "$bound"
'

test_expect_success 'without grants a bound key opens its endpoint; the first grant closes it' '
	echo cat >worker.sh &&
	register_model churn worker.sh exec "sh worker.sh" >/dev/null &&
	mlops-deploy create web --model churn/1 &&
	mlops role define caller --activities deploy.invoke &&
	bound=$(mlops-deploy key create web --persona caller) &&
	mlops role define caller --activities "" &&
	start_gateway &&
	wait_code 200 "$bound" &&
	as root mlops role grant root admin &&
	wait_code 401 "$bound" &&
	as root mlops role revoke root admin &&
	wait_code 200 "$bound"
'

test_done
