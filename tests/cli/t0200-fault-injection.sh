#!/bin/bash
# t0200-fault-injection.sh - regressions found by the fault library
# (tests/fault/fault.c, driven by tests/fault/run; docs/RELIABILITY.md).
. "$(dirname "$0")/test-lib.sh"

# Every mutating command makes a random id for its audit record early on,
# (within the first 3000 allocations), and programs set OpenSSL up first.
# OpenSSL's RAND_bytes, which made it, dereferenced NULL when an
# allocation of its first call failed.
if test -n "$MLOPS_SANITIZED"; then
	test_skip 'a failed allocation around the audit id is no crash' \
		'AddressSanitizer owns allocation: the shim fails no malloc there'
else
test_expect_success 'a failed allocation around the audit id is no crash' '
	for n in $(seq 1 12 3000); do
		fault malloc $n mlops config set environment x >/dev/null 2>err
		rc=$?
		if [ $rc -gt 128 ]; then
			echo "malloc $n: killed by signal $((rc - 128))"
			exit 1
		fi
		test $rc = 0 || grep -q "^mlops: " err || {
			echo "malloc $n: status $rc and no message"; exit 1; }
	done
'
fi

test_done
