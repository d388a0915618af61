#!/bin/bash
# t1001-feature-group.sh - feature groups: create, list, describe, drop,
# and the errors of a bad group definition.
. "$(dirname "$0")/test-lib.sh"

write_customers() {
	cat >customers.yaml <<-\YAML
	name: customers
	description: Customer activity features
	record_identifier: customer_id      # the entity key
	event_time: event_time
	features:
	  - {name: customer_id, type: string}
	  - {name: event_time,  type: string}
	  - {name: age,         type: integral}
	  - {name: balance,     type: fractional}
	  - {name: plan,        type: string}
	ttl: 30d
	online: true
	offline: true
	YAML
}

test_expect_success 'create makes a group that list and describe show' '
	write_customers &&
	mlops-feature create customers.yaml >out &&
	grep "created feature group .customers. (5 features)" out &&
	mlops-feature list >list &&
	grep "^customers	5	0	0	0	-$" list &&
	mlops-feature describe customers >desc &&
	grep "^record_identifier: customer_id$" desc &&
	grep "^ttl: 2592000s$" desc &&
	grep "^  - {name: balance, type: fractional}$" desc &&
	grep "^last_ingest: never$" desc
'

test_expect_success 'list and describe --json give the definition' '
	write_customers &&
	mlops-feature create customers.yaml &&
	mlops-feature list --json >list.json &&
	jq -e "select(.name == \"customers\") | .features | length == 5" \
		list.json &&
	mlops-feature describe --json customers >d.json &&
	jq -e ".ttl_us == 2592000000000 and .record_count == 0 and
		.online and .offline and .created_by == \"tester@example.com\"" \
		d.json
'

test_expect_success 'ttl: a fraction of a unit, or bare seconds' '
	write_customers &&
	sed "s/^ttl: .*/ttl: 1.5d/; s/^name: .*/name: c1/" customers.yaml >a.yaml &&
	sed "s/^ttl: .*/ttl: 90/; s/^name: .*/name: c2/" customers.yaml >b.yaml &&
	mlops-feature create a.yaml &&
	mlops-feature create b.yaml &&
	mlops-feature describe c1 | grep "^ttl: 129600s$" &&
	mlops-feature describe c2 | grep "^ttl: 90s$"
'

test_expect_success 'create is audited and emits a state change event' '
	write_customers &&
	mlops-feature create customers.yaml &&
	mlops audit log --json | jq -e "select(.action == \"feature.create\")
		| .resource == \"customers\"" &&
	mlops event log --json --source mlops.feature >ev &&
	jq -e "select(.\"detail-type\" == \"Feature Group State Change\")
		| .detail.FeatureGroupStatus == \"Created\" and
		  .detail.FeatureGroupName == \"customers\"" ev
'

test_expect_success 'creating a group twice exits 4 and changes nothing' '
	write_customers &&
	mlops-feature create customers.yaml &&
	test_snapshot &&
	test_expect_code 4 mlops-feature create customers.yaml 2>err &&
	grep "feature group .customers. already exists" err &&
	test_store_unchanged
'

# bad_group NAME EXPECTED-MESSAGE: the YAML on stdin must be refused with
# exit 3 and the message, leaving the store as it was.
bad_group() {
	cat >"$1.yaml" &&
	test_snapshot &&
	test_expect_code 3 mlops-feature create "$1.yaml" 2>err &&
	grep -F "$2" err &&
	test_store_unchanged
}

test_expect_success 'malformed YAML is refused with file:line:column' '
	printf "name: x\nfeatures: [\n  {name: a\n" |
	bad_group broken "mlops-feature: broken.yaml:"
'

test_expect_success 'an unknown type is refused where it is written' '
	bad_group types "types.yaml:5:22: unknown type '\''timestamp'\''" <<-\YAML
	name: t
	record_identifier: id
	event_time: t
	features:
	  - {name: t,  type: timestamp}
	  - {name: id, type: string}
	YAML
'

test_expect_success 'duplicate feature names are refused' '
	bad_group dup "dup.yaml:6:12: duplicate feature name '\''id'\''" <<-\YAML
	name: t
	record_identifier: id
	event_time: t
	features:
	  - {name: id, type: string}
	  - {name: id, type: integral}
	  - {name: t,  type: string}
	YAML
'

test_expect_success 'record_identifier and event_time must be features' '
	bad_group rid "rid.yaml:2:20: record_identifier '\''user'\'' is not among the features" <<-\YAML &&
	name: t
	record_identifier: user
	event_time: t
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	YAML
	bad_group et "et.yaml:3:13: event_time '\''when'\'' is not among the features" <<-\YAML
	name: t
	record_identifier: id
	event_time: when
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	YAML
'

test_expect_success 'unknown keys, bad TTLs and reserved names are refused' '
	bad_group key "key.yaml:4:1: unknown key" <<-\YAML &&
	name: t
	record_identifier: id
	event_time: t
	onlien: true
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	YAML
	bad_group ttl "ttl.yaml:7:6: ttl '\''soon'\'' is not a positive duration" <<-\YAML &&
	name: t
	record_identifier: id
	event_time: t
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	ttl: soon
	YAML
	bad_group res "'\''write_time'\'' is reserved" <<-\YAML
	name: t
	record_identifier: id
	event_time: t
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	  - {name: write_time, type: string}
	YAML
'

test_expect_success 'describe and drop of a missing group exit 4' '
	test_expect_code 4 mlops-feature describe nope 2>err &&
	grep "feature group .nope. does not exist" err &&
	test_expect_code 4 mlops-feature drop --force nope
'

test_expect_success 'drop refuses without --force, then removes everything' '
	write_customers &&
	mlops-feature create customers.yaml &&
	printf "customer_id,event_time,age\nc1,2026-01-01T00:00:00Z,3\n" |
		mlops-feature ingest customers &&
	test -d "$MLOPS_STORE/offline/customers" &&
	test_snapshot &&
	test_expect_code 2 mlops-feature drop customers 2>err &&
	grep "use --force" err &&
	test_store_unchanged &&
	mlops-feature drop --force customers &&
	! test -e "$MLOPS_STORE/offline/customers" &&
	n=$(sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(1) FROM feature_online") &&
	test "$n" = 0 &&
	mlops audit log --json | grep "\"action\":\"feature.drop\"" &&
	mlops-feature list >list &&
	! grep customers list
'

test_expect_success 'usage errors exit 2; every verb has --help' '
	test_expect_code 2 mlops-feature create &&
	test_expect_code 2 mlops-feature frobnicate &&
	for v in create list describe drop ingest get delete ddl export \
		dataset; do
		mlops-feature $v --help >help &&
		grep "^usage: mlops-feature $v" help || return 1
	done &&
	mlops feature --help | grep dataset
'

test_done
