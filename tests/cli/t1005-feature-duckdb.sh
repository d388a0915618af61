#!/bin/bash
# t1005-feature-duckdb.sh - `mlops-feature ddl --engine duckdb` run on a
# real DuckDB over ingested groups: row counts, column types, deletes and
# values. DuckDB comes from the npm package @duckdb/node-api, which ships
# DuckDB's native library (the package "duckdb" downloads one at install
# time instead), installed once into a cache outside the repository and
# reused. Without node or npm, or when the install fails, the tests are
# skipped with the reason.
. "$(dirname "$0")/test-lib.sh"

DUCKDB_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/mlops-tests/duckdb"

# Install @duckdb/node-api into DUCKDB_DIR unless it is there; on failure
# print why on stdout.
duckdb_install() {
	local log="$TRASH_ROOT/npm.log"

	command -v node >/dev/null || { echo "node is not installed"; return 1; }
	command -v npm >/dev/null || { echo "npm is not installed"; return 1; }
	mkdir -p "$DUCKDB_DIR" || { echo "cannot make $DUCKDB_DIR"; return 1; }
	# One install at a time: test runs may start together.
	(
		flock 9 &&
		if ! test -f "$DUCKDB_DIR/node_modules/@duckdb/node-api/package.json"; then
			npm install --prefix "$DUCKDB_DIR" --no-audit --no-fund \
				@duckdb/node-api >"$log" 2>&1
		fi
	) 9>"$DUCKDB_DIR/.lock" ||
		{ echo "npm install @duckdb/node-api failed: $(tail -n 1 "$log")"; return 1; }
	# The runner: run the statements of FILE (each ends in ";" and a
	# newline, as ddl prints them), then print each QUERY's rows, one JSON
	# array per line. ESM finds the package through node_modules beside it.
	ln -sfn "$DUCKDB_DIR/node_modules" "$TRASH_ROOT/node_modules" &&
	cat >"$TRASH_ROOT/duckdb-run.mjs" <<-\EOF &&
	import { DuckDBInstance } from '@duckdb/node-api';
	import { readFileSync } from 'node:fs';

	const [file, ...queries] = process.argv.slice(2);
	const db = await DuckDBInstance.create(':memory:');
	const con = await db.connect();
	for (const stmt of readFileSync(file, 'utf8').split(';\n'))
		if (stmt.trim())
			await con.run(stmt);
	const plain = (k, v) => typeof v === 'bigint' ? Number(v) :
		v !== null && typeof v === 'object' && !Array.isArray(v) ?
		String(v) : v;
	for (const q of queries)
		for (const row of (await con.runAndReadAll(q)).getRows())
			console.log(JSON.stringify(row, plain));
	EOF
	node "$TRASH_ROOT/duckdb-run.mjs" /dev/null "SELECT 1" >/dev/null 2>"$log" ||
		{ echo "@duckdb/node-api does not load: $(tail -n 1 "$log")"; return 1; }
}

# duckdb FILE QUERY...: the rows of each query after FILE's statements.
duckdb() {
	node "$TRASH_ROOT/duckdb-run.mjs" "$@"
}

if ! why=$(duckdb_install); then
	test_skip 'ddl --engine duckdb runs on DuckDB' "$why"
	test_done
fi

make_group() {
	cat >customers.yaml <<-EOF &&
	name: customers
	record_identifier: customer_id
	event_time: event_time
	features:
	  - {name: customer_id, type: string}
	  - {name: event_time,  type: ${1:-string}}
	  - {name: age,         type: integral}
	  - {name: balance,     type: fractional}
	  - {name: plan,        type: string}
	EOF
	mlops-feature create customers.yaml >/dev/null
}

test_expect_success 'the DuckDB view has every column, typed' '
	make_group &&
	printf "customer_id,event_time,age\nc1,2026-03-01T10:15:00Z,30\n" |
		mlops-feature ingest customers &&
	mlops-feature ddl --engine duckdb customers >ddl.sql &&
	test "$(tail -c 2 ddl.sql | od -An -c | tr -d " ")" = ";\n" &&
	duckdb ddl.sql "SELECT column_name, data_type FROM
		information_schema.columns WHERE table_name = '"'customers'"'
		ORDER BY ordinal_position" >got &&
	cat >expect <<-\EOF &&
	["customer_id","VARCHAR"]
	["event_time","VARCHAR"]
	["age","BIGINT"]
	["balance","DOUBLE"]
	["plan","VARCHAR"]
	["write_time","TIMESTAMP WITH TIME ZONE"]
	["api_invocation_time","TIMESTAMP WITH TIME ZONE"]
	["is_deleted","BOOLEAN"]
	["year","INTEGER"]
	["month","INTEGER"]
	["day","INTEGER"]
	["hour","INTEGER"]
	EOF
	test_cmp expect got
