#!/bin/bash
# t5045-sync-readme.sh - the examples of the README's environments section
# run as written, and print what the README says they print.
. "$(dirname "$0")/test-lib.sh"

SECTION="Environments: mlops remote and mlops sync"

test_expect_success 'the README examples run and print what it shows' '
	readme_examples "$SECTION" >ex.sh &&
	test $(wc -l <ex.sh) -gt 15 &&
	env -u MLOPS_STORE bash -e ex.sh >out 2>&1 &&
	sed -n "s/^# //p" ex.sh >expect &&
	test $(wc -l <expect) -gt 6 &&
	while IFS= read -r line; do
		grep -qxF -- "$line" out ||
		{ echo "not in the output: $line"; return 1; }
	done <expect
'

test_done
