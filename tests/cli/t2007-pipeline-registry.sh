#!/bin/bash
# t2007-pipeline-registry.sh - the shipped register-model template with the
# real mlops-registry: a version registered from a pipeline step records
# the run's lineage (run, step, commit, the hashes of the step's inputs).
. "$(dirname "$0")/test-lib.sh"

# A git repository with a tiny data set and a pipeline of the templates.
make_repo() {
	git init -q -b main repo &&
	git -C repo config user.email t@example.com &&
	git -C repo config user.name T &&
	$PYTHON - repo <<-\PY &&
	import random, sys
	random.seed(7)
	xs = [random.random() for _ in range(300)]
	rows = ["%d,%.4f,%.4f" % (x + 0.2 * random.random() > 0.6, x, random.random())
	        for x in xs]
	for name, part in (("train", rows[:200]), ("test", rows[200:])):
	    with open("%s/%s.csv" % (sys.argv[1], name), "w") as f:
	        f.write("label,x,z\n" + "\n".join(part) + "\n")
	PY
	cat >repo/pipeline.yaml <<-EOF &&
	name: tpl
	parameters:
	  min_auc: {type: float, default: 0.7}
	steps:
	  - {name: train, template: train-xgboost, with: {rounds: 10, python: $PYTHON}}
	  - {name: evaluate, needs: [train], template: evaluate-binary-classifier,
	     with: {python: $PYTHON}}
	  - {name: publish, needs: [evaluate], template: register-model,
	     with: {group: churn}, when: "\${steps.evaluate.properties.auc} >= \${min_auc}"}
	EOF
	git -C repo add . && git -C repo commit -q -m data
}

test_expect_success 'register-model registers the run'"'"'s model with its metrics' '
	make_repo &&
	id=$(mlops-pipeline run -f repo/pipeline.yaml 2>err) &&
	grep "publish: succeeded" err &&
	ws=$MLOPS_STORE/runs/$id &&
	mlops-registry list --json churn >list.json &&
	test_line_count = 1 list.json &&
	mlops-registry get -o got churn/1 &&
	cmp got/model.json "$ws/model.json" &&
	mlops-registry show --json churn/1 >show.json &&
	jq -e --slurpfile e "$ws/evaluation.json" \
		".metrics.auc == \$e[0].auc and .metrics.rows == 100" show.json &&
	jq -e ".framework == \"xgboost\"" show.json
'

test_expect_success 'the version'"'"'s lineage names the run, step, commit and input hashes' '
	make_repo &&
	id=$(mlops-pipeline run -f repo/pipeline.yaml 2>err) &&
	ws=$MLOPS_STORE/runs/$id &&
	commit=$(git -C repo rev-parse HEAD) &&
	mlops-registry lineage --json churn/1 >l.json &&
	jq -e --arg c "$commit" --arg r "$id" \
		".lineage.git_commit == \$c and .lineage.run_id == \$r and
		 .lineage.step == \"publish\"" l.json &&
	for f in model.json evaluation.json; do
		h=$(sha256sum "$ws/$f" | cut -d" " -f1) &&
		jq -e --arg f $f --arg h $h ".lineage.inputs[\$f] == \$h" l.json ||
		return 1
	done &&
	mlops-registry lineage churn/1 >l.txt &&
	grep "^run: *$id\$" l.txt &&
	grep "^step: *publish\$" l.txt &&
	grep "^commit: *$commit\$" l.txt &&
	grep "^input: *model.json  *$(sha256sum "$ws/model.json" | cut -d" " -f1)\$" l.txt
'

test_expect_success 'a run of a clean checkout (--commit) records that commit' '
	make_repo &&
	c1=$(git -C repo rev-parse HEAD) &&
	echo "# second" >>repo/pipeline.yaml &&
	git -C repo commit -q -am second &&
	id=$(mlops-pipeline run --repo repo --commit HEAD~1 2>err) &&
	mlops-registry lineage --json churn/1 >l.json &&
	jq -e --arg c "$c1" --arg r "$id" \
		".lineage.git_commit == \$c and .lineage.run_id == \$r" l.json
