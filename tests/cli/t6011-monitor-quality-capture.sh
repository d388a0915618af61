#!/bin/bash
# t6011-monitor-quality-capture.sh - mlops-monitor quality --predictions
# capture: ground truth (SageMaker's JSON Lines records and the CSV form,
# in a directory) joined to what a real gateway captured, by inference
# id; metrics equal sklearn.metrics on the same pairs, with standard
# deviations from 200 items on; unknown ids counted, not fatal.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-monitor.sh"

# serve_and_invoke N: the model churn/1 behind endpoint churn, N rows
# sent one request each, named r-1 ... r-N; their answers in answers.
serve_and_invoke() {
	train_model m.json &&
	register_model churn m.json >/dev/null &&
	mlops-deploy create churn --model churn/1 --capture 100 >/dev/null &&
	start_gateway 300 &&
	$PYTHON - "$1" <<-\PY &&
	import sys, numpy as np
	rng = np.random.default_rng(7)
	X = rng.normal(size=(int(sys.argv[1]), 5))
	np.savetxt("req.csv", X, fmt="%.6f", delimiter=",")
	PY
	mlops-deploy invoke --url "$URL" --inference-id r --lines churn \
		<req.csv >answers &&
	wait_capture churn "$1"
}

# labels N: ground truth for r-1 ... r-N (and two unknown ids): the
# first half as JSON Lines records under gt/YYYY/MM/DD/HH/, the rest as
# CSV, both drawn so that the model is often but not always right.
labels() {
	$PYTHON - "$1" <<-\PY
	import json, os, sys, numpy as np
	n = int(sys.argv[1])
	X = np.loadtxt("req.csv", delimiter=",", ndmin=2)
	rng = np.random.default_rng(11)
	y = ((X[:, 0] + X[:, 1] > 0) ^ (rng.random(len(X)) < 0.15)).astype(int)
	np.savetxt("truth.txt", y, fmt="%d")
	os.makedirs("gt/2026/12/07/01", exist_ok=True)
	h = n // 2
	with open("gt/2026/12/07/01/a.jsonl", "w") as f:
	    for i in range(h):
	        meta = {"eventId": "r-%d" % (i + 1)} if i % 2 else \
	               {"eventId": "x", "inferenceId": "r-%d" % (i + 1)}
	        f.write(json.dumps({"groundTruthData": {"data": str(y[i]),
	                "encoding": "CSV"}, "eventMetadata": meta,
	                "eventVersion": "0"}) + "\n")
	    f.write(json.dumps({"groundTruthData": {"data": "1", "encoding": "JSON"},
	            "eventMetadata": {"eventId": "nobody-1"}, "eventVersion": "0"}) + "\n")
	with open("gt/2026/12/07/01/b.csv", "w") as f:
	    f.write("inference_id,label\n")
	    for i in range(h, n):
	        f.write("r-%d,%d\n" % (i + 1, y[i]))
	    f.write("nobody-2,0\n")
	PY
}

test_expect_success 'quality of captured predictions equals sklearn' '
	serve_and_invoke 240 &&
	labels 240 &&
	mlops-monitor quality --problem binary --predictions capture \
		--endpoint churn --labels gt -o out 2>err &&
	grep "2 labels have an inference id that no prediction has" err &&
	$PYTHON - <<-\PY
	import json, numpy as np
	from sklearn import metrics as m
	st = json.load(open("out/statistics.json"))
	b = st["binary_classification_metrics"]
	ys = np.loadtxt("answers")
	yt = np.loadtxt("truth.txt").astype(int)
	yp = (ys >= 0.5).astype(int)
	assert st["dataset"]["item_count"] == 240
	def close(k, v):
	    assert abs(b[k]["value"] - v) <= 1e-6, (k, b[k], v)
	    sd = b[k]["standard_deviation"]
	    assert isinstance(sd, float) and 0 <= sd < 0.2, (k, sd)
	close("accuracy", m.accuracy_score(yt, yp))
	close("precision", m.precision_score(yt, yp))
	close("recall", m.recall_score(yt, yp))
	close("f1", m.f1_score(yt, yp))
	close("f0_5", m.fbeta_score(yt, yp, beta=0.5))
	close("f2", m.fbeta_score(yt, yp, beta=2))
	close("auc", m.roc_auc_score(yt, ys))
	close("log_loss", m.log_loss(yt, ys))
	tn, fp, fn, tp = m.confusion_matrix(yt, yp).ravel()
	close("false_positive_rate", fp / (fp + tn))
	close("true_negative_rate", tn / (fp + tn))
	close("false_negative_rate", fn / (fn + tp))
	ones = np.ones_like(yt)
	close("recall_best_constant_classifier", m.recall_score(yt, ones))
	close("precision_best_constant_classifier", m.precision_score(yt, ones))
	close("accuracy_best_constant_classifier", m.accuracy_score(yt, ones))
	for k, beta in (("f0_5", 0.5), ("f1", 1), ("f2", 2)):
	    close(k + "_best_constant_classifier", m.fbeta_score(yt, ones, beta=beta))
	assert b["confusion_matrix"] == {"0": {"0": int(tn), "1": int(fp)},
	                                 "1": {"0": int(fn), "1": int(tp)}}
	PY
