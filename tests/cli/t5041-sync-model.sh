#!/bin/bash
# t5041-sync-model.sh - `mlops sync ... model`: a version goes from the
# ML store to production with its artifacts (same hashes), lineage, card
# and aliases; production audits it as an import carrying the ML store's
# audit records; a second sync copies nothing; production then deploys
# it and answers a real request; --from pulls; a conflicting version is
# refused with nothing changed.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# churn/1 in the test store (the ML account): a real XGBoost model with
# lineage, a card and the alias champion, approved by a lead.
make_version() {
	train_model m.json &&
	MLOPS_RUN_ID=run-7 MLOPS_STEP=train MLOPS_GIT_COMMIT=abc123 \
		mlops-registry register -a m.json churn >/dev/null &&
	mlops-registry card create churn/1 >/dev/null &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Low \
		>/dev/null &&
	MLOPS_USER=lead@example.com mlops-registry approve -m ok churn/1 \
		>/dev/null &&
	mlops-registry alias set churn champion 1 >/dev/null
}

test_expect_success 'a version syncs with lineage, card and alias, once' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	make_version &&
	mlops sync --to prod model churn/1 >out &&
	grep "churn/1 test -> prod: 1 copied, 0 present (versions), [1-9][0-9]* bytes, 1 aliases set, 0 card revisions" out &&
	mlops sync --to prod model churn@champion >again &&
	grep "churn/1 test -> prod: 0 copied, 1 present (versions), 0 bytes, 0 aliases set, 0 card revisions" again &&
	P=$PWD/prod/.mlops &&
	mlops-registry show --json churn/1 >ml.json &&
	MLOPS_STORE=$P mlops-registry show --json churn/1 >prod.json &&
	jq -S "{artifacts, lineage, metrics, framework, status}" ml.json >a &&
	jq -S "{artifacts, lineage, metrics, framework, status}" prod.json >b &&
	test_cmp a b &&
	jq -e ".lineage.run_id == \"run-7\" and .origin.account == \"test\"" \
		prod.json &&
	MLOPS_STORE=$P mlops-registry alias list churn >aliases &&
	grep "champion" aliases &&
	MLOPS_STORE=$P mlops-registry card show --json churn/1 >card &&
	jq -e ".content.intended_uses.risk_rating == \"Low\"" card &&
	MLOPS_STORE=$P mlops fsck &&
	MLOPS_STORE=$P mlops audit verify &&
	MLOPS_STORE=$P mlops audit log --json >audit &&
	jq -s "[.[] | select(.action == \"registry.import\")] | length" \
		audit >n &&
	echo 1 >one &&
	test_cmp one n &&
	jq -se "any(.action == \"registry.import\" and
		.resource == \"churn/1\" and .user == \"tester@example.com\" and
		.detail.sync.environment == \"test\" and
		any(.detail.sender_audit[]; .action == \"registry.approve\" and
		    .user == \"lead@example.com\" and .env == \"test\"))" audit
'

test_expect_success 'card revisions made later follow; a diverged card stays' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	make_version &&
	mlops sync --to prod model churn/1 >/dev/null &&
	mlops-registry card set churn/1 intended_uses.purpose_of_model=churn \
		>/dev/null &&
	mlops-registry card set churn/1 intended_uses.risk_rating=Medium \
		>/dev/null &&
	mlops sync --to prod model churn/1 >out &&
	grep "0 copied, 1 present (versions), 0 bytes, 0 aliases set, 2 card revisions" out &&
	mlops sync --to prod model churn/1 >out &&
	grep "0 aliases set, 0 card revisions" out &&
	P=$PWD/prod/.mlops &&
	MLOPS_STORE=$P mlops-registry card show --json churn/1 >b &&
	jq -e ".content.intended_uses.risk_rating == \"Medium\" and
		.revision == 4" b &&
	MLOPS_STORE=$P mlops audit log --json >audit &&
	jq -se "any(.action == \"registry.card.import\" and
		.detail.revisions == 2)" audit &&
	MLOPS_STORE=$P mlops-registry card set churn/1 \
		additional_information.caveats_and_recommendations=prod \
		>/dev/null &&
	mlops-registry card set churn/1 intended_uses.risk_rating=High \
		>/dev/null &&
	(cd prod && MLOPS_STORE=$P test_snapshot ../prod.snap) &&
	mlops sync --to prod model churn/1 >out 2>err &&
	grep "0 card revisions" out &&
	grep "has revisions of its own" err &&
	(cd prod && MLOPS_STORE=$P test_store_unchanged ../prod.snap)
