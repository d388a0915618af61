#!/bin/bash
# t7001-web-serve.sh - mlops web over a store built by the real
# programs: every page answers as HTML and as the JSON the matching
# CLI's --json prints (?format=json or Accept: application/json), the
# site is read-only, unknown paths are 404, SIGTERM and SIGINT stop it,
# and an access key guards it (required off loopback).
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-web.sh"

# get PATH [CURL ARGS...]: the page's body to stdout; fails unless 200.
get() {
	p=$1
	shift
	curl -sf "$URL/$p" "$@"
}

# same_json FILE1 FILE2: equal as JSON values.
same_json() {
	$PYTHON - "$1" "$2" <<-\PY
	import json, sys
	a, b = (json.load(open(f)) for f in sys.argv[1:])
	if a != b:
	    print("differ:", sys.argv[1], sys.argv[2], file=sys.stderr)
	    sys.exit(1)
	PY
}

test_expect_success 'every page answers as HTML that names what it shows' '
	web_store &&
	start_web &&
	for p in "" index.html features.html features/customers.html \
		pipelines.html "runs/$RUN.html" "runs/$RUN/train.log" \
		registry.html registry/churn.html registry/churn/1.html \
		registry/churn/2.html endpoints.html endpoints/ep-web.html \
		monitoring.html; do
		curl -s -o page.out -w "%{http_code} %{content_type}\n" \
			"$URL/$p" >code &&
		case $p in
		*.log) grep "^200 text/plain" code ;;
		*) grep "^200 text/html; charset=utf-8" code &&
		   grep "</html>" page.out ;;
		esac || { echo >&2 "bad answer for $p: $(cat code)"; exit 1; }
	done &&
	get features.html | grep customers &&
	get pipelines.html | grep "$RUN" &&
	get "runs/$RUN.html" | grep "<svg class=\"dag\"" &&
	get "runs/$RUN.html" | grep -c "<rect" >rects &&
	echo 4 >expect && test_cmp expect rects &&
	get "runs/$RUN/check.log" >log &&
	grep -F "<script>alert(3)</script>" log &&
	get registry.html | grep churn &&
	get registry/churn/1.html | grep "Model card" &&
	get endpoints.html | grep ep-web &&
	get monitoring.html | grep hourly &&
	stop_web
'

test_expect_success 'each page as JSON is what the CLI prints with --json' '
	web_store &&
	start_web &&
	get "features.html?format=json" >web.json &&
	mlops-feature list --json | jq -s . >cli.json &&
	same_json cli.json web.json &&
	get "features/customers.html?format=json" >web.json &&
	jq -e ".sample | length == 2" web.json &&
	jq -e ".partitions | length == 2" web.json &&
	jq -e ".ddl.spark | test(\"CREATE\")" web.json &&
	jq "del(.partitions, .sample, .ddl)" web.json >web2.json &&
	mlops-feature describe --json customers >cli.json &&
	same_json cli.json web2.json &&
	get "pipelines.html?format=json" >web.json &&
	mlops-pipeline list --json | jq -s . >cli.json &&
	same_json cli.json web.json &&
	get "runs/$RUN.html?format=json" >web.json &&
	mlops-pipeline show --json "$RUN" >cli.json &&
	same_json cli.json web.json &&
	get "registry.html?format=json" >web.json &&
	mlops-registry list --json | jq -s . >cli.json &&
	same_json cli.json web.json &&
	get "registry/churn/1.html?format=json" >web.json &&
	jq -e ".card.content.model_overview.model_description ==
		\"<script>alert(2)</script>\"" web.json &&
	jq "del(.card, .lineage_report, .diff_previous)" web.json >web2.json &&
	mlops-registry show --json churn/1 >cli.json &&
	same_json cli.json web2.json &&
	get "registry/churn/2.html?format=json" >web.json &&
	jq -e ".diff_previous.a == \"churn/1\" and .card == null" web.json &&
	get "endpoints.html?format=json" >web.json &&
	mlops-deploy list --json | jq -s . >cli.json &&
	same_json cli.json web.json &&
	get "endpoints/ep-web.html?format=json" >web.json &&
	jq "del(.latency_ms, .shadow_tests)" web.json >web2.json &&
	mlops-deploy describe --json ep-web >cli.json &&
	same_json cli.json web2.json &&
	get "monitoring.html?format=json" | jq "del(.generated)" >web.json &&
	mlops-monitor dashboard --json | jq "del(.generated)" >cli.json &&
	same_json cli.json web.json &&
	get "index.html?format=json" >web.json &&
	jq -e ".counts == {feature_groups: 1, pipeline_runs: 1,
		model_groups: 1, model_versions: 2, endpoints: 1,
		schedules: 1, shadow_tests: 0}" web.json &&
	jq -e ".events | length > 0" web.json &&
	jq -e ".audit | length > 0" web.json &&
	stop_web
'

