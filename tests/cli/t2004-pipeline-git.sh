#!/bin/bash
# t2004-pipeline-git.sh - the CodeCommit/CodePipeline stand-in: runs of a
# commit in a clean checkout, post-commit and post-receive hooks, chaining
# a user's hook, and the commit recorded on each run.
. "$(dirname "$0")/test-lib.sh"

# A repository with a two-branch DAG: features <- a.txt, labels <- b.txt,
# model <- both. Each step counts its runs outside the workspace.
make_repo() {
	git init -q -b main repo &&
	git -C repo config user.email dev@example.com &&
	git -C repo config user.name Dev &&
	mkdir -p counts &&
	echo A >repo/a.txt &&
	echo B >repo/b.txt &&
	cat >repo/pipeline.yaml <<-EOF &&
	name: repo
	steps:
	  - name: features
	    run: echo x >>$PWD/counts/features; cat a.txt >features.out
	    inputs: [a.txt]
	    outputs: [features.out]
	  - name: labels
	    run: echo x >>$PWD/counts/labels; cat b.txt >labels.out
	    inputs: [b.txt]
	    outputs: [labels.out]
	  - name: model
	    needs: [features, labels]
	    run: echo x >>$PWD/counts/model; cat features.out labels.out >model.out; echo "\$MLOPS_GIT_COMMIT" >commit.txt
	    outputs: [model.out, commit.txt]
	EOF
	git -C repo add . &&
	git -C repo commit -q -m first
}

runs_of() {
	wc -l <counts/$1
}

last_run() {
	mlops-pipeline list --json | jq -s -r ".[-1].id"
}

test_expect_success 'run --commit runs a clean checkout of that commit' '
	make_repo &&
	first=$(git -C repo rev-parse HEAD) &&
	echo dirty >repo/a.txt &&
	echo untracked >repo/new.txt &&
	id=$(mlops-pipeline run --commit HEAD --repo repo 2>/dev/null) &&
	ws=$MLOPS_STORE/runs/$id &&
	test "$(cat $ws/features.out)" = A &&
	test "$(cat $ws/commit.txt)" = "$first" &&
	! test -e $ws/new.txt &&
	test "$(cat repo/a.txt)" = dirty &&
	git -C repo status --porcelain >status &&
	printf " M a.txt\n?? new.txt\n" >expect &&
	test_cmp expect status &&
	mlops-pipeline show --json $id | jq -e ".gitCommit == \"$first\"" &&
	mlops event log --json --source mlops.pipeline | head -n 1 |
		jq -e ".detail.gitCommit == \"$first\""
'

test_expect_success 'a run of a working tree records HEAD only when it matches HEAD' '
	make_repo &&
	head=$(git -C repo rev-parse HEAD) &&
	id=$(mlops-pipeline run -f repo/pipeline.yaml 2>err) &&
	! grep "records no commit" err &&
	mlops-pipeline show --json $id | jq -e ".gitCommit == \"$head\"" &&
	test "$(cat $MLOPS_STORE/runs/$id/commit.txt)" = "$head" &&
	echo changed >repo/a.txt &&
	id=$(mlops-pipeline run -f repo/pipeline.yaml 2>err) &&
	grep "uncommitted changes (.a.txt.): the run records no commit" err &&
	mlops-pipeline show --json $id | jq -e ".gitCommit == null" &&
	test "$(cat $MLOPS_STORE/runs/$id/commit.txt)" = "" &&
	git -C repo checkout -q a.txt &&
	echo new >repo/new.txt &&
	id=$(mlops-pipeline run -f repo/pipeline.yaml 2>err) &&
	grep "uncommitted changes (.new.txt.)" err &&
	mlops-pipeline show --json $id | jq -e ".gitCommit == null"
'

test_expect_success 'only the pipeline'"'"'s folder must match HEAD; a store in it does not count' '
	make_repo &&
	mkdir repo/sub &&
	git -C repo mv pipeline.yaml a.txt b.txt sub/ &&
	git -C repo commit -q -m sub &&
	head=$(git -C repo rev-parse HEAD) &&
	echo elsewhere >repo/other.txt &&
	mlops init repo/sub >/dev/null &&
	id=$(MLOPS_STORE=$PWD/repo/sub/.mlops mlops-pipeline run -f repo/sub/pipeline.yaml 2>err) &&
	! grep "records no commit" err &&
	MLOPS_STORE=$PWD/repo/sub/.mlops mlops-pipeline show --json $id |
		jq -e ".gitCommit == \"$head\""
'

test_expect_success 'run --commit of an unknown revision or file: exit 4, nothing recorded' '
	make_repo &&
	test_snapshot &&
	test_expect_code 4 mlops-pipeline run --commit nosuchrev --repo repo 2>err &&
	grep "no commit .nosuchrev." err &&
	test_expect_code 4 mlops-pipeline run --commit HEAD --repo repo -f other.yaml 2>err &&
	grep "has no .other.yaml." err &&
	test_store_unchanged &&
	test -z "$(ls "$MLOPS_STORE/runs")"
'

