#!/bin/bash
# t0211-fault-audit-append.sh - a change whose audit record cannot be
# appended after its commit says it is made, and its record is recovered
# by the next command (found by tests/fault/run, docs/RELIABILITY.md).
. "$(dirname "$0")/test-lib.sh"

DATA=$(cd "$(dirname "$0")/../data" && pwd)

parts() { sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM feature_part"; }

# The append failed after the commit: the command exited 70 with the
# append's error alone, store_close dropped the audit_pending row, and
# the committed ingest had no record (or a "failure" one) in the log.
test_expect_success 'an ingest committed under a failing append is recorded' '
	mlops-feature create "$DATA/feature/group.yaml" >/dev/null &&
	mlops-feature ingest txn "$DATA/feature/batch1.csv" >/dev/null &&
	cp -a "$MLOPS_STORE" base &&
	old=$(parts) &&
	FAULT_COUNTS=$PWD/counts fault write 0 \
		mlops-feature ingest txn "$DATA/feature/batch2.csv" >/dev/null &&
	max=$(awk "{ print \$3 }" counts) &&
	new=$(parts) && test "$new" -gt "$old" &&
	made=0 &&
	for kind in write fsync; do
		for n in $(seq 1 "$max"); do
			rm -rf "$MLOPS_STORE" && cp -a base "$MLOPS_STORE" &&
			FAULT_ERRNO=ENOSPC fault $kind $n mlops-feature ingest txn \
				"$DATA/feature/batch2.csv" >/dev/null 2>err
			rc=$?
			mlops audit verify 2>/dev/null || {
				echo "$kind $n: the audit chain is broken"; exit 1; }
			ok=$(mlops audit log --action feature.ingest |
				grep -c "	success$")
			if [ "$(parts)" = "$new" ]; then
				test "$ok" = 2 || {
					echo "$kind $n: status $rc, the change has no record"
					cat err; mlops audit log; exit 1; }
				test $rc = 0 && continue
				test $rc = 70 && grep -q "the change is made" err || {
					echo "$kind $n: status $rc does not say it is made"
					cat err; exit 1; }
				made=$((made + 1))
			else
				test "$ok" = 1 && test $rc != 0 || {
					echo "$kind $n: status $rc, old state, $ok records"
					exit 1; }
			fi
		done
	done &&
	echo "$made faults after the commit" && test $made -gt 0
'

test_done
