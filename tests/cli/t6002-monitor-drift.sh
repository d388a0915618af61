#!/bin/bash
# t6002-monitor-drift.sh - mlops-monitor drift against scipy: the
# Kolmogorov-Smirnov statistic and p-value of scipy.stats.ks_2samp in
# each of its regimes (exact for equal and unequal sizes, asymptotic for
# large and lopsided samples), Wasserstein, chi-square, Jensen-Shannon
# and PSI, all computed by scipy when the test runs.
. "$(dirname "$0")/test-lib.sh"

# compare SEED: for sample sizes and shifts chosen to reach every branch
# of ks_2samp, write both samples, run drift and compare with scipy.
compare() {
	$PYTHON - "$@" <<-'PY'
	import subprocess, sys
	import numpy as np
	import pandas as pd
	from scipy import stats
	rng = np.random.default_rng(int(sys.argv[1]))
	cases = [(5, 7, 0), (20, 20, 0.5), (100, 100, 0.2), (300, 450, 0.1),
	         (1000, 999, 0.05), (10000, 7000, 0.03), (20000, 30000, 0.01),
	         (20000, 20000, 0), (150, 20000, 0.1), (50, 12000, 0.3),
	         (11000, 11000, 0.2), (12000, 100, 0), (12000, 30, 2),
	         (40, 10001, 0.6)]
	def drift(method):
	    out = subprocess.run(["mlops-monitor", "drift", "--method", method,
	                          "--reference", "a.csv", "--data", "b.csv"],
	                         capture_output=True, text=True, check=True)
	    f = out.stdout.split("\t")
	    assert f[0] == "x" and f[1] == method, out.stdout
	    return float(f[2]), None if f[3].strip() == "-" else float(f[3])
	bad = 0
	for n1, n2, shift in cases:
	    a = rng.normal(0, 1, n1).round(3)
	    b = rng.normal(shift, 1, n2).round(3)
	    pd.DataFrame({"x": a}).to_csv("a.csv", index=False)
	    pd.DataFrame({"x": b}).to_csv("b.csv", index=False)
	    d, p = drift("ks")
	    r = stats.ks_2samp(a, b)
	    if abs(d - r.statistic) > 1e-12 or \
	       abs(p - r.pvalue) > 1e-12 + 1e-7 * r.pvalue:
	        print("ks", n1, n2, shift, d, r.statistic, p, r.pvalue)
	        bad = 1
	    w, _ = drift("wasserstein")
	    want = stats.wasserstein_distance(a, b)
	    if abs(w - want) > 1e-9 * max(1, want):
	        print("wasserstein", n1, n2, w, want)
	        bad = 1
	sys.exit(bad)
	PY
}

test_expect_success 'KS and Wasserstein agree with scipy in every regime' '
	compare 1
'

test_expect_success 'chi2, JS and PSI agree with scipy and numpy' '
	$PYTHON - <<-"PY"
	import subprocess
	import numpy as np
	import pandas as pd
	from scipy import stats
	from scipy.spatial import distance
	rng = np.random.default_rng(7)
	ra = rng.choice(["a", "b", "c", "d"], 3000, p=[.4, .3, .2, .1])
	ca = rng.choice(["a", "b", "c", "e"], 2000, p=[.3, .3, .3, .1])
	rx = rng.normal(0, 1, 5000)
	cx = rng.normal(0.3, 1.2, 4000)
	pd.DataFrame({"cat": ra, "x": rx[:3000]}).to_csv("r.csv", index=False)
	pd.DataFrame({"cat": ca, "x": cx[:2000]}).to_csv("c.csv", index=False)
	def drift(method):
	    out = subprocess.run(["mlops-monitor", "drift", "--method", method,
	                          "--reference", "r.csv", "--data", "c.csv"],
	                         capture_output=True, text=True, check=True)
	    return {l.split("\t")[0]: l.split("\t")[2:]
	            for l in out.stdout.splitlines()}
	cats = sorted(set(ra) | set(ca))
	table = np.array([[np.sum(ra == v) for v in cats],
	                  [np.sum(ca == v) for v in cats]])
	chi2, p, dof, _ = stats.chi2_contingency(table)
	got = drift("chi2")["cat"]
	assert abs(float(got[0]) - chi2) < 1e-9 * chi2, (got, chi2)
	assert abs(float(got[1]) - p) < 1e-9 + 1e-7 * p, (got, p)
	assert "x" not in drift("chi2")
	pr, pc = table[0] / table[0].sum(), table[1] / table[1].sum()
	js = drift("js")
	assert abs(float(js["cat"][0]) - distance.jensenshannon(pr, pc)) < 1e-12
	psi_cat = np.sum((np.maximum(pc, 1e-4) - np.maximum(pr, 1e-4)) *
	                 np.log(np.maximum(pc, 1e-4) / np.maximum(pr, 1e-4)))
	assert abs(float(drift("psi")["cat"][0]) - psi_cat) < 1e-12
	# Numbers: ten bins at the reference deciles.
	r, c = np.sort(rx[:3000]), np.sort(cx[:2000])
	edges = [r[i * len(r) // 10] for i in range(1, 10)]
	br = np.bincount(np.searchsorted(edges, r, side="left"), minlength=10)
	bc = np.bincount(np.searchsorted(edges, c, side="left"), minlength=10)
	pr, pc = br / len(r), bc / len(c)
	assert abs(float(js["x"][0]) - distance.jensenshannon(pr, pc)) < 1e-12
	psi = np.sum((np.maximum(pc, 1e-4) - np.maximum(pr, 1e-4)) *
	             np.log(np.maximum(pc, 1e-4) / np.maximum(pr, 1e-4)))
	assert abs(float(drift("psi")["x"][0]) - psi) < 1e-12, psi
	PY
'

test_expect_success '--threshold makes drift a check; --json; bad usage' '
	printf "x\n1\n2\n3\n4\n" >r.csv &&
	printf "x\n11\n12\n13\n14\n" >c.csv &&
	mlops-monitor drift --reference r.csv --data c.csv >out &&
	test_expect_code 1 mlops-monitor drift --threshold 0.5 \
		--reference r.csv --data c.csv &&
	mlops-monitor drift --threshold 1 --reference r.csv --data c.csv &&
	mlops-monitor drift --json --reference r.csv --data c.csv >j &&
	jq -e ".feature == \"x\" and .statistic == 1 and .n_current == 4 and
		(.p_value | . > 0.028 and . < 0.03)" j &&
	test_expect_code 2 mlops-monitor drift --method nope \
		--reference r.csv --data c.csv 2>err &&
	grep "unknown method .nope." err &&
	test_expect_code 2 mlops-monitor drift --data c.csv &&
	test_expect_code 2 mlops-monitor drift --threshold x \
		--reference r.csv --data c.csv &&
	test_expect_code 4 mlops-monitor drift --reference none.csv \
		--data c.csv
'

test_done
