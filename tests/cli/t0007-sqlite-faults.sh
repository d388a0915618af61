#!/bin/bash
# t0007-sqlite-faults.sh - a failing SQLite step is an error wherever it
# happens, never "no row": lookups across the tools under the fault shim
# (tests/tools/sqlite-fault.c). gc and fsck are in t0003, audit in t0008.
. "$(dirname "$0")/test-lib.sh"

write_pipeline() {
	cat >pipeline.yaml <<-\EOF
	name: p
	steps:
	  - name: a
	    run: echo hi >a.out
	    outputs: [a.out]
	EOF
}

test_expect_success 'a failing step-cache lookup is reported, not a miss' '
	write_pipeline &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test_must_fail sqlite_fault "FROM pipeline_cache WHERE key" \
		mlops-pipeline run >/dev/null 2>err &&
	grep "a: cache not used: cannot read the step cache: disk I/O error" err
'

test_expect_success 'list fails when counting a run'"'"'s steps fails' '
	write_pipeline &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test_expect_code 70 sqlite_fault "GROUP BY status" \
		mlops-pipeline list >out 2>err &&
	grep "cannot count the steps of a run: disk I/O error" err
'

test_expect_success 'registry latest fails, not "no versions", on an error' '
	echo w >w.bin &&
	mlops-registry register -a w.bin g >/dev/null &&
	test_expect_code 70 sqlite_fault "SELECT max(version)" \
		mlops-registry latest g >out 2>err &&
	grep "cannot read model versions: disk I/O error" err &&
	test_line_count = 0 out
'

test_expect_success 'a failing schema-version read stops the command' '
	test_expect_code 70 sqlite_fault "PRAGMA user_version" \
		mlops object ls >out 2>err &&
	grep "cannot read the schema version: disk I/O error" err
'

test_done
