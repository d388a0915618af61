#!/bin/bash
# t0003-fsck-gc.sh - fsck finds damage; gc removes what nothing references.
. "$(dirname "$0")/test-lib.sh"

blob_file() {
	echo "$MLOPS_STORE/objects/$(echo "$1" | cut -c1-2)/$(echo "$1" | cut -c3-)"
}

test_expect_success 'fsck passes on a healthy store' '
	seq 1 100 | mlops object put >/dev/null &&
	mlops fsck >out 2>err &&
	test_line_count = 0 out &&
	grep "checked 1 objects and 2 audit records: 0 problems" err
'

test_expect_success 'fsck finds a flipped byte in a blob: exit 1' '
	h=$(seq 1 1000 | mlops object put) &&
	f=$(blob_file "$h") &&
	chmod u+w "$f" &&
	printf "\001" | dd of="$f" bs=1 seek=30 conv=notrunc 2>/dev/null &&
	test_expect_code 1 mlops fsck >out &&
	grep "object $h is corrupt" out
'

test_expect_success 'fsck finds a missing blob that the database names' '
	h=$(echo pinned | mlops object put) &&
	rm "$(blob_file "$h")" &&
	test_expect_code 1 mlops fsck >out &&
	grep "missing object $h (referenced by pin)" out
'

test_expect_success 'fsck finds a truncated audit log' '
	echo a | mlops object put >/dev/null &&
	echo b | mlops object put >/dev/null &&
	head -n 1 "$MLOPS_STORE/audit.log" >short &&
	cp short "$MLOPS_STORE/audit.log" &&
	test_expect_code 1 mlops fsck >out &&
	grep "audit: .*truncated" out
'

test_expect_success 'fsck finds a stray file among the objects' '
	mkdir -p "$MLOPS_STORE/objects/zz" &&
	echo junk >"$MLOPS_STORE/objects/zz/junk" &&
	test_expect_code 1 mlops fsck >out &&
	grep "stray file in objects/" out
'

test_expect_success 'gc keeps referenced blobs and removes the others' '
	keep=$(echo keep | mlops object put) &&
	mlops object get "$keep" >/dev/null &&
	echo orphan >o &&
	orphan=$(sha256sum o | cut -d" " -f1) &&
	mkdir -p "$(dirname "$(blob_file "$orphan")")" &&
	cp "$(blob_file "$keep")" "$(blob_file "$orphan")" &&
	mlops gc --dry-run --grace 0 >out &&
	grep "would remove $orphan" out &&
	test -f "$(blob_file "$orphan")" &&
	mlops gc --grace 0 >out 2>err &&
	grep "removed $orphan" out &&
	grep "removed 1 file" err &&
	! test -f "$(blob_file "$orphan")" &&
	mlops object get "$keep" >/dev/null &&
	mlops fsck
'

test_expect_success 'gc leaves young unreferenced blobs alone (grace)' '
	echo young >y &&
	young=$(sha256sum y | cut -d" " -f1) &&
	h=$(echo x | mlops object put) &&
	mkdir -p "$(dirname "$(blob_file "$young")")" &&
	cp "$(blob_file "$h")" "$(blob_file "$young")" &&
	mlops gc >out &&
	test -f "$(blob_file "$young")"
'

test_expect_success 'gc removes stale temporary files of interrupted writes' '
	echo partial >"$MLOPS_STORE/tmp/object.AbCdEf" &&
	touch -d "2 hours ago" "$MLOPS_STORE/tmp/object.AbCdEf" &&
	mlops gc >out &&
	grep "removed .*tmp/object.AbCdEf" out &&
	! test -e "$MLOPS_STORE/tmp/object.AbCdEf"
'

test_expect_success 'fsck and the next command report a killed writer'"'"'s temporary files' '
	dead=$(sh -c "echo \$\$") &&
	echo partial >"$MLOPS_STORE/tmp/part.$dead.AbCdEf" &&
	echo mine >"$MLOPS_STORE/tmp/part.$$.GhIjKl" &&
	test_expect_code 1 mlops fsck >out 2>err &&
	grep "temporary file tmp/part.$dead.AbCdEf (8 bytes) was left by a killed command" out &&
	! grep "part.$$\." out &&
	echo x | mlops object put >/dev/null 2>err &&
	grep "^mlops: tmp/ holds 1 file (8 bytes) left by killed commands" err &&
	rm "$MLOPS_STORE/tmp/part.$$.GhIjKl"
'

test_expect_success 'gc applies its grace to each temporary file'"'"'s own age' '
	dead=$(sh -c "echo \$\$") &&
	echo old >"$MLOPS_STORE/tmp/part.$dead.Old000" &&
	echo new >"$MLOPS_STORE/tmp/part.$dead.New000" &&
	touch -d "2 hours ago" "$MLOPS_STORE/tmp/part.$dead.Old000" &&
	mlops gc >out &&
	grep "removed .*tmp/part.$dead.Old000" out &&
	! grep "New000" out &&
	test -e "$MLOPS_STORE/tmp/part.$dead.New000" &&
	mlops gc --grace 0 >out &&
	grep "removed .*tmp/part.$dead.New000" out &&
	mlops fsck
'

test_expect_success 'gc stops, removing nothing, when the reference query fails' '
	h=$(echo pinned | mlops object put) &&
	echo orphan >o &&
	orphan=$(sha256sum o | cut -d" " -f1) &&
	mkdir -p "$(dirname "$(blob_file "$orphan")")" &&
	cp "$(blob_file "$h")" "$(blob_file "$orphan")" &&
	touch -d "2 hours ago" "$(blob_file "$h")" "$(blob_file "$orphan")" &&
	test_expect_code 70 sqlite_fault object_ref mlops gc --grace 0 \
		>out 2>err &&
	grep "cannot look up references to a blob: disk I/O error" err &&
	test_line_count = 0 out &&
	test -f "$(blob_file "$h")" &&
	test -f "$(blob_file "$orphan")" &&
	mlops gc --grace 0 >out &&
	grep "removed $orphan" out &&
	test -f "$(blob_file "$h")"
'

test_expect_success 'gc stops when the reference query fails after some rows' '
	for i in 1 2 3; do echo $i | mlops object put >/dev/null || return 1; done &&
	SQLITE_FAULT_AFTER=2 test_expect_code 70 \
		sqlite_fault object_ref mlops gc --grace 0 >out 2>err &&
	test_line_count = 0 out &&
	mlops fsck
'

test_expect_success 'fsck fails, never "0 problems", when a query fails' '
	echo pinned | mlops object put >/dev/null &&
	for sql in object_ref integrity_check foreign_key_check user_version
	do
		test_expect_code 70 sqlite_fault "$sql" mlops fsck \
			>out 2>err || return 1
		! grep "problems" err || return 1
		grep "disk I/O error" err || return 1
	done
'

test_expect_success 'object ls fails when the reference count fails' '
	echo pinned | mlops object put >/dev/null &&
	test_expect_code 70 sqlite_fault "count(*) FROM object_ref" \
		mlops object ls >out 2>err &&
	grep "disk I/O error" err
'

test_expect_success 'gc --grace with a bad duration is a usage error' '
	test_expect_code 2 mlops gc --grace soon 2>err &&
	grep "is not a duration" err
'

test_done
