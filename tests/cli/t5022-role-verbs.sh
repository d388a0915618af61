#!/bin/bash
# t5022-role-verbs.sh - every verb of every program has an entry in the
# programs' own verb table (`mlops role verbs`): an activity, or '-' for
# a verb that changes nothing; every activity it names is one `mlops
# role activities` knows; and mlops-role(1) lists the same table. A new
# verb without an entry fails here. The verbs are read from each
# program's --help, as t0006 does.
. "$(dirname "$0")/test-lib.sh"

PROGRAMS=$(cd "$MLOPS_BIN" && ls mlops mlops-*)
MAN=$TEST_DIRECTORY/../../man/man1/mlops-role.1

# leaf_verbs: "PROGRAM VERB" for every verb that runs something itself:
# not a group of nested verbs, not `mlops TOOL` (which runs mlops-TOOL).
leaf_verbs() {
	for p in $PROGRAMS; do
		"$p" --help |
			sed -n '/^Verbs:$/,/^$/{ /^  /{ s/^  //; s/  .*//; p; }; }' |
			sed "s/^/$p /"
	done >all &&
	while read -r prog verb; do
		grep -q "^$prog $verb " all && continue
		[ "$prog" = mlops ] && [ -x "$MLOPS_BIN/mlops-$verb" ] && continue
		echo "$prog $verb"
	done <all
}

test_expect_success 'every verb of every program has an entry in role verbs' '
	leaf_verbs >verbs &&
	test_line_count -ge 90 verbs &&
	grep -x "mlops-registry approve" verbs &&
	grep -x "mlops role grant" verbs &&
	! grep -x "mlops-registry card" verbs &&
	mlops role verbs --json >table &&
	jq -r .verb table | sort >mapped &&
	sort verbs >want &&
	comm -23 want mapped >missing &&
	comm -13 want mapped >stale &&
	{ test ! -s missing || { echo "verbs without an activity:"; cat missing; false; }; } &&
	{ test ! -s stale || { echo "entries for no verb:"; cat stale; false; }; }
'

test_expect_success 'every activity in the table is an activity' '
	mlops role activities --json | jq -r .name | sort >known &&
	test_line_count -ge 15 known &&
	mlops role verbs --json | jq -r ".activity // empty" | sort -u >used &&
	comm -23 used known >unknown &&
	test ! -s unknown &&
	mlops role verbs --json >table &&
	jq -s -e "map(select(.action)) | all(.[]; .activity)" table &&
	jq -s -e "map(select(.verb == \"mlops-registry approve\"))[0] |
		.activity == \"registry.approve\" and
		.action == \"registry.approve\"" table &&
	jq -s -e "map(select(.verb == \"mlops-registry show\"))[0] |
		has(\"activity\") | not" table
'

test_expect_success 'mlops-role(1) lists every verb with its activity' '
	sed -n "/^\.\\\\\" verb-map begin/,/^\.\\\\\" verb-map end/p" "$MAN" |
		sed "s/\\\\-/-/g" >man-table &&
	test_line_count -ge 90 man-table &&
	mlops role verbs --json >table &&
	jq -r "\"\(.verb) \(.activity // \"-\")\"" table >pairs &&
	bad=0 &&
	while read -r line; do
		activity=${line##* } verb=${line% *}
		grep -q "^$verb  *$activity\( \|$\)" man-table ||
			{ echo "mlops-role(1) lacks: $verb -> $activity"; bad=1; }
	done <pairs &&
	test $bad = 0
'

test_done