'

test_expect_success 'a retried register step finds its version, makes no second' '
	cat >pipeline.yaml <<-EOF &&
	name: again
	steps:
	  - name: train
	    run: echo model >model.bin
	    outputs: [model.bin]
	  - name: publish
	    needs: [train]
	    cache: false
	    run: >-
	      mlops-registry register --framework exec --entry cat
	      --artifact model.bin churn && test -f $PWD/fixed
	    retry: {attempts: 2, backoff: 10ms}
	EOF
	test_expect_code 1 mlops-pipeline run >id 2>err &&
	grep "publish: failed" err &&
	mlops-pipeline logs "$(cat id)" publish >log &&
	test $(grep -c "^churn/1$" log) = 2 &&
	grep "churn/1 already holds these artifacts from run $(cat id) step publish" log &&
	touch fixed &&
	mlops-pipeline retry "$(cat id)" >/dev/null 2>err &&
	mlops-registry list --json churn >list.json &&
	test_line_count = 1 list.json &&
	mlops audit log | grep -c "registry.register" >n &&
	test "$(cat n)" = 1 &&
	echo other >model2.bin &&
	MLOPS_RUN_ID=$(cat id) MLOPS_STEP=publish mlops-registry register \
		--framework exec --entry cat --artifact model2.bin churn >v &&
	test "$(cat v)" = churn/2
'

# fit -> score -> publish, where publish reads the model, the scores and
# the training data, and names the data again with --dataset; fit also
# reads the feature group "customers".
make_card_pipeline() {
	test_customers_group &&
	seq 1 20 >train.csv &&
	cat >pipeline.yaml <<-\EOF
	name: card
	steps:
	  - name: fit
	    inputs: [train.csv, feature:customers]
	    run: echo "{\"learner\":{},\"rows\":$(wc -l <train.csv)}" >model.json
	    outputs: [model.json]
	  - name: score
	    needs: [fit]
	    run: echo "{\"auc\":0.9}" >evaluation.json
	    outputs: [evaluation.json]
	  - name: publish
	    needs: [score]
	    inputs: [model.json, evaluation.json, train.csv]
	    cache: false
	    run: mlops-registry register -a model.json --metrics evaluation.json --dataset train.csv churn
	EOF
}

test_expect_success 'the card names the step that made the model and what it read, once' '
	make_card_pipeline &&
	id=$(mlops-pipeline run 2>err) &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card show --json churn/1 >card &&
	jq -r ".content.training_details.training_job_details.training_arn" card >arn &&
	echo "run/$id/fit" >expect && test_cmp expect arn &&
	state=$(jq -r ".steps[0].inputs[\"feature:customers\"]" \
		<(mlops-pipeline show --json $id)) &&
	echo "$state" | grep -E "^1@[0-9]+$" &&
	jq -r ".content.training_details.training_job_details.training_datasets[]" card |
		sort >got &&
	printf "%s\n" "feature:customers $state" \
		"train.csv sha256:$(sha256sum train.csv | cut -d" " -f1)" >expect &&
	test_cmp expect got &&
	jq -e ".content.additional_information.custom_details.pipeline_step == \"publish\"" card &&
	mlops-registry lineage churn/1 >l.txt &&
	grep "^trained by:  *run/$id/fit\$" l.txt &&
	grep "^trained on:  *feature:customers  *$state\$" l.txt
'

test_expect_success 'a fit restored from the cache is still the training step' '
	make_card_pipeline &&
	mlops-pipeline run >/dev/null 2>&1 &&
	id2=$(mlops-pipeline run 2>err) &&
	grep "fit: cache hit" err &&
	mlops-registry card create churn/2 >/dev/null &&
	test "$(mlops-registry card show --json churn/2 |
		jq -r .content.training_details.training_job_details.training_arn)" = "run/$id2/fit"
'

test_done
