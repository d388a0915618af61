#!/bin/bash
# t6030-monitor-overrides.sh - mlops-monitor check honours a feature's
# monitoringConfigOverrides in constraints.json (comparison_threshold,
# comparison_method, datatype_check_threshold, domain_content_threshold)
# over the baseline's monitoring_config, and refuses malformed ones.
. "$(dirname "$0")/test-lib.sh"

# A baseline of 20 rows and data 30% off it in every way: x and y
# shifted by 6 of 20 values (drift 0.3), z with 6 fractions among its
# integers, city with 6 values outside its domain.
setup() {
	awk 'BEGIN {
		print "x,y,z,city"
		for (i = 0; i < 20; i++)
			printf "%d,%d,%d,%s\n", i, i, i, i % 2 ? "a" : "b"
	}' >train.csv &&
	awk 'BEGIN {
		print "x,y,z,city"
		for (i = 0; i < 20; i++)
			printf "%d,%d,%s,%s\n", i + 6, i + 6,
			       i < 6 ? i ".5" : i, i < 6 ? "zz" : i % 2 ? "a" : "b"
	}' >cur.csv &&
	mlops-monitor baseline --data train.csv -o base >/dev/null
}

# override FEATURE JSON: set the feature's monitoringConfigOverrides.
override() {
	jq --arg f "$1" --argjson o "$2" \
		"(.features[] | select(.name == \$f)).monitoringConfigOverrides = \$o" \
		base/constraints.json >c.json &&
	mv c.json base/constraints.json
}

test_expect_success 'without overrides every check fires' '
	setup &&
	test_expect_code 1 mlops-monitor check --baseline base --data cur.csv \
		-o out >viol &&
	grep "^x	baseline_drift_check	" viol &&
	grep "^y	baseline_drift_check	" viol &&
	grep "^z	data_type_check	" viol &&
	grep "^city	categorical_values_check	" viol
'

test_expect_success 'overrides raise one feature thresholds only' '
	setup &&
	override x "{\"comparison_threshold\": 0.5}" &&
	override z "{\"datatype_check_threshold\": 0.5}" &&
	override city "{\"domain_content_threshold\": 0.5,
		\"comparison_threshold\": 0.9}" &&
	test_expect_code 1 mlops-monitor check --baseline base --data cur.csv \
		-o out >viol &&
	! grep "^x	" viol &&
	! grep "^z	" viol &&
	! grep "^city	" viol &&
	grep "^y	baseline_drift_check	" viol &&
	jq -e ".violations | length == 1" out/constraint_violations.json
'

test_expect_success 'a feature may compare by the Robust method' '
	setup &&
	override y "{\"comparison_method\": \"Robust\"}" &&
	test_expect_code 1 mlops-monitor check --baseline base --data cur.csv \
		-o out >viol &&
	grep "^x	baseline_drift_check	" viol &&
	! grep "^y	" viol &&
	override y "{\"comparison_method\": \"Simple\"}" &&
	jq ".monitoring_config.distribution_constraints.comparison_method =
		\"Robust\"" base/constraints.json >c.json &&
	mv c.json base/constraints.json &&
	test_expect_code 1 mlops-monitor check --baseline base --data cur.csv \
		-o out >viol &&
	grep "^y	baseline_drift_check	" viol &&
	! grep "^x	baseline_drift_check" viol
'

test_expect_success 'malformed overrides are refused, naming the feature' '
	setup &&
	override x "{\"comparison_threshold\": \"high\"}" &&
	test_expect_code 3 mlops-monitor check --baseline base --data cur.csv \
		-o out 2>err &&
	grep "feature .x.: monitoringConfigOverrides.comparison_threshold" err &&
	! test -e out/constraint_violations.json &&
	override x "{\"comparison_method\": \"Fuzzy\"}" &&
	test_expect_code 3 mlops-monitor check --baseline base --data cur.csv \
		2>err &&
	grep "comparison_method must be Simple or Robust" err &&
	override x "[1]" &&
	test_expect_code 3 mlops-monitor check --baseline base --data cur.csv \
		2>err &&
	grep "monitoringConfigOverrides is not an object" err
'

test_done
