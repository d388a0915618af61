#!/bin/bash
# t0261-fault-messages.sh - a failure in the store is named by its own
# error: a failed step by the step's result, never by an earlier error
# of the connection or by "SQLite recorded no error"; a schema that
# cannot be read by "cannot read the store's schema", never by "no such
# table" for a table the store has.
. "$(dirname "$0")/test-lib.sh"

# each_step_fault ERRNO TEXT CMD...: run CMD (which must succeed without
# a fault) with its Nth sqlite3_step failing with ERRNO, N = 1, 2, ...
# until it succeeds; each failure must say TEXT on stderr. Each run starts
# from a copy of the store as it was.
each_step_fault() {
	e=$1 text=$2
	shift 2
	cp -a .mlops base &&
	for n in $(seq 1 200); do
		rm -rf .mlops mark && cp -a base .mlops || return 1
		FAULT_ERRNO=$e FAULT_MARK=$PWD/mark fault step $n "$@" \
			>/dev/null 2>err
		rc=$?
		test -e mark || { test $rc = 0; return; }
		if test $rc = 0; then
			continue	# a step whose failure did not matter
		fi
		grep -q "^mlops[a-z-]*: .*$text" err || {
			echo "step $n: status $rc, not \"$text\":"
			cat err
			return 1
		}
		! grep -Eq "recorded no error|no such table|not an error|no more rows" err || {
			echo "step $n: a message naming no failure:"
			cat err
			return 1
		}
	done
	echo "more than 200 steps"
	return 1
}

test_expect_success 'a failed step of role grant names its own error' '
	each_step_fault EIO "disk I/O error" mlops role grant tester@example.com admin
'

test_expect_success 'a failed step of endpoint key delete names its own error' '
	echo weights >m.bin &&
	mlops-registry register g --artifact m.bin --framework exec \
		--entry cat --status Approved >/dev/null &&
	mlops-deploy create ep --model g/1 >/dev/null &&
	mlops-deploy key create ep >/dev/null &&
	id=$(mlops-deploy key list --json ep | jq -r .id) &&
	test -n "$id" &&
	each_step_fault ENOSPC "database or disk is full" mlops-deploy key delete ep "$id"
'

test_expect_success 'a store whose schema cannot be read says so' '
	FAULT_ERRNO=EIO test_expect_code 70 fault step 1 mlops fsck 2>err &&
	grep "^mlops: cannot read the store.s schema: disk I/O error$" err &&
	head -c 4096 /dev/urandom >.mlops/mlops.db &&
	test_expect_code 70 mlops fsck 2>err &&
	grep "^mlops: cannot read the store.s schema: file is not a database$" err
'

test_done
