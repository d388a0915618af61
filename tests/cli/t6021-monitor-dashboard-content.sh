#!/bin/bash
# t6021-monitor-dashboard-content.sh - what mlops-monitor dashboard
# shows beyond t6006: latency p50/p99 from the counters a gateway wrote
# back (read after it stopped), counters that are not available, card
# and baseline status, drift per feature over executions (checked
# against scipy), shadow tests with their agreement, the latency and
# baseline alerts, and every value escaped in the page.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# An exec model that echoes its input, churn/1 and churn/2, on "web".
models() {
	echo cat >worker.sh &&
	for i in 1 2; do
		mlops-registry register churn --artifact worker.sh \
			--framework exec --entry "sh worker.sh" \
			--status Approved >/dev/null || return 1
	done &&
	mlops-deploy create web --model churn/1 >/dev/null
}

# capture ENDPOINT HOUR ROWS...: one captured CSV request per row, HOUR
# hours after the current hour began.
capture() {
	$PYTHON - "$MLOPS_STORE" "$@" <<-\PY
	import json, os, sys, time
	store, ep, hour, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
	t = (int(time.time()) // 3600 + hour) * 3600 + 60
	d = os.path.join(store, "capture", ep, time.strftime("%Y/%m/%d/%H", time.gmtime(t)))
	os.makedirs(d, exist_ok=True)
	with open(os.path.join(d, "test.jsonl"), "a") as f:
	    for i, r in enumerate(rows):
	        f.write(json.dumps({"captureData": {"endpointInput": {
	            "observedContentType": "text/csv", "mode": "INPUT",
	            "data": r + "\n", "encoding": "CSV"}},
	            "eventMetadata": {"eventId": "e-%d-%d" % (hour, i),
	            "inferenceTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))},
	            "eventVersion": "0"}) + "\n")
	PY
}

# put_counters ENDPOINT N: counters of N requests as a gateway that
# keeps no latency histogram wrote them.
put_counters() {
	sqlite3 .mlops/mlops.db "INSERT INTO endpoint_stats (endpoint,
		requests, errors, cold_starts, captured, capture_dropped,
		updated_us) VALUES ('$1', $2, 0, 0, 0, 0, 1)"
}

# Four paired records in shadow test t1, as the gateway writes them;
# production and shadow give the same class (score >= 0.5) for three.
put_pairs() {
	$PYTHON - "$MLOPS_STORE/mlops.db" <<-\PY
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	for i, (p, s) in enumerate([("0.9", "0.8"), ("0.2", "0.7"),
	                            ("0.1", "0.3"), ("0.6", "0.9")]):
	    db.execute("INSERT INTO shadow_pair VALUES ('t1', ?, ?, ?, "
	               "'text/csv', x'31', 200, 1000, ?, 200, 1500, ?)",
	               (i, "r%d" % i, 1000 + i, p.encode(), s.encode()))
	db.commit()
	PY
}

# Three hourly windows: age drifts away from the baseline (1..10), plan
# goes from half a, half b to all b.
drifting() {
	printf "age,plan\n" >train.csv &&
	for i in 1 2 3 4 5 6 7 8 9 10; do
		echo "$i,$([ $i -le 5 ] && echo a || echo b)" || return 1
	done >>train.csv &&
	mlops-monitor baseline --data train.csv -o base >/dev/null &&
	mlops-monitor schedule create hourly --endpoint web --baseline base \
		>/dev/null &&
	capture web 0 1,a 2,a 3,a 4,a 5,a 6,b 7,b 8,b 9,b 10,b &&
	capture web 1 4,a 5,b 6,b 7,b 8,b 9,b 10,b 11,b 12,b 13,b &&
	capture web 2 11,b 12,b 13,b 14,b 15,b 16,b 17,b 18,b 19,b 20,b &&
	later=$(( ($(date +%s) / 3600 + 3) * 3600 + 1 )) &&
	test_expect_code 1 mlops-monitor run-due \
		--now "$(date -u -d @$later +%Y-%m-%dT%H:%M:%SZ)" >/dev/null
}

test_expect_success 'latency p50/p99 from the counters a stopped gateway wrote' '
	models &&
	start_gateway &&
	for i in $(seq 1 20); do
		curl -sf -H "Content-Type: text/csv" --data-binary "$i,1" \
			"$URL/endpoints/web/invocations" >/dev/null || exit 1
	done &&
	for i in $(seq 1 100); do
		mlops-monitor dashboard --json >d.json &&
		jq -e ".endpoints[0].requests == 20" d.json >/dev/null && break
		sleep 0.1
	done &&
	kill -TERM $GW_PID &&
	wait $GW_PID &&
	mlops-monitor dashboard --json >d.json &&
	jq -e ".endpoints[0] | .requests == 20 and .errors == 0 and
		.error_rate == 0 and .latency_ms.p50 > 0 and
		.latency_ms.p99 >= .latency_ms.p50 and
		(.counters_updated | type) == \"string\"" d.json &&
	sqlite3 .mlops/mlops.db "SELECT latency FROM endpoint_stats" |
		jq -e "(.counts | add) == 20 and
			(.counts | length) == (.bounds_us | length) + 1" &&
	jq -e "[.alerts[].kind] | index(\"latency\") == null" d.json &&
	mlops-monitor dashboard --json --max-p99-ms 0 |
		jq -e "[.alerts[] | select(.kind == \"latency\")] | length == 1
			and (.[0].message | test(\"^latency p99 .* ms over the limit of 0 ms$\"))" &&
	mlops-monitor dashboard >out &&
	grep "^web	churn/1	20	0	[0-9.e-]*	[0-9.e-]*	-	-	-	-$" out
'

test_expect_success 'counters never written are shown as not available' '
	models &&
	mlops-monitor dashboard --json >d.json &&
	jq -e ".endpoints[0] | .counters_updated == null and
		.requests == null and .errors == null and
		.latency_ms == null" d.json &&
	mlops-monitor dashboard --html d.html &&
	grep "not available: no gateway has written counters" d.html &&
	put_counters web 5 &&
	mlops-monitor dashboard --json | jq -e ".endpoints[0] |
		.requests == 5 and .latency_ms == null" &&
	mlops-monitor dashboard --html d.html &&
	grep ">not recorded</td>" d.html &&
	sqlite3 .mlops/mlops.db "UPDATE endpoint_stats SET latency = \"{\"" &&
	mlops-monitor dashboard --json | jq -e ".endpoints[0].latency_ms == null"
'

test_expect_success 'groups, card and baseline status, and the baseline alert' '
	models &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card status churn/1 PendingReview >/dev/null &&
	mlops-monitor dashboard --json >d.json &&
	jq -e ".groups == [{\"group\": \"churn\", \"versions\": 2,
		\"latest\": 2, \"approved\": 2,
		\"deployed\": [{\"endpoint\": \"web\", \"version\": 1}]}]" d.json &&
	jq -e "[.models[] | [.model, .card, .baseline]] ==
		[[\"churn/1\", \"PendingReview\", false],
		 [\"churn/2\", null, false]]" d.json &&
	jq -e "[.alerts[] | select(.kind == \"no_baseline\") | .subject] ==
		[\"churn/1\"]" d.json &&
	printf "age\n1\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o b --register churn/1 \
		>/dev/null &&
	mlops-monitor dashboard --json >d.json &&
	jq -e ".models[0].baseline == true and
		([.alerts[].kind] | index(\"no_baseline\") == null)" d.json &&
	mlops-monitor dashboard >out &&
	grep "^churn	1	Approved	PendingReview	registered	web$" out &&
	grep "^churn	2	2	2	web=1$" out
'

test_expect_success 'drift per feature over executions agrees with scipy' '
	models &&
	drifting &&
	mlops-monitor dashboard --json >d.json &&
	$PYTHON - <<-\PY &&
	import json
	from scipy import stats
	d = json.load(open("d.json"))
	s = d["schedules"][0]
	assert s["executions_total"] == 3 and len(s["executions"]) == 3, s
	f = {x["name"]: x for x in s["drift"]["features"]}
	assert f["age"]["threshold"] == 0.1 and f["plan"]["threshold"] == 0.1
	base = list(range(1, 11))
	wins = [list(range(1, 11)), [4] + list(range(5, 14)), list(range(11, 21))]
	got = [p["distance"] for p in f["age"]["points"]]
	want = [stats.ks_2samp(base, w).statistic for w in wins]
	assert all(abs(a - b) < 1e-12 for a, b in zip(got, want)), (got, want)
	assert [p["start"] for p in f["age"]["points"]] == \
	    [e["start"] for e in s["executions"]]
	# plan: b is 0.5 of the baseline, 0.5, 0.9 and 1.0 of the windows.
	got = [p["distance"] for p in f["plan"]["points"]]
	assert all(abs(a - b) < 1e-12 for a, b in zip(got, [0, 0.4, 0.5])), got
	PY
	mlops-monitor dashboard --json --history 2 >d2.json &&
	jq -e ".schedules[0] | .executions_total == 3 and
		(.executions | length) == 2 and
		(.drift.features[0].points | length) == 2 and
		.drift.features[0].points[1].distance == 1" d2.json &&
	mlops-monitor dashboard >out &&
	grep "^hourly	age	1	1	0.1	3$" out &&
	grep "^hourly	plan	0.5	0.5	0.1	3$" out &&
	mlops-monitor dashboard --html d.html &&
	test "$(grep -o "<polyline" d.html | wc -l)" = 2 &&
	test "$(grep -o "<circle" d.html | wc -l)" = 6
'

test_expect_success 'drift from a registered baseline, read without writing' '
	models &&
	drifting &&
	mlops-monitor baseline --data train.csv -o b2 --register churn/1 \
		>/dev/null &&
	sqlite3 .mlops/mlops.db "UPDATE monitor_schedule SET
		baseline = \"churn/1\"" &&
	mlops-monitor dashboard --json >dir.json &&
	rm -rf .mlops/monitoring/baselines &&
	mlops-monitor dashboard --json >ref.json &&
	! test -e .mlops/monitoring/baselines &&
	jq -e ".schedules[0].drift.features | map(.points | length) == [3, 3]" \
		ref.json &&
	test "$(jq -c ".schedules[0].drift" ref.json)" = \
		"$(jq -c ".schedules[0].drift" dir.json)"
'

test_expect_success 'a broken report loses its points; a lost baseline all' '
	models &&
	drifting &&
	r=$(mlops-monitor dashboard --json | jq -r ".schedules[0].executions[1].report") &&
	echo "{\"truncated" >".mlops/$r/statistics.json" &&
	mlops-monitor dashboard --json >d.json &&
	jq -e ".schedules[0].drift.features | map(.points | length) == [2, 2]" \
		d.json &&
	rm -r base &&
	mlops-monitor dashboard --json >d.json &&
	jq -e ".schedules[0].drift.error | test(\"statistics.json\")" d.json &&
	mlops-monitor dashboard --html d.html &&
	grep "not available: " d.html
'

test_expect_success 'shadow tests with their agreement' '
	models &&
	mlops-shadow start web --model churn/2 --name t1 >/dev/null &&
	put_pairs &&
	mlops-monitor dashboard --json >d.json &&
	jq -e ".shadow_tests == [{\"name\": \"t1\", \"endpoint\": \"web\",
		\"production\": \"churn/1\", \"shadow\": \"churn/2\",
		\"kind\": \"live\", \"status\": \"Running\",
		\"start\": .shadow_tests[0].start, \"end\": .shadow_tests[0].end,
		\"pairs\": 4, \"agreement\": 0.75,
		\"within_tolerance\": 0, \"worse\": true,
		\"reasons\": .shadow_tests[0].reasons}]" d.json &&
	mlops-monitor dashboard >out &&
	grep "^t1	web	churn/1	churn/2	Running	4	0.75	yes$" out &&
	sqlite3 .mlops/mlops.db "UPDATE shadow_test SET end_us = 1" &&
	mlops-monitor dashboard --json |
		jq -e ".shadow_tests[0].status == \"Completed\"" &&
	test "$(sqlite3 .mlops/mlops.db "SELECT status FROM shadow_test")" = \
		Running &&
	sqlite3 .mlops/mlops.db "UPDATE shadow_test SET end_us = 1e18" &&
	mlops-shadow stop t1 >/dev/null &&
	mlops-monitor dashboard --json |
		jq -e ".shadow_tests[0].status == \"Stopped\""
'

test_expect_success 'every value is escaped in the page' '
	models &&
	printf "\"<script>alert(1)</script>\",plan\n1,\"a&b\"\n2,\"x\"\"y\"\n" \
		>train.csv &&
	mlops-monitor baseline --data train.csv -o base >/dev/null &&
	mlops-monitor schedule create hourly --endpoint web --baseline base \
		>/dev/null &&
	capture web 0 "1,a&b" &&
	later=$(( ($(date +%s) / 3600 + 1) * 3600 + 1 )) &&
	test_expect_code 1 mlops-monitor run-due \
		--now "$(date -u -d @$later +%Y-%m-%dT%H:%M:%SZ)" >/dev/null &&
	mlops-monitor dashboard --html d.html &&
	test "$(grep -o "<circle" d.html | wc -l)" = 2 &&
	! grep -i "<script" d.html &&
	grep "&lt;script&gt;alert(1)&lt;/script&gt;" d.html &&
	! grep "a&b" d.html
'

test_expect_success 'bad options are usage errors; --help' '
	test_expect_code 2 mlops-monitor dashboard --history 0 2>err &&
	grep "history" err &&
	test_expect_code 2 mlops-monitor dashboard --max-p99-ms -1 2>err &&
	grep "max-p99-ms" err &&
	test_expect_code 2 mlops-monitor dashboard --max-error-rate 2 2>err &&
	grep "max-error-rate" err &&
	test_expect_code 2 mlops-monitor dashboard extra &&
	mlops-monitor dashboard --help >out &&
	grep "^usage: mlops-monitor dashboard .*--history N" out &&
	grep "max-p99-ms MS .*default 1000" out
'

test_done
