#!/bin/bash
# t6005-monitor-quality.sh - mlops-monitor quality: ground truth joined to
# predictions by inference id, metrics equal to sklearn.metrics on the
# same pairs (computed when the test runs), constraints and violations,
# and bad input.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'binary, regression and multiclass metrics equal sklearn' '
	$PYTHON - <<-"PY"
	import json, subprocess
	import numpy as np
	import pandas as pd
	from sklearn import metrics as m
	rng = np.random.default_rng(3)
	n = 3000
	ids = [f"req-{i}" for i in range(n)]
	def run(problem, preds, labels):
	    preds.to_csv("p.csv", index=False)
	    labels.to_csv("l.csv", index=False)
	    out = subprocess.run(["mlops-monitor", "quality", "--problem", problem,
	                          "--predictions", "p.csv", "--labels", "l.csv",
	                          "-o", "-"], capture_output=True, text=True,
	                         check=True)
	    return json.loads(out.stdout.splitlines()[0])
	def close(a, b):
	    assert abs(a - b) <= 1e-12 * max(1, abs(b)), (a, b)
	# Binary: labels for a shuffled 80% of the predictions, some ties.
	y = rng.integers(0, 2, n)
	score = np.clip(np.round(0.3 * y + rng.random(n) * 0.7, 2), 0, 1)
	keep = rng.permutation(n)[: int(0.8 * n)]
	st = run("binary", pd.DataFrame({"inference_id": ids, "score": score}),
	         pd.DataFrame({"inference_id": [ids[i] for i in keep],
	                       "label": y[keep]}))
	yt, ys = y[keep], score[keep]
	yp = (ys >= 0.5).astype(int)
	b = st["binary_classification_metrics"]
	assert st["dataset"]["item_count"] == len(keep)
	close(b["accuracy"]["value"], m.accuracy_score(yt, yp))
	close(b["precision"]["value"], m.precision_score(yt, yp))
	close(b["recall"]["value"], m.recall_score(yt, yp))
	close(b["f1"]["value"], m.f1_score(yt, yp))
	close(b["auc"]["value"], m.roc_auc_score(yt, ys))
	close(b["log_loss"]["value"], m.log_loss(yt, ys))
	cm = m.confusion_matrix(yt, yp)
	assert [[b["confusion_matrix"][t][p] for p in "01"] for t in "01"] == cm.tolist()
	# Regression.
	yr = rng.normal(10, 3, n)
	pr = yr + rng.normal(0, 1, n)
	st = run("regression", pd.DataFrame({"inference_id": ids, "prediction": pr}),
	         pd.DataFrame({"inference_id": ids, "label": yr}))
	r = st["regression_metrics"]
	close(r["mae"]["value"], m.mean_absolute_error(yr, pr))
	close(r["mse"]["value"], m.mean_squared_error(yr, pr))
	close(r["rmse"]["value"], m.mean_squared_error(yr, pr) ** 0.5)
	assert abs(r["r2"]["value"] - m.r2_score(yr, pr)) < 1e-9
	# Multiclass.
	cls = np.array(["cat", "dog", "eel"])
	yc = cls[rng.integers(0, 3, n)]
	pc = np.where(rng.random(n) < 0.7, yc, cls[rng.integers(0, 3, n)])
	st = run("multiclass", pd.DataFrame({"inference_id": ids, "prediction": pc}),
	         pd.DataFrame({"inference_id": ids, "label": yc}))
	c = st["multiclass_classification_metrics"]
	close(c["accuracy"]["value"], m.accuracy_score(yc, pc))
	for k in ("precision", "recall", "f1"):
	    f = getattr(m, k + "_score") if k != "f1" else m.f1_score
	    close(c["weighted_" + k]["value"], f(yc, pc, average="weighted"))
	for k, beta in (("f0_5", 0.5), ("f2", 2)):
	    close(c["weighted_" + k]["value"],
	          m.fbeta_score(yc, pc, beta=beta, average="weighted"))
	# From 200 pairs on, each metric has a standard deviation.
	for k, v in c.items():
	    if k != "confusion_matrix":
	        assert 0 < v["standard_deviation"] < 0.05, (k, v)
	cm = m.confusion_matrix(yc, pc, labels=cls)
	assert [[c["confusion_matrix"][t][p] for p in cls] for t in cls] == cm.tolist()
	PY
'

test_expect_success 'constraints: violations and exit 1; unknown ids warned' '
	printf "inference_id,score\na,0.9\nb,0.2\nc,0.7\nd,0.4\n" >p.csv &&
	printf "inference_id,label\na,1\nb,1\nc,0\nd,0\nzz,1\n" >l.csv &&
	cat >cons.json <<-\JSON &&
	{"version": 0.0, "binary_classification_constraints": {
	  "accuracy": {"threshold": 0.9, "comparison_operator": "LessThanThreshold"},
	  "recall": {"threshold": 0.1, "comparison_operator": "LessThanThreshold"}}}
	JSON
	test_expect_code 1 mlops-monitor quality --problem binary \
		--predictions p.csv --labels l.csv --constraints cons.json \
		-o out 2>err &&
	grep "1 labels have an inference id that no prediction has" err &&
	jq -e ".dataset.item_count == 4 and
		.binary_classification_metrics.accuracy.value == 0.5" \
		out/statistics.json &&
	jq -e ".violations == [{\"metric_name\": \"accuracy\",
		\"constraint_check_type\": \"LessThanThreshold\",
		\"description\": \"Metric accuracy with 0.5 was LessThanThreshold 0.9\"}]" \
		out/constraint_violations.json
'

test_expect_success 'bad input: clear message, its exit status, no file' '
	printf "inference_id,score\na,0.9\n" >p.csv &&
	printf "inference_id,label\nx,1\n" >l.csv &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions p.csv --labels l.csv -o out 2>err &&
	grep "no label of l.csv has the inference id of a prediction" err &&
	! test -e out &&
	printf "inference_id,label\na,2\n" >l.csv &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions p.csv --labels l.csv -o out 2>err &&
	grep "neither 0 nor 1" err &&
	printf "id,label\na,1\n" >l.csv &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions p.csv --labels l.csv -o out 2>err &&
	grep "l.csv: no column .inference_id." err &&
	printf "inference_id,label\na,1\na,0\n" >l.csv &&
	test_expect_code 3 mlops-monitor quality --problem binary \
		--predictions p.csv --labels l.csv -o out 2>err &&
	grep "has a label already" err &&
	test_expect_code 2 mlops-monitor quality --problem ranking \
		--predictions p.csv --labels l.csv &&
	test_expect_code 4 mlops-monitor quality --problem binary \
		--predictions none.csv --labels l.csv &&
	! test -e out
'

test_done
