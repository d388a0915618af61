#!/bin/bash
# t0100-stack.sh - mlops plan, apply and export-stack over a stack file:
# idempotent applies, changed settings (old -> new), broken stacks that
# change nothing, export | apply into an empty store, --prune and the
# data-loss confirmation, includes and overlays, a failed apply that a
# second one finishes, the README section.
. "$(dirname "$0")/test-lib.sh"
. "$TEST_DIRECTORY/lib-deploy.sh"

# A model churn/1 (an exec worker that echoes), a group file, a data
# baseline in base/ and a second store "prod" to name as a remote.
setup() {
	echo cat >worker.sh &&
	register_model churn worker.sh exec "sh worker.sh" >/dev/null &&
	mkdir -p features &&
	cat >features/customers.yaml <<-\YAML &&
	name: customers
	record_identifier: customer_id
	event_time: event_time
	features:
	  - {name: customer_id, type: string}
	  - {name: event_time,  type: string}
	  - {name: age,         type: integral}
	YAML
	printf "age,spend\n30,1.5\n40,2.5\n" >train.csv &&
	mlops-monitor baseline --data train.csv -o base >/dev/null &&
	mlops init prod >/dev/null &&
	mkdir -p rules &&
	echo "{\"source\": [\"mlops.registry\"]}" >rules/approved.json
}

write_stack() {
	cat >stack.yaml <<-\YAML
	environment: staging
	feature_groups:
	  - features/customers.yaml
	  - name: orders
	    record_identifier: order_id
	    event_time: t
	    ttl: 30d
	    features:
	      - {name: order_id, type: integral}
	      - {name: t,        type: integral}
	endpoints:
	  churn: {model: churn/1, max_concurrency: 20, idle_timeout: 120s, capture: 20}
	monitoring:
	  churn-hourly: {endpoint: churn, baseline: base, every: 1h}
	remotes: {prod: prod}
	rules:
	  deploy-approved: {pattern: rules/approved.json, target: "echo approved"}
	YAML
}

test_expect_success 'apply creates everything; a second apply changes nothing' '
	setup && write_stack &&
	test_expect_code 1 mlops plan >plan &&
	grep "^+ feature_group customers" plan &&
	grep "^+ feature_group orders" plan &&
	grep "^+ endpoint churn" plan &&
	grep "^+ schedule churn-hourly" plan &&
	grep "^+ remote prod" plan &&
	grep "^+ rule deploy-approved" plan &&
	grep "^Plan: 6 to create, 0 to update, 0 to delete" plan &&
	mlops apply >out &&
	grep "Applied: 6 created" out &&
	mlops event rule list --json >rules.json &&
	jq -e "select(.name == \"deploy-approved\") |
		.target == \"echo approved\" and .retries == 3" rules.json &&
	mlops-feature describe orders >d && grep -i "ttl" d &&
	mlops-deploy describe --json churn >d.json &&
	jq -e ".settings.max_concurrency == 20 and
		.settings.idle_timeout_s == 120 and
		.settings.capture_percent == 20" d.json &&
	mlops-monitor schedule list >s && grep "^churn-hourly	churn	3600s" s &&
	mlops remote list >r && grep "^prod	" r &&
	mlops audit log >audit &&
	grep "deploy.create" audit && grep "feature.create" audit &&
	mlops plan >plan2 &&
	grep "No changes" plan2 &&
	test_snapshot &&
	mlops apply >out2 &&
	grep "No changes" out2 &&
	test_store_unchanged
'

