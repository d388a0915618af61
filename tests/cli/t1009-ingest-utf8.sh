#!/bin/bash
# t1009-ingest-utf8.sh - text that is not UTF-8 is refused at ingest with
# its line and column, never stored and then lost by get --json.
. "$(dirname "$0")/test-lib.sh"

make_group() {
	cat >g.yaml <<-\YAML &&
	name: g
	record_identifier: id
	event_time: t
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	  - {name: f1, type: string}
	  - {name: n,  type: integral}
	YAML
	mlops-feature create g.yaml >/dev/null
}

test_expect_success 'invalid UTF-8 in a value is refused: exit 3, line, column' '
	make_group &&
	printf "id,t,f1,n\nd1,2026-01-01T00:00:00Z,ok,1\nd2,2026-01-01T00:00:00Z,\303\050,1\n" >bad.csv &&
	test_snapshot &&
	test_expect_code 3 mlops-feature ingest g bad.csv 2>err &&
	grep "bad.csv:3: column .f1. (field 3): the value is not valid UTF-8" err &&
	test_expect_code 4 mlops-feature get g d1 d2 &&
	test_store_unchanged
'

test_expect_success 'invalid UTF-8 in the record identifier is refused' '
	make_group &&
	printf "id,t,f1,n\nd\377\376,2026-01-01T00:00:00Z,x,1\n" >bad.csv &&
	test_expect_code 3 mlops-feature ingest g bad.csv 2>err &&
	grep "bad.csv:2: column .id. (field 1)" err
'

test_expect_success 'overlong forms and surrogates are not UTF-8 either' '
	make_group &&
	for bytes in "\300\257" "\355\240\200" "\364\220\200\200" "\342\202"
	do
		printf "id,t,f1,n\nx,2026-01-01T00:00:00Z,$bytes,1\n" >bad.csv &&
		test_expect_code 3 mlops-feature ingest g bad.csv 2>err &&
		grep "not valid UTF-8" err || return 1
	done
'

test_expect_success '--errors takes a row that is not UTF-8 and keeps the rest' '
	make_group &&
	printf "id,t,f1,n\nd1,2026-01-01T00:00:00Z,caf\303\251,1\nd2,2026-01-01T00:00:00Z,\377,1\n" >mixed.csv &&
	test_expect_code 1 mlops-feature ingest --errors rej.csv g mixed.csv \
		>out 2>err &&
	grep "ingested 1 row" out &&
	test_line_count = 2 rej.csv &&
	mlops-feature get --json g d1 >got &&
	jq -e ".f1 == \"caf\u00e9\" and .id == \"d1\"" got
'

test_done
