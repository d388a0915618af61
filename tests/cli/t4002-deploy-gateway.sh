#!/bin/bash
# t4002-deploy-gateway.sh - a real gateway on 127.0.0.1 serving xgboost
# endpoints: predictions equal python-xgboost's, every error status with
# a JSON body, keys, /metrics and /endpoints, SIGTERM, daemon and stop.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

test_expect_success 'CSV predictions match python-xgboost within 1e-6' '
	train_model m.json 20 100 &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/endpoints/churn/invocations" >got &&
	test_line_count = 20 got &&
	close_to got expect.txt &&
	curl -s "$URL/endpoints" | grep "\"predictor\":\"native\""
'

test_expect_success 'invoke and --lines print the same predictions' '
	train_model m.json 5 30 reg:squarederror &&
	register_model reg m.json >/dev/null &&
	mlops-deploy create reg --model reg/1 &&
	start_gateway &&
	mlops-deploy invoke reg --url "$URL" --body rows.csv >got &&
	close_to got expect.txt &&
	mlops-deploy invoke reg --lines <rows.csv >got2 &&
	test_line_count = 20 got2 &&
	close_to got2 expect.txt &&
	mlops-deploy invoke reg --url "$URL/" <rows.csv | cmp - got
'

test_expect_success 'JSON instances, and a multi-class model via the C API' '
	train_model m.json 4 12 multi:softprob &&
	register_model multi m.json >/dev/null &&
	mlops-deploy create multi --model multi/1 &&
	start_gateway &&
	curl -s "$URL/endpoints" | grep "xgboost (native evaluator: unsupported objective" &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv "$URL/endpoints/multi/invocations" >got &&
	close_to got expect.txt &&
	$PYTHON -c "
