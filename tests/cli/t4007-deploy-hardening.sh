#!/bin/bash
# t4007-deploy-hardening.sh - the gateway against hostile clients: keys
# fail closed, request smuggling, GET with a body, Transfer-Encoding,
# exact content types, slow clients and the memory bound (issue 11).
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# await_code WANT METHOD URL [curl args...]: until the gateway (which
# rereads the store within 0.2 s) answers WANT.
await_code() {
	want=$1
	shift
	for i in $(seq 1 200); do
		test "$(http_code "$@")" = "$want" && return 0
		sleep 0.05
	done
	echo >&2 "await_code: $2 never answered $want"
	return 1
}

test_expect_success 'revoking the last key fails closed until --public' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	mlops-deploy describe churn >desc &&
	grep "^auth: public$" desc &&
	start_gateway &&
	inv=$URL/endpoints/churn/invocations C="Content-Type: text/csv" &&
	test "$(http_code POST "$inv" -H "$C" --data-binary @rows.csv)" = 200 &&
	key=$(mlops-deploy key create churn) &&
	await_code 401 POST "$inv" -H "$C" --data-binary @rows.csv &&
	mlops-deploy describe --json churn | jq -e ".auth == \"key\"" &&
	test_expect_code 4 mlops-deploy update churn --public 2>err &&
	grep "has 1 API key: revoke it" err &&
	mlops-deploy key delete churn "$(echo "$key" | cut -c5-12)" &&
	await_code 401 POST "$inv" -H "X-Api-Key: $key" -H "$C" --data-binary @rows.csv &&
	test "$(http_code POST "$inv" -H "$C" --data-binary @rows.csv)" = 401 &&
	mlops-deploy describe churn | grep "^auth: key$" &&
	mlops-deploy update churn --public >out &&
	grep "churn: public" out &&
	await_code 200 POST "$inv" -H "$C" --data-binary @rows.csv &&
	mlops-deploy update churn --require-key &&
	await_code 401 POST "$inv" -H "$C" --data-binary @rows.csv &&
	mlops-deploy list --json | jq -e "select(.name == \"churn\") | .auth == \"key\"" &&
	test_expect_code 2 mlops-deploy update churn --public --require-key &&
	test_expect_code 2 mlops-deploy update churn 2>err &&
	grep "model, --public or --require-key" err
'

test_done
