#!/bin/bash
# t0090-build-archives.sh - the build compiles the library once per
# flavour into an archive that the programs, unit tests and fuzz targets
# link. Each archive holds one object per lib/DOMAIN/*.c, read from the
# source tree so that a new file or domain folder is checked without
# editing this script, even when two domains have files of one name
# (lib/core/spec.c, lib/pipeline/spec.c: `ar` must keep both).
. "$(dirname "$0")/test-lib.sh"

BUILD=$(cd "$MLOPS_BIN/.." && pwd)

# The members an archive of the library must hold, one line each.
expected_members() {
	(cd "$TEST_ROOT" && for f in lib/*/*.c; do basename "$f" .c; done) |
		sed 's/$/.o/' && echo schema.o
}

test_expect_success 'the library archive holds every lib/ source' '
	expected_members | sort >expect &&
	ar t "$BUILD/lib/libmlops.a" | sort >members &&
	test_cmp expect members
'

# make check builds the fuzz targets before it runs this script.
if ls "$BUILD"/fuzz/fuzz-* >/dev/null 2>&1; then
	test_expect_success 'the fuzz targets link one fuzz archive' '
		expected_members | sort >expect &&
		ar t "$BUILD/fuzz/lib/libmlops-fuzz.a" | sort >members &&
		test_cmp expect members
	'
else
	test_skip 'the fuzz targets link one fuzz archive' \
		"no fuzz targets in $BUILD/fuzz"
fi

test_done
