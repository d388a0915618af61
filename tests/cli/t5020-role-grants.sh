#!/bin/bash
# t5020-role-grants.sh - mlops role: an empty store allows everything, the
# first grant must leave an administrator, only store.admin grants,
# revokes and defines, and no change leaves grants without an admin.
. "$(dirname "$0")/test-lib.sh"

# records FILE SELECT PRED: the JSON Lines of FILE hold records that
# SELECT picks, and PRED holds for each (jq 1.6's -e alone judges only
# the last line).
records() {
	jq -s -e "map(select($2)) | length > 0 and all(.[]; $3)" "$1" \
		>/dev/null
}

# as USER CMD...: run CMD as USER.
as() {
	MLOPS_USER=$1 "${@:2}"
}

test_expect_success 'a store without grants allows everything' '
	as anyone mlops role whoami >out &&
	grep "^user: anyone$" out &&
	grep "no grants: every action is allowed" out &&
	as anyone mlops role whoami --json | jq -e ".enforced == false" &&
	echo x >m.txt &&
	as anyone mlops-registry register churn --artifact m.txt \
		--framework exec --entry "cat" >/dev/null &&
	as anyone mlops-registry approve churn/1 &&
	as anyone mlops config set a.b 1 &&
	as anyone mlops audit log --json --action registry.approve >log &&
	records log ".activity == \"registry.approve\"" \
		"has(\"persona\") | not"
'

test_expect_success 'the first grant must give store.admin, else exit 4 and nothing' '
	test_snapshot &&
	test_expect_code 4 as root mlops role grant ana data-scientist 2>err &&
	grep "first grant must leave an administrator" err &&
	grep "mlops role grant USER admin" err &&
	test_store_unchanged &&
	mlops audit log --json --action role.grant >log &&
	records log ".outcome == \"failure\"" ".detail.status == 4" &&
	as root mlops role grant root admin >out &&
	echo "root: granted admin" >expect &&
	test_cmp expect out &&
	as root mlops role grant root admin >out &&
	grep "holds already" out &&
	as root mlops role whoami --json |
		jq -e ".enforced and .personas == [\"admin\"] and
			.activities == [\"store.admin\"]"
'

test_expect_success 'only store.admin grants, revokes and defines (exit 5, audited)' '
	as root mlops role grant root admin &&
	as root mlops role grant ana data-scientist &&
	test_snapshot &&
	test_expect_code 5 as ana mlops role grant ana admin 2>err &&
	grep "ana (persona data-scientist) may not role.grant .ana.: that needs the activity .store.admin., held by admin" err &&
	test_expect_code 5 as ana mlops role revoke root 2>err &&
	test_expect_code 5 as ana mlops role define mine --activities \
		feature.read 2>err &&
	test_expect_code 5 as nobody mlops role grant nobody admin 2>err &&
	grep "nobody (no persona) may not role.grant" err &&
	test_store_unchanged &&
	mlops audit log --outcome denied --json >log &&
	test_line_count = 4 log &&
	records log ".user == \"ana\"" ".persona == \"data-scientist\" and
		.activity == \"store.admin\" and .detail.status == 5" &&
	mlops event log --type "Action Denied" --json >ev &&
	test_line_count = 4 ev &&
	records ev ".detail.user == \"nobody\"" ".source == \"mlops.governance\"
		and .detail.action == \"role.grant\" and
		.detail.activity == \"store.admin\""
'

test_expect_success 'the last admin goes only with every other grant' '
	as root mlops role grant root admin &&
	as root mlops role grant ana data-scientist &&
	test_snapshot &&
	test_expect_code 4 as root mlops role revoke root 2>err &&
	grep "would leave no one holding store.admin" err &&
	test_expect_code 4 as root mlops role revoke root admin &&
	test_store_unchanged &&
	as root mlops role grant bob admin &&
	as root mlops role revoke root >out &&
	grep "root: revoked every persona" out &&
	test_expect_code 5 as root mlops role revoke ana &&
	as bob mlops role revoke ana data-scientist &&
	test_expect_code 4 as bob mlops role revoke ana 2>err &&
	grep "ana. holds no persona" err &&
	as bob mlops role revoke bob &&
	as anyone mlops role whoami --json | jq -e ".enforced == false"
'

test_expect_success 'unknown personas and bad definitions are refused, audited' '
	as root mlops role grant root admin &&
	test_snapshot &&
	test_expect_code 4 as root mlops role grant ana wizard 2>err &&
	grep "no persona .wizard." err &&
	test_expect_code 4 as root mlops role show wizard &&
	test_expect_code 3 as root mlops role define ops --activities \
		deploy.manage,deploy.fly 2>err &&
	grep "deploy.fly. is not an activity" err &&
	test_expect_code 4 as root mlops role define admin --activities "" \
		2>err &&
	grep "built-in persona" err &&
	test_expect_code 3 as root mlops role define "Bad Name" \
		--activities "" 2>err &&
	test_expect_code 2 as root mlops role define ops 2>err &&
	grep -- "--activities is required" err &&
	test_expect_code 2 as root mlops role grant ana &&
	test_expect_code 2 as root mlops role revoke &&
	test_store_unchanged &&
	mlops audit log --outcome failure --json >log &&
	test_line_count = 4 log &&
	records log ".action == \"role.define\"" ".detail.status"
'

test_expect_success 'a user name that is not UTF-8 is bad input, nothing else' '
	test_expect_code 3 as "$(printf "u\\376")" mlops role whoami --json \
		2>err &&
	grep "acting user is not valid UTF-8" err &&
	test_expect_code 3 mlops role grant "$(printf "a\\377")" admin 2>err &&
	grep "not valid UTF-8" err &&
	mlops role whoami --json | jq -e ".enforced == false"
'

test_expect_success 'define makes a custom persona; list, show and whoami show it' '
	as root mlops role grant root admin &&
	as root mlops role define labeller \
		--activities feature.ingest,feature.read >out &&
	grep "labeller: defined with 2 activities" out &&
	as root mlops role grant lea labeller &&
	mlops role show --json labeller |
		jq -e ".builtin == false and
			.activities == [\"feature.ingest\", \"feature.read\"] and
			.users == [\"lea\"]" &&
	mlops role list --json >list &&
	test_line_count = 5 list &&
	jq -s -e "map(.name) == [\"admin\", \"data-scientist\",
		\"mlops-engineer\", \"service\", \"labeller\"]" list &&
	mlops role show data-scientist >out &&
	grep "^persona: data-scientist (built-in)" out &&
	grep "^  registry.register " out &&
	! grep "registry.approve" out &&
	as lea mlops role whoami >out &&
	grep "^personas: labeller$" out &&
	grep "^activities: feature.ingest, feature.read$" out &&
	as root mlops role define labeller --activities feature.read &&
	mlops role show --json labeller |
		jq -e ".activities == [\"feature.read\"]" &&
	mlops role activities --json >acts &&
	records acts ".name == \"registry.approve\"" \
		".personas == [\"mlops-engineer\"]"
'

test_expect_success 'a custom persona cannot take store.admin from the last admin' '
	as root mlops role define boss --activities store.admin &&
	as root mlops role grant root boss &&
	as root mlops role grant ana data-scientist &&
	test_expect_code 4 as root mlops role define boss --activities \
		deploy.manage 2>err &&
	grep "would leave no one holding store.admin" err &&
	mlops role show --json boss | jq -e ".activities == [\"store.admin\"]"
'

test_done
