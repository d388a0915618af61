#!/bin/bash
# t0301-retrain-synced.sh - the shipped rule retrain-on-violations in an
# environment the model was synced to (make demo's prod): the pipeline
# runs again in the store that trained the version, which a remote names
# by its environment; without such a remote the delivery is a dead letter
# that says so.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
unset MLOPS_NO_AUTO_DISPATCH

# This store (environment "test") trains churn/1 with a pipeline at a
# commit; a store prod serves it as "web" after mlops sync, with the rule.
setup() {
	git init -q -b main repo &&
	git -C repo config user.email t@example.com &&
	git -C repo config user.name T &&
	cat >repo/pipeline.yaml <<-\EOF &&
	name: train
	steps:
	  - name: publish
	    cache: false
	    run: >-
	      echo cat >worker.sh &&
	      mlops-registry register churn --artifact worker.sh
	      --framework exec --entry "sh worker.sh" --status Approved
	EOF
	git -C repo add . && git -C repo commit -q -m first &&
	git -C repo rev-parse HEAD >trained-at &&
	mlops-pipeline run --repo repo --commit HEAD -f pipeline.yaml >/dev/null 2>&1 &&
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	mlops sync --to prod model churn/1 >/dev/null &&
	MLOPS_STORE=$PWD/prod mlops-deploy create web --model churn/1 >/dev/null &&
	MLOPS_STORE=$PWD/prod mlops event rule add retrain \
		--from retrain-on-violations --retries 0
}

violation() {
	MLOPS_STORE=$PWD/prod put_event mlops.monitor \
		"Monitoring Execution Status Change" \
		"{\"endpointName\":\"web\",\"violations\":2}" >/dev/null
}

versions() {
	test "$(mlops-registry list --json churn | wc -l)" = "$1"
}

test_expect_success 'a violation in prod retrains in the store named by a remote' '
	setup &&
	MLOPS_STORE=$PWD/prod mlops remote add ml "$MLOPS_STORE" &&
	violation &&
	wait_for versions 2 &&
	MLOPS_STORE=$PWD/prod wait_for dispatch_idle &&
	mlops-registry lineage --json churn/2 |
		jq -e --arg c "$(cat trained-at)" ".lineage.git_commit == \$c" &&
	test "$(MLOPS_STORE=$PWD/prod mlops-registry list --json churn | wc -l)" = 1 &&
	grep "retrain: web serves churn/1" prod/.mlops/events/dispatch.log
'

test_expect_success 'without a remote for its origin: a dead letter saying so' '
	setup &&
	violation &&
	MLOPS_STORE=$PWD/prod wait_for dead_letters 1 &&
	MLOPS_STORE=$PWD/prod wait_for dispatch_idle &&
	MLOPS_STORE=$PWD/prod mlops event dead-letters --json >dead &&
	jq -e ".exitStatus == 4 and
		(.reason | test(\"churn/1 came from test, which no remote names\"))" dead &&
	versions 1
'

test_done
