#!/bin/bash
# t1010-feature-runs.sh - the sorted runs kept beside the offline files:
# one per ingest or delete, listed with its SHA-256; a join gives the
# same rows whether it reads them or the CSV files (missing, damaged,
# partial, from before runs existed); fsck finds what is wrong with
# them, reindex makes them again; a crash or a failed ingest never
# leaves a listed run that disagrees with the files.
. "$(dirname "$0")/test-lib.sh"

DATA=$TEST_DIRECTORY/../data/feature

# The txn group of t1003: two batches, then the deletes.
load_txn() {
	mlops-feature create "$DATA/group.yaml" >/dev/null &&
	for b in batch1 batch2; do
		mlops-feature ingest txn "$DATA/$b.csv" >/dev/null || return 1
	done &&
	tail -n +2 "$DATA/deletes.csv" | while IFS=, read -r id t mode; do
		mlops-feature delete $(test "$mode" != hard || echo --hard) \
			--event-time "$t" txn "$id" || exit 1
	done
}

runs() {
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM feature_run"
}

# join_all: every expected case of t1003, joined now, must match.
join_all() {
	for case in tie ttl delete missing unsorted; do
		mlops-feature dataset --entities "$DATA/$case.csv" \
			--features txn:amount,n,tag >$case.out &&
		test_cmp "$DATA/$case.expected" $case.out || return 1
	done
}

test_expect_success 'each ingest and delete lists one run with its hash' '
	load_txn &&
	deletes=$(($(wc -l <"$DATA/deletes.csv") - 1)) &&
	test "$(runs)" = $((2 + deletes)) &&
	ls "$MLOPS_STORE/offline/txn/_sorted" >files &&
	test_line_count = $((2 + deletes)) files &&
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT path, sha256 FROM feature_run" |
	while IFS="|" read -r path sum; do
		echo "$sum  $MLOPS_STORE/$path" | sha256sum -c --quiet || exit 1
	done &&
	mlops fsck >out &&
	test_must_fail grep . out
'

test_expect_success 'one thread or eight, runs or CSV: the same rows' '
	load_txn &&
	MLOPS_THREADS=1 join_all &&
	MLOPS_THREADS=8 join_all &&
	MLOPS_THREADS=3 join_all &&
	rm "$MLOPS_STORE"/offline/txn/_sorted/*.run &&
	MLOPS_THREADS=1 join_all &&
	MLOPS_THREADS=8 join_all
'

test_expect_success 'the DuckDB view does not see the runs' '
	load_txn &&
	mlops-feature ddl --engine duckdb txn >ddl &&
	! grep -q _sorted ddl &&
	grep -q "year=\*/month=\*/day=\*/hour=\*/\*.csv.gz" ddl
'

test_expect_success 'missing and damaged runs: the same rows, fsck says so' '
	load_txn &&
	join_all &&
	set -- "$MLOPS_STORE"/offline/txn/_sorted/*.run &&
	rm "$1" &&
	printf X | dd of="$2" bs=1 seek=100 conv=notrunc 2>/dev/null &&
	: >"$3" &&
	join_all &&
	test_expect_code 1 mlops fsck >out &&
	test_line_count = 3 out &&
	grep "feature group .txn.: sorted run .*is missing" out &&
	grep "does not match its SHA-256" out &&
	grep "has 0 bytes" out &&
	grep "mlops-feature reindex txn" out
'

test_expect_success 'a run written over with its old mtime is still hashed' '
	load_txn &&
	set -- "$MLOPS_STORE"/offline/txn/_sorted/*.run &&
	for f; do
		cp -p "$f" "$f.ref" &&
		printf X | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null &&
		touch -r "$f.ref" "$f" &&
		rm "$f.ref" || return 1
	done &&
	join_all &&
	test_expect_code 1 mlops fsck >out &&
	test_line_count = $# out
'

test_expect_success 'reindex makes the runs again, and only those' '
	load_txn &&
	set -- "$MLOPS_STORE"/offline/txn/_sorted/*.run &&
	rm "$1" &&
	printf X | dd of="$2" bs=1 seek=40 conv=notrunc 2>/dev/null &&
	mlops-feature reindex txn >out &&
	echo "txn: made 2 sorted runs" >expect &&
	test_cmp expect out &&
	mlops fsck &&
	join_all &&
	mlops-feature reindex txn >out &&
	echo "txn: made 0 sorted runs" >expect &&
	test_cmp expect out &&
	ls "$MLOPS_STORE/offline/txn/_sorted" >files &&
	test_line_count = $(runs) files &&
	mlops audit log | grep -c feature.reindex >n &&
	echo 2 >expect &&
	test_cmp expect n
'

test_expect_success 'a store from before runs joins the same; reindex' '
	load_txn &&
	sqlite3 "$MLOPS_STORE/mlops.db" "DELETE FROM feature_run" &&
	rm -r "$MLOPS_STORE/offline/txn/_sorted" &&
	join_all &&
	mlops fsck &&
	mlops-feature reindex txn >out &&
	grep "made [1-9][0-9]* sorted run" out &&
	mlops fsck &&
	join_all
'

test_expect_success 'a failed ingest leaves no run behind' '
	load_txn &&
	n=$(runs) &&
	printf "user_id,ts,amount,n,tag\nu9,2026-01-01T00:00:00Z,1,1,a\nu9,soon,1,1,b\n" >bad.csv &&
	test_expect_code 3 mlops-feature ingest txn bad.csv &&
	test "$(runs)" = "$n" &&
	ls "$MLOPS_STORE/offline/txn/_sorted" >files &&
	test_line_count = "$n" files &&
	test -z "$(ls -A "$MLOPS_STORE/tmp")" &&
	test_expect_code 70 sqlite_fault "INSERT INTO feature_run" \
		mlops-feature ingest txn "$DATA/batch1.csv" 2>err &&
	grep "cannot list a sorted run" err &&
	test "$(runs)" = "$n" &&
	ls "$MLOPS_STORE/offline/txn/_sorted" >files &&
	test_line_count = "$n" files &&
	join_all
'

for step in "INSERT INTO feature_run" "UPDATE feature_group SET record_count"; do
	test_expect_success "a crash at '$step' changes no join" "
		load_txn &&
		join_all &&
		SQLITE_FAULT_KILL=1 test_expect_code 137 sqlite_fault \
			\"$step\" mlops-feature ingest txn \"\$DATA/batch1.csv\" &&
		join_all &&
		mlops fsck >out;
		! grep \"sorted run\" out
	"
done

test_expect_success 'reindex: --help, usage errors, unknown group' '
	mlops-feature reindex --help >out &&
	grep "^usage: mlops-feature reindex GROUP" out &&
	test_expect_code 2 mlops-feature reindex 2>err &&
	test_expect_code 2 mlops-feature reindex --bogus x 2>err &&
	test_expect_code 2 mlops-feature reindex a b 2>err &&
	test_expect_code 4 mlops-feature reindex nope 2>err &&
	grep "feature group .nope. does not exist" err
'

test_done
