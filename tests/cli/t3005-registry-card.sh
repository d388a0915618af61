#!/bin/bash
# t3005-registry-card.sh - model cards: auto-populated content, schema
# checked edits, revisions, statuses (Archived is read-only), and the
# Markdown and HTML exports.
. "$(dirname "$0")/test-lib.sh"

register() {
	echo '{"learner":{}}' >model.json &&
	echo '{"auc": 0.91, "eval": {"rmse": 1.5}}' >metrics.json &&
	seq 1 10 >train.csv &&
	MLOPS_RUN_ID=run-7 MLOPS_STEP=train MLOPS_GIT_COMMIT=abc123 \
		mlops-registry register -a model.json --metrics metrics.json \
		--param eta=0.1 --param depth=6 --dataset train.csv \
		--description "churn model" churn >/dev/null
}

test_expect_success 'card create fills in what the registry knows' '
	register &&
	mlops-registry approve churn/1 >/dev/null &&
	mlops-registry card create churn/1 >out &&
	grep "churn/1 card revision 1" out &&
	mlops-registry card show --json churn/1 >card &&
	test "$(jq -r .status card)" = Draft &&
	test "$(jq -r .revision card)" = 1 &&
	test "$(jq -r .content.model_overview.model_id card)" = model-package/churn/1 &&
	test "$(jq -r .content.model_overview.model_version card)" = 1 &&
	test "$(jq -r .content.model_overview.model_description card)" = "churn model" &&
	test "$(jq -r .content.model_overview.algorithm_type card)" = xgboost &&
	test "$(jq -r .content.intended_uses.risk_rating card)" = Unknown &&
	jq -e ".content.training_details.training_job_details.hyper_parameters[] |
		select(.name == \"depth\" and .value == \"6\")" card &&
	test "$(jq -r .content.training_details.training_job_details.training_arn card)" = run/run-7/train &&
	jq -e ".content.evaluation_details[0].metric_groups[0].metric_data[] |
		select(.name == \"eval.rmse\" and .value == 1.5)" card &&
	test "$(jq -r .content.additional_information.custom_details.git_commit card)" = abc123 &&
	test "$(jq -r .content.additional_information.custom_details.approved_by card)" = tester@example.com &&
	test "$(jq -r .content.additional_information.custom_details.registered_by card)" = tester@example.com
'

test_expect_success 'card create --from YAML adds what people know' '
	register &&
	cat >card.yaml <<-\EOF &&
	intended_uses:
	  purpose_of_model: predict which customers leave
	  risk_rating: Medium
	business_details:
	  business_problem: churn costs money
	additional_information:
	  caveats_and_recommendations: not for minors
	  custom_details:
	    team: growth
	EOF
	mlops-registry card create --from card.yaml churn/1 &&
	mlops-registry card show --json churn/1 >card &&
	test "$(jq -r .content.intended_uses.risk_rating card)" = Medium &&
	test "$(jq -r .content.business_details.business_problem card)" = "churn costs money" &&
	test "$(jq -r .content.additional_information.custom_details.team card)" = growth &&
	test "$(jq -r .content.additional_information.custom_details.git_commit card)" = abc123
'

test_expect_success 'card create --from a bad file: positioned error, nothing changed' '
	register &&
	printf "intended_uses:\n  risk: High\n" >bad.yaml &&
	test_snapshot &&
	test_expect_code 3 mlops-registry card create --from bad.yaml churn/1 2>err &&
	grep "bad.yaml:2:3: card field .risk. is not in the model card schema" err &&
	printf "intended_uses:\n  risk_rating: Extreme\n" >bad2.yaml &&
	test_expect_code 3 mlops-registry card create --from bad2.yaml churn/1 2>err &&
	grep "risk_rating. must be one of High, Medium, Low, Unknown" err &&
	echo "{\"model_overview\": {\"model_version\": \"one\"}}" >bad.json &&
	test_expect_code 3 mlops-registry card create --from bad.json churn/1 2>err &&
	grep "model_overview.model_version. must be a number" err &&
	test_store_unchanged
'

test_expect_success 'card set edits dotted keys, typed by the schema, as one revision' '
	register &&
	mlops-registry card create churn/1 &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Low \
		"intended_uses.intended_uses=batch scoring" \
		model_overview.model_owner=alice \
		"evaluation_details.1.name=holdout" \
		"evaluation_details.1.metric_groups=[{\"name\":\"g\",\"metric_data\":[{\"name\":\"f1\",\"type\":\"number\",\"value\":0.7}]}]" \
		additional_information.custom_details.ticket=ML-42 >out &&
	grep "card revision 2" out &&
	mlops-registry card show --json churn/1 >card &&
	test "$(jq -r .content.intended_uses.risk_rating card)" = Low &&
	test "$(jq -r .content.model_overview.model_owner card)" = alice &&
	test "$(jq -r ".content.evaluation_details[1].name" card)" = holdout &&
	test "$(jq -r ".content.evaluation_details[1].metric_groups[0].metric_data[0].value" card)" = 0.7 &&
	test "$(jq -r .content.additional_information.custom_details.ticket card)" = ML-42 &&
	test "$(jq -r .change card)" = "set intended_uses.risk_rating intended_uses.intended_uses model_overview.model_owner evaluation_details.1.name evaluation_details.1.metric_groups additional_information.custom_details.ticket"
'

test_expect_success 'card set: unknown field or wrong type is exit 3, nothing changed' '
	register &&
	mlops-registry card create churn/1 &&
	test_snapshot &&
	test_expect_code 3 mlops-registry card set churn/1 intended_uses.colour=red 2>err &&
	grep "card field .intended_uses.colour. is not in the model card schema" err &&
	test_expect_code 3 mlops-registry card set churn/1 model_overview.model_version=abc 2>err &&
	grep "model_overview.model_version" err &&
	test_expect_code 3 mlops-registry card set churn/1 intended_uses.risk_rating=Extreme 2>err &&
	grep "must be one of High, Medium, Low, Unknown" err &&
	test_expect_code 3 mlops-registry card set churn/1 evaluation_details.5.name=x 2>err &&
	test_expect_code 3 mlops-registry card set churn/1 \
		intended_uses.risk_rating=Low nope=1 &&
	test_expect_code 2 mlops-registry card set churn/1 novalue 2>err &&
	grep "expected KEY=VALUE" err &&
	test_store_unchanged
'

test_expect_success 'card set: a value or map key not in UTF-8 is exit 3, no revision' '
	register &&
	mlops-registry card create churn/1 &&
	test_snapshot &&
	bad=$(printf "caf\351") &&
	test_expect_code 3 mlops-registry card set churn/1 \
		"model_overview.model_name=$bad" 2>err &&
	grep "card field .model_overview.model_name.: the value is not valid UTF-8" err &&
	test_expect_code 3 mlops-registry card set churn/1 \
		"additional_information.custom_details.$bad=x" 2>err &&
	grep "is not valid UTF-8" err &&
	test "$(mlops-registry card show --json churn/1 | jq .revision)" = 1 &&
	test_store_unchanged
'

test_expect_success 'every change is a revision; old revisions stay readable' '
	register &&
	mlops-registry card create churn/1 &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Low &&
	mlops-registry card set churn/1 intended_uses.risk_rating=High &&
	mlops-registry card status churn/1 PendingReview &&
	mlops-registry card history churn/1 >hist &&
	test_line_count = 5 hist &&
	grep "^4	.*	PendingReview	status Draft -> PendingReview" hist &&
	test "$(mlops-registry card show --json --revision 2 churn/1 |
		jq -r .content.intended_uses.risk_rating)" = Low &&
	test "$(mlops-registry card show --json churn/1 |
		jq -r .content.intended_uses.risk_rating)" = High &&
	test_expect_code 4 mlops-registry card show --revision 9 churn/1 2>err &&
	grep "has no revision 9" err
