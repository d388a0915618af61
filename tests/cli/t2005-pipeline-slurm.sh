#!/bin/bash
# t2005-pipeline-slurm.sh - the Slurm executor against a real single-node
# Slurm (munged, slurmctld, slurmd from Debian) started here by
# contrib/slurm/slurm-ci.sh and stopped at the end. Where Slurm cannot
# start, the tests are skipped, except under CI=true, where that fails.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_ROOT/contrib/slurm/slurm-ci.sh"

slurm_ok=
if _slurm_pid_is "$SLURM_CI_DIR/slurmctld.pid" slurmctld; then
	slurm_ok=1		# someone's cluster: use it, leave it running
elif slurm_up >"$TRASH_ROOT/slurm-up.log" 2>&1; then
	slurm_ok=1
	trap 'slurm_down >/dev/null 2>&1' EXIT
else
	slurm_down >/dev/null 2>&1
fi

if [ -z "$slurm_ok" ]; then
	if [ "$CI" = true ]; then
		test_expect_success 'Slurm starts (required under CI=true)' '
			cat "$TRASH_ROOT/slurm-up.log"; false
		'
	else
		test_skip 'the Slurm executor' "Slurm could not be started: $(tail -n 1 "$TRASH_ROOT/slurm-up.log")"
	fi
	test_done
fi

write_dag() {
	echo raw >raw.txt &&
	cat >pipeline.yaml <<-\EOF
	name: sl
	steps:
	  - name: prepare
	    run: echo "$MLOPS_STEP on $SLURM_JOB_ID" >prep.out; cat raw.txt >>prep.out
	    inputs: [raw.txt]
	    outputs: [prep.out]
	  - name: train
	    needs: [prepare]
	    run: cat prep.out >model.out; echo trained >>model.out
	    inputs: [prep.out]
	    outputs: [model.out]
	  - name: report
	    needs: [train]
	    run: echo report
	EOF
}

test_expect_success 'steps run as Slurm jobs; the cache they fill serves local runs' '
	write_dag &&
	id=$(mlops-pipeline run --executor slurm 2>err) &&
	grep "prepare: submitted as Slurm job [0-9]" err &&
	mlops-pipeline show --json $id >show.json &&
	jq -e ".status == \"Succeeded\" and .executor == \"slurm\" and
		([.steps[].slurmJobId | test(\"^[0-9]+$\")] | all)" show.json &&
	job=$(jq -r ".steps[0].slurmJobId" show.json) &&
	grep "^prepare on $job$" "$MLOPS_STORE/runs/$id/prep.out" &&
	squeue -h -t all -j $job -o %T | grep COMPLETED &&
	id2=$(mlops-pipeline run 2>err2) &&
	test "$(grep -c "cache hit" err2)" = 3 &&
	cmp "$MLOPS_STORE/runs/$id/model.out" "$MLOPS_STORE/runs/$id2/model.out"
'

test_expect_success 'a failing job fails its dependents, chained with afterok' '
	cat >pipeline.yaml <<-\EOF
	name: slfail
	steps:
	  - name: bad
	    run: echo failing; exit 4
	  - name: after
	    needs: [bad]
	    run: echo never
	  - name: other
	    run: echo fine >other.out
	    outputs: [other.out]
	EOF
	test_expect_code 1 mlops-pipeline run --executor slurm -j 4 >id 2>err &&
	grep "after: submitted as Slurm job" err &&
	mlops-pipeline show --json "$(cat id)" >show.json &&
	jq -e ".status == \"Failed\" and
		(.steps[] | select(.name == \"bad\") | .exitCode == 4) and
		(.steps[] | select(.name == \"after\") | .status == \"Failed\") and
		(.steps[] | select(.name == \"other\") | .status == \"Succeeded\")" show.json &&
	after=$(jq -r ".steps[] | select(.name == \"after\") | .slurmJobId" show.json) &&
	squeue -h -t all -j $after -o %T | grep CANCELLED &&
	mlops-pipeline logs "$(cat id)" bad | grep failing
'

test_expect_success 'a step timeout cancels its job and fails the step' '
	cat >pipeline.yaml <<-\EOF
	name: sltime
	steps:
	  - name: slow
	    run: sleep 120
	    timeout: 2s
	EOF
	test_expect_code 1 mlops-pipeline run --executor slurm >id 2>err &&
	grep "slow: failed: timed out after 2s" err &&
	job=$(mlops-pipeline show --json "$(cat id)" | jq -r ".steps[0].slurmJobId") &&
	for i in $(seq 50); do squeue -h -t all -j $job -o %T | grep -q CANCELLED && break; sleep 0.1; done &&
	squeue -h -t all -j $job -o %T | grep CANCELLED
'

test_expect_success 'cancel stops the run with scancel' '
	cat >pipeline.yaml <<-\EOF
	name: sllong
	steps:
	  - name: long
	    run: sleep 300
	EOF
	mlops-pipeline run --executor slurm >id 2>err &
	runner=$! &&
	for i in $(seq 100); do grep -q "submitted as Slurm job" err && break; sleep 0.1; done &&
	job=$(sed -n "s/.*submitted as Slurm job \([0-9]*\).*/\1/p" err) &&
	for i in $(seq 100); do test "$(squeue -h -j $job -o %T)" = RUNNING && break; sleep 0.1; done &&
	mlops-pipeline cancel "$(cat id)" >out &&
	grep "Stopped" out &&
	{ wait $runner; status=$?; } ;
	test "$status" = 1 &&
	for i in $(seq 50); do squeue -h -t all -j $job -o %T | grep -q CANCELLED && break; sleep 0.1; done &&
	squeue -h -t all -j $job -o %T | grep CANCELLED
'

test_done