test_expect_success 'Accept: application/json and .json paths give the same JSON' '
	web_store &&
	nogen="if type == \"object\" then del(.generated) else . end" &&
	start_web &&
	for p in index features pipelines registry registry/churn/1 \
		endpoints endpoints/ep-web; do
		get "$p.html?format=json" | jq "$nogen" >a.json &&
		get "$p.html" -H "Accept: application/json" |
			jq "$nogen" >b.json &&
		get "$p.json" | jq "$nogen" >c.json &&
		same_json a.json b.json && same_json a.json c.json || exit 1
	done &&
	curl -s -D headers -o /dev/null "$URL/registry.html?format=json" &&
	grep -i "^content-type: application/json" headers &&
	stop_web
'

test_expect_success 'the site is read-only: other methods get 405 and change nothing' '
	web_store &&
	start_web &&
	wc -l <.mlops/audit.log >before &&
	for m in POST PUT DELETE PATCH; do
		code=$(curl -s -o body -w "%{http_code}" -X $m \
			--data x=1 "$URL/registry/churn/1.html") &&
		test "$code" = 405 || exit 1
	done &&
	curl -s -D headers -o /dev/null -X POST "$URL/" &&
	grep -i "^allow: GET, HEAD" headers &&
	wc -l <.mlops/audit.log >after &&
	test_cmp before after &&
	curl -sfI "$URL/index.html" >head &&
	grep -i "^content-security-policy: default-src .none." head &&
	grep -i "^x-content-type-options: nosniff" head &&
	stop_web
'

test_expect_success 'unknown pages, things and paths that climb out are 404' '
	web_store &&
	start_web &&
	for p in nope.html features/nope.html runs/nope.html \
		"runs/$RUN/nope.log" registry/churn/9.html registry/churn/x.html \
		registry/nope/1.html endpoints/nope.html a/b/c/d.html \
		"runs/$RUN/../../../etc/passwd.log" "features/..%2f..%2fx.html" \
		.mlops/mlops.db index.htm features//customers.html; do
		code=$(curl -s --path-as-is -o body -w "%{http_code}" \
			"$URL/$p") &&
		{ test "$code" = 404 ||
		  { echo >&2 "$p: $code"; exit 1; }; } || exit 1
	done &&
	curl -s "$URL/registry/churn/9.html" | grep "churn.*9" &&
	stop_web
'

test_expect_success 'SIGTERM and SIGINT stop the server with status 0' '
	web_store &&
	start_web &&
	kill -TERM $WEB_PID && wait $WEB_PID &&
	grep "mlops web: stopped" web.log &&
	start_web &&
	kill -INT $WEB_PID && wait $WEB_PID &&
	test_must_fail curl -s "$URL/"
'

test_expect_success 'an access key, once given, is required of every request' '
	web_store &&
	echo "s3cret-key-for-web" >key &&
	start_web --key-file key &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/")" = 401 &&
	test "$(curl -s -o /dev/null -w "%{http_code}" \
		-H "X-Api-Key: wrong" "$URL/")" = 401 &&
	get index.html -H "X-Api-Key: s3cret-key-for-web" >/dev/null &&
	get index.html -H "Authorization: Bearer s3cret-key-for-web" \
		>/dev/null &&
	stop_web &&
	MLOPS_WEB_KEY=k2 start_web &&
	get index.html -H "X-Api-Key: k2" >/dev/null &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/")" = 401 &&
	stop_web
'

. "$TEST_DIRECTORY/lib-chromium.sh"

# A non-loopback address is tried in a network namespace of its own,
# where 0.0.0.0 reaches nothing but its own loopback interface.
if [ -z "$ISOLATE" ] || ! command -v ip >/dev/null; then
	test_skip "a non-loopback address needs an access key" \
		"no network namespace (unshare --net) or no ip"
else
test_expect_success 'a non-loopback address needs an access key' '
	web_store &&
	test_expect_code 2 $ISOLATE sh -c "ip link set lo up &&
		timeout 60 mlops web --listen 0.0.0.0:0" 2>err &&
	grep "not a loopback address: give an access key" err &&
	echo k3 >key &&
	$ISOLATE sh -c "ip link set lo up &&
		{ timeout 60 mlops web --listen 0.0.0.0:0 --key-file key \
			2>web.log & } &&
		pid=\$! &&
		for i in \$(seq 1 400); do
			port=\$(sed -n \"s/.* on http:.*:\\([0-9]*\\)\$/\\1/p\" \
				web.log)
			test -n \"\$port\" && break
			sleep 0.05
		done &&
		curl -s -o /dev/null -w \"%{http_code}\n\" \
			http://127.0.0.1:\$port/ >codes &&
		curl -s -o /dev/null -w \"%{http_code}\n\" -H \"X-Api-Key: k3\" \
			http://127.0.0.1:\$port/ >>codes;
		kill \$pid; wait \$pid" &&
	printf "401\n200\n" >expect &&
	test_cmp expect codes
'
fi

test_expect_success 'usage: --help, a bad flag, --export with --listen' '
	mlops web --help >out &&
	grep "usage: mlops web" out &&
	test_expect_code 2 mlops web --bogus 2>err &&
	grep "usage: mlops web" err &&
	test_expect_code 2 mlops web --export d --listen 127.0.0.1:0 2>err &&
	test_expect_code 2 mlops web extra 2>err &&
	test_expect_code 2 mlops web --listen nonsense 2>err &&
	grep "HOST:PORT" err &&
	mlops --help >out && grep "web" out
'

test_done
