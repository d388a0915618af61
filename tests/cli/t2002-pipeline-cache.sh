#!/bin/bash
# t2002-pipeline-cache.sh - step caching: unchanged steps are restored byte
# for byte, a changed input re-runs only what depends on it, parameters,
# --no-cache, cache: false, expiry, and gc keeps cached outputs.
. "$(dirname "$0")/test-lib.sh"

# a -> c <- b, and d alone; each step counts its runs in a file outside
# the workspace, so that a restored step is seen not to have run.
write_dag() {
	echo A >a.txt &&
	echo B >b.txt &&
	mkdir -p counts &&
	cat >pipeline.yaml <<-EOF
	name: dag
	parameters:
	  scale: {type: int, default: 2}
	steps:
	  - name: a
	    run: echo a >>$PWD/counts/a; (cat a.txt; head -c 3000 /dev/urandom | od -x) >a.out; chmod 750 a.out
	    inputs: [a.txt]
	    outputs: [a.out]
	  - name: b
	    run: echo b >>$PWD/counts/b; mkdir -p sub; cat b.txt >sub/b.out
	    inputs: ["b*.txt"]
	    outputs: [sub/b.out]
	  - name: c
	    needs: [a, b]
	    run: echo c >>$PWD/counts/c; cat a.out sub/b.out >c.out
	    outputs: [c.out]
	  - name: d
	    run: echo d >>$PWD/counts/d; echo scale=\${scale} >d.out
	    outputs: [d.out]
	EOF
}

runs_of() {
	wc -l <counts/$1
}

test_expect_success 'an unchanged pipeline runs nothing: every step is a hit' '
	write_dag &&
	id1=$(mlops-pipeline run 2>/dev/null) &&
	id2=$(mlops-pipeline run 2>err) &&
	for s in a b c d; do test "$(runs_of $s)" = 1 || return 1; done &&
	grep -c "cache hit" err >hits &&
	echo 4 >expect && test_cmp expect hits &&
	grep "a: cache hit, 1 output restored from run $id1" err &&
	mlops-pipeline show --json "$id2" >show.json &&
	jq -e "([.steps[].cacheHit] | unique) == [true] and
		([.steps[].cacheSource] | unique) == [\"$id1\"]" show.json &&
	mlops event log --json --type "Pipeline Execution Step Status Change" >ev &&
	jq -se "map(select(.detail.pipelineExecutionId == \"$id2\" and .detail.stepName == \"a\"))
		| .[0].detail.cacheHitResult.sourcePipelineExecutionArn == \"pipeline/dag/execution/$id1\"" ev
'

test_expect_success 'a hit restores the outputs byte for byte, with their modes' '
	write_dag &&
	id1=$(mlops-pipeline run 2>/dev/null) &&
	id2=$(mlops-pipeline run 2>/dev/null) &&
	for f in a.out sub/b.out c.out d.out; do
		cmp "$MLOPS_STORE/runs/$id1/$f" "$MLOPS_STORE/runs/$id2/$f" || return 1
	done &&
	test "$(stat -c %a "$MLOPS_STORE/runs/$id2/a.out")" = 750
'

test_expect_success 'changing one input re-runs only the steps that depend on it' '
	write_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	echo B2 >b.txt &&
	mlops-pipeline run >id 2>err &&
	test "$(runs_of a)" = 1 && test "$(runs_of b)" = 2 &&
	test "$(runs_of c)" = 2 && test "$(runs_of d)" = 1 &&
	grep "B2" "$MLOPS_STORE/runs/$(cat id)/c.out"
'

test_expect_success 'a glob input picks up a new file' '
	write_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	echo more >b2.txt &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of b)" = 2 && test "$(runs_of a)" = 1
'

test_expect_success 'a parameter re-runs only the steps that refer to it' '
	write_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	mlops-pipeline run -p scale=3 >id 2>/dev/null &&
	test "$(runs_of d)" = 2 && test "$(runs_of a)" = 1 &&
	grep "^scale=3$" "$MLOPS_STORE/runs/$(cat id)/d.out" &&
	mlops-pipeline run -p scale=3 >/dev/null 2>&1 &&
	test "$(runs_of d)" = 2
'

test_expect_success 'a changed command re-runs the step and those after it' '
	write_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	sed -i "s/cat a.txt;/cat a.txt; echo v2;/" pipeline.yaml &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of a)" = 2 && test "$(runs_of c)" = 2 &&
	test "$(runs_of b)" = 1
'

test_expect_success '--no-cache runs everything and stores nothing' '
	write_dag &&
	mlops-pipeline run --no-cache >/dev/null 2>&1 &&
	test "$(sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM pipeline_cache")" = 0 &&
	mlops-pipeline run >/dev/null 2>err &&
	! grep "cache hit" err &&
	for s in a b c d; do test "$(runs_of $s)" = 2 || return 1; done
'

test_expect_success 'cache: false always runs; expire makes an entry stale' '
	mkdir -p counts &&
	cat >pipeline.yaml <<-EOF
	name: exp
	steps:
	  - name: never
	    run: echo x >>$PWD/counts/never
	    cache: false
	  - name: short
	    run: echo x >>$PWD/counts/short
	    cache: {expire: 1s}
	EOF
	mlops-pipeline run >/dev/null 2>&1 &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of never)" = 2 && test "$(runs_of short)" = 1 &&
	sleep 1.2 &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of short)" = 2
