#!/bin/bash
# t5004-event-crash.sh - at least once, and never twice at once: a
# dispatcher SIGKILLed mid-delivery (alone, or with its target) and
# started again delivers every event, and an idempotent target applies
# each exactly once; dispatchers that overlap never run one delivery at
# the same time nor twice.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
export MLOPS_NO_AUTO_DISPATCH=1

# An idempotent target: it applies an event once, however often it is
# delivered; it notes every call, and any overlap of two runs of one
# event (a lock that dies with its holder).
make_target() {
	mkdir -p done &&
	cat >target.sh <<-EOF &&
	#!/bin/sh
	id=\$MLOPS_EVENT_ID
	exec 9>"lock.\$id"
	flock -n 9 || echo "\$id" >>overlap
	echo "\$id" >>calls
	if [ ! -e "done/\$id" ]; then
		sleep ${1:-0.3}
		echo "\$id" >>applied
		echo "\$id" >"done/\$id"
	fi
	EOF
	chmod +x target.sh &&
	mlops event rule add idem --pattern "{\"source\":[\"t\"]}" \
		--target "$PWD/target.sh" --backoff 10ms
}

# dispatch_until_done: passes until no delivery is pending (one whose
# killed dispatcher left a target running waits for it).
all_delivered() {
	mlops event dispatch >>pass.log 2>&1 &&
	test "$(mlops event rule show --json idem | jq .pending)" = 0
}

# kill_dispatchers N WHAT: N times, start a dispatcher in a session of
# its own and SIGKILL it (WHAT "pid") or its whole process group, target
# included (WHAT "group"), once a target has started.
kill_dispatchers() {
	k=0
	while [ $k -lt "$1" ]; do
		before=$(lines calls) &&
		{ setsid mlops event dispatch >>d.log 2>&1 & pid=$!; } &&
		wait_for has_lines calls $((before + 1)) || return 1
		if [ "$2" = group ]; then kill -9 -- -$pid; else kill -9 $pid; fi
		wait $pid 2>/dev/null
		k=$((k + 1))
	done
}

check_exactly_once() {
	mlops event log --json | jq -r .id | sort >ids &&
	test_line_count = "$1" ids &&
	sort applied >got && test_cmp ids got &&
	ls done | sort >got && test_cmp ids got &&
	test ! -e overlap &&
	mlops event rule show --json idem | jq -e ".delivered == $1" &&
	mlops event dead-letters --json >dead && test_line_count = 0 dead &&
	mlops audit verify
}

test_expect_success 'SIGKILL of the dispatcher mid-delivery loses nothing' '
	make_target 0.3 &&
	for i in $(seq 1 8); do put_event t x "{\"i\":$i}" >/dev/null || return 1; done &&
	kill_dispatchers 4 pid &&
	wait_for all_delivered &&
	check_exactly_once 8 &&
	test "$(lines calls)" -ge 8 &&
	test "$(lines calls)" -le $((8 + 4))
'

test_expect_success 'SIGKILL of dispatcher and target together loses nothing' '
	make_target 0.3 &&
	for i in $(seq 1 6); do put_event t x "{\"i\":$i}" >/dev/null || return 1; done &&
	kill_dispatchers 3 group &&
	wait_for all_delivered &&
	check_exactly_once 6 &&
	test "$(lines calls)" -ge 9
'

test_expect_success 'overlapping dispatchers run each delivery once, never at once' '
	make_target 0.05 &&
	for i in $(seq 1 20); do put_event t x "{\"i\":$i}" >/dev/null || return 1; done &&
	for d in 1 2 3; do mlops event dispatch >d$d.out 2>&1 & done &&
	wait &&
	check_exactly_once 20 &&
	test_line_count = 20 calls &&
	cat d1.out d2.out d3.out | grep -c "^delivered idem" >n &&
	test "$(cat n)" = 20
'

test_done
