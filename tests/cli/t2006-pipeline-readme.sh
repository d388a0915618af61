#!/bin/bash
# t2006-pipeline-readme.sh - the examples of the README's pipeline section
# run as written and print what the README shows (the "# output" lines,
# with run IDs, durations and hashes masked; a line ending in "..." is a
# prefix of the real one).
. "$(dirname "$0")/test-lib.sh"

SECTION="Pipelines: mlops-pipeline"

# The README's templates run python3: here, the one that has xgboost.
mkdir -p "$TRASH_ROOT/bin" && ln -sf "$PYTHON" "$TRASH_ROOT/bin/python3"
PATH="$TRASH_ROOT/bin:$PATH"

mask() {
	sed -E 's/[0-9]{8}T[0-9]{6}-[0-9a-f]{6}/RUN/g
		s/in [0-9]+\.[0-9]+s/in Ts/g
		s/\b[0-9a-f]{6,}\b(\.\.\.)?/HASH/g
		s/[[:space:]]+/ /g; s/ $//'
}

test_expect_success 'the README examples run and print what it shows' '
	readme_examples "$SECTION" >ex.sh &&
	test $(wc -l <ex.sh) -gt 60 &&
	bash -e ex.sh >out 2>&1 &&
	sed -n "s/^# //p" ex.sh | grep -vx "\.\.\." | mask >expect &&
	test $(wc -l <expect) -gt 25 &&
	mask <out >masked &&
	while IFS= read -r line; do
		case $line in
		*" ..."|*" ...HASH"|*"HASH...") grep -qF -- "${line%...}" masked ;;
		*) grep -qxF -- "$line" masked ;;
		esac ||
		{ echo "not in the output: $line"; return 1; }
	done <expect &&
	test -s churn/run.svg
'

test_expect_success 'the versions the README registers record their runs' '
	readme_examples "$SECTION" >ex.sh &&
	bash -e ex.sh >out 2>&1 &&
	(cd churn && git rev-parse HEAD~1 HEAD) >commits &&
	mlops-pipeline list --json | jq -s . >runs.json &&
	test "$(jq length runs.json)" = 3 &&
	mlops-registry lineage --json churn/1 >l1.json &&
	jq -e --arg c "$(sed -n 1p commits)" --arg r "$(jq -r ".[0].id" runs.json)" \
		".lineage.git_commit == \$c and .lineage.run_id == \$r and .lineage.step == \"register\"" l1.json &&
	mlops-registry lineage --json churn/2 >l2.json &&
	jq -e --arg c "$(sed -n 2p commits)" --arg r "$(jq -r ".[2].id" runs.json)" \
		".lineage.git_commit == \$c and .lineage.run_id == \$r" l2.json
'

rm -rf "$TRASH_ROOT/bin"
test_done
