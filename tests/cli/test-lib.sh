# test-lib.sh - the harness of the end-to-end shell tests, after git's
# t/test-lib.sh. A test script sources it, runs test_expect_success
# blocks, and ends with test_done:
#
#	. ./test-lib.sh
#	test_expect_success 'put then get gives the same bytes' '
#		echo hello >f &&
#		h=$(mlops object put f) &&
#		mlops object get "$h" >out &&
#		test_cmp f out
#	'
#	test_done
#
# Each test runs in a subshell, in a fresh directory holding a fresh store
# ($MLOPS_STORE), under "trash/SCRIPT/N"; the directory is removed when
# the test passes and kept when it fails. Output is TAP ("ok 1 - title").
# Set MLOPS_TEST_VERBOSE=1 to see each command's output.

TEST_NAME=$(basename "$0" .sh)
TEST_DIRECTORY=$(cd "$(dirname "$0")" && pwd)
TEST_ROOT=$(cd "$TEST_DIRECTORY/../.." && pwd)
: "${MLOPS_BIN:=$TEST_ROOT/build/bin}"
MLOPS_BIN=$(cd "$MLOPS_BIN" && pwd)
TRASH_ROOT="$TEST_ROOT/tests/cli/trash/$TEST_NAME"
PATH="$MLOPS_BIN:$PATH"
export PATH MLOPS_BIN TEST_DIRECTORY TEST_ROOT
export MLOPS_USER=tester@example.com
export TZ=UTC LC_ALL=C
unset MLOPS_STORE MLOPS_PROGRESS
# Debian's python3 with pandas, xgboost and flask, whatever comes first on
# PATH.
PYTHON=/usr/bin/python3

# Built with AddressSanitizer? (make SANITIZE=1): memory limits do not
# apply then, since ASan reserves terabytes of address space.
MLOPS_SANITIZED=
if ldd "$MLOPS_BIN/mlops" 2>/dev/null | grep -q libasan; then
	MLOPS_SANITIZED=1
fi

test_count=0
test_failed=0
test_fixed=0
test_broken=0
test_skipped=0

rm -rf "$TRASH_ROOT"
mkdir -p "$TRASH_ROOT"

say() {
	printf '%s\n' "$*"
}

# Run one test body in a fresh store; returns the body's status.
test_run_() {
	dir="$TRASH_ROOT/$test_count"
	mkdir -p "$dir"
	(
		cd "$dir" || exit 1
		mlops init --env test >/dev/null 2>&1 || exit 1
		MLOPS_STORE="$dir/.mlops"
		export MLOPS_STORE
		if [ -n "$MLOPS_TEST_VERBOSE" ]; then
			eval "$1"
		else
			eval "$1" >"$dir/.test-output" 2>&1
		fi
	)
}

test_expect_success() {
	test_count=$((test_count + 1))
	if test_run_ "$2"; then
		say "ok $test_count - $1"
		rm -rf "$TRASH_ROOT/$test_count"
	else
		test_failed=$((test_failed + 1))
		say "not ok $test_count - $1"
		say "# kept in $TRASH_ROOT/$test_count; the test was:"
		printf '%s\n' "$2" | sed 's/^/#	/'
		if [ -f "$TRASH_ROOT/$test_count/.test-output" ]; then
			say "# its output ended with:"
			tail -n 15 "$TRASH_ROOT/$test_count/.test-output" |
				sed 's/^/#	/'
		fi
	fi
}

# A known bug: passing is news, failing is expected.
test_expect_failure() {
	test_count=$((test_count + 1))
	if test_run_ "$2"; then
		test_fixed=$((test_fixed + 1))
		say "ok $test_count - $1 # TODO known breakage vanished"
	else
		test_broken=$((test_broken + 1))
		say "not ok $test_count - $1 # TODO known breakage"
	fi
	rm -rf "$TRASH_ROOT/$test_count"
}

# Skip a test with a reason that says why (printed as TAP SKIP).
test_skip() {
	test_count=$((test_count + 1))
	test_skipped=$((test_skipped + 1))
	say "ok $test_count # skip $1 ($2)"
}

# Run a command that must fail with a status from 1 to 125 (not a crash
# or a signal).
test_must_fail() {
	"$@"
	status=$?
	if [ $status -eq 0 ]; then
		echo >&2 "test_must_fail: command succeeded: $*"
		return 1
	elif [ $status -gt 125 ]; then
		echo >&2 "test_must_fail: died of a signal or crashed ($status): $*"
		return 1
	fi
	return 0
}

