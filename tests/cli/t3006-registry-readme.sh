#!/bin/bash
# t3006-registry-readme.sh - the examples of the README's registry section
# run as written, and print what the README says they print (the lines
# shown as "# output", except those holding a time).
. "$(dirname "$0")/test-lib.sh"

SECTION="The model registry: mlops-registry"

# The section's sh blocks: from the README once the section is merged
# there, from docs/README-registry.md until then.
registry_examples() {
	if grep -qx "$SECTION" "$TEST_ROOT/README"; then
		readme_examples "$SECTION"
	else
		mkdir -p doc &&
		ln -sf "$TEST_ROOT/docs/README-registry.md" doc/README &&
		(TEST_ROOT=$PWD/doc && readme_examples "$SECTION")
	fi
}

test_expect_success 'the README examples run and print what it shows' '
	registry_examples >ex.sh &&
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
