#!/bin/bash
# t3003-registry-lineage.sh - lineage recorded from a pipeline step's
# environment and by hand, and diff between versions.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'a pipeline step leaves run, step, commit and inputs' '
	git init -q repo &&
	(cd repo && echo a >f && git add f &&
	 git -c user.email=t@e -c user.name=t commit -q -m one) &&
	commit=$(git -C repo rev-parse HEAD) &&
	echo model >model.json &&
	MLOPS_RUN_ID=run-42 MLOPS_STEP=train MLOPS_GIT_COMMIT=$commit \
	MLOPS_STEP_INPUTS="{\"data/train.csv\":\"$(echo x | sha256sum | cut -c1-64)\"}" \
		mlops-registry register -a model.json churn &&
	mlops-registry lineage --json churn/1 >out &&
	test "$(jq -r .lineage.run_id out)" = run-42 &&
	test "$(jq -r .lineage.step out)" = train &&
	test "$(jq -r .lineage.git_commit out)" = "$commit" &&
	test "$(jq -r ".lineage.inputs[\"data/train.csv\"]" out)" = \
		"$(echo x | sha256sum | cut -c1-64)" &&
	test "$(jq -r .registered.user out)" = tester@example.com &&
	test "$(jq -r .approved out)" = null &&
	mlops-registry lineage churn/1 >text &&
	grep "^commit: *$commit" text &&
	grep "^run: *run-42" text &&
	grep "^input: *data/train.csv" text &&
	grep "^approved: *-" text
'

test_expect_success 'lineage names who approved, with the note' '
	echo model >model.json &&
	mlops-registry register -a model.json churn &&
	MLOPS_USER=lead@example.com mlops-registry approve -m "signed off" churn/1 &&
	mlops-registry lineage churn/1 >text &&
	grep "^approved: .* by lead@example.com in test: signed off" text &&
	grep "^registered: .* by tester@example.com" text
'

test_expect_success '--dataset records a dataset hash by hand' '
	echo model >model.json &&
	seq 1 100 >train.csv &&
	mlops-registry register -a model.json --dataset train.csv churn &&
	mlops-registry lineage --json churn/1 >out &&
	test "$(jq -r ".lineage.datasets[0].path" out)" = train.csv &&
	test "$(jq -r ".lineage.datasets[0].hash" out)" = \
		"$(sha256sum train.csv | cut -d" " -f1)" &&
	test_snapshot &&
	test_expect_code 4 mlops-registry register -a model.json --dataset nope.csv churn 2>err &&
	grep "dataset: cannot open .nope.csv.: No such file" err &&
	test_store_unchanged
'

test_expect_success 'a malformed MLOPS_STEP_INPUTS is refused, nothing changed' '
	echo model >model.json &&
	test_snapshot &&
	MLOPS_STEP_INPUTS="[1,2]" test_expect_code 3 \
		mlops-registry register -a model.json churn 2>err &&
	grep "MLOPS_STEP_INPUTS must be a JSON object" err &&
	test_store_unchanged
'

test_expect_success 'diff shows metrics with deltas and params; exit 1 when they differ' '
	echo model >model.json &&
	echo "{\"auc\": 0.80, \"eval\": {\"rmse\": 2.5}}" >m1.json &&
	echo "{\"auc\": 0.85, \"eval\": {\"rmse\": 2.0}}" >m2.json &&
	mlops-registry register -a model.json --metrics m1.json --param eta=0.1 churn &&
	mlops-registry register -a model.json --metrics m2.json --param eta=0.3 --param depth=6 churn &&
	test_expect_code 1 mlops-registry diff churn/1 churn/2 >out &&
	grep "^metric auc	0.8	0.85	+0.05" out &&
	grep "^metric eval.rmse	2.5	2	-0.5" out &&
	grep "^param depth	-	6	differs" out &&
	grep "^param eta	0.1	0.3	differs" out &&
	test_expect_code 1 mlops-registry diff --json churn/1 churn/2 >json &&
	test "$(jq -r .differ json)" = true &&
	test "$(jq -r ".metrics[0].key" json)" = auc
'

test_expect_success 'diff of equal versions exits 0; of a missing one exits 4' '
	echo model >model.json &&
	echo "{\"auc\": 0.8}" >m.json &&
	mlops-registry register -a model.json --metrics m.json --param eta=0.1 churn &&
	mlops-registry register -a model.json --metrics m.json --param eta=0.1 churn &&
	mlops-registry diff churn/1 churn/2 &&
	mlops-registry alias set churn champion 1 &&
	mlops-registry diff churn@champion churn &&
	test_expect_code 4 mlops-registry diff churn/1 churn/3 2>err &&
	grep "churn/3 not found" err &&
	test_expect_code 2 mlops-registry diff churn/1
'

test_expect_success 'diff across groups compares artifacts too' '
	echo one >a.bin && echo two >b.bin &&
	mlops-registry register -a a.bin --param p=1 churn &&
	mv b.bin a.bin &&
	mlops-registry register -a a.bin --param p=1 fraud &&
	test_expect_code 1 mlops-registry diff churn/1 fraud/1 >out &&
	grep "^artifact a.bin" out
'

test_done
