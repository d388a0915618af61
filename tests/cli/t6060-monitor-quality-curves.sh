#!/bin/bash
# t6060-monitor-quality-curves.sh - mlops-monitor quality --problem binary:
# Model Monitor's receiver_operating_characteristic_curve and
# precision_recall_curve, and average_precision, equal to sklearn's
# roc_curve, precision_recall_curve and average_precision_score on the
# same pairs (computed when the test runs); curves bounded in size.
. "$(dirname "$0")/test-lib.sh"

cat >"$TRASH_ROOT/curves.py" <<-\PY
	import json, subprocess, sys
	import numpy as np
	import pandas as pd
	from sklearn import metrics as m
	def run(y, s):
	    ids = [f"r{i}" for i in range(len(y))]
	    pd.DataFrame({"inference_id": ids, "score": s}).to_csv("p.csv", index=False)
	    pd.DataFrame({"inference_id": ids, "label": y}).to_csv("l.csv", index=False)
	    out = subprocess.run(["mlops-monitor", "quality", "--problem", "binary",
	                          "--predictions", "p.csv", "--labels", "l.csv",
	                          "-o", "-"], capture_output=True, text=True,
	                         check=True)
	    return json.loads(out.stdout.splitlines()[0])["binary_classification_metrics"]
	def close(a, b):
	    assert abs(a - b) <= 1e-12 * max(1, abs(b)), (a, b)
	def same(xs, ys):
	    assert len(xs) == len(ys), (len(xs), len(ys))
	    for a, b in zip(xs, ys):
	        close(a, b)
	PY

test_expect_success 'small data: the curves are sklearn'"'"'s, point for point' '
	TRASH_ROOT=$TRASH_ROOT $PYTHON - <<-"PY"
	import os
	exec(open(os.environ["TRASH_ROOT"] + "/curves.py").read())
	rng = np.random.default_rng(7)
	for n, digits in ((40, 1), (300, 2), (9, 1)):
	    y = rng.integers(0, 2, n)
	    y[0], y[1] = 0, 1
	    s = np.clip(np.round(0.25 * y + rng.random(n) * 0.75, digits), 0, 1)
	    b = run(y, s)
	    fpr, tpr, thr = m.roc_curve(y, s)
	    assert len(fpr) <= 100
	    roc = b["receiver_operating_characteristic_curve"]
	    same(roc["false_positive_rates"], fpr)
	    same(roc["true_positive_rates"], tpr)
	    assert roc["thresholds"][0] is None
	    same(roc["thresholds"][1:], thr[1:])
	    p, r, t = m.precision_recall_curve(y, s)
	    pr = b["precision_recall_curve"]
	    same(pr["precisions"], p)
	    same(pr["recalls"], r)
	    assert pr["thresholds"][-1] is None
	    same(pr["thresholds"][:-1], t)
	    close(b["average_precision"]["value"], m.average_precision_score(y, s))
	    close(b["auc"]["value"], m.roc_auc_score(y, s))
	    if n >= 200:
	        assert 0 < b["average_precision"]["standard_deviation"] < 0.1
	    else:
	        assert b["average_precision"]["standard_deviation"] == "NaN"
	PY
'

test_expect_success 'large data: at most 100 points, each on sklearn'"'"'s curve' '
	TRASH_ROOT=$TRASH_ROOT $PYTHON - <<-"PY"
	import os
	exec(open(os.environ["TRASH_ROOT"] + "/curves.py").read())
	rng = np.random.default_rng(11)
	n = 5000
	y = rng.integers(0, 2, n)
	s = np.clip(0.2 * y + rng.random(n) * 0.8, 0, 1)
	b = run(y, s)
	close(b["average_precision"]["value"], m.average_precision_score(y, s))
	fpr, tpr, thr = m.roc_curve(y, s)
	p, r, t = m.precision_recall_curve(y, s)
	assert len(fpr) > 100 and len(p) > 100
	roc = b["receiver_operating_characteristic_curve"]
	pr = b["precision_recall_curve"]
	full = {(a, c, d) for a, c, d in zip(fpr[1:], tpr[1:], thr[1:])}
	pts = list(zip(roc["false_positive_rates"], roc["true_positive_rates"],
	               roc["thresholds"]))
	assert len(pts) == 100 and pts[0] == (0, 0, None), pts[0]
	assert all(q in full for q in pts[1:])
	assert pts[-1] == (fpr[-1], tpr[-1], thr[-1])
	full = {(a, c, d) for a, c, d in zip(p, r, t)}
	pts = list(zip(pr["precisions"], pr["recalls"], pr["thresholds"]))
	assert len(pts) == 100 and pts[-1] == (1, 0, None)
	assert all(q in full for q in pts[:-1]) and pts[0] == (p[0], r[0], t[0])
	# Evenly spaced: the recall falls in steps of about a hundredth.
	steps = -np.diff(pr["recalls"])
	assert steps.min() >= 0 and steps.max() < 0.03, steps.max()
	PY
'

test_expect_success 'one class only: no ROC curve; no positive, no PR curve' '
	printf "inference_id,score\na,0.9\nb,0.2\nc,0.7\n" >p.csv &&
	printf "inference_id,label\na,1\nb,1\nc,1\n" >l.csv &&
	mlops-monitor quality --problem binary --predictions p.csv \
		--labels l.csv -o out &&
	jq -e ".binary_classification_metrics |
		(has(\"auc\") or has(\"receiver_operating_characteristic_curve\")
		 | not) and .average_precision.value == 1 and
		.precision_recall_curve.precisions == [1, 1, 1, 1]" \
		out/statistics.json &&
	printf "inference_id,label\na,0\nb,0\nc,0\n" >l.csv &&
	mlops-monitor quality --problem binary --predictions p.csv \
		--labels l.csv -o out2 &&
	jq -e ".binary_classification_metrics | [has(\"auc\"),
		has(\"average_precision\"), has(\"precision_recall_curve\"),
		has(\"receiver_operating_characteristic_curve\")] ==
		[false, false, false, false]" out2/statistics.json
'

test_done
