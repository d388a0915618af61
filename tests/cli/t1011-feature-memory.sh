#!/bin/bash
# t1011-feature-memory.sh - --memory bounds a point-in-time join: over
# data that does not fit (a 65 MB sorted run, 1.2 M entity rows whose
# sort alone needs some 100 MB), a join with --memory 64M stays under
# 64 MiB of peak RSS, measured by /usr/bin/time, and writes the same
# rows as one with the default memory.
. "$(dirname "$0")/test-lib.sh"

if test -n "$MLOPS_SANITIZED"; then
	test_skip 'a join with --memory 64M stays under it, same output' \
		'AddressSanitizer adds its own memory'
	test_done
fi

test_expect_success 'a join with --memory 64M stays under it, same output' '
	printf "%s\n" "name: big" "record_identifier: id" "event_time: t" \
		"features:" "  - {name: id, type: string}" \
		"  - {name: t, type: integral}" "  - {name: v, type: string}" \
		>big.yaml &&
	mlops-feature create big.yaml &&
	# 1 M feature rows over 200000 IDs, then 1.2 M entity rows.
	awk -v f=f.csv -v e=e.csv "BEGIN {
		srand(5); print \"id,t,v\" >f; print \"id,t\" >e
		for (i = 0; i < 2200000; i++)
			if (i < 1000000)
				printf \"u%d,%d,value-%d\n\", rand() * 200000,
				       rand() * 1000000, i >f
			else
				printf \"u%d,%d\n\", rand() * 220000,
				       rand() * 1000000 >e
	}" &&
	mlops-feature ingest big f.csv >/dev/null &&
	/usr/bin/time -f %M -o small.kb mlops-feature dataset --memory 64M \
		--entities e.csv --features big:v -o small.csv &&
	/usr/bin/time -f %M -o large.kb mlops-feature dataset \
		--entities e.csv --features big:v -o large.csv &&
	test_cmp large.csv small.csv &&
	test_line_count = 1200001 small.csv &&
	test "$(grep -c ",value-" small.csv)" -gt 800000 &&
	echo "peak RSS: $(cat small.kb) KB with --memory 64M," \
		"$(cat large.kb) KB with the default" &&
	test "$(cat small.kb)" -lt 65536 &&
	test "$(cat large.kb)" -gt 65536
'

test_done