'

test_expect_success 'below 200 items the deviations are NaN; ranges and variants select' '
	serve_and_invoke 30 &&
	labels 30 &&
	mlops-monitor quality --problem binary --predictions capture \
		--endpoint churn --labels gt -o - >out 2>err &&
	head -n 1 out | jq -e ".dataset.item_count == 30 and
		.binary_classification_metrics.accuracy.standard_deviation == \"NaN\"" &&
	mlops-monitor quality --problem binary --predictions capture \
		--endpoint churn --variant churn/1 --labels gt -o - >out2 &&
	test_cmp out out2 &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --variant churn/2 \
		--labels gt -o o2 2>err &&
	grep "no label of gt has the inference id of a prediction in churn" err &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --until 2000-01-01T00:00:00Z \
		--labels gt -o o2 &&
	! test -e o2 &&
	mlops-monitor quality --problem regression --predictions capture \
		--endpoint churn --labels gt -o - | head -n 1 |
		jq -e ".regression_metrics.mae.value >= 0" &&
	head -n 1 req.csv | mlops-deploy invoke --url "$URL" \
		--inference-id r-1 churn >/dev/null &&
	wait_capture churn 31 &&
	mlops-monitor quality --problem binary --predictions capture \
		--endpoint churn --labels gt -o - >out3 2>err &&
	grep "1 predictions repeat an inference id joined already" err &&
	test_cmp out out3 &&
	mkdir qbase && echo "{}" >qbase/constraints.json &&
	mlops-monitor schedule create q --type quality --problem binary \
		--labels gt --endpoint churn --baseline qbase --every 1d &&
	mlops-monitor run-due --now "$(date -u -d "+2 days" +%Y-%m-%dT%H:%M:%SZ)" >due;
	mlops-monitor executions q --json | head -n 1 | jq -e ".items == 30 and
		.repeatedInferenceIds == 1 and .unmatchedLabels == 2 and
		.monitoringExecutionStatus == \"Completed\""
'

test_expect_success 'bad input: usage, missing endpoint, hostile labels' '
	serve_and_invoke 4 &&
	labels 4 &&
	test_expect_code 2 mlops-monitor quality --problem binary \
		--predictions capture --labels gt &&
	test_expect_code 2 mlops-monitor quality --problem binary \
		--predictions p.csv --endpoint churn --labels gt &&
	test_expect_code 2 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --since yesterday --labels gt &&
	test_expect_code 4 mlops-monitor quality --problem binary \
		--predictions capture --endpoint nope --labels gt 2>err &&
	grep "no endpoint .nope." err &&
	test_expect_code 4 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --labels nodir &&
	mkdir bad && echo "{\"groundTruthData\": {\"data\": \"1\"}}" >bad/x.jsonl &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --labels bad 2>err &&
	grep "bad/x.jsonl:1: not a ground truth record" err &&
	printf "{\"groundTruthData\": {\"data\": \"\\377\", \"encoding\": \"CSV\"}}\n" >bad/x.jsonl &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --labels bad 2>err &&
	grep "bad/x.jsonl:1: not UTF-8" err &&
	echo "{truncated" >bad/x.jsonl &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --labels bad &&
	rm bad/x.jsonl && mkdir empty &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions capture --endpoint churn --labels empty 2>err &&
	grep "empty: no labels" err
'

test_done
