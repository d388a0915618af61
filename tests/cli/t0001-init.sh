#!/bin/bash
# t0001-init.sh - mlops init, store discovery and the global conventions.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'init makes a store with its folders and database' '
	mkdir fresh &&
	mlops init fresh >out &&
	grep "Initialized empty mlops store in .*/fresh/.mlops" out &&
	for d in objects offline capture runs tmp; do
		test -d fresh/.mlops/$d || return 1
	done &&
	test -f fresh/.mlops/mlops.db &&
	test "$(sqlite3 fresh/.mlops/mlops.db "PRAGMA journal_mode")" = wal
'

test_expect_success 'init twice is harmless and keeps the content' '
	echo data >f &&
	h=$(mlops object put f) &&
	mlops init >out &&
	grep "Reinitialized existing" out &&
	mlops object get "$h" >g &&
	test_cmp f g
'

test_expect_success 'init --env names the environment; a bad name is refused' '
	mlops init --env prod-eu &&
	test "$(mlops config get environment)" = prod-eu &&
	test_expect_code 2 mlops init --env "bad name" 2>err &&
	grep "not a valid environment name" err &&
	test "$(mlops config get environment)" = prod-eu
'

test_expect_success 'the store is found walking up from a subdirectory' '
	unset MLOPS_STORE &&
	mkdir -p a/b/c &&
	(cd a/b/c && mlops config get environment) >out &&
	test "$(cat out)" = test
'

test_expect_success '--store and $MLOPS_STORE name a store explicitly' '
	mkdir other &&
	mlops init --env other other >/dev/null &&
	test "$(mlops --store other config get environment)" = other &&
	test "$(MLOPS_STORE=other/.mlops mlops config get environment)" = other
'

test_expect_success 'no store: exit 4 with a hint, nothing created' '
	unset MLOPS_STORE &&
	mkdir -p /tmp/mlops-nostore-$$ &&
	(cd /tmp/mlops-nostore-$$ &&
	 test_expect_code 4 mlops object ls 2>err &&
	 grep "^mlops: not in a store.*mlops init" err &&
	 ! test -e .mlops) &&
	rm -rf /tmp/mlops-nostore-$$ &&
	test_expect_code 4 mlops --store /nonexistent object ls 2>err &&
	grep "no store at .*/nonexistent" err
'

test_expect_success 'unknown verbs and flags are usage errors (exit 2)' '
	test_expect_code 2 mlops frobnicate 2>err &&
	grep "not an mlops verb" err &&
	test_expect_code 2 mlops --frob 2>err &&
	test_expect_code 2 mlops object put --frob 2>err &&
	grep "usage: mlops object put" err &&
	test_expect_code 2 mlops 2>err &&
	grep "^usage: mlops" err
'

test_expect_success '--help on every verb prints usage on stdout, exit 0' '
	for v in init fsck gc; do
		mlops $v --help >out && grep "^usage: mlops $v" out || return 1
	done &&
	for v in "object put" "object get" "object ls" "audit log" \
		 "audit verify" "event log" "event put"; do
		mlops $v --help >out && grep "^usage: mlops $v" out || return 1
	done &&
	mlops config --help | grep "^usage: mlops config" &&
	mlops --version | grep "^mlops [0-9]"
'

test_expect_success 'mlops VERB runs mlops-VERB from beside it or PATH' '
	mkdir bin &&
	printf "#!/bin/sh\necho \"plugin \$* store=\$MLOPS_STORE\"\n" >bin/mlops-hello &&
	chmod +x bin/mlops-hello &&
	PATH=$PWD/bin:$PATH mlops --store . hello a b >out &&
	grep "plugin a b store=$PWD" out
'

test_done
