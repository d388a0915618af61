#!/bin/bash
# t0002-object.sh - blobs: put, get, ls; verification on read.
. "$(dirname "$0")/test-lib.sh"

test_expect_success 'put prints the SHA-256 of the content; get returns it' '
	printf "hello\n" >f &&
	h=$(mlops object put f) &&
	test "$h" = "$(sha256sum f | cut -d" " -f1)" &&
	mlops object get "$h" >out &&
	test_cmp f out
'

test_expect_success 'put reads stdin; identical content is stored once' '
	h1=$(echo same | mlops object put) &&
	h2=$(echo same | mlops object put -) &&
	test "$h1" = "$h2" &&
	test "$(mlops object ls | grep -c "$h1")" = 1
'

test_expect_success 'blobs are zlib-compressed under objects/ab/cdef...' '
	yes abcdefgh | head -n 100000 >big &&
	h=$(mlops object put big) &&
	f=$MLOPS_STORE/objects/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	test -f "$f" &&
	test $(stat -c %s "$f") -lt 10000 &&
	mlops object get "$h" | cmp - big
'

if test -n "$MLOPS_SANITIZED"; then
	test_skip 'a large blob streams through in bounded memory' \
		'ulimit -v does not work with AddressSanitizer'
else
	test_expect_success 'a large blob streams through in bounded memory' '
		head -c 200000000 /dev/urandom >huge &&
		h=$( (ulimit -v 400000; mlops object put huge) ) &&
		(ulimit -v 400000; mlops object get "$h") | cmp - huge
	'
fi

test_expect_success 'get -o writes the file only once verified' '
	echo content >f &&
	h=$(mlops object put f) &&
	mlops object get -o copy "$h" &&
	test_cmp f copy
'

test_expect_success 'a flipped byte is found on read: error, exit 70' '
	seq 1 1000 >f &&
	h=$(mlops object put f) &&
	obj=$MLOPS_STORE/objects/$(echo $h | cut -c1-2)/$(echo $h | cut -c3-) &&
	chmod u+w "$obj" &&
	printf "\377" | dd of="$obj" bs=1 seek=20 conv=notrunc 2>/dev/null &&
	test_expect_code 70 mlops object get -o out "$h" 2>err &&
	grep "object $h is corrupt" err &&
	! test -e out
'

test_expect_success 'get -o into a missing directory: exit 4, nothing written' '
	echo content >f &&
	h=$(mlops object put f) &&
	test_expect_code 4 mlops object get -o no/such/dir/f "$h" 2>err &&
	grep "cannot create a temporary file in .no/such/dir.: No such file" err
'

test_expect_success 'get of a missing or malformed hash: exit 4 and 2' '
	test_expect_code 4 mlops object get $(echo x | sha256sum | cut -d" " -f1) 2>err &&
	grep "not found" err &&
	test_expect_code 2 mlops object get nothex 2>err &&
	grep "not an object hash" err
'

test_expect_success 'put of a missing file fails and changes nothing' '
	test_snapshot &&
	test_expect_code 4 mlops object put no-such-file 2>err &&
	grep "^mlops: cannot open .no-such-file.: No such file" err &&
	test_store_unchanged
'

test_expect_success 'put of a directory is bad input (exit 3), nothing stored' '
	mkdir d &&
	test_snapshot &&
	test_expect_code 3 mlops object put d 2>err &&
	grep "^mlops: .d. is a directory, not a file" err &&
	test_store_unchanged
'

test_expect_success 'ls --json lists hash, size and references' '
	echo a | mlops object put >/dev/null &&
	mlops object ls --json >out &&
	jq -e "select(.references == 1) | .hash" out 2>/dev/null ||
	grep "\"references\":1" out
'

test_done
