#!/bin/bash
# t0005-crash-concurrency.sh - SIGKILL in the middle of a blob or a
# transaction leaves a consistent store; many writers at once all succeed.
. "$(dirname "$0")/test-lib.sh"

count_objects() {
	mlops object ls --json | wc -l
}

test_expect_success 'SIGKILL while a blob is written: fsck passes, old state' '
	echo before | mlops object put >/dev/null &&
	mkfifo feed &&
	{ mlops object put <feed >out 2>&1 & } &&
	pid=$! &&
	{ (head -c 20000000 /dev/urandom; sleep 30) >feed & } &&
	writer=$! &&
	for i in $(seq 1 100); do
		size=$(du -sb "$MLOPS_STORE/tmp" | cut -f1)
		test "$size" -gt 1000000 && break
		sleep 0.1
	done &&
	kill -9 $pid && kill $writer &&
	{ wait $pid; test $? = 137; } &&
	test "$(count_objects)" = 1 &&
	test "$(ls "$MLOPS_STORE/tmp" | wc -l)" = 1 &&
	test_expect_code 1 mlops fsck >out &&
	grep "temporary file tmp/object.$pid.* was left by a killed command" out &&
	test_line_count = 1 out &&
	mlops gc --grace 0 >/dev/null &&
	test "$(ls "$MLOPS_STORE/tmp" | wc -l)" = 0 &&
	mlops fsck
'

test_expect_success 'SIGKILL in a transaction: fsck passes, old or new state' '
	for i in $(seq 1 100000); do
		echo "{\"source\":\"bulk\",\"detail-type\":\"T\",\"detail\":{\"i\":$i}}"
	done >many.jsonl &&
	for delay in 0.3 0.6 0.9 1.2 1.5; do
		{ mlops event put many.jsonl >/dev/null 2>&1 & }
		pid=$!
		sleep $delay
		kill -9 $pid 2>/dev/null
		wait $pid
		n=$(sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM event") &&
		echo "killed after ${delay}s: $n events" &&
		case $n in 0|100000) ;; *) echo "half a transaction"; exit 1 ;; esac &&
		mlops fsck || exit 1
		test "$n" = 0 || break
	done
'

test_expect_success '8 writers x 500 objects: all present, chain intact' '
	for p in 1 2 3 4 5 6 7 8; do
		(for i in $(seq 1 500); do
			echo "process $p object $i" | mlops object put >/dev/null || exit 1
		done) 2>err.$p &
	done &&
	wait &&
	cat err.* >errors &&
	test_line_count = 0 errors &&
	test "$(count_objects)" = 4000 &&
	mlops audit verify 2>out &&
	grep "intact: 4001 records" out &&
	mlops fsck
'

test_done
