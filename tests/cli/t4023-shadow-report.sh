#!/bin/bash
# t4023-shadow-report.sh - mlops-shadow report: its statistics match the
# values numpy and scipy compute on the recorded pairs (latency
# percentiles, errors, differences, Pearson, scipy.stats.ks_2samp,
# confusion and agreement), its formats, and its exit status as a gate.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-shadow.sh"

# setup: endpoint web serves churn/1; a test t1 of churn/2 (no gateway).
setup() {
	shadow_models &&
	mlops-shadow start web --model churn/2 --name t1 >/dev/null
}

# put_pairs KIND N: record N synthetic pairs in t1 (KIND: binary, multi).
put_pairs() {
	$PYTHON - "$MLOPS_STORE/mlops.db" "$1" "$2" <<-\PY
	import sqlite3, sys, numpy as np
	db = sqlite3.connect(sys.argv[1])
	kind, n = sys.argv[2], int(sys.argv[3])
	rng = np.random.default_rng(7)
	for i in range(n):
	    if kind == "binary":
	        a = rng.random()
	        b = min(1.0, max(0.0, a + rng.normal(0.05, 0.1)))
	        po, so = "%.9g\n" % a, "%.9g\n" % b
	    else:
	        a = rng.dirichlet([1, 1, 1]); b = rng.dirichlet([1, 1, 1])
	        po = ",".join("%.9g" % v for v in a) + "\n"
	        so = ",".join("%.9g" % v for v in b) + "\n"
	    ss = 200 if i % 50 else 500
	    db.execute("INSERT INTO shadow_pair VALUES ('t1', ?, ?, ?, "
	               "'text/csv', ?, 200, ?, ?, ?, ?, ?)",
	               (i, "r%d" % i, 1000 + i, b"1,2,3,4,5",
	                int(rng.integers(100, 5000)), po.encode(), ss,
	                int(rng.integers(100, 9000)),
	                (so if ss == 200 else "boom").encode()))
	db.commit()
	PY
}

# check_report: report --json against numpy/scipy on the pairs.
check_report() {
	mlops-shadow report --json t1 "$@" >rep.json
	$PYTHON - "$MLOPS_STORE/mlops.db" <<-\PY
	import json, sqlite3, sys, numpy as np
	from scipy import stats
	rep = json.load(open("rep.json"))
	db = sqlite3.connect(sys.argv[1])
	rows = db.execute("SELECT prod_status, prod_latency_us, prod_output, "
	                  "shadow_status, shadow_latency_us, shadow_output "
	                  "FROM shadow_pair WHERE test = 't1'").fetchall()
	def close(got, want, what):
	    assert abs(got - want) <= 1e-9 * max(1, abs(want)), (what, got, want)
	for side, st, lat in (("production", 0, 1), ("shadow", 3, 4)):
	    s = rep[side]
	    assert s["requests"] == len(rows)
	    assert s["errors"] == sum(r[st] != 200 for r in rows), side
	    ms = np.array([r[lat] / 1000.0 for r in rows])
	    for q in (50, 90, 99):
	        close(s["latency_ms"]["p%d" % q], np.percentile(ms, q), q)
	a, b, ca, cb = [], [], [], []
	for r in rows:
	    if r[0] != 200 or r[3] != 200:
	        continue
	    pa = [[float(v) for v in l.split(",")] for l in bytes(r[2]).decode().split()]
	    pb = [[float(v) for v in l.split(",")] for l in bytes(r[5]).decode().split()]
	    for x, y in zip(pa, pb):
	        a += x; b += y
	        if len(x) == 1:
	            ca.append(int(x[0] >= 0.5)); cb.append(int(y[0] >= 0.5))
	        else:
	            ca.append(int(np.argmax(x))); cb.append(int(np.argmax(y)))
	a, b = np.array(a), np.array(b)
	num, cls = rep["agreement"]["numeric"], rep["agreement"]["classes"]
	d = np.abs(a - b)
	close(num["mean_abs_diff"], d.mean(), "mean")
	close(num["max_abs_diff"], d.max(), "max")
	close(num["within_tolerance"], (d <= 1e-6).mean(), "within")
	close(num["pearson"], np.corrcoef(a, b)[0, 1], "pearson")
	ks = stats.ks_2samp(a, b)
	close(num["ks_statistic"], ks.statistic, "ks")
	close(num["ks_pvalue"], ks.pvalue, "ks p")
	k = max(max(ca), max(cb)) + 1
	conf = np.zeros((len(cls["confusion"]),) * 2, dtype=int)
	for x, y in zip(ca, cb):
	    conf[x, y] += 1
	assert conf.tolist() == cls["confusion"], (conf, cls["confusion"])
	close(cls["agreement"], np.mean(np.array(ca) == np.array(cb)), "agree")
	print("p=%g" % ks.pvalue)
	PY
}

