#!/bin/bash
# t4027-shadow-ks.sh - the report's Kolmogorov-Smirnov p-value follows
# scipy.stats.ks_2samp(method='auto') case by case, computed by scipy
# here on the recorded pairs: exact up to 10000 values per sample, the
# one-sample distribution kstwo at round(n/2) beyond it (each of its
# methods: Durbin's matrix, Pelz-Good, Smirnov's sum, 0), and kstwo too
# where the exact sum rounds outside [0, 1], as scipy falls back then.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"
. "$TEST_DIRECTORY/lib-shadow.sh"

# ks_case N SHIFT [DIGITS]: t1's pairs become N rows whose production
# output is the grid i/N and whose shadow output is i/N + SHIFT (both
# printed with DIGITS significant digits, 9 by default: fewer makes
# ties); then the report's statistic and p-value must be scipy's. With
# "fallback" as the last argument, scipy must have warned that its
# exact sum failed (so that the case does test that rule).
ks_case() {
	$PYTHON - "$MLOPS_STORE/mlops.db" "$@" <<-\PY &&
	import sqlite3, sys
	db = sqlite3.connect(sys.argv[1])
	n, shift = int(sys.argv[2]), float(sys.argv[3])
	digits = int(sys.argv[4]) if len(sys.argv) > 4 and sys.argv[4] != "fallback" else 9
	db.execute("DELETE FROM shadow_pair WHERE test = 't1'")
	db.executemany("INSERT INTO shadow_pair VALUES ('t1', ?, ?, 0, "
	               "'text/csv', x'31', 200, 1000, ?, 200, 1000, ?)",
	               ((i, "r%d" % i, b"%.*g\n" % (digits, i / n),
	                 b"%.*g\n" % (digits, i / n + shift)) for i in range(n)))
	db.commit()
	PY
	{ mlops-shadow report --json t1 >rep.json; test $? -le 1; } &&
	$PYTHON - "$MLOPS_STORE/mlops.db" "$@" <<-\PY
	import json, sqlite3, sys, warnings
	from scipy import stats
	db = sqlite3.connect(sys.argv[1])
	rows = db.execute("SELECT prod_output, shadow_output FROM shadow_pair "
	                  "WHERE test = 't1'").fetchall()
	a = [float(bytes(p)) for p, s in rows]
	b = [float(bytes(s)) for p, s in rows]
	with warnings.catch_warnings(record=True) as w:
	    warnings.simplefilter("always")
	    ks = stats.ks_2samp(a, b, method="auto")
	fell_back = any("Exact calculation unsuccessful" in str(x.message)
	                for x in w)
	assert fell_back or sys.argv[-1] != "fallback", sys.argv
	num = json.load(open("rep.json"))["agreement"]["numeric"]
	d, p = num["ks_statistic"], num["ks_pvalue"]
	assert abs(d - ks.statistic) <= 1e-12, (d, ks.statistic)
	# Exact sums agree to rounding; Smirnov's sum (scipy: cephes, here
	# in logarithms) and Durbin's matrix to about 1e-10 of the value.
	assert abs(p - ks.pvalue) <= 1e-12 + 1e-9 * ks.pvalue, (p, ks.pvalue)
	print("n=%d d=%.6g p=%.17g scipy=%.17g%s" % (len(a), d, p, ks.pvalue,
	      " (exact sum failed)" if fell_back else ""))
	PY
}

test_expect_success 'KS p-values are scipy ks_2samp method auto on each side of 10000' '
	shadow_models &&
	mlops-shadow start web --model churn/2 --name t1 >/dev/null &&
	ks_case 30 0.1 &&
	ks_case 10000 0.013 &&
	ks_case 10000 0.0004 &&
	ks_case 10001 0.0004 &&
	ks_case 10001 0.013 &&
	ks_case 10001 0.026 &&
	ks_case 10001 0.4 &&
	ks_case 10001 0.6 &&
	ks_case 20000 0.01 4
'

test_expect_success 'where the exact sum rounds above 1, kstwo as scipy falls back' '
	shadow_models &&
	mlops-shadow start web --model churn/2 --name t1 >/dev/null &&
	ks_case 7 0.1 fallback &&
	ks_case 60 0.02 fallback &&
	ks_case 73 0.02 fallback
'

test_done
