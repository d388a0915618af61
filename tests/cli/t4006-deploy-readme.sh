#!/bin/bash
# t4006-deploy-readme.sh - the examples of the README's deploy section
# ("from register to curl", and the Flask bring-your-own container) run
# as written, print what the README says they print, and leave no
# gateway or worker running.
. "$(dirname "$0")/test-lib.sh"

SECTION="Serving models: mlops-deploy"

# Every process whose working directory is under $1.
procs_under() {
	for p in /proc/[0-9]*; do
		case "$(readlink "$p/cwd" 2>/dev/null)" in
		"$1"|"$1"/*) echo "${p#/proc/}" ;;
		esac
	done
}

test_expect_success 'the README examples run and print what it shows' '
	readme_examples "$SECTION" >ex.sh &&
	test $(wc -l <ex.sh) -gt 35 &&
	test $(grep -c "127.0.0.1:8080" ex.sh) = 4 &&
	port=$(test_free_port) &&
	sed -i "s/127\.0\.0\.1:8080/127.0.0.1:$port/" ex.sh &&
	# The examples say python3: the one with numpy, xgboost and flask.
	mkdir bin && ln -s "$PYTHON" bin/python3 &&
	trap "test -f .mlops/gateway.pid && kill \$(cat .mlops/gateway.pid)" EXIT &&
	PATH="$PWD/bin:$PATH" timeout 120 bash -e ex.sh >out 2>&1 &&
	sed -n "s/^# //p" ex.sh | grep -v "^a tiny model" >expect &&
	test_line_count = 8 expect &&
	while IFS= read -r line; do
		grep -qxF -- "$line" out ||
		{ echo "not in the output: $line"; cat out; return 1; }
	done <expect &&
	test $(grep -cxF 0.995677173 out) = 2 &&
	test ! -f .mlops/gateway.pid &&
	test -z "$(procs_under "$PWD/.mlops")"
'

test_done