test_expect_success 'numeric and binary statistics match numpy and scipy' '
	setup &&
	put_pairs binary 300 &&
	check_report >out &&
	cat out && grep "^p=" out
'

test_expect_success 'k classes: the k x k confusion and agreement' '
	setup &&
	put_pairs multi 120 &&
	check_report &&
	grep "\"confusion\": *\[\[" rep.json
'

test_expect_success 'the report gates: exit 1 beyond limits, 0 within' '
	setup &&
	mlops-shadow report t1 >empty &&
	grep "^KS p-value  *-" empty && grep "^requests  *0  *0$" empty &&
	put_pairs binary 300 &&
	test_expect_code 1 mlops-shadow report t1 >out &&
	grep "shadow is worse than production: .*error rate" out &&
	mlops-shadow report t1 --min-agreement 0 --max-error-rate 1 \
		--max-latency-ratio 1000 >out &&
	grep "shadow is within the limits" out &&
	grep "^KS p-value" out &&
	! grep " $" empty out &&
	mlops-shadow report --format md t1 --min-agreement 0 \
		--max-error-rate 1 --max-latency-ratio 1000 >out.md &&
	grep "^| latency p99 (ms) |" out.md &&
	mlops-shadow report --format html t1 --min-agreement 0 \
		--max-error-rate 1 --max-latency-ratio 1000 >out.html &&
	grep "<th>status 500</th><td>0</td><td>6</td>" out.html &&
	test_expect_code 2 mlops-shadow report --format pdf t1 &&
	test_expect_code 2 mlops-shadow report --threshold x t1 &&
	test_expect_code 4 mlops-shadow report nope
'

test_expect_success 'a live test: the report matches numpy and scipy on its pairs' '
	setup &&
	start_gateway &&
	wait_for_model web churn/1 &&
	for i in 1 2 3; do
		mlops-deploy invoke web --lines <rows.csv >/dev/null || return 1
	done &&
	for i in $(seq 1 400); do
		test "$(sqlite3 "$MLOPS_STORE/mlops.db" \
			"SELECT count(*) FROM shadow_pair")" = 60 && break
		sleep 0.05
	done &&
	check_report --max-latency-ratio 1000 --min-agreement 0 >out &&
	grep "^p=" out
'

test_expect_success 'replay over a capture gives the live test agreement figures' '
	train_model m1.json 5 10 &&
	train_model m2.json 5 12 &&
	register_model churn m1.json >/dev/null &&
	register_model churn m2.json >/dev/null &&
	mlops-deploy create web --model churn/1 --capture 100 >/dev/null &&
	mlops-shadow start web --model churn/2 --name t1 >/dev/null &&
	start_gateway &&
	wait_for_model web churn/1 &&
	for i in $(seq 1 400); do
		curl -s "$URL/endpoints" | grep -q "\"test\": *\"t1\"" && break
		sleep 0.05
	done &&
	for i in 1 2 3; do
		mlops-deploy invoke web --lines <rows.csv >/dev/null || return 1
	done &&
	kill $GW_PID && wait $GW_PID &&
	mlops-shadow stop t1 &&
	mlops-shadow replay web --model churn/2 --name r1 >out &&
	grep "r1: replayed 60 captured requests of web through churn/2" out &&
	mlops-shadow status --json r1 >r1.json &&
	grep "\"kind\": *\"replay\"" r1.json &&
	grep "\"status\": *\"Completed\"" r1.json &&
	mlops-shadow report --json t1 --min-agreement 0 \
		--max-latency-ratio 1e9 >live.json &&
	mlops-shadow report --json r1 --min-agreement 0 \
		--max-latency-ratio 1e9 >replay.json &&
	$PYTHON - <<-\PY &&
	import json, math
	a = json.load(open("live.json"))["agreement"]
	b = json.load(open("replay.json"))["agreement"]
	assert a["pairs_compared"] == b["pairs_compared"] == 60, (a, b)
	assert a["classes"] == b["classes"], (a["classes"], b["classes"])
	for k, v in a["numeric"].items():
	    assert math.isclose(v, b["numeric"][k], rel_tol=1e-12,
	                        abs_tol=1e-15), (k, v, b["numeric"][k])
	r = json.load(open("replay.json"))
	assert r["production"]["latency_ms"]["p50"] is None
	assert r["shadow"]["latency_ms"]["p50"] is not None
	PY
	test_expect_code 4 mlops-shadow replay nope --model churn/2 &&
	test_expect_code 2 mlops-shadow replay web 2>err &&
	grep -- "--model is required" err &&
	test_expect_code 2 mlops-shadow replay web --model churn/2 \
		--since yesterday
'

test_done
