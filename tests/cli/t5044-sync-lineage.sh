#!/bin/bash
# t5044-sync-lineage.sh - which data trained the model in production:
# `mlops-feature dataset -o` records the groups (and their ingest state)
# a training dataset was built from; a version registered by a pipeline
# whose training step read that dataset carries them in its lineage;
# the lineage travels with `mlops sync`, so production answers it.
. "$(dirname "$0")/test-lib.sh"

# A pipeline: build a dataset from customers, "train" on it, register.
write_pipeline() {
	test_customers_group &&
	printf "customer_id,event_time,age\nc2,2026-01-02T00:00:00Z,41\n" |
		mlops-feature ingest customers - >/dev/null &&
	printf "customer_id,event_time,label\nc1,2026-06-01T00:00:00Z,1\nc2,2026-06-01T00:00:00Z,0\n" \
		>entities.csv &&
	cat >pipeline.yaml <<-\EOF
	name: churn
	steps:
	  - name: dataset
	    inputs: [feature:customers, entities.csv]
	    run: mlops-feature dataset --entities entities.csv --features customers:age -o train.csv
	    outputs: [train.csv]
	  - name: train
	    needs: [dataset]
	    inputs: [train.csv]
	    run: sha256sum train.csv >model.bin
	    outputs: [model.bin]
	  - name: register
	    needs: [train]
	    inputs: [model.bin]
	    run: mlops-registry register -a model.bin --framework exec --entry "cat" churn
	    cache: false
	EOF
}

test_expect_success 'dataset -o records the groups and their ingest state' '
	test_customers_group &&
	printf "customer_id,event_time\nc1,2026-06-01T00:00:00Z\n" >e.csv &&
	mlops-feature dataset --entities e.csv --features customers:age -o ds.csv &&
	h=$(sha256sum ds.csv | cut -d" " -f1) &&
	sqlite3 "$MLOPS_STORE/mlops.db" \
		"SELECT groups FROM feature_dataset WHERE hash = \"$h\"" >g.json &&
	state=$(sqlite3 "$MLOPS_STORE/mlops.db" \
		"SELECT data_version || \"@\" || created_us FROM feature_group") &&
	jq -e --arg s "$state" ".[0].group == \"customers\" and
		.[0].state == \$s and .[0].records == 1 and
		.[0].environment == \"test\" and (.[0].last_ingest | length) > 0" \
		g.json &&
	mlops audit log --json >audit &&
	jq -se "any(.action == \"feature.dataset\" and .detail.hash == \"$h\")" \
		audit &&
	mlops-feature dataset --entities e.csv --features customers:age >stdout.csv &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM feature_dataset" >n &&
	echo 1 >one &&
	test_cmp one n
'

test_expect_success 'a pipeline-trained version names its feature data, here and in prod' '
	write_pipeline &&
	id=$(mlops-pipeline run 2>err) || { cat err; false; } &&
	state=$(sqlite3 "$MLOPS_STORE/mlops.db" \
		"SELECT data_version || \"@\" || created_us FROM feature_group") &&
	h=$(sha256sum "$MLOPS_STORE/runs/$id/train.csv" | cut -d" " -f1) &&
	mlops-registry lineage --json churn/1 >ml.json &&
	jq -e --arg s "$state" --arg h "$h" \
		".lineage.features[0].hash == \$h and
		 .lineage.features[0].step == \"train\" and
		 .lineage.features[0].groups[0].group == \"customers\" and
		 .lineage.features[0].groups[0].state == \$s and
		 .lineage.features[0].groups[0].records == 2" ml.json &&
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	mlops sync --to prod model churn/1 >/dev/null &&
	export MLOPS_STORE=$PWD/prod/.mlops &&
	mlops-registry approve churn/1 >/dev/null &&
	mlops-deploy create churn --model churn/1 >/dev/null &&
	model=$(mlops-deploy describe --json churn | jq -r .model) &&
	test "$model" = churn/1 &&
	mlops-registry lineage --json "$model" >prod.json &&
	jq -S .lineage.features ml.json >a &&
	jq -S .lineage.features prod.json >b &&
	test_cmp a b &&
	mlops-registry lineage "$model" >prod.txt &&
	grep "^features: *customers in test: data version [0-9]*, 2 records, last ingest 20.* (dataset train.csv $h)" prod.txt
'

test_expect_success 'a version registered without datasets has no features lineage' '
	echo "{}" >m.json &&
	mlops-registry register -a m.json plain >/dev/null &&
	mlops-registry lineage --json plain/1 >l.json &&
	jq -e ".lineage.features == null" l.json
'

test_done