test_expect_success 'commit -> hook -> run recorded with that commit; next commit re-runs only what changed' '
	make_repo &&
	mlops-pipeline hook install --repo repo --wait >out &&
	grep "installed .*repo/.git/hooks/post-commit" out &&
	echo A2 >repo/a.txt &&
	git -C repo commit -q -am "change a" 2>hook.err &&
	c2=$(git -C repo rev-parse HEAD) &&
	id2=$(last_run) &&
	mlops-pipeline show --json $id2 | jq -e ".gitCommit == \"$c2\" and .status == \"Succeeded\"" &&
	for s in features labels model; do test "$(runs_of $s)" = 1 || return 1; done &&
	echo B2 >repo/b.txt &&
	git -C repo commit -q -am "change b" 2>hook.err &&
	c3=$(git -C repo rev-parse HEAD) &&
	id3=$(last_run) &&
	test "$id3" != "$id2" &&
	mlops-pipeline show --json $id3 >show.json &&
	jq -e ".gitCommit == \"$c3\" and
		(.steps[] | select(.name == \"features\") | .cacheHit == true) and
		(.steps[] | select(.name == \"labels\") | .cacheHit == false) and
		(.steps[] | select(.name == \"model\") | .cacheHit == false)" show.json &&
	test "$(runs_of features)" = 1 && test "$(runs_of labels)" = 2 &&
	test "$(runs_of model)" = 2 &&
	test "$(cat "$MLOPS_STORE/runs/$id3/commit.txt")" = "$c3" &&
	git -C repo status --porcelain >status && test ! -s status
'

test_expect_success 'the hook runs only for its branch' '
	make_repo &&
	mlops-pipeline hook install --repo repo --wait >/dev/null &&
	git -C repo checkout -q -b topic &&
	echo t >repo/t.txt && git -C repo add t.txt &&
	git -C repo commit -q -m topic 2>/dev/null &&
	test "$(mlops-pipeline list --json | jq -s length)" = 0
'

test_expect_success 'a user hook is kept and chained; installing twice is refused; uninstall restores it' '
	make_repo &&
	printf "#!/bin/sh\necho user-hook \"\$@\" >>$PWD/user-hook.log\n" >repo/.git/hooks/post-commit &&
	chmod +x repo/.git/hooks/post-commit &&
	cp repo/.git/hooks/post-commit user-hook.orig &&
	mlops-pipeline hook install --repo repo --wait >/dev/null &&
	test_expect_code 4 mlops-pipeline hook install --repo repo 2>err &&
	grep "already installed" err &&
	echo A3 >repo/a.txt &&
	git -C repo commit -q -am three 2>/dev/null &&
	grep "^user-hook" user-hook.log &&
	test "$(mlops-pipeline list --json | jq -s length)" = 1 &&
	mlops-pipeline hook uninstall --repo repo >out &&
	grep "removed" out &&
	test_cmp user-hook.orig repo/.git/hooks/post-commit &&
	! test -e repo/.git/hooks/post-commit.mlops-chained &&
	test_expect_code 4 mlops-pipeline hook uninstall --repo repo 2>err &&
	grep "no mlops-pipeline hook is installed .*not ours: left alone" err &&
	mlops audit log | grep "pipeline.hook.install" &&
	mlops audit log | grep "pipeline.hook.uninstall"
'

test_expect_success 'hook uninstall without its store changes nothing' '
	make_repo &&
	mlops-pipeline hook install --repo repo >/dev/null &&
	cp repo/.git/hooks/post-commit hook.orig &&
	test_must_fail mlops-pipeline --store "$PWD/nowhere" hook uninstall \
		--repo repo 2>err &&
	test_cmp hook.orig repo/.git/hooks/post-commit &&
	mlops-pipeline hook uninstall --repo repo >/dev/null &&
	test "$(mlops audit log --action pipeline.hook. --json | jq -s length)" = 2
'

test_expect_success 'the hook goes where core.hooksPath says' '
	make_repo &&
	git -C repo config core.hooksPath githooks &&
	mlops-pipeline hook install --repo repo --wait >out &&
	grep "repo/githooks/post-commit" out &&
	echo A4 >repo/a.txt &&
	git -C repo commit -q -am four 2>/dev/null &&
	test "$(mlops-pipeline list --json | jq -s length)" = 1
'

test_expect_success 'a push to a bare repository runs the pipeline in the background' '
	make_repo &&
	git init -q --bare -b main central.git &&
	mlops-pipeline hook install --repo central.git >out &&
	grep "central.git/hooks/post-receive" out &&
	git -C repo push -q ../central.git main 2>push.err &&
	grep "in the background" push.err &&
	c=$(git -C repo rev-parse HEAD) &&
	for i in $(seq 100); do
		test "$(mlops-pipeline list --json | jq -s -r ".[0].status // empty")" = Succeeded && break
		sleep 0.1
	done &&
	mlops-pipeline list --json | jq -s -e "length == 1 and .[0].gitCommit == \"$c\" and .[0].status == \"Succeeded\"" &&
	grep "run .* Succeeded" "$MLOPS_STORE/logs/pipeline-hook.log" &&
	git -C repo checkout -q -b other && git -C repo push -q ../central.git other 2>/dev/null &&
	sleep 0.5 &&
	test "$(mlops-pipeline list --json | jq -s length)" = 1
'

test_done
