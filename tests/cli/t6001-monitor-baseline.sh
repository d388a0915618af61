#!/bin/bash
# t6001-monitor-baseline.sh - mlops-monitor baseline and check: the
# statistics agree with pandas on the same file, the files follow Model
# Monitor's field names, every check type fires on data made to break
# it, and bad input gets a clear message, its exit status and no file.
. "$(dirname "$0")/test-lib.sh"

# make_data N SEED SHIFT: a CSV of N rows with an integer, a fractional
# (5% missing) and a categorical column; SHIFT moves the fractional one.
make_data() {
	$PYTHON - "$@" <<-'PY'
	import sys
	import numpy as np
	import pandas as pd
	n, seed, shift = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
	rng = np.random.default_rng(seed)
	df = pd.DataFrame({
	    "age": rng.integers(18, 90, n),
	    "income": (rng.normal(50000, 15000, n) + shift).round(2),
	    "city": rng.choice(["paris", "lyon", "nice"], n),
	})
	df.loc[rng.random(n) < 0.05, "income"] = np.nan
	df.to_csv(sys.stdout, index=False)
	PY
}

test_expect_success 'baseline statistics agree with pandas' '
	make_data 200000 1 0 >train.csv &&
	mlops-monitor baseline --data train.csv -o base &&
	$PYTHON - <<-"PY"
	import json, pandas as pd
	df = pd.read_csv("train.csv")
	st = json.load(open("base/statistics.json"))
	assert st["dataset"]["item_count"] == len(df)
	f = {x["name"]: x for x in st["features"]}
	assert f["age"]["inferred_type"] == "Integral"
	assert f["income"]["inferred_type"] == "Fractional"
	assert f["city"]["inferred_type"] == "String"
	for col in ("age", "income"):
	    s, d = f[col]["numerical_statistics"], df[col]
	    assert s["common"]["num_present"] == d.count(), col
	    assert s["common"]["num_missing"] == d.isna().sum(), col
	    for mine, theirs in ((s["mean"], d.mean()), (s["sum"], d.sum()),
	                         (s["std_dev"], d.std(ddof=0)),
	                         (s["min"], d.min()), (s["max"], d.max())):
	        assert abs(mine - theirs) <= 1e-9 * max(1, abs(theirs)), \
	            (col, mine, theirs)
	    kll = s["distribution"]["kll"]
	    assert len(kll["buckets"]) == 10
	    assert kll["sketch"]["parameters"] == {"c": 0.64, "k": 2048}
	    # Bucket counts from the sketch are within 0.5% of the rows.
	    for b in kll["buckets"]:
	        lo, hi = b["lower_bound"], b["upper_bound"]
	        true = ((d > lo) & (d <= hi)).sum() + (d == lo).sum() * (lo == d.min())
	        assert abs(b["count"] - true) <= 0.005 * d.count(), (col, b, true)
	s = f["city"]["string_statistics"]
	assert s["distinct_count"] == df["city"].nunique()
	vc = df["city"].value_counts()
	for b in s["distribution"]["categorical"]["buckets"]:
	    assert b["count"] == vc[b["value"]], b
	PY
'

