#!/bin/bash
# t1002-feature-ingest.sh - ingestion (CSV, JSON Lines, all or nothing,
# --errors), the online store (get, TTL, upsert, delete) and the offline
# store (partitions, gzip CSV, export, ddl).
. "$(dirname "$0")/test-lib.sh"

# A group "customers" with a 30-day TTL, online and offline.
make_group() {
	cat >customers.yaml <<-\YAML &&
	name: customers
	record_identifier: customer_id
	event_time: event_time
	features:
	  - {name: customer_id, type: string}
	  - {name: event_time,  type: ${ET:-string}}
	  - {name: age,         type: integral}
	  - {name: balance,     type: fractional}
	  - {name: plan,        type: string}
	ttl: ${TTL:-30d}
	YAML
	sed -i -e "s/\${TTL:-30d}/${TTL:-30d}/" \
		-e "s/\${ET:-string}/${ET:-string}/" customers.yaml &&
	mlops-feature create customers.yaml >/dev/null
}

# Ingest of FILE into customers fails as bad input, saying PATTERN.
ingest_refused() {
	test_expect_code 3 mlops-feature ingest customers "$1" 2>err &&
	grep "$2" err
}

# Recent event times, inside the TTL: now minus N hours, RFC 3339.
ago() {
	date -u -d "@$(( $(date +%s) - $1 * 3600 ))" +%Y-%m-%dT%H:00:00Z
}

test_expect_success 'ingest CSV, then get the latest record per ID' '
	make_group &&
	cat >c.csv <<-EOF &&
	customer_id,event_time,age,balance,plan
	c1,$(ago 5),30,12.5,gold
	c2,$(ago 4),40,,silver
	c1,$(ago 3),31,13.5,"gold, plus"
	EOF
	mlops-feature ingest customers c.csv >out &&
	grep "customers: ingested 3 rows" out &&
	mlops-feature get customers c1 c2 >got &&
	cat >expect <<-EOF &&
	customer_id,event_time,age,balance,plan
	c1,$(ago 3),31,13.5,"gold, plus"
	c2,$(ago 4),40,,silver
	EOF
	test_cmp expect got
'

test_expect_success 'get --json types values; --features picks columns' '
	make_group &&
	printf "customer_id,event_time,age,balance\nc1,%s,30,2.5\n" "$(ago 1)" |
		mlops-feature ingest customers - &&
	mlops-feature get --json customers c1 >got &&
	jq -e ".age == 30 and .balance == 2.5 and .plan == null and
		.customer_id == \"c1\"" got &&
	mlops-feature get --features age,customer_id customers c1 >got &&
	printf "age,customer_id\n30,c1\n" >expect &&
	test_cmp expect got &&
	mlops-feature get --features age customers c1 >got &&
	printf "customer_id,age\nc1,30\n" >expect &&
	test_cmp expect got &&
	mlops-feature get --json --features age customers c1 >got &&
	jq -e ". == {\"customer_id\": \"c1\", \"age\": 30}" got
'

test_expect_success 'get --features: a feature named twice is a usage error' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,30\n" "$(ago 1)" |
		mlops-feature ingest customers - &&
	test_expect_code 2 mlops-feature get \
		--features age,plan,age,balance,customer_id,event_time \
		customers c1 >got 2>err &&
	grep "^mlops-feature: --features names .age. twice$" err &&
	test_line_count = 0 got &&
	test_expect_code 4 mlops-feature get --features age,nope customers c1 2>err &&
	grep "feature group .customers. has no feature .nope.$" err
'