'

test_expect_success 'an Archived card is read-only but still exports' '
	register &&
	mlops-registry card create churn/1 &&
	mlops-registry card status churn/1 Approved &&
	mlops-registry card status churn/1 Archived &&
	test "$(mlops-registry card status churn/1)" = Archived &&
	test_snapshot &&
	test_expect_code 4 mlops-registry card set churn/1 intended_uses.risk_rating=Low 2>err &&
	grep "churn/1: the card is Archived and read-only" err &&
	test_expect_code 4 mlops-registry card status churn/1 Draft 2>err &&
	grep "Archived and read-only" err &&
	test_store_unchanged &&
	mlops-registry card export --format md churn/1 >card.md &&
	grep "^Status: Archived" card.md
'

test_expect_success 'card errors: missing card, second create, bad status, missing version' '
	register &&
	test_expect_code 4 mlops-registry card show churn/1 2>err &&
	grep "churn/1 has no model card" err &&
	mlops-registry card create churn/1 &&
	test_expect_code 4 mlops-registry card create churn/1 2>err &&
	grep "churn/1 has a model card already" err &&
	test_expect_code 2 mlops-registry card status churn/1 Published 2>err &&
	grep "unknown card status .Published." err &&
	test_expect_code 4 mlops-registry card create churn/2 2>err &&
	grep "model version churn/2 not found" err
