#!/bin/bash
# t3002-registry-concurrency.sh - many processes registering and approving
# in one store at once: numbers stay distinct and consecutive, nothing is
# lost.
. "$(dirname "$0")/test-lib.sh"

test_expect_success '8 concurrent registers into one group get 1..8' '
	for i in 1 2 3 4 5 6 7 8; do
		echo "model $i" >m$i.bin || return 1
	done &&
	for i in 1 2 3 4 5 6 7 8; do
		mlops-registry register -a m$i.bin --param i=$i churn >out$i 2>err$i &
	done &&
	wait &&
	cat out1 out2 out3 out4 out5 out6 out7 out8 | sort -t/ -k2n >got &&
	printf "churn/%s\n" 1 2 3 4 5 6 7 8 >expect &&
	test_cmp expect got &&
	for i in 1 2 3 4 5 6 7 8; do
		v=$(cat out$i) &&
		test "$(mlops-registry show --json $v | jq -r .params.i)" = $i ||
		return 1
	done &&
	test "$(mlops event log --json --source mlops.registry | wc -l)" = 8 &&
	mlops audit verify &&
	mlops fsck
'

test_expect_success '8 concurrent registers into a new group: created once' '
	echo m >m.bin &&
	for i in 1 2 3 4 5 6 7 8; do
		mlops-registry register -a m.bin fresh >out$i 2>err$i &
	done &&
	wait &&
	cat out? | sort -t/ -k2n >got &&
	printf "fresh/%s\n" 1 2 3 4 5 6 7 8 >expect &&
	test_cmp expect got &&
	test "$(mlops-registry list --json | jq -r .versions)" = 8
'

test_expect_success 'concurrent approvals of different versions all land' '
	echo m >m.bin &&
	for i in 1 2 3 4 5 6; do
		mlops-registry register -a m.bin churn >/dev/null || return 1
	done &&
	for i in 1 2 3 4 5 6; do
		MLOPS_USER=u$i mlops-registry approve churn/$i >/dev/null &
	done &&
	wait &&
	test "$(mlops-registry list --status Approved churn | wc -l)" = 7 &&
	test "$(mlops event log --json --source mlops.registry | wc -l)" = 12
'

test_expect_success 'concurrent imports of one version: one import, the rest unchanged' '
	echo m >m.bin &&
	mlops-registry register -a m.bin churn &&
	mlops-registry export -o churn.tar churn/1 &&
	mlops init --env prod prod >/dev/null &&
	for i in 1 2 3 4 5 6; do
		mlops --store prod registry import churn.tar >out$i 2>err$i &
	done &&
	wait &&
	for i in 1 2 3 4 5 6; do
		test "$(cat out$i)" = churn/1 || return 1
	done &&
	test "$(cat err? | grep -c "nothing changed")" = 5 &&
	test "$(mlops --store prod registry list --json | jq -r .versions)" = 1 &&
	test "$(mlops --store prod audit log | grep -c registry.import)" = 1
'

test_done
