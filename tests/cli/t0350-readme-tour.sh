#!/bin/bash
# t0350-readme-tour.sh - the README's five-minute tour runs as written,
# from a source tree (build/bin and examples/ beside it), and shows what
# it says it shows: each "# " line of its blocks is a line of the output,
# where "..." stands for anything, a run of spaces for any white space
# and case does not matter (a table on a terminal, as the README shows
# it, is aligned and has its header in capitals; in a pipe it is
# tab-separated, in lower case). It leaves no gateway.
. "$(dirname "$0")/test-lib.sh"

SECTION="A five-minute tour"

# tour_pattern: each expected line on stdin as an anchored ERE
tour_pattern() {
	sed -e 's/[][\.*^$+?(){}|]/\\&/g' \
	    -e 's/\\\.\\\.\\\./.*/g' \
	    -e 's/  */[[:space:]]+/g' \
	    -e 's/^/^/' -e 's/$/[[:space:]]*$/'
}

test_expect_success 'the expected-output patterns match as meant' '
	printf "%s\n" "a  b ... (c)" "x.y" >lines &&
	tour_pattern <lines >pats &&
	printf "a\tb anything (c)\n" | grep -Eq -f <(sed -n 1p pats) &&
	! printf "a\tb anything (cc)\n" | grep -Eq -f <(sed -n 1p pats) &&
	! echo xzy | grep -Eq -f <(sed -n 2p pats)
'

# The tour's monitor runs the hour's window: one that starts near the
# end of an hour could capture into two windows. Wait for the next.
near_hour_end() {
	[ $((10#$(date -u +%M))) -ge 57 ]
}

test_expect_success 'the README tour runs and shows what it says' '
	while near_hour_end; do sleep 1; done &&
	readme_examples "$SECTION" >ex.sh &&
	test $(wc -l <ex.sh) -gt 60 &&
	test $(grep -c "127.0.0.1:8080" ex.sh) = 3 &&
	test $(grep -c "127.0.0.1:8081" ex.sh) = 3 &&
	p1=$(test_free_port) && p2=$(test_free_port) &&
	sed -i -e "s/127\.0\.0\.1:8080/127.0.0.1:$p1/g" \
		-e "s/127\.0\.0\.1:8081/127.0.0.1:$p2/g" ex.sh &&
	mkdir src src/build bin tmp &&
	ln -s "$MLOPS_BIN" src/build/bin &&
	ln -s "$TEST_ROOT/examples" src/examples &&
	ln -s "$PYTHON" bin/python3 &&
	trap "for s in tmp/*/staging tmp/*/prod; do \
		mlops --store \$s deploy stop 2>/dev/null; done" EXIT &&
	(cd src && env -u MLOPS_STORE -u MLOPS_USER PATH="$PWD/../bin:$PATH" \
		TMPDIR="$PWD/../tmp" timeout 300 bash -e ../ex.sh) >out 2>&1 &&
	sed -n "s/^# //p" ex.sh >expect &&
	test $(wc -l <expect) -gt 30 &&
	while IFS= read -r line; do
		printf "%s\n" "$line" | tour_pattern >pat &&
		grep -Eiq -f pat out ||
		{ echo "not in the output: $line"; cat out; return 1; }
	done <expect &&
	for s in tmp/*/ml tmp/*/staging tmp/*/prod; do
		test -z "$(ls "$s/.mlops/gateways" 2>/dev/null)" || return 1
	done
'

test_done