'

test_expect_success 'card export --format md is a readable document' '
	register &&
	mlops-registry card create churn/1 &&
	mlops-registry card set churn/1 "intended_uses.purpose_of_model=keep | customers" &&
	mlops-registry card export --format md -o card.md churn/1 &&
	grep "^# Model card: churn/1" card.md &&
	grep "^## Model overview" card.md &&
	grep "^- \*\*Model id:\*\* model-package/churn/1" card.md &&
	grep "^- \*\*Purpose of model:\*\* keep \\\\| customers" card.md &&
	grep "^| Name | Value |" card.md &&
	grep "^| eta | 0.1 |" card.md
'

test_expect_success 'card export --format html is one self-contained page' '
	register &&
	mlops-registry card create churn/1 &&
	mlops-registry card set churn/1 "intended_uses.purpose_of_model=<script>alert(1)</script>" &&
	mlops-registry card export --format html churn/1 >card.html &&
	grep "<!DOCTYPE html>" card.html &&
	grep "<h1>Model card: churn/1</h1>" card.html &&
	grep "&lt;script&gt;alert(1)&lt;/script&gt;" card.html &&
	! grep "<script" card.html &&
	! grep -E "(src|href)=" card.html &&
	! grep -i "http://\|https://" card.html &&
	$PYTHON -c "import html.parser,sys; html.parser.HTMLParser().feed(open(\"card.html\").read())" &&
	test_expect_code 2 mlops-registry card export --format pdf churn/1 &&
	test_expect_code 2 mlops-registry card export churn/1
'

test_expect_success 'card changes are audited' '
	register &&
	mlops-registry card create churn/1 &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Low &&
	mlops-registry card status churn/1 PendingReview &&
	mlops audit log >log &&
	grep "registry.card.create	churn/1" log &&
	grep "registry.card.set	churn/1" log &&
	grep "registry.card.status	churn/1" log
'

test_expect_success 'the card follows approval and rejection made after it' '
	register &&
	mlops-registry card create churn/1 >/dev/null &&
	custom=.content.additional_information.custom_details &&
	test "$(mlops-registry card show --json churn/1 | jq -r $custom.approval_status)" = PendingManualApproval &&
	MLOPS_USER=alice mlops-registry approve churn/1 >/dev/null &&
	mlops-registry card show --json churn/1 >card &&
	test "$(jq -r $custom.approval_status card)" = Approved &&
	test "$(jq -r $custom.approved_by card)" = alice &&
	mlops-registry card export --format md churn/1 >card.md &&
	grep "Approved" card.md &&
	! grep "PendingManualApproval" card.md &&
	mlops-registry reject churn/1 >/dev/null &&
	test "$(mlops-registry card show --json --revision 1 churn/1 |
		jq -r $custom.approval_status)" = Rejected &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Low &&
	test "$(mlops-registry card show --json churn/1 | jq -r $custom.approval_status)" = Rejected
'

test_expect_success 'register outside a pipeline: the registering step trained it' '
	register &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card show --json churn/1 >card &&
	jq -r ".content.training_details.training_job_details.training_datasets[]" card >got &&
	echo "train.csv sha256:$(sha256sum train.csv | cut -d" " -f1)" >expect &&
	test_cmp expect got
'

test_done
