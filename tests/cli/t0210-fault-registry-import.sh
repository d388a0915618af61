#!/bin/bash
# t0210-fault-registry-import.sh - an import is all or nothing under every
# failing sqlite3_step, and says the failure's own error (found by
# tests/fault/run, docs/RELIABILITY.md).
. "$(dirname "$0")/test-lib.sh"

# The step failing at a BEGIN made the import run outside a transaction
# (sqlite3_exec's finalize hid the failure): the group's insert committed
# on its own and stayed when a later step failed, and the message named
# the connection's stale "constraint failed".
test_expect_success 'a failed step leaves no group without its version' '
	(MLOPS_STORE=$PWD/other && export MLOPS_STORE &&
	 mlops init other >/dev/null && echo weights >m.bin &&
	 mlops-registry register g --artifact m.bin --framework exec \
		--entry cat >/dev/null &&
	 mlops-registry export g/1 >v.tar) &&
	cp -a "$MLOPS_STORE" base &&
	FAULT_COUNTS=$PWD/counts fault step 0 \
		mlops-registry import v.tar >/dev/null &&
	max=$(awk "{ print \$3 }" counts) &&
	test "$max" -gt 10 &&
	for n in $(seq 1 "$max"); do
		rm -rf "$MLOPS_STORE" && cp -a base "$MLOPS_STORE" &&
		fault step $n mlops-registry import v.tar >/dev/null 2>err
		rc=$?
		mlops-registry list >list 2>&1 || { cat list; exit 1; }
		if grep -q "^g	" list; then
			grep -q "^g	1	1	" list || {
				echo "step $n: status $rc, group without its version"
				cat err list; exit 1; }
		elif [ $rc = 0 ]; then
			echo "step $n: status 0 and no version"; exit 1
		fi
		if grep -q "constraint" err; then
			echo "step $n: a stale error code"; cat err; exit 1
		fi
	done
'

test_done