test_expect_success 'constraints carry Model Monitor fields' '
	make_data 1000 1 0 >train.csv &&
	mlops-monitor baseline --data train.csv -o base &&
	jq -e ".features[] | select(.name == \"age\") |
		.num_constraints.is_non_negative == true and
		.completeness == 1" base/constraints.json &&
	jq -e ".features[] | select(.name == \"income\") |
		.completeness < 1" base/constraints.json &&
	jq -e ".features[] | select(.name == \"city\") |
		(.string_constraints.domains | sort) == [\"lyon\", \"nice\", \"paris\"]" \
		base/constraints.json &&
	jq -e ".monitoring_config.distribution_constraints |
		.perform_comparison == \"Enabled\" and
		.comparison_threshold == 0.1" base/constraints.json
'

test_expect_success 'check of the baseline data finds nothing' '
	make_data 5000 1 0 >train.csv &&
	mlops-monitor baseline --data train.csv -o base &&
	mlops-monitor check --baseline base --data train.csv -o out >viol &&
	test_line_count = 0 viol &&
	jq -e ".violations == []" out/constraint_violations.json &&
	jq -e ".dataset.item_count == 5000" out/statistics.json
'

test_expect_success 'check finds drift, types, domains, columns; exit 1' '
	make_data 5000 1 0 >train.csv &&
	mlops-monitor baseline --data train.csv -o base &&
	make_data 5000 2 20000 >cur.csv &&
	sed -e "3s/^[0-9]*,/-5,/" -e "4s/,paris$/,rome/" \
		-e "1s/\$/,extra/" -e "2,\$s/\$/,1/" cur.csv >cur2.csv &&
	test_expect_code 1 mlops-monitor check --baseline base \
		--data cur2.csv -o out >viol &&
	grep "^income	baseline_drift_check	" viol &&
	grep "^age	non_negative_check	" viol &&
	grep "^extra	extra_column_check	" viol &&
	jq -r ".violations[].constraint_check_type" \
		out/constraint_violations.json | sort -u >types &&
	printf "%s\n" baseline_drift_check extra_column_check \
		non_negative_check >expect &&
	test_cmp expect types &&
	cut -d, -f1,3 train.csv | sed "1s/.*/age,city/;2,40s/,.*/,q/" |
		sed "2,2000s/^[0-9]*,/1.5,/" >bad.csv &&
	test_expect_code 1 mlops-monitor check --baseline base \
		--data bad.csv -o out2 >viol &&
	grep "^income	missing_column_check	" viol &&
	grep "^age	data_type_check	" viol &&
	! grep "categorical_values_check" viol &&
	sed "2,1000s/,[a-z]*\$/,rome/" train.csv >dom.csv &&
	test_expect_code 1 mlops-monitor check --baseline base \
		--data dom.csv -o out3 >viol &&
	grep "^city	categorical_values_check	" viol
'

test_expect_success 'JSON Lines and header-less CSV are read too' '
	printf "a,b\n1,x\n2,y\n" >h.csv &&
	mlops-monitor baseline --data h.csv -o b1 &&
	tail -n +2 h.csv | mlops-monitor baseline --no-header --data - -o b2 &&
	jq -r ".features[].name" b2/statistics.json >names &&
	printf "_c0\n_c1\n" >expect && test_cmp expect names &&
	printf "{\"a\": 1, \"b\": \"x\"}\n{\"a\": 2, \"b\": \"y\"}\n" >h.jsonl &&
	mlops-monitor baseline --data h.jsonl -o b3 &&
	jq -S "del(.features[].numerical_statistics.distribution.kll.sketch)" \
		b1/statistics.json >s1 &&
	jq -S "del(.features[].numerical_statistics.distribution.kll.sketch)" \
		b3/statistics.json >s3 &&
	test_cmp s1 s3
'

test_expect_success 'bad input: clear message, its exit status, no file' '
	: >empty.csv &&
	test_expect_code 3 mlops-monitor baseline --data empty.csv -o o 2>err &&
	grep "empty.csv: no header row" err &&
	printf "a,b\n" >head.csv &&
	test_expect_code 3 mlops-monitor baseline --data head.csv -o o 2>err &&
	grep "head.csv: no data rows" err &&
	printf "a,b\n1,\377\376\n" >bin.csv &&
	test_expect_code 3 mlops-monitor baseline --data bin.csv -o o 2>err &&
	grep "bin.csv:2: column .b.: value is not UTF-8" err &&
	test_expect_code 4 mlops-monitor baseline --data nosuch.csv -o o &&
	test_expect_code 2 mlops-monitor baseline -o o 2>err &&
	grep "data is required" err &&
	test_expect_code 2 mlops-monitor baseline --format xml --data h -o o &&
	! test -e o &&
	printf "a\n1\n" >ok.csv &&
	mlops-monitor baseline --data ok.csv -o base &&
	head -c 40 base/statistics.json >cut.json &&
	mv cut.json base/statistics.json &&
	test_expect_code 3 mlops-monitor check --baseline base --data ok.csv \
		-o out 2>err &&
	grep "base/statistics.json:" err &&
	! test -e out &&
	test_expect_code 4 mlops-monitor check --baseline nodir --data ok.csv \
		-o out 2>err &&
	grep "no baseline in .nodir." err
'

test_done
