#!/bin/bash
# t4005-deploy-capture.sh - data capture: SageMaker's JSON Lines records
# under capture/ENDPOINT/YYYY/MM/DD/HH/, completed by rename, sampled per
# request, read back with `mlops-deploy capture`.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

test_expect_success '--capture 100 writes every request in the SageMaker format' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 &&
	start_gateway &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/endpoints/churn/invocations" >got &&
	echo "{\"instances\": [[1, 2, 3, 4, 5]]}" >one.json &&
	curl -sf -H "Content-Type: application/json" --data-binary @one.json \
		"$URL/endpoints/churn/invocations" >got.json &&
	wait_capture churn 2 &&
	hour=$(date -u +%Y/%m/%d/%H) &&
	ls "$MLOPS_STORE/capture/churn/$hour/" | grep "\.jsonl$" &&
	! ls -a "$MLOPS_STORE/capture/churn/$hour/" | grep "\.part$" &&
	cat "$MLOPS_STORE"/capture/churn/*/*/*/*/*.jsonl >records &&
	$PYTHON - <<-PY
	import json, uuid, datetime
	recs = [json.loads(l) for l in open("records")]
	assert len(recs) == 2
	csv = [r for r in recs if r["captureData"]["endpointInput"]["encoding"] == "CSV"][0]
	i, o = csv["captureData"]["endpointInput"], csv["captureData"]["endpointOutput"]
	assert i == {"observedContentType": "text/csv", "mode": "INPUT",
	             "data": open("rows.csv").read(), "encoding": "CSV"}, i
	assert o["mode"] == "OUTPUT" and o["encoding"] == "CSV"
	assert o["observedContentType"] == "text/csv"
	assert o["data"] == open("got").read()
	assert csv["eventVersion"] == "0"
	uuid.UUID(csv["eventMetadata"]["eventId"])
	t = datetime.datetime.strptime(csv["eventMetadata"]["inferenceTime"], "%Y-%m-%dT%H:%M:%S.%fZ")
	js = [r for r in recs if r is not csv][0]["captureData"]
	assert js["endpointInput"]["encoding"] == "JSON"
	assert json.loads(js["endpointOutput"]["data"]) == json.load(open("got.json"))
	PY
'

test_expect_success 'capture prints records in a time range' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 &&
	start_gateway &&
	for i in 1 2 3; do
		curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
			"$URL/endpoints/churn/invocations" >/dev/null || return 1
	done &&
	wait_capture churn 3 &&
	mlops-deploy capture churn >all &&
	test_line_count = 3 all &&
	mlops-deploy capture --since "$(date -u -d "-1 hour" +%Y-%m-%dT%H:%M:%SZ)" churn >recent &&
	test_line_count = 3 recent &&
	mlops-deploy capture --until 2000-01-01T00:00:00Z churn >old &&
	test_line_count = 0 old &&
	test_expect_code 4 mlops-deploy capture nope >none 2>err &&
	test_line_count = 0 none &&
	grep "mlops-deploy: no endpoint .nope." err &&
	mlops-deploy create quiet --model churn/1 &&
	mlops-deploy capture quiet >none &&
	test_line_count = 0 none &&
	mlops-deploy delete churn &&
	mlops-deploy capture churn >after &&
	test_cmp all after &&
	test_expect_code 2 mlops-deploy capture --since yesterday churn 2>err
'

test_expect_success 'sampling is per request; 0 captures nothing; counters' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create half --model churn/1 --capture 50 &&
	mlops-deploy create none --model churn/1 &&
	start_gateway &&
	for i in $(seq 1 200); do echo 1,2,3,4,5; done >lines &&
	mlops-deploy invoke half --url "$URL" --lines <lines >/dev/null &&
	mlops-deploy invoke none --url "$URL" --lines <lines >/dev/null &&
	n=$(curl -s "$URL/metrics" | sed -n "s/^mlops_captured_records_total{endpoint=\"half\"} //p") &&
	test "$n" -gt 60 && test "$n" -lt 140 &&
	wait_capture half "$n" &&
	test "$(mlops-deploy capture half | wc -l)" = "$n" &&
	! test -e "$MLOPS_STORE/capture/none" &&
	curl -s "$URL/metrics" | grep "^mlops_capture_dropped_total{endpoint=\"half\"} 0$"
'

test_expect_success 'binary bodies are captured base64; failed requests are not' '
	printf "import sys\nfor l in sys.stdin: print(l.strip()[::-1], flush=True)\n" >rev.py &&
	register_model rev rev.py exec "$PYTHON rev.py" >/dev/null &&
	mlops-deploy create rev --model rev/1 --capture 100 &&
	start_gateway &&
	printf "abc\n" | mlops-deploy invoke rev --url "$URL" --content-type application/octet-stream >got &&
	echo cba >want && test_cmp want got &&
	test "$(http_code POST "$URL/endpoints/rev/invocations" -d "")" = 400 &&
	wait_capture rev 1 &&
	mlops-deploy capture rev >recs &&
	test_line_count = 1 recs &&
	grep "\"encoding\":\"BASE64\"" recs &&
	grep "\"data\":\"YWJjCg==\"" recs
'
test_done
