#!/bin/bash
# t0300-demo.sh - make demo's life cycle (contrib/demo/run, DEMO_QUICK=1)
# runs end to end, ends with "demo: ok" and a summary of its 8 steps
# (the retrained version learned from the drifted customers' outcomes),
# leaves no process and no temporary directory behind; a step that does
# not do what it says (a run-due that finds nothing) fails the demo,
# naming the step, and still stops its gateways.
. "$(dirname "$0")/test-lib.sh"

# leftovers DIR - processes whose command line names DIR
leftovers() {
	ps -eo pid=,args= | grep -F "$1" | grep -v -e grep -e "ps -eo" || true
}

test_expect_success 'the demo runs the life cycle and ends with demo: ok' '
	mkdir tmp &&
	TMPDIR=$PWD/tmp DEMO_QUICK=1 "$TEST_ROOT/contrib/demo/run" "$MLOPS_BIN" \
		>out 2>err &&
	tail -n 1 out >last &&
	echo "demo: ok" >expect &&
	test_cmp expect last &&
	sed -n "/^=== summary/,\$p" out >summary &&
	for n in 1 2 3 4 5 6 7 8; do
		grep -q "s  $n\. " summary || return 1
	done &&
	grep -q "^total: [0-9]* s" summary &&
	grep -q "cache hit" err &&
	grep -q "^\$ mlops-deploy invoke churn-sklearn-staging " err &&
	grep -q "^\$ mlops-deploy invoke churn-flask-staging " err &&
	grep -q "churn-3: promoted; churn serves churn/3" out &&
	grep -q "^(retrained: churn/4, from the commit that made churn/3)" out &&
	grep -q "^churn/4 trained with the drifted customers. outcomes ([0-9]* held-out rows, churn/3 [0-9]*)$" summary &&
	test -z "$(ls tmp)" &&
	test -z "$(leftovers "$PWD/tmp/mlops-demo")"
'

test_expect_success 'a monitor that finds nothing fails step 7, no process left' '
	mkdir fake tmp2 &&
	for f in "$MLOPS_BIN"/*; do ln -s "$f" fake/ || return 1; done &&
	rm fake/mlops-monitor &&
	cat >fake/mlops-monitor <<-EOF &&
	#!/bin/sh
	# run-due that runs nothing (and says all is well)
	[ "\$1" = run-due ] && exit 0
	exec "$MLOPS_BIN/mlops-monitor" "\$@"
	EOF
	chmod +x fake/mlops-monitor &&
	test_expect_code 1 env TMPDIR=$PWD/tmp2 DEMO_QUICK=1 \
		"$TEST_ROOT/contrib/demo/run" "$PWD/fake" >out 2>err &&
	grep "demo: FAILED in step 7 " err &&
	! grep -q "demo: ok" out &&
	test -z "$(leftovers "$PWD/tmp2/mlops-demo")"
'

test_done
