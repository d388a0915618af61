#!/bin/bash
# t0351-man-pages.sh - the manual keeps up with the programs: every
# program has a page in man/man1, and every verb its --help lists (nested
# ones too) a section there (a .TP item naming it); every page renders
# without a groff warning; every mlops page a page refers to exists; and
# mlops-workflow(7) refers to every program's page and every format's,
# mlops(1) to every program's, and every program's page to the workflow.
. "$(dirname "$0")/test-lib.sh"

MAN=$TEST_ROOT/man

# verbs_of PROG: every verb PROG lists in its --help, one a line.
verbs_of() {
	"$1" --help | sed -n '/^Verbs:$/,/^$/{ /^  /{ s/^  //; s/  .*//; p; }; }'
}

# tags PAGE: the names the .TP items of PAGE document, one a line: the
# item's leading lower-case words with the font escapes undone, and
# "a|b" or "a, b" in its last word expanded ("remote add|list|rm" gives
# remote add, remote list and remote rm).
tags() {
	awk '/^\.TP/ { if ((getline line) > 0) print line }' "$1" |
	sed -e 's/^\.[BIR]\{1,2\} //' -e 's/\\f[BIRP]//g' -e 's/\\-/-/g' \
	    -e 's/"//g' -e 's/\([a-z]\), \([a-z]\)/\1|\2/g' |
	awk '{
		name = ""
		for (i = 1; i <= NF && $i ~ /^[a-z][a-z|-]*$/; i++) {
			if (name != "" && index(name, "|") > 0)
				break
			name = name (name == "" ? "" : " ") $i
		}
		if (name == "")
			next
		n = split(name, w, " ")
		prefix = ""
		for (i = 1; i < n; i++)
			prefix = prefix w[i] " "
		k = split(w[n], alt, "|")
		for (i = 1; i <= k; i++)
			print prefix alt[i]
	}'
}

# documented PROG VERB: VERB has a section in PROG's page (for mlops,
# also "role list" as "list" in mlops-role(1)), or is mlops's name for
# a program (mlops deploy) that has a page of its own.
documented() {
	prog=$1 verb=$2 first=${2%% *}
	tags "$MAN/man1/$prog.1" >tags.txt &&
	if [ "$prog" = mlops ] && [ -f "$MAN/man1/mlops-$first.1" ]; then
		[ -x "$MLOPS_BIN/mlops-$first" ] && [ "$verb" = "$first" ] &&
			return 0
		tags "$MAN/man1/mlops-$first.1" | sed "s/^/$first /" >>tags.txt
	fi
	grep -qx -e "$verb" -e "$verb .*" tags.txt
}

# see_also PAGE: the name.section of each page PAGE's SEE ALSO names.
see_also() {
	sed -n "/^\.SH SEE ALSO/,/^\.SH/p" "$1" |
		sed -n "s/^\.BR* \([^ ]*\) (\([157]\)).*/\1.\2/p" |
		sed "s/\\\\-/-/g" | sort
}

test_expect_success 'the tag reader expands grouped items' '
	printf "%s\n" .TP ".B remote add\\fR|\\fBlist\\fR|\\fBrm" .TP \
		".B event rule enable\\fR, \\fBdisable" .TP \
		".B card export \\fB\\-\\-format md\\fR|\\fBhtml" .TP \
		".BI create \" FILE.yaml\"" .TP ".B 0" >page &&
	tags page >out &&
	printf "%s\n" "remote add" "remote list" "remote rm" \
		"event rule enable" "event rule disable" "card export" \
		create >expect &&
	test_cmp expect out
'

test_expect_success 'every verb of every program has a section in its page' '
	bad=0 &&
	for p in $(cd "$MLOPS_BIN" && ls mlops mlops-*); do
		test -f "$MAN/man1/$p.1" || { echo "no page: $p"; bad=1; continue; }
		verbs_of "$p" >verbs &&
		test_line_count -ge 3 verbs || return 1
		while read -r verb; do
			documented "$p" "$verb" ||
			{ echo "no section: $p $verb"; bad=1; }
		done <verbs
	done &&
	test $bad = 0
'

test_expect_success 'every page renders without a warning' '
	for page in "$MAN"/man[157]/*.[157]; do
		groff -man -Tutf8 -ww -z "$page" >out 2>&1 &&
		! test -s out ||
		{ echo "$page:"; cat out; return 1; }
	done
'

test_expect_success 'every mlops page a page refers to exists' '
	cat "$MAN"/man[157]/*.[157] |
		sed -n "s/^\.BR* \(mlops[a-z.\\\\-]*\) (\([157]\)).*/\1 \2/p" |
		sed "s/\\\\-/-/g" | sort -u >refs &&
	test_line_count -ge 10 refs &&
	while read -r name sec; do
		test -f "$MAN/man$sec/$name.$sec" ||
		{ echo "no page $name($sec)"; return 1; }
	done <refs
'

test_expect_success 'mlops-workflow(7) sees also every program and format' '
	see_also "$MAN/man7/mlops-workflow.7" >seealso &&
	(cd "$MAN" && ls man1 man5) | grep "\.[15]$" | sort >pages &&
	comm -13 seealso pages >missing &&
	test_line_count = 0 missing ||
	{ cat missing; return 1; }
'

test_expect_success 'mlops(1) sees also every program; each program the workflow' '
	see_also "$MAN/man1/mlops.1" >seealso &&
	for p in $(cd "$MLOPS_BIN" && ls mlops-*); do
		grep -qx "$p.1" seealso || { echo "mlops(1) lacks $p"; return 1; }
	done &&
	for page in "$MAN"/man1/*.1; do
		see_also "$page" | grep -qx mlops-workflow.7 ||
		{ echo "$page lacks mlops-workflow(7)"; return 1; }
	done
'

test_done
