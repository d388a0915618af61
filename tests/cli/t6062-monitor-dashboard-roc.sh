#!/bin/bash
# t6062-monitor-dashboard-roc.sh - mlops-monitor dashboard shows the ROC
# curve of each binary quality schedule's latest execution: in --json
# (schedules[].roc, the execution's receiver_operating_characteristic_curve
# and auc, sklearn's roc_curve on the same pairs) and drawn in --html.
. "$(dirname "$0")/test-lib.sh"

# Endpoint churn (an exec model) with 300 captured answers of the hour,
# r-0 ... r-299, and their labels in gt/; a binary quality schedule q
# and a data schedule d on it.
setup() {
	echo cat >worker.sh &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-deploy create churn --model churn/1 >/dev/null &&
	$PYTHON - "$MLOPS_STORE" <<-\PY &&
	import json, os, sys, time
	import numpy as np
	rng = np.random.default_rng(5)
	n = 300
	y = rng.integers(0, 2, n)
	s = np.clip(np.round(0.3 * y + rng.random(n) * 0.7, 3), 0, 1)
	t = time.time()
	d = os.path.join(sys.argv[1], "capture", "churn",
	                 time.strftime("%Y/%m/%d/%H", time.gmtime(t)))
	os.makedirs(d, exist_ok=True)
	stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))
	with open(os.path.join(d, "00-00-000-test.churn-1.jsonl"), "w") as f:
	    for i in range(n):
	        f.write(json.dumps({"captureData": {
	            "endpointInput": {"observedContentType": "text/csv",
	                "mode": "INPUT", "data": "%d\n" % i, "encoding": "CSV"},
	            "endpointOutput": {"observedContentType": "text/csv",
	                "mode": "OUTPUT", "data": "%r\n" % float(s[i]),
	                "encoding": "CSV"}},
	            "eventMetadata": {"eventId": "e-%d" % i,
	                "inferenceId": "r-%d" % i, "inferenceTime": stamp,
	                "variant": "churn/1"},
	            "eventVersion": "0"}) + "\n")
	os.makedirs("gt", exist_ok=True)
	with open("gt/labels.csv", "w") as f:
	    f.write("inference_id,label\n")
	    for i in range(n):
	        f.write("r-%d,%d\n" % (i, y[i]))
	np.savetxt("pairs.csv", np.c_[y, s], fmt="%r", delimiter=",")
	PY
	mkdir qbase && echo "{}" >qbase/constraints.json &&
	mlops-monitor schedule create q --type quality --problem binary \
		--labels gt --endpoint churn --baseline qbase --every 1d &&
	printf "i\n1\n2\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o dbase >/dev/null &&
	mlops-monitor schedule create d --endpoint churn --baseline dbase \
		--every 1d
}

test_expect_success 'no execution yet: no curve' '
	setup &&
	mlops-monitor dashboard --json >dash.json &&
	jq -e "[.schedules[].roc] == [null, null]" dash.json &&
	mlops-monitor dashboard --html dash.html &&
	grep "No binary quality execution yet" dash.html &&
	! grep "<title>ROC curve</title>" dash.html
'

test_expect_success 'the latest execution with a curve (a later one failed), drawn' '
	setup &&
	{ mlops-monitor run-due --now "$(date -u -d "+2 days" +%Y-%m-%dT%H:%M:%SZ)" >due || :; } &&
	mlops-monitor executions q --json | head -n 1 | jq -e ".items == 300" &&
	mlops-monitor executions q --json | tail -n 1 |
		jq -e ".monitoringExecutionStatus == \"Failed\"" &&
	mlops-monitor dashboard --json >dash.json &&
	jq -e ".schedules[] | select(.name == \"d\") | .roc == null" dash.json &&
	jq ".schedules[] | select(.name == \"q\") | .roc" dash.json >roc.json &&
	$PYTHON - <<-\PY &&
	import json
	import numpy as np
	from sklearn import metrics as m
	roc = json.load(open("roc.json"))
	y, s = np.loadtxt("pairs.csv", delimiter=",", unpack=True)
	fpr, tpr, _ = m.roc_curve(y, s)
	n = len(roc["false_positive_rates"])
	assert n == min(len(fpr), 100), (n, len(fpr))
	assert roc["false_positive_rates"][-1] == 1 and roc["true_positive_rates"][-1] == 1
	assert abs(roc["auc"] - m.roc_auc_score(y, s)) < 1e-12
	if len(fpr) <= 100:
	    assert np.allclose(roc["false_positive_rates"], fpr, rtol=0, atol=1e-15)
	    assert np.allclose(roc["true_positive_rates"], tpr, rtol=0, atol=1e-15)
	PY
	mlops-monitor dashboard --html dash.html &&
	grep "<title>ROC curve</title>" dash.html &&
	grep -c "<polyline class=\"ln\" points=\"34.0,186.0 " dash.html &&
	grep "q on churn, .*: AUC 0\.[0-9]" dash.html
'

test_done
