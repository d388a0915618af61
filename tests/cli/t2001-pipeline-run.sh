#!/bin/bash
# t2001-pipeline-run.sh - running pipelines: status, environment, logs,
# parallelism, failures, timeouts, retries, cancel and retry of a run.
. "$(dirname "$0")/test-lib.sh"

# The example of the issue, with shell stand-ins for the tools.
write_churn() {
	mkdir -p data &&
	seq 1 20 >data/raw.csv &&
	printf '#!/bin/sh\nhead -15 "$1" >train.csv\ntail -5 "$1" >test.csv\n' >prepare.sh &&
	chmod +x prepare.sh &&
	echo "num_round=1" >train.conf &&
	cat >pipeline.yaml <<-\EOF
	name: churn
	parameters:
	  min_auc: {type: float, default: 0.80}
	  rounds:  {type: int, default: 100}
	steps:
	  - name: prepare
	    run: ./prepare.sh data/raw.csv
	    inputs: [prepare.sh, data/raw.csv]
	    outputs: [train.csv, test.csv]
	  - name: train
	    needs: [prepare]
	    run: (cat train.conf; echo num_round=${rounds}; wc -l <train.csv) >model.json
	    inputs: [train.conf]
	    outputs: [model.json]
	    retry: {attempts: 3, backoff: 10ms}
	    timeout: 10m
	  - name: evaluate
	    needs: [train]
	    run: |
	      printf '{"auc": 0.91, "name": "m1"}' >evaluation.json
	    outputs: [evaluation.json]
	    properties: evaluation.json
	  - name: register
	    needs: [evaluate]
	    when: ${steps.evaluate.properties.auc} >= ${min_auc}
	    run: echo "register $MLOPS_RUN_ID $MLOPS_STEP"
	    cache: false
	EOF
}

# A process that is gone or a zombie (init may be slow to reap) is dead.
process_alive() {
	case $(ps -o stat= -p "$1") in
	""|Z*) return 1 ;;
	esac
	return 0
}