# test_expect_code N CMD...: CMD must exit with status N.
test_expect_code() {
	want=$1
	shift
	"$@"
	status=$?
	if [ $status -ne "$want" ]; then
		echo >&2 "test_expect_code: expected $want, got $status: $*"
		return 1
	fi
	return 0
}

test_cmp() {
	diff -u "$1" "$2"
}

# test_line_count OP N FILE: compare FILE's number of lines.
test_line_count() {
	n=$(wc -l <"$3")
	if ! [ "$n" "$1" "$2" ]; then
		echo >&2 "test_line_count: $3 has $n lines, expected $1 $2"
		return 1
	fi
}

# Die unless the store is byte-for-byte unchanged since test_snapshot.
# The audit trail is left out: a refused change is audited as a failure;
# so are the "Action Denied" events that record refusals by role.
test_snapshot() {
	(cd "$MLOPS_STORE" && find . -path ./tmp -prune -o -type f \
		! -name '*-shm' ! -name '*.lock' ! -name 'audit.*' \
		! -name 'mlops.db*' -print0 |
		sort -z |
		xargs -0 sha256sum; sqlite3 mlops.db .dump |
		grep -v "^INSERT INTO event VALUES([0-9]*,'[^']*',[0-9]*,'mlops.governance','Action Denied',") >"${1:-.snapshot}"
}
test_store_unchanged() {
	test_snapshot .snapshot-after &&
	test_cmp "${1:-.snapshot}" .snapshot-after
}

# sqlite_fault PATTERN CMD...: run CMD with every sqlite3_step of a
# statement whose SQL contains PATTERN failing with SQLITE_IOERR, through
# the LD_PRELOAD shim tests/tools/sqlite-fault.c. SQLITE_FAULT_AFTER,
# _COUNT, _CODE, _PREPARE, _KILL and _LOG, set by the caller, pass through.
SQLITE_FAULT_SO=$(cd "$MLOPS_BIN/.." && pwd)/tests/sqlite-fault.so
sqlite_fault() {
	SQLITE_FAULT_MATCH=$1 LD_PRELOAD=$SQLITE_FAULT_SO \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"${@:2}"
}

# fault KIND N CMD...: run CMD with the Nth call of KIND (step, write,
# fsync, rename, malloc, open) failing, through tests/fault/fault.c
# (docs/RELIABILITY.md); FAULT_ERRNO and the other settings pass through.
FAULT_SO=$(cd "$MLOPS_BIN/.." && pwd)/tests/fault.so
fault() {
	FAULT_CALL=$1 FAULT_N=$2 LD_PRELOAD=$FAULT_SO \
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
		"${@:3}"
}

# readme_section TITLE: print the section of the README whose heading is
# TITLE, up to the next heading, so that a test can run its examples.
readme_section() {
	awk -v title="$1" '
		/^(-+|~+)$/ && prev == title { on = 1 }
		/^-+$/ && prev != title && on == 1 && prev != "" { exit }
		on { print prev }
		{ prev = $0 }
	' "$TEST_ROOT/README"
}

# readme_examples TITLE: the ```sh blocks of that README section.
readme_examples() {
	readme_section "$1" |
		awk '/^```sh$/ { f = 1; next } /^```$/ { f = 0 } f'
}

# A free TCP port on 127.0.0.1, for servers the tests start.
test_free_port() {
	$PYTHON -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A small feature group "customers" (customer_id, event_time, age) with
# one record, c1 aged 30, for tests that read a group from elsewhere.
test_customers_group() {
	cat >customers.yaml <<-\YAML &&
	name: customers
	record_identifier: customer_id
	event_time: event_time
	features:
	  - {name: customer_id, type: string}
	  - {name: event_time,  type: string}
	  - {name: age,         type: integral}
	YAML
	mlops-feature create customers.yaml >/dev/null &&
	printf "customer_id,event_time,age\nc1,2026-01-01T00:00:00Z,30\n" |
		mlops-feature ingest customers - >/dev/null
}

test_done() {
	say "1..$test_count"
	say "# $TEST_NAME: $((test_count - test_failed - test_broken - test_skipped)) passed, $test_failed failed, $test_skipped skipped"
	if [ $test_failed -eq 0 ]; then
		# What is left is the script's own scratch (a log, a helper
		# script): every passing test's directory is gone already.
		rm -rf "$TRASH_ROOT"
		exit 0
	fi
	exit 1
}