'

test_expect_success 'cached outputs are held by cache:KEY: gc keeps them, fsck is clean' '
	write_dag &&
	id1=$(mlops-pipeline run 2>/dev/null) &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT DISTINCT owner FROM object_ref" >owners &&
	test "$(grep -c "^cache:[0-9a-f]\{64\}$" owners)" = 4 &&
	grep "^run:$id1$" owners &&
	mlops gc >/dev/null &&
	mlops fsck >/dev/null &&
	id2=$(mlops-pipeline run 2>err) &&
	test "$(grep -c "cache hit" err)" = 4 &&
	cmp "$MLOPS_STORE/runs/$id1/c.out" "$MLOPS_STORE/runs/$id2/c.out"
'

test_expect_success 'a lost blob is not a hit: the step runs again' '
	write_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	h=$(sha256sum "$MLOPS_STORE"/runs/*/d.out | cut -d" " -f1) &&
	rm -f "$MLOPS_STORE/objects/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-)" &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of d)" = 2 && test "$(runs_of a)" = 1
'

test_expect_success 'a declared output the step did not write fails the step' '
	cat >pipeline.yaml <<-\EOF
	name: missing
	steps:
	  - name: lazy
	    run: "true"
	    outputs: [result.csv]
	EOF
	test_expect_code 1 mlops-pipeline run >id 2>err &&
	grep "did not write its output .result.csv." err &&
	test "$(sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM pipeline_cache")" = 0
'

# Ingest rows (lines "ID,TIME,AGE\n") into the group "customers".
ingest_customers() {
	printf "customer_id,event_time,age\n$1" |
		mlops-feature ingest customers - >/dev/null
}

# A feature group "customers", two steps reading it (one through a
# template), and one that does not.
write_feature_dag() {
	test_customers_group &&
	mkdir -p counts templates &&
	cat >templates/reader.yaml <<-EOF &&
	template: reader
	parameters:
	  group: {type: string}
	step:
	  inputs: ["feature:\${group}"]
	  run: echo t >>$PWD/counts/t; echo "\$MLOPS_STEP_INPUTS" >t.out
	  outputs: [t.out]
	EOF
	cat >pipeline.yaml <<-EOF
	name: feat
	steps:
	  - name: train
	    inputs: [feature:customers]
	    run: echo train >>$PWD/counts/train; ls \$MLOPS_STORE/offline/customers >train.out
	    outputs: [train.out]
	  - {name: t, template: reader, with: {group: customers}}
	  - name: other
	    run: echo other >>$PWD/counts/other; echo x >other.out
	    outputs: [other.out]
	EOF
}

test_expect_success 'a new ingest re-runs exactly the steps that read the group' '
	write_feature_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	mlops-pipeline run >/dev/null 2>err &&
	test "$(grep -c "cache hit" err)" = 3 &&
	ingest_customers "c2,2026-01-02T00:00:00Z,40\n" &&
	id=$(mlops-pipeline run 2>err) &&
	test "$(runs_of train)" = 2 && test "$(runs_of t)" = 2 &&
	test "$(runs_of other)" = 1 &&
	grep "other: cache hit" err &&
	jq -e ".[\"feature:customers\"] | test(\"^2@[0-9]+$\")" \
		"$MLOPS_STORE/runs/$id/t.out" &&
	mlops-feature delete --event-time 2026-01-03T00:00:00Z customers c1 &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of train)" = 3 && test "$(runs_of other)" = 1 &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of train)" = 3
'

test_expect_success 'an ingest that stores no row keeps the cache' '
	write_feature_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	ingest_customers "" &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of train)" = 1
'

test_expect_success 'a dropped and re-made group is new data' '
	write_feature_dag &&
	mlops-pipeline run >/dev/null 2>&1 &&
	mlops-feature drop --force customers >/dev/null &&
	mlops-feature create customers.yaml >/dev/null &&
	ingest_customers "c1,2026-01-01T00:00:00Z,30\n" &&
	mlops-pipeline run >/dev/null 2>&1 &&
	test "$(runs_of train)" = 2
'

test_expect_success 'an unknown feature group is a positioned error, nothing runs' '
	write_feature_dag &&
	sed -i "s/feature:customers/feature:nosuch/" pipeline.yaml &&
	test_expect_code 3 mlops-pipeline validate 2>err &&
	grep "pipeline.yaml:4:14: step .train. reads feature group .nosuch., which does not exist" err &&
	test_expect_code 3 mlops-pipeline run 2>err &&
	grep "pipeline.yaml:4:14: step .train. reads" err &&
	test ! -e counts/other &&
	sed -i "s/feature:nosuch/\"feature:no such\"/" pipeline.yaml &&
	test_expect_code 3 mlops-pipeline validate 2>err &&
	grep "pipeline.yaml:4:14: step .train.: .feature:no such. does not name a feature group" err &&
	sed -i "s/\"feature:no such\"/feature:customers/" pipeline.yaml &&
	sed -i "s/group: customers/group: gone/" pipeline.yaml &&
	test_expect_code 3 mlops-pipeline validate 2>err &&
	grep "templates/reader.yaml:5:12: step .t. reads feature group .gone." err
'

test_done
