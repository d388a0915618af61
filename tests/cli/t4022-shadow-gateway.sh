#!/bin/bash
# t4022-shadow-gateway.sh - a running gateway mirrors a shadow test's
# sample of requests to the shadow version after production answered:
# production's answers are byte for byte the same with and without a
# shadow, a slow or crashing shadow changes neither production's answers
# nor its error count, and paired records of both answers are kept.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-shadow.sh"

# errors ENDPOINT N: production's error count, once the gateway wrote
# back counters for at least N requests.
errors() {
	for i in $(seq 1 400); do
		mlops-deploy describe --json "$1" | $PYTHON -c "
import json, sys
c = json.load(sys.stdin).get(\"counters\", {})
if c.get(\"requests\", 0) < int(sys.argv[1]): sys.exit(1)
print(c[\"errors\"])" "$2" && return 0
		sleep 0.05
	done
	return 1
}

test_expect_success 'production answers are byte for byte the same with a shadow' '
	shadow_gateway &&
	mlops-deploy invoke web --lines <rows.csv >before &&
	mlops-shadow start web --model churn/2 --name t1 &&
	wait_log "shadow test t1: mirroring 100% of web to churn/2" &&
	mlops-deploy invoke web --lines <rows.csv >after &&
	cmp before after &&
	wait_status t1 pairs_kept 20 &&
	mlops-shadow status --json t1 >s.json &&
	grep "\"mirrored\": *20" s.json && grep "\"shed\": *0" s.json &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM shadow_pair
		WHERE prod_status = 200 AND shadow_status = 200 AND
		prod_latency_us >= 0 AND shadow_latency_us >= 0" >n &&
	test "$(cat n)" = 20 &&
	$PYTHON - "$MLOPS_STORE/mlops.db" <<-\PY &&
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	pairs = {bytes(i).decode().rstrip("\n"): (bytes(p).decode(), bytes(s).decode())
	         for i, p, s in db.execute("SELECT input, prod_output, "
	                                   "shadow_output FROM shadow_pair")}
	rows = [l.rstrip("\n") for l in open("rows.csv")]
	after = open("after").read().splitlines()
	expect = open("expect.txt").read().split()
	assert len(pairs) == 20, len(pairs)
	for r, a, e in zip(rows, after, expect):
	    p, s = pairs[r]
	    assert p == a + "\n", (p, a)
	    assert abs(float(s) - float(e)) < 1e-6, (s, e)
	PY
	test "$(errors web 40)" = 0
'

test_expect_success 'the sample share is mirrored, the rest is not' '
	shadow_gateway &&
	mlops-shadow start web --model churn/2 --name t1 --sample 0 &&
	wait_log "shadow test t1: mirroring 0% of web" &&
	mlops-deploy invoke web --lines <rows.csv >/dev/null &&
	mlops-shadow stop t1 &&
	wait_log "shadow test t1: ended" &&
	mlops-shadow status --json t1 | grep "\"mirrored\": *0"
'

test_expect_success 'a shadow that sleeps 2 s or crashes changes nothing for production' '
	shadow_gateway &&
	mlops-deploy invoke web --lines <rows.csv >before &&
	register_slow 2 >/dev/null &&
	register_model churn m2.json exec "exit 3" >/dev/null &&
	mlops-shadow start web --model churn/3 --name slow &&
	wait_log "shadow test slow: mirroring" &&
	start=$(date +%s) &&
	mlops-deploy invoke web --lines <rows.csv >after &&
	cmp before after &&
	test $(( $(date +%s) - start )) -lt 10 &&
	wait_status slow mirrored 1 &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM shadow_pair
		WHERE test = '"'"'slow'"'"' AND shadow_status = 200 AND
		shadow_latency_us >= 2000000" >n &&
	test "$(cat n)" -ge 1 &&
	mlops-shadow stop slow &&
	mlops-shadow start web --model churn/4 --name crash &&
	wait_log "shadow test crash: mirroring" &&
	mlops-deploy invoke web --lines <rows.csv >after2 &&
	cmp before after2 &&
	wait_status crash mirrored 20 &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT DISTINCT shadow_status FROM
		shadow_pair WHERE test = '"'"'crash'"'"'" >codes &&
	test "$(cat codes)" = 502 &&
	test "$(errors web 60)" = 0
'

test_expect_success 'a shadow that cannot start mirrors nothing and says why' '
	shadow_gateway &&
	mlops-deploy invoke web --lines <rows.csv >before &&
	register_model churn m2.json http "/nonexistent/serve" >/dev/null &&
	mlops-shadow start web --model churn/3 --name t1 &&
	wait_log "shadow test t1: churn/3 cannot serve" &&
	mlops-deploy invoke web --lines <rows.csv >after &&
	cmp before after &&
	wait_status t1 shed 20 &&
	mlops-shadow status --json t1 >s.json &&
	grep "\"error\": *\"churn/3 cannot serve" s.json &&
	grep "\"mirrored\": *0" s.json &&
	curl -s "$URL/endpoints" | grep "\"error\": *\"churn/3 cannot serve" &&
	test "$(errors web 40)" = 0
'

test_expect_success 'captures name the version that answered, shadow ones marked' '
	train_model m1.json 5 10 &&
	train_model m2.json 5 12 &&
	register_model churn m1.json >/dev/null &&
	register_model churn m2.json >/dev/null &&
	mlops-deploy create web --model churn/1 --capture 100 >/dev/null &&
	start_gateway &&
	mlops-shadow start web --model churn/2 --name t1 &&
	wait_log "shadow test t1: mirroring" &&
	mlops-deploy invoke web --lines <rows.csv >answers &&
	head -1 rows.csv | mlops-deploy invoke web --inference-id mine \
		>/dev/null &&
	wait_status t1 mirrored 21 &&
	wait_status t1 pairs_kept 21 &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT request_id FROM shadow_pair" |
		sort >pair-ids &&
	kill $GW_PID && wait $GW_PID;
	find .mlops/capture -name "*.jsonl" >files &&
	grep "/web/[0-9/]*/[0-9-]*-[0-9a-f]*\.churn-1\.jsonl$" files &&
	grep "/web/[0-9/]*/[0-9-]*-[0-9a-f]*\.churn-2\.shadow\.jsonl$" files &&
	cat $(grep "churn-1.jsonl$" files) >prod.jsonl &&
	cat $(grep "shadow.jsonl$" files) >shadow.jsonl &&
	$PYTHON - <<-\PY &&
	import json
	p = [json.loads(l) for l in open("prod.jsonl")]
	s = [json.loads(l) for l in open("shadow.jsonl")]
	assert len(p) == 21 and len(s) == 21, (len(p), len(s))
	assert all(r["eventMetadata"]["variant"] == "churn/1" for r in p)
	assert all("shadow" not in r["eventMetadata"] for r in p)
	assert all(r["eventMetadata"]["variant"] == "churn/2" for r in s)
	assert all(r["eventMetadata"]["shadow"] is True for r in s)
	ins = sorted(r["captureData"]["endpointInput"]["data"] for r in p)
	assert ins == sorted(r["captureData"]["endpointInput"]["data"] for r in s)
	# A shadow record carries the inference id of the request it
	# mirrored (the client one, else the production event id), as
	# does the paired record.
	def ids(recs):
	    return {r["eventMetadata"]["inferenceId"]:
	            r["captureData"]["endpointInput"]["data"] for r in recs}
	assert ids(p) == ids(s)
	assert "mine" in ids(p)
	assert all(r["eventMetadata"]["inferenceId"] ==
	           r["eventMetadata"]["eventId"]
	           for r in p if r["eventMetadata"]["inferenceId"] != "mine")
	assert not set(r["eventMetadata"]["eventId"] for r in p) & \
	    set(r["eventMetadata"]["eventId"] for r in s)
	assert set(ids(p)) == set(open("pair-ids").read().split()), "pairs"
	PY
	mlops-deploy capture web >captured &&
	test_line_count = 21 captured &&
	! grep "\"shadow\"" captured
'

test_expect_success 'promote switches blue/green with no failed request' '
	shadow_gateway &&
	mlops-shadow start web --model churn/2 --name t1 &&
	wait_log "shadow test t1: mirroring" &&
	head -1 rows.csv >body.csv || exit 1
	load_client 60 web body.csv stop >seen &
	client=$!
	sleep 1 &&
	mlops-shadow promote t1 >out &&
	grep "t1: promoted; web serves churn/2" out &&
	wait_for_model web churn/2 &&
	sleep 1 &&
	touch stop &&
	wait $client &&
	cat seen &&
	! grep -v "^200 " seen &&
	grep "^200 churn/1 [0-9]" seen &&
	grep "^200 churn/2 [0-9]" seen &&
	wait_log "shadow test t1: ended" &&
	mlops-shadow status t1 | grep "^status: Promoted$" &&
	mlops-deploy describe web | grep "^previous_model: churn/1$" &&
	mlops event log --json --source mlops.shadow | grep "\"Status\": *\"Promoted\"" &&
	mlops audit log | grep "shadow.promote" &&
	test_expect_code 4 mlops-shadow promote t1 2>err &&
	grep "not running (Promoted)" err &&
	mlops-shadow start web --model churn/1 --name t2 &&
	mlops-shadow stop t2 &&
	test_snapshot &&
	test_expect_code 4 mlops-shadow promote t2 2>err &&
	grep "not running (Stopped)" err &&
	test_store_unchanged
'

test_done
