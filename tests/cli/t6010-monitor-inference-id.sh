#!/bin/bash
# t6010-monitor-inference-id.sh - inference ids: the gateway takes one
# from X-Amzn-SageMaker-Inference-Id (refusing hostile values with 400),
# records it as eventMetadata.inferenceId of the capture, else the event
# id; mlops-deploy invoke --inference-id sends one.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-monitor.sh"

H=X-Amzn-SageMaker-Inference-Id
CT="Content-Type: text/csv"

test_expect_success 'inference ids reach the capture; hostile ones get 400' '
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 &&
	start_gateway &&
	head -n 1 rows.csv >one.csv &&
	sed -n 2,3p rows.csv >two.csv &&
	mlops-deploy invoke --url "$URL" --inference-id "req \"1\"" \
		--body one.csv churn >p1 &&
	curl -sf -H "Content-Type: text/csv" -H "$H: req-2" \
		--data-binary @one.csv "$URL/endpoints/churn/invocations" >p2 &&
	curl -sf -H "Content-Type: text/csv" --data-binary @one.csv \
		"$URL/endpoints/churn/invocations" >p3 &&
	mlops-deploy invoke --url "$URL" --inference-id batch --lines \
		churn <two.csv >p4 &&
	test_line_count = 2 p4 &&
	long=$(printf "%065d" 0) &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" -H "$CT" \
		-H "$H: $long" --data-binary @one.csv)" = 400 &&
	grep "InvalidInput" body.out &&
	grep "1 to 64 printable ASCII" body.out &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" -H "$CT" \
		-H "$H: $(printf "%064d" 0)" --data-binary @one.csv)" = 200 &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" -H "$CT" \
		-H "$(printf "$H: a\\001b")" --data-binary @one.csv)" = 400 &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" -H "$CT" \
		-H "$H: caf$(printf "\\303\\251")" --data-binary @one.csv)" = 400 &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" -H "$CT" \
		-H "$H;" --data-binary @one.csv)" = 400 &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" -H "$CT" \
		-H "$H: a" -H "$H: b" --data-binary @one.csv)" = 400 &&
	grep "several $H headers" body.out &&
	test_expect_code 2 mlops-deploy invoke --url "$URL" \
		--inference-id "$long" --body one.csv churn 2>err &&
	grep "inference id .0*. is not 1 to 64 printable" err &&
	wait_capture churn 6 &&
	cat "$MLOPS_STORE"/capture/churn/*/*/*/*/*.jsonl >records &&
	$PYTHON - "$(printf "%064d" 0)" <<-\PY
	import json, sys
	recs = [json.loads(l) for l in open("records")]
	assert len(recs) == 6, len(recs)
	ids = sorted(r["eventMetadata"]["inferenceId"] for r in recs)
	own = [r for r in recs if r["eventMetadata"]["inferenceId"] ==
	       r["eventMetadata"]["eventId"]]
	assert len(own) == 1, ids
	named = sorted(i for i in ids if i != own[0]["eventMetadata"]["eventId"])
	assert named == sorted(["req \"1\"", "req-2", "batch-1", "batch-2",
	                        sys.argv[1]]), named
	for r in recs:
	    m = r["eventMetadata"]
	    assert list(m)[:3] == ["eventId", "inferenceId", "inferenceTime"], m
	    assert m["variant"] == "churn/1"
	PY
'

test_expect_success 'invoke --inference-id: --help shows it, a bad flag is 2' '
	mlops-deploy invoke --help >out &&
	grep -- "--inference-id ID" out &&
	test_expect_code 2 mlops-deploy invoke --inference-idd x churn
'

test_done