test_expect_success 'get names each ID; a missing one is said, exit 1 or 4' '
	make_group &&
	printf "customer_id,event_time,age\nc5,%s,30\nc6,%s,31\n" \
		"$(ago 1)" "$(ago 1)" | mlops-feature ingest customers &&
	test_expect_code 1 mlops-feature get --features age customers \
		c5 nosuch c6 >got 2>err &&
	printf "customer_id,age\nc5,30\nc6,31\n" >expect &&
	test_cmp expect got &&
	echo "mlops-feature: record '"'nosuch'"' of feature group '"'customers'"' does not exist" >expect &&
	test_cmp expect err &&
	test_expect_code 1 mlops-feature get --json --features age customers \
		c5 nosuch c6 >got 2>err2 &&
	test_cmp expect err2 &&
	jq -s -e ". == [{\"customer_id\": \"c5\", \"age\": 30},
		{\"customer_id\": \"c6\", \"age\": 31}]" got &&
	test_expect_code 4 mlops-feature get customers nope >got 2>err &&
	test_line_count = 0 got &&
	grep "^mlops-feature: record .nope. of feature group .customers. does not exist$" err &&
	test_expect_code 4 mlops-feature get customers-x c1 2>err &&
	grep "feature group .customers-x. does not exist" err
'

test_expect_success 'get --ids reads IDs from a file or stdin' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\nc2,%s,2\nc3,%s,3\n" \
		"$(ago 1)" "$(ago 1)" "$(ago 1)" | mlops-feature ingest customers &&
	printf "c3\nc1\nmissing\n" | test_expect_code 1 mlops-feature get \
		--ids - --features age customers >got 2>err &&
	printf "customer_id,age\nc3,3\nc1,1\n" >expect &&
	test_cmp expect got &&
	grep "record .missing. of feature group .customers. does not exist" err &&
	: >none &&
	mlops-feature get --ids none customers >got &&
	test_line_count = 0 got
'

test_expect_success 'JSON Lines ingest: values by name, null is missing' '
	make_group &&
	cat >c.jsonl <<-EOF &&
	{"customer_id": "c1", "event_time": "$(ago 2)", "age": 41, "balance": 0.1}
	{"customer_id": "c2", "event_time": "$(ago 2)", "plan": null}
	EOF
	mlops-feature ingest customers c.jsonl &&
	mlops-feature get customers c1 c2 >got &&
	cat >expect <<-EOF &&
	customer_id,event_time,age,balance,plan
	c1,$(ago 2),41,0.1,
	c2,$(ago 2),,,
	EOF
	test_cmp expect got
'

test_expect_success 'JSON Lines: a key twice is refused, like a CSV column' '
	make_group &&
	printf "{\"customer_id\": \"c1\", \"event_time\": \"%s\", \"age\": 1, \"age\": 2}\n" \
		"$(ago 2)" >dup.jsonl &&
	test_snapshot &&
	test_expect_code 3 mlops-feature ingest customers dup.jsonl 2>err &&
	grep "^mlops-feature: dup.jsonl:1: malformed JSON: duplicate object key" err &&
	test_store_unchanged
'

test_expect_success 'a string event time is ISO 8601, not Unix seconds' '
	make_group &&
	test_snapshot &&
	t=$(date -d "$(ago 1)" +%s) &&
	printf "customer_id,event_time\nc1,%s\nc2,%s\n" "$(ago 1)" "$t" >mixed.csv &&
	ingest_refused mixed.csv "^mlops-feature: mixed.csv:3: event_time: \"$t\" is not an ISO 8601 time such as 2026-01-31T12:00:00Z (the event time is a string; Unix seconds need an integral or fractional one)$" &&
	printf "{\"customer_id\": \"c1\", \"event_time\": %s}\n" "$t" >n.jsonl &&
	ingest_refused n.jsonl "^mlops-feature: n.jsonl:1: event_time: \"$t\" is not an ISO 8601" &&
	for bad in 2026-03-01t10:00:00Z 2026-03-01T10:00:00z \
		"2026-03-01 10:00:00Z" 2026-03-01T10:00:60Z; do
		printf "customer_id,event_time\nc1,%s\n" "$bad" >bad.csv &&
		ingest_refused bad.csv \
			"bad.csv:2: event_time: .* is not an ISO 8601 time" ||
		return 1
	done &&
	test_store_unchanged &&
	test_expect_code 1 mlops-feature ingest --errors rej.csv customers \
		mixed.csv 2>err &&
	printf "customer_id,event_time\nc2,%s\n" "$t" >expect &&
	test_cmp expect rej.csv &&
	printf "customer_id,event_time\nc3,2026-03-01T10:45:00.25+01:00\n" |
		mlops-feature ingest customers &&
	mlops-feature export customers | cut -d, -f2 | tail -n +2 >times &&
	test_line_count = 2 times &&
	! grep -v "^[0-9-]*T[0-9:.]*\(Z\|+01:00\)$" times
'

test_expect_success 'an integral or fractional event time is Unix seconds' '
	ET=integral make_group &&
	test_snapshot &&
	printf "customer_id,event_time\nc1,1772359200\nc2,2026-03-01T10:00:00Z\n" >i.csv &&
	ingest_refused i.csv "^mlops-feature: i.csv:3: event_time: \"2026-03-01T10:00:00Z\" is not Unix seconds such as 1769860800 (the event time is integral)$" &&
	printf "customer_id,event_time\nc1,1772359200.5\n" >f.csv &&
	ingest_refused f.csv "f.csv:2: event_time: \"1772359200.5\" is not Unix seconds" &&
	test_store_unchanged &&
	printf "customer_id,event_time,age\nc1,1772359200,1\n" |
		mlops-feature ingest customers &&
	test_expect_code 3 mlops-feature delete \
		--event-time 2026-03-01T11:00:00.5Z customers c1 2>err &&
	grep "fraction of a second, but event time .event_time. of feature group .customers. is integral" err &&
	mlops-feature delete --event-time 2026-03-01T11:00:00Z customers c1 &&
	mlops-feature export customers >all &&
	grep "^c1,1772362800,,,,.*,true$" all &&
	mlops-feature drop --force customers >/dev/null &&
	ET=fractional make_group &&
	printf "customer_id,event_time\nc1,1772359200\nc2,1772359200.25\nc3,2026-03-01T10:00:00Z\n" >x.csv &&
	ingest_refused x.csv "x.csv:4: event_time: \"2026-03-01T10:00:00Z\" is not Unix seconds such as 1769860800.25 (the event time is fractional)" &&
	head -n 3 x.csv | mlops-feature ingest customers &&
	mlops-feature delete --event-time 2026-03-01T11:00:00.5Z customers c2 &&
	mlops-feature export customers >all &&
	grep "^c2,1772362800.5,,,,.*,true$" all
'

test_expect_success 'a newer record replaces, an older one does not' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,2\n" "$(ago 2)" |
		mlops-feature ingest customers &&
	printf "customer_id,event_time,age\nc1,%s,1\n" "$(ago 3)" |
		mlops-feature ingest customers &&
	test "$(mlops-feature get --features age customers c1 | tail -n 1)" = c1,2 &&
	printf "customer_id,event_time,age\nc1,%s,3\n" "$(ago 2)" |
		mlops-feature ingest customers &&
	test "$(mlops-feature get --features age customers c1 | tail -n 1)" = c1,3
'

test_expect_success 'records older than the TTL are not returned' '
	TTL=2h make_group &&
	printf "customer_id,event_time,age\nold,%s,1\nnew,%s,2\n" \
		"$(ago 3)" "$(ago 1)" | mlops-feature ingest customers &&
	test_expect_code 4 mlops-feature get customers old >got 2>err &&
	test_line_count = 0 got &&
	expires=$(date -u -d "@$(( $(date +%s) - 3600 ))" +%Y-%m-%dT%H:00:00Z) &&
	grep "^mlops-feature: record .old. of feature group .customers. expired at $expires (its event time plus the TTL)$" err &&
	test_expect_code 1 mlops-feature get customers old new >got 2>err &&
	grep "^new," got &&
	test_line_count = 2 got &&
	grep "record .old. .* expired at" err
'

test_expect_success 'a bad value fails the whole ingest with file:line: column' '
	make_group &&
	{
		echo customer_id,event_time,age,balance &&
		for i in 1 2 3; do echo "c$i,$(ago 1),$i,1.5"; done &&
		echo "c4,$(ago 1),4,\"12,5\"" &&
		echo "c5,$(ago 1),5,1"
	} >customers.csv &&
	test_snapshot &&
	test_expect_code 3 mlops-feature ingest customers customers.csv 2>err &&
	grep "^mlops-feature: customers.csv:5: balance: \"12,5\" is not a fractional$" err &&
	test_store_unchanged &&
	test -z "$(ls "$MLOPS_STORE/tmp")"
'

test_expect_success 'integral, timestamp and identifier errors are named' '
	make_group &&
	test_snapshot &&
	printf "customer_id,event_time,age\nc1,%s,4.5\n" "$(ago 1)" >a.csv &&
	test_expect_code 3 mlops-feature ingest customers a.csv 2>err &&
	grep "a.csv:2: age: \"4.5\" is not an integral" err &&
	printf "customer_id,event_time\nc1,yesterday\n" >b.csv &&
	test_expect_code 3 mlops-feature ingest customers b.csv 2>err &&
	grep "b.csv:2: event_time: \"yesterday\" is not an ISO 8601 time" err &&
	printf "customer_id,event_time\n,%s\n" "$(ago 1)" >c.csv &&
	test_expect_code 3 mlops-feature ingest customers c.csv 2>err &&
	grep "c.csv:2: customer_id: a record identifier may not be missing" err &&
	printf "customer_id,event_time\nc1,\n" >d.csv &&
	test_expect_code 3 mlops-feature ingest customers d.csv 2>err &&
	grep "d.csv:2: event_time: an event time may not be missing" err &&
	test_store_unchanged
'

test_expect_success 'unknown and missing columns, wrong field counts' '
	make_group &&
	test_snapshot &&
	printf "customer_id,event_time,shoe_size\n" >a.csv &&
	test_expect_code 3 mlops-feature ingest customers a.csv 2>err &&
	grep "a.csv:1: unknown column .shoe_size." err &&
	printf "customer_id,age\nc1,3\n" >b.csv &&
	test_expect_code 3 mlops-feature ingest customers b.csv 2>err &&
	grep "b.csv:1: missing column .event_time." err &&
	printf "customer_id,event_time\nc1,%s,extra\n" "$(ago 1)" >c.csv &&
	test_expect_code 3 mlops-feature ingest customers c.csv 2>err &&
	grep "c.csv:2: expected 2 fields, found 3" err &&
	echo "{\"customer_id\": \"c1\", \"event_time\": \"$(ago 1)\", \"x\": 1}" >d.jsonl &&
	test_expect_code 3 mlops-feature ingest customers d.jsonl 2>err &&
	grep "d.jsonl:1: unknown column .x." err &&
	test_expect_code 4 mlops-feature ingest nope a.csv 2>err &&
	grep "feature group .nope. does not exist" err &&
	test_store_unchanged
'

test_expect_success '--errors writes rejected rows and ingests the rest' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\nc2,%s,x\nc3,%s,3\n" \
		"$(ago 1)" "$(ago 1)" "$(ago 1)" >in.csv &&
	test_expect_code 1 mlops-feature ingest --errors bad.csv customers \
		in.csv >out 2>err &&
	grep "ingested 2 rows" out &&
	grep "rejected 1 rows into .bad.csv.; the first: in.csv:3: age" err &&
	printf "customer_id,event_time,age\nc2,%s,x\n" "$(ago 1)" >expect &&
	test_cmp expect bad.csv &&
	test_expect_code 1 mlops-feature get --features age customers \
		c1 c2 c3 >got &&
	printf "customer_id,age\nc1,1\nc3,3\n" >expect &&
	test_cmp expect got
'

test_expect_success '--errors refuses to overwrite the input' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\nc2,%s,x\n" \
		"$(ago 1)" "$(ago 1)" >in.csv &&
	cp in.csv expect &&
	test_snapshot &&
	test_expect_code 2 mlops-feature ingest --errors in.csv customers \
		in.csv 2>err &&
	grep "^mlops-feature: --errors .in.csv. is the input itself$" err &&
	test_cmp expect in.csv &&
	test_expect_code 2 mlops-feature ingest --errors ./in.csv customers \
		<in.csv 2>err &&
	test_cmp expect in.csv &&
	test_store_unchanged
'

test_expect_success '--errors takes rows with the wrong number of fields' '
	make_group &&
	now=$(ago 1) &&
	cat >in.csv <<-EOF &&
	customer_id,event_time,age
	c1,$now,1,extra
	c2,$now,2
	c3,$now
	EOF
	test_expect_code 1 mlops-feature ingest --errors bad.csv customers \
		in.csv >out 2>err &&
	grep "ingested 1 rows" out &&
	grep "rejected 2 rows into .bad.csv.; the first: in.csv:2: expected" err &&
	printf "customer_id,event_time,age\nc1,%s,1,extra\nc3,%s\n" \
		"$now" "$now" >expect &&
	test_cmp expect bad.csv &&
	test_expect_code 1 mlops-feature get --features age customers \
		c1 c2 c3 >got &&
	printf "customer_id,age\nc2,2\n" >expect &&
	test_cmp expect got &&
	test_snapshot &&
	test_expect_code 3 mlops-feature ingest customers in.csv 2>err &&
	grep "in.csv:2: expected 3 fields, found 4" err &&
	test_store_unchanged
'

test_expect_success 'offline rows land in hourly partitions as gzip CSV' '
	make_group &&
	cat >c.csv <<-\EOF &&
	customer_id,event_time,age,balance,plan
	c1,2026-03-01T10:15:00Z,30,1.5,gold
	c2,2026-03-01T10:45:00+01:00,40,,silver
	c3,2026-03-01T10:00:00.5Z,50,2,bronze
	EOF
	mlops-feature ingest customers c.csv &&
	cd "$MLOPS_STORE/offline/customers" &&
	ls year=2026/month=03/day=01/hour=10/*.csv.gz &&
	ls year=2026/month=03/day=01/hour=09/*.csv.gz &&
	zcat year=2026/month=03/day=01/hour=10/*.csv.gz >rows &&
	head -n 1 rows >header &&
	echo "customer_id,event_time,age,balance,plan,write_time,api_invocation_time,is_deleted" >expect &&
	test_cmp expect header &&
	grep "^c1,2026-03-01T10:15:00Z,30,1.5,gold,.*Z,.*Z,false$" rows &&
	grep "^c3,2026-03-01T10:00:00.5Z," rows &&
	test "$(find . -name "*.tmp*" -o -name ".*" -type f | wc -l)" = 0
'

test_expect_success 'pandas reads the offline store as it is' '
	make_group &&
	printf "customer_id,event_time,age,balance\nc1,2026-03-01T10:15:00Z,30,1.5\nc2,2026-03-02T11:00:00Z,,2\n" |
		mlops-feature ingest customers &&
	$PYTHON -c "
import glob, pandas as pd
files = sorted(glob.glob(\"$MLOPS_STORE/offline/customers/year=*/month=*/day=*/hour=*/*.csv.gz\"))
df = pd.concat(pd.read_csv(f) for f in files)
assert len(df) == 2, df
assert list(df.columns[-3:]) == [\"write_time\", \"api_invocation_time\", \"is_deleted\"]
assert df[\"balance\"].sum() == 3.5
assert not df[\"is_deleted\"].any()
"
'

test_expect_success 'delete: soft and hard, both stop get and mark offline' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\nc2,%s,2\n" \
		"$(ago 3)" "$(ago 3)" | mlops-feature ingest customers &&
	mlops-feature delete --event-time "$(ago 2)" customers c1 &&
	mlops-feature delete --hard --event-time "$(ago 2)" customers c2 &&
	test_expect_code 4 mlops-feature get customers c1 c2 2>err &&
	grep "^mlops-feature: record .c1. of feature group .customers. is deleted$" err &&
	grep "^mlops-feature: record .c2. of feature group .customers. does not exist$" err &&
	n=$(sqlite3 "$MLOPS_STORE/mlops.db" "SELECT record_id || deleted FROM feature_online") &&
	test "$n" = c11 &&
	mlops-feature export customers >all &&
	grep "^c1,$(ago 2),,,,.*,true$" all &&
	grep "^c2,$(ago 2),,,,.*,true$" all &&
	mlops audit log --json | grep "\"resource\":\"customers/c2\"" &&
	mlops event log --json --type "Feature Record Deleted" >ev &&
	jq -e "select(.detail.DeletionMode == \"HardDelete\") |
		.detail.RecordIdentifierValueAsString == \"c2\"" ev
'

test_expect_success 'a hard delete removes a soft-deleted record' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\n" "$(ago 3)" |
		mlops-feature ingest customers &&
	mlops-feature delete --event-time "$(ago 2)" customers c1 &&
	test_snapshot &&
	test_expect_code 4 mlops-feature delete --event-time "$(ago 1)" \
		customers c1 2>err &&
	grep "does not exist (already deleted; --hard removes it)" err &&
	test_store_unchanged &&
	mlops-feature delete --hard --event-time "$(ago 1)" customers c1 &&
	n=$(sqlite3 "$MLOPS_STORE/mlops.db" \
		"SELECT count(*) FROM feature_online") &&
	test "$n" = 0 &&
	mlops-feature export customers >all &&
	grep "^c1,$(ago 1),,,,.*,true$" all &&
	test_expect_code 4 mlops-feature delete --hard --event-time "$(ago 0)" \
		customers c1
'

test_expect_success 'a delete older than the record, or of nothing, exits 4' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\n" "$(ago 1)" |
		mlops-feature ingest customers &&
	test_snapshot &&
	test_expect_code 4 mlops-feature delete --event-time "$(ago 2)" \
		customers c1 2>err &&
	grep "newer event time" err &&
	test_expect_code 4 mlops-feature delete --event-time "$(ago 0)" \
		customers c9 2>err &&
	grep "record .c9. of feature group .customers. does not exist" err &&
	test_expect_code 2 mlops-feature delete customers c1 &&
	test_store_unchanged
'

test_expect_success 'a re-ingested record comes back after a soft delete' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\n" "$(ago 3)" |
		mlops-feature ingest customers &&
	mlops-feature delete --event-time "$(ago 2)" customers c1 &&
	printf "customer_id,event_time,age\nc1,%s,1\n" "$(ago 3)" |
		mlops-feature ingest customers &&
	test_expect_code 4 mlops-feature get customers c1 &&
	printf "customer_id,event_time,age\nc1,%s,7\n" "$(ago 1)" |
		mlops-feature ingest customers &&
	mlops-feature get customers c1 | grep ",7,"
'

test_expect_success 'export --as-of shows the table as it was known then' '
	make_group &&
	printf "customer_id,event_time,age\nc1,2026-01-01T00:00:00Z,1\n" |
		mlops-feature ingest customers &&
	between=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ) &&
	sleep 0.01 &&
	printf "customer_id,event_time,age\nc2,2026-01-02T00:00:00Z,2\n" |
		mlops-feature ingest customers &&
	mlops-feature export customers >all &&
	test_line_count = 3 all &&
	mlops-feature export --as-of "$between" customers >then &&
	test_line_count = 2 then &&
	grep "^c1," then &&
	mlops-feature export --as-of 2000-01-01T00:00:00Z customers >none &&
	test_line_count = 1 none
'

test_expect_success 'ingest is audited, emits one event, updates describe' '
	make_group &&
	printf "customer_id,event_time,age\nc1,%s,1\nc2,%s,2\n" \
		"$(ago 1)" "$(ago 1)" | mlops-feature ingest customers &&
	test "$(mlops audit log --json | grep -c "\"action\":\"feature.ingest\"")" = 1 &&
	mlops event log --json --type "Feature Group Ingestion" >ev &&
	test_line_count = 1 ev &&
	jq -e ".detail.Records == 2" ev &&
	mlops-feature describe --json customers >d &&
	jq -e ".record_count == 2 and .online_count == 2 and
		.offline_files == 1 and .offline_bytes > 0 and
		.last_ingest != null" d &&
	mlops audit verify
'

test_expect_success 'ddl prints Spark and Trino tables over the lake' '
	make_group &&
	mlops-feature ddl customers >spark &&
	grep "^CREATE TABLE \`customers\` ($" spark &&
	grep "^  \`balance\` DOUBLE,$" spark &&
	grep "PARTITIONED BY (year, month, day, hour)" spark &&
	grep "LOCATION .file://$MLOPS_STORE/offline/customers.$" spark &&
	grep "^OPTIONS (header .true., multiLine .true., escape .\".)$" spark &&
	grep "^MSCK REPAIR TABLE \`customers\`;$" spark &&
	mlops-feature ddl --engine trino customers >trino &&
	grep "partitioned_by = ARRAY\[.year., .month., .day., .hour.\]" trino &&
	grep "^CREATE TABLE \"default\".\"customers\" ($" trino &&
	grep "^CALL system.sync_partition_metadata(.default., .customers., .FULL.);$" trino &&
	mlops-feature ddl --engine trino --schema lake customers >trino &&
	grep "^CREATE TABLE \"lake\".\"customers\" ($" trino &&
	grep "^CALL system.sync_partition_metadata(.lake., .customers., .FULL.);$" trino &&
	mlops-feature ddl --schema lake customers >spark &&
	grep "^CREATE TABLE \`lake\`.\`customers\` ($" spark &&
	grep "^MSCK REPAIR TABLE \`lake\`.\`customers\`;$" spark &&
	test_expect_code 2 mlops-feature ddl --engine hive customers &&
	test_expect_code 2 mlops-feature ddl --schema "a\"b" customers 2>err &&
	grep "schema .a\"b. must be a letter or digit" err
'

# A store in a folder named  it's \ x  (a quote, a backslash, spaces):
# Spark escapes with a backslash, Trino and DuckDB double the quote.
test_expect_success 'ddl writes a store path with quotes as each engine wants' '
	mkdir "it'"'"'s \\ x" &&
	mlops init "it'"'"'s \\ x" >/dev/null &&
	MLOPS_STORE="$PWD/it'"'"'s \\ x/.mlops" &&
	make_group &&
	mlops-feature ddl customers >spark &&
	grep -F "LOCATION '"'"'file://$PWD/it\'"'"'s \\\\ x/.mlops/offline/customers'"'"'" spark &&
	mlops-feature ddl --engine trino customers >trino &&
	grep -F "external_location = '"'"'file://$PWD/it'"''"'s \\ x/.mlops/offline/customers'"'"'," trino &&
	mlops-feature ddl --engine duckdb customers >duckdb &&
	grep -F "FROM read_csv('"'"'$PWD/it'"''"'s \\ x/.mlops/offline/customers/year=*/" duckdb &&
	mkdir "glob[1]" &&
	mlops init "glob[1]" >/dev/null &&
	MLOPS_STORE="$PWD/glob[1]/.mlops" &&
	make_group &&
	mlops-feature ddl --engine trino customers >/dev/null &&
	test_expect_code 3 mlops-feature ddl --engine duckdb customers >out 2>err &&
	test_line_count = 0 out &&
	grep "has a glob character (\*, ?, \[ or {) in its path, which DuckDB" err &&
	nl="$(printf "a\nb")" &&
	mkdir "$nl" &&
	mlops init "$nl" >/dev/null &&
	MLOPS_STORE="$PWD/$nl/.mlops" &&
	make_group &&
	test_expect_code 3 mlops-feature ddl customers >out 2>err &&
	test_line_count = 0 out &&
	grep "offline folder of .customers. has a control character in its path" err
'

test_expect_success 'ddl quotes names that are not bare SQL identifiers' '
	cat >ev.yaml <<-\YAML &&
	name: user-events
	record_identifier: user-id
	event_time: select
	features:
	  - {name: user-id, type: string}
	  - {name: select,  type: string}
	YAML
	mlops-feature create ev.yaml >/dev/null &&
	mlops-feature ddl user-events >spark &&
	grep "^CREATE TABLE \`user-events\` ($" spark &&
	grep "^  \`user-id\` STRING,$" spark &&
	grep "^  \`select\` STRING,$" spark &&
	grep "^MSCK REPAIR TABLE \`user-events\`;$" spark &&
	mlops-feature ddl --engine trino user-events >trino &&
	grep "^CREATE TABLE \"default\".\"user-events\" ($" trino &&
	grep "^  \"user-id\" varchar,$" trino &&
	grep "^  \"select\" varchar,$" trino
'

test_expect_success 'offline-only and online-only groups' '
	cat >g.yaml <<-\YAML &&
	name: clicks
	record_identifier: id
	event_time: t
	online: false
	features:
	  - {name: id, type: integral}
	  - {name: t,  type: string}
	YAML
	mlops-feature create g.yaml &&
	printf "id,t\n1,2026-01-01T00:00:00Z\n" | mlops-feature ingest clicks &&
	test_expect_code 4 mlops-feature get clicks 1 2>err &&
	grep "no online store" err &&
	mlops-feature export clicks | grep "^1,2026-01-01T00:00:00Z," &&
	cat >o.yaml <<-\YAML &&
	name: live
	record_identifier: id
	event_time: t
	offline: false
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	  - {name: v,  type: string}
	YAML
	mlops-feature create o.yaml &&
	printf "id,t,v\na,%s,1\n" "$(ago 1)" | mlops-feature ingest live &&
	mlops-feature get live a | grep "^a," &&
	! test -e "$MLOPS_STORE/offline/live" &&
	printf "id,t\na,%s\n" "$(ago 0)" >e.csv &&
	test_expect_code 4 mlops-feature dataset --entities e.csv \
		--features live 2>err &&
	grep "no offline store" err &&
	test_expect_code 4 mlops-feature export live >out 2>err &&
	test_line_count = 0 out &&
	grep "^mlops-feature: feature group .live. has no offline store$" err &&
	test_expect_code 4 mlops-feature ddl live >out 2>err &&
	test_line_count = 0 out &&
	grep "^mlops-feature: feature group .live. has no offline store$" err
'

test_expect_success 'concurrent ingests wait their turn; nothing is lost' '
	make_group &&
	for k in 1 2 3 4; do
		awk -v k=$k -v t="$(ago 1)" "BEGIN { print \"customer_id,event_time,age\";
			for (i = 0; i < 5000; i++) printf \"k%d-%d,%s,%d\n\", k, i, t, k }" \
			>in$k.csv || return 1
	done &&
	for k in 1 2 3 4; do
		mlops-feature ingest customers in$k.csv >out$k 2>&1 &
	done &&
	wait &&
	mlops-feature describe --json customers >d &&
	jq -e ".record_count == 20000 and .online_count == 20000" d &&
	test "$(mlops-feature export customers | wc -l)" = 20001 &&
	mlops-feature get --features age customers k3-4999 | grep "^k3-4999,3$" &&
	mlops audit verify
'

if test -n "$MLOPS_SANITIZED"; then
	test_skip 'ingest streams: 300000 rows in bounded memory' \
		'ulimit -v does not work with AddressSanitizer'
else
	test_expect_success 'ingest streams: 300000 rows in bounded memory' '
		ET=integral make_group &&
		awk "BEGIN { print \"customer_id,event_time,age,balance,plan\";
			for (i = 0; i < 300000; i++)
				printf \"c%d,%d,%d,%d.5,p%d\n\", i, 1767225600 + i * 60, i % 90, i, i % 7 }" >big.csv &&
		(ulimit -v 300000; mlops-feature ingest customers big.csv) &&
		mlops-feature describe --json customers | jq -e ".record_count == 300000" &&
		mlops-feature export customers | tail -n +2 | wc -l >n &&
		test "$(cat n)" = 300000
	'
fi

# One record of SIZE bytes of plan, as CSV or JSON Lines.
write_wide() {
	$PYTHON - "$1" "$2" <<-\PY
	import sys
	fmt, size = sys.argv[1], int(sys.argv[2])
	plan = "p" * size
	if fmt == "csv":
	    print("customer_id,event_time,age,balance,plan")
	    print("c1,2026-01-01T00:00:00Z,1,1.5," + plan)
	else:
	    print("{\"customer_id\": \"c1\", \"event_time\": \"2026-01-01T00:00:00Z\", \"plan\": \"%s\"}" % plan)
	PY
}

test_expect_success 'CSV and JSON Lines share one record bound (16 MiB)' '
	make_group &&
	write_wide csv 17000000 >wide.csv &&
	write_wide jsonl 17000000 >wide.jsonl &&
	test_expect_code 3 mlops-feature ingest customers wide.csv 2>err.csv &&
	grep "larger than 16777216 bytes" err.csv &&
	test_expect_code 3 mlops-feature ingest customers wide.jsonl 2>err.jsonl &&
	grep "wide.jsonl:1: a line longer than 16777216 bytes" err.jsonl &&
	write_wide jsonl 1000000 >ok.jsonl &&
	mlops-feature ingest customers ok.jsonl >out &&
	grep "ingested 1 row" out &&
	{ echo c1 && head -c 17000000 /dev/zero | tr "\\0" x; } >ids &&
	test_expect_code 3 mlops-feature get --ids ids customers >/dev/null 2>err &&
	grep "ids:2: a line longer than 16777216 bytes" err
'

test_done
