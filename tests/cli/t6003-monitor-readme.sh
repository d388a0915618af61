#!/bin/bash
# t6003-monitor-readme.sh - the examples of the README's monitoring
# section run as written and print what it says they print.
. "$(dirname "$0")/test-lib.sh"

SECTION="Monitoring data: mlops-monitor"

test_expect_success 'the README examples run and print what it shows' '
	readme_examples "$SECTION" >ex.sh &&
	test $(grep -c "^mlops-monitor" ex.sh) -ge 5 &&
	bash -e ex.sh >out 2>&1 &&
	sed -n "s/^# //p" ex.sh >expect &&
	test_line_count = 26 expect &&
	test_cmp expect out
'

test_done
