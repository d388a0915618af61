#!/bin/bash
# t5021-role-enforce.sh - once grants exist, every change checks the
# acting user's activities where the library declares it: a data
# scientist's approval is denied (exit 5, nothing changed, audited,
# Action Denied event), an mlops engineer's succeeds, a pipeline step is
# checked as its user, and a user without activities is refused every
# change, each naming the activity `mlops role verbs` gives.
. "$(dirname "$0")/test-lib.sh"

# records FILE SELECT PRED: the JSON Lines of FILE hold records that
# SELECT picks, and PRED holds for each (jq 1.6's -e alone judges only
# the last line).
records() {
	jq -s -e "map(select($2)) | length > 0 and all(.[]; $3)" "$1" \
		>/dev/null
}

as() {
	MLOPS_USER=$1 "${@:2}"
}

# Roles as a team has them, and churn/1 pending approval.
team() {
	as root mlops role grant root admin >/dev/null &&
	as root mlops role grant ana data-scientist >/dev/null &&
	as root mlops role grant eve mlops-engineer >/dev/null &&
	echo "cat" >worker.sh &&
	as ana mlops-registry register churn --artifact worker.sh \
		--framework exec --entry "sh worker.sh" >/dev/null
}

test_expect_success 'a data scientist'"'"'s approval: exit 5, nothing changed, audited, event' '
	team &&
	test_snapshot &&
	test_expect_code 5 as ana mlops-registry approve churn/1 2>err &&
	grep "^mlops-registry: permission denied: ana (persona data-scientist) may not registry.approve .churn/1.: that needs the activity .registry.approve., held by mlops-engineer$" err &&
	test_store_unchanged &&
	mlops-registry status --json churn/1 | jq -e ".status != \"Approved\"" &&
	mlops audit log --json --outcome denied >log &&
	test_line_count = 1 log &&
	jq -e ".user == \"ana\" and .persona == \"data-scientist\" and
		.tool == \"mlops-registry\" and
		.action == \"registry.approve\" and .resource == \"churn/1\" and
		.activity == \"registry.approve\" and .detail.status == 5" log &&
	mlops event log --json --source mlops.governance >ev &&
	test_line_count = 1 ev &&
	jq -e ".\"detail-type\" == \"Action Denied\" and
		.detail.user == \"ana\" and
		.detail.persona == \"data-scientist\" and
		.detail.action == \"registry.approve\" and
		.detail.activity == \"registry.approve\"" ev &&
	mlops audit verify
'

test_expect_success 'an mlops engineer'"'"'s approval succeeds, recorded with the persona' '
	team &&
	as eve mlops-registry approve churn/1 >out &&
	grep "churn/1: PendingManualApproval -> Approved" out &&
	mlops audit log --json --action registry.approve >log &&
	jq -e ".user == \"eve\" and .persona == \"mlops-engineer\" and
		.activity == \"registry.approve\" and
		.outcome == \"success\"" log &&
	mlops audit log --persona mlops-engineer >tab &&
	grep "	eve	mlops-engineer	mlops-registry	registry.approve	churn/1	success$" tab &&
	as eve mlops-deploy create web --model churn/1 &&
	test_expect_code 5 as ana mlops-deploy delete web 2>err &&
	grep "needs the activity .deploy.manage." err &&
	mlops-deploy describe web
'

test_expect_success 'a pipeline step is checked as its user' '
	team &&
	cat >pipeline.yaml <<-\EOF &&
	name: gate
	steps:
	  - name: approve
	    run: mlops-registry approve churn/1
	EOF
	test_expect_code 1 as ana mlops-pipeline run 2>err &&
	mlops-registry status --json churn/1 | jq -e ".status != \"Approved\"" &&
	mlops audit log --json --outcome denied >log &&
	records log ".action == \"registry.approve\"" ".user == \"ana\"" &&
	as eve mlops-pipeline run 2>err &&
	mlops-registry status --json churn/1 | jq -e ".status == \"Approved\""
'