import json
rows = [[None if v == \"\" else float(v) for v in l.strip().split(\",\")] for l in open(\"rows.csv\")]
print(json.dumps({\"instances\": rows}))" >body.json &&
	curl -sf -H "Content-Type: application/json" --data-binary @body.json \
		"$URL/endpoints/multi/invocations" >got.json &&
	$PYTHON -c "
import json
got = [p[\"score\"] for p in json.load(open(\"got.json\"))[\"predictions\"]]
want = [[float(v) for v in l.split(\",\")] for l in open(\"expect.txt\")]
assert len(got) == len(want) == 20
assert all(abs(a - b) <= 1e-6 for g, w in zip(got, want) for a, b in zip(g, w))"
'

test_expect_success '/invocations with X-Mlops-Endpoint routes the same' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	curl -sf -H "X-Mlops-Endpoint: churn" -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/invocations" >got &&
	close_to got expect.txt &&
	test "$(http_code POST "$URL/invocations" -d 1)" = 400 &&
	grep "X-Mlops-Endpoint" body.out
'

test_expect_success 'bad requests: 400 404 405 413 415 with JSON bodies' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --max-payload 1KB &&
	start_gateway &&
	inv=$URL/endpoints/churn/invocations &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" -d "1,2,3")" = 400 &&
	grep "\"error\":\"InvalidInput\",\"message\":\"line 1: 3 values, the model expects 5\"" body.out &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" -d "1,2,x,4,5")" = 400 &&
	grep "line 1, column 3: .x. is not a number" body.out &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" --data-binary "1,2,3,4,5,6")" = 400 &&
	grep "more than 5 values" body.out &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" -d "")" = 400 &&
	grep "empty body" body.out &&
	test "$(http_code POST "$inv" -H "Content-Type: application/json" -d "{\"instances\": 3}")" = 400 &&
	test "$(http_code POST "$inv" -H "Content-Type: application/json" -d "{bad")" = 400 &&
	test "$(http_code POST "$URL/endpoints/nope/invocations" -d 1)" = 404 &&
	grep "no endpoint .nope." body.out &&
	test "$(http_code GET "$inv")" = 405 &&
	test "$(http_code DELETE "$URL/metrics")" = 405 &&
	test "$(http_code GET "$URL/nothing")" = 404 &&
	test "$(http_code POST "$inv" -H "Content-Type: image/png" -d 1)" = 415 &&
	head -c 5000 /dev/zero | tr "\0" "1" >big &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" --data-binary @big)" = 413 &&
	grep "PayloadTooLarge" body.out &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" -H "Transfer-Encoding: chunked" --data-binary @big)" = 413 &&
	# A chunked body that never ends is cut off, not read forever.
	$PYTHON - "$GW_PORT" <<-\PY &&
	import socket, sys, time
	s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10)
	s.sendall(b"POST /endpoints/churn/invocations HTTP/1.1\r\nHost: x\r\n"
	          b"Content-Type: text/csv\r\nTransfer-Encoding: chunked\r\n\r\n")
	chunk = b"%x\r\n%s\r\n" % (1 << 20, b"1" * (1 << 20))
	try:
	    for i in range(1000):
	        s.sendall(chunk)
	    sys.exit("the gateway read 1 GB of an endless body")
	except (BrokenPipeError, ConnectionResetError):
	    pass
	PY
	curl -s "$URL/metrics" | grep "^mlops_requests_total{endpoint=\"churn\",code=\"413\"} 3$" &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv "$inv" >got &&
	close_to got expect.txt &&
	test_expect_code 3 mlops-deploy invoke churn --url "$URL" --body big 2>err &&
	grep "HTTP 413" err &&
	test_expect_code 4 mlops-deploy invoke nope --url "$URL" </dev/null 2>err &&
	closed=$(test_free_port) &&
	test_expect_code 70 mlops-deploy invoke churn --url "http://127.0.0.1:$closed" <rows.csv 2>err &&
	grep "^mlops-deploy: http://127.0.0.1:$closed/endpoints/churn/invocations: Could.*connect" err
'


test_expect_success 'error bodies stay JSON when they quote bytes that are not UTF-8' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	inv=$URL/endpoints/churn/invocations &&
	printf "1,2,\\377\\376x,4,5" >bad.csv &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" --data-binary @bad.csv)" = 400 &&
	$PYTHON -c "import json; m = json.load(open(\"body.out\", \"rb\"))[\"message\"]; assert m == \"line 1, column 3: ??x is not a number\".replace(\"??x\", \"\\x27??x\\x27\"), m" &&
	printf "1,2,\\303\\251,4,5" >utf8.csv &&
	test "$(http_code POST "$inv" -H "Content-Type: text/csv" --data-binary @utf8.csv)" = 400 &&
	$PYTHON -c "import json; m = json.load(open(\"body.out\", \"rb\"))[\"message\"]; assert \"\\u00e9\" in m, m" &&
	test "$(http_code POST "$URL/invocations" -H "$(printf "X-Mlops-Endpoint: \\377")" -d 1)" = 404 &&
	$PYTHON -c "import json; json.load(open(\"body.out\", \"rb\"))"
'
test_expect_success 'API keys: 401 without a valid key; list and revoke' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	mlops-deploy create open --model churn/1 &&
	start_gateway &&
	key=$(mlops-deploy key create churn) &&
	inv=$URL/endpoints/churn/invocations &&
	for i in $(seq 1 100); do
		test "$(http_code POST "$inv" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 401 &&
		break
		sleep 0.05
	done &&
	grep "Unauthorized" body.out &&
	test "$(http_code POST "$inv" -H "Authorization: Bearer mlk_wrong" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 401 &&
	test "$(http_code POST "$inv" -H "Authorization: Bearer $key" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 200 &&
	test "$(http_code POST "$inv" -H "X-Api-Key: $key" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 200 &&
	test "$(http_code POST "$URL/endpoints/open/invocations" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 200 &&
	test_expect_code 5 mlops-deploy invoke churn --url "$URL" <rows.csv 2>err &&
	MLOPS_API_KEY=$key mlops-deploy invoke churn --url "$URL" <rows.csv >got &&
	close_to got expect.txt &&
	key2=$(mlops-deploy key create churn) &&
	id=$(echo "$key" | cut -c5-12) &&
	mlops-deploy key list churn >keys &&
	test_line_count = 3 keys &&
	grep "^$id	" keys &&
	mlops-deploy key delete churn "$id" &&
	for i in $(seq 1 100); do
		test "$(http_code POST "$inv" -H "X-Api-Key: $key" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 401 &&
		break
		sleep 0.05
	done &&
	test "$(http_code POST "$inv" -H "X-Api-Key: $key" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 401 &&
	test "$(http_code POST "$inv" -H "X-Api-Key: $key2" -H "Content-Type: text/csv" --data-binary @rows.csv)" = 200 &&
	test_expect_code 4 mlops-deploy key delete churn "$id" 2>err &&
	grep "has no key" err
'

test_expect_success 'a model XGBoost cannot load: 503, the others keep serving' '
	train_model m.json &&
	echo "{ not a model" >broken.json &&
	register_model good m.json >/dev/null &&
	register_model bad broken.json >/dev/null &&
	mlops-deploy create good --model good/1 &&
	mlops-deploy create bad --model bad/1 &&
	start_gateway &&
	test "$(http_code POST "$URL/endpoints/bad/invocations" -H "Content-Type: text/csv" -d 1)" = 503 &&
	grep "xgboost cannot load the model" body.out &&
	curl -s "$URL/endpoints" | grep "\"status\":\"Failed\"" &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv "$URL/endpoints/good/invocations" >got &&
	close_to got expect.txt
'

test_expect_success '/metrics counts requests, errors and latency per endpoint' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	for i in 1 2 3; do
		curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv "$URL/endpoints/churn/invocations" >/dev/null || return 1
	done &&
	curl -s -H "Content-Type: text/csv" -d 1,2 "$URL/endpoints/churn/invocations" >/dev/null &&
	curl -s -d 1 "$URL/endpoints/nope/invocations" >/dev/null &&
	curl -sf "$URL/metrics" >m &&
	grep "^mlops_requests_total{endpoint=\"churn\",code=\"200\"} 3$" m &&
	grep "^mlops_requests_total{endpoint=\"churn\",code=\"400\"} 1$" m &&
	grep "^mlops_request_errors_total{endpoint=\"churn\",code=\"400\"} 1$" m &&
	grep "^mlops_unrouted_requests_total{code=\"404\"} 1$" m &&
	grep "^mlops_request_duration_seconds_count{endpoint=\"churn\"} 4$" m &&
	grep "^mlops_request_duration_seconds_bucket{endpoint=\"churn\",le=\"+Inf\"} 4$" m &&
	grep "^mlops_inflight_requests{endpoint=\"churn\"} 0$" m &&
	test "$(curl -s -o /dev/null -w "%{http_code}" "$URL/ping")" = 200
'

test_expect_success 'SIGTERM stops the gateway with status 0; counters written' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	mlops-deploy describe churn | grep "^status: OutOfService$" &&
	start_gateway &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv "$URL/endpoints/churn/invocations" >/dev/null &&
	for i in $(seq 1 50); do
		mlops-deploy describe churn | grep "^status: InService$" && break
		sleep 0.1
	done &&
	mlops-deploy describe churn | grep "^status: InService$" &&
	kill -TERM $GW_PID &&
	wait $GW_PID &&
	grep "stopped" gw.log &&
	! test -e "$MLOPS_STORE/gateway.url" &&
	mlops-deploy describe churn >d &&
	grep "^counters.requests: 1$" d
'

test_expect_success 'a port in use is a precise error' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	start_gateway &&
	test_expect_code 4 mlops-deploy serve --listen 127.0.0.1:$GW_PORT 2>err &&
	grep "cannot listen on 127.0.0.1:$GW_PORT: Address already in use" err &&
	test_expect_code 2 mlops-deploy serve --listen nonsense 2>err &&
	grep "expected HOST:PORT" err
'

test_expect_success 'serve --daemon writes a pidfile; stop drains and waits' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 &&
	port=$(test_free_port) &&
	mlops-deploy serve --daemon --listen 127.0.0.1:$port >out &&
	grep "listening on http://127.0.0.1:$port" out &&
	pid=$(cat "$MLOPS_STORE/gateway.pid") &&
	trap "kill $pid 2>/dev/null" EXIT &&
	test_expect_code 4 mlops-deploy serve --daemon --listen 127.0.0.1:$port 2>err &&
	grep "Address already in use" err &&
	test "$(cat "$MLOPS_STORE/gateway.pid")" = $pid &&
	mlops-deploy invoke churn <rows.csv >got &&
	close_to got expect.txt &&
	mlops-deploy stop &&
	! process_alive $pid &&
	! test -e "$MLOPS_STORE/gateway.pid" &&
	test_expect_code 4 mlops-deploy stop 2>err
'
test_done
