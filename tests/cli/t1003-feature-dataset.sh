#!/bin/bash
# t1003-feature-dataset.sh - point-in-time datasets, compared with pandas
# merge_asof: precomputed expected files (tests/data/feature/*.expected,
# made by pandas-asof.py) for ties, TTL, deletes, missing IDs and
# unsorted input; a random case computed by pandas at test time; the
# external sort spilling to disk; several groups; bad input.
. "$(dirname "$0")/test-lib.sh"

DATA=$TEST_DIRECTORY/../data/feature

# The txn group of tests/data/feature with its two batches and deletes.
load_txn() {
	mlops-feature create "$DATA/group.yaml" >/dev/null &&
	mlops-feature ingest txn "$DATA/batch1.csv" >/dev/null &&
	mlops-feature ingest txn "$DATA/batch2.csv" >/dev/null &&
	tail -n +2 "$DATA/deletes.csv" | while IFS=, read -r id t mode; do
		if [ "$mode" = hard ]; then h=--hard; else h=; fi
		mlops-feature delete $h --event-time "$t" txn "$id" || exit 1
	done
}

for case in tie ttl delete missing unsorted; do
	test_expect_success "point-in-time join equals merge_asof: $case" "
		load_txn &&
		mlops-feature dataset --entities \"\$DATA/$case.csv\" \
			--features txn:amount,n,tag >out &&
		test_cmp \"\$DATA/$case.expected\" out
	"
done

test_expect_success 'the expected files are what pandas computes now' '
	for case in tie ttl delete missing unsorted; do
		$PYTHON "$DATA/pandas-asof.py" "$DATA/$case.csv" 7200 user_id ts \
			amount n tag -- "$DATA/batch1.csv" "$DATA/batch2.csv" \
			--deletes "$DATA/deletes.csv" >$case.pandas &&
		test_cmp "$DATA/$case.expected" $case.pandas || return 1
	done
'

# Random feature rows (several batches, many ties and stale records) and
# entity rows, joined by both, with the sort forced to spill to disk.
test_expect_success 'random data: the same as pandas, in memory or spilled' '
	cat >rand.yaml <<-\YAML &&
	name: txn
	record_identifier: user_id
	event_time: ts
	features:
	  - {name: user_id, type: string}
	  - {name: ts,      type: integral}
	  - {name: amount,  type: fractional}
	  - {name: n,       type: integral}
	  - {name: tag,     type: string}
	ttl: 1h
	YAML
	mlops-feature create rand.yaml &&
	$PYTHON -c "
