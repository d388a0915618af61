#!/bin/bash
# t6007-monitor-template.sh - the shipped baseline template makes a
# baseline a pipeline step: its outputs are the files mlops-monitor
# baseline writes, and a second run restores them from the cache.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a pipeline step of the baseline template' '
	git init -q -b main repo &&
	git -C repo config user.email t@example.com &&
	git -C repo config user.name T &&
	printf "age,plan\n30,gold\n40,basic\n50,gold\n" >repo/train.csv &&
	cat >repo/pipeline.yaml <<-\EOF &&
	name: monitored
	steps:
	  - {name: baseline, template: baseline, with: {data: train.csv},
	     cache: true}
	EOF
	git -C repo add . && git -C repo commit -q -m data &&
	id=$(mlops-pipeline run -f repo/pipeline.yaml 2>err) &&
	grep "baseline: succeeded" err &&
	ws=$MLOPS_STORE/runs/$id &&
	mlops-monitor baseline --data repo/train.csv -o direct &&
	test_cmp direct/statistics.json "$ws/baseline/statistics.json" &&
	test_cmp direct/constraints.json "$ws/baseline/constraints.json" &&
	id2=$(mlops-pipeline run -f repo/pipeline.yaml 2>err) &&
	grep "baseline: cache hit" err &&
	test_cmp direct/statistics.json \
		"$MLOPS_STORE/runs/$id2/baseline/statistics.json"
'

test_done
