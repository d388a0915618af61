#!/bin/bash
# t3006-registry-readme.sh - the examples of the README's registry section
# run as written, and print what the README says they print (the lines
# shown as "# output", except those holding a time).
. "$(dirname "$0")/test-lib.sh"

SECTION="The model registry: mlops-registry"

test_expect_success 'the README examples run and print what it shows' '
	readme_examples "$SECTION" >ex.sh &&
	test $(wc -l <ex.sh) -gt 40 &&
	bash -e ex.sh >out 2>&1 &&
	sed -n "s/^# //p" ex.sh | grep -v "2026-" >expect &&
	test $(wc -l <expect) -gt 25 &&
	while IFS= read -r line; do
		grep -qxF -- "$line" out ||
		{ echo "not in the output: $line"; return 1; }
	done <expect &&
	test -s churn-2.html &&
	cmp serve/model.json v2/model.json
'

test_done