import random
r = random.Random(42)
for b in range(3):
    with open(\"b%d.csv\" % b, \"w\") as f:
        f.write(\"user_id,ts,amount,n,tag\n\")
        for i in range(20000):
            f.write(\"u%d,%d,%s,%d,%s\n\" % (r.randrange(500),
                    1767225600 + r.randrange(86400 // 60) * 60,
                    r.choice([\"\", \"%.3f\" % r.uniform(-5, 5)]),
                    r.randrange(1000), r.choice([\"a\", \"\\\"b,c\\\"\", \"\"])))
with open(\"e.csv\", \"w\") as f:
    f.write(\"label,user_id,ts\n\")
    for i in range(10000):
        f.write(\"%d,u%d,%d\n\" % (i % 2, r.randrange(550),
                1767225600 + r.randrange(-3600, 90000)))
" &&
	for b in 0 1 2; do mlops-feature ingest txn b$b.csv >/dev/null || return 1; done &&
	$PYTHON "$DATA/pandas-asof.py" e.csv 3600 user_id ts amount n tag \
		-- b0.csv b1.csv b2.csv >expect &&
	mlops-feature dataset --entities e.csv --features txn:amount,n,tag >out &&
	test_cmp expect out &&
	mlops-feature dataset --memory 1MB --entities e.csv \
		--features txn:amount,n,tag >spilled &&
	test_cmp expect spilled &&
	test "$(cut -d, -f4 out | grep -c .)" -gt 1000
'

test_expect_success 'entities from stdin, -o writes the file whole' '
	load_txn &&
	mlops-feature dataset --entities - --features txn:amount,n,tag \
		-o out.csv <"$DATA/unsorted.csv" &&
	test_cmp "$DATA/unsorted.expected" out.csv &&
	test "$(ls out.csv*)" = out.csv
'

test_expect_success 'two groups, --plain-names and column options' '
	load_txn &&
	cat >profile.yaml <<-\YAML &&
	name: profile
	record_identifier: uid
	event_time: since
	features:
	  - {name: uid,     type: string}
	  - {name: since,   type: string}
	  - {name: segment, type: string}
	YAML
	mlops-feature create profile.yaml &&
	printf "uid,since,segment\nu1,2025-01-01T00:00:00Z,A\nu1,2026-01-01T02:00:00Z,B\n" |
		mlops-feature ingest profile &&
	printf "who,at,y\nu1,2026-01-01T01:30:00Z,1\nu1,2026-01-01T02:00:00Z,0\n" >e.csv &&
	mlops-feature dataset --entities e.csv --id-column who --time-column at \
		--features txn:tag --features profile:segment >out &&
	cat >expect <<-\EOF &&
	who,at,y,txn__tag,profile__segment
	u1,2026-01-01T01:30:00Z,1,c,A
	u1,2026-01-01T02:00:00Z,0,c,B
	EOF
	test_cmp expect out &&
	mlops-feature dataset --plain-names --entities e.csv --id-column who \
		--time-column at --features txn:tag --features profile >out &&
	head -n 1 out >header &&
	echo who,at,y,tag,segment >expect &&
	test_cmp expect header &&
	test_expect_code 2 mlops-feature dataset --plain-names --entities e.csv \
		--id-column who --time-column at --features txn:tag \
		--features txn:tag 2>err &&
	grep "output column .tag. appears twice" err
'

test_expect_success 'dataset --help says what a bare GROUP selects' '
	mlops-feature dataset --help >help &&
	grep "(G alone: all but its\$" help &&
	grep "^ *identifier and event time)" help
'

test_expect_success '--as-of ignores records written later' '
	load_txn &&
	before=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ) &&
	sleep 0.01 &&
	printf "user_id,ts,amount,n,tag\nu1,2026-01-01T04:00:00Z,1,1,late\n" |
		mlops-feature ingest txn &&
	printf "user_id,ts\nu1,2026-01-01T04:30:00Z\n" >e.csv &&
	mlops-feature dataset --entities e.csv --features txn:tag >now &&
	tail -n 1 now | grep ",late$" &&
	mlops-feature dataset --entities e.csv --features txn:tag \
		--as-of "$before" >then &&
	tail -n 1 then | grep ",d$"
'

test_expect_success 'bad entity files and requests: clear errors, exit 2/3/4' '
	load_txn &&
	test_snapshot &&
	printf "id,ts\nu1,2026-01-01T00:00:00Z\n" >noid.csv &&
	test_expect_code 3 mlops-feature dataset --entities noid.csv \
		--features txn 2>err &&
	grep "noid.csv:1: no ID column .user_id. (see --id-column)" err &&
	printf "user_id,ts\nu1,2026-01-01T00:00:00Z\nu2,soon\n" >badts.csv &&
	test_expect_code 3 mlops-feature dataset --entities badts.csv \
		--features txn 2>err &&
	grep "badts.csv:3: ts: \"soon\" is not a timestamp" err &&
	printf "user_id,ts\nu1,2026-01-01T00:00:00Z,x\n" >cols.csv &&
	test_expect_code 3 mlops-feature dataset --entities cols.csv \
		--features txn 2>err &&
	grep "cols.csv:2: expected 2 fields, found 3" err &&
	test_expect_code 4 mlops-feature dataset --entities cols.csv \
		--features nope:x 2>err &&
	grep "feature group .nope. does not exist" err &&
	test_expect_code 4 mlops-feature dataset --entities cols.csv \
		--features txn:colour 2>err &&
	grep "feature group .txn. has no feature .colour." err &&
	test_expect_code 4 mlops-feature dataset --entities missing.csv \
		--features txn 2>err &&
	test_expect_code 2 mlops-feature dataset --entities cols.csv &&
	test_expect_code 2 mlops-feature dataset --entities cols.csv \
		--features "txn:a,,b" &&
	test_store_unchanged
'

test_expect_success 'a clash of output columns is refused before any join' '
	load_txn &&
	printf "user_id,ts,txn__tag\nu1,2026-01-01T00:00:00Z,x\nu2,soon,y\n" \
		>clash.csv &&
	test_expect_code 2 mlops-feature dataset --entities clash.csv \
		--features txn:tag -o out.csv 2>err &&
	grep "^mlops-feature: output column .txn__tag. appears twice$" err &&
	! test -e out.csv &&
	test -z "$(ls -A "$MLOPS_STORE/tmp")"
'

if test -n "$MLOPS_SANITIZED"; then
	test_skip 'a join larger than its memory runs in bounded memory' \
		'ulimit -v does not work with AddressSanitizer'
else
	test_expect_success 'a join larger than its memory runs in bounded memory' '
		cat >g.yaml <<-\YAML &&
		name: big
		record_identifier: id
		event_time: t
		features:
		  - {name: id, type: string}
		  - {name: t,  type: integral}
		  - {name: v,  type: string}
		YAML
		mlops-feature create g.yaml &&
		awk "BEGIN { srand(5); print \"id,t,v\";
			for (i = 0; i < 400000; i++)
				printf \"u%d,%d,value-%d-%s\n\", int(rand() * 50000),
				       int(rand() * 1000000), i, \"padding-padding-padding\" }" >f.csv &&
		mlops-feature ingest big f.csv >/dev/null &&
		awk "BEGIN { srand(6); print \"id,t\";
			for (i = 0; i < 200000; i++)
				printf \"u%d,%d\n\", int(rand() * 60000), int(rand() * 1000000) }" >e.csv &&
		(ulimit -v 120000; mlops-feature dataset --memory 4MB \
			--entities e.csv --features big:v -o small.csv) &&
		mlops-feature dataset --entities e.csv --features big:v -o large.csv &&
		test_cmp large.csv small.csv &&
		test_line_count = 200001 small.csv &&
		test "$(grep -c ",value-" small.csv)" -gt 100000
	'
fi

test_done
