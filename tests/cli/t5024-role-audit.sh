#!/bin/bash
# t5024-role-audit.sh - the audit trail with roles: every record names
# its activity and, once grants exist, its persona; audit log filters by
# user, persona, tool, action, outcome and time; audit verify covers the
# persona, and records written before personas existed still verify.
. "$(dirname "$0")/test-lib.sh"

as() {
	MLOPS_USER=$1 "${@:2}"
}

# A trail with successes, a refusal and a failure by three users.
trail() {
	as root mlops role grant root admin >/dev/null &&
	as root mlops role grant ana data-scientist >/dev/null &&
	as root mlops role grant eve mlops-engineer >/dev/null &&
	echo cat >w.sh &&
	as ana mlops-registry register churn --artifact w.sh \
		--framework exec --entry cat >/dev/null &&
	{ as ana mlops-registry approve churn/1 2>/dev/null; test $? = 5; } &&
	as eve mlops-registry approve churn/1 >/dev/null &&
	{ as eve mlops-registry approve churn/7 2>/dev/null; test $? = 4; }
}

test_expect_success 'audit log filters by user, persona, tool, action and outcome' '
	trail &&
	mlops audit log --json --user ana >out &&
	test "$(jq -r .action out | tr "\n" " ")" = \
		"registry.register registry.approve " &&
	mlops audit log --json --persona data-scientist >out &&
	test_line_count = 2 out &&
	mlops audit log --json --persona mlops-engineer --outcome success >out &&
	test_line_count = 1 out &&
	jq -e ".user == \"eve\" and .resource == \"churn/1\"" out &&
	mlops audit log --json --outcome denied >out &&
	jq -e ".user == \"ana\" and .activity == \"registry.approve\"" out &&
	mlops audit log --json --outcome failure >out &&
	jq -e ".resource == \"churn/7\" and .persona == \"mlops-engineer\"" out &&
	mlops audit log --json --tool mlops --action role. >out &&
	test_line_count = 3 out &&
	mlops audit log --json --tool mlops-registry --action registry.approve \
		--user eve >out &&
	test_line_count = 2 out &&
	mlops audit log --persona admin >tab &&
	head -n 1 tab | grep "^seq	time	user	persona	tool	action	resource	outcome$" &&
	grep "	root	admin	mlops	role.grant	eve	success$" tab &&
	test_expect_code 2 mlops audit log --outcome maybe 2>err &&
	grep "success, denied or failure" err &&
	test_expect_code 2 mlops audit log --until soon 2>err &&
	grep -- "--until" err
'

test_expect_success 'audit log --since and --until bound a time window' '
	trail &&
	mlops audit log --json >all &&
	t3=$(sed -n 3p all | jq -r .time) &&
	t5=$(sed -n 5p all | jq -r .time) &&
	mlops audit log --json --since "$t3" --until "$t5" >out &&
	jq -s -e "all(.[]; .time >= \"$t3\" and .time < \"$t5\") and
		length >= 1" out &&
	! grep "\"seq\":5," out &&
	mlops audit log --json --until 2000-01-01T00:00:00Z >out &&
	test_line_count = 0 out &&
	mlops audit log --json --since 2000-01-01T00:00:00Z >out &&
	test_cmp all out
'

test_expect_success 'audit verify covers the persona: changing it is an edit' '
	trail &&
	mlops audit verify &&
	sed -i "s/\"persona\":\"mlops-engineer\"/\"persona\":\"admin\"/" \
		"$MLOPS_STORE/audit.log" &&
	test_expect_code 1 mlops audit verify >out &&
	grep "its hash does not match its content: it was edited" out
'

test_expect_success 'records written before personas and activities still verify' '
	rm "$MLOPS_STORE/audit.log" "$MLOPS_STORE/audit.head" &&
	$PYTHON - "$MLOPS_STORE" <<-\PY &&
	import hashlib, json, sys
	d = sys.argv[1]
	prev, lines = "0" * 64, []
	for seq, action in ((1, "store.init"), (2, "object.put")):
	    rec = {"time": "2026-01-01T00:00:0%dZ" % seq, "user": "old",
	           "tool": "mlops", "action": action, "resource": "r",
	           "outcome": "success", "env": "test", "seq": seq,
	           "prev": prev}
	    body = json.dumps(rec, sort_keys=True, separators=(",", ":"))
	    h = hashlib.sha256((prev + "\n" + body).encode()).hexdigest()
	    lines.append(body[:-1] + ",\"hash\":\"%s\"}\n" % h)
	    prev = h
	open(d + "/audit.log", "w").write("".join(lines))
	open(d + "/audit.head", "w").write("2 %s\n" % prev)
	PY
	mlops audit verify &&
	as root mlops role grant root admin &&
	as root mlops config set a.b 1 &&
	mlops audit verify 2>err &&
	grep "intact: 4 records" err &&
	mlops audit log --json >log &&
	jq -s -e ".[0] | has(\"activity\") | not" log &&
	jq -s -e ".[3] | .persona == \"admin\" and
		.activity == \"store.admin\"" log
'

test_done
