#!/bin/bash
# t0360-progress.sh - the progress line of long operations: on standard
# error, only on a terminal or with MLOPS_PROGRESS=1, never with
# MLOPS_PROGRESS=0; it never changes standard output, and a message
# after it starts on a line of its own.
. "$(dirname "$0")/test-lib.sh"

# rows N: a CSV of N records for the customers group of make_group.
rows() {
	awk -v n="$1" 'BEGIN {
		print "customer_id,event_time,age"
		for (i = 0; i < n; i++)
			printf "c%d,%d,%d\n", i % 997, 1767225600 + i, i % 90
	}'
}

make_group() {
	cat >customers.yaml <<-\YAML &&
	name: customers
	record_identifier: customer_id
	event_time: event_time
	features:
	  - {name: customer_id, type: string}
	  - {name: event_time,  type: integral}
	  - {name: age,         type: integral}
	YAML
	mlops-feature create customers.yaml >/dev/null
}

# A second store, b/, with the same group: for the same command run once
# with the line and once without, each on a store of its own.
make_twin() {
	mlops init b >/dev/null &&
	(MLOPS_STORE=$PWD/b/.mlops && export MLOPS_STORE && make_group)
}

# has_line FILE WHAT: FILE holds a progress line about WHAT, drawn with a
# carriage return and showing a rate.
has_line() {
	grep -q "$(printf '\r')" "$1" &&
	tr '\r' '\n' <"$1" | grep "$2" | grep -q "/s"
}

test_expect_success 'ingest: MLOPS_PROGRESS=1 draws a line, output unchanged' '
	make_group && make_twin &&
	rows 20000 >in.csv &&
	MLOPS_PROGRESS=1 mlops-feature ingest customers in.csv >out1 2>err1 &&
	MLOPS_PROGRESS=0 mlops --store b feature ingest customers in.csv \
		>out0 2>err0 &&
	test_cmp out0 out1 &&
	has_line err1 "mlops-feature: ingest customers: .*B" &&
	test ! -s err0
'

test_expect_success 'ingest: no line when stderr is not a terminal' '
	make_group &&
	rows 100 >in.csv &&
	env -u MLOPS_PROGRESS mlops-feature ingest customers in.csv \
		>out 2>err &&
	test ! -s err &&
	MLOPS_PROGRESS=yes mlops-feature ingest customers in.csv >out 2>err &&
	test ! -s err
'

test_expect_success 'ingest: the line shows the percentage of a file' '
	make_group &&
	rows 300000 >in.csv &&
	MLOPS_PROGRESS=1 mlops-feature ingest customers - <in.csv 2>err \
		>/dev/null &&
	tr "\r" "\n" <err | grep "^mlops-feature: ingest customers: 0 B of" &&
	tr "\r" "\n" <err | grep "B, .*B/s, done"
'

test_expect_success 'a terminal gets the line without the variable' '
	make_group &&
	rows 1000 >in.csv &&
	env -u MLOPS_PROGRESS script -qec \
		"mlops-feature ingest customers in.csv" /dev/null >tty &&
	has_line tty "ingest customers" &&
	grep "ingested 1000 rows" tty &&
	MLOPS_PROGRESS=0 script -qec \
		"mlops-feature ingest customers in.csv" /dev/null >tty0 &&
	! grep "ingest customers:" tty0
'

test_expect_success 'a message after the line starts a line of its own' '
	make_group &&
	{ rows 5000 && echo "c1,soon,3"; } >bad.csv &&
	test_expect_code 3 env MLOPS_PROGRESS=1 \
		mlops-feature ingest customers bad.csv 2>err &&
	tr "\r" "\n" <err | grep "^mlops-feature: ingest customers: " &&
	tr "\r" "\n" <err | tail -n 1 >last &&
	grep "^mlops-feature: bad.csv:5002: " last
'

