#!/bin/bash
# t0012-layout.sh - tests/check-layout.sh, the layout rules of
# docs/HACKING.md: it passes on this tree, and each rule fails on a copy
# of the tree broken in the way that rule forbids, naming the file and
# line. (make check runs the script itself as the "layout" suite.)
. "$(dirname "$0")/test-lib.sh"

CHECK="$TEST_ROOT/tests/check-layout.sh"
BUILD=$(cd "$MLOPS_BIN/.." && pwd)

# A copy of the source tree (what the script reads) in ./tree.
copy_tree() {
	mkdir tree &&
	(cd "$TEST_ROOT" && tar cf - lib cmd tests/unit tests/fuzz bench) |
		(cd tree && tar xf -)
}

# Insert line $2 before the first #include of file $1.
add_include() {
	sed -i "0,/^#include/s||$2\n&|" "$1"
}

test_expect_success 'this tree keeps every rule, symbols included' '
	"$CHECK" "$TEST_ROOT" "$BUILD" >out &&
	grep -q "^layout: 5 passed, 0 failed$" out
'

test_expect_success 'core including a domain fails, naming the line' '
	copy_tree &&
	"$CHECK" tree >out &&
	add_include tree/lib/core/buf.c "#include \"feature/feature.h\"" &&
	test_expect_code 1 "$CHECK" tree >out &&
	grep -q "^not ok 1 - lib/core includes no domain" out &&
	grep -q "lib/core/buf.c:[0-9]*: lib/core may not include \"feature/feature.h\"" out &&
	grep -q "^layout: 3 passed, 1 failed$" out
'

test_expect_success 'a domain using one it may not use fails' '
	copy_tree &&
	add_include tree/lib/feature/pit.c "#include \"deploy/deploy.h\"" &&
	test_expect_code 1 "$CHECK" tree >out &&
	grep -q "lib/feature/pit.c:[0-9]*: feature may not use deploy" out
'

test_expect_success 'a domain including another one'\''s private header fails' '
	copy_tree &&
	add_include tree/lib/registry/report.c \
		"#include \"pipeline/executor.h\"" &&
	test_expect_code 1 "$CHECK" tree >out &&
	grep -q "report.c:[0-9]*: \"pipeline/executor.h\" is private" out
'

test_expect_success 'a program including a private header fails; tests may' '
	copy_tree &&
	add_include tree/cmd/mlops-deploy.c "#include \"deploy/pool.h\"" &&
	add_include tree/tests/unit/test_deploy.c \
		"#include \"deploy/pool.h\"" &&
	test_expect_code 1 "$CHECK" tree >out &&
	grep -q "^not ok 3 " out &&
	grep -q "cmd/mlops-deploy.c:[0-9]*: \"deploy/pool.h\" is private" out &&
	! grep -q "test_deploy.c" out
'

test_expect_success 'a private header that does not say so fails' '
	copy_tree &&
	sed -i "s/Private to lib\/deploy/Used in lib\/deploy/" \
		tree/lib/deploy/pool.h &&
	test_expect_code 1 "$CHECK" tree >out &&
	grep -q "lib/deploy/pool.h: the first comment does not say" out
'

test_expect_success 'a public header including a private one fails' '
	copy_tree &&
	add_include tree/lib/deploy/deploy.h "#include \"deploy/pool.h\"" &&
	test_expect_code 1 "$CHECK" tree >out &&
	grep -q "deploy.h:[0-9]*: the public header includes the private" out
'

test_expect_success 'a symbol named after another file fails' '
	mkdir -p tree/lib/core tree/lib/feature b/lib/core b/lib/feature &&
	for f in core/buf core/store feature/feature feature/pit; do
		touch tree/lib/$f.c || return 1
	done &&
	echo "int buf_add(void); int buf_add(void) { return 0; }" |
		cc -x c -c -o b/lib/core/buf.o - &&
	echo "int store_open(void); int store_open(void) { return 0; }" |
		cc -x c -c -o b/lib/core/store.o - &&
	echo "int feature_pit_x(void); int feature_pit_x(void) { return 0; }
		int pit_y(void); int pit_y(void) { return 0; }" |
		cc -x c -c -o b/lib/feature/pit.o - &&
	echo "int feature_pit_z(void); int feature_pit_z(void) { return 0; }
		int feature_load(void); int feature_load(void) { return 0; }" |
		cc -x c -c -o b/lib/feature/feature.o - &&
	test_expect_code 1 "$CHECK" tree "$PWD/b" >out &&
	grep -q "lib/feature/pit.c: pit_y belongs in no file" out &&
	grep -q "feature.c: feature_pit_z belongs in lib/feature/pit.c" out &&
	! grep -q "feature_pit_x\|feature_load\|buf_add\|store_open" out
'

test_done