'

test_expect_success 'the monitoring baseline travels where there is none' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	make_version &&
	printf "a,b\n1,2\n3,4\n" >train.csv &&
	mlops-monitor baseline --data train.csv --register churn/1 -o base \
		>/dev/null &&
	mlops sync --to prod model churn/1 >out &&
	grep "1 copied, .*, 1 baselines" out &&
	mlops sync --to prod model churn/1 >out &&
	grep "0 copied, .*, 0 baselines" out &&
	P=$PWD/prod/.mlops &&
	mlops-registry show --json churn/1 | jq -S .baseline >a &&
	MLOPS_STORE=$P mlops-registry show --json churn/1 | jq -S .baseline >b &&
	jq -e ".statistics | length == 64" b &&
	jq -S "{statistics, constraints}" a >ha &&
	jq -S "{statistics, constraints}" b >hb &&
	test_cmp ha hb &&
	MLOPS_STORE=$P mlops fsck
'

test_expect_success 'production deploys the synced version and answers' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	make_version &&
	mlops sync --to prod model churn/1 >/dev/null &&
	export MLOPS_STORE=$PWD/prod/.mlops &&
	mlops-deploy create churn --model churn@champion &&
	start_gateway &&
	wait_for_model churn churn/1 &&
	curl -sf -H "Content-Type: text/csv" --data-binary @rows.csv \
		"$URL/endpoints/churn/invocations" >got &&
	close_to got expect.txt
'

test_expect_success '--from pulls a version into this store' '
	mlops init --env staging staging >/dev/null &&
	(export MLOPS_STORE=$PWD/staging/.mlops && cd staging &&
	 echo "{\"learner\":{}}" >m.json &&
	 mlops-registry register -a m.json fraud >/dev/null) &&
	mlops sync --from ./staging model fraud/1 >out &&
	grep "fraud/1 staging -> test: 1 copied" out &&
	mlops-registry show --json fraud/1 >v &&
	jq -e ".origin.account == \"staging\"" v &&
	mlops sync --from ./staging model fraud >again &&
	grep "0 copied, 1 present" again
'

test_expect_success 'a version with other content at the receiver is refused' '
	mlops init --env prod prod >/dev/null &&
	(export MLOPS_STORE=$PWD/prod/.mlops &&
	 echo other >o.bin &&
	 mlops-registry register -a o.bin churn >/dev/null) &&
	echo "{\"learner\":{}}" >m.json &&
	mlops-registry register -a m.json churn >/dev/null &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_snapshot ../prod.snap) &&
	test_expect_code 4 mlops sync --to ./prod model churn/1 2>err &&
	grep "already exists in this store with other content" err &&
	(cd prod && MLOPS_STORE=$PWD/.mlops test_store_unchanged ../prod.snap)
'

test_expect_success 'a sync killed inside the import is finished by the next' '
	mlops init --env prod prod >/dev/null &&
	mlops remote add prod prod &&
	make_version &&
	test_expect_code 137 sqlite_fault "INSERT INTO registry_version" \
		env SQLITE_FAULT_KILL=1 mlops sync --to prod model churn/1 &&
	MLOPS_STORE=$PWD/prod/.mlops mlops-registry list >list &&
	! grep churn list &&
	mlops sync --to prod model churn/1 >out &&
	grep "1 copied" out &&
	mlops sync --to prod model churn/1 >out &&
	grep "0 copied" out &&
	MLOPS_STORE=$PWD/prod/.mlops mlops fsck >fsck ||
	grep "left by a killed command" fsck &&
	MLOPS_STORE=$PWD/prod/.mlops mlops gc --grace 0 >/dev/null &&
	MLOPS_STORE=$PWD/prod/.mlops mlops fsck
'

test_done