test_expect_success 'dataset and export: lines on stderr, data unchanged' '
	make_group &&
	rows 20000 | mlops-feature ingest customers - >/dev/null &&
	printf "customer_id,event_time\nc1,1767300000\nc5,1767300000\n" \
		>ent.csv &&
	MLOPS_PROGRESS=1 mlops-feature dataset --entities ent.csv \
		-f customers >d1 2>e1 &&
	MLOPS_PROGRESS=0 mlops-feature dataset --entities ent.csv \
		-f customers >d0 2>e0 &&
	test_cmp d0 d1 &&
	has_line e1 "dataset: write: 2 rows" &&
	test ! -s e0 &&
	MLOPS_PROGRESS=1 mlops-feature export customers >x1 2>e1 &&
	MLOPS_PROGRESS=0 mlops-feature export customers >x0 2>e0 &&
	test_cmp x0 x1 &&
	has_line e1 "export customers: 20.0k rows" &&
	test ! -s e0
'

test_expect_success 'dataset to a terminal: no line in the data' '
	make_group &&
	rows 100 | mlops-feature ingest customers - >/dev/null &&
	printf "customer_id,event_time\nc1,1767300000\n" >ent.csv &&
	env -u MLOPS_PROGRESS script -qec "mlops-feature dataset \
		--entities ent.csv -f customers" /dev/null >tty &&
	grep "^c1,1767300000," tty &&
	! grep "dataset:" tty &&
	env -u MLOPS_PROGRESS script -qec "mlops-feature dataset \
		--entities ent.csv -f customers -o ds.csv" /dev/null >tty &&
	has_line tty "dataset: write: 1 rows"
'

test_expect_success 'registry register, export, import: bytes on stderr' '
	head -c 3000000 /dev/urandom >model.bin &&
	mlops init b >/dev/null &&
	MLOPS_PROGRESS=1 mlops-registry register --artifact model.bin \
		churn >r1 2>e1 &&
	MLOPS_PROGRESS=0 mlops --store b registry register \
		--artifact model.bin churn >r0 2>e0 &&
	test_cmp r0 r1 &&
	has_line e1 "register churn: 2.86 MiB" &&
	test ! -s e0 &&
	MLOPS_PROGRESS=1 mlops-registry export -o x1.tar churn/1 2>e1 &&
	MLOPS_PROGRESS=0 mlops-registry export -o x0.tar churn/1 2>e0 &&
	cmp x0.tar x1.tar &&
	has_line e1 "export churn/1: 2.86 MiB" &&
	test ! -s e0 &&
	mlops init c >/dev/null &&
	MLOPS_PROGRESS=1 mlops --store c registry import x1.tar >i1 2>e1 &&
	echo churn/1 >expect &&
	test_cmp expect i1 &&
	has_line e1 "import x1.tar: 2.8. MiB" &&
	has_line e1 "register churn: 2.86 MiB"
'

test_expect_success 'monitor baseline: rows on stderr, documents unchanged' '
	rows 50000 >data.csv &&
	MLOPS_PROGRESS=1 mlops-monitor baseline --data data.csv -o - \
		>b1 2>e1 &&
	MLOPS_PROGRESS=0 mlops-monitor baseline --data data.csv -o - \
		>b0 2>e0 &&
	test_cmp b0 b1 &&
	has_line e1 "profile data.csv: 50.0k rows" &&
	test ! -s e0
'

test_expect_success 'sync and fsck: lines on stderr, reports unchanged' '
	make_group && make_twin &&
	rows 20000 | mlops-feature ingest customers - >/dev/null &&
	MLOPS_PROGRESS=1 mlops sync --to ./b features customers >s1 2>e1 &&
	has_line e1 "sync features customers: .*B" &&
	grep "customers test -> dev: [1-9][0-9]* copied" s1 &&
	MLOPS_PROGRESS=1 mlops sync --to ./b features customers >s1 2>e1 &&
	MLOPS_PROGRESS=0 mlops sync --to ./b features customers >s0 2>e0 &&
	sed "s/ in [0-9.]* s (.*//" s0 >s0.cut &&
	sed "s/ in [0-9.]* s (.*//" s1 >s1.cut &&
	test_cmp s0.cut s1.cut &&
	test ! -s e0 &&
	mlops object put customers.yaml >/dev/null &&
	MLOPS_PROGRESS=1 mlops fsck >f1 2>e1 &&
	MLOPS_PROGRESS=0 mlops fsck >f0 2>e0 &&
	test_cmp f0 f1 &&
	has_line e1 "fsck: objects: 1 objects" &&
	tr "\r" "\n" <e1 | tail -n 1 | grep "^mlops: checked 1 objects"
'

test_done
