#!/bin/bash
# t5003-event-dispatch.sh - `mlops event dispatch`: targets get the event
# on stdin and MLOPS_EVENT_* in their environment, each delivery runs
# once, failing targets are retried with backoff and then dead-lettered,
# and redrive delivers them again; `event log --after/--follow`.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-event.sh"
export MLOPS_NO_AUTO_DISPATCH=1

test_expect_success 'the target gets the event on stdin and MLOPS_EVENT_*' '
	mlops event rule add r --pattern "{\"source\":[\"t\"]}" --target "cat >stdin.json;
		env | grep ^MLOPS_ | sort >env.txt; pwd >pwd.txt" &&
	put_event t "Thing Changed" "{\"name\":\"a b\",\"n\":3,\"ok\":true,\"obj\":{\"k\":1},\"model-name\":\"m\"}" >id &&
	mlops event dispatch >out &&
	grep "^delivered r seq 1 (event $(cat id)), attempt 1" out &&
	mlops event log --json | jq -c "del(.seq)" >expect &&
	jq -c . stdin.json >got &&
	test_cmp expect got &&
	grep "^MLOPS_EVENT_ID=$(cat id)$" env.txt &&
	grep "^MLOPS_EVENT_SOURCE=t$" env.txt &&
	grep "^MLOPS_EVENT_DETAIL_TYPE=Thing Changed$" env.txt &&
	grep "^MLOPS_EVENT_DETAIL_NAME=a b$" env.txt &&
	grep "^MLOPS_EVENT_DETAIL_N=3$" env.txt &&
	grep "^MLOPS_EVENT_DETAIL_OK=true$" env.txt &&
	grep "^MLOPS_EVENT_DETAIL_MODEL_NAME=m$" env.txt &&
	! grep "^MLOPS_EVENT_DETAIL_OBJ" env.txt &&
	grep "^MLOPS_EVENT_RULE=r$" env.txt &&
	grep "^MLOPS_EVENT_SEQ=1$" env.txt &&
	grep "^MLOPS_STORE=$MLOPS_STORE$" env.txt &&
	test "$(cat pwd.txt)" = "$(dirname "$MLOPS_STORE")"
'

test_expect_success 'a target acts as the user who added its rule' '
	MLOPS_USER=alice@example.com mlops event rule add r --pattern "{}" \
		--target "echo \$MLOPS_USER >user.txt" &&
	MLOPS_USER=bob@example.com put_event t x "{}" >/dev/null &&
	MLOPS_USER=carol@example.com mlops event dispatch >/dev/null &&
	test "$(cat user.txt)" = alice@example.com &&
	mlops audit log --action event.deliver --json | jq -e ".user == \"alice@example.com\"" &&
	mlops audit log --action event.put --json | jq -e ".user == \"bob@example.com\""
'

test_expect_success '${detail.FIELD} is replaced, quoted for the shell' '
	mlops event rule add r --pattern "{}" \
		--target "printf \"%s|\" \${detail.name} \${detail.n} \${source} \${resources.0} >out.txt" &&
	printf "{\"source\":\"t\",\"detail-type\":\"x\",\"resources\":[\"arn:1\"],\"detail\":{\"name\":\"it'"'"'s; rm -rf x\",\"n\":2}}" |
		mlops event put >/dev/null &&
	mlops event dispatch >/dev/null &&
	printf "%s|" "it'"'"'s; rm -rf x" 2 t arn:1 >expect &&
	test_cmp expect out.txt
'

test_expect_success 'each delivery runs once: passes again, rules, events' '
	mlops event rule add a --pattern "{\"source\":[\"t\"]}" --target "echo a \$MLOPS_EVENT_SEQ >>calls" &&
	mlops event rule add b --pattern "{\"detail\":{\"n\":[{\"numeric\":[\">\",1]}]}}" \
		--target "echo b \$MLOPS_EVENT_SEQ >>calls" &&
	put_event t x "{\"n\":1}" >/dev/null &&
	put_event t x "{\"n\":2}" >/dev/null &&
	put_event u x "{\"n\":5}" >/dev/null &&
	mlops event dispatch >/dev/null &&
	mlops event dispatch >out &&
	test_line_count = 0 out &&
	sort calls >got &&
	printf "%s\n" "a 1" "a 2" "b 2" "b 3" >expect &&
	test_cmp expect got &&
	mlops event rule show --json a | jq -e ".delivered == 2 and .pending == 0"
'