test_expect_success 'run prints the run ID first, exits 0, records every step' '
	write_churn &&
	mlops-pipeline run >out 2>err &&
	test_line_count = 1 out &&
	id=$(cat out) &&
	grep -E "^[0-9]{8}T[0-9]{6}-[0-9a-f]{6}$" out &&
	grep "prepare: executing" err &&
	grep "run $id Succeeded" err &&
	mlops-pipeline show --json "$id" >show.json &&
	jq -e ".status == \"Succeeded\" and (.steps | length) == 4 and
		([.steps[].status] | unique) == [\"Succeeded\"] and
		([.steps[].exitCode] | unique) == [0]" show.json &&
	test -f "$MLOPS_STORE/runs/$id/model.json" &&
	grep "^num_round=100$" "$MLOPS_STORE/runs/$id/model.json" &&
	grep "register $id register" "$MLOPS_STORE/runs/$id/logs/register.log"
'

test_expect_success 'steps get MLOPS_* variables, parameters and env' '
	cat >pipeline.yaml <<-\EOF
	name: envs
	parameters:
	  rate: {type: float, default: 0.5}
	  label: hello
	env: {GLOBAL: g, OVER: pipeline}
	steps:
	  - name: show
	    env: {OVER: step, FROM_PARAM: "x${label}"}
	    inputs: [in.txt]
	    run: env | grep -E "^(MLOPS_|GLOBAL|OVER|FROM_PARAM)" | sort >env.txt; pwd >pwd.txt
	    outputs: [env.txt, pwd.txt]
	EOF
	echo data >in.txt &&
	id=$(mlops-pipeline run -p rate=0.75 2>/dev/null) &&
	ws=$MLOPS_STORE/runs/$id &&
	test "$(cat $ws/pwd.txt)" = "$ws" &&
	grep "^MLOPS_RUN_ID=$id$" $ws/env.txt &&
	grep "^MLOPS_STEP=show$" $ws/env.txt &&
	grep "^MLOPS_STORE=$MLOPS_STORE$" $ws/env.txt &&
	grep "^MLOPS_PARAM_RATE=0.75$" $ws/env.txt &&
	grep "^MLOPS_PARAM_LABEL=hello$" $ws/env.txt &&
	grep "^MLOPS_GIT_COMMIT=" $ws/env.txt &&
	grep "^GLOBAL=g$" $ws/env.txt &&
	grep "^OVER=step$" $ws/env.txt &&
	grep "^FROM_PARAM=xhello$" $ws/env.txt &&
	sha=$(sha256sum in.txt | cut -d" " -f1) &&
	grep "^MLOPS_STEP_INPUTS={\"in.txt\":\"$sha\"}$" $ws/env.txt
'

test_expect_success 'independent steps run in parallel up to -j' '
	cat >pipeline.yaml <<-\EOF
	name: par
	steps:
	  - {name: a, run: sleep 1, cache: false}
	  - {name: b, run: sleep 1, cache: false}
	  - {name: c, run: sleep 1, cache: false}
	  - {name: d, run: sleep 1, cache: false}
	EOF
	start=$(date +%s.%N) &&
	mlops-pipeline run -j 4 >/dev/null 2>&1 &&
	t4=$(echo "$(date +%s.%N) - $start" | bc) &&
	start=$(date +%s.%N) &&
	mlops-pipeline run -j 1 >/dev/null 2>&1 &&
	t1=$(echo "$(date +%s.%N) - $start" | bc) &&
	echo "-j 4: $t4 s, -j 1: $t1 s" &&
	test "$(echo "$t4 < 2.5" | bc)" = 1 &&
	test "$(echo "$t1 >= 4" | bc)" = 1
'

test_expect_success 'a failing step: exit 1, its dependents fail, logs kept' '
	cat >pipeline.yaml <<-\EOF
	name: fails
	steps:
	  - name: ok
	    run: echo fine
	  - name: bad
	    run: echo "about to fail" >&2; exit 3
	  - name: after
	    needs: [bad]
	    run: echo never
	EOF
	test_expect_code 1 mlops-pipeline run >id 2>err &&
	id=$(cat id) &&
	grep "bad: failed: exited with status 3" err &&
	mlops-pipeline show --json "$id" >show.json &&
	jq -e ".status == \"Failed\" and
		(.steps[] | select(.name == \"bad\") | .exitCode == 3 and .status == \"Failed\") and
		(.steps[] | select(.name == \"after\") | .status == \"Failed\" and
			(.failureReason | test(\"bad\"))) and
		(.steps[] | select(.name == \"ok\") | .status == \"Succeeded\")" show.json &&
	mlops-pipeline logs "$id" bad >log &&
	grep "about to fail" log &&
	mlops event log --json --source mlops.pipeline >events &&
	jq -se "map(select(.\"detail-type\" == \"Pipeline Execution Status Change\"
		and .detail.currentPipelineExecutionStatus == \"Failed\")) | length == 1" events &&
	mlops audit log | grep "pipeline.run.*$id.*failure"
'

test_expect_success 'a timeout kills the whole process group of the step' '
	cat >pipeline.yaml <<-\EOF
	name: slow
	steps:
	  - name: sleepy
	    run: (sleep 300; echo survived >survivor.txt) & echo $! >child.pid; sleep 300
	    timeout: 500ms
	EOF
	test_expect_code 1 mlops-pipeline run >id 2>err &&
	grep "sleepy: failed: timed out after 0.5s" err &&
	pid=$(cat "$MLOPS_STORE/runs/$(cat id)/child.pid") &&
	sleep 0.2 &&
	! process_alive "$pid" &&
	mlops-pipeline show --json "$(cat id)" |
		jq -e ".steps[0].failureReason == \"timed out after 0.5s\""
'

test_expect_success 'retry: attempts with backoff, logged per attempt' '
	cat >pipeline.yaml <<-\EOF
	name: flaky
	steps:
	  - name: flaky
	    run: n=$(cat n 2>/dev/null || echo 0); echo $((n + 1)) >n; echo "try $n"; test "$n" -ge 2
	    retry: {attempts: 3, backoff: 100ms}
	EOF
	mlops-pipeline run >id 2>err &&
	grep "attempt 1 of 3 exited with status 1; retrying in 0.1s" err &&
	grep "attempt 2 of 3 exited with status 1; retrying in 0.2s" err &&
	mlops-pipeline show --json "$(cat id)" | jq -e ".steps[0].attempts == 3" &&
	mlops-pipeline logs "$(cat id)" flaky >log &&
	grep "^--- mlops-pipeline: attempt 3 of 3 ---$" log &&
	grep "try 2" log
'

test_expect_success 'SIGTERM cancels the run: children killed, run Stopped' '
	cat >pipeline.yaml <<-\EOF
	name: long
	steps:
	  - name: long
	    run: echo $$ >long.pid; sleep 300
	  - name: next
	    needs: [long]
	    run: echo next
	EOF
	mlops-pipeline run >id 2>err &
	runner=$! &&
	for i in $(seq 50); do test -s "$MLOPS_STORE/runs/$(cat id)/long.pid" && break; sleep 0.1; done &&
	step_pid=$(cat "$MLOPS_STORE/runs/$(cat id)/long.pid") &&
	kill -TERM $runner &&
	{ wait $runner; status=$?; } ;
	test "$status" = 1 &&
	! process_alive "$step_pid" &&
	mlops-pipeline show --json "$(cat id)" >show.json &&
	jq -e ".status == \"Stopped\" and ([.steps[].status] | unique) == [\"Stopped\"]" show.json
'

test_expect_success 'a reader that goes away does not kill the run' '
	cat >pipeline.yaml <<-\EOF &&
	name: pipe
	steps:
	  - {name: a, run: "sleep 0.3; yes | head -n 3 >a.txt", outputs: [a.txt]}
	  - {name: b, needs: [a], run: "echo b >b.txt", outputs: [b.txt]}
	EOF
	mlops-pipeline run 2>&1 | head -n 1 >id &&
	id=$(cat id) &&
	for i in $(seq 50); do
		mlops-pipeline show --json "$id" >show.json &&
		jq -e ".status != \"Executing\"" show.json >/dev/null && break
		sleep 0.1
	done &&
	jq -e ".status == \"Succeeded\"" show.json &&
	test_line_count = 3 "$MLOPS_STORE/runs/$id/a.txt" &&
	test "$(cat "$MLOPS_STORE/runs/$id/b.txt")" = b
'

test_expect_success 'cancel RUN stops a run another process executes' '
	cat >pipeline.yaml <<-\EOF
	name: long
	steps:
	  - name: long
	    run: sleep 300
	EOF
	mlops-pipeline run >id 2>/dev/null &
	runner=$! &&
	for i in $(seq 50); do test -s id && break; sleep 0.1; done &&
	sleep 0.3 &&
	mlops-pipeline cancel "$(cat id)" >out &&
	grep "$(cat id) Stopped" out &&
	{ wait $runner; status=$?; } ;
	test "$status" = 1 &&
	test_expect_code 4 mlops-pipeline cancel "$(cat id)" 2>err &&
	grep "not executing" err &&
	mlops audit log | grep "pipeline.cancel"
'

# Wait (up to about 20 s) until command succeeds.
wait_for() {
	for i in $(seq 200); do "$@" && return 0; sleep 0.1; done
	"$@"
}

test_expect_success 'a SIGKILLed runner takes its steps with it' '
	cat >pipeline.yaml <<-\EOF
	name: orphan
	steps:
	  - name: long
	    run: echo $$ >long.pid; sleep 4 & echo $! >sleep.pid; wait; touch late
	    timeout: 2s
	EOF
	mlops-pipeline run >id 2>/dev/null &
	runner=$! &&
	wait_for test -s id &&
	ws=$MLOPS_STORE/runs/$(cat id) &&
	wait_for test -s "$ws/sleep.pid" &&
	kill -KILL $runner &&
	{ wait $runner; true; } &&
	wait_for eval "! process_alive $(cat "$ws/long.pid")" &&
	wait_for eval "! process_alive $(cat "$ws/sleep.pid")" &&
	! test -e "$ws/late"
'

test_expect_success 'a run whose runner died reads Failed, not Executing' '
	cat >pipeline.yaml <<-\EOF
	name: orphan
	steps:
	  - name: long
	    run: echo $$ >long.pid; sleep 300
	  - name: next
	    needs: [long]
	    run: echo next
	EOF
	mlops-pipeline run >id 2>/dev/null &
	runner=$! &&
	wait_for test -s id &&
	wait_for test -s "$MLOPS_STORE/runs/$(cat id)/long.pid" &&
	mlops-pipeline show --json "$(cat id)" | jq -e ".status == \"Executing\"" &&
	kill -KILL $runner &&
	{ wait $runner; true; } &&
	mlops-pipeline list --json >list.json &&
	jq -se ".[0].status == \"Failed\"" list.json &&
	mlops-pipeline show --json "$(cat id)" >show.json &&
	jq -e ".status == \"Failed\" and
		(.failureReason | test(\"runner .* is gone\")) and
		.steps[0].status == \"Failed\" and .steps[1].status == \"Stopped\"" show.json &&
	mlops event log --json --type "Pipeline Execution Status Change" |
		tail -n 1 | jq -e ".detail.currentPipelineExecutionStatus == \"Failed\"" &&
	test_expect_code 4 mlops-pipeline cancel "$(cat id)" 2>err &&
	grep "it is Failed" err
'

test_expect_success 'retry RUN re-runs the failed steps and keeps the rest' '
	cat >pipeline.yaml <<-EOF
	name: retry
	steps:
	  - name: first
	    run: date +%s%N >first.txt
	    outputs: [first.txt]
	  - name: second
	    needs: [first]
	    run: test -f $PWD/fixed && echo fixed >second.txt
	    outputs: [second.txt]
	EOF
	test_expect_code 1 mlops-pipeline run >id 2>/dev/null &&
	before=$(cat "$MLOPS_STORE/runs/$(cat id)/first.txt") &&
	touch fixed &&
	mlops-pipeline retry "$(cat id)" >id2 2>err &&
	test_cmp id id2 &&
	! grep "first:" err &&
	grep "second: succeeded" err &&
	test "$(cat "$MLOPS_STORE/runs/$(cat id)/first.txt")" = "$before" &&
	mlops-pipeline show --json "$(cat id)" | jq -e ".status == \"Succeeded\"" &&
	test_expect_code 4 mlops-pipeline retry "$(cat id)" 2>err &&
	grep "only a Failed or Stopped run" err
'

test_expect_success 'retry refuses a run whose lock another process holds' '
	cat >pipeline.yaml <<-EOF
	name: held
	steps:
	  - name: only
	    run: test -f $PWD/fixed
	EOF
	test_expect_code 1 mlops-pipeline run >id 2>/dev/null &&
	touch fixed &&
	lock=$MLOPS_STORE/runs/$(cat id)/.runner.lock &&
	test -f "$lock" &&
	test_expect_code 4 flock -o "$lock" mlops-pipeline retry "$(cat id)" 2>err &&
	grep "another process is executing the run" err &&
	mlops-pipeline show --json "$(cat id)" | jq -e ".status == \"Failed\"" &&
	mlops-pipeline retry "$(cat id)" >/dev/null 2>&1
'

test_expect_success 'list and show: table, JSON, prefix IDs, unknown run' '
	write_churn &&
	id=$(mlops-pipeline run 2>/dev/null) &&
	mlops-pipeline list >list &&
	grep "^$id	churn	Succeeded" list &&
	head -n 1 list | tr "\t" "\n" >columns &&
	mlops-pipeline list --help >help &&
	grep -q "^run$" columns && grep -q "^cached$" columns &&
	grep -q "cache hits" help &&
	mlops-pipeline list --json | jq -s -e "length == 1 and .[0].id == \"$id\"" &&
	mlops-pipeline show "$(echo $id | cut -c1-18)" >show &&
	grep "^status: *Succeeded" show &&
	grep "^register	Succeeded" show &&
	test_expect_code 4 mlops-pipeline show nosuchrun 2>err &&
	grep "no run .nosuchrun." err
'

test_expect_success 'logs -f follows a run until it ends' '
	cat >pipeline.yaml <<-\EOF
	name: follow
	steps:
	  - {name: a, run: echo one; sleep 1; echo two}
	EOF
	mlops-pipeline run >id 2>/dev/null &
	runner=$! &&
	for i in $(seq 50); do test -s id && break; sleep 0.1; done &&
	timeout 20 mlops-pipeline logs -f "$(cat id)" a >log &&
	wait $runner &&
	printf "one\ntwo\n" >expect &&
	test_cmp expect log
'

test_done
