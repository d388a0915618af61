#!/bin/bash
# t1004-feature-readme.sh - the examples of the README's feature store
# section run as written, and the dataset they build is the one shown.
. "$(dirname "$0")/test-lib.sh"

SECTION="The feature store: mlops-feature"

test_expect_success 'the README examples run and show the right dataset' '
	readme_examples "$SECTION" >ex.sh &&
	test $(wc -l <ex.sh) -gt 30 &&
	bash -e ex.sh >out 2>&1 &&
	readme_section "$SECTION" |
		awk "/^cat train.csv\$/ { f = 1; next } f && /^# / { print substr(\$0, 3); next } { f = 0 }" \
		>expect &&
	test_line_count = 6 expect &&
	test_cmp expect train.csv &&
	grep "bad.csv:2: balance: \"12,5\" is not a fractional" out
'

test_done
