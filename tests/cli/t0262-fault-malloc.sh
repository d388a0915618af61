#!/bin/bash
# t0262-fault-malloc.sh - a failed allocation inside a library the
# programs use (jansson, libyaml) ends the program as any failed
# allocation does (exit 70, "out of memory"), never as bad input (exit 3
# "malformed YAML" about a sound config.yaml) nor as a success that
# wrote an audit record with members missing.
. "$(dirname "$0")/test-lib.sh"

if test -n "$MLOPS_SANITIZED"; then
	test_skip 'a failed allocation near the end of rule enable' \
		'AddressSanitizer owns allocation: the shim fails no malloc there'
else
# The last 500 allocations of the command: the config load, the audit
# record and its append (the earlier ones open the store and set up
# OpenSSL, which t0200 covers).
test_expect_success 'a failed allocation near the end of rule enable' '
	export MLOPS_NO_AUTO_DISPATCH=1 &&
	mlops event rule add r --pattern "{\"source\":[\"t\"]}" --target true &&
	mlops event rule disable r &&
	cp -a .mlops base &&
	FAULT_COUNTS=$PWD/counts fault malloc 0 mlops event rule enable r &&
	total=$(awk "{ print \$3 }" counts) &&
	test "$total" -gt 500 &&
	for n in $(seq $((total - 500)) "$total"); do
		rm -rf .mlops && cp -a base .mlops &&
		fault malloc $n mlops event rule enable r >/dev/null 2>err
		rc=$?
		case $rc in
		0) ;;
		70) grep -q "^mlops: " err || { echo "malloc $n: no message"; exit 1; } ;;
		*) echo "malloc $n: status $rc"; cat err; exit 1 ;;
		esac
		mlops audit verify >/dev/null 2>verr || {
			echo "malloc $n (status $rc):"; cat verr; exit 1; }
	done
'
fi

test_done
