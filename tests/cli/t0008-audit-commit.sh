#!/bin/bash
# t0008-audit-commit.sh - a change is committed with its audit record: a
# command killed between its commit and its append to audit.log leaves the
# record in the database, and the next reader or writer of the trail puts
# it in the log; refusals and failures are audited too.
. "$(dirname "$0")/test-lib.sh"

pending() {
	sqlite3 "$MLOPS_STORE/mlops.db" "SELECT count(*) FROM audit_pending"
}

test_expect_success 'killed at audit_append (gdb): audit log still shows the change' '
	if ! command -v gdb >/dev/null; then
		echo "gdb is not installed" && exit 0
	fi &&
	echo weights >a.bin &&
	mlops-registry create g >/dev/null &&
	gdb -batch -ex "break audit_append" -ex run -ex kill --args \
		"$MLOPS_BIN/mlops-registry" register -a a.bin g >gdb.out 2>&1 &&
	grep "killed" gdb.out &&
	mlops-registry show g/1 >/dev/null &&
	test "$(pending)" = 1 &&
	mlops audit log --json >log &&
	jq -e "select(.action == \"registry.register\") |
		.resource == \"g\" and .recovered == true and
		.outcome == \"success\"" log &&
	test "$(pending)" = 0 &&
	mlops audit verify &&
	mlops fsck
'

test_expect_success 'SIGKILL right after the commit: the next writer appends the record' '
	echo weights >a.bin &&
	mlops-registry create g >/dev/null &&
	SQLITE_FAULT_KILL=1 test_expect_code 137 \
		sqlite_fault "SELECT token, record FROM audit_pending" \
		mlops-registry register -a a.bin g &&
	test "$(pending)" = 1 &&
	! grep "\"action\":\"registry.register\"" "$MLOPS_STORE/audit.log" &&
	echo x | mlops object put >/dev/null &&
	test "$(grep -c "\"action\":\"registry.register\".*\"recovered\":true" \
		"$MLOPS_STORE/audit.log")" = 1 &&
	test "$(pending)" = 0 &&
	mlops audit verify
'

test_expect_success 'SIGKILL after the append, before the row goes: no record twice' '
	SQLITE_FAULT_KILL=1 test_expect_code 137 \
		sqlite_fault "DELETE FROM audit_pending" \
		mlops-registry create g &&
	test "$(pending)" = 1 &&
	test "$(grep -c registry.create "$MLOPS_STORE/audit.log")" = 1 &&
	mlops audit verify &&
	test "$(pending)" = 0 &&
	echo x | mlops object put >/dev/null &&
	test "$(grep -c registry.create "$MLOPS_STORE/audit.log")" = 1 &&
	mlops audit verify
'

test_expect_success 'fsck finds a committed change whose record cannot be appended' '
	SQLITE_FAULT_KILL=1 test_expect_code 137 \
		sqlite_fault "SELECT token, record FROM audit_pending" \
		mlops-registry create g &&
	test_expect_code 1 sqlite_fault "SELECT token, record FROM audit_pending" \
		mlops fsck >out &&
	grep "audit: 1 committed change has no record in audit.log yet" out &&
	mlops fsck
'

make_group() {
	cat >g.yaml <<-\YAML &&
	name: g
	record_identifier: id
	event_time: t
	features:
	  - {name: id, type: string}
	  - {name: t,  type: string}
	  - {name: n,  type: integral}
	YAML
	mlops-feature create g.yaml >/dev/null
}

test_expect_success 'an ingest killed right after its commit is still audited' '
	make_group &&
	seq 1 50000 | sed "s/.*/&,2026-01-01T00:00:00Z,&/" |
		sed "1i id,t,n" >in.csv &&
	SQLITE_FAULT_KILL=1 test_expect_code 137 \
		sqlite_fault "SELECT token, record FROM audit_pending" \
		mlops-feature ingest g in.csv &&
	mlops-feature get g 50000 >got &&
	grep "^50000," got &&
	mlops audit log --json >log &&
	jq -e "select(.action == \"feature.ingest\") |
		.resource == \"g\" and .recovered == true" log &&
	mlops fsck
'

test_expect_success 'a refused ingest is audited as a failure with its reason' '
	make_group &&
	printf "id,t,n\na,2026-01-01T00:00:00Z,x\n" >bad.csv &&
	test_expect_code 3 mlops-feature ingest g bad.csv 2>err &&
	mlops audit log --json >log &&
	jq -e "select(.action == \"feature.ingest\") |
		.outcome == \"failure\" and .resource == \"g\" and
		.detail.status == 3 and
		(.detail.error | test(\"bad.csv:2: n\"))" log &&
	test "$(pending)" = 0 &&
	mlops audit verify
'

test_expect_success 'a failure whose message is not UTF-8 is still audited' '
	make_group &&
	printf "id,t,\377\n" >bad.csv &&
	test_expect_code 3 mlops-feature ingest g bad.csv 2>err &&
	grep "unknown column" err &&
	mlops audit log --json >log &&
	jq -e "select(.action == \"feature.ingest\") |
		.outcome == \"failure\" and .detail.status == 3" log
'

test_expect_success 'a change with nothing to do leaves no record and no row' '
	echo weights >a.bin &&
	mlops-registry create g >/dev/null &&
	mlops-registry register -a a.bin g >/dev/null &&
	mlops-registry approve g/1 >/dev/null &&
	n=$(wc -l <"$MLOPS_STORE/audit.log") &&
	mlops-registry approve g/1 >out &&
	grep "already" out &&
	test "$(wc -l <"$MLOPS_STORE/audit.log")" = "$n" &&
	test "$(pending)" = 0
'

test_expect_success 'every record of a declared change carries its txn' '
	echo x | mlops object put >/dev/null &&
	tail -n 1 "$MLOPS_STORE/audit.log" >last &&
	jq -e ".action == \"object.put\" and (.txn | length) == 32 and
		(has(\"recovered\") | not)" last
'

test_done
