#!/bin/bash
# t0321-contrib.sh - the examples in contrib/ work as they say: the
# systemd units pass systemd-analyze verify and their ExecStart serves
# this store until the unit's KillSignal ends it with status 0; the
# cron lines run; the pipeline-validate hook refuses a commit and a
# push whose pipeline.yaml does not validate, and lets a good one by.
. "$(dirname "$0")/test-lib.sh"

CONTRIB=$TEST_ROOT/contrib

# unit_here UNIT: UNIT as it would be installed here: programs from
# $MLOPS_BIN, this store, this user, a free port. Written to ./UNIT.
unit_here() {
	port=$(test_free_port) &&
	sed -e "s|/usr/local/bin/|$MLOPS_BIN/|" \
	    -e "s|^User=.*|User=$(id -un)|" \
	    -e "s|^Environment=MLOPS_STORE=.*|Environment=MLOPS_STORE=$MLOPS_STORE|" \
	    -e "s|127\.0\.0\.1:[0-9]*|127.0.0.1:$port|" \
	    "$CONTRIB/systemd/$1" >"$1"
}

# unit_key UNIT KEY: the value of KEY= in ./UNIT
unit_key() {
	sed -n "s/^$2=//p" "$1"
}

# serve_unit UNIT PATH: start ./UNIT's ExecStart in the background, wait
# until http://ADDRESS/PATH answers, send the unit's KillSignal, and
# wait for a clean exit.
serve_unit() {
	cmd=$(unit_key "$1" ExecStart) &&
	sig=$(unit_key "$1" KillSignal) &&
	test -n "$cmd" && test -n "$sig" &&
	eval "export $(unit_key "$1" Environment)" || return 1
	timeout 60 $cmd >unit.out 2>&1 &
	pid=$!
	url=http://127.0.0.1:$port/$2
	for i in $(seq 1 200); do
		curl -sf "$url" >/dev/null 2>&1 && break
		sleep 0.05
	done
	curl -sf "$url" >answer || { kill $pid; cat unit.out; return 1; }
	kill -s "${sig#SIG}" $pid &&
	wait $pid
}

test_expect_success 'every systemd unit passes systemd-analyze verify' '
	command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; exit 0; }
	for u in $(cd "$CONTRIB/systemd" && ls *.service); do
		unit_here "$u" &&
		systemd-analyze verify "./$u" || return 1
	done &&
	ls "$CONTRIB/systemd" >units &&
	grep -x mlops-gateway.service units &&
	grep -x mlops-web.service units &&
	grep -x mlops-event-dispatch.service units
'

test_expect_success 'the gateway unit serves the store and stops on its signal' '
	unit_here mlops-gateway.service &&
	grep -q "^ExecStart=.*mlops-deploy serve" mlops-gateway.service &&
	serve_unit mlops-gateway.service ping
'

test_expect_success 'the web unit serves the store and stops on its signal' '
	unit_here mlops-web.service &&
	serve_unit mlops-web.service "" &&
	grep -qi "<html" answer
'

# The event is put with no background pass of its own, so only the
# unit's dispatcher can deliver it.
test_expect_success 'the dispatcher unit follows events and stops on its signal' '
	unit_here mlops-event-dispatch.service &&
	cmd=$(unit_key mlops-event-dispatch.service ExecStart) &&
	sig=$(unit_key mlops-event-dispatch.service KillSignal) &&
	mlops event rule add t0321 --pattern "{\"source\": [\"t0321\"]}" \
		--target "touch $PWD/delivered" >/dev/null &&
	{ timeout 60 $cmd >unit.out 2>&1 & pid=$!; } &&
	echo "{\"detail-type\": \"Test\", \"source\": \"t0321\", \"detail\": {}}" |
		MLOPS_NO_AUTO_DISPATCH=1 mlops event put >/dev/null &&
	for i in $(seq 1 400); do
		test -e delivered && break
		sleep 0.05
	done &&
	test -e delivered &&
	kill -s "${sig#SIG}" $pid &&
	wait $pid
'

test_expect_success 'the cron lines run' '
	for f in "$CONTRIB"/cron/*; do
		grep -v "^#" "$f" | grep . >lines &&
		while read -r m h dom mon dow user cmd; do
			cmd=${cmd%%>>*} &&
			cmd=$(echo "$cmd" | sed "s|MLOPS_STORE=[^ ]*|MLOPS_STORE=$MLOPS_STORE|") &&
			eval "$cmd" || { echo "$f: $cmd failed"; return 1; }
		done <lines || return 1
	done
'

# a repository with a valid pipeline and the hook as pre-commit and
# pre-push, and a bare remote
hook_repo() {
	git init -q repo && git init -q --bare remote.git &&
	(
		cd repo &&
		git config user.email t@example.com && git config user.name t &&
		cp "$CONTRIB/hooks/pipeline-validate" .git/hooks/pre-commit &&
		cp "$CONTRIB/hooks/pipeline-validate" .git/hooks/pre-push &&
		printf "name: x\nsteps:\n  - {name: a, run: echo hi >o, outputs: [o]}\n" \
			>pipeline.yaml &&
		git add pipeline.yaml && git commit -qm good &&
		git remote add origin ../remote.git &&
		git push -q origin HEAD:main
	)
}

test_expect_success 'the hook lets a valid pipeline be committed and pushed' '
	hook_repo &&
	git -C remote.git rev-parse --verify -q main
'

test_expect_success 'the hook refuses a commit whose pipeline does not validate' '
	hook_repo &&
	(
		cd repo &&
		printf "name: x\nsteps:\n  - {name: a, needs: [b], run: echo}\n" \
			>pipeline.yaml &&
		test_must_fail git commit -qam bad 2>../err
	) &&
	grep -q "index:pipeline.yaml:3:.*needs .b., which is not a step" err &&
	grep -q "commit refused" err &&
	git -C repo log --oneline >log &&
	test_line_count = 1 log &&
	test -z "$(ls -A repo | grep pipeline-validate)"
'

test_expect_success 'the hook refuses a push whose pipeline does not validate' '
	hook_repo &&
	(
		cd repo &&
		printf "name: x\nsteps:\n  - {name: a, needs: [b], run: echo}\n" \
			>pipeline.yaml &&
		git commit -q --no-verify -am bad &&
		test_must_fail git push -q origin HEAD:main 2>../err
	) &&
	grep -q "push refused" err &&
	git -C remote.git log --oneline main >log &&
	test_line_count = 1 log
'

test_done