test_expect_success 'a changed setting shows old -> new and is applied' '
	setup && write_stack && mlops apply >/dev/null &&
	sed -i "s/max_concurrency: 20/max_concurrency: 30/" stack.yaml &&
	test_expect_code 1 mlops plan >plan &&
	grep "^~ endpoint churn" plan &&
	grep "^    max_concurrency: 20 -> 30$" plan &&
	test_line_count = 3 plan &&
	test_expect_code 1 mlops plan --json >plan.json &&
	jq -e ".changes[0].settings.max_concurrency ==
		{\"old\": 20, \"new\": 30} and .update == 1" plan.json &&
	mlops apply >out &&
	mlops-deploy describe --json churn >d.json &&
	jq -e ".settings.max_concurrency == 30" d.json &&
	mlops audit log >audit && grep "deploy.settings" audit &&
	mlops plan
'

test_expect_success 'a new model version is deployed blue/green by apply' '
	setup && write_stack && mlops apply >/dev/null &&
	register_model churn worker.sh exec "sh worker.sh" >/dev/null &&
	sed -i "s|model: churn/1|model: churn/2|" stack.yaml &&
	test_expect_code 1 mlops plan >plan &&
	grep "^    model: \"churn/1\" -> \"churn/2\"$" plan &&
	mlops apply >/dev/null &&
	mlops-deploy describe --json churn >d.json &&
	jq -e ".model == \"churn/2\" and .previous_model == \"churn/1\"" d.json
'

# check_broken CODE PATTERN: plan and apply fail with CODE, say PATTERN,
# and the store does not change.
check_broken() {
	test_snapshot &&
	test_expect_code $1 mlops plan 2>err &&
	grep "$2" err &&
	test_expect_code $1 mlops apply --yes 2>err &&
	grep "$2" err &&
	test_store_unchanged
}

test_expect_success 'an unknown key fails with file:line:column, nothing changes' '
	setup && write_stack &&
	sed -i "s/idle_timeout: 120s/idle_timout: 120s/" stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:12:48: unknown key .idle_timout." &&
	sed -i "s/idle_timout/idle_timeout/; s/^remotes/remote/" stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:15:1: unknown key .remote."
'

test_expect_success 'a missing included or group file is named where it is written' '
	setup && write_stack &&
	sed -i "1a include: [base.yaml, missing.yaml]" stack.yaml &&
	echo "endpoints: {}" >base.yaml &&
	check_broken 3 "^mlops: stack.yaml:2:22: included file .*missing.yaml. does not exist" &&
	write_stack &&
	sed -i "s|features/customers.yaml|features/nope.yaml|" stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:3:5: feature group file .*nope.yaml. does not exist"
'

test_expect_success 'invalid settings fail before anything changes' '
	setup && write_stack &&
	sed -i "s/max_concurrency: 20/max_concurrency: lots/" stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:12:44: max_concurrency: " &&
	write_stack &&
	sed -i "s/max_concurrency: 20/max_concurrency: 500/" stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:12:3: endpoint .churn.: .*concurrency" &&
	write_stack &&
	sed -i "s/every: 1h/every: 10s/" stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:14:.*every: .10s. is shorter than a minute" &&
	write_stack &&
	sed -i "s/type: integral}$/type: intgral}/" stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:.*intgral" &&
	write_stack &&
	printf "overlays:\n  prod:\n    endpoints:\n      churn: {capture: many}\n" \
		>>stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:21:.*capture: " &&
	write_stack &&
	echo "{\"source\": \"mlops.registry\"}" >rules/approved.json &&
	check_broken 3 "rules/approved.json.*source" &&
	echo "{\"source\": [\"mlops.registry\"]}" >rules/approved.json &&
	sed -i "s|pattern: rules/approved.json|pattern: rules/nope.json|" \
		stack.yaml &&
	check_broken 3 "^mlops: stack.yaml:17:.*pattern file .*nope.json. does not exist"
'

test_expect_success 'an empty stack plans nothing; a directory is no file' '
	: >empty.yaml &&
	mlops plan -f empty.yaml >plan &&
	grep "No changes" plan &&
	mkdir -p d &&
	echo "feature_groups: [d]" >dir.yaml &&
	test_expect_code 3 mlops plan -f dir.yaml 2>err &&
	grep "^mlops: dir.yaml:1:18: feature group file .*d. is a directory" err &&
	echo "include: [d]" >dir.yaml &&
	test_expect_code 3 mlops plan -f dir.yaml 2>err &&
	grep "^mlops: dir.yaml:1:11: " err
'

test_expect_success 'a missing or unapproved model fails before anything changes' '
	setup && write_stack &&
	sed -i "s|model: churn/1|model: churn/7|" stack.yaml &&
	check_broken 4 "stack.yaml:12:3: endpoint .churn.: .*churn/7" &&
	mlops-registry register churn --artifact worker.sh --framework exec \
		--entry "sh worker.sh" >/dev/null &&
	sed -i "s|model: churn/7|model: churn/2|" stack.yaml &&
	check_broken 4 "endpoint .churn.: .*allow_unapproved" &&
	sed -i "s|model: churn/2|model: churn/2, allow_unapproved: true|" \
		stack.yaml &&
	mlops apply >/dev/null &&
	mlops plan
'

# list_all: every resource as its own list --json prints it, without the
# times and users that differ between two stores.
list_all() {
	mlops-feature list --json |
		jq -c "del(.created, .created_by, .last_ingest)" &&
	mlops-deploy list --json |
		jq -c "del(.created, .updated, .status, .generation)" &&
	mlops-monitor schedule list --json | jq -c "del(.next_run)" &&
	mlops remote list --json | jq -c "del(.added, .added_by)"
}

test_expect_success 'export-stack | apply on an empty store reproduces it' '
	setup && write_stack && mlops apply >/dev/null &&
	mlops export-stack -o exported.yaml &&
	mlops export-stack >stdout.yaml &&
	test_cmp exported.yaml stdout.yaml &&
	mlops plan -f exported.yaml >plan && grep "No changes" plan &&
	list_all >want &&
	mlops init other >/dev/null &&
	(
		MLOPS_STORE=$PWD/other/.mlops &&
		register_model churn worker.sh exec "sh worker.sh" >/dev/null &&
		test_expect_code 1 mlops plan -f exported.yaml >plan &&
		grep "Plan: 6 to create, 0 to update, 0 to delete" plan &&
		mlops apply -f exported.yaml >/dev/null &&
		mlops plan -f exported.yaml >plan &&
		grep "No changes" plan &&
		mlops plan -f stack.yaml >plan2 &&
		grep "No changes" plan2 &&
		list_all >got
	) &&
	test_cmp want got
'

test_expect_success 'resources the stack does not name are deleted only with --prune' '
	setup && write_stack && mlops apply >/dev/null &&
	mlops-deploy create extra --model churn/1 >/dev/null &&
	mlops plan >plan &&
	grep "No changes" plan &&
	test_expect_code 1 mlops plan --prune >plan &&
	grep "^- endpoint extra" plan &&
	grep "Plan: 0 to create, 0 to update, 1 to delete" plan &&
	mlops apply --prune >out &&
	test_expect_code 4 mlops-deploy describe extra 2>err &&
	mlops plan --prune
'

test_expect_success 'changes that lose data need --yes (exit 4 without, no tty)' '
	setup && write_stack && mlops apply >/dev/null &&
	printf "customer_id,event_time,age\nc1,2026-01-01T00:00:00Z,30\n" |
		mlops-feature ingest customers - >/dev/null &&
	sed -i "/features\/customers.yaml/d" stack.yaml &&
	test_expect_code 1 mlops plan --prune >plan &&
	grep "^- feature_group customers" plan &&
	grep "loses data: feature group .customers. holds 1 records" plan &&
	test_snapshot &&
	test_expect_code 4 mlops apply --prune </dev/null 2>err &&
	grep "1 change would lose data: nothing applied" err &&
	test_store_unchanged &&
	mlops apply --prune --yes >out &&
	grep "^- feature_group customers" out &&
	test_expect_code 4 mlops-feature describe customers 2>err &&
	mlops plan --prune
'

test_expect_success 'a changed group is replaced, which loses its records' '
	setup && write_stack && mlops apply >/dev/null &&
	printf "customer_id,event_time,age\nc1,2026-01-01T00:00:00Z,30\n" |
		mlops-feature ingest customers - >/dev/null &&
	echo "description: customers again" >>features/customers.yaml &&
	test_expect_code 1 mlops plan >plan &&
	grep "^~ feature_group customers (replaced: dropped and created)" plan &&
	grep "description: \"\" -> \"customers again\"" plan &&
	test_expect_code 4 mlops apply 2>err </dev/null &&
	mlops apply --yes >/dev/null &&
	mlops-feature describe customers >d && grep "customers again" d &&
	mlops plan
'

test_expect_success 'deleting an endpoint that served in the last hour needs --yes' '
	setup && write_stack && mlops apply >/dev/null &&
	start_gateway &&
	wait_for_model churn churn/1 &&
	test "$(http_code POST "$URL/endpoints/churn/invocations" \
		-H "Content-Type: text/csv" -d 1,2)" = 200 &&
	for i in $(seq 1 200); do
		mlops-deploy describe --json churn |
			jq -e ".counters.requests >= 1" >/dev/null && break
		sleep 0.05
	done &&
	sed -i "/^  churn:/d; /^monitoring/,/churn-hourly/d" stack.yaml &&
	test_expect_code 1 mlops plan --prune >plan &&
	grep "loses data: endpoint .churn. served requests in the last hour" plan &&
	test_expect_code 4 mlops apply --prune </dev/null 2>err &&
	mlops-deploy describe churn >/dev/null &&
	mlops apply --prune --yes >/dev/null &&
	test_expect_code 4 mlops-deploy describe churn 2>err
'

test_expect_success 'a rule is disabled in place, and replaced when it changes' '
	setup && write_stack && mlops apply >/dev/null &&
	sed -i "s|target: \"echo approved\"}|target: \"echo approved\", enabled: false}|" \
		stack.yaml &&
	test_expect_code 1 mlops plan >plan &&
	grep "^~ rule deploy-approved$" plan &&
	grep "^    enabled: true -> false$" plan &&
	mlops apply >/dev/null &&
	mlops event rule list --json | jq -e "select(.name ==
		\"deploy-approved\") | .enabled == false" &&
	sed -i "s|echo approved|echo yes|" stack.yaml &&
	test_expect_code 1 mlops plan >plan &&
	grep "^~ rule deploy-approved (replaced: dropped and created)" plan &&
	mlops apply >/dev/null &&
	mlops event rule list --json | jq -e "select(.name ==
		\"deploy-approved\") | .target == \"echo yes\"" &&
	mlops plan &&
	cat >stack2.yaml <<-\YAML &&
	rules:
	  staging: {from: deploy-approved-to-staging, retries: 5}
	  inline: {pattern: "{\"source\": [\"mlops.deploy\"]}", target: "true"}
	YAML
	mlops apply -f stack2.yaml >/dev/null &&
	mlops event rule list --json >rules.json &&
	jq -se "map(select(.name == \"staging\"))[0].retries == 5" rules.json &&
	jq -se "map(select(.name == \"inline\"))[0].pattern.source[0] ==
		\"mlops.deploy\"" rules.json &&
	mlops plan -f stack2.yaml
'

test_expect_success 'grants: the admin first, personas added and revoked' '
	cat >roles.yaml <<-\YAML &&
	roles:
	  grants:
	    alice@example.com: data-scientist
	    tester@example.com: [mlops-engineer, admin]
	YAML
	test_expect_code 1 mlops plan -f roles.yaml >plan &&
	head -n 2 plan >head &&
	grep "^+ grant tester@example.com" head &&
	grep "^    personas: \[\"admin\",\"mlops-engineer\"\]" head &&
	mlops apply -f roles.yaml >/dev/null &&
	mlops role show --json data-scientist |
		jq -e ".users == [\"alice@example.com\"]" &&
	mlops plan -f roles.yaml &&
	sed -i "s/alice@example.com: data-scientist/alice@example.com: [mlops-engineer]/" \
		roles.yaml &&
	test_expect_code 1 mlops plan -f roles.yaml >plan &&
	grep "^    personas: \[\"data-scientist\"\] -> \[\"mlops-engineer\"\]" plan &&
	mlops apply -f roles.yaml >/dev/null &&
	mlops role show --json data-scientist | jq -e ".users == []" &&
	mlops export-stack >exported.yaml &&
	grep "\"alice@example.com\": \[\"mlops-engineer\"\]" exported.yaml &&
	mlops plan -f exported.yaml &&
	echo "    bob@example.com: data-scientist" >>roles.yaml &&
	test_snapshot &&
	test_expect_code 5 env MLOPS_USER=alice@example.com \
		mlops apply -f roles.yaml 2>err &&
	grep "store.admin" err &&
	grep "^FAILED: + grant bob@example.com" err &&
	test_store_unchanged
'

test_expect_success 'includes: later files override earlier ones, key by key' '
	setup &&
	cat >base.yaml <<-\YAML &&
	feature_groups: [features/customers.yaml]
	endpoints:
	  churn: {model: churn/1, max_concurrency: 5, capture: 10}
	YAML
	cat >mid.yaml <<-\YAML &&
	endpoints:
	  churn: {max_concurrency: 7}
	YAML
	cat >stack.yaml <<-\YAML &&
	include: [base.yaml, mid.yaml]
	endpoints:
	  churn: {capture: 50}
	YAML
	mlops apply >/dev/null &&
	mlops-deploy describe --json churn >d.json &&
	jq -e ".settings.max_concurrency == 7 and
		.settings.capture_percent == 50" d.json &&
	mlops-feature describe customers >/dev/null &&
	echo "include: [stack.yaml]" >loop.yaml &&
	sed -i "1s/.*/include: [base.yaml, mid.yaml, loop.yaml]/" stack.yaml &&
	test_expect_code 3 mlops plan 2>err &&
	grep "includes nest deeper than" err
'

test_expect_success 'an overlay sets one environment apart' '
	setup && write_stack &&
	cat >>stack.yaml <<-\YAML &&
	overlays:
	  prod:
	    endpoints:
	      churn: {max_concurrency: 50, provisioned: 2}
	  staging:
	    endpoints:
	      churn: {capture: 100}
	YAML
	test_expect_code 1 mlops plan --json >plan.json &&
	jq -e ".changes[] | select(.name == \"churn\") |
		.settings.capture.new == 100" plan.json &&
	test_expect_code 1 mlops plan --env prod --json >plan.json &&
	jq -e ".changes[] | select(.name == \"churn\") |
		.settings.max_concurrency.new == 50 and
		.settings.capture.new == 20" plan.json &&
	mlops apply --env prod >/dev/null &&
	mlops-deploy describe --json churn >d.json &&
	jq -e ".settings.provisioned == 2" d.json &&
	mlops plan --env prod &&
	test_expect_code 1 mlops plan
'

test_expect_success 'an apply that fails says what was done; a second one finishes' '
	setup && write_stack &&
	sed -i "s/baseline: base/baseline: nobase/" stack.yaml &&
	test_expect_code 4 mlops apply 2>err &&
	grep "^mlops: create schedule .churn-hourly.: " err &&
	grep "^done: + feature_group customers" err &&
	grep "^done: + endpoint churn" err &&
	grep "^FAILED: + schedule churn-hourly" err &&
	grep "^not done: + rule deploy-approved" err &&
	grep "^not done: + remote prod" err &&
	sed -i "s/baseline: nobase/baseline: base/" stack.yaml &&
	test_expect_code 1 mlops plan >plan &&
	grep "Plan: 3 to create, 0 to update, 0 to delete" plan &&
	mlops apply >/dev/null &&
	mlops plan
'

test_expect_success 'usage errors exit 2 and touch nothing' '
	setup && write_stack &&
	test_snapshot &&
	test_expect_code 2 mlops plan --yes &&
	test_expect_code 2 mlops apply --json &&
	test_expect_code 2 mlops apply extra &&
	test_expect_code 2 mlops export-stack extra &&
	test_expect_code 4 mlops plan -f nothere.yaml 2>err &&
	grep "nothere.yaml" err &&
	test_store_unchanged
'

test_expect_success 'the README section on stacks runs as written' '
	readme_examples "Environments as code: mlops plan and mlops apply" \
		>ex.sh &&
	test $(wc -l <ex.sh) -gt 20 &&
	env -u MLOPS_STORE bash -e ex.sh >out 2>&1 &&
	sed -n "s/^# //p" ex.sh >expect &&
	test $(wc -l <expect) -ge 6 &&
	while IFS= read -r line; do
		grep -qxF -- "$line" out ||
		{ echo "not in the output: $line"; return 1; }
	done <expect
'

test_done