'

test_expect_success 'DuckDB reads the rows, values and deletes ingest wrote' '
	make_group &&
	cat >a.csv <<-\EOF &&
	customer_id,event_time,age,balance,plan
	c1,2026-03-01T10:15:00Z,30,1.5,"gold, ""plus""
	second line"
	c2,2026-03-01T10:45:00.25+01:00,,2,
	c3,2026-03-02T23:59:59Z,-7,,silver
	EOF
	mlops-feature ingest customers a.csv &&
	printf "customer_id,event_time,age\nc1,2026-03-03T00:00:00Z,31\n" |
		mlops-feature ingest customers &&
	mlops-feature delete --event-time 2026-03-04T00:00:00Z customers c2 &&
	mlops-feature delete --hard --event-time 2026-03-04T01:00:00Z \
		customers c3 &&
	mlops-feature ddl --engine duckdb customers >ddl.sql &&
	duckdb ddl.sql "SELECT count(*) FROM customers" \
		"SELECT customer_id, event_time, age, balance, plan, is_deleted,
			year, month, day, hour FROM customers
			ORDER BY customer_id, event_time" >got &&
	cat >expect <<-\EOF &&
	[6]
	["c1","2026-03-01T10:15:00Z",30,1.5,"gold, \"plus\"\nsecond line",false,2026,3,1,10]
	["c1","2026-03-03T00:00:00Z",31,null,null,false,2026,3,3,0]
	["c2","2026-03-01T10:45:00.25+01:00",null,2,null,false,2026,3,1,9]
	["c2","2026-03-04T00:00:00Z",null,null,null,true,2026,3,4,0]
	["c3","2026-03-02T23:59:59Z",-7,null,"silver",false,2026,3,2,23]
	["c3","2026-03-04T01:00:00Z",null,null,null,true,2026,3,4,1]
	EOF
	test_cmp expect got &&
	mlops-feature export customers | $PYTHON -c "import csv, sys
print(sum(1 for _ in csv.reader(sys.stdin)) - 1)" >n &&
	test "$(cat n)" = 6 &&
	duckdb ddl.sql "SELECT count(*) FROM customers
			WHERE try_cast(event_time AS TIMESTAMPTZ) IS NULL
			   OR write_time IS NULL OR write_time <> api_invocation_time" \
		"SELECT comment FROM duckdb_views()
			WHERE view_name = '"'customers'"'" >got &&
	cat >expect <<-\EOF &&
	[0]
	["offline store of feature group customers: every record ingested and every delete, a delete being a row with is_deleted true and no feature values"]
	EOF
	test_cmp expect got &&
	duckdb ddl.sql "SELECT customer_id, age FROM (SELECT *, row_number()
			OVER (PARTITION BY customer_id ORDER BY event_time DESC,
			write_time DESC) AS n FROM customers)
			WHERE n = 1 AND NOT is_deleted" >got &&
	echo "[\"c1\",31]" >expect &&
	test_cmp expect got
'

test_expect_success 'an integral event time and its deletes read as BIGINT' '
	make_group integral &&
	printf "customer_id,event_time,age\nc1,1772359200,1\nc2,1772362800,2\n" |
		mlops-feature ingest customers &&
	mlops-feature delete --event-time 2026-03-01T12:00:00Z customers c1 &&
	mlops-feature ddl --engine duckdb customers >ddl.sql &&
	duckdb ddl.sql "SELECT customer_id, event_time, typeof(event_time),
		is_deleted, hour FROM customers ORDER BY event_time" >got &&
	cat >expect <<-\EOF &&
	["c1",1772359200,"BIGINT",false,10]
	["c2",1772362800,"BIGINT",false,11]
	["c1",1772366400,"BIGINT",true,12]
	EOF
	test_cmp expect got
'

test_expect_success 'odd names and --schema work in DuckDB' '
	cat >ev.yaml <<-\EOF &&
	name: user-events
	record_identifier: user-id
	event_time: select
	features:
	  - {name: user-id, type: integral}
	  - {name: select,  type: fractional}
	  - {name: from,    type: string}
	EOF
	mlops-feature create ev.yaml >/dev/null &&
	printf "user-id,select,from\n7,1772359200.5,x\n" |
		mlops-feature ingest user-events &&
	{
		echo "CREATE SCHEMA lake;" &&
		mlops-feature ddl --engine duckdb --schema lake user-events
	} >ddl.sql &&
	duckdb ddl.sql "SELECT \"user-id\", \"select\", \"from\"
		FROM lake.\"user-events\"" >got &&
	echo "[7,1772359200.5,\"x\"]" >expect &&
	test_cmp expect got
'

test_done
