#!/bin/bash
# t5005-event-auto.sh - the loop closes by itself: a program that records
# events starts a detached dispatch pass when enabled rules exist; the
# pass inherits nothing; events.auto_dispatch and MLOPS_NO_AUTO_DISPATCH
# turn it off; a follower makes it unneeded; and the latency from event
# to target start.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
unset MLOPS_NO_AUTO_DISPATCH

test_expect_success 'an event starts a pass: the target runs with nobody dispatching' '
	mlops event rule add r --pattern "{\"source\":[\"t\"]}" \
		--target "echo \$MLOPS_EVENT_ID >>calls" &&
	put_event t x "{}" >id &&
	wait_lines calls 1 &&
	test_cmp id calls &&
	wait_for dispatch_idle &&
	grep "^delivered r seq 1" "$MLOPS_STORE/events/dispatch.log"
'

test_expect_success 'the background pass is detached and inherits no descriptor' '
	mlops event rule add r --pattern "{}" --target "
		echo \$PPID >dispatcher.pid; $PYTHON $TEST_DIRECTORY/list-fds.py fds;
		while [ ! -e go ]; do sleep 0.02; done" &&
	trap "touch \"$PWD/go\"" EXIT &&
	(exec 7>held.txt && put_event t x "{}" >/dev/null) &&
	wait_for test -s fds &&
	pid=$(cat dispatcher.pid) &&
	for fd in /proc/$pid/fd/*; do readlink $fd; done >dfds &&
	! grep -v -e "^$MLOPS_STORE/" -e "^/dev/null$" -e "^pipe:" dfds &&
	test "$(readlink /proc/$pid/fd/1)" = "$MLOPS_STORE/events/dispatch.log" &&
	test "$(readlink /proc/$pid/fd/0)" = /dev/null &&
	test "$(ps -o sid= -p $pid | tr -d " ")" = $pid &&
	test "$(ps -o ppid= -p $pid | tr -d " ")" != $$ &&
	tr -d "\n" <fds | grep -v held.txt &&
	cut -d" " -f1 fds >tfds && printf "3\n" >expect && test_cmp expect tfds &&
	touch go &&
	wait_for dispatch_idle
'

test_expect_success 'a real program (registry approve) closes the loop' '
	echo "{}" >m.json &&
	mlops-registry register churn --artifact m.json --framework exec --entry cat >/dev/null &&
	mlops event rule add r --pattern "{\"source\":[\"mlops.registry\"],
		\"detail\":{\"ModelApprovalStatus\":[\"Approved\"]}}" \
		--target "echo \${detail.ModelPackageGroupName}/\${detail.ModelPackageVersion} >>approved" &&
	mlops-registry approve churn/1 >/dev/null &&
	wait_lines approved 1 &&
	test "$(cat approved)" = churn/1 &&
	wait_for dispatch_idle
'

test_expect_success 'a burst of events is delivered once each' '
	mlops event rule add r --pattern "{}" --target "echo \$MLOPS_EVENT_ID >>calls" &&
	for i in $(seq 1 30); do put_event t x "{\"i\":$i}" >>ids || return 1; done &&
	wait_lines calls 30 &&
	wait_for dispatch_idle &&
	sort ids >a && sort calls >b && test_cmp a b
'

test_expect_success 'events.auto_dispatch false and MLOPS_NO_AUTO_DISPATCH turn it off' '
	mlops event rule add r --pattern "{}" --target "echo x >>calls" &&
	mlops config set events.auto_dispatch false &&
	put_event t x "{}" >/dev/null &&
	test ! -e "$MLOPS_STORE/events/dispatch.log" &&
	mlops config set events.auto_dispatch true &&
	MLOPS_NO_AUTO_DISPATCH=1 put_event t x "{}" >/dev/null &&
	test ! -e "$MLOPS_STORE/events/dispatch.log" &&
	test_expect_code 3 mlops config set events.auto_dispatch maybe 2>err &&
	grep "not a boolean" err &&
	mlops event dispatch >/dev/null &&
	test_line_count = 2 calls
'

test_expect_success 'no enabled rule, no pass' '
	mlops event rule add r --pattern "{}" --target "echo x >>calls" --disabled &&
	put_event t x "{}" >/dev/null &&
	test ! -e "$MLOPS_STORE/events/dispatch.log"
'

test_expect_success 'while a follower runs, programs start no pass of their own' '
	mlops event rule add r --pattern "{}" --target "echo \$MLOPS_EVENT_ID >>calls" &&
	(mlops event dispatch --follow >follow.out 2>&1 & echo $! >pid) &&
	trap "kill \$(cat pid) 2>/dev/null" EXIT &&
	wait_for test -e "$MLOPS_STORE/events/follow.lock" &&
	wait_for lock_held "$MLOPS_STORE/events/follow.lock" &&
	put_event t x "{}" >/dev/null &&
	wait_lines calls 1 &&
	wait_for grep -q "^delivered r" follow.out &&
	test ! -e "$MLOPS_STORE/events/dispatch.log"
'

# latency SECONDS...: the median, over the events of the log, of the time
# from the event to its target start, as the target noted it in starts.
median_latency() {
	mlops event log --json | jq -r "[.id, .time] | @tsv" >times &&
	$PYTHON - times starts <<-\PY
	import sys, datetime, statistics
	t = {}
	for l in open(sys.argv[1]):
	    i, s = l.split()
	    t[i] = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
	        tzinfo=datetime.timezone.utc).timestamp()
	d = sorted(float(s) - t[i] for i, s in (l.split() for l in open(sys.argv[2])))
	print("%.3f" % statistics.median(d))
	PY
}

test_expect_success 'latency from event to target start, background passes' '
	mlops event rule add r --pattern "{}" \
		--target "echo \$MLOPS_EVENT_ID \$(date +%s.%N) >>starts" &&
	for i in $(seq 1 7); do
		put_event t x "{}" >/dev/null && wait_lines starts $i || return 1
	done &&
	wait_for dispatch_idle &&
	median_latency >median &&
	echo "# auto-dispatch latency median $(cat median)s, load $(cut -d" " -f1-3 /proc/loadavg)" &&
	awk "{ exit !(\$1 < 5) }" median
'

test_expect_success 'latency from event to target start, a follower' '
	mlops event rule add r --pattern "{}" \
		--target "echo \$MLOPS_EVENT_ID \$(date +%s.%N) >>starts" &&
	(mlops event dispatch --follow >follow.out 2>&1 & echo $! >pid) &&
	trap "kill \$(cat pid) 2>/dev/null" EXIT &&
	for i in $(seq 1 7); do
		put_event t x "{}" >/dev/null && wait_lines starts $i || return 1
	done &&
	median_latency >median &&
	echo "# follower latency median $(cat median)s, load $(cut -d" " -f1-3 /proc/loadavg)" &&
	awk "{ exit !(\$1 < 5) }" median
'

test_done