test_expect_success 'a refusal before the change is declared is audited as failure, usage errors are not' '
	team &&
	test_expect_code 4 as eve mlops-registry approve churn/9 2>err &&
	grep "churn" err &&
	mlops audit log --json --outcome failure >log &&
	test_line_count = 1 log &&
	jq -e ".action == \"registry.approve\" and .resource == \"churn/9\" and
		.persona == \"mlops-engineer\" and .detail.status == 4 and
		(.detail.error | test(\"not found\"))" log &&
	test_expect_code 4 as eve mlops-deploy create web --model nope/1 \
		2>err &&
	mlops audit log --json --outcome failure --action deploy.create >log &&
	jq -e ".resource == \"web\" and .detail.status == 4" log &&
	n=$(mlops audit log --json | wc -l) &&
	test_expect_code 2 as eve mlops-registry approve 2>err &&
	test_expect_code 2 as eve mlops-registry approve --bogus churn/1 \
		2>err &&
	test_expect_code 2 as eve mlops-deploy create web 2>err &&
	test "$(mlops audit log --json | wc -l)" = "$n" &&
	test_expect_code 4 as eve mlops-registry show churn/9 &&
	test "$(mlops audit log --json | wc -l)" = "$n"
'

# expect_denied ACTIVITY CMD...: CMD exits 5 naming ACTIVITY as the
# missing one, and `mlops role verbs` gives ACTIVITY for CMD's verb.
expect_denied() {
	activity=$1 &&
	shift &&
	test_expect_code 5 as nobody "$@" 2>err </dev/null &&
	grep "nobody (persona nothing) may not .*needs the activity .$activity." err ||
	{ echo "not denied as $activity: $*"; cat err; return 1; }
	verb="$1 $2" &&
	case "$2" in key|card|alias|hook|schedule|object|config|event|role)
		verb="$verb $3" ;;
	esac &&
	mlops role verbs --json >verbs &&
	records verbs ".verb == \"$verb\"" ".activity == \"$activity\"" ||
	{ echo "role verbs does not give $activity for $verb"; return 1; }
}

test_expect_success 'a user whose persona holds nothing is refused every change' '
	test_customers_group &&
	team &&
	as eve mlops-registry approve churn/1 >/dev/null &&
	as eve mlops-deploy create web --model churn/1 >/dev/null &&
	key=$(as eve mlops-deploy key create web) &&
	as root mlops role define nothing --activities "" &&
	as root mlops role grant nobody nothing &&
	echo blob >b.txt &&
	echo "{\"source\": \"t\", \"detail-type\": \"T\", \"detail\": {}}" \
		>ev.json &&
	printf "customer_id,event_time,age\nc2,2026-01-02T00:00:00Z,31\n" \
		>rec.csv &&
	printf "name: p\nsteps:\n  - {name: a, run: \"true\"}\n" >pipeline.yaml &&
	test_snapshot &&
	expect_denied object.write mlops object put b.txt &&
	expect_denied store.admin mlops config set a.b 1 &&
	expect_denied store.admin mlops config unset a.b &&
	expect_denied store.admin mlops gc &&
	expect_denied event.manage mlops event put ev.json &&
	expect_denied feature.manage mlops-feature create customers.yaml &&
	expect_denied feature.manage mlops-feature drop --force customers &&
	expect_denied feature.ingest mlops-feature ingest customers rec.csv &&
	expect_denied feature.ingest mlops-feature delete \
		--event-time 2026-01-02T00:00:00Z customers c1 &&
	expect_denied pipeline.run mlops-pipeline run &&
	expect_denied registry.register mlops-registry create other &&
	expect_denied registry.register mlops-registry register churn \
		--artifact b.txt --framework exec --entry cat &&
	expect_denied registry.approve mlops-registry reject churn/1 &&
	expect_denied registry.approve mlops-registry alias set churn champ 1 &&
	expect_denied card.edit mlops-registry card create churn/1 &&
	expect_denied deploy.manage mlops-deploy update web --model churn/1 &&
	expect_denied deploy.manage mlops-deploy update web --public &&
	expect_denied deploy.manage mlops-deploy rollback web &&
	expect_denied deploy.manage mlops-deploy key create web &&
	expect_denied deploy.manage mlops-deploy key delete web "${key:4:8}" &&
	expect_denied deploy.manage mlops-deploy delete web &&
	expect_denied monitor.run mlops-monitor run-due &&
	expect_denied store.admin mlops role grant nobody admin &&
	test_store_unchanged &&
	test "$(mlops audit log --json --outcome denied --user nobody |
		wc -l)" = 23 &&
	test "$(mlops event log --json --type "Action Denied" | wc -l)" = 23
'

test_done
