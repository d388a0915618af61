#!/bin/bash
# t6013-monitor-schedule-attribution.sh - attribution schedules: run-due
# explains each variant's captured requests with that variant's own
# XGBoost model and scores the ranking against the baseline data by
# NDCG (equal to what xgboost computes in Python); the refusals of
# schedule create for quality and attribution.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-monitor.sh"

later=$(date -u -d "+2 days" +%Y-%m-%dT%H:%M:%SZ)

test_expect_success 'an attribution schedule scores each variant by NDCG' '
	two_variants &&
	mlops-monitor schedule create a1 --type attribution --threshold 0.999 \
		--endpoint churn --baseline base.csv --every 1d &&
	mlops-monitor schedule list --json | jq -e "select(.name == \"a1\") |
		.type == \"attribution\" and .threshold == 0.999" &&
	mlops-monitor schedule list | grep "^a1	churn	86400s	.*base.csv	attribution$" &&
	test_expect_code 1 mlops-monitor run-due --now "$later" >out &&
	grep "^a1-.*	220 items" out &&
	mlops-monitor executions a1 --json | head -n 1 >a.json &&
	$PYTHON - <<-\PY
	import json, numpy as np, xgboost as xgb
	e = json.load(open("a.json"))
	base = np.loadtxt("base.csv", delimiter=",", skiprows=1)
	def shap(model, m):
	    b = xgb.Booster(model_file=model)
	    c = b.predict(xgb.DMatrix(m.astype(np.float32)), pred_contribs=True)
	    return np.abs(c[:, :-1]).mean(axis=0)
	def ndcg(b, c):
	    n = len(b)
	    rc = sorted(range(n), key=lambda i: (-c[i], i))
	    rb = sorted(range(n), key=lambda i: (-b[i], i))
	    g = lambda r: sum(b[f] / np.log2(i + 2) for i, f in enumerate(r))
	    return g(rc) / g(rb)
	assert [v["variant"] for v in e["variants"]] == ["churn/1", "churn/2"]
	nviol = 0
	for i, v in enumerate(e["variants"]):
	    model = "m%d.json" % (i + 1)
	    cur = np.loadtxt("req%d.csv" % (i + 1), delimiter=",")
	    want = ndcg(shap(model, base), shap(model, cur))
	    assert abs(v["ndcg"] - want) < 1e-5, (v, want)
	    assert v["items"] == len(cur)
	    a = json.load(open(".mlops/" + v["report"] + "/attribution.json"))
	    assert [f["name"] for f in a["features"]] == ["f0", "f1", "f2", "f3", "f4"]
	    cv = json.load(open(".mlops/" + v["report"] + "/constraint_violations.json"))
	    assert len(cv["violations"]) == (want < 0.999), cv
	    nviol += len(cv["violations"])
	    if cv["violations"]:
	        assert cv["violations"][0]["constraint_check_type"] == \
	            "feature_attribution_drift_check"
	assert e["violations"] == nviol and nviol > 0, e
	assert e["monitoringExecutionStatus"] == "CompletedWithViolations"
	PY
'

test_expect_success 'a variant that is not xgboost fails alone; refusals say why' '
	echo cat >worker.sh &&
	mlops-registry register echo --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-deploy create web --model echo/1 --capture 100 >/dev/null &&
	printf "f0,f1\n1,2\n" >b.csv &&
	mlops-monitor schedule create a2 --type attribution --endpoint web \
		--baseline b.csv &&
	now=$(date +%s) &&
	capture_rows web echo/1 1,2 &&
	test_expect_code 1 mlops-monitor run-due --now "$(date -u -d @$((now + 3 * 3600)) +%Y-%m-%dT%H:%M:%SZ)" >out &&
	mlops-monitor executions a2 --json | head -n 1 >e.json &&
	jq -e ".monitoringExecutionStatus == \"Failed\" and
		(.failureReason | test(\"echo/1: echo/1 runs on exec: attribution needs an xgboost model\")) and
		.variants[0].monitoringExecutionStatus == \"Failed\"" e.json &&
	test_expect_code 2 mlops-monitor schedule create x --type quality \
		--endpoint web --baseline . 2>err &&
	grep "needs --labels DIR and --problem" err &&
	test_expect_code 2 mlops-monitor schedule create x --type attribution \
		--labels . --endpoint web --baseline b.csv 2>err &&
	grep "are for quality schedules" err &&
	test_expect_code 2 mlops-monitor schedule create x --threshold 0.5 \
		--endpoint web --baseline b.csv 2>err &&
	grep "is for quality and attribution" err &&
	test_expect_code 2 mlops-monitor schedule create x --type nope \
		--endpoint web --baseline b.csv &&
	test_expect_code 2 mlops-monitor schedule create x --type quality \
		--problem ranking --labels . --endpoint web --baseline . &&
	test_expect_code 4 mlops-monitor schedule create x --type attribution \
		--endpoint web --baseline none.csv &&
	mkdir gt &&
	test_expect_code 4 mlops-monitor schedule create x --type quality \
		--problem binary --labels gt --endpoint web --baseline . 2>err &&
	grep "no model quality constraints in" err &&
	test_expect_code 4 mlops-monitor schedule create x --type quality \
		--problem binary --labels nogt --endpoint web --baseline . 2>err &&
	grep "no labels directory .nogt." err &&
	test_expect_code 2 mlops-monitor schedule create --help-me 2>err &&
	mlops-monitor schedule create --help >out &&
	grep -- "--type T" out &&
	! mlops-monitor schedule list | grep "^x	"
'

test_expect_success 'a hostile variant in a capture file stays in the report' '
	echo cat >worker.sh &&
	mlops-registry register echo --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-deploy create web --model echo/1 >/dev/null &&
	printf "f0,f1\n1,2\n3,4\n" >b.csv &&
	mlops-monitor baseline --data b.csv -o base >/dev/null &&
	mlops-monitor schedule create d --endpoint web --baseline base &&
	now=$(date +%s) &&
	for v in ../../../../../evil .. . echo/1; do
		capture_rows web "$v" 1,2 || return 1
	done &&
	mlops-monitor run-due --now "$(date -u -d @$((now + 3 * 3600)) +%Y-%m-%dT%H:%M:%SZ)" >out;
	grep "^  variant ../../../../../evil	Completed[A-Za-z]*	1 items" out &&
	! test -e .mlops/evil && ! test -e ../evil && ! test -e ../../evil &&
	! test -e .mlops/monitoring/d/statistics.json &&
	mlops-monitor executions d --json | head -n 1 >e.json &&
	jq -e ".dataset.item_count == 4" ".mlops/$(jq -r .report e.json)/statistics.json" &&
	jq -e "[.variants[].report | split(\"/\") | last] ==
		[\"_.-..-..-..-..-evil\", \"_.\", \"_\", \"echo-1\"]" e.json &&
	jq -e ".variants[0].report | endswith(\"/_.-..-..-..-..-evil\")" e.json &&
	test -f ".mlops/$(jq -r .variants[0].report e.json)/statistics.json"
'

test_done
