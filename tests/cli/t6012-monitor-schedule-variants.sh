#!/bin/bash
# t6012-monitor-schedule-variants.sh - schedules over a real gateway's
# capture in which two model versions served (a blue/green update) and a
# shadow test answered too: data and model quality schedules run by
# run-due, each execution with its result per variant (shadow records
# excluded and counted), metrics equal to sklearn's on each variant's
# pairs, events and executions/show displaying the variants.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-monitor.sh"

later=$(date -u -d "+2 days" +%Y-%m-%dT%H:%M:%SZ)

test_expect_success 'quality and data schedules report each variant' '
	two_variants &&
	ground_truth &&
	mkdir qbase &&
	cat >qbase/constraints.json <<-\JSON &&
	{"version": 0.0, "binary_classification_constraints": {
	  "accuracy": {"threshold": 0.99, "comparison_operator": "LessThanThreshold"}}}
	JSON
	mlops-monitor baseline --data base.csv -o dbase >/dev/null &&
	mlops-monitor schedule create q1 --type quality --problem binary \
		--labels gt --endpoint churn --baseline qbase --every 1d &&
	mlops-monitor schedule create d1 --endpoint churn --baseline dbase \
		--every 1d &&
	mlops-monitor schedule list --json | jq -e "select(.name == \"q1\") |
		.type == \"quality\" and .problem == \"binary\" and
		.labels == \"$PWD/gt\" and .threshold == null" &&
	test_expect_code 1 mlops-monitor run-due --now "$later" >out &&
	grep "^q1-.*	CompletedWithViolations	220 items	1 violations" out &&
	grep "^  variant churn/1	CompletedWithViolations	120 items	1 violations" out &&
	grep "^  variant churn/2	CompletedWithViolations	100 items	1 violations" out &&
	grep "^d1-.*	Completed[A-Za-z]*	220 items" out &&
	grep "^  variant churn/1	Completed[A-Za-z]*	120 items" out &&
	mlops-monitor executions q1 --json >ex &&
	head -n 1 ex >q.json &&
	nshadow=$(cat $(grep shadow files) | wc -l) &&
	test "$nshadow" -gt 0 &&
	jq -e ".shadowRecordsExcluded == $nshadow and .unmatchedLabels == 2 and
		([.variants[].variant] == [\"churn/1\", \"churn/2\"])" q.json &&
	sed -n 2p ex | jq -e ".monitoringExecutionStatus == \"Failed\" and
		(.failureReason | test(\"no captured prediction in the window has a label\"))" &&
	$PYTHON - <<-\PY &&
	import json, numpy as np
	from sklearn import metrics as m
	e = json.loads(open("q.json").readline())
	def stats(rel):
	    return json.load(open(".mlops/" + rel + "/statistics.json"))["binary_classification_metrics"]
	ys = [np.loadtxt("answers1"), np.loadtxt("answers2")]
	yt = [np.loadtxt("truth1").astype(int), np.loadtxt("truth2").astype(int)]
	def check(b, s, t):
	    p = (s >= 0.5).astype(int)
	    for k, v in (("accuracy", m.accuracy_score(t, p)),
	                 ("precision", m.precision_score(t, p)),
	                 ("recall", m.recall_score(t, p)),
	                 ("auc", m.roc_auc_score(t, s)),
	                 ("log_loss", m.log_loss(t, s))):
	        assert abs(b[k]["value"] - v) < 1e-6, (k, b[k], v)
	check(stats(e["report"]), np.concatenate(ys), np.concatenate(yt))
	assert stats(e["report"])["accuracy"]["standard_deviation"] >= 0
	for i, v in enumerate(e["variants"]):
	    assert v["report"] == e["report"] + "/churn-%d" % (i + 1), v
	    b = stats(v["report"])
	    check(b, ys[i], yt[i])
	    assert b["accuracy"]["standard_deviation"] == "NaN"
	PY
	mlops-monitor show "$(jq -r .executionId q.json)" >one &&
	jq -e ".variants[1].items == 100" one &&
	mlops-monitor executions d1 --json | head -n 1 >d.json &&
	jq -e ".items == 220 and .shadowRecordsExcluded == $nshadow and
		([.variants[] | .items] == [120, 100])" d.json &&
	test -f ".mlops/$(jq -r .variants[0].report d.json)/statistics.json" &&
	jq -e ".dataset.item_count == 100" \
		".mlops/$(jq -r .variants[1].report d.json)/statistics.json" &&
	mlops event log --json --source mlops.monitor >events &&
	grep -c "\"variants\"" events >n && test "$(cat n)" = 4 &&
	mlops audit verify
'

test_expect_success 'one variant: the whole window is its twin; unnamed records count in the whole' '
	echo cat >worker.sh &&
	mlops-registry register echo --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-deploy create web --model echo/1 >/dev/null &&
	printf "a,b\n1,2\n3,4\n5,6\n" >b.csv &&
	mlops-monitor baseline --data b.csv -o base >/dev/null &&
	mlops-monitor schedule create one --endpoint web --baseline base &&
	now=$(date +%s) &&
	capture_rows web echo/1 1,2 3,-4 5,6 &&
	next=$(date -u -d @$((now + 3 * 3600)) +%Y-%m-%dT%H:%M:%SZ) &&
	test_expect_code 1 mlops-monitor run-due --now "$next" >out &&
	mlops-monitor executions one --json | head -n 1 >e.json &&
	jq -e ".items == 3 and .violations > 0 and
		.variants[0].items == 3 and
		.variants[0].violations == .violations" e.json &&
	r=.mlops/$(jq -r .report e.json) &&
	cmp "$r/statistics.json" "$r/echo-1/statistics.json" &&
	cmp "$r/constraint_violations.json" "$r/echo-1/constraint_violations.json" &&
	mlops-monitor schedule rm one &&
	mlops-monitor schedule create mixed --endpoint web --baseline base &&
	capture_rows web "" 7,8 &&
	test_expect_code 1 mlops-monitor run-due --now "$next" >out &&
	mlops-monitor executions mixed --json | head -n 1 >e.json &&
	jq -e ".items == 4 and .variants == [.variants[0]] and
		.variants[0].items == 3" e.json &&
	jq -e ".dataset.item_count == 4" ".mlops/$(jq -r .report e.json)/statistics.json"
'

test_done
