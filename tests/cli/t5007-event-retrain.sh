#!/bin/bash
# t5007-event-retrain.sh - the shipped rule retrain-on-violations: a
# monitoring execution with violations runs the training pipeline again,
# at the commit that trained the model the endpoint serves (its lineage
# says which), with nobody running anything.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
unset MLOPS_NO_AUTO_DISPATCH

# A repository whose pipeline "train" publishes an exec model (a worker
# that echoes its input) as an Approved version of churn; the endpoint
# "web" serves what the first run (given -p note=...) registered; then
# the repository moves on, so that HEAD is no longer the commit that
# trained the model.
setup() {
	git init -q -b main repo &&
	git -C repo config user.email t@example.com &&
	git -C repo config user.name T &&
	mkdir repo/ml &&
	cat >repo/ml/pipeline.yaml <<-\EOF &&
	name: train
	parameters:
	  note: {type: string, default: none}
	steps:
	  - name: fit
	    run: echo cat >worker.sh
	    outputs: [worker.sh]
	  - name: publish
	    needs: [fit]
	    cache: false
	    run: >-
	      mlops-registry register churn --artifact worker.sh
	      --framework exec --entry "sh worker.sh" --status Approved
	EOF
	git -C repo add . && git -C repo commit -q -m first &&
	git -C repo rev-parse HEAD >trained-at &&
	mlops-pipeline run -f repo/ml/pipeline.yaml -p "note=first run" \
		>first-run 2>/dev/null &&
	mlops-deploy create web --model churn/1 >/dev/null &&
	echo "# later work" >>repo/ml/pipeline.yaml &&
	git -C repo commit -q -am second
}

# A baseline of age,spend, and three requests to "web" in its data
# capture (mlops-capture(5)) now, one with a negative spend: a violation
# of the baseline's constraints. $later is when this hour's window has
# ended.
capture() {
	printf "age,spend\n30,1.5\n40,2.5\n50,3.5\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base &&
	hour=$(date +%s) &&
	dir=.mlops/capture/web/$(date -u -d @$hour +%Y/%m/%d/%H) &&
	mkdir -p "$dir" &&
	for row in 31,2.0 41,-3.0 51,4.0; do
		jq -nc --arg row "$row" --arg t "$(date -u -d @$hour +%FT%T.000Z)" \
			"{captureData: {endpointInput: {observedContentType:
			  \"text/csv\", mode: \"INPUT\", data: (\$row + \"\\n\"),
			  encoding: \"CSV\"}}, eventMetadata: {eventId: (\"e-\" + \$row),
			  inferenceTime: \$t}, eventVersion: \"0\"}" || return 1
	done >"$dir/capture.jsonl" &&
	later=$(date -u -d @$((hour + 3 * 3600)) +%FT%TZ)
}

runs_done() {
	mlops-pipeline list --json >runs.json &&
	test "$(jq -s "[.[] | select(.status != \"Executing\")] | length" runs.json)" = "$1"
}

test_expect_success 'violations -> rule -> the pipeline runs at the training commit' '
	setup &&
	capture &&
	mlops event rule add retrain --from retrain-on-violations &&
	mlops-monitor schedule create hourly --endpoint web --baseline base &&
	test_expect_code 1 mlops-monitor run-due --now "$later" >out &&
	grep "CompletedWithViolations" out &&
	wait_for runs_done 2 &&
	wait_for dispatch_idle &&
	jq -s -e --arg c "$(cat trained-at)" --arg first "$(cat first-run)" "
		length == 2 and .[1].id != \$first and .[1].pipeline == \"train\"
		and .[1].status == \"Succeeded\" and .[1].gitCommit == \$c
		and .[1].parameters.note == \"first run\"" runs.json &&
	mlops-registry lineage --json churn/2 |
		jq -e --arg c "$(cat trained-at)" ".lineage.git_commit == \$c" &&
	mlops event rule show --json retrain | jq -e ".delivered >= 1 and .deadLetters == 0" &&
	grep "retrain: web serves churn/1, from run $(cat first-run) at $(cat trained-at)" \
		"$MLOPS_STORE/events/dispatch.log"
'

test_expect_success 'an execution without violations runs nothing' '
	setup &&
	mlops event rule add retrain --from retrain-on-violations &&
	put_event mlops.monitor "Monitoring Execution Status Change" \
		"{\"endpointName\":\"web\",\"violations\":0}" >/dev/null &&
	wait_for dispatch_idle &&
	MLOPS_NO_AUTO_DISPATCH=1 mlops event dispatch >out &&
	test_line_count = 0 out &&
	mlops-pipeline list --json >runs.json && test_line_count = 1 runs.json
'

test_expect_success 'a model no pipeline made goes to the dead letters, saying so' '
	echo cat >w.sh &&
	mlops-registry register hand --artifact w.sh --framework exec \
		--entry "sh w.sh" --status Approved >/dev/null &&
	mlops-deploy create web --model hand/1 >/dev/null &&
	mlops event rule add retrain --from retrain-on-violations --retries 0 &&
	put_event mlops.monitor "Monitoring Execution Status Change" \
		"{\"endpointName\":\"web\",\"violations\":2}" >/dev/null &&
	wait_for dead_letters 1 &&
	wait_for dispatch_idle &&
	mlops event dead-letters --json >dead &&
	jq -e ".rule == \"retrain\" and .exitStatus == 4 and
		(.reason | test(\"hand/1 was not made by a pipeline run\"))" dead
'

test_done
