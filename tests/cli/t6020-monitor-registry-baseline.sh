#!/bin/bash
# t6020-monitor-registry-baseline.sh - a baseline registered with
# mlops-monitor baseline --register shows in the registry: show (table
# and --json) names it, and the model card's evaluation section links it
# by name and by the content hashes of its two files.
. "$(dirname "$0")/test-lib.sh"

setup() {
	echo cat >worker.sh &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --status Approved >/dev/null &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" >/dev/null &&
	printf "age,spend\n30,10.5\n40,20\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base >/dev/null
}

test_expect_success 'show names the registered baseline, table and JSON' '
	setup &&
	mlops-registry show churn/1 >before &&
	! grep "^baseline:" before &&
	mlops-registry show --json churn/1 | jq -e ".baseline == null" &&
	mlops-monitor baseline --data train.csv -o base --register churn/1 \
		>/dev/null &&
	s=$(sha256sum <base/statistics.json | cut -d" " -f1) &&
	c=$(sha256sum <base/constraints.json | cut -d" " -f1) &&
	mlops-registry show churn/1 >out &&
	grep "^baseline:     churn/1 (mlops-monitor baseline --register)$" out &&
	grep "^  statistics.json      sha256:$s$" out &&
	grep "^  constraints.json     sha256:$c$" out &&
	grep "^  registered           20[0-9T:.-]*Z by tester@example.com$" out &&
	mlops-registry show --json churn/1 >j &&
	jq -e --arg s "$s" --arg c "$c" ".baseline.baseline == \"churn/1\" and
		.baseline.statistics == \$s and .baseline.constraints == \$c and
		.baseline.registered_by == \"tester@example.com\"" j &&
	mlops-registry show churn/2 >other &&
	! grep "^baseline:" other &&
	mlops-registry show --json churn |
		jq -e ".version == 2 and .baseline == null"
'

test_expect_success 'the card links the baseline, even one registered later' '
	setup &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card show --json churn/1 |
		jq -e ".content.evaluation_details == null" &&
	mlops-monitor baseline --data train.csv -o base --register churn/1 \
		>/dev/null &&
	s=$(sha256sum <base/statistics.json | cut -d" " -f1) &&
	mlops-registry card show --json churn/1 >card.json &&
	jq -e --arg s "$s" ".content.evaluation_details |
		map(select(.name == \"monitoring baseline\")) | length == 1 and
		.[0].evaluation_job_arn == \"monitor-baseline:churn/1\" and
		.[0].metadata.baseline == \"churn/1\" and
		(.[0].datasets[0] == \"statistics.json sha256:\" + \$s) and
		(.[0].evaluation_observation |
			contains(\"mlops-monitor check --baseline churn/1\"))" \
		card.json &&
	mlops-registry card show churn/1 >card.md &&
	grep "^## Evaluation details" card.md &&
	grep "^### Monitoring baseline" card.md &&
	grep "statistics.json sha256:$s" card.md &&
	mlops-registry card export --format html -o card.html churn/1 &&
	grep "monitor-baseline:churn/1" card.html
'

test_expect_success 'the link survives edits, stays single, follows a new baseline' '
	setup &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-monitor baseline --data train.csv -o base --register churn/1 \
		>/dev/null &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Low \
		>/dev/null &&
	printf "age,spend\n31,1\n45,2\n50,3\n" >train2.csv &&
	mlops-monitor baseline --data train2.csv -o base2 --register churn/1 \
		>/dev/null &&
	s=$(sha256sum <base2/statistics.json | cut -d" " -f1) &&
	mlops-registry card show --json churn/1 >card.json &&
	jq -e --arg s "$s" "[.content.evaluation_details[] |
		select(.name == \"monitoring baseline\")] | length == 1 and
		.[0].datasets[0] == \"statistics.json sha256:\" + \$s" card.json &&
	jq -e ".revision == 2 and .content.intended_uses.risk_rating == \"Low\"" \
		card.json
'

test_expect_success 'metrics and the baseline share the evaluation section' '
	echo cat >worker.sh &&
	echo "{\"auc\": 0.9}" >m.json &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" --metrics m.json >/dev/null &&
	printf "age\n30\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base --register churn/1 \
		>/dev/null &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card show --json churn/1 |
		jq -e "[.content.evaluation_details[].name] ==
			[\"registered metrics\", \"monitoring baseline\"]"
'

test_done
