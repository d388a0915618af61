#!/bin/bash
# t4024-shadow-readme.sh - the example of the README's shadow section
# runs as written, prints what the README says it prints, and leaves no
# gateway running.
. "$(dirname "$0")/test-lib.sh"

SECTION="Shadow tests: mlops-shadow"

test_expect_success 'the README example runs and prints what it shows' '
	readme_examples "$SECTION" >ex.sh &&
	test $(grep -c "127.0.0.1:8080" ex.sh) = 2 &&
	port=$(test_free_port) &&
	sed -i "s/127\.0\.0\.1:8080/127.0.0.1:$port/" ex.sh &&
	mkdir bin && ln -s "$PYTHON" bin/python3 &&
	trap "test -f .mlops/gateway.pid && kill \$(cat .mlops/gateway.pid)" EXIT &&
	PATH="$PWD/bin:$PATH" timeout 120 bash -e ex.sh >out 2>&1 &&
	sed -n "s/^# //p" ex.sh >expect &&
	test_line_count = 5 expect &&
	while IFS= read -r line; do
		grep -qxF -- "$line" out ||
		{ echo "not in the output: $line"; cat out; return 1; }
	done <expect &&
	test ! -f .mlops/gateway.pid
'

test_done