test_expect_success 'a failing target is retried with doubling backoff, then dead' '
	mlops event rule add flaky --pattern "{}" --retries 2 --backoff 200ms \
		--target "date +%s.%N >>tries; echo broken pipe >&2; exit 3" &&
	put_event t x "{}" >id &&
	mlops event dispatch >out 2>err &&
	test_line_count = 3 tries &&
	grep "^retry flaky seq 1 .*attempt 1" out &&
	grep "^retry flaky seq 1 .*attempt 2" out &&
	grep "^dead flaky seq 1 .*attempt 3.*: exit status 3: broken pipe$" out &&
	awk "NR > 1 { d = \$1 - p; if (d < w) { print \"gap\", d, \"<\", w; bad = 1 } }
		{ p = \$1; w = (NR == 1 ? 0.2 : 0.4) } END { exit bad }" tries &&
	mlops event dead-letters --json >dead &&
	jq -e --arg id "$(cat id)" ".rule == \"flaky\" and .event == \$id and
		.attempts == 3 and .exitStatus == 3 and
		.reason == \"exit status 3: broken pipe\"" dead &&
	mlops event dead-letters >table &&
	grep "flaky	3	.*exit status 3: broken pipe" table &&
	mlops audit log --action event.deliver --json >audit &&
	jq -se "any(.[]; .resource == \"flaky/1\" and .outcome == \"failure\")" audit
'

test_expect_success 'redrive delivers a dead letter again, once' '
	mlops event rule add r --pattern "{}" --retries 0 \
		--target "test -e fixed && echo \$MLOPS_EVENT_ID >>done" &&
	put_event t x "{}" >id &&
	mlops event dispatch >/dev/null &&
	test ! -e done &&
	id=$(mlops event dead-letters --json | jq -r .id) &&
	touch fixed &&
	mlops event redrive "$id" &&
	mlops event dead-letters --json >dead && test_line_count = 0 dead &&
	mlops event dispatch >out &&
	grep "^delivered r" out &&
	test "$(cat done)" = "$(cat id)" &&
	test_expect_code 4 mlops event redrive "$id" 2>err &&
	grep "no dead letter $id" err &&
	test_expect_code 2 mlops event redrive x &&
	mlops audit log --action event.redrive --json | jq -e ".resource == \"$id\""
'

test_expect_success 'a target that does not exist is dead at once, with why' '
	mlops event rule add r --pattern "{}" --target "no-such-command --flag" &&
	put_event t x "{}" >/dev/null &&
	mlops event dispatch >out 2>&1 &&
	mlops event dead-letters --json >dead &&
	jq -e ".attempts == 1 and .exitStatus == 127 and
		(.reason | test(\"exit status 127: .*no-such-command.*not found\"))" dead
'

test_expect_success 'a target naming a field the event lacks is dead, naming it' '
	mlops event rule add r --pattern "{}" --target "echo \${detail.model}" &&
	put_event t x "{}" >/dev/null &&
	mlops event dispatch >/dev/null &&
	mlops event dead-letters --json |
		jq -e ".reason == \"target: the event has no field '"'"'detail.model'"'"'\""
'

test_expect_success 'event log --after resumes; --json carries seq; put takes it back' '
	for i in 1 2 3; do put_event t x "{\"i\":$i}" >/dev/null || return 1; done &&
	mlops event log --json --after 1 >out &&
	jq -r .seq out >seqs && printf "2\n3\n" >expect && test_cmp expect seqs &&
	mlops event log --after 2 >table &&
	grep "^3	" table && ! grep "^2	" table &&
	jq -c "del(.id)" out | mlops event put >/dev/null &&
	mlops event log --json | jq -r .seq | tail -n 1 >last && test "$(cat last)" = 5 &&
	test_expect_code 2 mlops event log --after -1
'

test_expect_success 'event log --follow prints new events as they come' '
	put_event t x "{}" >/dev/null &&
	(mlops event log --json --follow --after 0 >follow.out & echo $! >pid) &&
	wait_lines follow.out 1 &&
	put_event t x "{\"i\":2}" >/dev/null &&
	put_event t x "{\"i\":3}" >/dev/null &&
	wait_lines follow.out 3 &&
	kill "$(cat pid)" &&
	jq -r .seq follow.out >seqs && printf "1\n2\n3\n" >expect && test_cmp expect seqs &&
	test_expect_code 2 mlops event log --follow 2>err &&
	grep "add --json" err
'

test_expect_success 'dispatch --follow delivers as events come, stops on SIGTERM' '
	mlops event rule add r --pattern "{}" --target "echo \$MLOPS_EVENT_SEQ >>calls" &&
	(mlops event dispatch --follow --json >out & echo $! >pid) &&
	put_event t x "{}" >/dev/null &&
	wait_lines calls 1 &&
	put_event t x "{}" >/dev/null &&
	wait_lines calls 2 &&
	kill -TERM "$(cat pid)" &&
	wait_for test ! -e /proc/$(cat pid) &&
	jq -se "length == 2 and all(.[]; .outcome == \"delivered\" and
		.latency < 30)" out &&
	test_expect_code 2 mlops event dispatch extra &&
	mlops event dispatch --help | grep -- "--follow"
'

test_done
