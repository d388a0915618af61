#!/bin/bash
# t6008-monitor-attribution.sh - feature attribution drift: the mean
# |SHAP| of each feature equals XGBoost's own pred_contribs from Python,
# the NDCG equals the one the test computes, and a shifted feature
# importance drops it below the threshold.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'attributions and NDCG agree with xgboost in Python' '
	$PYTHON - <<-"PY"
	import json, subprocess
	import numpy as np
	import pandas as pd
	import xgboost as xgb
	rng = np.random.default_rng(5)
	n = 2000
	X = rng.normal(size=(n, 4))
	y = (2 * X[:, 0] + X[:, 1] > 0).astype(int)
	booster = xgb.train({"objective": "binary:logistic", "max_depth": 3},
	                    xgb.DMatrix(X, label=y), 20)
	booster.save_model("model.json")
	cols = ["a", "b", "c", "d"]
	base = X[:1000]
	cur = X[1000:].copy()
	cur[:, 0] = 0.0                  # feature a loses its influence
	pd.DataFrame(base, columns=cols).to_csv("base.csv", index=False)
	pd.DataFrame(cur, columns=cols).to_csv("cur.csv", index=False)
	def shap(m):
	    c = booster.predict(xgb.DMatrix(m), pred_contribs=True)
	    return np.abs(c[:, :-1]).mean(axis=0)
	def ndcg(b, c):
	    rc = sorted(range(4), key=lambda i: (-c[i], i))
	    rb = sorted(range(4), key=lambda i: (-b[i], i))
	    g = lambda r: sum(b[f] / np.log2(i + 2) for i, f in enumerate(r))
	    return g(rc) / g(rb)
	p = subprocess.run(["mlops-monitor", "attribution", "--json",
	                    "--model", "model.json", "--baseline-data",
	                    "base.csv", "--data", "cur.csv"],
	                   capture_output=True, text=True)
	assert p.returncode == 1, (p.returncode, p.stderr)
	r = json.loads(p.stdout)
	sb, sc = shap(base), shap(cur)
	for i, f in enumerate(r["features"]):
	    assert f["name"] == cols[i]
	    # The booster computes in float32: agreement to float precision.
	    assert abs(f["baseline"] - sb[i]) <= 1e-5 * max(1, sb[i]), (f, sb[i])
	    assert abs(f["current"] - sc[i]) <= 1e-5 * max(1, sc[i]), (f, sc[i])
	want = ndcg(sb, sc)
	assert abs(r["ndcg"] - want) < 1e-6, (r["ndcg"], want)
	assert r["ndcg"] < 0.9
	# The baseline against itself: NDCG 1, exit 0.
	p = subprocess.run(["mlops-monitor", "attribution", "--model",
	                    "model.json", "--baseline-data", "base.csv",
	                    "--data", "base.csv"], capture_output=True,
	                   text=True, check=True)
	assert p.stdout.splitlines()[-1] == "ndcg\t1", p.stdout
	PY
'

test_expect_success 'bad input: clear message and its exit status' '
	printf "a,b\n1,2\n" >x.csv &&
	printf "a,c\n1,2\n" >y.csv &&
	echo "not a model" >bad.json &&
	test_expect_code 4 mlops-monitor attribution --model none.json \
		--baseline-data x.csv --data x.csv &&
	test_expect_code 3 mlops-monitor attribution --model bad.json \
		--baseline-data x.csv --data x.csv 2>err &&
	grep "cannot load the XGBoost model .bad.json." err &&
	test_expect_code 3 mlops-monitor attribution --model bad.json \
		--baseline-data x.csv --data y.csv 2>err &&
	grep "do not have the same columns" err &&
	test_expect_code 2 mlops-monitor attribution --model bad.json
'

test_done
