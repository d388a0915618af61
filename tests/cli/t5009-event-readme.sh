#!/bin/bash
# t5009-event-readme.sh - the examples of the README's event rules
# section run as written and print what the README says they print:
# approving churn/3 makes churn-staging serve it by itself.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
unset MLOPS_NO_AUTO_DISPATCH

SECTION="Event rules: mlops event"

staging_serves() {
	mlops-deploy describe churn-staging 2>/dev/null | grep -qx "model: $1"
}

test_expect_success 'the README examples run and print what they show' '
	echo cat >worker.sh &&
	for v in 1 2 3; do
		mlops-registry register churn --artifact worker.sh \
			--framework exec --entry "sh worker.sh" >/dev/null || return 1
	done &&
	echo "{\"detail\":{\"violations\":2}}" >ev.json &&
	readme_examples "$SECTION" >ex.sh &&
	timeout 120 bash -e ex.sh >out 2>&1 &&
	wait_for staging_serves churn/3 &&
	wait_for dispatch_idle &&
	sed -n "s/^# //p" ex.sh | grep -v "^\\.\\.\\." >expect &&
	test_line_count = 2 expect &&
	while IFS= read -r line; do
		grep -qxF -- "$line" out ||
		{ echo "not in the output: $line"; cat out; return 1; }
	done <expect &&
	mlops event rule list --json | jq -se "length == 3"
'

test_done
